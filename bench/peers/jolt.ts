/**
 * Jolt Physics peer adapter: npm `jolt-physics` (JoltPhysics.js, Jolt's official WASM port), its
 * single-threaded `wasm-compat` build (the .wasm embedded in the bundle).
 *
 * Settings, all Jolt defaults unless said here:
 *  - the two broadphase layers of Jolt's examples: object layer 0 NON_MOVING (statics) and 1
 *    MOVING (spheres), each on its own broadphase layer; MOVING collides with both;
 *  - PhysicsSettings untouched: 10 velocity + 2 position steps, Baumgarte 0.2, penetration slop
 *    0.02 m, sleep after 0.5 s below 0.03 m/s point velocity; one collision step per dt;
 *  - spheres: SphereShape(r) with density 1000 (mass from the volume, = scene masses), friction
 *    0.5, restitution 0.2 (Jolt combines friction as sqrt(f1 f2) and restitution as max: 0.5 and
 *    0.2 as in every engine), linear and angular damping 0 (Jolt's default is 0.05; the other
 *    engines and the scenes have none), mAllowSleeping = scene.sleep; spheres the scene marks
 *    as at rest (asleepFrom) are added without activation, i.e. asleep;
 *  - statics: BoxShape(half extents) with Jolt's default convex radius 0.05 m;
 *  - box scenes: dynamic BoxShape(half extents) (default convex radius 0.05 m, inside the
 *    extents: same outer size) with density 1000, created with the scene's orientation; one
 *    shape per distinct half-extent triple; orientations read back with Body.GetRotation();
 *  - raycasts: NarrowPhaseQuery.CastRay, closest hit, default RayCastSettings (convex shapes solid);
 *  - character scenes: createCharacterWorld (CharacterVirtual).
 *
 * Limits of the npm build (1.1.0), not of Jolt: its WASM heap is fixed at 128 MiB (no memory
 * growth) and its temp allocator at 10 MiB. A contact constraint takes 472 bytes of the temp
 * allocator (measured), so at most about 20,000 contact constraints fit in one step, fewer with
 * many bodies; the adapter asks for as many as fit (joltContactConstraints), and contacts beyond
 * that are dropped by Jolt (bodies then sink or pass through: the overlap and lost columns show
 * it; pile 20k loses about 2,000 spheres through the floor). If a step still runs the allocator
 * out, Jolt aborts and the row is reported as skipped.
 * Worlds of more than JOLT_MAX_BODIES bodies do not fit the heap: create() throws
 * UnsupportedSceneError (the runner reports the row as skipped).
 */
import { pathToFileURL } from 'node:url';
import { type PeerAdapter, type PeerAdapterLoader, type PeerWorld, UnsupportedSceneError } from './adapter';
import { installedVersion } from './pkgversion';
import { checksumPositions, sphereRadius, type SceneSpec } from './scenes';

type JoltApi = typeof import('jolt-physics').default;
type JoltInit = (opts?: object) => Promise<JoltApi>;

/** Size of the npm build's temp allocator, bytes. */
export const JOLT_TEMP_BYTES = 10 * 1024 * 1024;
/** Temp-allocator bytes of one contact constraint (from the allocator's own out-of-memory message). */
const CONTACT_CONSTRAINT_BYTES = 472;
/** Largest world that fits the fixed 128 MiB heap here (100,000 spheres fit, 200,000 abort with OOM). */
export const JOLT_MAX_BODIES = 150_000;

const LAYER_NON_MOVING = 0;
const LAYER_MOVING = 1;

/** Scenes whose spheres lie apart (one floor contact each at most, few pairs): the step needs little temp memory besides the constraints. */
const APART_SCENES: ReadonlySet<string> = new Set(['resting', 'drop']);

/**
 * Contact constraints asked for: `perBody` per body (4; box scenes 6), at least Jolt's default 10,240, at most what fits
 * the temp allocator beside the step's other temp data: 44 B/body + 64 KiB where the spheres lie
 * apart (resting, drop), 48 B/body + 1 MiB otherwise (dense piles also need temp memory per body
 * pair). Measured with 20,000 spheres: all on the floor (drop), 20,380 constraints step and
 * 20,800 run the allocator out (this gives 20,212); in pile 20k, 1 MiB of slack steps (17,960
 * constraints) and 64 KiB aborts.
 */
