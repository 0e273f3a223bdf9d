/**
 * The data stream of a replicated world (issue 19, docs/replicas/design.md "The data stream"):
 * accounts, sessions, login records, avatars, artifacts, chat history and admin records leave the
 * leader's SQLite file for JetStream, and every replica applies them to its own file, so the node
 * that takes over knows every account, token, avatar, artifact and chat line.
 *
 * ```
 *  leader:  any write to a durable table ──trigger (same transaction)──> data_outbox (SQLite)
 *           DataReplicator: every pollMs, outbox rows in id order ──> JetStream TESSERA_DATA_<world>
 *                           (expect.lastSequence = fencing; at most maxInFlight unacknowledged)
 *           acknowledged rows are deleted from the outbox; settled() waits for them (accounts)
 *  replica: DataFollower: ordered consumer from data_applied.seq + 1 ──> decodeRecord (untrusted)
 *                         ──> INSERT OR REPLACE / DELETE + data_applied.seq, one transaction each
 * ```
 *
 * Capturing by trigger (migrations.ts, migration 6) takes every writer of the file: the host,
 * and the operator's `tessera accounts` on the same file. The outbox is on disk, so a NATS outage
 * loses nothing and bounds no memory: the rows wait and are sent when NATS is back (write-through
 * from SQLite). Only writes a user is told about wait for JetStream (AccountService: register,
 * login, refresh, logout: `settled()`); they are refused at once with `ready()`'s reason while
 * the outbox holds maxBacklog rows or more, or NATS is unreachable. Avatars, artifacts, chat,
 * admin and login records are sent behind (within pollMs plus a round trip).
 *
 * One writer: a leader's first record is a marker appended with the expected last sequence of
 * the stream's end it has applied; if another writer slipped in, it applies that and tries again.
 * From then on a deposed leader's append is refused (wrong last sequence): after any failed append
 * the replicator reads the stream's last record; if another writer wrote it, this one is FENCED
 * (`onFenced`) and sends nothing more. If it wrote it itself (a timeout whose append was stored),
 * it resumes after that record's outbox id: nothing is sent twice, nothing skipped.
 *
 * A node that leads again after someone else led drops its outbox rows not in the stream (writes
 * made after it was deposed: never acknowledged to anyone who waited), counted in `stats().stale`.
 */
import { jetstream, jetstreamManager, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { replicaConnectOptions } from './auth';
import { orderedFeed } from './ordered-feed';
import {
  DataError,
  DATA_TABLES,
  MAX_RECORD_BYTES,
  RecordApplier,
  dataNames,
  decodeRecord,
  encodeLead,
  encodeOutboxRow,
  seedOutbox,
  type DataRecord,
} from './data-records';

export { DataError } from './data-records';

/** JetStream's error code for a publish whose expected last sequence is not the stream's. */
const WRONG_LAST_SEQUENCE = 10071;

/** A world's data stream on JetStream: open, append (fenced), read the end, follow. */
export class DataStreamLog {
  private constructor(
    readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    readonly prefix: string,
    private readonly ackTimeoutMs: number,
  ) {}

  /**
   * Opens (creating if needed) the stream `TESSERA_DATA_<world>` (subjects `tessera.<world>.data.>`,
   * file storage, the newest message per subject). Throws RangeError for a bad world id, the NATS
   * error when JetStream is not there.
   */
  static async open(nc: NatsConnection, world: string, opts: { replicas?: number; ackTimeoutMs?: number } = {}): Promise<DataStreamLog> {
    const { stream, subjects, prefix } = dataNames(world);
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.streams.info(stream);
    } catch {
      await jsm.streams.add({
        name: stream,
        subjects: [subjects],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        max_msgs_per_subject: 1,
        num_replicas: opts.replicas ?? 1,
        max_msg_size: MAX_RECORD_BYTES,
      });
    }
    return new DataStreamLog(jetstream(nc), jsm, stream, prefix, opts.ackTimeoutMs ?? 5_000);
  }

  /** The stream's last sequence (0 when empty) and its record (null when it is not a valid one). */
  async last(): Promise<{ seq: number; record: DataRecord | null }> {
    const info = await this.jsm.streams.info(this.stream);
    const seq = info.state.last_seq;
    if (info.state.messages === 0 || seq === 0) return { seq, record: null };
    const m = await this.jsm.streams.getMessage(this.stream, { seq });
    if (!m) return { seq, record: null };
    try {
      return { seq, record: decodeRecord(this.prefix, m.subject, m.data) };
    } catch {
      return { seq, record: null };
    }
  }

  /**
   * Appends `data` on `<prefix><suffix>` if the stream's last sequence is `expected`; resolves
   * with the new sequence. Rejects with DataError FENCED when it is not (another writer appended),
   * or the NATS error (a timeout: stored or not).
   */
  async append(suffix: string, data: Uint8Array, expected: number): Promise<number> {
    try {
      return (await this.js.publish(this.prefix + suffix, data, { expect: { lastSequence: expected }, timeout: this.ackTimeoutMs })).seq;
    } catch (e) {
      const code = (e as { api_error?: { err_code?: number } }).api_error?.err_code;
      if (code === WRONG_LAST_SEQUENCE || /wrong last sequence/i.test(String((e as Error).message)))
        throw new DataError('FENCED', `${this.stream}: the stream moved past sequence ${expected}: another writer appended`);
      throw e;
    }
  }

  /**
   * Delivers every message from sequence `fromSeq` on, in order (an ordered consumer), until
   * stop(). `onMessage` errors end the feed and go to `onError`.
   */
  async follow(fromSeq: number, onMessage: (seq: number, subject: string, data: Uint8Array) => void, onError: (e: Error) => void): Promise<{ stop(): void }> {
    return orderedFeed(this.js, this.stream, fromSeq, (m) => onMessage(m.seq, m.subject, m.data), onError);
  }
}

