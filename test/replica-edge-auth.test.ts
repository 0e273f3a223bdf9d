/**
 * Edge hosts' doors (issue 19, src/replica/edge.ts): a leader (`tessera serve --replicate`, in
 * this process) and a `serve --follow --edge` replica. A token revoked on the leader (logout,
 * refresh, a ban its token check finds) ends the edge's sessions of it at once, with the leader's
 * close code, and not through the periodic token check (set to a minute here); POST /auth/* on the edge is answered by the
 * leader (register, login, refresh, logout; a token from the edge's login says hello on the edge
 * at once), GET /chat/history on the edge reads the replicated rows and authenticates; an admin's
 * tick-rate change reaches the edge's welcome and /world; a resync after a hash mismatch keeps
 * the edge's clients connected (a fresh snapshot, chat, acknowledged inputs); with no leader the edge answers
 * /auth/* 503 BUSY with Retry-After within its timeout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import Database from 'better-sqlite3';
import { resolveConfig, serve, type Server } from '../src/serve';
import { EdgeHost } from '../src/replica/edge';
import { loadScene, sceneSetup } from '../src/scene';
import { CLOSE, ERROR } from '../src/protocol/errors';
import { CHAT_CHANNEL, type ServerMessage } from '../src/protocol/messages';
import { natsUrl, uniqueWorld } from './helpers/nats';
import { RawClient, request, waitFor } from './helpers/net';
import { writeSmallScene } from './helpers/replica';

jest.setTimeout(40_000);

const silent = pino({ level: 'silent' });
let dir: string;
let url: string;
let world: string;
let scene: string;
let leader: Server | null = null;
let edgePort = 0;
let replica: Promise<Server> | null = null;
const abort = new AbortController();
const clients: RawClient[] = [];

const errors = (c: RawClient): Array<Extract<ServerMessage, { kind: 'error' }>> => c.of('error');

/** A WebSocket client of `port` that said hello with `token`; resolves once welcomed or refused. */
async function hello(port: number, token: string, privateId: string): Promise<RawClient> {
  const c = new RawClient(`ws://127.0.0.1:${port}/ws`);
  clients.push(c);
  await c.opened;
  c.hello({ token, privateId });
  await c.until(() => c.of('welcome').length > 0 || errors(c).length > 0, 10_000, `welcome or error of ${privateId}`);
  return c;
}

const post = (port: number, path: string, body: unknown, headers: Record<string, string> = {}) =>
  request('POST', `http://127.0.0.1:${port}${path}`, typeof body === 'string' ? body : JSON.stringify(body), headers);

/** Registers `name` on the leader and logs in there: its token and account id. */
async function account(name: string): Promise<{ token: string; id: number }> {
  const L = (leader as Server).host.port;
  const reg = await post(L, '/auth/register', { name, password: 'a long password' });
  expect(reg.status).toBe(201);
  const login = await post(L, '/auth/login', { name, password: 'a long password' });
  expect(login.status).toBe(200);
  return { token: login.json.token as string, id: reg.json.accountId as number };
}

