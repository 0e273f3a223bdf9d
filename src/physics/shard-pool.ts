/**
 * Shard worker threads (src/physics/shard-worker.ts) of a sharded world and how the coordinator
 * releases and waits for them: the CONTROL barrier, the step timeout, the test hooks, and the
 * epoch fence of a restart (src/physics/sharded.ts drives it).
 */
import { Worker } from 'node:worker_threads';
import { PhysicsError } from './world';
import { compiledScript } from './wasm';
import { CONTROL, CONTROL_WORDS } from './world-layout';

/**
 * Default step timeout, ms. The coordinator blocks while it waits at the barrier (network I/O of
 * the host included), so this is also the longest a dead or hung worker can freeze the host per
 * attempt, and when it is reported (onRecovery runs right after the workers are replaced): under
 * 1 s. A dead worker and a hung one look the same from here (neither counts its shards done).
 * A healthy step takes 1-35 ms at p99 here (bench/results/amd-epyc-2c), so 750 ms is over 20
 * times the worst seen; a false alarm would only cost a re-run of the tick (same bits).
 */
export const DEFAULT_STEP_TIMEOUT_MS = 750;

/** Value of a shard's TRAP configuration slot that makes its worker hang (ShardedWorld.injectHang; 1 makes the core trap). */
export const HANG_HOOK = 2n;
/** TRAP slot values from SLOW_HOOK up make the worker spin (value - SLOW_HOOK) ms inside the shard's step, after stepping it and before counting it done (ShardedWorld.injectSlow). */
export const SLOW_HOOK = 1000n;
/** Least time a recovery waits for a worker that is still inside a step of the failed attempt, ms (ShardWorkerPool.restart). */
export const MIN_FENCE_MS = 2000;
/**
 * Longest a step waits for freshly started workers to load the core before its step timeout
 * starts, ms (ShardWorkerPool.runAll). Loading compiles the WebAssembly module: tens of ms on an
 * idle machine, over 300 ms with both cores busy, which a short step timeout took for a hang
 * and recovered again and again.
 */
export const WORKER_BOOT_MS = 10_000;

/**
 * Worker threads that run shard ticks in one shared memory, released together by an Atomics
 * barrier (CONTROL). runAll() blocks the calling thread until every shard has run; it throws
 * PhysicsError SHARD_FAILED if a shard's tick threw (a WebAssembly trap) and SHARD_TIMEOUT if
 * the workers did not finish in time. A dead worker holds no lock: it never counts its shards
 * and the wait times out.
 */
