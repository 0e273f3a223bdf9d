/**
 * Physics shards (DESIGN.md "Shards"): one world cut into rectangular regions of the x/z
 * plane, each simulated by its own shard world, agreeing with the unsharded world to the bit.
 *
 * ```
 *   z ^      shard 2      |      shard 3
 *     |  ...........+.....|.....+..........   <- halo: HALO beyond each region
 *     |  ---------------- + ---------------   zCut
 *     |      shard 0      |      shard 1
 *     +-------------------|------------------> x
 *                        xCut
 * ```
 *
 * Memory (one SharedArrayBuffer-backed WebAssembly memory, laid out by planSharded):
 * shard worlds, two boards, the command overlay and its slot list, the statics list, the
 * region table, one configuration block and scratch per shard, the cuts, the control block.
 * A board is the published state of one tick: every body's record, owner and publisher, and
 * per shard the slots it wrote (by new owner and border flag), its touch list (with the
 * entries it handed off and an index by subject) and its event list (BOARD in
 * world-layout.ts). No per-tick step reads all slots: a shard reads the lists that can
 * concern it, the coordinator lists the overlay's slots and clears despawned owners itself. Tick t reads board t % 2 (state t: immutable while the tick runs, any
 * thread may read it) and writes board (t + 1) % 2; each shard writes only the bodies it has
 * authority over. After the barrier the coordinator publishes t + 1 with Atomics (control
 * word PUBLISHED) and the board's seqlock word goes even: readers (BoardReader) never see a
 * torn tick and no lock exists that a dead worker could hold.
 *
 * One tick, per shard (assembly/physics/shard.ts): sync (own bodies and ghosts within the
 * halo, from state t and the command overlay) -> step -> publish own bodies with their new
 * owner (handoff at the tick boundary) -> touch list -> events for own bodies.
 *
 * The exchange: everything a shard reads from its neighbours (ghost records, handed-off
 * bodies, the touch lists behind events) is on the front board and everything it gives them
 * goes to its part of the back board. BorderExchange names that boundary; the in-process
 * transport (SharedBoardExchange) is the shared boards themselves, ordered by the barrier.
 * A remote transport fills a shard's copy of the front board with the records and lists
 * within its halo and sends its part of the back board to its neighbours; the shard code
 * does not change.
 *
 * Commands (applyCommands) are resolved against state t in the registry world, which holds
 * every body's identity: the same canonical order and errors as PhysicsWorld.applyCommands.
 * The resulting record goes on the overlay stamped for tick t, marked with the shard that
 * has authority over the body after the command; that shard takes it as its own, its
 * neighbours as ghosts. New bodies get their slot and generation from the registry, so a
 * body's handle is the same in every shard and the canonical (slot) order is global.
 *
 * Halo and exchange (ShardOptions.exchange). With 'tick' a body's next state depends on
 * bodies within the interaction range R (PhysicsWorld.interactionRange, solver.ts: 2 S + 1
 * contact hops); a shard reports the touching pairs and events of its bodies, which also
 * involve the partner's trajectory, so the halo is R plus one contact distance d (2
 * maxBodyRadius + margin): 14.7 m at r = 0.5 m and 6 substeps. With 'pass' (the default) the
 * shards exchange their border bodies' solver state after every pass (shard.ts "the tick in
 * phases"), so a pass only ever reads one hop of up-to-date state and the halo is 2d: pile
 * 20,000 on 2 shards holds 0.12 ghosts per owned body instead of 0.83, for 2 S + 1 barriers
 * per tick. Bodies larger than maxBodyRadius are refused by every world (TOO_LARGE); speed
 * needs no rule of its own because every world's pairs come from the same positions at the
 * start of the tick.
 *
 * Shard worlds store the bodies they hold on dense slots of their own, tagged with their
 * slots in the whole world (shard.ts): the boards, lists, overlay and touch keys all speak in
 * whole-world slots.
 */
import type { JointHandle, JointKind, JointSpec } from './joints';
import {
  PhysicsWorld,
  PhysicsError,
  forgetBinding,
  readEvents,
  DEFAULT_SUBSTEPS,
  toRaw,
  fromRaw,
  setGravityAt,
  setTickRateAt,
  type Vec3,
  type WorldConfig,
  type BodyHandle,
  type BodyOptions,
  type CharacterOptions,
  type Command,
  type ContactEvent,
  type WorldExports,
  type GeometryBlockInput,
  type HullShapeRef,
  type CompoundShapeRef,
} from './world';
import { xxh64 } from './xxhash64';
import { isqrt } from './integer';
import { Core, createMemory } from './wasm';
import { readBodyTable, type BodyTable } from './body-table';
import { SettledSkip, cleanQuietTick, heldCounts, reportSkipped, type ShardMemory } from './settled-skip';
import { fromSparseImage } from './sparse';
import { DEFAULT_STEP_TIMEOUT_MS, HANG_HOOK, SLOW_HOOK, MIN_FENCE_MS, WORKER_BOOT_MS, ShardWorkerPool } from './shard-pool';
import { planSharded, type ShardedPlan } from './shard-plan';
import { BoardReader, type BoardView, type BoardSource } from './board-reader';
import { type RecordScan, type SensorId, type SensorOptions, SensorSet, type TriggerEvent } from './sensors';

// the worker pool, the memory plan and the board reader live in modules of their own; they are
// part of this module's API
export { DEFAULT_STEP_TIMEOUT_MS, HANG_HOOK, SLOW_HOOK, MIN_FENCE_MS, WORKER_BOOT_MS, ShardWorkerPool, planSharded, BoardReader };
export type { ShardedPlan, BoardView, BoardSource };

export { CONTROL };
import {
  BODY_RECORD_BYTES,
  CONTROL,
  CONTROL_WORDS,
  SHARD_CFG as SC,
  SHARD_CFG_SLOTS,
  SHARD_STATUS,
  OWNER,
  BOARD,
  BOARD_HEADER_SLOTS,
  HEADER_SLOTS,
  TOUCH_BYTES,
  EVENT_BYTES,
  HEADER,
  FIELD_INDEX,
  JOINT,
  JOINT_BYTES,
  JOINT_KIND,
} from './world-layout';

/** Shard layout: cut positions in metres along x and z (strictly increasing); (xCuts + 1) x (zCuts + 1) shards, row-major in x. */
export interface Partition {
  xCuts: number[];
  zCuts: number[];
}

/** What ShardOptions.onRecovery is told after a tick was recovered. */
export interface ShardRecovery {
  /** The tick that was re-run. */
  tick: number;
  /** 1 for the first recovery of this tick (a tick is tried at most 4 times). */
  attempt: number;
  /** SHARD_TIMEOUT: a worker died or hung past the step timeout; SHARD_FAILED: a shard's step threw on its worker; TRAP: a shard trapped on this thread. */
  code: 'SHARD_TIMEOUT' | 'SHARD_FAILED' | 'TRAP';
  message: string;
  /** Recoveries of this world so far, this one included. */
  recoveries: number;
  /** Time from the start of the failed attempt to the recovery, ms (wall clock: for the log, never for decisions). */
  ms: number;
}

/** Options of a sharded world. */
export interface ShardOptions {
  /** Worker threads stepping the shards (0: this thread steps them in turn; same bits). */
  workers?: number;
  /** How long a worker step may take before it counts as a crash (ms). Default DEFAULT_STEP_TIMEOUT_MS (750). */
  stepTimeoutMs?: number;
  /**
   * Called on this thread right after a failed tick was recovered (the shards rebuilt, the
   * workers replaced), before it runs again: the place to log it. A dead or hung worker is
   * therefore reported stepTimeoutMs after the tick began. Throwing from it is not caught.
   */
  onRecovery?: (r: ShardRecovery) => void;
  /** Store a checksum of every published board (BoardReader.read validates against it). */
  checksums?: boolean;
  /**
   * With worker threads: step a settled tick's shards on this thread instead of waking the
   * workers (ShardedWorld.settledInline). Default true; same bits either way.
   */
  inlineSettled?: boolean;
  /**
   * Skip the shards of a settled tick whose state is the last tick's (src/physics/settled-skip.ts:
   * two clean quiet ticks in a row, then nothing staged; ShardedWorld.settledSkipped counts them).
   * Default true; same bits either way.
   */
  skipSettled?: boolean;
  /**
   * How shards exchange border state (assembly/physics/shard.ts): 'pass' (default) once per
   * solver pass, with a halo of two contact distances, the tick's phases run shard by shard
   * (on workers: a barrier after each phase); 'tick' once per tick, with a halo as wide as the
   * solver's interaction range plus one contact distance (fewer, larger exchanges: the
   * choice for shards that do not share memory). bench/results: shards.md measures both.
   */
  exchange?: 'tick' | 'pass';
}

/**
 * The boundary between a shard and its neighbours: before shard k steps tick t, gather makes
 * the front board's records within k's halo, the overlay and the touch lists of t - 1
 * readable where k reads them; after, scatter delivers k's part of the back board (its
 * bodies with their new owners, its touch and event lists) to whoever reads them next.
 */
export interface BorderExchange {
  gather(shard: number, tick: number): void;
  scatter(shard: number, tick: number): void;
}

/**
 * The in-process transport: every shard reads and writes the same two boards in one shared
 * memory, so there is nothing to copy; the step barrier (an Atomics counter) orders a
 * shard's writes before any read of the next tick.
 */
export class SharedBoardExchange implements BorderExchange {
  gather(): void {
    /* the front board is already in the shared memory */
  }
  scatter(): void {
    /* the back board is already in the shared memory */
  }
}

/**
 * Steps a tick's shards somewhere else than this process's threads (src/cluster/: shard
 * processes over NATS). runTick(t) runs tick t of every shard from the front board and the
 * staged overlay of this world's memory and writes every shard's write set (src/cluster/write-set.ts)
 * and counters into this world's back board before it returns: the same bytes the shards would
 * have written here. It retries faults itself; a throw ends the step (ShardedWorld.step rethrows).
 */
export interface ShardRunner {
  runTick(t: number, staged: readonly number[]): void;
}

/**
 * What src/cluster/ needs of a sharded world's memory (ShardedWorld.clusterAccess): the memory
 * and its plan, and the operations a shard process performs on its own copy of the world.
 */
export interface ClusterAccess {
  readonly memory: WebAssembly.Memory;
  readonly plan: ShardedPlan;
  readonly config: WorldConfig;
  /** The halo (raw metres) and exchange of the world's shards. */
  readonly exchange: 'tick' | 'pass';
  /** Runs shardTick of shard k on this thread (its configuration block set for the tick). Throws PhysicsError BAD_HEADER. */
  runShard(k: number): void;
  /** Recovery of one shard (shardReset): it forgets its moving bodies and writes every record of its next tick. */
  resetShard(k: number): void;
  /** Puts a static body's record (BODY_RECORD_BYTES) into both boards and every shard world. Throws PhysicsError FULL. */
  putStatic(slot: number, record: Uint8Array): void;
}

/**
 * Sets up the memory for tick t of the shards `cfgs` (their configuration blocks: tick, high
 * water, boards, overlay count), lists `staged` as the overlay's slots, opens the back board
 * (seqlock odd) and clears the owner of despawned bodies (overlay owner OWNER.NONE; no shard
 * writes them) on the back board, with those of the last tick (`despawnedLast`: that board
 * still holds state t - 1). Returns this tick's despawned slots. Used by ShardedWorld.step and
 * by a shard process on its copy of the world (src/cluster/shard-host.ts).
 */
