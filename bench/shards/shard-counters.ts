/**
 * Shard work counters (no timing): for the bench:shards scenes, per tick and summed over the
 * shards, the bodies owned and held as ghosts, the list entries the shards' syncs and event
 * steps visited (ShardedWorld.counts()), the slots the per-slot sync visited before (shards x
 * high water), and the ghosts the same positions would give at narrower halos (the current
 * one, R + one contact distance; R alone; two and one contact distances: what an exchange
 * once per solver pass would need). Deterministic: the same figures on any machine and load.
 *
 *   node build/dist/bench/shards/shard-counters.js [--sizes 20000,100000] [--ticks-for 20000=60,100000=20]
 *                                                  [--scenes pile,rain] [--shards 2,4]
 */
import { ShardedWorld, type Partition } from '../../src/physics/sharded';
import type { Command, WorldConfig } from '../../src/physics/world';
import { buildPile, buildRain, pileGeometry, rainGeometry, CLOSED_BOX_STATICS } from '../../test/helpers/scenes';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const sizes = arg('sizes', '20000,100000').split(',').map(Number);
const scenes = arg('scenes', 'pile,rain').split(',') as Array<'pile' | 'rain'>;
const shardCounts = arg('shards', '2,4').split(',').map(Number);
const ticksFor = new Map(
  arg('ticks-for', '20000=60,100000=20')
    .split(',')
    .map((s) => s.split('=').map(Number) as [number, number]),
);

/** Cuts as bench:shards sets them (fractions of the box width). */
const CUTS: Record<number, [number[], number[]]> = { 2: [[0], []], 4: [[0], [0]], 8: [[-0.25, 0, 0.25], [0]] };
const CPB: Record<number, number | undefined> = { 2: undefined, 4: 4, 8: 3 };

/** Bodies within `w` metres (x/z) of a region other than their own, counted once per such region. */
function ghostsAt(w: number, xs: Float64Array, zs: Float64Array, p: Partition): number {
  const nx = p.xCuts.length + 1,
    nz = p.zCuts.length + 1;
  const iv = (cuts: number[], v: number): number => cuts.filter((c) => v >= c).length;
  const axis = (cuts: number[], k: number, v: number): number => {
    if (k > 0 && v < cuts[k - 1]) return cuts[k - 1] - v;
    if (k < cuts.length && v >= cuts[k]) return v - cuts[k];
    return 0;
  };
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    const own = iv(p.zCuts, zs[i]) * nx + iv(p.xCuts, xs[i]);
    for (let k = 0; k < nx * nz; k++) {
      if (k === own) continue;
      const dx = axis(p.xCuts, k % nx, xs[i]),
        dz = axis(p.zCuts, Math.floor(k / nx), zs[i]);
      if (dx * dx + dz * dz <= w * w) n++;
    }
  }
  return n;
}

