/**
 * The characters scene (issue 18 target: "Characters on terrain: 1,000 walking avatars on a
 * heightfield with mesh buildings at 60 Hz"): N upright capsule characters walk over a hilly
 * heightfield among closed triangle-mesh buildings, inside four static walls, each engine
 * moving them with its own character controller (Tessera: PhysicsWorld.addCharacter; Rapier:
 * KinematicCharacterController; Jolt: CharacterVirtual). Engine-independent plain data like
 * scenes.ts (same units and PRNG).
 *
 * Layout: a TERRAIN_SAMPLES x TERRAIN_SAMPLES heightfield at 1 m spacing centred on the origin
 * (heights terrainHeightAt: three sine waves, 0..~5.5 m, steepest slope about 33 degrees, under
 * every controller's 45 degree limit); a 4 x 4 grid of 8 x 8 m buildings, each a closed box of
 * 12 triangles whose floor is 1 m below the lowest terrain under it and whose roof is 6 m above
 * the highest; walls 1 m thick inside the terrain's edge. Characters: radius 0.3 m, core half
 * height 0.6 m (1.8 m tall), 70 kg, on a jittered grid avoiding the buildings, feet 5 cm above
 * the highest terrain sample of their cell.
 *
 * Walking: every character walks at WALK_SPEED m/s in a direction drawn again every
 * WALK_PERIOD steps (2 s), staggered per character, a pure function of (seed, character,
 * period) so any engine can ask for step k's changes without replaying (walkBatch). No jumps.
 * dt = 1/60 s, sleeping off (a walking character never rests).
 *
 * Quality (characterOverlap): the deepest penetration of a capsule into the terrain (distance of
 * its lower sphere's centre to the plane of the terrain triangle under it, cells split along
 * (ix, iz)-(ix+1, iz+1) as in Tessera and Jolt), into a building or wall (capsule vs box), or
 * into another character. Lost: a capsule whose feet are more than LOST_BELOW m under the
 * terrain, or outside the walls, or not finite.
 */
import { sphereBoxPenetration, type Overlap } from './quality';
import { baseSpec, checkN, mixSeed, mulberry32, type SceneSpec, type StaticBox, type Vec3 } from './scenes';

/** Heightfield samples per side (Jolt needs a multiple of its block size: 128). */
export const TERRAIN_SAMPLES = 128;
/** Sample spacing, m. */
export const TERRAIN_CELL = 1;
/** Character capsule: radius and core half height, m; mass, kg. */
export const CHARACTER_RADIUS = 0.3;
export const CHARACTER_HALF_HEIGHT = 0.6;
export const CHARACTER_MASS = 70;
/** Walking speed, m/s, and steps between changes of direction. */
export const WALK_SPEED = 1.5;
export const WALK_PERIOD = 120;
/** A character whose feet are this far under the terrain has fallen through it (lost), m. */
export const LOST_BELOW = 0.5;

/** Heightfield terrain: heights[iz nx + ix] (m) at x = origin[0] + ix cell, z = origin[1] + iz cell. */
export interface TerrainSpec {
  nx: number;
  nz: number;
  cell: number;
  origin: [number, number];
  heights: Float64Array;
}

/** A static closed triangle mesh: 9 numbers (m) per triangle, counter-clockwise seen from outside (front normal (B - A) x (C - A)). */
export interface MeshSpec {
  name: string;
  triangles: Float64Array;
  /** Its AABB, m (a building is exactly its box: used by the quality check). */
  min: Vec3;
  max: Vec3;
}

/** The walk velocities that change before step `step`: character indices[j] now walks at (vxz[2j], vxz[2j+1]) m/s. */
export interface WalkBatch {
  step: number;
  indices: Uint32Array;
  vxz: Float64Array;
}

/** The characters of a character scene (SceneSpec.characters): upright capsules, positions are their centres. */
export interface CharacterSet {
  radius: number;
  halfHeight: number;
  mass: number;
  /** Commanded horizontal speed, m/s. */
  speed: number;
  walk: (step: number) => WalkBatch;
}

