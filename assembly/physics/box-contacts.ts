// Rotating (dynamic) boxes: contact manifolds and their solver steps.
//
// A dynamic box is a SHAPE_BOX body of KIND_DYNAMIC: centre P, orientation Q (unit quaternion,
// Q16), half extents HX, HY, HZ (raw metres, in the box's own frame), RADIUS its bounding
// sphere (world.ts bodyCreate). Its inertia is the solid cuboid's, I_x = m (hy^2 + hz^2) / 3
// and so on (I = m/12 (a^2 + b^2) for full edge lengths a = 2 hy, b = 2 hz: the standard table,
// e.g. Goldstein, Classical Mechanics, or Wikipedia "List of moments of inertia"); the world
// inverse inertia is R diag(1/I_x, 1/I_y, 1/I_z) R^T with R from Q at the start of the tick.
// Gyroscopic torque (w x I w) is left out, as in many game engines' default (Box2D has no 3D
// case; Jolt and Rapier make it optional).
//
// Narrowphase (up to 4 contact points per pair, each a contact record flagged CF_BOX whose
// lever arm from I's centre is a vector, see layout CONTACT_FLAG.BOX):
// - box vs plane: the vertices of the box face turned most towards the plane, within reach;
// - box vs box (a static axis-aligned box, or another dynamic box): the separating axis test
//   over the 15 axes (3 face normals of each box, 9 edge cross products), then either one
//   point between the two closest edges, or the incident face clipped against the side
//   planes of the reference face (Sutherland-Hodgman) and reduced to 4 points (deepest, then
//   farthest, then the largest triangle and quadrilateral). The method is D. Gregorius, "The
//   Separating Axis Test between Convex Polyhedra", GDC 2013, and "Robust Contact Creation
//   for Physics Simulations", GDC 2015 (as in Box2D's b2CollidePolygons and Jolt's
//   ManifoldBetweenTwoFaces); the code here is written from those descriptions;
// - box vs sphere (and vs an upright capsule, as a sphere at the capsule core's point level
//   with the box centre): the closest point of the box to the centre, one point.
// Every contact point lies midway between the two surfaces; its separation is along the
// normal (I -> J). All integer math: Q16 vectors, raw Q16 positions; deterministic orders
// (faces and vertices in fixed index order, strict comparisons keep the first on ties).
//
// Solver (the same substepped, position-based scheme as solver.ts: Mueller et al., "Detailed
// Rigid Body Simulation with Extended Position Based Dynamics", SCA 2020), with lever arms:
// the contact point of body b moves by D_b + theta_b x r_b since the tick start (D its
// displacement, theta its small rotation vector, r its lever arm at the tick start), the
// generalized inverse mass of a correction along a unit direction u is
// w_b = 1/m_b + (r_b x u) . I_b^-1 (r_b x u), and a correction lambda moves b by lambda / m_b u
// and turns it by lambda I_b^-1 (r_b x u) (XPBD, eq. 2-9 of the paper, zero compliance).
// - Contacts between two moving bodies go through solver.ts's Jacobi position pass
//   (boxPairPosition: normal correction and static / kinetic friction into the bodies'
//   accumulators, averaged as every contact is) and velocity pass (boxPairVelocity: the
//   points' normal velocity set to its target, 0 or a bounce, with the angular velocities,
//   which the shards exchange with the rest of a pass's state: layout STATE, PASS_BYTES;
//   and, for a point the position pass held by static friction, its tangential velocity
//   stopped within mu times that pass's normal correction as an impulse, which took the
//   10-box stack's creep from 1 cm to 4.5 mm in 10 s).
// - Contacts of a box with statics are the box's own: each substep, after the Jacobi
//   corrections (boxApplyPositionsBody), they are projected in position (Gauss-Seidel over
//   the box's static points, POS_ITERS sweeps alternating direction, no velocity made: a
//   push-out never launches it), then static friction in position: the tangential motion of
//   each point since the tick start is undone up to mu times the point's normal correction
//   of the substep, else limited to it (kinetic: a box sliding on a slope accelerates at
//   g (sin a - mu cos a)), which changes velocity as a PBD correction does; then the point
//   velocities are projected (projected Gauss-Seidel with accumulated, non-negative impulses,
//   VEL_ITERS sweeps alternating direction, so a face resting on 4 points gets the symmetric
//   solution and does not rock): an impact faster than the restitution threshold bounces,
//   anything else stops; and, unless a point slid in the position step, Coulomb friction in
//   velocity (accumulated tangential impulse per point within mu times its normal impulse),
//   which stops what the position friction left of the tangential velocity (without it a box
//   resting under another walked sideways by a raw unit per tick).
//   Only the box's own state changes, so this is as local as solver.ts's static projections.
// - The orientation advances at the end of the tick by the rotation the contacts were solved
//   with (boxIntegrateOrientation), rounded symmetrically.
//
// Limits (measured, test/physics-boxes.test.ts): a 10-box stack creeps about 4.5 mm in 10 s
// with sleeping off (the Jacobi box-box friction leaves a small held sideways velocity); a box
// on a slope holds up to tan a = 0.89 mu and creeps near the limit (0.6 mm/s at 0.93 mu); a
// cube (not a flatter box) sliding at 40 degrees with mu 0.5 rocks and lands 3-5 % below
// g (sin a - mu cos a). A capsule meets a box as a sphere at the core point level with the
// box centre (one point, which gets the character rules in collide.ts; the step-up reads the
// box's unrotated top). Queries (ray casts, overlaps: query.ts) see a rotating box as the
// oriented box it is (boxAxesOf).

import {
  P_PX, P_PY, P_PZ, P_X0X, P_X0Y, P_X0Z, P_QX, P_QY, P_QZ, P_QW, P_RADIUS, P_HX, P_HY, P_HZ,
  P_INV_MASS, P_INV_INERTIA, P_FRICTION, P_RESTITUTION, P_KIND, P_SHAPE, P_CFIRST, P_CCOUNT,
  S_DX, S_DY, S_DZ, S_PDX, S_PDY, S_PDZ, S_UX, S_UY, S_UZ, S_RX, S_RY, S_RZ, S_SRX, S_SRY, S_SRZ,
  S_OX, S_OY, S_OZ, S_AX, S_AY, S_AZ, S_TX, S_TY, S_TZ, S_CNT, S_CNT_V, S_MOVES, S_NSTATIC,
  C_I, C_J, C_FLAGS, C_NX, C_NY, C_NZ, C_SEP0, C_SHARE_I, C_ARM_I, C_ARM_J, C_KT, C_MU, C_E, C_VN_PRE,
  CONTACT_BYTES, CF_J_MOVES, CF_J_STATIC, CF_ACTIVE, CF_TOUCHED, CF_WAS_ACTIVE, CF_BOX,
  SHAPE_SPHERE, SHAPE_CAPSULE, SHAPE_BOX, SHAPE_PLANE, SHAPE_HULL, SHAPE_ROTATING_CAPSULE, SHAPE_COMPOUND, KIND_DYNAMIC, KIND_STATIC,
  H_CONTACT_COUNT, H_CONTACT_CAPACITY, H_STATUS, H_INV_H, H_MAX_PUSH, H_RESTITUTION_THRESHOLD, STATUS_CONTACT_OVERFLOW, P_BOX_SCRATCH, P_BOX_INERTIA, P_BOX_NORMAL, P_CONTACTS,
} from './layout';
import { g64, g32, s64, hdr, setHdr, st } from './world';
import { contactAt, moves } from './collide';
import { div, ONE, sqrtFast, q16 } from '../math/fixed';
import { isGeometryShape, terrainContacts, terrainContactAt, tNX, tNY, tNZ, tSep } from './terrain';
import { isHullPair, hullCollide } from './hull';
import { capsuleInvInertia, capsuleRolling } from './capsule-contacts';

/**
 * Whether a moving body of this shape tumbles with a diagonal inertia frame (BOX_INERTIA) and the
 * rotating box's solver steps: a dynamic box; a convex hull (hull.ts: HX..HZ its equivalent box,
 * the vertices in its principal frame); a rotating capsule (capsule-contacts.ts: its body axes
 * are its principal axes, capsuleInvInertia); a compound (compound.ts: HX..HZ its equivalent box,
 * the children posed in its principal frame).
 */
// @ts-ignore: decorator
@inline export function isRotatingShape(shape: i32): bool { return shape == SHAPE_BOX || shape == SHAPE_HULL || shape == SHAPE_ROTATING_CAPSULE || shape == SHAPE_COMPOUND; }

// ---- small integer helpers ----

// @ts-ignore: decorator
@inline function minI(a: i64, b: i64): i64 { return a < b ? a : b; }
// @ts-ignore: decorator
@inline function absI(x: i64): i64 { return x < 0 ? -x : x; }
// @ts-ignore: decorator
@inline function clampI(x: i64, lo: i64, hi: i64): i64 { return x < lo ? lo : (x > hi ? hi : x); }
// @ts-ignore: decorator
@inline function sgn(x: i64): i64 { return x < 0 ? -1 : 1; }
// @ts-ignore: decorator
@inline function sqrtI(x: i64): i64 { return <i64>sqrtFast(<u64>x); }
// @ts-ignore: decorator
@inline function sst(i: i32, off: i32, v: i64): void { store<i64>(st(i) + <usize>off, v); }
// @ts-ignore: decorator
@inline function lst(i: i32, off: i32): i64 { return load<i64>(st(i) + <usize>off); }

/** Positions closer than this are one point of a manifold (raw m, 1 mm). */
// @ts-ignore: decorator
@inline const SAME_POINT: i64 = 66;
/** A face axis is kept over an edge axis unless the edge separates by this much more (raw m, 5 mm; Gregorius 2015's bias). */
// @ts-ignore: decorator
@inline const EDGE_BIAS: i64 = 328;
/** The second box's face is the reference only when it separates by this much more than the first's (raw m, 1 mm). */
// @ts-ignore: decorator
@inline const FACE_BIAS: i64 = 66;
/** Edge pairs closer to parallel than sin = 1/64 have no usable cross product (the face axes cover them). */
// @ts-ignore: decorator
@inline const PARALLEL: i64 = 1024;
/** Gauss-Seidel sweeps over a box's static points per substep: positions, velocities. */
// @ts-ignore: decorator
@inline const POS_ITERS: i32 = 2;
// @ts-ignore: decorator
@inline const VEL_ITERS: i32 = 4;
/** Static points of one box handled per substep (more are left out: a box touches few statics). */
// @ts-ignore: decorator
@inline const MAX_STATIC_POINTS: i32 = 32;

// ---- box frames ----

