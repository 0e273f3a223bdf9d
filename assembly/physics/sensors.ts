// Sensors (trigger zones): the exact overlap test of one sensor with one body record.
//
// A sensor is not a body (src/physics/sensors.ts keeps the sensors, who is inside each and the
// BEGIN / END events, and calls this for each body its bounds prefilter keeps): nothing here
// writes memory, so a world with sensors steps bit for bit as without them.
//
// The record is a body record (transfer.ts writeBodyRecord: BODY_RECORD in
// src/physics/world-layout.ts) anywhere in memory: the bound world's HASH_REC after bodyExport,
// or a slot of a sharded world's published board, so both worlds run the same test on the
// same bits. Integers only (raw Q47.16 metres); "overlap" is strict: touching is outside.
//
// Shapes: the sensor is an axis-aligned box (centre c, half extents e) or a sphere (centre c,
// radius r). The body is a sphere or an upright capsule (a vertical core segment of half
// height HY plus RADIUS, as collide.ts), or an oriented box (half extents HX HY HZ, unit
// quaternion Q16): against a sphere sensor, the closest point of the box to the centre;
// against a box sensor, the separating axis test with the 15 axes of two boxes (Ericson,
// Real-Time Collision Detection, 4.4.1 and 5.1.4), or a rotating capsule (core of half length
// HY along its local y, radius HX: capsule-contacts.ts; against a sphere sensor, the core point
// closest to the centre; against a box sensor, the core point closest to the box by alternating
// projection, 4 rounds, as capsule-contacts.ts), or a compound (compound.ts: each child in turn,
// posed by the body's position and rotation; box and rotating-capsule children as above, sphere
// children exactly, hull children by their bounding sphere). Any other moving shape is tested
// by its bounding sphere (RADIUS: world.ts boundingRadius), so a shape added later is never
// missed.
//
// Ranges (no product overflows i64): sensor extents and radius up to 2^30 raw (16,384 m,
// src/physics/sensors.ts refuses more), body sizes up to 2^24 raw (256 m); every distance is
// compared with an early out before it is squared or multiplied by an axis (|axis| <= 2^17).

import { SHAPE_SPHERE, SHAPE_CAPSULE, SHAPE_BOX, SHAPE_ROTATING_CAPSULE, SHAPE_COMPOUND, P_GEOMETRY } from './layout';
import { q16 } from '../math/fixed';

// BODY_RECORD byte offsets (src/physics/world-layout.ts)
// @ts-ignore: decorator
@inline const R_SHAPE: usize = 8;
// @ts-ignore: decorator
@inline const R_PX: usize = 32;
// @ts-ignore: decorator
@inline const R_QX: usize = 104;
// @ts-ignore: decorator
@inline const R_RADIUS: usize = 136;
// @ts-ignore: decorator
@inline const R_HX: usize = 144;
// @ts-ignore: decorator
@inline const R_CHAR_STEP: usize = 272;

// Rotation matrix of the box being tested, Q16, column k = the box's local axis k in the world.
let m00: i64 = 0, m01: i64 = 0, m02: i64 = 0, m10: i64 = 0, m11: i64 = 0, m12: i64 = 0, m20: i64 = 0, m21: i64 = 0, m22: i64 = 0;

/** Sets m.. from the raw Q16 quaternion at the record (the standard unit-quaternion matrix). */
function rotation(rec: usize): void {
  rotationOf(load<i64>(rec, R_QX), load<i64>(rec, R_QX + 8), load<i64>(rec, R_QX + 16), load<i64>(rec, R_QX + 24));
}

/** Sets m.. from the raw Q16 quaternion (x, y, z, w). */
function rotationOf(x: i64, y: i64, z: i64, w: i64): void {
  const one: i64 = 1 << 32;
  m00 = q16(one - 2 * (y * y + z * z)); m01 = q16(2 * (x * y - z * w)); m02 = q16(2 * (x * z + y * w));
  m10 = q16(2 * (x * y + z * w)); m11 = q16(one - 2 * (x * x + z * z)); m12 = q16(2 * (y * z - x * w));
  m20 = q16(2 * (x * z - y * w)); m21 = q16(2 * (y * z + x * w)); m22 = q16(one - 2 * (x * x + y * y));
}

