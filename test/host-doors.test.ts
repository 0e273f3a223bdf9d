/**
 * The host's doors (issue 15), over real HTTP and WebSockets on loopback, ticks driven by hand
 * and a fake clock: identity is the authenticated principal (a private id is scoped by it), the
 * JSON endpoint authenticates like /ws, reserved event types are refused, a refused JSON request
 * changes nothing, '_id' does not show account ids, and the JSON endpoint falls back to the
 * '_s' snapshot (world) or a reset (other streams) like the WebSocket.
 */
import { Host, type HostOptions } from '../src/net/host';
import { SqliteStore } from '../src/persist/sqlite-store';
import { AccountService } from '../src/persist/accounts';
import { ERROR } from '../src/protocol/errors';
import { RawClient, request, waitFor } from './helpers/net';
import { testWorld } from './helpers/world-setup';

interface World {
  host: Host;
  store: SqliteStore;
  accounts: AccountService;
  clock: { t: number };
  url: string;
  http: string;
}

async function world(opts: HostOptions & { guestAccounts?: boolean } = {}): Promise<World> {
  const clock = { t: 1_000_000 };
  const store = SqliteStore.open(':memory:');
  const accounts = new AccountService(store, { now: () => clock.t, scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 64 }, guests: opts.guestAccounts ?? true });
  const host = await Host.start({ port: 0, world: testWorld({ spheres: 0 }), accounts, manualTicks: true, clock: () => clock.t, ...opts });
  return { host, store, accounts, clock, url: `ws://127.0.0.1:${host.port}/ws`, http: `http://127.0.0.1:${host.port}` };
}
async function close(w: World): Promise<void> {
  await w.host.stop();
  w.store.close();
}

async function account(w: World, name: string, role = 'player'): Promise<{ id: number; token: string }> {
  const a = await w.accounts.register(name, 'a long password');
  w.store.setRole(a.id, role);
  const r = await request('POST', `${w.http}/auth/login`, JSON.stringify({ name, password: 'a long password' }));
  return { id: a.id, token: r.json.token as string };
}

async function join(w: World, token: string, privateId: string, stream = 'world'): Promise<RawClient & { publicId: number }> {
  const c = new RawClient(w.url) as RawClient & { publicId: number };
  await c.opened;
  c.hello({ token, privateId, stream });
  await c.until(() => c.of('welcome').length > 0, 5000, 'welcome');
  c.publicId = c.of('welcome')[0].publicId;
  return c;
}

const json = (w: World, path: string, body: unknown, token?: string) =>
  request('POST', `${w.http}${path}`, typeof body === 'string' ? body : JSON.stringify(body), token ? { authorization: `Bearer ${token}` } : {});

