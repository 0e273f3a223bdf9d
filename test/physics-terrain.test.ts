/**
 * Static heightfields and triangle meshes (assembly/physics/terrain.ts) against analytic
 * answers and what a player would notice: a ball rolls down a heightfield of constant slope as
 * down the analytic plane of that slope; a 0.1 m ball at 100 m/s stops at a mesh wall instead
 * of passing through it; a character walks over rolling terrain without sinking into it; the
 * same terrain scene hashes the same in two fresh instances, and differently when one height
 * differs by one raw unit.
 */
import { PhysicsWorld, type Vec3 } from '../src/physics/world';
import { HEADER } from '../src/physics/world-layout';
import { encodeGeometry, quantiseMesh } from '../src/assets/geometry';
import { boxMesh, heightfield } from './helpers/terrain';

const DEG = Math.PI / 180;

describe('static terrain and meshes', () => {
  test('a ball rolls down a heightfield of constant slope as down the analytic plane (within 2 mm over 2 s and 3.5 m)', () => {
    // slope of 15 degrees falling along +x: y = -tan(15 deg) x, the plane n . p = 0 with
    // n = (sin, cos, 0). Cells of 0.5 m, a ball of 0.25 m: it crosses 16 cells and both
    // triangles of each. The two worlds differ only in the ground's shape; the heights are
    // quantised to 2^-16 m and the plane's normal to Q16, so the paths may drift apart by
    // little: 2 mm over 2 s (the ball rolls 3.5 m; measured 0.6 mm).
    const th = 15 * DEG;
    const hf = heightfield(61, 9, 0.5, -15, -2, (x) => -Math.tan(th) * x);
    const r = 0.25;
    const start: Vec3 = [-6 + r * Math.sin(th), 6 * Math.tan(th) + r * Math.cos(th), 0.1];
    const terrain = PhysicsWorld.create({ sleep: { enabled: false }, rollingResistance: 0, geometryWords: 1024 });
    terrain.addGeometry(encodeGeometry(hf), { friction: 0.5 });
    const a = terrain.addSphere({ position: start, radius: r, friction: 0.5 });
    const plane = PhysicsWorld.create({ sleep: { enabled: false }, rollingResistance: 0 });
    plane.addPlane({ normal: [Math.sin(th), Math.cos(th), 0], offset: 0, friction: 0.5 });
    const b = plane.addSphere({ position: start, radius: r, friction: 0.5 });
    let worst = 0;
    for (let t = 1; t <= 120; t++) {
      terrain.step(1);
      plane.step(1);
      const pa = terrain.position(a),
        pb = plane.position(b);
      worst = Math.max(worst, Math.hypot(pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2]));
    }
    const pa = terrain.position(a);
    expect(worst).toBeLessThan(0.002);
    // it rolled, it did not slide or fall: rolling without slipping (no rolling resistance),
    // a = g sin / (1 + 2/5) for a solid sphere; within 3 % (the integrator and the contact's
    // compliance)
    const travelled = pa[0] - start[0];
    const rolling = 0.5 * ((9.81 * Math.sin(th)) / 1.4) * 4 * Math.cos(th);
    expect(Math.abs(travelled - rolling) / rolling).toBeLessThan(0.03);
    // and stays on the surface: centre r above the slope along its normal
    const dist = Math.sin(th) * pa[0] + Math.cos(th) * pa[1];
    expect(Math.abs(dist - r)).toBeLessThan(0.01);
  });

  test('a 0.1 m ball at 100 m/s stops at a mesh wall (front face, and along an edge between two triangles)', () => {
    for (const z of [0, 0.7]) {
      // a closed wall 0.2 m thick at x = 5..5.2; at z = y = 0.7 the path meets the +-x face at
      // the diagonal shared by its two triangles (y = z on the face's corner-to-corner line)
      const w = PhysicsWorld.create({ sleep: { enabled: false }, gravity: [0, 0, 0], geometryWords: 1024 });
      w.addGeometry(encodeGeometry(quantiseMesh('wall', boxMesh([5, -2, -2], [5.2, 2, 2]))));
      const s = w.addSphere({ position: [0, z, z], radius: 0.1, velocity: [100, 0, 0], restitution: 0 });
      let maxX = -Infinity;
      for (let t = 0; t < 30; t++) {
        w.step(1);
        maxX = Math.max(maxX, w.position(s)[0]);
      }
      // it reached the wall (100 m/s covers the 5 m in 3 ticks) and never got past its face
      expect(maxX).toBeGreaterThan(4.8);
      expect(maxX).toBeLessThanOrEqual(4.9 + 0.001);
      expect(w.position(s)[0]).toBeLessThan(4.91);
      expect(w.velocity(s)[0]).toBeLessThanOrEqual(0.001);
    }
    // and a heightfield: the same ball shot down at 100 m/s onto a slope stays above it
    const t = PhysicsWorld.create({ sleep: { enabled: false }, geometryWords: 4096 });
    t.addGeometry(encodeGeometry(heightfield(21, 21, 1, -10, -10, (x) => 0.3 * x)));
    const d = t.addSphere({ position: [0.3, 20, 0.6], radius: 0.1, velocity: [0, -100, 0], restitution: 0 });
    let lowest = Infinity;
    for (let k = 0; k < 30; k++) {
      t.step(1);
      const [x, y] = t.position(d);
      lowest = Math.min(lowest, y - 0.3 * x);
    }
    expect(lowest).toBeGreaterThan(0.05);
    // the same wall as a box is the reference for the stopping point
    const ref = PhysicsWorld.create({ sleep: { enabled: false }, gravity: [0, 0, 0] });
    ref.addBox({ position: [5.1, 0, 0], half: [0.1, 2, 2] });
    const rs = ref.addSphere({ position: [0, 0, 0], radius: 0.1, velocity: [100, 0, 0], restitution: 0 });
    ref.step(30);
    expect(Math.abs(ref.position(rs)[0] - 4.9)).toBeLessThan(0.002);
  });

  test('a ball dropped on a mesh floor rests on it, and a heightfield holds a pile of balls above it', () => {
    const w = PhysicsWorld.create({ geometryWords: 4096 });
    w.addGeometry(encodeGeometry(quantiseMesh('floor', boxMesh([-5, -1, -5], [5, 0, 5]))));
    const s = w.addSphere({ position: [0.3, 2, -0.2], radius: 0.5 });
    w.step(180);
    expect(Math.abs(w.position(s)[1] - 0.5)).toBeLessThan(0.01);
    const t = PhysicsWorld.create({ geometryWords: 4096 });
    const hf = heightfield(21, 21, 0.5, -5, -5, (x, z) => 0.3 * Math.sin(x) * Math.cos(z));
    t.addGeometry(encodeGeometry(hf));
    const balls = [];
    for (let k = 0; k < 12; k++) balls.push(t.addSphere({ position: [-2 + (k % 4), 1.5 + Math.floor(k / 4) * 0.7, -1 + Math.floor(k / 4)], radius: 0.3 }));
    t.step(240);
    for (const b of balls) {
      const [x, y, z] = t.position(b);
      // never below the surface under its centre by more than 2 cm (a ball's centre is r above it when resting on it)
      expect(y).toBeGreaterThan(0.3 * Math.sin(x) * Math.cos(z) - 0.02);
    }
  });

  test('a ball settles in a V valley (two faces, one crease) at the analytic height; a character stands on its slope', () => {
    // y = |x| / 2: the ball's centre rests at r / cos(atan(1/2)) = r sqrt(5) / 2 above the
    // crease, x = 0, within 3 mm
    const w = PhysicsWorld.create({ geometryWords: 1024 });
    const valley = w.addGeometry(encodeGeometry(heightfield(21, 11, 0.5, -5, -2.5, (x) => 0.5 * Math.abs(x))));
    const r = 0.3;
    const b = w.addSphere({ position: [0.3, 1, 0.1], radius: r });
    const c = w.addCharacter({ position: [2, 2, 0.1], radius: r, halfHeight: 0.5 });
    // contact events of the ball with the valley
    const events: string[] = [];
    for (let t = 0; t < 300; t++) {
      w.step(1);
      for (const e of w.events()) if ((e.a === b && e.b === valley) || (e.a === valley && e.b === b)) events.push(e.kind);
    }
    // (one 'begin' however many contacts the pair has; an 'end' follows when the ball falls asleep,
    // as on any static: sleeping bodies keep no static contacts)
    expect(events[0]).toBe('begin');
    expect(events.filter((k) => k === 'begin')).toHaveLength(1);
    expect(events.length).toBeLessThanOrEqual(2);
    const [x, y] = w.position(b);
    expect(Math.abs(x)).toBeLessThan(0.005);
    expect(Math.abs(y - (r * Math.sqrt(5)) / 2)).toBeLessThan(0.003);
    // both faces hold it at once (two contacts of distinct directions): it comes to rest and sleeps
    expect(w.isSleeping(b)).toBe(true);
    // the character stands on the 26.6 degree slope (walkable): grounded, not sliding, its
    // lower cap's centre r / cos above the slope
    const [cx, cy] = w.position(c);
    expect(w.isGrounded(c)).toBe(true);
    expect(Math.abs(cx - 2)).toBeLessThan(0.05);
    expect(Math.abs(cy - 0.5 - 0.5 * cx - (r * Math.sqrt(5)) / 2)).toBeLessThan(0.003);
  });

  test('a character walks along a wall of a one-mesh room: floor and wall contacts together keep it grounded and out of the wall', () => {
    // one mesh: a floor slab (top at y = 0) and a wall slab whose -z face is at z = 0.9
    const room = [...boxMesh([-10, -1, -5], [10, 0, 5]), ...boxMesh([-10, 0, 0.9], [10, 3, 1.2])];
    const w = PhysicsWorld.create({ geometryWords: 4096 });
    w.addGeometry(encodeGeometry(quantiseMesh('room', room)));
    const r = 0.3,
      half = 0.5;
    const c = w.addCharacter({ position: [-5, r + half + 0.05, 0.55], radius: r, halfHeight: half });
    let grounded = 0,
      maxZ = -Infinity,
      minY = Infinity;
    for (let t = 0; t < 240; t++) {
      w.setCharacterInput(c, [2, 1]); // along the wall and into it
      w.step(1);
      if (w.isGrounded(c)) grounded++;
      maxZ = Math.max(maxZ, w.position(c)[2]);
      minY = Math.min(minY, w.position(c)[1]);
    }
    expect(grounded / 240).toBeGreaterThan(0.95);
    expect(maxZ).toBeLessThan(0.9 - r + 0.01); // never into the wall
    expect(minY).toBeGreaterThan(r + half - 0.01); // never into the floor
    expect(w.position(c)[0]).toBeGreaterThan(-5 + 6); // it walked (2 m/s for 4 s, along the wall)
  });

  test('a character walks across rolling terrain without falling through, grounded most of the way', () => {
    const ground = (x: number, z: number): number => 0.4 * Math.sin(0.5 * x) + 0.2 * Math.cos(0.7 * z);
    const hf = heightfield(41, 41, 0.5, -10, -10, ground);
    const w = PhysicsWorld.create({ geometryWords: 4096 });
    w.addGeometry(encodeGeometry(hf));
    const r = 0.3,
      half = 0.6;
    const c = w.addCharacter({ position: [-7, ground(-7, 1) + r + half + 0.05, 1], radius: r, halfHeight: half });
    let grounded = 0,
      lowest = Infinity;
    const ticks = 300;
    for (let t = 0; t < ticks; t++) {
      w.setCharacterInput(c, [2, 0]);
      w.step(1);
      if (w.isGrounded(c)) grounded++;
      const [x, y, z] = w.position(c);
      lowest = Math.min(lowest, y - r - half - ground(x, z));
    }
    const [x] = w.position(c);
    // walked 2 m/s for 5 s: most of the 10 m (slopes of at most ~11 degrees are walkable)
    expect(x).toBeGreaterThan(-7 + 8);
    // the foot never sank more than 5 cm into the ground (the surface between samples is the
    // triangles', within ~1 cm of the sine the heights sample)
    expect(lowest).toBeGreaterThan(-0.05);
    expect(grounded / ticks).toBeGreaterThan(0.9);
  });

  test('the same terrain scene hashes the same in two fresh instances; one raw unit of height changes it', () => {
    const build = (bump: number): bigint => {
      const hf = heightfield(17, 17, 1, -8, -8, (x, z) => 0.5 * Math.sin(x) + 0.25 * z);
      const heights = Int32Array.from(hf.heights);
      heights[100] += bump;
      const w = PhysicsWorld.create({ geometryWords: 4096 });
      w.addGeometry(encodeGeometry({ ...hf, heights }));
      w.addGeometry(encodeGeometry(quantiseMesh('crate', boxMesh([1, 2, 1], [2, 3, 2]))));
      for (let k = 0; k < 8; k++) w.addSphere({ position: [-4 + k, 4, (k % 3) - 1], radius: 0.3 });
      w.step(90);
      return w.hash();
    };
    const a = build(0),
      b = build(0),
      c = build(1);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    // the digest of the geometry is cached by the world: a hash taken between two blocks does not stale it
    const hf = heightfield(9, 9, 1, -4, -4, () => 0);
    const crate = encodeGeometry(quantiseMesh('crate', boxMesh([1, 2, 1], [2, 3, 2])));
    const once = PhysicsWorld.create({ geometryWords: 4096 }),
      twice = PhysicsWorld.create({ geometryWords: 4096 });
    once.addGeometry(encodeGeometry(hf));
    once.addGeometry(crate);
    twice.addGeometry(encodeGeometry(hf));
    const first = twice.hash();
    twice.addGeometry(crate);
    expect(twice.hash()).toBe(once.hash());
    expect(twice.hash()).not.toBe(first);
  });

  test('a world with terrain grows, saves and restores with its geometry: same hash as a world that never did', () => {
    const hf = heightfield(41, 41, 0.5, -10, -10, (x, z) => 0.2 * Math.sin(x + z));
    const block = encodeGeometry(hf);
    const build = (w: PhysicsWorld): void => {
      w.addGeometry(block);
      for (let k = 0; k < 40; k++) w.addSphere({ position: [-4 + (k % 8), 1 + Math.floor(k / 8) * 0.7, -2 + Math.floor(k / 8)], radius: 0.3 });
    };
    const grown = PhysicsWorld.create({ capacity: 16, maxCapacity: 128, geometryWords: block.words.length });
    build(grown);
    expect(grown.capacity).toBeGreaterThan(16);
    const direct = PhysicsWorld.create({ capacity: 64, geometryWords: block.words.length });
    build(direct);
    grown.step(60);
    direct.step(60);
    expect(grown.hash()).toBe(direct.hash());
    const restored = PhysicsWorld.restore(direct.save());
    expect(restored.hash()).toBe(direct.hash());
    restored.step(60);
    direct.step(60);
    expect(restored.hash()).toBe(direct.hash());
    // and the balls are on the terrain (20 m wide: none rolled off), not under it
    for (const h of restored.handles().filter((b) => !restored.isStatic(b))) {
      const [x, y, z] = restored.position(h);
      expect(y).toBeGreaterThan(0.2 * Math.sin(x + z) + 0.25);
    }
  });

  test('raycasts hit terrain and meshes on their front faces at the analytic distance', () => {
    const w = PhysicsWorld.create({ geometryWords: 4096 });
    const hg = w.addGeometry(encodeGeometry(heightfield(21, 21, 1, -10, -10, (x, z) => 0.25 * x + 0.1 * z)));
    const wall = w.addGeometry(encodeGeometry(quantiseMesh('wall', boxMesh([5, 0, -2], [5.2, 3, 2]))));
    // straight down from 10 m at (1.3, 2.7): the plane y = 0.25 x + 0.1 z is at 0.595
    const down = w.raycast([1.3, 10, 2.7], [0, -1, 0], 50);
    expect(down[0].body).toBe(hg);
    expect(Math.abs(down[0].t - (10 - 0.595))).toBeLessThan(0.001);
    // a slanted ray: the distance along it to the plane, n . (o + t d) = 0
    const o = [-3, 4, 1],
      d = [0.6, -0.8, 0];
    const tPlane = (4 - 0.25 * -3 - 0.1 * 1) / (0.8 + 0.25 * 0.6);
    const slant = w.raycast(o as [number, number, number], d as [number, number, number], 50);
    expect(slant[0].body).toBe(hg);
    expect(Math.abs(slant[0].t - tPlane)).toBeLessThan(0.002);
    // horizontally into the wall's -x face at x = 5 (its +x face is seen from behind; the
    // terrain rises to 2.5 m only at x = 9.8, beyond the 8 m ray)
    const side = w.raycast([0, 2.5, 0.5], [1, 0, 0], 8, { all: true });
    expect(side.map((h) => h.body)).toEqual([wall]);
    expect(Math.abs(side[0].t - 5)).toBeLessThan(0.001);
    // from below the terrain, up: its triangles are one-sided, nothing is hit
    expect(w.raycast([0, -3, 0], [0, 1, 0], 50)).toEqual([]);
    // too short to reach it
    expect(w.raycast([1.3, 10, 2.7], [0, -1, 0], 9)).toEqual([]);
  });

  test("the static tree only prunes: 200 mesh crates, a heightfield and boxes give the brute-force scan's hash every tick", () => {
    const build = (scan: boolean): PhysicsWorld => {
      const w = PhysicsWorld.create({ capacity: 1024, geometryWords: 200_000, sleep: { enabled: false } });
      if (scan) {
        const h = w.core.i64(),
          b = w.base >> 3;
        h[b + HEADER.STATIC_SCAN] = 1n;
        h[b + HEADER.STATIC_DIRTY] = 1n;
      }
      w.addGeometry(encodeGeometry(heightfield(41, 41, 1, -20, -20, (x, z) => 0.3 * Math.sin(0.4 * x) * Math.cos(0.3 * z))));
      for (let k = 0; k < 200; k++) {
        const x = -18 + (k % 20) * 1.8,
          z = -18 + Math.floor(k / 20) * 3.6;
        if (k % 3 === 0) w.addBox({ position: [x, 1, z], half: [0.3, 0.3, 0.3] });
        else w.addGeometry(encodeGeometry(quantiseMesh(`crate${k}`, boxMesh([x - 0.3, 0.7, z - 0.3], [x + 0.3, 1.3, z + 0.3]))));
      }
      for (let k = 0; k < 120; k++)
        w.addSphere({
          position: [-17 + (k % 12) * 3, 3 + (k % 5) * 0.4, -17 + Math.floor(k / 12) * 3.5],
          radius: 0.25,
          velocity: [(k % 7) - 3, 0, (k % 5) - 2],
        });
      return w;
    };
    const tree = build(false),
      scan = build(true);
    for (let t = 0; t < 90; t++) {
      tree.step();
      scan.step();
      if (tree.hash() !== scan.hash()) throw new Error(`tick ${tree.tick}: tree ${tree.hash().toString(16)} != scan ${scan.hash().toString(16)}`);
    }
    expect(tree.contactCount).toBeGreaterThan(100);
  });

  test('refusals: geometry that does not fit the world, a block of the wrong shape, a world without room', () => {
    const w = PhysicsWorld.create({ geometryWords: 16 });
    const hf = heightfield(4, 4, 1, 0, 0, () => 0);
    expect(() => w.addGeometry(encodeGeometry(hf))).toThrow(/GEOMETRY_FULL|do not fit/);
    const ok = PhysicsWorld.create({ geometryWords: 64 });
    const block = encodeGeometry(hf);
    expect(() => ok.addGeometry({ ...block, shape: 5 })).toThrow(/bad shape/);
    // a block whose sizes run past its words (a heightfield claiming 100 x 100 samples) is refused by the core
    const lying = block.words.slice();
    lying[1] = 100n;
    lying[2] = 100n;
    expect(() => ok.addGeometry({ ...block, words: lying })).toThrow(/bad shape/);
    expect(ok.addGeometry(block)).toBeDefined();
  });
});
