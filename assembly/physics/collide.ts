// Broadphase and narrowphase: the contact list of one tick.
//
// Cost follows activity (DESIGN.md): nothing here visits a slot that does not take part in
// the tick. The bodies that move are the awake list (world.ts: awake dynamic and kinematic
// bodies); sleeping bodies wait in the sleep hash (world.ts), keyed by the cell they sleep in
// and touched only when they fall asleep, wake, or are removed or overwritten.
//
// Broadphase: a uniform grid of the awake bodies, hashed into a power of two >= 2 x awake
// buckets (cleared in proportion to them), filled by counting sort every tick. A moving body
// sits in the one cell holding its centre; the cell size is at least the largest body
// diameter plus the contact margin (bodyCreate refuses larger bodies), so any two bodies
// within contact range are in neighbouring cells. In bucket order, each body scans the later
// entries of its own cell and the 13 cells of the forward half shell, keeping entries whose
// packed cell key matches the scanned cell (so a hash collision never yields a pair twice).
// Then each awake body looks up the sleep hash in the cells its reach (plus MAX_RADIUS, the
// largest reach a sleeper can have) overlaps, so an awake-sleeping pair is met once, from its
// awake side; two sleeping bodies need no contact. A body whose cells lie only in blocks of
// 8^3 cells that hold no sleeper (world.ts SLEEP_BLOCKS counts) skips the lookups: a rain far
// from a million sleepers reads one block count per body instead of 27 buckets. Each pair is
// recorded as (I, J) with I the body of the lower tag (world.ts tagOf: the slot, or in a shard
// world the body's slot in the whole world). The sleeping partners join the awake bodies as
// the tick's participants (PART, sorted by tag with a radix sort over the participants only),
// and the pairs are grouped by I with prefix sums over them.
// Statics come from the static tree (static-tree.ts): every plane (and static sphere or
// capsule), and the boxes whose AABB the body's reach overlaps (O(log statics) per body).
//
// Narrowphase of a compound body (compound.ts): each child (each pair of children between two
// compounds) is posed in the body's slot and runs the pair routine of its shape below
// (compoundPair); the lever arms move to the body's centre and a body pair's points on one face
// are reduced to 4 (reduceManifold).
//
// Narrowphase: sphere and capsule are both a "core" (a vertical segment from y - h to
// y + h, h = 0 for spheres) plus a radius, so sphere-sphere, sphere-capsule and
// capsule-capsule are one closest-points routine for two vertical segments. Boxes and
// planes take the closest point of the core. A pair becomes a contact when its separation
// (surface distance, < 0 when overlapping) is below the margin; between two moving bodies,
// below the margin plus both bodies' speculative reach (specOf: how far each can move in
// the tick at its velocity at the start of it), so a fast body meets what is in its way
// within the tick (the solver's contact stays inactive until the substeps close the gap)
// instead of passing into it for a tick. That widening never lets a pair farther apart
// than CELL_SIZE = 2 maxBodyRadius + MARGIN (the configuration's, the same in every shard
// world) centre to centre become a contact (the broadphase caps the pair test there), the
// distance solver.ts's interaction range counts per contact hop and sharded.ts's halo
// already assumed (its hop and worstCaseRange are computed from the configuration). Statics need none: a fast sphere sweeps
// them (solver.ts sweepStatics).
//
// Determinism: contacts are produced in (I, J) tag order: I ascending over the participants
// (every body that can have a contact), and for each I its candidates sorted by J. The pair
// set depends only on positions and sleep flags (never on the grid, the sleep hash, the
// order of the awake list or the storage order), so every per-body result is the same
// whichever thread or shard computes it, and whatever a world's capacity: a shard world
// holding a body and its halo on slots of its own finds the same pairs for it as the whole
// world, in the same order (its tags are the whole world's slots). The normal
// points from I to J. (Only when the pair capacity overflows, flagged in STATUS, does the
// scan order decide which pairs are dropped.)

import {
  P_PX, P_PY, P_PZ, P_VX, P_VY, P_VZ, P_RADIUS, P_HX, P_HY, P_HZ, P_INV_MASS, P_INV_INERTIA,
  P_FRICTION, P_RESTITUTION, P_KIND, P_SHAPE, P_FLAGS, P_LAYER, P_MASK, P_CELL_KEY, P_BUCKET,
  P_BUCKET_START, P_SORTED, P_SORTED_REC, P_PAIRS, P_PAIR_J, P_CONTACTS, P_HITS, P_WAKE, P_CFIRST, P_CCOUNT,
  P_AWAKE, P_PART, P_MARK, P_SLEEP_NEXT, P_SLEEP_BLOCKS, P_SORT_COUNTS, RADIX_BITS, P_TAG,
  P_CHAR_TX, P_CHAR_TZ, P_CHAR_STEP, P_CHAR_SLOPE_COS, P_GNX, P_GNY, P_GNZ,
  H_HIGH_WATER, H_DYNAMIC_COUNT, H_AWAKE_COUNT, H_PART_COUNT, H_MAX_RADIUS, H_INV_CELL, H_CONTACT_COUNT, H_CONTACT_CAPACITY,
  H_MARGIN, H_STATUS, H_SLEEP_SPEED, H_GROUND_TOLERANCE, H_CELL_SIZE, H_TICK_RATE, P_SLEEP_COUNT,
  G_KEY, G_SLOT, G_LAYER, G_MASK, G_ACTIVE, G_X, G_Y, G_Z, G_REACH, G_TAG,
  C_I, C_J, C_FLAGS, C_NX, C_NY, C_NZ, C_SEP0, C_SHARE_I, C_KT, C_ARM_I, C_ARM_J, C_MU, C_E,
  CONTACT_BYTES, CF_J_MOVES, CF_J_STATIC, CF_BOX, STATUS_CONTACT_OVERFLOW,
  SHAPE_SPHERE, SHAPE_CAPSULE, SHAPE_BOX, SHAPE_PLANE, SHAPE_COMPOUND, KIND_DYNAMIC, KIND_KINEMATIC, KIND_STATIC,
  FLAG_LIVE, FLAG_SLEEPING, FLAG_CHARACTER, FLAG_GROUNDED,
} from './layout';
import { g64, s64, g32, s32, hdr, setHdr, wake, addWork, sleepBucketOf, sleepBlockOf, sleepHead, sleepSig, cellSig, tagged } from './world';
import { div, mul, ONE, roundShift, sqrtFast } from '../math/fixed';
import {
  staticTreeUpdate, staticCountersReset, staticCount, staticBoxesNear, staticEntry, staticBoxCount,
  staticOtherCount, lastVisits, lastTests,
} from './static-tree';
import { terrainContacts, terrainContactAt, isGeometryShape, tNX, tNY, tNZ, tSep } from './terrain';
import { isBoxPair, boxCollide } from './box-contacts';
import { isCapsulePair, capsuleCollide } from './capsule-contacts';
import { saveSlot, poseChild, restoreSlot, savedCount, poseDX, poseDY, poseDZ } from './compound';

// ---- small helpers ----

/** True when the body moves this tick: dynamic and awake, or kinematic. */
// @ts-ignore: decorator
@inline export function isActive(slot: i32): bool {
  const k = g32(P_KIND, slot);
  return k == KIND_KINEMATIC || (k == KIND_DYNAMIC && (g32(P_FLAGS, slot) & FLAG_SLEEPING) == 0);
}

