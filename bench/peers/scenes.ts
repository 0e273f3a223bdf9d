/**
 * Engine-independent benchmark scene definitions.
 *
 * Every engine (Rapier, cannon-es, and Tessera's own fixed-point core) builds
 * its world from the plain data returned here, so all of them simulate the
 * same initial conditions. Nothing in this file depends on any engine.
 *
 * Units: metres, seconds, kilograms, m/s. Y is up.
 *
 * Conventions shared by all scenes:
 *  - spheres of radius 0.5 m, density 1000 kg/m^3 (mass = 523.5988 kg, given
 *    explicitly as `sphereMass` so engines that take a mass and engines that
 *    take a density end up with the same body);
 *  - friction 0.5 and restitution 0.2 on every collider (spheres and walls), so
 *    any combine rule (average, min, max, multiply-then-sqrt) gives 0.5 / 0.2
 *    (the product rule would give 0.25 / 0.04: engines using it must override);
 *  - gravity (0, -9.81, 0), dt = 1/60 s, sleeping disabled (pile, rain; the
 *    world scenes of scenes-rest.ts and scenes-level.ts turn it on);
 *  - bodies start with zero rotation and zero angular velocity (the box scenes of
 *    scenes-boxes.ts give each box an orientation, SceneSpec.boxes);
 *  - 60 warm-up steps then 300 timed steps.
 *
 * Determinism: all random numbers come from mulberry32 seeded from the scene
 * seed, and the rain recycle schedule is a pure function of (seed, step), so
 * any engine can ask for step k's recycle without replaying steps 0..k-1.
 */

import type { CharacterSet, MeshSpec, TerrainSpec } from './scenes-characters';

export type Vec3 = [number, number, number];

/** A static, axis-aligned box collider. */
export interface StaticBox {
  name: string;
  center: Vec3;
  halfExtents: Vec3;
}

/**
 * Bodies that are teleported just before a given step is simulated.
 * `indices[j]` gets position `positions[3j..3j+2]`, linear velocity
 * `velocities[3j..3j+2]`, identity rotation and zero angular velocity.
 */
export interface RecycleBatch {
  step: number;
  indices: Uint32Array;
  positions: Float64Array;
  velocities: Float64Array;
}

/**
 * Rays cast after step `step` (0-based, warm-up included): ray j starts at
 * `origins[3j..3j+2]` (m) along the unit vector `dirs[3j..3j+2]`, up to
 * `maxDist` m. Pure function of (seed, step).
 */
export interface RayBatch {
  step: number;
  origins: Float64Array;
  dirs: Float64Array;
  maxDist: number;
}

/** Every scene the runner knows (see scene-registry.ts). */
export type SceneName =
  | 'pile'
  | 'rain'
  | 'resting'
  | 'drop'
  | 'mixed'
  | 'sparse-active'
  | 'sparse-alone'
  | 'level'
  | 'level-few'
  | 'raycast'
  | 'box-pile'
  | 'pyramid'
  | 'characters';

/**
 * The dynamic bodies of a box scene (scenes-boxes.ts): body i is a solid cuboid with half
 * extents `half[3i..3i+2]` (m) and initial orientation `orientations[4i..4i+3]`, a unit
 * quaternion (x, y, z, w) rotating the box's local axes into the world. Its centre and velocity
 * are the scene's `positions` / `velocities`; its mass is density x 8 hx hy hz (boxMassOf).
 */
export interface BoxSet {
  half: Float64Array;
  orientations: Float64Array;
}

