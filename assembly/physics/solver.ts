// The solver: substepped position-based dynamics with Jacobi passes.
//
// One tick of length dt = 1 / TICK_RATE is split into S = SUBSTEPS substeps of h = dt / S
// (Macklin et al., "Small Steps in Physics Simulation", SCA 2019: many substeps with one
// iteration each beat many iterations; default S = 6, world.ts DEFAULT_SUBSTEPS). Each substep:
//
//   integrateVelocities + integratePositions   v += g h + F/m h, damping, p += v h   (own state)
//   positionPass      contacts: overlap along n, static/kinetic friction      (Jacobi, hop 1)
//   applyPositions    RELAX / n of the n corrections' sum; v += (p - p_predicted) / h,
//                     w likewise; then the body alone against its static contacts,
//                     in order: position (no velocity made) and velocity       (own state)
//   velocityPass      restitution / removal of push-out velocity along n       (Jacobi, hop 2)
//   applyVelocities   1 / n of the sum; then the static velocity projection (own state)
//
// The tick ends with sleep.ts's rest rule (a body's displacement, its touching partners' rest
// counters of state t: one contact hop) and rolling.ts adds rolling resistance to the static
// contacts of the position pass.
//
// The per-body steps are fused into two sweeps per substep (bitwise the same results).
// Overlap older than the substep is pushed out at most MAX_PUSH * h per substep (as Box2D's
// contactPushMaxVelocity), so resolving it never turns into kinetic energy.
//
// Contact handling follows Mueller et al., "Detailed Rigid Body Simulation with Extended
// Position Based Dynamics" (SCA 2020) with zero compliance: the normal correction splits the
// overlap by inverse mass; static friction cancels the tangential motion of the contact
// points since the start of the tick (not only of the substep) while it is below mu times
// the substep's normal correction, kinetic friction limits it to that. Anchored at the tick
// start, friction also takes back the sideways slip the earlier substeps' Jacobi normal
// corrections left (a correction's push-out moves a body in the pass after the friction
// that could see it; undone only within its substep, those slips added up to the creep of
// settled piles: contact slip ~ body speed, 7 mm/s median in the mixed pile at 16 s). The
// linear part is the displacement since the tick start (DX, as the separation), the
// rotation part the rotation since the tick start (RX; SRX holds its value at the substep
// start, for the angular velocity update and rolling resistance);
// the velocity pass sets the normal relative velocity to -e * (its value before the
// substep) when the bodies were approaching faster than RESTITUTION_THRESHOLD, to 0 when
// they approached slower, and back to its value before the substep when they were already
// separating (so the position pass's push-out never adds energy). Static contacts get the
// same targets, exactly (staticVelocitiesBody), so a body pushed out of a floor or wall is
// never launched: the push-out moves it, at most MAX_PUSH * h per substep, and leaves it at rest.
// They are set before the velocity pass too (applyPositionsBody), so that pass never reads a
// wall or floor body's velocity into the static, which its position does not have, as motion
// away from its neighbours (that was the held velocity of settled piles).
// The separation in a substep is the tick's narrowphase value moved linearly with the
// bodies' displacement along the normal (as Box2D v3's soft step does with its anchors).
//
// Precision: the state between ticks is Q16 (15 um, 1.5e-5 m/s), but a substep moves a body
// only a few Q16 units (g h^2 = 0.17 mm at 240 Hz), so inside a tick the solver works in Q32:
// displacement since the tick start, velocities and rotations carry 32 fractional bits, and
// the tick ends by rounding them back to Q16 once. Separations of the tick's contacts are
// moved linearly with these displacements.
//
// Shard invariance (DESIGN.md invariant 1): Jacobi, not Gauss-Seidel. Every contact reads
// the state before the pass and writes integer corrections into per-body accumulators;
// integer sums do not depend on order, so a body's result depends only on its contacts,
// never on global body order. Each body then applies RELAX / n of the sum of its n position
// corrections (Macklin et al. 2014, "Unified Particle Physics": constraint averaging with
// over-relaxation w in [1, 2]; w = 2 by default (world.ts DEFAULT_RELAXATION): it keeps deep
// piles' overlap lowest, and low piles (run-rest's drop, the test's 3-layer pile) and the demo
// world still settle and sleep; 1.5 and below let deep piles sink; measured in
// bench/results/amd-epyc-2c/rest.md) and 1 / n of its velocity corrections
// (over-relaxed velocity corrections of a resting body's contacts overshoot, which is
// jitter; bench/rest/run-rest.ts measures both). Stacks stay up because every substep re-solves
// all contacts (6 substeps x 60 Hz propagate a support 360 contacts per second; the overlap a
// Jacobi pile needs to carry its weight grows with g h^2, so substeps buy stiffness
// quadratically: bench/rest/pile-quality.ts), the static
// projections make walls and floors hard in position and velocity, and static friction is
// exact (no creep).
//
// Cost follows activity: the per-body steps run over the awake list (world.ts), never over
// the slots: each reads and writes only its own body's state, so their order is free and the
// list's order (which depends on history and differs between shard worlds) is never seen.
// STATE is cleared for the tick's participants (collide.ts: awake bodies and their sleeping
// contact partners), the only bodies any contact reads; a body falling asleep moves from the
// awake list to the sleep hash in finishTick (fallAsleep), its own decision from its own state.
//
// Interaction range of one tick: a body's state at t+1 depends on bodies linked to it by
// chains of at most 2S + 1 contact-list pairs (2 Jacobi hops per substep, plus one hop
// for the averaging count and the wake pass), each pair closer than CELL_SIZE = 2 *
// maxBodyRadius + MARGIN (the configuration's) centre to centre at the start of the tick
// (closer than MARGIN surface to surface, or a speculative contact of fast bodies, which
// collide.ts caps at that distance; the cap is the configuration's, not the largest body
// present, so every shard world applies the same one):
//
//   R = (2 S + 1) * CELL_SIZE = (2 S + 1) * (2 * maxBodyRadius + MARGIN)
//
// worldInteractionRange() returns it; it is the halo width shards need.

import {
  P_PX, P_PY, P_PZ, P_VX, P_VY, P_VZ, P_WX, P_WY, P_WZ, P_X0X, P_X0Y, P_X0Z,
  P_INV_MASS, P_INV_INERTIA,
  S_DX, S_DY, S_DZ, S_SDX, S_SDY, S_SDZ, S_PDX, S_PDY, S_PDZ, S_UX, S_UY, S_UZ, S_OX, S_OY, S_OZ,
  S_AX, S_AY, S_AZ, S_TX, S_TY, S_TZ, S_SRX, S_SRY, S_SRZ, S_RX, S_RY, S_RZ, S_INV_MASS, S_INV_INERTIA, S_MOVES, S_CNT, S_CNT_V, S_NSTATIC,
  P_QX, P_QY, P_QZ, P_QW, P_RADIUS, P_HX, P_HY, P_HZ, P_RESTITUTION,
  P_LIN_DAMP, P_ANG_DAMP, P_GRAVITY_SCALE, P_FX, P_FY, P_FZ,
  P_CHAR_TX, P_CHAR_TZ, P_CHAR_JUMP, P_GNX, P_GNY, P_GNZ,
  P_KIND, P_SHAPE, P_FLAGS, P_SLEEP_COUNT, P_CFIRST, P_CCOUNT, P_HITS, P_AWAKE, P_PART,
  H_AWAKE_COUNT, H_PART_COUNT, H_JOINT_HIGH_WATER, H_CONTACT_COUNT, H_SUBSTEPS, H_TICK_RATE, H_INV_H,
  H_GRAVITY_X, H_GRAVITY_Y, H_GRAVITY_Z, H_MAX_SPEED, H_RESTITUTION_THRESHOLD,
  H_SLEEP_ENABLED, H_SLEEP_SPEED, H_SLEEP_TICKS, H_CELL_SIZE, H_MAX_PUSH, H_RELAX,
  C_I, C_J, C_FLAGS, C_NX, C_NY, C_NZ, C_SEP0, C_SHARE_I, C_KT, C_ARM_I, C_ARM_J,
  C_MU, C_E, C_VN_PRE,
  CF_J_MOVES, CF_J_STATIC, CF_ACTIVE, CF_TOUCHED, CF_WAS_ACTIVE, CF_BOX,
  SHAPE_SPHERE, SHAPE_BOX, SHAPE_PLANE, SHAPE_CAPSULE, SHAPE_HULL, SHAPE_ROTATING_CAPSULE, SHAPE_COMPOUND, KIND_DYNAMIC, KIND_KINEMATIC,
  FLAG_LIVE, FLAG_SLEEPING, FLAG_CHARACTER, FLAG_GROUNDED, FLAG_JUMP, FLAG_NO_SLEEP,
} from './layout';
import { terrainSweep, isGeometryShape, swT, swNX, swNY, swNZ } from './terrain';
import { g64, s64, g32, s32, hdr, addWork, fallAsleep, st } from './world';
import { contactAt, moves, isActive, lengthOfSq } from './collide';
import { restPartners, restBody } from './sleep';
import { rollingCorrection, rollX, rollY, rollZ } from './rolling';
import { mul, div, roundShift, ONE } from '../math/fixed';
import { staticSweepCandidates } from './static-tree';
import { jointsPosition, jointedNonBox } from './joints';
import { capsuleIntegrateOrientation } from './capsule-contacts';
import { boxPairPosition, boxPairVelocity, boxApplyPositionsBody, boxStaticVelocities, boxTickConstants, boxIntegrateOrientation, boxInertiaBegin, boxPrepareNormals, boxTickAxis, isRotatingShape } from './box-contacts';
import { hullInnerRadius, hullExtentAlong } from './hull';
import { compoundBlock, compoundWord, compoundCount, childWord } from './compound';

