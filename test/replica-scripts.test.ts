/**
 * Object scripts on a replicated world's data stream (issue 21 with issue 19, migration 8): every
 * scripts row the leader writes (an attach, a replace, a detach, as WorldLoop.step records them)
 * reaches a replica's own SQLite file while the leader leads, not only once the replica leads; a
 * replica that starts late gets the rows too; a forged scripts row is refused. The leader's
 * ReplicatedLogStore hands the rows to its own store (where the trigger takes them). Against a
 * real nats-server with JetStream (test/helpers/nats.ts).
 */
import { SqliteStore } from '../src/persist/sqlite-store';
import { DataFollower, DataReplicator, DataStreamLog } from '../src/replica/data-stream';
import { dataNames, decodeRecord } from '../src/replica/data-records';
import type { JetStreamTickLog } from '../src/replica/jetstream-log';
import { ReplicatedLogStore } from '../src/replica/replicated-store';
import { ScriptEngine } from '../src/script/engine';
import { encodeHandle } from '../src/sim/event-bodies';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { uniqueWorld } from './helpers/nats';
import { natsFiles } from './helpers/nats-files';
import { DOOR, SCOREBOARD, scriptedPile } from './helpers/scripts';
import { testWorld } from './helpers/world-setup';

jest.setTimeout(60_000);

const fx = natsFiles('tessera-replica-scripts-');
const file = (name: string) => fx.file(name);

const rows = (s: SqliteStore) => s.db.prepare('SELECT rowid, * FROM scripts ORDER BY stream, object, tick').all();

test("a leader's script attaches, replace and detach reach a replica's file as they happen, and a late replica's", async () => {
  const world = uniqueWorld('scripts');
  const log = await DataStreamLog.open(fx.nc, world);
  const leaderFile = file(`${world}-a`);
  const data = await DataReplicator.lead(log, leaderFile.db, { world, node: `${world}-a` });
  const replicaFile = file(`${world}-b`);
  const follower = await DataFollower.start(log, replicaFile.db, world);
  const engine = await ScriptEngine.create(3);
  // the leader's world: its log and script rows go to its own file, as serve's leader does
  const loop = new WorldLoop(new EventStream('world'), { ...testWorld({ spheres: 2 }), scripts: { engine } }, { persist: { store: leaderFile } });
  try {
    const s = loop.stream;
    const admin = s.connect('admin').publicId;
    s.publishServer('_id', `${admin},1,admin`);
    loop.step();
    const [ball, other] = scriptedPile(loop).map(encodeHandle);
    s.publish('admin', 'sa', JSON.stringify({ o: ball, src: SCOREBOARD }));
    loop.step();
    s.publish('admin', 'sa', JSON.stringify({ o: other, src: DOOR }));
    loop.step();
    await data.settled();
    await follower.reach((await log.last()).seq, 10_000);
    // both attaches are on the replica while the leader still leads
    expect(replicaFile.currentScript('world', ball)).toEqual(leaderFile.currentScript('world', ball));
    expect(replicaFile.currentScript('world', ball)).toMatchObject({ source: SCOREBOARD, version: 1, byAdmin: true });
    expect(replicaFile.currentScript('world', other)?.source).toBe(DOOR);

    // a replace and a detach
    s.publish('admin', 'sa', JSON.stringify({ o: ball, src: DOOR }));
    loop.step();
    s.publish('admin', 'sa', JSON.stringify({ o: other, src: '' }));
    loop.step();
    await data.settled();
    await follower.reach((await log.last()).seq, 10_000);
    follower.stop();
    expect(replicaFile.currentScript('world', ball)).toMatchObject({ source: DOOR, version: 2 });
    expect(replicaFile.currentScript('world', other)).toMatchObject({ source: '', version: 2 });
    expect(rows(replicaFile)).toEqual(rows(leaderFile));
    expect(rows(replicaFile).length).toBe(4);
    expect(follower.stats().refused).toBe(0);

    // a replica that starts late reads every row once
    const late = file(`${world}-c`);
    const f2 = await DataFollower.start(log, late.db, world);
    await f2.reach((await log.last()).seq, 10_000);
    f2.stop();
    expect(rows(late)).toEqual(rows(leaderFile));
  } finally {
    follower.stop();
    await loop.close();
    await data.close();
  }
});

test('a scripts record is checked like every other: a wrong subject or a bad object id is refused', () => {
  const { prefix } = dataNames('w1');
  const row = { rowid: 3, stream: 'world', object: '12:0', tick: 5, version: 1, source: 'on("touch", () => {})', by_principal: 1, by_admin: 1, at_ms: 1000 };
  const msg = (r: object) => Buffer.from(JSON.stringify({ v: 1, w: '0123456789abcdef', o: 1, t: 'scripts', op: 'put', r }));
  expect(decodeRecord(prefix, `${prefix}scripts.3`, msg(row))).toMatchObject({ t: 'scripts', op: 'put', key: 'scripts.3' });
  expect(() => decodeRecord(prefix, `${prefix}scripts.4`, msg(row))).toThrow(/does not name/);
  expect(() => decodeRecord(prefix, `${prefix}scripts.3`, msg({ ...row, object: "12:0'; DROP" }))).toThrow(/does not match/);
  expect(() => decodeRecord(prefix, `${prefix}scripts.3`, msg({ ...row, extra: 1 }))).toThrow(/fields/);
});

test("a replicated leader's store keeps script rows in the node's own file (where the data stream's trigger takes them)", () => {
  const inner = fx.track(SqliteStore.open(':memory:'));
  const log = { lastTick: () => null } as unknown as JetStreamTickLog;
  const store = new ReplicatedLogStore(inner, 'world', log);
  const r = { stream: 'world', object: '4:1', tick: 9, version: 1, source: SCOREBOARD, byPrincipal: 2, byAdmin: false, atMs: 5 };
  store.recordScripts([r]);
  expect(inner.currentScript('world', '4:1')).toEqual(r);
  expect(store.currentScript('world', '4:1')).toEqual(r);
});
