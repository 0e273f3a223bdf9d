/**
 * The temporary-admin rule (seed 000) with a fake clock: the seed's Bob/Charlie example, the
 * admin returning, no eligible player, ties on the join date, the boundaries of X and Y, and
 * that a temporary admin cannot make itself (or anyone) permanent.
 */
import { evaluateTempAdmin, maySetRole, type RuleAccount } from '../src/social/temp-admin';

const DAY = 86_400_000;
const rule = { absentDays: 7, recentDays: 3 };

/** A small world: the admin and three players who joined on days 0, 2 (Charlie), 5 (Bob), 6 (Dana). */
function accounts(): RuleAccount[] {
  return [
    { id: 1, role: 'admin', createdMs: 0, lastLoginMs: 10 * DAY },
    { id: 2, role: 'player', createdMs: 5 * DAY, lastLoginMs: null }, // Bob
    { id: 3, role: 'player', createdMs: 2 * DAY, lastLoginMs: null }, // Charlie (joined before Bob)
    { id: 4, role: 'moderator', createdMs: 6 * DAY, lastLoginMs: null }, // Dana
  ];
}
const login = (a: RuleAccount[], id: number, at: number): void => {
  (a.find((x) => x.id === id) as RuleAccount).lastLoginMs = at;
};

test("the seed's example: the admin is away past X days, Bob is temporary admin; on day X+9 Charlie logs in and takes over", () => {
  const a = accounts();
  const X = 10 + rule.absentDays; // the admin last logged in on day 10
  login(a, 2, (X + 1) * DAY); // Bob logs in after the absence began
  expect(evaluateTempAdmin(a, (X + 1) * DAY, 0, rule)).toEqual({ accountId: 2, adminLastLoginMs: 10 * DAY, reason: 'chosen' });
  login(a, 2, (X + 8) * DAY); // Bob keeps coming; Charlie has not logged in recently
  expect(evaluateTempAdmin(a, (X + 8) * DAY, 0, rule).accountId).toBe(2);
  login(a, 3, (X + 9) * DAY); // Charlie, who joined before Bob, logs in
  expect(evaluateTempAdmin(a, (X + 9) * DAY, 0, rule).accountId).toBe(3);
  // Charlie stops coming: after Y days Bob is the longest-standing recent player again
  login(a, 2, (X + 13) * DAY);
  expect(evaluateTempAdmin(a, (X + 13) * DAY, 0, rule).accountId).toBe(2);
});

test('the admin returning ends the temporary admin; absence starts only after X whole days', () => {
  const a = accounts();
  login(a, 3, 16 * DAY);
  expect(evaluateTempAdmin(a, 17 * DAY, 0, rule).reason).toBe('admin-present'); // exactly X days: not yet absent
  expect(evaluateTempAdmin(a, 17 * DAY + 1, 0, rule).accountId).toBe(3); // one ms later: absent
  login(a, 1, 18 * DAY); // the admin logs in
  expect(evaluateTempAdmin(a, 18 * DAY, 0, rule)).toEqual({ accountId: null, adminLastLoginMs: 18 * DAY, reason: 'admin-present' });
});

test('no eligible player: nobody logged in within Y days (exactly Y days ago still counts)', () => {
  const a = accounts();
  login(a, 2, 12 * DAY);
  expect(evaluateTempAdmin(a, 30 * DAY, 0, rule)).toEqual({ accountId: null, adminLastLoginMs: 10 * DAY, reason: 'no-candidate' });
  expect(evaluateTempAdmin(a, 15 * DAY, 0, { absentDays: 4, recentDays: 3 }).accountId).toBe(2); // 3 days ago: recent
  expect(evaluateTempAdmin(a, 15 * DAY + 1, 0, { absentDays: 4, recentDays: 3 }).accountId).toBeNull();
});

test('ties on the join date go to the lower account id, whatever the order of the list', () => {
  const a: RuleAccount[] = [
    { id: 9, role: 'player', createdMs: 100, lastLoginMs: 20 * DAY },
    { id: 5, role: 'player', createdMs: 100, lastLoginMs: 20 * DAY },
    { id: 7, role: 'player', createdMs: 100, lastLoginMs: 20 * DAY },
  ];
  for (const order of [a, [...a].reverse(), [a[1], a[2], a[0]]]) expect(evaluateTempAdmin(order, 20 * DAY, 0, rule).accountId).toBe(5);
});

test('a world that never saw an admin counts from its creation; moderators are candidates; admins are not', () => {
  const a: RuleAccount[] = [
    { id: 1, role: 'admin', createdMs: 0, lastLoginMs: null },
    { id: 4, role: 'moderator', createdMs: 3, lastLoginMs: 8 * DAY },
    { id: 6, role: 'player', createdMs: 4, lastLoginMs: 8 * DAY },
  ];
  expect(evaluateTempAdmin(a, 6 * DAY, 0, rule).reason).toBe('admin-present'); // the world is 6 days old
  expect(evaluateTempAdmin(a, 8 * DAY, 0, rule).accountId).toBe(4);
  expect(() => evaluateTempAdmin(a, 0, 0, { absentDays: 0, recentDays: 1 })).toThrow(RangeError);
});

test('a temporary admin cannot make itself or anyone permanent, nor demote an admin; a permanent admin can', () => {
  const temp = { id: 3, role: 'player', temporaryAdmin: true };
  expect(maySetRole(temp, { id: 3, role: 'player' }, 'admin')).toBe(false);
  expect(maySetRole(temp, { id: 2, role: 'player' }, 'admin')).toBe(false);
  expect(maySetRole(temp, { id: 1, role: 'admin' }, 'player')).toBe(false);
  expect(maySetRole(temp, { id: 2, role: 'player' }, 'moderator')).toBe(true);
  expect(maySetRole({ id: 1, role: 'admin', temporaryAdmin: false }, { id: 3, role: 'player' }, 'admin')).toBe(true);
  expect(maySetRole({ id: 1, role: 'admin', temporaryAdmin: false }, { id: 1, role: 'admin' }, 'player')).toBe(false);
  expect(maySetRole({ id: 4, role: 'moderator', temporaryAdmin: false }, { id: 2, role: 'player' }, 'moderator')).toBe(false);
});
