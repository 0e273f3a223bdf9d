/**
 * Compound bodies (issue 18; src/physics/compound.ts, assembly/physics/compound.ts): mass,
 * centre of mass and principal inertia against the analytic values of a dumbbell and an L of
 * two boxes (parallel-axis theorem), the refusals, a dumbbell and a table resting on a plane,
 * a static box and a heightfield at the analytic height without jitter, a two-box slab on a
 * slope against Coulomb's law, a dumbbell thrown at a thin wall, compounds against spheres,
 * boxes, hulls, capsules and each other in a pile, and ray casts and overlap queries that see
 * the children (not the bounding sphere), sensors that see the children, a dumbbell rolling at
 * the analytic speed of its computed inertia, and 40 compounds thrown fast into a heightfield pen
 * with mesh walls at 20 and 60 Hz staying in it.
 */
import { buildCompound, type CompoundChild } from '../src/physics/compound';
import { PhysicsError, PhysicsWorld, type WorldConfig } from '../src/physics/world';
import { encodeGeometry, quantiseMesh } from '../src/assets/geometry';
import { boxMesh, heightfield } from './helpers/terrain';

const G = 9.81;
type V3 = [number, number, number];
type Quat = [number, number, number, number];
const deg = (d: number): number => (d * Math.PI) / 180;
const aboutZ = (a: number): Quat => [0, 0, Math.sin(a / 2), Math.cos(a / 2)];
const world = (config: WorldConfig = {}): PhysicsWorld => PhysicsWorld.create({ capacity: 64, maxBodyRadius: 1, geometryWords: 8192, ...config });
const rotate = (q: readonly number[], v: readonly number[]): V3 => {
  const [x, y, z, w] = q;
  const tx = 2 * (y * v[2] - z * v[1]),
    ty = 2 * (z * v[0] - x * v[2]),
    tz = 2 * (x * v[1] - y * v[0]);
  return [v[0] + w * tx + (y * tz - z * ty), v[1] + w * ty + (z * tx - x * tz), v[2] + w * tz + (x * ty - y * tx)];
};

/** Two balls of radius 0.2 m at x = +-0.5 m joined by a 0.6 x 0.08 x 0.08 m rod (density 1000). */
const DUMBBELL: CompoundChild[] = [
  { shape: 'sphere', radius: 0.2, position: [-0.5, 0, 0] },
  { shape: 'sphere', radius: 0.2, position: [0.5, 0, 0] },
  { shape: 'box', half: [0.3, 0.04, 0.04] },
];
/** An L: a 0.8 x 0.2 x 0.2 m bar along x (x 0..0.8) and a 0.2 x 0.6 x 0.2 m bar standing on its end (y 0.1..0.7). */
const L_SHAPE: CompoundChild[] = [
  { shape: 'box', half: [0.4, 0.1, 0.1], position: [0.4, 0, 0] },
  { shape: 'box', half: [0.1, 0.3, 0.1], position: [0.1, 0.4, 0] },
];
/** A table: a 1.2 x 0.1 x 0.8 m top on four 0.08 x 0.7 x 0.08 m legs; its own frame's y = 0 is the legs' feet. */
const TABLE: CompoundChild[] = [
  { shape: 'box', half: [0.6, 0.05, 0.4], position: [0, 0.75, 0], density: 600 },
  ...[-1, 1].flatMap((sx) =>
    [-1, 1].map((sz) => ({ shape: 'box' as const, half: [0.04, 0.35, 0.04] as V3, position: [0.5 * sx, 0.35, 0.3 * sz] as V3, density: 600 })),
  ),
];