/** The terrain's height at (x, z), m: the analytic surface the samples are taken from. */
export function terrainHeightAt(x: number, z: number): number {
  return 2.4 + 1.6 * Math.sin(x / 9) * Math.cos(z / 11) + 0.9 * Math.sin((x + z) / 17) + 0.4 * Math.cos(x / 5.3 - z / 7.1);
}

function makeTerrain(): TerrainSpec {
  const n = TERRAIN_SAMPLES;
  const half = ((n - 1) * TERRAIN_CELL) / 2;
  const origin: [number, number] = [-half, -half];
  const heights = new Float64Array(n * n);
  for (let iz = 0; iz < n; iz++)
    for (let ix = 0; ix < n; ix++)
      heights[iz * n + ix] = Math.round(terrainHeightAt(origin[0] + ix * TERRAIN_CELL, origin[1] + iz * TERRAIN_CELL) * 1024) / 1024;
  return { nx: n, nz: n, cell: TERRAIN_CELL, origin, heights };
}

/**
 * Height of the terrain triangle under (x, z) and its upward unit normal (the cell split along
 * (ix, iz)-(ix + 1, iz + 1)); null outside the heightfield.
 */
export function terrainSurface(t: TerrainSpec, x: number, z: number): { y: number; n: Vec3 } | null {
  const u = (x - t.origin[0]) / t.cell,
    v = (z - t.origin[1]) / t.cell;
  const ix = Math.floor(u),
    iz = Math.floor(v);
  if (!(ix >= 0 && iz >= 0 && ix < t.nx - 1 && iz < t.nz - 1)) return null;
  const fu = u - ix,
    fv = v - iz;
  const h = (a: number, b: number): number => t.heights[(iz + b) * t.nx + ix + a];
  const h00 = h(0, 0),
    h11 = h(1, 1);
  // Triangle (00, 01, 11) when fv >= fu (the z side of the diagonal), else (00, 11, 10).
  let dhdu: number, dhdv: number;
  if (fv >= fu) {
    dhdv = h(0, 1) - h00;
    dhdu = h11 - h(0, 1);
  } else {
    dhdu = h(1, 0) - h00;
    dhdv = h11 - h(1, 0);
  }
  const y = h00 + dhdu * fu + dhdv * fv;
  const gx = dhdu / t.cell,
    gz = dhdv / t.cell;
  const len = Math.hypot(gx, 1, gz);
  return { y, n: [-gx / len, 1 / len, -gz / len] };
}

/** The 12 triangles of the closed box [min, max], counter-clockwise seen from outside. */
export function boxTriangles(min: Vec3, max: Vec3): Float64Array {
  const c = [(min[0] + max[0]) / 2, (min[1] + max[1]) / 2, (min[2] + max[2]) / 2];
  const corner = (i: number): Vec3 => [i & 1 ? max[0] : min[0], i & 2 ? max[1] : min[1], i & 4 ? max[2] : min[2]];
  // Faces as corner quads in cyclic order; each is turned to face outward below.
  const faces = [
    [0, 2, 6, 4],
    [1, 3, 7, 5],
    [0, 1, 5, 4],
    [2, 3, 7, 6],
    [0, 1, 3, 2],
    [4, 5, 7, 6],
  ];
  const out: number[] = [];
  for (const f of faces) {
    let q = f.map(corner);
    const e1 = [q[1][0] - q[0][0], q[1][1] - q[0][1], q[1][2] - q[0][2]];
    const e2 = [q[2][0] - q[0][0], q[2][1] - q[0][1], q[2][2] - q[0][2]];
    const nrm = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
    const out0 = [q[0][0] - c[0], q[0][1] - c[1], q[0][2] - c[2]];
    if (nrm[0] * out0[0] + nrm[1] * out0[1] + nrm[2] * out0[2] < 0) q = q.reverse();
    out.push(...q[0], ...q[1], ...q[2], ...q[0], ...q[2], ...q[3]);
  }
  return Float64Array.from(out);
}

