/**
 * A full world (issue 15): joins, sphere spawns, admin spawns and artifact placements beyond the
 * body capacity are refused with ERROR.FULL instead of throwing PhysicsError FULL out of the
 * tick; the refusals are decisions of the log (a replay on 1 and 4 shards gives the same hash
 * at every tick); a world restored from a full snapshot refuses what is new and keeps running.
 */
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { MainSim, refusedClient } from '../src/sim/main-sim';
import { replayLog, derivedInLog } from '../src/sim/replay';
import { ERROR } from '../src/protocol/errors';
import type { StreamEvent } from '../src/protocol/messages';
import { testWorld } from './helpers/world-setup';
import { CLOSED_BOX_STATICS } from './helpers/scenes';

/** Six statics of the closed box + room for six moving bodies. */
const CAPACITY = CLOSED_BOX_STATICS + 6;
const TICKS = 40;

interface Live {
  log: StreamEvent[];
  hashes: bigint[];
  refused: Array<{ tick: number; type: string; code: number; client: number }>;
  adminResults: string[];
  loop: WorldLoop;
}

/**
 * a, b, c join (3 avatars); a (an admin) spawns spheres until the world is full; d joins into the
 * full world; a's admin spawn and an artifact placement come in; b leaves and e joins into the
 * freed slot.
 */
function liveRun(): Live {
  const clock = { t: 0 };
  const stream = new EventStream('world', { clock: { now: () => clock.t }, seed: '0123456789abcdef0123456789abcdef' });
  const loop = new WorldLoop(stream, testWorld({ spheres: 0, capacity: CAPACITY }));
  const hashes: bigint[] = [],
    refused: Live['refused'] = [],
    adminResults: string[] = [];
  const spawnNear = (c: string): void => {
    const p = loop.avatarPosition(stream.publicIdOf(c) as number);
    if (p) stream.publish(c, 'sp', `${Math.round(p[0] * 1000)},${Math.round(p[1] * 1000) + 1500},${Math.round(p[2] * 1000)},0,0,0`);
  };
  for (let t = 0; t < TICKS; t++) {
    if (t === 0) {
      for (const c of ['a', 'b', 'c']) stream.connect(c);
      stream.publishServer('_id', `${stream.publicIdOf('a')},1,admin`);
    }
    if (t >= 2 && t < 7) spawnNear('a'); // 3 fit, 2 are refused
    if (t === 8) stream.connect('d'); // no room for d's avatar
    if (t === 9) stream.publish('d', 'sp', '0,2000,0,0,0,0'); // d has no avatar: NOT_FOUND
    if (t === 10) stream.publish('a', 'ad', JSON.stringify({ cmd: 'spawn', args: ['0', '2', '0'] }));
    if (t === 11)
      stream.publishServer(
        '_ar',
        JSON.stringify({ id: 7, owner: null, master: null, rule: 'allow', shape: { kind: 'sphere', radius: 0.3 }, mass: 1, p: [0, 2000, 0], v: [0, 0, 0] }),
      );
    if (t === 14) stream.disconnect('b'); // frees b's avatar at the end of tick 14
    if (t === 16) stream.connect('e');
    for (const c of ['a', 'b', 'c', 'd', 'e']) if (stream.publicIdOf(c) !== undefined) stream.heard(c);
    clock.t += 50;
    const r = loop.step();
    for (const f of r.refused) refused.push({ tick: r.tick, type: f.event.type, code: f.code, client: refusedClient(f) });
    for (const o of r.social.outbox) if (o.msg.kind === 'adminResult') adminResults.push(`${o.msg.ok} ${o.msg.message}`);
    hashes.push(r.hash);
  }
  return { log: [...stream.log()], hashes, refused, adminResults, loop };
}