/** True when solver corrections apply to the body: dynamic and awake. */
// @ts-ignore: decorator
@inline export function moves(slot: i32): bool {
  return g32(P_KIND, slot) == KIND_DYNAMIC && (g32(P_FLAGS, slot) & FLAG_SLEEPING) == 0;
}

// @ts-ignore: decorator
@inline function clampI(x: i64, lo: i64, hi: i64): i64 { return x < lo ? lo : (x > hi ? hi : x); }

/** sqrt(x) of a squared length (raw Q32 -> Q16 length; relative error < 2^-16, see sqrtFast). */
// @ts-ignore: decorator
@inline export function lengthOfSq(x: i64): i64 { return <i64>sqrtFast(<u64>x); }

/**
 * Speculative reach of a body (raw m): how far it may move in one tick at its velocity at
 * the start of the tick, |vx| + |vy| + |vz| times dt (the L1 norm bounds |v|), 0 for a
 * body that does not move. A pair of bodies closer than their radii + margin + both
 * speculative reaches becomes a contact (inactive until the solver's substeps close the
 * gap), so a fast body meets a body it would otherwise pass into during the tick instead
 * of overlapping it by up to |v| dt at the next tick (a small sphere falling back onto a
 * pile at 12 m/s overlapped 0.11 m). The pair test is capped at CELL_SIZE = 2 maxBodyRadius
 * + margin centre to centre (specCap), so no contact reaches farther than the interaction
 * range (solver.ts) counts and the broadphase's neighbour cells still hold every candidate.
 */
// @ts-ignore: decorator
@inline function specOf(slot: i32): i64 {
  if (!isActive(slot)) return 0;
  return (abs<i64>(g64(P_VX, slot)) + abs<i64>(g64(P_VY, slot)) + abs<i64>(g64(P_VZ, slot))) / hdr(H_TICK_RATE);
}

/** Cell coordinate of a raw position (floor(p / cell) up to the Q32 inverse). */
// @ts-ignore: decorator
@inline function cellOf(p: i64): i64 { return (p * hdr(H_INV_CELL)) >> 32; }

/** Packs three cell coordinates (21 bits each) into a key. */
// @ts-ignore: decorator
@inline function packCell(cx: i64, cy: i64, cz: i64): i64 {
  return ((cx & 0x1FFFFF) << 42) | ((cy & 0x1FFFFF) << 21) | (cz & 0x1FFFFF);
}

// Additive cell hash: neighbouring cells' buckets follow by adding constants, so the 27-cell
// scan needs no hashing (collisions are harmless: candidates are checked by cell key).
// @ts-ignore: decorator
@inline const HASH_X: i32 = 73856093;
// @ts-ignore: decorator
@inline const HASH_Y: i32 = 19349663;
// @ts-ignore: decorator
@inline const HASH_Z: i32 = 83492791;
// @ts-ignore: decorator
@inline function bucketOf(cx: i64, cy: i64, cz: i64, mask: i32): i32 {
  return (<i32>cx * HASH_X + <i32>cy * HASH_Y + <i32>cz * HASH_Z) & mask;
}

// Closest points of the last narrowphase query (module globals: no allocation).
let ciX: i64 = 0, ciY: i64 = 0, ciZ: i64 = 0, cjX: i64 = 0, cjY: i64 = 0, cjZ: i64 = 0;
// Normal (I -> J) and separation of the last query.
let nX: i64 = 0, nY: i64 = 0, nZ: i64 = 0, sep: i64 = 0;

/** Core segment of a moving body: y range [py - h, py + h] (h = 0 for spheres). */
// @ts-ignore: decorator
@inline function coreHalf(slot: i32): i64 {
  return g32(P_SHAPE, slot) == SHAPE_CAPSULE ? g64(P_HY, slot) : 0;
}

/**
 * Sets the normal from the closest points and the separation given the radii; when the
 * points coincide the normal falls back to +y (deterministic, and pushes bodies apart
 * vertically, as a pile would).
 */
function normalFromPoints(ri: i64, rj: i64): void {
  const dx = cjX - ciX, dy = cjY - ciY, dz = cjZ - ciZ;
  const d2 = dx * dx + dy * dy + dz * dz;
  const dist = lengthOfSq(d2);
  if (dist == 0) { nX = 0; nY = ONE; nZ = 0; sep = -(ri + rj); return; }
  const inv = (<i64>1 << 48) / dist;                    // Q32 of 1/dist (raw units)
  nX = roundShift(dx * inv, 32); nY = roundShift(dy * inv, 32); nZ = roundShift(dz * inv, 32);
  sep = dist - ri - rj;
}

/** Closest points of two vertical segments (x, [ylo, yhi], z). */
// @ts-ignore: decorator
@inline function segSeg(x1: i64, lo1: i64, hi1: i64, z1: i64, x2: i64, lo2: i64, hi2: i64, z2: i64): void {
  let y1: i64, y2: i64;
  if (hi1 < lo2) { y1 = hi1; y2 = lo2; }
  else if (hi2 < lo1) { y1 = lo1; y2 = hi2; }
  else { const lo = lo1 > lo2 ? lo1 : lo2, hi = hi1 < hi2 ? hi1 : hi2; y1 = y2 = (lo + hi) >> 1; }
  ciX = x1; ciY = y1; ciZ = z1; cjX = x2; cjY = y2; cjZ = z2;
}

/**
 * Core of body i against the static box j: closest points, normal (I -> box) and separation.
 * A core inside the box is pushed out through the face of least penetration (order of
 * preference on ties: +y, -y, +x, -x, +z, -z).
 */
function coreBox(i: i32, j: i32, ri: i64): void {
  const px = g64(P_PX, i), py = g64(P_PY, i), pz = g64(P_PZ, i), h = coreHalf(i);
  const bx = g64(P_PX, j), by = g64(P_PY, j), bz = g64(P_PZ, j);
  const ex = g64(P_HX, j), ey = g64(P_HY, j), ez = g64(P_HZ, j);
  const lo = py - h, hi = py + h;
  const cx = clampI(px, bx - ex, bx + ex), cz = clampI(pz, bz - ez, bz + ez);
  let ys: i64, yb: i64;
  if (hi < by - ey) { ys = hi; yb = by - ey; }
  else if (lo > by + ey) { ys = lo; yb = by + ey; }
  else { const a = lo > by - ey ? lo : by - ey, b = hi < by + ey ? hi : by + ey; ys = yb = (a + b) >> 1; }
  ciX = px; ciY = ys; ciZ = pz; cjX = cx; cjY = yb; cjZ = cz;
  if (cx != px || cz != pz || ys != yb) { normalFromPoints(ri, 0); return; }
  // the core reaches inside the box: least penetration face
  let best = (by + ey) - lo; nX = 0; nY = -ONE; nZ = 0;        // push up (normal I -> box is -y)
  let d = hi - (by - ey); if (d < best) { best = d; nX = 0; nY = ONE; nZ = 0; }
  d = (bx + ex) - px; if (d < best) { best = d; nX = -ONE; nY = 0; nZ = 0; }
  d = px - (bx - ex); if (d < best) { best = d; nX = ONE; nY = 0; nZ = 0; }
  d = (bz + ez) - pz; if (d < best) { best = d; nX = 0; nY = 0; nZ = -ONE; }
  d = pz - (bz - ez); if (d < best) { best = d; nX = 0; nY = 0; nZ = ONE; }
  sep = -(best + ri);
}