// Hot-path rounding: products in the contact passes round half up (floor(x + 1/2)), two
// instructions instead of the symmetric rounding of math/fixed. Still exactly deterministic;
// the only thing given up is bitwise mirror symmetry of mirrored scenes.
// @ts-ignore: decorator
@inline function mulr(a: i64, b: i64): i64 { return (a * b + 0x8000) >> 16; }
// @ts-ignore: decorator
@inline function rs16(p: i64): i64 { return (p + 0x8000) >> 16; }

// @ts-ignore: decorator
@inline function sst(i: i32, off: i32, v: i64): void { store<i64>(st(i) + <usize>off, v); }
// @ts-ignore: decorator
@inline function sst32(i: i32, off: i32, v: i32): void { store<i32>(st(i) + <usize>off, v); }
/** Dynamic and awake this tick (fixed for the whole tick). */
// @ts-ignore: decorator
@inline function movesS(i: i32): bool { return load<i32>(st(i) + <usize>S_MOVES) != 0; }

/** J's share of a normal correction: ONE - SHARE_I when J moves, else 0 (not stored). */
// @ts-ignore: decorator
@inline function shareJ(c: usize): i64 {
  return (load<i32>(c, C_FLAGS) & CF_J_MOVES) != 0 ? ONE - <i64>load<i32>(c, C_SHARE_I) : 0;
}

// Per-tick constants (module globals, set by solveTick).
let gdvX: i64 = 0, gdvY: i64 = 0, gdvZ: i64 = 0;      // gravity velocity increment of this substep (Q32 m/s)
let hQ24: i64 = 0;                                    // substep length h in Q24 seconds
let invH: i64 = 0;                                    // 1 / h (integer)
let pushQ32: i64 = 0;                                 // MAX_PUSH in Q32 m/s
let thresholdQ32: i64 = 0;                            // RESTITUTION_THRESHOLD in Q32 m/s
let relaxQ16: i64 = 0;                                // RELAX, the over-relaxation of the averaging

/** Q32 averaging factor for n corrections: RELAX / n, capped at 1 (n >= 1). */
// @ts-ignore: decorator
@inline function recipQ32(n: i32): i64 {
  const f = (relaxQ16 << 16) / <i64>n;
  return f < (<i64>1 << 32) ? f : (<i64>1 << 32);
}

/** x * f >> 32 for x up to 2^62 and a factor f < 2^33 (split so nothing overflows). */
// @ts-ignore: decorator
@inline function mulQ32Wide(x: i64, f: i64): i64 { return ((x >> 16) * f + (((x & 0xFFFF) * f) >> 16) + 0x8000) >> 16; }

/** Q32 velocity times h: the displacement of a substep (Q32). */
// @ts-ignore: decorator
@inline function timesH(v: i64): i64 { return (v * hQ24 + 0x800000) >> 24; }

/** Gravity velocity increment of substep s in Q32: round((s + 1) G / S) - round(s G / S), G = g dt in Q48. */
function gravityIncrement(gq48: i64, s: i64, S: i64): i64 {
  return roundShift(gq48 * (s + 1) / S, 16) - roundShift(gq48 * s / S, 16);
}

/** Speed limit on the Q32 velocity: scales it down to MAX_SPEED when faster (rare; a root). */
function clampSpeed(i: i32): void {
  const vx = load<i64>(st(i) + <usize>S_UX), vy = load<i64>(st(i) + <usize>S_UY), vz = load<i64>(st(i) + <usize>S_UZ);
  const ax = vx >> 16, ay = vy >> 16, az = vz >> 16;                  // Q16 for the test
  const m = hdr(H_MAX_SPEED);
  const v2 = ax * ax + ay * ay + az * az;
  if (v2 <= m * m) return;
  const f = div(m, lengthOfSq(v2));                                   // Q16 factor < 1
  sst(i, S_UX, mulQ32Wide(vx, f << 16)); sst(i, S_UY, mulQ32Wide(vy, f << 16)); sst(i, S_UZ, mulQ32Wide(vz, f << 16));
}

/**
 * Continuous collision of a fast sphere of radius r (raw m: a sphere's radius, a rotating
 * box's inner sphere, or a sphere of a capsule's core, its centre `oy` above the body's)
 * against the static shapes over its substep motion:
 * the earliest time of impact over all statics (lowest tag on ties) stops the sphere there
 * and reflects its normal velocity with the pair's restitution. Only the sphere's own state
 * changes, so this is as local as the rest of the step. Works in Q16 positions.
 *
 * Candidates: every plane (and static sphere or capsule, which the sweep skips, as it
 * always did), and the boxes, heightfields and meshes of the static tree whose AABB touches the motion's
 * AABB grown by r. A box it leaves out cannot be hit: on some axis the grown box lies beyond
 * the motion's end (the slab entry fraction is div(> |d|, d) >= ONE, never < best <= ONE)
 * or behind its start (the exit fraction is <= 0, so the entry > 0 that a hit needs exceeds
 * it), or off a still axis. The candidates are visited in tag order (world.ts tagOf: slot
 * order outside shard worlds), so the strict `<` keeps the lowest tag on ties, as a scan of
 * every static in slot order would in the whole world.
 */
// @ts-ignore: decorator
@inline function sweepStatics(i: i32, r: i64, back: i64, oy: i64): void { sweepStaticsAt(i, r, back, 0, oy, 0); }

