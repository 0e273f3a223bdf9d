/**
 * Shard worker (node:worker_threads): steps its shards' worlds, which live in the memory it
 * shares with the coordinator, each time the coordinator bumps the step generation.
 *
 * Control block (Int32 x 8 at `control`, see ShardWorkerPool):
 *   [0] step generation (coordinator increments, workers wait on it)
 *   [1] shards stepped this generation (workers add, coordinator waits on it)
 *   [2] quit flag
 *   [3] failure: 1 + index of a shard whose step threw (0 = none)
 *   [4] epoch: the pool's current set of workers; a worker of an older epoch exits
 *   [5] fault injection for tests: 1 + index of a shard whose next step traps
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
  /** The pool epoch this worker belongs to, and the generation current when it was spawned. */
  epoch: number;
  startGen: number;
}

const data = workerData as ShardWorkerData;
const core = Core.instantiate(data.memory, 'release');
const x = core.exports as unknown as WorldExports;
const ctl = new Int32Array(data.memory.buffer, data.control, 8);
// Start from the generation current at spawn time, not from the value read at boot: a worker
// that boots after a step was released must still run it.
let gen = data.startGen;
for (;;) {
  Atomics.wait(ctl, 0, gen);
  gen = Atomics.load(ctl, 0);
  if (Atomics.load(ctl, 2) || Atomics.load(ctl, 4) !== data.epoch) break;
  data.bases.forEach((base, k) => {
    try {
      if (Atomics.compareExchange(ctl, 5, 1 + data.indices[k], 0) === 1 + data.indices[k]) {
        // injected fault: a real WebAssembly trap (out-of-bounds memory access)
        core.exports.hash64(data.memory.buffer.byteLength - 8, 64, 0n);
      }
      if (x.worldBind(base) !== 0) throw new Error('bad world header');
      x.worldStep();
    } catch {
      Atomics.store(ctl, 3, 1 + data.indices[k]);
    }
    Atomics.add(ctl, 1, 1);
  });
  Atomics.notify(ctl, 1);
}
