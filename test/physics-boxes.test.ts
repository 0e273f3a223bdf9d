/**
 * Rotating dynamic boxes (assembly/physics/box-contacts.ts, issue 18): a box on a slope against
 * Coulomb's law, stacks and a pyramid that stand, a tumbling box that comes to rest on a face,
 * and determinism (two fresh runs, and sharded against unsharded).
 *
 * The slope is a static plane whose normal is tilted by theta about z (planes take any
 * normal), the box turned by the same angle so that a face lies on it.
 */
import { PhysicsWorld, type WorldConfig } from '../src/physics/world';
import { ShardedWorld } from '../src/physics/sharded';

const G = 9.81;
type Quat = [number, number, number, number];
const aboutZ = (a: number): Quat => [0, 0, Math.sin(a / 2), Math.cos(a / 2)];
const deg = (d: number): number => (d * Math.PI) / 180;

/**
 * A box of density 1 (1 m x 2 hy x 1 m) resting on a slope of angle theta with friction mu
 * (plane and box alike).
 */
function slope(thetaDeg: number, mu: number, hy = 0.5): { w: PhysicsWorld; box: bigint; along: () => number; speed: () => number } {
  const th = deg(thetaDeg);
  const w = PhysicsWorld.create({ capacity: 8, maxBodyRadius: 1, sleep: { enabled: false } });
  const n: [number, number, number] = [Math.sin(th), Math.cos(th), 0];
  w.addPlane({ normal: n, offset: 0, friction: mu });
  const box = w.addDynamicBox({ position: [n[0] * hy, n[1] * hy, 0], half: [0.5, hy, 0.5], density: 1, friction: mu, orientation: aboutZ(-th) });
  // downhill direction (cos th, -sin th, 0)
  const along = (): number => {
    const p = w.position(box);
    return p[0] * Math.cos(th) - p[1] * Math.sin(th);
  };
  const speed = (): number => {
    const v = w.velocity(box);
    return v[0] * Math.cos(th) - v[1] * Math.sin(th);
  };
  return { w, box, along, speed };
}

describe('a box on a slope (Coulomb friction)', () => {
  // Holds up to tan theta = 0.89 mu; at 0.93 mu (25 degrees, mu 0.5) it creeps about 0.6 mm/s.
  test.each([
    [20, 0.5],
    [24, 0.5],
  ])('sticks at %d degrees with mu %d (tan theta < mu): under 1 mm in 3 s', (d, mu) => {
    expect(Math.tan(deg(d))).toBeLessThan(mu);
    const s = slope(d, mu);
    s.w.step(30);
    const x0 = s.along();
    s.w.step(180);
    expect(Math.abs(s.along() - x0)).toBeLessThan(0.001);
  });

  test.each([
    [30, 0.3],
    [35, 0.3],
    [40, 0.5],
  ])('a 1 x 0.5 x 1 m box slides at %d degrees with mu %d at a = g (sin theta - mu cos theta) within 2 %%', (d, mu) => {
    // a flat box: a cube at 40 degrees and mu 0.5 rocks on its leading edge and lands 3-5 % low
    const th = deg(d);
    expect(Math.tan(th)).toBeGreaterThan(mu);
    const s = slope(d, mu, 0.25);
    s.w.step(30);
    const v0 = s.speed();
    s.w.step(60);
    const a = (s.speed() - v0) / 1;
    const expected = G * (Math.sin(th) - mu * Math.cos(th));
    expect(Math.abs(a - expected) / expected).toBeLessThan(0.02);
    // it slides on its face: no tumbling
    const q = s.w.orientation(s.box);
    expect(Math.abs(q[0]) + Math.abs(q[1])).toBeLessThan(0.01);
  });
});

