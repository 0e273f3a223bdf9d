/**
 * Raw memory layout of the Tessera core: the one place where byte offsets into the
 * WebAssembly memory are defined. The AssemblyScript core never chooses an address by
 * itself; every function that touches a raw region receives its pointer from here.
 *
 * ```
 *  0                STATIC_END                 SCRATCH_END                     ...
 *  +----------------+--------------------------+------------------------------+--
 *  | module static  | scratch slots            | data regions (64-byte        |
 *  | data (tables,  | SCRATCH_SLOT_BYTES each, | aligned, laid out by         |
 *  | strings); the  | one per thread: the      | planLayout in order)         |
 *  | stub runtime's | arguments and results of |                              |
 *  | heap would     | the pointer API          |                              |
 *  | start here     |                          |                              |
 *  +----------------+--------------------------+------------------------------+--
 * ```
 *
 * Every instance sharing one memory writes the same static data at instantiation; its
 * module globals (result registers, RNG state) are per instance. Nothing in the core
 * allocates, so the stub heap above `heapBase()` is never used; the bindings check at load
 * time that the module's static data ends below STATIC_END.
 */

/** WebAssembly page size in bytes. */
export const PAGE_BYTES = 65536;

/** End of the area reserved for the module's static data (bytes). */
export const STATIC_END = 65536;

/** Bytes of one scratch slot (arguments and results of the pointer API for one thread). */
export const SCRATCH_SLOT_BYTES = 4096;

/** Most threads (instances) that can share one memory, each with its own scratch slot. */
export const MAX_THREADS = 64;

/** First byte after the scratch slots, where data regions begin. */
export const SCRATCH_END = STATIC_END + MAX_THREADS * SCRATCH_SLOT_BYTES;

/** Alignment of data regions in bytes (a cache line; also 8-byte i64 alignment). */
export const REGION_ALIGN = 64;

/** Highest page count the core's memory import accepts (4 GiB, the wasm32 limit). */
export const MAX_PAGES = 65536;

/** Address of thread `index`'s scratch slot. Throws RangeError outside [0, MAX_THREADS). */
export function scratchSlot(index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_THREADS) {
    throw new RangeError(`scratch slot ${index} outside [0, ${MAX_THREADS})`);
  }
  return STATIC_END + index * SCRATCH_SLOT_BYTES;
}

/** A named data region: byte offset and size in the core's memory. */
export interface Region {
  readonly name: string;
  /** Byte offset, a multiple of REGION_ALIGN. */
  readonly offset: number;
  /** Size in bytes. */
  readonly bytes: number;
}

/** A complete memory plan: the regions in order and the pages needed to hold them. */
export interface LayoutPlan {
  readonly regions: Readonly<Record<string, Region>>;
  /** First byte after the last region. */
  readonly end: number;
  /** Pages needed (initial size of the memory). */
  readonly pages: number;
}

/**
 * Lays out data regions after the scratch slots, in the given order, each aligned to
 * REGION_ALIGN. Sizes are in bytes. Throws RangeError for a negative or non-integer size,
 * a duplicate name, or a plan larger than MAX_PAGES.
 */
export function planLayout(sizes: ReadonlyArray<readonly [name: string, bytes: number]>): LayoutPlan {
  const regions: Record<string, Region> = {};
  let at = SCRATCH_END;
  for (const [name, bytes] of sizes) {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`region ${name}: bad size ${bytes}`);
    if (name in regions) throw new RangeError(`region ${name} defined twice`);
    at = Math.ceil(at / REGION_ALIGN) * REGION_ALIGN;
    regions[name] = { name, offset: at, bytes };
    at += bytes;
  }
  const pages = Math.ceil(at / PAGE_BYTES);
  if (pages > MAX_PAGES) throw new RangeError(`layout needs ${pages} pages, more than ${MAX_PAGES}`);
  return { regions, end: at, pages };
}
