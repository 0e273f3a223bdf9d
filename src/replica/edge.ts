/**
 * Edge hosts (issue 19): a replica that serves WebSocket clients from its own lockstep copy of
 * the world and forwards what changes the world to the leader over NATS request/reply, so client
 * fan-out grows with the number of replicas.
 *
 * ```
 *  edge:   newest usable snapshot (or tick 0) + JetStream log -> WorldFollower (catch up) -> promote
 *            -> Host (HostOptions.edge, no timer); a mismatch: resync (the copy rebuilt, the same
 *            host and sessions: Host.replaceWorld)
 *            each logged tick: Host.applyLogged (EventStream.mirrorTick + MainSim.apply, hash ==
 *            logged hash?) -> the host's own fan-out (events, snapshots/deltas, interest)
 *          client hello -> token checked against the replica's own accounts -> a join entry
 *          input, chat, publish, spawn, ownership, admin -> a message entry (the client's bytes)
 *          a socket closed -> a leave entry
 *            entries of all its clients, in arrival order -> one batch (edge-batch.ts frame) per
 *            EdgeBatchOptions.ms (or at once at maxEntries / maxBytes) -> ONE request
 *            tessera.<world>.edge.batch -> one answer per entry: the public id (-> welcome), the
 *            leader's errors (relayed to the client) and the input's applied tick (acknowledged
 *            in the state message once the copy has applied that tick)
 *          every silenceMs/3: publish tessera.<world>.edge.heard (its clients' keys)
 *  leader: EdgeServer subscribes tessera.<world>.edge.> -> a batch's entries in order ->
 *            Host.edgePort() (src/net/edge-port.ts) join / message / leave
 * ```
 *
 * Batches make the leader's requests per second grow with the number of edges, not of clients
 * (at most 1000 / ms per edge while no batch fills); the messages of one client keep their order
 * (one queue per edge, batches sent in order on one connection, applied in order by the leader).
 *
 * The edge shows only ticks its log has: it applies nothing but the JetStream log, whose ticks
 * are stored before anyone reads them, so an input is acknowledged to an edge client only once
 * the tick that holds it is stored (DESIGN.md invariant 4).
 *
 * Bounds: at most `maxPending` joins and messages waiting for the leader per edge, queued or in a
 * batch sent and not answered (a message past it is answered BUSY at once and counted); each
 * batch waits at most `timeoutMs` (then BUSY for each of its entries: "the leader did not
 * answer"). No leader (no responders) is BUSY too; the edge stays up and keeps serving its
 * copy. Figures: `EdgeHost.stats()`.
 */
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { readGauge, totalCounter } from '../net/prom-counter';
import { CLOSE, ERROR, errorBody, type ErrorCode } from '../protocol/errors';
import type { ClientMessage } from '../protocol/messages';
import { Host, type HostOptions } from '../net/host';
import { EdgeRefusal, type EdgeLink, type EdgePort, type TokenRevocation } from '../net/edge-port';
import { AUTH_BODY_LIMIT, type HttpAnswer } from '../net/auth-endpoint';
import { tokenHash } from '../persist/accounts';
import type { AdminStore, ChatStore } from '../persist/store';
import type { Session } from '../net/sessions';
import type { WorldSetup } from '../sim/main-sim';
import { replicaConnectOptions } from './auth';
import { WorldFollower, type FollowerStats } from './follower';
import { ReplicaNode, type ExternalCopy } from './replica-node';
import { captureSnapshot, SnapshotStore, type SnapshotErrorCode } from './snapshots';
import { JetStreamTickLog, ReplicaError } from './jetstream-log';
import type { LoggedTick } from './log-codec';
import {
  BATCH_MAX_BYTES,
  BATCH_MAX_ENTRIES,
  BatchError,
  decodeBatch,
  decodeReply,
  encodeBatch,
  encodeRefusal,
  encodeReply,
  entryBound,
  OP,
  type BatchAnswer,
  type BatchEntry,
} from './edge-batch';

/** The edge subjects of world `world`: `tessera.<world>.edge.<kind>` (kind: batch, heard, auth, revoked). */
export function edgeSubject(world: string, kind: string): string {
  return `tessera.${world}.edge.${kind}`;
}

/**
 * An edge host's records (HostOptions.records): reads (GET /chat/history, admin records) from
 * `store`, the replica's copy of the rows (src/replica/data-stream.ts); writes are dropped, for
 * the leader writes every record and the copy takes rows only from the data stream (a row
 * written here would take an id the leader's next row needs).
 */
export function readOnlyRecords(store: ChatStore & AdminStore): ChatStore & AdminStore {
  return {
    chatPage: (channel, beforeId, limit) => store.chatPage(channel, beforeId, limit),
    adminRecords: (limit) => store.adminRecords(limit),
    appendChat: () => undefined,
    recordAdmin: () => undefined,
  };
}

/** Default most requests an edge has waiting for the leader. */
export const DEFAULT_EDGE_MAX_PENDING = 4096;
/** Default ms an edge waits for the leader's answer. */
export const DEFAULT_EDGE_TIMEOUT_MS = 2000;

