/**
 * Peer physics benchmark runner: Rapier (WASM builds) and cannon-es on the
 * engine-independent scenes of scenes.ts.
 *
 * Build & run (from the repo root):
 *   npx tsc -p bench/peers/tsconfig.json      # or the repo's full tsc build
 *   node build/dist/bench/peers/run-peers.js --engines rapier,cannon \
 *        --scenes pile,rain --sizes 1000,5000,20000 --timed 300
 *
 * Every (engine, scene, N) runs in its own child process (fork of this file)
 * so RSS and JIT state are not shared; runs are strictly serial.
 *
 * Flags:
 *   --engines a,b      engine ids or aliases (default rapier,cannon):
 *                      rapier = every installed rapier build
 *                      (rapier-compat, rapier-simd, rapier-deterministic),
 *                      cannon = cannon-sap; also cannon-grid, cannon-naive,
 *                      and cannon-sap-patched / cannon-grid-patched (cannon-es
 *                      with its two quadratic bookkeeping structures replaced,
 *                      see cannon.ts: NOT stock cannon-es); tessera = our own
 *                      core (bench/peers/tessera.ts)
 *   --scenes pile,rain (default both)
 *   --sizes 1000,5000  (default 1000,5000,20000)
 *   --warmup 60        warm-up steps (default from the scene: 60)
 *   --timed 300        timed steps (default from the scene: 300)
 *   --timed-for N=S,.. timed steps override per size, e.g. 100000=100
 *   --seed 1
 *   --max-step-ms 2000 a warm-up step slower than this => "skipped: over budget"
 *                      (and larger sizes of that engine+scene are skipped too)
 *   --run-budget-s 120 if (median warm-up step x timed) exceeds this, timed
 *                      steps are reduced to fit (not below --min-timed 30) and
 *                      the reduction is recorded
 *   --child-timeout-s 900  kill a child that runs longer than this
 *   --render           only re-render the .md from the results JSON
 *   --tiering          keep V8's default lazy WASM tiering (Liftoff first,
 *                      TurboFan later, in the background). By default children
 *                      run with --no-liftoff so WASM engines run fully
 *                      optimised code from step 0: with lazy tiering Rapier's
 *                      p90 at N=1000 was 3x its median after 60 warm-up
 *                      steps. (No effect on pure-JS engines.)
 *   --out FILE         default bench/results/<machine>/physics-peers.json
 *   --fresh            overwrite the results file instead of merging into it
 *                      (merging replaces entries with the same engine/scene/N)
 *   --no-write         print only
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PeerAdapterLoader } from './adapter';
import { cannonLoader } from './cannon';
import { machineInfo, repoRoot } from '../results';
import { installedVersion } from './pkgversion';
import { RAPIER_BUILDS, rapierBuildInstalled, rapierLoader, type RapierBuild } from './rapier';
import { makeScene, positionStats, checksumPositions, type PositionStats, type SceneName } from './scenes';

// ---------------------------------------------------------------------------
// Engine registry

export const ENGINE_LOADERS: Record<string, PeerAdapterLoader> = {
  'rapier-compat': rapierLoader('rapier-compat'),
  'rapier-simd': rapierLoader('rapier-simd'),
  'rapier-deterministic': rapierLoader('rapier-deterministic'),
  'cannon-sap': cannonLoader('sap'),
  'cannon-grid': cannonLoader('grid'),
  'cannon-naive': cannonLoader('naive'),
  'cannon-sap-patched': cannonLoader('sap', true),
  'cannon-grid-patched': cannonLoader('grid', true),
  // Tessera's own core (bench/peers/tessera.ts), loaded lazily so the peers
  // run even when the Tessera WASM build is missing or mid-change.
  tessera: async () => (await import('./tessera')).loadTessera(),
};

function expandEngines(list: string[]): string[] {
  const out: string[] = [];
  const add = (e: string): void => {
    if (!out.includes(e)) out.push(e);
  };
  for (const e of list) {
    if (e === 'rapier') {
      for (const b of Object.keys(RAPIER_BUILDS) as RapierBuild[]) {
        if (rapierBuildInstalled(b)) add(b);
        else process.stderr.write(`note: ${RAPIER_BUILDS[b]} not installed, skipping ${b}\n`);
      }
    } else if (e === 'cannon') {
      add('cannon-sap');
    } else if (e in ENGINE_LOADERS) {
      add(e);
    } else {
      throw new Error(`unknown engine "${e}" (known: rapier, cannon, ${Object.keys(ENGINE_LOADERS).join(', ')})`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Types

interface Job {
  engine: string;
  execArgv: string[];
  scene: SceneName;
  n: number;
  seed: number;
  warmup?: number;
  timed?: number;
  minTimed: number;
  maxStepMs: number;
  runBudgetS: number;
}

export interface RunResult {
  engine: string;
  pkg?: string;
  version?: string;
  notes?: string;
  scene: SceneName;
  n: number;
  seed: number;
  status: 'ok' | 'skipped' | 'error';
  reason?: string;
  layout?: string;
  bodyCount?: number;
  warmup?: number;
  timedRequested?: number;
  timed?: number;
  timedReduced?: boolean;
  sceneGenMs?: number;
  setupMs?: number;
  warmupMs?: number;
  warmupMaxStepMs?: number;
  medianMs?: number;
  p90Ms?: number;
  meanMs?: number;
  minMs?: number;
  maxMs?: number;
  /** n * timed steps / total timed seconds. */
  bodyStepsPerSec?: number;
  /** process.memoryUsage().rss right after the timed steps, MiB. */
  rssMiB?: number;
  /** process.resourceUsage().maxRSS (peak), MiB. */
  peakRssMiB?: number;
  checksum?: number;
  stats?: PositionStats;
  /** Node flags of the child process. */
  execArgv?: string[];
  finishedAt: string;
}

