// Rotating (dynamic) capsules: mass properties and contact manifolds.
//
// A rotating capsule is a SHAPE_ROTATING_CAPSULE body of KIND_DYNAMIC (beside SHAPE_CAPSULE,
// the upright, rotation-locked capsule of characters): a core segment of half length h along
// its local y axis (the second column of the rotation matrix of its orientation Q), swept by a
// sphere of radius r. Its fields (world.ts bodyCreate): HX = r, HY = h (raw metres), RADIUS =
// r + h, its bounding sphere (broadphase reach, halo and sleep rules read it, as a dynamic box's).
//
// Mass properties: uniform density over a cylinder of radius r and height 2 h and two
// hemispherical caps. With the volume fractions f_c = 3 h / (3 h + 2 r) (cylinder) and
// f_s = 2 r / (3 h + 2 r) (the two caps, one sphere):
//   I_axial / m      = f_c r^2 / 2 + f_s 2/5 r^2
//   I_transverse / m = f_c (r^2 / 4 + h^2 / 3) + f_s (2/5 r^2 + h^2 + 3/4 h r)
// (the cap's own moment 83/320 m r^2 about its centre of mass, 3/8 r from its flat face, moved
// by the parallel axis theorem: D. Eberly, "Computing the Moment of Inertia of a Solid
// Capsule", Geometric Tools, 2008; the same formula as Jolt's CapsuleShape). The principal
// axes are the body axes, so the rotating box's machinery (box-contacts.ts: the per-tick
// inertia frame BOX_INERTIA, R diag(1 / I_k) R^T, the lever-arm contact solver, the
// orientation update) serves the capsule unchanged; boxInertiaBegin asks capsuleInvInertia.
//
// Narrowphase (box-contacts.ts contact records: CF_BOX, a lever-arm vector, the point midway
// between the two surfaces, separation along the normal I -> J; up to 3 points per pair):
// - vs plane: each end of the core within reach (a capsule lying flat gets 2 points);
// - vs sphere, upright capsule, rotating capsule: the closest points of the two core segments
//   (C. Ericson, Real-Time Collision Detection, 2005, 5.1.9), and the ends of the overlap of
//   one core projected on the other, each where it is within the limit (a capsule lying along
//   another rests on them; they join the manifold at the limit, so nothing steps);
// - vs box (static axis-aligned or rotating): the segment point closest to the box (alternating
//   projection between segment and box, 4 rounds, in the box's frame), then the two ends, or,
//   when the segment lies within 7 degrees of parallel to the box face it touches, the ends of
//   the segment clipped to that face's rectangle; each as a sphere against the box (closest
//   box point; inside, the face of least penetration);
// - vs heightfield or mesh (terrain.ts): each end as a sphere (its nearest triangle contact),
//   and the centre when it is deeper than both ends (a ridge under the middle).
// Contacts with statics reach farther by how far a point of the capsule can move in the tick
// when that exceeds the margin (staticReach: a toppling capsule's swinging end), inactive
// until the substeps close the gap.
// Continuous collision: solver.ts integrateBody sweeps the sphere at the leading end of a fast
// capsule's core, then the one at its centre, against the statics.
// Rolling resistance against statics as rolling.ts gives spheres (capsuleRolling, called from
// box-contacts.ts boxApplyPositionsBody): a capsule on flat ground stops rolling and sleeps.
// All integer math (Q16 vectors, raw Q16 positions); fixed orders; strict comparisons keep the
// first candidate on ties.

import {
  P_PX, P_PY, P_PZ, P_VX, P_VY, P_VZ, P_WX, P_WY, P_WZ, H_TICK_RATE, H_MARGIN, H_ROLLING, H_INV_H,
  S_RX, S_RY, S_RZ, S_SRX, S_SRY, S_SRZ, S_OX, S_OY, S_OZ, P_QX, P_QY, P_QZ, P_QW, P_RADIUS, P_HX, P_HY, P_HZ, P_INV_MASS, P_KIND, P_SHAPE,
  SHAPE_CAPSULE, SHAPE_BOX, SHAPE_PLANE, SHAPE_ROTATING_CAPSULE, SHAPE_HULL, KIND_STATIC, CF_J_STATIC,
} from './layout';
import { g64, g32, s64, hdr, slotOf, st } from './world';
import { hullCollide } from './hull';
import { putContact, boxAxesOf, boxAxis, boxTickAxis, boxIntegrateOrientation } from './box-contacts';
import { isGeometryShape, terrainContacts, terrainContactAt, tNX, tNY, tNZ, tSep } from './terrain';
import { div, ONE, sqrtFast, q16 } from '../math/fixed';