/** Says hello on the edge with `token` until welcomed (the replica applies the data stream a moment after the leader's write). */
async function helloEdge(token: string, privateId: string): Promise<RawClient> {
  for (const until = Date.now() + 5_000; Date.now() < until; ) {
    const c = await hello(edgePort, token, privateId);
    if (c.of('welcome').length > 0) return c;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${privateId} never joined through the edge`);
}

/** Polls the async `pred` every 50 ms until it holds; throws after `ms`. */
async function eventually(pred: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; !(await pred()); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves with the close code and the ms from `t0` to the close. */
async function closedAfter(c: RawClient, t0: number): Promise<{ code: number; ms: number }> {
  const d = await c.done;
  return { code: d.code, ms: performance.now() - t0 };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-edge-auth-'));
  url = await natsUrl();
  world = uniqueWorld('edgeauth');
  scene = writeSmallScene(dir);
  // the periodic token check every minute: a close within 500 ms is the leader's revocation, not it
  const base = { workers: '0', scene, replicate: url, replicateWorld: world, replicateLeaseMs: '2000', tokenCheckMs: '60000' };
  leader = await serve(resolveConfig({ ...base, port: '0', data: join(dir, 'leader') }, {}), silent);
  const L = leader;
  await waitFor(() => L.host.world.stream.tick > 5, 10_000, 'a few ticks in the log');
  replica = serve(resolveConfig({ ...base, port: '0', data: join(dir, 'edge'), follow: 'true', edge: 'true' }, {}), silent, {
    abort: abort.signal,
    onWaiting: (x) => {
      edgePort = x.statusPort;
    },
  });
  replica.catch(() => undefined);
  await waitFor(() => edgePort > 0, 20_000, 'the edge port');
}, 40_000);

afterAll(async () => {
  for (const c of clients) c.close();
  abort.abort();
  await replica?.catch(() => undefined);
  await leader?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a token logged out or refreshed on the leader ends its edge sessions at once, with the close code the leader uses', async () => {
  const ann = await account('ann_edge');
  const onEdge = await helloEdge(ann.token, 'ann-edge');
  const onLeader = await hello((leader as Server).host.port, ann.token, 'ann-leader');
  expect(onLeader.of('welcome').length).toBe(1);
  await new Promise((r) => setTimeout(r, 200)); // both joined on the leader
  const t0 = performance.now();
  const out = await post((leader as Server).host.port, '/auth/logout', '', { authorization: `Bearer ${ann.token}` });
  expect(out.status).toBe(200);
  const [e, l] = await Promise.all([closedAfter(onEdge, t0), closedAfter(onLeader, t0)]);
  expect(l.code).toBe(CLOSE.REVOKED);
  expect(e.code).toBe(l.code);
  expect(e.ms).toBeLessThan(500);
  expect(errors(onEdge).map((x) => x.code)).toEqual([ERROR.UNAUTHENTICATED]);
  // and the revoked token cannot come back through the edge
  const again = await hello(edgePort, ann.token, 'ann-again');
  expect(errors(again)[0]?.code).toBe(ERROR.UNAUTHENTICATED);
  // a refresh on the leader: the old token's edge socket is closed at once too (4014); the new token plays
  const ben = await account('ben_edge');
  const benEdge = await helloEdge(ben.token, 'ben-edge');
  const t1 = performance.now();
  const r = await post((leader as Server).host.port, '/auth/refresh', '', { authorization: `Bearer ${ben.token}` });
  expect(r.status).toBe(200);
  const c = await closedAfter(benEdge, t1);
  expect(c.code).toBe(CLOSE.REVOKED);
  expect(c.ms).toBeLessThan(500);
  const benAgain = await helloEdge(r.json.token as string, 'ben-edge');
  expect(benAgain.of('welcome')[0].publicId).toBeGreaterThan(0);
  // counted on the edge's metrics
  const m = (await request('GET', `http://127.0.0.1:${edgePort}/metrics`)).json as string;
  expect(Number(/^tessera_edge_revoked_total (\d+)/m.exec(m)?.[1])).toBe(2);
});

test("a ban the leader's token check finds (the operator's, in its file) ends the edge session at once with 4012 BANNED", async () => {
  const dan = await account('dan_edge');
  const c = await helloEdge(dan.token, 'dan-edge'); // on the edge only: the leader holds its token for it
  await new Promise((r) => setTimeout(r, 200));
  const db = new Database(join(dir, 'leader', 'tessera.sqlite'));
  db.prepare('UPDATE accounts SET banned_until_ms = ?, ban_reason = ? WHERE id = ?').run(Date.now() + 3_600_000, 'test', dan.id);
  db.close();
  const t0 = performance.now();
  expect((leader as Server).host.checkTokens()).toBe(0); // no socket of its own: the edge's is closed by the edge
  const closed = await closedAfter(c, t0);
  expect(closed.code).toBe(CLOSE.BANNED);
  expect(closed.ms).toBeLessThan(500);
  expect(errors(c).map((x) => x.code)).toEqual([ERROR.BANNED]);
});

