/**
 * Cluster benchmark (issue 17, "Targets"): the single-thread core against a 2-region ShardedWorld
 * on 2 worker threads and on 2 `tessera shard` processes over NATS, with 0 (loopback), 0.2, 1 and
 * 5 ms added one-way delay between each process and nats-server (network namespaces + delay
 * proxies: bench/cluster/machines.ts), on pile and rain; and a handoff job (2 processes, bodies
 * driven across the border until 100,000 handoffs, counted independently of the shard code).
 * What each job does: bench/cluster/cluster-jobs.ts.
 *
 * Build & run (from the repo root; root is needed for the namespaces, else those rows record
 * "no namespaces"):
 *   npm run bench:cluster                          # build, then everything below, writes results
 *   node build/dist/bench/cluster/run-cluster.js   # the same without rebuilding
 *   node build/dist/bench/cluster/run-cluster.js --quick --no-write   # smoke run (~1-2 min)
 *
 * Every job runs in its own child process (fork of this file, `--no-liftoff`), strictly one
 * after the other. The shard processes also run with `--no-liftoff`.
 *
 * Flags:
 *   --scenes pile,rain        (default pile,rain)
 *   --sizes 20000,100000      (default)
 *   --delays 0,0.2,1,5        added delays of the NATS rows, ms (default; 0 = loopback, no namespaces)
 *   --configs core,workers,nats   (default all three)
 *   --warmup-for N=S,..       warm-up ticks per size (default 20000=30,100000=10; otherwise 30)
 *   --timed-for N=S,..        timed ticks per size (default 20000=100,100000=30; otherwise 100)
 *   --seed 1
 *   --handoffs 100000         handoff job target (0 = no handoff job)
 *   --handoff-bodies 10000    --handoff-per-tick 500   --handoff-delay 0   --handoff-max-ticks 5000
 *   --handoffs-only           only the handoff job
 *   --quick                   smoke run: sizes 2000, warm-up 5, timed 10, delays 0,1, 5,000 handoffs on 2,000 bodies
 *   --child-timeout-s 1800
 *   --out FILE                default bench/results/<machine>/cluster.json (and .md next to it)
 *   --no-write                print only
 */
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { markdownTable, repoRoot, runMeta, type RunMeta } from '../results';
import { configLabel, runHandoff, runTick, type ConfigKind, type HandoffResult, type Job, type Result, type SceneName, type TickResult } from './cluster-jobs';
import { probeNamespaces } from './netns';

interface Options {
  scenes: SceneName[];
  sizes: number[];
  delays: number[];
  configs: ConfigKind[];
  warmupFor: Map<number, number>;
  timedFor: Map<number, number>;
  seed: number;
  handoffs: number;
  handoffBodies: number;
  handoffPerTick: number;
  handoffDelay: number;
  handoffMaxTicks: number;
  ticks: boolean;
  childTimeoutS: number;
  out?: string;
  write: boolean;
  quick: boolean;
}

const EXEC_ARGV = ['--no-liftoff'];

function parseArgs(argv: string[]): Options {
  const o: Options = {
    scenes: ['pile', 'rain'],
    sizes: [20000, 100000],
    delays: [0, 0.2, 1, 5],
    configs: ['core', 'workers', 'nats'],
    warmupFor: new Map([
      [20000, 30],
      [100000, 10],
    ]),
    timedFor: new Map([
      [20000, 100],
      [100000, 30],
    ]),
    seed: 1,
    handoffs: 100000,
    handoffBodies: 10000,
    handoffPerTick: 500,
    handoffDelay: 0,
    handoffMaxTicks: 5000,
    ticks: true,
    childTimeoutS: 1800,
    write: true,
    quick: false,
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
      case '--delays':
        o.delays = list(next(), a).map((s) => num(s, a));
        break;
      case '--configs':
        o.configs = list(next(), a).map((s) => {
          if (s !== 'core' && s !== 'workers' && s !== 'nats') throw new Error(`unknown configuration ${s}`);
          return s;
        });
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
      case '--handoffs':
        o.handoffs = num(next(), a);
        break;
      case '--handoff-bodies':
        o.handoffBodies = num(next(), a);
        break;
      case '--handoff-per-tick':
        o.handoffPerTick = num(next(), a);
        break;
      case '--handoff-delay':
        o.handoffDelay = num(next(), a);
        break;
      case '--handoff-max-ticks':
        o.handoffMaxTicks = num(next(), a);
        break;
      case '--handoffs-only':
        o.ticks = false;
        break;
      case '--quick':
        o.quick = true;
        o.sizes = [2000];
        o.delays = [0, 1];
        o.warmupFor.set(2000, 5);
        o.timedFor.set(2000, 10);
        o.handoffs = 5000;
        o.handoffBodies = 2000;
        o.handoffPerTick = 200;
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
      case '-h':
      case '--help': {
        const text = readFileSync(__filename, 'utf8');
        const at = text.indexOf('/**');
        process.stdout.write(`${text.slice(at, text.indexOf('*/', at) + 2)}\n`);
        process.exit(0);
        break;
      }
      default:
        throw new Error(`unknown argument ${a}`);
    }
  }
  return o;
}

