// Joints: fixed, hinge (angle limits, a velocity motor or a target angle), ball-and-socket and
// distance (a rope or a rod), between two bodies or a body and the static world.
//
// Method: extended position based dynamics, Mueller, Macklin, Chentanez, Jeschke, Kim,
// "Detailed Rigid-Body Simulation with Extended Position Based Dynamics", SCA 2020 (section 3.3
// positional constraints, 3.4 angular constraints, 3.4.1 joint limits and the hinge's
// alignment), with zero compliance: the joints are solved in every substep, right after the
// substep's contact corrections (solver.ts applyPositionsBody), Gauss-Seidel in index order,
// JOINT_ITERS sweeps (a joint's handle names its index: the canonical order). A correction
// moves the bodies' displacement D and small rotation R since the tick start (STATE, Q32) and
// their velocities alike (v += dx / h, w += dtheta / h: PBD's velocity update of motion the body
// did not make by itself), so the next substep integrates it.
//
// - positional (ball, hinge, fixed): the two anchor points coincide. The paper corrects along
//   the single direction n from A's point to B's, with the generalized inverse masses
//   w_b = 1/m_b + (r_b x n) . I_b^-1 (r_b x n) (its eq. 2-3); that diverged here for a small
//   body on a long arm (its turn moves the point sideways more than along n), so the impulse is
//   P = K^-1 e instead, e = B's point - A's, K = K_A + K_B the points' 3 x 3 response matrices
//   (K_b u = u / m_b + (I_b^-1 (r_b x u)) x r_b): A moves by P / m_A and turns by
//   I_A^-1 (r_A x P), B the opposite way (solvePoint3).
// - distance: c = |d| - clamp(|d|, MIN_LEN, MAX_LEN) along n with the paper's scalar w (one
//   constraint: exact to first order; a rope has MIN_LEN 0).
// - angular (hinge axis, fixed frame): a rotation vector e that turns A onto B (hinge: a_A x a_B;
//   fixed: (x_A x x_B + y_A x y_B + z_A x z_B) / 2, the rotation between the two joint frames to
//   first order), w_b = n . I_b^-1 n, lambda = |e| / (w_A + w_B), A turns by lambda I_A^-1 n,
//   B the opposite way.
// - hinge angle: phi = atan2((r_B x r_A) . a, r_A . r_B) with r the reference directions (both
//   perpendicular to the axis, equal at creation: the angle is 0 in the pose the joint was made
//   in), the rotation of A relative to B about the axis. A limit turns A by (LOWER - phi) or
//   (UPPER - phi) about the axis (section 3.4.1).
// - motor: after the positional step, the relative angular velocity about the axis is set to
//   MOTOR_SPEED (or, with a TARGET angle, to (TARGET - phi) * tick rate clamped to
//   +-MOTOR_SPEED: the angle error is made up in one tick, no faster than MOTOR_SPEED) by an
//   angular impulse of at most MOTOR_MAX * h per substep (a torque limit, as Box2D's and Jolt's
//   hinge motors).
//
// Bodies: a dynamic awake body moves; a kinematic body is followed (infinite mass, its
// displacement of the tick read from STATE); a static body, a sleeping one and the world (B =
// -1) do not move. Lever arms and axes: the body's orientation at the tick start Q rotates
// the local anchor (Q16), and the solved rotation R since the tick start turns it further to
// second order, r = r0 + R x r0 + R x (R x r0) / 2. A jointed body's orientation advances by R
// at the end of the tick (FLAG_JOINTED: box-contacts.ts boxIntegrateOrientation, for spheres
// too), so the anchors the next tick starts from are those the joint was solved with.
//
// Sleep: jointsWake (before the contact list of the tick, step.ts) wakes a sleeping end whose
// partner is awake and gives both awake ends the lesser of their rest counters, so jointed
// bodies fall asleep in the same tick, never one while the other moves (sleep.ts's rule with
// the joint as a partner link).
//
// Integer math only (Q16 state, Q32 inside the tick as solver.ts): deterministic on every
// machine. Shards: a joint to the world moves one body, so a shard world that holds the body
// computes what the whole world computes (jointsLocalize gives it the body's local slot). Joints
// between bodies link an island solved Gauss-Seidel within a pass: a shard computes the whole
// world's bits for it when it holds the whole island and its bodies' contact partners with
// their state of the pass (exchange 'pass'), which src/physics/sharded.ts ensures by bounding an
// island's reach to one contact distance (jointReach).

import {
  P_PX, P_PY, P_PZ, P_X0X, P_X0Y, P_X0Z, P_QX, P_QY, P_QZ, P_QW, P_INV_MASS, P_KIND, P_FLAGS,
  P_GENERATION, P_SLEEP_COUNT, P_SHAPE, P_JOINTS, P_BODY_DEF,
  S_DX, S_DY, S_DZ, S_RX, S_RY, S_RZ, S_UX, S_UY, S_UZ, S_OX, S_OY, S_OZ,
  H_JOINT_CAPACITY, H_JOINT_HIGH_WATER, H_INV_H, H_TICK_RATE,
  J_KIND, J_FLAGS, J_A, J_A_GEN, J_B, J_B_GEN, J_GEN, J_AAX, J_ABX, J_XAX, J_XBX, J_RAX, J_RBX,
  J_LOWER, J_UPPER, J_MOTOR_SPEED, J_MOTOR_MAX, J_TARGET, J_MIN_LEN, J_MAX_LEN, JOINT_BYTES,
  JK_FIXED, JK_HINGE, JK_DISTANCE, JF_LIMITS, JF_MOTOR, JF_TARGET, JF_AUTO_B, JF_AUTO_LEN,
  KIND_DYNAMIC, KIND_KINEMATIC, KIND_STATIC, FLAG_LIVE, FLAG_SLEEPING, FLAG_JOINTED, SHAPE_BOX,
  ERR_STALE_HANDLE, ERR_JOINTS_FULL, ERR_BAD_JOINT,
} from './layout';
import { g64, g32, s32, hdr, setHdr, st, slotOf, wake, bodyRemove as worldBodyRemove } from './world';
import { invInertiaMul, kX, kY, kZ, wDir, wOut as dirW, aX as dirX, aY as dirY, aZ as dirZ } from './box-contacts';
import { rotate } from '../math/quat';
import { atan2 } from '../math/trig';
import { sqrtFast, ONE, q16 } from '../math/fixed';
import { rx, ry, rz } from '../math/registers';

