/**
 * The temporary-admin rule on a timer (issue 15: "the rule is only re-evaluated at start and
 * login"): with nobody logging in through the host, the passing of time alone makes the
 * longest-standing recent player temporary admin once the admin has been away X days. The
 * accounts' clock is injected; the host ticks by hand.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../src/net/host';
import { SqliteStore } from '../src/persist/sqlite-store';
import { AccountService } from '../src/persist/accounts';
import { testWorld } from './helpers/world-setup';
import { waitFor } from './helpers/net';

const DAY = 86_400_000;

test('the rule is re-evaluated on a timer: X days after the admin left, the recent player is temporary admin without any login', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-ta-timer-'));
  const store = SqliteStore.open(join(dir, 'a.sqlite'), { durable: false });
  const clock = { t: 1000 * DAY };
  const accounts = new AccountService(store, { scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 64 }, now: () => clock.t });
  const root = await accounts.register('root', 'a long password');
  accounts.setRole(root.id, 'admin');
  const bob = await accounts.register('bob', 'a long password');
  await accounts.login('root', 'a long password', '192.0.2.1');
  const host = await Host.start({
    port: 0,
    world: testWorld({ spheres: 0 }),
    accounts,
    manualTicks: true,
    tempAdminRule: { absentDays: 2, recentDays: 1 },
    tempAdminEveryMs: 20,
  });
  try {
    host.tickOnce();
    expect(host.world.sim.social.tempAdminAccount).toBe(0);
    clock.t += 2.5 * DAY; // the admin has been away 2.5 days (X = 2)
    await accounts.login('bob', 'a long password', '192.0.2.2'); // straight to the service: the host hears of no login
    await waitFor(
      () => {
        host.tickOnce();
        return host.world.sim.social.tempAdminAccount === bob.id;
      },
      10_000,
      'bob chosen by the timer',
    );
    clock.t += 2 * DAY; // bob has not logged in within Y = 1 day: nobody
    await waitFor(
      () => {
        host.tickOnce();
        return host.world.sim.social.tempAdminAccount === 0;
      },
      10_000,
      'the timer ends it',
    );
  } finally {
    await host.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
