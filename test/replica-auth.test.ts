/**
 * NATS users of a replicated world (issue 19, "every door authenticates"; src/replica/auth.ts):
 * `tessera cluster-keys --replicas` makes a key per replication node, and a nats-server started
 * with its config lets a leader and its replicas run, fail over and read the log with no
 * permission refused, while a shard process's key, a client without a key and a replica key of
 * another world can neither append to the log, take the lease nor erase history.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { AuthorizationError, connect, type NatsConnection, nkeyAuthenticator, PermissionViolationError } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { makeClusterKeys, readNkeySeed, type ClusterKeys } from '../src/cluster/auth';
import { names } from '../src/cluster/subjects';
import { replicaPermissions, replicationStreams } from '../src/replica/auth';
import { logNames } from '../src/replica/jetstream-log';
import { leaseBucket } from '../src/replica/lease';
import { snapshotBucket } from '../src/replica/snapshots';
import { ConfigError, resolveConfig, serve, type Server } from '../src/serve';
import { startNats, uniqueWorld, type NatsServer } from './helpers/nats';
import { waitFor } from './helpers/net';
import { watchLog, writeSmallScene } from './helpers/replica';

jest.setTimeout(120_000);

let dir: string;
let scenePath: string;
let server: NatsServer;
let keys: ClusterKeys;
const world = uniqueWorld('rauth');
const conns: NatsConnection[] = [];

/** A connection as user `id` of `set`, recording what the server refused it. */
const as = async (id: string, set: ClusterKeys = keys): Promise<{ nc: NatsConnection; denied: string[] }> => {
  const nc = await connect({ servers: server.url, authenticator: nkeyAuthenticator(readNkeySeed(set.seeds[id])), inboxPrefix: `_INBOX_${id}` });
  conns.push(nc);
  const denied: string[] = [];
  void (async () => {
    for await (const s of nc.status())
      if (s.type === 'error' && s.error instanceof PermissionViolationError) denied.push(`${s.error.operation} ${s.error.subject}`);
  })();
  return { nc, denied };
};

const node = async (data: string, key: string, follow: boolean): Promise<Server> =>
  serve(
    resolveConfig(
      {
        port: '0',
        data: join(dir, data),
        workers: '0',
        scene: scenePath,
        replicate: server.url,
        replicateWorld: world,
        replicateNkey: keys.seeds[key],
        follow,
        replicateSnapshotEvery: '20',
        replicateSnapshotKeep: '2',
      },
      {},
    ),
    pino({ level: 'silent' }),
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-rauth-'));
  scenePath = writeSmallScene(dir);
  keys = makeClusterKeys({ world, ids: ['p'], replicas: ['r1', 'r2', 'r3'], dir: join(dir, 'keys') });
  server = await startNats({ args: ['-c', keys.conf] });
}, 60_000);
afterAll(async () => {
  for (const c of conns) await c.close().catch(() => undefined);
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a leader and a replica with their keys replicate, store and prune snapshots and fail over; a third key reads the log; nothing is refused', async () => {
  const a = await node('a', 'r1', false);
  let b: Server | null = null;
  const reader = await as('r3');
  const watch = await watchLog(reader.nc, world, scenePath);
  try {
    const bStarting = node('b', 'r2', true);
    await waitFor(() => watch.follower.stats().next >= 40 || watch.bad.length > 0, 20_000, 'the leader to log 40 ticks');
    await a.stop(); // releases the lease: b leads from the next tick
    b = await bStarting;
    const from = b.host.world.stream.tick;
    await waitFor(() => watch.follower.stats().next >= from + 20 || watch.bad.length > 0, 20_000, 'ticks from the new leader');
    expect(watch.bad).toEqual([]);
    // snapshots were stored (every 20 ticks, the newest 2 kept: older ones purged) under these users
    const objects = (await (await new Objm(reader.nc).open(snapshotBucket(world))).list()).filter((o) => !o.deleted);
    expect(objects.length).toBeGreaterThanOrEqual(1);
    expect(objects.length).toBeLessThanOrEqual(2);
    expect(reader.denied).toEqual([]);
    expect(server.log()).not.toMatch(/Permissions Violation/);
  } finally {
    watch.stop();
    await a.stop();
    await b?.stop();
    await watch.follower.close();
  }
});

test("a shard process's key cannot append to the log, read it, or take the lease; a replica key cannot erase the log or touch the cluster", async () => {
  const { stream, subject } = logNames(world);
  const p = await as('p');
  const r = await as('r3');
  const tick = new Uint8Array([1, 2, 3]);
  // p: the log's subject and the lease's key are not its to publish, the log's API not its to call
  await expect(jetstream(p.nc).publish(subject, tick, { timeout: 1_000 })).rejects.toThrow();
  await expect((await jetstreamManager(p.nc, { checkAPI: false })).streams.info(stream)).rejects.toThrow();
  await expect(new Kvm(p.nc).create(leaseBucket(world), { history: 1, ttl: 1_000 })).rejects.toThrow();
  // r3: may read the log, may not purge or delete it or its messages
  const jsm = await jetstreamManager(r.nc);
  const before = (await jsm.streams.info(stream)).state.messages;
  expect(before).toBeGreaterThan(40);
  await expect(jsm.streams.purge(stream)).rejects.toThrow();
  await expect(jsm.streams.deleteMessage(stream, 1)).rejects.toThrow();
  await expect(jsm.streams.delete(stream)).rejects.toThrow();
  expect((await jsm.streams.info(stream)).state.messages).toBe(before);
  r.nc.publish(names(world).order, tick);
  await r.nc.flush().catch(() => undefined);
  await new Promise((res) => setTimeout(res, 300));
  expect(p.denied).toContain(`publish ${subject}`);
  expect(r.denied).toEqual(
    expect.arrayContaining([
      `publish $JS.API.STREAM.PURGE.${stream}`,
      `publish $JS.API.STREAM.MSG.DELETE.${stream}`,
      `publish $JS.API.STREAM.DELETE.${stream}`,
      `publish ${names(world).order}`,
    ]),
  );
});

test("a client without a key cannot connect; a replica key of another world cannot read this world's log", async () => {
  await expect(connect({ servers: server.url, reconnect: false })).rejects.toBeInstanceOf(AuthorizationError);
  const other = uniqueWorld('rauth2');
  const perms = replicaPermissions(other, 'r1');
  const own = [...perms.publish.allow, ...perms.subscribe.allow];
  // every subject names the other world's streams, log, lease or the node's own inbox
  const mine = [
    ...replicationStreams(other),
    logNames(other).subject,
    `tessera.${other}.data.`,
    `tessera.${other}.edge.`,
    leaseBucket(other),
    snapshotBucket(other),
    '_INBOX_r1.',
    '$JS.API.INFO',
  ];
  expect(own.every((s) => mine.some((m) => s.includes(m)))).toBe(true);
  expect(own.some((s) => s.includes(world))).toBe(false);
});

test('serve with a key the server does not know stops with a clear error', async () => {
  const stranger = makeClusterKeys({ world, ids: [], replicas: ['r1'], dir: join(dir, 'stranger') });
  const err = await serve(
    resolveConfig(
      { port: '0', data: join(dir, 'c'), workers: '0', scene: scenePath, replicate: server.url, replicateWorld: world, replicateNkey: stranger.seeds.r1 },
      {},
    ),
    pino({ level: 'silent' }),
  ).then(
    (s) => s.stop().then(() => null),
    (e: Error) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  expect(err?.message).toMatch(/Authorization Violation/);
});
