// One tick of one physics shard (src/physics/sharded.ts drives it; DESIGN.md "Shards").
//
// A sharded world publishes its state on two boards that alternate: the board of state t
// (FRONT) is immutable while tick t runs and every thread may read it; each shard writes
// only its own bodies into the board of state t + 1 (BACK). A board holds, per slot, the
// body's record and its owner (the shard with authority, OWNER_NONE, OWNER_STATIC), and per
// shard a touch list and an event list (layout: BOARD in src/physics/world-layout.ts).
// Commands of tick t arrive as an overlay: records stamped t + 1 replace the front board's.
//
// shardTick(cfg), for shard k:
//   1. sync: for every slot, take the overlay's record if stamped, else the front board's.
//      Owner k: the body is k's (imported unless k's world already holds exactly that state,
//      i.e. k owned it last tick and no command changed it). Another owner, within HALO of
//      k's region: imported as a ghost (overwritten in place). Otherwise: dropped.
//   2. step the world (worldStep).
//   3. publish: every body k has authority over is written to the back board with its new
//      owner, the region that holds its new reference point (x, z): a body that crossed a
//      border is handed off at the tick boundary, no tick lost or repeated. Regions are
//      half-open, [cut_k, cut_k+1), so each point has exactly one owner.
//   4. touch list: "A touches B" for every touching pair of the tick where k reports on A:
//      k has authority over A, or A is static and k has authority over B. Sorted by (A, B).
//   5. events by authority: k's BEGIN / END events are the difference between the touch
//      entries k reports on now and the entries reported on the same bodies at t - 1, by
//      whichever shard owned them then (read from every shard's list on the front board).
//      The union over shards is the unsharded world's event list, each pair seen from
//      both sides ("A hit by B" from A's shard, "B hit by A" from B's).
//
// The halo must cover what a reported-on body depends on: the solver's interaction range
// (solver.ts) for the state, and for the touch set of a body handed over one contact
// distance later; src/physics/sharded.ts derives it. Shard worlds never allocate slots:
// every slot comes from the sharded world's registry, so a body has the same slot and
// generation (its handle) in every world.

import {
  P_PX, P_PZ, P_FLAGS, P_GENERATION, P_KIND,
  H_HIGH_WATER, H_CAPACITY, H_TICK, H_STATUS, H_PREV_TOUCH_COUNT, P_PREV_TOUCH,
  SC_INDEX, SC_COUNT, SC_NX, SC_NZ, SC_CUTS, SC_HALO, SC_WORLD, SC_TICK, SC_HIGH_WATER, SC_FRONT, SC_BACK,
  SC_OVERLAY_REC, SC_OVERLAY_TICK, SC_OVERLAY_OWNER, SC_OWNED, SC_SCR_OWNED, SC_SCR_COUNTS,
  SC_SCR_A, SC_SCR_B, SC_SCR_C, SC_SCR_ENTRIES, SC_TOUCH_CAP, SC_EVENT_CAP, SC_CAPACITY,
  SC_HANDOFFS, SC_STATUS, SC_OWNED_COUNT, SC_GHOST_COUNT, SC_TRAP,
  SS_TOUCH_OVERFLOW, SS_EVENT_OVERFLOW, SS_WORLD_OVERFLOW, SS_IMPORT_FAILED, SS_SCRATCH_OVERFLOW,
  OWNER_NONE, OWNER_STATIC, BD_RECORDS, BD_OWNER, BD_TOUCH, BD_EVENTS, BD_TOUCH_COUNT, BD_EVENT_COUNT,
  BD_TICK, BD_HIGH_WATER, BODY_RECORD_BYTES, TOUCH_BYTES, EVENT_BYTES, EV_KIND, EV_A, EV_A_GEN, EV_B, EV_B_GEN,
  EVENT_BEGIN, EVENT_END, FLAG_LIVE, KIND_STATIC, STATUS_CONTACT_OVERFLOW,
} from './layout';
import { g64, g32, s32, hdr, setHdr, worldBind, registerBody, unregisterBody, noteBoundingRadius, staticsChanged, listBody, unlistBody, worldRelist } from './world';
import { writeBodyRecord, readBodyRecord } from './transfer';
import { worldStep } from './step';
import { xxh64 } from '../hash/xxhash64';

