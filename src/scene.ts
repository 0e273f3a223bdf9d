/**
 * Scene files: the world an operator runs, as JSON (format "tessera.scene.v1"). Every length is
 * in metres, every speed in m/s; positions are [x, y, z] with y up.
 *
 *   {
 *     "format": "tessera.scene.v1",
 *     "world":      { "capacity": 8192, "tickRate": 20, "maxBodyRadius": 1, "sleep": true,
 *                     "spawnLimit": 3, "spawnRange": 10,        spheres a player (account or guest) may have out at once, and how far from its avatar
 *                     "spawnLingerTicks": 0,                   ticks its spheres stay after its last session left (default 0)
 *                     "contactsPerBody": 8 },                  contact room per body slot, 1..64 (default 8; 16 with boxes,
 *                                                               hulls, capsules or compounds): a crowd that outgrows it drops
 *                                                               contacts (tessera_physics_overflow_ticks_total{kind="contacts"})
 *     "partition":  { "xCuts": [0], "zCuts": [0] },          shard borders (optional: one shard)
 *     "spawnPoints": [[0, 1.2, 0], ...],                      where avatars appear (at least one)
 *     "statics": [                                           fixed geometry
 *       { "plane": { "normal": [0, 1, 0], "offset": 0 } },
 *       { "box":   { "center": [x, y, z], "half": [hx, hy, hz] } },
 *       { "stairs": { "from": [x, y, z], "direction": "+x" | "-x" | "+z" | "-z",
 *                     "steps": 8, "rise": 0.2, "run": 0.5, "width": 3 } },  a ramp a character can walk up
 *       { "heightmap": { "file": "terrain.png", "cellSize": [1, 1], "origin": [x, z],
 *                        "baseHeight": 0, "heightRange": 10, "friction": 0.5 } },  terrain (src/assets/heightmap.ts)
 *       { "mesh": { "file": "meshes/house.glb", "friction": 0.5 } }                  a static mesh (src/assets/gltf.ts)
 *     ],
 *     "piles":    [ { "center": [x, y, z], "layers": 4, "radius": 0.3 } ],   spheres stacked in a pyramid
 *     "crates":   [ { "center": [x, y, z], "half": [0.4, 0.4, 0.4], "base": 4, "layers": 4,
 *                     "density": 400, "friction": 0.6 } ],   dynamic rotating boxes resting in a wall
 *                     along x: row k (from the bottom, at y) holds max(1, base - k) boxes
 *                     (base 1: a tower of `layers`; layers = base: a pyramid)
 *     "hulls":    [ { "center": [x, y, z], "vertices": [[x, y, z], ...], "density": 500, "friction": 0.5,
 *                     "orientation": [0, 0, 0, 1] } ],   dynamic convex hulls (4 to 64 points in the hull's own
 *                     frame, placed at center; src/physics/hull.ts): hulls with the same vertices share one shape
 *     "capsules": [ { "center": [x, y, z], "radius": 0.2, "halfHeight": 0.4, "axis": [1, 0, 0],
 *                     "density": 500, "friction": 0.5 } ],   dynamic capsules that tumble (rotating,
 *                     assembly/physics/capsule-contacts.ts): the core of half length halfHeight lies
 *                     along `axis` (default [0, 1, 0], upright); radius + halfHeight <= maxBodyRadius
 *     "compounds": [ { "center": [x, y, z], "orientation": [0, 0, 0, 1], "friction": 0.5,
 *                     "children": [ { "shape": "sphere", "radius": 0.2, "position": [x, y, z] },
 *                                   { "shape": "box", "half": [hx, hy, hz], "orientation": [x, y, z, w] },
 *                                   { "shape": "capsule", "radius": 0.1, "halfHeight": 0.3 },
 *                                   { "shape": "hull", "vertices": [[x, y, z], ...] } ] } ],
 *                     dynamic compound bodies (src/physics/compound.ts): 2 to 16 children at poses in
 *                     the compound's own frame (placed at center), each with "density" (kg/m^3,
 *                     default 500); compounds with the same children share one shape, hull
 *                     children with the same vertices one hull shape
 *     "ballPits": [ { "min": [x, z], "max": [x, z], "count": 300, "radius": 0.25, "height": 2, "wall": 0.6 } ],
 *     "sensors":  [ { "name": "door", "box": { "center": [x, y, z], "half": [hx, hy, hz] } },
 *                   { "name": "pool", "sphere": { "center": [x, y, z], "radius": 2 } } ]
 *                   trigger zones (src/physics/sensors.ts): push nothing; every moving body entering or
 *                   leaving one gives a '_z' "begin|end name slot:gen" event on the world stream.
 *                   Names: 1..64 of A-Z a-z 0-9 _ . - , unique ("triggers" is accepted as another key)
 *     "bodies":   [ { "name": "door", "box": { "center": [x, y, z], "half": [0.4, 0.85, 0.03],
 *                     "density": 500, "friction": 0.5 } },            named dynamic bodies (unrotated)
 *                   { "name": "ball", "sphere": { "center": [x, y, z], "radius": 0.2, "density": 1000 } } ],
 *     "joints":   [ { "kind": "hinge", "body": "door", "anchor": [x, y, z], "axis": [0, 1, 0],
 *                     "limits": [-1.5, 1.5], "motor": { "speed": 1, "maxTorque": 50, "targetAngle": 1.2 } },
 *                   { "kind": "distance", "body": "seat", "at": [x, y, z], "anchor": [x, y, z],
 *                     "maxLength": 2, "minLength": 0 } ]     joints holding a named body to the world
 *     "scripts":  [ { "body": "door", "file": "scripts/door.js" } ]   object scripts on named bodies
 *                   (issue 21; the file relative to the scene file, or "source" inline), attached by the
 *                   world at tick 0 when the world runs scripts (WorldSetup.scripts)
 *   }
 *
 * A ball pit is a box-walled pen filled with spheres dropped on a grid; placed across a shard
 * border, its balls hand off between shards all the time. Building a scene is deterministic
 * (same file, same world, same hash).
 *
 * Assets (heightmaps, meshes) are files named relative to the scene file; loadSceneWithAssets
 * reads them (a .glb reads asynchronously), quantises them (src/assets/geometry.ts) and keeps
 * them with the scene; the world gets exactly the room their blocks need (geometryWords), and
 * the world hash covers their quantised geometry. A bad or oversized asset is refused with a
 * SceneError naming the scene field, the file, the AssetError code and the reason.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CompoundShapeRef, HullShapeRef, Vec3 } from './physics/world';
import { buildCompound, CompoundError, type CompoundChild } from './physics/compound';
import { buildHull, HullError, type HullShape } from './physics/hull';
import { AssetError, encodeGeometry, type GeometryBlock } from './assets/geometry';
import { loadHeightmap } from './assets/heightmap';
import { loadGlbMesh } from './assets/gltf';
import type { WorldSetup } from './sim/main-sim';
import type { ShardedWorld } from './physics/sharded';
import type { SensorOptions } from './physics/sensors';
import { ZONE_NAME } from './sim/event-bodies';

/** A parsed scene file. */
export interface SceneFile {
  format: 'tessera.scene.v1';
  world: {
    capacity: number;
    tickRate: number;
    maxBodyRadius?: number;
    sleep?: boolean;
    spawnLimit?: number;
    spawnRange?: number;
    spawnLingerTicks?: number;
    contactsPerBody?: number;
  };
  partition?: { xCuts: number[]; zCuts: number[] };
  spawnPoints: Vec3[];
  statics?: Array<
    | { plane: { normal: Vec3; offset: number } }
    | { box: { center: Vec3; half: Vec3 } }
    | { stairs: Stairs }
    | { heightmap: HeightmapStatic }
    | { mesh: MeshStatic }
  >;
  piles?: Array<{ center: Vec3; layers: number; radius: number }>;
  crates?: Crates[];
  hulls?: SceneHull[];
  capsules?: SceneCapsule[];
  compounds?: SceneCompound[];
  ballPits?: Array<{ min: [number, number]; max: [number, number]; count: number; radius: number; height?: number; wall?: number }>;
  /** Trigger zones (see the module comment); "triggers" in a file is read into here. */
  sensors?: SceneSensor[];
  bodies?: SceneBody[];
  joints?: SceneJoint[];
  /** Object scripts on named bodies (issue 21): run when the world has WorldSetup.scripts. */
  scripts?: SceneScript[];
}

