/**
 * Cost follows activity (DESIGN.md): a step's work is proportional to the bodies that move and
 * their contacts, not to the bodies that sleep; the awake list and the sleep hash stay exact
 * through every command that changes a body; and a world grows past its initial capacity
 * without changing a bit (same hash at every tick as a world created large, save/restore).
 *
 * Work is read from the core's counters (PhysicsWorld.activity: per-body visits of the last
 * step), never from the clock, so the bounds hold on a busy machine.
 */
import { PhysicsWorld, PhysicsError, type BodyHandle, type WorldConfig } from '../src/physics/world';
import { mulberry32 } from './helpers/bigref';
import { unit } from './helpers/scenes';

/** A floor and `n` spheres (r = 0.5 m) resting on it 1.5 m apart, stepped until all sleep. */
function restingField(n: number, config: WorldConfig = {}): { world: PhysicsWorld; bodies: BodyHandle[]; side: number } {
  const world = PhysicsWorld.create({ capacity: n + 64, maxBodyRadius: 0.5, sleep: { enabled: true, ticks: 5 }, ...config });
  world.addPlane({ normal: [0, 1, 0], offset: 0 });
  const side = Math.ceil(Math.sqrt(n));
  const bodies: BodyHandle[] = [];
  for (let k = 0; k < n; k++) bodies.push(world.addSphere({ position: [(k % side) * 1.5, 0.5, Math.floor(k / side) * 1.5], radius: 0.5 }));
  for (let t = 0; t < 20 && world.activity().awake > 0; t++) world.step();
  return { world, bodies, side };
}

/** Ten spheres falling well away from the field (x < -50 m). */
function addFallers(world: PhysicsWorld): BodyHandle[] {
  return Array.from({ length: 10 }, (_, k) => world.addSphere({ position: [-60 - 2 * k, 20, 0], radius: 0.5 }));
}

describe('sleeping bodies cost nothing', () => {
  test('20,000 sleeping spheres and 10 falling ones: the work of the 10 (as with no sleepers at all)', () => {
    const { world } = restingField(20000);
    expect(world.activity().awake).toBe(0);
    world.step();
    // nothing moves: the step visits no body
    expect(world.activity()).toEqual({ awake: 0, participants: 0, work: 0 });
    const fallers = addFallers(world);
    const alone = PhysicsWorld.create({ capacity: 64, maxBodyRadius: 0.5, sleep: { enabled: true, ticks: 5 } });
    alone.addPlane({ normal: [0, 1, 0], offset: 0 });
    addFallers(alone);
    for (let t = 0; t < 10; t++) {
      world.step();
      alone.step();
      const a = world.activity(),
        b = alone.activity();
      expect(a.awake).toBe(10);
      expect(a.participants).toBe(10);
      // only sleep-hash lookups differ: buckets shared with far cells (the hash wraps around),
      // mostly skipped by their signatures without reading a body
      expect(a.work).toBeLessThanOrEqual(b.work + 3 * 10);
      expect(a.work).toBeLessThan(500);
    }
    expect(world.position(fallers[0])[1]).toBe(alone.position(alone.handles()[1])[1]);
    expect(world.checkActivityLists()).toBe(0);
  });

  test('a sleeper hit by a falling sphere wakes and joins the step', () => {
    const { world, bodies, side } = restingField(2000);
    const target = bodies[side * 10 + 10]; // an inner sphere at (15, 0.5, 15)
    expect(world.isSleeping(target)).toBe(true);
    const [x, , z] = world.position(target);
    const ball = world.addSphere({ position: [x, 3, z], velocity: [0, -4, 0], radius: 0.5, mass: 4 });
    let woke = -1;
    for (let t = 0; t < 40 && woke < 0; t++) {
      world.step();
      const a = world.activity();
      if (!world.isSleeping(target)) {
        woke = t;
        // the step that woke it counted it as a participant; the ball is the other mover
        expect(a.participants).toBeGreaterThanOrEqual(2);
        expect(a.awake).toBeGreaterThanOrEqual(2);
        expect(world.isSleeping(ball)).toBe(false);
      } else {
        expect(a.awake).toBe(1); // the ball alone moves until the hit
      }
    }
    expect(woke).toBeGreaterThan(0);
    expect(world.checkActivityLists()).toBe(0);
    // it holds the ball up (a sleeper left out of the step would let the ball through);
    // its neighbours 1.5 m away are not touched and sleep on
    world.step(5);
    expect(world.position(ball)[1]).toBeGreaterThan(world.position(target)[1] + 0.9);
    expect(world.isSleeping(bodies[side * 10 + 11])).toBe(true);
    expect(world.activity().awake).toBeLessThanOrEqual(2);
    expect(world.checkActivityLists()).toBe(0);
  });
});

