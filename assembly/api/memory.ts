// Memory facts and the raw-memory hash, exported for the bindings (src/physics/).

import { xxh64 } from '../hash/xxhash64';

/**
 * First byte past this instance's static data. Raw regions laid out by src/physics/layout.ts
 * must start at or above it (the bindings check this at load time).
 */
export function heapBase(): usize {
  return __heap_base;
}

/** xxHash64 of `len` bytes at `ptr` with `seed` (see hash/xxhash64.ts). */
export function hash64(ptr: usize, len: usize, seed: u64): u64 {
  return xxh64(ptr, len, seed);
}