/**
 * A script on a named body: `file` (a .js file relative to the scene file, read by loadScene /
 * loadSceneWithAssets into `source`) or `source` inline. Attached at tick 0 by the world (admin
 * rights, no master), version 1.
 */
export interface SceneScript {
  body: string;
  file?: string;
  source?: string;
}

/** A dynamic convex hull of a scene: its points (m, its own frame) placed at `center`; density kg/m^3 (default 500), friction (default 0.5). */
export interface SceneHull {
  center: Vec3;
  vertices: Vec3[];
  density?: number;
  friction?: number;
  orientation?: [number, number, number, number];
}

/** A child of a scene compound (see the module comment): a CompoundChild whose hull is given by its vertices. */
export type SceneCompoundChild = { position?: Vec3; orientation?: [number, number, number, number]; density?: number } & (
  | { shape: 'sphere'; radius: number }
  | { shape: 'box'; half: Vec3 }
  | { shape: 'capsule'; radius: number; halfHeight: number }
  | { shape: 'hull'; vertices: Vec3[] }
);

/** A dynamic compound body of a scene: its children (in its own frame) placed at `center`; friction (default 0.5). */
export interface SceneCompound {
  center: Vec3;
  children: SceneCompoundChild[];
  orientation?: [number, number, number, number];
  friction?: number;
}

/** Default density of a scene compound's children, kg/m^3. */
const COMPOUND_DENSITY = 500;

/** A scene compound's children as CompoundChild, each hull child's shape from `hull` (its vertices -> a stored or built hull). */
function compoundChildren(c: SceneCompound, hull: (vertices: Vec3[]) => HullShapeRef): CompoundChild[] {
  return c.children.map((ch) => {
    const base = { position: ch.position, orientation: ch.orientation, density: ch.density ?? COMPOUND_DENSITY };
    if (ch.shape === 'hull') return { ...base, shape: 'hull', hull: hull(ch.vertices) };
    return { ...ch, ...base } as CompoundChild;
  });
}

/** A dynamic rotating capsule (see the module comment); density kg/m^3 (default 500), friction (default 0.5). */
export interface SceneCapsule {
  center: Vec3;
  radius: number;
  halfHeight: number;
  /** Direction of the core (any length but zero). Default [0, 1, 0]. */
  axis?: Vec3;
  density?: number;
  friction?: number;
}

/** The unit quaternion [x, y, z, w] turning +y onto the direction `a` (not zero): the shortest arc, a half turn about x for -y. */
export function quatFromYTo(a: Vec3): [number, number, number, number] {
  const l = Math.hypot(a[0], a[1], a[2]);
  const x = a[0] / l,
    y = a[1] / l,
    z = a[2] / l;
  if (y < -1 + 1e-9) return [1, 0, 0, 0];
  // q = (y x a, 1 + y . a) normalized, y the unit +y: (z, 0, -x, 1 + y)
  const n = Math.hypot(z, x, 1 + y);
  return [z / n, 0, -x / n, (1 + y) / n];
}

/** A named dynamic body for joints: a box (unrotated) or a sphere; density kg/m^3 (default 500), friction (default 0.5). */
export interface SceneBody {
  name: string;
  box?: { center: Vec3; half: Vec3; density?: number; friction?: number };
  sphere?: { center: Vec3; radius: number; density?: number; friction?: number };
}