describe('mass properties', () => {
  test('a dumbbell: m = 2 (4/3 pi r^3 rho) + rod, I about the bar 2 (2/5) m_s r^2 + rod, across it 2 m_s (2/5 r^2 + d^2) + rod (parallel axes)', () => {
    const c = buildCompound(DUMBBELL);
    const ms = (4 / 3) * Math.PI * 0.2 ** 3 * 1000,
      mr = 0.6 * 0.08 * 0.08 * 1000;
    // sizes are quantised to 2^-16 m (0.2 m is 0.19999695 m): relative 1e-4
    expect(c.mass / (2 * ms + mr)).toBeCloseTo(1, 3);
    for (const x of c.centroid) expect(Math.abs(x)).toBeLessThan(1e-6);
    const iAxis = 2 * 0.4 * ms * 0.04 + (mr * (0.08 ** 2 + 0.08 ** 2)) / 12;
    const iAcross = 2 * ms * (0.4 * 0.04 + 0.25) + (mr * (0.6 ** 2 + 0.08 ** 2)) / 12;
    expect(c.inertia[0] / iAxis).toBeCloseTo(1, 3);
    expect(c.inertia[1] / iAcross).toBeCloseTo(1, 3);
    expect(c.inertia[2] / iAcross).toBeCloseTo(1, 3);
    // symmetric about its own axes: the principal frame is the given one
    expect(c.rotation).toEqual([0, 0, 0, 1]);
  });

  test('an L of two boxes: centre of mass and principal moments (parallel axes, then the 2 x 2 eigenproblem in the plane of the L)', () => {
    const c = buildCompound(L_SHAPE);
    const boxes = [
      { m: 0.8 * 0.2 * 0.2 * 1000, c: [0.4, 0, 0], s: [0.8, 0.2, 0.2] },
      { m: 0.2 * 0.6 * 0.2 * 1000, c: [0.1, 0.4, 0], s: [0.2, 0.6, 0.2] },
    ];
    const M = boxes[0].m + boxes[1].m;
    const com = [0, 1, 2].map((k) => (boxes[0].m * boxes[0].c[k] + boxes[1].m * boxes[1].c[k]) / M);
    expect(c.mass / M).toBeCloseTo(1, 3);
    for (let k = 0; k < 3; k++) expect(c.centroid[k]).toBeCloseTo(com[k], 5);
    // inertia tensor about the centre of mass
    let ixx = 0,
      iyy = 0,
      izz = 0,
      ixy = 0;
    for (const b of boxes) {
      const dx = b.c[0] - com[0],
        dy = b.c[1] - com[1];
      ixx += (b.m * (b.s[1] ** 2 + b.s[2] ** 2)) / 12 + b.m * dy * dy;
      iyy += (b.m * (b.s[0] ** 2 + b.s[2] ** 2)) / 12 + b.m * dx * dx;
      izz += (b.m * (b.s[0] ** 2 + b.s[1] ** 2)) / 12 + b.m * (dx * dx + dy * dy);
      ixy += -b.m * dx * dy;
    }
    const mean = (ixx + iyy) / 2,
      rad = Math.sqrt(((ixx - iyy) / 2) ** 2 + ixy * ixy);
    const want = [mean - rad, mean + rad, izz].sort((a, b) => a - b);
    const got = [...c.inertia].sort((a, b) => a - b);
    for (let k = 0; k < 3; k++) expect(got[k] / want[k]).toBeCloseTo(1, 3);
    // turned: the principal axes in the plane of the L are not x and y
    expect(Math.abs(c.rotation[2])).toBeGreaterThan(0.05);
  });

  test('a placed L is where the user put it: its children, placed by position(h) and orientation(h), are at the given positions moved by the pose (0.5 mm)', () => {
    const w = world();
    const pose: Quat = [0.1, 0.3, -0.2, 0.93];
    const n = Math.hypot(...pose);
    const q = pose.map((x) => x / n) as Quat;
    const at: V3 = [2, 3, -1];
    const ref = w.addCompoundShape(L_SHAPE);
    const h = w.addCompound({ shape: ref, position: at, orientation: q });
    const p = w.position(h),
      o = w.orientation(h);
    ref.shape.children.forEach((ch, k) => {
      const got = rotate(o, ch.position).map((x, i) => x + p[i]);
      const want = rotate(q, L_SHAPE[k].position as V3).map((x, i) => x + at[i]);
      for (let i = 0; i < 3; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(0.0005);
    });
  });

  test('the same children give the same block; the mass option scales the distribution', () => {
    expect(buildCompound(DUMBBELL).words).toEqual(buildCompound(DUMBBELL.map((c) => ({ ...c }))).words);
    const w = world({ gravity: [0, 0, 0] });
    const a = w.addCompound({ children: DUMBBELL, position: [0, 0, 0] });
    const b = w.addCompound({ children: DUMBBELL, position: [5, 0, 0], mass: 1 });
    // the same impulse: v = J / m
    w.applyImpulse(a, [10, 0, 0]);
    w.applyImpulse(b, [10, 0, 0]);
    expect(w.velocity(a)[0]).toBeCloseTo(10 / buildCompound(DUMBBELL).mass, 3);
    expect(w.velocity(b)[0]).toBeCloseTo(10, 2);
  });

  test('refusals: 1 or 17 children, a bad size, a bad density, a hull of another world, too large, no room in the geometry', () => {
    const w = world();
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(PhysicsError);
        return (e as PhysicsError).code;
      }
      return 'none';
    };
    const ball: CompoundChild = { shape: 'sphere', radius: 0.1 };
    expect(code(() => w.addCompoundShape([ball]))).toBe('COMPOUND_CHILDREN');
    expect(code(() => w.addCompoundShape(Array.from({ length: 17 }, (_, k) => ({ ...ball, position: [k * 0.01, 0, 0] as V3 }))))).toBe('COMPOUND_CHILDREN');
    expect(code(() => w.addCompoundShape([ball, { shape: 'sphere', radius: 0 }]))).toBe('BAD_SHAPE');
    expect(code(() => w.addCompoundShape([ball, { shape: 'box', half: [0.1, -1, 0.1] }]))).toBe('BAD_SHAPE');
    expect(code(() => w.addCompoundShape([ball, { shape: 'sphere', radius: 0.1, position: [Number.NaN, 0, 0] }]))).toBe('BAD_SHAPE');
    expect(code(() => w.addCompoundShape([ball, { ...ball, density: 0 }]))).toBe('BAD_MASS');
    expect(code(() => w.addCompoundShape([ball, { shape: 'cone' } as unknown as CompoundChild]))).toBe('COMPOUND_BAD_CHILD');
    const other = world();
    const hull = other.addHullShape([
      [0, 0, 0],
      [0.3, 0, 0],
      [0, 0.3, 0],
      [0, 0, 0.3],
    ]);
    other.addHullShape([
      [0, 0, 0],
      [0.2, 0, 0],
      [0, 0.2, 0],
      [0, 0, 0.2],
    ]);
    const second = other.addHullShape([
      [0, 0, 0],
      [0.5, 0, 0],
      [0, 0.5, 0],
      [0, 0, 0.5],
    ]);
    expect(code(() => w.addCompoundShape([ball, { shape: 'hull', hull: second }]))).toBe('COMPOUND_BAD_CHILD');
    expect(code(() => other.addCompoundShape([ball, { shape: 'hull', hull }]))).toBe('none');
    expect(code(() => w.addCompoundShape([ball, { ...ball, position: [2.5, 0, 0] }]))).toBe('TOO_LARGE');
    const small = PhysicsWorld.create({ capacity: 4, maxBodyRadius: 1, geometryWords: 40 });
    expect(code(() => small.addCompoundShape([ball, ball, ball]))).toBe('GEOMETRY_FULL');
    expect(code(() => w.addCompound({ position: [0, 0, 0] }))).toBe('BAD_SHAPE');
    expect(code(() => w.addCompound({ children: DUMBBELL, position: [0, 0, 0], mass: -1 }))).toBe('BAD_MASS');
  });
});

