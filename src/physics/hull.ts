/**
 * Convex hull shapes (issue 18): the geometry block of a dynamic convex hull of up to 64
 * vertices, built once on the host from a point cloud, in exact integer (BigInt) arithmetic,
 * so the same points give the same block on every machine (ECMAScript's Math.sqrt and friends
 * are not used: src/physics/integer.ts explains why).
 *
 * Steps (buildHull):
 * 1. the points are quantised to raw Q47.16 (toRaw) and exact duplicates dropped;
 * 2. faces: every plane through three points with no point strictly outside it is a face
 *    (exact integer orientation tests; brute force, at most C(64, 3) planes, most rejected
 *    after a few points), each face's coplanar points ordered counter-clockwise seen from
 *    outside by a 2D convex hull (Andrew's monotone chain) that drops collinear points; the
 *    hull's vertices are the faces' corners;
 * 3. mass properties per unit density, exactly, by the divergence theorem over the faces
 *    fanned into triangles: each triangle and the origin make a signed tetrahedron whose
 *    volume, first and second moments are closed forms (F. Tonon, "Explicit Exact Formulas
 *    for the 3-D Tetrahedron Inertia Tensor in Terms of its Vertex Coordinates", J. Math.
 *    Stat. 2004; the same sums as B. Mirtich 1996 and D. Eberly, "Polyhedral Mass
 *    Properties"): V = sum det / 6, centroid = sum det (a + b + c) / (4 sum det),
 *    integral of x_i x_j = sum det (sum_k a_ki a_kj + (sum_k a_ki)(sum_k a_kj)) / 120;
 * 4. the principal frame: the covariance (second central moments per unit volume) is
 *    diagonalised by cyclic Jacobi rotations (Golub and Van Loan, Matrix Computations,
 *    8.5) in fixed point (2^40) with isqrt; the vertices are re-expressed in that frame (the
 *    centroid at the origin) and quantised again. The body then has three principal moments
 *    like a box: the core reuses the rotating box's diagonal inertia (assembly/physics/
 *    box-contacts.ts) with the "equivalent box" half extents h_k = sqrt(3 sigma_k) (sigma_k
 *    the principal second moment per unit volume: a solid cuboid of half extents h has
 *    sigma_k = h_k^2 / 3, so the cuboid of half extents h has exactly the hull's inertia per
 *    unit mass, I_x / m = sigma_y + sigma_z).
 *
 * Geometry block (i64 words, appended to the world's GEOMETRY array like a heightfield's;
 * assembly/physics/hull.ts reads it):
 * ```
 *  0 SHAPE.HULL | NV | NF | NE | BOUND | HX | HY | HZ | INNER | VOLUME      (10 header words)
 * 10 NV vertices x 3 words (raw Q16, principal frame, centroid at the origin)
 *    NF planes x 4 words: nx ny nz (Q16 unit, outward), d (raw: n . v <= d for every vertex)
 *    NF face words: FIRST << 16 | COUNT into the face index list
 *    face index list (one vertex index per word; counter-clockwise seen from outside)
 *    NE edge words: A | B << 8 | F1 << 16 | F2 << 24 (vertex indices A < B, the two faces)
 * ```
 * BOUND is the bounding-sphere radius about the centroid (raw, rounded up), HX..HZ the
 * equivalent box half extents (raw), INNER the least face distance from the centroid (the
 * largest sphere about the centroid inside the hull; raw), VOLUME in raw m^3 (Q16).
 */
import { isqrt, toRaw } from './integer';
import { SHAPE } from './world-layout';

/** Most vertices a hull may have (issue 18). */
export const HULL_MAX_VERTICES = 64;
/** Header words of a hull block. */
export const HULL_HEADER_WORDS = 10;
/** Largest |coordinate| of a hull point relative to its frame (raw: 2^24, 256 m), so every product fits the core's i64. */
const COORD_LIMIT = 1n << 24n;

/** Error of a hull definition; `code` is one of HULL_ERRORS. Mapped to PhysicsError by the world. */
export class HullError extends Error {
  constructor(
    readonly code: 'HULL_TOO_MANY_VERTICES' | 'HULL_DEGENERATE' | 'HULL_BAD_VERTEX',
    message: string,
  ) {
    super(message);
    this.name = 'HullError';
  }
}