export interface SceneSpec {
  kind: SceneName;
  /** Number of dynamic bodies: spheres, or boxes in a box scene (`boxes` set). */
  n: number;
  seed: number;
  gravity: Vec3;
  dt: number;
  /** Sphere radius, m (every sphere when `radii` is absent). */
  radius: number;
  /** Per-sphere radii, m (mixed); absent: every sphere has `radius`. Use sphereRadius(). */
  radii?: Float64Array;
  /** Largest sphere radius, m; in a box scene the largest bounding-sphere radius |half| of a box (as is `radius`). */
  maxRadius: number;
  /**
   * Box scenes (box-pile, pyramid): the dynamic bodies are these boxes instead of spheres, and
   * an adapter must implement PeerWorld.readOrientations. Absent: spheres.
   */
  boxes?: BoxSet;
  /**
   * Report the stack drift (quality.ts maxDrift: the largest displacement of a body from its
   * start after the run, m): scenes whose bodies should stay where they start (pyramid).
   */
  drift?: boolean;
  /** Sleeping on in every engine (engine defaults for thresholds); off: no body ever sleeps. */
  sleep: boolean;
  /**
   * Spheres with index >= asleepFrom lie at rest on the floor from the start (resting,
   * sparse-active): an engine that can create a body asleep may do so. Absent: none.
   */
  asleepFrom?: number;
  density: number;
  /** = density * 4/3 * pi * radius^3; use it if the engine takes a mass (sphereMassOf() for mixed radii). */
  sphereMass: number;
  friction: number;
  restitution: number;
  warmup: number;
  timed: number;
  /** Static colliders: floor, four walls, ceiling (the level scenes: floor and boxes). */
  statics: StaticBox[];
  /** Volume every sphere centre should stay inside (the box interior; the level's floor footprint); outside = lost. */
  interior: { min: Vec3; max: Vec3 };
  /** Initial sphere centres, xyz interleaved, length 3n. */
  positions: Float64Array;
  /** Initial linear velocities, xyz interleaved, length 3n. */
  velocities: Float64Array;
  /** Human-readable description of the layout, for reports. */
  layout: string;
  /**
   * Rain only: the spheres teleported before step `step` (0-based, counting
   * warm-up steps). Pure and deterministic. Absent for pile.
   */
  recycle?: (step: number) => RecycleBatch;
  /** Rain only: K, the number of spheres recycled every step. */
  recyclePerStep?: number;
  /** Raycast scene: the rays cast after each step (timed apart from the step). */
  rays?: (step: number) => RayBatch;
  /** Raycast scene: rays per step. */
  raysPerStep?: number;
  /**
   * The scene's figures need every timed step (drop: asleep after 10 s; mixed: after 16 s): the
   * runner's --run-budget-s never cuts its timed steps (--max-step-ms and the child timeout still apply).
   */
  fullRun?: boolean;
  /** Character scene (scenes-characters.ts): heightfield terrain every engine builds. */
  terrain?: TerrainSpec;
  /** Character scene: static closed triangle meshes (the buildings). */
  meshes?: MeshSpec[];
  /**
   * Character scene: the dynamic bodies are upright capsule characters moved by each engine's
   * character controller (PeerWorld.setWalk); `positions` are their centres.
   */
  characters?: CharacterSet;
}

/** Radius of sphere i, m. */
export function sphereRadius(scene: SceneSpec, i: number): number {
  return scene.radii ? scene.radii[i] : scene.radius;
}

/** Mass of box i of a box scene, kg (density x 8 hx hy hz). Throws for a sphere scene. */
export function boxMassOf(scene: SceneSpec, i: number): number {
  if (!scene.boxes) throw new Error(`scene ${scene.kind} has no boxes`);
  const h = scene.boxes.half;
  return scene.density * 8 * h[3 * i] * h[3 * i + 1] * h[3 * i + 2];
}

/** Mass of sphere i, kg (density x 4/3 pi r^3). */
export function sphereMassOf(scene: SceneSpec, i: number): number {
  if (!scene.radii) return scene.sphereMass;
  const r = scene.radii[i];
  return (scene.density * 4 * Math.PI * r * r * r) / 3;
}

// ---------------------------------------------------------------------------
// Deterministic PRNG