// Two box frames (0 = first box, 1 = second): 15 i64 each: centre (0..2), axes (3 + 3 k + c:
// component c of local axis k, Q16 unit), half extents (12..14).
// @ts-ignore: decorator
@inline function frBase(): usize { return P_BOX_SCRATCH; }
// @ts-ignore: decorator
@inline function fr(b: i32, k: i32): i64 { return load<i64>(frBase() + ((<usize>(b * 16 + k)) << 3)); }
// @ts-ignore: decorator
@inline function sfr(b: i32, k: i32, v: i64): void { store<i64>(frBase() + ((<usize>(b * 16 + k)) << 3), v); }
// @ts-ignore: decorator
@inline function ax(b: i32, k: i32, c: i32): i64 { return fr(b, 3 + 3 * k + c); }
// @ts-ignore: decorator
@inline function ext(b: i32, k: i32): i64 { return fr(b, 12 + k); }
// @ts-ignore: decorator
@inline function cen(b: i32, c: i32): i64 { return fr(b, c); }

/**
 * Loads frame b of the box in slot s: static boxes are axis-aligned, dynamic ones take their
 * axes from the orientation quaternion (columns of the rotation matrix, Q16).
 */
function loadFrame(b: i32, s: i32): void {
  sfr(b, 0, g64(P_PX, s)); sfr(b, 1, g64(P_PY, s)); sfr(b, 2, g64(P_PZ, s));
  sfr(b, 12, g64(P_HX, s)); sfr(b, 13, g64(P_HY, s)); sfr(b, 14, g64(P_HZ, s));
  if (g32(P_KIND, s) == KIND_STATIC) {
    for (let k = 0; k < 3; k++) for (let c = 0; c < 3; c++) sfr(b, 3 + 3 * k + c, k == c ? ONE : 0);
    return;
  }
  axesOf(s);
  for (let k = 0; k < 9; k++) sfr(b, 3 + k, load<i64>(axesBase() + (<usize>k << 3)));
}

// Axes of the last axesOf call (9 i64, component c of axis k at 3 k + c).
// @ts-ignore: decorator
@inline function axesBase(): usize { return P_BOX_SCRATCH + 256; }

/** Rotation matrix columns of body s's orientation (Q16) into axesBase(). */
function axesOf(s: i32): void {
  const x = g64(P_QX, s), y = g64(P_QY, s), z = g64(P_QZ, s), w = g64(P_QW, s);
  const xx = q16(x * x), yy = q16(y * y), zz = q16(z * z);
  const xy = q16(x * y), xz = q16(x * z), yz = q16(y * z), wx = q16(w * x), wy = q16(w * y), wz = q16(w * z);
  store<i64>(axesBase(), ONE - 2 * (yy + zz), 0); store<i64>(axesBase(), 2 * (xy + wz), 8); store<i64>(axesBase(), 2 * (xz - wy), 16);
  store<i64>(axesBase(), 2 * (xy - wz), 24); store<i64>(axesBase(), ONE - 2 * (xx + zz), 32); store<i64>(axesBase(), 2 * (yz + wx), 40);
  store<i64>(axesBase(), 2 * (xz + wy), 48); store<i64>(axesBase(), 2 * (yz - wx), 56); store<i64>(axesBase(), ONE - 2 * (xx + yy), 64);
}

/**
 * Loads the rotation matrix of rotating box s (its orientation's columns, Q16) for boxAxis:
 * the queries' oriented-box tests (query.ts). Uses the box scratch: not during a step.
 */
export function boxAxesOf(s: i32): void { axesOf(s); }

/** Component c of local axis k of the last boxAxesOf (Q16). */
// @ts-ignore: decorator
@inline export function boxAxis(k: i32, c: i32): i64 { return load<i64>(axesBase() + (<usize>(3 * k + c) << 3)); }

// Result of invInertiaMul (module globals, Q16; read by joints.ts too).
export let kX: i64 = 0, kY: i64 = 0, kZ: i64 = 0;

/** Body s's inertia frame (BOX_INERTIA: axis k's components at 3 k + c, then 1 / I_k at 9 + k). */
// @ts-ignore: decorator
@inline function inertiaAt(s: i32): usize { return P_BOX_INERTIA + <usize>s * 96; }

/**
 * Component c of local axis k (Q16) of participant box s's orientation for the tick being
 * solved (its inertia frame, boxInertiaBegin): valid from solveBegin to finishTick.
 */
// @ts-ignore: decorator
@inline export function boxTickAxis(s: i32, k: i32, c: i32): i64 { return load<i64>(inertiaAt(s) + (<usize>(3 * k + c) << 3)); }

/**
 * Writes rotating box s's inertia frame for the tick into BOX_INERTIA: the columns of its
 * orientation's rotation matrix (Q16) and its principal inverse inertias 1 / I_k =
 * 3 / (m (e_v^2 + e_w^2)) (solid cuboid, see the module comment; Q16 1/(kg m^2), 0 for an
 * infinite mass). Called by solver.ts solveBegin for every participant box: the orientation is
 * fixed until finishTick, so the products of the tick's contacts read it instead of rebuilding
 * the matrix (and dividing) at every use, with the same bits.
 */
export function boxInertiaBegin(s: i32): void {
  axesOf(s);
  const at = inertiaAt(s);
  memory.copy(at, axesBase(), 72);
  const im = g64(P_INV_MASS, s);
  if (g32(P_SHAPE, s) == SHAPE_ROTATING_CAPSULE) {
    // a rotating capsule's principal axes are its body axes too (capsule-contacts.ts)
    for (let k = 0; k < 3; k++) store<i64>(at + <usize>((9 + k) << 3), capsuleInvInertia(s, k));
    return;
  }
  const ex = g64(P_HX, s), ey = g64(P_HY, s), ez = g64(P_HZ, s);
  for (let k = 0; k < 3; k++) {
    const e1 = k == 0 ? ey : ex, e2 = k == 2 ? ey : ez;
    const d = q16(e1 * e1 + e2 * e2);                    // Q16 m^2
    store<i64>(at + <usize>((9 + k) << 3), d > 0 ? div(3 * im, d) : 0);
  }
}

/**
 * World inverse inertia of moving body s times (x, y, z) (Q16 in, Q16 out, into kX, kY, kZ):
 * a box's (or rotating capsule's) R diag(1 / I_k) R^T from its inertia frame of the tick (boxInertiaBegin), a
 * sphere's scalar 1 / I (INV_INERTIA), zero for rotation-locked capsules.
 */
export function invInertiaMul(s: i32, x: i64, y: i64, z: i64): void {
  if (!isRotatingShape(g32(P_SHAPE, s))) {
    const ii = g64(P_INV_INERTIA, s);
    kX = q16(x * ii); kY = q16(y * ii); kZ = q16(z * ii);
    return;
  }
  const at = inertiaAt(s);
  let ox: i64 = 0, oy: i64 = 0, oz: i64 = 0;
  for (let k = 0; k < 3; k++) {
    const a = at + <usize>(24 * k);
    const a0 = load<i64>(a), a1 = load<i64>(a, 8), a2 = load<i64>(a, 16);
    const l = q16(a0 * x + a1 * y + a2 * z) * load<i64>(at + <usize>((9 + k) << 3));   // Q32
    ox += q16(a0 * q16(l)); oy += q16(a1 * q16(l)); oz += q16(a2 * q16(l));
  }
  kX = ox; kY = oy; kZ = oz;
}

// ---- contact records ----

/**
 * Appends a box contact of the pair (i, j): normal (I -> J, Q16 unit), separation (raw m)
 * and the contact point (raw world coordinates), stored as I's lever arm. Flags overflow
 * instead when the contact list is full.
 */
export function putContact(i: i32, j: i32, flags: i32, nx: i64, ny: i64, nz: i64, sep: i64, px: i64, py: i64, pz: i64): void {
  const k = <i32>hdr(H_CONTACT_COUNT);
  if (<i64>k >= hdr(H_CONTACT_CAPACITY)) { setHdr(H_STATUS, hdr(H_STATUS) | STATUS_CONTACT_OVERFLOW); return; }
  const c = contactAt(k);
  store<i32>(c, i, C_I); store<i32>(c, j, C_J); store<i32>(c, flags | CF_BOX, C_FLAGS);
  store<i32>(c, <i32>nx, C_NX); store<i32>(c, <i32>ny, C_NY); store<i32>(c, <i32>nz, C_NZ);
  store<i64>(c, sep << 16, C_SEP0);
  memory.fill(c + <usize>C_SHARE_I, 0, <usize>(CONTACT_BYTES - C_SHARE_I));
  store<i32>(c, <i32>(px - g64(P_PX, i)), C_ARM_I);
  store<i32>(c, <i32>(py - g64(P_PY, i)), C_ARM_J);
  store<i32>(c, <i32>(pz - g64(P_PZ, i)), C_KT);
  setHdr(H_CONTACT_COUNT, k + 1);
}

/** I's lever arm of box contact c (raw m). */
/**
 * A box contact's free word (the high half of KT): against a static, 1 while the point slides
 * this substep; between moving bodies, the position pass's normal correction (Q32 kg m, capped
 * at 2^31 - 1) when static friction held the point, else 0 (the velocity pass's friction budget).
 */
// @ts-ignore: decorator
@inline const C_SLIDING: i32 = C_KT + 4;

// @ts-ignore: decorator
@inline function armX(c: usize): i64 { return <i64>load<i32>(c, C_ARM_I); }
// @ts-ignore: decorator
@inline function armY(c: usize): i64 { return <i64>load<i32>(c, C_ARM_J); }
// @ts-ignore: decorator
@inline function armZ(c: usize): i64 { return <i64>load<i32>(c, C_KT); }

/** True when the narrowphase of the pair (i, j) is this module's: a dynamic box (or a hull: hull.ts) is in it. */
export function isBoxPair(i: i32, j: i32): bool {
  return isHullPair(i, j) || (g32(P_SHAPE, i) == SHAPE_BOX && g32(P_KIND, i) != KIND_STATIC) || (g32(P_SHAPE, j) == SHAPE_BOX && g32(P_KIND, j) != KIND_STATIC);
}

/**
 * Narrowphase of a pair with a dynamic box (isBoxPair): appends up to 4 contact points
 * whose separation is below `limit` (raw m: the margin, plus both bodies' speculative reach
 * for two moving bodies). i has the lower tag (collide.ts); j may be static.
 */
export function boxCollide(i: i32, j: i32, limit: i64): void {
  const si = g32(P_SHAPE, i), sj = g32(P_SHAPE, j);
  const statJ = g32(P_KIND, j) == KIND_STATIC;
  const flags = statJ ? CF_J_STATIC : 0;
  if (isHullPair(i, j)) { hullCollide(i, j, flags, limit); return; }
  if (si == SHAPE_BOX && sj == SHAPE_PLANE) { boxPlane(i, j, limit); return; }
  if (si == SHAPE_BOX && sj == SHAPE_BOX) { boxBox(i, j, flags, limit); return; }
  if (si == SHAPE_BOX && (sj == SHAPE_SPHERE || sj == SHAPE_CAPSULE)) { boxSphere(i, j, true, flags, limit); return; }
  if (sj == SHAPE_BOX && (si == SHAPE_SPHERE || si == SHAPE_CAPSULE)) { boxSphere(j, i, false, flags, limit); return; }
  if (si == SHAPE_BOX && isGeometryShape(sj)) { boxTerrain(i, j, limit); return; }
}

