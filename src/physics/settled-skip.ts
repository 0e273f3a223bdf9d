/**
 * Settled ticks that need no shard step (issue 16: the idle host's cost). src/physics/sharded.ts
 * asks SettledSkip before each tick whether its shards may be skipped, and tells it after each
 * tick that ran whether that tick was "clean" (cleanQuietTick).
 *
 * State t of a sharded world is X(t) = (S(t), B(t)): S the shards' own memory that outlives a
 * tick (each shard world's bodies and touching set, and in its configuration block OWNED, HELD,
 * LOCAL, IMPORT_VERSION) and B(t) the content of board t (per slot: record, version, owner,
 * publisher; per shard: slot list and bucket starts, touch list and count, handed list and
 * starts, index by subject, event list and count; statics never change). Tick t computes
 * X(t + 1) from X(t), the overlay and t; the coordinator writes the header (TICK, HIGH_WATER,
 * LIVE_TICK, CHECKSUM, SEQ) itself. If X(t + 1) = X(t) and tick t + 1 is quiet (nothing staged,
 * no shard world with an awake body: ShardedWorld.quiet), tick t + 1 computes from the same
 * X what tick t did, so X(t + 2) = X(t + 1): the tick number enters a quiet shard step only as
 * the stamp of the (empty) overlay, which no stale stamp equals, as the shard world's H_TICK,
 * which the next sync sets again, and as the version test `ver > t - 1`, which decides whether
 * a record is written, never what it is (a body that slept through keeps its front version and
 * record). The back board of tick t + 1 is board t % 2, which holds B(t) = B(t + 1) = B(t + 2):
 * nothing needs writing, and the shard worlds already hold S(t + 2) = S(t). By induction every
 * following quiet tick is the same, until something is staged (a command, spawn or despawn),
 * the gravity or tick rate changes (reset()), or a restore or recovery (not quiet).
 *
 * X(t + 1) = X(t) is established, without comparing memory, from tick t - 1 and tick t both
 * being clean: quiet before the tick (so nothing staged), H_SLEEP_TICKS >= 2 in every shard
 * world, and for every shard k after it: no import (SC.IMPORTS), as many held bodies as before
 * (no drop: with no import, every body held after the sync was held before), no awake body, no
 * contact event in its world (its touching set equals the previous tick's: contactEvents emits
 * one for any difference), no handoff, status 0, and event count 0 on both boards. Then:
 * - S: no body entered or left k's world and none was woken (a woken body is still awake after
 *   the step when sleeping takes >= 2 rested ticks, sleep.ts), so every record is unchanged; the
 *   touching set is unchanged; the world's future depends on nothing else (worldHash, step.ts:
 *   same hash, same bodies, states and contact memory). OWNED is only rewritten for the sync's
 *   candidates: an owned body keeps bits 0 and 1 (it slept through, so it keeps its owner and
 *   border flag), a ghost keeps bit 0 and 1 clear (one that k owned before would have been
 *   imported: its import version was -1); bit 2 changes only with an import. HELD is the same set,
 *   in slot order. LOCAL and IMPORT_VERSION change only with an import or a drop.
 * - B: every owned body slept through, so on B(t + 1) it has its front record and version, owner
 *   k (its owner on B(t)) and publisher k. On B(t) its publisher is k too: tick t - 1 handed
 *   nothing off and staged nothing, so every body was published by the shard that owned it and
 *   keeps. So k owned at t - 1 exactly what it owns at t, the lists hold the same slots in the
 *   same buckets (border flags kept) in slot order. The touch list is the world's touching set
 *   filtered by OWNED (both unchanged), so it, its count, the handed list (by the owners, equal)
 *   and the index by subject are equal. The event counts are 0 on both boards.
 * test/settled-tick.test.ts steps the same world with and without the skip through settling, a
 * wake and settling again: skipping after any two quiet ticks (cleanQuietTick always true) parts
 * the events and hashes as the pile first settles (its touching set still changes with every
 * body asleep). The condition on tick t - 1 is not exercised there: it is what the argument for
 * the publishers and lists needs (a handoff in tick t - 1 leaves another publisher on B(t)).
 *
 * A skipped tick still runs the exchange's gather and scatter (a remote transport forwards
 * the unchanged back board) and reports zero work: no step time, visits, imports, writes or
 * handoffs (ShardedWorld.counts(): its world figures stay those of the last step run).
 */
