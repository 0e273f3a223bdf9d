/**
 * Math kernel suite: the WebAssembly fixed-point core against two plain-JavaScript ports,
 * one benchmark.js Suite per kernel, all three implementations timed in the same run.
 *
 * ```
 *  implementation   format   arithmetic                         input array         per call
 *  wasm             Q47.16   release core (-O3, shared memory), i64 in wasm memory   one benchKernel()
 *                            assembly/api/bench.ts benchKernel   (planLayout region)
 *  js-number        Q16.16   bench/math/q16-number.ts           Int32Array          one loop
 *  js-bigint        Q47.16   bench/math/q47-bigint.ts           BigInt64Array       one loop
 * ```
 *
 * Each call evaluates the kernel over the whole input array (N = 4096 seeded raw values,
 * the same values in all three arrays) exactly as benchKernel's loop does (pairs
 * x[i], x[i+1] for binary functions, x[i..i+3] for vectors) and folds the results into a
 * checksum stored in a module variable (sinkWasm, sinkNumber, sinkBigInt), so no result
 * is dead code. One wasm call per N operations means the JS -> wasm call cost is amortized:
 * this measures the math, not the boundary.
 *
 * Measured: operations per second of each implementation (Mops/s = ops per call * hz / 1e6)
 * and the ratios WASM / JS-Number and WASM / JS-BigInt (> 1: WASM is faster).
 *
 * Before timing, every kernel is checked once (untimed): the BigInt twin must match the
 * core bit for bit on every input (per element through the core's scalar/pointer exports,
 * and via the benchKernel checksum), otherwise the suite throws; how often and by how many
 * ulps the Q16.16 port differs from the core is recorded, not enforced.
 */
import Benchmark from 'benchmark';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Core, createMemory, wasmPath, type CoreExports } from '../src/physics/wasm';
import { planLayout, scratchSlot } from '../src/physics/layout';
import * as q16 from './math/q16-number';
import * as q47 from './math/q47-bigint';
import { seededInputs, sizedInt, uniformInt } from './math/inputs';
import { caseStats, fmt3, markdownTable, type BenchSuite, type CaseStats, type SuiteOptions, type SuiteOutput } from './results';

/** Inputs per kernel (raw values per array; every call processes all of them). */
export const N = 4096;
/** Base seed of the inputs (kernel k uses SEED + k). */
export const SEED = 0x7e55e7a;

// Checksums of the last call of each implementation: the benchmarked functions store their
// results here, so nothing they compute is dead; the suite compares them after timing.
let sinkWasm = 0n;
let sinkNumber = 0;
let sinkBigInt = 0n;

/** Implementation labels, in table order. */
export const IMPLS = ['wasm', 'js-number', 'js-bigint'] as const;
/** One of IMPLS. */
export type Impl = (typeof IMPLS)[number];

const IMPL_TITLE: Record<Impl, string> = {
  wasm: 'WASM Q47.16',
  'js-number': 'JS Number Q16.16',
  'js-bigint': 'JS BigInt Q47.16',
};

/** Per-element results of one operation: the core's, the BigInt twin's, the Q16.16 port's. */
interface ElementResults {
  wasm: bigint[];
  bigint: bigint[];
  number: number[];
}

/** Scratch addresses of the core's pointer API (thread 0's slot): two operands and a result. */
const SCRATCH = scratchSlot(0);
const ARG_B = SCRATCH + 64;
const OUT = SCRATCH + 128;

/** A benchmarked kernel: the core's kernel id, its JS twins, and its input domain. */
interface Kernel {
  /** Case name (filter: `math/<name>`). */
  readonly name: string;
  /** benchKernel op id (assembly/api/bench.ts KERNEL_*). */
  readonly op: number;
  /** Operations per call over n inputs (the kernel loop's trip count). */
  readonly ops: (n: number) => number;
  /** The input domain, and why it is valid for both formats. */
  readonly domain: string;
  /** One raw input value. */
  readonly gen: (rng: () => number) => number;
  readonly number: (x: Int32Array, n: number) => number;
  readonly bigint: (x: BigInt64Array, n: number) => bigint;
  /** Results of operation i through the core's per-call exports and the two JS ports. */
  readonly element: (core: Core, ptr: number, xi: Int32Array, xb: BigInt64Array, i: number) => ElementResults;
}

