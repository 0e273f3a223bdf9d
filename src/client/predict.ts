/**
 * Client prediction of the client's own avatar (issue 20): a local copy of the deterministic core
 * (the unshared WebAssembly build, one PhysicsWorld, no shards) holding the static world and the
 * avatar only. Because the core is bit-exact, a prediction nobody disturbs is not close to the
 * server's state, it is the server's state.
 *
 *   input(seq, tick, frame)      the input the client just sent (TesseraClient.sendInput), stamped
 *                                with the tick the host applies it at (docs/protocol.md section
 *                                18: A = max(W, O, F); the predictor assumes A = max(W, F), i.e.
 *                                that the input arrives before its tick opens)
 *   advanceTo(tick)              steps the local world to the predicted present: each step from
 *                                tick t to t + 1 first applies the inputs of tick t as the host's
 *                                MainSim does ('in' -> characterInput command, walk = walkX x
 *                                walkSpeed / 1000 m/s, in seq order, then one step)
 *   authoritative(T, record, s)  the server's raw avatar record of tick T (ServerAvatarRecord,
 *                                protocol 4 with hello.predict) and the state's input_seq s: the
 *                                record predicted for T is compared with it byte for byte (a
 *                                difference is a correction: `corrections`, `lastCorrection`);
 *                                inputs with seq <= s are dropped; on a difference the avatar is
 *                                rewound to the server's record at T and the unacknowledged
 *                                inputs are replayed tick by tick to the present (rollback).
 *
 * What it needs to be exact: the server's WorldConfig and walk speed, the statics added in the
 * server scene's order (so they take the same slots; the avatar's record carries its own slot and
 * generation and is imported there), and nothing else moving near the avatar that the local world
 * lacks. The simulated state snaps to the server's on a correction (smoothing the visible error is
 * the caller's: AvatarPrediction and its Smoother).
 *
 * Nearby bodies (PredictorOptions.nearby; the records come with hello.predictRadius, docs/protocol.md
 * section 19.1): each authoritative state also brings the raw records of the dynamic bodies near
 * the avatar. They live in the local world too and are stepped with the avatar. The records
 * predicted for the state's tick are compared byte for byte with the server's, as a set (the same
 * handles, the same bytes); on any difference (a body pushed by someone the client does not
 * predict, a body entering or leaving the radius) the state counts as a nearby correction
 * (`nearbyCorrections`, `lastNearbyCorrection`). With the avatar's record exact it is a partial
 * reseed (below); otherwise the rollback reseeds them all: the local world's nearby bodies become
 * exactly the state's (those gone are removed), then the unacknowledged inputs are replayed with
 * everything stepping. A body near the avatar that nobody else touches is therefore predicted bit
 * for bit, and so is the avatar walking into it.
 *
 * Partial reseeds (PredictorOptions.partialReseed, default on; docs/protocol.md section 19.1):
 * only the bodies a state shows wrong (differing, entered, left) and every body that could touch
 * them between the state's tick and the present (a conservative box test: resimulate) are stepped
 * again, alone with the statics, in a scratch world; the rest keep their prediction and the local
 * world does not step. An input for a tick already predicted does the same with the avatar (and
 * its inputs) as the wrong body. Bodies that sleep unchanged through the window (in the old
 * prediction and the new one) cannot act on each other (overlap), so a sleeper entering or
 * leaving the radius pulls in only the awake bodies it could touch. The result is the full
 * rollback's bit for bit (test/predict-cost.test.ts); `ops` counts what it costs (PredictorOps).
 *
 * Shortcuts (PredictorOptions.shortcuts, default on), each exact: an input for a tick already
 * predicted that changes nothing there (the walk already in force, no jump: a held key) replays
 * nothing; a nearby body that slept before and after a step is not read back from the core.
 */
import { BODY_RECORD, BODY_RECORD_BYTES, FLAG, SHAPE } from '../physics/world-layout';
import { PhysicsWorld, type BodyHandle, type Command, type WorldConfig } from '../physics/world';
import type { CoreVariant } from '../physics/wasm';
import { toRaw } from '../physics/integer';
import type { InputFrame, ServerMessage } from '../protocol/messages';
import type { StateInfo } from './client';

