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
import { CLOSE, ERROR } from '../src/protocol/errors';
import { RawClient, request } from './helpers/net';
import { testWorld } from './helpers/world-setup';

let dir: string, store: SqliteStore, host: Host, http: string, url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-auth-'));
  store = SqliteStore.open(join(dir, 'accounts.sqlite'));
  const accounts = new AccountService(store, { scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 64 }, guests: false });
  host = await Host.start({ port: 0, world: testWorld({ spheres: 0 }), accounts, avatars: store, authTimeoutMs: 500, silenceMs: 600 });
  http = `http://127.0.0.1:${host.port}`;
  url = `ws://127.0.0.1:${host.port}/ws`;
});
afterAll(async () => {
  await host.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown, token?: string) => requestWithAuth('POST', `${http}${path}`, JSON.stringify(body), token);

function requestWithAuth(method: string, u: string, body: string, token?: string): Promise<{ status: number; json: any }> {
  return token ? request(method, u, body, { authorization: `Bearer ${token}` }) : request(method, u, body);
}

test('register, log in, open the WebSocket with the token, refresh, log out', async () => {
  expect((await post('/auth/register', { name: 'mira', password: 'a long password' })).status).toBe(201);
  expect((await post('/auth/register', { name: 'MIRA', password: 'another password' })).json.error).toEqual({
    code: ERROR.TAKEN,
    name: 'TAKEN',
    message: 'that name is taken',
  });
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
  viaHello.hello({ token, privateId: 'mira-2' }); // the old token was rotated out
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
  expect(last.json.error).toMatchObject({ code: ERROR.RATE_LIMITED, name: 'RATE_LIMITED' });
  expect(wrong.json.error).toMatchObject({ code: ERROR.INVALID_CREDENTIALS, name: 'INVALID_CREDENTIALS' });
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
  expect(
    host.hub
      .get('world')!
      .log()
      .some((e) => e.type === 'sneak'),
  ).toBe(false);
  expect((await requestWithAuth('POST', `${http}/auth/login`, '{bad json')).json.error).toMatchObject({ code: ERROR.BAD_VALUE, name: 'BAD_VALUE' });
});

test("an account's avatar is saved when it leaves and comes back where it left", async () => {
  await post('/auth/register', { name: 'olga', password: 'a long password' });
  const { token } = (await post('/auth/login', { name: 'olga', password: 'a long password' })).json as { token: string };
  const first = new RawClient(url);
  await first.opened;
  first.hello({ token, privateId: 'olga-phone' });
  await first.until(() => first.of('welcome').length > 0);
  const p1 = first.of('welcome')[0].publicId;
  for (let i = 0; i < 30; i++) {
    first.send({ kind: 'input', input: { seq: i, walkX: 1000, walkZ: 0, jump: false } });
    await new Promise((r) => setTimeout(r, 50));
  }
  first.close();
  const account = store.accountByName('olga')!.id;
  const deadline = Date.now() + 5000;
  while (!store.loadAvatar(account) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const saved = store.loadAvatar(account)!;
  expect(saved).not.toBeNull();
  expect(host.world.sim.avatars.has(p1)).toBe(false); // despawned at its _d
  const spawn = testWorld().spawnPoints![(p1 - 1) % 8];
  expect(Math.hypot(saved.position[0] - spawn[0], saved.position[2] - spawn[2])).toBeGreaterThan(1); // it had walked

  const second = new RawClient(url);
  await second.opened;
  second.hello({ token, privateId: 'olga-laptop' }); // another device: a new public id
  await second.until(() => second.of('welcome').length > 0);
  const p2 = second.of('welcome')[0].publicId;
  expect(p2).not.toBe(p1);
  await new Promise((r) => setTimeout(r, 300));
  const at = host.world.avatarPosition(p2)!;
  expect(Math.hypot(at[0] - saved.position[0], at[2] - saved.position[2])).toBeLessThan(0.2);
  second.close();
});
