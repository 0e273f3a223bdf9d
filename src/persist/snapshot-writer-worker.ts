/**
 * The snapshot writer thread (see snapshot-writer.ts): its own connection to the store's file,
 * chunked writes, the header row last, pruning and WAL checkpoints.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { SnapshotJob } from './snapshot-writer';

const { path, gate, chunkBytes, keep } = workerData as { path: string; gate: Int32Array; chunkBytes: number; keep: number };
const port = parentPort as NonNullable<typeof parentPort>;

/**
 * Between two chunk transactions: let the tick thread take the write lock, and wait while a
 * tick runs (the gate is 1), up to 1 s so that a tick thread that died holding it cannot stop
 * the writer for good.
 */
async function yieldLock(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1));
  const until = performance.now() + 1000;
  while (Atomics.load(gate, 0) === 1 && performance.now() < until) Atomics.wait(gate, 0, 1, 50);
}

let db: Database.Database;
try {
  db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // chunks of writes that never got their header row (a crash mid-write)
  db.exec('DELETE FROM snapshot_chunks WHERE NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.stream = snapshot_chunks.stream AND s.tick = snapshot_chunks.tick)');
  port.postMessage({ type: 'ready' });
} catch (e) {
  port.postMessage({ type: 'failed', error: (e as Error).message });
  process.exit(1);
}

const insertChunk = db.prepare('INSERT OR REPLACE INTO snapshot_chunks (stream, tick, seq, data) VALUES (?, ?, ?, ?)');
const insertHeader = db.prepare("INSERT OR REPLACE INTO snapshots (stream, tick, hash, data, created_ms, chunks) VALUES (?, ?, ?, X'', ?, ?)");
const oldTicks = db.prepare('SELECT tick FROM snapshots WHERE stream = ? ORDER BY tick DESC LIMIT -1 OFFSET ?');
const deleteHeader = db.prepare('DELETE FROM snapshots WHERE stream = ? AND tick = ?');
const deleteChunks = db.prepare('DELETE FROM snapshot_chunks WHERE stream = ? AND tick = ? AND seq >= ? AND seq < ?');

const queue: Array<SnapshotJob & { id: number }> = [];
let busy = false,
  closing = false;

async function write(job: SnapshotJob & { id: number }): Promise<void> {
  const t0 = performance.now();
  const total = job.parts.reduce((n, p) => n + p.byteLength, 0);
  const all = Buffer.concat(
    job.parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)),
    total,
  );
  const chunks = Math.max(1, Math.ceil(total / chunkBytes));
  for (let k = 0; k < chunks; k++) {
    insertChunk.run(job.stream, job.tick, k, all.subarray(k * chunkBytes, Math.min(total, (k + 1) * chunkBytes)));
    await yieldLock();
  }
  // the header makes the snapshot visible; FULL: its commit fsyncs the WAL with every chunk before it
  db.pragma('synchronous = FULL');
  let old: number[];
  try {
    old = db
      .transaction(() => {
        insertHeader.run(job.stream, job.tick, job.hash, job.atMs, chunks);
        const ticks = (oldTicks.all(job.stream, keep) as Array<{ tick: number }>).map((r) => r.tick);
        for (const t of ticks) deleteHeader.run(job.stream, t);
        return ticks;
      })
      .immediate();
  } finally {
    db.pragma('synchronous = NORMAL');
  }
  const ms = performance.now() - t0;
  port.postMessage({ type: 'done', id: job.id, tick: job.tick, bytes: total, chunks, ms });
  // old snapshots are invisible now; free their chunks a few at a time
  for (const t of old) {
    for (let s = 0; ; s += 16) {
      if (deleteChunks.run(job.stream, t, s, s + 16).changes === 0) break;
      await yieldLock();
    }
  }
  db.pragma('wal_checkpoint(PASSIVE)');
}

async function pump(): Promise<void> {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const job = queue.shift() as SnapshotJob & { id: number };
    try {
      await write(job);
    } catch (e) {
      port.postMessage({ type: 'error', id: job.id, error: (e as Error).message });
    }
  }
  busy = false;
  if (closing) finish();
}

function finish(): void {
  db.pragma('wal_checkpoint(PASSIVE)');
  db.close();
  process.exit(0);
}

port.on('message', (m: { type: 'write' | 'close' } & SnapshotJob & { id: number }) => {
  if (m.type === 'close') {
    closing = true;
    if (!busy) finish();
    return;
  }
  queue.push(m);
  void pump();
});