describe('resting', () => {
  test('a dumbbell rests on its balls (centre 0.2 m up) and a table on its legs (feet on the ground), on a plane, a static box and a heightfield, without jitter', () => {
    const w = world({ sleep: { enabled: false }, maxBodyRadius: 1.2 });
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    w.addBox({ position: [6, 0.5, 0], half: [1.5, 0.5, 1.5] });
    // a flat 12 x 12 m heightfield at y = 2, away from the rest
    w.addGeometry(encodeGeometry(heightfield(7, 7, 2, -6, 10, () => 2)));
    const bell = w.addCompoundShape(DUMBBELL);
    const table = w.addCompoundShape(TABLE);
    const bodies = [
      { h: w.addCompound({ shape: bell, position: [0, 0.4, 0] }), floor: 0, y: 0.2 },
      { h: w.addCompound({ shape: bell, position: [6, 1.3, 0] }), floor: 1, y: 0.2 },
      { h: w.addCompound({ shape: bell, position: [2, 2.3, 13] }), floor: 2, y: 0.2 },
      { h: w.addCompound({ shape: table, position: [-3, 0.05, 0] }), floor: 0, y: table.shape.centroid[1] },
      { h: w.addCompound({ shape: table, position: [6, 1.05, 0] }), floor: 1, y: table.shape.centroid[1] },
      { h: w.addCompound({ shape: table, position: [-2, 2.05, 13] }), floor: 2, y: table.shape.centroid[1] },
    ];
    w.step(120);
    for (const b of bodies) expect({ floor: b.floor, dy: Math.abs(w.position(b.h)[1] - b.floor - b.y) < 0.002 }).toEqual({ floor: b.floor, dy: true });
    // no sinking, no jitter: a further second moves none by more than 0.2 mm; residual speed under 1 mm/s
    const before = bodies.map((b) => w.position(b.h));
    w.step(60);
    bodies.forEach((b, k) => {
      const p = w.position(b.h);
      expect(Math.hypot(p[0] - before[k][0], p[1] - before[k][1], p[2] - before[k][2])).toBeLessThan(0.0002);
      expect(Math.hypot(...w.velocity(b.h))).toBeLessThan(0.001);
      // level: the body's up axis (its principal frame is its own frame: both shapes are symmetric) within 0.5 degrees of y
      expect(rotate(w.orientation(b.h), [0, 1, 0])[1]).toBeGreaterThan(Math.cos(deg(0.5)));
    });
  });

  test('a ball dropped on a dumbbell ball comes to rest on top of it (0.2 + 0.2 + 0.15 m); a dumbbell dropped across a box lands on it', () => {
    const w = world();
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    const bell = w.addCompound({ children: DUMBBELL, position: [0, 0.2, 0] });
    const ball = w.addSphere({ position: [0.5, 1.2, 0], radius: 0.15, mass: 1 });
    const crate = w.addDynamicBox({ position: [4, 0.25, 0], half: [0.25, 0.25, 0.25], density: 500 });
    const over = w.addCompound({ children: DUMBBELL, position: [4, 1.2, 0], orientation: aboutZ(0) });
    w.step(240);
    expect(Math.abs(w.position(ball)[1] - 0.55)).toBeLessThan(0.003);
    expect(Math.abs(w.position(bell)[1] - 0.2)).toBeLessThan(0.002);
    // across the crate (0.5 m high) with both balls hanging down on either side: the rod rests on the crate top
    expect(w.position(over)[1]).toBeGreaterThan(0.5);
    expect(Math.abs(w.position(crate)[1] - 0.25)).toBeLessThan(0.003);
  });
});

