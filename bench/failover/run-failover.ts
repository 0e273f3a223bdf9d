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
 * With `--bots N` (issue 19 test "20 kill -9 of the primary under 200 bot clients"), N players
 * (the client library, src/client/client.ts, in this process; one account, a device each) are
 * given the addresses of every node (3 ports the nodes take in turn) and walk, each sending an
 * input every `--bot-input-ms`; they follow each takeover by themselves. At the end, every input
 * seq a bot saw acknowledged (a state's input_seq, shown only once JetStream held its tick) must
 * be in the log under its public id, and no seq may be in it twice.
 *
 * With TESSERA_FAILOVER_LOGS=<dir> every node's log is kept there, and every snapshot the leaders
 * store is audited (snapshot-audit.ts: compared with the copy's state at its tick, restored and
 * followed; the log and the snapshots are written there for bench/failover/replay-snapshot.ts);
 * TESSERA_REPLICATE_SNAPSHOT_EVERY (the nodes' setting, inherited) makes snapshots more frequent.
 *
 * Usage: node build/dist/bench/failover/run-failover.js [--kills 20] [--run-s 3] [--lease-ms 1000]
 *        [--bots 0] [--bot-input-ms 100] [--write] [--out FILE]
 *        (default out: bench/results/<machine>/failover.json and .md)
 * Exit code 1 when a takeover fails, a hash differs, a deposed leader does not exit 0, or an
 * acknowledged input is missing from the log or in it twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { createNodeClient } from '../../src/client/node';
import type { TesseraClient } from '../../src/client/client';
import { markdownTable, repoRoot, runMeta, type RunMeta } from '../results';
import { startNats } from '../../test/helpers/nats';
import { freePort, request } from '../../test/helpers/net';
import { watchLog, writeSmallScene } from '../../test/helpers/replica';
import { loadScene, sceneSetup } from '../../src/scene';
import { SnapshotAudit } from './snapshot-audit';

const CLI = join(__dirname, '..', '..', 'src', 'cli.js');

interface Options {
  kills: number;
  runS: number;
  leaseMs: number;
  bots: number;
  botInputMs: number;
  write: boolean;
  out?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { kills: 20, runS: 3, leaseMs: 1000, bots: 0, botInputMs: 100, write: false };
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
    else if (a === '--bots') o.bots = Math.floor(num());
    else if (a === '--bot-input-ms') o.botInputMs = Math.floor(num());
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
// Ctrl-C: exit in order (the children are killed above; `--cpu-prof` writes its profile)
process.on('SIGINT', () => process.exit(130));

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
      if (process.env.TESSERA_FAILOVER_LOGS) appendFileSync(join(process.env.TESSERA_FAILOVER_LOGS, `${name}.log`), `${l}\n`);
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
  /** With --bots: what the players sent, saw acknowledged and found in the log. */
  bots?: BotFigures;
  error?: string;
}

/** The players' figures (--bots). */
interface BotFigures {
  count: number;
  /** Inputs sent (while connected), and distinct seqs seen acknowledged, over all bots. */
  inputsSent: number;
  acknowledged: number;
  /** Acknowledged seqs not in the log under the bot's public id, of states the copy had read past (must be 0). */
  ackedMissing: number;
  /** Acknowledged seqs in states of ticks the copy had not read when the run ended (must be 0: the copy reads up to the newest state's tick first). */
  ackedUnread: number;
  /** The first few missing seqs: bot, public id, seq, the state tick that acknowledged it, and the bot's seqs in the log around it. */
  missingDetail: string[];
  /** Seqs in the log twice for one bot (must be 0). */
  duplicates: number;
  /** Bots whose public id changed over the run (must be 0). */
  idChanged: number;
  /** Reconnects over all bots, connections they dropped as silent (ClientOptions.silenceMs), and error messages the host sent them (by code). */
  reconnects: number;
  silentDrops: number;
  errors: Record<string, number>;
  /** Per kill: ms from the signal until every bot received a state from the new leader (median, worst). */
  botsBackMsMedian: number;
  botsBackMsWorst: number;
}

/** The players of --bots: clients of one account that walk and record what was acknowledged. */
class BotFleet {
  readonly clients: TesseraClient[] = [];
  /** Per bot: acknowledged seq -> the tick of the first state that acknowledged it. */
  readonly acked: Array<Map<number, number>> = [];
  readonly ids: number[] = [];
  idChanged = 0;
  sent = 0;
  errors: Record<string, number> = {};
  backMs: number[] = [];
  private timer: NodeJS.Timeout | null = null;

  /** Registers an account on the leader at `httpPort`, connects `n` clients to `urls` (the leader's first). */
  async start(n: number, httpPort: number, urls: string[], inputMs: number): Promise<void> {
    const post = (path: string, body: unknown) => request('POST', `http://127.0.0.1:${httpPort}${path}`, JSON.stringify(body));
    const reg = await post('/auth/register', { name: 'fleet', password: 'a long password' });
    if (reg.status !== 201) throw new Error(`register: ${reg.status}`);
    const token = (await post('/auth/login', { name: 'fleet', password: 'a long password' })).json.token as string;
    for (let i = 0; i < n; i++) {
      const acked = new Map<number, number>();
      this.acked.push(acked);
      const c = createNodeClient(
        {
          url: urls[0],
          urls: urls.slice(1),
          token,
          privateId: `bot-${i}`,
          reconnect: { minMs: 100, maxMs: 800 },
          packedDeltas: process.env.TESSERA_FAILOVER_FULL ? false : undefined,
        },
        {
          onState: (_m, info) => {
            if (info.lastInputSeq > 0 && !acked.has(info.lastInputSeq)) acked.set(info.lastInputSeq, info.tick);
          },
          onWelcome: (w) => {
            if (this.ids[i] === undefined) this.ids[i] = w.publicId;
            else if (this.ids[i] !== w.publicId) this.idChanged++;
          },
          onError: (code) => {
            this.errors[code] = (this.errors[code] ?? 0) + 1;
          },
        },
      );
      this.clients.push(c);
      if (process.env.TESSERA_FAILOVER_LOGS && i % 20 === 0)
        process.stdout.write(
          `bots: ${i} of ${n} at ${performance.now().toFixed(0)} ms, reconnects ${this.clients.reduce((m, x) => m + x.reconnects, 0)}, errors ${JSON.stringify(this.errors)}\n`,
        );
      // a join refused now (503 BUSY past the host's joins per second, under load) is retried by the client
      await c.connect().catch(async (e: Error) => {
        const end = performance.now() + 30_000;
        while (this.ids[i] === undefined) {
          if (performance.now() > end) throw new Error(`bot ${i} of ${n}: ${e.message}, and no welcome in 30 s`);
          await sleep(20);
        }
      });
    }
    let k = 0;
    this.timer = setInterval(() => {
      k++;
      this.clients.forEach((c, i) => {
        const a = (k / 20 + i) % (2 * Math.PI);
        try {
          if (c.sendInput({ walkX: Math.round(700 * Math.cos(a)), walkZ: Math.round(700 * Math.sin(a)), jump: (k + i) % 37 === 0 })) this.sent++;
        } catch {
          /* between connections */
        }
      });
    }, inputMs);
  }

  /** Resolves with performance.now() once every client has a state of tick `tick` or later. */
  async allPast(tick: number, timeoutMs: number): Promise<number> {
    const end = performance.now() + timeoutMs;
    while (this.clients.some((c) => c.lastState.tick < tick)) {
      if (performance.now() > end)
        throw new Error(`bots: ${this.clients.filter((c) => c.lastState.tick < tick).length} have no state of tick ${tick} after ${timeoutMs} ms`);
      await sleep(5);
    }
    return performance.now();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const c of this.clients) c.close();
  }

  /**
   * Checks what was acknowledged against `inputs` (the log's seqs by public id, read by the copy
   * up to tick `readTo` exclusive): an acknowledgement in a state of tick T names an input of a
   * tick before T, so it is checked when T <= readTo and counted as unread otherwise.
   */
  figures(inputs: Map<number, number[]>, readTo: number): BotFigures {
    let acknowledged = 0,
      missing = 0,
      unread = 0,
      duplicates = 0;
    const missingDetail: string[] = [];
    this.clients.forEach((_c, i) => {
      const inLog = inputs.get(this.ids[i]) ?? [];
      const set = new Set(inLog);
      duplicates += inLog.length - set.size;
      acknowledged += this.acked[i].size;
      for (const [s, tick] of this.acked[i]) {
        if (set.has(s)) continue;
        if (tick > readTo) {
          unread++;
          continue;
        }
        missing++;
        if (missingDetail.length < 10) {
          const near = inLog.filter((x) => Math.abs(x - s) <= 3).join(',');
          missingDetail.push(`bot ${i} (public id ${this.ids[i]}): seq ${s} acknowledged in the state of tick ${tick}; its seqs in the log near it: [${near}]`);
        }
      }
    });
    return {
      count: this.clients.length,
      inputsSent: this.sent,
      acknowledged,
      ackedMissing: missing,
      ackedUnread: unread,
      missingDetail,
      duplicates,
      idChanged: this.idChanged,
      reconnects: this.clients.reduce((n, c) => n + c.reconnects, 0),
      silentDrops: this.clients.reduce((n, c) => n + c.silentDrops, 0),
      errors: this.errors,
      botsBackMsMedian: median(this.backMs),
      botsBackMsWorst: this.backMs.length ? Math.max(...this.backMs) : Number.NaN,
    };
  }
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
    ...(f.bots
      ? [
          '',
          ...f.bots.missingDetail.map((d) => `Missing: ${d}`),
          `Bots: ${f.bots.count} players (one input every ${f.options.botInputMs} ms each) given every node's address: ${f.bots.inputsSent} inputs sent, ${f.bots.acknowledged} seqs seen acknowledged, ${f.bots.ackedMissing} of them missing from the log (${f.bots.ackedUnread} in ticks the copy had not read), ${f.bots.duplicates} seqs in the log twice, ${f.bots.idChanged} public ids changed; ${f.bots.reconnects} reconnects (${f.bots.silentDrops} after a silent connection); errors by code ${JSON.stringify(f.bots.errors)}. Every bot receiving the new leader's states after a kill: median ${f.bots.botsBackMsMedian.toFixed(0)} ms, worst ${f.bots.botsBackMsWorst.toFixed(0)} ms after the signal.`,
        ]
      : []),
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
  // with bots, the nodes take 3 fixed ports in turn (the players know every address); else any
  const ports = o.bots > 0 ? [await freePort(), await freePort(), await freePort()] : [];
  const portOf = (n: number): number => (ports.length ? ports[n % ports.length] : 0);
  const nodeArgs = (n: number, follow: boolean): string[] => [
    '--port',
    String(portOf(n)),
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
  let audit: SnapshotAudit | null = null;
  let replica: Node | null = null;
  const fleet = o.bots > 0 ? new BotFleet() : null;
  try {
    await leader.line('"msg":"listening"', 60_000);
    // TESSERA_FAILOVER_LOGS: every snapshot checked against the copy's state, the log kept (snapshot-audit.ts)
    const logs = process.env.TESSERA_FAILOVER_LOGS;
    if (logs)
      audit = await SnapshotAudit.start(nc, world, () => sceneSetup(loadScene(scene)), logs, Number(process.env.TESSERA_REPLICATE_SNAPSHOT_EVERY ?? 600));
    const a = audit;
    watch = await watchLog(nc, world, scene, a ? (t, f) => a.onTick(t, f) : undefined);
    if (fleet) {
      await fleet.start(
        o.bots,
        portOf(0),
        ports.map((p) => `ws://127.0.0.1:${p}/ws`),
        o.botInputMs,
      );
      process.stdout.write(`${o.bots} bots connected\n`);
    }
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
        if (fleet) fleet.backMs.push((await fleet.allPast(from, 30_000)) - at);
        let deposedExit: number | null = null;
        if (signal === 'SIGSTOP') {
          leader.proc.kill('SIGCONT');
          deposedExit = await Promise.race([leader.exit, sleep(20_000).then(() => -1)]);
        } else await leader.exit;
        leader.proc.kill('SIGKILL');
        const k: Kill = { round, signal, takeoverMs: led - at, stallMs: firstAfter - lastBefore, fromTick: from, deposedExit };
        file.kills.push(k);
        process.stdout.write(
          `[${round + 1}/${o.kills}] ${signal}: takeover ${k.takeoverMs.toFixed(0)} ms, stall ${k.stallMs.toFixed(0)} ms, new leader from tick ${k.fromTick}${signal === 'SIGSTOP' ? `, deposed leader exited ${deposedExit}` : ''}${fleet ? `, every bot back after ${fleet.backMs[fleet.backMs.length - 1].toFixed(0)} ms` : ''}\n`,
        );
        leader = replica;
        n++;
        replica = startNode(`node${n}`, nodeArgs(n, true));
      }
      await sleep(1000);
      if (fleet) {
        // every tick a bot was shown is in the log: let the copy read up to the newest one
        fleet.stop();
        const newest = Math.max(...fleet.clients.map((c) => c.lastState.tick));
        const end = performance.now() + 60_000; // a loaded machine: the copy re-simulates every tick
        while (w.follower.stats().next <= newest && performance.now() < end && w.bad.length === 0) await sleep(10);
        file.bots = fleet.figures(w.inputs, w.follower.stats().next);
      }
    } finally {
      clearInterval(poll);
    }
  } catch (e) {
    file.error = (e as Error).message;
    process.stdout.write(`leader's last lines:\n${leader.lines.slice(-8).join('\n')}\n`);
    process.stdout.write(`stopped: ${file.error}\n`);
  } finally {
    file.ticksChecked = watch?.follower.stats().next ?? 0;
    file.bad = [...(watch?.bad ?? [])];
    fleet?.stop();
    watch?.stop();
    await audit?.stop();
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
  const b = file.bots;
  const failed =
    file.error !== undefined ||
    file.bad.length > 0 ||
    file.kills.some((k) => k.signal === 'SIGSTOP' && k.deposedExit !== 0) ||
    (b !== undefined && (b.ackedMissing > 0 || b.ackedUnread > 0 || b.duplicates > 0 || b.idChanged > 0 || b.acknowledged === 0));
  process.exit(failed ? 1 : 0);
}

void main();
