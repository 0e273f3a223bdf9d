/**
 * What a (re)joining client receives of the past, the same rules for the WebSocket and the JSON
 * endpoint, and always bounded:
 *
 *   world stream      the stream's catch-up: every event since lastKnownTick, or the `_s`
 *                     snapshot and the events after it, whichever is smaller (EventStream.catchUp)
 *   other streams     lastKnownTick within the retained log [firstTick, tick]: the events since.
 *                     Otherwise (the log was trimmed past it, or the stream was forgotten and
 *                     created again, or the host restarted: lastKnownTick below firstTick or
 *                     above tick) a reset: '_a' (the stream's seed) first, then the retained
 *                     events, so the client's OnReset runs and it starts over.
 *
 * A side stream's answer larger than `budgetBytes` starts later: the reset form from the newest
 * whole ticks that fit (the JSON endpoint pages instead, see `page`). Events go through the
 * fan-out's `visible` filter (private kinds, folded inputs, redacted '_id'), and the `_s` body's
 * `ids` are redacted the same way.
 */
import { eventWireBytes, type EventStream } from '../sim/stream';
import type { StreamEvent } from '../protocol/messages';
import type { HostContext } from './context';
import { redactId, visible } from './fanout';

/** A catch-up: the events to send (in order) and whether it is a reset ('_a' first) or a snapshot form. */
export interface CatchUpAnswer {
  events: StreamEvent[];
  form: 'events' | 'snapshot' | 'reset';
}

/** The catch-up for a client of `stream` that last received server tick `lastKnownTick`, at most about `budgetBytes` for side streams. */
export function catchUpFor(h: HostContext, stream: EventStream, lastKnownTick: number, budgetBytes: number, opts: { folded?: boolean } = {}): CatchUpAnswer {
  const filter = (ev: readonly StreamEvent[]): StreamEvent[] => [...visible(h, stream, ev, opts.folded ?? true)];
  if (stream === h.world.stream) {
    // a lastKnownTick past the tick is from an earlier life of the world (a restart without its
    // log): the client starts over like a new one
    const c = stream.catchUp(lastKnownTick > stream.tick ? 0 : lastKnownTick);
    if (c.kind === 'events') return { events: filter(c.events), form: 'events' };
    return {
      events: [{ tick: c.snapshot.tick, type: '_s', origin: 0, body: redactSnapshot(String(c.snapshot.payload)) }, ...filter(c.events)],
      form: 'snapshot',
    };
  }
  const reset = lastKnownTick < stream.firstTick || lastKnownTick > stream.tick;
  let from = reset ? stream.firstTick : lastKnownTick;
  let isReset = reset;
  if (stream.bytesSince(from) > budgetBytes) {
    // too much to send: start over from the newest whole ticks that fit
    isReset = true;
    const log = stream.log();
    let bytes = 0,
      i = log.length;
    while (i > 0) {
      const t = log[i - 1].tick;
      let j = i,
        b = 0;
      while (j > 0 && log[j - 1].tick === t) {
        b += eventWireBytes(log[j - 1]);
        j--;
      }
      if (bytes + b > budgetBytes) break;
      bytes += b;
      i = j;
    }
    from = i < log.length ? log[i].tick : stream.tick;
  }
  const since = stream.since(Math.max(from, stream.firstTick));
  const events = since.kind === 'events' ? filter(since.events) : [];
  // the stream's own '_a' (at startTick) is in these events, or still in the open tick and sent
  // with it; a reset that starts later gets one stamped where it starts
  if (isReset && from > stream.startTick) events.unshift({ tick: from, type: '_a', origin: 0, body: stream.seed });
  return { events, form: isReset ? 'reset' : 'events' };
}

/**
 * The first page of `events` (in tick order): whole ticks, at most `maxEvents` events and about
 * `maxBytes` bytes, but always the first tick whole. `next` is the tick to ask for next (the
 * first tick not in the page), or `end` (the server tick) when the page holds everything.
 */
export function page(events: readonly StreamEvent[], end: number, maxEvents: number, maxBytes: number): { events: StreamEvent[]; next: number; more: boolean } {
  let n = 0,
    bytes = 0;
  while (n < events.length) {
    const t = events[n].tick;
    let j = n,
      b = 0;
    while (j < events.length && events[j].tick === t) {
      b += eventWireBytes(events[j]);
      j++;
    }
    if (n > 0 && (j > maxEvents || bytes + b > maxBytes)) break;
    bytes += b;
    n = j;
  }
  if (n >= events.length) return { events: [...events], next: end, more: false };
  return { events: events.slice(0, n), next: events[n].tick, more: true };
}

let lastSnapshot: { payload: string; redacted: string } | null = null;

/**
 * The '_s' body as clients receive it: its `ids` ('_id' bodies of the present players) redacted
 * like '_id' events ("publicId,role", fanout.ts redactId). One payload is cached (every joiner
 * between two snapshots gets the same one).
 */
export function redactSnapshot(payload: string): string {
  if (lastSnapshot?.payload === payload) return lastSnapshot.redacted;
  let redacted = payload;
  try {
    const v = JSON.parse(payload) as { ids?: unknown };
    if (Array.isArray(v.ids)) {
      v.ids = v.ids.map((b) => redactId({ tick: 0, type: '_id', origin: 0, body: String(b) }).body);
      redacted = JSON.stringify(v);
    }
  } catch {
    /* not JSON: nothing to redact */
  }
  lastSnapshot = { payload, redacted };
  return redacted;
}
