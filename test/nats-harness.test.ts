/**
 * The NATS test harness itself (test/helpers/nats.ts): a paused server answers nothing until it
 * is resumed, a server outlives neither its test process nor its store, world ids are unique and
 * safe as subject tokens and bucket names. The SIGKILL check runs the compiled helper from
 * build/dist (`npm test` builds first).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, type NatsConnection, TimeoutError } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { startNats, uniqueWorld, type NatsServer } from './helpers/nats';
import { builtHelper } from './helpers/child-host';
import { waitFor } from './helpers/net';

const conns: NatsConnection[] = [];
const servers: NatsServer[] = [];

afterAll(async () => {
  for (const nc of conns) await nc.close().catch(() => {});
  for (const s of servers) await s.stop();
});

/** True while a process with this pid exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

test('pause() freezes the server (a request times out instead of being answered), resume() brings it back', async () => {
  const server = await startNats();
  servers.push(server);
  const nc = await connect({ servers: server.url, name: 'harness-a' });
  const responder = await connect({ servers: server.url, name: 'harness-b' });
  conns.push(nc, responder);
  const subj = `${uniqueWorld('harness')}.echo`;
  responder.subscribe(subj, { callback: (_e, m) => void m.respond(m.data) });
  await responder.flush();
  expect((await nc.request(subj, new Uint8Array([1]), { timeout: 20_000 })).data).toEqual(new Uint8Array([1]));
  server.pause();
  const err = await nc.request(subj, new Uint8Array([2]), { timeout: 500 }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TimeoutError);
  server.resume();
  expect((await nc.request(subj, new Uint8Array([3]), { timeout: 20_000 })).data).toEqual(new Uint8Array([3]));
  expect(alive(server.pid)).toBe(true);
});

test('stop() ends the server and removes its store; restart() keeps port and store', async () => {
  const server = await startNats();
  const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  conns.push(nc);
  const kv = await new Kvm(nc).create(`${uniqueWorld('harness')}_b`);
  await kv.put('k', 'v');
  let reconnected = false;
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'reconnect') reconnected = true;
  })();
  const port = server.port;
  await server.restart();
  expect(server.port).toBe(port);
  // requests made before the client has reconnected are lost (nats-facts.test.ts): wait for it
  await waitFor(() => reconnected, 30_000, 'the client to reconnect');
  expect((await kv.get('k'))?.string()).toBe('v');
  await nc.close();
  const pid = server.pid;
  expect(existsSync(server.dir)).toBe(true);
  await server.stop();
  expect(alive(pid)).toBe(false);
  expect(existsSync(server.dir)).toBe(false);
});

test('a server dies with its test process, even one killed with SIGKILL, and its store is removed', async () => {
  const helper = builtHelper('nats');
  const script = `require(${JSON.stringify(helper)}).startNats().then((s) => { console.log(JSON.stringify({ pid: s.pid, dir: s.dir })); process.kill(process.pid, 'SIGKILL'); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const signal = await new Promise((r) => child.once('exit', (_c, s) => r(s)));
  expect(signal).toBe('SIGKILL');
  const { pid, dir } = JSON.parse(out) as { pid: number; dir: string };
  expect(pid).toBeGreaterThan(0);
  await waitFor(() => !alive(pid) && !existsSync(dir), 30_000, 'the watchdog to kill the server and remove its dir');
});

test('uniqueWorld gives distinct ids of lower-case letters, digits and _', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 1000; i++) ids.add(uniqueWorld('My-World.x'));
  expect(ids.size).toBe(1000);
  for (const id of ids) expect(id).toMatch(/^my_world_x_[a-z0-9_]+$/);
});
