/**
 * Float check: proves that nothing the simulation can execute in a compiled core touches
 * f32, f64 or v128.
 *
 * Why: the core must give bit-identical results on every machine, and WebAssembly only
 * promises that for integer code. Float results are not fully specified: the sign and payload
 * of a NaN result are nondeterministic (WebAssembly core spec, 4.3.3 "NaN propagation"), the
 * relaxed SIMD ops (relaxed_madd may or may not be fused) are implementation-defined, and a
 * toolchain or engine that fuses a*b+c changes the rounding. The rule (DESIGN: Q47.16 fixed
 * point everywhere) is therefore: no float anywhere in assembly/ except the debug conversions
 * exported as `debug*` (assembly/api/debug.ts), which the simulation never calls.
 *
 * What is checked, on the module as compiled (binaryen reads the .wasm):
 *
 * ```
 *   roots: every exported function whose name does not start with the allowed prefix
 *          (default "debug"), the start function, and the functions of an exported table
 *     |
 *     +-- call / return_call $f ------------> $f
 *     +-- call_indirect (any table) --------> every function in every elem segment
 *     +-- ref.func $f ----------------------> $f (it can be called through a reference)
 *
 *   reachable function reported if it has:
 *     - an f32/f64/v128 param, result or local (declared locals count even if unused)
 *     - an expression whose value is f32/f64/v128: consts, arithmetic, float loads,
 *       int->float conversions and reinterprets, promote/demote, global.get of a float
 *       global, calls returning a float, every SIMD op
 *     - an expression with such an operand: float stores, comparisons, truncs,
 *       reinterprets to int, drop/select of a float, calls taking a float
 *       (local.get/set/tee are not listed: their local's line already says it)
 *   reachable imported function reported if its signature has a float
 *   exported global (not under the allowed prefix) reported if its type is a float
 * ```
 *
 * Detection is by value type, not by a list of opcodes, so a float op added to a future
 * wasm proposal is still caught as long as it produces or consumes a float value. The
 * walker fails closed: an expression kind it does not know how to descend into (GC,
 * strings, call_ref, try_table, ...) throws instead of being skipped.
 *
 * CLI (after `npm run build:ts`), exit 0 clean, 1 float use found, 2 error:
 *
 *   node build/dist/src/physics/float-check.js [--allow-prefix=debug] build/tessera.wasm ...
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as vm from 'node:vm';
import type Binaryen from 'binaryen';

/** The binaryen.js namespace (the package's default export). */
export type BinaryenApi = typeof Binaryen;

/** Options of the float check. */
export interface FloatCheckOptions {
  /**
   * Exports whose name starts with this prefix are not roots: they may use floats, as long
   * as no other root reaches the same functions. Default "debug"; "" allows nothing.
   */
  allowExportPrefix?: string;
}

/** One function (or import, or exported global) that uses floats and is reachable from a root. */
export interface FloatUse {
  /** A function with a body, an imported function, or an exported global. */
  kind: 'function' | 'import' | 'global';
  /** Internal name: from the name section, else binaryen's index ("12" for function 12). */
  name: string;
  /**
   * Roots it is reachable from, sorted: export names, "(start)" for the start function, or
   * for a global the names it is exported as.
   */
  exports: string[];
  /**
   * What was found, each once, in the order met: "param $x f64", "result f32", "local 3 f64",
   * "f64.add", "f32.convert_i32_s", "call $5 yields f64", "drop takes f64", ...
   */
  found: string[];
}

/** Result of a float check, with enough context to see that it did not pass vacuously. */
export interface FloatReport {
  /** Float uses reachable from the roots; empty means the module passes. */
  uses: FloatUse[];
  /** Root labels that were checked (export names and "(start)"), sorted. */
  roots: string[];
  /** Exports skipped because of the allowed prefix, sorted. */
  allowed: string[];
  /** Number of functions (with bodies or imported) reachable from the roots. */
  reachable: number;
}

let binaryenPromise: Promise<BinaryenApi> | undefined;

/**
 * Loads binaryen.js once per process. binaryen is ESM-only and this project compiles to
 * CommonJS, so the import is built at run time (tsc would turn a literal `import()` into
 * `require`). Under jest, whose vm sandbox has no dynamic import without
 * --experimental-vm-modules, the import is made in the main context through
 * vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER instead (Node prints an ExperimentalWarning).
 */
