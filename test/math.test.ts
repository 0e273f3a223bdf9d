/**
 * The fixed-point core against exact references (BigInt rational arithmetic, or 2^-100
 * precision for sin/cos/atan2): edge cases plus 100,000 seeded random inputs per function,
 * on both the release and the debug (assertions on) builds. Exact functions must match the
 * exactly rounded value; the others must stay within their documented ulp bound.
 */
import { Core, createMemory } from '../src/physics/wasm';
import { planLayout, scratchSlot } from '../src/physics/layout';
import {
  ONE,
  I64_MIN,
  I64_MAX,
  wrap,
  absB,
  roundDiv,
  isqrt,
  isqrtRound,
  P,
  PI_P,
  sinCosRef,
  atan2Ref,
  ulpError,
  normalizeRef,
  mulberry32,
  randomSized,
} from './helpers/bigref';

const N = 100_000;
const plan = planLayout([]);
const cores: Array<[string, Core]> = [
  ['release', Core.instantiate(createMemory({ pages: plan.pages, shared: true }), 'release')],
  ['debug', Core.instantiate(createMemory({ pages: plan.pages, shared: true }), 'debug')],
];
const S = scratchSlot(0);
const A = S,
  B = S + 64,
  C = S + 128,
  OUT = S + 256;

function put(core: Core, ptr: number, v: bigint[]): void {
  core.i64().set(v, ptr / 8);
}
function get(core: Core, ptr: number, n: number): bigint[] {
  return Array.from(core.i64().subarray(ptr / 8, ptr / 8 + n));
}
const bitlen = (x: bigint): number => absB(x).toString(2).length;

/** Runs `f` on every core for every input and asserts exact equality with `ref`. */
function exact<T extends unknown[]>(name: string, inputs: T[], f: (c: Core, ...a: T) => bigint | bigint[], ref: (...a: T) => bigint | bigint[]): void {
  for (const [variant, core] of cores) {
    for (const args of inputs) {
      const got = f(core, ...args),
        want = ref(...args);
      if (String(got) !== String(want)) {
        throw new Error(`${name} [${variant}] (${args.join(', ')}): got ${got}, want ${want}`);
      }
    }
  }
}

/**
 * Runs `f` on every core and asserts the ulp error against `ref` (exact value at scale
 * 2^extra per raw unit) is at most `bound` for every component. Returns the max error seen.
 */
function bounded<T extends unknown[]>(
  name: string,
  inputs: T[],
  bound: number,
  extra: bigint,
  f: (c: Core, ...a: T) => bigint[],
  ref: (...a: T) => bigint[],
): number {
  let worst = 0;
  const refs = inputs.map((a) => ref(...a));
  for (const [variant, core] of cores) {
    inputs.forEach((args, i) => {
      const got = f(core, ...args);
      got.forEach((g, k) => {
        const e = ulpError(g, refs[i][k], extra);
        if (e > worst) worst = e;
        if (!(e <= bound)) throw new Error(`${name} [${variant}] (${args.join(', ')})[${k}]: got ${g}, error ${e} ulp > ${bound}`);
      });
    });
  }
  return worst;
}

function gen<T>(seed: number, n: number, make: (rng: () => number) => T): T[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => make(rng));
}

const EDGES = [0n, 1n, -1n, 2n, ONE - 1n, ONE, -ONE, ONE + 1n, 1n << 31n, -(1n << 31n), (1n << 47n) - 1n, -(1n << 47n), I64_MAX, I64_MIN];