/** A built hull shape (buildHull). Lengths in metres unless named raw. */
export interface HullShape {
  /** The geometry block (see the module comment). */
  readonly words: BigInt64Array;
  /** The hull's vertices in its principal frame (m; the block's quantised values). */
  readonly vertices: ReadonlyArray<readonly [number, number, number]>;
  /** Faces: vertex indices, counter-clockwise seen from outside. */
  readonly faces: ReadonlyArray<readonly number[]>;
  /** Volume, m^3 (exact from the quantised input points). */
  readonly volume: number;
  /** Volume in raw Q16 m^3 (the block's VOLUME word; density x this is the mass). */
  readonly volumeRaw: bigint;
  /** Centroid in the input points' frame, m. */
  readonly centroid: readonly [number, number, number];
  /** The principal frame's orientation in the input frame, quaternion [x, y, z, w]: input point = centroid + rotate(q, principal vertex). */
  readonly rotation: readonly [number, number, number, number];
  /** Principal moments of inertia per unit mass, m^2 (I_k / m), about the principal axes. */
  readonly inertiaPerMass: readonly [number, number, number];
  /** Bounding-sphere radius about the centroid, m. */
  readonly boundingRadius: number;
}

type V3 = [bigint, bigint, bigint];

const sub = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: V3, b: V3): bigint => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const babs = (x: bigint): bigint => (x < 0n ? -x : x);
const gcd = (a: bigint, b: bigint): bigint => {
  a = babs(a);
  b = babs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
};
/** round(n / d), d > 0, ties away from zero. */
const divR = (n: bigint, d: bigint): bigint => (n >= 0n ? (2n * n + d) / (2n * d) : -((-2n * n + d) / (2n * d)));

/** Fixed-point scale of the Jacobi rotation entries (2^40). */
const S = 1n << 40n;

/**
 * Symmetric 3 x 3 eigen decomposition by cyclic Jacobi rotations in BigInt fixed point: `a`
 * (any scale, modified) becomes diagonal (its eigenvalues), `v` (scale S) collects the
 * rotations, its columns the eigenvectors. Each rotation zeroes a_pq: with theta = (a_qq -
 * a_pp) / (2 a_pq), t = sgn(theta) / (|theta| + sqrt(theta^2 + 1)), c = 1 / sqrt(t^2 + 1),
 * s = t c (Golub and Van Loan 8.5.2, "symmetric Schur decomposition").
 */
export function jacobi(a: bigint[][], v: bigint[][]): void {
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0n;
    for (let p = 0; p < 3; p++) for (let q = p + 1; q < 3; q++) off += babs(a[p][q]);
    const scale = babs(a[0][0]) + babs(a[1][1]) + babs(a[2][2]);
    if (off === 0n || off * (1n << 50n) < scale) return;
    for (let p = 0; p < 3; p++) {
      for (let q = p + 1; q < 3; q++) {
        const apq = a[p][q];
        if (apq === 0n) continue;
        const num = a[q][q] - a[p][p],
          den = 2n * apq;
        const sign = (num >= 0n ? 1n : -1n) * (den >= 0n ? 1n : -1n);
        const r = isqrt(num * num + den * den);
        const t = (sign * babs(den) * S) / (babs(num) + r); // scale S
        const c = (S * S) / isqrt(S * S + t * t);
        const s = (t * c) / S;
        // A' = J^T A J with J the rotation in the (p, q) plane
        const ak: bigint[][] = a.map((row) => row.slice());
        for (let k = 0; k < 3; k++) {
          const akp = a[k][p],
            akq = a[k][q];
          ak[k][p] = divR(c * akp - s * akq, S);
          ak[k][q] = divR(s * akp + c * akq, S);
        }
        const an: bigint[][] = ak.map((row) => row.slice());
        for (let k = 0; k < 3; k++) {
          const apk = ak[p][k],
            aqk = ak[q][k];
          an[p][k] = divR(c * apk - s * aqk, S);
          an[q][k] = divR(s * apk + c * aqk, S);
        }
        an[p][q] = 0n;
        an[q][p] = 0n;
        for (let k = 0; k < 3; k++) for (let m = 0; m < 3; m++) a[k][m] = an[k][m];
        for (let k = 0; k < 3; k++) {
          const vkp = v[k][p],
            vkq = v[k][q];
          v[k][p] = divR(c * vkp - s * vkq, S);
          v[k][q] = divR(s * vkp + c * vkq, S);
        }
      }
    }
  }
}

