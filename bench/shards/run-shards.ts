/**
 * Shard scaling benchmark: the unsharded single-thread core (PhysicsWorld) against
 * ShardedWorld layouts on 0 (in-thread), 1 and 2 worker threads, on the same scenes, plus the
 * synchronisation overhead of stepping an empty sharded world.
 *
 * Build & run (from the repo root):
 *   npm run bench:shards                       # build, then everything below, writes results
 *   node build/dist/bench/shards/run-shards.js # the same without rebuilding
 *
 * Every configuration runs in its own child process (fork of this file, `--no-liftoff` so
 * the WASM core runs fully optimised code from the first tick), strictly one after the other,
 * so no two configurations share a core, a heap or a JIT state.
 *
 * Tick jobs (scene x N x configuration): build the scene (test/helpers/scenes.ts) onto the target, run
 * `warmup` ticks, then `timed` ticks, each timed alone with process.hrtime (commands of the
 * rain scene are generated outside the timer and applied inside it). Outside the timer, after
 * every timed tick, a sharded world's counts(), lastStatus and handoffs are read. Reported:
 * median and p90 ms/tick (nearest rank), speedup = core median / median, ghosts / owned (sum
 * over shards, mean over the timed ticks), handoffs per timed tick, the world hash after the
 * last tick (every configuration of a scene and N must equal the core's: same bits), RSS.
 * benchmark.js is not used for ticks: a tick changes the world, and benchmark.js runs as
 * many calls per sample as it sees fit, so configurations would be timed on different
 * states of the scene.
 *
 * Ceiling jobs (pile scene): two copies of the core tick job in two processes at the same
 * time. Two independent single-thread runs share nothing but the machine, so
 * 2 x (solo median) / (median when paired) is the most any 2-thread layout can gain here
 * (a virtual machine's 2 "cores" may be two hyperthreads of one physical core, or share
 * memory bandwidth and boost clocks).
 *
 * Empty jobs: a world holding only the closed box (6 statics, capacity 1024): median and p90
 * µs per step() over `--empty-timed` steps, and, as a cross-check, benchmark.js's mean time
 * per step() (the state does not change, so its sampling is valid there).
 *
 * Flags:
 *   --scenes pile,rain    (default pile,rain)
 *   --sizes 20000,100000  (default)
 *   --only TEXT           only tick jobs whose configuration label contains TEXT (e.g. "8 shards")
 *   --warmup-for N=S,..   warm-up ticks per size (default 20000=60,100000=30; otherwise 60)
 *   --timed-for N=S,..    timed ticks per size (default 20000=200,100000=100; otherwise 200)
 *   --seed 1
 *   --no-empty / --empty-only / --no-ceiling
 *   --empty-timed 20000   timed step() calls per empty job (after 2000 warm-up)
 *   --bench-max-time 2    benchmark.js maxTime (s) of the empty cross-check
 *   --child-timeout-s 900
 *   --out FILE            default bench/results/<machine>/shards.json (and .md next to it)
 *   --no-write            print only
 *   --render              only re-render the .md from the JSON
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Benchmark from 'benchmark';
import { DEFAULT_SUBSTEPS, PhysicsWorld, type WorldConfig, type Command } from '../../src/physics/world';
import { ShardedWorld, type Partition } from '../../src/physics/sharded';
import { machineInfo, repoRoot, runMeta, type RunMeta } from '../results';
import { buildPile, buildRain, pileGeometry, rainGeometry, addClosedBox, CLOSED_BOX_STATICS } from '../../test/helpers/scenes';

type SceneName = 'pile' | 'rain';

/** One configuration of the world under test. */
interface Layout {
  /** Label in the tables, e.g. "2 shards, 2 workers". */
  label: string;
  /** null: the unsharded PhysicsWorld. */
  shards: number | null;
  /** Cuts as fractions of the box width w (x = f * w). */
  xCutsW: number[];
  zCutsW: number[];
  workers: number;
  contactsPerBody?: number;
  /** Border exchange of the sharded world (ShardOptions.exchange). */
  exchange?: 'tick' | 'pass';
}

/** contactsPerBody per shard count (memory: every shard world has the full capacity). */
const CPB: Record<number, number | undefined> = { 2: undefined, 4: 4, 8: 3 };

/**
 * Step timeout of the benchmarked sharded worlds, ms: far above any tick here (the serve default,
 * 750 ms, is a fault detector; pile 100,000 on 2 shards and 1 worker takes about that long per tick
 * at 6 substeps, and a timeout would re-run ticks instead of timing them).
 */
const BENCH_STEP_TIMEOUT_MS = 60_000;
const CORE: Layout = { label: 'core (unsharded, 1 thread)', shards: null, xCutsW: [], zCutsW: [], workers: 0 };
const sharded = (shards: number, workers: number, exchange: 'tick' | 'pass' = 'tick'): Layout => {
  const cuts: Record<number, [number[], number[]]> = { 2: [[0], []], 4: [[0], [0]], 8: [[-0.25, 0, 0.25], [0]] };
  const [xCutsW, zCutsW] = cuts[shards];
  const where = workers === 0 ? 'in-thread (0 workers)' : `${workers} worker${workers > 1 ? 's' : ''}`;
  const how = exchange === 'pass' ? ', per-pass exchange' : '';
  return { label: `${shards} shards, ${where}${how}`, shards, xCutsW, zCutsW, workers, contactsPerBody: CPB[shards], exchange };
};

