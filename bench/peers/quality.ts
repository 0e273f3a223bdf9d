/**
 * Engine-independent quality figures of a benchmark state, computed from sphere centres, radii,
 * velocities and the scene's static boxes only (never from an engine's own contact data), so
 * every engine is measured the same way:
 *  - worst overlap: the deepest penetration between two spheres or between a sphere and a
 *    static box, m (0 when nothing overlaps);
 *  - residual speed: mean and max |v| of the spheres, m/s;
 *  - lost: sphere centres outside the scene's interior by more than 0.1 m, or not finite.
 *
 * Sphere pairs come from a hashed uniform grid (cell = 2 x the largest radius, so overlapping
 * spheres are in the same or adjacent cells); small statics are put in the cells they cover,
 * large ones (floors, walls: spanning more than 16 cells on an axis) are tested against every sphere.
 * Cost O(N + statics) for the scenes here.
 */
import { positionStats, sphereRadius, type SceneSpec } from './scenes';

/** Deepest overlap found and between what. */
export interface Overlap {
  /** Penetration depth, m (0: no overlap). */
  depth: number;
  kind: 'none' | 'sphere-sphere' | 'sphere-static';
}

/** Residual speed of the spheres, m/s. */
export interface Speeds {
  mean: number;
  max: number;
}

const HASH_X = 73856093;
const HASH_Y = 19349663;
const HASH_Z = 83492791;

/** Penetration of a sphere (centre x,y,z, radius r) into an axis-aligned box, m (<= 0: apart). */
export function sphereBoxPenetration(x: number, y: number, z: number, r: number, c: readonly number[], h: readonly number[]): number {
  const qx = Math.abs(x - c[0]) - h[0];
  const qy = Math.abs(y - c[1]) - h[1];
  const qz = Math.abs(z - c[2]) - h[2];
  if (qx <= 0 && qy <= 0 && qz <= 0) return r + Math.min(-qx, -qy, -qz); // centre inside: distance to get out
  const ox = Math.max(qx, 0);
  const oy = Math.max(qy, 0);
  const oz = Math.max(qz, 0);
  return r - Math.sqrt(ox * ox + oy * oy + oz * oz);
}

/** A bucketed (CSR) hash grid of items by integer cell. */
class HashGrid {
  readonly mask: number;
  readonly start: Int32Array;
  readonly items: Int32Array;
  constructor(
    readonly inv: number,
    cells: Int32Array, // 3 ints per entry: ix, iy, iz
    ids: Int32Array,
  ) {
    const n = ids.length;
    let size = 16;
    while (size < 2 * n) size *= 2;
    this.mask = size - 1;
    this.start = new Int32Array(size + 1);
    const bucket = new Int32Array(n);
    for (let e = 0; e < n; e++) {
      bucket[e] = this.bucket(cells[3 * e], cells[3 * e + 1], cells[3 * e + 2]);
      this.start[bucket[e] + 1]++;
    }
    for (let b = 0; b < size; b++) this.start[b + 1] += this.start[b];
    const fill = this.start.slice(0, size);
    this.items = new Int32Array(n);
    for (let e = 0; e < n; e++) this.items[fill[bucket[e]]++] = ids[e];
  }
  bucket(ix: number, iy: number, iz: number): number {
    let h = Math.imul(ix, HASH_X) ^ Math.imul(iy, HASH_Y) ^ Math.imul(iz, HASH_Z);
    // Finalise (murmur3) so the low bits mix all three coordinates.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h & this.mask;
  }
}

/**
 * Worst overlap of the state `p` (sphere centres, xyz interleaved, scene order) of `scene`.
 * Spheres with non-finite centres are ignored (they count as lost).
 */
