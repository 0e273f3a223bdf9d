/**
 * Q16.16 fixed point in plain JavaScript numbers: the "what would a careful JavaScript
 * port cost" baseline of the math benchmark (bench/math.bench.ts). Not used by the
 * simulation.
 *
 * Format
 * ------
 * A value v is the int32 `raw = v * 2^16` (range [-32768, 32768 - 2^-16], ulp 2^-16), stored
 * in an Int32Array. Every function rounds like its Q47.16 twin in assembly/math/: to
 * nearest, ties away from zero, once, at the end.
 *
 * Arithmetic
 * ----------
 * Intermediates are exact integers held in numbers. Two kinds of operation are used:
 * - int32 bit operations (`>>`, `<<`, `|`, `Math.clz32`) where every value fits 32 bits
 *   (sqrt, the CORDIC vector of atan2);
 * - float64 `+ - *` on integers whose magnitude stays below 2^53, where IEEE arithmetic is
 *   exact; each function states the bound it keeps. Division by a power of two followed by
 *   `Math.floor` is then an exact shift. No float result is ever rounded to an approximation.
 * `mul` splits its operands into 16-bit halves so that it is exact for every int32 pair
 * (the 62-bit product never exists as one number).
 *
 * Algorithms are those of the WebAssembly core, scaled to 32 bits, so the benchmark
 * compares engines rather than methods:
 *
 *   function      Q47.16 core (assembly/math/)              here (Q16.16)
 *   mul           i64 product, roundShift 16                16-bit split product, round
 *   div           i64 divide, remainder rounding            exact integer divide via float64
 *   sqrt          digit-by-digit, 8 extra bit pairs         same, all int32
 *   sin           reduce in Q48, Taylor deg 11/10 in Q30    reduce in Q52 (Cody-Waite 2-part
 *                                                           pi/2), Taylor deg 11/10 in Q26
 *   atan2         CORDIC 24 steps, vector in [2^40, 2^41)   CORDIC 24 steps, vector in
 *                                                           [2^28, 2^29), same Q30 table
 *   normalize     largest comp to [2^30, 2^31), L in Q15    largest comp to [2^24, 2^25),
 *                 (46 root steps)                           L in Q10 (35 root steps)
 *   quat mul      4 products summed, rounded once           same (sums < 2^53)
 *   quat rotate   t in Q24, sum in Q40, rounded once        same (sums < 2^53)
 *
 * On the benchmark's inputs mul, div, sqrt, quaternion mul and rotate give bit-identical
 * results to the core (both are correctly rounded or compute the same exact sums); sin,
 * atan2 and normalize carry fewer guard bits and can differ by 1 ulp (the suite measures
 * and records how often).
 *
 * Vector results go to module-level result registers (as assembly/math/registers.ts), so
 * nothing allocates in the kernels.
 */

/** 1.0 in raw Q16.16. */
export const ONE = 65536;
/** Largest raw Q16.16 value (division by zero saturates to it). */
export const MAX = 0x7fffffff;
/** Smallest raw Q16.16 value. */
export const MIN = -0x80000000;

const TWO_16 = 65536;
const TWO_26 = 67108864;
const INV_2_10 = 1 / 1024;
const INV_2_16 = 1 / 65536;
const INV_2_24 = 1 / 16777216;
const INV_2_26 = 1 / 67108864;
const INV_2_14 = 1 / 16384;

// Result registers of the vector functions (read right after the call).
let rx = 0;
let ry = 0;
let rz = 0;
let rw = 0;

/*
 * Rounding shifts: round(p / 2^s), ties away from zero, for integers |p| + 2^(s-1) < 2^53.
 * Multiplying by 2^-s is exact, so Math.floor gives the exact integer shift. `0 - q` keeps
 * +0 (a -0 would leave V8's small-integer representation).
 */
function roundShift10(p: number): number {
  return p < 0 ? 0 - Math.floor((512 - p) * INV_2_10) : Math.floor((p + 512) * INV_2_10);
}
function roundShift14(p: number): number {
  return p < 0 ? 0 - Math.floor((8192 - p) * INV_2_14) : Math.floor((p + 8192) * INV_2_14);
}
function roundShift16(p: number): number {
  return p < 0 ? 0 - Math.floor((32768 - p) * INV_2_16) : Math.floor((p + 32768) * INV_2_16);
}
function roundShift7(p: number): number {
  return p < 0 ? 0 - Math.floor((64 - p) * 0.0078125) : Math.floor((p + 64) * 0.0078125);
}
function roundShift24(p: number): number {
  return p < 0 ? 0 - Math.floor((8388608 - p) * INV_2_24) : Math.floor((p + 8388608) * INV_2_24);
}
function roundShift26(p: number): number {
  return p < 0 ? 0 - Math.floor((33554432 - p) * INV_2_26) : Math.floor((p + 33554432) * INV_2_26);
}