const TICK_LAYOUTS: Layout[] = [
  CORE,
  sharded(2, 0),
  sharded(2, 1),
  sharded(2, 2),
  sharded(4, 2),
  sharded(8, 2),
  sharded(2, 0, 'pass'),
  sharded(2, 2, 'pass'),
  sharded(4, 2, 'pass'),
  sharded(8, 2, 'pass'),
];
const EMPTY_LAYOUTS: Layout[] = [CORE, sharded(2, 0), sharded(2, 1), sharded(2, 2), sharded(8, 0), sharded(8, 2)];

interface TickJob {
  kind: 'tick';
  scene: SceneName;
  n: number;
  seed: number;
  layout: Layout;
  warmup: number;
  timed: number;
  execArgv: string[];
}

interface EmptyJob {
  kind: 'empty';
  layout: Layout;
  warmup: number;
  timed: number;
  benchMaxTime: number;
  execArgv: string[];
}

type Job = TickJob | EmptyJob;

/** Configuration actually passed to the worlds (recorded). */
interface UsedConfig {
  world: WorldConfig;
  partition: Partition | null;
  workers: number;
  range?: number;
  halo?: number;
  /** Bytes of the wasm memory of the world under test (sharded: all shards, boards and overlay). */
  memoryMiB: number;
}

export interface TickResult {
  kind: 'tick';
  scene: SceneName;
  n: number;
  seed: number;
  label: string;
  shards: number | null;
  workers: number;
  status: 'ok' | 'error';
  reason?: string;
  config?: UsedConfig;
  boxHalf?: number;
  warmup: number;
  timed: number;
  setupMs?: number;
  warmupMs?: number;
  medianMs?: number;
  p90Ms?: number;
  meanMs?: number;
  minMs?: number;
  maxMs?: number;
  /** Median time of applyCommands within the tick (rain), ms. */
  applyMedianMs?: number;
  /** Per timed tick, ms (kept for plots; rounded to µs). */
  timesMs?: number[];
  /** Mean over the timed ticks of sum(ghosts) / sum(owned). */
  ghostRatio?: number;
  /** Mean over the timed ticks of the busiest shard's sync visits (list entries: counts().syncVisits). */
  syncVisits?: number;
  /** Mean over the timed ticks of max(owned) / mean(owned) over shards (load balance). */
  ownedImbalance?: number;
  /** counts() after the last tick. */
  lastCounts?: Array<{ owned: number; ghosts: number }>;
  /** (handoffs after the timed ticks - before) / timed. */
  handoffsPerTick?: number;
  handoffsTotal?: number;
  /** OR of lastStatus (sharded) or status (core) over warm-up and timed ticks; 0 = no overflow. */
  statusOr?: number;
  recoveries?: number;
  /** World hash after warmup + timed ticks, hex. */
  hash?: string;
  rssMiB?: number;
  peakRssMiB?: number;
  loadAvgAtStart?: number[];
  /** CPU of other processes during the timed part, in cores (see ForeignLoad). */
  foreignCores?: number;
  execArgv: string[];
  finishedAt: string;
}

export interface EmptyResult {
  kind: 'empty';
  label: string;
  shards: number | null;
  workers: number;
  status: 'ok' | 'error';
  reason?: string;
  config?: UsedConfig;
  warmup: number;
  timed: number;
  medianUs?: number;
  p90Us?: number;
  meanUs?: number;
  minUs?: number;
  /** benchmark.js: mean µs per step(), relative margin of error (%), samples. */
  benchMeanUs?: number;
  benchRme?: number;
  benchSamples?: number;
  loadAvgAtStart?: number[];
  /** CPU of other processes during the timed part, in cores (see ForeignLoad). */
  foreignCores?: number;
  execArgv: string[];
  finishedAt: string;
}

type Result = TickResult | EmptyResult;

// ---------------------------------------------------------------------------
// Child

function quantile(sorted: Float64Array, q: number): number {
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}

const nowNs = (): bigint => process.hrtime.bigint();
const msSince = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const hex = (h: bigint): string => h.toString(16).padStart(16, '0');

/** Busy CPU seconds of the whole machine so far (/proc/stat; null elsewhere). */
function machineBusySeconds(): number | null {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...
    return (cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7]) / 100;
  } catch {
    return null;
  }
}

/**
 * Measures how busy the rest of the machine was while `fn` ran: CPU seconds of all other
 * processes / wall seconds (0 = quiet; 1 = one other core fully busy).
 */
class ForeignLoad {
  private readonly busy0 = machineBusySeconds();
  private readonly own0 = process.cpuUsage();
  private readonly t0 = process.hrtime.bigint();
  cores(): number | undefined {
    const busy1 = machineBusySeconds();
    if (busy1 === null || this.busy0 === null) return undefined;
    const own = process.cpuUsage(this.own0);
    const wall = Number(process.hrtime.bigint() - this.t0) / 1e9;
    return Math.max(0, (busy1 - this.busy0 - (own.user + own.system) / 1e6) / wall);
  }
}