/**
 * How an edge gathers its clients' joins, messages and leaves into batches (one NATS request
 * each, edge-batch.ts): a batch goes `ms` after its first entry, or at once when it holds
 * `maxEntries` entries or another entry would take it past `maxBytes` bytes.
 */
export interface EdgeBatchOptions {
  /** ms a batch waits for more entries after its first (0: the next timer phase of the event loop). */
  ms: number;
  /** Most entries of one batch, 1..BATCH_MAX_ENTRIES (4,096). */
  maxEntries: number;
  /** Most bytes of one batch frame, 1,024..BATCH_MAX_BYTES (1 MiB; an entry larger than this goes alone). */
  maxBytes: number;
}

/**
 * Default batching: 4 ms (at most 250 requests a second per edge whatever its number of clients,
 * while a message waits well under a tick at 60 Hz), 1,024 entries, 256 KiB.
 */
export const DEFAULT_EDGE_BATCH: Readonly<EdgeBatchOptions> = { ms: 4, maxEntries: 1024, maxBytes: 256 * 1024 };

type Answer = { ok: true; h?: HttpAnswer } | { ok: false; code: ErrorCode; message: string };

/** A revocation as published on `tessera.<world>.edge.revoked`: the token's SHA-256 (hex, as accounts.ts stores it), never the token. */
interface RevokedBody {
  h: string;
  c: number;
  e: ErrorCode;
  m: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * The leader's end: answers the edge subjects of `world` from `port` (Host.edgePort). Every
 * request is answered; a refusal carries its protocol error code.
 */
export class EdgeServer {
  private constructor(private readonly sub: Subscription) {}

  /** Subscribes `tessera.<world>.edge.>` on `nc`. Errors of a handler are answered INTERNAL and logged. */
  static start(nc: NatsConnection, world: string, port: EdgePort, log?: Logger): EdgeServer {
    const prefix = edgeSubject(world, '');
    const sub = nc.subscribe(`${prefix}>`, {
      callback: (err, msg) => {
        if (err) return;
        const kind = msg.subject.slice(prefix.length);
        if (kind === 'revoked') return; // the leader's own publication (publishRevocation)
        if (kind === 'auth') {
          EdgeServer.auth(port, msg.data, log)
            .then((a) => {
              if (msg.reply) msg.respond(enc.encode(JSON.stringify(a)));
            })
            .catch((e: Error) => log?.warn({ world, err: e.message }, 'edge: an auth answer could not be sent'));
          return;
        }
        if (kind === 'batch') {
          const reply = EdgeServer.batch(port, msg.data, world, log);
          try {
            if (msg.reply) msg.respond(reply);
          } catch (e) {
            log?.warn({ world, bytes: reply.byteLength, err: (e as Error).message }, 'edge: a batch answer could not be sent');
          }
          return;
        }
        let answer: Answer;
        try {
          const body = JSON.parse(dec.decode(msg.data)) as { k?: unknown };
          if (kind === 'heard') {
            if (Array.isArray(body.k)) port.heard(body.k.filter((x): x is string => typeof x === 'string'));
            answer = { ok: true };
          }
          // (an edge of an older version asking one request per message: BAD_VERSION, not
          // NOT_FOUND, which would make it close its client to say hello again, over and over)
          else answer = { ok: false, code: ERROR.BAD_VERSION, message: `no edge subject ${kind}: this leader takes forwarded messages in batches` };
        } catch (e) {
          log?.error({ world, kind, err: (e as Error).message }, 'edge: request failed');
          answer = { ok: false, code: ERROR.INTERNAL, message: 'the leader failed on this request' };
        }
        if (msg.reply) msg.respond(enc.encode(JSON.stringify(answer)));
      },
    });
    return new EdgeServer(sub);
  }

  /**
   * A batch of an edge (edge-batch.ts frames): its entries applied in order, each as a direct
   * request would be (EdgePort.join / message / leave: the same rate limits, validation and
   * input rule as the leader's own clients); one answer per entry, a refusal carrying its
   * EdgeRefusal code (INTERNAL for another error, logged). A frame that does not parse, or
   * above BATCH_MAX_BYTES / BATCH_MAX_ENTRIES, is refused whole (BAD_MESSAGE, BAD_VERSION,
   * TOO_LARGE) before any entry is applied.
   */
  private static batch(port: EdgePort, data: Uint8Array, world: string, log?: Logger): Uint8Array {
    let entries: BatchEntry[];
    try {
      entries = decodeBatch(data);
    } catch (e) {
      const code = e instanceof BatchError ? e.code : ERROR.BAD_MESSAGE;
      log?.warn({ world, bytes: data.byteLength, err: (e as Error).message }, 'edge: a batch was refused');
      return encodeRefusal(code, (e as Error).message);
    }
    const answers: BatchAnswer[] = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      try {
        if (e.op === OP.MESSAGE) answers[i] = { ok: true, op: OP.MESSAGE, reply: port.message(e.key, e.bytes) };
        else if (e.op === OP.JOIN) answers[i] = { ok: true, op: OP.JOIN, publicId: port.join(e.key, e.token, e.address) };
        else {
          port.leave(e.key);
          answers[i] = { ok: true, op: OP.LEAVE };
        }
      } catch (err) {
        if (err instanceof EdgeRefusal) answers[i] = { ok: false, code: err.code, message: err.message };
        else {
          log?.error({ world, op: e.op, err: (err as Error).message }, 'edge: a batch entry failed');
          answers[i] = { ok: false, code: ERROR.INTERNAL, message: 'the leader failed on this request' };
        }
      }
    }
    return encodeReply(answers);
  }

