/**
 * `tessera serve --replicate <nats> --follow` before it leads (issue 19): a replica node keeps a
 * lockstep copy of the world (follower.ts) by applying the world's JetStream log from the
 * newest usable snapshot (snapshots.ts; from tick 0 when there is none), and campaigns for the
 * world's leader lease (lease.ts). When it wins, it reads the log to its
 * end (the dead leader's last ticks), stops following and hands over its copy, its lease and the
 * log: serve promotes the copy to the world loop of the new leader at the next tick
 * (WorldFollower.promote) and appends from there (leader.ts lead).
 *
 * Start: the snapshots are tried newest first; one is used when the log still holds its tick,
 * it decodes and verifies (snapshots.ts), the log's hash at its tick is its hash, and the world
 * rebuilt from it has that hash; each one refused is logged (warn, with its SnapshotError code)
 * and counted, and the next older one is tried; without any, the copy starts at tick 0, which
 * the log must still hold (else ReplicaError LOG_GAP).
 *
 * Resync: a tick whose hash differs from the log's is logged (warn: tick, both hashes) and
 * counted, the feed stops, and the copy is replaced by the newest usable snapshot (or tick 0),
 * then follows again. When the next mismatch comes at the same tick or an earlier one (the
 * resync did not get the copy past it: the log itself or this build disagrees), the node stops
 * with ReplicaError DIVERGED instead of resyncing forever. A copy that diverged or failed is
 * not promoted. Figures: `stats()`.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { WorldSetup } from '../sim/main-sim';
import { replicaConnectOptions } from './auth';
import { WorldFollower, type FollowerStats } from './follower';
import { JetStreamTickLog, ReplicaError } from './jetstream-log';
import { LeaderLease, type LeaseHolder } from './lease';
import { SnapshotError, SnapshotStore, decodeSnapshot, restoreSnapshot, type ReplicaSnapshot, type SnapshotErrorCode } from './snapshots';
import type { MainSim } from '../sim/main-sim';

/** Settings of a replica node. */
export interface ReplicaNodeOptions {
  nats: string;
  world: string;
  /** This node's id (the lease holder's name once it leads). */
  id: string;
  leaseMs: number;
  nkeyFile?: string;
  setup: WorldSetup;
  log: Logger;
  /** What the lease calls when this node, once leading, loses it. */
  onLost?: (reason: string) => void;
  /** Largest snapshot read, bytes (snapshots.ts SnapshotStoreOptions.maxBytes). */
  snapshotMaxBytes?: number;
}

/** What a replica node hands over when it wins the lease. */
export interface Promotion {
  nc: NatsConnection;
  lease: LeaderLease;
  tickLog: JetStreamTickLog;
  follower: WorldFollower;
  /** ms from winning the lease to the copy being at the log's end. */
  catchUpMs: number;
}

/**
 * A copy kept outside the node (an edge host's, src/replica/edge.ts) that the node promotes
 * instead of its own once it wins the lease (ReplicaNode.useCopy): one copy per serve edge.
 */
export interface ExternalCopy {
  /** The copy's figures (`next`: the next tick it expects). */
  stats(): FollowerStats;
  /** True once the copy stopped for good (its hash differed from the log's and it could not resync). */
  failed(): boolean;
  /** Stops the copy following the log and hands it over as a follower expecting its next tick (used once). */
  take(): Promise<WorldFollower>;
}

/** A replica node's figures: the copy's, and its snapshots and resyncs. */
export interface ReplicaNodeStats extends FollowerStats {
  /** The copy stopped for good (a failed feed, or a mismatch a resync did not cure). */
  failed: boolean;
  /** Resyncs from a snapshot (or tick 0) after a mismatch. */
  resyncs: number;
  /** Snapshots refused (at start or at a resync), per SnapshotError code. */
  refused: Partial<Record<SnapshotErrorCode, number>>;
  /** The tick the copy last started after (a snapshot's), or -1 for tick 0. */
  startedAfter: number;
}

