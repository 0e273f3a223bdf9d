/**
 * Packed deltas through a real host (hello.packedDeltas, docs/protocol.md 7.2): two clients with the
 * same fixed interest, one asking for packed deltas and one not, apply what they receive as the
 * client library does (applyToMirror) and ack it; every tick both hold the same bodies, the packed
 * one for fewer bytes, and the one that did not ask never sees the packed field.
 */
import { Host } from '../src/net/host';
import { decodeServer, peekServerKind } from '../src/protocol/codec';
import type { ServerMessage } from '../src/protocol/messages';
import { applyToMirror, type Mirror } from '../src/sim/interest';
import { RawClient, waitFor } from './helpers/net';
import { testWorld } from './helpers/world-setup';

type StateMsg = Extract<ServerMessage, { kind: 'snapshot' | 'delta' }>;

let host: Host;

beforeAll(async () => {
  host = await Host.start({ port: 0, world: testWorld({ spheres: 150 }), manualTicks: true });
});
afterAll(async () => {
  await host.stop();
});

/** A client that applies each state to the mirror of its base, keeps every mirror by tick and acks it. */
function client(url: string, name: string, packedDeltas: boolean) {
  const c = new RawClient(url);
  const out = { c, frames: new Map<number, Mirror>(), bytes: 0, packedDeltas: 0, errors: [] as string[] };
  c.ws.on('message', (data: ArrayBuffer, isBinary: boolean) => {
    if (!isBinary) return;
    const b = new Uint8Array(data),
      kind = peekServerKind(b);
    if (kind !== 'snapshot' && kind !== 'delta') return;
    const m = decodeServer(b) as StateMsg;
    out.bytes += b.length;
    if (m.kind === 'delta' && m.packed) out.packedDeltas++;
    const base = m.kind === 'delta' ? out.frames.get(m.baseTick) : null;
    if (base === undefined) {
      out.errors.push(`delta against ${m.kind === 'delta' ? m.baseTick : -1}, not held`);
      return;
    }
    const mirror = applyToMirror(base, m);
    out.frames.set(mirror.tick, mirror);
    c.send({ kind: 'ack', tick: mirror.tick });
  });
  void c.opened.then(() => c.hello({ privateId: name, interest: { center: [0n, 0n, 0n], cells: 3 }, ...(packedDeltas ? { packedDeltas: true } : {}) }));
  return out;
}

test('a packed client and a full client of one interest hold the same bodies every tick; only the one that asked gets packed bodies', async () => {
  const url = `ws://127.0.0.1:${host.port}/ws`;
  const full = client(url, 'packed-full', false),
    packed = client(url, 'packed-packed', true);
  await Promise.all([full.c.opened, packed.c.opened]);
  await waitFor(() => full.c.of('welcome').length > 0 && packed.c.of('welcome').length > 0, 3000, 'welcomes');
  let compared = 0;
  for (let i = 0; i < 60; i++) {
    host.tickOnce();
    const t = host.world.stream.tick;
    await waitFor(() => full.frames.has(t) && packed.frames.has(t), 3000, `states of ${t}`);
    const a = full.frames.get(t) as Mirror,
      b = packed.frames.get(t) as Mirror;
    expect([...b.bodies.values()].sort((x, y) => x.index - y.index)).toEqual([...a.bodies.values()].sort((x, y) => x.index - y.index));
    expect(b.shapes).toEqual(a.shapes);
    compared++;
  }
  expect(compared).toBe(60);
  expect(full.errors).toEqual([]);
  expect(packed.errors).toEqual([]);
  expect(full.packedDeltas).toBe(0);
  expect(packed.packedDeltas).toBeGreaterThan(30); // the spheres fall and roll: most deltas carry changed bodies
  expect(packed.bytes).toBeLessThan(0.7 * full.bytes);
  full.c.close();
  packed.c.close();
}, 60000);
