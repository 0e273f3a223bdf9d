/**
 * No floats in the simulation (src/physics/float-check.ts): floats are not bit-exact across
 * machines (NaN sign and payload bits are nondeterministic, relaxed SIMD may fuse), so the
 * compiled core must not reach any f32/f64/v128 from an export outside `debug*`.
 *
 * What this guarantees:
 * - release, unshared and debug builds: zero float uses reachable from the simulation
 *   exports, and the check really walked them (roots and reachable functions are counted);
 * - the only float-using exports are debugToF64 and debugFromF64 (checked with nothing
 *   allowed), so a float added anywhere else shows up here;
 * - negative controls: small modules with a float in each place the check must look
 *   (an export, a called helper, a table function behind call_indirect, a float local, an
 *   import, an exported global) are reported, and a `debug*` export alone is not. Without
 *   them this file could pass with a check that finds nothing.
 *
 * The build is not run here: `node scripts/build-wasm.mjs` (or `npm run build`) first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeFloatUse, findFloatUse, formatFloatUse, loadBinaryen, type FloatUse } from '../src/physics/float-check';

const BUILD = join(__dirname, '..', 'build');

function readBuild(file: string): Uint8Array {
  const path = join(BUILD, file);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`node scripts/build-wasm.mjs\``);
  return readFileSync(path);
}

/** A module from WAT text, emitted with its name section (so reports name `$helper`, `$x`). */
async function wat(text: string): Promise<Uint8Array> {
  const b = await loadBinaryen();
  const mod = b.parseText(text);
  try {
    mod.setFeatures(b.Features.All);
    expect(mod.validate()).toBeTruthy();
    const debugInfo = b.getDebugInfo();
    b.setDebugInfo(true);
    try {
      return mod.emitBinary();
    } finally {
      b.setDebugInfo(debugInfo);
    }
  } finally {
    mod.dispose();
  }
}

/** Uses as printed lines, so a failing expectation shows what was found and where. */
const lines = (uses: FloatUse[]): string[] => uses.map(formatFloatUse);

describe('compiled core', () => {
  test.each(['tessera.wasm', 'tessera.unshared.wasm', 'tessera.debug.wasm'])('%s: no float reachable from the simulation exports', async (file) => {
    const report = await analyzeFloatUse(readBuild(file));
    expect(lines(report.uses)).toEqual([]);
    // Not vacuous: the simulation exports were roots, and only the debug ones were skipped.
    const simulation = ['fxMul', 'fxDiv', 'fxSqrt', 'fxSin', 'fxAtan2', 'qIntegrate', 'mathSequence', 'benchKernel', 'hash64'];
    expect(report.roots).toEqual(expect.arrayContaining(simulation));
    expect(report.allowed).toEqual(['debugFromF64', 'debugToF64']);
    expect(report.reachable).toBeGreaterThanOrEqual(report.roots.length / 2);
  });

  test.each(['tessera.wasm', 'tessera.unshared.wasm'])('%s: with nothing allowed, the only float users are debugToF64 and debugFromF64', async (file) => {
    const uses = await findFloatUse(readBuild(file), { allowExportPrefix: '' });
    const exports = [...new Set(uses.flatMap((u) => u.exports))].sort();
    expect(exports).toEqual(['debugFromF64', 'debugToF64']);
    for (const name of exports) {
      // Each debug export's own function does float work (not just some shared helper).
      expect(uses.some((u) => u.kind === 'function' && u.exports.length === 1 && u.exports[0] === name)).toBe(true);
    }
    expect(uses.map((u) => u.found.join(' ')).join(' ')).toMatch(/f64\./);
  });
});

