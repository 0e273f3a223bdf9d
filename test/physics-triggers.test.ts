/**
 * Triggers (issue 18, src/physics/sensors.ts): sensor zones report each entering and leaving body
 * once, push nothing, and give the same events on every shard layout.
 */
import { PhysicsWorld, type BodyHandle, type WorldConfig } from '../src/physics/world';
import { ShardedWorld, type Partition } from '../src/physics/sharded';
import type { TriggerEvent } from '../src/physics/sensors';
import { buildCrossingScene, CROSSING_CONFIG } from './helpers/scenes';
import { MainSim } from '../src/sim/main-sim';
import { TRIGGER } from '../src/sim/event-bodies';
import { parseScene, sceneSetup, SceneError } from '../src/scene';
import { mulberry32 } from './helpers/bigref';

const RATE = 60;
const G = 9.81;

/** Events of one body, as [kind, tick]. */
const of = (events: TriggerEvent[], body: BodyHandle): Array<[string, number]> => events.filter((e) => e.body === body).map((e) => [e.kind, e.tick]);

describe('a sphere falling through a sensor slab', () => {
  test('gets one BEGIN and one END at the free-fall ticks', () => {
    const w = PhysicsWorld.create({ capacity: 16, tickRate: RATE });
    const r = 0.25,
      y0 = 10;
    const ball = w.addSphere({ position: [0, y0, 0], radius: r, linearDamping: 0, angularDamping: 0 });
    // slab y in [4.5, 5.5]
    const zone = w.addSensor({ shape: 'box', center: [0, 5, 0], half: [2, 0.5, 2], name: 'slab' });
    const events: TriggerEvent[] = [];
    for (let t = 0; t < 120; t++) {
      w.step();
      events.push(...w.triggerEvents());
    }
    // the ball overlaps while its bottom is below 5.5 and its top above 4.5: fall of
    // y0 - r - 5.5 to begin and y0 + r - 4.5 to end; t = sqrt(2 d / g), in ticks
    const tBegin = Math.sqrt((2 * (y0 - r - 5.5)) / G) * RATE,
      tEnd = Math.sqrt((2 * (y0 + r - 4.5)) / G) * RATE;
    const mine = of(events, ball);
    expect(mine.map((e) => e[0])).toEqual(['begin', 'end']);
    expect(Math.abs(mine[0][1] - tBegin)).toBeLessThanOrEqual(1);
    expect(Math.abs(mine[1][1] - tEnd)).toBeLessThanOrEqual(1);
    expect(events.every((e) => e.sensor === zone)).toBe(true);
    expect(w.sensorName(zone)).toBe('slab');
    expect(w.sensorContents(zone)).toEqual([]);
  });

  test('a falling dynamic box (oriented) also gets one BEGIN and one END', () => {
    const w = PhysicsWorld.create({ capacity: 16, tickRate: RATE });
    const box = w.addDynamicBox({ position: [0, 8, 0], half: [0.3, 0.2, 0.4], orientation: [0.2, 0.3, 0.1, 0.93], linearDamping: 0 });
    w.addSensor({ shape: 'sphere', center: [0, 4, 0], radius: 1 });
    const events: TriggerEvent[] = [];
    for (let t = 0; t < 120; t++) {
      w.step();
      events.push(...w.triggerEvents());
    }
    expect(of(events, box).map((e) => e[0])).toEqual(['begin', 'end']);
  });
});

