// Static heightfields and triangle meshes: contacts with a moving body's core and the sweep of
// a fast sphere (collide.ts and solver.ts call in here; static-tree.ts indexes them).
//
// A HEIGHTFIELD or MESH body is one static slot: PX..PZ / HX..HZ hold the AABB of its geometry
// (centre and half extents, raw), so the static tree indexes it exactly like a box (or keeps a
// large one among the other statics); RADIUS holds the word index of its geometry block in the
// GEOMETRY array (i64 words, raw Q47.16 metres; written by the bindings from
// src/assets/geometry.ts, which also builds a mesh's triangle tree):
//
//   MESH         | SHAPE_MESH | T | N | 0 | N nodes x 8 words | T triangles x 9 words |
//                node: LO x y z, HI x y z, SKIP, FIRST << 32 | COUNT (COUNT 0 = internal),
//                depth first with skip pointers as the static tree's; leaf triangles
//                [FIRST, FIRST + COUNT); triangle: A x y z, B x y z, C x y z, counter-clockwise
//                seen from its front (glTF's rule), front normal (B - A) x (C - A).
//   HEIGHTFIELD  | SHAPE_HEIGHTFIELD | NX | NZ | CELL_X | CELL_Z | ORIGIN_X | ORIGIN_Z | 0 |
//                NX x NZ heights (raw y), h(ix, iz) at word 8 + iz NX + ix, sample (ix, iz) at
//                x = ORIGIN_X + ix CELL_X, z = ORIGIN_Z + iz CELL_Z; cell (ix, iz) is the two
//                triangles (p00, p01, p11) and (p00, p11, p10), fronts facing +y.
//
// Why per-body bounds with an internal triangle list rather than each triangle a leaf of the
// static tree: a triangle as a leaf would need a body slot (every per-body array, the hash
// record, the statics list) per triangle, and a 256 x 256 heightfield alone is 130,050
// triangles; the tree would also mix a terrain's thousands of small leaves with the level's
// boxes. One slot per mesh keeps the static tree, the hash records and the shard lists as
// they were; the mesh's own tree (built once on the host) and the heightfield's grid find the
// few triangles near a body in O(log T) and O(1).
//
// Narrowphase: the body's core (a vertical segment x, [lo, hi], z; lo == hi for a sphere) is
// tested against every triangle whose AABB lies within its reach, and the pair keeps ONE
// contact, with the triangle whose closest feature is nearest (lowest triangle or cell index
// on ties: canonical). (Known limit of one contact per pair: a ball in a concave crease rests
// where it should, but the two faces take turns holding it and it keeps a few mm/s, so it
// does not fall asleep; a manifold of several triangle contacts would need the touch list to
// tell contacts of one pair apart.) Closest point on a triangle (Ericson, Real-Time Collision Detection,
// 5.1.5): the point's projection onto the plane when it lies inside the three edges, else the
// nearest of the closest points on the three edges; that form (rather than the book's
// barycentric region tests) keeps every product of integer coordinates below 2^63.
// Triangles are one-sided: a core whose closest triangle point is the face interior seen
// from behind, or which pierces the face, penetrates and is pushed out through the front
// (terrain is solid below; a mesh should be closed). A capsule core against an edge: the
// distance between the vertical segment and the edge is convex along the edge, so its least
// value is at one of the breakpoints and stationary points that are evaluated (edge ends, the
// horizontal closest point, the closest points to the core's ends, the heights lo and hi).
//
// Integer ranges: geometry lies within +-GEOMETRY_BOUND (2^29 raw, 8192 m; the bindings refuse
// more), so coordinate differences are below 2^31 and a dot or cross product of two below
// 2^62; unit normals are Q16.

import {
  P_GEOMETRY, P_RADIUS, P_SHAPE, P_PX, P_PY, P_PZ, P_HX, P_HY, P_HZ, SHAPE_MESH, SHAPE_HEIGHTFIELD,
} from './layout';
import { g64, g32 } from './world';
import { divRound, roundShift, ONE } from '../math/fixed';
import { sqrtFast } from '../math/fixed';