describe('a full world', () => {
  let live: Live;
  beforeAll(() => {
    live = liveRun();
  });
  afterAll(async () => {
    await live.loop.close();
  });

  test('joins, spawns, admin spawns and placements beyond the capacity are refused with FULL; the world goes on', () => {
    const full = live.refused.filter((r) => r.code === ERROR.FULL);
    expect(full.map((r) => `${r.tick} ${r.type}`)).toEqual(['5 sp', '6 sp', '8 _c', '11 _ar']);
    expect(live.refused.filter((r) => r.code !== ERROR.FULL).map((r) => `${r.tick} ${r.type} ${r.code}`)).toEqual([`9 sp ${ERROR.NOT_FOUND}`]);
    expect(live.adminResults).toEqual([expect.stringMatching(/^false .*full/)]);
    const pid = (c: string): number => Number(live.log.find((e) => e.type === '_c' && e.tick === (c === 'd' ? 8 : 16))?.body);
    expect(live.loop.sim.avatars.has(pid('d'))).toBe(false); // refused at tick 8
    // whom the host tells: a's spawns, d's join (a server event about d), nobody for the artifact
    const a = Number(live.log.find((e) => e.type === '_c')?.body);
    expect(full.map((r) => r.client)).toEqual([a, a, pid('d'), 0]);
    expect(live.loop.sim.avatars.has(pid('e'))).toBe(true); // b's slot was free by then
    expect(live.loop.sim.tick).toBe(TICKS);
  });

  test.each([
    ['1 shard', {}],
    ['4 shards (2 x 2)', { partition: { xCuts: [0], zCuts: [0] } }],
  ])(
    'the refusals are decisions of the log: replay on %s gives the live hash at every tick',
    async (_name, layout) => {
      const mismatches: string[] = [];
      const final = await replayLog(testWorld({ spheres: 0, capacity: CAPACITY, ...layout }), live.log, TICKS, (r) => {
        if (r.hash !== live.hashes[r.tick]) mismatches.push(`tick ${r.tick}: hash`);
        if (r.tick < TICKS - 1 && JSON.stringify(r.derived) !== JSON.stringify(derivedInLog(live.log, r.tick))) mismatches.push(`tick ${r.tick}: derived`);
      });
      expect(mismatches.slice(0, 5)).toEqual([]);
      expect(final).toBe(live.hashes[TICKS - 1]);
    },
    60_000,
  );

  test('a world restored from a full snapshot refuses new joins and spawns, and keeps stepping', async () => {
    const setup = testWorld({ spheres: 0, capacity: CAPACITY });
    const saved = live.loop.sim.save();
    const sim = new MainSim(setup, saved);
    try {
      expect(sim.hash()).toBe(live.loop.sim.hash());
      const t = sim.tick;
      const r = sim.apply(t, [
        { tick: t, type: '_c', origin: 0, body: '99' },
        {
          tick: t,
          type: '_ar',
          origin: 0,
          body: JSON.stringify({
            id: 8,
            owner: null,
            master: null,
            rule: 'allow',
            shape: { kind: 'sphere', radius: 0.3 },
            mass: 1,
            p: [0, 2000, 0],
            v: [0, 0, 0],
          }),
        },
      ]);
      expect(r.refused.map((f) => `${f.event.type} ${f.code}`)).toEqual([`_c ${ERROR.FULL}`, `_ar ${ERROR.FULL}`]);
      expect(sim.avatars.has(99)).toBe(false);
      for (let k = 1; k <= 5; k++) sim.apply(t + k, k === 1 ? [{ tick: t + 1, type: '_c', origin: 0, body: '100' }] : []);
      expect(sim.tick).toBe(t + 6);
    } finally {
      await sim.close();
    }
  });
});

test('bodies the world cannot take (larger than maxBodyRadius) are refused with BAD_VALUE, not thrown out of the tick', async () => {
  const stream = new EventStream('world', { seed: '0123456789abcdef0123456789abcdef' });
  const loop = new WorldLoop(stream, testWorld({ spheres: 0 })); // maxBodyRadius 1 m
  try {
    const { publicId } = stream.connect('boss');
    stream.publishServer('_id', `${publicId},1,admin`);
    loop.step();
    stream.publish('boss', 'ad', JSON.stringify({ cmd: 'spawn', args: ['0', '3', '0', '3'] }));
    stream.publishServer(
      '_ar',
      JSON.stringify({ id: 9, owner: null, master: null, rule: 'allow', shape: { kind: 'sphere', radius: 3 }, mass: 1, p: [0, 5000, 0], v: [0, 0, 0] }),
    );
    const r = loop.step();
    expect(r.refused.map((f) => `${f.event.type} ${f.code}`)).toEqual([`_ar ${ERROR.BAD_VALUE}`]);
    expect(r.social.outbox.map((o) => o.msg)).toEqual([expect.objectContaining({ kind: 'adminResult', ok: false })]);
    expect(loop.sim.artifacts.has(9)).toBe(false);
    loop.step();
  } finally {
    await loop.close();
  }
});
