/**
 * The host over real sockets on loopback: routes, the auth gate, verification, limits and
 * close codes, catch-up on reconnect, and the client library against the JSON endpoint.
 */
import { Host } from '../src/net/host';
import { CLOSE, ERROR } from '../src/protocol/errors';
import { encodeClient } from '../src/protocol/codec';
import { createNodeClient, type TesseraClient } from '../src/client/node';
import { PROTOCOL_VERSION, type StreamEvent } from '../src/protocol/messages';
import { RawClient, connectNonReader, post, request, waitFor } from './helpers/net';
import { testWorld } from './helpers/world-setup';

let host: Host;
let url: string, http: string;

beforeAll(async () => {
  host = await Host.start({
    port: 0,
    world: testWorld(),
    authTimeoutMs: 400,
    maxPayloadLength: 4096,
    floodLimit: 300,
    originAllowList: ['http://allowed.example'],
    worldLoop: { snapshotEvery: 20, retainTicks: 40 },
    authenticate: (t) => (t === 'guest' || t === 'secret' ? { account: t, guest: t === 'guest' } : null),
  });
  url = `ws://127.0.0.1:${host.port}/ws`;
  http = `http://127.0.0.1:${host.port}`;
});
afterAll(async () => {
  await host.stop();
});

describe('host routes', () => {
  test('GET /healthz answers with the tick', async () => {
    const r = await request('GET', `${http}/healthz`);
    expect(r.status).toBe(200);
    const j = r.json as { ok: boolean; tick: number };
    expect(j.ok).toBe(true);
    expect(j.tick).toBeGreaterThanOrEqual(0);
  });

  test('JSON endpoint: public id, tick and events since lastKnownTick (GoEventStream)', async () => {
    const a = await post(`${http}/lobby/me/0`, '{}');
    expect(a.status).toBe(200);
    expect(a.json.publicId).toBe(1);
    expect(a.json.session).toMatch(/^gs\./); // a guest: its session token keeps its identity
    await waitFor(() => host.hub.get('lobby')!.tick > a.json.tick, 3000, 'a tick');
    const me = { authorization: `Bearer ${a.json.session}` };
    const b = await request('POST', `${http}/lobby/me/0`, JSON.stringify({ events: [{ type: 'hi', body: 'there' }] }), me);
    expect(b.json.publicId).toBe(1);
    expect(b.json.session).toBeUndefined();
    // a new side stream starts at the world's tick (admission.ts), with '_a' first
    expect(b.json.events[0]).toMatchObject({ tick: host.hub.get('lobby')!.startTick, type: '_a', origin: '_' });
    expect(b.json.events.find((e: { type: string }) => e.type === '_c')).toMatchObject({ origin: '_', body: '1' });
    const other = await post(`${http}/lobby/you/0`, '');
    expect(other.json.publicId).toBe(2);
    await waitFor(() => host.hub.get('lobby')!.tick > b.json.tick, 3000, 'a tick');
    const c = await post(`${http}/lobby/you/${b.json.tick}`, '{}');
    expect(c.json.events.find((e: { type: string }) => e.type === 'hi')).toMatchObject({ origin: 1, body: 'there' });
    expect(c.json.events.every((e: { tick: number }) => e.tick >= b.json.tick)).toBe(true);
  });

  test('JSON endpoint errors carry codes', async () => {
    expect((await post(`${http}/lobby/me/0`, '{not json')).json.error.code).toBe(ERROR.BAD_MESSAGE);
    expect((await post(`${http}/lobby/me/0`, JSON.stringify({ events: [{ type: '_a', body: '' }] }))).json.error.code).toBe(ERROR.NOT_ALLOWED);
    expect((await post(`${http}/bad name!/me/0`, '{}')).status).toBe(400);
    expect((await post(`${http}/lobby/me/x`, '{}')).json.error.code).toBe(ERROR.BAD_VALUE);
    const big = await post(`${http}/lobby/me/0`, 'x'.repeat(70 * 1024));
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe(ERROR.TOO_LARGE);
  });
});

