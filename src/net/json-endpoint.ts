/**
 * POST /:stream/:privateId/:lastKnownTick: the GoEventStream-compatible JSON endpoint for simple
 * clients. The body publishes events (`{}`, `{"events": [...]}` or a bare array); the reply is the
 * client's public id, the server tick and the events since lastKnownTick.
 */
import { ERROR, type ErrorCode } from '../protocol/errors';
import type { StreamEvent } from '../protocol/messages';
import { StreamError } from '../sim/stream';
import type { HostContext } from './context';
import { PRIVATE } from './fanout';
import { readBody, utf8 } from './http';
import type { HttpResponse } from './uws';

/**
 * Serves one JSON endpoint request: 200 {publicId, tick, events: jsonEvent[]}. Errors (body
 * {error: {code, message}}): 400 BAD_VALUE / BAD_MESSAGE, 410 NOT_FOUND when the events asked
 * for are no longer kept, 413 TOO_LARGE, 503 SHUTTING_DOWN.
 */
export function jsonEndpoint(h: HostContext, res: HttpResponse, name: string, privateId: string, lastKnown: string): void {
  const tooLarge = { error: { code: ERROR.TOO_LARGE, message: `request body over ${h.o.maxJsonBody} bytes` } };
  readBody(res, h.o.maxJsonBody, tooLarge, (raw, reply) => {
    const fail = (status: string, code: ErrorCode, message: string): void => reply(status, { error: { code, message } });
    if (h.stopping) { fail('503 Service Unavailable', ERROR.SHUTTING_DOWN, 'the host is shutting down'); return; }
    if (!/^\d{1,10}$/.test(lastKnown)) { fail('400 Bad Request', ERROR.BAD_VALUE, 'lastKnownTick is a non-negative integer'); return; }
    let events: Array<{ type: string; body: string }>;
    try {
      const text = utf8.decode(raw);
      events = parseJsonEvents(text.trim() === '' ? '{}' : text);
    } catch (e) {
      fail('400 Bad Request', ERROR.BAD_MESSAGE, `body: ${(e as Error).message}`); return;
    }
    try {
      const stream = h.hub.stream(name);
      const { publicId } = stream.connect(privateId);
      for (const e of events) stream.publish(privateId, e.type, e.body);
      const since = stream.since(Number(lastKnown));
      if (since.kind === 'trimmed') { fail('410 Gone', ERROR.NOT_FOUND, `events before tick ${since.firstTick} are no longer kept: rejoin with lastKnownTick >= ${since.firstTick}`); return; }
      const shown = stream === h.world.stream ? since.events.filter((e) => !PRIVATE.has(e.type)) : since.events;
      reply('200 OK', { publicId, tick: since.tick, events: shown.map(jsonEvent) });
    } catch (e) {
      if (e instanceof StreamError) { fail('400 Bad Request', e.code, e.message); return; }
      throw e;   // readBody answers 500 and reports the fault
    }
  }, h.fault);
}

/** A stream event as the JSON endpoint shows it (origin '_' for the server, else the public id). */
export function jsonEvent(e: StreamEvent): { tick: number; type: string; origin: string | number; body: string } {
  return { tick: e.tick, type: e.type, origin: e.origin === 0 ? '_' : e.origin, body: e.body };
}

/**
 * Events a JSON client publishes: `{}` (none), `{"events": [{"type", "body"}...]}` or a bare
 * array of them. Throws Error with what is wrong.
 */
export function parseJsonEvents(text: string): Array<{ type: string; body: string }> {
  const v = JSON.parse(text) as unknown;
  const list = Array.isArray(v) ? v : v && typeof v === 'object' ? ((v as { events?: unknown }).events ?? []) : null;
  if (!Array.isArray(list)) throw new Error('expected {} or {"events": [{"type": "...", "body": "..."}]}');
  if (list.length > 256) throw new Error('at most 256 events per request');
  return list.map((e: unknown, i) => {
    if (!e || typeof e !== 'object') throw new Error(`event ${i} is not an object`);
    const { type, body } = e as { type?: unknown; body?: unknown };
    if (typeof type !== 'string') throw new Error(`event ${i}: type must be a string`);
    if (body !== undefined && typeof body !== 'string') throw new Error(`event ${i}: body must be a string`);
    return { type, body: body ?? '' };
  });
}
