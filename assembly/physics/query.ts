// Scene queries: raycast (closest hit, all hits) and sphere / box overlap.
//
// Results go to the HITS array as 16-byte records | handle i64 | t i64 | (t = hit distance
// in raw metres along the unit ray; 0 for overlaps) and HEADER.HIT_COUNT. Order is part of
// the contract: raycastAll sorts by (t, slot), overlaps by slot; raycastClosest keeps the
// lowest (t, slot).
//
// Which bodies are tested: the other statics (planes; static spheres and capsules), the static
// boxes the static tree (static-tree.ts) cannot rule out, and the moving bodies (dynamic and
// kinematic, asleep or not; never statics or free slots) the moving tree (moving-tree.ts)
// cannot rule out, or every one of the MOVING list while that tree is not built (the first
// queries after a step or a change). For overlaps, the bodies whose AABB (a box's, a moving
// body's bound) touches the query's AABB; for rays, the bodies under tree nodes whose AABB the
// ray's slab test enters (before the best hit so far for the closest: statics are cast first,
// so their best bounds the moving bodies' walk), moving nodes grown to cover the rounding of
// the exact tests (rayWalk). The broadphase grid is not used: it is built from the positions
// at the start of the last step, and bodies have moved (and may have been added, removed or
// teleported) since, so it does not describe the world a query sees. Work: O(log statics +
// log moving + hits) per query once the moving tree is built; QUERY_TESTS and QUERY_VISITS
// count the exact tests and tree nodes of the last query.
//
// Same results as testing every live body: the trees skip only bodies that cannot pass the
// exact test (see the node tests below), each kept body gets the same exact test, and the
// hits are sorted by (t, slot) at the end, so neither the lists nor the trees' order shows.
//
// Shapes: sphere and capsule as a vertical core segment plus radius; static boxes (AABB);
// rotating (dynamic and kinematic) boxes as oriented boxes: rays and spheres in the box's own
// frame, boxes by the separating axis test over 15 axes (Gottschalk, Lin and Manocha,
// "OBBTree", SIGGRAPH 1996);
// planes (half-spaces: a plane is hit from its front side, and overlaps everything behind it);
// heightfields and meshes (terrain.ts terrainRay: a ray hits a triangle's front face; overlap
// queries do not report them yet); compounds (compound.ts) as their children, each posed in the
// body's slot in turn.

import { saveSlot, poseChild, restoreSlot, savedCount } from './compound';
import {
  P_PX, P_PY, P_PZ, P_RADIUS, P_HX, P_HY, P_HZ, P_SHAPE, P_LAYER, P_GENERATION, P_HITS, P_MOVING,
  H_CAPACITY, H_DYNAMIC_COUNT, H_HIT_COUNT, H_QUERY_TESTS, H_QUERY_VISITS, H_STATIC_SCAN, SHAPE_CAPSULE, SHAPE_BOX, SHAPE_PLANE, SHAPE_HULL, SHAPE_COMPOUND,
  P_KIND, KIND_STATIC, SHAPE_ROTATING_CAPSULE,
  N_LO_X, N_LO_Y, N_LO_Z, N_HI_X, N_HI_Y, N_HI_Z, N_SKIP, N_FIRST, N_COUNT, P_STATIC_NODES, P_STATIC_ORDER, P_MOVING_NODES, P_MOVING_ORDER, H_MAX_RADIUS,
} from './layout';
import { g64, g32, hdr, setHdr } from './world';
import { lengthOfSq } from './collide';
import {
  staticTreeUpdate, staticNodeCount, staticEntry, staticBoxCount, staticOtherCount, staticBoxesOverlapping, treeOverlapping, lastVisits,
} from './static-tree';
import { movingTreeReady, movingNodeCount } from './moving-tree';
import { div, mul, roundShift, MAX } from '../math/fixed';
import { terrainRay, isGeometryShape } from './terrain';
import { boxAxesOf, boxAxis } from './box-contacts';
import { hullRay, hullOverlapsSphere, hullOverlapsAabb } from './hull';

// @ts-ignore: decorator
@inline function hitAt(k: i32): usize { return P_HITS + (<usize>k << 4); }

// @ts-ignore: decorator
@inline function handleOf(slot: i32): i64 { return (<i64>g32(P_GENERATION, slot) << 32) | <i64>slot; }

