/**
 * Static-geometry benchmark scenes (issue 16): a level of 10,000 static boxes with spheres
 * raining, bouncing and rolling through it ("level"), the same spheres over a level of 10
 * statics ("level-few"), and raycasts into the level ("raycast"). Engine-independent plain data
 * like scenes.ts (same units, PRNG and materials), sleeping ON in every engine.
 *
 * Target (issue 16): a moving body in the 10,000-static level costs at most 1.2x what it costs
 * with 10 statics, i.e. median(level) / median(level-few) <= 1.2 at the same N.
 */
import { baseSpec, checkN, mixSeed, mulberry32, rainRecycle, uniform, WALL, type RayBatch, type SceneSpec, type StaticBox } from './scenes';

/** The level's static boxes form a LEVEL_GRID x LEVEL_GRID grid (10,000 boxes). */
export const LEVEL_GRID = 100;
/** Grid pitch of the level's boxes, m (the level is 400 m square). */
export const LEVEL_PITCH = 4;
/** Statics of level-few: the floor plus 9 boxes. */
export const LEVEL_FEW_STATICS = 10;
/** Spawn plane of the level's rain, m (above the 3 m pillars). */
export const LEVEL_SPAWN_Y = 14;
/** Rays cast per step in the raycast scene. */
export const RAYS_PER_STEP = 250;
/** Horizontal spawn speed of the level's spheres: uniform in [-3, 3) m/s per axis, so they roll. */
const LEVEL_VXZ = 3;

/**
 * The level's statics: a floor (top y = 0) 400 m square and 100 x 100 boxes on a 4 m grid,
 * each jittered +-0.5 m; seeded half tall pillars (0.8 x 3 x 0.8 m), half crates (1.2 m cubes),
 * all resting on the floor. Order: floor, then boxes row-major.
 */
function levelStatics(seed: number): { statics: StaticBox[]; side: number } {
  const side = LEVEL_GRID * LEVEL_PITCH;
  const h = WALL / 2;
  const statics: StaticBox[] = [{ name: 'floor', center: [side / 2, -h, side / 2], halfExtents: [side / 2 + WALL, h, side / 2 + WALL] }];
  const rng = mulberry32(mixSeed(seed, 0x1e7e1));
  for (let iz = 0; iz < LEVEL_GRID; iz++) {
    for (let ix = 0; ix < LEVEL_GRID; ix++) {
      const x = (ix + 0.5) * LEVEL_PITCH + uniform(rng, -0.5, 0.5);
      const z = (iz + 0.5) * LEVEL_PITCH + uniform(rng, -0.5, 0.5);
      if (rng() < 0.5) statics.push({ name: 'pillar', center: [x, 1.5, z], halfExtents: [0.4, 1.5, 0.4] });
      else statics.push({ name: 'crate', center: [x, 0.6, z], halfExtents: [0.6, 0.6, 0.6] });
    }
  }
  return { statics, side };
}

/**
 * level: N spheres (r = 0.5 m) over the 10,000-box level. Start: a G x G x 4 grid spread over the
 * level (G = ceil(sqrt(N / 4))) at heights 4.5 to 11.5 m (above every box), v0 x,z in [-3,3),
 * y in [-2,0) m/s. Rain-style recycling: before every step K = max(1, N/100) spheres are
 * teleported to a seeded 1.2 m spawn grid 10 m inside the level's edge at y = 14 with v x,z in
 * [-3,3), y in [-4,-2) m/s, so the moving population stays the same over the run. Sleeping on.
 * Lost: a centre off the floor's footprint or below it.
 */
export function levelScene(n: number, seed = 1): SceneSpec {
  return levelLike('level', n, seed, false);
}

/** level-few: level's spheres, start and recycle schedule, but only the floor and 9 of its boxes (spread over the level). */
export function levelFewScene(n: number, seed = 1): SceneSpec {
  return levelLike('level-few', n, seed, true);
}