/** Unit quaternion [x, y, z, w] (numbers) of the rotation matrix m (scale S, columns the frame's axes), by Shepperd's method with isqrt. */
function quatOf(m: bigint[][]): [number, number, number, number] {
  const f = (q: bigint): number => Number(q) / Number(S);
  const [x, y, z, w] = quatOfScaled(m);
  return [f(x), f(y), f(z), f(w)];
}

/** Fixed-point scale (2^40) of jacobi's rotation matrices and quatOfScaled's quaternions. */
export const JACOBI_SCALE = S;

/** The unit quaternion [x, y, z, w] (bigints, scale S = 2^40) of the rotation matrix m (scale S, columns the frame's axes), by Shepperd's method with isqrt. */
export function quatOfScaled(m: bigint[][]): [bigint, bigint, bigint, bigint] {
  const tr = m[0][0] + m[1][1] + m[2][2];
  let x: bigint, y: bigint, z: bigint, w: bigint;
  // 4 q_k^2 = 1 + ... (scale S^2 under the root gives scale S)
  if (tr >= m[0][0] && tr >= m[1][1] && tr >= m[2][2]) {
    const r = isqrt((S + tr) * S); // 2 w (scale S)
    w = r / 2n;
    x = divR((m[2][1] - m[1][2]) * S, 2n * r);
    y = divR((m[0][2] - m[2][0]) * S, 2n * r);
    z = divR((m[1][0] - m[0][1]) * S, 2n * r);
  } else if (m[0][0] >= m[1][1] && m[0][0] >= m[2][2]) {
    const r = isqrt((S + m[0][0] - m[1][1] - m[2][2]) * S);
    x = r / 2n;
    w = divR((m[2][1] - m[1][2]) * S, 2n * r);
    y = divR((m[0][1] + m[1][0]) * S, 2n * r);
    z = divR((m[0][2] + m[2][0]) * S, 2n * r);
  } else if (m[1][1] >= m[2][2]) {
    const r = isqrt((S + m[1][1] - m[0][0] - m[2][2]) * S);
    y = r / 2n;
    w = divR((m[0][2] - m[2][0]) * S, 2n * r);
    x = divR((m[0][1] + m[1][0]) * S, 2n * r);
    z = divR((m[1][2] + m[2][1]) * S, 2n * r);
  } else {
    const r = isqrt((S + m[2][2] - m[0][0] - m[1][1]) * S);
    z = r / 2n;
    w = divR((m[1][0] - m[0][1]) * S, 2n * r);
    x = divR((m[0][2] + m[2][0]) * S, 2n * r);
    y = divR((m[1][2] + m[2][1]) * S, 2n * r);
  }
  return [x, y, z, w];
}

/** The convex polygon (counter-clockwise about n) of coplanar points `idx` of `pts`, collinear points dropped (Andrew's monotone chain, exact). */
function facePolygon(pts: V3[], idx: number[], n: V3): number[] {
  // project by dropping the axis of n's largest component
  const drop = babs(n[0]) >= babs(n[1]) && babs(n[0]) >= babs(n[2]) ? 0 : babs(n[1]) >= babs(n[2]) ? 1 : 2;
  const u = drop === 0 ? 1 : 0,
    w = drop === 2 ? 1 : 2;
  const sorted = idx.slice().sort((a, b) => {
    const d = pts[a][u] - pts[b][u] || pts[a][w] - pts[b][w];
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  });
  const cr = (o: number, a: number, b: number): bigint => (pts[a][u] - pts[o][u]) * (pts[b][w] - pts[o][w]) - (pts[a][w] - pts[o][w]) * (pts[b][u] - pts[o][u]);
  const lower: number[] = [],
    upper: number[] = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cr(lower[lower.length - 2], lower[lower.length - 1], p) <= 0n) lower.pop();
    lower.push(p);
  }
  for (let k = sorted.length - 1; k >= 0; k--) {
    const p = sorted[k];
    while (upper.length >= 2 && cr(upper[upper.length - 2], upper[upper.length - 1], p) <= 0n) upper.pop();
    upper.push(p);
  }
  const poly = lower.slice(0, -1).concat(upper.slice(0, -1));
  // orient counter-clockwise seen from outside (along n)
  const a = pts[poly[0]],
    b = pts[poly[1]],
    c = pts[poly[2]];
  if (dot(cross(sub(b, a), sub(c, a)), n) < 0n) poly.reverse();
  // start at the lowest index: a canonical first corner
  let lo = 0;
  for (let k = 1; k < poly.length; k++) if (poly[k] < poly[lo]) lo = k;
  return poly.slice(lo).concat(poly.slice(0, lo));
}