describe('oriented boxes are tested exactly (separating axes), not by their bounds', () => {
  test('a box turned 45 degrees about y beside a sensor corner is outside; moved in, inside', () => {
    const w = PhysicsWorld.create({ capacity: 16, tickRate: RATE, gravity: [0, 0, 0] });
    // unit-half cube turned 45 degrees about y: its corners reach sqrt(2) along x and z
    const box = w.addDynamicBox({ position: [2.3, 0, 2.3], half: [0.5, 0.5, 0.5], orientation: [0, Math.sin(Math.PI / 8), 0, Math.cos(Math.PI / 8)] });
    // sensor corner at (1, y, 1): the box's AABB (half 0.707) reaches 1.59 < 1: no. Put it at 1.6:
    // AABB reaches 0.893 < 1 along x and z (overlaps the corner region) but the box's edge,
    // 0.5 from its centre along the diagonal, is at distance 2.3 * sqrt2 - 0.5 - sqrt2 from the corner: outside
    w.setPosition(box, [1.6, 0, 1.6]);
    const zone = w.addSensor({ shape: 'box', center: [0, 0, 0], half: [1, 1, 1] });
    w.step();
    expect(w.sensorContents(zone)).toEqual([]);
    // centre 1.3 on the diagonal: the face is at 1.3 sqrt2 - 0.5 = 1.34 from the origin along
    // the diagonal, the sensor's corner at sqrt2 = 1.414: overlapping
    w.setPosition(box, [1.3, 0, 1.3]);
    w.step();
    expect(w.sensorContents(zone)).toEqual([box]);
    expect(w.triggerEvents().map((e) => e.kind)).toEqual(['begin']);
  });
});

describe("the core's overlap test agrees with geometry", () => {
  // Random spheres, capsules and turned boxes around random box and sphere sensors (sizes 0.2 m
  // to 3 km, centres up to 9 km out): wherever the float reference is decisive (the surfaces
  // more than 1 mm apart or overlapping by more than 1 mm), the core's answer is the same.
  test('on 1,200 bodies x 24 sensors, both sides of every boundary', () => {
    const rng = mulberry32(18);
    const u = (a: number, b: number): number => a + ((b - a) * rng()) / 4294967296;
    const w = PhysicsWorld.create({ capacity: 1300, tickRate: RATE, gravity: [0, 0, 0], maxBodyRadius: 1.2, sleep: { enabled: false } });
    type Zone = { box: boolean; c: number[]; e: number[]; id: number };
    const zones: Zone[] = [];
    for (let k = 0; k < 24; k++) {
      const big = k % 6 === 5;
      const c = big ? [u(-9000, 9000), u(-100, 100), u(-9000, 9000)] : [u(-50, 50), u(-5, 5), u(-50, 50)];
      const box = k % 2 === 0;
      const e = box ? [0, 1, 2].map(() => (big ? u(100, 3000) : u(0.2, 5))) : Array(3).fill(big ? u(100, 3000) : u(0.2, 5));
      const id = box
        ? w.addSensor({ shape: 'box', center: c as [number, number, number], half: e as [number, number, number] })
        : w.addSensor({ shape: 'sphere', center: c as [number, number, number], radius: e[0] });
      zones.push({ box, c, e, id });
    }
    const bodies: Array<{ h: BodyHandle; kind: number; r: number; hh: number; half: number[] }> = [];
    for (let n = 0; n < 1200; n++) {
      const z = zones[n % zones.length];
      // near the sensor's surface: centre at up to its size + 2 m from its centre, per axis
      const p = z.c.map((c, a) => c + u(-(z.e[a] + 2), z.e[a] + 2)) as [number, number, number];
      const kind = n % 3;
      const common = { position: p, layer: 1, mask: 0 }; // no contacts: nothing moves
      if (kind === 0) {
        const r = u(0.1, 1);
        bodies.push({ h: w.addSphere({ ...common, radius: r }), kind, r, hh: 0, half: [] });
      } else if (kind === 1) {
        const r = u(0.1, 0.5),
          hh = u(0.05, 0.6);
        bodies.push({ h: w.addCapsule({ ...common, radius: r, halfHeight: hh }), kind, r, hh, half: [] });
      } else {
        const half = [u(0.1, 0.6), u(0.1, 0.6), u(0.1, 0.6)];
        const q = [u(-1, 1), u(-1, 1), u(-1, 1), u(-1, 1)];
        const l = Math.hypot(...q);
        bodies.push({
          h: w.addDynamicBox({ ...common, half: half as [number, number, number], orientation: q.map((x) => x / l) as [number, number, number, number] }),
          kind,
          r: 0,
          hh: 0,
          half,
        });
      }
    }
    w.step();
    let decisive = 0,
      inside = 0;
    for (const z of zones) {
      const got = new Set(w.sensorContents(z.id));
      for (const b of bodies) {
        const p = w.position(b.h);
        const d = [0, 1, 2].map((a) => p[a] - z.c[a]);
        let sep: number; // > 0: apart by that much; < 0: overlapping by that much (a lower bound)
        if (b.kind !== 2) {
          if (z.box) {
            const g = [Math.max(0, Math.abs(d[0]) - z.e[0]), Math.max(0, Math.abs(d[1]) - z.e[1] - b.hh), Math.max(0, Math.abs(d[2]) - z.e[2])];
            const dist = Math.hypot(...g);
            sep = dist > 0 ? dist - b.r : -b.r; // inside the box: overlapping by at least r
          } else sep = Math.hypot(d[0], Math.max(0, Math.abs(d[1]) - b.hh), d[2]) - b.r - z.e[0];
        } else {
          const [qx, qy, qz, qw] = w.orientation(b.h);
          const m = [
            [1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw)],
            [2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw)],
            [2 * (qx * qz - qy * qw), 2 * (qy * qz + qx * qw), 1 - 2 * (qx * qx + qy * qy)],
          ];
          const ax = [0, 1, 2].map((k) => [m[0][k], m[1][k], m[2][k]]);
          const dot = (x: number[], y: number[]): number => x[0] * y[0] + x[1] * y[1] + x[2] * y[2];
          if (!z.box) {
            const g = ax.map((v, k) => {
              const l = -dot(v, d);
              return Math.max(0, Math.abs(l) - b.half[k]);
            });
            const dist = Math.hypot(...g);
            sep = dist > 0 ? dist - z.e[0] : -z.e[0];
          } else {
            const axes = [[1, 0, 0], [0, 1, 0], [0, 0, 1], ...ax];
            for (const v of ax) axes.push([0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]);
            sep = -Infinity;
            for (const L of axes) {
              const len = Math.hypot(...L);
              if (len < 1e-6) continue;
              const t = Math.abs(dot(d, L)),
                rA = z.e[0] * Math.abs(L[0]) + z.e[1] * Math.abs(L[1]) + z.e[2] * Math.abs(L[2]),
                rB = ax.reduce((acc, v, k) => acc + b.half[k] * Math.abs(dot(L, v)), 0);
              sep = Math.max(sep, (t - rA - rB) / len);
            }
          }
        }
        if (Math.abs(sep) <= 1e-3) continue;
        decisive++;
        if (sep < 0) inside++;
        if (got.has(b.h) !== sep < 0)
          throw new Error(`sensor ${z.id} (${z.box ? 'box' : 'sphere'}) and body kind ${b.kind}: core ${got.has(b.h)}, separation ${sep} m`);
      }
    }
    expect(decisive).toBeGreaterThan(28000);
    expect(inside).toBeGreaterThan(300);
  });
});