/** Predictor options. */
export interface PredictorOptions {
  /** The server world's physics configuration (WorldSetup.config: tick rate, gravity, capacity, ...). */
  config: WorldConfig;
  /**
   * Adds the server scene's static bodies to `world`, in the server's order (so each takes the same
   * slot). Dynamic bodies must not be added.
   */
  statics: (world: PhysicsWorld) => void;
  /** Avatar walk speed, m/s (WorldSetup.walkSpeed). Default 4. */
  walkSpeed?: number;
  /** Core build. Default 'unshared' (browsers and single-thread clients). */
  variant?: CoreVariant;
  /**
   * Predict the nearby bodies whose records come with each state (authoritative(..., nearby);
   * module comment). Default false: the avatar alone; records passed are then ignored.
   */
  nearby?: boolean;
  /**
   * Leave the replay of a rollback to the next advanceTo (the next drawn frame) instead of doing it
   * in authoritative(): the state is restored at its tick and the present stays there. States that
   * arrive before that frame are then adopted without a replay each (nothing was predicted for
   * their ticks: no comparison, authoritative returns null), so a frame replays once, from the
   * newest state, however many states arrived since the last one. Default false.
   */
  deferReplay?: boolean;
  /**
   * When the avatar's record is exact and only some nearby bodies differ (pushed by someone the
   * client does not predict, entered or left the radius), re-simulate only those and their
   * neighbours, alone, in a scratch world from the state's tick to the present instead of
   * rolling back the whole local world (module comment, "Partial reseeds"). Default true; false:
   * a full rollback on any difference (the behaviour before; the tests compare the two).
   */
  partialReseed?: boolean;
  /**
   * Skip work whose result is known (default true): an input that changes nothing at its tick
   * (Predictor.changesNothing) re-predicts nothing, and a nearby body that slept through a step is
   * not read back (stepOnce). False: every input re-predicts and every body is read every tick,
   * the reference the tests compare the shortcuts with bit for bit.
   */
  shortcuts?: boolean;
}

/** One input as the predictor holds it: seq, the tick it is applied at, walk (-1000..1000 thousandths of the walk speed) and jump. */
export interface PredictedInput {
  seq: number;
  tick: number;
  walkX: number;
  walkZ: number;
  jump: boolean;
}

/**
 * What a Predictor has done, in operations (deterministic: no clock), for cost accounting
 * (bench/predict/count-predict.ts): the CPU it costs is about steps x bodies stepped plus the
 * record copies.
 */
export interface PredictorOps {
  /** Ticks stepped in the local world (forward prediction and replays; Predictor.steps). */
  steps: number;
  /** Of steps, those of ticks stepped before (replays: after a rollback or an input for a past tick). */
  replaySteps: number;
  /** Ticks stepped in the scratch world of a partial reseed (only the reseeded bodies in it). */
  scratchSteps: number;
  /** Full rollbacks (every predicted body reseeded at the state's tick, a replay of the whole local world follows). */
  rollbacks: number;
  /** Partial reseeds (only the bodies that differ and their neighbours, replayed alone; no rollback). */
  partialReseeds: number;
  /** Inputs for a tick already predicted whose re-prediction re-simulated only the avatar and what it could touch (no rollback). */
  partialReplays: number;
  /** Inputs for a tick already predicted that change nothing there (the walk already in force: Predictor.changesNothing), so nothing is re-predicted. */
  redundantInputs: number;
  /** Bodies re-simulated by partial reseeds and partial replays (the avatar included). */
  bodiesReseeded: number;
  /** Body records imported into the local world (importBody). */
  imports: number;
  /** Body records read from the local or scratch world (exportBody, exportBodyView). */
  exports: number;
  /** Bytes of body records copied: imports, exports (a nearby record equal to the previous tick's is not copied: its copy is kept) and the state's records split off (BODY_RECORD_BYTES each). */
  recordBytes: number;
}

/** How many predicted records are kept behind the newest authoritative tick (for late comparisons). */
const KEEP_TICKS = 256;

/** Client-side prediction and rollback of the client's own avatar (module comment). */
export class Predictor {
  /** The local world (statics and the avatar). */
  readonly world: PhysicsWorld;
  /** The avatar's handle (the server's: same slot and generation); null before the first record. */
  body: BodyHandle | null = null;
  /** Tick of the predicted present (the local world's tick); 0 before the first record. */
  present = 0;
  /** Authoritative records whose tick had a prediction that differed (each one a rollback). */
  corrections = 0;
  /** Authoritative records whose tick had a prediction equal to it bit for bit. */
  confirmed = 0;
  /** Distance between the predicted and the server's position at the last correction, m (0 before one). */
  lastCorrection = 0;
  /** Tick of the last correction (0 before one). */
  lastCorrectionTick = 0;
  /** The last correction's records (what was predicted for its tick, what the server had), for diagnosis; null before one. */
  lastCorrectionRecords: { predicted: Uint8Array; server: Uint8Array } | null = null;
  /** Ticks stepped, replays included (the CPU the prediction costs, in steps). */
  steps = 0;
  /** Operation counts (PredictorOps). */
  readonly ops: PredictorOps = {
    steps: 0,
    replaySteps: 0,
    scratchSteps: 0,
    rollbacks: 0,
    partialReseeds: 0,
    partialReplays: 0,
    redundantInputs: 0,
    bodiesReseeded: 0,
    imports: 0,
    exports: 0,
    recordBytes: 0,
  };
  /** States whose nearby records differed from the prediction for their tick (each one a partial reseed or a rollback). */
  nearbyCorrections = 0;
  /** States whose nearby records equalled the prediction bit for bit (a non-empty set). */
  nearbyConfirmed = 0;
  /** Largest position difference among the nearby bodies at the last nearby correction, m (a body that appeared or left counts 0). */
  lastNearbyCorrection = 0;
  /** Tick of the last nearby correction (0 before one). */
  lastNearbyTick = 0;
  /** Handles of the nearby bodies in the local world (slot order of their last seeding). */
  nearbyHandles: BodyHandle[] = [];
  /** The slots of nearbyHandles (same order), and their sleep flags after the last step (stepOnce). */
  private nearbySlots: number[] = [];
  private nearbyAsleep = new Uint8Array(64);
  /** Predicted nearby records by tick (tick -> handle -> record), from the newest authoritative tick on. */
  private readonly predictedNear = new Map<number, Map<BodyHandle, Uint8Array>>();
  /** Nearby records that arrived before their state's StateInfo (by tick). */
  private readonly waitingNear = new Map<number, Uint8Array>();
  private readonly walkScale: number;
  /** Unacknowledged inputs in seq order (their ticks never decrease). */
  private inputs: PredictedInput[] = [];
  /** The highest tick stepped to (replaySteps). */
  private highest = 0;
  /** Tick of the last input taken (the host's F). */
  private floor = 0;
  /** Highest acknowledged seq. */
  private acked = 0;
  /** Predicted records by tick (tick -> BODY_RECORD_BYTES bytes), from the last authoritative tick on. */
  private readonly predicted = new Map<number, Uint8Array>();
  /** Avatar records that arrived before their state's StateInfo (onAvatarRecord, then onState). */
  private readonly waiting = new Map<number, Uint8Array>();