/** Words of a mesh block's header; then its nodes (MESH_NODE_WORDS each), then its triangles (9 words each). */
// @ts-ignore: decorator
@inline export const MESH_HEADER_WORDS: i32 = 4;
// @ts-ignore: decorator
@inline export const MESH_NODE_WORDS: i32 = 8;
// @ts-ignore: decorator
@inline export const TRIANGLE_WORDS: i32 = 9;
/** Words of a heightfield block's header; then its NX x NZ heights. */
// @ts-ignore: decorator
@inline export const HEIGHTFIELD_HEADER_WORDS: i32 = 8;

/** Word w of the GEOMETRY array. */
// @ts-ignore: decorator
@inline function gw(w: i32): i64 { return g64(P_GEOMETRY, w); }

// @ts-ignore: decorator
@inline function clampI(x: i64, lo: i64, hi: i64): i64 { return x < lo ? lo : (x > hi ? hi : x); }

/** floor(a / b) for b > 0. */
// @ts-ignore: decorator
@inline function floorDiv(a: i64, b: i64): i64 { const q = a / b; return (a % b != 0 && a < 0) ? q - 1 : q; }

// ---- the triangle under test (module globals: no allocation) ----
let aX: i64 = 0, aY: i64 = 0, aZ: i64 = 0, bX: i64 = 0, bY: i64 = 0, bZ: i64 = 0, cX: i64 = 0, cY: i64 = 0, cZ: i64 = 0;
// its unit front normal (Q16)
let fX: i64 = 0, fY: i64 = 0, fZ: i64 = 0;

/** Loads mesh triangle k of the block at word o (T triangles after N nodes). */
function loadMeshTriangle(o: i32, nodes: i32, k: i32): void {
  const w = o + MESH_HEADER_WORDS + nodes * MESH_NODE_WORDS + k * TRIANGLE_WORDS;
  aX = gw(w); aY = gw(w + 1); aZ = gw(w + 2);
  bX = gw(w + 3); bY = gw(w + 4); bZ = gw(w + 5);
  cX = gw(w + 6); cY = gw(w + 7); cZ = gw(w + 8);
}

/** Whether the current triangle's AABB overlaps [lo, hi] (closed). */
function triangleNear(lx: i64, ly: i64, lz: i64, hx: i64, hy: i64, hz: i64): bool {
  if (min(aX, min(bX, cX)) > hx || max(aX, max(bX, cX)) < lx) return false;
  if (min(aY, min(bY, cY)) > hy || max(aY, max(bY, cY)) < ly) return false;
  return !(min(aZ, min(bZ, cZ)) > hz || max(aZ, max(bZ, cZ)) < lz);
}

/**
 * Unit front normal (Q16) of the current triangle, (B - A) x (C - A) normalised: the cross
 * product is scaled by a power of two to 30 bits before its root (exact shifts), so its
 * direction keeps ~2^-14 precision whatever the triangle's size. False for a degenerate one.
 */
function faceNormal(): bool {
  const ex = bX - aX, ey = bY - aY, ez = bZ - aZ, gx = cX - aX, gy = cY - aY, gz = cZ - aZ;
  let nx = ey * gz - ez * gy, ny = ez * gx - ex * gz, nz = ex * gy - ey * gx;
  const m = max(abs<i64>(nx), max(abs<i64>(ny), abs<i64>(nz)));
  if (m == 0) return false;
  const sh = (64 - <i32>clz<i64>(m)) - 30;
  if (sh > 0) { nx >>= sh; ny >>= sh; nz >>= sh; } else if (sh < 0) { nx <<= -sh; ny <<= -sh; nz <<= -sh; }
  const len = <i64>sqrtFast(<u64>(nx * nx + ny * ny + nz * nz));
  fX = divRound(nx << 16, len); fY = divRound(ny << 16, len); fZ = divRound(nz << 16, len);
  return true;
}

