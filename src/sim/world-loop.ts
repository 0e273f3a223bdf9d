/**
 * One tick of the world stream, without networking: close the stream's tick, apply its events
 * to the main sim (physics commands -> shards -> step), publish the derived events into the
 * next tick, and index the new state for interest. The host (src/net/) calls `step()` on its
 * clock and fans the result out; tests and replays call it directly.
 *
 *   stream.advance() -> tick t's events -> MainSim.apply -> state t+1 -> body table -> interest
 *                                               \-> '_h' events -> stream (tick t+1)
 *
 * Every `snapshotEvery` ticks the loop records a stream snapshot for catch-up: the game state
 * a client needs to resume, as JSON (snapshotPayload): the avatars of connected public ids,
 * who they are (the '_id' bodies of every present player) and the temporary admin ('_ta'), so
 * a client that catches up from the snapshot knows what the events before it said.
 */
import type { BodyTable } from '../physics/body-table';
import { BodyTableSync } from '../physics/body-table-sync';
import { DEFAULT_SUBSTEPS } from '../physics/world';
import type { StreamEvent } from '../protocol/messages';
import { InterestPublisher, type InterestOptions } from './interest';
import { jointWireRows } from './joint-rows';
import { MainSim, handleText, type Refusal, type TickResult, type WorldSetup } from './main-sim';
import { EventStream, type StreamOptions } from './stream';
import type { ScriptSourceStore, WorldLogStore } from '../persist/store';
import type { SnapshotSink } from '../persist/snapshot-writer';
import { decodeWorldSnapshot, encodeWorldSnapshot, encodeWorldSnapshotParts } from './world-snapshot';

/** What one step produced. */
export interface StepResult {
  /** The closed tick and its events in canonical order. */
  tick: number;
  events: readonly StreamEvent[];
  refused: Refusal[];
  /** Avatars that left this tick and where (see TickResult.left). */
  left: TickResult['left'];
  /** The social layer's outputs of the tick (TickResult.social). */
  social: TickResult['social'];
  /** Main sim state hash after the tick (state tick + 1). */
  hash: bigint;
  /** Wall time of the step, ms. */
  ms: number;
  /**
   * Where the step's time went, ms (metrics: tessera_tick_phase_seconds): `apply` the tick's events
   * and the physics step on every shard; `persist` the state hash, the log append and a durable
   * snapshot when due; `index` the interest index of the new state and the catch-up snapshot when
   * due. The rest of `ms` is the stream's advance.
   */
  phaseMs: { apply: number; persist: number; index: number };
}

/** Options of a world loop. */
export interface WorldLoopOptions {
  interest?: InterestOptions;
  /** Ticks between catch-up snapshots. Default 100 (5 s at 20 Hz). */
  snapshotEvery?: number;
  /** Closed ticks of events kept in memory (older ones are covered by a snapshot). Default: all. */
  retainTicks?: number;
  /**
   * Persistence: every closed tick (events + hash) is written to `store` before step() returns
   * (so before the host sends it), and a world snapshot every `snapshotEvery` ticks (default 200)
   * and at tick 0. With `sink` (a SnapshotWriter), snapshots are handed to it and written off
   * the tick thread; without, they are written here, in the tick. `onSnapshot` runs after each
   * snapshot is taken (e.g. ArtifactService.sync).
   */
  persist?: { store: WorldLogStore; snapshotEvery?: number; now?: () => number; sink?: SnapshotSink; onSnapshot?: (loop: WorldLoop) => void };
}

/**
 * Timings of the last persistence writes on the tick thread, ms: the log append, and the part of
 * the last snapshot that ran in the tick (all of it without a sink; the save and hand-over with one).
 */
export interface PersistTimings {
  appendMs: number;
  snapshotMs: number;
  snapshotBytes: number;
}

/** The world stream's tick: stream + main sim + interest. */
export class WorldLoop {
  readonly sim: MainSim;
  readonly interest: InterestPublisher;
  /** The current state's bodies, quantised (kept by `bodies`). */
  readonly table: BodyTable;
  /** Slot -> row of the current body table (-1 when the slot is free). */
  readonly rowOfSlot: Int32Array;
  /** Keeps `table` current, re-reading only the bodies that changed in a step (its counts are work counters). */
  readonly bodies: BodyTableSync;
  private readonly snapshotEvery: number;
  private readonly retainTicks: number;

