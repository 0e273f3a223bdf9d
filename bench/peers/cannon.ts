/**
 * cannon-es peer adapters (pure JavaScript).
 *
 * Settings: allowSleep as the scene says (cannon's default thresholds: 0.1 m/s for 1 s;
 * spheres the scene marks as at rest are put to sleep at creation); default GSSolver (10 iterations, tolerance
 * 1e-7); world.defaultContactMaterial friction/restitution from the scene
 * (every body uses the default material, so there is no combine rule);
 * mass = scene.sphereMass (cannon-es takes masses, not densities); one shared
 * Sphere shape; static Box bodies; fixed step world.step(dt) (no
 * interpolation / substeps).
 * broadphase.useBoundingBoxes: true for SAP, false (bounding spheres) for the
 * grid, whichever was faster for each.
 *
 * Broadphases: 'cannon-sap' = SAPBroadphase (sorted along the axis of largest
 * variance, re-detected every 30 steps); 'cannon-grid' = GridBroadphase over
 * the scene's box interior, cells about 1.1 m, with its pair de-duplication
 * fixed (see FixedGridBroadphase); 'cannon-naive' = NaiveBroadphase (O(n^2)).
 */
import * as CANNON from 'cannon-es';
import { type PeerAdapter, type PeerAdapterLoader, type PeerWorld, UnsupportedSceneError } from './adapter';
import { checksumPositions, sphereMassOf, sphereRadius, type SceneSpec } from './scenes';
import { installedVersion } from './pkgversion';

export type CannonBroadphase = 'sap' | 'grid' | 'naive';

/**
 * Stock cannon-es 0.20.0 has two per-step costs that grow quadratically and
 * dominate from a few thousand bodies on, whatever the broadphase:
 *  - World.bodyOverlapKeeper / shapeOverlapKeeper.set() keep a sorted array by
 *    insertion sort: O(contacts^2) per step (5,000 piled spheres: ~6 s/step);
 *  - World.collisionMatrix(Previous) are ArrayCollisionMatrix with n(n-1)/2
 *    entries, all zeroed every step: O(n^2) time and memory (and the index
 *    i*(i+1)>>1 overflows int32 beyond ~46,000 bodies).
 * `patchQuadratic` (engine "cannon-sap-patched", NOT stock cannon-es) replaces
 * both with hash-set versions that behave the same for the solver.
 */
const PAIR_MUL = 67108864; // 2^26: body ids stay far below this here

class SetCollisionMatrix {
  private readonly set_ = new Set<number>();
  get(bi: CANNON.Body, bj: CANNON.Body): boolean {
    const a = bi.id;
    const b = bj.id;
    return this.set_.has(a < b ? a * PAIR_MUL + b : b * PAIR_MUL + a);
  }
  set(bi: CANNON.Body, bj: CANNON.Body, value: boolean): void {
    const a = bi.id;
    const b = bj.id;
    const k = a < b ? a * PAIR_MUL + b : b * PAIR_MUL + a;
    if (value) this.set_.add(k);
    else this.set_.delete(k);
  }
  reset(): void {
    this.set_.clear();
  }
  setNumObjects(_n: number): void {
    /* unbounded */
  }
}

/** Same contract as cannon's OverlapKeeper, but set() is O(1) amortised. */
interface KeeperLike {
  current: number[];
  previous: number[];
  set(i: number, j: number): void;
  getDiff(additions: number[], removals: number[]): void;
}
function patchOverlapKeeper(k: KeeperLike): void {
  const sortUnique = (a: number[]): void => {
    a.sort((x, y) => x - y);
    let w = 0;
    for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[w - 1]) a[w++] = a[i];
    a.length = w;
  };
  const origGetDiff = k.getDiff.bind(k);
  k.set = function set(i: number, j: number): void {
    if (j < i) {
      const t = j;
      j = i;
      i = t;
    }
    this.current.push((i << 16) | j); // same (overflowing) key as cannon-es
  };
  k.getDiff = function getDiff(additions: number[], removals: number[]): void {
    sortUnique(this.current);
    sortUnique(this.previous);
    origGetDiff(additions, removals);
  };
}