describe('identity is the principal', () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });
  afterAll(async () => {
    await close(w);
  });

  test("a player who connects first with an admin's private id gets its own public id and cannot run admin commands", async () => {
    const admin = await account(w, 'root', 'admin'),
      mallory = await account(w, 'mallory');
    const evil = await join(w, mallory.token, 'root-laptop'); // the admin's private id, first
    const real = await join(w, admin.token, 'root-laptop');
    expect(real.publicId).not.toBe(evil.publicId);
    evil.send({ kind: 'admin', command: 'role', args: [String(evil.publicId), 'admin'] });
    real.send({ kind: 'admin', command: 'broadcast', args: ['hello'] });
    await waitFor(() => w.host.world.stream.openEvents().filter((e) => e.type === 'ad').length === 2, 3000, 'both commands in the tick');
    w.host.tickOnce();
    await evil.until(() => evil.of('adminResult').length > 0, 3000, 'the refusal');
    await real.until(() => real.of('adminResult').length > 0, 3000, "the admin's result");
    expect(evil.of('adminResult')[0]).toMatchObject({ command: 'role', ok: false });
    expect(real.of('adminResult')[0]).toMatchObject({ command: 'broadcast', ok: true });
    expect(w.store.accountByName('mallory')!.role).toBe('player');
    evil.close();
    real.close();
  });

  test('two accounts with the same private id are two clients; two guests with the same private id too', async () => {
    const a = await account(w, 'anna'),
      b = await account(w, 'bert');
    const ra = await json(w, '/lobby/same-id/0', {}, a.token),
      rb = await json(w, '/lobby/same-id/0', {}, b.token);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(ra.json.publicId).not.toBe(rb.json.publicId);
    const again = await json(w, '/lobby/same-id/0', {}, a.token);
    expect(again.json.publicId).toBe(ra.json.publicId); // the same account keeps its id
    const g1 = await join(w, 'guest', 'guest-id', 'lobby'),
      g2 = await join(w, 'guest', 'guest-id', 'lobby');
    expect(g1.publicId).not.toBe(g2.publicId);
    const j1 = await json(w, '/lobby/guest-id/0', {}),
      j2 = await json(w, '/lobby/guest-id/0', {});
    expect(j1.json.publicId).not.toBe(j2.json.publicId);
    const j1again = await json(w, '/lobby/guest-id/0', {}, j1.json.session); // a guest keeps its session with its token
    expect(j1again.json.publicId).toBe(j1.json.publicId);
    g1.close();
    g2.close();
  });

  test('a guest that reconnects within the silence window resumes its public id; later, or while the first is connected, it is another client', async () => {
    const a = await join(w, 'guest', 'blip', 'lobby');
    const twin = await join(w, 'guest', 'blip', 'lobby'); // same private id, at the same time
    expect(twin.publicId).not.toBe(a.publicId);
    twin.close();
    await twin.done;
    a.close();
    await a.done;
    const back = await join(w, 'guest', 'blip', 'lobby');
    expect(back.publicId).toBe(a.publicId); // the last one to leave is parked: the latest wins
    back.close();
    await back.done;
    w.clock.t += 60_000; // past the silence window
    const later = await join(w, 'guest', 'blip', 'lobby');
    expect([a.publicId, twin.publicId]).not.toContain(later.publicId);
    later.close();
  });

  test('clients do not receive account ids in _id; the log keeps them', async () => {
    const c = await account(w, 'carla'),
      d = await account(w, 'dora');
    const cc = await join(w, c.token, 'carla-1');
    const dd = await join(w, d.token, 'dora-1');
    w.host.tickOnce();
    await cc.until(() => cc.of('events').some((m) => m.events.some((e) => e.type === '_id' && e.body.startsWith(`${dd.publicId},`))), 3000, "dora's _id");
    const ids = cc
      .of('events')
      .flatMap((m) => m.events)
      .filter((e) => e.type === '_id');
    for (const e of ids) expect(e.body.split(',')).toHaveLength(2);
    expect(ids.find((e) => e.body.startsWith(`${dd.publicId},`))!.body).toBe(`${dd.publicId},player`);
    expect(ids.some((e) => e.body.includes(String(d.id)) && !e.body.startsWith(`${d.id},`))).toBe(false);
    const logged = w.host.world.stream.log().find((e) => e.type === '_id' && e.body.startsWith(`${dd.publicId},`))!;
    expect(logged.body).toBe(`${dd.publicId},${d.id},player`);
    // the JSON endpoint and a late joiner's catch-up are redacted too
    const j = await json(w, '/world/carla-json/0', {}, c.token);
    expect((j.json.events as Array<{ type: string; body: string }>).filter((e) => e.type === '_id').every((e) => e.body.split(',').length === 2)).toBe(true);
    cc.close();
    dd.close();
  });
});