/**
 * Product a * b of raw Q16.16 values, correctly rounded (nearest, ties away from zero).
 * Exact for every int32 pair whose rounded product fits int32 (|a * b| < 2^31 real,
 * |a_raw * b_raw| < 2^47); outside it the rounded product wraps modulo 2^32.
 *
 * Method: with |a| = ah 2^16 + al and |b| = bh 2^16 + bl (16-bit halves),
 * |a b| / 2^16 = ah bh 2^16 + ah bl + al bh + al bl / 2^16, and only the last term is
 * fractional: round it as (al bl + 2^15) >>> 16 (al bl + 2^15 < 2^32). Every partial sum is
 * below 2^47, so the float64 adds are exact.
 */
export function mul(a: number, b: number): number {
  const ua = a < 0 ? -a : a;
  const ub = b < 0 ? -b : b;
  const ah = ua >>> 16,
    al = ua & 0xffff;
  const bh = ub >>> 16,
    bl = ub & 0xffff;
  const r = ah * bh * TWO_16 + ah * bl + al * bh + ((al * bl + 0x8000) >>> 16);
  return ((a ^ b) < 0 ? 0 - r : r) | 0;
}

/**
 * Rounded quotient n / d of integers (nearest, ties away from zero), |n| < 2^53,
 * 0 < |d| < 2^31. d == 0 saturates: MAX for n > 0, MIN for n < 0, 0 for 0 / 0.
 *
 * The float64 quotient has relative error <= 2^-53, so its floor is off by at most one;
 * the remainder r = |n| - q |d| is exact (|q d| < 2^53) and corrects it.
 */
export function divRound(n: number, d: number): number {
  if (d === 0) return n > 0 ? MAX : n < 0 ? MIN : 0;
  const an = n < 0 ? -n : n;
  const ad = d < 0 ? -d : d;
  let q = Math.floor(an / ad);
  let r = an - q * ad;
  if (r < 0) {
    q--;
    r += ad;
  } else if (r >= ad) {
    q++;
    r -= ad;
  }
  if (r >= ad - r) q++; // 2r >= |d|: round the magnitude up
  return n < 0 !== d < 0 ? 0 - q : q;
}

/**
 * Quotient a / b of raw Q16.16 values, correctly rounded (nearest, ties away from zero).
 * Exact whenever the result fits int32 (|a / b| < 32768); larger results wrap modulo 2^32.
 * b == 0 saturates to MAX / MIN by the sign of a (0 for 0 / 0).
 */
export function div(a: number, b: number): number {
  return divRound(a * TWO_16, b) | 0; // |a 2^16| < 2^47: exact
}

/**
 * sqrt(x) of a raw Q16.16 value, correctly rounded: raw result = round(sqrt(x_raw 2^16)).
 * x <= 0 gives 0.
 *
 * Digit-by-digit root as fixed.isqrtExtra: the bit pairs of x, then 8 zero pairs (the
 * 2^16 factor). The root stays below 2^24 and the remainder below 2 root + 1, so every
 * value fits int32. sqrt(N) > r + 1/2 exactly when rem > r (no ties).
 */
export function sqrt(x: number): number {
  if (x <= 0) return 0;
  let res = 0;
  let rem = 0;
  let s = (33 - Math.clz32(x)) & ~1; // bit length rounded up to even
  while (s > 0) {
    s -= 2;
    rem = (rem << 2) | ((x >>> s) & 3);
    const trial = (res << 2) | 1;
    res <<= 1;
    if (rem >= trial) {
      rem -= trial;
      res |= 1;
    }
  }
  for (let i = 0; i < 8; i++) {
    rem <<= 2;
    const trial = (res << 2) | 1;
    res <<= 1;
    if (rem >= trial) {
      rem -= trial;
      res |= 1;
    }
  }
  return rem > res ? res + 1 : res;
}

// ---------------------------------------------------------------------------------------
// sin / cos. Range reduction against pi/2 split in two parts (Cody & Waite, "Software
// Manual for the Elementary Functions", 1980): x 2^20 (Q36, < 2^51) minus n H36 is exact,
// then the low part L52 brings the reduced argument to Q52 (< 2^52). |n| < 20861, so the
// reduction error is below n 2^-53 rad. Taylor polynomials as trig.ts, in Q26 (products
// < 2^52).

