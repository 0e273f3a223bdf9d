/**
 * A settled world's ticks wake no shard worker (issue 16: the idle host's cost). With worker
 * threads, a tick with nothing staged and no awake body in any shard world runs its shards on
 * the coordinating thread (ShardedWorld.settledInline counts them); the world reaches the same
 * hash at every tick as the same world whose workers step every tick and as the one-thread
 * world, through settling, a client who joins and wakes the pile with a sphere, and its
 * departure.
 */
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { testWorld } from './helpers/world-setup';

const SEED = '0123456789abcdef0123456789abcdef';
const PARTITION = { xCuts: [0], zCuts: [0] };

describe('settled ticks', () => {
  test('run on the coordinating thread only while nothing is awake or staged, with the hashes of workers and one thread', async () => {
    const clock = { t: 1_000_000 };
    const make = (shardOptions: { workers: number; inlineSettled?: boolean }): WorldLoop =>
      new WorldLoop(new EventStream('world', { clock: { now: () => clock.t }, seed: SEED }), testWorld({ partition: PARTITION, shardOptions }));
    const inline = make({ workers: 2 }),
      pooled = make({ workers: 2, inlineSettled: false }),
      single = make({ workers: 0 });
    const loops = [inline, pooled, single];
    const w = inline.sim.world;
    const mismatches: string[] = [];
    let settledTicks = 0,
      awakeTicks = 0,
      inlineWhileAwake = 0;
    const step = (): void => {
      clock.t += 50;
      // settled before the tick: no awake body in any shard world, nothing staged (no event)
      const quiet = w.counts().every((c) => c.awake === 0) && inline.stream.openEvents().length === 0;
      const before = w.settledInline;
      const hashes = loops.map((l) => l.step().hash);
      if (hashes[1] !== hashes[0] || hashes[2] !== hashes[0]) mismatches.push(`tick ${w.tick}: ${hashes.map((h) => h.toString(16)).join(' ')}`);
      if (quiet) {
        settledTicks++;
        if (w.settledInline !== before + 1) mismatches.push(`tick ${w.tick}: a settled tick woke the workers`);
      } else {
        awakeTicks++;
        if (w.settledInline !== before) inlineWhileAwake++;
      }
    };
    const settle = (): number => {
      const from = settledTicks;
      for (let t = 0; t < 600 && settledTicks - from < 20; t++) step();
      return settledTicks - from;
    };
    expect(settle()).toBe(20);
    expect(pooled.sim.world.settledInline).toBe(0);
    // a client joins, drops a sphere on the pile, leaves; the world settles again
    for (const l of loops) l.stream.connect('alice');
    for (let t = 0; t < 5; t++) step();
    for (const l of loops) l.stream.publish('alice', 'sp', '5000,4000,5000,0,-2000,0');
    for (let t = 0; t < 40; t++) step();
    for (const l of loops) l.stream.disconnect('alice');
    expect(settle()).toBe(20);
    expect(w.stepMs()).toEqual(w.counts().map((c) => c.stepMs)); // what the host reads per tick
    expect(mismatches).toEqual([]);
    expect(awakeTicks).toBeGreaterThan(45);
    expect(inlineWhileAwake).toBe(0);
    await Promise.all(loops.map((l) => l.close()));
  }, 120_000);
});
