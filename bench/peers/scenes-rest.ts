/**
 * Benchmark scenes about rest and sleep (issue 16): a resting world, a drop onto a floor, a
 * mixed-radius pile, and a large sleeping world with a small moving part. Engine-independent
 * plain data like scenes.ts (same units, PRNG, friction 0.5, restitution 0.2, density 1000),
 * but with sleeping ON in every engine (each engine's default sleep thresholds).
 *
 * Index order is part of each scene: quality figures (speed, asleep, lost) are over all
 * spheres; sparse-active puts its moving spheres first so their recycle indices are the same
 * as in sparse-alone.
 */
import { baseSpec, checkN, closedBox, mixSeed, mulberry32, RADIUS, rainScene, uniform, WALL, type SceneSpec, type StaticBox, type Vec3 } from './scenes';

/** Spacing of spheres that lie apart (resting, drop, the sleeping field of sparse-active), m: a 1 m gap at r = 0.5. */
export const APART_SPACING = 2;
/**
 * Settling steps of the resting scene before timing starts (3 s): every engine's sleep timer
 * runs out (Rapier's is 2 s, and Rapier wakes spheres created asleep on its first step).
 */
export const RESTING_WARMUP = 180;
/** drop: 60 warm-up + 540 timed steps = 10 s simulated. */
export const DROP_WARMUP = 60;
export const DROP_TIMED = 540;
/** mixed: 60 warm-up + 900 timed steps = 16 s simulated. */
export const MIXED_WARMUP = 60;
export const MIXED_TIMED = 900;
/** mixed: radii uniform in [MIXED_R_MIN, MIXED_R_MAX) m. */
export const MIXED_R_MIN = 0.25;
export const MIXED_R_MAX = 1;
/** sparse-active: resting spheres per moving sphere (10,000 moving -> 1,000,000 bodies). */
export const SPARSE_REST_PER_MOVING = 99;

/** A floor slab whose top is y = 0 over [x0, x1] x [z0, z1] (plus one wall thickness each side). */
function floorSlab(x0: number, x1: number, z0: number, z1: number): StaticBox {
  const h = WALL / 2;
  return {
    name: 'floor',
    center: [(x0 + x1) / 2, -h, (z0 + z1) / 2],
    halfExtents: [(x1 - x0) / 2 + WALL, h, (z1 - z0) / 2 + WALL],
  };
}

/** n sphere centres on a G x G grid of APART_SPACING at height y, G = ceil(sqrt(n)), row-major. */
function apartGrid(n: number, y: number): { positions: Float64Array; side: number; g: number } {
  const g = Math.ceil(Math.sqrt(n));
  const positions = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    positions[3 * i] = ((i % g) + 0.5) * APART_SPACING;
    positions[3 * i + 1] = y;
    positions[3 * i + 2] = (Math.floor(i / g) + 0.5) * APART_SPACING;
  }
  return { positions, side: g * APART_SPACING, g };
}

/**
 * resting: N spheres (r = 0.5 m) lying apart on a floor, centres at y = r on a G x G grid of
 * 2 m (G = ceil(sqrt N)), zero velocity, sleeping on; engines that can create bodies asleep
 * do (asleepFrom = 0). 180 settling steps (3 s), then the timed steps measure what a
 * sleeping world costs. Statics: the floor only.
 */
export function restingScene(n: number, seed = 1): SceneSpec {
  checkN(n);
  const { positions, side, g } = apartGrid(n, RADIUS);
  return {
    ...baseSpec('resting', n, seed),
    sleep: true,
    asleepFrom: 0,
    warmup: RESTING_WARMUP,
    statics: [floorSlab(0, side, 0, side)],
    interior: { min: [0, 0, 0], max: [side, 10, side] },
    positions,
    velocities: new Float64Array(3 * n),
    layout: `resting: ${g}x${g} grid of ${APART_SPACING} m on a floor ${side} m square, centres at y = r, at rest, sleeping on`,
  };
}

/**
 * drop: N spheres on the resting scene's grid, but 1 m above the floor (centres at y = r + 1),
 * zero velocity, sleeping on. 60 + 540 steps = 10 s: the fraction asleep at the end is the
 * figure (issue 16: Tessera 34 %, Rapier 86 %).
 */
export function dropScene(n: number, seed = 1): SceneSpec {
  checkN(n);
  const { positions, side, g } = apartGrid(n, RADIUS + 1);
  return {
    ...baseSpec('drop', n, seed),
    sleep: true,
    fullRun: true,
    warmup: DROP_WARMUP,
    timed: DROP_TIMED,
    statics: [floorSlab(0, side, 0, side)],
    interior: { min: [0, 0, 0], max: [side, 10, side] },
    positions,
    velocities: new Float64Array(3 * n),
    layout: `drop: ${g}x${g} grid of ${APART_SPACING} m, dropped 1 m onto a floor ${side} m square, sleeping on, ${DROP_WARMUP}+${DROP_TIMED} steps = 10 s`,
  };
}

/**
 * mixed: a dense pile of N spheres with radii uniform in [0.25, 1) m (seeded), in a closed box:
 * a jittered G x G x L grid of 2.1 m cells (G = ceil(sqrt(N / 10)), about 10 layers), v0 in
 * [-0.5, 0.5) m/s per axis, density 1000 (mass from each radius), sleeping on; 60 + 900 steps
 * = 16 s of settling. Residual speed, worst overlap and fraction asleep at the end are the
 * figures (issue 16: Tessera 0.075 m/s mean, Rapier 0.004).
 */
