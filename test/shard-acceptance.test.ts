/**
 * Acceptance of the physics shards (issue 4): for the three determinism scenes (a dense pile
 * across borders, rain with commands that teleport bodies every tick, characters walking in
 * circles through a four-shard corner), the world hash at every tick for 2,000 ticks and the
 * merged event list of every tick are identical for 1, 2, 4 and 8 shards, on worker threads
 * and all in one thread, with border state exchanged once per tick and once per solver pass
 * (issue 16), and equal to the unsharded core's (and its golden hashes). Issue 18's "yard" adds
 * tumbling boxes, a hinged chain and terrain across the four-shard corner (exchange per pass).
 */
import { createHash } from 'node:crypto';
import { PhysicsWorld, type WorldConfig } from '../src/physics/world';
import { ShardedWorld, bodyEvents, type BodyEvent, type Partition } from '../src/physics/sharded';
import { buildPile, buildRain, buildWalkers, buildYard, pileConfig, rainConfig, walkersConfig, yardConfig, type SceneTarget } from './helpers/scenes';
import { GOLDEN } from './helpers/goldens';

const TICKS = 2000;
const hex = (h: bigint): string => `0x${h.toString(16).padStart(16, '0')}`;

interface Scene {
  config: WorldConfig;
  build(target: SceneTarget): () => void;
  eight: Partition;
}

/** The determinism scenes, as test/physics-determinism.test.ts builds them (same seeds and sizes). */
const SCENES: Record<string, Scene> = {
  pile: { config: pileConfig(300), build: (w) => buildPile(w, 300, 11, { layers: 6 }).tick, eight: { xCuts: [-2.2, 0, 2.2], zCuts: [0.4] } },
  rain: { config: rainConfig(300), build: (w) => buildRain(w, 300, 12).tick, eight: { xCuts: [-2.5, 0, 2.5], zCuts: [0] } },
  walkers: { config: walkersConfig(24), build: (w) => buildWalkers(w, 24, 13).tick, eight: { xCuts: [-4, 0, 4], zCuts: [0] } },
};

const eventsDigest = (list: BodyEvent[]): string =>
  createHash('sha1')
    .update(list.map((e) => `${e.kind}${e.body}:${e.other}`).join(','))
    .digest('hex');

/** Hash and event digest of every tick of the unsharded run. */
function unsharded(scene: Scene): Array<[string, string]> {
  const w = PhysicsWorld.create(scene.config);
  const tick = scene.build(w);
  const out: Array<[string, string]> = [];
  for (let t = 0; t < TICKS; t++) {
    tick();
    out.push([hex(w.hash()), eventsDigest(bodyEvents(w.events()))]);
  }
  return out;
}

