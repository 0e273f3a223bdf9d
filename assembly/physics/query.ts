// Scene queries: raycast (closest hit, all hits) and sphere / box overlap.
//
// Results go to the HITS array as 16-byte records | handle i64 | t i64 | (t = hit distance
// in raw metres along the unit ray; 0 for overlaps) and HEADER.HIT_COUNT. Order is part of
// the contract: raycastAll sorts by (t, slot), overlaps by slot; raycastClosest keeps the
// lowest (t, slot). Bodies are tested in slot order with a linear scan (O(bodies) per
// query; fine for projectiles and picking at the current world sizes, a grid walk later).
//
// Shapes: sphere and capsule as a vertical core segment plus radius; static boxes (AABB);
// planes (half-spaces: a plane is hit from its front side, and overlaps everything behind it).

import {
  P_PX, P_PY, P_PZ, P_RADIUS, P_HX, P_HY, P_HZ, P_SHAPE, P_FLAGS, P_LAYER, P_GENERATION, P_HITS,
  H_HIGH_WATER, H_HIT_COUNT, SHAPE_CAPSULE, SHAPE_BOX, SHAPE_PLANE, FLAG_LIVE,
} from './layout';
import { g64, g32, hdr, setHdr } from './world';
import { lengthOfSq } from './collide';
import { div, mul, roundShift, MAX } from '../math/fixed';

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

/** Ray against the plane n . x = d from its front side: t or -1. */
function rayPlane(ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, nx: i64, ny: i64, nz: i64, d: i64): i64 {
  const dist = roundShift(nx * ox + ny * oy + nz * oz, 16) - d;
  if (dist <= 0) return 0;                                   // behind: inside the half-space
  const denom = roundShift(nx * dx + ny * dy + nz * dz, 16);
  if (denom >= 0) return -1;
  return div(dist, -denom);
}

/** Hit distance of the ray against body i, or -1. */
function rayBody(i: i32, ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, maxT: i64): i64 {
  const shape = g32(P_SHAPE, i);
  const cx = g64(P_PX, i), cy = g64(P_PY, i), cz = g64(P_PZ, i);
  if (shape == SHAPE_BOX) return rayBox(ox, oy, oz, dx, dy, dz, cx, cy, cz, g64(P_HX, i), g64(P_HY, i), g64(P_HZ, i), maxT);
  if (shape == SHAPE_PLANE) return rayPlane(ox, oy, oz, dx, dy, dz, g64(P_HX, i), g64(P_HY, i), g64(P_HZ, i), g64(P_RADIUS, i));
  if (shape == SHAPE_CAPSULE) return rayCapsule(ox, oy, oz, dx, dy, dz, cx, cy, cz, g64(P_HY, i), g64(P_RADIUS, i));
  return raySphere(ox, oy, oz, dx, dy, dz, cx, cy, cz, g64(P_RADIUS, i));
}

/**
 * Casts a ray from o along the unit direction d (raw Q16; |d| = 1) up to maxT metres against
 * bodies whose layer intersects `mask`. all = 0: the closest hit only (lowest (t, slot));
 * all = 1: every hit sorted by (t, slot). Returns the hit count (also in HEADER.HIT_COUNT).
 */
export function raycast(ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, maxT: i64, mask: i32, all: i32): i32 {
  const hw = <i32>hdr(H_HIGH_WATER);
  let n = 0;
  let bestT = MAX, bestSlot = -1;
  for (let i = 0; i < hw; i++) {
    if ((g32(P_FLAGS, i) & FLAG_LIVE) == 0 || (g32(P_LAYER, i) & mask) == 0) continue;
    const t = rayBody(i, ox, oy, oz, dx, dy, dz, maxT);
    if (t < 0 || t > maxT) continue;
    if (!all) { if (t < bestT) { bestT = t; bestSlot = i; } continue; }
    // insertion by (t, slot); slots arrive ascending so equal t keeps slot order
    let k = n - 1;
    while (k >= 0 && load<i64>(hitAt(k), 8) > t) {
      store<i64>(hitAt(k + 1), load<i64>(hitAt(k))); store<i64>(hitAt(k + 1), load<i64>(hitAt(k), 8), 8);
      k--;
    }
    store<i64>(hitAt(k + 1), handleOf(i)); store<i64>(hitAt(k + 1), t, 8);
    n++;
  }
  if (!all && bestSlot >= 0) { store<i64>(hitAt(0), handleOf(bestSlot)); store<i64>(hitAt(0), bestT, 8); n = 1; }
  setHdr(H_HIT_COUNT, n);
  return n;
}

