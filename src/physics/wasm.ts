/**
 * WebAssembly bindings of the Tessera core: compile `build/*.wasm` once, instantiate it over
 * a memory the caller passes in (shared or not) with a plain `WebAssembly.Instance`, and
 * give typed access to its exports. Only `src/physics/` uses this module (DESIGN.md: only
 * the physics layer touches the WASM exports or memory offsets).
 *
 * Variants (see scripts/build-wasm.mjs):
 * - `release`  -O3, no assertions, shared memory (worker threads)
 * - `debug`    assertions on (an assertion failure throws CoreAbortError), shared memory
 * - `unshared` -O3, no assertions, non-shared memory (browsers, single-thread tools)
 *
 * All scalar values cross the boundary as BigInt (i64); raw Q47.16 means `real * 2^16`.
 */
import { readFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MAX_PAGES, PAGE_BYTES, STATIC_END } from './layout';

/** Which compiled core to load. */
export type CoreVariant = 'release' | 'debug' | 'unshared';

/** Error raised by the bindings; `code` is stable for programs to match on. */
export class CoreError extends Error {
  constructor(
    readonly code: 'CORE_NOT_BUILT' | 'CORE_MEMORY_MISMATCH' | 'CORE_LAYOUT' | 'CORE_ABORT',
    message: string,
  ) {
    super(message);
    this.name = 'CoreError';
  }
}

/** A failed assertion inside the debug core (`assert` in assembly/), with its source position. */
export class CoreAbortError extends CoreError {
  constructor(
    readonly detail: string,
    readonly file: string,
    readonly line: number,
    readonly column: number,
  ) {
    super('CORE_ABORT', `core assertion failed: ${detail} (${file}:${line}:${column})`);
    this.name = 'CoreAbortError';
  }
}

/**
 * The core's exports. Scalars are raw Q47.16 BigInts unless stated; pointers are byte
 * offsets into the memory (vec3 = 3 x i64 = 24 bytes, quat = x, y, z, w i64 = 32 bytes).
 * Domains, rounding and error bounds are documented in assembly/math/*.ts.
 */
export interface CoreExports {
  fxFromInt(n: number): bigint;
  fxFromRatio(num: bigint, den: bigint): bigint;
  fxToIntFloor(x: bigint): bigint;
  fxToIntRound(x: bigint): bigint;
  fxAdd(a: bigint, b: bigint): bigint;
  fxSub(a: bigint, b: bigint): bigint;
  fxMul(a: bigint, b: bigint): bigint;
  fxDiv(a: bigint, b: bigint): bigint;
  fxAbs(x: bigint): bigint;
  fxMin(a: bigint, b: bigint): bigint;
  fxMax(a: bigint, b: bigint): bigint;
  fxClamp(x: bigint, lo: bigint, hi: bigint): bigint;
  fxLerp(a: bigint, b: bigint, t: bigint): bigint;
  fxSqrt(x: bigint): bigint;
  fxRsqrt(x: bigint): bigint;
  /** Physics square root of a u64 (passed and returned as i64 bit patterns); relative error < 2^-16. */
  fxSqrtFast(x: bigint): bigint;
  fxSin(x: bigint): bigint;
  fxCos(x: bigint): bigint;
  fxAtan2(y: bigint, x: bigint): bigint;
  v3Dot(a: number, b: number): bigint;
  v3Cross(out: number, a: number, b: number): void;
  v3Length(a: number): bigint;
  v3Normalize(out: number, a: number): void;
  v3Lerp(out: number, a: number, b: number, t: bigint): void;
  qMul(out: number, a: number, b: number): void;
  qNormalize(out: number, a: number): void;
  qRotate(out: number, q: number, v: number): void;
  qIntegrate(out: number, q: number, w: number, dt: bigint): void;
  /** Writes items [start, start + count) of the seeded math sequence at out (SEQ_ITEM_BYTES each). */
  mathSequence(seed: bigint, start: number, count: number, out: number): void;
  readonly SEQ_ITEM_BYTES: WebAssembly.Global;
  /** Runs benchmark kernel `op` over n i64 inputs at ptr; returns a checksum. */
  benchKernel(op: number, ptr: number, n: number): bigint;
  /** First byte past the module's static data. */
  heapBase(): number;
  /** xxHash64 of len bytes at ptr (returned as a signed i64; use Core.hash64 for unsigned). */
  hash64(ptr: number, len: number, seed: bigint): bigint;
  /** Debug only: raw Q47.16 to a JavaScript number. */
  debugToF64(x: bigint): number;
  /** Debug only: a JavaScript number to raw Q47.16 (rounded). */
  debugFromF64(v: number): bigint;
}

/** Walks up from this file to the directory holding package.json (works from src/ and build/dist/). */
function findRepoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'assembly'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new CoreError('CORE_NOT_BUILT', `cannot find the project root above ${__dirname}`);
    dir = up;
  }
}

/** Path of a variant's .wasm file. */
export function wasmPath(variant: CoreVariant): string {
  const file = { release: 'tessera.wasm', debug: 'tessera.debug.wasm', unshared: 'tessera.unshared.wasm' }[variant];
  return join(findRepoRoot(), 'build', file);
}

