/**
 * Retention: what the store deletes, and when. Without it the world log, chat history, admin
 * records and login records grow for as long as the server runs.
 *
 *   kind            setting (serve)        default   what goes
 *   world log       logRetentionDays       2         ticks before the newest snapshot that are
 *                                                    older than the setting (a restore needs
 *                                                    only the newest snapshot and the log after it;
 *                                                    `tessera replay` from tick 0 then needs a backup)
 *   chat history    chatRetentionDays      90        lines of the world stream older than that
 *   admin records   adminRetentionDays     365       audited admin actions older than that
 *   login records   loginRetentionDays     30        login attempts (and sessions that expired)
 *                                                    older than that; the login limits look back
 *                                                    at the newest 50 of an account, so this also
 *                                                    bounds how long an address stays "known"
 *   0 keeps a kind forever.
 *
 * What the defaults bound (estimates from the row formats, sqlite-store.ts): a log row is about
 * 60 bytes for an empty tick plus about 22 bytes per event (an input `["in",12,"1000,0,0"]`), so
 * an idle world at 20 Hz writes about 100 MB a day and 500 players sending 10 inputs a second
 * about 10 GB a day: 2 days keep 0.2 to 20 GB. A chat line is about 80 bytes with its index,
 * an admin record about 150, a login record about 90.
 *
 * The schedule runs prune every `everyMs` (default 1 h) on the caller's thread; the store
 * deletes in batches of short transactions, so no single stall is long. Ages are measured on
 * the injected clock (ms), the same one the services use.
 */

/** Days each kind is kept (0 = forever). */
export interface RetentionPolicy {
  logRetentionDays: number;
  chatRetentionDays: number;
  adminRetentionDays: number;
  loginRetentionDays: number;
}

/** The defaults of the module comment. */
export const DEFAULT_RETENTION: RetentionPolicy = { logRetentionDays: 2, chatRetentionDays: 90, adminRetentionDays: 365, loginRetentionDays: 30 };

/** Absolute cutoffs, clock ms: rows older than a cutoff go; a missing cutoff keeps its kind. `chatStream`: the stream whose ticks chat lines carry (default 'world'). */
export interface PruneCutoffs {
  worldLogBeforeMs?: number;
  chatBeforeMs?: number;
  adminBeforeMs?: number;
  loginBeforeMs?: number;
  chatStream?: string;
}

/** Rows deleted by one prune. */
export interface PruneCounts {
  logTicks: number;
  chatLines: number;
  adminRecords: number;
  loginRecords: number;
  sessions: number;
  marks: number;
}

/** A store that can delete by age (SqliteStore). */
export interface Prunable {
  prune(c: PruneCutoffs, batch?: number): PruneCounts;
}

const DAY_MS = 86_400_000;

/** The cutoffs of `policy` at `nowMs`. Throws RangeError for a negative or non-finite day count. */
export function retentionCutoffs(policy: RetentionPolicy, nowMs: number, chatStream = 'world'): PruneCutoffs {
  const at = (days: number): number | undefined => {
    if (!(Number.isFinite(days) && days >= 0)) throw new RangeError(`retention days must be >= 0, got ${days}`);
    return days === 0 ? undefined : nowMs - days * DAY_MS;
  };
  return {
    worldLogBeforeMs: at(policy.logRetentionDays),
    chatBeforeMs: at(policy.chatRetentionDays),
    adminBeforeMs: at(policy.adminRetentionDays),
    loginBeforeMs: at(policy.loginRetentionDays),
    chatStream,
  };
}

/** Options of RetentionSchedule. */
export interface RetentionOptions {
  /** Clock, ms. Default Date.now. */
  clock?: () => number;
  /** Period of the schedule, ms. Default 1 h. */
  everyMs?: number;
  /** The world stream (chat lines carry its ticks). Default 'world'. */
  chatStream?: string;
  /** Called after each prune with what it deleted (logging). */
  onPruned?: (counts: PruneCounts, cutoffs: PruneCutoffs) => void;
  /** Called when a prune throws (the schedule goes on). Default: rethrown on the next tick of the event loop. */
  onError?: (e: unknown) => void;
}

/** Runs the store's prune on a timer. */
export class RetentionSchedule {
  private timer: NodeJS.Timeout | null = null;
  private readonly clock: () => number;
  private readonly everyMs: number;

  /** Throws RangeError for a bad policy (checked once here) or a period under 1 s. */
  constructor(
    private readonly store: Prunable,
    readonly policy: RetentionPolicy,
    private readonly opts: RetentionOptions = {},
  ) {
    this.clock = opts.clock ?? Date.now;
    this.everyMs = opts.everyMs ?? 3_600_000;
    if (!(this.everyMs >= 1000)) throw new RangeError('the retention period is at least 1000 ms');
    retentionCutoffs(policy, 0);
  }

  /** Prunes once now; returns what was deleted. */
  runOnce(): PruneCounts {
    const c = retentionCutoffs(this.policy, this.clock(), this.opts.chatStream);
    const counts = this.store.prune(c);
    this.opts.onPruned?.(counts, c);
    return counts;
  }

  /** Prunes now and then every `everyMs` (an unref'd timer: it keeps no process alive). */
  start(): void {
    if (this.timer) return;
    const run = (): void => {
      try {
        this.runOnce();
      } catch (e) {
        if (this.opts.onError) this.opts.onError(e);
        else
          setImmediate(() => {
            throw e;
          });
      }
    };
    run();
    this.timer = setInterval(run, this.everyMs);
    this.timer.unref();
  }

  /** Stops the timer. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
