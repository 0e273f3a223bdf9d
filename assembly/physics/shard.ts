// One tick of one physics shard (src/physics/sharded.ts drives it; DESIGN.md "Shards").
//
// A sharded world publishes its state on two boards that alternate: the board of state t
// (FRONT) is immutable while tick t runs and every thread may read it; each shard writes
// only its own bodies into the board of state t + 1 (BACK). A board holds, per slot, the
// body's record, its owner (the shard with authority, OWNER_NONE, OWNER_STATIC) and its
// publisher (the shard that wrote it), and per shard the list of slots it wrote, a touch
// list, the touch entries it handed to other shards, and an event list (layout: BOARD in
// src/physics/world-layout.ts). Commands of tick t arrive as an overlay: records stamped
// t + 1 replace the front board's, and the coordinator lists the stamped slots.
//
// No step of a shard visits the global slot range: each reads lists whose length is its own
// bodies, its neighbours' border bodies and the tick's commands.
//
// shardTick(cfg), for shard k:
//   1. sync: the candidates are the moving bodies k's world holds (HELD, from its last sync),
//      the overlay's slots, and from every shard j's list on the front board the bodies now
//      owned by k and the border bodies owned by the regions within HALO of k's (the region
//      table NEAR). A body not among them is neither k's nor within HALO of k's region:
//      interior bodies lie farther than HALO from every other region, and a region farther
//      than HALO holds no point within HALO. Candidates are deduplicated (MARK) and sorted
//      by slot (HELD is in slot order: the others are sorted, shard-sort.ts, and merged with
//      it), then each is decided on its record (the overlay's if stamped,
//      else the front board's), in slot order as a sweep would: owner k: the body is k's
//      (imported unless k's world already holds exactly that state, i.e. k owned it last
//      tick and no command changed it). Another owner, within HALO of k's region: imported
//      as a ghost (overwritten in place), unless it is a sleeping ghost k already holds as
//      that record (below). Otherwise: dropped. OWNER_NONE (despawned): dropped. The
//      awake list is then rewritten in local slot order: put() appends a refreshed body at
//      its end, and a shuffled list makes the step read every per-slot array at random
//      places (its order is never observable).
//   2. step the world (worldStep).
//   3. publish: every body k has authority over is written to the back board with its new
//      owner, the region that holds its new reference point (x, z): a body that crossed a
//      border is handed off at the tick boundary, no tick lost or repeated. Regions are
//      half-open, [cut_k, cut_k+1), so each point has exactly one owner. The slots go on k's
//      list bucketed by new owner and border flag (within HALO of another region); a body
//      that slept through the tick keeps both (owner k, the flag kept in bit 1 of OWNED).
//
// Record versions (BD_VERSION, i64 per slot and board): the earliest state tick since which a
// body's record has not changed. A sleeping body is untouched by a step unless the wake pass
// wakes it, and a woken body is still awake after the step when sleeping takes at least 2
// rested ticks (its rest counter restarts at 0: sleep.ts); so when SLEEP_TICKS >= 2, a body
// asleep after the sync, not imported by it and asleep after the step has the front board's
// record and keeps its version. Its record is written only if that version is the tick of the
// front board (t): otherwise state t - 1, which the back board holds, had it already (induction:
// a version's first publish always writes, and a version lasts only while the body sleeps
// untouched, which also keeps its owner). Every other publish gets version t + 1 and is
// written. A ghost k holds asleep (asleep after k's own last step, so untouched by it) whose
// front record has the version k last imported for it (IMPORT_VERSION; -1 after an import
// from the overlay or as k's own) is the same record: it is not imported again. Versions only
// grow, so equal versions mean the same record. A tick re-run after a recovery writes every
// record (FULL_PUBLISH: the failed attempt may have left a torn one); a restored board gets
// its own tick as every version. So a settled world costs its shards no import and no record
// written per tick (the sync and the publish still visit the held bodies' slots).
//   4. touch list: "A touches B" for every touching pair of the tick where k reports on A:
//      k has authority over A, or A is static and k has authority over B. Sorted by (A, B).
//      The entries whose subject (the moving body reported on) k handed to shard m go on k's
//      handed list, bucket m; every entry goes on k's index by subject.
//   5. events by authority: k's BEGIN / END events are the difference between the touch
//      entries k reports on now and the entries reported on the same bodies at t - 1 by
//      their publisher then. Those are in k's own list, in the handed buckets addressed to k
//      (bodies handed to k), and, for a body a command moved into k's region, found by
//      binary search in its publisher's index by subject (BD_BY_SUBJECT). The
//      union over shards is the unsharded world's event list, each pair seen from both sides
//      ("A hit by B" from A's shard, "B hit by A" from B's).
//
// The halo must cover what a reported-on body depends on: the solver's interaction range
// (solver.ts) for the state, and for the touch set of a body handed over one contact
// distance later; src/physics/sharded.ts derives it. shardTick above runs the tick in one
// go (exchange 'tick'); with the per-pass exchange (the default, "the tick in phases" at
// the end of this file) the coordinator runs the same steps in phases and the interaction
// range is one contact distance. Every slot of the whole world comes from
// the sharded world's registry, so a body has the same slot and generation (its handle) on
// every board and list. A shard world stores the bodies it holds on dense slots of its own,
// tagged with their slots in the whole world (world.ts tagOf; "bodies of the bound shard
// world" below): its step orders everything by tag, so it computes what the whole world
// computes for them, while its per-body arrays are as long as what it holds, not the world
// (each shard world's memory is still sized for the whole world's capacity, since every body
// may end up in one region).

