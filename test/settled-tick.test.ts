/**
 * A settled world's ticks wake no shard worker (issue 16: the idle host's cost). With worker
 * threads, a tick with nothing staged and no awake body in any shard world runs its shards on
 * the coordinating thread (ShardedWorld.settledInline counts them); the world reaches the same
 * hash at every tick as the same world whose workers step every tick and as the one-thread
 * world, through settling, a client who joins and wakes the pile with a sphere, and its
 * departure.
 *
 * Once two clean quiet ticks ran, the next quiet ticks skip their shards altogether
 * (ShardedWorld.settledSkipped, src/physics/settled-skip.ts): the world reaches the same hash
 * and the same contact events at every tick as copies that never skip.
 */
import { createBodyTable, type BodyTable } from '../src/physics/body-table';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { testWorld } from './helpers/world-setup';

const SEED = '0123456789abcdef0123456789abcdef';
const PARTITION = { xCuts: [0], zCuts: [0] };

describe('settled ticks', () => {
  test('run on the coordinating thread only while nothing is awake or staged, with the hashes of workers and one thread', async () => {
    const clock = { t: 1_000_000 };
    const make = (shardOptions: { workers: number; inlineSettled?: boolean; skipSettled?: boolean }): WorldLoop =>
      new WorldLoop(new EventStream('world', { clock: { now: () => clock.t }, seed: SEED }), testWorld({ partition: PARTITION, shardOptions }));
    const inline = make({ workers: 2 }),
      pooled = make({ workers: 2, inlineSettled: false, skipSettled: false }),
      single = make({ workers: 0 }),
      stepped = make({ workers: 0, skipSettled: false });
    const loops = [inline, pooled, single, stepped];
    try {
      const w = inline.sim.world;
      const mismatches: string[] = [];
      let settledTicks = 0,
        awakeTicks = 0,
        inlineWhileAwake = 0;
      const step = (): void => {
        clock.t += 50;
        // settled before the tick: no awake body in any shard world, nothing staged (no event)
        const quiet = w.counts().every((c) => c.awake === 0) && inline.stream.openEvents().length === 0;
        const before = w.settledInline,
          skippedBefore = w.settledSkipped;
        const results = loops.map((l) => l.step());
        const hashes = results.map((r) => r.hash);
        if (hashes.some((h) => h !== hashes[0])) mismatches.push(`tick ${w.tick}: ${hashes.map((h) => h.toString(16)).join(' ')}`);
        // the contact events of the tick, as the shards published them and as the stream carries them
        const events = loops.map((l, i) => JSON.stringify([l.sim.world.events(), results[i].events], (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
        if (events.some((e) => e !== events[0])) mismatches.push(`tick ${w.tick}: events ${events.join(' / ')}`);
        // the host's body table (kept current incrementally, unchanged boards not compared) is a full read's
        for (const [i, l] of loops.entries())
          if (rows(l.bodies.table) !== rows(l.sim.world.readBodies(createBodyTable(l.table.index.length))))
            mismatches.push(`tick ${w.tick}: loop ${i}'s body table is not the board's`);
        if (quiet) {
          settledTicks++;
          if (w.settledInline + w.settledSkipped !== before + skippedBefore + 1) mismatches.push(`tick ${w.tick}: a settled tick woke the workers`);
        } else {
          awakeTicks++;
          if (w.settledInline !== before || w.settledSkipped !== skippedBefore) inlineWhileAwake++;
        }
      };
      const rows = (t: BodyTable): string =>
        JSON.stringify([t.count, t.tick, ...Object.entries(t).flatMap(([k, v]) => (v instanceof Int32Array ? [k, Array.from(v.subarray(0, t.count))] : []))]);
      const settle = (): number => {
        const from = settledTicks;
        for (let t = 0; t < 600 && settledTicks - from < 20; t++) step();
        return settledTicks - from;
      };
      expect(settle()).toBe(20);
      expect(pooled.sim.world.settledInline).toBe(0);
      expect([pooled, stepped].map((l) => l.sim.world.settledSkipped)).toEqual([0, 0]);
      // of 20 settled ticks, the first two run (clean), the rest skip their shards
      const skipped = w.settledSkipped;
      expect(skipped).toBeGreaterThanOrEqual(15);
      expect(single.sim.world.settledSkipped).toBe(skipped);
      expect(inline.bodies.counts.still).toBeGreaterThanOrEqual(15); // refreshes that compared no body
      // a client joins, drops a sphere on the pile, leaves; the world settles again
      for (const l of loops) l.stream.connect('alice');
      for (let t = 0; t < 5; t++) step();
      for (const l of loops) l.stream.publish('alice', 'sp', '5000,4000,5000,0,-2000,0');
      for (let t = 0; t < 40; t++) step();
      for (const l of loops) l.stream.disconnect('alice');
      expect(settle()).toBe(20);
      expect(w.settledSkipped - skipped).toBeGreaterThanOrEqual(15);
      expect(w.stepMs()).toEqual(w.counts().map((c) => c.stepMs)); // what the host reads per tick
      expect(mismatches).toEqual([]);
      expect(awakeTicks).toBeGreaterThan(45);
      expect(inlineWhileAwake).toBe(0);
    } finally {
      await Promise.all(loops.map((l) => l.close())); // the workers, also when an expectation failed
    }
  }, 120_000);
});