/** Building centres (x, z), m, and their half footprint. */
const BUILDING_XZ = [-45, -15, 15, 45];
const BUILDING_HALF = 4;

function makeBuildings(t: TerrainSpec): MeshSpec[] {
  const out: MeshSpec[] = [];
  for (const bz of BUILDING_XZ)
    for (const bx of BUILDING_XZ) {
      let lo = Infinity,
        hi = -Infinity;
      for (let z = bz - BUILDING_HALF; z <= bz + BUILDING_HALF; z += 0.5)
        for (let x = bx - BUILDING_HALF; x <= bx + BUILDING_HALF; x += 0.5) {
          const y = terrainHeightAt(x, z);
          lo = Math.min(lo, y);
          hi = Math.max(hi, y);
        }
      void t;
      const min: Vec3 = [bx - BUILDING_HALF, Math.floor(lo) - 1, bz - BUILDING_HALF];
      const max: Vec3 = [bx + BUILDING_HALF, Math.ceil(hi) + 6, bz + BUILDING_HALF];
      out.push({ name: `building ${out.length}`, triangles: boxTriangles(min, max), min, max });
    }
  return out;
}

/** The walk direction of character i in period k: a unit vector scaled to WALK_SPEED. */
function walkVelocity(seed: number, i: number, k: number): [number, number] {
  const a = 2 * Math.PI * mulberry32(mixSeed(mixSeed(seed, 0xc4a7), mixSeed(i, k)))();
  return [WALK_SPEED * Math.cos(a), WALK_SPEED * Math.sin(a)];
}

/**
 * characters: N walking characters on the terrain among the buildings (see the module comment).
 * Throws for N < 1 or more characters than the free ground holds.
 */
