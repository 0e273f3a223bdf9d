/**
 * Rapier 3D peer adapters (WASM, single thread, "-compat" builds that embed
 * the .wasm as base64 so `await RAPIER.init()` needs no file loading).
 *
 * Builds: @dimforge/rapier3d-compat (plain), @dimforge/rapier3d-simd-compat
 * (wasm simd128), @dimforge/rapier3d-deterministic-compat (cross-platform
 * deterministic float maths). Integration parameters are Rapier's defaults
 * (4 solver iterations, 1 internal PGS iteration, ...) except dt. Sleeping follows the scene
 * (setCanSleep; Rapier's default thresholds); spheres the scene marks as lying at rest
 * (asleepFrom) are created asleep (RigidBodyDesc.setSleeping(true), and body.sleep() again after attaching the collider, which wakes it).
 * Box scenes: cuboid colliders (ColliderDesc.cuboid(half extents), density 1000) on dynamic bodies
 * created with the scene's orientation (RigidBodyDesc.setRotation); orientations read back with
 * RigidBody.rotation().
 */
import type { PeerAdapter, PeerAdapterLoader, PeerWorld } from './adapter';
import { checksumPositions, sphereRadius, type SceneSpec } from './scenes';
import { installedVersion } from './pkgversion';

// All builds share this API; the type comes from the plain build.
type Rapier = typeof import('@dimforge/rapier3d-compat');

export const RAPIER_BUILDS = {
  'rapier-compat': '@dimforge/rapier3d-compat',
  'rapier-simd': '@dimforge/rapier3d-simd-compat',
  'rapier-deterministic': '@dimforge/rapier3d-deterministic-compat',
} as const;
export type RapierBuild = keyof typeof RAPIER_BUILDS;

async function importBuild(build: RapierBuild): Promise<Rapier> {
  // Static specifiers so tsc emits plain require() calls (the packages ship CJS).
  let mod: unknown;
  switch (build) {
    case 'rapier-compat':
      mod = await import('@dimforge/rapier3d-compat');
      break;
    case 'rapier-simd':
      mod = await import('@dimforge/rapier3d-simd-compat');
      break;
    case 'rapier-deterministic':
      mod = await import('@dimforge/rapier3d-deterministic-compat');
      break;
  }
  return mod as Rapier;
}

/** Is the npm package of this build installed? */
export function rapierBuildInstalled(build: RapierBuild): boolean {
  return installedVersion(RAPIER_BUILDS[build]) !== undefined;
}

