/**
 * `tessera serve --replicate <nats> --follow` before it leads (issue 19): a replica node keeps a
 * lockstep copy of the world (follower.ts) by applying the world's JetStream log from tick 0,
 * and campaigns for the world's leader lease (lease.ts). When it wins, it reads the log to its
 * end (the dead leader's last ticks), stops following and hands over its copy, its lease and the
 * log: serve promotes the copy to the world loop of the new leader at the next tick
 * (WorldFollower.promote) and appends from there (leader.ts lead).
 *
 * A copy whose hash differs from the log's is not promoted: the node stops with ReplicaError
 * BAD_LOG (resynchronising from a snapshot comes later). Figures: `stats()`.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { WorldSetup } from '../sim/main-sim';
import { clusterConnectOptions, idOfKeyFile } from '../cluster/auth';
import { WorldFollower, type FollowerStats } from './follower';
import { JetStreamTickLog, ReplicaError } from './jetstream-log';
import { LeaderLease } from './lease';

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

/** A replica node (module comment). */
export class ReplicaNode {
  private failure: Error | null = null;
  private stopFeed: () => void = () => {};
  private lost: (reason: string) => void = () => {};

  private constructor(
    private readonly nc: NatsConnection,
    private readonly lease: LeaderLease,
    private readonly tickLog: JetStreamTickLog,
    readonly follower: WorldFollower,
    private readonly o: ReplicaNodeOptions,
  ) {}

  /** Connects, opens the lease and the log, and starts applying the log from tick 0. Rejects with the NATS error when the server cannot be reached. */
  static async start(o: ReplicaNodeOptions): Promise<ReplicaNode> {
    const nc = await connect(
      clusterConnectOptions({
        nats: o.nats,
        name: `tessera-replica-${o.world}-${o.id}`,
        id: o.nkeyFile ? idOfKeyFile(o.nkeyFile) : o.id,
        nkeyFile: o.nkeyFile,
      }),
    );
    try {
      let node: ReplicaNode | null = null;
      const lease = await LeaderLease.open(nc, { world: o.world, id: o.id, ttlMs: o.leaseMs, onLost: (r) => node?.lost(r) });
      const tickLog = await JetStreamTickLog.open(nc, { world: o.world });
      const follower = new WorldFollower(o.setup, {
        onMismatch: (d) =>
          o.log.error(
            { world: o.world, tick: d.tick, leader: d.leader.toString(16), replica: d.replica.toString(16) },
            'replica: the copy differs from the log',
          ),
      });
      node = new ReplicaNode(nc, lease, tickLog, follower, o);
      node.lost = (r) => o.onLost?.(r);
      const feed = await tickLog.follow(
        0,
        (t) => {
          follower.apply(t);
        },
        (e) => {
          node.failure ??= e;
          o.log.error({ world: o.world, err: e.message }, 'replica: following the log failed');
        },
      );
      node.stopFeed = () => feed.stop();
      o.log.info({ world: o.world, id: o.id, logTick: tickLog.lastTick() }, 'replica: following the world log');
      return node;
    } catch (e) {
      await nc.close();
      throw e;
    }
  }

  /** The copy's figures. */
  stats(): FollowerStats & { failed: boolean } {
    return { ...this.follower.stats(), failed: this.failure !== null || this.follower.diverged !== null };
  }

  /**
   * Campaigns for the lease; once won, waits (up to `catchUpMs`) until the copy holds every tick
   * of the log, stops following and resolves with what the new leader needs. Rejects with
   * ReplicaError BAD_LOG when the copy diverged or the feed failed, LOG_GAP when it cannot reach
   * the log's end in time.
   */
  async lead(catchUpMs = 10_000): Promise<Promotion> {
    await this.lease.campaign();
    const won = performance.now();
    await this.tickLog.refresh();
    const end = this.tickLog.lastTick() ?? -1;
    const until = won + catchUpMs;
    while (this.follower.stats().next <= end) {
      if (this.failure) throw new ReplicaError('BAD_LOG', `replica: ${this.failure.message}`);
      if (this.follower.diverged) throw new ReplicaError('BAD_LOG', `replica: the copy diverged at tick ${this.follower.diverged.tick}`);
      if (performance.now() > until) throw new ReplicaError('LOG_GAP', `replica: at tick ${this.follower.stats().next} of ${end + 1} after ${catchUpMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
    if (this.follower.diverged) throw new ReplicaError('BAD_LOG', `replica: the copy diverged at tick ${this.follower.diverged.tick}`);
    this.stopFeed();
    this.o.log.info(
      { world: this.o.world, id: this.o.id, tick: end + 1, catchUpMs: Math.round(performance.now() - won) },
      'replica: won the lease, leading from the next tick',
    );
    return { nc: this.nc, lease: this.lease, tickLog: this.tickLog, follower: this.follower, catchUpMs: performance.now() - won };
  }

  /** Stops following and campaigning and closes the connection (a replica that never led). */
  async close(): Promise<void> {
    this.stopFeed();
    await this.lease.stop();
    await this.follower.close();
    await this.nc.close();
  }
}
