/**
 * Compound shapes (issue 18): the geometry block of a dynamic body made of 2 to 16 child shapes
 * (spheres, boxes, rotating capsules, convex hulls), built once on the host in exact integer
 * (BigInt) arithmetic from the children's raw sizes and poses, so the same definition gives the
 * same block on every machine (no implementation-approximated Math function: src/physics/
 * integer.ts). The core (assembly/physics/compound.ts) reads the block.
 *
 * Steps (buildCompound):
 * 1. each child's size, position and orientation are quantised (raw Q16; the orientation a Q16
 *    unit quaternion, normalised with isqrt); a hull child is placed by its principal frame (its
 *    HullShape centroid and rotation moved by the child's pose, as PhysicsWorld.addHull does);
 * 2. each child's mass (density x volume; pi as round(pi 2^48)) and second moments per unit
 *    mass about its centre in its own principal axes: a solid sphere r^2 / 5 per axis, a solid
 *    cuboid h_k^2 / 3, a solid capsule (cylinder of half length h plus two hemispheres, the
 *    hemisphere's centroid at 3 r / 8 from its face: x^2 moments m_c r^2 / 4 + m_s r^2 / 5 and
 *    along the core m_c h^2 / 3 + m_s (h^2 + 3 h r / 4 + r^2 / 5), which give the standard
 *    inertia table's capsule), a hull its equivalent box's h_k^2 / 3 (src/physics/hull.ts);
 * 3. the body's mass is the sum, its centre of mass the mass-weighted mean of the children's
 *    centres, and its second-moment tensor about that centre the sum of each child's rotated
 *    tensor R diag(sigma) R^T m plus m d d^T (the parallel-axis theorem, e.g. Goldstein,
 *    Classical Mechanics 5.3; the inertia tensor is trace(C) E - C of this tensor C);
 * 4. the principal frame: that tensor diagonalised by the hull's fixed-point Jacobi rotations
 *    (src/physics/hull.ts jacobi, Golub and Van Loan 8.5), a proper rotation; the children's
 *    poses re-expressed in it (position R^T (c - C), orientation conj(q_p) q). The body keeps
 *    the equivalent box h_k = sqrt(3 sigma_k) of the principal second moments per unit mass,
 *    as a hull does, so the core's rotating-box inertia (I_x / m = (h_y^2 + h_z^2) / 3) is the
 *    compound's.
 *
 * Geometry block (i64 words, appended to the world's GEOMETRY; assembly/physics/compound.ts):
 * ```
 *  0 SHAPE.COMPOUND | N | BOUND | HX | HY | HZ | INNER | 0                  (8 header words)
 *  8 N children x 16 words: SHAPE | PX PY PZ (raw) | QX QY QZ QW (Q16) | RADIUS | HX HY HZ |
 *    BLOCK | INNER | 0 | 0
 * ```
 * BOUND is the body's bounding-sphere radius about its centre of mass (raw, rounded up), INNER
 * the least child inner radius (raw); a child's RADIUS, HX..HZ and BLOCK are the fields a body of
 * its shape keeps (a sphere's radius; a box's bounding sphere and half extents; a hull's bounding
 * sphere, equivalent box and block word index; a rotating capsule's bounding sphere r + h, its
 * radius and core half length), INNER its inner sphere's radius (continuous collision).
 */
import { type HullShape, JACOBI_SCALE, jacobi, quatOfScaled } from './hull';
import { divRound, isqrt, toRaw } from './integer';
import { SHAPE } from './world-layout';

/** Least and most children of a compound. */
export const COMPOUND_MIN_CHILDREN = 2;
export const COMPOUND_MAX_CHILDREN = 16;
/** Header words and words per child of a compound block. */
export const COMPOUND_HEADER_WORDS = 8;
export const COMPOUND_CHILD_WORDS = 16;
/** Largest |coordinate| of a child's position in the compound's frame (raw: 2^24, 256 m), as a hull's vertices. */
const COORD_LIMIT = 1n << 24n;
/** Default density of a child, kg/m^3 (water). */
export const COMPOUND_DEFAULT_DENSITY = 1000;

/** A quaternion [x, y, z, w]. */
type Quat = readonly [number, number, number, number];
type V3n = readonly [number, number, number];

