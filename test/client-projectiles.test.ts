/**
 * Predicted projectiles (src/client/projectiles.ts): a thrown ghost sphere flies at once in the
 * local world (its first ticks follow the ballistic path under the world's gravity) and lands on the
 * server's statics; a new server sphere near its path is matched to it (the ghost leaves the local
 * world, the offset to fade is ghost - server), a sphere far from it or one seen before is not, and
 * an unmatched ghost is dropped after 3 s.
 */
import { PhysicsWorld } from '../src/physics/world';
import { type PredictWorld, toBase64 } from '../src/client/predict-world';
import { ProjectilePrediction } from '../src/client/projectiles';

const RATE = 50;

/** A PredictWorld of a floor box (top at y = 0), as GET /predict would describe it. */
function floorWorld(): PredictWorld {
  const config = { capacity: 16, tickRate: RATE, maxBodyRadius: 1 };
  const w = PhysicsWorld.create(config, { variant: 'unshared' });
  const floor = w.addBox({ position: [0, -0.5, 0], half: [20, 0.5, 20] });
  return { config, walkSpeed: 4, geometry: '', statics: [toBase64(w.exportBody(floor))] };
}

test('a thrown ghost flies at once along the ballistic path and comes to rest on the floor', () => {
  const p = new ProjectilePrediction(floorWorld());
  const g = p.throwSphere([0, 2, 0], [3, 2, 0], 1000);
  expect(p.ghosts).toHaveLength(1);
  expect(g.position).toEqual([0, 2, 0]); // drawn where it was thrown, before any step
  p.frame(1000 + 10 * (1000 / RATE) + 1); // ten ticks
  const t = 10 / RATE;
  expect(g.path).toHaveLength(11);
  expect(g.position[0]).toBeCloseTo(3 * t, 2);
  // within 3 cm of 2 + 2 t - g t^2 / 2 (a step integrator differs by g dt^2 k / 2 = 2 cm)
  expect(Math.abs(g.position[1] - (2 + 2 * t - (9.81 * t * t) / 2))).toBeLessThan(0.03);
  for (let now = 1200; now <= 3500; now += 16) p.frame(now); // frames of 16 ms (at most 10 steps are caught up in one)
  expect(g.position[1]).toBeGreaterThan(0.2);
  expect(g.position[1]).toBeLessThan(0.3); // resting on the floor: its centre a radius (0.25 m) up
});

test('a new server sphere near the ghost path is matched; far, or seen before, it is not; unmatched ghosts expire', () => {
  const p = new ProjectilePrediction(floorWorld());
  p.markSeen(['7:1']);
  const g = p.throwSphere([0, 2, 0], [3, 2, 0], 0);
  p.frame(200); // ten ticks
  // a sphere seen before the throw, at the ghost's start: not the thrown one
  expect(p.match([{ key: '7:1', position: [0, 2, 0] }])).toEqual([]);
  // a new one 3 m away from every point of the path: not it
  expect(p.match([{ key: '8:1', position: [0, 5.5, 0] }])).toEqual([]);
  // a new one near where the ghost was three ticks ago (the server's body is a little behind)
  const at = g.path[7];
  const server = [at[0] + 0.1, at[1], at[2]];
  const m = p.match([{ key: '9:1', position: server }]);
  expect(m).toHaveLength(1);
  expect(m[0].key).toBe('9:1');
  expect(m[0].ghost.id).toBe(g.id);
  for (let k = 0; k < 3; k++) expect(m[0].offset[k]).toBeCloseTo(g.position[k] - server[k], 12);
  expect(p.ghosts).toEqual([]);
  expect(p.world.isValid(g.body)).toBe(false);
  expect(p.matched).toBe(1);
  // (8:1 was seen: it is not matched to a later ghost either)
  p.throwSphere([0, 5.5, 0], [0, 0, 0], 300);
  expect(p.match([{ key: '8:1', position: [0, 5.5, 0] }])).toEqual([]);
  p.frame(300 + 3001);
  expect(p.ghosts).toEqual([]);
  expect(p.expired).toBe(1);
});
