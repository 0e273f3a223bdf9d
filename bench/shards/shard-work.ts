/**
 * Where a sharded world's work goes, against the unsharded core, in work counters (no
 * timing): one scene of bench:shards, warmed up, then per tick over the measured ticks the
 * core's activity() (awake bodies, participants, per-body work, contacts) beside the same
 * figures summed over the shard worlds, and the shards' own bookkeeping (owned, ghosts,
 * records imported by the sync and published, sync and event list visits, handoffs). Also
 * the order of each world's awake list: the share of neighbouring entries whose slots
 * descend (0 = slot order, as the core keeps it; 0.5 = shuffled: every per-body loop of the
 * step then reads its arrays at random places instead of in memory order).
 *
 * Meant to run under `node --cpu-prof` too (short): the profile's self-time shares split the
 * tick into the core's step and the shard machinery (bench/shards/profile-shares.ts reads
 * them). With --with-core the unsharded core runs the same scene in the same process, tick
 * for tick interleaved with the sharded world (same load on both), and the hashes are
 * compared; profile-shares.ts --split then puts every sample under ShardedWorld or under
 * PhysicsWorld, so the two are compared in one profile.
 *
 *   node build/dist/bench/shards/shard-work.js --scene rain --n 100000 --shards 2 [--warm 30] [--ticks 40] [--workers 0]
 *     [--with-core] [--sleep on]
 *   --scene resting: n spheres lying apart on a floor, sleeping on (all asleep after 30 ticks: warm up past that)
 *   (--shards 0 runs the unsharded core alone)
 */
import { ShardedWorld, type Partition } from '../../src/physics/sharded';
import { PhysicsWorld, type WorldConfig } from '../../src/physics/world';
import { planWorld } from '../../src/physics/world-layout';
import type { Core } from '../../src/physics/wasm';
import { buildPile, buildRain, pileGeometry, rainGeometry, CLOSED_BOX_STATICS } from '../../test/helpers/scenes';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const scene = arg('scene', 'rain') as 'pile' | 'rain' | 'resting';
const n = Number(arg('n', '20000'));
const shards = Number(arg('shards', '2'));
const warm = Number(arg('warm', '30'));
const ticks = Number(arg('ticks', '40'));
const workers = Number(arg('workers', '0'));
const sleep = arg('sleep', 'off') === 'on' || scene === 'resting';

/** The resting scene: n spheres lying 5 mm apart on a floor in a square centred on the origin (they sleep after 30 ticks). */
function buildResting(w: Target, count: number): void {
  const side = Math.ceil(Math.sqrt(count));
  w.addPlane({ normal: [0, 1, 0], offset: 0 });
  for (let i = 0; i < count; i++)
    w.addSphere({ radius: 0.5, position: [((i % side) - (side - 1) / 2) * 1.005, 0.5, (Math.floor(i / side) - (side - 1) / 2) * 1.005] });
}

/** Cuts as bench:shards sets them (fractions of the box width). */
const CUTS: Record<number, [number[], number[]]> = { 2: [[0], []], 4: [[0], [0]], 8: [[-0.25, 0, 0.25], [0]] };
const CPB: Record<number, number | undefined> = { 2: undefined, 4: 4, 8: 3 };

/** Share of neighbouring awake-list entries whose slots descend, for the world at `base`. */
function awakeDisorder(core: Core, base: number, config: WorldConfig): number {
  const plan = planWorld(PhysicsWorld.sizesFor(config));
  const hdr = new BigInt64Array(core.memory.buffer, base, 64);
  const count = Number(hdr[18]); // HEADER.AWAKE_COUNT
  const list = new Int32Array(core.memory.buffer, base + plan.offsets.AWAKE, count);
  let down = 0;
  for (let a = 1; a < count; a++) if (list[a] < list[a - 1]) down++;
  return count > 1 ? down / (count - 1) : 0;
}

type Target = PhysicsWorld | ShardedWorld;

function record(target: Target, add: (k: string, v: number) => void): void {
  if (target instanceof PhysicsWorld) {
    const a = target.activity();
    add('awake', a.awake);
    add('participants', a.participants);
    add('work', a.work);
    add('contacts', target.contactCount);
    return;
  }
  for (const c of target.counts()) {
    for (const k of [
      'owned',
      'ghosts',
      'imports',
      'published',
      'syncVisits',
      'eventVisits',
      'passBorder',
      'passGhosts',
      'awake',
      'participants',
      'work',
      'contacts',
    ] as const)
      add(k, c[k]);
  }
}

async function main(): Promise<void> {
  const geo = scene === 'pile' ? pileGeometry(n) : scene === 'rain' ? rainGeometry(n) : { half: (Math.ceil(Math.sqrt(n)) * 1.005) / 2 };
  const world: WorldConfig = {
    capacity: n + CLOSED_BOX_STATICS + 2,
    maxBodyRadius: 0.5,
    sleep: { enabled: sleep },
    contactsPerBody: shards ? CPB[shards] : undefined,
  };
  const width = 2 * geo.half;
  const targets: Target[] = [];
  if (shards === 0 || process.argv.includes('--with-core')) targets.push(PhysicsWorld.create({ ...world, contactsPerBody: undefined }));
  if (shards > 0) {
    const partition: Partition = { xCuts: CUTS[shards][0].map((f) => f * width), zCuts: CUTS[shards][1].map((f) => f * width) };
    targets.push(new ShardedWorld(world, partition, undefined, { workers }));
  }
  const runs = targets.map((target) => {
    if (scene === 'pile') buildPile(target, n, 1);
    if (scene === 'resting') buildResting(target, n);
    const commands = scene === 'rain' ? buildRain(target, n, 1).commands : undefined;
    return { target, commands, sums: {} as Record<string, number>, handoffs0: 0 };
  });
  for (let t = 0; t < warm + ticks; t++) {
    for (const r of runs) {
      const { target, commands } = r;
      if (t === warm && target instanceof ShardedWorld) r.handoffs0 = target.handoffs;
      if (commands) target.applyCommands(commands());
      target.step();
      if (t >= warm)
        record(target, (k, v) => {
          r.sums[k] = (r.sums[k] ?? 0) + v;
        });
    }
  }
  const hashes = runs.map((r) => r.target.hash());
  for (const { target, sums, handoffs0 } of runs) {
    const per = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, Math.round(v / ticks)]));
    let disorder: number[];
    if (target instanceof PhysicsWorld) disorder = [awakeDisorder(target.core, target.base, world)];
    else {
      const core = (target as unknown as { core: Core }).core;
      disorder = target.plan.worlds.map((b) => awakeDisorder(core, b, world));
      per.handoffs = Math.round((target.handoffs - handoffs0) / ticks);
    }
    const label = target instanceof PhysicsWorld ? 'core' : `${shards} shards, ${workers} workers`;
    console.log(`${scene} N=${n}, ${label}, per tick over ${ticks} ticks after ${warm}: ${JSON.stringify(per)}`);
    console.log(`  awake list disorder (descending neighbours): ${disorder.map((d) => d.toFixed(3)).join(', ')}`);
    console.log(`  hash ${target.hash().toString(16)}`);
    if (target instanceof ShardedWorld) await target.close();
  }
  if (hashes.length === 2 && hashes[0] !== hashes[1]) throw new Error('the sharded world diverged from the core');
}

void main();