function failed(job: Job, reason: string): Result {
  const finishedAt = new Date().toISOString();
  if (job.kind === 'handoff') return { kind: 'handoff', n: job.n, perTick: job.perTick, delayMs: job.delayMs, status: 'error', reason, finishedAt };
  return {
    kind: 'tick',
    scene: job.scene,
    n: job.n,
    config: job.config,
    delayMs: job.delayMs,
    label: configLabel(job.config, job.delayMs),
    status: 'error',
    reason,
    warmup: job.warmup,
    timed: job.timed,
    finishedAt,
  };
}

function runChild(job: Job, timeoutS: number): Promise<Result> {
  return new Promise((resolve) => {
    const child = fork(__filename, ['--child', JSON.stringify(job)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: job.execArgv });
    let result: Result | undefined;
    // SIGTERM first: the child's exit hooks stop its nats-server and shard processes and delete its namespaces.
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, timeoutS * 1000);
    child.on('message', (m) => {
      result = m as Result;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(result ?? failed(job, `child exited with code ${code} signal ${signal} without a result${signal ? ` (killed after ${timeoutS} s?)` : ''}`));
    });
  });
}

async function childMain(jobJson: string): Promise<void> {
  const job = JSON.parse(jobJson) as Job;
  let result: Result;
  try {
    result = job.kind === 'tick' ? await runTick(job) : await runHandoff(job);
  } catch (e) {
    result = failed(job, e instanceof Error ? (e.stack ?? e.message) : String(e));
  }
  await new Promise<void>((resolve) => {
    if (process.send) process.send(result, () => resolve());
    else {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      resolve();
    }
  });
  process.exit(0);
}

interface ResultsFile {
  schema: 'tessera.cluster.v1';
  meta: RunMeta;
  argv: string[];
  namespaces: string;
  loadAvgBefore: number[];
  loadAvgAfter: number[];
  totalSeconds: number;
  ticks: TickResult[];
  handoffs: HandoffResult[];
}

const f2 = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(2));
const fInt = (v: number | undefined): string => (v === undefined ? '' : Math.round(v).toLocaleString('en-US'));
const kib = (v: number | undefined): string => (v === undefined ? '–' : (v / 1024).toFixed(1));

function tickRows(f: ResultsFile): string[][] {
  return f.ticks.map((r) => {
    const head = [r.scene, fInt(r.n), r.label];
    if (r.status !== 'ok') return [...head, '', '', '', '', '', '', '', '', '', '', `${r.status}: ${(r.reason ?? '').split('\n')[0]}`];
    const core = f.ticks.find((c) => c.scene === r.scene && c.n === r.n && c.config === 'core' && c.status === 'ok');
    const speed = core?.medianMs && r.medianMs ? `${(core.medianMs / r.medianMs).toFixed(2)}x` : '';
    const same = r.config === 'core' ? '(reference)' : core?.hash ? (core.hash === r.hash ? 'yes' : `**NO** (${r.hash})`) : 'no core row';
    return [
      ...head,
      f2(r.medianMs),
      f2(r.p90Ms),
      speed,
      f2(r.ticksPerSecond),
      same,
      kib(r.resultBytesPerTick),
      kib(r.orderBytesPerTick),
      kib(r.resultBytesPerProcessTick),
      r.handoffsPerTick === undefined ? '–' : r.handoffsPerTick.toFixed(1),
      r.handoffsTotal === undefined ? '–' : fInt(r.handoffsTotal),
      `ok${r.rejected ? `, ${r.rejected} rejected` : ''}${r.failovers ? `, ${r.failovers} failovers` : ''} (other load ${f2(r.foreignCores)})`,
    ];
  });
}

function handoffRows(f: ResultsFile): string[][] {
  return f.handoffs.map((h) => {
    const head = [fInt(h.n), fInt(h.perTick), h.delayMs ? `+${h.delayMs} ms` : 'loopback'];
    if (h.status !== 'ok') return [...head, '', '', '', '', '', '', `${h.status}: ${(h.reason ?? '').split('\n')[0]}`];
    return [
      ...head,
      fInt(h.ticks),
      fInt(h.handoffsCounted),
      fInt(h.handoffsShards),
      h.handoffsCounted === h.handoffsShards ? 'yes' : `**NO** (${fInt(h.ticksDiffering)} ticks differ)`,
      h.violations ? `**${h.violations}** (${h.firstViolation})` : 'none',
      h.hash === h.coreHash ? 'yes' : `**NO** (${h.hash} vs ${h.coreHash})`,
      `ok, ${f2(h.seconds)} s`,
    ];
  });
}

