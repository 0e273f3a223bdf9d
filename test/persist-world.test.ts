/**
 * World persistence on SQLite: a world with players, spawned objects and artifacts (placed,
 * taken, placed again) runs 2,000 ticks, writing every tick and a snapshot every 300; the store
 * is closed and opened again and the world restored from the newest snapshot plus the log:
 * same tick, same hash, the players' public ids and avatars back, the artifacts with their
 * ownership, and it continues exactly like the world that never stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/persist/sqlite-store';
import { ArtifactService } from '../src/persist/artifacts';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { mulberry32 } from './helpers/bigref';
import { testWorld } from './helpers/world-setup';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-world-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const PLAYERS = ['alice', 'bob', 'carol', 'dave'];

/** Feeds one tick of scripted player input into a stream (deterministic in the tick). */
function drive(loop: WorldLoop, t: number, rng: () => number): void {
  const s = loop.stream;
  PLAYERS.forEach((p, i) => {
    if (t === i * 7) s.connect(p);
    if (t < i * 7) return;
    s.heard(p);
    const wx = Math.floor((rng() / 2 ** 32) * 2001) - 1000,
      wz = Math.floor((rng() / 2 ** 32) * 2001) - 1000;
    s.publish(p, 'in', `${wx},${wz},${t % 41 === i ? 1 : 0}`);
    if (t % 97 === i) {
      const at = loop.avatarPosition(s.publicIdOf(p) as number);
      if (at) s.publish(p, 'sp', `${Math.round(at[0] * 1000)},${Math.round(at[1] * 1000) + 1500},${Math.round(at[2] * 1000)},0,0,0`);
    }
  });
}

test('restart: same tick, same hash, players and avatars back, identical continuation', async () => {
  const file = join(dir, 'world.sqlite');
  const clock = { t: 1_000_000 };
  const store = SqliteStore.open(file);
  const arts = new ArtifactService(store, { now: () => clock.t });
  const live = new WorldLoop(new EventStream('world', { clock: { now: () => clock.t } }), testWorld(), {
    persist: { store, snapshotEvery: 300, onSnapshot: (l) => arts.sync(l) },
  });
  const rng = mulberry32(3);
  let appendMax = 0;
  const made: number[] = [];
  for (let t = 0; t < 2000; t++) {
    if (t === 10) {
      made.push(arts.create({ owner: 1, rule: 'allow', shape: { kind: 'sphere', radius: 0.4 }, mass: 3, position: [2, 3, -2] }, live.stream).id);
      made.push(
        arts.create(
          { owner: 2, master: 1, rule: 'ask', shape: { kind: 'capsule', radius: 0.3, halfHeight: 0.4 }, position: [-3, 2, 1], velocity: [1, 0, 0] },
          live.stream,
        ).id,
      );
      made.push(arts.create({ owner: null, rule: 'deny', shape: { kind: 'sphere', radius: 0.25 }, position: [0, 5, 6] }, live.stream).id);
    }
    if (t === 500) arts.take(made[1], live);
    if (t === 900) arts.place(made[1], live.stream, [4, 2, 4]);
    drive(live, t, rng);
    clock.t += 50;
    live.step();
    appendMax = Math.max(appendMax, live.persistTimings.appendMs);
  }
  const tick = live.stream.tick,
    hash = live.sim.hash();
  const ids = PLAYERS.map((p) => live.stream.publicIdOf(p));

  // a second process would open the file the same way; the live world stays up as the reference
  const reopened = SqliteStore.open(file);
  expect(reopened.integrityCheck()).toBe('ok');
  const t0 = performance.now();
  const restored = WorldLoop.restore('world', testWorld(), reopened, {}, { clock: { now: () => clock.t } });
  const restoreMs = performance.now() - t0;
  expect(restored).not.toBeNull();
  const r = restored as WorldLoop;
  expect(r.stream.tick).toBe(tick);
  expect(r.sim.hash()).toBe(hash);
  expect(PLAYERS.map((p) => r.stream.publicIdOf(p))).toEqual(ids);
  expect([...r.sim.avatars.keys()].sort()).toEqual([...live.sim.avatars.keys()].sort());
  expect(r.avatarPosition(ids[0] as number)).toEqual(live.avatarPosition(ids[0] as number));
  expect([...r.sim.artifacts].sort((a, b) => a[0] - b[0])).toEqual([...live.sim.artifacts].sort((a, b) => a[0] - b[0]));
  expect(r.sim.artifacts.size).toBe(3);
  // the rows were synced at the last snapshot (tick 1800); after a sync they hold the world's state
  expect(arts.sync(r)).toBe(3);
  const row = reopened.artifact(made[1]);
  expect(row?.position).toEqual(r.sim.world.position(r.sim.artifacts.get(made[1])!.body));
  expect(row).toMatchObject({ ownerId: 2, masterId: 1, rule: 'ask', stream: 'world' });
  // a player logging in again (same private id) is the same public id and finds its avatar
  expect(r.stream.connect('alice')).toEqual({ publicId: ids[0], connected: false });
  live.stream.connect('alice');

  // both continue with the same inputs: the same hash every tick
  const rngA = mulberry32(99),
    rngB = mulberry32(99);
  for (let t = 2000; t < 2100; t++) {
    drive(live, t, rngA);
    drive(r, t, rngB);
    clock.t += 50;
    expect(r.step().hash).toBe(live.step().hash);
  }
  console.log(
    `persist: 2,000 ticks, append max ${appendMax.toFixed(2)} ms, snapshot ${live.persistTimings.snapshotMs.toFixed(1)} ms / ${live.persistTimings.snapshotBytes} bytes, restore ${restoreMs.toFixed(0)} ms`,
  );
  reopened.close();
  store.close();
  await live.close();
  await r.close();
}, 120_000);

