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
 */
import type { PeerAdapter, PeerAdapterLoader, PeerWorld } from './adapter';
import { checksumPositions, sphereMassOf, sphereRadius, type SceneSpec } from './scenes';
import { DEFAULT_SUBSTEPS, PhysicsWorld, type BodyHandle, type WorldConfig } from '../../src/physics/world';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The world settings bench:physics runs a scene with (see the module comment): capacity =
 * bodies + 8, tick rate 1 / dt (Hz), the scene's gravity (m/s^2), maxBodyRadius = its largest
 * sphere (m), sleeping as it says; `substeps` when given, else the default.
 */
export function sceneConfig(scene: SceneSpec, substeps?: number): WorldConfig {
  return {
    capacity: scene.n + scene.statics.length + 8,
    tickRate: Math.round(1 / scene.dt),
    ...(substeps === undefined ? {} : { substeps }),
    gravity: scene.gravity,
    maxBodyRadius: scene.maxRadius,
    sleep: { enabled: scene.sleep },
  };
}

/** What addScene needs of a world: PhysicsWorld and ShardedWorld both have it. */
export type SceneWorld = Pick<PhysicsWorld, 'addBox' | 'addSphere'>;

/**
 * Adds a scene's static boxes and spheres (positions and velocities in metres and m/s, radius
 * and mass from the scene) to `world`; returns the spheres' handles in scene order.
 */
export function addScene(world: SceneWorld, scene: SceneSpec): BodyHandle[] {
  for (const b of scene.statics) {
    world.addBox({ position: b.center, half: b.halfExtents, friction: scene.friction, restitution: scene.restitution });
  }
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

function createWorld(scene: SceneSpec, substeps: number): PeerWorld {
  const world = PhysicsWorld.create(sceneConfig(scene, substeps));
  const spheres = addScene(world, scene);
  const read = (out: Float64Array, get: (h: BodyHandle) => [number, number, number]): void => {
    for (let i = 0; i < spheres.length; i++) {
      const [x, y, z] = get(spheres[i]);
      out[3 * i] = x;
      out[3 * i + 1] = y;
      out[3 * i + 2] = z;
    }
  };
  const readPositions = (out: Float64Array): void => read(out, (h) => world.position(h));
  return {
    step: () => world.step(),
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
    '(default 0.05 m/s for 30 ticks); the World API cannot create bodies asleep, so resting spheres fall asleep in the warm-up',
  create: (scene) => createWorld(scene, DEFAULT_SUBSTEPS),
});