  /** A forwarded POST /auth/:action: {a: action, z: Authorization header, d: address, b: body, base64} -> the leader's HTTP answer. */
  private static async auth(port: EdgePort, data: Uint8Array, log?: Logger): Promise<Answer> {
    try {
      const body = JSON.parse(dec.decode(data)) as { a?: unknown; z?: unknown; d?: unknown; b?: unknown };
      const raw = Buffer.from(typeof body.b === 'string' ? body.b : '', 'base64');
      if (raw.byteLength > AUTH_BODY_LIMIT) return { ok: true, h: { status: '413 Payload Too Large', body: errorBody(ERROR.TOO_LARGE, 'at most 4 KiB') } };
      const str = (x: unknown): string => (typeof x === 'string' ? x : '');
      return { ok: true, h: await port.auth(str(body.a), str(body.z), str(body.d), raw) };
    } catch (e) {
      log?.error({ kind: 'auth', err: (e as Error).message }, 'edge: request failed');
      return { ok: false, code: ERROR.INTERNAL, message: 'the leader failed on this request' };
    }
  }

  /** Stops answering. */
  stop(): void {
    this.sub.unsubscribe();
  }
}

/**
 * Publishes a token the leader revoked (HostOptions.onRevoked) to the edge hosts of `world` on
 * `tessera.<world>.edge.revoked`: the token's SHA-256 (accounts.ts tokenHash, hex; the token
 * itself does not travel), the close code, the error code and message. Core NATS, at most once:
 * an edge that misses it (disconnected then) still ends the session at its own token check.
 */
export function publishRevocation(nc: NatsConnection, world: string, r: TokenRevocation): void {
  if (nc.isClosed()) return;
  const body: RevokedBody = { h: tokenHash(r.token).toString('hex'), c: r.close, e: r.code, m: r.message };
  nc.publish(edgeSubject(world, 'revoked'), enc.encode(JSON.stringify(body)));
}

/** An edge's figures. */
export interface EdgeStats {
  /** Requests waiting for the leader now, and the bound. */
  pending: number;
  maxPending: number;
  /** Messages forwarded to the leader. */
  forwarded: number;
  /** Batches sent to the leader (requests), the entries they held (joins, messages, leaves), the most one held. */
  batches: number;
  batchEntries: number;
  largestBatch: number;
  /** Messages answered BUSY: past maxPending, leader timed out or absent. */
  busy: number;
  /** Logged ticks applied to the copy, and ticks whose hash differed from the log's. */
  ticks: number;
  mismatches: number;
  /** Sockets closed because the leader revoked their token (publishRevocation). */
  revoked: number;
}

/**
 * Registers an edge's figures in `registry`, read at each scrape from `read()` (null: no edge
 * running now): gauges `tessera_edge_pending_requests` and `tessera_edge_max_pending_requests`,
 * counters `tessera_edge_forwarded_total`, `tessera_edge_busy_total` (messages answered BUSY:
 * bound reached, leader absent or late), `tessera_edge_ticks_total`, `tessera_edge_mismatches_total`,
 * `tessera_edge_revoked_total` (sockets closed by the leader's revocations),
 * `tessera_edge_forward_batches_total` (requests carrying forwarded entries),
 * `tessera_edge_forward_batch_entries_total` (joins, messages and leaves they held: their ratio is
 * the mean batch size), gauge `tessera_edge_forward_batch_largest` (most entries of one batch).
 */
export function edgeMetrics(registry: Registry, read: () => EdgeStats | null): void {
  readGauge(registry, 'tessera_edge_pending_requests', 'Requests of this edge host waiting for the leader', () => read()?.pending);
  readGauge(registry, 'tessera_edge_max_pending_requests', 'Most requests this edge host lets wait for the leader', () => read()?.maxPending);
  totalCounter(registry, 'tessera_edge_forwarded_total', 'Client messages this edge host forwarded to the leader', () => read()?.forwarded);
  totalCounter(registry, 'tessera_edge_busy_total', 'Client messages answered BUSY: too many waiting, or the leader absent or late', () => read()?.busy);
  totalCounter(registry, 'tessera_edge_ticks_total', 'Logged ticks this edge host applied to its copy', () => read()?.ticks);
  totalCounter(registry, 'tessera_edge_mismatches_total', "Logged ticks whose hash differed from this edge host's copy", () => read()?.mismatches);
  totalCounter(registry, 'tessera_edge_forward_batches_total', 'Batched requests this edge host sent the leader', () => read()?.batches);
  totalCounter(
    registry,
    'tessera_edge_forward_batch_entries_total',
    'Joins, messages and leaves held by the batches this edge host sent',
    () => read()?.batchEntries,
  );
  readGauge(registry, 'tessera_edge_forward_batch_largest', 'Most entries one batch of this edge host held', () => read()?.largestBatch);
  totalCounter(registry, 'tessera_edge_revoked_total', 'Sockets this edge host closed because the leader revoked their token', () => read()?.revoked);
}