import {
  P_PX, P_PZ, P_FLAGS, P_GENERATION, P_KIND,
  H_HIGH_WATER, H_TICK, H_STATUS, H_PREV_TOUCH_COUNT, P_PREV_TOUCH,
  SC_INDEX, SC_COUNT, SC_NX, SC_NZ, SC_CUTS, SC_HALO, SC_WORLD, SC_TICK, SC_HIGH_WATER, SC_FRONT, SC_BACK,
  SC_OVERLAY_REC, SC_OVERLAY_TICK, SC_OVERLAY_OWNER, SC_OWNED, SC_SCR_OWNED, SC_SCR_COUNTS,
  SC_SCR_A, SC_SCR_B, SC_SCR_C, SC_SCR_ENTRIES, SC_TOUCH_CAP, SC_EVENT_CAP, SC_CAPACITY,
  SC_HANDOFFS, SC_STATUS, SC_OWNED_COUNT, SC_GHOST_COUNT, SC_TRAP,
  SC_NEAR, SC_OVERLAY_LIST, SC_OVERLAY_COUNT, SC_HELD, SC_HELD_COUNT, SC_MARK, SC_SYNC_SEQ,
  SC_SCR_SLOTS, SC_SCR_SHARDS, SC_SYNC_VISITS, SC_EVENT_VISITS, SC_IMPORTS, SC_PUBLISHED,
  SC_IMPORT_VERSION, SC_FULL_PUBLISH, SC_LOCAL, SC_PASS_STATE, SC_PASS_BORDER, SC_PASS_GHOSTS, SC_PASS_BAND, SC_PASS_INDEX,
  P_PART, H_PART_COUNT, H_SUBSTEPS, H_JOINT_HIGH_WATER, P_STATE, STATE_BYTES, PASS_BYTES, BD_VERSION, H_SLEEP_TICKS, FLAG_SLEEPING, H_TAGGED, P_TAG,
  SS_TOUCH_OVERFLOW, SS_EVENT_OVERFLOW, SS_WORLD_OVERFLOW, SS_IMPORT_FAILED, SS_SCRATCH_OVERFLOW,
  OWNER_STATIC, BD_RECORDS, BD_OWNER, BD_PUBLISHER, BD_LISTS, BD_LIST_START, BD_HANDED, BD_HANDED_START, BD_BY_SUBJECT,
  BD_TOUCH, BD_EVENTS, BD_TOUCH_COUNT, BD_EVENT_COUNT,
  BODY_RECORD_BYTES, EVENT_BYTES, EV_KIND, EV_A, EV_A_GEN, EV_B, EV_B_GEN,
  EVENT_BEGIN, EVENT_END, FLAG_LIVE, KIND_STATIC, STATUS_CONTACT_OVERFLOW,
} from './layout';
import { g64, g32, s32, hdr, setHdr, takeSlot, freeSlot, worldBind, registerBody, unregisterBody, noteBoundingRadius, staticsChanged, listBody, unlistBody, worldRelist, awakeListInSlotOrder } from './world';
import { writeBodyRecord, readBodyRecord } from './transfer';
import { jointsLocalize } from './joints';
import { worldStep, worldStepBegin, worldStepEnd } from './step';
import { buildContacts } from './collide';
import { solveBegin, solvePass, solveEnd } from './solver';
import { sortBySlot, copy16 } from './shard-sort';
import { entriesInKeyOrder, pairsBySubject } from './shard-merge';

export { boardHash, boardRecordsHash, boardPublishLive } from './board-hash';

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
@inline function setI32(p: usize, i: i32, v: i32): void { store<i32>(p + (<usize>i << 2), v); }
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

/** Whether (x, z) lies within `halo` (raw metres, HALO or the pass band) of shard k's region (Euclidean distance in x/z). */
function nearRegion(k: i32, x: i64, z: i64, halo: i64): bool {
  const nx = <i32>cfg(SC_NX), nz = <i32>cfg(SC_NZ), cuts = <usize>cfg(SC_CUTS);
  const dx = axisDistance(cuts, nx - 1, k % nx, x, halo + 1);
  const dz = axisDistance(cuts + (<usize>(nx - 1) << 3), nz - 1, k / nx, z, halo + 1);
  return dx * dx + dz * dz <= halo * halo;
}

// Shard k's region shrunk by h on each side that has a cut (bounds exclusive; the outer sides
// unbounded), set by interiorOf: a point inside lies in k's region farther than h from every
// other region (isBorder below), the common case the per-body loops test first.
let inX0: i64 = 0, inX1: i64 = 0, inZ0: i64 = 0, inZ1: i64 = 0;

/** Sets the interior box of shard k's region for the distance h (raw metres). */
function interiorOf(k: i32, h: i64): void {
  const nx = <i32>cfg(SC_NX), nz = <i32>cfg(SC_NZ), cuts = <usize>cfg(SC_CUTS), zc = cuts + (<usize>(nx - 1) << 3);
  const ix = k % nx, iz = k / nx;
  inX0 = ix > 0 ? load<i64>(cuts + (<usize>(ix - 1) << 3)) + h : i64.MIN_VALUE;
  inX1 = ix < nx - 1 ? load<i64>(cuts + (<usize>ix << 3)) - h : i64.MAX_VALUE;
  inZ0 = iz > 0 ? load<i64>(zc + (<usize>(iz - 1) << 3)) + h : i64.MIN_VALUE;
  inZ1 = iz < nz - 1 ? load<i64>(zc + (<usize>iz << 3)) - h : i64.MAX_VALUE;
}

/** Whether (x, z) lies in the interior box interiorOf set last. */
// @ts-ignore: decorator
@inline function inInterior(x: i64, z: i64): bool { return x > inX0 && x < inX1 && z > inZ0 && z < inZ1; }

/** Row m of the region table: the count of regions near m, then their indices (i32). */
// @ts-ignore: decorator
@inline function nearRow(m: i32): usize { return <usize>cfg(SC_NEAR) + <usize>m * <usize>(cfg(SC_COUNT) + 1) * 4; }

/** Whether v lies inside interval k of the n sorted cuts at p farther than h from each of its cuts. */
// @ts-ignore: decorator
@inline function inside(p: usize, n: i32, k: i32, v: i64, h: i64): bool {
  return (k == 0 || v - load<i64>(p + (<usize>(k - 1) << 3)) > h) && (k >= n || load<i64>(p + (<usize>k << 3)) - v > h);
}

/**
 * Whether (x, z), in region m, lies within `halo` (HALO or the pass band; at most HALO, so
 * every region that near is in m's NEAR row) of another region (a border body). A point
 * farther than `halo` from every cut bounding region m is not: every other region lies beyond
 * one of those cuts on some axis, so its distance on that axis alone exceeds `halo` (the
 * common case, a region's interior, costs two interval tests instead of one distance per
 * near region).
 */
function isBorder(m: i32, x: i64, z: i64, halo: i64): bool {
  const nx = <i32>cfg(SC_NX), nz = <i32>cfg(SC_NZ), cuts = <usize>cfg(SC_CUTS);
  if (inside(cuts, nx - 1, m % nx, x, halo) && inside(cuts + (<usize>(nx - 1) << 3), nz - 1, m / nx, z, halo)) return false;
  const row = nearRow(m), n = load<i32>(row);
  for (let q = 0; q < n; q++) if (nearRegion(i32At(row + 4, q), x, z, halo)) return true;
  return false;
}

