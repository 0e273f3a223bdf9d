// Compiles assembly/ to build/*.wasm with fixed flags (one place, so every build is the same).
//
//   build/tessera.wasm           release (-O3, assertions off), imports a shared memory
//   build/tessera.debug.wasm     debug (assertions on, names kept), imports a shared memory
//   build/tessera.unshared.wasm  release, imports a non-shared memory (browsers without
//                                cross-origin isolation, single-thread tools)
//
// Memory is always imported (env.memory): the bindings create it, so several instances
// (one per worker thread) can run over one SharedArrayBuffer. The stub runtime never frees
// and the core never allocates; shared data lives in raw regions (src/physics/layout.ts).
import asc from 'assemblyscript/asc';
import { mkdirSync, statSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = [
  'assembly/index.ts',
  '--runtime',
  'stub',
  '--enable',
  'threads',
  '--importMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '65536',
  '--baseDir',
  root,
];
export const targets = [
  { out: 'build/tessera.wasm', flags: ['--sharedMemory', '-O3', '--noAssert'] },
  { out: 'build/tessera.debug.wasm', flags: ['--sharedMemory', '--debug', '-O1'] },
  { out: 'build/tessera.unshared.wasm', flags: ['-O3', '--noAssert'] },
];

function newestMtime(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

const force = process.argv.includes('--force');
const srcTime = Math.max(newestMtime(join(root, 'assembly')), statSync(fileURLToPath(import.meta.url)).mtimeMs);
mkdirSync(join(root, 'build'), { recursive: true });
for (const t of targets) {
  const outPath = join(root, t.out);
  let upToDate = false;
  try {
    upToDate = !force && statSync(outPath).mtimeMs > srcTime;
  } catch {
    /* missing */
  }
  if (upToDate) {
    console.log(`wasm: ${t.out} up to date`);
    continue;
  }
  const started = Date.now();
  const { error, stderr } = await asc.main([...common, ...t.flags, '--outFile', t.out, '--textFile', t.out.replace(/\.wasm$/, '.wat')], {});
  if (error) {
    process.stderr.write(stderr.toString());
    console.error(`wasm: ${t.out} failed: ${error.message}`);
    process.exit(1);
  }
  console.log(`wasm: ${t.out} (${statSync(outPath).size} bytes, ${Date.now() - started} ms)`);
}
