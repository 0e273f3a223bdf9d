// Dynamic convex hulls (issue 18): their narrowphase, continuous-collision helpers (solver.ts)
// and query tests (query.ts: ray casts, sphere and box overlaps against the faces).
//
// A hull is a SHAPE_HULL body of KIND_DYNAMIC whose geometry is a block in the GEOMETRY array
// (written by the bindings from src/physics/hull.ts; its word index in the body's CHAR_STEP
// field, which only characters otherwise use):
//
//   | SHAPE_HULL | NV | NF | NE | BOUND | HX | HY | HZ | INNER | VOLUME |      10 header words
//   | NV vertices x 3 (raw, principal frame, centroid at the origin)     |
//   | NF planes x 4: nx ny nz (Q16 unit, outward), d (raw)               |
//   | NF face words: FIRST << 16 | COUNT | face index list | NE edge words |
//
// The vertices are in the hull's principal frame, so its inertia is diagonal there: the body
// keeps the "equivalent box" half extents HX..HZ (a solid cuboid with the hull's principal
// moments, src/physics/hull.ts) and every solver step of the rotating box (box-contacts.ts:
// inertia frame, lever arms, static points, orientation) applies to it unchanged; RADIUS is
// the bounding sphere about the centroid (broadphase, sleep). Only the narrowphase differs:
//
// - hull vs plane, heightfield or mesh: every vertex within reach is a candidate point (for
//   terrain: terrain.ts's nearest triangle, as box-contacts.ts boxTerrain), and up to 4 are
//   kept by the box's reduction (deepest, farthest from it, largest triangle, largest area on
//   the other side: D. Gregorius, "Robust Contact Creation for Physics Simulations", GDC 2015).
//   Vertex-based: a terrain ridge poking into a hull face between its vertices is not seen (as
//   the box's terrain contacts; ground and floors are flat at a hull's scale);
// - hull vs static box, dynamic box or hull: the separating axis test and a clipped face
//   manifold (polyPair below);
// - hull vs sphere or upright capsule (a sphere at the capsule core's point level with the
//   hull centre, as box-contacts.ts boxSphere): the closest point of the hull to the centre,
//   from the faces whose plane the centre lies outside of and whose polygon holds its
//   projection, else the nearest edge (Ericson, Real-Time Collision Detection, 5.1.2 and
//   5.1.7 for the closest point of a segment); a centre inside the hull is pushed out
//   through the least-penetrated face. One point.
//
// Integer ranges: hull coordinates within +-2^24 raw (256 m; the bindings refuse more) and
// bodies within the geometry bound, so differences stay below 2^31 and their products below
// 2^62. Deterministic orders: vertices, faces and edges in block order, strict comparisons
// keep the first on ties.

import {
  P_PX, P_PY, P_PZ, P_HX, P_HY, P_HZ, P_RADIUS, P_SHAPE, P_KIND, P_CHAR_STEP, P_GEOMETRY,
  P_BOX_SCRATCH, SHAPE_SPHERE, SHAPE_CAPSULE, SHAPE_BOX, SHAPE_PLANE, SHAPE_HULL, SHAPE_ROTATING_CAPSULE, KIND_STATIC, CF_J_STATIC,
} from './layout';
import { g64, g32 } from './world';
import { coreNearest, coreX, coreY, coreZ } from './capsule-contacts';
import { div, ONE, sqrtFast, q16 } from '../math/fixed';
import { boxAxesOf, boxAxis, putContact } from './box-contacts';
import { isGeometryShape, terrainContacts, terrainContactAt, tNX, tNY, tNZ, tSep } from './terrain';

// @ts-ignore: decorator
@inline function absI(x: i64): i64 { return x < 0 ? -x : x; }
// @ts-ignore: decorator
@inline function clampI(x: i64, lo: i64, hi: i64): i64 { return x < lo ? lo : (x > hi ? hi : x); }
// @ts-ignore: decorator
@inline function sqrtI(x: i64): i64 { return <i64>sqrtFast(<u64>x); }

/** Header words of a hull block (the vertices follow). */
// @ts-ignore: decorator
@inline export const HULL_HEADER_WORDS: i32 = 10;
/** Most vertices of a hull (issue 18). */
// @ts-ignore: decorator
@inline export const HULL_MAX_VERTICES: i64 = 64;

/** Word k of the GEOMETRY array. */
// @ts-ignore: decorator
@inline function gw(k: i32): i64 { return load<i64>(P_GEOMETRY + (<usize>k << 3)); }

/** Word index of hull body s's geometry block. */
// @ts-ignore: decorator
@inline export function hullBlock(s: i32): i32 { return <i32>g64(P_CHAR_STEP, s); }
/** Word k of the hull block at g (header fields: 1 NV, 2 NF, 3 NE, 4 BOUND, 5..7 HX..HZ, 8 INNER, 9 VOLUME). */
// @ts-ignore: decorator
@inline export function hullWord(g: i32, k: i32): i64 { return gw(g + k); }

/**
 * Whether a hull block of a believable size starts at word o of the first `used` words: its
 * shape word, 4..64 vertices, 4..2 NV - 4 faces, NV + NF - 2 edges (Euler), positive extents,
 * and the whole block within `used`. Does not check the geometry itself (the bindings build it).
 */
export function hullBlockValid(o: i64, used: i64): bool {
  if (o < 0 || o + <i64>HULL_HEADER_WORDS > used) return false;
  const w = <i32>o;
  if (gw(w) != <i64>SHAPE_HULL) return false;
  const nv = gw(w + 1), nf = gw(w + 2), ne = gw(w + 3);
  if (nv < 4 || nv > HULL_MAX_VERTICES || nf < 4 || nf > 2 * nv - 4 || ne != nv + nf - 2) return false;
  if (gw(w + 4) <= 0 || gw(w + 5) <= 0 || gw(w + 6) <= 0 || gw(w + 7) <= 0 || gw(w + 8) <= 0) return false;
  // the face index list: the faces' counts sum to 2 NE (each edge borders two faces)
  return o + <i64>HULL_HEADER_WORDS + 3 * nv + 5 * nf + 2 * ne + ne <= used;
}

// ---- the hull's frame ----

// Rotation (columns: the hull's axes in world coordinates, Q16) and centre of the hull loaded by loadHull.
let r00: i64 = 0, r01: i64 = 0, r02: i64 = 0, r10: i64 = 0, r11: i64 = 0, r12: i64 = 0, r20: i64 = 0, r21: i64 = 0, r22: i64 = 0;
let hcx: i64 = 0, hcy: i64 = 0, hcz: i64 = 0;
// block word indices of the loaded hull: vertices, planes, face words, face index list, edges
let hV = 0, hP = 0, hF = 0, hI = 0, hE = 0, hNV = 0, hNF = 0, hNE = 0;

/** Loads hull s: its axes (rk_c = component c of axis k, from the orientation) and its block's sections. */
function loadHull(s: i32): void {
  boxAxesOf(s);
  r00 = boxAxis(0, 0); r01 = boxAxis(0, 1); r02 = boxAxis(0, 2);
  r10 = boxAxis(1, 0); r11 = boxAxis(1, 1); r12 = boxAxis(1, 2);
  r20 = boxAxis(2, 0); r21 = boxAxis(2, 1); r22 = boxAxis(2, 2);
  hcx = g64(P_PX, s); hcy = g64(P_PY, s); hcz = g64(P_PZ, s);
  const g = hullBlock(s);
  hNV = <i32>gw(g + 1); hNF = <i32>gw(g + 2); hNE = <i32>gw(g + 3);
  hV = g + HULL_HEADER_WORDS; hP = hV + 3 * hNV; hF = hP + 4 * hNF; hI = hF + hNF; hE = hI + 2 * hNE;
}

// The result of hullVertex / toWorld (raw world coordinates) and toLocal (raw, hull frame).
let wX: i64 = 0, wY: i64 = 0, wZ: i64 = 0;
let lX: i64 = 0, lY: i64 = 0, lZ: i64 = 0;

