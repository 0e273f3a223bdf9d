/**
 * The world log of an idle world (issue 16: the idle host's cost): with nobody connected, ticks
 * without events wait in memory and are written DEFERRED_TICKS at a time, in one commit, in tick
 * order, and before anything else is written or read. A process killed with empty ticks still
 * in memory restores to the last tick kept, with the logged hashes, and continues to the same
 * hashes as the world that never stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DEFERRED_TICKS, SqliteStore } from '../src/persist/sqlite-store';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { testWorld } from './helpers/world-setup';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-log-defer-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const EVENT = [{ tick: 0, type: 'in', origin: 1, body: '0,0,0' }];

test('deferrable empty ticks are written DEFERRED_TICKS at a time, in order, before any other write or read', () => {
  const file = join(dir, 'store.sqlite');
  const store = SqliteStore.open(file);
  const other = new Database(file, { readonly: true }); // what a crash would leave: the committed rows
  const rows = (): number[] =>
    (other.prepare('SELECT first_tick FROM log_segments ORDER BY first_tick').all() as Array<{ first_tick: number }>).map((r) => r.first_tick);
  let t = 0;
  for (; t < DEFERRED_TICKS - 1; t++) store.appendTick('world', t, [], 'h', [], true);
  expect(rows()).toEqual([]);
  expect(store.logCommits).toBe(0);
  store.appendTick('world', t++, [], 'h', [], true); // the batch is full: one commit
  expect(rows()).toEqual(Array.from({ length: DEFERRED_TICKS }, (_, k) => k));
  expect(store.logCommits).toBe(1);
  // a tick with events writes the waiting empty ones first
  for (let k = 0; k < 3; k++) store.appendTick('world', t++, [], 'h', [], true);
  store.appendTick('world', t++, EVENT, 'h', [], true);
  expect(rows()).toEqual(Array.from({ length: t }, (_, k) => k));
  expect(store.logCommits).toBe(3);
  // an empty tick someone may see (not deferrable) is written at once, after the waiting ones
  store.appendTick('world', t++, [], 'h', [], true);
  store.appendTick('world', t++, [], 'h');
  expect(rows()).toEqual(Array.from({ length: t }, (_, k) => k));
  // a read of the log, a snapshot and close() write them too
  store.appendTick('world', t++, [], 'h', [], true);
  expect(store.lastTick('world')).toBe(t - 1);
  store.appendTick('world', t++, [], 'h', [], true);
  store.saveSnapshot('world', t, 'h', new Uint8Array([1]), 0);
  expect(rows()).toEqual(Array.from({ length: t }, (_, k) => k));
  store.appendTick('world', t++, [], 'h', [], true);
  store.close();
  expect(rows()).toEqual(Array.from({ length: t }, (_, k) => k));
  other.close();
});

test('an idle world commits its log once per DEFERRED_TICKS ticks; killed, it restores to the last tick kept and continues with the same hashes', async () => {
  const file = join(dir, 'world.sqlite');
  const store = SqliteStore.open(file);
  const live = new WorldLoop(new EventStream('world', { seed: '0123456789abcdef0123456789abcdef' }), testWorld({ spheres: 20 }), {
    persist: { store, snapshotEvery: 100 },
  });
  const hashes = new Map<number, bigint>();
  for (let t = 0; t < 250; t++) {
    const r = live.step();
    hashes.set(r.tick, r.hash);
  }
  // ticks 0..249 hold no event (nobody ever connected): batches of DEFERRED_TICKS, and the
  // snapshots at ticks 100 and 200 write what waits before them
  expect(store.logCommits).toBeLessThanOrEqual(Math.ceil(250 / DEFERRED_TICKS) + 2);
  // killed now: whatever still waits in memory is lost (the file is opened again as it is)
  const again = SqliteStore.open(file);
  const kept = again.lastTick('world') as number;
  expect(kept).toBeLessThan(249);
  expect(kept).toBeGreaterThanOrEqual(249 - DEFERRED_TICKS);
  const back = WorldLoop.restore('world', testWorld({ spheres: 20 }), again, { persist: { store: again, snapshotEvery: 100 } });
  expect(back).not.toBeNull();
  const b = back as WorldLoop;
  expect(b.stream.tick).toBe(kept + 1);
  expect(b.sim.hash()).toBe(hashes.get(kept));
  // both go on to tick 300 with nobody connected: the same hash at every tick
  for (let t = kept + 1; t < 250; t++) expect(b.step().hash).toBe(hashes.get(t));
  for (let t = 250; t < 300; t++) expect(b.step().hash).toBe(live.step().hash);
  await Promise.all([live.close(), b.close()]);
  again.close();
});
