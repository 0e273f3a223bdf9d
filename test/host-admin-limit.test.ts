/**
 * Admin commands the per-connection rate limiter drops are audited (issue 15: "admin commands
 * dropped by the rate limiter are not audited"): an admin record with ok false and "rate
 * limited", and a security event 'admin_limited', at most one of each per client per clock
 * second, the drops in between counted. Over a real socket; the host's clock is injected.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../src/net/host';
import { SecurityLog } from '../src/net/security-log';
import { SqliteStore } from '../src/persist/sqlite-store';
import { ERROR } from '../src/protocol/errors';
import { RawClient } from './helpers/net';
import { testWorld } from './helpers/world-setup';

test('dropped admin commands: one audit record (ok false, "rate limited") and one security event per client per second, the drops counted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-admin-limit-'));
  const store = SqliteStore.open(join(dir, 'records.sqlite'));
  let now = 1_000_000;
  const lines: Array<Record<string, unknown>> = [];
  const securityLog = new SecurityLog({ warn: (obj) => lines.push(obj as Record<string, unknown>) }, { perSecond: 100, clock: () => now });
  const host = await Host.start({ port: 0, world: testWorld({ spheres: 0 }), records: store, securityLog, manualTicks: true, clock: () => now });
  try {
    const c = new RawClient(`ws://127.0.0.1:${host.port}/ws`);
    expect(await c.opened).toBe(true);
    c.hello({ privateId: 'eve' });
    await c.until(() => c.of('welcome').length > 0, 5000, 'welcome');
    let nonce = 0n;
    const burst = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) c.send({ kind: 'admin', command: 'kick', args: ['1', `try ${i}`] });
      const k = ++nonce;
      c.send({ kind: 'ping', nonce: k }); // answered after every admin message above
      await c.until(() => c.of('pong').some((p) => p.nonce === k), 5000, 'pong');
    };
    const limited = () => store.adminRecords(100).filter((r) => JSON.parse(r.detail).message === 'rate limited');
    await burst(20); // burst 5: at least 14 dropped
    expect(c.of('error').some((e) => e.code === ERROR.RATE_LIMITED)).toBe(true);
    expect(limited()).toHaveLength(1);
    expect(limited()[0]).toMatchObject({ action: 'kick', actor: 0 });
    expect(JSON.parse(limited()[0].detail)).toMatchObject({ ok: false, message: 'rate limited', dropped: 1, publicId: c.of('welcome')[0].publicId });
    expect(JSON.parse(limited()[0].detail).args[0]).toBe('1');
    await burst(10); // the same second: counted, not written
    expect(limited()).toHaveLength(1);
    now += 1000;
    await burst(10); // a new second: the next record carries the count
    expect(limited()).toHaveLength(2);
    const second = JSON.parse(limited()[0].detail) as { dropped: number }; // newest first
    expect(second.dropped).toBeGreaterThanOrEqual(5); // the 10 of the same second were at most 5 admitted
    expect(1 + second.dropped).toBeLessThanOrEqual(host.statistics.rateLimited);
    const events = lines.filter((l) => l.security === 'admin_limited');
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ code: ERROR.RATE_LIMITED, publicId: c.of('welcome')[0].publicId });
    c.close();
    await c.done;
  } finally {
    await host.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