/** Configuration block of the shard being run (SC_* slots). */
let C: usize = 0;

// @ts-ignore: decorator
@inline function cfg(k: i32): i64 { return load<i64>(C + (<usize>k << 3)); }
// @ts-ignore: decorator
@inline function setCfg(k: i32, v: i64): void { store<i64>(C + (<usize>k << 3), v); }
/** Address in slot k of a board header. */
// @ts-ignore: decorator
@inline function bd(board: usize, k: i32): usize { return <usize>load<i64>(board + (<usize>k << 3)); }
// @ts-ignore: decorator
@inline function i32At(p: usize, i: i32): i32 { return load<i32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function recAt(p: usize, s: i32): usize { return p + <usize>s * BODY_RECORD_BYTES; }
// @ts-ignore: decorator
@inline function entry(p: usize, i: i32): usize { return p + (<usize>i << 4); }

// ---- regions ----

/** Index of the interval of the n sorted cuts at p holding v: the number of cuts <= v. */
function interval(p: usize, n: i32, v: i64): i32 {
  let k = 0;
  while (k < n && v >= load<i64>(p + (<usize>k << 3))) k++;
  return k;
}

/** The shard whose region holds (x, z) (raw metres). */
function regionOf(x: i64, z: i64): i32 {
  const nx = <i32>cfg(SC_NX), nz = <i32>cfg(SC_NZ), cuts = <usize>cfg(SC_CUTS);
  return interval(cuts + (<usize>(nx - 1) << 3), nz - 1, z) * nx + interval(cuts, nx - 1, x);
}

/** Distance from v to interval k of the n cuts at p (0 inside), at most `cap`. */
function axisDistance(p: usize, n: i32, k: i32, v: i64, cap: i64): i64 {
  if (k > 0) {
    const lo = load<i64>(p + (<usize>(k - 1) << 3));
    if (v < lo) return min(lo - v, cap);
  }
  if (k < n) {
    const hi = load<i64>(p + (<usize>k << 3));
    if (v >= hi) return min(v - hi, cap);
  }
  return 0;
}

/** Whether (x, z) lies within HALO of shard k's region (Euclidean distance in x/z). */
function nearRegion(k: i32, x: i64, z: i64): bool {
  const nx = <i32>cfg(SC_NX), nz = <i32>cfg(SC_NZ), cuts = <usize>cfg(SC_CUTS), halo = cfg(SC_HALO);
  const dx = axisDistance(cuts, nx - 1, k % nx, x, halo + 1);
  const dz = axisDistance(cuts + (<usize>(nx - 1) << 3), nz - 1, k / nx, z, halo + 1);
  return dx * dx + dz * dz <= halo * halo;
}

// ---- bodies of the bound shard world ----

/** Marks live slot s dead and takes it out of its list (no free list: shard worlds never allocate slots). */
function drop(s: i32): void {
  unlistBody(s);
  unregisterBody(s);
}

/** Puts the record at r into its slot s, creating or overwriting the body. False if s is out of range. */
function put(s: i32, r: usize): bool {
  if (<i64>s >= hdr(H_CAPACITY)) return false;
  const hw = <i32>hdr(H_HIGH_WATER);
  if (s >= hw) {
    for (let q = hw; q < s; q++) s32(P_FLAGS, q, 0);
    setHdr(H_HIGH_WATER, s + 1);
  }
  let live = s < hw && (g32(P_FLAGS, s) & FLAG_LIVE) != 0;
  if (live && (g32(P_GENERATION, s) != load<i32>(r) || g32(P_KIND, s) != <i32>(load<i64>(r, 8) >> 32))) {
    drop(s);
    live = false;
  }
  if (live) unlistBody(s);                       // relisted by the record's flags below
  readBodyRecord(s, r);
  if (!live) registerBody(s, g32(P_KIND, s));
  else {
    listBody(s);
    if (g32(P_KIND, s) == KIND_STATIC) staticsChanged();
  }
  noteBoundingRadius(s, g32(P_KIND, s));
  return true;
}

// @ts-ignore: decorator
@inline function isLive(s: i32): bool {
  return s < <i32>hdr(H_HIGH_WATER) && (g32(P_FLAGS, s) & FLAG_LIVE) != 0;
}

// ---- sorting touch entries (16 bytes: key = A << 32 | B, then A's and B's generations) ----

/**
 * Stable counting sort of n entries from src to dst by the 32-bit half of the key at
 * `shift` (32: A, 0: B); slots are below hw. Linear in n + hw.
 */
function countingSort(src: usize, n: i32, dst: usize, shift: u64, hw: i32): void {
  const counts = <usize>cfg(SC_SCR_COUNTS);
  memory.fill(counts, 0, <usize>(hw + 1) << 2);
  for (let i = 0; i < n; i++) {
    const v = <i32>(<u32>(load<u64>(entry(src, i)) >> shift));
    store<i32>(counts + (<usize>(v + 1) << 2), i32At(counts, v + 1) + 1);
  }
  for (let v = 1; v <= hw; v++) store<i32>(counts + (<usize>v << 2), i32At(counts, v) + i32At(counts, v - 1));
  for (let i = 0; i < n; i++) {
    const e = entry(src, i);
    const v = <i32>(<u32>(load<u64>(e) >> shift));
    const at = i32At(counts, v);
    store<i32>(counts + (<usize>v << 2), at + 1);
    memory.copy(entry(dst, at), e, 16);
  }
}

/** Merges two runs sorted by key into dst (at most cap entries); returns the count, or -1 on overflow. */
function mergeRuns(a: usize, na: i32, b: usize, nb: i32, dst: usize, cap: i32): i32 {
  if (na + nb > cap) return -1;
  let i = 0, j = 0, o = 0;
  while (i < na || j < nb) {
    if (j >= nb || (i < na && load<u64>(entry(a, i)) < load<u64>(entry(b, j)))) { memory.copy(entry(dst, o), entry(a, i), 16); i++; }
    else { memory.copy(entry(dst, o), entry(b, j), 16); j++; }
    o++;
  }
  return o;
}

// ---- one tick ----

/** Whether shard k reports on slot s this tick (it has authority over it; OWNED is up to date). */
// @ts-ignore: decorator
@inline function owns(s: i32): bool { return load<u8>(<usize>cfg(SC_OWNED) + <usize>s) != 0; }

/**
 * Whether shard k reports on body (s, gen) at tick t for its entries of t - 1: k has
 * authority over it after the tick's commands, or k had authority at t and a command
 * despawned it (so its END events still come from one shard).
 */
function responsible(k: i32, s: i32, gen: i32, stamp: i32): bool {
  const F = <usize>cfg(SC_FRONT);
  const ov = i32At(<usize>cfg(SC_OVERLAY_TICK), s) == stamp;
  const fOwn = i32At(bd(F, BD_OWNER), s), fGen = load<i32>(recAt(bd(F, BD_RECORDS), s));
  const own = ov ? i32At(<usize>cfg(SC_OVERLAY_OWNER), s) : fOwn;
  const g = ov ? load<i32>(recAt(<usize>cfg(SC_OVERLAY_REC), s)) : fGen;
  if (own == k && g == gen) return true;
  return fOwn == k && fGen == gen && !(own >= 0 && g == gen);
}

/** Appends an event for the touch entry e to the list at p (n events so far, cap max); returns the new count. */
function pushEvent(p: usize, n: i32, cap: i32, kind: i32, e: usize): i32 {
  if (n >= cap) { setCfg(SC_STATUS, cfg(SC_STATUS) | SS_EVENT_OVERFLOW); return n; }
  const key = load<u64>(e);
  const r = p + <usize>n * EVENT_BYTES;
  store<u32>(r, kind, EV_KIND);
  store<u32>(r, <u32>(key >> 32), EV_A); store<u32>(r, load<u32>(e, 8), EV_A_GEN);
  store<u32>(r, <u32>key, EV_B); store<u32>(r, load<u32>(e, 12), EV_B_GEN);
  return n + 1;
}

/**
 * Runs tick t of the shard whose configuration block is at `cfgAddr` (see the module
 * comment). Results in the block: HANDOFFS, STATUS, OWNED_COUNT, GHOST_COUNT. Returns 0,
 * or -1 if the shard's world header is bad. Traps (unreachable) when the TRAP test hook is set.
 */
export function shardTick(cfgAddr: usize): i32 {
  C = cfgAddr;
  if (worldBind(<usize>cfg(SC_WORLD)) != 0) return -1;
  const k = <i32>cfg(SC_INDEX), t = cfg(SC_TICK), stamp = <i32>(t + 1);
  const F = <usize>cfg(SC_FRONT), B = <usize>cfg(SC_BACK);
  const fRec = bd(F, BD_RECORDS), fOwn = bd(F, BD_OWNER), bRec = bd(B, BD_RECORDS), bOwn = bd(B, BD_OWNER);
  const ovRec = <usize>cfg(SC_OVERLAY_REC), ovTick = <usize>cfg(SC_OVERLAY_TICK), ovOwn = <usize>cfg(SC_OVERLAY_OWNER);
  const owned = <usize>cfg(SC_OWNED), list = <usize>cfg(SC_SCR_OWNED);
  const hwG = <i32>cfg(SC_HIGH_WATER);
  let status: i64 = 0, n = 0, ghosts = 0;
  setHdr(H_TICK, t);

  // 1. sync from state t and the command overlay
  for (let s = 0; s < hwG; s++) {
    const ov = i32At(ovTick, s) == stamp;
    const own = ov ? i32At(ovOwn, s) : i32At(fOwn, s);
    const was = load<u8>(owned + <usize>s);
    store<u8>(owned + <usize>s, 0);
    if (own == OWNER_STATIC) continue;            // in every world from the start, never changed
    const live = isLive(s);
    if (own < 0) {
      if (live) drop(s);
      if (k == 0) store<i32>(bOwn + (<usize>s << 2), OWNER_NONE);
      continue;
    }
    const r = recAt(ov ? ovRec : fRec, s);
    if (own == k) {
      if (ov || was == 0 || !live || g32(P_GENERATION, s) != load<i32>(r)) {
        if (!put(s, r)) { status |= SS_IMPORT_FAILED; continue; }
      }
      store<u8>(owned + <usize>s, 1);
      store<i32>(list + (<usize>n << 2), s);
      n++;
    } else if (nearRegion(k, load<i64>(r, 32), load<i64>(r, 48))) {
      if (!put(s, r)) { status |= SS_IMPORT_FAILED; continue; }
      ghosts++;
    } else if (live) {
      drop(s);
    }
  }
  if (cfg(SC_TRAP) != 0) {                         // test hook: a real trap, mid-tick
    setCfg(SC_TRAP, 0);
    unreachable();
  }

  // 2. step
  worldStep();
  if ((hdr(H_STATUS) & STATUS_CONTACT_OVERFLOW) != 0) status |= SS_WORLD_OVERFLOW;

  // 3. publish our bodies into state t + 1, with their new owner
  let handoffs = 0;
  for (let q = 0; q < n; q++) {
    const s = i32At(list, q);
    writeBodyRecord(s, recAt(bRec, s));
    const to = regionOf(g64(P_PX, s), g64(P_PZ, s));
    store<i32>(bOwn + (<usize>s << 2), to);
    const before = i32At(fOwn, s);
    if (before >= 0 && before != to) handoffs++;
  }

  // 4. our touch list: L1 = (i, j) entries in pair order, L2 = (j, i) entries sorted by j
  const sa = <usize>cfg(SC_SCR_A), sb = <usize>cfg(SC_SCR_B), sc = <usize>cfg(SC_SCR_C);
  const room = <i32>cfg(SC_SCR_ENTRIES), touchCap = <i32>cfg(SC_TOUCH_CAP), eventCap = <i32>cfg(SC_EVENT_CAP);
  const hw = <i32>hdr(H_HIGH_WATER) > hwG ? <i32>hdr(H_HIGH_WATER) : hwG;
  const tc = <i32>hdr(H_PREV_TOUCH_COUNT);
  let n1 = 0, n2 = 0;
  for (let q = 0; q < tc; q++) {
    const e = entry(P_PREV_TOUCH, q);
    const key = load<u64>(e);
    const i = <i32>(key >> 32), j = <i32><u32>key;
    const oi = owns(i), oj = owns(j);
    const si = g32(P_KIND, i) == KIND_STATIC, sj = g32(P_KIND, j) == KIND_STATIC;
    if ((oi || (si && oj)) && n1 < room) { memory.copy(entry(sa, n1), e, 16); n1++; }
    if ((oj || (sj && oi)) && n2 < room) {
      const d = entry(sb, n2);
      store<u64>(d, ((<u64>j) << 32) | <u64>i);
      store<u32>(d, load<u32>(e, 12), 8);
      store<u32>(d, load<u32>(e, 8), 12);
      n2++;
    }
  }
  if (n1 >= room || n2 >= room) status |= SS_SCRATCH_OVERFLOW;
  countingSort(sb, n2, sc, 32, hw);
  const myTouch = bd(B, BD_TOUCH) + (<usize>k * <usize>touchCap << 4);
  let nc = mergeRuns(sa, n1, sc, n2, myTouch, touchCap);
  if (nc < 0) { status |= SS_TOUCH_OVERFLOW; nc = 0; }
  store<i64>(bd(B, BD_TOUCH_COUNT) + (<usize>k << 3), nc);

  // 5. events: entries of t - 1 on the bodies we report on now, against our touch list
  const K = <i32>cfg(SC_COUNT);
  let np = 0;
  for (let q = 0; q < K; q++) {
    const lst = bd(F, BD_TOUCH) + (<usize>q * <usize>touchCap << 4);
    const cnt = <i32>load<i64>(bd(F, BD_TOUCH_COUNT) + (<usize>q << 3));
    for (let x = 0; x < cnt; x++) {
      const e = entry(lst, x);
      const key = load<u64>(e);
      const a = <i32>(key >> 32), b = <i32><u32>key;
      const subject = g32(P_KIND, a) == KIND_STATIC ? b : a;
      const gen = subject == a ? load<i32>(e, 8) : load<i32>(e, 12);
      if (!responsible(k, subject, gen, stamp)) continue;
      if (np >= room) { status |= SS_SCRATCH_OVERFLOW; break; }
      memory.copy(entry(sa, np), e, 16);
      np++;
    }
  }
  // by B, then stably by A: sorted by key (entries on one static A come from several shards)
  countingSort(sa, np, sb, 0, hw);
  countingSort(sb, np, sc, 32, hw);
  const myEvents = bd(B, BD_EVENTS) + <usize>k * <usize>eventCap * EVENT_BYTES;
  let ne = 0, a = 0, b = 0;
  while (a < np || b < nc) {
    const ea = entry(sc, a), eb = entry(myTouch, b);
    const ka = a < np ? load<u64>(ea) : u64.MAX_VALUE, kb = b < nc ? load<u64>(eb) : u64.MAX_VALUE;
    if (a < np && (b >= nc || ka < kb)) { ne = pushEvent(myEvents, ne, eventCap, EVENT_END, ea); a++; }
    else if (b < nc && (a >= np || kb < ka)) { ne = pushEvent(myEvents, ne, eventCap, EVENT_BEGIN, eb); b++; }
    else {
      if (load<u64>(ea, 8) != load<u64>(eb, 8)) {          // both generations at once
        ne = pushEvent(myEvents, ne, eventCap, EVENT_END, ea);
        ne = pushEvent(myEvents, ne, eventCap, EVENT_BEGIN, eb);
      }
      a++; b++;
    }
  }
  store<i64>(bd(B, BD_EVENT_COUNT) + (<usize>k << 3), ne);

  setCfg(SC_HANDOFFS, handoffs);
  setCfg(SC_STATUS, cfg(SC_STATUS) | status);
  setCfg(SC_OWNED_COUNT, n);
  setCfg(SC_GHOST_COUNT, ghosts);
  return 0;
}

/**
 * Recovery: forgets every moving body of the shard's world (statics stay) and what it owned,
 * so the next shardTick rebuilds the world from the last published board. Returns 0 or -1.
 */
export function shardReset(cfgAddr: usize): i32 {
  C = cfgAddr;
  if (worldBind(<usize>cfg(SC_WORLD)) != 0) return -1;
  const hw = <i32>hdr(H_HIGH_WATER);
  for (let s = 0; s < hw; s++) {
    if ((g32(P_FLAGS, s) & FLAG_LIVE) != 0 && g32(P_KIND, s) != KIND_STATIC) drop(s);
  }
  // the awake list and sleep hash afresh from the flags: a step cut off mid-way (a worker
  // terminated after the fence timed out) may have left them half updated
  worldRelist();
  memory.fill(<usize>cfg(SC_OWNED), 0, <usize>cfg(SC_CAPACITY));
  setCfg(SC_STATUS, 0);
  return 0;
}

/** Puts the body record at r (a static body) into the shard's world. Returns 0, or -1 (bad header or slot). */
export function shardPutRecord(cfgAddr: usize, r: usize): i32 {
  C = cfgAddr;
  if (worldBind(<usize>cfg(SC_WORLD)) != 0) return -1;
  return put(<i32>(load<i64>(r) >> 32), r) ? 0 : -1;
}

/** xxHash64 chained over the live records of a board in slot order, seeded with its tick. */
export function boardRecordsHash(board: usize): u64 {
  const hw = <i32>load<i64>(board + (<usize>BD_HIGH_WATER << 3));
  const rec = bd(board, BD_RECORDS), own = bd(board, BD_OWNER);
  let h: u64 = <u64>load<i64>(board + (<usize>BD_TICK << 3));
  for (let s = 0; s < hw; s++) {
    if (i32At(own, s) == OWNER_NONE) continue;
    h = xxh64(recAt(rec, s), <usize>BODY_RECORD_BYTES, h);
  }
  return h;
}

/**
 * The world hash of a board: exactly what worldHash (step.ts) gives for an unsharded world in
 * the same state: the live records, then the touching pairs in key order. Uses the
 * scratch of the shard at cfgAddr (call it between ticks only).
 */
export function boardHash(cfgAddr: usize, board: usize): u64 {
  C = cfgAddr;
  const K = <i32>cfg(SC_COUNT), touchCap = <i32>cfg(SC_TOUCH_CAP), room = <i32>cfg(SC_SCR_ENTRIES);
  const hw = <i32>load<i64>(board + (<usize>BD_HIGH_WATER << 3));
  const sa = <usize>cfg(SC_SCR_A), sb = <usize>cfg(SC_SCR_B), sc = <usize>cfg(SC_SCR_C);
  let n = 0;
  for (let q = 0; q < K; q++) {
    const lst = bd(board, BD_TOUCH) + (<usize>q * <usize>touchCap << 4);
    const cnt = <i32>load<i64>(bd(board, BD_TOUCH_COUNT) + (<usize>q << 3));
    for (let x = 0; x < cnt; x++) {
      const e = entry(lst, x);
      const key = load<u64>(e);
      // the unsharded world's pair form: (lower, higher) slot for two moving bodies,
      // (moving, static) otherwise (collide.ts records statics as J)
      const a = <i32>(key >> 32), b = <i32><u32>key;
      const own = bd(board, BD_OWNER);
      if (i32At(own, a) == OWNER_STATIC || (i32At(own, b) != OWNER_STATIC && a > b)) continue;
      if (n >= room) return 0;                       // cannot happen: the lists fit the scratch
      memory.copy(entry(sa, n), e, 16);
      n++;
    }
  }
  countingSort(sa, n, sb, 0, hw);
  countingSort(sb, n, sc, 32, hw);
  return xxh64(sc, <usize>n << 4, boardRecordsHash(board));
}
