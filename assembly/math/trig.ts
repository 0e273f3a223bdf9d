// Trigonometry in Q47.16 radians, integer only.
//
// sin / cos
// ---------
// 1. Range reduction: x (Q16) is moved to Q48 (x << 32) and reduced by n = round(x / (pi/2))
//    against pi/2 rounded to Q48. For |x| < 2^15 rad (|x_raw| < 2^31) the reduced argument
//    r in [-pi/4, pi/4] is off by at most n * 2^-49 < 2^-34 rad.
// 2. Taylor polynomials in Q30 on r (degree 11 for sin, 10 for cos; the next terms are
//    < 2^-36 and < 2^-33 at pi/4), Horner form, every product rounded to Q30.
// 3. The quadrant n & 3 picks +-sin or +-cos; one rounding from Q30 to Q16.
// Max error: 0.5 ulp + 2^-10 ulp (final rounding plus a few Q30 ulps), for |x| < 2^15 rad.
// Outside that domain the result is deterministic but meaningless (the debug build asserts);
// the simulation keeps orientations as quaternions and never forms such angles.
//
// atan2
// -----
// CORDIC in vectoring mode: the input vector (scaled exactly or with relative error
// < 2^-40 to a magnitude in [2^40, 2^41)) is rotated onto the +x axis by +-atan(2^-i),
// i = 0..23, accumulating the angle in Q30 (table below, rounded from exact values). The
// residual angle (< 2^-23 rad) is added as y / x (its cube term < 2^-69). Result in
// [-pi, pi] (both ends as round(+-pi * 2^16); y = 0, x < 0 gives +pi), max error
// 0.5 ulp + 2^-10 ulp. atan2(0, 0) = 0.
//
// No floating point: this file is in the simulation path.

import { roundShift } from './fixed';

/** pi / 2 in Q48: round(pi / 2 * 2^48). */
// @ts-ignore: decorator
@inline const HALF_PI_Q48: i64 = 442139859501778;
/** pi / 2 in Q30. */
// @ts-ignore: decorator
@inline const HALF_PI_Q30: i64 = 1686629713;
/** pi in Q30. */
// @ts-ignore: decorator
@inline const PI_Q30: i64 = 3373259426;

// Taylor coefficients 1/k! in Q30.
// @ts-ignore: decorator
@inline const S3: i64 = 178956971;
// @ts-ignore: decorator
@inline const S5: i64 = 8947849;
// @ts-ignore: decorator
@inline const S7: i64 = 213044;
// @ts-ignore: decorator
@inline const S9: i64 = 2959;
// @ts-ignore: decorator
@inline const S11: i64 = 27;
// @ts-ignore: decorator
@inline const C2: i64 = 536870912;
// @ts-ignore: decorator
@inline const C4: i64 = 44739243;
// @ts-ignore: decorator
@inline const C6: i64 = 1491308;
// @ts-ignore: decorator
@inline const C8: i64 = 26631;
// @ts-ignore: decorator
@inline const C10: i64 = 296;
// @ts-ignore: decorator
@inline const ONE_Q30: i64 = 1073741824;

/** atan(2^-i) in Q30 for i = 0..23. */
const ATAN_TABLE = memory.data<i64>([
  843314857, 497837829, 263043837, 133525159, 67021687, 33543516, 16775851, 8388437,
  4194283, 2097149, 1048576, 524288, 262144, 131072, 65536, 32768,
  16384, 8192, 4096, 2048, 1024, 512, 256, 128,
]);
// @ts-ignore: decorator
@inline const CORDIC_STEPS: i32 = 24;

// @ts-ignore: decorator
@inline function mulQ30(a: i64, b: i64): i64 {
  return roundShift(a * b, 30);
}

/** Quadrant of the last reduce() call. */
let redQuadrant: i32 = 0;