function createWorld(R: Rapier, scene: SceneSpec): PeerWorld {
  const world = new R.World({ x: scene.gravity[0], y: scene.gravity[1], z: scene.gravity[2] });
  world.timestep = scene.dt;

  for (const b of scene.statics) {
    const desc = R.ColliderDesc.cuboid(b.halfExtents[0], b.halfExtents[1], b.halfExtents[2])
      .setTranslation(b.center[0], b.center[1], b.center[2])
      .setFriction(scene.friction)
      .setRestitution(scene.restitution);
    world.createCollider(desc); // parentless collider = static
  }

  const n = scene.n;
  const bodies: InstanceType<Rapier['RigidBody']>[] = new Array(n);
  const p = scene.positions;
  const v = scene.velocities;
  const boxes = scene.boxes;
  for (let i = 0; i < n; i++) {
    const bd = R.RigidBodyDesc.dynamic()
      .setTranslation(p[3 * i], p[3 * i + 1], p[3 * i + 2])
      .setLinvel(v[3 * i], v[3 * i + 1], v[3 * i + 2])
      .setCanSleep(scene.sleep);
    const asleep = scene.sleep && scene.asleepFrom !== undefined && i >= scene.asleepFrom;
    if (asleep) bd.setSleeping(true);
    if (boxes) {
      const q = boxes.orientations;
      bd.setRotation({ x: q[4 * i], y: q[4 * i + 1], z: q[4 * i + 2], w: q[4 * i + 3] });
    }
    const body = world.createRigidBody(bd);
    const shape = boxes ? R.ColliderDesc.cuboid(boxes.half[3 * i], boxes.half[3 * i + 1], boxes.half[3 * i + 2]) : R.ColliderDesc.ball(sphereRadius(scene, i));
    const cd = shape.setDensity(scene.density).setFriction(scene.friction).setRestitution(scene.restitution);
    world.createCollider(cd, body);
    if (asleep) body.sleep(); // attaching the collider woke it
    bodies[i] = body;
  }

  const ZERO = { x: 0, y: 0, z: 0 };
  const ID = { x: 0, y: 0, z: 0, w: 1 };
  const tmpP = { x: 0, y: 0, z: 0 };
  const tmpV = { x: 0, y: 0, z: 0 };
  const readPositions = (out: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      const t = bodies[i].translation();
      out[3 * i] = t.x;
      out[3 * i + 1] = t.y;
      out[3 * i + 2] = t.z;
    }
  };

  const ray = new R.Ray({ x: 0, y: 0, z: 0 }, { x: 0, y: -1, z: 0 });
  return {
    bodyCount: n + scene.statics.length,
    step(): void {
      world.step();
    },
    recycle(idx, pos, vel): void {
      const b = bodies[idx];
      tmpP.x = pos[0];
      tmpP.y = pos[1];
      tmpP.z = pos[2];
      tmpV.x = vel[0];
      tmpV.y = vel[1];
      tmpV.z = vel[2];
      b.setTranslation(tmpP, true);
      b.setRotation(ID, true);
      b.setLinvel(tmpV, true);
      b.setAngvel(ZERO, true);
    },
    readPositions,
    readOrientations(out: Float64Array): void {
      for (let i = 0; i < n; i++) {
        const r = bodies[i].rotation();
        out[4 * i] = r.x;
        out[4 * i + 1] = r.y;
        out[4 * i + 2] = r.z;
        out[4 * i + 3] = r.w;
      }
    },
    readVelocities(out: Float64Array): void {
      for (let i = 0; i < n; i++) {
        const v = bodies[i].linvel();
        out[3 * i] = v.x;
        out[3 * i + 1] = v.y;
        out[3 * i + 2] = v.z;
      }
    },
    sleepingCount(): number {
      let k = 0;
      for (let i = 0; i < n; i++) if (bodies[i].isSleeping()) k++;
      return k;
    },
    raycast(origin, dir, maxDist): number {
      ray.origin = { x: origin[0], y: origin[1], z: origin[2] };
      ray.dir = { x: dir[0], y: dir[1], z: dir[2] };
      const hit = world.castRay(ray, maxDist, true);
      return hit ? hit.timeOfImpact : -1;
    },
    positionsChecksum(): number {
      const out = new Float64Array(3 * n);
      readPositions(out);
      return checksumPositions(out);
    },
    dispose(): void {
      world.free();
    },
  };
}

/**
 * Adapter over an already imported Rapier 3D module (any build with the
 * same JS API); calls R.init().
 */
export async function makeRapierAdapter(R: Rapier, name: string, pkg: string, pkgVersion: string): Promise<PeerAdapter> {
  await R.init();
  const engineVersion = R.version();
  const probe = new R.World({ x: 0, y: -9.81, z: 0 });
  const ip = probe.integrationParameters;
  const notes =
    `single-threaded WASM; integration parameters default except dt ` +
    `(solver iterations ${ip.numSolverIterations}, internal PGS iterations ${ip.numInternalPgsIterations}); ` +
    `parentless cuboid colliders for statics; ball colliders (box scenes: cuboid colliders) with density; ` +
    `sleeping per scene (setCanSleep, default thresholds; resting spheres created asleep (setSleeping, then sleep() after the collider)); raycasts: world.castRay (solid)`;
  probe.free();
  return {
    name,
    pkg,
    version: engineVersion === pkgVersion ? pkgVersion : `${pkgVersion} (engine ${engineVersion})`,
    notes,
    create: (scene) => createWorld(R, scene),
  };
}

export function rapierLoader(build: RapierBuild): PeerAdapterLoader {
  return async (): Promise<PeerAdapter> => {
    const pkg = RAPIER_BUILDS[build];
    const R = await importBuild(build);
    return makeRapierAdapter(R, build, pkg, installedVersion(pkg) ?? 'unknown');
  };
}