describe('scalar conversions and basic ops', () => {
  test('fromInt, toIntFloor, toIntRound, fromRatio', () => {
    const ints = [0, 1, -1, 7, -7, 2147483647, -2147483648, 123456, -98765, ...gen(8, N, (r) => r() | 0)];
    exact(
      'fromInt',
      ints.map((n) => [n] as [number]),
      (c, n) => c.exports.fxFromInt(n),
      (n) => BigInt(n) << 16n,
    );
    const xs = [...EDGES, ONE / 2n, -ONE / 2n, ONE + ONE / 2n, -(ONE + ONE / 2n), ...gen(1, N, (r) => randomSized(r, 63))];
    exact(
      'toIntFloor',
      xs.map((x) => [x] as [bigint]),
      (c, x) => c.exports.fxToIntFloor(x),
      (x) => x >> 16n,
    );
    // ties (x.5) go away from zero
    exact(
      'toIntRound',
      xs.map((x) => [x] as [bigint]),
      (c, x) => c.exports.fxToIntRound(x),
      (x) => roundDiv(x, ONE),
    );
    expect(cores[0][1].exports.fxToIntRound(-(ONE + ONE / 2n))).toBe(-2n);
    const ratios = gen(2, N, (r) => [randomSized(r, 47), randomSized(r, 63) || 1n] as [bigint, bigint]);
    ratios.push([1n, 3n], [-1n, 3n], [2n, 3n], [1n, 2n * ONE], [-1n, 2n * ONE], [355n, 113n]);
    exact(
      'fromRatio',
      ratios,
      (c, n, d) => c.exports.fxFromRatio(n, d),
      (n, d) => roundDiv(n << 16n, d),
    );
  });

  test("add and sub wrap in two's complement", () => {
    const pairs = [
      ...gen(3, N, (r) => [randomSized(r, 63), randomSized(r, 63)] as [bigint, bigint]),
      [I64_MAX, 1n],
      [I64_MIN, -1n],
      [I64_MAX, I64_MAX],
      [I64_MIN, I64_MIN],
    ] as Array<[bigint, bigint]>;
    exact(
      'add',
      pairs,
      (c, a, b) => c.exports.fxAdd(a, b),
      (a, b) => wrap(a + b),
    );
    exact(
      'sub',
      pairs,
      (c, a, b) => c.exports.fxSub(a, b),
      (a, b) => wrap(a - b),
    );
    expect(cores[0][1].exports.fxAdd(I64_MAX, 1n)).toBe(I64_MIN);
  });

  test('abs, min, max, clamp, lerp', () => {
    const xs = [...EDGES, ...gen(4, N, (r) => randomSized(r, 63))];
    exact(
      'abs',
      xs.map((x) => [x] as [bigint]),
      (c, x) => c.exports.fxAbs(x),
      (x) => wrap(absB(x)),
    );
    expect(cores[0][1].exports.fxAbs(I64_MIN)).toBe(I64_MIN); // documented wrap
    const pairs = gen(5, N, (r) => [randomSized(r, 63), randomSized(r, 63)] as [bigint, bigint]);
    exact(
      'min',
      pairs,
      (c, a, b) => c.exports.fxMin(a, b),
      (a, b) => (a < b ? a : b),
    );
    exact(
      'max',
      pairs,
      (c, a, b) => c.exports.fxMax(a, b),
      (a, b) => (a > b ? a : b),
    );
    const triples = gen(6, N, (r) => {
      const lo = randomSized(r, 62),
        hi = lo + absB(randomSized(r, 62));
      return [randomSized(r, 63), lo, hi] as [bigint, bigint, bigint];
    });
    exact(
      'clamp',
      triples,
      (c, x, lo, hi) => c.exports.fxClamp(x, lo, hi),
      (x, lo, hi) => (x < lo ? lo : x > hi ? hi : x),
    );
    const lerps = gen(7, N, (r) => [randomSized(r, 40), randomSized(r, 40), randomSized(r, 20)] as [bigint, bigint, bigint]);
    exact(
      'lerp',
      lerps,
      (c, a, b, t) => c.exports.fxLerp(a, b, t),
      (a, b, t) => a + roundDiv((b - a) * t, ONE),
    );
  });
});