describe('sleep blocks: awake bodies skip lookups only where no sleeper lies', () => {
  test('sleepers on both sides of block edges (negative cells too) wake when hit, and every block count stays exact', () => {
    // blocks are 8 x 8 x 8 cells (world.ts sleepBlockOf); a miscounted or misplaced block would
    // let a falling sphere pass into a sleeper that never wakes
    const world = PhysicsWorld.create({ capacity: 128, maxBodyRadius: 0.5, sleep: { enabled: true, ticks: 5 } });
    world.addPlane({ normal: [0, 1, 0], offset: -13 });
    const sleepers: BodyHandle[] = [];
    for (let k = 0; k < 14; k++) sleepers.push(world.addSphere({ position: [-19.3 + 2.9 * k, -12.5, 7.9 - 1.3 * k], radius: 0.5 }));
    for (let t = 0; t < 40 && world.activity().awake > 0; t++) world.step();
    expect(sleepers.every((h) => world.isSleeping(h))).toBe(true);
    expect(world.checkActivityLists()).toBe(0);
    const start = sleepers.map((h) => world.position(h));
    for (const p of start) world.addSphere({ position: [p[0] + 0.3, -9.5, p[2] - 0.2], radius: 0.5 });
    const woke = new Set<number>();
    for (let t = 0; t < 90; t++) {
      world.step();
      expect(world.checkActivityLists()).toBe(0);
      for (const [k, h] of sleepers.entries()) if (!world.isSleeping(h)) woke.add(k);
    }
    expect(woke.size).toBe(sleepers.length);
    for (const [k, h] of sleepers.entries()) {
      const [x, , z] = world.position(h);
      expect(Math.hypot(x - start[k][0], z - start[k][2])).toBeGreaterThan(0.01);
    }
  });
});

describe('participants are ordered by slot', () => {
  test('3,000 bodies (slots beyond one radix digit), some asleep: contacts in pair order, so events are sorted', () => {
    const { world } = restingField(1500, { capacity: 3200 });
    const rng = mulberry32(3);
    // 1,500 more spheres rain onto the sleeping field: awake and sleeping participants mixed
    for (let k = 0; k < 1500; k++) world.addSphere({ position: [unit(rng) * 55, 1.5 + unit(rng) * 6, unit(rng) * 55], radius: 0.5 });
    let events = 0,
      mixed = 0;
    for (let t = 0; t < 90; t++) {
      world.step();
      const a = world.activity();
      if (a.participants > a.awake && a.awake > 48) mixed++;
      const keys = world.events().map((e) => [Number(e.a & 0xffffffffn), Number(e.b & 0xffffffffn)]);
      for (let k = 1; k < keys.length; k++) {
        const [pa, pb] = keys[k - 1],
          [qa, qb] = keys[k];
        if (pa > qa || (pa === qa && pb >= qb)) throw new Error(`tick ${world.tick}: events out of pair order at ${k}`);
      }
      events += keys.length;
    }
    expect(events).toBeGreaterThan(1000);
    expect(mixed).toBeGreaterThan(10);
    expect(world.checkActivityLists()).toBe(0);
  });
});

describe('the awake list and the sleep hash follow every change of a body', () => {
  test('commands, removals, spawns, export/import and save/restore on a sleeping pile', () => {
    const { world, bodies } = restingField(400, { capacity: 600 });
    const other = PhysicsWorld.create({ capacity: 600, maxBodyRadius: 0.5, sleep: { enabled: true, ticks: 5 } });
    const rng = mulberry32(77);
    const live = new Set(bodies);
    const pick = (): BodyHandle => {
      const list = [...live];
      return list[Math.floor(unit(rng) * list.length)];
    };
    for (let round = 0; round < 60; round++) {
      const op = round % 6;
      const b = pick();
      if (op === 0) world.applyImpulse(b, [unit(rng) - 0.5, 2, unit(rng) - 0.5]);
      else if (op === 1) world.setPosition(b, [unit(rng) * 30, 3, unit(rng) * 30]);
      else if (op === 2) {
        world.remove(b);
        live.delete(b);
      } else if (op === 3) live.add(world.addSphere({ position: [unit(rng) * 30, 4, unit(rng) * 30], radius: 0.5 }));
      else if (op === 4) {
        // a record that says "sleeping" overwrites an awake body and the reverse (ghost refresh)
        other.importBody(world.exportBody(b));
        world.setVelocity(b, [0, 1, 0]);
        other.importBody(world.exportBody(b));
        world.wake(b);
      } else world.step(1 + Math.floor(unit(rng) * 10));
      expect({ round, code: world.checkActivityLists() }).toEqual({ round, code: 0 });
      expect({ round, code: other.checkActivityLists() }).toEqual({ round, code: 0 });
    }
    const copy = PhysicsWorld.restore(world.save());
    expect(copy.checkActivityLists()).toBe(0);
    for (let t = 0; t < 60; t++) {
      world.step();
      copy.step();
      expect(copy.hash()).toBe(world.hash());
    }
    expect(world.checkActivityLists()).toBe(0);
  });
});