/** Core of body i against the static plane j (n . x = d): the core point deepest along -n. */
function corePlane(i: i32, j: i32, ri: i64): void {
  const pnx = g64(P_HX, j), pny = g64(P_HY, j), pnz = g64(P_HZ, j), d = g64(P_RADIUS, j);
  const h = coreHalf(i);
  const y = pny >= 0 ? g64(P_PY, i) - h : g64(P_PY, i) + h;
  const px = g64(P_PX, i), pz = g64(P_PZ, i);
  ciX = px; ciY = y; ciZ = pz;
  nX = -pnx; nY = -pny; nZ = -pnz;
  sep = roundShift(pnx * px + pny * y + pnz * pz, 16) - d - ri;
}

// ---- contact records ----

/** Address of contact k. */
// @ts-ignore: decorator
@inline export function contactAt(k: i32): usize { return P_CONTACTS + <usize>k * CONTACT_BYTES; }

/** Appends a contact (normal I -> J, separation, lever arms); flags overflow instead when full. */
function addContact(i: i32, j: i32, flags: i32, armI: i64, armJ: i64): void {
  const k = <i32>hdr(H_CONTACT_COUNT);
  if (<i64>k >= hdr(H_CONTACT_CAPACITY)) { setHdr(H_STATUS, hdr(H_STATUS) | STATUS_CONTACT_OVERFLOW); return; }
  const c = contactAt(k);
  store<i32>(c, i, C_I); store<i32>(c, j, C_J); store<i32>(c, flags, C_FLAGS);
  store<i32>(c, <i32>nX, C_NX); store<i32>(c, <i32>nY, C_NY); store<i32>(c, <i32>nZ, C_NZ);
  store<i64>(c, sep << 16, C_SEP0);                    // Q32 for the solver
  // every field the solver may read before writing starts from zero, never from the contact
  // that held this index last tick (results must not depend on history a record does not carry)
  memory.fill(c + <usize>C_SHARE_I, 0, <usize>(CONTACT_BYTES - C_SHARE_I));
  store<i32>(c, <i32>armI, C_ARM_I); store<i32>(c, <i32>armJ, C_ARM_J);
  setHdr(H_CONTACT_COUNT, k + 1);
}

/**
 * Character rules applied to a fresh contact of character `ch` (I or J):
 * - a static box side whose top is above the foot by at most the step height, approached
 *   by the walk input, becomes a floor contact on the box top (step up);
 * - ground normals (pointing at the character) steeper than the max slope are flattened
 *   to horizontal, so a steep slope pushes the character away instead of lifting it;
 * - a walkable contact within the ground tolerance marks the character grounded and keeps
 *   the steepest-upward ground normal (first in contact order on ties).
 */
function characterContact(ch: i32, other: i32, chIsI: bool): void {
  const slopeCos = g64(P_CHAR_SLOPE_COS, ch);
  // ground normal points from the other body to the character
  let gx = chIsI ? -nX : nX, gy = chIsI ? -nY : nY, gz = chIsI ? -nZ : nZ;
  if (g32(P_SHAPE, other) == SHAPE_BOX && chIsI && gy < slopeCos) {
    const foot = g64(P_PY, ch) - coreHalf(ch) - g64(P_RADIUS, ch);
    const top = g64(P_PY, other) + g64(P_HY, other);
    const toward = mul(g64(P_CHAR_TX, ch), nX) + mul(g64(P_CHAR_TZ, ch), nZ);
    if (top > foot && top - foot <= g64(P_CHAR_STEP, ch) && toward > 0) {
      nX = 0; nY = -ONE; nZ = 0; sep = foot - top;
      gx = 0; gy = ONE; gz = 0;
    }
  }
  if (gy > 0 && gy < slopeCos) {
    // steep: make the normal horizontal (renormalized); the separation is kept
    const hl = lengthOfSq(gx * gx + gz * gz);
    if (hl > 0) {
      gx = div(gx, hl); gz = div(gz, hl); gy = 0;
      nX = chIsI ? -gx : gx; nY = 0; nZ = chIsI ? -gz : gz;
    }
  }
  if (gy >= slopeCos && sep <= hdr(H_GROUND_TOLERANCE)) {
    const f = g32(P_FLAGS, ch);
    if ((f & FLAG_GROUNDED) == 0 || gy > g64(P_GNY, ch)) {
      s64(P_GNX, ch, gx); s64(P_GNY, ch, gy); s64(P_GNZ, ch, gz);
    }
    s32(P_FLAGS, ch, f | FLAG_GROUNDED);
  }
}

/**
 * Narrowphase of the candidate pair (i, j), j > i or j static; appends a contact if within
 * margin. A pair with a compound body (compound.ts) runs collidePlain once per child (pair of
 * children between two compounds) posed in the compound's slot.
 */
function collidePair(i: i32, j: i32): void {
  const ci = g32(P_SHAPE, i) == SHAPE_COMPOUND, cj = g32(P_SHAPE, j) == SHAPE_COMPOUND;
  if (!ci && !cj) { collidePlain(i, j); return; }
  compoundPair(i, j, ci, cj);
}

/**
 * Narrowphase of a pair with a compound body (ci: i is one, cj: j is one): each child of a
 * compound in block order is posed in its slot (compound.ts poseChild) and the pair routine
 * of the child's shape runs unchanged (collidePlain); between two moving bodies a child pair
 * whose bounding spheres are farther apart than the margin plus both speculative reaches is
 * skipped. The new contacts' lever arms are moved to the body's centre (compoundContacts).
 * The slots are restored before returning.
 */
function compoundPair(i: i32, j: i32, ci: bool, cj: bool): void {
  const statJ = g32(P_KIND, j) == KIND_STATIC;
  const extra = hdr(H_MARGIN) + (statJ ? 0 : specOf(i) + specOf(j));
  if (ci) saveSlot(0, i);
  if (cj) saveSlot(1, j);
  const ni = ci ? savedCount(0) : 1, nj = cj ? savedCount(1) : 1;
  const first = <i32>hdr(H_CONTACT_COUNT);
  for (let a = 0; a < ni; a++) {
    let dx: i64 = 0, dy: i64 = 0, dz: i64 = 0;
    if (ci) { poseChild(0, i, a); dx = poseDX; dy = poseDY; dz = poseDZ; }
    for (let b = 0; b < nj; b++) {
      if (cj) poseChild(1, j, b);
      if (!statJ) {
        const ex = g64(P_PX, j) - g64(P_PX, i), ey = g64(P_PY, j) - g64(P_PY, i), ez = g64(P_PZ, j) - g64(P_PZ, i);
        const r = g64(P_RADIUS, i) + coreHalf(i) + g64(P_RADIUS, j) + coreHalf(j) + extra;
        if (ex * ex + ey * ey + ez * ez >= r * r) continue;
      }
      const from = <i32>hdr(H_CONTACT_COUNT);
      collidePlain(i, j);
      compoundContacts(from, dx, dy, dz);
    }
  }
  if (ci) restoreSlot(0, i);
  if (cj) restoreSlot(1, j);
  reduceManifold(first);
}

/** Normals within this of the deepest contact's (cos, Q16: about 18 degrees) make one face of a compound's manifold. */
// @ts-ignore: decorator
@inline const SAME_FACE_COS: i64 = 62259;
/** Positions closer than this are one point (raw m, 1 mm; box-contacts.ts SAME_POINT). */
// @ts-ignore: decorator
@inline const SAME_SPOT: i64 = 66;