/** World coordinates of the loaded hull's local point (x, y, z) (raw) into wX..wZ. */
// @ts-ignore: decorator
@inline function toWorld(x: i64, y: i64, z: i64): void {
  wX = hcx + q16(x * r00 + y * r10 + z * r20);
  wY = hcy + q16(x * r01 + y * r11 + z * r21);
  wZ = hcz + q16(x * r02 + y * r12 + z * r22);
}
/** Vertex k of the loaded hull in world coordinates into wX..wZ. */
function hullVertex(k: i32): void {
  const a = hV + 3 * k;
  toWorld(gw(a), gw(a + 1), gw(a + 2));
}
/** The world point (x, y, z) in the loaded hull's frame (raw, relative to its centre) into lX..lZ. */
function toLocal(x: i64, y: i64, z: i64): void {
  const dx = x - hcx, dy = y - hcy, dz = z - hcz;
  lX = q16(dx * r00 + dy * r01 + dz * r02);
  lY = q16(dx * r10 + dy * r11 + dz * r12);
  lZ = q16(dx * r20 + dy * r21 + dz * r22);
}
/** A local direction (Q16) of the loaded hull in world coordinates into wX..wZ (no translation). */
function dirToWorld(x: i64, y: i64, z: i64): void {
  wX = q16(x * r00 + y * r10 + z * r20);
  wY = q16(x * r01 + y * r11 + z * r21);
  wZ = q16(x * r02 + y * r12 + z * r22);
}

// ---- dispatch ----

/** Whether a pair goes to hullCollide: a dynamic hull is in it (box-contacts.ts isBoxPair routes it here). */
// @ts-ignore: decorator
@inline export function isHullPair(i: i32, j: i32): bool { return g32(P_SHAPE, i) == SHAPE_HULL || g32(P_SHAPE, j) == SHAPE_HULL; }

/**
 * Narrowphase of a pair with a hull (called by box-contacts.ts boxCollide): appends up to 4
 * contact points whose separation is below `limit` (raw m). i has the lower tag, j may be
 * static (a hull is never static).
 */
export function hullCollide(i: i32, j: i32, flags: i32, limit: i64): void {
  const si = g32(P_SHAPE, i), sj = g32(P_SHAPE, j);
  if (si == SHAPE_HULL && g32(P_KIND, j) == KIND_STATIC) {
    if (sj == SHAPE_BOX) polyPair(i, j, flags, limit);        // separating axes: the box's edges and corners count too
    else if (sj == SHAPE_PLANE || isGeometryShape(sj)) hullStatic(i, j, sj, limit);
    return;
  }
  if (si == SHAPE_HULL && (sj == SHAPE_SPHERE || sj == SHAPE_CAPSULE || sj == SHAPE_ROTATING_CAPSULE)) { hullSphere(i, j, true, flags, limit); return; }
  if (sj == SHAPE_HULL && (si == SHAPE_SPHERE || si == SHAPE_CAPSULE || si == SHAPE_ROTATING_CAPSULE)) { hullSphere(j, i, false, flags, limit); return; }
  // hull vs hull, hull vs dynamic box (either order): separating axes and a face manifold
  if ((si == SHAPE_HULL || si == SHAPE_BOX) && (sj == SHAPE_HULL || sj == SHAPE_BOX)) polyPair(i, j, flags, limit);
}

// ---- hull vs planes and terrain: vertex candidates, reduced to 4 ----

// Candidates: vertex index (i32) and separation (i64) per candidate, in the box scratch past
// box-contacts.ts's regions (the narrowphase and the solver's static points never overlap).
// @ts-ignore: decorator
@inline function candIdx(): usize { return P_BOX_SCRATCH + 2816; }
// @ts-ignore: decorator
@inline function candSep(): usize { return P_BOX_SCRATCH + 3072; }

// The result of vertexQuery: separation (raw) and normal I -> J (hull -> static, Q16 unit).
let qSep: i64 = 0, qNX: i64 = 0, qNY: i64 = 0, qNZ: i64 = 0;

/**
 * The separation of the world point (x, y, z) (a hull vertex) from static j of shape sj, and
 * the contact normal from the hull to it; false when beyond `limit` (terrain: searched down
 * to `depth` below the surface).
 */
function vertexQuery(j: i32, sj: i32, x: i64, y: i64, z: i64, limit: i64, depth: i64): bool {
  if (sj == SHAPE_PLANE) {
    const nx = g64(P_HX, j), ny = g64(P_HY, j), nz = g64(P_HZ, j);
    qSep = q16(nx * x + ny * y + nz * z) - g64(P_RADIUS, j);
    qNX = -nx; qNY = -ny; qNZ = -nz;
    return qSep < limit;
  }
  // heightfield or mesh: the nearest triangle point (terrain.ts), as box-contacts.ts boxTerrain
  if (terrainContacts(j, x, y, y, z, 0, limit + depth) == 0) return false;
  terrainContactAt(0);
  if (tSep >= limit) return false;
  qSep = tSep; qNX = tNX; qNY = tNY; qNZ = tNZ;         // terrain.ts's normal already points from the body into the ground
  return true;
}

/**
 * Hull i against static j (plane, heightfield or mesh): each vertex within reach is a
 * candidate, up to 4 are kept (reduceCandidates) and each becomes a contact midway between the
 * vertex and the static's surface.
 */
function hullStatic(i: i32, j: i32, sj: i32, limit: i64): void {
  // quick reject: the bounding sphere
  const r = g64(P_RADIUS, i) + limit;
  const px = g64(P_PX, i), py = g64(P_PY, i), pz = g64(P_PZ, i);
  if (sj == SHAPE_PLANE) {
    if (q16(g64(P_HX, j) * px + g64(P_HY, j) * py + g64(P_HZ, j) * pz) - g64(P_RADIUS, j) >= r) return;
  } else if (absI(px - g64(P_PX, j)) >= g64(P_HX, j) + r || absI(py - g64(P_PY, j)) >= g64(P_HY, j) + r || absI(pz - g64(P_PZ, j)) >= g64(P_HZ, j) + r) return;
  loadHull(i);
  // a vertex is looked for in terrain down to the hull's inner radius below the surface (a
  // vertex that went deeper than the margin within a tick still finds its triangle)
  const depth = hullWord(hullBlock(i), 8);
  let n = 0, deepest = -1;
  for (let k = 0; k < hNV; k++) {
    hullVertex(k);
    if (!vertexQuery(j, sj, wX, wY, wZ, limit, depth)) continue;
    store<i32>(candIdx() + (<usize>n << 2), k);
    store<i64>(candSep() + (<usize>n << 3), qSep);
    if (deepest < 0 || qSep < load<i64>(candSep() + (<usize>deepest << 3))) deepest = n;
    n++;
  }
  if (n == 0) return;
  // the reduction's plane: the deepest candidate's normal
  hullVertex(load<i32>(candIdx() + (<usize>deepest << 2)));
  vertexQuery(j, sj, wX, wY, wZ, limit, depth);
  reduceCandidates(n, qNX, qNY, qNZ);
  for (let a = 0; a < 4; a++) {
    const c = a == 0 ? keep0 : (a == 1 ? keep2 : (a == 2 ? keep1 : keep3));   // around the polygon: p0, p2, p1, p3
    if (c < 0) continue;
    hullVertex(load<i32>(candIdx() + (<usize>c << 2)));
    if (!vertexQuery(j, sj, wX, wY, wZ, limit, depth)) continue;
    const h = qSep >> 1;
    putContact(i, j, CF_J_STATIC, qNX, qNY, qNZ, qSep, wX + q16(qNX * h), wY + q16(qNY * h), wZ + q16(qNZ * h));
  }
}

// Kept candidates of reduceCandidates (-1 = none).
let keep0 = -1, keep1 = -1, keep2 = -1, keep3 = -1;
// World position of candidate c (its vertex), for the reduction.
let cX: i64 = 0, cY: i64 = 0, cZ: i64 = 0;
function candPos(c: i32): void {
  hullVertex(load<i32>(candIdx() + (<usize>c << 2)));
  cX = wX; cY = wY; cZ = wZ;
}
/** Twice the signed area along n of the triangle of candidates a, b, c (raw m^2 >> 16). */
function candArea(a: i32, b: i32, c: i32, nx: i64, ny: i64, nz: i64): i64 {
  candPos(a); const ax = cX, ay = cY, az = cZ;
  candPos(b); const ux = cX - ax, uy = cY - ay, uz = cZ - az;
  candPos(c); const vx = cX - ax, vy = cY - ay, vz = cZ - az;
  const x = q16(uy * vz - uz * vy), y = q16(uz * vx - ux * vz), z = q16(ux * vy - uy * vx);
  return q16(x * nx + y * ny + z * nz);
}

