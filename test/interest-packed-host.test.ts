/**
 * Packed and predicted deltas through a real host (hello.packedDeltas, hello.predictedDeltas,
 * docs/protocol.md 7.2, 7.3): three clients with the same fixed interest, asking for packed deltas,
 * for predicted ones (and packed) and for neither, apply what they receive as the client library
 * does (applyToMirror) and ack it; every tick all three hold the same bodies, the packed and
 * predicted ones for fewer bytes, and the one that did not ask never sees either field.
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
function client(url: string, name: string, packedDeltas: boolean, predictedDeltas = false) {
  const c = new RawClient(url);
  const out = { c, frames: new Map<number, Mirror>(), bytes: 0, packedDeltas: 0, predictedDeltas: 0, errors: [] as string[] };
  c.ws.on('message', (data: ArrayBuffer, isBinary: boolean) => {
    if (!isBinary) return;
    const b = new Uint8Array(data),
      kind = peekServerKind(b);
    if (kind !== 'snapshot' && kind !== 'delta') return;
    const m = decodeServer(b) as StateMsg;
    out.bytes += b.length;
    if (m.kind === 'delta' && m.packed) out.packedDeltas++;
    if (m.kind === 'delta' && m.predicted) out.predictedDeltas++;
    const base = m.kind === 'delta' ? out.frames.get(m.baseTick) : null;
    if (base === undefined) {
      out.errors.push(`delta against ${m.kind === 'delta' ? m.baseTick : -1}, not held`);
      return;
    }
    const mirror = applyToMirror(base, m);
    out.frames.set(mirror.tick, mirror);
    c.send({ kind: 'ack', tick: mirror.tick });
  });
  void c.opened.then(() =>
    c.hello({
      privateId: name,
      interest: { center: [0n, 0n, 0n], cells: 3 },
      ...(packedDeltas ? { packedDeltas: true } : {}),
      ...(predictedDeltas ? { predictedDeltas: true } : {}),
    }),
  );
  return out;
}

test('a packed, a predicted and a full client of one interest hold the same bodies every tick; only the ones that asked get packed or predicted bodies', async () => {
  const url = `ws://127.0.0.1:${host.port}/ws`;
  const full = client(url, 'packed-full', false),
    packed = client(url, 'packed-packed', true),
    predicted = client(url, 'packed-predicted', true, true);
  await Promise.all([full.c.opened, packed.c.opened, predicted.c.opened]);
  await waitFor(() => full.c.of('welcome').length > 0 && packed.c.of('welcome').length > 0 && predicted.c.of('welcome').length > 0, 3000, 'welcomes');
  let compared = 0;
  for (let i = 0; i < 60; i++) {
    host.tickOnce();
    const t = host.world.stream.tick;
    await waitFor(() => full.frames.has(t) && packed.frames.has(t) && predicted.frames.has(t), 3000, `states of ${t}`);
    const a = full.frames.get(t) as Mirror;
    for (const b of [packed.frames.get(t) as Mirror, predicted.frames.get(t) as Mirror]) {
      expect([...b.bodies.values()].sort((x, y) => x.index - y.index)).toEqual([...a.bodies.values()].sort((x, y) => x.index - y.index));
      expect(b.shapes).toEqual(a.shapes);
    }
    compared++;
  }
  expect(compared).toBe(60);
  expect(full.errors).toEqual([]);
  expect(packed.errors).toEqual([]);
  expect(full.packedDeltas + full.predictedDeltas).toBe(0);
  expect(packed.predictedDeltas).toBe(0);
  expect(predicted.packedDeltas).toBe(0); // a host that knows predicted deltas sends them instead
  expect(predicted.predictedDeltas).toBeGreaterThan(30);
  expect(predicted.bytes).toBeLessThan(packed.bytes); // falling and rolling spheres: predicted closely
  expect(packed.packedDeltas).toBeGreaterThan(30); // the spheres fall and roll: most deltas carry changed bodies
  expect(packed.bytes).toBeLessThan(0.7 * full.bytes);
  full.c.close();
  packed.c.close();
  predicted.c.close();
}, 60000);