/** Signed distance (raw) of p from the current triangle's plane, positive in front. */
// @ts-ignore: decorator
@inline function planeDist(px: i64, py: i64, pz: i64): i64 {
  return roundShift(fX * (px - aX) + fY * (py - aY) + fZ * (pz - aZ), 16);
}

/** Side of s relative to the edge u -> v, seen along the front normal: >= 0 on the inner side (or on the edge). */
// @ts-ignore: decorator
@inline function edgeSide(ux: i64, uy: i64, uz: i64, vx: i64, vy: i64, vz: i64, sx: i64, sy: i64, sz: i64): i64 {
  const ex = vx - ux, ey = vy - uy, ez = vz - uz, wx = sx - ux, wy = sy - uy, wz = sz - uz;
  return roundShift(ey * wz - ez * wy, 16) * fX + roundShift(ez * wx - ex * wz, 16) * fY + roundShift(ex * wy - ey * wx, 16) * fZ;
}

/** Whether the point s on the current triangle's plane lies inside its three edges. */
function insideEdges(sx: i64, sy: i64, sz: i64): bool {
  return edgeSide(aX, aY, aZ, bX, bY, bZ, sx, sy, sz) >= 0 && edgeSide(bX, bY, bZ, cX, cY, cZ, sx, sy, sz) >= 0 &&
    edgeSide(cX, cY, cZ, aX, aY, aZ, sx, sy, sz) >= 0;
}

// Closest point on an edge (closestOnEdge): the point and its parameter (Q16).
let eX: i64 = 0, eY: i64 = 0, eZ: i64 = 0;

/** Parameter t (Q16, in [0, ONE]) of the point of segment u -> v closest to p. */
function edgeParam(ux: i64, uy: i64, uz: i64, vx: i64, vy: i64, vz: i64, px: i64, py: i64, pz: i64): i64 {
  const ex = vx - ux, ey = vy - uy, ez = vz - uz;
  const len2 = ex * ex + ey * ey + ez * ez;
  const dot = ex * (px - ux) + ey * (py - uy) + ez * (pz - uz);
  if (dot <= 0 || len2 == 0) return 0;
  if (dot >= len2) return ONE;
  return len2 < (<i64>1 << 46) ? (dot << 16) / len2 : dot / (len2 >> 16);
}

/** The point u + t (v - u) (t Q16) into eX, eY, eZ. */
// @ts-ignore: decorator
@inline function edgePoint(ux: i64, uy: i64, uz: i64, vx: i64, vy: i64, vz: i64, t: i64): void {
  eX = ux + roundShift((vx - ux) * t, 16); eY = uy + roundShift((vy - uy) * t, 16); eZ = uz + roundShift((vz - uz) * t, 16);
}

// Closest point on the current triangle to a point (closestOnTriangle).
let qX: i64 = 0, qY: i64 = 0, qZ: i64 = 0;
/** Whether the closest point is the projection onto the face (else it lies on an edge). */
let qFace = false;
/** Signed distance of the point from the plane (raw), positive in front. */
let qDepth: i64 = 0;

/** Closest point on one edge to p, kept in qX.. when nearer (squared) than `best`; returns the best. */
function edgeCandidate(ux: i64, uy: i64, uz: i64, vx: i64, vy: i64, vz: i64, px: i64, py: i64, pz: i64, best: i64): i64 {
  edgePoint(ux, uy, uz, vx, vy, vz, edgeParam(ux, uy, uz, vx, vy, vz, px, py, pz));
  const dx = eX - px, dy = eY - py, dz = eZ - pz;
  const d2 = dx * dx + dy * dy + dz * dz;
  if (d2 < best) { qX = eX; qY = eY; qZ = eZ; return d2; }
  return best;
}

/**
 * Closest point (qX, qY, qZ) of the current triangle (face normal computed) to p, with qFace and
 * qDepth (Ericson 5.1.5: projection inside the edges, else the nearest edge point). Returns the
 * squared distance (raw^2).
 */