/** A joint holding a named body to the world (see the module comment). */
export interface SceneJoint {
  kind: 'hinge' | 'ball' | 'fixed' | 'distance';
  body: string;
  /** World point the joint holds, m. */
  anchor: Vec3;
  /** Distance joint: the body's point, world coordinates when built (default its centre). */
  at?: Vec3;
  /** Hinge axis (world direction). */
  axis?: Vec3;
  /** Hinge limits [lower, upper], rad. */
  limits?: [number, number];
  /** Hinge motor: speed rad/s, maxTorque N m, optional targetAngle rad. */
  motor?: { speed: number; maxTorque: number; targetAngle?: number };
  minLength?: number;
  maxLength?: number;
}

/** A named trigger zone of a scene: an axis-aligned box or a sphere (metres). */
export type SceneSensor = { name: string } & ({ box: { center: Vec3; half: Vec3 } } | { sphere: { center: Vec3; radius: number } });

/**
 * A wall of dynamic rotating boxes (crates) standing on y = center[1], centred on x = center[0]:
 * row k from the bottom holds max(1, base - k) boxes side by side along x, `layers` rows.
 */
export interface Crates {
  center: Vec3;
  /** Half extents, m (0.05 to 4 each). */
  half: Vec3;
  /** Boxes in the bottom row (1 to 50). */
  base: number;
  /** Rows (1 to 50; default base). */
  layers?: number;
  /** kg/m^3 (10 to 20,000; default 400, wood). */
  density?: number;
  /** Default 0.6. */
  friction?: number;
}

/** Terrain from a greyscale PNG (src/assets/heightmap.ts); `file` relative to the scene file. */
export interface HeightmapStatic {
  file: string;
  cellSize: [number, number];
  origin: [number, number];
  baseHeight: number;
  heightRange: number;
  friction?: number;
}

/** A static triangle mesh from a glTF 2.0 binary (src/assets/gltf.ts); `file` relative to the scene file. */
export interface MeshStatic {
  file: string;
  friction?: number;
}

/**
 * The encoded geometry of a scene's assets (loadSceneWithAssets), in the order of their
 * statics; not part of the JSON.
 */
const SCENE_GEOMETRY = new WeakMap<SceneFile, GeometryBlock[]>();

/** A flight of steps as a ramp (boxes, since boxes are axis-aligned). */
export interface Stairs {
  from: Vec3;
  direction: '+x' | '-x' | '+z' | '-z';
  steps: number;
  rise: number;
  run: number;
  width: number;
}

/** A scene that cannot be used; `path` says where in the file (e.g. "piles[0].layers"). */
export class SceneError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`scene ${path}: ${message}`);
    this.name = 'SceneError';
  }
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
function vec(x: unknown, path: string, n = 3): number[] {
  if (!Array.isArray(x) || x.length !== n || !x.every(isNum)) throw new SceneError(path, `must be [${n} numbers]`);
  return x as number[];
}
function num(x: unknown, path: string, min: number, max: number, int = false): number {
  if (!isNum(x) || x < min || x > max || (int && !Number.isInteger(x)))
    throw new SceneError(path, `must be ${int ? 'an integer' : 'a number'} in ${min}..${max}`);
  return x;
}

/**
 * Checks a scene object (parsed JSON) and returns it typed. Throws SceneError naming the first
 * field that is wrong and what it must be.
 */
