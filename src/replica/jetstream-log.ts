/**
 * The world log on JetStream (issue 19, DESIGN.md "Scale-out: NATS"): one stream per world,
 * `TESSERA_LOG_<world>` on subject `tessera.<world>.log`, file storage, one message per closed
 * tick (log-codec.ts LogTick), appended by the leader in tick order with no gap and read by
 * replicas in order.
 *
 * One writer: every append carries JetStream's expected last sequence (the publish option
 * `expect.lastSequence`), the sequence the writer last saw, and a message id of its own,
 * `<writer>:<tick>` (`writer`: unique per opened log object), with the expected id of the
 * message before it (`expect.lastMsgID`, JetStream's Nats-Expected-Last-Msg-Id) once this
 * writer has appended. A second writer that appended in between (a new leader) moves the stream
 * on, so the deposed writer's next append is refused by the server and `append` rejects with
 * ReplicaError FENCED: it cannot append again, whatever it believes. Appends are pipelined
 * (each expects the sequence and id of the one before it; JetStream applies one connection's
 * publishes in order). The id chain is what makes pipelining safe: a writer cut off from NATS
 * (a partition, not a closed connection) has appends waiting in its socket that TCP delivers when
 * the link is back, and the expected sequence of a later one can match the stream's length
 * again after the new leader's appends; its expected id cannot (test/replica-partition.test.ts).
 * Ids are per writer because JetStream answers a duplicate id with the stored message's
 * acknowledgement before checking the expectations: a duplicate can only be this writer's own
 * retry, which was stored. After a failed append (a timeout: stored or not), call refresh() and
 * go on from lastTick() + 1 (replicated-store.ts checks first that the ticks there are its own).
 *
 * Sequences and ticks: the stream holds consecutive ticks, so the tick of sequence s is
 * firstTick + (s - firstSeq) for the first message stored (read once, `tickAt`).
 */
import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType, DiscardPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { decodeLogTick, encodeLogTick, MAX_LOG_TICK_BYTES, type LoggedTick } from './log-codec';
import { WORLD_ID } from '../cluster/subjects';
import { orderedFeed } from './ordered-feed';

/** Error codes of replication: FENCED (another writer appended: this one is deposed), LOG_GAP (a tick is missing or out of order), BAD_LOG (a message that is not a valid LogTick of this stream), DIVERGED (a replica's copy differs from the log even after a resync). */
export type ReplicaErrorCode = 'FENCED' | 'LOG_GAP' | 'BAD_LOG' | 'DIVERGED';

