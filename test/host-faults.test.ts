/**
 * Nothing from the network stops the process (issue 15): a JSON body that is not an object on
 * /auth/*, and a throw inside any HTTP route, WebSocket handler or tick, is caught, reported
 * (onFault, HostStats.faults) and answered: 400/500 with a code over HTTP, an error and close
 * 1011 on the WebSocket, a skipped tick. Real sockets on loopback; ticks are manual.
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

describe('bodies that are JSON but not objects on /auth/*', () => {
  let dir: string, store: SqliteStore, host: Host, http: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-faults-'));
    store = SqliteStore.open(join(dir, 'a.sqlite'));
    const accounts = new AccountService(store, { scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 64 } });
    host = await Host.start({ port: 0, world: testWorld({ spheres: 0 }), accounts, manualTicks: true, onFault: () => {} });
    http = `http://127.0.0.1:${host.port}`;
  });
  afterAll(async () => {
    await host.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test.each(['null', '3', '"name"', '[]', 'true'])('POST /auth/login and /auth/register with %s: 400 BAD_VALUE, the host lives', async (body) => {
    for (const action of ['login', 'register', 'refresh', 'logout']) {
      const r = await request('POST', `${http}/auth/${action}`, body);
      expect([r.status, r.json.error?.code]).toEqual([400, ERROR.BAD_VALUE]);
    }
    expect((await request('GET', `${http}/healthz`)).status).toBe(200);
    expect(host.statistics.faults).toBe(0);
  });
});

describe('a throw inside a handler or a tick', () => {
  let host: Host, http: string, url: string;
  const faults: string[] = [];
  let tickThrows = false;
  beforeAll(async () => {
    host = await Host.start({
      port: 0,
      world: testWorld({ spheres: 0 }),
      manualTicks: true,
      authenticate: (t) => {
        if (t === 'boom') throw new TypeError('authenticator bug');
        return t === 'guest' ? { account: 'guest', guest: true } : null;
      },
      onFault: (where) => {
        faults.push(where);
      },
      onTick: () => {
        if (tickThrows) throw new Error('onTick bug');
      },
    });
    http = `http://127.0.0.1:${host.port}`;
    url = `ws://127.0.0.1:${host.port}/ws`;
  });
  afterAll(async () => {
    await host.stop();
  });

  test('in the WebSocket upgrade: 500, reported, the host lives', async () => {
    const c = new RawClient(url, { headers: { authorization: 'Bearer boom' } });
    expect(await c.opened).toBe(false);
    expect(c.upgradeStatus).toBe(500);
    expect(faults).toContain('ws.upgrade');
    expect((await request('GET', `${http}/healthz`)).status).toBe(200);
  });

  test('in a WebSocket message (hello): error INTERNAL and close 1011, reported', async () => {
    const c = new RawClient(url);
    expect(await c.opened).toBe(true);
    c.hello({ token: 'boom' });
    expect((await c.done).code).toBe(CLOSE.INTERNAL);
    expect(c.of('error').map((e) => e.code)).toContain(ERROR.INTERNAL);
    expect(faults).toContain('ws.message');
  });

  test('in the JSON endpoint: 500 INTERNAL, reported', async () => {
    const r = await request('POST', `${http}/lobby/me/0`, '{}', { authorization: 'Bearer boom' });
    expect(r.status).toBe(500);
    expect(r.json.error.code).toBe(ERROR.INTERNAL);
  });

  test('in a tick: reported and skipped, the next tick runs', async () => {
    const before = host.statistics.faults,
      t = host.world.stream.tick;
    tickThrows = true;
    expect(() => host.tickOnce()).not.toThrow();
    tickThrows = false;
    expect(host.statistics.faults).toBe(before + 1);
    expect(faults[faults.length - 1]).toBe('tick');
    host.tickOnce();
    expect(host.world.stream.tick).toBe(t + 2);
  });
});
