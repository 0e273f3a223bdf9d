/**
 * Accounts on the host: /auth/register, /auth/login, /auth/refresh, /auth/logout over HTTP,
 * the session token opening /ws (upgrade header or hello), refused tokens, the brute-force
 * limit as 429, guest mode off, and no game message processed before authentication.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../src/net/host';
import { SqliteStore } from '../src/persist/sqlite-store';
import { AccountService } from '../src/persist/accounts';
import { CLOSE } from '../src/protocol/errors';
import { RawClient, request } from './helpers/net';
import { testWorld } from './helpers/world-setup';

let dir: string, store: SqliteStore, host: Host, http: string, url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-auth-'));
  store = SqliteStore.open(join(dir, 'accounts.sqlite'));
  const accounts = new AccountService(store, { scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 64 }, guests: false });
  host = await Host.start({ port: 0, world: testWorld({ spheres: 0 }), accounts, authTimeoutMs: 500 });
  http = `http://127.0.0.1:${host.port}`;
  url = `ws://127.0.0.1:${host.port}/ws`;
});
afterAll(async () => { await host.stop(); store.close(); rmSync(dir, { recursive: true, force: true }); });

const post = (path: string, body: unknown, token?: string) =>
  requestWithAuth('POST', `${http}${path}`, JSON.stringify(body), token);

function requestWithAuth(method: string, u: string, body: string, token?: string): Promise<{ status: number; json: any }> {
  return token ? request(method, u, body, { authorization: `Bearer ${token}` }) : request(method, u, body);
}

test('register, log in, open the WebSocket with the token, refresh, log out', async () => {
  expect((await post('/auth/register', { name: 'mira', password: 'a long password' })).status).toBe(201);
  expect((await post('/auth/register', { name: 'MIRA', password: 'another password' })).json.error.code).toBe('TAKEN');
  const login = await post('/auth/login', { name: 'mira', password: 'a long password' });
  expect(login.status).toBe(200);
  const token = login.json.token as string;

  const viaHeader = new RawClient(url, { headers: { authorization: `Bearer ${token}` } });
  expect(await viaHeader.opened).toBe(true);
  viaHeader.hello({ token: '', privateId: 'mira-1' });
  await viaHeader.until(() => viaHeader.of('welcome').length > 0, 3000, 'welcome');
  viaHeader.close();

  const refreshed = await post('/auth/refresh', {}, token);
  expect(refreshed.status).toBe(200);
  const viaHello = new RawClient(url);
  await viaHello.opened;
  viaHello.hello({ token, privateId: 'mira-2' });              // the old token was rotated out
  expect((await viaHello.done).code).toBe(CLOSE.UNAUTHENTICATED);

  expect((await post('/auth/logout', {}, refreshed.json.token)).status).toBe(200);
  const after = new RawClient(url, { headers: { authorization: `Bearer ${refreshed.json.token}` } });
  expect(await after.opened).toBe(false);
  expect(after.upgradeStatus).toBe(401);
});

test('wrong password and unknown name: the same 401; brute force: 429 RATE_LIMITED', async () => {
  await post('/auth/register', { name: 'nils', password: 'a long password' });
  const wrong = await post('/auth/login', { name: 'nils', password: 'nope nope' });
  const unknown = await post('/auth/login', { name: 'nobody-here', password: 'nope nope' });
  expect(wrong.status).toBe(401);
  expect(unknown.status).toBe(401);
  expect(wrong.json).toEqual(unknown.json);
  let last = wrong;
  for (let i = 0; i < 6 && last.status !== 429; i++) last = await post('/auth/login', { name: 'nils', password: `guess ${i}` });
  expect(last.status).toBe(429);
  expect(last.json.error.code).toBe('RATE_LIMITED');
});

test('guest mode off: the guest token is refused; no game message is processed before authentication', async () => {
  const guest = new RawClient(url);
  await guest.opened;
  guest.hello({ token: 'guest', privateId: 'g' });
  expect((await guest.done).code).toBe(CLOSE.UNAUTHENTICATED);

  const sneaky = new RawClient(url);
  await sneaky.opened;
  sneaky.send({ kind: 'publish', type: 'sneak', body: 'in' });
  expect((await sneaky.done).code).toBe(CLOSE.UNAUTHENTICATED);
  await new Promise((r) => setTimeout(r, 150));
  expect(host.hub.get('world')!.log().some((e) => e.type === 'sneak')).toBe(false);
  expect((await requestWithAuth('POST', `${http}/auth/login`, '{bad json')).json.error.code).toBe('BAD_VALUE');
});
