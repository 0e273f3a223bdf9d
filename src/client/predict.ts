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
 * generation and is imported there), and nothing else moving near the avatar (other bodies are
 * not predicted yet: a push from one shows up as a correction). The simulated state snaps to the
 * server's on a correction; smoothing the visible error is not done yet.
 */
import { BODY_RECORD, BODY_RECORD_BYTES } from '../physics/world-layout';
import { PhysicsWorld, type BodyHandle, type Command, type WorldConfig } from '../physics/world';
import type { CoreVariant } from '../physics/wasm';
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
}

/** One input as the predictor holds it: seq, the tick it is applied at, walk (-1000..1000 thousandths of the walk speed) and jump. */
export interface PredictedInput {
  seq: number;
  tick: number;
  walkX: number;
  walkZ: number;
  jump: boolean;
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
  private readonly walkScale: number;
  /** Unacknowledged inputs in seq order (their ticks never decrease). */
  private inputs: PredictedInput[] = [];
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
    this.inputs.push({ seq, tick: at, walkX: frame.walkX, walkZ: frame.walkZ, jump: frame.jump });
    if (this.body !== null && at < this.present) this.replayFrom(at, this.present);
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
  authoritative(tick: number, record: Uint8Array, inputSeq: number): boolean | null {
    if (record.byteLength !== BODY_RECORD_BYTES) throw new RangeError(`an avatar record is ${BODY_RECORD_BYTES} bytes, got ${record.byteLength}`);
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
    const exact = mine === undefined ? null : equalBytes(mine, record);
    if (exact === true) this.confirmed++;
    else if (exact === false) {
      this.corrections++;
      this.lastCorrection = distance(mine as Uint8Array, record);
      this.lastCorrectionTick = tick;
      this.lastCorrectionRecords = { predicted: mine as Uint8Array, server: record.slice() };
    }
    if (exact === true && !late) return true;
    // rollback: the server's record at `tick`, then the unacknowledged inputs to the present
    const target = Math.max(this.present, tick);
    const handle = handleOf(record);
    if (this.body !== null && this.body !== handle) {
      // a new avatar (respawned, reconnected): the old one leaves the local world
      this.world.remove(this.body);
      this.predicted.clear();
    }
    this.body = this.world.importBody(record);
    this.world.setTick(tick);
    this.present = tick;
    for (const t of [...this.predicted.keys()]) if (t >= tick) this.predicted.delete(t);
    this.predicted.set(tick, record.slice());
    this.advanceTo(target);
    return exact;
  }

  /** TesseraClient onMessage hook: keeps an 'avatarRecord' until its state's StateInfo (onState) arrives. */
  onMessage(m: ServerMessage): void {
    if (m.kind === 'avatarRecord') this.waiting.set(m.tick, m.record);
  }

  /** TesseraClient onState hook: reconciles with the avatar record of the state's tick, if it came. */
  onState(info: StateInfo): boolean | null {
    const rec = this.waiting.get(info.tick);
    for (const t of this.waiting.keys()) if (t <= info.tick) this.waiting.delete(t);
    return rec ? this.authoritative(info.tick, rec, info.lastInputSeq) : null;
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

  /** Unacknowledged inputs held (their count). */
  get pending(): number {
    return this.inputs.length;
  }

  /** Re-predicts ticks from..to from the record held for `from`. */
  private replayFrom(from: number, to: number): void {
    const rec = this.predicted.get(from);
    if (!rec) return; // before what we hold: the next authoritative record replays it
    this.body = this.world.importBody(rec);
    this.world.setTick(from);
    this.present = from;
    for (const t of [...this.predicted.keys()]) if (t > from) this.predicted.delete(t);
    this.advanceTo(to);
  }

  /** One tick: the inputs of the present tick as the host's commands, then one step; records the result. */
  private stepOnce(): void {
    const body = this.body as BodyHandle;
    const t = this.present;
    const cmds: Command[] = [];
    for (const i of this.inputs)
      if (i.tick === t) cmds.push({ kind: 'characterInput', body, walk: [i.walkX * this.walkScale, i.walkZ * this.walkScale], jump: i.jump });
    if (cmds.length > 0) this.world.applyCommands(cmds);
    this.world.step();
    this.steps++;
    this.present = t + 1;
    this.predicted.set(this.present, this.world.exportBody(body));
  }
}

/** The body handle (generation << 32 | slot) of a record (its first i64 holds slot << 32 | generation). */
function handleOf(r: Uint8Array): BodyHandle {
  const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
  return (BigInt(v.getUint32(BODY_RECORD.ID, true)) << 32n) | BigInt(v.getUint32(BODY_RECORD.ID + 4, true));
}

function raw(v: DataView, at: number): number {
  return Number(v.getBigInt64(at, true)) / 65536;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Distance between the positions of two body records, m. */
function distance(a: Uint8Array, b: Uint8Array): number {
  const va = new DataView(a.buffer, a.byteOffset, a.byteLength),
    vb = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const d = [BODY_RECORD.PX, BODY_RECORD.PY, BODY_RECORD.PZ].map((o) => raw(va, o) - raw(vb, o));
  return Math.hypot(d[0], d[1], d[2]);
}
