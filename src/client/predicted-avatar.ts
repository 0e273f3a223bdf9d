/**
 * Prediction of the client's own avatar wired to a TesseraClient, for the viewer (and any client
 * that draws frames): a Predictor (the unshared core, the server's statics from GET /predict) and a
 * Smoother for its corrections (issue 20).
 *
 *   input(frame)       stamps the input with tick A = max(intendedTick() + lead, the last A), sends
 *                      it (TesseraClient.sendInput) and gives it to the predictor at once, which
 *                      re-predicts from A: the next drawn frame shows it (no round trip)
 *   onMessage/onState  the client's hooks: the avatar record (and the nearby records) of each state
 *                      reconciles (rollback on a difference, its replay deferred to the next frame:
 *                      PredictorOptions.deferReplay, so a frame replays once however many states
 *                      came); after that replay a correction's visible error (the position
 *                      predicted for the old present, before - after) goes to the smoother
 *   frame(nowMs)       steps the predictor to the present P = intendedTick() + lead + 1 (the state
 *                      that includes the input just stamped) and one tick past it, decays the
 *                      visible error and returns the position to draw (m), or null before the
 *                      first avatar record: interpolated between the predicted ticks P and P + 1
 *                      by alpha = 1 - (intendedTick() - intendedTickExact()), the part of the
 *                      current tick period already passed (Glenn Fiedler, "Fix Your Timestep!",
 *                      gafferongames.com 2004: draw the blend of the last two simulated states).
 *                      The input stamped for P - 1 is in both, so a key press shows fully in the
 *                      next frame; the tick P + 1 is stepped with the inputs known (an input
 *                      stamped for P later re-predicts from P: Predictor.input).
 *   nearbyDrawn()      the nearby bodies (AvatarPredictionOptions.nearby and the client's
 *                      predictRadiusM; Predictor module comment): each one's position and
 *                      rotation to draw, interpolated as the avatar, plus its own smoothed
 *                      correction (a rollback that moves it hands the jump to its Smoother)
 */
import { BODY_RECORD } from '../physics/world-layout';
import type { InputFrame, ServerMessage } from '../protocol/messages';
import type { StateInfo, TesseraClient } from './client';
import { Predictor, rawNum } from './predict';
import { type PredictWorld, predictorOptions } from './predict-world';
import { Smoother, type SmootherOptions } from './smooth';

/** AvatarPrediction options. */
export interface AvatarPredictionOptions extends SmootherOptions {
  /**
   * Ticks past intendedTick() that inputs are stamped for (a margin for timer jitter: an input that
   * reaches the host after its tick opened is applied late, a misprediction). Default: the ticks
   * in 40 ms, at least 1 (1 at 20 Hz, 2 at 50 Hz).
   */
  lead?: number;
  /** Clock, ms (default performance.now). */
  now?: () => number;
  /**
   * Predict the nearby bodies whose records the host sends (the client's predictRadiusM;
   * PredictorOptions.nearby). Default true (nothing to predict when the client asked for none).
   */
  nearby?: boolean;
}

/** A nearby body to draw: its handle's "index:generation" key, position (m) and rotation (unit quaternion [x, y, z, w]). */
export interface DrawnBody {
  key: string;
  position: [number, number, number];
  rotation: [number, number, number, number];
}

/** The client's avatar, predicted and smoothed (module comment). */
export class AvatarPrediction {
  readonly predictor: Predictor;
  readonly smoother: Smoother;
  /** Size of the last correction's visible error (predicted position at the present, before - after), m; 0 before one. */
  lastCorrectionM = 0;
  /** CPU time of the last frame()'s prediction (stepping, replays), ms. */
  frameMs = 0;
  /** CPU time spent in onState (comparisons, rollbacks and replays) since the last frame(), ms; added to frameMs. */
  private stateMs = 0;
  private stamped = 0;
  private lastFrameAt: number | null = null;
  private readonly now: () => number;
  /** Smoothers of the nearby bodies' corrections, by handle. */
  private readonly nearSmoothers = new Map<bigint, Smoother>();
  /** The blend weight of the last frame() (0 < alpha <= 1). */
  private alpha = 1;

