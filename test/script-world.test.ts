/**
 * Object scripts in the world (issue 21, tick integration): a world of scripted objects (the
 * door, spawner and scoreboard of scenes/scripts/, plus one that loops) runs live on 1 shard with
 * its log and snapshots in SQLite; the same events give the same hash at every tick on 4 shards,
 * in a replay of the log (which re-runs the scripts), and in a world restored from a snapshot
 * mid-run. Permissions: only the master or an admin attaches, replaces or reads the store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/persist/sqlite-store';
import { ERROR } from '../src/protocol/errors';
import type { StreamEvent } from '../src/protocol/messages';
import { ScriptEngine } from '../src/script/engine';
import { encodeHandle } from '../src/sim/event-bodies';
import type { WorldSetup } from '../src/sim/main-sim';
import { loadSceneWithAssets, sceneSetup } from '../src/scene';
import { replayLog } from '../src/sim/replay';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { DOOR, driveScripted, exampleScript, SCOREBOARD, scriptedPile, SPAWNER } from './helpers/scripts';
import { testWorld } from './helpers/world-setup';

/** Scripted objects: the lighter count keeps the test's four worlds under CI's time (see the report). */
const N = 200;
const CHECKPOINT = 40;
const TICKS = 110;
const SEED = '00112233445566778899aabbccddeeff';

let dir: string;
let engine: ScriptEngine;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-scripts-'));
  engine = await ScriptEngine.create(7);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The world: N spheres in a pile (the scripted objects) in a closed box; 1 or 4 shards. */
function setup(shards: 1 | 4): WorldSetup {
  const base = testWorld({ spheres: N, partition: shards === 4 ? { xCuts: [5], zCuts: [5] } : undefined });
  return { ...base, scripts: { engine, checkpointEvery: CHECKPOINT, spawnLimit: 4 } };
}

test(`${N} scripted objects: same hash every tick on 1 and 4 shards, in a replay and after a restore from a snapshot mid-run`, async () => {
  const store = SqliteStore.open(join(dir, 'world.sqlite'));
  const clock = { t: 1_000_000 };
  const now = { now: () => clock.t };
  const live = new WorldLoop(new EventStream('world', { clock: now, seed: SEED }), setup(1), { persist: { store, snapshotEvery: CHECKPOINT } });
  const four = new WorldLoop(new EventStream('world', { clock: now, seed: SEED }), setup(4));
  const bodies: bigint[] = [];
  const hashes: bigint[] = [];
  const log: StreamEvent[] = [];
  const RESTART = 90;
  let suspendedAt = -1;
  let attachedOk = 0;
  for (let t = 0; t < RESTART; t++) {
    driveScripted(live, t, bodies);
    driveScripted(four, t, bodies);
    clock.t += 50;
    const a = live.step(),
      b = four.step();
    expect(b.events).toEqual(a.events);
    expect(b.hash).toBe(a.hash);
    hashes.push(a.hash);
    log.push(...a.events);
    if (t === 0) {
      // the pile's spheres, known once the world has stepped
      bodies.push(...scriptedPile(live));
      expect(bodies.length).toBe(N);
      expect(scriptedPile(four)).toEqual(bodies);
    }
    attachedOk += a.social.outbox.filter((m) => m.msg.kind === 'adminResult' && m.msg.command === 'script.attach' && m.msg.ok).length;
    if (a.social.audit.some((r) => r.command === 'script.suspended')) suspendedAt = t;
  }
  expect(attachedOk).toBe(N);
  expect(live.sim.scripts?.size).toBe(N);
  // the looping script was suspended (SCRIPT_BUDGET) and the world went on
  expect(suspendedAt).toBeGreaterThanOrEqual(2);
  expect(live.sim.scripts?.info(bodies[17])?.suspended?.code).toBe('SCRIPT_BUDGET');
  // the scripts did something a user notices: doors counted openings, spawners spawned, scoreboards counted hits
  const stores = bodies.map((b) => JSON.parse(live.sim.scripts?.storeOf(b) ?? '{}') as Record<string, unknown>);
  expect(stores.filter((s, k) => k % 3 === 0 && Number(s.opened) >= 1).length).toBeGreaterThan(10);
  expect(stores.filter((s, k) => k % 3 === 1 && Number(s.spawned) >= 1).length).toBeGreaterThan(5);
  expect(stores.filter((s, k) => k % 3 === 2 && Number(s.hits) >= 1).length).toBeGreaterThan(10);
  expect(stores.every((s, k) => k % 3 !== 1 || Number(s.spawned ?? 0) <= 3)).toBe(true);
  expect(live.sim.world.handles().length).toBeGreaterThan(bodies.length + 10);

  // a world restored from the newest snapshot (tick 80, a checkpoint) plus the log after it
  const restored = WorldLoop.restore('world', setup(1), store, {}, { clock: now, seed: SEED });
  expect(restored).not.toBeNull();
  const back = restored as WorldLoop;
  expect(back.stream.tick).toBe(RESTART);
  expect(back.sim.hash()).toBe(live.sim.hash());
  for (let t = RESTART; t < TICKS; t++) {
    for (const l of [live, four, back]) driveScripted(l, t, bodies);
    clock.t += 50;
    const a = live.step(),
      b = four.step(),
      c = back.step();
    expect(b.hash).toBe(a.hash);
    expect(c.events).toEqual(a.events);
    expect(c.hash).toBe(a.hash);
    hashes.push(a.hash);
    log.push(...a.events);
  }
  await Promise.all([live.close(), four.close(), back.close()]);
  // the store keeps each script's source, version and author (migration 7)
  const door = store.currentScript('world', encodeHandle(bodies[0]));
  expect(door).toMatchObject({ source: DOOR, version: 1, tick: 2, byPrincipal: 1, byAdmin: true });
  expect(store.currentScript('world', encodeHandle(bodies[1]))?.source).toBe(SPAWNER);
  store.close();

  // a replay of the whole log re-runs the scripts: the same hash at every tick
  const replayed: bigint[] = [];
  await replayLog(setup(1), log, TICKS, (r) => replayed.push(r.hash));
  expect(replayed).toEqual(hashes);
});

