// Dynamic convex hulls (issue 18): narrowphase against statics, spheres and capsules.
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
// - hull vs plane, static box, heightfield or mesh: every vertex within reach is a candidate
//   point (for a static box: the vertex against the box, normal from the box's nearest point,
//   or its least-penetrated face for a vertex inside; for terrain: terrain.ts's nearest
//   triangle, as boxTerrain), and up to 4 are kept by the box's reduction (deepest, farthest
//   from it, largest triangle, largest area on the other side: D. Gregorius, "Robust Contact
//   Creation for Physics Simulations", GDC 2015). Vertex-based: an edge or corner of a static
//   box or a terrain ridge poking into a hull face between its vertices is not seen (as the
//   box's terrain contacts; ground and floors are flat at a hull's scale);
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
  P_BOX_SCRATCH, SHAPE_SPHERE, SHAPE_CAPSULE, SHAPE_BOX, SHAPE_PLANE, SHAPE_HULL, KIND_STATIC, CF_J_STATIC,
} from './layout';
import { g64, g32 } from './world';
import { div, ONE, sqrtFast } from '../math/fixed';
import { boxAxesOf, boxAxis, putContact } from './box-contacts';
import { isGeometryShape, terrainContacts, terrainContactAt, tNX, tNY, tNZ, tSep } from './terrain';

// @ts-ignore: decorator
@inline function q16(p: i64): i64 { return p >= 0 ? (p + 0x8000) >> 16 : -((0x8000 - p) >> 16); }
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
 * static (a hull is never static). Pairs not handled yet (hull vs dynamic box or hull) get no contacts.
 */
export function hullCollide(i: i32, j: i32, flags: i32, limit: i64): void {
  const si = g32(P_SHAPE, i), sj = g32(P_SHAPE, j);
  if (si == SHAPE_HULL && g32(P_KIND, j) == KIND_STATIC) {
    if (sj == SHAPE_PLANE || (sj == SHAPE_BOX) || isGeometryShape(sj)) hullStatic(i, j, sj, limit);
    return;
  }
  if (si == SHAPE_HULL && (sj == SHAPE_SPHERE || sj == SHAPE_CAPSULE)) { hullSphere(i, j, true, flags, limit); return; }
  if (sj == SHAPE_HULL && (si == SHAPE_SPHERE || si == SHAPE_CAPSULE)) { hullSphere(j, i, false, flags, limit); return; }
}

// ---- hull vs statics: vertex candidates, reduced to 4 ----

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
  if (sj == SHAPE_BOX) {
    const dx = x - g64(P_PX, j), dy = y - g64(P_PY, j), dz = z - g64(P_PZ, j);
    const ex = g64(P_HX, j), ey = g64(P_HY, j), ez = g64(P_HZ, j);
    const ox = dx - clampI(dx, -ex, ex), oy = dy - clampI(dy, -ey, ey), oz = dz - clampI(dz, -ez, ez);
    if ((ox | oy | oz) != 0) {
      if (absI(ox) >= limit || absI(oy) >= limit || absI(oz) >= limit) return false;
      const d = sqrtI(ox * ox + oy * oy + oz * oz);
      if (d >= limit || d == 0) return false;
      qSep = d; qNX = -div(ox, d); qNY = -div(oy, d); qNZ = -div(oz, d);
      return true;
    }
    // inside: out through the least-penetrated face (x, then y, then z on ties)
    const px = ex - absI(dx), py = ey - absI(dy), pz = ez - absI(dz);
    qNX = 0; qNY = 0; qNZ = 0;
    if (px <= py && px <= pz) { qSep = -px; qNX = dx < 0 ? ONE : -ONE; }
    else if (py <= pz) { qSep = -py; qNY = dy < 0 ? ONE : -ONE; }
    else { qSep = -pz; qNZ = dz < 0 ? ONE : -ONE; }
    return true;
  }
  // heightfield or mesh: the nearest triangle point (terrain.ts), as box-contacts.ts boxTerrain
  if (terrainContacts(j, x, y, y, z, 0, limit + depth) == 0) return false;
  terrainContactAt(0);
  if (tSep >= limit) return false;
  qSep = tSep; qNX = tNX; qNY = tNY; qNZ = tNZ;         // terrain.ts's normal already points from the body into the ground
  return true;
}

/**
 * Hull i against static j (plane, axis-aligned box, heightfield or mesh): each vertex within
 * reach is a candidate, up to 4 are kept (reduceCandidates) and each becomes a contact
 * midway between the vertex and the static's surface.
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
    const c = a == 0 ? keep0 : (a == 1 ? keep1 : (a == 2 ? keep2 : keep3));
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

/**
 * Hull h against sphere (or upright capsule) s: the closest point of the hull to the centre
 * (see the module comment), one contact. hIsI: the hull is I of the pair.
 */
function hullSphere(h: i32, s: i32, hIsI: bool, flags: i32, limit: i64): void {
  const r = g64(P_RADIUS, s);
  const sx = g64(P_PX, s), sz = g64(P_PZ, s);
  let sy = g64(P_PY, s);
  if (g32(P_SHAPE, s) == SHAPE_CAPSULE) sy = clampI(g64(P_PY, h), sy - g64(P_HY, s), sy + g64(P_HY, s));
  const reach = g64(P_RADIUS, h) + r + limit;
  if (absI(sx - g64(P_PX, h)) >= reach || absI(sy - g64(P_PY, h)) >= reach || absI(sz - g64(P_PZ, h)) >= reach) return;
  loadHull(h);
  toLocal(sx, sy, sz);
  const px = lX, py = lY, pz = lZ;
  // the plane the centre is farthest outside of (or least inside)
  let mf = 0, m: i64 = i64.MIN_VALUE;
  for (let f = 0; f < hNF; f++) {
    const a = hP + 4 * f;
    const d = q16(gw(a) * px + gw(a + 1) * py + gw(a + 2) * pz) - gw(a + 3);
    if (d > m) { m = d; mf = f; }
  }
  if (m - r >= limit) return;
  let nx: i64, ny: i64, nz: i64, sep: i64, qx: i64, qy: i64, qz: i64;   // local: normal hull -> sphere, hull point q
  if (m <= 0) {
    // inside: out through face mf
    nx = gw(hP + 4 * mf); ny = gw(hP + 4 * mf + 1); nz = gw(hP + 4 * mf + 2);
    sep = m - r;
    qx = px - q16(nx * m); qy = py - q16(ny * m); qz = pz - q16(nz * m);
  } else {
    // outside: a face whose polygon holds the projection, else the nearest edge point
    let found = false, bd: i64 = i64.MAX_VALUE;
    qx = 0; qy = 0; qz = 0;
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
    const vx = px - qx, vy = py - qy, vz = pz - qz;
    const dist = sqrtI(vx * vx + vy * vy + vz * vz);
    if (dist == 0) {
      nx = gw(hP + 4 * mf); ny = gw(hP + 4 * mf + 1); nz = gw(hP + 4 * mf + 2);
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
