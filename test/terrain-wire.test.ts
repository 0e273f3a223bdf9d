/**
 * Terrain on the wire (protocol 2): `tessera serve` runs a scene with a heightmap PNG and a .glb
 * mesh; a client in their interest is told of them by asset id (BodyShape.sx) and receives
 * their geometry once per connection, in ServerGeometry parts, equal to what the asset loaders
 * quantised (src/assets/): the heightfield's raw Q16 heights, cell sizes and origin exactly, and
 * the mesh's triangles (as vertices + indices) exactly, as a set (the core orders triangles by
 * its triangle tree). A client whose interest does not reach the terrain is sent neither.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { resolveConfig, serve } from '../src/serve';
import { createNodeClient } from '../src/client/node';
import { loadHeightmap } from '../src/assets/heightmap';
import { loadGlbMesh } from '../src/assets/gltf';
import { GEOMETRY_PART_VALUES, SHAPE } from '../src/protocol/messages';
import { MAX_HEIGHTFIELD_SIDE, MAX_TRIANGLES } from '../src/assets/geometry';
import { GeometryAssembler, MAX_ASSET_VALUES, assetAt, assetParts } from '../src/assets/wire';
import { encodeGeometry, quantiseMesh } from '../src/assets/geometry';
import { heightfield, boxMesh } from './helpers/terrain';
import { RawClient, waitFor } from './helpers/net';
import { TERRAIN_HEIGHTMAP, writeTerrainScene } from './helpers/terrain';

const dir = mkdtempSync(join(tmpdir(), 'tessera-terrain-wire-'));
/** 181 x 181 samples: 32,761 heights, more than one part (16,384 values) and less than three. */
const N = 181;
const HEIGHTMAP = TERRAIN_HEIGHTMAP;

let scenePath = '';
beforeAll(async () => {
  scenePath = await writeTerrainScene(dir, N);
});

test('the largest asset the loaders accept fits MAX_ASSET_VALUES (4 MiB): 64 parts at most', () => {
  expect(MAX_ASSET_VALUES).toBe(Math.max(MAX_HEIGHTFIELD_SIDE ** 2, 12 * MAX_TRIANGLES));
  expect(MAX_ASSET_VALUES / GEOMETRY_PART_VALUES).toBe(64);
});

test('assets read back from geometry words: ids are word indices; parts reassemble in any order; bad parts are refused', () => {
  const hf = heightfield(5, 4, 0.5, -1, -1, (x, z) => 0.1 * x - 0.2 * z);
  const box = quantiseMesh('box', boxMesh([0, 0, 0], [1, 2, 3]));
  const a = encodeGeometry(hf),
    b = encodeGeometry(box);
  const words = new BigInt64Array(a.words.length + b.words.length);
  words.set(a.words);
  words.set(b.words, a.words.length);
  const h = assetAt(words, 0),
    m = assetAt(words, a.words.length);
  expect(h).toMatchObject({ id: 0, shape: SHAPE.HEIGHTFIELD, nx: 5, nz: 4, cellX: hf.cellX, originZ: hf.originZ });
  expect(h.values).toEqual(hf.heights);
  expect([m.id, m.vertexCount, m.indexCount]).toEqual([a.words.length, 8, 36]);
  expect(() => assetAt(words, 3)).toThrow(RangeError); // no block starts there
  // 5 values a part, delivered backwards: whole only with the last missing one
  const parts = assetParts(m, 5);
  expect(parts.length).toBe(Math.ceil((24 + 36) / 5));
  const asm = new GeometryAssembler();
  const got = parts.reverse().map((p) => asm.add(p));
  expect(got.slice(0, -1).every((x) => x === null)).toBe(true);
  expect(got[got.length - 1]?.values).toEqual(m.values);
  // refusals: a header that changes, a part past the end, an index beyond the vertices
  const fresh = (): GeometryAssembler => new GeometryAssembler();
  const p0 = assetParts(m, 5)[0];
  const one = fresh();
  one.add(p0);
  expect(() => one.add({ ...assetParts(m, 5)[1], vertexCount: 9 })).toThrow(/header differs/);
  expect(() => fresh().add({ ...p0, first: 58 })).toThrow(/runs past/);
  expect(() => fresh().add({ ...p0, indexCount: 35 })).toThrow(/not a valid/);
  const bad = Int32Array.from(m.values);
  bad[bad.length - 1] = 8;
  expect(() => fresh().add({ ...p0, first: 0, values: bad })).toThrow(/outside its 8 vertices/);
});

/** A mesh's triangles as sorted strings of 9 raw coordinates each (a set, independent of order). */
const triangleSet = (t: ArrayLike<number>): string[] => {
  const out: string[] = [];
  for (let k = 0; k < t.length; k += 9) out.push(Array.from({ length: 9 }, (_, i) => t[k + i]).join(','));
  return out.sort();
};

