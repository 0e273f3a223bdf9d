// Sorting by slot for the shards (assembly/physics/shard.ts, board-hash.ts): a stable LSD
// radix sort whose cost follows the number of entries, not the slot count.
//
// The keys are slots (u32, below hw). The digit width d is chosen from the entry count n
// (2^d at most about 4n, between 2^4 and 2^16), so each pass costs O(n + 2^d) = O(n); the
// number of passes is ceil(bits(hw) / d), at most 2 for any n >= 2^15 and hw < 2^32, and 1
// (a plain counting sort by slot) whenever hw <= ~4n, as the per-slot counting sort that came
// before did at that size. Stable and integer-only: the order is a function of the entries
// alone (equal slots keep their input order), so every thread and build gets the same bytes.

/**
 * Copies one 16-byte entry as two i64 loads and stores: a memory.copy is a call out of the
 * WebAssembly code (V8: memmove), which for 16 bytes costs more than the copy.
 */
// @ts-ignore: decorator
@inline export function copy16(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(src));
  store<u64>(dst, load<u64>(src, 8), 8);
}

/** Bit length of v (v >= 0): 0 for 0. */
// @ts-ignore: decorator
@inline function bitLength(v: i32): i32 { return 32 - <i32>clz<i32>(v); }

/**
 * Stable sort of n elements of `stride` bytes (4 or a multiple of 4) from src into dst by the
 * u32 at byte `keyOff` of each element, whose values are below hw. src is used as the other
 * buffer of the passes (its contents are lost); src and dst must not overlap. `counts` is
 * scratch for 2^16 + 1 i32.
 */
export function sortBySlot(src: usize, n: i32, dst: usize, stride: i32, keyOff: i32, hw: i32, counts: usize): void {
  if (n <= 0) return;
  const bits = max(bitLength(hw), 1);
  let d = min(max(bitLength(n) + 1, 4), 16);
  const passes = (bits + d - 1) / d;
  d = (bits + passes - 1) / passes;
  const size = 1 << d, mask = <u32>(size - 1);
  let a = src, b = dst;
  for (let p = 0; p < passes; p++) {
    const shift = <u32>(p * d);
    memory.fill(counts, 0, <usize>(size + 1) << 2);
    for (let i = 0; i < n; i++) {
      const v = (load<u32>(a + <usize>i * stride + keyOff) >> shift) & mask;
      const c = counts + (<usize>(v + 1) << 2);
      store<i32>(c, load<i32>(c) + 1);
    }
    for (let v = 1; v <= size; v++) {
      const c = counts + (<usize>v << 2);
      store<i32>(c, load<i32>(c) + load<i32>(c - 4));
    }
    for (let i = 0; i < n; i++) {
      const e = a + <usize>i * stride;
      const c = counts + (<usize>((load<u32>(e + keyOff) >> shift) & mask) << 2);
      const at = load<i32>(c);
      store<i32>(c, at + 1);
      if (stride == 4) store<u32>(b + (<usize>at << 2), load<u32>(e));
      else if (stride == 8) store<u64>(b + (<usize>at << 3), load<u64>(e));
      else if (stride == 16) copy16(b + (<usize>at << 4), e);
      else memory.copy(b + <usize>at * stride, e, stride);
    }
    const x = a; a = b; b = x;
  }
  if (a != dst) memory.copy(dst, a, <usize>n * stride);
}