export function parseScene(raw: unknown): SceneFile {
  if (typeof raw !== 'object' || raw === null) throw new SceneError('(root)', 'must be a JSON object');
  const s = raw as Record<string, unknown>;
  if (s.format !== 'tessera.scene.v1') throw new SceneError('format', 'must be "tessera.scene.v1"');
  const w = s.world as Record<string, unknown> | undefined;
  if (!w || typeof w !== 'object') throw new SceneError('world', 'must be an object {capacity, tickRate}');
  num(w.capacity, 'world.capacity', 16, 1_000_000, true);
  num(w.tickRate, 'world.tickRate', 1, 240, true);
  if (w.maxBodyRadius !== undefined) num(w.maxBodyRadius, 'world.maxBodyRadius', 0.05, 10);
  if (w.spawnLimit !== undefined) num(w.spawnLimit, 'world.spawnLimit', 0, 1000, true);
  if (w.spawnRange !== undefined) num(w.spawnRange, 'world.spawnRange', 0, 1000);
  if (w.spawnLingerTicks !== undefined) num(w.spawnLingerTicks, 'world.spawnLingerTicks', 0, 10_000_000, true);
  if (w.contactsPerBody !== undefined) num(w.contactsPerBody, 'world.contactsPerBody', 1, 64, true);
  if (s.partition !== undefined) {
    const p = s.partition as Record<string, unknown>;
    for (const k of ['xCuts', 'zCuts']) {
      const cuts = p?.[k];
      if (!Array.isArray(cuts) || !cuts.every(isNum)) throw new SceneError(`partition.${k}`, 'must be an array of numbers');
      for (let i = 1; i < cuts.length; i++) if (!(cuts[i] > cuts[i - 1])) throw new SceneError(`partition.${k}`, 'must increase strictly');
    }
  }
  if (!Array.isArray(s.spawnPoints) || s.spawnPoints.length === 0) throw new SceneError('spawnPoints', 'must list at least one [x, y, z]');
  s.spawnPoints.forEach((p, i) => {
    vec(p, `spawnPoints[${i}]`);
  });
  ((s.statics ?? []) as unknown[]).forEach((st, i) => {
    const o = st as Record<string, Record<string, unknown>>;
    const at = `statics[${i}]`;
    if (o?.plane) {
      vec(o.plane.normal, `${at}.plane.normal`);
      num(o.plane.offset, `${at}.plane.offset`, -1e6, 1e6);
    } else if (o?.box) {
      vec(o.box.center, `${at}.box.center`);
      vec(o.box.half, `${at}.box.half`).forEach((h, k) => {
        num(h, `${at}.box.half[${k}]`, 0.01, 1e4);
      });
    } else if (o?.stairs) {
      vec(o.stairs.from, `${at}.stairs.from`);
      if (!['+x', '-x', '+z', '-z'].includes(o.stairs.direction as string)) throw new SceneError(`${at}.stairs.direction`, 'must be "+x", "-x", "+z" or "-z"');
      num(o.stairs.steps, `${at}.stairs.steps`, 1, 200, true);
      num(o.stairs.rise, `${at}.stairs.rise`, 0.01, 1);
      num(o.stairs.run, `${at}.stairs.run`, 0.05, 10);
      num(o.stairs.width, `${at}.stairs.width`, 0.1, 100);
    } else if (o?.heightmap) {
      const h = o.heightmap;
      if (typeof h.file !== 'string' || h.file === '') throw new SceneError(`${at}.heightmap.file`, 'must name a PNG file (relative to the scene file)');
      vec(h.cellSize, `${at}.heightmap.cellSize`, 2).forEach((c, k) => {
        num(c, `${at}.heightmap.cellSize[${k}]`, 0.01, 1024);
      });
      vec(h.origin, `${at}.heightmap.origin`, 2);
      num(h.baseHeight, `${at}.heightmap.baseHeight`, -8000, 8000);
      num(h.heightRange, `${at}.heightmap.heightRange`, 0, 8000);
      if (h.friction !== undefined) num(h.friction, `${at}.heightmap.friction`, 0, 10);
    } else if (o?.mesh) {
      if (typeof o.mesh.file !== 'string' || o.mesh.file === '') throw new SceneError(`${at}.mesh.file`, 'must name a .glb file (relative to the scene file)');
      if (o.mesh.friction !== undefined) num(o.mesh.friction, `${at}.mesh.friction`, 0, 10);
    } else throw new SceneError(at, 'must be {plane}, {box}, {stairs}, {heightmap} or {mesh}');
  });
  ((s.piles ?? []) as Array<Record<string, unknown>>).forEach((p, i) => {
    vec(p?.center, `piles[${i}].center`);
    num(p.layers, `piles[${i}].layers`, 1, 30, true);
    num(p.radius, `piles[${i}].radius`, 0.05, 4);
  });
  ((s.crates ?? []) as Array<Record<string, unknown>>).forEach((c, i) => {
    vec(c?.center, `crates[${i}].center`);
    vec(c.half, `crates[${i}].half`).forEach((h, k) => {
      num(h, `crates[${i}].half[${k}]`, 0.05, 4);
    });
    num(c.base, `crates[${i}].base`, 1, 50, true);
    if (c.layers !== undefined) num(c.layers, `crates[${i}].layers`, 1, 50, true);
    if (c.density !== undefined) num(c.density, `crates[${i}].density`, 10, 20_000);
    if (c.friction !== undefined) num(c.friction, `crates[${i}].friction`, 0, 2);
    const [hx, hy, hz] = c.half as number[],
      maxR = ((s.world as Record<string, unknown> | undefined)?.maxBodyRadius as number | undefined) ?? 1;
    if (Math.hypot(hx, hy, hz) > maxR)
      throw new SceneError(
        `crates[${i}].half`,
        `a box this size reaches ${Math.hypot(hx, hy, hz).toFixed(3)} m from its centre: over world.maxBodyRadius (${maxR} m)`,
      );
  });
  ((s.hulls ?? []) as Array<Record<string, unknown>>).forEach((h, i) => {
    vec(h?.center, `hulls[${i}].center`);
    if (!Array.isArray(h.vertices)) throw new SceneError(`hulls[${i}].vertices`, 'must be an array of 4 to 64 [x, y, z]');
    (h.vertices as unknown[]).forEach((v, k) => {
      vec(v, `hulls[${i}].vertices[${k}]`);
    });
    if (h.density !== undefined) num(h.density, `hulls[${i}].density`, 10, 20_000);
    if (h.friction !== undefined) num(h.friction, `hulls[${i}].friction`, 0, 2);
    if (h.orientation !== undefined) vec(h.orientation, `hulls[${i}].orientation`, 4);
    let shape: HullShape;
    try {
      shape = buildHull(h.vertices as Vec3[]);
    } catch (e) {
      if (e instanceof HullError) throw new SceneError(`hulls[${i}].vertices`, e.message);
      throw e;
    }
    const maxR = ((s.world as Record<string, unknown> | undefined)?.maxBodyRadius as number | undefined) ?? 1;
    if (shape.boundingRadius > maxR)
      throw new SceneError(
        `hulls[${i}].vertices`,
        `the hull reaches ${shape.boundingRadius.toFixed(3)} m from its centroid: over world.maxBodyRadius (${maxR} m)`,
      );
  });
  ((s.compounds ?? []) as Array<Record<string, unknown>>).forEach((c, i) => {
    const at = `compounds[${i}]`;
    vec(c?.center, `${at}.center`);
    if (c.orientation !== undefined) vec(c.orientation, `${at}.orientation`, 4);
    if (c.friction !== undefined) num(c.friction, `${at}.friction`, 0, 2);
    if (!Array.isArray(c.children)) throw new SceneError(`${at}.children`, 'must be an array of 2 to 16 child shapes');
    (c.children as Array<Record<string, unknown>>).forEach((ch, k) => {
      const cat = `${at}.children[${k}]`;
      if (typeof ch !== 'object' || ch === null) throw new SceneError(cat, 'must be an object');
      if (ch.position !== undefined) vec(ch.position, `${cat}.position`);
      if (ch.orientation !== undefined) vec(ch.orientation, `${cat}.orientation`, 4);
      if (ch.density !== undefined) num(ch.density, `${cat}.density`, 10, 20_000);
      if (ch.shape === 'hull') {
        if (!Array.isArray(ch.vertices)) throw new SceneError(`${cat}.vertices`, 'must be an array of 4 to 64 [x, y, z]');
        (ch.vertices as unknown[]).forEach((v, m) => {
          vec(v, `${cat}.vertices[${m}]`);
        });
      }
    });
    let bound: number;
    try {
      const shape = buildCompound(compoundChildren(c as unknown as SceneCompound, (v) => ({ block: 0, shape: buildHull(v) })));
      bound = shape.boundingRadius;
    } catch (e) {
      if (e instanceof CompoundError || e instanceof HullError) throw new SceneError(`${at}.children`, e.message);
      throw e;
    }
    const maxR = ((s.world as Record<string, unknown> | undefined)?.maxBodyRadius as number | undefined) ?? 1;
    if (bound > maxR)
      throw new SceneError(`${at}.children`, `the compound reaches ${bound.toFixed(3)} m from its centre of mass: over world.maxBodyRadius (${maxR} m)`);
  });
  ((s.capsules ?? []) as Array<Record<string, unknown>>).forEach((c, i) => {
    const at = `capsules[${i}]`;
    vec(c?.center, `${at}.center`);
    const r = num(c.radius, `${at}.radius`, 0.02, 10),
      h = num(c.halfHeight, `${at}.halfHeight`, 0.01, 10);
    const maxR = ((s.world as Record<string, unknown> | undefined)?.maxBodyRadius as number | undefined) ?? 1;
    if (r + h > maxR) throw new SceneError(at, `reaches ${(r + h).toFixed(3)} m from its centre (radius + halfHeight): over world.maxBodyRadius (${maxR} m)`);
    if (c.axis !== undefined) {
      const a = vec(c.axis, `${at}.axis`);
      if (Math.hypot(a[0], a[1], a[2]) < 1e-3) throw new SceneError(`${at}.axis`, 'must not be zero');
    }
    if (c.density !== undefined) num(c.density, `${at}.density`, 10, 20_000);
    if (c.friction !== undefined) num(c.friction, `${at}.friction`, 0, 2);
  });
  ((s.ballPits ?? []) as Array<Record<string, unknown>>).forEach((b, i) => {
    vec(b?.min, `ballPits[${i}].min`, 2);
    vec(b.max, `ballPits[${i}].max`, 2);
    num(b.count, `ballPits[${i}].count`, 1, 100_000, true);
    num(b.radius, `ballPits[${i}].radius`, 0.05, 4);
  });
  if (s.sensors !== undefined && s.triggers !== undefined) throw new SceneError('triggers', 'give trigger zones as "sensors" or "triggers", not both');
  const zones = (s.sensors ?? s.triggers ?? []) as unknown;
  const key = s.sensors !== undefined ? 'sensors' : 'triggers';
  if (!Array.isArray(zones)) throw new SceneError(key, 'must be an array of {name, box} or {name, sphere}');
  const zoneNames = new Set<string>();
  zones.forEach((z: Record<string, Record<string, unknown>> | null, i) => {
    const at = `${key}[${i}]`;
    const name = z?.name as unknown;
    if (typeof name !== 'string' || !ZONE_NAME.test(name)) throw new SceneError(`${at}.name`, 'must be 1..64 of A-Z a-z 0-9 _ . -');
    if (zoneNames.has(name)) throw new SceneError(`${at}.name`, `"${name}" names another zone too`);
    zoneNames.add(name);
    if (z?.box) {
      vec(z.box.center, `${at}.box.center`);
      vec(z.box.half, `${at}.box.half`).forEach((h, k) => {
        num(h, `${at}.box.half[${k}]`, 0.01, 1e4);
      });
    } else if (z?.sphere) {
      vec(z.sphere.center, `${at}.sphere.center`);
      num(z.sphere.radius, `${at}.sphere.radius`, 0.01, 1e4);
    } else throw new SceneError(at, 'must be {name, box: {center, half}} or {name, sphere: {center, radius}}');
  });
  if (s.triggers !== undefined) {
    s.sensors = s.triggers;
    delete s.triggers;
  }
  const maxR = ((s.world as Record<string, unknown> | undefined)?.maxBodyRadius as number | undefined) ?? 1;
  const names = new Set<string>();
  ((s.bodies ?? []) as Array<Record<string, Record<string, unknown>>>).forEach((b, i) => {
    const at = `bodies[${i}]`;
    const name = b?.name as unknown;
    if (typeof name !== 'string' || name === '') throw new SceneError(`${at}.name`, 'must be a non-empty string');
    if (names.has(name)) throw new SceneError(`${at}.name`, `"${name}" names another body too`);
    names.add(name);
    const shape = b.box ?? b.sphere;
    if (!shape || (b.box && b.sphere)) throw new SceneError(at, 'must have one of {box} or {sphere}');
    const key = b.box ? 'box' : 'sphere';
    vec(shape.center, `${at}.${key}.center`);
    let reach: number;
    if (b.box) reach = Math.hypot(...vec(b.box.half, `${at}.box.half`).map((h, k) => num(h, `${at}.box.half[${k}]`, 0.02, 10)));
    else reach = num(shape.radius, `${at}.sphere.radius`, 0.02, 10);
    if (reach > maxR) throw new SceneError(`${at}.${key}`, `reaches ${reach.toFixed(3)} m from its centre: over world.maxBodyRadius (${maxR} m)`);
    if (shape.density !== undefined) num(shape.density, `${at}.${key}.density`, 10, 20_000);
    if (shape.friction !== undefined) num(shape.friction, `${at}.${key}.friction`, 0, 2);
  });
  ((s.scripts ?? []) as Array<Record<string, unknown>>).forEach((x, i) => {
    const at = `scripts[${i}]`;
    if (typeof x?.body !== 'string' || !names.has(x.body)) throw new SceneError(`${at}.body`, "must name one of the scene's bodies");
    if ((typeof x.file === 'string') === (typeof x.source === 'string')) throw new SceneError(at, 'must have one of {file} (a .js file) or {source}');
  });
  ((s.joints ?? []) as Array<Record<string, unknown>>).forEach((j, i) => {
    const at = `joints[${i}]`;
    if (!['hinge', 'ball', 'fixed', 'distance'].includes(j?.kind as string))
      throw new SceneError(`${at}.kind`, 'must be "hinge", "ball", "fixed" or "distance"');
    if (typeof j.body !== 'string' || !names.has(j.body)) throw new SceneError(`${at}.body`, "must name one of the scene's bodies");
    vec(j.anchor, `${at}.anchor`);
    if (j.kind === 'hinge') {
      const a = vec(j.axis, `${at}.axis`);
      if (Math.hypot(a[0], a[1], a[2]) < 1e-3) throw new SceneError(`${at}.axis`, 'must not be zero');
    } else if (j.axis !== undefined) vec(j.axis, `${at}.axis`);
    if ((j.limits !== undefined || j.motor !== undefined) && j.kind !== 'hinge') throw new SceneError(at, 'limits and motor are for hinges');
    if (j.limits !== undefined) {
      const [lo, hi] = vec(j.limits, `${at}.limits`, 2);
      num(lo, `${at}.limits[0]`, -Math.PI, Math.PI);
      num(hi, `${at}.limits[1]`, lo, Math.PI);
    }
    if (j.motor !== undefined) {
      const m = j.motor as Record<string, unknown>;
      num(m?.speed, `${at}.motor.speed`, -100, 100);
      num(m.maxTorque, `${at}.motor.maxTorque`, 0, 1e7);
      if (m.targetAngle !== undefined) num(m.targetAngle, `${at}.motor.targetAngle`, -Math.PI, Math.PI);
    }
    if (j.kind === 'distance') {
      if (j.at !== undefined) vec(j.at, `${at}.at`);
      const hi = num(j.maxLength, `${at}.maxLength`, 0.01, 1000);
      if (j.minLength !== undefined) num(j.minLength, `${at}.minLength`, 0, hi);
    } else if (j.at !== undefined || j.maxLength !== undefined || j.minLength !== undefined)
      throw new SceneError(at, 'at, minLength and maxLength are for distance joints');
  });
  const file = s as unknown as SceneFile;
  if (sceneBodies(file) > file.world.capacity)
    throw new SceneError('world.capacity', `the scene has ${sceneBodies(file)} bodies: raise capacity (it also holds avatars and spawned objects)`);
  return file;
}

