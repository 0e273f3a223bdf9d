/**
 * A region's write set: everything one shard writes into the board of state t + 1 when it
 * steps tick t (assembly/physics/shard.ts shardPublish, steps 3 to 5), read out of one copy of
 * a sharded world's memory and applied to another. This is what makes a shard process on
 * another machine equivalent to a worker thread: the coordinator and every shard process keep
 * a copy of both boards laid out by the same plan (planSharded), and after each tick every copy
 * receives every region's write set, so each holds, byte for byte where any shard reads, the
 * board the shared memory would hold (docs/cluster/design.md).
 *
 * Shard k writes, on the back board and nowhere else outside its own blocks:
 * ```
 *   per slot s on k's list   OWNER[s] (new owner), PUBLISHER[s] = k, VERSION[s], and
 *                            RECORDS[s] when VERSION[s] >= t or FULL_PUBLISH (a body that slept
 *                            through the tick keeps an older version and is not rewritten: the
 *                            board of t + 1 already holds it, shard.ts "Record versions")
 *   k's rows                 LISTS and LIST_START (2 K + 1 bucket starts), TOUCH and TOUCH_COUNT,
 *                            HANDED and HANDED_START (K + 1), BY_SUBJECT (2 i32 per touch entry),
 *                            EVENTS and EVENT_COUNT
 * ```
 * Records travel as deltas (RECORD_WORDS words of 8 bytes each): per written entry a 64-bit
 * mask of the words that differ from the slot's record on the front board (state t), then those
 * words. Every copy holds the same front board wherever a listed body's record is (the front
 * board's owner is a shard: the slot was published at t - 1, and every copy applied that write
 * set, or restored it), so the receiver rebuilds the record from its own front board. A slot the
 * front board does not list (a new body, a despawned slot reused) goes whole (every mask bit
 * set). A moving body changes position, velocity, rotation and a few counters: about a third of
 * its words.
 *
 * Applying the same write set twice leaves the same bytes (idempotent), so a resent or
 * duplicated one is harmless. A write set from the network is checked whole (checkWriteSet)
 * before a byte of it is written: a bad one changes nothing.
 */
import { BODY_RECORD_BYTES, BOARD, BOARD_HEADER_SLOTS, EVENT_BYTES, SHARD_CFG as SC, SHARD_CFG_SLOTS, TOUCH_BYTES } from '../physics/world-layout';
import type { ShardedPlan } from '../physics/shard-plan';

/** 8-byte words of a body record. */
export const RECORD_WORDS = BODY_RECORD_BYTES / 8;
/** The mask of a whole record (every word), as two i32 halves. */
const ALL_LO = -1,
  ALL_HI = (1 << (RECORD_WORDS - 32)) - 1;