  constructor(readonly opts: PredictorOptions) {
    this.world = PhysicsWorld.create(opts.config, { variant: opts.variant ?? 'unshared' });
    opts.statics(this.world);
    this.walkScale = (opts.walkSpeed ?? 4) / 1000;
  }

  /**
   * Takes an input the client sent with `seq` for `tick` (the tick it stamped; a tick before the
   * previous input's is raised to it, as the host does). Inputs at or below the acknowledged seq
   * are ignored. An input for a tick before the present re-predicts from there.
   */
  input(seq: number, tick: number, frame: Omit<InputFrame, 'seq'>): void {
    if (seq <= this.acked) return;
    const at = Math.max(tick, this.floor);
    this.floor = at;
    const input = { seq, tick: at, walkX: frame.walkX, walkZ: frame.walkZ, jump: frame.jump };
    this.inputs.push(input);
    if (this.body === null || at >= this.present) return;
    if (this.opts.shortcuts !== false && this.changesNothing(input)) this.ops.redundantInputs++;
    else this.replayFrom(at, this.present);
  }

  /**
   * Whether applying `input` at its tick leaves the predicted state of that tick as it is, so the
   * prediction from there needs no replay: it is the only input of its tick, and the avatar's
   * record of that tick already holds its walk (CHAR_TX, CHAR_TZ, raw as toRaw makes them), is
   * awake with a zero rest count and no jump pending, and the input does not jump (the command
   * sets the walk, sets or clears the jump flag and wakes: assembly/physics/world.ts
   * characterSetInput). A held key sends the same input every tick: this skips its replays.
   */
  private changesNothing(input: PredictedInput): boolean {
    if (input.jump) return false;
    for (const i of this.inputs) if (i !== input && i.tick === input.tick) return false;
    const r = this.predicted.get(input.tick);
    if (r === undefined) return false;
    const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
    if (v.getUint32(BODY_RECORD.FLAGS, true) !== 0) return false; // rest count
    if ((v.getUint32(BODY_RECORD.FLAGS + 4, true) & (FLAG.SLEEPING | FLAG.JUMP)) !== 0) return false;
    return (
      v.getBigInt64(BODY_RECORD.CHAR_TX, true) === toRaw(input.walkX * this.walkScale) &&
      v.getBigInt64(BODY_RECORD.CHAR_TZ, true) === toRaw(input.walkZ * this.walkScale)
    );
  }

  /** Steps the predicted avatar to `tick` (nothing before the first record, or when already there). */
  advanceTo(tick: number): void {
    if (this.body === null) return;
    while (this.present < tick) this.stepOnce();
  }