// @ts-ignore: decorator
@inline function clampI(x: i64, lo: i64, hi: i64): i64 { return x < lo ? lo : (x > hi ? hi : x); }

/** Squared distance (raw^2) from the point p to the AABB (c, e). */
// @ts-ignore: decorator
@inline function pointBoxDist2(px: i64, py: i64, pz: i64, cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64): i64 {
  const dx = px - clampI(px, cx - ex, cx + ex), dy = py - clampI(py, cy - ey, cy + ey), dz = pz - clampI(pz, cz - ez, cz + ez);
  return dx * dx + dy * dy + dz * dz;
}

/** True when body i overlaps the AABB (c, e) grown by `grow` (0 for a box query, r for a sphere). */
function bodyOverlapsBox(i: i32, cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64, sphereR: i64, sx: i64, sy: i64, sz: i64): bool {
  const shape = g32(P_SHAPE, i);
  const bx = g64(P_PX, i), by = g64(P_PY, i), bz = g64(P_PZ, i);
  if (shape == SHAPE_PLANE) {
    const nx = g64(P_HX, i), ny = g64(P_HY, i), nz = g64(P_HZ, i), d = g64(P_RADIUS, i);
    if (sphereR >= 0) return roundShift(nx * sx + ny * sy + nz * sz, 16) - d <= sphereR;
    // box: the support point of the box along -n
    const px = cx - (nx >= 0 ? ex : -ex), py = cy - (ny >= 0 ? ey : -ey), pz = cz - (nz >= 0 ? ez : -ez);
    return roundShift(nx * px + ny * py + nz * pz, 16) <= d;
  }
  if (shape == SHAPE_BOX) {
    const hx = g64(P_HX, i), hy = g64(P_HY, i), hz = g64(P_HZ, i);
    if (sphereR >= 0) return pointBoxDist2(sx, sy, sz, bx, by, bz, hx, hy, hz) <= sphereR * sphereR;
    return abs<i64>(bx - cx) <= hx + ex && abs<i64>(by - cy) <= hy + ey && abs<i64>(bz - cz) <= hz + ez;
  }
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

function overlap(cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64, sphereR: i64, mask: i32): i32 {
  const hw = <i32>hdr(H_HIGH_WATER);
  let n = 0;
  for (let i = 0; i < hw; i++) {
    if ((g32(P_FLAGS, i) & FLAG_LIVE) == 0 || (g32(P_LAYER, i) & mask) == 0) continue;
    if (!bodyOverlapsBox(i, cx, cy, cz, ex, ey, ez, sphereR, cx, cy, cz)) continue;
    store<i64>(hitAt(n), handleOf(i)); store<i64>(hitAt(n), 0, 8);
    n++;
  }
  setHdr(H_HIT_COUNT, n);
  return n;
}

/** Bodies (layer & mask) overlapping the sphere (c, r), in slot order. Returns the count. */
export function overlapSphere(cx: i64, cy: i64, cz: i64, r: i64, mask: i32): i32 {
  return overlap(cx, cy, cz, 0, 0, 0, r < 0 ? 0 : r, mask);
}

/** Bodies (layer & mask) overlapping the axis-aligned box (centre c, half extents e), in slot order. */
export function overlapBox(cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64, mask: i32): i32 {
  return overlap(cx, cy, cz, ex, ey, ez, -1, mask);
}
