// Body records: every simulated field of one body in a fixed order, for the state hash and
// for moving a body between worlds (shard ghosts and handoff keep a body's slot and
// generation in every world, so its identity and its place in the canonical order are the
// same everywhere).
//
// Record (BODY_RECORD_BYTES = 312, i64 slots):
//   0 slot << 32 | generation     8 kind << 32 | shape     16 flags << 32 | sleep count
//  24 layer << 32 | mask          32.. PX PY PZ VX VY VZ WX WY WZ QX QY QZ QW RADIUS HX HY HZ
//  INV_MASS INV_INERTIA RESTITUTION FRICTION LIN_DAMP ANG_DAMP GRAVITY_SCALE FX FY FZ
//  CHAR_TX CHAR_TZ CHAR_JUMP CHAR_STEP CHAR_SLOPE_COS GNX GNY GNZ
// One list of fields (transferFields) serves both directions, so they cannot drift apart.

import {
  P_PX, P_PY, P_PZ, P_VX, P_VY, P_VZ, P_WX, P_WY, P_WZ, P_QX, P_QY, P_QZ, P_QW,
  P_INV_MASS, P_INV_INERTIA, P_RADIUS, P_HX, P_HY, P_HZ, P_RESTITUTION, P_FRICTION,
  P_LIN_DAMP, P_ANG_DAMP, P_GRAVITY_SCALE, P_FX, P_FY, P_FZ,
  P_CHAR_TX, P_CHAR_TZ, P_CHAR_JUMP, P_CHAR_STEP, P_CHAR_SLOPE_COS, P_GNX, P_GNY, P_GNZ,
  P_GENERATION, P_SHAPE, P_KIND, P_FLAGS, P_LAYER, P_MASK, P_SLEEP_COUNT, P_STATIC_POS,
  P_FREE, P_STATICS, P_HASH_REC,
  H_CAPACITY, H_HIGH_WATER, H_FREE_TOP, H_LIVE, H_DYNAMIC_COUNT, H_STATIC_COUNT, H_MAX_RADIUS, H_TICK,
  H_CELL_SIZE, H_MARGIN,
  KIND_DYNAMIC, KIND_STATIC, SHAPE_SPHERE, SHAPE_CAPSULE, SHAPE_PLANE, SHAPE_HEIGHTFIELD, SHAPE_MESH, SHAPE_HULL, SHAPE_ROTATING_CAPSULE, SHAPE_COMPOUND, FLAG_LIVE,
  H_GEOMETRY_USED,
  ERR_STALE_HANDLE, ERR_BAD_KIND, ERR_BAD_SHAPE, ERR_FULL, ERR_TOO_LARGE, BODY_RECORD_BYTES,
} from './layout';
import { staticCacheClear } from './static-tree';
import { geometryBlockValid } from './terrain';
import { hullBlockValid } from './hull';
import { compoundBlockValid } from './compound';
import { g64, s64, g32, s32, hdr, setHdr, slotOf, registerBody, noteBoundingRadius, staticsChanged, movingChanged, listBody, unlistBody, tagOf } from './world';

export { BODY_RECORD_BYTES };

// @ts-ignore: decorator
@inline function xfer(p: usize, i: i32, r: usize, o: usize, out: bool): void {
  if (out) store<i64>(r + o, g64(p, i)); else s64(p, i, load<i64>(r + o));
}

/**
 * Copies the 35 i64 fields of slot i to (out) or from the record at r (from byte 32). Inlined
 * into its two callers, each with a constant `out`, so neither tests the direction 35 times
 * per record (the shards' publish writes every awake body's record each tick).
 */
