/**
 * A replica's copy of a world (issue 19): a MainSim built from the same WorldSetup as the
 * leader's, fed the world log tick by tick (jetstream-log.ts follow), comparing its state hash
 * with the one the leader logged after every tick (DESIGN.md invariant 1: leader vs replica).
 *
 * A mismatch is counted and reported (`onMismatch`) and the copy stops applying: its state is
 * no longer the world's (resynchronising from a snapshot is issue 19's next step). A tick that
 * is not the next one is refused with ReplicaError LOG_GAP and changes nothing.
 */
import { MainSim, type WorldSetup } from '../sim/main-sim';
import type { LoggedTick } from './log-codec';
import { ReplicaError } from './jetstream-log';

/** A replica's figures. */
export interface FollowerStats {
  /** Ticks applied. */
  applied: number;
  /** Ticks whose hash differed from the leader's (at most 1: the copy stops there). */
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
  readonly sim: MainSim;
  private next = 0;
  private applied = 0;
  /** The first divergence, or null while the copy agrees with the leader. */
  diverged: Divergence | null = null;

  /** A fresh copy of the world `setup` builds, expecting tick 0. */
  constructor(
    setup: WorldSetup,
    private readonly opts: { onMismatch?: (d: Divergence) => void } = {},
  ) {
    this.sim = new MainSim(setup);
  }

  /**
   * Applies logged tick `t` and compares the hash. Returns false (and applies nothing more from
   * then on) on a mismatch. Throws ReplicaError LOG_GAP when `t` is not the next tick.
   */
  apply(t: LoggedTick): boolean {
    if (this.diverged) return false;
    if (t.tick !== this.next) throw new ReplicaError('LOG_GAP', `replica expects tick ${this.next}, got ${t.tick}`);
    this.sim.apply(t.tick, t.events);
    this.next++;
    this.applied++;
    const h = this.sim.hash();
    if (h !== t.hash) {
      this.diverged = { tick: t.tick, leader: t.hash, replica: h };
      this.opts.onMismatch?.(this.diverged);
      return false;
    }
    return true;
  }

  /** Figures for metrics. */
  stats(): FollowerStats {
    return { applied: this.applied, mismatches: this.diverged ? 1 : 0, next: this.next };
  }

  /** Stops the copy's shard workers. */
  async close(): Promise<void> {
    await this.sim.close();
  }
}
