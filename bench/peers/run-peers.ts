/**
 * Peer physics benchmark runner: Tessera, Rapier (WASM builds), Jolt (WASM) and cannon-es on
 * the engine-independent scenes of scenes.ts, scenes-rest.ts, scenes-level.ts and
 * scenes-boxes.ts (registry: scene-registry.ts), with time and quality columns (quality.ts) and
 * the issue-16 and issue-18 targets (report.ts).
 *
 * Build & run (from the repo root):
 *   npm run build
 *   node build/dist/bench/peers/run-peers.js --engines tessera,rapier,jolt \
 *        --scenes resting,mixed --sizes 20000
 *
 * Every (engine, scene, N) runs in its own child process (fork of this file)
 * so RSS and JIT state are not shared; runs are strictly serial.
 *
 * Flags:
 *   --engines a,b      engine ids or aliases (default rapier,cannon):
 *                      rapier = every installed rapier build
 *                      (rapier-compat, rapier-simd, rapier-deterministic),
 *                      jolt = jolt-physics (wasm-compat build, bench/peers/jolt.ts),
 *                      cannon = cannon-sap; also cannon-grid, cannon-naive,
 *                      and cannon-sap-patched / cannon-grid-patched (cannon-es
 *                      with its two quadratic bookkeeping structures replaced,
 *                      see cannon.ts: NOT stock cannon-es); tessera = our own
 *                      core (bench/peers/tessera.ts)
 *   --scenes a,b       scene names (default pile,rain): pile, rain, resting, drop, mixed,
 *                      sparse-active, sparse-alone, level, level-few, raycast, box-pile,
 *                      pyramid (N = the base)
 *   --sizes 1000,5000  N for every scene (default: each scene's own sizes,
 *                      scene-registry.ts DEFAULT_SIZES)
 *   --sizes-for s=N:N,..  sizes of one scene, e.g. resting=20000:100000,mixed=5000
 *                      (wins over --sizes for that scene)
 *   --warmup 60        warm-up steps (default from the scene)
 *   --timed 300        timed steps (default from the scene)
 *   --timed-for K=S,.. timed steps override: K = N (every scene) or scene@N,
 *                      e.g. 20000=150,pile@100000=30
 *   --skip e@s,..      rows not to run, recorded as skipped: engine@scene or
 *                      engine@scene@N (engine may be an alias: rapier@sparse-active)
 *   --seed 1
 *   --max-step-ms 2000 a warm-up step (after the first, which includes WASM
 *                      compilation) slower than this => "skipped: over budget"
 *                      (and larger sizes of that engine+scene are skipped too)
 *   --run-budget-s 120 if (median warm-up step x timed) exceeds this, timed
 *                      steps are reduced to fit (not below --min-timed 30) and
 *                      the reduction is recorded; never in drop and mixed, whose
 *                      figures are taken after 10 s / 16 s (SceneSpec.fullRun)
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
import { machineInfo, repoRoot } from '../results';
import { expandEngines } from './engines';
import { installedVersion } from './pkgversion';
import { RAPIER_BUILDS } from './rapier';
import { markdownTable, raysTable, resultsMarkdown, sortResults, targetsMarkdown, type ResultsFile } from './report';
import { type Job, type RunResult, runJob } from './run-job';
import { DEFAULT_SIZES, isSceneName, SCENE_NAMES, type SceneName } from './scene-registry';

/**
 * A failed job as a row: an engine that cannot hold the scene (an error whose message starts
 * with "does not fit", or an Emscripten heap that cannot grow: "Aborted(OOM)") is skipped,
 * anything else is an error with its stack.
 */
