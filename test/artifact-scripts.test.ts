/**
 * Scripts belong to objects (issue 21), artifacts included: a script attached to a placed
 * artifact's body is kept with the artifact's row in SQLite when the artifact is taken out of the
 * world (source, version, author, store; not its timers) and comes back on the new body when it
 * is placed again, inside the '_ar' event, so a replay of the log gives the same hash at every
 * tick. A plain body's script is not touched by any of it.
 */
import { ArtifactService } from '../src/persist/artifacts';
import { SqliteStore } from '../src/persist/sqlite-store';
import { dataNames, decodeRecord, RecordApplier } from '../src/replica/data-records';
import type { StreamEvent } from '../src/protocol/messages';
import { ScriptEngine } from '../src/script/engine';
import { ARTIFACT_PLACE, encodeHandle } from '../src/sim/event-bodies';
import type { WorldSetup } from '../src/sim/main-sim';
import { replayLog } from '../src/sim/replay';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { scriptedPile } from './helpers/scripts';
import { testWorld } from './helpers/world-setup';

/** A counter: 'go' starts a timer of 1 tick that adds 1 to the store's n on every tick. */
const COUNTER = `on('chat', (e) => { if (e.text === 'go') emit.timer(1); });
on('timer', () => { store.set('n', (store.get('n') ?? 0) + 1); emit.timer(1); });`;

let engine: ScriptEngine;
beforeAll(async () => {
  engine = await ScriptEngine.create(11);
});

const setup = (): WorldSetup => ({ ...testWorld({ spheres: 1 }), scripts: { engine, checkpointEvery: 20 } });

test('a placed artifact keeps its script and store through take and place; a plain body is unaffected; a replay gives the same hashes', async () => {
  const store = SqliteStore.open(':memory:');
  const clock = { t: 1_000_000 };
  const loop = new WorldLoop(new EventStream('world', { clock: { now: () => clock.t } }), setup(), { persist: { store, snapshotEvery: 20 } });
  const arts = new ArtifactService(store, { now: () => clock.t });
  const s = loop.stream;
  const hashes: bigint[] = [];
  const log: StreamEvent[] = [];
  const step = () => {
    s.heard('owner');
    s.heard('admin');
    clock.t += 50;
    const r = loop.step();
    hashes.push(r.hash);
    log.push(...r.events);
    return r;
  };
  const n = (h: bigint): number => Number(JSON.parse(loop.sim.scripts?.storeOf(h) ?? '{}').n ?? 0);

  // account 7 (a player) owns the artifact; account 1 (an admin) scripts the scene's sphere
  const owner = s.connect('owner').publicId,
    admin = s.connect('admin').publicId;
  s.publishServer('_id', `${owner},7,player`);
  s.publishServer('_id', `${admin},1,admin`);
  const art = arts.create({ owner: 7, shape: { kind: 'sphere', radius: 0.4 }, mass: 1, position: [-4, 0.5, -4] }, s);
  step();
  const [plain] = scriptedPile(loop).filter((h) => h !== loop.sim.artifacts.get(art.id)?.body);
  const first = loop.sim.artifacts.get(art.id)?.body as bigint;
  expect(first).toBeDefined();
  s.publish('owner', 'sa', JSON.stringify({ o: encodeHandle(first), src: COUNTER }));
  s.publish('admin', 'sa', JSON.stringify({ o: encodeHandle(plain), src: COUNTER }));
  expect(step().refused).toEqual([]);
  s.publish('owner', 'sm', JSON.stringify({ o: encodeHandle(first), t: 'go' }));
  s.publish('admin', 'sm', JSON.stringify({ o: encodeHandle(plain), t: 'go' }));
  step();
  for (let i = 0; i < 25; i++) step();
  // one count per tick since the tick after 'go' (the go tick's call sets the first timer)
  expect(n(first)).toBe(25);
  expect(n(plain)).toBe(25);

  // take: the row keeps the script with its store as of now; the '_ax' tick does not call it again
  const held = arts.take(art.id, loop);
  expect(held.script).toEqual({ src: COUNTER, v: 1, by: 7, adm: false, store: JSON.stringify({ n: 25 }), susp: null });
  expect(store.artifact(art.id)?.script).toEqual(held.script);
  step();
  expect(loop.sim.artifacts.has(art.id)).toBe(false);
  expect(loop.sim.scripts?.info(first)).toBeNull();
  for (let i = 0; i < 5; i++) step();

  // place again: the new body has the script, version 1 by account 7, with its store
  arts.place(art.id, s, [4, 0.5, -4]);
  const placed = step();
  const second = loop.sim.artifacts.get(art.id)?.body as bigint;
  expect(second).toBeDefined();
  expect(second).not.toBe(first);
  expect(loop.sim.scripts?.info(second)).toMatchObject({ source: COUNTER, version: 1, by: 7, admin: false, suspended: null, tick: placed.tick });
  expect(n(second)).toBe(25);
  expect(placed.social.audit.map((a) => [a.command, a.actor, a.actorPublicId, a.args])).toEqual([
    ['script.attach', 7, 0, [encodeHandle(second), '1', `artifact ${art.id}`]],
  ]);
  // the new body's script is in the scripts table (fetchable source), as an attach would be
  expect(store.currentScript('world', encodeHandle(second))).toMatchObject({ source: COUNTER, version: 1, byPrincipal: 7, byAdmin: false });
  // timers were not kept: the counter waits until it is started again, then continues from 25
  for (let i = 0; i < 3; i++) step();
  expect(n(second)).toBe(25);
  s.publish('owner', 'sm', JSON.stringify({ o: encodeHandle(second), t: 'go' }));
  step();
  for (let i = 0; i < 10; i++) step();
  expect(n(second)).toBe(35);
  // the plain body's counter never stopped: 25 + 1 ('_ax') + 5 + 1 (place) + 3 + 1 + 10 ticks
  expect(n(plain)).toBe(46);
  expect(loop.sim.scripts?.info(plain)).toMatchObject({ source: COUNTER, version: 1, by: 1, admin: true });

  // the owner's 'sr' reads the carried store on the new body (the master's permission holds)
  s.publish('owner', 'sr', JSON.stringify({ o: encodeHandle(second) }));
  const read = step();
  expect(read.social.outbox.find((m) => m.msg.kind === 'adminResult' && m.msg.command === 'script.store')?.to).toEqual([owner]);
  const ticks = hashes.length;
  await loop.close();
  store.close();

  // the '_ar' of the second placement carries the script: a replay re-attaches it at the same tick
  const ar = log.filter((e) => e.type === '_ar').map((e) => ARTIFACT_PLACE.decode(e.body));
  expect(ar.map((a) => a?.script?.store ?? null)).toEqual([null, JSON.stringify({ n: 25 })]);
  const replayed: bigint[] = [];
  await replayLog(setup(), log, ticks, (r) => replayed.push(r.hash));
  expect(replayed).toEqual(hashes);
});

