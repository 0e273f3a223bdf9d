// 3-vectors in Q47.16, passed as three i64 components; results that are vectors go to the
// result registers (registers.ts). No allocation.
//
// Products are formed in full (Q32 raw, exact) and summed before one rounding, so dot and
// cross are correctly rounded whenever the raw sums fit in i64 (each function states its
// domain).
//
// No floating point: this file is in the simulation path.

import { roundShift, isqrtExtra, isqrtRoundExtra, divRound } from './fixed';
import { setResult } from './registers';

/**
 * a . b, correctly rounded. Exact when the raw sum a.x*b.x + a.y*b.y + a.z*b.z and its
 * partial sums lie in [-2^63, 2^63) (e.g. all components below 2^30 raw = 16384 m in
 * magnitude); outside that the raw sum wraps first.
 */
// @ts-ignore: decorator
@inline export function dot(ax: i64, ay: i64, az: i64, bx: i64, by: i64, bz: i64): i64 {
  return roundShift(ax * bx + ay * by + az * bz, 16);
}

/**
 * a x b into (rx, ry, rz), each component correctly rounded. Exact when each raw
 * product difference fits in i64 (e.g. components below 2^31 raw).
 */
// @ts-ignore: decorator
@inline export function cross(ax: i64, ay: i64, az: i64, bx: i64, by: i64, bz: i64): void {
  setResult(
    roundShift(ay * bz - az * by, 16),
    roundShift(az * bx - ax * bz, 16),
    roundShift(ax * by - ay * bx, 16),
    0,
  );
}

/** Largest |component| of (x, y, z, w) as u64 (|i64.MIN| = 2^63). */
// @ts-ignore: decorator
@inline function maxAbs4(x: i64, y: i64, z: i64, w: i64): u64 {
  let m = <u64>(x < 0 ? -x : x);
  const b = <u64>(y < 0 ? -y : y); if (b > m) m = b;
  const c = <u64>(z < 0 ? -z : z); if (c > m) m = c;
  const d = <u64>(w < 0 ? -w : w); if (d > m) m = d;
  return m;
}

/**
 * |a| in Q47.16. For components below 2^31 raw (32768 m): correctly rounded (the squared
 * length, Q32, is summed exactly in u64 and its root rounded once). Larger components are
 * first shifted right by k bits so they fit (k = bit length - 31): error < 2.25 * 2^k ulp,
 * i.e. relative error < 2^-29. A length that does not fit in i64 (> 2^47 m) saturates to MAX.
 */
export function length(ax: i64, ay: i64, az: i64): i64 {
  const m = maxAbs4(ax, ay, az, 0);
  const bits = 64 - <i32>clz<u64>(m);
  let k = 0;
  if (bits > 31) {
    k = bits - 31;
    ax >>= <i64>k; ay >>= <i64>k; az >>= <i64>k;
  }
  const s = <u64>(ax * ax) + <u64>(ay * ay) + <u64>(az * az);   // < 3 * 2^62 < 2^64
  const r = isqrtRoundExtra(s, 0);                                  // < 2^32
  if (r >= (<u64>1 << <u64>(63 - k))) return i64.MAX_VALUE;
  return <i64>r << <i64>k;
}

/**
 * Normalizes the 4-vector (x, y, z, w) of any common scale into the result registers, as
 * a unit vector in Q47.16. The zero vector gives (0, 0, 0, 0).
 *
 * Method: shift the components so the largest lies in [2^30, 2^31) (a left shift is exact;
 * a right shift changes the direction by < 2^-30), form S = sum of squares exactly in u64,
 * L = floor(sqrt(S) * 2^15) (>= 2^45, relative error < 2^-45), then each component is
 * round(c * 2^31 / L). Max error per component: 0.5 + 2^-12 ulp.
 */
export function normalize4(x: i64, y: i64, z: i64, w: i64): void {
  const m = maxAbs4(x, y, z, w);
  if (m == 0) { setResult(0, 0, 0, 0); return; }
  const bits = 64 - <i32>clz<u64>(m);
  if (bits > 31) {
    const k = <i64>(bits - 31);
    x >>= k; y >>= k; z >>= k; w >>= k;
  } else {
    const k = <i64>(31 - bits);
    x <<= k; y <<= k; z <<= k; w <<= k;
  }
  const s = <u64>(x * x) + <u64>(y * y) + <u64>(z * z) + <u64>(w * w);   // < 2^64
  const l = <i64>isqrtExtra(s, 15);
  setResult(divRound(x << 31, l), divRound(y << 31, l), divRound(z << 31, l), divRound(w << 31, l));
}

/** a / |a| into (rx, ry, rz). Max error per component 0.5 + 2^-12 ulp; zero stays zero. */
// @ts-ignore: decorator
@inline export function normalize(ax: i64, ay: i64, az: i64): void {
  normalize4(ax, ay, az, 0);
}

/** a + (b - a) t into (rx, ry, rz), t in Q47.16, each product rounded once. */
// @ts-ignore: decorator
@inline export function lerp(ax: i64, ay: i64, az: i64, bx: i64, by: i64, bz: i64, t: i64): void {
  setResult(
    ax + roundShift((bx - ax) * t, 16),
    ay + roundShift((by - ay) * t, 16),
    az + roundShift((bz - az) * t, 16),
    0,
  );
}