/** round(pi / 2 * 2^36). */
const HALF_PI_Q36 = 107944301636;
/** round((pi / 2 * 2^36 - HALF_PI_Q36) * 2^16): the low part, in Q52. */
const HALF_PI_LO_Q52 = 11544;
/**
 * 2 / pi per raw unit: a float64 estimate of the quadrant n = round(x / (pi/2)). Only the
 * choice of n uses it; r = x - n pi/2 is then exact integer arithmetic, and an n one off
 * near a quadrant boundary only leaves |r| a few 2^-40 above pi/4, where the polynomials
 * are still accurate.
 */
const QUADRANT_PER_RAW = 2 / Math.PI / 65536;

// 1/k! in Q26.
const S3 = 11184811,
  S5 = 559241,
  S7 = 13315,
  S9 = 185,
  S11 = 2;
const C2 = 33554432,
  C4 = 2796203,
  C6 = 93207,
  C8 = 1664,
  C10 = 18;

/** Quadrant of the last reduce() call. */
let redQuadrant = 0;

/** Reduces x (raw Q16.16 radians, |x| < 2^31) to r (Q26, |r| <= pi/4 + 2^-40); sets redQuadrant. */
function reduce(x: number): number {
  const n = Math.round(x * QUADRANT_PER_RAW); // |n| < 20861
  const r52 = (x * 1048576 - n * HALF_PI_Q36) * TWO_16 - n * HALF_PI_LO_Q52;
  redQuadrant = n & 3;
  return roundShift26(r52);
}

function mulQ26(a: number, b: number): number {
  return roundShift26(a * b);
}

function sinPoly(r: number): number {
  const r2 = mulQ26(r, r);
  let p = S9 - mulQ26(S11, r2);
  p = S7 - mulQ26(p, r2);
  p = S5 - mulQ26(p, r2);
  p = S3 - mulQ26(p, r2);
  p = TWO_26 - mulQ26(p, r2);
  return mulQ26(p, r);
}

function cosPoly(r: number): number {
  const r2 = mulQ26(r, r);
  let p = C8 - mulQ26(C10, r2);
  p = C6 - mulQ26(p, r2);
  p = C4 - mulQ26(p, r2);
  p = C2 - mulQ26(p, r2);
  return TWO_26 - mulQ26(p, r2);
}

/**
 * sin(x), x and result raw Q16.16 (radians). Domain |x_raw| < 2^31 (every int32 but
 * -2^31). Error about 0.5 + 2^-9 ulp (final rounding plus a few Q26 ulps).
 */
export function sin(x: number): number {
  const r = reduce(x);
  const q = redQuadrant;
  const v = q & 1 ? cosPoly(r) : sinPoly(r);
  return roundShift10(q & 2 ? -v : v);
}

/** cos(x), x and result raw Q16.16 (radians). Same domain and error as sin. */
export function cos(x: number): number {
  const r = reduce(x);
  const q = redQuadrant;
  const v = q & 1 ? sinPoly(r) : cosPoly(r);
  return roundShift10((q + 1) & 2 ? -v : v);
}

// ---------------------------------------------------------------------------------------
// atan2: CORDIC in vectoring mode as trig.ts, the vector scaled to a largest component in
// [2^28, 2^29): with the CORDIC gain 1.647 and the sqrt(2) of the diagonal it stays below
// 2^31, so all vector arithmetic is int32. The angle is summed in Q30 from the same table
// (sums < 2^32, exact in float64).

/** pi / 2 in Q30. */
const HALF_PI_Q30 = 1686629713;
/** pi in Q30. */
const PI_Q30 = 3373259426;
/** atan(2^-i) in Q30 for i = 0..23 (the table of trig.ts). */
const ATAN_Q30 = new Int32Array([
  843314857, 497837829, 263043837, 133525159, 67021687, 33543516, 16775851, 8388437, 4194283, 2097149, 1048576, 524288, 262144, 131072, 65536, 32768, 16384,
  8192, 4096, 2048, 1024, 512, 256, 128,
]);
const TWO_30 = 1073741824;

/**
 * atan2(y, x): the angle of the vector (x, y) as raw Q16.16 radians in [-pi, pi]. Any
 * int32 inputs; atan2(0, 0) = 0, atan2(0, x < 0) = pi. Error about 0.5 + 2^-7 ulp (the
 * vector carries 28 bits instead of the core's 40).
 */