// Separations of the 8 vertices of the box in boxTerrain (wasm globals: one set per instance).
let vs0: i64 = 0, vs1: i64 = 0, vs2: i64 = 0, vs3: i64 = 0, vs4: i64 = 0, vs5: i64 = 0, vs6: i64 = 0, vs7: i64 = 0;
function vsGet(q: i32): i64 {
  switch (q) { case 0: return vs0; case 1: return vs1; case 2: return vs2; case 3: return vs3; case 4: return vs4; case 5: return vs5; case 6: return vs6; default: return vs7; }
}
function vsSet(q: i32, v: i64): void {
  switch (q) { case 0: vs0 = v; break; case 1: vs1 = v; break; case 2: vs2 = v; break; case 3: vs3 = v; break; case 4: vs4 = v; break; case 5: vs5 = v; break; case 6: vs6 = v; break; default: vs7 = v; }
}
// The vertex of the last boxVertex call (raw world coordinates).
let bvX: i64 = 0, bvY: i64 = 0, bvZ: i64 = 0;
/** Vertex q (bits: signs along the box's axes 0, 1, 2) of the box in frame 0, into bvX..bvZ. */
function boxVertex(q: i32): void {
  const s0: i64 = q & 1 ? 1 : -1, s1: i64 = q & 2 ? 1 : -1, s2: i64 = q & 4 ? 1 : -1;
  const e0 = s0 * ext(0, 0), e1 = s1 * ext(0, 1), e2 = s2 * ext(0, 2);
  bvX = cen(0, 0) + q16(e0 * ax(0, 0, 0) + e1 * ax(0, 1, 0) + e2 * ax(0, 2, 0));
  bvY = cen(0, 1) + q16(e0 * ax(0, 0, 1) + e1 * ax(0, 1, 1) + e2 * ax(0, 2, 1));
  bvZ = cen(0, 2) + q16(e0 * ax(0, 0, 2) + e1 * ax(0, 1, 2) + e2 * ax(0, 2, 2));
}

/** Separation of vertex (bvX, bvY, bvZ) from static geometry j (terrain.ts, nearest triangle; its normal in tNX..tNZ), or `limit` when none is within it. */
function vertexSep(j: i32, limit: i64, depth: i64): i64 {
  if (terrainContacts(j, bvX, bvY, bvY, bvZ, 0, limit + depth) == 0) return limit;
  terrainContactAt(0);
  return tSep < limit ? tSep : limit;
}

/**
 * Box i against the static heightfield or mesh j (terrain.ts): each of the box's 8 vertices
 * as a point (terrainContacts with radius 0: the nearest triangle point within `limit`), and
 * of those within reach the 4 deepest (strictly deeper first, lower vertex index on ties)
 * become contact points, midway between the vertex and the surface, along the triangle's
 * normal. A vertex-only manifold: a ridge of the terrain poking into a box face between its
 * vertices is not seen (a known limit; ground and building meshes are flat at a crate's scale).
 */
function boxTerrain(i: i32, j: i32, limit: i64): void {
  // quick reject: the box's bounding sphere against the geometry's AABB
  const r = g64(P_RADIUS, i) + limit;
  if (absI(g64(P_PX, i) - g64(P_PX, j)) >= g64(P_HX, j) + r) return;
  if (absI(g64(P_PY, i) - g64(P_PY, j)) >= g64(P_HY, j) + r) return;
  if (absI(g64(P_PZ, i) - g64(P_PZ, j)) >= g64(P_HZ, j) + r) return;
  loadFrame(0, i);
  // a vertex is looked for down to the box's least half extent below the surface: one that
  // went deeper than the margin within a tick (a crate landing at 9 m/s moves 15 cm in a
  // 60 Hz tick) still finds its triangle, instead of falling through
  const depth = minI(g64(P_HX, i), minI(g64(P_HY, i), g64(P_HZ, i)));
  for (let q = 0; q < 8; q++) {
    boxVertex(q);
    vsSet(q, vertexSep(j, limit, depth));
  }
  let taken = 0;
  for (let n = 0; n < 4; n++) {
    let best = -1, bestSep = limit;
    for (let q = 0; q < 8; q++) {
      if (taken & (1 << q)) continue;
      const sq = vsGet(q);
      if (sq < bestSep) { bestSep = sq; best = q; }
    }
    if (best < 0) return;
    taken |= 1 << best;
    boxVertex(best);
    const sep = vertexSep(j, limit, depth), h = sep >> 1;
    putContact(i, j, CF_J_STATIC, tNX, tNY, tNZ, sep, bvX + q16(tNX * h), bvY + q16(tNY * h), bvZ + q16(tNZ * h));
  }
}

/** Box i against the static plane j (n . x = d): the face turned most towards the plane, its vertices within reach. */
function boxPlane(i: i32, j: i32, limit: i64): void {
  const nx = g64(P_HX, j), ny = g64(P_HY, j), nz = g64(P_HZ, j), d = g64(P_RADIUS, j);
  // quick reject on the bounding sphere
  const cd = q16(nx * g64(P_PX, i) + ny * g64(P_PY, i) + nz * g64(P_PZ, i)) - d;
  if (cd - g64(P_RADIUS, i) >= limit) return;
  loadFrame(0, i);
  let best = -1, bestDot: i64 = -1, sk: i64 = 0;
  for (let k = 0; k < 3; k++) {
    const dt = q16(nx * ax(0, k, 0) + ny * ax(0, k, 1) + nz * ax(0, k, 2));
    if (absI(dt) > bestDot) { bestDot = absI(dt); best = k; sk = dt >= 0 ? -1 : 1; }
  }
  const u = best == 0 ? 1 : 0, v = best == 2 ? 1 : 2;
  for (let q = 0; q < 4; q++) {
    const su: i64 = q == 0 || q == 3 ? 1 : -1, sv: i64 = q < 2 ? 1 : -1;
    let vx = cen(0, 0), vy = cen(0, 1), vz = cen(0, 2);
    const fk = sk * ext(0, best), fu = su * ext(0, u), fv = sv * ext(0, v);
    vx += q16(fk * ax(0, best, 0) + fu * ax(0, u, 0) + fv * ax(0, v, 0));
    vy += q16(fk * ax(0, best, 1) + fu * ax(0, u, 1) + fv * ax(0, v, 1));
    vz += q16(fk * ax(0, best, 2) + fu * ax(0, u, 2) + fv * ax(0, v, 2));
    const dist = q16(nx * vx + ny * vy + nz * vz) - d;
    if (dist >= limit) continue;
    const h = dist >> 1;
    putContact(i, j, CF_J_STATIC, -nx, -ny, -nz, dist, vx - q16(nx * h), vy - q16(ny * h), vz - q16(nz * h));
  }
}

/**
 * Box (or upright capsule / sphere) `s` against box b: the closest point of the box to the
 * sphere centre (for a capsule, the point of its core segment level with the box centre,
 * clamped to the segment), one contact. bIsI: the box is I of the pair.
 */
function boxSphere(b: i32, s: i32, bIsI: bool, flags: i32, limit: i64): void {
  const r = g64(P_RADIUS, s);
  const sx = g64(P_PX, s), sz = g64(P_PZ, s);
  let sy = g64(P_PY, s);
  if (g32(P_SHAPE, s) == SHAPE_CAPSULE) sy = clampI(g64(P_PY, b), sy - g64(P_HY, s), sy + g64(P_HY, s));
  const dx = sx - g64(P_PX, b), dy = sy - g64(P_PY, b), dz = sz - g64(P_PZ, b);
  const reach = g64(P_RADIUS, b) + r + limit;
  if (absI(dx) >= reach || absI(dy) >= reach || absI(dz) >= reach) return;
  loadFrame(0, b);
  let qx = cen(0, 0), qy = cen(0, 1), qz = cen(0, 2);
  let inside = true, bestPen: i64 = i64.MAX_VALUE, bestK = 0, bestS: i64 = 1;
  for (let k = 0; k < 3; k++) {
    const l = q16(dx * ax(0, k, 0) + dy * ax(0, k, 1) + dz * ax(0, k, 2));
    const e = ext(0, k);
    const cl = clampI(l, -e, e);
    if (l <= -e || l >= e) inside = false;
    const pen = e - absI(l);
    if (pen < bestPen) { bestPen = pen; bestK = k; bestS = sgn(l); }
    qx += q16(cl * ax(0, k, 0)); qy += q16(cl * ax(0, k, 1)); qz += q16(cl * ax(0, k, 2));
  }
  let nx: i64, ny: i64, nz: i64, sep: i64;          // n: box -> sphere
  const vx = sx - qx, vy = sy - qy, vz = sz - qz;
  const dist = inside ? 0 : sqrtI(vx * vx + vy * vy + vz * vz);
  if (dist == 0) {
    nx = bestS * ax(0, bestK, 0); ny = bestS * ax(0, bestK, 1); nz = bestS * ax(0, bestK, 2);
    sep = -bestPen - r;
    qx = sx + q16(nx * bestPen); qy = sy + q16(ny * bestPen); qz = sz + q16(nz * bestPen);
  } else {
    sep = dist - r;
    if (sep >= limit) return;
    nx = div(vx, dist); ny = div(vy, dist); nz = div(vz, dist);
  }
  if (sep >= limit) return;
  // midway between the box point q and the sphere's surface point q + sep n
  const px = qx + q16(nx * (sep >> 1)), py = qy + q16(ny * (sep >> 1)), pz = qz + q16(nz * (sep >> 1));
  if (bIsI) putContact(b, s, flags, nx, ny, nz, sep, px, py, pz);
  else putContact(s, b, flags, -nx, -ny, -nz, sep, px, py, pz);
}

// Clipping buffers: up to 8 points (3 i64 each) per buffer, plus their depths.
// @ts-ignore: decorator
@inline function clipA(): usize { return P_BOX_SCRATCH + 384; }
// @ts-ignore: decorator
@inline function clipB(): usize { return P_BOX_SCRATCH + 768; }
// @ts-ignore: decorator
@inline function depthBase(): usize { return P_BOX_SCRATCH + 1152; }
// @ts-ignore: decorator
@inline function keepBase(): usize { return P_BOX_SCRATCH + 1280; }
// @ts-ignore: decorator
@inline function pt(buf: usize, n: i32, c: i32): i64 { return load<i64>(buf + ((<usize>(3 * n + c)) << 3)); }
// @ts-ignore: decorator
@inline function spt(buf: usize, n: i32, c: i32, v: i64): void { store<i64>(buf + ((<usize>(3 * n + c)) << 3), v); }

/** a_k . b_m of the loaded frames (Q16): entry (k, m) of R = A^T B. */
// @ts-ignore: decorator
@inline function rAB(k: i32, m: i32): i64 { return q16(ax(0, k, 0) * ax(1, m, 0) + ax(0, k, 1) * ax(1, m, 1) + ax(0, k, 2) * ax(1, m, 2)); }

