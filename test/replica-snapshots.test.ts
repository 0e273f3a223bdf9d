/**
 * Snapshots of a replicated world (issue 19, src/replica/snapshots.ts): the leader stores one in
 * the world's JetStream object store every N ticks and keeps the newest K; a replica started
 * late, after the log's start was trimmed, starts from the newest usable one and then has the
 * leader's hash at every tick, and promoted it leads with the hash of a run that never failed;
 * damaged or forged snapshots are refused with their code and the replica falls back to an older
 * one or to tick 0; a copy that differs from the log resyncs from a snapshot and matches again,
 * and a log that a resync cannot cure stops the replica with DIVERGED.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SqliteStore } from '../src/persist/sqlite-store';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { JetStreamTickLog } from '../src/replica/jetstream-log';
import { ReplicationLeader } from '../src/replica/leader';
import { ReplicaNode } from '../src/replica/replica-node';
import {
  type SnapshotError,
  SnapshotStore,
  captureSnapshot,
  decodeSnapshot,
  encodeSnapshot,
  restoreSnapshot,
  snapshotName,
  SNAPSHOT_HEADER_BYTES,
} from '../src/replica/snapshots';
import { ReplicationMetrics } from '../src/net/replication-metrics';
import { natsUrl, uniqueWorld } from './helpers/nats';
import { waitFor } from './helpers/net';
import { testWorld } from './helpers/world-setup';
import { capture, drive, PLAYERS, SEED, startSnapshotLeader } from './helpers/replica';

jest.setTimeout(60_000);

let dir: string;
let url: string;
let nc: NatsConnection;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-snap-'));
  url = await natsUrl();
  nc = await connect({ servers: url });
});
afterAll(async () => {
  await nc.drain();
  rmSync(dir, { recursive: true, force: true });
});

const replicaOf = (world: string, log: Logger): Promise<ReplicaNode> =>
  ReplicaNode.start({ nats: url, world, id: 'R', leaseMs: 1_000, setup: testWorld(), log });

test('a snapshot round-trips and restores to its hash; bytes cut, flipped, of another version or not a snapshot are refused with their code', async () => {
  const loop = new WorldLoop(new EventStream('world', { seed: SEED }), testWorld());
  for (let t = 0; t < 40; t++) {
    drive(loop);
    loop.step();
  }
  const snap = captureSnapshot(loop);
  expect(snap.tick).toBe(39);
  const bytes = encodeSnapshot(snap);
  const back = decodeSnapshot(bytes);
  expect(back.tick).toBe(39);
  expect(back.hash).toBe(loop.sim.hash());
  expect(back.state.clients.map((c) => c.privateId)).toEqual(PLAYERS);
  const sim = await restoreSnapshot(testWorld(), back);
  expect(sim.hash()).toBe(loop.sim.hash());
  await sim.close();
  const code = (b: Uint8Array): string => {
    try {
      decodeSnapshot(b);
      return 'accepted';
    } catch (e) {
      return (e as SnapshotError).code;
    }
  };
  expect(code(bytes.subarray(0, bytes.length - 100))).toBe('SNAP_TRUNCATED');
  expect(code(bytes.subarray(0, 20))).toBe('SNAP_TRUNCATED');
  const flipped = bytes.slice();
  flipped[bytes.length - 5] ^= 0x10;
  expect(code(flipped)).toBe('SNAP_CHECKSUM');
  const v2 = bytes.slice();
  v2[4] = 2;
  expect(code(v2)).toBe('SNAP_VERSION');
  expect(code(new Uint8Array(SNAPSHOT_HEADER_BYTES + 8))).toBe('SNAP_FORMAT');
  // a consistent snapshot whose header claims another hash: decodes, but does not restore
  await expect(restoreSnapshot(testWorld(), decodeSnapshot(encodeSnapshot({ ...snap, hash: snap.hash ^ 1n })))).rejects.toMatchObject({ code: 'SNAP_HASH' });
  await loop.close();
});

test('a replica started after the log was trimmed starts from the newest snapshot, matches every tick, and promoted leads with the hash of a run that never failed', async () => {
  const world = uniqueWorld('snaplate');
  const TICKS = 520;
  const ref = new WorldLoop(new EventStream('world', { seed: SEED }), testWorld());
  const expected: bigint[] = [];
  for (let t = 0; t < TICKS; t++) {
    drive(ref);
    expected.push(ref.step().hash);
  }
  await ref.close();

  const L = await startSnapshotLeader(url, dir, world, { every: 100, keep: 2, logMaxTicks: 150 });
  const { log, lines } = capture();
  let node: ReplicaNode | null = null;
  let next: WorldLoop | null = null;
  let L2: ReplicationLeader | null = null;
  const storeR = SqliteStore.open(join(dir, `${world}-R.sqlite`));
  try {
    await L.steps(330);
    await waitFor(() => (L.leader.stats().snapshots?.put ?? 0) >= 3, 10_000, 'three snapshots');
    const snaps = await SnapshotStore.open(nc, { world });
    // keep 2: the snapshots after ticks 99, 199, 299 were stored, the oldest deleted
    expect((await snaps.list()).map((e) => e.tick)).toEqual([299, 199]);
    const st = L.leader.stats().snapshots;
    // the log keeps 150 ticks: tick 0 is gone, a replica cannot replay from it
    const tl = await JetStreamTickLog.open(nc, { world });
    expect(await tl.sequenceOf(0)).toBeNull();
    expect(await tl.sequenceOf(180)).not.toBeNull();

    node = await replicaOf(world, log);
    expect(node.stats()).toMatchObject({ startedAfter: 299, next: 300, mismatches: 0, resyncs: 0, refused: {} });
    await L.steps(70);
    // every tick the copy applied had the hash the leader logged (a mismatch is counted)
    await waitFor(() => (node as ReplicaNode).stats().next === 400, 10_000, 'the replica to reach tick 400');
    expect(node.stats()).toMatchObject({ applied: 100, mismatches: 0, resyncs: 0, failed: false });
    expect(node.follower.sim.hash()).toBe(L.hashes[399]);
    expect(L.hashes).toEqual(expected.slice(0, 400));
    expect(lines.some((l) => l.msg === 'replica: following the world log' && l.snapshot === 299)).toBe(true);

    // the leader stops (its lease released): the replica takes over at tick 400
    await L.close();
    const leading = node.lead();
    const p = await leading;
    L2 = ReplicationLeader.lead(
      { nats: url, world, id: 'R', stream: 'world', leaseMs: 1_000, store: storeR, log, onDeposed: () => undefined },
      p.nc,
      p.lease,
      p.tickLog,
    );
    next = p.follower.promote({ persist: { store: L2.store } });
    expect(next.stream.tick).toBe(400);
    const got: bigint[] = [];
    for (let t = 400; t < TICKS; t++) {
      drive(next);
      got.push(next.step().hash);
    }
    await L2.store.drain();
    expect(got).toEqual(expected.slice(400));
    console.log(
      `snapshots (${world}): ${st?.bytes} bytes, capture ${st?.captureMs.toFixed(2)} ms on the tick thread, stored ${st?.putMs.toFixed(1)} ms after the capture`,
    );
  } finally {
    if (L2) await L2.close();
    else await L.close().catch(() => undefined);
    if (next) await next.close();
    else await node?.close();
    storeR.close();
  }
});

test('damaged and forged snapshots are refused with their code: the replica falls back to an older one, or to tick 0', async () => {
  const world = uniqueWorld('snapbad');
  const L = await startSnapshotLeader(url, dir, world, { every: 50, keep: 3 });
  const nodes: ReplicaNode[] = [];
  try {
    await L.steps(120);
    await waitFor(() => (L.leader.stats().snapshots?.put ?? 0) >= 2, 10_000, 'two snapshots');
    const snaps = await SnapshotStore.open(nc, { world });
    const good = await snaps.read(snapshotName(99));
    const g = decodeSnapshot(good);
    // over the size bound: not stored, not read
    const small = await SnapshotStore.open(nc, { world, maxBytes: 1000 });
    await expect(small.put(good)).rejects.toMatchObject({ code: 'SNAP_TOO_BIG' });
    await expect(small.read(snapshotName(99))).rejects.toMatchObject({ code: 'SNAP_TOO_BIG' });
    const tl = await JetStreamTickLog.open(nc, { world });
    const loggedHash = async (t: number): Promise<bigint> => (await tl.tickAt((await tl.sequenceOf(t)) as number)).hash;
    // newer than the genuine ones, each wrong in another way
    await snaps.putRaw(snapshotName(119), good.subarray(0, good.length - 1000)); // cut short
    await snaps.putRaw(snapshotName(118), encodeSnapshot({ ...g, tick: 118, state: { ...g.state, tick: 119 }, hash: await loggedHash(118) })); // tick 99's world, tick 118's hash
    await snaps.putRaw(snapshotName(117), encodeSnapshot({ ...g, tick: 117, state: { ...g.state, tick: 118 } })); // a hash the log does not have at 117
    const flipped = encodeSnapshot({ ...g, tick: 116, state: { ...g.state, tick: 117 } });
    flipped[flipped.length - 7] ^= 1;
    await snaps.putRaw(snapshotName(116), flipped);
    await snaps.putRaw(snapshotName(115), new Uint8Array(200)); // not a snapshot
    await snaps.putRaw(snapshotName(900), good); // a tick the log does not hold yet
    const a = capture();
    nodes.push(await replicaOf(world, a.log));
    expect(nodes[0].stats()).toMatchObject({
      startedAfter: 99,
      next: 100,
      refused: { SNAP_NOT_IN_LOG: 1, SNAP_TRUNCATED: 1, SNAP_HASH: 1, SNAP_LOG_HASH: 1, SNAP_CHECKSUM: 1, SNAP_FORMAT: 1 },
    });
    expect(a.lines.filter((l) => l.msg === 'replica: snapshot refused; trying an older one').map((l) => l.code)).toEqual([
      'SNAP_NOT_IN_LOG',
      'SNAP_TRUNCATED',
      'SNAP_HASH',
      'SNAP_LOG_HASH',
      'SNAP_CHECKSUM',
      'SNAP_FORMAT',
    ]);
    await waitFor(() => nodes[0].stats().next === 120, 10_000, 'the replica to reach the log end');
    expect(nodes[0].stats()).toMatchObject({ mismatches: 0, failed: false });
    expect(nodes[0].follower.sim.hash()).toBe(L.hashes[119]);
    // no genuine snapshot left: from tick 0 (the log still holds it)
    for (const e of await snaps.list()) if (e.tick === 99 || e.tick === 49) await snaps.remove(e.name);
    const b = capture();
    nodes.push(await replicaOf(world, b.log));
    expect(nodes[1].stats()).toMatchObject({ startedAfter: -1 });
    await waitFor(() => nodes[1].stats().next === 120, 10_000, 'the replica from tick 0 to reach the log end');
    expect(nodes[1].stats()).toMatchObject({ applied: 120, mismatches: 0, failed: false });
    expect(nodes[1].follower.sim.hash()).toBe(L.hashes[119]);
    // the leader's next snapshot deletes the one beyond its tick, and keeps 3 of the rest
    await L.steps(30);
    expect((await snaps.list()).map((e) => e.tick)).toEqual([149, 119, 118]);
  } finally {
    for (const n of nodes) await n.close();
    await L.close();
  }
});

test('a copy that differs from the log is logged, counted and resynced from the newest snapshot, then matches every tick', async () => {
  const world = uniqueWorld('snapsync');
  const L = await startSnapshotLeader(url, dir, world, { every: 50, keep: 3 });
  const { log, lines } = capture();
  let node: ReplicaNode | null = null;
  try {
    await L.steps(120);
    await waitFor(() => (L.leader.stats().snapshots?.put ?? 0) >= 2, 10_000, 'two snapshots');
    node = await replicaOf(world, log);
    const registry = new Registry();
    new ReplicationMetrics(L.leader, registry, node);
    await waitFor(() => (node as ReplicaNode).stats().next === 120, 10_000, 'the replica to catch up');
    // the copy goes wrong (a stray sphere only it has): its next tick differs from the leader's
    node.follower.sim.world.addSphere({ position: [5, 4, 5], radius: 0.5 });
    await L.steps(40);
    await waitFor(
      () => (node as ReplicaNode).stats().next === 160 && (node as ReplicaNode).stats().resyncs === 1,
      15_000,
      'the resynced copy to reach tick 160',
    );
    expect(node.stats()).toMatchObject({ mismatches: 1, resyncs: 1, failed: false, startedAfter: 99 });
    expect(node.follower.sim.hash()).toBe(L.hashes[159]);
    const warn = lines.find((l) => l.msg === 'replica: the copy differs from the log; resyncing from the newest snapshot');
    expect(warn).toMatchObject({ level: 40, tick: 120, leader: L.hashes[120].toString(16) });
    expect(warn?.replica).not.toBe(warn?.leader);
    const text = await registry.metrics();
    expect(text).toMatch(/^tessera_replication_mismatches_total 1$/m);
    expect(text).toMatch(/^tessera_replication_resyncs_total 1$/m);
    expect(text).toMatch(/^tessera_replication_snapshots_put_total [2-9]$/m);
    // and it stays in step afterwards
    await L.steps(20);
    await waitFor(() => (node as ReplicaNode).stats().next === 180, 10_000, 'tick 180');
    expect(node.stats()).toMatchObject({ mismatches: 1, resyncs: 1 });
  } finally {
    await node?.close();
    await L.close();
  }
});

test('a log that a resync cannot cure (a forged hash at tick 40, no snapshot after it) stops the replica with DIVERGED', async () => {
  const world = uniqueWorld('snapforge');
  const tl = await JetStreamTickLog.open(nc, { world });
  const loop = new WorldLoop(new EventStream('world', { seed: SEED }), testWorld());
  for (let t = 0; t < 60; t++) {
    drive(loop);
    const r = loop.step();
    await tl.append({ stream: 'world', tick: r.tick, hash: r.tick === 40 ? r.hash ^ 1n : r.hash, events: [...r.events], joins: [] });
  }
  await loop.close();
  const { log, lines } = capture();
  const node = await replicaOf(world, log);
  try {
    await waitFor(() => node.stats().failed, 15_000, 'the replica to give up');
    expect(node.stats()).toMatchObject({ mismatches: 2, resyncs: 1, failed: true, next: 41 });
    await expect(node.lead(1_000)).rejects.toMatchObject({ name: 'ReplicaError', code: 'DIVERGED' });
    expect(lines.filter((l) => l.tick === 40).map((l) => l.level)).toEqual([40, 50]);
  } finally {
    await node.close();
  }
});
