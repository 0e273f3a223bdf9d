/**
 * Tessera's own fixed-point core behind the peer-benchmark interface, so it runs the same
 * scenes as Rapier, Jolt and cannon-es, in the same runner. Uses only the public World API
 * (src/physics/world.ts).
 *
 * Settings: the release WASM build (-O3), one thread; tick rate 1 / dt, 6 substeps (the
 * default, DEFAULT_SUBSTEPS), sleeping as the scene says (default rest speed 0.05 m/s for 30 ticks), spheres
 * and static boxes exactly as the scene defines them, maxBodyRadius = the scene's largest
 * sphere radius, capacity = bodies + 8. Numbers are converted to raw Q47.16 once at creation
 * and on recycle. The World API cannot create a body asleep, so spheres the scene marks as
 * lying at rest (asleepFrom) fall asleep during the warm-up instead.
 *
 * Box scenes (box-pile, pyramid): dynamic rotating boxes through PhysicsWorld.addDynamicBox
 * (half extents, density 1000 -> mass in fixed point, the scene's orientation) and read back with
 * PhysicsWorld.orientation (issue 18's core API); maxBodyRadius = the largest bounding-sphere
 * radius of a box. A core without that API (built before dynamic boxes) refuses box scenes
 * with UnsupportedSceneError (the runner reports the row as skipped).
 */
import { type PeerAdapter, type PeerAdapterLoader, type PeerWorld, UnsupportedSceneError } from './adapter';
import { checksumPositions, sphereMassOf, sphereRadius, type SceneSpec } from './scenes';
import { DEFAULT_SUBSTEPS, PhysicsWorld, type BodyHandle, type BodyOptions, type Vec3, type WorldConfig } from '../../src/physics/world';
import { STATUS } from '../../src/physics/world-layout';
import { readFileSync } from 'node:fs';
import { encodeGeometry, quantiseHeightfield, quantiseMesh, type GeometryBlock } from '../../src/assets/geometry';
import { join } from 'node:path';

/**
 * Added to a box scene's largest bounding radius for maxBodyRadius, m (about 6.5 raw Q16 units):
 * the core rounds a box's bounding radius up by 2 raw units and the cell size is rounded too.
 */
export const BOX_BOUND_SLACK = 1e-4;

/**
 * Contact records per body slot in box scenes (WorldConfig.contactsPerBody; default 8). A box
 * pair makes up to 4 records (one per manifold point): a pyramid of base 8 overflows the default
 * 8 (its cubes fall through each other) and fits 16; a pyramid cube has 4 supports (about 14
 * records per body at base 20), a box in a pile 6 or more touching pairs, so box scenes get 32.
 * Overflowing steps drop contacts; the adapter counts them (PeerWorld.warning).
 */
export const BOX_CONTACTS_PER_BODY = 32;

/**
 * The world settings bench:physics runs a scene with (see the module comment): capacity =
 * bodies + 8, tick rate 1 / dt (Hz), the scene's gravity (m/s^2), maxBodyRadius = its largest
 * sphere (m; box scenes: largest bounding radius + BOX_BOUND_SLACK, and BOX_CONTACTS_PER_BODY),
 * sleeping as it says; `substeps` when given, else the default.
 */
export function sceneConfig(scene: SceneSpec, substeps?: number): WorldConfig {
  return {
    capacity: scene.n + scene.statics.length + (scene.meshes?.length ?? 0) + (scene.terrain ? 1 : 0) + 8,
    tickRate: Math.round(1 / scene.dt),
    ...(substeps === undefined ? {} : { substeps }),
    gravity: scene.gravity,
    maxBodyRadius: scene.boxes || scene.characters ? scene.maxRadius + BOX_BOUND_SLACK : scene.maxRadius,
    ...(scene.boxes ? { contactsPerBody: BOX_CONTACTS_PER_BODY } : {}),
    sleep: { enabled: scene.sleep },
  };
}

/** What addScene needs of a world: PhysicsWorld and ShardedWorld both have it. */
export type SceneWorld = Pick<PhysicsWorld, 'addBox' | 'addSphere'>;

/** Adds a scene's static boxes (the scene's friction and restitution) to `world`. */
function addStatics(world: Pick<PhysicsWorld, 'addBox'>, scene: SceneSpec): void {
  for (const b of scene.statics) {
    world.addBox({ position: b.center, half: b.halfExtents, friction: scene.friction, restitution: scene.restitution });
  }
}