const abs = (v: number): number => (v < 0 ? -v : v);
const absB = (v: bigint): bigint => (v < 0n ? -v : v);
const ex = (core: Core): CoreExports => core.exports;
function read(core: Core, ptr: number, count: number): bigint[] {
  return Array.from(core.i64().subarray(ptr / 8, ptr / 8 + count));
}

/** The kernels of assembly/api/bench.ts, in op id order. */
export const KERNELS: readonly Kernel[] = [
  {
    name: 'mul',
    op: 0,
    ops: (n) => n - 1,
    domain: 'bit length 1..23, random sign: |a b| < 2^46 raw (Q16.16 result fits int32; core needs < 2^63)',
    gen: (r) => sizedInt(r, 1, 23),
    number: q16.kernelMul,
    bigint: q47.kernelMul,
    element: (c, _p, xi, xb, i) => ({
      wasm: [ex(c).fxMul(xb[i], xb[i + 1])],
      bigint: [q47.mul(xb[i], xb[i + 1])],
      number: [q16.mul(xi[i], xi[i + 1])],
    }),
  },
  {
    name: 'div',
    op: 1,
    ops: (n) => n - 1,
    domain: 'bit length 10..24, random sign: |a| < 2^24 raw (core: < 2^47), |a / b| < 2^15 (Q16.16 result fits int32), b != 0',
    gen: (r) => sizedInt(r, 10, 24),
    number: q16.kernelDiv,
    bigint: q47.kernelDiv,
    element: (c, _p, xi, xb, i) => ({
      wasm: [ex(c).fxDiv(xb[i], xb[i + 1])],
      bigint: [q47.div(xb[i], xb[i + 1])],
      number: [q16.div(xi[i], xi[i + 1])],
    }),
  },
  {
    name: 'sqrt',
    op: 2,
    ops: (n) => n,
    domain: 'bit length 1..31 (the kernel takes |x|): every int32 but -2^31; the core accepts any x >= 0',
    gen: (r) => sizedInt(r, 1, 31),
    number: q16.kernelSqrt,
    bigint: q47.kernelSqrt,
    element: (c, _p, xi, xb, i) => ({
      wasm: [ex(c).fxSqrt(absB(xb[i]))],
      bigint: [q47.sqrt(absB(xb[i]))],
      number: [q16.sqrt(abs(xi[i]))],
    }),
  },
  {
    name: 'sin',
    op: 3,
    ops: (n) => n,
    domain: "bit length 1..31, random sign: |x| < 2^31 raw (< 32768 rad), the core's documented domain",
    gen: (r) => sizedInt(r, 1, 31),
    number: q16.kernelSin,
    bigint: q47.kernelSin,
    element: (c, _p, xi, xb, i) => ({
      wasm: [ex(c).fxSin(xb[i])],
      bigint: [q47.sin(xb[i])],
      number: [q16.sin(xi[i])],
    }),
  },
  {
    name: 'atan2',
    op: 4,
    ops: (n) => n - 1,
    domain: "bit length 1..31, random sign (y = x[i], x = x[i+1]); any i64 is in the core's domain",
    gen: (r) => sizedInt(r, 1, 31),
    number: q16.kernelAtan2,
    bigint: q47.kernelAtan2,
    element: (c, _p, xi, xb, i) => ({
      wasm: [ex(c).fxAtan2(xb[i], xb[i + 1])],
      bigint: [q47.atan2(xb[i], xb[i + 1])],
      number: [q16.atan2(xi[i], xi[i + 1])],
    }),
  },
  {
    name: 'v3-normalize',
    op: 5,
    ops: (n) => n - 4,
    domain: 'components of bit length 1..31, random sign (vectors of any scale up to 32 km); any i64 for the core',
    gen: (r) => sizedInt(r, 1, 31),
    number: q16.kernelV3Normalize,
    bigint: q47.kernelV3Normalize,
    element: (c, p, xi, xb, i) => {
      ex(c).v3Normalize(OUT, p + 8 * i);
      q47.normalize4(xb[i], xb[i + 1], xb[i + 2], 0n);
      const big = q47.result().slice(0, 3);
      q16.normalize(xi[i], xi[i + 1], xi[i + 2]);
      return { wasm: read(c, OUT, 3), bigint: big, number: q16.result().slice(0, 3) };
    },
  },
  {
    name: 'q-mul',
    op: 6,
    ops: (n) => n - 4,
    domain: 'components uniform in [-1, 1] (|raw| <= 2^16): rotation quaternions (core exact below 2^30 raw)',
    gen: (r) => uniformInt(r, 65536),
    number: q16.kernelQMul,
    bigint: q47.kernelQMul,
    element: (c, p, xi, xb, i) => {
      const [a, b, cc, d] = [xb[i], xb[i + 1], xb[i + 2], xb[i + 3]];
      c.i64().set([d, cc, b, a], ARG_B / 8);
      ex(c).qMul(OUT, p + 8 * i, ARG_B);
      q47.qmul(a, b, cc, d, d, cc, b, a);
      const big = q47.result();
      q16.qmul(xi[i], xi[i + 1], xi[i + 2], xi[i + 3], xi[i + 3], xi[i + 2], xi[i + 1], xi[i]);
      return { wasm: read(c, OUT, 4), bigint: big, number: q16.result() };
    },
  },
  {
    name: 'q-rotate',
    op: 7,
    ops: (n) => n - 4,
    domain: 'q and v components uniform in [-1, 1] (|raw| <= 2^16): core needs |q| <= 1.0, |v| < 2^31 raw',
    gen: (r) => uniformInt(r, 65536),
    number: q16.kernelQRotate,
    bigint: q47.kernelQRotate,
    element: (c, p, xi, xb, i) => {
      const [a, b, cc, d] = [xb[i], xb[i + 1], xb[i + 2], xb[i + 3]];
      c.i64().set([d, cc, b], ARG_B / 8);
      ex(c).qRotate(OUT, p + 8 * i, ARG_B);
      q47.qrotate(a, b, cc, d, d, cc, b);
      const big = q47.result().slice(0, 3);
      q16.qrotate(xi[i], xi[i + 1], xi[i + 2], xi[i + 3], xi[i + 3], xi[i + 2], xi[i + 1]);
      return { wasm: read(c, OUT, 3), bigint: big, number: q16.result().slice(0, 3) };
    },
  },
];

