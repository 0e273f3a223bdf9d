/**
 * Hulls on the wire (issue 18): a client whose interest holds a dynamic convex hull receives it
 * as shape 6 (Hull) with its asset id in `sx`, and then, once per connection, the hull's
 * geometry as ServerGeometry parts: its vertices in the body's frame and its faces as
 * triangles, exactly the core's quantised vertices (src/assets/wire.ts). The client library puts
 * it back together (kind 'hull') and the body's position and rotation place it.
 */
import { SHAPE } from '../src/protocol/messages';
import { GeometryAssembler, assetAt } from '../src/assets/wire';
import { geometryInMetres } from '../src/client/client';
import { PhysicsWorld } from '../src/physics/world';
import { expectSharedAssetOnWire } from './helpers/asset-wire';

/** A 1 x 0.5 x 0.25 m cuboid as 8 points (its principal frame is its own: the body frame). */
const CUBOID: Array<[number, number, number]> = [];
for (const x of [-0.5, 0.5]) for (const y of [-0.25, 0.25]) for (const z of [-0.125, 0.125]) CUBOID.push([x, y, z]);

test('assetAt reads a hull block as its vertices and face triangles; the assembler refuses a bad header', () => {
  // the block as the core stores it (PhysicsWorld.addHullShape)
  const w = PhysicsWorld.create({ capacity: 8, maxBodyRadius: 1, geometryWords: 1024 });
  const block = w.addHullShape(CUBOID).block;
  const a = assetAt(w.geometry(), block);
  expect(a).toMatchObject({ id: block, shape: SHAPE.HULL, vertexCount: 8, indexCount: 36 }); // 6 faces, 2 triangles each
  const g = geometryInMetres(a);
  if (g.kind !== 'hull') throw new Error(`kind ${g.kind}`);
  // every vertex is a corner of the cuboid (the principal frame is the cuboid's own, up to the order of its axes)
  const corners = new Set(CUBOID.map((v) => [...v].map(Math.abs).sort().join(',')));
  for (let k = 0; k < 8; k++) expect(corners.has([g.vertices[3 * k], g.vertices[3 * k + 1], g.vertices[3 * k + 2]].map(Math.abs).sort().join(','))).toBe(true);
  // every triangle faces outward: its normal points away from the centroid (the origin)
  for (let t = 0; t < 12; t++) {
    const v = [0, 1, 2].map((c) => [0, 1, 2].map((k) => g.vertices[3 * g.indices[3 * t + c] + k]));
    const e1 = v[1].map((x, k) => x - v[0][k]),
      e2 = v[2].map((x, k) => x - v[0][k]);
    const n = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
    expect(n[0] * v[0][0] + n[1] * v[0][1] + n[2] * v[0][2]).toBeGreaterThan(0);
  }
  expect(() =>
    new GeometryAssembler().add({
      kind: 'geometry',
      id: 9,
      shape: SHAPE.HULL,
      nx: 0,
      nz: 0,
      cellX: 0,
      cellZ: 0,
      originX: 0,
      originZ: 0,
      vertexCount: 200,
      indexCount: 12,
      first: 0,
      values: new Int32Array(4),
    }),
  ).toThrow(RangeError);
});

test('a client sees a hull as shape 6 with its asset id, gets its geometry once, and the tumbling hull moves in later deltas', async () => {
  await expectSharedAssetOnWire({
    label: 'hull',
    shape: SHAPE.HULL,
    vertexCount: 8,
    indexCount: 36, // 6 faces, 2 triangles each
    scene: (w) => {
      const shape = w.addHullShape(CUBOID); // one shape, two bodies: one asset
      const hull = w.addHull({ shape, position: [1, 2, 1], density: 500 });
      w.addHull({ shape, position: [3, 2, 1], density: 500 });
      return hull;
    },
  });
});
