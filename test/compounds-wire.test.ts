/**
 * Compounds on the wire (issue 18): a client whose interest holds a dynamic compound body
 * receives it as shape 8 (Compound) with its asset id in `sx`, and then, once per connection,
 * the compound's children as one mesh in the body's frame (ServerGeometry parts; src/assets/
 * wire.ts): each child's triangles moved by its pose (a sphere as a lathe of 26 vertices on its
 * surface, a box as its 8 corners, a hull as its faces). The client library puts it back
 * together (kind 'compound') and the body's position and rotation place it.
 */
import { Host } from '../src/net/host';
import { SHAPE } from '../src/protocol/messages';
import { GeometryAssembler, assetAt } from '../src/assets/wire';
import { geometryInMetres } from '../src/client/client';
import { PhysicsWorld } from '../src/physics/world';
import type { ShardedWorld } from '../src/physics/sharded';
import type { CompoundChild } from '../src/physics/compound';
import { RawClient } from './helpers/net';

const DUMBBELL: CompoundChild[] = [
  { shape: 'sphere', radius: 0.2, position: [-0.5, 0, 0] },
  { shape: 'sphere', radius: 0.2, position: [0.5, 0, 0] },
  { shape: 'box', half: [0.3, 0.04, 0.05] },
];

test("assetAt reads a compound block as its children's triangles in the body frame, each on its child's surface and facing out; the assembler refuses a bad header", () => {
  const w = PhysicsWorld.create({ capacity: 8, maxBodyRadius: 1, geometryWords: 1024 });
  const block = w.addCompoundShape(DUMBBELL).block;
  const a = assetAt(w.geometry(), block);
  // two spheres of 26 vertices and 48 triangles, a box of 8 and 12
  expect(a).toMatchObject({ id: block, shape: SHAPE.COMPOUND, vertexCount: 60, indexCount: 3 * 108 });
  const g = geometryInMetres(a);
  if (g.kind !== 'compound') throw new Error(`kind ${g.kind}`);
  const v = (k: number): number[] => [g.vertices[3 * k], g.vertices[3 * k + 1], g.vertices[3 * k + 2]];
  const centreOf = (k: number): number[] => (k < 26 ? [-0.5, 0, 0] : k < 52 ? [0.5, 0, 0] : [0, 0, 0]);
  for (let k = 0; k < 52; k++) {
    const d = v(k).map((x, i) => x - centreOf(k)[i]);
    expect(Math.abs(Math.hypot(...d) - 0.2)).toBeLessThan(1e-4);
  }
  // the box's corners at its half extents (quantised to 2^-16 m)
  for (let k = 52; k < 60; k++) for (let i = 0; i < 3; i++) expect(Math.abs(Math.abs(v(k)[i]) - [0.3, 0.04, 0.05][i])).toBeLessThan(2e-5);
  for (let t = 0; t < 108; t++) {
    const p = [0, 1, 2].map((c) => v(g.indices[3 * t + c]));
    const c0 = centreOf(g.indices[3 * t]);
    const e1 = p[1].map((x, k) => x - p[0][k]),
      e2 = p[2].map((x, k) => x - p[0][k]);
    const n = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
    expect(n[0] * (p[0][0] - c0[0]) + n[1] * (p[0][1] - c0[1]) + n[2] * (p[0][2] - c0[2])).toBeGreaterThan(0);
  }
  const head = {
    kind: 'geometry' as const,
    id: 9,
    shape: SHAPE.COMPOUND,
    nx: 0,
    nz: 0,
    cellX: 0,
    cellZ: 0,
    originX: 0,
    originZ: 0,
    first: 0,
    values: new Int32Array(4),
  };
  expect(() => new GeometryAssembler().add({ ...head, vertexCount: 2000, indexCount: 30 })).toThrow(RangeError);
  expect(() => new GeometryAssembler().add({ ...head, vertexCount: 8, indexCount: 25 })).toThrow(RangeError);
});

test('a client sees a compound as shape 8 with its asset id, gets its geometry once, and the falling compound moves in later deltas', async () => {
  let body = 0n;
  const host = await Host.start({
    port: 0,
    manualTicks: true,
    world: {
      config: { capacity: 32, tickRate: 20, maxBodyRadius: 1, sleep: { enabled: false }, geometryWords: 4096, contactsPerBody: 16 },
      spawnPoints: [[-8, 1.2, -8]],
      scene: (w: ShardedWorld) => {
        w.addPlane({ normal: [0, 1, 0], offset: 0 });
        const shape = w.addCompoundShape(DUMBBELL); // one shape, two bodies: one asset
        body = w.addCompound({ shape, position: [1, 2, 1] });
        w.addCompound({ shape, position: [3, 2, 1], orientation: [0, Math.SQRT1_2, 0, Math.SQRT1_2] });
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
    const compounds = snap.shapes.filter((s) => s.shape === SHAPE.COMPOUND);
    expect(compounds).toHaveLength(2);
    const shape = compounds.find((s) => BigInt(s.index) === (body & 0xffffffffn));
    const id = shape?.sx ?? -1;
    expect(compounds.map((s) => [s.sx, s.sy, s.sz])).toEqual([
      [id, 0, 0],
      [id, 0, 0],
    ]);
    await c.until(() => c.of('geometry').length >= 1, 5000, 'the compound geometry');
    const asm = new GeometryAssembler();
    let whole = null;
    for (const p of c.of('geometry')) whole = asm.add(p) ?? whole;
    expect(whole).toMatchObject({ id, shape: SHAPE.COMPOUND, vertexCount: 60, indexCount: 324 });
    const y0 = snap.bodies.find((b) => BigInt(b.index) === (body & 0xffffffffn))?.py ?? 0;
    for (let t = 0; t < 10; t++) host.tickOnce();
    await c.until(() => c.of('delta').length + c.of('snapshot').length >= 11, 5000, 'ten more states');
    expect(c.of('geometry')).toHaveLength(1); // not sent again
    const last = [...c.messages].reverse().find((m) => m.kind === 'snapshot' || m.kind === 'delta');
    const b = last && 'bodies' in last ? last.bodies.find((x) => BigInt(x.index) === (body & 0xffffffffn)) : undefined;
    expect(b?.py).toBeLessThan(y0); // falling
    c.close();
  } finally {
    await host.stop();
  }
});