/** A stack of n boxes (unit cubes unless `half` says otherwise, m) on a floor; returns the largest horizontal offset from the axis after `ticks`. */
function stackDrift(n: number, ticks: number, config: WorldConfig, half: [number, number, number] = [0.5, 0.5, 0.5]): { drift: number; top: number } {
  const w = PhysicsWorld.create({ capacity: n + 4, maxBodyRadius: 1, ...config });
  w.addPlane({ normal: [0, 1, 0], offset: 0 });
  const boxes = Array.from({ length: n }, (_, k) => w.addDynamicBox({ position: [0, half[1] * (1 + 2 * k), 0], half, density: 1, friction: 0.5 }));
  w.step(ticks);
  let drift = 0;
  for (const b of boxes) {
    const p = w.position(b);
    drift = Math.max(drift, Math.hypot(p[0], p[2]));
  }
  return { drift, top: w.position(boxes[n - 1])[1] };
}

describe('stacks', () => {
  test('10 boxes stand for 10 s (default world: sleeping on) with drift under 1 cm', () => {
    const { drift, top } = stackDrift(10, 600, {});
    expect(drift).toBeLessThan(0.01);
    expect(top).toBeGreaterThan(9.4); // 9.5 when every contact is exact: 10 overlaps of < 1 cm
  });

  test('10 boxes with sleeping off stand for 10 s with drift under 1 cm', () => {
    // Measured 4.5 mm at 10 s (creep at the Jacobi box-box contacts); the stack never falls.
    const { drift, top } = stackDrift(10, 600, { sleep: { enabled: false } });
    expect(drift).toBeLessThan(0.01);
    expect(top).toBeGreaterThan(9.4);
  });

  // Known gap (issue 18): boxes that are not cubes creep. 10 boxes of 1 x 0.9 x 1.1 m drift about
  // 13 mm in 10 s with sleeping off (16 shapes and frictions: median 24 mm, up to 23 cm; Rapier
  // about 1 mm); two stacked cubes already creep 6 mm. The top box keeps v ~ 1 mm/s and
  // w ~ 1e-3 rad/s tick after tick: a motion below the state's resolution (its rotation rounds
  // away every tick) that the tick-anchored Jacobi friction never removes. Sleeping (the default)
  // stops it. When this passes, make it a plain test.
  test.failing('10 boxes of 1 x 0.9 x 1.1 m with sleeping off stand for 10 s with drift under 1 cm (known gap)', () => {
    const { drift, top } = stackDrift(10, 600, { sleep: { enabled: false } }, [0.5, 0.45, 0.55]);
    expect(drift).toBeLessThan(0.01);
    expect(top).toBeGreaterThan(8.4);
  });

  test('a pyramid with a base of 10 boxes stands for 10 s (every box within 3 cm of its place)', () => {
    // 55 boxes, up to 4 points per touching pair: more contact records than the default 8 per body
    const w = PhysicsWorld.create({ capacity: 64, contactsPerBody: 16, maxBodyRadius: 1, sleep: { enabled: false } });
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    const boxes: Array<{ h: bigint; p: [number, number, number] }> = [];
    for (let row = 0; row < 10; row++) {
      for (let k = 0; k < 10 - row; k++) {
        const p: [number, number, number] = [k - (9 - row) / 2, 0.5 + row, 0];
        boxes.push({ h: w.addDynamicBox({ position: p, half: [0.5, 0.5, 0.5], density: 1, friction: 0.5 }), p });
      }
    }
    w.step(600);
    expect(w.status).toBe(0);
    for (const { h, p } of boxes) {
      const q = w.position(h);
      expect(Math.hypot(q[0] - p[0], q[1] - p[1], q[2] - p[2])).toBeLessThan(0.03);
    }
  });
});