describe('WebSocket gate', () => {
  test('hello -> welcome, catch-up from _a, then events every tick and a snapshot', async () => {
    const c = new RawClient(url);
    await c.opened;
    c.hello({ privateId: 'gate-1' });
    await c.until(() => c.of('snapshot').length > 0 && c.of('events').length > 3, 5000, 'state');
    const w = c.of('welcome')[0];
    expect(w.publicId).toBeGreaterThan(0);
    expect(w.tickRate).toBe(20);
    expect(c.of('events')[0].events[0].type === '_a' || c.of('events')[0].events[0].type === '_s').toBe(true);
    c.close();
  });

  test('a message before hello closes with 4001 UNAUTHENTICATED', async () => {
    const c = new RawClient(url);
    await c.opened;
    c.send({ kind: 'ping', nonce: 1n });
    expect((await c.done).code).toBe(CLOSE.UNAUTHENTICATED);
    expect(c.of('error')[0].code).toBe(ERROR.UNAUTHENTICATED);
  });

  test('no hello within the window closes with 4002', async () => {
    const c = new RawClient(url);
    await c.opened;
    expect((await c.done).code).toBe(CLOSE.AUTH_TIMEOUT);
  });

  test('a bad token: 401 in the upgrade, 4001 in hello', async () => {
    const up = new RawClient(url, { headers: { authorization: 'Bearer nope' } });
    expect(await up.opened).toBe(false);
    expect(up.upgradeStatus).toBe(401);
    const sub = new RawClient(url, { protocols: ['tessera.v4', 'bearer.secret'] });
    expect(await sub.opened).toBe(true);
    sub.hello({ token: '' });
    await sub.until(() => sub.of('welcome').length > 0, 3000, 'welcome with the upgrade token');
    sub.close();
    const c = new RawClient(url);
    await c.opened;
    c.hello({ token: 'wrong' });
    expect((await c.done).code).toBe(CLOSE.UNAUTHENTICATED);
  });

  test('a wrong protocol version closes with 4003', async () => {
    const c = new RawClient(url);
    await c.opened;
    c.hello({ version: 99 });
    expect((await c.done).code).toBe(CLOSE.BAD_VERSION);
    expect(c.of('error')[0].code).toBe(ERROR.BAD_VERSION);
  });

  test('a disallowed Origin is refused with 403', async () => {
    const c = new RawClient(url, { headers: { origin: 'http://evil.example' } });
    expect(await c.opened).toBe(false);
    expect(c.upgradeStatus).toBe(403);
    const ok = new RawClient(url, { headers: { origin: 'http://allowed.example' } });
    expect(await ok.opened).toBe(true);
    ok.close();
  });

  test('malformed, text and oversized messages get close codes; the host keeps serving', async () => {
    const bad = new RawClient(url);
    await bad.opened;
    bad.hello({ privateId: 'mal' });
    await bad.until(() => bad.of('welcome').length > 0);
    const good = encodeClient({ kind: 'publish', type: 'x', body: 'y' });
    const broken = good.slice(0, good.length - 3);
    bad.sendRaw(broken);
    expect((await bad.done).code).toBe(CLOSE.BAD_MESSAGE);
    expect(bad.of('error').at(-1)!.code).toBe(ERROR.BAD_MESSAGE);

    const text = new RawClient(url);
    await text.opened;
    text.sendRaw('{"kind":"hello"}');
    expect((await text.done).code).toBe(CLOSE.BAD_MESSAGE);

    const big = new RawClient(url);
    await big.opened;
    big.sendRaw(new Uint8Array(8192));
    expect((await big.done).code).toBe(CLOSE.TOO_BIG);

    const r = await request('GET', `${http}/healthz`);
    expect(r.status).toBe(200);
  });

  test('rate limits: excess is dropped with RATE_LIMITED, a flood is closed with 4029', async () => {
    const c = new RawClient(url);
    await c.opened;
    c.hello({ privateId: 'flood' });
    await c.until(() => c.of('welcome').length > 0);
    for (let i = 0; i < 100; i++) c.send({ kind: 'publish', type: 'spam', body: String(i) });
    await c.until(() => c.of('error').some((e) => e.code === ERROR.RATE_LIMITED), 3000, 'RATE_LIMITED');
    const published = () =>
      host.hub
        .get('world')!
        .log()
        .filter((e) => e.type === 'spam').length;
    await waitFor(() => published() > 0, 3000, 'the admitted events in the log');
    expect(published()).toBeLessThanOrEqual(45); // burst 40 + refill during the send
    for (let i = 0; i < 400; i++) c.send({ kind: 'publish', type: 'spam', body: 'x' });
    expect((await c.done).code).toBe(CLOSE.RATE_LIMITED);
  });
});