/** Reduces x (Q16 rad) to r (Q30, |r| <= pi/4) and sets redQuadrant = n & 3. */
// @ts-ignore: decorator
@inline function reduce(x: i64): i64 {
  assert(x > -2147483648 && x < 2147483648, 'trig: |angle| must be < 32768 rad');
  const xq = x << 32;                                   // Q48
  // n = round(xq / (pi/2)), |n| < 2^15: truncate, then move r48 into [-pi/4, pi/4]
  // (no intermediate exceeds |xq| + pi/2, so nothing overflows in the domain)
  let n = xq / HALF_PI_Q48;
  let r48 = xq - n * HALF_PI_Q48;
  if (r48 > (HALF_PI_Q48 >> 1)) { n++; r48 -= HALF_PI_Q48; }
  else if (r48 < -(HALF_PI_Q48 >> 1)) { n--; r48 += HALF_PI_Q48; }
  redQuadrant = <i32>n & 3;
  return roundShift(r48, 18);                           // Q30
}

// @ts-ignore: decorator
@inline function sinPoly(r: i64): i64 {
  const r2 = mulQ30(r, r);
  let p = S9 - mulQ30(S11, r2);
  p = S7 - mulQ30(p, r2);
  p = S5 - mulQ30(p, r2);
  p = S3 - mulQ30(p, r2);
  p = ONE_Q30 - mulQ30(p, r2);
  return mulQ30(p, r);
}

// @ts-ignore: decorator
@inline function cosPoly(r: i64): i64 {
  const r2 = mulQ30(r, r);
  let p = C8 - mulQ30(C10, r2);
  p = C6 - mulQ30(p, r2);
  p = C4 - mulQ30(p, r2);
  p = C2 - mulQ30(p, r2);
  return ONE_Q30 - mulQ30(p, r2);
}

/**
 * sin(x), x in Q47.16 radians, result in Q47.16. Max error 0.5 + 2^-10 ulp for
 * |x| < 32768 rad (see the module comment for the method).
 */
export function sin(x: i64): i64 {
  const r = reduce(x);
  const q = redQuadrant;
  const v = (q & 1) ? cosPoly(r) : sinPoly(r);
  return roundShift(q & 2 ? -v : v, 14);
}

/**
 * cos(x), x in Q47.16 radians, result in Q47.16. Max error 0.5 + 2^-10 ulp for
 * |x| < 32768 rad.
 */
export function cos(x: i64): i64 {
  const r = reduce(x);
  const q = redQuadrant;
  const v = (q & 1) ? sinPoly(r) : cosPoly(r);
  // cos: q=0 cos, q=1 -sin, q=2 -cos, q=3 sin
  return roundShift(((q + 1) & 2) ? -v : v, 14);
}

/**
 * atan2(y, x): the angle of the vector (x, y) in Q47.16 radians, in [-pi, pi].
 * Any i64 inputs (only their ratio matters). atan2(0, 0) = 0. atan2(0, x < 0) = pi.
 * Max error 0.5 + 2^-10 ulp (CORDIC, see the module comment).
 */
export function atan2(y: i64, x: i64): i64 {
  if ((x | y) == 0) return 0;
  // scale so that max(|x|, |y|) is in [2^40, 2^41)
  const mx = x >> 63, my = y >> 63;
  const ax = <u64>((x ^ mx) - mx), ay = <u64>((y ^ my) - my);
  const m = ax > ay ? ax : ay;
  const bits = 64 - <i32>clz<u64>(m);
  let sx = x, sy = y;
  if (bits > 41) { sx >>= <i64>(bits - 41); sy >>= <i64>(bits - 41); }
  else { sx <<= <i64>(41 - bits); sy <<= <i64>(41 - bits); }
  // bring the vector into the right half-plane
  let angle: i64 = 0;
  if (sx < 0) {
    if (sy >= 0) { const t = sx; sx = sy; sy = -t; angle = HALF_PI_Q30; }
    else { const t = sx; sx = -sy; sy = t; angle = -HALF_PI_Q30; }
  }
  for (let i = 0; i < CORDIC_STEPS; i++) {
    const dx = sy >> <i64>i, dy = sx >> <i64>i;
    const a = load<i64>(ATAN_TABLE + (<usize>i << 3));
    if (sy > 0) { sx += dx; sy -= dy; angle += a; }
    else { sx -= dx; sy += dy; angle -= a; }
  }
  // residual angle ~ y / x (sx >= 2^40 here, |sy| <= sx * 2^-22)
  angle += (sy << 30) / sx;
  // the exact angle is in [-pi, pi]; keep the CORDIC's last-bit error inside that range
  if (angle > PI_Q30) angle = PI_Q30;
  else if (angle < -PI_Q30) angle = -PI_Q30;
  return roundShift(angle, 14);
}