function patchQuadratic(world: CANNON.World): void {
  const w = world as unknown as {
    collisionMatrix: unknown;
    collisionMatrixPrevious: unknown;
    bodyOverlapKeeper: KeeperLike;
    shapeOverlapKeeper: KeeperLike;
  };
  w.collisionMatrix = new SetCollisionMatrix();
  w.collisionMatrixPrevious = new SetCollisionMatrix();
  patchOverlapKeeper(w.bodyOverlapKeeper);
  patchOverlapKeeper(w.shapeOverlapKeeper);
}

/**
 * cannon-es 0.20.0's Broadphase.makePairsUnique (used only by
 * GridBroadphase) is broken: it pops keys in a loop whose bound is the
 * shrinking key list, so it keeps only about half of the pairs and leaves
 * stale keys behind, which crash the narrowphase on the next step ("Cannot
 * read properties of undefined (reading 'material')") or exhaust the heap.
 * This subclass replaces it with a correct, allocation-free dedup.
 */
class FixedGridBroadphase extends CANNON.GridBroadphase {
  private readonly seen = new Set<number>();

  override makePairsUnique(pairs1: CANNON.Body[], pairs2: CANNON.Body[]): void {
    const seen = this.seen;
    seen.clear();
    let w = 0;
    for (let i = 0; i < pairs1.length; i++) {
      const a = pairs1[i].id;
      const b = pairs2[i].id;
      const key = a < b ? a * 67108864 + b : b * 67108864 + a; // ids < 2^26
      if (seen.has(key)) continue;
      seen.add(key);
      pairs1[w] = pairs1[i];
      pairs2[w] = pairs2[i];
      w++;
    }
    pairs1.length = w;
    pairs2.length = w;
  }
}