/** The SQLite side: the outbox, the capture switch and the applied sequence (migration 6). */
export class DataOutbox {
  private readonly st: Record<string, Database.Statement>;

  constructor(readonly db: Database.Database) {
    const p = (sql: string): Database.Statement => db.prepare(sql);
    this.st = {
      writer: p('SELECT writer, capture FROM data_state'),
      capture: p('UPDATE data_state SET capture = ?'),
      renew: p('UPDATE data_state SET writer = lower(hex(randomblob(8)))'),
      pending: p('SELECT id, tbl, op, row FROM data_outbox WHERE id > ? ORDER BY id LIMIT ?'),
      backlog: p('SELECT count(*) AS n FROM data_outbox WHERE id > ?'),
      maxId: p('SELECT max(id) AS id FROM data_outbox'),
      minId: p('SELECT min(id) AS id FROM data_outbox'),
      seqOf: p("SELECT seq FROM sqlite_sequence WHERE name = 'data_outbox'"),
      deleteUpTo: p('DELETE FROM data_outbox WHERE id <= ?'),
      applied: p('SELECT seq FROM data_applied WHERE world = ?'),
      setApplied: p('INSERT INTO data_applied (world, seq) VALUES (?, ?) ON CONFLICT(world) DO UPDATE SET seq = max(seq, excluded.seq)'),
      syncNormal: p('PRAGMA synchronous = NORMAL'),
      syncFull: p('PRAGMA synchronous = FULL'),
    };
  }