/** A world under test behind one interface. */
interface Subject {
  target: PhysicsWorld | ShardedWorld;
  apply(cmds: Command[]): void;
  step(): void;
  status(): number;
  hash(): bigint;
  close(): Promise<void>;
  config: UsedConfig;
}

function makeSubject(layout: Layout, world: WorldConfig, width: number): Subject {
  if (layout.shards === null) {
    const w = PhysicsWorld.create(world);
    return {
      target: w,
      apply: (cmds) => {
        if (w.applyCommands(cmds).length) throw new Error('command failed');
      },
      step: () => w.step(),
      status: () => w.status,
      hash: () => w.hash(),
      close: async () => {
        /* released with the object */
      },
      config: { world, partition: null, workers: 0, memoryMiB: w.core.byteLength / 2 ** 20 },
    };
  }
  const cfg: WorldConfig = layout.contactsPerBody === undefined ? world : { ...world, contactsPerBody: layout.contactsPerBody };
  const partition: Partition = { xCuts: layout.xCutsW.map((f) => f * width), zCuts: layout.zCutsW.map((f) => f * width) };
  const s = new ShardedWorld(cfg, partition, undefined, { workers: layout.workers, stepTimeoutMs: BENCH_STEP_TIMEOUT_MS, exchange: layout.exchange });
  return {
    target: s,
    apply: (cmds) => {
      if (s.applyCommands(cmds).length) throw new Error('command failed');
    },
    step: () => s.step(),
    status: () => s.lastStatus,
    hash: () => s.hash(),
    close: () => s.close(),
    config: { world: cfg, partition, workers: layout.workers, range: s.range, halo: s.halo, memoryMiB: (s.plan.layout.pages * 65536) / 2 ** 20 },
  };
}

async function runTick(job: TickJob): Promise<TickResult> {
  const loadAvgAtStart = os.loadavg();
  const geo = job.scene === 'pile' ? pileGeometry(job.n) : rainGeometry(job.n);
  const world: WorldConfig = { capacity: job.n + CLOSED_BOX_STATICS + 2, maxBodyRadius: 0.5, sleep: { enabled: false } };
  let t0 = nowNs();
  const sub = makeSubject(job.layout, world, 2 * geo.half);
  let commands: (() => Command[]) | undefined;
  try {
    if (job.scene === 'pile') buildPile(sub.target, job.n, job.seed);
    else commands = buildRain(sub.target, job.n, job.seed).commands;
    const setupMs = msSince(t0);
    const sh = sub.target instanceof ShardedWorld ? sub.target : null;

    let statusOr = 0,
      lastApplyMs = 0;
    const tick = (): number => {
      const cmds = commands ? commands() : undefined; // generated outside the timer
      const start = nowNs();
      if (cmds) {
        sub.apply(cmds);
        lastApplyMs = Number(process.hrtime.bigint() - start) / 1e6;
      }
      sub.step();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      statusOr |= sub.status();
      return ms;
    };

    t0 = nowNs();
    for (let s = 0; s < job.warmup; s++) tick();
    const warmupMs = msSince(t0);

    const handoffs0 = sh ? sh.handoffs : 0;
    const foreign = new ForeignLoad();
    const times = new Float64Array(job.timed),
      applyTimes = new Float64Array(job.timed);
    let syncVisitsSum = 0,
      ghostRatioSum = 0,
      imbalanceSum = 0;
    for (let k = 0; k < job.timed; k++) {
      times[k] = tick();
      applyTimes[k] = lastApplyMs;
      if (sh) {
        const c = sh.counts();
        const owned = c.reduce((a, x) => a + x.owned, 0),
          ghosts = c.reduce((a, x) => a + x.ghosts, 0);
        ghostRatioSum += owned ? ghosts / owned : 0;
        syncVisitsSum += Math.max(...c.map((x) => x.syncVisits));
        imbalanceSum += owned ? Math.max(...c.map((x) => x.owned)) / (owned / c.length) : 0;
      }
    }
    const foreignCores = foreign.cores();
    const rssMiB = process.memoryUsage().rss / 2 ** 20;
    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    const sorted = Float64Array.from(times).sort();
    const total = times.reduce((a, b) => a + b, 0);
    const hash = hex(sub.hash());
    return {
      kind: 'tick',
      scene: job.scene,
      n: job.n,
      seed: job.seed,
      label: job.layout.label,
      shards: job.layout.shards,
      workers: job.layout.workers,
      status: 'ok',
      config: sub.config,
      boxHalf: geo.half,
      warmup: job.warmup,
      timed: job.timed,
      setupMs,
      warmupMs,
      applyMedianMs: commands ? quantile(Float64Array.from(applyTimes).sort(), 0.5) : undefined,
      medianMs: quantile(sorted, 0.5),
      p90Ms: quantile(sorted, 0.9),
      meanMs: total / job.timed,
      minMs: sorted[0],
      maxMs: sorted[job.timed - 1],
      timesMs: Array.from(times, (t) => Math.round(t * 1000) / 1000),
      ghostRatio: sh ? ghostRatioSum / job.timed : undefined,
      syncVisits: sh ? syncVisitsSum / job.timed : undefined,
      ownedImbalance: sh ? imbalanceSum / job.timed : undefined,
      lastCounts: sh ? sh.counts() : undefined,
      handoffsPerTick: sh ? (sh.handoffs - handoffs0) / job.timed : undefined,
      handoffsTotal: sh ? sh.handoffs : undefined,
      statusOr,
      recoveries: sh ? sh.recoveries : undefined,
      hash,
      rssMiB,
      peakRssMiB,
      loadAvgAtStart,
      foreignCores,
      execArgv: job.execArgv,
      finishedAt: new Date().toISOString(),
    };
  } finally {
    await sub.close();
  }
}

