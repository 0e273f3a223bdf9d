/**
 * The stream's deterministic random generator (GameSim's SimDriver `GetRandom`, seeded from the
 * '_a' event's body): xoshiro128** 1.1 (D. Blackman and S. Vigna, "Scrambled linear
 * pseudorandom number generators", ACM TOMS 2021; reference code
 * https://prng.di.unimi.it/xoshiro128starstar.c), seeded through SplitMix64
 * (https://prng.di.unimi.it/splitmix64.c), as Vigna recommends for filling xoshiro state.
 *
 *   seed: 32 hex digits (128 bits) = hi64 (first 16 digits) . lo64 (last 16 digits)
 *   a = SplitMix64(hi64).next()   b = SplitMix64(lo64).next()
 *   state s[0..3] (u32) = [a & 0xffffffff, a >> 32, b & 0xffffffff, b >> 32]
 *
 * SplitMix64's first output is a bijection of its seed, so the seed -> state map is a bijection
 * of 128-bit values; the one seed that would give the forbidden all-zero state gets
 * s = [1, 0, 0, 0] instead.
 *
 * Per-tick generators: the generator of tick t is the seeded state advanced by t calls of
 * `jump()` (2^64 steps each), so every tick draws from its own non-overlapping subsequence of
 * length 2^64 and a tick's generator does not depend on how many values earlier ticks drew.
 *
 * Integer math only: u32 words in JS numbers with Math.imul and >>> 0 (no floats until
 * `nextFloat`, no Math.random); BigInt only in seeding.
 */

const M64 = (1n << 64n) - 1n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;

/** Published jump polynomial of xoshiro128 (equivalent to 2^64 calls of next()). */
const JUMP = [0x8764000b, 0xf542d2d3, 0x6fa035c3, 0x77f2db5b] as const;

const SEED_RE = /^[0-9a-fA-F]{32}$/;

/** True when `hex` is a valid stream seed: exactly 32 hex digits (128 bits), either case. */
export function isSeedHex(hex: unknown): hex is string {
  return typeof hex === 'string' && SEED_RE.test(hex);
}

/**
 * SplitMix64 (Steele, Lea, Flood 2014; Vigna's splitmix64.c), in BigInt. Used only to expand
 * seeds; `next()` returns an unsigned 64-bit BigInt. Seed 0 gives 0xe220a8397b1dcdaf,
 * 0x6e789e6aa1b965f4, 0x06c45d188009454f, ... (the published reference outputs).
 */
export class SplitMix64 {
  private x: bigint;
  /** `seed`: any BigInt, reduced mod 2^64. */
  constructor(seed: bigint) {
    this.x = seed & M64;
  }
  /** The next 64-bit output. */
  next(): bigint {
    this.x = (this.x + GOLDEN_GAMMA) & M64;
    let z = this.x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    return z ^ (z >> 31n);
  }
}

/** 32-bit rotate left (k in 1..31). */
const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/**
 * xoshiro128** over four u32 words. Create with `fromSeed` (a stream seed) or `restore`
 * (an exact state from `state()`); `forTick` gives tick t's generator directly.
 * Every method is deterministic and allocation-free except `clone`.
 */