// R = A^T B of the pair in boxBox (R_km at 3 k + m), |R| (at 9 + 3 k + m), Q16, and t = A^T d
// (at 24 + k, raw m): past hull.ts's candidates (which end at 3584 of BOX_SCRATCH's 4096 bytes).
// @ts-ignore: decorator
@inline function satBase(): usize { return P_BOX_SCRATCH + 3584; }
// @ts-ignore: decorator
@inline function rr(k: i32, m: i32): i64 { return load<i64>(satBase() + (<usize>(3 * k + m) << 3)); }
// @ts-ignore: decorator
@inline function ra(k: i32, m: i32): i64 { return load<i64>(satBase() + (<usize>(9 + 3 * k + m) << 3)); }

/**
 * Box i (frame 0, A) against box j (frame 1, B; static axis-aligned or dynamic): separating
 * axis test, then an edge-edge point or a clipped face manifold (see the module comment).
 *
 * The 15 axes are tested in A's frame, as in Gottschalk, Lin and Manocha, "OBBTree" (SIGGRAPH
 * 1996) and Ericson, "Real-Time Collision Detection" 4.4.1: R = A^T B (R_km = a_k . b_m),
 * t = A^T d; A's face k separates by |t_k| - eA_k - sum_m eB_m |R_km|, B's face m by
 * |d . b_m| - eB_m - sum_k eA_k |R_km|, the edge axis a_k x b_m (k1, k2 and m1, m2 the other
 * two indices in cyclic order) by (|t_k2 R_k1m - t_k1 R_k2m| - eA_k1 |R_k2m| - eA_k2 |R_k1m|
 * - eB_m1 |R_km2| - eB_m2 |R_km1|) / |a_k x b_m|, |a_k x b_m| = sqrt(R_k1m^2 + R_k2m^2); axes
 * nearly parallel (length below PARALLEL) are skipped. A's own axes count as orthonormal
 * (their Q16 rounding moves a separation by well under a raw unit).
 */
function boxBox(i: i32, j: i32, flags: i32, limit: i64): void {
  const dx = g64(P_PX, j) - g64(P_PX, i), dy = g64(P_PY, j) - g64(P_PY, i), dz = g64(P_PZ, j) - g64(P_PZ, i);
  if (g32(P_KIND, j) == KIND_STATIC) {
    // static boxes keep RADIUS 0: reject on the axis-aligned extents plus i's bounding sphere
    const r = g64(P_RADIUS, i) + limit;
    if (absI(dx) >= g64(P_HX, j) + r || absI(dy) >= g64(P_HY, j) + r || absI(dz) >= g64(P_HZ, j) + r) return;
  } else {
    const r = g64(P_RADIUS, i) + g64(P_RADIUS, j) + limit;
    if (dx * dx + dy * dy + dz * dz >= r * r) return;
  }
  loadFrame(0, i); loadFrame(1, j);
  const R = satBase();
  // face axes of A, each with its row of R
  let sA: i64 = i64.MIN_VALUE, kA = 0, gA: i64 = 1;
  for (let k = 0; k < 3; k++) {
    const t = q16(dx * ax(0, k, 0) + dy * ax(0, k, 1) + dz * ax(0, k, 2));
    store<i64>(R + (<usize>(24 + k) << 3), t);
    let s = absI(t) - ext(0, k);
    for (let m = 0; m < 3; m++) {
      const r = rAB(k, m), a = absI(r);
      store<i64>(R + (<usize>(3 * k + m) << 3), r); store<i64>(R + (<usize>(9 + 3 * k + m) << 3), a);
      s -= q16(ext(1, m) * a);
    }
    if (s >= limit) return;
    if (s > sA) { sA = s; kA = k; gA = t < 0 ? -1 : 1; }
  }
  // face axes of B
  let sB: i64 = i64.MIN_VALUE, kB = 0, gB: i64 = 1;
  for (let m = 0; m < 3; m++) {
    const u = q16(dx * ax(1, m, 0) + dy * ax(1, m, 1) + dz * ax(1, m, 2));
    let s = absI(u) - ext(1, m);
    for (let k = 0; k < 3; k++) s -= q16(ext(0, k) * ra(k, m));
    if (s >= limit) return;
    if (s > sB) { sB = s; kB = m; gB = u < 0 ? -1 : 1; }
  }
  // edge axes a_k x b_m
  let sE: i64 = i64.MIN_VALUE, eK = -1, eM = -1, eSign: i64 = 1;
  for (let k = 0; k < 3; k++) {
    const k1 = k == 2 ? 0 : k + 1, k2 = k == 0 ? 2 : k - 1;
    const t1 = load<i64>(R + (<usize>(24 + k1) << 3)), t2 = load<i64>(R + (<usize>(24 + k2) << 3));
    for (let m = 0; m < 3; m++) {
      const m1 = m == 2 ? 0 : m + 1, m2 = m == 0 ? 2 : m - 1;
      const r1 = rr(k1, m), r2 = rr(k2, m);
      const len = sqrtI(r1 * r1 + r2 * r2);
      if (len < PARALLEL) continue;
      const proj = q16(t2 * r1 - t1 * r2);
      const su = absI(proj) - q16(ext(0, k1) * ra(k2, m) + ext(0, k2) * ra(k1, m)) - q16(ext(1, m1) * ra(k, m2) + ext(1, m2) * ra(k, m1));
      const s = div(su, len);
      if (s >= limit) return;
      if (s > sE) { sE = s; eK = k; eM = m; eSign = proj < 0 ? -1 : 1; }
    }
  }
  const faceBest = sA > sB ? sA : sB;
  if (eK >= 0 && sE > faceBest + EDGE_BIAS) {
    // the chosen edge axis in world coordinates, unit, from A towards B
    const cx = q16(ax(0, eK, 1) * ax(1, eM, 2) - ax(0, eK, 2) * ax(1, eM, 1));
    const cy = q16(ax(0, eK, 2) * ax(1, eM, 0) - ax(0, eK, 0) * ax(1, eM, 2));
    const cz = q16(ax(0, eK, 0) * ax(1, eM, 1) - ax(0, eK, 1) * ax(1, eM, 0));
    const len = sqrtI(cx * cx + cy * cy + cz * cz);
    if (len > 0) {
      edgeContact(i, j, flags, eK, eM, div(cx, len) * eSign, div(cy, len) * eSign, div(cz, len) * eSign, limit);
      return;
    }
  }
  if (sB > sA + FACE_BIAS) faceContact(i, j, flags, 1, kB, -gB, limit);
  else faceContact(i, j, flags, 0, kA, gA, limit);
}

/**
 * One point between the edge of A along axis k and the edge of B along axis m that support
 * the pair along the unit axis L (A -> B): closest points of the two segments.
 */
function edgeContact(i: i32, j: i32, flags: i32, k: i32, m: i32, lx: i64, ly: i64, lz: i64, limit: i64): void {
  // supporting edges: centre of A's edge towards +L, of B's towards -L
  let ax0 = cen(0, 0), ay0 = cen(0, 1), az0 = cen(0, 2);
  let bx0 = cen(1, 0), by0 = cen(1, 1), bz0 = cen(1, 2);
  for (let q = 0; q < 3; q++) {
    if (q != k) {
      const s = sgn(q16(lx * ax(0, q, 0) + ly * ax(0, q, 1) + lz * ax(0, q, 2))) * ext(0, q);
      ax0 += q16(s * ax(0, q, 0)); ay0 += q16(s * ax(0, q, 1)); az0 += q16(s * ax(0, q, 2));
    }
    if (q != m) {
      const s = -sgn(q16(lx * ax(1, q, 0) + ly * ax(1, q, 1) + lz * ax(1, q, 2))) * ext(1, q);
      bx0 += q16(s * ax(1, q, 0)); by0 += q16(s * ax(1, q, 1)); bz0 += q16(s * ax(1, q, 2));
    }
  }
  const ux = ax(0, k, 0), uy = ax(0, k, 1), uz = ax(0, k, 2);
  const vx = ax(1, m, 0), vy = ax(1, m, 1), vz = ax(1, m, 2);
  const rx = ax0 - bx0, ry = ay0 - by0, rz = az0 - bz0;
  const b = q16(ux * vx + uy * vy + uz * vz), c = q16(ux * rx + uy * ry + uz * rz), f = q16(vx * rx + vy * ry + vz * rz);
  const den = ONE - q16(b * b);
  const ea = ext(0, k), eb = ext(1, m);
  let s: i64 = den > 0 ? clampI(div(q16(b * f) - c, den), -ea, ea) : 0;
  const t = clampI(q16(b * s) + f, -eb, eb);
  s = clampI(q16(b * t) - c, -ea, ea);
  const pax = ax0 + q16(s * ux), pay = ay0 + q16(s * uy), paz = az0 + q16(s * uz);
  const pbx = bx0 + q16(t * vx), pby = by0 + q16(t * vy), pbz = bz0 + q16(t * vz);
  const sep = q16(lx * (pbx - pax) + ly * (pby - pay) + lz * (pbz - paz));
  if (sep >= limit) return;
  putContact(i, j, flags, lx, ly, lz, sep, (pax + pbx) >> 1, (pay + pby) >> 1, (paz + pbz) >> 1);
}

/**
 * Face manifold: reference face of frame `rf` along its axis k, outward sign g (the face
 * that points towards the other box), the other box's incident face clipped against the
 * reference face's side planes; the clipped points within reach, reduced to 4.
 */
