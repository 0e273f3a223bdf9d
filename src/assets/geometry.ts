/**
 * Static geometry quantised to the core's fixed-point grid, checked against the core's bounds,
 * and encoded as the core's geometry blocks (assembly/physics/terrain.ts).
 *
 * Quantisation: every coordinate in metres becomes raw Q47.16 (round to nearest, as
 * src/physics/integer.ts toRaw), once, here on the host; everything after (bounds, the mesh's
 * triangle tree, the block words) is integer, so the same asset gives the same words, the
 * same world and the same hash on every machine. Refusals are AssetError with a code, the
 * file and the reason.
 *
 * Bounds (the core's integer ranges depend on them; see terrain.ts):
 * - every coordinate within +-GEOMETRY_BOUND_M (8192 m, 2^29 raw);
 * - a mesh has 1..MAX_TRIANGLES (65,536) triangles, none degenerate (twice its quantised area
 *   below MIN_DOUBLE_AREA_RAW2, 2^16 raw^2 = 2^-16 m^2: a sliver or a point);
 * - a heightfield has 2..MAX_HEIGHTFIELD_SIDE (1024) samples a side, cells of 0.01..1024 m.
 */
import { SHAPE } from '../physics/world-layout';
import { toRaw } from '../physics/integer';

/** Largest |coordinate| of static geometry, metres (2^29 raw). */
export const GEOMETRY_BOUND_M = 8192;
const BOUND_RAW = 1 << 29;
/** Most triangles in one mesh. */
export const MAX_TRIANGLES = 65536;
/** Most samples along either side of a heightfield. */
export const MAX_HEIGHTFIELD_SIDE = 1024;
/** Least twice-area of a triangle after quantisation, raw^2 (2^-16 m^2). */
export const MIN_DOUBLE_AREA_RAW2 = 1n << 16n;
/** Triangles per leaf of a mesh's triangle tree. */
export const MESH_LEAF = 4;

/** Why an asset was refused. */
export type AssetErrorCode =
  | 'NOT_FOUND'
  | 'TOO_LARGE'
  | 'BAD_FORMAT'
  | 'BAD_BIT_DEPTH'
  | 'TOO_MANY_SAMPLES'
  | 'TOO_MANY_TRIANGLES'
  | 'NO_TRIANGLES'
  | 'DEGENERATE_TRIANGLE'
  | 'NOT_FINITE'
  | 'OUT_OF_BOUNDS'
  | 'BAD_OPTIONS';

/** A refused asset: `code` (AssetErrorCode), `file` (the path as given) and the reason in the message. */
export class AssetError extends Error {
  constructor(
    readonly code: AssetErrorCode,
    readonly file: string,
    reason: string,
  ) {
    super(`asset ${file}: ${code}: ${reason}`);
    this.name = 'AssetError';
  }
}

/**
 * A heightfield on the core's grid: nx x nz samples (row-major by z), sample (ix, iz) at
 * x = originX + ix cellX, z = originZ + iz cellZ, y = heights[iz nx + ix]; all raw Q16 integers.
 */
export interface Heightfield {
  readonly kind: 'heightfield';
  readonly nx: number;
  readonly nz: number;
  readonly cellX: number;
  readonly cellZ: number;
  readonly originX: number;
  readonly originZ: number;
  readonly heights: Int32Array;
}

/** A static triangle mesh on the core's grid: 9 raw Q16 coordinates per triangle (A, B, C counter-clockwise seen from the front). */
export interface TriangleMesh {
  readonly kind: 'mesh';
  readonly triangles: Int32Array;
}

/** Quantised static geometry. */
export type StaticGeometry = Heightfield | TriangleMesh;

/** A geometry block for the core (PhysicsWorld.addGeometry): shape, words, and its AABB (raw). */
export interface GeometryBlock {
  readonly shape: number;
  readonly words: BigInt64Array;
  readonly lo: readonly [bigint, bigint, bigint];
  readonly hi: readonly [bigint, bigint, bigint];
}

/** Raw Q16 of a coordinate in metres, refused when not finite or beyond the bound. */
function coord(file: string, v: number, what: string): number {
  if (!Number.isFinite(v)) throw new AssetError('NOT_FINITE', file, `${what} is ${v}`);
  if (!(Math.abs(v) < GEOMETRY_BOUND_M)) throw new AssetError('OUT_OF_BOUNDS', file, `${what} = ${v} m is beyond +-${GEOMETRY_BOUND_M} m`);
  return Number(toRaw(v));
}