async function runEmpty(job: EmptyJob): Promise<EmptyResult> {
  const loadAvgAtStart = os.loadavg();
  const half = 20;
  const sub = makeSubject(job.layout, { capacity: 1024, maxBodyRadius: 0.5, sleep: { enabled: false } }, 2 * half);
  try {
    addClosedBox(sub.target, half, 10);
    for (let s = 0; s < job.warmup; s++) sub.step();
    const foreign = new ForeignLoad();
    const times = new Float64Array(job.timed);
    for (let k = 0; k < job.timed; k++) {
      const start = nowNs();
      sub.step();
      times[k] = Number(process.hrtime.bigint() - start) / 1e3;
    }
    const sorted = Float64Array.from(times).sort();
    const bench = new Benchmark(
      'step',
      () => {
        sub.step();
      },
      { maxTime: job.benchMaxTime },
    );
    bench.run();
    const foreignCores = foreign.cores();
    if (bench.error) throw new Error(`benchmark.js: ${String(bench.error)}`);
    if (sub.status() !== 0) throw new Error(`status ${sub.status()} in an empty world`);
    return {
      kind: 'empty',
      label: job.layout.label,
      shards: job.layout.shards,
      workers: job.layout.workers,
      status: 'ok',
      config: sub.config,
      warmup: job.warmup,
      timed: job.timed,
      medianUs: quantile(sorted, 0.5),
      p90Us: quantile(sorted, 0.9),
      meanUs: times.reduce((a, b) => a + b, 0) / job.timed,
      minUs: sorted[0],
      benchMeanUs: bench.stats.mean * 1e6,
      benchRme: bench.stats.rme,
      benchSamples: bench.stats.sample.length,
      loadAvgAtStart,
      foreignCores,
      execArgv: job.execArgv,
      finishedAt: new Date().toISOString(),
    };
  } finally {
    await sub.close();
  }
}

function errorResult(job: Job, reason: string): Result {
  const base = {
    label: job.layout.label,
    shards: job.layout.shards,
    workers: job.layout.workers,
    status: 'error' as const,
    reason,
    warmup: job.warmup,
    timed: job.timed,
    execArgv: job.execArgv,
    finishedAt: new Date().toISOString(),
  };
  return job.kind === 'tick' ? { kind: 'tick', scene: job.scene, n: job.n, seed: job.seed, ...base } : { kind: 'empty', ...base };
}

async function childMain(jobJson: string): Promise<void> {
  const job = JSON.parse(jobJson) as Job;
  let result: Result;
  try {
    result = job.kind === 'tick' ? await runTick(job) : await runEmpty(job);
  } catch (e) {
    result = errorResult(job, e instanceof Error ? (e.stack ?? e.message) : String(e));
  }
  await new Promise<void>((resolve) => {
    if (process.send) process.send(result, () => resolve());
    else {
      process.stdout.write(JSON.stringify(result) + '\n');
      resolve();
    }
  });
  process.exit(0);
}

// ---------------------------------------------------------------------------
// Parent