// ---- small helpers ----

// @ts-ignore: decorator
@inline function jAt(e: i32): usize { return P_JOINTS + <usize>e * <usize>JOINT_BYTES; }
// @ts-ignore: decorator
@inline function jg(e: i32, w: i32): i64 { return load<i64>(jAt(e) + (<usize>w << 3)); }
// @ts-ignore: decorator
@inline function js(e: i32, w: i32, v: i64): void { store<i64>(jAt(e) + (<usize>w << 3), v); }
// @ts-ignore: decorator
@inline function lst(i: i32, off: i32): i64 { return load<i64>(st(i) + <usize>off); }
// @ts-ignore: decorator
@inline function sst(i: i32, off: i32, v: i64): void { store<i64>(st(i) + <usize>off, v); }
// @ts-ignore: decorator
@inline function defW(w: i32): i64 { return load<i64>(P_BODY_DEF + (<usize>w << 3)); }

/** Length (Q32) of a Q32 vector (squares at Q24: fits up to ~100 m). */
function len32(x: i64, y: i64, z: i64): i64 {
  const a = x >> 8, b = y >> 8, c = z >> 8;
  return <i64>sqrtFast(<u64>(a * a + b * b + c * c)) << 8;
}

/** Length (Q16) of a Q16 vector. */
function len16(x: i64, y: i64, z: i64): i64 {
  return <i64>sqrtFast(<u64>(x * x + y * y + z * z));
}

// ---- the two ends of the joint being solved (module globals: one set per instance) ----

// end 0 = A, end 1 = B. slot (-1: the world), moves (dynamic and awake: corrections apply),
// base position (Q32), displacement D and rotation R since the tick start (Q32), orientation.
let s0: i32 = -1, s1: i32 = -1;
let mv0 = false, mv1 = false;
let bx0: i64 = 0, by0: i64 = 0, bz0: i64 = 0, bx1: i64 = 0, by1: i64 = 0, bz1: i64 = 0;
let tx0: i64 = 0, ty0: i64 = 0, tz0: i64 = 0, tx1: i64 = 0, ty1: i64 = 0, tz1: i64 = 0;

/** Whether slot s is a live body whose generation is gen. */
function liveAs(s: i32, gen: i64): bool {
  return s >= 0 && (g32(P_FLAGS, s) & FLAG_LIVE) != 0 && <i64>g32(P_GENERATION, s) == gen;
}

/** Whether a body's STATE holds this tick's solver state (on the awake list: kinematic or awake dynamic). */
// @ts-ignore: decorator
@inline function active(s: i32): bool {
  const k = g32(P_KIND, s);
  return k == KIND_KINEMATIC || (k == KIND_DYNAMIC && (g32(P_FLAGS, s) & FLAG_SLEEPING) == 0);
}

/** Loads end `e` (body slot s, -1 = world): inTick reads the solver state of an active body. */
function loadEnd(e: i32, s: i32, inTick: bool): void {
  let bx: i64 = 0, by: i64 = 0, bz: i64 = 0, tx: i64 = 0, ty: i64 = 0, tz: i64 = 0;
  let mv = false;
  if (s >= 0) {
    if (inTick && active(s)) {
      bx = (g64(P_X0X, s) << 16) + lst(s, S_DX); by = (g64(P_X0Y, s) << 16) + lst(s, S_DY); bz = (g64(P_X0Z, s) << 16) + lst(s, S_DZ);
      tx = lst(s, S_RX); ty = lst(s, S_RY); tz = lst(s, S_RZ);
      mv = g32(P_KIND, s) == KIND_DYNAMIC;
    } else {
      bx = g64(P_PX, s) << 16; by = g64(P_PY, s) << 16; bz = g64(P_PZ, s) << 16;
    }
  }
  if (e == 0) { s0 = s; mv0 = mv; bx0 = bx; by0 = by; bz0 = bz; tx0 = tx; ty0 = ty; tz0 = tz; }
  else { s1 = s; mv1 = mv; bx1 = bx; by1 = by; bz1 = bz; tx1 = tx; ty1 = ty; tz1 = tz; }
}

// Result of turn (Q32 vector).
let oX: i64 = 0, oY: i64 = 0, oZ: i64 = 0;

/**
 * A Q16 vector of end e's own frame in world coordinates at the current substep (Q32): rotated
 * by the body's orientation at the tick start, then by its rotation R since, to second order.
 * The world end (slot -1) returns the vector itself.
 */
function turn(e: i32, vx: i64, vy: i64, vz: i64): void {
  const s = e == 0 ? s0 : s1;
  if (s < 0 || (vx | vy | vz) == 0) { oX = vx << 16; oY = vy << 16; oZ = vz << 16; return; }   // the world, or the centre
  if (g32(P_KIND, s) != KIND_STATIC) {
    rotate(g64(P_QX, s), g64(P_QY, s), g64(P_QZ, s), g64(P_QW, s), vx, vy, vz);
    vx = rx; vy = ry; vz = rz;
  }
  const tx = e == 0 ? tx0 : tx1, ty = e == 0 ? ty0 : ty1, tz = e == 0 ? tz0 : tz1;
  // R x v (Q32 x Q16 -> Q32), then R x (R x v) / 2 with R at Q16
  const cx = q16(ty * vz - tz * vy), cy = q16(tz * vx - tx * vz), cz = q16(tx * vy - ty * vx);
  const hx = tx >> 16, hy = ty >> 16, hz = tz >> 16;
  oX = (vx << 16) + cx + (q16(hy * cz - hz * cy) >> 1);
  oY = (vy << 16) + cy + (q16(hz * cx - hx * cz) >> 1);
  oZ = (vz << 16) + cz + (q16(hx * cy - hy * cx) >> 1);
}

