/**
 * Checks shared by the sharded shape tests (hulls, compounds; issue 18): a scene run in a
 * ShardedWorld gives the unsharded world's hash at every tick, a sharded and an unsharded world
 * saved mid-run continue bit for bit after restore, and the code of a refused call.
 */
import { ShardedWorld, type Partition, type ShardOptions } from '../../src/physics/sharded';
import { PhysicsError, PhysicsWorld, type WorldConfig } from '../../src/physics/world';

/** The hash after each of `ticks` steps of a fresh unsharded world built by `scene`. */
export function unshardedHashes<T>(config: WorldConfig, scene: (w: PhysicsWorld & T) => void, ticks: number): bigint[] {
  const w = PhysicsWorld.create(config);
  scene(w as PhysicsWorld & T);
  const out: bigint[] = [];
  for (let k = 0; k < ticks; k++) {
    w.step();
    out.push(w.hash());
  }
  return out;
}

/** Runs `scene` in a ShardedWorld (`partition`, `opts`) for reference.length ticks: the hash equals reference[k] at every tick k, and the last step's status is 0. */
export async function expectShardedHashes(
  config: WorldConfig,
  partition: Partition,
  opts: ShardOptions,
  scene: (w: ShardedWorld) => void,
  reference: readonly bigint[],
): Promise<void> {
  const sharded = new ShardedWorld(config, partition, undefined, opts);
  try {
    scene(sharded);
    for (let k = 0; k < reference.length; k++) {
      sharded.step();
      expect({ k, hash: sharded.hash() }).toEqual({ k, hash: reference[k] });
    }
    expect(sharded.lastStatus).toBe(0);
  } finally {
    await sharded.close();
  }
}

/** Runs `scene` sharded (`partition`) and unsharded to tick `at`, saves and restores both: each continues with reference[k] at every later tick k. */
export async function expectRestoredContinue(
  config: WorldConfig,
  partition: Partition,
  scene: (w: ShardedWorld | PhysicsWorld) => void,
  at: number,
  reference: readonly bigint[],
): Promise<void> {
  const sharded = new ShardedWorld(config, partition);
  const plain = PhysicsWorld.create(config);
  scene(sharded);
  scene(plain);
  for (let k = 0; k < at; k++) {
    sharded.step();
    plain.step();
  }
  const rs = ShardedWorld.restore(config, partition, sharded.save());
  const rp = PhysicsWorld.restore(plain.save());
  try {
    for (let k = at; k < reference.length; k++) {
      rs.step();
      rp.step();
      expect({ k, hash: rs.hash() }).toEqual({ k, hash: reference[k] });
      expect({ k, hash: rp.hash() }).toEqual({ k, hash: reference[k] });
    }
  } finally {
    await sharded.close();
    await rs.close();
  }
}

/** The PhysicsError code `f` throws, or undefined when it returns (any other error fails the test). */
export function physicsCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PhysicsError);
    return (e as PhysicsError).code;
  }
  return undefined;
}
