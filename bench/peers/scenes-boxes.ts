/**
 * Box benchmark scenes (issue 18): a pile of rotating boxes dropped into a walled pit
 * ("box-pile") and a square pyramid of cubes standing on a floor ("pyramid"). Engine-independent
 * plain data like scenes.ts: same units (m, s, kg), PRNG, gravity, dt, friction 0.5,
 * restitution 0.2 and density 1000 kg/m^3 (mass = density x volume, boxMassOf); the dynamic
 * bodies are SceneSpec.boxes (half extents and an initial orientation quaternion each).
 *
 * Target (issue 18): box pile 5,000 and 20,000 and the 20-base pyramid at least 2x the fastest
 * Rapier build, with stack drift and worst overlap no worse than Rapier's.
 */
import {
  baseSpec,
  checkN,
  closedBox,
  gridPosition,
  JITTER,
  mixSeed,
  mulberry32,
  PILE_LAYERS,
  SPACING,
  uniform,
  WALL,
  type SceneSpec,
  type StaticBox,
} from './scenes';

/** box-pile: each half extent uniform in [BOX_HALF_MIN, BOX_HALF_MAX) m (crates of 0.4 to 0.56 m). */
export const BOX_HALF_MIN = 0.2;
export const BOX_HALF_MAX = 0.28;
/** pyramid: cube half extent, m (1 m cubes). */
export const PYRAMID_HALF = 0.5;
/**
 * pyramid: horizontal gap between neighbouring cubes of a layer, m (layers touch exactly): wider
 * than every engine's contact margin (Tessera 0.05 m, Jolt's speculative distance 0.02 m), so
 * side neighbours make no contacts and every engine solves the same 4 supports per cube.
 */
export const PYRAMID_GAP = 0.1;

/**
 * A uniformly distributed random unit quaternion (x, y, z, w) from three uniforms: K. Shoemake,
 * "Uniform random rotations", Graphics Gems III (1992), pp. 124-132.
 */
export function randomQuaternion(rng: () => number, out: Float64Array, at: number): void {
  const u1 = rng(),
    u2 = 2 * Math.PI * rng(),
    u3 = 2 * Math.PI * rng();
  const a = Math.sqrt(1 - u1),
    b = Math.sqrt(u1);
  out[at] = a * Math.sin(u2);
  out[at + 1] = a * Math.cos(u2);
  out[at + 2] = b * Math.sin(u3);
  out[at + 3] = b * Math.cos(u3);
}

/**
 * box-pile: N boxes, half extents seeded uniform in [0.2, 0.28) m per axis (so no bounding
 * sphere exceeds 0.485 m and the jittered 1.1 m grid never starts two boxes overlapping), each
 * in a seeded uniformly random orientation, on the jittered G x G x L grid of pile (spacing
 * 1.1 m, jitter +-0.05 m, G = ceil(sqrt(N / 20)), about 20 layers, index = x + G*(z + G*y)),
 * initial velocities uniform in [-1, 1) m/s per axis, zero angular velocity, in pile's closed box
 * (interior G*1.1 m square, ceiling 5 m above the top layer). Sleeping off, 60 + 300 steps.
 */
export function boxPileScene(n: number, seed = 1): SceneSpec {
  checkN(n);
  const g = Math.ceil(Math.sqrt(n / PILE_LAYERS));
  const layers = Math.ceil(n / (g * g));
  const side = g * SPACING;
  const y0 = 0.1 + SPACING / 2;
  const yTop = y0 + (layers - 1) * SPACING;
  const height = Math.ceil(yTop + SPACING / 2 + 5);
  const rng = mulberry32(mixSeed(seed, 0xb0c5));
  const positions = new Float64Array(3 * n);
  const velocities = new Float64Array(3 * n);
  const half = new Float64Array(3 * n);
  const orientations = new Float64Array(4 * n);
  let maxR = 0;
  for (let i = 0; i < n; i++) {
    gridPosition(rng, positions, i, g, y0);
    for (let a = 0; a < 3; a++) {
      velocities[3 * i + a] = uniform(rng, -1, 1);
      half[3 * i + a] = uniform(rng, BOX_HALF_MIN, BOX_HALF_MAX);
    }
    randomQuaternion(rng, orientations, 4 * i);
    maxR = Math.max(maxR, Math.hypot(half[3 * i], half[3 * i + 1], half[3 * i + 2]));
  }
  return {
    ...baseSpec('box-pile', n, seed),
    radius: maxR,
    maxRadius: maxR,
    ...closedBox(side, height),
    positions,
    velocities,
    boxes: { half, orientations },
    layout:
      `box-pile: ${g}x${g} columns x ${layers} layers (spacing ${SPACING} m, jitter +-${JITTER} m), half extents ` +
      `[${BOX_HALF_MIN}, ${BOX_HALF_MAX}) m, random orientations, box interior ${side.toFixed(1)} x ${height} x ${side.toFixed(1)} m, ` +
      'v0 in [-1,1) m/s per axis',
  };
}