// @ts-ignore: decorator
@inline function absI(x: i64): i64 { return x < 0 ? -x : x; }

/**
 * Separating axis test on axis L (Q16 components): true when the sensor box (half extents e)
 * and the body box (half extents a, axes m..) are separated along L, the centres d apart.
 * A zero axis (parallel edges) separates nothing.
 */
function separated(lx: i64, ly: i64, lz: i64, dx: i64, dy: i64, dz: i64, ex: i64, ey: i64, ez: i64, ax: i64, ay: i64, az: i64): bool {
  if (lx == 0 && ly == 0 && lz == 0) return false;
  const t = absI(dx * lx + dy * ly + dz * lz);                       // raw x 2^16
  const rA = ex * absI(lx) + ey * absI(ly) + ez * absI(lz);           // raw x 2^16
  const rB = ax * absI(lx * m00 + ly * m10 + lz * m20)                // raw x 2^32
    + ay * absI(lx * m01 + ly * m11 + lz * m21)
    + az * absI(lx * m02 + ly * m12 + lz * m22);
  return t >= rA + (rB >> 16);
}

// @ts-ignore: decorator
@inline function clampI(x: i64, lo: i64, hi: i64): i64 { return x < lo ? lo : (x > hi ? hi : x); }

/**
 * sensorOverlap for a rotating capsule's record (d: its centre minus the sensor's, raw): the
 * distance from the sensor to the core point nearest it, below the capsule's radius (strict).
 */
function capsuleOverlap(rec: usize, box: i32, dx: i64, dy: i64, dz: i64, ex: i64, ey: i64, ez: i64, r: i64): i32 {
  return capsuleCore(rec, box, dx, dy, dz, ex, ey, ez, r, load<i64>(rec, R_HX), load<i64>(rec, R_HX + 8));
}

/** capsuleOverlap for radius rb and core half length h; its rotation from the record at rec, or (rec = 0) already in m... */
function capsuleCore(rec: usize, box: i32, dx: i64, dy: i64, dz: i64, ex: i64, ey: i64, ez: i64, r: i64, rb: i64, h: i64): i32 {
  const gx = (box != 0 ? ex : r) + rb + h, gy = (box != 0 ? ey : r) + rb + h, gz = (box != 0 ? ez : r) + rb + h;
  if (absI(dx) >= gx || absI(dy) >= gy || absI(dz) >= gz) return 0;
  if (rec != 0) rotation(rec);
  const ax = m01, ay = m11, az = m21;                                 // the core's axis (local y)
  let t = clampI(-q16(dx * ax + dy * ay + dz * az), -h, h);
  if (box == 0) {
    const px = dx + q16(t * ax), py = dy + q16(t * ay), pz = dz + q16(t * az), rr = rb + r;
    if (absI(px) >= rr || absI(py) >= rr || absI(pz) >= rr) return 0;
    return px * px + py * py + pz * pz < rr * rr ? 1 : 0;
  }
  for (let it = 0; it < 4; it++) {
    const px = dx + q16(t * ax), py = dy + q16(t * ay), pz = dz + q16(t * az);
    const qx = clampI(px, -ex, ex), qy = clampI(py, -ey, ey), qz = clampI(pz, -ez, ez);
    t = clampI(q16((qx - dx) * ax + (qy - dy) * ay + (qz - dz) * az), -h, h);
  }
  const px = dx + q16(t * ax), py = dy + q16(t * ay), pz = dz + q16(t * az);
  const wx = absI(px) - ex, wy = absI(py) - ey, wz = absI(pz) - ez;
  if (wx >= rb || wy >= rb || wz >= rb) return 0;
  const ux = wx > 0 ? wx : 0, uy = wy > 0 ? wy : 0, uz = wz > 0 ? wz : 0;
  return ux * ux + uy * uy + uz * uz < rb * rb ? 1 : 0;
}

/**
 * 1 when the body record at `rec` overlaps the sensor: a box (`box` != 0: centre c, half
 * extents e) or a sphere (`box` == 0: centre c, radius r); else 0. Raw Q47.16 metres (see the
 * module comment for shapes and ranges). Reads memory only.
 */
