/**
 * Continuous collision of fast rotating boxes and capsules (assembly/physics/solver.ts
 * integrateBody). A box that moves more than a quarter of its least half extent in a substep
 * sweeps its inner sphere against the statics and stops its leading face short; a capsule
 * that moves more than a quarter of its radius sweeps the sphere at its core's leading end,
 * then the one at its centre. Without it, at the serve tick rate of 20 Hz a 0.5 m crate thrown
 * at 15 m/s crossed a 0.1 m wall (its tick-start contacts did not include a wall it reached
 * within the tick), and a capsule at 10 m/s crossed a mesh wall. Checked against thin static
 * boxes, a mesh wall and a heightfield, at 20 and 60 Hz, for speeds up to 120 m/s.
 */
import { PhysicsWorld, type Vec3 } from '../src/physics/world';
import { encodeGeometry, quantiseMesh } from '../src/assets/geometry';
import { boxMesh, heightfield } from './helpers/terrain';

const TILT: [number, number, number, number] = (() => {
  const q = [0.1, 0.2, 0.05, 1];
  const n = Math.hypot(...q);
  return q.map((x) => x / n) as [number, number, number, number];
})();

/** Throws a crate (half 0.25 m, tilted) along +x at a wall whose near face is at x = 5; the largest x its centre reached. */
function throwAt(addWall: (w: PhysicsWorld) => void, rate: number, speed: number): { maxX: number; endX: number } {
  const w = PhysicsWorld.create({ capacity: 16, maxBodyRadius: 1, tickRate: rate, gravity: [0, 0, 0], sleep: { enabled: false }, geometryWords: 1024 });
  addWall(w);
  const b = w.addDynamicBox({ position: [0, 0, 0], half: [0.25, 0.25, 0.25], density: 100, velocity: [speed, 0, 0], orientation: TILT, restitution: 0 });
  let maxX = -Infinity;
  for (let t = 0; t < Math.ceil((rate * 8) / speed) + rate; t++) {
    w.step(1);
    maxX = Math.max(maxX, w.position(b)[0]);
  }
  return { maxX, endX: w.position(b)[0] };
}

// the crate's corner reaches 0.25 sqrt 3 = 0.43 m from its centre; its centre stops within that of the face
const FACE = 5;
const CORNER = 0.25 * Math.sqrt(3);