/** A replica node (module comment). */
export class ReplicaNode {
  private failure: Error | null = null;
  private failed: (e: Error) => void = () => {};
  private readonly failedP: Promise<never>;
  private stopFeed: () => void = () => {};
  private lost: (reason: string) => void = () => {};
  private generation = 0;
  private resyncing: Promise<void> | null = null;
  private resyncs = 0;
  private readonly refused: Partial<Record<SnapshotErrorCode, number>> = {};
  private startedAfter = -1;
  /** The tick of the mismatch the last resync answered, or -1. */
  private lastMismatch = -1;
  private closed = false;
  /** The copy promoted instead of `follower` (useCopy), or null. */
  private copy: ExternalCopy | null = null;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly lease: LeaderLease,
    private readonly tickLog: JetStreamTickLog,
    private readonly snaps: SnapshotStore,
    readonly follower: WorldFollower,
    private readonly o: ReplicaNodeOptions,
  ) {
    this.failedP = new Promise<never>((_, reject) => {
      this.failed = reject;
    });
    this.failedP.catch(() => undefined);
  }

  /**
   * Connects, opens the lease, the log and the snapshots, and starts applying the log after the
   * newest usable snapshot (module comment). Rejects with the NATS error when the server cannot
   * be reached, ReplicaError LOG_GAP when the log no longer holds tick 0 and no snapshot is usable.
   */
  static async start(o: ReplicaNodeOptions): Promise<ReplicaNode> {
    const nc = await connect(replicaConnectOptions({ nats: o.nats, name: `tessera-replica-${o.world}-${o.id}`, id: o.id, nkeyFile: o.nkeyFile }));
    let follower: WorldFollower | null = null;
    try {
      let node: ReplicaNode | null = null;
      const lease = await LeaderLease.open(nc, { world: o.world, id: o.id, ttlMs: o.leaseMs, onLost: (r) => node?.lost(r) });
      const tickLog = await JetStreamTickLog.open(nc, { world: o.world });
      const snaps = await SnapshotStore.open(nc, { world: o.world, maxBytes: o.snapshotMaxBytes });
      const refused: Partial<Record<SnapshotErrorCode, number>> = {};
      const start = await ReplicaNode.usable(tickLog, snaps, o, refused);
      const onMismatch = (): void => node?.mismatch();
      follower = start ? WorldFollower.fromSnapshot(o.setup, start.snap, start.sim, { onMismatch }) : new WorldFollower(o.setup, { onMismatch });
      node = new ReplicaNode(nc, lease, tickLog, snaps, follower, o);
      Object.assign(node.refused, refused);
      node.startedAfter = start ? start.snap.tick : -1;
      node.lost = (r) => o.onLost?.(r);
      await node.follow();
      o.log.info(
        { world: o.world, id: o.id, logTick: tickLog.lastTick(), from: follower.stats().next, snapshot: start ? start.snap.tick : null },
        'replica: following the world log',
      );
      return node;
    } catch (e) {
      await follower?.close();
      await nc.close();
      throw e;
    }
  }

  /**
   * The newest snapshot that passes every check (module comment) with its rebuilt world, or null
   * to start at tick 0 (also used by edge hosts, src/replica/edge.ts). Throws ReplicaError LOG_GAP when there is none and the log no longer
   * holds tick 0. Refusals are logged and counted in `refused`.
   */
  static async usable(
    tickLog: JetStreamTickLog,
    snaps: SnapshotStore,
    o: Pick<ReplicaNodeOptions, 'world' | 'setup' | 'log'>,
    refused: Partial<Record<SnapshotErrorCode, number>>,
  ): Promise<{ snap: ReplicaSnapshot; sim: MainSim } | null> {
    for (const e of await snaps.list()) {
      try {
        const seq = await tickLog.sequenceOf(e.tick);
        if (seq === null) throw new SnapshotError('SNAP_NOT_IN_LOG', `the log does not hold tick ${e.tick}`);
        const snap = decodeSnapshot(await snaps.read(e.name));
        if (snap.tick !== e.tick) throw new SnapshotError('SNAP_FORMAT', `${e.name} holds the snapshot of tick ${snap.tick}`);
        const logged = await tickLog.tickAt(seq);
        if (logged.stream !== snap.stream) throw new SnapshotError('SNAP_STREAM', `snapshot of stream ${snap.stream}, the log is of ${logged.stream}`);
        if (logged.hash !== snap.hash)
          throw new SnapshotError('SNAP_LOG_HASH', `snapshot of tick ${e.tick} has hash ${snap.hash.toString(16)}, the log ${logged.hash.toString(16)}`);
        return { snap, sim: await restoreSnapshot(o.setup, snap) };
      } catch (err) {
        if (!(err instanceof SnapshotError)) throw err;
        refused[err.code] = (refused[err.code] ?? 0) + 1;
        o.log.warn({ world: o.world, snapshot: e.name, code: err.code, err: err.message }, 'replica: snapshot refused; trying an older one');
      }
    }
    if (tickLog.lastTick() !== null && (await tickLog.sequenceOf(0)) === null)
      throw new ReplicaError('LOG_GAP', `the log of world ${o.world} no longer holds tick 0 and no snapshot is usable`);
    return null;
  }

  /** Follows the log from the copy's next tick (a new feed generation: ticks of an older feed are ignored). */
  private async follow(): Promise<void> {
    const gen = ++this.generation;
    const feed = await this.tickLog.follow(
      this.follower.stats().next,
      (t) => {
        if (gen === this.generation) this.follower.apply(t);
      },
      (e) => {
        if (gen !== this.generation) return;
        this.fail(e);
        this.o.log.error({ world: this.o.world, err: e.message }, 'replica: following the log failed');
      },
    );
    if (gen !== this.generation || this.closed) feed.stop();
    else this.stopFeed = () => feed.stop();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.failed(this.failure);
  }

  /** The copy differs from the log at `follower.diverged`: log, count, resync (module comment). */
  private mismatch(): void {
    const d = this.follower.diverged;
    if (!d || this.resyncing || this.closed) return;
    this.generation++;
    this.stopFeed();
    const hashes = { world: this.o.world, tick: d.tick, leader: d.leader.toString(16), replica: d.replica.toString(16) };
    if (d.tick <= this.lastMismatch) {
      this.o.log.error(hashes, 'replica: the copy differs from the log again at the tick a resync should have cured; stopping');
      this.fail(
        new ReplicaError('DIVERGED', `the copy differs from the log at tick ${d.tick} again after a resync (log ${hashes.leader}, copy ${hashes.replica})`),
      );
      return;
    }
    this.o.log.warn(hashes, 'replica: the copy differs from the log; resyncing from the newest snapshot');
    this.lastMismatch = d.tick;
    this.resyncing = (async () => {
      const start = await ReplicaNode.usable(this.tickLog, this.snaps, this.o, this.refused);
      if (this.closed) {
        await start?.sim.close();
        return;
      }
      await this.follower.resync(start?.snap ?? null, start?.sim);
      this.resyncs++;
      this.startedAfter = start ? start.snap.tick : -1;
      this.o.log.info({ world: this.o.world, from: this.follower.stats().next, snapshot: start ? start.snap.tick : null }, 'replica: resynced');
      await this.follow();
    })()
      .catch((e: Error) => {
        this.o.log.error({ world: this.o.world, err: e.message }, 'replica: resync failed');
        this.fail(e);
      })
      .finally(() => {
        this.resyncing = null;
      });
  }

  /** The copy's figures. */
  /** The lease's current holder (the leader this replica follows), or null when nobody holds it. */
  leaderNow(): Promise<LeaseHolder | null> {
    return this.lease.holder();
  }

  stats(): ReplicaNodeStats {
    return {
      ...(this.copy ? this.copy.stats() : this.follower.stats()),
      failed: this.failure !== null || (this.copy?.failed() ?? false),
      resyncs: this.resyncs,
      refused: { ...this.refused },
      startedAfter: this.startedAfter,
    };
  }

  /**
   * Campaigns for the lease; once won, waits (up to `catchUpMs`) until the copy holds every tick
   * of the log, stops following and resolves with what the new leader needs. Rejects with
   * ReplicaError BAD_LOG when the feed failed, DIVERGED when the copy cannot be resynced (also
   * while campaigning), LOG_GAP when it cannot reach the log's end in time.
   */
  async lead(catchUpMs = 10_000): Promise<Promotion> {
    const bad = (): ReplicaError => {
      const f = this.failure as Error;
      return f instanceof ReplicaError && f.code === 'DIVERGED' ? f : new ReplicaError('BAD_LOG', `replica: ${f.message}`);
    };
    await Promise.race([this.lease.campaign(), this.failedP]).catch(() => {
      throw bad();
    });
    const won = performance.now();
    await this.tickLog.refresh();
    const end = this.tickLog.lastTick() ?? -1;
    const until = won + catchUpMs;
    if (this.copy) return this.leadWith(this.copy, end, won, until, catchUpMs);
    while (this.resyncing || this.follower.diverged || this.follower.stats().next <= end) {
      if (this.failure) throw bad();
      if (performance.now() > until) throw new ReplicaError('LOG_GAP', `replica: at tick ${this.follower.stats().next} of ${end + 1} after ${catchUpMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
    if (this.failure) throw bad();
    this.generation++;
    this.stopFeed();
    this.o.log.info(
      { world: this.o.world, id: this.o.id, tick: end + 1, catchUpMs: Math.round(performance.now() - won) },
      'replica: won the lease, leading from the next tick',
    );
    return { nc: this.nc, lease: this.lease, tickLog: this.tickLog, follower: this.follower, catchUpMs: performance.now() - won };
  }

  /**
   * Makes `copy` the one this node promotes when it wins the lease (an edge host's: serve
   * `--follow --edge`), and stops and closes the node's own: the node then keeps one copy, the
   * edge's. The node's figures are the copy's from then on.
   */
  async useCopy(copy: ExternalCopy): Promise<void> {
    this.copy = copy;
    this.generation++;
    this.stopFeed();
    await this.resyncing;
    await this.follower.close();
  }

  /** lead() with an external copy: waits until it holds the log's end `end`, then takes it. */
  private async leadWith(copy: ExternalCopy, end: number, won: number, until: number, catchUpMs: number): Promise<Promotion> {
    while (copy.stats().next <= end) {
      if (copy.failed()) throw new ReplicaError('DIVERGED', `replica: the edge's copy stopped at tick ${copy.stats().next} (its hash differs from the log's)`);
      if (performance.now() > until) throw new ReplicaError('LOG_GAP', `replica: at tick ${copy.stats().next} of ${end + 1} after ${catchUpMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
    if (copy.failed()) throw new ReplicaError('DIVERGED', `replica: the edge's copy stopped at tick ${copy.stats().next} (its hash differs from the log's)`);
    const follower = await copy.take();
    this.o.log.info(
      { world: this.o.world, id: this.o.id, tick: follower.stats().next, catchUpMs: Math.round(performance.now() - won) },
      "replica: won the lease, leading from the next tick with the edge's copy",
    );
    return { nc: this.nc, lease: this.lease, tickLog: this.tickLog, follower, catchUpMs: performance.now() - won };
  }

  /** Stops following and campaigning and closes the connection (a replica that never led). */
  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    this.stopFeed();
    await this.resyncing;
    await this.lease.stop();
    if (!this.copy) await this.follower.close(); // (useCopy closed it)
    await this.nc.close();
  }
}