/** Positions closer than this are one point of a manifold (raw m, 1 mm; as box-contacts.ts). */
// @ts-ignore: decorator
@inline const SAME_POINT: i64 = 66;

/**
 * At most 4 of the n candidates into keep0..keep3: the deepest, the one farthest from it, the
 * one making the largest triangle with both, and the one adding the largest area on the other
 * side of their edge (Gregorius 2015; box-contacts.ts reduce, over vertex candidates). Ties
 * keep the lower candidate.
 */
function reduceCandidates(n: i32, nx: i64, ny: i64, nz: i64): void {
  keep0 = -1; keep1 = -1; keep2 = -1; keep3 = -1;
  let p0 = 0;
  for (let a = 1; a < n; a++) if (load<i64>(candSep() + (<usize>a << 3)) < load<i64>(candSep() + (<usize>p0 << 3))) p0 = a;
  keep0 = p0;
  if (n == 1) return;
  candPos(p0);
  const x0 = cX, y0 = cY, z0 = cZ;
  let p1 = -1, bd: i64 = SAME_POINT * SAME_POINT;
  for (let a = 0; a < n; a++) {
    candPos(a);
    const dx = cX - x0, dy = cY - y0, dz = cZ - z0;
    const d2 = dx * dx + dy * dy + dz * dz;
    if (d2 > bd) { bd = d2; p1 = a; }
  }
  if (p1 < 0) return;
  keep1 = p1;
  let p2 = -1, best: i64 = 0;
  for (let a = 0; a < n; a++) {
    const ar = absI(candArea(p0, p1, a, nx, ny, nz));
    if (ar > best) { best = ar; p2 = a; }
  }
  if (p2 < 0 || best <= SAME_POINT) return;
  keep2 = p2;
  const side: i64 = candArea(p0, p1, p2, nx, ny, nz) > 0 ? -1 : 1;
  let p3 = -1; best = 0;
  for (let a = 0; a < n; a++) {
    const ar = candArea(p0, p1, a, nx, ny, nz) * side;
    if (ar > best) { best = ar; p3 = a; }
  }
  if (p3 >= 0 && best > SAME_POINT) keep3 = p3;
}

// ---- hull vs sphere / upright capsule ----

/** Whether the local point (x, y, z) projects into face f of the loaded hull (inside or on every edge, seen along its normal). */
function inFace(f: i32, x: i64, y: i64, z: i64): bool {
  const nx = gw(hP + 4 * f), ny = gw(hP + 4 * f + 1), nz = gw(hP + 4 * f + 2);
  const fw = gw(hF + f);
  const first = <i32>(fw >> 16), count = <i32>(fw & 0xffff);
  for (let e = 0; e < count; e++) {
    const a = hV + 3 * <i32>gw(hI + first + e), b = hV + 3 * <i32>gw(hI + first + (e + 1 == count ? 0 : e + 1));
    const ex = gw(b) - gw(a), ey = gw(b + 1) - gw(a + 1), ez = gw(b + 2) - gw(a + 2);
    const px = x - gw(a), py = y - gw(a + 1), pz = z - gw(a + 2);
    // (e x p) . n >= 0: p is left of the edge (counter-clockwise about n)
    const cx = q16(ey * pz - ez * py), cy = q16(ez * px - ex * pz), cz = q16(ex * py - ey * px);
    if (q16(cx * nx + cy * ny + cz * nz) < 0) return false;
  }
  return true;
}

// The result of closestOnHull (the loaded hull's frame, raw): the closest hull point, the
// largest plane distance of the point (<= 0: inside) and that plane's face.
let cqX: i64 = 0, cqY: i64 = 0, cqZ: i64 = 0, cqM: i64 = 0, cqF = 0;

/**
 * The point of the loaded hull closest to the local point p (see the module comment): p itself
 * moved out through the least-penetrated face when inside, else the projection onto a face
 * whose plane p is outside of and whose polygon holds it, else the nearest edge point.
 */
function closestOnHull(px: i64, py: i64, pz: i64): void {
  let mf = 0, m: i64 = i64.MIN_VALUE;
  for (let f = 0; f < hNF; f++) {
    const a = hP + 4 * f;
    const d = q16(gw(a) * px + gw(a + 1) * py + gw(a + 2) * pz) - gw(a + 3);
    if (d > m) { m = d; mf = f; }
  }
  cqM = m; cqF = mf;
  if (m <= 0) {
    const a = hP + 4 * mf;
    cqX = px - q16(gw(a) * m); cqY = py - q16(gw(a + 1) * m); cqZ = pz - q16(gw(a + 2) * m);
    return;
  }
  let found = false, bd: i64 = i64.MAX_VALUE;
  let qx: i64 = 0, qy: i64 = 0, qz: i64 = 0;
  for (let f = 0; f < hNF; f++) {
    const a = hP + 4 * f;
    const d = q16(gw(a) * px + gw(a + 1) * py + gw(a + 2) * pz) - gw(a + 3);
    if (d <= 0 || d >= bd) continue;
    if (!inFace(f, px, py, pz)) continue;
    found = true; bd = d;
    qx = px - q16(gw(a) * d); qy = py - q16(gw(a + 1) * d); qz = pz - q16(gw(a + 2) * d);
  }
  if (!found) {
    let b2: i64 = i64.MAX_VALUE;
    for (let e = 0; e < hNE; e++) {
      const w = gw(hE + e);
      const a = hV + 3 * <i32>(w & 0xff), b = hV + 3 * <i32>((w >> 8) & 0xff);
      const ax = gw(a), ay = gw(a + 1), az = gw(a + 2);
      const ex = gw(b) - ax, ey = gw(b + 1) - ay, ez = gw(b + 2) - az;
      const ee = ex * ex + ey * ey + ez * ez;
      if (ee == 0) continue;
      const t = clampI(((px - ax) * ex + (py - ay) * ey + (pz - az) * ez) * ONE / ee, 0, ONE);   // Q16 along the edge
      const cx = ax + q16(ex * t), cy = ay + q16(ey * t), cz = az + q16(ez * t);
      const dx = px - cx, dy = py - cy, dz = pz - cz;
      const d2 = dx * dx + dy * dy + dz * dz;
      if (d2 < b2) { b2 = d2; qx = cx; qy = cy; qz = cz; }
    }
  }
  cqX = qx; cqY = qy; cqZ = qz;
}

/**
 * Hull h against sphere (or upright capsule) s: the closest point of the hull to the centre
 * (see the module comment), one contact. hIsI: the hull is I of the pair.
 */
function hullSphere(h: i32, s: i32, hIsI: bool, flags: i32, limit: i64): void {
  const rot = g32(P_SHAPE, s) == SHAPE_ROTATING_CAPSULE;
  // a rotating capsule: its radius is HX (RADIUS is its bounding sphere), the sphere at its core's point nearest the hull
  const r = rot ? g64(P_HX, s) : g64(P_RADIUS, s);
  let sx = g64(P_PX, s), sy = g64(P_PY, s), sz = g64(P_PZ, s);
  if (g32(P_SHAPE, s) == SHAPE_CAPSULE) sy = clampI(g64(P_PY, h), sy - g64(P_HY, s), sy + g64(P_HY, s));
  if (rot) {
    coreNearest(s, g64(P_PX, h), g64(P_PY, h), g64(P_PZ, h));
    sx = coreX; sy = coreY; sz = coreZ;
  }
  const reach = g64(P_RADIUS, h) + r + limit;
  if (absI(sx - g64(P_PX, h)) >= reach || absI(sy - g64(P_PY, h)) >= reach || absI(sz - g64(P_PZ, h)) >= reach) return;
  loadHull(h);
  toLocal(sx, sy, sz);
  const px = lX, py = lY, pz = lZ;
  closestOnHull(px, py, pz);
  if (cqM - r >= limit) return;
  let nx: i64, ny: i64, nz: i64, sep: i64;                                   // local: normal hull -> sphere
  const qx = cqX, qy = cqY, qz = cqZ;                                        // the hull point
  if (cqM <= 0) {
    // inside: out through the least-penetrated face
    nx = gw(hP + 4 * cqF); ny = gw(hP + 4 * cqF + 1); nz = gw(hP + 4 * cqF + 2);
    sep = cqM - r;
  } else {
    const vx = px - qx, vy = py - qy, vz = pz - qz;
    const dist = sqrtI(vx * vx + vy * vy + vz * vz);
    if (dist == 0) {
      nx = gw(hP + 4 * cqF); ny = gw(hP + 4 * cqF + 1); nz = gw(hP + 4 * cqF + 2);
    } else {
      nx = div(vx, dist); ny = div(vy, dist); nz = div(vz, dist);
    }
    sep = dist - r;
  }
  if (sep >= limit) return;
  // to world: the normal and the point midway between the hull point and the sphere's surface
  dirToWorld(nx, ny, nz);
  const wnx = wX, wny = wY, wnz = wZ;
  toWorld(qx, qy, qz);
  const hs = sep >> 1;
  const cx = wX + q16(wnx * hs), cy = wY + q16(wny * hs), cz = wZ + q16(wnz * hs);
  if (hIsI) putContact(h, s, flags, wnx, wny, wnz, sep, cx, cy, cz);
  else putContact(s, h, flags, -wnx, -wny, -wnz, sep, cx, cy, cz);
}

