/**
 * bench:edge-fanout: client fan-out over a leader and edge replicas (issue 19 target: "10,000
 * simulated clients spread over a leader and 2 edge replicas on this machine (bots in their own
 * processes), tick p99 under 50 ms on the leader; and per-process CPU recorded").
 *
 * One private nats-server with JetStream (test/helpers/nats.ts startNats), a leader (`tessera
 * serve --replicate`) and `--edges` edge hosts (`serve --replicate --follow --edge`: each serves
 * clients from its own lockstep copy and forwards their inputs to the leader, src/replica/edge.ts),
 * each a child process with its own data directory and port. `--clients` bots are spread evenly
 * over the nodes (leader first) in `--bot-procs` bot processes (bot-process.ts, src/bots.ts
 * BotRun: walk with an input every 100 ms, acknowledge states, chat every `--chat-every-s`, throw
 * a sphere every `--throw-every-s`, ping every second), each process on one node, ramping up at
 * `--ramp` connections per second per process. `--leader-clients N` instead puts N bots on the
 * leader (one process) and spreads the rest over the edges (the deployment edges are for: the
 * leader writes the log, the edges carry the clients).
 *
 * After the ramp (the bots' expected ramp time plus `--settle-s`) a window of `--seconds` is
 * measured:
 *   leader tick   p50/p99/max of the leader's last 2,000 tick times (its /healthz; at 20 Hz 100 s:
 *                 a short run's figure includes the ramp and the start), read at the window's
 *                 end; and the worst p99 of the samples every 5 s
 *   per process   CPU (utime + stime from /proc/<pid>/stat over the window, % of one core),
 *                 RSS at the end (/proc/<pid>/status VmRSS), bytes read and written through
 *                 syscalls over the window (/proc/<pid>/io rchar/wchar: sockets and files)
 *   per node      clients connected (its /healthz) at the window's end (the leader's count includes
 *                 the edges' clients: on the leader they are sessions without a socket)
 *   bots          their summaries: connected, reconnects, messages and bytes in, ping p50/p99, errors
 * Linux only (/proc). The nodes run the demo world (serve's default) unless `--scene FILE`.
 *
 * Usage: npm run bench:edge-fanout -- [--clients 10000] [--edges 2] [--bot-procs 8] [--seconds 60]
 *        [--ramp 100] [--settle-s 10] [--workers 1] [--chat-every-s 20] [--throw-every-s 30]
 *        [--scene FILE] [--leader-clients N] [--write] [--out FILE]
 *        (default out with --write: bench/results/<machine>/edge-fanout.json and .md)
 * Exit code 1 when a node fails to start or exits during the run, or a bot process fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { markdownTable, repoRoot, runMeta, type RunMeta } from '../results';
import type { BotSummary } from '../../src/bots';
import { startNats, type NatsServer } from '../../test/helpers/nats';
import { freePort, request } from '../../test/helpers/net';

const CLI = join(__dirname, '..', '..', 'src', 'cli.js');
const BOT = join(__dirname, 'bot-process.js');

interface Options {
  clients: number;
  edges: number;
  botProcs: number;
  seconds: number;
  ramp: number;
  settleS: number;
  workers: number;
  chatEveryS: number;
  throwEveryS: number;
  scene?: string;
  /** Bots on the leader itself (one process); the rest go to the edges. Unset: spread evenly over every node. */
  leaderClients?: number;
  write: boolean;
  out?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { clients: 10_000, edges: 2, botProcs: 8, seconds: 60, ramp: 100, settleS: 10, workers: 1, chatEveryS: 20, throwEveryS: 30, write: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min: number): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < min) throw new Error(`${a} needs a number >= ${min}`);
      return v;
    };
    if (a === '--clients') o.clients = Math.floor(num(1));
    else if (a === '--edges') o.edges = Math.floor(num(0));
    else if (a === '--bot-procs') o.botProcs = Math.floor(num(1));
    else if (a === '--seconds') o.seconds = num(1);
    else if (a === '--ramp') o.ramp = Math.floor(num(1));
    else if (a === '--settle-s') o.settleS = num(0);
    else if (a === '--workers') o.workers = Math.floor(num(0));
    else if (a === '--chat-every-s') o.chatEveryS = num(1);
    else if (a === '--throw-every-s') o.throwEveryS = num(1);
    else if (a === '--scene') o.scene = argv[++i];
    else if (a === '--leader-clients') o.leaderClients = Math.floor(num(0));
    else if (a === '--write') o.write = true;
    else if (a === '--out') o.out = argv[++i];
    else throw new Error(`unknown argument ${a} (see the comment at the top of bench/edge-fanout/run-edge-fanout.ts)`);
  }
  if (o.leaderClients !== undefined && (o.edges === 0 || o.leaderClients > o.clients))
    throw new Error(`--leader-clients (${o.leaderClients}) needs --edges >= 1 and at most --clients (${o.clients})`);
  if (o.botProcs < o.edges + 1) throw new Error(`--bot-procs (${o.botProcs}) must be at least the number of nodes (${o.edges + 1})`);
  return o;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** A child process: its output lines, its exit, and a wait for a line. */