  constructor(
    readonly client: TesseraClient,
    world: PredictWorld,
    private readonly opts: AvatarPredictionOptions = {},
  ) {
    this.predictor = new Predictor({ ...predictorOptions(world), nearby: opts.nearby ?? true, deferReplay: true });
    this.smoother = new Smoother(opts);
    this.now = opts.now ?? (() => performance.now());
  }

  /** Ticks past intendedTick() inputs are stamped for (AvatarPredictionOptions.lead). */
  get lead(): number {
    return this.opts.lead ?? Math.max(1, Math.ceil((40 * this.client.tickRate) / 1000));
  }

  /** Sends an input stamped for its tick and predicts it at once. Returns false when it could not be sent (no socket). */
  input(frame: Omit<InputFrame, 'seq'>): boolean {
    const tick = Math.max(this.client.intendedTick() + this.lead, this.stamped);
    if (!this.client.sendInput(frame, tick)) return false;
    this.stamped = tick;
    const t0 = this.now();
    this.predictor.input(this.client.lastSentSeq, tick, frame);
    this.predictor.advanceTo(tick + 1);
    this.stateMs += this.now() - t0;
    return true;
  }

  /** TesseraClient onMessage hook (keeps the avatar records). */
  onMessage(m: ServerMessage): void {
    this.predictor.onMessage(m);
  }

  /**
   * TesseraClient onState hook: reconciles (Predictor.onState, its replay deferred to the next
   * frame: PredictorOptions.deferReplay); on a rollback the positions predicted for the present
   * before it are kept, and the next frame() hands the jump of the avatar and of each nearby body
   * at that tick to their smoothers.
   */
  onState(info: StateInfo): void {
    const t0 = this.now();
    const p = this.predictor;
    const tick = p.present,
      before = p.positionAt(tick);
    // the nearby records predicted for `tick` (a map no reconciliation changes: no copy)
    const nearBefore = this.pending === null ? p.nearbyMapAt(tick) : undefined;
    const partial = p.ops.partialReseeds;
    p.onState(info);
    // a rollback left the present behind (the replay comes with the next frame): remember what was drawn for `tick`
    if (p.present < tick && this.pending === null && before) this.pending = { tick, avatar: before, near: nearBefore };
    else if (p.ops.partialReseeds !== partial && this.pending === null && before) {
      // a partial reseed changed some nearby bodies at the present: their jumps go to their smoothers now
      this.pending = { tick, avatar: before, near: nearBefore };
      this.settle();
    }
    for (const h of this.nearSmoothers.keys()) if (!p.nearbyHandles.includes(h)) this.nearSmoothers.delete(h);
    this.stateMs += this.now() - t0;
  }

  /** Positions predicted for `tick` before a rollback whose replay is still to come (onState, frame), and the nearby records of then. */
  private pending: { tick: number; avatar: [number, number, number]; near: ReadonlyMap<bigint, Uint8Array> | undefined } | null = null;

  /** After the replay: each position's jump at the pending tick goes to its smoother. */
  private settle(): void {
    const p = this.predictor,
      pend = this.pending;
    if (pend === null || p.present < pend.tick) return;
    this.pending = null;
    const after = p.positionAt(pend.tick);
    const b = pend.avatar;
    if (after && (after[0] !== b[0] || after[1] !== b[1] || after[2] !== b[2])) {
      this.smoother.correct(b, after);
      this.lastCorrectionM = Math.hypot(b[0] - after[0], b[1] - after[1], b[2] - after[2]);
    }
    const now = p.nearbyMapAt(pend.tick);
    if (!pend.near || !now) return;
    for (const [h, rb] of pend.near) {
      const r = now.get(h);
      if (!r || r === rb) continue;
      const nb = recordPosition(rb),
        a = recordPosition(r);
      if (a[0] === nb[0] && a[1] === nb[1] && a[2] === nb[2]) continue;
      let s = this.nearSmoothers.get(h);
      if (!s) this.nearSmoothers.set(h, (s = new Smoother(this.opts)));
      s.correct(nb, a);
    }
  }

