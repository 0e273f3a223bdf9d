// Fixed-point scalar core: Q47.16 in i64.
//
// Format
// ------
// A value v is stored as the i64 `raw = v * 2^16`. One unit in the last place (ulp) is
// 2^-16 = 1.52587890625e-5 (15.3 micrometres for a length in metres). The range is
// [-2^47, 2^47 - 2^-16] = about +-1.4e14.
//
//    63      16 15        0
//   +----------+-----------+
//   | integer  | fraction  |   two's complement i64
//   +----------+-----------+
//
// Why 16 fractional bits (as Photon Quantum's FP): a product of two raw values is a plain
// i64 multiply (no 128-bit emulation) as long as |a * b| < 2^63 raw, i.e. |a * b| < 2^31 in
// real units, which covers every product of relative positions (|d| < 32 km), velocities
// (< 46 km/s) and masses the simulation forms. 15 um resolution is far below what a player
// sees. Functions that need more precision internally (sqrt, normalize, trig, rotations)
// carry extra bits in i64 intermediates and round once at the end.
//
// Rounding: every function that rounds does so to nearest, ties away from zero
// (so f(-a) == -f(a) for the odd functions mul, div, sin, ...; mirror-symmetric scenes
// stay mirror-symmetric). Errors below are in ulps of the result.
//
// Overflow: add/sub/neg wrap in two's complement (WebAssembly i64 semantics); mul and div
// document the exact domain where they are correctly rounded and what they return outside.
// Nothing here traps: division by zero saturates instead (a trap would kill a shard).
//
// No floating point: this file is in the simulation path.

/** Number of fractional bits of the Q47.16 format. */
// @ts-ignore: decorator
@inline export const FRAC_BITS: i32 = 16;
/** 1.0 in raw Q47.16. */
// @ts-ignore: decorator
@inline export const ONE: i64 = 65536;
/** 0.5 in raw Q47.16. */
// @ts-ignore: decorator
@inline export const HALF: i64 = 32768;
/** Largest representable raw value (2^47 - 2^-16 in real units). */
// @ts-ignore: decorator
@inline export const MAX: i64 = i64.MAX_VALUE;
/** Smallest representable raw value (-2^47 in real units). */
// @ts-ignore: decorator
@inline export const MIN: i64 = i64.MIN_VALUE;
/** pi in raw Q47.16: round(pi * 2^16) = 205887. */
// @ts-ignore: decorator
@inline export const PI: i64 = 205887;

/**
 * Shifts `p` right by `s` bits (1 <= s <= 62), rounding to nearest, ties away from zero.
 * Exact for the whole i64 range (|i64.MIN| is handled as the unsigned 2^63).
 */
// @ts-ignore: decorator
@inline export function roundShift(p: i64, s: i32): i64 {
  const m = p >> 63;                       // 0 or -1
  const a = <u64>((p ^ m) - m);            // |p| as u64 (2^63 for i64.MIN)
  const r = <i64>((a + (<u64>1 << <u64>(s - 1))) >> <u64>s);
  return (r ^ m) - m;
}

/**
 * p / 2^16 rounded to nearest, ties away from zero: roundShift(p, 16), in four operations and
 * without a branch, (p + 2^15 - [p < 0]) >> 16 (for p < 0 that is -((2^15 - p) >> 16)). The
 * collision and solver code rounds every product through it; written as a branch on the sign it
 * compiled to a jump that mispredicted about half the time (a box pile stepped 2x slower).
 * Domain |p| < 2^63 - 2^15.
 */
// @ts-ignore: decorator
@inline export function q16(p: i64): i64 { return (p + 0x8000 + (p >> 63)) >> 16; }

/** Integer `n` to Q47.16. Exact for every i32. */
// @ts-ignore: decorator
@inline export function fromInt(n: i32): i64 {
  return <i64>n << FRAC_BITS;
}

/** Floor of `x` as an integer (x >> 16). Exact. */
// @ts-ignore: decorator
@inline export function toIntFloor(x: i64): i64 {
  return x >> FRAC_BITS;
}

/** `x` rounded to the nearest integer, ties away from zero. Exact. */
// @ts-ignore: decorator
@inline export function toIntRound(x: i64): i64 {
  return roundShift(x, FRAC_BITS);
}