  /** Persistence timings of the last step (and the last snapshot). */
  readonly persistTimings: PersistTimings = { appendMs: 0, snapshotMs: 0, snapshotBytes: 0 };
  /** Periodic snapshots skipped because the sink was behind. */
  snapshotsSkipped = 0;

  /**
   * A world loop over a fresh stream and a new world from `setup`, or over a restored pair
   * (`WorldLoop.restore`, which passes the MainSim). Throws RangeError when a fresh world is given
   * a stream or world that already ran.
   */
  constructor(
    readonly stream: EventStream,
    setup: WorldSetup | MainSim,
    private readonly opts: WorldLoopOptions = {},
  ) {
    const restored = setup instanceof MainSim;
    this.sim = restored ? setup : new MainSim(setup);
    this.interest = new InterestPublisher(opts.interest);
    this.bodies = new BodyTableSync(this.sim.world.source, (t) => this.sim.world.unchangedAt(t));
    this.table = this.bodies.table;
    this.rowOfSlot = this.bodies.rowOfSlot;
    this.snapshotEvery = opts.snapshotEvery ?? 100;
    this.retainTicks = opts.retainTicks ?? Infinity;
    if (!restored && (stream.tick !== 0 || this.sim.tick !== 0)) throw new RangeError('a world loop starts with a fresh stream and world');
    if (this.sim.tick !== stream.tick) throw new RangeError(`the world is at tick ${this.sim.tick}, the stream at ${stream.tick}`);
    this.index();
    if (!restored && opts.persist) this.snapshot();
  }

  /**
   * The world loop of stream `name` from its newest stored snapshot and the log after it:
   * every stored tick is applied again, and the hash after the last one must equal the stored
   * hash (else Error: the store and this build disagree). Returns null when the store holds no
   * snapshot of the stream.
   */
  static restore(name: string, setup: WorldSetup, store: WorldLogStore, opts: WorldLoopOptions = {}, streamOpts: StreamOptions = {}): WorldLoop | null {
    const snap = store.newestSnapshot(name);
    if (!snap) return null;
    const saved = decodeWorldSnapshot(snap.data);
    const sim = new MainSim(setup, { physics: saved.physics, game: saved.game });
    if (sim.hash().toString(16) !== snap.hash)
      throw new Error(`snapshot of tick ${snap.tick} restores to hash ${sim.hash().toString(16)}, stored ${snap.hash}`);
    const ticks = store.ticksFrom(name, saved.stream.tick);
    ticks.forEach((t, i) => {
      if (t.tick !== saved.stream.tick + i) throw new Error(`the log of ${name} misses tick ${saved.stream.tick + i}`);
    });
    const last = ticks.length ? ticks[ticks.length - 1].tick : saved.stream.tick - 1;
    const stream = EventStream.resume(
      name,
      saved.stream,
      ticks.flatMap((t) => t.events),
      { ...streamOpts, tick: last + 1, ids: ticks.flatMap((t) => t.ids) },
    );
    let derived: Array<{ type: string; body: string }> = [];
    for (const t of ticks) {
      derived = sim.apply(t.tick, t.events).derived;
      const h = sim.hash().toString(16);
      if (h !== t.hash) throw new Error(`replay of ${name} tick ${t.tick} gives hash ${h}, the log says ${t.hash}`);
    }
    return WorldLoop.resumed(stream, sim, derived, opts);
  }

  /**
   * The world loop of a world rebuilt up to the stream's open tick (a restore, or a replica
   * promoted to leader: src/replica/follower.ts): `derived` are the derived events the last
   * applied tick produced (they belong to the open tick), and since the stream's log does not
   * reach back to tick 0, a catch-up snapshot of the current state is recorded. Throws as the
   * constructor does.
   */
  static resumed(stream: EventStream, sim: MainSim, derived: ReadonlyArray<{ type: string; body: string }>, opts: WorldLoopOptions = {}): WorldLoop {
    for (const d of derived) stream.publishServer(d.type, d.body);
    const loop = new WorldLoop(stream, sim, opts);
    // the log before the snapshot is not in memory: catch-up for older ticks is by this snapshot
    const payload = loop.snapshotPayload();
    stream.addSnapshot(stream.tick, payload.length + 16, payload);
    return loop;
  }

  /**
   * Writes a snapshot now and resolves when it is durable (persistence on), e.g. at a graceful
   * stop. Rejects with the sink's write error.
   */
  async flush(): Promise<void> {
    this.snapshot(true);
    await this.opts.persist?.sink?.drain();
  }

