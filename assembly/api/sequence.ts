// A seeded, counter-based sequence of math operations, for the cross-thread determinism
// test and as a smoke test of the whole math core. Item i depends only on (seed, i), so
// threads can compute disjoint ranges into one shared buffer and must reproduce the
// single-thread bytes exactly.
//
// Output: item i writes SEQ_ITEM_BYTES at out + i * SEQ_ITEM_BYTES:
//   | mul | div | sqrt | rsqrt | sin | cos | atan2 | length | normalize xyz | rotate xyz |
//   | quat integrate xyzw | quat mul xyzw |                      (22 x i64 = 176 bytes)

import * as fx from '../math/fixed';
import * as trig from '../math/trig';
import * as v3 from '../math/vec3';
import * as q from '../math/quat';
import { rx, ry, rz, rw } from '../math/registers';
import { splitmixAt } from '../math/splitmix';

/** Bytes written per sequence item. */
export const SEQ_ITEM_BYTES: i32 = 176;

// A value with a random magnitude of up to `bits` bits and a random sign.
// @ts-ignore: decorator
@inline function sized(r: u64, bits: i32): i64 {
  const shift = <u64>(64 - 1 - <i32>(r % <u64>bits));
  return (<i64>r >> <i64>shift) | 1;                    // random sign, never zero
}

/**
 * Runs items [start, start + count) of the sequence for `seed`, writing each item to
 * out + i * SEQ_ITEM_BYTES (i is the absolute item index). Inputs stay inside every
 * function's documented domain.
 */
export function mathSequence(seed: u64, start: i32, count: i32, out: usize): void {
  for (let i = start, end = start + count; i < end; i++) {
    const base = <u64>i * 8;
    const a = sized(splitmixAt(seed, base), 40) >> 8;       // |a| < 2^31 raw
    const b = sized(splitmixAt(seed, base + 1), 30);
    const c = sized(splitmixAt(seed, base + 2), 30);
    const d = sized(splitmixAt(seed, base + 3), 30);
    const ang = sized(splitmixAt(seed, base + 4), 31);
    let p = out + <usize>i * SEQ_ITEM_BYTES;
    store<i64>(p, fx.mul(a >> 2, b));
    store<i64>(p, fx.div(a, b), 8);
    store<i64>(p, fx.sqrt(fx.abs(a)), 16);
    store<i64>(p, fx.rsqrt(fx.abs(b)), 24);
    store<i64>(p, trig.sin(ang), 32);
    store<i64>(p, trig.cos(ang), 40);
    store<i64>(p, trig.atan2(c, d), 48);
    store<i64>(p, v3.length(b, c, d), 56);
    v3.normalize(b, c, d);
    store<i64>(p, rx, 64); store<i64>(p, ry, 72); store<i64>(p, rz, 80);
    q.normalize(b, c, d, a);
    const qx = rx, qy = ry, qz = rz, qw = rw;
    q.rotate(qx, qy, qz, qw, b, c, d);
    store<i64>(p, rx, 88); store<i64>(p, ry, 96); store<i64>(p, rz, 104);
    q.integrate(qx, qy, qz, qw, c >> 8, d >> 8, b >> 8, 1092);   // dt ~ 1/60 s
    store<i64>(p, rx, 112); store<i64>(p, ry, 120); store<i64>(p, rz, 128); store<i64>(p, rw, 136);
    q.mul(qx, qy, qz, qw, rx, ry, rz, rw);
    store<i64>(p, rx, 144); store<i64>(p, ry, 152); store<i64>(p, rz, 160); store<i64>(p, rw, 168);
  }
}
