// Benchmark kernels: one loop per operation over inputs in raw memory, so a benchmark
// measures the math and not the JavaScript -> WebAssembly call. Each kernel folds its
// results into a checksum (returned) so the optimizer cannot drop the work.
//
// Input: n i64 raw values at `ptr` (8 * n bytes). Operations use consecutive inputs.

import * as fx from '../math/fixed';
import * as trig from '../math/trig';
import * as v3 from '../math/vec3';
import * as q from '../math/quat';
import { rx, ry, rz, rw } from '../math/registers';

/** Kernel ids for benchKernel (same order as bench/math.bench.ts). */
export const KERNEL_MUL: i32 = 0;
export const KERNEL_DIV: i32 = 1;
export const KERNEL_SQRT: i32 = 2;
export const KERNEL_SIN: i32 = 3;
export const KERNEL_ATAN2: i32 = 4;
export const KERNEL_V3_NORMALIZE: i32 = 5;
export const KERNEL_Q_MUL: i32 = 6;
export const KERNEL_Q_ROTATE: i32 = 7;

/**
 * Runs kernel `op` over the n inputs at ptr and returns a checksum (wrapping sum of results).
 * mul/div/atan2 use pairs (x[i], x[i+1]); sqrt/sin use x[i]; vector kernels use x[i..i+3].
 */
export function benchKernel(op: i32, ptr: usize, n: i32): i64 {
  let acc: i64 = 0;
  const last = n - 4;
  switch (op) {
    case KERNEL_MUL: for (let i = 0; i < n - 1; i++) {
      const p = ptr + (<usize>i << 3); acc += fx.mul(load<i64>(p), load<i64>(p, 8));
    } break;
    case KERNEL_DIV: for (let i = 0; i < n - 1; i++) {
      const p = ptr + (<usize>i << 3); acc += fx.div(load<i64>(p), load<i64>(p, 8));
    } break;
    case KERNEL_SQRT: for (let i = 0; i < n; i++) {
      acc += fx.sqrt(fx.abs(load<i64>(ptr + (<usize>i << 3))));
    } break;
    case KERNEL_SIN: for (let i = 0; i < n; i++) {
      acc += trig.sin(load<i64>(ptr + (<usize>i << 3)));
    } break;
    case KERNEL_ATAN2: for (let i = 0; i < n - 1; i++) {
      const p = ptr + (<usize>i << 3); acc += trig.atan2(load<i64>(p), load<i64>(p, 8));
    } break;
    case KERNEL_V3_NORMALIZE: for (let i = 0; i < last; i++) {
      const p = ptr + (<usize>i << 3);
      v3.normalize(load<i64>(p), load<i64>(p, 8), load<i64>(p, 16));
      acc += rx + ry + rz;
    } break;
    case KERNEL_Q_MUL: for (let i = 0; i < last; i++) {
      const p = ptr + (<usize>i << 3);
      const a = load<i64>(p), b = load<i64>(p, 8), c = load<i64>(p, 16), d = load<i64>(p, 24);
      q.mul(a, b, c, d, d, c, b, a);
      acc += rx + ry + rz + rw;
    } break;
    case KERNEL_Q_ROTATE: for (let i = 0; i < last; i++) {
      const p = ptr + (<usize>i << 3);
      const a = load<i64>(p), b = load<i64>(p, 8), c = load<i64>(p, 16), d = load<i64>(p, 24);
      q.rotate(a, b, c, d, d, c, b);
      acc += rx + ry + rz;
    } break;
    default: break;
  }
  return acc;
}
