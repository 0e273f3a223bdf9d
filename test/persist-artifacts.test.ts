/**
 * Artifacts: created rows are durable before they enter the world, placing/taking moves them
 * between the world and the holder, a world started without a snapshot gets its placed
 * artifacts back where they were synced, bad specs and bad '_ar' events are refused, and
 * remote records (seed 001) are a cache: fresh copies are served, old ones refetched, an
 * unreachable origin gives the stale copy marked stale, and they are never edited locally.
 */
import { SqliteStore } from '../src/persist/sqlite-store';
import { ArtifactService, type RemoteRecordSource } from '../src/persist/artifacts';
import { PersistError } from '../src/persist/migrations';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { MainSim } from '../src/sim/main-sim';
import { ERROR } from '../src/protocol/errors';
import { testWorld } from './helpers/world-setup';

const code = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof PersistError ? e.code : String(e);
  }
};

describe('artifacts in the world', () => {
  let store: SqliteStore;
  let loop: WorldLoop;
  const clock = { t: 5_000 };
  beforeEach(() => {
    store = SqliteStore.open(':memory:');
    loop = new WorldLoop(new EventStream('world'), testWorld({ spheres: 0 }), {});
  });
  afterEach(async () => {
    await loop.close();
    store.close();
  });

  test('create places a durable row into the world; take holds it with its state; place puts it back', () => {
    const arts = new ArtifactService(store, { now: () => clock.t });
    const a = arts.create({ owner: 7, shape: { kind: 'sphere', radius: 0.5 }, mass: 2, position: [1, 4, 1], custom: { colour: 'red' } }, loop.stream);
    expect(store.artifact(a.id)).toMatchObject({ ownerId: 7, masterId: 7, rule: 'ask', stream: 'world', custom: '{"colour":"red"}' });
    expect(loop.sim.artifacts.has(a.id)).toBe(false); // the event is in the open tick
    loop.step();
    expect(loop.sim.social.ownershipOf(loop.sim.artifacts.get(a.id)!.body)).toEqual({ owner: 7, master: 7, rule: 'ask' });
    for (let i = 0; i < 20; i++) loop.step(); // it falls
    expect(code(() => arts.place(a.id, loop.stream))).toBe('CONFLICT');
    const held = arts.take(a.id, loop);
    expect(held.stream).toBeNull();
    expect(held.position[1]).toBeLessThan(3.5);
    loop.step();
    expect(loop.sim.artifacts.has(a.id)).toBe(false);
    expect(code(() => arts.take(a.id, loop))).toBe('CONFLICT');
    arts.place(a.id, loop.stream, [-2, 1, -2]);
    loop.step();
    const pos = loop.sim.world.position(loop.sim.artifacts.get(a.id)!.body);
    expect(Math.hypot(pos[0] + 2, pos[2] + 2)).toBeLessThan(0.1);
    expect(arts.ownedBy(7).map((r) => r.id)).toEqual([a.id]);
    expect(code(() => arts.get(999))).toBe('NOT_FOUND');
  });

  test('a world started without a snapshot gets its placed artifacts back where they were synced', async () => {
    const arts = new ArtifactService(store, { now: () => clock.t });
    const ids = [0, 1, 2].map(
      (k) =>
        arts.create({ owner: k + 1, rule: 'allow', shape: { kind: 'capsule', radius: 0.3, halfHeight: 0.5 }, position: [k * 2 - 2, 3, 3] }, loop.stream).id,
    );
    for (let i = 0; i < 40; i++) loop.step();
    expect(arts.sync(loop)).toBe(3);
    const fresh = new WorldLoop(new EventStream('world'), testWorld({ spheres: 0 }), {});
    try {
      expect(arts.restoreInto(fresh)).toBe(3);
      fresh.step();
      for (const id of ids) {
        const was = loop.sim.world.position(loop.sim.artifacts.get(id)!.body);
        const now = fresh.sim.world.position(fresh.sim.artifacts.get(id)!.body);
        expect(Math.hypot(now[0] - was[0], now[1] - was[1], now[2] - was[2])).toBeLessThan(0.05);
        expect(fresh.sim.social.ownershipOf(fresh.sim.artifacts.get(id)!.body).rule).toBe('allow');
      }
      expect(arts.restoreInto(fresh)).toBe(0); // already there
    } finally {
      await fresh.close();
    }
  });

  test('out-of-range specs are refused before anything is stored; malformed _ar/_ax events are refused by the sim', () => {
    const arts = new ArtifactService(store);
    expect(code(() => arts.create({ owner: 1, shape: { kind: 'sphere', radius: 40 }, position: [0, 1, 0] }, loop.stream))).toBe('BAD_VALUE');
    expect(code(() => arts.create({ owner: 1, shape: { kind: 'sphere', radius: 0.5 }, mass: -1, position: [0, 1, 0] }))).toBe('BAD_VALUE');
    expect(store.db.prepare('SELECT count(*) AS n FROM artifacts').get()).toEqual({ n: 0 });
    const sim = new MainSim(testWorld({ spheres: 0 }));
    const ev = (type: string, body: string) => ({ tick: 0, type, origin: 0, body });
    const r = sim.apply(0, [
      ev('_ar', '{not json'),
      ev('_ar', JSON.stringify({ id: 1, owner: 1, master: 1, rule: 'maybe', shape: { kind: 'sphere', radius: 1 }, mass: 1, p: [0, 0, 0], v: [0, 0, 0] })),
      ev('_ax', '4'),
    ]);
    expect(r.refused.map((x) => x.code)).toEqual([ERROR.BAD_VALUE, ERROR.BAD_VALUE, ERROR.NOT_FOUND]);
    expect(sim.artifacts.size).toBe(0);
    return sim.close();
  });
});