/** Ray origin o and unit direction d (raw), against a sphere of centre c, radius r: t or -1. */
function raySphere(ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, cx: i64, cy: i64, cz: i64, r: i64): i64 {
  const lx = cx - ox, ly = cy - oy, lz = cz - oz;
  const b = roundShift(lx * dx + ly * dy + lz * dz, 16);
  const c = lx * lx + ly * ly + lz * lz - r * r;            // raw^2 (Q32)
  if (c <= 0) return 0;                                      // origin inside
  if (b < 0) return -1;
  const disc = b * b - c;
  if (disc < 0) return -1;
  return b - lengthOfSq(disc);
}

/** Ray against a vertical capsule (core y in [cy - h, cy + h], radius r): t or -1. */
function rayCapsule(ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, cx: i64, cy: i64, cz: i64, h: i64, r: i64): i64 {
  let best: i64 = -1;
  // infinite cylinder in x/z: a t^2 - 2 b t + c = 0 (all Q16)
  const lx = cx - ox, lz = cz - oz;
  const a = roundShift(dx * dx + dz * dz, 16);
  if (a > 0) {
    const b = roundShift(lx * dx + lz * dz, 16);
    const c = roundShift(lx * lx + lz * lz - r * r, 16);
    const disc = b * b - a * c;                               // Q32
    if (disc >= 0) {
      const t = div(b - lengthOfSq(disc), a);
      const y = oy + mul(t, dy);
      if (t >= 0 && y >= cy - h && y <= cy + h) best = t;
      if (c <= 0 && oy >= cy - h && oy <= cy + h) return 0;  // inside the cylinder part
    }
  }
  const t1 = raySphere(ox, oy, oz, dx, dy, dz, cx, cy - h, cz, r);
  if (t1 >= 0 && (best < 0 || t1 < best)) best = t1;
  const t2 = raySphere(ox, oy, oz, dx, dy, dz, cx, cy + h, cz, r);
  if (t2 >= 0 && (best < 0 || t2 < best)) best = t2;
  return best;
}

/** Ray against an axis-aligned box (slab method): entry t, 0 if inside, or -1. */
function rayBox(ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64, maxT: i64): i64 {
  let tmin: i64 = 0, tmax = maxT;
  for (let a = 0; a < 3; a++) {
    const o = a == 0 ? ox - cx : (a == 1 ? oy - cy : oz - cz);
    const d = a == 0 ? dx : (a == 1 ? dy : dz);
    const e = a == 0 ? ex : (a == 1 ? ey : ez);
    if (d == 0) { if (o < -e || o > e) return -1; continue; }
    let t1 = div(-e - o, d), t2 = div(e - o, d);
    if (t1 > t2) { const t = t1; t1 = t2; t2 = t; }
    if (t1 > tmin) tmin = t1;
    if (t2 < tmax) tmax = t2;
    if (tmin > tmax) return -1;
  }
  return tmin;
}

/** a . v for local axis k of the last boxAxesOf and a raw vector v, rounded to raw (Q16). */
// @ts-ignore: decorator
@inline function toLocal(k: i32, x: i64, y: i64, z: i64): i64 {
  return roundShift(boxAxis(k, 0) * x + boxAxis(k, 1) * y + boxAxis(k, 2) * z, 16);
}

/**
 * Ray against rotating box i: origin and direction into the box's frame (R^T (o - c), R^T d;
 * a rotation keeps lengths, so t is the world distance), then the slab test.
 */
function rayOrientedBox(i: i32, ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, maxT: i64): i64 {
  boxAxesOf(i);
  const rx = ox - g64(P_PX, i), ry = oy - g64(P_PY, i), rz = oz - g64(P_PZ, i);
  return rayBox(
    toLocal(0, rx, ry, rz), toLocal(1, rx, ry, rz), toLocal(2, rx, ry, rz),
    toLocal(0, dx, dy, dz), toLocal(1, dx, dy, dz), toLocal(2, dx, dy, dz),
    0, 0, 0, g64(P_HX, i), g64(P_HY, i), g64(P_HZ, i), maxT,
  );
}

/**
 * Rotating box i against the axis-aligned box (c, e): the separating axis test over the AABB's
 * 3 axes, the box's 3 and their 9 cross products (Gottschalk et al. 1996, with R_jk = component
 * j of box axis k, each |R_jk| taken one Q16 unit larger so that near-parallel edges, whose
 * cross product is nearly zero, never separate by rounding: the test errs towards overlap by
 * at most a few raw units).
 */