/**
 * Adds a scene's static boxes and spheres (positions and velocities in metres and m/s, radius
 * and mass from the scene) to `world`; returns the spheres' handles in scene order.
 */
export function addScene(world: SceneWorld, scene: SceneSpec): BodyHandle[] {
  addStatics(world, scene);
  const spheres: BodyHandle[] = [];
  const p = scene.positions,
    v = scene.velocities;
  for (let i = 0; i < scene.n; i++) {
    spheres.push(
      world.addSphere({
        position: [p[3 * i], p[3 * i + 1], p[3 * i + 2]],
        velocity: [v[3 * i], v[3 * i + 1], v[3 * i + 2]],
        radius: sphereRadius(scene, i),
        mass: sphereMassOf(scene, i),
        friction: scene.friction,
        restitution: scene.restitution,
      }),
    );
  }
  return spheres;
}

/** Quaternion (x, y, z, w). */
type Quat = [number, number, number, number];

/** The core's dynamic-box API (issue 18): PhysicsWorld.addDynamicBox and orientation. */
export interface BoxApi {
  addDynamicBox(o: Omit<BodyOptions, 'kind'> & { half: Vec3; density?: number; orientation?: readonly [number, number, number, number] }): BodyHandle;
  orientation(h: BodyHandle): Quat;
}

/** `world`'s dynamic-box API, or undefined when this core has none. */
export function boxApi(world: PhysicsWorld): BoxApi | undefined {
  const w = world as unknown as Partial<BoxApi>;
  return typeof w.addDynamicBox === 'function' && typeof w.orientation === 'function' ? (w as BoxApi) : undefined;
}

/**
 * Adds a box scene's static boxes and dynamic boxes (centres, velocities, half extents in m,
 * m/s; the scene's density and orientations) to `world` through `api`; returns the boxes'
 * handles in scene order. Throws PhysicsError as addDynamicBox does.
 */
export function addBoxScene(world: PhysicsWorld, api: BoxApi, scene: SceneSpec): BodyHandle[] {
  const boxes = scene.boxes;
  if (!boxes) throw new Error(`scene ${scene.kind} has no boxes`);
  addStatics(world, scene);
  const out: BodyHandle[] = [];
  const p = scene.positions,
    v = scene.velocities,
    h = boxes.half,
    q = boxes.orientations;
  for (let i = 0; i < scene.n; i++) {
    out.push(
      api.addDynamicBox({
        position: [p[3 * i], p[3 * i + 1], p[3 * i + 2]],
        velocity: [v[3 * i], v[3 * i + 1], v[3 * i + 2]],
        half: [h[3 * i], h[3 * i + 1], h[3 * i + 2]],
        density: scene.density,
        orientation: [q[4 * i], q[4 * i + 1], q[4 * i + 2], q[4 * i + 3]],
        friction: scene.friction,
        restitution: scene.restitution,
      }),
    );
  }
  return out;
}

/**
 * The geometry blocks of a character scene (src/assets/geometry.ts): its heightfield, then its
 * meshes, quantised to the core's grid; empty for other scenes.
 */
export function sceneGeometry(scene: SceneSpec): GeometryBlock[] {
  const t = scene.terrain;
  const out: GeometryBlock[] = [];
  if (t) out.push(encodeGeometry(quantiseHeightfield(`${scene.kind} terrain`, t.heights, t.nx, t.nz, { cellSize: [t.cell, t.cell], origin: t.origin })));
  for (const m of scene.meshes ?? []) out.push(encodeGeometry(quantiseMesh(m.name, m.triangles)));
  return out;
}

/**
 * Adds a character scene (statics, terrain, meshes, characters through addCharacter with the
 * defaults: step 0.3 m, slope 45 degrees) to `world`; returns the characters' handles in scene order.
 */
export function addCharacterScene(world: PhysicsWorld, scene: SceneSpec, geometry: GeometryBlock[]): BodyHandle[] {
  const ch = scene.characters;
  if (!ch) throw new Error(`scene ${scene.kind} has no characters`);
  addStatics(world, scene);
  for (const g of geometry) world.addGeometry(g, { friction: scene.friction, restitution: scene.restitution });
  const out: BodyHandle[] = [];
  const p = scene.positions;
  for (let i = 0; i < scene.n; i++) {
    out.push(world.addCharacter({ position: [p[3 * i], p[3 * i + 1], p[3 * i + 2]], radius: ch.radius, halfHeight: ch.halfHeight, mass: ch.mass }));
  }
  return out;
}