export function atan2(y: number, x: number): number {
  if ((x | y) === 0) return 0;
  const ax = x < 0 ? -x : x,
    ay = y < 0 ? -y : y;
  const bits = 32 - Math.clz32(ax > ay ? ax : ay); // 1..32
  let sx = x,
    sy = y;
  if (bits > 29) {
    sx >>= bits - 29;
    sy >>= bits - 29;
  } else {
    sx <<= 29 - bits;
    sy <<= 29 - bits;
  }
  let angle = 0;
  if (sx < 0) {
    if (sy >= 0) {
      const t = sx;
      sx = sy;
      sy = -t;
      angle = HALF_PI_Q30;
    } else {
      const t = sx;
      sx = -sy;
      sy = t;
      angle = -HALF_PI_Q30;
    }
  }
  for (let i = 0; i < 24; i++) {
    const dx = sy >> i,
      dy = sx >> i;
    const a = ATAN_Q30[i];
    if (sy > 0) {
      sx = (sx + dx) | 0;
      sy = (sy - dy) | 0;
      angle += a;
    } else {
      sx = (sx - dx) | 0;
      sy = (sy + dy) | 0;
      angle -= a;
    }
  }
  // residual ~ y / x, truncated like the core's i64 division (|sy 2^30| < 2^53, and a
  // quotient below 2^10 cannot be misrounded across an integer)
  angle += Math.trunc((sy * TWO_30) / sx);
  if (angle > PI_Q30) angle = PI_Q30;
  else if (angle < -PI_Q30) angle = -PI_Q30;
  return roundShift14(angle);
}

// ---------------------------------------------------------------------------------------
// normalize: as vec3.normalize4 with the largest component moved to [2^24, 2^25), so the
// squared length S < 3 * 2^50 is exact in float64; L = floor(sqrt(S) 2^10) (>= 2^34) by the
// digit-by-digit method on S split into two 26-bit halves (root < 2^36, remainder < 2^37,
// exact in float64); each component is round(c 2^26 / L) (c 2^26 < 2^51).

/** floor(sqrt(S * 4^extra)) for an integer 0 <= S < 2^52 held in a number. */
function isqrtExtra52(S: number, extra: number): number {
  const hi = Math.floor(S * INV_2_26);
  const lo = S - hi * TWO_26;
  let res = 0;
  let rem = 0;
  let s: number;
  if (hi > 0) {
    s = (33 - Math.clz32(hi)) & ~1;
    while (s > 0) {
      s -= 2;
      rem = rem * 4 + ((hi >>> s) & 3);
      const trial = res * 4 + 1;
      res *= 2;
      if (rem >= trial) {
        rem -= trial;
        res += 1;
      }
    }
    s = 26;
  } else {
    s = (33 - Math.clz32(lo)) & ~1;
  }
  while (s > 0) {
    s -= 2;
    rem = rem * 4 + ((lo >>> s) & 3);
    const trial = res * 4 + 1;
    res *= 2;
    if (rem >= trial) {
      rem -= trial;
      res += 1;
    }
  }
  for (let i = 0; i < extra; i++) {
    rem *= 4;
    const trial = res * 4 + 1;
    res *= 2;
    if (rem >= trial) {
      rem -= trial;
      res += 1;
    }
  }
  return res;
}

/**
 * a / |a| into the result registers (read with `result`), raw Q16.16 components of any
 * int32 scale but -2^31. Zero stays zero. Error about 0.5 + 2^-8 ulp per component (a
 * right shift of large components keeps 24 bits of direction).
 */
export function normalize(x: number, y: number, z: number): void {
  const ax = x < 0 ? -x : x,
    ay = y < 0 ? -y : y,
    az = z < 0 ? -z : z;
  let m = ax > ay ? ax : ay;
  if (az > m) m = az;
  if (m === 0) {
    rx = 0;
    ry = 0;
    rz = 0;
    return;
  }
  const bits = 32 - Math.clz32(m);
  if (bits > 25) {
    const k = bits - 25;
    x >>= k;
    y >>= k;
    z >>= k;
  } else {
    const k = 25 - bits;
    x <<= k;
    y <<= k;
    z <<= k;
  }
  const l = isqrtExtra52(x * x + y * y + z * z, 10);
  rx = divRound(x * TWO_26, l);
  ry = divRound(y * TWO_26, l);
  rz = divRound(z * TWO_26, l);
}

/**
 * Hamilton product a * b into the result registers, raw Q16.16 (w scalar). Each
 * component's four products are summed exactly and rounded once: exact while every raw
 * product sum is below 2^47 (e.g. components <= 2^22 raw; rotation quaternions have
 * components <= 1.0 = 2^16 raw); beyond that the result wraps modulo 2^32 (below 2^53)
 * or loses its low bits.
 */