describe('mul and div', () => {
  test('mul is correctly rounded inside |a*b| < 2^63 raw', () => {
    const pairs = gen(10, N, (r) => {
      const a = randomSized(r, 62);
      return [a, randomSized(r, Math.max(1, 63 - bitlen(a)))] as [bigint, bigint];
    });
    // ties: a * b with fractional part exactly 1/2
    pairs.push([ONE / 2n, 1n], [-ONE / 2n, 1n], [3n, ONE / 2n], [-3n, ONE / 2n], [ONE, ONE], [-ONE, ONE]);
    exact(
      'mul',
      pairs,
      (c, a, b) => c.exports.fxMul(a, b),
      (a, b) => roundDiv(a * b, ONE),
    );
    expect(cores[0][1].exports.fxMul(1n, ONE / 2n)).toBe(1n); // 0.5 ulp -> 1 (away from zero)
    expect(cores[0][1].exports.fxMul(-1n, ONE / 2n)).toBe(-1n);
  });

  test('mul at and beyond the overflow bound follows the documented wrap', () => {
    // exact right up to the bound: a * b = 2^63 - 2^31 and -2^63
    const atBound: Array<[bigint, bigint]> = [
      [(1n << 32n) - 1n, 1n << 31n],
      [-(1n << 32n), 1n << 31n],
      [1n << 31n, -(1n << 32n)],
    ];
    exact(
      'mul@bound',
      atBound,
      (c, a, b) => c.exports.fxMul(a, b),
      (a, b) => roundDiv(a * b, ONE),
    );
    // beyond: the raw product wraps modulo 2^64 first
    const beyond = gen(11, N, (r) => [randomSized(r, 63), randomSized(r, 63)] as [bigint, bigint]);
    beyond.push([1n << 32n, 1n << 31n], [I64_MAX, I64_MAX], [I64_MIN, -1n]);
    exact(
      'mul wrap',
      beyond,
      (c, a, b) => c.exports.fxMul(a, b),
      (a, b) => roundDiv(wrap(a * b), ONE),
    );
  });

  test('div is correctly rounded for |a| < 2^47 raw and never traps', () => {
    const pairs = gen(12, N, (r) => [randomSized(r, 47), randomSized(r, 63) || 1n] as [bigint, bigint]);
    pairs.push([1n, 2n * ONE], [-1n, 2n * ONE], [ONE, 3n * ONE], [(1n << 47n) - 1n, 1n], [-(1n << 47n), ONE], [7n, -1n]);
    exact(
      'div',
      pairs,
      (c, a, b) => c.exports.fxDiv(a, b),
      (a, b) => roundDiv(a << 16n, b),
    );
    // beyond the bound a << 16 wraps first; /0 saturates; i64.MIN / -1 wraps (no trap)
    const beyond = gen(13, N, (r) => [randomSized(r, 63), randomSized(r, 63) || 3n] as [bigint, bigint]);
    beyond.push([1n << 47n, ONE], [I64_MIN >> 16n, -1n], [I64_MAX, 1n]);
    exact(
      'div wrap',
      beyond,
      (c, a, b) => c.exports.fxDiv(a, b),
      (a, b) => {
        const n = wrap(a << 16n);
        return b === -1n ? wrap(-n) : roundDiv(n, b);
      },
    );
    const e = cores[0][1].exports;
    expect(e.fxDiv(5n, 0n)).toBe(I64_MAX);
    expect(e.fxDiv(-5n, 0n)).toBe(I64_MIN);
    expect(e.fxDiv(0n, 0n)).toBe(0n);
    expect(e.fxDiv(I64_MIN >> 16n, -1n)).toBe(I64_MIN); // (MIN << 16) / -1 wraps
  });
});