// Generalized inverse mass of the last wPoint / wAngle call (Q16) and the body's angular response (Q16).
let wOut: i64 = 0, aX: i64 = 0, aY: i64 = 0, aZ: i64 = 0;

/** w = 1/m + (r x n) . I^-1 (r x n) of moving body s, arm r and unit n (Q16); I^-1 (r x n) into aX.. (box-contacts.ts wDir). */
function wPoint(s: i32, rx_: i64, ry_: i64, rz_: i64, nx: i64, ny: i64, nz: i64): void {
  wDir(s, rx_, ry_, rz_, nx, ny, nz);
  wOut = dirW; aX = dirX; aY = dirY; aZ = dirZ;
}

/** w = n . I^-1 n of moving body s along unit n (Q16); I^-1 n into aX.. */
function wAngle(s: i32, nx: i64, ny: i64, nz: i64): void {
  invInertiaMul(s, nx, ny, nz);
  aX = kX; aY = kY; aZ = kZ;
  wOut = q16(nx * kX + ny * kY + nz * kZ);
}

/** Moves body s by (dx, dy, dz) and turns it by (ax, ay, az) (Q32), velocities alike (PBD). */
function shift(s: i32, e: i32, dx: i64, dy: i64, dz: i64, ax: i64, ay: i64, az: i64, invH: i64): void {
  sst(s, S_DX, lst(s, S_DX) + dx); sst(s, S_DY, lst(s, S_DY) + dy); sst(s, S_DZ, lst(s, S_DZ) + dz);
  sst(s, S_UX, lst(s, S_UX) + dx * invH); sst(s, S_UY, lst(s, S_UY) + dy * invH); sst(s, S_UZ, lst(s, S_UZ) + dz * invH);
  sst(s, S_RX, lst(s, S_RX) + ax); sst(s, S_RY, lst(s, S_RY) + ay); sst(s, S_RZ, lst(s, S_RZ) + az);
  sst(s, S_OX, lst(s, S_OX) + ax * invH); sst(s, S_OY, lst(s, S_OY) + ay * invH); sst(s, S_OZ, lst(s, S_OZ) + az * invH);
  // the end's loaded state follows (later constraints of the same joint read it)
  if (e == 0) { bx0 += dx; by0 += dy; bz0 += dz; tx0 += ax; ty0 += ay; tz0 += az; }
  else { bx1 += dx; by1 += dy; bz1 += dz; tx1 += ax; ty1 += ay; tz1 += az; }
}

// World anchor offsets of the last anchors call (Q32).
let r0x: i64 = 0, r0y: i64 = 0, r0z: i64 = 0, r1x: i64 = 0, r1y: i64 = 0, r1z: i64 = 0;

/** Both anchors' offsets from their bodies' centres, in world coordinates (Q32; the world end: its world point). */
function anchors(j: i32): void {
  turn(0, jg(j, J_AAX), jg(j, J_AAX + 1), jg(j, J_AAX + 2));
  r0x = oX; r0y = oY; r0z = oZ;
  turn(1, jg(j, J_ABX), jg(j, J_ABX + 1), jg(j, J_ABX + 2));
  r1x = oX; r1y = oY; r1z = oZ;
}

/**
 * The positional step: A's anchor point towards B's by c along unit n (Q16; c Q32, may be
 * negative), split by generalized inverse mass (see the module comment).
 */
function solvePoint(c: i64, nx: i64, ny: i64, nz: i64, invH: i64): void {
  let w: i64 = 0;
  let k0x: i64 = 0, k0y: i64 = 0, k0z: i64 = 0, k1x: i64 = 0, k1y: i64 = 0, k1z: i64 = 0;
  if (mv0) { wPoint(s0, r0x >> 16, r0y >> 16, r0z >> 16, nx, ny, nz); w += wOut; k0x = aX; k0y = aY; k0z = aZ; }
  if (mv1) { wPoint(s1, r1x >> 16, r1y >> 16, r1z >> 16, nx, ny, nz); w += wOut; k1x = aX; k1y = aY; k1z = aZ; }
  if (w <= 0) return;
  const lam = (c << 16) / w;                              // Q32 kg m
  if (mv0) {
    const l = q16(lam * g64(P_INV_MASS, s0));
    shift(s0, 0, q16(l * nx), q16(l * ny), q16(l * nz), q16(lam * k0x), q16(lam * k0y), q16(lam * k0z), invH);
  }
  if (mv1) {
    const l = q16(lam * g64(P_INV_MASS, s1));
    shift(s1, 1, -q16(l * nx), -q16(l * ny), -q16(l * nz), -q16(lam * k1x), -q16(lam * k1y), -q16(lam * k1z), invH);
  }
}

// The point response matrix K of the last addResponse calls (Q16, row-major 3 x 3).
let K00: i64 = 0, K01: i64 = 0, K02: i64 = 0, K11: i64 = 0, K12: i64 = 0, K22: i64 = 0;

/**
 * Adds moving body s's point response at arm r (Q16) to K: K e_k = e_k / m + (I^-1 (r x e_k)) x r,
 * how far the point moves per unit impulse along each axis (symmetric).
 */
function addResponse(s: i32, rx_: i64, ry_: i64, rz_: i64): void {
  const im = g64(P_INV_MASS, s);
  // column x: r x e_x = (0, rz, -ry)
  invInertiaMul(s, 0, rz_, -ry_);
  K00 += im + q16(kY * rz_ - kZ * ry_);
  K01 += q16(kZ * rx_ - kX * rz_);
  K02 += q16(kX * ry_ - kY * rx_);
  // column y: r x e_y = (-rz, 0, rx)
  invInertiaMul(s, -rz_, 0, rx_);
  K11 += im + q16(kZ * rx_ - kX * rz_);
  K12 += q16(kX * ry_ - kY * rx_);
  // column z: r x e_z = (ry, -rx, 0)
  invInertiaMul(s, ry_, -rx_, 0);
  K22 += im + q16(kX * ry_ - kY * rx_);
}