function faceContact(i: i32, j: i32, flags: i32, rf: i32, k: i32, g: i64, limit: i64): void {
  const inc = 1 - rf;
  const nx = g * ax(rf, k, 0), ny = g * ax(rf, k, 1), nz = g * ax(rf, k, 2);   // reference normal, towards the incident box
  // incident face: the face of `inc` most anti-parallel to n
  let m = 0, best: i64 = -1, sm: i64 = 1;
  for (let q = 0; q < 3; q++) {
    const dt = q16(nx * ax(inc, q, 0) + ny * ax(inc, q, 1) + nz * ax(inc, q, 2));
    if (absI(dt) > best) { best = absI(dt); m = q; sm = dt > 0 ? -1 : 1; }
  }
  const u = m == 0 ? 1 : 0, v = m == 2 ? 1 : 2;
  for (let q = 0; q < 4; q++) {
    const su: i64 = q == 0 || q == 3 ? 1 : -1, sv: i64 = q < 2 ? 1 : -1;
    const fk = sm * ext(inc, m), fu = su * ext(inc, u), fv = sv * ext(inc, v);
    for (let c = 0; c < 3; c++) {
      spt(clipA(), q, c, cen(inc, c) + q16(fk * ax(inc, m, c) + fu * ax(inc, u, c) + fv * ax(inc, v, c)));
    }
  }
  // clip against the 4 side planes of the reference face: +-axis w, offset e_w around the centre
  let n = 4, src = clipA(), dst = clipB();
  for (let p = 0; p < 4 && n > 0; p++) {
    const w = (k + 1 + (p >> 1)) % 3;
    const s: i64 = (p & 1) == 0 ? 1 : -1;
    const px = s * ax(rf, w, 0), py = s * ax(rf, w, 1), pz = s * ax(rf, w, 2);
    const off = q16(px * cen(rf, 0) + py * cen(rf, 1) + pz * cen(rf, 2)) + ext(rf, w);
    let out = 0;
    for (let a = 0; a < n; a++) {
      const b = a + 1 == n ? 0 : a + 1;
      const da = q16(px * pt(src, a, 0) + py * pt(src, a, 1) + pz * pt(src, a, 2)) - off;
      const db = q16(px * pt(src, b, 0) + py * pt(src, b, 1) + pz * pt(src, b, 2)) - off;
      if (da <= 0 && out < 16) { for (let c = 0; c < 3; c++) spt(dst, out, c, pt(src, a, c)); out++; }
      if (((da < 0 && db > 0) || (da > 0 && db < 0)) && out < 16) {
        const t = div(da, da - db);
        for (let c = 0; c < 3; c++) spt(dst, out, c, pt(src, a, c) + q16((pt(src, b, c) - pt(src, a, c)) * t));
        out++;
      }
    }
    n = out;
    const tmp = src; src = dst; dst = tmp;
  }
  // depths below the reference face; keep those within reach
  const face = q16(nx * cen(rf, 0) + ny * cen(rf, 1) + nz * cen(rf, 2)) + ext(rf, k);
  let kept = 0;
  for (let a = 0; a < n; a++) {
    const d = q16(nx * pt(src, a, 0) + ny * pt(src, a, 1) + nz * pt(src, a, 2)) - face;
    if (d >= limit) continue;
    for (let c = 0; c < 3; c++) spt(dst, kept, c, pt(src, a, c));
    store<i64>(depthBase() + (<usize>kept << 3), d);
    kept++;
  }
  if (kept == 0) return;
  reduce(dst, kept, nx, ny, nz);
  // normal I -> J: the reference normal points from the reference box to the incident one
  const fl: i64 = rf == 0 ? 1 : -1;
  for (let a = 0; a < 4; a++) {
    const idx = load<i32>(keepBase() + (<usize>a << 2));
    if (idx < 0) continue;
    const d = load<i64>(depthBase() + (<usize>idx << 3));
    const h = d >> 1;
    // incident point moved half the depth back towards the reference face
    putContact(i, j, flags, fl * nx, fl * ny, fl * nz, d,
      pt(dst, idx, 0) - q16(nx * h), pt(dst, idx, 1) - q16(ny * h), pt(dst, idx, 2) - q16(nz * h));
  }
}

/** Signed area (times 2, along n, raw m^2 >> 16) of the triangle a, b, c of buffer buf. */
function area(buf: usize, a: i32, b: i32, c: i32, nx: i64, ny: i64, nz: i64): i64 {
  const ux = pt(buf, b, 0) - pt(buf, a, 0), uy = pt(buf, b, 1) - pt(buf, a, 1), uz = pt(buf, b, 2) - pt(buf, a, 2);
  const vx = pt(buf, c, 0) - pt(buf, a, 0), vy = pt(buf, c, 1) - pt(buf, a, 1), vz = pt(buf, c, 2) - pt(buf, a, 2);
  const cx = q16(uy * vz - uz * vy), cy = q16(uz * vx - ux * vz), cz = q16(ux * vy - uy * vx);
  return q16(cx * nx + cy * ny + cz * nz);
}

/**
 * Chooses at most 4 of the n points into keepBase() (indices, -1 = none): the deepest, the one
 * farthest from it, the one making the largest triangle with both, and the one adding the
 * largest area on the other side (Gregorius 2015). Points within SAME_POINT of a chosen one
 * are never chosen again; ties keep the lower index.
 */
function reduce(buf: usize, n: i32, nx: i64, ny: i64, nz: i64): void {
  for (let a = 0; a < 4; a++) store<i32>(keepBase() + (<usize>a << 2), -1);
  let p0 = 0;
  for (let a = 1; a < n; a++) if (load<i64>(depthBase() + (<usize>a << 3)) < load<i64>(depthBase() + (<usize>p0 << 3))) p0 = a;
  store<i32>(keepBase(), p0);
  if (n == 1) return;
  let p1 = -1, bd: i64 = SAME_POINT * SAME_POINT;
  for (let a = 0; a < n; a++) {
    const ddx = pt(buf, a, 0) - pt(buf, p0, 0), ddy = pt(buf, a, 1) - pt(buf, p0, 1), ddz = pt(buf, a, 2) - pt(buf, p0, 2);
    const d2 = ddx * ddx + ddy * ddy + ddz * ddz;
    if (d2 > bd) { bd = d2; p1 = a; }
  }
  if (p1 < 0) return;
  store<i32>(keepBase() + 4, p1);
  let p2 = -1, best: i64 = 0;
  for (let a = 0; a < n; a++) {
    const ar = absI(area(buf, p0, p1, a, nx, ny, nz));
    if (ar > best) { best = ar; p2 = a; }
  }
  if (p2 < 0 || best <= SAME_POINT) return;
  store<i32>(keepBase() + 8, p2);
  // the fourth point: on the other side of the p0-p1 edge from p2, the largest area
  const side = area(buf, p0, p1, p2, nx, ny, nz) > 0 ? -1 : 1;
  let p3 = -1; best = 0;
  for (let a = 0; a < n; a++) {
    const ar = area(buf, p0, p1, a, nx, ny, nz) * side;
    if (ar > best) { best = ar; p3 = a; }
  }
  if (p3 >= 0 && best > SAME_POINT) store<i32>(keepBase() + 12, p3);
}

// ---- solver steps ----

// @ts-ignore: decorator
@inline function movesS(i: i32): bool { return load<i32>(st(i) + <usize>S_MOVES) != 0; }

// Per-substep values of the tick (set by boxTickConstants).
let invH: i64 = 0, hQ24: i64 = 0, pushQ32: i64 = 0, thresholdQ32: i64 = 0;

/** Loads the tick's constants (1 / h, h, MAX_PUSH, restitution threshold) from the bound world. */
export function boxTickConstants(): void {
  invH = hdr(H_INV_H);
  hQ24 = ((<i64>1 << 24) + (invH >> 1)) / invH;
  pushQ32 = hdr(H_MAX_PUSH) << 16;
  thresholdQ32 = hdr(H_RESTITUTION_THRESHOLD) << 16;
}

// @ts-ignore: decorator
@inline function timesH(v: i64): i64 { return (v * hQ24 + 0x800000) >> 24; }

// Lever arm and point displacement of the last pointMotion call.
let rX: i64 = 0, rY: i64 = 0, rZ: i64 = 0;      // raw m (Q16)
let mX: i64 = 0, mY: i64 = 0, mZ: i64 = 0;      // Q32 m

/**
 * Lever arm of body b in contact c (I's stored arm, or J's: I's plus I's centre minus J's,
 * both at the tick start) and the displacement of b's contact point since the tick start,
 * D + theta x r (Q32).
 */
function pointMotion(c: usize, b: i32, isI: bool): void {
  rX = armX(c); rY = armY(c); rZ = armZ(c);
  if (!isI) {
    const i = load<i32>(c, C_I);
    rX += g64(P_X0X, i) - g64(P_X0X, b); rY += g64(P_X0Y, i) - g64(P_X0Y, b); rZ += g64(P_X0Z, i) - g64(P_X0Z, b);
  }
  const tx = lst(b, S_RX), ty = lst(b, S_RY), tz = lst(b, S_RZ);
  mX = lst(b, S_DX) + q16(ty * rZ - tz * rY);
  mY = lst(b, S_DY) + q16(tz * rX - tx * rZ);
  mZ = lst(b, S_DZ) + q16(tx * rY - ty * rX);
}

// Generalized inverse mass of the last wDir call (Q16) and the angular response I^-1 (r x u) (Q16; read by joints.ts too).
export let wOut: i64 = 0, aX: i64 = 0, aY: i64 = 0, aZ: i64 = 0;

/** w = 1/m + (r x u) . I^-1 (r x u) of moving body b with arm (rx, ry, rz) along unit u (Q16), I^-1 (r x u) into aX.. (joints.ts uses it too). */
export function wDir(b: i32, rx: i64, ry: i64, rz: i64, ux: i64, uy: i64, uz: i64): void {
  const cx = q16(ry * uz - rz * uy), cy = q16(rz * ux - rx * uz), cz = q16(rx * uy - ry * ux);
  invInertiaMul(b, cx, cy, cz);
  aX = kX; aY = kY; aZ = kZ;
  wOut = g64(P_INV_MASS, b) + q16(cx * kX + cy * kY + cz * kZ);
}

// @ts-ignore: decorator
@inline function addA(i: i32, x: i64, y: i64, z: i64): void {
  sst(i, S_AX, lst(i, S_AX) + x); sst(i, S_AY, lst(i, S_AY) + y); sst(i, S_AZ, lst(i, S_AZ) + z);
}
// @ts-ignore: decorator
@inline function addT(i: i32, x: i64, y: i64, z: i64): void {
  sst(i, S_TX, lst(i, S_TX) + x); sst(i, S_TY, lst(i, S_TY) + y); sst(i, S_TZ, lst(i, S_TZ) + z);
}

/** Length (Q32) of a Q32 vector (computed at Q24 so the squares fit up to ~100 m). */
// @ts-ignore: decorator
@inline function len32(x: i64, y: i64, z: i64): i64 {
  const a = x >> 8, b = y >> 8, c = z >> 8;
  return sqrtI(a * a + b * b + c * c) << 8;
}

/** Contact c's normal responses (BOX_NORMAL record: w at 0, I's I^-1 (r x n) at 8, J's at 32). */
// @ts-ignore: decorator
@inline function normalAt(c: usize): usize { return P_BOX_NORMAL + ((c - P_CONTACTS) >> 6 << 6); }

/**
 * Fills BOX_NORMAL for the tick's rotating-box contacts: between two bodies (CF_BOX without
 * CF_J_STATIC), w = w_i + w_j along the normal and each moving body's I^-1 (r x n); for a
 * static point of a moving box (CF_BOX | CF_J_STATIC), the box's own w and I^-1 (r x n). The
 * same values the passes' wDir calls would compute (same bits: the arms, the normal, the
 * tick-start centres and the inertia frames are fixed for the tick). Called by solver.ts
 * solveBegin after the participants' tick start and boxInertiaBegin.
 */
export function boxPrepareNormals(count: i32): void {
  for (let k = 0; k < count; k++) {
    const c = contactAt(k);
    const kind = load<i32>(c, C_FLAGS) & (CF_BOX | CF_J_STATIC);
    if ((kind & CF_BOX) == 0) continue;
    const i = load<i32>(c, C_I), j = load<i32>(c, C_J);
    const nx = <i64>load<i32>(c, C_NX), ny = <i64>load<i32>(c, C_NY), nz = <i64>load<i32>(c, C_NZ);
    const at = normalAt(c);
    if (kind != CF_BOX) {
      // a static point of moving box i: its own w and I^-1 (r x n), read by the box's position
      // and velocity projections (boxApplyPositionsBody, projectVelocities) instead of the
      // 10 wDir calls a substep made per point (same arm, normal and frame: same bits)
      if (!movesS(i)) continue;
      wDir(i, armX(c), armY(c), armZ(c), nx, ny, nz);
      store<i64>(at, wOut); store<i64>(at, aX, 8); store<i64>(at, aY, 16); store<i64>(at, aZ, 24);
      continue;
    }
    memory.fill(at, 0, 64);
    let w: i64 = 0;
    if (movesS(i)) {
      wDir(i, armX(c), armY(c), armZ(c), nx, ny, nz); w += wOut;
      store<i64>(at, aX, 8); store<i64>(at, aY, 16); store<i64>(at, aZ, 24);
    }
    if ((load<i32>(c, C_FLAGS) & CF_J_MOVES) != 0) {
      pointMotion(c, j, false);
      wDir(j, rX, rY, rZ, nx, ny, nz); w += wOut;
      store<i64>(at, aX, 32); store<i64>(at, aY, 40); store<i64>(at, aZ, 48);
    }
    store<i64>(at, w);
  }
}

