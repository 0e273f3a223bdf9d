/**
 * Edge hosts (issue 19): a replica that serves WebSocket clients from its own lockstep copy of
 * the world and forwards what changes the world to the leader over NATS request/reply, so client
 * fan-out grows with the number of replicas.
 *
 * ```
 *  edge:   JetStream log -> WorldFollower (catch up) -> promote -> Host (HostOptions.edge, no timer)
 *            each logged tick: Host.applyLogged (EventStream.mirrorTick + MainSim.apply, hash ==
 *            logged hash?) -> the host's own fan-out (events, snapshots/deltas, interest)
 *          client hello -> token checked against the replica's own accounts -> request
 *            tessera.<world>.edge.join -> the leader's public id -> welcome
 *          input, chat, publish, spawn, ownership, admin -> request tessera.<world>.edge.<kind>
 *            -> the leader's errors (relayed to the client) and the input's applied tick
 *            (acknowledged in the state message once the copy has applied that tick)
 *          every silenceMs/3: publish tessera.<world>.edge.heard (its clients' keys)
 *          a socket closed -> publish tessera.<world>.edge.leave
 *  leader: EdgeServer subscribes tessera.<world>.edge.> -> Host.edgePort() (src/net/edge-port.ts)
 * ```
 *
 * The edge shows only ticks its log has: it applies nothing but the JetStream log, whose ticks
 * are stored before anyone reads them, so an input is acknowledged to an edge client only once
 * the tick that holds it is stored (DESIGN.md invariant 4).
 *
 * Bounds: at most `maxPending` requests waiting for the leader per edge (a message past it is
 * answered BUSY at once and counted); each waits at most `timeoutMs` (then BUSY: "the leader did
 * not answer"). No leader (no responders) is BUSY too; the edge stays up and keeps serving its
 * copy. Figures: `EdgeHost.stats()`.
 */
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { readGauge, totalCounter } from '../net/prom-counter';
import { ERROR, type ErrorCode } from '../protocol/errors';
import type { ClientMessage } from '../protocol/messages';
import { Host, type HostOptions } from '../net/host';
import { EdgeRefusal, type EdgeLink, type EdgePort, type EdgeReply } from '../net/edge-port';
import type { Session } from '../net/sessions';
import type { WorldSetup } from '../sim/main-sim';
import { replicaConnectOptions } from './auth';
import { WorldFollower, type FollowerStats } from './follower';
import type { ExternalCopy } from './replica-node';
import { captureSnapshot } from './snapshots';
import { JetStreamTickLog, ReplicaError } from './jetstream-log';
import type { LoggedTick } from './log-codec';

/** The edge subjects of world `world`: `tessera.<world>.edge.<kind>` (kind: join, leave, heard, or a forwarded ClientMessage kind). */
export function edgeSubject(world: string, kind: string): string {
  return `tessera.${world}.edge.${kind}`;
}

/** Default most requests an edge has waiting for the leader. */
export const DEFAULT_EDGE_MAX_PENDING = 4096;
/** Default ms an edge waits for the leader's answer. */
export const DEFAULT_EDGE_TIMEOUT_MS = 2000;

type Answer = { ok: true; p?: number; r?: EdgeReply } | { ok: false; code: ErrorCode; message: string };

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
        let answer: Answer;
        try {
          const body = JSON.parse(dec.decode(msg.data)) as { k?: unknown; t?: unknown; a?: unknown; b?: unknown };
          if (kind === 'heard') {
            if (Array.isArray(body.k)) port.heard(body.k.filter((x): x is string => typeof x === 'string'));
            answer = { ok: true };
          } else if (typeof body.k !== 'string') {
            answer = { ok: false, code: ERROR.BAD_VALUE, message: 'no key' };
          } else if (kind === 'join') {
            answer = { ok: true, p: port.join(body.k, typeof body.t === 'string' ? body.t : '', typeof body.a === 'string' ? body.a : '') };
          } else if (kind === 'leave') {
            port.leave(body.k);
            answer = { ok: true };
          } else {
            answer = { ok: true, r: port.message(body.k, Buffer.from(typeof body.b === 'string' ? body.b : '', 'base64')) };
          }
        } catch (e) {
          if (e instanceof EdgeRefusal) answer = { ok: false, code: e.code, message: e.message };
          else {
            log?.error({ world, kind, err: (e as Error).message }, 'edge: request failed');
            answer = { ok: false, code: ERROR.INTERNAL, message: 'the leader failed on this request' };
          }
        }
        if (msg.reply) msg.respond(enc.encode(JSON.stringify(answer)));
      },
    });
    return new EdgeServer(sub);
  }

  /** Stops answering. */
  stop(): void {
    this.sub.unsubscribe();
  }
}

