// Quaternions (x, y, z, w) in Q47.16 (w is the scalar part; identity = (0, 0, 0, ONE)).
// Results go to the result registers (registers.ts). No allocation.
//
// No floating point: this file is in the simulation path.

import { roundShift } from './fixed';
import { normalize4 } from './vec3';
import { setResult } from './registers';

/**
 * Hamilton product a * b into (rx, ry, rz, rw); each component's four products are summed
 * exactly and rounded once (correctly rounded while the raw sums fit in i64, e.g. all
 * components below 2^30 raw). Applying the result rotates by b first, then by a.
 */
export function mul(
  ax: i64, ay: i64, az: i64, aw: i64,
  bx: i64, by: i64, bz: i64, bw: i64,
): void {
  setResult(
    roundShift(aw * bx + ax * bw + ay * bz - az * by, 16),
    roundShift(aw * by - ax * bz + ay * bw + az * bx, 16),
    roundShift(aw * bz + ax * by - ay * bx + az * bw, 16),
    roundShift(aw * bw - ax * bx - ay * by - az * bz, 16),
  );
}

/** q / |q| into (rx, ry, rz, rw). Max error 0.5 + 2^-12 ulp per component; zero stays zero. */
// @ts-ignore: decorator
@inline export function normalize(x: i64, y: i64, z: i64, w: i64): void {
  normalize4(x, y, z, w);
}

/**
 * Rotates v by the unit quaternion q into (rx, ry, rz), with the formula
 *   t = 2 (q.xyz x v),  v' = v + w t + q.xyz x t
 * (the expansion of q v q*; e.g. Eberly, "Quaternion algebra and calculus"). t is kept in
 * Q24 (8 extra bits) and the sum rounded once: error <= 0.5 + 2^-6 ulp against the exact
 * value of the same formula. Domain: |q components| <= 1.0, |v components| < 2^31 raw.
 */
export function rotate(qx: i64, qy: i64, qz: i64, qw: i64, vx: i64, vy: i64, vz: i64): void {
  // t = 2 (q x v): products are Q32; * 2 then Q32 -> Q24 is a shift by 7
  const tx = roundShift(qy * vz - qz * vy, 7);
  const ty = roundShift(qz * vx - qx * vz, 7);
  const tz = roundShift(qx * vy - qy * vx, 7);
  // w t + q x t in Q40, back to Q16
  setResult(
    vx + roundShift(qw * tx + qy * tz - qz * ty, 24),
    vy + roundShift(qw * ty + qz * tx - qx * tz, 24),
    vz + roundShift(qw * tz + qx * ty - qy * tx, 24),
    0,
  );
}

/**
 * Integrates the orientation q by the angular velocity w (rad/s, Q47.16) over dt seconds
 * (Q47.16) into (rx, ry, rz, rw):
 *   q' = normalize(q + (dt / 2) (w, 0) * q)
 * the first-order update used by Box2D v3 and Rapier (exact solution: q' = exp(w dt / 2) q;
 * the angle error of this form is O(|w dt|^3)). w dt / 2 is kept in Q24 and the sum in Q40
 * before the normalization: error <= 0.5 + 2^-6 ulp against the exact value of the same
 * formula. Domain: |w_i dt| < 256 rad, |q| about 1.
 */
export function integrate(
  qx: i64, qy: i64, qz: i64, qw: i64,
  wx: i64, wy: i64, wz: i64, dt: i64,
): void {
  // h = w dt / 2: w dt is Q32; halving and Q32 -> Q24 is a shift by 9
  const hx = roundShift(wx * dt, 9);
  const hy = roundShift(wy * dt, 9);
  const hz = roundShift(wz * dt, 9);
  // (h, 0) * q in Q40, added to q in Q40
  normalize4(
    (qx << 24) + (hx * qw + hy * qz - hz * qy),
    (qy << 24) + (hy * qw + hz * qx - hx * qz),
    (qz << 24) + (hz * qw + hx * qy - hy * qx),
    (qw << 24) - (hx * qx + hy * qy + hz * qz),
  );
}