/** mulberry32: 32-bit state, returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return function next(): number {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mix two 32-bit integers into a new seed (murmur3 finaliser style). */
export function mixSeed(a: number, b: number): number {
  let h = (Math.imul(a >>> 0, 0x9e3779b1) ^ (b >>> 0)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [lo, hi). */
export function uniform(rng: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

/**
 * Body i's centre on a g x g grid of columns, layer by layer from y0 (x and z cell centres
 * SPACING apart, layers yStep apart), each coordinate jittered by +-JITTER: three draws of
 * `rng`, in x, y, z order. Writes positions[3i .. 3i + 2].
 */
export function gridPosition(rng: () => number, positions: Float64Array, i: number, g: number, y0: number, yStep = SPACING): void {
  const ix = i % g;
  const iz = Math.floor(i / g) % g;
  const iy = Math.floor(i / (g * g));
  positions[3 * i] = (ix + 0.5) * SPACING + uniform(rng, -JITTER, JITTER);
  positions[3 * i + 1] = y0 + iy * yStep + uniform(rng, -JITTER, JITTER);
  positions[3 * i + 2] = (iz + 0.5) * SPACING + uniform(rng, -JITTER, JITTER);
}

// ---------------------------------------------------------------------------
// Shared constants

export const RADIUS = 0.5;
export const DENSITY = 1000;
export const SPHERE_MASS = (DENSITY * 4 * Math.PI * RADIUS * RADIUS * RADIUS) / 3;
export const FRICTION = 0.5;
export const RESTITUTION = 0.2;
export const GRAVITY: Vec3 = [0, -9.81, 0];
export const DT = 1 / 60;
export const WARMUP = 60;
export const TIMED = 300;
/** Grid cell size for initial layouts (sphere diameter 1 m + 0.1 m gap). */
export const SPACING = 1.1;
/** Positional jitter amplitude on the grid: +-0.05 m per axis. */
export const JITTER = 0.05;
/** Wall / floor / ceiling thickness. */
export const WALL = 1.0;

/**
 * Closed box whose interior is [0, side] x [0, height] x [0, side]
 * (floor top at y = 0). Walls are WALL thick and overlap at the corners so
 * there are no gaps.
 */
export function closedBox(side: number, height: number): { statics: StaticBox[]; interior: { min: Vec3; max: Vec3 } } {
  const h = WALL / 2;
  const c = side / 2;
  const outer = side / 2 + WALL; // half-size including the wall thickness
  const yMid = height / 2;
  const yHalf = height / 2 + WALL; // walls also cover floor and ceiling thickness
  const statics: StaticBox[] = [
    { name: 'floor', center: [c, -h, c], halfExtents: [outer, h, outer] },
    { name: 'ceiling', center: [c, height + h, c], halfExtents: [outer, h, outer] },
    { name: 'wall-x-', center: [-h, yMid, c], halfExtents: [h, yHalf, outer] },
    { name: 'wall-x+', center: [side + h, yMid, c], halfExtents: [h, yHalf, outer] },
    { name: 'wall-z-', center: [c, yMid, -h], halfExtents: [outer, yHalf, h] },
    { name: 'wall-z+', center: [c, yMid, side + h], halfExtents: [outer, yHalf, h] },
  ];
  return { statics, interior: { min: [0, 0, 0], max: [side, height, side] } };
}

export function baseSpec(kind: SceneName, n: number, seed: number) {
  return {
    kind,
    n,
    seed,
    gravity: [GRAVITY[0], GRAVITY[1], GRAVITY[2]] as Vec3,
    dt: DT,
    radius: RADIUS,
    maxRadius: RADIUS,
    sleep: false,
    density: DENSITY,
    sphereMass: SPHERE_MASS,
    friction: FRICTION,
    restitution: RESTITUTION,
    warmup: WARMUP,
    timed: TIMED,
  };
}

export function checkN(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`scene size must be a positive integer, got ${n}`);
}

// ---------------------------------------------------------------------------
// Scene 1: pile

/** Target number of layers in the initial pile columns. */
export const PILE_LAYERS = 20;

/**
 * N spheres on a jittered G x G x L grid (spacing 1.1 m, jitter +-0.05 m),
 * G = ceil(sqrt(N / 20)), L = ceil(N / G^2) (about 20 layers; the top layer may
 * be partial), filled layer by layer from the bottom, index = x + G*(z + G*y).
 * Initial velocities uniform in [-1, 1) m/s per axis. The box interior is
 * exactly G*1.1 m square, so the spheres fall straight down into a dense pile;
 * the ceiling is 5 m above the top layer.
 */
export function pileScene(n: number, seed = 1): SceneSpec {
  checkN(n);
  const g = Math.ceil(Math.sqrt(n / PILE_LAYERS));
  const layers = Math.ceil(n / (g * g));
  const side = g * SPACING;
  const y0 = RADIUS + 0.1 + SPACING / 2; // lowest layer centre: 0.05 m gap + jitter margin
  const yTop = y0 + (layers - 1) * SPACING;
  const height = Math.ceil(yTop + RADIUS + 5);
  const rng = mulberry32(mixSeed(seed, 0x9111e));
  const positions = new Float64Array(3 * n);
  const velocities = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    gridPosition(rng, positions, i, g, y0);
    velocities[3 * i] = uniform(rng, -1, 1);
    velocities[3 * i + 1] = uniform(rng, -1, 1);
    velocities[3 * i + 2] = uniform(rng, -1, 1);
  }
  const box = closedBox(side, height);
  return {
    ...baseSpec('pile', n, seed),
    ...box,
    positions,
    velocities,
    layout:
      `pile: ${g}x${g} columns x ${layers} layers (spacing ${SPACING} m, jitter +-${JITTER} m), ` +
      `box interior ${side.toFixed(1)} x ${height} x ${side.toFixed(1)} m, v0 in [-1,1) m/s per axis`,
  };
}

// ---------------------------------------------------------------------------
// Scene 2: rain

/** Spawn plane height above the floor. */
export const RAIN_SPAWN_Y = 12;
/** Fraction of N recycled per step (K = N/100, at least 1). */
export const RAIN_RECYCLE_DIVISOR = 100;

/**
 * A fixed population of N spheres raining into a closed box (same walls,
 * floor and ceiling construction as pile).
 *
 * Footprint: G x G cells of 1.1 m with G = ceil(sqrt(N / 4)), i.e. the floor can
 * hold about N/4 spheres in one layer. Initial state: the same jittered grid as
 * pile but only L = ceil(N / G^2) (about 4) layers, spread evenly between
 * y = 1.1 and y = 9.5 (about 2.8 m apart), initial velocities x,z in [-1,1),
 * y in [-4,-2) m/s.
 *
 * Recycling: before step s (0-based, warm-up included), K = max(1, floor(N/100))
 * spheres with indices (s*K + j) mod N, j = 0..K-1, are teleported to a spawn
 * slot on the plane y = 12 with velocity x,z in [-1,1), y in [-4,-2) m/s, zero
 * angular velocity. So each sphere lives 100 steps (1.67 s): it falls ~11 m in
 * ~1.2 s and spends the rest of its life on the floor, where about a quarter of
 * the population is at any time. Spawn slots are the G' x G' cells of a 1.2 m
 * grid over the footprint (G' = floor(side/1.2)) in a seeded permutation;
 * batch s takes the next K slots of that cyclic permutation, so a slot is
 * reused only every ~G'^2/K steps (~20), after the previous sphere there has
 * dropped well over 1 m: spawned spheres never overlap each other.
 * Per-step jitter (+-0.05 m) and velocities come from mulberry32(mix(seed, s)).
 * The ceiling is 3 m above the spawn plane.
 */
export function rainScene(n: number, seed = 1): SceneSpec {
  checkN(n);
  const g = Math.ceil(Math.sqrt(n / 4));
  const layers = Math.ceil(n / (g * g));
  const side = g * SPACING;
  const height = RAIN_SPAWN_Y + 3;
  const yLow = SPACING;
  // Top initial layer 2.5 m under the spawn plane so the first spawned
  // batches cannot overlap it.
  const yHigh = RAIN_SPAWN_Y - 2.5;
  const yStep = layers > 1 ? (yHigh - yLow) / (layers - 1) : 0;
  const rng = mulberry32(mixSeed(seed, 0x4a1d));
  const positions = new Float64Array(3 * n);
  const velocities = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    gridPosition(rng, positions, i, g, yLow, yStep);
    velocities[3 * i] = uniform(rng, -1, 1);
    velocities[3 * i + 1] = uniform(rng, -4, -2);
    velocities[3 * i + 2] = uniform(rng, -1, 1);
  }

  const k = Math.max(1, Math.floor(n / RAIN_RECYCLE_DIVISOR));
  const recycle = rainRecycle({ seed, n, k, x0: 0, z0: 0, side, spawnY: RAIN_SPAWN_Y, vxz: 1, vyLo: -4, vyHi: -2 });
  const slotCount = Math.floor(side / 1.2) ** 2 || 1;

  const box = closedBox(side, height);
  return {
    ...baseSpec('rain', n, seed),
    ...box,
    positions,
    velocities,
    recycle,
    recyclePerStep: k,
    layout:
      `rain: footprint ${g}x${g} cells (${side.toFixed(1)} m square), ${layers} initial layers, ` +
      `K=${k} spheres/step respawned at y=${RAIN_SPAWN_Y} on ${slotCount} slots, v0y in [-4,-2) m/s, ` +
      `box height ${height} m`,
  };
}