/** sweepStatics for the sphere whose centre is (ox, oy, oz) from the body's (a rotating capsule's leading end). */
function sweepStaticsAt(i: i32, r: i64, back: i64, ox: i64, oy: i64, oz: i64): void {
  const bx0 = g64(P_X0X, i), by0 = g64(P_X0Y, i), bz0 = g64(P_X0Z, i);
  const x0 = bx0 + ox + rs16(load<i64>(st(i) + <usize>S_SDX)), y0 = by0 + oy + rs16(load<i64>(st(i) + <usize>S_SDY)), z0 = bz0 + oz + rs16(load<i64>(st(i) + <usize>S_SDZ));
  const dx = bx0 + ox + rs16(load<i64>(st(i) + <usize>S_DX)) - x0, dy = by0 + oy + rs16(load<i64>(st(i) + <usize>S_DY)) - y0, dz = bz0 + oz + rs16(load<i64>(st(i) + <usize>S_DZ)) - z0;
  let best: i64 = ONE;                 // fraction of the motion, Q16
  let bnx: i64 = 0, bny: i64 = 0, bnz: i64 = 0, bj = -1;
  const n = staticSweepCandidates(i, x0, y0, z0, dx, dy, dz, r, P_HITS);   // HITS: free while solving
  for (let s = 0; s < n; s++) {
    const j = load<i32>(P_HITS + (<usize>s << 2));
    const shape = g32(P_SHAPE, j);
    if (shape == SHAPE_PLANE) {
      const nx = g64(P_HX, j), ny = g64(P_HY, j), nz = g64(P_HZ, j), d = g64(P_RADIUS, j);
      const s0 = roundShift(nx * x0 + ny * y0 + nz * z0, 16) - d - r;
      const ds = roundShift(nx * dx + ny * dy + nz * dz, 16);
      if (s0 < 0 || s0 + ds >= 0) continue;            // starts behind, or does not reach it
      const t = div(s0, -ds);
      if (t < best) { best = t; bnx = nx; bny = ny; bnz = nz; bj = j; }
    } else if (shape == SHAPE_BOX) {
      // segment from the start against the box grown by r (slab method, Q16 fractions)
      const cx = g64(P_PX, j), cy = g64(P_PY, j), cz = g64(P_PZ, j);
      const ex = g64(P_HX, j) + r, ey = g64(P_HY, j) + r, ez = g64(P_HZ, j) + r;
      if (x0 > cx - ex && x0 < cx + ex && y0 > cy - ey && y0 < cy + ey && z0 > cz - ez && z0 < cz + ez) continue;
      // entry fraction: the latest slab entry (from -2: a start exactly on a face enters at 0,
      // which a start of 0 missed, letting a body that landed on the face go through)
      let tmin: i64 = -2 * ONE, tmax: i64 = ONE;
      let fx: i64 = 0, fy: i64 = 0, fz: i64 = 0;
      let ok = true;
      for (let a = 0; a < 3 && ok; a++) {
        const o = a == 0 ? x0 - cx : (a == 1 ? y0 - cy : z0 - cz);
        const dd = a == 0 ? dx : (a == 1 ? dy : dz);
        const e = a == 0 ? ex : (a == 1 ? ey : ez);
        if (dd == 0) { if (o <= -e || o >= e) ok = false; continue; }
        let t1 = div(-e - o, dd), t2 = div(e - o, dd);
        let sgn: i64 = -ONE;                             // entering through the -e face
        if (t1 > t2) { const t = t1; t1 = t2; t2 = t; sgn = ONE; }
        if (t1 > tmin) { tmin = t1; fx = a == 0 ? sgn : 0; fy = a == 1 ? sgn : 0; fz = a == 2 ? sgn : 0; }
        if (t2 < tmax) tmax = t2;
        if (tmin > tmax) ok = false;
      }
      if (ok && tmin >= 0 && tmin < best && (fx | fy | fz) != 0) { best = tmin; bnx = fx; bny = fy; bnz = fz; bj = j; }
    } else if (isGeometryShape(shape)) {
      // heightfield or mesh: the faces of the triangles near the motion (terrain.ts terrainSweep)
      if (terrainSweep(j, x0, y0, z0, dx, dy, dz, r, best)) { best = swT; bnx = swNX; bny = swNY; bnz = swNZ; bj = j; }
    }
  }
  if (bj < 0) return;
  // a box stops `back` earlier along its path, so that its leading face, not only its inner
  // sphere, is short of the static (a tilted crate stopped by its inner sphere had its corner
  // 18 cm deep in a wall, and the push-out threw it off at 13 m/s)
  if (back > 0) {
    const f = div(back, lengthOfSq(dx * dx + dy * dy + dz * dz));
    best = best > f ? best - f : 0;
  }
  // stop at the impact (displacement in Q32) and reflect the normal velocity
  sst(i, S_DX, (x0 - ox + mul(dx, best) - bx0) << 16);
  sst(i, S_DY, (y0 - oy + mul(dy, best) - by0) << 16);
  sst(i, S_DZ, (z0 - oz + mul(dz, best) - bz0) << 16);
  const vx = load<i64>(st(i) + <usize>S_UX), vy = load<i64>(st(i) + <usize>S_UY), vz = load<i64>(st(i) + <usize>S_UZ);
  const vn = rs16(vx * bnx + vy * bny + vz * bnz);
  if (vn < 0) {
    const e = g64(P_RESTITUTION, i) > g64(P_RESTITUTION, bj) ? g64(P_RESTITUTION, i) : g64(P_RESTITUTION, bj);
    const k = vn + mulr(e, vn);                          // (1 + e) vn
    sst(i, S_UX, vx - mulr(k, bnx)); sst(i, S_UY, vy - mulr(k, bny)); sst(i, S_UZ, vz - mulr(k, bnz));
  }
}

/** Character input: walking velocity along the ground, jumps. Runs once per tick after the contact list. */
function characterControl(i: i32): void {
  const f = g32(P_FLAGS, i);
  const tx = g64(P_CHAR_TX, i), tz = g64(P_CHAR_TZ, i);
  if (f & FLAG_GROUNDED) {
    // walk along the ground plane: v = t - (t . n) n with t = (tx, 0, tz), keeping the part
    // of the velocity that goes into the ground (a character standing up to GROUND_TOLERANCE
    // above it keeps falling onto it; the contact then stops it)
    const gx = g64(P_GNX, i), gy = g64(P_GNY, i), gz = g64(P_GNZ, i);
    const vn = mul(g64(P_VX, i), gx) + mul(g64(P_VY, i), gy) + mul(g64(P_VZ, i), gz);
    const d = mul(tx, gx) + mul(tz, gz) - (vn < 0 ? vn : 0);
    s64(P_VX, i, tx - mul(d, gx)); s64(P_VY, i, -mul(d, gy)); s64(P_VZ, i, tz - mul(d, gz));
    if (f & FLAG_JUMP) {
      s64(P_VY, i, g64(P_CHAR_JUMP, i));
      s32(P_FLAGS, i, (f & ~(FLAG_JUMP | FLAG_GROUNDED)));
      return;
    }
  } else {
    s64(P_VX, i, tx); s64(P_VZ, i, tz);
  }
  s32(P_FLAGS, i, g32(P_FLAGS, i) & ~FLAG_JUMP);
}

// @ts-ignore: decorator
@inline function movesOrKinematic(i: i32): bool {
  return (g32(P_FLAGS, i) & FLAG_LIVE) != 0 && isActive(i);
}