function orientedBoxOverlapsAabb(i: i32, cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64): bool {
  boxAxesOf(i);
  const t0 = g64(P_PX, i) - cx, t1 = g64(P_PY, i) - cy, t2 = g64(P_PZ, i) - cz;   // raw
  const b0 = g64(P_HX, i), b1 = g64(P_HY, i), b2 = g64(P_HZ, i);
  // every comparison in Q32: raw extents times Q16 |R|
  for (let j = 0; j < 3; j++) {                        // the AABB's axes: world axis j
    const a = j == 0 ? ex : (j == 1 ? ey : ez), t = j == 0 ? t0 : (j == 1 ? t1 : t2);
    const rb = b0 * absR(0, j) + b1 * absR(1, j) + b2 * absR(2, j);
    if (abs<i64>(t) << 16 > (a << 16) + rb) return false;
  }
  for (let k = 0; k < 3; k++) {                        // the box's axes
    const ra = ex * absR(k, 0) + ey * absR(k, 1) + ez * absR(k, 2);
    const b = k == 0 ? b0 : (k == 1 ? b1 : b2);
    if (abs<i64>(t0 * boxAxis(k, 0) + t1 * boxAxis(k, 1) + t2 * boxAxis(k, 2)) > ra + (b << 16)) return false;
  }
  for (let j = 0; j < 3; j++) {                        // world axis j x box axis k
    const j1 = (j + 1) % 3, j2 = (j + 2) % 3;
    const a1 = j1 == 0 ? ex : (j1 == 1 ? ey : ez), a2 = j2 == 0 ? ex : (j2 == 1 ? ey : ez);
    const tj1 = j1 == 0 ? t0 : (j1 == 1 ? t1 : t2), tj2 = j2 == 0 ? t0 : (j2 == 1 ? t1 : t2);
    for (let k = 0; k < 3; k++) {
      const k1 = (k + 1) % 3, k2 = (k + 2) % 3;
      const bk1 = k1 == 0 ? b0 : (k1 == 1 ? b1 : b2), bk2 = k2 == 0 ? b0 : (k2 == 1 ? b1 : b2);
      const ra = a1 * absR(k, j2) + a2 * absR(k, j1);
      const rb = bk1 * absR(k2, j) + bk2 * absR(k1, j);
      const d = tj2 * boxAxis(k, j1) - tj1 * boxAxis(k, j2);
      if (abs<i64>(d) > ra + rb) return false;
    }
  }
  return true;
}

/** |component c of box axis k| + 1 (Q16; see orientedBoxOverlapsAabb). */
// @ts-ignore: decorator
@inline function absR(k: i32, c: i32): i64 { return abs<i64>(boxAxis(k, c)) + 1; }

/** Ray against the plane n . x = d from its front side: t or -1. */
function rayPlane(ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, nx: i64, ny: i64, nz: i64, d: i64): i64 {
  const dist = roundShift(nx * ox + ny * oy + nz * oz, 16) - d;
  if (dist <= 0) return 0;                                   // behind: inside the half-space
  const denom = roundShift(nx * dx + ny * dy + nz * dz, 16);
  if (denom >= 0) return -1;
  return div(dist, -denom);
}

/** Hit distance of the ray against body i, or -1. A compound (compound.ts): the nearest of its children's, each posed in its slot in turn. */
function rayBody(i: i32, ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, maxT: i64): i64 {
  const shape = g32(P_SHAPE, i);
  if (shape == SHAPE_COMPOUND) {
    saveSlot(0, i);
    let best: i64 = -1;
    const n = savedCount(0);
    for (let k = 0; k < n; k++) {
      poseChild(0, i, k);
      const t = rayBody(i, ox, oy, oz, dx, dy, dz, maxT);
      if (t >= 0 && (best < 0 || t < best)) best = t;
    }
    restoreSlot(0, i);
    return best;
  }
  const cx = g64(P_PX, i), cy = g64(P_PY, i), cz = g64(P_PZ, i);
  if (shape == SHAPE_BOX) {
    if (g32(P_KIND, i) != KIND_STATIC) return rayOrientedBox(i, ox, oy, oz, dx, dy, dz, maxT);
    return rayBox(ox, oy, oz, dx, dy, dz, cx, cy, cz, g64(P_HX, i), g64(P_HY, i), g64(P_HZ, i), maxT);
  }
  if (shape == SHAPE_HULL) return hullRay(i, ox, oy, oz, dx, dy, dz, maxT);   // convex hull (hull.ts)
  if (shape == SHAPE_PLANE) return rayPlane(ox, oy, oz, dx, dy, dz, g64(P_HX, i), g64(P_HY, i), g64(P_HZ, i), g64(P_RADIUS, i));
  if (shape == SHAPE_CAPSULE) return rayCapsule(ox, oy, oz, dx, dy, dz, cx, cy, cz, g64(P_HY, i), g64(P_RADIUS, i));
  if (shape == SHAPE_ROTATING_CAPSULE) {
    // in the capsule's frame (as rayOrientedBox): an upright capsule at the origin
    boxAxesOf(i);
    const rx = ox - cx, ry = oy - cy, rz = oz - cz;
    return rayCapsule(toLocal(0, rx, ry, rz), toLocal(1, rx, ry, rz), toLocal(2, rx, ry, rz),
      toLocal(0, dx, dy, dz), toLocal(1, dx, dy, dz), toLocal(2, dx, dy, dz), 0, 0, 0, g64(P_HY, i), g64(P_HX, i));
  }
  if (isGeometryShape(shape)) return terrainRay(i, ox, oy, oz, dx, dy, dz, maxT);   // heightfield or mesh (terrain.ts)
  return raySphere(ox, oy, oz, dx, dy, dz, cx, cy, cz, g64(P_RADIUS, i));
}