export function openTick(
  memory: WebAssembly.Memory,
  plan: ShardedPlan,
  cfgs: readonly number[],
  t: number,
  hw: bigint,
  staged: readonly number[],
  despawnedLast: readonly number[],
): number[] {
  const buf = memory.buffer,
    cap = plan.capacity;
  const front = plan.boards[t % 2],
    back = plan.boards[(t + 1) % 2];
  new Int32Array(buf, plan.layout.regions.overlayList.offset, cap).set(staged);
  for (const c of cfgs) {
    const cfg = new BigInt64Array(buf, c, SHARD_CFG_SLOTS);
    cfg[SC.TICK] = BigInt(t);
    cfg[SC.HIGH_WATER] = hw;
    cfg[SC.FRONT] = BigInt(front);
    cfg[SC.BACK] = BigInt(back);
    cfg[SC.STATUS] = 0n;
    cfg[SC.OVERLAY_COUNT] = BigInt(staged.length);
  }
  const bh = new BigInt64Array(buf, back, BOARD_HEADER_SLOTS);
  Atomics.add(new Int32Array(buf, back, 1), 0, 1); // odd: being written (before any write to it)
  bh[BOARD.HIGH_WATER] = hw;
  const ovOwner = new Int32Array(buf, plan.layout.regions.overlayOwner.offset, cap);
  const despawned = staged.filter((s) => ovOwner[s] === OWNER.NONE);
  const backOwner = new Int32Array(buf, Number(bh[BOARD.OWNER]), cap);
  for (const s of despawned) backOwner[s] = OWNER.NONE;
  for (const s of despawnedLast) backOwner[s] = OWNER.NONE;
  return despawned;
}

/** A contact event seen from one body: `body` began or ended touching `other`. */
export interface BodyEvent {
  kind: 'begin' | 'end';
  body: BodyHandle;
  other: BodyHandle;
}

const slotOfHandle = (h: BodyHandle): number => Number(h & 0xffffffffn);

/** Sorts body events canonically: by body slot, other slot, END before BEGIN. */
function sortBodyEvents(list: BodyEvent[]): BodyEvent[] {
  return list.sort(
    (x, y) =>
      slotOfHandle(x.body) - slotOfHandle(y.body) || slotOfHandle(x.other) - slotOfHandle(y.other) || (x.kind === 'end' ? -1 : 1) - (y.kind === 'end' ? -1 : 1),
  );
}

/**
 * An unsharded world's pair events (PhysicsWorld.events) seen from each body: "A hit by B"
 * and "B hit by A", in canonical order; what ShardedWorld.events() merges from its shards.
 */
export function bodyEvents(events: readonly ContactEvent[]): BodyEvent[] {
  return sortBodyEvents(
    events.flatMap((e) => [
      { kind: e.kind, body: e.a, other: e.b },
      { kind: e.kind, body: e.b, other: e.a },
    ]),
  );
}

/**
 * The solver's interaction range (solver.ts, interactionRange) for the largest body a world
 * of this configuration accepts: (2 substeps + 1)(2 maxBodyRadius + margin), metres.
 */
export function worstCaseRange(config: WorldConfig): number {
  return (2 * (config.substeps ?? DEFAULT_SUBSTEPS) + 1) * (2 * (config.maxBodyRadius ?? 1) + (config.margin ?? 0.05));
}

/** Core exports of assembly/physics/board-hash.ts not in WorldExports. */
interface ShardExports {
  /** Writes a board's sorted live list for its tick (scratch of the shard at cfg); returns the live count. */
  boardPublishLive(cfg: number, board: number): number;
}

/** A world split into physics shards (see the module comment). */
/** The kinds of ShardedWorld.overflowTicks (the metric's `kind` label). */
export const OVERFLOW_KINDS = ['contacts', 'touch', 'events', 'scratch'] as const;
export type OverflowKind = (typeof OVERFLOW_KINDS)[number];

export class ShardedWorld {
  /** Holds every body's identity (slot, generation) and resolves commands. */
  private registry: PhysicsWorld;
  /** The registry's geometry digest and the geometry size it was computed for (hash). */
  private geometryDigest: { words: number; digest: bigint } | null = null;
  private readonly core: Core;
  private readonly x: WorldExports;
  private readonly sx: ShardExports;
  readonly plan: ShardedPlan;
  /** How shards exchange border state (ShardOptions.exchange). */
  readonly exchangeMode: 'tick' | 'pass';
  /** Exchange 'pass': phases of one shard tick (shard.ts shardPhase: begin, 2 substeps passes, end); 0 for 'tick'. */
  private readonly phases: number;
  /** The state interaction range R (m: one contact distance with exchange 'pass') and the halo (m) ghosts are taken from. */
  readonly range: number;
  readonly halo: number;
  /** One contact distance, m (2 maxBodyRadius + margin): no two bodies farther apart (in x/z) touch. */
  private readonly hop: number;
  private readonly rawXCuts: bigint[];
  private readonly rawZCuts: bigint[];
  private readonly ctl: Int32Array;
  private tickNow = 0;
  private readonly checksums: boolean;
  private readonly inlineSettled: boolean;
  /** Ticks whose shards ran on this thread although there are workers (settled ticks: see settled()). */
  settledInline = 0;
  /** Whether a quiet tick may skip its shards (settled-skip.ts). */
  private readonly still: SettledSkip;
  /** The shards' memory as settled-skip.ts reads it. */
  private readonly mem: ShardMemory;
  /** The last published tick when its board holds the state of the board before it (settled-skip.ts), else -1. */
  private unchangedTick = -1;
  /**
   * Whether published board `tick` holds the same state as board tick - 1 (records, versions,
   * owners, lists, touch and event lists: src/physics/settled-skip.ts), as far as known: true
   * only for the last published tick, after two clean quiet ticks in a row or a skipped tick.
   */
  unchangedAt(tick: number): boolean {
    return tick === this.unchangedTick;
  }
  /** Ticks whose shards were skipped: settled, and state t + 1 = state t (settled-skip.ts). */
  get settledSkipped(): number {
    return this.still.skipped;
  }
  /** The transport between shards (in-process: the shared boards). */
  readonly exchange: BorderExchange = new SharedBoardExchange();
  /** Handoffs since creation (bodies whose authority changed between published ticks). */
  handoffs = 0;
  /**
   * Ticks since creation on which some shard ran out of a fixed capacity and dropped something,
   * by kind (SHARD_STATUS bits of the tick, each kind counted once a tick whatever the shard
   * count): `contacts`, a shard world's candidate pairs or contacts (WORLD_OVERFLOW: the pairs met
   * last are dropped, the same on every copy, so bodies in a crowd may interpenetrate; raise
   * WorldConfig.contactsPerBody); `touch`, its touch list (TOUCH_OVERFLOW); `events`, its contact
   * events (EVENT_OVERFLOW: the rest of the tick's events are lost); `scratch`, its scratch area
   * (SCRATCH_OVERFLOW). A world whose counts stay 0 dropped nothing.
   */
  readonly overflowTicks: Record<OverflowKind, number> = { contacts: 0, touch: 0, events: 0, scratch: 0 };
  /** Worker threads running the shards, or null to run them on this thread. */
  readonly pool: ShardWorkerPool | null;
  /** How long a worker step may take before it counts as a crash, ms. */
  readonly stepTimeoutMs: number;
  private readonly onRecovery: ShardOptions['onRecovery'];
  /** Ticks re-run after a worker died or a shard's tick trapped. */
  recoveries = 0;
  /** Slots stamped on the overlay for the next tick (each once), in staging order. */
  private staged: number[] = [];
  /** Slots the last tick's commands despawned (their owner is still set on the board the next tick writes). */
  private despawnedLast: number[] = [];
  /**
   * The shard worlds may not hold the published board's bodies (a new or restored world, or
   * one rebuilt by a recovery) until a tick has run the full path: until then their awake
   * lists say nothing about the board, and no tick counts as quiet.
   */
  private unsynced = true;

  /**
   * Throws RangeError for unsorted cuts, a non-positive range, or a `maxCapacity` above the
   * capacity (shard worlds do not grow). `range` (m), the state interaction range the halo
   * covers beyond one contact distance, defaults to one contact distance (2 maxBodyRadius +
   * margin) with exchange 'pass' and to worstCaseRange(config) with exchange 'tick'; a smaller
   * one (tests only) breaks agreement with the unsharded world.
   */
  constructor(
    readonly config: WorldConfig,
    readonly partition: Partition,
    range?: number,
    opts: ShardOptions = {},
  ) {
    for (const cuts of [partition.xCuts, partition.zCuts]) {
      for (let k = 1; k < cuts.length; k++) if (!(cuts[k] > cuts[k - 1])) throw new RangeError('partition cuts must be strictly increasing');
      if (cuts.some((c) => !Number.isFinite(c))) throw new RangeError('partition cuts must be finite');
    }
    const count = (partition.xCuts.length + 1) * (partition.zCuts.length + 1);
    if (partition.xCuts.length + partition.zCuts.length > 62) throw new RangeError('at most 62 cuts');
    // the registry and every shard world share one capacity, fixed by planSharded: none grows
    if (config.maxCapacity !== undefined && config.maxCapacity !== (config.capacity ?? 1024))
      throw new RangeError('a ShardedWorld does not grow: leave maxCapacity unset (or equal to capacity) and size capacity for the world');
    this.registry = PhysicsWorld.create(config, { variant: 'unshared' });
    this.exchangeMode = opts.exchange ?? 'pass';
    if (this.exchangeMode !== 'tick' && this.exchangeMode !== 'pass') throw new RangeError("exchange must be 'tick' or 'pass'");
    const hop = 2 * (config.maxBodyRadius ?? 1) + (config.margin ?? 0.05);
    this.hop = hop;
    this.range = range ?? (this.exchangeMode === 'pass' ? hop : worstCaseRange(config));
    if (!(this.range > 0)) throw new RangeError('the interaction range must be positive');
    this.halo = this.range + hop;
    this.plan = planSharded(config, count, this.exchangeMode);
    this.checksums = opts.checksums ?? false;
    this.stepTimeoutMs = opts.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    if (!(this.stepTimeoutMs > 0)) throw new RangeError('stepTimeoutMs must be positive');
    this.onRecovery = opts.onRecovery;
    this.inlineSettled = opts.inlineSettled ?? true;
    this.still = new SettledSkip(opts.skipSettled ?? true);
    this.core = Core.instantiate(createMemory({ pages: this.plan.layout.pages, shared: true }), 'release');
    this.x = this.core.exports as unknown as WorldExports;
    this.sx = this.core.exports as unknown as ShardExports;
    this.rawXCuts = partition.xCuts.map(toRaw);
    this.rawZCuts = partition.zCuts.map(toRaw);
    this.ctl = new Int32Array(this.core.memory.buffer, this.plan.control, CONTROL_WORDS);
    this.mem = { i64: (at, n) => this.i64(at, n), cfgs: this.plan.cfgs, worlds: this.plan.worlds };
    this.initMemory();
    this.phases = this.exchangeMode === 'pass' ? 2 + 2 * (config.substeps ?? DEFAULT_SUBSTEPS) : 0;
    this.pool = (opts.workers ?? 0) > 0 ? new ShardWorkerPool(this.core.memory, this.plan.cfgs, this.plan.control, opts.workers as number, this.phases) : null;
  }

