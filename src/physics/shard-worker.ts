/**
 * Shard worker (node:worker_threads): steps its shards' worlds, which live in the memory it
 * shares with the coordinator, each time the coordinator bumps the step generation.
 *
 * Control block (Int32 x 4 at `control`, see ShardWorkerPool):
 *   [0] step generation (coordinator increments, workers wait on it)
 *   [1] shards stepped this generation (workers add, coordinator waits on it)
 *   [2] quit flag
 *   [3] failure: 1 + index of a shard whose step threw (0 = none)
 * No lock is ever held: a worker that dies simply never counts its shards, and the
 * coordinator's wait times out.
 */
import { workerData } from 'node:worker_threads';
import { Core } from './wasm';
import type { WorldExports } from './world';

interface ShardWorkerData {
  memory: WebAssembly.Memory;
  /** Byte offsets of the worlds this worker steps. */
  bases: number[];
  /** Index of each world in the pool (for failure reports). */
  indices: number[];
  control: number;
}

const data = workerData as ShardWorkerData;
const core = Core.instantiate(data.memory, 'release');
const x = core.exports as unknown as WorldExports;
const ctl = new Int32Array(data.memory.buffer, data.control, 4);
// Start from generation 0 (the pool zeroes the block before starting workers), not from the
// current value: a worker that boots after the first step was released must still run it.
let gen = 0;
for (;;) {
  Atomics.wait(ctl, 0, gen);
  gen = Atomics.load(ctl, 0);
  if (Atomics.load(ctl, 2)) break;
  data.bases.forEach((base, k) => {
    try {
      if (x.worldBind(base) !== 0) throw new Error('bad world header');
      x.worldStep();
    } catch {
      Atomics.store(ctl, 3, 1 + data.indices[k]);
    }
    Atomics.add(ctl, 1, 1);
  });
  Atomics.notify(ctl, 1);
}