// Hits collected by a query so far, and its work (module globals: no allocation).
let hitN = 0, tests = 0, visits = 0;
// Closest-hit state of raycast(all = 0): lowest (t, slot) so far.
let bestT: i64 = MAX, bestSlot = -1;

/** Appends the hit (slot, t). */
// @ts-ignore: decorator
@inline function pushHit(slot: i32, t: i64): void {
  store<i64>(hitAt(hitN), handleOf(slot)); store<i64>(hitAt(hitN), t, 8);
  hitN++;
}

/** (t, slot) of hit a before that of hit b. */
// @ts-ignore: decorator
@inline function hitBefore(a: usize, b: usize): bool {
  const ta = load<i64>(a, 8), tb = load<i64>(b, 8);
  return ta < tb || (ta == tb && <u32>load<i64>(a) < <u32>load<i64>(b));
}

/** Moves hit k of the max-heap of n hits down to its place. */
function siftHit(k: i32, n: i32): void {
  const h = load<i64>(hitAt(k)), t = load<i64>(hitAt(k), 8);
  while (true) {
    let c = 2 * k + 1;
    if (c >= n) break;
    if (c + 1 < n && hitBefore(hitAt(c), hitAt(c + 1))) c++;
    const ct = load<i64>(hitAt(c), 8);
    if (ct < t || (ct == t && <u32>load<i64>(hitAt(c)) < <u32>h)) break;
    store<i64>(hitAt(k), load<i64>(hitAt(c))); store<i64>(hitAt(k), ct, 8);
    k = c;
  }
  store<i64>(hitAt(k), h); store<i64>(hitAt(k), t, 8);
}

/** Sorts the n hits by (t, slot) in place (heapsort; the keys are distinct, slots being distinct). */
function sortHits(n: i32): void {
  for (let k = (n >> 1) - 1; k >= 0; k--) siftHit(k, n);
  for (let end = n - 1; end > 0; end--) {
    const h = load<i64>(hitAt(0)), t = load<i64>(hitAt(0), 8);
    store<i64>(hitAt(0), load<i64>(hitAt(end))); store<i64>(hitAt(0), load<i64>(hitAt(end), 8), 8);
    store<i64>(hitAt(end), h); store<i64>(hitAt(end), t, 8);
    siftHit(0, end);
  }
}

/** Starts a query: the static tree up to date, no hits, no work yet. */
function beginQuery(): void {
  staticTreeUpdate();
  hitN = 0; tests = 0; visits = 0;
  bestT = MAX; bestSlot = -1;
}

/** Ends a query: hits sorted by (t, slot), count and work in the header. Returns the count. */
function endQuery(): i32 {
  sortHits(hitN);
  setHdr(H_HIT_COUNT, hitN);
  setHdr(H_QUERY_TESTS, tests);
  setHdr(H_QUERY_VISITS, visits);
  return hitN;
}

/** Tests the ray against body i (layer already checked): records a hit, or the closest so far. */
// @ts-ignore: decorator
@inline function rayTest(i: i32, ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, maxT: i64, all: i32): void {
  tests++;
  const t = rayBody(i, ox, oy, oz, dx, dy, dz, maxT);
  if (t < 0 || t > maxT) return;
  if (all) { pushHit(i, t); return; }
  if (t < bestT || (t == bestT && i < bestSlot)) { bestT = t; bestSlot = i; }
}