  private i64(at: number, n: number): BigInt64Array {
    return new BigInt64Array(this.core.memory.buffer, at, n);
  }
  private i32(at: number, n: number): Int32Array {
    return new Int32Array(this.core.memory.buffer, at, n);
  }

  private initMemory(): void {
    const p = this.plan,
      L = p.layout.regions,
      cap = p.capacity;
    for (let k = 0; k < p.shards; k++) PhysicsWorld.createAt(this.core, p.worlds[k], this.config);
    const cuts = this.i64(L.cuts.offset, 64);
    [...this.rawXCuts, ...this.rawZCuts].forEach((c, i) => {
      cuts[i] = c;
    });
    p.boards.forEach((b, q) => {
      const h = this.i64(b, BOARD_HEADER_SLOTS);
      h.fill(0n);
      let at = b + BOARD_HEADER_SLOTS * 8;
      const take = (bytes: number): number => {
        const a = Math.ceil(at / 64) * 64;
        at = a + bytes;
        return a;
      };
      h[BOARD.RECORDS] = BigInt(take(cap * BODY_RECORD_BYTES));
      h[BOARD.OWNER] = BigInt(take(cap * 4));
      h[BOARD.TOUCH] = BigInt(take(p.shards * p.touchCap * TOUCH_BYTES));
      h[BOARD.EVENTS] = BigInt(take(p.shards * p.eventCap * EVENT_BYTES));
      h[BOARD.TOUCH_COUNT] = BigInt(take(p.shards * 8));
      h[BOARD.EVENT_COUNT] = BigInt(take(p.shards * 8));
      h[BOARD.PUBLISHER] = BigInt(take(cap * 4));
      h[BOARD.LISTS] = BigInt(take(p.shards * cap * 4));
      h[BOARD.LIST_START] = BigInt(take(p.shards * (2 * p.shards + 1) * 4));
      h[BOARD.HANDED] = BigInt(take(p.shards * p.touchCap * 4));
      h[BOARD.HANDED_START] = BigInt(take(p.shards * (p.shards + 1) * 4));
      h[BOARD.LIVE] = BigInt(take(cap * 4));
      h[BOARD.BY_SUBJECT] = BigInt(take(p.shards * p.touchCap * 8));
      h[BOARD.VERSION] = BigInt(take(cap * 8));
      h[BOARD.LIVE_TICK] = -1n;
      h[BOARD.STATICS] = BigInt(L.statics.offset);
      h[BOARD.SHARDS] = BigInt(p.shards);
      h[BOARD.CAPACITY] = BigInt(cap);
      if (at > L[`board${q}`].offset + L[`board${q}`].bytes) throw new Error('board layout overflow');
      this.i32(Number(h[BOARD.OWNER]), cap).fill(OWNER.NONE);
      // no lists yet: every bucket empty
      this.i32(Number(h[BOARD.LIST_START]), p.shards * (2 * p.shards + 1)).fill(0);
      this.i32(Number(h[BOARD.HANDED_START]), p.shards * (p.shards + 1)).fill(0);
    });
    this.i32(L.statics.offset, 1)[0] = 0;
    // region table: row m = count, then the regions whose rectangle lies within the halo of
    // m's (a lower bound of every point's distance: a superset of nearRegion's answers)
    const near = this.i32(L.near.offset, p.shards * (p.shards + 1));
    for (let m = 0; m < p.shards; m++) {
      const row: number[] = [];
      for (let k = 0; k < p.shards; k++) if (k !== m && this.regionsNear(m, k)) row.push(k);
      near[m * (p.shards + 1)] = row.length;
      row.forEach((k, i) => {
        near[m * (p.shards + 1) + 1 + i] = k;
      });
    }
    this.i32(L.overlayTick.offset, cap).fill(0);
    for (let k = 0; k < p.shards; k++) {
      const c = this.i64(p.cfgs[k], SHARD_CFG_SLOTS);
      c.fill(0n);
      c[SC.INDEX] = BigInt(k);
      c[SC.COUNT] = BigInt(p.shards);
      c[SC.NX] = BigInt(this.partition.xCuts.length + 1);
      c[SC.NZ] = BigInt(this.partition.zCuts.length + 1);
      c[SC.CUTS] = BigInt(L.cuts.offset);
      c[SC.HALO] = toRaw(this.halo);
      c[SC.WORLD] = BigInt(p.worlds[k]);
      c[SC.OVERLAY_REC] = BigInt(L.overlayRec.offset);
      c[SC.OVERLAY_TICK] = BigInt(L.overlayTick.offset);
      c[SC.OVERLAY_OWNER] = BigInt(L.overlayOwner.offset);
      c[SC.OWNED] = BigInt(L[`owned${k}`].offset);
      c[SC.SCR_OWNED] = BigInt(L[`list${k}`].offset);
      c[SC.SCR_COUNTS] = BigInt(L[`counts${k}`].offset);
      c[SC.SCR_A] = BigInt(L[`scrA${k}`].offset);
      c[SC.SCR_B] = BigInt(L[`scrB${k}`].offset);
      c[SC.SCR_C] = BigInt(L[`scrC${k}`].offset);
      c[SC.SCR_ENTRIES] = BigInt(2 * p.touchCap);
      c[SC.TOUCH_CAP] = BigInt(p.touchCap);
      c[SC.EVENT_CAP] = BigInt(p.eventCap);
      c[SC.CAPACITY] = BigInt(cap);
      c[SC.NEAR] = BigInt(L.near.offset);
      c[SC.OVERLAY_LIST] = BigInt(L.overlayList.offset);
      c[SC.HELD] = BigInt(L[`held${k}`].offset);
      c[SC.MARK] = BigInt(L[`mark${k}`].offset);
      c[SC.SCR_SLOTS] = BigInt(L[`slots${k}`].offset);
      c[SC.SCR_SHARDS] = BigInt(L[`shards${k}`].offset);
      c[SC.IMPORT_VERSION] = BigInt(L[`importVersion${k}`].offset);
      c[SC.LOCAL] = BigInt(L[`local${k}`].offset);
      if (this.exchangeMode === 'pass') {
        c[SC.EXCHANGE] = 1n;
        c[SC.PASS_STATE] = BigInt(L.passState.offset);
        c[SC.PASS_INDEX] = BigInt(L.passIndex.offset);
        // a world with joints exchanges the whole halo each pass: a joint island's bodies and their
        // contact partners, which a shard solves the island with, have their state of the pass (jointReach)
        c[SC.PASS_BAND] = toRaw(Math.min(this.halo, this.hop * 1.125 + ((this.config.jointCapacity ?? 0) > 0 ? this.jointReach() : 0)));
      }
      this.i64(L[`importVersion${k}`].offset, cap).fill(-1n);
      this.i32(L[`local${k}`].offset, cap).fill(0);
      new Uint8Array(this.core.memory.buffer, L[`owned${k}`].offset, cap).fill(0);
      this.i32(L[`mark${k}`].offset, cap).fill(0);
    }
    forgetBinding(this.core);
  }

  /**
   * Sets gravity (m/s^2) in the registry and every shard world from the next step. Not saved by
   * save(): the caller keeps it with its game state and sets it again after a restore.
   */
  setGravity(g: Vec3): void {
    this.registry.setGravity(g);
    const mem = new BigInt64Array(this.core.memory.buffer);
    for (const base of this.plan.worlds) setGravityAt(mem, base, g);
    this.still.reset();
  }

  /**
   * Sets the tick rate (integer Hz) in the registry and every shard world from the next step.
   * Throws RangeError below the configured rate: the halo is sized for the configured tick's
   * longest motion, so ticks may only get shorter. Not saved by save() (as setGravity).
   */
  setTickRate(rate: number): void {
    if (rate < (this.config.tickRate ?? 60))
      throw new RangeError(`the tick rate can only be raised from the configured ${this.config.tickRate ?? 60} (the shards' halo is sized for it)`);
    this.registry.setTickRate(rate);
    const mem = new BigInt64Array(this.core.memory.buffer);
    for (const base of this.plan.worlds) setTickRateAt(mem, base, rate);
    this.still.reset();
  }

  /** Number of shards. */
  get shardCount(): number {
    return this.plan.shards;
  }

  /** Current (published) tick. */
  get tick(): number {
    return this.tickNow;
  }

  /** Where readers on other threads find the published state (BoardReader). */
  get source(): BoardSource {
    return { memory: this.core.memory, boards: this.plan.boards, control: this.plan.control, capacity: this.plan.capacity };
  }

  /** Shard with authority over the point (x, z) m (regions are half-open: [cut_k, cut_k+1)). */
  shardOf(x: number, z: number): number {
    return this.shardOfRaw(toRaw(x), toRaw(z));
  }

  private shardOfRaw(x: bigint, z: bigint): number {
    const iv = (cuts: bigint[], v: bigint): number => {
      let k = 0;
      while (k < cuts.length && v >= cuts[k]) k++;
      return k;
    };
    return iv(this.rawZCuts, z) * (this.rawXCuts.length + 1) + iv(this.rawXCuts, x);
  }

  /** Whether the rectangles of regions m and k lie within the halo of each other (x/z distance, raw). */
  private regionsNear(m: number, k: number): boolean {
    const nx = this.rawXCuts.length + 1;
    const gap = (cuts: bigint[], a: number, b: number): bigint => {
      if (a === b) return 0n;
      const [lo, hi] = a < b ? [a, b] : [b, a];
      return cuts[hi - 1] - cuts[lo]; // from the upper cut of the lower interval to the lower cut of the upper one
    };
    const dx = gap(this.rawXCuts, m % nx, k % nx),
      dz = gap(this.rawZCuts, Math.floor(m / nx), Math.floor(k / nx));
    const halo = toRaw(this.halo);
    return dx * dx + dz * dz <= halo * halo;
  }

  // views made once (the shared memory never moves; a command costs no allocation)
  private views?: { boards: BigInt64Array[]; owners: Int32Array[]; ovTick: Int32Array; ovOwner: Int32Array; all32: Int32Array };
  private view(): NonNullable<ShardedWorld['views']> {
    if (!this.views) {
      const boards = this.plan.boards.map((b) => this.i64(b, BOARD_HEADER_SLOTS));
      this.views = {
        boards,
        owners: boards.map((h) => this.i32(Number(h[BOARD.OWNER]), this.plan.capacity)),
        ovTick: this.i32(this.plan.layout.regions.overlayTick.offset, this.plan.capacity),
        ovOwner: this.i32(this.plan.layout.regions.overlayOwner.offset, this.plan.capacity),
        all32: new Int32Array(this.core.memory.buffer),
      };
    }
    return this.views;
  }
  private board(tick: number): BigInt64Array {
    return this.view().boards[tick % 2];
  }
  private overlayTick(): Int32Array {
    return this.view().ovTick;
  }
  private overlayOwner(): Int32Array {
    return this.view().ovOwner;
  }
  private overlayRecAt(slot: number): number {
    return this.plan.layout.regions.overlayRec.offset + slot * BODY_RECORD_BYTES;
  }

