/**
 * Exact and high-precision references for the fixed-point core, in BigInt: every result
 * the core rounds is compared with the exact rational value (or, for transcendental
 * functions, a value with 2^-100 precision, far below the 2^-10 ulp margins asserted).
 */

export const ONE = 1n << 16n;
export const I64_MIN = -(1n << 63n);
export const I64_MAX = (1n << 63n) - 1n;
export const wrap = (x: bigint): bigint => BigInt.asIntN(64, x);
export const absB = (x: bigint): bigint => (x < 0n ? -x : x);

/** n / d rounded to nearest, ties away from zero (d != 0). */
export function roundDiv(n: bigint, d: bigint): bigint {
  const neg = n < 0n !== d < 0n;
  const an = absB(n),
    ad = absB(d);
  let q = an / ad;
  if (2n * (an % ad) >= ad) q += 1n;
  return neg ? -q : q;
}

/** floor(sqrt(n)) for n >= 0 (Newton's method on BigInt). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of negative');
  if (n < 2n) return n;
  let x = 1n << BigInt((n.toString(2).length + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** round(sqrt(n)) for n >= 0 (ties impossible for integers). */
export function isqrtRound(n: bigint): bigint {
  const r = isqrt(n);
  return n - r * r > r ? r + 1n : r;
}

// ---- high-precision transcendental references (fixed point with P fractional bits) ----

/** Fractional bits of the high-precision references. */
export const P = 120n;
const SCALE = 1n << P;
const PI_DIGITS = '3141592653589793238462643383279502884197169399375105820974944592307816406286208998628034825342117067982148086513282306647';
/** pi * 2^P, correctly rounded from 120 decimal digits. */
export const PI_P = roundDiv(BigInt(PI_DIGITS) * SCALE, 10n ** BigInt(PI_DIGITS.length - 1));
const HALF_PI_P = PI_P / 2n;

function sinSeries(r: bigint): bigint {
  // r in [-pi/4, pi/4] at scale 2^P
  let term = r,
    sum = r,
    k = 1n;
  const r2 = (r * r) >> P;
  while (term !== 0n) {
    term = -((term * r2) >> P) / ((k + 1n) * (k + 2n));
    sum += term;
    k += 2n;
  }
  return sum;
}

function cosSeries(r: bigint): bigint {
  let term = SCALE,
    sum = SCALE,
    k = 0n;
  const r2 = (r * r) >> P;
  while (term !== 0n) {
    term = -((term * r2) >> P) / ((k + 1n) * (k + 2n));
    sum += term;
    k += 2n;
  }
  return sum;
}

/** sin and cos of xRaw / 2^16 radians, at scale 2^P. */
export function sinCosRef(xRaw: bigint): [bigint, bigint] {
  const x = xRaw << (P - 16n);
  const n = roundDiv(x, HALF_PI_P);
  const r = x - n * HALF_PI_P;
  const s = sinSeries(r),
    c = cosSeries(r);
  switch (Number(((n % 4n) + 4n) % 4n)) {
    case 0:
      return [s, c];
    case 1:
      return [c, -s];
    case 2:
      return [-s, -c];
    default:
      return [-c, s];
  }
}

/** atan(t) for 0 <= t <= 1 at scale 2^P (t at scale 2^P). */
function atanUnit(t: bigint): bigint {
  // three half-angle reductions: atan(t) = 2 atan(t / (1 + sqrt(1 + t^2)))
  let mult = 1n;
  for (let i = 0; i < 3; i++) {
    const root = isqrt(SCALE * SCALE + t * t); // sqrt(1 + t^2) at scale 2^P
    t = (t << P) / (SCALE + root);
    mult *= 2n;
  }
  let term = t,
    sum = t,
    k = 1n;
  const t2 = (t * t) >> P;
  let pow = t;
  while (pow !== 0n) {
    pow = -((pow * t2) >> P);
    k += 2n;
    term = pow / k;
    sum += term;
  }
  return sum * mult;
}

/** atan2(y, x) (any integers, not both 0) at scale 2^P, in [-pi, pi]. */
export function atan2Ref(y: bigint, x: bigint): bigint {
  if (x === 0n && y === 0n) return 0n;
  const ax = absB(x),
    ay = absB(y);
  let a: bigint;
  if (ay <= ax) a = atanUnit((ay << P) / ax);
  else a = HALF_PI_P - atanUnit((ax << P) / ay);
  if (x < 0n) a = PI_P - a;
  return y < 0n ? -a : a;
}

/**
 * |value - ref| in ulps (ref at scale 2^(16 + extra) relative to raw units, i.e. ref / 2^extra
 * is the exact raw value), as a JS number.
 */
export function ulpError(raw: bigint, ref: bigint, extra: bigint): number {
  const diff = absB((raw << extra) - ref);
  return Number(diff) / Number(1n << extra);
}

/** Each component c of v as c / |v| * 2^16 at scale 2^EXTRA (floor of the exact value's magnitude, signed). */
export function normalizeRef(v: bigint[], extra: bigint): bigint[] {
  const s = v.reduce((acc, c) => acc + c * c, 0n);
  if (s === 0n) return v.map(() => 0n);
  return v.map((c) => {
    const m = isqrt(((c * c) << (2n * (16n + extra))) / s);
    return c < 0n ? -m : m;
  });
}

// ---- seeded random inputs ----

/** mulberry32: a small seeded 32-bit PRNG (Tommy Ettinger), enough for test inputs. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * A random signed BigInt with log-uniform magnitude below 2^bits (so every scale is hit),
 * bits <= 63 (so the value is a valid i64 other than i64.MIN; tests add MIN by hand).
 */
export function randomSized(rng: () => number, bits: number): bigint {
  if (bits < 1 || bits > 63) throw new RangeError(`randomSized: bits ${bits} outside 1..63`);
  const full = (BigInt(rng()) << 32n) | BigInt(rng());
  const k = BigInt(rng() % bits); // keep k + 1 bits
  let v = full & ((1n << (k + 1n)) - 1n);
  if (rng() & 1) v = -v;
  return v;
}
