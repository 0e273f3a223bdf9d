// The physics world: raw memory access, the bound world, body slots and handles.
//
// A world lives in a raw region laid out by src/physics/world-layout.ts (the constants in
// ./layout.ts are generated from it). Every instance binds to a world by reading the array
// addresses from its header into module globals, so several threads can each bind their
// own world in one shared memory.
//
// Handles: a body handle is the i64 (generation << 32) | slot. Removing a body bumps the
// slot's generation, so an old handle is refused (ERR_STALE_HANDLE), never silently reused.
// Slots are recycled from a LIFO free list; the order bodies are stored in never affects the
// simulation (every per-body accumulation is an integer sum, and every ordered output is
// sorted by tag), only which slot a new body gets.
//
// Tags: every order the step depends on (pair orientation, participants, candidates, touch
// keys, records) is the order of the bodies' tags (tagOf). In a world of its own a body's tag
// is its slot (HEADER.TAGGED = 0, TAG never read); a shard world (shard.ts) stores the bodies
// it holds on dense slots of its own and tags each with its slot in the whole world, so its
// step sees the same orders as the whole world's and computes the same bits.
//
// Activity (DESIGN.md "Cost follows activity"): every live moving body is in exactly one of
//   the awake list   AWAKE[0 .. AWAKE_COUNT) with AWAKE_POS per slot (swap-remove): live
//                    kinematic bodies and live dynamic bodies without FLAG_SLEEPING, the
//                    bodies a tick moves (collide.ts, solver.ts iterate it, never the slots);
//   the sleep hash   live sleeping dynamic bodies, chained per bucket of the cell they sleep
//                    in (CELL_KEY), doubly linked (SLEEP_PREV / SLEEP_NEXT, slot + 1) so a
//                    body leaves it in O(1); awake bodies look up their neighbour cells in it.
//                    Buckets follow the cells' layout (sleepBucketOf) and carry a signature of
//                    the cells in their chain (cellSig), so a lookup of an empty cell reads
//                    neighbouring buckets and no body; SLEEP_BLOCKS counts the sleepers per
//                    block of 8 x 8 x 8 cells (sleepBlockOf), so a body far from every sleeper
//                    reads a block count or a few instead of its up to 27 buckets.
// Which list a body is in is a function of its flags and kind (listOf), so every change of
// those goes through listBody / unlistBody / wake / fallAsleep here. The order inside either
// structure depends on history and is never observable: what is built from them is sorted
// by slot or summed (collide.ts, solver.ts).
// Registry lists: every live body is also in exactly one of two unordered lists (swap-remove), STATICS
// (STATIC_COUNT long, STATIC_POS per body) or MOVING (DYNAMIC_COUNT long, MOVING_POS), kept by
// registerBody / unregisterBody, so the static tree (static-tree.ts) and queries never scan
// free slots; any change to the statics sets STATIC_DIRTY for a lazy tree rebuild, and any
// change of a moving body outside a step (and every step) sets MOVING_DIRTY (movingChanged) for
// the queries' lazy moving tree (moving-tree.ts).

import {
  P_PX, P_PY, P_PZ, P_VX, P_VY, P_VZ, P_WX, P_WY, P_WZ, P_QX, P_QY, P_QZ, P_QW,
  P_INV_MASS, P_INV_INERTIA, P_RADIUS, P_HX, P_HY, P_HZ, P_RESTITUTION, P_FRICTION,
  P_LIN_DAMP, P_ANG_DAMP, P_GRAVITY_SCALE, P_FX, P_FY, P_FZ,
  P_CHAR_TX, P_CHAR_TZ, P_CHAR_JUMP, P_CHAR_STEP, P_CHAR_SLOPE_COS, P_GNX, P_GNY, P_GNZ,
  P_GENERATION, P_SHAPE, P_KIND, P_FLAGS, P_LAYER, P_MASK, P_SLEEP_COUNT, P_STATIC_POS, P_MOVING_POS,
  P_FREE, P_STATICS, P_MOVING, P_BODY_DEF, P_CELL_KEY, P_AWAKE, P_AWAKE_POS, P_SLEEP_NEXT, P_SLEEP_PREV,
  P_SLEEP_HEAD, P_SLEEP_BLOCKS, P_MARK, P_STATE, P_TAG, STATE_BYTES, bindArrays,
  H_MAGIC, H_VERSION, H_CAPACITY, H_LIVE, H_FREE_TOP, H_HIGH_WATER, H_DYNAMIC_COUNT, H_STATIC_COUNT,
  H_STATIC_DIRTY, H_STATIC_BOXES, H_STATIC_OTHERS, H_STATIC_NODE_COUNT,
  H_CELL_SIZE, H_MARGIN, H_MAX_RADIUS, H_INV_H, H_TICK_RATE, H_SUBSTEPS, H_H_Q32,
  H_AWAKE_COUNT, H_PART_COUNT, H_WORK, H_GRID_BUCKETS, H_INV_CELL, H_MOVING_DIRTY, H_MOVING_QUERIES, H_MOVING_BUILDS, H_TAGGED,
  WORLD_MAGIC, WORLD_VERSION,
  SHAPE_SPHERE, SHAPE_CAPSULE, SHAPE_BOX, SHAPE_PLANE, SHAPE_HEIGHTFIELD, SHAPE_MESH, SHAPE_HULL, SHAPE_ROTATING_CAPSULE, SHAPE_COMPOUND, H_GEOMETRY_USED, KIND_DYNAMIC, KIND_KINEMATIC, KIND_STATIC,
  FLAG_LIVE, FLAG_SLEEPING, FLAG_CHARACTER, FLAG_NO_SLEEP, FLAG_JUMP,
  D_KIND, D_SHAPE, D_FLAGS, D_LAYER, D_MASK, D_PX, D_PY, D_PZ, D_VX, D_VY, D_VZ, D_WX, D_WY, D_WZ,
  D_QX, D_QY, D_QZ, D_QW, D_RADIUS, D_HX, D_HY, D_HZ, D_MASS, D_RESTITUTION, D_FRICTION,
  D_LIN_DAMPING, D_ANG_DAMPING, D_GRAVITY_SCALE, D_CHAR_STEP, D_CHAR_SLOPE_COS, D_CHAR_JUMP,
  ERR_FULL, ERR_STALE_HANDLE, ERR_BAD_SHAPE, ERR_TOO_LARGE, ERR_BAD_MASS, ERR_BAD_KIND, ERR_NOT_CHARACTER,
} from './layout';
import { geometryBlockValid } from './terrain';
import { hullBlockValid, hullWord } from './hull';
import { compoundBlockValid, compoundWord } from './compound';
import { div, mul, ONE, sqrtFast } from '../math/fixed';
import { staticCacheClear } from './static-tree';
import { normalize4 } from '../math/vec3';
import { rx, ry, rz, rw } from '../math/registers';

