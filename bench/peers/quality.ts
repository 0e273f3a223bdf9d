/**
 * Engine-independent quality figures of a benchmark state, computed from body centres, radii or
 * box half extents and orientations, velocities and the scene's static boxes only (never from an
 * engine's own contact data), so every engine is measured the same way:
 *  - worst overlap: the deepest penetration between two bodies or between a body and a static
 *    box, m (0 when nothing overlaps): sphere-sphere and sphere-static exactly; for box scenes
 *    box-box and box-static, the penetration depth of the separating-axis test over the 15 axes
 *    of two oriented boxes (boxBoxPenetration);
 *  - residual speed: mean and max |v| of the bodies, m/s;
 *  - lost: centres outside the scene's interior by more than 0.1 m, or not finite;
 *  - stack drift (box scenes with SceneSpec.drift): the largest displacement of a body from its
 *    start, m (maxDrift).
 *
 * Pairs come from a hashed uniform grid (cell = 2 x the largest radius, for boxes the largest
 * bounding-sphere radius, so overlapping bodies are in the same or adjacent cells); small
 * statics are put in the cells they cover, large ones (floors, walls: spanning more than 16
 * cells on an axis) are tested against every body. Cost O(N + statics) for the scenes here.
 */
import { positionStats, sphereRadius, type SceneSpec } from './scenes';

/** Deepest overlap found and between what. */
export interface Overlap {
  /** Penetration depth, m (0: no overlap). */
  depth: number;
  kind:
    | 'none'
    | 'sphere-sphere'
    | 'sphere-static'
    | 'box-box'
    | 'box-static'
    | 'character-terrain'
    | 'character-mesh'
    | 'character-static'
    | 'character-character';
}

/** Residual speed of the bodies, m/s. */
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

/** Rotation matrix of the unit quaternion q[at..at+3] = (x, y, z, w), row-major into out[0..8]: column k is the box's local axis k in the world. */
export function quatToMatrix(q: ArrayLike<number>, at: number, out: Float64Array): void {
  const x = q[at],
    y = q[at + 1],
    z = q[at + 2],
    w = q[at + 3];
  // Normalise so engines' float32 quaternions (|q| = 1 +- 1e-7) give rotations.
  const s = 2 / (x * x + y * y + z * z + w * w);
  out[0] = 1 - s * (y * y + z * z);
  out[1] = s * (x * y - z * w);
  out[2] = s * (x * z + y * w);
  out[3] = s * (x * y + z * w);
  out[4] = 1 - s * (x * x + z * z);
  out[5] = s * (y * z - x * w);
  out[6] = s * (x * z - y * w);
  out[7] = s * (y * z + x * w);
  out[8] = 1 - s * (x * x + y * y);
}

/**
 * Penetration depth of two oriented boxes, m: the smallest overlap of their projections over
 * the 15 candidate separating axes (3 face normals of each, 9 edge-edge cross products; cross
 * products of near-parallel edges, |a x b| < 1e-9, are skipped: the face axes cover them).
 * For convex polyhedra the minimum translation that separates them lies along one of these
 * axes, so this is the exact depth; <= 0 when the boxes are apart (or touch). Separating-axis
 * test for OBBs after C. Ericson, "Real-Time Collision Detection" (2005), 4.4.1.
 * ca, cb: centres; ha, hb: half extents (m); ra, rb: rotation matrices from quatToMatrix.
 */