/** Bodies the scene builds (statics included). */
export function sceneBodies(s: SceneFile): number {
  let n = 0;
  for (const st of s.statics ?? []) n += 'stairs' in st ? st.stairs.steps : 1; // a heightmap or mesh is one static body
  for (const p of s.piles ?? []) n += (p.layers * (p.layers + 1) * (2 * p.layers + 1)) / 6;
  for (const b of s.ballPits ?? []) n += b.count + 4;
  for (const c of s.crates ?? []) n += crateCount(c);
  n += (s.capsules ?? []).length + (s.compounds ?? []).length;
  return n + (s.bodies ?? []).length + (s.hulls ?? []).length;
}

/** Whether the scene names asset files (heightmaps, meshes). */
export function sceneHasAssets(s: SceneFile): boolean {
  return (s.statics ?? []).some((st) => 'heightmap' in st || 'mesh' in st);
}

/**
 * Reads and checks a scene file and its assets (files relative to the scene file), quantised
 * and encoded for the core. Throws SceneError: for a bad asset, naming the scene field, the
 * file, the AssetError code and the reason (or the fs error for a missing scene file).
 */
export async function loadSceneWithAssets(path: string): Promise<SceneFile> {
  const s = readScene(path);
  const dir = dirname(resolve(path));
  const blocks: GeometryBlock[] = [];
  for (const [i, st] of (s.statics ?? []).entries()) {
    if (!('heightmap' in st) && !('mesh' in st)) continue;
    const field = 'heightmap' in st ? `statics[${i}].heightmap.file` : `statics[${i}].mesh.file`;
    try {
      if ('heightmap' in st) blocks.push(encodeGeometry(loadHeightmap(resolve(dir, st.heightmap.file), st.heightmap)));
      else blocks.push(encodeGeometry(await loadGlbMesh(resolve(dir, st.mesh.file))));
    } catch (e) {
      if (e instanceof AssetError) throw new SceneError(field, e.message);
      throw e;
    }
  }
  SCENE_GEOMETRY.set(s, blocks);
  return s;
}

