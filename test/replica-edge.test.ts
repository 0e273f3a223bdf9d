/**
 * Edge hosts (issue 19, src/replica/edge.ts): a replica serves WebSocket clients from its own
 * lockstep copy of the world and forwards what changes the world to the leader (NATS
 * request/reply). A leader (`tessera serve --replicate`, in this process) and one edge:
 * a client on the edge walks, and its avatar moves in the leader's world and in the edge's copy,
 * whose hash equals the leader's logged hash at every tick; a leader client and an edge client
 * see each other's chat; an input too far ahead gets the same error code on both; with the
 * leader gone (stopped; or SIGKILLed, a child process) the edge's clients get BUSY and the edge
 * keeps serving; `serve --follow --edge` serves clients while waiting and then leads on its port
 * with the edge's copy (one copy per node), after a stop or a SIGKILL of the leader, with the
 * hash of a replay of the log at every tick.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import pino from 'pino';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { resolveConfig, serve, type Server } from '../src/serve';
import { EdgeHost } from '../src/replica/edge';
import type { Host } from '../src/net/host';
import { JetStreamTickLog } from '../src/replica/jetstream-log';
import { WorldFollower } from '../src/replica/follower';
import { loadScene, sceneSetup } from '../src/scene';
import { ERROR } from '../src/protocol/errors';
import { CHAT_CHANNEL, type ServerMessage } from '../src/protocol/messages';
import { natsUrl, uniqueWorld } from './helpers/nats';
import { ackedSeq, joinGuest, RawClient, request, waitFor } from './helpers/net';
import { writeSmallScene } from './helpers/replica';
import { GUEST_BIT } from '../src/social/social-sim';
import { builtHelper } from './helpers/child-host';

jest.setTimeout(60_000);

const silent = pino({ level: 'silent' });
let dir: string;
let url: string;
let world: string;
let leader: Server | null = null;
let edge: EdgeHost | null = null;
let nc: NatsConnection;
const logged = new Map<number, bigint>();
const edgeHashes = new Map<number, bigint>();
let stopLog: () => void = () => {};
const clients: RawClient[] = [];

const join_ = (port: number, privateId: string): Promise<RawClient & { publicId: number }> =>
  joinGuest(`ws://127.0.0.1:${port}/ws`, privateId, clients, 10_000);

const errors = (c: RawClient): Array<Extract<ServerMessage, { kind: 'error' }>> => c.of('error');
const acked = ackedSeq;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-edge-'));
  url = await natsUrl();
  world = uniqueWorld('edge');
  const scene = writeSmallScene(dir);
  leader = await serve(
    resolveConfig({ port: '0', data: join(dir, 'a'), workers: '0', scene, replicate: url, replicateWorld: world, replicateLeaseMs: '2000' }, {}),
    silent,
  );
  const L = leader;
  await waitFor(() => L.host.world.stream.tick > 5, 10_000, 'a few ticks in the log'); // (follow(0) of a log still empty races its first append)
  nc = await connect({ servers: url });
  const feed = await (await JetStreamTickLog.open(nc, { world })).follow(
    0,
    (t) => logged.set(t.tick, t.hash),
    () => undefined,
  );
  stopLog = () => feed.stop();
  edge = await EdgeHost.start({
    nats: url,
    world,
    id: 'edge1',
    setup: sceneSetup(loadScene(scene)),
    host: { port: 0, tickRate: 20, guests: true, onTick: (r) => edgeHashes.set(r.tick, r.hash) },
    timeoutMs: 1000,
    maxPending: 4,
    log: silent,
  });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  stopLog();
  await edge?.stop();
  await leader?.stop();
  await nc?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a client on the edge walks: its avatar moves in the leader world and in the edge copy, with the leader hash at every tick', async () => {
  const L = (leader as Server).host,
    E = (edge as EdgeHost).host;
  const w = await join_(E.port, 'walker');
  // the join went to the leader: the avatar exists there (and, through the log, in the copy)
  await waitFor(() => L.world.avatarPosition(w.publicId) !== null && E.world.avatarPosition(w.publicId) !== null, 10_000, 'the avatar on both');
  const start = L.world.avatarPosition(w.publicId) as [number, number, number];
  for (let k = 1; k <= 30; k++) {
    w.send({ kind: 'input', input: { seq: k, walkX: 1000, walkZ: 0, jump: false } });
    await new Promise((r) => setTimeout(r, 50));
  }
  await waitFor(
    () =>
      ((L.world.avatarPosition(w.publicId) as number[])[0] ?? 0) > start[0] + 1 && ((E.world.avatarPosition(w.publicId) as number[])[0] ?? 0) > start[0] + 1,
    10_000,
    'the avatar walked 1 m on x on the leader and on the edge',
  );
  // the edge client's states acknowledge its inputs (applied by the leader, shown by the copy)
  await w.until(() => acked(w) === 30, 10_000, 'input 30 acknowledged');
  expect(errors(w)).toEqual([]);
  // same hash at the same tick: every tick the edge applied has the hash the leader logged
  await waitFor(() => edgeHashes.size > 60 && logged.has(E.world.stream.tick - 1), 10_000, '60 ticks at the edge, in the log');
  const common = [...edgeHashes.keys()].filter((t) => logged.has(t));
  expect(common.length).toBeGreaterThan(60);
  expect(common.filter((t) => edgeHashes.get(t) !== logged.get(t))).toEqual([]);
  expect((edge as EdgeHost).stats()).toMatchObject({ mismatches: 0 });
  // acknowledged means stored: the edge never shows a tick the log does not hold
  expect(Math.max(...edgeHashes.keys())).toBeLessThanOrEqual(Math.max(...logged.keys()));
});

test('a client on the leader and a client on the edge see each other chat', async () => {
  const a = await join_((leader as Server).host.port, 'ann');
  const b = await join_((edge as EdgeHost).host.port, 'ben');
  // both joins in the world, on the leader and in the edge's copy (waited for: on a loaded
  // machine the edge's copy can be more than a few ticks behind)
  const inWorld = (h: Host): boolean => h.world.sim.avatars.has(a.publicId) && h.world.sim.avatars.has(b.publicId);
  await waitFor(() => inWorld((leader as Server).host) && inWorld((edge as EdgeHost).host), 20_000, 'both joins in the world');
  a.send({ kind: 'chat', channel: CHAT_CHANNEL.WORLD, to: '', text: 'hello from the leader' });
  b.send({ kind: 'chat', channel: CHAT_CHANNEL.WORLD, to: '', text: 'hello from the edge' });
  const texts = (c: RawClient): string[] => c.of('chat').map((m) => m.text);
  await a.until(() => texts(a).includes('hello from the edge'), 10_000, 'the edge line at the leader client');
  await b.until(() => texts(b).includes('hello from the leader'), 10_000, 'the leader line at the edge client');
  expect(texts(b)).toContain('hello from the edge');
  expect(errors(a)).toEqual([]);
  expect(errors(b)).toEqual([]);
});

test('an input too far ahead gets the same error code through the edge as on the leader', async () => {
  const a = await join_((leader as Server).host.port, 'far-l');
  const b = await join_((edge as EdgeHost).host.port, 'far-e');
  const ahead = (c: RawClient) => c.of('welcome')[0].tick + 10_000;
  a.send({ kind: 'input', input: { seq: 1, walkX: 0, walkZ: 0, jump: false }, tick: ahead(a) });
  b.send({ kind: 'input', input: { seq: 1, walkX: 0, walkZ: 0, jump: false }, tick: ahead(b) });
  await a.until(() => errors(a).length > 0, 5_000, 'the leader error');
  await b.until(() => errors(b).length > 0, 5_000, 'the edge error');
  expect(errors(a)[0].code).toBe(ERROR.INPUT_AHEAD);
  expect(errors(b)[0].code).toBe(errors(a)[0].code);
  // a valid input after it is still accepted and acknowledged
  b.send({ kind: 'input', input: { seq: 2, walkX: 0, walkZ: 0, jump: false } });
  await b.until(() => acked(b) === 2, 10_000, 'input 2 acknowledged through the edge');
});

test('an admin command through the edge gets the answer the leader gives its own client', async () => {
  const a = await join_((leader as Server).host.port, 'adm-l');
  const b = await join_((edge as EdgeHost).host.port, 'adm-e');
  a.send({ kind: 'admin', command: 'kick', args: [String(b.publicId), 'test'] });
  b.send({ kind: 'admin', command: 'kick', args: [String(a.publicId), 'test'] });
  await a.until(() => a.of('adminResult').length > 0, 5_000, 'the leader client result');
  await b.until(() => b.of('adminResult').length > 0, 5_000, 'the edge client result');
  const ra = a.of('adminResult')[0],
    rb = b.of('adminResult')[0];
  expect(ra.ok).toBe(false); // a guest may not kick
  expect({ ok: rb.ok, command: rb.command }).toEqual({ ok: ra.ok, command: ra.command });
  expect(rb.message.replace(/\d+/g, 'N')).toBe(ra.message.replace(/\d+/g, 'N'));
});

test('ownership through the edge: a request from an edge client reaches the master on the leader, the grant reaches both, the new owner acts', async () => {
  const m = await join_((leader as Server).host.port, 'own-master');
  const r = await join_((edge as EdgeHost).host.port, 'own-requester');
  await new Promise((res) => setTimeout(res, 300));
  m.send({ kind: 'spawn', shape: 0, position: [0n, 3n * 65536n, 5n * 65536n], velocity: [0n, 0n, 0n], size: [0n, 0n, 0n] });
  await m.until(() => m.of('ownership').length > 0, 5_000, 'the spawn registers its ownership');
  const own = m.of('ownership')[0];
  r.send({ kind: 'ownership', body: own.body, action: 0, rule: 0, target: 0 });
  await m.until(() => m.of('events').some((x) => x.events.some((e) => e.type === 'ow' && e.origin === r.publicId)), 5_000, 'the master sees the edge request');
  m.send({ kind: 'ownership', body: own.body, action: 2, rule: 0, target: 0 });
  const granted = (c: RawClient): ServerMessage[] => c.of('ownership').filter((x) => x.owner === GUEST_BIT + r.publicId);
  await waitFor(() => granted(m).length > 0 && granted(r).length > 0, 5_000, 'both see the new owner');
  const ob = JSON.stringify({ o: `${own.body.index}:${own.body.generation}`, k: 'impulse', v: [0, 2000, 0] });
  r.send({ kind: 'publish', type: 'ob', body: ob });
  m.send({ kind: 'publish', type: 'ob', body: ob });
  await m.until(() => m.of('error').some((e) => e.code === ERROR.NOT_OWNER), 5_000, 'the old owner is refused');
  await new Promise((res) => setTimeout(res, 300));
  expect(errors(r)).toEqual([]);
});

test('with the leader gone the edge answers its clients BUSY and keeps serving', async () => {
  const E = (edge as EdgeHost).host;
  const c = await join_(E.port, 'late');
  await leader?.stop();
  leader = null;
  const before = (edge as EdgeHost).stats().busy;
  c.send({ kind: 'input', input: { seq: 1, walkX: 500, walkZ: 0, jump: false } });
  c.send({ kind: 'chat', channel: CHAT_CHANNEL.WORLD, to: '', text: 'anyone?' });
  await c.until(() => errors(c).length >= 2, 5_000, 'two errors');
  expect(errors(c).map((e) => e.code)).toEqual([ERROR.BUSY, ERROR.BUSY]);
  expect(errors(c)[0].message).toMatch(/leader did not answer/);
  expect((edge as EdgeHost).stats().busy).toBeGreaterThanOrEqual(before + 2);
  // still serving: ping, HTTP, and a new client is refused with BUSY (not a crash)
  c.send({ kind: 'ping', nonce: 7n });
  await c.until(() => c.of('pong').length > 0, 5_000, 'pong');
  expect((await request('GET', `http://127.0.0.1:${E.port}/healthz`)).status).toBe(200);
  // the JSON endpoint would publish into the copy, which takes only the leader's log: refused
  expect((await request('POST', `http://127.0.0.1:${E.port}/world/json-client/0`, '[]')).status).toBe(503);
  const n = new RawClient(`ws://127.0.0.1:${E.port}/ws`);
  clients.push(n);
  await n.opened;
  n.hello({ token: 'guest', privateId: 'newcomer' });
  await n.until(() => errors(n).length > 0, 5_000, 'the newcomer refused');
  expect(errors(n)[0].code).toBe(ERROR.BUSY);
  // a leader that takes requests and never answers: the first maxPending (4) wait and time out
  // after timeoutMs (1 s), the others are answered BUSY at once; nothing is left waiting
  const hung = nc.subscribe(`tessera.${world}.edge.>`);
  await nc.flush();
  const k = errors(c).length;
  for (let q = 10; q < 20; q++) c.send({ kind: 'input', input: { seq: q, walkX: 0, walkZ: 0, jump: false } });
  await c.until(() => errors(c).length >= k + 10, 5_000, 'ten answers');
  const got = errors(c).slice(k);
  expect(got.every((e) => e.code === ERROR.BUSY)).toBe(true);
  expect(got.filter((e) => /already wait/.test(e.message)).length).toBe(6);
  expect(got.filter((e) => /within 1000 ms/.test(e.message)).length).toBe(4);
  expect((edge as EdgeHost).stats().pending).toBe(0);
  hung.unsubscribe();
});

test('tessera serve --follow --edge: clients of the waiting replica play through the leader; when it leads, they reconnect to it on the same port', async () => {
  const w2 = uniqueWorld('edgeserve');
  const scene = join(dir, 'scene.json');
  const base = { workers: '0', scene, replicate: url, replicateWorld: w2, replicateLeaseMs: '1000' };
  const lead = await serve(resolveConfig({ ...base, port: '0', data: join(dir, 'l2') }, {}), silent);
  await waitFor(() => lead.host.world.stream.tick > 5, 10_000, 'a few ticks in the log');
  // a fixed port: the edge listens on it while waiting, the new leader after
  const fixed = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  let port = 0;
  const replica = serve(resolveConfig({ ...base, port: String(fixed), data: join(dir, 'r2'), follow: 'true', edge: 'true' }, {}), silent, {
    onWaiting: (x) => {
      port = x.statusPort;
    },
  });
  try {
    await waitFor(() => port > 0, 20_000, 'the edge port');
    const c = await join_(port, 'through-edge');
    await waitFor(() => lead.host.world.avatarPosition(c.publicId) !== null, 10_000, 'the avatar on the leader');
    const x0 = (lead.host.world.avatarPosition(c.publicId) as number[])[0];
    for (let k = 1; k <= 20; k++) {
      c.send({ kind: 'input', input: { seq: k, walkX: 1000, walkZ: 0, jump: false } });
      await new Promise((r) => setTimeout(r, 50));
    }
    await c.until(() => acked(c) === 20, 10_000, 'input 20 acknowledged through the serve edge');
    expect((lead.host.world.avatarPosition(c.publicId) as number[])[0]).toBeGreaterThan(x0 + 0.5);
    const m = (await request('GET', `http://127.0.0.1:${port}/metrics`)).json as string;
    expect(Number(/^tessera_edge_forwarded_total (\d+)/m.exec(m)?.[1])).toBeGreaterThanOrEqual(20);
    expect(Number(/^tessera_edge_max_pending_requests (\d+)/m.exec(m)?.[1])).toBe(4096);
    expect(Number(/^tessera_edge_mismatches_total (\d+)/m.exec(m)?.[1])).toBe(0);
    // an account registered on the leader plays on the edge: its token is checked against the
    // replica's copy of the accounts (the data stream), and the leader knows the account
    const post = (path: string, body: unknown) => request('POST', `http://127.0.0.1:${lead.host.port}${path}`, JSON.stringify(body));
    const reg = await post('/auth/register', { name: 'edgeplayer', password: 'a long password' });
    expect(reg.status).toBe(201);
    const token = (await post('/auth/login', { name: 'edgeplayer', password: 'a long password' })).json.token as string;
    // (the replica applies the data stream a moment after the leader answered: try again until then)
    let acc: RawClient | null = null;
    for (const until = Date.now() + 5_000; !acc && Date.now() < until; ) {
      const t = new RawClient(`ws://127.0.0.1:${port}/ws`);
      clients.push(t);
      await t.opened;
      t.hello({ token, privateId: 'acc' });
      await t.until(() => t.of('welcome').length > 0 || errors(t).length > 0, 5_000, 'welcome or error');
      if (t.of('welcome').length > 0) acc = t;
      else await new Promise((res) => setTimeout(res, 100));
    }
    if (!acc) throw new Error('the account never joined through the edge');
    const accPid = acc.of('welcome')[0].publicId;
    await waitFor(() => lead.host.world.sim.social.principal(accPid) === reg.json.accountId, 5_000, 'the account on the leader');
    const bad = new RawClient(`ws://127.0.0.1:${port}/ws`);
    clients.push(bad);
    await bad.opened;
    bad.hello({ token: 'not-a-token', privateId: 'x' });
    await bad.until(() => errors(bad).length > 0, 5_000, 'a bad token refused');
    expect(errors(bad)[0].code).toBe(ERROR.UNAUTHENTICATED);
    // the leader stops: the replica wins the lease, its edge clients are told, and it leads on the same port
    await lead.stop();
    const promoted = await replica;
    await c.until(() => errors(c).some((e) => e.code === ERROR.SHUTTING_DOWN), 10_000, 'SHUTTING_DOWN at the edge client');
    expect(promoted.host.port).toBe(port);
    const again = await join_(port, 'through-edge');
    expect(again.of('welcome')[0].tick).toBeGreaterThan(0);
    // one copy per serve edge: the edge's copy was promoted; it leads on, and every tick of the
    // log (the old leader's, then the new one's) has the hash a fresh copy replaying it from tick 0 gets
    const from = promoted.host.world.stream.tick;
    again.send({ kind: 'input', input: { seq: 1, walkX: 1000, walkZ: 0, jump: false } });
    await waitFor(() => promoted.host.world.stream.tick > from + 20, 10_000, 'the new leader ticks on');
    await again.until(() => acked(again) === 1, 10_000, 'an input acknowledged by the new leader');
    const replay = new WorldFollower(sceneSetup(loadScene(scene)));
    const rlog = await JetStreamTickLog.open(nc, { world: w2 });
    const differ: number[] = [];
    const feed = await rlog.follow(
      0,
      (t) => {
        if (!replay.apply(t)) differ.push(t.tick);
      },
      () => undefined,
    );
    await waitFor(() => replay.stats().next > from + 20 || differ.length > 0, 20_000, 'the replay past the takeover');
    feed.stop();
    expect(differ).toEqual([]);
    await replay.close();
    await promoted.stop();
  } finally {
    await lead.stop();
    await replica.then((s) => s.stop()).catch(() => undefined);
  }
});

test('the leader killed (SIGKILL, a child process): the edge answers its clients BUSY and does not crash', async () => {
  const w3 = uniqueWorld('edgekill');
  const cli = join(builtHelper('host-process'), '..', '..', '..', 'src', 'cli.js');
  const args = [
    cli,
    'serve',
    '--port',
    '0',
    '--data',
    join(dir, 'k'),
    '--scene',
    join(dir, 'scene.json'),
    '--workers',
    '0',
    '--replicate',
    url,
    '--replicate-world',
    w3,
  ];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = new Promise<void>((r) => proc.once('exit', () => r()));
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  let e3: EdgeHost | null = null;
  try {
    await waitFor(() => out.includes('"msg":"listening"'), 20_000, 'the child leader listening');
    e3 = await EdgeHost.start({
      nats: url,
      world: w3,
      id: 'edge3',
      setup: sceneSetup(loadScene(join(dir, 'scene.json'))),
      host: { port: 0, tickRate: 20, guests: true },
      timeoutMs: 1000,
      log: silent,
    });
    const c = await join_(e3.host.port, 'before-kill');
    c.send({ kind: 'input', input: { seq: 1, walkX: 1000, walkZ: 0, jump: false } });
    await c.until(() => acked(c) === 1, 10_000, 'input 1 acknowledged through the edge');
    proc.kill('SIGKILL');
    await exit;
    const ticks = e3.stats().ticks;
    c.send({ kind: 'input', input: { seq: 2, walkX: 0, walkZ: 0, jump: false } });
    await c.until(() => errors(c).length > 0, 5_000, 'an error');
    expect(errors(c)[0].code).toBe(ERROR.BUSY);
    c.send({ kind: 'ping', nonce: 9n });
    await c.until(() => c.of('pong').length > 0, 5_000, 'pong after the kill');
    expect(e3.stats()).toMatchObject({ mismatches: 0 });
    expect(e3.stats().ticks).toBeLessThanOrEqual(ticks + 2); // no tick without the leader's log
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    await e3?.stop();
  }
});

test('serve --follow --edge, the leader killed (SIGKILL, a child process): the edge wins the lease, its clients are told, and the promoted copy leads with the hash of a replay of the log', async () => {
  const w4 = uniqueWorld('edgekill2');
  const scene = join(dir, 'scene.json');
  const cli = join(builtHelper('host-process'), '..', '..', '..', 'src', 'cli.js');
  const args = [cli, 'serve', '--port', '0', '--data', join(dir, 'k4'), '--scene', scene, '--workers', '0'];
  const proc = spawn(process.execPath, [...args, '--replicate', url, '--replicate-world', w4, '--replicate-lease-ms', '1000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise<void>((r) => proc.once('exit', () => r()));
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  let port = 0;
  let replica: Promise<Server> | null = null;
  try {
    await waitFor(() => out.includes('"msg":"listening"'), 20_000, 'the child leader listening');
    const base = { workers: '0', scene, replicate: url, replicateWorld: w4, replicateLeaseMs: '1000' };
    // a fixed port: the edge listens on it while waiting, the new leader after
    const fixed = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    replica = serve(resolveConfig({ ...base, port: String(fixed), data: join(dir, 'r4'), follow: 'true', edge: 'true' }, {}), silent, {
      onWaiting: (x) => {
        port = x.statusPort;
      },
    });
    await waitFor(() => port > 0, 20_000, 'the edge port');
    const c = await join_(port, 'edge-before-kill');
    c.send({ kind: 'input', input: { seq: 1, walkX: 1000, walkZ: 0, jump: false } });
    await c.until(() => acked(c) === 1, 10_000, 'input 1 acknowledged through the edge');
    proc.kill('SIGKILL');
    await exit;
    const promoted = await replica;
    await c.until(() => errors(c).some((e) => e.code === ERROR.SHUTTING_DOWN), 10_000, 'SHUTTING_DOWN at the edge client');
    expect(promoted.host.port).toBe(port);
    const from = promoted.host.world.stream.tick;
    const again = await join_(port, 'edge-before-kill');
    again.send({ kind: 'input', input: { seq: 2, walkX: 1000, walkZ: 0, jump: false } });
    await again.until(() => acked(again) === 2, 10_000, 'input 2 acknowledged by the new leader');
    await waitFor(() => promoted.host.world.stream.tick > from + 20, 10_000, 'the new leader ticks on');
    // every tick of the log, the dead leader's and the new one's, has the hash a fresh replay gets
    const replay = new WorldFollower(sceneSetup(loadScene(scene)));
    const differ: number[] = [];
    const feed = await (await JetStreamTickLog.open(nc, { world: w4 })).follow(
      0,
      (t) => {
        if (!replay.apply(t)) differ.push(t.tick);
      },
      () => undefined,
    );
    await waitFor(() => replay.stats().next > from + 20 || differ.length > 0, 20_000, 'the replay past the takeover');
    feed.stop();
    expect(differ).toEqual([]);
    await replay.close();
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    await replica?.then((s) => s.stop()).catch(() => undefined);
  }
});