/** Bits needed for |x| (0 for 0). */
// @ts-ignore: decorator
@inline function bitsOf(x: i64): i32 { return 64 - <i32>clz<i64>(x < 0 ? -x : x); }

/**
 * The positional step of a ball (hinge, fixed) joint: the impulse P = K^-1 e (K = K_A + K_B,
 * the two points' response matrices; e = B's point minus A's, Q32) moves A's point onto B's in
 * one step whatever the lever arms (a single direction along e, the paper's eq. 2-5, diverges
 * for a small body on a long arm: its rotation moves the point sideways more than along e).
 * K^-1 by cofactors with K scaled to 15 bits (an SPD 3 x 3 matrix: the error left by rounding
 * is taken up by the next substep).
 */
function solvePoint3(ex: i64, ey: i64, ez: i64, invH: i64): void {
  K00 = 0; K01 = 0; K02 = 0; K11 = 0; K12 = 0; K22 = 0;
  if (mv0) addResponse(s0, r0x >> 16, r0y >> 16, r0z >> 16);
  if (mv1) addResponse(s1, r1x >> 16, r1y >> 16, r1z >> 16);
  const m = bitsOf(K00 | K11 | K22 | (K01 < 0 ? -K01 : K01) | (K02 < 0 ? -K02 : K02) | (K12 < 0 ? -K12 : K12));
  const sh = m > 15 ? m - 15 : 0;
  const a = K00 >> sh, b = K01 >> sh, c = K02 >> sh, d = K11 >> sh, e = K12 >> sh, f = K22 >> sh;
  // cofactors of the symmetric [[a b c] [b d e] [c e f]]
  const c00 = d * f - e * e, c01 = c * e - b * f, c02 = b * e - c * d;
  const c11 = a * f - c * c, c12 = b * c - a * e, c22 = a * d - b * b;
  const det = a * c00 + b * c01 + c * c02;
  if (det <= 0) {
    const l = len32(ex, ey, ez);
    if (l > 0) solvePoint(l, (ex << 16) / l, (ey << 16) / l, (ez << 16) / l, invH);
    return;
  }
  // K'^-1 * 2^30, then P = K^-1 e in Q32 (see the scaling in the comment above: K' = K 2^-sh)
  const i00 = (c00 << 30) / det, i01 = (c01 << 30) / det, i02 = (c02 << 30) / det;
  const i11 = (c11 << 30) / det, i12 = (c12 << 30) / det, i22 = (c22 << 30) / det;
  // e at Q24 keeps the products in range (|K'^-1| < 2^30 times |e| < 2^31 at 128 m)
  const x = ex >> 8, y = ey >> 8, z = ez >> 8;
  const t = 6 + sh;                                          // Q24 * 2^30 * 2^-(16 - sh) ... to Q32
  const px = (i00 * x + i01 * y + i02 * z) >> t, py = (i01 * x + i11 * y + i12 * z) >> t, pz = (i02 * x + i12 * y + i22 * z) >> t;
  if (mv0) {
    const im = g64(P_INV_MASS, s0);
    const rx_ = r0x >> 16, ry_ = r0y >> 16, rz_ = r0z >> 16;
    invInertiaMul(s0, q16(ry_ * pz - rz_ * py), q16(rz_ * px - rx_ * pz), q16(rx_ * py - ry_ * px));
    shift(s0, 0, q16(px * im), q16(py * im), q16(pz * im), kX, kY, kZ, invH);
  }
  if (mv1) {
    const im = g64(P_INV_MASS, s1);
    const rx_ = r1x >> 16, ry_ = r1y >> 16, rz_ = r1z >> 16;
    invInertiaMul(s1, q16(ry_ * pz - rz_ * py), q16(rz_ * px - rx_ * pz), q16(rx_ * py - ry_ * px));
    shift(s1, 1, -q16(px * im), -q16(py * im), -q16(pz * im), -kX, -kY, -kZ, invH);
  }
}

/** The angular step: A turns by c about unit n (Q16; c Q32 rad, may be negative) relative to B, split by inverse inertia. */
function solveAngle(c: i64, nx: i64, ny: i64, nz: i64, invH: i64): void {
  let w: i64 = 0;
  let k0x: i64 = 0, k0y: i64 = 0, k0z: i64 = 0, k1x: i64 = 0, k1y: i64 = 0, k1z: i64 = 0;
  if (mv0) { wAngle(s0, nx, ny, nz); w += wOut; k0x = aX; k0y = aY; k0z = aZ; }
  if (mv1) { wAngle(s1, nx, ny, nz); w += wOut; k1x = aX; k1y = aY; k1z = aZ; }
  if (w <= 0) return;
  const lam = (c << 16) / w;
  if (mv0) shift(s0, 0, 0, 0, 0, q16(lam * k0x), q16(lam * k0y), q16(lam * k0z), invH);
  if (mv1) shift(s1, 1, 0, 0, 0, -q16(lam * k1x), -q16(lam * k1y), -q16(lam * k1z), invH);
}

/** Turns A onto B by the rotation vector (ex, ey, ez) (Q32 rad): solveAngle along its direction. */
function solveRotation(ex: i64, ey: i64, ez: i64, invH: i64): void {
  const c = len32(ex, ey, ez);
  if (c == 0) return;
  solveAngle(c, (ex << 16) / c, (ey << 16) / c, (ez << 16) / c, invH);
}

// Joint frame axis of the last frameAxis call on each end (Q32) and the hinge angle.
let fx0: i64 = 0, fy0: i64 = 0, fz0: i64 = 0, fx1: i64 = 0, fy1: i64 = 0, fz1: i64 = 0;

