/**
 * The leader's side of the replicated world log (issue 19): a WorldLogStore that writes every
 * closed tick to the node's own store first (SQLite: the tick is durable on this machine before
 * it is sent, as before) and then appends it to the world's JetStream log (jetstream-log.ts) for
 * the replicas, in tick order, pipelined, without holding up the tick.
 *
 *   WorldLoop.step -> appendTick -> inner.appendTick (sync)
 *                              \-> queue -> JetStreamTickLog.append (async, at most `maxInFlight` unacknowledged)
 *
 * When NATS is away the queue holds at most `maxQueued` ticks; beyond that the oldest are dropped
 * from memory (counted) and, once NATS is back, read again from the node's own store
 * (inner.ticksFrom), so the JetStream log never has a hole. When another writer appended
 * (ReplicaError FENCED: a new leader), nothing more is appended and `onFenced` is called: this
 * node is deposed and must stop writing.
 *
 * `afterAppend` (when set) runs after each tick of the stream is taken, still inside the world
 * loop's step: the leader's snapshots hook in there (snapshots.ts SnapshotPublisher).
 *
 * Not yet (issue 19, later): acknowledging a client's input only once its tick is in JetStream.
 */
import type { DurableLog } from '../net/send-gate';
import type { StreamEvent } from '../protocol/messages';
import type { ScriptRecord, ScriptSourceStore, StoredSnapshot, WorldLogStore } from '../persist/store';
import type { LoggedTick } from './log-codec';
import { ReplicaError, type JetStreamTickLog } from './jetstream-log';

/** Settings of a ReplicatedLogStore. */
export interface ReplicationOptions {
  /** Appends awaiting their acknowledgement at most. Default 64. */
  maxInFlight?: number;
  /** Ticks kept in memory while NATS is away; older ones are read back from the store. Default 1,200 (a minute at 20 Hz). */
  maxQueued?: number;
  /** Wait before retrying after a failed append, ms. Default 500. */
  retryMs?: number;
  /** Called once when another writer appended: this node is no longer the leader. */
  onFenced?: (e: ReplicaError) => void;
  /**
   * Resolves whether this node still holds the leader lease (LeaderLease.confirm), asked after a
   * failed append before appending again. Without it a writer cut off past its lease would, after
   * re-reading the log's end, append on top of the new leader's ticks (its expected sequence then
   * matches): false makes the store fenced instead. None: no check (tests of the store alone).
   */
  confirmLease?: () => Promise<boolean>;
  /** Called with each failed append other than fencing (NATS away, a timeout); the store retries. */
  onError?: (e: Error) => void;
}

/** Figures of the replication (for metrics). */
export interface ReplicationStats {
  /** Newest tick JetStream acknowledged, or -1. */
  replicatedTick: number;
  /** Newest tick written to the node's store, or -1. */
  loggedTick: number;
  inFlight: number;
  queued: number;
  /** Appends that failed (and were retried). */
  failures: number;
  /** Ticks dropped from memory while NATS was away (read back from the store later). */
  dropped: number;
  fenced: boolean;
}

/** A WorldLogStore that also appends every closed tick to the world's JetStream log (module comment). */
export class ReplicatedLogStore implements WorldLogStore, ScriptSourceStore, DurableLog {
  private readonly queue: LoggedTick[] = [];
  private readonly storedListeners = new Set<(tick: number) => void>();
  private inFlight = 0;
  private replicated = -1;
  private logged = -1;
  private failures = 0;
  private dropped = 0;
  private retrying: NodeJS.Timeout | null = null;
  private fenced: ReplicaError | null = null;
  private idle: Array<() => void> = [];
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private readonly retryMs: number;
  /** Called with each tick of the stream after it is queued (not once fenced); see the module comment. */
  afterAppend: ((tick: number) => void) | null = null;

