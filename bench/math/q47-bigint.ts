/**
 * Q47.16 fixed point in JavaScript BigInt: a line-by-line twin of assembly/math/ (fixed.ts,
 * trig.ts, vec3.ts, quat.ts) for the math benchmark (bench/math.bench.ts). Not used by the
 * simulation.
 *
 * A value is the BigInt `raw = v * 2^16` in the i64 range; inputs come from a
 * BigInt64Array. Same algorithms, same intermediate formats, same rounding (nearest, ties
 * away from zero): for every i64 input each function returns the same bits as the
 * WebAssembly core (the suite checks this on its inputs before timing).
 *
 * Twin rules
 * ----------
 * - Where an i64 operation of the core can leave the i64 range (a product of inputs, a sum
 *   of products, a left shift of an input), the result is wrapped with BigInt.asIntN(64)
 *   before it is rounded, as the core wraps. Ring operations commute with wrapping, so one
 *   asIntN per rounded expression is enough; an expression that provably stays in range
 *   (e.g. the Taylor polynomial on |r| <= pi/4) is not wrapped.
 * - BigInt `/` and `%` truncate toward zero and `>>` floors, exactly as i64.div_s, rem_s
 *   and shr_s; u64 magnitudes (|i64.MIN| = 2^63) are plain non-negative BigInts.
 * - Kernel checksums are summed unbounded and wrapped once at the end (the same sum modulo
 *   2^64 as the core's wrapping accumulator).
 *
 * Vector results go to module-level result registers, as assembly/math/registers.ts.
 */

const MAX = (1n << 63n) - 1n;
const MIN = -(1n << 63n);
const wrap = (x: bigint): bigint => BigInt.asIntN(64, x);

// Result registers of the vector functions.
let rx = 0n;
let ry = 0n;
let rz = 0n;
let rw = 0n;

/** fixed.roundShift: p / 2^s rounded to nearest, ties away from zero; `h` = 2^(s-1). */
function roundShift(p: bigint, s: bigint, h: bigint): bigint {
  return p < 0n ? -((h - p) >> s) : (p + h) >> s;
}

/** Bit length of 0 <= m <= 2^64 - 1 (64 - clz). */
function bitLength(m: bigint): number {
  const hi = Number(m >> 32n);
  return hi !== 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(Number(m));
}

/** fixed.mul: roundShift(wrap(a b), 16). */
export function mul(a: bigint, b: bigint): bigint {
  return roundShift(wrap(a * b), 16n, 32768n);
}

/** fixed.divRound: n / d rounded, ties away from zero; d == 0 saturates; MIN / -1 wraps. */
export function divRound(n: bigint, d: bigint): bigint {
  if (d === 0n) return n > 0n ? MAX : n < 0n ? MIN : 0n;
  if (d === -1n) return wrap(-n);
  const q = n / d;
  const r = n % d;
  const ar = r < 0n ? -r : r;
  const ad = d < 0n ? -d : d;
  if (ar >= ad - ar) return n < 0n !== d < 0n ? q - 1n : q + 1n;
  return q;
}

/** fixed.div: divRound(wrap(a << 16), b). */
export function div(a: bigint, b: bigint): bigint {
  return divRound(wrap(a << 16n), b);
}

/** Remainder of the last isqrtExtra call (fixed.isqrtRem). */
let isqrtRem = 0n;

/** fixed.isqrtExtra: floor(sqrt(x 4^extra)) for 0 <= x < 2^64, digit by digit. */
function isqrtExtra(x: bigint, extra: number): bigint {
  let res = 0n;
  let rem = 0n;
  let s = BigInt((bitLength(x) + 1) & ~1);
  while (s > 0n) {
    s -= 2n;
    rem = (rem << 2n) | ((x >> s) & 3n);
    const trial = (res << 2n) | 1n;
    res <<= 1n;
    if (rem >= trial) {
      rem -= trial;
      res |= 1n;
    }
  }
  for (let i = 0; i < extra; i++) {
    rem <<= 2n;
    const trial = (res << 2n) | 1n;
    res <<= 1n;
    if (rem >= trial) {
      rem -= trial;
      res |= 1n;
    }
  }
  isqrtRem = rem;
  return res;
}

/** fixed.sqrt: round(sqrt(x 2^16)); x <= 0 gives 0. */
export function sqrt(x: bigint): bigint {
  if (x <= 0n) return 0n;
  const r = isqrtExtra(x, 8);
  return isqrtRem > r ? r + 1n : r;
}

// ---------------------------------------------------------------------------------------
// trig.ts

const HALF_PI_Q48 = 442139859501778n;
const QUARTER_PI_Q48 = HALF_PI_Q48 >> 1n;
const HALF_PI_Q30 = 1686629713n;
const PI_Q30 = 3373259426n;
const S3 = 178956971n,
  S5 = 8947849n,
  S7 = 213044n,
  S9 = 2959n,
  S11 = 27n;