describe('sqrt and rsqrt', () => {
  test('sqrt is exactly rounded over the whole non-negative range', () => {
    const xs = [...EDGES.filter((x) => x >= 0n), 2n, 3n, 4n * ONE, 2n * ONE, ...gen(20, N, (r) => absB(randomSized(r, 63)))];
    exact(
      'sqrt',
      xs.map((x) => [x] as [bigint]),
      (c, x) => c.exports.fxSqrt(x),
      (x) => isqrtRound(x << 16n),
    );
    expect(cores[0][1].exports.fxSqrt(4n * ONE)).toBe(2n * ONE);
    expect(cores[0][1].exports.fxSqrt(-5n)).toBe(0n); // release: documented 0
    expect(() => cores[1][1].exports.fxSqrt(-5n)).toThrow(/negative/); // debug: assertion
  });

  test('rsqrt is exactly rounded (ties away from zero)', () => {
    const xs = [
      1n,
      2n,
      3n,
      ONE,
      4n * ONE,
      ONE / 4n,
      (1n << 50n) - 1n,
      1n << 50n,
      (1n << 50n) + 1n,
      I64_MAX,
      ...gen(21, N, (r) => absB(randomSized(r, 63)) || 1n),
    ];
    // round(2^24 / sqrt(x)) = floor((floor(sqrt(2^50 / x)) + 1) / 2)
    exact(
      'rsqrt',
      xs.map((x) => [x] as [bigint]),
      (c, x) => c.exports.fxRsqrt(x),
      (x) => (isqrt((1n << 50n) / x) + 1n) >> 1n,
    );
    expect(cores[0][1].exports.fxRsqrt(4n * ONE)).toBe(ONE / 2n);
    expect(cores[0][1].exports.fxRsqrt(1n << 50n)).toBe(1n); // the one tie: 0.5 ulp -> 1
    expect(cores[0][1].exports.fxRsqrt(0n)).toBe(I64_MAX);
  });
});

test('sqrtFast (physics root) is within 2^-16 relative of sqrt over the u64 range, exact below 2^16', () => {
  const xs = [
    0n,
    1n,
    2n,
    65535n,
    65536n,
    65537n,
    (1n << 64n) - 1n,
    1n << 63n,
    ...gen(22, N, (r) => absB(randomSized(r, 63)) * (r() & 1 ? 2n : 1n) + BigInt(r() & 1)),
  ];
  for (const [variant, core] of cores) {
    for (const x of xs) {
      const got = BigInt.asUintN(64, core.exports.fxSqrtFast(BigInt.asIntN(64, x)));
      const exact = isqrt(x);
      if (x < 65536n) {
        if (got !== exact) throw new Error(`sqrtFast [${variant}] ${x}: ${got} != ${exact}`);
        continue;
      }
      // |got - sqrt(x)| <= 2^-16 sqrt(x) + 1 (the +1 covers the floor of the exact root)
      const err = absB(got - exact);
      if (err * (1n << 16n) > exact + (1n << 16n)) throw new Error(`sqrtFast [${variant}] ${x}: ${got} vs ${exact}`);
    }
  }
});