export function sensorOverlap(rec: usize, box: i32, cx: i64, cy: i64, cz: i64, ex: i64, ey: i64, ez: i64, r: i64): i32 {
  const shape = load<i32>(rec, R_SHAPE);
  const dx = load<i64>(rec, R_PX) - cx, dy = load<i64>(rec, R_PX + 8) - cy, dz = load<i64>(rec, R_PX + 16) - cz;
  if (shape == SHAPE_ROTATING_CAPSULE) return capsuleOverlap(rec, box, dx, dy, dz, ex, ey, ez, r);
  if (shape == SHAPE_COMPOUND) return compoundOverlap(rec, box, dx, dy, dz, ex, ey, ez, r);
  if (shape != SHAPE_BOX) return sphereOverlap(box, dx, dy, dz, ex, ey, ez, r, load<i64>(rec, R_RADIUS), shape == SHAPE_CAPSULE ? load<i64>(rec, R_HX + 8) : 0);
  return boxOverlap(rec, box, dx, dy, dz, ex, ey, ez, r, load<i64>(rec, R_HX), load<i64>(rec, R_HX + 8), load<i64>(rec, R_HX + 16));
}

/** A sphere of radius rb (or an upright capsule, core half height h) at d from the sensor's centre: sensorOverlap's test. */
function sphereOverlap(box: i32, dx: i64, dy: i64, dz: i64, ex: i64, ey: i64, ez: i64, r: i64, rb: i64, h: i64): i32 {
  if (box != 0) {
    let gx = absI(dx) - ex, gy = absI(dy) - ey - h, gz = absI(dz) - ez;
    if (gx >= rb || gy >= rb || gz >= rb) return 0;
    gx = gx > 0 ? gx : 0; gy = gy > 0 ? gy : 0; gz = gz > 0 ? gz : 0;
    return gx * gx + gy * gy + gz * gz < rb * rb ? 1 : 0;
  }
  let gy = absI(dy) - h;
  gy = gy > 0 ? gy : 0;
  const rr = rb + r;
  if (absI(dx) >= rr || gy >= rr || absI(dz) >= rr) return 0;
  return dx * dx + gy * gy + dz * dz < rr * rr ? 1 : 0;
}

/** An oriented box of half extents a at d from the sensor's centre; its rotation from the record at rec, or (rec = 0) already in m..: sensorOverlap's test. */
function boxOverlap(rec: usize, box: i32, dx: i64, dy: i64, dz: i64, ex: i64, ey: i64, ez: i64, r: i64, ax: i64, ay: i64, az: i64): i32 {
  const bound = ax + ay + az;                                         // >= the box's reach
  if (absI(dx) >= r + ex + bound || absI(dy) >= r + ey + bound || absI(dz) >= r + ez + bound) return 0;
  if (rec != 0) rotation(rec);
  if (box == 0) {
    // closest point of the box to the sphere's centre, in the box's frame
    if (absI(dx) >= r + bound || absI(dy) >= r + bound || absI(dz) >= r + bound) return 0;
    const px = -dx, py = -dy, pz = -dz;                               // sphere centre - box centre
    let d2: i64 = 0;
    for (let k = 0; k < 3; k++) {
      const ux = k == 0 ? m00 : (k == 1 ? m01 : m02), uy = k == 0 ? m10 : (k == 1 ? m11 : m12), uz = k == 0 ? m20 : (k == 1 ? m21 : m22);
      const a = k == 0 ? ax : (k == 1 ? ay : az);
      const l = (px * ux + py * uy + pz * uz) >> 16;                  // raw, along local axis k
      const g = l > a ? l - a : (l < -a ? -a - l : 0);
      if (g >= r) return 0;
      d2 += g * g;
    }
    return d2 < r * r ? 1 : 0;
  }
  // separating axes; first the bounding cube (no product before |d| is bounded), then the
  // sensor's (world) axes, the box's, and the 9 cross products
  if (absI(dx) >= ex + bound || absI(dy) >= ey + bound || absI(dz) >= ez + bound) return 0;
  const o: i64 = 65536;
  if (separated(o, 0, 0, dx, dy, dz, ex, ey, ez, ax, ay, az)) return 0;
  if (separated(0, o, 0, dx, dy, dz, ex, ey, ez, ax, ay, az)) return 0;
  if (separated(0, 0, o, dx, dy, dz, ex, ey, ez, ax, ay, az)) return 0;
  if (separated(m00, m10, m20, dx, dy, dz, ex, ey, ez, ax, ay, az)) return 0;
  if (separated(m01, m11, m21, dx, dy, dz, ex, ey, ez, ax, ay, az)) return 0;
  if (separated(m02, m12, m22, dx, dy, dz, ex, ey, ez, ax, ay, az)) return 0;
  // world axis i x body axis k: x × u = (0, -uz, uy), y × u = (uz, 0, -ux), z × u = (-uy, ux, 0)
  for (let k = 0; k < 3; k++) {
    const ux = k == 0 ? m00 : (k == 1 ? m01 : m02), uy = k == 0 ? m10 : (k == 1 ? m11 : m12), uz = k == 0 ? m20 : (k == 1 ? m21 : m22);
    if (separated(0, -uz, uy, dx, dy, dz, ex, ey, ez, ax, ay, az)) return 0;
    if (separated(uz, 0, -ux, dx, dy, dz, ex, ey, ez, ax, ay, az)) return 0;
    if (separated(-uy, ux, 0, dx, dy, dz, ex, ey, ez, ax, ay, az)) return 0;
  }
  return 1;
}