/** An edge's figures. */
export interface EdgeStats {
  /** Requests waiting for the leader now, and the bound. */
  pending: number;
  maxPending: number;
  /** Messages forwarded to the leader. */
  forwarded: number;
  /** Messages answered BUSY: past maxPending, leader timed out or absent. */
  busy: number;
  /** Logged ticks applied to the copy, and ticks whose hash differed from the log's. */
  ticks: number;
  mismatches: number;
}

/**
 * Registers an edge's figures in `registry`, read at each scrape from `read()` (null: no edge
 * running now): gauges `tessera_edge_pending_requests` and `tessera_edge_max_pending_requests`,
 * counters `tessera_edge_forwarded_total`, `tessera_edge_busy_total` (messages answered BUSY:
 * bound reached, leader absent or late), `tessera_edge_ticks_total`, `tessera_edge_mismatches_total`.
 */
export function edgeMetrics(registry: Registry, read: () => EdgeStats | null): void {
  readGauge(registry, 'tessera_edge_pending_requests', 'Requests of this edge host waiting for the leader', () => read()?.pending);
  readGauge(registry, 'tessera_edge_max_pending_requests', 'Most requests this edge host lets wait for the leader', () => read()?.maxPending);
  totalCounter(registry, 'tessera_edge_forwarded_total', 'Client messages this edge host forwarded to the leader', () => read()?.forwarded);
  totalCounter(registry, 'tessera_edge_busy_total', 'Client messages answered BUSY: too many waiting, or the leader absent or late', () => read()?.busy);
  totalCounter(registry, 'tessera_edge_ticks_total', 'Logged ticks this edge host applied to its copy', () => read()?.ticks);
  totalCounter(registry, 'tessera_edge_mismatches_total', "Logged ticks whose hash differed from this edge host's copy", () => read()?.mismatches);
}

/** The edge's end of the link (EdgeLink over NATS request/reply). */
class NatsEdgeLink implements EdgeLink {
  pending = 0;
  forwarded = 0;
  busy = 0;
  readonly keys = new Map<Session, string>();
  private errorTo: (s: Session, code: ErrorCode, message: string) => void = () => {};
  private closeTo: (s: Session, reason: string) => void = () => {};

  constructor(
    private readonly nc: NatsConnection,
    private readonly world: string,
    private readonly timeoutMs: number,
    readonly maxPending: number,
  ) {}

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
    const a = await this.ask('join', { k: key, t: s.token, a: s.address });
    this.keys.set(s, key);
    return a.p as number;
  }

  forward(s: Session, m: ClientMessage, bytes: Uint8Array): void {
    const key = this.keys.get(s);
    if (key === undefined) return;
    this.forwarded++;
    this.ask(m.kind, { k: key, b: Buffer.from(bytes).toString('base64') }).then(
      (a) => {
        const r = a.r as EdgeReply;
        for (const e of r.errors) this.errorTo(s, e.code, e.message);
        if (r.applied > 0) s.inputs.pending.push({ tick: r.applied, seq: r.seq, body: '' });
      },
      (e: EdgeRefusal) => {
        this.errorTo(s, e.code, `${m.kind}: ${e.message}`);
        // the leader does not know this client (a new leader since its hello): it must say hello again
        if (e.code === ERROR.NOT_FOUND) this.closeTo(s, 'the leader changed: reconnect');
      },
    );
  }

  left(s: Session): void {
    const key = this.keys.get(s);
    if (key === undefined) return;
    this.keys.delete(s);
    this.nc.publish(edgeSubject(this.world, 'leave'), enc.encode(JSON.stringify({ k: key })));
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
  /** ms to wait for the copy to reach the log's end at start (default 30,000). */
  catchUpMs?: number;
  log: Logger;
}