describe('a tumbling box', () => {
  test('dropped on a corner, spinning, comes to rest on a face', () => {
    const w = PhysicsWorld.create({ capacity: 8, maxBodyRadius: 1 });
    w.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0.5 });
    // a corner straight down: 45 degrees about x, then atan(1 / sqrt 2) about z
    const a = Math.PI / 4,
      c = Math.atan(1 / Math.SQRT2);
    const [q1, q2] = [[Math.sin(a / 2), 0, 0, Math.cos(a / 2)], aboutZ(c)];
    const q: Quat = [
      q2[3] * q1[0] + q2[0] * q1[3] + q2[1] * q1[2] - q2[2] * q1[1],
      q2[3] * q1[1] - q2[0] * q1[2] + q2[1] * q1[3] + q2[2] * q1[0],
      q2[3] * q1[2] + q2[0] * q1[1] - q2[1] * q1[0] + q2[2] * q1[3],
      q2[3] * q1[3] - q2[0] * q1[0] - q2[1] * q1[1] - q2[2] * q1[2],
    ];
    const box = w.addDynamicBox({ position: [0, 1.5, 0], half: [0.5, 0.5, 0.5], density: 1, friction: 0.5, orientation: q, angularVelocity: [0.3, 0, 0.2] });
    w.step(10);
    expect(w.position(box)[1]).toBeGreaterThan(0.8); // still on its corner (sqrt 3 / 2 = 0.87) or falling
    w.step(290);
    const p = w.position(box);
    expect(Math.abs(p[1] - 0.5)).toBeLessThan(0.003); // a face on the floor: centre at the half extent
    // one of the box's axes is vertical: the rotated y of some local axis is +-1
    const [x, y, z, ww] = w.orientation(box);
    const upOfAxis = [2 * (x * y + ww * z), 1 - 2 * (x * x + z * z), 2 * (y * z - ww * x)];
    expect(Math.max(...upOfAxis.map(Math.abs))).toBeGreaterThan(Math.cos(deg(1)));
    const v = w.velocity(box);
    expect(Math.hypot(...v)).toBeLessThan(0.01);
  });
});

describe('a pile', () => {
  // Not yet: the pile is still creeping at 8-12 s (worst box 1-2 cm/s, one topples 14 cm in
  // the 11th second), so this checks robustness, not settling.
  test('80 boxes of random sizes and orientations dropped into a pen: none sinks into the floor or blows up (all slower than 0.5 m/s at 8 s)', () => {
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const w = PhysicsWorld.create({ capacity: 128, contactsPerBody: 24, maxBodyRadius: 0.6 });
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    w.addBox({ position: [3, 1, 0], half: [0.5, 1, 3] });
    w.addBox({ position: [-3, 1, 0], half: [0.5, 1, 3] });
    w.addBox({ position: [0, 1, 3], half: [3, 1, 0.5] });
    w.addBox({ position: [0, 1, -3], half: [3, 1, 0.5] });
    const boxes: Array<{ h: bigint; low: number }> = [];
    for (let k = 0; k < 80; k++) {
      const orientation: Quat = [rnd() - 0.5, rnd() - 0.5, rnd() - 0.5, rnd() - 0.5];
      const half: [number, number, number] = [0.15 + rnd() * 0.25, 0.1 + rnd() * 0.2, 0.15 + rnd() * 0.2];
      const position: [number, number, number] = [(rnd() - 0.5) * 4, 1 + k * 0.3, (rnd() - 0.5) * 4];
      boxes.push({ h: w.addDynamicBox({ position, half, density: 300 + rnd() * 500, friction: 0.5, orientation }), low: Math.min(...half) });
    }
    w.step(480);
    expect(w.status).toBe(0);
    for (const { h, low } of boxes) {
      expect(w.position(h)[1]).toBeGreaterThan(low - 0.005);
      expect(Math.hypot(...w.velocity(h))).toBeLessThan(0.5);
    }
  });
});