// @ts-ignore: decorator
@inline function armOf(c: usize, k: i32): i64 {
  if (k == 0) return <i64>load<i32>(c, C_ARM_I);
  return k == 1 ? <i64>load<i32>(c, C_ARM_J) : <i64>load<i32>(c, C_KT);
}

/** Twice the area of the triangle of contacts a, b, c's points projected on n (Q16 unit), signed (raw m^2 Q16 scaled). */
function triArea(a: usize, b: usize, c: usize, nx: i64, ny: i64, nz: i64): i64 {
  const ux = armOf(b, 0) - armOf(a, 0), uy = armOf(b, 1) - armOf(a, 1), uz = armOf(b, 2) - armOf(a, 2);
  const vx = armOf(c, 0) - armOf(a, 0), vy = armOf(c, 1) - armOf(a, 1), vz = armOf(c, 2) - armOf(a, 2);
  const x = roundShift(uy * vz - uz * vy, 16), y = roundShift(uz * vx - ux * vz, 16), z = roundShift(ux * vy - uy * vx, 16);
  return roundShift(x * nx + y * ny + z * nz, 16);
}

/**
 * Reduces the contacts of one body pair with a compound (from `first` to the end of the list,
 * all box-style: compoundContacts) to at most 4 points when there are more and every normal is
 * within about 18 degrees of the deepest point's (one face: a table's legs on the floor, a
 * dumbbell's balls on a box): the deepest, the farthest from it, the one spanning the largest
 * triangle with them and the largest on the other side (D. Gregorius, "Robust Contact Creation
 * for Physics Simulations", GDC 2015, as box-contacts.ts and hull.ts reduce a face's points),
 * kept in that order (deepest, farthest, third, fourth: two diagonals; ordered around the
 * polygon instead, a table on a static box rocked and walked 0.3 mm/s sideways). Without the
 * reduction a table's 16 leg points on a plane walked the same way. A manifold over faces of
 * different directions (a compound wedged between two bodies' faces) keeps every child pair's
 * points (up to 4 each).
 */
function reduceManifold(first: i32): void {
  const end = <i32>hdr(H_CONTACT_COUNT), n = end - first;
  if (n <= 4) return;
  let p0 = first;
  for (let k = first + 1; k < end; k++) if (load<i64>(contactAt(k), C_SEP0) < load<i64>(contactAt(p0), C_SEP0)) p0 = k;
  const c0 = contactAt(p0);
  const nx = <i64>load<i32>(c0, C_NX), ny = <i64>load<i32>(c0, C_NY), nz = <i64>load<i32>(c0, C_NZ);
  for (let k = first; k < end; k++) {
    const c = contactAt(k);
    if (roundShift(nx * <i64>load<i32>(c, C_NX) + ny * <i64>load<i32>(c, C_NY) + nz * <i64>load<i32>(c, C_NZ), 16) < SAME_FACE_COS) return;
  }
  let p1 = -1, bd: i64 = SAME_SPOT * SAME_SPOT;
  for (let k = first; k < end; k++) {
    const c = contactAt(k);
    const dx = armOf(c, 0) - armOf(c0, 0), dy = armOf(c, 1) - armOf(c0, 1), dz = armOf(c, 2) - armOf(c0, 2);
    const d2 = dx * dx + dy * dy + dz * dz;
    if (d2 > bd) { bd = d2; p1 = k; }
  }
  let p2 = -1, p3 = -1;
  if (p1 >= 0) {
    const c1 = contactAt(p1);
    let best: i64 = SAME_SPOT;
    for (let k = first; k < end; k++) {
      const ar = abs<i64>(triArea(c0, c1, contactAt(k), nx, ny, nz));
      if (ar > best) { best = ar; p2 = k; }
    }
    if (p2 >= 0) {
      const side: i64 = triArea(c0, c1, contactAt(p2), nx, ny, nz) > 0 ? -1 : 1;
      best = SAME_SPOT;
      for (let k = first; k < end; k++) {
        const ar = triArea(c0, c1, contactAt(k), nx, ny, nz) * side;
        if (ar > best) { best = ar; p3 = k; }
      }
    }
  }
  // the kept records, in that order, into the free records past the list's end, then back
  const keep = end;
  let m = 0;
  for (let q = 0; q < 4; q++) {
    const k = q == 0 ? p0 : (q == 1 ? p1 : (q == 2 ? p2 : p3));
    if (k < 0) continue;
    if (<i64>(keep + m) >= hdr(H_CONTACT_CAPACITY)) return;   // no room to reorder: keep them all
    memory.copy(contactAt(keep + m), contactAt(k), <usize>CONTACT_BYTES);
    m++;
  }
  memory.copy(contactAt(first), contactAt(keep), <usize>(m * CONTACT_BYTES));
  setHdr(H_CONTACT_COUNT, first + m);
}

/**
 * Contacts from `from` on, made with I's child posed at offset (dx, dy, dz) from I's centre
 * (0 when I is not a compound): each becomes a box-style contact (CF_BOX, box-contacts.ts
 * putContact) whose lever arm is from I's real centre. A sphere-style contact (scalar arms:
 * I's radius in ARM_I) gets its point midway between the surfaces, I's centre + n (r_I +
 * sep / 2), as box-contacts.ts's points are.
 */
function compoundContacts(from: i32, dx: i64, dy: i64, dz: i64): void {
  const to = <i32>hdr(H_CONTACT_COUNT);
  for (let k = from; k < to; k++) {
    const c = contactAt(k);
    const flags = load<i32>(c, C_FLAGS);
    let ax: i64, ay: i64, az: i64;
    if ((flags & CF_BOX) == 0) {
      const o = <i64>load<i32>(c, C_ARM_I) + ((load<i64>(c, C_SEP0) >> 16) >> 1);
      ax = roundShift(<i64>load<i32>(c, C_NX) * o, 16); ay = roundShift(<i64>load<i32>(c, C_NY) * o, 16); az = roundShift(<i64>load<i32>(c, C_NZ) * o, 16);
      store<i32>(c, flags | CF_BOX, C_FLAGS);
      store<i64>(c, 0, C_KT);
    } else {
      ax = <i64>load<i32>(c, C_ARM_I); ay = <i64>load<i32>(c, C_ARM_J); az = <i64>load<i32>(c, C_KT);
    }
    store<i32>(c, <i32>(ax + dx), C_ARM_I); store<i32>(c, <i32>(ay + dy), C_ARM_J); store<i32>(c, <i32>(az + dz), C_KT);
  }
}