/**
 * Jacobi position step of box contact c between two bodies of which at least one moves
 * (called by solver.ts positionPass for CF_BOX contacts without CF_J_STATIC): the normal
 * correction (this substep's approach fully, older overlap at most MAX_PUSH h, as every
 * contact) and friction, both with lever arms, into the bodies' accumulators.
 */
export function boxPairPosition(c: usize): void {
  const i = load<i32>(c, C_I), j = load<i32>(c, C_J);
  let flags = load<i32>(c, C_FLAGS);
  const nx = <i64>load<i32>(c, C_NX), ny = <i64>load<i32>(c, C_NY), nz = <i64>load<i32>(c, C_NZ);
  pointMotion(c, i, true);
  const rix = rX, riy = rY, riz = rZ, dix = mX, diy = mY, diz = mZ;
  pointMotion(c, j, false);
  const rjx = rX, rjy = rY, rjz = rZ;
  const dpx = dix - mX, dpy = diy - mY, dpz = diz - mZ;  // I's point relative to J's, since the tick start
  const sep = load<i64>(c, C_SEP0) - q16(nx * dpx + ny * dpy + nz * dpz);
  flags = (flags & ~CF_WAS_ACTIVE) | ((flags & CF_ACTIVE) != 0 ? CF_WAS_ACTIVE : 0);
  store<i32>(c, 0, C_SLIDING);
  if (sep >= 0) { store<i32>(c, flags & ~CF_ACTIVE, C_FLAGS); return; }
  store<i32>(c, flags | CF_ACTIVE | CF_TOUCHED, C_FLAGS);
  const iMoves = movesS(i), jMoves = (flags & CF_J_MOVES) != 0;
  if (!iMoves && !jMoves) return;
  // normal velocity of the points before the correction (the velocity pass's reference)
  const vpre = pointVelocityN(i, rix, riy, riz, j, rjx, rjy, rjz, nx, ny, nz);
  store<i32>(c, <i32>(vpre >> 16), C_VN_PRE);
  const allowed = timesH((vpre < 0 ? -vpre : 0) + pushQ32);
  const corr = -sep < allowed ? -sep : allowed;
  // normal: lambda = corr / (w_i + w_j), responses from the tick's BOX_NORMAL (boxPrepareNormals)
  const nr = normalAt(c);
  const w = load<i64>(nr);
  if (w <= 0) return;
  const kix = load<i64>(nr, 8), kiy = load<i64>(nr, 16), kiz = load<i64>(nr, 24);
  const kjx = load<i64>(nr, 32), kjy = load<i64>(nr, 40), kjz = load<i64>(nr, 48);
  const lam = (corr << 16) / w;                          // Q32 kg m
  // the pair velocity step's friction budget: this correction (0 if the point slides, below)
  store<i32>(c, <i32>(lam < 0x7FFFFFFF ? lam : 0x7FFFFFFF), C_SLIDING);
  let aix: i64 = 0, aiy: i64 = 0, aiz: i64 = 0, tix: i64 = 0, tiy: i64 = 0, tiz: i64 = 0;
  let ajx: i64 = 0, ajy: i64 = 0, ajz: i64 = 0, tjx: i64 = 0, tjy: i64 = 0, tjz: i64 = 0;
  if (iMoves) {
    const l = q16(lam * g64(P_INV_MASS, i));
    aix = -q16(l * nx); aiy = -q16(l * ny); aiz = -q16(l * nz);
    tix = -q16(lam * kix); tiy = -q16(lam * kiy); tiz = -q16(lam * kiz);
  }
  if (jMoves) {
    const l = q16(lam * g64(P_INV_MASS, j));
    ajx = q16(l * nx); ajy = q16(l * ny); ajz = q16(l * nz);
    tjx = q16(lam * kjx); tjy = q16(lam * kjy); tjz = q16(lam * kjz);
  }
  // friction: tangential motion of I's point relative to J's since the tick start
  const mu = <i64>load<i32>(c, C_MU);
  if (mu > 0) {
    const dn = q16(dpx * nx + dpy * ny + dpz * nz);
    const tx = dpx - q16(dn * nx), ty = dpy - q16(dn * ny), tz = dpz - q16(dn * nz);
    const tl = len32(tx, ty, tz);
    if (tl > 0) {
      const ux = (tx << 16) / tl, uy = (ty << 16) / tl, uz = (tz << 16) / tl;
      let wt: i64 = 0, fix: i64 = 0, fiy: i64 = 0, fiz: i64 = 0, fjx: i64 = 0, fjy: i64 = 0, fjz: i64 = 0;
      if (iMoves) { wDir(i, rix, riy, riz, ux, uy, uz); wt += wOut; fix = aX; fiy = aY; fiz = aZ; }
      if (jMoves) { wDir(j, rjx, rjy, rjz, ux, uy, uz); wt += wOut; fjx = aX; fjy = aY; fjz = aZ; }
      if (wt > 0) {
        let lt = (tl << 16) / wt;
        const lim = q16(lam * mu);
        if (lt > lim) { lt = lim; store<i32>(c, 0, C_SLIDING); }   // kinetic: at most mu times the normal correction
        if (iMoves) {
          const l = q16(lt * g64(P_INV_MASS, i));
          aix -= q16(l * ux); aiy -= q16(l * uy); aiz -= q16(l * uz);
          tix -= q16(lt * fix); tiy -= q16(lt * fiy); tiz -= q16(lt * fiz);
        }
        if (jMoves) {
          const l = q16(lt * g64(P_INV_MASS, j));
          ajx += q16(l * ux); ajy += q16(l * uy); ajz += q16(l * uz);
          tjx += q16(lt * fjx); tjy += q16(lt * fjy); tjz += q16(lt * fjz);
        }
      }
    }
  }
  const cnt = 1;
  if (iMoves) { addA(i, aix, aiy, aiz); addT(i, tix, tiy, tiz); store<i32>(st(i) + <usize>S_CNT, load<i32>(st(i) + <usize>S_CNT) + cnt); }
  if (jMoves) { addA(j, ajx, ajy, ajz); addT(j, tjx, tjy, tjz); store<i32>(st(j) + <usize>S_CNT, load<i32>(st(j) + <usize>S_CNT) + cnt); }
}

/**
 * Relative normal velocity (Q32 m/s, > 0 separating) of J's contact point (arm rj) and I's
 * (arm ri): n . ((u_j + w_j x r_j) - (u_i + w_i x r_i)).
 */
function pointVelocityN(i: i32, rix: i64, riy: i64, riz: i64, j: i32, rjx: i64, rjy: i64, rjz: i64, nx: i64, ny: i64, nz: i64): i64 {
  const wix = lst(i, S_OX), wiy = lst(i, S_OY), wiz = lst(i, S_OZ);
  const wjx = lst(j, S_OX), wjy = lst(j, S_OY), wjz = lst(j, S_OZ);
  const vx = lst(j, S_UX) + q16(wjy * rjz - wjz * rjy) - lst(i, S_UX) - q16(wiy * riz - wiz * riy);
  const vy = lst(j, S_UY) + q16(wjz * rjx - wjx * rjz) - lst(i, S_UY) - q16(wiz * rix - wix * riz);
  const vz = lst(j, S_UZ) + q16(wjx * rjy - wjy * rjx) - lst(i, S_UZ) - q16(wix * riy - wiy * rix);
  return q16(nx * vx + ny * vy + nz * vz);
}

/**
 * Jacobi velocity step of an active box contact c between two bodies (solver.ts velocityPass
 * for CF_BOX contacts without CF_J_STATIC): the points' relative normal velocity is set to
 * its target (a new impact faster than the restitution threshold bounces, -e vpre; an
 * approach stops, 0; a pair already separating keeps vpre, so the position pass's push-out
 * never adds energy), with lever arms, into the linear and angular accumulators (applied
 * averaged by solver.ts applyVelocitiesBody).
 */