describe('trigonometry', () => {
  const TRIG_BOUND = 0.5 + 2 ** -10;
  const EXTRA = P - 16n;

  test('sin and cos within 0.5 + 2^-10 ulp for |x| < 32768 rad', () => {
    const quarter = PI_P >> (P - 16n + 1n);
    const xs = [
      0n,
      1n,
      -1n,
      ONE,
      -ONE,
      quarter,
      quarter + 1n,
      2n * quarter,
      3n * quarter,
      4n * quarter,
      (1n << 31n) - 1n,
      -((1n << 31n) - 1n),
      ...gen(30, N, (r) => randomSized(r, 31)),
    ];
    const args = xs.map((x) => [x] as [bigint]);
    const ws = bounded(
      'sin',
      args,
      TRIG_BOUND,
      EXTRA,
      (c, x) => [c.exports.fxSin(x)],
      (x) => [sinCosRef(x)[0]],
    );
    const wc = bounded(
      'cos',
      args,
      TRIG_BOUND,
      EXTRA,
      (c, x) => [c.exports.fxCos(x)],
      (x) => [sinCosRef(x)[1]],
    );
    expect(cores[0][1].exports.fxCos(0n)).toBe(ONE);
    expect(cores[0][1].exports.fxSin(0n)).toBe(0n);
    console.log(`max error: sin ${ws.toFixed(6)} ulp, cos ${wc.toFixed(6)} ulp`);
    expect(() => cores[1][1].exports.fxSin(1n << 40n)).toThrow(/32768/); // debug asserts the domain
  });

  test('sin is odd and cos even (ties away from zero keep the symmetry)', () => {
    const xs = gen(31, 20_000, (r) => randomSized(r, 31));
    const e = cores[0][1].exports;
    for (const x of xs) {
      expect(e.fxSin(-x)).toBe(-e.fxSin(x));
      expect(e.fxCos(-x)).toBe(e.fxCos(x));
    }
  });

  test('atan2 within 0.5 + 2^-10 ulp over all i64 inputs', () => {
    const special: Array<[bigint, bigint]> = [
      [0n, 1n],
      [1n, 0n],
      [0n, -1n],
      [-1n, 0n],
      [1n, 1n],
      [-1n, -1n],
      [1n, -1n],
      [-1n, -(1n << 40n)],
      [1n, -(1n << 40n)],
      [I64_MAX, I64_MIN],
      [I64_MIN, I64_MIN],
      [I64_MIN, 0n],
      [0n, I64_MIN],
      [3n, 4n],
    ];
    const pairs = [...special, ...gen(32, N, (r) => [randomSized(r, 63), randomSized(r, 63)] as [bigint, bigint])].filter(([y, x]) => x !== 0n || y !== 0n);
    const w = bounded(
      'atan2',
      pairs,
      TRIG_BOUND,
      EXTRA,
      (c, y, x) => [c.exports.fxAtan2(y, x)],
      (y, x) => [atan2Ref(y, x)],
    );
    const e = cores[0][1].exports;
    expect(e.fxAtan2(0n, 0n)).toBe(0n);
    expect(e.fxAtan2(0n, -5n)).toBe(205887n); // +pi
    expect(e.fxAtan2(5n, 0n)).toBe(102944n); // pi/2 = 102943.7 -> 102944
    console.log(`max error: atan2 ${w.toFixed(6)} ulp`);
  });
});