describe.each(Object.keys(SCENES))('scene %s', (name) => {
  const scene = SCENES[name];
  let reference: Array<[string, string]>;
  beforeAll(() => {
    reference = unsharded(scene);
  });

  test('the unsharded run matches the golden hashes', () => {
    for (const [t, h] of GOLDEN[name]) expect(reference[t - 1][0]).toBe(h);
  });

  const layouts: Array<[string, Partition, number, 'tick' | 'pass']> = [
    ['1 shard', { xCuts: [], zCuts: [] }, 0, 'tick'],
    ['2 shards', { xCuts: [0.3], zCuts: [] }, 0, 'tick'],
    ['4 shards', { xCuts: [0], zCuts: [0] }, 0, 'tick'],
    ['8 shards', scene.eight, 0, 'tick'],
    ['2 shards on 2 workers', { xCuts: [0.3], zCuts: [] }, 2, 'tick'],
    ['4 shards on 2 workers', { xCuts: [0], zCuts: [0] }, 2, 'tick'],
    ['8 shards on 2 workers', scene.eight, 2, 'tick'],
    ['2 shards exchanging per pass', { xCuts: [0.3], zCuts: [] }, 0, 'pass'],
    ['4 shards exchanging per pass', { xCuts: [0], zCuts: [0] }, 0, 'pass'],
    ['8 shards exchanging per pass', scene.eight, 0, 'pass'],
    ['2 shards on 2 workers exchanging per pass', { xCuts: [0.3], zCuts: [] }, 2, 'pass'],
    ['4 shards on 2 workers exchanging per pass', { xCuts: [0], zCuts: [0] }, 2, 'pass'],
    ['8 shards on 2 workers exchanging per pass', scene.eight, 2, 'pass'],
  ];
  test.each(layouts)(`%s: hash and events of every tick for ${TICKS} ticks equal the unsharded run`, async (_l, partition, workers, exchange) => {
    // recoveries (a worker slow past the step timeout on a loaded machine) are recorded, so a
    // divergence says whether one preceded it
    const recovered: string[] = [];
    const sharded = new ShardedWorld(scene.config, partition, undefined, {
      workers,
      exchange,
      onRecovery: (r) => recovered.push(`tick ${r.tick + 1} attempt ${r.attempt} ${r.code} after ${r.ms.toFixed(0)} ms`),
    });
    const context = (): string => (recovered.length ? ` (recoveries: ${recovered.join('; ')})` : ' (no recovery)');
    try {
      const tick = scene.build(sharded);
      for (let t = 0; t < TICKS; t++) {
        tick();
        const h = hex(sharded.hash());
        if (h !== reference[t][0]) throw new Error(`tick ${t + 1}: sharded hash ${h} != unsharded ${reference[t][0]}${context()}`);
        if (eventsDigest(sharded.events()) !== reference[t][1]) throw new Error(`tick ${t + 1}: merged events differ from the unsharded world's${context()}`);
      }
      expect(sharded.lastStatus).toBe(0);
      if (sharded.shardCount > 1) expect(sharded.handoffs).toBeGreaterThan(0);
    } finally {
      await sharded.close();
    }
  });
});

/**
 * Issue 18's acceptance scene: tumbling boxes, a hinged chain and terrain across the four-shard
 * corner (test/helpers/scenes.ts buildYard). Its chain's two-body hinges need the shards to
 * exchange border state per solver pass, so it runs on the 'pass' layouts, for YARD_TICKS ticks
 * (30 s at 20 Hz: the boxes land, tumble across the borders and settle; the chain swings).
 */
const YARD_TICKS = 600;

describe('scene yard (boxes, a hinged chain, terrain)', () => {
  let reference: string[];
  beforeAll(() => {
    const w = PhysicsWorld.create(yardConfig());
    const { tick } = buildYard(w, 21);
    reference = [];
    for (let t = 0; t < YARD_TICKS; t++) {
      tick();
      reference.push(hex(w.hash()));
    }
  });

  test('the unsharded run matches the golden hashes', () => {
    for (const [t, h] of GOLDEN.yard) expect(reference[t - 1]).toBe(h);
  });

  test.each([
    ['1 shard', { xCuts: [], zCuts: [] }, 0],
    ['2 shards', { xCuts: [0], zCuts: [] }, 0],
    ['4 shards', { xCuts: [0], zCuts: [0] }, 0],
    ['8 shards', { xCuts: [-1.5, 0, 1.5], zCuts: [0] }, 0],
    ['4 shards on 2 workers', { xCuts: [0], zCuts: [0] }, 2],
  ] as Array<[string, Partition, number]>)(
    `%s exchanging per pass: the hash of every tick for ${YARD_TICKS} ticks equals the unsharded run`,
    async (_l, partition, workers) => {
      const sharded = new ShardedWorld(yardConfig(), partition, undefined, { workers, exchange: 'pass' });
      try {
        const { tick } = buildYard(sharded, 21);
        for (let t = 0; t < YARD_TICKS; t++) {
          tick();
          const h = hex(sharded.hash());
          if (h !== reference[t]) throw new Error(`tick ${t + 1}: sharded hash ${h} != unsharded ${reference[t]}`);
        }
        expect(sharded.lastStatus).toBe(0);
        if (sharded.shardCount > 1) expect(sharded.handoffs).toBeGreaterThan(0);
      } finally {
        await sharded.close();
      }
    },
  );
});