// ---- continuous collision (solver.ts) ----

/** The largest sphere about hull s's centre inside it (raw m): its CCD sweeps this sphere. */
// @ts-ignore: decorator
@inline export function hullInnerRadius(s: i32): i64 { return hullWord(hullBlock(s), 8); }

/**
 * Hull s's extent along the world direction m (raw, not unit; length `len` raw > 0): the
 * largest v . m / |m| over its vertices, the axes those of the tick's inertia frame (given by
 * the caller as axis(k, c) = ak_c, Q16). For the CCD's leading face (solver.ts).
 */
export function hullExtentAlong(s: i32, mx: i64, my: i64, mz: i64, len: i64,
  a00: i64, a01: i64, a02: i64, a10: i64, a11: i64, a12: i64, a20: i64, a21: i64, a22: i64): i64 {
  // m in the hull's frame
  const lx = q16(mx * a00 + my * a01 + mz * a02), ly = q16(mx * a10 + my * a11 + mz * a12), lz = q16(mx * a20 + my * a21 + mz * a22);
  const g = hullBlock(s), nv = <i32>gw(g + 1), v = g + HULL_HEADER_WORDS;
  let best: i64 = 0;
  for (let k = 0; k < nv; k++) {
    const d = gw(v + 3 * k) * lx + gw(v + 3 * k + 1) * ly + gw(v + 3 * k + 2) * lz;
    if (d > best) best = d;
  }
  return len > 0 ? best / len : 0;
}

// ---- hull vs box (static or dynamic) or hull: separating axes and a clipped face manifold ----
//
// Both bodies are convex polytopes P0 = i (A) and P1 = j (B), a hull (its block) or a box
// (8 vertices, 6 faces, 12 edges generated from its half extents), and everything is computed
// in A's frame: B's vertices and normals turned by R = R_A^T R_B and moved by t = R_A^T
// (c_B - c_A). The axes (D. Gregorius, "The Separating Axis Test between Convex Polyhedra",
// GDC 2013): every face normal of A and of B (the other body's support along it), then the
// cross products of the edge pairs that form a face of the Minkowski difference (the arcs of
// the two edges on the Gauss map cross: Gregorius's IsMinkowskiFace; the other pairs cannot
// separate more than a face), oriented away from A's centre. Then, as box-contacts.ts boxBox:
// an edge axis clearly best gives one point between the two edges; else the face of the best
// face axis is the reference, the other body's face most anti-parallel to it is clipped
// against the reference face's side planes (Sutherland-Hodgman) and the points within reach
// reduced to 4.

// Polytope p's box half extents (0 when p is a hull), its hull block sections.
let pBox0 = false, pBox1 = false;
let pEx0: i64 = 0, pEy0: i64 = 0, pEz0: i64 = 0, pEx1: i64 = 0, pEy1: i64 = 0, pEz1: i64 = 0;
let pV0 = 0, pP0 = 0, pF0 = 0, pI0 = 0, pE0 = 0, pNV0 = 0, pNF0 = 0, pNE0 = 0;
let pV1 = 0, pP1 = 0, pF1 = 0, pI1 = 0, pE1 = 0, pNV1 = 0, pNF1 = 0, pNE1 = 0;
// B's frame in A's: rotation (mRC = component R of B's axis C in A's frame, Q16) and centre (raw)
let m00: i64 = 0, m01: i64 = 0, m02: i64 = 0, m10: i64 = 0, m11: i64 = 0, m12: i64 = 0, m20: i64 = 0, m21: i64 = 0, m22: i64 = 0;
let tX: i64 = 0, tY: i64 = 0, tZ: i64 = 0;

function loadPoly(p: i32, s: i32): void {
  const box = g32(P_SHAPE, s) != SHAPE_HULL;
  let nv = 8, nf = 6, ne = 12, v = 0, pl = 0, f = 0, ix = 0, e = 0;
  if (!box) {
    const g = hullBlock(s);
    nv = <i32>gw(g + 1); nf = <i32>gw(g + 2); ne = <i32>gw(g + 3);
    v = g + HULL_HEADER_WORDS; pl = v + 3 * nv; f = pl + 4 * nf; ix = f + nf; e = ix + 2 * ne;
  }
  if (p == 0) {
    pBox0 = box; pEx0 = g64(P_HX, s); pEy0 = g64(P_HY, s); pEz0 = g64(P_HZ, s);
    pV0 = v; pP0 = pl; pF0 = f; pI0 = ix; pE0 = e; pNV0 = nv; pNF0 = nf; pNE0 = ne;
  } else {
    pBox1 = box; pEx1 = g64(P_HX, s); pEy1 = g64(P_HY, s); pEz1 = g64(P_HZ, s);
    pV1 = v; pP1 = pl; pF1 = f; pI1 = ix; pE1 = e; pNV1 = nv; pNF1 = nf; pNE1 = ne;
  }
}

// @ts-ignore: decorator
@inline function boxExt(p: i32, a: i32): i64 { return p == 0 ? (a == 0 ? pEx0 : (a == 1 ? pEy0 : pEz0)) : (a == 0 ? pEx1 : (a == 1 ? pEy1 : pEz1)); }
// @ts-ignore: decorator
@inline function isBoxP(p: i32): bool { return p == 0 ? pBox0 : pBox1; }
// @ts-ignore: decorator
@inline function numV(p: i32): i32 { return p == 0 ? pNV0 : pNV1; }
// @ts-ignore: decorator
@inline function numF(p: i32): i32 { return p == 0 ? pNF0 : pNF1; }
// @ts-ignore: decorator
@inline function numE(p: i32): i32 { return p == 0 ? pNE0 : pNE1; }

// Results of the polytope accessors (own frame: raw / Q16).
let vX: i64 = 0, vY: i64 = 0, vZ: i64 = 0;
let nX: i64 = 0, nY: i64 = 0, nZ: i64 = 0, nD: i64 = 0;
let eA = 0, eB = 0, eF1 = 0, eF2 = 0;

