/**
 * Integer decisions outside the core: what the simulation path decides in TypeScript (a spawn's
 * distance from its avatar, an object carried within reach, local chat's radius, a character's
 * slope limit, a ray's direction) is computed here on raw Q47.16 integers, never with
 * Math.hypot / Math.cos / `**` on numbers. ECMAScript leaves the last bit of those functions to
 * the engine ("implementation-approximated"), so a Node upgrade could change a decision, and a
 * restore would then refuse its own log. Only correctly rounded IEEE operations (+ - * / and
 * Math.round, all exactly specified) turn numbers into raw values (toRaw); everything after that
 * is BigInt arithmetic.
 *
 * Raw values: metres (or radians) x 2^16 as bigint, like the core's i64 Q47.16. Squares of raw
 * differences reach 2^95 for the core's coordinate range, far past 2^53, hence BigInt.
 */
import type { Core } from './wasm';

/** A 3-vector in raw Q47.16 (metres x 2^16). */
export type RawVec3 = readonly [bigint, bigint, bigint];

/** Raw Q47.16 from a number, rounded to nearest (Math.round of an exact product: the same on every engine). */
export const toRaw = (x: number): bigint => BigInt(Math.round(x * 65536));

/** A vector of numbers (m) as raw Q47.16. */
export function toRawVec(v: readonly [number, number, number]): RawVec3 {
  return [toRaw(v[0]), toRaw(v[1]), toRaw(v[2])];
}

/**
 * Is |a - b| <= range? Exact: compares the squared distance with range^2 in BigInt (raw^2 =
 * m^2 x 2^32), so the boundary is where the integers put it. `range` raw, >= 0.
 */
export function withinDistance(a: RawVec3, b: RawVec3, range: bigint): boolean {
  const dx = a[0] - b[0],
    dy = a[1] - b[1],
    dz = a[2] - b[2];
  return dx * dx + dy * dy + dz * dz <= range * range;
}

/** floor(sqrt(n)) of a non-negative bigint (Newton's method from above; exact). Throws RangeError for n < 0. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number');
  if (n < 2n) return n;
  let x = 1n << (BigInt(n.toString(2).length + 1) >> 1n); // 2^ceil(bits / 2) >= sqrt(n)
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** round(num / den) for den > 0, ties away from zero. */
export function divRound(num: bigint, den: bigint): bigint {
  return num >= 0n ? (2n * num + den) / (2n * den) : -((-2n * num + den) / (2n * den));
}

/**
 * v / |v| in raw Q47.16: |v| = isqrt(x^2 + y^2 + z^2) (raw^2 is Q32, its square root Q16), each
 * component round(c x 2^16 / |v|). Throws RangeError for the zero vector.
 */
export function normalizeRaw(v: RawVec3): RawVec3 {
  const len = isqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  if (len === 0n) throw new RangeError('cannot normalize a zero vector');
  return [divRound(v[0] << 16n, len), divRound(v[1] << 16n, len), divRound(v[2] << 16n, len)];
}

/** pi in Q48: 2 x round(pi / 2 x 2^48) (assembly/math/trig.ts HALF_PI_Q48). */
const PI_Q48 = 884279719003556n;

/** Degrees (a number) to raw Q47.16 radians: round(round(deg x 2^16) x pi / 180), integer after the first rounding. */
export function degreesToRadiansRaw(deg: number): bigint {
  return divRound(toRaw(deg) * PI_Q48, 180n << 48n);
}

/**
 * cos(deg) in raw Q47.16 by the core's fixed-point cosine (assembly/math/trig.ts: error <= 0.5 +
 * 2^-10 ulp): the character controller's walkable-slope limit. `core`: any core instance.
 */
export function cosDegreesRaw(core: Core, deg: number): bigint {
  return core.exports.fxCos(degreesToRadiansRaw(deg));
}
