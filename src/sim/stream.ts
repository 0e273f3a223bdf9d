/**
 * Event streams with GoEventStream semantics (GoEventStream README, "Overview", "Stream Names",
 * "Client names"; GameSim README for the seed and per-tick Random), without networking: the
 * host's transport calls into this module, the main sim consumes `advance()`'s closed ticks.
 *
 *   StreamHub ── name ──> EventStream
 *                           tick t (open) ── pending events, stamped t
 *                           advance(): silence '_d's, sort canonically, append, t := t + 1
 *                           log: closed ticks, append-only  [firstTick ........ tick)
 *                           snapshots: newest few, state at the START of their tick
 *
 * The server owns the tick: `tick` is the open tick t; every event published now is stamped t.
 * The world at t+1 is a pure function of the state at t and tick t's events in canonical order
 * (order.ts); closed ticks never change. '_a' (body = the seed) is the first event of tick 0.
 *
 * Clients (GoEventStream "Client names"): a private id seen for the first time gets the next
 * public id (1, 2, 3, ...; 0 is the server) and a '_c' (body = public id in decimal). A private
 * id not heard from for `silenceMs` (default 10,000 ms) gets a '_d' when the tick closes; an
 * explicit `disconnect` emits '_d' at once. A known private id that had left gets the same public
 * id back and a new '_c'. Per tick there is at most one '_d' and one '_c' per client, and a '_d'
 * always ends the session that was open before the tick (canonical order puts '_d' before '_c'):
 * a client that leaves in the tick it joined has its '_d' deferred to the next tick, and a client
 * that comes back before that deferred '_d' is stamped simply stays connected.
 *
 * Random (GameSim "SimDriver ... updates the Random value" every tick): tick t's generator is
 * `StreamRandom.forTick(seed, t)` (the seeded xoshiro128** jumped t times, rng.ts). `advance()`
 * returns a fresh copy of the closed tick's generator; `random` is the open tick's generator.
 */

import { createHash, randomBytes } from 'node:crypto';
import { ERROR } from '../protocol/errors';
import { SERVER_ORIGIN, type StreamEvent } from '../protocol/messages';
import { compareEvents, EVENT_CLASS, eventClass, StreamError, type LoggedEvent } from './order';
import { isSeedHex, StreamRandom } from './rng';

export { StreamError } from './order';
export type { LoggedEvent } from './order';

/** A wall clock in milliseconds (only differences matter). */
export interface Clock {
  now(): number;
}

/** `Date.now()`. */
export const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

/** Defaults of StreamOptions: silence 10,000 ms (GoEventStream), 20 Hz, 4,096-byte bodies, 32-char types, 3 snapshots kept. */
export const STREAM_DEFAULTS = {
  silenceMs: 10_000,
  tickRate: 20,
  maxBodyBytes: 4096,
  maxTypeLength: 32,
  maxSnapshots: 3,
  maxEventsPerTick: 65_536,
} as const;

/**
 * Options of one stream. `clock` (ms, default Date.now), `silenceMs` (ms without hearing from a
 * client before its '_d'; > 0), `tickRate` (Hz, > 0; stored for reporting only: the caller calls
 * `advance()` on its own schedule), `seed` (32 hex digits; default 128 random bits from
 * node:crypto), `maxBodyBytes` (UTF-8 bytes, >= 0), `maxTypeLength` (UTF-16 code units, >= 2),
 * `maxSnapshots` (snapshots kept for catch-up, >= 1).
 */
export interface StreamOptions {
  clock?: Clock;
  silenceMs?: number;
  tickRate?: number;
  seed?: string;
  maxBodyBytes?: number;
  maxTypeLength?: number;
  maxSnapshots?: number;
  /**
   * Most events one tick may hold: `publish` (a client event) is refused with RATE_LIMITED once
   * the open tick holds this many events; server events and '_c'/'_d' are never refused (the
   * server bounds those itself). Bounds what one tick, and so one page of catch-up, can weigh.
   * Default 65,536.
   */
  maxEventsPerTick?: number;
  /**
   * The first tick (u32, default 0): '_a' is stamped at it and the log begins there. A host gives
   * a new side stream the world's tick, so a stream forgotten and created again never reuses a
   * tick a client of its earlier life saw (that client's lastKnownTick is then below firstTick, and
   * it is answered with a reset).
   */
  startTick?: number;
}

/** A closed tick: its number, its events in canonical order (frozen), and a fresh copy of its generator. */
export interface ClosedTick {
  readonly tick: number;
  readonly events: readonly LoggedEvent[];
  readonly random: StreamRandom;
}

/** Result of `connect`: the client's public id, and whether this call emitted a '_c'. */
export interface ConnectResult {
  publicId: number;
  connected: boolean;
}

/**
 * A client as listed by `clients()`: public id, connected, last heard (clock ms), and `leaving`
 * (left in the tick it joined; its '_d' is stamped when the tick closes).
 */
export interface ClientInfo {
  publicId: number;
  connected: boolean;
  lastHeardMs: number;
  leaving: boolean;
}

/**
 * Result of `since`: the current server tick and the events of closed ticks in
 * [lastKnownTick, tick), or 'trimmed' when some of those were dropped by `trimBefore`
 * (use `catchUp`, which then answers with a snapshot).
 */
export type SinceResult = { kind: 'events'; tick: number; events: readonly LoggedEvent[] } | { kind: 'trimmed'; tick: number; firstTick: number };

/**
 * A stored snapshot: the world at the START of `tick` (after every event of ticks < tick),
 * its message size in bytes, and an opaque payload owned by the caller.
 */
export interface Snapshot {
  readonly tick: number;
  readonly bytes: number;
  readonly payload: unknown;
}

/**
 * Result of `catchUp`: the current server tick, and either every event since the client's
 * lastKnownTick or a snapshot plus the events of ticks >= snapshot.tick; `bytes` is the
 * estimated wire size (snapshot bytes + `eventWireBytes` of each event).
 */
