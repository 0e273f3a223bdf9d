/**
 * Region-local shard work (issue 16): a shard's tick reads lists, not the world's slots. Its
 * sync visits the bodies it holds, the command overlay and the published lists that can
 * concern it (its own bodies, its neighbours' border bodies); its event step reads its own
 * touch list and the entries handed to it. Work counters (ShardedWorld.counts(): syncVisits,
 * eventVisits) show that a shard's cost follows its own and its neighbours' bodies, not the
 * global slot count; despawns and slot reuse, which no shard publishes, still give the
 * unsharded world's hash and events at every tick.
 */
import { PhysicsWorld, type BodyHandle, type Command, type WorldConfig } from '../src/physics/world';
import { ShardedWorld, bodyEvents, type Partition } from '../src/physics/sharded';

const CORNER: WorldConfig = { capacity: 4096, maxBodyRadius: 0.5 };

/** 2,000 spheres in a grid in shard 0's far corner (x, z in [-100, -59]) and 10 in shard 3's (x, z > 80). */
function buildCorners(w: { addPlane: PhysicsWorld['addPlane']; addSphere: PhysicsWorld['addSphere'] }): void {
  w.addPlane({ normal: [0, 1, 0], offset: 0 });
  for (let i = 0; i < 2000; i++) {
    w.addSphere({
      radius: 0.5,
      position: [-100 + (i % 40) * 1.05, 0.5 + Math.floor(i / 1600) * 1.1, -100 + (Math.floor(i / 40) % 40) * 1.05],
      velocity: [0, -1, 0],
    });
  }
  for (let i = 0; i < 10; i++) w.addSphere({ radius: 0.5, position: [82 + i * 1.5, 0.6, 85], velocity: [0.5, 0, 0] });
}

test("a shard's sync and event work and its world's slots follow its own and its neighbours' bodies, not the world's 2,010 slots", () => {
  const partition: Partition = { xCuts: [0], zCuts: [0] };
  const whole = PhysicsWorld.create(CORNER);
  buildCorners(whole);
  const sharded = new ShardedWorld(CORNER, partition, whole.interactionRange());
  buildCorners(sharded);
  let worst3 = { sync: 0, event: 0 };
  let least0 = { sync: Infinity, event: Infinity };
  for (let t = 0; t < 30; t++) {
    whole.step();
    sharded.step();
    expect(sharded.hash()).toBe(whole.hash());
    const c = sharded.counts();
    expect(c[3].owned).toBe(10);
    expect(c[0].owned).toBe(2000);
    expect(c[1].owned + c[2].owned + c[1].ghosts + c[2].ghosts).toBe(0);
    if (t === 0) continue; // the first tick syncs every new body from the overlay (2,010 slots, each shard)
    worst3 = { sync: Math.max(worst3.sync, c[3].syncVisits), event: Math.max(worst3.event, c[3].eventVisits) };
    least0 = { sync: Math.min(least0.sync, c[0].syncVisits), event: Math.min(least0.event, c[0].eventVisits) };
  }
  console.log(
    `corner world: shard 3 (10 bodies) at most ${worst3.sync} sync / ${worst3.event} event visits per tick; shard 0 (2,000) at least ${least0.sync} / ${least0.event}`,
  );
  // shard 3: its 10 bodies held, published and walked (3 x 10), their 10 floor contacts (2 entries each: "A touches floor", "floor touches A")
  expect(worst3.sync).toBeLessThanOrEqual(30);
  expect(worst3.event).toBeLessThanOrEqual(20);
  expect(least0.sync).toBeGreaterThanOrEqual(3 * 2000);
  // the empty shards read nothing at all
  const c = sharded.counts();
  expect(c[1].syncVisits + c[1].eventVisits + c[2].syncVisits + c[2].eventVisits).toBe(0);
  // and every shard world stores what it holds on slots of its own: shard 3's 10 bodies (slots
  // 2,001 to 2,010 of the whole world) and the floor on its first 11 slots, the empty shards the
  // floor alone; shard 0 its 2,000 and the floor
  expect(c.map((x) => x.slots)).toEqual([2001, 1, 1, 11]);
});