/** Untimed agreement check of one kernel's three implementations. */
export interface KernelCheck {
  /** Checksums of one call each (decimal strings; wasm and js-bigint are i64). */
  readonly checksums: Readonly<Record<Impl, string>>;
  /** Result components compared per implementation pair (elements x components). */
  readonly components: number;
  /** Components where js-bigint differs from the core (the suite throws unless 0). */
  readonly bigintMismatches: number;
  /** Components where js-number (Q16.16) differs from the core. */
  readonly numberDiffers: number;
  /** Largest |js-number - core| in raw units (ulps of 2^-16). */
  readonly numberMaxUlp: number;
}

/** Timed result of one kernel: stats per implementation and the ratios. */
export interface KernelResult {
  readonly kernel: string;
  readonly op: number;
  readonly opsPerCall: number;
  readonly domain: string;
  readonly check: KernelCheck;
  readonly impls: Readonly<Record<Impl, CaseStats & { readonly checksum: string }>>;
  /** hz(wasm) / hz(js-number): how many times faster the core is (same ops per call). */
  readonly wasmOverNumber: number;
  /** hz(wasm) / hz(js-bigint). */
  readonly wasmOverBigInt: number;
}

function checkKernel(k: Kernel, core: Core, ptr: number, xi: Int32Array, xb: BigInt64Array): KernelCheck {
  const wasmSum = core.exports.benchKernel(k.op, ptr, N);
  const bigSum = k.bigint(xb, N);
  const numSum = k.number(xi, N);
  if (wasmSum !== bigSum) {
    throw new Error(`math/${k.name}: js-bigint checksum ${bigSum} != wasm checksum ${wasmSum}: the twin is broken`);
  }
  let components = 0,
    bigintMismatches = 0,
    numberDiffers = 0,
    numberMaxUlp = 0;
  let firstMismatch = '';
  for (let i = 0; i < k.ops(N); i++) {
    const r = k.element(core, ptr, xi, xb, i);
    for (let j = 0; j < r.wasm.length; j++) {
      components++;
      if (r.bigint[j] !== r.wasm[j]) {
        bigintMismatches++;
        firstMismatch ||= `op ${i}[${j}]: wasm ${r.wasm[j]}, js-bigint ${r.bigint[j]}`;
      }
      const d = Math.abs(Number(BigInt(r.number[j]) - r.wasm[j]));
      if (d !== 0) numberDiffers++;
      if (d > numberMaxUlp) numberMaxUlp = d;
    }
  }
  if (bigintMismatches) throw new Error(`math/${k.name}: js-bigint differs from the core in ${bigintMismatches} results, first ${firstMismatch}`);
  return {
    checksums: { wasm: String(wasmSum), 'js-number': String(numSum), 'js-bigint': String(bigSum) },
    components,
    bigintMismatches,
    numberDiffers,
    numberMaxUlp,
  };
}