export type CatchUp =
  | { kind: 'events'; tick: number; events: readonly LoggedEvent[]; bytes: number }
  | { kind: 'snapshot'; tick: number; snapshot: Snapshot; events: readonly LoggedEvent[]; bytes: number };

/**
 * Options of `EventStream.fromLog`: the stream options, `tick` (the open tick to resume at;
 * default last event's tick + 1, since empty ticks leave no trace in the log) and `ids` (the
 * private -> public id table saved with `idTable()`; private ids never appear in the log).
 */
export interface ReplayOptions extends StreamOptions {
  tick?: number;
  ids?: Iterable<readonly [string, number]>;
}

/**
 * A stream's persisted state (EventStream.exportState): seed, open tick, next public id, the
 * client table (private ids included: they never appear in the log) and the open tick's events.
 */
export interface StreamState {
  seed: string;
  tick: number;
  nextId: number;
  clients: Array<{ publicId: number; privateId: string | null; connected: boolean; joinTick: number; leaving: boolean }>;
  pending: StreamEvent[];
}

/** Fixed part of an event's estimated wire size: tick, origin and two length prefixes, u32 each (16 bytes). */
export const EVENT_OVERHEAD_BYTES = 16;

/** Estimated wire size of an event in bytes: 16 + UTF-8 bytes of type + UTF-8 bytes of body. */
export function eventWireBytes(e: StreamEvent): number {
  return EVENT_OVERHEAD_BYTES + Buffer.byteLength(e.type, 'utf8') + Buffer.byteLength(e.body, 'utf8');
}

const STREAM_NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
const PRIVATE_ID_RE = /^[\x20-\x7e]{1,128}$/;
// What a stream keys its clients by: a client's private id, or a host's scoped key (the private
// id prefixed by its principal, src/net/identity.ts), so up to 160 printable ASCII characters.
const CLIENT_KEY_RE = /^[\x20-\x7e]{1,160}$/;
const PUBLIC_ID_RE = /^[1-9][0-9]{0,9}$/;
// An unpaired surrogate: Buffer.byteLength and the digest would silently turn it into U+FFFD.
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const U32_MAX = 0xffffffff;

/** True for a valid stream name: 1..64 characters of [A-Za-z0-9._-]. */
export function isStreamName(name: unknown): name is string {
  return typeof name === 'string' && STREAM_NAME_RE.test(name);
}

/** True for a valid private client id: 1..128 printable ASCII characters (0x20..0x7e). */
export function isPrivateId(id: unknown): id is string {
  return typeof id === 'string' && PRIVATE_ID_RE.test(id);
}

/** True for a key a stream accepts for a client: 1..160 printable ASCII (a private id, or one scoped by the host). */
export function isClientKey(id: unknown): id is string {
  return typeof id === 'string' && CLIENT_KEY_RE.test(id);
}

const isU32 = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= U32_MAX;

function parsePublicId(body: string): number | null {
  if (!PUBLIC_ID_RE.test(body)) return null;
  const n = Number(body);
  return n <= U32_MAX ? n : null;
}

function bad(message: string): StreamError {
  return new StreamError(ERROR.BAD_VALUE, message);
}

/**
 * SHA-256 (hex) of a canonical encoding of `events` in the given order: the ASCII tag "TSLG1",
 * then per event tick (u32 LE), origin (u32 LE), type length (u32 LE, UTF-8 bytes), type,
 * body length (u32 LE), body. seq is not encoded (the order carries it). Throws StreamError
 * BAD_VALUE for a tick or origin outside u32.
 */
export function logDigest(events: Iterable<StreamEvent>): string {
  const h = createHash('sha256');
  h.update('TSLG1');
  const head = Buffer.alloc(12);
  const len = Buffer.alloc(4);
  for (const e of events) {
    if (!isU32(e.tick) || !isU32(e.origin)) throw bad(`event tick ${e.tick} / origin ${e.origin} not u32`);
    const type = Buffer.from(e.type, 'utf8');
    const body = Buffer.from(e.body, 'utf8');
    head.writeUInt32LE(e.tick, 0);
    head.writeUInt32LE(e.origin, 4);
    head.writeUInt32LE(type.length, 8);
    h.update(head);
    h.update(type);
    len.writeUInt32LE(body.length, 0);
    h.update(len);
    h.update(body);
  }
  return h.digest('hex');
}

/** Bookkeeping of one client (never leaves the stream). */
interface Client {
  readonly publicId: number;
  privateId: string | null;
  connected: boolean;
  /** Clock ms of the last message. */
  lastHeard: number;
  /** Tick of the latest '_c' (-1: none known). */
  joinTick: number;
  /** Left during the tick it joined; '_d' is stamped at the start of the next tick. */
  leaving: boolean;
}

function positive(v: number | undefined, dflt: number, what: string, min: number, integer: boolean): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < min || (integer && !Number.isInteger(x))) {
    throw bad(`${what} must be ${integer ? 'an integer ' : ''}>= ${min}, got ${x}`);
  }
  return x;
}

/**
 * One named event stream (GoEventStream). Not thread-safe; one owner calls it (the host's tick
 * loop). Errors are StreamError with codes from ERROR.
 */
export class EventStream {
  /** The stream's name (1..64 of [A-Za-z0-9._-]). */
  readonly name: string;
  /** The seed: 32 hex digits, the '_a' body. */
  readonly seed: string;
  /** Nominal tick rate in Hz (reporting only; the host sets it when an admin changes the rate). */
  tickRate: number;
  /** Silence before a client's '_d', ms. */
  readonly silenceMs: number;
  /** Largest accepted body, UTF-8 bytes. */
  readonly maxBodyBytes: number;
  /** Longest accepted type, UTF-16 code units. */
  readonly maxTypeLength: number;
  /** Snapshots kept for catch-up. */
  readonly maxSnapshots: number;
  /** Most events per tick. */
  readonly maxEventsPerTick: number;
  /** The tick '_a' was stamped at. */
  readonly startTick: number;

