/**
 * Per-pass border exchange against the unsharded core, tick for tick (same bits expected),
 * with work counters: node build/dist/bench/shards/pass-check.js --scene pile --n 2000 --shards 2 --ticks 200
 */
import { PhysicsWorld } from '../../src/physics/world';
import { ShardedWorld, type Partition } from '../../src/physics/sharded';
import { buildPile, buildRain, pileConfig, rainConfig } from '../../test/helpers/scenes';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const n = Number(arg('n', '2000'));
const scene = arg('scene', 'pile');
const ticks = Number(arg('ticks', '200'));
const shards = Number(arg('shards', '2'));
const mode = arg('exchange', 'pass') as 'tick' | 'pass';
const config = scene === 'pile' ? pileConfig(n) : rainConfig(n);
const partition: Partition = shards === 4 ? { xCuts: [0], zCuts: [0] } : { xCuts: [0], zCuts: [] };
const core = PhysicsWorld.create(config);
const sharded = new ShardedWorld(config, partition, undefined, { exchange: mode });
const a = scene === 'pile' ? buildPile(core, n, 1) : buildRain(core, n, 1);
const b = scene === 'pile' ? buildPile(sharded, n, 1) : buildRain(sharded, n, 1);
let ghosts = 0;
for (let t = 0; t < ticks; t++) {
  a.tick();
  b.tick();
  const hc = core.hash(),
    hs = sharded.hash();
  const c = sharded.counts();
  ghosts += c.reduce((s, x) => s + x.ghosts, 0) / c.reduce((s, x) => s + x.owned, 0);
  if (hc !== hs) {
    console.log(`tick ${t + 1}: DIVERGED core ${hc.toString(16)} sharded ${hs.toString(16)}`);
    process.exit(1);
  }
}
console.log(
  `${scene} n=${n} ${shards} shards exchange ${mode}: ${ticks} ticks equal, halo ${sharded.halo.toFixed(2)} m, ghosts/owned ${(ghosts / ticks).toFixed(3)}`,
);