describe('every door authenticates', () => {
  test('guests off: the JSON endpoint without a token is 401 and creates nothing; with a token it works', async () => {
    const w = await world({ guestAccounts: false, guests: false });
    try {
      const before = w.host.statistics.streams;
      const r = await json(w, '/side/anon/0', {});
      expect([r.status, r.json.error.code]).toEqual([401, ERROR.UNAUTHENTICATED]);
      expect((await json(w, '/world/anon/0', { events: [{ type: 'hi', body: 'x' }] })).status).toBe(401);
      expect((await json(w, '/world/anon/0', {}, 'not-a-token')).status).toBe(401);
      expect(w.host.statistics.streams).toBe(before);
      expect(w.host.hub.get('side')).toBeUndefined();
      expect(w.host.world.stream.clientCount).toBe(0);
      const a = await account(w, 'erin');
      const ok = await json(w, '/side/erin-1/0', {}, a.token);
      expect(ok.status).toBe(200);
      expect(ok.json.session).toBeUndefined();
    } finally {
      await close(w);
    }
  });

  test('guests on: a JSON request without a token is a guest', async () => {
    const w = await world();
    try {
      const r = await json(w, '/side/anon/0', {});
      expect(r.status).toBe(200);
      expect(r.json.session).toMatch(/^gs\.[0-9a-f]{32}$/);
      expect(w.host.statistics.guestSessions).toBe(1);
      expect((await json(w, '/side/anon/0', {}, 'gs.0123456789abcdef0123456789abcdef')).status).toBe(401); // an unknown guest session
    } finally {
      await close(w);
    }
  });
});

describe('reserved event types; a refused request changes nothing', () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });
  afterAll(async () => {
    await close(w);
  });

  test.each(['ad', 'ch', 'in', 'sp', '_ta', '_id'])('publish %s on the world stream over the WebSocket: NOT_ALLOWED, not in the log', async (type) => {
    const c = await join(w, 'guest', `pub-${type}`);
    c.send({ kind: 'publish', type, body: type === 'ad' ? '{"cmd":"shutdown","args":[]}' : '1,1,1' });
    await c.until(() => c.of('error').length > 0, 3000, 'the refusal');
    expect(c.of('error')[0].code).toBe(ERROR.NOT_ALLOWED);
    w.host.tickOnce();
    expect(w.host.world.stream.log().some((e) => e.type === type && e.origin === c.publicId)).toBe(false);
    c.close();
  });

  test('ow published over the WebSocket is charged to the ownership budget too (publish cannot skip a typed limit)', async () => {
    const c = await join(w, 'guest', 'ow-flood');
    for (let i = 0; i < 30; i++) c.send({ kind: 'publish', type: 'ow', body: JSON.stringify({ a: 'request', o: `${i}:0` }) });
    await c.until(() => c.of('error').some((e) => e.code === ERROR.RATE_LIMITED), 3000, 'the limit');
    c.send({ kind: 'ping', nonce: 1n });
    await c.until(() => c.of('pong').length > 0, 3000, 'all 30 handled');
    const published = w.host.world.stream.openEvents().filter((e) => e.type === 'ow' && e.origin === c.publicId).length;
    expect(published).toBeGreaterThanOrEqual(10); // the ownership burst
    expect(published).toBeLessThanOrEqual(12); // not the publish burst (40)
    w.host.tickOnce();
    c.close();
  });

  test("the JSON endpoint refuses a reserved type with 403, and publishes none of the request's events", async () => {
    const a = await account(w, 'fay');
    const clients = w.host.world.stream.clientCount;
    for (const type of ['ad', 'ch', 'ob', 'ow', 'cg', 'bk', 'in', 'sp', '_x']) {
      const r = await json(
        w,
        '/world/fay-1/0',
        {
          events: [
            { type: 'ok', body: '1' },
            { type, body: '{}' },
          ],
        },
        a.token,
      );
      expect([r.status, r.json.error.code]).toEqual([403, ERROR.NOT_ALLOWED]);
    }
    w.host.tickOnce();
    expect(w.host.world.stream.clientCount).toBe(clients); // nobody joined
    expect(w.host.world.stream.log().some((e) => e.type === 'ok')).toBe(false);
  });

  test('a request answered 4xx created no stream, joined no client, published nothing', async () => {
    const streams = w.host.statistics.streams;
    const bad = [
      {
        events: [
          { type: 'ok', body: '1' },
          { type: 'x'.repeat(40), body: '' },
        ],
      }, // type too long
      {
        events: [
          { type: 'ok', body: '1' },
          { type: 'big', body: 'x'.repeat(5000) },
        ],
      }, // body too large
      { events: [{ type: 'ok', body: '1' }, { type: 'bad' }, 7] },
    ];
    for (const b of bad) expect((await json(w, '/brand-new/me/0', b)).status).toBe(400);
    expect((await json(w, '/brand-new/me/x', {})).status).toBe(400);
    expect((await json(w, `/brand-new/${'p'.repeat(129)}/0`, {})).status).toBe(400);
    expect(w.host.hub.get('brand-new')).toBeUndefined();
    expect(w.host.statistics.streams).toBe(streams);
    expect(w.host.statistics.guestSessions).toBe(0); // not even a guest session
    const ok = await json(w, '/brand-new/me/0', { events: [{ type: 'ok', body: '1' }] });
    expect(ok.status).toBe(200);
    const retry = await json(
      w,
      '/brand-new/me/0',
      {
        events: [
          { type: 'ok', body: '1' },
          { type: '_x', body: '' },
        ],
      },
      ok.json.session,
    );
    expect(retry.status).toBe(403);
    w.host.tickOnce();
    expect(
      w.host.hub
        .get('brand-new')!
        .log()
        .filter((e) => e.type === 'ok'),
    ).toHaveLength(1);
  });
});