describe('moving sensors', () => {
  test('a sensor attached to a falling body reports what it passes, never its own body; moveSensor moves a zone', () => {
    const w = PhysicsWorld.create({ capacity: 16, tickRate: RATE });
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    const resting = w.addSphere({ position: [0, 0.25, 0], radius: 0.25 });
    const faller = w.addSphere({ position: [3, 6, 0], radius: 0.25, linearDamping: 0 });
    // reach of 0.5 m around the faller, offset 0: covers a body 0.5 + 0.25 m from its centre
    const carried = w.addSensor({ shape: 'sphere', center: [0, 0, 0], radius: 0.5, attach: faller });
    const zone = w.addSensor({ shape: 'box', center: [-5, 0.5, 0], half: [0.5, 0.5, 0.5] });
    const events: TriggerEvent[] = [];
    for (let t = 0; t < 30; t++) {
      w.step();
      events.push(...w.triggerEvents());
    }
    expect(events).toEqual([]); // the faller is 3 m away from the resting ball; the zone is empty
    w.moveSensor(zone, [0, 0.5, 0]);
    w.moveSensor(carried, [-3, 0, 0]); // now centred 3 m to the faller's -x: on the resting ball's column
    w.step();
    expect(w.triggerEvents().map((e) => [e.kind, e.sensor, e.body])).toEqual([['begin', zone, resting]]);
    const more: TriggerEvent[] = [];
    for (let t = 0; t < 90; t++) {
      w.step();
      more.push(...w.triggerEvents());
    }
    // the carried sensor reaches the resting ball when the faller's centre is 0.75 m above it
    // (y = 1.0): a fall of 5 m from y = 6, t = sqrt(2 * 5 / g)
    const begin = more.filter((e) => e.sensor === carried);
    expect(begin.map((e) => [e.kind, e.body])).toEqual([['begin', resting]]);
    expect(Math.abs(begin[0].tick - Math.sqrt(10 / G) * RATE)).toBeLessThanOrEqual(1);
    w.remove(faller);
    w.step();
    expect(w.triggerEvents().map((e) => [e.kind, e.sensor, e.body])).toEqual([['end', carried, resting]]); // its body is gone: empty
  });
});

