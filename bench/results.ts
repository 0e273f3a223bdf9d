/**
 * Benchmark results: the suite contract, the machine identity, and the files results are
 * committed as (one folder per machine, as Box2D's `benchmark/<machine>/`).
 *
 * ```
 *  bench/results/
 *    <machine>/              slug of the CPU model and logical core count, e.g. amd-epyc-2c
 *      <suite>.json          { meta, ...suite data }   machine-readable, for diffs and plots
 *      <suite>.md            the same run as tables     for people
 * ```
 *
 * Every suite (`bench/<suite>.bench.ts`, found by bench/run.ts) exports `suite`, a
 * BenchSuite; run.ts runs it, adds the run metadata (RunMeta) and writes both files with
 * writeSuiteResults. Throughput is reported in Mops/s: operations per call times
 * benchmark.js `hz` (calls per second, the inverse of the mean call time), divided by 1e6.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, arch, platform, totalmem, availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type Benchmark from 'benchmark';

/** Options every suite receives from bench/run.ts. */
export interface SuiteOptions {
  /** True for the cases (by name, e.g. `sin`) to run; the filter argument of run.ts. */
  select(caseName: string): boolean;
  /** benchmark.js `maxTime` per case, in seconds. */
  maxTime: number;
  /** Progress output (one line per call). */
  log(line: string): void;
}

/** What a suite returns: its data (stored next to the run metadata) and its Markdown body. */
export interface SuiteOutput {
  /** Suite-specific data, JSON-serializable (no BigInt: store 64-bit values as strings). */
  readonly data: Record<string, unknown>;
  /** Markdown body (tables and notes, no title and no metadata: writeSuiteResults adds them). */
  readonly markdown: string;
}

/** A benchmark suite: `bench/<name>.bench.ts` exports one as `suite`. */
export interface BenchSuite {
  /** File stem of the results (`<name>.json`, `<name>.md`) and filter prefix (`<name>/<case>`). */
  readonly name: string;
  /** Title of the Markdown report. */
  readonly title: string;
  /** Case names (a filter selects among `<name>/<case>`). */
  readonly cases: readonly string[];
  /** Runs the selected cases synchronously. */
  run(opts: SuiteOptions): SuiteOutput;
}

/** The machine a run happened on. */
export interface MachineInfo {
  /** CPU model string as the OS reports it (os.cpus()[0].model). */
  readonly cpuModel: string;
  /** Logical CPUs visible to Node (os.cpus().length). */
  readonly cores: number;
  /** Results folder name: machineSlug(cpuModel, cores). */
  readonly slug: string;
  readonly platform: string;
  readonly arch: string;
  /** Total memory in GiB (rounded to 0.1). */
  readonly memoryGiB: number;
}

/** Metadata stored with every suite's results. */
export interface RunMeta {
  /** Start of the run, ISO 8601 UTC. */
  readonly date: string;
  /** process.version, e.g. v20.20.2. */
  readonly node: string;
  /** V8 version of that Node. */
  readonly v8: string;
  readonly machine: MachineInfo;
  /** Installed versions (node_modules/<name>/package.json) of the packages that shape the numbers. */
  readonly packages: Readonly<Record<string, string>>;
  /** Commit of the working tree, and whether tracked files had uncommitted changes; null outside git. */
  readonly git: { readonly commit: string; readonly dirty: boolean } | null;
  /** The options of this run. */
  readonly options: { readonly maxTimeSeconds: number; readonly filter: string | null };
}

/** benchmark.js statistics of one case, converted to throughput. */
export interface CaseStats {
  /** Operations (kernel evaluations) per benchmarked call. */
  readonly opsPerCall: number;
  /** Calls per second (benchmark.js `hz`: 1 / mean seconds per call). */
  readonly hz: number;
  /** Million operations per second: opsPerCall * hz / 1e6. */
  readonly mops: number;
  /** Million operations per second from the median sample instead of the mean. */
  readonly mopsMedian: number;
  /** Relative margin of error of the mean, percent (95 % confidence; benchmark.js `stats.rme`). */
  readonly rme: number;
  /** Number of timed samples (benchmark.js `stats.sample.length`). */
  readonly samples: number;
  /** Mean seconds per call. */
  readonly meanSeconds: number;
  /** Median seconds per call. */
  readonly medianSeconds: number;
}

/** Stats of a finished benchmark. Throws if benchmark.js recorded an error for it. */
export function caseStats(bench: Benchmark, opsPerCall: number): CaseStats {
  if (bench.error) throw new Error(`benchmark ${String(bench.name)} failed: ${String(bench.error)}`);
  const sample = (bench.stats.sample as number[]).slice().sort((a, b) => a - b);
  const mid = sample.length >> 1;
  const median = sample.length === 0 ? NaN : sample.length % 2 ? sample[mid] : (sample[mid - 1] + sample[mid]) / 2;
  return {
    opsPerCall,
    hz: bench.hz,
    mops: (opsPerCall * bench.hz) / 1e6,
    mopsMedian: opsPerCall / median / 1e6,
    rme: bench.stats.rme,
    samples: sample.length,
    meanSeconds: bench.stats.mean,
    medianSeconds: median,
  };
}