/** Vertex k of polytope p in its own frame into vX..vZ (a box's vertex k: bit a set = + along axis a). */
function ownVertex(p: i32, k: i32): void {
  if (isBoxP(p)) {
    vX = (k & 1) != 0 ? boxExt(p, 0) : -boxExt(p, 0);
    vY = (k & 2) != 0 ? boxExt(p, 1) : -boxExt(p, 1);
    vZ = (k & 4) != 0 ? boxExt(p, 2) : -boxExt(p, 2);
    return;
  }
  const a = (p == 0 ? pV0 : pV1) + 3 * k;
  vX = gw(a); vY = gw(a + 1); vZ = gw(a + 2);
}
/** Face f's plane of polytope p in its own frame into nX..nZ (Q16), nD (raw). Box face f: axis f >> 1, + when f & 1. */
function ownPlane(p: i32, f: i32): void {
  if (isBoxP(p)) {
    const a = f >> 1, s: i64 = (f & 1) != 0 ? ONE : -ONE;
    nX = a == 0 ? s : 0; nY = a == 1 ? s : 0; nZ = a == 2 ? s : 0; nD = boxExt(p, a);
    return;
  }
  const a = (p == 0 ? pP0 : pP1) + 4 * f;
  nX = gw(a); nY = gw(a + 1); nZ = gw(a + 2); nD = gw(a + 3);
}
/** Corners of face f of polytope p. */
function faceCount(p: i32, f: i32): i32 {
  if (isBoxP(p)) return 4;
  return <i32>(gw((p == 0 ? pF0 : pF1) + f) & 0xffff);
}
/**
 * Corner c of face f of polytope p (counter-clockwise seen from outside). A box's face on
 * axis a, sign s: with (u, v) = (a + 1, a + 2) mod 3 (so e_u x e_v = e_a) the corners
 * (-,-), (+,-), (+,+), (-,+) in (u, v), reversed for s < 0.
 */
function faceCorner(p: i32, f: i32, c: i32): i32 {
  if (isBoxP(p)) {
    const a = f >> 1, pos = (f & 1) != 0;
    const q = pos ? c : 3 - c;
    const su = q == 1 || q == 2, sv = q >= 2;
    const u = (a + 1) % 3, v = (a + 2) % 3;
    return (pos ? (1 << a) : 0) | (su ? (1 << u) : 0) | (sv ? (1 << v) : 0);
  }
  const fw = gw((p == 0 ? pF0 : pF1) + f);
  return <i32>gw((p == 0 ? pI0 : pI1) + <i32>(fw >> 16) + c);
}
/** Edge e of polytope p: its vertices eA, eB and its two faces eF1, eF2. A box's edge along axis a = e >> 2, the other two signs in e & 3. */
function ownEdge(p: i32, e: i32): void {
  if (isBoxP(p)) {
    const a = e >> 2, u = (a + 1) % 3, v = (a + 2) % 3;
    const su = (e & 1) != 0, sv = (e & 2) != 0;
    const base = (su ? (1 << u) : 0) | (sv ? (1 << v) : 0);
    eA = base; eB = base | (1 << a);
    eF1 = 2 * u + (su ? 1 : 0); eF2 = 2 * v + (sv ? 1 : 0);
    return;
  }
  const w = gw((p == 0 ? pE0 : pE1) + e);
  eA = <i32>(w & 0xff); eB = <i32>((w >> 8) & 0xff); eF1 = <i32>((w >> 16) & 0xff); eF2 = <i32>((w >> 24) & 0xff);
}

/** Vertex k of polytope p in A's frame into vX..vZ. */
function vertexA(p: i32, k: i32): void {
  ownVertex(p, k);
  if (p == 0) return;
  const x = vX, y = vY, z = vZ;
  vX = tX + q16(m00 * x + m01 * y + m02 * z);
  vY = tY + q16(m10 * x + m11 * y + m12 * z);
  vZ = tZ + q16(m20 * x + m21 * y + m22 * z);
}
/** Face f's plane of polytope p in A's frame into nX..nZ, nD. */
function planeA(p: i32, f: i32): void {
  ownPlane(p, f);
  if (p == 0) return;
  const x = nX, y = nY, z = nZ;
  nX = q16(m00 * x + m01 * y + m02 * z);
  nY = q16(m10 * x + m11 * y + m12 * z);
  nZ = q16(m20 * x + m21 * y + m22 * z);
  nD += q16(nX * tX + nY * tY + nZ * tZ);
}

/** A face axis clearly beats an edge axis unless the edge separates by this much more (raw m, 5 mm; box-contacts.ts EDGE_BIAS). */
// @ts-ignore: decorator
@inline const EDGE_BIAS: i64 = 328;
// @ts-ignore: decorator
@inline const FACE_BIAS: i64 = 66;
/** Edge pairs closer to parallel than sin = 1/64 have no usable cross product (box-contacts.ts PARALLEL). */
// @ts-ignore: decorator
@inline const PARALLEL: i64 = 1024;

// Scratch of polyPair's axis loops (box scratch, free during the narrowphase; the clipping
// buffers below reuse it afterwards): B's vertices and face normals in A's frame (3 i32 each,
// up to 64 and 124), the side of each of B's faces for the current edge of A (i8).
// @ts-ignore: decorator
@inline function bVerts(): usize { return P_BOX_SCRATCH + 384; }
// @ts-ignore: decorator
@inline function bNormals(): usize { return P_BOX_SCRATCH + 1152; }
// @ts-ignore: decorator
@inline function bSides(): usize { return P_BOX_SCRATCH + 2640; }
// 1 per edge of B within A's bounding sphere plus the reach (u8, up to 186)
// @ts-ignore: decorator
@inline function bNear(): usize { return P_BOX_SCRATCH + 2768; }

/** Whether the segment (a, b) comes within r of the point c (raw; closest point of a segment: Ericson 5.1.2). */
function segNear(ax: i64, ay: i64, az: i64, bx: i64, by: i64, bz: i64, cx: i64, cy: i64, cz: i64, r: i64): bool {
  const ex = bx - ax, ey = by - ay, ez = bz - az;
  const ee = ex * ex + ey * ey + ez * ez;
  let px = cx - ax, py = cy - ay, pz = cz - az;
  if (ee > 0) {
    const t = clampI(((px * ex + py * ey + pz * ez) >> 16) * ONE / (ee >> 16 > 0 ? ee >> 16 : 1), 0, ONE);
    px -= q16(ex * t); py -= q16(ey * t); pz -= q16(ez * t);
  }
  return px * px + py * py + pz * pz <= r * r;
}

/** Bounding-sphere radius of static box j (its RADIUS is 0): |half extents|, rounded up. */
function boxRadius(j: i32): i64 {
  const x = g64(P_HX, j), y = g64(P_HY, j), z = g64(P_HZ, j);
  return sqrtI(x * x + y * y + z * z) + 2;
}