/** `o` over DEFAULT_EDGE_BATCH, each field clamped to its range (EdgeBatchOptions). */
export function edgeBatchOptions(o: Partial<EdgeBatchOptions> = {}): EdgeBatchOptions {
  const clamp = (x: number | undefined, d: number, lo: number, hi: number): number =>
    x === undefined || !Number.isFinite(x) ? d : Math.min(hi, Math.max(lo, Math.floor(x)));
  return {
    ms: clamp(o.ms, DEFAULT_EDGE_BATCH.ms, 0, 1000),
    maxEntries: clamp(o.maxEntries, DEFAULT_EDGE_BATCH.maxEntries, 1, BATCH_MAX_ENTRIES),
    maxBytes: clamp(o.maxBytes, DEFAULT_EDGE_BATCH.maxBytes, 1024, BATCH_MAX_BYTES),
  };
}

/** The edge's end of the link (EdgeLink over NATS request/reply; joins, messages and leaves in batches). */
class NatsEdgeLink implements EdgeLink {
  pending = 0;
  forwarded = 0;
  busy = 0;
  /** Batches sent, the entries they held (joins, messages, leaves), the most entries one held. */
  batches = 0;
  batched = 0;
  largestBatch = 0;
  readonly keys = new Map<Session, string>();
  /** Entries waiting for the next batch, their bytes (entryBound), the flush timer. */
  private queue: Array<{ entry: BatchEntry; resolve: (a: BatchAnswer) => void; counted: boolean }> = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private errorTo: (s: Session, code: ErrorCode, message: string) => void = () => {};
  private closeTo: (s: Session, reason: string) => void = () => {};

  constructor(
    private readonly nc: NatsConnection,
    private readonly world: string,
    private readonly timeoutMs: number,
    readonly maxPending: number,
    private readonly batch: EdgeBatchOptions,
    /** Whether this edge's own token check accepts `token` yet (its copy of the sessions). */
    private readonly knows: (token: string) => boolean,
  ) {}