export function joltContactConstraints(bodies: number, apart: boolean, perBody = 4): number {
  const other = apart ? 64 * 1024 + 44 * bodies : 1024 * 1024 + 48 * bodies;
  const fit = Math.floor((JOLT_TEMP_BYTES - other) / CONTACT_CONSTRAINT_BYTES);
  return Math.max(1024, Math.min(Math.max(10240, perBody * bodies), fit));
}

/** Message of the error a step throws when Jolt aborts (the runner reports the row as skipped: does not fit). */
export const JOLT_STEP_ABORT = "does not fit: Jolt aborted in a step (the npm build's 10 MiB temp allocator ran out, see stderr)";

// The package is ESM only; tsc (module commonjs) would turn import() into require(), so load it
// through a Function-made dynamic import of the resolved file.
const importEsm = new Function('s', 'return import(s)') as (s: string) => Promise<{ default: JoltInit }>;

/**
 * JoltSettings with the two layers of Jolt's examples (module comment): NON_MOVING and MOVING,
 * each on its own broadphase layer, MOVING colliding with both. The caller sets the limits.
 */
function layerSettings(J: JoltApi): InstanceType<JoltApi['JoltSettings']> {
  const settings = new J.JoltSettings();
  const pairs = new J.ObjectLayerPairFilterTable(2);
  pairs.EnableCollision(LAYER_NON_MOVING, LAYER_MOVING);
  pairs.EnableCollision(LAYER_MOVING, LAYER_MOVING);
  const bpInterface = new J.BroadPhaseLayerInterfaceTable(2, 2);
  bpInterface.MapObjectToBroadPhaseLayer(LAYER_NON_MOVING, new J.BroadPhaseLayer(0));
  bpInterface.MapObjectToBroadPhaseLayer(LAYER_MOVING, new J.BroadPhaseLayer(1));
  settings.mObjectLayerPairFilter = pairs;
  settings.mBroadPhaseLayerInterface = bpInterface;
  settings.mObjectVsBroadPhaseLayerFilter = new J.ObjectVsBroadPhaseLayerFilterTable(bpInterface, 2, pairs, 2);
  return settings;
}

/**
 * A character scene: statics (BoxShape), the terrain (HeightFieldShapeSettings: one sample per
 * height, offset at the terrain's origin, scale (cell, 1, cell); Jolt's default 8 bits per
 * sample within each block) and the buildings (MeshShapeSettings of their triangle lists) as
 * static bodies; each character a CharacterVirtual (CapsuleShape centred on its position,
 * supporting volume below the lower hemisphere's centre, slope limit 45 degrees, mass 70 kg,
 * other settings default) in one CharacterVsCharacterCollisionSimple so characters block each
 * other. Every step: each character's velocity = walk velocity plus vertical speed (0 when on
 * ground, else the last one plus g dt), then ExtendedUpdate (stick to floor 0.5 m down, walk
 * stairs 0.3 m up), then PhysicsSystem.Update (nothing dynamic: the statics only).
 */