/**
 * Reads and checks a scene file without assets. Throws SceneError (also for a scene that names
 * assets: those load with loadSceneWithAssets), or the fs error for a missing file.
 */
export function loadScene(path: string): SceneFile {
  const s = readScene(path);
  if (sceneHasAssets(s)) throw new SceneError('statics', `${path} names asset files: load it with loadSceneWithAssets`);
  return s;
}

function readScene(path: string): SceneFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) throw new SceneError('(file)', `${path} is not JSON: ${e.message}`);
    throw e;
  }
  const s = parseScene(raw);
  for (const [i, x] of (s.scripts ?? []).entries()) {
    if (x.file === undefined) continue;
    try {
      x.source = readFileSync(resolve(dirname(resolve(path)), x.file), 'utf8');
    } catch (e) {
      throw new SceneError(`scripts[${i}].file`, `cannot read ${x.file}: ${(e as Error).message}`);
    }
  }
  return s;
}

/** The world setup of a scene (its builder is deterministic); `workers`: shard worker threads. */
export function sceneSetup(s: SceneFile, workers = 0): WorldSetup {
  const blocks = SCENE_GEOMETRY.get(s) ?? [];
  if (sceneHasAssets(s) && blocks.length === 0) throw new SceneError('statics', 'the scene names asset files: load it with loadSceneWithAssets');
  const words =
    blocks.reduce((n, b) => n + b.words.length, 0) +
    hullShapes(s).reduce((n, v) => n + buildHull(v).words.length, 0) +
    compoundShapes(s).reduce((n, c) => n + 8 + 16 * c.children.length, 0);
  // the named bodies' handles, known once the scene is built (its scripts attach to them)
  let named = new Map<string, bigint>();
  return {
    config: {
      capacity: s.world.capacity,
      tickRate: s.world.tickRate,
      maxBodyRadius: s.world.maxBodyRadius ?? 1,
      sleep: { enabled: s.world.sleep ?? true },
      ...(words > 0 ? { geometryWords: words } : {}),
      // crates touch with up to 4 points per pair (box-contacts.ts): room for a crate between others
      // (hulls: up to 4 points per pair, hull.ts; rotating capsules: up to 3, capsule-contacts.ts)
      // (compounds: up to 4 points per child pair, reduced to 4 per body pair on one face: compound.ts)
      ...((s.crates ?? []).length > 0 ||
      (s.hulls ?? []).length > 0 ||
      (s.capsules ?? []).length > 0 ||
      (s.compounds ?? []).length > 0 ||
      (s.bodies ?? []).some((b) => b.box)
        ? { contactsPerBody: 16 }
        : {}),
      ...(s.world.contactsPerBody !== undefined ? { contactsPerBody: s.world.contactsPerBody } : {}),
      ...((s.joints ?? []).length > 0 ? { jointCapacity: (s.joints ?? []).length } : {}),
    },
    partition: s.partition,
    shardOptions: workers > 0 ? { workers } : undefined,
    spawnPoints: s.spawnPoints,
    spawnLimit: s.world.spawnLimit,
    spawnRange: s.world.spawnRange,
    spawnLingerTicks: s.world.spawnLingerTicks,
    scene: (w) => {
      named = buildScene(w, s);
    },
    ...((s.scripts ?? []).some((x) => x.source !== undefined)
      ? {
          initialScripts: () =>
            (s.scripts ?? []).filter((x) => x.source !== undefined).map((x) => ({ body: named.get(x.body) as bigint, source: x.source as string })),
        }
      : {}),
    ...((s.sensors ?? []).length > 0 ? { sensors: (s.sensors ?? []).map(sceneSensor) } : {}),
  };
}