  private readonly clock: Clock;
  private openTick = 0;
  private pending: LoggedEvent[] = [];
  private readonly seqs = new Map<number, number>();
  private readonly closed: LoggedEvent[] = [];
  /** cum[i]: estimated bytes of every event ever closed before closed[i] (absolute, survives trims). */
  private readonly cum: number[] = [];
  private totalBytes = 0;
  private first = 0;
  private readonly byPrivate = new Map<string, Client>();
  private readonly byPublic = new Map<number, Client>();
  private nextId = 1;
  private leavers: Client[] = [];
  private stored: Snapshot[] = [];
  /** Pristine generator of the open tick. */
  private base: StreamRandom;
  private readonly rnd: StreamRandom;

  /**
   * A new stream at tick 0 holding '_a' (origin 0, body = seed). Throws StreamError BAD_VALUE
   * for a bad name, seed or option.
   */
  constructor(name: string, opts: StreamOptions = {}) {
    if (!isStreamName(name)) throw bad(`stream name must be 1..64 of [A-Za-z0-9._-], got ${JSON.stringify(name)}`);
    const seed = opts.seed ?? randomBytes(16).toString('hex');
    if (!isSeedHex(seed)) throw bad(`seed must be 32 hex digits, got ${JSON.stringify(seed)}`);
    this.name = name;
    this.seed = seed;
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.silenceMs = positive(opts.silenceMs, STREAM_DEFAULTS.silenceMs, 'silenceMs', 1, false);
    this.tickRate = positive(opts.tickRate, STREAM_DEFAULTS.tickRate, 'tickRate', Number.MIN_VALUE, false);
    this.maxBodyBytes = positive(opts.maxBodyBytes, STREAM_DEFAULTS.maxBodyBytes, 'maxBodyBytes', 0, true);
    this.maxTypeLength = positive(opts.maxTypeLength, STREAM_DEFAULTS.maxTypeLength, 'maxTypeLength', 2, true);
    this.maxSnapshots = positive(opts.maxSnapshots, STREAM_DEFAULTS.maxSnapshots, 'maxSnapshots', 1, true);
    this.maxEventsPerTick = positive(opts.maxEventsPerTick, STREAM_DEFAULTS.maxEventsPerTick, 'maxEventsPerTick', 1, true);
    const start = opts.startTick ?? 0;
    if (!isU32(start) || start >= U32_MAX) throw bad(`startTick ${start} is not a u32`);
    this.startTick = start;
    this.openTick = start;
    this.first = start;
    this.base = start === 0 ? StreamRandom.fromSeed(seed) : StreamRandom.forTick(seed, start);
    this.rnd = this.base.clone();
    this.stamp('_a', SERVER_ORIGIN, seed);
  }

  /** The open tick t (u32): events published now are stamped t; ticks < t are closed. */
  get tick(): number {
    return this.openTick;
  }

  /** The oldest tick still in the log: events of ticks < firstTick were dropped by `trimBefore`. */
  get firstTick(): number {
    return this.first;
  }

  /**
   * The open tick's generator (`StreamRandom.forTick(seed, tick)`), for server-side draws during
   * the tick. The same object throughout; `advance()` resets its state to the next tick's, so
   * draws made on it never affect later ticks.
   */
  get random(): StreamRandom {
    return this.rnd;
  }

  // ---- clients ----

  /**
   * A message from `privateId` (GoEventStream: every post is a connect check). Unknown id: next
   * public id and a '_c' now. Known and disconnected: the same public id and a new '_c' (or, if
   * its '_d' is still deferred, it simply stays connected and no event is emitted). Known and
   * connected: refreshes last-heard. `connected` is true iff this call emitted '_c'.
   * Throws StreamError BAD_VALUE for an id that is not 1..128 printable ASCII characters.
   */
  connect(privateId: string): ConnectResult {
    if (!isClientKey(privateId)) throw bad('private id must be 1..128 printable ASCII characters');
    const now = this.clock.now();
    let c = this.byPrivate.get(privateId);
    if (c === undefined) {
      c = { publicId: this.nextId++, privateId, connected: false, lastHeard: now, joinTick: -1, leaving: false };
      this.byPrivate.set(privateId, c);
      this.byPublic.set(c.publicId, c);
    }
    c.lastHeard = now;
    if (c.connected) return { publicId: c.publicId, connected: false };
    c.connected = true;
    if (c.leaving) {
      c.leaving = false;
      this.leavers = this.leavers.filter((l) => l !== c);
      return { publicId: c.publicId, connected: false };
    }
    c.joinTick = this.openTick;
    this.stamp('_c', SERVER_ORIGIN, String(c.publicId));
    return { publicId: c.publicId, connected: true };
  }

  /** Refresh a connected client's last-heard time. Returns false (and does nothing) if it is unknown or not connected. */
  heard(privateId: string): boolean {
    const c = this.byPrivate.get(privateId);
    if (c === undefined || !c.connected) return false;
    c.lastHeard = this.clock.now();
    return true;
  }

  /**
   * Explicit leave: '_d' now (deferred to the next tick if the client joined in this tick).
   * Returns false if it was not connected. Throws StreamError NOT_FOUND for an unknown id.
   */
  disconnect(privateId: string): boolean {
    const c = this.byPrivate.get(privateId);
    if (c === undefined) throw new StreamError(ERROR.NOT_FOUND, `unknown client in stream ${this.name}`);
    if (!c.connected) return false;
    this.leave(c);
    return true;
  }

  /** The public id of `privateId`, or undefined if this stream has never seen it. */
  publicIdOf(privateId: string): number | undefined {
    return this.byPrivate.get(privateId)?.publicId;
  }

  /** True if public id `publicId` is connected (as of the calls so far, including the open tick). */
  isConnected(publicId: number): boolean {
    return this.byPublic.get(publicId)?.connected ?? false;
  }

