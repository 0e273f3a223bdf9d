/**
 * Snapshots through `tessera serve` (issue 19): a leader run with --replicate-snapshot-every and
 * --replicate-log-max-ticks stores snapshots (the newest --replicate-snapshot-keep) while its log
 * is trimmed; a `--follow` replica started after tick 0 left the log starts from the newest
 * snapshot, takes over when the leader stops (which stores one last snapshot), and a third copy
 * started from a snapshot afterwards follows the new leader without a mismatch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ConfigError, resolveConfig, serve, type Server } from '../src/serve';
import { loadScene, sceneSetup } from '../src/scene';
import { JetStreamTickLog } from '../src/replica/jetstream-log';
import { ReplicaNode } from '../src/replica/replica-node';
import { SnapshotStore } from '../src/replica/snapshots';
import { natsUrl, uniqueWorld } from './helpers/nats';
import { request, waitFor } from './helpers/net';
import { writeSmallScene } from './helpers/replica';

jest.setTimeout(60_000);

let dir: string;
let scenePath: string;
let nc: NatsConnection;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-snapserve-'));
  scenePath = writeSmallScene(dir);
  nc = await connect({ servers: await natsUrl() });
});
afterAll(async () => {
  await nc.drain();
  rmSync(dir, { recursive: true, force: true });
});

test('settings: a trimmed log needs snapshots well inside it; snapshot settings need --replicate', () => {
  expect(() => resolveConfig({ replicate: 'nats://127.0.0.1:4222', replicateLogMaxTicks: '100', replicateSnapshotEvery: '0' }, {})).toThrow(ConfigError);
  expect(() => resolveConfig({ replicate: 'nats://127.0.0.1:4222', replicateLogMaxTicks: '100', replicateSnapshotEvery: '60' }, {})).toThrow(
    /at least 2 x replicateSnapshotEvery/,
  );
  expect(() => resolveConfig({}, { TESSERA_REPLICATE_SNAPSHOT_EVERY: '100' })).toThrow(/is a replication setting/);
  const c = resolveConfig(
    { replicate: 'nats://127.0.0.1:4222' },
    { TESSERA_REPLICATE_SNAPSHOT_EVERY: '50', TESSERA_REPLICATE_SNAPSHOT_KEEP: '2', TESSERA_REPLICATE_LOG_MAX_TICKS: '100' },
  );
  expect(c).toMatchObject({ replicateSnapshotEvery: 50, replicateSnapshotKeep: 2, replicateLogMaxTicks: 100, replicateSnapshotMaxBytes: 256 << 20 });
});

test('a --follow replica started after the log was trimmed starts from a snapshot, takes over at a graceful stop, and a later copy follows the new leader', async () => {
  const world = uniqueWorld('snapserve');
  const url = await natsUrl();
  const settings = {
    workers: '0',
    scene: scenePath,
    replicate: url,
    replicateWorld: world,
    replicateSnapshotEvery: '20',
    replicateSnapshotKeep: '2',
    replicateLogMaxTicks: '50',
  };
  const a = await serve(resolveConfig({ ...settings, port: '0', data: join(dir, `${world}-a`) }, {}), pino({ level: 'silent' }));
  const bLines: Array<Record<string, unknown>> = [];
  let b: Server | null = null;
  let watcher: ReplicaNode | null = null;
  try {
    const log = await JetStreamTickLog.open(nc, { world });
    // the log keeps 50 ticks: wait until tick 0 is gone
    await waitFor(() => a.host.world.stream.tick >= 80, 20_000, 'leader ticks');
    expect(await log.sequenceOf(0)).toBeNull();
    const snaps = await SnapshotStore.open(nc, { world });
    const stored = await snaps.list();
    expect(stored.length).toBe(2);
    expect(stored.every((e) => (e.tick + 1) % 20 === 0)).toBe(true);
    // the leader's figures
    const am = (await request('GET', `http://127.0.0.1:${a.host.port}/metrics`)).json as string;
    expect(Number(/^tessera_replication_snapshots_put_total (\d+)$/m.exec(am)?.[1])).toBeGreaterThanOrEqual(3);
    expect(Number(/^tessera_replication_snapshot_bytes (\d+)$/m.exec(am)?.[1])).toBeGreaterThan(1000);
    expect(am).toMatch(/^tessera_replication_snapshots_failed_total 0$/m);
    const bStarting = serve(
      resolveConfig({ ...settings, port: '0', data: join(dir, `${world}-b`), follow: true }, {}),
      pino({ level: 'info' }, { write: (s: string) => void bLines.push(JSON.parse(s) as Record<string, unknown>) }),
    );
    await waitFor(() => bLines.some((l) => l.msg === 'replica: following the world log'), 20_000, 'the replica to follow');
    const following = bLines.find((l) => l.msg === 'replica: following the world log');
    expect(typeof following?.snapshot).toBe('number');
    // a stops gracefully: one more snapshot, after its last tick, the lease released
    await a.stop();
    const last = a.host.world.stream.tick - 1;
    b = await bStarting;
    expect(b.host.world.stream.tick).toBeGreaterThanOrEqual(last + 1); // b may have ticked while serve finished starting
    expect((await snaps.list())[0].tick).toBe(last);
    await waitFor(() => (b as Server).host.world.stream.tick >= last + 30, 20_000, 'the new leader to tick');
    const m = (await request('GET', `http://127.0.0.1:${b.host.port}/metrics`)).json as string;
    expect(m).toMatch(/^tessera_replication_mismatches_total 0$/m);
    expect(m).toMatch(/^tessera_replication_leader 1$/m);
    // a copy started now, from the newest snapshot, follows b without a mismatch
    watcher = await ReplicaNode.start({ nats: url, world, id: 'w', leaseMs: 1_000, setup: sceneSetup(loadScene(scenePath)), log: pino({ level: 'silent' }) });
    const from = watcher.stats().next;
    expect(watcher.stats().startedAfter).toBeGreaterThanOrEqual(last - 1);
    await waitFor(() => (watcher as ReplicaNode).stats().next >= from + 30 || (watcher as ReplicaNode).stats().failed, 20_000, 'the copy to follow b');
    expect(watcher.stats()).toMatchObject({ mismatches: 0, resyncs: 0, failed: false });
  } finally {
    await watcher?.close();
    await a.stop();
    await b?.stop();
  }
});