// @ts-ignore: decorator
@inline function absI(x: i64): i64 { return x < 0 ? -x : x; }
// @ts-ignore: decorator
@inline function clampI(x: i64, lo: i64, hi: i64): i64 { return x < lo ? lo : (x > hi ? hi : x); }
// @ts-ignore: decorator
@inline function sqrtI(x: i64): i64 { return <i64>sqrtFast(<u64>x); }

/** Points closer than this along a segment are one point of a manifold (raw m, 1 mm). */
// @ts-ignore: decorator
@inline const SAME_POINT: i64 = 66;
/** Segments with 1 - (a . b)^2 below this (sin < 1/8, about 7 degrees) are parallel (Q16). */
// @ts-ignore: decorator
@inline const PARALLEL_DEN: i64 = 1024;
/** A segment whose axis has |a . n| below this (Q16, 1/8) lies parallel to a box face n. */
// @ts-ignore: decorator
@inline const FACE_PARALLEL: i64 = 8192;

/** True when body s is a rotating capsule. */
// @ts-ignore: decorator
@inline export function isRotatingCapsule(s: i32): bool { return g32(P_SHAPE, s) == SHAPE_ROTATING_CAPSULE; }

/** True when the narrowphase of the pair (i, j) is this module's: a rotating capsule is in it. */
export function isCapsulePair(i: i32, j: i32): bool { return isRotatingCapsule(i) || isRotatingCapsule(j); }

/**
 * Principal inverse moment of inertia 1 / I_k (Q16 1/(kg m^2)) of rotating capsule s about
 * its local axis k (1: the core's axis; 0 and 2: transverse), from its inverse mass and its
 * radius and half length (formulas in the module comment); 0 for an infinite mass. Computed
 * in ratios of the larger of r, h (Q16), so small capsules keep their precision.
 */
export function capsuleInvInertia(s: i32, k: i32): i64 {
  const im = g64(P_INV_MASS, s);
  if (im <= 0) return 0;
  const r = g64(P_HX, s), h = g64(P_HY, s);
  const m = r > h ? r : h;
  const rr = div(r, m), hh = div(h, m);                  // Q16 ratios <= 1
  const r2 = q16(rr * rr), h2 = q16(hh * hh);
  const d = 20 * (3 * hh + 2 * rr);                      // 20 (3 h + 2 r), Q16
  // 20 (3 h + 2 r) I / (m s^2), integer coefficients (Q16):
  //   axial 30 h r^2 + 16 r^3, transverse 20 h^3 + 40 r h^2 + 45 h r^2 + 16 r^3
  const n = k == 1
    ? 30 * q16(hh * r2) + 16 * q16(rr * r2)
    : 20 * q16(hh * h2) + 40 * q16(rr * h2) + 45 * q16(hh * r2) + 16 * q16(rr * r2);
  const mm = m * m;                                      // s^2, Q32
  const f = (mm / d) * n + ((mm % d) * n) / d;           // I / m, Q32 m^2 (split: no overflow)
  if (f <= 0) return 0;
  return im < (<i64>1 << 30) ? (im << 32) / f : ((im << 16) / f) << 16;
}

/**
 * Principal inverse inertia 1 / I_k (Q16) of the rotating capsule with handle `handle` about
 * its local axis k (0..2; 1 is the core's axis), as the solver uses it; ERR (-1) for a stale
 * handle or another shape (a test and tooling aid: src/physics/world.ts capsuleInertia).
 */
export function capsuleInertiaOf(handle: i64, k: i32): i64 {
  const s = slotOf(handle);
  if (s < 0 || !isRotatingCapsule(s) || k < 0 || k > 2) return -1;
  return capsuleInvInertia(s, k);
}

/**
 * Rolling resistance of rotating capsule i against its static points in this substep (called
 * by box-contacts.ts boxApplyPositionsBody after their position projection, before static
 * friction), as rolling.ts gives spheres: the capsule's rotation in the substep (RX - SRX) is
 * slowed by at most ROLLING lam r / I_axial radians, lam the points' normal corrections of the
 * substep (Q32 kg m: N h^2), r its radius, I_axial its moment about its core (the axis it rolls
 * about): the angle a torque ROLLING N r turns it by. Its angular velocity follows (PBD). Static
 * friction then brings its linear motion along: on a slope of angle a it rolls at
 * a = g (sin a - ROLLING cos a) / (1 + I / (m r^2)), and on flat ground it stops and sleeps
 * instead of rolling for ever. Never reverses the rotation. Own state only.
 */