function createCharacterWorld(J: JoltApi, scene: SceneSpec): PeerWorld {
  const ch = scene.characters;
  const t = scene.terrain;
  if (!ch || !t) throw new Error(`scene ${scene.kind} has no characters`);
  if (t.nx !== t.nz || t.nx % 2 !== 0) throw new UnsupportedSceneError(`Jolt heightfields are square with an even sample count; terrain is ${t.nx} x ${t.nz}`);
  const settings = layerSettings(J);
  const statics = scene.statics.length + 1 + (scene.meshes?.length ?? 0);
  settings.mMaxBodies = statics + 16;
  const ji = new J.JoltInterface(settings);
  J.destroy(settings);
  const system = ji.GetPhysicsSystem();
  const bi = system.GetBodyInterface();
  const gravity = new J.Vec3(scene.gravity[0], scene.gravity[1], scene.gravity[2]);
  system.SetGravity(gravity);
  const rvec = new J.RVec3(0, 0, 0);
  const vec = new J.Vec3(0, 0, 0);
  const identity = new J.Quat(0, 0, 0, 1);
  const addStatic = (shape: InstanceType<JoltApi['Shape']>, x: number, y: number, z: number): void => {
    rvec.Set(x, y, z);
    const cs = new J.BodyCreationSettings(shape, rvec, identity, J.EMotionType_Static, LAYER_NON_MOVING);
    cs.mFriction = scene.friction;
    cs.mRestitution = scene.restitution;
    bi.CreateAndAddBody(cs, J.EActivation_DontActivate);
    J.destroy(cs);
  };
  const created = (r: InstanceType<JoltApi['ShapeResult']>, what: string): InstanceType<JoltApi['Shape']> => {
    if (r.HasError()) throw new Error(`jolt: ${what}: ${r.GetError().c_str()}`);
    return r.Get();
  };
  for (const b of scene.statics) {
    vec.Set(b.halfExtents[0], b.halfExtents[1], b.halfExtents[2]);
    addStatic(new J.BoxShape(vec), b.center[0], b.center[1], b.center[2]);
  }
  const hs = new J.HeightFieldShapeSettings();
  hs.mOffset = new J.Vec3(t.origin[0], 0, t.origin[1]);
  hs.mScale = new J.Vec3(t.cell, 1, t.cell);
  hs.mSampleCount = t.nx;
  const samples = hs.mHeightSamples;
  samples.clear();
  samples.reserve(t.nx * t.nz);
  for (let k = 0; k < t.nx * t.nz; k++) samples.push_back(t.heights[k]);
  addStatic(created(hs.Create(), 'heightfield'), 0, 0, 0);
  for (const m of scene.meshes ?? []) {
    const list = new J.TriangleList();
    const tr = m.triangles;
    for (let k = 0; k < tr.length; k += 9) {
      const a = new J.Vec3(tr[k], tr[k + 1], tr[k + 2]),
        b = new J.Vec3(tr[k + 3], tr[k + 4], tr[k + 5]),
        c = new J.Vec3(tr[k + 6], tr[k + 7], tr[k + 8]);
      list.push_back(new J.Triangle(a, b, c));
      J.destroy(a);
      J.destroy(b);
      J.destroy(c);
    }
    addStatic(created(new J.MeshShapeSettings(list).Create(), m.name), 0, 0, 0);
  }
  system.OptimizeBroadPhase();

  const n = scene.n;
  const p = scene.positions;
  const capsule = new J.CapsuleShape(ch.halfHeight, ch.radius);
  const cvc = new J.CharacterVsCharacterCollisionSimple();
  const chars: InstanceType<JoltApi['CharacterVirtual']>[] = new Array(n);
  const up = new J.Vec3(0, 1, 0);
  for (let i = 0; i < n; i++) {
    const cs = new J.CharacterVirtualSettings();
    cs.mShape = capsule;
    cs.mMass = ch.mass;
    cs.mMaxSlopeAngle = (45 * Math.PI) / 180;
    cs.mSupportingVolume = new J.Plane(up, ch.halfHeight);
    rvec.Set(p[3 * i], p[3 * i + 1], p[3 * i + 2]);
    const c = new J.CharacterVirtual(cs, rvec, identity, system);
    c.SetCharacterVsCharacterCollision(cvc);
    cvc.Add(c);
    chars[i] = c;
  }
  const upd = new J.ExtendedUpdateSettings();
  upd.mWalkStairsStepUp = new J.Vec3(0, 0.3, 0);
  upd.mStickToFloorStepDown = new J.Vec3(0, -0.5, 0);
  const bpFilter = new J.DefaultBroadPhaseLayerFilter(ji.GetObjectVsBroadPhaseLayerFilter(), LAYER_MOVING);
  const objFilter = new J.DefaultObjectLayerFilter(ji.GetObjectLayerPairFilter(), LAYER_MOVING);
  const bodyFilter = new J.BodyFilter();
  const shapeFilter = new J.ShapeFilter();
  const temp = ji.GetTempAllocator();
  const walk = new Float64Array(2 * n);
  const vy = new Float64Array(n);
  const dt = scene.dt;
  const readPositions = (out: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      const q = chars[i].GetPosition();
      out[3 * i] = q.GetX();
      out[3 * i + 1] = q.GetY();
      out[3 * i + 2] = q.GetZ();
    }
  };
  return {
    bodyCount: n + statics,
    setWalk(idx, vx, vz): void {
      walk[2 * idx] = vx;
      walk[2 * idx + 1] = vz;
    },
    step(): void {
      for (let i = 0; i < n; i++) {
        const c = chars[i];
        vy[i] = c.GetGroundState() === J.EGroundState_OnGround ? 0 : vy[i] + scene.gravity[1] * dt;
        vec.Set(walk[2 * i], vy[i], walk[2 * i + 1]);
        c.SetLinearVelocity(vec);
        c.ExtendedUpdate(dt, gravity, upd, bpFilter, objFilter, bodyFilter, shapeFilter, temp);
      }
      ji.Step(dt, 1);
    },
    readPositions,
    readVelocities(out: Float64Array): void {
      for (let i = 0; i < n; i++) {
        const u = chars[i].GetLinearVelocity();
        out[3 * i] = u.GetX();
        out[3 * i + 1] = u.GetY();
        out[3 * i + 2] = u.GetZ();
      }
    },
    sleepingCount: () => 0,
    positionsChecksum(): number {
      const out = new Float64Array(3 * n);
      readPositions(out);
      return checksumPositions(out);
    },
    dispose(): void {
      J.destroy(ji);
    },
  };
}

