/**
 * Smoothing of prediction corrections (issue 20): the simulated state snaps to the corrected one at
 * once (the Predictor's rollback), while the drawn position carries the visible error and lets it
 * fade. The rule is an exponential decay of an error offset, after Glenn Fiedler, "State
 * Synchronization" (gafferongames.com, 2015): on a correction the offset grows by (drawn position
 * before - simulated position after), so the drawn position does not jump; then
 *
 *   offset(t + dt) = offset(t) x exp(-dt / tauMs)
 *
 * and drawn = simulated + offset. With the default tau = 30 ms the error is 3.6% of its size after
 * 100 ms (exp(-100/30)) and is set to exactly zero once below `snapM` (0.5 mm). Corrections that
 * arrive while an earlier one is still fading add up (the offset is always what the drawn position
 * lacks of the simulated one). Pure arithmetic: no clock of its own (the caller passes ms).
 */

/** Smoother options. */
export interface SmootherOptions {
  /** Time constant of the decay, ms (> 0). Default 30 (about 100 ms to fade: 3.6% left). */
  tauMs?: number;
  /** Below this size, m, the offset becomes zero. Default 0.0005 (0.5 mm). */
  snapM?: number;
}

/** Visible-error offset of one drawn body (module comment). Positions are [x, y, z] in metres. */
export class Smoother {
  /** The offset drawn - simulated, m. */
  readonly offset: [number, number, number] = [0, 0, 0];
  private readonly tauMs: number;
  private readonly snapM: number;

  constructor(opts: SmootherOptions = {}) {
    this.tauMs = opts.tauMs ?? 30;
    this.snapM = opts.snapM ?? 0.0005;
    if (!(this.tauMs > 0)) throw new RangeError(`tauMs must be > 0, got ${this.tauMs}`);
  }

  /**
   * A correction moved the simulated position from `before` to `after` (m, both at the same tick):
   * the drawn position stays where it was (the offset takes the difference).
   */
  correct(before: readonly number[], after: readonly number[]): void {
    for (let k = 0; k < 3; k++) this.offset[k] += before[k] - after[k];
  }

  /** Lets `dtMs` ms pass (>= 0; negative is taken as 0): the offset decays by exp(-dt / tau). */
  decay(dtMs: number): void {
    const f = Math.exp(-Math.max(0, dtMs) / this.tauMs);
    for (let k = 0; k < 3; k++) this.offset[k] *= f;
    if (this.size < this.snapM) this.offset.fill(0);
  }

  /** The position to draw for the simulated position `sim`, m: sim + offset. */
  drawn(sim: readonly number[]): [number, number, number] {
    return [sim[0] + this.offset[0], sim[1] + this.offset[1], sim[2] + this.offset[2]];
  }

  /** Length of the offset, m. */
  get size(): number {
    return Math.hypot(this.offset[0], this.offset[1], this.offset[2]);
  }
}
