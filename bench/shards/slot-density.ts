/**
 * What a shard world's scattered slots cost the step, without any shard: two unsharded worlds
 * run the same scene tick for tick in one process, one with its bodies on consecutive slots,
 * the other with the same bodies on every second slot (static boxes created in between and
 * removed before the first tick, so its awake list is still in slot order). Same bodies, same
 * contacts, same work counters (activity()); only the memory the per-slot arrays spread over
 * differs. A shard world is the second kind: it holds its region's bodies and its halo at
 * their global slots, about half of the slots between its lowest and highest on 2 shards
 * when slots are not spatially ordered (rain), more on more shards.
 *
 * Run under `node --cpu-prof` and read with profile-shares.js --sides denseTick,sparseTick:
 *
 *   node --no-liftoff --cpu-prof --cpu-prof-dir=/tmp/p build/dist/bench/shards/slot-density.js [--scene rain] [--n 20000] [--ticks 60]
 */
import { PhysicsWorld, type WorldConfig } from '../../src/physics/world';
import { buildPile, buildRain, CLOSED_BOX_STATICS } from '../../test/helpers/scenes';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const n = Number(arg('n', '20000'));
const scene = arg('scene', 'rain');
const ticks = Number(arg('ticks', '60'));
const world: WorldConfig = { capacity: 2 * n + CLOSED_BOX_STATICS + 2, maxBodyRadius: 0.5, sleep: { enabled: false } };
const dense = PhysicsWorld.create(world);
const sparse = PhysicsWorld.create(world);
const spacers: bigint[] = [];
/** `sparse`, with a spacer (a tiny static box far below) created after every sphere. */
const spaced = new Proxy(sparse, {
  get(target, prop) {
    if (prop === 'addSphere')
      return (o: Parameters<PhysicsWorld['addSphere']>[0]) => {
        const h = target.addSphere(o);
        spacers.push(target.addBox({ position: [0, -1000, 0], half: [0.1, 0.1, 0.1] }));
        return h;
      };
    const v = Reflect.get(target, prop, target);
    return typeof v === 'function' ? v.bind(target) : v;
  },
}) as PhysicsWorld;
const a = scene === 'rain' ? buildRain(dense, n, 1) : buildPile(dense, n, 1);
const b = scene === 'rain' ? buildRain(spaced, n, 1) : buildPile(spaced, n, 1);
for (const s of spacers) sparse.remove(s); // statics: the awake list keeps its order

function denseTick(): void {
  a.tick();
}
function sparseTick(): void {
  b.tick();
}
for (let t = 0; t < ticks; t++) {
  denseTick();
  sparseTick();
}
console.log(
  `${scene} N=${n}, ${ticks} ticks: activity consecutive slots ${JSON.stringify(dense.activity())}, every second slot ${JSON.stringify(sparse.activity())}`,
);
