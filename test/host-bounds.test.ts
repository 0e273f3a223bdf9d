/**
 * Bounded host state (issue 15), each bound with its setting and its figure in HostStats, over
 * real HTTP and WebSockets on loopback with manual ticks and a fake clock: side-stream logs
 * trimmed and catch-up paged (a catch-up from tick 0 of a long stream no longer overflows
 * JSON.stringify), streams per host and per principal, idle streams and departed clients
 * forgotten, and admission control (joins per second) answered before per-client memory.
 */
import { Host, type HostOptions } from '../src/net/host';
import { HostMetrics } from '../src/net/metrics';
import { ERROR } from '../src/protocol/errors';
import { RawClient, request } from './helpers/net';
import { testWorld } from './helpers/world-setup';

interface H {
  host: Host;
  clock: { t: number };
  url: string;
  http: string;
}

async function start(opts: HostOptions = {}): Promise<H> {
  const clock = { t: 1_000_000 };
  const host = await Host.start({
    port: 0,
    world: testWorld({ spheres: 0 }),
    manualTicks: true,
    clock: () => clock.t,
    authenticate: (t) => (t === 'guest' ? { account: 'guest', guest: true } : t.startsWith('user-') ? { account: t, guest: false } : null),
    ...opts,
  });
  return { host, clock, url: `ws://127.0.0.1:${host.port}/ws`, http: `http://127.0.0.1:${host.port}` };
}
const tick = (h: H, n = 1): void => {
  for (let i = 0; i < n; i++) {
    h.clock.t += 50;
    h.host.tickOnce();
  }
};
const json = (h: H, path: string, body: unknown = {}, token?: string) =>
  request('POST', `${h.http}${path}`, JSON.stringify(body), token ? { authorization: `Bearer ${token}` } : {});

describe('side-stream logs and catch-up', () => {
  test('a side stream keeps streamRetainTicks of log; catch-up from 0 pages through it (no RangeError), each page bounded', async () => {
    const h = await start({ streamRetainTicks: 100, maxJsonEvents: 300, maxJsonReplyBytes: 64 * 1024 });
    try {
      const me = await json(h, '/big/writer/0', {}, 'user-w');
      expect(me.status).toBe(200);
      const body = 'x'.repeat(4000);
      for (let i = 0; i < 300; i++) {
        const r = await json(h, '/big/writer/0', { events: Array.from({ length: 4 }, (_, k) => ({ type: 'blob', body: `${i}.${k}.${body}` })) }, 'user-w');
        if (i === 0) expect(r.status).toBe(200);
        tick(h);
      }
      const st = h.host.hub.get('big')!;
      expect(st.tick - st.firstTick).toBeLessThanOrEqual(100 + 20); // trimmed at each sweep (once a second)
      expect(h.host.statistics.sideLogEvents).toBeLessThanOrEqual(4 * 121 + 4);
      // a reader from tick 0: a reset ('_a' first, since tick 0 is gone), then pages up to the server tick
      let known = 0,
        pages = 0,
        events: Array<{ tick: number; type: string; body: string }> = [];
      for (;;) {
        const r = await json(h, `/big/reader/${known}`, {}, 'user-r');
        expect(r.status).toBe(200);
        expect(r.json.events.length).toBeLessThanOrEqual(300);
        expect(JSON.stringify(r.json.events).length).toBeLessThan(64 * 1024 + 4 * 4100); // the first tick always whole
        events = events.concat(r.json.events);
        known = r.json.tick;
        pages++;
        if (!r.json.more) break;
      }
      expect(pages).toBeGreaterThan(1);
      expect(events[0].type).toBe('_a');
      expect(events[0].body).toBe(st.seed);
      expect(known).toBe(st.tick);
      const blobs = events.filter((e) => e.type === 'blob');
      expect(blobs.length).toBe(st.log().filter((e) => e.type === 'blob').length); // every retained event, once, in order
      for (let i = 1; i < events.length; i++) expect(events[i].tick).toBeGreaterThanOrEqual(events[i - 1].tick);
    } finally {
      await h.host.stop();
    }
  });

  test('a WebSocket catch-up of a side stream is bounded by maxCatchUpBytes: a reset to the newest events that fit', async () => {
    const h = await start({ maxCatchUpBytes: 40 * 1024 });
    try {
      await json(h, '/big/writer/0', {}, 'user-w');
      for (let i = 0; i < 50; i++) {
        await json(h, '/big/writer/0', { events: [{ type: 'blob', body: `${i}:${'y'.repeat(4000)}` }] }, 'user-w');
        tick(h);
      }
      const c = new RawClient(h.url);
      await c.opened;
      c.hello({ token: 'user-r', stream: 'big', privateId: 'ws-reader', lastKnownTick: 0 });
      await c.until(() => c.of('events').length > 0, 3000, 'catch-up');
      const got = c.of('events').flatMap((m) => m.events);
      expect(got[0].type).toBe('_a');
      const blobs = got.filter((e) => e.type === 'blob');
      expect(blobs.length).toBeGreaterThan(0);
      expect(blobs.length).toBeLessThanOrEqual(10);
      expect(blobs[blobs.length - 1].body.startsWith('49:')).toBe(true); // the newest ones
      c.close();
    } finally {
      await h.host.stop();
    }
  });
});