function closestOnTriangle(px: i64, py: i64, pz: i64): i64 {
  const depth = planeDist(px, py, pz);
  qDepth = depth;
  const sx = px - roundShift(depth * fX, 16), sy = py - roundShift(depth * fY, 16), sz = pz - roundShift(depth * fZ, 16);
  if (insideEdges(sx, sy, sz)) { qX = sx; qY = sy; qZ = sz; qFace = true; return depth * depth; }
  qFace = false;
  let best = i64.MAX_VALUE;
  best = edgeCandidate(aX, aY, aZ, bX, bY, bZ, px, py, pz, best);
  best = edgeCandidate(bX, bY, bZ, cX, cY, cZ, px, py, pz, best);
  return edgeCandidate(cX, cY, cZ, aX, aY, aZ, px, py, pz, best);
}

// ---- the core of the body under test and the best triangle so far ----
let kX: i64 = 0, kLo: i64 = 0, kHi: i64 = 0, kZ: i64 = 0;
let found = false;
/** Ordering key of the best triangle: squared distance of its closest feature (0 when pierced). */
let bestKey: i64 = 0;
/** Best triangle: penetrating (the core is behind its face or pierces it), else separate. */
let bestPen = false;
// its face normal, the closest points (core, triangle) and, when penetrating, the core's deepest signed distance
let bfX: i64 = 0, bfY: i64 = 0, bfZ: i64 = 0;
let bsX: i64 = 0, bsY: i64 = 0, bsZ: i64 = 0, btX: i64 = 0, btY: i64 = 0, btZ: i64 = 0, bDepth: i64 = 0;
/** Whether the best is the face seen from the front (normal = -face normal, as a plane). */
let bestFace = false;

/** Keeps the current triangle as the best when its key is lower (strictly: first on ties). */
function offer(key: i64, pen: bool, face: bool, sx: i64, sy: i64, sz: i64, depth: i64): void {
  if (found && key >= bestKey) return;
  found = true; bestKey = key; bestPen = pen; bestFace = face;
  bfX = fX; bfY = fY; bfZ = fZ;
  bsX = sx; bsY = sy; bsZ = sz; btX = qX; btY = qY; btZ = qZ; bDepth = depth;
}

// Edge search state of coreEdge: the least squared distance so far and its points.
let edgeBest: i64 = 0;
let esY: i64 = 0, etX: i64 = 0, etY: i64 = 0, etZ: i64 = 0;

/** Evaluates the core-to-edge distance at edge parameter t (clamped to [0, ONE]). */
function edgeAt(ux: i64, uy: i64, uz: i64, vx: i64, vy: i64, vz: i64, t: i64): void {
  edgePoint(ux, uy, uz, vx, vy, vz, clampI(t, 0, ONE));
  const sy = clampI(eY, kLo, kHi);
  const dx = eX - kX, dy = eY - sy, dz = eZ - kZ;
  const d2 = dx * dx + dy * dy + dz * dz;
  if (d2 < edgeBest) { edgeBest = d2; esY = sy; etX = eX; etY = eY; etZ = eZ; }
}

/** Least distance between the vertical core and the edge u -> v (candidates: see the module comment). */
function coreEdge(ux: i64, uy: i64, uz: i64, vx: i64, vy: i64, vz: i64): void {
  edgeAt(ux, uy, uz, vx, vy, vz, 0);
  edgeAt(ux, uy, uz, vx, vy, vz, ONE);
  const ex = vx - ux, ez = vz - uz, ey = vy - uy;
  const h2 = ex * ex + ez * ez;
  if (h2 > 0) {
    const dot = ex * (kX - ux) + ez * (kZ - uz);
    edgeAt(ux, uy, uz, vx, vy, vz, dot <= 0 ? 0 : (dot >= h2 ? ONE : (h2 < (<i64>1 << 46) ? (dot << 16) / h2 : dot / (h2 >> 16))));
  }
  edgeAt(ux, uy, uz, vx, vy, vz, edgeParam(ux, uy, uz, vx, vy, vz, kX, kLo, kZ));
  edgeAt(ux, uy, uz, vx, vy, vz, edgeParam(ux, uy, uz, vx, vy, vz, kX, kHi, kZ));
  if (ey != 0) {
    edgeAt(ux, uy, uz, vx, vy, vz, divRound((kLo - uy) << 16, ey));
    edgeAt(ux, uy, uz, vx, vy, vz, divRound((kHi - uy) << 16, ey));
  }
}