function levelLike(kind: 'level' | 'level-few' | 'raycast', n: number, seed: number, few: boolean): SceneSpec {
  checkN(n);
  const lv = levelStatics(seed);
  const side = lv.side;
  let statics = lv.statics;
  if (few) {
    const stride = Math.floor((statics.length - 1) / (LEVEL_FEW_STATICS - 1));
    statics = [statics[0], ...Array.from({ length: LEVEL_FEW_STATICS - 1 }, (_, j) => statics[1 + j * stride + Math.floor(stride / 2)])];
  }
  const g = Math.ceil(Math.sqrt(n / 4));
  const pitch = (side - 20) / g;
  const rng = mulberry32(mixSeed(seed, 0x1e7e2));
  const positions = new Float64Array(3 * n);
  const velocities = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    positions[3 * i] = 10 + ((i % g) + 0.5) * pitch + uniform(rng, -0.05, 0.05);
    positions[3 * i + 1] = 4.5 + Math.floor(i / (g * g)) * 2.333 + uniform(rng, -0.05, 0.05);
    positions[3 * i + 2] = 10 + ((Math.floor(i / g) % g) + 0.5) * pitch + uniform(rng, -0.05, 0.05);
    velocities[3 * i] = uniform(rng, -LEVEL_VXZ, LEVEL_VXZ);
    velocities[3 * i + 1] = uniform(rng, -2, 0);
    velocities[3 * i + 2] = uniform(rng, -LEVEL_VXZ, LEVEL_VXZ);
  }
  const k = Math.max(1, Math.floor(n / 100));
  return {
    ...baseSpec(kind, n, seed),
    sleep: true,
    statics,
    interior: { min: [0, 0, 0], max: [side, LEVEL_SPAWN_Y + 6, side] },
    positions,
    velocities,
    recycle: rainRecycle({ seed, n, k, x0: 10, z0: 10, side: side - 20, spawnY: LEVEL_SPAWN_Y, vxz: LEVEL_VXZ, vyLo: -4, vyHi: -2 }),
    recyclePerStep: k,
    layout:
      `${kind}: ${statics.length} statics (floor ${side} m square${few ? ' + 9 boxes' : ` + ${LEVEL_GRID}x${LEVEL_GRID} pillars/crates on a ${LEVEL_PITCH} m grid`}), ` +
      `${n} spheres raining from y=${LEVEL_SPAWN_Y} (K=${k}/step, v x,z in [-${LEVEL_VXZ},${LEVEL_VXZ}) m/s), sleeping on`,
  };
}

/**
 * raycast: the level scene plus RAYS_PER_STEP rays after every step, from
 * mulberry32(mix(seed, step)): even rays straight-ish down from y = 30 at a random point of the
 * level (direction (dx, -1, dz) normalised, dx, dz in [-0.2, 0.2)); odd rays horizontal from
 * a random point at y in [0.3, 2.5) m in a random direction; every ray up to 60 m.
 * Engines report the closest hit; the runner times the rays apart from the step.
 */
export function raycastScene(n: number, seed = 1): SceneSpec {
  const base = levelLike('raycast', n, seed, false);
  const side = LEVEL_GRID * LEVEL_PITCH;
  const rays = (step: number): RayBatch => {
    const r = mulberry32(mixSeed(seed ^ 0x4a75, step));
    const origins = new Float64Array(3 * RAYS_PER_STEP);
    const dirs = new Float64Array(3 * RAYS_PER_STEP);
    for (let j = 0; j < RAYS_PER_STEP; j++) {
      const x = uniform(r, 0, side);
      const z = uniform(r, 0, side);
      let dx: number, dy: number, dz: number;
      if (j % 2 === 0) {
        origins.set([x, 30, z], 3 * j);
        dx = uniform(r, -0.2, 0.2);
        dy = -1;
        dz = uniform(r, -0.2, 0.2);
      } else {
        origins.set([x, uniform(r, 0.3, 2.5), z], 3 * j);
        const a = uniform(r, 0, 2 * Math.PI);
        dx = Math.cos(a);
        dy = 0;
        dz = Math.sin(a);
      }
      const len = Math.hypot(dx, dy, dz);
      dirs.set([dx / len, dy / len, dz / len], 3 * j);
    }
    return { step, origins, dirs, maxDist: 60 };
  };
  return {
    ...base,
    rays,
    raysPerStep: RAYS_PER_STEP,
    layout: `${base.layout}; ${RAYS_PER_STEP} rays/step (half down from y=30, half horizontal at y 0.3-2.5 m, up to 60 m)`,
  };
}