function resultsMarkdown(f: ResultsFile): string {
  const m = f.meta.machine;
  const git = f.meta.git ? `${f.meta.git.commit.slice(0, 12)}${f.meta.git.dirty ? ' (uncommitted changes in tracked files)' : ''}` : 'n/a';
  const ticks = [...new Set(f.ticks.map((r) => `${r.scene} N=${fInt(r.n)}: ${r.warmup} warm-up + ${r.timed} timed ticks`))];
  return [
    '# Cluster: shard processes over NATS against the single-thread core',
    '',
    `- date: ${f.meta.date} (${f.totalSeconds.toFixed(0)} s in all)`,
    `- machine: ${m.cpuModel}, ${m.cores} logical cores, ${m.memoryGiB} GiB, ${m.platform}/${m.arch} (\`${m.slug}\`)`,
    `- node ${f.meta.node} (V8 ${f.meta.v8}); children and shard processes run with \`${EXEC_ARGV.join(' ')}\``,
    `- git: ${git}`,
    `- network namespaces: ${f.namespaces}`,
    `- load average (1 / 5 / 15 min) before: ${f.loadAvgBefore.map((x) => x.toFixed(2)).join(' / ')}, after: ${f.loadAvgAfter.map((x) => x.toFixed(2)).join(' / ')}`,
    `- ticks: ${ticks.join('; ')}`,
    '',
    'One child process per row, rows strictly one after the other. 2 regions (cut at x = 0), exchange `tick`.',
    'NATS rows: a nats-server per row, 2 `tessera shard` processes and the coordinator; with an added delay d, each',
    'shard process runs in its own network namespace and reaches nats-server through a delay proxy holding every',
    'chunk d ms each way (bench/cluster/delay-proxy.ts; this kernel has no `tc netem`), so two processes talking',
    'through the server see 2 d one way. The coordinator and nats-server are in the root namespace.',
    '',
    ...(f.ticks.length ? tickSection(f) : []),
    ...(f.handoffs.length ? handoffSection(f) : []),
    `Rerun: \`npm run build && node build/dist/bench/cluster/run-cluster.js ${f.argv.join(' ')}\` (all defaults: \`npm run bench:cluster\`; \`--help\` lists the flags).`,
    '',
  ].join('\n');
}