export function charactersScene(n: number, seed = 1): SceneSpec {
  checkN(n);
  const terrain = makeTerrain();
  const meshes = makeBuildings(terrain);
  const half = ((TERRAIN_SAMPLES - 1) * TERRAIN_CELL) / 2;
  const inner = half - 2; // inner faces of the walls
  const wallH = 30;
  const statics: StaticBox[] = [
    { name: 'wall -x', center: [-inner - 0.5, wallH / 2 - 5, 0], halfExtents: [0.5, wallH / 2, inner + 1] },
    { name: 'wall +x', center: [inner + 0.5, wallH / 2 - 5, 0], halfExtents: [0.5, wallH / 2, inner + 1] },
    { name: 'wall -z', center: [0, wallH / 2 - 5, -inner - 0.5], halfExtents: [inner + 1, wallH / 2, 0.5] },
    { name: 'wall +z', center: [0, wallH / 2 - 5, inner + 0.5], halfExtents: [inner + 1, wallH / 2, 0.5] },
  ];
  // Spawn cells: a grid over the inside (1.6 m pitch), free of buildings (1 m clearance), shuffled.
  const pitch = 1.6;
  const spots: Array<[number, number]> = [];
  for (let z = -inner + 1.5; z <= inner - 1.5; z += pitch)
    for (let x = -inner + 1.5; x <= inner - 1.5; x += pitch) {
      const inBuilding = meshes.some((m) => x > m.min[0] - 1 && x < m.max[0] + 1 && z > m.min[2] - 1 && z < m.max[2] + 1);
      if (!inBuilding) spots.push([x, z]);
    }
  if (n > spots.length) throw new Error(`characters: at most ${spots.length} characters fit, asked for ${n}`);
  const rng = mulberry32(mixSeed(seed, 0xc4a5));
  for (let k = spots.length - 1; k > 0; k--) {
    const j = Math.floor(rng() * (k + 1));
    [spots[k], spots[j]] = [spots[j], spots[k]];
  }
  const positions = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const [x0, z0] = spots[i];
    const x = x0 + (rng() - 0.5) * 0.4,
      z = z0 + (rng() - 0.5) * 0.4;
    const u = Math.floor((x - terrain.origin[0]) / terrain.cell),
      v = Math.floor((z - terrain.origin[1]) / terrain.cell);
    let top = -Infinity;
    for (let b = 0; b <= 1; b++) for (let a = 0; a <= 1; a++) top = Math.max(top, terrain.heights[(v + b) * terrain.nx + u + a]);
    positions[3 * i] = x;
    positions[3 * i + 1] = top + 0.05 + CHARACTER_RADIUS + CHARACTER_HALF_HEIGHT;
    positions[3 * i + 2] = z;
  }
  const offsets = new Uint32Array(n);
  for (let i = 0; i < n; i++) offsets[i] = (i * 37) % WALK_PERIOD;
  const walk = (step: number): WalkBatch => {
    const idx: number[] = [];
    const vxz: number[] = [];
    for (let i = 0; i < n; i++) {
      if (step !== 0 && (step + offsets[i]) % WALK_PERIOD !== 0) continue;
      idx.push(i);
      vxz.push(...walkVelocity(seed, i, Math.floor((step + offsets[i]) / WALK_PERIOD)));
    }
    return { step, indices: Uint32Array.from(idx), vxz: Float64Array.from(vxz) };
  };
  const bound = CHARACTER_RADIUS + CHARACTER_HALF_HEIGHT;
  return {
    ...baseSpec('characters', n, seed),
    radius: bound,
    maxRadius: bound,
    sleep: false,
    density: CHARACTER_MASS / ((4 / 3) * Math.PI * CHARACTER_RADIUS ** 3 + 2 * Math.PI * CHARACTER_RADIUS ** 2 * CHARACTER_HALF_HEIGHT),
    sphereMass: CHARACTER_MASS,
    friction: 0.5,
    restitution: 0,
    warmup: 60,
    timed: 600,
    statics,
    interior: { min: [-inner, -10, -inner], max: [inner, 40, inner] },
    positions,
    velocities: new Float64Array(3 * n),
    layout:
      `${n} characters (capsules r ${CHARACTER_RADIUS} m, core half height ${CHARACTER_HALF_HEIGHT} m, ${CHARACTER_MASS} kg) walking at ${WALK_SPEED} m/s, ` +
      `new direction every ${WALK_PERIOD} steps, on a ${TERRAIN_SAMPLES} x ${TERRAIN_SAMPLES} heightfield (1 m cells, hills 0..5.5 m) with ` +
      `${meshes.length} closed mesh buildings (8 x 8 m) inside 4 walls, dt 1/60 s`,
    terrain,
    meshes,
    characters: { radius: CHARACTER_RADIUS, halfHeight: CHARACTER_HALF_HEIGHT, mass: CHARACTER_MASS, speed: WALK_SPEED, walk },
  };
}

/** Penetration of a vertical capsule (centre c, core half height h, radius r) into the box of centre `bc` and half extents `bh`, m (<= 0: apart): its core's point nearest the box in y as a sphere. */
function capsuleBoxDepth(c: ArrayLike<number>, h: number, r: number, bc: readonly number[], bh: readonly number[]): number {
  const y = Math.min(Math.max(bc[1], c[1] - h), c[1] + h);
  return sphereBoxPenetration(c[0], y, c[2], r, bc, bh);
}

/**
 * Worst overlap of the characters at centres `p` (xyz interleaved): against the terrain, the
 * buildings and walls, and each other (see the module comment). Non-finite centres are skipped.
 */