export function loadBinaryen(): Promise<BinaryenApi> {
  binaryenPromise ??= (async () => {
    const url = pathToFileURL(require.resolve('binaryen')).href;
    type Importer = (specifier: string) => Promise<{ default: BinaryenApi }>;
    const nativeImport = new Function('specifier', 'return import(specifier)') as Importer;
    try {
      return (await nativeImport(url)).default;
    } catch (err) {
      // jest throws a plain TypeError (no ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING code).
      if (!/experimental-vm-modules|DYNAMIC_IMPORT_CALLBACK_MISSING/.test(String((err as Error).message ?? err))) throw err;
      const mainImport = vm.runInThisContext('(specifier) => import(specifier)', {
        importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
      }) as Importer;
      return (await mainImport(url)).default;
    }
  })();
  return binaryenPromise;
}

// binaryen.js statics that exist at run time but are missing from its index.d.ts.
interface FunctionStatics {
  hasLocalName(func: number, index: number): boolean;
  getLocalName(func: number, index: number): string;
}

// Expression kinds without operands (the walker needs no info object for them).
const LEAF_KINDS = [
  'NopId',
  'UnreachableId',
  'PopId',
  'RefNullId',
  'LocalGetId',
  'GlobalGetId',
  'ConstId',
  'MemorySizeId',
  'AtomicFenceId',
  'DataDropId',
  'TableSizeId',
  'RethrowId',
  'RefFuncId',
] as const;

// Operand fields of each expression kind, as named in binaryen.getExpressionInfo's result
// (a field holds an ExpressionRef, 0 when absent, or an array of them). Any kind missing
// here and from LEAF_KINDS makes the walker throw.
const OPERAND_FIELDS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['BlockId', ['children']],
  ['IfId', ['condition', 'ifTrue', 'ifFalse']],
  ['LoopId', ['body']],
  ['BreakId', ['condition', 'value']],
  ['SwitchId', ['condition', 'value']],
  ['CallId', ['operands']],
  ['CallIndirectId', ['target', 'operands']],
  ['LocalSetId', ['value']],
  ['GlobalSetId', ['value']],
  ['LoadId', ['ptr']],
  ['StoreId', ['ptr', 'value']],
  ['UnaryId', ['value']],
  ['BinaryId', ['left', 'right']],
  ['SelectId', ['ifTrue', 'ifFalse', 'condition']],
  ['DropId', ['value']],
  ['ReturnId', ['value']],
  ['MemoryGrowId', ['delta']],
  ['AtomicRMWId', ['ptr', 'value']],
  ['AtomicCmpxchgId', ['ptr', 'expected', 'replacement']],
  ['AtomicWaitId', ['ptr', 'expected', 'timeout']],
  ['AtomicNotifyId', ['ptr', 'notifyCount']],
  ['SIMDExtractId', ['vec']],
  ['SIMDReplaceId', ['vec', 'value']],
  ['SIMDShuffleId', ['left', 'right']],
  ['SIMDTernaryId', ['a', 'b', 'c']],
  ['SIMDShiftId', ['vec', 'shift']],
  ['SIMDLoadId', ['ptr']],
  ['SIMDLoadStoreLaneId', ['ptr', 'vec']],
  ['MemoryInitId', ['dest', 'offset', 'size']],
  ['MemoryCopyId', ['dest', 'source', 'size']],
  ['MemoryFillId', ['dest', 'value', 'size']],
  ['RefIsNullId', ['value']],
  ['RefEqId', ['left', 'right']],
  ['TableGetId', ['index']],
  ['TableSetId', ['index', 'value']],
  ['TableGrowId', ['value', 'delta']],
  ['TryId', ['body', 'catchBodies']],
  ['ThrowId', ['operands']],
  ['TupleMakeId', ['operands']],
  ['TupleExtractId', ['tuple']],
  ['RefI31Id', ['value']],
  ['I31GetId', ['i31']],
];

// Kinds that only pass a value along: labelled by a fixed name, never by printing the
// expression (printing a block prints its whole body).
const PASS_THROUGH_HEADS: ReadonlyArray<readonly [string, string]> = [
  ['BlockId', 'block'],
  ['IfId', 'if'],
  ['LoopId', 'loop'],
  ['BreakId', 'br'],
  ['SwitchId', 'br_table'],
  ['SelectId', 'select'],
  ['DropId', 'drop'],
  ['ReturnId', 'return'],
  ['TryId', 'try'],
  ['TupleMakeId', 'tuple.make'],
  ['TupleExtractId', 'tuple.extract'],
  ['PopId', 'pop'],
  ['NopId', 'nop'],
  ['UnreachableId', 'unreachable'],
  ['RefNullId', 'ref.null'],
];

const FLOAT_NAME = /f32|f64|v128/;

