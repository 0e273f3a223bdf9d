/**
 * Compounds on the wire (issue 18): a client whose interest holds a dynamic compound body
 * receives it as shape 8 (Compound) with its asset id in `sx`, and then, once per connection,
 * the compound's children as one mesh in the body's frame (ServerGeometry parts; src/assets/
 * wire.ts): each child's triangles moved by its pose (a sphere as a lathe of 26 vertices on its
 * surface, a box as its 8 corners, a hull as its faces). The client library puts it back
 * together (kind 'compound') and the body's position and rotation place it.
 */
import { SHAPE } from '../src/protocol/messages';
import { GeometryAssembler, assetAt } from '../src/assets/wire';
import { geometryInMetres } from '../src/client/client';
import { PhysicsWorld } from '../src/physics/world';
import type { CompoundChild } from '../src/physics/compound';
import { expectSharedAssetOnWire } from './helpers/asset-wire';

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
  await expectSharedAssetOnWire({
    label: 'compound',
    shape: SHAPE.COMPOUND,
    vertexCount: 60,
    indexCount: 324,
    scene: (w) => {
      const shape = w.addCompoundShape(DUMBBELL); // one shape, two bodies: one asset
      const body = w.addCompound({ shape, position: [1, 2, 1] });
      w.addCompound({ shape, position: [3, 2, 1], orientation: [0, Math.SQRT1_2, 0, Math.SQRT1_2] });
      return body;
    },
  });
});