  /**
   * The server's record of the avatar in the state of `tick` and that state's input_seq
   * (StateInfo.lastInputSeq). Compares, drops acknowledged inputs and rolls back on a difference
   * (module comment). A record for a tick older than one already taken is ignored. Returns
   * whether the prediction for `tick` was exact (null: there was none to compare, e.g. the first).
   */
  authoritative(tick: number, record: Uint8Array, inputSeq: number, nearby?: Uint8Array): boolean | null {
    if (record.byteLength !== BODY_RECORD_BYTES) throw new RangeError(`an avatar record is ${BODY_RECORD_BYTES} bytes, got ${record.byteLength}`);
    if (nearby && nearby.byteLength % BODY_RECORD_BYTES !== 0)
      throw new RangeError(`nearby records are ${BODY_RECORD_BYTES} bytes each, got ${nearby.byteLength} bytes`);
    const mine = this.predicted.get(tick);
    if (this.body !== null && mine === undefined && tick < this.present) return null; // older than what we hold
    if (inputSeq > this.acked) this.acked = inputSeq;
    let n = 0;
    while (n < this.inputs.length && this.inputs[n].seq <= this.acked) n++;
    if (n > 0) this.inputs.splice(0, n);
    // an unacknowledged input meant for a tick before `tick` arrived late: the host applied it at tick or later
    let late = false;
    for (const i of this.inputs)
      if (i.tick < tick) {
        i.tick = tick;
        late = true;
      }
    if (late) this.floor = Math.max(this.floor, tick);
    for (const t of this.predicted.keys()) if (t < tick - KEEP_TICKS) this.predicted.delete(t);
    for (const t of this.predictedNear.keys()) if (t < tick) this.predictedNear.delete(t);
    const exact = mine === undefined ? null : equalBytes(mine, record);
    const nearExact = this.opts.nearby ? this.compareNear(tick, nearby ?? EMPTY) : true;
    // the state's records are split off (copied) only when something differs: a reseed keeps them
    const near = this.opts.nearby && (!nearExact || exact !== true || late) ? splitRecords(nearby) : null;
    if (near !== null) this.ops.recordBytes += near.size * BODY_RECORD_BYTES;
    if (exact === true) this.confirmed++;
    else if (exact === false) {
      this.corrections++;
      this.lastCorrection = distance(mine as Uint8Array, record);
      this.lastCorrectionTick = tick;
      this.lastCorrectionRecords = { predicted: mine as Uint8Array, server: record.slice() };
    }
    if (exact === true && !late && nearExact) return true;
    if (exact === true && !late && near !== null && this.partialReseed(tick, near)) return true;
    // rollback: the server's record at `tick`, then the unacknowledged inputs to the present
    this.ops.rollbacks++;
    const target = Math.max(this.present, tick);
    const handle = handleOf(record);
    if (this.body !== null && this.body !== handle) {
      // a new avatar (respawned, reconnected): the old one leaves the local world
      this.world.remove(this.body);
      this.predicted.clear();
    }
    this.body = this.imp(record);
    if (near !== null) this.seedNear(near);
    this.world.setTick(tick);
    this.present = tick;
    for (const t of [...this.predicted.keys()]) if (t >= tick) this.predicted.delete(t);
    this.predicted.set(tick, record.slice());
    if (near !== null) {
      this.predictedNear.clear();
      this.predictedNear.set(tick, near);
    }
    if (!this.opts.deferReplay) this.advanceTo(target);
    return exact;
  }

  /** TesseraClient onMessage hook: keeps an 'avatarRecord' until its state's StateInfo (onState) arrives. */
  onMessage(m: ServerMessage): void {
    if (m.kind !== 'avatarRecord') return;
    this.waiting.set(m.tick, m.record);
    if (m.nearby) this.waitingNear.set(m.tick, m.nearby);
  }

  /** TesseraClient onState hook: reconciles with the avatar record of the state's tick, if it came. */
  onState(info: StateInfo): boolean | null {
    const rec = this.waiting.get(info.tick);
    const near = this.waitingNear.get(info.tick);
    for (const t of this.waiting.keys()) if (t <= info.tick) this.waiting.delete(t);
    for (const t of this.waitingNear.keys()) if (t <= info.tick) this.waitingNear.delete(t);
    return rec ? this.authoritative(info.tick, rec, info.lastInputSeq, near ?? EMPTY) : null;
  }

  /** The predicted avatar record of `tick` (default: the present), or undefined when not held. */
  recordAt(tick = this.present): Uint8Array | undefined {
    return this.predicted.get(tick);
  }

  /** The predicted avatar position at `tick` (default: the present), m; null when not held. */
  positionAt(tick = this.present): [number, number, number] | null {
    const r = this.predicted.get(tick);
    if (!r) return null;
    const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
    return [raw(v, BODY_RECORD.PX), raw(v, BODY_RECORD.PY), raw(v, BODY_RECORD.PZ)];
  }

  /**
   * The predicted record of nearby body `h` at `tick` (default: the present), or undefined when not
   * held (not a nearby body, or a tick before the newest authoritative one).
   */
  nearbyRecordAt(h: BodyHandle, tick = this.present): Uint8Array | undefined {
    return this.predictedNear.get(tick)?.get(h);
  }

  /**
   * Every predicted nearby record of `tick` (handle -> record), or undefined when not held. The
   * present's map is not changed afterwards (a rollback or a reseed puts new maps in place), so a
   * caller may keep it to see what was predicted for the present before a reconciliation.
   */
  nearbyMapAt(tick = this.present): ReadonlyMap<BodyHandle, Uint8Array> | undefined {
    return this.predictedNear.get(tick);
  }

  /** Unacknowledged inputs held (their count). */
  get pending(): number {
    return this.inputs.length;
  }