interface Child {
  name: string;
  role: 'leader' | 'edge' | 'bots';
  proc: ChildProcess;
  lines: string[];
  exited: boolean;
  exit: Promise<number | null>;
  line(text: string, timeoutMs: number): Promise<void>;
}

function startChild(name: string, role: Child['role'], args: string[]): Child {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  const c: Child = {
    name,
    role,
    proc,
    lines: [],
    exited: false,
    exit: new Promise<number | null>((r) =>
      proc.once('exit', (code) => {
        c.exited = true;
        children.delete(proc);
        r(code);
      }),
    ),
    line: (text, timeoutMs) => {
      const until = performance.now() + timeoutMs;
      return (async () => {
        while (!c.lines.some((l) => l.includes(text))) {
          if (c.exited) throw new Error(`${name} exited before "${text}":\n${c.lines.slice(-20).join('\n')}`);
          if (performance.now() > until) throw new Error(`${name}: no "${text}" in ${timeoutMs} ms:\n${c.lines.slice(-20).join('\n')}`);
          await sleep(50);
        }
      })();
    },
  };
  let buf = '';
  const onData = (d: Buffer): void => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      c.lines.push(buf.slice(0, nl));
      if (c.lines.length > 5000) c.lines.splice(0, 1000); // (a long run: keep the tail)
      buf = buf.slice(nl + 1);
    }
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  return c;
}

/** CPU seconds (user + system) and syscall bytes of a process, from /proc. */
interface ProcSample {
  cpuS: number;
  rchar: number;
  wchar: number;
  rssBytes: number;
}

const CLK_TCK = 100; // Linux USER_HZ (sysconf(_SC_CLK_TCK)), 100 on every mainstream kernel build

function procSample(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces) in parentheses: state is field 3
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime (14), stime (15)
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (t: string, k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { cpuS, rchar: field(io, 'rchar'), wchar: field(io, 'wchar'), rssBytes: field(status, 'VmRSS') * 1024 };
  } catch {
    return null;
  }
}

interface Health {
  tick: number;
  clients: number;
  tickMsP50: number;
  tickMsP99: number;
  tickMsMax: number;
}

/** Why the last /healthz read failed (status or error), for the failure message. */
let healthFailure = '';

async function health(port: number): Promise<Health | null> {
  try {
    const r = await request('GET', `http://127.0.0.1:${port}/healthz`);
    if (r.status !== 200) healthFailure = `:${port} answered ${r.status}`;
    return r.status === 200 ? (r.json as Health) : null;
  } catch (e) {
    healthFailure = `:${port}: ${(e as Error).message}`;
    return null;
  }
}

/** One process's figures over the measured window. */
interface ProcFigures {
  name: string;
  role: Child['role'];
  pid: number;
  /** CPU over the window, % of one core. */
  cpuPct: number;
  rssMiB: number;
  /** Bytes read / written through syscalls over the window, MiB per second. */
  readMiBs: number;
  writeMiBs: number;
}