/** Narrowphase of the candidate pair (i, j) of plain (not compound) shapes; see collidePair. */
function collidePlain(i: i32, j: i32): void {
  // a pair with a rotating box: box-contacts.ts (up to 4 points), or with a rotating capsule:
  // capsule-contacts.ts (up to 3 points, checked first); statics get no speculative reach
  const capsulePair = isCapsulePair(i, j);
  if (capsulePair || isBoxPair(i, j)) {
    const from = <i32>hdr(H_CONTACT_COUNT);
    const limit = hdr(H_MARGIN) + (g32(P_KIND, j) == KIND_STATIC ? 0 : specOf(i) + specOf(j));
    if (capsulePair) capsuleCollide(i, j, limit); else boxCollide(i, j, limit);
    // a character on a crate: its one contact (capsule vs box is one point) gets the character rules
    const chI = (g32(P_FLAGS, i) & FLAG_CHARACTER) != 0, chJ = (g32(P_FLAGS, j) & FLAG_CHARACTER) != 0;
    if ((chI || chJ) && <i32>hdr(H_CONTACT_COUNT) == from + 1) {
      const c = contactAt(from);
      nX = <i64>load<i32>(c, C_NX); nY = <i64>load<i32>(c, C_NY); nZ = <i64>load<i32>(c, C_NZ); sep = load<i64>(c, C_SEP0) >> 16;
      if (sep < hdr(H_MARGIN)) characterContact(chI ? i : j, chI ? j : i, chI);
      store<i32>(c, <i32>nX, C_NX); store<i32>(c, <i32>nY, C_NY); store<i32>(c, <i32>nZ, C_NZ); store<i64>(c, sep << 16, C_SEP0);
    }
    return;
  }
  const ri = g64(P_RADIUS, i);
  const shapeJ = g32(P_SHAPE, j);
  const margin = hdr(H_MARGIN);
  let rj: i64 = 0, spec: i64 = 0;
  let flags = 0;
  if (shapeJ == SHAPE_BOX) {
    // cheap reject: the body's bounding box grown by the margin misses the box
    const reach = ri + coreHalf(i) + margin;
    if (abs<i64>(g64(P_PX, i) - g64(P_PX, j)) >= g64(P_HX, j) + reach) return;
    if (abs<i64>(g64(P_PY, i) - g64(P_PY, j)) >= g64(P_HY, j) + reach) return;
    if (abs<i64>(g64(P_PZ, i) - g64(P_PZ, j)) >= g64(P_HZ, j) + reach) return;
    coreBox(i, j, ri); flags = CF_J_STATIC;
  } else if (shapeJ == SHAPE_PLANE) { corePlane(i, j, ri); flags = CF_J_STATIC; }
  else if (isGeometryShape(shapeJ)) {
    // heightfield or mesh (terrain.ts): the AABB reject of a box, then the triangles' contacts
    const h = coreHalf(i), reach = ri + h + margin, py = g64(P_PY, i);
    if (abs<i64>(g64(P_PX, i) - g64(P_PX, j)) >= g64(P_HX, j) + reach) return;
    if (abs<i64>(py - g64(P_PY, j)) >= g64(P_HY, j) + reach) return;
    if (abs<i64>(g64(P_PZ, i) - g64(P_PZ, j)) >= g64(P_HZ, j) + reach) return;
    // up to MAX_TERRAIN_CONTACTS contacts (each within the margin), nearest first
    const n = terrainContacts(j, g64(P_PX, i), py - h, py + h, g64(P_PZ, i), ri, ri + margin);
    for (let k = 0; k < n; k++) {
      terrainContactAt(k);
      nX = tNX; nY = tNY; nZ = tNZ; sep = tSep;
      if (g32(P_FLAGS, i) & FLAG_CHARACTER) characterContact(i, j, true);
      addContact(i, j, CF_J_STATIC, ri, 0);
    }
    return;
  }
  else {
    rj = g64(P_RADIUS, j);
    const hi = coreHalf(i), hj = coreHalf(j);
    const yi = g64(P_PY, i), yj = g64(P_PY, j);
    segSeg(g64(P_PX, i), yi - hi, yi + hi, g64(P_PZ, i), g64(P_PX, j), yj - hj, yj + hj, g64(P_PZ, j));
    // reject on the squared distance before taking a root
    // speculative: within the margin plus both bodies' reach over the tick (specOf; the
    // broadphase capped the pair at 2 MAX_RADIUS + MARGIN centre to centre)
    spec = specOf(i) + specOf(j);
    const dx = cjX - ciX, dy = cjY - ciY, dz = cjZ - ciZ, reach = ri + rj + margin + spec;
    if (dx * dx + dy * dy + dz * dz >= reach * reach) return;
    normalFromPoints(ri, rj);
  }
  if (sep >= margin + spec) return;
  if (sep < margin) {
    if (g32(P_FLAGS, i) & FLAG_CHARACTER) characterContact(i, j, true);
    if ((g32(P_FLAGS, j) & FLAG_CHARACTER) && flags == 0) characterContact(j, i, false);
  }
  addContact(i, j, flags, ri, rj);
}

// ---- the tick's contact list ----

/** Candidate list of the current body (slots, sorted before the narrowphase), in the HITS area. */
// @ts-ignore: decorator
@inline function candAt(k: i32): usize { return P_HITS + (<usize>k << 2); }

/**
 * Appends to the candidate list (from index n) the statics that may touch a moving body at
 * (px, py, pz) with bounding reach `reach` (radius + core half height + margin, raw): every
 * plane (and static sphere or capsule), and every box (in the tree or a large one) whose AABB grown by the reach contains the centre strictly,
 * |p - c| < e + reach on each axis (a box out of reach never makes a contact), layers
 * permitting. The static tree finds the boxes (the open-interval query is exactly this
 * test), through the body's cache of the boxes near it (static-tree.ts staticBoxesNear), so
 * the set is the brute-force scan's; the caller sorts it by tag.
 */
function staticCandidates(slot: i32, px: i64, py: i64, pz: i64, reach: i64, layerI: i32, maskI: i32, n: i32): i32 {
  const boxes = staticBoxCount(), others = staticOtherCount();
  for (let e = boxes; e < boxes + others; e++) {
    const j = staticEntry(e);
    if ((layerI & g32(P_MASK, j)) == 0 || (g32(P_LAYER, j) & maskI) == 0) continue;
    // large boxes (and heightfields, meshes) kept out of the tree: the same reach test
    const sj = g32(P_SHAPE, j);
    if ((sj == SHAPE_BOX || isGeometryShape(sj)) && (abs<i64>(px - g64(P_PX, j)) >= g64(P_HX, j) + reach ||
      abs<i64>(py - g64(P_PY, j)) >= g64(P_HY, j) + reach || abs<i64>(pz - g64(P_PZ, j)) >= g64(P_HZ, j) + reach)) continue;
    store<i32>(candAt(n++), j);
  }
  const from = n;
  n = staticBoxesNear(slot, px - reach, py - reach, pz - reach, px + reach, py + reach, pz + reach, reach, candAt(0), n);
  staticCount(lastVisits, lastTests + others);
  // layers: keep the boxes that may collide with the body (in place)
  let m = from;
  for (let a = from; a < n; a++) {
    const j = load<i32>(candAt(a));
    if ((layerI & g32(P_MASK, j)) == 0 || (g32(P_LAYER, j) & maskI) == 0) continue;
    store<i32>(candAt(m++), j);
  }
  return m;
}

// Pair emission state of buildContacts (module globals).
let pairCount = 0, pairCap = 0;
let reachMargin: i64 = 0;
/**
 * CELL_SIZE (2 maxBodyRadius + margin of the world's configuration, the same in every shard
 * world; never the largest body present, which differs between shard worlds): the farthest
 * pair (centre to centre) that may become a contact.
 */
let specCap: i64 = 0;
/** Whether the world being stepped is tagged (world.ts tagged()), read once per buildContacts. */
let tg = false;

/** Sort key of slot v: its tag (world.ts tagOf, with the flag read once per tick). */
// @ts-ignore: decorator
@inline function tagAt(v: i32): i32 { return tg ? g32(P_TAG, v) : v; }

