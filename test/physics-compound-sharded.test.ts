/**
 * Compound bodies across shard borders (issue 18): dumbbells, Ls and hull-on-ball compounds
 * tumbling across x = 0 and z = 0, landing on each other, on boxes and hulls, give the unsharded
 * world's hash at every tick with 1, 2 and 4 shards (exchange per tick and per pass, on this
 * thread and on 2 workers); a sharded and an unsharded world saved mid-run continue bit for bit
 * after restore; shard processes run the compounds of their copy and refuse new compound geometry
 * (COMPOUNDS_UNSHARDED), as for hulls (the demo in a LocalCluster: test/scene-demo-joints.test.ts).
 */
import type { CompoundChild } from '../src/physics/compound';
import { ShardedWorld } from '../src/physics/sharded';
import type { PhysicsWorld, WorldConfig } from '../src/physics/world';
import { expectRestoredContinue, expectShardedHashes, physicsCode, unshardedHashes } from './helpers/sharded-match';

type V3 = [number, number, number];
const DUMBBELL: CompoundChild[] = [
  { shape: 'sphere', radius: 0.15, position: [-0.35, 0, 0] },
  { shape: 'sphere', radius: 0.15, position: [0.35, 0, 0] },
  { shape: 'box', half: [0.2, 0.03, 0.03], density: 2000 },
];
const L_SHAPE: CompoundChild[] = [
  { shape: 'box', half: [0.3, 0.08, 0.08], position: [0.3, 0, 0], density: 500 },
  { shape: 'box', half: [0.08, 0.2, 0.08], position: [0.08, 0.28, 0], density: 500, orientation: [0, 0.1, 0, 0.995] },
];
const TET: V3[] = [
  [0, 0, 0],
  [0.3, 0, 0],
  [0, 0.3, 0],
  [0, 0, 0.3],
];

type Target = Pick<
  PhysicsWorld,
  'addPlane' | 'addHullShape' | 'addHull' | 'addCompoundShape' | 'addCompound' | 'addDynamicBox' | 'addSphere' | 'addRotatingCapsule'
>;

/** Compounds around the origin, thrown across both cuts. */
function compoundScene(t: Target): void {
  t.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0.5 });
  const tet = t.addHullShape(TET);
  const shapes = [
    t.addCompoundShape(DUMBBELL),
    t.addCompoundShape(L_SHAPE),
    t.addCompoundShape([
      { shape: 'hull', hull: tet, position: [-0.1, 0.1, -0.1], density: 700 },
      { shape: 'sphere', radius: 0.12, position: [0, -0.1, 0] },
      { shape: 'capsule', radius: 0.06, halfHeight: 0.15, position: [0, 0, 0.15], orientation: [Math.SQRT1_2, 0, 0, Math.SQRT1_2] },
    ]),
  ];
  for (let k = 0; k < 9; k++) {
    const a = (k * 2 * Math.PI) / 9;
    t.addCompound({
      shape: shapes[k % 3],
      position: [0.9 * Math.cos(a), 0.5 + 0.45 * k, 0.9 * Math.sin(a)],
      velocity: [-1.5 * Math.cos(a), 0, -1.5 * Math.sin(a)],
      angularVelocity: [1 + (k % 3), 2 - (k % 2), k % 4],
      orientation: [0.1 * (k % 3), 0.2, -0.1, 0.97],
      friction: 0.6,
    });
  }
  t.addDynamicBox({ position: [0.05, 0.25, 0.05], half: [0.25, 0.25, 0.25], density: 300, friction: 0.5 });
  t.addHull({ position: [-0.6, 0.2, 0.5], shape: tet, density: 400 });
  t.addSphere({ position: [1.6, 0.3, -0.1], radius: 0.3, mass: 20, velocity: [-3, 0, 0] });
  t.addRotatingCapsule({ position: [-0.2, 1, -1.2], radius: 0.1, halfHeight: 0.3, density: 500, velocity: [0, 0, 2] });
}

const config: WorldConfig = { capacity: 48, maxBodyRadius: 0.6, sleep: { enabled: false }, geometryWords: 4096 };
const TICKS = 150;

const unshardedRun = (): bigint[] => unshardedHashes(config, compoundScene, TICKS);

describe('compounds across shard borders', () => {
  let reference: bigint[] = [];
  beforeAll(() => {
    reference = unshardedRun();
  });

  test('the scene moves and hashes the same in two fresh worlds', () => {
    expect(unshardedRun()).toEqual(reference);
    expect(new Set(reference).size).toBeGreaterThan(TICKS / 2);
  });

  test.each([
    ['1 shard, per tick', [], [], 'tick' as const, 0],
    ['2 shards, per tick', [0], [], 'tick' as const, 0],
    ['4 shards, per tick', [0], [0], 'tick' as const, 0],
    ['4 shards, per pass on 2 worker threads', [0], [0], 'pass' as const, 2],
  ])('%s: the unsharded hash every tick', async (_n, xCuts, zCuts, exchange, workers) => {
    await expectShardedHashes(config, { xCuts, zCuts }, { workers, exchange }, compoundScene, reference);
  });

  test('save at tick 50, restore: the sharded (4 shards) and the unsharded world continue bit for bit', async () => {
    await expectRestoredContinue(config, { xCuts: [0], zCuts: [0] }, compoundScene, 50, reference);
  });

  test('shard processes start with the compounds of the copy; while they run, new compound geometry is refused (COMPOUNDS_UNSHARDED), shapes made before are not', async () => {
    const sharded = new ShardedWorld(config, { xCuts: [0], zCuts: [] }, undefined, { exchange: 'tick' });
    try {
      const dumbbell = sharded.addCompoundShape(DUMBBELL);
      sharded.addCompound({ position: [0, 1, 0], shape: dumbbell });
      sharded.attachRunner({} as Parameters<ShardedWorld['attachRunner']>[0]);
      expect(physicsCode(() => sharded.addCompoundShape(L_SHAPE))).toBe('COMPOUNDS_UNSHARDED');
      expect(physicsCode(() => sharded.addCompound({ position: [1, 1, 0], children: L_SHAPE }))).toBe('COMPOUNDS_UNSHARDED');
      expect(physicsCode(() => sharded.addCompound({ position: [1, 1, 0], shape: dumbbell }))).toBeUndefined();
    } finally {
      await sharded.close();
    }
  });
});
