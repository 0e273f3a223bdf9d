/**
 * Prediction of the client's own avatar wired to a TesseraClient, for the viewer (and any client
 * that draws frames): a Predictor (the unshared core, the server's statics from GET /predict) and a
 * Smoother for its corrections (issue 20).
 *
 *   input(frame)       stamps the input with tick A = max(intendedTick() + lead, the last A), sends
 *                      it (TesseraClient.sendInput) and gives it to the predictor at once, which
 *                      re-predicts from A: the next drawn frame shows it (no round trip)
 *   onMessage/onState  the client's hooks: the avatar record of each state reconciles (rollback on
 *                      a difference); a correction's visible error (the predicted position at the
 *                      present before - after) goes to the smoother
 *   frame(nowMs)       steps the predictor to the present, intendedTick() + lead + 1 (the state
 *                      that includes the input just stamped), decays the visible error and returns
 *                      the position to draw (m), or null before the first avatar record
 *
 * The drawn position moves once per tick (the present is a whole tick; no interpolation between
 * predicted ticks). Other bodies are not predicted: pushes and hits show up as corrections.
 */
import type { InputFrame, ServerMessage } from '../protocol/messages';
import type { StateInfo, TesseraClient } from './client';
import { Predictor } from './predict';
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

  constructor(
    readonly client: TesseraClient,
    world: PredictWorld,
    private readonly opts: AvatarPredictionOptions = {},
  ) {
    this.predictor = new Predictor(predictorOptions(world));
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

  /** TesseraClient onState hook: reconciles; a correction's visible error goes to the smoother. */
  onState(info: StateInfo): void {
    const t0 = this.now();
    const p = this.predictor;
    const tick = p.present,
      before = p.positionAt(tick);
    const exact = p.onState(info);
    if (exact === false && before && p.present === tick) {
      const after = p.positionAt(tick);
      if (after) {
        this.smoother.correct(before, after);
        this.lastCorrectionM = Math.hypot(before[0] - after[0], before[1] - after[1], before[2] - after[2]);
      }
    }
    this.stateMs += this.now() - t0;
  }

  /** Steps to the present and returns the position to draw, m (null before the first record). */
  frame(nowMs = this.now()): [number, number, number] | null {
    const t0 = this.now();
    const p = this.predictor;
    if (p.body !== null) p.advanceTo(Math.max(this.client.intendedTick() + this.lead + 1, this.stamped + 1));
    this.frameMs = this.now() - t0 + this.stateMs;
    this.stateMs = 0;
    if (this.lastFrameAt !== null) this.smoother.decay(nowMs - this.lastFrameAt);
    this.lastFrameAt = nowMs;
    const sim = p.positionAt();
    return sim ? this.smoother.drawn(sim) : null;
  }
}