  /**
   * Wraps `inner` (the node's own store) for stream `stream`, appending to `log` (opened at the
   * end of the stream: its lastTick() is what the replicas already have). Throws RangeError for
   * bad settings.
   */
  constructor(
    readonly inner: WorldLogStore,
    readonly stream: string,
    private readonly log: JetStreamTickLog,
    private readonly opts: ReplicationOptions = {},
  ) {
    this.maxInFlight = opts.maxInFlight ?? 64;
    this.maxQueued = opts.maxQueued ?? 1200;
    this.retryMs = opts.retryMs ?? 500;
    if (!(Number.isInteger(this.maxInFlight) && this.maxInFlight >= 1)) throw new RangeError(`maxInFlight must be an integer >= 1, got ${this.maxInFlight}`);
    if (!(Number.isInteger(this.maxQueued) && this.maxQueued >= 1)) throw new RangeError(`maxQueued must be an integer >= 1, got ${this.maxQueued}`);
    this.replicated = log.lastTick() ?? -1;
  }

  appendTick(
    stream: string,
    tick: number,
    events: readonly StreamEvent[],
    hash: string,
    ids?: ReadonlyArray<readonly [string, number]>,
    deferrable?: boolean,
  ): void {
    this.inner.appendTick(stream, tick, events, hash, ids, deferrable);
    if (stream !== this.stream) return;
    this.logged = tick;
    if (this.fenced || tick <= this.replicated) return;
    this.queue.push({ stream, tick, hash: BigInt(`0x${hash}`), events: [...events], joins: (ids ?? []).map(([a, b]) => [a, b]) });
    if (this.queue.length > this.maxQueued) {
      this.queue.shift();
      this.dropped++;
    }
    this.pump();
    this.afterAppend?.(tick);
  }

  /**
   * Accepted script attaches (WorldLoop.step, migration 7) go to the node's own store when it keeps
   * them (SqliteStore); from there the data stream's trigger (migration 8) takes each row to the
   * replicas' files. A store without a scripts table drops them.
   */
  recordScripts(rows: readonly ScriptRecord[]): void {
    (this.inner as WorldLogStore & Partial<ScriptSourceStore>).recordScripts?.(rows);
  }

  /** The newest record of an object's script in `stream` from the node's own store, or null. */
  currentScript(stream: string, object: string): ScriptRecord | null {
    return (this.inner as WorldLogStore & Partial<ScriptSourceStore>).currentScript?.(stream, object) ?? null;
  }

