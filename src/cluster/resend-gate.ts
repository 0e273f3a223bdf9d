/**
 * The bound on answering resend requests (subjects.ts `resend`), kept by every shard process and
 * by the coordinator.
 *
 * A resend request asks every holder of a tick's Results to publish some of them again: one small
 * message can make every process republish up to a tick's worth of Results, and any process may
 * send it (auth.ts: the subject is shared). Without a bound, one process flooding requests (a
 * bug, or an insider with a valid key) turns each into a burst of Result traffic from everyone.
 * Two limits, per answering process:
 *
 *   rate     requests are read at most `perSecond` a second with bursts of `burst` (a token
 *            bucket, limiter's TokenBucket); the rest are dropped unread and counted. An honest
 *            process asks every 200 ms while it waits (shard-process.ts tryRun), so the default
 *            of 200 a second serves 40 waiting processes at once.
 *   repeats  a (tick, region) is republished at most once per `repeatMs`; a request for one
 *            answered more recently is skipped and counted. The memory is one entry per region
 *            of the tick being answered, and only for regions the process holds (cleared
 *            when the tick changes).
 *
 * A dropped request costs its sender a retry (200 ms later), never state: the Results it waits
 * for are retained until committed.
 */
import { TokenBucket } from 'limiter';

/** Limits of a ResendGate. */
export interface ResendLimits {
  /** Requests read per second (token refill rate). Default 200. */
  perSecond: number;
  /** Requests read at once after a quiet spell (bucket size). Default 100. */
  burst: number;
  /** Shortest interval between two republications of the same (tick, region), ms. Default 100. */
  repeatMs: number;
}

/** Default limits (see the module comment). */
export const DEFAULT_RESEND_LIMITS: ResendLimits = { perSecond: 200, burst: 100, repeatMs: 100 };

/**
 * Checks resend limits (partial limits fill from DEFAULT_RESEND_LIMITS). Throws RangeError
 * naming the field when one is not a positive finite number.
 */
export function resendLimits(o: Partial<ResendLimits> = {}): ResendLimits {
  const l = { ...DEFAULT_RESEND_LIMITS, ...o };
  for (const k of ['perSecond', 'burst', 'repeatMs'] as const) {
    if (!(typeof l[k] === 'number' && Number.isFinite(l[k]) && l[k] > 0))
      throw new RangeError(`resend limits: ${k} must be a positive number, got ${JSON.stringify(l[k])}`);
  }
  return l;
}

/** The rate and repeat bound on one process's resend answers (see the module comment). */
export class ResendGate {
  private readonly bucket: TokenBucket;
  private tick = -1;
  private readonly answered = new Map<number, number>();
  /** Requests dropped unread by the rate limit. */
  dropped = 0;
  /** Republications skipped: the same (tick, region) was answered within repeatMs. */
  repeats = 0;

  /** `now` returns milliseconds (performance.now by default; tests drive it). */
  constructor(
    readonly limits: ResendLimits = DEFAULT_RESEND_LIMITS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.bucket = new TokenBucket({ bucketSize: limits.burst, tokensPerInterval: limits.perSecond, interval: 'second' });
    this.bucket.content = limits.burst; // limiter's buckets start empty
  }

  /** True when a request may be read now (takes a token); false: drop it unread (counted in `dropped`). */
  admit(): boolean {
    if (this.bucket.tryRemoveTokens(1)) return true;
    this.dropped++;
    return false;
  }

  /**
   * True when the Result of `region` at `tick` may be republished now (and notes it); false
   * when it was within repeatMs (counted in `repeats`). Call only for a Result this process
   * holds, so the memory stays one entry per held region.
   */
  answer(tick: number, region: number): boolean {
    if (tick !== this.tick) {
      this.tick = tick;
      this.answered.clear();
    }
    const t = this.now(),
      last = this.answered.get(region);
    if (last !== undefined && t - last < this.limits.repeatMs) {
      this.repeats++;
      return false;
    }
    this.answered.set(region, t);
    return true;
  }
}
