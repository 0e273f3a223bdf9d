/**
 * The one-command local cluster as the README runs it (scripts/cluster.mjs, from build/dist):
 * nats-server, `tessera serve --cluster` and 2 shard processes; /healthz answers, the world
 * ticks, /metrics and /stats show the cluster; Ctrl-C (SIGINT) leaves no process and no temp
 * store behind. Started again on the same data directory, the world continues from its snapshot
 * through new shard processes; a shard process killed with -9 is named and everything else stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, waitFor } from './helpers/net';
import { builtCli } from './helpers/child-host';
import { uniqueWorld } from './helpers/nats';

const script = join(__dirname, '..', 'scripts', 'cluster.mjs');

interface Run {
  proc: ChildProcess;
  out: string[];
  err: string[];
  exit: Promise<number | null>;
  /** Pids the script printed, by name (nats, serve, shard-1, ...). */
  pids: Map<string, number>;
  base: string;
  natsDir: string;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function startCluster(data: string, world: string): Promise<Run> {
  builtCli(); // throws when the build is missing
  const proc = spawn(process.execPath, [script, '--shards', '2', '--port', '0', '--data', data, '--world', world], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [],
    err: string[] = [];
  let buf = '';
  proc.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    out.push(...parts);
  });
  proc.stderr?.on('data', (d: Buffer) => err.push(d.toString()));
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  let exited = false;
  void exit.then(() => (exited = true));
  await waitFor(() => exited || out.some((l) => l.startsWith('cluster: ready')), 60_000, 'the cluster to be ready');
  if (exited) throw new Error(`cluster.mjs exited: ${out.join('\n')}\n${err.join('')}`);
  const pids = new Map<string, number>();
  for (const l of out) {
    const m = /^cluster: (nats|serve|shard-\d+) .*?pid (\d+)/.exec(l);
    if (m) pids.set(m[1], Number(m[2]));
  }
  const base = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out.find((l) => l.startsWith('cluster: ready')) ?? '')?.[1] ?? '';
  const natsDir = /JetStream store in (\S+)\)/.exec(out.join('\n'))?.[1] ?? '';
  return { proc, out, err, exit, pids, base, natsDir };
}

const tickOf = async (base: string): Promise<number> => (await request('GET', `${base}/healthz`)).json.tick as number;

async function ticking(base: string): Promise<number> {
  const h = await request('GET', `${base}/healthz`);
  expect(h.status).toBe(200);
  expect(h.json.ok).toBe(true);
  const t0 = h.json.tick as number;
  let t = t0;
  const end = Date.now() + 20_000;
  while (t <= t0 + 5 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    t = await tickOf(base);
  }
  expect(t).toBeGreaterThan(t0 + 5);
  return t;
}

/** Every process the script started is gone, and so is its nats store. */
function nothingLeft(r: Run): void {
  expect([...r.pids.keys()].sort()).toEqual(['nats', 'serve', 'shard-1', 'shard-2']);
  expect([...r.pids.entries()].filter(([, pid]) => alive(pid))).toEqual([]);
  expect(r.natsDir).not.toBe('');
  expect(existsSync(r.natsDir)).toBe(false);
}

test('npm run cluster: nats + serve + 2 shard processes tick, show the cluster in /metrics and /stats, and Ctrl-C leaves nothing; a restart continues the world; a killed shard stops the rest', async () => {
  const data = mkdtempSync(join(tmpdir(), 'tessera-cluster-ops-'));
  const world = uniqueWorld('ops');
  const runs: Run[] = [];
  try {
    const a = await startCluster(data, world);
    runs.push(a);
    await ticking(a.base);
    // its nats-server admits only the keys it made (src/cluster/auth.ts): the coordinator and each process
    expect(a.out.find((l) => l.startsWith('cluster: nats '))).toMatch(/users: keys in \S+keys$/);
    expect(a.out.join('\n')).not.toMatch(/requires no authentication/);
    const metrics = (await request('GET', `${a.base}/metrics`)).json as string;
    expect(Number(/^tessera_cluster_ticks_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(Number(/^tessera_cluster_result_bytes_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/^tessera_cluster_processes 2$/m);
    expect(metrics).toMatch(/^tessera_cluster_regions\{process="shard-1"\} 2$/m);
    expect(metrics).toMatch(/^tessera_cluster_failovers_total 0$/m);
    const stats = (await request('GET', `${a.base}/stats`)).json;
    expect(stats.cluster.world).toBe(world);
    // the demo scene's 4 regions round-robin over 2 processes
    expect(stats.cluster.processes.map((p: { id: string; regions: number[] }) => [p.id, p.regions])).toEqual([
      ['shard-1', [0, 2]],
      ['shard-2', [1, 3]],
    ]);
    // heartbeats from the members bucket: each process with the pid the script printed
    for (const p of stats.cluster.processes as Array<{ id: string; pid: number; heartbeatAgeMs: number; tick: number }>) {
      expect(p.pid).toBe(a.pids.get(p.id));
      expect(p.heartbeatAgeMs).toBeLessThan(10_000);
      expect(p.tick).toBeGreaterThan(0);
    }
    expect(metrics).toMatch(/^tessera_cluster_process_step_seconds\{process="shard-2"\} [0-9.e-]+$/m);
    expect(metrics).toMatch(/^tessera_cluster_heartbeat_age_seconds\{process="shard-1"\} [0-9.e-]+$/m);
    // each shard process's own /metrics (tessera shard --metrics-port 0, printed by the script)
    const shardMetrics = /^cluster: shard-1 metrics (http:\S+)$/m.exec(a.out.join('\n'))?.[1] ?? '';
    expect(shardMetrics).not.toBe('');
    const sm = (await request('GET', shardMetrics)).json as string;
    expect(Number(/^tessera_shard_ticks_total (\d+)/m.exec(sm)?.[1])).toBeGreaterThan(0);
    expect(Number(/^tessera_shard_results_published_total (\d+)/m.exec(sm)?.[1])).toBeGreaterThan(0);
    expect(sm).toMatch(/^tessera_shard_last_step_seconds [0-9.e-]+$/m);
    expect(sm).toMatch(/^tessera_shard_process_resident_memory_bytes \d+/m);
    const before = await tickOf(a.base);
    a.proc.kill('SIGINT');
    expect(await a.exit).toBe(0);
    nothingLeft(a);
    expect(a.out.join('\n')).toMatch(/cluster: stopped nats .*serve .*shard-1 .*shard-2/);

    // the same data directory: the world continues from its last snapshot, through new shard processes
    const b = await startCluster(data, world);
    runs.push(b);
    expect(await tickOf(b.base)).toBeGreaterThanOrEqual(before);
    await ticking(b.base);
    process.kill(b.pids.get('shard-2') as number, 'SIGKILL');
    expect(await b.exit).toBe(1);
    expect(b.err.join('')).toMatch(/shard-2 \(pid \d+\) exited unexpectedly \(signal SIGKILL\): stopping the rest/);
    nothingLeft(b);
  } finally {
    for (const r of runs) {
      if (r.proc.exitCode === null) r.proc.kill('SIGINT');
      for (const pid of r.pids.values()) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(data, { recursive: true, force: true });
  }
}, 90_000);