/**
 * Builds the hull of `points` (m, in any frame; 4 to 64 points after exact duplicates are
 * dropped). Throws HullError: HULL_TOO_MANY_VERTICES (more than 64 points given),
 * HULL_BAD_VERTEX (a coordinate not finite or beyond +-256 m), HULL_DEGENERATE (fewer than
 * 4 distinct points, or all on one plane: no volume).
 */
export function buildHull(points: ReadonlyArray<readonly [number, number, number]>): HullShape {
  if (points.length > HULL_MAX_VERTICES)
    throw new HullError('HULL_TOO_MANY_VERTICES', `a hull has at most ${HULL_MAX_VERTICES} vertices (${points.length} given)`);
  const pts: V3[] = [];
  const seen = new Set<string>();
  for (const p of points) {
    if (p.length !== 3 || !p.every((x) => Number.isFinite(x)))
      throw new HullError('HULL_BAD_VERTEX', `hull vertex ${JSON.stringify(p)} is not 3 finite numbers`);
    const q: V3 = [toRaw(p[0]), toRaw(p[1]), toRaw(p[2])];
    if (q.some((x) => babs(x) > COORD_LIMIT)) throw new HullError('HULL_BAD_VERTEX', `hull vertex ${JSON.stringify(p)} is farther than 256 m from the origin`);
    const key = q.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    pts.push(q);
  }
  // canonical order (by x, then y, then z): the block does not depend on the order the points came in
  pts.sort((a, b) => {
    for (let c = 0; c < 3; c++) if (a[c] !== b[c]) return a[c] < b[c] ? -1 : 1;
    return 0;
  });
  if (pts.length < 4) throw new HullError('HULL_DEGENERATE', `a hull needs 4 distinct points not on one plane (${pts.length} distinct given)`);
  const n = pts.length;
  // faces: supporting planes through three points (outward normal reduced by its gcd)
  const planes = new Map<string, { n: V3; d: bigint }>();
  // Orientation tests in doubles with an exact fallback: coordinates are below 2^24, so a
  // difference is below 2^25 and the cross product of two (below 2^51) is exact in a double;
  // the dot product's rounding error is below 1e-14 of the sum of its terms' magnitudes, so
  // any larger value has the right sign and only the rest is decided in BigInt (same answers,
  // a 64-point hull in tens of milliseconds instead of half a second).
  const fp = pts.map((p) => [Number(p[0]), Number(p[1]), Number(p[2])]);
  const side = (fn: number[], i: number, m: number): number => {
    const d0 = fp[m][0] - fp[i][0],
      d1 = fp[m][1] - fp[i][1],
      d2 = fp[m][2] - fp[i][2];
    const t0 = fn[0] * d0,
      t1 = fn[1] * d1,
      t2 = fn[2] * d2;
    const s = t0 + t1 + t2;
    const err = 1e-14 * (Math.abs(t0) + Math.abs(t1) + Math.abs(t2));
    if (s > err || s < -err) return s > 0 ? 1 : -1;
    const e = dot([BigInt(fn[0]), BigInt(fn[1]), BigInt(fn[2])], sub(pts[m], pts[i]));
    return e > 0n ? 1 : e < 0n ? -1 : 0;
  };
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a0 = fp[j][0] - fp[i][0],
        a1 = fp[j][1] - fp[i][1],
        a2 = fp[j][2] - fp[i][2];
      for (let k = j + 1; k < n; k++) {
        const b0 = fp[k][0] - fp[i][0],
          b1 = fp[k][1] - fp[i][1],
          b2 = fp[k][2] - fp[i][2];
        const fn = [a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0]; // exact (see above)
        if (fn[0] === 0 && fn[1] === 0 && fn[2] === 0) continue;
        let pos = false,
          neg = false;
        for (let m = 0; m < n && !(pos && neg); m++) {
          const s = side(fn, i, m);
          if (s > 0) pos = true;
          else if (s < 0) neg = true;
        }
        if ((pos && neg) || (!pos && !neg)) continue;
        let nn: V3 = [BigInt(fn[0]), BigInt(fn[1]), BigInt(fn[2])];
        if (pos) nn = [-nn[0], -nn[1], -nn[2]];
        const g = gcd(gcd(nn[0], nn[1]), nn[2]);
        nn = [nn[0] / g, nn[1] / g, nn[2] / g];
        const key = nn.join(',');
        if (!planes.has(key)) planes.set(key, { n: nn, d: dot(nn, pts[i]) });
      }
    }
  }
  if (planes.size < 4) throw new HullError('HULL_DEGENERATE', 'the hull points lie on one plane: a hull needs volume');
  // canonical face order: by outward normal (lexicographic), independent of the map's insertion
  const planeList = [...planes.values()].sort((a, b) => {
    for (let c = 0; c < 3; c++) if (a.n[c] !== b.n[c]) return a.n[c] < b.n[c] ? -1 : 1;
    return 0;
  });
  const polys0 = planeList.map((pl) => {
    const on: number[] = [];
    for (let m = 0; m < n; m++) if (dot(pl.n, pts[m]) === pl.d) on.push(m);
    return facePolygon(pts, on, pl.n);
  });
  // the hull's vertices: the faces' corners, in canonical order
  const used = [...new Set(polys0.flat())].sort((a, b) => a - b);
  const remap = new Map(used.map((p, k) => [p, k]));
  const vtx = used.map((p) => pts[p]);
  const polys = polys0.map((f) => f.map((p) => remap.get(p) as number));
  // mass properties per unit density (exact): sums over the faces' fan triangles
  let vol6 = 0n;
  const m1: V3 = [0n, 0n, 0n];
  const m2 = [
    [0n, 0n, 0n],
    [0n, 0n, 0n],
    [0n, 0n, 0n],
  ];
  for (const f of polys) {
    for (let k = 1; k + 1 < f.length; k++) {
      const a = vtx[f[0]],
        b = vtx[f[k]],
        c = vtx[f[k + 1]];
      const det = dot(a, cross(b, c));
      vol6 += det;
      for (let x = 0; x < 3; x++) {
        m1[x] += det * (a[x] + b[x] + c[x]);
        for (let y = 0; y < 3; y++) m2[x][y] += det * (a[x] * a[y] + b[x] * b[y] + c[x] * c[y] + (a[x] + b[x] + c[x]) * (a[y] + b[y] + c[y]));
      }
    }
  }
  if (vol6 <= 0n) throw new HullError('HULL_DEGENERATE', 'the hull has no volume');
  // centroid (raw x F) and covariance per unit volume (raw^2 x F^2), F = 2^24 extra bits
  const F = 1n << 24n;
  const cF: V3 = [divR(m1[0] * F, 4n * vol6), divR(m1[1] * F, 4n * vol6), divR(m1[2] * F, 4n * vol6)];
  const cov = [0, 1, 2].map((x) => [0, 1, 2].map((y) => divR(m2[x][y] * F * F, 20n * vol6) - cF[x] * cF[y]));
  const ev = [
    [S, 0n, 0n],
    [0n, S, 0n],
    [0n, 0n, S],
  ];
  jacobi(cov, ev);
  // a proper rotation: det(ev) > 0
  const col = (k: number): V3 => [ev[0][k], ev[1][k], ev[2][k]];
  if (dot(col(0), cross(col(1), col(2))) < 0n) for (let r = 0; r < 3; r++) ev[r][2] = -ev[r][2];
  // vertices in the principal frame: R^T (p - c), raw
  const local: V3[] = vtx.map((p) => {
    const d: V3 = [p[0] * F - cF[0], p[1] * F - cF[1], p[2] * F - cF[2]];
    return [0, 1, 2].map((k) => divR(ev[0][k] * d[0] + ev[1][k] * d[1] + ev[2][k] * d[2], S * F)) as V3;
  });
  // principal second moments (raw^2 x F^2) -> equivalent box half extents sqrt(3 sigma), raw
  const sigma = [cov[0][0], cov[1][1], cov[2][2]].map((s) => (s > 0n ? s : 0n));
  const half = sigma.map((s) => divR(isqrt(3n * s), F)); // sqrt(3 sigma), rounded
  if (half.some((h) => h <= 0n)) throw new HullError('HULL_DEGENERATE', 'the hull is too thin (a principal extent rounds to zero)');
  // planes in the principal frame: unit normals (Q16) and offsets over the quantised vertices
  const planeWords: bigint[] = [];
  let inner = -1n;
  planeList.forEach((pl) => {
    const nn = pl.n;
    const r: V3 = [0, 1, 2].map((k) => ev[0][k] * nn[0] + ev[1][k] * nn[1] + ev[2][k] * nn[2]) as V3;
    const len = isqrt(dot(r, r));
    const u: V3 = [divR(r[0] << 16n, len), divR(r[1] << 16n, len), divR(r[2] << 16n, len)];
    let d = -(1n << 62n);
    for (const v of local) {
      const s = dot(u, v);
      const sd = s >= 0n ? (s + 0xffffn) >> 16n : -(-s >> 16n); // rounded up: every vertex inside
      if (sd > d) d = sd;
    }
    planeWords.push(u[0], u[1], u[2], d);
    if (inner < 0n || d < inner) inner = d;
  });
  // edges with their two faces (a directed edge a -> b of one face is b -> a of its neighbour)
  const edgeFaces = new Map<string, number[]>();
  polys.forEach((f, fi) => {
    for (let k = 0; k < f.length; k++) {
      const a = f[k],
        b = f[(k + 1) % f.length];
      const key = a < b ? `${a},${b}` : `${b},${a}`;
      const e = edgeFaces.get(key) ?? [];
      e.push(fi);
      edgeFaces.set(key, e);
    }
  });
  const edges = [...edgeFaces.entries()]
    .map(([k, fs]) => {
      const [a, b] = k.split(',').map(Number);
      return { a, b, f1: fs[0], f2: fs[1] ?? fs[0] };
    })
    .sort((x, y) => x.a - y.a || x.b - y.b);
  let r2 = 0n;
  for (const v of local) if (dot(v, v) > r2) r2 = dot(v, v);
  const bound = isqrt(r2) + 2n;
  const volumeRaw = divR(vol6, 6n << 32n); // raw^3 = Q48 m^3 -> Q16
  const nv = local.length,
    nf = polys.length,
    ne = edges.length;
  const indexCount = polys.reduce((s, f) => s + f.length, 0);
  const words = new BigInt64Array(HULL_HEADER_WORDS + 3 * nv + 5 * nf + indexCount + ne);
  words.set([BigInt(SHAPE.HULL), BigInt(nv), BigInt(nf), BigInt(ne), bound, half[0], half[1], half[2], inner, volumeRaw]);
  let at = HULL_HEADER_WORDS;
  for (const v of local) {
    words.set(v, at);
    at += 3;
  }
  words.set(planeWords, at);
  at += 4 * nf;
  let first = 0;
  for (const f of polys) {
    words[at++] = (BigInt(first) << 16n) | BigInt(f.length);
    first += f.length;
  }
  for (const f of polys) for (const p of f) words[at++] = BigInt(p);
  for (const e of edges) words[at++] = BigInt(e.a | (e.b << 8) | (e.f1 << 16)) | (BigInt(e.f2) << 24n);
  const num = (x: bigint, scale: bigint): number => Number(x) / Number(scale);
  const sig = sigma.map((s) => num(s, F * F) / 4294967296); // raw^2 -> m^2
  return {
    words,
    vertices: local.map((v) => [num(v[0], 65536n), num(v[1], 65536n), num(v[2], 65536n)] as const),
    faces: polys,
    volume: Number(vol6) / 6 / 281474976710656, // raw^3 -> m^3
    volumeRaw,
    centroid: [num(cF[0], F * 65536n), num(cF[1], F * 65536n), num(cF[2], F * 65536n)],
    rotation: quatOf(ev),
    inertiaPerMass: [sig[1] + sig[2], sig[0] + sig[2], sig[0] + sig[1]],
    boundingRadius: num(bound, 65536n),
  };
}
