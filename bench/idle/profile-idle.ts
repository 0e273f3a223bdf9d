/**
 * Where the idle demo world's CPU goes (issue 16): `tessera serve`'s main job in this process
 * (src/serve.ts, the demo scene, a fresh data directory, nobody connected), settled for
 * `settle` seconds of wall time, then for `window` seconds:
 * - the CPU of each thread of this process (utime + stime from /proc/self/task/<tid>/stat,
 *   grouped by thread name: the main thread, shard workers, V8 and libuv helpers), as a share
 *   of one core;
 * - a V8 CPU profile of the main thread (node:inspector), as self-time shares per function
 *   (function, file:line), and per file.
 *
 *   node build/dist/bench/idle/profile-idle.js [--settle 60 --window 20 --port 9431 --top 30 --out profile.cpuprofile --v8 1]
 *
 * The V8 profile samples wall time: a main thread blocked in a call (the log append's fsync,
 * the wait for the shard workers) shows as that call. For CPU alone, run with `--v8 0` under
 * `node --perf-basic-prof` and `perf record -e cpu-clock -p <pid>` during the first window
 * (the script prints `window start (pid N)` when it begins).
 *
 * Shares (proportions of samples) are what to compare between builds on a busy machine; the
 * absolute CPU figures are indicative only.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DEFAULT_SERVE, serve } from '../../src/serve';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const SETTLE = Number(arg('settle', '60')),
  WINDOW = Number(arg('window', '20')),
  PORT = Number(arg('port', '9431')),
  TOP = Number(arg('top', '30')),
  OUT = arg('out', ''),
  V8 = arg('v8', '1') !== '0';
const USER_HZ = 100;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU seconds of each thread of this process by tid, with its name. */
function threadCpu(): Map<number, { name: string; s: number }> {
  const out = new Map<number, { name: string; s: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { name, s: (Number(f[11]) + Number(f[12])) / USER_HZ });
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

/** Prints the CPU of each thread between two threadCpu() readings, as shares of one core. */
function printCpu(what: string, c0: Map<number, { name: string; s: number }>, c1: Map<number, { name: string; s: number }>, wall: number): void {
  let total = 0;
  const rows: Array<[string, number]> = [];
  for (const [tid, b] of c1) {
    const a = c0.get(tid);
    const d = b.s - (a ? a.s : 0);
    total += d;
    if (d > 0) rows.push([`${tid === process.pid ? 'main' : b.name} (${tid})`, d]);
  }
  console.log(`\n${what}: process CPU ${((total / wall) * 100).toFixed(2)} % of a core over ${wall.toFixed(1)} s (indicative)`);
  for (const [n, s] of rows.sort((x, y) => y[1] - x[1])) console.log(`  ${n.padEnd(24)} ${((s / wall) * 100).toFixed(2)} %`);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function post<T>(s: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => s.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r as T))));
}

async function main(): Promise<void> {
  const data = mkdtempSync(join(tmpdir(), 'tessera-idle-prof-'));
  const server = await serve({ ...DEFAULT_SERVE, port: PORT, data, logLevel: 'warn' }, pino({ level: 'warn' }));
  try {
    console.log(`serve up in-process; settling ${SETTLE} s with nobody connected`);
    await sleep(SETTLE * 1000);
    // the CPU without the profiler first (its sampling costs the main thread CPU of its own)
    const b0 = threadCpu(),
      bt0 = performance.now();
    console.log(`window start (pid ${process.pid})`); // e.g. \`perf record -p <pid>\` for the window from outside
    await sleep(WINDOW * 1000);
    printCpu('without the profiler', b0, threadCpu(), (performance.now() - bt0) / 1000);
    if (!V8) return;
    const session = new Session();
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 1000 });
    const c0 = threadCpu(),
      t0 = performance.now(),
      ticks0 = server.host.world.stream.tick;
    await post(session, 'Profiler.start');
    await sleep(WINDOW * 1000);
    const { profile } = await post<{ profile: { nodes: ProfileNode[] } }>(session, 'Profiler.stop');
    const c1 = threadCpu(),
      wall = (performance.now() - t0) / 1000,
      ticks = server.host.world.stream.tick - ticks0;
    session.disconnect();
    if (OUT) writeFileSync(OUT, JSON.stringify(profile));

    console.log(`${ticks} ticks in ${wall.toFixed(1)} s`);
    printCpu('with the profiler', c0, c1, wall);

    // self time by function and by file
    const fn = new Map<string, number>(),
      file = new Map<string, number>();
    let samples = 0,
      idle = 0;
    for (const n of profile.nodes) {
      const h = n.hitCount ?? 0;
      if (!h) continue;
      const c = n.callFrame;
      if (c.functionName === '(idle)') {
        idle += h;
        continue;
      }
      samples += h;
      const short = c.url.replace(/^.*\/build\/dist\//, '').replace(/^.*\/node_modules\//, 'nm/');
      const k = `${c.functionName || '(anonymous)'}  ${short}:${c.lineNumber + 1}`;
      fn.set(k, (fn.get(k) ?? 0) + h);
      file.set(short || c.functionName, (file.get(short || c.functionName) ?? 0) + h);
    }
    console.log(`\nmain thread: ${samples} busy samples (${idle} idle); self-time share of the busy samples`);
    for (const [k, h] of [...fn].sort((x, y) => y[1] - x[1]).slice(0, TOP)) console.log(`  ${((h / samples) * 100).toFixed(1).padStart(5)} %  ${k}`);
    console.log('\nby file:');
    for (const [k, h] of [...file].sort((x, y) => y[1] - x[1]).slice(0, 20)) console.log(`  ${((h / samples) * 100).toFixed(1).padStart(5)} %  ${k}`);
  } finally {
    await server.stop();
    rmSync(data, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