function createWorld(J: JoltApi, scene: SceneSpec): PeerWorld {
  if (scene.characters) return createCharacterWorld(J, scene);
  const bodies = scene.n + scene.statics.length;
  if (bodies > JOLT_MAX_BODIES) {
    throw new UnsupportedSceneError(`does not fit: jolt-physics' WASM heap is fixed at 128 MiB (at most ~${JOLT_MAX_BODIES} bodies), scene has ${bodies}`);
  }
  const settings = layerSettings(J);
  settings.mMaxBodies = bodies + 16;
  // Box scenes: a cube of the pyramid rests on 4 others, a box in a pile touches 6 or more: 6 per body.
  settings.mMaxContactConstraints = joltContactConstraints(bodies, APART_SCENES.has(scene.kind), scene.boxes ? 6 : 4);
  const ji = new J.JoltInterface(settings);
  J.destroy(settings);
  const system = ji.GetPhysicsSystem();
  const bi = system.GetBodyInterface();
  const g = new J.Vec3(scene.gravity[0], scene.gravity[1], scene.gravity[2]);
  system.SetGravity(g);
  J.destroy(g);

  const rvec = new J.RVec3(0, 0, 0);
  const vec = new J.Vec3(0, 0, 0);
  const zero = new J.Vec3(0, 0, 0);
  const identity = new J.Quat(0, 0, 0, 1);
  for (const b of scene.statics) {
    vec.Set(b.halfExtents[0], b.halfExtents[1], b.halfExtents[2]);
    rvec.Set(b.center[0], b.center[1], b.center[2]);
    const cs = new J.BodyCreationSettings(new J.BoxShape(vec), rvec, identity, J.EMotionType_Static, LAYER_NON_MOVING);
    cs.mFriction = scene.friction;
    cs.mRestitution = scene.restitution;
    bi.CreateAndAddBody(cs, J.EActivation_DontActivate);
    J.destroy(cs);
  }

  const n = scene.n;
  // Body objects, not BodyIDs: a returned BodyID wraps one reused temporary of the binding.
  const spheres: InstanceType<JoltApi['Body']>[] = new Array(n);
  const shapes = new Map<string | number, InstanceType<JoltApi['ConvexShape']>>();
  const p = scene.positions;
  const v = scene.velocities;
  const boxes = scene.boxes;
  const rot = new J.Quat(0, 0, 0, 1);
  /** The (shared) shape of body i: a sphere of its radius, or a box of its half extents. */
  const shapeOf = (i: number): InstanceType<JoltApi['ConvexShape']> => {
    const key = boxes ? `${boxes.half[3 * i]},${boxes.half[3 * i + 1]},${boxes.half[3 * i + 2]}` : sphereRadius(scene, i);
    let shape = shapes.get(key);
    if (!shape) {
      if (boxes) {
        vec.Set(boxes.half[3 * i], boxes.half[3 * i + 1], boxes.half[3 * i + 2]);
        shape = new J.BoxShape(vec);
      } else shape = new J.SphereShape(sphereRadius(scene, i));
      shape.SetDensity(scene.density);
      shapes.set(key, shape);
    }
    return shape;
  };
  for (let i = 0; i < n; i++) {
    const shape = shapeOf(i);
    rvec.Set(p[3 * i], p[3 * i + 1], p[3 * i + 2]);
    if (boxes) {
      const q = boxes.orientations;
      rot.Set(q[4 * i], q[4 * i + 1], q[4 * i + 2], q[4 * i + 3]);
    }
    const cs = new J.BodyCreationSettings(shape, rvec, boxes ? rot : identity, J.EMotionType_Dynamic, LAYER_MOVING);
    vec.Set(v[3 * i], v[3 * i + 1], v[3 * i + 2]);
    cs.mLinearVelocity = vec;
    cs.mFriction = scene.friction;
    cs.mRestitution = scene.restitution;
    cs.mLinearDamping = 0;
    cs.mAngularDamping = 0;
    cs.mAllowSleeping = scene.sleep;
    const asleep = scene.sleep && scene.asleepFrom !== undefined && i >= scene.asleepFrom;
    const body = bi.CreateBody(cs);
    J.destroy(cs);
    bi.AddBody(body.GetID(), asleep ? J.EActivation_DontActivate : J.EActivation_Activate);
    spheres[i] = body;
  }
  system.OptimizeBroadPhase();

  const query = system.GetNarrowPhaseQuery();
  const rayCast = new J.RRayCast();
  const rayOrigin = new J.RVec3(0, 0, 0);
  const rayDir = new J.Vec3(0, -1, 0);
  const raySettings = new J.RayCastSettings();
  const collector = new J.CastRayClosestHitCollisionCollector();
  const bpFilter = new J.DefaultBroadPhaseLayerFilter(ji.GetObjectVsBroadPhaseLayerFilter(), LAYER_MOVING);
  const objFilter = new J.DefaultObjectLayerFilter(ji.GetObjectLayerPairFilter(), LAYER_MOVING);
  const bodyFilter = new J.BodyFilter();
  const shapeFilter = new J.ShapeFilter();

  const readPositions = (out: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      const t = spheres[i].GetPosition();
      out[3 * i] = t.GetX();
      out[3 * i + 1] = t.GetY();
      out[3 * i + 2] = t.GetZ();
    }
  };
  const dt = scene.dt;
  return {
    bodyCount: bodies,
    step(): void {
      try {
        ji.Step(dt, 1);
      } catch (e) {
        throw new Error(`${JOLT_STEP_ABORT}: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    recycle(idx, pos, vel): void {
      rvec.Set(pos[0], pos[1], pos[2]);
      bi.SetPositionAndRotation(spheres[idx].GetID(), rvec, identity, J.EActivation_Activate);
      vec.Set(vel[0], vel[1], vel[2]);
      bi.SetLinearAndAngularVelocity(spheres[idx].GetID(), vec, zero);
    },
    readPositions,
    readOrientations(out: Float64Array): void {
      for (let i = 0; i < n; i++) {
        const r = spheres[i].GetRotation();
        out[4 * i] = r.GetX();
        out[4 * i + 1] = r.GetY();
        out[4 * i + 2] = r.GetZ();
        out[4 * i + 3] = r.GetW();
      }
    },
    readVelocities(out: Float64Array): void {
      for (let i = 0; i < n; i++) {
        const u = spheres[i].GetLinearVelocity();
        out[3 * i] = u.GetX();
        out[3 * i + 1] = u.GetY();
        out[3 * i + 2] = u.GetZ();
      }
    },
    sleepingCount(): number {
      let k = 0;
      for (let i = 0; i < n; i++) if (!spheres[i].IsActive()) k++;
      return k;
    },
    raycast(origin, dir, maxDist): number {
      rayOrigin.Set(origin[0], origin[1], origin[2]);
      rayDir.Set(dir[0] * maxDist, dir[1] * maxDist, dir[2] * maxDist);
      rayCast.mOrigin = rayOrigin;
      rayCast.mDirection = rayDir;
      collector.Reset();
      query.CastRay(rayCast, raySettings, collector, bpFilter, objFilter, bodyFilter, shapeFilter);
      return collector.HadHit() ? collector.mHit.mFraction * maxDist : -1;
    },
    positionsChecksum(): number {
      const out = new Float64Array(3 * n);
      readPositions(out);
      return checksumPositions(out);
    },
    dispose(): void {
      J.destroy(ji);
    },
  };
}

/** Loads the wasm-compat build once per process. */
export const loadJolt: PeerAdapterLoader = async (): Promise<PeerAdapter> => {
  const file = require.resolve('jolt-physics/wasm-compat');
  const init = (await importEsm(pathToFileURL(file).href)).default;
  const J = await init();
  return {
    name: 'jolt',
    pkg: 'jolt-physics',
    version: installedVersion('jolt-physics') ?? 'unknown',
    notes:
      'single-threaded WASM (wasm-compat build); two object/broadphase layers (NON_MOVING statics, MOVING spheres); ' +
      'PhysicsSettings default (10 velocity + 2 position steps, sleep after 0.5 s below 0.03 m/s); 1 collision step per dt; ' +
      'SphereShape (box scenes: dynamic BoxShape) density 1000, BoxShape default convex radius; damping 0 (Jolt default 0.05); resting spheres added asleep; ' +
      'npm build limits: fixed 128 MiB heap (worlds over 150,000 bodies skipped) and 10 MiB temp allocator ' +
      '(about 20,000 contact constraints per step at most; more contacts are dropped by Jolt)',
    create: (scene) => createWorld(J, scene),
  };
};