test('permissions: only the master or an admin attaches, replaces or reads the store; the store survives a replace', async () => {
  const loop = new WorldLoop(new EventStream('world'), setup(1));
  const s = loop.stream;
  const alice = s.connect('alice').publicId,
    bob = s.connect('bob').publicId;
  loop.step(); // avatars
  const at = loop.avatarPosition(alice) as [number, number, number];
  s.publish('alice', 'sp', `${Math.round(at[0] * 1000)},${Math.round(at[1] * 1000) + 2000},${Math.round(at[2] * 1000)},0,0,0`);
  loop.step();
  const ball = [...loop.sim.world.handles()].find((h) => loop.sim.social.ownershipOf(h).master === -alice) as bigint;
  expect(ball).toBeDefined();
  const o = encodeHandle(ball);
  const step = () => loop.step();

  // bob is not the master: attach refused, nothing attached
  s.publish('bob', 'sa', JSON.stringify({ o, src: SCOREBOARD }));
  let r = step();
  expect(r.refused.map((x) => [x.event.origin, x.code])).toEqual([[bob, ERROR.NOT_ALLOWED]]);
  expect(r.refused[0].message).toMatch(/only the master/);
  expect(loop.sim.scripts?.info(ball)).toBeNull();

  // alice (the master) attaches; her hits counter runs when the ball lands
  s.publish('alice', 'sa', JSON.stringify({ o, src: SCOREBOARD }));
  r = step();
  expect(r.refused).toEqual([]);
  expect(r.social.audit.map((a) => [a.command, a.actorPublicId, a.args])).toEqual([['script.attach', alice, [o, '1']]]);
  for (let i = 0; i < 40; i++) step();
  expect(JSON.parse(loop.sim.scripts?.storeOf(ball) ?? '{}').hits).toBeGreaterThanOrEqual(1);

  // bob can neither replace it nor read its store; alice can read it
  s.publish('bob', 'sa', JSON.stringify({ o, src: DOOR }));
  s.publish('bob', 'sr', JSON.stringify({ o }));
  s.publish('alice', 'sr', JSON.stringify({ o }));
  r = step();
  expect(r.refused.map((x) => [x.event.type, x.code])).toEqual([
    ['sa', ERROR.NOT_ALLOWED],
    ['sr', ERROR.NOT_ALLOWED],
  ]);
  expect(loop.sim.scripts?.info(ball)?.version).toBe(1);
  const reads = r.social.outbox.filter((m) => m.msg.kind === 'adminResult' && m.msg.command === 'script.store');
  expect(reads.map((m) => m.to)).toEqual([[alice]]);
  expect(reads.some((m) => m.to.includes(bob))).toBe(false);
  const read = reads[0].msg as { message: string };
  expect(JSON.parse(read.message).hits).toBeGreaterThanOrEqual(1);

  // alice replaces it: version 2, the object's store kept
  s.publish('alice', 'sa', JSON.stringify({ o, src: DOOR }));
  r = step();
  expect(r.refused).toEqual([]);
  expect(loop.sim.scripts?.info(ball)?.version).toBe(2);
  expect(loop.sim.scripts?.info(ball)?.source).toBe(DOOR);
  expect(JSON.parse(loop.sim.scripts?.storeOf(ball) ?? '{}').hits).toBeGreaterThanOrEqual(1);
  await loop.close();
});

test('a world without scripts hashes as before (scripts option on, none attached)', async () => {
  const plain = new WorldLoop(new EventStream('world'), testWorld({ spheres: 20 }));
  const withOpt = new WorldLoop(new EventStream('world'), { ...testWorld({ spheres: 20 }), scripts: { engine } });
  for (let t = 0; t < 30; t++) expect(withOpt.step().hash).toBe(plain.step().hash);
  await Promise.all([plain.close(), withOpt.close()]);
});