/**
 * Folder name of a machine: the CPU model without trademarks, clock speed and filler words,
 * lowercase [a-z0-9-] (at most 40 characters), then `-<cores>c`. Examples:
 * `AMD EPYC`, 2 -> `amd-epyc-2c`; `Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz`, 12 ->
 * `intel-core-i7-9750h-12c`; `AMD Ryzen 9 7950X 16-Core Processor`, 32 -> `amd-ryzen-9-7950x-32c`.
 */
export function machineSlug(cpuModel: string, cores: number): string {
  let s = cpuModel
    .toLowerCase()
    .replace(/\((r|tm|c)\)/g, ' ')
    .replace(/@.*$/, ' ')
    .replace(/\b\d+(\.\d+)?\s*ghz\b/g, ' ')
    .replace(/\b(with|w\/) radeon.*$/, ' ')
    .replace(/\b(cpu|processor|\d+-core)\b/g, ' ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (s.length > 40) s = s.slice(0, 40).replace(/-+$/, '');
  return `${s || 'unknown-cpu'}-${cores}c`;
}

/** The current machine (CPU model, logical cores, slug, OS). */
export function machineInfo(): MachineInfo {
  const list = cpus();
  const cpuModel = (list[0]?.model ?? '').trim() || 'unknown cpu';
  const cores = list.length || availableParallelism();
  return {
    cpuModel,
    cores,
    slug: machineSlug(cpuModel, cores),
    platform: platform(),
    arch: arch(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

/** The repository root: the closest directory above this file holding package.json and bench/. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the repository root above ${__dirname}`);
    dir = up;
  }
}

/** Installed version of a package under the repository's node_modules ('unknown' if absent). */
export function packageVersion(name: string): string {
  try {
    const json = JSON.parse(readFileSync(join(repoRoot(), 'node_modules', name, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof json.version === 'string' ? json.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function gitState(root: string): RunMeta['git'] {
  try {
    const run = (args: string[]): string =>
      execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
    return { commit: run(['rev-parse', 'HEAD']), dirty: run(['status', '--porcelain', '--untracked-files=no']) !== '' };
  } catch {
    return null;
  }
}

/** Metadata of a run starting now. */
export function runMeta(options: RunMeta['options']): RunMeta {
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    machine: machineInfo(),
    packages: {
      assemblyscript: packageVersion('assemblyscript'),
      benchmark: packageVersion('benchmark'),
      typescript: packageVersion('typescript'),
    },
    git: gitState(repoRoot()),
    options,
  };
}

/** A Markdown table; `align` per column: 'l' (default) or 'r'. `|` inside cells is escaped. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, align: readonly ('l' | 'r')[] = []): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  const rule = header.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}

/** A throughput or ratio with 3 significant digits (at least 1 decimal below 100), e.g. 412, 37.5, 0.0813. */
export function fmt3(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 100) return x.toFixed(0);
  return x.toPrecision(3);
}

/** The run metadata as a Markdown bullet list. */
export function metaMarkdown(meta: RunMeta): string {
  const m = meta.machine;
  const pk = Object.entries(meta.packages)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const git = meta.git ? `${meta.git.commit.slice(0, 12)}${meta.git.dirty ? ' (uncommitted changes)' : ''}` : 'n/a';
  return [
    `- date: ${meta.date}`,
    `- machine: ${m.cpuModel}, ${m.cores} logical cores, ${m.memoryGiB} GiB, ${m.platform}/${m.arch} (\`${m.slug}\`)`,
    `- node ${meta.node} (V8 ${meta.v8}); ${pk}`,
    `- git: ${git}`,
    `- benchmark.js maxTime ${meta.options.maxTimeSeconds} s per case${meta.options.filter ? `; filter \`${meta.options.filter}\`` : ''}`,
  ].join('\n');
}

/** Paths written by writeSuiteResults. */
export interface WrittenFiles {
  readonly json: string;
  readonly markdown: string;
}

/**
 * Writes `bench/results/<machine slug>/<suite>.json` ({ suite, title, meta, ...data }) and
 * `<suite>.md` (title, metadata list, body), replacing earlier results of that suite on that
 * machine. Returns the absolute paths.
 */
export function writeSuiteResults(suite: BenchSuite, meta: RunMeta, output: SuiteOutput): WrittenFiles {
  const dir = join(repoRoot(), 'bench', 'results', meta.machine.slug);
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${suite.name}.json`);
  const markdown = join(dir, `${suite.name}.md`);
  writeFileSync(json, `${JSON.stringify({ suite: suite.name, title: suite.title, meta, ...output.data }, null, 2)}\n`);
  const rerun = `Regenerate with \`npm run bench\` (all suites) or \`npm run build && node build/dist/bench/run.js ${suite.name} --write\`.`;
  writeFileSync(markdown, `# ${suite.title}\n\n${metaMarkdown(meta)}\n\n${output.markdown.trim()}\n\n${rerun}\n`);
  return { json, markdown };
}

/** `path` relative to the repository root (for log lines). */
export function fromRoot(path: string): string {
  return relative(repoRoot(), path);
}