export function capsuleRolling(i: i32, lam: i64): void {
  const roll = hdr(H_ROLLING);
  if (roll == 0 || lam <= 0) return;
  const s = st(i);
  let tx = load<i64>(s + <usize>S_RX) - load<i64>(s + <usize>S_SRX);
  let ty = load<i64>(s + <usize>S_RY) - load<i64>(s + <usize>S_SRY);
  let tz = load<i64>(s + <usize>S_RZ) - load<i64>(s + <usize>S_SRZ);
  if ((tx | ty | tz) == 0) return;
  const lim = (((q16(lam * roll) * g64(P_HX, i)) >> 16) * capsuleInvInertia(i, 1)) >> 16;   // Q32 rad
  // compare |t| with the limit at a scale where the squares fit (the ratio is scale-free)
  const sh: i64 = ((absI(tx) | absI(ty) | absI(tz) | lim) >> 30) != 0 ? 16 : 0;
  const sx = tx >> sh, sy = ty >> sh, sz = tz >> sh, sl = lim >> sh;
  const t2 = sx * sx + sy * sy + sz * sz;
  if (t2 > sl * sl) {
    const f = div(sl, sqrtI(t2));                                        // Q16 ratio < 1
    tx = q16(tx * f); ty = q16(ty * f); tz = q16(tz * f);
  }
  const invH = hdr(H_INV_H);
  store<i64>(s + <usize>S_RX, load<i64>(s + <usize>S_RX) - tx);
  store<i64>(s + <usize>S_RY, load<i64>(s + <usize>S_RY) - ty);
  store<i64>(s + <usize>S_RZ, load<i64>(s + <usize>S_RZ) - tz);
  store<i64>(s + <usize>S_OX, load<i64>(s + <usize>S_OX) - tx * invH);
  store<i64>(s + <usize>S_OY, load<i64>(s + <usize>S_OY) - ty * invH);
  store<i64>(s + <usize>S_OZ, load<i64>(s + <usize>S_OZ) - tz * invH);
}

/**
 * A rotating capsule's orientation at the end of the tick: box-contacts.ts
 * boxIntegrateOrientation (the rotation its contacts were solved with, in pieces of at most 1/4
 * rad: a thin capsule rolling fast spins about its core at hundreds of rad/s), then its spin
 * turned with its core (keepSpinWithCore). Own state only.
 */
export function capsuleIntegrateOrientation(i: i32): void {
  boxIntegrateOrientation(i);
  keepSpinWithCore(i);
}

/**
 * Turns rotating capsule i's spin about its core with the core (WX.., set by finishTick): with
 * a0 its core's axis at the tick start (the tick's inertia frame) and a1 after the orientation
 * update, the spin w_a = w . a0 stays about the core (a torque-free axisymmetric body keeps its
 * body-frame axial spin: Euler's equations with I_1 = I_2; Goldstein, Classical Mechanics, 5.6)
 * and the rest w_p = w - w_a a0 keeps its direction but loses any part along a1:
 * w' = w_a a1 + w_p - (w_p . a1) a1. The kinetic energy never grows (|w'_p| <= |w_p|). Without
 * it the angular velocity stayed fixed in the world while the body turned: a thin capsule's
 * fast spin about its core (cheap: I_axial is small) became a tumble about a transverse axis
 * (I_t / I_axial times the energy, 50 for a 0.075 x 0.44 m rod) and launched it at 56 m/s off
 * the floor. Gyroscopic precession is left out, as for boxes.
 */
function keepSpinWithCore(i: i32): void {
  const wx = g64(P_WX, i), wy = g64(P_WY, i), wz = g64(P_WZ, i);
  if ((wx | wy | wz) == 0) return;
  const a0x = boxTickAxis(i, 1, 0), a0y = boxTickAxis(i, 1, 1), a0z = boxTickAxis(i, 1, 2);
  axisOf(i);
  if (axX == a0x && axY == a0y && axZ == a0z) return;               // the core did not turn
  const wa = q16(wx * a0x + wy * a0y + wz * a0z);
  const px = wx - q16(wa * a0x), py = wy - q16(wa * a0y), pz = wz - q16(wa * a0z);
  const k = wa - q16(px * axX + py * axY + pz * axZ);
  s64(P_WX, i, px + q16(k * axX)); s64(P_WY, i, py + q16(k * axY)); s64(P_WZ, i, pz + q16(k * axZ));
}

// ---- core segments ----

// Segment 0 and 1: centre (raw), unit axis (Q16), half length, radius (raw).
let c0x: i64 = 0, c0y: i64 = 0, c0z: i64 = 0, a0x: i64 = 0, a0y: i64 = ONE, a0z: i64 = 0, h0: i64 = 0, r0: i64 = 0;
let c1x: i64 = 0, c1y: i64 = 0, c1z: i64 = 0, a1x: i64 = 0, a1y: i64 = ONE, a1z: i64 = 0, h1: i64 = 0, r1: i64 = 0;
// Axis of the last axisOf call (Q16).
let axX: i64 = 0, axY: i64 = ONE, axZ: i64 = 0;

