/**
 * A world stepped by `tessera shard` processes over NATS (src/cluster/): for the acceptance
 * scenes (a pile across borders, rain with a teleport command every tick, walkers through a
 * four-region corner), the world hash and the merged events of every tick for 500 ticks equal
 * the unsharded core's, on 2 processes (2 regions) and 4 processes (4 regions), and on 2
 * processes holding 2 regions each.
 */
import { ShardedWorld, type Partition } from '../src/physics/sharded';
import { ClusterCoordinator } from '../src/cluster/coordinator';
import { ACCEPTANCE, eventsDigest, hex, unshardedRun } from './helpers/acceptance';
import { natsUrl, uniqueWorld } from './helpers/nats';
import { startShards, stopShards } from './helpers/shard-processes';

jest.setTimeout(120_000);
const TICKS = 500;

describe.each(Object.keys(ACCEPTANCE) as Array<keyof typeof ACCEPTANCE>)('scene %s', (name) => {
  const layouts: Array<[string, Partition, number]> = [
    ['2 regions on 2 processes', { xCuts: [0.3], zCuts: [] }, 2],
    ['4 regions on 2 processes', { xCuts: [0], zCuts: [0] }, 2],
    ['4 regions on 4 processes', { xCuts: [0], zCuts: [0] }, 4],
  ];
  test.each(layouts)(`%s: hash and events of every tick for ${TICKS} ticks equal the unsharded run`, async (_l, partition, processes) => {
    const ref = unshardedRun(name, TICKS);
    const url = await natsUrl();
    const world = uniqueWorld(name);
    const shards = startShards(
      url,
      world,
      Array.from({ length: processes }, (_, i) => ({ id: `p${i}` })),
    );
    const scene = ACCEPTANCE[name];
    const w = new ShardedWorld(scene.config, partition, undefined, { exchange: 'tick' });
    const tick = scene.build(w);
    const c = await ClusterCoordinator.start(w, { nats: url, world, processes });
    try {
      for (let t = 0; t < TICKS; t++) {
        tick();
        const got: [string, string] = [hex(w.hash()), eventsDigest(w.events())];
        if (got[0] !== ref[t][0] || got[1] !== ref[t][1]) throw new Error(`tick ${t + 1}: ${got.join(' ')} != ${ref[t].join(' ')}`);
      }
      const s = c.stats();
      const d = await c.details();
      expect(s.ticks).toBe(TICKS);
      expect({ rejected: s.rejected, byCode: d.rejected }).toEqual({ rejected: 0, byCode: {} });
      expect(s.failovers).toBe(0);
      expect(new Set(d.hosts).size).toBe(processes); // every process ran a region
    } finally {
      await c.close();
      await stopShards(shards);
    }
  });
});