  /** Steps to the present and returns the position to draw, m (null before the first record). */
  frame(nowMs = this.now()): [number, number, number] | null {
    const t0 = this.now();
    const p = this.predictor;
    const at = this.client.intendedTick();
    const target = Math.max(at + this.lead + 1, this.stamped + 1);
    // the part of the current tick period passed (1 when the present was raised to stamped + 1)
    this.alpha = target === at + this.lead + 1 ? Math.min(1, Math.max(0, 1 - (at - this.client.intendedTickExact()))) : 1;
    if (p.body !== null) p.advanceTo(target + 1);
    this.settle();
    this.frameMs = this.now() - t0 + this.stateMs;
    this.stateMs = 0;
    if (this.lastFrameAt !== null) {
      const dt = nowMs - this.lastFrameAt;
      this.smoother.decay(dt);
      for (const s of this.nearSmoothers.values()) s.decay(dt);
    }
    this.lastFrameAt = nowMs;
    this.drawTick = target;
    const a = p.positionAt(target),
      b = p.positionAt(target + 1);
    if (!a || !b) {
      const sim = p.positionAt();
      return sim ? this.smoother.drawn(sim) : null;
    }
    return this.smoother.drawn(lerp3(a, b, this.alpha));
  }

  /** Largest visible-error offset among the nearby bodies (their smoothers), m; 0 when none fades. */
  get nearbyOffsetM(): number {
    let m = 0;
    for (const s of this.nearSmoothers.values()) m = Math.max(m, s.size);
    return m;
  }

  /** The tick frame() drew from (the blend of it and the next); 0 before a frame. */
  drawTick = 0;

  /** The nearby bodies to draw at the last frame(): interpolated between its two ticks, plus each one's fading correction. */
  nearbyDrawn(): DrawnBody[] {
    const p = this.predictor,
      out: DrawnBody[] = [];
    for (const h of p.nearbyHandles) {
      const ra = p.nearbyRecordAt(h, this.drawTick),
        rb = p.nearbyRecordAt(h, this.drawTick + 1) ?? ra;
      if (!ra || !rb) continue;
      const q0 = recordRotation(ra),
        q1 = recordRotation(rb);
      const s = q0[0] * q1[0] + q0[1] * q1[1] + q0[2] * q1[2] + q0[3] * q1[3] < 0 ? -1 : 1; // the shorter way round
      const q = [0, 1, 2, 3].map((k) => q0[k] + (s * q1[k] - q0[k]) * this.alpha);
      const n = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
      const pos = lerp3(recordPosition(ra), recordPosition(rb), this.alpha);
      const sm = this.nearSmoothers.get(h);
      out.push({
        key: `${Number(h & 0xffffffffn)}:${Number(h >> 32n)}`,
        position: sm ? sm.drawn(pos) : pos,
        rotation: [q[0] / n, q[1] / n, q[2] / n, q[3] / n],
      });
    }
    return out;
  }
}

function lerp3(a: readonly number[], b: readonly number[], t: number): [number, number, number] {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** A body record's position, m (raw Q47.16 / 65536). */
function recordPosition(r: Uint8Array): [number, number, number] {
  const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
  return [rawNum(v, BODY_RECORD.PX), rawNum(v, BODY_RECORD.PY), rawNum(v, BODY_RECORD.PZ)];
}

/** A body record's orientation, unit quaternion [x, y, z, w] (raw Q47.16 / 65536). */
function recordRotation(r: Uint8Array): [number, number, number, number] {
  const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
  return [rawNum(v, BODY_RECORD.QX), rawNum(v, BODY_RECORD.QY), rawNum(v, BODY_RECORD.QZ), rawNum(v, BODY_RECORD.QW)];
}
