/**
 * Queries through the moving tree (assembly/physics/moving-tree.ts): raycasts and overlaps that
 * walk the tree of moving bodies give the same handles in the same order as the scan of every
 * moving body (HEADER.STATIC_SCAN = 1, the brute-force reference), on random scenes of moving,
 * sleeping and kinematic spheres and capsules, with long rays and rays that graze a body; and
 * the tree follows every change (step, set position, add, remove, import, restore).
 *
 * The tree is built by the third query after a change (the first two scan), so every
 * comparison below repeats its query until the tree answers (MOVING_BUILDS counts builds).
 */
import fc from 'fast-check';
import { PhysicsWorld, type BodyHandle } from '../src/physics/world';
import { HEADER } from '../src/physics/world-layout';
import { mulberry32 } from './helpers/bigref';
import { unit } from './helpers/scenes';

type V3 = [number, number, number];

const num = (w: PhysicsWorld, slot: number): number => Number(w.header(slot));

/** Scan mode on or off (every query tests every body: the reference), as in test/static-tree.test.ts. */
function setScan(w: PhysicsWorld, on: boolean): void {
  const h = w.core.i64(),
    b = w.base >> 3;
  h[b + HEADER.STATIC_SCAN] = on ? 1n : 0n;
  h[b + HEADER.STATIC_DIRTY] = 1n;
}

/** The query answered by the moving tree (asked until it is built) and by the scan. */
function treeAndScan<T>(w: PhysicsWorld, q: () => T): [T, T] {
  setScan(w, false);
  let a = q();
  for (let k = 0; k < 3 && num(w, HEADER.MOVING_DIRTY) !== 0; k++) a = q();
  expect(num(w, HEADER.MOVING_DIRTY)).toBe(0); // the tree answered a
  setScan(w, true);
  const b = q();
  setScan(w, false);
  return [a, b];
}

/** Random moving bodies (spheres, capsules; some kinematic, some asleep) over a floor, plus a few static boxes. */
function scene(seed: number): { w: PhysicsWorld; bodies: BodyHandle[]; rng: () => number } {
  const rng = mulberry32(seed);
  const r = (lo: number, hi: number): number => lo + (hi - lo) * unit(rng);
  const w = PhysicsWorld.create({ capacity: 400, maxBodyRadius: 0.8, sleep: { enabled: true, ticks: 5 } });
  w.addPlane({ normal: [0, 1, 0], offset: 0 });
  for (let k = 0; k < 6; k++) w.addBox({ position: [r(-15, 15), 1, r(-15, 15)], half: [r(0.3, 2), r(0.3, 1), r(0.3, 2)] });
  const bodies: BodyHandle[] = [];
  for (let k = 0; k < 150; k++) {
    const p: V3 = [r(-20, 20), r(0.5, 8), r(-20, 20)];
    const layer = 1 << (k % 3);
    if (k % 7 === 0) bodies.push(w.addCapsule({ position: p, radius: r(0.2, 0.4), halfHeight: r(0.1, 0.4), layer }));
    else if (k % 11 === 0) bodies.push(w.addSphere({ position: p, radius: r(0.1, 0.8), kind: 'kinematic', velocity: [r(-1, 1), 0, r(-1, 1)], layer }));
    else bodies.push(w.addSphere({ position: p, radius: r(0.1, 0.8), velocity: [r(-2, 2), r(-2, 0), r(-2, 2)], layer }));
  }
  return { w, bodies, rng };
}

