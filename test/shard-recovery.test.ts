/**
 * Crash recovery of shard workers: workers are killed (terminated as a crash would) and
 * shard steps trap inside WebAssembly (out-of-bounds access) at 20 seeded ticks; the pool
 * restores every shard to the state before the tick, replaces the workers and re-runs it,
 * and the per-body hash at every tick equals the run without faults.
 */
import { ShardedWorld } from '../src/physics/sharded';
import { PhysicsWorld } from '../src/physics/world';
import { buildCrossingScene, CROSSING_CONFIG } from './helpers/scenes';
import { mulberry32 } from './helpers/bigref';

test('20 worker kills and WASM traps at random ticks: same hashes as the run without faults', async () => {
  const range = PhysicsWorld.create(CROSSING_CONFIG).interactionRange();
  const partition = { xCuts: [0], zCuts: [0] };
  const reference = new ShardedWorld(CROSSING_CONFIG, partition, range);
  buildCrossingScene(reference);
  const faulty = new ShardedWorld(CROSSING_CONFIG, partition, range, { workers: 2, stepTimeoutMs: 3000 });
  try {
    buildCrossingScene(faulty);
    const rng = mulberry32(99);
    const faults = new Map<number, 'kill' | 'trap'>();
    while (faults.size < 20) faults.set(1 + (rng() % 80), faults.size % 2 ? 'trap' : 'kill');
    for (let t = 1; t <= 80; t++) {
      const fault = faults.get(t);
      if (fault === 'kill') faulty.pool!.killWorker(rng() % faulty.pool!.size);
      if (fault === 'trap') faulty.pool!.injectTrap(rng() % faulty.shards.length);
      reference.step();
      faulty.step();
      const a = reference.bodiesHash(), b = faulty.bodiesHash();
      if (a !== b) throw new Error(`tick ${t} (${fault ?? 'no fault'}): ${b.toString(16)} != ${a.toString(16)}`);
    }
    expect(faulty.recoveries).toBe(20);
  } finally {
    await faulty.close();
  }
});