export function boxBoxPenetration(
  ca: ArrayLike<number>,
  ha: ArrayLike<number>,
  ra: ArrayLike<number>,
  cb: ArrayLike<number>,
  hb: ArrayLike<number>,
  rb: ArrayLike<number>,
): number {
  const tx = cb[0] - ca[0],
    ty = cb[1] - ca[1],
    tz = cb[2] - ca[2];
  let best = Infinity;
  // Overlap of the projections on the axis (lx, ly, lz) (any length; normalised here).
  const axis = (lx: number, ly: number, lz: number): number => {
    const len = Math.sqrt(lx * lx + ly * ly + lz * lz);
    if (len < 1e-9) return Infinity;
    let pa = 0,
      pb = 0;
    for (let k = 0; k < 3; k++) {
      pa += ha[k] * Math.abs(ra[k] * lx + ra[3 + k] * ly + ra[6 + k] * lz);
      pb += hb[k] * Math.abs(rb[k] * lx + rb[3 + k] * ly + rb[6 + k] * lz);
    }
    return (pa + pb - Math.abs(tx * lx + ty * ly + tz * lz)) / len;
  };
  for (let k = 0; k < 3 && best > 0; k++) {
    best = Math.min(best, axis(ra[k], ra[3 + k], ra[6 + k]), axis(rb[k], rb[3 + k], rb[6 + k]));
  }
  for (let i = 0; i < 3 && best > 0; i++) {
    const ax = ra[i],
      ay = ra[3 + i],
      az = ra[6 + i];
    for (let j = 0; j < 3 && best > 0; j++) {
      const bx = rb[j],
        by = rb[3 + j],
        bz = rb[6 + j];
      best = Math.min(best, axis(ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx));
    }
  }
  return best;
}

const IDENTITY = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);

/**
 * Worst overlap of the state `p` (body centres, xyz interleaved, scene order) of `scene`; for a
 * box scene `q` holds the boxes' orientations (x, y, z, w interleaved, length 4n) and is
 * required. Bodies with non-finite centres (or orientations) are ignored (they count as lost).
 * Throws when a box scene gets no `q`.
 */
export function worstOverlap(scene: SceneSpec, p: Float64Array, q?: Float64Array): Overlap {
  const n = scene.n;
  const boxes = scene.boxes;
  if (boxes && (!q || q.length < 4 * n)) throw new Error(`worstOverlap: box scene ${scene.kind} needs the ${n} orientations`);
  const cell = 2 * scene.maxRadius;
  const inv = 1 / cell;
  let best: Overlap = { depth: 0, kind: 'none' };

  // Per box: rotation matrix (9) and bounding radius; a box with a non-finite quaternion is skipped.
  const rot = boxes ? new Float64Array(9 * n) : undefined;
  const bound = boxes ? new Float64Array(n) : undefined;
  if (boxes && rot && bound && q) {
    const m9 = new Float64Array(9);
    for (let i = 0; i < n; i++) {
      quatToMatrix(q, 4 * i, m9);
      rot.set(m9, 9 * i);
      const h = boxes.half;
      bound[i] = Math.hypot(h[3 * i], h[3 * i + 1], h[3 * i + 2]);
    }
  }
  const radiusOf = (i: number): number => (bound ? bound[i] : sphereRadius(scene, i));
  const c1 = new Float64Array(3),
    c2 = new Float64Array(3);
  const boxAt = (i: number, c: Float64Array): void => {
    c[0] = p[3 * i];
    c[1] = p[3 * i + 1];
    c[2] = p[3 * i + 2];
  };

  // Bodies.
  const cells = new Int32Array(3 * n);
  const ids = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const x = p[3 * i],
      y = p[3 * i + 1],
      z = p[3 * i + 2];
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) continue;
    if (rot && !Number.isFinite(rot[9 * i] + rot[9 * i + 4] + rot[9 * i + 8] + rot[9 * i + 1] + rot[9 * i + 5] + rot[9 * i + 6])) continue;
    cells[3 * m] = Math.floor(x * inv);
    cells[3 * m + 1] = Math.floor(y * inv);
    cells[3 * m + 2] = Math.floor(z * inv);
    ids[m++] = i;
  }
  const grid = new HashGrid(inv, cells.subarray(0, 3 * m), ids.subarray(0, m));
  for (let e = 0; e < m; e++) {
    const i = ids[e];
    const ri = radiusOf(i);
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
            const rr = ri + radiusOf(j);
            const d2 = ddx * ddx + ddy * ddy + ddz * ddz;
            if (d2 >= rr * rr) continue;
            if (boxes && rot) {
              boxAt(i, c1);
              boxAt(j, c2);
              const depth = boxBoxPenetration(
                c1,
                boxes.half.subarray(3 * i, 3 * i + 3),
                rot.subarray(9 * i, 9 * i + 9),
                c2,
                boxes.half.subarray(3 * j, 3 * j + 3),
                rot.subarray(9 * j, 9 * j + 9),
              );
              if (depth > best.depth) best = { depth, kind: 'box-box' };
            } else {
              const depth = rr - Math.sqrt(d2);
              if (depth > best.depth) best = { depth, kind: 'sphere-sphere' };
            }
          }
        }
  }

  // Statics: small ones in a grid of the cells they cover, big ones against every body.
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
    const r = radiusOf(i);
    const x = p[3 * i],
      y = p[3 * i + 1],
      z = p[3 * i + 2];
    const test = (k: number): void => {
      const s = scene.statics[k];
      if (boxes && rot) {
        // Bounding sphere first: most boxes are far from most statics.
        if (sphereBoxPenetration(x, y, z, r, s.center, s.halfExtents) <= 0) return;
        boxAt(i, c1);
        const depth = boxBoxPenetration(c1, boxes.half.subarray(3 * i, 3 * i + 3), rot.subarray(9 * i, 9 * i + 9), s.center, s.halfExtents, IDENTITY);
        if (depth > best.depth) best = { depth, kind: 'box-static' };
        return;
      }
      const depth = sphereBoxPenetration(x, y, z, r, s.center, s.halfExtents);
      if (depth > best.depth) best = { depth, kind: 'sphere-static' };
    };
    for (const k of big) test(k);
    if (si.length === 0) continue;
    // A body touching a box has its centre within r <= cell/2 of it: the adjacent cells suffice.
    for (let dz = -1; dz <= 1; dz++)
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const b = sgrid.bucket(cells[3 * e] + dx, cells[3 * e + 1] + dy, cells[3 * e + 2] + dz);
          for (let t = sgrid.start[b]; t < sgrid.start[b + 1]; t++) test(sgrid.items[t]);
        }
  }
  return best;
}