  async auth(action: string, authorization: string, address: string, body: Buffer): Promise<HttpAnswer> {
    this.forwarded++;
    let h: HttpAnswer;
    try {
      const a = await this.ask('auth', { a: action, z: authorization, d: address, b: body.toString('base64') });
      h = a.h ?? { status: '500 Internal Server Error', body: errorBody(ERROR.INTERNAL, 'the leader gave no answer') };
    } catch (e) {
      const r = e as EdgeRefusal;
      const busy = r.code === ERROR.BUSY;
      return {
        status: busy ? '503 Service Unavailable' : '500 Internal Server Error',
        body: errorBody(r.code, r.message),
        headers: busy ? { 'retry-after': '1' } : {},
      };
    }
    // a new token (login, refresh) reaches this edge's copy of the sessions through the data
    // stream a moment after the leader wrote it: answered once the copy knows it (at most
    // timeoutMs), so the client can say hello here at once
    const token = (h.body as { token?: unknown } | null)?.token;
    if (h.status.startsWith('200') && typeof token === 'string') {
      const until = performance.now() + this.timeoutMs;
      while (!this.knows(token) && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
    }
    return h;
  }

  bind(errorTo: (s: Session, code: ErrorCode, message: string) => void, closeTo: (s: Session, reason: string) => void): void {
    this.errorTo = errorTo;
    this.closeTo = closeTo;
  }

  /** One request; resolves with the leader's answer or rejects with EdgeRefusal (BUSY when bounded, absent or late). */
  private async ask(kind: string, body: object): Promise<Answer & { ok: true }> {
    if (this.pending >= this.maxPending) {
      this.busy++;
      throw new EdgeRefusal(ERROR.BUSY, `${this.maxPending} requests already wait for the leader: retry`);
    }
    this.pending++;
    try {
      const m = await this.nc.request(edgeSubject(this.world, kind), enc.encode(JSON.stringify(body)), { timeout: this.timeoutMs });
      const a = JSON.parse(dec.decode(m.data)) as Answer;
      if (!a.ok) throw new EdgeRefusal(a.code, a.message);
      return a;
    } catch (e) {
      if (e instanceof EdgeRefusal) throw e;
      this.busy++;
      throw new EdgeRefusal(ERROR.BUSY, `the leader did not answer within ${this.timeoutMs} ms (${(e as Error).message}): retry`);
    } finally {
      this.pending--;
    }
  }

  async join(s: Session, key: string): Promise<number> {
    const a = await this.enqueue({ op: OP.JOIN, key, token: s.token ?? '', address: s.address });
    if (!a.ok) throw new EdgeRefusal(a.code, a.message);
    this.keys.set(s, key);
    return a.op === OP.JOIN ? a.publicId : 0;
  }

  forward(s: Session, m: ClientMessage, bytes: Uint8Array): void {
    const key = this.keys.get(s);
    if (key === undefined) return;
    this.forwarded++;
    this.enqueue({ op: OP.MESSAGE, key, bytes }).then((a) => {
      if (!a.ok) {
        this.errorTo(s, a.code, `${m.kind}: ${a.message}`);
        // the leader does not know this client (a new leader since its hello): it must say hello again
        if (a.code === ERROR.NOT_FOUND) this.closeTo(s, 'the leader changed: reconnect');
        return;
      }
      if (a.op !== OP.MESSAGE) return;
      const r = a.reply;
      for (const e of r.errors) this.errorTo(s, e.code, e.message);
      if (r.applied > 0) s.inputs.pending.push({ tick: r.applied, seq: r.seq, body: '' });
    });
  }

  left(s: Session): void {
    const key = this.keys.get(s);
    if (key === undefined) return;
    this.keys.delete(s);
    // in the batch, after the client's messages still waiting (the leader applies them, then the leave)
    if (!this.nc.isClosed()) void this.enqueue({ op: OP.LEAVE, key });
  }

  /**
   * Queues `e` for the next batch; resolves with its answer, never rejects: BUSY when maxPending
   * joins and messages already wait (queued or sent, unanswered), when the leader does not
   * answer within timeoutMs or there is none, TOO_LARGE when the entry alone exceeds
   * BATCH_MAX_BYTES. A leave neither counts nor is refused as BUSY (it is dropped then: the
   * leader drops the client after silenceMs without `heard`).
   */
  private enqueue(e: BatchEntry): Promise<BatchAnswer> {
    const counted = e.op !== OP.LEAVE;
    if (this.closed) return Promise.resolve({ ok: false, code: ERROR.BUSY, message: 'the edge host stops' });
    if (counted && this.pending >= this.maxPending) {
      this.busy++;
      return Promise.resolve({ ok: false, code: ERROR.BUSY, message: `${this.maxPending} requests already wait for the leader: retry` });
    }
    const size = entryBound(e);
    if (size + 3 > BATCH_MAX_BYTES)
      return Promise.resolve({ ok: false, code: ERROR.TOO_LARGE, message: `a forwarded message is at most ${BATCH_MAX_BYTES - 16} bytes` });
    if (counted) this.pending++;
    // (a bound reached by this entry: the batch so far goes now, the entry opens the next one)
    if (this.queue.length > 0 && this.queuedBytes + size > this.batch.maxBytes) this.flush();
    return new Promise<BatchAnswer>((resolve) => {
      this.queue.push({ entry: e, resolve, counted });
      this.queuedBytes += size;
      if (this.queue.length >= this.batch.maxEntries) this.flush();
      else if (this.timer === null) this.timer = setTimeout(() => this.flush(), this.batch.ms);
    });
  }

  /** Sends the queued entries as one request (edge-batch.ts) and hands each its answer. */
  private flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const q = this.queue;
    if (q.length === 0) return;
    this.queue = [];
    this.queuedBytes = 0;
    this.batches++;
    this.batched += q.length;
    if (q.length > this.largestBatch) this.largestBatch = q.length;
    const answer = (i: number, a: BatchAnswer): void => {
      if (q[i].counted) this.pending--;
      q[i].resolve(a);
    };
    let frame: Uint8Array;
    try {
      frame = encodeBatch(q.map((x) => x.entry));
    } catch (e) {
      for (let i = 0; i < q.length; i++) answer(i, { ok: false, code: ERROR.INTERNAL, message: `the batch could not be encoded: ${(e as Error).message}` });
      return;
    }
    this.nc.request(edgeSubject(this.world, 'batch'), frame, { timeout: this.timeoutMs }).then(
      (m) => {
        let answers: BatchAnswer[];
        try {
          answers = decodeReply(m.data, q.length);
        } catch (e) {
          for (let i = 0; i < q.length; i++)
            answer(i, { ok: false, code: ERROR.INTERNAL, message: `the leader's answer did not parse: ${(e as Error).message}` });
          return;
        }
        for (let i = 0; i < q.length; i++) answer(i, answers[i]);
      },
      (e: Error) => {
        const busy = { ok: false as const, code: ERROR.BUSY, message: `the leader did not answer within ${this.timeoutMs} ms (${e.message}): retry` };
        for (let i = 0; i < q.length; i++) {
          if (q[i].counted) this.busy++;
          answer(i, busy);
        }
      },
    );
  }

