/**
 * Determinism of the math core: the same seeded sequence of math operations gives the same
 * hash in the main thread and in two worker threads sharing one memory (each computing
 * half into one shared buffer, and each the whole sequence on its own), across the release,
 * debug and unshared builds, and equal to a committed golden hash.
 *
 * The workers are the compiled build/dist/test/workers/math-worker.js (`npm test` builds it).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Core, createMemory } from '../src/physics/wasm';
import { planLayout } from '../src/physics/layout';

const SEED = 1n;
const COUNT = 10_000;
/** Golden hash of items [0, 10000) of the math sequence for seed 1 (xxHash64 of the output). */
const GOLDEN = 0x788278035c6aa960n;
const hex = (h: bigint): string => `0x${h.toString(16).padStart(16, '0')}`;

const WORKER = join(__dirname, '..', 'build', 'dist', 'test', 'workers', 'math-worker.js');

describe('math sequence determinism', () => {
  let itemBytes = 0;

  function runSingle(variant: 'release' | 'debug' | 'unshared'): bigint {
    const core0 = Core.instantiate(createMemory({ pages: 1, shared: variant !== 'unshared' }), variant);
    itemBytes = core0.exports.SEQ_ITEM_BYTES.value as number;
    const plan = planLayout([['out', COUNT * itemBytes]]);
    const core = Core.instantiate(createMemory({ pages: plan.pages, shared: variant !== 'unshared' }), variant);
    core.exports.mathSequence(SEED, 0, COUNT, plan.regions.out.offset);
    return core.hash64(plan.regions.out.offset, COUNT * itemBytes);
  }

  test('release, debug and unshared builds give the golden hash', () => {
    const hashes = (['release', 'debug', 'unshared'] as const).map((v) => [v, runSingle(v)] as const);
    for (const [v, h] of hashes) {
      if (h !== GOLDEN) console.log(`math sequence hash [${v}] = ${hex(h)}, golden ${hex(GOLDEN)}`);
      expect(hex(h)).toBe(hex(GOLDEN));
    }
  });

  test('main thread and two workers sharing one memory agree to the bit', async () => {
    if (!existsSync(WORKER)) throw new Error(`${WORKER} missing: run \`npm run build\` first`);
    runSingle('release'); // reads SEQ_ITEM_BYTES from the core
    const bytes = COUNT * itemBytes;
    const plan = planLayout([
      ['single', bytes],
      ['split', bytes],
      ['own0', bytes],
      ['own1', bytes],
      ['barrier', 64],
    ]);
    const memory = createMemory({ pages: plan.pages, shared: true });
    const main = Core.instantiate(memory, 'release');
    const R = plan.regions;
    const half = COUNT >> 1;
    const ranges: Array<[number, number, number]> = [
      [0, half, R.own0.offset],
      [half, COUNT, R.own1.offset],
    ];
    const results = await Promise.all(
      ranges.map(
        ([start, end, own]) =>
          new Promise<bigint>((resolve, reject) => {
            const w = new Worker(WORKER, {
              workerData: {
                memory,
                seed: SEED,
                count: COUNT,
                itemBytes,
                start,
                end,
                splitOffset: R.split.offset,
                ownOffset: own,
                barrier: R.barrier.offset,
                parties: 2,
              },
            });
            w.once('message', (m: { ownHash: bigint }) => {
              resolve(m.ownHash);
              void w.terminate();
            });
            w.once('error', reject);
          }),
      ),
    );
    // the main thread computes the sequence while (or after) the workers write theirs
    main.exports.mathSequence(SEED, 0, COUNT, R.single.offset);
    const single = main.hash64(R.single.offset, bytes);
    const split = main.hash64(R.split.offset, bytes);
    const own0 = main.hash64(R.own0.offset, bytes);
    const own1 = main.hash64(R.own1.offset, bytes);
    const all = { single, split, own0, own1, worker0: results[0], worker1: results[1] };
    const distinct = new Set(Object.values(all).map(hex));
    if (distinct.size !== 1 || single !== GOLDEN) {
      console.log(
        Object.entries(all)
          .map(([k, h]) => `${k} ${hex(h)}`)
          .join('\n'),
      );
    }
    expect([...distinct]).toEqual([hex(GOLDEN)]);
    // and the bytes, not only the hashes, are identical
    const u8 = main.bytes();
    expect(Buffer.compare(u8.subarray(R.single.offset, R.single.offset + bytes), u8.subarray(R.split.offset, R.split.offset + bytes))).toBe(0);
  });
});