function tickSection(f: ResultsFile): string[] {
  return [
    '## Ticks',
    '',
    'ms/tick: wall time of `applyCommands` (rain) + `step()` as the caller sees it. Speed-up = core median / row median.',
    "hash = core: the world hash after the last tick equals the core's. Bytes per tick over the timed ticks",
    '(ClusterCoordinator.stats()): results (all regions) and orders as the coordinator counts them; per process',
    '= results / 2 (one border, one region per process). Handoffs = ShardedWorld.handoffs (per timed tick; total',
    'of the run). Other load = CPU of all other processes / wall time during the timed part (on the NATS rows this',
    'includes the shard processes, the proxy and nats-server).',
    '',
    markdownTable(
      [
        'scene',
        'N',
        'configuration',
        'median ms/tick',
        'p90 ms/tick',
        'speed-up',
        'ticks/s',
        'hash = core',
        'results KiB/tick',
        'orders KiB/tick',
        'results KiB/tick per process',
        'handoffs/tick',
        'handoffs total',
        'status',
      ],
      tickRows(f),
      ['l', 'r', 'l', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
  ];
}

function handoffSection(f: ResultsFile): string[] {
  return [
    '## Handoffs across processes',
    '',
    '"Crossing rain" on 2 shard processes: every tick the next bodies (round-robin) are put back above the box on the',
    "other side of the cut. Counted here = bodies whose owner (the board's owner column, `readBodies`) differs from the",
    "previous tick's, checked every tick: moving bodies = N and statics unchanged, each body exactly one owner in",
    '[0, 2), same slot and generation (none lost, duplicated or replaced). Shards = ShardedWorld.handoffs over the same ticks.',
    'hash = core: the same command stream on the core, same ticks.',
    '',
    markdownTable(
      ['N', 'moved per tick', 'link', 'ticks', 'handoffs counted', 'handoffs (shards)', 'equal', 'violations', 'hash = core', 'status'],
      handoffRows(f),
      ['r', 'r', 'l', 'r', 'r', 'r', 'l', 'l', 'l', 'l'],
    ),
    '',
  ];
}

async function parentMain(argv: string[]): Promise<void> {
  const o = parseArgs(argv);
  const t0 = Date.now();
  const probe = probeNamespaces();
  const namespaces = probe.ok ? 'yes' : `no namespaces (${probe.reason}): the rows with added delay are skipped`;
  process.stdout.write(`cluster bench: namespaces ${namespaces}\n`);
  const loadAvgBefore = os.loadavg();
  const jobs: Job[] = [];
  if (o.ticks) {
    for (const n of o.sizes)
      for (const scene of o.scenes) {
        const warmup = o.warmupFor.get(n) ?? 30,
          timed = o.timedFor.get(n) ?? 100;
        const tick = { kind: 'tick' as const, scene, n, seed: o.seed, warmup, timed, execArgv: EXEC_ARGV };
        if (o.configs.includes('core')) jobs.push({ ...tick, config: 'core' });
        if (o.configs.includes('workers')) jobs.push({ ...tick, config: 'workers' });
        if (o.configs.includes('nats')) for (const delayMs of o.delays) jobs.push({ ...tick, config: 'nats', delayMs });
      }
  }
  if (o.handoffs > 0)
    jobs.push({
      kind: 'handoff',
      n: o.handoffBodies,
      seed: o.seed,
      perTick: o.handoffPerTick,
      target: o.handoffs,
      maxTicks: o.handoffMaxTicks,
      delayMs: o.handoffDelay,
      execArgv: EXEC_ARGV,
    });
  const file: ResultsFile = {
    schema: 'tessera.cluster.v1',
    meta: runMeta({ maxTimeSeconds: 0, filter: null }),
    argv,
    namespaces,
    loadAvgBefore,
    loadAvgAfter: [],
    totalSeconds: 0,
    ticks: [],
    handoffs: [],
  };
  for (const [k, job] of jobs.entries()) {
    const what = job.kind === 'tick' ? `${job.scene} ${job.n}: ${configLabel(job.config, job.delayMs)}` : `handoffs: ${job.target} on ${job.n} bodies`;
    process.stdout.write(`[${k + 1}/${jobs.length}] ${what} ... `);
    const r = await runChild(job, o.childTimeoutS);
    if (r.kind === 'tick') {
      file.ticks.push(r);
      process.stdout.write(
        r.status === 'ok'
          ? `median ${f2(r.medianMs)} ms, p90 ${f2(r.p90Ms)} ms, hash ${r.hash}${r.resultBytesPerTick !== undefined ? `, results ${kib(r.resultBytesPerTick)} KiB/tick` : ''}\n`
          : `${r.status}: ${(r.reason ?? '').split('\n')[0]}\n`,
      );
    } else {
      file.handoffs.push(r);
      process.stdout.write(
        r.status === 'ok'
          ? `${r.ticks} ticks, counted ${r.handoffsCounted}, shards ${r.handoffsShards}, violations ${r.violations}, hash ${r.hash === r.coreHash ? '= core' : 'DIFFERS'}\n`
          : `${r.status}: ${(r.reason ?? '').split('\n')[0]}\n`,
      );
    }
  }
  file.loadAvgAfter = os.loadavg();
  file.totalSeconds = (Date.now() - t0) / 1000;
  const md = resultsMarkdown(file);
  if (!o.write) {
    process.stdout.write(`\n${md}`);
  } else {
    const json = o.out ?? join(repoRoot(), 'bench', 'results', file.meta.machine.slug, 'cluster.json');
    mkdirSync(dirname(json), { recursive: true });
    writeFileSync(json, `${JSON.stringify(file, null, 2)}\n`);
    const mdPath = json.replace(/\.json$/, '.md');
    writeFileSync(mdPath, md);
    process.stdout.write(`wrote ${json} and ${mdPath}\n`);
  }
  const bad = file.ticks.some(
    (r) =>
      r.status === 'error' ||
      (r.config !== 'core' && r.status === 'ok' && r.hash !== file.ticks.find((c) => c.scene === r.scene && c.n === r.n && c.config === 'core')?.hash),
  );
  const badHandoffs = file.handoffs.some((h) => h.status === 'error' || (h.status === 'ok' && (h.violations || h.hash !== h.coreHash)));
  if (bad || badHandoffs) {
    process.stdout.write('cluster bench: some rows failed or differ from the core (see the table)\n');
    process.exitCode = 1;
  }
}

if (process.argv[2] === '--child') {
  void childMain(process.argv[3]);
} else if (require.main === module) {
  parentMain(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