describe('a sensor body (a body on no collision layer carrying a sensor)', () => {
  test('a kinematic sweeper passes through a row of resting balls, reports each once, moves none', () => {
    const build = (w: PhysicsWorld): BodyHandle[] => {
      w.addPlane({ normal: [0, 1, 0], offset: 0 });
      return [0, 1, 2, 3, 4].map((k) => w.addSphere({ position: [k * 1.5, 0.25, 0], radius: 0.25 }));
    };
    const plain = PhysicsWorld.create({ capacity: 16, tickRate: RATE }),
      swept = PhysicsWorld.create({ capacity: 16, tickRate: RATE });
    const balls = build(plain);
    build(swept);
    // 2 m/s along x at the balls' height, through all of them; layer 0 and mask 0: no contact at all
    const sweeper = swept.addSphere({ position: [-2, 0.25, 0], velocity: [2, 0, 0], radius: 0.3, kind: 'kinematic', layer: 0, mask: 0 });
    swept.addSensor({ shape: 'sphere', center: [0, 0, 0], radius: 0.3, attach: sweeper });
    const events: TriggerEvent[] = [];
    for (let t = 0; t < 8 * RATE; t++) {
      plain.step();
      swept.step();
      events.push(...swept.triggerEvents());
    }
    for (const b of balls) {
      expect(swept.bodyStateRaw(b)).toEqual(plain.bodyStateRaw(b)); // not pushed
      // entered when the sweeper's centre was 0.55 m before the ball, left 0.55 m after it
      const x = swept.position(b)[0];
      const mine = of(events, b);
      expect(mine.map((e) => e[0])).toEqual(['begin', 'end']);
      expect(Math.abs(mine[0][1] - ((x - 0.55 + 2) / 2) * RATE)).toBeLessThanOrEqual(1);
      expect(Math.abs(mine[1][1] - ((x + 0.55 + 2) / 2) * RATE)).toBeLessThanOrEqual(1);
    }
  });
});

describe('a body resting inside a sensor', () => {
  test('gets one BEGIN and nothing more over 200 ticks, also while asleep', () => {
    const w = PhysicsWorld.create({ capacity: 16, tickRate: RATE });
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    const ball = w.addSphere({ position: [0, 0.3, 0], radius: 0.25 });
    const zone = w.addSensor({ shape: 'box', center: [0, 0.5, 0], half: [1, 1, 1] });
    const events: TriggerEvent[] = [];
    let asleepTicks = 0;
    for (let t = 0; t < 200; t++) {
      w.step();
      events.push(...w.triggerEvents());
      if (w.isSleeping(ball)) asleepTicks++;
    }
    expect(asleepTicks).toBeGreaterThan(100); // it did fall asleep inside
    expect(of(events, ball)).toEqual([['begin', 1]]);
    expect(w.sensorContents(zone)).toEqual([ball]);
  });
});