/**
 * Core axis of body s: a rotating capsule's local y axis (second column of the rotation
 * matrix of its orientation, as box-contacts.ts axesOf), else +y (spheres, upright capsules).
 */
function axisOf(s: i32): void {
  if (!isRotatingCapsule(s)) { axX = 0; axY = ONE; axZ = 0; return; }
  const x = g64(P_QX, s), y = g64(P_QY, s), z = g64(P_QZ, s), w = g64(P_QW, s);
  axX = 2 * (q16(x * y) - q16(w * z));
  axY = ONE - 2 * (q16(x * x) + q16(z * z));
  axZ = 2 * (q16(y * z) + q16(w * x));
}

/** Core half length of body s (raw m): a capsule's HY, 0 for a sphere. */
// @ts-ignore: decorator
@inline function coreHalfOf(s: i32): i64 {
  const sh = g32(P_SHAPE, s);
  return sh == SHAPE_ROTATING_CAPSULE || sh == SHAPE_CAPSULE ? g64(P_HY, s) : 0;
}

/** Radius of body s's core (raw m): HX for a rotating capsule, RADIUS otherwise. */
// @ts-ignore: decorator
@inline function coreRadiusOf(s: i32): i64 { return isRotatingCapsule(s) ? g64(P_HX, s) : g64(P_RADIUS, s); }

function loadSeg0(s: i32): void {
  axisOf(s);
  c0x = g64(P_PX, s); c0y = g64(P_PY, s); c0z = g64(P_PZ, s);
  a0x = axX; a0y = axY; a0z = axZ; h0 = coreHalfOf(s); r0 = coreRadiusOf(s);
}

function loadSeg1(s: i32): void {
  axisOf(s);
  c1x = g64(P_PX, s); c1y = g64(P_PY, s); c1z = g64(P_PZ, s);
  a1x = axX; a1y = axY; a1z = axZ; h1 = coreHalfOf(s); r1 = coreRadiusOf(s);
}

/** The point of body s's core nearest to (x, y, z) (raw m; a sphere's or upright capsule's core too), into coreX..coreZ. */
export let coreX: i64 = 0, coreY: i64 = 0, coreZ: i64 = 0;
export function coreNearest(s: i32, x: i64, y: i64, z: i64): void {
  axisOf(s);
  const h = coreHalfOf(s);
  const cx = g64(P_PX, s), cy = g64(P_PY, s), cz = g64(P_PZ, s);
  let t = q16(axX * (x - cx) + axY * (y - cy) + axZ * (z - cz));
  if (t > h) t = h;
  if (t < -h) t = -h;
  coreX = cx + q16(axX * t); coreY = cy + q16(axY * t); coreZ = cz + q16(axZ * t);
}

// ---- dispatch ----

/**
 * Speculative reach of rotating capsule i against statics (raw m): how far a point of it can
 * move in one tick, (|v|_1 + |w|_1 (h + r)) / tick rate (L1 norms bound the lengths), at most
 * its bounding radius. Its static contacts are made this much farther out (inactive until the
 * substeps close the gap): an end swinging down as the capsule topples is caught by its
 * contact instead of sinking into the ground for a tick (the continuous collision sweeps only
 * the linear motion; a capsule toppling after landing on its end at 20 Hz put its other end
 * 7.8 cm into the ground before).
 */
function staticReach(i: i32): i64 {
  const w = absI(g64(P_WX, i)) + absI(g64(P_WY, i)) + absI(g64(P_WZ, i));
  const v = absI(g64(P_VX, i)) + absI(g64(P_VY, i)) + absI(g64(P_VZ, i));
  const reach = (v + q16(w * g64(P_RADIUS, i))) / hdr(H_TICK_RATE);
  if (reach <= hdr(H_MARGIN)) return 0;
  return reach < g64(P_RADIUS, i) ? reach : g64(P_RADIUS, i);
}

/**
 * Narrowphase of a pair with a rotating capsule (isCapsulePair): appends up to 3 contact
 * points (box-contacts.ts records, CF_BOX) whose separation is below `limit` (raw m: the
 * margin, plus both bodies' speculative reach for two moving bodies). i has the lower tag
 * (collide.ts); j may be static (plane, box, heightfield, mesh, sphere or upright capsule).
 */