  /** Periodic snapshots are skipped (and counted) while the sink still has two queued: it only lengthens a restore's replay. */
  private snapshot(force = false, simHash?: bigint): void {
    const p = this.opts.persist;
    if (!p) return;
    if (p.sink && !force && p.sink.queued >= 2) {
      this.snapshotsSkipped++;
      return;
    }
    const t0 = performance.now();
    // the log before the snapshot is written first: no hole behind a snapshot a crash keeps
    p.store.flush?.();
    const saved = this.sim.save();
    const snap = { stream: this.stream.exportState(), game: saved.game, physics: saved.physics };
    const hash = (simHash ?? this.sim.hash()).toString(16),
      at = (p.now ?? Date.now)();
    if (p.sink) {
      const parts = encodeWorldSnapshotParts(snap);
      this.persistTimings.snapshotBytes = parts[0].byteLength + parts[1].byteLength;
      p.sink.write({ stream: this.stream.name, tick: this.stream.tick, hash, atMs: at, parts });
    } else {
      const bytes = encodeWorldSnapshot(snap);
      p.store.saveSnapshot(this.stream.name, this.stream.tick, hash, bytes, at);
      this.persistTimings.snapshotBytes = bytes.byteLength;
    }
    this.persistTimings.snapshotMs = performance.now() - t0;
    p.onSnapshot?.(this);
  }

  /** The world's jointsVersion and joint records the interest publisher last got (-1: none yet). */
  private jointsSeen = -1;
  private jointRecords: BigInt64Array = new BigInt64Array(0);

  /** Hands the world's joints to interest when their records changed (ShardedWorld.jointsVersion, then the words). */
  private indexJoints(): void {
    const w = this.sim.world;
    if (w.jointsVersion === this.jointsSeen) return;
    this.jointsSeen = w.jointsVersion;
    const recs = w.jointRecords(),
      old = this.jointRecords;
    if (recs.length === old.length && recs.every((v, i) => v === old[i])) return;
    this.jointRecords = recs;
    const { rows, count } = jointWireRows(recs);
    this.interest.setJoints(rows, count);
  }

  /** Indexes the published state: the bodies that changed in the step, then interest for them (and the joints). */
  private index(): void {
    this.indexJoints();
    this.bodies.refresh(this.sim.world.tick);
    // the rate predicted deltas extrapolate with (docs/protocol.md 7.3): the step's, after an admin's change too
    this.interest.tickRate = this.sim.social.tickRateSetting ?? this.sim.setup.config.tickRate ?? 60;
    this.interest.substeps = this.sim.setup.config.substeps ?? DEFAULT_SUBSTEPS;
    this.interest.update(this.table, this.bodies.changed, this.bodies.changedCount);
  }

  /** Slot index of a client's avatar body, or -1 (none). */
  avatarSlot(publicId: number): number {
    const h = this.sim.avatars.get(publicId);
    return h === undefined ? -1 : Number(h & 0xffffffffn);
  }

  /** Position (m) of a client's avatar in the current state, or null. */
  avatarPosition(publicId: number): [number, number, number] | null {
    const h = this.sim.avatars.get(publicId);
    if (h === undefined) return null;
    const r = this.rowOfSlot[Number(h & 0xffffffffn)];
    if (r < 0) return null;
    return [this.table.px[r] / 1024, this.table.py[r] / 1024, this.table.pz[r] / 1024];
  }

  /** Closes the stream's tick, steps the world and indexes the new state. */
  step(): StepResult {
    const sink = this.opts.persist?.sink;
    sink?.tickRunning?.(true);
    try {
      return this.runStep();
    } finally {
      sink?.tickRunning?.(false);
    }
  }

