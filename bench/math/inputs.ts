/**
 * Seeded benchmark inputs: the same raw values on every run and every machine, so results
 * from different days and machines measure the same work.
 *
 * Values are raw fixed-point integers chosen inside the domain of BOTH formats measured
 * (Q16.16 int32 and Q47.16 i64; see each kernel's domain in bench/math.bench.ts), so one
 * Int32Array feeds the JavaScript Q16.16 code and its BigInt64Array / WebAssembly-memory
 * copies feed the Q47.16 code: all three evaluate the same raw inputs.
 */

/**
 * mulberry32 (Tommy Ettinger, 2017): a 32-bit PRNG with a 2^32 period, plenty for a few
 * thousand inputs. Returns a function giving uniform integers in [0, 2^32).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * A signed integer whose bit length is uniform in [minBits, maxBits] (0 <= minBits <=
 * maxBits <= 31): magnitudes spread evenly over the binades, as positions, distances and
 * angles of different scales are; the sign is random (0 has bit length 0).
 */
export function sizedInt(rng: () => number, minBits: number, maxBits: number): number {
  const bits = minBits + (rng() % (maxBits - minBits + 1));
  if (bits === 0) return 0;
  const mag = bits === 1 ? 1 : 2 ** (bits - 1) + (rng() >>> (33 - bits));
  return rng() & 1 ? -mag : mag;
}

/** A signed integer uniform in [-limit, limit] (limit < 2^31). */
export function uniformInt(rng: () => number, limit: number): number {
  return (rng() % (2 * limit + 1)) - limit;
}

/** n values from `gen` (called with a PRNG seeded by `seed`) as an Int32Array. */
export function seededInputs(n: number, seed: number, gen: (rng: () => number) => number): Int32Array {
  const rng = mulberry32(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = gen(rng);
  return out;
}