/** integrateVelocities + integratePositions for one substep (own state only). */
function integrateBody(i: i32): void {
  if (!movesOrKinematic(i)) return;
  const f = g32(P_FLAGS, i);
  const kind = g32(P_KIND, i);
  let dx = load<i64>(st(i) + <usize>S_DX), dy = load<i64>(st(i) + <usize>S_DY), dz = load<i64>(st(i) + <usize>S_DZ);
  sst(i, S_SDX, dx); sst(i, S_SDY, dy); sst(i, S_SDZ, dz);
  let vx = load<i64>(st(i) + <usize>S_UX), vy = load<i64>(st(i) + <usize>S_UY), vz = load<i64>(st(i) + <usize>S_UZ);
  if (kind == KIND_DYNAMIC) {
    // gravity; a character standing on walkable ground gets only its part along the ground
    // normal, which presses it onto the ground (it stood up to GROUND_TOLERANCE above it)
    // without sliding it down a slope
    if ((f & (FLAG_CHARACTER | FLAG_GROUNDED)) != (FLAG_CHARACTER | FLAG_GROUNDED)) {
      const gs = g64(P_GRAVITY_SCALE, i);
      if (gs == ONE) { vx += gdvX; vy += gdvY; vz += gdvZ; }
      else if (gs != 0) { vx += mulr(gdvX, gs); vy += mulr(gdvY, gs); vz += mulr(gdvZ, gs); }
    } else {
      const nx = g64(P_GNX, i), ny = g64(P_GNY, i), nz = g64(P_GNZ, i);
      const d = mulr(mulr(gdvX, nx) + mulr(gdvY, ny) + mulr(gdvZ, nz), g64(P_GRAVITY_SCALE, i));
      if (d < 0) { vx += mulr(d, nx); vy += mulr(d, ny); vz += mulr(d, nz); }
    }
    // external force: dv = F / m h (F / m is Q32 m/s^2)
    const fx = g64(P_FX, i), fy = g64(P_FY, i), fz = g64(P_FZ, i);
    if ((fx | fy | fz) != 0) {
      const im = load<i64>(st(i) + <usize>S_INV_MASS);
      vx += timesH(fx * im); vy += timesH(fy * im); vz += timesH(fz * im);
    }
    // damping: v *= 1 / (1 + c h) (Pade approximation of exp(-c h), as Box2D)
    const ld = g64(P_LIN_DAMP, i);
    if (ld != (<i64>1 << 32)) { vx = mulQ32Wide(vx, ld); vy = mulQ32Wide(vy, ld); vz = mulQ32Wide(vz, ld); }
    sst(i, S_UX, vx); sst(i, S_UY, vy); sst(i, S_UZ, vz);
    clampSpeed(i);
    vx = load<i64>(st(i) + <usize>S_UX); vy = load<i64>(st(i) + <usize>S_UY); vz = load<i64>(st(i) + <usize>S_UZ);
  }
  dx += timesH(vx); dy += timesH(vy); dz += timesH(vz);
  sst(i, S_DX, dx); sst(i, S_DY, dy); sst(i, S_DZ, dz);
  const shape = g32(P_SHAPE, i);
  if ((shape == SHAPE_SPHERE || isRotatingShape(shape)) && kind == KIND_DYNAMIC) {
    let wx = load<i64>(st(i) + <usize>S_OX), wy = load<i64>(st(i) + <usize>S_OY), wz = load<i64>(st(i) + <usize>S_OZ);
    const ad = g64(P_ANG_DAMP, i);
    if (ad != (<i64>1 << 32)) { wx = mulQ32Wide(wx, ad); wy = mulQ32Wide(wy, ad); wz = mulQ32Wide(wz, ad); }
    sst(i, S_OX, wx); sst(i, S_OY, wy); sst(i, S_OZ, wz);
    // rotation since the tick start (small-angle vector, Q32): the substep's start, then its
    // predicted rotation, corrected by the friction pass
    const rx = load<i64>(st(i) + <usize>S_RX), ry = load<i64>(st(i) + <usize>S_RY), rz = load<i64>(st(i) + <usize>S_RZ);
    sst(i, S_SRX, rx); sst(i, S_SRY, ry); sst(i, S_SRZ, rz);
    sst(i, S_RX, rx + timesH(wx)); sst(i, S_RY, ry + timesH(wy)); sst(i, S_RZ, rz + timesH(wz));
  }
  // continuous collision over the substep's motion m (raw m), against the statics:
  //   sphere   moving more than half its radius: sweeps itself
  //   box      moving more than a quarter of its least half extent: sweeps its inner sphere
  //            and stops its leading face short (its tick-start contacts do not cover a wall it
  //            reaches within the tick: at 20 Hz a 0.5 m crate at 15 m/s crossed a 0.1 m wall)
  //   capsule  moving more than a quarter of its radius (9 m/s for a 0.3 m capsule at 20 Hz: a
  //            walking character, 4 m/s, never): sweeps the sphere at the end of its core that
  //            leads vertically, then the one at its centre (at 20 Hz one falling at 20 m/s sank
  //            into flat terrain, and one at 10 m/s crossed a 0.1 m mesh wall)
  //   rotating capsule (capsule-contacts.ts) moving more than a quarter of its radius: sweeps
  //            the sphere at the end of its core that leads along the motion, then the one at
  //            its centre (a centre sweep alone let a tilted capsule falling at 40 m/s at 60 Hz
  //            put its end through a heightfield before the centre's sphere reached it)
  //   compound (compound.ts) moving more than a quarter of its least child inner radius: sweeps
  //            each child's inner sphere at its offset, in block order
  if (kind == KIND_DYNAMIC && (shape == SHAPE_SPHERE || isRotatingShape(shape) || shape == SHAPE_CAPSULE)) {
    const mx = (dx - load<i64>(st(i) + <usize>S_SDX)) >> 16, my = (dy - load<i64>(st(i) + <usize>S_SDY)) >> 16, mz = (dz - load<i64>(st(i) + <usize>S_SDZ)) >> 16;
    const m2 = mx * mx + my * my + mz * mz;
    if (shape == SHAPE_SPHERE) {
      const r = g64(P_RADIUS, i);
      if (m2 > (r * r) >> 2) sweepStatics(i, r, 0, 0);
    } else if (shape == SHAPE_BOX) {
      const hx = g64(P_HX, i), hy = g64(P_HY, i), hz = g64(P_HZ, i);
      const r = hx < hy ? (hx < hz ? hx : hz) : (hy < hz ? hy : hz);
      if (m2 > (r * r) >> 4) {
        // the box's extent along its motion: sum over its axes of e_k |a_k . m| / |m| (raw m),
        // the axes of the tick's inertia frame (box-contacts.ts boxInertiaBegin)
        let ext: i64 = 0;
        for (let k = 0; k < 3; k++) {
          const a = abs<i64>(rs16(boxTickAxis(i, k, 0) * mx + boxTickAxis(i, k, 1) * my + boxTickAxis(i, k, 2) * mz));
          ext += a * (k == 0 ? hx : (k == 1 ? hy : hz));
        }
        ext = ext / lengthOfSq(m2);
        sweepStatics(i, r, ext > r ? ext - r : 0, 0);
      }
    } else if (shape == SHAPE_HULL) {
      // a hull as a box: its inner sphere (hull.ts), its leading vertex's extent along m
      const r = hullInnerRadius(i);
      if (m2 > (r * r) >> 4) {
        const ext = hullExtentAlong(i, mx, my, mz, lengthOfSq(m2), boxTickAxis(i, 0, 0), boxTickAxis(i, 0, 1), boxTickAxis(i, 0, 2),
          boxTickAxis(i, 1, 0), boxTickAxis(i, 1, 1), boxTickAxis(i, 1, 2), boxTickAxis(i, 2, 0), boxTickAxis(i, 2, 1), boxTickAxis(i, 2, 2));
        sweepStatics(i, r, ext > r ? ext - r : 0, 0);
      }
    } else if (shape == SHAPE_COMPOUND) {
      // a compound: each child's inner sphere at its offset (the tick's frame), in block order (compound.ts)
      const r = compoundWord(compoundBlock(i), 6);
      if (m2 > (r * r) >> 4) {
        const n = compoundCount(i);
        for (let k = 0; k < n; k++) {
          const lx = childWord(i, k, 1), ly = childWord(i, k, 2), lz = childWord(i, k, 3);
          const ox = rs16(lx * boxTickAxis(i, 0, 0) + ly * boxTickAxis(i, 1, 0) + lz * boxTickAxis(i, 2, 0));
          const oy = rs16(lx * boxTickAxis(i, 0, 1) + ly * boxTickAxis(i, 1, 1) + lz * boxTickAxis(i, 2, 1));
          const oz = rs16(lx * boxTickAxis(i, 0, 2) + ly * boxTickAxis(i, 1, 2) + lz * boxTickAxis(i, 2, 2));
          sweepStaticsAt(i, childWord(i, k, 13), 0, ox, oy, oz);
        }
      }
    } else if (shape == SHAPE_ROTATING_CAPSULE) {
      const r = g64(P_HX, i);
      if (m2 > (r * r) >> 4) {
        // the sphere at the end of the core that leads along the motion (axis a of the tick's
        // frame), then the one at the centre (as an upright capsule's)
        const ax = boxTickAxis(i, 1, 0), ay = boxTickAxis(i, 1, 1), az = boxTickAxis(i, 1, 2);
        const am = rs16(ax * mx + ay * my + az * mz), h = am < 0 ? -g64(P_HY, i) : g64(P_HY, i);
        if (am != 0) sweepStaticsAt(i, r, 0, rs16(ax * h), rs16(ay * h), rs16(az * h));
        sweepStatics(i, r, 0, 0);
      }
    } else {
      const r = g64(P_RADIUS, i);
      if (m2 > (r * r) >> 4) {
        const h = g64(P_HY, i);
        if (my != 0) sweepStatics(i, r, 0, my < 0 ? -h : h);
        sweepStatics(i, r, 0, 0);
      }
    }
  }
  sst(i, S_PDX, load<i64>(st(i) + <usize>S_DX)); sst(i, S_PDY, load<i64>(st(i) + <usize>S_DY)); sst(i, S_PDZ, load<i64>(st(i) + <usize>S_DZ));
}

// @ts-ignore: decorator
@inline function addA(i: i32, x: i64, y: i64, z: i64): void {
  sst(i, S_AX, load<i64>(st(i) + <usize>S_AX) + x); sst(i, S_AY, load<i64>(st(i) + <usize>S_AY) + y); sst(i, S_AZ, load<i64>(st(i) + <usize>S_AZ) + z);
}
// @ts-ignore: decorator
@inline function addT(i: i32, x: i64, y: i64, z: i64): void {
  sst(i, S_TX, load<i64>(st(i) + <usize>S_TX) + x); sst(i, S_TY, load<i64>(st(i) + <usize>S_TY) + y); sst(i, S_TZ, load<i64>(st(i) + <usize>S_TZ) + z);
}