  /** Address of the record and the owner of a slot as the next tick will see them (overlay, else the published board). */
  private current(slot: number): { rec: number; owner: number } {
    if (this.overlayTick()[slot] === this.tickNow + 1) return { rec: this.overlayRecAt(slot), owner: this.overlayOwner()[slot] };
    const b = this.board(this.tickNow);
    return { rec: Number(b[BOARD.RECORDS]) + slot * BODY_RECORD_BYTES, owner: this.view().owners[this.tickNow % 2][slot] };
  }

  /** The current record of a live body, or a PhysicsError STALE_HANDLE. */
  private live(h: BodyHandle): { slot: number; rec: number; owner: number } {
    const slot = slotOfHandle(h);
    if (h < 0n || slot >= this.plan.capacity) throw new PhysicsError('STALE_HANDLE', 'not a body handle');
    const c = this.current(slot);
    const gen = this.view().all32[c.rec >> 2]; // records are 64-byte aligned
    if (c.owner === OWNER.NONE || BigInt(gen) !== h >> 32n) throw new PhysicsError('STALE_HANDLE', 'stale body handle');
    return { slot, ...c };
  }

  /** Stamps a slot's overlay entry for the next tick and lists it (once) for the shards. */
  private stamp(slot: number): void {
    const stamps = this.overlayTick();
    if (stamps[slot] !== this.tickNow + 1) this.staged.push(slot);
    stamps[slot] = this.tickNow + 1;
  }

  /** Writes a record the registry holds into the overlay for the next tick, with the owner its position gives. */
  private stage(h: BodyHandle): void {
    const slot = slotOfHandle(h);
    const rec = this.registry.exportBody(h);
    const at = this.overlayRecAt(slot);
    new Uint8Array(this.core.memory.buffer, at, BODY_RECORD_BYTES).set(rec);
    const v = new BigInt64Array(rec.buffer, rec.byteOffset, BODY_RECORD_BYTES / 8);
    this.overlayOwner()[slot] = this.shardOfRaw(v[4], v[6]);
    this.stamp(slot);
  }

  private addStatic(h: BodyHandle): BodyHandle {
    this.putStaticRecord(slotOfHandle(h), this.registry.exportBody(h));
    return h;
  }

  /** A static body's record into the statics list, both boards and every shard world. */
  private putStaticRecord(slot: number, rec: Uint8Array): void {
    const statics = this.i32(this.plan.layout.regions.statics.offset, this.plan.capacity + 1);
    statics[1 + statics[0]] = slot;
    statics[0]++;
    for (const b of this.plan.boards) {
      const hb = this.i64(b, BOARD_HEADER_SLOTS);
      hb[BOARD.LIVE_TICK] = -1n; // the live list no longer holds every live slot
      new Uint8Array(this.core.memory.buffer, Number(hb[BOARD.RECORDS]) + slot * BODY_RECORD_BYTES, BODY_RECORD_BYTES).set(rec);
      this.i32(Number(hb[BOARD.OWNER]), this.plan.capacity)[slot] = OWNER.STATIC;
      if (hb[BOARD.HIGH_WATER] <= BigInt(slot)) hb[BOARD.HIGH_WATER] = BigInt(slot + 1);
    }
    this.syncGeometry(); // a heightfield's or mesh's block before its record
    const at = this.overlayRecAt(slot); // staging area: the overlay slot is unused by statics
    new Uint8Array(this.core.memory.buffer, at, BODY_RECORD_BYTES).set(rec);
    for (const c of this.plan.cfgs) {
      if (this.x.shardPutRecord(c, at) !== 0) throw new PhysicsError('FULL', 'static body does not fit a shard world');
    }
    forgetBinding(this.core);
  }

  /**
   * Adds a static heightfield or triangle mesh to every shard (see PhysicsWorld.addGeometry;
   * the world's config needs geometryWords). Its block goes to the registry, and from there to
   * every shard world's geometry before the static record (syncGeometry).
   */
  addGeometry(g: GeometryBlockInput, o?: Parameters<PhysicsWorld['addGeometry']>[1]): BodyHandle {
    return this.addStatic(this.registry.addGeometry(g, o));
  }

  /**
   * The static geometry words in use (heightfields and meshes, every block added, in order; a
   * copy): the same words every shard world holds (PhysicsWorld.geometry). A block's word index
   * is its asset id on the wire (src/assets/wire.ts).
   */
  geometry(): BigInt64Array {
    return this.registry.geometry();
  }

  /**
   * Copies the registry's static geometry (heightfields, meshes) into every shard world whose
   * geometry is shorter: blocks are only ever appended, in the same order everywhere, so a
   * block has the same word index in every world, and a static record naming it imports.
   */
  private syncGeometry(): void {
    const used = this.registry.header(HEADER.GEOMETRY_USED);
    if (used === 0n || this.plan.worlds.every((base) => this.i64(base, HEADER_SLOTS)[HEADER.GEOMETRY_USED] === used)) return;
    const g = this.registry.geometry(); // copied only when a shard world lacks some of it
    for (const base of this.plan.worlds) {
      const h = this.i64(base, HEADER_SLOTS);
      if (h[HEADER.GEOMETRY_USED] === BigInt(g.length)) continue;
      if (h[HEADER.GEOMETRY_CAPACITY] < BigInt(g.length)) throw new PhysicsError('GEOMETRY_FULL', 'static geometry does not fit a shard world');
      this.i64(base + Number(h[HEADER.OFFSETS_AT + FIELD_INDEX.GEOMETRY]), g.length).set(g);
      h[HEADER.GEOMETRY_USED] = BigInt(g.length);
    }
  }

  /** Adds a static box to every shard (see PhysicsWorld.addBox). */
  addBox(o: Parameters<PhysicsWorld['addBox']>[0]): BodyHandle {
    return this.addStatic(this.registry.addBox(o));
  }
  /** Adds a static plane to every shard (see PhysicsWorld.addPlane). */
  addPlane(o: Parameters<PhysicsWorld['addPlane']>[0]): BodyHandle {
    return this.addStatic(this.registry.addPlane(o));
  }

  private addMoving(h: BodyHandle): BodyHandle {
    if (this.registry.isStatic(h)) return this.addStatic(h);
    this.stage(h);
    return h;
  }
  /** Adds a sphere; from the next tick the shard holding its position has authority. */
  addSphere(o: BodyOptions & { radius: number }): BodyHandle {
    return this.addMoving(this.registry.addSphere(o));
  }
  /**
   * Adds a joint (PhysicsWorld.addJoint): the registry makes it from the bodies' current records,
   * exactly as an unsharded world would, and every shard world gets the joint records
   * (syncJoints), which its step applies to the bodies it holds (assembly/physics/joints.ts
   * jointsLocalize). Bit-identical to the unsharded world (test/physics-joints.test.ts):
   * - a joint to the world (b null: a door, a pendulum, a swing's ropes) moves one body, so
   *   the halo needs nothing more, in either exchange;
   * - a joint between two bodies needs exchange 'pass' (per-pass border state): a joint island
   *   (bodies linked by joints) is solved Gauss-Seidel within a pass, so each shard must hold a
   *   whole island and its bodies' contact partners, and the 'pass' halo (2 contact distances)
   *   does when the island's reach, the sum of its joints' spans (|anchorA| + |anchorB| +
   *   maxLength for a distance joint), is at most jointReach() (0.875 contact distances,
   *   1.79 m at maxBodyRadius 1): the longest joint the halo allows. Longer: PhysicsError
   *   JOINT_TOO_LONG; with exchange 'tick': JOINTS_UNSHARDED.
   * Shard processes (a cluster world, attachRunner) receive the joints in the world's copy when
   * they start (ShardedWorld.save) and run them; once they run, addJoint and removeJoint, and
   * despawning a jointed body, are refused with JOINTS_UNSHARDED (processes would keep the old
   * joint).
   * Other errors as PhysicsWorld.addJoint.
   */
  addJoint(spec: JointSpec): JointHandle {
    if (this.runner)
      throw new PhysicsError(
        'JOINTS_UNSHARDED',
        'addJoint: shard processes (a cluster world) run the joints the world had when they started, and receive no new ones (add joints before the cluster starts: scene joints do)',
      );
    if (spec.b !== null && this.exchangeMode !== 'pass')
      throw new PhysicsError(
        'JOINTS_UNSHARDED',
        `addJoint: a ${spec.kind} joint between two bodies needs exchange 'pass' (this sharded world exchanges per tick); joints to the world (b: null) work with either`,
      );
    const ends = spec.b === null ? [spec.a] : [spec.a, spec.b];
    for (const h of ends) {
      const r = this.live(h);
      if (r.owner === OWNER.STATIC)
        throw new PhysicsError('BAD_JOINT', 'addJoint: joints in a sharded world hold dynamic bodies (a static end is the world: b null)');
      this.registry.importBody(new Uint8Array(this.core.memory.buffer, r.rec, BODY_RECORD_BYTES));
    }
    const j = this.registry.addJoint(spec);
    if (spec.b !== null) {
      const reach = this.islandReach(j);
      if (reach > this.jointReach()) {
        this.registry.removeJoint(j);
        throw new PhysicsError(
          'JOINT_TOO_LONG',
          `addJoint: the joint makes bodies linked by joints reach ${reach.toFixed(3)} m (the sum of their joints' spans), over the ${this.jointReach().toFixed(3)} m the shards' halo allows (jointReach: the halo less 1.125 contact distances)`,
        );
      }
    }
    for (const h of ends) this.stage(h); // FLAG_JOINTED, and awake
    this.syncJoints();
    return j;
  }

  /**
   * The longest reach of bodies linked by joints (m) a sharded world takes: what the 'pass'
   * halo holds beyond an island for its bodies' contact partners, halo - 1.125 d with d = 2
   * maxBodyRadius + margin one contact distance (the eighth covers rounding, as shard.ts's
   * exchange band) and the default halo 2 d: 0.875 d, 1.79 m at maxBodyRadius 1 (0 with
   * exchange 'tick', which refuses two-body joints). A world with jointCapacity exchanges the
   * state of every ghost in the halo each pass (its band is the halo), so a shard solves an
   * island whose bodies are within this reach of its own with the state the owners have. See addJoint.
   */
  jointReach(): number {
    return this.exchangeMode === 'pass' ? Math.max(0, this.halo - 1.125 * this.hop) : 0;
  }

  /** Slots of the bodies some live joint holds. */
  private jointedSlots(): Set<number> {
    const recs = this.registry.jointRecords(),
      words = JOINT_BYTES >> 3,
      out = new Set<number>();
    for (let e = 0; e * words < recs.length; e++) {
      if (recs[e * words + JOINT.KIND] === 0n) continue;
      out.add(Number(recs[e * words + JOINT.A]));
      if (recs[e * words + JOINT.B] >= 0n) out.add(Number(recs[e * words + JOINT.B]));
    }
    return out;
  }