/** Axis k of the joint frame on both ends (0: the joint axis, 1: the reference direction, 2: their cross product), Q32. */
function frameAxis(j: i32, k: i32): void {
  let ax = jg(j, J_XAX), ay = jg(j, J_XAX + 1), az = jg(j, J_XAX + 2);
  let bx = jg(j, J_XBX), by = jg(j, J_XBX + 1), bz = jg(j, J_XBX + 2);
  if (k >= 1) {
    const cx = jg(j, J_RAX), cy = jg(j, J_RAX + 1), cz = jg(j, J_RAX + 2);
    const dx = jg(j, J_RBX), dy = jg(j, J_RBX + 1), dz = jg(j, J_RBX + 2);
    if (k == 1) { ax = cx; ay = cy; az = cz; bx = dx; by = dy; bz = dz; }
    else {
      const ex = q16(ay * cz - az * cy), ey = q16(az * cx - ax * cz), ez = q16(ax * cy - ay * cx);
      const gx = q16(by * dz - bz * dy), gy = q16(bz * dx - bx * dz), gz = q16(bx * dy - by * dx);
      ax = ex; ay = ey; az = ez; bx = gx; by = gy; bz = gz;
    }
  }
  turn(0, ax, ay, az); fx0 = oX; fy0 = oY; fz0 = oZ;
  turn(1, bx, by, bz); fx1 = oX; fy1 = oY; fz1 = oZ;
}

/** a x b for Q32 vectors (a taken at Q16), Q32. */
let cX: i64 = 0, cY: i64 = 0, cZ: i64 = 0;
function cross32(ax: i64, ay: i64, az: i64, bx: i64, by: i64, bz: i64): void {
  const px = ax >> 16, py = ay >> 16, pz = az >> 16;
  cX = q16(py * bz - pz * by); cY = q16(pz * bx - px * bz); cZ = q16(px * by - py * bx);
}

/** The hinge angle of joint j at the loaded state (Q16 rad): A relative to B about the axis (see the module comment). */
function hingeAngle(j: i32): i64 {
  frameAxis(j, 0);
  const axx = fx0, axy = fy0, axz = fz0;
  frameAxis(j, 1);
  cross32(fx1, fy1, fz1, fx0, fy0, fz0);                   // r_B x r_A
  const sn = q16((axx >> 16) * cX + (axy >> 16) * cY + (axz >> 16) * cZ);
  const cs = q16((fx0 >> 16) * fx1 + (fy0 >> 16) * fy1 + (fz0 >> 16) * fz1);
  return atan2(sn, cs);
}

/**
 * Gauss-Seidel sweeps over the joints per substep: a chain (a rope, a body welded to a body
 * welded to the world) passes a correction one joint per sweep, so one sweep left a 10 kg crate
 * welded to a beam welded to the world sagging 2.4 cm at 20 Hz; 4 sweeps hold it within 1 cm.
 * The motor runs in the last sweep only (a velocity step, not an iteration).
 */
// @ts-ignore: decorator
@inline const JOINT_ITERS: i32 = 4;

/** One joint's step of a substep (see the module comment); `motor`: run the hinge motor too. */
function solveJoint(j: i32, invH: i64, rate: i64, motor: bool): void {
  const kind = <i32>jg(j, J_KIND);
  const flags = <i32>jg(j, J_FLAGS);
  if (kind == JK_FIXED) {
    // the joint frames coincide: e = (x_A x x_B + y_A x y_B + z_A x z_B) / 2
    let ex: i64 = 0, ey: i64 = 0, ez: i64 = 0;
    for (let k = 0; k < 3; k++) {
      frameAxis(j, k);
      cross32(fx0, fy0, fz0, fx1, fy1, fz1);
      ex += cX; ey += cY; ez += cZ;
    }
    solveRotation(ex >> 1, ey >> 1, ez >> 1, invH);
  } else if (kind == JK_HINGE) {
    frameAxis(j, 0);
    cross32(fx0, fy0, fz0, fx1, fy1, fz1);                 // a_A x a_B
    solveRotation(cX, cY, cZ, invH);
    if (flags & JF_LIMITS) {
      const phi = hingeAngle(j);
      const lo = jg(j, J_LOWER), hi = jg(j, J_UPPER);
      const d = phi < lo ? lo - phi : (phi > hi ? hi - phi : 0);
      if (d != 0) {
        frameAxis(j, 0);
        const l = len32(fx0, fy0, fz0);
        if (l > 0) solveAngle(d << 16, (fx0 << 16) / l, (fy0 << 16) / l, (fz0 << 16) / l, invH);
      }
    }
  }
  // positional part
  anchors(j);
  const dx = (bx1 + r1x) - (bx0 + r0x), dy = (by1 + r1y) - (by0 + r0y), dz = (bz1 + r1z) - (bz0 + r0z);
  const d = len32(dx, dy, dz);
  if (kind == JK_DISTANCE) {
    const lo = jg(j, J_MIN_LEN) << 16, hi = jg(j, J_MAX_LEN) << 16;
    const c = d < lo ? d - lo : (d > hi ? d - hi : 0);
    if (c != 0 && d > 0) solvePoint(c, (dx << 16) / d, (dy << 16) / d, (dz << 16) / d, invH);
  } else if (d > 0) {
    solvePoint3(dx, dy, dz, invH);
  }
  if (motor && kind == JK_HINGE && (flags & (JF_MOTOR | JF_TARGET)) != 0) hingeMotor(j, flags, invH, rate);
}

/**
 * The hinge motor (velocity level, after the positional step): the relative angular velocity of
 * A about the axis becomes MOTOR_SPEED, or with TARGET (TARGET - phi) * rate within
 * +-MOTOR_SPEED, by an impulse of at most MOTOR_MAX h (Q16 N m times the substep).
 */