/** Wrapping sum (two's complement). */
// @ts-ignore: decorator
@inline export function add(a: i64, b: i64): i64 {
  return a + b;
}

/** Wrapping difference (two's complement). */
// @ts-ignore: decorator
@inline export function sub(a: i64, b: i64): i64 {
  return a - b;
}

/**
 * Product a * b, correctly rounded (nearest, ties away from zero).
 * Domain: exact when the raw product satisfies -2^63 <= a_raw * b_raw < 2^63
 * (|a * b| < 2^31 in real units). Outside it the raw product wraps modulo 2^64 first:
 * mul(a, b) = roundShift(wrap64(a_raw * b_raw), 16). Cost: one i64 multiply.
 */
// @ts-ignore: decorator
@inline export function mul(a: i64, b: i64): i64 {
  return roundShift(a * b, FRAC_BITS);
}

/**
 * Rounded quotient n / d of two i64 integers (nearest, ties away from zero).
 * d == 0 saturates: n > 0 -> i64.MAX, n < 0 -> i64.MIN, n == 0 -> 0.
 * i64.MIN / -1 wraps to i64.MIN. Never traps.
 */
export function divRound(n: i64, d: i64): i64 {
  if (d == 0) return n > 0 ? MAX : (n < 0 ? MIN : 0);
  if (d == -1) return -n;                       // wraps for i64.MIN, avoids the i64.div_s trap
  const q = n / d;
  const r = n % d;                              // sign of n, |r| < |d|
  const ar = <u64>(r < 0 ? -r : r);
  const ad = <u64>(d < 0 ? -d : d);             // d != i64.MIN handled: <u64> of MIN is 2^63
  // round away from zero when |r| >= |d| - |r|, i.e. 2|r| >= |d| (no overflow in u64)
  if (ar >= ad - ar) return q + (((n ^ d) >> 63) | 1);
  return q;
}

/**
 * Quotient a / b, correctly rounded (nearest, ties away from zero).
 * Domain: exact for |a| < 2^47 raw (|a| < 2^31 real), any b != 0. Outside it `a << 16`
 * wraps first. b == 0 saturates to MAX / MIN by the sign of a (0 for 0 / 0). Never traps.
 */
// @ts-ignore: decorator
@inline export function div(a: i64, b: i64): i64 {
  return divRound(a << FRAC_BITS, b);
}

/**
 * The ratio num / den as Q47.16, correctly rounded: round(num * 2^16 / den).
 * `num` and `den` are plain integers. Domain |num| < 2^47; den == 0 saturates like div.
 */
// @ts-ignore: decorator
@inline export function fromRatio(num: i64, den: i64): i64 {
  return divRound(num << FRAC_BITS, den);
}

/** |x|. abs(MIN) wraps to MIN. */
// @ts-ignore: decorator
@inline export function abs(x: i64): i64 {
  const m = x >> 63;
  return (x ^ m) - m;
}

/** Smaller of a and b. */
// @ts-ignore: decorator
@inline export function min(a: i64, b: i64): i64 {
  return select<i64>(a, b, a < b);
}

/** Larger of a and b. */
// @ts-ignore: decorator
@inline export function max(a: i64, b: i64): i64 {
  return select<i64>(a, b, a > b);
}

/** x limited to [lo, hi]. Requires lo <= hi (if not, returns hi when x > hi, else max(x, lo)). */
// @ts-ignore: decorator
@inline export function clamp(x: i64, lo: i64, hi: i64): i64 {
  return min(max(x, lo), hi);
}

/** a + (b - a) * t, the product rounded once (nearest, ties away from zero). t in Q47.16. */
// @ts-ignore: decorator
@inline export function lerp(a: i64, b: i64, t: i64): i64 {
  return a + mul(b - a, t);
}

// ---------------------------------------------------------------------------------------
// Integer square root.
//
// Digit-by-digit (binary "long hand") method: bring down two bits of the radicand at a
// time; the partial root grows by one bit per step. With `extra` zero bit pairs appended,
// it computes floor(sqrt(x * 4^extra)) without ever forming the (up to 128-bit) radicand.
// The remainder stays <= 2 * root, so everything fits in u64 while root < 2^61.