describe('a sensor pushes nothing', () => {
  test('bodies through and resting in sensors move bit for bit as without them', () => {
    const build = (w: PhysicsWorld): BodyHandle[] => {
      w.addPlane({ normal: [0, 1, 0], offset: 0 });
      return [
        w.addSphere({ position: [0, 0.3, 0], radius: 0.25 }),
        w.addSphere({ position: [0.1, 3, 0], radius: 0.25, velocity: [0.5, 0, 0] }),
        w.addCapsule({ position: [-1, 2, 0.2], radius: 0.2, halfHeight: 0.3 }),
        w.addDynamicBox({ position: [1, 1.5, -0.3], half: [0.2, 0.3, 0.25], orientation: [0.1, 0.2, 0.3, 0.9] }),
      ];
    };
    const plain = PhysicsWorld.create({ capacity: 16, tickRate: RATE }),
      zoned = PhysicsWorld.create({ capacity: 16, tickRate: RATE });
    const bodies = build(plain);
    build(zoned);
    zoned.addSensor({ shape: 'box', center: [0, 1, 0], half: [2, 1, 2] });
    zoned.addSensor({ shape: 'sphere', center: [0, 0.3, 0], radius: 0.5 });
    let events = 0;
    for (let t = 0; t < 200; t++) {
      plain.step();
      zoned.step();
      events += zoned.triggerEvents().length;
      expect(zoned.hash()).toBe(plain.hash());
    }
    expect(events).toBeGreaterThanOrEqual(5); // the sensors did see the bodies
    for (const b of bodies) expect(zoned.bodyStateRaw(b)).toEqual(plain.bodyStateRaw(b));
  });
});

describe('removal ends overlap', () => {
  test('a removed body and a removed sensor each give one END with the next step', () => {
    const w = PhysicsWorld.create({ capacity: 16, tickRate: RATE });
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    const a = w.addSphere({ position: [0, 0.25, 0], radius: 0.25 }),
      b = w.addSphere({ position: [1, 0.25, 0], radius: 0.25 });
    const zone = w.addSensor({ shape: 'box', center: [0.5, 0.5, 0], half: [2, 1, 1] }),
      other = w.addSensor({ shape: 'sphere', center: [1, 0.25, 0], radius: 0.3 });
    w.step();
    expect(w.triggerEvents().map((e) => [e.kind, e.sensor, e.body])).toEqual([
      ['begin', zone, a],
      ['begin', zone, b],
      ['begin', other, b],
    ]);
    w.step(5);
    expect(w.triggerEvents()).toEqual([]);
    w.remove(a);
    w.step();
    expect(w.triggerEvents().map((e) => [e.kind, e.sensor, e.body])).toEqual([['end', zone, a]]);
    w.removeSensor(zone);
    w.step();
    expect(w.triggerEvents().map((e) => [e.kind, e.sensor, e.body])).toEqual([['end', zone, b]]);
    w.step(10);
    expect(w.triggerEvents()).toEqual([]);
    expect(w.sensorContents(other)).toEqual([b]);
    expect(() => w.sensorContents(zone)).toThrow(/no sensor/);
  });

  test('a slot reused in the same tick: END of the old body before BEGIN of the new one', () => {
    const w = PhysicsWorld.create({ capacity: 16, tickRate: RATE, gravity: [0, 0, 0] });
    const a = w.addSphere({ position: [0, 0, 0], radius: 0.25 });
    const zone = w.addSensor({ shape: 'sphere', center: [0, 0, 0], radius: 1 });
    w.step();
    w.remove(a);
    const c = w.addSphere({ position: [0.1, 0, 0], radius: 0.25 });
    expect(Number(c & 0xffffffffn)).toBe(Number(a & 0xffffffffn)); // same slot, new generation
    w.step();
    expect(w.triggerEvents().map((e) => [e.kind, e.body])).toEqual([
      ['end', a],
      ['begin', c],
    ]);
    expect(w.sensorContents(zone)).toEqual([c]);
  });

  test('a loaded world keeps its zones and takes who is inside from the loaded state, without events', () => {
    const w = PhysicsWorld.create({ capacity: 16, tickRate: RATE, gravity: [0, 0, 0] });
    const a = w.addSphere({ position: [0, 0, 0], radius: 0.25 });
    const saved = w.save();
    const zone = w.addSensor({ shape: 'sphere', center: [0, 0, 0], radius: 1 });
    w.setPosition(a, [5, 0, 0]);
    w.step();
    expect(w.sensorContents(zone)).toEqual([]);
    w.load(saved);
    expect(w.sensorContents(zone)).toEqual([a]);
    w.step();
    expect(w.triggerEvents()).toEqual([]);
  });
});

