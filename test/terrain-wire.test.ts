/**
 * Terrain on the wire (protocol 2): `tessera serve` runs a scene with a heightmap PNG and a .glb
 * mesh; a client in their interest is told of them by asset id (BodyShape.sx) and receives
 * their geometry once per connection, in ServerGeometry parts, equal to what the asset loaders
 * quantised (src/assets/): the heightfield's raw Q16 heights, cell sizes and origin exactly, and
 * the mesh's triangles (as vertices + indices) exactly, as a set (the core orders triangles by
 * its triangle tree). A client whose interest does not reach the terrain is sent neither.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { Document, NodeIO } from '@gltf-transform/core';
import pino from 'pino';
import { resolveConfig, serve } from '../src/serve';
import { createNodeClient } from '../src/client/node';
import { loadHeightmap } from '../src/assets/heightmap';
import { loadGlbMesh } from '../src/assets/gltf';
import { GEOMETRY_PART_VALUES, SHAPE } from '../src/protocol/messages';
import { RawClient, waitFor } from './helpers/net';
import { boxMesh } from './helpers/terrain';

const dir = mkdtempSync(join(tmpdir(), 'tessera-terrain-wire-'));
/** 181 x 181 samples: 32,761 heights, more than one part (16,384 values) and less than three. */
const N = 181;
const HEIGHTMAP = { cellSize: [0.25, 0.25] as [number, number], origin: [-22.5, -22.5] as [number, number], baseHeight: -0.5, heightRange: 2.5 };

/** A 16-bit greyscale PNG: a hill with ripples, so that neighbouring samples differ. */
function hillPng(n: number): Buffer {
  const s = new Uint16Array(n * n);
  for (let iz = 0; iz < n; iz++)
    for (let ix = 0; ix < n; ix++) {
      const dx = (ix - n / 2) / n,
        dz = (iz - n / 2) / n;
      s[iz * n + ix] = Math.round(65535 * Math.max(0, Math.min(1, 0.8 - 2 * (dx * dx + dz * dz) + 0.05 * Math.sin(ix * 0.7) * Math.cos(iz * 0.3))));
    }
  const png = new PNG({ width: n, height: n });
  png.data = Buffer.from(s.buffer);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 16, inputHasAlpha: false });
}

/** A .glb of a closed box (12 triangles, 8 corners). */
async function boxGlb(lo: number[], hi: number[]): Promise<Uint8Array> {
  const doc = new Document();
  const buf = doc.createBuffer();
  const prim = doc.createPrimitive().setAttribute(
    'POSITION',
    doc
      .createAccessor()
      .setType('VEC3')
      .setArray(new Float32Array(boxMesh(lo, hi)))
      .setBuffer(buf),
  );
  doc.createScene().addChild(doc.createNode().setMesh(doc.createMesh().addPrimitive(prim)));
  return new NodeIO().writeBinary(doc);
}

let scenePath = '';
beforeAll(async () => {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'assets', 'hill.png'), hillPng(N));
  writeFileSync(join(dir, 'assets', 'block.glb'), await boxGlb([3, 0, 3], [4.5, 1.25, 5]));
  scenePath = join(dir, 'terrain.json');
  writeFileSync(
    scenePath,
    JSON.stringify({
      format: 'tessera.scene.v1',
      world: { capacity: 64, tickRate: 20, sleep: true },
      spawnPoints: [[0, 4, 0]],
      statics: [{ heightmap: { file: 'assets/hill.png', ...HEIGHTMAP } }, { mesh: { file: 'assets/block.glb' } }],
    }),
  );
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