test('POST /auth/* on the edge is answered by the leader; GET /chat/history on the edge reads the replicated rows and checks the token', async () => {
  const E = edgePort;
  const reg = await post(E, '/auth/register', { name: 'cleo_edge', password: 'a long password' });
  expect(reg.status).toBe(201);
  // the leader's answers: the name is taken, a wrong password is refused, a bad body is 400, too large 413
  expect((await post(E, '/auth/register', { name: 'cleo_edge', password: 'another password' })).json.error.code).toBe(ERROR.TAKEN);
  const wrong = await post(E, '/auth/login', { name: 'cleo_edge', password: 'not the password' });
  expect([wrong.status, wrong.json.error.code]).toEqual([401, ERROR.INVALID_CREDENTIALS]);
  expect((await post(E, '/auth/login', '[1]')).status).toBe(400);
  expect((await post(E, '/auth/login', { name: 'x'.repeat(5000), password: 'p' })).status).toBe(413);
  const login = await post(E, '/auth/login', { name: 'cleo_edge', password: 'a long password' });
  expect(login.status).toBe(200);
  const token = login.json.token as string;
  // the account is the leader's: it logs in there with the same password
  expect((await post((leader as Server).host.port, '/auth/login', { name: 'cleo_edge', password: 'a long password' })).status).toBe(200);
  // a token from the edge's login says hello on the edge at once (answered once the copy knows it)
  const c = await hello(E, token, 'cleo');
  expect(errors(c)).toEqual([]);
  c.send({ kind: 'chat', channel: CHAT_CHANNEL.WORLD, to: '', text: 'kept in the history' });
  const auth = { authorization: `Bearer ${token}` };
  const page = async () => request('GET', `http://127.0.0.1:${E}/chat/history?channel=world&limit=10`, '', auth);
  await eventually(
    async () => ((await page()).json.lines ?? []).some((l: { text: string }) => l.text === 'kept in the history'),
    10_000,
    'the line in the edge history',
  );
  expect((await page()).status).toBe(200);
  // every door authenticates: no token, a bad token, someone else's private channel
  expect((await request('GET', `http://127.0.0.1:${E}/chat/history?channel=world`)).status).toBe(401);
  expect((await request('GET', `http://127.0.0.1:${E}/chat/history?channel=world`, '', { authorization: 'Bearer nope' })).status).toBe(401);
  expect((await request('GET', `http://127.0.0.1:${E}/chat/history?channel=private:900:901`, '', auth)).status).toBe(403);
  expect((await request('GET', `http://127.0.0.1:${E}/chat/history?channel=nowhere`, '', auth)).status).toBe(400);
  // refresh and logout through the edge: the leader revokes, and the edge closes its own socket at once
  const t0 = performance.now();
  const r = await post(E, '/auth/refresh', '', auth);
  expect(r.status).toBe(200);
  const closed = await closedAfter(c, t0);
  expect(closed.code).toBe(CLOSE.REVOKED);
  expect(closed.ms).toBeLessThan(500);
  expect((await post(E, '/auth/refresh', '', auth)).status).toBe(401); // the old token is no more
  expect((await post(E, '/auth/logout', '', { authorization: `Bearer ${r.json.token as string}` })).status).toBe(200);
});

