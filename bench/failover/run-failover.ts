/**
 * bench:failover: how long a replicated world is without a leader when its leader dies (issue 19
 * target "Failover time: median and worst over 20 kills").
 *
 * One private nats-server with JetStream (test/helpers/nats.ts startNats), a leader
 * (`tessera serve --replicate`) and one replica (`serve --replicate --follow`), each a child
 * process with its own data directory, on the small replication scene (test/helpers/replica.ts:
 * 40 spheres settling, 20 Hz). Then, `--kills` times: let the leader tick for `--run-s` seconds,
 * kill it (SIGKILL on even rounds; SIGSTOP on odd rounds, i.e. paused past its lease, SIGCONT
 * after the takeover, when it must find itself deposed and exit 0), wait for the replica to lead,
 * and start a fresh replica for the next round. A copy of the world in this process applies the
 * whole log and compares every tick's hash (WorldFollower), so the run also shows that no tick
 * was lost, repeated or different.
 *
 * Figures per kill:
 *   takeover  signal -> the replica's `listening` line (it won the lease, read the log to its end,
 *             promoted its copy and listens)
 *   stall     arrival, at the copy, of the old leader's last logged tick -> of the new leader's
 *             first (what a client sees as frozen time; the tick period, 50 ms, is in it)
 *
 * Usage: node build/dist/bench/failover/run-failover.js [--kills 20] [--run-s 3] [--lease-ms 1000]
 *        [--write] [--out FILE]   (default out: bench/results/<machine>/failover.json and .md)
 * Exit code 1 when a takeover fails, a hash differs, or a deposed leader does not exit 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { markdownTable, repoRoot, runMeta, type RunMeta } from '../results';
import { startNats } from '../../test/helpers/nats';
import { watchLog, writeSmallScene } from '../../test/helpers/replica';

const CLI = join(__dirname, '..', '..', 'src', 'cli.js');

interface Options {
  kills: number;
  runS: number;
  leaseMs: number;
  write: boolean;
  out?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { kills: 20, runS: 3, leaseMs: 1000, write: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--kills') o.kills = Math.floor(num());
    else if (a === '--run-s') o.runS = num();
    else if (a === '--lease-ms') o.leaseMs = Math.floor(num());
    else if (a === '--write') o.write = true;
    else if (a === '--out') o.out = argv[++i];
    else throw new Error(`unknown argument ${a} (see the comment at the top of bench/failover/run-failover.ts)`);
  }
  return o;
}

/** A node in a child process: its output lines, its exit, and a wait for a line. */
interface Node {
  name: string;
  proc: ChildProcess;
  lines: string[];
  exit: Promise<number | null>;
  /** Resolves with performance.now() when a line containing `text` is (or was) printed. */
  line(text: string, timeoutMs: number): Promise<number>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function startNode(name: string, args: string[]): Node {
  const proc = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  const lines: string[] = [];
  const seen: { text: string; resolve: (t: number) => void }[] = [];
  let exited = false;
  const exit = new Promise<number | null>((r) =>
    proc.once('exit', (code) => {
      exited = true;
      children.delete(proc);
      r(code);
    }),
  );
  let buf = '';
  const onData = (d: Buffer): void => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(l);
      const now = performance.now();
      for (let i = seen.length - 1; i >= 0; i--)
        if (l.includes(seen[i].text)) {
          seen[i].resolve(now);
          seen.splice(i, 1);
        }
    }
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  return {
    name,
    proc,
    lines,
    exit,
    line: (text, timeoutMs) =>
      new Promise<number>((resolve, reject) => {
        if (lines.some((l) => l.includes(text))) return resolve(performance.now());
        const timer = setTimeout(() => reject(new Error(`${name}: no "${text}" in ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`)), timeoutMs);
        seen.push({
          text,
          resolve: (t) => {
            clearTimeout(timer);
            resolve(t);
          },
        });
        void exit.then((code) => {
          if (!exited || lines.some((l) => l.includes(text))) return;
          clearTimeout(timer);
          reject(new Error(`${name} exited (${code}) before "${text}":\n${lines.slice(-20).join('\n')}`));
        });
      }),
  };
}

interface Kill {
  round: number;
  signal: 'SIGKILL' | 'SIGSTOP';
  takeoverMs: number;
  stallMs: number;
  /** The first tick the new leader logged. */
  fromTick: number;
  /** Exit code of the deposed leader (SIGSTOP rounds: after SIGCONT; 0 = it found itself deposed). */
  deposedExit: number | null;
}