export class StreamRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Raw state words (u32 each, not all zero). Throws RangeError on invalid words. */
  constructor(s0: number, s1: number, s2: number, s3: number) {
    for (const w of [s0, s1, s2, s3]) {
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) throw new RangeError(`state word ${w} is not a u32`);
    }
    if ((s0 | s1 | s2 | s3) === 0) throw new RangeError('xoshiro128** state must not be all zero');
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /**
   * The generator for a stream seed (the '_a' body): 32 hex digits, case-insensitive. Expansion
   * through SplitMix64 as in the module comment. Throws RangeError if `hex` is not 32 hex digits.
   */
  static fromSeed(hex: string): StreamRandom {
    if (!isSeedHex(hex)) throw new RangeError(`seed must be 32 hex digits, got ${JSON.stringify(hex)}`);
    const a = new SplitMix64(BigInt('0x' + hex.slice(0, 16))).next();
    const b = new SplitMix64(BigInt('0x' + hex.slice(16))).next();
    const w = [a & 0xffffffffn, a >> 32n, b & 0xffffffffn, b >> 32n].map(Number);
    if ((w[0] | w[1] | w[2] | w[3]) === 0) w[0] = 1;
    return new StreamRandom(w[0], w[1], w[2], w[3]);
  }

  /**
   * The generator of tick `tick` (u32) of a stream with seed `hex`: `fromSeed(hex)` then `tick`
   * jumps. O(tick) (128 steps per jump); a replay should instead keep one generator and call
   * `jump()` once per tick. Throws RangeError on a bad seed or tick.
   */
  static forTick(hex: string, tick: number): StreamRandom {
    if (!Number.isInteger(tick) || tick < 0 || tick > 0xffffffff) throw new RangeError(`tick ${tick} is not a u32`);
    const r = StreamRandom.fromSeed(hex);
    for (let t = 0; t < tick; t++) r.jump();
    return r;
  }

  /** Rebuild from `state()` output (32 hex digits, s[0]..s[3] each 8 digits big-endian). Throws RangeError. */
  static restore(state: string): StreamRandom {
    if (!isSeedHex(state)) throw new RangeError(`state must be 32 hex digits, got ${JSON.stringify(state)}`);
    const w = [0, 8, 16, 24].map((i) => parseInt(state.slice(i, i + 8), 16));
    return new StreamRandom(w[0], w[1], w[2], w[3]);
  }

  /** The exact state as 32 lowercase hex digits: s[0], s[1], s[2], s[3], 8 digits each. */
  state(): string {
    return [this.s0, this.s1, this.s2, this.s3].map((w) => w.toString(16).padStart(8, '0')).join('');
  }

  /** The state words [s0, s1, s2, s3] (u32). */
  words(): [number, number, number, number] {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** An independent copy with the same state. */
  clone(): StreamRandom {
    return new StreamRandom(this.s0, this.s1, this.s2, this.s3);
  }

  /** Overwrite this generator's state with `other`'s (no allocation). */
  copyFrom(other: StreamRandom): void {
    this.s0 = other.s0;
    this.s1 = other.s1;
    this.s2 = other.s2;
    this.s3 = other.s3;
  }

  /** The next u32 (0 .. 2^32-1): xoshiro128** `next()`, line for line with the reference C. */
  nextU32(): number {
    const s0 = this.s0,
      s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    const s2 = (this.s2 ^ s0) >>> 0;
    const s3 = (this.s3 ^ s1) >>> 0;
    this.s1 = (s1 ^ s2) >>> 0;
    this.s0 = (s0 ^ s3) >>> 0;
    this.s2 = (s2 ^ t) >>> 0;
    this.s3 = rotl(s3, 11);
    return result;
  }

  /** A float in [0, 1): nextU32() / 2^32 (exact in a double; 32 bits of resolution). */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /**
   * A uniform integer in [0, n) for an integer n in 1 .. 2^32, without modulo bias: draws u32
   * values until one falls below the largest multiple of n (expected < 2 draws), returns it mod n.
   * Throws RangeError on a bad n.
   */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) throw new RangeError(`nextInt bound ${n} not in 1..2^32`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const u = this.nextU32();
      if (u < limit) return u % n;
    }
  }

  /**
   * Advance by 2^64 steps (the reference `jump()`, published polynomial), giving a
   * non-overlapping subsequence; the stream calls it once per closed tick.
   */
  jump(): void {
    // the reference loop, with nextU32's state update inlined on locals and its output (unused
    // here) not computed: the idle host runs this once per tick
    let s0 = this.s0,
      s1 = this.s1,
      s2 = this.s2,
      s3 = this.s3;
    let j0 = 0,
      j1 = 0,
      j2 = 0,
      j3 = 0;
    for (let i = 0; i < 4; i++) {
      const word = JUMP[i];
      for (let b = 0; b < 32; b++) {
        if ((word >>> b) & 1) {
          j0 ^= s0;
          j1 ^= s1;
          j2 ^= s2;
          j3 ^= s3;
        }
        const t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = (s3 << 11) | (s3 >>> 21);
      }
    }
    this.s0 = j0 >>> 0;
    this.s1 = j1 >>> 0;
    this.s2 = j2 >>> 0;
    this.s3 = j3 >>> 0;
  }
}
