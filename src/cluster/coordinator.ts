/**
 * The coordinator of a cluster world: a ShardRunner whose shards are shard processes reached
 * through NATS (docs/cluster/design.md). The world's own thread keeps doing what it does for
 * shard worker threads: it stages commands, opens the tick, waits on a control word and
 * publishes the board; the NATS conversation runs on a worker thread of its own
 * (coordinator-worker.ts), which reads the order from the shared memory and writes the
 * regions' write sets into the back board before it releases the wait.
 *
 * ```
 *   world thread                      coordinator worker                 shard processes
 *   step(): openTick
 *     runTick: REQ = t + 1  ------->  order t  ------------------------>  run regions
 *              wait DONE                <------------------------------  Result per region
 *                                     commit into the back board
 *              <-------  DONE = t + 1
 *   publish board t + 1
 * ```
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import { PhysicsError } from '../physics/world';
import { compiledScript } from '../physics/wasm';
import type { ShardedWorld, ShardRunner } from '../physics/sharded';
import type { ShardedPlan } from '../physics/shard-plan';
import { encodeCopy } from './shard-process';
import { names } from './subjects';
import { readNkeySeed } from './auth';
import { resendLimits, type ResendLimits } from './resend-gate';

/** Control words (Int32) shared with the coordinator worker. */
export const CTL = { REQ: 0, DONE: 1, ERR: 2, WORDS: 4 } as const;
/** Figures (Float64, after the control words) the worker keeps. */
export const STAT = {
  TICKS: 0,
  FAILOVERS: 1,
  LAST_STALL_MS: 2,
  MAX_STALL_MS: 3,
  REJECTED: 4,
  ORDER_BYTES: 5,
  RESULT_BYTES: 6,
  RESEND_DROPPED: 7,
  NO_LIVE_WAITS: 8,
  WORDS: 9,
} as const;

/** Settings of a cluster coordinator. */
export interface CoordinatorOptions {
  /** NATS server URL, or several separated by commas (the client fails over between them). */
  nats: string;
  /** World id (subjects tessera.<world>.*; letters, digits, '_', '-'). */
  world: string;
  /**
   * The coordinator's NATS user seed file (`tessera cluster-keys` writes `coordinator.nk`;
   * auth.ts). Without one it connects anonymously and warns if the server allows that.
   */
  nkeyFile?: string;
  /** Shard processes that take regions (round-robin). */
  processes: number;
  /** Further processes kept as standbys (they follow every tick and take a failed process's regions). Default 0. */
  standbys?: number;
  /** How long to wait for the processes to join, ms. Default 30,000. */
  joinTimeoutMs?: number;
  /** A process that answers no ping for this long is dead, ms. Default 1,500. */
  leaseMs?: number;
  /** An order unanswered for this long is published again (lost messages), ms. Default 500. */
  resendMs?: number;
  /** A tick that does not complete in this long fails the step (PhysicsError SHARD_TIMEOUT), ms. Default 30,000. */
  tickTimeoutMs?: number;
  /** Bound on answering the processes' resend requests (resend-gate.ts). Defaults DEFAULT_RESEND_LIMITS. */
  resendLimits?: Partial<ResendLimits>;
  log?: Logger;
}

/** What the worker gets (workerData). */
export interface CoordinatorData {
  memory: WebAssembly.Memory;
  plan: ShardedPlan;
  ctl: SharedArrayBuffer;
  copy: Uint8Array;
  nats: string;
  world: string;
  nkeyFile?: string;
  processes: number;
  standbys: number;
  joinTimeoutMs: number;
  leaseMs: number;
  resendMs: number;
  tickTimeoutMs: number;
  resendLimits: ResendLimits;
  failures: MessagePort;
}

/** Figures of a running coordinator. */
export interface CoordinatorStats {
  ticks: number;
  /** Regions moved off a failed process. */
  failovers: number;
  lastStallMs: number;
  maxStallMs: number;
  /** Results refused, in all. */
  rejected: number;
  orderBytes: number;
  resultBytes: number;
  /** Resend requests dropped unread by the rate limit (resend-gate.ts). */
  resendRequestsDropped: number;
  /** Times a process looked dead while no other was alive: nothing moved and the tick waited (coordinator-worker.ts failOver). */
  noLiveWaits: number;
}

function workerScript(): string {
  return compiledScript(__dirname, 'src/cluster/coordinator-worker.js');
}