test('a log that disagrees with the snapshot is detected at restore', async () => {
  const file = join(dir, 'bad.sqlite');
  const store = SqliteStore.open(file);
  const clock = { t: 0 };
  const live = new WorldLoop(new EventStream('world', { clock: { now: () => clock.t } }), testWorld(), { persist: { store, snapshotEvery: 50 } });
  const rng = mulberry32(5);
  for (let t = 0; t < 80; t++) {
    drive(live, t, rng);
    clock.t += 50;
    live.step();
  }
  // tamper with one stored input after the newest snapshot
  const row = store.db.prepare("SELECT first_tick, events FROM log_segments WHERE stream = 'world' AND first_tick = 60").get() as {
    first_tick: number;
    events: string;
  };
  store.db
    .prepare("UPDATE log_segments SET events = ? WHERE stream = 'world' AND first_tick = 60")
    .run(row.events.replace(/"in","?\d*,?"?[^"]*"/, (m) => m.replace(/-?\d+,/, '999,')));
  expect(() => WorldLoop.restore('world', testWorld(), store)).toThrow(/tick 60/);
  store.close();
  await live.close();
});

test('restores taken while avatars knock sleeping spheres about continue identically (solver scratch of bodies at rest)', async () => {
  // Found by the kill -9 test: the solver read per-body scratch of bodies that had stopped
  // moving, left over from the last tick they moved; a restored world had zeros there.
  const { crashInput } = await import('./helpers/persist-process');
  const store = SqliteStore.open(join(dir, 'rest.sqlite'));
  const mk = (): WorldLoop =>
    new WorldLoop(new EventStream('world', { seed: '0123456789abcdef0123456789abcdef' }), testWorld(), { persist: { store, snapshotEvery: 120 } });
  const feed = (loop: WorldLoop): void => {
    const t = loop.stream.tick;
    ['p1', 'p2', 'p3'].forEach((p, i) => {
      loop.stream.connect(p);
      loop.stream.publish(p, 'in', crashInput(i, t));
      const at = loop.avatarPosition(loop.stream.publicIdOf(p) ?? 0);
      if (t % 25 === i && at) loop.stream.publish(p, 'sp', `${Math.round(at[0] * 1000)},${Math.round(at[1] * 1000) + 2000},${Math.round(at[2] * 1000)},0,0,0`);
    });
  };
  const live = mk();
  for (let t = 0; t < 1080; t++) {
    feed(live);
    live.step();
  }
  const restored = WorldLoop.restore('world', testWorld(), store) as WorldLoop;
  let first = -1;
  for (let t = 1080; t < 1200; t++) {
    feed(live);
    feed(restored);
    if (live.step().hash !== restored.step().hash && first < 0) first = t;
  }
  expect(first).toBe(-1);
  store.close();
  await live.close();
  await restored.close();
}, 120_000);