  /** The reach of joint j's island: the sum of the spans of the two-body joints linked to it (m). */
  private islandReach(j: JointHandle): number {
    const recs = this.registry.jointRecords(),
      words = JOINT_BYTES >> 3,
      n = recs.length / words;
    const parent = new Map<bigint, bigint>();
    const find = (x: bigint): bigint => {
      let r = x;
      while (parent.has(r) && parent.get(r) !== r) r = parent.get(r) as bigint;
      return r;
    };
    const span = (e: number): number => {
      const w = (k: number): bigint => recs[e * words + k];
      // integer lengths of the raw arms (isqrt, not Math.hypot, which each engine approximates
      // its own way): a refusal (JOINT_TOO_LONG) must come out the same on every machine
      const len = (k: number): bigint => isqrt(w(k) * w(k) + w(k + 1) * w(k + 1) + w(k + 2) * w(k + 2));
      const raw = len(JOINT.AAX) + len(JOINT.ABX) + (recs[e * words + JOINT.KIND] === BigInt(JOINT_KIND.DISTANCE) ? w(JOINT.MAX_LEN) : 0n);
      return Number(raw) / 65536;
    };
    const links: Array<[bigint, bigint, number]> = [];
    for (let e = 0; e < n; e++) {
      if (recs[e * words + JOINT.KIND] === 0n || recs[e * words + JOINT.B] < 0n) continue;
      const a = recs[e * words + JOINT.A],
        b = recs[e * words + JOINT.B];
      links.push([a, b, span(e)]);
      const ra = find(a),
        rb = find(b);
      parent.set(ra, ra);
      parent.set(rb, ra);
    }
    const root = find(recs[Number(j & 0xffffffffn) * words + JOINT.A]);
    return links.filter(([a]) => find(a) === root).reduce((t, [, , s]) => t + s, 0);
  }

  /** Removes a joint (see PhysicsWorld.removeJoint); its body wakes. Throws PhysicsError STALE_HANDLE, and JOINTS_UNSHARDED with shard processes. */
  removeJoint(j: JointHandle): void {
    if (this.runner)
      throw new PhysicsError(
        'JOINTS_UNSHARDED',
        'removeJoint: shard processes (a cluster world) keep the joints they started with (remove it in a world run in one process)',
      );
    const { a, b } = this.registry.jointBodies(j);
    const ends = b === null ? [a] : [a, b];
    for (const h of ends) this.registry.importBody(new Uint8Array(this.core.memory.buffer, this.live(h).rec, BODY_RECORD_BYTES));
    this.registry.removeJoint(j);
    for (const h of ends) this.stage(h);
    this.syncJoints();
  }

  /** A hinge's angle in the published state, radians (see PhysicsWorld.jointAngle). */
  jointAngle(j: JointHandle): number {
    this.refreshJointBody(j);
    return this.registry.jointAngle(j);
  }

  /** A distance joint's length in the published state, metres (see PhysicsWorld.jointLength). */
  jointLength(j: JointHandle): number {
    this.refreshJointBody(j);
    return this.registry.jointLength(j);
  }

  /**
   * Grows by one whenever the joint records may have changed (a joint added or removed, a
   * command applied in a world with joints, which may have despawned a jointed body, a restore):
   * a reader of jointRecords() re-reads them only then.
   */
  jointsVersion = 0;

  /**
   * A copy of the world's joint records (PhysicsWorld.jointRecords: JOINT_BYTES / 8 i64 words
   * per entry, world-layout.ts JOINT; KIND 0 = a free entry), body ends as the registry's
   * handles (slot, generation). Empty in a world without jointCapacity.
   */
  jointRecords(): BigInt64Array {
    return this.registry.jointRecords();
  }

  /** The kind of a live joint, or null for a stale handle. */
  jointKind(j: JointHandle): JointKind | null {
    return this.registry.jointKind(j);
  }

  /** Brings the registry's copy of a joint's body up to the published state (for a measure). */
  private refreshJointBody(j: JointHandle): void {
    const { a, b } = this.registry.jointBodies(j);
    for (const h of b === null ? [a] : [a, b]) this.registry.importBody(new Uint8Array(this.core.memory.buffer, this.live(h).rec, BODY_RECORD_BYTES));
  }

  /**
   * Copies the registry's joint records into every shard world (after a joint is added or
   * removed, a body with joints despawned, a restore), each body end written as (slot << 32) |
   * slot: the shard's sync puts its local slot in the low half (jointsLocalize).
   */
  private syncJoints(): void {
    const cap = this.registry.header(HEADER.JOINT_CAPACITY);
    if (cap === 0n) return;
    this.jointsVersion++;
    const recs = this.registry.jointRecords();
    const words = JOINT_BYTES >> 3,
      n = recs.length / words;
    for (let e = 0; e < n; e++) {
      if (recs[e * words + JOINT.KIND] === 0n) continue;
      for (const w of [JOINT.A, JOINT.B]) {
        const s = recs[e * words + w];
        if (s >= 0n) recs[e * words + w] = (s << 32n) | s;
      }
    }
    for (const base of this.plan.worlds) {
      const h = this.i64(base, HEADER_SLOTS);
      this.i64(base + Number(h[HEADER.OFFSETS_AT + FIELD_INDEX.JOINTS]), recs.length).set(recs);
      h[HEADER.JOINT_HIGH_WATER] = BigInt(n);
    }
  }

  /** Adds a dynamic rotating box (see PhysicsWorld.addDynamicBox). */
  addDynamicBox(o: Parameters<PhysicsWorld['addDynamicBox']>[0]): BodyHandle {
    return this.addMoving(this.registry.addDynamicBox(o));
  }
  /**
   * Stores a convex hull shape in the registry's geometry and every shard world's (see
   * PhysicsWorld.addHullShape; the world's config needs geometryWords). Throws as it does, and
   * HULLS_UNSHARDED with shard processes (a runner: they receive the geometry in the world's copy
   * when they start, ShardedWorld.save, and no new geometry while they run).
   */
  addHullShape(vertices: Parameters<PhysicsWorld['addHullShape']>[0]): HullShapeRef {
    if (this.runner) throw new PhysicsError('HULLS_UNSHARDED', 'addHullShape: shard processes (a cluster world) do not receive hull geometry yet');
    const ref = this.registry.addHullShape(vertices);
    this.syncGeometry();
    return ref;
  }
  /**
   * Adds a dynamic convex hull (see PhysicsWorld.addHull; its shape's block reaches every shard
   * world first). Throws as it does, and HULLS_UNSHARDED with shard processes unless `shape` names
   * a shape added before they started (new vertices would be new geometry).
   */
  addHull(o: Parameters<PhysicsWorld['addHull']>[0]): BodyHandle {
    if (this.runner && o.shape === undefined)
      throw new PhysicsError(
        'HULLS_UNSHARDED',
        'addHull: shard processes (a cluster world) do not receive new hull geometry while they run (give a shape added before)',
      );
    const h = this.registry.addHull(o);
    this.syncGeometry();
    return this.addMoving(h);
  }
  /**
   * Stores a compound shape in the registry's geometry and every shard world's (see
   * PhysicsWorld.addCompoundShape; the world's config needs geometryWords). Throws as it does,
   * and COMPOUNDS_UNSHARDED with shard processes (a runner: they receive the geometry in the
   * world's copy when they start, and no new geometry while they run).
   */
  addCompoundShape(children: Parameters<PhysicsWorld['addCompoundShape']>[0]): CompoundShapeRef {
    if (this.runner)
      throw new PhysicsError('COMPOUNDS_UNSHARDED', 'addCompoundShape: shard processes (a cluster world) do not receive new compound geometry while they run');
    const ref = this.registry.addCompoundShape(children);
    this.syncGeometry();
    return ref;
  }
  /**
   * Adds a dynamic compound body (see PhysicsWorld.addCompound; its shape's block reaches every
   * shard world first). Throws as it does, and COMPOUNDS_UNSHARDED with shard processes unless
   * `shape` names a shape added before they started (new children would be new geometry).
   */
  addCompound(o: Parameters<PhysicsWorld['addCompound']>[0]): BodyHandle {
    if (this.runner && o.shape === undefined)
      throw new PhysicsError(
        'COMPOUNDS_UNSHARDED',
        'addCompound: shard processes (a cluster world) do not receive new compound geometry while they run (give a shape added before)',
      );
    const h = this.registry.addCompound(o);
    this.syncGeometry();
    return this.addMoving(h);
  }
  /** Adds a dynamic capsule that rotates (see PhysicsWorld.addRotatingCapsule). */
  addRotatingCapsule(o: Parameters<PhysicsWorld['addRotatingCapsule']>[0]): BodyHandle {
    return this.addMoving(this.registry.addRotatingCapsule(o));
  }
  /** Adds an upright capsule (see PhysicsWorld.addCapsule). */
  addCapsule(o: BodyOptions & { radius: number; halfHeight: number }): BodyHandle {
    return this.addMoving(this.registry.addCapsule(o));
  }
  /** Adds a character controller (see PhysicsWorld.addCharacter). */
  addCharacter(o: CharacterOptions): BodyHandle {
    return this.addMoving(this.registry.addCharacter(o));
  }

  /**
   * Applies commands before the next tick, in PhysicsWorld.applyCommands' canonical order and
   * with its errors (stale handles are reported, the rest still apply). Commands on static
   * bodies are refused (BAD_KIND): statics are copied into every shard once. With shard
   * processes, a despawn of a body a joint holds is refused (JOINTS_UNSHARDED: see addJoint).
   */
  applyCommands(cmds: readonly Command[]): Array<{ command: Command; error: PhysicsError }> {
    const failed: Array<{ command: Command; error: PhysicsError }> = [];
    const ok: Command[] = [];
    const touched = new Set<BodyHandle>();
    let jointed: Set<number> | null = null;
    for (const c of cmds) {
      try {
        const b = this.live(c.body);
        if (b.owner === OWNER.STATIC) throw new PhysicsError('BAD_KIND', 'static bodies cannot be changed in a sharded world');
        if (c.kind === 'despawn' && this.runner && (jointed ??= this.jointedSlots()).has(slotOfHandle(c.body)))
          throw new PhysicsError('JOINTS_UNSHARDED', 'despawn: shard processes (a cluster world) keep the joints they started with, so a jointed body stays');
        if (!touched.has(c.body)) this.registry.importBody(new Uint8Array(this.core.memory.buffer, b.rec, BODY_RECORD_BYTES));
        touched.add(c.body);
        ok.push(c);
      } catch (e) {
        if (e instanceof PhysicsError) failed.push({ command: c, error: e });
        else throw e;
      }
    }
    const joints = this.registry.header(HEADER.JOINT_HIGH_WATER);
    failed.push(...this.registry.applyCommands(ok));
    if (joints > 0n) this.syncJoints(); // a despawned body's joints are gone
    for (const h of touched) {
      const slot = slotOfHandle(h);
      if (this.registry.isValid(h)) {
        this.stage(h);
        continue;
      }
      this.overlayOwner()[slot] = OWNER.NONE; // despawned
      this.stamp(slot);
    }
    return failed;
  }

  /** Test hook: shard `k`'s next tick traps inside WebAssembly after its ghost sync. */
  injectTrap(k: number): void {
    this.i64(this.plan.cfgs[k], SHARD_CFG_SLOTS)[SC.TRAP] = 1n;
  }

  /**
   * Test hook: the worker that runs shard `k` hangs (spins, never counting its shards done) at
   * its next tick, as a worker stuck in an endless loop would, until it is replaced. Throws
   * RangeError without worker threads (this thread would hang).
   */
  injectHang(k: number): void {
    if (!this.pool) throw new RangeError('injectHang needs worker threads');
    this.i64(this.plan.cfgs[k], SHARD_CFG_SLOTS)[SC.TRAP] = HANG_HOOK;
  }