/** Current separation (Q32) of contact c: the tick's value moved by the displacements along n. */
// @ts-ignore: decorator
@inline function currentSep(c: usize, i: i32, j: i32, statJ: bool): i64 {
  let ddx = -load<i64>(st(i) + <usize>S_DX), ddy = -load<i64>(st(i) + <usize>S_DY), ddz = -load<i64>(st(i) + <usize>S_DZ);
  if (!statJ) { ddx += load<i64>(st(j) + <usize>S_DX); ddy += load<i64>(st(j) + <usize>S_DY); ddz += load<i64>(st(j) + <usize>S_DZ); }
  return load<i64>(c, C_SEP0) + rs16(<i64>load<i32>(c, C_NX) * ddx + <i64>load<i32>(c, C_NY) * ddy + <i64>load<i32>(c, C_NZ) * ddz);
}

/** Jacobi position pass over all contacts (reads displacements, writes accumulators). All Q32. */
function positionPass(count: i32): void {
  for (let k = 0; k < count; k++) {
    const c = contactAt(k);
    const i = load<i32>(c, C_I), j = load<i32>(c, C_J);
    let flags = load<i32>(c, C_FLAGS);
    // box points: between moving bodies here (box-contacts.ts), against statics in the box's own step
    if (flags & CF_BOX) { if ((flags & CF_J_STATIC) == 0) boxPairPosition(c); continue; }
    const statJ = (flags & CF_J_STATIC) != 0;
    const sep = currentSep(c, i, j, statJ);
    // remember last substep's overlap: restitution applies only to new impacts
    flags = (flags & ~CF_WAS_ACTIVE) | ((flags & CF_ACTIVE) != 0 ? CF_WAS_ACTIVE : 0);
    if (sep >= 0) { store<i32>(c, flags & ~CF_ACTIVE, C_FLAGS); continue; }
    store<i32>(c, flags | CF_ACTIVE | CF_TOUCHED, C_FLAGS);
    const iMoves = movesS(i), jMoves = (flags & CF_J_MOVES) != 0;
    if (!iMoves && !jMoves) continue;
    const nx = <i64>load<i32>(c, C_NX), ny = <i64>load<i32>(c, C_NY), nz = <i64>load<i32>(c, C_NZ);
    // velocity along n before the correction (j's velocity counts if it is not static)
    let rvx = -load<i64>(st(i) + <usize>S_UX), rvy = -load<i64>(st(i) + <usize>S_UY), rvz = -load<i64>(st(i) + <usize>S_UZ);
    if (!statJ) { rvx += load<i64>(st(j) + <usize>S_UX); rvy += load<i64>(st(j) + <usize>S_UY); rvz += load<i64>(st(j) + <usize>S_UZ); }
    const vpre = rs16(nx * rvx + ny * rvy + nz * rvz);
    store<i32>(c, <i32>((vpre) >> 16), C_VN_PRE);
    // resolve this substep's approach fully, older overlap at most MAX_PUSH * h per substep
    // (pushing out faster would turn overlap into kinetic energy)
    const allowed = timesH((vpre < 0 ? -vpre : 0) + pushQ32);
    const corr = -sep < allowed ? -sep : allowed;
    // normal correction split by inverse mass
    const ci = mulr(corr, <i64>load<i32>(c, C_SHARE_I)), cj = mulr(corr, shareJ(c));
    let aix = -mulr(ci, nx), aiy = -mulr(ci, ny), aiz = -mulr(ci, nz);
    let ajx = mulr(cj, nx), ajy = mulr(cj, ny), ajz = mulr(cj, nz);
    let tix: i64 = 0, tiy: i64 = 0, tiz: i64 = 0, tjx: i64 = 0, tjy: i64 = 0, tjz: i64 = 0;
    // friction: tangential motion of the contact points since the tick start
    const mu = <i64>load<i32>(c, C_MU), kt = load<i64>(c, C_KT);
    if (mu > 0 && kt > 0) {
      const armI = <i64>load<i32>(c, C_ARM_I), armJ = <i64>load<i32>(c, C_ARM_J);
      // Both lever arms lie along n (r_i = armI n, r_j = -armJ n), so the rotation part of
      // the contact points' relative displacement, theta_i x r_i - theta_j x r_j, is
      // (armI theta_i + armJ theta_j) x n: one cross product instead of two.
      let wx = mulr(armI, load<i64>(st(i) + <usize>S_RX)), wy = mulr(armI, load<i64>(st(i) + <usize>S_RY)), wz = mulr(armI, load<i64>(st(i) + <usize>S_RZ));
      let dx = load<i64>(st(i) + <usize>S_DX), dy = load<i64>(st(i) + <usize>S_DY), dz = load<i64>(st(i) + <usize>S_DZ);
      if (!statJ) {
        wx += mulr(armJ, load<i64>(st(j) + <usize>S_RX)); wy += mulr(armJ, load<i64>(st(j) + <usize>S_RY)); wz += mulr(armJ, load<i64>(st(j) + <usize>S_RZ));
        dx -= load<i64>(st(j) + <usize>S_DX); dy -= load<i64>(st(j) + <usize>S_DY); dz -= load<i64>(st(j) + <usize>S_DZ);
      }
      dx += rs16(wy * nz - wz * ny); dy += rs16(wz * nx - wx * nz); dz += rs16(wx * ny - wy * nx);
      const dn = rs16(dx * nx + dy * ny + dz * nz);
      let tx = dx - mulr(dn, nx), ty = dy - mulr(dn, ny), tz = dz - mulr(dn, nz);
      const lim = mulr(mu, corr);
      // compare |t| with the limit; squares of Q32 values fit while all are below 2^30,
      // otherwise compare at Q16 scale (the ratio is scale-free)
      const sh: i64 = ((abs<i64>(tx) | abs<i64>(ty) | abs<i64>(tz) | lim) >> 30) != 0 ? 16 : 0;
      const sx = tx >> sh, sy = ty >> sh, sz = tz >> sh, sl = lim >> sh;
      const t2 = sx * sx + sy * sy + sz * sz;
      if (t2 > sl * sl) {
        // kinetic: limit the tangential correction to mu * overlap
        const f = div(sl, lengthOfSq(t2));             // Q16 ratio < 1
        tx = mulr(tx, f); ty = mulr(ty, f); tz = mulr(tz, f);
      }
      if ((tx | ty | tz) != 0) {
        // positional impulse P = dt / (w~_i + w~_j)  (Q32 kg m); both torques are along
        // n x P: tau_i = -I_i^-1 armI (n x P), tau_j = -I_j^-1 armJ (n x P)
        const px = mulr(tx, kt), py = mulr(ty, kt), pz = mulr(tz, kt);
        const qx = rs16(ny * pz - nz * py), qy = rs16(nz * px - nx * pz), qz = rs16(nx * py - ny * px);
        if (iMoves) {
          const im = load<i64>(st(i) + <usize>S_INV_MASS), ii = load<i64>(st(i) + <usize>S_INV_INERTIA);
          aix -= mulr(px, im); aiy -= mulr(py, im); aiz -= mulr(pz, im);
          if (ii != 0) {
            const k = mulr(ii, armI);
            tix = -mulr(qx, k); tiy = -mulr(qy, k); tiz = -mulr(qz, k);
          }
        }
        if (jMoves) {
          const im = load<i64>(st(j) + <usize>S_INV_MASS), ii = load<i64>(st(j) + <usize>S_INV_INERTIA);
          ajx += mulr(px, im); ajy += mulr(py, im); ajz += mulr(pz, im);
          if (ii != 0) {
            const k = mulr(ii, armJ);
            tjx = -mulr(qx, k); tjy = -mulr(qy, k); tjz = -mulr(qz, k);
          }
        }
      }
    }
    if (statJ && iMoves) { rollingCorrection(c, i, corr); tix += rollX; tiy += rollY; tiz += rollZ; }   // rolling.ts
    if (iMoves) { addA(i, aix, aiy, aiz); addT(i, tix, tiy, tiz); sst32(i, S_CNT, load<i32>(st(i) + <usize>S_CNT) + 1); }
    if (jMoves) { addA(j, ajx, ajy, ajz); addT(j, tjx, tjy, tjz); sst32(j, S_CNT, load<i32>(st(j) + <usize>S_CNT) + 1); }
  }
}