export function capsuleCollide(i: i32, j: i32, limit: i64): void {
  const si = g32(P_SHAPE, i), sj = g32(P_SHAPE, j);
  // with a hull: the hull's narrowphase against the capsule's core point nearest the hull (hull.ts)
  if (si == SHAPE_HULL || sj == SHAPE_HULL) { hullCollide(i, j, 0, limit); return; }
  const flags = g32(P_KIND, j) == KIND_STATIC ? CF_J_STATIC : 0;
  if (si == SHAPE_ROTATING_CAPSULE && flags != 0) limit += staticReach(i);
  if (si == SHAPE_ROTATING_CAPSULE) {
    if (sj == SHAPE_PLANE) { capsulePlane(i, j, limit); return; }
    if (isGeometryShape(sj)) { capsuleTerrain(i, j, limit); return; }
    if (sj == SHAPE_BOX) { capsuleBox(j, i, false, flags, limit); return; }
  } else if (si == SHAPE_BOX) { capsuleBox(i, j, true, flags, limit); return; }
  else if (si == SHAPE_PLANE || isGeometryShape(si)) return;
  if (sj == SHAPE_PLANE || isGeometryShape(sj)) return;
  segmentPair(i, j, flags, limit);
}

/**
 * Contact between point P on I's core (radius ri) and point Q on J's core (radius rj): normal
 * P -> Q, separation |PQ| - ri - rj, point midway between the surfaces; kept when the
 * separation is below `limit`. Coinciding points push along +y (+x for a vertical core).
 */
function emitPoints(i: i32, j: i32, flags: i32, px: i64, py: i64, pz: i64, qx: i64, qy: i64, qz: i64, ri: i64, rj: i64, limit: i64, vertical: bool): void {
  const dx = qx - px, dy = qy - py, dz = qz - pz;
  const dist = sqrtI(dx * dx + dy * dy + dz * dz);
  const sep = dist - ri - rj;
  if (sep >= limit) return;
  let nx: i64 = 0, ny: i64 = 0, nz: i64 = 0;
  if (dist == 0) { if (vertical) nx = ONE; else ny = ONE; }
  else { nx = div(dx, dist); ny = div(dy, dist); nz = div(dz, dist); }
  const o = ri + (sep >> 1);
  putContact(i, j, flags, nx, ny, nz, sep, px + q16(nx * o), py + q16(ny * o), pz + q16(nz * o));
}

/**
 * Two cores (segments of any direction: rotating capsules, upright capsules, spheres): their
 * closest points (Ericson 5.1.9), one contact; or, for two segments within about 7 degrees of
 * parallel whose projections overlap by more than SAME_POINT, two contacts at the ends of the
 * overlap (a capsule lying along another).
 */
function segmentPair(i: i32, j: i32, flags: i32, limit: i64): void {
  loadSeg0(i); loadSeg1(j);
  // cheap reject on the bounding spheres
  const ex = c1x - c0x, ey = c1y - c0y, ez = c1z - c0z;
  const reach = h0 + r0 + h1 + r1 + limit;
  if (absI(ex) >= reach || absI(ey) >= reach || absI(ez) >= reach || ex * ex + ey * ey + ez * ez >= reach * reach) return;
  const rx = c0x - c1x, ry = c0y - c1y, rz = c0z - c1z;
  const b = q16(a0x * a1x + a0y * a1y + a0z * a1z);
  const c = q16(a0x * rx + a0y * ry + a0z * rz), f = q16(a1x * rx + a1y * ry + a1z * rz);
  const den = ONE - q16(b * b);
  const vertical = absI(a0y) > (ONE - (ONE >> 4));
  // the overlap [lo, hi] of J's core projected on I's line (s = b t - c for t = -h1, h1)
  const sa = q16(-b * h1) - c, sb = q16(b * h1) - c;
  const lo = max<i64>(min<i64>(sa, sb), -h0), hi = min<i64>(max<i64>(sa, sb), h0);
  // the closest points (near parallel, from the middle of the overlap)
  let s: i64 = den >= PARALLEL_DEN ? clampI(div(q16(b * f) - c, den), -h0, h0) : (lo <= hi ? (lo + hi) >> 1 : 0);
  const t = clampI(q16(b * s) + f, -h1, h1);
  s = clampI(q16(b * t) - c, -h0, h0);
  emitPoints(i, j, flags, c0x + q16(s * a0x), c0y + q16(s * a0y), c0z + q16(s * a0z),
    c1x + q16(t * a1x), c1y + q16(t * a1y), c1z + q16(t * a1z), r0, r1, limit, vertical);
  // and the ends of the overlap, each where it is within the limit: a capsule lying along
  // another (or across it at a small angle) rests on them; they enter and leave the manifold at
  // the limit, where they push nothing (an angle test for two points flipped the manifold
  // between one and two points at 7 degrees, and a capsule on that edge jittered for ever)
  if (h0 > 0 && h1 > 0 && hi - lo > SAME_POINT) {
    for (let e = 0; e < 2; e++) {
      const se = e == 0 ? lo : hi;
      if (absI(se - s) <= SAME_POINT) continue;
      const te = clampI(q16(b * se) + f, -h1, h1);
      emitPoints(i, j, flags, c0x + q16(se * a0x), c0y + q16(se * a0y), c0z + q16(se * a0z),
        c1x + q16(te * a1x), c1y + q16(te * a1y), c1z + q16(te * a1z), r0, r1, limit, vertical);
    }
  }
}