/** Parameters of rainRecycle. */
export interface RainRecycleOptions {
  seed: number;
  /** Spheres that take part (indices 0..n-1, plus `indexBase`). */
  n: number;
  /** Spheres recycled per step. */
  k: number;
  /** Square spawn footprint [x0, x0+side] x [z0, z0+side], m. */
  x0: number;
  z0: number;
  side: number;
  /** Spawn plane height, m. */
  spawnY: number;
  /** Horizontal spawn velocity uniform in [-vxz, vxz) m/s per axis. */
  vxz: number;
  /** Vertical spawn velocity uniform in [vyLo, vyHi) m/s. */
  vyLo: number;
  vyHi: number;
  /** Added to every recycled index (default 0). */
  indexBase?: number;
}

/**
 * The rain recycle schedule (see rainScene): before step s, K spheres with indices
 * indexBase + (s*K + j) mod n are teleported to the next K slots of a seeded cyclic
 * permutation of a 1.2 m spawn grid over the footprint, with +-0.05 m jitter and the given
 * velocity ranges. Pure function of (options, step). Throws if K exceeds the slot count.
 */
export function rainRecycle(o: RainRecycleOptions): (step: number) => RecycleBatch {
  const { seed, n, k } = o;
  const slotSpacing = 1.2;
  const gs = Math.max(1, Math.floor(o.side / slotSpacing));
  const slotPitch = o.side / gs;
  const slotCount = gs * gs;
  const perm = new Uint32Array(slotCount);
  for (let i = 0; i < slotCount; i++) perm[i] = i;
  const prng = mulberry32(mixSeed(seed, 0x5107));
  for (let i = slotCount - 1; i > 0; i--) {
    const j = Math.floor(prng() * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  if (k > slotCount) throw new Error(`rain: K=${k} exceeds spawn slot count ${slotCount}`);
  const base = o.indexBase ?? 0;
  return (step: number): RecycleBatch => {
    if (!Number.isInteger(step) || step < 0) throw new Error(`rain recycle: bad step ${step}`);
    const r = mulberry32(mixSeed(seed ^ 0x7a11, step));
    const indices = new Uint32Array(k);
    const pos = new Float64Array(3 * k);
    const vel = new Float64Array(3 * k);
    // Use modular arithmetic that stays exact for large step counts.
    const idxBase = ((step % n) * (k % n)) % n;
    const slotBase = ((step % slotCount) * k) % slotCount;
    for (let j = 0; j < k; j++) {
      indices[j] = base + ((idxBase + j) % n);
      const slot = perm[(slotBase + j) % slotCount];
      const sx = slot % gs;
      const sz = Math.floor(slot / gs);
      pos[3 * j] = o.x0 + (sx + 0.5) * slotPitch + uniform(r, -JITTER, JITTER);
      pos[3 * j + 1] = o.spawnY + uniform(r, -JITTER, JITTER);
      pos[3 * j + 2] = o.z0 + (sz + 0.5) * slotPitch + uniform(r, -JITTER, JITTER);
      vel[3 * j] = uniform(r, -o.vxz, o.vxz);
      vel[3 * j + 1] = uniform(r, o.vyLo, o.vyHi);
      vel[3 * j + 2] = uniform(r, -o.vxz, o.vxz);
    }
    return { step, indices, positions: pos, velocities: vel };
  };
}

// ---------------------------------------------------------------------------
// Helpers shared by adapters and runner

/**
 * Order-dependent, engine-independent checksum of sphere centres (xyz
 * interleaved). Not comparable across engines (they diverge), but identical
 * across repeated runs of a deterministic engine.
 */
export function checksumPositions(p: Float64Array | Float32Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i += 3) {
    const w = 1 + ((i / 3) % 7);
    s += w * (p[i] + 1.0001 * p[i + 1] + 1.0002 * p[i + 2]);
  }
  return s;
}

export interface PositionStats {
  meanY: number;
  minY: number;
  maxY: number;
  /** Sphere centres outside the box interior by more than 0.1 m, or non-finite. */
  escaped: number;
}

export function positionStats(scene: SceneSpec, p: Float64Array | Float32Array): PositionStats {
  let sum = 0;
  let minY = Infinity;
  let maxY = -Infinity;
  let escaped = 0;
  const { min, max } = scene.interior;
  const tol = 0.1;
  const n = p.length / 3;
  for (let i = 0; i < n; i++) {
    const x = p[3 * i];
    const y = p[3 * i + 1];
    const z = p[3 * i + 2];
    sum += y;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
    if (
      !(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z)) ||
      x < min[0] - tol ||
      x > max[0] + tol ||
      y < min[1] - tol ||
      y > max[1] + tol ||
      z < min[2] - tol ||
      z > max[2] + tol
    ) {
      escaped++;
    }
  }
  return { meanY: n > 0 ? sum / n : 0, minY, maxY, escaped };
}