/** A scene zone as the sensor options MainSim adds (WorldSetup.sensors). */
function sceneSensor(z: SceneSensor): SensorOptions & { name: string } {
  return 'box' in z
    ? { name: z.name, shape: 'box', center: z.box.center, half: z.box.half }
    : { name: z.name, shape: 'sphere', center: z.sphere.center, radius: z.sphere.radius };
}

/** Builds the scene into `w`; returns the named bodies' handles. */
function buildScene(w: ShardedWorld, s: SceneFile): Map<string, bigint> {
  const blocks = SCENE_GEOMETRY.get(s) ?? [];
  let asset = 0;
  for (const st of s.statics ?? []) {
    if ('plane' in st) w.addPlane(st.plane);
    else if ('box' in st) w.addBox({ position: st.box.center, half: st.box.half });
    else if ('heightmap' in st) w.addGeometry(blocks[asset++], { friction: st.heightmap.friction });
    else if ('mesh' in st) w.addGeometry(blocks[asset++], { friction: st.mesh.friction });
    else stairs(w, st.stairs);
  }
  for (const p of s.piles ?? []) {
    const r = p.radius,
      d = 2 * r * 1.001;
    for (let layer = 0; layer < p.layers; layer++) {
      const side = p.layers - layer,
        off = ((side - 1) * d) / 2;
      for (let i = 0; i < side; i++) {
        for (let k = 0; k < side; k++) {
          w.addSphere({
            position: [p.center[0] + i * d - off, p.center[1] + r + layer * d * 0.82, p.center[2] + k * d - off],
            radius: r,
            friction: 0.6,
            restitution: 0.1,
          });
        }
      }
    }
  }
  for (const c of s.crates ?? []) crates(w, c);
  const shapes = new Map<string, HullShapeRef>();
  for (const h of s.hulls ?? []) {
    const key = JSON.stringify(h.vertices);
    const shape = shapes.get(key) ?? w.addHullShape(h.vertices);
    shapes.set(key, shape);
    w.addHull({ position: h.center, shape, density: h.density ?? 500, friction: h.friction ?? 0.5, orientation: h.orientation });
  }
  const hullOf = (v: Vec3[]): HullShapeRef => {
    const key = JSON.stringify(v);
    const shape = shapes.get(key) ?? w.addHullShape(v);
    shapes.set(key, shape);
    return shape;
  };
  const compounds = new Map<string, CompoundShapeRef>();
  for (const c of s.compounds ?? []) {
    const key = JSON.stringify(c.children);
    const shape = compounds.get(key) ?? w.addCompoundShape(compoundChildren(c, hullOf));
    compounds.set(key, shape);
    w.addCompound({ position: c.center, shape, friction: c.friction ?? 0.5, orientation: c.orientation });
  }
  for (const c of s.capsules ?? [])
    w.addRotatingCapsule({
      position: c.center,
      radius: c.radius,
      halfHeight: c.halfHeight,
      orientation: quatFromYTo(c.axis ?? [0, 1, 0]),
      density: c.density ?? 500,
      friction: c.friction ?? 0.5,
    });
  const named = jointedBodies(w, s);
  for (const b of s.ballPits ?? []) {
    const [x0, z0] = b.min,
      [x1, z1] = b.max,
      h = b.wall ?? 0.6,
      t = 0.1;
    const cx = (x0 + x1) / 2,
      cz = (z0 + z1) / 2,
      hx = (x1 - x0) / 2,
      hz = (z1 - z0) / 2;
    w.addBox({ position: [cx, h / 2, z0 - t], half: [hx + 2 * t, h / 2, t] });
    w.addBox({ position: [cx, h / 2, z1 + t], half: [hx + 2 * t, h / 2, t] });
    w.addBox({ position: [x0 - t, h / 2, cz], half: [t, h / 2, hz] });
    w.addBox({ position: [x1 + t, h / 2, cz], half: [t, h / 2, hz] });
    const d = 2 * b.radius * 1.05,
      nx = Math.max(1, Math.floor((x1 - x0) / d)),
      nz = Math.max(1, Math.floor((z1 - z0) / d));
    for (let k = 0; k < b.count; k++) {
      const i = k % nx,
        j = Math.floor(k / nx) % nz,
        layer = Math.floor(k / (nx * nz));
      w.addSphere({
        position: [x0 + (i + 0.5) * d, b.radius + (b.height ?? 0.5) + layer * d, z0 + (j + 0.5) * d],
        radius: b.radius,
        friction: 0.3,
        restitution: 0.4,
      });
    }
  }
  return named;
}