  /** Sends queued ticks while there is room in flight; refills from the store after drops. */
  private pump(): void {
    if (this.fenced || this.retrying) return;
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const t = this.queue[0];
      const want = (this.log.lastTick() ?? this.replicated) + 1;
      if (this.log.lastTick() !== null && t.tick > want) {
        // ticks dropped while NATS was away: read them back from the node's store
        this.inner.flush?.();
        const back = this.inner.ticksFrom(this.stream, want).filter((r) => r.tick < t.tick);
        this.queue.unshift(...back.map((r) => ({ stream: this.stream, tick: r.tick, hash: BigInt(`0x${r.hash}`), events: r.events, joins: r.ids })));
        continue;
      }
      if (t.tick < want) {
        this.queue.shift(); // already in the log (appended before a retry's refresh)
        continue;
      }
      this.queue.shift();
      this.inFlight++;
      this.log.append(t).then(
        () => {
          this.inFlight--;
          this.advance(t.tick);
          this.pump();
          this.wakeIdle();
        },
        (e: Error) => {
          this.inFlight--;
          if (e instanceof ReplicaError && e.code === 'FENCED') {
            this.fence(e);
            this.wakeIdle();
            return;
          }
          this.failures++;
          this.opts.onError?.(e);
          // put it back and retry after a pause, from where the log really ends
          if (!this.queue.length || this.queue[0].tick > t.tick) this.queue.unshift(t);
          this.scheduleRetry();
        },
      );
    }
  }

  /**
   * After a failed append and a fresh look at the log's end: true when this node may go on
   * appending from there. The ticks past the last one acknowledged to it must be its own (the
   * same hash as its store's: appends whose acknowledgement was lost), and it must still hold the
   * lease (confirmLease). Otherwise it is fenced (onFenced) and resolves false.
   */
  private async stillOurs(): Promise<boolean> {
    const end = this.log.lastTick() ?? -1;
    let why = '';
    if (end > this.replicated) {
      this.inner.flush?.();
      const mine = new Map(this.inner.ticksFrom(this.stream, this.replicated + 1).map((r) => [r.tick, r.hash]));
      // the log's ticks are consecutive: one look for where they start, then read them in turn
      const first = await this.log.sequenceOf(this.replicated + 1);
      for (let t = this.replicated + 1; t <= end && !why; t++) {
        const logged = first === null ? null : await this.log.tickAt(first + (t - this.replicated - 1));
        if (!logged || mine.get(t) !== logged.hash.toString(16)) why = `tick ${t} in the log is not this node's`;
      }
    }
    if (!why && this.opts.confirmLease && !(await this.opts.confirmLease())) why = 'the leader lease was lost while the log was out of reach';
    if (!why) return true;
    this.fence(new ReplicaError('FENCED', `${this.log.stream}: ${why}: this node is deposed`));
    return false;
  }

  private fence(e: ReplicaError): void {
    if (this.fenced) return;
    this.fenced = e;
    this.queue.length = 0;
    this.opts.onFenced?.(e);
    this.wakeIdle();
  }

  /** JetStream holds every tick through `tick`: tell the listeners when that is news. */
  private advance(tick: number): void {
    if (tick <= this.replicated) return;
    this.replicated = tick;
    for (const f of this.storedListeners) f(tick);
  }

  /** Newest tick JetStream acknowledged, or -1 (DurableLog: the host's send gate, src/net/send-gate.ts). */
  storedTick(): number {
    return this.replicated;
  }

  /** Calls `cb` with the newest acknowledged tick whenever it advances; returns the function that stops it. */
  onStored(cb: (tick: number) => void): () => void {
    this.storedListeners.add(cb);
    return () => this.storedListeners.delete(cb);
  }

  private scheduleRetry(): void {
    if (this.retrying || this.fenced) return;
    this.retrying = setTimeout(() => {
      void this.log
        .refresh()
        .then(() => this.stillOurs())
        .then(
          (ours) => {
            this.retrying = null;
            if (!ours) return;
            this.advance(this.log.lastTick() ?? -1);
            if (this.inFlight === 0) this.pump();
            else this.scheduleRetry();
          },
          (e: Error) => {
            this.retrying = null;
            this.failures++;
            this.opts.onError?.(e);
            this.scheduleRetry();
          },
        );
    }, this.retryMs);
    this.retrying.unref?.();
  }

  private wakeIdle(): void {
    if (this.inFlight > 0 || (this.queue.length > 0 && !this.fenced)) return;
    const w = this.idle;
    this.idle = [];
    for (const f of w) f();
  }

  /** Resolves when every tick logged so far is in JetStream (or this writer is fenced). Rejects after `timeoutMs`. */
  drain(timeoutMs = 10_000): Promise<void> {
    if (this.inFlight === 0 && (this.queue.length === 0 || this.fenced)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`replication: ${this.queue.length + this.inFlight} ticks not acknowledged within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.idle.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Figures for metrics. */
  stats(): ReplicationStats {
    return {
      replicatedTick: this.replicated,
      loggedTick: this.logged,
      inFlight: this.inFlight,
      queued: this.queue.length,
      failures: this.failures,
      dropped: this.dropped,
      fenced: this.fenced !== null,
    };
  }

  /** Stops retrying (the queue is kept in the node's store anyway). */
  close(): void {
    if (this.retrying) clearTimeout(this.retrying);
    this.retrying = null;
  }

  flush(): void {
    this.inner.flush?.();
  }
  ticksFrom(stream: string, tick: number): ReturnType<WorldLogStore['ticksFrom']> {
    return this.inner.ticksFrom(stream, tick);
  }
  lastTick(stream: string): number | null {
    return this.inner.lastTick(stream);
  }
  saveSnapshot(stream: string, tick: number, hash: string, data: Uint8Array, atMs: number, keep?: number): void {
    this.inner.saveSnapshot(stream, tick, hash, data, atMs, keep);
  }
  newestSnapshot(stream: string): StoredSnapshot | null {
    return this.inner.newestSnapshot(stream);
  }
}