// @ts-ignore: decorator
@inline function transferFields(i: i32, r: usize, out: bool): void {
  xfer(P_PX, i, r, 32, out); xfer(P_PY, i, r, 40, out); xfer(P_PZ, i, r, 48, out);
  xfer(P_VX, i, r, 56, out); xfer(P_VY, i, r, 64, out); xfer(P_VZ, i, r, 72, out);
  xfer(P_WX, i, r, 80, out); xfer(P_WY, i, r, 88, out); xfer(P_WZ, i, r, 96, out);
  xfer(P_QX, i, r, 104, out); xfer(P_QY, i, r, 112, out); xfer(P_QZ, i, r, 120, out); xfer(P_QW, i, r, 128, out);
  xfer(P_RADIUS, i, r, 136, out); xfer(P_HX, i, r, 144, out); xfer(P_HY, i, r, 152, out); xfer(P_HZ, i, r, 160, out);
  xfer(P_INV_MASS, i, r, 168, out); xfer(P_INV_INERTIA, i, r, 176, out);
  xfer(P_RESTITUTION, i, r, 184, out); xfer(P_FRICTION, i, r, 192, out);
  xfer(P_LIN_DAMP, i, r, 200, out); xfer(P_ANG_DAMP, i, r, 208, out); xfer(P_GRAVITY_SCALE, i, r, 216, out);
  xfer(P_FX, i, r, 224, out); xfer(P_FY, i, r, 232, out); xfer(P_FZ, i, r, 240, out);
  xfer(P_CHAR_TX, i, r, 248, out); xfer(P_CHAR_TZ, i, r, 256, out); xfer(P_CHAR_JUMP, i, r, 264, out);
  xfer(P_CHAR_STEP, i, r, 272, out); xfer(P_CHAR_SLOPE_COS, i, r, 280, out);
  xfer(P_GNX, i, r, 288, out); xfer(P_GNY, i, r, 296, out); xfer(P_GNZ, i, r, 304, out);
}

/** Writes the record of live slot i at r (under its tag: world.ts tagOf); returns its length in bytes. */
export function writeBodyRecord(i: i32, r: usize): usize {
  store<i64>(r, (<i64>tagOf(i) << 32) | <i64><u32>g32(P_GENERATION, i), 0);
  store<i64>(r, (<i64>g32(P_KIND, i) << 32) | <i64><u32>g32(P_SHAPE, i), 8);
  store<i64>(r, (<i64>g32(P_FLAGS, i) << 32) | <i64><u32>g32(P_SLEEP_COUNT, i), 16);
  store<i64>(r, (<i64>g32(P_LAYER, i) << 32) | <i64><u32>g32(P_MASK, i), 24);
  transferFields(i, r, true);
  return <usize>BODY_RECORD_BYTES;
}

/**
 * Writes the record at r into slot `slot` and marks it live. Empties the slot's static-box
 * cache (static-tree.ts) unless `keepCache` (the caller knows the slot's cache bytes are this
 * world's own: the cache is a function of its box and the static set, whichever body filled
 * it). No checks and no bookkeeping
 * (counts, free list, awake list, sleep hash): the caller
 * validates and registers (registerBody), or for a body overwritten in place calls
 * unlistBody before and listBody after (world.ts).
 */
export function readBodyRecord(slot: i32, r: usize, keepCache: bool = false): void {
  const id = load<i64>(r, 0), ks = load<i64>(r, 8), fs = load<i64>(r, 16), lm = load<i64>(r, 24);
  if (!keepCache) staticCacheClear(slot); // the slot's cache bytes may be another world's (static-tree.ts)
  s32(P_GENERATION, slot, <i32>id);
  s32(P_KIND, slot, <i32>(ks >> 32));
  s32(P_SHAPE, slot, <i32>ks);
  s32(P_FLAGS, slot, <i32>(fs >> 32) | FLAG_LIVE);
  s32(P_SLEEP_COUNT, slot, <i32>fs);
  s32(P_LAYER, slot, <i32>(lm >> 32));
  s32(P_MASK, slot, <i32>lm);
  transferFields(slot, r, false);
  movingChanged();                       // a moving body may have moved or changed shape in place
}

/**
 * Copies a live body's record into the HASH_REC area of the bound world (JavaScript reads it
 * there). Returns the record length, or ERR_STALE_HANDLE.
 */
export function bodyExport(handle: i64): i64 {
  const slot = slotOf(handle);
  if (slot < 0) return ERR_STALE_HANDLE;
  return <i64>writeBodyRecord(slot, P_HASH_REC);
}

/** Takes `slot` out of the free list (it must be there); O(free list) for a slot below the high water. */
function claimFreeSlot(slot: i32): bool {
  const top = <i32>hdr(H_FREE_TOP);
  for (let k = top - 1; k >= 0; k--) {
    if (g32(P_FREE, k) != slot) continue;
    s32(P_FREE, k, g32(P_FREE, top - 1));
    setHdr(H_FREE_TOP, top - 1);
    return true;
  }
  return false;
}