  /** Every client this stream knows, ascending public id (private ids are not listed). */
  clients(): ClientInfo[] {
    return [...this.byPublic.values()]
      .sort((a, b) => a.publicId - b.publicId)
      .map((c) => ({ publicId: c.publicId, connected: c.connected, lastHeardMs: c.lastHeard, leaving: c.leaving }));
  }

  /** Clients connected now (the open tick's joins and leaves included). O(clients). */
  connectedCount(): number {
    let n = 0;
    for (const c of this.byPublic.values()) if (c.connected || c.leaving) n++;
    return n;
  }

  /** Clients the stream keeps (connected or not). */
  get clientCount(): number {
    return this.byPublic.size;
  }

  /**
   * Forgets clients that left (their '_d' is stamped) and were not heard from since
   * `beforeMs` (clock ms): their private id and table entry are dropped, so the table holds only
   * recent clients. Their public ids are never given out again: a forgotten private id that
   * comes back gets a new public id and a new '_c'. Returns how many were forgotten.
   */
  forgetDeparted(beforeMs: number): number {
    let n = 0;
    for (const [pub, c] of this.byPublic) {
      if (c.connected || c.leaving || c.lastHeard >= beforeMs) continue;
      this.byPublic.delete(pub);
      if (c.privateId !== null) this.byPrivate.delete(c.privateId);
      n++;
    }
    return n;
  }

  /**
   * Drops the log's events of ticks < `tick` without asking for a covering snapshot (streams
   * that keep none: a catch-up from before firstTick is then a reset, see the host). Snapshots
   * older than `tick` go too. A no-op if tick <= firstTick. Throws StreamError BAD_VALUE unless
   * tick is an integer <= this.tick. Returns the number of events dropped.
   */
  dropBefore(tick: number): number {
    if (!Number.isInteger(tick) || tick > this.openTick) throw bad(`trim tick ${tick} outside ..${this.openTick}`);
    if (tick <= this.first) return 0;
    const n = this.lowerBound(tick);
    this.closed.splice(0, n);
    this.cum.splice(0, n);
    this.first = tick;
    this.stored = this.stored.filter((s) => s.tick >= tick);
    return n;
  }

  /** Estimated wire bytes of the retained events of ticks >= `tick`. */
  bytesSince(tick: number): number {
    return this.bytesFrom(this.lowerBound(tick));
  }

