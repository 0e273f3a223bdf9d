/**
 * Worker for the cross-thread determinism test: instantiates the core over the shared
 * memory it is given, waits at a start barrier (Atomics), runs its range of the seeded math
 * sequence into the shared split region and the whole sequence into its own region, and
 * reports the hash of the latter computed by its own instance.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Core } from '../../src/physics/wasm';

interface Job {
  memory: WebAssembly.Memory;
  seed: bigint;
  count: number;
  itemBytes: number;
  start: number;
  end: number;
  splitOffset: number;
  ownOffset: number;
  /** Byte offset of an Int32 barrier counter in the shared memory. */
  barrier: number;
  parties: number;
}

const job = workerData as Job;
const core = Core.instantiate(job.memory, 'release');
const flags = new Int32Array(job.memory.buffer);
const slot = job.barrier >> 2;
// start barrier: every party increments, then waits until all have arrived
Atomics.add(flags, slot, 1);
Atomics.notify(flags, slot);
while (Atomics.load(flags, slot) < job.parties) Atomics.wait(flags, slot, Atomics.load(flags, slot), 1000);
core.exports.mathSequence(job.seed, job.start, job.end - job.start, job.splitOffset);
core.exports.mathSequence(job.seed, 0, job.count, job.ownOffset);
parentPort!.postMessage({ ownHash: core.hash64(job.ownOffset, job.count * job.itemBytes) });