export function qmul(ax: number, ay: number, az: number, aw: number, bx: number, by: number, bz: number, bw: number): void {
  rx = roundShift16(aw * bx + ax * bw + ay * bz - az * by) | 0;
  ry = roundShift16(aw * by - ax * bz + ay * bw + az * bx) | 0;
  rz = roundShift16(aw * bz + ax * by - ay * bx + az * bw) | 0;
  rw = roundShift16(aw * bw - ax * bx - ay * by - az * bz) | 0;
}

/**
 * Rotates v by the unit quaternion q into the result registers (x, y, z), raw Q16.16, with
 * the formula of quat.rotate: t = 2 (q.xyz x v) in Q24, v' = v + w t + q.xyz x t rounded
 * once from Q40. Exact twin of the core's arithmetic for |q components| <= 1.0 and
 * |v components| < 2^24 raw (256 m), where every sum stays below 2^53.
 */
export function qrotate(qx: number, qy: number, qz: number, qw: number, vx: number, vy: number, vz: number): void {
  const tx = roundShift7(qy * vz - qz * vy);
  const ty = roundShift7(qz * vx - qx * vz);
  const tz = roundShift7(qx * vy - qy * vx);
  rx = (vx + roundShift24(qw * tx + qy * tz - qz * ty)) | 0;
  ry = (vy + roundShift24(qw * ty + qz * tx - qx * tz)) | 0;
  rz = (vz + roundShift24(qw * tz + qx * ty - qy * tx)) | 0;
}

/** The result registers [x, y, z, w] of the last normalize / qmul / qrotate (allocates: not for loops). */
export function result(): [number, number, number, number] {
  return [rx, ry, rz, rw];
}

// ---------------------------------------------------------------------------------------
// Kernels: the loops of assembly/api/bench.ts over an Int32Array of raw Q16.16 inputs,
// returning the sum of the results (exact: fewer than 2^20 terms below 2^33).

/** Sum of mul(x[i], x[i + 1]) for i < n - 1. */
export function kernelMul(x: Int32Array, n: number): number {
  let acc = 0;
  for (let i = 0; i < n - 1; i++) acc += mul(x[i], x[i + 1]);
  return acc;
}

/** Sum of div(x[i], x[i + 1]) for i < n - 1. */
export function kernelDiv(x: Int32Array, n: number): number {
  let acc = 0;
  for (let i = 0; i < n - 1; i++) acc += div(x[i], x[i + 1]);
  return acc;
}

/** Sum of sqrt(|x[i]|) for i < n. */
export function kernelSqrt(x: Int32Array, n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    acc += sqrt(v < 0 ? -v : v);
  }
  return acc;
}

/** Sum of sin(x[i]) for i < n. */
export function kernelSin(x: Int32Array, n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += sin(x[i]);
  return acc;
}

/** Sum of atan2(x[i], x[i + 1]) for i < n - 1. */
export function kernelAtan2(x: Int32Array, n: number): number {
  let acc = 0;
  for (let i = 0; i < n - 1; i++) acc += atan2(x[i], x[i + 1]);
  return acc;
}

/** Sum of the components of normalize(x[i], x[i + 1], x[i + 2]) for i < n - 4. */
export function kernelV3Normalize(x: Int32Array, n: number): number {
  let acc = 0;
  for (let i = 0; i < n - 4; i++) {
    normalize(x[i], x[i + 1], x[i + 2]);
    acc += rx + ry + rz;
  }
  return acc;
}

/** Sum of the components of qmul(x[i..i+3], reversed x[i..i+3]) for i < n - 4. */
export function kernelQMul(x: Int32Array, n: number): number {
  let acc = 0;
  for (let i = 0; i < n - 4; i++) {
    const a = x[i],
      b = x[i + 1],
      c = x[i + 2],
      d = x[i + 3];
    qmul(a, b, c, d, d, c, b, a);
    acc += rx + ry + rz + rw;
  }
  return acc;
}

/** Sum of the components of qrotate(q = x[i..i+3], v = (x[i+3], x[i+2], x[i+1])) for i < n - 4. */
export function kernelQRotate(x: Int32Array, n: number): number {
  let acc = 0;
  for (let i = 0; i < n - 4; i++) {
    const a = x[i],
      b = x[i + 1],
      c = x[i + 2],
      d = x[i + 3];
    qrotate(a, b, c, d, d, c, b);
    acc += rx + ry + rz;
  }
  return acc;
}