// ---- bodies of the bound shard world ----
//
// A shard world stores the bodies it holds on dense slots of its own (its "local" slots),
// each tagged (world.ts tagOf) with its slot in the whole world, the identity every list,
// board and touch entry here speaks in. LOCAL (SC_LOCAL, i32 per slot of the whole world)
// maps a tag to 1 + its local slot (0 = not held). Local slots are taken from the world's
// free list, else above its high water, so the world's arrays are as long as the most
// bodies it has held at once, not the whole world's capacity; the step orders everything by
// tag, so which local slot a body gets is never observable.

/** Binds the configuration block at cfgAddr and its world (a tagged world). Returns 0 or -1 for a bad header. */
function bindShard(cfgAddr: usize): i32 {
  C = cfgAddr;
  if (worldBind(<usize>cfg(SC_WORLD)) != 0) return -1;
  setHdr(H_TAGGED, 1);
  return 0;
}

/** Local slot of the body tagged s in the bound shard world, or -1 if it holds none. */
// @ts-ignore: decorator
@inline function localOf(s: i32): i32 { return i32At(<usize>cfg(SC_LOCAL), s) - 1; }

/**
 * Whether the body tagged s was a static body when this world last stored it (OWNED bit 2:
 * kept after the body is dropped, as the kind a dropped slot keeps, so a touch entry of t - 1
 * on a static removed at t still reports on its moving body).
 */
// @ts-ignore: decorator
@inline function wasStatic(s: i32): bool { return (load<u8>(<usize>cfg(SC_OWNED) + <usize>s) & 4) != 0; }

/** Drops the body tagged s (held): out of its list, slot marked dead and freed, LOCAL cleared. */
function drop(s: i32): void {
  const l = localOf(s);
  unlistBody(l);
  unregisterBody(l);
  freeSlot(l);
  setI32(<usize>cfg(SC_LOCAL), s, 0);
}

/**
 * Puts the record at r into the world as the body tagged s, creating it on a free local slot
 * or overwriting the body held under that tag. Returns its local slot, or -1 when the world
 * is full.
 */
function put(s: i32, r: usize): i32 {
  let l = localOf(s);
  if (l >= 0 && (g32(P_GENERATION, l) != load<i32>(r) || g32(P_KIND, l) != <i32>(load<i64>(r, 8) >> 32))) {
    drop(s);
    l = -1;
  }
  const live = l >= 0;
  // a slot below the high water has held only this world's bodies: its static-box cache is
  // this world's (a refreshed ghost keeps the boxes near it instead of walking the tree again)
  let ours = true;
  if (live) unlistBody(l);                       // relisted by the record's flags below
  else {
    const hw = hdr(H_HIGH_WATER);
    l = takeSlot();
    if (l < 0) return -1;
    ours = l < <i32>hw;
  }
  readBodyRecord(l, r, ours);
  s32(P_TAG, l, s);
  const kind = g32(P_KIND, l);
  const o = <usize>cfg(SC_OWNED) + <usize>s;
  store<u8>(o, kind == KIND_STATIC ? load<u8>(o) | 4 : load<u8>(o) & ~4);
  if (!live) {
    registerBody(l, kind);
    setI32(<usize>cfg(SC_LOCAL), s, l + 1);
  } else {
    listBody(l);
    if (kind == KIND_STATIC) staticsChanged();
  }
  noteBoundingRadius(l, kind);
  return l;
}

/** Merges two runs sorted by key into dst (at most cap entries); returns the count, or -1 on overflow. */
function mergeRuns(a: usize, na: i32, b: usize, nb: i32, dst: usize, cap: i32): i32 {
  if (na + nb > cap) return -1;
  let i = 0, j = 0, o = 0;
  while (i < na || j < nb) {
    if (j >= nb || (i < na && load<u64>(entry(a, i)) < load<u64>(entry(b, j)))) { copy16(entry(dst, o), entry(a, i)); i++; }
    else { copy16(entry(dst, o), entry(b, j)); j++; }
    o++;
  }
  return o;
}

// ---- one tick ----

/** Whether shard k reports on slot s this tick (it has authority over it; OWNED is up to date). */
// @ts-ignore: decorator
@inline function owns(s: i32): bool { return (load<u8>(<usize>cfg(SC_OWNED) + <usize>s) & 1) != 0; }

/**
 * Whether shard k reports on body (s, gen) at tick t for its entries of t - 1: k has
 * authority over it after the tick's commands, or k had authority at t and a command
 * despawned it (so its END events still come from one shard).
 */
