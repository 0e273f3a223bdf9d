/**
 * The world stream without networking: events -> main sim -> physics, and replay. The live run
 * (one shard, this thread) and replays of its log on other shard layouts and on worker threads
 * must give the same state hash at every tick and recompute the same derived '_h' events.
 */
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { replayLog, derivedInLog } from '../src/sim/replay';
import { ERROR } from '../src/protocol/errors';
import type { StreamEvent } from '../src/protocol/messages';
import { mulberry32 } from './helpers/bigref';
import { testWorld } from './helpers/world-setup';

const TICKS = 400;

/** A scripted session: 4 clients join at different ticks, walk, jump, spawn spheres; one goes silent. */
function liveRun(): { log: StreamEvent[]; hashes: bigint[]; refused: number; loop: WorldLoop; clock: { t: number } } {
  const clock = { t: 1_000_000 };
  const stream = new EventStream('world', { clock: { now: () => clock.t }, seed: '0123456789abcdef0123456789abcdef' });
  const loop = new WorldLoop(stream, testWorld());
  const rng = mulberry32(7);
  const hashes: bigint[] = [];
  let refused = 0;
  const clients = ['alice', 'bob', 'carol', 'dave'];
  const joinAt = [0, 3, 40, 41];
  for (let t = 0; t < TICKS; t++) {
    clients.forEach((c, i) => {
      if (t === joinAt[i]) stream.connect(c);
      const silent = c === 'dave' && t >= 100; // dave stops talking at tick 100
      if (t < joinAt[i] || silent) return;
      const wx = Math.floor((rng() / 2 ** 32) * 2001) - 1000,
        wz = Math.floor((rng() / 2 ** 32) * 2001) - 1000;
      stream.publish(c, 'in', `${wx},${wz},${t % 37 === 0 ? 1 : 0}`);
      if (t % 50 === 10 + i) {
        const p = loop.avatarPosition(stream.publicIdOf(c) as number);
        if (p) stream.publish(c, 'sp', `${Math.round(p[0] * 1000)},${Math.round(p[1] * 1000) + 2000},${Math.round(p[2] * 1000)},0,0,3000`);
      }
      if (t === 200 && c === 'bob') stream.publish(c, 'in', 'not,an,input');
    });
    clock.t += 50;
    const r = loop.step();
    refused += r.refused.length;
    hashes.push(r.hash);
  }
  return { log: [...stream.log()], hashes, refused, loop, clock };
}

describe('world stream', () => {
  let live: ReturnType<typeof liveRun>;
  beforeAll(() => {
    live = liveRun();
  });
  afterAll(async () => {
    await live.loop.close();
  });

  test('connects spawn avatars, silence despawns, bad inputs are refused with a code', () => {
    const types = live.log.map((e) => e.type);
    expect(types[0]).toBe('_a');
    expect(live.log.filter((e) => e.type === '_c').map((e) => e.body)).toEqual(['1', '2', '3', '4']);
    const d = live.log.filter((e) => e.type === '_d');
    // dave (public id 4) was last heard during tick 99 (clock 99 x 50 ms); tick 298 closes at
    // clock 299 x 50 ms, the first close 10 s or more after that: his _d is stamped 298
    expect(d.map((e) => e.body)).toEqual(['4']);
    expect(d[0].tick).toBe(298);
    expect([...live.loop.sim.avatars.keys()].sort()).toEqual([1, 2, 3]);
    expect(live.refused).toBe(1);
    expect(live.log.some((e) => e.type === '_h')).toBe(true); // avatars touched the floor and each other
  });

  test('the refused event changes nothing and carries BAD_VALUE', () => {
    const clock = { t: 0 };
    const stream = new EventStream('w', { clock: { now: () => clock.t }, seed: '0123456789abcdef0123456789abcdef' });
    const loop = new WorldLoop(stream, testWorld({ spheres: 0 }));
    stream.connect('x');
    loop.step();
    stream.publish('x', 'in', '5000,0,0');
    const r = loop.step();
    expect(r.refused.map((f) => f.code)).toEqual([ERROR.BAD_VALUE]);
    return loop.close();
  });

  test.each([
    ['1 shard, this thread', {}],
    ['4 shards (2 x 2), this thread', { partition: { xCuts: [0], zCuts: [0] } }],
    ['4 shards (4 x 1) on 2 workers', { partition: { xCuts: [-6, 0, 6], zCuts: [] }, shardOptions: { workers: 2 } }],
  ])(
    'replay on %s gives the live hash at every tick and the same derived events',
    async (_name, layout) => {
      const mismatches: string[] = [];
      const final = await replayLog(testWorld(layout), live.log, TICKS, (r) => {
        if (r.hash !== live.hashes[r.tick]) mismatches.push(`tick ${r.tick}: ${r.hash.toString(16)} != ${live.hashes[r.tick].toString(16)}`);
        const want = derivedInLog(live.log, r.tick);
        if (r.tick < TICKS - 1 && JSON.stringify(r.derived) !== JSON.stringify(want)) mismatches.push(`tick ${r.tick}: derived events differ`);
      });
      expect(mismatches.slice(0, 5)).toEqual([]);
      expect(final).toBe(live.hashes[TICKS - 1]);
    },
    120_000,
  );

  test('a replay of a changed log diverges (the comparison can fail)', async () => {
    const changed = live.log.map((e) => (e.type === 'in' && e.tick === 150 && e.origin === 1 ? { ...e, body: '1000,1000,1' } : e));
    const final = await replayLog(testWorld(), changed, TICKS);
    expect(final).not.toBe(live.hashes[TICKS - 1]);
  }, 120_000);
});