export function mixedScene(n: number, seed = 1): SceneSpec {
  checkN(n);
  const cell = 2 * MIXED_R_MAX + 0.1;
  const g = Math.ceil(Math.sqrt(n / 10));
  const layers = Math.ceil(n / (g * g));
  const side = g * cell;
  const y0 = MIXED_R_MAX + 0.1;
  const height = Math.ceil(y0 + (layers - 1) * cell + MIXED_R_MAX + 5);
  const rng = mulberry32(mixSeed(seed, 0x313ed));
  const positions = new Float64Array(3 * n);
  const velocities = new Float64Array(3 * n);
  const radii = new Float64Array(n);
  const jitter = 0.05;
  for (let i = 0; i < n; i++) {
    radii[i] = uniform(rng, MIXED_R_MIN, MIXED_R_MAX);
    positions[3 * i] = ((i % g) + 0.5) * cell + uniform(rng, -jitter, jitter);
    positions[3 * i + 1] = y0 + Math.floor(i / (g * g)) * cell + uniform(rng, -jitter, jitter);
    positions[3 * i + 2] = ((Math.floor(i / g) % g) + 0.5) * cell + uniform(rng, -jitter, jitter);
    for (let a = 0; a < 3; a++) velocities[3 * i + a] = uniform(rng, -0.5, 0.5);
  }
  return {
    ...baseSpec('mixed', n, seed),
    radii,
    maxRadius: MIXED_R_MAX,
    sleep: true,
    fullRun: true,
    warmup: MIXED_WARMUP,
    timed: MIXED_TIMED,
    ...closedBox(side, height),
    positions,
    velocities,
    layout:
      `mixed: radii U[${MIXED_R_MIN}, ${MIXED_R_MAX}) m, ${g}x${g} columns x ${layers} layers of ${cell} m cells, ` +
      `box ${side.toFixed(1)} x ${height} x ${side.toFixed(1)} m, v0 in [-0.5,0.5) m/s, sleeping on, ${MIXED_WARMUP}+${MIXED_TIMED} steps = 16 s`,
  };
}

/**
 * sparse-alone: the rain scene of N spheres (scenes.ts rainScene) with sleeping on and
 * sparse-active's 180 warm-up steps (RESTING_WARMUP): the moving part of sparse-active on its own.
 */
export function sparseAloneScene(n: number, seed = 1): SceneSpec {
  const rain = rainScene(n, seed);
  return {
    ...rain,
    kind: 'sparse-alone',
    sleep: true,
    warmup: RESTING_WARMUP,
    layout: `sparse-alone: ${rain.layout}, sleeping on`,
  };
}

/**
 * sparse-active: sparse-alone's N raining spheres (indices 0..N-1, same box walls, ceiling and
 * recycle schedule) plus 99 N spheres lying apart, at rest, on one large floor around the rain
 * box (indices N.., asleepFrom = N; grid of 2 m, no sphere within 3 m of the box). The floor
 * replaces the rain box's own floor, so a raining sphere touches one floor in both scenes and
 * both have 6 statics. With N = 10,000: 1,000,000 spheres, 10,000 moving. Target (issue 16):
 * at most 1.5x sparse-alone's step time.
 */
export function sparseActiveScene(n: number, seed = 1): SceneSpec {
  const rain = sparseAloneScene(n, seed);
  const rest = SPARSE_REST_PER_MOVING * n;
  const boxSide = rain.interior.max[0];
  const keepOut = 3 + WALL;
  const inBox = (x: number, z: number): boolean => x > -keepOut && x < boxSide + keepOut && z > -keepOut && z < boxSide + keepOut;
  // Smallest square field around the box (cells of 2 m, centred on the box) that holds `rest` spheres.
  const boxCells = Math.ceil((boxSide + 2 * keepOut) / APART_SPACING) + 1;
  let g = Math.max(boxCells + 2, Math.ceil(Math.sqrt(rest)));
  for (;;) {
    const free = g * g - (boxCells + 1) * (boxCells + 1);
    if (free >= rest) break;
    g += 2;
  }
  const x0 = boxSide / 2 - (g * APART_SPACING) / 2;
  const total = n + rest;
  const positions = new Float64Array(3 * total);
  positions.set(rain.positions);
  const velocities = new Float64Array(3 * total);
  velocities.set(rain.velocities);
  let k = n;
  for (let iz = 0; iz < g && k < total; iz++) {
    for (let ix = 0; ix < g && k < total; ix++) {
      const x = x0 + (ix + 0.5) * APART_SPACING;
      const z = x0 + (iz + 0.5) * APART_SPACING;
      if (inBox(x, z)) continue;
      positions[3 * k] = x;
      positions[3 * k + 1] = RADIUS;
      positions[3 * k + 2] = z;
      k++;
    }
  }
  if (k < total) throw new Error(`sparse-active: field too small (${k - n} of ${rest})`);
  const x1 = x0 + g * APART_SPACING;
  const statics = rain.statics.map((b) => (b.name === 'floor' ? floorSlab(x0, x1, x0, x1) : b));
  const min: Vec3 = [x0, 0, x0];
  const max: Vec3 = [x1, rain.interior.max[1], x1];
  return {
    ...rain,
    kind: 'sparse-active',
    n: total,
    asleepFrom: n,
    statics,
    interior: { min, max },
    // recycle: sparse-alone's schedule (indices 0..N-1 only), from ...rain.
    positions,
    velocities,
    layout:
      `sparse-active: sparse-alone's ${n} raining spheres + ${rest} resting apart on a ${(x1 - x0).toFixed(0)} m square floor ` +
      `(grid of ${APART_SPACING} m), ${total} spheres in all, sleeping on`,
  };
}