/**
 * Quantises a heightfield given in metres: `heights` (nx x nz, row-major by z), the cell size
 * and the position of sample (0, 0) (x, z; heights are absolute y). Throws AssetError
 * (TOO_MANY_SAMPLES, BAD_OPTIONS, NOT_FINITE, OUT_OF_BOUNDS) naming `file`.
 */
export function quantiseHeightfield(
  file: string,
  heights: ArrayLike<number>,
  nx: number,
  nz: number,
  opts: { cellSize: readonly [number, number]; origin: readonly [number, number] },
): Heightfield {
  if (!Number.isInteger(nx) || !Number.isInteger(nz) || nx < 2 || nz < 2 || nx > MAX_HEIGHTFIELD_SIDE || nz > MAX_HEIGHTFIELD_SIDE)
    throw new AssetError('TOO_MANY_SAMPLES', file, `${nx} x ${nz} samples: each side must be 2..${MAX_HEIGHTFIELD_SIDE}`);
  if (heights.length !== nx * nz) throw new AssetError('BAD_FORMAT', file, `${heights.length} heights for ${nx} x ${nz} samples`);
  const [sx, sz] = opts.cellSize;
  if (!(sx >= 0.01 && sx <= 1024 && sz >= 0.01 && sz <= 1024)) throw new AssetError('BAD_OPTIONS', file, `cell size [${sx}, ${sz}] m must be in 0.01..1024`);
  const cellX = Number(toRaw(sx)),
    cellZ = Number(toRaw(sz));
  const originX = coord(file, opts.origin[0], 'origin x'),
    originZ = coord(file, opts.origin[1], 'origin z');
  if (Math.abs(originX + (nx - 1) * cellX) >= BOUND_RAW || Math.abs(originZ + (nz - 1) * cellZ) >= BOUND_RAW)
    throw new AssetError('OUT_OF_BOUNDS', file, `the far corner lies beyond +-${GEOMETRY_BOUND_M} m`);
  const q = new Int32Array(nx * nz);
  for (let k = 0; k < q.length; k++) q[k] = coord(file, heights[k], `height of sample (${k % nx}, ${Math.floor(k / nx)})`);
  return { kind: 'heightfield', nx, nz, cellX, cellZ, originX, originZ, heights: q };
}

/**
 * Quantises a triangle list given in metres (9 numbers per triangle) and checks it. Throws
 * AssetError (NO_TRIANGLES, TOO_MANY_TRIANGLES, NOT_FINITE, OUT_OF_BOUNDS, DEGENERATE_TRIANGLE)
 * naming `file` (and the triangle's index).
 */
export function quantiseMesh(file: string, positions: ArrayLike<number>): TriangleMesh {
  if (positions.length % 9 !== 0) throw new AssetError('BAD_FORMAT', file, `${positions.length} coordinates is not a whole number of triangles`);
  const n = positions.length / 9;
  if (n === 0) throw new AssetError('NO_TRIANGLES', file, 'the mesh has no triangles');
  if (n > MAX_TRIANGLES) throw new AssetError('TOO_MANY_TRIANGLES', file, `${n} triangles, at most ${MAX_TRIANGLES}`);
  const t = new Int32Array(n * 9);
  for (let k = 0; k < n * 9; k++) t[k] = coord(file, positions[k], `triangle ${Math.floor(k / 9)} coordinate ${k % 9}`);
  for (let k = 0; k < n; k++) {
    const v = (i: number): bigint => BigInt(t[k * 9 + i]);
    const ex = v(3) - v(0),
      ey = v(4) - v(1),
      ez = v(5) - v(2),
      gx = v(6) - v(0),
      gy = v(7) - v(1),
      gz = v(8) - v(2);
    const cx = ey * gz - ez * gy,
      cy = ez * gx - ex * gz,
      cz = ex * gy - ey * gx;
    // |cross| >= MIN  <=>  |cross|^2 >= MIN^2 (exact integers)
    if (cx * cx + cy * cy + cz * cz < MIN_DOUBLE_AREA_RAW2 * MIN_DOUBLE_AREA_RAW2)
      throw new AssetError('DEGENERATE_TRIANGLE', file, `triangle ${k} has (nearly) no area after quantisation (twice its area below 2^-16 m^2)`);
  }
  return { kind: 'mesh', triangles: t };
}

