/**
 * A revoked token ends the sessions that hold it (issue 15: "a socket stays open after its token
 * is logged out or refreshed"; a ban from the CLI revoked the sessions but open sockets stayed
 * open). Over real sockets and HTTP: /auth/logout and /auth/refresh through the host close the
 * old token's sockets at once (4014 REVOKED, error UNAUTHENTICATED); `tessera accounts ban` from
 * build/dist on the same SQLite file is found by the host's token re-check (4012 BANNED); a JSON
 * endpoint join with a logged-out token leaves its stream at once; the re-check also runs on its
 * timer.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../src/net/host';
import { SqliteStore } from '../src/persist/sqlite-store';
import { AccountService } from '../src/persist/accounts';
import { CLOSE, ERROR } from '../src/protocol/errors';
import { RawClient, request } from './helpers/net';
import { builtCli } from './helpers/child-host';
import { testWorld } from './helpers/world-setup';

const SCRYPT = { N: 2 ** 10, r: 8, p: 1, keylen: 64 };
let dir: string, store: SqliteStore, host: Host, http: string, url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-revoke-'));
  store = SqliteStore.open(join(dir, 'tessera.sqlite'));
  const accounts = new AccountService(store, { scrypt: SCRYPT, guests: false });
  // tokenCheckMs 0: the re-check runs when the test calls it
  host = await Host.start({ port: 0, world: testWorld({ spheres: 0 }), accounts, manualTicks: true, tokenCheckMs: 0 });
  http = `http://127.0.0.1:${host.port}`;
  url = `ws://127.0.0.1:${host.port}/ws`;
});
afterAll(async () => {
  await host.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown, token?: string) =>
  request('POST', `${http}${path}`, JSON.stringify(body), token ? { authorization: `Bearer ${token}` } : {});

async function account(name: string): Promise<string> {
  expect((await post('/auth/register', { name, password: 'a long password' })).status).toBe(201);
  const login = await post('/auth/login', { name, password: 'a long password' });
  expect(login.status).toBe(200);
  return login.json.token as string;
}

/** The close code of `c` once it closed (fails within 4 s when the host leaves it open). */
async function closeCode(c: RawClient): Promise<number> {
  await c.until(() => c.closed !== null, 4000, 'the socket closed');
  return c.closed!.code;
}

async function joined(token: string, privateId: string): Promise<RawClient> {
  const c = new RawClient(url, { headers: { authorization: `Bearer ${token}` } });
  expect(await c.opened).toBe(true);
  c.hello({ token: '', privateId });
  await c.until(() => c.of('welcome').length > 0, 5000, 'welcome');
  return c;
}

test("logout through the host closes the token's sockets at once: error UNAUTHENTICATED, close 4014; the client leaves", async () => {
  const token = await account('lena');
  const a = await joined(token, 'lena-1');
  const b = await joined(token, 'lena-2');
  const publicId = a.of('welcome')[0].publicId;
  expect((await post('/auth/logout', {}, token)).status).toBe(200);
  for (const c of [a, b]) {
    expect(await closeCode(c)).toBe(CLOSE.REVOKED);
    expect(c.of('error').at(-1)).toMatchObject({ code: ERROR.UNAUTHENTICATED, message: 'the session was logged out' });
  }
  expect(host.world.stream.isConnected(publicId)).toBe(false); // disconnected at once, not after the silence timeout
});

test("refresh closes the old token's socket (4014); the new token connects again with the same public id", async () => {
  const token = await account('rolf');
  const a = await joined(token, 'rolf-1');
  const publicId = a.of('welcome')[0].publicId;
  const refreshed = await post('/auth/refresh', {}, token);
  expect(refreshed.status).toBe(200);
  expect(await closeCode(a)).toBe(CLOSE.REVOKED);
  expect(a.of('error').at(-1)).toMatchObject({ code: ERROR.UNAUTHENTICATED, message: 'the token was refreshed: connect again with the new token' });
  const again = await joined(refreshed.json.token as string, 'rolf-1');
  expect(again.of('welcome')[0].publicId).toBe(publicId);
  again.close();
  await again.done;
});

test("`tessera accounts ban` on the same SQLite file: the host's token re-check closes the socket with 4012 BANNED", async () => {
  const token = await account('mats');
  const other = await account('otto');
  const a = await joined(token, 'mats-1');
  const o = await joined(other, 'otto-1');
  const publicId = a.of('welcome')[0].publicId;
  const ban = spawnSync(process.execPath, [builtCli(), 'accounts', 'ban', 'mats', '--minutes', '60', '--reason', 'spam', '--data', dir], { encoding: 'utf8' });
  expect(ban.stderr).toBe('');
  expect(ban.status).toBe(0);
  expect(a.closed).toBeNull(); // another process: the host does not know yet
  host.checkTokens();
  expect(await closeCode(a)).toBe(CLOSE.BANNED);
  expect(a.of('error').at(-1)).toMatchObject({ code: ERROR.BANNED });
  expect(host.world.stream.isConnected(publicId)).toBe(false);
  // the re-check leaves valid tokens alone
  host.checkTokens();
  await new Promise((r) => setTimeout(r, 50));
  expect(o.closed).toBeNull();
  o.close();
  await o.done;
});

test('a logout made by another process (same file) is found by the re-check: close 4014', async () => {
  const token = await account('pia');
  const a = await joined(token, 'pia-1');
  const elsewhere = SqliteStore.open(join(dir, 'tessera.sqlite'));
  try {
    expect(new AccountService(elsewhere, { scrypt: SCRYPT }).logout(token)).toBe(true);
  } finally {
    elsewhere.close();
  }
  host.checkTokens();
  expect(await closeCode(a)).toBe(CLOSE.REVOKED);
  expect(a.of('error').at(-1)?.code).toBe(ERROR.UNAUTHENTICATED);
});

test('a JSON endpoint join with a token that is logged out leaves its stream at once', async () => {
  const token = await account('jona');
  const r = await post('/room/jona-1/0', {}, token);
  expect(r.status).toBe(200);
  const room = host.hub.get('room')!;
  expect(room.isConnected(r.json.publicId)).toBe(true);
  expect((await post('/auth/logout', {}, token)).status).toBe(200);
  expect(room.isConnected(r.json.publicId)).toBe(false);
  expect((await post('/room/jona-1/0', {}, token)).status).toBe(401);
});

test('the re-check runs on its timer (tokenCheckMs)', async () => {
  const d = mkdtempSync(join(tmpdir(), 'tessera-revoke-timer-'));
  const s = SqliteStore.open(join(d, 'tessera.sqlite'));
  const accounts = new AccountService(s, { scrypt: SCRYPT, guests: false });
  const h = await Host.start({ port: 0, world: testWorld({ spheres: 0 }), accounts, manualTicks: true, tokenCheckMs: 20 });
  try {
    await accounts.register('tim', 'a long password', '127.0.0.1');
    const { token } = await accounts.login('tim', 'a long password', '127.0.0.1');
    const c = new RawClient(`ws://127.0.0.1:${h.port}/ws`, { headers: { authorization: `Bearer ${token}` } });
    expect(await c.opened).toBe(true);
    c.hello({ token: '', privateId: 'tim-1' });
    await c.until(() => c.of('welcome').length > 0, 5000, 'welcome');
    accounts.revokeAll(accounts.find('tim')!.id); // not through the host: only the timer finds it
    expect(await closeCode(c)).toBe(CLOSE.REVOKED);
  } finally {
    await h.stop();
    s.close();
    rmSync(d, { recursive: true, force: true });
  }
});