/** A 1 x 0.5 x 1 m slab made of two 0.5 x 0.5 x 1 m boxes side by side (density 1), on a slope of angle theta with friction mu. */
function slope(thetaDeg: number, mu: number): { w: PhysicsWorld; along: () => number; speed: () => number } {
  const th = deg(thetaDeg);
  const w = world({ capacity: 8, sleep: { enabled: false } });
  const n: V3 = [Math.sin(th), Math.cos(th), 0];
  w.addPlane({ normal: n, offset: 0, friction: mu });
  const children: CompoundChild[] = [
    { shape: 'box', half: [0.25, 0.25, 0.5], position: [-0.25, 0, 0], density: 1 },
    { shape: 'box', half: [0.25, 0.25, 0.5], position: [0.25, 0, 0], density: 1 },
  ];
  const body = w.addCompound({ position: [n[0] * 0.25, n[1] * 0.25, 0], children, friction: mu, orientation: aboutZ(-th) });
  const along = (): number => {
    const p = w.position(body);
    return p[0] * Math.cos(th) - p[1] * Math.sin(th);
  };
  const speed = (): number => {
    const v = w.velocity(body);
    return v[0] * Math.cos(th) - v[1] * Math.sin(th);
  };
  return { w, along, speed };
}

describe('a two-box slab on a slope (Coulomb friction)', () => {
  test('sticks at 20 degrees with mu 0.5 (tan theta < mu): under 1 mm in 3 s', () => {
    const s = slope(20, 0.5);
    s.w.step(30);
    const x0 = s.along();
    s.w.step(180);
    expect(Math.abs(s.along() - x0)).toBeLessThan(0.001);
  });

  test.each([
    [30, 0.3],
    [40, 0.5],
  ])('slides at %d degrees with mu %d at a = g (sin theta - mu cos theta) within 2 %%', (d, mu) => {
    const th = deg(d);
    const s = slope(d, mu);
    s.w.step(30);
    const v0 = s.speed();
    s.w.step(60);
    const a = s.speed() - v0;
    const expected = G * (Math.sin(th) - mu * Math.cos(th));
    expect(Math.abs(a - expected) / expected).toBeLessThan(0.02);
  });
});

