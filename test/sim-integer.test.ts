/**
 * Integer decisions (issue 15): nothing in the simulation path (src/sim, src/social,
 * src/physics) calls a floating-point function whose last bit ECMAScript leaves to the engine
 * (Math.hypot, Math.cos, `**`, ...): a Node upgrade must not change a decision, or a restore
 * would refuse its own log. Distances are compared squared in raw Q47.16 integers and the
 * character's slope limit comes from the core's fixed-point cosine; the boundaries below are
 * where the integers put them.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Core, createMemory } from '../src/physics/wasm';
import { cosDegreesRaw, degreesToRadiansRaw, divRound, isqrt, normalizeRaw, withinDistance } from '../src/physics/integer';
import { PhysicsWorld } from '../src/physics/world';

/** Functions ECMAScript calls "implementation-approximated" (ES2024 21.3.2), and `**` (Number::exponentiate, likewise). */
const APPROXIMATED =
  /\bMath\.(hypot|cos|sin|tan|acos|asin|atan|atan2|acosh|asinh|atanh|cosh|sinh|tanh|sqrt|cbrt|exp|expm1|log|log2|log10|log1p|pow)\b|\*\*(?!\/)|\*\*=/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'generated' ? [] : sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** The code of a file without comments and string literals (so prose and messages may name the functions). */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/[^\n]*/g, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, '""');
}

test('no implementation-approximated Math function or ** in src/sim, src/social, src/physics', () => {
  const root = join(__dirname, '..', 'src');
  const files = ['sim', 'social', 'physics'].flatMap((d) => sources(join(root, d)));
  expect(files.length).toBeGreaterThan(20);
  const found: string[] = [];
  for (const f of files) {
    code(readFileSync(f, 'utf8'))
      .split('\n')
      .forEach((line, i) => {
        if (APPROXIMATED.test(line)) found.push(`${f}:${i + 1}: ${line.trim()}`);
      });
  }
  expect(found).toEqual([]);
  // the guard can fail: it finds what it is looking for
  expect(APPROXIMATED.test(code('const d = Math.hypot(x, y); // Math.cos in a comment is fine'))).toBe(true);
  expect(APPROXIMATED.test(code('const r2 = r ** 2;'))).toBe(true);
  expect(APPROXIMATED.test(code("/** Math.cos */ const s = 'Math.hypot'; x = 2 * y;"))).toBe(false);
});

describe('withinDistance: squared, exact, at the boundary', () => {
  const R = 10n << 16n; // 10 m raw
  test('on an axis: exactly the range is within, one raw unit more is not', () => {
    expect(withinDistance([R, 0n, 0n], [0n, 0n, 0n], R)).toBe(true);
    expect(withinDistance([R + 1n, 0n, 0n], [0n, 0n, 0n], R)).toBe(false);
    expect(withinDistance([0n, 0n, -R], [0n, 0n, 0n], R)).toBe(true);
  });
  test('a 3-4-5 triangle is exactly on the boundary', () => {
    const k = 13_107n; // 3k, 4k, 5k raw
    expect(withinDistance([3n * k, 4n * k, 0n], [0n, 0n, 0n], 5n * k)).toBe(true);
    expect(withinDistance([3n * k, 4n * k, 0n], [0n, 0n, 0n], 5n * k - 1n)).toBe(false);
    expect(withinDistance([3n * k, 4n * k, 1n], [0n, 0n, 0n], 5n * k)).toBe(false);
  });
  test('far from the origin and beyond 2^53 in the squares, still exact', () => {
    const base = 1n << 40n,
      d = (1n << 30n) + 1n; // d^2 = 2^60 + 2^31 + 1: not a double
    expect(withinDistance([base + d, base, -base], [base, base, -base], d)).toBe(true);
    expect(withinDistance([base + d, base, -base], [base, base, -base], d - 1n)).toBe(false);
    // one raw unit across in y and z next to a distance of 2^30 in x: numbers would round it away
    expect(withinDistance([base + (1n << 30n), base + 1n, 0n], [base, base, 0n], 1n << 30n)).toBe(false);
  });
});

test('isqrt, divRound and normalizeRaw are exact integer functions', () => {
  for (const n of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, (1n << 64n) - 1n, 1n << 100n, (1n << 100n) + 1n, (1n << 100n) - 1n]) {
    const r = isqrt(n);
    expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
  }
  expect(() => isqrt(-1n)).toThrow(RangeError);
  expect([divRound(5n, 2n), divRound(-5n, 2n), divRound(4n, 3n), divRound(-4n, 3n)]).toEqual([3n, -3n, 1n, -1n]);
  expect(normalizeRaw([3n << 16n, 4n << 16n, 0n])).toEqual([39_322n, 52_429n, 0n]); // 0.6, 0.8 rounded to Q16
  expect(normalizeRaw([0n, -7n, 0n])).toEqual([0n, -65_536n, 0n]);
  expect(() => normalizeRaw([0n, 0n, 0n])).toThrow(RangeError);
});

describe("the character's slope limit from the core's fixed-point cosine", () => {
  const core = Core.instantiate(createMemory({ pages: 2, shared: false }), 'unshared');
  test('degrees to raw radians is integer after the first rounding', () => {
    expect(degreesToRadiansRaw(180)).toBe(205_887n); // round(pi x 2^16)
    expect(degreesToRadiansRaw(0)).toBe(0n);
    expect(degreesToRadiansRaw(-90)).toBe(-102_944n);
  });
  test('cos of 0, 45, 60 and 90 degrees in raw Q47.16', () => {
    expect(cosDegreesRaw(core, 0)).toBe(65_536n);
    expect(cosDegreesRaw(core, 45)).toBe(46_341n); // 0.70710678 x 2^16 = 46340.95
    expect(cosDegreesRaw(core, 60)).toBe(32_768n);
    expect(cosDegreesRaw(core, 90)).toBe(0n);
  });
  test('a character body carries exactly that raw cosine (BODY_DEF CHAR_SLOPE_COS)', () => {
    const w = PhysicsWorld.create({ capacity: 8 }, { variant: 'unshared' });
    const a = w.addCharacter({ position: [0, 1, 0], radius: 0.3, halfHeight: 0.5, maxSlopeDeg: 30 });
    const b = w.addCharacter({ position: [3, 1, 0], radius: 0.3, halfHeight: 0.5 });
    expect(w.characterSlopeCosRaw(a)).toBe(cosDegreesRaw(core, 30));
    expect(w.characterSlopeCosRaw(b)).toBe(46_341n);
  });
});
