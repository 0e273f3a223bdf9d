/**
 * Security events as JSON lines: failed logins, refusals by a rate limiter, kicks, bans,
 * malformed messages and slow-consumer closes, each with its code, through the pino logger
 * serve already uses (one line per event: `{"level":40,"security":"login_failed","code":...}`).
 *
 * Sampled under flood, per kind: at most `perSecond` lines of a kind in each clock second
 * (default 10); the rest of that second are counted, and the count is written as one line
 * `{"security":<kind>,"suppressed":n,"fromMs","toMs"}` when the kind is next seen in a later
 * second or at the next flush() (serve calls it every second), whichever comes first. A flood
 * of a million malformed frames therefore writes about 11 lines a second, and nothing is lost
 * from the totals (counts()).
 *
 *   second:   |  0                          |  1
 *   events:   |  e e e ... (10 logged) x x x |  e  <- first of second 1 logs the summary of 0 first
 */

/** The kinds of security event. */
export type SecurityKind = 'login_failed' | 'rate_limited' | 'kick' | 'ban' | 'malformed' | 'slow_consumer' | 'revoked' | 'admin_limited';

/** What a line carries besides its kind: the error or close code (a number from protocol/errors.ts), and context. */
export interface SecurityFields {
  code: number;
  address?: string;
  account?: string;
  accountId?: number;
  publicId?: number;
  /** Free detail: the limited message kind, the failed check, the reason given. */
  detail?: string;
  [k: string]: unknown;
}

/** The part of a pino Logger the security log writes through. */
export interface SecurityLogger {
  warn(obj: object, msg: string): void;
}

/** Options of SecurityLog. */
export interface SecurityLogOptions {
  /** Lines per kind per second before sampling. Default 10. */
  perSecond?: number;
  /** Clock, ms. Default Date.now. */
  clock?: () => number;
}

interface KindState {
  second: number;
  logged: number;
  suppressed: number;
  total: number;
  totalSuppressed: number;
}

/** Sampled security-event lines (see the module comment). */
export class SecurityLog {
  private readonly kinds = new Map<SecurityKind, KindState>();
  private readonly perSecond: number;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly logger: SecurityLogger,
    opts: SecurityLogOptions = {},
  ) {
    this.perSecond = Math.max(1, opts.perSecond ?? 10);
    this.clock = opts.clock ?? Date.now;
  }

  /** Records one event: a line now, or a count in this second's summary. */
  event(kind: SecurityKind, fields: SecurityFields): void {
    const second = Math.floor(this.clock() / 1000);
    let k = this.kinds.get(kind);
    if (!k) {
      k = { second, logged: 0, suppressed: 0, total: 0, totalSuppressed: 0 };
      this.kinds.set(kind, k);
    }
    if (k.second !== second) {
      this.summary(kind, k);
      k.second = second;
      k.logged = 0;
    }
    k.total++;
    if (k.logged < this.perSecond) {
      k.logged++;
      this.logger.warn({ security: kind, ...fields }, kind.replace('_', ' '));
    } else {
      k.suppressed++;
      k.totalSuppressed++;
    }
  }

  /** Writes the summaries of seconds that have ended. */
  flush(): void {
    const second = Math.floor(this.clock() / 1000);
    for (const [kind, k] of this.kinds) {
      if (k.second === second) continue;
      this.summary(kind, k);
      k.second = second;
      k.logged = 0;
    }
  }

  /** Events seen and suppressed per kind since creation. */
  counts(): Partial<Record<SecurityKind, { total: number; suppressed: number }>> {
    const out: Partial<Record<SecurityKind, { total: number; suppressed: number }>> = {};
    for (const [kind, k] of this.kinds) out[kind] = { total: k.total, suppressed: k.totalSuppressed };
    return out;
  }

  /** Flushes every `everyMs` (default 1 s) on an unref'd timer. */
  start(everyMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flush(), everyMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is pending. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const [kind, k] of this.kinds) this.summary(kind, k);
  }

  private summary(kind: SecurityKind, k: KindState): void {
    if (k.suppressed === 0) return;
    this.logger.warn(
      { security: kind, suppressed: k.suppressed, fromMs: k.second * 1000, toMs: k.second * 1000 + 999 },
      `${kind.replace('_', ' ')}: ${k.suppressed} more suppressed`,
    );
    k.suppressed = 0;
  }
}
