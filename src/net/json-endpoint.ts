/**
 * POST /:stream/:privateId/:lastKnownTick: the GoEventStream-compatible JSON endpoint for simple
 * clients. The body publishes events (`{}`, `{"events": [...]}` or a bare array); the reply is the
 * client's public id, the server tick and the events since lastKnownTick.
 */
import { ERROR, errorBody, type ErrorCode } from '../protocol/errors';
import type { StreamEvent } from '../protocol/messages';
import { EventStream, StreamError, isPrivateId, isStreamName } from '../sim/stream';
import type { HostContext } from './context';
import { bearerOf, readBody, utf8 } from './http';
import { catchUpFor, page } from './catch-up';
import { scopedId } from './identity';
import { GUEST_TOKEN_PREFIX } from './guest-sessions';
import { checkClientType } from './reserved';
import type { Principal } from './options';
import type { HttpResponse } from './uws';

/**
 * Serves one JSON endpoint request. Every check runs before anything changes, so a request
 * answered 4xx or 5xx has created no stream, joined no client and published nothing:
 *
 *   1. who: `Authorization: Bearer <token>` as on /ws (an account or custom token, or a guest
 *      session token from an earlier reply); without one, a new guest session while guests
 *      are on, else 401 UNAUTHENTICATED
 *   2. the path (stream name, private id 1..128 printable ASCII, lastKnownTick) and the body
 *      (every event: type and body limits, no reserved type, room in the tick): 400 / 403
 *   3. limits: 503 FULL (streams per host or per principal), 503 BUSY + Retry-After (joins per
 *      second) when the request would join
 *   4. then: create the stream, connect, publish every event, and answer
 *      200 {publicId, tick, events: jsonEvent[], more?, session?}
 *
 * The private id is scoped by the principal (identity.ts). `events` is a bounded page
 * (catch-up.ts): the world's snapshot form ('_s' first) or, for other streams, a reset ('_a'
 * first) when lastKnownTick is outside the retained log; `tick` is the lastKnownTick to send
 * next, and `more` is true when that page did not reach the server tick. A guest gets its
 * session token as `session`: sent back as a Bearer token it keeps the same identity.
 */
export function jsonEndpoint(h: HostContext, res: HttpResponse, name: string, privateId: string, lastKnown: string, authorization: string): void {
  const tooLarge = errorBody(ERROR.TOO_LARGE, `request body over ${h.o.maxJsonBody} bytes`);
  readBody(
    res,
    h.o.maxJsonBody,
    tooLarge,
    (raw, reply) => {
      const fail = (status: string, code: ErrorCode, message: string, headers: Record<string, string> = {}): void =>
        reply(status, errorBody(code, message), headers);
      if (h.stopping) {
        fail('503 Service Unavailable', ERROR.SHUTTING_DOWN, 'the host is shutting down');
        return;
      }
      // 1. who
      const token = bearerOf(authorization);
      let principal: Principal | null,
        guest = '',
        session: string | null = null;
      if (token.startsWith(GUEST_TOKEN_PREFIX)) {
        const scope = h.authenticate('guest') ? h.guestSessions.use(token, h.o.clock()) : null;
        if (scope === null) {
          fail('401 Unauthorized', ERROR.UNAUTHENTICATED, 'the guest session is not valid (expired, or guests are off): send no token for a new one');
          return;
        }
        principal = { account: 'guest', guest: true };
        guest = scope;
      } else if (token) {
        principal = h.authenticate(token);
        if (!principal) {
          fail('401 Unauthorized', ERROR.UNAUTHENTICATED, 'the token is not valid');
          return;
        }
      } else {
        principal = h.authenticate('guest');
        if (!principal) {
          fail('401 Unauthorized', ERROR.UNAUTHENTICATED, 'send Authorization: Bearer <token> (guests are off)');
          return;
        }
      }
      // 2. the path and the body
      if (!isStreamName(name)) {
        fail('400 Bad Request', ERROR.BAD_VALUE, 'stream name must be 1..64 of [A-Za-z0-9._-]');
        return;
      }
      if (!isPrivateId(privateId)) {
        fail('400 Bad Request', ERROR.BAD_VALUE, 'private id must be 1..128 printable ASCII characters');
        return;
      }
      if (!/^\d{1,10}$/.test(lastKnown)) {
        fail('400 Bad Request', ERROR.BAD_VALUE, 'lastKnownTick is a non-negative integer');
        return;
      }
      let events: Array<{ type: string; body: string }>;
      try {
        const text = utf8.decode(raw);
        events = parseJsonEvents(text.trim() === '' ? '{}' : text);
      } catch (e) {
        fail('400 Bad Request', ERROR.BAD_MESSAGE, `body: ${(e as Error).message}`);
        return;
      }
      const existing = h.hub.get(name);
      const isWorld = name === h.o.worldStream;
      try {
        for (const e of events) {
          checkClientType(isWorld, e.type, 'json');
          if (existing) existing.checkClientEvent(e.type, e.body);
          else probe.checkClientEvent(e.type, e.body);
        }
      } catch (e) {
        if (e instanceof StreamError) {
          fail(e.code === ERROR.NOT_ALLOWED ? '403 Forbidden' : '400 Bad Request', e.code, e.message);
          return;
        }
        throw e;
      }
      if (existing && !existing.hasRoom(events.length + 2)) {
        fail('429 Too Many Requests', ERROR.RATE_LIMITED, 'this tick of the stream is full: retry next tick', { 'retry-after': '1' });
        return;
      }
      // 3. limits
      const refused = h.admission.refusal(name, principal);
      if (refused) {
        fail('503 Service Unavailable', refused.code, refused.message, { 'retry-after': '10' });
        return;
      }
      if (principal.guest && !guest) {
        const g = h.guestSessions.mint(h.o.clock());
        guest = g.scope;
        session = g.token;
      }
      const key = scopedId(principal, guest, privateId);
      const joins = !existing?.isConnected(existing.publicIdOf(key) ?? 0);
      if (joins && !h.admission.join()) {
        fail('503 Service Unavailable', ERROR.BUSY, 'too many joins this second: retry', { 'retry-after': '1' });
        return;
      }
      // 4. commit
      const stream = h.admission.stream(name, principal);
      const { publicId } = stream.connect(key);
      // an account's (or custom) token: a logout or revocation disconnects this join (token-watch.ts)
      if (token && !principal.guest) h.tokens.addJson(token, `${name}\n${key}`, h.o.clock());
      for (const e of events) stream.publish(key, e.type, e.body);
      const known = Number(lastKnown);
      const c = catchUpFor(h, stream, known, Number.MAX_SAFE_INTEGER, { folded: false });
      const p = page(c.events, stream.tick, h.o.maxJsonEvents, h.o.maxJsonReplyBytes);
      const body: Record<string, unknown> = { publicId, tick: p.next, events: p.events.map(jsonEvent) };
      if (p.more) body.more = true;
      if (session) body.session = session;
      reply('200 OK', body);
    },
    h.fault,
  );
}

/** Checks event types against default limits for a stream that does not exist yet (never ticked, never shown). */
const probe = new EventStream('probe');

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
