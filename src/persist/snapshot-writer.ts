/**
 * Writes world snapshots off the tick thread. The tick thread hands over the snapshot's bytes
 * (transferred, not copied) and returns; a worker thread with its own SQLite connection writes
 * them in chunks of `chunkBytes`, each chunk its own short transaction, so the tick thread's
 * per-tick log append never waits for more than one chunk's write for the write lock:
 *
 *   tick thread: save (sparse copy) -> postMessage(parts, transfer) -> next tick
 *   writer:      chunk 0 | chunk 1 | ... | chunk k-1 | header row (fsync) | prune old | checkpoint
 *
 * The tick thread also raises a gate while a tick runs (tickRunning): the writer starts no chunk
 * then, so the tick's own log append finds the write lock free (at most the chunk already under
 * way, about a millisecond, is waited for).
 *
 * A snapshot exists for readers only once its header row commits (synchronous = FULL; the
 * chunks before it are committed with NORMAL, and the header's fsync of the WAL covers them).
 * A crash in between leaves orphan chunks, which the next writer deletes at start: restore
 * then uses the previous snapshot and a longer stretch of log. The writer also owns WAL
 * checkpoints (the tick thread's connection turns automatic checkpoints off), since a
 * checkpoint after a 40 MiB snapshot would otherwise fall on whichever connection commits next.
 */
import { Worker } from 'node:worker_threads';
import { PersistError } from './migrations';
import { CoreError, compiledScript } from '../physics/wasm';

/** A snapshot to write: stream name, the stream's open tick, the sim hash (hex), its bytes in parts. */
export interface SnapshotJob {
  stream: string;
  tick: number;
  hash: string;
  atMs: number;
  parts: Uint8Array[];
}

/** What the writer reports per snapshot. */
export interface SnapshotWritten {
  tick: number;
  bytes: number;
  chunks: number;
  ms: number;
}

/** Where WorldLoop sends its snapshots when they must not be written on the tick thread. */
export interface SnapshotSink {
  /** Queues a snapshot and returns at once. The parts' buffers are transferred: do not touch them afterwards. */
  write(job: SnapshotJob): void;
  /** Resolves when every queued snapshot is committed; rejects with the first write's error. */
  drain(): Promise<void>;
  /** Snapshots handed over and not yet durable. */
  readonly queued: number;
  /** The tick thread says a tick starts (true) or ends (false); the writer starts no chunk in between. */
  tickRunning?(running: boolean): void;
}

/** Options of SnapshotWriter.start. */
export interface SnapshotWriterOptions {
  /** Bytes per chunk transaction. Default 1 MiB. */
  chunkBytes?: number;
  /** Snapshots kept per stream. Default 3. */
  keep?: number;
  /** Called after each snapshot is durable. */
  onWritten?: (w: SnapshotWritten) => void;
}

/** The snapshot writer thread of one SQLite file. */
export class SnapshotWriter implements SnapshotSink {
  private nextId = 1;
  private readonly pending = new Set<number>();
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private failure: Error | null = null;
  /** The last snapshot written. */
  last: SnapshotWritten | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly gate: Int32Array,
    private readonly opts: SnapshotWriterOptions,
  ) {
    worker.on('message', (m: { type: string; id: number; error?: string } & SnapshotWritten) => {
      if (m.type === 'done') {
        this.last = { tick: m.tick, bytes: m.bytes, chunks: m.chunks, ms: m.ms };
        this.opts.onWritten?.(this.last);
      } else if (m.type === 'error') {
        this.failure ??= new PersistError('CORRUPT', `snapshot write failed: ${m.error}`);
      }
      this.pending.delete(m.id);
      this.settle();
    });
    worker.on('error', (e) => {
      this.failure ??= e;
      this.pending.clear();
      this.settle();
    });
  }

  /**
   * Starts the writer on the SQLite file at `path` (already created and migrated by the tick
   * thread's SqliteStore). Resolves once the worker has opened the file and removed orphan
   * chunks of interrupted writes; rejects with its error otherwise.
   */
  static async start(path: string, opts: SnapshotWriterOptions = {}): Promise<SnapshotWriter> {
    if (path === ':memory:') throw new PersistError('BAD_VALUE', 'a snapshot writer needs a database file, not :memory:');
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(writerScript(), { workerData: { path, gate, chunkBytes: opts.chunkBytes ?? 1 << 20, keep: opts.keep ?? 3 } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (m: { type: string; error?: string }) =>
        m.type === 'ready' ? resolve() : reject(new PersistError('CORRUPT', `snapshot writer: ${m.error}`)),
      );
      worker.once('error', reject);
    });
    return new SnapshotWriter(worker, gate, opts);
  }

  tickRunning(running: boolean): void {
    Atomics.store(this.gate, 0, running ? 1 : 0);
    if (!running) Atomics.notify(this.gate, 0);
  }

  write(job: SnapshotJob): void {
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    this.pending.add(id);
    const transfer = job.parts.map((p) => p.buffer).filter((b, i, all) => b instanceof ArrayBuffer && all.indexOf(b) === i) as ArrayBuffer[];
    this.worker.postMessage({ type: 'write', id, ...job }, transfer);
  }

  drain(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.settle();
    });
  }

  /** Snapshots queued and not yet durable. */
  get queued(): number {
    return this.pending.size;
  }

  /** Waits for the queue, then stops the thread (its connection checkpoints and closes). */
  async close(): Promise<void> {
    try {
      await this.drain();
    } finally {
      this.worker.postMessage({ type: 'close' });
      await new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    }
  }

  private settle(): void {
    if (this.failure) {
      for (const w of this.waiters.splice(0)) w.reject(this.failure);
      return;
    }
    if (this.pending.size === 0) for (const w of this.waiters.splice(0)) w.resolve();
  }
}

/** The compiled worker next to this file, or under build/dist when running from sources (PersistError NOT_FOUND when neither exists). */
function writerScript(): string {
  try {
    return compiledScript(__dirname, 'src/persist/snapshot-writer-worker.js');
  } catch (e) {
    throw e instanceof CoreError ? new PersistError('NOT_FOUND', e.message) : e;
  }
}