describe('negative controls', () => {
  test('an export doing f64.add is reported (module built with the binaryen API)', async () => {
    const b = await loadBinaryen();
    const mod = new b.Module();
    let bytes: Uint8Array;
    try {
      mod.addFunction('addF64', b.createType([b.f64, b.f64]), b.f64, [], mod.f64.add(mod.local.get(0, b.f64), mod.local.get(1, b.f64)));
      mod.addFunctionExport('addF64', 'step');
      expect(mod.validate()).toBeTruthy();
      bytes = mod.emitBinary();
    } finally {
      mod.dispose();
    }
    const uses = await findFloatUse(bytes);
    expect(uses).toHaveLength(1);
    expect(uses[0].kind).toBe('function');
    expect(uses[0].exports).toEqual(['step']);
    expect(uses[0].found).toEqual(expect.arrayContaining(['f64.add', 'param 0 f64', 'param 1 f64', 'result f64']));
  });

  test('an i64 export calling a helper with f32.convert_i32_s reports the helper', async () => {
    const uses = await findFloatUse(
      await wat(`(module
      (func $helper (param $n i32) (result i32)
        (i32.reinterpret_f32 (f32.convert_i32_s (local.get $n))))
      (func $step (export "step") (param $x i64) (result i64)
        (i64.extend_i32_s (call $helper (i32.wrap_i64 (local.get $x))))))`),
    );
    expect(lines(uses)).toEqual(['function $helper (from step): i32.reinterpret_f32, f32.convert_i32_s']);
  });

  const TABLE_MODULE = (dispatch: string): string => `(module
    (type $ii (func (param i32) (result i32)))
    (table 2 funcref)
    (elem (i32.const 0) $twice $floaty)
    (func $twice (type $ii) (i32.shl (local.get 0) (i32.const 1)))
    (func $floaty (type $ii) (i32.trunc_f64_s (f64.sqrt (f64.convert_i32_s (local.get 0)))))
    (func $dispatch (export "dispatch") (param $i i32) (result i32) ${dispatch}))`;

  test('an i32 export doing call_indirect reports the float function in the table', async () => {
    const uses = await findFloatUse(await wat(TABLE_MODULE('(call_indirect (type $ii) (local.get $i) (local.get $i))')));
    expect(uses.map((u) => [u.name, u.exports])).toEqual([['floaty', ['dispatch']]]);
    expect(uses[0].found).toEqual(expect.arrayContaining(['f64.sqrt', 'f64.convert_i32_s', 'i32.trunc_f64_s']));
  });

  test('a float function in the table is not reported when nothing reachable calls indirectly', async () => {
    expect(await findFloatUse(await wat(TABLE_MODULE('(i32.add (local.get $i) (i32.const 1))')))).toEqual([]);
  });

  test('an f64 local alone is reported', async () => {
    const uses = await findFloatUse(
      await wat(`(module
      (func $count (export "count") (param $n i32) (result i32) (local $x f64)
        (i32.add (local.get $n) (i32.const 1))))`),
    );
    expect(lines(uses)).toEqual(['function $count (from count): local $x f64']);
  });

  test('reachable float imports and exported float globals are reported; unreachable imports are not', async () => {
    const uses = await findFloatUse(
      await wat(`(module
      (import "env" "seed" (func $seed (result f64)))
      (import "env" "log" (func $log (param f64)))
      (global $scale (export "SCALE") f64 (f64.const 0.5))
      (func $step (export "step") (result i64) (i64.reinterpret_f64 (call $seed))))`),
    );
    expect(lines(uses)).toEqual([
      'import $seed (from step): import "env" "seed", result f64',
      'function $step (from step): i64.reinterpret_f64, call $seed yields f64',
      'global $scale (from SCALE): global f64',
    ]);
  });

  const DEBUG_MODULE = `(module
    (func $toF64 (param $x i64) (result f64) (f64.mul (f64.convert_i64_s (local.get $x)) (f64.const 0x1p-16)))
    (func $debugToF64 (export "debugToF64") (param $x i64) (result f64) (call $toF64 (local.get $x)))
    (func $add (export "fxAdd") (param $a i64) (param $b i64) (result i64) (i64.add (local.get $a) (local.get $b))))`;

  test('a float export under the debug prefix is not reported, but is with nothing allowed', async () => {
    const bytes = await wat(DEBUG_MODULE);
    const report = await analyzeFloatUse(bytes);
    expect(report.uses).toEqual([]);
    expect(report.roots).toEqual(['fxAdd']);
    expect(report.allowed).toEqual(['debugToF64']);
    const all = await findFloatUse(bytes, { allowExportPrefix: '' });
    expect(all.map((u) => [u.name, u.exports])).toEqual([
      ['toF64', ['debugToF64']],
      ['debugToF64', ['debugToF64']],
    ]);
  });

  test('a debug helper also reached from a simulation export is reported, from that export only', async () => {
    const bytes = await wat(
      DEBUG_MODULE.replace('(i64.add (local.get $a) (local.get $b))', '(i64.add (local.get $a) (i64.trunc_sat_f64_s (call $toF64 (local.get $b))))'),
    );
    const uses = await findFloatUse(bytes);
    expect(uses.map((u) => [u.name, u.exports])).toEqual([
      ['toF64', ['fxAdd']],
      ['add', ['fxAdd']],
    ]);
  });

  test('an expression kind the walker does not know fails the check instead of passing it', async () => {
    const bytes = await wat(`(module
      (type $t (func (result i32)))
      (func $one (type $t) (i32.const 1))
      (elem declare func $one)
      (func (export "f") (result i32) (call_ref $t (ref.func $one))))`);
    await expect(findFloatUse(bytes)).rejects.toThrow(/not supported/);
  });
});