interface ResultsFile {
  schema: 'tessera.edge-fanout.v1';
  meta: RunMeta;
  argv: string[];
  options: Options;
  loadAvgBefore: number[];
  loadAvgAfter: number[];
  windowS: number;
  leader: { tickMsP50: number; tickMsP99: number; tickMsMax: number; worstSampleP99: number; ticksInWindow: number };
  /** Clients connected on each node at the window's end (leader first). */
  nodeClients: number[];
  processes: ProcFigures[];
  bots: {
    count: number;
    everConnected: number;
    connectedAtEnd: number;
    reconnects: number;
    messagesIn: number;
    bytesIn: number;
    pingMsP50Max: number;
    pingMsP99Max: number;
    errors: number;
    errorCodes: Record<string, number>;
    unexpectedCloses: number;
  };
  target: { leaderTickP99Ms: number; met: boolean };
  error?: string;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const loadAvgBefore = os.loadavg();
  const meta = runMeta({ maxTimeSeconds: 0, filter: null });
  const tmp = mkdtempSync(join(os.tmpdir(), 'tessera-edge-fanout-'));
  let nats: NatsServer | null = null;
  const nodes: Array<Child & { port: number }> = [];
  const bots: Child[] = [];
  try {
    nats = await startNats();
    const world = `fanout${process.pid}`;
    const common = (name: string, port: number): string[] => [
      CLI,
      'serve',
      '--port',
      String(port),
      '--data',
      join(tmp, name),
      '--workers',
      String(o.workers),
      '--replicate',
      nats?.url as string,
      '--replicate-world',
      world,
      '--max-joins-per-second',
      String(Math.max(200, o.ramp * o.botProcs * 2)),
      '--max-clients',
      String(o.clients + 1000),
      ...(o.scene ? ['--scene', o.scene] : []),
    ];
    const lp = await freePort();
    const leader = { ...startChild('leader', 'leader', common('leader', lp)), port: lp };
    nodes.push(leader);
    await leader.line('"msg":"listening"', 60_000);
    for (let k = 0; k < o.edges; k++) {
      const p = await freePort();
      const e = { ...startChild(`edge${k + 1}`, 'edge', [...common(`edge${k + 1}`, p), '--follow', '--edge']), port: p };
      nodes.push(e);
    }
    for (const e of nodes.slice(1)) await e.line('edge: serving clients from the copy', 120_000);
    console.log(
      `nats ${nats.url}; leader :${leader.port}; edges ${nodes
        .slice(1)
        .map((n) => `:${n.port}`)
        .join(' ')}`,
    );

    // bots: process j on node j mod nodes, clients spread evenly over the processes; with
    // --leader-clients, process 0 holds the leader's share and the others spread the rest over the edges
    const plan: Array<{ node: Child & { port: number }; count: number }> = [];
    if (o.leaderClients === undefined) {
      for (let j = 0; j < o.botProcs; j++)
        plan.push({ node: nodes[j % nodes.length], count: Math.floor(o.clients / o.botProcs) + (j < o.clients % o.botProcs ? 1 : 0) });
    } else {
      if (o.leaderClients > 0) plan.push({ node: nodes[0], count: o.leaderClients });
      const procs = o.leaderClients > 0 ? o.botProcs - 1 : o.botProcs,
        rest = o.clients - o.leaderClients;
      for (let j = 0; j < procs; j++) plan.push({ node: nodes[1 + (j % o.edges)], count: Math.floor(rest / procs) + (j < rest % procs ? 1 : 0) });
    }
    const maxPer = Math.max(...plan.map((p) => p.count));
    const rampS = maxPer / o.ramp;
    const runS = rampS + o.settleS + o.seconds + 5;
    for (let j = 0; j < plan.length; j++) {
      const node = plan[j].node;
      if (plan[j].count === 0) continue;
      const args = [
        BOT,
        `ws://127.0.0.1:${node.port}/ws`,
        String(plan[j].count),
        String(Math.ceil(runS)),
        String(o.ramp),
        `b${j}`,
        String(o.chatEveryS),
        String(o.throwEveryS),
      ];
      bots.push(startChild(`bots${j}@${node.name}`, 'bots', args));
    }
    console.log(`${o.clients} bots in ${o.botProcs} processes; ramp ${rampS.toFixed(1)} s, settle ${o.settleS} s, window ${o.seconds} s`);
    await sleep((rampS + o.settleS) * 1000);

    // the window
    const all = [...nodes, ...bots];
    const before = new Map(all.map((c) => [c, procSample(c.proc.pid as number)]));
    const h0 = await health(leader.port);
    const t0 = performance.now();
    let worstSampleP99 = 0;
    while (performance.now() - t0 < o.seconds * 1000) {
      await sleep(Math.min(5000, o.seconds * 1000 - (performance.now() - t0)));
      const h = await health(leader.port);
      if (h) worstSampleP99 = Math.max(worstSampleP99, h.tickMsP99);
      const dead = all.find((c) => c.exited);
      if (dead) throw new Error(`${dead.name} exited during the window:\n${dead.lines.slice(-20).join('\n')}`);
    }
    const windowS = (performance.now() - t0) / 1000;
    const after = new Map(all.map((c) => [c, procSample(c.proc.pid as number)]));
    const hs = await Promise.all(nodes.map((n) => health(n.port)));
    const h1 = hs[0];
    if (!h1 || !h0) throw new Error(`the leader did not answer /healthz (${h0 ? 'after' : 'before'} the window; ${healthFailure})`);
    const processes: ProcFigures[] = all.map((c) => {
      const a = before.get(c),
        b = after.get(c);
      return {
        name: c.name,
        role: c.role,
        pid: c.proc.pid as number,
        cpuPct: a && b ? (100 * (b.cpuS - a.cpuS)) / windowS : Number.NaN,
        rssMiB: b ? b.rssBytes / 2 ** 20 : Number.NaN,
        readMiBs: a && b ? (b.rchar - a.rchar) / 2 ** 20 / windowS : Number.NaN,
        writeMiBs: a && b ? (b.wchar - a.wchar) / 2 ** 20 / windowS : Number.NaN,
      };
    });

    // the bots end by themselves (their run time covers the window): collect their summaries
    for (const b of bots) b.proc.kill('SIGTERM');
    const sums: BotSummary[] = [];
    for (const b of bots) {
      const code = await Promise.race([b.exit, sleep(30_000).then(() => 'timeout' as const)]);
      const last = [...b.lines].reverse().find((l) => l.startsWith('{'));
      if (code !== 0 || !last) throw new Error(`${b.name}: exit ${code}, no summary:\n${b.lines.slice(-10).join('\n')}`);
      sums.push(JSON.parse(last) as BotSummary);
    }
    const sum = (k: keyof BotSummary): number => sums.reduce((s, x) => s + (x[k] as number), 0);
    const errorCodes: Record<string, number> = {};
    for (const s of sums) for (const [k, v] of Object.entries(s.errorCodes)) errorCodes[k] = (errorCodes[k] ?? 0) + v;
    const res: ResultsFile = {
      schema: 'tessera.edge-fanout.v1',
      meta,
      argv: process.argv.slice(2),
      options: o,
      loadAvgBefore,
      loadAvgAfter: os.loadavg(),
      windowS,
      leader: { tickMsP50: h1.tickMsP50, tickMsP99: h1.tickMsP99, tickMsMax: h1.tickMsMax, worstSampleP99, ticksInWindow: h1.tick - h0.tick },
      nodeClients: hs.map((h) => h?.clients ?? -1),
      processes,
      bots: {
        count: o.clients,
        everConnected: sum('everConnected'),
        connectedAtEnd: sum('connectedAtEnd'),
        reconnects: sum('reconnects'),
        messagesIn: sum('messagesIn'),
        bytesIn: sum('bytesIn'),
        pingMsP50Max: Math.max(...sums.map((s) => s.latencyMsP50)),
        pingMsP99Max: Math.max(...sums.map((s) => s.latencyMsP99)),
        errors: sum('errors'),
        errorCodes,
        unexpectedCloses: sum('unexpectedCloses'),
      },
      target: { leaderTickP99Ms: 50, met: Math.max(h1.tickMsP99, worstSampleP99) < 50 },
    };
    report(res);
  } finally {
    for (const c of [...bots, ...nodes]) if (!c.exited) c.proc.kill('SIGTERM');
    await Promise.all([...bots, ...nodes].map((c) => Promise.race([c.exit, sleep(10_000)])));
    for (const c of [...bots, ...nodes]) if (!c.exited) c.proc.kill('SIGKILL');
    await nats?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }

