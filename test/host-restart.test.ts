/**
 * Restarts of the host process with its SQLite file, configured as an operator runs it
 * (snapshots on a writer thread, accounts, avatars, artifacts):
 *  - graceful: players (accounts) walk, SIGTERM stops the host; a new process on
 *    the same file comes back at the tick and hash the old one stopped at with its artifacts, a
 *    player's device (account + private id) gets its public id back, and the account logging in
 *    again from another device is placed where its avatar was saved;
 *  - crash: `kill -9` while clients play; the restarted host is at or past every tick any client
 *    received, the file passes its integrity check, and the clients reconnect by themselves with
 *    their public ids and go on receiving ticks.
 * The players are accounts: a guest is its connection (src/net/identity.ts), which a reconnect
 * resumes within the silence window of the same process, not after a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeClient, type TesseraClient } from '../src/client/node';
import { SqliteStore } from '../src/persist/sqlite-store';
import type { StreamEvent } from '../src/protocol/messages';
import { startChildHost, type ChildHost } from './helpers/child-host';
import { freePort, request, waitFor } from './helpers/net';

const post = (port: number, path: string, body: unknown) => request('POST', `http://127.0.0.1:${port}${path}`, JSON.stringify(body));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Host processes a test started: killed in its `finally` (a failed test left one running, and Jest waited on it for ever). */
const started: ChildHost[] = [];
async function host(cfg: Record<string, unknown>): Promise<ChildHost> {
  const h = await startChildHost(cfg);
  started.push(h);
  return h;
}
function killStarted(): void {
  for (const h of started.splice(0)) if (h.proc.exitCode === null && h.proc.signalCode === null) h.proc.kill('SIGKILL');
}