describe('catch-up and the client library', () => {
  const clients: TesseraClient[] = [];
  afterAll(() => {
    for (const c of clients) c.close();
  });

  test('a Node client and the JSON endpoint see the same events in the same order', async () => {
    const seen: StreamEvent[] = [];
    const c = createNodeClient(
      { url, token: 'guest', stream: 'room', privateId: 'node-1' },
      {
        onReset: (_s, e) => seen.push(e),
        onConnect: (_p, e) => seen.push(e),
        onDisconnect: (_p, e) => seen.push(e),
        onClientEvent: (e) => seen.push(e),
        onServerEvent: (e) => seen.push(e),
      },
    );
    clients.push(c);
    await c.connect();
    let session: Record<string, string> = {};
    for (let i = 0; i < 20; i++) {
      c.sendEvent('move', `n${i}`);
      const r = await request('POST', `${http}/room/json-1/0`, JSON.stringify({ events: [{ type: 'move', body: `j${i}` }] }), session);
      if (r.json.session) session = { authorization: `Bearer ${r.json.session}` };
      await new Promise((r) => setTimeout(r, 20));
    }
    const stream = host.hub.get('room')!;
    const until = stream.tick + 2;
    await waitFor(() => (c.lastKnownTick ?? 0) >= until, 5000, 'ticks');
    const j = await request('POST', `${http}/room/json-1/0`, '{}', session);
    const fromJson = (j.json.events as Array<{ tick: number; type: string; origin: string | number; body: string }>)
      .filter((e) => e.tick < until)
      .map((e) => `${e.tick} ${e.type} ${e.origin === '_' ? 0 : e.origin} ${e.body}`);
    const fromNode = seen.filter((e) => e.tick < until).map((e) => `${e.tick} ${e.type} ${e.origin} ${e.body}`);
    expect(fromNode.length).toBeGreaterThan(40);
    expect(fromNode).toEqual(fromJson);
  });

  test('reconnect with catch-up: no event lost or repeated; same public id', async () => {
    const seen: StreamEvent[] = [];
    const record = {
      onClientEvent: (e: StreamEvent) => seen.push(e),
      onConnect: (_p: number, e: StreamEvent) => seen.push(e),
      onReset: (_s: string, e: StreamEvent) => seen.push(e),
      onServerEvent: (e: StreamEvent) => seen.push(e),
      onDisconnect: (_p: number, e: StreamEvent) => seen.push(e),
    };
    // an account (a guest is its connection: a guest that reconnects is a new client, identity.ts)
    const c = createNodeClient({ url, token: 'secret', stream: 'chat', privateId: 'rc-1', reconnect: { minMs: 100, maxMs: 200 } }, record);
    clients.push(c);
    const w1 = await c.connect();
    const other = createNodeClient({ url, token: 'guest', stream: 'chat', privateId: 'rc-2' });
    clients.push(other);
    await other.connect();
    let welcomes = 0;
    c.callbacks.onWelcome = (w) => {
      welcomes++;
      expect(w.publicId).toBe(w1.publicId);
    };
    for (let i = 0; i < 30; i++) {
      other.sendEvent('say', `m${i}`);
      if (i === 10) c.dropConnection();
      await new Promise((r) => setTimeout(r, 30));
    }
    await waitFor(() => welcomes >= 1, 5000, 'reconnect');
    const stream = host.hub.get('chat')!;
    await waitFor(() => stream.log().filter((e) => e.type === 'say').length === 30, 5000, 'all 30 events closed into the log');
    const until = stream.tick;
    await waitFor(() => (c.lastKnownTick ?? 0) > until, 5000, 'catch-up');
    const logged = stream
      .log()
      .filter((e) => e.tick < until)
      .map((e) => `${e.tick} ${e.type} ${e.origin} ${e.body}`);
    expect(seen.filter((e) => e.tick < until).map((e) => `${e.tick} ${e.type} ${e.origin} ${e.body}`)).toEqual(logged);
    expect(logged.filter((l) => l.includes(' say ')).length).toBe(30);
  });

  test('rejoining after the log was trimmed gives the snapshot form (_s) and the events after it', async () => {
    const raw = new RawClient(url);
    await raw.opened;
    raw.hello({ privateId: 'late', lastKnownTick: 1 });
    await raw.until(() => raw.of('events').length > 0, 3000, 'catch-up');
    const first = raw.of('events')[0].events[0];
    expect(first.type).toBe('_s');
    expect(JSON.parse(first.body).tick).toBe(first.tick);
    raw.close();
  });

  test('a client with the world stream receives its avatar in the deltas, following it', async () => {
    let publicId = 0;
    const c = createNodeClient({ url, token: 'guest', privateId: 'walker' });
    clients.push(c);
    publicId = (await c.connect()).publicId;
    await waitFor(() => (c.state?.bodies.size ?? 0) > 0, 5000, 'state');
    for (let i = 0; i < 20; i++) {
      c.sendInput({ seq: i, walkX: 1000, walkZ: 0, jump: false });
      await new Promise((r) => setTimeout(r, 50));
    }
    const avatar = host.world.sim.avatars.get(publicId)!;
    const slot = Number(avatar & 0xffffffffn);
    await waitFor(() => c.state!.bodies.has(slot), 3000, 'avatar in view');
    const p = host.world.avatarPosition(publicId)!;
    await waitFor(() => Math.abs(c.state!.bodies.get(slot)!.px / 1024 - host.world.avatarPosition(publicId)![0]) < 0.5, 3000, 'avatar position');
    expect(p[0]).not.toBeCloseTo(10, 0); // it walked from its spawn point
    expect(c.bodies().length).toBe(c.state!.bodies.size);
  });
});

