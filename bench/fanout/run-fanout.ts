/**
 * Fan-out benchmark (issue 5): the most clients this machine sustains at 20 Hz with
 * interest-filtered deltas and host tick p99 under 50 ms (target 5,000), next to raw
 * uWebSockets.js publish throughput measured in the same run as the ceiling. A record, not a
 * test: it writes results and never fails on a number.
 *
 * Build & run (from the repo root):
 *   npm run bench:fanout                          # build, run everything, write results (~10 min)
 *   node build/dist/bench/fanout/run-fanout.js    # the same without rebuilding
 *
 * Processes (fork + IPC, ipc.ts), all on this machine:
 *
 *   run-fanout (this file: schedule, figures, results, RSS guard; idle while measuring)
 *     ├─ host-process.js   the Tessera host (Host.start, world.ts)      pinned to CPU 0
 *     │   or uws-ceiling.js raw uWS publish at 20 Hz (the ceiling)      pinned to CPU 0
 *     └─ load-clients.js x --client-procs (default 2)                    pinned to CPU 1
 *
 * Pinning (taskset) gives the server one core of its own and the clients the other, so the
 * two do not take turns on both cores and each side's saturation is visible on its own:
 * Node runs a host's JavaScript, uWS and (with 0 shard workers) the physics on one thread
 * anyway. --no-pin leaves scheduling to the OS.
 *
 * 1. Host ramps, one per input period of --input-ms (200,2000; the first is the headline).
 *    The host runs the fan-out world: a ground plane and one spawn point per client over a
 *    square of --side m (600), shuffled so every step's avatars cover the whole square;
 *    interest cells of --cell m (16), each client's view 2 cells around its avatar's cell
 *    (5 x 5 cells, 80 m), the host following the avatar. For each step of --steps
 *    (250,500,750,1000,1500,2000,3000,5000): open clients up to the count (batches of --batch
 *    per client process, each waiting for its welcomes), wait --settle s (5), then measure
 *    --hold s (30):
 *      host    every tick (onTick): tickOnce ms (its synchronous work, Host's tickMsP50/P99),
 *              its world step and interest parts, its start -> p50/p99/max, achieved
 *              ticks/s, interval between tick starts; CPU time, event loop utilisation, RSS,
 *              HostStats counters
 *      clients every client's events ticks/s and states/s; lag = host tick - the client's
 *              lastKnownTick (sampled for all clients every 2 s: the host's open tick, then at
 *              once every client's newest events tick); latency = arrival - the host's start of
 *              that tick (events and snapshot/delta messages); bytes and messages by kind; CPU
 *    Sustained: tick p99 < 50 ms, achieved >= 19.5 ticks/s, lag p99 <= 10 ticks (0.5 s) and
 *    no client dropped in the window. The sustained count is the largest such step. After a
 *    step that fails with achieved < 15 ticks/s or dropped clients, the ramp stops (--no-stop
 *    runs every step): past that point an overloaded host buffers without bound (at 5,000
 *    clients joining at once it reached 12 GiB and the OOM killer), and the RSS guard kills
 *    every process of a step whose host passes --host-rss-limit-mib (4096) or a client process
 *    --client-rss-limit-mib (2048); such a step is recorded as aborted.
 * 2. Ceiling. uws-ceiling publishes one message per tick at 20 Hz to every subscriber, for
 *    --ceiling-seconds (10) per (subscribers, size): subscribers --ceiling-counts
 *    (1000,2500,5000,7500,10000), sizes --ceiling-sizes (300,2048) plus the headline ramp's
 *    median snapshot/delta frame size ("measured"). Clients (raw mode) count the messages of
 *    the run and their latency from the publish time in the payload. Delivered = messages
 *    received / (ticks x subscribers). A row holds when publish p99 < 50 ms, achieved >= 19.5 Hz,
 *    delivered >= 99.9 % and latency p99 < 100 ms.
 *
 * Flags:
 *   --steps a,b,..   --hold S   --settle S   --input-ms a,b,..   --client-procs N (2)
 *   --batch N (50)   --side M (600)   --cell M (16)   --snapshot-every T (20)   --retain-ticks T (200)
 *   --ceiling-counts a,b,..   --ceiling-sizes a,b,..   --ceiling-seconds S   --no-measured-size
 *   --no-ceiling   --no-host   --no-stop   --no-pin   --seed N (1)
 *   --host-node-args "..."   Node flags of the host process (e.g. "--max-semi-space-size=64")
 *   --host-rss-limit-mib N   --client-rss-limit-mib N
 *   --out FILE       default bench/results/<machine>/fanout.json (and .md next to it)
 *   --no-write       print only
 *   --render         only re-render the .md from the JSON
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { machineInfo, packageVersion, repoRoot, runMeta, type RunMeta } from '../results';
import { Child } from './ipc';
import { Hist, machineBusySeconds, openFileLimits, spread, type Spread } from './stats';
import type { FanoutHostConfig, HostMark } from './host-process';
import type { ClientProcConfig, ClientReport } from './load-clients';
import type { CeilingRun } from './uws-ceiling';

interface Options {
  steps: number[];
  hold: number;
  settle: number;
  inputMs: number[];
  clientProcs: number;
  batch: number;
  side: number;
  cell: number;
  snapshotEvery: number;
  retainTicks: number;
  seed: number;
  ceilingCounts: number[];
  ceilingSizes: number[];
  ceilingSeconds: number;
  measuredSize: boolean;
  ceiling: boolean;
  host: boolean;
  stop: boolean;
  pin: boolean;
  out: string | null;
  write: boolean;
  render: boolean;
  /** Node flags of the host process (e.g. GC sizes), recorded. */
  hostNodeArgs: string[];
  /** RSS above which a step is aborted and every process killed (the machine is shared), MiB. */
  hostRssLimitMiB: number;
  clientRssLimitMiB: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    steps: [250, 500, 750, 1000, 1500, 2000, 3000, 5000],
    hold: 30,
    settle: 5,
    inputMs: [200, 2000],
    clientProcs: 2,
    batch: 50,
    side: 600,
    cell: 16,
    snapshotEvery: 20,
    retainTicks: 200,
    seed: 1,
    ceilingCounts: [1000, 2500, 5000, 7500, 10000],
    ceilingSizes: [300, 2048],
    ceilingSeconds: 10,
    measuredSize: true,
    ceiling: true,
    host: true,
    stop: true,
    pin: true,
    out: null,
    write: true,
    render: false,
    hostNodeArgs: [],
    hostRssLimitMiB: 4096,
    clientRssLimitMiB: 2048,
  };
  const list = (s: string): number[] =>
    s
      .split(',')
      .map(Number)
      .filter((x) => Number.isFinite(x) && x > 0);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--steps':
        o.steps = list(next());
        break;
      case '--hold':
        o.hold = Number(next());
        break;
      case '--settle':
        o.settle = Number(next());
        break;
      case '--input-ms':
        o.inputMs = list(next());
        break;
      case '--client-procs':
        o.clientProcs = Number(next());
        break;
      case '--batch':
        o.batch = Number(next());
        break;
      case '--side':
        o.side = Number(next());
        break;
      case '--cell':
        o.cell = Number(next());
        break;
      case '--snapshot-every':
        o.snapshotEvery = Number(next());
        break;
      case '--retain-ticks':
        o.retainTicks = Number(next());
        break;
      case '--seed':
        o.seed = Number(next());
        break;
      case '--ceiling-counts':
        o.ceilingCounts = list(next());
        break;
      case '--ceiling-sizes':
        o.ceilingSizes = list(next());
        break;
      case '--ceiling-seconds':
        o.ceilingSeconds = Number(next());
        break;
      case '--no-measured-size':
        o.measuredSize = false;
        break;
      case '--no-ceiling':
        o.ceiling = false;
        break;
      case '--no-host':
        o.host = false;
        break;
      case '--no-stop':
        o.stop = false;
        break;
      case '--no-pin':
        o.pin = false;
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
      case '--host-rss-limit-mib':
        o.hostRssLimitMiB = Number(next());
        break;
      case '--client-rss-limit-mib':
        o.clientRssLimitMiB = Number(next());
        break;
      case '--host-node-args':
        o.hostNodeArgs = next().split(/\s+/).filter(Boolean);
        break;
      default:
        throw new Error(`unknown flag ${a} (see the comment at the top of bench/fanout/run-fanout.ts)`);
    }
  }
  if (!(o.hold > 0) || !(o.settle >= 0) || !o.inputMs.length || !(o.clientProcs >= 1) || !(o.batch >= 1)) throw new Error('bad numeric flag');
  return o;
}