describe('catch-up over the JSON endpoint', () => {
  test('lastKnownTick 0 on a world whose log was trimmed gets the _s snapshot and the events after it, not 410', async () => {
    const w = await world({ worldLoop: { snapshotEvery: 20, retainTicks: 40 } });
    try {
      for (let i = 0; i < 200; i++) {
        w.clock.t += 50;
        w.host.tickOnce();
      }
      expect(w.host.world.stream.firstTick).toBeGreaterThan(0);
      const r = await json(w, '/world/late/0', {});
      expect(r.status).toBe(200);
      expect(r.json.events[0].type).toBe('_s');
      expect(JSON.parse(r.json.events[0].body).tick).toBe(r.json.events[0].tick);
      expect(r.json.tick).toBe(w.host.world.stream.tick);
    } finally {
      await close(w);
    }
  });

  test('a side stream forgotten while idle and created again: an old lastKnownTick gets _a (a reset)', async () => {
    const w = await world({ idleStreamMs: 5_000, silenceMs: 1_000 });
    try {
      for (let i = 0; i < 5; i++) {
        w.clock.t += 50;
        w.host.tickOnce();
      }
      const first = await json(w, '/room/me/0', { events: [{ type: 'hi', body: '1' }] });
      expect(first.status).toBe(200);
      const seed = w.host.hub.get('room')!.seed;
      for (let i = 0; i < 10; i++) {
        w.clock.t += 50;
        w.host.tickOnce();
      }
      const known = (await json(w, '/room/me/0', {}, first.json.session)).json.tick as number;
      // silent (its _d after 1 s), then idle for 5 s: the stream is forgotten
      for (let i = 0; i < 160; i++) {
        w.clock.t += 50;
        w.host.tickOnce();
      }
      expect(w.host.hub.get('room')).toBeUndefined();
      expect(w.host.statistics.streamsForgotten).toBe(1);
      // the new stream's '_a' is in its first tick: the answer points there, and the next poll has it
      const back = await json(w, `/room/me/${known}`, {}, first.json.session);
      expect(back.status).toBe(200);
      expect(back.json.tick).toBeGreaterThan(known);
      w.clock.t += 50;
      w.host.tickOnce();
      const next = await json(w, `/room/me/${back.json.tick}`, {}, first.json.session);
      expect(next.json.events[0].type).toBe('_a');
      expect(next.json.events[0].body).not.toBe(seed);
      // a lastKnownTick from the future (a host that restarted without its log) is a reset too
      const future = await json(w, '/room/me/99999999', {}, first.json.session);
      expect(future.json.events[0].type).toBe('_a');
    } finally {
      await close(w);
    }
  });
});