describe('world stream fan-out', () => {
  test('inputs are folded into deltas: WebSocket clients do not receive them, the log and the JSON endpoint do', async () => {
    const c = new RawClient(url);
    await c.opened;
    c.hello({ privateId: 'folder' });
    await c.until(() => c.of('welcome').length > 0);
    for (let i = 0; i < 5; i++) c.send({ kind: 'input', input: { seq: i, walkX: 500, walkZ: 0, jump: false } });
    c.send({ kind: 'publish', type: 'wave', body: 'hi' });
    const stream = host.hub.get('world')!;
    const me = c.of('welcome')[0].publicId;
    await waitFor(() => stream.log().some((e) => e.type === 'wave' && e.origin === me), 3000, 'the events in the log');
    await c.until(() => c.of('events').some((m) => m.events.some((e) => e.type === 'wave' && e.origin === me)), 3000, 'the wave');
    expect(stream.log().filter((e) => e.type === 'in' && e.origin === me).length).toBe(5);
    expect(
      c
        .of('events')
        .flatMap((m) => m.events)
        .filter((e) => e.type === 'in' || e.type === '_h'),
    ).toEqual([]);
    const j = await post(`${http}/world/folder-json/${c.of('welcome')[0].tick}`, '{}'); // the log before is trimmed in this host
    expect((j.json.events as Array<{ type: string; origin: number }>).filter((e) => e.type === 'in' && e.origin === me).length).toBe(5);
    c.close();
  });
});

