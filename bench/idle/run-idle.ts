/**
 * The demo world at rest (issue 16): what a settled world with nobody doing anything costs.
 *
 *   npm run bench:idle [-- --settle 60 --window 20 --port 9421]
 *
 * `tessera serve` runs the demo scene in a child process on a fresh data directory:
 * 1. nobody connected: after `settle` seconds of wall time, the host's CPU use over `window`
 *    seconds (utime + stime of the child from /proc/<pid>/stat, as a share of one core), and
 *    its step time p50/p99 from /stats;
 * 2. one idle guest connects (it never sends input): its avatar spawns and falls; after
 *    `settle-client` seconds the bytes the client receives over `window` seconds (every
 *    WebSocket frame's payload, as kB/s), the host's CPU over the same window, and how far the
 *    client's own avatar moves in that window (the largest distance from its first position
 *    in the window, from the states the client mirrors, 1/1024 m resolution) and its height.
 *
 * Targets (issue 16): under 2 % of a core once settled; an idle client under 5 kB/s; an avatar
 * without input rests within 1 mm. Results: bench/results/<machine>/idle.{json,md}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createNodeClient, type SocketFactory } from '../../src/client/node';
import { AVATAR } from '../../src/sim/event-bodies';
import { markdownTable, repoRoot, runMeta } from '../results';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const SETTLE = Number(arg('settle', '60')),
  SETTLE_CLIENT = Number(arg('settle-client', '20')),
  WINDOW = Number(arg('window', '20')),
  PORT = Number(arg('port', '9421'));
const cli = join(repoRoot(), 'build', 'dist', 'src', 'cli.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TICKS_PER_SEC = 100; // USER_HZ of /proc/<pid>/stat on Linux

/** utime + stime of a process, seconds (fields 14 and 15 of /proc/<pid>/stat). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SEC;
}

function startServe(data: string): { proc: ChildProcess; listening: Promise<void> } {
  const proc = spawn(process.execPath, [cli, 'serve', '--port', String(PORT), '--data', data, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const listening = new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error('serve did not answer /healthz within 60 s')), 60_000);
    const poll = async (): Promise<void> => {
      try {
        if ((await fetch(`http://127.0.0.1:${PORT}/healthz`)).ok) {
          clearTimeout(deadline);
          resolve();
          return;
        }
      } catch {
        /* not yet listening */
      }
      setTimeout(() => void poll(), 250);
    };
    void poll();
    proc.once('exit', (c) => reject(new Error(`serve exited with ${c}`)));
  });
  return { proc, listening };
}

/** CPU share of one core used by `pid` over `seconds` of wall time. */
async function cpuShare(pid: number, seconds: number): Promise<number> {
  const c0 = cpuSeconds(pid),
    t0 = performance.now();
  await sleep(seconds * 1000);
  return (cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000);
}

async function stats(): Promise<{ stepMsP50: number; stepMsP99: number }> {
  const r = await fetch(`http://127.0.0.1:${PORT}/stats`);
  return (await r.json()) as { stepMsP50: number; stepMsP99: number };
}

