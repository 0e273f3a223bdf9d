/**
 * What an idle client receives per tick in a settled demo world, message by message (kind and
 * bytes): a probe for the idle bytes target of issue 22.
 *
 *   npm run build:ts && node build/dist/bench/idle/idle-probe.js [--settle 20] [--window 5]
 */
import { join } from 'node:path';
import WebSocket from 'ws';
import { createNodeClient, type SocketFactory } from '../../src/client/node';
import { Host } from '../../src/net/host';
import { decodeServer } from '../../src/protocol/codec';
import { loadSceneWithAssets, sceneSetup } from '../../src/scene';
import { repoRoot } from '../results';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const SETTLE = Number(arg('settle', '20')),
  WINDOW = Number(arg('window', '5'));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const scene = await loadSceneWithAssets(join(repoRoot(), 'scenes', 'demo.json'));
  const host = await Host.start({ port: 0, tickRate: scene.world.tickRate, world: sceneSetup(scene, 0) });
  try {
    const byKind = new Map<string, { n: number; bytes: number; sample: string }>();
    let on = false;
    class ProbeSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        this.on('message', (raw: Buffer | ArrayBuffer) => {
          if (!on) return;
          const d = raw instanceof ArrayBuffer ? Buffer.from(raw) : raw;
          if (d.byteLength < 8) {
            const e = byKind.get(`${d.byteLength}-byte frame`) ?? { n: 0, bytes: 0, sample: '' };
            e.n++;
            e.bytes += d.byteLength;
            byKind.set(`${d.byteLength}-byte frame`, e);
            return;
          }
          const m = decodeServer(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
          const e = byKind.get(m.kind) ?? { n: 0, bytes: 0, sample: '' };
          e.n++;
          e.bytes += d.byteLength;
          e.sample = JSON.stringify(m, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? `<${v.byteLength} B>` : v)).slice(0, 400);
          byKind.set(m.kind, e);
        });
      }
    }
    const c = createNodeClient(
      {
        url: `ws://127.0.0.1:${host.port}/ws`,
        token: 'guest',
        privateId: 'idle-probe',
        WebSocket: ProbeSocket as unknown as SocketFactory,
        reconnect: { enabled: false },
      },
      {},
    );
    await c.connect();
    await sleep(SETTLE * 1000);
    const tick0 = host.world.stream.tick;
    on = true;
    await sleep(WINDOW * 1000);
    on = false;
    const ticks = host.world.stream.tick - tick0;
    console.log(`${ticks} ticks`);
    for (const [k, e] of byKind)
      console.log(`${k}: ${e.n} messages, ${(e.bytes / ticks).toFixed(1)} B/tick, ${(e.bytes / e.n).toFixed(1)} B each; last: ${e.sample}`);
    c.close();
  } finally {
    await host.stop();
  }
}

void main();
