/**
 * Convex hulls across shard borders (issue 18): tumbling hulls, hull stacks and hulls on
 * boxes straddling x = 0 give the unsharded world's hash at every tick (2 shards, exchange per
 * tick and per pass, on this thread and on 2 workers), and a sharded and an unsharded world
 * saved mid-run continue bit for bit after restore. Hull geometry reaches every shard world
 * before the first record naming it (ShardedWorld.addHullShape / addHull).
 */
import { ShardedWorld } from '../src/physics/sharded';
import type { PhysicsWorld, WorldConfig } from '../src/physics/world';
import { expectRestoredContinue, expectShardedHashes, physicsCode, unshardedHashes } from './helpers/sharded-match';

type V3 = [number, number, number];
const cuboid = (h: V3): V3[] => [-1, 1].flatMap((x) => [-1, 1].flatMap((y) => [-1, 1].map((z) => [x * h[0], y * h[1], z * h[2]] as V3)));
const s = 0.35 / Math.SQRT2;
const TET: V3[] = [
  [s, s, s],
  [s, -s, -s],
  [-s, s, -s],
  [-s, -s, s],
];
/** A wedge (triangular prism, 6 vertices): not symmetric, so its principal frame is turned. */
const WEDGE: V3[] = [
  [-0.3, 0, -0.2],
  [0.3, 0, -0.2],
  [-0.3, 0, 0.2],
  [0.3, 0, 0.2],
  [-0.3, 0.4, -0.2],
  [-0.3, 0.4, 0.2],
];

type Target = Pick<PhysicsWorld, 'addPlane' | 'addHullShape' | 'addHull' | 'addDynamicBox' | 'addSphere'>;

/** Hulls around x = 0: a stack of hull cubes on the border, tumbling tetrahedra and wedges thrown across it, a hull on a box, a ball hitting a hull. */
function hullScene(t: Target): void {
  t.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0.5 });
  const cube = t.addHullShape(cuboid([0.3, 0.3, 0.3]));
  for (let k = 0; k < 3; k++) t.addHull({ position: [0.05, 0.3 + 0.6 * k, 0], shape: cube, density: 500, friction: 0.6 });
  for (let k = 0; k < 3; k++)
    t.addHull({ position: [-1.2 + 0.2 * k, 1 + 0.8 * k, 1], vertices: TET, density: 300, velocity: [2, 0, -0.3], angularVelocity: [3, 1 - k, 2] });
  t.addHull({
    position: [1, 1.5, -1],
    vertices: WEDGE,
    density: 400,
    velocity: [-2.5, 0, 0.2],
    angularVelocity: [0, 4, 1],
    orientation: [0.2, 0.1, 0.3, 0.93],
  });
  t.addDynamicBox({ position: [-0.5, 0.25, -1], half: [0.35, 0.25, 0.35], density: 300, friction: 0.5 });
  t.addHull({ position: [-0.4, 1, -1], shape: cube, density: 300, angularVelocity: [0, 0, 2] });
  t.addSphere({ position: [1.5, 0.3, 0.2], radius: 0.3, mass: 20, velocity: [-3, 0, 0] });
}

const config: WorldConfig = { capacity: 32, maxBodyRadius: 0.6, sleep: { enabled: false }, geometryWords: 4096 };
const TICKS = 180;

const unshardedRun = (): bigint[] => unshardedHashes(config, hullScene, TICKS);

describe('hulls across a shard border', () => {
  let reference: bigint[] = [];
  beforeAll(() => {
    reference = unshardedRun();
  });

  test('the scene moves and hashes the same in two fresh worlds', () => {
    expect(unshardedRun()).toEqual(reference);
    expect(new Set(reference).size).toBeGreaterThan(TICKS / 2);
  });

  test.each([
    ['tick', 'tick' as const, 0],
    ['pass', 'pass' as const, 0],
    ['pass on 2 worker threads', 'pass' as const, 2],
  ])('2 shards exchanging per %s give the unsharded hash every tick', async (_n, exchange, workers) => {
    await expectShardedHashes(config, { xCuts: [0], zCuts: [] }, { workers, exchange }, hullScene, reference);
  });

  test('save at tick 60, restore: the sharded and the unsharded world continue bit for bit', async () => {
    await expectRestoredContinue(config, { xCuts: [0], zCuts: [] }, hullScene, 60, reference);
  });

  test('shard processes start with the hulls of the copy; while they run, new hull geometry is refused (HULLS_UNSHARDED), shapes made before are not', async () => {
    const sharded = new ShardedWorld(config, { xCuts: [0], zCuts: [] }, undefined, { exchange: 'tick' });
    try {
      const tet = sharded.addHullShape(TET);
      sharded.addHull({ position: [0, 1, 0], shape: tet, density: 1 });
      sharded.attachRunner({} as Parameters<ShardedWorld['attachRunner']>[0]);
      expect(physicsCode(() => sharded.addHullShape(WEDGE))).toBe('HULLS_UNSHARDED');
      expect(physicsCode(() => sharded.addHull({ position: [1, 1, 0], vertices: WEDGE, density: 1 }))).toBe('HULLS_UNSHARDED');
      expect(physicsCode(() => sharded.addHull({ position: [1, 1, 0], shape: tet, density: 1 }))).toBeUndefined();
    } finally {
      await sharded.close();
    }
  });
});