async function main(): Promise<void> {
  const data = mkdtempSync(join(tmpdir(), 'tessera-idle-'));
  const { proc, listening } = startServe(data);
  const pid = proc.pid as number;
  try {
    await listening;
    console.log(`serve up (pid ${pid}); settling ${SETTLE} s with nobody connected`);
    await sleep(SETTLE * 1000);
    const idleCpu = await cpuShare(pid, WINDOW);
    const idleStats = await stats();
    console.log(
      `nobody connected: ${(idleCpu * 100).toFixed(2)} % of a core, step p50 ${idleStats.stepMsP50.toFixed(2)} ms p99 ${idleStats.stepMsP99.toFixed(2)} ms`,
    );

    // one idle client: counts the payload bytes of every frame it receives
    let bytes = 0;
    class CountingSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        this.on('message', (d: ArrayBuffer | Buffer) => {
          bytes += d.byteLength;
        });
      }
    }
    let avatar: { index: number; generation: number } | null = null;
    let publicId = 0;
    const positions: Array<[number, number, number]> = [];
    let recording = false;
    const client = createNodeClient(
      {
        url: `ws://127.0.0.1:${PORT}/ws`,
        token: 'guest',
        privateId: 'idle-bench',
        WebSocket: CountingSocket as unknown as SocketFactory,
        reconnect: { enabled: false },
      },
      {
        onServerEvent(e) {
          if (avatar || e.type !== AVATAR.type) return;
          const av = AVATAR.decode(e.body);
          if (av && av.publicId === publicId) avatar = { index: Number(av.body & 0xffffffffn), generation: Number(av.body >> 32n) };
        },
        onState(m) {
          if (!recording || !avatar) return;
          const b = m.bodies.get(avatar.index);
          if (b && b.generation === avatar.generation) positions.push([b.px / 1024, b.py / 1024, b.pz / 1024]);
        },
      },
    );
    const w = await client.connect();
    publicId = w.publicId;
    console.log(`idle client joined as ${publicId}; letting its avatar settle ${SETTLE_CLIENT} s`);
    await sleep(SETTLE_CLIENT * 1000);
    recording = true;
    const b0 = bytes,
      t0 = performance.now();
    const clientCpu = await cpuShare(pid, WINDOW);
    const kBps = (bytes - b0) / 1000 / ((performance.now() - t0) / 1000);
    recording = false;
    const clientStats = await stats();
    let drift = Number.NaN,
      height = Number.NaN;
    if (positions.length > 0) {
      const [x0, y0, z0] = positions[0];
      drift = Math.max(...positions.map(([x, y, z]) => Math.hypot(x - x0, y - y0, z - z0)));
      height = positions[positions.length - 1][1];
    }
    client.close();
    console.log(
      `idle client: ${kBps.toFixed(2)} kB/s received, host ${(clientCpu * 100).toFixed(2)} % of a core; avatar ${avatar ? 'found' : 'NOT found'}, ${positions.length} states, moved ${(drift * 1000).toFixed(2)} mm, y = ${height.toFixed(4)} m`,
    );

    const meta = runMeta({ maxTimeSeconds: 0, filter: null });
    const verdict = (ok: boolean): string => (ok ? 'met' : 'missed');
    const rows = [
      ['host CPU, nobody connected', `${(idleCpu * 100).toFixed(2)} % of a core`, '< 2 %', verdict(idleCpu < 0.02)],
      ['host step time, nobody connected (p50 / p99)', `${idleStats.stepMsP50.toFixed(2)} / ${idleStats.stepMsP99.toFixed(2)} ms`, '', ''],
      ['host CPU, one idle client', `${(clientCpu * 100).toFixed(2)} % of a core`, '', ''],
      ['bytes to the idle client', `${kBps.toFixed(2)} kB/s`, '< 5 kB/s', verdict(kBps < 5)],
      ['idle avatar: largest move over the window', `${(drift * 1000).toFixed(2)} mm (${positions.length} states)`, '< 1 mm', verdict(drift < 0.001)],
      ['idle avatar: height of its centre', `${height.toFixed(4)} m`, '', ''],
      ['host step time, one idle client (p50 / p99)', `${clientStats.stepMsP50.toFixed(2)} / ${clientStats.stepMsP99.toFixed(2)} ms`, '', ''],
    ];
    const md = [
      '# The demo world at rest',
      '',
      `- date: ${meta.date}`,
      `- machine: ${meta.machine.cpuModel}, ${meta.machine.cores} logical cores (\`${meta.machine.slug}\`); node ${meta.node}`,
      `- git: ${meta.git ? `${meta.git.commit.slice(0, 12)}${meta.git.dirty ? ' (uncommitted changes)' : ''}` : 'n/a'}`,
      `- method: bench/idle/run-idle.ts: \`tessera serve\` (demo scene, fresh data directory) in a child process; settle ${SETTLE} s with nobody connected, then CPU over ${WINDOW} s; then one guest that sends no input, settle ${SETTLE_CLIENT} s, then bytes, CPU and its avatar's motion over ${WINDOW} s. CPU = utime + stime of the child from /proc, per wall second.`,
      '',
      markdownTable(['measure', 'value', 'target', ''], rows),
      '',
    ].join('\n');
    const out = join(repoRoot(), 'bench', 'results', meta.machine.slug);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'idle.md'), md);
    writeFileSync(
      join(out, 'idle.json'),
      `${JSON.stringify({ schema: 'tessera.idle.v1', meta, idleCpu, idleStats, clientCpu, kBps, driftM: drift, heightM: height, states: positions.length, clientStats }, null, 2)}\n`,
    );
    console.log(`[idle] wrote bench/results/${meta.machine.slug}/idle.{md,json}`);
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(data, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