describe('continuous collision', () => {
  test.each([20, 60])('a dumbbell thrown at 10 to 30 m/s (tumbling) at a 0.1 m wall at %d Hz stops in front of it', (rate) => {
    for (const v of [10, 20, 30]) {
      const w = PhysicsWorld.create({ capacity: 8, maxBodyRadius: 1, tickRate: rate, gravity: [0, 0, 0], sleep: { enabled: false }, geometryWords: 1024 });
      w.addBox({ position: [5.05, 0, 0], half: [0.05, 3, 3] });
      const b = w.addCompound({ children: DUMBBELL, position: [0, 0, 0], velocity: [v, 0, 0], angularVelocity: [0, 3, 5], restitution: 0 });
      let maxX = -Infinity;
      for (let t = 0; t < rate * 2; t++) {
        w.step(1);
        maxX = Math.max(maxX, w.position(b)[0]);
      }
      // its centre reached the wall within the dumbbell's half length, never crossed the face, and ends in front
      expect({ v, reached: maxX > 5 - 0.75 }).toEqual({ v, reached: true });
      expect({ v, maxX: maxX < 5 }).toEqual({ v, maxX: true });
      expect({ v, endX: w.position(b)[0] < 5 }).toEqual({ v, endX: true });
    }
  });
});

describe('a pile', () => {
  test('24 compounds (dumbbells, Ls, a hull on a ball, crossed capsule pairs) with spheres, boxes and hulls dropped into a pen: none sinks or leaves, all slow at 8 s', () => {
    const w = world({ capacity: 64 });
    w.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0.6 });
    for (const [x, z, hx, hz] of [
      [-3.1, 0, 0.1, 3.2],
      [3.1, 0, 0.1, 3.2],
      [0, -3.1, 3.2, 0.1],
      [0, 3.1, 3.2, 0.1],
    ])
      w.addBox({ position: [x, 2, z], half: [hx, 2, hz] });
    const tet = w.addHullShape([
      [0, 0, 0],
      [0.4, 0, 0],
      [0, 0.4, 0],
      [0, 0, 0.4],
    ]);
    const shapes = [
      w.addCompoundShape(DUMBBELL),
      w.addCompoundShape(L_SHAPE),
      w.addCompoundShape([
        { shape: 'hull', hull: tet, position: [0, 0.15, 0] },
        { shape: 'sphere', radius: 0.15, position: [0, -0.1, 0] },
      ]),
      w.addCompoundShape([
        { shape: 'capsule', radius: 0.1, halfHeight: 0.3, position: [-0.15, 0, 0], orientation: aboutZ(deg(90)) },
        { shape: 'capsule', radius: 0.1, halfHeight: 0.3, position: [0.15, 0, 0], orientation: [Math.sin(deg(45)), 0, 0, Math.cos(deg(45))] },
      ]),
    ];
    const bodies: bigint[] = [];
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let k = 0; k < 24; k++) {
      const q: Quat = [rnd() - 0.5, rnd() - 0.5, rnd() - 0.5, 1];
      const n = Math.hypot(...q);
      bodies.push(
        w.addCompound({
          shape: shapes[k % shapes.length],
          position: [-1.8 + (k % 4) * 1.2, 1 + Math.floor(k / 4) * 1.1, -1.5 + (k % 3) * 1.5],
          orientation: q.map((x) => x / n) as Quat,
          angularVelocity: [rnd() * 4 - 2, rnd() * 4 - 2, rnd() * 4 - 2],
          friction: 0.6,
        }),
      );
    }
    const others = [
      w.addSphere({ position: [0.3, 8, 0.2], radius: 0.25, mass: 30 }),
      w.addDynamicBox({ position: [-0.6, 8.5, -0.4], half: [0.2, 0.2, 0.2], density: 500 }),
      w.addHull({ position: [1, 9, 1], shape: tet, density: 800 }),
    ];
    w.step(480);
    for (const h of [...bodies, ...others]) {
      const p = w.position(h);
      expect({ h, inside: Math.abs(p[0]) < 3 && Math.abs(p[2]) < 3 && p[1] > 0.05 && p[1] < 6 }).toEqual({ h, inside: true });
      expect({ h, slow: Math.hypot(...w.velocity(h)) < 0.5 }).toEqual({ h, slow: true });
    }
    expect(w.status).toBe(0);
  });
});