/**
 * Applies each moving body's averaged position corrections, updates its velocity from them
 * (PBD: v = (p - p_start) / h), then handles its static contacts in order: the static
 * projection in position (walls and floors are hard) and, in the same walk, in velocity.
 *
 * The velocity update, v += (p - p_predicted) / h, is the same as v = (p - p_start) / h where
 * the prediction p_start + v h is exact, without re-quantizing v when nothing moved the body;
 * 1 / h is an integer, so the correction term is exact. Same for w. It comes before the static
 * projection, which moves the position and the prediction alike (p - p_predicted unchanged),
 * so no velocity is made from a static push-out.
 *
 * Static velocity projection before the velocity pass: the Jacobi corrections that press a
 * body into a wall or floor (its neighbours' weight) are in its velocity, while the static
 * projection takes them back out of its position only. Left there, that velocity into the
 * static (0.3-0.4 m/s in a settled pile's wall and floor bodies) reads to the velocity pass
 * as the body leaving its other neighbours, and the pass pulls them after it every substep:
 * the held velocity of settled piles (bench/results/amd-epyc-2c/rest.md). So each active
 * static contact also sets the body's normal velocity to its target here (staticVelocity,
 * the same projection that runs again after the velocity pass), and the velocity pass reads
 * velocities that match the bodies' motion. Own state only, like the rest of this step.
 */
function applyPositionsBody(i: i32): void {
  const n = load<i32>(st(i) + <usize>S_CNT);
  if (n > 0) {
    const f = n == 1 ? (<i64>1 << 32) : recipQ32(n);
    sst(i, S_DX, load<i64>(st(i) + <usize>S_DX) + mulQ32Wide(load<i64>(st(i) + <usize>S_AX), f));
    sst(i, S_DY, load<i64>(st(i) + <usize>S_DY) + mulQ32Wide(load<i64>(st(i) + <usize>S_AY), f));
    sst(i, S_DZ, load<i64>(st(i) + <usize>S_DZ) + mulQ32Wide(load<i64>(st(i) + <usize>S_AZ), f));
    sst(i, S_RX, load<i64>(st(i) + <usize>S_RX) + mulQ32Wide(load<i64>(st(i) + <usize>S_TX), f));
    sst(i, S_RY, load<i64>(st(i) + <usize>S_RY) + mulQ32Wide(load<i64>(st(i) + <usize>S_TY), f));
    sst(i, S_RZ, load<i64>(st(i) + <usize>S_RZ) + mulQ32Wide(load<i64>(st(i) + <usize>S_TZ), f));
    sst(i, S_AX, 0); sst(i, S_AY, 0); sst(i, S_AZ, 0);
    sst(i, S_TX, 0); sst(i, S_TY, 0); sst(i, S_TZ, 0);
    sst32(i, S_CNT, 0);
  }
  if (!movesS(i)) return;
  if (isRotatingShape(g32(P_SHAPE, i))) { boxApplyPositionsBody(i); return; }   // rotating box, hull or capsule: box-contacts.ts
  // velocity update (the velocity before it, u0, is the prediction's: VN_PRE below reads it)
  const ux0 = load<i64>(st(i) + <usize>S_UX), uy0 = load<i64>(st(i) + <usize>S_UY), uz0 = load<i64>(st(i) + <usize>S_UZ);
  let ux = ux0 + (load<i64>(st(i) + <usize>S_DX) - load<i64>(st(i) + <usize>S_PDX)) * invH;
  let uy = uy0 + (load<i64>(st(i) + <usize>S_DY) - load<i64>(st(i) + <usize>S_PDY)) * invH;
  let uz = uz0 + (load<i64>(st(i) + <usize>S_DZ) - load<i64>(st(i) + <usize>S_PDZ)) * invH;
  if (g32(P_SHAPE, i) == SHAPE_SPHERE) {
    const wx = load<i64>(st(i) + <usize>S_OX), wy = load<i64>(st(i) + <usize>S_OY), wz = load<i64>(st(i) + <usize>S_OZ);
    sst(i, S_OX, wx + (load<i64>(st(i) + <usize>S_RX) - load<i64>(st(i) + <usize>S_SRX) - timesH(wx)) * invH);
    sst(i, S_OY, wy + (load<i64>(st(i) + <usize>S_RY) - load<i64>(st(i) + <usize>S_SRY) - timesH(wy)) * invH);
    sst(i, S_OZ, wz + (load<i64>(st(i) + <usize>S_RZ) - load<i64>(st(i) + <usize>S_SRZ) - timesH(wz)) * invH);
  }
  // static contacts, in order: position projection, then the contact's velocity projection
  const cc = g32(P_CCOUNT, i);
  if (cc != 0 && load<i32>(st(i) + <usize>S_NSTATIC) != 0) {
    const threshold = thresholdQ32;
    const first = g32(P_CFIRST, i);
    for (let k = first; k < first + cc; k++) {
      const c = contactAt(k);
      let flags = load<i32>(c, C_FLAGS);
      if ((flags & CF_J_STATIC) == 0) continue;
      const nx = <i64>load<i32>(c, C_NX), ny = <i64>load<i32>(c, C_NY), nz = <i64>load<i32>(c, C_NZ);
      const sep = currentSep(c, i, -1, true);
      if (sep < 0) {
        if ((flags & CF_ACTIVE) == 0) {
          store<i32>(c, <i32>((-rs16(nx * ux0 + ny * uy0 + nz * uz0)) >> 16), C_VN_PRE);
          flags |= CF_ACTIVE | CF_TOUCHED;
          store<i32>(c, flags, C_FLAGS);
        }
        // position only: the prediction moves too, so no velocity is made from the push-out
        const ox = mulr(sep, nx), oy = mulr(sep, ny), oz = mulr(sep, nz);
        sst(i, S_DX, load<i64>(st(i) + <usize>S_DX) + ox); sst(i, S_DY, load<i64>(st(i) + <usize>S_DY) + oy); sst(i, S_DZ, load<i64>(st(i) + <usize>S_DZ) + oz);
        sst(i, S_PDX, load<i64>(st(i) + <usize>S_PDX) + ox); sst(i, S_PDY, load<i64>(st(i) + <usize>S_PDY) + oy); sst(i, S_PDZ, load<i64>(st(i) + <usize>S_PDZ) + oz);
      }
      if ((flags & CF_ACTIVE) == 0) continue;
      // velocity projection (as staticVelocitiesBody)
      const vn = -rs16(nx * ux + ny * uy + nz * uz);
      const dv = normalTarget(c, flags, (<i64>load<i32>(c, C_VN_PRE) << 16), threshold) - vn;
      if (dv != 0) { ux -= mulr(dv, nx); uy -= mulr(dv, ny); uz -= mulr(dv, nz); }
    }
  }
  sst(i, S_UX, ux); sst(i, S_UY, uy); sst(i, S_UZ, uz);
}

/** A new impact (not overlapping in the last substep) approaching faster than the threshold. */
// @ts-ignore: decorator
@inline function bounces(flags: i32, vpre: i64, threshold: i64): bool {
  return vpre < -threshold && (flags & CF_WAS_ACTIVE) == 0;
}

/**
 * Normal relative velocity a contact's velocity pass aims for (Q32 m/s, > 0 separating):
 * a new impact faster than the threshold bounces with restitution (-e * vpre); a slower
 * approach stops (0); a pair that was already separating keeps that speed but not the
 * push-out velocity of the position pass (vpre).
 */
// @ts-ignore: decorator
@inline function normalTarget(c: usize, flags: i32, vpre: i64, threshold: i64): i64 {
  if (bounces(flags, vpre, threshold)) return -mulr(<i64>load<i32>(c, C_E), vpre);
  return vpre > 0 ? vpre : 0;
}