  /** Re-predicts ticks from..to from the record held for `from`. */
  private replayFrom(from: number, to: number): void {
    const rec = this.predicted.get(from);
    const near = this.predictedNear.get(from);
    if (!rec || (this.opts.nearby && !near)) return; // before what we hold: the next authoritative record replays it
    // only the avatar's inputs changed: re-simulate it and what it could touch, if that is not everything
    if (near && to === this.present && this.resimulate(from, near, new Set([this.body as BodyHandle]))) {
      this.ops.partialReplays++;
      return;
    }
    this.body = this.imp(rec);
    if (near) {
      this.seedNear(near);
      for (const t of [...this.predictedNear.keys()]) if (t > from) this.predictedNear.delete(t);
    }
    this.world.setTick(from);
    this.present = from;
    for (const t of [...this.predicted.keys()]) if (t > from) this.predicted.delete(t);
    this.advanceTo(to);
  }

  /** One tick: the inputs of the present tick as the host's commands, then one step; records the result. */
  private stepOnce(): void {
    const body = this.body as BodyHandle;
    const t = this.present;
    const cmds = this.commandsAt(t, body);
    if (cmds !== null) this.world.applyCommands(cmds);
    this.world.step();
    this.steps++;
    this.ops.steps++;
    if (t < this.highest) this.ops.replaySteps++;
    else this.highest = t + 1;
    this.present = t + 1;
    this.predicted.set(this.present, this.exp(body));
    if (this.opts.nearby) {
      // a record equal to the previous tick's (a body at rest) keeps that copy: no allocation; a
      // body that slept before and after the step is unchanged (sleepers are not stepped, and
      // only a wake resets a sleep: assembly/physics/world.ts wake), so it is not even read
      const prev = this.predictedNear.get(t);
      const m = new Map<BodyHandle, Uint8Array>();
      const n = this.nearbyHandles.length;
      if (this.nearbyAsleep.length < n) this.nearbyAsleep = new Uint8Array(2 * n);
      if (this.opts.shortcuts !== false) this.world.sleepingSlots(this.nearbySlots, this.nearbyAsleep);
      else this.nearbyAsleep.fill(0);
      for (let i = 0; i < n; i++) {
        const h = this.nearbyHandles[i],
          last = prev?.get(h);
        if (last !== undefined && this.nearbyAsleep[i] === 1 && (last[BODY_RECORD.FLAGS + 4] & FLAG.SLEEPING) !== 0) {
          m.set(h, last);
          continue;
        }
        const view = this.world.exportBodyView(h);
        this.ops.exports++;
        if (last !== undefined && equalBytes(last, view)) m.set(h, last);
        else {
          m.set(h, view.slice());
          this.ops.recordBytes += BODY_RECORD_BYTES;
        }
      }
      this.predictedNear.set(this.present, m);
    }
  }

  /** The host's commands for the inputs of tick `t` ('in' -> characterInput of `body`, in seq order), or null when none. */
  private commandsAt(t: number, body: BodyHandle): Command[] | null {
    let cmds: Command[] | null = null;
    for (const i of this.inputs)
      if (i.tick === t) (cmds ??= []).push({ kind: 'characterInput', body, walk: [i.walkX * this.walkScale, i.walkZ * this.walkScale], jump: i.jump });
    return cmds;
  }

  /**
   * Compares the server's nearby records of `tick` (BODY_RECORD_BYTES each, concatenated) with the
   * prediction (as a set); counts a difference. Reads them in place (no copy).
   */
  private compareNear(tick: number, server: Uint8Array): boolean {
    const mine = this.predictedNear.get(tick);
    const n = server.byteLength / BODY_RECORD_BYTES;
    // nothing predicted for `tick` (the first record): not a correction, but the seeding follows
    if (mine === undefined) return n === 0 && this.nearbyHandles.length === 0;
    let same = mine.size === n;
    let worst = 0;
    for (let at = 0; at < server.byteLength; at += BODY_RECORD_BYTES) {
      const r = server.subarray(at, at + BODY_RECORD_BYTES);
      const p = mine.get(handleOf(r));
      if (p === undefined) same = false;
      else if (!equalBytes(p, r)) {
        same = false;
        worst = Math.max(worst, distance(p, r));
      }
    }
    if (same) {
      if (n > 0) this.nearbyConfirmed++;
      return true;
    }
    this.nearbyCorrections++;
    this.lastNearbyCorrection = worst;
    this.lastNearbyTick = tick;
    return false;
  }

  /** importBody into the local world, counted. */
  private imp(record: Uint8Array): BodyHandle {
    this.ops.imports++;
    this.ops.recordBytes += BODY_RECORD_BYTES;
    return this.world.importBody(record);
  }

  /** exportBody from the local world, counted. */
  private exp(h: BodyHandle): Uint8Array {
    this.ops.exports++;
    this.ops.recordBytes += BODY_RECORD_BYTES;
    return this.world.exportBody(h);
  }