/** Tests the core against the current triangle and offers it (see the module comment). */
function testTriangle(): void {
  if (!faceNormal()) return;
  if (kLo == kHi) {
    // a sphere's centre
    const d2 = closestOnTriangle(kX, kLo, kZ);
    if (qFace && qDepth < 0) offer(d2, true, false, kX, kLo, kZ, qDepth);
    else offer(d2, false, qFace, kX, kLo, kZ, qDepth);
    return;
  }
  const dLo = planeDist(kX, kLo, kZ), dHi = planeDist(kX, kHi, kZ);
  const deepest = dLo < dHi ? dLo : dHi;
  // the core pierces the face: it crosses the plane at a point inside the edges
  if ((dLo < 0) != (dHi < 0) && fY != 0) {
    const yt = aY - divRound(fX * (kX - aX) + fZ * (kZ - aZ), fY);
    if (yt >= kLo && yt <= kHi && insideEdges(kX, yt, kZ)) {
      qX = kX; qY = yt; qZ = kZ;
      offer(0, true, false, kX, yt, kZ, deepest);
      return;
    }
  }
  // the core's ends against the face
  const lo2 = closestOnTriangle(kX, kLo, kZ);
  const loFace = qFace, lqX = qX, lqY = qY, lqZ = qZ;
  const hi2 = closestOnTriangle(kX, kHi, kZ);
  if ((loFace && dLo < 0) || (qFace && dHi < 0)) {
    // an end behind the face, over it: penetrating, pushed out through the front
    if (loFace && dLo < 0) { qX = lqX; qY = lqY; qZ = lqZ; }
    offer(deepest * deepest, true, false, kX, dLo < dHi ? kLo : kHi, kZ, deepest);
    return;
  }
  let best = hi2, sy = kHi, face = qFace;
  let tx = qX, ty = qY, tz = qZ;
  if (lo2 <= hi2) { best = lo2; sy = kLo; face = loFace; tx = lqX; ty = lqY; tz = lqZ; }
  // the core against the three edges
  edgeBest = i64.MAX_VALUE;
  coreEdge(aX, aY, aZ, bX, bY, bZ);
  coreEdge(bX, bY, bZ, cX, cY, cZ);
  coreEdge(cX, cY, cZ, aX, aY, aZ);
  if (edgeBest < best) { best = edgeBest; sy = esY; face = false; tx = etX; ty = etY; tz = etZ; }
  qX = tx; qY = ty; qZ = tz;
  offer(best, false, face, kX, sy, kZ, face ? planeDist(kX, sy, kZ) : 0);
}

// What visitTriangles does with each triangle.
// @ts-ignore: decorator
@inline const VISIT_CONTACT: i32 = 0;
// @ts-ignore: decorator
@inline const VISIT_SWEEP: i32 = 1;
// @ts-ignore: decorator
@inline const VISIT_RAY: i32 = 2;

/** Runs the current triangle's test of `mode`. */
// @ts-ignore: decorator
@inline function visit(mode: i32): void {
  if (mode == VISIT_CONTACT) testTriangle();
  else if (mode == VISIT_SWEEP) sweepTriangle();
  else rayTriangle();
}

// ---- results of terrainContact and terrainSweep (module globals) ----
/** Contact normal from the body to the geometry (unit, Q16) and separation (raw m). */
export let tNX: i64 = 0, tNY: i64 = 0, tNZ: i64 = 0, tSep: i64 = 0;
/** Sweep: the fraction of the motion at impact (Q16) and the face normal hit (unit Q16, pointing at the sphere). */
export let swT: i64 = 0, swNX: i64 = 0, swNY: i64 = 0, swNZ: i64 = 0;