/** Jacobi velocity pass over the active contacts: restitution, or removal of the push-out velocity. */
function velocityPass(count: i32): void {
  const threshold = hdr(H_RESTITUTION_THRESHOLD) << 16;
  for (let k = 0; k < count; k++) {
    const c = contactAt(k);
    const flags = load<i32>(c, C_FLAGS);
    if ((flags & (CF_ACTIVE | CF_J_STATIC)) != CF_ACTIVE) continue;   // statics: staticVelocities
    if (flags & CF_BOX) { boxPairVelocity(c); continue; }            // with lever arms: box-contacts.ts
    const vpre = (<i64>load<i32>(c, C_VN_PRE) << 16);
    const i = load<i32>(c, C_I), j = load<i32>(c, C_J);
    const iMoves = movesS(i), jMoves = (flags & CF_J_MOVES) != 0;
    if (!iMoves && !jMoves) continue;
    const nx = <i64>load<i32>(c, C_NX), ny = <i64>load<i32>(c, C_NY), nz = <i64>load<i32>(c, C_NZ);
    let rvx = -load<i64>(st(i) + <usize>S_UX), rvy = -load<i64>(st(i) + <usize>S_UY), rvz = -load<i64>(st(i) + <usize>S_UZ);
    rvx += load<i64>(st(j) + <usize>S_UX); rvy += load<i64>(st(j) + <usize>S_UY); rvz += load<i64>(st(j) + <usize>S_UZ);
    const vn = rs16(nx * rvx + ny * rvy + nz * rvz);
    const target = normalTarget(c, flags, vpre, threshold);
    const dv = target - vn;
    if (dv == 0) continue;
    if (iMoves) {
      const d = mulr(dv, <i64>load<i32>(c, C_SHARE_I));
      addA(i, -mulr(d, nx), -mulr(d, ny), -mulr(d, nz));
      sst32(i, S_CNT_V, load<i32>(st(i) + <usize>S_CNT_V) + 1);
    }
    if (jMoves) {
      const d = mulr(dv, shareJ(c));
      addA(j, mulr(d, nx), mulr(d, ny), mulr(d, nz));
      sst32(j, S_CNT_V, load<i32>(st(j) + <usize>S_CNT_V) + 1);
    }
  }
}

/**
 * Applies each body's velocity corrections, averaged without over-relaxation (1 / n of the
 * sum): every contact of a resting body asks for nearly the same change (stop the approach),
 * and RELAX / n of n equal requests overshoots by RELAX, which kept piles jittering.
 */
function applyVelocitiesBody(i: i32): void {
  const n = load<i32>(st(i) + <usize>S_CNT_V);
  if (n == 0) return;
  const f = n == 1 ? (<i64>1 << 32) : ((<i64>1 << 32) / <i64>n);
  sst(i, S_UX, load<i64>(st(i) + <usize>S_UX) + mulQ32Wide(load<i64>(st(i) + <usize>S_AX), f));
  sst(i, S_UY, load<i64>(st(i) + <usize>S_UY) + mulQ32Wide(load<i64>(st(i) + <usize>S_AY), f));
  sst(i, S_UZ, load<i64>(st(i) + <usize>S_UZ) + mulQ32Wide(load<i64>(st(i) + <usize>S_AZ), f));
  sst(i, S_AX, 0); sst(i, S_AY, 0); sst(i, S_AZ, 0);
  sst32(i, S_CNT_V, 0);
  // angular velocity corrections: only a rotating box's contacts make them (box-contacts.ts)
  const tx = load<i64>(st(i) + <usize>S_TX), ty = load<i64>(st(i) + <usize>S_TY), tz = load<i64>(st(i) + <usize>S_TZ);
  if ((tx | ty | tz) != 0) {
    sst(i, S_OX, load<i64>(st(i) + <usize>S_OX) + mulQ32Wide(tx, f));
    sst(i, S_OY, load<i64>(st(i) + <usize>S_OY) + mulQ32Wide(ty, f));
    sst(i, S_OZ, load<i64>(st(i) + <usize>S_OZ) + mulQ32Wide(tz, f));
    sst(i, S_TX, 0); sst(i, S_TY, 0); sst(i, S_TZ, 0);
  }
}

/**
 * Static velocity projection: each moving body, alone, sets its normal velocity against each
 * of its overlapping static contacts in contact order to the contact's target (bounce on a
 * new impact faster than the threshold, else stop, or the separating speed it had before
 * the substep): exactly, also when the push-out made it leave faster, so that push-out never
 * launches a body. Sequential per body, so walls and floors are hard in velocity as the
 * static projection makes them hard in position.
 */
function staticVelocitiesBody(i: i32): void {
  if (isRotatingShape(g32(P_SHAPE, i))) { boxStaticVelocities(i); return; }   // rotating box, hull or capsule: box-contacts.ts
  const threshold = thresholdQ32;
  const cc = g32(P_CCOUNT, i);
  if (cc == 0 || load<i32>(st(i) + <usize>S_NSTATIC) == 0 || !movesS(i)) return;
  const first = g32(P_CFIRST, i);
  for (let k = first; k < first + cc; k++) {
    const c = contactAt(k);
    const flags = load<i32>(c, C_FLAGS);
    if ((flags & (CF_ACTIVE | CF_J_STATIC)) != (CF_ACTIVE | CF_J_STATIC)) continue;
    const nx = <i64>load<i32>(c, C_NX), ny = <i64>load<i32>(c, C_NY), nz = <i64>load<i32>(c, C_NZ);
    const vx = load<i64>(st(i) + <usize>S_UX), vy = load<i64>(st(i) + <usize>S_UY), vz = load<i64>(st(i) + <usize>S_UZ);
    const vn = -rs16(nx * vx + ny * vy + nz * vz);
    const vpre = (<i64>load<i32>(c, C_VN_PRE) << 16);
    const target = normalTarget(c, flags, vpre, threshold);
    const dv = target - vn;
    if (dv == 0) continue;
    sst(i, S_UX, vx - mulr(dv, nx)); sst(i, S_UY, vy - mulr(dv, ny)); sst(i, S_UZ, vz - mulr(dv, nz));
  }
}

/**
 * Orientation of a spinning sphere over the tick (display only: a sphere's contacts do not
 * depend on it): q' = q + (dt / 2) (w, 0) q as in math/quat.integrate, then brought back to
 * unit length with two Newton steps of 1 / sqrt around 1, q *= (3 - |q|^2) / 2, which needs
 * neither a root nor a division (|q'|^2 - 1 is O((w dt)^2), and each step squares it).
 */
function integrateOrientation(i: i32, wx: i64, wy: i64, wz: i64, dt: i64): void {
  const qx = g64(P_QX, i), qy = g64(P_QY, i), qz = g64(P_QZ, i), qw = g64(P_QW, i);
  const hx = mul(wx, dt) >> 1, hy = mul(wy, dt) >> 1, hz = mul(wz, dt) >> 1;
  let x = qx + rs16(hx * qw + hy * qz - hz * qy);
  let y = qy + rs16(hy * qw + hz * qx - hx * qz);
  let z = qz + rs16(hz * qw + hx * qy - hy * qx);
  let w = qw - rs16(hx * qx + hy * qy + hz * qz);
  for (let k = 0; k < 2; k++) {
    const n2 = rs16(x * x + y * y + z * z + w * w);
    const f = (3 * ONE - n2) >> 1;
    x = mulr(x, f); y = mulr(y, f); z = mulr(z, f); w = mulr(w, f);
  }
  s64(P_QX, i, x); s64(P_QY, i, y); s64(P_QZ, i, z); s64(P_QW, i, w);
}

/**
 * End of tick for the awake bodies: back to Q16, orientation, forces cleared, sleep (sleep.ts).
 * Walks the awake list backwards, so a body falling asleep (swap-removed) only moves a visited one.
 */
function finishTick(nAwake: i32, dtQ16: i64): void {
  const sleepOn = hdr(H_SLEEP_ENABLED) != 0;
  for (let a = nAwake - 1; a >= 0; a--) {
    const i = g32(P_AWAKE, a);
    if (!movesOrKinematic(i)) continue;
    const f = g32(P_FLAGS, i);
    // the tick's result, rounded once to the Q16 state
    s64(P_PX, i, g64(P_X0X, i) + rs16(load<i64>(st(i) + <usize>S_DX)));
    s64(P_PY, i, g64(P_X0Y, i) + rs16(load<i64>(st(i) + <usize>S_DY)));
    s64(P_PZ, i, g64(P_X0Z, i) + rs16(load<i64>(st(i) + <usize>S_DZ)));
    if (g32(P_KIND, i) != KIND_DYNAMIC) continue;
    s64(P_VX, i, rs16(load<i64>(st(i) + <usize>S_UX))); s64(P_VY, i, rs16(load<i64>(st(i) + <usize>S_UY))); s64(P_VZ, i, rs16(load<i64>(st(i) + <usize>S_UZ)));
    s64(P_FX, i, 0); s64(P_FY, i, 0); s64(P_FZ, i, 0);
    const wx = rs16(load<i64>(st(i) + <usize>S_OX)), wy = rs16(load<i64>(st(i) + <usize>S_OY)), wz = rs16(load<i64>(st(i) + <usize>S_OZ));
    s64(P_WX, i, wx); s64(P_WY, i, wy); s64(P_WZ, i, wz);
    if (g32(P_SHAPE, i) == SHAPE_ROTATING_CAPSULE) capsuleIntegrateOrientation(i);   // in pieces: capsule-contacts.ts
    else if (isRotatingShape(g32(P_SHAPE, i)) || jointedNonBox(i, f)) boxIntegrateOrientation(i);   // by the solved rotation: box-contacts.ts (jointed spheres too: joints.ts)
    else if ((wx | wy | wz) != 0) integrateOrientation(i, wx, wy, wz, dtQ16);
    if (!sleepOn || (f & (FLAG_NO_SLEEP | FLAG_CHARACTER)) != 0) continue;
    restBody(i, dtQ16);
  }
}