export function boxPairVelocity(c: usize): void {
  const i = load<i32>(c, C_I), j = load<i32>(c, C_J);
  const flags = load<i32>(c, C_FLAGS);
  const iMoves = movesS(i), jMoves = (flags & CF_J_MOVES) != 0;
  if (!iMoves && !jMoves) return;
  const nx = <i64>load<i32>(c, C_NX), ny = <i64>load<i32>(c, C_NY), nz = <i64>load<i32>(c, C_NZ);
  pointMotion(c, j, false);
  const rjx = rX, rjy = rY, rjz = rZ;
  const rix = armX(c), riy = armY(c), riz = armZ(c);
  const vn = pointVelocityN(i, rix, riy, riz, j, rjx, rjy, rjz, nx, ny, nz);
  const vpre = <i64>load<i32>(c, C_VN_PRE) << 16;
  let target: i64 = 0;
  if (vpre < -thresholdQ32 && (flags & CF_WAS_ACTIVE) == 0) target = -q16(<i64>load<i32>(c, C_E) * vpre);
  const dv = target - vn;
  const nr = normalAt(c);                                 // the tick's responses (boxPrepareNormals)
  const w = load<i64>(nr);
  if (w <= 0) return;
  const kix = load<i64>(nr, 8), kiy = load<i64>(nr, 16), kiz = load<i64>(nr, 24);
  const kjx = load<i64>(nr, 32), kjy = load<i64>(nr, 40), kjz = load<i64>(nr, 48);
  const lam = (dv << 16) / w;                            // Q32 kg m/s
  if (iMoves) {
    const l = q16(lam * g64(P_INV_MASS, i));
    addA(i, -q16(l * nx), -q16(l * ny), -q16(l * nz));
    addT(i, -q16(lam * kix), -q16(lam * kiy), -q16(lam * kiz));
    store<i32>(st(i) + <usize>S_CNT_V, load<i32>(st(i) + <usize>S_CNT_V) + 1);
  }
  if (jMoves) {
    const l = q16(lam * g64(P_INV_MASS, j));
    addA(j, q16(l * nx), q16(l * ny), q16(l * nz));
    addT(j, q16(lam * kjx), q16(lam * kjy), q16(lam * kjz));
    store<i32>(st(j) + <usize>S_CNT_V, load<i32>(st(j) + <usize>S_CNT_V) + 1);
  }
  // friction in velocity for a point the position pass held (static friction): the points'
  // tangential relative velocity stopped, within mu times the position pass's normal
  // correction as an impulse (lambda / h)
  const mu = <i64>load<i32>(c, C_MU);
  const budget = <i64>load<i32>(c, C_SLIDING);
  if (mu <= 0 || budget <= 0) return;
  const wix = lst(i, S_OX), wiy = lst(i, S_OY), wiz = lst(i, S_OZ);
  const wjx = lst(j, S_OX), wjy = lst(j, S_OY), wjz = lst(j, S_OZ);
  const vx = lst(j, S_UX) + q16(wjy * rjz - wjz * rjy) - lst(i, S_UX) - q16(wiy * riz - wiz * riy);
  const vy = lst(j, S_UY) + q16(wjz * rjx - wjx * rjz) - lst(i, S_UY) - q16(wiz * rix - wix * riz);
  const vz = lst(j, S_UZ) + q16(wjx * rjy - wjy * rjx) - lst(i, S_UZ) - q16(wix * riy - wiy * rix);
  const vnn = q16(nx * vx + ny * vy + nz * vz);
  const tx = vx - q16(vnn * nx), ty = vy - q16(vnn * ny), tz = vz - q16(vnn * nz);
  const tl = len32(tx, ty, tz);
  if (tl == 0) return;
  const ux = (tx << 16) / tl, uy = (ty << 16) / tl, uz = (tz << 16) / tl;   // J's point slides along u relative to I's
  let wt: i64 = 0, fix: i64 = 0, fiy: i64 = 0, fiz: i64 = 0, fjx: i64 = 0, fjy: i64 = 0, fjz: i64 = 0;
  if (iMoves) { wDir(i, rix, riy, riz, ux, uy, uz); wt += wOut; fix = aX; fiy = aY; fiz = aZ; }
  if (jMoves) { wDir(j, rjx, rjy, rjz, ux, uy, uz); wt += wOut; fjx = aX; fjy = aY; fjz = aZ; }
  if (wt <= 0) return;
  let lt = (tl << 16) / wt;
  const lim = q16(budget * mu) * invH;
  if (lt > lim) lt = lim;
  if (iMoves) {
    const l = q16(lt * g64(P_INV_MASS, i));
    addA(i, q16(l * ux), q16(l * uy), q16(l * uz));
    addT(i, q16(lt * fix), q16(lt * fiy), q16(lt * fiz));
  }
  if (jMoves) {
    const l = q16(lt * g64(P_INV_MASS, j));
    addA(j, -q16(l * ux), -q16(l * uy), -q16(l * uz));
    addT(j, -q16(lt * fjx), -q16(lt * fjy), -q16(lt * fjz));
  }
}

// Per static point of the box being stepped: its contact index, normal correction of this
// substep (Q32 kg m), accumulated velocity impulse (Q32 kg m/s).
// @ts-ignore: decorator
@inline function pointBase(): usize { return P_BOX_SCRATCH + 1344; }
// @ts-ignore: decorator
@inline function lambdaBase(): usize { return P_BOX_SCRATCH + 1472; }
// @ts-ignore: decorator
@inline function impulseBase(): usize { return P_BOX_SCRATCH + 1728; }
// accumulated tangential (friction) impulse per static point, a vector (Q32 kg m/s)
// @ts-ignore: decorator
@inline function frictionBase(): usize { return P_BOX_SCRATCH + 1984; }

/** Lists box i's static points (contact indices, in contact order) into pointBase(); returns how many. */
function staticPoints(i: i32): i32 {
  const cc = g32(P_CCOUNT, i);
  if (cc == 0 || load<i32>(st(i) + <usize>S_NSTATIC) == 0) return 0;
  const first = g32(P_CFIRST, i);
  let n = 0;
  for (let k = first; k < first + cc && n < MAX_STATIC_POINTS; k++) {
    if ((load<i32>(contactAt(k), C_FLAGS) & (CF_BOX | CF_J_STATIC)) != (CF_BOX | CF_J_STATIC)) continue;
    store<i32>(pointBase() + (<usize>n << 2), k);
    n++;
  }
  return n;
}

/** Index of the q-th point visited in sweep `it` of n: even sweeps forward, odd ones backward (symmetric Gauss-Seidel). */
// @ts-ignore: decorator
@inline function sweepAt(it: i32, q: i32, n: i32): i32 { return (it & 1) == 0 ? q : n - 1 - q; }

/**
 * The box's own step after the Jacobi corrections (solver.ts applyPositionsBody, for a
 * moving dynamic box, once its averaged corrections are applied): velocity and angular
 * velocity from the substep's motion (PBD), then its static points: position projection,
 * friction, velocity projection (see the module comment). Gauss-Seidel sweeps alternate
 * forward and backward over the points, so a face resting on 4 points is not tilted by the
 * order it is visited in. Own state only.
 */
export function boxApplyPositionsBody(i: i32): void {
  // velocity update, as for spheres: v += (p - p_predicted) / h, w likewise
  const ux0 = lst(i, S_UX), uy0 = lst(i, S_UY), uz0 = lst(i, S_UZ);
  const wx0 = lst(i, S_OX), wy0 = lst(i, S_OY), wz0 = lst(i, S_OZ);
  sst(i, S_UX, ux0 + (lst(i, S_DX) - lst(i, S_PDX)) * invH);
  sst(i, S_UY, uy0 + (lst(i, S_DY) - lst(i, S_PDY)) * invH);
  sst(i, S_UZ, uz0 + (lst(i, S_DZ) - lst(i, S_PDZ)) * invH);
  sst(i, S_OX, wx0 + (lst(i, S_RX) - lst(i, S_SRX) - timesH(wx0)) * invH);
  sst(i, S_OY, wy0 + (lst(i, S_RY) - lst(i, S_SRY) - timesH(wy0)) * invH);
  sst(i, S_OZ, wz0 + (lst(i, S_RZ) - lst(i, S_SRZ) - timesH(wz0)) * invH);
  const n = staticPoints(i);
  if (n == 0) return;
  const im = g64(P_INV_MASS, i);
  // 1. activity flags and the normal velocity before the substep (restitution's reference)
  for (let q = 0; q < n; q++) {
    const c = contactAt(load<i32>(pointBase() + (<usize>q << 2)));
    store<i64>(lambdaBase() + (<usize>q << 3), 0);
    store<i32>(c, 0, C_SLIDING);
    let flags = load<i32>(c, C_FLAGS);
    const nx = <i64>load<i32>(c, C_NX), ny = <i64>load<i32>(c, C_NY), nz = <i64>load<i32>(c, C_NZ);
    pointMotion(c, i, true);
    const sep = load<i64>(c, C_SEP0) - q16(nx * mX + ny * mY + nz * mZ);
    flags = (flags & ~CF_WAS_ACTIVE) | ((flags & CF_ACTIVE) != 0 ? CF_WAS_ACTIVE : 0);
    if (sep < 0) {
      // separating speed of the point before the substep's corrections (u0, w0)
      const vx = ux0 + q16(wy0 * rZ - wz0 * rY), vy = uy0 + q16(wz0 * rX - wx0 * rZ), vz = uz0 + q16(wx0 * rY - wy0 * rX);
      store<i32>(c, <i32>((-q16(nx * vx + ny * vy + nz * vz)) >> 16), C_VN_PRE);
      flags |= CF_ACTIVE | CF_TOUCHED;
    } else flags &= ~CF_ACTIVE;
    store<i32>(c, flags, C_FLAGS);
  }
  // 2. position projection (Gauss-Seidel; position only: no velocity is made)
  for (let it = 0; it < POS_ITERS; it++) {
    for (let q = 0; q < n; q++) {
      const p = sweepAt(it, q, n);
      const c = contactAt(load<i32>(pointBase() + (<usize>p << 2)));
      const nx = <i64>load<i32>(c, C_NX), ny = <i64>load<i32>(c, C_NY), nz = <i64>load<i32>(c, C_NZ);
      pointMotion(c, i, true);
      const sep = load<i64>(c, C_SEP0) - q16(nx * mX + ny * mY + nz * mZ);
      if (sep >= 0) continue;
      const nr = normalAt(c);                             // the tick's w and I^-1 (r x n) (boxPrepareNormals)
      const w = load<i64>(nr);
      if (w <= 0) continue;
      const lam = ((-sep) << 16) / w;
      const l = q16(lam * im);
      sst(i, S_DX, lst(i, S_DX) - q16(l * nx)); sst(i, S_DY, lst(i, S_DY) - q16(l * ny)); sst(i, S_DZ, lst(i, S_DZ) - q16(l * nz));
      sst(i, S_RX, lst(i, S_RX) - q16(lam * load<i64>(nr, 8))); sst(i, S_RY, lst(i, S_RY) - q16(lam * load<i64>(nr, 16))); sst(i, S_RZ, lst(i, S_RZ) - q16(lam * load<i64>(nr, 24)));
      const at = lambdaBase() + (<usize>p << 3);
      store<i64>(at, load<i64>(at) + lam);
    }
  }
  // 2b. a rotating capsule's rolling resistance against its static points (capsule-contacts.ts)
  if (g32(P_SHAPE, i) == SHAPE_ROTATING_CAPSULE) {
    let lam: i64 = 0;
    for (let q = 0; q < n; q++) lam += load<i64>(lambdaBase() + (<usize>q << 3));
    capsuleRolling(i, lam);
  }
  // 3. static friction in position: each point's tangential motion since the tick start,
  //    undone up to mu lambda_n (half the limit in each of the two sweeps); a correction is
  //    motion the box did not make, so its velocity follows (PBD). This holds a box on a slope
  //    exactly; the velocity-level friction of projectVelocities alone lets it creep by the
  //    g sin(a) h^2 each substep's integration moves it before the velocity is stopped.
  for (let it = 0; it < 2; it++) {
    for (let q = 0; q < n; q++) {
      const p = sweepAt(it, q, n);
      const c = contactAt(load<i32>(pointBase() + (<usize>p << 2)));
      const lamN = load<i64>(lambdaBase() + (<usize>p << 3)) >> 1;
      const mu = <i64>load<i32>(c, C_MU);
      if (lamN <= 0 || mu <= 0) continue;
      const nx = <i64>load<i32>(c, C_NX), ny = <i64>load<i32>(c, C_NY), nz = <i64>load<i32>(c, C_NZ);
      pointMotion(c, i, true);
      const dn = q16(mX * nx + mY * ny + mZ * nz);
      const tx = mX - q16(dn * nx), ty = mY - q16(dn * ny), tz = mZ - q16(dn * nz);
      const tl = len32(tx, ty, tz);
      if (tl == 0) continue;
      const ux = (tx << 16) / tl, uy = (ty << 16) / tl, uz = (tz << 16) / tl;
      wDir(i, rX, rY, rZ, ux, uy, uz);
      if (wOut <= 0) continue;
      let lt = (tl << 16) / wOut;
      const lim = q16(lamN * mu);
      if (lt > lim) { lt = lim; store<i32>(c, 1, C_SLIDING); }   // kinetic: the velocity step adds no friction
      const l = q16(lt * im);
      const ddx = -q16(l * ux), ddy = -q16(l * uy), ddz = -q16(l * uz);
      const drx = -q16(lt * aX), dry = -q16(lt * aY), drz = -q16(lt * aZ);
      sst(i, S_DX, lst(i, S_DX) + ddx); sst(i, S_DY, lst(i, S_DY) + ddy); sst(i, S_DZ, lst(i, S_DZ) + ddz);
      sst(i, S_RX, lst(i, S_RX) + drx); sst(i, S_RY, lst(i, S_RY) + dry); sst(i, S_RZ, lst(i, S_RZ) + drz);
      sst(i, S_UX, lst(i, S_UX) + ddx * invH); sst(i, S_UY, lst(i, S_UY) + ddy * invH); sst(i, S_UZ, lst(i, S_UZ) + ddz * invH);
      sst(i, S_OX, lst(i, S_OX) + drx * invH); sst(i, S_OY, lst(i, S_OY) + dry * invH); sst(i, S_OZ, lst(i, S_OZ) + drz * invH);
    }
  }
  projectVelocities(i, n);
}