/**
 * Whether the ray may hit a box inside the node's AABB before tMax: the slab test of rayBox
 * on [lo, hi]. Conservative for every box B inside (lo <= B.lo, B.hi <= hi): per axis the
 * numerators lo - o <= B.lo - o and hi - o >= B.hi - o, and div (correctly rounded) is
 * monotone in its numerator, so the node's entry fraction is at most B's and its exit at
 * least B's; so B passing rayBox (entry <= exit, within [0, maxT]) implies the node passes,
 * and B's hit distance is at least the node's entry. Domain as rayBox's: coordinates within
 * 2^31 m of the origin, where div is exact. `grow` widens the node on every side (0 for the
 * static tree; see rayWalk for the moving tree).
 */
function rayNode(nd: usize, grow: i64, ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, tMax: i64): bool {
  let tmin: i64 = 0, tmax = tMax;
  for (let a = 0; a < 3; a++) {
    const o = a == 0 ? ox : (a == 1 ? oy : oz);
    const d = a == 0 ? dx : (a == 1 ? dy : dz);
    const lo = load<i64>(nd + <usize>(N_LO_X + (a << 3))) - grow;        // LO x y z, then HI x y z
    const hi = load<i64>(nd + <usize>(N_HI_X + (a << 3))) + grow;
    if (d == 0) { if (o < lo || o > hi) return false; continue; }
    let t1 = div(lo - o, d), t2 = div(hi - o, d);
    if (t1 > t2) { const t = t1; t1 = t2; t2 = t; }
    if (t1 > tmin) tmin = t1;
    if (t2 < tmax) tmax = t2;
    if (tmin > tmax) return false;
  }
  return true;
}

/**
 * Casts a ray from o along the unit direction d (raw Q16; |d| = 1) up to maxT metres against
 * bodies whose layer intersects `mask`. all = 0: the closest hit only (lowest (t, slot));
 * all = 1: every hit sorted by (t, slot). Returns the hit count (also in HEADER.HIT_COUNT).
 */
export function raycast(ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, maxT: i64, mask: i32, all: i32): i32 {
  beginQuery();
  // statics first: for the closest hit, their best bounds the moving bodies' walk
  // planes (and static spheres, capsules)
  const boxes = staticBoxCount(), others = staticOtherCount();
  for (let e = boxes; e < boxes + others; e++) {
    const i = staticEntry(e);
    if ((g32(P_LAYER, i) & mask) != 0) rayTest(i, ox, oy, oz, dx, dy, dz, maxT, all);
  }
  // boxes: nodes the ray enters (before the best hit so far when only the closest counts);
  // STATIC_SCAN: no tree, every box (the brute-force reference)
  if (hdr(H_STATIC_SCAN) != 0) {
    for (let e = 0; e < boxes; e++) {
      const i = staticEntry(e);
      if ((g32(P_LAYER, i) & mask) != 0) rayTest(i, ox, oy, oz, dx, dy, dz, maxT, all);
    }
  }
  rayWalk(P_STATIC_NODES, P_STATIC_ORDER, staticNodeCount(), false, ox, oy, oz, dx, dy, dz, maxT, mask, all);
  // moving bodies: the moving tree (moving-tree.ts) for a direction within 2^-12 of unit
  // length (every direction the API passes; the node growth below assumes it), else the list
  const d2 = dx * dx + dy * dy + dz * dz;
  if (abs<i64>(d2 - (<i64>1 << 32)) <= (<i64>1 << 20) && movingTreeReady()) {
    rayWalk(P_MOVING_NODES, P_MOVING_ORDER, movingNodeCount(), true, ox, oy, oz, dx, dy, dz, maxT, mask, all);
  } else {
    const nm = <i32>hdr(H_DYNAMIC_COUNT);
    for (let k = 0; k < nm; k++) {
      const i = g32(P_MOVING, k);
      if ((g32(P_LAYER, i) & mask) != 0) rayTest(i, ox, oy, oz, dx, dy, dz, maxT, all);
    }
  }
  if (!all && bestSlot >= 0) pushHit(bestSlot, bestT);
  return endQuery();
}

/** 1 cm (raw): the least growth of a moving-tree node for a ray. */
// @ts-ignore: decorator
@inline const RAY_SLACK: i64 = 655;