/** A running edge host (module comment). */
export class EdgeHost {
  private ticks = 0;
  private stopped = false;
  private mismatches = 0;
  private heardTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly link: NatsEdgeLink,
    /** The host serving the clients. */
    readonly host: Host,
    private stopFeed: () => void,
    private readonly log: Logger,
    private readonly setup: WorldSetup,
  ) {}

  /**
   * Connects, follows the world's log from tick 0 to its end, then serves clients on
   * `o.host.port` from the copy, applying each further logged tick. Rejects with the NATS error,
   * ReplicaError LOG_GAP (the log no longer holds tick 0: starting an edge from a snapshot is not
   * done yet), Error when the copy does not reach the log's end within catchUpMs or differs from it.
   */
  static async start(o: EdgeHostOptions): Promise<EdgeHost> {
    const nc = await connect(replicaConnectOptions({ nats: o.nats, name: `tessera-edge-${o.world}-${o.id}`, id: o.id, nkeyFile: o.nkeyFile }));
    let feedStop: (() => void) | null = null;
    try {
      const tickLog = await JetStreamTickLog.open(nc, { world: o.world });
      await tickLog.refresh();
      const end = tickLog.lastTick() ?? -1;
      const follower = new WorldFollower(o.setup);
      const queue: LoggedTick[] = [];
      let edge: EdgeHost | null = null;
      let failure: Error | null = null;
      let building = false;
      const pump = (): void => {
        while (queue.length && !failure) {
          const t = queue.shift() as LoggedTick;
          if (!edge) {
            if (!follower.apply(t)) failure = new Error(`edge: the copy differs from the log at tick ${t.tick}`);
            continue;
          }
          edge.apply(t);
        }
      };
      const onTick = (t: LoggedTick): void => {
        queue.push(t);
        if (edge || !building) pump();
      };
      const onError = (e: Error): void => {
        failure ??= e;
        o.log.error({ world: o.world, err: e.message }, 'edge: following the log failed');
      };
      // (a log that was empty at the first look may get its tick 0 before the second: look again)
      const follow = (n: number): ReturnType<JetStreamTickLog['follow']> =>
        tickLog.follow(0, onTick, onError).catch(async (e: Error) => {
          if (!(e instanceof ReplicaError && e.code === 'LOG_GAP') || n >= 3) throw e;
          await new Promise((r) => setTimeout(r, 100));
          return follow(n + 1);
        });
      const feed = await follow(0);
      feedStop = () => feed.stop();
      const until = performance.now() + (o.catchUpMs ?? 30_000);
      while (follower.stats().next <= Math.max(end, 0)) {
        if (failure) throw failure;
        if (performance.now() > until) throw new Error(`edge: the copy is at tick ${follower.stats().next} of ${end + 1} after ${o.catchUpMs ?? 30_000} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
      building = true; // ticks arriving while the host starts wait in the queue
      const link = new NatsEdgeLink(nc, o.world, o.timeoutMs ?? DEFAULT_EDGE_TIMEOUT_MS, o.maxPending ?? DEFAULT_EDGE_MAX_PENDING);
      const host = await Host.start({ ...o.host, world: o.setup, adoptWorld: (lo, so) => follower.promote(lo, so), edge: link, manualTicks: true });
      edge = new EdgeHost(nc, link, host, () => feed.stop(), o.log, o.setup);
      const e = edge;
      const silence = o.host.silenceMs ?? 5000;
      e.heardTimer = setInterval(() => link.heard(), Math.max(100, Math.floor(silence / 3)));
      e.heardTimer.unref();
      pump();
      o.log.info({ world: o.world, id: o.id, port: host.port, tick: host.world.stream.tick }, 'edge: serving clients from the copy');
      return edge;
    } catch (e) {
      feedStop?.();
      await nc.close();
      throw e;
    }
  }

  /** Applies one logged tick to the host's copy; a hash that differs stops the copy (counted). */
  private apply(t: LoggedTick): void {
    if (this.mismatches > 0) return;
    const h = this.host.applyLogged(t.tick, t.events, t.joins);
    this.ticks++;
    if (h !== t.hash) {
      // the copy is no longer the world: it stops (its clients see no newer tick); restart the edge
      this.mismatches++;
      this.stopFeed();
      this.log.error({ tick: t.tick, log: t.hash.toString(16), copy: h.toString(16) }, 'edge: the copy differs from the log; it stops following');
    }
  }

  /** The edge's figures. */
  stats(): EdgeStats {
    return {
      pending: this.link.pending,
      maxPending: this.link.maxPending,
      forwarded: this.link.forwarded,
      busy: this.link.busy,
      ticks: this.ticks,
      mismatches: this.mismatches,
    };
  }

  /** Stops the host (its clients get SHUTTING_DOWN) and the feed, and closes the connection (idempotent). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.heardTimer) clearInterval(this.heardTimer);
    this.stopFeed();
    await this.host.stop();
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
      stats: (): FollowerStats => ({ applied: this.ticks, mismatches: this.mismatches, next: this.host.world.stream.tick }),
      failed: () => this.mismatches > 0,
      take: async (): Promise<WorldFollower> => {
        if (this.mismatches > 0) throw new ReplicaError('BAD_LOG', "the edge's copy differs from the log: it cannot lead");
        if (this.stopped) throw new ReplicaError('BAD_LOG', 'the edge host stopped: its copy is closed');
        this.stopped = true;
        if (this.heardTimer) clearInterval(this.heardTimer);
        this.stopFeed();
        const loop = this.host.world;
        const snap = loop.stream.tick > 0 ? captureSnapshot(loop) : null;
        await this.host.stop({ keepWorld: true });
        await this.nc.close();
        if (!snap) {
          await loop.close();
          return new WorldFollower(this.setup);
        }
        return WorldFollower.fromSnapshot(this.setup, snap, loop.sim);
      },
    };
  }
}
