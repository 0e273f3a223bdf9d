/**
 * One error table over HTTP: every error body the host writes, on every door (unknown route,
 * refused WebSocket upgrade, the JSON endpoint, /auth/*, /chat/history), is
 * `{"error": {"code": <number>, "name": "<NAME>", "message": "..."}}` with `name` the key of
 * `code` in src/protocol/errors.ts ERROR. (Before, /auth/* and /chat/history answered with
 * string codes and the others without names.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../src/net/host';
import { SqliteStore } from '../src/persist/sqlite-store';
import { AccountService } from '../src/persist/accounts';
import { ERROR, ERROR_NAME, errorBody, type ErrorCode } from '../src/protocol/errors';
import { BotRun } from '../src/bots';
import { request, waitFor } from './helpers/net';
import { testWorld } from './helpers/world-setup';

let dir: string, store: SqliteStore, host: Host, bare: Host, http: string, bareHttp: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-errors-'));
  store = SqliteStore.open(join(dir, 'accounts.sqlite'));
  const accounts = new AccountService(store, { scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 64 }, guests: false });
  host = await Host.start({
    port: 0,
    world: testWorld({ spheres: 0 }),
    accounts,
    avatars: store,
    records: store,
    manualTicks: true,
    originAllowList: ['http://good.example'],
  });
  bare = await Host.start({ port: 0, world: testWorld({ spheres: 0 }), manualTicks: true });
  http = `http://127.0.0.1:${host.port}`;
  bareHttp = `http://127.0.0.1:${bare.port}`;
});
afterAll(async () => {
  await host.stop();
  await bare.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Asserts the one shape of an HTTP error body and returns its code. */
function expectError(r: { status: number; json: any }, status: number, code: ErrorCode): void {
  expect(r.status).toBe(status);
  expect(Object.keys(r.json)).toEqual(['error']);
  expect(Object.keys(r.json.error).sort()).toEqual(['code', 'message', 'name']);
  expect(r.json.error).toMatchObject({ code, name: ERROR_NAME[code] });
  expect(typeof r.json.error.message).toBe('string');
  expect(r.json.error.message.length).toBeGreaterThan(0);
}

/** A WebSocket upgrade request answered without switching protocols: status and JSON body. */
function refusedUpgrade(url: string, headers: Record<string, string>): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    req.on('upgrade', () => reject(new Error('the upgrade was accepted')));
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the table: codes are unique, every code has its name, errorBody builds the one shape', () => {
  const codes = Object.values(ERROR);
  expect(new Set(codes).size).toBe(codes.length);
  for (const [name, code] of Object.entries(ERROR)) expect(ERROR_NAME[code]).toBe(name);
  expect(errorBody(ERROR.TAKEN, 'that name is taken')).toEqual({ error: { code: 4007, name: 'TAKEN', message: 'that name is taken' } });
  expect(ERROR.INVALID_CREDENTIALS).toBe(2003);
});

test('/auth/*: numeric codes with names for BAD_VALUE, TAKEN, INVALID_CREDENTIALS, RATE_LIMITED, NOT_FOUND, TOO_LARGE', async () => {
  const post = (path: string, body: string, headers: Record<string, string> = {}) => request('POST', `${http}${path}`, body, headers);
  expectError(await post('/auth/register', JSON.stringify({ name: 'x', password: 'a long password' })), 400, ERROR.BAD_VALUE);
  expectError(await post('/auth/login', '{not json'), 400, ERROR.BAD_VALUE);
  expect((await post('/auth/register', JSON.stringify({ name: 'tess', password: 'a long password' }))).status).toBe(201);
  expectError(await post('/auth/register', JSON.stringify({ name: 'tess', password: 'a long password' })), 409, ERROR.TAKEN);
  expectError(await post('/auth/login', JSON.stringify({ name: 'tess', password: 'wrong password' })), 401, ERROR.INVALID_CREDENTIALS);
  expectError(await post('/auth/refresh', '', { authorization: 'Bearer forged' }), 401, ERROR.INVALID_CREDENTIALS);
  expectError(await post('/auth/logout', '', { authorization: 'Bearer forged' }), 401, ERROR.INVALID_CREDENTIALS);
  expectError(await post('/auth/nonsense', '{}'), 404, ERROR.NOT_FOUND);
  expectError(await post('/auth/login', 'x'.repeat(5000)), 413, ERROR.TOO_LARGE);
  let last = { status: 0, json: null as any };
  for (let i = 0; i < 8 && last.status !== 429; i++) last = await post('/auth/login', JSON.stringify({ name: 'tess', password: `guess ${i}` }));
  expectError(last, 429, ERROR.RATE_LIMITED);
  // a host without an account service
  expectError(await request('POST', `${bareHttp}/auth/login`, '{}'), 404, ERROR.NOT_FOUND);
});