// ---------------------------------------------------------------------------
// Child: one engine x scene x size

function quantile(sorted: Float64Array, q: number): number {
  // nearest-rank
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}

const nowNs = (): bigint => process.hrtime.bigint();
const msSince = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

async function runJob(job: Job): Promise<RunResult> {
  const base = { engine: job.engine, scene: job.scene, n: job.n, seed: job.seed };
  const loader = ENGINE_LOADERS[job.engine];
  if (!loader) throw new Error(`unknown engine ${job.engine}`);
  const adapter = await loader();

  let t0 = nowNs();
  const scene = makeScene(job.scene, job.n, job.seed);
  const sceneGenMs = msSince(t0);
  const warmup = job.warmup ?? scene.warmup;
  const timedRequested = job.timed ?? scene.timed;
  const meta = {
    ...base,
    execArgv: job.execArgv,
    pkg: adapter.pkg,
    version: adapter.version,
    notes: adapter.notes,
    layout: scene.layout,
    warmup,
    timedRequested,
    sceneGenMs,
  };

  t0 = nowNs();
  const world = adapter.create(scene);
  const setupMs = msSince(t0);

  const pos3 = new Float64Array(3);
  const vel3 = new Float64Array(3);
  const recycle = scene.recycle;
  if (recycle && !world.recycle) throw new Error(`${job.engine} has no recycle() but scene ${job.scene} needs it`);

  /** Runs global step s; returns its duration in ms (recycle + step). */
  const doStep = (s: number): number => {
    const batch = recycle ? recycle(s) : undefined; // generated outside the timer
    const start = nowNs();
    if (batch && world.recycle) {
      const { indices, positions, velocities } = batch;
      for (let j = 0; j < indices.length; j++) {
        pos3[0] = positions[3 * j];
        pos3[1] = positions[3 * j + 1];
        pos3[2] = positions[3 * j + 2];
        vel3[0] = velocities[3 * j];
        vel3[1] = velocities[3 * j + 1];
        vel3[2] = velocities[3 * j + 2];
        world.recycle(indices[j], pos3, vel3);
      }
    }
    world.step();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };

  // Warm-up
  const warmTimes = new Float64Array(warmup);
  let warmupMs = 0;
  let warmupMaxStepMs = 0;
  for (let s = 0; s < warmup; s++) {
    const ms = doStep(s);
    warmTimes[s] = ms;
    warmupMs += ms;
    if (ms > warmupMaxStepMs) warmupMaxStepMs = ms;
    if (ms > job.maxStepMs) {
      return {
        ...meta,
        status: 'skipped',
        reason: `over budget: warm-up step ${s} took ${ms.toFixed(0)} ms > ${job.maxStepMs} ms`,
        bodyCount: world.bodyCount,
        setupMs,
        warmupMs,
        warmupMaxStepMs,
        rssMiB: process.memoryUsage().rss / 2 ** 20,
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
        finishedAt: new Date().toISOString(),
      };
    }
  }

  // Budget: estimate the step cost from the second half of warm-up.
  let timed = timedRequested;
  let timedReduced = false;
  if (warmup > 0) {
    const tail = Float64Array.from(warmTimes.subarray(Math.floor(warmup / 2))).sort();
    const est = quantile(tail, 0.5);
    const projectedS = (est * timedRequested) / 1000;
    if (projectedS > job.runBudgetS) {
      timed = Math.max(job.minTimed, Math.floor((job.runBudgetS * 1000) / est));
      if (timed < timedRequested) timedReduced = true;
      else timed = timedRequested;
    }
  }

  // Timed
  const times = new Float64Array(timed);
  for (let k = 0; k < timed; k++) times[k] = doStep(warmup + k);
  const rssMiB = process.memoryUsage().rss / 2 ** 20;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;

  let total = 0;
  for (let k = 0; k < timed; k++) total += times[k];
  const sorted = Float64Array.from(times).sort();

  const positions = new Float64Array(3 * scene.n);
  world.readPositions(positions);
  const checksum = world.positionsChecksum();
  if (checksum !== checksumPositions(positions)) {
    throw new Error(`${job.engine}: positionsChecksum() disagrees with readPositions()`);
  }
  const stats = positionStats(scene, positions);
  const bodyCount = world.bodyCount;
  world.dispose();

  return {
    ...meta,
    status: 'ok',
    bodyCount,
    timed,
    timedReduced,
    setupMs,
    warmupMs,
    warmupMaxStepMs,
    medianMs: quantile(sorted, 0.5),
    p90Ms: quantile(sorted, 0.9),
    meanMs: total / timed,
    minMs: sorted[0],
    maxMs: sorted[timed - 1],
    bodyStepsPerSec: (scene.n * timed) / (total / 1000),
    rssMiB,
    peakRssMiB,
    checksum,
    stats,
    finishedAt: new Date().toISOString(),
  };
}

