/**
 * A rotating capsule against a convex hull (the two shapes were built apart, issue 18): the pair
 * goes to the hull's narrowphase with the capsule's core point nearest the hull, so a capsule
 * lying across a hull slab rests on it at the slab's top plus its radius, and one thrown at a
 * hull knocks it rather than passing through.
 */
import { PhysicsWorld } from '../src/physics/world';

const slab = (hx: number, hy: number, hz: number): Array<[number, number, number]> => {
  const v: Array<[number, number, number]> = [];
  for (const x of [-hx, hx]) for (const y of [-hy, hy]) for (const z of [-hz, hz]) v.push([x, y, z]);
  return v;
};

test('a capsule lying across a hull slab rests on it at the slab top plus its radius', () => {
  const w = PhysicsWorld.create({ tickRate: 60, maxBodyRadius: 1, sleep: { enabled: false }, geometryWords: 4096, contactsPerBody: 16 });
  w.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0.8 });
  const hull = w.addHull({ vertices: slab(0.6, 0.1, 0.6), position: [0, 0.1, 0], density: 2000, friction: 0.8 });
  // lying along x (core along local y turned onto x), 0.3 m above the slab
  const s = Math.SQRT1_2;
  const cap = w.addRotatingCapsule({
    position: [0, 0.2 + 0.15 + 0.3, 0],
    radius: 0.15,
    halfHeight: 0.4,
    orientation: [0, 0, s, s],
    density: 500,
    friction: 0.8,
  });
  for (let t = 0; t < 240; t++) w.step();
  const y = w.position(cap)[1];
  expect(Math.abs(y - (0.2 + 0.15))).toBeLessThan(0.01);
  expect(Math.abs(w.position(hull)[1] - 0.1)).toBeLessThan(0.005);
  expect(Math.hypot(...w.velocity(cap))).toBeLessThan(0.05);
});

test('a capsule thrown at a hull knocks it and does not pass through it', () => {
  const w = PhysicsWorld.create({ tickRate: 60, maxBodyRadius: 1, sleep: { enabled: false }, geometryWords: 4096, contactsPerBody: 16 });
  w.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0.5 });
  const hull = w.addHull({ vertices: slab(0.3, 0.3, 0.3), position: [0, 0.3, 0], density: 300 });
  const cap = w.addRotatingCapsule({ position: [-2, 0.4, 0], radius: 0.12, halfHeight: 0.25, velocity: [8, 0, 0], density: 800 });
  for (let t = 0; t < 60; t++) w.step();
  expect(w.position(cap)[0]).toBeLessThan(w.position(hull)[0]); // still on its side
  expect(w.position(hull)[0]).toBeGreaterThan(0.05); // knocked along +x
});