  /** This file's writer id (16 hex digits). */
  writer(): string {
    return (this.st.writer.get() as { writer: string }).writer;
  }
  /**
   * Gives this file a new writer id (a replica: a file copied from the leader's must not pass
   * for it when it leads, or fencing could not tell the two apart).
   */
  renewWriter(): void {
    this.st.renew.run();
  }
  /** Whether the triggers copy writes into the outbox. */
  capturing(): boolean {
    return (this.st.writer.get() as { capture: number }).capture === 1;
  }
  /** Turns the capture on (a leader) or off (a replica applying records, a node that does not replicate). */
  setCapture(on: boolean): void {
    this.st.capture.run(on ? 1 : 0);
  }
  /** Outbox rows after id `after`, at most `limit`, by id. */
  pending(after: number, limit: number): Array<{ id: number; tbl: string; op: string; row: string }> {
    return this.st.pending.all(after, limit) as Array<{ id: number; tbl: string; op: string; row: string }>;
  }
  /** Rows in the outbox after id `after` (default all). */
  backlog(after = 0): number {
    return (this.st.backlog.get(after) as { n: number }).n;
  }
  /** The newest outbox id written (0 when none ever was). */
  newestId(): number {
    const m = (this.st.maxId.get() as { id: number | null }).id;
    return m ?? (this.st.seqOf.get() as { seq: number } | undefined)?.seq ?? 0;
  }
  /** The oldest row still in the outbox, or null. */
  oldestId(): number | null {
    return (this.st.minId.get() as { id: number | null }).id;
  }
  /** Deletes rows up to `id` (stored in JetStream, or stale) and records `seq` as applied for `world`, without an fsync (both can be found again: see module comment). */
  done(world: string, id: number, seq: number): void {
    this.st.syncNormal.run();
    try {
      this.db
        .transaction(() => {
          this.st.deleteUpTo.run(id);
          if (seq > 0) this.st.setApplied.run(world, seq);
        })
        .immediate();
    } finally {
      this.st.syncFull.run();
    }
  }
  /** The last sequence of `world`'s data stream this file holds (0: none). */
  applied(world: string): number {
    return (this.st.applied.get(world) as { seq: number } | undefined)?.seq ?? 0;
  }
  /** Records `seq` as applied (call inside the applying transaction). */
  setApplied(world: string, seq: number): void {
    this.st.setApplied.run(world, seq);
  }
}

/**
 * Stops capturing on a node that does not replicate (serve without --replicate) and empties the
 * outbox, so it does not grow. Returns the rows dropped.
 */
export function stopCapture(db: Database.Database): number {
  const o = new DataOutbox(db);
  const n = o.backlog();
  o.setCapture(false);
  if (n > 0) o.done('', o.newestId(), 0);
  return n;
}

/** A replica's figures of the data stream. */
export interface DataFollowerStats {
  /** Records applied by this follower. */
  applied: number;
  /** Messages refused (not valid records: DataError BAD_RECORD), skipped, nothing of them applied. */
  refused: number;
  /** The last stream sequence this file holds. */
  seq: number;
}

/** Applies a world's data stream to a SQLite file (module comment). */
export class DataFollower {
  private applied = 0;
  private refused = 0;
  private seq: number;
  private failure: Error | null = null;
  private stopFeed: () => void = () => {};
  private readonly applier: RecordApplier;
  private readonly outbox: DataOutbox;

  private constructor(
    private readonly log: DataStreamLog,
    private readonly db: Database.Database,
    private readonly world: string,
    private readonly opts: { onRefused?: (seq: number, e: DataError) => void },
  ) {
    this.outbox = new DataOutbox(db);
    this.applier = new RecordApplier(db);
    this.seq = this.outbox.applied(world);
  }

  /**
   * Starts applying `log` to `db` from the sequence after the one the file holds. Capture is
   * turned off (applied rows are not this node's writes), and so are foreign keys while it runs
   * (the stream keeps each row's newest image, so a session may come before its account's image).
   */
  static async start(
    log: DataStreamLog,
    db: Database.Database,
    world: string,
    opts: { onRefused?: (seq: number, e: DataError) => void } = {},
  ): Promise<DataFollower> {
    const f = new DataFollower(log, db, world, opts);
    f.outbox.setCapture(false);
    db.pragma('foreign_keys = OFF');
    db.pragma('synchronous = NORMAL'); // a crash loses a suffix, applied again from data_applied
    const feed = await log.follow(
      f.seq + 1,
      (seq, subject, data) => f.onMessage(seq, subject, data),
      (e) => {
        f.failure ??= e;
      },
    );
    f.stopFeed = () => feed.stop();
    return f;
  }

  private onMessage(seq: number, subject: string, data: Uint8Array): void {
    if (seq <= this.seq) return; // already in the file
    let r: DataRecord | null = null;
    try {
      r = decodeRecord(this.log.prefix, subject, data);
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      this.refused++;
      this.opts.onRefused?.(seq, e);
    }
    this.db
      .transaction(() => {
        if (r) this.applier.apply(r);
        this.outbox.setApplied(this.world, seq);
      })
      .immediate();
    this.seq = seq;
    if (r) this.applied++;
  }

