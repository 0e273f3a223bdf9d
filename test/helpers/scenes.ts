/**
 * Scenes shared by the physics tests, benchmarks and determinism goldens. Every scene is a
 * pure function of its parameters and seed (mulberry32), so two builds or two processes
 * construct bit-identical worlds.
 */
import { PhysicsWorld, type WorldConfig, type BodyHandle, type Command } from '../../src/physics/world';
import type { CoreVariant } from '../../src/physics/wasm';
import { mulberry32 } from './bigref';
import { encodeGeometry, quantiseHeightfield } from '../../src/assets/geometry';

/** Uniform float in [0, 1) from a 32-bit PRNG. */
export const unit = (rng: () => number): number => rng() / 4294967296;

/**
 * A closed box: floor plane at y = 0, four walls (static boxes) around a square footprint of
 * side 2 * half, and a ceiling box at `height`.
 */
export function addClosedBox(w: Builder, half: number, height: number, wall = 1): void {
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

/** What a scene builder needs: a PhysicsWorld or a ShardedWorld. */
export interface SceneTarget {
  addPlane: PhysicsWorld['addPlane'];
  addBox: PhysicsWorld['addBox'];
  addSphere: PhysicsWorld['addSphere'];
  addCharacter: PhysicsWorld['addCharacter'];
  applyCommands(cmds: readonly Command[]): unknown;
  step(): void;
}

/** The parts of a SceneTarget that only adds bodies. */
export type Builder = Pick<SceneTarget, 'addPlane' | 'addBox' | 'addSphere'>;

/** World configuration of the pile scene. */
export const pileConfig = (n: number, config: WorldConfig = {}): WorldConfig => ({ capacity: n + 8, maxBodyRadius: 0.5, sleep: { enabled: false }, ...config });

/** Box of the pile scene for n spheres in `layers` layers: spheres per row, interior half-width and height (m). */
export function pileGeometry(n: number, layers = 20): { side: number; half: number; height: number } {
  const side = Math.max(1, Math.ceil(Math.sqrt(n / layers)));
  return { side, half: (side * 1.1) / 2 + 0.2, height: Math.ceil(n / (side * side)) * 1.1 + 4 };
}

/**
 * "pile": n spheres of radius 0.5 m on a jittered grid (spacing 1.1 m, `layers` high) with
 * seeded velocities up to 1 m/s, in a closed box just wide enough for the footprint.
 */
export function buildPile(
  w: SceneTarget,
  n: number,
  seed: number,
  opts: { layers?: number; restitution?: number } = {},
): { bodies: BodyHandle[]; half: number; height: number; tick: () => void } {
  const { side, half, height } = pileGeometry(n, opts.layers);
  addClosedBox(w, half, height);
  const rng = mulberry32(seed);
  const bodies: BodyHandle[] = [];
  for (let k = 0; k < n; k++) {
    const i = k % side,
      j = Math.floor(k / side) % side,
      l = Math.floor(k / (side * side));
    bodies.push(
      w.addSphere({
        position: [(i - (side - 1) / 2) * 1.1 + (unit(rng) - 0.5) * 0.1, 0.6 + l * 1.1, (j - (side - 1) / 2) * 1.1 + (unit(rng) - 0.5) * 0.1],
        velocity: [unit(rng) * 2 - 1, unit(rng) * 2 - 1, unit(rng) * 2 - 1],
        radius: 0.5,
        mass: 1,
        friction: 0.5,
        restitution: opts.restitution ?? 0.2,
      }),
    );
  }
  return { bodies, half, height, tick: () => w.step() };
}

/** pileScene on a new PhysicsWorld. */
export function pileScene(
  n: number,
  seed: number,
  opts: { variant?: CoreVariant; config?: WorldConfig; layers?: number; restitution?: number } = {},
): { world: PhysicsWorld; bodies: BodyHandle[]; half: number; height: number } {
  const world = PhysicsWorld.create(pileConfig(n, opts.config), { variant: opts.variant });
  return { world, ...buildPile(world, n, seed, opts) };
}

/** World configuration of the rain scene. */
export const rainConfig = (n: number, config: WorldConfig = {}): WorldConfig => ({ capacity: n + 8, maxBodyRadius: 0.5, sleep: { enabled: false }, ...config });

/** Box of the rain scene for n spheres: interior half-width and the height spheres fall from (m). */
export function rainGeometry(n: number): { half: number; height: number } {
  const side = Math.max(2, Math.ceil(Math.sqrt(n / 4)));
  return { half: (side * 1.1) / 2, height: 30 };
}

/**
 * "rain": n spheres fall into a box; every tick the k = max(1, n / 100) spheres next in
 * round-robin order are moved back to a seeded spot above the box with a downward velocity
 * (setPosition and setVelocity commands), so nothing ever sleeps and bodies keep crossing
 * the volume.
 */
export function buildRain(
  w: SceneTarget,
  n: number,
  seed: number,
): { bodies: BodyHandle[]; half: number; height: number; commands: () => Command[]; tick: () => void } {
  const { half, height } = rainGeometry(n);
  addClosedBox(w, half, height + 10);
  const rng = mulberry32(seed);
  const spot = (): [number, number, number] => [(unit(rng) * 2 - 1) * (half - 0.6), height - unit(rng) * 5, (unit(rng) * 2 - 1) * (half - 0.6)];
  const bodies: BodyHandle[] = [];
  for (let k = 0; k < n; k++) {
    bodies.push(w.addSphere({ position: spot(), velocity: [0, -5 * unit(rng), 0], radius: 0.5, mass: 1, friction: 0.4, restitution: 0.3 }));
  }
  let next = 0;
  const k = Math.max(1, Math.floor(n / 100));
  /** The commands of the next tick (draws from the scene's PRNG: call once per tick). */
  const commands = (): Command[] => {
    const cmds: Command[] = [];
    for (let q = 0; q < k; q++) {
      const b = bodies[next];
      next = (next + 1) % n;
      cmds.push({ kind: 'setPosition', body: b, value: spot() }, { kind: 'setVelocity', body: b, value: [0, -5 - 5 * unit(rng), 0] });
    }
    return cmds;
  };
  const tick = (): void => {
    w.applyCommands(commands());
    w.step();
  };
  return { bodies, half, height, commands, tick };
}

/** rainScene on a new PhysicsWorld. */
export function rainScene(
  n: number,
  seed: number,
  opts: { variant?: CoreVariant; config?: WorldConfig } = {},
): { world: PhysicsWorld; bodies: BodyHandle[]; tick: () => void } {
  const world = PhysicsWorld.create(rainConfig(n, opts.config), { variant: opts.variant });
  return { world, ...buildRain(world, n, seed) };
}

/** World configuration of the walkers scene. */
export const walkersConfig = (n: number): WorldConfig => ({ capacity: n * 2 + 8, maxBodyRadius: 1 });

/**
 * "walkers": characters walking in circles around the corner of four quadrants at the
 * origin (a four-shard corner), with spheres to push, on a plane; input by
 * characterInput commands every tick.
 */
export function buildWalkers(w: SceneTarget, n: number, seed: number): { tick: () => void } {
  w.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0.8 });
  w.addBox({ position: [6, 0.15, 0], half: [1, 0.15, 1] });
  const rng = mulberry32(seed);
  const chars: Array<{ h: BodyHandle; phase: number; speed: number; radius: number }> = [];
  for (let k = 0; k < n; k++) {
    const radius = 2 + unit(rng) * 6,
      phase = unit(rng) * Math.PI * 2;
    const h = w.addCharacter({ position: [Math.cos(phase) * radius, 1, Math.sin(phase) * radius], radius: 0.3, halfHeight: 0.6, mass: 80, noSleep: true });
    chars.push({ h, phase, speed: 1 + unit(rng) * 2, radius });
    w.addSphere({ position: [(unit(rng) * 2 - 1) * 8, 0.5, (unit(rng) * 2 - 1) * 8], radius: 0.4, mass: 5, friction: 0.5 });
  }
  let t = 0;
  const tick = (): void => {
    t++;
    w.applyCommands(
      chars.map((c) => {
        const a = c.phase + (t / 60) * (c.speed / c.radius);
        return { kind: 'characterInput' as const, body: c.h, walk: [-Math.sin(a) * c.speed, Math.cos(a) * c.speed] as const, jump: t % 97 === 0 };
      }),
    );
    w.step();
  };
  return { tick };
}