  /**
   * Test hook: in the next tick, shard k's worker steps the shard and then spins `ms`
   * milliseconds before counting it done: a worker slow past the step timeout, not dead, which
   * finishes while the tick is being recovered. RangeError without worker threads.
   */
  injectSlow(k: number, ms: number): void {
    if (!this.pool) throw new RangeError('injectSlow needs worker threads');
    this.i64(this.plan.cfgs[k], SHARD_CFG_SLOTS)[SC.TRAP] = SLOW_HOOK + BigInt(Math.max(0, Math.round(ms)));
  }

  /**
   * Test hook: wakes the workers from their wait for the next step without releasing one, as
   * Atomics.wait sometimes does by itself under load; they must go back to waiting (counted in
   * strayWakes). RangeError without worker threads.
   */
  injectStrayWake(): void {
    if (!this.pool) throw new RangeError('injectStrayWake needs worker threads');
    this.pool.wakeWithoutStep();
  }

  /** Wakes of a worker from its wait for a step that found no step to run (0 without worker threads). */
  get strayWakes(): number {
    return this.pool?.strayWakes ?? 0;
  }

  private runner: ShardRunner | null = null;

  /**
   * Hands the shards' steps to a runner (shard processes: src/cluster/coordinator.ts) from the
   * next step on; null takes them back (this world's shard worlds are then rebuilt from the
   * board: their copies are stale). Needs exchange 'tick' and no worker threads (RangeError).
   * The runner's processes start from the world's copy (save()), which holds its hull geometry
   * and its joints; while they run, new geometry and joint changes are refused (HULLS_UNSHARDED,
   * COMPOUNDS_UNSHARDED, JOINTS_UNSHARDED: addHullShape, addCompoundShape, addJoint, removeJoint).
   */
  attachRunner(runner: ShardRunner | null): void {
    if (runner && (this.exchangeMode !== 'tick' || this.pool)) throw new RangeError("a shard runner needs exchange 'tick' and no worker threads");
    if (!runner && this.runner) {
      for (const c of this.plan.cfgs) {
        this.x.shardReset(c);
        this.i64(c, SHARD_CFG_SLOTS)[SC.FULL_PUBLISH] = 1n;
      }
      forgetBinding(this.core);
      this.unsynced = true;
    }
    this.runner = runner;
    this.still.reset();
  }

  /** @internal The memory and operations src/cluster/ works with (ClusterAccess). */
  clusterAccess(): ClusterAccess {
    return {
      memory: this.core.memory,
      plan: this.plan,
      config: this.config,
      exchange: this.exchangeMode,
      runShard: (k) => this.runShard(this.plan.cfgs[k]),
      resetShard: (k) => {
        this.x.shardReset(this.plan.cfgs[k]);
        this.i64(this.plan.cfgs[k], SHARD_CFG_SLOTS)[SC.FULL_PUBLISH] = 1n;
        forgetBinding(this.core);
      },
      putStatic: (slot, record) => this.putStaticRecord(slot, record),
    };
  }