/** Hull or box i (A) against hull or box j (B), at least one a hull, both moving or j a static box: see above. */
function polyPair(i: i32, j: i32, flags: i32, limit: i64): void {
  const reach = g64(P_RADIUS, i) + (g32(P_KIND, j) == KIND_STATIC ? 0 : g64(P_RADIUS, j)) + limit;
  const dx = g64(P_PX, j) - g64(P_PX, i), dy = g64(P_PY, j) - g64(P_PY, i), dz = g64(P_PZ, j) - g64(P_PZ, i);
  if (g32(P_KIND, j) == KIND_STATIC) {
    if (absI(dx) >= g64(P_HX, j) + reach || absI(dy) >= g64(P_HY, j) + reach || absI(dz) >= g64(P_HZ, j) + reach) return;
  } else if (dx * dx + dy * dy + dz * dz >= reach * reach) return;
  // B's axes in world (static boxes: axis-aligned), then A's (loadHull keeps A's in r..)
  let b00: i64 = ONE, b01: i64 = 0, b02: i64 = 0, b10: i64 = 0, b11: i64 = ONE, b12: i64 = 0, b20: i64 = 0, b21: i64 = 0, b22: i64 = ONE;
  if (g32(P_KIND, j) != KIND_STATIC) {
    boxAxesOf(j);
    b00 = boxAxis(0, 0); b01 = boxAxis(0, 1); b02 = boxAxis(0, 2);
    b10 = boxAxis(1, 0); b11 = boxAxis(1, 1); b12 = boxAxis(1, 2);
    b20 = boxAxis(2, 0); b21 = boxAxis(2, 1); b22 = boxAxis(2, 2);
  }
  boxAxesOf(i);
  r00 = boxAxis(0, 0); r01 = boxAxis(0, 1); r02 = boxAxis(0, 2);
  r10 = boxAxis(1, 0); r11 = boxAxis(1, 1); r12 = boxAxis(1, 2);
  r20 = boxAxis(2, 0); r21 = boxAxis(2, 1); r22 = boxAxis(2, 2);
  hcx = g64(P_PX, i); hcy = g64(P_PY, i); hcz = g64(P_PZ, i);
  loadPoly(0, i); loadPoly(1, j);
  // R = R_A^T R_B: row r (A's axis r) . column c (B's axis c)
  m00 = q16(r00 * b00 + r01 * b01 + r02 * b02); m01 = q16(r00 * b10 + r01 * b11 + r02 * b12); m02 = q16(r00 * b20 + r01 * b21 + r02 * b22);
  m10 = q16(r10 * b00 + r11 * b01 + r12 * b02); m11 = q16(r10 * b10 + r11 * b11 + r12 * b12); m12 = q16(r10 * b20 + r11 * b21 + r12 * b22);
  m20 = q16(r20 * b00 + r21 * b01 + r22 * b02); m21 = q16(r20 * b10 + r21 * b11 + r22 * b12); m22 = q16(r20 * b20 + r21 * b21 + r22 * b22);
  toLocal(g64(P_PX, j), g64(P_PY, j), g64(P_PZ, j));
  tX = lX; tY = lY; tZ = lZ;
  // B's vertices and face normals in A's frame, once (i32: coordinates relative to A's centre
  // within 2^31 raw, unit normals Q16), for the axis loops below
  const nvB = numV(1), nfB = numF(1), nvA = numV(0), nfA = numF(0);
  for (let k = 0; k < nvB; k++) {
    vertexA(1, k);
    const at = bVerts() + <usize>(12 * k);
    store<i32>(at, <i32>vX); store<i32>(at, <i32>vY, 4); store<i32>(at, <i32>vZ, 8);
  }
  for (let f = 0; f < nfB; f++) {
    planeA(1, f);
    const at = bNormals() + <usize>(12 * f);
    store<i32>(at, <i32>nX); store<i32>(at, <i32>nY, 4); store<i32>(at, <i32>nZ, 8);
  }
  // face axes of A: B's least extent along n, minus A's plane offset
  let sA: i64 = i64.MIN_VALUE, fA = 0;
  for (let f = 0; f < nfA; f++) {
    ownPlane(0, f);
    const x = nX, y = nY, z = nZ;
    let m: i64 = i64.MAX_VALUE;
    for (let k = 0; k < nvB; k++) {
      const at = bVerts() + <usize>(12 * k);
      const d = q16(x * <i64>load<i32>(at) + y * <i64>load<i32>(at, 4) + z * <i64>load<i32>(at, 8));
      if (d < m) m = d;
    }
    const s = m - nD;
    if (s >= limit) return;
    if (s > sA) { sA = s; fA = f; }
  }
  // face axes of B: A's least extent along B's normal, minus B's offset in A's frame
  let sB: i64 = i64.MIN_VALUE, fB = 0;
  for (let f = 0; f < nfB; f++) {
    planeA(1, f);
    const x = nX, y = nY, z = nZ, d = nD;
    let m: i64 = i64.MAX_VALUE;
    for (let k = 0; k < nvA; k++) {
      ownVertex(0, k);
      const e = q16(x * vX + y * vY + z * vZ);
      if (e < m) m = e;
    }
    const s = m - d;
    if (s >= limit) return;
    if (s > sB) { sB = s; fB = f; }
  }
  // edge axes: pairs whose arcs cross on the Gauss map (Gregorius's IsMinkowskiFace with B's
  // normals negated: c = -n_B1, d = -n_B2). Its first condition, c and d on opposite sides of
  // the plane of A's arc (normal b x a), needs only the side of each of B's faces: computed
  // once per edge of A, so most pairs are rejected by two table reads.
  // Only edges within the other body's bounding sphere (plus the reach) can be the witnesses of
  // an edge axis that separates less than `limit` or penetrates (their closest points lie on or
  // in the other body), so the others are skipped: with the Gauss-map table, this keeps the
  // edge loop to the few edges near the contact instead of all E_A x E_B pairs.
  let sE: i64 = i64.MIN_VALUE, eI = -1, eJ = -1, lx: i64 = 0, ly: i64 = 0, lz: i64 = 0;
  const neA = numE(0), neB = numE(1);
  const rA = g64(P_RADIUS, i) + limit, rB = (g32(P_KIND, j) == KIND_STATIC ? boxRadius(j) : g64(P_RADIUS, j)) + limit;
  for (let e1 = 0; e1 < neB; e1++) {
    ownEdge(1, e1);
    const q0 = bVerts() + <usize>(12 * eA), q1 = bVerts() + <usize>(12 * eB);
    store<u8>(bNear() + <usize>e1, segNear(<i64>load<i32>(q0), <i64>load<i32>(q0, 4), <i64>load<i32>(q0, 8),
      <i64>load<i32>(q1), <i64>load<i32>(q1, 4), <i64>load<i32>(q1, 8), 0, 0, 0, rA) ? 1 : 0);
  }
  for (let e0 = 0; e0 < neA; e0++) {
    ownEdge(0, e0);
    const a0 = eA, a1 = eB;
    ownVertex(0, a0); const n0x = vX, n0y = vY, n0z = vZ;
    ownVertex(0, a1);
    if (!segNear(n0x, n0y, n0z, vX, vY, vZ, tX, tY, tZ, rB)) continue;
    ownPlane(0, eF1); const ax = nX, ay = nY, az = nZ;
    ownPlane(0, eF2); const bx = nX, by = nY, bz = nZ;
    // b x a (Q16: the edge's direction up to sign)
    const bax = q16(by * az - bz * ay), bay = q16(bz * ax - bx * az), baz = q16(bx * ay - by * ax);
    for (let f = 0; f < nfB; f++) {
      const at = bNormals() + <usize>(12 * f);
      store<i8>(bSides() + <usize>f, <i8>sgnP(-q16(<i64>load<i32>(at) * bax + <i64>load<i32>(at, 4) * bay + <i64>load<i32>(at, 8) * baz)));
    }
    ownVertex(0, a0); const p0x = vX, p0y = vY, p0z = vZ;
    ownVertex(0, a1); const ux = vX - p0x, uy = vY - p0y, uz = vZ - p0z;
    for (let e1 = 0; e1 < neB; e1++) {
      if (load<u8>(bNear() + <usize>e1) == 0) continue;
      ownEdge(1, e1);
      const sc = <i32>load<i8>(bSides() + <usize>eF1), sd = <i32>load<i8>(bSides() + <usize>eF2);
      if (sc * sd >= 0) continue;                          // CBA DBA < 0 fails
      const c0 = eA, c1 = eB;
      const fc = bNormals() + <usize>(12 * eF1), fd = bNormals() + <usize>(12 * eF2);
      const cx = -<i64>load<i32>(fc), cy = -<i64>load<i32>(fc, 4), cz = -<i64>load<i32>(fc, 8);
      const ddx = -<i64>load<i32>(fd), ddy = -<i64>load<i32>(fd, 4), ddz = -<i64>load<i32>(fd, 8);
      const dcx = q16(ddy * cz - ddz * cy), dcy = q16(ddz * cx - ddx * cz), dcz = q16(ddx * cy - ddy * cx);
      const adc = q16(ax * dcx + ay * dcy + az * dcz), bdc = q16(bx * dcx + by * dcy + bz * dcz);
      if (!(sgnP(adc) * sgnP(bdc) < 0 && sc * sgnP(bdc) > 0)) continue;
      const q0 = bVerts() + <usize>(12 * c0), q1 = bVerts() + <usize>(12 * c1);
      const q0x = <i64>load<i32>(q0), q0y = <i64>load<i32>(q0, 4), q0z = <i64>load<i32>(q0, 8);
      const wx = <i64>load<i32>(q1) - q0x, wy = <i64>load<i32>(q1, 4) - q0y, wz = <i64>load<i32>(q1, 8) - q0z;
      // axis u x w, unit, pointing away from A's centre (the origin of this frame)
      const lu = sqrtI(ux * ux + uy * uy + uz * uz), lw = sqrtI(wx * wx + wy * wy + wz * wz);
      if (lu == 0 || lw == 0) continue;
      const dux = div(ux, lu), duy = div(uy, lu), duz = div(uz, lu);
      const dwx = div(wx, lw), dwy = div(wy, lw), dwz = div(wz, lw);
      let kx = q16(duy * dwz - duz * dwy), ky = q16(duz * dwx - dux * dwz), kz = q16(dux * dwy - duy * dwx);
      const kl = sqrtI(kx * kx + ky * ky + kz * kz);
      if (kl < PARALLEL) continue;
      kx = div(kx, kl); ky = div(ky, kl); kz = div(kz, kl);
      if (q16(kx * p0x + ky * p0y + kz * p0z) < 0) { kx = -kx; ky = -ky; kz = -kz; }
      const s = q16(kx * (q0x - p0x) + ky * (q0y - p0y) + kz * (q0z - p0z));
      if (s >= limit) return;
      if (s > sE) { sE = s; eI = e0; eJ = e1; lx = kx; ly = ky; lz = kz; }
    }
  }
  const faceBest = sA > sB ? sA : sB;
  if (eI >= 0 && sE > faceBest + EDGE_BIAS) { polyEdgeContact(i, j, flags, eI, eJ, lx, ly, lz, limit); return; }
  if (sB > sA + FACE_BIAS) polyFaceContact(i, j, flags, 1, fB, limit);
  else polyFaceContact(i, j, flags, 0, fA, limit);
}

