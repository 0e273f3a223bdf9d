/**
 * The client library's silence rule (ClientOptions.silenceMs): a connection that brings nothing
 * is taken for dead. A host that accepts TCP and never answers (a paused process: issue 19's
 * SIGSTOP past the lease) is left for the next address; a welcomed connection that goes quiet is
 * dropped and reconnected; a live host that simply has nothing to send (ticks by hand) answers the
 * keepalive ping and keeps its client.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Host } from '../src/net/host';
import { createNodeClient as nodeClient, SILENT_CLOSE } from '../src/client/node';
import { waitFor } from './helpers/net';
import { testWorld } from './helpers/world-setup';

/** A TCP server on loopback that accepts connections and never writes a byte (a paused host, as the kernel sees it). */
async function mute(): Promise<{ port: number; sockets: Socket[]; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const srv: Server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    port: (srv.address() as { port: number }).port,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

/** A TCP proxy on loopback to `port` that can be paused: then it stops passing bytes both ways, and new connections hang (a paused host). */
async function pausable(port: number): Promise<{ port: number; pause(): void; close(): Promise<void> }> {
  let paused = false;
  const sockets: Socket[] = [];
  const srv = createServer((a) => {
    sockets.push(a);
    a.on('error', () => {});
    if (paused) return;
    const b = connect(port, '127.0.0.1');
    sockets.push(b);
    b.on('error', () => a.destroy());
    a.on('data', (d) => {
      if (!paused) b.write(d);
    });
    b.on('data', (d) => {
      if (!paused) a.write(d);
    });
    a.on('close', () => b.destroy());
    b.on('close', () => a.destroy());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    port: (srv.address() as { port: number }).port,
    pause: () => {
      paused = true;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

test('a host that never answers the upgrade is left for the next address after silenceMs', async () => {
  const dead = await mute();
  const host = await Host.start({ port: 0, world: testWorld({ spheres: 0 }) });
  const closes: number[] = [];
  const c = nodeClient(
    { url: `ws://127.0.0.1:${dead.port}/ws`, urls: [`ws://127.0.0.1:${host.port}/ws`], token: 'guest', privateId: 'quiet-1', silenceMs: 400 },
    { onClose: (code) => closes.push(code) },
  );
  try {
    const t0 = performance.now();
    await c.connect();
    expect(c.currentUrl).toBe(`ws://127.0.0.1:${host.port}/ws`);
    expect(closes).toEqual([SILENT_CLOSE]);
    expect(c.silentDrops).toBe(1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(400);
    expect(dead.sockets.length).toBe(1);
  } finally {
    c.close();
    await host.stop();
    await dead.close();
  }
});

test('a live host with nothing to send (manual ticks) keeps its client: the keepalive ping is answered', async () => {
  const host = await Host.start({ port: 0, manualTicks: true, world: testWorld({ spheres: 0 }) });
  const c = nodeClient({ url: `ws://127.0.0.1:${host.port}/ws`, token: 'guest', privateId: 'quiet-2', silenceMs: 1000 });
  try {
    await c.connect();
    await new Promise((r) => setTimeout(r, 3500)); // three and a half silence periods without a tick
    expect({ drops: c.silentDrops, reconnects: c.reconnects }).toEqual({ drops: 0, reconnects: 0 });
    expect(c.rttMs).not.toBeNull(); // the keepalive's pong
  } finally {
    c.close();
    await host.stop();
  }
});

test('a welcomed connection that goes quiet is dropped; the client comes back through the next address with its public id', async () => {
  const host = await Host.start({ port: 0, world: testWorld({ spheres: 0 }) });
  const proxy = await pausable(host.port);
  const c = nodeClient({
    url: `ws://127.0.0.1:${proxy.port}/ws`,
    urls: [`ws://127.0.0.1:${host.port}/ws`],
    token: 'guest',
    privateId: 'quiet-3',
    silenceMs: 400,
    reconnect: { minMs: 50, maxMs: 200 },
  });
  try {
    const id = (await c.connect()).publicId;
    await waitFor(() => c.lastState.tick > 0, 5000, 'a state through the proxy');
    proxy.pause();
    // dropped for silence, the paused address tried again (no answer), then the next one
    await waitFor(() => c.currentUrl === `ws://127.0.0.1:${host.port}/ws` && c.publicId === id && c.silentDrops >= 2, 10_000, 'the next address');
    const tick = c.lastState.tick;
    await waitFor(() => c.lastState.tick > tick + 5, 5000, 'states again');
    expect(c.publicId).toBe(id);
  } finally {
    c.close();
    await proxy.close();
    await host.stop();
  }
});