/** A hull shape stored in a world's geometry (PhysicsWorld.addHullShape). */
export interface CompoundHullRef {
  readonly block: number;
  readonly shape: HullShape;
}

/**
 * One child of a compound: its shape and sizes (m), its pose in the compound's own frame
 * (position m, default the origin; orientation a quaternion [x, y, z, w], default identity) and
 * its density (kg/m^3, default 1000). A box has half extents `half`; a capsule is a rotating
 * capsule (core of half length `halfHeight` along its local y axis, swept by `radius`); a hull
 * is a shape from addHullShape, placed by the frame its vertices were given in.
 */
export type CompoundChild = { position?: V3n; orientation?: Quat; density?: number } & (
  | { shape: 'sphere'; radius: number }
  | { shape: 'box'; half: V3n }
  | { shape: 'capsule'; radius: number; halfHeight: number }
  | { shape: 'hull'; hull: CompoundHullRef }
);

/** Error of a compound definition; mapped to PhysicsError by the world. */
export class CompoundError extends Error {
  constructor(
    readonly code: 'COMPOUND_CHILDREN' | 'COMPOUND_BAD_CHILD' | 'BAD_SHAPE' | 'BAD_MASS',
    message: string,
  ) {
    super(message);
    this.name = 'CompoundError';
  }
}

/** A built compound shape (buildCompound). Lengths in metres unless named raw. */
export interface CompoundShape {
  /** The geometry block (see the module comment). */
  readonly words: BigInt64Array;
  /** Total mass, kg (the children's densities times their volumes). */
  readonly mass: number;
  /** Total mass in raw Q16 kg (the body's MASS for addCompound without `mass`). */
  readonly massRaw: bigint;
  /** Centre of mass in the compound's own frame, m. */
  readonly centroid: readonly [number, number, number];
  /** The principal frame's orientation in the own frame, [x, y, z, w]: own point = centroid + rotate(rotation, principal point). */
  readonly rotation: Quat;
  /** Principal moments of inertia, kg m^2, about the principal axes (exact sums, before the core's equivalent-box rounding). */
  readonly inertia: readonly [number, number, number];
  /** Bounding-sphere radius about the centre of mass, m. */
  readonly boundingRadius: number;
  /** The children in the principal frame: shape code, position (m), orientation. */
  readonly children: ReadonlyArray<{ shape: number; position: readonly [number, number, number]; orientation: Quat }>;
}

type V3 = [bigint, bigint, bigint];

/** pi in Q48 (as src/physics/integer.ts PI_Q48). */
const PI_Q48 = 884279719003556n;
const Q48 = 1n << 48n;

/** q = a b (Hamilton product) of [x, y, z, w] bigints; scale of a times scale of b. */
function qmul(a: readonly bigint[], b: readonly bigint[]): [bigint, bigint, bigint, bigint] {
  const [ax, ay, az, aw] = a,
    [bx, by, bz, bw] = b;
  return [
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
    aw * bw - ax * bx - ay * by - az * bz,
  ];
}

/** Hamilton product of number quaternions [x, y, z, w]. */
export function quatMul(a: Quat, b: Quat): [number, number, number, number] {
  const [ax, ay, az, aw] = a,
    [bx, by, bz, bw] = b;
  return [
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
    aw * bw - ax * bx - ay * by - az * bz,
  ];
}

/** v rotated by the unit quaternion q (+ and * only). */
export function quatRotate(q: Quat, v: V3n): [number, number, number] {
  const [x, y, z, w] = q;
  const tx = 2 * (y * v[2] - z * v[1]),
    ty = 2 * (z * v[0] - x * v[2]),
    tz = 2 * (x * v[1] - y * v[0]);
  return [v[0] + w * tx + (y * tz - z * ty), v[1] + w * ty + (z * tx - x * tz), v[2] + w * tz + (x * ty - y * tx)];
}

/** A Q16 unit quaternion from raw components (normalised with isqrt; identity for zero). */
function unitQ16(q: readonly bigint[]): [bigint, bigint, bigint, bigint] {
  const n = isqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  if (n === 0n) return [0n, 0n, 0n, 65536n];
  return [divRound(q[0] << 16n, n), divRound(q[1] << 16n, n), divRound(q[2] << 16n, n), divRound(q[3] << 16n, n)];
}

