/**
 * Snapshots written off the tick thread (SnapshotWriter): the world restores from them to the
 * same tick and hash as one written in the tick, old snapshots and their chunks are pruned,
 * chunks of an interrupted write are removed and never read, and the tick thread's part of a
 * snapshot does not include the SQLite write.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/persist/sqlite-store';
import { SnapshotWriter } from '../src/persist/snapshot-writer';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { testWorld } from './helpers/world-setup';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-snapw-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Steps a loop with two walking players for `n` ticks. */
function run(loop: WorldLoop, n: number): void {
  for (let i = 0; i < n; i++) step(loop);
}

/** As run(), yielding to the event loop between ticks as the host's tick timer does (the writer's reports arrive there). */
async function runYielding(loop: WorldLoop, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    step(loop);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** One tick with two walking players. */
function step(loop: WorldLoop): void {
  const t = loop.stream.tick;
  for (const p of ['a', 'b']) {
    loop.stream.connect(p);
    loop.stream.publish(p, 'in', `${((t * 13) % 2000) - 1000},${((t * 7) % 2000) - 1000},${t % 31 === 0 ? 1 : 0}`);
  }
  loop.step();
}

const count = (s: SqliteStore, sql: string): number => (s.db.prepare(sql).get() as { n: number }).n;

test('a world whose snapshots go through the writer thread restores to the same tick and hash; old snapshots and their chunks are pruned', async () => {
  const file = join(dir, 'w.sqlite');
  const store = SqliteStore.open(file);
  store.handOverCheckpoints();
  const written: number[] = [];
  const sink = await SnapshotWriter.start(file, { chunkBytes: 16 * 1024, keep: 2, onWritten: (w) => written.push(w.tick) });
  const loop = new WorldLoop(new EventStream('world'), testWorld(), { persist: { store, sink, snapshotEvery: 25 } });
  let tick = -1,
    hash = 0n;
  try {
    await runYielding(loop, 110);
    await loop.flush(); // tick 110, durable when it resolves
    tick = loop.stream.tick;
    hash = loop.sim.hash();
    expect(written).toContain(110);
    expect(written.filter((t) => t % 25 === 0).length + loop.snapshotsSkipped).toBe(5); // ticks 0, 25, 50, 75, 100
    expect(written.filter((t) => t % 25 === 0).length).toBeGreaterThanOrEqual(3);
  } finally {
    await sink.close();
    await loop.close();
    store.close();
  }

  const again = SqliteStore.open(file);
  try {
    expect(again.integrityCheck()).toBe('ok');
    const heads = again.db.prepare("SELECT tick, chunks FROM snapshots WHERE stream = 'world' ORDER BY tick").all() as Array<{ tick: number; chunks: number }>;
    expect(heads.map((h) => h.tick)).toEqual([100, 110]); // keep = 2
    expect(heads.every((h) => h.chunks > 1)).toBe(true); // written in 16 KiB chunks
    expect(count(again, 'SELECT count(*) AS n FROM snapshot_chunks')).toBe(heads[0].chunks + heads[1].chunks);
    const restored = WorldLoop.restore('world', testWorld(), again) as WorldLoop;
    expect(restored.stream.tick).toBe(tick);
    expect(restored.sim.hash()).toBe(hash);
    // and it continues like a world that never stopped
    const reference = new WorldLoop(new EventStream('world'), testWorld(), {});
    run(reference, 110);
    run(reference, 20);
    run(restored, 20);
    expect(restored.sim.hash()).toBe(reference.sim.hash());
    await Promise.all([restored.close(), reference.close()]);
  } finally {
    again.close();
  }
}, 60_000);

test('chunks of an interrupted write are removed at the next start and never read; restore uses the previous snapshot', async () => {
  const file = join(dir, 'w.sqlite');
  const store = SqliteStore.open(file);
  const loop = new WorldLoop(new EventStream('world'), testWorld(), { persist: { store, snapshotEvery: 40 } });
  run(loop, 50);
  const hash = loop.sim.hash();
  // a write that crashed before its header row: chunks of a newer tick, no header
  store.db.prepare("INSERT INTO snapshot_chunks (stream, tick, seq, data) VALUES ('world', 50, 0, x'00ff')").run();
  expect(store.newestSnapshot('world')?.tick).toBe(40);
  const restored = WorldLoop.restore('world', testWorld(), store) as WorldLoop;
  expect(restored.stream.tick).toBe(50);
  expect(restored.sim.hash()).toBe(hash);
  const sink = await SnapshotWriter.start(file);
  await sink.close();
  expect(count(store, 'SELECT count(*) AS n FROM snapshot_chunks')).toBe(0);
  await Promise.all([loop.close(), restored.close()]);
  store.close();
}, 60_000);

test('a snapshot header whose chunks are missing is refused with CORRUPT, not read as a shorter world', async () => {
  const file = join(dir, 'w.sqlite');
  const store = SqliteStore.open(file);
  const sink = await SnapshotWriter.start(file, { chunkBytes: 8 * 1024 });
  const loop = new WorldLoop(new EventStream('world'), testWorld(), { persist: { store, sink, snapshotEvery: 1000 } });
  try {
    run(loop, 5);
    await loop.flush();
  } finally {
    await sink.close();
  }
  store.db.prepare('DELETE FROM snapshot_chunks WHERE seq = 1').run();
  expect(() => store.newestSnapshot('world')).toThrow(/chunks/);
  await loop.close();
  store.close();
  await expect(SnapshotWriter.start(':memory:')).rejects.toThrow(/database file/);
}, 60_000);
