/**
 * `tessera serve --replicate <nats-url>` (issue 19): the node that leads a replicated world. At
 * start it connects to NATS, takes the world's leader lease (lease.ts; another holder: it refuses
 * to start, naming the holder), opens the world's log (jetstream-log.ts) and wraps its SQLite
 * store so every closed tick also goes to JetStream (replicated-store.ts). Once the world is
 * restored, `checkHistory` makes sure the log and this node tell the same story: the log must be
 * empty at tick 0, or end at the tick before this node's, or hold this node's hash there (a log
 * ahead of SQLite after a crash: the ticks this node re-runs are already in it). Losing the lease,
 * or an append refused because another writer appended (FENCED), calls `onDeposed`: the node must
 * stop. Snapshots (`snapshots` set): once the world loop runs, `startSnapshots` puts one in the
 * world's object store every `every` ticks, and `snapshotNow` one after the next tick (serve calls
 * it at a graceful stop, before the host stops ticking) (snapshots.ts). Figures for metrics: `stats()`.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { WorldLogStore } from '../persist/store';
import type { WorldLoop } from '../sim/world-loop';
import { replicaConnectOptions } from './auth';
import { JetStreamTickLog, type ReplicaError } from './jetstream-log';
import { LeaderLease } from './lease';
import { ReplicatedLogStore, type ReplicationStats } from './replicated-store';
import { SnapshotPublisher, SnapshotStore, type SnapshotStats } from './snapshots';
import { EdgeServer, publishRevocation } from './edge';
import type { EdgePort, TokenRevocation } from '../net/edge-port';

/** Settings of a leader. */
export interface LeaderOptions {
  /** NATS URL(s), comma separated. */
  nats: string;
  /** World id. */
  world: string;
  /** This node's id (logged, and the lease holder's name). */
  id: string;
  /** The world stream whose ticks are replicated (the host's main stream). */
  stream: string;
  leaseMs: number;
  /** This node's NATS key (`<id>.nk` from `tessera cluster-keys --replicas`): its file name is the user id, whose inbox (`_INBOX_<id>`) the server allows (src/replica/auth.ts). None: connect without a key. */
  nkeyFile?: string;
  store: WorldLogStore;
  log: Logger;
  /** Called once when this node is no longer the leader (lease lost or appends fenced). */
  onDeposed: (reason: string) => void;
  /** Snapshots for replicas (snapshots.ts): every `every` ticks (0: none), the newest `keep` kept, at most `maxBytes` each. */
  snapshots?: { every: number; keep: number; maxBytes?: number };
  /** Most ticks the log stream keeps (jetstream-log.ts TickLogOptions.maxTicks); 0 or absent: all. */
  logMaxTicks?: number;
}

/** Refusals at start: LEASE_HELD (another node leads the world), HISTORY (the log holds another history than this node's). */
export class LeaderError extends Error {
  override name = 'LeaderError';
  constructor(
    readonly code: 'LEASE_HELD' | 'HISTORY',
    message: string,
  ) {
    super(message);
  }
}

/** The once-only deposition callback of a leader: logs and calls `o.onDeposed`. */
export function deposer(o: Pick<LeaderOptions, 'world' | 'log' | 'onDeposed'>): (reason: string) => void {
  let deposed = false;
  return (reason) => {
    if (deposed) return;
    deposed = true;
    o.log.error({ world: o.world, reason }, 'replication: this node is no longer the leader');
    o.onDeposed(reason);
  };
}

/** A running leader (module comment). */
export class ReplicationLeader {
  private edges: EdgeServer | null = null;
  private constructor(
    private readonly nc: NatsConnection,
    private readonly lease: LeaderLease,
    private readonly tickLog: JetStreamTickLog,
    /** The store to give the world loop. */
    readonly store: ReplicatedLogStore,
    private readonly o: LeaderOptions,
  ) {}

  /**
   * Connects, takes the lease, opens the log. Rejects with LeaderError LEASE_HELD when another
   * node holds the lease, or the NATS error when the server cannot be reached or has no JetStream.
   */
  static async start(o: LeaderOptions): Promise<ReplicationLeader> {
    const nc = await connect(replicaConnectOptions({ nats: o.nats, name: `tessera-leader-${o.world}-${o.id}`, id: o.id, nkeyFile: o.nkeyFile }));
    try {
      const depose = deposer(o);
      const lease = await LeaderLease.open(nc, { world: o.world, id: o.id, ttlMs: o.leaseMs, onLost: (r) => depose(`lease lost (${r})`) });
      if (!(await lease.tryAcquire())) {
        const h = await lease.holder();
        throw new LeaderError(
          'LEASE_HELD',
          `world ${o.world} is led by ${h ? `${h.id} (since ${new Date(h.sinceMs).toISOString()})` : 'another node'}: stop that node first`,
        );
      }
      return ReplicationLeader.lead(o, nc, lease, await JetStreamTickLog.open(nc, { world: o.world, maxTicks: o.logMaxTicks }), depose);
    } catch (e) {
      await nc.close();
      throw e;
    }
  }