/** Remainder of the last isqrtExtra call: x * 4^extra - root^2 (module global, per instance). */
export let isqrtRem: u64 = 0;

/**
 * floor(sqrt(x * 4^extra)) for x: u64, 0 <= extra, with result < 2^61 (so x < 2^64 needs
 * extra <= 29). Sets `isqrtRem` to the remainder. Cost: one step per bit pair.
 */
export function isqrtExtra(x: u64, extra: i32): u64 {
  let res: u64 = 0;
  let rem: u64 = 0;
  let s = (64 - <i32>clz<u64>(x) + 1) & ~1;    // bit length rounded up to even
  // branch-free steps (select): the comparison is data dependent and mispredicts half the time
  while (s > 0) {
    s -= 2;
    rem = (rem << 2) | ((x >> <u64>s) & 3);
    const trial = (res << 2) | 1;
    const ge = rem >= trial;
    rem -= select<u64>(trial, 0, ge);
    res = (res << 1) | <u64>ge;
  }
  for (let i = 0; i < extra; i++) {
    rem <<= 2;
    const trial = (res << 2) | 1;
    const ge = rem >= trial;
    rem -= select<u64>(trial, 0, ge);
    res = (res << 1) | <u64>ge;
  }
  isqrtRem = rem;
  return res;
}

/**
 * round(sqrt(x * 4^extra)) (ties cannot occur: (r + 1/2)^2 is never an integer).
 * Same domain as isqrtExtra.
 */
// @ts-ignore: decorator
@inline export function isqrtRoundExtra(x: u64, extra: i32): u64 {
  const r = isqrtExtra(x, extra);
  // sqrt(N) > r + 1/2  <=>  N > r^2 + r  <=>  rem > r
  return r + <u64>(isqrtRem > r);
}

/**
 * sqrt(x), correctly rounded (exact to nearest; no ties exist). Every x >= 0 is in the
 * domain (the radicand x * 2^16 is handled as 80 bits). x < 0 returns 0 (the debug build
 * asserts). Result raw = round(sqrt(x_raw * 2^16)).
 */
export function sqrt(x: i64): i64 {
  assert(x >= 0, 'fixed.sqrt: negative input');
  if (x <= 0) return 0;
  return <i64>isqrtRoundExtra(<u64>x, 8);
}

/** 2^50 as u64: the test bound of rsqrt, (2r +- 1)^2 * x against 4 * 2^48. */
// @ts-ignore: decorator
@inline const RSQRT_BOUND: u64 = <u64>1 << 50;

/**
 * 1 / sqrt(x), correctly rounded (nearest, ties away from zero): raw result =
 * round(2^24 / sqrt(x_raw)). Domain x > 0; x <= 0 returns MAX (the debug build asserts).
 * The only tie is x_raw = 2^50 (result 0.5 ulp -> 1).
 *
 * Method: a 40-bit-accurate root from isqrtExtra gives r0 within +-2 of the answer; then
 * r is fixed by the exact test (2r - 1)^2 x <= 2^50 < (2r + 1)^2 x (no overflow: both
 * sides stay near 2^50 for r within a few units of the answer).
 */
export function rsqrt(x: i64): i64 {
  assert(x > 0, 'fixed.rsqrt: non-positive input');
  if (x <= 0) return MAX;
  const ux = <u64>x;
  if (ux >= RSQRT_BOUND) return select<i64>(1, 0, ux == RSQRT_BOUND);
  // x < 2^50: choose extra pairs e so the root s ~ sqrt(x) * 2^e has about 40 bits.
  const bits = 64 - <i32>clz<u64>(ux);                 // 1..50
  const e = 38 - ((bits + 1) >> 1);                    // sqrt(x) < 2^ceil(bits/2) -> s < 2^38
  const s = isqrtExtra(ux, e + 2);                     // ~ sqrt(x) * 2^(e+2), >= 2^37
  let r = <i64>((<u64>1 << <u64>(26 + e)) / s);        // ~ 2^24 / sqrt(x), error <= 1
  // exact correction
  while (true) {
    const hi = <u64>(2 * r + 1);
    if (hi * hi * ux > RSQRT_BOUND) break;
    r++;
  }
  while (r > 0) {
    const lo = <u64>(2 * r - 1);
    if (lo * lo * ux <= RSQRT_BOUND) break;
    r--;
  }
  return r;
}

