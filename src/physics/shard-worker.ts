/**
 * Shard worker (node:worker_threads): runs its shards' ticks (assembly/physics/shard.ts) in
 * the memory it shares with the coordinator, each time the coordinator bumps the step
 * generation (control block CONTROL in world-layout.ts).
 *
 * No lock is ever held: a worker that dies simply never counts its shards, and the
 * coordinator's wait times out. A trap in a shard's tick is reported in CONTROL.FAILURE and
 * the shard still counts as done, so the coordinator learns of it at the barrier.
 *
 * A tick is one phase (shardTick) with exchange 'tick', and 2 SUBSTEPS + 2 phases (shardPhase
 * 0 to 2 SUBSTEPS + 1: assembly/physics/shard.ts) with 'pass'; after each phase but the last,
 * the worker waits until every worker of the pool has finished it (CONTROL.ARRIVE, the pass
 * barrier), and after the last it counts its shards DONE. A worker whose shard trapped goes on
 * through the barriers without running it (the coordinator re-runs the tick); a worker of a
 * fenced epoch leaves the barrier and exits.
 */
import { workerData } from 'node:worker_threads';
import { Core } from './wasm';
import type { WorldExports } from './world';
import { CONTROL, CONTROL_WORDS, SHARD_CFG } from './world-layout';

interface ShardWorkerData {
  memory: WebAssembly.Memory;
  /** Addresses of the configuration blocks of the shards this worker runs. */
  cfgs: number[];
  /** Index of each shard (for failure reports). */
  indices: number[];
  control: number;
  /** The pool epoch this worker belongs to, and the generation current when it was spawned. */
  epoch: number;
  startGen: number;
  /** Exchange 'pass': phases per tick and workers in the pool; 0 = one shardTick per tick. */
  phases: number;
  workers: number;
}

const { GEN, DONE, QUIT, FAILURE, EPOCH, ACTIVE, STRAY_WAKES, READY, ARRIVE } = CONTROL;
const STEP_NS_BYTE = SHARD_CFG.STEP_NS * 8;
const TRAP_BYTE = SHARD_CFG.TRAP * 8;
/** ShardedWorld.injectHang's and injectSlow's values of the TRAP slot (shard-pool.ts HANG_HOOK, SLOW_HOOK; not imported: that module is the coordinator's). */
const HANG_HOOK = 2n;
const SLOW_HOOK = 1000n;

const data = workerData as ShardWorkerData;
const core = Core.instantiate(data.memory, 'release');
const x = core.exports as unknown as WorldExports;
const ctl = new Int32Array(data.memory.buffer, data.control, CONTROL_WORDS);
/** Phases per tick: shardPhase 0 to 2 SUBSTEPS + 1 with exchange 'pass', one shardTick with 'tick'. */
const PHASES = data.phases > 0 ? data.phases : 1;
/** Runs phase q of the shard at cfg; returns the shard code's status (0, or -1 for a bad world header). */
const runPhase = data.phases > 0 ? (cfg: number, q: number): number => x.shardPhase(cfg, q) : (cfg: number): number => x.shardTick(cfg);
// Start from the generation current at spawn time, not from the value read at boot: a worker
// that boots after a step was released must still run it.
let gen = data.startGen;
if (Atomics.load(ctl, EPOCH) === data.epoch) {
  Atomics.add(ctl, READY, 1);
  Atomics.notify(ctl, READY);
}
for (;;) {
  // Only a new generation releases a step: Atomics.wait can return 'ok' with GEN unchanged
  // (CONTROL.STRAY_WAKES), and stepping then would run this worker's shards twice.
  let now = Atomics.load(ctl, GEN);
  while (now === gen) {
    const woke = Atomics.wait(ctl, GEN, gen) === 'ok';
    now = Atomics.load(ctl, GEN);
    if (woke && now === gen) Atomics.add(ctl, STRAY_WAKES, 1);
  }
  gen = now;
  if (Atomics.load(ctl, QUIT) || Atomics.load(ctl, EPOCH) !== data.epoch) break;
  if (!runTick()) break;
}

/**
 * Waits until every worker has arrived `target` times at the pass barrier (CONTROL.ARRIVE).
 * Returns false when this worker's epoch was fenced off meanwhile (it must exit).
 */
function barrier(target: number): boolean {
  for (let n = Atomics.load(ctl, ARRIVE); n < target; n = Atomics.load(ctl, ARRIVE)) {
    if (Atomics.load(ctl, EPOCH) !== data.epoch) return false;
    Atomics.wait(ctl, ARRIVE, n, 20);
  }
  return true;
}

/**
 * Runs one tick of this worker's shards, in PHASES phases; false when fenced off.
 * Everything a phase writes to shared memory, its shards' step and its arrival at the pass
 * barrier (or, after the last phase, its DONE count), happens inside one CONTROL.ACTIVE window
 * opened with the epoch check, so a worker fenced off by a recovery never counts into the
 * re-run's barrier or DONE.
 */
function runTick(): boolean {
  const ns = data.cfgs.map(() => 0);
  let failed = false;
  let slowMs = 0;
  for (let q = 0; q < PHASES; q++) {
    const last = q === PHASES - 1;
    if (q === 0) {
      for (const cfg of data.cfgs) {
        const trap = new BigInt64Array(data.memory.buffer, cfg + TRAP_BYTE, 1);
        if (trap[0] === HANG_HOOK) {
          // test hook: hang as an endless loop would, until terminated
          trap[0] = 0n;
          for (;;) {
            /* spin: only worker.terminate() ends this */
          }
        }
        if (trap[0] >= SLOW_HOOK) {
          slowMs = Number(trap[0] - SLOW_HOOK);
          trap[0] = 0n;
        }
      }
    }
    Atomics.add(ctl, ACTIVE, 1);
    if (Atomics.load(ctl, EPOCH) !== data.epoch) {
      Atomics.sub(ctl, ACTIVE, 1);
      Atomics.notify(ctl, ACTIVE);
      return false;
    }
    for (let k = 0; k < data.cfgs.length && !failed; k++) {
      const cfg = data.cfgs[k];
      const t0 = performance.now();
      try {
        if (runPhase(cfg, q) !== 0) throw new Error('bad world header');
      } catch {
        Atomics.store(ctl, FAILURE, 1 + data.indices[k]);
        failed = true;
      }
      ns[k] += performance.now() - t0;
    }
    if (last) {
      // test hook: slow past the step timeout (the step written, its count not yet given)
      for (const until = performance.now() + slowMs; performance.now() < until; ) {
        /* spin */
      }
      data.cfgs.forEach((cfg, k) => {
        new BigInt64Array(data.memory.buffer, cfg + STEP_NS_BYTE, 1)[0] = BigInt(Math.round(ns[k] * 1e6));
      });
      Atomics.add(ctl, DONE, data.cfgs.length);
    } else Atomics.add(ctl, ARRIVE, 1);
    Atomics.sub(ctl, ACTIVE, 1);
    Atomics.notify(ctl, ACTIVE);
    if (last) Atomics.notify(ctl, DONE);
    else {
      Atomics.notify(ctl, ARRIVE);
      // the pass barrier: every worker has run phase q of all its shards
      if (!barrier(data.workers * (q + 1))) return false;
    }
  }
  return true;
}