  private runStep(): StepResult {
    const t0 = performance.now();
    const closed = this.stream.advance();
    const tApply = performance.now();
    const res = this.sim.apply(closed.tick, closed.events);
    for (const d of res.derived) this.stream.publishServer(d.type, d.body);
    const tPersist = performance.now();
    const hash = this.sim.hash();
    const p = this.opts.persist;
    if (p) {
      const t1 = performance.now();
      // private ids never appear in the log: keep those of clients that joined in this tick
      const joined = closed.events.filter((e) => e.type === '_c').map((e) => Number(e.body));
      const ids = joined.length ? this.stream.idTable().filter(([, pub]) => joined.includes(pub)) : [];
      // nobody connected (joins of the open tick included): nobody sees this tick, so an empty
      // one may wait for the next ones (WorldLogStore.appendTick `deferrable`)
      p.store.appendTick(this.stream.name, closed.tick, closed.events, hash.toString(16), ids, this.stream.connectedCount() === 0);
      // accepted script attaches: their source, version and author for fetching (migration 7)
      const scripts = res.scripts ?? [];
      const src = p.store as WorldLogStore & Partial<ScriptSourceStore>;
      if (scripts.length > 0 && src.recordScripts) {
        const atMs = (p.now ?? Date.now)();
        src.recordScripts(
          scripts.map((a) => ({
            stream: this.stream.name,
            object: handleText(a.body),
            tick: a.tick,
            version: a.version,
            source: a.source,
            byPrincipal: a.by,
            byAdmin: a.admin,
            atMs,
          })),
        );
      }
      this.persistTimings.appendMs = performance.now() - t1;
      if (this.stream.tick % (p.snapshotEvery ?? 200) === 0) this.snapshot(false, hash);
    }
    return this.closeStep(closed, res, hash, [t0, tApply, tPersist, performance.now()]);
  }

  /**
   * The end of a step: indexes the new state for interest and, every snapshotEvery ticks, adds the
   * catch-up snapshot (trimming the retained log); returns the step's result. `at`: performance.now()
   * at the step's start, before the sim's apply, after it, and after the persistence (StepResult.phaseMs).
   */
  private closeStep(closed: { tick: number; events: readonly StreamEvent[] }, res: TickResult, hash: bigint, at: [number, number, number, number]): StepResult {
    const [t0, tApply, tPersist, tIndex] = at;
    this.index();
    const next = this.stream.tick;
    if (next % this.snapshotEvery === 0) {
      const payload = this.snapshotPayload(hash);
      this.stream.addSnapshot(next, payload.length + 16, payload);
      if (Number.isFinite(this.retainTicks) && next > this.retainTicks) this.stream.trimBefore(next - this.retainTicks);
    }
    const end = performance.now();
    return {
      tick: closed.tick,
      events: closed.events,
      refused: res.refused,
      left: res.left,
      social: res.social,
      hash,
      ms: end - t0,
      phaseMs: { apply: tPersist - tApply, persist: tIndex - tPersist, index: end - tIndex },
    };
  }

  /**
   * An edge host's step (src/replica/edge.ts): closes the stream's open tick with the events the
   * leader logged for it (EventStream.mirrorTick: nothing of this process's own goes in), applies
   * them to the world and indexes the new state. The derived events of the tick are not published:
   * the leader logged them in the next tick. The caller compares the returned `hash` with the
   * logged one. Throws StreamError BAD_VALUE when `tick` is not the open tick.
   */
  applyLogged(tick: number, events: readonly StreamEvent[], ids: ReadonlyArray<[string, number]> = []): StepResult {
    const t0 = performance.now();
    const closed = this.stream.mirrorTick(tick, events, ids);
    const tApply = performance.now();
    const res = this.sim.apply(closed.tick, closed.events);
    const tPersist = performance.now();
    const hash = this.sim.hash();
    return this.closeStep(closed, res, hash, [t0, tApply, tPersist, performance.now()]);
  }

  /**
   * The catch-up snapshot of the current state (start of the stream's open tick), JSON (the body
   * of the '_s' event a catching-up client receives):
   *   { tick, hash: state hash (hex),
   *     avatars: [[publicId, "slot:generation"], ...]      ascending public id,
   *     ids: ["publicId,accountId,role", ...]               the '_id' body of every present player, ascending,
   *     ta: "accountId" }                                  the '_ta' body now ("0" = no temporary admin)
   * A client reads `ids` and `ta` exactly as the '_id' and '_ta' events they stand for; the
   * events after the snapshot update them. `simHash`: the current hash when the caller has it.
   */
  snapshotPayload(simHash?: bigint): string {
    const avatars = [...this.sim.avatars].sort((a, b) => a[0] - b[0]).map(([p, h]) => [p, handleText(h)]);
    const social = this.sim.social;
    return JSON.stringify({
      tick: this.stream.tick,
      hash: (simHash ?? this.sim.hash()).toString(16),
      avatars,
      ids: social.identities(),
      ta: String(social.tempAdminAccount),
    });
  }

  /** Stops the shard workers. */
  async close(): Promise<void> {
    await this.sim.close();
  }
}