/** Boxes in a square pyramid with base B: B^2 + (B-1)^2 + ... + 1 = B (B+1) (2B+1) / 6. */
export function pyramidBoxCount(base: number): number {
  return (base * (base + 1) * (2 * base + 1)) / 6;
}

/**
 * pyramid: a square pyramid of 1 m cubes (half 0.5 m) with a base of B = N cubes a side
 * (B^2 + (B-1)^2 + ... + 1 boxes: 2,870 for B = 20), identity orientation, at rest. Layer l
 * (0 at the bottom) holds (B-l)^2 cubes at a pitch of 1.1 m (0.1 m gaps), shifted half a
 * pitch from the layer below so each cube rests on four, centres at y = 0.5 + l m: every layer
 * touches the one below exactly. One static floor box (top y = 0) reaching 10 m beyond the
 * base; lost = a centre off that footprint. Sleeping on (engine defaults); 2 + 598 steps =
 * 10 s, never cut by --run-budget-s (fullRun): the stack drift (largest displacement of a cube
 * from its start) is taken after 10 s, like the "a stack stands for 10 s". The warm-up
 * is only 2 steps so that the settling and falling asleep (Jolt: after 0.5 s) are inside the
 * timed steps: the median is then the cost of a sleeping pyramid, the mean the cost of the
 * whole 10 s (the issue-18 target compares means, report.ts).
 * Index order: layer, then z, then x.
 */
export function pyramidScene(base: number, seed = 1): SceneSpec {
  checkN(base);
  const n = pyramidBoxCount(base);
  const h = PYRAMID_HALF;
  const pitch = 2 * h + PYRAMID_GAP;
  const margin = 10;
  const side = base * pitch + 2 * margin;
  const positions = new Float64Array(3 * n);
  const half = new Float64Array(3 * n).fill(h);
  const orientations = new Float64Array(4 * n);
  let i = 0;
  for (let l = 0; l < base; l++) {
    const k = base - l;
    const x0 = margin + h + PYRAMID_GAP / 2 + (l * pitch) / 2;
    for (let iz = 0; iz < k; iz++) {
      for (let ix = 0; ix < k; ix++) {
        positions[3 * i] = x0 + ix * pitch;
        positions[3 * i + 1] = h + 2 * h * l;
        positions[3 * i + 2] = x0 + iz * pitch;
        orientations[4 * i + 3] = 1;
        i++;
      }
    }
  }
  const w = WALL / 2;
  const statics: StaticBox[] = [{ name: 'floor', center: [side / 2, -w, side / 2], halfExtents: [side / 2, w, side / 2] }];
  const maxR = Math.sqrt(3) * h;
  return {
    ...baseSpec('pyramid', n, seed),
    radius: maxR,
    maxRadius: maxR,
    sleep: true,
    warmup: 2,
    timed: 598,
    fullRun: true,
    drift: true,
    statics,
    interior: { min: [0, 0, 0], max: [side, 2 * h * base + 10, side] },
    positions,
    velocities: new Float64Array(3 * n),
    boxes: { half, orientations },
    layout: `pyramid: base ${base} (${n} cubes of ${2 * h} m, pitch ${pitch} m, layers touching), ` + `floor ${side.toFixed(1)} m square, sleeping on, 10 s`,
  };
}