function failure(e: unknown): { status: 'skipped' | 'error'; reason: string } {
  const stack = e instanceof Error ? (e.stack ?? e.message) : String(e);
  const first = (e instanceof Error ? e.message : stack).split('\n')[0];
  if (first.startsWith('does not fit')) return { status: 'skipped', reason: first };
  if (/Aborted\(OOM\)|out of memory/i.test(stack)) return { status: 'skipped', reason: `does not fit: engine out of memory (${first})` };
  return { status: 'error', reason: stack };
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
      runAt: job.runAt,
      ...failure(e),
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
  /** --sizes: N for every scene without a --sizes-for entry (undefined: each scene's default sizes). */
  sizes?: number[];
  sizesFor: Map<SceneName, number[]>;
  seed: number;
  warmup?: number;
  timed?: number;
  /** Keys "N" or "scene@N". */
  timedFor: Map<string, number>;
  /** --skip entries: "engine@scene" or "engine@scene@N" (engine ids, aliases expanded). */
  skip: Set<string>;
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
    sizesFor: new Map(),
    skip: new Set(),
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
  const sceneName = (s: string): SceneName => {
    if (!isSceneName(s)) throw new Error(`unknown scene ${s} (known: ${SCENE_NAMES.join(', ')})`);
    return s;
  };
  const sizeList = (items: string[], flag: string): number[] => items.map((s) => num(s.replace(/_/g, ''), flag)).sort((x, y) => x - y);
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
        o.scenes = list(next(), a).map(sceneName);
        break;
      case '--sizes':
        o.sizes = sizeList(list(next(), a), a);
        break;
      case '--sizes-for':
        for (const kv of list(next(), a)) {
          const [k, v] = kv.split('=');
          o.sizesFor.set(sceneName(k), sizeList((v ?? '').split(':'), a));
        }
        break;
      case '--skip':
        for (const item of list(next(), a)) {
          const [e, sc, n] = item.split('@');
          if (sc === undefined) throw new Error(`--skip needs engine@scene[@N], got ${item}`);
          for (const id of expandEngines([e])) o.skip.add(n === undefined ? `${id}@${sceneName(sc)}` : `${id}@${sceneName(sc)}@${num(n, a)}`);
        }
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
          const [sc, n] = k.includes('@') ? k.split('@') : [undefined, k];
          o.timedFor.set(sc === undefined ? String(num(n, a)) : `${sceneName(sc)}@${num(n, a)}`, num(v, a));
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
  const runAt = new Date(t0).toISOString();
  for (const engine of engines) {
    for (const scene of o.scenes) {
      let blocked: string | undefined;
      for (const n of o.sizesFor.get(scene) ?? o.sizes ?? DEFAULT_SIZES[scene]) {
        const skipped = [`${engine}@${scene}`, `${engine}@${scene}@${n}`].find((k) => o.skip.has(k));
        if (skipped) {
          results.push({
            engine,
            scene,
            n,
            seed: o.seed,
            status: 'skipped',
            reason: `not run (--skip ${skipped})`,
            runAt,
            finishedAt: new Date().toISOString(),
          });
          process.stderr.write(`[peers] ${engine} ${scene} N=${n}: not run (--skip ${skipped})\n`);
          continue;
        }
        if (blocked) {
          const r: RunResult = {
            engine,
            scene,
            n,
            seed: o.seed,
            status: 'skipped',
            reason: `not run: ${blocked}`,
            runAt,
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
          timed: o.timedFor.get(`${scene}@${n}`) ?? o.timedFor.get(String(n)) ?? o.timed,
          minTimed: o.minTimed,
          maxStepMs: o.maxStepMs,
          runBudgetS: o.runBudgetS,
          runAt,
        };
        process.stderr.write(`[peers] ${engine} ${scene} N=${n} ... `);
        const r = await runChild(job, o.childTimeoutS);
        results.push(r);
        if (r.status === 'ok') {
          process.stderr.write(
            `median ${r.medianMs?.toFixed(2)} ms, p90 ${r.p90Ms?.toFixed(2)} ms, ${r.timed} steps` +
              `${r.timedReduced ? ' (reduced)' : ''}, rss ${r.rssMiB?.toFixed(0)} MiB` +
              (r.quality
                ? `, overlap ${r.quality.overlapMax.toFixed(4)} m, mean v ${r.quality.meanSpeed.toFixed(3)} m/s, ` +
                  `asleep ${(100 * r.quality.asleep).toFixed(0)} %, lost ${r.quality.lost} `
                : ' ') +
              `${r.warning ? `(${r.warning}) ` : ''}[${((Date.now() - t0) / 1000).toFixed(0)} s elapsed]\n`,
          );
        } else {
          process.stderr.write(`${r.status}: ${(r.reason ?? '').split('\n')[0]}\n`);
          if (r.status === 'error') process.stderr.write(`${r.reason}\n`);
          // A size that does not fit or runs over budget blocks the larger ones; an error does too.
          blocked = `N=${n} was ${r.status} (${(r.reason ?? '').split('\n')[0]})`;
        }
      }
    }
  }

  const sorted = sortResults([...results]);
  process.stdout.write('\n' + markdownTable(sorted));
  const rays = raysTable(sorted);
  if (rays) process.stdout.write('\n' + rays);
  process.stdout.write('\nTargets (this run):\n' + targetsMarkdown(sorted));

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
  for (const p of [...Object.values(RAPIER_BUILDS), 'jolt-physics', 'cannon-es']) {
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
      'bench/peers/scenes.ts, scenes-rest.ts, scenes-level.ts, scenes-boxes.ts: spheres r=0.5 m (mixed: 0.25-1 m), ' +
      'box-pile: boxes of half extents 0.2-0.28 m in random orientations, pyramid: 1 m cubes (N = base); density 1000 kg/m^3, ' +
      'friction 0.5, restitution 0.2, gravity -9.81, dt 1/60; sleeping off in pile, rain and box-pile, on (engine defaults) in ' +
      'resting, drop, mixed, sparse-*, level*, raycast, pyramid; warm-up + timed steps per scene; per-step time covers recycle + step.',
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