  /** Advances every shard by one tick and publishes the new state (see the module comment). */
  step(): void {
    const t = this.tickNow,
      p = this.plan;
    const front = p.boards[t % 2],
      back = p.boards[(t + 1) % 2];
    const hw = BigInt(this.registry.header(HEADER.HIGH_WATER));
    const staged = this.staged;
    const despawned = openTick(this.core.memory, p, p.cfgs, t, hw, staged, this.despawnedLast);
    const bh = this.i64(back, BOARD_HEADER_SLOTS);
    const seq = this.i32(back, 1);
    const quiet = this.runner === null && this.quiet(staged.length),
      heldBefore = quiet ? heldCounts(this.mem) : null,
      skip = this.still.skips(quiet); // state t + 1 = state t (settled-skip.ts)
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        for (let k = 0; k < p.shards; k++) this.exchange.gather(k, t);
        const inline = this.pool !== null && this.runner === null && !skip && this.settled(staged.length);
        if (this.runner) this.runner.runTick(t, staged);
        else if (skip) reportSkipped(this.mem);
        else if (this.pool && !inline) this.pool.runAll(this.stepTimeoutMs);
        else if (this.exchangeMode === 'pass' && !inline && !this.quiet(staged.length)) this.runPhases();
        else for (const c of p.cfgs) this.runShard(c);
        for (let k = 0; k < p.shards; k++) this.exchange.scatter(k, t);
        if (!skip) this.still.ran(heldBefore !== null && attempt === 1 && cleanQuietTick(this.mem, heldBefore, front, back));
        this.unsynced = false;
        break;
      } catch (e) {
        const crash = e instanceof PhysicsError ? e.code === 'SHARD_FAILED' || e.code === 'SHARD_TIMEOUT' : e instanceof WebAssembly.RuntimeError;
        if (!crash || attempt > 3 || this.runner) throw e; // a runner recovers by itself
        // the failed attempt's workers are fenced off first (none still writes), then the last
        // committed tick is the front board: every shard forgets its moving bodies and the
        // tick runs again from there (stepping is deterministic: same bits)
        this.pool?.restart(Math.max(MIN_FENCE_MS, 2 * this.stepTimeoutMs));
        for (const c of p.cfgs) {
          this.x.shardReset(c);
          this.i64(c, SHARD_CFG_SLOTS)[SC.FULL_PUBLISH] = 1n; // the failed attempt may have torn records of the back board
        }
        forgetBinding(this.core);
        this.recoveries++;
        this.unsynced = true;
        this.still.reset();
        const code = e instanceof PhysicsError ? (e.code as 'SHARD_FAILED' | 'SHARD_TIMEOUT') : 'TRAP';
        this.onRecovery?.({ tick: t, attempt, code, message: (e as Error).message, recoveries: this.recoveries, ms: performance.now() - t0 });
      }
    }
    forgetBinding(this.core);
    let handoffs = 0,
      status = 0;
    for (const c of p.cfgs) {
      const cfg = this.i64(c, SHARD_CFG_SLOTS);
      handoffs += Number(cfg[SC.HANDOFFS]);
      status |= Number(cfg[SC.STATUS]);
      cfg[SC.FULL_PUBLISH] = 0n;
    }
    this.despawnedLast = despawned;
    this.staged = [];
    bh[BOARD.TICK] = BigInt(t + 1);
    bh[BOARD.LIVE_TICK] = -1n;
    if (this.checksums) this.sx.boardPublishLive(p.cfgs[0], back); // boardRecordsHash then reads the live bodies only
    bh[BOARD.CHECKSUM] = this.checksums ? this.x.boardRecordsHash(back) : 0n;
    Atomics.add(seq, 0, 1); // even: stable
    this.tickNow = t + 1;
    this.unchangedTick = this.still.unchanged ? t + 1 : -1;
    Atomics.store(this.ctl, CONTROL.PUBLISHED, t + 1);
    Atomics.notify(this.ctl, CONTROL.PUBLISHED);
    this.handoffs += handoffs;
    this.lastStatus = status;
    if (status !== 0) {
      const o = this.overflowTicks;
      if (status & SHARD_STATUS.WORLD_OVERFLOW) o.contacts++;
      if (status & SHARD_STATUS.TOUCH_OVERFLOW) o.touch++;
      if (status & SHARD_STATUS.EVENT_OVERFLOW) o.events++;
      if (status & SHARD_STATUS.SCRATCH_OVERFLOW) o.scratch++;
    }
    if (this.sensorSet) this.sensorSet.update(this.tickNow, this.sensorScan);
    if (status & SHARD_STATUS.IMPORT_FAILED) throw new PhysicsError('SHARD_FAILED', 'a body record did not fit a shard world');
  }

  // ---- sensors (src/physics/sensors.ts): read from the published board, so a body's shard never shows ----
  private sensorSet: SensorSet | null = null;
  /** Visits the record of every live moving body (owner a shard) of the published board, in slot order. */
  private readonly sensorScan: RecordScan = (visit) => {
    const b = this.board(this.tickNow);
    const owners = this.view().owners[this.tickNow % 2];
    const words = this.view().all32,
      base = Number(b[BOARD.RECORDS]) >> 2,
      per = BODY_RECORD_BYTES >> 2;
    for (let s = 0; s < Number(b[BOARD.HIGH_WATER]); s++) if (owners[s] >= 0) visit(words, base + s * per);
  };

  /**
   * Adds a sensor (trigger zone; PhysicsWorld.addSensor, src/physics/sensors.ts): a box or sphere
   * that pushes nothing and reports BEGIN / END overlap events of moving bodies in triggerEvents().
   * Tested on the published board after every step, so its events are the unsharded world's
   * whatever the partition. `quiet`: bodies inside now get no BEGIN (a restored world's zones).
   * Sensors are not part of save() or hash(). Throws PhysicsError BAD_SHAPE.
   */
  addSensor(o: SensorOptions, opts: { quiet?: boolean } = {}): SensorId {
    this.sensorSet ??= new SensorSet((at, box, c, e, r) => this.x.sensorOverlap(at, box ? 1 : 0, c[0], c[1], c[2], e[0], e[1], e[2], r) !== 0);
    return this.sensorSet.add(o, opts.quiet ? this.sensorScan : undefined);
  }
  /** Moves a sensor's centre (m; an attached sensor's offset from its body) from the next step on. Throws PhysicsError NOT_FOUND, BAD_SHAPE. */
  moveSensor(id: SensorId, center: Vec3): void {
    if (!this.sensorSet) throw new PhysicsError('NOT_FOUND', `no sensor ${id}`);
    this.sensorSet.move(id, center);
  }
  /** Removes a sensor; the bodies inside get their END with the next step's events. Throws PhysicsError NOT_FOUND. */
  removeSensor(id: SensorId): void {
    if (!this.sensorSet) throw new PhysicsError('NOT_FOUND', `no sensor ${id}`);
    this.sensorSet.remove(id);
  }
  /** The bodies inside a sensor after the last step, ascending by slot. Throws PhysicsError NOT_FOUND. */
  sensorContents(id: SensorId): BodyHandle[] {
    if (!this.sensorSet) throw new PhysicsError('NOT_FOUND', `no sensor ${id}`);
    return this.sensorSet.inside(id);
  }
  /** The name a sensor was added with ('' when none). Throws PhysicsError NOT_FOUND. */
  sensorName(id: SensorId): string {
    if (!this.sensorSet) throw new PhysicsError('NOT_FOUND', `no sensor ${id}`);
    return this.sensorSet.name(id);
  }
  /** Trigger events of the last step, in canonical order (sensor id, body slot, END before BEGIN). */
  triggerEvents(): TriggerEvent[] {
    return this.sensorSet ? this.sensorSet.events() : [];
  }

  /**
   * The published tick as bytes, for persistence: enough to continue bit for bit in a new
   * ShardedWorld of the same configuration and partition (ShardedWorld.restore). Layout
   * (little-endian): magic 'TSSW', version u32 (2), tick u32, shard count u32, high water u32,
   * handoffs f64, then u32-length-prefixed sections: registry world (PhysicsWorld.saveSparse:
   * only its non-zero pages; version 1 held the whole memory and is still read), body
   * records (highWater x BODY_RECORD_BYTES), owners (i32 x highWater), then per shard its touch
   * entries and its events, then what is staged for the next tick (bodies added and commands
   * applied since the last step: slot u32, owner i32, record). Shard worlds are not saved: like
   * crash recovery, they rebuild from the board.
   */
  save(): Uint8Array {
    const t = this.tickNow,
      p = this.plan;
    const b = this.board(t),
      hw = Number(b[BOARD.HIGH_WATER]);
    const mem = (at: number, n: number): Uint8Array => new Uint8Array(this.core.memory.buffer, at, n);
    const touchCounts = this.i64(Number(b[BOARD.TOUCH_COUNT]), p.shards),
      eventCounts = this.i64(Number(b[BOARD.EVENT_COUNT]), p.shards);
    const sections: Uint8Array[] = [this.registry.saveSparse(), mem(Number(b[BOARD.RECORDS]), hw * BODY_RECORD_BYTES), mem(Number(b[BOARD.OWNER]), hw * 4)];
    for (let k = 0; k < p.shards; k++) {
      sections.push(mem(Number(b[BOARD.TOUCH]) + k * p.touchCap * TOUCH_BYTES, Number(touchCounts[k]) * TOUCH_BYTES));
      sections.push(mem(Number(b[BOARD.EVENTS]) + k * p.eventCap * EVENT_BYTES, Number(eventCounts[k]) * EVENT_BYTES));
    }
    // staged for the next tick (bodies added or commands applied since the last step):
    // per entry slot u32, owner i32, then the record
    const owners = this.overlayOwner();
    const staged = [...this.staged].sort((a, b) => a - b);
    const overlay = new Uint8Array(staged.length * (8 + BODY_RECORD_BYTES));
    const ov = new DataView(overlay.buffer);
    staged.forEach((slot, i) => {
      const o = i * (8 + BODY_RECORD_BYTES);
      ov.setUint32(o, slot, true);
      ov.setInt32(o + 4, owners[slot], true);
      overlay.set(mem(this.overlayRecAt(slot), BODY_RECORD_BYTES), o + 8);
    });
    sections.push(overlay);
    const head = 28;
    const out = new Uint8Array(head + sections.reduce((n, x) => n + 4 + x.byteLength, 0));
    const dv = new DataView(out.buffer);
    out.set([0x54, 0x53, 0x53, 0x57], 0);
    dv.setUint32(4, 2, true);
    dv.setUint32(8, t, true);
    dv.setUint32(12, p.shards, true);
    dv.setUint32(16, hw, true);
    dv.setFloat64(20, this.handoffs, true);
    let at = head;
    for (const x of sections) {
      dv.setUint32(at, x.byteLength, true);
      out.set(x, at + 4);
      at += 4 + x.byteLength;
    }
    return out;
  }

  /**
   * A sharded world continuing from save() bytes: same configuration and partition (the shard
   * count must match), any worker count. Throws PhysicsError BAD_HEADER for bytes that are not a
   * save of this layout.
   */
  static restore(config: WorldConfig, partition: Partition, bytes: Uint8Array, opts: ShardOptions = {}): ShardedWorld {
    const bad = (m: string): PhysicsError => new PhysicsError('BAD_HEADER', `not a sharded world save: ${m}`);
    if (bytes.byteLength < 28 || bytes[0] !== 0x54 || bytes[1] !== 0x53 || bytes[2] !== 0x53 || bytes[3] !== 0x57) throw bad('magic');
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = dv.getUint32(4, true);
    if (version !== 1 && version !== 2) throw bad(`version ${version}`);
    const tick = dv.getUint32(8, true),
      shards = dv.getUint32(12, true),
      hw = dv.getUint32(16, true);
    const w = new ShardedWorld(config, partition, undefined, opts); // workers idle until the first step
    if (shards !== w.plan.shards) throw bad(`${shards} shards saved, the partition has ${w.plan.shards}`);
    if (hw > w.plan.capacity) throw bad('more slots than the capacity');
    let at = 28;
    const next = (): Uint8Array => {
      if (at + 4 > bytes.byteLength) throw bad('truncated');
      const n = dv.getUint32(at, true);
      if (at + 4 + n > bytes.byteLength) throw bad('truncated');
      const x = bytes.subarray(at + 4, at + 4 + n);
      at += 4 + n;
      return x;
    };
    const reg = next();
    let image: Uint8Array;
    try {
      image = version === 1 ? reg.slice() : fromSparseImage(reg); // fresh buffers: aligned for BigInt64Array views
    } catch (e) {
      throw bad((e as Error).message);
    }
    w.registry = PhysicsWorld.restore(image, { variant: 'unshared' });
    w.syncJoints();
    w.syncGeometry(); // hull blocks (statics' blocks come with them below, but a world may hold only hulls)
    const records = next(),
      owners = next();
    if (records.byteLength !== hw * BODY_RECORD_BYTES || owners.byteLength !== hw * 4) throw bad('record sections');
    const own = new Int32Array(owners.slice().buffer);
    // statics go into both boards and every shard world, as when they were added
    for (let s = 0; s < hw; s++) {
      if (own[s] !== OWNER.STATIC) continue;
      const gen = new DataView(records.buffer, records.byteOffset + s * BODY_RECORD_BYTES, 8).getUint32(0, true);
      w.addStatic((BigInt(gen) << 32n) | BigInt(s));
    }
    const b = w.board(tick);
    new Uint8Array(w.core.memory.buffer, Number(b[BOARD.RECORDS]), records.byteLength).set(records);
    new Uint8Array(w.core.memory.buffer, Number(b[BOARD.OWNER]), owners.byteLength).set(owners);
    b[BOARD.HIGH_WATER] = BigInt(hw);
    b[BOARD.TICK] = BigInt(tick);
    // the records are the state of `tick` (the other board holds nothing): no shard may rely on
    // an older copy of them
    w.i64(Number(b[BOARD.VERSION]), w.plan.capacity).fill(BigInt(tick));
    const touchCounts = w.i64(Number(b[BOARD.TOUCH_COUNT]), shards),
      eventCounts = w.i64(Number(b[BOARD.EVENT_COUNT]), shards);
    for (let k = 0; k < shards; k++) {
      const touch = next(),
        events = next();
      if (touch.byteLength > w.plan.touchCap * TOUCH_BYTES || events.byteLength > w.plan.eventCap * EVENT_BYTES) throw bad('list larger than its capacity');
      new Uint8Array(w.core.memory.buffer, Number(b[BOARD.TOUCH]) + k * w.plan.touchCap * TOUCH_BYTES, touch.byteLength).set(touch);
      new Uint8Array(w.core.memory.buffer, Number(b[BOARD.EVENTS]) + k * w.plan.eventCap * EVENT_BYTES, events.byteLength).set(events);
      touchCounts[k] = BigInt(touch.byteLength / TOUCH_BYTES);
      eventCounts[k] = BigInt(events.byteLength / EVENT_BYTES);
    }
    w.rebuildLists(tick);
    const overlay = next();
    const entry = 8 + BODY_RECORD_BYTES;
    if (overlay.byteLength % entry !== 0) throw bad('staged section');
    const ov = new DataView(overlay.buffer, overlay.byteOffset, overlay.byteLength);
    for (let o = 0; o < overlay.byteLength; o += entry) {
      const slot = ov.getUint32(o, true);
      if (slot >= w.plan.capacity) throw bad('staged slot beyond the capacity');
      new Uint8Array(w.core.memory.buffer, w.overlayRecAt(slot), BODY_RECORD_BYTES).set(overlay.subarray(o + 8, o + entry));
      w.overlayOwner()[slot] = ov.getInt32(o + 4, true);
      w.tickNow = tick;
      w.stamp(slot);
    }
    if (at !== bytes.byteLength) throw bad('trailing bytes');
    w.tickNow = tick;
    w.handoffs = dv.getFloat64(20, true);
    Atomics.store(w.ctl, CONTROL.PUBLISHED, tick);
    return w;
  }

  /** SHARD_STATUS bits of the last tick (overflows drop touch entries or events). */
  lastStatus = 0;

  /**
   * Restore: the per-shard lists of a board that was read from a save (which holds records,
   * owners and touch lists only). Each moving body goes to its owner's list, in the border
   * bucket (every neighbour then checks its distance: a superset, so the same sync); its
   * publisher is the shard whose touch list reports on it (else its owner); entries on bodies
   * owned by another shard than the list's go to that shard's handed bucket; each touch list
   * gets its index by subject.
   */
  private rebuildLists(tick: number): void {
    const K = this.plan.shards,
      cap = this.plan.capacity,
      b = this.board(tick);
    const hw = Number(b[BOARD.HIGH_WATER]);
    const owner = this.i32(Number(b[BOARD.OWNER]), cap),
      publisher = this.i32(Number(b[BOARD.PUBLISHER]), cap);
    const starts = this.i32(Number(b[BOARD.LIST_START]), K * (2 * K + 1));
    starts.fill(0);
    const perShard: number[][] = Array.from({ length: K }, () => []);
    for (let s = 0; s < hw; s++) {
      if (owner[s] < 0) continue;
      perShard[owner[s]].push(s);
      publisher[s] = owner[s];
    }
    perShard.forEach((slots, j) => {
      this.i32(Number(b[BOARD.LISTS]) + j * cap * 4, cap).set(slots);
      for (let q = 2 * j + 2; q <= 2 * K; q++) starts[j * (2 * K + 1) + q] = slots.length; // bucket 2j + 1 (border) = [0, n)
    });
    const handedStart = this.i32(Number(b[BOARD.HANDED_START]), K * (K + 1));
    const bySubject = this.i32(Number(b[BOARD.BY_SUBJECT]), K * this.plan.touchCap * 2);
    const counts = this.i64(Number(b[BOARD.TOUCH_COUNT]), K);
    for (let j = 0; j < K; j++) {
      const n = Number(counts[j]);
      const keys = this.i32(Number(b[BOARD.TOUCH]) + j * this.plan.touchCap * TOUCH_BYTES, (n * TOUCH_BYTES) / 4);
      const byOwner: number[][] = Array.from({ length: K }, () => []);
      const subjects: number[] = [];
      for (let x = 0; x < n; x++) {
        const lo = keys[x * 4],
          hi = keys[x * 4 + 1]; // key = A << 32 | B, little-endian
        const subject = owner[hi] === OWNER.STATIC ? lo : hi;
        subjects.push(subject);
        publisher[subject] = j;
        if (owner[subject] >= 0 && owner[subject] !== j) byOwner[owner[subject]].push(x);
      }
      const order = subjects.map((_, x) => x).sort((x, y) => subjects[x] - subjects[y] || x - y);
      order.forEach((x, i) => {
        bySubject[(j * this.plan.touchCap + i) * 2] = subjects[x];
        bySubject[(j * this.plan.touchCap + i) * 2 + 1] = x;
      });
      const flat = byOwner.flat();
      this.i32(Number(b[BOARD.HANDED]) + j * this.plan.touchCap * 4, this.plan.touchCap).set(flat);
      let at = 0;
      for (let m = 0; m <= K; m++) {
        handedStart[j * (K + 1) + m] = at;
        if (m < K) at += byOwner[m].length;
      }
    }
  }

  /**
   * Whether this tick's shards run on this thread although there are workers: nothing is staged
   * (`staged` bodies on the overlay: no command, spawn or despawn), no shard world has an awake
   * body after the last tick and no test hook is armed. Such a tick wakes nothing, so its shard
   * steps only walk their held bodies, less work than waking the workers and waiting at the
   * barrier (an idle host's cost, issue 16). Same bits: runShard runs the same shardTick on the
   * same shared memory, and a core instance keeps no state from one call to the next (every
   * module global in assembly/ is set before it is read within a call, or memoises a pure
   * function: the workers=0 path already runs every shard on one instance in turn).
   */
  private settled(staged: number): boolean {
    if (!this.inlineSettled || !this.quiet(staged)) return false;
    this.settledInline++;
    return true;
  }

  /**
   * Nothing staged, no awake body in any shard world after the last tick (which held the
   * board's bodies: not before the first full tick after creation, restore or recovery), no
   * test hook armed:
   * the tick has no participant anywhere, so with exchange 'pass' there is nothing to exchange
   * and one shardTick per shard computes exactly what the phases would (shard.ts), at one call
   * per shard instead of 2 S + 2.
   */
  private quiet(staged: number): boolean {
    if (staged > 0 || this.unsynced) return false;
    for (let k = 0; k < this.plan.shards; k++) {
      if (this.i64(this.plan.worlds[k], HEADER.AWAKE_COUNT + 1)[HEADER.AWAKE_COUNT] !== 0n) return false;
      if (this.i64(this.plan.cfgs[k], SHARD_CFG_SLOTS)[SC.TRAP] !== 0n) return false;
    }
    return true;
  }

  /** One tick of every shard on this thread, phase by phase (exchange 'pass': assembly/physics/shard.ts). */
  private runPhases(): void {
    const cfgs = this.plan.cfgs,
      x = this.x;
    const ns = cfgs.map(() => 0);
    for (let q = 0; q < this.phases; q++) {
      cfgs.forEach((c, k) => {
        const t0 = performance.now();
        const status = x.shardPhase(c, q);
        ns[k] += performance.now() - t0;
        if (status !== 0) throw new PhysicsError('BAD_HEADER', 'shard world header rejected by the core');
      });
    }
    cfgs.forEach((c, k) => {
      this.i64(c, SHARD_CFG_SLOTS)[SC.STEP_NS] = BigInt(Math.round(ns[k] * 1e6));
    });
  }

  private runShard(cfg: number): void {
    const t0 = performance.now();
    const status = this.x.shardTick(cfg);
    this.i64(cfg, SHARD_CFG_SLOTS)[SC.STEP_NS] = BigInt(Math.round((performance.now() - t0) * 1e6));
    if (status !== 0) throw new PhysicsError('BAD_HEADER', 'shard world header rejected by the core');
  }

  /** Stops the worker threads, if any. */
  async close(): Promise<void> {
    if (this.pool) await this.pool.close();
  }

  /** The world hash of the published tick: equal to PhysicsWorld.hash() of the unsharded world in the same state. */
  hash(): bigint {
    let h = BigInt.asUintN(64, this.x.boardHash(this.plan.cfgs[0], this.plan.boards[this.tickNow % 2]));
    forgetBinding(this.core);
    // static geometry, chained as the unsharded world's worldHash does (assembly/physics/step.ts):
    // its digest (8 bytes, little-endian), computed once per geometry size
    const used = Number(this.registry.header(HEADER.GEOMETRY_USED));
    if (used > 0) {
      if (this.geometryDigest?.words !== used) this.geometryDigest = { words: used, digest: this.registry.geometryDigest() };
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, this.geometryDigest.digest, true);
      h = xxh64(b, h);
    }
    // joints, chained as worldHash does: the registry's records (the same bytes as the unsharded world's)
    if (this.registry.header(HEADER.JOINT_HIGH_WATER) > 0n) {
      const r = this.registry.jointRecords();
      h = xxh64(new Uint8Array(r.buffer, r.byteOffset, r.byteLength), h);
    }
    return h;
  }

  /**
   * Per shard, in the last tick: bodies it had authority over, ghosts it held, the wall
   * time of its step in ms (on its worker: the shard's own work, without waiting at the
   * barrier), and work counters (no timing: the same on any machine): list entries its sync
   * visited (bodies it held, the overlay, the neighbours' published lists, the candidates
   * walked), touch entries of the previous tick its event step read, body records its sync
   * read into its world (`imports`) and records it published (`published`), and its world's
   * own step figures as PhysicsWorld.activity() gives them (`awake` bodies on its awake list
   * now, `participants` and `work` of the step, `contacts` it built), and `slots`, the high
   * water of its world's dense numbering: the most bodies (statics included) it has held at
   * once. All follow its own and its neighbours' bodies, not the world's slot count. With
   * exchange 'pass', of its last tick run in phases: `passBorder` bodies whose solver state it
   * published and `passGhosts` ghosts whose state it copied, per pass (shard.ts shardBegin).
   * After a settled tick whose shards were skipped (settledSkipped) the step time and work
   * counters are 0 and the world figures are those of the last step that ran.
   */
  counts(): Array<{
    owned: number;
    ghosts: number;
    stepMs: number;
    syncVisits: number;
    eventVisits: number;
    imports: number;
    published: number;
    awake: number;
    participants: number;
    work: number;
    contacts: number;
    slots: number;
    passBorder: number;
    passGhosts: number;
  }> {
    return this.plan.cfgs.map((c, k) => {
      const cfg = this.i64(c, SHARD_CFG_SLOTS);
      const h = this.i64(this.plan.worlds[k], HEADER_SLOTS);
      return {
        owned: Number(cfg[SC.OWNED_COUNT]),
        ghosts: Number(cfg[SC.GHOST_COUNT]),
        stepMs: Number(cfg[SC.STEP_NS]) / 1e6,
        syncVisits: Number(cfg[SC.SYNC_VISITS]),
        eventVisits: Number(cfg[SC.EVENT_VISITS]),
        imports: Number(cfg[SC.IMPORTS]),
        published: Number(cfg[SC.PUBLISHED]),
        awake: Number(h[HEADER.AWAKE_COUNT]),
        participants: Number(h[HEADER.PART_COUNT]),
        work: Number(h[HEADER.WORK]),
        contacts: Number(h[HEADER.CONTACT_COUNT]),
        slots: Number(h[HEADER.HIGH_WATER]),
        passBorder: Number(cfg[SC.PASS_BORDER]),
        passGhosts: Number(cfg[SC.PASS_GHOSTS]),
      };
    });
  }

  /** Per shard, the wall time of its last step in ms (counts()[k].stepMs, without the other figures: the host reads it every tick). */
  stepMs(): number[] {
    return this.plan.cfgs.map((c) => Number(this.i64(c, SHARD_CFG_SLOTS)[SC.STEP_NS]) / 1e6);
  }

  /** Shard with authority over a body (after any commands of the next tick). Throws PhysicsError STALE_HANDLE. */
  authorityOf(h: BodyHandle): number {
    const b = this.live(h);
    if (b.owner < 0) throw new PhysicsError('STALE_HANDLE', 'not a moving body');
    return b.owner;
  }

  /** Position of a body (metres). */
  position(h: BodyHandle): [number, number, number] {
    const v = this.i64(this.live(h).rec, BODY_RECORD_BYTES / 8);
    return [fromRaw(v[4]), fromRaw(v[5]), fromRaw(v[6])];
  }

  /** Position of a body, raw Q47.16 (what integer decisions compare: src/physics/integer.ts). */
  positionRaw(h: BodyHandle): [bigint, bigint, bigint] {
    const v = this.i64(this.live(h).rec, BODY_RECORD_BYTES / 8);
    return [v[4], v[5], v[6]];
  }

  /** Velocity of a body (m/s). */
  velocity(h: BodyHandle): [number, number, number] {
    const v = this.i64(this.live(h).rec, BODY_RECORD_BYTES / 8);
    return [fromRaw(v[7]), fromRaw(v[8]), fromRaw(v[9])];
  }

  /** Orientation of a body, a unit quaternion [x, y, z, w] (body record bytes 104..135, assembly/physics/transfer.ts). */
  orientation(h: BodyHandle): [number, number, number, number] {
    const v = this.i64(this.live(h).rec, BODY_RECORD_BYTES / 8);
    return [fromRaw(v[13]), fromRaw(v[14]), fromRaw(v[15]), fromRaw(v[16])];
  }

  /** Every live body's handle in slot order (statics included). */
  handles(): BodyHandle[] {
    const b = this.board(this.tickNow);
    const owners = this.i32(Number(b[BOARD.OWNER]), this.plan.capacity);
    const rec = this.i32(Number(b[BOARD.RECORDS]), (this.plan.capacity * BODY_RECORD_BYTES) / 4);
    const out: BodyHandle[] = [];
    for (let s = 0; s < Number(b[BOARD.HIGH_WATER]); s++) {
      if (owners[s] !== OWNER.NONE) out.push((BigInt(rec[(s * BODY_RECORD_BYTES) / 4]) << 32n) | BigInt(s));
    }
    return out;
  }

  /**
   * A copy of one body's raw record (BODY_RECORD_BYTES, the layout of PhysicsWorld.exportBody:
   * slot, generation and every simulated field, raw Q47.16) in the published state of the current
   * tick (the board the shards wrote; commands staged for the next tick are not in it). A client
   * that imports it into a PhysicsWorld of the same configuration and statics steps the body as
   * the shards do (client prediction, src/client/predict.ts). Throws PhysicsError STALE_HANDLE.
   */
  bodyRecord(h: BodyHandle): Uint8Array {
    const slot = slotOfHandle(h);
    if (h < 0n || slot >= this.plan.capacity) throw new PhysicsError('STALE_HANDLE', 'not a body handle');
    const b = this.board(this.tickNow);
    const at = Number(b[BOARD.RECORDS]) + slot * BODY_RECORD_BYTES;
    const owners = this.i32(Number(b[BOARD.OWNER]), this.plan.capacity);
    if (slot >= Number(b[BOARD.HIGH_WATER]) || owners[slot] === OWNER.NONE || BigInt(this.view().all32[at >> 2]) !== h >> 32n)
      throw new PhysicsError('STALE_HANDLE', 'stale body handle');
    return new Uint8Array(this.core.memory.buffer, at, BODY_RECORD_BYTES).slice();
  }

  /** Body slots of the world (statics included): the rows a BodyTable needs at most. */
  get capacity(): number {
    return this.plan.capacity;
  }

  /**
   * Every live body of the published tick, quantised (see body-table.ts), into `out`
   * (createBodyTable(world.capacity) holds any tick). Read on the coordinating thread between steps.
   */
  readBodies(out: BodyTable): BodyTable {
    const b = this.board(this.tickNow);
    return readBodyTable(this.core.memory, Number(b[BOARD.RECORDS]), Number(b[BOARD.OWNER]), Number(b[BOARD.HIGH_WATER]), this.tickNow, out);
  }

  /**
   * Contact events of the last tick, merged from every shard (each reports only the bodies it
   * has authority over), in canonical order: equal to bodyEvents(world.events()) of the
   * unsharded world.
   */
  events(): BodyEvent[] {
    const b = this.board(this.tickNow);
    const counts = this.i64(Number(b[BOARD.EVENT_COUNT]), this.plan.shards);
    const out: BodyEvent[] = [];
    for (let k = 0; k < this.plan.shards; k++) {
      const at = Number(b[BOARD.EVENTS]) + k * this.plan.eventCap * EVENT_BYTES;
      for (const e of readEvents(this.core.memory, at, Number(counts[k]))) out.push({ kind: e.kind, body: e.a, other: e.b });
    }
    return sortBodyEvents(out);
  }
}