/** Address of the broadphase record at sorted position k. */
// @ts-ignore: decorator
@inline function recAt(k: i32): usize { return P_SORTED_REC + (<usize>k << 6); }

/**
 * Records the moving pair of the grid records ra, rb as (I << 32) | J, I the slot of the lower
 * tag, when either moves, their layers match and their bounding spheres come within the
 * margin; counts it for I. Reads only the two records (contiguous memory).
 */
function considerPair(ra: usize, rb: usize): void {
  if ((load<i32>(ra, G_ACTIVE) | load<i32>(rb, G_ACTIVE)) == 0) return;
  if ((load<i32>(ra, G_LAYER) & load<i32>(rb, G_MASK)) == 0 || (load<i32>(rb, G_LAYER) & load<i32>(ra, G_MASK)) == 0) return;
  const dx = load<i64>(rb, G_X) - load<i64>(ra, G_X), dy = load<i64>(rb, G_Y) - load<i64>(ra, G_Y), dz = load<i64>(rb, G_Z) - load<i64>(ra, G_Z);
  let reach = load<i64>(ra, G_REACH) + load<i64>(rb, G_REACH) + reachMargin;
  if (reach > specCap) reach = specCap;              // speculative reach, capped (specOf)
  if (dx * dx + dy * dy + dz * dz >= reach * reach) return;
  if (pairCount >= pairCap) { setHdr(H_STATUS, hdr(H_STATUS) | STATUS_CONTACT_OVERFLOW); return; }
  const a = load<i32>(ra, G_SLOT), b = load<i32>(rb, G_SLOT);
  const lower = load<i32>(ra, G_TAG) < load<i32>(rb, G_TAG);
  const i = lower ? a : b, j = lower ? b : a;
  s64(P_PAIRS, pairCount++, (<i64>i << 32) | <i64>j);
  s32(P_CCOUNT, i, g32(P_CCOUNT, i) + 1);
}

/**
 * Records the pair of the awake body in grid record ra and the sleeping body j under the same
 * test as considerPair (layers, bounding spheres within the margin); j joins the tick's
 * participants (its STATE must read zeros, its contacts are grouped like any body's).
 */
function considerSleeper(ra: usize, j: i32): void {
  if ((load<i32>(ra, G_LAYER) & g32(P_MASK, j)) == 0 || (g32(P_LAYER, j) & load<i32>(ra, G_MASK)) == 0) return;
  const dx = g64(P_PX, j) - load<i64>(ra, G_X), dy = g64(P_PY, j) - load<i64>(ra, G_Y), dz = g64(P_PZ, j) - load<i64>(ra, G_Z);
  let reach = load<i64>(ra, G_REACH) + g64(P_RADIUS, j) + coreHalf(j) + reachMargin;
  if (reach > specCap) reach = specCap;              // speculative reach, capped (specOf)
  if (dx * dx + dy * dy + dz * dz >= reach * reach) return;
  if (pairCount >= pairCap) { setHdr(H_STATUS, hdr(H_STATUS) | STATUS_CONTACT_OVERFLOW); return; }
  if (g32(P_MARK, j) == 0) addParticipant(j);
  const a = load<i32>(ra, G_SLOT);
  const lower = load<i32>(ra, G_TAG) < tagAt(j);
  const i = lower ? a : j, jj = lower ? j : a;
  s64(P_PAIRS, pairCount++, (<i64>i << 32) | <i64>jj);
  s32(P_CCOUNT, i, g32(P_CCOUNT, i) + 1);
}

// Participants of the tick being built (PART[0 .. partCount)).
let partCount = 0;

/** Appends slot i to the participants, with its per-tick counters cleared. */
// @ts-ignore: decorator
@inline function addParticipant(i: i32): void {
  s32(P_PART, partCount++, i);
  s32(P_MARK, i, 1);
  s32(P_CCOUNT, i, 0);
  s32(P_WAKE, i, 0);
}

/**
 * Sorts the n slots at P_PART by tag, ascending: insertion sort for short lists, else an LSD
 * radix sort with RADIX_BITS-bit digits through P_SORTED (as many passes as the largest tag
 * needs: the high water when tags are slots). Tags are distinct, so the result is the one
 * sorted order whatever the input order.
 */
function sortParticipants(n: i32, hw: i32): void {
  if (n <= 48) {
    for (let a = 1; a < n; a++) {
      const v = g32(P_PART, a), kv = tagAt(v);
      let b = a - 1;
      while (b >= 0 && tagAt(g32(P_PART, b)) > kv) { s32(P_PART, b + 1, g32(P_PART, b)); b--; }
      s32(P_PART, b + 1, v);
    }
    return;
  }
  let bound = hw;
  if (tg) {
    bound = 1;
    for (let a = 0; a < n; a++) bound = max(bound, g32(P_TAG, g32(P_PART, a)) + 1);
  }
  const radix = 1 << RADIX_BITS, digitMask = radix - 1;
  let src = P_PART, dst = P_SORTED;
  for (let shift = 0; shift == 0 || (shift < 32 && (bound - 1) >> shift != 0); shift += RADIX_BITS) {
    memory.fill(P_SORT_COUNTS, 0, <usize>(radix + 1) << 2);
    for (let a = 0; a < n; a++) {
      const d = ((tagAt(g32(src, a)) >> shift) & digitMask) + 1;
      s32(P_SORT_COUNTS, d, g32(P_SORT_COUNTS, d) + 1);
    }
    for (let d = 1; d <= radix; d++) s32(P_SORT_COUNTS, d, g32(P_SORT_COUNTS, d) + g32(P_SORT_COUNTS, d - 1));
    for (let a = 0; a < n; a++) {
      const v = g32(src, a), d = (tagAt(v) >> shift) & digitMask;
      const at = g32(P_SORT_COUNTS, d);
      s32(P_SORT_COUNTS, d, at + 1);
      s32(dst, at, v);
    }
    const t = src; src = dst; dst = t;
  }
  if (src != P_PART) memory.copy(P_PART, src, <usize>n << 2);
}

/**
 * Builds the contact list of the tick from the current positions: grid of the awake bodies,
 * candidates (awake-awake in the grid, awake-sleeping through the sleep hash), the sorted
 * participants, narrowphase, wake pass, then the per-contact solver constants. Contacts of
 * body I are contiguous (CFIRST, CCOUNT). Cost: O(awake bodies + their candidates), never
 * O(slots) (see the module comment).
 */