  /**
   * A partial reseed (module comment) for the state of `tick`, whose avatar record is exact: the
   * nearby bodies whose prediction for `tick` is wrong (records that differ from the server's,
   * bodies that entered or left) are re-simulated from the server's records (resimulate).
   * Returns false, changing nothing, when that does not apply: the caller rolls back.
   */
  private partialReseed(tick: number, server: Map<BodyHandle, Uint8Array>): boolean {
    const mine = this.predictedNear.get(tick);
    if (mine === undefined) return false;
    const wrong = new Set<BodyHandle>();
    for (const [h, r] of server) {
      const p = mine.get(h);
      if (p === undefined || !equalBytes(p, r)) wrong.add(h);
    }
    for (const h of mine.keys()) if (!server.has(h)) wrong.add(h);
    if (!this.resimulate(tick, server, wrong)) return false;
    this.ops.partialReseeds++;
    return true;
  }

  /**
   * Re-simulates the bodies in `wrong` (nearby handles, or the avatar's: then with its inputs) and
   * every predicted body that could touch them between `from` and the present, alone in the
   * scratch world, from their records of `from` (`start`: the nearby bodies' from then on, the
   * avatar's is the one held for `from`); a handle in `wrong` missing from `start` left and is
   * removed. The rest of the local world keeps its prediction, the present stays. Returns false,
   * changing nothing, when it does not apply (partialReseed off, a tick not held, the present not
   * past `from`, more than half the bodies would be re-simulated, or the neighbours do not close
   * within 4 rounds): the caller rolls back.
   *
   * "Could touch" is conservative: over the window, each body's centres (every tick from `from`
   * to the present, in the old prediction and in the new one) span a box; padded by the body's
   * bounding radius, twice its largest L1 speed times the tick (the core's speculative contact
   * distance, assembly/physics/collide.ts specOf, and the motion within a tick) and half the
   * contact margin plus 1 cm, two boxes that do not overlap cannot hold a contact in any tick.
   * A body's motion does not depend on bodies it never touches, so the re-simulated records are
   * those a full rollback would give (test/predict-cost.test.ts compares the two bit for bit).
   */
  private resimulate(from: number, start: Map<BodyHandle, Uint8Array>, wrong: Set<BodyHandle>): boolean {
    const end = this.present,
      body = this.body as BodyHandle;
    if (this.opts.partialReseed === false || end <= from) return false;
    const pad = (this.opts.config.margin ?? 0.05) / 2 + 0.01,
      dt = 1 / (this.opts.config.tickRate ?? 60);
    // the old prediction's box of every nearby body and of the avatar over the window
    const old = new Map<BodyHandle, Box>();
    const avatar = emptyBox();
    old.set(body, avatar);
    for (let t = from; t <= end; t++) {
      const m = this.predictedNear.get(t),
        a = this.predicted.get(t);
      if (m === undefined || a === undefined) return false;
      for (const [h, r] of m) {
        let b = old.get(h);
        if (b === undefined) old.set(h, (b = emptyBox()));
        if (b.last !== r) growBox(b, r, dt, pad); // a body at rest keeps its record object: nothing new (growBox)
      }
      growBox(avatar, a, dt, pad);
    }
    const limit = Math.max(8, start.size >> 1);
    // every body whose old prediction could touch a wrong one's is wrong too (no stepping: the old
    // boxes); a worklist, so each wrong body's box is tested against the others once
    const queue = [...wrong];
    const closeOld = (): boolean => {
      while (queue.length > 0) {
        const b = old.get(queue.pop() as BodyHandle);
        if (b === undefined) continue;
        for (const [o, ob] of old)
          if (!wrong.has(o) && overlap(b, ob)) {
            wrong.add(o);
            queue.push(o);
          }
        if (wrong.size > limit) return false;
      }
      return true;
    };
    if (!closeOld()) return false;
    for (let round = 0; round < 4; round++) {
      const resim: Uint8Array[] = [];
      for (const [h, r] of start) if (wrong.has(h)) resim.push(r);
      const withAvatar = wrong.has(body);
      if (withAvatar) resim.push(this.predicted.get(from) as Uint8Array);
      const fresh = this.scratchRun(from, end, resim, withAvatar ? body : null);
      const more: BodyHandle[] = [];
      for (const h of this.scratchBodies) {
        const b = emptyBox();
        for (const m of fresh) growBox(b, m.get(h) as Uint8Array, dt, pad);
        for (const [o, ob] of old) if (!wrong.has(o) && overlap(b, ob)) more.push(o);
      }
      if (more.length === 0) {
        this.adoptPartial(from, start, wrong, fresh, withAvatar);
        this.ops.bodiesReseeded += resim.length;
        return true;
      }
      // neighbours of the new prediction: their old ones may touch others too
      for (const o of more)
        if (!wrong.has(o)) {
          wrong.add(o);
          queue.push(o);
        }
      if (!closeOld()) return false;
    }
    return false;
  }

