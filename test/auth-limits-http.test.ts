/**
 * The registration and login limits over real HTTP (issue 15: 200 registrations halved the tick
 * rate): /auth/register from one address is refused with 429 RATE_LIMITED and Retry-After once
 * its budget is spent, before any scrypt work; a password with a lone surrogate is 400 BAD_VALUE.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../src/net/host';
import { SqliteStore } from '../src/persist/sqlite-store';
import { AccountService } from '../src/persist/accounts';
import { request } from './helpers/net';
import { testWorld } from './helpers/world-setup';

let dir: string, store: SqliteStore, host: Host, http: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-auth-limits-'));
  store = SqliteStore.open(join(dir, 'accounts.sqlite'));
  const accounts = new AccountService(store, { scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 64 }, registerPerAddress: { burst: 2, perMinute: 1 } });
  host = await Host.start({ port: 0, world: testWorld({ spheres: 0 }), accounts, manualTicks: true });
  http = `http://127.0.0.1:${host.port}`;
});
afterAll(async () => {
  await host.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('/auth/register from one address: 429 RATE_LIMITED with Retry-After after its budget', async () => {
  const reg = (name: string, password = 'a long password') => request('POST', `${http}/auth/register`, JSON.stringify({ name, password }));
  expect((await reg('ann')).status).toBe(201);
  expect((await reg('bob')).status).toBe(201);
  const third = await reg('cid');
  expect(third.status).toBe(429);
  expect(third.json.error.name).toBe('RATE_LIMITED');
  expect(Number(third.headers['retry-after'])).toBe(60);
  expect(store.accountByName('cid')).toBeNull();
});

test('a password with a lone surrogate is 400 BAD_VALUE at login', async () => {
  const r = await request('POST', `${http}/auth/login`, JSON.stringify({ name: 'ann', password: 'long pass \ud800' }));
  expect(r.status).toBe(400);
  expect(r.json.error.name).toBe('BAD_VALUE');
});