function createWorld(scene: SceneSpec, broadphase: CannonBroadphase, patched: boolean): PeerWorld {
  if (scene.boxes) throw new UnsupportedSceneError(`the cannon-es adapter has no dynamic boxes (scene ${scene.kind})`);
  if (scene.characters) throw new UnsupportedSceneError(`the cannon-es adapter has no character controller, heightfield or mesh setup (scene ${scene.kind})`);
  const world = new CANNON.World({
    gravity: new CANNON.Vec3(scene.gravity[0], scene.gravity[1], scene.gravity[2]),
    allowSleep: scene.sleep,
  });
  if (patched) patchQuadratic(world);
  world.defaultContactMaterial.friction = scene.friction;
  world.defaultContactMaterial.restitution = scene.restitution;

  let sap: CANNON.SAPBroadphase | undefined;
  if (broadphase === 'sap') {
    sap = new CANNON.SAPBroadphase(world);
    world.broadphase = sap;
  } else if (broadphase === 'grid') {
    const { min, max } = scene.interior;
    const cell = 1.1; // best of 1.1 / 2.2 / 3.3 m measured on pile and rain at N=1000
    const nx = Math.max(1, Math.ceil((max[0] - min[0]) / cell));
    const ny = Math.max(1, Math.ceil((max[1] - min[1]) / cell));
    const nz = Math.max(1, Math.ceil((max[2] - min[2]) / cell));
    world.broadphase = new FixedGridBroadphase(new CANNON.Vec3(min[0], min[1], min[2]), new CANNON.Vec3(max[0], max[1], max[2]), nx, ny, nz);
  } else {
    world.broadphase = new CANNON.NaiveBroadphase();
  }
  // SAP: AABB instead of bounding-sphere pair tests (the floor/wall boxes have
  // huge bounding spheres that pair them with almost every sphere); measured
  // 1.3-2x faster for SAP here. The grid does better with bounding spheres.
  world.broadphase.useBoundingBoxes = broadphase === 'sap';

  for (const b of scene.statics) {
    const body = new CANNON.Body({
      mass: 0,
      type: CANNON.Body.STATIC,
      shape: new CANNON.Box(new CANNON.Vec3(b.halfExtents[0], b.halfExtents[1], b.halfExtents[2])),
      position: new CANNON.Vec3(b.center[0], b.center[1], b.center[2]),
    });
    world.addBody(body);
  }

  const n = scene.n;
  const shared = new CANNON.Sphere(scene.radius);
  const bodies: CANNON.Body[] = new Array(n);
  const p = scene.positions;
  const v = scene.velocities;
  for (let i = 0; i < n; i++) {
    const body = new CANNON.Body({
      mass: sphereMassOf(scene, i),
      shape: scene.radii ? new CANNON.Sphere(sphereRadius(scene, i)) : shared,
      position: new CANNON.Vec3(p[3 * i], p[3 * i + 1], p[3 * i + 2]),
      velocity: new CANNON.Vec3(v[3 * i], v[3 * i + 1], v[3 * i + 2]),
      allowSleep: scene.sleep,
    });
    world.addBody(body);
    if (scene.sleep && scene.asleepFrom !== undefined && i >= scene.asleepFrom) body.sleep();
    bodies[i] = body;
  }
  if (sap) sap.autoDetectAxis();

  const readPositions = (out: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      const t = bodies[i].position;
      out[3 * i] = t.x;
      out[3 * i + 1] = t.y;
      out[3 * i + 2] = t.z;
    }
  };

  let steps = 0;
  const dt = scene.dt;
  const from = new CANNON.Vec3();
  const to = new CANNON.Vec3();
  const hit = new CANNON.RaycastResult();
  return {
    bodyCount: world.bodies.length,
    step(): void {
      world.step(dt);
      steps++;
      if (sap && steps % 30 === 0) sap.autoDetectAxis();
    },
    recycle(idx, pos, vel): void {
      const b = bodies[idx];
      b.position.set(pos[0], pos[1], pos[2]);
      b.previousPosition.set(pos[0], pos[1], pos[2]);
      b.interpolatedPosition.set(pos[0], pos[1], pos[2]);
      b.quaternion.set(0, 0, 0, 1);
      b.velocity.set(vel[0], vel[1], vel[2]);
      b.angularVelocity.set(0, 0, 0);
      b.aabbNeedsUpdate = true;
      b.wakeUp(); // a sleeping body stays put after a teleport otherwise
    },
    readPositions,
    readVelocities(out: Float64Array): void {
      for (let i = 0; i < n; i++) {
        const v = bodies[i].velocity;
        out[3 * i] = v.x;
        out[3 * i + 1] = v.y;
        out[3 * i + 2] = v.z;
      }
    },
    sleepingCount(): number {
      let k = 0;
      for (let i = 0; i < n; i++) if (bodies[i].sleepState === CANNON.Body.SLEEPING) k++;
      return k;
    },
    raycast(origin, dir, maxDist): number {
      from.set(origin[0], origin[1], origin[2]);
      to.set(origin[0] + dir[0] * maxDist, origin[1] + dir[1] * maxDist, origin[2] + dir[2] * maxDist);
      hit.reset();
      return world.raycastClosest(from, to, {}, hit) ? hit.distance : -1;
    },
    positionsChecksum(): number {
      const out = new Float64Array(3 * n);
      readPositions(out);
      return checksumPositions(out);
    },
    dispose(): void {
      // Pure JS: nothing to free explicitly (world.removeBody is O(n) per call,
      // so tearing down 1e5 bodies one by one would take minutes).
    },
  };
}

export function cannonLoader(broadphase: CannonBroadphase, patched = false): PeerAdapterLoader {
  return async (): Promise<PeerAdapter> => ({
    name: `cannon-${broadphase}${patched ? '-patched' : ''}`,
    pkg: 'cannon-es',
    version: installedVersion('cannon-es') ?? 'unknown',
    notes:
      `pure JS; ${broadphase === 'sap' ? 'SAPBroadphase (AABB tests, autoDetectAxis every 30 steps)' : broadphase === 'grid' ? 'GridBroadphase (~1.1 m cells over the box interior, bounding-sphere tests; makePairsUnique bug fixed in a subclass)' : 'NaiveBroadphase'}; ` +
      `GSSolver default 10 iterations; allowSleep per scene (defaults 0.1 m/s for 1 s); raycastClosest; default contact material friction/restitution; mass = sphereMass` +
      (patched ? '; PATCHED (not stock): hash-set collision matrices and O(1) OverlapKeeper.set instead of O(n^2)/O(contacts^2) ones' : ''),
    create: (scene) => createWorld(scene, broadphase, patched),
  });
}
