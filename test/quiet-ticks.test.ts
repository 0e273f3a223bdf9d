/**
 * Quiet ticks (hello.quietTicks, docs/protocol.md section 7.4; issue 22's idle-bytes target): a
 * client that asks gets one ServerQuiet for a tick with no event and nothing changed in its view,
 * instead of an empty events message and an empty delta. Against a running host (20 Hz) with two
 * clients side by side, one asking and one not, through a settled world, a burst of activity (a
 * thrown sphere, chat-free client events) and the settled world again:
 * - both rebuild the same state at every tick both received, and the same events in the same order;
 * - the asking client received ServerQuiet messages (and the host counted them), the other none;
 * - its bases kept moving: after the quiet stretch the host sent deltas, not a snapshot;
 * - settled, it received under half the other's bytes.
 */
import WebSocket from 'ws';
import { Host } from '../src/net/host';
import { createNodeClient, type SocketFactory } from '../src/client/node';
import type { Mirror } from '../src/sim/interest';
import { decodeServer } from '../src/protocol/codec';
import { waitFor } from './helpers/net';
import { testWorld } from './helpers/world-setup';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A `ws` socket that counts the bytes and kinds of the messages it receives into `into`. */
function countingSocket(into: { bytes: number; kinds: Map<string, number> }): SocketFactory {
  class Counting extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.on('message', (raw: Buffer | ArrayBuffer) => {
        const d = raw instanceof ArrayBuffer ? new Uint8Array(raw) : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
        into.bytes += d.byteLength;
        const k = decodeServer(d).kind;
        into.kinds.set(k, (into.kinds.get(k) ?? 0) + 1);
      });
    }
  }
  return Counting as unknown as SocketFactory;
}

/** A mirror as comparable text: bodies and shapes by slot. */
function mirrorText(m: Mirror): string {
  const bodies = [...m.bodies.entries()].sort((a, b) => a[0] - b[0]);
  const shapes = [...m.shapes.entries()].sort((a, b) => a[0] - b[0]);
  return JSON.stringify([bodies, shapes]);
}

test('a quiet client rebuilds the same states and events as a loud one, acknowledges through quiet ticks, and receives under half the bytes when settled', async () => {
  // 12 spheres settle in the box; nobody walks (avatars stand still once landed)
  const host = await Host.start({ port: 0, world: testWorld({ spheres: 12 }) });
  try {
    const counts = {
      quiet: { bytes: 0, kinds: new Map<string, number>() },
      loud: { bytes: 0, kinds: new Map<string, number>() },
    };
    const states = { quiet: new Map<number, string>(), loud: new Map<number, string>() };
    const mk = (name: 'quiet' | 'loud') =>
      createNodeClient(
        {
          url: `ws://127.0.0.1:${host.port}/ws`,
          token: 'guest',
          privateId: `quiet-ticks-${name}`,
          WebSocket: countingSocket(counts[name]),
          ...(name === 'loud' ? { quietTicks: false } : {}),
        },
        {
          onState: (m, info) => states[name].set(info.tick, mirrorText(m)),
        },
      );
    const quiet = mk('quiet'),
      loud = mk('loud');
    quiet.record = true;
    loud.record = true;
    try {
      await quiet.connect();
      await loud.connect();
      // settle: both avatars land, the spheres sleep; then a quiet stretch
      await waitFor(() => (counts.quiet.kinds.get('quiet') ?? 0) > 40, 20_000, 'quiet ticks once the world settled');
      const settledFrom = { quiet: counts.quiet.bytes, loud: counts.loud.bytes, tick: host.world.stream.tick };
      await sleep(1500);
      const settled = { quiet: counts.quiet.bytes - settledFrom.quiet, loud: counts.loud.bytes - settledFrom.loud };
      // activity: client events (stream events both receive) and the quiet one throws a sphere
      const quietBefore = counts.quiet.kinds.get('quiet') ?? 0;
      const snapshotsBefore = counts.quiet.kinds.get('snapshot') ?? 0;
      for (let i = 0; i < 5; i++) {
        loud.sendEvent('note', `hello ${i}`);
        quiet.sendInput({ walkX: i % 2 === 0 ? 1000 : -1000, walkZ: 0, jump: false });
        await sleep(120);
      }
      quiet.sendInput({ walkX: 0, walkZ: 0, jump: false });
      // settle again: quiet ticks resume
      await waitFor(() => (counts.quiet.kinds.get('quiet') ?? 0) > quietBefore + 40, 20_000, 'quiet ticks again after the activity');
      const lastTick = host.world.stream.tick;
      await waitFor(() => quiet.lastState.tick >= lastTick && loud.lastState.tick >= lastTick, 5000, 'both clients at the same tick');

      // the same states at every tick both received
      let compared = 0;
      for (const [tick, text] of states.quiet) {
        const other = states.loud.get(tick);
        if (other === undefined) continue;
        expect(text).toBe(other);
        compared++;
      }
      expect(compared).toBeGreaterThan(80);
      // the same events, in the same order (the client events of the burst among them)
      const ev = (c: typeof quiet) => c.received.map((e) => `${e.tick}|${e.type}|${e.origin}|${e.body}`);
      expect(ev(quiet)).toEqual(ev(loud));
      expect(ev(quiet).filter((e) => e.includes('|note|')).length).toBe(5);
      // quiet messages to the asking client only; counted by the host
      expect(counts.loud.kinds.get('quiet') ?? 0).toBe(0);
      expect(host.statistics.quietTicks).toBe(counts.quiet.kinds.get('quiet'));
      // acknowledged through the quiet stretch: the activity came as deltas, no new snapshot
      expect(counts.quiet.kinds.get('snapshot') ?? 0).toBe(snapshotsBefore);
      expect(counts.quiet.kinds.get('delta') ?? 0).toBeGreaterThan(0);
      // settled: under half the bytes (a quiet tick is 60 bytes; an empty delta and events 160)
      expect(settled.loud).toBeGreaterThan(0);
      expect(settled.quiet).toBeLessThan(0.5 * settled.loud);
    } finally {
      quiet.close();
      loud.close();
    }
  } finally {
    await host.stop();
  }
}, 60_000);