/** A cluster world's coordinator (see the module comment). */
export class ClusterCoordinator implements ShardRunner {
  private readonly ctl: Int32Array;
  private readonly stat: Float64Array;
  private readonly failures: MessagePort;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    sab: SharedArrayBuffer,
    failures: MessagePort,
    private readonly tickTimeoutMs: number,
  ) {
    this.ctl = new Int32Array(sab, 0, CTL.WORDS);
    this.stat = new Float64Array(sab, CTL.WORDS * 4, STAT.WORDS);
    this.failures = failures;
  }

  /**
   * Starts the coordinator of `world` (exchange 'tick', no worker threads): waits for the shard
   * processes to join, sends each its copy of the world as it is now, and attaches itself as the
   * world's runner. Throws PhysicsError SHARD_FAILED when the processes do not join in time or
   * refuse their copy; RangeError for a bad world id or resend limits; NkeyFileError for an unusable key file.
   */
  static async start(world: ShardedWorld, o: CoordinatorOptions): Promise<ClusterCoordinator> {
    names(o.world); // validates the id
    if (o.nkeyFile) readNkeySeed(o.nkeyFile); // refused here, with the file's name, not in the worker
    const sab = new SharedArrayBuffer(CTL.WORDS * 4 + STAT.WORDS * 8);
    const ch = new MessageChannel();
    const acc = world.clusterAccess();
    const data: CoordinatorData = {
      memory: acc.memory,
      plan: acc.plan,
      ctl: sab,
      copy: encodeCopy({ config: world.config, partition: world.partition, range: world.range, save: world.save() }),
      nats: o.nats,
      world: o.world,
      nkeyFile: o.nkeyFile,
      processes: o.processes,
      standbys: o.standbys ?? 0,
      joinTimeoutMs: o.joinTimeoutMs ?? 30_000,
      leaseMs: o.leaseMs ?? 1_500,
      resendMs: o.resendMs ?? 500,
      tickTimeoutMs: o.tickTimeoutMs ?? 30_000,
      resendLimits: resendLimits(o.resendLimits),
      failures: ch.port2,
    };
    const worker = new Worker(workerScript(), { workerData: data, transferList: [ch.port2] });
    const c = new ClusterCoordinator(worker, sab, ch.port1, data.tickTimeoutMs + 5_000);
    const log = o.log;
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error): void => {
        void worker.terminate(); // its NATS connection goes with it
        ch.port1.close();
        reject(e);
      };
      worker.on('message', (m: { type: string; level?: 'info' | 'warn' | 'error'; obj?: object; msg?: string; message?: string }) => {
        if (m.type === 'log' && log && m.level) log[m.level](m.obj ?? {}, m.msg ?? '');
        else if (m.type === 'ready') resolve();
        else if (m.type === 'error') fail(new PhysicsError('SHARD_FAILED', `cluster coordinator: ${m.message}`));
      });
      worker.once('error', (e) => fail(e));
    });
    world.attachRunner(c);
    return c;
  }

  runTick(t: number): void {
    if (this.closed) throw new PhysicsError('SHARD_FAILED', 'the cluster coordinator is closed');
    const req = t + 1;
    Atomics.store(this.ctl, CTL.REQ, req);
    Atomics.notify(this.ctl, CTL.REQ);
    const end = performance.now() + this.tickTimeoutMs;
    for (;;) {
      if (Atomics.load(this.ctl, CTL.DONE) === req) return;
      if (Atomics.load(this.ctl, CTL.ERR) === req) {
        const m = receiveMessageOnPort(this.failures)?.message as { message?: string } | undefined;
        throw new PhysicsError('SHARD_FAILED', `cluster tick ${t}: ${m?.message ?? 'failed'}`);
      }
      const left = end - performance.now();
      if (left <= 0) throw new PhysicsError('SHARD_TIMEOUT', `cluster tick ${t} did not complete in ${this.tickTimeoutMs} ms`);
      Atomics.wait(this.ctl, CTL.DONE, Atomics.load(this.ctl, CTL.DONE), Math.min(left, 100));
    }
  }

  /** The worker's figures (read between steps). */
  stats(): CoordinatorStats {
    const s = this.stat;
    return {
      ticks: s[STAT.TICKS],
      failovers: s[STAT.FAILOVERS],
      lastStallMs: s[STAT.LAST_STALL_MS],
      maxStallMs: s[STAT.MAX_STALL_MS],
      rejected: s[STAT.REJECTED],
      orderBytes: s[STAT.ORDER_BYTES],
      resultBytes: s[STAT.RESULT_BYTES],
      resendRequestsDropped: s[STAT.RESEND_DROPPED],
      noLiveWaits: s[STAT.NO_LIVE_WAITS],
    };
  }

  /** Refusals by code, and the current assignment (asks the worker: call between steps). */
  async details(timeoutMs = 5_000): Promise<{ rejected: Record<string, number>; rejectedTotal: number; hosts: string[]; epochs: string[] }> {
    if (this.closed) throw new PhysicsError('SHARD_FAILED', 'the cluster coordinator is closed');
    return new Promise((resolve, reject) => {
      const on = (m: { type: string; rejected: Record<string, number>; rejectedTotal: number; hosts: string[]; epochs: string[] }): void => {
        if (m.type !== 'stats') return;
        clearTimeout(timer);
        this.worker.off('message', on);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.worker.off('message', on);
        reject(new PhysicsError('SHARD_TIMEOUT', `the coordinator worker did not answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.worker.on('message', on);
      this.worker.postMessage({ type: 'stats' });
    });
  }

  /** Stops the worker (the world can no longer step until another runner is attached). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, CTL.REQ, -1);
    Atomics.notify(this.ctl, CTL.REQ);
    this.failures.close();
    await this.worker.terminate();
  }
}