/** Word k of the GEOMETRY array. */
// @ts-ignore: decorator
@inline function gw(k: i32): i64 { return load<i64>(P_GEOMETRY + (<usize>k << 3)); }

/**
 * A compound's record (compound.ts; d: its centre minus the sensor's, raw): 1 when one of its
 * children overlaps the sensor, each posed by the body's rotation (child centre d + R p, child
 * rotation Q q as compound.ts poseChild): boxes and rotating capsules by their own tests,
 * spheres exactly, hulls by their bounding spheres. The body's bounding sphere first.
 */
function compoundOverlap(rec: usize, box: i32, dx: i64, dy: i64, dz: i64, ex: i64, ey: i64, ez: i64, r: i64): i32 {
  const rb = load<i64>(rec, R_RADIUS);
  if (absI(dx) >= (box != 0 ? ex : r) + rb || absI(dy) >= (box != 0 ? ey : r) + rb || absI(dz) >= (box != 0 ? ez : r) + rb) return 0;
  const g = <i32>load<i64>(rec, R_CHAR_STEP);
  const qx = load<i64>(rec, R_QX), qy = load<i64>(rec, R_QX + 8), qz = load<i64>(rec, R_QX + 16), qw = load<i64>(rec, R_QX + 24);
  rotationOf(qx, qy, qz, qw);
  const b00 = m00, b01 = m01, b02 = m02, b10 = m10, b11 = m11, b12 = m12, b20 = m20, b21 = m21, b22 = m22;
  const n = <i32>gw(g + 1);
  for (let k = 0; k < n; k++) {
    const c = g + 8 + 16 * k;
    const shape = <i32>gw(c);
    const px = gw(c + 1), py = gw(c + 2), pz = gw(c + 3);
    const cx = dx + q16(b00 * px + b01 * py + b02 * pz), cy = dy + q16(b10 * px + b11 * py + b12 * pz), cz = dz + q16(b20 * px + b21 * py + b22 * pz);
    let hit: i32 = 0;
    if (shape == SHAPE_BOX || shape == SHAPE_ROTATING_CAPSULE) {
      const x = gw(c + 4), y = gw(c + 5), z = gw(c + 6), w = gw(c + 7);
      rotationOf(q16(qw * x + qx * w + qy * z - qz * y), q16(qw * y - qx * z + qy * w + qz * x), q16(qw * z + qx * y - qy * x + qz * w), q16(qw * w - qx * x - qy * y - qz * z));
      hit = shape == SHAPE_BOX
        ? boxOverlap(0, box, cx, cy, cz, ex, ey, ez, r, gw(c + 9), gw(c + 10), gw(c + 11))
        : capsuleCore(0, box, cx, cy, cz, ex, ey, ez, r, gw(c + 9), gw(c + 10));
    } else {
      hit = sphereOverlap(box, cx, cy, cz, ex, ey, ez, r, gw(c + 8), 0);   // a sphere; a hull by its bounding sphere
    }
    if (hit != 0) return 1;
  }
  return 0;
}