// ---- vs plane ----

/** Capsule i against the static plane j (n . x = d): each end of the core within reach. */
function capsulePlane(i: i32, j: i32, limit: i64): void {
  const nx = g64(P_HX, j), ny = g64(P_HY, j), nz = g64(P_HZ, j), d = g64(P_RADIUS, j);
  const px = g64(P_PX, i), py = g64(P_PY, i), pz = g64(P_PZ, i);
  const cd = q16(nx * px + ny * py + nz * pz) - d;
  if (cd - g64(P_RADIUS, i) >= limit) return;            // bounding sphere out of reach
  axisOf(i);
  const h = g64(P_HY, i), r = g64(P_HX, i);
  for (let e = 0; e < 2; e++) {
    const t = e == 0 ? -h : h;
    const ex = px + q16(t * axX), ey = py + q16(t * axY), ez = pz + q16(t * axZ);
    const dist = q16(nx * ex + ny * ey + nz * ez) - d - r;
    if (dist >= limit) continue;
    const o = r + (dist >> 1);
    putContact(i, j, CF_J_STATIC, -nx, -ny, -nz, dist, ex - q16(nx * o), ey - q16(ny * o), ez - q16(nz * o));
  }
}

// ---- vs heightfield / mesh ----

// Results of terrainPoint: separation (raw) and normal (I -> J, Q16) of a core point's nearest triangle.
let tpSep: i64 = 0, tpX: i64 = 0, tpY: i64 = 0, tpZ: i64 = 0;

/** The nearest triangle contact of the sphere (x, y, z, r) with geometry j within `limit` (terrain.ts); false when none. */
function terrainPoint(j: i32, x: i64, y: i64, z: i64, r: i64, limit: i64): bool {
  if (terrainContacts(j, x, y, y, z, r, r + limit) == 0) return false;
  terrainContactAt(0);
  if (tSep >= limit) return false;
  tpSep = tSep; tpX = tNX; tpY = tNY; tpZ = tNZ;
  return true;
}

/**
 * Capsule i against the static heightfield or mesh j: each end of the core as a sphere (its
 * nearest triangle contact), and the centre when it is deeper than both ends by SAME_POINT.
 */
function capsuleTerrain(i: i32, j: i32, limit: i64): void {
  const bound = g64(P_RADIUS, i) + limit;
  const px = g64(P_PX, i), py = g64(P_PY, i), pz = g64(P_PZ, i);
  if (absI(px - g64(P_PX, j)) >= g64(P_HX, j) + bound) return;
  if (absI(py - g64(P_PY, j)) >= g64(P_HY, j) + bound) return;
  if (absI(pz - g64(P_PZ, j)) >= g64(P_HZ, j) + bound) return;
  axisOf(i);
  const ax = axX, ay = axY, az = axZ;
  const h = g64(P_HY, i), r = g64(P_HX, i);
  let least: i64 = limit;
  for (let e = 0; e < 2; e++) {
    const t = e == 0 ? -h : h;
    const ex = px + q16(t * ax), ey = py + q16(t * ay), ez = pz + q16(t * az);
    if (!terrainPoint(j, ex, ey, ez, r, limit)) continue;
    if (tpSep < least) least = tpSep;
    const o = r + (tpSep >> 1);
    putContact(i, j, CF_J_STATIC, tpX, tpY, tpZ, tpSep, ex + q16(tpX * o), ey + q16(tpY * o), ez + q16(tpZ * o));
  }
  if (terrainPoint(j, px, py, pz, r, limit) && tpSep < least - SAME_POINT) {
    const o = r + (tpSep >> 1);
    putContact(i, j, CF_J_STATIC, tpX, tpY, tpZ, tpSep, px + q16(tpX * o), py + q16(tpY * o), pz + q16(tpZ * o));
  }
}

// ---- vs box ----

