/**
 * Issue 19's acceptance test for durable data: "After a takeover, a player who registered on the
 * old primary logs in on the new one with the same password and finds their avatar and
 * artifacts." `tessera serve --replicate` leads in a child process; `serve --replicate --follow`
 * waits as a replica in this one. A player registers and logs in over HTTP (two sessions),
 * plays with one (WebSocket: a chat line, then /auth/logout, after which her client leaves and
 * the avatar is saved), and gets an artifact (written to the leader's file by the
 * ArtifactService, as a game or the operator would). The leader is killed with SIGKILL; on the
 * new leader the same password logs in, the other token still works (the session was in
 * JetStream before the token was given out) and the logged-out one does not, the chat line is in
 * the history, the avatar is placed where the old leader saved it, and the artifacts are the old
 * leader's. And a graceful stop: what the leader writes while stopping (the avatars of players
 * still connected) is in JetStream before it releases the lease, so the next leader has it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { resolveConfig, serve, type Server } from '../src/serve';
import { SqliteStore } from '../src/persist/sqlite-store';
import { ArtifactService } from '../src/persist/artifacts';
import { createNodeClient } from '../src/client/node';
import { CHAT_CHANNEL, type StreamEvent } from '../src/protocol/messages';
import { natsUrl, uniqueWorld } from './helpers/nats';
import { RawClient, request, waitFor } from './helpers/net';
import { startServe } from './helpers/child-host';
import { writeSmallScene } from './helpers/replica';

jest.setTimeout(90_000);

let dir: string;
let scenePath: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-durable-'));
  scenePath = writeSmallScene(dir);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const json = (port: number, path: string, body: unknown, headers: Record<string, string> = {}) =>
  request('POST', `http://127.0.0.1:${port}${path}`, JSON.stringify(body), headers);

test('after a takeover, a player who registered on the old leader logs in on the new one with the same password and finds their avatar, artifacts and chat', async () => {
  const world = uniqueWorld('durable');
  const nats = await natsUrl();
  const aData = join(dir, `${world}-a`),
    bData = join(dir, `${world}-b`);
  const a = startServe(['--port', '0', '--data', aData, '--scene', scenePath, '--workers', '0', '--replicate', nats, '--replicate-world', world]);
  let b: Server | null = null;
  let bStarting: Promise<Server> | null = null;
  const opened: SqliteStore[] = [];
  try {
    const { port } = await a.listening;
    bStarting = serve(
      resolveConfig({ port: '0', data: bData, workers: '0', scene: scenePath, replicate: nats, replicateWorld: world, follow: true }, {}),
      pino({ level: 'silent' }),
    );
    bStarting.catch(() => undefined); // awaited below

    // the player registers and logs in on the leader (answered once JetStream holds the rows)
    const reg = await json(port, '/auth/register', { name: 'ann', password: 'a long password' });
    expect(reg.status).toBe(201);
    const annId = reg.json.accountId as number;
    const login = await json(port, '/auth/login', { name: 'ann', password: 'a long password' });
    expect(login.status).toBe(200);
    const token = login.json.token as string;
    // a second session, on her phone
    const phone = (await json(port, '/auth/login', { name: 'ann', password: 'a long password' })).json.token as string;

    // plays on the phone: joins, says something, logs out (her client leaves at once: the avatar is saved)
    const c = new RawClient(`ws://127.0.0.1:${port}/ws`);
    await c.opened;
    c.hello({ token: phone, privateId: 'ann-phone' });
    await c.until(() => c.of('welcome').length > 0, 10_000, 'welcome');
    c.send({ kind: 'chat', channel: CHAT_CHANNEL.WORLD, to: '', text: 'hello from the old leader' });
    await c.until(() => c.of('chat').some((m) => m.text === 'hello from the old leader'), 10_000, 'the chat line');
    expect((await json(port, '/auth/logout', {}, { authorization: `Bearer ${phone}` })).status).toBe(200);
    await c.done;

    // an artifact of hers, made on the leader's file by the ArtifactService
    const leaderFile = SqliteStore.open(join(aData, 'tessera.sqlite'));
    opened.push(leaderFile);
    const made = new ArtifactService(leaderFile).create({
      owner: annId,
      shape: { kind: 'sphere', radius: 0.3 },
      position: [2, 3, -1],
      custom: { name: 'her ball' },
    });

    // the replica's file has them (the avatar, artifact and chat are sent behind the writes: wait for them)
    const replicaFile = SqliteStore.open(join(bData, 'tessera.sqlite'));
    opened.push(replicaFile);
    await waitFor(
      () =>
        replicaFile.loadAvatar(annId) !== null &&
        replicaFile.artifactsOwnedBy(annId).length === 1 &&
        replicaFile.chatPage('world', null, 10).some((l) => l.text === 'hello from the old leader'),
      10_000,
      "the replica to have ann's avatar, artifact and chat line",
    );
    const avatar = leaderFile.loadAvatar(annId);
    expect(avatar).not.toBeNull();

    a.kill('SIGKILL');
    await a.exit;
    b = await (bStarting as Promise<Server>);
    const bPort = b.host.port;

    // the same password logs in on the new leader; the old token still works there
    const again = await json(bPort, '/auth/login', { name: 'ann', password: 'a long password' });
    expect(again.status).toBe(200);
    expect(again.json.accountId).toBe(annId);
    expect((await json(bPort, '/auth/login', { name: 'ann', password: 'a wrong password' })).status).toBe(401);
    const history = await request('GET', `http://127.0.0.1:${bPort}/chat/history?channel=world`, '', { authorization: `Bearer ${token}` });
    expect(history.status).toBe(200);
    expect((history.json.lines as Array<{ text: string; sender: number }>).map((l) => l.text)).toContain('hello from the old leader');
    // the phone's token was logged out on the old leader: it does not come back on the new one
    expect((await request('GET', `http://127.0.0.1:${bPort}/chat/history?channel=world`, '', { authorization: `Bearer ${phone}` })).status).toBe(401);

    // her artifacts are the old leader's, row for row
    expect(replicaFile.artifactsOwnedBy(annId)).toEqual([leaderFile.artifact(made.id)]);
    expect(replicaFile.artifactsOwnedBy(annId)[0].custom).toBe('{"name":"her ball"}');

    // she joins the new leader with the old token and her avatar is placed where the old leader saved it
    const placed: StreamEvent[] = [];
    const back = createNodeClient(
      { url: `ws://127.0.0.1:${bPort}/ws`, token, privateId: 'ann-laptop', reconnect: { enabled: false } },
      {
        onServerEvent: (e) => {
          if (e.type === '_p') placed.push(e);
        },
      },
    );
    try {
      const { publicId } = await back.connect();
      await waitFor(() => placed.some((e) => e.body.startsWith(`${publicId},`)), 10_000, 'the avatar placed where it was saved');
      const at =
        placed
          .find((e) => e.body.startsWith(`${publicId},`))
          ?.body.split(',')
          .map(Number) ?? [];
      expect(at.slice(1)).toEqual(avatar?.position.map((v) => Math.round(v * 1000)));
    } finally {
      back.close();
    }
    const m = (await request('GET', `http://127.0.0.1:${bPort}/metrics`)).json as string;
    expect(m).toMatch(/^tessera_replication_data_seq [1-9]\d*$/m);
    expect(m).toMatch(/^tessera_replication_data_backlog 0$/m);
  } finally {
    a.kill('SIGKILL');
    await a.exit;
    // (a failure before the takeover: the replica leads now that a is gone, and is stopped)
    await (b ?? (await bStarting?.catch(() => null)))?.stop();
    for (const s of opened) s.close();
  }
});

test('a graceful stop of the leader hands over what it wrote while stopping: the avatar of a player still connected reaches the replica that takes over', async () => {
  const world = uniqueWorld('durable-stop');
  const nats = await natsUrl();
  const cfg = (data: string, follow: boolean) =>
    resolveConfig(
      { port: '0', data: join(dir, data), workers: '0', scene: scenePath, replicate: nats, replicateWorld: world, ...(follow ? { follow: true } : {}) },
      {},
    );
  const a = await serve(cfg(`${world}-a`, false), pino({ level: 'silent' }));
  let b: Server | null = null;
  const bStarting = serve(cfg(`${world}-b`, true), pino({ level: 'silent' }));
  bStarting.catch(() => undefined);
  try {
    const port = a.host.port;
    const annId = (await json(port, '/auth/register', { name: 'ann', password: 'a long password' })).json.accountId as number;
    const token = (await json(port, '/auth/login', { name: 'ann', password: 'a long password' })).json.token as string;
    const c = new RawClient(`ws://127.0.0.1:${port}/ws`);
    await c.opened;
    c.hello({ token, privateId: 'ann-phone' });
    await c.until(() => c.of('welcome').length > 0, 10_000, 'welcome');
    const publicId = c.of('welcome')[0].publicId;
    await waitFor(() => a.host.world.avatarPosition(publicId) !== null, 10_000, 'her avatar in the world (the tick after her join)');
    await a.stop('test'); // ann is still connected: her avatar is saved by the stop
    b = await bStarting;
    const leaderFile = SqliteStore.open(join(dir, `${world}-a`, 'tessera.sqlite'));
    const replicaFile = SqliteStore.open(join(dir, `${world}-b`, 'tessera.sqlite'));
    try {
      expect(leaderFile.loadAvatar(annId)).not.toBeNull();
      expect(replicaFile.loadAvatar(annId)).toEqual(leaderFile.loadAvatar(annId));
    } finally {
      leaderFile.close();
      replicaFile.close();
    }
    c.close();
  } finally {
    await a.stop();
    await (b ?? (await bStarting.catch(() => null)))?.stop();
  }
});