/**
 * Visits the triangles of static j (MESH or HEIGHTFIELD) whose AABB overlaps [lo, hi] (closed),
 * in canonical order (mesh: tree order, which is fixed by the block; heightfield: cells by z,
 * then x, two triangles each), calling testTriangle (mode VISIT_CONTACT), sweepTriangle
 * (VISIT_SWEEP) or rayTriangle (VISIT_RAY).
 */
function visitTriangles(j: i32, lx: i64, ly: i64, lz: i64, hx: i64, hy: i64, hz: i64, mode: i32): void {
  const o = <i32>g64(P_RADIUS, j);
  if (g32(P_SHAPE, j) == SHAPE_MESH) {
    const nodes = <i32>gw(o + 2);
    let k = 0;
    while (k < nodes) {
      const nd = o + MESH_HEADER_WORDS + k * MESH_NODE_WORDS;
      if (gw(nd) > hx || gw(nd + 3) < lx || gw(nd + 1) > hy || gw(nd + 4) < ly || gw(nd + 2) > hz || gw(nd + 5) < lz) {
        k = <i32>gw(nd + 6);
        continue;
      }
      const fc = gw(nd + 7);
      const count = <i32>(fc & 0xFFFFFFFF);
      if (count == 0) { k++; continue; }
      const first = <i32>(fc >> 32);
      for (let t = first; t < first + count; t++) {
        loadMeshTriangle(o, nodes, t);
        if (!triangleNear(lx, ly, lz, hx, hy, hz)) continue;
        visit(mode);
      }
      k = <i32>gw(nd + 6);
    }
    return;
  }
  if (g32(P_SHAPE, j) != SHAPE_HEIGHTFIELD) return;
  const nx = <i32>gw(o + 1), nz = <i32>gw(o + 2);
  const sx = gw(o + 3), sz = gw(o + 4), ox = gw(o + 5), oz = gw(o + 6);
  const ix0 = max<i64>(floorDiv(lx - ox, sx), 0), ix1 = min<i64>(floorDiv(hx - ox, sx), <i64>nx - 2);
  const iz0 = max<i64>(floorDiv(lz - oz, sz), 0), iz1 = min<i64>(floorDiv(hz - oz, sz), <i64>nz - 2);
  const h = o + HEIGHTFIELD_HEADER_WORDS;
  for (let iz = <i32>iz0; <i64>iz <= iz1; iz++) {
    for (let ix = <i32>ix0; <i64>ix <= ix1; ix++) {
      const h00 = gw(h + iz * nx + ix), h10 = gw(h + iz * nx + ix + 1);
      const h01 = gw(h + (iz + 1) * nx + ix), h11 = gw(h + (iz + 1) * nx + ix + 1);
      if (min(min(h00, h10), min(h01, h11)) > hy || max(max(h00, h10), max(h01, h11)) < ly) continue;
      const x0 = ox + <i64>ix * sx, z0 = oz + <i64>iz * sz, x1 = x0 + sx, z1 = z0 + sz;
      // (p00, p01, p11)
      aX = x0; aY = h00; aZ = z0; bX = x0; bY = h01; bZ = z1; cX = x1; cY = h11; cZ = z1;
      visit(mode);
      // (p00, p11, p10)
      aX = x0; aY = h00; aZ = z0; bX = x1; bY = h11; bZ = z1; cX = x1; cY = h10; cZ = z0;
      visit(mode);
    }
  }
}

/**
 * Contact of a moving body's core (vertical segment x, [lo, hi], z, radius r; lo == hi for a
 * sphere) with static j (MESH or HEIGHTFIELD), considering the triangles within `reach` (raw;
 * the radius plus the contact margin) of the core. Returns false when no triangle is that
 * near; else sets tNX..tNZ (unit Q16, from the body to the geometry) and tSep (surface
 * distance, raw m, < 0 overlapping) from the nearest triangle (see the module comment).
 */