  /** A partial reseed's result: the new records from `from` to the present, the present ones into the local world (those gone removed). */
  private adoptPartial(
    from: number,
    start: Map<BodyHandle, Uint8Array>,
    wrong: Set<BodyHandle>,
    fresh: Array<Map<BodyHandle, Uint8Array>>,
    withAvatar: boolean,
  ): void {
    const body = this.body as BodyHandle;
    for (const h of wrong) if (h !== body && !start.has(h)) this.world.remove(h);
    this.predictedNear.set(from, start);
    for (let t = from + 1; t <= this.present; t++) {
      const was = this.predictedNear.get(t) as Map<BodyHandle, Uint8Array>,
        now = fresh[t - from];
      // the present's map is replaced (a caller may hold it: nearbyMapAt), the others changed in place
      const m = t === this.present ? new Map(was) : was;
      for (const h of wrong) if (!start.has(h)) m.delete(h);
      for (const [h, r] of now) if (h !== body) m.set(h, r);
      this.predictedNear.set(t, m);
      if (withAvatar) this.predicted.set(t, now.get(body) as Uint8Array);
    }
    for (const r of fresh[this.present - from].values()) this.imp(r);
    this.setNearbyHandles([...start.keys()]);
  }

  /** The scratch world (statics only, created on the first partial reseed) and the bodies left in it. */
  private scratch: PhysicsWorld | null = null;
  private scratchBodies: BodyHandle[] = [];

  /**
   * Steps `records` alone (with the statics) in the scratch world from `from` to `to`, with the
   * inputs of `avatar` when it is one of them; returns their records of every tick (index t -
   * from; the first is `records`).
   */
  private scratchRun(from: number, to: number, records: Uint8Array[], avatar: BodyHandle | null): Array<Map<BodyHandle, Uint8Array>> {
    if (this.scratch === null) {
      this.scratch = PhysicsWorld.create(this.opts.config, { variant: this.opts.variant ?? 'unshared' });
      this.opts.statics(this.scratch);
    }
    const w = this.scratch;
    for (const h of this.scratchBodies) w.remove(h);
    this.scratchBodies = [];
    if (records.length === 0) return Array.from({ length: to - from + 1 }, () => new Map<BodyHandle, Uint8Array>());
    const first = new Map<BodyHandle, Uint8Array>();
    for (const r of records) first.set(w.importBody(r), r);
    this.ops.imports += records.length;
    this.ops.recordBytes += records.length * BODY_RECORD_BYTES;
    this.scratchBodies = [...first.keys()];
    w.setTick(from);
    const out = [first];
    for (let t = from; t < to; t++) {
      if (avatar !== null) {
        const cmds = this.commandsAt(t, avatar);
        if (cmds !== null) w.applyCommands(cmds);
      }
      w.step();
      this.ops.scratchSteps++;
      const m = new Map<BodyHandle, Uint8Array>();
      for (const h of this.scratchBodies) m.set(h, w.exportBody(h));
      this.ops.exports += this.scratchBodies.length;
      this.ops.recordBytes += this.scratchBodies.length * BODY_RECORD_BYTES;
      out.push(m);
    }
    return out;
  }

  /** Sets nearbyHandles and their slots (a handle's low 32 bits). */
  private setNearbyHandles(hs: BodyHandle[]): void {
    this.nearbyHandles = hs;
    this.nearbySlots = hs.map((h) => Number(h & 0xffffffffn));
  }

  /** Makes the local world's nearby bodies exactly `records` (removes the others first, then imports). */
  private seedNear(records: Map<BodyHandle, Uint8Array>): void {
    for (const h of this.nearbyHandles) if (!records.has(h)) this.world.remove(h);
    for (const r of records.values()) this.imp(r);
    this.setNearbyHandles([...records.keys()]);
  }
}

const EMPTY = new Uint8Array(0);

/**
 * Nearby records (BODY_RECORD_BYTES each, concatenated) by handle, in their order; an empty map
 * for undefined. The records are views of one copy of `bytes` (offsets multiples of 312: aligned
 * for equalBytes' word compare), so the caller's buffer may be reused.
 */
function splitRecords(bytes: Uint8Array | undefined): Map<BodyHandle, Uint8Array> {
  const out = new Map<BodyHandle, Uint8Array>();
  if (!bytes || bytes.byteLength === 0) return out;
  const all = bytes.slice();
  for (let at = 0; at < all.byteLength; at += BODY_RECORD_BYTES) {
    const r = all.subarray(at, at + BODY_RECORD_BYTES);
    out.set(handleOf(r), r);
  }
  return out;
}

/** The handles made by handleOf, by slot (a body's handle is the same BigInt while its generation is); cleared at HANDLE_CACHE_MAX slots. */
const HANDLE_CACHE_MAX = 65536;
const handleCache = new Map<number, { generation: number; handle: BodyHandle }>();

/** The body handle (generation << 32 | slot) of a record (its first i64 holds slot << 32 | generation). */
function handleOf(r: Uint8Array): BodyHandle {
  const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
  const generation = v.getUint32(BODY_RECORD.ID, true),
    slot = v.getUint32(BODY_RECORD.ID + 4, true);
  const c = handleCache.get(slot);
  if (c !== undefined && c.generation === generation) return c.handle;
  const handle = (BigInt(generation) << 32n) | BigInt(slot);
  if (c !== undefined) {
    c.generation = generation;
    c.handle = handle;
  } else {
    if (handleCache.size >= HANDLE_CACHE_MAX) handleCache.clear();
    handleCache.set(slot, { generation, handle });
  }
  return handle;
}