function createWorld(scene: SceneSpec, substeps: number): PeerWorld {
  const geometry = sceneGeometry(scene);
  const words = geometry.reduce((a, g) => a + g.words.length, 0);
  const world = PhysicsWorld.create({ ...sceneConfig(scene, substeps), ...(words > 0 ? { geometryWords: words } : {}) });
  const api = scene.boxes ? boxApi(world) : undefined;
  if (scene.boxes && !api) throw new UnsupportedSceneError(`this Tessera core has no dynamic boxes (PhysicsWorld.addDynamicBox): scene ${scene.kind} not run`);
  const spheres = scene.characters ? addCharacterScene(world, scene, geometry) : api ? addBoxScene(world, api, scene) : addScene(world, scene);
  const read = (out: Float64Array, get: (h: BodyHandle) => [number, number, number]): void => {
    for (let i = 0; i < spheres.length; i++) {
      const [x, y, z] = get(spheres[i]);
      out[3 * i] = x;
      out[3 * i + 1] = y;
      out[3 * i + 2] = z;
    }
  };
  const readPositions = (out: Float64Array): void => read(out, (h) => world.position(h));
  let steps = 0;
  let overflows = 0;
  return {
    step: () => {
      world.step();
      steps++;
      if (world.status & STATUS.CONTACT_OVERFLOW) overflows++;
    },
    warning: () => (overflows > 0 ? `contact capacity overflowed (contacts dropped) in ${overflows} of ${steps} steps` : undefined),
    setWalk: (idx, vx, vz) => world.setCharacterInput(spheres[idx], [vx, vz], false),
    recycle: (idx, pos, vel) => {
      world.setPosition(spheres[idx], [pos[0], pos[1], pos[2]]);
      world.setVelocity(spheres[idx], [vel[0], vel[1], vel[2]]);
      world.setAngularVelocity(spheres[idx], [0, 0, 0]);
    },
    positionsChecksum: () => {
      const out = new Float64Array(3 * scene.n);
      readPositions(out);
      return checksumPositions(out);
    },
    readPositions,
    readOrientations: (out) => {
      if (!api) throw new Error(`scene ${scene.kind} has no boxes`);
      for (let i = 0; i < spheres.length; i++) {
        const [x, y, z, w] = api.orientation(spheres[i]);
        out[4 * i] = x;
        out[4 * i + 1] = y;
        out[4 * i + 2] = z;
        out[4 * i + 3] = w;
      }
    },
    readVelocities: (out) => read(out, (h) => world.velocity(h)),
    sleepingCount: () => {
      let k = 0;
      for (const h of spheres) if (world.isSleeping(h)) k++;
      return k;
    },
    raycast: (origin, dir, maxDist) => {
      const hits = world.raycast([origin[0], origin[1], origin[2]], [dir[0], dir[1], dir[2]], maxDist);
      return hits.length > 0 ? hits[0].t : -1;
    },
    stateHash: () => world.hash().toString(16).padStart(16, '0'),
    bodyCount: world.bodyCount,
    dispose: () => {
      /* the memory is released with the world object */
    },
  };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Tessera, release build, default substeps (DEFAULT_SUBSTEPS). */
export const loadTessera: PeerAdapterLoader = async (): Promise<PeerAdapter> => ({
  name: 'tessera',
  pkg: 'tessera (this repository)',
  version: version(),
  notes:
    `fixed-point Q47.16 WASM (release, -O3), one thread; ${DEFAULT_SUBSTEPS} substeps of 1/${60 * DEFAULT_SUBSTEPS} s, Jacobi PBD solver; sleeping per scene ` +
    '(default 0.05 m/s for 30 ticks); the World API cannot create bodies asleep, so resting spheres fall asleep in the warm-up; ' +
    `box scenes: addDynamicBox (density 1000, orientation), maxBodyRadius = largest box bounding radius, contactsPerBody ${BOX_CONTACTS_PER_BODY}; ` +
    'characters: addCharacter (its defaults: step 0.3 m, slope 45 degrees), terrain and meshes through addGeometry',
  create: (scene) => createWorld(scene, DEFAULT_SUBSTEPS),
});
