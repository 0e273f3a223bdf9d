/**
 * With guests off (`serve --no-guests`), nothing answers without a token but /healthz, /metrics
 * (unless publicMetrics is off), /auth/* and the web pages (code, no world data: the viewer must
 * load to log in). Every other door is tried as an anonymous client over real HTTP and
 * WebSocket: /stats, /world, /chat/history, the JSON endpoint, /ws (upgrade and hello), and a
 * forged token. Then the same doors with a logged-in player's token answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../src/net/host';
import { SqliteStore } from '../src/persist/sqlite-store';
import { AccountService } from '../src/persist/accounts';
import { CLOSE, ERROR } from '../src/protocol/errors';
import { RawClient, request } from './helpers/net';
import { testWorld } from './helpers/world-setup';

let dir: string, store: SqliteStore;
const metricsText = async (): Promise<{ contentType: string; body: string }> => ({ contentType: 'text/plain', body: 'tessera_up 1\n' });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-noguests-'));
  store = SqliteStore.open(join(dir, 'accounts.sqlite'));
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(publicMetrics: boolean): Promise<{ host: Host; http: string; ws: string; accounts: AccountService }> {
  const accounts = new AccountService(store, { scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 64 }, guests: false });
  const host = await Host.start({
    port: 0,
    world: testWorld({ spheres: 0 }),
    accounts,
    avatars: store,
    records: store,
    manualTicks: true,
    guests: false,
    publicMetrics,
    metrics: metricsText,
  });
  return { host, accounts, http: `http://127.0.0.1:${host.port}`, ws: `ws://127.0.0.1:${host.port}/ws` };
}

test('guests off: only /healthz, /metrics, /auth/* and the web pages answer without a token; a token opens the rest', async () => {
  const { host, http, ws, accounts } = await start(true);
  try {
    // open doors
    expect((await request('GET', `${http}/healthz`)).status).toBe(200);
    expect((await request('GET', `${http}/metrics`)).status).toBe(200);
    expect((await request('POST', `${http}/auth/login`, JSON.stringify({ name: 'nobody', password: 'wrong password' }))).status).toBe(401);
    // closed doors, anonymous and with a forged token
    for (const auth of [{}, { authorization: 'Bearer forged' }] as Array<Record<string, string>>) {
      for (const [method, path] of [
        ['GET', '/stats'],
        ['GET', '/world'],
        ['GET', '/chat/history?channel=world'],
        ['POST', '/world/anon/0'],
        ['POST', '/lobby/anon/0'],
      ]) {
        const r = await request(method, `${http}${path}`, '', auth);
        expect([path, r.status, r.json?.error?.code]).toEqual([path, 401, ERROR.UNAUTHENTICATED]);
      }
    }
    const anon = new RawClient(ws);
    await anon.opened;
    anon.hello({ token: '', privateId: 'anon' });
    expect((await anon.done).code).toBe(CLOSE.UNAUTHENTICATED);
    const guest = new RawClient(ws);
    await guest.opened;
    guest.hello({ token: 'guest', privateId: 'anon' });
    expect((await guest.done).code).toBe(CLOSE.UNAUTHENTICATED);
    const forged = new RawClient(ws, { headers: { authorization: 'Bearer forged' } });
    expect(await forged.opened).toBe(false);
    expect(forged.upgradeStatus).toBe(401);
    expect(host.clientCount).toBe(0);
    expect(host.hub.list()).toEqual(['world']); // no door created anything

    // a player's token opens them
    await accounts.register('pia', 'a long password');
    const { token } = (await request('POST', `${http}/auth/login`, JSON.stringify({ name: 'pia', password: 'a long password' }))).json as { token: string };
    const bearer = { authorization: `Bearer ${token}` };
    expect((await request('GET', `${http}/stats`, '', bearer)).status).toBe(200);
    expect((await request('GET', `${http}/world`, '', bearer)).json.stream).toBe('world');
    expect((await request('GET', `${http}/chat/history?channel=world`, '', bearer)).status).toBe(200);
    expect((await request('POST', `${http}/world/pia-1/0`, '', bearer)).status).toBe(200);
    const c = new RawClient(ws);
    await c.opened;
    c.hello({ token, privateId: 'pia-2' });
    await c.until(() => c.of('welcome').length === 1, 10_000, 'welcome');
    c.close();
  } finally {
    await host.stop();
  }
}, 60_000);

test('publicMetrics off: /metrics needs a valid token', async () => {
  const { host, http, accounts } = await start(false);
  try {
    expect((await request('GET', `${http}/metrics`)).status).toBe(401);
    expect((await request('GET', `${http}/metrics`, '', { authorization: 'Bearer forged' })).status).toBe(401);
    await accounts.register('moe', 'a long password');
    const { token } = (await request('POST', `${http}/auth/login`, JSON.stringify({ name: 'moe', password: 'a long password' }))).json as { token: string };
    const r = await request('GET', `${http}/metrics`, '', { authorization: `Bearer ${token}` });
    expect(r.status).toBe(200);
  } finally {
    await host.stop();
  }
}, 60_000);