/** A replication failure with its code. */
export class ReplicaError extends Error {
  override name = 'ReplicaError';
  constructor(
    readonly code: ReplicaErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** JetStream's error code for a publish whose expected last sequence is not the stream's (jsapi "wrong last sequence"). */
const WRONG_LAST_SEQUENCE = 10071;
/** JetStream's error code for a publish whose expected last message id is not the stream's (jsapi "wrong last msg ID"). */
const WRONG_LAST_MSG_ID = 10070;

/** Settings of a world's log stream. */
export interface TickLogOptions {
  /** World id (letters, digits, '_', '-'; as the cluster's, src/cluster/subjects.ts WORLD_ID). */
  world: string;
  /** Stream replicas, as the NATS cluster allows (1 on a single server). Default 1. */
  replicas?: number;
  /** Publish acknowledgement timeout, ms. Default 5,000. */
  ackTimeoutMs?: number;
  /** This writer's name in its message ids (`<writer>:<tick>`). Default: random, unique per open. */
  writer?: string;
  /**
   * Most ticks the stream keeps (JetStream `max_msgs`, discard old): older ticks are trimmed and a
   * replica starting later needs a snapshot (snapshots.ts) at or after the log's first tick.
   * Applied when the stream is created and updated when it differs; 0 or absent: keep every tick.
   */
  maxTicks?: number;
}

/** Stream and subject names of a world's log. */
export function logNames(world: string): { stream: string; subject: string } {
  if (!WORLD_ID.test(world)) throw new RangeError(`world id ${JSON.stringify(world)}: letters, digits, '_' and '-' only (1-64)`);
  return { stream: `TESSERA_LOG_${world}`, subject: `tessera.${world}.log` };
}

/** A world's log stream: append (the leader) and read (replicas). */
export class JetStreamTickLog {
  private nextExpected = 0;
  private lastTickSeen: number | null = null;
  private first: { seq: number; tick: number } | null = null;
  private fenced: ReplicaError | null = null;
  /** The message id of the stream's last message as this writer knows it (null: none, or the message has no id). */
  private lastId: string | null = null;
  /** Ticks appended (acknowledged) through this object. */
  appended = 0;

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    readonly subject: string,
    private readonly ackTimeoutMs: number,
    /** This writer's name in its message ids. */
    readonly writer: string,
  ) {}

  /**
   * Opens (creating if needed) the log stream of `opts.world` on connection `nc` and reads where
   * it ends: the next append must be tick lastTick() + 1 (any tick on an empty stream).
   * Throws RangeError for a bad world id; NATS errors when JetStream is not available.
   */
  static async open(nc: NatsConnection, opts: TickLogOptions): Promise<JetStreamTickLog> {
    const { stream, subject } = logNames(opts.world);
    const jsm = await jetstreamManager(nc);
    const maxMsgs = opts.maxTicks && opts.maxTicks > 0 ? opts.maxTicks : -1;
    let info: Awaited<ReturnType<JetStreamManager['streams']['info']>> | null = null;
    try {
      info = await jsm.streams.info(stream);
    } catch {
      await jsm.streams.add({
        name: stream,
        subjects: [subject],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        num_replicas: opts.replicas ?? 1,
        max_msg_size: MAX_LOG_TICK_BYTES,
        max_msgs: maxMsgs,
      });
    }
    if (info && opts.maxTicks !== undefined && info.config.max_msgs !== maxMsgs) await jsm.streams.update(stream, { ...info.config, max_msgs: maxMsgs });
    const log = new JetStreamTickLog(jetstream(nc), jsm, stream, subject, opts.ackTimeoutMs ?? 5_000, opts.writer ?? `w${randomBytes(8).toString('hex')}`);
    await log.refresh();
    return log;
  }

  /** Re-reads the stream's end (after another writer appended, or at open). */
  async refresh(): Promise<void> {
    const info = await this.jsm.streams.info(this.stream);
    this.nextExpected = info.state.last_seq;
    if (info.state.messages > 0) {
      const m = await this.message(info.state.last_seq);
      this.lastTickSeen = m.tick.tick;
      this.lastId = m.id;
    } else {
      this.lastTickSeen = null;
      this.lastId = null;
    }
    this.first = null;
  }

  /** The writer of the stream's last message as this object last saw it (its id's `<writer>` part), or null. */
  lastWriter(): string | null {
    return this.lastId === null ? null : this.lastId.slice(0, this.lastId.lastIndexOf(':'));
  }

  private async message(seq: number): Promise<{ tick: LoggedTick; id: string | null }> {
    const m = await this.jsm.streams.getMessage(this.stream, { seq });
    if (!m) throw new ReplicaError('LOG_GAP', `${this.stream}: no message at sequence ${seq}`);
    let tick: LoggedTick;
    try {
      tick = decodeLogTick(m.data);
    } catch (e) {
      throw new ReplicaError('BAD_LOG', `${this.stream} sequence ${seq}: ${(e as Error).message}`);
    }
    return { tick, id: m.header?.get('Nats-Msg-Id') || null };
  }

  /** The last tick stored when this object last looked (open, refresh, or its own appends), or null for an empty log. */
  lastTick(): number | null {
    return this.lastTickSeen;
  }

  /** The decoded tick at stream sequence `seq`. Throws ReplicaError LOG_GAP when there is none, BAD_LOG for a message that is not a LogTick. */
  async tickAt(seq: number): Promise<LoggedTick> {
    return (await this.message(seq)).tick;
  }

  /**
   * Appends closed tick `t`; resolves with its stream sequence once JetStream has stored it.
   * Rejects with ReplicaError FENCED when another writer appended since this one last looked
   * (then every later append of this object rejects too), LOG_GAP when `t` is not the tick after
   * the last one, or the NATS error (e.g. a timeout: the append may or may not be stored; call
   * refresh() before appending again).
   */
  append(t: LoggedTick): Promise<number> {
    if (this.fenced) return Promise.reject(this.fenced);
    if (this.lastTickSeen !== null && t.tick !== this.lastTickSeen + 1)
      return Promise.reject(new ReplicaError('LOG_GAP', `${this.stream}: tick ${t.tick} appended after tick ${this.lastTickSeen}`));
    const expected = this.nextExpected++;
    const before = this.lastId;
    const id = `${this.writer}:${t.tick}`;
    this.lastTickSeen = t.tick;
    this.lastId = id;
    return this.js
      .publish(this.subject, encodeLogTick(t), {
        msgID: id,
        expect: before === null ? { lastSequence: expected } : { lastSequence: expected, lastMsgID: before },
        timeout: this.ackTimeoutMs,
      })
      .then(
        (ack) => {
          this.appended++;
          return ack.seq;
        },
        (e: unknown) => {
          const code = (e as { api_error?: { err_code?: number } }).api_error?.err_code;
          if (code === WRONG_LAST_SEQUENCE || code === WRONG_LAST_MSG_ID || /wrong last (sequence|msg)/i.test(String((e as Error).message))) {
            this.fenced ??= new ReplicaError('FENCED', `${this.stream}: another writer appended after sequence ${expected}: this one is deposed`);
            throw this.fenced;
          }
          throw e;
        },
      );
  }

  /** Whether an append was refused because another writer appended (see append). */
  isFenced(): boolean {
    return this.fenced !== null;
  }

  /**
   * The stream sequence holding tick `tick`, from the first message stored; null when the log
   * does not reach it (empty, or the tick is before the first or after the last). Throws
   * ReplicaError LOG_GAP when the log keeps losing its first message while this reads it (a trim
   * faster than 8 looks).
   */
  async sequenceOf(tick: number): Promise<number | null> {
    // a trimmed log (maxTicks) may drop its first message between the stream info and reading
    // it: look again (the leader appends at most a few ticks meanwhile)
    for (let attempt = 0; ; attempt++) {
      const info = await this.jsm.streams.info(this.stream);
      if (info.state.messages === 0) return null;
      if (!this.first || this.first.seq !== info.state.first_seq) {
        try {
          this.first = { seq: info.state.first_seq, tick: (await this.tickAt(info.state.first_seq)).tick };
        } catch (e) {
          if (e instanceof ReplicaError && e.code === 'LOG_GAP' && attempt < 8) continue;
          throw e;
        }
      }
      const seq = this.first.seq + (tick - this.first.tick);
      return seq >= info.state.first_seq && seq <= info.state.last_seq ? seq : null;
    }
  }

  /**
   * Delivers every tick from `fromTick` on, in order, to `onTick` (an ordered consumer: JetStream
   * redelivers from the last one seen after a reconnect), now and as they are appended, until
   * the returned stop() is called. A message that is not the next tick (or not a LogTick) stops
   * the feed and is passed to `onError` as ReplicaError LOG_GAP or BAD_LOG; so is an error
   * thrown by `onTick`. Rejects when the log does not reach `fromTick` yet... unless it is the
   * tick after the last (then it waits for it).
   */
  async follow(fromTick: number, onTick: (t: LoggedTick) => void, onError: (e: Error) => void): Promise<{ stop(): void }> {
    let seq = await this.sequenceOf(fromTick);
    if (seq === null) {
      const info = await this.jsm.streams.info(this.stream);
      const last = info.state.messages > 0 ? (await this.tickAt(info.state.last_seq)).tick : null;
      if (last !== null && fromTick <= last) {
        // the leader appended `fromTick` between the two looks (a replica starting as the leader
        // writes its first ticks): it is in the log now
        seq = await this.sequenceOf(fromTick);
        if (seq === null) throw new ReplicaError('LOG_GAP', `${this.stream}: tick ${fromTick} is not in the log (${info.state.messages} ticks, last ${last})`);
      } else if (last !== null && fromTick !== last + 1)
        throw new ReplicaError('LOG_GAP', `${this.stream}: tick ${fromTick} is not in the log (${info.state.messages} ticks, last ${last})`);
      else seq = info.state.last_seq + 1;
    }
    let next = fromTick;
    return orderedFeed(
      this.js,
      this.stream,
      seq,
      (m) => {
        let t: LoggedTick;
        try {
          t = decodeLogTick(m.data);
        } catch (e) {
          throw new ReplicaError('BAD_LOG', `${this.stream} sequence ${m.seq}: ${(e as Error).message}`);
        }
        if (t.tick !== next) throw new ReplicaError('LOG_GAP', `${this.stream} sequence ${m.seq}: tick ${t.tick}, expected ${next}`);
        next++;
        onTick(t);
      },
      onError,
    );
  }
}
