/**
 * StreamRandom (xoshiro128** 1.1 seeded through SplitMix64): published reference outputs of both
 * algorithms, the documented seed expansion, and `jump()` checked against an independent
 * computation of 2^64 steps (the GF(2) transition matrix squared 64 times).
 */
import { isSeedHex, SplitMix64, StreamRandom } from '../src/sim/rng';

const take = (n: number, f: () => number): number[] => Array.from({ length: n }, f);

describe('reference outputs', () => {
  it('xoshiro128** from state {1, 2, 3, 4} gives the reference C outputs', () => {
    // Produced by Vigna's xoshiro128starstar.c v1.1; the same vector is in rand_xoshiro's tests.
    const r = new StreamRandom(1, 2, 3, 4);
    expect(take(10, () => r.nextU32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
  });

  it('SplitMix64 from seed 0 gives the published first outputs', () => {
    const s = new SplitMix64(0n);
    expect([s.next(), s.next(), s.next(), s.next()]).toEqual([0xe220a8397b1dcdafn, 0x6e789e6aa1b965f4n, 0x06c45d188009454fn, 0xf88bb8a8724c81ecn]);
  });

  it('fromSeed expands hi64 and lo64 through SplitMix64 as documented', () => {
    // Both halves 0: each gives SplitMix64(0)'s first output 0xe220a8397b1dcdaf, low word first.
    expect(StreamRandom.fromSeed('0'.repeat(32)).state()).toBe('7b1dcdafe220a8397b1dcdafe220a839');
    const hi = new SplitMix64(0x0123456789abcdefn).next();
    const lo = new SplitMix64(0xfedcba9876543210n).next();
    const words = [hi & 0xffffffffn, hi >> 32n, lo & 0xffffffffn, lo >> 32n].map(Number);
    expect(StreamRandom.fromSeed('0123456789ABCDEFfedcba9876543210').words()).toEqual(words);
  });
});

// ---- independent 2^64-step jump: the xoshiro128 linear engine as a 128x128 matrix over GF(2) ----

type Vec = [number, number, number, number];
type Mat = Vec[]; // column i = image of basis vector e_i (bit i%32 of word i/32)

function step(v: Vec): Vec {
  const r = new StreamRandom(...v);
  r.nextU32();
  return r.words();
}

function apply(m: Mat, v: Vec): Vec {
  const out: Vec = [0, 0, 0, 0];
  for (let i = 0; i < 128; i++) {
    if ((v[i >> 5] >>> (i & 31)) & 1) {
      const c = m[i];
      out[0] ^= c[0];
      out[1] ^= c[1];
      out[2] ^= c[2];
      out[3] ^= c[3];
    }
  }
  return out.map((w) => w >>> 0) as Vec;
}

function transition(): Mat {
  const m: Mat = [];
  for (let i = 0; i < 128; i++) {
    const e: Vec = [0, 0, 0, 0];
    e[i >> 5] = (1 << (i & 31)) >>> 0;
    m.push(step(e));
  }
  return m;
}

describe('jump', () => {
  it('equals 2^64 steps (transition matrix squared 64 times)', () => {
    let m = transition();
    // Sanity: the matrix reproduces single steps on a random state.
    expect(apply(m, [0xdeadbeef, 0x12345678, 0x9abcdef0, 0x0badf00d])).toEqual(step([0xdeadbeef, 0x12345678, 0x9abcdef0, 0x0badf00d]));
    for (let k = 0; k < 64; k++) m = m.map((col) => apply(m, col));
    for (const seed of ['0'.repeat(32), '00112233445566778899aabbccddeeff', 'ffffffffffffffffffffffffffffffff']) {
      const r = StreamRandom.fromSeed(seed);
      const expected = apply(m, r.words());
      r.jump();
      expect(r.words()).toEqual(expected);
    }
  });

  it('forTick(seed, t) is the seeded generator jumped t times, different for each tick', () => {
    const seed = '5eed5eed5eed5eed5eed5eed5eed5eed';
    const r = StreamRandom.fromSeed(seed);
    const seen = new Set<string>();
    for (let t = 0; t < 20; t++) {
      expect(StreamRandom.forTick(seed, t).state()).toBe(r.state());
      seen.add(r.state());
      r.jump();
    }
    expect(seen.size).toBe(20);
    expect(() => StreamRandom.forTick(seed, -1)).toThrow(RangeError);
  });
});

describe('draws', () => {
  it('nextFloat is nextU32 / 2^32, in [0, 1)', () => {
    const a = StreamRandom.fromSeed('00000000000000000000000000000001');
    const b = a.clone();
    const floats = take(1000, () => a.nextFloat());
    expect(floats).toEqual(take(1000, () => b.nextU32() / 2 ** 32));
    expect(floats.every((f) => f >= 0 && f < 1)).toBe(true);
  });

  it('nextInt(n) stays in [0, n), is roughly uniform and rejects bad bounds', () => {
    const r = StreamRandom.fromSeed('0123456789abcdef0123456789abcdef');
    const counts = new Array(6).fill(0);
    const N = 60_000;
    let outside = 0;
    for (let i = 0; i < N; i++) {
      const k = r.nextInt(6);
      if (Number.isInteger(k) && k >= 0 && k < 6) counts[k]++;
      else outside++;
    }
    expect(outside).toBe(0);
    const chi2 = counts.reduce((s, c) => s + (c - N / 6) ** 2 / (N / 6), 0);
    expect(chi2).toBeLessThan(20.5); // 5 d.o.f., p = 0.001
    const c = r.clone();
    expect(r.nextInt(2 ** 32)).toBe(c.nextU32());
    expect(r.nextInt(1)).toBe(0);
    for (const n of [0, -1, 1.5, 2 ** 32 + 1, NaN]) expect(() => r.nextInt(n)).toThrow(RangeError);
  });

  it('nextInt rejects draws at or above the largest multiple of n (no modulo bias)', () => {
    // n = 2^31 + 1: limit = 2^32 - (2^31 - 1) = 2^31 + 1; a draw >= limit must be redrawn.
    const n = 2 ** 31 + 1;
    const r = StreamRandom.fromSeed('00000000000000000000000000000002');
    const probe = r.clone();
    const draws: number[] = [];
    for (let i = 0; i < 64; i++) draws.push(probe.nextU32());
    let j = 0;
    for (let i = 0; i < 20; i++) {
      while (draws[j] >= n) j++;
      expect(r.nextInt(n)).toBe(draws[j] % n);
      j++;
    }
  });

  it('state() / restore() round-trips and continues identically; bad states and seeds throw', () => {
    const r = StreamRandom.fromSeed('cafebabecafebabecafebabecafebabe');
    take(17, () => r.nextU32());
    const s = r.state();
    expect(s).toMatch(/^[0-9a-f]{32}$/);
    const q = StreamRandom.restore(s);
    expect(take(50, () => q.nextU32())).toEqual(take(50, () => r.nextU32()));
    expect(() => StreamRandom.restore('0'.repeat(32))).toThrow(RangeError);
    expect(() => StreamRandom.restore('xyz')).toThrow(RangeError);
    expect(() => StreamRandom.fromSeed('abc')).toThrow(RangeError);
    expect(() => new StreamRandom(2 ** 32, 0, 0, 0)).toThrow(RangeError);
    expect(isSeedHex('A'.repeat(32))).toBe(true);
    expect(isSeedHex('g'.repeat(32))).toBe(false);
  });

  it('copyFrom copies the state without sharing it', () => {
    const a = StreamRandom.fromSeed('11111111111111111111111111111111');
    const b = StreamRandom.fromSeed('22222222222222222222222222222222');
    b.copyFrom(a);
    expect(b.state()).toBe(a.state());
    a.nextU32();
    expect(b.state()).not.toBe(a.state());
  });
});