const SENSORS = [
  { shape: 'box', center: [0, 1, 0], half: [3, 1, 3], name: 'straddle' },
  { shape: 'box', center: [-6, 0.5, 4], half: [2, 0.5, 5], name: 'west' },
  { shape: 'sphere', center: [5, 0.5, -5], radius: 2.5, name: 'pool' },
  { shape: 'box', center: [0.3, 0.75, -0.75], half: [11, 0.25, 0.6], name: 'band' },
] as const;

describe.each([
  ['2 shards', { xCuts: [0.3], zCuts: [] }],
  ['4 shards', { xCuts: [0], zCuts: [0] }],
] as Array<[string, Partition]>)('%s', (_name, partition) => {
  test('a body crossing the border inside a straddling zone: one BEGIN, one END, as unsharded', () => {
    const config: WorldConfig = { capacity: 16, tickRate: RATE, sleep: { enabled: false }, rollingResistance: 0 };
    const build = (w: PhysicsWorld | ShardedWorld): BodyHandle => {
      w.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0 });
      return w.addSphere({ position: [-6, 0.25, -0.5], velocity: [4, 0, 0.2], radius: 0.25, friction: 0 });
    };
    const whole = PhysicsWorld.create(config);
    const ball = build(whole);
    const sharded = new ShardedWorld(config, partition, whole.interactionRange());
    build(sharded);
    for (const s of [whole, sharded]) s.addSensor({ shape: 'box', center: [0, 1, 0], half: [3, 1, 3] });
    const all: TriggerEvent[] = [];
    const owners = new Set<number>();
    for (let t = 0; t < 180; t++) {
      whole.step();
      sharded.step();
      expect(sharded.hash()).toBe(whole.hash());
      expect(sharded.triggerEvents()).toEqual(whole.triggerEvents());
      all.push(...sharded.triggerEvents());
      if (sharded.sensorContents(1).length > 0) owners.add(sharded.authorityOf(ball));
    }
    expect(owners.size).toBeGreaterThanOrEqual(2); // it changed shards while inside
    const mine = of(all, ball);
    expect(mine.map((e) => e[0])).toEqual(['begin', 'end']);
    // at 4 m/s from x = -6: enters at x = -3.25, leaves at 3.25 (ticks ~41 and ~139, friction 0)
    expect(Math.abs(mine[0][1] - (2.75 / 4) * RATE)).toBeLessThanOrEqual(2);
    expect(Math.abs(mine[1][1] - (9.25 / 4) * RATE)).toBeLessThanOrEqual(2);
  });

  test('bodies coming to rest and sleeping inside a straddling zone: one BEGIN each, as unsharded (settled ticks too)', () => {
    const config: WorldConfig = { capacity: 32, tickRate: RATE };
    const build = (w: PhysicsWorld | ShardedWorld): BodyHandle[] => {
      w.addPlane({ normal: [0, 1, 0], offset: 0 });
      return [-0.6, -0.1, 0.4, 0.9].map((x, k) => w.addSphere({ position: [x, 0.4 + 0.3 * k, 0.2 * k - 0.3], radius: 0.2 }));
    };
    const whole = PhysicsWorld.create(config);
    const balls = build(whole);
    const sharded = new ShardedWorld(config, partition, whole.interactionRange());
    build(sharded);
    for (const s of [whole, sharded]) s.addSensor({ shape: 'box', center: [0, 0.5, 0], half: [1.5, 1, 1.5] });
    const all: TriggerEvent[] = [];
    for (let t = 0; t < 240; t++) {
      whole.step();
      sharded.step();
      expect(sharded.hash()).toBe(whole.hash());
      expect(sharded.triggerEvents()).toEqual(whole.triggerEvents());
      all.push(...sharded.triggerEvents());
    }
    expect(balls.every((b) => whole.isSleeping(b))).toBe(true);
    expect(all.map((e) => [e.kind, e.body, e.tick])).toEqual(balls.map((b) => ['begin', b, 1]));
    expect(sharded.sensorContents(1)).toEqual(balls);
    expect(sharded.settledSkipped).toBeGreaterThan(0); // ticks the shards did not run (settled-skip.ts)
  });

  test('400 spheres crossing borders through four zones: events and hash equal the unsharded world every tick', () => {
    const whole = PhysicsWorld.create(CROSSING_CONFIG);
    buildCrossingScene(whole);
    const sharded = new ShardedWorld(CROSSING_CONFIG, partition, whole.interactionRange());
    buildCrossingScene(sharded);
    // four fixed zones and one carried by a moving sphere (a sphere of 1.2 m around its centre)
    const carrier = whole.handles().filter((h) => !whole.isStatic(h))[7];
    for (const s of [...SENSORS, { shape: 'sphere', center: [0, 0, 0], radius: 1.2, attach: carrier } as const]) {
      whole.addSensor(s);
      sharded.addSensor(s);
    }
    let events = 0,
      carried = 0;
    const perBody = new Map<string, string>();
    for (let t = 0; t < 90; t++) {
      whole.step();
      sharded.step();
      expect(sharded.hash()).toBe(whole.hash());
      const e = whole.triggerEvents();
      expect(sharded.triggerEvents()).toEqual(e);
      events += e.length;
      carried += e.filter((x) => x.sensor === 5).length;
      // per (sensor, body): events alternate begin, end, begin, ... (never two of a kind in a row)
      for (const x of e) {
        const k = `${x.sensor}/${x.body}`;
        expect(perBody.get(k) ?? 'end').not.toBe(x.kind);
        perBody.set(k, x.kind);
      }
    }
    expect(events).toBeGreaterThan(100);
    expect(sharded.handoffs).toBeGreaterThan(10);
    expect(carried).toBeGreaterThan(5); // the carried sensor met other spheres
  });
});