describe('robustness', () => {
  test.each([20, 60])(
    '40 compounds thrown at up to 29 m/s, spinning at up to 17 rad/s, into a wavy heightfield pen with mesh walls at %d Hz: none falls through or leaves, none faster than 2 m/s after 10 s',
    (rate) => {
      const w = PhysicsWorld.create({ capacity: 64, maxBodyRadius: 1, tickRate: rate, geometryWords: 20000 });
      w.addGeometry(encodeGeometry(heightfield(17, 17, 1, -8, -8, (x, z) => 0.3 * Math.sin(x) * Math.cos(z * 0.7))));
      const walls = [
        ...boxMesh([-8, -1, -8], [-7, 14, 8]),
        ...boxMesh([7, -1, -8], [8, 14, 8]),
        ...boxMesh([-8, -1, -8], [8, 14, -7]),
        ...boxMesh([-8, -1, 7], [8, 14, 8]),
      ];
      w.addGeometry(encodeGeometry(quantiseMesh('walls', walls)));
      const tet = w.addHullShape([
        [0, 0, 0],
        [0.4, 0, 0],
        [0, 0.4, 0],
        [0, 0, 0.4],
      ]);
      const shapes = [
        w.addCompoundShape(DUMBBELL),
        w.addCompoundShape(L_SHAPE),
        w.addCompoundShape([
          { shape: 'hull', hull: tet },
          { shape: 'capsule', radius: 0.08, halfHeight: 0.3, position: [0, 0.3, 0], orientation: [0.38, 0, 0, 0.925] },
          { shape: 'sphere', radius: 0.1, position: [0.3, 0, 0.3] },
        ]),
      ];
      let seed = 3;
      const rnd = (): number => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      const bodies: bigint[] = [];
      for (let k = 0; k < 40; k++) {
        const q = [rnd() - 0.5, rnd() - 0.5, rnd() - 0.5, rnd() - 0.5];
        const n = Math.hypot(...q);
        bodies.push(
          w.addCompound({
            shape: shapes[k % 3],
            position: [-5 + (k % 8) * 1.4, 2 + Math.floor(k / 8) * 1.5, -5 + (k % 5) * 2.4],
            orientation: q.map((x) => x / n) as Quat,
            velocity: [rnd() * 30 - 15, -rnd() * 20, rnd() * 30 - 15],
            angularVelocity: [rnd() * 20 - 10, rnd() * 20 - 10, rnd() * 20 - 10],
            friction: 0.5,
          }),
        );
      }
      for (let t = 0; t < rate * 10; t++) w.step();
      for (const h of bodies) {
        const p = w.position(h);
        expect({ h, inside: Math.abs(p[0]) < 7 && Math.abs(p[2]) < 7 && p[1] > -0.6 && p[1] < 14 }).toEqual({ h, inside: true });
        expect({ h, slow: Math.hypot(...w.velocity(h)) < 2 }).toEqual({ h, slow: true });
      }
      expect(w.status).toBe(0);
    },
  );
});