/** What one function body calls and which float uses it holds. */
interface FunctionScan {
  calls: string[];
  refs: string[];
  callsIndirect: boolean;
  found: string[];
}

/** Per-module state of one check (binaryen constants resolved once). */
class Checker {
  private readonly idByName = new Map<string, number>();
  private readonly nameById = new Map<number, string>();
  private readonly operandFields = new Map<number, readonly string[]>();
  private readonly passThrough = new Map<number, string>();
  private readonly leaves = new Set<number>();
  private readonly floatTypes: Map<number, string>;
  private readonly fn: FunctionStatics;
  private readonly scans = new Map<string, FunctionScan>();

  constructor(
    private readonly b: BinaryenApi,
    private readonly wasm: Binaryen.Module,
  ) {
    const all = b as unknown as Record<string, unknown>;
    for (const key of Object.keys(all)) {
      const v = all[key];
      if (key.endsWith('Id') && typeof v === 'number') {
        this.idByName.set(key, v);
        this.nameById.set(v, key);
      }
    }
    const id = (name: string): number => {
      const v = this.idByName.get(name);
      if (v === undefined) throw new Error(`float-check: binaryen has no ${name}`);
      return v;
    };
    for (const [name, fields] of OPERAND_FIELDS) this.operandFields.set(id(name), fields);
    for (const [name, head] of PASS_THROUGH_HEADS) this.passThrough.set(id(name), head);
    for (const name of LEAF_KINDS) this.leaves.add(id(name));
    this.floatTypes = new Map([
      [b.f32, 'f32'],
      [b.f64, 'f64'],
      [b.v128, 'v128'],
    ]);
    this.fn = (b as unknown as { Function: FunctionStatics }).Function;
  }

  /** Float component names of a (possibly tuple) type, e.g. ['f64']. */
  floatsOf(type: number): string[] {
    if (type === this.b.none || type === this.b.unreachable) return [];
    const out: string[] = [];
    for (const t of this.b.expandType(type)) {
      const name = this.floatTypes.get(t);
      if (name !== undefined) out.push(name);
    }
    return out;
  }

  /** Scans a function once: its calls and its float uses. */
  scan(name: string): FunctionScan {
    const cached = this.scans.get(name);
    if (cached) return cached;
    const { b } = this;
    const ref = this.wasm.getFunction(name);
    const info = b.getFunctionInfo(ref);
    const isImport = info.body === 0;
    const found = new Set<string>();
    const localName = (i: number): string => (!isImport && this.fn.hasLocalName(ref, i) ? `$${this.fn.getLocalName(ref, i)}` : String(i));
    if (isImport) found.add(`import "${info.module}" "${info.base}"`);
    const params = b.expandType(info.params);
    params.forEach((t, i) => {
      for (const f of this.floatsOf(t)) found.add(`param ${localName(i)} ${f}`);
    });
    for (const f of this.floatsOf(info.results)) found.add(`result ${f}`);
    info.vars.forEach((t, i) => {
      for (const f of this.floatsOf(t)) found.add(`local ${localName(params.length + i)} ${f}`);
    });
    const scan: FunctionScan = { calls: [], refs: [], callsIndirect: false, found: [] };
    if (!isImport) this.walk(name, info.body, scan, found);
    // An import is only reported for its signature: the "import" line alone is not a use.
    scan.found = isImport && found.size === 1 ? [] : [...found];
    this.scans.set(name, scan);
    return scan;
  }

