// Compound bodies (issue 18): one dynamic rigid body whose collision shape is a list of 2 to 16
// child shapes (spheres, rotating boxes, convex hulls, rotating capsules), each at a pose in the
// body's principal frame.
//
// A compound is a SHAPE_COMPOUND body of KIND_DYNAMIC whose geometry is a block in the GEOMETRY
// array (written by the bindings from src/physics/compound.ts; its word index in the body's
// CHAR_STEP field, as a hull's), shared by every body of that shape:
//
//   | SHAPE_COMPOUND | N | BOUND | HX | HY | HZ | INNER | 0 |                 8 header words
//   | N children x 16 words:                                                 |
//   |   SHAPE | PX PY PZ (raw, principal frame) | QX QY QZ QW (Q16)           |
//   |   RADIUS | HX HY HZ | BLOCK | INNER | 0 | 0                             |
//
// A child's RADIUS, HX..HZ and BLOCK are what a body of the child's shape keeps in its RADIUS,
// HX..HZ and CHAR_STEP fields (world.ts bodyCreate: a sphere's radius; a box's bounding sphere
// and half extents; a hull's bounding sphere, equivalent box and block; a rotating capsule's
// bounding sphere, radius and core half length); INNER is the radius of a sphere about the
// child's centre inside it (continuous collision). The body's BOUND is its bounding sphere about
// the centre of mass, HX..HZ its equivalent box (a solid cuboid with the compound's principal
// moments per unit mass, as a hull's), so the rotating box's inertia frame, lever-arm solver and
// orientation update (box-contacts.ts) apply to the compound unchanged.
//
// Narrowphase by posing: for each child (and, between two compounds, each pair of children
// whose bounding spheres come within reach), the body's slot fields (position, orientation,
// shape, RADIUS, HX..HZ, CHAR_STEP) are overwritten with the child's world pose (position
// P + R(Q) p, orientation Q * q) and the existing pair routine runs on the slot unchanged
// (collide.ts collidePlain: planes, static boxes, heightfields, meshes, spheres, capsules,
// boxes, hulls, rotating capsules); the slot is restored afterwards. The routine's contacts
// already name the compound's slot; a box-style contact's lever arm (box-contacts.ts
// putContact: from I's centre) is moved from the posed child's centre to the body's, and a
// sphere-style contact (scalar arms) is turned into a box-style one with its point midway
// between the surfaces, so the solver sees one rigid body with lever arms. Manifolds: up to 4
// points per child pair (as the routines make them), then, when a body pair has more and all
// their normals agree within about 18 degrees (one face: a table's legs on the floor), reduced
// to 4 for the body pair (collide.ts reduceManifold: a table's 16 leg points walked sideways
// on a plane); points on differently turned faces (a compound wedged between faces) are all
// kept (the rotating box's static solver takes up to 32 per body and substep, box-contacts.ts
// MAX_STATIC_POINTS).
//
// Continuous collision (solver.ts): each child's inner sphere at its offset is swept against
// the statics (as a hull's inner sphere), when the body moves more than a quarter of its
// least child inner radius in a substep. Ray casts and overlap queries (query.ts) pose each
// child in turn; sensors (sensors.ts) test each child (a hull child by its bounding sphere).
//
// All integer math; children in block order (deterministic).

import {
  P_PX, P_PY, P_PZ, P_QX, P_QY, P_QZ, P_QW, P_RADIUS, P_HX, P_HY, P_HZ, P_SHAPE, P_CHAR_STEP, P_GEOMETRY,
  SHAPE_SPHERE, SHAPE_BOX, SHAPE_HULL, SHAPE_ROTATING_CAPSULE, SHAPE_COMPOUND,
} from './layout';
import { g64, s64, g32, s32 } from './world';
import { boxAxesOf, boxAxis } from './box-contacts';
import { hullBlockValid } from './hull';
import { q16 } from '../math/fixed';

/** Header words of a compound block (the children follow). */
// @ts-ignore: decorator
@inline export const COMPOUND_HEADER_WORDS: i32 = 8;
/** Words per child of a compound block. */
// @ts-ignore: decorator
@inline export const COMPOUND_CHILD_WORDS: i32 = 16;
/** Least and most children of a compound (issue 18: several shapes on one body). */
// @ts-ignore: decorator
@inline export const COMPOUND_MIN_CHILDREN: i64 = 2;
// @ts-ignore: decorator
@inline export const COMPOUND_MAX_CHILDREN: i64 = 16;

/** Word k of the GEOMETRY array. */
// @ts-ignore: decorator
@inline function gw(k: i32): i64 { return load<i64>(P_GEOMETRY + (<usize>k << 3)); }