// The box's frame: centre (raw), axes (Q16, component c of axis k in bk<k><c>), half extents.
let bcx: i64 = 0, bcy: i64 = 0, bcz: i64 = 0;
let b00: i64 = ONE, b01: i64 = 0, b02: i64 = 0, b10: i64 = 0, b11: i64 = ONE, b12: i64 = 0, b20: i64 = 0, b21: i64 = 0, b22: i64 = ONE;
let be0: i64 = 0, be1: i64 = 0, be2: i64 = 0;
// The capsule's core in the box's frame: centre (raw), axis (Q16).
let lc0: i64 = 0, lc1: i64 = 0, lc2: i64 = 0, la0: i64 = 0, la1: i64 = 0, la2: i64 = 0;
// Result of boxPoint: separation, normal box -> capsule and box surface point (local; Q16, raw).
let bpSep: i64 = 0, bn0: i64 = 0, bn1: i64 = 0, bn2: i64 = 0, bq0: i64 = 0, bq1: i64 = 0, bq2: i64 = 0;

// @ts-ignore: decorator
@inline function bAx(k: i32, c: i32): i64 {
  return k == 0 ? (c == 0 ? b00 : (c == 1 ? b01 : b02)) : (k == 1 ? (c == 0 ? b10 : (c == 1 ? b11 : b12)) : (c == 0 ? b20 : (c == 1 ? b21 : b22)));
}
// @ts-ignore: decorator
@inline function bExt(k: i32): i64 { return k == 0 ? be0 : (k == 1 ? be1 : be2); }
// @ts-ignore: decorator
@inline function lc(k: i32): i64 { return k == 0 ? lc0 : (k == 1 ? lc1 : lc2); }
// @ts-ignore: decorator
@inline function la(k: i32): i64 { return k == 0 ? la0 : (k == 1 ? la1 : la2); }

/** Loads box b's frame: static boxes are axis-aligned, rotating ones take box-contacts.ts's axes. */
function loadBox(b: i32): void {
  bcx = g64(P_PX, b); bcy = g64(P_PY, b); bcz = g64(P_PZ, b);
  be0 = g64(P_HX, b); be1 = g64(P_HY, b); be2 = g64(P_HZ, b);
  if (g32(P_KIND, b) == KIND_STATIC) {
    b00 = ONE; b01 = 0; b02 = 0; b10 = 0; b11 = ONE; b12 = 0; b20 = 0; b21 = 0; b22 = ONE;
    return;
  }
  boxAxesOf(b);
  b00 = boxAxis(0, 0); b01 = boxAxis(0, 1); b02 = boxAxis(0, 2);
  b10 = boxAxis(1, 0); b11 = boxAxis(1, 1); b12 = boxAxis(1, 2);
  b20 = boxAxis(2, 0); b21 = boxAxis(2, 1); b22 = boxAxis(2, 2);
}

/**
 * The sphere of radius r at the core point of parameter t (local) against the box: closest
 * box point; a point inside leaves through the face of least penetration (lower axis, then
 * the side the point is on, on ties). Into bpSep, bn*, bq*.
 */
function boxPoint(t: i64, r: i64): void {
  const p0 = lc0 + q16(t * la0), p1 = lc1 + q16(t * la1), p2 = lc2 + q16(t * la2);
  const q0 = clampI(p0, -be0, be0), q1 = clampI(p1, -be1, be1), q2 = clampI(p2, -be2, be2);
  const v0 = p0 - q0, v1 = p1 - q1, v2 = p2 - q2;
  if ((v0 | v1 | v2) != 0) {
    const dist = sqrtI(v0 * v0 + v1 * v1 + v2 * v2);
    bn0 = div(v0, dist); bn1 = div(v1, dist); bn2 = div(v2, dist);
    bq0 = q0; bq1 = q1; bq2 = q2;
    bpSep = dist - r;
    return;
  }
  let k = 0, pen = be0 - absI(p0);
  if (be1 - absI(p1) < pen) { k = 1; pen = be1 - absI(p1); }
  if (be2 - absI(p2) < pen) { k = 2; pen = be2 - absI(p2); }
  const pk = k == 0 ? p0 : (k == 1 ? p1 : p2);
  const sg: i64 = pk < 0 ? -1 : 1;
  bn0 = k == 0 ? sg * ONE : 0; bn1 = k == 1 ? sg * ONE : 0; bn2 = k == 2 ? sg * ONE : 0;
  bq0 = k == 0 ? sg * be0 : p0; bq1 = k == 1 ? sg * be1 : p1; bq2 = k == 2 ? sg * be2 : p2;
  bpSep = -(pen + r);
}