// ---------------------------------------------------------------------------------------
// Fast square root for the physics (deterministic, not correctly rounded).

/** round(sqrt(t + 1/2) * 256) for t = 0..255 (u16): the seed of sqrtFast (midpoint of the bin). */
const SQRT_SEED = memory.data<u16>([
  181, 314, 405, 479, 543, 600, 653, 701, 746, 789, 830, 868, 905, 941, 975, 1008, 1040, 1071, 1101, 1130, 1159, 1187, 1214, 1241, 1267, 1293, 1318, 1342, 1367, 1390, 1414, 1437, 1459, 1482, 1504, 1525, 1547, 1568, 1588, 1609, 1629, 1649, 1669, 1688, 1708, 1727, 1746, 1764, 1783, 1801, 1819, 1837, 1855, 1872, 1890, 1907, 1924, 1941, 1958, 1975, 1991, 2008, 2024, 2040, 2056, 2072, 2088, 2103, 2119, 2134, 2149, 2165, 2180, 2195, 2210, 2224, 2239, 2254, 2268, 2283, 2297, 2311, 2325, 2339, 2353, 2367, 2381, 2395, 2408, 2422, 2435, 2449, 2462, 2475, 2489, 2502, 2515, 2528, 2541, 2554, 2566, 2579, 2592, 2604, 2617, 2629, 2642, 2654, 2667, 2679, 2691, 2703, 2715, 2727, 2739, 2751, 2763, 2775, 2787, 2798, 2810, 2822, 2833, 2845, 2856, 2868, 2879, 2891, 2902, 2913, 2924, 2936, 2947, 2958, 2969, 2980, 2991, 3002, 3013, 3024, 3034, 3045, 3056, 3067, 3077, 3088, 3099, 3109, 3120, 3130, 3141, 3151, 3161, 3172, 3182, 3192, 3203, 3213, 3223, 3233, 3243, 3253, 3263, 3273, 3283, 3293, 3303, 3313, 3323, 3333, 3343, 3353, 3362, 3372, 3382, 3391, 3401, 3411, 3420, 3430, 3439, 3449, 3458, 3468, 3477, 3487, 3496, 3505, 3515, 3524, 3533, 3543, 3552, 3561, 3570, 3579, 3589, 3598, 3607, 3616, 3625, 3634, 3643, 3652, 3661, 3670, 3679, 3688, 3697, 3705, 3714, 3723, 3732, 3741, 3749, 3758, 3767, 3775, 3784, 3793, 3801, 3810, 3819, 3827, 3836, 3844, 3853, 3861, 3870, 3878, 3887, 3895, 3903, 3912, 3920, 3929, 3937, 3945, 3954, 3962, 3970, 3978, 3987, 3995, 4003, 4011, 4019, 4027, 4036, 4044, 4052, 4060, 4068, 4076, 4084, 4092
]);

/**
 * sqrt(x) for a u64, with relative error below 2^-16 (and exact for x < 2^16): a seed from
 * the top 7-8 bits of x (table at the middle of each bin: error < 2^-8), then one Newton
 * step r = (r0 + x / r0) / 2, which squares that error and halves it (< 2^-17). One division
 * instead of the 32 steps of the digit-by-digit root; deterministic like every integer
 * operation here. Used by the physics for distances and friction limits: for a 1 m distance
 * the error stays below 1 Q16 ulp.
 */
export function sqrtFast(x: u64): u64 {
  if (x < 65536) return isqrtExtra(x, 0);
  const bits = 64 - <i32>clz<u64>(x);
  const sh = (bits - 7) & ~1;                              // even, so sqrt scales by 2^(sh/2)
  const t = <i32>(x >> <u64>sh);                           // 64..255 (7 or 8 bits)
  const r0 = (<u64>load<u16>(SQRT_SEED + (<usize>t << 1)) << <u64>(sh >> 1)) >> 8;
  return (r0 + x / r0) >> 1;
}