/**
 * The compiled JavaScript of a worker or thread script, `rel` from the project root (e.g.
 * 'src/physics/shard-worker.js'): beside the caller when the caller itself runs compiled
 * (`callerDir` = its __dirname, build/dist/...), else under build/dist (the caller runs as
 * TypeScript, e.g. in jest). Throws CoreError CORE_NOT_BUILT when neither exists.
 */
export function compiledScript(callerDir: string, rel: string): string {
  const here = join(callerDir, basename(rel));
  if (existsSync(here)) return here;
  const built = join(findRepoRoot(), 'build', 'dist', rel);
  if (!existsSync(built)) throw new CoreError('CORE_NOT_BUILT', `${built} is missing: run \`npm run build\``);
  return built;
}

const moduleCache = new Map<CoreVariant, WebAssembly.Module>();

/**
 * The compiled module of a variant (compiled once per thread and cached; a Module can also
 * be posted to workers). Throws CoreError CORE_NOT_BUILT if `npm run build` has not run.
 */
export function compileCore(variant: CoreVariant = 'release'): WebAssembly.Module {
  let mod = moduleCache.get(variant);
  if (!mod) {
    const path = wasmPath(variant);
    if (!existsSync(path)) throw new CoreError('CORE_NOT_BUILT', `${path} is missing: run \`npm run build\``);
    mod = new WebAssembly.Module(readFileSync(path));
    moduleCache.set(variant, mod);
  }
  return mod;
}

/**
 * Supplies a variant's compiled module instead of reading `build/*.wasm` from disk: the browser
 * viewer fetches `/assets/tessera.unshared.wasm`, compiles it (WebAssembly.compile) and hands it
 * here before creating a PhysicsWorld (client prediction, src/client/predict.ts). Later
 * compileCore(variant) calls return it.
 */
export function provideCoreModule(variant: CoreVariant, module: WebAssembly.Module): void {
  moduleCache.set(variant, module);
}

/**
 * A memory for the core. `pages` (64 KiB each) must cover the layout's regions
 * (layout.planLayout gives the count); `maxPages` bounds growth (default: `pages`).
 * Shared memories are what worker threads need.
 */
export function createMemory(opts: { pages: number; maxPages?: number; shared: boolean }): WebAssembly.Memory {
  const maximum = opts.maxPages ?? opts.pages;
  if (opts.pages < 1 || maximum < opts.pages || maximum > MAX_PAGES) {
    throw new RangeError(`memory pages ${opts.pages}..${maximum} outside 1..${MAX_PAGES}`);
  }
  return new WebAssembly.Memory({ initial: opts.pages, maximum, shared: opts.shared });
}

/** Reads an AssemblyScript string (UTF-16LE, byte length at ptr - 4) from memory. */
function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return '';
  const bytes = new Uint8Array(memory.buffer);
  const len = new DataView(memory.buffer).getUint32(ptr - 4, true);
  let s = '';
  for (let i = 0; i + 1 < len; i += 2) s += String.fromCharCode(bytes[ptr + i] | (bytes[ptr + i + 1] << 8));
  return s;
}

/** One instance of the core over a caller-provided memory. */
export class Core {
  /** Typed exports. */
  readonly exports: CoreExports;

  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly variant: CoreVariant,
    instance: WebAssembly.Instance,
  ) {
    this.exports = instance.exports as unknown as CoreExports;
    const heapBase = this.exports.heapBase();
    if (heapBase > STATIC_END) {
      throw new CoreError('CORE_LAYOUT', `core static data ends at ${heapBase}, past layout STATIC_END ${STATIC_END}`);
    }
  }

  /**
   * Instantiates a variant over `memory`. The default variant follows the memory: `release`
   * for a shared memory, `unshared` otherwise. Throws CoreError CORE_MEMORY_MISMATCH when the
   * variant and the memory disagree (a shared-memory module cannot import a plain memory and
   * vice versa), CORE_LAYOUT when the module's static data overflows the layout.
   */
  static instantiate(memory: WebAssembly.Memory, variant?: CoreVariant, module?: WebAssembly.Module): Core {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const v: CoreVariant = variant ?? (shared ? 'release' : 'unshared');
    if ((v === 'unshared') === shared) {
      throw new CoreError('CORE_MEMORY_MISMATCH', `core variant '${v}' needs a ${v === 'unshared' ? 'non-shared' : 'shared'} memory`);
    }
    const mod = module ?? compileCore(v);
    const env = {
      memory,
      abort(msg: number, file: number, line: number, column: number): never {
        throw new CoreAbortError(readAsString(memory, msg), readAsString(memory, file), line >>> 0, column >>> 0);
      },
    };
    return new Core(memory, v, new WebAssembly.Instance(mod, { env }));
  }

  /** A BigInt64Array over the whole memory (re-created on each call: memory can grow). */
  i64(): BigInt64Array {
    return new BigInt64Array(this.memory.buffer);
  }

  /** Bytes of the memory as a Uint8Array view (re-created on each call). */
  bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  /** xxHash64 of `len` bytes at `ptr` as an unsigned 64-bit BigInt. */
  hash64(ptr: number, len: number, seed: bigint = 0n): bigint {
    return BigInt.asUintN(64, this.exports.hash64(ptr, len, BigInt.asIntN(64, seed)));
  }

  /** Size of the memory in bytes. */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }
}

/** Pages needed to hold `bytes` bytes. */
export function pagesFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / PAGE_BYTES));
}
