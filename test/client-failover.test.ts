/**
 * Clients follow a failover (issue 19, "Clients follow: the client library takes several URLs,
 * reconnects and catches up; no acknowledged input is lost and none is applied twice"). A leader
 * (`serve --replicate`, child process) and a replica (`--follow`, this process, on a port of its
 * own) serve one world; a client is given both addresses. It joins on the leader and sends inputs
 * that the leader acknowledges (states carry input_seq: with replication only once JetStream holds
 * their tick, src/net/send-gate.ts). The leader is killed: the client is refused there, told
 * 503 NOT_LEADER by the replica while it waits, and welcomed by it once it leads, with the same
 * public id (the replica's copy of the stream knows the client's private id). The log holds every
 * input the old leader acknowledged, each once, and the inputs sent after the failover.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createNodeClient } from '../src/client/node';
import { JetStreamTickLog } from '../src/replica/jetstream-log';
import { resolveConfig, serve, type Server } from '../src/serve';
import { builtCli } from './helpers/child-host';
import { natsUrl, uniqueWorld } from './helpers/nats';
import { freePort, request, waitFor } from './helpers/net';
import { writeSmallScene } from './helpers/replica';

jest.setTimeout(120_000);

let dir: string;
let scenePath: string;
let nc: NatsConnection;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-client-failover-'));
  scenePath = writeSmallScene(dir);
  nc = await connect({ servers: await natsUrl() });
});
afterAll(async () => {
  await nc.drain();
  rmSync(dir, { recursive: true, force: true });
});

test('a client given both addresses follows the failover: same public id, every acknowledged input in the log once', async () => {
  const world = uniqueWorld('cfail');
  const url = await natsUrl();
  const [portA, portB] = [await freePort(), await freePort()];
  const a: ChildProcess = spawn(
    process.execPath,
    [
      builtCli(),
      'serve',
      '--port',
      String(portA),
      '--data',
      join(dir, 'a'),
      '--scene',
      scenePath,
      '--workers',
      '0',
      '--replicate',
      url,
      '--replicate-world',
      world,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  a.stdout?.on('data', (d: Buffer) => lines.push(...d.toString().split('\n')));
  const aExit = new Promise<void>((r) => a.once('exit', () => r()));
  // the seq of every 'in' event the log holds, by origin
  const inputs = new Map<number, number[]>();
  const feed = await (await JetStreamTickLog.open(nc, { world })).follow(
    0,
    (t) => {
      for (const e of t.events)
        if (e.type === 'in') {
          const seq = Number(e.body.split(',')[3] ?? 0);
          inputs.set(e.origin, [...(inputs.get(e.origin) ?? []), seq]);
        }
    },
    () => undefined,
  );
  let b: Server | null = null;
  let client: ReturnType<typeof createNodeClient> | null = null;
  const errors: string[] = [];
  const welcomes: Array<[number, string]> = [];
  try {
    await waitFor(() => lines.some((l) => l.includes('"msg":"listening"')), 30_000, 'the leader to listen');
    // an account (a guest's scope lives in its host's memory; an account's is replicated, with its token)
    const post = (path: string, body: unknown) => request('POST', `http://127.0.0.1:${portA}${path}`, JSON.stringify(body));
    expect((await post('/auth/register', { name: 'fay', password: 'a long password' })).status).toBe(201);
    const token = (await post('/auth/login', { name: 'fay', password: 'a long password' })).json.token as string;
    const cl = createNodeClient(
      {
        url: `ws://127.0.0.1:${portA}/ws`,
        urls: [`ws://127.0.0.1:${portB}/ws`],
        token,
        privateId: 'fay-laptop',
        reconnect: { minMs: 100, maxMs: 400 },
      },
      { onError: (code, message) => errors.push(`${code} ${message}`), onWelcome: (w) => welcomes.push([w.publicId, cl.currentUrl]) },
    );
    client = cl;
    const bStarting = serve(
      resolveConfig({ port: String(portB), data: join(dir, 'b'), workers: '0', scene: scenePath, replicate: url, replicateWorld: world, follow: true }, {}),
      pino({ level: 'silent' }),
    );
    const welcome = await cl.connect();
    expect(cl.currentUrl).toBe(`ws://127.0.0.1:${portA}/ws`);
    const id = welcome.publicId;
    for (let k = 0; k < 5; k++) cl.sendInput({ walkX: 500, walkZ: 0, jump: false });
    await waitFor(() => cl.lastInputSeq === 5, 10_000, 'the leader to acknowledge 5 inputs');
    const acknowledged = cl.lastInputSeq;
    const reconnects = cl.reconnects;
    a.kill('SIGKILL');
    await aExit;
    b = await bStarting;
    // refused by the dead leader, told 503 by the replica while it waited, welcomed once it leads
    await waitFor(() => welcomes.length === 2, 20_000, 'a welcome from the new leader');
    expect(welcomes[1]).toEqual([id, `ws://127.0.0.1:${portB}/ws`]);
    expect(cl.reconnects).toBeGreaterThan(reconnects);
    await waitFor(() => cl.lastState.tick > (b as Server).host.world.stream.tick - 5, 10_000, 'states from the new leader');
    for (let k = 0; k < 5; k++) cl.sendInput({ walkX: 0, walkZ: 500, jump: false });
    await waitFor(
      () => cl.lastInputSeq === 10,
      10_000,
      `the new leader to acknowledge the next 5 inputs (acknowledged ${cl.lastInputSeq}; errors: ${errors.join('; ')})`,
    );
    await waitFor(() => (inputs.get(id) ?? []).includes(10), 10_000, 'the last input in the log');
    const seqs = inputs.get(id) ?? [];
    // every input acknowledged before the failover is in the log, and no seq twice
    for (let s = 1; s <= acknowledged; s++) expect(seqs).toContain(s);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  } finally {
    client?.close();
    feed.stop();
    a.kill('SIGKILL');
    await aExit;
    await b?.stop();
  }
});