/**
 * Walks a tree (nodes, entries, node count) with rayNode, testing the bodies of every leaf
 * the ray enters before the reach: maxT, or the best hit so far when only the closest counts.
 *
 * Static boxes (moving = false): nodes as built, reach as is; rayNode is conservative for
 * rayBox (see there). Moving bodies (moving = true): raySphere / rayCapsule round (the
 * projection b to Q16, the unit direction to about 2^-16, the capsule's a, b, c to Q16), so
 * a body they report hit may lie a little off the exact ray, and a little beyond the reach:
 * with |d|^2 within 2^-12 of 1 (raycast checks it), a reported hit at t <= reach has its
 * centre within bound + |p| / 64 + sqrt(|p|) raw of the ray, at projection p <= (reach +
 * bound) (1 + 1/63). So a moving node is entered up to L = reach + (reach + MAX_RADIUS) / 32
 * + 1 cm and grown by L / 32 + 1 cm on every side (twice those bounds: sqrt(p) raw <= p / 32
 * for p above 1024 raw, and 1 cm above it below); the node's own AABB holds each body's
 * bound. test/query-moving.test.ts compares with the scan, long and grazing rays included.
 */
function rayWalk(nodes: usize, order: usize, count: i32, moving: bool, ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, maxT: i64, mask: i32, all: i32): void {
  const far = hdr(H_MAX_RADIUS);
  let k = 0;
  while (k < count) {
    const nd = nodes + (<usize>k << 6);
    visits++;
    const reach = !all && bestT < maxT ? bestT : maxT;
    const tMax = moving ? reach + ((reach + far) >> 5) + RAY_SLACK : reach;
    const grow = moving ? (tMax >> 5) + RAY_SLACK : 0;
    // cheap pre-test, no division: the node (grown, plus 1 cm for rounding) must touch the
    // AABB of the segment [o, o + tMax d], which holds every point the slab test can enter
    const ex = ox + mul(tMax, dx), ey = oy + mul(tMax, dy), ez = oz + mul(tMax, dz);
    const g = grow + RAY_SLACK;
    if (load<i64>(nd, N_LO_X) - g > max(ox, ex) || load<i64>(nd, N_HI_X) + g < min(ox, ex) ||
      load<i64>(nd, N_LO_Y) - g > max(oy, ey) || load<i64>(nd, N_HI_Y) + g < min(oy, ey) ||
      load<i64>(nd, N_LO_Z) - g > max(oz, ez) || load<i64>(nd, N_HI_Z) + g < min(oz, ez) ||
      !rayNode(nd, grow, ox, oy, oz, dx, dy, dz, tMax)) { k = load<i32>(nd, N_SKIP); continue; }
    const n = load<i32>(nd, N_COUNT);
    if (n == 0) { k++; continue; }
    const first = load<i32>(nd, N_FIRST);
    for (let e = first; e < first + n; e++) {
      const i = g32(order, e);
      if ((g32(P_LAYER, i) & mask) != 0) rayTest(i, ox, oy, oz, dx, dy, dz, maxT, all);
    }
    k = load<i32>(nd, N_SKIP);
  }
}

// @ts-ignore: decorator
@inline function clampI(x: i64, lo: i64, hi: i64): i64 { return x < lo ? lo : (x > hi ? hi : x); }

/** Squared distance (raw^2) from the point p to the AABB (c, e). */
// @ts-ignore: decorator
@inline function pointBoxDist2(px: i64, py: i64, pz: i64, cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64): i64 {
  const dx = px - clampI(px, cx - ex, cx + ex), dy = py - clampI(py, cy - ey, cy + ey), dz = pz - clampI(pz, cz - ez, cz + ez);
  return dx * dx + dy * dy + dz * dz;
}

/**
 * Rotating capsule i (capsule-contacts.ts: core of half length HY along its local y, radius HX)
 * against the query sphere (s, sphereR) or, for sphereR < 0, the AABB (c, e): the sphere's centre
 * in the capsule's frame against the upright core; the box's closest point of the core found by
 * alternating projection (4 rounds, as capsule-contacts.ts), within the radius of the box.
 */