  /**
   * The leader of a node that already holds the lease and the log (a replica that won the lease:
   * replica-node.ts); `depose` is what its lease calls on loss.
   */
  static lead(o: LeaderOptions, nc: NatsConnection, lease: LeaderLease, tickLog: JetStreamTickLog, depose = deposer(o)): ReplicationLeader {
    const store = new ReplicatedLogStore(o.store, o.stream, tickLog, {
      onFenced: (e: ReplicaError) => depose(e.message),
      confirmLease: () => lease.confirm(),
      onError: (e) => o.log.warn({ world: o.world, err: e.message }, 'replication: an append failed; retrying'),
    });
    o.log.info({ world: o.world, id: o.id, logTick: tickLog.lastTick() }, 'replication: leading the world');
    return new ReplicationLeader(nc, lease, tickLog, store, o);
  }

  /**
   * Checks that the log continues this node's world (module comment). Throws LeaderError HISTORY
   * otherwise, naming both ends.
   */
  async checkHistory(loop: WorldLoop): Promise<void> {
    const next = loop.stream.tick,
      last = this.tickLog.lastTick();
    if (last === null) return;
    const hash = loop.sim.hash();
    if (next === 0)
      throw new LeaderError(
        'HISTORY',
        `the log of world ${this.o.world} already holds ticks 0..${last}, and this node starts a new world: start it from that world's data, or use another world id`,
      );
    if (last < next - 1)
      throw new LeaderError(
        'HISTORY',
        `the log of world ${this.o.world} ends at tick ${last}, this node is at tick ${next}: ticks ${last + 1}..${next - 1} exist only here (their SQLite rows); copy them first`,
      );
    const seq = await this.tickLog.sequenceOf(next - 1);
    const got = seq === null ? null : await this.tickLog.tickAt(seq);
    if (!got || got.hash !== hash)
      throw new LeaderError(
        'HISTORY',
        `the log of world ${this.o.world} says the hash after tick ${next - 1} is ${got ? got.hash.toString(16) : '(missing)'}, this node has ${hash.toString(16)}: another history`,
      );
  }

  private snapshots: SnapshotPublisher | null = null;

  /**
   * Starts the snapshots of `loop` (the world loop whose store is `this.store`), when the options
   * ask for them: opens the world's object store and hooks the publisher after each append.
   * Rejects with the NATS error.
   */
  async startSnapshots(loop: WorldLoop): Promise<void> {
    const so = this.o.snapshots;
    if (!so || so.every <= 0 || this.snapshots) return;
    const os = await SnapshotStore.open(this.nc, { world: this.o.world, maxBytes: so.maxBytes });
    const pub = new SnapshotPublisher(os, {
      every: so.every,
      keep: so.keep,
      replicatedTick: () => this.store.stats().replicatedTick,
      log: this.o.log,
      world: this.o.world,
    });
    this.snapshots = pub;
    this.store.afterAppend = () => pub.afterAppend(loop);
  }

  /** Takes a snapshot after the next tick and waits for it (a graceful stop; at most `timeoutMs`). */
  async snapshotNow(timeoutMs = 5_000, onCaptured?: () => void): Promise<void> {
    if (this.snapshots && this.lease.isLeader()) await this.snapshots.snapshotAtNextTick(timeoutMs, onCaptured);
  }

  /** Replication figures, whether this node still holds the lease, and its snapshots' figures. */
  stats(): ReplicationStats & { leader: boolean; snapshots: SnapshotStats | null } {
    return { ...this.store.stats(), leader: this.lease.isLeader(), snapshots: this.snapshots ? { ...this.snapshots.figures } : null };
  }

  /**
   * Answers the edge hosts of this world (edge.ts EdgeServer, subjects tessera.<world>.edge.>)
   * through `port` (Host.edgePort) on this leader's connection, until close.
   */
  serveEdges(port: EdgePort): void {
    this.edges ??= EdgeServer.start(this.nc, this.o.world, port, this.o.log);
  }

  /** Tells this world's edge hosts that the leader revoked a token (HostOptions.onRevoked; edge.ts publishRevocation). */
  publishRevoked(r: TokenRevocation): void {
    publishRevocation(this.nc, this.o.world, r);
  }

  /** Waits (up to `timeoutMs`) for the ticks still in flight and the snapshot being stored, releases the lease, closes the connection. */
  async close(timeoutMs = 5_000): Promise<void> {
    this.edges?.stop();
    this.store.afterAppend = null;
    await this.store.drain(timeoutMs).catch((e: Error) => this.o.log.warn({ err: e.message }, 'replication: closing with ticks not acknowledged'));
    await this.snapshots?.idle();
    this.store.close();
    await this.lease.stop(true);
    await this.nc.close();
  }
}