// @ts-ignore: decorator
@inline function sgnP(x: i64): i32 { return x > 0 ? 1 : (x < 0 ? -1 : 0); }

/** One point between edge eI of A and edge eJ of B, closest points of the two segments (Ericson 5.1.9), along axis L (A's frame, A -> B). */
function polyEdgeContact(i: i32, j: i32, flags: i32, eI: i32, eJ: i32, lx: i64, ly: i64, lz: i64, limit: i64): void {
  ownEdge(0, eI);
  vertexA(0, eA); const p1x = vX, p1y = vY, p1z = vZ;
  vertexA(0, eB); const d1x = vX - p1x, d1y = vY - p1y, d1z = vZ - p1z;
  ownEdge(1, eJ);
  vertexA(1, eA); const p2x = vX, p2y = vY, p2z = vZ;
  vertexA(1, eB); const d2x = vX - p2x, d2y = vY - p2y, d2z = vZ - p2z;
  const rx = p1x - p2x, ry = p1y - p2y, rz = p1z - p2z;
  // squared lengths and dots at Q16 m^2 (raw^2 >> 16), so the products below fit an i64
  const a = (d1x * d1x + d1y * d1y + d1z * d1z) >> 16, e = (d2x * d2x + d2y * d2y + d2z * d2z) >> 16;
  if (a <= 0 || e <= 0) return;
  const f = (d2x * rx + d2y * ry + d2z * rz) >> 16, c = (d1x * rx + d1y * ry + d1z * rz) >> 16, b = (d1x * d2x + d1y * d2y + d1z * d2z) >> 16;
  const den = (a * e - b * b) >> 16;                    // Q16 m^4
  // s, t: Q16 fractions along the two edges
  let s: i64 = den > 0 ? clampI((b * f - c * e) / den, 0, ONE) : 0;
  let t: i64 = (b * s + f * ONE) / e;
  if (t < 0) { t = 0; s = clampI(-c * ONE / a, 0, ONE); }
  else if (t > ONE) { t = ONE; s = clampI((b - c) * ONE / a, 0, ONE); }
  const ax = p1x + q16(d1x * s), ay = p1y + q16(d1y * s), az = p1z + q16(d1z * s);
  const bx = p2x + q16(d2x * t), by = p2y + q16(d2y * t), bz = p2z + q16(d2z * t);
  const sep = q16(lx * (bx - ax) + ly * (by - ay) + lz * (bz - az));
  if (sep >= limit) return;
  dirToWorld(lx, ly, lz);
  const nwx = wX, nwy = wY, nwz = wZ;
  toWorld((ax + bx) >> 1, (ay + by) >> 1, (az + bz) >> 1);
  putContact(i, j, flags, nwx, nwy, nwz, sep, wX, wY, wZ);
}

// Clipping buffers (A's frame, 3 i64 per point, up to CLIP_MAX points) and depths.
// @ts-ignore: decorator
@inline const CLIP_MAX: i32 = 32;
// @ts-ignore: decorator
@inline function clipBufA(): usize { return P_BOX_SCRATCH + 384; }
// @ts-ignore: decorator
@inline function clipBufB(): usize { return P_BOX_SCRATCH + 1152; }
// @ts-ignore: decorator
@inline function clipDepth(): usize { return P_BOX_SCRATCH + 1920; }
// @ts-ignore: decorator
@inline function cpt(buf: usize, n: i32, c: i32): i64 { return load<i64>(buf + ((<usize>(3 * n + c)) << 3)); }
// @ts-ignore: decorator
@inline function scpt(buf: usize, n: i32, c: i32, v: i64): void { store<i64>(buf + ((<usize>(3 * n + c)) << 3), v); }

/**
 * Face manifold: face f of polytope rf is the reference (its outward normal n points at the
 * other body), the other's face most anti-parallel to n is clipped against the reference
 * polygon's side planes (edge x n, outward for a counter-clockwise polygon), the points
 * below the reference plane plus `limit` kept and reduced to 4.
 */
function polyFaceContact(i: i32, j: i32, flags: i32, rf: i32, f: i32, limit: i64): void {
  const inc = 1 - rf;
  planeA(rf, f);
  const nx = nX, ny = nY, nz = nZ, nd = nD;
  let fi = 0, best: i64 = i64.MAX_VALUE;
  for (let g = 0; g < numF(inc); g++) {
    planeA(inc, g);
    const d = q16(nX * nx + nY * ny + nZ * nz);
    if (d < best) { best = d; fi = g; }
  }
  let n = faceCount(inc, fi);
  if (n > CLIP_MAX) n = CLIP_MAX;
  for (let c = 0; c < n; c++) {
    vertexA(inc, faceCorner(inc, fi, c));
    scpt(clipBufA(), c, 0, vX); scpt(clipBufA(), c, 1, vY); scpt(clipBufA(), c, 2, vZ);
  }
  let src = clipBufA(), dst = clipBufB();
  const m = faceCount(rf, f);
  for (let e = 0; e < m && n > 0; e++) {
    vertexA(rf, faceCorner(rf, f, e)); const ax = vX, ay = vY, az = vZ;
    vertexA(rf, faceCorner(rf, f, e + 1 == m ? 0 : e + 1));
    const ex = vX - ax, ey = vY - ay, ez = vZ - az;
    // side plane normal (edge x n), not unit: distances are scaled by |edge|, signs are what count
    const px = q16(ey * nz - ez * ny), py = q16(ez * nx - ex * nz), pz = q16(ex * ny - ey * nx);
    const off = px * ax + py * ay + pz * az;
    let out = 0;
    for (let a = 0; a < n; a++) {
      const b = a + 1 == n ? 0 : a + 1;
      const da = px * cpt(src, a, 0) + py * cpt(src, a, 1) + pz * cpt(src, a, 2) - off;
      const db = px * cpt(src, b, 0) + py * cpt(src, b, 1) + pz * cpt(src, b, 2) - off;
      if (da <= 0 && out < CLIP_MAX) { for (let c = 0; c < 3; c++) scpt(dst, out, c, cpt(src, a, c)); out++; }
      if (((da < 0 && db > 0) || (da > 0 && db < 0)) && out < CLIP_MAX) {
        const t = div(da >> 16, (da - db) >> 16 != 0 ? (da - db) >> 16 : (da > db ? 1 : -1));
        for (let c = 0; c < 3; c++) scpt(dst, out, c, cpt(src, a, c) + q16((cpt(src, b, c) - cpt(src, a, c)) * t));
        out++;
      }
    }
    n = out;
    const tmp = src; src = dst; dst = tmp;
  }
  // depths below the reference plane; keep those within reach (into dst, compacted)
  let kept = 0;
  for (let a = 0; a < n; a++) {
    const d = q16(nx * cpt(src, a, 0) + ny * cpt(src, a, 1) + nz * cpt(src, a, 2)) - nd;
    if (d >= limit) continue;
    for (let c = 0; c < 3; c++) scpt(dst, kept, c, cpt(src, a, c));
    store<i64>(clipDepth() + (<usize>kept << 3), d);
    kept++;
  }
  if (kept == 0) return;
  reducePoints(dst, kept, nx, ny, nz);
  // normal I -> J: the reference normal points from the reference body to the incident one
  const fl: i64 = rf == 0 ? 1 : -1;
  dirToWorld(fl * nx, fl * ny, fl * nz);
  const nwx = wX, nwy = wY, nwz = wZ;
  for (let a = 0; a < 4; a++) {
    const idx = a == 0 ? keep0 : (a == 1 ? keep2 : (a == 2 ? keep1 : keep3));   // around the polygon: p0, p2, p1, p3
    if (idx < 0) continue;
    const d = load<i64>(clipDepth() + (<usize>idx << 3)), h = d >> 1;
    toWorld(cpt(dst, idx, 0) - q16(nx * h), cpt(dst, idx, 1) - q16(ny * h), cpt(dst, idx, 2) - q16(nz * h));
    putContact(i, j, flags, nwx, nwy, nwz, d, wX, wY, wZ);
  }
}