function rotatingCapsuleOverlaps(i: i32, cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64, sphereR: i64, sx: i64, sy: i64, sz: i64): bool {
  const bx = g64(P_PX, i), by = g64(P_PY, i), bz = g64(P_PZ, i), h = g64(P_HY, i), r = g64(P_HX, i);
  boxAxesOf(i);
  if (sphereR >= 0) {
    const rx = sx - bx, ry = sy - by, rz = sz - bz;
    const lx = toLocal(0, rx, ry, rz), ly = toLocal(1, rx, ry, rz), lz = toLocal(2, rx, ry, rz);
    const dy = ly - clampI(ly, -h, h), rr = r + sphereR;
    return lx * lx + dy * dy + lz * lz <= rr * rr;
  }
  const ax = boxAxis(1, 0), ay = boxAxis(1, 1), az = boxAxis(1, 2);
  let t = clampI(roundShift((cx - bx) * ax + (cy - by) * ay + (cz - bz) * az, 16), -h, h);
  for (let it = 0; it < 4; it++) {
    const px = bx + roundShift(t * ax, 16), py = by + roundShift(t * ay, 16), pz = bz + roundShift(t * az, 16);
    const qx = clampI(px, cx - ex, cx + ex), qy = clampI(py, cy - ey, cy + ey), qz = clampI(pz, cz - ez, cz + ez);
    t = clampI(roundShift((qx - bx) * ax + (qy - by) * ay + (qz - bz) * az, 16), -h, h);
  }
  return pointBoxDist2(bx + roundShift(t * ax, 16), by + roundShift(t * ay, 16), bz + roundShift(t * az, 16), cx, cy, cz, ex, ey, ez) <= r * r;
}

/** True when body i overlaps the AABB (c, e) grown by `grow` (0 for a box query, r for a sphere). */
function bodyOverlapsBox(i: i32, cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64, sphereR: i64, sx: i64, sy: i64, sz: i64): bool {
  const shape = g32(P_SHAPE, i);
  if (shape == SHAPE_COMPOUND) {
    // a compound overlaps when one of its children does (each posed in its slot in turn: compound.ts)
    saveSlot(0, i);
    let hit = false;
    const n = savedCount(0);
    for (let k = 0; k < n && !hit; k++) {
      poseChild(0, i, k);
      hit = bodyOverlapsBox(i, cx, cy, cz, ex, ey, ez, sphereR, sx, sy, sz);
    }
    restoreSlot(0, i);
    return hit;
  }
  const bx = g64(P_PX, i), by = g64(P_PY, i), bz = g64(P_PZ, i);
  if (isGeometryShape(shape)) return false;            // heightfields and meshes: no overlap queries yet (terrain.ts)
  if (shape == SHAPE_HULL) return sphereR >= 0 ? hullOverlapsSphere(i, sx, sy, sz, sphereR) : hullOverlapsAabb(i, cx, cy, cz, ex, ey, ez);   // hull.ts
  if (shape == SHAPE_PLANE) {
    const nx = g64(P_HX, i), ny = g64(P_HY, i), nz = g64(P_HZ, i), d = g64(P_RADIUS, i);
    if (sphereR >= 0) return roundShift(nx * sx + ny * sy + nz * sz, 16) - d <= sphereR;
    // box: the support point of the box along -n
    const px = cx - (nx >= 0 ? ex : -ex), py = cy - (ny >= 0 ? ey : -ey), pz = cz - (nz >= 0 ? ez : -ez);
    return roundShift(nx * px + ny * py + nz * pz, 16) <= d;
  }
  if (shape == SHAPE_BOX) {
    const hx = g64(P_HX, i), hy = g64(P_HY, i), hz = g64(P_HZ, i);
    if (g32(P_KIND, i) != KIND_STATIC) {               // rotating box: in its own frame, or 15 axes
      if (sphereR < 0) return orientedBoxOverlapsAabb(i, cx, cy, cz, ex, ey, ez);
      boxAxesOf(i);
      const rx = sx - bx, ry = sy - by, rz = sz - bz;
      return pointBoxDist2(toLocal(0, rx, ry, rz), toLocal(1, rx, ry, rz), toLocal(2, rx, ry, rz), 0, 0, 0, hx, hy, hz) <= sphereR * sphereR;
    }
    if (sphereR >= 0) return pointBoxDist2(sx, sy, sz, bx, by, bz, hx, hy, hz) <= sphereR * sphereR;
    return abs<i64>(bx - cx) <= hx + ex && abs<i64>(by - cy) <= hy + ey && abs<i64>(bz - cz) <= hz + ez;
  }
  if (shape == SHAPE_ROTATING_CAPSULE) return rotatingCapsuleOverlaps(i, cx, cy, cz, ex, ey, ez, sphereR, sx, sy, sz);
  // sphere / capsule core: vertical segment [by - h, by + h] with radius r
  const h = shape == SHAPE_CAPSULE ? g64(P_HY, i) : 0;
  const r = g64(P_RADIUS, i);
  if (sphereR >= 0) {
    const y = clampI(sy, by - h, by + h);
    const dx = sx - bx, dy = sy - y, dz = sz - bz;
    const rr = r + sphereR;
    return dx * dx + dy * dy + dz * dz <= rr * rr;
  }
  // box query: closest point of the segment to the box, then distance to the box
  const yb = clampI(clampI(cy, by - h, by + h), cy - ey, cy + ey);
  const ys = clampI(yb, by - h, by + h);
  return pointBoxDist2(bx, ys, bz, cx, cy, cz, ex, ey, ez) <= r * r;
}