test("an '_ar' with a malformed script is refused; a valid one in a world without scripts places the body alone", async () => {
  const body = (script: unknown) =>
    JSON.stringify({ id: 3, owner: null, master: null, rule: 'ask', shape: { kind: 'sphere', radius: 0.3 }, mass: 1, p: [0, 1000, 0], v: [0, 0, 0], script });
  const ok = { src: COUNTER, v: 2, by: 7, adm: false, store: '{"n":4}', susp: null };
  expect(ARTIFACT_PLACE.decode(body(ok))?.script).toEqual(ok);
  for (const bad of [{ ...ok, src: '' }, { ...ok, v: 0 }, { ...ok, store: '[1]' }, { ...ok, adm: 1 }, { ...ok, susp: { code: 'NOPE', message: '' } }, 'x'])
    expect(ARTIFACT_PLACE.decode(body(bad))).toBeNull();
  // without a script the encoding is the one from before scripts (the logged '_ar' events are unchanged)
  const { script: _, ...plain } = ARTIFACT_PLACE.decode(body(ok)) as NonNullable<ReturnType<typeof ARTIFACT_PLACE.decode>>;
  expect(ARTIFACT_PLACE.encode(plain)).not.toMatch(/script/);

  const loop = new WorldLoop(new EventStream('world'), testWorld({ spheres: 0 }));
  loop.stream.publishServer('_ar', body(ok));
  expect(loop.step().refused).toEqual([]);
  expect(loop.sim.artifacts.has(3)).toBe(true);
  expect(loop.sim.scripts).toBeNull();
  await loop.close();
});

test("the artifact's kept script travels with its row on the data stream (migration 9 trigger, checked and applied by a replica)", () => {
  const leader = SqliteStore.open(':memory:'),
    replica = SqliteStore.open(':memory:');
  leader.db.exec('UPDATE data_state SET capture = 1');
  const arts = new ArtifactService(leader, { now: () => 1000 });
  const rec = arts.create({ owner: 7, shape: { kind: 'sphere', radius: 0.4 }, position: [0, 1, 0] });
  const script = { src: COUNTER, v: 3, by: 7, adm: false, store: '{"n":12}', susp: null };
  leader.updateArtifacts([{ ...rec, script }]);
  const out = leader.db.prepare("SELECT id, tbl, op, row FROM data_outbox WHERE tbl = 'artifacts' ORDER BY id DESC LIMIT 1").get() as {
    id: number;
    tbl: string;
    op: string;
    row: string;
  };
  const { prefix } = dataNames('w1');
  const msg = Buffer.from(JSON.stringify({ v: 1, w: '0123456789abcdef', o: out.id, t: out.tbl, op: out.op, r: JSON.parse(out.row) }));
  const r = decodeRecord(prefix, `${prefix}artifacts.${rec.id}`, msg);
  replica.db.transaction(() => new RecordApplier(replica.db).apply(r))();
  expect(replica.artifact(rec.id)?.script).toEqual(script);
  expect(replica.artifact(rec.id)?.ownerId).toBe(7);
  leader.close();
  replica.close();
});