export function terrainContact(j: i32, x: i64, lo: i64, hi: i64, z: i64, r: i64, reach: i64): bool {
  kX = x; kLo = lo; kHi = hi; kZ = z;
  found = false;
  visitTriangles(j, x - reach, lo - reach, z - reach, x + reach, hi + reach, z + reach, VISIT_CONTACT);
  if (!found) return false;
  if (bestPen) {
    tNX = -bfX; tNY = -bfY; tNZ = -bfZ;
    tSep = bDepth - r;
    return true;
  }
  if (bestFace) {
    // the face seen from the front: the plane's normal and distance, as corePlane
    tNX = -bfX; tNY = -bfY; tNZ = -bfZ;
    tSep = bDepth - r;
    return true;
  }
  const dx = btX - bsX, dy = btY - bsY, dz = btZ - bsZ;
  const dist = <i64>sqrtFast(<u64>(dx * dx + dy * dy + dz * dz));
  if (dist >= reach) return false;                      // beyond the reach: no contact
  if (dist == 0) { tNX = -bfX; tNY = -bfY; tNZ = -bfZ; tSep = -r; return true; }
  const inv = (<i64>1 << 48) / dist;                    // Q32 of 1 / dist
  tNX = roundShift(dx * inv, 32); tNY = roundShift(dy * inv, 32); tNZ = roundShift(dz * inv, 32);
  tSep = dist - r;
  return true;
}

// ---- continuous collision ----
let sw0X: i64 = 0, sw0Y: i64 = 0, sw0Z: i64 = 0, swDX: i64 = 0, swDY: i64 = 0, swDZ: i64 = 0, swR: i64 = 0;
let swHit = false;

/**
 * The sweep against the current triangle's front face: the centre path p0 + t d meets the face's
 * plane moved out by r at t = s0 / (s0 - s1) (as a plane, solver.ts sweepStatics); a hit when
 * the sphere there touches the triangle (its centre's closest triangle point within r). Edges
 * and vertices met outside the face's reach are left to the discrete contacts.
 */
function sweepTriangle(): void {
  if (!faceNormal()) return;
  const s0 = planeDist(sw0X, sw0Y, sw0Z) - swR;
  const ds = roundShift(fX * swDX + fY * swDY + fZ * swDZ, 16);
  if (s0 < 0 || s0 + ds >= 0) return;                  // starts behind, or does not reach it
  const t = divRound(s0 << 16, -ds);
  if (t >= swT) return;
  const px = sw0X + roundShift(swDX * t, 16), py = sw0Y + roundShift(swDY * t, 16), pz = sw0Z + roundShift(swDZ * t, 16);
  const d2 = closestOnTriangle(px, py, pz);
  if (!qFace && d2 > swR * swR + (swR * swR >> 2)) return;   // misses the triangle (with 12 % slack in the distance for edges)
  swT = t; swNX = fX; swNY = fY; swNZ = fZ; swHit = true;
}

/**
 * Earliest impact of a sphere of radius r moving from p0 by d (raw) with the front faces of
 * static j (MESH or HEIGHTFIELD), if earlier than `best` (fraction of the motion, Q16): true,
 * with swT and swNX..swNZ set. Triangles whose AABB misses the motion's AABB grown by r are skipped.
 */
export function terrainSweep(j: i32, x0: i64, y0: i64, z0: i64, dx: i64, dy: i64, dz: i64, r: i64, best: i64): bool {
  sw0X = x0; sw0Y = y0; sw0Z = z0; swDX = dx; swDY = dy; swDZ = dz; swR = r;
  swT = best; swHit = false;
  const lx = (dx < 0 ? x0 + dx : x0) - r, ly = (dy < 0 ? y0 + dy : y0) - r, lz = (dz < 0 ? z0 + dz : z0) - r;
  const hx = (dx > 0 ? x0 + dx : x0) + r, hy = (dy > 0 ? y0 + dy : y0) + r, hz = (dz > 0 ? z0 + dz : z0) + r;
  visitTriangles(j, lx, ly, lz, hx, hy, hz, VISIT_SWEEP);
  return swHit;
}

