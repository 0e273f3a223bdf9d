/**
 * Terrain fixtures for tests (issue 18): a heightfield sampled from a function, and a closed
 * box as triangles, both in metres as the asset loaders (src/assets/) produce them.
 */
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