test('a client in the interest of a heightfield and a mesh receives their quantised geometry once per connection; one whose interest misses them gets neither', async () => {
  const data = mkdtempSync(join(tmpdir(), 'tessera-terrain-wire-data-'));
  const s = await serve(resolveConfig({ port: '0', data, workers: '0', scene: scenePath }, {}), pino({ level: 'silent' }));
  try {
    const url = `ws://127.0.0.1:${s.host.port}/ws`;
    const hf = loadHeightmap(join(dir, 'assets', 'hill.png'), HEIGHTMAP);
    const mesh = await loadGlbMesh(join(dir, 'assets', 'block.glb'));

    // the client library: both assets arrive whole and equal the loaders' quantised geometry
    const c = createNodeClient({ url, token: 'guest', privateId: 'terrain-wire', reconnect: { enabled: false } });
    await c.connect();
    await waitFor(() => c.geometry.size === 2, 10_000, 'both geometry assets');
    const terrain = c.bodies().filter((b) => b.asset >= 0);
    expect(terrain.map((b) => b.shape).sort()).toEqual([SHAPE.HEIGHTFIELD, SHAPE.MESH]);
    expect(terrain.map((b) => b.asset).sort((a, b) => a - b)).toEqual([...c.geometry.keys()].sort((a, b) => a - b));
    const gh = [...c.geometry.values()].find((g) => g.kind === 'heightfield');
    const gm = [...c.geometry.values()].find((g) => g.kind === 'mesh');
    if (gh?.kind !== 'heightfield' || gm?.kind !== 'mesh') throw new Error('expected one heightfield and one mesh');
    expect({ nx: gh.raw.nx, nz: gh.raw.nz, cellX: gh.raw.cellX, cellZ: gh.raw.cellZ, originX: gh.raw.originX, originZ: gh.raw.originZ }).toEqual({
      nx: hf.nx,
      nz: hf.nz,
      cellX: hf.cellX,
      cellZ: hf.cellZ,
      originX: hf.originX,
      originZ: hf.originZ,
    });
    expect(gh.raw.values).toEqual(hf.heights);
    // in metres: raw / 2^16 (0.25 m cells at -22.5 m)
    expect([gh.cellX, gh.originX, gh.heights[5]]).toEqual([0.25, -22.5, hf.heights[5] / 65536]);
    // the mesh: 8 shared corners, 36 indices, the loader's 12 triangles
    expect([gm.raw.vertexCount, gm.raw.indexCount]).toEqual([8, 36]);
    const fromWire: number[] = [];
    for (const i of gm.indices) fromWire.push(gm.raw.values[3 * i], gm.raw.values[3 * i + 1], gm.raw.values[3 * i + 2]);
    expect(triangleSet(fromWire)).toEqual(triangleSet(mesh.triangles));
    expect(Math.max(...gm.vertices)).toBe(5); // the block's far corner, m

    // a raw connection: the parts of each asset cover its values exactly once, and nothing is sent again
    const raw = new RawClient(url);
    await raw.opened;
    raw.hello({ privateId: 'terrain-wire-raw' });
    await raw.until(() => raw.of('geometry').length === Math.ceil((N * N) / GEOMETRY_PART_VALUES) + 1, 10_000, 'the geometry parts');
    const ticksThen = raw.of('events').length;
    await raw.until(() => raw.of('events').length >= ticksThen + 10, 10_000, 'ten more ticks');
    const parts = raw.of('geometry');
    expect(parts.length).toBe(Math.ceil((N * N) / GEOMETRY_PART_VALUES) + 1); // 2 for the heightfield, 1 for the mesh
    for (const id of new Set(parts.map((p) => p.id))) {
      const mine = parts.filter((p) => p.id === id);
      const firsts = mine.map((p) => p.first);
      const total = mine[0].shape === SHAPE.HEIGHTFIELD ? mine[0].nx * mine[0].nz : 3 * mine[0].vertexCount + mine[0].indexCount;
      expect(firsts).toEqual(mine.map((_, k) => k * GEOMETRY_PART_VALUES));
      expect(mine.reduce((n, p) => n + p.values.length, 0)).toBe(total);
      expect(mine.every((p) => p.values.length <= GEOMETRY_PART_VALUES)).toBe(true);
    }
    // announced before (or with) their geometry: the asset ids are the sx of the terrain shapes
    const announced = raw
      .of('snapshot')
      .flatMap((m) => m.shapes)
      .filter((sh) => sh.shape === SHAPE.HEIGHTFIELD || sh.shape === SHAPE.MESH)
      .map((sh) => sh.sx);
    expect(new Set(announced)).toEqual(new Set(parts.map((p) => p.id)));
    raw.close();

    // far away (interest centred 2 km off, no cells around it): no terrain shape and no geometry
    const far = new RawClient(url);
    await far.opened;
    far.hello({ privateId: 'terrain-wire-far', interest: { center: [2000n * 65536n, 0n, 2000n * 65536n], cells: 0 } });
    await far.until(() => far.of('snapshot').length >= 5, 10_000, 'five snapshots far away');
    expect(far.of('snapshot').flatMap((m) => m.shapes.filter((sh) => sh.shape === SHAPE.HEIGHTFIELD || sh.shape === SHAPE.MESH))).toEqual([]);
    expect(far.of('geometry')).toEqual([]);
    far.close();
    c.close();
  } finally {
    await s.stop();
  }
}, 30_000);