  /**
   * The private -> public id table, ascending public id, to persist beside the log for
   * `fromLog`. Private ids are secrets of their clients: never send this table to anyone.
   */
  idTable(): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    for (const c of [...this.byPublic.values()].sort((a, b) => a.publicId - b.publicId)) {
      if (c.privateId !== null) out.push([c.privateId, c.publicId]);
    }
    return out;
  }

  // ---- events ----

  /**
   * Publish a client event, stamped with the open tick. The client must be connected (StreamError
   * NOT_FOUND if unknown, UNEXPECTED if it left); its last-heard time is refreshed even if the
   * event is then rejected. `type`: 1..maxTypeLength code units, not starting with '_' (reserved
   * for the server); `body`: at most maxBodyBytes UTF-8 bytes; both well-formed UTF-16 (no lone
   * surrogates). Violations throw StreamError BAD_VALUE. Returns the stamped event (frozen).
   */
  publish(privateId: string, type: string, body: string): LoggedEvent {
    const c = this.byPrivate.get(privateId);
    if (c === undefined) throw new StreamError(ERROR.NOT_FOUND, `unknown client in stream ${this.name}: connect first`);
    if (!c.connected) throw new StreamError(ERROR.UNEXPECTED, `client ${c.publicId} is not connected to stream ${this.name}: connect first`);
    c.lastHeard = this.clock.now();
    this.checkClientEvent(type, body);
    this.checkRoom();
    return this.stamp(type, c.publicId, body);
  }

  /**
   * Checks a client event without publishing it (what `publish` checks of type and body), so a
   * caller can check a batch before publishing any of it. Throws StreamError BAD_VALUE.
   */
  checkClientEvent(type: string, body: string): void {
    this.checkType(type, false);
    this.checkBody(body);
  }

  /** Room for `n` more events in the open tick (maxEventsPerTick)? */
  hasRoom(n: number): boolean {
    return this.pending.length + n <= this.maxEventsPerTick;
  }

  /**
   * Publish a server event (origin 0), stamped with the open tick. `type` must start with '_',
   * have 2..maxTypeLength code units and not be '_a', '_c' or '_d' (the stream emits those
   * itself); body as in `publish`. Throws StreamError BAD_VALUE. Returns the stamped event.
   */
  publishServer(type: string, body: string): LoggedEvent {
    this.checkType(type, true);
    this.checkBody(body);
    return this.stamp(type, SERVER_ORIGIN, body);
  }

  /** The open tick's events so far, in canonical order (a copy). */
  openEvents(): LoggedEvent[] {
    return [...this.pending].sort(compareEvents);
  }

  /**
   * Close the open tick t: every connected client not heard from for >= silenceMs (clock ms)
   * gets a '_d' stamped t (ascending public id); tick t's events are sorted into the canonical
   * order, their seq renumbered 0, 1, ... per origin in that order (unchanged for client
   * events; server events may differ from what publishServer returned), and appended to the log; the tick becomes t+1; `random` is reset to tick t+1's
   * generator; deferred '_d's are stamped t+1. Returns tick t's events (frozen) and a fresh copy
   * of tick t's generator. Throws StreamError INTERNAL if t is the last u32.
   */
  advance(): ClosedTick {
    const t = this.openTick;
    if (t >= U32_MAX) throw new StreamError(ERROR.INTERNAL, `stream ${this.name} reached the last u32 tick`);
    const now = this.clock.now();
    for (const c of [...this.byPublic.values()].sort((a, b) => a.publicId - b.publicId)) {
      if (c.connected && now - c.lastHeard >= this.silenceMs) this.leave(c);
    }
    // Sort, then renumber seq by position among the origin's events of the tick: equal to the
    // arrival seq for client events (the sort keeps each origin's order), and for server events
    // it erases which client's packet happened to arrive first, so the log is a function of the
    // tick's events alone and `fromLog` re-derives every seq.
    const counts = new Map<number, number>();
    const events = Object.freeze(
      this.pending.sort(compareEvents).map((e) => {
        const seq = counts.get(e.origin) ?? 0;
        counts.set(e.origin, seq + 1);
        return e.seq === seq ? e : Object.freeze({ ...e, seq });
      }),
    );
    for (const e of events) this.append(e);
    const random = this.base.clone();
    this.pending = [];
    this.seqs.clear();
    this.openTick = t + 1;
    this.base.jump();
    this.rnd.copyFrom(this.base);
    const leavers = this.leavers.sort((a, b) => a.publicId - b.publicId);
    this.leavers = [];
    for (const c of leavers) {
      c.leaving = false;
      this.stamp('_d', SERVER_ORIGIN, String(c.publicId));
    }
    return { tick: t, events, random };
  }

  /**
   * An edge host's copy of the world stream (src/replica/edge.ts): closes the open tick with the
   * events the leader logged for it (canonical order, as the log holds them) instead of this
   * stream's own. Events stamped locally into the open tick are dropped (the log is the world's
   * truth); no silence '_d' is decided here; '_c'/'_d' update the client table as in `resume`;
   * `ids` name the private ids of clients that joined in this tick ([privateId, publicId]).
   * Returns tick t's events (frozen) and its generator, as `advance`. Throws StreamError
   * BAD_VALUE when `tick` is not the open tick or an event is not of it.
   */
  mirrorTick(tick: number, events: readonly StreamEvent[], ids: ReadonlyArray<[string, number]> = []): ClosedTick {
    const t = this.openTick;
    if (tick !== t) throw bad(`mirror: tick ${tick} is not the open tick ${t}`);
    this.pending = [];
    this.seqs.clear();
    for (const c of this.leavers) c.leaving = false;
    this.leavers = [];
    const now = this.clock.now();
    const counts = new Map<number, number>();
    const out: LoggedEvent[] = [];
    for (const e of events) {
      if (e.tick !== t) throw bad(`mirror: event of tick ${e.tick} in tick ${t}`);
      const seq = counts.get(e.origin) ?? 0;
      counts.set(e.origin, seq + 1);
      const le: LoggedEvent = Object.freeze({ tick: t, type: e.type, origin: e.origin, body: e.body, seq });
      const cls = eventClass(le);
      if (cls === EVENT_CLASS.CONNECT || cls === EVENT_CLASS.DISCONNECT) {
        const id = parsePublicId(e.body);
        if (id !== null) {
          let c = this.byPublic.get(id);
          if (c === undefined) {
            c = { publicId: id, privateId: null, connected: false, lastHeard: now, joinTick: -1, leaving: false };
            this.byPublic.set(id, c);
            this.nextId = Math.max(this.nextId, id + 1);
          }
          c.connected = cls === EVENT_CLASS.CONNECT;
          c.lastHeard = now;
          if (c.connected) c.joinTick = t;
        }
      }
      this.append(le);
      out.push(le);
    }
    for (const [priv, pub] of ids) {
      const c = this.byPublic.get(pub);
      if (!c || !isClientKey(priv)) continue;
      if (c.privateId !== null && c.privateId !== priv) this.byPrivate.delete(c.privateId);
      c.privateId = priv;
      this.byPrivate.set(priv, c);
    }
    const random = this.base.clone();
    this.openTick = t + 1;
    this.base.jump();
    this.rnd.copyFrom(this.base);
    return { tick: t, events: Object.freeze(out), random };
  }

  // ---- log, catch-up ----

  /**
   * The retained log: events of closed ticks [firstTick, tick) in canonical order (a read-only
   * view of the live array; it grows on `advance` and shrinks on `trimBefore`).
   */
  log(): readonly LoggedEvent[] {
    return this.closed;
  }

  /** `logDigest` of the retained log (the whole history unless `trimBefore` was called). */
  digest(): string {
    return logDigest(this.closed);
  }

  /**
   * GoEventStream's reply body: the current server tick and the events between lastKnownTick
   * and it. Convention: `lastKnownTick` is the server tick the client last received, i.e. the
   * first tick that was still open then; the client holds every event of ticks < lastKnownTick
   * and receives every event with lastKnownTick <= tick < this.tick (closed ticks only; the open
   * tick is never sent). A fresh client sends 0 and receives everything from '_a'. O(log n).
   * Returns { kind: 'trimmed' } if lastKnownTick < firstTick. Throws StreamError BAD_VALUE if
   * lastKnownTick is not an integer in 0..tick.
   */
  since(lastKnownTick: number): SinceResult {
    this.checkKnownTick(lastKnownTick);
    if (lastKnownTick < this.first) return { kind: 'trimmed', tick: this.openTick, firstTick: this.first };
    return { kind: 'events', tick: this.openTick, events: this.closed.slice(this.lowerBound(lastKnownTick)) };
  }

  /**
   * Store a snapshot of the world at the START of `tick` (after all events of ticks < tick),
   * `bytes` its message size; replaces one of the same tick; keeps the newest `maxSnapshots`.
   * Throws StreamError BAD_VALUE unless firstTick <= tick <= this.tick and bytes is a finite
   * number >= 0. Returns the stored snapshot (frozen).
   */
  addSnapshot(tick: number, bytes: number, payload: unknown): Snapshot {
    if (!Number.isInteger(tick) || tick < this.first || tick > this.openTick) {
      throw bad(`snapshot tick ${tick} outside ${this.first}..${this.openTick}`);
    }
    if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) throw bad(`snapshot bytes ${bytes} invalid`);
    const snap: Snapshot = Object.freeze({ tick, bytes, payload });
    this.stored = this.stored.filter((s) => s.tick !== tick);
    this.stored.push(snap);
    this.stored.sort((a, b) => a.tick - b.tick);
    if (this.stored.length > this.maxSnapshots) this.stored = this.stored.slice(this.stored.length - this.maxSnapshots);
    return snap;
  }

  /** The stored snapshots, ascending tick (a copy). */
  snapshots(): Snapshot[] {
    return [...this.stored];
  }

  /**
   * Drop the log's events of ticks < `tick` (memory). A stored snapshot at a tick >= `tick` must
   * cover them (else StreamError UNEXPECTED); snapshots older than `tick` are dropped too (they
   * would need the dropped events). Afterwards `since(k < tick)` answers 'trimmed' and
   * `catchUp(k < tick)` answers with a snapshot. A no-op if tick <= firstTick. Throws StreamError
   * BAD_VALUE unless tick is an integer <= this.tick. Returns the number of events dropped.
   */
  trimBefore(tick: number): number {
    if (!Number.isInteger(tick) || tick > this.openTick) throw bad(`trim tick ${tick} outside ..${this.openTick}`);
    if (tick <= this.first) return 0;
    if (!this.stored.some((s) => s.tick >= tick)) {
      throw new StreamError(ERROR.UNEXPECTED, `no snapshot at or after tick ${tick} covers the events to drop`);
    }
    return this.dropBefore(tick);
  }

  /**
   * What a client that last received server tick `lastKnownTick` (convention of `since`) needs:
   * every event since, or the snapshot (among those with lastKnownTick < snapshot.tick) plus the
   * events of ticks >= snapshot.tick, whichever is smaller by estimated bytes (`eventWireBytes`
   * per event + snapshot bytes; ties go to events, then to the newer snapshot). Always the
   * snapshot form when lastKnownTick < firstTick. O(log n + snapshots). Throws StreamError
   * BAD_VALUE as `since`, INTERNAL if trimmed events have no covering snapshot (cannot happen
   * through this API).
   */
  catchUp(lastKnownTick: number): CatchUp {
    this.checkKnownTick(lastKnownTick);
    const tick = this.openTick;
    let best: CatchUp | null = null;
    if (lastKnownTick >= this.first) {
      const i = this.lowerBound(lastKnownTick);
      best = { kind: 'events', tick, events: this.closed.slice(i), bytes: this.bytesFrom(i) };
    }
    let bestSnap: { snap: Snapshot; i: number; bytes: number } | null = null;
    for (const snap of this.stored) {
      if (snap.tick <= lastKnownTick || snap.tick < this.first) continue;
      const i = this.lowerBound(snap.tick);
      const bytes = snap.bytes + this.bytesFrom(i);
      if (bestSnap === null || bytes <= bestSnap.bytes) bestSnap = { snap, i, bytes };
    }
    if (bestSnap !== null && (best === null || bestSnap.bytes < best.bytes)) {
      return { kind: 'snapshot', tick, snapshot: bestSnap.snap, events: this.closed.slice(bestSnap.i), bytes: bestSnap.bytes };
    }
    if (best === null) throw new StreamError(ERROR.INTERNAL, `events before tick ${this.first} were trimmed without a snapshot`);
    return best;
  }

  // ---- replay ----

  /**
   * Rebuild a stream from a complete log (starting with '_a' at tick 0, in canonical order, as
   * `log()` of a never-trimmed stream returns it; seq is re-derived from the order): the seed
   * (from '_a'; `opts.seed`, if given, must match), the open tick (`opts.tick`, default last
   * event tick + 1; must exceed it), the connected set and the next public id (from '_c'/'_d'),
   * `random` (forTick(seed, tick)), and the private -> public table from `opts.ids`. Every
   * connected client counts as heard at the clock's now (a fresh silence period); a connected
   * public id without a private id in `ids` can only time out. The live stream's open-tick
   * events (not in the log) are of course not rebuilt. Throws StreamError BAD_VALUE if the log
   * is malformed: not starting with '_a', ticks decreasing, not canonical, '_c' for a connected
   * or '_d' for a disconnected client, a client event from an origin never connected, bad ids.
   */
  static fromLog(name: string, events: readonly StreamEvent[], opts: ReplayOptions = {}): EventStream {
    const a = events[0];
    if (a === undefined || a.tick !== 0 || a.type !== '_a' || a.origin !== SERVER_ORIGIN || !isSeedHex(a.body)) {
      throw bad('a log starts with the _a event (tick 0, origin 0, 32 hex digit seed)');
    }
    if (opts.seed !== undefined && opts.seed.toLowerCase() !== a.body.toLowerCase()) throw bad('opts.seed differs from the _a body');
    const s = new EventStream(name, { ...opts, seed: a.body });
    s.pending = [];
    s.seqs.clear();

    const connected = new Set<number>();
    const everJoined = new Map<number, number>(); // public id -> tick of its last '_c'
    let prev: LoggedEvent | null = null;
    const seqs = new Map<number, number>();
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (!isU32(e.tick) || !isU32(e.origin) || typeof e.type !== 'string' || typeof e.body !== 'string') {
        throw bad(`log event ${i}: tick/origin not u32 or type/body not strings`);
      }
      if (LONE_SURROGATE_RE.test(e.type) || LONE_SURROGATE_RE.test(e.body)) throw bad(`log event ${i}: lone surrogate`);
      if (prev !== null && e.tick !== prev.tick) seqs.clear();
      const seq = seqs.get(e.origin) ?? 0;
      seqs.set(e.origin, seq + 1);
      const le: LoggedEvent = Object.freeze({ tick: e.tick, type: e.type, origin: e.origin, body: e.body, seq });
      if (prev !== null && compareEvents(prev, le) >= 0) throw bad(`log event ${i}: not in canonical order after the previous event`);
      const cls = eventClass(le);
      if (cls === EVENT_CLASS.RESET && i !== 0) throw bad(`log event ${i}: a second _a`);
      if (cls === EVENT_CLASS.CONNECT || cls === EVENT_CLASS.DISCONNECT) {
        const id = parsePublicId(e.body);
        if (id === null) throw bad(`log event ${i}: ${e.type} body ${JSON.stringify(e.body)} is not a public id`);
        if (cls === EVENT_CLASS.CONNECT) {
          if (connected.has(id)) throw bad(`log event ${i}: _c for connected client ${id}`);
          connected.add(id);
          everJoined.set(id, e.tick);
        } else {
          if (!connected.has(id)) throw bad(`log event ${i}: _d for disconnected client ${id}`);
          connected.delete(id);
        }
      } else if (cls === EVENT_CLASS.SERVER && !e.type.startsWith('_')) {
        throw bad(`log event ${i}: server event type must start with _`);
      } else if (cls === EVENT_CLASS.CLIENT) {
        if (e.type.startsWith('_')) throw bad(`log event ${i}: client event type starts with _`);
        if (!everJoined.has(e.origin)) throw bad(`log event ${i}: origin ${e.origin} never connected`);
      }
      s.append(le);
      prev = le;
    }

    const last = events[events.length - 1].tick;
    const open = opts.tick ?? last + 1;
    if (!isU32(open) || open <= last) throw bad(`resume tick ${open} must be a u32 > last logged tick ${last}`);
    s.openTick = open;
    s.base = StreamRandom.forTick(s.seed, open);
    s.rnd.copyFrom(s.base);

    const privOf = new Map<number, string>();
    const seenPriv = new Set<string>();
    for (const [priv, pub] of opts.ids ?? []) {
      if (!isClientKey(priv) || !isU32(pub) || pub < 1) throw bad('ids: entries are [private id, public id >= 1]');
      if (seenPriv.has(priv) || privOf.has(pub)) throw bad(`ids: duplicate entry for public id ${pub}`);
      seenPriv.add(priv);
      privOf.set(pub, priv);
    }
    const now = s.clock.now();
    const all = [...new Set([...everJoined.keys(), ...privOf.keys()])].sort((x, y) => x - y);
    for (const id of all) {
      const c: Client = {
        publicId: id,
        privateId: privOf.get(id) ?? null,
        connected: connected.has(id),
        lastHeard: now,
        joinTick: everJoined.get(id) ?? -1,
        leaving: false,
      };
      s.byPublic.set(id, c);
      if (c.privateId !== null) s.byPrivate.set(c.privateId, c);
    }
    s.nextId = (all.length > 0 ? all[all.length - 1] : 0) + 1;
    return s;
  }

  // ---- persistence ----

  /**
   * The stream's state for a persisted snapshot: seed, open tick, the clients (public id,
   * private id, connected, tick of the last '_c') and the open tick's events so far. With the
   * closed events from `tick` on (none, if taken right after `advance()`), `resume` continues it.
   */
  exportState(): StreamState {
    return {
      seed: this.seed,
      tick: this.openTick,
      nextId: this.nextId,
      clients: [...this.byPublic.values()]
        .sort((a, b) => a.publicId - b.publicId)
        .map((c) => ({ publicId: c.publicId, privateId: c.privateId, connected: c.connected, joinTick: c.joinTick, leaving: c.leaving })),
      pending: this.pending.map((e) => ({ tick: e.tick, type: e.type, origin: e.origin, body: e.body })),
    };
  }

  /**
   * A stream resumed from `state` (exportState at open tick s) and the closed events of ticks
   * s.. (canonical order, as the log holds them): the log starts at s (firstTick = s), every
   * connected client counts as heard now, '_c'/'_d' in `events` update the client table, and the
   * open tick is the last event's tick + 1 (or `opts.tick`, at least s); `opts.ids` names the
   * private ids of clients that joined after s (they are not in the log). The open-tick events of
   * `state` are kept when no closed event follows. Throws StreamError BAD_VALUE for a state or
   * events that do not fit together.
   */
  static resume(name: string, state: StreamState, events: readonly StreamEvent[], opts: ReplayOptions = {}): EventStream {
    const s = new EventStream(name, { ...opts, seed: state.seed });
    s.pending = [];
    s.seqs.clear();
    s.first = state.tick;
    const now = s.clock.now();
    for (const c of state.clients) {
      const client: Client = { publicId: c.publicId, privateId: c.privateId, connected: c.connected, lastHeard: now, joinTick: c.joinTick, leaving: false };
      s.byPublic.set(c.publicId, client);
      if (c.privateId !== null) s.byPrivate.set(c.privateId, client);
    }
    s.nextId = state.nextId;
    let last = state.tick - 1;
    const seqs = new Map<number, number>();
    let prevTick = -1;
    for (const e of events) {
      if (!isU32(e.tick) || e.tick < state.tick || e.tick < last)
        throw bad(`resume: event at tick ${e.tick} before the state's tick ${state.tick} or out of order`);
      if (e.tick !== prevTick) {
        seqs.clear();
        prevTick = e.tick;
      }
      const seq = seqs.get(e.origin) ?? 0;
      seqs.set(e.origin, seq + 1);
      const le: LoggedEvent = Object.freeze({ tick: e.tick, type: e.type, origin: e.origin, body: e.body, seq });
      const cls = eventClass(le);
      if (cls === EVENT_CLASS.CONNECT || cls === EVENT_CLASS.DISCONNECT) {
        const id = parsePublicId(e.body);
        const c = id === null ? undefined : s.byPublic.get(id);
        if (id !== null && c === undefined) {
          const fresh: Client = { publicId: id, privateId: null, connected: false, lastHeard: now, joinTick: -1, leaving: false };
          s.byPublic.set(id, fresh);
          s.nextId = Math.max(s.nextId, id + 1);
        }
        const cl = s.byPublic.get(id as number) as Client;
        cl.connected = cls === EVENT_CLASS.CONNECT;
        if (cl.connected) cl.joinTick = e.tick;
      }
      s.append(le);
      last = e.tick;
    }
    for (const [priv, pub] of opts.ids ?? []) {
      // private ids of clients that joined after the state
      const c = s.byPublic.get(pub);
      if (!c || !isClientKey(priv) || (c.privateId !== null && c.privateId !== priv)) throw bad(`resume: id entry [${priv}, ${pub}] does not fit the log`);
      c.privateId = priv;
      s.byPrivate.set(priv, c);
    }
    const open = opts.tick ?? Math.max(state.tick, last + 1);
    if (!isU32(open) || open <= last || open < state.tick) throw bad(`resume tick ${open} must be > ${last} and >= ${state.tick}`);
    s.openTick = open;
    s.base = StreamRandom.forTick(s.seed, open);
    s.rnd.copyFrom(s.base);
    if (open === state.tick) for (const e of state.pending) s.stamp(e.type, e.origin, e.body);
    return s;
  }

  // ---- internals ----

  /** Stamp an event with the open tick and its origin's next seq; queue it. */
  private stamp(type: string, origin: number, body: string): LoggedEvent {
    const seq = this.seqs.get(origin) ?? 0;
    this.seqs.set(origin, seq + 1);
    const e: LoggedEvent = Object.freeze({ tick: this.openTick, type, origin, body, seq });
    this.pending.push(e);
    return e;
  }

  /** Mark `c` gone: '_d' now, or deferred to the next tick if its '_c' is in this tick (keeps '_d' before '_c' meaningful). */
  private leave(c: Client): void {
    c.connected = false;
    if (c.joinTick === this.openTick) {
      c.leaving = true;
      this.leavers.push(c);
    } else {
      this.stamp('_d', SERVER_ORIGIN, String(c.publicId));
    }
  }

  private append(e: LoggedEvent): void {
    this.cum.push(this.totalBytes);
    this.totalBytes += eventWireBytes(e);
    this.closed.push(e);
  }

  /** Estimated bytes of closed[i..]. */
  private bytesFrom(i: number): number {
    return i < this.closed.length ? this.totalBytes - this.cum[i] : 0;
  }

  /** First index of `closed` with tick >= `tick` (binary search). */
  private lowerBound(tick: number): number {
    let lo = 0,
      hi = this.closed.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.closed[mid].tick < tick) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private checkKnownTick(k: number): void {
    if (!Number.isInteger(k) || k < 0 || k > this.openTick) throw bad(`lastKnownTick ${k} outside 0..${this.openTick}`);
  }

  private checkType(type: string, server: boolean): void {
    if (typeof type !== 'string' || type.length < 1 || type.length > this.maxTypeLength) {
      throw bad(`event type must be 1..${this.maxTypeLength} characters`);
    }
    if (LONE_SURROGATE_RE.test(type)) throw bad('event type is not well-formed UTF-16');
    if (!server && type.startsWith('_')) throw bad(`event type ${JSON.stringify(type)}: types starting with _ are reserved for the server`);
    if (server) {
      if (!type.startsWith('_') || type.length < 2) throw bad(`server event type ${JSON.stringify(type)} must be _ and a name`);
      if (type === '_a' || type === '_c' || type === '_d') throw bad(`${type} is emitted by the stream itself`);
    }
  }

  private checkRoom(): void {
    if (this.pending.length >= this.maxEventsPerTick)
      throw new StreamError(ERROR.RATE_LIMITED, `stream ${this.name}: tick ${this.openTick} holds ${this.maxEventsPerTick} events, the most a tick may hold`);
  }

  private checkBody(body: string): void {
    if (typeof body !== 'string') throw bad('event body must be a string');
    if (LONE_SURROGATE_RE.test(body)) throw bad('event body is not well-formed UTF-16');
    const n = Buffer.byteLength(body, 'utf8');
    if (n > this.maxBodyBytes) throw bad(`event body is ${n} bytes, more than ${this.maxBodyBytes}`);
  }
}