/** Builds the named bodies and the joints that hold them to the world (see SceneJoint); returns the bodies' handles by name. */
function jointedBodies(w: ShardedWorld, s: SceneFile): Map<string, bigint> {
  const made = new Map<string, { h: bigint; center: Vec3 }>();
  for (const b of s.bodies ?? []) {
    if (b.box) {
      const h = w.addDynamicBox({ position: b.box.center, half: b.box.half, density: b.box.density ?? 500, friction: b.box.friction ?? 0.5 });
      made.set(b.name, { h, center: b.box.center });
    } else if (b.sphere) {
      const r = b.sphere.radius;
      const mass = (4 / 3) * Math.PI * r * r * r * (b.sphere.density ?? 500);
      const h = w.addSphere({ position: b.sphere.center, radius: r, mass, friction: b.sphere.friction ?? 0.5 });
      made.set(b.name, { h, center: b.sphere.center });
    }
  }
  for (const j of s.joints ?? []) {
    const body = made.get(j.body) as { h: bigint; center: Vec3 };
    const local = (p: Vec3): Vec3 => [p[0] - body.center[0], p[1] - body.center[1], p[2] - body.center[2]];
    if (j.kind === 'distance') {
      w.addJoint({
        kind: 'distance',
        a: body.h,
        b: null,
        anchorA: local(j.at ?? body.center),
        anchorB: j.anchor,
        maxLength: j.maxLength as number,
        minLength: j.minLength ?? 0,
      });
    } else {
      w.addJoint({
        kind: j.kind,
        a: body.h,
        b: null,
        anchorA: local(j.anchor),
        anchorB: j.anchor,
        ...(j.axis ? { axis: j.axis } : {}),
        ...(j.limits ? { limits: { lower: j.limits[0], upper: j.limits[1] } } : {}),
        ...(j.motor ? { motor: j.motor } : {}),
      });
    }
  }
  return new Map([...made].map(([k, v]) => [k, v.h]));
}

/** The distinct vertex lists of a scene's hulls and compounds' hull children, in first-use order (each stored once: buildScene). */
function hullShapes(s: SceneFile): Vec3[][] {
  const seen = new Map<string, Vec3[]>();
  const lists = [
    ...(s.hulls ?? []).map((h) => h.vertices),
    ...(s.compounds ?? []).flatMap((c) => c.children.flatMap((ch) => (ch.shape === 'hull' ? [ch.vertices] : []))),
  ];
  for (const v of lists) if (!seen.has(JSON.stringify(v))) seen.set(JSON.stringify(v), v);
  return [...seen.values()];
}

/** The distinct compounds of a scene (by their children), in first-use order (each stored once: buildScene). */
function compoundShapes(s: SceneFile): SceneCompound[] {
  const seen = new Map<string, SceneCompound>();
  for (const c of s.compounds ?? []) if (!seen.has(JSON.stringify(c.children))) seen.set(JSON.stringify(c.children), c);
  return [...seen.values()];
}

/** Boxes in a crate wall: sum over its rows of max(1, base - k). */
function crateCount(c: Crates): number {
  let n = 0;
  for (let k = 0; k < (c.layers ?? c.base); k++) n += Math.max(1, c.base - k);
  return n;
}

/** Builds a crate wall (see Crates): each box a millimetre above the one below, in row order. */
function crates(w: ShardedWorld, c: Crates): void {
  const [hx, hy, hz] = c.half;
  for (let k = 0; k < (c.layers ?? c.base); k++) {
    const n = Math.max(1, c.base - k);
    for (let i = 0; i < n; i++) {
      w.addDynamicBox({
        position: [c.center[0] + (i - (n - 1) / 2) * 2 * hx * 1.01, c.center[1] + hy + k * (2 * hy + 0.001), c.center[2]],
        half: [hx, hy, hz],
        density: c.density ?? 400,
        friction: c.friction ?? 0.6,
        restitution: 0.1,
      });
    }
  }
}

function stairs(w: ShardedWorld, st: Stairs): void {
  const axis = st.direction[1] === 'x' ? 0 : 2,
    sign = st.direction[0] === '+' ? 1 : -1;
  for (let k = 0; k < st.steps; k++) {
    // step k: a box from the ground up to (k + 1) rises, run long, at distance k runs
    const top = (k + 1) * st.rise,
      along = (k + 0.5) * st.run * sign;
    const center: [number, number, number] = [st.from[0], st.from[1] + top / 2, st.from[2]];
    center[axis] += along;
    const half: [number, number, number] = [st.width / 2, top / 2, st.width / 2];
    half[axis] = st.run / 2;
    w.addBox({ position: center, half });
  }
}