test('/chat/history: UNAUTHENTICATED, BAD_VALUE, NOT_ALLOWED, and NOT_FOUND on a host without records', async () => {
  await request('POST', `${http}/auth/register`, JSON.stringify({ name: 'chatter', password: 'a long password' }));
  const login = await request('POST', `${http}/auth/login`, JSON.stringify({ name: 'chatter', password: 'a long password' }));
  const token = login.json.token as string,
    me = login.json.accountId as number;
  const get = (q: string, t?: string, base = http) => request('GET', `${base}/chat/history?${q}`, '', t ? { authorization: `Bearer ${t}` } : {});
  expectError(await get('channel=world'), 401, ERROR.UNAUTHENTICATED);
  expectError(await get('channel=elsewhere', token), 400, ERROR.BAD_VALUE);
  expectError(await get('channel=world&limit=0', token), 400, ERROR.BAD_VALUE);
  expectError(await get(`channel=private:${me + 100}:${me + 101}`, token), 403, ERROR.NOT_ALLOWED);
  expectError(await get('channel=world', 'guest', bareHttp), 404, ERROR.NOT_FOUND);
});

test('the JSON endpoint and unknown routes: BAD_VALUE, BAD_MESSAGE, TOO_LARGE, NOT_FOUND', async () => {
  expectError(await request('POST', `${bareHttp}/lobby/me/x`, '{}'), 400, ERROR.BAD_VALUE);
  expectError(await request('POST', `${bareHttp}/lobby/me/0`, '{not json'), 400, ERROR.BAD_MESSAGE);
  expectError(await request('POST', `${bareHttp}/lobby/me/0`, 'x'.repeat(70 * 1024)), 413, ERROR.TOO_LARGE);
  expectError(await request('GET', `${bareHttp}/no/such/route/here`), 404, ERROR.NOT_FOUND);
});

test('a refused WebSocket upgrade: BAD_ORIGIN, UNAUTHENTICATED', async () => {
  expectError(await refusedUpgrade(`${http}/ws`, { origin: 'http://evil.example' }), 403, ERROR.BAD_ORIGIN);
  expectError(await refusedUpgrade(`${http}/ws`, { authorization: 'Bearer forged' }), 401, ERROR.UNAUTHENTICATED);
});

test('a client that reads the codes: a bot with an account registers on INVALID_CREDENTIALS, then logs in and joins', async () => {
  const run = new BotRun({
    url: `ws://127.0.0.1:${host.port}/ws`,
    count: 1,
    durationSec: 0,
    accounts: true,
    name: 'codebot',
    progressEverySec: 0,
    chatEverySec: 3600,
    throwEverySec: 3600,
  }).start();
  try {
    await waitFor(() => run.summary().everConnected === 1, 20_000, 'the bot registered, logged in and was welcomed');
    expect(store.accountByName('codebot-0')).not.toBeNull();
  } finally {
    const summary = await run.stop();
    expect(summary.everConnected).toBe(1);
    expect(summary.errorCodes.login).toBeUndefined();
  }
}, 30_000);