// ---------------------------------------------------------------------------
// Results

/** One step of the host ramp. */
export interface HostStep {
  clients: number;
  /** Clients open (welcomed) at the end of the window. */
  open: number;
  connectFailed: number;
  connectSeconds: number;
  windowSeconds: number;
  /** tickOnce ms over the window. */
  tickMs: Spread;
  achievedHz: number;
  /** Interval between tick starts, ms. */
  intervalMs: Spread;
  /** Parts of the tick (host-process.ts): world step, interest messages, and the rest (publish, sends, bookkeeping), ms. */
  parts: { stepMs: Spread; interestMs: Spread; restMs: Spread; stepMean: number; interestMean: number; restMean: number };
  /** Per tick of the window (kept for plots; rounded to 0.01 ms): tickOnce, world step, interest, and the start relative to the first. */
  perTick: { ms: number[]; stepMs: number[]; interestMs: number[]; startMs: number[] };
  host: {
    cpuCores: number;
    elu: number;
    rssMiB: number;
    heapMiB: number;
    peakRssMiB: number;
    /** HostStats deltas per second: messages and bytes the host counted (publish: 1 message, no bytes; sends: each). */
    messagesOutPerS: number;
    bytesOutPerS: number;
    messagesInPerS: number;
    skippedDeltas: number;
    droppedSlow: number;
    droppedIdle: number;
    rateLimited: number;
    closedMalformed: number;
    /** Interest messages reused per tick (clients sharing a view and base). */
    cacheHitsPerTick: number;
    /** World stream events per tick by type (each is sent to every client in the events message). */
    eventsPerTick: Record<string, number>;
    /** Host's own window of its last 2,000 ticks (HostStats) at the end, for reference. */
    statsTickMsP50: number;
    statsTickMsP99: number;
  };
  clientsSide: {
    /** Events ticks per second per client: min, 1st percentile, median. */
    ticksPerS: { min: number; p1: number; p50: number };
    statesPerS: { min: number; p1: number; p50: number };
    lagTicks: { p50: number; p99: number; max: number; samples: number };
    stateLagTicks: { p50: number; p99: number; max: number };
    eventsLatencyMs: { p50: number; p99: number };
    stateLatencyMs: { p50: number; p99: number };
    unmatched: number;
    bytesPerS: number;
    messagesPerS: number;
    bytesPerSByKind: Record<string, number>;
    messagesPerSByKind: Record<string, number>;
    /** Mean bytes of an events / state frame, and the largest payloads seen. */
    eventsBytesMean: number;
    stateBytesMean: number;
    maxEventsBytes: number;
    maxStateBytes: number;
    /** (events + state) frame bytes per client per tick. */
    bytesPerClientTick: number;
    resnapshots: number;
    closes: Record<string, number>;
    errors: Record<string, number>;
    inputsPerS: number;
    acksPerS: number;
    /** CPU cores used by all client processes, and the busiest process's event loop utilisation. */
    cpuCores: number;
    eluMax: number;
    rssMiB: number;
  };
  /** CPU of processes other than this benchmark's during the window, cores (/proc/stat). */
  foreignCores: number | null;
  sustained: boolean;
  why: string[];
}

/** The steps of one ramp (one input period). */
export interface HostRamp {
  inputMs: number;
  steps: HostStep[];
  sustainedClients: number;
  /** A step that could not be measured (a process died or the RSS guard killed them). */
  aborted: { clients: number; reason: string } | null;
  /** Largest RSS the guard saw per process, MiB. */
  peakRssMiB: Record<string, number>;
}

/** One ceiling row. */
export interface CeilingStep {
  subscribers: number;
  size: number;
  sizeLabel: string;
  run: CeilingRun;
  delivered: number;
  expected: number;
  deliveredRatio: number;
  messagesPerS: number;
  bytesPerS: number;
  latencyMs: { p50: number; p99: number };
  clientCpuCores: number;
  clientEluMax: number;
  foreignCores: number | null;
  holds: boolean;
  why: string[];
}

interface ResultsFile {
  schema: 'tessera.fanout.v1';
  meta: RunMeta;
  uws: string;
  argv: string[];
  options: Options;
  environment: {
    openFiles: { parent: unknown; host: unknown; ceiling: unknown; clients: unknown[] };
    somaxconn: string | null;
    pinned: boolean;
    loadAvgBefore: number[];
    loadAvgAfter: number[];
  };
  totalSeconds: number;
  /** One ramp per input period; the first is the headline. */
  hostRamps: HostRamp[];
  sustainedClients: number;
  /** Median over the headline ramp's steps of the mean snapshot/delta frame, bytes (the ceiling's "measured" size). */
  measuredDeltaBytes: number | null;
  ceiling: CeilingStep[];
  /** Why the ceiling runs stopped early, if they did. */
  ceilingAborted: string | null;
  notes: string[];
}

// ---------------------------------------------------------------------------
// Running

