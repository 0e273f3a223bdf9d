/**
 * A replica's copy of a world (issue 19): a MainSim built from the same WorldSetup as the
 * leader's, fed the world log tick by tick (jetstream-log.ts follow), comparing its state hash
 * with the one the leader logged after every tick (DESIGN.md invariant 1: leader vs replica).
 *
 * A mismatch is counted and reported (`onMismatch`) and the copy stops applying: its state is
 * no longer the world's, until `resync` replaces it with a snapshot's (snapshots.ts) or a fresh
 * world at tick 0 (replica-node.ts does). A copy may also start from a snapshot
 * (`WorldFollower.fromSnapshot`). A tick that is not the next one is refused with ReplicaError
 * LOG_GAP and changes nothing.
 *
 * Besides the world the copy keeps the event stream's state (from tick 0's '_a' event, which
 * holds the stream's seed, then the clients' '_c'/'_d' events and private ids), folded every
 * FOLD_EVERY ticks, so `promote` can turn it into the world loop of a new leader at the next tick.
 */
import { MainSim, type WorldSetup } from '../sim/main-sim';
import { EventStream, type StreamOptions, type StreamState } from '../sim/stream';
import { WorldLoop, type WorldLoopOptions } from '../sim/world-loop';
import type { StreamEvent } from '../protocol/messages';
import type { LoggedTick } from './log-codec';
import { ReplicaError } from './jetstream-log';
import type { ReplicaSnapshot } from './snapshots';

/** Ticks of events a follower keeps before folding them into its stream state (promote's input). */
const FOLD_EVERY = 200;

/** A replica's figures. */
export interface FollowerStats {
  /** Ticks applied. */
  applied: number;
  /** Ticks whose hash differed from the leader's (the copy stops at each until it is resynced), in total. */
  mismatches: number;
  /** The next tick the copy expects. */
  next: number;
}

/** Where a replica's copy first differed from the leader's. */
export interface Divergence {
  tick: number;
  /** Hash after the tick, leader's and this copy's. */
  leader: bigint;
  replica: bigint;
}

/** A lockstep copy of a world applying its log (module comment). */
export class WorldFollower {
  /** The copy's world (replaced by `resync`). */
  sim: MainSim;
  private next = 0;
  private applied = 0;
  private mismatches = 0;
  /** The first divergence, or null while the copy agrees with the leader. */
  diverged: Divergence | null = null;
  /** The stream's state at some tick s, and the logged events and joins of ticks s.. (see promote). */
  private streamName = '';
  private base: StreamState | null = null;
  private since: StreamEvent[] = [];
  private joins: Array<[string, number]> = [];
  /** Derived events of the last tick applied: they belong to the next (open) tick. */
  private derived: Array<{ type: string; body: string }> = [];

  /** A fresh copy of the world `setup` builds, expecting tick 0 (or, with `start`, see fromSnapshot). */
  constructor(
    private readonly setup: WorldSetup,
    private readonly opts: { onMismatch?: (d: Divergence) => void } = {},
    start?: { snap: ReplicaSnapshot; sim: MainSim },
  ) {
    this.sim = start ? start.sim : new MainSim(setup);
    if (start) this.adopt(start.snap, start.sim);
  }

  /**
   * A copy starting after snapshot `snap`'s tick t (expecting tick t + 1), with `sim` the world
   * restoreSnapshot rebuilt from it (its hash already checked).
   */
  static fromSnapshot(setup: WorldSetup, snap: ReplicaSnapshot, sim: MainSim, opts: { onMismatch?: (d: Divergence) => void } = {}): WorldFollower {
    return new WorldFollower(setup, opts, { snap, sim });
  }

  /** Takes snapshot `snap` (or a fresh world at tick 0 when `snap` is null) as the copy's state. */
  private adopt(snap: ReplicaSnapshot | null, sim: MainSim): void {
    this.sim = sim;
    this.diverged = null;
    this.since = [];
    this.joins = [];
    if (snap) {
      this.next = snap.tick + 1;
      this.streamName = snap.stream;
      this.base = { ...snap.state, pending: [] };
      this.derived = snap.derived.map((d) => ({ ...d }));
    } else {
      this.next = 0;
      this.streamName = '';
      this.base = null;
      this.derived = [];
    }
  }

  /**
   * Replaces the copy (after a mismatch) with snapshot `snap` and its restored world `sim`, or,
   * with `snap` null, a fresh world expecting tick 0; the old world is closed. Counters go on.
   */
  async resync(snap: ReplicaSnapshot | null, sim?: MainSim): Promise<void> {
    const old = this.sim;
    this.adopt(snap, sim ?? new MainSim(this.setup));
    if (old !== this.sim) await old.close();
  }

  /**
   * Applies logged tick `t` and compares the hash. Returns false (and applies nothing more from
   * then on) on a mismatch. Throws ReplicaError LOG_GAP when `t` is not the next tick.
   */
  apply(t: LoggedTick): boolean {
    if (this.diverged) return false;
    if (t.tick !== this.next) throw new ReplicaError('LOG_GAP', `replica expects tick ${this.next}, got ${t.tick}`);
    if (t.tick === 0) {
      const a = t.events.find((e) => e.type === '_a' && e.origin === 0);
      if (!a) throw new ReplicaError('BAD_LOG', `tick 0 of stream ${t.stream} has no '_a' event (the stream's seed)`);
      this.streamName = t.stream;
      this.base = { seed: a.body, tick: 0, nextId: 1, clients: [], pending: [] };
    }
    this.derived = this.sim.apply(t.tick, t.events).derived;
    this.since.push(...t.events);
    this.joins.push(...t.joins);
    if (this.base && (t.tick + 1) % FOLD_EVERY === 0) {
      const s = EventStream.resume(this.streamName, this.base, this.since, { tick: t.tick + 1, ids: this.joins });
      this.base = s.exportState();
      this.since = [];
      this.joins = [];
    }
    this.next++;
    this.applied++;
    const h = this.sim.hash();
    if (h !== t.hash) {
      this.diverged = { tick: t.tick, leader: t.hash, replica: h };
      this.mismatches++;
      this.opts.onMismatch?.(this.diverged);
      return false;
    }
    return true;
  }

  /**
   * Turns the copy into the world loop of a new leader, at the next tick: the event stream is
   * resumed from the copy's state and the log since, the derived events of the last tick go into
   * the open tick (as WorldLoop.restore does), and the world is this copy's (the follower must not
   * be used afterwards). Throws ReplicaError BAD_LOG when the copy started neither at tick 0 nor
   * from a snapshot, or has diverged.
   */
  promote(opts: WorldLoopOptions = {}, streamOpts: StreamOptions = {}): WorldLoop {
    if (!this.base) throw new ReplicaError('BAD_LOG', 'promote: the copy has no stream state (it started neither at tick 0 nor from a snapshot)');
    if (this.diverged) throw new ReplicaError('BAD_LOG', `promote: the copy diverged at tick ${this.diverged.tick}`);
    const stream = EventStream.resume(this.streamName, this.base, this.since, { ...streamOpts, tick: this.next, ids: this.joins });
    return WorldLoop.resumed(stream, this.sim, this.derived, opts);
  }

  /** Figures for metrics. */
  stats(): FollowerStats {
    return { applied: this.applied, mismatches: this.mismatches, next: this.next };
  }

  /** Stops the copy's shard workers. */
  async close(): Promise<void> {
    await this.sim.close();
  }
}
