/**
 * Hulls on the wire (issue 18): a client whose interest holds a dynamic convex hull receives it
 * as shape 6 (Hull) with the half extents of the box with the hull's principal moments and the
 * body's rotation, and the message decodes (a shape code the schema did not declare would make
 * every state message of that view fail to encode).
 */
import { Host } from '../src/net/host';
import { SHAPE } from '../src/protocol/messages';
import type { ShardedWorld } from '../src/physics/sharded';
import { RawClient } from './helpers/net';

test('a client sees a hull as shape 6 with its box of equal moments, and the tumbling hull moves in later deltas', async () => {
  let hull = 0n;
  const host = await Host.start({
    port: 0,
    manualTicks: true,
    world: {
      config: { capacity: 32, tickRate: 20, maxBodyRadius: 1, sleep: { enabled: false }, geometryWords: 4096, contactsPerBody: 16 },
      spawnPoints: [[-8, 1.2, -8]],
      scene: (w: ShardedWorld) => {
        w.addPlane({ normal: [0, 1, 0], offset: 0 });
        // a 1 x 0.5 x 0.25 m cuboid as 8 points: its box of equal moments is itself
        const v: Array<[number, number, number]> = [];
        for (const x of [-0.5, 0.5]) for (const y of [-0.25, 0.25]) for (const z of [-0.125, 0.125]) v.push([x, y, z]);
        hull = w.addHull({ vertices: v, position: [1, 2, 1], density: 500 });
      },
    },
  });
  try {
    const c = new RawClient(`ws://127.0.0.1:${host.port}/ws`);
    await c.opened;
    c.hello({ interest: { center: [0n, 0n, 0n], cells: 1 } });
    await c.until(() => c.of('welcome').length === 1);
    host.tickOnce();
    await c.until(() => c.of('snapshot').length >= 1, 5000, 'the first snapshot');
    const snap = c.of('snapshot')[0];
    const shape = snap.shapes.find((s) => BigInt(s.index) === (hull & 0xffffffffn));
    expect(shape?.shape).toBe(SHAPE.HULL);
    // half extents in 1/1024 m, largest first in the principal frame (any order of the three is a rotation away)
    expect([shape?.sx, shape?.sy, shape?.sz].map((v) => Math.round(((v ?? 0) / 1024) * 1000) / 1000).sort()).toEqual([0.125, 0.25, 0.5]);
    const y0 = snap.bodies.find((b) => BigInt(b.index) === (hull & 0xffffffffn))?.py ?? 0;
    for (let t = 0; t < 10; t++) host.tickOnce();
    await c.until(() => c.of('delta').length + c.of('snapshot').length >= 11, 5000, 'ten more states');
    const last = [...c.messages].reverse().find((m) => m.kind === 'snapshot' || m.kind === 'delta');
    const body = last && 'bodies' in last ? last.bodies.find((b) => BigInt(b.index) === (hull & 0xffffffffn)) : undefined;
    expect(body?.py).toBeLessThan(y0); // falling
    c.close();
  } finally {
    await host.stop();
  }
});