/** Appends the contact of the last boxPoint (local frame -> world), if within `limit`. */
function emitBoxPoint(b: i32, s: i32, bIsI: bool, flags: i32, limit: i64): void {
  if (bpSep >= limit) return;
  const nx = q16(bn0 * b00 + bn1 * b10 + bn2 * b20), ny = q16(bn0 * b01 + bn1 * b11 + bn2 * b21), nz = q16(bn0 * b02 + bn1 * b12 + bn2 * b22);
  const h = bpSep >> 1;
  const px = bcx + q16(bq0 * b00 + bq1 * b10 + bq2 * b20) + q16(nx * h);
  const py = bcy + q16(bq0 * b01 + bq1 * b11 + bq2 * b21) + q16(ny * h);
  const pz = bcz + q16(bq0 * b02 + bq1 * b12 + bq2 * b22) + q16(nz * h);
  if (bIsI) putContact(b, s, flags, nx, ny, nz, bpSep, px, py, pz);
  else putContact(s, b, flags, -nx, -ny, -nz, bpSep, px, py, pz);
}

/**
 * Rotating capsule s against box b (static axis-aligned, or rotating): see the module
 * comment. bIsI: the box is I of the pair.
 */
function capsuleBox(b: i32, s: i32, bIsI: bool, flags: i32, limit: i64): void {
  const dx = g64(P_PX, s) - g64(P_PX, b), dy = g64(P_PY, s) - g64(P_PY, b), dz = g64(P_PZ, s) - g64(P_PZ, b);
  const rs = g64(P_RADIUS, s) + limit;
  if (g32(P_KIND, b) == KIND_STATIC) {
    if (absI(dx) >= g64(P_HX, b) + rs || absI(dy) >= g64(P_HY, b) + rs || absI(dz) >= g64(P_HZ, b) + rs) return;
  } else {
    const rr = g64(P_RADIUS, b) + rs;
    if (dx * dx + dy * dy + dz * dz >= rr * rr) return;
  }
  loadBox(b);
  axisOf(s);
  const h = g64(P_HY, s), r = g64(P_HX, s);
  lc0 = q16(dx * b00 + dy * b01 + dz * b02); lc1 = q16(dx * b10 + dy * b11 + dz * b12); lc2 = q16(dx * b20 + dy * b21 + dz * b22);
  la0 = q16(axX * b00 + axY * b01 + axZ * b02); la1 = q16(axX * b10 + axY * b11 + axZ * b12); la2 = q16(axX * b20 + axY * b21 + axZ * b22);
  // closest core point to the box: alternating projection, from the point nearest the centre
  let t = clampI(-q16(lc0 * la0 + lc1 * la1 + lc2 * la2), -h, h);
  for (let it = 0; it < 4; it++) {
    const p0 = lc0 + q16(t * la0), p1 = lc1 + q16(t * la1), p2 = lc2 + q16(t * la2);
    const q0 = clampI(p0, -be0, be0), q1 = clampI(p1, -be1, be1), q2 = clampI(p2, -be2, be2);
    t = clampI(q16((q0 - lc0) * la0 + (q1 - lc1) * la1 + (q2 - lc2) * la2), -h, h);
  }
  boxPoint(t, r);
  if (bpSep >= limit) return;                            // the closest point is out of reach: all are
  // the closest point, then either the core clipped to the rectangle of the face it touches
  // when it lies within 7 degrees of parallel to it, or else the ends of the core; each once
  // (SAME_POINT apart along the core) and where it is within the limit. Where the choice
  // changes, the points it swaps are where the closest point already is, or out of reach (an
  // end over the face is a clipped end; one beyond it is off the face): no step in the support.
  const mid = t;
  emitBoxPoint(b, s, bIsI, flags, limit);
  let k = 0, best = absI(bn0);
  if (absI(bn1) > best) { k = 1; best = absI(bn1); }
  if (absI(bn2) > best) { k = 2; }
  let lo = -h, hi = h;
  const parallel = absI(la(k)) < FACE_PARALLEL && h > 0;
  if (parallel) {
    for (let u = 0; u < 3; u++) {
      if (u == k) continue;
      const a = la(u), c = lc(u), e = bExt(u);
      if (a == 0) { if (absI(c) > e) { lo = 1; hi = 0; } continue; }
      let t1 = div(-e - c, a), t2 = div(e - c, a);
      if (t1 > t2) { const tt = t1; t1 = t2; t2 = tt; }
      if (t1 > lo) lo = t1;
      if (t2 < hi) hi = t2;
    }
  }
  if (!parallel || hi < lo) { lo = -h; hi = h; }
  if (absI(lo - mid) > SAME_POINT) { boxPoint(lo, r); emitBoxPoint(b, s, bIsI, flags, limit); }
  if (absI(hi - mid) > SAME_POINT && hi - lo > SAME_POINT) { boxPoint(hi, r); emitBoxPoint(b, s, bIsI, flags, limit); }
}