function raw(v: DataView, at: number): number {
  return Number(v.getBigInt64(at, true)) / 65536;
}

/** A record's raw Q47.16 field at byte `at` as a number (raw / 65536: metres, m/s, ...) without a BigInt (exact below 2^53 raw). */
export function rawNum(v: DataView, at: number): number {
  return (v.getInt32(at + 4, true) * 4294967296 + v.getUint32(at, true)) / 65536;
}

/** Byte equality (32-bit words when both are aligned: records are 312 bytes). */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.byteLength !== b.byteLength) return false;
  if ((a.byteOffset & 3) === 0 && (b.byteOffset & 3) === 0 && (a.byteLength & 3) === 0) {
    const x = new Uint32Array(a.buffer, a.byteOffset, a.byteLength >> 2),
      y = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A box of body centres over ticks, each side padded by the body's reach (partialReseed), m. */
interface Box {
  lo: [number, number, number];
  hi: [number, number, number];
  /** The last record grown by (the same record again adds nothing). */
  last: Uint8Array | null;
  /**
   * Every record grown by is asleep (FLAG.SLEEPING) and byte-equal to the others: the body slept
   * through the window without a change. Two such bodies cannot act on each other (overlap).
   */
  inert: boolean;
}

function emptyBox(): Box {
  return { lo: [Infinity, Infinity, Infinity], hi: [-Infinity, -Infinity, -Infinity], last: null, inert: true };
}

/**
 * Grows `b` by the record's centre padded by its reach: bounding radius (sphere: radius; capsule:
 * radius + half height; box: half diagonal; any other shape: unbounded, so it conflicts with
 * everything), twice its L1 speed times `dt`, and `pad`, m. A record byte-equal to the last one
 * while the box is inert adds nothing (the same centre and reach).
 */
function growBox(b: Box, r: Uint8Array, dt: number, pad: number): void {
  const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
  if (b.inert) {
    if ((v.getUint32(BODY_RECORD.FLAGS + 4, true) & FLAG.SLEEPING) === 0) b.inert = false;
    else if (b.last !== null) {
      if (r === b.last || equalBytes(r, b.last)) return;
      b.inert = false;
    }
  }
  b.last = r;
  const shape = v.getUint32(BODY_RECORD.KIND_SHAPE, true);
  let bound: number;
  if (shape === SHAPE.SPHERE) bound = rawNum(v, BODY_RECORD.RADIUS);
  else if (shape === SHAPE.CAPSULE) bound = rawNum(v, BODY_RECORD.RADIUS) + rawNum(v, BODY_RECORD.HY);
  else if (shape === SHAPE.BOX) bound = Math.hypot(rawNum(v, BODY_RECORD.HX), rawNum(v, BODY_RECORD.HY), rawNum(v, BODY_RECORD.HZ));
  else bound = Infinity;
  const speed = Math.abs(rawNum(v, BODY_RECORD.VX)) + Math.abs(rawNum(v, BODY_RECORD.VY)) + Math.abs(rawNum(v, BODY_RECORD.VZ));
  const reach = bound + 2 * speed * dt + pad;
  const p = [rawNum(v, BODY_RECORD.PX), rawNum(v, BODY_RECORD.PY), rawNum(v, BODY_RECORD.PZ)];
  for (let k = 0; k < 3; k++) {
    b.lo[k] = Math.min(b.lo[k], p[k] - reach);
    b.hi[k] = Math.max(b.hi[k], p[k] + reach);
  }
}

/**
 * Whether two boxes could hold a contact between their bodies in the window (touching counts).
 * Two inert boxes never do: the core pairs a sleeping body only with awake ones (a sleeper joins
 * the broadphase through the sleep hash, assembly/physics/collide.ts wakePass), and a removed or
 * added sleeper wakes nobody (world.ts bodyRemove), so bodies that sleep unchanged through the
 * window neither touch nor wake each other.
 */
function overlap(a: Box, b: Box): boolean {
  if (a.inert && b.inert) return false;
  return a.lo[0] <= b.hi[0] && b.lo[0] <= a.hi[0] && a.lo[1] <= b.hi[1] && b.lo[1] <= a.hi[1] && a.lo[2] <= b.hi[2] && b.lo[2] <= a.hi[2];
}

/** Distance between the positions of two body records, m. */
function distance(a: Uint8Array, b: Uint8Array): number {
  const va = new DataView(a.buffer, a.byteOffset, a.byteLength),
    vb = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const d = [BODY_RECORD.PX, BODY_RECORD.PY, BODY_RECORD.PZ].map((o) => raw(va, o) - raw(vb, o));
  return Math.hypot(d[0], d[1], d[2]);
}