/** Encodes quantised geometry as a core block (formats: assembly/physics/terrain.ts). */
export function encodeGeometry(g: StaticGeometry): GeometryBlock {
  return g.kind === 'heightfield' ? encodeHeightfield(g) : encodeMesh(g);
}

function encodeHeightfield(g: Heightfield): GeometryBlock {
  const w = new BigInt64Array(8 + g.nx * g.nz);
  w.set([BigInt(SHAPE.HEIGHTFIELD), BigInt(g.nx), BigInt(g.nz), BigInt(g.cellX), BigInt(g.cellZ), BigInt(g.originX), BigInt(g.originZ), 0n]);
  let ylo = g.heights[0],
    yhi = g.heights[0];
  for (let k = 0; k < g.heights.length; k++) {
    const h = g.heights[k];
    w[8 + k] = BigInt(h);
    if (h < ylo) ylo = h;
    if (h > yhi) yhi = h;
  }
  const x1 = g.originX + (g.nx - 1) * g.cellX,
    z1 = g.originZ + (g.nz - 1) * g.cellZ;
  return {
    shape: SHAPE.HEIGHTFIELD,
    words: w,
    lo: [BigInt(g.originX), BigInt(ylo), BigInt(g.originZ)],
    hi: [BigInt(x1), BigInt(yhi), BigInt(z1)],
  };
}

/**
 * A mesh block with its triangle tree: top down, a node with more than MESH_LEAF triangles
 * splits at the median of the triangles' centroids (vertex sums, integers) along the axis where
 * they spread widest (x, then y, then z on ties), in the order (centroid, triangle index); the
 * nodes are written depth first with skip pointers, the triangles in leaf order. Integer
 * comparisons only (raw coordinates below 2^29 are exact in a double), so the block is a
 * function of the triangle list.
 */
function encodeMesh(g: TriangleMesh): GeometryBlock {
  const t = g.triangles;
  const n = t.length / 9;
  const sum = (k: number, a: number): number => t[k * 9 + a] + t[k * 9 + 3 + a] + t[k * 9 + 6 + a];
  const order = Array.from({ length: n }, (_, k) => k);
  const nodes: number[][] = [];
  const build = (first: number, count: number): void => {
    const at = nodes.length;
    const node = [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity, 0, 0];
    nodes.push(node);
    const clo = [Infinity, Infinity, Infinity],
      chi = [-Infinity, -Infinity, -Infinity];
    for (let e = first; e < first + count; e++) {
      const k = order[e];
      for (let a = 0; a < 3; a++) {
        for (let v = 0; v < 3; v++) {
          const c = t[k * 9 + v * 3 + a];
          if (c < node[a]) node[a] = c;
          if (c > node[3 + a]) node[3 + a] = c;
        }
        const s = sum(k, a);
        if (s < clo[a]) clo[a] = s;
        if (s > chi[a]) chi[a] = s;
      }
    }
    if (count <= MESH_LEAF) {
      node[6] = at + 1;
      node[7] = first * 2 ** 32 + count;
      return;
    }
    const sx = chi[0] - clo[0],
      sy = chi[1] - clo[1],
      sz = chi[2] - clo[2];
    const axis = sx >= sy && sx >= sz ? 0 : sy >= sz ? 1 : 2;
    const part = order.slice(first, first + count).sort((p, q) => sum(p, axis) - sum(q, axis) || p - q);
    for (let e = 0; e < count; e++) order[first + e] = part[e];
    const m = count >> 1;
    build(first, m);
    build(first + m, count - m);
    node[6] = nodes.length;
    node[7] = first * 2 ** 32;
  };
  build(0, n);
  const N = nodes.length;
  const w = new BigInt64Array(4 + N * 8 + n * 9);
  w.set([BigInt(SHAPE.MESH), BigInt(n), BigInt(N), 0n]);
  for (let k = 0; k < N; k++) for (let f = 0; f < 8; f++) w[4 + k * 8 + f] = BigInt(nodes[k][f]);
  for (let e = 0; e < n; e++) for (let f = 0; f < 9; f++) w[4 + N * 8 + e * 9 + f] = BigInt(t[order[e] * 9 + f]);
  const root = nodes[0];
  return {
    shape: SHAPE.MESH,
    words: w,
    lo: [BigInt(root[0]), BigInt(root[1]), BigInt(root[2])],
    hi: [BigInt(root[3]), BigInt(root[4]), BigInt(root[5])],
  };
}