/** reduceCandidates over the n points of buffer buf (depths at clipDepth()), into keep0..keep3. */
function reducePoints(buf: usize, n: i32, nx: i64, ny: i64, nz: i64): void {
  keep0 = -1; keep1 = -1; keep2 = -1; keep3 = -1;
  let p0 = 0;
  for (let a = 1; a < n; a++) if (load<i64>(clipDepth() + (<usize>a << 3)) < load<i64>(clipDepth() + (<usize>p0 << 3))) p0 = a;
  keep0 = p0;
  if (n == 1) return;
  let p1 = -1, bd: i64 = SAME_POINT * SAME_POINT;
  for (let a = 0; a < n; a++) {
    const dx = cpt(buf, a, 0) - cpt(buf, p0, 0), dy = cpt(buf, a, 1) - cpt(buf, p0, 1), dz = cpt(buf, a, 2) - cpt(buf, p0, 2);
    const d2 = dx * dx + dy * dy + dz * dz;
    if (d2 > bd) { bd = d2; p1 = a; }
  }
  if (p1 < 0) return;
  keep1 = p1;
  let p2 = -1, best: i64 = 0;
  for (let a = 0; a < n; a++) {
    const ar = absI(ptArea(buf, p0, p1, a, nx, ny, nz));
    if (ar > best) { best = ar; p2 = a; }
  }
  if (p2 < 0 || best <= SAME_POINT) return;
  keep2 = p2;
  const side: i64 = ptArea(buf, p0, p1, p2, nx, ny, nz) > 0 ? -1 : 1;
  let p3 = -1; best = 0;
  for (let a = 0; a < n; a++) {
    const ar = ptArea(buf, p0, p1, a, nx, ny, nz) * side;
    if (ar > best) { best = ar; p3 = a; }
  }
  if (p3 >= 0 && best > SAME_POINT) keep3 = p3;
}

function ptArea(buf: usize, a: i32, b: i32, c: i32, nx: i64, ny: i64, nz: i64): i64 {
  const ux = cpt(buf, b, 0) - cpt(buf, a, 0), uy = cpt(buf, b, 1) - cpt(buf, a, 1), uz = cpt(buf, b, 2) - cpt(buf, a, 2);
  const vx = cpt(buf, c, 0) - cpt(buf, a, 0), vy = cpt(buf, c, 1) - cpt(buf, a, 1), vz = cpt(buf, c, 2) - cpt(buf, a, 2);
  const x = q16(uy * vz - uz * vy), y = q16(uz * vx - ux * vz), z = q16(ux * vy - uy * vx);
  return q16(x * nx + y * ny + z * nz);
}

// ---- queries (query.ts) ----

/**
 * Ray against hull i: origin (raw world) and unit direction (Q16) into the hull's frame (a
 * rotation keeps lengths, so t is the world distance), then clipped against every face plane
 * (Cyrus-Beck: a plane the ray enters through raises the entry t, one it leaves through lowers
 * the exit t). Returns the entry t (raw m), 0 if the origin is inside, or -1 (no hit within
 * maxT). Uses the box scratch: not during a step.
 */
export function hullRay(i: i32, ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, maxT: i64): i64 {
  loadHull(i);
  toLocal(ox, oy, oz);
  const px = lX, py = lY, pz = lZ;
  const ux = q16(dx * r00 + dy * r01 + dz * r02), uy = q16(dx * r10 + dy * r11 + dz * r12), uz = q16(dx * r20 + dy * r21 + dz * r22);
  let tmin: i64 = 0, tmax = maxT;
  for (let f = 0; f < hNF; f++) {
    const a = hP + 4 * f;
    const nx = gw(a), ny = gw(a + 1), nz = gw(a + 2);
    const num = gw(a + 3) - q16(nx * px + ny * py + nz * pz);   // >= 0: the origin is inside this plane
    const den = q16(nx * ux + ny * uy + nz * uz);
    if (den == 0) { if (num < 0) return -1; continue; }
    const t = div(num, den);
    if (den < 0) { if (t > tmin) tmin = t; }
    else if (t < tmax) tmax = t;
    if (tmin > tmax) return -1;
  }
  return tmin;
}

/** Whether hull i overlaps the sphere (s, r) (raw world; closestOnHull). Uses the box scratch: not during a step. */
export function hullOverlapsSphere(i: i32, sx: i64, sy: i64, sz: i64, r: i64): bool {
  loadHull(i);
  toLocal(sx, sy, sz);
  const px = lX, py = lY, pz = lZ;
  closestOnHull(px, py, pz);
  if (cqM <= 0) return true;
  const dx = px - cqX, dy = py - cqY, dz = pz - cqZ;
  return dx * dx + dy * dy + dz * dz <= r * r;
}

/**
 * Whether hull i overlaps the axis-aligned box (c, e) (raw world): the separating axis test
 * over the box's 3 axes, the hull's face normals and the cross products of the hull's edges
 * with the box's axes (the box's edges), each axis comparing the hull's vertex interval with
 * the box's (touching counts as overlap). Uses the box scratch: not during a step.
 */
export function hullOverlapsAabb(i: i32, cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64): bool {
  loadHull(i);
  // the box's axes, its face normals, then hull edge x box axis: all in world coordinates
  for (let a = 0; a < 3; a++) if (!hullAxisOverlaps(a == 0 ? ONE : 0, a == 1 ? ONE : 0, a == 2 ? ONE : 0, cx, cy, cz, ex, ey, ez)) return false;
  for (let f = 0; f < hNF; f++) {
    dirToWorld(gw(hP + 4 * f), gw(hP + 4 * f + 1), gw(hP + 4 * f + 2));
    if (!hullAxisOverlaps(wX, wY, wZ, cx, cy, cz, ex, ey, ez)) return false;
  }
  for (let e = 0; e < hNE; e++) {
    const w = gw(hE + e);
    const a = hV + 3 * <i32>(w & 0xff), b = hV + 3 * <i32>((w >> 8) & 0xff);
    dirToWorld(gw(b) - gw(a), gw(b + 1) - gw(a + 1), gw(b + 2) - gw(a + 2));   // raw edge vector, world
    const ux = wX, uy = wY, uz = wZ;
    for (let k = 0; k < 3; k++) {
      // u x e_k
      const lx = k == 0 ? 0 : (k == 1 ? -uz : uy), ly = k == 0 ? uz : (k == 1 ? 0 : -ux), lz = k == 0 ? -uy : (k == 1 ? ux : 0);
      const len = sqrtI(lx * lx + ly * ly + lz * lz);
      if (len == 0) continue;
      if (!hullAxisOverlaps(div(lx, len), div(ly, len), div(lz, len), cx, cy, cz, ex, ey, ez)) return false;
    }
  }
  return true;
}

/** Whether the loaded hull's vertex interval along the unit world axis l (Q16) meets the box (c, e)'s. */
function hullAxisOverlaps(lx: i64, ly: i64, lz: i64, cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64): bool {
  let lo: i64 = i64.MAX_VALUE, hi: i64 = i64.MIN_VALUE;
  for (let k = 0; k < hNV; k++) {
    hullVertex(k);
    const d = q16(lx * wX + ly * wY + lz * wZ);
    if (d < lo) lo = d;
    if (d > hi) hi = d;
  }
  const c = q16(lx * cx + ly * cy + lz * cz);
  const r = q16(absI(lx) * ex + absI(ly) * ey + absI(lz) * ez);
  return hi >= c - r && lo <= c + r;
}

