/**
 * Rotating boxes on terrain (assembly/physics/box-contacts.ts boxTerrain: the box's vertices
 * against a heightfield or mesh, the 4 deepest as its manifold). A crate dropped on a flat
 * heightfield comes to rest on a face at its half height, as on the analytic plane; a tumbling
 * crate dropped on a bumpy heightfield and one dropped into a mesh room never go through and
 * settle; on a 20 degree heightfield slope with mu 0.6 a crate sticks like on the plane of the
 * same slope; the same scene gives the same hash twice.
 */
import { PhysicsWorld, type Vec3 } from '../src/physics/world';
import { encodeGeometry, quantiseMesh } from '../src/assets/geometry';
import { heightfield } from './helpers/terrain';

const DEG = Math.PI / 180;

/** An open box room (floor and 4 walls, inward faces) as triangles. */
function roomMesh(s: number, h: number): number[] {
  const t: number[] = [];
  const quad = (a: Vec3, b: Vec3, c: Vec3, d: Vec3): void => {
    t.push(...a, ...b, ...c, ...a, ...c, ...d);
  };
  quad([-s, 0, -s], [-s, 0, s], [s, 0, s], [s, 0, -s]); // floor, facing up
  quad([-s, 0, -s], [s, 0, -s], [s, h, -s], [-s, h, -s]); // z = -s wall, facing +z
  quad([-s, 0, s], [-s, h, s], [s, h, s], [s, 0, s]); // z = +s wall, facing -z
  quad([-s, 0, -s], [-s, h, -s], [-s, h, s], [-s, 0, s]); // x = -s wall, facing +x
  quad([s, 0, -s], [s, 0, s], [s, h, s], [s, h, -s]); // x = +s wall, facing -x
  return t;
}

const tilted = (deg: number): [number, number, number, number] => {
  const a = (deg * DEG) / 2,
    n = Math.hypot(1, 0.5, 0.3);
  return [(Math.sin(a) * 1) / n, (Math.sin(a) * 0.5) / n, (Math.sin(a) * 0.3) / n, Math.cos(a)];
};

/** How far the box's up axis is from vertical, degrees (any face down). */
function tiltOf(q: number[]): number {
  const [x, y, z, w] = q;
  // the rotated unit axes' y components: the largest |y| belongs to the axis that points up or down
  const ys = [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)];
  return Math.acos(Math.min(1, Math.max(...ys.map(Math.abs)))) / DEG;
}

test('a crate dropped on a flat heightfield rests on a face at its half height, as on the plane', () => {
  const rest = (terrain: boolean): { y: number; tilt: number } => {
    const w = PhysicsWorld.create({ sleep: { enabled: false }, geometryWords: 4096, contactsPerBody: 16 });
    if (terrain) w.addGeometry(encodeGeometry(heightfield(11, 11, 1, -5, -5, () => 0)), { friction: 0.6 });
    else w.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0.6 });
    const box = w.addDynamicBox({ position: [0.2, 1.5, 0.1], half: [0.4, 0.3, 0.5], density: 500, friction: 0.6, orientation: tilted(25) });
    for (let t = 0; t < 240; t++) w.step();
    return { y: w.position(box)[1], tilt: tiltOf(w.orientation(box)) };
  };
  const onPlane = rest(false),
    onTerrain = rest(true);
  expect(onTerrain.tilt).toBeLessThan(1);
  expect([0.3, 0.4, 0.5].some((h) => Math.abs(onTerrain.y - h) < 0.01)).toBe(true);
  expect(onTerrain.y).toBeCloseTo(onPlane.y, 2);
});

test('tumbling crates on bumpy terrain and in a mesh room never go through; they settle', () => {
  const w = PhysicsWorld.create({ sleep: { enabled: false }, geometryWords: 16384, contactsPerBody: 16 });
  w.addGeometry(encodeGeometry(heightfield(21, 21, 1, -20, -10, (x, z) => 0.4 * Math.sin(x * 0.7) * Math.cos(z * 0.5))), { friction: 0.6 });
  w.addGeometry(
    encodeGeometry(
      quantiseMesh(
        'room',
        roomMesh(3, 2).map((v, k) => (k % 3 === 0 ? v + 10 : v)),
      ),
    ),
    { friction: 0.6 },
  );
  const boxes = [
    ...Array.from({ length: 6 }, (_, k) =>
      w.addDynamicBox({ position: [-14 + 2 * k, 2 + k * 0.3, 0], half: [0.3, 0.3, 0.3], density: 400, orientation: tilted(17 * k + 5) }),
    ),
    ...Array.from({ length: 4 }, (_, k) =>
      w.addDynamicBox({ position: [10 + (k - 1.5) * 0.9, 1 + k * 0.7, 0], half: [0.35, 0.25, 0.3], density: 400, orientation: tilted(31 * k + 11) }),
    ),
  ];
  const ground = (p: number[]): number => (p[0] > 5 ? 0 : 0.4 * Math.sin(p[0] * 0.7) * Math.cos(p[2] * 0.5));
  for (let t = 0; t < 480; t++) {
    w.step();
    for (const b of boxes) expect(w.position(b)[1]).toBeGreaterThan(ground(w.position(b)) + 0.1); // never sunk: the least half extent is 0.25
  }
  for (const b of boxes) {
    const p = w.position(b);
    expect(Math.hypot(...w.velocity(b))).toBeLessThan(0.05);
    if (p[0] > 5) expect(Math.max(Math.abs(p[0] - 10), Math.abs(p[2]))).toBeLessThan(3); // still inside the room
  }
});

test('on a 20 degree slope with mu 0.6 a crate sticks on the heightfield as on the plane; the scene hashes the same twice', () => {
  const th = 20 * DEG;
  const run = (terrain: boolean): { moved: number; hash: bigint } => {
    const w = PhysicsWorld.create({ sleep: { enabled: false }, geometryWords: 4096, contactsPerBody: 16 });
    if (terrain) w.addGeometry(encodeGeometry(heightfield(21, 5, 1, -10, -2, (x) => -Math.tan(th) * x)), { friction: 0.6 });
    else w.addPlane({ normal: [Math.sin(th), Math.cos(th), 0], offset: 0, friction: 0.6 });
    const hy = 0.3;
    const q: [number, number, number, number] = [0, 0, Math.sin(-th / 2), Math.cos(-th / 2)]; // a face on the slope
    const box = w.addDynamicBox({
      position: [Math.sin(th) * hy, Math.cos(th) * hy + 0.002, 0],
      half: [0.4, hy, 0.4],
      density: 500,
      friction: 0.6,
      orientation: q,
    });
    for (let t = 0; t < 30; t++) w.step();
    const p0 = w.position(box);
    for (let t = 0; t < 180; t++) w.step();
    const p1 = w.position(box);
    return { moved: Math.hypot(p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]), hash: w.hash() };
  };
  const plane = run(false),
    terrain = run(true),
    again = run(true);
  expect(plane.moved).toBeLessThan(0.002);
  expect(terrain.moved).toBeLessThan(0.002);
  expect(again.hash).toBe(terrain.hash);
});
