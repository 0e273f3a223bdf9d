/**
 * The canonical order of stream events (seed 000: "if multiple events are queued for the same
 * [recipient] then they are sorted into a 'canonical' order before that state is processed").
 *
 * Within one tick, events are ordered by the key
 *
 *   (tick, class, origin, [subject for '_c'/'_d'], seq, type, body)
 *
 *   class 0  '_a'  reset (origin 0; only at tick 0, always first)
 *   class 1  '_d'  disconnects (origin 0)
 *   class 2  '_c'  connects (origin 0)
 *   class 3  other server events (origin 0, type '_...')
 *   class 4  client events (origin = the client's public id >= 1)
 *
 * `seq` is the per-origin sequence number of the tick: the arrival order of that origin's own
 * events (0, 1, 2, ... per origin per tick). One producer's order is therefore kept, and the
 * interleaving of different producers is erased: a recipient sees the same order whatever order
 * the producers' messages reached it in. For '_c'/'_d' the subject (the public id in the body)
 * comes before seq: there is at most one of each per client per tick, and ordering them by
 * client instead of by which client's packet the server read first keeps connects and
 * disconnects independent of arrival interleaving too. type and body are a last tie-break
 * (UTF-16 code unit order, locale-free) that only matters if a producer reuses a seq.
 *
 * Only each recipient's own order is promised (seed 000: other recipients may see the same
 * events in another order); all recipients of this module's order do agree, since it is a
 * pure function of the events.
 *
 * StreamError lives here because order.ts is the bottom of src/sim's import graph; stream.ts
 * re-exports it.
 */

import { ERROR, type ErrorCode } from '../protocol/errors';
import { SERVER_ORIGIN, type StreamEvent } from '../protocol/messages';

/**
 * An error of the event stream with a wire code from ERROR (src/protocol/errors.ts): BAD_VALUE
 * for a malformed name, id, type, body or tick, NOT_FOUND for an unknown client or stream,
 * UNEXPECTED for a call that is not valid in the current state (e.g. publishing while
 * disconnected, pushing an event of an already delivered tick), INTERNAL for a broken invariant.
 */
export class StreamError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StreamError';
  }
}

/**
 * An event with its per-origin, per-tick sequence number: while the tick is open, the arrival
 * index of the event among its origin's events of the tick; in a closed tick's log
 * (stream.ts), its index among them in canonical order (the same for client events).
 */
export type LoggedEvent = StreamEvent & { readonly seq: number };

/** The class of an event in the canonical order (lower sorts first within a tick). */
export const EVENT_CLASS = { RESET: 0, DISCONNECT: 1, CONNECT: 2, SERVER: 3, CLIENT: 4 } as const;
export type EventClass = (typeof EVENT_CLASS)[keyof typeof EVENT_CLASS];

/** The class of `e`: by type for origin 0 (server), CLIENT for any other origin. */
export function eventClass(e: StreamEvent): EventClass {
  if (e.origin !== SERVER_ORIGIN) return EVENT_CLASS.CLIENT;
  switch (e.type) {
    case '_a':
      return EVENT_CLASS.RESET;
    case '_d':
      return EVENT_CLASS.DISCONNECT;
    case '_c':
      return EVENT_CLASS.CONNECT;
    default:
      return EVENT_CLASS.SERVER;
  }
}

/** Locale-free string order (UTF-16 code units). */
function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Order of decimal public ids as written in '_c'/'_d' bodies: shorter first, then by digits
 * (numeric order for canonical decimals, and still a total order for anything else).
 */
function cmpDecimal(a: string, b: string): number {
  return a.length - b.length || cmpStr(a, b);
}

/**
 * The canonical total order of events: negative if `a` comes first, positive if `b` does, 0
 * only for events equal in every key. Key as in the module comment: tick, class, origin
 * (ascending public id), subject for '_c'/'_d', seq, type, body.
 */
export function compareEvents(a: LoggedEvent, b: LoggedEvent): number {
  if (a.tick !== b.tick) return a.tick - b.tick;
  const ca = eventClass(a),
    cb = eventClass(b);
  if (ca !== cb) return ca - cb;
  if (a.origin !== b.origin) return a.origin - b.origin;
  if (ca === EVENT_CLASS.CONNECT || ca === EVENT_CLASS.DISCONNECT) {
    const c = cmpDecimal(a.body, b.body);
    if (c !== 0) return c;
  }
  if (a.seq !== b.seq) return a.seq - b.seq;
  return cmpStr(a.type, b.type) || cmpStr(a.body, b.body);
}

/**
 * The events queued for one recipient (a script, a shard, the main sim) by several producers,
 * delivered in the canonical order. `push` accepts events in any arrival order; `drain(t)`
 * returns every queued event with tick <= t sorted by `compareEvents`, so the delivered
 * sequence depends only on the set of events pushed, never on the interleaving.
 *
 * Producers must give each of their events a (tick, origin, seq) unique among the events of
 * that tick (the stream does); `T` may carry any payload besides the key.
 */
export class RecipientQueue<T extends LoggedEvent = LoggedEvent> {
  private pending: T[] = [];
  private next = 0;

  /** The first tick not yet delivered (0 before the first drain). */
  get nextTick(): number {
    return this.next;
  }

  /** Number of queued, undelivered events. */
  get size(): number {
    return this.pending.length;
  }

  /**
   * Queue `event`. Throws StreamError UNEXPECTED if its tick was already delivered (a late
   * event would change a past order), BAD_VALUE if tick or seq is not a non-negative integer.
   */
  push(event: T): void {
    if (!Number.isInteger(event.tick) || event.tick < 0 || !Number.isInteger(event.seq) || event.seq < 0) {
      throw new StreamError(ERROR.BAD_VALUE, `event tick ${event.tick} / seq ${event.seq} must be non-negative integers`);
    }
    if (event.tick < this.next) {
      throw new StreamError(ERROR.UNEXPECTED, `event of tick ${event.tick} arrived after ticks < ${this.next} were delivered`);
    }
    this.pending.push(event);
  }

  /**
   * Remove and return, in canonical order, every queued event with tick <= `uptoTick`; later
   * ticks stay queued. Afterwards ticks <= uptoTick count as delivered. Throws StreamError
   * BAD_VALUE if two of the delivered events share (tick, origin, seq) (their order would
   * depend on arrival) or uptoTick is not an integer; the queue is left unchanged then.
   */
  drain(uptoTick: number): T[] {
    if (!Number.isInteger(uptoTick)) throw new StreamError(ERROR.BAD_VALUE, `drain tick ${uptoTick} is not an integer`);
    const out: T[] = [];
    const keep: T[] = [];
    for (const e of this.pending) (e.tick <= uptoTick ? out : keep).push(e);
    out.sort(compareEvents);
    const seen = new Set<string>();
    for (const e of out) {
      const k = `${e.tick}:${e.origin}:${e.seq}`;
      if (seen.has(k)) throw dup(e);
      seen.add(k);
    }
    this.pending = keep;
    if (uptoTick + 1 > this.next) this.next = uptoTick + 1;
    return out;
  }
}

function dup(e: LoggedEvent): StreamError {
  return new StreamError(ERROR.BAD_VALUE, `two events share tick ${e.tick}, origin ${e.origin}, seq ${e.seq}`);
}