export function worstOverlap(scene: SceneSpec, p: Float64Array): Overlap {
  const n = scene.n;
  const cell = 2 * scene.maxRadius;
  const inv = 1 / cell;
  let best: Overlap = { depth: 0, kind: 'none' };

  // Spheres.
  const cells = new Int32Array(3 * n);
  const ids = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const x = p[3 * i],
      y = p[3 * i + 1],
      z = p[3 * i + 2];
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) continue;
    cells[3 * m] = Math.floor(x * inv);
    cells[3 * m + 1] = Math.floor(y * inv);
    cells[3 * m + 2] = Math.floor(z * inv);
    ids[m++] = i;
  }
  const grid = new HashGrid(inv, cells.subarray(0, 3 * m), ids.subarray(0, m));
  for (let e = 0; e < m; e++) {
    const i = ids[e];
    const ri = sphereRadius(scene, i);
    const x = p[3 * i],
      y = p[3 * i + 1],
      z = p[3 * i + 2];
    for (let dz = -1; dz <= 1; dz++)
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          // Two neighbour cells may share a bucket: a pair is then tested twice, harmless for a max.
          const b = grid.bucket(cells[3 * e] + dx, cells[3 * e + 1] + dy, cells[3 * e + 2] + dz);
          for (let k = grid.start[b]; k < grid.start[b + 1]; k++) {
            const j = grid.items[k];
            if (j <= i) continue;
            const ddx = p[3 * j] - x,
              ddy = p[3 * j + 1] - y,
              ddz = p[3 * j + 2] - z;
            const rr = ri + sphereRadius(scene, j);
            const d2 = ddx * ddx + ddy * ddy + ddz * ddz;
            if (d2 >= rr * rr) continue;
            const depth = rr - Math.sqrt(d2);
            if (depth > best.depth) best = { depth, kind: 'sphere-sphere' };
          }
        }
  }

  // Statics: small ones in a grid of the cells they cover, big ones against every sphere.
  const big: number[] = [];
  const sc: number[] = [];
  const si: number[] = [];
  scene.statics.forEach((s, k) => {
    const lo = s.center.map((c, a) => Math.floor((c - s.halfExtents[a]) * inv));
    const hi = s.center.map((c, a) => Math.floor((c + s.halfExtents[a]) * inv));
    if (hi[0] - lo[0] > 16 || hi[1] - lo[1] > 16 || hi[2] - lo[2] > 16) {
      big.push(k);
      return;
    }
    for (let cz = lo[2]; cz <= hi[2]; cz++)
      for (let cy = lo[1]; cy <= hi[1]; cy++)
        for (let cx = lo[0]; cx <= hi[0]; cx++) {
          sc.push(cx, cy, cz);
          si.push(k);
        }
  });
  const sgrid = new HashGrid(inv, Int32Array.from(sc), Int32Array.from(si));
  for (let e = 0; e < m; e++) {
    const i = ids[e];
    const r = sphereRadius(scene, i);
    const x = p[3 * i],
      y = p[3 * i + 1],
      z = p[3 * i + 2];
    const test = (k: number): void => {
      const s = scene.statics[k];
      const depth = sphereBoxPenetration(x, y, z, r, s.center, s.halfExtents);
      if (depth > best.depth) best = { depth, kind: 'sphere-static' };
    };
    for (const k of big) test(k);
    if (si.length === 0) continue;
    // A sphere touching a box has its centre within r <= cell/2 of it: the adjacent cells suffice.
    for (let dz = -1; dz <= 1; dz++)
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const b = sgrid.bucket(cells[3 * e] + dx, cells[3 * e + 1] + dy, cells[3 * e + 2] + dz);
          for (let q = sgrid.start[b]; q < sgrid.start[b + 1]; q++) test(sgrid.items[q]);
        }
  }
  return best;
}

/** Mean and max |v| over the spheres (v: xyz interleaved, length 3N); non-finite speeds count as Infinity. */
export function speeds(v: Float64Array): Speeds {
  const n = v.length / 3;
  let sum = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const s = Math.hypot(v[3 * i], v[3 * i + 1], v[3 * i + 2]);
    const t = Number.isFinite(s) ? s : Infinity;
    sum += t;
    if (t > max) max = t;
  }
  return { mean: n > 0 ? sum / n : 0, max };
}

/** Spheres lost: centres outside the scene's interior by more than 0.1 m, or not finite. */
export function lostCount(scene: SceneSpec, p: Float64Array): number {
  return positionStats(scene, p).escaped;
}