  private walk(fname: string, body: number, scan: FunctionScan, found: Set<string>): void {
    const { b } = this;
    const stack = [body];
    while (stack.length > 0) {
      const expr = stack.pop()!;
      const id = b.getExpressionId(expr);
      const type = b.getExpressionType(expr);
      let info: Record<string, unknown> | undefined;
      const operands: number[] = [];
      if (id === b.RefFuncId) {
        info = b.getExpressionInfo(expr) as unknown as Record<string, unknown>;
        scan.refs.push(info.func as string);
      } else if (!this.leaves.has(id)) {
        const fields = this.operandFields.get(id);
        if (!fields) {
          throw new Error(
            `float-check: function $${fname}: expression kind ${this.nameById.get(id) ?? id} is not supported; ` +
              'add its operand fields to OPERAND_FIELDS in src/physics/float-check.ts',
          );
        }
        info = b.getExpressionInfo(expr) as unknown as Record<string, unknown>;
        for (const field of fields) {
          const v = info[field];
          if (Array.isArray(v)) operands.push(...(v as number[]).filter((c) => c !== 0));
          else if (typeof v === 'number' && v !== 0) operands.push(v);
        }
        if (id === b.CallId) scan.calls.push(info.target as string);
        else if (id === b.CallIndirectId) scan.callsIndirect = true;
      }

      const yields = this.floatsOf(type);
      const takes = new Set<string>();
      for (const c of operands) for (const f of this.floatsOf(b.getExpressionType(c))) takes.add(f);
      // Types that stay visible when an operand is unreachable (dead code keeps the op's type).
      if (id === b.StoreId) for (const f of this.floatsOf(info!.valueType as number)) takes.add(f);
      if (id === b.CallIndirectId) {
        for (const f of this.floatsOf(info!.params as number)) takes.add(f);
        for (const f of this.floatsOf(info!.results as number)) takes.add(f);
      }
      // local.get/set/tee are not listed: their local's "param"/"local" line already says it.
      const isLocalAccess = id === b.LocalGetId || id === b.LocalSetId;
      if (!isLocalAccess && (yields.length > 0 || takes.size > 0)) {
        const head = this.head(expr, id, info);
        if (head.printed && FLOAT_NAME.test(head.text)) found.add(head.text);
        else if (yields.length > 0) found.add(`${head.text} yields ${yields.join(',')}`);
        else found.add(`${head.text} takes ${[...takes].join(',')}`);
      } else if (type === b.unreachable && !this.passThrough.has(id)) {
        // Unreachable-typed op (an operand never returns): the type says nothing, the name does.
        const head = this.head(expr, id, info);
        if (head.printed && FLOAT_NAME.test(head.text)) found.add(head.text);
      }
      for (let i = operands.length - 1; i >= 0; i--) stack.push(operands[i]);
    }
  }

