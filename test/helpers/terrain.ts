/**
 * Terrain fixtures for tests (issue 18): a heightfield sampled from a function, and a closed
 * box as triangles, both in metres as the asset loaders (src/assets/) produce them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { Document, NodeIO } from '@gltf-transform/core';
import { quantiseHeightfield, type Heightfield } from '../../src/assets/geometry';

type Vec3 = [number, number, number] | number[];

/** A heightfield of nx x nz samples, cell `cell` m, sample (0, 0) at (x0, z0), heights h(x, z) m. */
export function heightfield(nx: number, nz: number, cell: number, x0: number, z0: number, h: (x: number, z: number) => number): Heightfield {
  const hs: number[] = [];
  for (let iz = 0; iz < nz; iz++) for (let ix = 0; ix < nx; ix++) hs.push(h(x0 + ix * cell, z0 + iz * cell));
  return quantiseHeightfield('test-heightfield', hs, nx, nz, { cellSize: [cell, cell], origin: [x0, z0] });
}

/** A closed axis-aligned box from `lo` to `hi` (m) as 12 outward-facing triangles (counter-clockwise seen from outside), 9 numbers each. */
export function boxMesh(lo: Vec3, hi: Vec3): number[] {
  const v = (i: number): number[] => [i & 1 ? hi[0] : lo[0], i & 2 ? hi[1] : lo[1], i & 4 ? hi[2] : lo[2]];
  // faces as corner indices (bit 0 x, bit 1 y, bit 2 z), each counter-clockwise from outside
  const quads = [
    [0, 4, 6, 2], // -x
    [1, 3, 7, 5], // +x
    [0, 1, 5, 4], // -y
    [2, 6, 7, 3], // +y
    [0, 2, 3, 1], // -z
    [4, 5, 7, 6], // +z
  ];
  const out: number[] = [];
  for (const [a, b, c, d] of quads) out.push(...v(a), ...v(b), ...v(c), ...v(a), ...v(c), ...v(d));
  return out;
}

/** A 16-bit greyscale heightmap PNG of n x n samples: a hill with ripples (neighbouring samples differ). */
export function hillPng(n: number): Buffer {
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

/** A glTF 2.0 binary (.glb) of a closed box from `lo` to `hi` (m): 12 triangles, 8 corners. */
export async function boxGlb(lo: Vec3, hi: Vec3): Promise<Uint8Array> {
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

/** How the terrain scene's heightmap becomes a heightfield (writeTerrainScene). */
export const TERRAIN_HEIGHTMAP = { cellSize: [0.25, 0.25] as [number, number], origin: [-22.5, -22.5] as [number, number], baseHeight: -0.5, heightRange: 2.5 };

/**
 * Writes a terrain scene into `dir`: assets/hill.png (hillPng(n), TERRAIN_HEIGHTMAP: 45 m square
 * around the origin for n = 181) and assets/block.glb (a box from (3, 1, 3) to (4.5, 3, 5), standing out of the hill),
 * spawn point (0, 4, 0), `partition` if given. Returns the scene file's path.
 */
export async function writeTerrainScene(dir: string, n: number, partition?: { xCuts: number[]; zCuts: number[] }): Promise<string> {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'assets', 'hill.png'), hillPng(n));
  writeFileSync(join(dir, 'assets', 'block.glb'), await boxGlb([3, 1, 3], [4.5, 3, 5]));
  const path = join(dir, 'terrain.json');
  writeFileSync(
    path,
    JSON.stringify({
      format: 'tessera.scene.v1',
      world: { capacity: 64, tickRate: 20, sleep: true },
      ...(partition ? { partition } : {}),
      spawnPoints: [[0, 4, 0]],
      statics: [{ heightmap: { file: 'assets/hill.png', ...TERRAIN_HEIGHTMAP } }, { mesh: { file: 'assets/block.glb' } }],
    }),
  );
  return path;
}