describe('backpressure', () => {
  test('a client that stops reading is dropped with 4008 while another gets every tick', async () => {
    // Manual ticks and a fake clock: the rule is "over softBackpressure for slowConsumerMs of
    // the host's clock", so the test asserts it tick by tick, whatever the machine's load. uWS's
    // idle timeout (silenceMs) is set far away so only our rule can drop the slow reader.
    let now = 1_000_000;
    const h = await Host.start({
      port: 0,
      world: testWorld({ spheres: 0 }),
      manualTicks: true,
      clock: () => now,
      silenceMs: 600_000,
      softBackpressure: 64 * 1024,
      slowConsumerMs: 500,
      maxPayloadLength: 8192,
      rateLimits: { publish: { perSecond: 1e6, burst: 1e6 }, ping: { perSecond: 1e6, burst: 1e6 } },
    });
    const u = `ws://127.0.0.1:${h.port}/ws`;
    try {
      const reader = new RawClient(u);
      await reader.opened;
      reader.hello({ privateId: 'reader' });
      const slow = await connectNonReader(h.port, [
        encodeClient({ kind: 'hello', version: PROTOCOL_VERSION, token: 'guest', stream: 'world', privateId: 'slow', lastKnownTick: null, interest: null }),
      ]);
      await waitFor(() => h.clientCount === 2, 10_000, 'both joined');
      const blob = 'x'.repeat(4000);
      // 48 KB of events to everyone on the stream each tick until the slow one is dropped
      // behindAt: the start of the slow reader's latest stretch behind (its deltas skipped tick after
      // tick). The kernel may grow the socket's send buffer and take more of the queue once, so the
      // reader can get back under softBackpressure for a tick and the host's clock starts again then
      let nonce = 0n,
        behindAt = -1,
        wasBehind = false;
      for (let k = 0; h.statistics.droppedSlow === 0; k++) {
        if (k > 5000) throw new Error('the slow reader was never dropped');
        for (let i = 0; i < 12; i++) reader.send({ kind: 'publish', type: 'blob', body: blob });
        const n = ++nonce;
        reader.send({ kind: 'ping', nonce: n }); // the host has read the blobs when it answers
        await reader.until(() => reader.of('pong').some((m) => m.nonce === n), 30_000, 'pong');
        now += 50;
        const skipped = h.statistics.skippedDeltas;
        h.tickOnce();
        const behind = h.statistics.skippedDeltas > skipped;
        if (behind && !wasBehind) behindAt = now;
        wasBehind = behind;
        const t = h.world.stream.tick;
        await reader.until(() => reader.of('events').some((m) => m.tick === t), 30_000, `tick ${t}`);
      }
      expect(h.statistics.droppedSlow).toBe(1);
      expect(h.clientCount).toBe(1);
      // dropped after slowConsumerMs of the host's clock behind, not before
      expect(behindAt).toBeGreaterThan(0);
      expect(now - behindAt).toBeGreaterThanOrEqual(500);
      expect(now - behindAt).toBeLessThanOrEqual(500 + 50);
      // the reader received every tick meanwhile, in order
      const ticks = reader
        .of('events')
        .map((e) => e.tick)
        .filter((t, i, a) => i === 0 || t !== a[i - 1]);
      for (let i = 1; i < ticks.length; i++) expect(ticks[i]).toBe(ticks[i - 1] + 1);
      expect(ticks.at(-1)).toBe(h.world.stream.tick);
      slow.destroy();
      reader.close();
    } finally {
      await h.stop();
    }
  }, 120_000);
});

describe('shutdown', () => {
  test('stop() tells every client (SHUTTING_DOWN, 1001), stops listening and the tick', async () => {
    const h = await Host.start({ port: 0, world: testWorld({ spheres: 0 }) });
    const c = new RawClient(`ws://127.0.0.1:${h.port}/ws`);
    await c.opened;
    c.hello({ privateId: 'bye' });
    await c.until(() => c.of('welcome').length > 0);
    await h.stop();
    expect((await c.done).code).toBe(CLOSE.GOING_AWAY);
    expect(c.of('error').at(-1)!.code).toBe(ERROR.SHUTTING_DOWN);
    const tick = h.world.stream.tick;
    await expect(request('GET', `http://127.0.0.1:${h.port}/healthz`)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 200));
    expect(h.world.stream.tick).toBe(tick);
  });
});
