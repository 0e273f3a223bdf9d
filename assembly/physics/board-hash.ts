// Hashes of a sharded world's published board (src/physics/sharded.ts; layout BOARD in
// src/physics/world-layout.ts), over the bodies the board holds rather than its slots.
//
// boardRecordsHash chains xxHash64 over the live records in slot order, seeded with the tick.
// The live slots of a board are exactly the slots the shards wrote on it (each shard's list,
// BD_LISTS) and the statics (BD_STATICS): every other slot's owner is OWNER_NONE (the
// coordinator writes NONE for the bodies the command overlay despawned, on both boards). So
// the slot order is recovered by sorting those lists (shard-sort.ts, linear in the live
// count) instead of sweeping every slot below the high water: the same records in the same
// order, hence the same bits as the sweep. boardHash adds the touching pairs in key order and
// equals worldHash (step.ts) of the unsharded world in the same state.

import {
  BD_RECORDS, BD_OWNER, BD_TOUCH, BD_TOUCH_COUNT, BD_TICK, BD_HIGH_WATER, BD_LISTS, BD_LIST_START,
  BD_STATICS, BD_SHARDS, BD_CAPACITY, BD_LIVE, BD_LIVE_COUNT, BD_LIVE_TICK,
  BODY_RECORD_BYTES, OWNER_NONE, OWNER_STATIC,
  SC_COUNT, SC_TOUCH_CAP, SC_SCR_ENTRIES, SC_SCR_A, SC_SCR_B, SC_SCR_C, SC_SCR_SLOTS, SC_SCR_COUNTS, SC_CAPACITY,
} from './layout';
import { sortBySlot } from './shard-sort';
import { xxh64 } from '../hash/xxhash64';

// @ts-ignore: decorator
@inline function slotAt(p: usize, k: i32): i64 { return load<i64>(p + (<usize>k << 3)); }
// @ts-ignore: decorator
@inline function bd(board: usize, k: i32): usize { return <usize>load<i64>(board + (<usize>k << 3)); }
// @ts-ignore: decorator
@inline function i32At(p: usize, i: i32): i32 { return load<i32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function recAt(p: usize, s: i32): usize { return p + <usize>s * BODY_RECORD_BYTES; }
// @ts-ignore: decorator
@inline function entry(p: usize, i: i32): usize { return p + (<usize>i << 4); }

/**
 * Writes the live slots of `board` (every shard's published list, then the statics) to dst in
 * slot order, using tmp (as large as dst: the board's capacity in i32) as the sort's other
 * buffer and `counts` as its scratch (2^16 + 1 i32). Returns the count.
 */
function liveSlots(board: usize, dst: usize, tmp: usize, counts: usize): i32 {
  const K = <i32>slotAt(board, BD_SHARDS), cap = <usize>slotAt(board, BD_CAPACITY);
  const lists = bd(board, BD_LISTS), starts = bd(board, BD_LIST_START);
  let n = 0;
  for (let j = 0; j < K; j++) {
    const cnt = i32At(starts + <usize>j * <usize>(2 * K + 1) * 4, 2 * K);
    memory.copy(tmp + (<usize>n << 2), lists + <usize>j * cap * 4, <usize>cnt << 2);
    n += cnt;
  }
  const st = bd(board, BD_STATICS), ns = load<i32>(st);
  memory.copy(tmp + (<usize>n << 2), st + 4, <usize>ns << 2);
  n += ns;
  sortBySlot(tmp, n, dst, 4, 0, <i32>slotAt(board, BD_HIGH_WATER), counts);
  return n;
}

/** Chains xxHash64 over the records of the n slots at `slots`, seeded with the board's tick. */
function chainRecords(board: usize, slots: usize, n: i32): u64 {
  const rec = bd(board, BD_RECORDS);
  let h: u64 = <u64>slotAt(board, BD_TICK);
  for (let q = 0; q < n; q++) h = xxh64(recAt(rec, i32At(slots, q)), <usize>BODY_RECORD_BYTES, h);
  return h;
}

/**
 * xxHash64 chained over the live records of a board in slot order, seeded with its tick. Uses
 * the board's live list when the coordinator wrote one for this tick (boardPublishLive: with
 * checksums on), else sweeps the slots below the high water. Any thread may call it.
 */
export function boardRecordsHash(board: usize): u64 {
  if (slotAt(board, BD_LIVE_TICK) == slotAt(board, BD_TICK)) {
    return chainRecords(board, bd(board, BD_LIVE), <i32>slotAt(board, BD_LIVE_COUNT));
  }
  const hw = <i32>slotAt(board, BD_HIGH_WATER);
  const rec = bd(board, BD_RECORDS), own = bd(board, BD_OWNER);
  let h: u64 = <u64>slotAt(board, BD_TICK);
  for (let s = 0; s < hw; s++) {
    if (i32At(own, s) == OWNER_NONE) continue;
    h = xxh64(recAt(rec, s), <usize>BODY_RECORD_BYTES, h);
  }
  return h;
}

/**
 * Writes the board's live list (BD_LIVE, BD_LIVE_COUNT) for its current tick, using the scratch
 * of the shard at cfgAddr (call it between ticks, after BD_TICK is set): boardRecordsHash then
 * costs the live bodies only. Returns the live count.
 */
export function boardPublishLive(cfgAddr: usize, board: usize): i32 {
  const tmp = <usize>slotAt(cfgAddr, SC_SCR_SLOTS);
  const n = liveSlots(board, bd(board, BD_LIVE), tmp, <usize>slotAt(cfgAddr, SC_SCR_COUNTS));
  store<i64>(board + (<usize>BD_LIVE_COUNT << 3), n);
  store<i64>(board + (<usize>BD_LIVE_TICK << 3), slotAt(board, BD_TICK));
  return n;
}

/**
 * The world hash of a board: exactly what worldHash (step.ts) gives for an unsharded world in
 * the same state: the live records, then the touching pairs in key order. Uses the
 * scratch of the shard at cfgAddr (call it between ticks only). Linear in the live bodies and
 * the touch entries.
 */
export function boardHash(cfgAddr: usize, board: usize): u64 {
  const C = cfgAddr;
  const K = <i32>slotAt(C, SC_COUNT), touchCap = <i32>slotAt(C, SC_TOUCH_CAP), room = <i32>slotAt(C, SC_SCR_ENTRIES);
  const hw = <i32>slotAt(board, BD_HIGH_WATER);
  const sa = <usize>slotAt(C, SC_SCR_A), sb = <usize>slotAt(C, SC_SCR_B), sc = <usize>slotAt(C, SC_SCR_C);
  const counts = <usize>slotAt(C, SC_SCR_COUNTS), slots = <usize>slotAt(C, SC_SCR_SLOTS);
  const cap = <usize>slotAt(C, SC_CAPACITY);
  const own = bd(board, BD_OWNER);
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
      if (i32At(own, a) == OWNER_STATIC || (i32At(own, b) != OWNER_STATIC && a > b)) continue;
      if (n >= room) return 0;                       // cannot happen: the lists fit the scratch
      memory.copy(entry(sa, n), e, 16);
      n++;
    }
  }
  sortBySlot(sa, n, sb, 16, 0, hw, counts);         // by B, then stably by A: by key
  sortBySlot(sb, n, sc, 16, 4, hw, counts);
  const live = liveSlots(board, slots, slots + cap * 4, counts);
  return xxh64(sc, <usize>n << 4, chainRecords(board, slots, live));
}