describe('queries through the moving tree equal the scan', () => {
  test('random scenes: raycasts (closest, all; long and grazing rays) and overlaps give the same handles in the same order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const { w, bodies, rng } = scene(seed);
        const r = (lo: number, hi: number): number => lo + (hi - lo) * unit(rng);
        w.step(30); // some fall asleep, some still fall
        let hits = 0;
        let movingHits = 0;
        const moving = new Set(bodies);
        for (let q = 0; q < 12; q++) {
          const mask = [-1, 1, 2, 5][q % 4];
          let o: V3 = [r(-25, 25), r(0, 12), r(-25, 25)];
          let d: V3 = [r(-1, 1), r(-1, 0.3), r(-1, 1)];
          let maxT = q % 3 === 0 ? r(200, 3000) : r(1, 60);
          if (q % 4 === 1) {
            // graze a body: pass at its bound from far away, along a random direction
            const b = bodies[Math.floor(unit(rng) * bodies.length)];
            const c = w.position(b);
            const len = Math.hypot(...d) || 1;
            d = [d[0] / len, d[1] / len, d[2] / len];
            const side = Math.abs(d[0]) < 0.9 ? [0, 1, 0] : [1, 0, 0];
            const px = d[1] * side[2] - d[2] * side[1],
              py = d[2] * side[0] - d[0] * side[2],
              pz = d[0] * side[1] - d[1] * side[0];
            const pl = Math.hypot(px, py, pz);
            const off = r(0.05, 0.85);
            const back = r(5, 400);
            o = [c[0] + (px / pl) * off - d[0] * back, c[1] + (py / pl) * off - d[1] * back, c[2] + (pz / pl) * off - d[2] * back];
            maxT = back + r(-1, 2);
          }
          if (d[0] === 0 && d[1] === 0 && d[2] === 0) d = [0, -1, 0];
          const [closest, closestScan] = treeAndScan(w, () => w.raycast(o, d, maxT, { mask }));
          expect(closest).toEqual(closestScan);
          const [all, allScan] = treeAndScan(w, () => w.raycast(o, d, maxT, { all: true, mask }));
          expect(all).toEqual(allScan);
          const c: V3 = [r(-20, 20), r(0, 8), r(-20, 20)];
          const rad = r(0, 5);
          const [sph, sphScan] = treeAndScan(w, () => w.overlapSphere(c, rad, mask));
          expect(sph).toEqual(sphScan);
          const e: V3 = [r(0, 5), r(0, 3), r(0, 5)];
          const [box, boxScan] = treeAndScan(w, () => w.overlapBox(c, e, mask));
          expect(box).toEqual(boxScan);
          hits += all.length + sph.length + box.length;
          movingHits += all.filter((h) => moving.has(h.body)).length + sph.filter((h) => moving.has(h)).length;
        }
        expect(hits).toBeGreaterThan(0);
        expect(movingHits).toBeGreaterThan(0);
        expect(num(w, HEADER.MOVING_BUILDS)).toBeGreaterThan(0);
      }),
      { seed: 4242, numRuns: 20 },
    );
  });

  test('the tree follows every change: step, set position, add, remove, import, restore', () => {
    const { w, bodies } = scene(7);
    w.step(20);
    const ray = (): Array<{ body: BodyHandle; t: number }> => w.raycast([0, 3, -30], [0, 0, 1], 100, { all: true });
    const check = (): void => {
      const [a, b] = treeAndScan(w, ray);
      expect(a).toEqual(b);
      const [c, d] = treeAndScan(w, () => w.overlapSphere([0, 3, 0], 1.5));
      expect(c).toEqual(d);
    };
    check();
    const builds = num(w, HEADER.MOVING_BUILDS);
    ray(); // no change: the tree answers without a build
    expect(num(w, HEADER.MOVING_BUILDS)).toBe(builds);
    // a body put on the ray and into the sphere is seen at once
    w.setPosition(bodies[3], [0, 3, 0]);
    check();
    expect(ray().some((h) => h.body === bodies[3])).toBe(true);
    expect(w.overlapSphere([0, 3, 0], 1.5)).toContain(bodies[3]);
    const added = w.addSphere({ position: [0, 3, 10], radius: 0.5 });
    check();
    expect(ray().some((h) => h.body === added)).toBe(true);
    w.remove(added);
    check();
    expect(ray().some((h) => h.body === added)).toBe(false);
    const rec = w.exportBody(bodies[3]);
    w.remove(bodies[3]);
    check();
    const back = w.importBody(rec);
    check();
    expect(ray().some((h) => h.body === back)).toBe(true);
    w.step(5);
    check();
    const restored = PhysicsWorld.restore(w.save());
    restored.setPosition(back, [0, 3, 20]);
    const [a, b] = treeAndScan(restored, () => restored.raycast([0, 3, -30], [0, 0, 1], 100, { all: true }));
    expect(a).toEqual(b);
    const t = a.find((h) => h.body === back)?.t ?? 0;
    expect(t).toBeGreaterThan(49);
    expect(t).toBeLessThan(50);
  });

  test('a batch of rays after a step builds once and tests a few bodies per ray, not every moving body', () => {
    const { w } = scene(11);
    w.step(10);
    const before = num(w, HEADER.MOVING_BUILDS);
    let tests = 0;
    for (let k = 0; k < 50; k++) {
      w.raycast([-25 + k, 2, -25], [0.1, 0, 1], 60);
      if (k >= 2) tests += num(w, HEADER.QUERY_TESTS);
    }
    expect(num(w, HEADER.MOVING_BUILDS)).toBe(before + 1);
    // 150 moving bodies: the scan tests every one per ray
    expect(tests / 48).toBeLessThan(40);
  });
});