function renderMarkdown(results: readonly KernelResult[], n: number): string {
  const summary = markdownTable(
    ['kernel', 'ops/call', 'WASM Mops/s', 'JS-Number Mops/s', 'JS-BigInt Mops/s', 'WASM / JS-Number', 'WASM / JS-BigInt'],
    results.map((r) => [
      r.kernel,
      String(r.opsPerCall),
      fmt3(r.impls.wasm.mops),
      fmt3(r.impls['js-number'].mops),
      fmt3(r.impls['js-bigint'].mops),
      `${fmt3(r.wasmOverNumber)}x`,
      `${fmt3(r.wasmOverBigInt)}x`,
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const detail = markdownTable(
    ['kernel', 'impl', 'Mops/s (hz)', 'Mops/s (median)', '±rme', 'samples', 'WASM / impl'],
    results.flatMap((r) =>
      IMPLS.map((impl) => {
        const s = r.impls[impl];
        return [r.kernel, IMPL_TITLE[impl], fmt3(s.mops), fmt3(s.mopsMedian), `±${s.rme.toFixed(2)}%`, String(s.samples), `${fmt3(r.impls.wasm.hz / s.hz)}x`];
      }),
    ),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
  );
  const checks = markdownTable(
    ['kernel', 'inputs (raw Q16 units)', 'BigInt = WASM', 'Q16.16 results != WASM', 'max diff (ulp)'],
    results.map((r) => [
      r.kernel,
      r.domain,
      `${r.check.components - r.check.bigintMismatches}/${r.check.components}`,
      `${r.check.numberDiffers}/${r.check.components}`,
      String(r.check.numberMaxUlp),
    ]),
    ['l', 'l', 'r', 'r', 'r'],
  );
  return [
    `Each call runs one kernel over N = ${n} seeded raw inputs (the same values for all three`,
    'implementations); Mops/s = operations per call × benchmark.js hz / 1e6 (hz from the mean',
    "call time; the median column uses the median sample). ±rme is benchmark.js's relative",
    'margin of error of the mean (95 %). Ratios > 1 mean the WebAssembly core is faster.',
    '',
    '- WASM Q47.16: `build/tessera.wasm` (release: -O3, no assertions, shared memory),',
    '  `benchKernel(op, ptr, n)` over an i64 region laid out by `planLayout`.',
    '- JS Number Q16.16: `bench/math/q16-number.ts`, int32 values, exact integer arithmetic.',
    '- JS BigInt Q47.16: `bench/math/q47-bigint.ts`, a bit-exact twin of `assembly/math/`.',
    '',
    '## Throughput',
    '',
    summary,
    '',
    '## benchmark.js statistics',
    '',
    detail,
    '',
    '## Agreement (untimed, one pass before timing)',
    '',
    'BigInt must equal the core on every result component or the suite fails. The Q16.16',
    'port keeps fewer guard bits in sin, atan2 and normalize, so it may differ there by an ulp.',
    '',
    checks,
  ].join('\n');
}

/** The math suite (see the module comment). */
export const suite: BenchSuite = {
  name: 'math',
  title: 'Math kernels: WebAssembly core vs JavaScript',
  cases: KERNELS.map((k) => k.name),

  run(opts: SuiteOptions): SuiteOutput {
    const kernels = KERNELS.filter((k) => opts.select(k.name));
    const plan = planLayout(KERNELS.map((k) => [`math.${k.name}`, N * 8] as const));
    const memory = createMemory({ pages: plan.pages, shared: true });
    const core = Core.instantiate(memory, 'release');
    const wasmFile = wasmPath('release');
    const wasmSha256 = createHash('sha256').update(readFileSync(wasmFile)).digest('hex');
    const coreExports = core.exports;
    const results: KernelResult[] = [];

    for (const k of kernels) {
      const ptr = plan.regions[`math.${k.name}`].offset;
      const xi = seededInputs(N, SEED + k.op, k.gen);
      const xb = BigInt64Array.from(xi, (v) => BigInt(v));
      core.i64().set(xb, ptr / 8);
      const check = checkKernel(k, core, ptr, xi, xb);
      opts.log(
        `math/${k.name}: checked (BigInt = WASM on ${check.components} results; Q16.16 differs on ${check.numberDiffers}, max ${check.numberMaxUlp} ulp)`,
      );

      const { op } = k,
        kn = k.number,
        kb = k.bigint;
      const options: Benchmark.Options = { maxTime: opts.maxTime, minSamples: 10 };
      const s = new Benchmark.Suite(k.name)
        .add(
          'wasm',
          () => {
            sinkWasm = coreExports.benchKernel(op, ptr, N);
          },
          options,
        )
        .add(
          'js-number',
          () => {
            sinkNumber = kn(xi, N);
          },
          options,
        )
        .add(
          'js-bigint',
          () => {
            sinkBigInt = kb(xb, N);
          },
          options,
        )
        .on('cycle', (e: Benchmark.Event) => {
          const b = e.target;
          opts.log(
            `  ${k.name} ${String(b.name).padEnd(9)} ${fmt3((k.ops(N) * (b.hz ?? 0)) / 1e6).padStart(7)} Mops/s  ±${(b.stats?.rme ?? 0).toFixed(2)}%  (${b.stats?.sample.length ?? 0} samples)`,
          );
        });
      s.run({ async: false });
      const benches = s.map((b: Benchmark) => b) as Benchmark[];
      const stats = (impl: Impl): CaseStats => {
        const b = benches.find((x) => x.name === impl);
        if (!b) throw new Error(`math/${k.name}: no benchmark ${impl}`);
        return caseStats(b, k.ops(N));
      };
      const sums: Record<Impl, string> = { wasm: String(sinkWasm), 'js-number': String(sinkNumber), 'js-bigint': String(sinkBigInt) };
      for (const impl of IMPLS) {
        if (sums[impl] !== check.checksums[impl]) {
          throw new Error(`math/${k.name}: ${impl} checksum changed while timed (${sums[impl]} != ${check.checksums[impl]})`);
        }
      }
      const w = stats('wasm'),
        nb = stats('js-number'),
        bg = stats('js-bigint');
      results.push({
        kernel: k.name,
        op: k.op,
        opsPerCall: k.ops(N),
        domain: k.domain,
        check,
        impls: {
          wasm: { ...w, checksum: sums.wasm },
          'js-number': { ...nb, checksum: sums['js-number'] },
          'js-bigint': { ...bg, checksum: sums['js-bigint'] },
        },
        wasmOverNumber: w.hz / nb.hz,
        wasmOverBigInt: w.hz / bg.hz,
      });
    }

    return {
      data: {
        params: { n: N, seed: SEED, wasm: { variant: 'release', file: 'build/tessera.wasm', sha256: wasmSha256 }, impls: IMPL_TITLE },
        kernels: results,
      },
      markdown: renderMarkdown(results, N),
    };
  },
};
