/**
 * Security events from the host over real sockets (issue 15: "the host logs nothing about
 * kicks, bans, failed logins, malformed or slow clients"): a failed login, a flood dropped by
 * the rate limiter (sampled) and a malformed frame each reach the Host's securityLog as a line
 * with its code. The log's clock is fake (all events fall in one sampled second).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../src/net/host';
import { SqliteStore } from '../src/persist/sqlite-store';
import { AccountService } from '../src/persist/accounts';
import { SecurityLog } from '../src/net/security-log';
import { CLOSE, ERROR } from '../src/protocol/errors';
import { RawClient, request, waitFor } from './helpers/net';
import { testWorld } from './helpers/world-setup';

test('failed logins, refused tokens, limiter refusals and malformed frames are logged with their codes, a flood sampled', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-seclog-'));
  const store = SqliteStore.open(join(dir, 'a.sqlite'), { durable: false });
  const lines: Array<Record<string, unknown>> = [];
  const securityLog = new SecurityLog({ warn: (obj) => lines.push(obj as Record<string, unknown>) }, { perSecond: 5, clock: () => 0 });
  const accounts = new AccountService(store, { scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 64 } });
  const host = await Host.start({ port: 0, world: testWorld({ spheres: 0 }), accounts, securityLog });
  const url = `ws://127.0.0.1:${host.port}/ws`;
  try {
    const r = await request('POST', `http://127.0.0.1:${host.port}/auth/login`, JSON.stringify({ name: 'nobody', password: 'wrong password' }));
    expect(r.status).toBe(401);
    expect(lines).toContainEqual(expect.objectContaining({ security: 'login_failed', code: ERROR.INVALID_CREDENTIALS, address: expect.any(String) }));

    const flooder = new RawClient(url);
    await flooder.opened;
    flooder.hello({ privateId: 'flooder' });
    await flooder.until(() => flooder.of('welcome').length > 0);
    for (let i = 0; i < 100; i++) flooder.send({ kind: 'ping', nonce: BigInt(i) });
    await waitFor(() => host.statistics.rateLimited >= 80, 5000, 'pings dropped');
    const limited = lines.filter((l) => l.security === 'rate_limited');
    expect(limited).toHaveLength(5); // sampled: 5 lines a second
    expect(limited[0]).toMatchObject({ code: ERROR.RATE_LIMITED, detail: 'ping', publicId: expect.any(Number) });
    expect(securityLog.counts().rate_limited!.total).toBe(host.statistics.rateLimited);
    flooder.close();

    const forged = new RawClient(url, { headers: { authorization: 'Bearer forged-token' } });
    expect(await forged.opened).toBe(false);
    const late = new RawClient(url);
    await late.opened;
    late.hello({ token: 'forged-too' });
    expect((await late.done).code).toBe(CLOSE.UNAUTHENTICATED);
    expect(lines.filter((l) => l.security === 'login_failed' && l.code === ERROR.UNAUTHENTICATED).map((l) => l.detail)).toEqual([
      'token refused at upgrade',
      'token refused in hello',
    ]);

    const bad = new RawClient(url);
    await bad.opened;
    bad.sendRaw('not flatbuffers');
    expect((await bad.done).code).toBe(CLOSE.BAD_MESSAGE);
    expect(lines).toContainEqual(expect.objectContaining({ security: 'malformed', code: ERROR.BAD_MESSAGE, detail: 'text frame' }));
  } finally {
    await host.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