const C2 = 536870912n,
  C4 = 44739243n,
  C6 = 1491308n,
  C8 = 26631n,
  C10 = 296n;
const ONE_Q30 = 1073741824n;
const ATAN_TABLE: readonly bigint[] = [
  843314857n,
  497837829n,
  263043837n,
  133525159n,
  67021687n,
  33543516n,
  16775851n,
  8388437n,
  4194283n,
  2097149n,
  1048576n,
  524288n,
  262144n,
  131072n,
  65536n,
  32768n,
  16384n,
  8192n,
  4096n,
  2048n,
  1024n,
  512n,
  256n,
  128n,
];
const SHIFTS: readonly bigint[] = Array.from({ length: 24 }, (_, i) => BigInt(i));

let redQuadrant = 0;

function reduce(x: bigint): bigint {
  const xq = wrap(x << 32n);
  let n = xq / HALF_PI_Q48;
  let r48 = xq - n * HALF_PI_Q48;
  if (r48 > QUARTER_PI_Q48) {
    n++;
    r48 -= HALF_PI_Q48;
  } else if (r48 < -QUARTER_PI_Q48) {
    n--;
    r48 += HALF_PI_Q48;
  }
  redQuadrant = Number(n & 3n);
  return roundShift(r48, 18n, 131072n);
}

function mulQ30(a: bigint, b: bigint): bigint {
  return roundShift(a * b, 30n, 536870912n);
}

function sinPoly(r: bigint): bigint {
  const r2 = mulQ30(r, r);
  let p = S9 - mulQ30(S11, r2);
  p = S7 - mulQ30(p, r2);
  p = S5 - mulQ30(p, r2);
  p = S3 - mulQ30(p, r2);
  p = ONE_Q30 - mulQ30(p, r2);
  return mulQ30(p, r);
}

function cosPoly(r: bigint): bigint {
  const r2 = mulQ30(r, r);
  let p = C8 - mulQ30(C10, r2);
  p = C6 - mulQ30(p, r2);
  p = C4 - mulQ30(p, r2);
  p = C2 - mulQ30(p, r2);
  return ONE_Q30 - mulQ30(p, r2);
}

/** trig.sin: x and result raw Q47.16 radians (domain |x| < 2^31 raw). */
export function sin(x: bigint): bigint {
  const r = reduce(x);
  const q = redQuadrant;
  const v = q & 1 ? cosPoly(r) : sinPoly(r);
  return roundShift(q & 2 ? -v : v, 14n, 8192n);
}