test('a resync keeps the edge clients connected: they get a fresh snapshot of the rebuilt copy, chat, and their inputs are acknowledged', async () => {
  const e = await EdgeHost.start({
    nats: url,
    world,
    id: 'edge-sync',
    setup: sceneSetup(loadScene(scene)),
    host: { port: 0, tickRate: 20, guests: true },
    log: silent,
  });
  try {
    const c = await hello(e.host.port, 'guest', 'stays');
    const state = (m: ServerMessage): m is Extract<ServerMessage, { kind: 'snapshot' | 'delta' }> => m.kind === 'snapshot' || m.kind === 'delta';
    // acknowledged states: the host sends deltas from then on
    await c.until(() => c.messages.some(state), 5_000, 'a state');
    const last = (): number => Math.max(...c.messages.filter(state).map((m) => m.tick));
    c.send({ kind: 'ack', tick: last() });
    await c.until(() => c.messages.some((m) => m.kind === 'delta'), 5_000, 'a delta');
    c.send({ kind: 'input', input: { seq: 1, walkX: 0, walkZ: 0, jump: false } });
    // a leader client publishes an event every 40 ms, before, during and after the resync
    const ticker = await hello((leader as Server).host.port, 'guest', 'ticker');
    let k = 0;
    const timer = setInterval(() => ticker.send({ kind: 'publish', type: 'zz', body: String(++k) }), 40);
    await new Promise((r) => setTimeout(r, 200));
    // the copy goes wrong (a stray sphere only it has): its next tick differs from the log's
    const from = c.messages.length;
    const t0 = e.host.world.stream.tick;
    e.host.world.sim.world.addSphere({ position: [5, 4, 5], radius: 0.5 });
    await waitFor(() => e.copyStats().resyncs === 1, 15_000, 'the resync');
    const after = (): ServerMessage[] => c.messages.slice(from).filter((m) => state(m) && m.tick > t0 + 1);
    await c.until(() => after().length > 0, 5_000, 'a state of the rebuilt copy');
    expect(after()[0].kind).toBe('snapshot');
    // the rebuilt copy's social layer knows the client: a leader client's chat line reaches it
    const n = await hello((leader as Server).host.port, 'guest', 'newcomer');
    await new Promise((r) => setTimeout(r, 300));
    n.send({ kind: 'chat', channel: CHAT_CHANNEL.WORLD, to: '', text: 'after the resync' });
    await c.until(() => c.of('chat').some((m) => m.text === 'after the resync'), 5_000, 'the chat line at the edge client');
    c.send({ kind: 'input', input: { seq: 2, walkX: 0, walkZ: 0, jump: false } });
    const acked = (): number => Math.max(0, ...c.messages.map((m) => (state(m) ? (m.inputSeq ?? 0) : 0)));
    await c.until(() => acked() === 2, 5_000, 'input 2 acknowledged after the resync');
    // every published event reached the edge client once and in order: those of the ticks the copy
    // caught up on while rebuilding came with the fresh state (Host.replaceWorld's catch-up)
    clearInterval(timer);
    const sent = k;
    const seen = (): number[] => c.of('events').flatMap((m) => m.events.filter((x) => x.type === 'zz').map((x) => Number(x.body)));
    await c.until(() => seen().includes(sent), 5_000, 'the last published event');
    expect(seen()).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
    expect(errors(ticker)).toEqual([]);
    // still connected, no error; the rebuilt copy matches the log from then on (a mismatch is counted)
    const ticks = e.stats().ticks;
    await waitFor(() => e.stats().ticks > ticks + 20, 5_000, '20 more ticks');
    expect(c.closed).toBeNull();
    expect(errors(c)).toEqual([]);
    expect(e.stats().mismatches).toBe(1);
    expect(e.copyStats()).toMatchObject({ resyncs: 1, failed: false });
  } finally {
    await e.stop();
  }
});

test("an admin's tick-rate change reaches the edge: its streams, its welcome and /world give the new rate", async () => {
  const boss = await account('boss_edge');
  // an admin (the operator's way: the role in the leader's file; the leader reads it at each authentication)
  const db = new Database(join(dir, 'leader', 'tessera.sqlite'));
  db.prepare('UPDATE accounts SET role = ? WHERE id = ?').run('admin', boss.id);
  db.close();
  const before = await hello(edgePort, 'guest', 'before-change');
  expect(before.of('welcome')[0].tickRate).toBe(20);
  const b = await helloEdge(boss.token, 'boss');
  await new Promise((r) => setTimeout(r, 200));
  b.send({ kind: 'admin', command: 'tickrate', args: ['40'] });
  await b.until(() => b.of('adminResult').length > 0, 10_000, 'the admin result');
  expect(b.of('adminResult')[0]).toMatchObject({ ok: true });
  const L = (leader as Server).host;
  await eventually(async () => (await request('GET', `http://127.0.0.1:${edgePort}/world`)).json.tickRate === 40, 5_000, 'the edge /world at 40 Hz');
  expect(L.world.stream.tickRate).toBe(40);
  const late = await hello(edgePort, 'guest', 'after-change');
  const onLeader = await hello(L.port, 'guest', 'after-change-leader');
  expect(late.of('welcome')[0].tickRate).toBe(40);
  expect(late.of('welcome')[0].tickRate).toBe(onLeader.of('welcome')[0].tickRate);
  // the client connected before the change keeps playing (its socket stays open)
  expect(before.closed).toBeNull();
});

test('with no leader, /auth/* on an edge is answered 503 BUSY with Retry-After within its timeout', async () => {
  // the serve edge stops waiting (no takeover), then the leader stops: an edge of the log alone
  abort.abort();
  await replica?.catch(() => undefined);
  await leader?.stop();
  leader = null;
  const e = await EdgeHost.start({
    nats: url,
    world,
    id: 'edge-alone',
    setup: sceneSetup(loadScene(scene)),
    host: { port: 0, tickRate: 20, guests: true },
    timeoutMs: 500,
    log: silent,
  });
  try {
    const t0 = performance.now();
    const r = await post(e.host.port, '/auth/login', { name: 'cleo_edge', password: 'a long password' });
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe(ERROR.BUSY);
    expect(r.headers['retry-after']).toBe('1');
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(e.stats().busy).toBe(1);
  } finally {
    await e.stop();
  }
});