const log = (line: string): void => {
  process.stderr.write(`[fanout] ${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const r2 = (x: number): number => Math.round(x * 100) / 100;

function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

function rates(counts: number[], seconds: number): { min: number; p1: number; p50: number } {
  const s = Float64Array.from(counts, (c) => c / seconds).sort();
  const q = (p: number): number => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] : NaN);
  return { min: s.length ? s[0] : NaN, p1: q(0.01), p50: q(0.5) };
}

async function startClients(o: Options, port: number, mode: 'tessera' | 'raw', inputMs: number): Promise<{ procs: Child[]; files: unknown[] }> {
  const script = path.join(__dirname, 'load-clients.js');
  const procs: Child[] = [];
  for (let p = 0; p < o.clientProcs; p++) {
    const cfg: ClientProcConfig = { host: '127.0.0.1', port, mode, proc: p, inputMs, connectTimeoutMs: 60_000 };
    procs.push(Child.start(`clients-${p}`, script, [JSON.stringify(cfg)], { cpus: o.pin ? '1' : undefined, log }));
  }
  const files = await Promise.all(procs.map((c) => c.call<{ files: unknown }>({ cmd: 'hello' }).then((r) => r.files)));
  return { procs, files };
}

async function growClients(procs: Child[], total: number, batch: number): Promise<{ open: number; failed: number; seconds: number; reasons: string[] }> {
  const t0 = Date.now();
  const res = await Promise.all(
    split(total, procs.length).map((n, i) => procs[i].call<{ open: number; failed: number; reasons: string[] }>({ cmd: 'grow', target: n, batch }, 600_000)),
  );
  return {
    open: sum(res.map((r) => r.open)),
    failed: sum(res.map((r) => r.failed)),
    seconds: (Date.now() - t0) / 1000,
    reasons: res.flatMap((r) => r.reasons),
  };
}

/** CPU seconds of other processes between two readings, given ours. */
class Foreign {
  private readonly busy0 = machineBusySeconds();
  private readonly own0 = process.cpuUsage();
  private readonly t0 = Date.now();
  cores(childCpuSeconds: number): number | null {
    const busy1 = machineBusySeconds();
    if (busy1 === null || this.busy0 === null) return null;
    const own = process.cpuUsage(this.own0);
    const wall = (Date.now() - this.t0) / 1000;
    return Math.max(0, (busy1 - this.busy0 - (own.user + own.system) / 1e6 - childCpuSeconds) / wall);
  }
}

/** Resident set of a process, MiB (/proc/<pid>/status VmRSS); null when unknown. */
function rssMiB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Watches the RSS of the benchmark's processes every 500 ms (from /proc, so a blocked event loop
 * cannot hide it) and kills them all (SIGKILL) when the server passes `serverMiB` or a client
 * process `clientMiB`: an overloaded host buffers without bound, and this machine is shared.
 */
class RssGuard {
  reason: string | null = null;
  readonly peak: Record<string, number> = {};
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly server: Child,
    readonly clients: Child[],
    serverMiB: number,
    clientMiB: number,
  ) {
    this.timer = setInterval(() => {
      for (const c of [server, ...clients]) {
        const r = rssMiB(c.proc.pid);
        if (r === null) continue;
        this.peak[c.name] = Math.max(this.peak[c.name] ?? 0, Math.round(r));
        const limit = c === server ? serverMiB : clientMiB;
        if (r > limit && !this.reason) {
          this.reason = `${c.name} RSS ${r.toFixed(0)} MiB over the ${limit} MiB guard`;
          log(`  ${this.reason}: killing the processes`);
          for (const k of [server, ...clients]) k.proc.kill('SIGKILL');
        }
      }
    }, 500);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function mergeHists(reports: ClientReport[], pick: (r: ClientReport) => ClientReport['lag'], width: number, bins: number): Hist {
  const h = new Hist(width, bins);
  for (const r of reports) h.merge(pick(r));
  return h;
}

async function hostRamp(o: Options, inputMs: number, files: ResultsFile['environment']['openFiles']): Promise<HostRamp> {
  const maxClients = Math.max(...o.steps);
  const cfg: FanoutHostConfig = {
    world: { points: maxClients, side: o.side, seed: o.seed },
    cellSize: o.cell,
    snapshotEvery: o.snapshotEvery,
    retainTicks: o.retainTicks,
  };
  const host = Child.start('host', path.join(__dirname, 'host-process.js'), [JSON.stringify(cfg)], {
    cpus: o.pin ? '0' : undefined,
    execArgv: o.hostNodeArgs,
    log,
  });
  const steps: HostStep[] = [];
  let clients: Child[] = [];
  let guard: RssGuard | null = null;
  let aborted: HostRamp['aborted'] = null;
  let current = 0;
  try {
    const hello = await host.call<{ port: number; files: unknown }>({ cmd: 'listening' });
    files.host = hello.files;
    const started = await startClients(o, hello.port, 'tessera', inputMs);
    clients = started.procs;
    files.clients = started.files;
    guard = new RssGuard(host, clients, o.hostRssLimitMiB, o.clientRssLimitMiB);
    for (const n of o.steps) {
      current = n;
      log(`host step ${n} clients (input every ${inputMs} ms): connecting ...`);
      const g = await growClients(clients, n, o.batch);
      log(`  ${g.open} open (${g.failed} failed${g.reasons.length ? `: ${g.reasons.join('; ')}` : ''}) in ${g.seconds.toFixed(1)} s; settling ${o.settle} s`);
      await sleep(o.settle * 1000);
      const foreign = new Foreign();
      const m0 = await host.call<HostMark>({ cmd: 'mark' });
      await Promise.all(clients.map((c) => c.call({ cmd: 'mark' })));
      const tEnd = Date.now() + o.hold * 1000;
      let samples = 0;
      while (Date.now() < tEnd - 1000) {
        await sleep(Math.min(2000, tEnd - Date.now() - 1000));
        const { tick } = await host.call<{ tick: number }>({ cmd: 'tick' });
        await Promise.all(clients.map((c) => c.call({ cmd: 'sample', hostTick: tick })));
        samples++;
      }
      await sleep(Math.max(0, tEnd - Date.now()));
      const m1 = await host.call<HostMark>({ cmd: 'mark' });
      const tickStarts: number[] = [];
      for (let i = 0; i < m1.ticks.length; i += 5) tickStarts.push(m1.ticks[i], m1.ticks[i + 1]);
      const reports = await Promise.all(clients.map((c) => c.call<ClientReport>({ cmd: 'report', tickStarts })));
      const step = hostStep(n, g, m0, m1, reports, foreign);
      steps.push(step);
      log(
        `  tick p50 ${f2(step.tickMs.p50)} p99 ${f2(step.tickMs.p99)} max ${f2(step.tickMs.max)} ms, ${step.achievedHz.toFixed(2)} ticks/s, ` +
          `lag p99 ${step.clientsSide.lagTicks.p99} ticks, state latency p99 ${f1(step.clientsSide.stateLatencyMs.p99)} ms, ` +
          `${mb(step.clientsSide.bytesPerS)} MB/s to clients, host ${step.host.cpuCores.toFixed(2)} cores (ELU ${step.host.elu.toFixed(2)}), ` +
          `clients ${step.clientsSide.cpuCores.toFixed(2)} cores (ELU max ${step.clientsSide.eluMax.toFixed(2)}), other load ${fo(step.foreignCores)}: ` +
          `${step.sustained ? 'SUSTAINED' : `not sustained (${step.why.join(', ')})`}; ${samples} lag samples`,
      );
      const dropped = step.open < n || Object.keys(step.clientsSide.closes).length > 0;
      if (o.stop && !step.sustained && (step.achievedHz < 15 || dropped)) {
        log(`  stopping the ramp: ${step.achievedHz < 15 ? 'achieved rate under 15 ticks/s' : 'clients dropped'}`);
        break;
      }
    }
  } catch (e) {
    aborted = { clients: current, reason: guard?.reason ?? (e instanceof Error ? e.message.split('\n')[0] : String(e)) };
    log(`  step ${current} aborted: ${aborted.reason}`);
  } finally {
    guard?.stop();
    await Promise.all(clients.map((c) => c.call({ cmd: 'close' }, 10_000).catch(() => undefined)));
    await host.call({ cmd: 'stop' }, 20_000).catch(() => undefined);
    await Promise.all([host.kill(), ...clients.map((c) => c.kill())]);
  }
  const ok = steps.filter((s) => s.sustained);
  return { inputMs, steps, sustainedClients: ok.length ? Math.max(...ok.map((s) => s.clients)) : 0, aborted, peakRssMiB: guard?.peak ?? {} };
}

function hostStep(
  n: number,
  g: { open: number; failed: number; seconds: number },
  m0: HostMark,
  m1: HostMark,
  reports: ClientReport[],
  foreign: Foreign,
): HostStep {
  const win = (m1.at - m0.at) / 1000;
  const ms: number[] = [],
    starts: number[] = [],
    stepMs: number[] = [],
    interestMs: number[] = [],
    restMs: number[] = [];
  for (let i = 0; i < m1.ticks.length; i += 5) {
    starts.push(m1.ticks[i + 1]);
    ms.push(m1.ticks[i + 2]);
    stepMs.push(m1.ticks[i + 3]);
    interestMs.push(m1.ticks[i + 4]);
    restMs.push(m1.ticks[i + 2] - m1.ticks[i + 3] - m1.ticks[i + 4]);
  }
  const mean = (xs: number[]): number => (xs.length ? sum(xs) / xs.length : NaN);
  const intervals = starts.slice(1).map((t, i) => t - starts[i]);
  const hostCpuUs = m1.cpuUserUs + m1.cpuSystemUs - m0.cpuUserUs - m0.cpuSystemUs;
  const dActive = m1.eluActiveMs - m0.eluActiveMs,
    dIdle = m1.eluIdleMs - m0.eluIdleMs;
  const d = (k: keyof HostMark['stats']): number => (m1.stats[k] as number) - (m0.stats[k] as number);
  const cwin = Math.max(...reports.map((r) => r.windowS));
  const clientCpuUs = sum(reports.map((r) => r.load.cpuUs));
  const lag = mergeHists(reports, (r) => r.lag, 1, 100_000),
    stateLag = mergeHists(reports, (r) => r.stateLag, 1, 100_000);
  const evLat = mergeHists(reports, (r) => r.eventsLatency, 0.25, 40_000),
    stLat = mergeHists(reports, (r) => r.stateLatency, 0.25, 40_000);
  const kinds = new Set(reports.flatMap((r) => Object.keys(r.bytesByKind)));
  const byKind = (pick: (r: ClientReport) => Record<string, number>): Record<string, number> =>
    Object.fromEntries([...kinds].map((k) => [k, sum(reports.map((r) => pick(r)[k] ?? 0)) / cwin]));
  const bytesPerSByKind = byKind((r) => r.bytesByKind),
    messagesPerSByKind = byKind((r) => r.framesByKind);
  const perEvents = reports.flatMap((r) => r.perClientEvents),
    perStates = reports.flatMap((r) => r.perClientStates);
  const statesPerS = (messagesPerSByKind.delta ?? 0) + (messagesPerSByKind.snapshot ?? 0);
  const closes: Record<string, number> = {},
    errors: Record<string, number> = {};
  for (const r of reports) {
    for (const [k, v] of Object.entries(r.closes)) closes[k] = (closes[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  }
  const open = sum(reports.map((r) => r.clients));
  const clientTicks = sum(perEvents);
  const step: HostStep = {
    clients: n,
    open,
    connectFailed: g.failed,
    connectSeconds: g.seconds,
    windowSeconds: win,
    tickMs: spread(ms),
    achievedHz: ms.length / win,
    intervalMs: spread(intervals),
    parts: {
      stepMs: spread(stepMs),
      interestMs: spread(interestMs),
      restMs: spread(restMs),
      stepMean: mean(stepMs),
      interestMean: mean(interestMs),
      restMean: mean(restMs),
    },
    perTick: { ms: ms.map(r2), stepMs: stepMs.map(r2), interestMs: interestMs.map(r2), startMs: starts.map((t) => r2(t - starts[0])) },
    host: {
      cpuCores: hostCpuUs / 1e6 / win,
      elu: dActive / (dActive + dIdle),
      rssMiB: m1.rss / 2 ** 20,
      heapMiB: m1.heapUsed / 2 ** 20,
      peakRssMiB: m1.maxRssKiB / 1024,
      messagesOutPerS: d('messagesOut') / win,
      bytesOutPerS: d('bytesOut') / win,
      messagesInPerS: d('messagesIn') / win,
      skippedDeltas: d('skippedDeltas'),
      droppedSlow: d('droppedSlow'),
      droppedIdle: d('droppedIdle'),
      rateLimited: d('rateLimited'),
      closedMalformed: d('closedMalformed'),
      cacheHitsPerTick: ms.length ? (m1.cacheHits - m0.cacheHits) / ms.length : 0,
      eventsPerTick: Object.fromEntries(
        Object.keys(m1.eventsByType).map((k) => [k, ms.length ? (m1.eventsByType[k] - (m0.eventsByType[k] ?? 0)) / ms.length : 0]),
      ),
      statsTickMsP50: m1.stats.tickMsP50,
      statsTickMsP99: m1.stats.tickMsP99,
    },
    clientsSide: {
      ticksPerS: rates(perEvents, cwin),
      statesPerS: rates(perStates, cwin),
      lagTicks: { p50: lag.quantile(0.5) - 1, p99: lag.quantile(0.99) - 1, max: lag.quantile(1) - 1, samples: Math.max(...reports.map((r) => r.samples)) },
      stateLagTicks: { p50: stateLag.quantile(0.5) - 1, p99: stateLag.quantile(0.99) - 1, max: stateLag.quantile(1) - 1 },
      eventsLatencyMs: { p50: evLat.quantile(0.5), p99: evLat.quantile(0.99) },
      stateLatencyMs: { p50: stLat.quantile(0.5), p99: stLat.quantile(0.99) },
      unmatched: sum(reports.map((r) => r.unmatched)),
      bytesPerS: sum(reports.map((r) => r.bytes)) / cwin,
      messagesPerS: sum(reports.map((r) => r.frames)) / cwin,
      bytesPerSByKind,
      messagesPerSByKind,
      eventsBytesMean: (bytesPerSByKind.events ?? 0) / (messagesPerSByKind.events || 1),
      stateBytesMean: ((bytesPerSByKind.delta ?? 0) + (bytesPerSByKind.snapshot ?? 0)) / (statesPerS || 1),
      maxEventsBytes: Math.max(...reports.map((r) => r.maxEventsBytes)),
      maxStateBytes: Math.max(...reports.map((r) => r.maxStateBytes)),
      bytesPerClientTick: clientTicks
        ? (((bytesPerSByKind.events ?? 0) + (bytesPerSByKind.delta ?? 0) + (bytesPerSByKind.snapshot ?? 0)) * cwin) / clientTicks
        : NaN,
      resnapshots: sum(reports.map((r) => r.resnapshots)),
      closes,
      errors,
      inputsPerS: sum(reports.map((r) => r.inputsSent)) / cwin,
      acksPerS: sum(reports.map((r) => r.acksSent)) / cwin,
      cpuCores: clientCpuUs / 1e6 / cwin,
      eluMax: Math.max(...reports.map((r) => r.load.elu)),
      rssMiB: sum(reports.map((r) => r.rss)) / 2 ** 20,
    },
    foreignCores: foreign.cores((hostCpuUs + clientCpuUs) / 1e6),
    sustained: false,
    why: [],
  };
  // Lag is measured in whole ticks: Hist bins are [k, k + 1), quantile() gives the upper edge.
  if (!(step.tickMs.p99 < 50)) step.why.push(`tick p99 ${f1(step.tickMs.p99)} ms >= 50`);
  if (!(step.achievedHz >= 19.5)) step.why.push(`${step.achievedHz.toFixed(2)} ticks/s < 19.5`);
  if (!(step.clientsSide.lagTicks.p99 <= 10)) step.why.push(`lag p99 ${step.clientsSide.lagTicks.p99} ticks > 10`);
  if (open < n) step.why.push(`${n - open} clients not open`);
  if (Object.keys(closes).length) step.why.push(`closes ${JSON.stringify(closes)}`);
  step.sustained = step.why.length === 0;
  return step;
}

let ceilingAborted: string | null = null;

async function ceilingRuns(o: Options, sizes: Array<{ size: number; label: string }>, files: ResultsFile['environment']['openFiles']): Promise<CeilingStep[]> {
  const server = Child.start('ceiling', path.join(__dirname, 'uws-ceiling.js'), [], { cpus: o.pin ? '0' : undefined, log });
  const out: CeilingStep[] = [];
  let clients: Child[] = [];
  let guard: RssGuard | null = null;
  let runId = 1;
  try {
    const hello = await server.call<{ port: number; files: unknown }>({ cmd: 'listening' });
    files.ceiling = hello.files;
    clients = (await startClients(o, hello.port, 'raw', 1000)).procs;
    guard = new RssGuard(server, clients, o.hostRssLimitMiB, o.clientRssLimitMiB);
    for (const n of o.ceilingCounts) {
      const g = await growClients(clients, n, Math.max(o.batch, 200));
      log(`ceiling: ${g.open} subscribers (${g.failed} failed) in ${g.seconds.toFixed(1)} s`);
      await sleep(1000);
      for (const { size, label } of sizes) {
        const id = runId++;
        const foreign = new Foreign();
        await Promise.all(clients.map((c) => c.call({ cmd: 'mark', runId: id })));
        const run = await server.call<CeilingRun>({ cmd: 'run', size, seconds: o.ceilingSeconds, runId: id }, (o.ceilingSeconds + 60) * 1000);
        await sleep(1000); // messages still in flight
        const reports = await Promise.all(clients.map((c) => c.call<ClientReport>({ cmd: 'report' })));
        const delivered = sum(reports.map((r) => sum(r.perClientEvents)));
        const expected = run.ticks * g.open;
        const lat = mergeHists(reports, (r) => r.eventsLatency, 0.25, 40_000);
        const clientCpuUs = sum(reports.map((r) => r.load.cpuUs));
        const step: CeilingStep = {
          subscribers: g.open,
          size: run.size,
          sizeLabel: label,
          run,
          delivered,
          expected,
          deliveredRatio: expected ? delivered / expected : NaN,
          messagesPerS: delivered / run.seconds,
          bytesPerS: sum(reports.map((r) => r.bytes)) / run.seconds,
          latencyMs: { p50: lat.quantile(0.5), p99: lat.quantile(0.99) },
          clientCpuCores: clientCpuUs / 1e6 / Math.max(...reports.map((r) => r.windowS)),
          clientEluMax: Math.max(...reports.map((r) => r.load.elu)),
          foreignCores: foreign.cores((run.load.cpuUs + clientCpuUs) / 1e6),
          holds: false,
          why: [],
        };
        if (!(run.publishMs.p99 < 50)) step.why.push(`publish p99 ${f1(run.publishMs.p99)} ms`);
        if (!(run.achievedHz >= 19.5)) step.why.push(`${run.achievedHz.toFixed(2)} Hz`);
        if (!(step.deliveredRatio >= 0.999)) step.why.push(`delivered ${(100 * step.deliveredRatio).toFixed(2)} %`);
        if (!(step.latencyMs.p99 < 100)) step.why.push(`latency p99 ${f1(step.latencyMs.p99)} ms`);
        step.holds = step.why.length === 0;
        out.push(step);
        log(
          `  ${n} x ${run.size} B: publish p50 ${f2(run.publishMs.p50)} p99 ${f2(run.publishMs.p99)} ms, ${run.achievedHz.toFixed(2)} Hz, ` +
            `${(step.messagesPerS / 1000).toFixed(1)}k msg/s, ${mb(step.bytesPerS)} MB/s, delivered ${(100 * step.deliveredRatio).toFixed(2)} %, ` +
            `latency p50 ${f1(step.latencyMs.p50)} p99 ${f1(step.latencyMs.p99)} ms, server ELU ${run.load.elu.toFixed(2)}, clients ${step.clientCpuCores.toFixed(2)} cores: ${step.holds ? 'holds' : step.why.join(', ')}`,
        );
      }
    }
  } catch (e) {
    ceilingAborted = guard?.reason ?? (e instanceof Error ? e.message.split('\n')[0] : String(e));
    log(`ceiling aborted: ${ceilingAborted}`);
  } finally {
    guard?.stop();
    await Promise.all(clients.map((c) => c.call({ cmd: 'close' }, 10_000).catch(() => undefined)));
    await server.call({ cmd: 'stop' }, 10_000).catch(() => undefined);
    await Promise.all([server.kill(), ...clients.map((c) => c.kill())]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Report

const f1 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));
const f2 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
const fo = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(2));
const mb = (bytesPerS: number): string => (bytesPerS / 1e6).toFixed(1);
const kfmt = (x: number): string => (x >= 10_000 ? `${(x / 1000).toFixed(0)}k` : x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0));
const fInt = (n: number): string => n.toLocaleString('en-US');

function hostTable(steps: HostStep[]): string {
  const head =
    '| clients | tick p50 / p99 / max ms | ticks/s | tick interval p99 ms | lag p50 / p99 / max ticks | state latency p50 / p99 ms | to clients MB/s | messages/s | events B/msg | state B/msg | host CPU cores (ELU) | client CPU cores (ELU max) | host RSS MiB | other load | sustained |\n' +
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n';
  return (
    head +
    steps
      .map((s) => {
        const c = s.clientsSide;
        return (
          `| ${fInt(s.clients)}${s.open !== s.clients ? ` (${s.open} open)` : ''} | ${f2(s.tickMs.p50)} / ${f2(s.tickMs.p99)} / ${f1(s.tickMs.max)} | ${s.achievedHz.toFixed(2)} | ${f1(s.intervalMs.p99)} | ` +
          `${c.lagTicks.p50} / ${c.lagTicks.p99} / ${c.lagTicks.max} | ${f1(c.stateLatencyMs.p50)} / ${f1(c.stateLatencyMs.p99)} | ${mb(c.bytesPerS)} | ${kfmt(c.messagesPerS)} | ` +
          `${fInt(Math.round(c.eventsBytesMean))} | ${fInt(Math.round(c.stateBytesMean))} | ${s.host.cpuCores.toFixed(2)} (${s.host.elu.toFixed(2)}) | ${c.cpuCores.toFixed(2)} (${c.eluMax.toFixed(2)}) | ` +
          `${s.host.rssMiB.toFixed(0)} | ${fo(s.foreignCores)} | ${s.sustained ? '**yes**' : `no: ${s.why.join('; ')}`} |`
        );
      })
      .join('\n') +
    '\n'
  );
}

function eventsMix(e: Record<string, number> | undefined): string {
  if (!e) return '–';
  const other = Object.entries(e)
    .filter(([k]) => k !== 'in' && k !== '_h')
    .reduce((a, [, v]) => a + v, 0);
  return `${f1(e.in ?? 0)} / ${f1(e._h ?? 0)} / ${f1(other)}`;
}

function partsTable(steps: HostStep[]): string {
  const head =
    '| clients | tick mean ms | tick µs per client | loop busy outside ticks | world step mean / p99 ms | interest mean / p99 ms | rest (publish, sends, bookkeeping) mean / p99 ms | interest cache hits per tick | events per tick to everyone (in / _h / other) | host-counted sends/s | host-counted send MB/s | host messages in/s |\n' +
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n';
  return (
    head +
    steps
      .map((s) => {
        const p = s.parts;
        const tickMean = p.stepMean + p.interestMean + p.restMean;
        const outside = s.host.elu - (tickMean * s.achievedHz) / 1000;
        return (
          `| ${fInt(s.clients)} | ${f2(tickMean)} | ${f1((tickMean * 1000) / s.clients)} | ${outside.toFixed(2)} | ${f2(p.stepMean)} / ${f2(p.stepMs.p99)} | ${f2(p.interestMean)} / ${f2(p.interestMs.p99)} | ${f2(p.restMean)} / ${f2(p.restMs.p99)} | ` +
          `${s.host.cacheHitsPerTick.toFixed(0)} | ${eventsMix(s.host.eventsPerTick)} | ${kfmt(s.host.messagesOutPerS)} | ${mb(s.host.bytesOutPerS)} | ${kfmt(s.host.messagesInPerS)} |`
        );
      })
      .join('\n') +
    '\n'
  );
}

function clientTable(steps: HostStep[]): string {
  const head =
    '| clients | connect s | client ticks/s min / p1 / p50 | states/s min / p50 | events latency p50 / p99 ms | events MB/s | state MB/s | bytes per client per tick | largest events / state B | skipped deltas | re-snapshots | inputs/s | acks/s |\n' +
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n';
  return (
    head +
    steps
      .map((s) => {
        const c = s.clientsSide;
        const st = (c.bytesPerSByKind.delta ?? 0) + (c.bytesPerSByKind.snapshot ?? 0);
        return (
          `| ${fInt(s.clients)} | ${s.connectSeconds.toFixed(1)} | ${f1(c.ticksPerS.min)} / ${f1(c.ticksPerS.p1)} / ${f1(c.ticksPerS.p50)} | ${f1(c.statesPerS.min)} / ${f1(c.statesPerS.p50)} | ` +
          `${f1(c.eventsLatencyMs.p50)} / ${f1(c.eventsLatencyMs.p99)} | ${mb(c.bytesPerSByKind.events ?? 0)} | ${mb(st)} | ${fInt(Math.round(c.bytesPerClientTick))} | ` +
          `${fInt(c.maxEventsBytes)} / ${fInt(c.maxStateBytes)} | ${s.host.skippedDeltas} | ${c.resnapshots} | ${kfmt(c.inputsPerS)} | ${kfmt(c.acksPerS)} |`
        );
      })
      .join('\n') +
    '\n'
  );
}

function ceilingTable(f: ResultsFile): string {
  const head =
    '| subscribers | message B | publish p50 / p99 / max ms | Hz | delivered | messages/s | MB/s | latency p50 / p99 ms | server CPU cores (ELU) | client CPU cores (ELU max) | other load | holds |\n' +
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n';
  return (
    head +
    f.ceiling
      .map(
        (c) =>
          `| ${fInt(c.subscribers)} | ${fInt(c.size)}${c.sizeLabel !== String(c.size) ? ` (${c.sizeLabel})` : ''} | ` +
          `${f2(c.run.publishMs.p50)} / ${f2(c.run.publishMs.p99)} / ${f1(c.run.publishMs.max)} | ${c.run.achievedHz.toFixed(2)} | ${(100 * c.deliveredRatio).toFixed(2)} % | ` +
          `${kfmt(c.messagesPerS)} | ${mb(c.bytesPerS)} | ${f1(c.latencyMs.p50)} / ${f1(c.latencyMs.p99)} | ${(c.run.load.cpuUs / 1e6 / c.run.seconds).toFixed(2)} (${c.run.load.elu.toFixed(2)}) | ` +
          `${c.clientCpuCores.toFixed(2)} (${c.clientEluMax.toFixed(2)}) | ${fo(c.foreignCores)} | ${c.holds ? '**yes**' : `no: ${c.why.join('; ')}`} |`,
      )
      .join('\n') +
    '\n'
  );
}

/** Largest subscriber count where the ceiling holds, per message size. */
function ceilingHeadline(f: ResultsFile): string[] {
  const sizes = [...new Set(f.ceiling.map((c) => c.size))];
  return sizes.map((size) => {
    const rows = f.ceiling.filter((c) => c.size === size);
    const ok = rows.filter((c) => c.holds);
    const best = ok.length ? ok.reduce((a, b) => (b.subscribers > a.subscribers ? b : a)) : null;
    const top = rows.reduce((a, b) => (b.messagesPerS > a.messagesPerS ? b : a));
    const tried = Math.max(...rows.map((c) => c.subscribers));
    return (
      `- Ceiling, ${fInt(size)} B${rows[0].sizeLabel !== String(size) ? ` (${rows[0].sizeLabel})` : ''} per message: holds up to ${best ? `**${fInt(best.subscribers)}** subscribers${best.subscribers === tried ? ' (the most tried)' : ''} (${kfmt(best.messagesPerS)} messages/s, ${mb(best.bytesPerS)} MB/s delivered)` : '**none** of the counts tried'}; ` +
      `most delivered: ${kfmt(top.messagesPerS)} messages/s, ${mb(top.bytesPerS)} MB/s at ${fInt(top.subscribers)} subscribers.`
    );
  });
}

function rampLabel(r: HostRamp, first: boolean): string {
  return `input every ${fInt(r.inputMs)} ms${first ? ' (the headline ramp)' : ''}`;
}

function resultsMarkdown(f: ResultsFile): string {
  const m = f.meta.machine;
  const git = f.meta.git ? `${f.meta.git.commit.slice(0, 12)}${f.meta.git.dirty ? ' (uncommitted changes in tracked files)' : ''}` : 'n/a';
  const o = f.options;
  const env = f.environment;
  const main = f.hostRamps[0];
  const last = main?.steps[main.steps.length - 1];
  return [
    '# Fan-out: clients served at 20 Hz by one host, and the raw uWebSockets.js ceiling',
    '',
    `- date: ${f.meta.date} (${f.totalSeconds.toFixed(0)} s in all)`,
    `- machine: ${m.cpuModel}, ${m.cores} logical cores, ${m.memoryGiB} GiB, ${m.platform}/${m.arch} (\`${m.slug}\`)`,
    `- node ${f.meta.node} (V8 ${f.meta.v8}); uWebSockets.js ${f.uws}`,
    `- git: ${git}`,
    `- open files (soft/hard): host ${JSON.stringify(env.openFiles.host)}, clients ${JSON.stringify(env.openFiles.clients[0] ?? null)}; somaxconn ${env.somaxconn ?? 'n/a'}`,
    `- load average (1 / 5 / 15 min) before: ${env.loadAvgBefore.map((x) => x.toFixed(2)).join(' / ')}, after: ${env.loadAvgAfter.map((x) => x.toFixed(2)).join(' / ')}`,
    `- processes: ${env.pinned ? `server (host or ceiling) pinned to CPU 0, the ${o.clientProcs} client processes to CPU 1 (taskset)` : 'not pinned'}; **the 2 cores are shared between server and clients**, so the client side is part of what limits every figure`,
    '',
    '## Headline',
    '',
    ...(main
      ? [
          `- **Sustained: ${fInt(main.sustainedClients)} clients** (target 5,000) with an input every ${main.inputMs} ms per client: the largest step with host tick p99 < 50 ms, >= 19.5 ticks/s achieved, client lag p99 <= 10 ticks and no client dropped.`,
          ...(last && !last.sustained ? [`- Largest step measured: ${fInt(last.clients)} clients: ${last.why.join('; ')}.`] : []),
          ...(main.aborted ? [`- Step ${fInt(main.aborted.clients)} aborted: ${main.aborted.reason}.`] : []),
          ...f.hostRamps.slice(1).map((r) => `- With an input every ${fInt(r.inputMs)} ms per client: sustained **${fInt(r.sustainedClients)}** clients.`),
        ]
      : []),
    ...ceilingHeadline(f),
    '',
    '## Host ramps',
    '',
    `World: ground plane, ${fInt(Math.max(...o.steps))} spawn points over a ${o.side} m square (shuffled: every step covers the whole square), interest cells ${o.cell} m, each client's view`,
    "2 cells around its avatar's cell (80 m square), the host following the avatar. Clients send hello, ack every snapshot/delta at once, and an",
    'input (walk at full speed, a new direction every 2 s; the walk persists between inputs) every input period. Host options: defaults, plus worldLoop',
    `snapshotEvery ${o.snapshotEvery}, retainTicks ${o.retainTicks} (catch-up for joiners = a snapshot + at most ${o.snapshotEvery} ticks of events; log memory bounded).`,
    `Each step: connect, ${o.settle} s settle, ${o.hold} s measured. Every input becomes an \`in\` event of the world stream (in the log); since`,
    '66743620 the host folds inputs and avatar contacts into the deltas instead of sending them to every client (`foldInputs`), so the `events`',
    'message each client gets every tick carries only the other events (joins, leaves, client events); the ramp still runs once per input period.',
    '',
    '- tick = Host.tickOnce (`onTick` ms: its synchronous work); ticks/s = ticks in the window / its length (20 = the schedule held); tick interval = between tick starts.',
    "- lag = host open tick - the client's lastKnownTick (newest events tick), every client sampled every 2 s; state latency = arrival of a",
    '  snapshot/delta at the client - start of that tick on the host (wall clocks of one machine).',
    '- to clients MB/s and messages/s: WebSocket frames (header + payload) received by all clients; events B/msg and state B/msg: mean frame size.',
    '- CPU cores = CPU seconds / window seconds (process.cpuUsage of the host, sum over client processes); ELU = event loop utilisation',
    '  (1.00 = the loop never idles). other load = CPU of every other process on the machine in the window (/proc/stat), cores.',
    '- tick parts: world step = WorldLoop.step (stream, physics, body table, interest index); interest = InterestPublisher.messageFor over all',
    '  clients (view set, diff, encode, cached per view and base); rest = the events publish, per-client bookkeeping and the `ws.send` calls.',
    "  loop busy outside ticks = host ELU - tick mean x ticks/s: the share of the host's thread spent on everything else, mostly the incoming",
    '  acks and inputs (decode, rate limit, handle) and uWS writing out queued data.',
    '',
    ...f.hostRamps.flatMap((r, i) => [
      `### ${rampLabel(r, i === 0)}: sustained ${fInt(r.sustainedClients)}`,
      '',
      hostTable(r.steps).trim(),
      '',
      ...(r.aborted ? [`Step ${fInt(r.aborted.clients)} aborted: ${r.aborted.reason}.`, ''] : []),
      `Peak RSS seen by the guard (MiB): ${Object.entries(r.peakRssMiB ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
      '',
      'Tick parts:',
      '',
      partsTable(r.steps).trim(),
      '',
      'Client side:',
      '',
      clientTable(r.steps).trim(),
      '',
    ]),
    '## Ceiling: raw uWebSockets.js publish, same run',
    '',
    `A uWS app (native binary, src/net/uws.ts) with every client subscribed to one topic publishes one message per tick at 20 Hz for ${o.ceilingSeconds} s`,
    '(same schedule as Host, no compression, maxBackpressure 4 MiB); clients (same client processes and pinning, raw mode) count the messages of',
    'the run and their latency from the publish time in the payload. delivered = received / (ticks x subscribers). A row holds with publish',
    'p99 < 50 ms, >= 19.5 Hz, delivered >= 99.9 % and latency p99 < 100 ms. uWS queues a publish to every subscriber and writes the sockets out',
    'later in the same loop iteration, so "publish ms" is the queueing; the server ELU and the latency carry the write-out.',
    f.measuredDeltaBytes
      ? `"measured" = ${fInt(Math.round(f.measuredDeltaBytes))} B: the headline ramp's median snapshot/delta frame (mean per step, median over steps).`
      : '',
    '',
    ceilingTable(f).trim(),
    '',
    ...(f.ceilingAborted ? [`Ceiling runs stopped early: ${f.ceilingAborted}.`, ''] : []),
    '## Reading',
    '',
    ...f.notes,
    '',
    f.argv.length
      ? `Rerun: \`npm run build && node build/dist/bench/fanout/run-fanout.js ${f.argv.join(' ')}\` (all defaults: \`npm run bench:fanout\`).`
      : 'Rerun: `npm run bench:fanout` (= `npm run build && node build/dist/bench/fanout/run-fanout.js`; flags at the top of bench/fanout/run-fanout.ts).',
    '',
  ].join('\n');
}

/** A reading generated from the numbers (the JSON's `notes`; hand-written notes can replace them and --render re-renders). */
function autoReading(f: ResultsFile): string[] {
  const out: string[] = [];
  for (const r of f.hostRamps) {
    for (const s of r.steps) {
      const c = s.clientsSide;
      const ev = c.bytesPerSByKind.events ?? 0,
        st = (c.bytesPerSByKind.delta ?? 0) + (c.bytesPerSByKind.snapshot ?? 0);
      out.push(
        `- input ${r.inputMs} ms, ${fInt(s.clients)} clients: events ${mb(ev)} MB/s vs snapshot/delta ${mb(st)} MB/s to clients (events ${((100 * ev) / Math.max(1, ev + st)).toFixed(0)} % of the bytes); ` +
          `tick mean ${f1(s.parts.stepMean + s.parts.interestMean + s.parts.restMean)} ms = step ${f1(s.parts.stepMean)} + interest ${f1(s.parts.interestMean)} + rest ${f1(s.parts.restMean)}; ` +
          `host ${s.host.cpuCores.toFixed(2)} cores, ELU ${s.host.elu.toFixed(2)}; clients ${c.cpuCores.toFixed(2)} cores, ELU max ${c.eluMax.toFixed(2)}.`,
      );
    }
  }
  return out;
}

/** The results as JSON, 2-space indented, with arrays of numbers (the per-tick series) on one line each. */
function resultsJson(f: ResultsFile): string {
  return JSON.stringify(f, null, 2).replace(/\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g, (_m, inner: string) => `[${inner.replace(/\s+/g, '')}]`) + '\n';
}

async function parentMain(argv: string[]): Promise<void> {
  const o = parseArgs(argv);
  const out = o.out ?? path.join(repoRoot(), 'bench', 'results', machineInfo().slug, 'fanout.json');
  const mdPath = out.replace(/\.json$/, '') + '.md';
  if (o.render) {
    const file = JSON.parse(fs.readFileSync(out, 'utf8')) as ResultsFile;
    fs.writeFileSync(mdPath, resultsMarkdown(file));
    log(`rendered ${path.relative(process.cwd(), mdPath)}`);
    return;
  }
  const files = openFileLimits();
  const need = Math.max(o.host ? Math.max(...o.steps) : 0, o.ceiling ? Math.max(...o.ceilingCounts) : 0);
  if (files && files.soft < need + 256)
    throw new Error(`open files limit ${files.soft} < ${need + 256} (the server holds one socket per client): raise ulimit -n`);
  if (o.pin) {
    try {
      execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    } catch {
      log('taskset not found: running unpinned');
      o.pin = false;
    }
    if (os.cpus().length < 2) o.pin = false;
  }
  let somaxconn: string | null = null;
  try {
    somaxconn = fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim();
  } catch {
    /* not Linux */
  }
  const meta = runMeta({ maxTimeSeconds: 0, filter: null });
  const environment: ResultsFile['environment'] = {
    openFiles: { parent: files, host: null, ceiling: null, clients: [] },
    somaxconn,
    pinned: o.pin,
    loadAvgBefore: os.loadavg(),
    loadAvgAfter: [],
  };
  const t0 = Date.now();
  log(
    `open files ${JSON.stringify(files)}, somaxconn ${somaxconn}, load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );

  const hostRamps: HostRamp[] = [];
  if (o.host) {
    for (const inputMs of o.inputMs) hostRamps.push(await hostRamp(o, inputMs, environment.openFiles));
  }
  const deltaSizes = (hostRamps[0]?.steps ?? [])
    .map((s) => s.clientsSide.stateBytesMean)
    .filter((x) => Number.isFinite(x) && x > 0)
    .sort((a, b) => a - b);
  const measured = deltaSizes.length ? deltaSizes[(deltaSizes.length - 1) >> 1] : null;
  const sizes = o.ceilingSizes.map((s) => ({ size: s, label: String(s) }));
  if (o.measuredSize && measured) sizes.push({ size: Math.round(measured), label: 'measured' });
  const ceiling = o.ceiling ? await ceilingRuns(o, sizes, environment.openFiles) : [];
  environment.loadAvgAfter = os.loadavg();

  const file: ResultsFile = {
    schema: 'tessera.fanout.v1',
    meta,
    uws: packageVersion('uWebSockets.js'),
    argv,
    options: o,
    environment,
    totalSeconds: (Date.now() - t0) / 1000,
    hostRamps,
    sustainedClients: hostRamps[0]?.sustainedClients ?? 0,
    measuredDeltaBytes: measured,
    ceiling,
    ceilingAborted,
    notes: [],
  };
  file.notes = autoReading(file);
  for (const r of hostRamps) process.stdout.write(`\ninput every ${r.inputMs} ms\n\n${hostTable(r.steps)}\n${partsTable(r.steps)}\n${clientTable(r.steps)}`);
  process.stdout.write('\n' + ceilingTable(file) + '\n' + ceilingHeadline(file).join('\n') + '\n' + file.notes.join('\n') + '\n');
  log(`sustained ${file.sustainedClients} clients; ${((Date.now() - t0) / 1000).toFixed(0)} s in all`);
  if (!o.write) return;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, resultsJson(file));
  fs.writeFileSync(mdPath, resultsMarkdown(file));
  log(`wrote ${path.relative(process.cwd(), out)} and .md`);
}

if (require.main === module) {
  parentMain(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