function hingeMotor(j: i32, flags: i32, invH: i64, rate: i64): void {
  let speed = jg(j, J_MOTOR_SPEED) << 16;                   // Q32 rad/s
  if (flags & JF_TARGET) {
    const want = (jg(j, J_TARGET) - hingeAngle(j)) * rate << 16;
    speed = want > speed ? speed : (want < -speed ? -speed : want);
  }
  frameAxis(j, 0);
  const l = len32(fx0, fy0, fz0);
  if (l == 0) return;
  const nx = (fx0 << 16) / l, ny = (fy0 << 16) / l, nz = (fz0 << 16) / l;
  let wrel: i64 = 0, w: i64 = 0;
  let k0x: i64 = 0, k0y: i64 = 0, k0z: i64 = 0, k1x: i64 = 0, k1y: i64 = 0, k1z: i64 = 0;
  if (mv0) { wrel += q16(nx * lst(s0, S_OX) + ny * lst(s0, S_OY) + nz * lst(s0, S_OZ)); wAngle(s0, nx, ny, nz); w += wOut; k0x = aX; k0y = aY; k0z = aZ; }
  if (mv1) { wrel -= q16(nx * lst(s1, S_OX) + ny * lst(s1, S_OY) + nz * lst(s1, S_OZ)); wAngle(s1, nx, ny, nz); w += wOut; k1x = aX; k1y = aY; k1z = aZ; }
  if (w <= 0) return;
  let lam = ((speed - wrel) << 16) / w;                     // Q32 kg m^2 / s (angular impulse)
  const cap = (jg(j, J_MOTOR_MAX) << 16) / invH;            // MOTOR_MAX * h, Q32
  if (lam > cap) lam = cap; else if (lam < -cap) lam = -cap;
  if (mv0) { sst(s0, S_OX, lst(s0, S_OX) + q16(lam * k0x)); sst(s0, S_OY, lst(s0, S_OY) + q16(lam * k0y)); sst(s0, S_OZ, lst(s0, S_OZ) + q16(lam * k0z)); }
  if (mv1) { sst(s1, S_OX, lst(s1, S_OX) - q16(lam * k1x)); sst(s1, S_OY, lst(s1, S_OY) - q16(lam * k1y)); sst(s1, S_OZ, lst(s1, S_OZ) - q16(lam * k1z)); }
}

/** Loads both ends of joint j; false when neither moves this tick (or an end is gone). */
function loadJoint(j: i32, inTick: bool): bool {
  if (jg(j, J_KIND) == 0) return false;
  const a = <i32>jg(j, J_A), b = <i32>jg(j, J_B);
  if (!liveAs(a, jg(j, J_A_GEN))) return false;
  if (b >= 0 && !liveAs(b, jg(j, J_B_GEN))) return false;
  loadEnd(0, a, inTick);
  loadEnd(1, b, inTick);
  return true;
}

/**
 * The joints' step of a substep (solver.ts solvePass, after the position pass's corrections are
 * applied): every joint in index order, Gauss-Seidel (see the module comment).
 */
export function jointsPosition(): void {
  const hw = <i32>hdr(H_JOINT_HIGH_WATER);
  const invH = hdr(H_INV_H), rate = hdr(H_TICK_RATE);
  for (let it = 0; it < JOINT_ITERS; it++) {
    for (let j = 0; j < hw; j++) {
      if (!loadJoint(j, true) || (!mv0 && !mv1)) continue;
      solveJoint(j, invH, rate, it == JOINT_ITERS - 1);
    }
  }
}

/**
 * Before the tick's contact list (step.ts worldStep): a sleeping end of a joint whose other end
 * is awake (or kinematic) wakes; two awake dynamic ends take the lesser of their rest counters
 * (sleep.ts), so they fall asleep together.
 */
export function jointsWake(): void {
  const hw = <i32>hdr(H_JOINT_HIGH_WATER);
  for (let j = 0; j < hw; j++) {
    if (jg(j, J_KIND) == 0) continue;
    const a = <i32>jg(j, J_A), b = <i32>jg(j, J_B);
    if (b < 0 || !liveAs(a, jg(j, J_A_GEN)) || !liveAs(b, jg(j, J_B_GEN))) continue;
    const aa = active(a), ba = active(b);
    if (aa && !ba && g32(P_KIND, b) == KIND_DYNAMIC) wake(b);
    else if (ba && !aa && g32(P_KIND, a) == KIND_DYNAMIC) wake(a);
    if (g32(P_KIND, a) == KIND_DYNAMIC && g32(P_KIND, b) == KIND_DYNAMIC && active(a) && active(b)) {
      const ca = g32(P_SLEEP_COUNT, a), cb = g32(P_SLEEP_COUNT, b);
      const m = ca < cb ? ca : cb;
      s32(P_SLEEP_COUNT, a, m); s32(P_SLEEP_COUNT, b, m);
    }
  }
}

// ---- creation, removal, queries ----

/** Inverse rotation of a Q16 vector by body s's orientation (the world end and statics: none), into rx.. */
function toLocal(s: i32, vx: i64, vy: i64, vz: i64): void {
  if (s < 0 || g32(P_KIND, s) == KIND_STATIC) { rx = vx; ry = vy; rz = vz; return; }
  rotate(-g64(P_QX, s), -g64(P_QY, s), -g64(P_QZ, s), g64(P_QW, s), vx, vy, vz);
}

/** World position (raw) of a local anchor of body s (the world end: the point itself), into rx.. */
function toWorld(s: i32, vx: i64, vy: i64, vz: i64): void {
  if (s < 0) { rx = vx; ry = vy; rz = vz; return; }
  if (g32(P_KIND, s) != KIND_STATIC) {
    rotate(g64(P_QX, s), g64(P_QY, s), g64(P_QZ, s), g64(P_QW, s), vx, vy, vz);
    vx = rx; vy = ry; vz = rz;
  }
  rx = g64(P_PX, s) + vx; ry = g64(P_PY, s) + vy; rz = g64(P_PZ, s) + vz;
}