  function report(res: ResultsFile): void {
    const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
    const md = [
      `# Edge fan-out: ${res.options.clients} clients over a leader and ${res.options.edges} edge hosts`,
      '',
      `- date: ${res.meta.date}; machine: ${res.meta.machine.cpuModel}, ${res.meta.machine.cores} logical cores (\`${res.meta.machine.slug}\`); node ${res.meta.node}`,
      `- git: ${res.meta.git ? `${res.meta.git.commit.slice(0, 12)}${res.meta.git.dirty ? ' (uncommitted changes)' : ''}` : 'n/a'}`,
      `- options: ${res.argv.join(' ') || '(defaults)'}`,
      '',
      `Window ${f1(res.windowS)} s after the ramp; load average before ${res.loadAvgBefore.map((x) => x.toFixed(2)).join(' ')}, after ${res.loadAvgAfter.map((x) => x.toFixed(2)).join(' ')}.`,
      '',
      `Leader tick (last 2,000 ticks at the window's end): p50 ${f1(res.leader.tickMsP50)} ms, p99 ${f1(res.leader.tickMsP99)} ms, max ${f1(res.leader.tickMsMax)} ms; worst p99 of the 5 s samples ${f1(res.leader.worstSampleP99)} ms; ${res.leader.ticksInWindow} ticks in the window. Target p99 < 50 ms: ${res.target.met ? 'met' : 'NOT met'}.`,
      '',
      `Clients per node at the end (leader first; the leader's count includes the edges' clients, sessions without a socket there): ${res.nodeClients.join(', ')}.`,
      '',
      markdownTable(
        ['process', 'role', 'CPU % of a core', 'RSS MiB', 'read MiB/s', 'written MiB/s'],
        res.processes.map((p) => [p.name, p.role, f1(p.cpuPct), f1(p.rssMiB), f1(p.readMiBs), f1(p.writeMiBs)]),
        ['l', 'l', 'r', 'r', 'r', 'r'],
      ),
      '',
      `Bots: ${res.bots.everConnected}/${res.bots.count} connected (${res.bots.connectedAtEnd} at the end, ${res.bots.reconnects} reconnects), ${res.bots.messagesIn} messages in (${(res.bots.bytesIn / 2 ** 20).toFixed(1)} MiB), ping p50 up to ${f1(res.bots.pingMsP50Max)} ms, p99 up to ${f1(res.bots.pingMsP99Max)} ms (worst process); errors ${res.bots.errors} ${JSON.stringify(res.bots.errorCodes)}, unexpected closes ${res.bots.unexpectedCloses}.`,
      '',
      'Regenerate with `npm run bench:edge-fanout -- --write` (options: bench/edge-fanout/run-edge-fanout.ts).',
    ].join('\n');
    console.log(md);
    if (res.options.write || res.options.out) {
      const out = res.options.out ?? join(repoRoot(), 'bench', 'results', res.meta.machine.slug, 'edge-fanout.json');
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, `${JSON.stringify(res, null, 2)}\n`);
      writeFileSync(out.replace(/\.json$/, '.md'), `${md}\n`);
      console.log(`written: ${out}`);
    }
  }
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