  /**
   * Sends what is queued (the leaves of the clients the stopping host closed, so the leader
   * drops them now rather than after silenceMs) and takes nothing more: a later entry is
   * answered BUSY. Called when the edge stops, before its connection closes.
   */
  close(): void {
    this.flush();
    this.closed = true;
  }

  /** Vouches for every joined client (EdgePort.heard). */
  heard(): void {
    if (this.keys.size === 0 || this.nc.isClosed()) return;
    this.nc.publish(edgeSubject(this.world, 'heard'), enc.encode(JSON.stringify({ k: [...new Set(this.keys.values())] })));
  }
}

/** Settings of an edge host. */
export interface EdgeHostOptions {
  nats: string;
  world: string;
  /** This node's id (its NATS connection name and inbox). */
  id: string;
  nkeyFile?: string;
  setup: WorldSetup;
  /** The host's options (port, accounts of the replica's file, guests, limits...); world, adoptWorld, edge and manualTicks are set here. */
  host: HostOptions;
  /** Most requests waiting for the leader (default DEFAULT_EDGE_MAX_PENDING). */
  maxPending?: number;
  /** ms to wait for the leader's answer (default DEFAULT_EDGE_TIMEOUT_MS). */
  timeoutMs?: number;
  /** How forwarded entries are batched (default DEFAULT_EDGE_BATCH; each field clamped to its range). */
  batch?: Partial<EdgeBatchOptions>;
  /** Largest snapshot read, bytes (snapshots.ts SnapshotStoreOptions.maxBytes). */
  snapshotMaxBytes?: number;
  /** ms to wait for the copy to reach the log's end at start (default 30,000). */
  catchUpMs?: number;
  log: Logger;
}

/** An edge's figures beyond EdgeStats: where its copy started and its resyncs. */
export interface EdgeCopyStats {
  /** The tick of the snapshot the copy last started after, or -1 for tick 0. */
  startedAfter: number;
  /** Resyncs after a mismatch. */
  resyncs: number;
  /** Snapshots refused at a start or resync, per SnapshotError code. */
  refused: Partial<Record<SnapshotErrorCode, number>>;
  /** The copy stopped for good: a mismatch a resync did not cure (ReplicaError DIVERGED), or a failed resync. */
  failed: boolean;
}