import { BOARD, HEADER, SHARD_CFG as SC, SHARD_CFG_SLOTS } from './world-layout';

/** What cleanQuietTick reads: typed views over the sharded world's memory (byte addresses). */
export interface ShardMemory {
  i64(at: number, n: number): BigInt64Array;
  /** Configuration block and shard world of each shard. */
  cfgs: readonly number[];
  worlds: readonly number[];
}

/** Per shard, the number of held moving bodies (SC.HELD_COUNT) before a tick runs. */
export function heldCounts(m: ShardMemory): bigint[] {
  return m.cfgs.map((c) => m.i64(c, SHARD_CFG_SLOTS)[SC.HELD_COUNT]);
}

/**
 * Whether the tick that just ran from board `front` to board `back` was clean (see the module
 * comment), given it was quiet before it ran and `heldBefore` (heldCounts before it).
 */
export function cleanQuietTick(m: ShardMemory, heldBefore: readonly bigint[], front: number, back: number): boolean {
  const K = m.cfgs.length;
  const fEvents = m.i64(Number(m.i64(front, BOARD.EVENT_COUNT + 1)[BOARD.EVENT_COUNT]), K),
    bEvents = m.i64(Number(m.i64(back, BOARD.EVENT_COUNT + 1)[BOARD.EVENT_COUNT]), K);
  for (let k = 0; k < K; k++) {
    const cfg = m.i64(m.cfgs[k], SHARD_CFG_SLOTS),
      h = m.i64(m.worlds[k], HEADER.SLEEP_TICKS + 1);
    if (h[HEADER.SLEEP_TICKS] < 2n || h[HEADER.AWAKE_COUNT] !== 0n || h[HEADER.EVENT_COUNT] !== 0n) return false;
    if (cfg[SC.IMPORTS] !== 0n || cfg[SC.HELD_COUNT] !== heldBefore[k] || cfg[SC.HANDOFFS] !== 0n || cfg[SC.STATUS] !== 0n) return false;
    if (fEvents[k] !== 0n || bEvents[k] !== 0n) return false;
  }
  return true;
}

/** Writes a skipped tick's work figures (all zero) to every shard's configuration block. */
export function reportSkipped(m: ShardMemory): void {
  for (const c of m.cfgs) {
    const cfg = m.i64(c, SHARD_CFG_SLOTS);
    cfg[SC.STEP_NS] = 0n;
    cfg[SC.SYNC_VISITS] = 0n;
    cfg[SC.EVENT_VISITS] = 0n;
    cfg[SC.IMPORTS] = 0n;
    cfg[SC.PUBLISHED] = 0n;
    cfg[SC.HANDOFFS] = 0n;
  }
}

/** Tracks whether the next quiet tick may skip its shards (see the module comment). */
export class SettledSkip {
  /** The last tick that ran was clean. */
  private lastClean = false;
  /** Two clean ticks in a row ran, and every tick since was skipped: X(t + 1) = X(t). */
  private still = false;
  /** Ticks whose shards were skipped. */
  skipped = 0;

  /** `enabled` false: never skip (ShardOptions.skipSettled; tests compare both). */
  constructor(readonly enabled: boolean) {}

  /** Whether this tick, quiet or not (ShardedWorld.quiet), skips its shards; counts it. */
  skips(quiet: boolean): boolean {
    if (!quiet) this.reset();
    if (!this.enabled || !this.still) return false;
    this.skipped++;
    return true;
  }

  /** After a tick whose shards ran: whether it was clean (cleanQuietTick, false when it was not quiet). */
  ran(clean: boolean): void {
    this.still = clean && this.lastClean;
    this.lastClean = clean;
  }

  /**
   * After the last tick, ran or skipped: its board holds the same state as the board before it
   * (X(t + 1) = X(t): two clean ticks in a row, or a skip), whether or not skipping is enabled.
   */
  get unchanged(): boolean {
    return this.still;
  }

  /** Forgets both ticks: something outside the staged commands changed the shard worlds (gravity, tick rate, recovery). */
  reset(): void {
    this.lastClean = false;
    this.still = false;
  }
}