/**
 * Velocity projection of box i's active static points (projected Gauss-Seidel, VEL_ITERS
 * sweeps alternating direction, accumulated impulses kept >= 0): each point's separating
 * speed becomes at least its target, -e times the speed before the substep for a new impact
 * faster than the restitution threshold, else 0. Runs after the box's position step and
 * again after the velocity pass (solver.ts staticVelocitiesBody). Own state only.
 */
export function boxStaticVelocities(i: i32): void {
  if (!movesS(i)) return;
  const n = staticPoints(i);
  if (n > 0) projectVelocities(i, n);
}

/** The velocity projection over the n points listed in pointBase() (boxStaticVelocities). */
function projectVelocities(i: i32, n: i32): void {
  const im = g64(P_INV_MASS, i);
  for (let q = 0; q < n; q++) store<i64>(impulseBase() + (<usize>q << 3), 0);
  memory.fill(frictionBase(), 0, <usize>(24 * n));
  for (let it = 0; it < VEL_ITERS; it++) {
    for (let q = 0; q < n; q++) {
      const p = sweepAt(it, q, n);
      const c = contactAt(load<i32>(pointBase() + (<usize>p << 2)));
      const flags = load<i32>(c, C_FLAGS);
      if ((flags & CF_ACTIVE) == 0) continue;
      const at = impulseBase() + (<usize>p << 3);
      const nx = <i64>load<i32>(c, C_NX), ny = <i64>load<i32>(c, C_NY), nz = <i64>load<i32>(c, C_NZ);
      const rx = armX(c), ry = armY(c), rz = armZ(c);
      const ux = lst(i, S_UX), uy = lst(i, S_UY), uz = lst(i, S_UZ);
      const wx = lst(i, S_OX), wy = lst(i, S_OY), wz = lst(i, S_OZ);
      const vx = ux + q16(wy * rz - wz * ry), vy = uy + q16(wz * rx - wx * rz), vz = uz + q16(wx * ry - wy * rx);
      const vsep = -q16(nx * vx + ny * vy + nz * vz);
      const vpre = <i64>load<i32>(c, C_VN_PRE) << 16;
      const target = (vpre < -thresholdQ32 && (flags & CF_WAS_ACTIVE) == 0) ? -q16(<i64>load<i32>(c, C_E) * vpre) : 0;
      const nr = normalAt(c);                             // the tick's w and I^-1 (r x n) (boxPrepareNormals)
      const w = load<i64>(nr);
      if (w <= 0) continue;
      const acc = load<i64>(at);
      let nacc = acc + ((target - vsep) << 16) / w;
      if (nacc < 0) nacc = 0;
      const d = nacc - acc;
      if (d != 0) {
        store<i64>(at, nacc);
        // the impulse pushes the box along -n at the point
        const l = q16(d * im);
        sst(i, S_UX, ux - q16(l * nx)); sst(i, S_UY, uy - q16(l * ny)); sst(i, S_UZ, uz - q16(l * nz));
        sst(i, S_OX, wx - q16(d * load<i64>(nr, 8))); sst(i, S_OY, wy - q16(d * load<i64>(nr, 16))); sst(i, S_OZ, wz - q16(d * load<i64>(nr, 24)));
      }
    }
  }
  // friction after the normal sweeps, limited by their converged impulses; none while any
  // point slides (the position step's kinetic friction is the whole friction then: mixing
  // sliding and held points turned a sliding box about its normal)
  let sliding = false;
  for (let q = 0; q < n; q++) if (load<i32>(contactAt(load<i32>(pointBase() + (<usize>q << 2))), C_SLIDING) != 0) sliding = true;
  const sweeps = sliding ? 0 : 2;
  for (let it = 0; it < sweeps; it++) {
    for (let q = 0; q < n; q++) {
      const p = sweepAt(it, q, n);
      const c = contactAt(load<i32>(pointBase() + (<usize>p << 2)));
      if ((load<i32>(c, C_FLAGS) & CF_ACTIVE) == 0) continue;
      pointFriction(i, c, p, armX(c), armY(c), armZ(c), <i64>load<i32>(c, C_NX), <i64>load<i32>(c, C_NY), <i64>load<i32>(c, C_NZ),
        load<i64>(impulseBase() + (<usize>p << 3)), im);
    }
  }
}

/**
 * Coulomb friction of static point p (contact c, arm r, normal n) of box i at velocity level:
 * the impulse that stops the point's tangential velocity, added to the point's accumulated
 * tangential impulse (a vector, frictionBase() at p), which is then limited to mu times the point's
 * accumulated normal impulse `accN` (projected Gauss-Seidel friction, as Box2D's contact
 * solver: the cone is a disc in the tangent plane). Static friction holds a box on a slope
 * below tan a = mu; above it the limit gives a = g (sin a - mu cos a).
 */
function pointFriction(i: i32, c: usize, p: i32, rx: i64, ry: i64, rz: i64, nx: i64, ny: i64, nz: i64, accN: i64, im: i64): void {
  const mu = <i64>load<i32>(c, C_MU);
  const at = frictionBase() + (<usize>(3 * p) << 3);
  const ox = load<i64>(at), oy = load<i64>(at, 8), oz = load<i64>(at, 16);
  if (mu <= 0 || (accN == 0 && (ox | oy | oz) == 0)) return;
  const ux = lst(i, S_UX), uy = lst(i, S_UY), uz = lst(i, S_UZ);
  const wx = lst(i, S_OX), wy = lst(i, S_OY), wz = lst(i, S_OZ);
  const vx = ux + q16(wy * rz - wz * ry), vy = uy + q16(wz * rx - wx * rz), vz = uz + q16(wx * ry - wy * rx);
  const vn = q16(nx * vx + ny * vy + nz * vz);
  const tx = vx - q16(vn * nx), ty = vy - q16(vn * ny), tz = vz - q16(vn * nz);
  const tl = len32(tx, ty, tz);
  // new accumulated impulse: old + the one that stops the slip (along -t, generalized mass along t)
  let nxa = ox, nya = oy, nza = oz;
  if (tl > 0) {
    const dx = (tx << 16) / tl, dy = (ty << 16) / tl, dz = (tz << 16) / tl;
    wDir(i, rx, ry, rz, dx, dy, dz);
    if (wOut > 0) {
      const lt = (tl << 16) / wOut;
      nxa -= q16(lt * dx); nya -= q16(lt * dy); nza -= q16(lt * dz);
    }
  }
  const lim = q16(accN * mu);
  const al = len32(nxa, nya, nza);
  if (al > lim) {
    if (lim <= 0) { nxa = 0; nya = 0; nza = 0; }
    else { const f = (lim << 16) / al; nxa = q16(nxa * f); nya = q16(nya * f); nza = q16(nza * f); }
  }
  const jx = nxa - ox, jy = nya - oy, jz = nza - oz;
  if ((jx | jy | jz) == 0) return;
  store<i64>(at, nxa); store<i64>(at, nya, 8); store<i64>(at, nza, 16);
  // apply impulse j at the point: u += j / m, w += I^-1 (r x j)
  const cx = q16(ry * jz - rz * jy), cy = q16(rz * jx - rx * jz), cz = q16(rx * jy - ry * jx);
  invInertiaMul(i, cx, cy, cz);
  sst(i, S_UX, ux + q16(jx * im)); sst(i, S_UY, uy + q16(jy * im)); sst(i, S_UZ, uz + q16(jz * im));
  sst(i, S_OX, wx + kX); sst(i, S_OY, wy + kY); sst(i, S_OZ, wz + kZ);
}

/**
 * A box's orientation at the end of the tick: q' = q + 1/2 (theta, 0) q with theta the
 * rotation its contacts were solved with (RX.., Q32 rad; not w dt), then back to unit length
 * with two Newton steps of 1 / sqrt around 1 (as solver.ts integrateOrientation). Products
 * keep theta's 32 fractional bits and round symmetrically, so a rotation of either sign
 * below half a Q16 step leaves q alone (a biased rounding tilted resting boxes one way, tick
 * after tick). Own state only.
 */
export function boxIntegrateOrientation(i: i32): void {
  const tx = lst(i, S_RX), ty = lst(i, S_RY), tz = lst(i, S_RZ);     // theta, Q32 (halved below)
  if ((tx | ty | tz) == 0) return;
  // in n equal pieces of at most 1/4 rad each (n = 1, the single step, below that): one step of
  // 2 rad or more leaves |q'|^2 = 1 + theta^2 / 4 beyond what the two Newton steps bring back,
  // and the quaternion blew up (a box spun at 80 rad/s by a capsule at 20 Hz: |q| reached 1e9
  // and its vertices' terrain query read out of bounds)
  const big = max<i64>(abs<i64>(tx), max<i64>(abs<i64>(ty), abs<i64>(tz)));
  const n = min<i64>(1 + (big >> 30), 64);
  const hx = tx / n, hy = ty / n, hz = tz / n;
  let x = g64(P_QX, i), y = g64(P_QY, i), z = g64(P_QZ, i), w = g64(P_QW, i);
  for (let p: i64 = 0; p < n; p++) {
    const qx = x, qy = y, qz = z, qw = w;
    x = qx + q33(hx * qw + hy * qz - hz * qy);
    y = qy + q33(hy * qw + hz * qx - hx * qz);
    z = qz + q33(hz * qw + hx * qy - hy * qx);
    w = qw - q33(hx * qx + hy * qy + hz * qz);
    for (let k = 0; k < 2; k++) {
      const n2 = q16(x * x + y * y + z * z + w * w);
      const f = (3 * ONE - n2) >> 1;
      x = q16(x * f); y = q16(y * f); z = q16(z * f); w = q16(w * f);
    }
  }
  s64(P_QX, i, x); s64(P_QY, i, y); s64(P_QZ, i, z); s64(P_QW, i, w);
}

/** p / 2^33 rounded half away from zero (a Q48 product of a Q32 angle and a Q16 quaternion, halved, to Q16), without a branch as fixed.ts q16. */
// @ts-ignore: decorator
@inline function q33(p: i64): i64 { return (p + (<i64>1 << 32) + (p >> 63)) >> 33; }
