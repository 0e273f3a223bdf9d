/**
 * `tessera` command line. For now the main job prints the build information of the core
 * (variants, sizes, a self-check of the math core across memory kinds) and exits; later
 * issues make `serve` the server.
 */
import { readFileSync, statSync } from 'node:fs';
import { Core, createMemory, wasmPath, type CoreVariant } from './physics/wasm';
import { planLayout } from './physics/layout';
import { xxh64 } from './physics/xxhash64';

/** Hash of the first `count` items of the seeded math sequence, computed by one core variant. */
export function mathSequenceHash(variant: CoreVariant, seed: bigint, count: number): bigint {
  const itemBytes = 176;
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
  console.log('all core variants agree');
}

if (require.main === module) main();