// ---- raycasts (query.ts) ----
let rOX: i64 = 0, rOY: i64 = 0, rOZ: i64 = 0, rDX: i64 = 0, rDY: i64 = 0, rDZ: i64 = 0;
/** The nearest hit so far (raw metres along the ray; the clipped segment's end + 1 when none). */
let rBest: i64 = 0;
let rHit = false;

/**
 * The ray o + t d (d unit, Q16) against the current triangle's front face: t = s0 / -(n . d)
 * where s0 is the origin's distance in front of the plane (a ray from behind, or along the
 * face, misses: triangles are one-sided); a hit when the point at t lies inside the edges.
 */
function rayTriangle(): void {
  if (!faceNormal()) return;
  const s0 = planeDist(rOX, rOY, rOZ);
  const dn = roundShift(fX * rDX + fY * rDY + fZ * rDZ, 16);
  if (s0 < 0 || dn >= 0) return;
  const t = divRound(s0 << 16, -dn);
  if (t >= rBest) return;
  const px = rOX + roundShift(rDX * t, 16), py = rOY + roundShift(rDY * t, 16), pz = rOZ + roundShift(rDZ * t, 16);
  if (!insideEdges(px, py, pz)) return;
  rBest = t; rHit = true;
}

/**
 * Hit distance (raw metres, the first front face met) of the ray o + t d, d unit (Q16), t in
 * [0, maxT], against static j (MESH or HEIGHTFIELD), or -1. The ray is first clipped to the
 * geometry's AABB (slab method); the triangles whose AABB touches the clipped segment's AABB
 * are tested (a steep ray over a heightfield meets a few cells; a long flat one, every cell
 * under it).
 */
export function terrainRay(j: i32, ox: i64, oy: i64, oz: i64, dx: i64, dy: i64, dz: i64, maxT: i64): i64 {
  let t0: i64 = 0, t1 = maxT;
  for (let a = 0; a < 3; a++) {
    const c = a == 0 ? g64(P_PX, j) : (a == 1 ? g64(P_PY, j) : g64(P_PZ, j));
    const e = a == 0 ? g64(P_HX, j) : (a == 1 ? g64(P_HY, j) : g64(P_HZ, j));
    const o = (a == 0 ? ox : (a == 1 ? oy : oz)) - c, d = a == 0 ? dx : (a == 1 ? dy : dz);
    if (d == 0) { if (o < -e || o > e) return -1; continue; }
    let ta = divRound((-e - o) << 16, d), tb = divRound((e - o) << 16, d);
    if (ta > tb) { const t = ta; ta = tb; tb = t; }
    if (ta > t0) t0 = ta;
    if (tb < t1) t1 = tb;
    if (t0 > t1) return -1;
  }
  rOX = ox; rOY = oy; rOZ = oz; rDX = dx; rDY = dy; rDZ = dz;
  rBest = t1 + 1; rHit = false;
  const ax = ox + roundShift(dx * t0, 16), ay = oy + roundShift(dy * t0, 16), az = oz + roundShift(dz * t0, 16);
  const bx = ox + roundShift(dx * t1, 16), by = oy + roundShift(dy * t1, 16), bz = oz + roundShift(dz * t1, 16);
  visitTriangles(j, min(ax, bx) - 1, min(ay, by) - 1, min(az, bz) - 1, max(ax, bx) + 1, max(ay, by) + 1, max(az, bz) + 1, VISIT_RAY);
  return rHit ? rBest : -1;
}

/** Whether a static slot's shape is a bounded static (indexed by the static tree by its AABB). */
// @ts-ignore: decorator
@inline export function isGeometryShape(shape: i32): bool { return shape == SHAPE_MESH || shape == SHAPE_HEIGHTFIELD; }