/**
 * Imports the body record in the HASH_REC area into the bound world at the record's slot and
 * generation, and returns the handle:
 * - the slot is free or never used: the body is created there (slots skipped below it go to
 *   the free list);
 * - the slot holds the same body (same generation and kind): its state is overwritten (a
 *   ghost refreshed from its owner);
 * - otherwise ERR_STALE_HANDLE (another body lives there); ERR_FULL for a slot beyond the
 *   capacity; ERR_TOO_LARGE for a moving body wider than this world's grid allows;
 *   ERR_BAD_KIND / ERR_BAD_SHAPE for a malformed record. Nothing changes on error.
 */
export function bodyImport(): i64 {
  const r = P_HASH_REC;
  const id = load<i64>(r, 0), ks = load<i64>(r, 8);
  const slot = <i32>(id >> 32), gen = <i32>id;
  const kind = <i32>(ks >> 32), shape = <i32>ks;
  if (kind < KIND_DYNAMIC || kind > KIND_STATIC) return ERR_BAD_KIND;
  if (shape < SHAPE_SPHERE || shape > SHAPE_COMPOUND) return ERR_BAD_SHAPE;
  if (shape == SHAPE_COMPOUND) {
    // a compound's block (CHAR_STEP, record offset 272) must already be in this world's GEOMETRY (compound.ts)
    if (kind != KIND_DYNAMIC) return ERR_BAD_KIND;
    if (!compoundBlockValid(load<i64>(r, 272), hdr(H_GEOMETRY_USED))) return ERR_BAD_SHAPE;
  }
  if (shape == SHAPE_HULL) {
    // a hull's block (CHAR_STEP, record offset 272) must already be in this world's GEOMETRY (hull.ts)
    if (kind != KIND_DYNAMIC) return ERR_BAD_KIND;
    if (!hullBlockValid(load<i64>(r, 272), hdr(H_GEOMETRY_USED))) return ERR_BAD_SHAPE;
  }
  if (shape == SHAPE_HEIGHTFIELD || shape == SHAPE_MESH) {
    // static geometry (terrain.ts): its block (RADIUS, record offset 136) must already be in
    // this world's GEOMETRY (the bindings copy it there before the record) with that shape
    const o = load<i64>(r, 136);
    if (kind != KIND_STATIC) return ERR_BAD_KIND;
    if (!geometryBlockValid(o, shape, hdr(H_GEOMETRY_USED))) return ERR_BAD_SHAPE;
  }
  if (slot < 0 || <i64>slot >= hdr(H_CAPACITY)) return ERR_FULL;
  if (kind != KIND_STATIC) {
    // the grid invariant of bodyCreate: two bodies in contact range are in neighbouring cells
    const bound = load<i64>(r, 136) + (shape == SHAPE_CAPSULE ? load<i64>(r, 152) : 0);
    if (bound <= 0 || 2 * bound + hdr(H_MARGIN) > hdr(H_CELL_SIZE)) return ERR_TOO_LARGE;
  }
  const hw = <i32>hdr(H_HIGH_WATER);
  const existing = slot < hw && (g32(P_FLAGS, slot) & FLAG_LIVE) != 0;
  if (existing) {
    if (g32(P_GENERATION, slot) != gen || g32(P_KIND, slot) != kind) return ERR_STALE_HANDLE;
  } else if (slot < hw) {
    if (!claimFreeSlot(slot)) return ERR_STALE_HANDLE;
  } else {
    // slots between the high water and this one become free slots
    for (let s = hw; s < slot; s++) {
      s32(P_GENERATION, s, 0); s32(P_FLAGS, s, 0);
      const top = hdr(H_FREE_TOP);
      s32(P_FREE, <i32>top, s);
      setHdr(H_FREE_TOP, top + 1);
    }
    setHdr(H_HIGH_WATER, slot + 1);
  }
  if (existing) unlistBody(slot);         // the record may change its flags (asleep, awake) and cell
  readBodyRecord(slot, r);
  if (!existing) registerBody(slot, kind);
  else {
    listBody(slot);
    if (kind == KIND_STATIC) staticsChanged();
  }
  noteBoundingRadius(slot, kind);
  return (<i64>gen << 32) | <i64>slot;
}

/** Sets the tick counter of the bound world (worlds that exchange bodies step in lockstep). */
export function worldSetTick(tick: i64): void {
  setHdr(H_TICK, tick);
}
