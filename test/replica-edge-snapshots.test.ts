/**
 * Edge hosts started late and resynced (issue 19, src/replica/edge.ts): an edge started after
 * the log's start was trimmed builds its copy from the newest usable snapshot of the world's
 * object store, as a replica does, and then has the leader's hash at every tick; a copy that
 * differs from the log is logged, counted and rebuilt from the newest snapshot on the same port,
 * and matches again; a log a resync cannot cure stops the copy (DIVERGED) and it cannot lead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { JetStreamTickLog } from '../src/replica/jetstream-log';
import { EdgeHost } from '../src/replica/edge';
import { natsUrl, uniqueWorld } from './helpers/nats';
import { waitFor } from './helpers/net';
import { testWorld } from './helpers/world-setup';
import { capture, drive, SEED, startSnapshotLeader } from './helpers/replica';

jest.setTimeout(60_000);

let dir: string;
let url: string;
let nc: NatsConnection;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-edgesnap-'));
  url = await natsUrl();
  nc = await connect({ servers: url });
});
afterAll(async () => {
  await nc.drain();
  rmSync(dir, { recursive: true, force: true });
});

const edgeOf = (world: string, log: Logger): Promise<EdgeHost> =>
  EdgeHost.start({ nats: url, world, id: 'E', setup: testWorld(), host: { port: 0, tickRate: 20, guests: true }, log });

test('an edge started after the log was trimmed starts from the newest snapshot and has the leader hash at every tick', async () => {
  const world = uniqueWorld('edgelate');
  const L = await startSnapshotLeader(url, dir, world, { every: 100, keep: 2, logMaxTicks: 150 });
  const { log, lines } = capture();
  let edge: EdgeHost | null = null;
  try {
    await L.steps(330);
    const tl = await JetStreamTickLog.open(nc, { world });
    expect(await tl.sequenceOf(0)).toBeNull(); // tick 0 is gone: an edge cannot replay from it
    edge = await edgeOf(world, log);
    expect(edge.copyStats()).toMatchObject({ startedAfter: 299, resyncs: 0, failed: false });
    expect(edge.host.world.stream.tick).toBe(330);
    await L.steps(70);
    await waitFor(() => (edge as EdgeHost).host.world.stream.tick === 400, 10_000, 'the edge at tick 400');
    // ticks 300..329 were applied while catching up (each checked against the log's hash), the
    // 70 after while serving, none differing from the log (a mismatch is counted)
    expect(edge.stats()).toMatchObject({ ticks: 70, mismatches: 0 });
    expect(edge.host.world.sim.hash()).toBe(L.hashes[399]);
    expect(lines.some((l) => l.msg === 'edge: serving clients from the copy' && l.snapshot === 299)).toBe(true);
  } finally {
    await edge?.stop();
    await L.close();
  }
});

test('an edge copy that differs from the log is logged, counted and resynced from the newest snapshot on the same port, then matches', async () => {
  const world = uniqueWorld('edgesync');
  const L = await startSnapshotLeader(url, dir, world, { every: 50, keep: 3 });
  const { log, lines } = capture();
  let edge: EdgeHost | null = null;
  try {
    await L.steps(120);
    edge = await edgeOf(world, log);
    const port = edge.host.port;
    expect(edge.copyStats().startedAfter).toBe(99);
    // the copy goes wrong (a stray sphere only it has): its next tick differs from the leader's
    edge.host.world.sim.world.addSphere({ position: [5, 4, 5], radius: 0.5 });
    await L.steps(40);
    await waitFor(
      () => (edge as EdgeHost).copyStats().resyncs === 1 && (edge as EdgeHost).host.world.stream.tick === 160,
      15_000,
      'the resynced copy at tick 160',
    );
    expect(edge.stats().mismatches).toBe(1);
    expect(edge.copyStats()).toMatchObject({ resyncs: 1, failed: false, startedAfter: 99 }); // (the newest at tick 120)
    expect(edge.host.port).toBe(port);
    expect(edge.host.world.sim.hash()).toBe(L.hashes[159]);
    const warn = lines.find((l) => l.msg === 'edge: the copy differs from the log; resyncing from the newest snapshot');
    expect(warn).toMatchObject({ level: 40, tick: 120, log: L.hashes[120].toString(16) });
    expect(warn?.copy).not.toBe(warn?.log);
    await L.steps(20);
    await waitFor(() => (edge as EdgeHost).host.world.stream.tick === 180, 10_000, 'tick 180');
    expect(edge.host.world.sim.hash()).toBe(L.hashes[179]);
    expect(edge.stats().mismatches).toBe(1);
  } finally {
    await edge?.stop();
    await L.close();
  }
});

test('a log a resync cannot cure (a forged hash at tick 40, no snapshot) stops the edge copy with DIVERGED; it cannot lead', async () => {
  const world = uniqueWorld('edgeforge');
  const tl = await JetStreamTickLog.open(nc, { world });
  const loop = new WorldLoop(new EventStream('world', { seed: SEED }), testWorld());
  const tick = async (): Promise<void> => {
    drive(loop);
    const r = loop.step();
    await tl.append({ stream: 'world', tick: r.tick, hash: r.tick === 40 ? r.hash ^ 1n : r.hash, events: [...r.events], joins: [] });
  };
  for (let t = 0; t < 30; t++) await tick();
  const { log, lines } = capture();
  const edge = await edgeOf(world, log);
  try {
    for (let t = 30; t < 60; t++) await tick();
    await waitFor(() => edge.copyStats().failed, 15_000, 'the edge to give up');
    // the resync from tick 0 met the same hash at tick 40 (while catching up or after): DIVERGED
    expect(edge.stats().mismatches).toBe(2);
    expect(edge.copyStats()).toMatchObject({ failed: true });
    const warned = lines.filter((l) => l.tick === 40);
    expect(warned.map((l) => l.level)).toEqual([40, ...warned.slice(1).map(() => 50)]);
    expect(lines.some((l) => l.level === 50 && (l.tick === 40 || /differs from the log at tick 40/.test(String(l.err))))).toBe(true);
    // and the copy is not handed to a promotion
    await expect(edge.asCopy().take()).rejects.toMatchObject({ name: 'ReplicaError', code: 'BAD_LOG' });
  } finally {
    await edge.stop();
    await loop.close();
  }
});