describe('vec3', () => {
  test('dot and cross are correctly rounded (components < 2^30 raw)', () => {
    const vs = gen(40, N, (r) => [0, 1, 2, 3, 4, 5].map(() => randomSized(r, 30)));
    exact(
      'dot',
      vs.map((v) => [v] as [bigint[]]),
      (c, v) => {
        put(c, A, v.slice(0, 3));
        put(c, B, v.slice(3));
        return c.exports.v3Dot(A, B);
      },
      (v) => roundDiv(v[0] * v[3] + v[1] * v[4] + v[2] * v[5], ONE),
    );
    const cs = gen(41, N, (r) => [0, 1, 2, 3, 4, 5].map(() => randomSized(r, 31)));
    exact(
      'cross',
      cs.map((v) => [v] as [bigint[]]),
      (c, v) => {
        put(c, A, v.slice(0, 3));
        put(c, B, v.slice(3));
        c.exports.v3Cross(OUT, A, B);
        return get(c, OUT, 3);
      },
      ([ax, ay, az, bx, by, bz]) => [roundDiv(ay * bz - az * by, ONE), roundDiv(az * bx - ax * bz, ONE), roundDiv(ax * by - ay * bx, ONE)],
    );
  });

  test('length is exactly rounded below 2^31 raw and within its bound above', () => {
    const vs = gen(42, N, (r) => [0, 1, 2].map(() => randomSized(r, 31)));
    vs.push([0n, 0n, 0n], [3n * ONE, 4n * ONE, 0n], [(1n << 31n) - 1n, (1n << 31n) - 1n, (1n << 31n) - 1n]);
    exact(
      'length',
      vs.map((v) => [v] as [bigint[]]),
      (c, v) => {
        put(c, A, v);
        return c.exports.v3Length(A);
      },
      (v) => isqrtRound(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]),
    );
    expect(
      (() => {
        put(cores[0][1], A, [3n * ONE, 4n * ONE, 0n]);
        return cores[0][1].exports.v3Length(A);
      })(),
    ).toBe(5n * ONE);
    // large components: error < 2.25 * 2^k ulp, k = bit length - 31
    const big = gen(43, N, (r) => [0, 1, 2].map(() => randomSized(r, 63)));
    big.push([I64_MAX, I64_MAX, I64_MAX], [I64_MIN, 0n, 0n]);
    for (const [variant, core] of cores) {
      for (const v of big) {
        put(core, A, v);
        const got = core.exports.v3Length(A);
        const m = v.reduce((acc, x) => (absB(x) > acc ? absB(x) : acc), 0n);
        const k = Math.max(0, bitlen(m) - 31);
        const want = isqrt((v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) << 40n); // at scale 2^20
        const err = ulpError(got, want, 20n);
        if (want >> 20n > I64_MAX) {
          if (got !== I64_MAX) throw new Error(`length [${variant}] ${v}: want saturation`);
          continue;
        }
        if (err > 2.25 * 2 ** k) throw new Error(`length [${variant}] ${v}: error ${err} ulp > ${2.25 * 2 ** k}`);
      }
    }
  });

  test('normalize within 0.5 + 2^-12 ulp per component, any scale', () => {
    const vs = gen(44, N, (r) => [0, 1, 2].map(() => randomSized(r, 63)));
    vs.push([1n, 0n, 0n], [0n, -1n, 0n], [1n, 1n, 1n], [I64_MIN, I64_MIN, I64_MAX]);
    const w = bounded(
      'normalize',
      vs.map((v) => [v] as [bigint[]]),
      0.5 + 2 ** -12 + 2 ** -39,
      40n,
      (c, v) => {
        put(c, A, v);
        c.exports.v3Normalize(OUT, A);
        return get(c, OUT, 3);
      },
      (v) => normalizeRef(v, 40n),
    );
    put(cores[0][1], A, [0n, 0n, 0n]);
    cores[0][1].exports.v3Normalize(OUT, A);
    expect(get(cores[0][1], OUT, 3)).toEqual([0n, 0n, 0n]);
    console.log(`max error: normalize ${w.toFixed(6)} ulp`);
  });

  test('lerp per component', () => {
    const vs = gen(45, N, (r) => [...[0, 1, 2, 3, 4, 5].map(() => randomSized(r, 40)), randomSized(r, 20)]);
    exact(
      'v3Lerp',
      vs.map((v) => [v] as [bigint[]]),
      (c, v) => {
        put(c, A, v.slice(0, 3));
        put(c, B, v.slice(3, 6));
        c.exports.v3Lerp(OUT, A, B, v[6]);
        return get(c, OUT, 3);
      },
      (v) => [0, 1, 2].map((i) => v[i] + roundDiv((v[i + 3] - v[i]) * v[6], ONE)),
    );
  });
});