/** A running edge host (module comment). */
export class EdgeHost {
  private ticks = 0;
  private stopped = false;
  /** Sockets closed by the leader's revocations. */
  private revoked = 0;
  private mismatches = 0;
  private heardTimer: NodeJS.Timeout | null = null;
  /** The host serving the clients (the same one across resyncs: Host.replaceWorld). */
  host!: Host;
  private stopFeed: () => void = () => {};
  /** Bumped by each build: ticks of an older feed are ignored. */
  private generation = 0;
  private startedAfter = -1;
  private resyncs = 0;
  private readonly refused: Partial<Record<SnapshotErrorCode, number>> = {};
  /** The tick of the mismatch the last resync answered, or -1. */
  private lastMismatch = -1;
  private resyncing: Promise<void> | null = null;
  /** Why the copy stopped for good, or null. */
  private failure: Error | null = null;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly link: NatsEdgeLink,
    private readonly tickLog: JetStreamTickLog,
    private readonly snaps: SnapshotStore,
    private readonly o: EdgeHostOptions,
  ) {}

  /**
   * Connects, builds the copy from the newest usable snapshot of the world's object store (as a
   * replica does: ReplicaNode.usable, snapshots.ts; from tick 0 when there is none), follows the
   * log to its end, then serves clients on `o.host.port` from the copy, applying each further
   * logged tick. Rejects with the NATS error, ReplicaError LOG_GAP (the log no longer holds tick
   * 0 and no snapshot is usable), ReplicaError DIVERGED when the copy differs from the log while
   * catching up (it started from the newest usable snapshot already: a resync could not do
   * better), Error when it does not reach the log's end within catchUpMs.
   */
  static async start(o: EdgeHostOptions): Promise<EdgeHost> {
    const nc = await connect(replicaConnectOptions({ nats: o.nats, name: `tessera-edge-${o.world}-${o.id}`, id: o.id, nkeyFile: o.nkeyFile }));
    let edge: EdgeHost | null = null;
    try {
      const tickLog = await JetStreamTickLog.open(nc, { world: o.world });
      const snaps = await SnapshotStore.open(nc, { world: o.world, maxBytes: o.snapshotMaxBytes });
      const check = o.host.authenticate ?? (o.host.accounts ? (t: string) => o.host.accounts?.authenticate(t) ?? null : null);
      const knows = (t: string): boolean => (check ? check(t) !== null : true);
      const link = new NatsEdgeLink(
        nc,
        o.world,
        o.timeoutMs ?? DEFAULT_EDGE_TIMEOUT_MS,
        o.maxPending ?? DEFAULT_EDGE_MAX_PENDING,
        edgeBatchOptions(o.batch),
        knows,
      );
      edge = new EdgeHost(nc, link, tickLog, snaps, o);
      await edge.build(o.host.port ?? 0);
      const silence = o.host.silenceMs ?? 5000;
      const e = edge;
      // the leader's revocations end this edge's sessions of the token at once (publishRevocation)
      nc.subscribe(edgeSubject(o.world, 'revoked'), { callback: (err, msg) => (err ? undefined : e.onRevoked(msg.data)) });
      e.heardTimer = setInterval(() => link.heard(), Math.max(100, Math.floor(silence / 3)));
      e.heardTimer.unref();
      o.log.info(
        { world: o.world, id: o.id, port: e.host.port, tick: e.host.world.stream.tick, snapshot: e.startedAfter },
        'edge: serving clients from the copy',
      );
      return edge;
    } catch (e) {
      edge?.stopFeed();
      await nc.close();
      throw e;
    }
  }

  /**
   * Builds the copy (newest usable snapshot, or tick 0), follows the log to its end and starts
   * the host on `port`, or with `into` (a resync) makes the copy that host's world in place of the
   * old one (Host.replaceWorld; the old world is closed); ticks arriving meanwhile wait in a
   * queue and are applied once it serves.
   */
  private async build(port: number, into?: Host): Promise<void> {
    const o = this.o;
    const gen = ++this.generation;
    await this.tickLog.refresh();
    const end = this.tickLog.lastTick() ?? -1;
    const start = await ReplicaNode.usable(this.tickLog, this.snaps, o, this.refused);
    const follower = start ? WorldFollower.fromSnapshot(o.setup, start.snap, start.sim) : new WorldFollower(o.setup);
    let serving = false;
    let building = false;
    let failure: Error | null = null;
    const queue: LoggedTick[] = [];
    const pump = (): void => {
      while (queue.length && !failure && gen === this.generation) {
        const t = queue.shift() as LoggedTick;
        if (!serving) {
          if (!follower.apply(t)) {
            this.mismatches++;
            failure = new ReplicaError('DIVERGED', `edge: the copy differs from the log at tick ${t.tick}`);
          }
          continue;
        }
        this.apply(t);
      }
    };
    const onTick = (t: LoggedTick): void => {
      if (gen !== this.generation) return;
      queue.push(t);
      if (serving || !building) pump();
    };
    const onError = (e: Error): void => {
      if (gen !== this.generation) return;
      failure ??= e;
      o.log.error({ world: o.world, err: e.message }, 'edge: following the log failed');
    };
    const from = follower.stats().next;
    // (a log that was empty at the first look may get its tick 0 before the second: look again)
    const follow = (n: number): ReturnType<JetStreamTickLog['follow']> =>
      this.tickLog.follow(from, onTick, onError).catch(async (e: Error) => {
        if (!(e instanceof ReplicaError && e.code === 'LOG_GAP') || n >= 3 || from > 0) throw e;
        await new Promise((r) => setTimeout(r, 100));
        return follow(n + 1);
      });
    let feed: { stop(): void } | null = null;
    try {
      feed = await follow(0);
      const until = performance.now() + (o.catchUpMs ?? 30_000);
      while (follower.stats().next <= Math.max(end, 0)) {
        if (failure) throw failure;
        if (performance.now() > until) throw new Error(`edge: the copy is at tick ${follower.stats().next} of ${end + 1} after ${o.catchUpMs ?? 30_000} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
      if (failure) throw failure;
      building = true; // ticks arriving while the host starts wait in the queue
      if (into) {
        // a resync: the same host and its sessions, the new copy (Host.replaceWorld)
        const old = into.replaceWorld((lo, so) => follower.promote(lo, so), into.world.stream.tick);
        await old.close();
      } else
        this.host = await Host.start({ ...o.host, port, world: o.setup, adoptWorld: (lo, so) => follower.promote(lo, so), edge: this.link, manualTicks: true });
    } catch (e) {
      feed?.stop();
      await follower.close();
      throw e;
    }
    const f = feed;
    this.stopFeed = () => f.stop();
    this.startedAfter = start ? start.snap.tick : -1;
    serving = true;
    pump();
  }

  /**
   * Applies one logged tick to the host's copy. A hash that differs from the log's is logged and
   * counted and the copy is rebuilt from the newest usable snapshot and replaces the host's world
   * (Host.replaceWorld: its clients stay connected and get a fresh snapshot; a resync that fails
   * stops the host: SHUTTING_DOWN, close 1001); a second mismatch at the same tick or an
   * earlier one stops the copy for good (ReplicaError DIVERGED, `failed` in copyStats).
   */
  private apply(t: LoggedTick): void {
    if (this.failure || this.resyncing || this.stopped) return;
    const h = this.host.applyLogged(t.tick, t.events, t.joins);
    this.ticks++;
    if (h === t.hash) return;
    this.mismatches++;
    this.generation++;
    this.stopFeed();
    const hashes = { world: this.o.world, tick: t.tick, log: t.hash.toString(16), copy: h.toString(16) };
    if (t.tick <= this.lastMismatch) {
      this.failure = new ReplicaError(
        'DIVERGED',
        `edge: the copy differs from the log at tick ${t.tick} again after a resync (log ${hashes.log}, copy ${hashes.copy})`,
      );
      this.log.error(hashes, 'edge: the copy differs from the log again at the tick a resync should have cured; it stops following');
      return;
    }
    this.lastMismatch = t.tick;
    this.log.warn(hashes, 'edge: the copy differs from the log; resyncing from the newest snapshot');
    const port = this.host.port;
    this.resyncing = (async () => {
      // the clients stay connected: the rebuilt copy replaces the host's world (Host.replaceWorld)
      if (this.stopped) return;
      await this.build(port, this.host);
      this.resyncs++;
      this.log.info({ world: this.o.world, port: this.host.port, tick: this.host.world.stream.tick, snapshot: this.startedAfter }, 'edge: resynced');
    })()
      .catch(async (e: Error) => {
        this.failure ??= e;
        this.log.error({ world: this.o.world, err: e.message }, 'edge: resync failed; it stops following');
        // its clients are told (SHUTTING_DOWN, 1001) and closed: the copy will not move again
        await this.host.stop().catch(() => undefined);
      })
      .finally(() => {
        this.resyncing = null;
      });
  }

  /** A revocation from the leader (RevokedBody): the host's sockets holding the token are closed with its codes. Garbage is ignored. */
  private onRevoked(data: Uint8Array): void {
    if (this.stopped) return;
    try {
      const b = JSON.parse(dec.decode(data)) as Partial<RevokedBody>;
      if (typeof b.h !== 'string' || !/^[0-9a-f]{64}$/.test(b.h)) return;
      const close = Number.isInteger(b.c) && (b.c as number) >= 4000 && (b.c as number) <= 4999 ? (b.c as number) : CLOSE.REVOKED;
      const code = typeof b.e === 'number' && Number.isInteger(b.e) ? b.e : ERROR.UNAUTHENTICATED;
      const message = typeof b.m === 'string' ? b.m.slice(0, 200) : 'the token was revoked';
      this.revoked += this.host.endRevoked(b.h, close, code, message);
    } catch (e) {
      this.log.warn({ world: this.o.world, err: (e as Error).message }, 'edge: a revocation could not be read');
    }
  }

  private get log(): Logger {
    return this.o.log;
  }

  /** Where the copy started, its resyncs and refused snapshots, and whether it stopped for good. */
  copyStats(): EdgeCopyStats {
    return { startedAfter: this.startedAfter, resyncs: this.resyncs, refused: { ...this.refused }, failed: this.failure !== null };
  }

  /** Resolves when no resync is under way. */
  async settled(): Promise<void> {
    await this.resyncing;
  }

  /** The edge's figures. */
  stats(): EdgeStats {
    return {
      pending: this.link.pending,
      maxPending: this.link.maxPending,
      forwarded: this.link.forwarded,
      batches: this.link.batches,
      batchEntries: this.link.batched,
      largestBatch: this.link.largestBatch,
      busy: this.link.busy,
      ticks: this.ticks,
      mismatches: this.mismatches,
      revoked: this.revoked,
    };
  }

  /** Stops the host (its clients get SHUTTING_DOWN) and the feed, and closes the connection (idempotent). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.heardTimer) clearInterval(this.heardTimer);
    this.generation++;
    this.stopFeed();
    await this.resyncing;
    await this.host.stop();
    this.link.close();
    await this.nc.close();
  }

  /**
   * The copy as a ReplicaNode's external copy (serve `--follow --edge`: one copy per node):
   * `take` stops the feed and the host (its clients get SHUTTING_DOWN and close 1001: they
   * reconnect, to the new leader on the same port), keeps the world open and returns a follower
   * of it expecting the copy's next tick (its stream state taken as captureSnapshot takes a
   * leader's, snapshots.ts), ready for WorldFollower.promote. Throws ReplicaError BAD_LOG when
   * the copy diverged or the edge already stopped.
   */
  asCopy(): ExternalCopy {
    return {
      // (while a resync rebuilds the copy it is at no tick: next 0)
      stats: (): FollowerStats => ({ applied: this.ticks, mismatches: this.mismatches, next: this.resyncing ? 0 : this.host.world.stream.tick }),
      failed: () => this.failure !== null,
      take: async (): Promise<WorldFollower> => {
        if (this.failure || this.resyncing) throw new ReplicaError('BAD_LOG', "the edge's copy differs from the log or is being resynced: it cannot lead");
        if (this.stopped) throw new ReplicaError('BAD_LOG', 'the edge host stopped: its copy is closed');
        this.stopped = true;
        if (this.heardTimer) clearInterval(this.heardTimer);
        this.generation++;
        this.stopFeed();
        const loop = this.host.world;
        const snap = loop.stream.tick > 0 ? captureSnapshot(loop) : null;
        await this.host.stop({ keepWorld: true });
        this.link.close();
        await this.nc.close();
        if (!snap) {
          await loop.close();
          return new WorldFollower(this.o.setup);
        }
        return WorldFollower.fromSnapshot(this.o.setup, snap, loop.sim);
      },
    };
  }
}