test('examples: the door lifts when touched and closes 40 ticks later; the spawner stops at its cap of 3', async () => {
  const loop = new WorldLoop(new EventStream('world'), { ...testWorld({ spheres: 2 }), scripts: { engine } });
  const s = loop.stream;
  const admin = s.connect('admin').publicId;
  s.publishServer('_id', `${admin},1,admin`);
  s.connect('guest');
  loop.step();
  const [door, spawner] = scriptedPile(loop);
  for (let i = 0; i < 20; i++) loop.step(); // the spheres settle before their scripts come
  s.publish('admin', 'sa', JSON.stringify({ o: encodeHandle(door), src: DOOR }));
  s.publish('admin', 'sa', JSON.stringify({ o: encodeHandle(spawner), src: SPAWNER }));
  loop.step();
  const restY = loop.sim.world.position(door)[1];
  // the guest rolls a ball at the door (sideways: the door's lift is the script's impulse alone)
  const [x, y, z] = loop.sim.world.position(door);
  s.publish('guest', 'sp', `${Math.round(x * 1000) - 1500},${Math.round(y * 1000) - 250},${Math.round(z * 1000)},3000,0,0`);
  const chat = (r: ReturnType<WorldLoop['step']>, text: string) => r.social.outbox.some((m) => m.msg.kind === 'chat' && m.msg.text === text);
  let opened = -1,
    closed = -1,
    top = restY,
    empty = 0;
  const before = loop.sim.world.handles().length;
  for (let t = 0; t < 90; t++) {
    if (t % 10 === 5) s.publish('guest', 'sm', JSON.stringify({ o: encodeHandle(spawner), t: 'spawn' })); // 9 asks
    const r = loop.step();
    if (chat(r, 'door opens') && opened < 0) opened = r.tick;
    if (chat(r, 'door closes') && closed < 0) closed = r.tick;
    if (chat(r, 'spawner empty')) empty++;
    if (opened >= 0 && closed < 0) top = Math.max(top, loop.sim.world.position(door)[1]);
  }
  const spawns = loop.sim.world.handles().length - before - 1; // minus the guest's ball
  expect(opened).toBeGreaterThan(0);
  expect(closed - opened).toBe(40);
  // 4 N·s on 1 kg: 4 m/s up, about v^2 / 2g = 0.8 m high (less what the contacts take)
  expect(top).toBeGreaterThan(restY + 0.4);
  expect(top).toBeLessThan(restY + 0.85);
  expect(JSON.parse(loop.sim.scripts?.storeOf(door) ?? '{}')).toMatchObject({ open: false });
  expect(spawns).toBe(3);
  expect(empty).toBe(1);
  await loop.close();
});

test('the demo scene carries its scripts: the door and the seat are scripted at tick 0, and a ball thrown at the door swings it', async () => {
  const scene = await loadSceneWithAssets(join(__dirname, '..', 'scenes', 'demo.json'));
  const loop = new WorldLoop(new EventStream('world'), { ...sceneSetup(scene), scripts: { engine } });
  expect(loop.sim.scripts?.size).toBe(2);
  const s = loop.stream;
  // the client of public id 5 spawns at [0, 1.2, -16]; its ball will fly at the door (4.4, 0.9, -10)
  for (let p = 1; p <= 5; p++) s.connect(`p${p}`);
  loop.step();
  const scripted = [...loop.sim.world.handles()].filter((h) => loop.sim.scripts?.info(h));
  expect(scripted.length).toBe(2);
  const door = scripted.find((h) => loop.sim.scripts?.info(h)?.source === exampleScript('demo-door')) as bigint;
  expect(door).toBeDefined();
  expect(loop.sim.scripts?.info(door)).toMatchObject({ version: 1, by: 0, suspended: null });
  const openedBefore = Number(JSON.parse(loop.sim.scripts?.storeOf(door) ?? '{}').opened ?? 0);
  s.publish('p5', 'sp', '4400,900,-12500,0,0,6000');
  let opened = -1;
  for (let t = 0; t < 30 && opened < 0; t++) {
    loop.step();
    if (Number(JSON.parse(loop.sim.scripts?.storeOf(door) ?? '{}').opened ?? 0) > openedBefore) opened = loop.stream.tick;
  }
  expect(opened).toBeGreaterThan(0);
  const hitVz = loop.sim.world.velocity(door)[2];
  loop.step(); // the script's push (queued after the touch) applies in this tick
  // the ball pushed the door towards +z; the script's 20 N·s towards -z is larger (the ball brings 6 N·s)
  expect(hitVz).toBeGreaterThanOrEqual(0);
  expect(loop.sim.world.velocity(door)[2]).toBeLessThan(-0.1);
  await loop.close();
});