describe('quaternions', () => {
  /** A random unit quaternion, normalized by the core (it is an input here). */
  function unitQuat(core: Core, r: () => number): bigint[] {
    put(
      core,
      C,
      [0, 1, 2, 3].map(() => randomSized(r, 20)),
    );
    core.exports.qNormalize(C, C);
    return get(core, C, 4);
  }

  test('mul is correctly rounded (components < 2^30 raw)', () => {
    const qs = gen(50, N, (r) => [0, 1, 2, 3, 4, 5, 6, 7].map(() => randomSized(r, 30)));
    exact(
      'qMul',
      qs.map((v) => [v] as [bigint[]]),
      (c, v) => {
        put(c, A, v.slice(0, 4));
        put(c, B, v.slice(4));
        c.exports.qMul(OUT, A, B);
        return get(c, OUT, 4);
      },
      ([ax, ay, az, aw, bx, by, bz, bw]) => [
        roundDiv(aw * bx + ax * bw + ay * bz - az * by, ONE),
        roundDiv(aw * by - ax * bz + ay * bw + az * bx, ONE),
        roundDiv(aw * bz + ax * by - ay * bx + az * bw, ONE),
        roundDiv(aw * bw - ax * bx - ay * by - az * bz, ONE),
      ],
    );
    // i * j = k
    const c0 = cores[0][1];
    put(c0, A, [ONE, 0n, 0n, 0n]);
    put(c0, B, [0n, ONE, 0n, 0n]);
    c0.exports.qMul(OUT, A, B);
    expect(get(c0, OUT, 4)).toEqual([0n, 0n, ONE, 0n]);
  });

  test('normalize within 0.5 + 2^-12 ulp', () => {
    const qs = gen(51, N, (r) => [0, 1, 2, 3].map(() => randomSized(r, 63)));
    bounded(
      'qNormalize',
      qs.map((v) => [v] as [bigint[]]),
      0.5 + 2 ** -12 + 2 ** -39,
      40n,
      (c, v) => {
        put(c, A, v);
        c.exports.qNormalize(OUT, A);
        return get(c, OUT, 4);
      },
      (v) => normalizeRef(v, 40n),
    );
  });

  test('rotate within 0.5 + 2^-6 ulp of the exact formula', () => {
    const rng = mulberry32(52);
    const cases = Array.from({ length: N }, () => [unitQuat(cores[0][1], rng), [0, 1, 2].map(() => randomSized(rng, 31))] as [bigint[], bigint[]]);
    const w = bounded(
      'qRotate',
      cases,
      0.5 + 2 ** -6,
      32n,
      (c, q, v) => {
        put(c, A, q);
        put(c, B, v);
        c.exports.qRotate(OUT, A, B);
        return get(c, OUT, 3);
      },
      ([qx, qy, qz, qw], [vx, vy, vz]) => {
        // exact: t = 2 (q x v) at scale 2^32, v' = v + w t + q x t at scale 2^48 -> 2^32 per raw unit
        const tx = 2n * (qy * vz - qz * vy),
          ty = 2n * (qz * vx - qx * vz),
          tz = 2n * (qx * vy - qy * vx);
        return [(vx << 32n) + qw * tx + qy * tz - qz * ty, (vy << 32n) + qw * ty + qz * tx - qx * tz, (vz << 32n) + qw * tz + qx * ty - qy * tx];
      },
    );
    // a quarter turn about z maps x to y
    const c0 = cores[0][1];
    const s = isqrtRound(1n << 31n); // sqrt(1/2) in Q16
    put(c0, A, [0n, 0n, s, s]);
    put(c0, B, [ONE, 0n, 0n]);
    c0.exports.qRotate(OUT, A, B);
    const [x, y, z] = get(c0, OUT, 3);
    expect(absB(x)).toBeLessThanOrEqual(1n);
    expect(absB(y - ONE)).toBeLessThanOrEqual(1n);
    expect(z).toBe(0n);
    console.log(`max error: qRotate ${w.toFixed(6)} ulp`);
  });

  test('integrate within 0.5 + 2^-6 ulp of the exact normalized first-order update', () => {
    const rng = mulberry32(53);
    const cases = Array.from(
      { length: N },
      () => [unitQuat(cores[0][1], rng), [0, 1, 2].map(() => randomSized(rng, 24)), BigInt(1 + (rng() % 65536))] as [bigint[], bigint[], bigint],
    );
    const w = bounded(
      'qIntegrate',
      cases,
      0.5 + 2 ** -6,
      40n,
      (c, q, om, dt) => {
        put(c, A, q);
        put(c, B, om);
        c.exports.qIntegrate(OUT, A, B, dt);
        return get(c, OUT, 4);
      },
      ([qx, qy, qz, qw], [wx, wy, wz], dt) => {
        // h = w dt / 2 at scale 2^33 per unit; q + h q at scale 2^49
        const hx = wx * dt,
          hy = wy * dt,
          hz = wz * dt;
        return normalizeRef(
          [
            (qx << 33n) + hx * qw + hy * qz - hz * qy,
            (qy << 33n) + hy * qw + hz * qx - hx * qz,
            (qz << 33n) + hz * qw + hx * qy - hy * qx,
            (qw << 33n) - (hx * qx + hy * qy + hz * qz),
          ],
          40n,
        );
      },
    );
    console.log(`max error: qIntegrate ${w.toFixed(6)} ulp`);
  });
});