/** walkersScene on a new PhysicsWorld. */
export function walkersScene(n: number, seed: number, opts: { variant?: CoreVariant } = {}): { world: PhysicsWorld; tick: () => void } {
  const world = PhysicsWorld.create(walkersConfig(n), { variant: opts.variant });
  return { world, ...buildWalkers(world, n, seed) };
}

/** World configuration of the crossing scene (400 spheres). */
export const CROSSING_CONFIG = { capacity: 420, maxBodyRadius: 0.5, sleep: { enabled: false } };

/** 400 spheres in two layers over a 22 m square, fast sideways, inside low walls. */
export function buildCrossingScene(w: Builder): void {
  w.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0.5 });
  const half = 11.5;
  w.addBox({ position: [half + 0.5, 1, 0], half: [0.5, 1, half + 1] });
  w.addBox({ position: [-half - 0.5, 1, 0], half: [0.5, 1, half + 1] });
  w.addBox({ position: [0, 1, half + 0.5], half: [half + 1, 1, 0.5] });
  w.addBox({ position: [0, 1, -half - 0.5], half: [half + 1, 1, 0.5] });
  const rng = mulberry32(2024);
  const u = (): number => rng() / 4294967296;
  for (let k = 0; k < 400; k++) {
    const i = k % 20,
      j = Math.floor(k / 20) % 20,
      l = Math.floor(k / 400);
    w.addSphere({
      position: [(i - 9.5) * 1.1 + (u() - 0.5) * 0.1, 0.6 + l * 1.1 + u() * 0.5, (j - 9.5) * 1.1 + (u() - 0.5) * 0.1],
      velocity: [(u() - 0.5) * 6, u() * 2, (u() - 0.5) * 6],
      radius: 0.5,
      friction: 0.4,
      restitution: 0.5,
    });
  }
}