/**
 * Many named streams on one host (GoEventStream "Stream Names": a stream is identified only by
 * its name; each has its own id mapping, seed and tick). `defaults` apply to every stream
 * created; per-stream options given to the first `stream(name, opts)` override them.
 */
export class StreamHub {
  private readonly streams = new Map<string, EventStream>();

  /** `defaults`: StreamOptions for every new stream (a fixed `seed` here would give every stream the same seed). */
  constructor(private readonly defaults: StreamOptions = {}) {}

  /**
   * The stream `name`, created on first use (with '_a' at tick 0). `opts` only apply at creation.
   * Throws StreamError BAD_VALUE for a name that is not 1..64 of [A-Za-z0-9._-] or bad options.
   */
  stream(name: string, opts: StreamOptions = {}): EventStream {
    if (!isStreamName(name)) throw bad(`stream name must be 1..64 of [A-Za-z0-9._-], got ${JSON.stringify(name)}`);
    let s = this.streams.get(name);
    if (s === undefined) {
      s = new EventStream(name, { ...this.defaults, ...opts });
      this.streams.set(name, s);
    }
    return s;
  }

  /** The stream `name` if it exists. */
  get(name: string): EventStream | undefined {
    return this.streams.get(name);
  }

  /** Names of all streams, ascending (code unit order). */
  list(): string[] {
    return [...this.streams.keys()].sort();
  }

  /** Adds a stream built elsewhere (EventStream.resume after a restart). Throws StreamError UNEXPECTED if the name is taken. */
  adopt(stream: EventStream): EventStream {
    if (this.streams.has(stream.name)) throw new StreamError(ERROR.UNEXPECTED, `stream ${stream.name} exists`);
    this.streams.set(stream.name, stream);
    return stream;
  }

  /** Remove the stream `name` (its log and id mapping are gone); false if it did not exist. */
  delete(name: string): boolean {
    return this.streams.delete(name);
  }

  /** Number of streams. */
  get size(): number {
    return this.streams.size;
  }
}