export function buildContacts(): void {
  const hw = <i32>hdr(H_HIGH_WATER);
  const nAwake = <i32>hdr(H_AWAKE_COUNT);
  tg = tagged();
  // the grid of this tick holds the awake bodies only: buckets in proportion to them
  let buckets = 16;
  while (buckets < 2 * nAwake) buckets <<= 1;
  const mask = buckets - 1;
  setHdr(H_CONTACT_COUNT, 0);
  specCap = hdr(H_CELL_SIZE);
  const cap = specCap;
  // 1. cells and counting sort of awake bodies by bucket
  memory.fill(P_BUCKET_START, 0, <usize>(buckets + 2) << 2);
  for (let a = 0; a < nAwake; a++) {
    const i = g32(P_AWAKE, a);
    const f = g32(P_FLAGS, i);
    if (f & FLAG_CHARACTER) s32(P_FLAGS, i, f & ~FLAG_GROUNDED);   // characters never sleep
    const cx = cellOf(g64(P_PX, i)), cy = cellOf(g64(P_PY, i)), cz = cellOf(g64(P_PZ, i));
    s64(P_CELL_KEY, i, packCell(cx, cy, cz));
    const b = bucketOf(cx, cy, cz, mask);
    s32(P_BUCKET, i, b);
    s32(P_BUCKET_START, b + 1, g32(P_BUCKET_START, b + 1) + 1);
  }
  for (let b = 0; b < buckets; b++) s32(P_BUCKET_START, b + 1, g32(P_BUCKET_START, b + 1) + g32(P_BUCKET_START, b));
  // the awake bodies are the first participants, sorted by tag: the grid is filled in that
  // order, so each bucket holds its bodies by tag and the candidate pairs below are met in an
  // order that depends only on the bodies, not on the awake list's order (a shard world's local
  // slots, its import history). The order matters when the pairs overflow the contact capacity
  // (STATUS_CONTACT_OVERFLOW: the pairs met last are dropped): a world restored from a snapshot,
  // whose shard worlds hold the same bodies in another awake order, then kept other pairs than
  // the world that ran on and parted from it a few ticks later (bench:failover's 200 players
  // crowding one spawn point: test/replica-crowd-restore.test.ts).
  partCount = 0;
  for (let a = 0; a < nAwake; a++) addParticipant(g32(P_AWAKE, a));
  sortParticipants(nAwake, hw);
  // scatter backwards: afterwards BUCKET_START[b + 1] is where bucket b starts
  for (let a = nAwake - 1; a >= 0; a--) {
    const i = g32(P_PART, a);
    const b = g32(P_BUCKET, i) + 1;
    const pos = g32(P_BUCKET_START, b) - 1;
    s32(P_BUCKET_START, b, pos);
    const r = recAt(pos);
    store<i64>(r, g64(P_CELL_KEY, i), G_KEY);
    store<i32>(r, i, G_SLOT);
    store<i32>(r, tagAt(i), G_TAG);
    store<i32>(r, g32(P_LAYER, i), G_LAYER);
    store<i32>(r, g32(P_MASK, i), G_MASK);
    store<i32>(r, 1, G_ACTIVE);
    store<i64>(r, g64(P_PX, i), G_X); store<i64>(r, g64(P_PY, i), G_Y); store<i64>(r, g64(P_PZ, i), G_Z);
    store<i64>(r, g64(P_RADIUS, i) + coreHalf(i) + min<i64>(specOf(i), cap), G_REACH);   // with the speculative reach
  }
  // now BUCKET_START[b + 1] is the start of bucket b and BUCKET_START[b + 2] its end
  s32(P_BUCKET_START, buckets + 1, nAwake);    // end of the last bucket
  addWork(3 * nAwake);
  staticTreeUpdate();
  staticCountersReset();
  // 2a. candidate pairs: each awake body scans its own cell (later entries) and the 13 cells of
  //     the forward half shell, in grid order; every awake pair is met exactly once
  pairCount = 0;
  pairCap = <i32>hdr(H_CONTACT_CAPACITY);
  reachMargin = hdr(H_MARGIN);
  for (let k = 0; k < nAwake; k++) {
    const ra = recAt(k);
    const key = load<i64>(ra, G_KEY);
    const b = g32(P_BUCKET, load<i32>(ra, G_SLOT));
    const end = g32(P_BUCKET_START, b + 2);
    for (let q = k + 1; q < end; q++) if (load<i64>(recAt(q), G_KEY) == key) considerPair(ra, recAt(q));
    for (let o = 0; o < 13; o++) {
      // forward half shell: dx > 0, or dx == 0 and dy > 0, or dx == dy == 0 and dz > 0
      const dx: i64 = o < 9 ? 1 : 0;
      const dy: i64 = o < 9 ? <i64>(o / 3) - 1 : (o < 12 ? 1 : 0);
      const dz: i64 = o < 9 ? <i64>(o % 3) - 1 : (o < 12 ? <i64>(o - 9) - 1 : 1);
      const nb = (b + <i32>dx * HASH_X + <i32>dy * HASH_Y + <i32>dz * HASH_Z) & mask;
      const start = g32(P_BUCKET_START, nb + 1), stop = g32(P_BUCKET_START, nb + 2);
      if (start == stop) continue;
      const want = (((key >> 42) + dx) & 0x1FFFFF) << 42 | (((key >> 21) + dy) & 0x1FFFFF) << 21 | ((key + dz) & 0x1FFFFF);
      for (let q = start; q < stop; q++) if (load<i64>(recAt(q), G_KEY) == want) considerPair(ra, recAt(q));
    }
  }
  addWork(nAwake);
  // 2a'. awake-sleeping pairs: each awake body looks up the sleep hash in the cells its reach
  //      can touch (a sleeper's reach is at most MAX_RADIUS), so every such pair is met once,
  //      from its awake side; two sleeping bodies never need a contact (considerPair)
  if (hdr(H_DYNAMIC_COUNT) > <i64>nAwake) {
    const far = hdr(H_MAX_RADIUS) + reachMargin;
    let visits = 0;
    for (let k = 0; k < nAwake; k++) {
      const ra = recAt(k);
      const r = min<i64>(load<i64>(ra, G_REACH) + far, specCap);   // no pair reaches farther (considerSleeper)
      const x = load<i64>(ra, G_X), y = load<i64>(ra, G_Y), z = load<i64>(ra, G_Z);
      // cells of [p - r, p + r] per axis: at most the neighbours (r <= CELL_SIZE)
      const x0 = cellOf(x - r), x1 = cellOf(x + r), y0 = cellOf(y - r), y1 = cellOf(y + r), z0 = cellOf(z - r), z1 = cellOf(z + r);
      // blocks of 8^3 cells (world.ts sleepBlockOf) that count no sleeper hold none: when every
      // block of these cells counts 0 (usually one block, at most 8), no bucket needs a look
      let sleepers = false;
      for (let bx = x0 >> 3; bx <= x1 >> 3 && !sleepers; bx++) {
        for (let by = y0 >> 3; by <= y1 >> 3 && !sleepers; by++) {
          for (let bz = z0 >> 3; bz <= z1 >> 3; bz++) {
            if (g32(P_SLEEP_BLOCKS, sleepBlockOf(bx << 3, by << 3, bz << 3)) != 0) { sleepers = true; break; }
          }
        }
      }
      if (!sleepers) continue;
      // the sleepers near it, then considered by tag (the sleep hash's chains are in the order
      // bodies fell asleep or were imported: history, which must not decide which pairs an
      // overflow drops; see the grid above). HITS is free until the narrowphase.
      let ns = 0;
      for (let cx = x0; cx <= x1; cx++) {
        for (let cy = y0; cy <= y1; cy++) {
          for (let cz = z0; cz <= z1; cz++) {
            const want = packCell(cx, cy, cz);
            const sb = sleepBucketOf(cx, cy, cz);
            if ((sleepSig(sb) & cellSig(want)) == 0) continue;   // no sleeper of this cell here
            for (let e = sleepHead(sb); e != 0; e = g32(P_SLEEP_NEXT, e - 1)) {
              visits++;
              if (g64(P_CELL_KEY, e - 1) == want) store<i32>(candAt(ns++), e - 1);
            }
          }
        }
      }
      for (let a = 1; a < ns; a++) {
        const v = load<i32>(candAt(a)), kv = tagAt(v);
        let b = a - 1;
        while (b >= 0 && tagAt(load<i32>(candAt(b))) > kv) { store<i32>(candAt(b + 1), load<i32>(candAt(b))); b--; }
        store<i32>(candAt(b + 1), v);
      }
      for (let a = 0; a < ns; a++) considerSleeper(ra, load<i32>(candAt(a)));
    }
    addWork(visits);
  }
  // 2b. participants in tag order; group the pairs by I (prefix sums over them): J lists in PAIR_J
  const nPart = partCount;
  sortParticipants(nPart, hw);
  let run = 0;
  for (let p = 0; p < nPart; p++) {
    const i = g32(P_PART, p);
    s32(P_CFIRST, i, run); s32(P_BUCKET, i, run); run += g32(P_CCOUNT, i);
  }
  for (let p = 0; p < pairCount; p++) {
    const pk = g64(P_PAIRS, p);
    const i = <i32>(pk >> 32);
    const at = g32(P_BUCKET, i);
    s32(P_PAIR_J, at, <i32>(pk & 0xFFFFFFFF));
    s32(P_BUCKET, i, at + 1);
  }
  // 3. wake pass over the candidate pairs, before the narrowphase, so that a body woken in
  //    this tick gets its static contacts too (woken after the narrowphase, it fell through
  //    its floor for a tick, and that motion woke its neighbours: sleep never held in a
  //    carpet of balls). Decided from the state at the start of the tick, then applied;
  //    woken bodies join the awake list (wake) for the solver.
  wakePass(nPart);
  // 2c. narrowphase, I ascending over the participants; candidates (moving J and statics) sorted by J's tag
  for (let p = 0; p < nPart; p++) {
    const i = g32(P_PART, p);
    const pFirst = g32(P_CFIRST, i), pCount = g32(P_CCOUNT, i);
    s32(P_CFIRST, i, <i32>hdr(H_CONTACT_COUNT));
    s32(P_CCOUNT, i, 0);
    let n = 0;
    for (let q = 0; q < pCount; q++) store<i32>(candAt(n++), g32(P_PAIR_J, pFirst + q));
    if (isActive(i) && g32(P_KIND, i) == KIND_DYNAMIC) {
      const layerI = g32(P_LAYER, i), maskI = g32(P_MASK, i);
      const reach = g64(P_RADIUS, i) + coreHalf(i) + hdr(H_MARGIN);
      const px = g64(P_PX, i), py = g64(P_PY, i), pz = g64(P_PZ, i);
      n = staticCandidates(i, px, py, pz, reach, layerI, maskI, n);
    }
    // sort candidates by tag (insertion sort: lists are short)
    for (let a = 1; a < n; a++) {
      const v = load<i32>(candAt(a)), kv = tagAt(v);
      let b = a - 1;
      while (b >= 0 && tagAt(load<i32>(candAt(b))) > kv) { store<i32>(candAt(b + 1), load<i32>(candAt(b))); b--; }
      store<i32>(candAt(b + 1), v);
    }
    for (let a = 0; a < n; a++) collidePair(i, load<i32>(candAt(a)));
    s32(P_CCOUNT, i, <i32>hdr(H_CONTACT_COUNT) - g32(P_CFIRST, i));
  }
  const count = <i32>hdr(H_CONTACT_COUNT);
  // participants leave the mark clear
  for (let p = 0; p < nPart; p++) s32(P_MARK, g32(P_PART, p), 0);
  setHdr(H_PART_COUNT, nPart);
  addWork(3 * nPart);
  // 4. solver constants (with the final sleep state)
  for (let k = 0; k < count; k++) prepareContact(contactAt(k));
}