/** Rotation matrix (scale 2^32; m[r][c], columns the child's axes) of a Q16 unit quaternion. */
function matOf(q: readonly bigint[]): bigint[][] {
  const [x, y, z, w] = q;
  const one = 1n << 32n;
  return [
    [one - 2n * (y * y + z * z), 2n * (x * y - w * z), 2n * (x * z + w * y)],
    [2n * (x * y + w * z), one - 2n * (x * x + z * z), 2n * (y * z - w * x)],
    [2n * (x * z - w * y), 2n * (y * z + w * x), one - 2n * (x * x + y * y)],
  ];
}

const finite = (v: number): boolean => Number.isFinite(v);

/**
 * Builds the compound of `children` (2 to 16; see CompoundChild). Throws CompoundError:
 * COMPOUND_CHILDREN (fewer than 2 or more than 16 children), COMPOUND_BAD_CHILD (an unknown
 * shape, a hull without a stored shape), BAD_SHAPE (a size not a positive finite number of at
 * least 2^-16 m, a position or orientation not finite, a position beyond 256 m), BAD_MASS (a
 * density not positive and finite, or a total mass that rounds to zero).
 */
export function buildCompound(children: ReadonlyArray<CompoundChild>): CompoundShape {
  if (!Array.isArray(children) || children.length < COMPOUND_MIN_CHILDREN || children.length > COMPOUND_MAX_CHILDREN)
    throw new CompoundError(
      'COMPOUND_CHILDREN',
      `a compound has ${COMPOUND_MIN_CHILDREN} to ${COMPOUND_MAX_CHILDREN} children (${Array.isArray(children) ? children.length : 'none'} given)`,
    );
  const SIG = 1n << 16n; // extra bits of the second moments: raw^2 x 2^16
  type Child = {
    code: number;
    p: V3;
    q: [bigint, bigint, bigint, bigint];
    m: bigint;
    sigma: V3;
    radius: bigint;
    hx: bigint;
    hy: bigint;
    hz: bigint;
    block: bigint;
    inner: bigint;
  };
  const parts: Child[] = children.map((c, k) => {
    const where = `child ${k} (${String((c as { shape?: unknown }).shape)})`;
    const size = (name: string, v: unknown): bigint => {
      if (typeof v !== 'number' || !finite(v) || toRaw(v) <= 0n)
        throw new CompoundError('BAD_SHAPE', `${where}: ${name} must be a positive number of metres (at least 2^-16), got ${String(v)}`);
      return toRaw(v);
    };
    let pos: V3n = c.position ?? [0, 0, 0];
    let rot: Quat = c.orientation ?? [0, 0, 0, 1];
    if (pos.length !== 3 || !pos.every(finite)) throw new CompoundError('BAD_SHAPE', `${where}: position must be 3 finite numbers`);
    if (rot.length !== 4 || !rot.every(finite) || rot.every((x) => x === 0))
      throw new CompoundError('BAD_SHAPE', `${where}: orientation must be 4 finite numbers, not all zero`);
    const density = c.density ?? COMPOUND_DEFAULT_DENSITY;
    if (!(finite(density) && density > 0)) throw new CompoundError('BAD_MASS', `${where}: density must be a positive number of kg/m^3, got ${density}`);
    const rho = toRaw(density);
    if (rho <= 0n) throw new CompoundError('BAD_MASS', `${where}: density ${density} rounds to zero`);
    let code: number,
      m: bigint,
      sigma: V3,
      radius: bigint,
      hx = 0n,
      hy = 0n,
      hz = 0n,
      block = 0n,
      inner: bigint;
    // masses at scale 2^64 kg (raw^3 Q48 m^3 x raw Q16 kg/m^3)
    if (c.shape === 'sphere') {
      const r = size('radius', c.radius);
      code = SHAPE.SPHERE;
      m = (4n * r * r * r * rho * PI_Q48) / (3n * Q48);
      const s = divRound(r * r * SIG, 5n);
      sigma = [s, s, s];
      radius = r;
      inner = r;
    } else if (c.shape === 'box') {
      if (!Array.isArray(c.half) || c.half.length !== 3) throw new CompoundError('BAD_SHAPE', `${where}: half must be 3 half extents`);
      [hx, hy, hz] = [size('half[0]', c.half[0]), size('half[1]', c.half[1]), size('half[2]', c.half[2])];
      code = SHAPE.BOX;
      m = 8n * hx * hy * hz * rho;
      sigma = [divRound(hx * hx * SIG, 3n), divRound(hy * hy * SIG, 3n), divRound(hz * hz * SIG, 3n)];
      radius = isqrt(hx * hx + hy * hy + hz * hz) + 3n; // as the core's box bound (sqrtFast + 2), rounded up
      inner = hx < hy ? (hx < hz ? hx : hz) : hy < hz ? hy : hz;
    } else if (c.shape === 'capsule') {
      const r = size('radius', c.radius),
        h = size('halfHeight', c.halfHeight);
      code = SHAPE.ROTATING_CAPSULE;
      // in units of pi rho / 3: cylinder 6 h r^2, two hemispheres 4 r^3
      const mc = 6n * h * r * r,
        ms = 4n * r * r * r;
      m = ((mc + ms) * rho * PI_Q48) / (3n * Q48);
      const sx = divRound((5n * mc + 4n * ms) * r * r * SIG, 20n * (mc + ms));
      const sy = divRound((20n * mc * h * h + ms * (60n * h * h + 45n * h * r + 12n * r * r)) * SIG, 60n * (mc + ms));
      sigma = [sx, sy, sx];
      radius = r + h;
      hx = r;
      hy = h;
      inner = r;
    } else if (c.shape === 'hull') {
      const ref = c.hull;
      if (!ref || typeof ref.block !== 'number' || !ref.shape || !(ref.shape.words instanceof BigInt64Array))
        throw new CompoundError('COMPOUND_BAD_CHILD', `${where}: hull must be a shape from addHullShape`);
      const w = ref.shape.words;
      code = SHAPE.HULL;
      m = ref.shape.volumeRaw * (1n << 32n) * rho;
      [hx, hy, hz] = [w[5], w[6], w[7]];
      sigma = [divRound(hx * hx * SIG, 3n), divRound(hy * hy * SIG, 3n), divRound(hz * hz * SIG, 3n)];
      radius = w[4];
      block = BigInt(ref.block);
      inner = w[8];
      // the principal frame of the hull, moved by the child's pose (as PhysicsWorld.addHull)
      const cpos = quatRotate(rot, ref.shape.centroid);
      pos = [pos[0] + cpos[0], pos[1] + cpos[1], pos[2] + cpos[2]];
      rot = quatMul(rot, ref.shape.rotation);
    } else {
      throw new CompoundError('COMPOUND_BAD_CHILD', `${where}: shape must be 'sphere', 'box', 'capsule' or 'hull'`);
    }
    const p: V3 = [toRaw(pos[0]), toRaw(pos[1]), toRaw(pos[2])];
    if (p.some((x) => (x < 0n ? -x : x) > COORD_LIMIT)) throw new CompoundError('BAD_SHAPE', `${where}: position is farther than 256 m from the origin`);
    const q = unitQ16([toRaw(rot[0]), toRaw(rot[1]), toRaw(rot[2]), toRaw(rot[3])]);
    return { code, p, q, m, sigma, radius, hx, hy, hz, block, inner };
  });
  const M = parts.reduce((s, c) => s + c.m, 0n);
  const massRaw = M >> 48n; // scale 2^64 -> Q16 kg
  if (massRaw <= 0n) throw new CompoundError('BAD_MASS', 'the compound has no mass (its children are too small or too light)');
  // centre of mass (raw x 2^16)
  const C: V3 = [0, 1, 2].map((a) => divRound(parts.reduce((s, c) => s + c.m * c.p[a], 0n) * SIG, M)) as V3;
  // second-moment tensor about C: sum m (R diag(sigma) R^T + d d^T), scale 2^64 x raw^2 x 2^32
  const cov: bigint[][] = [
    [0n, 0n, 0n],
    [0n, 0n, 0n],
    [0n, 0n, 0n],
  ];
  for (const c of parts) {
    const R = matOf(c.q);
    const d: V3 = [c.p[0] * SIG - C[0], c.p[1] * SIG - C[1], c.p[2] * SIG - C[2]];
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        const rs = divRound(R[a][0] * c.sigma[0] * R[b][0] + R[a][1] * c.sigma[1] * R[b][1] + R[a][2] * c.sigma[2] * R[b][2], 1n << 48n);
        cov[a][b] += c.m * (rs + d[a] * d[b]);
      }
  }
  const ev = [
    [JACOBI_SCALE, 0n, 0n],
    [0n, JACOBI_SCALE, 0n],
    [0n, 0n, JACOBI_SCALE],
  ];
  jacobi(cov, ev);
  const col = (k: number): V3 => [ev[0][k], ev[1][k], ev[2][k]];
  const crossV = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const c2 = crossV(col(1), col(2));
  if (ev[0][0] * c2[0] + ev[1][0] * c2[1] + ev[2][0] * c2[2] < 0n) for (let r = 0; r < 3; r++) ev[r][2] = -ev[r][2];
  // principal second moments per unit mass (raw^2 x 2^32) and the equivalent box (raw)
  const sig = [cov[0][0], cov[1][1], cov[2][2]].map((s) => (s > 0n ? divRound(s, M) : 0n));
  const half = sig.map((s) => divRound(isqrt(3n * s), SIG));
  if (half.some((h) => h <= 0n)) throw new CompoundError('BAD_SHAPE', 'the compound is too thin (a principal extent rounds to zero)');
  const qp = quatOfScaled(ev);
  const qpConj = [-qp[0], -qp[1], -qp[2], qp[3]];
  // children in the principal frame
  const local = parts.map((c) => {
    const d: V3 = [c.p[0] * SIG - C[0], c.p[1] * SIG - C[1], c.p[2] * SIG - C[2]];
    const p = [0, 1, 2].map((k) => divRound(ev[0][k] * d[0] + ev[1][k] * d[1] + ev[2][k] * d[2], JACOBI_SCALE * SIG)) as V3;
    const q = unitQ16(qmul(qpConj, c.q).map((x) => divRound(x, JACOBI_SCALE)));
    return { ...c, p, q };
  });
  let bound = 0n,
    inner = -1n;
  for (const c of local) {
    const b = isqrt(c.p[0] * c.p[0] + c.p[1] * c.p[1] + c.p[2] * c.p[2]) + 1n + c.radius + 2n;
    if (b > bound) bound = b;
    if (inner < 0n || c.inner < inner) inner = c.inner;
  }
  const words = new BigInt64Array(COMPOUND_HEADER_WORDS + COMPOUND_CHILD_WORDS * local.length);
  words.set([BigInt(SHAPE.COMPOUND), BigInt(local.length), bound, half[0], half[1], half[2], inner, 0n]);
  local.forEach((c, k) => {
    words.set(
      [BigInt(c.code), c.p[0], c.p[1], c.p[2], c.q[0], c.q[1], c.q[2], c.q[3], c.radius, c.hx, c.hy, c.hz, c.block, c.inner, 0n, 0n],
      COMPOUND_HEADER_WORDS + COMPOUND_CHILD_WORDS * k,
    );
  });
  const num = (x: bigint, scale: bigint): number => Number(x) / Number(scale);
  const massKg = num(M, 1n << 64n);
  const s = sig.map((x) => num(x, 1n << 64n)); // raw^2 x 2^32 -> m^2
  return {
    words,
    mass: massKg,
    massRaw,
    centroid: [num(C[0], 1n << 32n), num(C[1], 1n << 32n), num(C[2], 1n << 32n)],
    rotation: [num(qp[0], JACOBI_SCALE), num(qp[1], JACOBI_SCALE), num(qp[2], JACOBI_SCALE), num(qp[3], JACOBI_SCALE)],
    inertia: [massKg * (s[1] + s[2]), massKg * (s[0] + s[2]), massKg * (s[0] + s[1])],
    boundingRadius: num(bound, 65536n),
    children: local.map((c) => ({
      shape: c.code,
      position: [num(c.p[0], 65536n), num(c.p[1], 65536n), num(c.p[2], 65536n)] as const,
      orientation: [num(c.q[0], 65536n), num(c.q[1], 65536n), num(c.q[2], 65536n), num(c.q[3], 65536n)] as const,
    })),
  };
}
