/**
 * A small world for the stream, host and client tests: a floor and a closed box of 24 m, a
 * pile of `spheres` spheres near the origin, avatar spawn points on a ring, 20 Hz.
 */
import type { WorldSetup } from '../../src/sim/main-sim';
import type { Partition, ShardOptions } from '../../src/physics/sharded';
import { addClosedBox } from './scenes';

/** The test world; `partition` and `shardOptions` change the shard layout only (same physics). */
export function testWorld(opts: { spheres?: number; partition?: Partition; shardOptions?: ShardOptions; capacity?: number } = {}): WorldSetup {
  const n = opts.spheres ?? 60;
  return {
    config: { capacity: opts.capacity ?? 1024, tickRate: 20, maxBodyRadius: 1, sleep: { enabled: true } },
    partition: opts.partition,
    shardOptions: opts.shardOptions,
    scene: (w) => {
      addClosedBox(w, 24, 12);
      for (let k = 0; k < n; k++) {
        const x = (k % 6) * 1.1 - 3,
          z = (Math.floor(k / 6) % 6) * 1.1 - 3,
          y = 0.6 + Math.floor(k / 36) * 1.1;
        w.addSphere({ position: [x + 5, y, z + 5], radius: 0.5, friction: 0.5, restitution: 0.2 });
      }
    },
    spawnPoints: Array.from({ length: 8 }, (_, i): [number, number, number] => [Math.cos((i * Math.PI) / 4) * 10, 1.2, Math.sin((i * Math.PI) / 4) * 10]),
  };
}