describe('boxes with other bodies', () => {
  test('a sphere dropped on a box rests on its top face; a tilted flat box dropped on a box lands flat on it', () => {
    const w = PhysicsWorld.create({ capacity: 16, maxBodyRadius: 1 });
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    const base = w.addDynamicBox({ position: [2, 0.5, 0], half: [0.5, 0.5, 0.5], density: 100, friction: 0.6 });
    const ball = w.addSphere({ position: [2, 3, 0], radius: 0.3, mass: 1 });
    const lower = w.addDynamicBox({ position: [-3, 0.5, 0], half: [0.5, 0.5, 0.5], density: 100, friction: 0.6 });
    const plate = w.addDynamicBox({ position: [-3, 2.2, 0], half: [0.4, 0.2, 0.4], density: 100, friction: 0.6, orientation: [0.1, 0.05, 0.1, 0.99] });
    w.step(240);
    expect(w.position(ball)[1]).toBeCloseTo(1.3, 2); // box top (1.0) + radius
    expect(Math.abs(w.position(ball)[0] - 2)).toBeLessThan(0.01);
    expect(w.position(base)[1]).toBeCloseTo(0.5, 2);
    expect(w.position(plate)[1]).toBeCloseTo(1.2, 2); // on the lower box's top face, flat side down
    const [x, , z] = w.orientation(plate);
    expect(1 - 2 * (x * x + z * z)).toBeGreaterThan(Math.cos(deg(1))); // its local y is vertical
    expect(w.position(lower)[1]).toBeCloseTo(0.5, 2);
  });

  test('a character stands on a crate (grounded on its top)', () => {
    const w = PhysicsWorld.create({ capacity: 8, maxBodyRadius: 1 });
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    w.addDynamicBox({ position: [0, 0.5, 0], half: [0.5, 0.5, 0.5], density: 200, friction: 0.6 });
    const ch = w.addCharacter({ position: [0, 1.85, 0], radius: 0.3, halfHeight: 0.5, mass: 70 });
    w.step(60);
    expect(w.isGrounded(ch)).toBe(true);
    expect(w.position(ch)[1]).toBeCloseTo(1.8, 2); // crate top + radius + half height
  });
});

/** A box scene across x = 0: two short stacks, a tumbling box, boxes on spheres and a slope. */
function boxScene(t: { addPlane: PhysicsWorld['addPlane']; addDynamicBox: PhysicsWorld['addDynamicBox']; addSphere: PhysicsWorld['addSphere'] }): void {
  t.addPlane({ normal: [0, 1, 0], offset: 0 });
  for (let k = 0; k < 3; k++) t.addDynamicBox({ position: [-0.2, 0.3 + 0.6 * k, 0.1], half: [0.3, 0.3, 0.3], density: 500, friction: 0.6 });
  for (let k = 0; k < 3; k++)
    t.addDynamicBox({ position: [0.9, 0.25 + 0.5 * k, -0.4], half: [0.4, 0.25, 0.3], density: 300, friction: 0.4, orientation: aboutZ(0.05 * k) });
  t.addDynamicBox({
    position: [0.1, 3, 0.2],
    half: [0.3, 0.2, 0.25],
    density: 400,
    velocity: [-1, 0, 0.5],
    angularVelocity: [2, 1, -3],
    orientation: [0.3, 0.2, 0.1, 0.93],
  });
  t.addSphere({ position: [-1, 2.5, -0.3], radius: 0.3, mass: 5, velocity: [1.5, 0, 0] });
}

describe('determinism', () => {
  const config: WorldConfig = { capacity: 32, maxBodyRadius: 0.6, sleep: { enabled: false } };
  const TICKS = 240;

  function unshardedHashes(): bigint[] {
    const w = PhysicsWorld.create(config);
    boxScene(w);
    const out: bigint[] = [];
    for (let k = 0; k < TICKS; k++) {
      w.step();
      out.push(w.hash());
    }
    return out;
  }

  test('the same box scene gives the same hash every tick in two fresh worlds', () => {
    const a = unshardedHashes(),
      b = unshardedHashes();
    expect(b).toEqual(a);
    // the scene moves: the hash changes over the run
    expect(new Set(a).size).toBeGreaterThan(TICKS / 2);
  });

  test.each([
    ['tick', 'tick' as const, 0],
    ['pass', 'pass' as const, 0],
    ['pass on 2 worker threads (one shared memory)', 'pass' as const, 2],
  ])('2 shards exchanging per %s give the unsharded hash every tick', async (_n, exchange, workers) => {
    const reference = unshardedHashes();
    const sharded = new ShardedWorld(config, { xCuts: [0.3], zCuts: [] }, undefined, { workers, exchange });
    try {
      boxScene(sharded);
      for (let k = 0; k < TICKS; k++) {
        sharded.step();
        expect(sharded.hash()).toBe(reference[k]);
      }
      expect(sharded.lastStatus).toBe(0);
    } finally {
      await sharded.close();
    }
  });
});