  /** Figures. */
  stats(): DataFollowerStats {
    return { applied: this.applied, refused: this.refused, seq: this.seq };
  }

  /** Resolves once every message up to sequence `end` is applied; rejects after `timeoutMs` or when the feed failed. */
  async reach(end: number, timeoutMs: number): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (this.seq < end) {
      if (this.failure) throw this.failure;
      if (performance.now() > until) throw new DataError('NOT_REPLICATED', `${this.log.stream}: at sequence ${this.seq} of ${end} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Stops applying; foreign keys and fsync per commit are on again. */
  stop(): void {
    this.stopFeed();
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('synchronous = FULL');
  }
}

/** Settings of a DataReplicator. */
export interface DataReplicatorOptions {
  world: string;
  /** This node's id (in the leader marker). */
  node: string;
  /** Unacknowledged appends at most. Default 64. */
  maxInFlight?: number;
  /** Outbox rows (writes not yet in JetStream) beyond which account writes are refused (BACKLOG). Default 10,000. */
  maxBacklog?: number;
  /** How often the outbox is read, ms. Default 20. */
  pollMs?: number;
  /** Wait after a failed append before reading the stream's end again, ms. Default 500. */
  retryMs?: number;
  /** How long settled() waits, ms. Default 5,000. */
  settleTimeoutMs?: number;
  /** How long the takeover may take to apply the stream to its end, ms. Default 10,000. */
  catchUpMs?: number;
  /** Called once when another writer appended: this node is no longer the leader. */
  onFenced?: (e: DataError) => void;
  /** Called with each failed append other than fencing (the replicator retries). */
  onError?: (e: Error) => void;
}

/** The leader's figures of the data stream. */
export interface DataReplicatorStats {
  /** Records JetStream acknowledged (this run). */
  appended: number;
  inFlight: number;
  /** Rows in the outbox (not yet acknowledged). */
  backlog: number;
  /** Appends that failed and were retried. */
  failures: number;
  /** Outbox rows dropped at the takeover: written after this node was deposed, never in the stream. */
  stale: number;
  /** Rows the file held when this node started a new stream (sent first). */
  seeded: number;
  /** Outbox rows skipped because they could not be sent (larger than MAX_RECORD_BYTES): replicas lack them. */
  skipped: number;
  /** Writes refused because the outbox was full or NATS away (ready()). */
  refusals: number;
  /** The stream's last sequence this node knows. */
  seq: number;
  fenced: boolean;
}

/** The leader's side of the data stream (module comment). */
export class DataReplicator {
  private readonly outbox: DataOutbox;
  private readonly w: string;
  private sentId = 0;
  private ackedId = 0;
  private doneId = 0;
  private expected = 0;
  private ackedSeq = 0;
  private inFlight = 0;
  private appended = 0;
  private failures = 0;
  private stale = 0;
  /** Rows of the file copied into the outbox when this node started a new stream. */
  private seeded = 0;
  /** Outbox rows that could not be sent (larger than a record), and the newest one's id. */
  private skipped = 0;
  private skippedTo = 0;
  private refusals = 0;
  private fenced: DataError | null = null;
  private retrying = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private waiters: Array<{ target: number; resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = [];
  private readonly o: Required<Omit<DataReplicatorOptions, 'onFenced' | 'onError'>> & Pick<DataReplicatorOptions, 'onFenced' | 'onError'>;

  private constructor(
    private readonly log: DataStreamLog,
    db: Database.Database,
    opts: DataReplicatorOptions,
  ) {
    this.o = { maxInFlight: 64, maxBacklog: 10_000, pollMs: 20, retryMs: 500, settleTimeoutMs: 5_000, catchUpMs: 10_000, ...opts };
    for (const k of ['maxInFlight', 'maxBacklog', 'pollMs', 'retryMs'] as const)
      if (!(Number.isInteger(this.o[k]) && this.o[k] >= 1)) throw new RangeError(`${k} must be an integer >= 1, got ${this.o[k]}`);
    this.outbox = new DataOutbox(db);
    this.w = this.outbox.writer();
  }

  /**
   * Takes over the data stream: applies it to `db` up to its end (stopping `follower` if given,
   * which got most of it already), drops outbox rows the stream does not continue (module
   * comment), appends the leader marker (fenced; retried after applying what another writer
   * slipped in), turns capture on and starts sending the outbox. Rejects with DataError
   * NOT_REPLICATED when the end cannot be reached within catchUpMs, or the NATS error.
   */
  static async lead(log: DataStreamLog, db: Database.Database, opts: DataReplicatorOptions, follower?: DataFollower): Promise<DataReplicator> {
    const r = new DataReplicator(log, db, opts);
    const until = performance.now() + r.o.catchUpMs;
    let f = follower ?? null;
    try {
      for (;;) {
        const ob = r.outbox;
        ob.setCapture(false); // what is applied now is not this node's writing
        const end = await log.last();
        f ??= await DataFollower.start(log, db, opts.world);
        await f.reach(end.seq, Math.max(1, until - performance.now()));
        if (end.record && end.record.w === r.w) ob.done(opts.world, end.record.o, end.seq);
        else if (end.seq > 0 && ob.backlog() > 0) {
          r.stale += ob.backlog();
          ob.done(opts.world, ob.newestId(), end.seq);
        }
        if (end.seq === 0) {
          // a new stream: everything this file already holds goes first
          ob.setCapture(true);
          r.seeded = seedOutbox(db);
          ob.setCapture(false);
        }
        const oldest = ob.oldestId();
        const o = oldest === null ? ob.newestId() : oldest - 1;
        const m = encodeLead(r.w, o, opts.node);
        try {
          const seq = await log.append(m.subject, m.data, end.seq);
          f.stop();
          f = null;
          r.sentId = r.ackedId = r.doneId = o;
          r.expected = r.ackedSeq = seq;
          ob.done(opts.world, o, seq);
          ob.setCapture(true);
          break;
        } catch (e) {
          if (!(e instanceof DataError && e.code === 'FENCED')) throw e;
          if (performance.now() > until) throw new DataError('NOT_REPLICATED', `${log.stream}: other writers kept appending for ${r.o.catchUpMs} ms`);
          // another writer slipped in after the end we applied: apply it too, then try again
        }
      }
    } finally {
      f?.stop();
    }
    r.schedule(0);
    return r;
  }

  private schedule(ms: number): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.poll();
      } catch (e) {
        this.failures++; // the file (closed under it, busy): tried again at the next poll
        this.o.onError?.(e as Error);
      }
      if (!this.fenced) this.schedule(this.retrying ? this.o.retryMs : this.o.pollMs);
    }, ms);
    this.timer.unref?.();
  }

  /** Commits what was acknowledged, then sends outbox rows while there is room in flight. */
  private poll(): void {
    if (this.fenced || this.closed) return;
    if (this.ackedId > this.doneId) {
      this.outbox.done(this.o.world, this.ackedId, this.ackedSeq);
      this.doneId = this.ackedId;
    }
    if (this.retrying) return;
    const room = this.o.maxInFlight - this.inFlight;
    if (room <= 0) return;
    for (const row of this.outbox.pending(this.sentId, room)) {
      let msg: { data: Uint8Array; subject: string };
      try {
        msg = encodeOutboxRow(this.w, row.id, row.tbl, row.op, row.row);
        if (msg.data.byteLength > MAX_RECORD_BYTES)
          throw new DataError(
            'BAD_RECORD',
            `${row.tbl} row (outbox ${row.id}) is ${msg.data.byteLength} bytes, more than a record holds (${MAX_RECORD_BYTES})`,
          );
      } catch (e) {
        // a row that cannot be sent is skipped (counted, reported), not retried forever: it would stop every later write
        this.failures++;
        this.skipped++;
        this.o.onError?.(e as Error);
        this.sentId = this.skippedTo = row.id;
        if (this.inFlight === 0) this.ackedId = Math.max(this.ackedId, row.id);
        continue;
      }
      this.sentId = row.id;
      this.inFlight++;
      const expected = this.expected++;
      this.log.append(msg.subject, msg.data, expected).then(
        (seq) => {
          this.inFlight--;
          this.appended++;
          this.ackedId = Math.max(this.ackedId, row.id);
          if (this.inFlight === 0) this.ackedId = Math.max(this.ackedId, Math.min(this.skippedTo, this.sentId)); // a skipped row after the last sent one
          this.ackedSeq = Math.max(this.ackedSeq, seq);
          this.wake();
        },
        (e: Error) => {
          this.inFlight--;
          if (!(e instanceof DataError)) {
            this.failures++;
            this.o.onError?.(e);
          }
          if (!this.retrying) {
            this.retrying = true;
            setTimeout(() => void this.resync(), this.o.retryMs).unref?.();
          }
        },
      );
    }
    this.wake(); // rows skipped above count as done
  }

  /** After a failed append: where does the stream end, and who wrote its last record? */
  private async resync(): Promise<void> {
    if (this.closed || this.fenced) return;
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 10)); // their outcomes first
    try {
      const end = await this.log.last();
      if (end.seq === this.ackedSeq) {
        // nothing of ours is missing: the failure was before the server (NATS away)
      } else if (end.record && end.record.w === this.w) {
        this.ackedId = Math.max(this.ackedId, end.record.o);
        this.ackedSeq = end.seq;
      } else {
        this.fence(new DataError('FENCED', `${this.log.stream}: sequence ${end.seq} was written by another node: this one is deposed`));
        return;
      }
      this.sentId = this.ackedId;
      this.expected = end.seq;
      this.retrying = false;
      this.skippedTo = Math.min(this.skippedTo, this.ackedId); // sent again after a resync
      this.wake();
      this.schedule(0);
    } catch (e) {
      this.failures++;
      this.o.onError?.(e as Error);
      setTimeout(() => void this.resync(), this.o.retryMs).unref?.();
    }
  }

  private fence(e: DataError): void {
    if (this.fenced) return;
    this.fenced = e;
    this.retrying = false;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.o.onFenced?.(e);
  }

  private wake(): void {
    if (!this.waiters.length) return;
    const keep: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.ackedId >= w.target) {
        clearTimeout(w.timer);
        w.resolve();
      } else keep.push(w);
    }
    this.waiters = keep;
  }

  /**
   * Why a write a user waits for cannot be replicated now (this node is deposed, NATS is away,
   * or maxBacklog rows wait), or null when it can. Counts each refusal.
   */
  ready(): string | null {
    let why: string | null = null;
    if (this.fenced || this.closed) why = 'this node is no longer the leader of the world';
    else if (this.retrying) why = 'the server cannot reach its replicas (NATS): retry shortly';
    else {
      const n = this.outbox.backlog(this.ackedId);
      if (n >= this.o.maxBacklog) why = `${n} writes wait to be replicated: retry shortly`;
    }
    if (why) this.refusals++;
    return why;
  }

  /**
   * Resolves once every write committed so far (every outbox row at the call) is stored in
   * JetStream. Rejects with DataError FENCED (deposed) or NOT_REPLICATED (not within
   * settleTimeoutMs; the rows stay in the outbox and are sent later).
   */
  settled(): Promise<void> {
    if (this.fenced) return Promise.reject(this.fenced);
    const target = this.outbox.newestId();
    if (this.ackedId >= target) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(
          new DataError(
            'NOT_REPLICATED',
            `the write was not stored by JetStream within ${this.o.settleTimeoutMs} ms: it is kept here and sent when NATS is back`,
          ),
        );
      }, this.o.settleTimeoutMs);
      this.waiters.push({ target, resolve, reject, timer });
      if (this.timer) clearTimeout(this.timer); // send now, not at the next poll
      this.timer = null;
      this.schedule(0);
    });
  }

  /** Figures for metrics. */
  stats(): DataReplicatorStats {
    return {
      appended: this.appended,
      inFlight: this.inFlight,
      backlog: this.closed ? 0 : this.outbox.backlog(this.ackedId),
      failures: this.failures,
      stale: this.stale,
      seeded: this.seeded,
      skipped: this.skipped,
      refusals: this.refusals,
      seq: this.ackedSeq,
      fenced: this.fenced !== null,
    };
  }

  /** Sends what it can within `timeoutMs`, commits what was acknowledged and stops (the rest stays in the outbox). */
  async close(timeoutMs = 2_000): Promise<void> {
    if (this.closed) return;
    if (!this.fenced && timeoutMs > 0) await Promise.race([this.settled().catch(() => undefined), new Promise((r) => setTimeout(r, timeoutMs).unref?.())]);
    const until = performance.now() + timeoutMs;
    while (this.inFlight > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.ackedId > this.doneId) this.outbox.done(this.o.world, this.ackedId, this.ackedSeq);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new DataError('NOT_REPLICATED', 'the node is stopping'));
    }
  }
}

/** Settings of a node's data replication (serve). */
export interface DataReplicationOptions extends Omit<DataReplicatorOptions, 'node'> {
  nats: string;
  id: string;
  nkeyFile?: string;
  log: Logger;
}

/**
 * A node's data replication with its own NATS connection: `follow` (a replica: apply the
 * stream until `lead()`) or `leadNow` (a node that leads from the start). The replicator's
 * `ready`/`settled` are what AccountService waits on.
 */
export class DataReplication {
  private replicator: DataReplicator | null = null;
  private constructor(
    private readonly nc: NatsConnection,
    private readonly streamLog: DataStreamLog,
    private readonly db: Database.Database,
    private readonly o: DataReplicationOptions,
    private follower: DataFollower | null,
  ) {}

  private static async connect(o: DataReplicationOptions): Promise<{ nc: NatsConnection; log: DataStreamLog }> {
    const nc = await connect(replicaConnectOptions({ nats: o.nats, name: `tessera-data-${o.world}-${o.id}`, id: o.id, nkeyFile: o.nkeyFile }));
    try {
      return { nc, log: await DataStreamLog.open(nc, o.world) };
    } catch (e) {
      await nc.close();
      throw e;
    }
  }

  private refused(seq: number, e: DataError): void {
    this.o.log.error({ world: this.o.world, seq, code: e.code, err: e.message }, 'replica: a data record was refused');
  }

  /** A replica: applies the data stream to `db` from where the file is until lead() or close(). */
  static async follow(db: Database.Database, o: DataReplicationOptions): Promise<DataReplication> {
    const { nc, log } = await DataReplication.connect(o);
    const d = new DataReplication(nc, log, db, o, null);
    try {
      new DataOutbox(db).renewWriter();
      d.follower = await DataFollower.start(log, db, o.world, { onRefused: (s, e) => d.refused(s, e) });
    } catch (e) {
      await nc.close();
      throw e;
    }
    return d;
  }

  /** A node leading from the start: applies what the stream has that the file lacks, then leads. */
  static async leadNow(db: Database.Database, o: DataReplicationOptions): Promise<DataReplication> {
    const { nc, log } = await DataReplication.connect(o);
    const d = new DataReplication(nc, log, db, o, null);
    try {
      await d.lead();
    } catch (e) {
      await nc.close();
      throw e;
    }
    return d;
  }

  /** Takes over (DataReplicator.lead): resolves once the stream is applied to its end and this node appends. */
  async lead(): Promise<DataReplicator> {
    const f = this.follower;
    this.follower = null;
    const at = performance.now();
    this.replicator = await DataReplicator.lead(this.streamLog, this.db, { ...this.o, node: this.o.id }, f ?? undefined);
    const s = this.replicator.stats();
    this.o.log.info(
      { world: this.o.world, seq: s.seq, stale: s.stale, seeded: s.seeded, refused: f?.stats().refused ?? 0, ms: Math.round(performance.now() - at) },
      'replication: leading the data stream',
    );
    if (s.stale > 0) this.o.log.warn({ world: this.o.world, rows: s.stale }, 'replication: dropped writes made here after another node led');
    return this.replicator;
  }

  /** The replicator once leading, else null. */
  get leader(): DataReplicator | null {
    return this.replicator;
  }

  /** The follower's figures while following, else null. */
  followerStats(): DataFollowerStats | null {
    return this.follower?.stats() ?? null;
  }

  /** Stops following or leading (sending what it can first) and closes the connection. */
  async close(timeoutMs = 2_000): Promise<void> {
    this.follower?.stop();
    this.follower = null;
    await this.replicator?.close(timeoutMs);
    await this.nc.close().catch(() => undefined);
  }
}

/** The tables whose writes the data stream carries (for docs and tests). */
export const REPLICATED_TABLES = DATA_TABLES;