/** trig.atan2: angle of (x, y) as raw Q47.16 radians in [-pi, pi]; any i64 inputs. */
export function atan2(y: bigint, x: bigint): bigint {
  if ((x | y) === 0n) return 0n;
  const ax = x < 0n ? -x : x,
    ay = y < 0n ? -y : y;
  const bits = bitLength(ax > ay ? ax : ay);
  let sx = x,
    sy = y;
  if (bits > 41) {
    const k = BigInt(bits - 41);
    sx >>= k;
    sy >>= k;
  } else {
    const k = BigInt(41 - bits);
    sx <<= k;
    sy <<= k;
  }
  let angle = 0n;
  if (sx < 0n) {
    if (sy >= 0n) {
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
    const k = SHIFTS[i];
    const dx = sy >> k,
      dy = sx >> k;
    const a = ATAN_TABLE[i];
    if (sy > 0n) {
      sx += dx;
      sy -= dy;
      angle += a;
    } else {
      sx -= dx;
      sy += dy;
      angle -= a;
    }
  }
  angle += (sy << 30n) / sx;
  if (angle > PI_Q30) angle = PI_Q30;
  else if (angle < -PI_Q30) angle = -PI_Q30;
  return roundShift(angle, 14n, 8192n);
}

// ---------------------------------------------------------------------------------------
// vec3.ts / quat.ts

/** vec3.normalize4 into the result registers. */
export function normalize4(x: bigint, y: bigint, z: bigint, w: bigint): void {
  let m = x < 0n ? -x : x;
  const b = y < 0n ? -y : y;
  if (b > m) m = b;
  const c = z < 0n ? -z : z;
  if (c > m) m = c;
  const d = w < 0n ? -w : w;
  if (d > m) m = d;
  if (m === 0n) {
    rx = 0n;
    ry = 0n;
    rz = 0n;
    rw = 0n;
    return;
  }
  const bits = bitLength(m);
  if (bits > 31) {
    const k = BigInt(bits - 31);
    x >>= k;
    y >>= k;
    z >>= k;
    w >>= k;
  } else {
    const k = BigInt(31 - bits);
    x <<= k;
    y <<= k;
    z <<= k;
    w <<= k;
  }
  const s = BigInt.asUintN(64, x * x + y * y + z * z + w * w); // u64 sum, as the core
  const l = isqrtExtra(s, 15);
  rx = divRound(x << 31n, l);
  ry = divRound(y << 31n, l);
  rz = divRound(z << 31n, l);
  rw = divRound(w << 31n, l);
}

/** quat.mul (Hamilton product a * b) into the result registers. */
export function qmul(ax: bigint, ay: bigint, az: bigint, aw: bigint, bx: bigint, by: bigint, bz: bigint, bw: bigint): void {
  rx = roundShift(wrap(aw * bx + ax * bw + ay * bz - az * by), 16n, 32768n);
  ry = roundShift(wrap(aw * by - ax * bz + ay * bw + az * bx), 16n, 32768n);
  rz = roundShift(wrap(aw * bz + ax * by - ay * bx + az * bw), 16n, 32768n);
  rw = roundShift(wrap(aw * bw - ax * bx - ay * by - az * bz), 16n, 32768n);
}

/** quat.rotate (v rotated by the unit quaternion q) into the result registers x, y, z. */
export function qrotate(qx: bigint, qy: bigint, qz: bigint, qw: bigint, vx: bigint, vy: bigint, vz: bigint): void {
  const tx = roundShift(wrap(qy * vz - qz * vy), 7n, 64n);
  const ty = roundShift(wrap(qz * vx - qx * vz), 7n, 64n);
  const tz = roundShift(wrap(qx * vy - qy * vx), 7n, 64n);
  rx = wrap(vx + roundShift(wrap(qw * tx + qy * tz - qz * ty), 24n, 8388608n));
  ry = wrap(vy + roundShift(wrap(qw * ty + qz * tx - qx * tz), 24n, 8388608n));
  rz = wrap(vz + roundShift(wrap(qw * tz + qx * ty - qy * tx), 24n, 8388608n));
}

/** The result registers [x, y, z, w] of the last normalize4 / qmul / qrotate (allocates: not for loops). */
export function result(): [bigint, bigint, bigint, bigint] {
  return [rx, ry, rz, rw];
}

// ---------------------------------------------------------------------------------------
// Kernels: the loops of assembly/api/bench.ts over a BigInt64Array; each returns the
// wrapping (mod 2^64) sum of its results, the core's checksum.

/** Sum of mul(x[i], x[i + 1]) for i < n - 1. */
export function kernelMul(x: BigInt64Array, n: number): bigint {
  let acc = 0n;
  for (let i = 0; i < n - 1; i++) acc += mul(x[i], x[i + 1]);
  return wrap(acc);
}

/** Sum of div(x[i], x[i + 1]) for i < n - 1. */
export function kernelDiv(x: BigInt64Array, n: number): bigint {
  let acc = 0n;
  for (let i = 0; i < n - 1; i++) acc += div(x[i], x[i + 1]);
  return wrap(acc);
}

/** Sum of sqrt(abs(x[i])) for i < n (abs wraps at i64.MIN, as fixed.abs). */
export function kernelSqrt(x: BigInt64Array, n: number): bigint {
  let acc = 0n;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    acc += sqrt(wrap(v < 0n ? -v : v));
  }
  return wrap(acc);
}

/** Sum of sin(x[i]) for i < n. */
export function kernelSin(x: BigInt64Array, n: number): bigint {
  let acc = 0n;
  for (let i = 0; i < n; i++) acc += sin(x[i]);
  return wrap(acc);
}

/** Sum of atan2(x[i], x[i + 1]) for i < n - 1. */
export function kernelAtan2(x: BigInt64Array, n: number): bigint {
  let acc = 0n;
  for (let i = 0; i < n - 1; i++) acc += atan2(x[i], x[i + 1]);
  return wrap(acc);
}

/** Sum of the components of normalize(x[i], x[i + 1], x[i + 2]) for i < n - 4. */
export function kernelV3Normalize(x: BigInt64Array, n: number): bigint {
  let acc = 0n;
  for (let i = 0; i < n - 4; i++) {
    normalize4(x[i], x[i + 1], x[i + 2], 0n);
    acc += rx + ry + rz;
  }
  return wrap(acc);
}

/** Sum of the components of qmul(x[i..i+3], reversed x[i..i+3]) for i < n - 4. */
export function kernelQMul(x: BigInt64Array, n: number): bigint {
  let acc = 0n;
  for (let i = 0; i < n - 4; i++) {
    const a = x[i],
      b = x[i + 1],
      c = x[i + 2],
      d = x[i + 3];
    qmul(a, b, c, d, d, c, b, a);
    acc += rx + ry + rz + rw;
  }
  return wrap(acc);
}

/** Sum of the components of qrotate(q = x[i..i+3], v = (x[i+3], x[i+2], x[i+1])) for i < n - 4. */
export function kernelQRotate(x: BigInt64Array, n: number): bigint {
  let acc = 0n;
  for (let i = 0; i < n - 4; i++) {
    const a = x[i],
      b = x[i + 1],
      c = x[i + 2],
      d = x[i + 3];
    qrotate(a, b, c, d, d, c, b);
    acc += rx + ry + rz;
  }
  return wrap(acc);
}