describe('streams', () => {
  test('maxStreams per host and maxStreamsPerPrincipal: creation refused with FULL (503), nothing created', async () => {
    const h = await start({ maxStreams: 5, maxStreamsPerPrincipal: 2 });
    try {
      expect((await json(h, '/a1/p/0', {}, 'user-a')).status).toBe(200);
      expect((await json(h, '/a2/p/0', {}, 'user-a')).status).toBe(200);
      const third = await json(h, '/a3/p/0', {}, 'user-a');
      expect([third.status, third.json.error.code]).toEqual([503, ERROR.FULL]);
      expect((await json(h, '/a1/q/0', {}, 'user-a')).status).toBe(200); // joining an existing stream is fine
      expect((await json(h, '/b1/p/0', {}, 'user-b')).status).toBe(200);
      expect((await json(h, '/b2/p/0', {}, 'user-b')).status).toBe(200); // 5 streams with the world
      const full = await json(h, '/c1/p/0', {}, 'user-c');
      expect([full.status, full.json.error.code]).toEqual([503, ERROR.FULL]);
      expect(h.host.hub.get('a3')).toBeUndefined();
      expect(h.host.hub.get('c1')).toBeUndefined();
      expect(h.host.statistics.streams).toBe(5);
      expect(h.host.statistics.streamsRefused).toBe(2);
      // over the WebSocket: error FULL and close 4013
      const c = new RawClient(h.url);
      await c.opened;
      c.hello({ token: 'user-c', stream: 'c2', privateId: 'x' });
      expect((await c.done).code).toBe(4013);
      expect(c.of('error')[0].code).toBe(ERROR.FULL);
    } finally {
      await h.host.stop();
    }
  });

  test("idle side streams are forgotten (and their creator's share returned); departed clients are dropped from the tables", async () => {
    const h = await start({ maxStreamsPerPrincipal: 1, idleStreamMs: 10_000, silenceMs: 1_000, forgetClientsMs: 5_000 });
    try {
      expect((await json(h, '/mine/p/0', {}, 'user-a')).status).toBe(200);
      for (let i = 0; i < 5; i++) expect((await json(h, `/world/w${i}/0`, {}, 'user-a')).status).toBe(200);
      tick(h, 2);
      expect(h.host.world.stream.clientCount).toBe(5);
      expect((await json(h, '/other/p/0', {}, 'user-a')).status).toBe(503); // its one stream is alive
      tick(h, 20 * 20); // 20 s: silent, then idle
      expect(h.host.hub.get('mine')).toBeUndefined();
      expect(h.host.statistics.streamsForgotten).toBe(1);
      expect(h.host.world.stream.clientCount).toBe(0); // the 5 departed world clients too
      expect(h.host.statistics.clientsForgotten).toBeGreaterThanOrEqual(5);
      expect(h.host.statistics.streamClients).toBe(0);
      expect((await json(h, '/other/p/0', {}, 'user-a')).status).toBe(200); // its share came back
      // a stream with a WebSocket client on it is never idle
      const c = new RawClient(h.url);
      await c.opened;
      c.hello({ token: 'user-b', stream: 'held', privateId: 'x' });
      await c.until(() => c.of('welcome').length > 0);
      tick(h, 20 * 20);
      expect(h.host.hub.get('held')).toBeDefined();
      c.close();
    } finally {
      await h.host.stop();
    }
  });
});

describe('admission control', () => {
  test('joins beyond maxJoinsPerSecond: 503 BUSY with Retry-After before a session exists; the next second admits again', async () => {
    const h = await start({ maxJoinsPerSecond: 3 });
    try {
      const ok: RawClient[] = [];
      for (let i = 0; i < 3; i++) {
        const c = new RawClient(h.url);
        expect(await c.opened).toBe(true);
        ok.push(c);
      }
      const refused = new RawClient(h.url);
      expect(await refused.opened).toBe(false);
      expect(refused.upgradeStatus).toBe(503);
      const j = await json(h, '/side/p/0', {}, 'user-a'); // a JSON join is a join too
      expect([j.status, j.json.error.code]).toEqual([503, ERROR.BUSY]);
      expect(h.host.hub.get('side')).toBeUndefined();
      expect(h.host.statistics.joinsRefused).toBe(2);
      h.clock.t += 1000;
      const later = new RawClient(h.url);
      expect(await later.opened).toBe(true);
      expect((await json(h, '/side/p/0', {}, 'user-a')).status).toBe(200);
      expect((await json(h, '/side/p/0', {}, 'user-a')).status).toBe(200); // already joined: not a join
      for (const c of [...ok, later]) c.close();
    } finally {
      await h.host.stop();
    }
  });
});

test("the bounds' figures are Prometheus metrics too", async () => {
  const m = new HostMetrics();
  const h = await start({ maxStreamsPerPrincipal: 1, maxJoinsPerSecond: 1, metrics: () => m.text() });
  m.attach(h.host);
  try {
    expect((await json(h, '/one/p/0', {}, 'user-a')).status).toBe(200);
    expect((await json(h, '/two/p/0', {}, 'user-a')).status).toBe(503); // its share: FULL
    expect((await json(h, '/one/q/0', {}, 'user-a')).status).toBe(503); // a second join this second: BUSY
    const text = (await request('GET', `${h.http}/metrics`)).json as string;
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('tessera_streams')).toBe(2);
    expect(value('tessera_streams_refused_total')).toBe(1);
    expect(value('tessera_joins_refused_total')).toBe(1);
    expect(value('tessera_guest_sessions')).toBe(0);
    expect(value('tessera_faults_total')).toBe(0);
    expect(text).toMatch(/^# TYPE tessera_joins_refused_total counter$/m);
  } finally {
    await h.host.stop();
  }
});