  /** Name of an expression for a report; `printed` when taken from binaryen's text output. */
  private head(expr: number, id: number, info: Record<string, unknown> | undefined): { text: string; printed: boolean } {
    const { b } = this;
    const fixed = this.passThrough.get(id);
    if (fixed !== undefined) return { text: fixed, printed: false };
    info ??= b.getExpressionInfo(expr) as unknown as Record<string, unknown>;
    if (id === b.CallId) return { text: `${info.isReturn ? 'return_call' : 'call'} $${info.target as string}`, printed: false };
    if (id === b.CallIndirectId) return { text: info.isReturn ? 'return_call_indirect' : 'call_indirect', printed: false };
    if (id === b.GlobalGetId) return { text: `global.get $${info.name as string}`, printed: false };
    if (id === b.GlobalSetId) return { text: `global.set $${info.name as string}`, printed: false };
    const m = /^\(([^\s()]+)/.exec(b.emitText(expr));
    return { text: m ? m[1] : (this.nameById.get(id) ?? String(id)), printed: m !== null };
  }
}

/**
 * Checks a compiled module for floats reachable from its simulation exports and returns the
 * uses with the roots that were checked. See the module comment for what counts as a use.
 * Throws when binaryen cannot read the module or the walker meets an expression kind it does
 * not support (fails closed).
 */
export async function analyzeFloatUse(wasmBytes: Uint8Array, opts: FloatCheckOptions = {}): Promise<FloatReport> {
  const b = await loadBinaryen();
  const prefix = opts.allowExportPrefix ?? 'debug';
  const isAllowed = (exportName: string): boolean => prefix !== '' && exportName.startsWith(prefix);
  const mod = b.readBinaryWithFeatures(wasmBytes, b.Features.All);
  try {
    const checker = new Checker(b, mod);

    const functionOrder: string[] = [];
    for (let i = 0; i < mod.getNumFunctions(); i++) functionOrder.push(b.getFunctionInfo(mod.getFunctionByIndex(i)).name);
    const known = new Set(functionOrder);

    // Functions placed in tables; call_indirect may reach any of them.
    const elemByTable = new Map<string, string[]>();
    const elemAll = new Set<string>();
    for (let i = 0; i < mod.getNumElementSegments(); i++) {
      const seg = b.getElementSegmentInfo(mod.getElementSegmentByIndex(i));
      for (const f of seg.data) {
        if (!known.has(f)) continue;
        elemAll.add(f);
        const list = elemByTable.get(seg.table) ?? [];
        list.push(f);
        elemByTable.set(seg.table, list);
      }
    }

    const roots = new Map<string, string[]>();
    const allowed: string[] = [];
    const floatGlobals = new Map<string, FloatUse>();
    for (let i = 0; i < mod.getNumExports(); i++) {
      const exp = b.getExportInfo(mod.getExportByIndex(i));
      if (isAllowed(exp.name)) {
        allowed.push(exp.name);
        continue;
      }
      if (exp.kind === b.ExternalFunction) {
        roots.set(exp.name, [exp.value]);
      } else if (exp.kind === b.ExternalTable) {
        roots.set(exp.name, elemByTable.get(exp.value) ?? []);
      } else if (exp.kind === b.ExternalGlobal) {
        const g = b.getGlobalInfo(mod.getGlobal(exp.value));
        const floats = checker.floatsOf(g.type);
        if (floats.length === 0) continue;
        const use: FloatUse = floatGlobals.get(g.name) ?? { kind: 'global', name: g.name, exports: [], found: [`global ${floats.join(',')}`] };
        use.exports.push(exp.name);
        floatGlobals.set(g.name, use);
      }
    }
    const start = mod.getStart();
    if (start) roots.set('(start)', [b.getFunctionInfo(start).name]);

    // Breadth-first search from each root separately, so every use lists the roots reaching it.
    const reachedFrom = new Map<string, Set<string>>();
    for (const [label, entry] of roots) {
      const seen = new Set<string>(entry);
      const queue = [...entry];
      let indirectDone = false;
      while (queue.length > 0) {
        const name = queue.shift()!;
        let from = reachedFrom.get(name);
        if (!from) reachedFrom.set(name, (from = new Set()));
        from.add(label);
        const scan = checker.scan(name);
        const next = [...scan.calls, ...scan.refs];
        if (scan.callsIndirect && !indirectDone) {
          indirectDone = true;
          next.push(...elemAll);
        }
        for (const f of next)
          if (!seen.has(f)) {
            seen.add(f);
            queue.push(f);
          }
      }
    }

    const uses: FloatUse[] = [];
    for (const name of functionOrder) {
      const from = reachedFrom.get(name);
      if (!from) continue;
      const scan = checker.scan(name);
      if (scan.found.length === 0) continue;
      const isImport = b.getFunctionInfo(mod.getFunction(name)).body === 0;
      uses.push({ kind: isImport ? 'import' : 'function', name, exports: [...from].sort(), found: scan.found });
    }
    for (const use of floatGlobals.values()) {
      use.exports.sort();
      uses.push(use);
    }
    return { uses, roots: [...roots.keys()].sort(), allowed: allowed.sort(), reachable: reachedFrom.size };
  } finally {
    mod.dispose();
  }
}

/**
 * The float uses reachable from a mod's simulation exports (every exported function not
 * named `${allowExportPrefix}*`, default "debug"); empty when the mod is clean. Same
 * rules and errors as analyzeFloatUse.
 */
export async function findFloatUse(wasmBytes: Uint8Array, opts?: FloatCheckOptions): Promise<FloatUse[]> {
  return (await analyzeFloatUse(wasmBytes, opts)).uses;
}

/** One line per use: `function $name (from fxMul, fxDiv): f64.add, local $x f64`. */
export function formatFloatUse(use: FloatUse): string {
  return `${use.kind} $${use.name} (from ${use.exports.join(', ')}): ${use.found.join(', ')}`;
}

/** CLI entry: checks each .wasm path; returns the exit code (0 clean, 1 float use, 2 error). */
export async function main(argv: readonly string[]): Promise<number> {
  let prefix: string | undefined;
  const files: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('--allow-prefix=')) prefix = arg.slice('--allow-prefix='.length);
    else if (arg.startsWith('-')) {
      console.error(`float-check: unknown option ${arg}`);
      return 2;
    } else files.push(arg);
  }
  if (files.length === 0) {
    console.error('usage: node build/dist/src/physics/float-check.js [--allow-prefix=debug] <module.wasm>...');
    return 2;
  }
  let code = 0;
  for (const file of files) {
    let report: FloatReport;
    try {
      report = await analyzeFloatUse(readFileSync(file), { allowExportPrefix: prefix });
    } catch (err) {
      console.error(`float-check: ${file}: ${(err as Error).message ?? String(err)}`);
      return 2;
    }
    const allowedText = report.allowed.length > 0 ? `; allowed: ${report.allowed.join(', ')}` : '';
    if (report.uses.length === 0) {
      console.log(`float-check: ${file}: no float use in ${report.reachable} functions reachable ` + `from ${report.roots.length} roots${allowedText}`);
      continue;
    }
    code = 1;
    console.error(`float-check: ${file}: ${report.uses.length} float use(s) reachable from the simulation exports${allowedText}`);
    for (const use of report.uses) console.error(`  ${formatFloatUse(use)}`);
  }
  return code;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