function responsible(k: i32, s: i32, gen: i32, stamp: i32): bool {
  const F = <usize>cfg(SC_FRONT);
  const ov = i32At(<usize>cfg(SC_OVERLAY_TICK), s) == stamp;
  const fOwn = i32At(bd(F, BD_OWNER), s);
  if (!ov) {
    // no command: own = fOwn and g = fGen below, so this is fOwn == k && fGen == gen. The
    // sync then took the body as k's from the front record (or kept k's own copy of it), so
    // k's world holds it with the front record's generation (a step never changes it): read
    // there, not in the front board's record (a cache miss per entry)
    if (fOwn != k) return false;
    const l = localOf(s);
    return (l >= 0 ? g32(P_GENERATION, l) : load<i32>(recAt(bd(F, BD_RECORDS), s))) == gen;
  }
  const fGen = load<i32>(recAt(bd(F, BD_RECORDS), s));
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

/** The moving body a touch entry reports on: B when A is static, else A (kinds as this world last stored them). */
// @ts-ignore: decorator
@inline function subjectOf(e: usize): i32 {
  const key = load<u64>(e);
  const a = <i32>(key >> 32);
  return wasStatic(a) ? <i32><u32>key : a;
}

/** Start offset of bucket b in a bucket table at p with `stride` offsets per shard, shard j. */
// @ts-ignore: decorator
@inline function bucketAt(p: usize, j: i32, stride: i32, b: i32): i32 { return i32At(p + <usize>j * <usize>stride * 4, b); }

/**
 * Step 1 (see the module comment): gathers the candidates (HELD, the overlay's slots, the
 * front board's lists that can concern shard k) into the slot scratch, deduplicated and in
 * slot order. Returns their count; adds the entries visited to `visits` (SC_SYNC_VISITS).
 * HELD is in slot order already (the last sync wrote it in candidate order), so only the
 * slots it does not hold are sorted, and merged with it: a settled world, whose lists hold
 * the same bodies tick after tick, sorts nothing.
 */
function gatherCandidates(k: i32, seq: i32): i32 {
  const K = <i32>cfg(SC_COUNT), cap = <usize>cfg(SC_CAPACITY), F = <usize>cfg(SC_FRONT);
  const mark = <usize>cfg(SC_MARK), tmp = <usize>cfg(SC_SCR_SLOTS), out = tmp + cap * 4;
  let m = 0, visits: i64 = 0;
  // the slot lists, each read once; HELD is marked first, the others add what it lacks
  const held = <usize>cfg(SC_HELD), nh = <i32>cfg(SC_HELD_COUNT);
  for (let q = 0; q < nh; q++) setI32(mark, i32At(held, q), seq);
  const ov = <usize>cfg(SC_OVERLAY_LIST), no = <i32>cfg(SC_OVERLAY_COUNT);
  for (let q = 0; q < no; q++) { const s = i32At(ov, q); if (i32At(mark, s) != seq) { setI32(mark, s, seq); setI32(tmp, m++, s); } }
  visits += nh + no;
  const lists = bd(F, BD_LISTS), starts = bd(F, BD_LIST_START), stride = 2 * K + 1;
  const row = nearRow(k), nn = load<i32>(row);
  for (let j = 0; j < K; j++) {
    const lst = lists + <usize>j * cap * 4;
    // bodies now owned by k (interior and border buckets are adjacent), then the neighbours' border bodies
    for (let r = -1; r < nn; r++) {
      const lo = r < 0 ? bucketAt(starts, j, stride, 2 * k) : bucketAt(starts, j, stride, 2 * i32At(row + 4, r) + 1);
      const hi = r < 0 ? bucketAt(starts, j, stride, 2 * k + 2) : bucketAt(starts, j, stride, 2 * i32At(row + 4, r) + 2);
      for (let q = lo; q < hi; q++) { const s = i32At(lst, q); if (i32At(mark, s) != seq) { setI32(mark, s, seq); setI32(tmp, m++, s); } }
      visits += hi - lo;
    }
  }
  // the new slots in order (in place: sortBySlot's other buffer is the tail of `out`, unused
  // until the merge below writes nh + m <= cap entries from its start), then merged with HELD
  const hw = <i32>cfg(SC_HIGH_WATER);              // candidates are slots of the whole world
  if (m > 1) {
    const spare = out + (cap - <usize>m) * 4;
    sortBySlot(tmp, m, spare, 4, 0, hw, <usize>cfg(SC_SCR_COUNTS));
    memory.copy(tmp, spare, <usize>m << 2);
  }
  let a = 0, b = 0, n = 0;
  while (a < nh || b < m) {
    if (b >= m || (a < nh && i32At(held, a) < i32At(tmp, b))) setI32(out, n++, i32At(held, a++));
    else setI32(out, n++, i32At(tmp, b++));
  }
  setCfg(SC_SYNC_VISITS, visits + n);
  return n;
}

/**
 * Step 3's lists: k's published slots (the owned list, n in slot order, with their bucket in
 * `bucket`) go on k's list of the back board by bucket, stable (each bucket in slot order).
 */
function publishList(k: i32, n: i32, list: usize, bucket: usize): void {
  const K = <i32>cfg(SC_COUNT), cap = <usize>cfg(SC_CAPACITY), B = <usize>cfg(SC_BACK);
  const nb = 2 * K;
  const starts = bd(B, BD_LIST_START) + <usize>k * <usize>(nb + 1) * 4, dst = bd(B, BD_LISTS) + <usize>k * cap * 4;
  const cur = <usize>cfg(SC_SCR_SHARDS) ;
  memory.fill(starts, 0, <usize>(nb + 1) << 2);
  for (let q = 0; q < n; q++) { const b = i32At(bucket, q) + 1; setI32(starts, b, i32At(starts, b) + 1); }
  for (let b = 1; b <= nb; b++) setI32(starts, b, i32At(starts, b) + i32At(starts, b - 1));
  memory.copy(cur, starts, <usize>nb << 2);
  for (let q = 0; q < n; q++) {
    const b = i32At(bucket, q), at = i32At(cur, b);
    setI32(cur, b, at + 1);
    setI32(dst, at, i32At(list, q));
  }
}

/**
 * Step 4's handed list: the indices of the nc entries of k's touch list at `touch` whose
 * subject's new owner (on the back board) is another shard, bucketed by that owner.
 */
function publishHanded(k: i32, touch: usize, nc: i32): void {
  const K = <i32>cfg(SC_COUNT), B = <usize>cfg(SC_BACK), touchCap = <usize>cfg(SC_TOUCH_CAP);
  const bOwn = bd(B, BD_OWNER);
  const starts = bd(B, BD_HANDED_START) + <usize>k * <usize>(K + 1) * 4, dst = bd(B, BD_HANDED) + <usize>k * touchCap * 4;
  const cur = <usize>cfg(SC_SCR_SHARDS);
  memory.fill(starts, 0, <usize>(K + 1) << 2);
  for (let x = 0; x < nc; x++) {
    const to = i32At(bOwn, subjectOf(entry(touch, x)));
    if (to != k) setI32(starts, to + 1, i32At(starts, to + 1) + 1);
  }
  for (let m = 1; m <= K; m++) setI32(starts, m, i32At(starts, m) + i32At(starts, m - 1));
  memory.copy(cur, starts, <usize>K << 2);
  for (let x = 0; x < nc; x++) {
    const to = i32At(bOwn, subjectOf(entry(touch, x)));
    if (to == k) continue;
    const at = i32At(cur, to);
    setI32(cur, to, at + 1);
    setI32(dst, at, x);
  }
}

/**
 * Step 5: appends the touch entry e to the n entries at dst when shard k reports on its
 * subject now; returns the new count (room + 1 once full: the caller flags the overflow).
 */
function takeEntry(k: i32, e: usize, stamp: i32, dst: usize, n: i32, room: i32): i32 {
  const a = <i32>(load<u64>(e) >> 32);
  const subject = subjectOf(e);
  const gen = subject == a ? load<i32>(e, 8) : load<i32>(e, 12);
  if (!responsible(k, subject, gen, stamp)) return n;
  if (n >= room) return room + 1;
  copy16(entry(dst, n), e);
  return n + 1;
}

/** First index of the n (subject, index) pairs at p whose subject is >= s (binary search). */
function lowerBound(p: usize, n: i32, s: i32): i32 {
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<i32>(p + (<usize>mid << 3)) < s) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/**
 * Runs tick t of the shard whose configuration block is at `cfgAddr` (see the module
 * comment). Results in the block: HANDOFFS, STATUS, OWNED_COUNT, GHOST_COUNT, SYNC_VISITS,
 * EVENT_VISITS. Returns 0, or -1 if the shard's world header is bad. Traps (unreachable)
 * when the TRAP test hook is set.
 */
export function shardTick(cfgAddr: usize): i32 {
  if (bindShard(cfgAddr) != 0) return -1;
  shardSync();
  worldStep();
  shardPublish();
  return 0;
}

/** Step 1 of the bound shard (see the module comment): sync from state t and the overlay. */
function shardSync(): void {
  const k = <i32>cfg(SC_INDEX), t = cfg(SC_TICK), stamp = <i32>(t + 1);
  const F = <usize>cfg(SC_FRONT);
  const fRec = bd(F, BD_RECORDS), fOwn = bd(F, BD_OWNER);
  const ovRec = <usize>cfg(SC_OVERLAY_REC), ovTick = <usize>cfg(SC_OVERLAY_TICK), ovOwn = <usize>cfg(SC_OVERLAY_OWNER);
  const owned = <usize>cfg(SC_OWNED), list = <usize>cfg(SC_SCR_OWNED), held = <usize>cfg(SC_HELD);
  const cap = <usize>cfg(SC_CAPACITY);
  let status: i64 = 0, n = 0, ghosts = 0, imports = 0;
  setHdr(H_TICK, t);
  // versions (BOARD.VERSION): a sleeping body is untouched by a step unless woken, and a body
  // woken in a step is still awake after it when sleeping takes at least 2 rested ticks (its
  // rest counter restarts at 0, sleep.ts); with fewer, every record counts as changed
  const fVer = bd(F, BD_VERSION), impVer = <usize>cfg(SC_IMPORT_VERSION);
  const quiet = hdr(H_SLEEP_TICKS) >= 2;
  const sleepsThrough = <usize>cfg(SC_SCR_SLOTS);   // per owned body: asleep after the sync, not re-imported

  // 1. sync from state t and the command overlay, over the candidates in slot order
  const seq = <i32>cfg(SC_SYNC_SEQ) + 1;
  setCfg(SC_SYNC_SEQ, seq);
  const nCand = gatherCandidates(k, seq);
  const cand = <usize>cfg(SC_SCR_SLOTS) + cap * 4;
  let nHeld = 0;
  for (let c = 0; c < nCand; c++) {
    const s = i32At(cand, c);
    const ov = i32At(ovTick, s) == stamp;
    const own = ov ? i32At(ovOwn, s) : i32At(fOwn, s);
    const was = load<u8>(owned + <usize>s);
    store<u8>(owned + <usize>s, was & 4);
    if (own == OWNER_STATIC) continue;            // in every world from the start, never changed
    let l = localOf(s);
    if (own < 0) {                                // despawned (the coordinator marks the boards)
      if (l >= 0) drop(s);
      continue;
    }
    const r = recAt(ov ? ovRec : fRec, s);
    if (own == k) {
      let quietHere = quiet;
      // k's own body of last tick with no command: the front record is k's own publish of it
      // (new bodies and reused slots come through the overlay), so k's world holds it already
      if (ov || (was & 1) == 0 || l < 0) {
        l = put(s, r);
        if (l < 0) { status |= SS_IMPORT_FAILED; continue; }
        imports++;
        quietHere = false;
        store<i64>(impVer + (<usize>s << 3), -1);
      }
      store<u8>(owned + <usize>s, 1 | (was & 2));    // bit 1: border flag of its last publish here
      setI32(sleepsThrough, n, quietHere && (g32(P_FLAGS, l) & FLAG_SLEEPING) != 0 ? 1 : 0);
      setI32(list, n++, s);
      setI32(held, nHeld++, s);
    } else {
      // a sleeping ghost that slept through our last step and whose record is the one we
      // imported (same version: its owner kept it asleep and untouched) is already here, at
      // the place where it was within HALO of our region
      const same = !ov && quiet && l >= 0 && (g32(P_FLAGS, l) & FLAG_SLEEPING) != 0 && g32(P_GENERATION, l) == load<i32>(r) &&
        load<i64>(fVer + (<usize>s << 3)) == load<i64>(impVer + (<usize>s << 3));
      if (same || nearRegion(k, load<i64>(r, 32), load<i64>(r, 48), cfg(SC_HALO))) {
        if (!same) {
          if (put(s, r) < 0) { status |= SS_IMPORT_FAILED; continue; }
          imports++;
          store<i64>(impVer + (<usize>s << 3), ov ? -1 : load<i64>(fVer + (<usize>s << 3)));
        }
        ghosts++;
        setI32(held, nHeld++, s);
      } else if (l >= 0) {
        drop(s);
      }
    }
  }
  setCfg(SC_HELD_COUNT, nHeld);
  setCfg(SC_IMPORTS, imports);
  // the awake list in local slot order: put() moves a refreshed body to the end of the list,
  // which would leave it shuffled after a few ticks of handoffs and teleports (its order is
  // never observable; it is the step's memory order)
  awakeListInSlotOrder();
  if (hdr(H_JOINT_HIGH_WATER) != 0) jointsLocalize(<usize>cfg(SC_LOCAL));   // joints to the world: their bodies' local slots (joints.ts)
  if (cfg(SC_TRAP) != 0) {                         // test hook: a real trap, mid-tick
    setCfg(SC_TRAP, 0);
    unreachable();
  }
  setCfg(SC_STATUS, cfg(SC_STATUS) | status);
  setCfg(SC_OWNED_COUNT, n);
  setCfg(SC_GHOST_COUNT, ghosts);
}

/** Steps 3 to 5 of the bound shard, after its world stepped (see the module comment). */
function shardPublish(): void {
  const k = <i32>cfg(SC_INDEX), t = cfg(SC_TICK), stamp = <i32>(t + 1);
  const F = <usize>cfg(SC_FRONT), B = <usize>cfg(SC_BACK);
  const fOwn = bd(F, BD_OWNER), bRec = bd(B, BD_RECORDS), bOwn = bd(B, BD_OWNER);
  const ovOwn = <usize>cfg(SC_OVERLAY_OWNER);
  const owned = <usize>cfg(SC_OWNED), list = <usize>cfg(SC_SCR_OWNED);
  const K = <i32>cfg(SC_COUNT);
  const hwG = <i32>cfg(SC_HIGH_WATER);
  const fVer = bd(F, BD_VERSION), bVer = bd(B, BD_VERSION);
  const sleepsThrough = <usize>cfg(SC_SCR_SLOTS);
  const n = <i32>cfg(SC_OWNED_COUNT);
  let status: i64 = 0;
  // 2. the step's own status
  if ((hdr(H_STATUS) & STATUS_CONTACT_OVERFLOW) != 0) status |= SS_WORLD_OVERFLOW;

  // 3. publish our bodies into state t + 1, with their new owner, and list them by bucket
  let handoffs = 0, written = 0;
  const bPub = bd(B, BD_PUBLISHER), bucket = <usize>cfg(SC_SCR_SLOTS);
  const full = cfg(SC_FULL_PUBLISH) != 0;
  interiorOf(k, cfg(SC_HALO));
  for (let q = 0; q < n; q++) {
    const s = i32At(list, q), l = localOf(s);
    // slept through the tick: the record is the front board's, unchanged since its version;
    // the back board (state t - 1) holds it already when that version is at most t - 1
    const unchanged = i32At(sleepsThrough, q) != 0 && (g32(P_FLAGS, l) & FLAG_SLEEPING) != 0;
    const ver = unchanged ? load<i64>(fVer + (<usize>s << 3)) : t + 1;
    store<i64>(bVer + (<usize>s << 3), ver);
    if (full || ver > t - 1) {
      writeBodyRecord(l, recAt(bRec, s));
      written++;
    }
    // its new owner and border flag; a body that did not move keeps both (it is ours: we
    // published it last tick with owner k, and its border flag then is bit 1 of OWNED)
    let to = k, border = (load<u8>(owned + <usize>s) & 2) != 0;
    if (!unchanged) {
      const x = g64(P_PX, l), z = g64(P_PZ, l);
      if (inInterior(x, z)) border = false;       // still k's, no border body (interiorOf above)
      else {
        to = regionOf(x, z);
        border = isBorder(to, x, z, cfg(SC_HALO));
      }
    }
    store<u8>(owned + <usize>s, border ? 3 : 1);
    setI32(bOwn, s, to);
    setI32(bPub, s, k);
    setI32(bucket, q, 2 * to + (border ? 1 : 0));
    const before = i32At(fOwn, s);
    if (before >= 0 && before != to) handoffs++;
  }
  publishList(k, n, list, bucket);
  setCfg(SC_PUBLISHED, written);

  // 4. our touch list: L1 = (i, j) entries in pair order, L2 = (j, i) entries sorted by j
  const sa = <usize>cfg(SC_SCR_A), sb = <usize>cfg(SC_SCR_B), sc = <usize>cfg(SC_SCR_C), counts = <usize>cfg(SC_SCR_COUNTS);
  const room = <i32>cfg(SC_SCR_ENTRIES), touchCap = <i32>cfg(SC_TOUCH_CAP), eventCap = <i32>cfg(SC_EVENT_CAP);
  const hw = hwG;                                  // touch keys are tags: slots of the whole world
  const tc = <i32>hdr(H_PREV_TOUCH_COUNT);
  let n1 = 0, n2 = 0;
  for (let q = 0; q < tc; q++) {
    const e = entry(P_PREV_TOUCH, q);
    const key = load<u64>(e);
    const i = <i32>(key >> 32), j = <i32><u32>key;
    const oi = owns(i), oj = owns(j);
    const si = wasStatic(i), sj = wasStatic(j);
    if ((oi || (si && oj)) && n1 < room) { copy16(entry(sa, n1), e); n1++; }
    if ((oj || (sj && oi)) && n2 < room) {
      const d = entry(sb, n2);
      store<u64>(d, ((<u64>j) << 32) | <u64>i);
      store<u32>(d, load<u32>(e, 12), 8);
      store<u32>(d, load<u32>(e, 8), 12);
      n2++;
    }
  }
  if (n1 >= room || n2 >= room) status |= SS_SCRATCH_OVERFLOW;
  sortBySlot(sb, n2, sc, 16, 4, hw, counts);
  const myTouch = bd(B, BD_TOUCH) + (<usize>k * <usize>touchCap << 4);
  let nc = mergeRuns(sa, n1, sc, n2, myTouch, touchCap);
  if (nc < 0) { status |= SS_TOUCH_OVERFLOW; nc = 0; }
  store<i64>(bd(B, BD_TOUCH_COUNT) + (<usize>k << 3), nc);
  publishHanded(k, myTouch, nc);
  pairsBySubject(myTouch, nc, owned, bd(B, BD_BY_SUBJECT) + <usize>k * <usize>touchCap * 8, sa, sb, hw, counts);

  // 5. events: entries of t - 1 on the bodies we report on now, against our touch list.
  // Which lists hold them: ours, the buckets handed to us, and for a body a command moved
  // to us from another shard's region, its entries in its publisher's list (by subject).
  const fTouch = bd(F, BD_TOUCH), fCounts = bd(F, BD_TOUCH_COUNT);
  const fHanded = bd(F, BD_HANDED), fHandedStart = bd(F, BD_HANDED_START), fBySubject = bd(F, BD_BY_SUBJECT);
  const fPub = bd(F, BD_PUBLISHER), ovList = <usize>cfg(SC_OVERLAY_LIST), no = <i32>cfg(SC_OVERLAY_COUNT);
  let np = 0, visits: i64 = 0;
  for (let j = 0; j < K; j++) {
    const lst = fTouch + (<usize>j * <usize>touchCap << 4);
    const own = j == k;
    const lo = own ? 0 : bucketAt(fHandedStart, j, K + 1, k);
    const hi = own ? <i32>load<i64>(fCounts + (<usize>j << 3)) : bucketAt(fHandedStart, j, K + 1, k + 1);
    const idx = fHanded + <usize>j * <usize>touchCap * 4;
    visits += hi - lo;
    for (let q = lo; q < hi; q++) np = takeEntry(k, entry(lst, own ? q : i32At(idx, q)), stamp, sa, np, room);
  }
  const fromLists = min(np, room);                 // sorted runs, one per list (shard-merge.ts)
  for (let q = 0; q < no; q++) {
    const s = i32At(ovList, q);
    const f = i32At(fOwn, s);
    if (f < 0 || f == k || i32At(ovOwn, s) != k) continue;  // not moved here by a command
    const p = i32At(fPub, s);
    if (p == k) continue;                                     // in our own list
    const lst = fTouch + (<usize>p * <usize>touchCap << 4);
    const pairs = fBySubject + <usize>p * <usize>touchCap * 8, cnt = <i32>load<i64>(fCounts + (<usize>p << 3));
    for (let x = lowerBound(pairs, cnt, s); x < cnt && load<i32>(pairs + (<usize>x << 3)) == s; x++) {
      np = takeEntry(k, entry(lst, load<i32>(pairs + (<usize>x << 3), 4)), stamp, sa, np, room);
      visits++;
    }
  }
  if (np > room) { status |= SS_SCRATCH_OVERFLOW; np = room; }
  setCfg(SC_EVENT_VISITS, visits);
  // in key order, stably (entries on one static A come from several shards): each list's
  // entries are a sorted run, so with two lists (2 shards) a merge does it
  const prev = entriesInKeyOrder(sa, fromLists, np, sb, sc, hw, counts);
  const myEvents = bd(B, BD_EVENTS) + <usize>k * <usize>eventCap * EVENT_BYTES;
  let ne = 0, a = 0, b = 0;
  while (a < np || b < nc) {
    const ea = entry(prev, a), eb = entry(myTouch, b);
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
}

/**
 * Recovery: forgets every moving body of the shard's world (statics stay) and what it owned,
 * so the next shardTick rebuilds the world from the last published board. Returns 0 or -1.
 * (A sweep of the world's slots and of OWNED: recovery only, never per tick.)
 */
export function shardReset(cfgAddr: usize): i32 {
  if (bindShard(cfgAddr) != 0) return -1;
  const hw = <i32>hdr(H_HIGH_WATER);
  for (let l = 0; l < hw; l++) {
    if ((g32(P_FLAGS, l) & FLAG_LIVE) != 0 && g32(P_KIND, l) != KIND_STATIC) drop(g32(P_TAG, l));
  }
  // the awake list and sleep hash afresh from the flags: a step cut off mid-way (a worker
  // terminated after the fence timed out) may have left them half updated
  worldRelist();
  const owned = <usize>cfg(SC_OWNED), cap = <i32>cfg(SC_CAPACITY);
  for (let s = 0; s < cap; s++) store<u8>(owned + <usize>s, load<u8>(owned + <usize>s) & 4);
  setCfg(SC_HELD_COUNT, 0);
  setCfg(SC_STATUS, 0);
  return 0;
}

/** Puts the body record at r (a static body) into the shard's world. Returns 0, or -1 (bad header, slot or full world). */
export function shardPutRecord(cfgAddr: usize, r: usize): i32 {
  if (bindShard(cfgAddr) != 0) return -1;
  const s = <i32>(load<i64>(r) >> 32);
  if (s < 0 || <i64>s >= cfg(SC_CAPACITY)) return -1;
  return put(s, r) >= 0 ? 0 : -1;
}

// ---- the tick in phases: border state exchanged once per solver pass ----
//
// With SC_EXCHANGE = 1 the halo is two contact distances instead of the solver's interaction
// range plus one, and the coordinator runs every shard's tick in phases, all shards through a
// phase before any starts the next (the ghost exchange of molecular-dynamics codes such as
// LAMMPS and GROMACS, whose halo is one cutoff wide because ghosts are refreshed every step):
//
//   shardBegin     sync (step 1), the contact list (collide.ts buildContacts) and the
//                  solver's tick start (solveBegin); lists the tick's border participants
//                  (bodies k owns within BAND of another region that take part in the tick)
//                  and its ghost participants within BAND of k's region, and publishes the
//                  border participants' solver STATE into buffer 0 (BAND = SC_PASS_BAND: one
//                  contact distance and an eighth, at most HALO)
//   shardPass(p)   copies each ghost participant's STATE from buffer p mod 2, runs solver
//                  pass p, publishes its border participants' STATE into buffer (p + 1) mod 2
//   shardEnd       solveEnd, contact events, then publish, touch list and events (steps 3-5)
//
// Why this gives the unsharded world's bits. The contact list: a pair is found from the
// state at the start of the tick, which every world holds exactly (the boards); a body B k
// owns has its partners within one contact distance d (2 MAX_RADIUS + MARGIN between
// centres), so within HALO of k's region, and the wake pass decides a partner G of B from
// G's own partners, within d of G, so within 2d = HALO: k's world finds B's pairs and wakes
// B's partners as the whole world does. The solver: pass p of B's contacts reads the state
// both bodies had after the previous pass; a ghost's state then is its owner's (copied),
// where the owner holds every contact of it (only the part a contact reads is exchanged:
// copyPassState below). A ghost participant is always on its owner's
// border list: it touches an awake body of k's world within d, so it lies within HALO of
// k's region, and it takes part in its owner's tick too (that awake body is a ghost there,
// and finds the same pair). Two buffers: a shard may publish pass p + 1 while another still
// copies pass p. In each, a shard's entries are dense, in the order of its border list;
// shardBegin notes each border participant's place (PASS_INDEX) and the first pass looks up
// the ghosts' places (findGhostEntries), after every shard's shardBegin.
//
// Only the ghosts within BAND of k's region are copied. A contact's two centres are closer
// than d in x/z (a separation below the margin between vertical cores of radius at most
// MAX_RADIUS; the eighth covers the rounding of the separation), so every partner of a body
// k owns lies within BAND of k's region; a ghost farther out touches only ghosts, its wrong
// state reaches nothing k reports on (a ghost within BAND is overwritten before every pass
// that reads it), and the end state of an awake ghost was never used (its owner publishes
// it with version t + 1, so the next sync imports it again; a sleeping partner is never
// moved). A ghost k copies is on its owner's border list: the owner decides it with the same
// distance, BAND and record, and k's region is in its NEAR row (BAND <= HALO). Ghost
// participants copied per pass, summed over 2 shards (bench/shards/shard-work.ts
// passGhosts): pile 100,000 4,856 -> 3,519, rain 20,000 1,098 -> 624.

/**
 * Address of entry e (shard j's border participant q: e = j CAPACITY + q) of exchange buffer b
 * (0 or 1). Each shard's entries are dense, in its border list's order (by tag), so a shard
 * writes its entries in one sequential sweep and reads a neighbour's in increasing order
 * (its ghosts are by tag too), instead of one cache miss per body at a place set by its tag.
 */
// @ts-ignore: decorator
@inline function passEntry(b: i32, e: usize): usize {
  return <usize>cfg(SC_PASS_STATE) + (<usize>b * <usize>cfg(SC_COUNT) * <usize>cfg(SC_CAPACITY) + e) * <usize>PASS_BYTES;
}

/**
 * Copies PASS_BYTES of a STATE record (see world-layout.ts PASS_BYTES: the bytes before the
 * accumulators S_AX. Of a body's STATE a contact pass lets into its partner's only the
 * displacements, velocity, rotation, inverse mass and inertia, MOVES and the angular velocity
 * (a rotating box's contacts read it: box-contacts.ts); the rest, the Jacobi accumulators,
 * which a contact only adds to, predicted displacement and REST_MIN, reaches only the body's
 * own per-body steps, and a ghost's own results reach nothing k reports on: see above). Word
 * by word: a memory.copy call costs more than 152 bytes do.
 */
// @ts-ignore: decorator
@inline function copyPassState(dst: usize, src: usize): void {
  for (let o: usize = 0; o < <usize>PASS_BYTES; o += 8) store<i64>(dst + o, load<i64>(src + o));
}

/** Writes the STATE of the tick's border participants (local slots in SCR_A) into k's entries of buffer b. */
function publishBorderState(b: i32): void {
  const list = <usize>cfg(SC_SCR_A), n = <i32>cfg(SC_PASS_BORDER);
  const first = <usize>cfg(SC_INDEX) * <usize>cfg(SC_CAPACITY);
  for (let q = 0; q < n; q++) {
    const l = i32At(list, q);
    copyPassState(passEntry(b, first + <usize>q), P_STATE + <usize>l * <usize>STATE_BYTES);
  }
}

/**
 * Finds where each of the tick's ghost participants (local slots in SCR_B) is published: its
 * owner j (the owner after the tick's commands, as the sync decided) and its place q in j's
 * border list (PASS_INDEX, which j wrote in its shardBegin, before this phase); entry
 * j CAPACITY + q goes in SCR_C, beside the ghost's place in SCR_B.
 */
function findGhostEntries(): void {
  const list = <usize>cfg(SC_SCR_B), n = <i32>cfg(SC_PASS_GHOSTS), out = <usize>cfg(SC_SCR_C);
  const idx = <usize>cfg(SC_PASS_INDEX), cap = <usize>cfg(SC_CAPACITY);
  const stamp = <i32>(cfg(SC_TICK) + 1), ovTick = <usize>cfg(SC_OVERLAY_TICK), ovOwn = <usize>cfg(SC_OVERLAY_OWNER);
  const fOwn = bd(<usize>cfg(SC_FRONT), BD_OWNER);
  for (let q = 0; q < n; q++) {
    const s = g32(P_TAG, i32At(list, q));
    const own = i32At(ovTick, s) == stamp ? i32At(ovOwn, s) : i32At(fOwn, s);
    setI32(out, q, <i32>(<usize>own * cap + <usize>i32At(idx, s)));
  }
}

/** Reads the STATE of the tick's ghost participants (local slots in SCR_B, entries in SCR_C) from buffer b. */
function copyGhostState(b: i32): void {
  const list = <usize>cfg(SC_SCR_B), n = <i32>cfg(SC_PASS_GHOSTS), at = <usize>cfg(SC_SCR_C);
  for (let q = 0; q < n; q++) {
    const l = i32At(list, q);
    copyPassState(P_STATE + <usize>l * <usize>STATE_BYTES, passEntry(b, <usize>i32At(at, q)));
  }
}

/**
 * Phase q of a per-pass tick of the shard at cfgAddr (see above): 0 shardBegin, 1 to 2
 * SUBSTEPS solver pass q - 1, 2 SUBSTEPS + 1 shardEnd. Returns 0, or -1 for a bad world
 * header or phase.
 */
export function shardPhase(cfgAddr: usize, q: i32): i32 {
  if (bindShard(cfgAddr) != 0) return -1;
  const passes = <i32>(2 * hdr(H_SUBSTEPS));
  if (q == 0) shardBegin();
  else if (q <= passes) shardPass(q - 1);
  else if (q == passes + 1) shardEnd();
  else return -1;
  return 0;
}

/** Phase 1 of a per-pass tick of the bound shard (see above). */
function shardBegin(): void {
  shardSync();
  worldStepBegin();
  buildContacts();
  const k = <i32>cfg(SC_INDEX);
  const border = <usize>cfg(SC_SCR_A), ghostList = <usize>cfg(SC_SCR_B);
  const nPart = <i32>hdr(H_PART_COUNT), band = cfg(SC_PASS_BAND);
  const idx = <usize>cfg(SC_PASS_INDEX);
  interiorOf(k, band);
  let nb = 0, ng = 0;
  for (let p = 0; p < nPart; p++) {
    const l = g32(P_PART, p), s = g32(P_TAG, l), x = g64(P_PX, l), z = g64(P_PZ, l);
    if (!owns(s)) { if (nearRegion(k, x, z, band)) setI32(ghostList, ng++, l); }
    else if (!inInterior(x, z) && isBorder(k, x, z, band)) { setI32(idx, s, nb); setI32(border, nb++, l); }
  }
  setCfg(SC_PASS_BORDER, nb);
  setCfg(SC_PASS_GHOSTS, ng);
  solveBegin();
  publishBorderState(0);
}

/** Phase 2 of a per-pass tick of the bound shard: solver pass p (0 <= p < 2 SUBSTEPS; see above). */
function shardPass(p: i32): void {
  if (p == 0) findGhostEntries();
  copyGhostState(p & 1);
  solvePass(p);
  if (<i64>(p + 1) < 2 * hdr(H_SUBSTEPS)) publishBorderState((p + 1) & 1);
}

/** Phase 3 of a per-pass tick of the bound shard (see above). */
function shardEnd(): void {
  solveEnd();
  worldStepEnd();
  shardPublish();
}