describe('remote records are a cache', () => {
  const remoteRecord = {
    ownerId: 3,
    masterId: 3,
    rule: 'deny' as const,
    shape: { kind: 'sphere' as const, radius: 0.5 },
    mass: 1,
    position: [1, 2, 3] as [number, number, number],
    velocity: [0, 0, 0] as [number, number, number],
    custom: '{}',
    updatedMs: 1,
  };

  test('fresh copies are served, old ones refetched, an unreachable origin gives the stale copy; never edited here', async () => {
    const store = SqliteStore.open(':memory:');
    const clock = { t: 100_000 };
    let fetches = 0,
      up = true;
    const source: RemoteRecordSource = {
      fetchArtifact: async (origin, id) => {
        fetches++;
        if (!up) throw new Error(`${origin} unreachable`);
        return { ...remoteRecord, position: [id, fetches, 0] };
      },
    };
    const arts = new ArtifactService(store, { now: () => clock.t, remote: source });
    const a = await arts.remote('https://node-b.example', 42, 10_000);
    expect(a).toMatchObject({ stale: false, record: { origin: 'https://node-b.example', remoteId: 42, position: [42, 1, 0], fetchedMs: 100_000 } });
    clock.t += 5_000;
    expect((await arts.remote('https://node-b.example', 42, 10_000)).record.position).toEqual([42, 1, 0]); // cached
    expect(fetches).toBe(1);
    clock.t += 6_000;
    const b = await arts.remote('https://node-b.example', 42, 10_000); // too old: refetched
    expect(b.record).toMatchObject({ id: a.record.id, position: [42, 2, 0], fetchedMs: 111_000 });
    up = false;
    clock.t += 20_000;
    expect(await arts.remote('https://node-b.example', 42, 10_000)).toMatchObject({ stale: true, record: { position: [42, 2, 0] } });
    await expect(arts.remote('https://node-b.example', 43)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(arts.remote('local', 1)).rejects.toMatchObject({ code: 'BAD_VALUE' });
    // a cached record is not this node's to change or place
    expect(code(() => arts.get(a.record.id))).toBe('CONFLICT');
    const loop = new WorldLoop(new EventStream('world'), testWorld({ spheres: 0 }), {});
    expect(code(() => arts.place(a.record.id, loop.stream))).toBe('CONFLICT');
    expect(arts.ownedBy(3)).toEqual([]); // local inventories hold local records only
    await loop.close();
    const noSource = new ArtifactService(store, { now: () => clock.t });
    expect((await noSource.remote('https://node-b.example', 42, 1)).stale).toBe(true);
    await expect(noSource.remote('https://node-c.example', 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    store.close();
  });
});