/** xorshift32 in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const CHURN: WorldConfig = { capacity: 512, maxBodyRadius: 0.4 };

describe.each([
  ['1 shard', { xCuts: [], zCuts: [] }, 0],
  ['2 shards', { xCuts: [0.2], zCuts: [] }, 0],
  ['4 shards', { xCuts: [0], zCuts: [0] }, 0],
  ['4 shards on 2 workers', { xCuts: [0], zCuts: [0] }, 2],
] as Array<[string, Partition, number]>)('%s', (_name, partition, workers) => {
  test('despawns, slot reuse and teleports across borders: the unsharded hash and events at every tick', async () => {
    const whole = PhysicsWorld.create(CHURN);
    const sharded = new ShardedWorld(CHURN, partition, undefined, { workers }); // the halo for the largest radius the config accepts
    try {
      const r = rng(16);
      const spot = (): [number, number, number] => [(r() - 0.5) * 8, 0.4 + r() * 3, (r() - 0.5) * 8];
      const live: BodyHandle[] = [];
      const spawn = (): void => {
        const o = { radius: 0.2 + 0.2 * r(), position: spot(), velocity: [(r() - 0.5) * 4, 0, (r() - 0.5) * 4] as [number, number, number] };
        const a = whole.addSphere(o),
          b = sharded.addSphere(o);
        expect(b).toBe(a);
        live.push(a);
      };
      for (const w of [whole, sharded]) {
        w.addPlane({ normal: [0, 1, 0], offset: 0 });
        for (const [n, o] of [
          [[1, 0, 0], -4.5],
          [[-1, 0, 0], -4.5],
          [[0, 0, 1], -4.5],
          [[0, 0, -1], -4.5],
        ] as Array<[[number, number, number], number]>)
          w.addPlane({ normal: n, offset: o });
      }
      for (let i = 0; i < 200; i++) spawn();
      let events = 0,
        despawns = 0;
      for (let t = 0; t < 150; t++) {
        const cmds: Command[] = [];
        // despawn 3 bodies (their slots are reused by the next spawns), teleport 2 across the world
        for (let q = 0; q < 3; q++) cmds.push({ kind: 'despawn', body: live.splice(Math.floor(r() * live.length), 1)[0] });
        for (let q = 0; q < 2; q++) cmds.push({ kind: 'setPosition', body: live[Math.floor(r() * live.length)], value: spot() });
        expect(sharded.applyCommands(cmds)).toEqual(whole.applyCommands(cmds));
        despawns += 3;
        if (t % 4 === 3) for (let q = 0; q < 12; q++) spawn(); // freed slots wait up to 3 ticks, then are reused
        whole.step();
        sharded.step();
        const a = whole.hash(),
          b = sharded.hash();
        if (a !== b) throw new Error(`tick ${whole.tick}: sharded hash ${b.toString(16)} != unsharded ${a.toString(16)}`);
        const ea = bodyEvents(whole.events());
        expect(sharded.events()).toEqual(ea);
        events += ea.length;
        // the published board lists no despawned body (no shard writes them: the coordinator clears them)
        expect(sharded.handles()).toEqual(whole.handles());
      }
      expect(despawns).toBe(450);
      expect(events).toBeGreaterThan(100);
    } finally {
      await sharded.close();
    }
  });
});

const CARPET: WorldConfig = { capacity: 256, maxBodyRadius: 0.5 }; // sleeping on (30 rested ticks)

/** 144 spheres lying 5 mm apart on the floor, a 12 x 12 carpet centred on the origin (so across every cut at 0). */
function buildCarpet(w: { addPlane: PhysicsWorld['addPlane']; addSphere: PhysicsWorld['addSphere'] }): BodyHandle[] {
  w.addPlane({ normal: [0, 1, 0], offset: 0 });
  const carpet: BodyHandle[] = [];
  for (let i = 0; i < 144; i++) carpet.push(w.addSphere({ radius: 0.5, position: [((i % 12) - 5.5) * 1.005, 0.5, (Math.floor(i / 12) - 5.5) * 1.005] }));
  return carpet;
}

describe.each([
  ['1 shard', { xCuts: [], zCuts: [] }, 0, 'tick'],
  ['2 shards', { xCuts: [0], zCuts: [] }, 0, 'tick'],
  ['4 shards', { xCuts: [0], zCuts: [0] }, 0, 'tick'],
  ['4 shards on 2 workers', { xCuts: [0], zCuts: [0] }, 2, 'tick'],
  ['2 shards exchanging per pass', { xCuts: [0], zCuts: [] }, 0, 'pass'],
  ['4 shards on 2 workers exchanging per pass', { xCuts: [0], zCuts: [0] }, 2, 'pass'],
] as Array<[string, Partition, number, 'tick' | 'pass']>)('%s', (_name, partition, workers, exchange) => {
  test('a carpet asleep across the borders costs its shards no import, no record written and no step work per tick; a hit wakes it as in the unsharded world', async () => {
    const whole = PhysicsWorld.create(CARPET);
    const carpet = buildCarpet(whole);
    const sharded = new ShardedWorld(CARPET, partition, undefined, { workers, exchange });
    buildCarpet(sharded);
    try {
      const step = (): void => {
        whole.step();
        sharded.step();
        if (whole.hash() !== sharded.hash()) throw new Error(`tick ${whole.tick}: sharded hash != unsharded`);
        expect(sharded.events()).toEqual(bodyEvents(whole.events()));
      };
      for (let t = 0; t < 40; t++) step();
      expect(carpet.every((b) => whole.isSleeping(b))).toBe(true);
      step(); // the tick after the last body fell asleep publishes it once more (the other board)
      step();
      const sum = { imports: 0, published: 0, awake: 0, participants: 0, work: 0, ghosts: 0 };
      for (let t = 0; t < 30; t++) {
        step();
        for (const c of sharded.counts()) for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += c[k];
      }
      // every shard holds the whole carpet (owned or as ghosts: it lies within the halo of every region) ...
      // (exchanging per pass, the halo is 2 contact distances: the rows along the cuts)
      if (sharded.shardCount > 1 && exchange === 'tick') expect(sum.ghosts).toBe(30 * 144 * (sharded.shardCount - 1));
      if (sharded.shardCount > 1 && exchange === 'pass') expect(sum.ghosts / 30).toBeGreaterThan(0);
      // ... and reads, writes and steps none of it
      expect({ imports: sum.imports, published: sum.published, awake: sum.awake, participants: sum.participants, work: sum.work }).toEqual({
        imports: 0,
        published: 0,
        awake: 0,
        participants: 0,
        work: 0,
      });
      // a ball rolls in across the cut at x = 0: the sleepers it hits wake on the same tick in every shard
      const o = { radius: 0.5, position: [-9, 0.5, 0.2] as [number, number, number], velocity: [8, 0, 0] as [number, number, number] };
      expect(sharded.addSphere(o)).toBe(whole.addSphere(o));
      for (let t = 0; t < 90; t++) step();
      const woke = carpet.filter((b) => !whole.isSleeping(b)).length;
      expect(woke).toBeGreaterThan(2);
      expect(sharded.counts().reduce((n, c) => n + c.published, 0)).toBeGreaterThan(0);
    } finally {
      await sharded.close();
    }
  });
});
