/**
 * Restart of the host process with its SQLite file: players walk for a while, SIGTERM stops the
 * host gracefully, a new host process on the same file comes back at the tick and hash the old
 * one stopped at, and a player that logs in again with its private id gets its public id back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeClient, type TesseraClient } from '../src/client/node';
import { startChildHost } from './helpers/child-host';
import { waitFor } from './helpers/net';

test('graceful stop and start on the same file: same tick, same hash, same public ids', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-restart-'));
  const store = join(dir, 'world.sqlite');
  const clients: TesseraClient[] = [];
  try {
    const first = await startChildHost({ store });
    const url = `ws://127.0.0.1:${first.port}/ws`;
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = createNodeClient({ url, token: 'guest', privateId: `walker-${i}`, reconnect: { enabled: false } });
      clients.push(c);
      ids.push((await c.connect()).publicId);
    }
    for (let k = 0; k < 30; k++) {
      clients.forEach((c, i) => c.sendInput({ seq: k, walkX: i * 400 - 400, walkZ: 700, jump: k % 11 === i }));
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const c of clients.splice(0)) c.close();
    first.proc.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    const stopped = first.lines.find((l) => l.startsWith('STOPPED '))!.split(' ');
    expect(Number(stopped[1])).toBeGreaterThan(20);

    const second = await startChildHost({ store });
    const world = second.lines.find((l) => l.startsWith('WORLD '))!.split(' ');
    expect(world[1]).toBe(stopped[1]);      // the same tick
    expect(world[2]).toBe(stopped[2]);      // the same hash
    const back = createNodeClient({ url: `ws://127.0.0.1:${second.port}/ws`, token: 'guest', privateId: 'walker-1', reconnect: { enabled: false } });
    clients.push(back);
    expect((await back.connect()).publicId).toBe(ids[1]);
    await waitFor(() => (back.state?.bodies.size ?? 0) > 0, 5000, 'state after the restart');
    back.close();
    second.proc.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  } finally {
    for (const c of clients) c.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