test('2 shards on 2 worker threads: the same trigger events as the unsharded world', async () => {
  const whole = PhysicsWorld.create(CROSSING_CONFIG);
  buildCrossingScene(whole);
  const sharded = new ShardedWorld(CROSSING_CONFIG, { xCuts: [0.3], zCuts: [] }, whole.interactionRange(), { workers: 2 });
  try {
    buildCrossingScene(sharded);
    for (const s of SENSORS) {
      whole.addSensor(s);
      sharded.addSensor(s);
    }
    let events = 0;
    for (let t = 0; t < 40; t++) {
      whole.step();
      sharded.step();
      expect(sharded.triggerEvents()).toEqual(whole.triggerEvents());
      events += whole.triggerEvents().length;
    }
    expect(events).toBeGreaterThan(50);
  } finally {
    await sharded.close();
  }
});

describe('trigger zones on the world stream (scene "sensors" / "triggers")', () => {
  const scene = (zones: Record<string, unknown>): unknown => ({
    format: 'tessera.scene.v1',
    world: { capacity: 64, tickRate: 30 },
    partition: { xCuts: [0], zCuts: [] },
    spawnPoints: [[0, 1, 0]],
    statics: [{ plane: { normal: [0, 1, 0], offset: 0 } }],
    piles: [{ center: [-0.6, 4, 0], layers: 1, radius: 0.3 }],
    ...zones,
  });

  test('a ball dropped through a named zone gives one _z begin and one _z end; a restored run derives the same', async () => {
    const zones = { triggers: [{ name: 'gate.1', box: { center: [0, 2, 0], half: [2, 0.5, 2] } }] };
    const setup = sceneSetup(parseScene(scene(zones)));
    const sim = new MainSim(setup);
    const derived: string[] = [];
    let saved: ReturnType<MainSim['save']> | null = null;
    const after: string[] = [];
    for (let t = 0; t < 60; t++) {
      const z = sim.apply(t, []).derived.filter((d) => d.type === '_z');
      derived.push(...z.map((d) => d.body));
      if (saved) after.push(...z.map((d) => d.body));
      if (!saved && derived.length === 1) saved = sim.save(); // inside the zone
    }
    expect(derived.map((b) => TRIGGER.decode(b)?.kind)).toEqual(['begin', 'end']);
    expect(derived.every((b) => TRIGGER.decode(b)?.zone === 'gate.1')).toBe(true);
    // restored while the ball was inside: the END comes, the BEGIN is not repeated
    if (!saved) throw new Error('never saved');
    const restored = new MainSim(setup, saved);
    const again: string[] = [];
    for (let t = restored.tick; t < 60; t++)
      again.push(
        ...restored
          .apply(t, [])
          .derived.filter((d) => d.type === '_z')
          .map((d) => d.body),
      );
    expect(again).toEqual(after);
    expect(restored.hash()).toBe(sim.hash());
    await sim.close();
    await restored.close();
  });

  test('an avatar that joins inside a zone and walks out: one begin, one end, naming its body', async () => {
    const setup = sceneSetup(parseScene(scene({ spawnPoints: [[3, 1.2, 0]], sensors: [{ name: 'spawn-pad', box: { center: [3, 1, 0], half: [1, 1, 1] } }] })));
    const sim = new MainSim(setup);
    const z: Array<{ tick: number; body: string }> = [];
    for (let t = 0; t < 60; t++) {
      const events = t === 0 ? [{ tick: 0, type: '_c', origin: 0, body: '1' }] : t >= 20 ? [{ tick: t, type: 'in', origin: 1, body: '1000,0,0' }] : [];
      for (const d of sim.apply(t, events).derived) if (d.type === '_z') z.push({ tick: t, body: d.body });
    }
    const avatar = sim.avatars.get(1);
    if (avatar === undefined) throw new Error('no avatar');
    const decoded = z.map((e) => TRIGGER.decode(e.body));
    expect(decoded).toEqual([
      { kind: 'begin', zone: 'spawn-pad', body: avatar },
      { kind: 'end', zone: 'spawn-pad', body: avatar },
    ]);
    // walking at 4 m/s from x = 3: out of the pad (x > 4 + 0.35) about 1.35 / 4 s after tick 20
    expect(z[0].tick).toBe(0);
    expect(z[1].tick).toBeGreaterThan(20);
    expect(z[1].tick).toBeLessThan(20 + 30 * (1.35 / 4) + 6);
    await sim.close();
  });

  test("'_z' bodies round-trip and malformed ones are refused", () => {
    const v = { kind: 'end' as const, zone: 'gate.1', body: (3n << 32n) | 17n };
    expect(TRIGGER.encode(v)).toBe('end gate.1 17:3');
    expect(TRIGGER.decode(TRIGGER.encode(v))).toEqual(v);
    for (const bad of ['enter gate 1:1', 'begin gate 1', 'begin  1:1', 'begin a b 1:1', `begin ${'x'.repeat(65)} 1:1`]) expect(TRIGGER.decode(bad)).toBeNull();
  });

  test('bad zones are refused with the field', () => {
    expect(() => parseScene(scene({ sensors: [{ name: 'a b', box: { center: [0, 0, 0], half: [1, 1, 1] } }] }))).toThrow(SceneError);
    expect(() => parseScene(scene({ sensors: [{ name: 'a', sphere: { center: [0, 0, 0], radius: 0 } }] }))).toThrow(/sensors\[0\]\.sphere\.radius/);
    expect(() =>
      parseScene(
        scene({
          sensors: [
            { name: 'a', sphere: { center: [0, 0, 0], radius: 1 } },
            { name: 'a', sphere: { center: [0, 0, 0], radius: 1 } },
          ],
        }),
      ),
    ).toThrow(/names another zone/);
  });
});