describe('capacity grows', () => {
  /** A scene that spawns, removes, wakes and lets bodies sleep while it runs: n spheres over 4 n / 3 ticks. */
  function run(world: PhysicsWorld, n: number, onTick: (t: number) => void): void {
    world.addPlane({ normal: [0, 1, 0], offset: 0 });
    world.addBox({ position: [0, 1, 0], half: [2, 1, 2] });
    const rng = mulberry32(5);
    const bodies: BodyHandle[] = [];
    for (let t = 0; t < (4 * n) / 3; t++) {
      if (bodies.length < n) {
        for (let k = 0; k < 3; k++)
          bodies.push(world.addSphere({ position: [unit(rng) * 20 - 10, 3 + unit(rng) * 5, unit(rng) * 20 - 10], radius: 0.25 + unit(rng) / 4 }));
      }
      if (t % 7 === 3) {
        const b = bodies.splice(Math.floor(unit(rng) * bodies.length), 1)[0];
        world.remove(b);
      }
      if (t % 11 === 5) world.applyImpulse(bodies[Math.floor(unit(rng) * bodies.length)], [0, 3, 0]);
      world.step();
      onTick(t);
    }
  }

  const config: WorldConfig = { maxBodyRadius: 0.5, sleep: { enabled: true, ticks: 10 } };

  test('a world started at 16 slots and grown to 1024 gives the hash of one created at 1024, at every tick', () => {
    const small = PhysicsWorld.create({ ...config, capacity: 16, maxCapacity: 1024 });
    const large = PhysicsWorld.create({ ...config, capacity: 1024 });
    const hashes: bigint[] = [];
    run(large, 600, () => hashes.push(large.hash()));
    const grewWith: number[] = []; // sleeping bodies when the world grew
    let cap = small.capacity,
      sleepers = 0;
    run(small, 600, (t) => {
      if (small.capacity !== cap) grewWith.push(sleepers);
      cap = small.capacity;
      if (small.hash() !== hashes[t]) throw new Error(`tick ${t}: grown world ${small.hash().toString(16)} != ${hashes[t].toString(16)}`);
      sleepers = small.bodyCount - 2 - small.activity().awake;
    });
    expect(small.capacity).toBe(1024);
    expect(small.handles()).toEqual(large.handles());
    expect(grewWith.length).toBe(6); // 16 -> 32 -> ... -> 1024
    expect(Math.max(...grewWith)).toBeGreaterThan(10); // the sleep hash was rebuilt while holding sleepers
    expect(small.checkActivityLists()).toBe(0);
  });

  test('a grown world saves and restores; a save from before the growth loads back into it', () => {
    const w = PhysicsWorld.create({ ...config, capacity: 16, maxCapacity: 256 });
    let early: Uint8Array | null = null;
    let earlyHash = 0n;
    run(w, 150, (t) => {
      if (t === 3) {
        early = w.save();
        earlyHash = w.hash();
      }
    });
    expect(w.capacity).toBe(256);
    const copy = PhysicsWorld.restore(w.save());
    for (let t = 0; t < 30; t++) {
      w.step();
      copy.step();
      expect(copy.hash()).toBe(w.hash());
    }
    // a full world refuses beyond the maximum
    for (let k = w.bodyCount; k < 256; k++) w.addSphere({ position: [k % 16, 30 + Math.floor(k / 16), 0], radius: 0.25 });
    expect(() => w.addSphere({ position: [0, 50, 0], radius: 0.25 })).toThrow(expect.objectContaining({ code: 'FULL' }));
    w.load(early as unknown as Uint8Array);
    expect(w.capacity).toBe(16);
    expect(w.hash()).toBe(earlyHash);
  });

  test('importing a body beyond the capacity grows the world up to its maximum', () => {
    const src = PhysicsWorld.create({ ...config, capacity: 64 });
    const hs = Array.from({ length: 50 }, (_, k) => src.addSphere({ position: [k, 1, 0], radius: 0.25 }));
    const dst = PhysicsWorld.create({ ...config, capacity: 8, maxCapacity: 40 });
    expect(dst.importBody(src.exportBody(hs[30]))).toBe(hs[30]);
    expect(dst.capacity).toBe(32);
    expect(() => dst.importBody(src.exportBody(hs[45]))).toThrow(PhysicsError);
    expect(dst.capacity).toBe(32);
    expect(dst.importBody(src.exportBody(hs[39]))).toBe(hs[39]);
    expect(dst.capacity).toBe(40);
  });
});
