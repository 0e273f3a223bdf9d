/**
 * The per-pass exchange's width (issue 16, the cost of the shard machinery): shards hold ghosts
 * within the halo (two contact distances) but exchange solver state each pass only for the
 * bodies within one contact distance (and an eighth) of the other region, the only ones a
 * contact with a body the shard owns can involve (shard.ts "the tick in phases"). Work
 * counters (ShardedWorld.counts(): passBorder, passGhosts) show it; the hash stays the
 * unsharded world's at every tick.
 */
import { PhysicsWorld } from '../src/physics/world';
import { ShardedWorld } from '../src/physics/sharded';
import { buildRain, rainConfig } from './helpers/scenes';

test('2 shards exchange per pass the state of fewer bodies than they hold as ghosts, each one published by its owner and read once', () => {
  const config = rainConfig(2000);
  const whole = PhysicsWorld.create(config);
  const wholeRain = buildRain(whole, 2000, 5);
  const sharded = new ShardedWorld(config, { xCuts: [0], zCuts: [] });
  const shardedRain = buildRain(sharded, 2000, 5);
  let ghosts = 0,
    copied = 0;
  for (let t = 0; t < 40; t++) {
    wholeRain.tick();
    shardedRain.tick();
    expect(sharded.hash()).toBe(whole.hash());
    if (t < 20) continue; // the rain spreads over both sides of the cut first
    const c = sharded.counts();
    // with one cut every body a shard publishes is near the other region: read there, once
    expect(c[0].passGhosts).toBe(c[1].passBorder);
    expect(c[1].passGhosts).toBe(c[0].passBorder);
    ghosts += c[0].ghosts + c[1].ghosts;
    copied += c[0].passGhosts + c[1].passGhosts;
  }
  console.log(`rain 2,000 on 2 shards, ticks 21-40: ${ghosts / 20} ghosts held, ${copied / 20} exchanged per pass (per tick, both shards)`);
  expect(copied).toBeGreaterThan(0);
  // one contact distance and an eighth of a halo of two: about 56 % of the band's bodies
  expect(copied).toBeLessThan(0.8 * ghosts);
});
