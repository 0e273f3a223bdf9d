// Exported math API for JavaScript (tests, benchmarks, bindings). Scalars are i64 raw
// Q47.16 (BigInt in JavaScript). Vectors and quaternions are read from / written to raw
// memory as consecutive i64 components (x, y, z[, w]), 8-byte aligned pointers:
//
//   vec3 at p: | x i64 | y i64 | z i64 |            24 bytes
//   quat at p: | x i64 | y i64 | z i64 | w i64 |    32 bytes
//
// The simulation calls the functions in assembly/math/ directly; these wrappers only move
// values between memory and the result registers.

import * as fx from '../math/fixed';
import * as trig from '../math/trig';
import * as v3 from '../math/vec3';
import * as q from '../math/quat';
import { rx, ry, rz, rw } from '../math/registers';

// @ts-ignore: decorator
@inline function store3(out: usize): void {
  store<i64>(out, rx); store<i64>(out, ry, 8); store<i64>(out, rz, 16);
}

// @ts-ignore: decorator
@inline function store4(out: usize): void {
  store<i64>(out, rx); store<i64>(out, ry, 8); store<i64>(out, rz, 16); store<i64>(out, rw, 24);
}

/** Integer n to Q47.16. */
export function fxFromInt(n: i32): i64 { return fx.fromInt(n); }
/** round(num * 2^16 / den); den == 0 saturates. */
export function fxFromRatio(num: i64, den: i64): i64 { return fx.fromRatio(num, den); }
/** floor(x). */
export function fxToIntFloor(x: i64): i64 { return fx.toIntFloor(x); }
/** x rounded to an integer, ties away from zero. */
export function fxToIntRound(x: i64): i64 { return fx.toIntRound(x); }
/** Wrapping a + b. */
export function fxAdd(a: i64, b: i64): i64 { return fx.add(a, b); }
/** Wrapping a - b. */
export function fxSub(a: i64, b: i64): i64 { return fx.sub(a, b); }
/** a * b, correctly rounded (see fixed.mul for the domain). */
export function fxMul(a: i64, b: i64): i64 { return fx.mul(a, b); }
/** a / b, correctly rounded (see fixed.div for the domain). */
export function fxDiv(a: i64, b: i64): i64 { return fx.div(a, b); }
/** |x| (wraps at MIN). */
export function fxAbs(x: i64): i64 { return fx.abs(x); }
/** min(a, b). */
export function fxMin(a: i64, b: i64): i64 { return fx.min(a, b); }
/** max(a, b). */
export function fxMax(a: i64, b: i64): i64 { return fx.max(a, b); }
/** x clamped to [lo, hi]. */
export function fxClamp(x: i64, lo: i64, hi: i64): i64 { return fx.clamp(x, lo, hi); }
/** a + (b - a) t. */
export function fxLerp(a: i64, b: i64, t: i64): i64 { return fx.lerp(a, b, t); }
/** sqrt(x), correctly rounded; x < 0 gives 0. */
export function fxSqrt(x: i64): i64 { return fx.sqrt(x); }
/** 1 / sqrt(x), correctly rounded; x <= 0 gives MAX. */
export function fxRsqrt(x: i64): i64 { return fx.rsqrt(x); }
/** sin(x), x in radians; error <= 0.5 + 2^-10 ulp for |x| < 32768. */
export function fxSin(x: i64): i64 { return trig.sin(x); }
/** cos(x), x in radians; error <= 0.5 + 2^-10 ulp for |x| < 32768. */
export function fxCos(x: i64): i64 { return trig.cos(x); }
/** atan2(y, x) in [-pi, pi]; error <= 0.5 + 2^-10 ulp. */
export function fxAtan2(y: i64, x: i64): i64 { return trig.atan2(y, x); }

/** a . b for vec3 pointers. */
export function v3Dot(a: usize, b: usize): i64 {
  return v3.dot(load<i64>(a), load<i64>(a, 8), load<i64>(a, 16), load<i64>(b), load<i64>(b, 8), load<i64>(b, 16));
}
/** out = a x b. */
export function v3Cross(out: usize, a: usize, b: usize): void {
  v3.cross(load<i64>(a), load<i64>(a, 8), load<i64>(a, 16), load<i64>(b), load<i64>(b, 8), load<i64>(b, 16));
  store3(out);
}
/** |a|. */
export function v3Length(a: usize): i64 {
  return v3.length(load<i64>(a), load<i64>(a, 8), load<i64>(a, 16));
}
/** out = a / |a| (zero stays zero). */
export function v3Normalize(out: usize, a: usize): void {
  v3.normalize(load<i64>(a), load<i64>(a, 8), load<i64>(a, 16));
  store3(out);
}
/** out = a + (b - a) t. */
export function v3Lerp(out: usize, a: usize, b: usize, t: i64): void {
  v3.lerp(load<i64>(a), load<i64>(a, 8), load<i64>(a, 16), load<i64>(b), load<i64>(b, 8), load<i64>(b, 16), t);
  store3(out);
}

/** out = a * b (Hamilton product). */
export function qMul(out: usize, a: usize, b: usize): void {
  q.mul(
    load<i64>(a), load<i64>(a, 8), load<i64>(a, 16), load<i64>(a, 24),
    load<i64>(b), load<i64>(b, 8), load<i64>(b, 16), load<i64>(b, 24),
  );
  store4(out);
}
/** out = a / |a|. */
export function qNormalize(out: usize, a: usize): void {
  q.normalize(load<i64>(a), load<i64>(a, 8), load<i64>(a, 16), load<i64>(a, 24));
  store4(out);
}
/** out (vec3) = v rotated by the unit quaternion qp. */
export function qRotate(out: usize, qp: usize, v: usize): void {
  q.rotate(
    load<i64>(qp), load<i64>(qp, 8), load<i64>(qp, 16), load<i64>(qp, 24),
    load<i64>(v), load<i64>(v, 8), load<i64>(v, 16),
  );
  store3(out);
}
/** out = normalize(q + dt/2 (w, 0) q): w a vec3 in rad/s, dt in seconds (Q47.16). */
export function qIntegrate(out: usize, qp: usize, w: usize, dt: i64): void {
  q.integrate(
    load<i64>(qp), load<i64>(qp, 8), load<i64>(qp, 16), load<i64>(qp, 24),
    load<i64>(w), load<i64>(w, 8), load<i64>(w, 16), dt,
  );
  store4(out);
}

/** sqrtFast of a u64 (the physics' square root; relative error < 2^-16). */
export function fxSqrtFast(x: u64): u64 { return fx.sqrtFast(x); }
