/**
 * Shards agree with the unsharded world to the bit: the same scene, split into 1, 2, 4 and 8
 * shards (ghosts within the halo, handoff at region borders), gives the unsharded world's
 * state hash and merged event list at every tick while bodies keep crossing borders; every
 * body has exactly one authority, the region holding it.
 */
import { PhysicsWorld, type WorldConfig } from '../src/physics/world';
import { ShardedWorld, bodyEvents, type Partition } from '../src/physics/sharded';
import { buildCrossingScene as build, CROSSING_CONFIG as CONFIG } from './helpers/scenes';

const LAYOUTS: Array<[string, Partition]> = [
  ['1 shard', { xCuts: [], zCuts: [] }],
  ['2 shards', { xCuts: [0.3], zCuts: [] }],
  ['4 shards (corner at the centre)', { xCuts: [0], zCuts: [0] }],
  ['8 shards', { xCuts: [-5.5, 0.25, 5.5], zCuts: [-0.75] }],
];

describe.each(LAYOUTS)('%s', (_name, partition) => {
  test('hash and merged events equal the unsharded world at every tick; one authority per body', () => {
    const whole = PhysicsWorld.create(CONFIG);
    build(whole);
    const sharded = new ShardedWorld(CONFIG, partition, whole.interactionRange());
    build(sharded);
    const moving = whole.handles().filter((h) => !whole.isStatic(h));
    let events = 0;
    for (let t = 0; t < 120; t++) {
      whole.step();
      sharded.step();
      const a = whole.hash(),
        b = sharded.hash();
      if (a !== b) throw new Error(`tick ${whole.tick}: sharded hash ${b.toString(16)} != unsharded ${a.toString(16)}`);
      const ea = bodyEvents(whole.events()),
        eb = sharded.events();
      expect(eb).toEqual(ea);
      events += ea.length;
    }
    expect(events).toBeGreaterThan(100);
    // authority: each moving body is owned by exactly the shard whose region holds it
    for (const h of moving) {
      const [x, , z] = sharded.position(h);
      expect(sharded.authorityOf(h)).toBe(sharded.shardOf(x, z));
    }
    const counts = sharded.counts();
    expect(counts.reduce((s, c) => s + c.owned, 0)).toBe(moving.length);
    for (const c of counts) expect(c.stepMs).toBeGreaterThan(0); // each shard's step is timed (in-thread here)
    if (sharded.shardCount > 1) {
      expect(sharded.handoffs).toBeGreaterThanOrEqual(10); // bodies did cross borders
      expect(counts.some((c) => c.ghosts > 0)).toBe(true);
    }
  });
});

describe.each([
  [2, { xCuts: [0.3], zCuts: [] }],
  [4, { xCuts: [0], zCuts: [0] }],
] as Array<[number, Partition]>)('%i shards on 2 worker threads', (_n, partition) => {
  test('same hash and events as the unsharded world at every tick', async () => {
    const whole = PhysicsWorld.create(CONFIG);
    build(whole);
    const sharded = new ShardedWorld(CONFIG, partition, whole.interactionRange(), { workers: 2 });
    try {
      build(sharded);
      for (let t = 0; t < 60; t++) {
        whole.step();
        sharded.step();
        const a = whole.hash(),
          b = sharded.hash();
        if (a !== b) throw new Error(`tick ${whole.tick}: sharded (workers) hash ${b.toString(16)} != unsharded ${a.toString(16)}`);
        expect(sharded.events()).toEqual(bodyEvents(whole.events()));
      }
      expect(sharded.handoffs).toBeGreaterThan(0);
      for (const c of sharded.counts()) expect(c.stepMs).toBeGreaterThan(0); // timed on its worker
    } finally {
      await sharded.close();
    }
  });
});

test('a range smaller than the interaction range breaks agreement (the halo is load-bearing; exchange per tick)', () => {
  const whole = PhysicsWorld.create(CONFIG);
  build(whole);
  const sharded = new ShardedWorld(CONFIG, { xCuts: [0], zCuts: [0] }, 0.1, { exchange: 'tick' });
  build(sharded);
  let differs = false;
  for (let t = 0; t < 60 && !differs; t++) {
    whole.step();
    sharded.step();
    differs = whole.hash() !== sharded.hash();
  }
  expect(differs).toBe(true);
});

test('exchanging per pass, the halo needs two contact distances (a sleeper woken by a body beyond one contact distance)', () => {
  // G sleeps just right of the cut; B, new and at rest left of it, touches G; D rolls in from
  // the right. The tick D reaches G, G wakes (D moves) and is pushed into B. Shard 0 holds B
  // and G; D lies between one and two contact distances from shard 0's region. A halo of one
  // contact distance (range 0.001) leaves D out: shard 0 keeps G asleep, so B meets G as an
  // immovable sleeper instead of a body that moves, and its push differs. The default halo
  // (two contact distances) agrees at every tick.
  const config: WorldConfig = { capacity: 16, maxBodyRadius: 0.5, sleep: { enabled: true } };
  const run = (range: number | undefined): number => {
    const whole = PhysicsWorld.create(config);
    const sharded = new ShardedWorld(config, { xCuts: [0], zCuts: [] }, range);
    const worlds = [whole, sharded];
    for (const w of worlds) {
      w.addPlane({ normal: [0, 1, 0], offset: 0 });
      w.addSphere({ position: [0.2, 0.5, 0], radius: 0.5 });
    }
    for (let t = 0; t < 120; t++) for (const w of worlds) w.step();
    for (const w of worlds) w.addSphere({ position: [6.2, 0.5, 0], velocity: [-6, 0, 0], radius: 0.5 });
    for (let t = 0; t < 120; t++) {
      if (t === 40) for (const w of worlds) w.addSphere({ position: [0.2 - 1.0005, 0.5, 0], radius: 0.5 });
      for (const w of worlds) w.step();
      if (whole.hash() !== sharded.hash()) return whole.tick;
    }
    return -1;
  };
  expect(run(undefined)).toBe(-1);
  expect(run(0.001)).not.toBe(-1);
});

test('a ShardedWorld refuses maxCapacity above its capacity (shard worlds share one fixed capacity: only the registry would grow)', () => {
  const partition = { xCuts: [0], zCuts: [] };
  expect(() => new ShardedWorld({ capacity: 256, maxCapacity: 1024 }, partition)).toThrow(/does not grow/);
  expect(() => new ShardedWorld({ maxCapacity: 2048 }, partition)).toThrow(/does not grow/);
  const same = new ShardedWorld({ capacity: 256, maxCapacity: 256 }, partition);
  expect(same.capacity).toBe(256);
  void same.close();
});