/** Base address of the bound world. */
export let W: usize = 0;

// ---- raw access: element i of the array at p ----

// @ts-ignore: decorator
@inline export function g64(p: usize, i: i32): i64 { return load<i64>(p + (<usize>i << 3)); }
// @ts-ignore: decorator
@inline export function s64(p: usize, i: i32, v: i64): void { store<i64>(p + (<usize>i << 3), v); }
// @ts-ignore: decorator
@inline export function g32(p: usize, i: i32): i32 { return load<i32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline export function s32(p: usize, i: i32, v: i32): void { store<i32>(p + (<usize>i << 2), v); }
/** Header slot k of the bound world. */
// @ts-ignore: decorator
@inline export function hdr(k: i32): i64 { return load<i64>(W + (<usize>k << 3)); }
// @ts-ignore: decorator
@inline export function setHdr(k: i32, v: i64): void { store<i64>(W + (<usize>k << 3), v); }
/** Address of body i's solver STATE record (STATE_BYTES each; see STATE in world-layout.ts): solver.ts and sleep.ts. */
// @ts-ignore: decorator
@inline export function st(i: i32): usize { return P_STATE + <usize>i * <usize>STATE_BYTES; }
/** Whether the bound world's tags may differ from its slots (HEADER.TAGGED: a shard world). */
// @ts-ignore: decorator
@inline export function tagged(): bool { return hdr(H_TAGGED) != 0; }
/** Tag of slot i (see the module comment): its TAG field in a tagged world, else i. */
// @ts-ignore: decorator
@inline export function tagOf(i: i32): i32 { return hdr(H_TAGGED) != 0 ? g32(P_TAG, i) : i; }

/** Binds this instance to the world at `base` (its header must be written). Returns 0 or -1 for a bad header. */
export function worldBind(base: usize): i32 {
  if (<u64>load<i64>(base + (<usize>H_MAGIC << 3)) != WORLD_MAGIC) return -1;
  if (load<i64>(base + (<usize>H_VERSION << 3)) != WORLD_VERSION) return -1;
  W = base;
  bindArrays(base);
  return 0;
}

/**
 * Initializes an empty world whose header (sizes, configuration, array offsets) JavaScript
 * has written: binds it and clears the counters. Array contents need no clearing (a slot is
 * written completely when a body is created). Returns 0 or -1 for a bad header.
 */
export function worldInit(base: usize): i32 {
  if (worldBind(base) != 0) return -1;
  setHdr(H_LIVE, 0);
  setHdr(H_FREE_TOP, 0);
  setHdr(H_HIGH_WATER, 0);
  setHdr(H_DYNAMIC_COUNT, 0);
  setHdr(H_STATIC_COUNT, 0);
  setHdr(H_STATIC_DIRTY, 1);
  setHdr(H_STATIC_BOXES, 0);
  setHdr(H_STATIC_OTHERS, 0);
  setHdr(H_STATIC_NODE_COUNT, 0);
  movingChanged();
  setHdr(H_MOVING_BUILDS, 0);
  setHdr(H_MAX_RADIUS, 0);
  setHdr(H_AWAKE_COUNT, 0);
  setHdr(H_PART_COUNT, 0);
  setHdr(H_WORK, 0);
  setHdr(H_TAGGED, 0);
  memory.fill(P_SLEEP_HEAD, 0, <usize>(hdr(H_GRID_BUCKETS) + 2) << 3);
  memory.fill(P_SLEEP_BLOCKS, 0, <usize>sleepBlockCount() << 2);
  setHdr(H_INV_H, hdr(H_TICK_RATE) * hdr(H_SUBSTEPS));
  setHdr(H_H_Q32, ((<i64>1 << 32) + (hdr(H_INV_H) >> 1)) / hdr(H_INV_H));
  return 0;
}

/** Slot of a handle, or -1 if the handle is stale or out of range. */
export function slotOf(handle: i64): i32 {
  const slot = <i32>(handle & 0xFFFFFFFF);
  const gen = <i32>(handle >>> 32);
  if (handle < 0 || <i64>slot >= hdr(H_HIGH_WATER)) return -1;
  if (g32(P_GENERATION, slot) != gen || (g32(P_FLAGS, slot) & FLAG_LIVE) == 0) return -1;
  return slot;
}

// @ts-ignore: decorator
@inline function handleOf(slot: i32): i64 {
  return (<i64>g32(P_GENERATION, slot) << 32) | <i64>slot;
}

/** Bounding radius of a non-static body around its centre (raw metres). */
export function boundingRadius(slot: i32): i64 {
  const shape = g32(P_SHAPE, slot);
  if (shape == SHAPE_CAPSULE) return g64(P_RADIUS, slot) + g64(P_HY, slot);
  return g64(P_RADIUS, slot);
}

/**
 * Bounding-sphere radius of a box with half extents hx, hy, hz (raw metres): sqrt(hx^2 + hy^2
 * + hz^2), rounded up by two raw units (sqrtFast errs by less than one) so it contains the corners.
 */
function boxBoundingRadius(hx: i64, hy: i64, hz: i64): i64 {
  return <i64>sqrtFast(<u64>(hx * hx + hy * hy + hz * hz)) + 2;
}

/** 1 / (1 + c h) per substep in Q32 for a damping coefficient c (raw 1/s). */
// @ts-ignore: decorator
@inline function dampFactor(c: i64): i64 {
  const invH = hdr(H_INV_H);
  // (1 / (1 + c h)) * 2^32 = invH * 2^48 / (invH * 2^16 + c)
  return (invH << 48) / ((invH << 16) + c);
}

/**
 * Creates a body from the definition record at P_BODY_DEF (see BODY_DEF in
 * world-layout.ts) and returns its handle, or a negative error: ERR_FULL (no free slot),
 * ERR_BAD_SHAPE (unknown shape, non-positive size, plane normal zero), ERR_TOO_LARGE (a
 * moving body wider than a broadphase cell allows), ERR_BAD_MASS (dynamic without positive
 * mass), ERR_BAD_KIND (unknown kind, or a moving plane).
 */
export function bodyCreate(): i64 {
  const d = P_BODY_DEF;
  const kind = <i32>g64(d, D_KIND), shape = <i32>g64(d, D_SHAPE);
  if (kind < KIND_DYNAMIC || kind > KIND_STATIC) return ERR_BAD_KIND;
  if (shape < SHAPE_SPHERE || shape > SHAPE_COMPOUND) return ERR_BAD_SHAPE;
  if ((shape == SHAPE_HULL || shape == SHAPE_COMPOUND) && kind != KIND_DYNAMIC) return ERR_BAD_KIND;   // hulls and compounds are dynamic (hull.ts, compound.ts)
  if ((shape == SHAPE_PLANE || shape == SHAPE_HEIGHTFIELD || shape == SHAPE_MESH) && kind != KIND_STATIC) return ERR_BAD_KIND;
  if (shape == SHAPE_BOX && kind == KIND_KINEMATIC) return ERR_BAD_KIND;   // static or dynamic (rotating) boxes
  if (shape == SHAPE_ROTATING_CAPSULE && kind != KIND_DYNAMIC) return ERR_BAD_KIND;   // dynamic only (capsule-contacts.ts)
  const radius = g64(d, D_RADIUS);
  let hx = g64(d, D_HX), hy = g64(d, D_HY), hz = g64(d, D_HZ);
  if ((shape == SHAPE_SPHERE || shape == SHAPE_CAPSULE) && radius <= 0) return ERR_BAD_SHAPE;
  if (shape == SHAPE_CAPSULE && hy <= 0) return ERR_BAD_SHAPE;
  if (shape == SHAPE_ROTATING_CAPSULE && (radius <= 0 || hy <= 0)) return ERR_BAD_SHAPE;
  if (shape == SHAPE_BOX && (hx <= 0 || hy <= 0 || hz <= 0)) return ERR_BAD_SHAPE;
  // heightfield / mesh: RADIUS is the word index of a geometry block of that shape, HX..HZ its AABB (terrain.ts)
  if (shape == SHAPE_HEIGHTFIELD || shape == SHAPE_MESH) {
    if (hx <= 0 || hy <= 0 || hz <= 0 || !geometryBlockValid(radius, shape, hdr(H_GEOMETRY_USED))) return ERR_BAD_SHAPE;
  }
  // hull: CHAR_STEP is the word index of its geometry block; HX..HZ its equivalent box, RADIUS its bounding sphere (hull.ts)
  let hullBound: i64 = 0;
  if (shape == SHAPE_HULL) {
    const g = g64(d, D_CHAR_STEP);
    if (!hullBlockValid(g, hdr(H_GEOMETRY_USED))) return ERR_BAD_SHAPE;
    hullBound = hullWord(<i32>g, 4);
    hx = hullWord(<i32>g, 5); hy = hullWord(<i32>g, 6); hz = hullWord(<i32>g, 7);
  }
  // compound: CHAR_STEP is the word index of its geometry block; HX..HZ its equivalent box, RADIUS its bounding sphere (compound.ts)
  if (shape == SHAPE_COMPOUND) {
    const g = g64(d, D_CHAR_STEP);
    if (!compoundBlockValid(g, hdr(H_GEOMETRY_USED))) return ERR_BAD_SHAPE;
    hullBound = compoundWord(<i32>g, 2);
    hx = compoundWord(<i32>g, 3); hy = compoundWord(<i32>g, 4); hz = compoundWord(<i32>g, 5);
  }
  if (shape == SHAPE_PLANE) {
    if ((hx | hy | hz) == 0) return ERR_BAD_SHAPE;
    normalize4(hx, hy, hz, 0);
    hx = rx; hy = ry; hz = rz;
  }
  const mass = g64(d, D_MASS);
  if (kind == KIND_DYNAMIC && mass <= 0) return ERR_BAD_MASS;
  if (kind != KIND_STATIC) {
    const bound = shape == SHAPE_CAPSULE || shape == SHAPE_ROTATING_CAPSULE ? radius + hy : (shape == SHAPE_BOX ? boxBoundingRadius(hx, hy, hz) : (shape == SHAPE_HULL || shape == SHAPE_COMPOUND ? hullBound : radius));
    // two bodies in contact range must sit in neighbouring cells: 2 * bound + margin <= cell
    if (2 * bound + hdr(H_MARGIN) > hdr(H_CELL_SIZE)) return ERR_TOO_LARGE;
  }
  const slot = takeSlot();
  if (slot < 0) return ERR_FULL;
  staticCacheClear(slot);
  s32(P_KIND, slot, kind);
  s32(P_SHAPE, slot, shape);
  s32(P_FLAGS, slot, (<i32>g64(d, D_FLAGS) & (FLAG_CHARACTER | FLAG_NO_SLEEP)) | FLAG_LIVE);
  s32(P_LAYER, slot, <i32>g64(d, D_LAYER));
  s32(P_MASK, slot, <i32>g64(d, D_MASK));
  s32(P_SLEEP_COUNT, slot, 0);
  s64(P_PX, slot, g64(d, D_PX)); s64(P_PY, slot, g64(d, D_PY)); s64(P_PZ, slot, g64(d, D_PZ));
  const moving = kind != KIND_STATIC;
  s64(P_VX, slot, moving ? g64(d, D_VX) : 0); s64(P_VY, slot, moving ? g64(d, D_VY) : 0); s64(P_VZ, slot, moving ? g64(d, D_VZ) : 0);
  const spins = moving && (shape == SHAPE_SPHERE || shape == SHAPE_BOX || shape == SHAPE_HULL || shape == SHAPE_ROTATING_CAPSULE || shape == SHAPE_COMPOUND);
  s64(P_WX, slot, spins ? g64(d, D_WX) : 0); s64(P_WY, slot, spins ? g64(d, D_WY) : 0); s64(P_WZ, slot, spins ? g64(d, D_WZ) : 0);
  let qx = g64(d, D_QX), qy = g64(d, D_QY), qz = g64(d, D_QZ), qw = g64(d, D_QW);
  if ((qx | qy | qz | qw) == 0) qw = ONE;
  normalize4(qx, qy, qz, qw);
  s64(P_QX, slot, rx); s64(P_QY, slot, ry); s64(P_QZ, slot, rz); s64(P_QW, slot, rw);
  // a dynamic box's RADIUS is its bounding sphere (broadphase reach, sleep rule); a static box's is 0
  s64(P_RADIUS, slot, shape == SHAPE_PLANE ? radius : (shape == SHAPE_BOX ? (moving ? boxBoundingRadius(hx, hy, hz) : 0) : (shape == SHAPE_HULL || shape == SHAPE_COMPOUND ? hullBound : radius)));
  s64(P_HX, slot, shape == SHAPE_CAPSULE ? 0 : hx);
  if (shape == SHAPE_ROTATING_CAPSULE) {
    // a rotating capsule's RADIUS is its bounding sphere (as a dynamic box's), HX its radius
    s64(P_RADIUS, slot, radius + hy); s64(P_HX, slot, radius);
  }
  s64(P_HY, slot, hy);
  s64(P_HZ, slot, shape == SHAPE_CAPSULE ? 0 : hz);
  s64(P_RESTITUTION, slot, g64(d, D_RESTITUTION));
  s64(P_FRICTION, slot, g64(d, D_FRICTION));
  s64(P_LIN_DAMP, slot, dampFactor(g64(d, D_LIN_DAMPING)));
  s64(P_ANG_DAMP, slot, dampFactor(g64(d, D_ANG_DAMPING)));
  s64(P_GRAVITY_SCALE, slot, g64(d, D_GRAVITY_SCALE));
  s64(P_FX, slot, 0); s64(P_FY, slot, 0); s64(P_FZ, slot, 0);
  s64(P_CHAR_TX, slot, 0); s64(P_CHAR_TZ, slot, 0);
  s64(P_CHAR_STEP, slot, g64(d, D_CHAR_STEP));
  s64(P_CHAR_SLOPE_COS, slot, g64(d, D_CHAR_SLOPE_COS));
  s64(P_CHAR_JUMP, slot, g64(d, D_CHAR_JUMP));
  s64(P_GNX, slot, 0); s64(P_GNY, slot, 0); s64(P_GNZ, slot, 0);
  if (kind == KIND_DYNAMIC) {
    const invMass = div(ONE, mass);
    s64(P_INV_MASS, slot, invMass);
    // solid sphere: I = 2/5 m r^2, so 1/I = 5/2 * (1/m) / r^2; capsules are rotation locked;
    // boxes keep 0 here: their inertia tensor comes from the half extents (box-contacts.ts)
    s64(P_INV_INERTIA, slot, shape == SHAPE_SPHERE ? div(div(mul(invMass, 163840), radius), radius) : 0);
  } else {
    s64(P_INV_MASS, slot, 0);
    s64(P_INV_INERTIA, slot, 0);
  }
  registerBody(slot, kind);
  noteBoundingRadius(slot, kind);
  return handleOf(slot);
}

/**
 * Marks the static tree out of date (assembly/physics/static-tree.ts rebuilds it before its
 * next use): call whenever a static body appears, disappears or changes its shape or place.
 */
// @ts-ignore: decorator
@inline export function staticsChanged(): void { setHdr(H_STATIC_DIRTY, 1); }

/**
 * Marks the moving tree of queries (moving-tree.ts) out of date: called whenever a moving
 * body may have appeared, disappeared or moved outside a step (registerBody, unregisterBody,
 * bodySetPosition, transfer.ts readBodyRecord, worldInit, worldRelist) and by every step.
 */
// @ts-ignore: decorator
@inline export function movingChanged(): void { setHdr(H_MOVING_DIRTY, 1); setHdr(H_MOVING_QUERIES, 0); }

// ---- dense slot lists (STATICS, MOVING, AWAKE): unordered, each slot's index in POS ----

/** Appends `slot` to the list at `list` whose length is header slot `countHdr`, noting its index in `pos`. */
function listAppend(list: usize, pos: usize, countHdr: i32, slot: i32): void {
  const n = <i32>hdr(countHdr);
  s32(list, n, slot);
  s32(pos, slot, n);
  setHdr(countHdr, n + 1);
}

/** Removes `slot` from such a list by moving the last entry into its place (swap-remove). */
function listRemove(list: usize, pos: usize, countHdr: i32, slot: i32): void {
  const at = g32(pos, slot);
  const last = <i32>hdr(countHdr) - 1;
  const moved = g32(list, last);
  s32(list, at, moved);
  s32(pos, moved, at);
  setHdr(countHdr, last);
}

/**
 * Counts a newly live body: the static list (and a static tree rebuild) for static bodies,
 * the moving list (DYNAMIC_COUNT long) otherwise.
 */
export function registerBody(slot: i32, kind: i32): void {
  if (kind == KIND_STATIC) {
    listAppend(P_STATICS, P_STATIC_POS, H_STATIC_COUNT, slot);
    staticsChanged();
  } else {
    listAppend(P_MOVING, P_MOVING_POS, H_DYNAMIC_COUNT, slot);
    movingChanged();
  }
  setHdr(H_LIVE, hdr(H_LIVE) + 1);
  s32(P_MARK, slot, 0);
  listBody(slot);
}

/**
 * Takes a live body out of its list (swap-remove from the static or the moving list) and
 * the live count, and marks the slot dead. The caller frees or keeps the slot.
 */
export function unregisterBody(slot: i32): void {
  if (g32(P_KIND, slot) == KIND_STATIC) {
    listRemove(P_STATICS, P_STATIC_POS, H_STATIC_COUNT, slot);
    staticsChanged();
  } else {
    listRemove(P_MOVING, P_MOVING_POS, H_DYNAMIC_COUNT, slot);
    movingChanged();
  }
  s32(P_FLAGS, slot, 0);
  setHdr(H_LIVE, hdr(H_LIVE) - 1);
}

/** Keeps MAX_RADIUS (the largest moving bounding radius, for the interaction range) up to date. */
export function noteBoundingRadius(slot: i32, kind: i32): void {
  if (kind == KIND_STATIC) return;
  const b = boundingRadius(slot);
  if (b > hdr(H_MAX_RADIUS)) setHdr(H_MAX_RADIUS, b);
}

/** Removes a body. Returns 0, or ERR_STALE_HANDLE. Its handle (and every copy) goes stale. */
export function bodyRemove(handle: i64): i64 {
  const slot = slotOf(handle);
  if (slot < 0) return ERR_STALE_HANDLE;
  unlistBody(slot);
  unregisterBody(slot);
  s32(P_GENERATION, slot, g32(P_GENERATION, slot) + 1);
  freeSlot(slot);
  return 0;
}

/**
 * Takes a free slot: the last one freed (the free list is LIFO), else the one above the high
 * water (its generation starts at 0). Returns -1 when the world is full.
 */
export function takeSlot(): i32 {
  const top = hdr(H_FREE_TOP);
  if (top > 0) {
    setHdr(H_FREE_TOP, top - 1);
    return g32(P_FREE, <i32>top - 1);
  }
  const hw = hdr(H_HIGH_WATER);
  if (hw >= hdr(H_CAPACITY)) return -1;
  setHdr(H_HIGH_WATER, hw + 1);
  s32(P_GENERATION, <i32>hw, 0);
  return <i32>hw;
}

/** Puts a dead slot on the free list (takeSlot hands it out again before any new one). */
export function freeSlot(slot: i32): void {
  const top = hdr(H_FREE_TOP);
  s32(P_FREE, <i32>top, slot);
  setHdr(H_FREE_TOP, top + 1);
}

// ---- activity: the awake list and the sleep hash (see the module comment) ----

/** Adds a work count to the last step's counter (HEADER.WORK): per-body visits of a loop. */
// @ts-ignore: decorator
@inline export function addWork(n: i32): void { setHdr(H_WORK, hdr(H_WORK) + <i64>n); }

/** Packed cell key (21 bits per axis) of a raw position: cell = floor(p / CELL_SIZE) via INV_CELL. */
// @ts-ignore: decorator
@inline export function cellKeyOf(x: i64, y: i64, z: i64): i64 {
  const inv = hdr(H_INV_CELL);
  return ((((x * inv) >> 32) & 0x1FFFFF) << 42) | ((((y * inv) >> 32) & 0x1FFFFF) << 21) | (((z * inv) >> 32) & 0x1FFFFF);
}

/**
 * Sleep-hash bucket of a cell: its coordinates modulo a torus of GRID_BUCKETS cells, y in the
 * lowest 2 bits, z above, x on top (bits split evenly between x and z), so neighbouring cells
 * have neighbouring buckets and an awake body's lookups touch a few cache lines, not 27
 * random ones. Cells that wrap onto the same bucket share its chain (entries are checked by
 * key). Only the low bits of each coordinate count, so the 21-bit fields of a packed key give
 * the same bucket as the full coordinates.
 */
// @ts-ignore: decorator
@inline export function sleepBucketOf(cx: i64, cy: i64, cz: i64): i32 {
  return torusIndex(cx, cy, cz, ctz<i32>(<i32>hdr(H_GRID_BUCKETS)));
}

/** Index of (cx, cy, cz) on a torus of 2^k entries: y in the lowest 2 bits (k >= 6), z above, x on top. */
// @ts-ignore: decorator
@inline function torusIndex(cx: i64, cy: i64, cz: i64, k: i32): i32 {
  const by = k >= 6 ? 2 : 0, bz = (k - by) >> 1, bx = k - by - bz;
  return ((<i32>cx & ((1 << bx) - 1)) << (bz + by)) | ((<i32>cz & ((1 << bz) - 1)) << by) | (<i32>cy & ((1 << by) - 1));
}

/** Entries of the sleep-block table (SLEEP_BLOCKS): GRID_BUCKETS / 8, at least 1 (a power of two). */
// @ts-ignore: decorator
@inline export function sleepBlockCount(): i32 {
  const b = <i32>hdr(H_GRID_BUCKETS) >> 3;
  return b > 0 ? b : 1;
}

/**
 * Sleep-block entry of a cell: the block of 8 x 8 x 8 cells holding it (cell >> 3 per axis)
 * on a torus of sleepBlockCount() entries laid out like sleepBucketOf. SLEEP_BLOCKS counts the
 * sleepers of the blocks wrapped onto each entry, kept by sleepInsert / sleepRemove, so an
 * entry that counts 0 proves that no cell of its blocks holds a sleeper: collide.ts skips an
 * awake body's sleep-hash lookups when every block its reach touches counts 0 (one or a few
 * reads instead of up to 27 bucket reads). Only low bits of each coordinate count (at most 18
 * of a block's), so a packed key's 21-bit fields give the same entry as the full coordinates.
 */
// @ts-ignore: decorator
@inline export function sleepBlockOf(cx: i64, cy: i64, cz: i64): i32 {
  return torusIndex(cx >> 3, cy >> 3, cz >> 3, ctz<i32>(sleepBlockCount()));
}

/** Adds d to the sleeper count of the block of a packed cell key. */
// @ts-ignore: decorator
@inline function sleepBlockAdd(key: i64, d: i32): void {
  const e = sleepBlockOf((key >> 42) & 0x1FFFFF, (key >> 21) & 0x1FFFFF, key & 0x1FFFFF);
  s32(P_SLEEP_BLOCKS, e, g32(P_SLEEP_BLOCKS, e) + d);
}

/**
 * Signature bit of a packed cell key: each bucket keeps the OR of its chain's signatures, so a
 * lookup skips a chain that holds only other cells (those wrapped onto the bucket) without
 * reading any body, 31 times in 32.
 */
// @ts-ignore: decorator
@inline export function cellSig(key: i64): i32 {
  return 1 << <i32>(<u64>(key * <i64>0x9E3779B97F4A7C15) >> 59);
}

/** First body of a sleep-hash bucket's chain (slot + 1, 0 = empty). */
// @ts-ignore: decorator
@inline export function sleepHead(b: i32): i32 { return g32(P_SLEEP_HEAD, b << 1); }

/** OR of the cell signatures in a sleep-hash bucket's chain. */
// @ts-ignore: decorator
@inline export function sleepSig(b: i32): i32 { return g32(P_SLEEP_HEAD, (b << 1) + 1); }

/** Sleep-hash bucket of a packed cell key (see sleepBucketOf). */
// @ts-ignore: decorator
@inline export function sleepBucket(key: i64): i32 {
  return sleepBucketOf(key >> 42, key >> 21, key);
}

/** Which structure a body belongs in: 1 the awake list, 2 the sleep hash, 0 neither (static or dead). */
function listOf(slot: i32): i32 {
  const f = g32(P_FLAGS, slot);
  if ((f & FLAG_LIVE) == 0) return 0;
  const k = g32(P_KIND, slot);
  if (k == KIND_STATIC) return 0;
  return k == KIND_KINEMATIC || (f & FLAG_SLEEPING) == 0 ? 1 : 2;
}

/** Whether the slot is on the awake list (valid whatever AWAKE_POS holds). */
// @ts-ignore: decorator
@inline function onAwakeList(slot: i32): bool {
  const pos = g32(P_AWAKE_POS, slot);
  return pos >= 0 && <i64>pos < hdr(H_AWAKE_COUNT) && g32(P_AWAKE, pos) == slot;
}

function awakeAdd(slot: i32): void {
  if (!onAwakeList(slot)) listAppend(P_AWAKE, P_AWAKE_POS, H_AWAKE_COUNT, slot);
}

function awakeRemove(slot: i32): void {
  if (onAwakeList(slot)) listRemove(P_AWAKE, P_AWAKE_POS, H_AWAKE_COUNT, slot);
}

/**
 * Rewrites the awake list in slot order, unless it is in slot order already (then it costs
 * O(awake)); otherwise O(high water): for a shard world, whose slots are dense (shard.ts),
 * that is the bodies it holds. The order is never observable (see the module comment); it
 * is memory order: the step's per-body loops walk the awake list, and a list shuffled by
 * bodies leaving and rejoining it reads every per-slot array at random places.
 */
export function awakeListInSlotOrder(): void {
  const count = <i32>hdr(H_AWAKE_COUNT);
  let sorted = true;
  for (let a = 1; a < count && sorted; a++) sorted = g32(P_AWAKE, a - 1) < g32(P_AWAKE, a);
  if (sorted) return;
  const hw = <i32>hdr(H_HIGH_WATER);
  let m = 0;
  for (let s = 0; s < hw; s++) {
    if (listOf(s) != 1) continue;
    s32(P_AWAKE, m, s);
    s32(P_AWAKE_POS, s, m);
    m++;
  }
}

/** Puts a sleeping body into the sleep hash under the cell of its current position. */
function sleepInsert(slot: i32): void {
  const key = cellKeyOf(g64(P_PX, slot), g64(P_PY, slot), g64(P_PZ, slot));
  s64(P_CELL_KEY, slot, key);
  const b = sleepBucket(key);
  const head = sleepHead(b);
  s32(P_SLEEP_NEXT, slot, head);
  s32(P_SLEEP_PREV, slot, 0);
  if (head != 0) s32(P_SLEEP_PREV, head - 1, slot + 1);
  s32(P_SLEEP_HEAD, b << 1, slot + 1);
  s32(P_SLEEP_HEAD, (b << 1) + 1, sleepSig(b) | cellSig(key));
  sleepBlockAdd(key, 1);
}

/** Takes a body out of the sleep hash (its CELL_KEY is the cell it was put in under). */
function sleepRemove(slot: i32): void {
  const prev = g32(P_SLEEP_PREV, slot), next = g32(P_SLEEP_NEXT, slot);
  const b = sleepBucket(g64(P_CELL_KEY, slot));
  sleepBlockAdd(g64(P_CELL_KEY, slot), -1);
  if (prev != 0) s32(P_SLEEP_NEXT, prev - 1, next);
  else s32(P_SLEEP_HEAD, b << 1, next);
  if (next != 0) s32(P_SLEEP_PREV, next - 1, prev);
  // the signature of what is left (chains are short: the cells wrapped onto one bucket)
  let sig = 0;
  for (let e = sleepHead(b); e != 0; e = g32(P_SLEEP_NEXT, e - 1)) sig |= cellSig(g64(P_CELL_KEY, e - 1));
  s32(P_SLEEP_HEAD, (b << 1) + 1, sig);
}

/** Enters a live body into the awake list or the sleep hash by its flags (no-op for statics). Idempotent for the awake list. */
export function listBody(slot: i32): void {
  const l = listOf(slot);
  if (l == 1) awakeAdd(slot);
  else if (l == 2) sleepInsert(slot);
}

/**
 * Takes a body out of the awake list or the sleep hash. Call it before anything changes the
 * body's flags, kind, liveness or (while it sleeps) its position in place (removal, a record
 * overwriting it), and listBody after.
 */
export function unlistBody(slot: i32): void {
  const l = listOf(slot);
  if (l == 1) awakeRemove(slot);
  else if (l == 2) sleepRemove(slot);
}

/** Wakes a sleeping body (resets its rest counter): it moves from the sleep hash to the awake list. */
export function wake(slot: i32): void {
  const f = g32(P_FLAGS, slot);
  if (listOf(slot) == 2) {
    sleepRemove(slot);
    s32(P_FLAGS, slot, f & ~FLAG_SLEEPING);
    awakeAdd(slot);
  } else {
    s32(P_FLAGS, slot, f & ~FLAG_SLEEPING);
  }
  s32(P_SLEEP_COUNT, slot, 0);
}

/** Puts an awake dynamic body to sleep at its current position: awake list -> sleep hash. */
export function fallAsleep(slot: i32): void {
  awakeRemove(slot);
  s32(P_FLAGS, slot, g32(P_FLAGS, slot) | FLAG_SLEEPING);
  sleepInsert(slot);
}

/**
 * Checks the awake list and the sleep hash against the flags of every slot (O(slots + buckets),
 * for tests): 0 when consistent; 1 an awake-list entry is not an awake body, 2 an awake body
 * is missing from it, 3 a sleep-hash entry is not a sleeping body, sits in the wrong bucket or
 * cell, has a broken back link or a wrong bucket signature, or a SLEEP_BLOCKS count differs from the sleepers in its blocks, 4 the sleep hash holds a different number of bodies than sleep.
 */
export function worldCheckLists(): i32 {
  const n = <i32>hdr(H_AWAKE_COUNT);
  for (let a = 0; a < n; a++) {
    const s = g32(P_AWAKE, a);
    if (listOf(s) != 1 || g32(P_AWAKE_POS, s) != a) return 1;
  }
  const hw = <i32>hdr(H_HIGH_WATER);
  let sleeping = 0;
  for (let s = 0; s < hw; s++) {
    const l = listOf(s);
    if (l == 1 && !onAwakeList(s)) return 2;
    if (l == 2) sleeping++;
  }
  const buckets = <i32>hdr(H_GRID_BUCKETS);
  let chained = 0;
  for (let b = 0; b < buckets; b++) {
    let prev = 0, sig = 0;
    for (let e = sleepHead(b); e != 0; e = g32(P_SLEEP_NEXT, e - 1)) {
      const s = e - 1;
      if (listOf(s) != 2 || sleepBucket(g64(P_CELL_KEY, s)) != b || g32(P_SLEEP_PREV, s) != prev) return 3;
      if (g64(P_CELL_KEY, s) != cellKeyOf(g64(P_PX, s), g64(P_PY, s), g64(P_PZ, s))) return 3;   // sleepers do not move
      if (++chained > sleeping) return 4;
      prev = e;
      sig |= cellSig(g64(P_CELL_KEY, s));
    }
    if (sig != sleepSig(b)) return 3;
  }
  if (chained != sleeping) return 4;
  // block counts: take every sleeper out of its block, expect zeros, put them back
  for (let b = 0; b < buckets; b++) for (let e = sleepHead(b); e != 0; e = g32(P_SLEEP_NEXT, e - 1)) sleepBlockAdd(g64(P_CELL_KEY, e - 1), -1);
  let blocksOk = true;
  const nBlocks = sleepBlockCount();
  for (let e = 0; e < nBlocks; e++) if (g32(P_SLEEP_BLOCKS, e) != 0) blocksOk = false;
  for (let b = 0; b < buckets; b++) for (let e = sleepHead(b); e != 0; e = g32(P_SLEEP_NEXT, e - 1)) sleepBlockAdd(g64(P_CELL_KEY, e - 1), 1);
  return blocksOk ? 0 : 3;
}

/**
 * Rebuilds the awake list and the sleep hash from the flags of every slot below the high
 * water (after the world was copied into a larger layout, whose hash has more buckets).
 * O(high water): run when the world grows, never per tick.
 */
export function worldRelist(): void {
  setHdr(H_AWAKE_COUNT, 0);
  memory.fill(P_SLEEP_HEAD, 0, <usize>(hdr(H_GRID_BUCKETS) + 2) << 3);
  memory.fill(P_SLEEP_BLOCKS, 0, <usize>sleepBlockCount() << 2);
  movingChanged();
  const hw = <i32>hdr(H_HIGH_WATER);
  for (let s = 0; s < hw; s++) listBody(s);
}

/** Sets a body's position (raw metres) and wakes it. Returns 0 or ERR_STALE_HANDLE. */
export function bodySetPosition(handle: i64, x: i64, y: i64, z: i64): i64 {
  const slot = slotOf(handle);
  if (slot < 0) return ERR_STALE_HANDLE;
  s64(P_PX, slot, x); s64(P_PY, slot, y); s64(P_PZ, slot, z);
  if (g32(P_KIND, slot) == KIND_STATIC) staticsChanged(); else movingChanged();
  wake(slot);
  return 0;
}

/** Sets a moving body's velocity (raw m/s) and wakes it. Static bodies: ERR_BAD_KIND. */
export function bodySetVelocity(handle: i64, x: i64, y: i64, z: i64): i64 {
  const slot = slotOf(handle);
  if (slot < 0) return ERR_STALE_HANDLE;
  if (g32(P_KIND, slot) == KIND_STATIC) return ERR_BAD_KIND;
  s64(P_VX, slot, x); s64(P_VY, slot, y); s64(P_VZ, slot, z);
  wake(slot);
  return 0;
}

/** Sets a sphere's, rotating box's or rotating capsule's angular velocity (raw rad/s) and wakes it; other shapes do not rotate (ERR_BAD_SHAPE). */
export function bodySetAngularVelocity(handle: i64, x: i64, y: i64, z: i64): i64 {
  const slot = slotOf(handle);
  if (slot < 0) return ERR_STALE_HANDLE;
  const sh = g32(P_SHAPE, slot);
  if (g32(P_KIND, slot) == KIND_STATIC || (sh != SHAPE_SPHERE && sh != SHAPE_BOX && sh != SHAPE_HULL && sh != SHAPE_ROTATING_CAPSULE && sh != SHAPE_COMPOUND)) return ERR_BAD_SHAPE;
  s64(P_WX, slot, x); s64(P_WY, slot, y); s64(P_WZ, slot, z);
  wake(slot);
  return 0;
}

/** Applies an impulse (raw N s) at the centre of a dynamic body: v += J / m. Wakes it. */
export function bodyApplyImpulse(handle: i64, x: i64, y: i64, z: i64): i64 {
  const slot = slotOf(handle);
  if (slot < 0) return ERR_STALE_HANDLE;
  if (g32(P_KIND, slot) != KIND_DYNAMIC) return ERR_BAD_KIND;
  const im = g64(P_INV_MASS, slot);
  s64(P_VX, slot, g64(P_VX, slot) + mul(x, im));
  s64(P_VY, slot, g64(P_VY, slot) + mul(y, im));
  s64(P_VZ, slot, g64(P_VZ, slot) + mul(z, im));
  wake(slot);
  return 0;
}

/** Adds a force (raw N) at the centre of a dynamic body, applied during the next tick only. Wakes it. */
export function bodyApplyForce(handle: i64, x: i64, y: i64, z: i64): i64 {
  const slot = slotOf(handle);
  if (slot < 0) return ERR_STALE_HANDLE;
  if (g32(P_KIND, slot) != KIND_DYNAMIC) return ERR_BAD_KIND;
  s64(P_FX, slot, g64(P_FX, slot) + x);
  s64(P_FY, slot, g64(P_FY, slot) + y);
  s64(P_FZ, slot, g64(P_FZ, slot) + z);
  wake(slot);
  return 0;
}

/** Wakes a body. Returns 0 or ERR_STALE_HANDLE. */
export function bodyWake(handle: i64): i64 {
  const slot = slotOf(handle);
  if (slot < 0) return ERR_STALE_HANDLE;
  wake(slot);
  return 0;
}

/**
 * Sets a character's input: target horizontal velocity (raw m/s along x and z) and whether
 * to jump at the next tick it stands on walkable ground. ERR_NOT_CHARACTER otherwise.
 */
export function characterSetInput(handle: i64, tx: i64, tz: i64, jump: i32): i64 {
  const slot = slotOf(handle);
  if (slot < 0) return ERR_STALE_HANDLE;
  if ((g32(P_FLAGS, slot) & FLAG_CHARACTER) == 0) return ERR_NOT_CHARACTER;
  s64(P_CHAR_TX, slot, tx);
  s64(P_CHAR_TZ, slot, tz);
  const f = g32(P_FLAGS, slot);
  s32(P_FLAGS, slot, jump ? f | FLAG_JUMP : f & ~FLAG_JUMP);
  wake(slot);
  return 0;
}

// re-exported for the step modules
export { KIND_DYNAMIC, KIND_KINEMATIC, KIND_STATIC };