/** Word index of compound body s's geometry block. */
// @ts-ignore: decorator
@inline export function compoundBlock(s: i32): i32 { return <i32>g64(P_CHAR_STEP, s); }
/** Word k of the compound block at g (header: 1 N, 2 BOUND, 3..5 HX..HZ, 6 INNER). */
// @ts-ignore: decorator
@inline export function compoundWord(g: i32, k: i32): i64 { return gw(g + k); }
/** Children of compound body s. */
// @ts-ignore: decorator
@inline export function compoundCount(s: i32): i32 { return <i32>gw(compoundBlock(s) + 1); }
/** Word w of child k of compound body s (0 SHAPE, 1..3 position, 4..7 orientation, 8 RADIUS, 9..11 HX..HZ, 12 BLOCK, 13 INNER). */
// @ts-ignore: decorator
@inline export function childWord(s: i32, k: i32, w: i32): i64 {
  return gw(compoundBlock(s) + COMPOUND_HEADER_WORDS + k * COMPOUND_CHILD_WORDS + w);
}

/**
 * Whether a compound block of a believable size starts at word o of the first `used` words:
 * its shape word, 2..16 children of the four child shapes with positive sizes, a hull child's
 * block valid and before this one, positive extents, the whole block within `used`. Does not
 * check the mass properties (the bindings compute them).
 */
export function compoundBlockValid(o: i64, used: i64): bool {
  if (o < 0 || o + <i64>COMPOUND_HEADER_WORDS > used) return false;
  const w = <i32>o;
  if (gw(w) != <i64>SHAPE_COMPOUND) return false;
  const n = gw(w + 1);
  if (n < COMPOUND_MIN_CHILDREN || n > COMPOUND_MAX_CHILDREN) return false;
  if (o + <i64>COMPOUND_HEADER_WORDS + n * <i64>COMPOUND_CHILD_WORDS > used) return false;
  if (gw(w + 2) <= 0 || gw(w + 3) <= 0 || gw(w + 4) <= 0 || gw(w + 5) <= 0 || gw(w + 6) <= 0) return false;
  for (let k = 0; k < <i32>n; k++) {
    const c = w + COMPOUND_HEADER_WORDS + k * COMPOUND_CHILD_WORDS;
    const sh = <i32>gw(c);
    if (sh != SHAPE_SPHERE && sh != SHAPE_BOX && sh != SHAPE_HULL && sh != SHAPE_ROTATING_CAPSULE) return false;
    if (gw(c + 8) <= 0 || gw(c + 13) <= 0) return false;
    if (sh == SHAPE_BOX && (gw(c + 9) <= 0 || gw(c + 10) <= 0 || gw(c + 11) <= 0)) return false;
    if (sh == SHAPE_ROTATING_CAPSULE && (gw(c + 9) <= 0 || gw(c + 10) <= 0)) return false;
    if (sh == SHAPE_HULL && (gw(c + 12) >= o || !hullBlockValid(gw(c + 12), o))) return false;
  }
  return true;
}

// ---- posing a child in the body's slot ----

// The saved fields of the two slots that may be posed at once (0: the pair's I, 1: its J).
let a0: i64 = 0, a1: i64 = 0, a2: i64 = 0, a3: i64 = 0, a4: i64 = 0, a5: i64 = 0, a6: i64 = 0, a7: i64 = 0, a8: i64 = 0, a9: i64 = 0, a10: i64 = 0, a11: i64 = 0;
let b0: i64 = 0, b1: i64 = 0, b2: i64 = 0, b3: i64 = 0, b4: i64 = 0, b5: i64 = 0, b6: i64 = 0, b7: i64 = 0, b8: i64 = 0, b9: i64 = 0, b10: i64 = 0, b11: i64 = 0;
// Rotation matrices (component c of axis k at 3 k + c, Q16) of the two saved slots.
let ra0: i64 = 0, ra1: i64 = 0, ra2: i64 = 0, ra3: i64 = 0, ra4: i64 = 0, ra5: i64 = 0, ra6: i64 = 0, ra7: i64 = 0, ra8: i64 = 0;
let rb0: i64 = 0, rb1: i64 = 0, rb2: i64 = 0, rb3: i64 = 0, rb4: i64 = 0, rb5: i64 = 0, rb6: i64 = 0, rb7: i64 = 0, rb8: i64 = 0;

/** Offset of the last poseChild: the posed child's centre minus the body's (raw). */
export let poseDX: i64 = 0, poseDY: i64 = 0, poseDZ: i64 = 0;

/**
 * Saves compound body s's slot fields (which = 0 or 1) and its rotation matrix; poseChild and
 * restoreSlot use them. Uses the box scratch's axes (boxAxesOf): call before a narrowphase.
 */
