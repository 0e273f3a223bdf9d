/**
 * The wire check shared by the hull and compound tests (issue 18): a client whose interest holds
 * two dynamic bodies of one shared shape asset receives both with the asset id in `sx` (and 0 in
 * `sy`, `sz`), then the asset's geometry once per connection (ServerGeometry parts), and the
 * bodies fall in later deltas.
 */
import { Host } from '../../src/net/host';
import { GeometryAssembler } from '../../src/assets/wire';
import type { ShardedWorld } from '../../src/physics/sharded';
import { RawClient } from './net';

/**
 * Starts a host (manual ticks, a plane at y = 0, sleep off) on `scene`, which adds two bodies of
 * one shape asset and returns the handle of the first; checks the snapshot, the geometry message
 * (`shape` code, `vertexCount`, `indexCount` of the assembled asset) and that the first body's
 * height (`py`, raw) is lower 10 ticks later. `label` names the asset in wait messages.
 */
export async function expectSharedAssetOnWire(opts: {
  scene: (w: ShardedWorld) => bigint;
  shape: number;
  vertexCount: number;
  indexCount: number;
  label: string;
}): Promise<void> {
  let body = 0n;
  const host = await Host.start({
    port: 0,
    manualTicks: true,
    world: {
      config: { capacity: 32, tickRate: 20, maxBodyRadius: 1, sleep: { enabled: false }, geometryWords: 4096, contactsPerBody: 16 },
      spawnPoints: [[-8, 1.2, -8]],
      scene: (w: ShardedWorld) => {
        w.addPlane({ normal: [0, 1, 0], offset: 0 });
        body = opts.scene(w);
      },
    },
  });
  try {
    const slot = body & 0xffffffffn;
    const c = new RawClient(`ws://127.0.0.1:${host.port}/ws`);
    await c.opened;
    c.hello({ interest: { center: [0n, 0n, 0n], cells: 1 } });
    await c.until(() => c.of('welcome').length === 1);
    host.tickOnce();
    await c.until(() => c.of('snapshot').length >= 1, 5000, 'the first snapshot');
    const snap = c.of('snapshot')[0];
    const shaped = snap.shapes.filter((s) => s.shape === opts.shape);
    expect(shaped).toHaveLength(2);
    const id = shaped.find((s) => BigInt(s.index) === slot)?.sx ?? -1;
    expect(shaped.map((s) => [s.sx, s.sy, s.sz])).toEqual([
      [id, 0, 0],
      [id, 0, 0],
    ]);
    // the geometry follows, once for the shared shape
    await c.until(() => c.of('geometry').length >= 1, 5000, `the ${opts.label} geometry`);
    const asm = new GeometryAssembler();
    let whole = null;
    for (const p of c.of('geometry')) whole = asm.add(p) ?? whole;
    expect(whole).toMatchObject({ id, shape: opts.shape, vertexCount: opts.vertexCount, indexCount: opts.indexCount });
    const y0 = snap.bodies.find((b) => BigInt(b.index) === slot)?.py ?? 0;
    for (let t = 0; t < 10; t++) host.tickOnce();
    await c.until(() => c.of('delta').length + c.of('snapshot').length >= 11, 5000, 'ten more states');
    expect(c.of('geometry')).toHaveLength(1); // not sent again
    const last = [...c.messages].reverse().find((m) => m.kind === 'snapshot' || m.kind === 'delta');
    const b = last && 'bodies' in last ? last.bodies.find((x) => BigInt(x.index) === slot) : undefined;
    expect(b?.py).toBeLessThan(y0); // falling
    c.close();
  } finally {
    await host.stop();
  }
}