/**
 * How far the orientations `q` (x, y, z, w interleaved) are from the scene's initial ones: the
 * largest 1 - |q . q0| over the boxes (0: the same rotations; q and -q are the same rotation;
 * about 1e-7 for float32 quaternions; NaN propagates). 0 for a sphere scene.
 */
export function orientationError(scene: SceneSpec, q: Float64Array): number {
  const q0 = scene.boxes?.orientations;
  if (!q0) return 0;
  let worst = 0;
  for (let i = 0; i < scene.n; i++) {
    const d = q[4 * i] * q0[4 * i] + q[4 * i + 1] * q0[4 * i + 1] + q[4 * i + 2] * q0[4 * i + 2] + q[4 * i + 3] * q0[4 * i + 3];
    const e = 1 - Math.abs(d);
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

/**
 * Stack drift: the largest distance of a body's centre `p` (xyz interleaved) from its start
 * (scene.positions), m. Non-finite centres are left out (they count as lost).
 */
export function maxDrift(scene: SceneSpec, p: Float64Array): number {
  const p0 = scene.positions;
  let worst = 0;
  for (let i = 0; i < scene.n; i++) {
    const d = Math.hypot(p[3 * i] - p0[3 * i], p[3 * i + 1] - p0[3 * i + 1], p[3 * i + 2] - p0[3 * i + 2]);
    if (Number.isFinite(d) && d > worst) worst = d;
  }
  return worst;
}

/** Mean and max |v| over the bodies (v: xyz interleaved, length 3N); non-finite speeds count as Infinity. */
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

/** Bodies lost: centres outside the scene's interior by more than 0.1 m, or not finite. */
export function lostCount(scene: SceneSpec, p: Float64Array): number {
  return positionStats(scene, p).escaped;
}
