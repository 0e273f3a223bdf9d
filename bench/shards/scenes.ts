/**
 * Scenes of the shard-scaling benchmark, built onto any target with addPlane / addBox /
 * addSphere (PhysicsWorld or ShardedWorld), so the unsharded core and every shard layout
 * simulate bit-identical worlds.
 *
 * - "pile": the geometry of pileScene in test/helpers/scenes.ts (spheres r = 0.5 m on a
 *   jittered 1.1 m grid, 20 layers, seeded velocities up to 1 m/s, in a closed box just wide
 *   enough for the footprint), seeded by mulberry32 from test/helpers/bigref.ts, with the
 *   same draw order, so `buildPile(world, n, seed)` adds exactly the bodies pileScene(n, seed)
 *   adds.
 * - "rain": the geometry of rainScene (spheres dropped into a box 30 m high; every tick the
 *   next n / 100 spheres in round-robin order are put back above the box with a downward
 *   velocity), expressed as a command list (setPosition + setVelocity) per tick so the
 *   same commands go to PhysicsWorld.applyCommands and ShardedWorld.applyCommands.
 */
import type { PhysicsWorld, BodyHandle, Command, Vec3 } from '../../src/physics/world';
import { mulberry32 } from '../../test/helpers/bigref';

/** The parts of PhysicsWorld and ShardedWorld a scene builder needs. */
export interface Target {
  addPlane: PhysicsWorld['addPlane'];
  addBox: PhysicsWorld['addBox'];
  addSphere: PhysicsWorld['addSphere'];
}

/** Uniform float in [0, 1) from a 32-bit PRNG (as `unit` in test/helpers/scenes.ts). */
const unit = (rng: () => number): number => rng() / 4294967296;

/** The closed box of test/helpers/scenes.ts: floor plane, four walls and a ceiling (6 statics). */
export function addClosedBox(w: Target, half: number, height: number, wall = 1): void {
  w.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0.5 });
  const h = height / 2;
  w.addBox({ position: [half + wall, h, 0], half: [wall, h + wall, half + 2 * wall], friction: 0.5 });
  w.addBox({ position: [-half - wall, h, 0], half: [wall, h + wall, half + 2 * wall], friction: 0.5 });
  w.addBox({ position: [0, h, half + wall], half: [half + 2 * wall, h + wall, wall], friction: 0.5 });
  w.addBox({ position: [0, h, -half - wall], half: [half + 2 * wall, h + wall, wall], friction: 0.5 });
  w.addBox({ position: [0, height + wall, 0], half: [half + 2 * wall, wall, half + 2 * wall], friction: 0.5 });
}

/** Statics added by addClosedBox. */
export const CLOSED_BOX_STATICS = 6;

/** Geometry of a pile of n spheres (no bodies): half-width of the box interior and its height. */
export function pileGeometry(n: number, layers = 20): { side: number; half: number; height: number } {
  const side = Math.max(1, Math.ceil(Math.sqrt(n / layers)));
  const half = (side * 1.1) / 2 + 0.2;
  const height = Math.ceil(n / (side * side)) * 1.1 + 4;
  return { side, half, height };
}

/** Adds pileScene(n, seed)'s statics and spheres to `w`; returns the box geometry and the sphere handles. */
export function buildPile(w: Target, n: number, seed: number, layers = 20): { half: number; height: number; bodies: BodyHandle[] } {
  const { side, half, height } = pileGeometry(n, layers);
  addClosedBox(w, half, height);
  const rng = mulberry32(seed);
  const bodies: BodyHandle[] = [];
  for (let k = 0; k < n; k++) {
    const i = k % side, j = Math.floor(k / side) % side, l = Math.floor(k / (side * side));
    bodies.push(w.addSphere({
      position: [(i - (side - 1) / 2) * 1.1 + (unit(rng) - 0.5) * 0.1, 0.6 + l * 1.1, (j - (side - 1) / 2) * 1.1 + (unit(rng) - 0.5) * 0.1],
      velocity: [unit(rng) * 2 - 1, unit(rng) * 2 - 1, unit(rng) * 2 - 1],
      radius: 0.5, mass: 1, friction: 0.5, restitution: 0.2,
    }));
  }
  return { half, height, bodies };
}

/** Geometry of the rain box for n spheres. */
export function rainGeometry(n: number): { half: number; height: number } {
  const side = Math.max(2, Math.ceil(Math.sqrt(n / 4)));
  return { half: (side * 1.1) / 2, height: 30 };
}

/**
 * Adds rainScene(n, seed)'s statics and spheres to `w`. `commands()` returns the commands to
 * apply before each tick (the next max(1, n / 100) spheres put back above the box), drawing
 * from the same PRNG stream as rainScene's tick.
 */
export function buildRain(w: Target, n: number, seed: number): { half: number; height: number; bodies: BodyHandle[]; commands: () => Command[] } {
  const { half, height } = rainGeometry(n);
  addClosedBox(w, half, height + 10);
  const rng = mulberry32(seed);
  const spot = (): Vec3 => [(unit(rng) * 2 - 1) * (half - 0.6), height - unit(rng) * 5, (unit(rng) * 2 - 1) * (half - 0.6)];
  const bodies: BodyHandle[] = [];
  for (let k = 0; k < n; k++) {
    bodies.push(w.addSphere({ position: spot(), velocity: [0, -5 * unit(rng), 0], radius: 0.5, mass: 1, friction: 0.4, restitution: 0.3 }));
  }
  let next = 0;
  const k = Math.max(1, Math.floor(n / 100));
  const commands = (): Command[] => {
    const out: Command[] = [];
    for (let q = 0; q < k; q++) {
      const body = bodies[next];
      next = (next + 1) % n;
      out.push({ kind: 'setPosition', body, value: spot() });
      out.push({ kind: 'setVelocity', body, value: [0, -5 - 5 * unit(rng), 0] });
    }
    return out;
  };
  return { half, height, bodies, commands };
}
