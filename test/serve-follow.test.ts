/**
 * Failover of a replicated world (issue 19): `tessera serve --replicate` leads in a child process
 * while `serve --replicate --follow` waits as a replica. The leader is killed with SIGKILL, or
 * paused with SIGSTOP past its lease and resumed: the replica takes the lease and leads from the
 * tick after the log's end (how fast: bench:failover, bench/failover/run-failover.ts), and a third copy applying the whole log (a run that never
 * failed) has the logged hash at every tick, with no tick missing or written twice. A paused
 * leader that wakes up finds itself deposed and stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { resolveConfig, serve, type Server } from '../src/serve';
import { natsUrl, uniqueWorld } from './helpers/nats';
import { request, waitFor } from './helpers/net';
import { builtHelper } from './helpers/child-host';
import { watchLog, writeSmallScene } from './helpers/replica';

jest.setTimeout(120_000);

let dir: string;
let scenePath: string;
let nc: NatsConnection;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-follow-'));
  scenePath = writeSmallScene(dir);
  nc = await connect({ servers: await natsUrl() });
});
afterAll(async () => {
  await nc.drain();
  rmSync(dir, { recursive: true, force: true });
});

/** `tessera serve --replicate` in a child process; resolves once it listens. */
async function startLeader(world: string, data: string): Promise<{ proc: ChildProcess; lines: string[]; exit: Promise<number | null> }> {
  const cli = join(builtHelper('host-process'), '..', '..', '..', 'src', 'cli.js');
  const args = [
    cli,
    'serve',
    '--port',
    '0',
    '--data',
    join(dir, data),
    '--scene',
    scenePath,
    '--workers',
    '0',
    '--replicate',
    await natsUrl(),
    '--replicate-world',
    world,
  ];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (line.includes('"msg":"listening"')) resolve();
      }
    });
    void exit.then((code) => reject(new Error(`the leader exited (${code}): ${lines.join('\n')}`)));
  });
  return { proc, lines, exit };
}

const replica = async (world: string, data: string): Promise<Server> =>
  serve(
    resolveConfig({ port: '0', data: join(dir, data), workers: '0', scene: scenePath, replicate: await natsUrl(), replicateWorld: world, follow: true }, {}),
    pino({ level: 'silent' }),
  );

test.each([
  ['killed (SIGKILL)', 'SIGKILL'],
  ['paused past its lease (SIGSTOP), then resumed', 'SIGSTOP'],
] as const)('the leader %s: the replica leads from the next tick, the log replays without a gap', async (_name, signal) => {
  const world = uniqueWorld('follow');
  const a = await startLeader(world, `${world}-a`);
  const watch = await watchLog(nc, world, scenePath);
  let b: Server | null = null;
  try {
    const bStarting = replica(world, `${world}-b`);
    await waitFor(() => watch.follower.stats().next >= 60 || watch.bad.length > 0, 20_000, 'the leader to log 60 ticks');
    a.proc.kill(signal);
    const at = Date.now();
    b = await bStarting;
    const takeover = Date.now() - at;
    const from = b.host.world.stream.tick;
    // b leads from the tick after the last one a logged: the copy has every tick before it
    await waitFor(() => watch.follower.stats().next >= from + 40 || watch.bad.length > 0, 20_000, 'ticks from the new leader');
    expect(watch.bad).toEqual([]);
    const m = (await request('GET', `http://127.0.0.1:${b.host.port}/metrics`)).json as string;
    expect(m).toMatch(/^tessera_replication_leader 1$/m);
    console.log(`failover (${signal}): the replica led ${takeover} ms after the signal, from tick ${from}`);
    if (signal === 'SIGSTOP') {
      // a wakes up: its renewal is refused (or its next append fenced), it stops, and writes nothing
      a.proc.kill('SIGCONT');
      expect(await a.exit).toBe(0);
      expect(a.lines.some((l) => l.includes('this node is no longer the leader'))).toBe(true);
      const seen = watch.follower.stats().next;
      await waitFor(() => watch.follower.stats().next >= seen + 20 || watch.bad.length > 0, 20_000, 'more ticks after a stopped');
      expect(watch.bad).toEqual([]);
    }
  } finally {
    watch.stop();
    a.proc.kill('SIGCONT');
    a.proc.kill('SIGKILL');
    await a.exit;
    await b?.stop();
    await watch.follower.close();
  }
});

test('a replica waiting to lead has its own port: /metrics and /status show its copy and the leader, clients get 503 NOT_LEADER; it closes when the replica leads', async () => {
  const world = uniqueWorld('status');
  const url = await natsUrl();
  const cfg = (data: string, follow: boolean): ReturnType<typeof resolveConfig> =>
    resolveConfig({ port: '0', data: join(dir, data), workers: '0', scene: scenePath, replicate: url, replicateWorld: world, follow }, {});
  const a = await serve(cfg(`${world}-a`, false), pino({ level: 'silent' }));
  let statusPort = 0;
  let b: Server | null = null;
  try {
    const bStarting = serve(cfg(`${world}-b`, true), pino({ level: 'silent' }), {
      onWaiting: (w) => {
        statusPort = w.statusPort;
      },
    });
    await waitFor(() => statusPort > 0, 20_000, 'the replica to wait');
    const base = `http://127.0.0.1:${statusPort}`;
    await waitFor(() => a.host.world.stream.tick > 30, 20_000, 'the leader to tick');
    let m = '';
    for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      m = String((await request('GET', `${base}/metrics`)).json);
      if (Number(/^tessera_replica_next_tick (\d+)/m.exec(m)?.[1] ?? 0) > 20) break;
    }
    expect(Number(/^tessera_replica_next_tick (\d+)/m.exec(m)?.[1] ?? 0)).toBeGreaterThan(20);
    expect(m).toMatch(/^tessera_replication_leader 0$/m);
    expect(m).toMatch(/^tessera_replication_mismatches_total 0$/m);
    const st = (await request('GET', `${base}/status`)).json as {
      role: string;
      world: string;
      nextTick: number;
      failed: boolean;
      leader: { id: string } | null;
    };
    expect(st.role).toBe('replica');
    expect(st.world).toBe(world);
    expect(st.failed).toBe(false);
    expect(st.leader?.id).toMatch(/:\d+$/);
    const ws = await request('GET', `${base}/ws`);
    expect(ws.status).toBe(503);
    expect((ws.json as { code: string }).code).toBe('NOT_LEADER');
    // the leader stops (releasing the lease): the replica leads on its host, and the status port is gone
    await a.stop();
    b = await bStarting;
    expect(b.host.port).toBeGreaterThan(0);
    await expect(request('GET', `${base}/status`)).rejects.toThrow(/ECONNREFUSED/);
  } finally {
    await a.stop();
    await b?.stop();
  }
});
