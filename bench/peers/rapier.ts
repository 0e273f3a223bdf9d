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
 * Character scenes: createCharacterWorld (KinematicCharacterController).
 */
import type { PeerAdapter, PeerAdapterLoader, PeerWorld } from './adapter';
import { checksumPositions, sphereRadius, type SceneSpec } from './scenes';
import type { MeshSpec, TerrainSpec } from './scenes-characters';
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

/**
 * Rapier's heightfield collider of `t` (scenes-characters.ts TerrainSpec): ColliderDesc.heightfield
 * takes the heights as a column-major matrix of nz rows (along z) and nx columns (along x),
 * centred on the collider's origin and scaled to the extent; it is placed at the terrain's centre.
 */
export function rapierHeightfield(R: Rapier, t: TerrainSpec): InstanceType<Rapier['ColliderDesc']> {
  const heights = new Float32Array(t.nx * t.nz);
  for (let iz = 0; iz < t.nz; iz++) for (let ix = 0; ix < t.nx; ix++) heights[ix * t.nz + iz] = t.heights[iz * t.nx + ix];
  const sx = (t.nx - 1) * t.cell,
    sz = (t.nz - 1) * t.cell;
  return R.ColliderDesc.heightfield(t.nz - 1, t.nx - 1, heights, { x: sx, y: 1, z: sz }).setTranslation(t.origin[0] + sx / 2, 0, t.origin[1] + sz / 2);
}

/** Rapier's trimesh collider of a closed mesh (scenes-characters.ts MeshSpec): 3 vertices per triangle. */
function rapierTrimesh(R: Rapier, m: MeshSpec): InstanceType<Rapier['ColliderDesc']> {
  const v = Float32Array.from(m.triangles);
  const idx = new Uint32Array(v.length / 3);
  for (let k = 0; k < idx.length; k++) idx[k] = k;
  return R.ColliderDesc.trimesh(v, idx);
}

/**
 * A character scene: statics, terrain and meshes as parentless colliders; each character a
 * kinematic position-based body with a capsule collider, moved every step by one shared
 * KinematicCharacterController (offset 0.01 m, autostep 0.3 m over obstacles at least 0.2 m
 * wide, snap to ground 0.3 m, slope limit 45 degrees): the desired motion is the walk velocity
 * plus the vertical speed from gravity (reset to 0 when grounded) times dt, the controller's
 * computed movement is set as the body's next translation, then world.step().
 */
function createCharacterWorld(R: Rapier, scene: SceneSpec): PeerWorld {
  const ch = scene.characters;
  const t = scene.terrain;
  if (!ch || !t) throw new Error(`scene ${scene.kind} has no characters`);
  const world = new R.World({ x: scene.gravity[0], y: scene.gravity[1], z: scene.gravity[2] });
  world.timestep = scene.dt;
  const fixed = (d: InstanceType<Rapier['ColliderDesc']>): void => {
    world.createCollider(d.setFriction(scene.friction).setRestitution(scene.restitution));
  };
  for (const b of scene.statics)
    fixed(R.ColliderDesc.cuboid(b.halfExtents[0], b.halfExtents[1], b.halfExtents[2]).setTranslation(b.center[0], b.center[1], b.center[2]));
  fixed(rapierHeightfield(R, t));
  for (const m of scene.meshes ?? []) fixed(rapierTrimesh(R, m));
  const n = scene.n;
  const p = scene.positions;
  const bodies: InstanceType<Rapier['RigidBody']>[] = new Array(n);
  const colliders: InstanceType<Rapier['Collider']>[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const body = world.createRigidBody(R.RigidBodyDesc.kinematicPositionBased().setTranslation(p[3 * i], p[3 * i + 1], p[3 * i + 2]));
    colliders[i] = world.createCollider(R.ColliderDesc.capsule(ch.halfHeight, ch.radius).setFriction(scene.friction), body);
    bodies[i] = body;
  }
  const controller = world.createCharacterController(0.01);
  controller.enableAutostep(0.3, 0.2, false);
  controller.enableSnapToGround(0.3);
  controller.setMaxSlopeClimbAngle((45 * Math.PI) / 180);
  controller.setSlideEnabled(true);
  const walk = new Float64Array(2 * n);
  const vy = new Float64Array(n);
  const desired = { x: 0, y: 0, z: 0 };
  const next = { x: 0, y: 0, z: 0 };
  const dt = scene.dt,
    g = scene.gravity[1];
  const readPositions = (out: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      const q = bodies[i].translation();
      out[3 * i] = q.x;
      out[3 * i + 1] = q.y;
      out[3 * i + 2] = q.z;
    }
  };
  return {
    bodyCount: n + scene.statics.length + 1 + (scene.meshes?.length ?? 0),
    setWalk(idx, vx, vz): void {
      walk[2 * idx] = vx;
      walk[2 * idx + 1] = vz;
    },
    step(): void {
      for (let i = 0; i < n; i++) {
        vy[i] += g * dt;
        desired.x = walk[2 * i] * dt;
        desired.y = vy[i] * dt;
        desired.z = walk[2 * i + 1] * dt;
        controller.computeColliderMovement(colliders[i], desired);
        const mv = controller.computedMovement();
        if (controller.computedGrounded()) vy[i] = 0;
        const q = bodies[i].translation();
        next.x = q.x + mv.x;
        next.y = q.y + mv.y;
        next.z = q.z + mv.z;
        bodies[i].setNextKinematicTranslation(next);
      }
      world.step();
    },
    readPositions,
    readVelocities(out: Float64Array): void {
      for (let i = 0; i < n; i++) {
        const v = bodies[i].linvel();
        out[3 * i] = v.x;
        out[3 * i + 1] = v.y;
        out[3 * i + 2] = v.z;
      }
    },
    sleepingCount: () => 0,
    positionsChecksum(): number {
      const out = new Float64Array(3 * n);
      readPositions(out);
      return checksumPositions(out);
    },
    dispose(): void {
      controller.free();
      world.free();
    },
  };
}

function createWorld(R: Rapier, scene: SceneSpec): PeerWorld {
  if (scene.characters) return createCharacterWorld(R, scene);
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