/** Whether body s still has a joint other than entry `except`. */
function hasJoint(s: i32, except: i32): bool {
  const hw = <i32>hdr(H_JOINT_HIGH_WATER);
  for (let j = 0; j < hw; j++) {
    if (j == except || jg(j, J_KIND) == 0) continue;
    if (<i32>jg(j, J_A) == s || <i32>jg(j, J_B) == s) return true;
  }
  return false;
}

/**
 * Creates a joint from the definition at BODY_DEF (JOINT words, see world-layout.ts JOINT):
 * A = a body handle, B = a body handle or -1 (the world); anchors in the bodies' own frames
 * (B's a world point for the world; flag AUTO_B: where A's anchor is now); the axis XA.. in
 * world coordinates (hinge: required; fixed: optional, default x; the reference direction is
 * chosen perpendicular to it, so angles count from the pose at creation); a distance joint's
 * MIN_LEN / MAX_LEN (AUTO_LEN: both its length now). Wakes both ends. Returns the joint's
 * handle (GEN << 32 | index: the lowest free entry) or ERR_STALE_HANDLE (an end is not a
 * live body), ERR_BAD_JOINT (unknown kind, no dynamic end, A = B, a zero hinge axis, limits
 * or lengths out of order, a negative motor torque), ERR_JOINTS_FULL (no free entry).
 */
export function jointCreate(): i64 {
  const kind = <i32>defW(J_KIND);
  let flags = <i32>defW(J_FLAGS);
  if (kind < JK_FIXED || kind > JK_DISTANCE) return ERR_BAD_JOINT;
  const a = slotOf(defW(J_A));
  if (a < 0) return ERR_STALE_HANDLE;
  const hb = defW(J_B);
  const b = hb < 0 ? -1 : slotOf(hb);
  if (hb >= 0 && b < 0) return ERR_STALE_HANDLE;
  if (a == b) return ERR_BAD_JOINT;
  if (g32(P_KIND, a) != KIND_DYNAMIC && (b < 0 || g32(P_KIND, b) != KIND_DYNAMIC)) return ERR_BAD_JOINT;
  if (flags & JF_LIMITS && defW(J_LOWER) > defW(J_UPPER)) return ERR_BAD_JOINT;
  if (defW(J_MOTOR_MAX) < 0 || (flags & JF_TARGET && defW(J_MOTOR_SPEED) < 0)) return ERR_BAD_JOINT;
  // the axis (world), normalized, and a reference direction perpendicular to it
  let ux = defW(J_XAX), uy = defW(J_XAX + 1), uz = defW(J_XAX + 2);
  if ((ux | uy | uz) == 0) {
    if (kind == JK_HINGE) return ERR_BAD_JOINT;
    ux = ONE; uy = 0; uz = 0;
  }
  const ul = len16(ux, uy, uz);
  ux = (ux << 16) / ul; uy = (uy << 16) / ul; uz = (uz << 16) / ul;
  // the world axis least aligned with u, crossed with u
  const ax = ux < 0 ? -ux : ux, ay = uy < 0 ? -uy : uy, az = uz < 0 ? -uz : uz;
  let px: i64 = 0, py: i64 = 0, pz: i64 = 0;
  if (ax <= ay && ax <= az) { py = uz; pz = -uy; } else if (ay <= az) { px = -uz; pz = ux; } else { px = uy; py = -ux; }
  const pl = len16(px, py, pz);
  px = (px << 16) / pl; py = (py << 16) / pl; pz = (pz << 16) / pl;
  // anchors
  let bax = defW(J_ABX), bay = defW(J_ABX + 1), baz = defW(J_ABX + 2);
  toWorld(a, defW(J_AAX), defW(J_AAX + 1), defW(J_AAX + 2));
  const wax = rx, way = ry, waz = rz;
  if (flags & JF_AUTO_B) {
    if (b < 0) { bax = wax; bay = way; baz = waz; }
    else { toLocal(b, wax - g64(P_PX, b), way - g64(P_PY, b), waz - g64(P_PZ, b)); bax = rx; bay = ry; baz = rz; }
  }
  let lo = defW(J_MIN_LEN), hi = defW(J_MAX_LEN);
  if (kind == JK_DISTANCE) {
    if (flags & JF_AUTO_LEN) {
      toWorld(b, bax, bay, baz);
      lo = len16(rx - wax, ry - way, rz - waz); hi = lo;
    }
    if (lo < 0 || hi < lo || hi <= 0) return ERR_BAD_JOINT;
  }
  // the entry: the lowest free one
  const hw = <i32>hdr(H_JOINT_HIGH_WATER);
  let e = 0;
  while (e < hw && jg(e, J_KIND) != 0) e++;
  if (<i64>e >= hdr(H_JOINT_CAPACITY)) return ERR_JOINTS_FULL;
  const gen: i64 = e < hw ? jg(e, J_GEN) + 1 : 0;
  memory.copy(jAt(e), P_BODY_DEF, <usize>JOINT_BYTES);
  flags &= JF_LIMITS | JF_MOTOR | JF_TARGET;
  js(e, J_FLAGS, flags);
  js(e, J_A, a); js(e, J_A_GEN, g32(P_GENERATION, a));
  js(e, J_B, b); js(e, J_B_GEN, b < 0 ? 0 : g32(P_GENERATION, b));
  js(e, J_GEN, gen);
  js(e, J_ABX, bax); js(e, J_ABX + 1, bay); js(e, J_ABX + 2, baz);
  toLocal(a, ux, uy, uz); js(e, J_XAX, rx); js(e, J_XAX + 1, ry); js(e, J_XAX + 2, rz);
  toLocal(b, ux, uy, uz); js(e, J_XBX, rx); js(e, J_XBX + 1, ry); js(e, J_XBX + 2, rz);
  toLocal(a, px, py, pz); js(e, J_RAX, rx); js(e, J_RAX + 1, ry); js(e, J_RAX + 2, rz);
  toLocal(b, px, py, pz); js(e, J_RBX, rx); js(e, J_RBX + 1, ry); js(e, J_RBX + 2, rz);
  js(e, J_MIN_LEN, kind == JK_DISTANCE ? lo : 0); js(e, J_MAX_LEN, kind == JK_DISTANCE ? hi : 0);
  if (e == hw) setHdr(H_JOINT_HIGH_WATER, hw + 1);
  markEnd(a); markEnd(b);
  return (gen << 32) | <i64>e;
}

