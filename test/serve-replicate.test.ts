/**
 * `tessera serve --replicate` (issue 19, src/replica/leader.ts): the leader appends every closed
 * tick to the world's JetStream log, where a replica applying it has the leader's hash at every
 * tick; a second node cannot lead the same world (lease), a node with another history cannot
 * lead it either, and the leader restarted from its own data continues the same log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { resolveConfig, serve, type Server } from '../src/serve';
import { natsUrl, uniqueWorld } from './helpers/nats';
import { request, waitFor } from './helpers/net';
import { watchLog, writeSmallScene } from './helpers/replica';

jest.setTimeout(120_000);

let dir: string;
let scenePath: string;
let nc: NatsConnection;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-replicate-'));
  scenePath = writeSmallScene(dir);
  nc = await connect({ servers: await natsUrl() });
});
afterAll(async () => {
  await nc.drain();
  rmSync(dir, { recursive: true, force: true });
});

const quiet = pino({ level: 'silent' });
const start = async (data: string, world: string): Promise<Server> =>
  serve(resolveConfig({ port: '0', data: join(dir, data), workers: '0', scene: scenePath, replicate: await natsUrl(), replicateWorld: world }, {}), quiet);

test('a replica of the JetStream log has the leader hash at every tick; one leader per world; another history is refused; a restart continues the log', async () => {
  const world = uniqueWorld('serve');
  const a = await start('a', world);
  let a2: Server | null = null;
  const { follower, bad, stop: stopFeed } = await watchLog(nc, world, scenePath);
  try {
    await waitFor(() => a.host.world.stream.tick >= 60, 20_000, 'leader ticks');
    await waitFor(() => follower.stats().next >= 60 || bad.length > 0, 20_000, 'the replica');
    expect(bad).toEqual([]);
    // the leader's figures
    const m = (await request('GET', `http://127.0.0.1:${a.host.port}/metrics`)).json as string;
    expect(m).toMatch(/^tessera_replication_leader 1$/m);
    expect(Number(/^tessera_replication_tick\{which="replicated"\} (\d+)$/m.exec(m)?.[1])).toBeGreaterThanOrEqual(59);
    // a second node cannot lead the same world while a holds the lease
    await expect(start('b', world)).rejects.toThrow(new RegExp(`replicate \\(from world ${world}\\): world ${world} is led by `));
    // a stops (graceful: its last ticks reach the log, the lease is released)
    await a.stop();
    const last = a.host.world.stream.tick - 1;
    await waitFor(() => follower.stats().next > last || bad.length > 0, 20_000, 'the replica after the stop');
    expect(follower.stats().next).toBe(last + 1);
    // b, a new world, cannot lead the world whose log holds a's history
    await expect(start('b2', world)).rejects.toThrow(/already holds ticks 0\.\.\d+, and this node starts a new world/);
    // a, restarted from its data, continues the log: the replica goes on without a gap or a mismatch
    a2 = await start('a', world);
    expect(a2.host.world.stream.tick).toBe(last + 1);
    await waitFor(() => (a2 as Server).host.world.stream.tick >= last + 40, 20_000, 'ticks after the restart');
    await waitFor(() => follower.stats().next >= last + 40 || bad.length > 0, 20_000, 'the replica after the restart');
    expect(bad).toEqual([]);
    expect(follower.stats().mismatches).toBe(0);
  } finally {
    stopFeed();
    await a.stop();
    await a2?.stop();
    await follower.close();
  }
});
