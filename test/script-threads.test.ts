/**
 * Script threads (issue 21): the world of 200 scripted objects of test/script-world.test.ts (door,
 * spawner, scoreboard, one looping script) gives the same events and hash at every tick with its
 * scripts on the world thread (threads 0), on 1 and on 2 script threads; the looping script is
 * suspended at the same tick in all three; a world on 2 threads restored from the tick-80 snapshot
 * goes on with the same hash; a replay of the log on 2 threads matches every tick.
 * Needs `npm run build` (the script thread runs the compiled worker).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/persist/sqlite-store';
import type { StreamEvent } from '../src/protocol/messages';
import { ScriptEngine } from '../src/script/engine';
import type { WorldSetup } from '../src/sim/main-sim';
import { replayLog } from '../src/sim/replay';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { driveScripted, scriptedPile } from './helpers/scripts';
import { testWorld } from './helpers/world-setup';

const N = 200;
const CHECKPOINT = 40;
const RESTART = 90;
const TICKS = 100;
const SEED = '00112233445566778899aabbccddeeff';

let engine: ScriptEngine;
let dir: string;
beforeAll(async () => {
  engine = await ScriptEngine.create(7);
  dir = mkdtempSync(join(tmpdir(), 'tessera-script-threads-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const setup = (threads: number): WorldSetup => ({ ...testWorld({ spheres: N }), scripts: { engine, checkpointEvery: CHECKPOINT, spawnLimit: 4, threads } });

test(`${N} scripted objects: the same events and hash at every tick on 0, 1 and 2 script threads, after a restore on 2, and in a replay on 2`, async () => {
  const clock = { t: 1_000_000 };
  const now = { now: () => clock.t };
  const store = SqliteStore.open(join(dir, 'world.sqlite'));
  const worlds = [0, 1, 2].map(
    (threads) =>
      new WorldLoop(
        new EventStream('world', { clock: now, seed: SEED }),
        setup(threads),
        threads === 2 ? { persist: { store, snapshotEvery: CHECKPOINT } } : {},
      ),
  );
  expect(worlds.map((w) => w.sim.scripts?.threads)).toEqual([0, 1, 2]);
  const bodies: bigint[] = [];
  const hashes: bigint[] = [];
  const log: StreamEvent[] = [];
  const suspendedAt = [-1, -1, -1];
  for (let t = 0; t < RESTART; t++) {
    for (const w of worlds) driveScripted(w, t, bodies);
    clock.t += 50;
    const [a, ...others] = worlds.map((w) => w.step());
    for (const b of others) {
      expect(b.events).toEqual(a.events);
      expect(b.refused).toEqual(a.refused);
      expect(b.social.outbox).toEqual(a.social.outbox);
      expect(b.hash).toBe(a.hash);
    }
    [a, ...others].forEach((r, i) => {
      if (r.social.audit.some((x) => x.command === 'script.suspended')) suspendedAt[i] = t;
    });
    // state tick t + 1: right before the checkpoint of state 80, every thread has built its share
    if (t === 78) for (const w of worlds) expect(w.sim.scripts?.resetsToBuild).toBe(0);
    hashes.push(a.hash);
    log.push(...a.events);
    if (t === 0) {
      bodies.push(...scriptedPile(worlds[0]));
      expect(bodies.length).toBe(N);
    }
  }
  // the looping script was suspended (SCRIPT_BUDGET) at the same tick on every thread count
  expect(suspendedAt[0]).toBeGreaterThanOrEqual(2);
  expect(suspendedAt).toEqual([suspendedAt[0], suspendedAt[0], suspendedAt[0]]);
  for (const w of worlds) expect(w.sim.scripts?.info(bodies[17])?.suspended?.code).toBe('SCRIPT_BUDGET');
  // the scripts did work a user notices, the same on every thread count
  const stores = (w: WorldLoop) => bodies.map((b) => w.sim.scripts?.storeOf(b));
  expect(stores(worlds[1])).toEqual(stores(worlds[0]));
  expect(stores(worlds[2])).toEqual(stores(worlds[0]));
  expect(stores(worlds[0]).filter((s, k) => k % 3 === 2 && Number(JSON.parse(s ?? '{}').hits) >= 1).length).toBeGreaterThan(10);

  // a world on 2 threads restored from the newest snapshot (tick 80, a checkpoint) plus the log after it
  const back = WorldLoop.restore('world', setup(2), store, {}, { clock: now, seed: SEED }) as WorldLoop;
  expect(back).not.toBeNull();
  expect(back.stream.tick).toBe(RESTART);
  expect(back.sim.scripts?.threads).toBe(2);
  expect(back.sim.hash()).toBe(worlds[0].sim.hash());
  for (let t = RESTART; t < TICKS; t++) {
    for (const w of [...worlds, back]) driveScripted(w, t, bodies);
    clock.t += 50;
    const a = worlds[0].step(),
      c = back.step();
    worlds[1].step();
    worlds[2].step();
    expect(c.events).toEqual(a.events);
    expect(c.hash).toBe(a.hash);
    hashes.push(a.hash);
    log.push(...a.events);
  }
  await Promise.all([...worlds, back].map((w) => w.close()));
  store.close();

  const replayed: bigint[] = [];
  await replayLog(setup(2), log, TICKS, (r) => replayed.push(r.hash));
  expect(replayed).toEqual(hashes);
});
