/**
 * Bytes to an idle client in a settled world, per delta format (issue 22: under 2 kB/s): the demo
 * world in this process (src/net/host.ts on the demo scene), left to settle with nobody connected,
 * then one idle guest per format (full, packed, predicted: the client library with packedDeltas /
 * predictedDeltas off or on; quiet ticks on, as the library's default, and one predicted guest
 * with them off) that never sends input; after their avatars settle, the bytes each
 * receives over the window (every WebSocket frame's payload: states, events, pongs), kB/s. Bytes,
 * not timing: the figures do not depend on the machine's speed (the number of ticks in the window
 * does, slightly, on a loaded machine: the host skips no ticks but may run late).
 *
 *   npm run build:ts && node build/dist/bench/idle/idle-bytes.js [--settle 30] [--settle-client 20] [--window 20]
 */
import { join } from 'node:path';
import WebSocket from 'ws';
import { createNodeClient, type SocketFactory } from '../../src/client/node';
import { Host } from '../../src/net/host';
import { loadSceneWithAssets, sceneSetup } from '../../src/scene';
import { repoRoot } from '../results';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const SETTLE = Number(arg('settle', '30')),
  SETTLE_CLIENT = Number(arg('settle-client', '20')),
  WINDOW = Number(arg('window', '20'));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const scene = await loadSceneWithAssets(join(repoRoot(), 'scenes', 'demo.json'));
  const host = await Host.start({ port: 0, tickRate: scene.world.tickRate, world: sceneSetup(scene, 0) });
  try {
    console.log(`demo world up; settling ${SETTLE} s with nobody connected`);
    await sleep(SETTLE * 1000);
    const formats = [
      { name: 'full', packedDeltas: false, predictedDeltas: false },
      { name: 'packed', packedDeltas: true, predictedDeltas: false },
      { name: 'predicted', packedDeltas: true, predictedDeltas: true },
      { name: 'predicted, quietTicks off', packedDeltas: true, predictedDeltas: true, quietTicks: false },
    ];
    const counts = formats.map(() => ({ bytes: 0, states: 0 }));
    const clients = formats.map((f, k) => {
      class CountingSocket extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols);
          this.on('message', (d: ArrayBuffer | Buffer) => {
            counts[k].bytes += d.byteLength;
          });
        }
      }
      return createNodeClient(
        {
          url: `ws://127.0.0.1:${host.port}/ws`,
          token: 'guest',
          privateId: `idle-${f.name}`,
          WebSocket: CountingSocket as unknown as SocketFactory,
          reconnect: { enabled: false },
          packedDeltas: f.packedDeltas,
          predictedDeltas: f.predictedDeltas,
          quietTicks: f.quietTicks !== false,
        },
        {
          onState() {
            counts[k].states++;
          },
        },
      );
    });
    await Promise.all(clients.map((c) => c.connect()));
    console.log(`${clients.length} idle clients joined; letting their avatars settle ${SETTLE_CLIENT} s`);
    await sleep(SETTLE_CLIENT * 1000);
    const b0 = counts.map((c) => ({ ...c })),
      t0 = performance.now(),
      tick0 = host.world.stream.tick;
    await sleep(WINDOW * 1000);
    const seconds = (performance.now() - t0) / 1000,
      ticks = host.world.stream.tick - tick0;
    const rows = formats.map((f, k) => ({
      format: f.name,
      'kB/s received': Math.round(((counts[k].bytes - b0[k].bytes) / 1000 / seconds) * 100) / 100,
      'B per state (all bytes / states)': Math.round((counts[k].bytes - b0[k].bytes) / Math.max(1, counts[k].states - b0[k].states)),
      states: counts[k].states - b0[k].states,
    }));
    for (const c of clients) c.close();
    console.log(`window ${seconds.toFixed(1)} s, ${ticks} ticks`);
    console.table(rows);
  } finally {
    await host.stop();
  }
}

void main();