/**
 * Wakes every sleeping body of a candidate pair whose other body is kinematic, or moves: it
 * did not rest in its last tick and its velocity is above the sleep speed (sleep.ts). Reads
 * only the state at the start of the tick; the flags are applied after all pairs are seen,
 * so the order of the pairs does not matter.
 */
function wakePass(nPart: i32): void {
  const sleepSpeed2 = hdr(H_SLEEP_SPEED) * hdr(H_SLEEP_SPEED);
  for (let p = 0; p < pairCount; p++) {
    const pk = g64(P_PAIRS, p);
    const i = <i32>(pk >> 32), j = <i32>(pk & 0xFFFFFFFF);
    const si = (g32(P_FLAGS, i) & FLAG_SLEEPING) != 0, sj = (g32(P_FLAGS, j) & FLAG_SLEEPING) != 0;
    if (si == sj) continue;
    const awake = si ? j : i;
    const vx = g64(P_VX, awake), vy = g64(P_VY, awake), vz = g64(P_VZ, awake);
    if (g32(P_KIND, awake) == KIND_KINEMATIC || (g32(P_SLEEP_COUNT, awake) == 0 && vx * vx + vy * vy + vz * vz > sleepSpeed2)) {
      s32(P_WAKE, si ? i : j, 1);
    }
  }
  for (let p = 0; p < nPart; p++) {
    const i = g32(P_PART, p);
    if (g32(P_WAKE, i)) wake(i);
  }
}

// Memo of prepareContact's last division (module globals; a pure function of ktSum).
let ktSum: i64 = -1, ktVal: i64 = 0;

/**
 * Shares, effective masses, friction and restitution of one contact. A box contact
 * (box-contacts.ts, CF_BOX) keeps a lever-arm vector in ARM_I, ARM_J and KT, so it gets
 * everything but the tangential effective mass, which its solver computes per point.
 */
function prepareContact(c: usize): void {
  const i = load<i32>(c, C_I), j = load<i32>(c, C_J);
  let flags = load<i32>(c, C_FLAGS);
  const wi = moves(i) ? g64(P_INV_MASS, i) : 0;
  const jm = (flags & CF_J_STATIC) == 0 && moves(j);
  const wj = jm ? g64(P_INV_MASS, j) : 0;
  if (jm) flags |= CF_J_MOVES; else flags &= ~CF_J_MOVES;
  store<i32>(c, flags, C_FLAGS);
  // shares of a normal correction: w_i / (w_i + w_j) and the rest (one division)
  const ws = wi + wj;
  const shareI = wj == 0 ? (wi > 0 ? ONE : 0) : (wi == 0 ? 0 : (wi == wj ? ONE >> 1 : div(wi, ws)));
  store<i32>(c, <i32>shareI, C_SHARE_I);
  store<i32>(c, <i32>((g64(P_FRICTION, i) + g64(P_FRICTION, j)) >> 1), C_MU);
  const ei = g64(P_RESTITUTION, i), ej = g64(P_RESTITUTION, j);
  store<i32>(c, <i32>(ei > ej ? ei : ej), C_E);
  if (flags & CF_BOX) return;
  // tangential effective mass: w + arm^2 / I for each body (spheres roll; others do not)
  const ai = <i64>load<i32>(c, C_ARM_I), aj = <i64>load<i32>(c, C_ARM_J);
  let wti = wi, wtj = wj;
  if (wi > 0) wti += mul(mul(g64(P_INV_INERTIA, i), ai), ai);
  if (wj > 0) wtj += mul(mul(g64(P_INV_INERTIA, j), aj), aj);
  // 1 / (w~_i + w~_j): a division per contact, memoized because most contacts of a scene
  // share a few body types (same value whichever contact computes it first)
  const wt = wti + wtj;
  if (wt != ktSum) { ktSum = wt; ktVal = wt > 0 ? div(ONE, wt) : 0; }
  store<i64>(c, ktVal, C_KT);
}