test('graceful stop and start on the same file: same tick, hash, public ids and artifacts; an account finds its avatar', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-restart-'));
  const store = join(dir, 'world.sqlite');
  const clients: TesseraClient[] = [];
  try {
    const first = await host({ store, artifacts: 4 });
    const url = `ws://127.0.0.1:${first.port}/ws`;
    const registered = await post(first.port, '/auth/register', { name: 'ann', password: 'a long password' });
    // (a 500 here was seen once in CI and not since: the host's log says why)
    expect({ status: registered.status, log: registered.status === 201 ? '' : first.stderr.join('') }).toEqual({ status: 201, log: '' });
    const token = (await post(first.port, '/auth/login', { name: 'ann', password: 'a long password' })).json.token as string;
    expect((await post(first.port, '/auth/register', { name: 'bob', password: 'a long password' })).status).toBe(201);
    const bob = (await post(first.port, '/auth/login', { name: 'bob', password: 'a long password' })).json.token as string;
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = createNodeClient({ url, token: bob, privateId: `walker-${i}`, reconnect: { enabled: false } });
      clients.push(c);
      ids.push((await c.connect()).publicId);
    }
    const ann = createNodeClient({ url, token, privateId: 'ann-phone', reconnect: { enabled: false } });
    clients.push(ann);
    await ann.connect();
    for (let k = 0; k < 30; k++) {
      clients.forEach((c, i) => {
        c.sendInput({ seq: k, walkX: i * 400 - 400, walkZ: 700, jump: k % 11 === i });
      });
      await sleep(50);
    }
    for (const c of clients.splice(0)) c.close();
    first.proc.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    const stopped = first.lines.find((l) => l.startsWith('STOPPED '))!.split(' ');
    expect(Number(stopped[1])).toBeGreaterThan(20);

    // what the stop left in the file: ann's avatar, the artifacts synced where they came to rest
    const db = SqliteStore.open(store);
    const annId = db.accountByName('ann')!.id;
    const saved = db.loadAvatar(annId)!;
    const rows = db.artifactsIn('world');
    db.close();
    expect(rows).toHaveLength(4);
    for (const r of rows) expect(r.position[1]).toBeLessThan(1.5); // created 2-3 m up, they fell

    const second = await host({ store, artifacts: 4 });
    const world = second.lines.find((l) => l.startsWith('WORLD '))!.split(' ');
    expect(world[1]).toBe(stopped[1]); // the same tick
    expect(world[2]).toBe(stopped[2]); // the same hash
    expect(world[3]).toBe('4'); // the artifacts are back, none created twice
    const url2 = `ws://127.0.0.1:${second.port}/ws`;
    const back = createNodeClient({ url: url2, token: bob, privateId: 'walker-1', reconnect: { enabled: false } });
    clients.push(back);
    expect((await back.connect()).publicId).toBe(ids[1]);
    await waitFor(() => (back.state?.bodies.size ?? 0) > 0, 5000, 'state after the restart');

    const token2 = (await post(second.port, '/auth/login', { name: 'ann', password: 'a long password' })).json.token as string;
    const placed: StreamEvent[] = [];
    const laptop = createNodeClient(
      { url: url2, token: token2, privateId: 'ann-laptop', reconnect: { enabled: false } },
      {
        onServerEvent: (e) => {
          if (e.type === '_p') placed.push(e);
        },
      },
    );
    clients.push(laptop);
    const { publicId } = await laptop.connect();
    await waitFor(() => placed.some((e) => e.body.startsWith(`${publicId},`)), 5000, 'the avatar placed where it was saved');
    const body = placed
      .find((e) => e.body.startsWith(`${publicId},`))!
      .body.split(',')
      .map(Number);
    expect(body.slice(1)).toEqual(saved.position.map((v) => Math.round(v * 1000)));
    for (const c of clients.splice(0)) c.close();
    second.proc.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  } finally {
    killStarted();
    for (const c of clients) c.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

test('kill -9 with clients connected: the restart is at or past every tick a client saw, and the clients carry on by themselves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-kill-'));
  const store = join(dir, 'world.sqlite');
  const port = await freePort();
  const clients: TesseraClient[] = [];
  let timer: NodeJS.Timeout | null = null;
  try {
    const first = await host({ store, port, artifacts: 4, snapshotEvery: 40 });
    const url = `ws://127.0.0.1:${port}/ws`;
    expect((await post(port, '/auth/register', { name: 'cyra', password: 'a long password' })).status).toBe(201);
    const cy = (await post(port, '/auth/login', { name: 'cyra', password: 'a long password' })).json.token as string;
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = createNodeClient({ url, token: cy, privateId: `p-${i}`, reconnect: { minMs: 100, maxMs: 400 } });
      clients.push(c);
      ids.push((await c.connect()).publicId);
    }
    let seq = 0;
    timer = setInterval(() => {
      seq++;
      clients.forEach((c, i) => {
        try {
          c.sendInput({ seq, walkX: 600 - i * 500, walkZ: 300, jump: seq % 13 === i });
        } catch {
          /* reconnecting */
        }
      });
    }, 50);
    await sleep(2500 + Math.floor(Math.random() * 1000));
    first.proc.kill('SIGKILL');
    await first.exit;
    const seen = Math.max(...clients.map((c) => c.lastKnownTick ?? 0)); // every tick < seen reached a client
    expect(seen).toBeGreaterThan(30);

    const second = await host({ store, port, artifacts: 4, snapshotEvery: 40 });
    const world = second.lines.find((l) => l.startsWith('WORLD '))!.split(' ');
    expect(Number(world[1])).toBeGreaterThanOrEqual(seen); // nothing a client saw was lost
    expect(world[3]).toBe('4');
    await waitFor(() => clients.every((c) => (c.lastKnownTick ?? 0) > Number(world[1]) + 20), 15_000, 'clients receiving ticks after the restart');
    expect(clients.map((c) => c.publicId)).toEqual(ids);
    expect(clients.every((c) => c.reconnects >= 1)).toBe(true);
    clearInterval(timer);
    timer = null;
    for (const c of clients.splice(0)) c.close();
    second.proc.kill('SIGTERM');
    expect(await second.exit).toBe(0);
    const db = SqliteStore.open(store);
    expect(db.integrityCheck()).toBe('ok');
    db.close();
  } finally {
    killStarted();
    if (timer) clearInterval(timer);
    for (const c of clients) c.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