interface ResultsFile {
  schema: 'tessera.failover.v1';
  meta: RunMeta;
  argv: string[];
  options: Options;
  loadAvgBefore: number[];
  loadAvgAfter: number[];
  kills: Kill[];
  /** Ticks the copy applied, and what went wrong there (gaps, mismatches): empty when all agreed. */
  ticksChecked: number;
  bad: string[];
  error?: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function markdown(f: ResultsFile): string {
  const row = (label: string, ks: Kill[]): string[] => [
    label,
    String(ks.length),
    median(ks.map((k) => k.takeoverMs)).toFixed(0),
    Math.max(...ks.map((k) => k.takeoverMs)).toFixed(0),
    median(ks.map((k) => k.stallMs)).toFixed(0),
    Math.max(...ks.map((k) => k.stallMs)).toFixed(0),
  ];
  const kinds = (['SIGKILL', 'SIGSTOP'] as const).filter((s) => f.kills.some((k) => k.signal === s));
  const m = f.meta.machine;
  return [
    '# bench:failover (issue 19)',
    '',
    `- date: ${f.meta.date}; machine: ${m.cpuModel}, ${m.cores} logical cores (\`${m.slug}\`); node ${f.meta.node}`,
    `- git: ${f.meta.git ? `${f.meta.git.commit.slice(0, 12)}${f.meta.git.dirty ? ' (uncommitted changes)' : ''}` : 'n/a'}`,
    `- command: \`node build/dist/bench/failover/run-failover.js ${f.argv.join(' ')}\``,
    `- lease ${f.options.leaseMs} ms; ${f.options.runS} s of ticks before each kill; load average before ${f.loadAvgBefore.map((x) => x.toFixed(2)).join(' ')}, after ${f.loadAvgAfter.map((x) => x.toFixed(2)).join(' ')}`,
    '',
    'A leader (`serve --replicate`) and a replica (`--follow`) in child processes, one nats-server; each round',
    'kills the leader (SIGKILL, or SIGSTOP past its lease and SIGCONT after the takeover) and starts a fresh replica.',
    "takeover: signal to the replica listening as the leader. stall: the old leader's last logged tick to the new",
    "leader's first, as a copy applying the log received them. Target: takeover within 2 s (issue 19).",
    '',
    markdownTable(
      ['kills', 'n', 'takeover median ms', 'takeover worst ms', 'stall median ms', 'stall worst ms'],
      [
        ...kinds.map((s) =>
          row(
            s,
            f.kills.filter((k) => k.signal === s),
          ),
        ),
        ...(kinds.length > 1 ? [row('all', f.kills)] : []),
      ],
      ['l', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    `Copy of the world: ${f.ticksChecked} ticks applied, ${f.bad.length === 0 ? 'every hash equal to the logged one, no tick missing or repeated' : `PROBLEMS: ${f.bad.slice(0, 5).join('; ')}`}.`,
    `Deposed leaders (SIGSTOP rounds) that exited 0 after SIGCONT: ${f.kills.filter((k) => k.signal === 'SIGSTOP' && k.deposedExit === 0).length} of ${f.kills.filter((k) => k.signal === 'SIGSTOP').length}.`,
    ...(f.error ? ['', `Stopped early: ${f.error}`] : []),
    '',
    markdownTable(
      ['round', 'signal', 'takeover ms', 'stall ms', 'new leader from tick', 'deposed exit'],
      f.kills.map((k) => [String(k.round), k.signal, k.takeoverMs.toFixed(0), k.stallMs.toFixed(0), String(k.fromTick), String(k.deposedExit)]),
      ['r', 'l', 'r', 'r', 'r', 'r'],
    ),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = parseArgs(argv);
  const file: ResultsFile = {
    schema: 'tessera.failover.v1',
    meta: runMeta({ maxTimeSeconds: 0, filter: null }),
    argv,
    options: o,
    loadAvgBefore: os.loadavg(),
    loadAvgAfter: [],
    kills: [],
    ticksChecked: 0,
    bad: [],
  };
  const dir = mkdtempSync(join(os.tmpdir(), 'tessera-failover-'));
  const server = await startNats();
  const world = `failover_${process.pid}`;
  const scene = writeSmallScene(dir);
  const nodeArgs = (n: number, follow: boolean): string[] => [
    '--port',
    '0',
    '--data',
    join(dir, `node${n}`),
    '--scene',
    scene,
    '--workers',
    '0',
    '--replicate',
    server.url,
    '--replicate-world',
    world,
    '--replicate-lease-ms',
    String(o.leaseMs),
    ...(follow ? ['--follow'] : []),
  ];
  const nc = await connect({ servers: server.url });
  // arrival time of each tick at the copy (the copy applies and checks every tick)
  const arrivals = new Map<number, number>();
  let next = 0;
  let leader = startNode('node0', nodeArgs(0, false));
  let watch: Awaited<ReturnType<typeof watchLog>> | null = null;
  let replica: Node | null = null;
  try {
    await leader.line('"msg":"listening"', 60_000);
    watch = await watchLog(nc, world, scene);
    const w = watch;
    const poll = setInterval(() => {
      const n = w.follower.stats().next;
      for (; next < n; next++) arrivals.set(next, performance.now());
    }, 2);
    try {
      let n = 1;
      replica = startNode(`node${n}`, nodeArgs(n, true));
      for (let round = 0; round < o.kills; round++) {
        await replica.line('replica: waiting to lead', 60_000);
        await sleep(o.runS * 1000);
        if (w.bad.length > 0) throw new Error(`the copy stopped: ${w.bad[0]}`);
        const signal = round % 2 === 0 ? 'SIGKILL' : 'SIGSTOP';
        const before = next - 1;
        const at = performance.now();
        leader.proc.kill(signal);
        const led = await replica.line('"msg":"listening"', 30_000);
        // the new leader's first tick: the one after the log's end when it won (its log line)
        const won = replica.lines.find((l) => l.includes('leading from the next tick'));
        const from = won ? Number((JSON.parse(won) as { tick: number }).tick) : before + 1;
        while (next <= from && w.bad.length === 0) await sleep(2);
        const lastBefore = arrivals.get(from - 1) ?? at;
        const firstAfter = arrivals.get(from) ?? performance.now();
        let deposedExit: number | null = null;
        if (signal === 'SIGSTOP') {
          leader.proc.kill('SIGCONT');
          deposedExit = await Promise.race([leader.exit, sleep(20_000).then(() => -1)]);
        } else await leader.exit;
        leader.proc.kill('SIGKILL');
        const k: Kill = { round, signal, takeoverMs: led - at, stallMs: firstAfter - lastBefore, fromTick: from, deposedExit };
        file.kills.push(k);
        process.stdout.write(
          `[${round + 1}/${o.kills}] ${signal}: takeover ${k.takeoverMs.toFixed(0)} ms, stall ${k.stallMs.toFixed(0)} ms, new leader from tick ${k.fromTick}${signal === 'SIGSTOP' ? `, deposed leader exited ${deposedExit}` : ''}\n`,
        );
        leader = replica;
        n++;
        replica = startNode(`node${n}`, nodeArgs(n, true));
      }
      await sleep(1000);
    } finally {
      clearInterval(poll);
    }
  } catch (e) {
    file.error = (e as Error).message;
    process.stdout.write(`stopped: ${file.error}\n`);
  } finally {
    file.ticksChecked = watch?.follower.stats().next ?? 0;
    file.bad = [...(watch?.bad ?? [])];
    watch?.stop();
    for (const c of [leader, replica]) c?.proc.kill('SIGKILL');
    await Promise.all([leader.exit, replica?.exit]);
    await watch?.follower.close();
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  file.loadAvgAfter = os.loadavg();
  const md = markdown(file);
  if (!o.write) process.stdout.write(`\n${md}`);
  else {
    const json = o.out ?? join(repoRoot(), 'bench', 'results', file.meta.machine.slug, 'failover.json');
    mkdirSync(dirname(json), { recursive: true });
    writeFileSync(json, `${JSON.stringify(file, null, 2)}\n`);
    writeFileSync(json.replace(/\.json$/, '.md'), md);
    process.stdout.write(`wrote ${json} and its .md\n`);
  }
  const failed = file.error !== undefined || file.bad.length > 0 || file.kills.some((k) => k.signal === 'SIGSTOP' && k.deposedExit !== 0);
  process.exit(failed ? 1 : 0);
}

void main();