export class ShardWorkerPool {
  private readonly ctl: Int32Array;
  private workers: Worker[] = [];
  private readonly count: number;
  /** Whether every worker of the current epoch has loaded the core (CONTROL.READY). */
  private ready = false;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly cfgs: number[],
    private readonly control: number,
    workerCount: number,
    /** Exchange 'pass': phases per tick (shard.ts shardPhase: begin, the solver passes, end); 0 = exchange 'tick'. */
    private readonly phases = 0,
  ) {
    this.ctl = new Int32Array(memory.buffer, control, CONTROL_WORDS);
    this.count = Math.max(1, Math.min(workerCount, cfgs.length));
    this.spawn();
  }

  /** Starts a fresh set of workers in a new epoch (workers of older epochs exit on their next wake). */
  private spawn(): void {
    const epoch = Atomics.add(this.ctl, CONTROL.EPOCH, 1) + 1;
    this.start(epoch);
  }

  /** Starts this.count workers of `epoch`. */
  private start(epoch: number): void {
    const startGen = Atomics.load(this.ctl, CONTROL.GEN);
    Atomics.store(this.ctl, CONTROL.READY, 0);
    this.ready = false;
    const script = workerScript();
    // shard k runs on worker k mod count
    this.workers = Array.from({ length: this.count }, (_, w) => {
      const mine = this.cfgs.map((c, k) => [c, k] as const).filter(([, k]) => k % this.count === w);
      return new Worker(script, {
        workerData: {
          memory: this.memory,
          cfgs: mine.map(([c]) => c),
          indices: mine.map(([, k]) => k),
          control: this.control,
          epoch,
          startGen,
          phases: this.phases,
          workers: this.count,
        },
      });
    });
  }

  /**
   * Replaces every worker (recovery after SHARD_FAILED or SHARD_TIMEOUT). First the fence: the
   * epoch moves on, so no worker of the failed attempt starts another shard, and this thread
   * waits (up to `fenceMs`) until none is still inside one (CONTROL.ACTIVE = 0): a worker that
   * was only slow past the timeout would otherwise keep writing its shard's state while the
   * tick is reset and run again, and the re-run would not give the same bits. A worker that
   * died inside a step never leaves it; after `fenceMs` the count is cleared and the recovery
   * goes on (a dead worker writes nothing). Returns whether the fence closed in time.
   */
  restart(fenceMs: number): boolean {
    const old = this.workers;
    const epoch = Atomics.add(this.ctl, CONTROL.EPOCH, 1) + 1;
    const deadline = Date.now() + fenceMs;
    let closed = true;
    for (let active = Atomics.load(this.ctl, CONTROL.ACTIVE); active > 0; active = Atomics.load(this.ctl, CONTROL.ACTIVE)) {
      if (Date.now() > deadline) {
        Atomics.store(this.ctl, CONTROL.ACTIVE, 0);
        closed = false;
        break;
      }
      Atomics.wait(this.ctl, CONTROL.ACTIVE, active, 20);
    }
    Atomics.store(this.ctl, CONTROL.FAILURE, 0);
    this.start(epoch);
    for (const w of old) void w.terminate();
    return closed;
  }

  /** Test hook: wakes every worker waiting for a step without starting one (a stray wake: CONTROL.STRAY_WAKES). */
  wakeWithoutStep(): void {
    Atomics.notify(this.ctl, CONTROL.GEN);
  }

  /** Wakes of a worker that found no new step (CONTROL.STRAY_WAKES), since the pool started. */
  get strayWakes(): number {
    return Atomics.load(this.ctl, CONTROL.STRAY_WAKES);
  }

  /** Test hook: terminates worker `w` as a crash would (its shards stop being run). */
  killWorker(w: number): void {
    void this.workers[w % this.count].terminate();
  }

  /** Workers in the pool. */
  get size(): number {
    return this.count;
  }

  /** Runs one tick of every shard (see the class comment). */
  runAll(timeoutMs = DEFAULT_STEP_TIMEOUT_MS): void {
    if (!this.ready) this.awaitReady(WORKER_BOOT_MS);
    Atomics.store(this.ctl, CONTROL.DONE, 0);
    Atomics.store(this.ctl, CONTROL.ARRIVE, 0);
    Atomics.add(this.ctl, CONTROL.GEN, 1);
    Atomics.notify(this.ctl, CONTROL.GEN);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const done = Atomics.load(this.ctl, CONTROL.DONE);
      if (done >= this.cfgs.length) break;
      if (Date.now() > deadline) throw new PhysicsError('SHARD_TIMEOUT', `${this.cfgs.length - done} shard(s) did not step within ${timeoutMs} ms`);
      Atomics.wait(this.ctl, CONTROL.DONE, done, 20);
    }
    const failed = Atomics.exchange(this.ctl, CONTROL.FAILURE, 0);
    if (failed) throw new PhysicsError('SHARD_FAILED', `shard ${failed - 1} failed to step`);
  }

  /**
   * Blocks until every worker of the current epoch has loaded the core (CONTROL.READY), at most
   * `ms`; a worker that never gets there (it died while loading) is left to the step timeout.
   */
  private awaitReady(ms: number): void {
    const deadline = Date.now() + ms;
    for (let n = Atomics.load(this.ctl, CONTROL.READY); n < this.count; n = Atomics.load(this.ctl, CONTROL.READY)) {
      if (Date.now() > deadline) return;
      Atomics.wait(this.ctl, CONTROL.READY, n, 20);
    }
    this.ready = true;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    Atomics.store(this.ctl, CONTROL.QUIT, 1);
    Atomics.add(this.ctl, CONTROL.GEN, 1);
    Atomics.notify(this.ctl, CONTROL.GEN);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The compiled shard worker next to this file, or under build/dist when running from sources. */
function workerScript(): string {
  return compiledScript(__dirname, 'src/physics/shard-worker.js');
}