async function main(): Promise<void> {
  for (const scene of scenes) {
    for (const n of sizes) {
      for (const shards of shardCounts) {
        const geo = scene === 'pile' ? pileGeometry(n) : rainGeometry(n);
        const world: WorldConfig = { capacity: n + CLOSED_BOX_STATICS + 2, maxBodyRadius: 0.5, sleep: { enabled: false }, contactsPerBody: CPB[shards] };
        const width = 2 * geo.half;
        const partition: Partition = { xCuts: CUTS[shards][0].map((f) => f * width), zCuts: CUTS[shards][1].map((f) => f * width) };
        const s = new ShardedWorld(world, partition);
        let commands: (() => Command[]) | undefined;
        if (scene === 'pile') buildPile(s, n, 1);
        else commands = buildRain(s, n, 1).commands;
        const ticks = ticksFor.get(n) ?? 30;
        const sum = { owned: 0, ghosts: 0, sync: 0, event: 0, maxSync: 0, maxEvent: 0, oldSync: 0 };
        const measured = Math.max(1, Math.floor(ticks / 2));
        for (let t = 0; t < ticks; t++) {
          if (commands) s.applyCommands(commands());
          s.step();
          if (t < ticks - measured) continue; // the first half settles the scene (and the first tick syncs every new body)
          const c = s.counts();
          sum.owned += c.reduce((a, x) => a + x.owned, 0);
          sum.ghosts += c.reduce((a, x) => a + x.ghosts, 0);
          sum.sync += c.reduce((a, x) => a + x.syncVisits, 0);
          sum.event += c.reduce((a, x) => a + x.eventVisits, 0);
          sum.maxSync += Math.max(...c.map((x) => x.syncVisits));
          sum.maxEvent += Math.max(...c.map((x) => x.eventVisits));
          sum.oldSync += shards * s.handles().length; // the per-slot sync: every shard, every slot below the high water (no slot was freed here)
        }
        const moving = s.handles().filter((h) => {
          try {
            return s.authorityOf(h) >= 0;
          } catch {
            return false; // a static body
          }
        });
        const xs = new Float64Array(moving.length),
          zs = new Float64Array(moving.length);
        moving.forEach((h, i) => {
          const [x, , z] = s.position(h);
          xs[i] = x;
          zs[i] = z;
        });
        const d = 2 * 0.5 + (world.margin ?? 0.05);
        const widths: Array<[string, number]> = [
          [`halo ${s.halo.toFixed(2)} m (R + d)`, s.halo],
          [`R ${s.range.toFixed(2)} m`, s.range],
          [`2d ${(2 * d).toFixed(2)} m`, 2 * d],
          [`d ${d.toFixed(2)} m`, d],
        ];
        // memory locality of a shard world (global slot numbering): the share of 64-byte lines of
        // an i64-per-slot array (8 slots) holding at least one body the shard simulates (owned or
        // ghost). A per-slot sweep, or a walk over its bodies, touches that share of the lines.
        const nx = partition.xCuts.length + 1;
        const axisD = (cuts: number[], k: number, v: number): number =>
          k > 0 && v < cuts[k - 1] ? cuts[k - 1] - v : k < cuts.length && v >= cuts[k] ? v - cuts[k] : 0;
        const lines = Array.from({ length: shards }, () => new Set<number>());
        let top = 0;
        moving.forEach((h, i) => {
          const slot = Number(h & 0xffffffffn);
          top = Math.max(top, slot);
          for (let k = 0; k < shards; k++) {
            const dx = axisD(partition.xCuts, k % nx, xs[i]),
              dz = axisD(partition.zCuts, Math.floor(k / nx), zs[i]);
            if (dx * dx + dz * dz <= s.halo * s.halo) lines[k].add(slot >> 3);
          }
        });
        const lineShare = lines.map((l) => l.size / Math.ceil((top + 1) / 8));
        const per = (v: number): string => (v / measured).toFixed(0);
        console.log(`${scene} N=${n}, ${shards} shards (box ${width.toFixed(1)} m, ${measured} ticks measured):`);
        console.log(`  owned ${per(sum.owned)}, ghosts ${per(sum.ghosts)} (ghosts/owned ${(sum.ghosts / sum.owned).toFixed(3)})`);
        console.log(
          `  sync visits ${per(sum.sync)} (busiest shard ${per(sum.maxSync)}), per-slot sync before ${per(sum.oldSync)}; event visits ${per(sum.event)} (busiest ${per(sum.maxEvent)})`,
        );
        console.log(`  lines of a per-slot array each shard touches (share of the world's): ${lineShare.map((x) => x.toFixed(2)).join(', ')}`);
        console.log(
          `  ghosts/owned at the last tick's positions: ${widths.map(([l, w]) => `${l}: ${(ghostsAt(w, xs, zs, partition) / moving.length).toFixed(3)}`).join('; ')}`,
        );
        await s.close();
      }
    }
  }
}

void main();