/** Flags a joint's end as jointed and wakes it (the world end: nothing). */
function markEnd(s: i32): void {
  if (s < 0 || g32(P_KIND, s) == KIND_STATIC) return;
  s32(P_FLAGS, s, g32(P_FLAGS, s) | FLAG_JOINTED);
  if (g32(P_KIND, s) == KIND_DYNAMIC) wake(s);
}

/** Entry of a joint handle, or -1 when it is stale. */
function entryOf(handle: i64): i32 {
  const e = <i32>(handle & 0xFFFFFFFF);
  if (handle < 0 || <i64>e >= hdr(H_JOINT_HIGH_WATER) || jg(e, J_KIND) == 0 || jg(e, J_GEN) != (handle >>> 32)) return -1;
  return e;
}

/** Frees entry e: its ends lose FLAG_JOINTED when it was their last joint and wake; the record is cleared but for its generation. */
function freeJoint(e: i32): void {
  const gen = jg(e, J_GEN);
  const a = <i32>jg(e, J_A), b = <i32>jg(e, J_B);
  const aLive = liveAs(a, jg(e, J_A_GEN)), bLive = b >= 0 && liveAs(b, jg(e, J_B_GEN));
  memory.fill(jAt(e), 0, <usize>JOINT_BYTES);
  js(e, J_GEN, gen);
  if (aLive && !hasJoint(a, e)) s32(P_FLAGS, a, g32(P_FLAGS, a) & ~FLAG_JOINTED);
  if (bLive && !hasJoint(b, e)) s32(P_FLAGS, b, g32(P_FLAGS, b) & ~FLAG_JOINTED);
  if (aLive && g32(P_KIND, a) == KIND_DYNAMIC) wake(a);
  if (bLive && g32(P_KIND, b) == KIND_DYNAMIC) wake(b);
  let hw = <i32>hdr(H_JOINT_HIGH_WATER);
  while (hw > 0 && jg(hw - 1, J_KIND) == 0) hw--;
  setHdr(H_JOINT_HIGH_WATER, hw);
}

/** Removes a joint (its ends wake). Returns 0 or ERR_STALE_HANDLE. */
export function jointRemove(handle: i64): i64 {
  const e = entryOf(handle);
  if (e < 0) return ERR_STALE_HANDLE;
  freeJoint(e);
  return 0;
}

/**
 * A joint's measure in the current state (between ticks): a hinge's angle (raw rad, A relative
 * to B about the axis, 0 at creation), a distance joint's length (raw m), 0 for the others.
 * ERR_STALE_HANDLE for a stale handle (a raw angle is never below -pi, so no measure is mistaken for it).
 */
export function jointMeasure(handle: i64): i64 {
  const e = entryOf(handle);
  if (e < 0) return ERR_STALE_HANDLE;
  if (!loadJoint(e, false)) return 0;
  const kind = <i32>jg(e, J_KIND);
  if (kind == JK_HINGE) return hingeAngle(e);
  if (kind == JK_DISTANCE) {
    anchors(e);
    return len32((bx1 + r1x) - (bx0 + r0x), (by1 + r1y) - (by0 + r0y), (bz1 + r1z) - (bz0 + r0z)) >> 16;
  }
  return 0;
}

/**
 * Removes a body and, first, every joint it is an end of (world.ts bodyRemove otherwise).
 * Returns 0 or ERR_STALE_HANDLE.
 */
export function bodyRemove(handle: i64): i64 {
  const slot = slotOf(handle);
  if (slot < 0) return ERR_STALE_HANDLE;
  if (g32(P_FLAGS, slot) & FLAG_JOINTED) {
    const hw = <i32>hdr(H_JOINT_HIGH_WATER);
    const gen = <i64>g32(P_GENERATION, slot);
    for (let j = 0; j < hw; j++) {
      if (jg(j, J_KIND) == 0) continue;
      if ((<i32>jg(j, J_A) == slot && jg(j, J_A_GEN) == gen) || (<i32>jg(j, J_B) == slot && jg(j, J_B_GEN) == gen)) freeJoint(j);
    }
  }
  return worldBodyRemove(handle);
}

/**
 * A shard world's joints (src/physics/sharded.ts copies the registry's records into it, each
 * body end as (slot in the whole world << 32) | that slot): after its sync (shard.ts), every
 * end gets the local slot the shard world holds the body on in its low 32 bits, -1 when it
 * holds none (the joint is skipped: joints.ts reads the low half as the slot). `map` is the
 * shard's LOCAL table (1 + local slot per slot of the whole world, 0 = not held). A skipped
 * joint only ever belongs to a ghost far from the shard's own bodies (see the module comment).
 */
export function jointsLocalize(map: usize): void {
  const hw = <i32>hdr(H_JOINT_HIGH_WATER);
  for (let j = 0; j < hw; j++) {
    if (jg(j, J_KIND) == 0) continue;
    for (let w = J_A; w <= J_B; w += J_B - J_A) {
      const g = <i32>(jg(j, w) >> 32);
      if (g < 0) continue;                                  // the world end
      const l = load<i32>(map + (<usize>g << 2)) - 1;
      js(j, w, (<i64>g << 32) | <i64><u32>l);
    }
  }
}

/** Whether a jointed body's orientation advances by its solved rotation (solver.ts finishTick): every jointed non-box body. */
// @ts-ignore: decorator
@inline export function jointedNonBox(i: i32, flags: i32): bool {
  return (flags & FLAG_JOINTED) != 0 && g32(P_SHAPE, i) != SHAPE_BOX;
}