interface Options {
  scenes: SceneName[];
  sizes: number[];
  only?: string;
  warmupFor: Map<number, number>;
  timedFor: Map<number, number>;
  seed: number;
  empty: boolean;
  ticks: boolean;
  ceiling: boolean;
  emptyTimed: number;
  benchMaxTime: number;
  childTimeoutS: number;
  out?: string;
  write: boolean;
  render: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    scenes: ['pile', 'rain'],
    sizes: [20000, 100000],
    warmupFor: new Map([
      [20000, 60],
      [100000, 30],
    ]),
    timedFor: new Map([
      [20000, 200],
      [100000, 100],
    ]),
    seed: 1,
    empty: true,
    ticks: true,
    ceiling: true,
    emptyTimed: 20000,
    benchMaxTime: 2,
    childTimeoutS: 900,
    write: true,
    render: false,
  };
  const num = (s: string | undefined, flag: string): number => {
    const v = Number(s?.replace(/_/g, ''));
    if (s === undefined || !Number.isFinite(v)) throw new Error(`${flag} needs a number`);
    return v;
  };
  const list = (s: string | undefined, flag: string): string[] => {
    if (!s) throw new Error(`${flag} needs a comma-separated list`);
    return s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x.length > 0);
  };
  const perSize = (s: string | undefined, flag: string, into: Map<number, number>): void => {
    for (const kv of list(s, flag)) {
      const [k, v] = kv.split('=');
      into.set(num(k, flag), num(v, flag));
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string | undefined => argv[++i];
    switch (a) {
      case '--scenes':
        o.scenes = list(next(), a).map((s) => {
          if (s !== 'pile' && s !== 'rain') throw new Error(`unknown scene ${s}`);
          return s;
        });
        break;
      case '--sizes':
        o.sizes = list(next(), a).map((s) => num(s, a));
        break;
      case '--only':
        o.only = next();
        break;
      case '--warmup-for':
        perSize(next(), a, o.warmupFor);
        break;
      case '--timed-for':
        perSize(next(), a, o.timedFor);
        break;
      case '--seed':
        o.seed = num(next(), a);
        break;
      case '--no-empty':
        o.empty = false;
        break;
      case '--no-ceiling':
        o.ceiling = false;
        break;
      case '--empty-only':
        o.ticks = false;
        o.ceiling = false;
        break;
      case '--empty-timed':
        o.emptyTimed = num(next(), a);
        break;
      case '--bench-max-time':
        o.benchMaxTime = num(next(), a);
        break;
      case '--child-timeout-s':
        o.childTimeoutS = num(next(), a);
        break;
      case '--out':
        o.out = next();
        break;
      case '--no-write':
        o.write = false;
        break;
      case '--render':
        o.render = true;
        break;
      case '-h':
      case '--help':
        {
          const text = fs.readFileSync(__filename, 'utf8');
          const at = text.indexOf('/**');
          process.stdout.write(text.slice(at, text.indexOf('*/', at) + 2) + '\n');
        }
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${a}`);
    }
  }
  return o;
}

function runChild(job: Job, timeoutS: number): Promise<Result> {
  return new Promise((resolve) => {
    const child = fork(__filename, ['--child', JSON.stringify(job)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: job.execArgv });
    let result: Result | undefined;
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, timeoutS * 1000);
    child.on('message', (m) => {
      result = m as Result;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(
        result ??
          errorResult(job, `child exited with code ${code} signal ${signal} without a result${signal === 'SIGKILL' ? ` (killed after ${timeoutS} s?)` : ''}`),
      );
    });
  });
}

interface ResultsFile {
  schema: 'tessera.shards.v1';
  meta: RunMeta;
  argv: string[];
  loadAvgBefore: number[];
  loadAvgAfter: number[];
  totalSeconds: number;
  notes: string[];
  ticks: TickResult[];
  empty: EmptyResult[];
  /** Two copies of the core run at the same time, one per process (the machine's parallel ceiling). */
  ceiling: Array<{ scene: SceneName; n: number; pair: TickResult[] }>;
}

// ---------------------------------------------------------------------------
// Markdown

const f2 = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(2));
const fInt = (v: number): string =>
  Math.round(v)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const fo = (v: number | undefined): string => (v === undefined ? 'n/a' : v.toFixed(2));
const load = (l: number[] | undefined): string => (l ? l.map((x) => x.toFixed(2)).join(' / ') : '');

function tickTable(f: ResultsFile): string {
  const head =
    '| scene | N | configuration | median ms/tick | p90 ms/tick | speedup vs core | of which commands, median ms | ghosts/owned | sync visits (busiest shard) | handoffs/tick | max/mean owned | hash = core | status | other load (cores) |\n' +
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|\n';
  const rows = f.ticks.map((r) => {
    const core = f.ticks.find((c) => c.scene === r.scene && c.n === r.n && c.shards === null && c.status === 'ok');
    if (r.status !== 'ok') return `| ${r.scene} | ${fInt(r.n)} | ${r.label} | | | | | | | | | | error: ${(r.reason ?? '').split('\n')[0]} | |`;
    const speed = core?.medianMs && r.medianMs ? `${(core.medianMs / r.medianMs).toFixed(2)}x` : '';
    const same = core?.hash ? (core.hash === r.hash ? 'yes' : `**no** (${r.hash})`) : '';
    const st = r.statusOr ? `**overflow ${r.statusOr}**` : 'ok';
    return (
      `| ${r.scene} | ${fInt(r.n)} | ${r.label} | ${f2(r.medianMs)} | ${f2(r.p90Ms)} | ${speed} | ${r.applyMedianMs === undefined ? '–' : f2(r.applyMedianMs)} | ${r.ghostRatio === undefined ? '–' : r.ghostRatio.toFixed(3)} | ${r.syncVisits === undefined ? '–' : fInt(Math.round(r.syncVisits))} | ` +
      `${r.handoffsPerTick === undefined ? '–' : r.handoffsPerTick.toFixed(1)} | ${r.ownedImbalance === undefined ? '–' : r.ownedImbalance.toFixed(2)} | ${r.shards === null ? '(reference)' : same} | ${st} | ${fo(r.foreignCores)} |`
    );
  });
  return head + rows.join('\n') + '\n';
}

function ceilingTable(f: ResultsFile): string {
  const head =
    '| scene | N | core alone, median ms/tick | paired, median ms/tick (each run) | ceiling (2 threads / 1) | other load (cores) |\n|---|---:|---:|---:|---:|---:|\n';
  const rows = f.ceiling.map((c) => {
    const solo = f.ticks.find((r) => r.scene === c.scene && r.n === c.n && r.shards === null && r.status === 'ok');
    const ok = c.pair.filter((r) => r.status === 'ok' && r.medianMs !== undefined);
    const paired = ok.length ? ok.reduce((a, r) => a + (r.medianMs as number), 0) / ok.length : undefined;
    const ceil = solo?.medianMs && paired && ok.length === 2 ? `${((2 * solo.medianMs) / paired).toFixed(2)}x` : 'n/a';
    return `| ${c.scene} | ${fInt(c.n)} | ${f2(solo?.medianMs)} | ${c.pair.map((r) => (r.status === 'ok' ? f2(r.medianMs) : 'error')).join(' / ')} | ${ceil} | ${c.pair.map((r) => fo(r.foreignCores)).join(' / ')} |`;
  });
  return head + rows.join('\n') + '\n';
}

function emptyTable(f: ResultsFile): string {
  const head =
    '| configuration | median µs/step | p90 µs/step | min µs/step | benchmark.js mean µs/step (±rme) | other load (cores) |\n' +
    '|---|---:|---:|---:|---:|---:|\n';
  const rows = f.empty.map((r) =>
    r.status !== 'ok'
      ? `| ${r.label} | | | | | error: ${(r.reason ?? '').split('\n')[0]} |`
      : `| ${r.label} | ${f2(r.medianUs)} | ${f2(r.p90Us)} | ${f2(r.minUs)} | ${f2(r.benchMeanUs)} (±${(r.benchRme ?? 0).toFixed(1)} %) | ${fo(r.foreignCores)} |`,
  );
  return head + rows.join('\n') + '\n';
}

function configList(f: ResultsFile): string[] {
  const seen = new Map<string, string>();
  for (const r of f.ticks) {
    if (!r.config) continue;
    const c = r.config;
    const key = `${r.scene}|${r.n}|${r.shards}`;
    if (seen.has(key)) continue;
    const cuts = c.partition
      ? `xCuts [${c.partition.xCuts.map((x) => x.toFixed(2)).join(', ')}], zCuts [${c.partition.zCuts.map((x) => x.toFixed(2)).join(', ')}]`
      : 'unsharded';
    seen.set(
      key,
      `- ${r.scene} N=${fInt(r.n)}, ${r.shards === null ? 'core' : `${r.shards} shards`}: capacity ${c.world.capacity}, contactsPerBody ${c.world.contactsPerBody ?? '8 (default)'}, ` +
        `${cuts}${c.halo !== undefined ? `, range ${c.range?.toFixed(3)} m, halo ${c.halo.toFixed(3)} m` : ''}, box interior ${(2 * (r.boxHalf ?? 0)).toFixed(1)} m wide; wasm memory ${c.memoryMiB.toFixed(0)} MiB, peak RSS ${r.peakRssMiB?.toFixed(0)} MiB`,
    );
  }
  return [...seen.values()];
}

function resultsMarkdown(f: ResultsFile): string {
  const m = f.meta.machine;
  const git = f.meta.git ? `${f.meta.git.commit.slice(0, 12)}${f.meta.git.dirty ? ' (uncommitted changes in tracked files)' : ''}` : 'n/a';
  const ticks = [...new Set(f.ticks.map((r) => `${r.scene} N=${fInt(r.n)}: ${r.warmup} warm-up + ${r.timed} timed ticks`))];
  return [
    '# Physics shards: scaling of ShardedWorld against the single-thread core',
    '',
    `- date: ${f.meta.date} (${f.totalSeconds.toFixed(0)} s in all)`,
    `- machine: ${m.cpuModel}, ${m.cores} logical cores, ${m.memoryGiB} GiB, ${m.platform}/${m.arch} (\`${m.slug}\`)`,
    `- node ${f.meta.node} (V8 ${f.meta.v8}); assemblyscript ${f.meta.packages.assemblyscript}, benchmark ${f.meta.packages.benchmark}; children run with \`${f.ticks[0]?.execArgv.join(' ') ?? ''}\``,
    `- git: ${git}`,
    `- load average (1 / 5 / 15 min) before the run: ${load(f.loadAvgBefore)}, after: ${load(f.loadAvgAfter)} (the run's own 2-thread rows)`,
    `- ticks: ${ticks.join('; ')}`,
    '',
    '**Results are medians on a shared 2-core box**: another engineer may have been running tests at the same',
    'time. The last column, "other load", is the CPU time all other processes used during the row\'s timed part',
    "divided by its wall time (from /proc/stat minus the child's own CPU time; 0 = quiet, 1 = one of the two",
    'cores taken). One child process per row, rows strictly one after the other.',
    '',
    '## Ticks',
    '',
    'Wall time of one tick as the caller sees it (`applyCommands` of the rain scene + `step()`), one sample per',
    'tick; "of which commands" is the median of the applyCommands part alone. Speedup = the core\'s median / the row\'s median. ghosts/owned = sum of ghosts / sum of owned bodies',
    "over all shards (`counts()`), mean over the timed ticks; sync visits = list entries the busiest shard's sync visited per tick (`counts().syncVisits`: its held bodies, the overlay, the published lists that concern it, the candidates walked; it does not grow with the world's slot count), mean over the timed ticks; handoffs/tick = change of `handoffs` over the timed",
    'ticks / timed ticks; max/mean owned = bodies of the busiest shard / the mean per shard (1.00 = balanced).',
    "hash = core: the world hash after the last tick equals the unsharded core's (same bits). status: OR of",
    '`lastStatus` (sharded) / `status` (core) over all ticks, 0 = no overflow.',
    '',
    tickTable(f).trim(),
    '',
    ...(f.ceiling?.length
      ? [
          '## Parallel ceiling of this machine',
          '',
          "Two copies of the core's pile run in two processes at the same time (nothing shared but the machine). The",
          'ceiling = 2 x solo median / paired median: the throughput two fully independent threads get here, so the most',
          'any 2-worker layout can gain over one thread, before ghosts and synchronisation. (Other load here is mostly the twin.)',
          '',
          ceilingTable(f).trim(),
          '',
        ]
      : []),
    ...(f.empty.length
      ? [
          '## Empty world: synchronisation overhead',
          '',
          'Capacity 1024, only the closed box (6 statics, 40 m wide, 8 shards cut at x = -10, 0, 10 and z = 0): the cost of',
          '`step()` when there is nothing to simulate, i.e. the per-tick cost of the shard machinery (overlay, board',
          'publication, and with workers the Atomics barrier: wake the workers, wait for them). Per-step timings',
          "(hrtime around each `step()`, 2,000 warm-up steps), and benchmark.js's mean as a cross-check.",
          '',
          emptyTable(f).trim(),
          '',
        ]
      : []),
    '## Reading',
    '',
    ...f.notes,
    '',
    '## Configurations',
    '',
    ...configList(f),
    '',
    'Scenes (test/helpers/scenes.ts buildPile / buildRain): *pile* is pileScene (spheres r = 0.5 m, mass 1, on a',
    'jittered 1.1 m grid, 20 layers, seeded velocities up to 1 m/s, closed box just wide enough, seed 1);',
    '*rain* is rainScene (spheres dropped into a box 30 m high, every tick n/100 spheres put back above the box',
    'with setPosition + setVelocity commands, applied inside the timed tick). Sleeping disabled, 60 ticks/s,',
    `${DEFAULT_SUBSTEPS} substeps (the default). Cuts are at fractions of the box width w: 2 shards x = 0; 4 shards x = 0, z = 0; 8 shards`,
    'x = -w/4, 0, w/4 and z = 0.',
    '',
    f.argv.length
      ? `Rerun: \`npm run build && node build/dist/bench/shards/run-shards.js ${f.argv.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}\` (all defaults: \`npm run bench:shards\`).`
      : 'Rerun: `npm run bench:shards` (= `npm run build && node build/dist/bench/shards/run-shards.js`; `--help` lists the flags).',
    '',
  ].join('\n');
}

/** Numbers the reading paragraph is written from (printed, and stored in the JSON as notes placeholder). */
function summary(f: ResultsFile): string[] {
  const out: string[] = [];
  for (const key of [...new Set(f.ticks.map((r) => `${r.scene}|${r.n}`))]) {
    const rows = f.ticks.filter((r) => `${r.scene}|${r.n}` === key && r.status === 'ok');
    const core = rows.find((r) => r.shards === null);
    if (!core?.medianMs) continue;
    out.push(`${key}: ` + rows.map((r) => `${r.label} ${(core.medianMs! / r.medianMs!).toFixed(2)}x`).join(', '));
  }
  return out;
}

/**
 * A reading generated from the numbers (the JSON's `notes`; a hand-written paragraph can
 * replace it there, and `--render` re-renders the .md from the JSON).
 */
function autoReading(f: ResultsFile): string[] {
  const lines: string[] = [];
  const find = (scene: string, n: number, label: string): TickResult | undefined =>
    f.ticks.find((r) => r.scene === scene && r.n === n && r.label === label && r.status === 'ok');
  for (const scene of [...new Set(f.ticks.map((r) => r.scene))]) {
    for (const n of [...new Set(f.ticks.filter((r) => r.scene === scene).map((r) => r.n))]) {
      const core = find(scene, n, CORE.label);
      if (!core?.medianMs) continue;
      const sp = (l: Layout): string => {
        const r = find(scene, n, l.label);
        return r?.medianMs ? `${(core.medianMs! / r.medianMs).toFixed(2)}x` : 'n/a';
      };
      lines.push(
        `- ${scene} N=${fInt(n)}: core ${f2(core.medianMs)} ms/tick; 2 shards in-thread ${sp(sharded(2, 0))}, ` +
          `1 worker ${sp(sharded(2, 1))}, 2 workers ${sp(sharded(2, 2))}; 4 shards / 2 workers ${sp(sharded(4, 2))}; 8 shards / 2 workers ${sp(sharded(8, 2))}.`,
      );
    }
  }
  for (const scene of [...new Set(f.ticks.map((r) => r.scene))]) {
    const core = find(scene, 100000, CORE.label),
      two = find(scene, 100000, sharded(2, 2).label);
    if (core?.medianMs && two?.medianMs) {
      const s = core.medianMs / two.medianMs;
      lines.push(`- ${scene} N=100,000, 2 shards on 2 workers: ${s.toFixed(2)}x the core: ${s >= 1.8 ? 'reaches' : 'does **not** reach'} 1.8x.`);
    }
  }
  const bad = f.ticks.filter((r) => r.status !== 'ok' || r.statusOr || (r.shards !== null && r.hash !== find(r.scene, r.n, CORE.label)?.hash));
  lines.push(
    bad.length
      ? `- Problems: ${bad.map((r) => `${r.scene} N=${r.n} ${r.label}: ${r.status !== 'ok' ? 'error' : r.statusOr ? `status ${r.statusOr}` : 'hash differs from the core'}`).join('; ')}.`
      : "- Every sharded run ended with the core's world hash and no overflow status.",
  );
  return lines;
}

async function parentMain(argv: string[]): Promise<void> {
  const o = parseArgs(argv);
  const out = o.out ?? path.join(repoRoot(), 'bench', 'results', machineInfo().slug, 'shards.json');
  const mdPath = out.replace(/\.json$/, '') + '.md';
  if (o.render) {
    const file = JSON.parse(fs.readFileSync(out, 'utf8')) as ResultsFile;
    fs.writeFileSync(mdPath, resultsMarkdown(file));
    process.stderr.write(`[shards] rendered ${path.relative(process.cwd(), mdPath)}\n`);
    return;
  }
  const execArgv = [...process.execArgv.filter((x) => x !== '--no-liftoff'), '--no-liftoff'];
  const jobs: Job[] = [];
  if (o.ticks) {
    for (const scene of o.scenes) {
      for (const n of o.sizes) {
        for (const layout of TICK_LAYOUTS) {
          if (o.only && layout.shards !== null && !layout.label.includes(o.only)) continue;
          jobs.push({ kind: 'tick', scene, n, seed: o.seed, layout, warmup: o.warmupFor.get(n) ?? 60, timed: o.timedFor.get(n) ?? 200, execArgv });
        }
      }
    }
  }
  const ceilingJobs: TickJob[] = [];
  if (o.ceiling) {
    for (const n of o.sizes)
      ceilingJobs.push({
        kind: 'tick',
        scene: 'pile',
        n,
        seed: o.seed,
        layout: CORE,
        warmup: o.warmupFor.get(n) ?? 60,
        timed: o.timedFor.get(n) ?? 200,
        execArgv,
      });
  }
  if (o.empty)
    for (const layout of EMPTY_LAYOUTS) jobs.push({ kind: 'empty', layout, warmup: 2000, timed: o.emptyTimed, benchMaxTime: o.benchMaxTime, execArgv });

  const meta = runMeta({ maxTimeSeconds: o.benchMaxTime, filter: o.only ?? null });
  const loadAvgBefore = os.loadavg();
  const t0 = Date.now();
  const ticks: TickResult[] = [],
    empty: EmptyResult[] = [];
  for (const job of jobs) {
    const what = job.kind === 'tick' ? `${job.scene} N=${job.n} ${job.layout.label}` : `empty ${job.layout.label}`;
    process.stderr.write(`[shards] ${what} ... `);
    const r = await runChild(job, o.childTimeoutS);
    const el = `[${((Date.now() - t0) / 1000).toFixed(0)} s elapsed, load ${os.loadavg()[0].toFixed(2)}]`;
    if (r.status !== 'ok') process.stderr.write(`error ${el}\n${r.reason}\n`);
    else if (r.kind === 'tick') {
      process.stderr.write(
        `median ${f2(r.medianMs)} ms, p90 ${f2(r.p90Ms)} ms, ghosts/owned ${r.ghostRatio?.toFixed(3) ?? '-'}, handoffs/tick ${r.handoffsPerTick?.toFixed(1) ?? '-'}, ` +
          `status ${r.statusOr}, hash ${r.hash}, setup ${r.setupMs?.toFixed(0)} ms, peak RSS ${r.peakRssMiB?.toFixed(0)} MiB ${el}\n`,
      );
    } else {
      process.stderr.write(`median ${f2(r.medianUs)} µs, p90 ${f2(r.p90Us)} µs, benchmark.js ${f2(r.benchMeanUs)} µs ±${r.benchRme?.toFixed(1)} % ${el}\n`);
    }
    if (r.kind === 'tick') ticks.push(r);
    else empty.push(r);
  }
  const ceiling: ResultsFile['ceiling'] = [];
  for (const job of ceilingJobs) {
    process.stderr.write(`[shards] ceiling: two ${job.scene} N=${job.n} core runs at the same time ... `);
    const pair = (await Promise.all([runChild(job, o.childTimeoutS), runChild(job, o.childTimeoutS)])) as TickResult[];
    ceiling.push({ scene: job.scene, n: job.n, pair });
    process.stderr.write(
      `medians ${pair.map((r) => (r.status === 'ok' ? f2(r.medianMs) : 'error')).join(' and ')} ms [${((Date.now() - t0) / 1000).toFixed(0)} s elapsed]\n`,
    );
  }
  const file: ResultsFile = {
    schema: 'tessera.shards.v1',
    meta,
    argv,
    loadAvgBefore,
    loadAvgAfter: os.loadavg(),
    totalSeconds: (Date.now() - t0) / 1000,
    notes: [],
    ticks,
    empty,
    ceiling,
  };
  file.notes = autoReading(file);
  const md = resultsMarkdown(file);
  process.stdout.write(
    '\n' +
      tickTable(file) +
      '\n' +
      (ceiling.length ? ceilingTable(file) + '\n' : '') +
      (empty.length ? emptyTable(file) + '\n' : '') +
      summary(file).join('\n') +
      '\n',
  );
  if (!o.write) return;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(file, null, 2) + '\n');
  fs.writeFileSync(mdPath, md);
  process.stderr.write(`[shards] wrote ${path.relative(process.cwd(), out)} and .md\n`);
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const main = argv[0] === '--child' ? childMain(argv[1]) : parentMain(argv);
  main.catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