async function childMain(jobJson: string): Promise<void> {
  const job = JSON.parse(jobJson) as Job;
  let result: RunResult;
  try {
    result = await runJob(job);
  } catch (e) {
    result = {
      engine: job.engine,
      scene: job.scene,
      n: job.n,
      seed: job.seed,
      status: 'error',
      reason: e instanceof Error ? (e.stack ?? e.message) : String(e),
      finishedAt: new Date().toISOString(),
    };
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
  engines: string[];
  scenes: SceneName[];
  sizes: number[];
  seed: number;
  warmup?: number;
  timed?: number;
  timedFor: Map<number, number>;
  minTimed: number;
  maxStepMs: number;
  runBudgetS: number;
  childTimeoutS: number;
  tiering: boolean;
  out?: string;
  fresh: boolean;
  write: boolean;
  /** Only re-render the .md from the existing results JSON (no runs). */
  render: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    engines: ['rapier', 'cannon'],
    scenes: ['pile', 'rain'],
    sizes: [1000, 5000, 20000],
    seed: 1,
    timedFor: new Map(),
    minTimed: 30,
    maxStepMs: 2000,
    runBudgetS: 120,
    childTimeoutS: 900,
    tiering: false,
    fresh: false,
    write: true,
    render: false,
  };
  const num = (s: string | undefined, flag: string): number => {
    const v = Number(s);
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
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string | undefined => argv[++i];
    switch (a) {
      case '--engines':
        o.engines = list(next(), a);
        break;
      case '--scenes':
        o.scenes = list(next(), a).map((s) => {
          if (s !== 'pile' && s !== 'rain') throw new Error(`unknown scene ${s}`);
          return s;
        });
        break;
      case '--sizes':
        o.sizes = list(next(), a)
          .map((s) => num(s.replace(/_/g, ''), a))
          .sort((x, y) => x - y);
        break;
      case '--seed':
        o.seed = num(next(), a);
        break;
      case '--warmup':
        o.warmup = num(next(), a);
        break;
      case '--timed':
        o.timed = num(next(), a);
        break;
      case '--timed-for':
        for (const kv of list(next(), a)) {
          const [k, v] = kv.split('=');
          o.timedFor.set(num(k, a), num(v, a));
        }
        break;
      case '--min-timed':
        o.minTimed = num(next(), a);
        break;
      case '--max-step-ms':
        o.maxStepMs = num(next(), a);
        break;
      case '--run-budget-s':
        o.runBudgetS = num(next(), a);
        break;
      case '--child-timeout-s':
        o.childTimeoutS = num(next(), a);
        break;
      case '--out':
        o.out = next();
        break;
      case '--tiering':
        o.tiering = true;
        break;
      case '--fresh':
        o.fresh = true;
        break;
      case '--no-write':
        o.write = false;
        break;
      case '--render':
        o.render = true;
        break;
      case '-h':
      case '--help':
        process.stdout.write(fs.readFileSync(__filename, 'utf8').split('*/')[0] + '*/\n');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${a}`);
    }
  }
  return o;
}

function runChild(job: Job, timeoutS: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = fork(__filename, ['--child', JSON.stringify(job)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: job.execArgv,
    });
    let result: RunResult | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, timeoutS * 1000);
    child.on('message', (m) => {
      result = m as RunResult;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result) return resolve(result);
      resolve({
        engine: job.engine,
        scene: job.scene,
        n: job.n,
        seed: job.seed,
        status: timedOut ? 'skipped' : 'error',
        reason: timedOut ? `over budget: child killed after ${timeoutS} s` : `child exited with code ${code} signal ${signal} without a result`,
        finishedAt: new Date().toISOString(),
      });
    });
  });
}

const fmt = (v: number | undefined, digits: number): string => (v === undefined ? '' : v.toFixed(digits));
const fmtInt = (v: number | undefined): string =>
  v === undefined
    ? ''
    : Math.round(v)
        .toString()
        .replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export function markdownTable(results: RunResult[]): string {
  const head =
    '| engine | scene | N | timed steps | median ms/step | p90 ms/step | bodies x steps/s | setup ms | RSS MiB | peak RSS MiB | mean y / max y | escaped | note |\n' +
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n';
  const rows = results.map((r) => {
    const note = r.status === 'ok' ? (r.timedReduced ? `timed reduced from ${r.timedRequested}` : '') : `${r.status}: ${(r.reason ?? '').split('\n')[0]}`;
    const yy = r.stats ? `${r.stats.meanY.toFixed(2)} / ${r.stats.maxY.toFixed(1)}` : '';
    return (
      `| ${r.engine} | ${r.scene} | ${fmtInt(r.n)} | ${r.timed ?? ''} | ${fmt(r.medianMs, 2)} | ${fmt(r.p90Ms, 2)} | ` +
      `${fmtInt(r.bodyStepsPerSec)} | ${fmt(r.setupMs, 0)} | ${fmt(r.rssMiB, 0)} | ${fmt(r.peakRssMiB, 0)} | ${yy} | ` +
      `${r.stats ? r.stats.escaped : ''} | ${note} |`
    );
  });
  return head + rows.join('\n') + '\n';
}

/**
 * Ratio of each peer's median ms/step to Tessera's (> 1: Tessera is faster), per scene and N.
 * Medians come from the same results file; rows measured in different runs are marked by
 * their run times in the Runs section.
 */
function ratioTable(results: RunResult[]): string {
  const ok = results.filter((r) => r.status === 'ok' && r.medianMs !== undefined);
  const tessera = new Map(ok.filter((r) => r.engine === 'tessera').map((r) => [`${r.scene}|${r.n}`, r.medianMs as number]));
  const peers = [...new Set(ok.map((r) => r.engine).filter((e) => e !== 'tessera'))];
  const keys = [...tessera.keys()];
  if (!keys.length || !peers.length) return '';
  const head = `| scene | N | ${peers.join(' | ')} |\n|---|---:|${peers.map(() => '---:').join('|')}|\n`;
  const rows = keys.map((k) => {
    const [scene, n] = k.split('|');
    const t = tessera.get(k) as number;
    const cells = peers.map((e) => {
      const r = ok.find((x) => x.engine === e && `${x.scene}|${x.n}` === k);
      return r ? `${((r.medianMs as number) / t).toFixed(2)}x` : '';
    });
    return `| ${scene} | ${fmtInt(Number(n))} | ${cells.join(' | ')} |`;
  });
  return head + rows.join('\n') + '\n';
}

interface ResultsFile {
  schema: 'tessera.physics-peers.v1';
  updatedAt: string;
  machine: ReturnType<typeof machineInfo>;
  node: string;
  v8: string;
  packages: Record<string, string>;
  scenesDoc: string;
  runs: { at: string; argv: string[] }[];
  results: RunResult[];
}

function resultsMarkdown(f: ResultsFile): string {
  const m = f.machine;
  const engines = new Map<string, RunResult>();
  for (const r of f.results) if (r.notes && !engines.has(r.engine)) engines.set(r.engine, r);
  const lines = [
    '# Physics peers: Rapier and cannon-es on the Tessera benchmark scenes',
    '',
    `- updated: ${f.updatedAt}`,
    `- machine: ${m.cpuModel}, ${m.cores} logical cores, ${m.memoryGiB} GiB, ${m.platform}/${m.arch} (\`${m.slug}\`)`,
    `- node ${f.node} (V8 ${f.v8}); ${Object.entries(f.packages)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- scenes: ${f.scenesDoc}`,
    '- columns: per-step wall time (recycle + step) over the timed steps; bodies x steps/s = N x timed / total timed time;',
    '  RSS after the timed steps and peak RSS of the child process (one process per row); mean/max y of the sphere',
    '  centres at the end; escaped = centres outside the box interior.',
    '',
    markdownTable(f.results).trim(),
    '',
    '## Ratio to Tessera',
    '',
    "Peer median ms/step divided by Tessera's (> 1: Tessera is faster).",
    '',
    ratioTable(f.results).trim(),
    '',
    '## Engines',
    '',
    ...[...engines.values()].map((r) => `- \`${r.engine}\`: ${r.pkg} ${r.version}; ${r.notes}`),
    '',
    '## Layouts',
    '',
    ...[...new Map(f.results.filter((r) => r.layout).map((r) => [`${r.scene}|${r.n}`, r])).values()].map((r) => `- ${r.scene} N=${r.n}: ${r.layout}`),
    '',
    '## Runs',
    '',
    ...f.runs.map((r) => `- ${r.at}: \`node build/dist/bench/peers/run-peers.js ${r.argv.join(' ')}\``),
    '',
  ];
  return lines.join('\n');
}

const ENGINE_ORDER = Object.keys(ENGINE_LOADERS);
function sortResults(rs: RunResult[]): RunResult[] {
  return rs.sort((a, b) => a.scene.localeCompare(b.scene) || a.n - b.n || ENGINE_ORDER.indexOf(a.engine) - ENGINE_ORDER.indexOf(b.engine));
}

async function parentMain(argv: string[]): Promise<void> {
  const o = parseArgs(argv);
  if (o.render) {
    const out = o.out ?? path.join(repoRoot(), 'bench', 'results', machineInfo().slug, 'physics-peers.json');
    const file = JSON.parse(fs.readFileSync(out, 'utf8')) as ResultsFile;
    fs.writeFileSync(out.replace(/\.json$/, '') + '.md', resultsMarkdown(file));
    process.stderr.write(`[peers] rendered ${path.relative(process.cwd(), out)} to .md\n`);
    return;
  }
  const engines = expandEngines(o.engines);
  const results: RunResult[] = [];
  const t0 = Date.now();
  for (const engine of engines) {
    for (const scene of o.scenes) {
      let blocked: string | undefined;
      for (const n of o.sizes) {
        if (blocked) {
          const r: RunResult = {
            engine,
            scene,
            n,
            seed: o.seed,
            status: 'skipped',
            reason: `over budget: ${blocked}`,
            finishedAt: new Date().toISOString(),
          };
          results.push(r);
          process.stderr.write(`[peers] ${engine} ${scene} N=${n}: ${r.reason}\n`);
          continue;
        }
        const job: Job = {
          engine,
          execArgv: [...process.execArgv.filter((f) => f !== '--no-liftoff'), ...(o.tiering ? [] : ['--no-liftoff'])],
          scene,
          n,
          seed: o.seed,
          warmup: o.warmup,
          timed: o.timedFor.get(n) ?? o.timed,
          minTimed: o.minTimed,
          maxStepMs: o.maxStepMs,
          runBudgetS: o.runBudgetS,
        };
        process.stderr.write(`[peers] ${engine} ${scene} N=${n} ... `);
        const r = await runChild(job, o.childTimeoutS);
        results.push(r);
        if (r.status === 'ok') {
          process.stderr.write(
            `median ${r.medianMs?.toFixed(2)} ms, p90 ${r.p90Ms?.toFixed(2)} ms, ${r.timed} steps` +
              `${r.timedReduced ? ' (reduced)' : ''}, rss ${r.rssMiB?.toFixed(0)} MiB ` +
              `[${((Date.now() - t0) / 1000).toFixed(0)} s elapsed]\n`,
          );
        } else {
          process.stderr.write(`${r.status}: ${(r.reason ?? '').split('\n')[0]}\n`);
          if (r.status === 'error') process.stderr.write(`${r.reason}\n`);
          blocked = `N=${n} was ${r.status} (${(r.reason ?? '').split('\n')[0]})`;
        }
      }
    }
  }

  process.stdout.write('\n' + markdownTable(sortResults([...results])));

  if (!o.write) return;
  const machine = machineInfo();
  const out = o.out ?? path.join(repoRoot(), 'bench', 'results', machine.slug, 'physics-peers.json');
  let prior: ResultsFile | undefined;
  if (!o.fresh && fs.existsSync(out)) {
    try {
      prior = JSON.parse(fs.readFileSync(out, 'utf8')) as ResultsFile;
    } catch {
      prior = undefined;
    }
  }
  const key = (r: RunResult): string => `${r.engine}|${r.scene}|${r.n}|${r.seed}`;
  const merged = new Map<string, RunResult>();
  for (const r of prior?.results ?? []) merged.set(key(r), r);
  for (const r of results) merged.set(key(r), r);
  const packages: Record<string, string> = { ...(prior?.packages ?? {}) };
  for (const p of [...Object.values(RAPIER_BUILDS), 'cannon-es']) {
    const v = installedVersion(p);
    if (v) packages[p] = v;
  }
  const file: ResultsFile = {
    schema: 'tessera.physics-peers.v1',
    updatedAt: new Date().toISOString(),
    machine,
    node: process.version,
    v8: process.versions.v8,
    packages,
    scenesDoc:
      'bench/peers/scenes.ts: spheres r=0.5 m, density 1000 kg/m^3 (mass 523.6 kg), friction 0.5, restitution 0.2, ' +
      'gravity -9.81, dt 1/60, sleeping disabled, 60 warm-up + timed steps; per-step time covers recycle + step.',
    runs: [...(prior?.runs ?? []), { at: new Date().toISOString(), argv: process.argv.slice(2) }],
    results: sortResults([...merged.values()]),
  };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(file, null, 2) + '\n');
  const md = out.replace(/\.json$/, '') + '.md';
  fs.writeFileSync(md, resultsMarkdown(file));
  process.stderr.write(`[peers] wrote ${path.relative(process.cwd(), out) || out} and .md\n`);
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const main = argv[0] === '--child' ? childMain(argv[1]) : parentMain(argv);
  main.catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