/** Set bits of a 32-bit value. */
function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** The configuration words a write set carries back (the shard's counters of its last step). */
export const RESULT_COUNTERS = [
  SC.HANDOFFS,
  SC.STATUS,
  SC.OWNED_COUNT,
  SC.GHOST_COUNT,
  SC.STEP_NS,
  SC.SYNC_VISITS,
  SC.EVENT_VISITS,
  SC.IMPORTS,
  SC.PUBLISHED,
] as const;

/** One region's writes of one tick (see the module comment). Views may alias the memory they were read from. */
export interface WriteSet {
  /** The tick stepped (the write set is of the board of state tick + 1). */
  tick: number;
  /** The region (shard index). */
  region: number;
  /** Every listed record is included (FULL_PUBLISH). */
  full: boolean;
  /** The region's list: slots it published, bucketed by listStart. */
  list: Int32Array;
  /** 2 K + 1 bucket starts into list (bucket 2 m + b: new owner m, border flag b). */
  listStart: Int32Array;
  /** Per list entry: the slot's new owner (BOARD.OWNER). */
  owners: Int32Array;
  /** Per list entry: the slot's record version (BOARD.VERSION). */
  versions: BigInt64Array;
  /**
   * The records of the entries whose version >= tick (all when full), in list order, as deltas
   * against the front board (module comment): per record an i32 pair (mask low 32 bits, high
   * 7 bits), then the masked words.
   */
  records: Uint8Array;
  /** The touch list (TOUCH_BYTES per entry). */
  touch: Uint8Array;
  /** Indices into the touch list, bucketed by handedStart (K + 1 starts). */
  handed: Int32Array;
  handedStart: Int32Array;
  /** Per touch entry: (subject slot, entry index), by subject (BOARD.BY_SUBJECT). */
  bySubject: Int32Array;
  /** Contact events (EVENT_BYTES each). */
  events: Uint8Array;
  /** The configuration words RESULT_COUNTERS, in that order. */
  counters: BigInt64Array;
}

/** A write set failed checkWriteSet: `reason` names the field. Nothing was written. */
export class WriteSetError extends Error {
  constructor(readonly reason: string) {
    super(`bad write set: ${reason}`);
    this.name = 'WriteSetError';
  }
}

/** The records blob as i32 words (a copy when it is not 4-aligned). */
function recordWords(u: Uint8Array): Int32Array {
  const a = u.byteOffset % 4 === 0 ? u : u.slice();
  return new Int32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
}

/** Addresses of one board's arrays (absolute, from its header). */
interface BoardArrays {
  header: BigInt64Array;
  records: number;
  owner: Int32Array;
  publisher: Int32Array;
  version: BigInt64Array;
  lists: number;
  listStart: number;
  touch: number;
  touchCount: BigInt64Array;
  handed: number;
  handedStart: number;
  bySubject: number;
  events: number;
  eventCount: BigInt64Array;
}

function boardArrays(buffer: ArrayBufferLike, plan: ShardedPlan, board: number): BoardArrays {
  const h = new BigInt64Array(buffer, board, BOARD_HEADER_SLOTS);
  const cap = plan.capacity,
    K = plan.shards;
  const at = (f: number): number => Number(h[f]);
  return {
    header: h,
    records: at(BOARD.RECORDS),
    owner: new Int32Array(buffer, at(BOARD.OWNER), cap),
    publisher: new Int32Array(buffer, at(BOARD.PUBLISHER), cap),
    version: new BigInt64Array(buffer, at(BOARD.VERSION), cap),
    lists: at(BOARD.LISTS),
    listStart: at(BOARD.LIST_START),
    touch: at(BOARD.TOUCH),
    touchCount: new BigInt64Array(buffer, at(BOARD.TOUCH_COUNT), K),
    handed: at(BOARD.HANDED),
    handedStart: at(BOARD.HANDED_START),
    bySubject: at(BOARD.BY_SUBJECT),
    events: at(BOARD.EVENTS),
    eventCount: new BigInt64Array(buffer, at(BOARD.EVENT_COUNT), K),
  };
}

/**
 * Reads region k's writes of tick t from the board of state t + 1 of a sharded world's memory
 * (`buffer`, laid out by `plan`), after k stepped t there. Copies everything (the result
 * outlives the next tick).
 */
export function readWriteSet(buffer: ArrayBufferLike, plan: ShardedPlan, k: number, t: number): WriteSet {
  const K = plan.shards,
    cap = plan.capacity;
  const b = boardArrays(buffer, plan, plan.boards[(t + 1) % 2]);
  const cfg = new BigInt64Array(buffer, plan.cfgs[k], SHARD_CFG_SLOTS);
  const full = cfg[SC.FULL_PUBLISH] !== 0n;
  const listStart = new Int32Array(buffer, b.listStart + k * (2 * K + 1) * 4, 2 * K + 1).slice();
  const n = listStart[2 * K];
  const list = new Int32Array(buffer, b.lists + k * cap * 4, n).slice();
  const owners = new Int32Array(n),
    versions = new BigInt64Array(n);
  const f = boardArrays(buffer, plan, plan.boards[t % 2]);
  const T = BigInt(t);
  let nRec = 0;
  for (let q = 0; q < n; q++) {
    const s = list[q];
    owners[q] = b.owner[s];
    versions[q] = b.version[s];
    if (full || versions[q] >= T) nRec++;
  }
  const all = new Uint8Array(buffer);
  const mem = new Int32Array(buffer);
  const out = new Int32Array(nRec * (2 + 2 * RECORD_WORDS));
  let at = 0;
  for (let q = 0; q < n; q++) {
    if (!full && versions[q] < T) continue;
    const s = list[q];
    const src = (b.records + s * BODY_RECORD_BYTES) >> 2;
    if (f.owner[s] < 0) {
      out[at] = ALL_LO;
      out[at + 1] = ALL_HI;
      out.set(mem.subarray(src, src + 2 * RECORD_WORDS), at + 2);
      at += 2 + 2 * RECORD_WORDS;
      continue;
    }
    const base = (f.records + s * BODY_RECORD_BYTES) >> 2;
    const maskAt = at;
    at += 2;
    let lo = 0,
      hi = 0;
    for (let w = 0; w < RECORD_WORDS; w++) {
      const a = mem[src + 2 * w],
        c = mem[src + 2 * w + 1];
      if (a === mem[base + 2 * w] && c === mem[base + 2 * w + 1]) continue;
      if (w < 32) lo |= 1 << w;
      else hi |= 1 << (w - 32);
      out[at++] = a;
      out[at++] = c;
    }
    out[maskAt] = lo;
    out[maskAt + 1] = hi;
  }
  const records = new Uint8Array(out.buffer, 0, at * 4).slice();
  const nc = Number(b.touchCount[k]);
  const touchAt = b.touch + k * plan.touchCap * TOUCH_BYTES;
  const handedStart = new Int32Array(buffer, b.handedStart + k * (K + 1) * 4, K + 1).slice();
  const ne = Number(b.eventCount[k]);
  const eventsAt = b.events + k * plan.eventCap * EVENT_BYTES;
  return {
    tick: t,
    region: k,
    full,
    list,
    listStart,
    owners,
    versions,
    records,
    touch: all.slice(touchAt, touchAt + nc * TOUCH_BYTES),
    handed: new Int32Array(buffer, b.handed + k * plan.touchCap * 4, handedStart[K]).slice(),
    handedStart,
    bySubject: new Int32Array(buffer, b.bySubject + k * plan.touchCap * 8, 2 * nc).slice(),
    events: all.slice(eventsAt, eventsAt + ne * EVENT_BYTES),
    counters: BigInt64Array.from(RESULT_COUNTERS, (f) => cfg[f]),
  };
}

/**
 * Checks a write set against the memory (`buffer`, laid out by `plan`) it is to be applied to: region and sizes within the
 * layout, bucket starts that do not decrease and end at the list's length, slots below
 * `highWater`, owners that are shard indices and agree with their bucket, as many records as
 * the versions call for (each delta's base on this copy's front board), no more handed entries
 * than a row holds (touchCap), handed and by-subject indices inside the touch list. Throws
 * WriteSetError (its `reason` names the field); returns nothing.
 */
export function checkWriteSet(buffer: ArrayBufferLike, plan: ShardedPlan, ws: WriteSet, highWater: number): void {
  const K = plan.shards;
  const bad = (reason: string): never => {
    throw new WriteSetError(reason);
  };
  if (!(Number.isInteger(ws.region) && ws.region >= 0 && ws.region < K)) bad(`region ${ws.region} is not one of the ${K} regions`);
  if (!(Number.isInteger(ws.tick) && ws.tick >= 0)) bad('tick');
  if (ws.listStart.length !== 2 * K + 1) bad(`list_start has ${ws.listStart.length} entries, not 2 K + 1 = ${2 * K + 1}`);
  const n = ws.list.length;
  if (n > plan.capacity) bad('list longer than the capacity');
  if (ws.listStart[0] !== 0 || ws.listStart[2 * K] !== n) bad('list_start does not span the list');
  for (let q = 1; q <= 2 * K; q++) if (ws.listStart[q] < ws.listStart[q - 1]) bad('list_start decreases');
  if (ws.owners.length !== n || ws.versions.length !== n) bad('owners or versions do not match the list');
  for (let bucket = 0; bucket < 2 * K; bucket++) {
    for (let q = ws.listStart[bucket]; q < ws.listStart[bucket + 1]; q++) {
      const s = ws.list[q];
      if (!(s >= 0 && s < highWater)) bad(`slot ${s} beyond the high water ${highWater}`);
      if (ws.owners[q] !== bucket >> 1) bad(`slot ${s}: owner ${ws.owners[q]} is not its bucket's (${bucket >> 1})`);
    }
  }
  // the record deltas: one per entry with a record, each mask within the record's words and
  // its words present; a partial mask needs a base on this copy's front board
  if (ws.records.byteLength % 4 !== 0) bad('records: not whole words');
  const r = recordWords(ws.records);
  const frontOwner = new Int32Array(buffer, Number(new BigInt64Array(buffer, plan.boards[ws.tick % 2], BOARD_HEADER_SLOTS)[BOARD.OWNER]), plan.capacity);
  const T = BigInt(ws.tick);
  let at = 0;
  for (let q = 0; q < ws.list.length; q++) {
    if (!ws.full && ws.versions[q] < T) continue;
    if (at + 2 > r.length) bad(`records: entry ${q} past the end`);
    const lo = r[at],
      hi = r[at + 1];
    if (hi & ~ALL_HI) bad(`records: entry ${q} masks words beyond the record`);
    const whole = lo === ALL_LO && hi === ALL_HI;
    if (!whole && frontOwner[ws.list[q]] < 0) bad(`records: slot ${ws.list[q]} has a delta but no record to apply it to`);
    at += 2 + 2 * (popcount(lo) + popcount(hi));
    if (at > r.length) bad(`records: entry ${q} past the end`);
  }
  if (at !== r.length) bad(`records: ${4 * (r.length - at)} bytes past the last entry`);
  if (ws.touch.byteLength % TOUCH_BYTES !== 0 || ws.touch.byteLength > plan.touchCap * TOUCH_BYTES) bad('touch list size');
  const nc = ws.touch.byteLength / TOUCH_BYTES;
  // a region's HANDED row holds touchCap indices: more would be written into the next region's row
  if (ws.handed.length > plan.touchCap) bad(`handed: ${ws.handed.length} entries, a row holds ${plan.touchCap}`);
  if (ws.handedStart.length !== K + 1 || ws.handedStart[0] !== 0 || ws.handedStart[K] !== ws.handed.length) bad('handed_start');
  for (let m = 1; m <= K; m++) if (ws.handedStart[m] < ws.handedStart[m - 1]) bad('handed_start decreases');
  for (const x of ws.handed) if (!(x >= 0 && x < nc)) bad('handed index outside the touch list');
  if (ws.bySubject.length !== 2 * nc) bad('by_subject size');
  for (let x = 0; x < nc; x++) {
    if (!(ws.bySubject[2 * x] >= 0 && ws.bySubject[2 * x] < highWater)) bad('by_subject slot');
    if (!(ws.bySubject[2 * x + 1] >= 0 && ws.bySubject[2 * x + 1] < nc)) bad('by_subject index');
  }
  if (ws.events.byteLength % EVENT_BYTES !== 0 || ws.events.byteLength > plan.eventCap * EVENT_BYTES) bad('events size');
  if (ws.counters.length !== RESULT_COUNTERS.length) bad('counters');
}

/**
 * Writes a checked write set into the board of state ws.tick + 1 of a sharded world's memory
 * (the same writes the shard made in its own copy), and with `counters`, its counters into the
 * region's configuration block (the coordinator's view of the shard's last step).
 */
export function applyWriteSet(buffer: ArrayBufferLike, plan: ShardedPlan, ws: WriteSet, counters: boolean): void {
  const K = plan.shards,
    cap = plan.capacity,
    k = ws.region;
  const b = boardArrays(buffer, plan, plan.boards[(ws.tick + 1) % 2]);
  const all = new Uint8Array(buffer);
  const mem = new Int32Array(buffer);
  const f = boardArrays(buffer, plan, plan.boards[ws.tick % 2]);
  const r = recordWords(ws.records);
  const t = BigInt(ws.tick);
  for (let q = 0, at = 0; q < ws.list.length; q++) {
    const s = ws.list[q];
    b.owner[s] = ws.owners[q];
    b.publisher[s] = k;
    b.version[s] = ws.versions[q];
    if (!ws.full && ws.versions[q] < t) continue;
    const dst = (b.records + s * BODY_RECORD_BYTES) >> 2;
    const lo = r[at],
      hi = r[at + 1];
    at += 2;
    if (lo === ALL_LO && hi === ALL_HI) {
      mem.set(r.subarray(at, at + 2 * RECORD_WORDS), dst);
      at += 2 * RECORD_WORDS;
      continue;
    }
    const base = (f.records + s * BODY_RECORD_BYTES) >> 2;
    mem.copyWithin(dst, base, base + 2 * RECORD_WORDS);
    for (let w = 0; w < RECORD_WORDS; w++) {
      if (!(w < 32 ? lo & (1 << w) : hi & (1 << (w - 32)))) continue;
      mem[dst + 2 * w] = r[at++];
      mem[dst + 2 * w + 1] = r[at++];
    }
  }
  new Int32Array(buffer, b.lists + k * cap * 4, ws.list.length).set(ws.list);
  new Int32Array(buffer, b.listStart + k * (2 * K + 1) * 4, 2 * K + 1).set(ws.listStart);
  all.set(ws.touch, b.touch + k * plan.touchCap * TOUCH_BYTES);
  b.touchCount[k] = BigInt(ws.touch.byteLength / TOUCH_BYTES);
  new Int32Array(buffer, b.handed + k * plan.touchCap * 4, ws.handed.length).set(ws.handed);
  new Int32Array(buffer, b.handedStart + k * (K + 1) * 4, K + 1).set(ws.handedStart);
  new Int32Array(buffer, b.bySubject + k * plan.touchCap * 8, ws.bySubject.length).set(ws.bySubject);
  all.set(ws.events, b.events + k * plan.eventCap * EVENT_BYTES);
  b.eventCount[k] = BigInt(ws.events.byteLength / EVENT_BYTES);
  if (counters) {
    const cfg = new BigInt64Array(buffer, plan.cfgs[k], SHARD_CFG_SLOTS);
    RESULT_COUNTERS.forEach((f, i) => {
      cfg[f] = ws.counters[i];
    });
  }
}
