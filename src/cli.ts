/**
 * `tessera` command line. For now the main job prints the build information of the core
 * (variants, sizes), runs a self-check of the math core across memory kinds and a small
 * physics scene on the release and debug builds (their state hashes must agree), and exits;
 * later issues make `serve` the server.
 */
import { readFileSync, statSync } from 'node:fs';
import { Core, createMemory, wasmPath, type CoreVariant } from './physics/wasm';
import { planLayout } from './physics/layout';
import { xxh64 } from './physics/xxhash64';
import { PhysicsWorld } from './physics/world';

/**
 * State hash and median tick time (ms) of a small demo scene: `n` spheres of 0.5 m dropped on
 * a grid onto a plane, stepped `ticks` times on one core variant.
 */
export function physicsSelfCheck(variant: CoreVariant, n = 400, ticks = 120): { hash: bigint; msPerTick: number } {
  const world = PhysicsWorld.create({ capacity: n + 1, maxBodyRadius: 0.5, sleep: { enabled: false } }, { variant });
  world.addPlane({ normal: [0, 1, 0], offset: 0 });
  const side = Math.ceil(Math.sqrt(n / 4));
  for (let k = 0; k < n; k++) {
    const x = k % side, z = Math.floor(k / side) % side, y = Math.floor(k / (side * side));
    world.addSphere({ position: [x * 1.05 + (y % 2) * 0.3, 0.6 + y * 1.1, z * 1.05], radius: 0.5, friction: 0.5, restitution: 0.2 });
  }
  const times: number[] = [];
  for (let t = 0; t < ticks; t++) {
    const t0 = process.hrtime.bigint();
    world.step();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { hash: world.hash(), msPerTick: times[times.length >> 1] };
}

/** Hash of the first `count` items of the seeded math sequence, computed by one core variant. */
export function mathSequenceHash(variant: CoreVariant, seed: bigint, count: number): bigint {
  const probe = Core.instantiate(createMemory({ pages: 1, shared: variant !== 'unshared' }), variant);
  const itemBytes = probe.exports.SEQ_ITEM_BYTES.value as number;
  const plan = planLayout([['sequence', count * itemBytes]]);
  const core = Core.instantiate(createMemory({ pages: plan.pages, shared: variant !== 'unshared' }), variant);
  const out = plan.regions.sequence.offset;
  core.exports.mathSequence(seed, 0, count, out);
  return core.hash64(out, count * itemBytes);
}

function main(): void {
  const pkg = JSON.parse(readFileSync(`${__dirname}/../../../package.json`, 'utf8')) as { version: string };
  console.log(`tessera ${pkg.version} (node ${process.version})`);
  const hashes = new Set<string>();
  for (const v of ['release', 'debug', 'unshared'] as const) {
    const bytes = readFileSync(wasmPath(v));
    const h = mathSequenceHash(v, 1n, 10000).toString(16).padStart(16, '0');
    hashes.add(h);
    console.log(`core ${v.padEnd(8)} ${String(statSync(wasmPath(v)).size).padStart(6)} bytes  ` +
      `file xxh64 ${xxh64(bytes).toString(16).padStart(16, '0')}  math sequence hash ${h}`);
  }
  if (hashes.size !== 1) {
    console.error('core variants disagree on the math sequence hash: the build is not deterministic');
    process.exitCode = 1;
    return;
  }
  const physics = (['release', 'debug'] as const).map((v) => [v, physicsSelfCheck(v)] as const);
  for (const [v, r] of physics) {
    console.log(`physics ${v.padEnd(8)} 400 spheres x 120 ticks: state hash ${r.hash.toString(16).padStart(16, '0')}, median ${r.msPerTick.toFixed(2)} ms/tick`);
  }
  if (physics[0][1].hash !== physics[1][1].hash) {
    console.error('release and debug physics disagree: the build is not deterministic');
    process.exitCode = 1;
    return;
  }
  console.log('all core variants agree');
}

if (require.main === module) main();
