/**
 * The temporary-admin rule (seed 000): a world must not be left without someone who can act.
 *
 *   If no permanent admin has logged in for X days, the player with the longest standing (the
 *   earliest join date) among those who logged in within the last Y days is temporary admin.
 *
 * Decisions, stated here because the seed leaves them open:
 *  - "Logged in" means an accepted login (AccountService.login). The admin clock is the newest
 *    login of any account whose role is 'admin'; a temporary admin's logins and actions never
 *    move it (they are player logins).
 *  - The rule is evaluated at every login (and may be evaluated at any time, e.g. at start): the
 *    result is a pure function of the accounts and `now`, so it is the same whoever asks.
 *  - Exactly X days without an admin login is not yet absence: absence starts after X days. A
 *    player whose last login is exactly Y days ago still counts as recent.
 *  - Ties on the join date go to the lower account id (the account created first by the store).
 *  - Moderators are candidates like players; permanent admins are not (when one logs in, the
 *    absence ends). An account that never logged in is not a candidate.
 *  - A world that has never had a permanent admin login counts its absence from `since` (the
 *    world's creation), so a new world gets a temporary admin only after X days too.
 *  - A temporary admin can do anything a permanent admin can except change roles to or from
 *    'admin' (including its own): it cannot make itself permanent. Only a permanent admin
 *    promotes to admin.
 */

/** What the rule needs to know of an account. Times are clock ms. */
export interface RuleAccount {
  id: number;
  role: string;
  createdMs: number;
  lastLoginMs: number | null;
}

/** The rule's parameters. */
export interface TempAdminRule {
  /** Days without a permanent admin login after which a temporary admin is chosen (X). */
  absentDays: number;
  /** Days within which a candidate must have logged in (Y). */
  recentDays: number;
}

/** The seed's suggested defaults: 7 days absent, logged in within the last 3 days. */
export const DEFAULT_TEMP_ADMIN_RULE: TempAdminRule = { absentDays: 7, recentDays: 3 };

const DAY_MS = 86_400_000;

/** The rule's decision and why. */
export interface TempAdminDecision {
  /** The temporary admin's account id, or null. */
  accountId: number | null;
  /** The newest permanent admin login (ms), or null when none ever logged in. */
  adminLastLoginMs: number | null;
  /** 'admin-present' | 'no-candidate' | 'chosen' */
  reason: 'admin-present' | 'no-candidate' | 'chosen';
}

/**
 * Evaluates the rule at `nowMs` over `accounts`. `sinceMs`: when the world was created (the
 * absence of a world that never saw an admin counts from there). Throws RangeError for
 * non-positive day counts.
 */
export function evaluateTempAdmin(
  accounts: readonly RuleAccount[],
  nowMs: number,
  sinceMs: number,
  rule: TempAdminRule = DEFAULT_TEMP_ADMIN_RULE,
): TempAdminDecision {
  if (!(rule.absentDays > 0) || !(rule.recentDays > 0)) throw new RangeError('absentDays and recentDays must be positive');
  let adminLast: number | null = null;
  for (const a of accounts) if (a.role === 'admin' && a.lastLoginMs !== null) adminLast = Math.max(adminLast ?? -Infinity, a.lastLoginMs);
  if (nowMs - (adminLast ?? sinceMs) <= rule.absentDays * DAY_MS) return { accountId: null, adminLastLoginMs: adminLast, reason: 'admin-present' };
  let best: RuleAccount | null = null;
  for (const a of accounts) {
    if (a.role === 'admin' || a.lastLoginMs === null || nowMs - a.lastLoginMs > rule.recentDays * DAY_MS) continue;
    if (!best || a.createdMs < best.createdMs || (a.createdMs === best.createdMs && a.id < best.id)) best = a;
  }
  return best
    ? { accountId: best.id, adminLastLoginMs: adminLast, reason: 'chosen' }
    : { accountId: null, adminLastLoginMs: adminLast, reason: 'no-candidate' };
}

/**
 * May `actor` (its role, and whether it is the temporary admin) set `target`'s role to
 * `newRole`? Permanent admins may set any role of anyone but themselves out of admin (a world
 * keeps at least the admin who acts); temporary admins and moderators may not touch the 'admin'
 * role at all; players may not change roles.
 */
export function maySetRole(actor: { id: number; role: string; temporaryAdmin: boolean }, target: { id: number; role: string }, newRole: string): boolean {
  if (actor.role === 'admin') return !(target.id === actor.id && newRole !== 'admin');
  if (!actor.temporaryAdmin) return false;
  return target.role !== 'admin' && newRole !== 'admin';
}
