/**
 * Guest sessions of the JSON endpoint. A request without a token (guests on) is a guest; each
 * such request starts a new guest session, whose token comes back in the reply (`session`); a
 * client that sends it as `Authorization: Bearer <token>` stays the same guest (same scope, so
 * the same public id for the same private id). Sessions unused for `idleMs` are forgotten, and
 * at most `max` are kept (the least recently used goes first): the table is bounded.
 */
import { randomBytes } from 'node:crypto';
import { guestScope } from './identity';

/** Prefix of a guest session token ("gs." + 32 hex digits). */
export const GUEST_TOKEN_PREFIX = 'gs.';

/** Guest sessions, least recently used first (a Map keeps insertion order; a use re-inserts). */
export class GuestSessions {
  private readonly byToken = new Map<string, { scope: string; usedMs: number }>();
  private next = 1;

  constructor(
    private readonly idleMs: number,
    private readonly max: number,
  ) {}

  /** A new session at clock `now` (ms): its token and scope. Evicts the least recently used beyond `max`. */
  mint(now: number): { token: string; scope: string } {
    this.expire(now);
    const token = GUEST_TOKEN_PREFIX + randomBytes(16).toString('hex');
    const scope = guestScope('j', this.next++);
    this.byToken.set(token, { scope, usedMs: now });
    while (this.byToken.size > this.max) this.byToken.delete(this.byToken.keys().next().value as string);
    return { token, scope };
  }

  /** The scope of a live session (and marks it used), or null for an unknown or expired token. */
  use(token: string, now: number): string | null {
    this.expire(now);
    const s = this.byToken.get(token);
    if (!s) return null;
    this.byToken.delete(token);
    s.usedMs = now;
    this.byToken.set(token, s);
    return s.scope;
  }

  /** Live sessions. */
  get size(): number {
    return this.byToken.size;
  }

  /** Forgets sessions idle for idleMs (they are at the front). */
  private expire(now: number): void {
    for (const [t, s] of this.byToken) {
      if (now - s.usedMs < this.idleMs) break;
      this.byToken.delete(t);
    }
  }
}