/** World configuration of the yard scene (issue 18's sharded acceptance: boxes, a hinged chain, terrain). */
export const yardConfig = (): WorldConfig => ({
  capacity: 96,
  maxBodyRadius: 0.5,
  sleep: { enabled: false },
  contactsPerBody: 24,
  geometryWords: 4096,
  jointCapacity: 8,
});

/** What the yard scene needs of a world: a PhysicsWorld or a ShardedWorld (exchange 'pass'). */
export type YardTarget = Pick<PhysicsWorld, 'addGeometry' | 'addBox' | 'addDynamicBox' | 'addJoint' | 'step'> & {
  applyCommands(cmds: readonly Command[]): unknown;
};

/**
 * "yard": issue 18's sharded acceptance scene, all around the four-shard corner at the origin:
 * a 17 x 17 heightfield (0.5 m cells, hills up to 0.35 m) inside walls 5 m high; 48 boxes (half extents
 * 0.12-0.22 m, seeded orientations, v0 up to 2 m/s sideways) dropped from 1-4 m so they tumble
 * across the borders and settle on the terrain; and a chain of 3 planks (0.25 m long) hanging
 * from a world hinge above the corner, hinged end to end about z, pushed so it swings across
 * x = 0 (its island reaches 0.5 m, within jointReach() at maxBodyRadius 0.5). Two-body joints
 * across borders need a sharded world exchanging per pass.
 */
export function buildYard(w: YardTarget, seed: number): { tick: () => void } {
  const heights: number[] = [];
  for (let iz = 0; iz < 17; iz++)
    for (let ix = 0; ix < 17; ix++) heights.push(0.2 * Math.sin(ix * 0.9) * Math.cos(iz * 0.7) + 0.15 * Math.sin((ix + iz) * 0.5));
  w.addGeometry(encodeGeometry(quantiseHeightfield('yard', heights, 17, 17, { cellSize: [0.5, 0.5], origin: [-4, -4] })), { friction: 0.6 });
  for (const [x, z, hx, hz] of [
    [4.2, 0, 0.2, 4.4],
    [-4.2, 0, 0.2, 4.4],
    [0, 4.2, 4.4, 0.2],
    [0, -4.2, 4.4, 0.2],
  ] as const) {
    w.addBox({ position: [x, 2.25, z], half: [hx, 2.75, hz], friction: 0.5 });
  }
  const rng = mulberry32(seed);
  for (let k = 0; k < 48; k++) {
    const u = [unit(rng), unit(rng), unit(rng), unit(rng)];
    // Shoemake's uniform random rotation
    const s1 = Math.sqrt(1 - u[0]),
      s2 = Math.sqrt(u[0]);
    const q: [number, number, number, number] = [
      s1 * Math.sin(2 * Math.PI * u[1]),
      s1 * Math.cos(2 * Math.PI * u[1]),
      s2 * Math.sin(2 * Math.PI * u[2]),
      s2 * Math.cos(2 * Math.PI * u[2]),
    ];
    w.addDynamicBox({
      position: [(unit(rng) * 2 - 1) * 2.5, 1 + unit(rng) * 3, (unit(rng) * 2 - 1) * 2.5],
      velocity: [(unit(rng) * 2 - 1) * 2, 0, (unit(rng) * 2 - 1) * 2],
      half: [0.12 + u[3] * 0.1, 0.12 + unit(rng) * 0.1, 0.12 + unit(rng) * 0.1],
      density: 400,
      orientation: q,
      friction: 0.5,
    });
  }
  const planks: BodyHandle[] = [];
  for (let k = 0; k < 3; k++) planks.push(w.addDynamicBox({ position: [-0.1, 2.375 - 0.25 * k, 0.3], half: [0.04, 0.125, 0.08], density: 600 }));
  w.addJoint({ kind: 'hinge', a: planks[0], b: null, anchorA: [0, 0.125, 0], axis: [0, 0, 1] });
  for (let k = 1; k < 3; k++) w.addJoint({ kind: 'hinge', a: planks[k], b: planks[k - 1], anchorA: [0, 0.125, 0], axis: [0, 0, 1] });
  let t = 0;
  const tick = (): void => {
    if (t++ === 0) w.applyCommands([{ kind: 'setVelocity', body: planks[2], value: [2.5, 0, 0] }]);
    w.step();
  };
  return { tick };
}