export function saveSlot(which: i32, s: i32): void {
  boxAxesOf(s);
  if (which == 0) {
    a0 = g64(P_PX, s); a1 = g64(P_PY, s); a2 = g64(P_PZ, s); a3 = g64(P_QX, s); a4 = g64(P_QY, s); a5 = g64(P_QZ, s); a6 = g64(P_QW, s);
    a7 = g64(P_RADIUS, s); a8 = g64(P_HX, s); a9 = g64(P_HY, s); a10 = g64(P_HZ, s); a11 = g64(P_CHAR_STEP, s);
    ra0 = boxAxis(0, 0); ra1 = boxAxis(0, 1); ra2 = boxAxis(0, 2); ra3 = boxAxis(1, 0); ra4 = boxAxis(1, 1); ra5 = boxAxis(1, 2);
    ra6 = boxAxis(2, 0); ra7 = boxAxis(2, 1); ra8 = boxAxis(2, 2);
  } else {
    b0 = g64(P_PX, s); b1 = g64(P_PY, s); b2 = g64(P_PZ, s); b3 = g64(P_QX, s); b4 = g64(P_QY, s); b5 = g64(P_QZ, s); b6 = g64(P_QW, s);
    b7 = g64(P_RADIUS, s); b8 = g64(P_HX, s); b9 = g64(P_HY, s); b10 = g64(P_HZ, s); b11 = g64(P_CHAR_STEP, s);
    rb0 = boxAxis(0, 0); rb1 = boxAxis(0, 1); rb2 = boxAxis(0, 2); rb3 = boxAxis(1, 0); rb4 = boxAxis(1, 1); rb5 = boxAxis(1, 2);
    rb6 = boxAxis(2, 0); rb7 = boxAxis(2, 1); rb8 = boxAxis(2, 2);
  }
}

/**
 * Poses child k of the compound saved as `which` (saveSlot) in its slot s: shape, world
 * position P + R(Q) p, orientation Q * q (Q16 quaternion product), RADIUS, HX..HZ and
 * CHAR_STEP of the child's shape; poseDX..poseDZ = the child's centre minus the body's.
 * The block is read through the saved CHAR_STEP (the slot's is the child's afterwards).
 */
export function poseChild(which: i32, s: i32, k: i32): void {
  const g = <i32>(which == 0 ? a11 : b11) + COMPOUND_HEADER_WORDS + k * COMPOUND_CHILD_WORDS;
  const lx = gw(g + 1), ly = gw(g + 2), lz = gw(g + 3);
  const cx = gw(g + 4), cy = gw(g + 5), cz = gw(g + 6), cw = gw(g + 7);
  let px: i64, py: i64, pz: i64, qx: i64, qy: i64, qz: i64, qw: i64;
  if (which == 0) {
    px = a0; py = a1; pz = a2; qx = a3; qy = a4; qz = a5; qw = a6;
    poseDX = q16(lx * ra0 + ly * ra3 + lz * ra6); poseDY = q16(lx * ra1 + ly * ra4 + lz * ra7); poseDZ = q16(lx * ra2 + ly * ra5 + lz * ra8);
  } else {
    px = b0; py = b1; pz = b2; qx = b3; qy = b4; qz = b5; qw = b6;
    poseDX = q16(lx * rb0 + ly * rb3 + lz * rb6); poseDY = q16(lx * rb1 + ly * rb4 + lz * rb7); poseDZ = q16(lx * rb2 + ly * rb5 + lz * rb8);
  }
  s32(P_SHAPE, s, <i32>gw(g));
  s64(P_PX, s, px + poseDX); s64(P_PY, s, py + poseDY); s64(P_PZ, s, pz + poseDZ);
  s64(P_QW, s, q16(qw * cw - qx * cx - qy * cy - qz * cz));
  s64(P_QX, s, q16(qw * cx + qx * cw + qy * cz - qz * cy));
  s64(P_QY, s, q16(qw * cy - qx * cz + qy * cw + qz * cx));
  s64(P_QZ, s, q16(qw * cz + qx * cy - qy * cx + qz * cw));
  s64(P_RADIUS, s, gw(g + 8));
  s64(P_HX, s, gw(g + 9)); s64(P_HY, s, gw(g + 10)); s64(P_HZ, s, gw(g + 11));
  s64(P_CHAR_STEP, s, gw(g + 12));
}

/** Child k's bounding-sphere radius (raw) of the compound saved as `which`. */
export function savedChildRadius(which: i32, k: i32): i64 {
  return gw(<i32>(which == 0 ? a11 : b11) + COMPOUND_HEADER_WORDS + k * COMPOUND_CHILD_WORDS + 8);
}
/** Children of the compound saved as `which`. */
export function savedCount(which: i32): i32 { return <i32>gw(<i32>(which == 0 ? a11 : b11) + 1); }

/** Puts the saved fields (saveSlot) back into slot s: the compound body as it was. */
export function restoreSlot(which: i32, s: i32): void {
  s32(P_SHAPE, s, SHAPE_COMPOUND);
  if (which == 0) {
    s64(P_PX, s, a0); s64(P_PY, s, a1); s64(P_PZ, s, a2); s64(P_QX, s, a3); s64(P_QY, s, a4); s64(P_QZ, s, a5); s64(P_QW, s, a6);
    s64(P_RADIUS, s, a7); s64(P_HX, s, a8); s64(P_HY, s, a9); s64(P_HZ, s, a10); s64(P_CHAR_STEP, s, a11);
  } else {
    s64(P_PX, s, b0); s64(P_PY, s, b1); s64(P_PZ, s, b2); s64(P_QX, s, b3); s64(P_QY, s, b4); s64(P_QZ, s, b5); s64(P_QW, s, b6);
    s64(P_RADIUS, s, b7); s64(P_HX, s, b8); s64(P_HY, s, b9); s64(P_HZ, s, b10); s64(P_CHAR_STEP, s, b11);
  }
}