describe('queries', () => {
  test("a ray hits a dumbbell's balls and rod where they are and misses the gap beside the rod; overlaps see the children, not the bounding sphere", () => {
    const w = world({ gravity: [0, 0, 0] });
    const b = w.addCompound({ children: DUMBBELL, position: [0, 1, 0] });
    // down onto the top of the right ball (y = 1.2) and of the rod (y = 1.04)
    const hitBall = w.raycast([0.5, 3, 0], [0, -1, 0], 10);
    expect(hitBall.length).toBe(1);
    expect(hitBall[0].body).toBe(b);
    expect(hitBall[0].t).toBeCloseTo(1.8, 2);
    const hitRod = w.raycast([0, 3, 0], [0, -1, 0], 10);
    expect(hitRod[0].t).toBeCloseTo(1.96, 2);
    // beside the rod, inside the bounding sphere: nothing
    expect(w.raycast([0, 3, 0.1], [0, -1, 0], 10)).toEqual([]);
    expect(w.overlapSphere([0, 1, 0.2], 0.1)).toEqual([]);
    expect(w.overlapSphere([0, 1, 0.12], 0.1)).toEqual([b]);
    expect(w.overlapSphere([0.5, 1.35, 0], 0.16)).toEqual([b]);
    expect(w.overlapSphere([0.5, 1.35, 0], 0.14)).toEqual([]);
  });

  test("sensors see the children: a small zone in the gap beside a dumbbell's rod stays empty, zones on a ball, the rod and a turned box child fill; a dumbbell rolled through a zone enters and leaves it once", () => {
    const w = world({ gravity: [0, 0, 0] });
    const b = w.addCompound({ children: DUMBBELL, position: [0, 1, 0] });
    const turned = w.addCompound({
      position: [5, 1, 0],
      children: [
        { shape: 'sphere', radius: 0.1, position: [-0.6, 0, 0] },
        { shape: 'box', half: [0.4, 0.05, 0.05], position: [0.2, 0, 0], orientation: aboutZ(deg(90)) },
        { shape: 'capsule', radius: 0.05, halfHeight: 0.2, position: [-0.2, 0, 0.3], orientation: aboutZ(deg(90)) },
      ],
    });
    const gap = w.addSensor({ shape: 'box', center: [0, 1, 0.2], half: [0.1, 0.1, 0.1] }); // rod reaches z = 0.04
    const ball = w.addSensor({ shape: 'sphere', center: [0.5, 1.3, 0], radius: 0.15 });
    const rod = w.addSensor({ shape: 'box', center: [0, 1.1, 0], half: [0.05, 0.07, 0.05] });
    // the turned box child stands along y at x = 5.2 (up to y = 1.4); beside it along x nothing
    const boxTop = w.addSensor({ shape: 'sphere', center: [5.2, 1.42, 0], radius: 0.05 });
    const boxSide = w.addSensor({ shape: 'sphere', center: [5.5, 1, 0], radius: 0.05 });
    // the capsule child lies along x from 4.6 to 5.0 at z = 0.3 (radius 0.05, ends rounded)
    const capsuleEnd = w.addSensor({ shape: 'box', center: [4.52, 1, 0.3], half: [0.04, 0.02, 0.02] });
    const capsuleOff = w.addSensor({ shape: 'box', center: [4.8, 1, 0.37], half: [0.02, 0.02, 0.01] });
    w.step();
    expect(w.sensorContents(gap)).toEqual([]);
    expect(w.sensorContents(ball)).toEqual([b]);
    expect(w.sensorContents(rod)).toEqual([b]);
    expect(w.sensorContents(boxTop)).toEqual([turned]);
    expect(w.sensorContents(boxSide)).toEqual([]);
    expect(w.sensorContents(capsuleEnd)).toEqual([turned]);
    expect(w.sensorContents(capsuleOff)).toEqual([]);
    // rolled through a zone on the floor (across its bar: the balls roll about it)
    const v = world();
    v.addPlane({ normal: [0, 1, 0], offset: 0 });
    const roller = v.addCompound({ children: DUMBBELL, position: [0, 0.2, -3], velocity: [0, 0, 3] });
    const zone = v.addSensor({ shape: 'box', center: [0, 0.5, 0], half: [1.5, 0.5, 0.5] });
    const events: string[] = [];
    for (let t = 0; t < 200; t++) {
      v.step();
      for (const e of v.triggerEvents()) events.push(`${e.kind} ${e.sensor === zone} ${e.body === roller}`);
    }
    expect(v.position(roller)[2]).toBeGreaterThan(1.5);
    expect(events).toEqual(['begin true true', 'end true true']);
  });

  test('a dumbbell pushed across its bar slides, then rolls on its balls at v0 / (1 + I_bar / (m r^2)) (friction stops the slip; the core uses the computed inertia) within 1 %', () => {
    const w = world({ sleep: { enabled: false } });
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    const shape = w.addCompoundShape(DUMBBELL);
    const h = w.addCompound({ shape, position: [0, 0.2, 0], velocity: [0, 0, 3], friction: 0.5 });
    w.step(60);
    const { mass, inertia } = shape.shape;
    const want = 3 / (1 + inertia[0] / (mass * 0.2 * 0.2));
    expect(Math.abs(w.velocity(h)[2] - want) / want).toBeLessThan(0.01);
    // rolling: the balls' contact points do not slip (v = omega r about the bar)
    expect(Math.abs(w.angularVelocity(h)[0] * 0.2 - w.velocity(h)[2])).toBeLessThan(0.02);
  });
});