// The tick being solved, from the bound world's header (tickConstants): each of solveBegin,
// solvePass and solveEnd reads it afresh, so shard worlds can take turns between them.
let tAwake = 0, tPart = 0, tCount = 0, tS: i64 = 0, tRate: i64 = 0;
let gx48: i64 = 0, gy48: i64 = 0, gz48: i64 = 0;

/** Loads the tick's counts and constants of the bound world (the awake list is fixed from solveBegin to finishTick). */
function tickConstants(): void {
  tAwake = <i32>hdr(H_AWAKE_COUNT); tPart = <i32>hdr(H_PART_COUNT); tCount = <i32>hdr(H_CONTACT_COUNT);
  tS = hdr(H_SUBSTEPS); tRate = hdr(H_TICK_RATE);
  invH = hdr(H_INV_H);
  hQ24 = ((<i64>1 << 24) + (invH >> 1)) / invH;
  pushQ32 = hdr(H_MAX_PUSH) << 16;
  thresholdQ32 = hdr(H_RESTITUTION_THRESHOLD) << 16;
  relaxQ16 = hdr(H_RELAX);
  boxTickConstants();
  // g dt in Q48 (raw Q16 * 2^32 / rate), split over the substeps without losing the remainder
  gx48 = (hdr(H_GRAVITY_X) << 32) / tRate; gy48 = (hdr(H_GRAVITY_Y) << 32) / tRate; gz48 = (hdr(H_GRAVITY_Z) << 32) / tRate;
}

/**
 * Starts the solver's tick over the contact list built by buildContacts: characters, the
 * participants' solver state, static contact counts, and the first substep's integration.
 * Then solvePass(p) for p in [0, 2 SUBSTEPS), then solveEnd(); solveTick runs all three. A
 * shard that exchanges border state per pass (shard.ts) runs them one at a time.
 */
export function solveBegin(): void {
  // the bodies that move this tick (awake list after the wake pass; fixed until finishTick),
  // and the participants (those plus their sleeping contact partners) whose STATE is read
  tickConstants();
  const nAwake = tAwake, nPart = tPart, count = tCount, S = tS;
  // characters read their ground from the contact list
  for (let a = 0; a < nAwake; a++) {
    const i = g32(P_AWAKE, a);
    if ((g32(P_FLAGS, i) & (FLAG_LIVE | FLAG_CHARACTER)) == (FLAG_LIVE | FLAG_CHARACTER) && moves(i)) characterControl(i);
  }
  // tick start: positions, Q32 solver state, cleared accumulators (every participant)
  for (let p = 0; p < nPart; p++) {
    const i = g32(P_PART, p);
    s64(P_X0X, i, g64(P_PX, i)); s64(P_X0Y, i, g64(P_PY, i)); s64(P_X0Z, i, g64(P_PZ, i));
    // The whole solver state starts from zero for every body: contact partners that do not move
    // (sleeping bodies) are read too, and must read this tick's zeros, not what was left from the
    // last tick they moved; leftovers made the step depend on history a body record does not
    // carry (a restored or freshly imported body stepped differently from a continuing one).
    memory.fill(st(i), 0, 256);
    sst32(i, S_MOVES, (g32(P_FLAGS, i) & FLAG_LIVE) != 0 && moves(i) ? 1 : 0);
    if (isRotatingShape(g32(P_SHAPE, i))) boxInertiaBegin(i);   // its contacts' I^-1 products read it
    if (!movesOrKinematic(i)) continue;
    sst(i, S_INV_MASS, g64(P_INV_MASS, i)); sst(i, S_INV_INERTIA, g64(P_INV_INERTIA, i));
    sst(i, S_DX, 0); sst(i, S_DY, 0); sst(i, S_DZ, 0);
    sst(i, S_UX, g64(P_VX, i) << 16); sst(i, S_UY, g64(P_VY, i) << 16); sst(i, S_UZ, g64(P_VZ, i) << 16);
    sst(i, S_OX, g64(P_WX, i) << 16); sst(i, S_OY, g64(P_WY, i) << 16); sst(i, S_OZ, g64(P_WZ, i) << 16);
    sst(i, S_RX, 0); sst(i, S_RY, 0); sst(i, S_RZ, 0);
    sst32(i, S_CNT, 0); sst32(i, S_CNT_V, 0);
    sst(i, S_AX, 0); sst(i, S_AY, 0); sst(i, S_AZ, 0);
    sst(i, S_TX, 0); sst(i, S_TY, 0); sst(i, S_TZ, 0);
  }
  // rotating-box contacts between bodies: their normal responses for the tick
  boxPrepareNormals(count);
  // static contacts per body: the static projections skip bodies without any
  for (let k = 0; k < count; k++) {
    const c = contactAt(k);
    if (load<i32>(c, C_FLAGS) & CF_J_STATIC) {
      const i = load<i32>(c, C_I);
      sst32(i, S_NSTATIC, load<i32>(st(i) + <usize>S_NSTATIC) + 1);
    }
  }
  // The per-body steps are fused into two sweeps per substep (the state is swept twice
  // instead of five times); each body's operations keep their order, so results are the
  // same bits as separate loops.
  gdvX = gravityIncrement(gx48, 0, S); gdvY = gravityIncrement(gy48, 0, S); gdvZ = gravityIncrement(gz48, 0, S);
  for (let a = 0; a < nAwake; a++) integrateBody(g32(P_AWAKE, a));
}

/**
 * Pass p of the tick (0 <= p < 2 SUBSTEPS): even p, substep p / 2's position pass and the
 * sweep that applies it (positions, then velocities from them); odd p, its velocity pass and
 * the sweep that applies it (and integrates the next substep). Each pass reads the state the
 * previous sweep left: one contact hop per pass.
 */
export function solvePass(p: i32): void {
  tickConstants();
  const nAwake = tAwake, s: i64 = <i64>(p >> 1);
  if ((p & 1) == 0) {
    positionPass(tCount);
    for (let a = 0; a < nAwake; a++) applyPositionsBody(g32(P_AWAKE, a));
    if (hdr(H_JOINT_HIGH_WATER) != 0) jointsPosition();   // joints, Gauss-Seidel in index order (joints.ts)
    return;
  }
  velocityPass(tCount);
  const next = s + 1 < tS;
  if (next) { gdvX = gravityIncrement(gx48, s + 1, tS); gdvY = gravityIncrement(gy48, s + 1, tS); gdvZ = gravityIncrement(gz48, s + 1, tS); }
  for (let a = 0; a < nAwake; a++) {
    const i = g32(P_AWAKE, a);
    applyVelocitiesBody(i);
    staticVelocitiesBody(i);
    if (next) integrateBody(i);
  }
}

/** Ends the solver's tick: the sleep rule's partner counters, then back to the Q16 state (finishTick). */
export function solveEnd(): void {
  tickConstants();
  const count = tCount, nAwake = tAwake, rate = tRate;
  // rest counters (state t) of the partners this tick's contacts touched (sleep.ts)
  if (hdr(H_SLEEP_ENABLED) != 0) restPartners(count);
  addWork(2 * nAwake + tPart + <i32>(2 * tS) * nAwake);
  finishTick(nAwake, ((<i64>1 << 16) + (rate >> 1)) / rate);
}

/** Runs the solver for one tick over the contact list built by buildContacts. */
export function solveTick(): void {
  solveBegin();
  const passes = <i32>(2 * hdr(H_SUBSTEPS));
  for (let p = 0; p < passes; p++) solvePass(p);
  solveEnd();
}

/**
 * The interaction range of one tick (raw metres, centre to centre at the start of the tick):
 * R = (2 S + 1) CELL_SIZE, CELL_SIZE = 2 maxBodyRadius + MARGIN of the configuration (as
 * sharded.ts worstCaseRange). See the module comment.
 */
export function interactionRange(): i64 {
  return (2 * hdr(H_SUBSTEPS) + 1) * hdr(H_CELL_SIZE);
}