export function characterOverlap(scene: SceneSpec, p: Float64Array): Overlap {
  const ch = scene.characters,
    t = scene.terrain;
  if (!ch || !t) throw new Error(`scene ${scene.kind} has no characters`);
  const r = ch.radius,
    h = ch.halfHeight,
    n = scene.n;
  let best: Overlap = { depth: 0, kind: 'none' };
  const boxes: Array<{ c: readonly number[]; h: readonly number[]; kind: Overlap['kind'] }> = [
    ...(scene.meshes ?? []).map((m) => ({
      c: m.min.map((v, a) => (v + m.max[a]) / 2),
      h: m.min.map((v, a) => (m.max[a] - v) / 2),
      kind: 'character-mesh' as const,
    })),
    ...scene.statics.map((s) => ({ c: s.center, h: s.halfExtents, kind: 'character-static' as const })),
  ];
  const ok = (i: number): boolean => Number.isFinite(p[3 * i]) && Number.isFinite(p[3 * i + 1]) && Number.isFinite(p[3 * i + 2]);
  const c = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    if (!ok(i)) continue;
    c[0] = p[3 * i];
    c[1] = p[3 * i + 1];
    c[2] = p[3 * i + 2];
    const s = terrainSurface(t, c[0], c[2]);
    if (s) {
      // The lower sphere against the plane of the triangle under the centre.
      const foot = c[1] - h;
      const depth = r - (foot - s.y) * s.n[1];
      if (depth > best.depth) best = { depth, kind: 'character-terrain' };
    }
    for (const b of boxes) {
      const depth = capsuleBoxDepth(c, h, r, b.c, b.h);
      if (depth > best.depth) best = { depth, kind: b.kind };
    }
  }
  // Character pairs: a grid of 2 m cells in x, z.
  const cellOf = (v: number): number => Math.floor(v / 2);
  const grid = new Map<number, number[]>();
  const key = (a: number, b: number): number => (a + 1000) * 4096 + (b + 1000);
  for (let i = 0; i < n; i++) {
    if (!ok(i)) continue;
    const k = key(cellOf(p[3 * i]), cellOf(p[3 * i + 2]));
    const list = grid.get(k);
    if (list) list.push(i);
    else grid.set(k, [i]);
  }
  for (let i = 0; i < n; i++) {
    if (!ok(i)) continue;
    const gx = cellOf(p[3 * i]),
      gz = cellOf(p[3 * i + 2]);
    for (let dz = -1; dz <= 1; dz++)
      for (let dx = -1; dx <= 1; dx++)
        for (const j of grid.get(key(gx + dx, gz + dz)) ?? []) {
          if (j <= i) continue;
          // Two vertical segments: horizontal distance where their y ranges overlap, else the end gap.
          const dy = Math.max(0, Math.abs(p[3 * i + 1] - p[3 * j + 1]) - 2 * h);
          const d = Math.hypot(p[3 * i] - p[3 * j], dy, p[3 * i + 2] - p[3 * j + 2]);
          const depth = 2 * r - d;
          if (depth > best.depth) best = { depth, kind: 'character-character' };
        }
  }
  return best;
}

/** Characters lost: not finite, outside the walls, or with feet more than LOST_BELOW under the terrain. */
export function charactersLost(scene: SceneSpec, p: Float64Array): number {
  const ch = scene.characters,
    t = scene.terrain;
  if (!ch || !t) throw new Error(`scene ${scene.kind} has no characters`);
  const { min, max } = scene.interior;
  let lost = 0;
  for (let i = 0; i < scene.n; i++) {
    const x = p[3 * i],
      y = p[3 * i + 1],
      z = p[3 * i + 2];
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) {
      lost++;
      continue;
    }
    if (x < min[0] || x > max[0] || z < min[2] || z > max[2]) {
      lost++;
      continue;
    }
    const s = terrainSurface(t, x, z);
    if (!s || y - ch.halfHeight - ch.radius < s.y - LOST_BELOW) lost++;
  }
  return lost;
}

/** Mean horizontal speed of the characters over their commanded speed (1: every one walks freely; 0: all stuck). */
export function walkRatio(scene: SceneSpec, v: Float64Array): number {
  const ch = scene.characters;
  if (!ch || scene.n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < scene.n; i++) {
    const s = Math.hypot(v[3 * i], v[3 * i + 2]);
    if (Number.isFinite(s)) sum += s;
  }
  return sum / scene.n / ch.speed;
}