describe('fast rotating boxes do not pass through thin statics', () => {
  const speeds = [10, 15, 20, 30, 50, 80, 120];
  for (const rate of [20, 60]) {
    test(`a crate thrown at 10 to 120 m/s at a 0.1 m wall at ${rate} Hz stops in front of it`, () => {
      for (const v of speeds) {
        const r = throwAt((w) => w.addBox({ position: [FACE + 0.05, 0, 0], half: [0.05, 3, 3] }), rate, v);
        // it reached the wall and its centre never crossed the wall's near face
        expect({ v, reached: r.maxX > FACE - CORNER - 0.05 }).toEqual({ v, reached: true });
        expect({ v, maxX: r.maxX < FACE }).toEqual({ v, maxX: true });
        expect({ v, endX: r.endX < FACE }).toEqual({ v, endX: true });
      }
    });
  }

  test('a crate at 100 m/s stops at a mesh wall, and one shot down at 60 m/s onto a heightfield lands on it', () => {
    for (const rate of [20, 60]) {
      const r = throwAt((w) => w.addGeometry(encodeGeometry(quantiseMesh('wall', boxMesh([FACE, -3, -3], [FACE + 0.1, 3, 3])))), rate, 100);
      expect(r.maxX).toBeGreaterThan(FACE - CORNER - 0.05);
      expect(r.maxX).toBeLessThan(FACE);
    }
    for (const rate of [20, 60]) {
      const t = PhysicsWorld.create({ maxBodyRadius: 1, tickRate: rate, sleep: { enabled: false }, geometryWords: 4096 });
      t.addGeometry(encodeGeometry(heightfield(21, 21, 1, -10, -10, () => 0)));
      const d = t.addDynamicBox({
        position: [0.3, 20, 0.6] as Vec3,
        half: [0.25, 0.25, 0.25],
        density: 100,
        velocity: [0, -60, 0],
        orientation: TILT,
        restitution: 0,
      });
      let lowest = Infinity;
      for (let k = 0; k < rate * 3; k++) {
        t.step(1);
        lowest = Math.min(lowest, t.position(d)[1]);
      }
      // it never sank below its inner sphere, and it ends lying on a face near where it landed
      expect(lowest).toBeGreaterThan(0.2);
      const [x, y, z] = t.position(d);
      expect(Math.abs(y - 0.25)).toBeLessThan(0.02);
      expect(Math.hypot(x - 0.3, z - 0.6)).toBeLessThan(1);
    }
  });

  test('a crate dropped from 1 to 4 m onto flat terrain stays on it (a vertex deeper than the margin still finds its triangle)', () => {
    // before: a corner that went more than the contact margin below the surface within one
    // tick was not looked for, and the crate fell through flat terrain (from 1 m at 20 Hz)
    for (const rate of [20, 60]) {
      for (const h0 of [1, 2, 4]) {
        for (const orientation of [[0, 0, 0, 1] as [number, number, number, number], TILT]) {
          const t = PhysicsWorld.create({ maxBodyRadius: 1, tickRate: rate, sleep: { enabled: false }, geometryWords: 4096 });
          t.addGeometry(encodeGeometry(heightfield(21, 21, 1, -10, -10, () => 0)));
          const d = t.addDynamicBox({ position: [0.3, h0, 0.6], half: [0.25, 0.25, 0.25], density: 100, orientation, restitution: 0 });
          let lowest = Infinity;
          for (let k = 0; k < rate * 3; k++) {
            t.step(1);
            lowest = Math.min(lowest, t.position(d)[1]);
          }
          expect({ rate, h0, low: lowest > 0.15 }).toEqual({ rate, h0, low: true });
          expect({ rate, h0, end: Math.abs(t.position(d)[1] - 0.25) < 0.02 }).toEqual({ rate, h0, end: true });
        }
      }
    }
  });
});

describe('fast capsules do not pass through thin statics or terrain', () => {
  test('a capsule at 10 to 80 m/s stops at a 0.1 m mesh wall and lands on flat terrain, at 20 and 60 Hz', () => {
    // before: at 20 Hz a 0.3 m capsule at 10 m/s crossed the wall, and one falling at 40 m/s
    // fell through the terrain (capsules had no continuous collision)
    for (const rate of [20, 60]) {
      for (const v of [10, 20, 40, 80]) {
        const w = PhysicsWorld.create({ maxBodyRadius: 1, tickRate: rate, gravity: [0, 0, 0], sleep: { enabled: false }, geometryWords: 4096 });
        w.addGeometry(encodeGeometry(quantiseMesh('wall', boxMesh([FACE, -3, -3], [FACE + 0.1, 3, 3]))));
        const c = w.addCapsule({ position: [0, 0, 0], radius: 0.3, halfHeight: 0.6, velocity: [v, 0, 0], restitution: 0 });
        let maxX = -Infinity;
        for (let k = 0; k < rate * 2; k++) {
          w.step(1);
          maxX = Math.max(maxX, w.position(c)[0]);
        }
        expect({ rate, v, wall: maxX > FACE - 0.35 && maxX <= FACE - 0.3 + 0.001 }).toEqual({ rate, v, wall: true });
        const t = PhysicsWorld.create({ maxBodyRadius: 1, tickRate: rate, sleep: { enabled: false }, geometryWords: 4096 });
        t.addGeometry(encodeGeometry(heightfield(21, 21, 1, -10, -10, () => 0)));
        const d = t.addCapsule({ position: [0.3, 10, 0.6], radius: 0.3, halfHeight: 0.6, velocity: [0, -v, 0], restitution: 0 });
        let lowest = Infinity;
        for (let k = 0; k < rate * 3; k++) {
          t.step(1);
          lowest = Math.min(lowest, t.position(d)[1]);
        }
        // its centre stays above the ground by its core's half height, less a few cm of contact
        expect({ rate, v, ground: lowest > 0.8 }).toEqual({ rate, v, ground: true });
      }
    }
  });
});