/** Tests body i (layer already checked) against the query box / sphere; records a hit. */
// @ts-ignore: decorator
@inline function overlapTest(i: i32, cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64, sphereR: i64): void {
  tests++;
  if (bodyOverlapsBox(i, cx, cy, cz, ex, ey, ez, sphereR, cx, cy, cz)) pushHit(i, 0);
}

/**
 * Bodies overlapping the box (c, e) (sphereR < 0) or the sphere (c, sphereR): the static boxes
 * whose AABB touches the query's AABB (static-tree.ts staticBoxesOverlapping, closed: a box
 * that only touches it can still pass the exact test, which uses <=; one that misses it on an
 * axis cannot: its distance to the sphere centre, or its gap to the query box, exceeds the
 * reach there), then the moving bodies and the other statics.
 *
 * The box candidates are written as i32 slots at the end of the HITS area and tested first,
 * so the hit records growing from its start never overwrite a candidate not yet read: when
 * candidate e (of nb) is read, at most e hits are written, 16 (e + 1) <= 16 cap - 4 nb + 4 (e + 1)
 * because nb <= cap.
 */
function overlap(cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64, sphereR: i64, mask: i32): i32 {
  beginQuery();
  const rx = sphereR >= 0 ? sphereR : ex, ry = sphereR >= 0 ? sphereR : ey, rz = sphereR >= 0 ? sphereR : ez;
  const boxes = staticBoxCount(), others = staticOtherCount();
  const cand = P_HITS + (<usize>hdr(H_CAPACITY) << 4) - (<usize>boxes << 2);
  const nb = staticBoxesOverlapping(cx - rx, cy - ry, cz - rz, cx + rx, cy + ry, cz + rz, true, cand, 0);
  visits = lastVisits;
  for (let e = 0; e < nb; e++) {
    const i = load<i32>(cand + (<usize>e << 2));
    if ((g32(P_LAYER, i) & mask) != 0) overlapTest(i, cx, cy, cz, ex, ey, ez, sphereR);
  }
  // moving bodies: those whose bound's AABB touches the query's (moving-tree.ts; candidates
  // at the end of HITS again: h hits so far and m candidates are distinct bodies, h + m <= cap,
  // so as above a hit never overwrites an unread candidate), or the MOVING list
  const nm = <i32>hdr(H_DYNAMIC_COUNT);
  if (movingTreeReady()) {
    const mc = P_HITS + (<usize>hdr(H_CAPACITY) << 4) - (<usize>nm << 2);
    const m = treeOverlapping(P_MOVING_NODES, P_MOVING_ORDER, movingNodeCount(), true, cx - rx, cy - ry, cz - rz, cx + rx, cy + ry, cz + rz, true, mc, 0);
    visits += lastVisits;
    for (let e = 0; e < m; e++) {
      const i = load<i32>(mc + (<usize>e << 2));
      if ((g32(P_LAYER, i) & mask) != 0) overlapTest(i, cx, cy, cz, ex, ey, ez, sphereR);
    }
  } else {
    for (let k = 0; k < nm; k++) {
      const i = g32(P_MOVING, k);
      if ((g32(P_LAYER, i) & mask) != 0) overlapTest(i, cx, cy, cz, ex, ey, ez, sphereR);
    }
  }
  for (let e = boxes; e < boxes + others; e++) {
    const i = staticEntry(e);
    if ((g32(P_LAYER, i) & mask) != 0) overlapTest(i, cx, cy, cz, ex, ey, ez, sphereR);
  }
  return endQuery();
}

/** Bodies (layer & mask) overlapping the sphere (c, r), in slot order. Returns the count. */
export function overlapSphere(cx: i64, cy: i64, cz: i64, r: i64, mask: i32): i32 {
  return overlap(cx, cy, cz, 0, 0, 0, r < 0 ? 0 : r, mask);
}

/** Bodies (layer & mask) overlapping the axis-aligned box (centre c, half extents e), in slot order. */
export function overlapBox(cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64, mask: i32): i32 {
  return overlap(cx, cy, cz, ex, ey, ez, -1, mask);
}
