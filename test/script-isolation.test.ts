/**
 * Object scripts (issue 21): isolation. Each hostile script is suspended with its code while a
 * well-behaved script on the same engine (the same wasm module) keeps counting its touches; a
 * suspended script stays suspended; the same input suspends at the same call on two engines.
 */
import { type Script, ScriptEngine } from '../src/script/engine';
import { SCRIPT_ERROR, type ScriptErrorCode, type ScriptEvent, type ScriptSelfView } from '../src/script/types';

const view = (tick: number): ScriptSelfView => ({ id: 1, tick, position: [1000, 2000, -3000], velocity: [0, -9810, 0] });
const touch = (by: number): ScriptEvent => ({ type: 'touch', order: [1, by], data: { by } });

const COUNTER = `on('touch', (e) => { const n = (store.get('n') ?? 0) + 1; store.set('n', n); emit.chat('touched ' + n); });`;

let engine: ScriptEngine;
let tick = 0;
beforeAll(async () => {
  engine = await ScriptEngine.create(12345);
});

/** The good script keeps working: one more touch, one more count. */
function expectCounts(good: Script, n: number): void {
  const r = good.deliver(view(++tick), [touch(7)]);
  expect(r).toMatchObject({ ok: true, commands: [{ kind: 'chat', text: `touched ${n}` }] });
  expect(good.serializeStore()).toBe(`{"n":${n}}`);
}

/** Load `source`, deliver one touch; the code the script ends with, and the suspension stays. */
function suspendCode(source: string, limits = {}): { code: ScriptErrorCode | 'ok'; message: string } {
  const s = engine.load({ objectId: 99, source, limits });
  let out: { code: ScriptErrorCode | 'ok'; message: string };
  if (s.suspended) out = s.suspended;
  else {
    const r = s.deliver(view(++tick), [touch(3)]);
    out = r.ok ? { code: 'ok', message: '' } : { code: r.code, message: r.message };
  }
  if (out.code !== 'ok') {
    // stays suspended, with the same code, whatever comes next
    const again = s.deliver(view(++tick), [touch(4)]);
    expect(again).toMatchObject({ ok: false, code: out.code });
    expect(s.suspended?.code).toBe(out.code);
  }
  s.dispose();
  return out;
}

describe('hostile scripts are contained with their code while another script works', () => {
  let good: Script;
  let n = 0;
  beforeAll(() => {
    good = engine.load({ objectId: 1, source: COUNTER });
    expect(good.suspended).toBeNull();
  });
  afterEach(() => expectCounts(good, ++n));
  afterAll(() => good.dispose());

  test('infinite loop in a handler: SCRIPT_BUDGET', () => {
    expect(suspendCode(`on('touch', () => { for (;;) {} });`).code).toBe(SCRIPT_ERROR.BUDGET);
  });
  test('infinite loop at top level: SCRIPT_BUDGET at load', () => {
    expect(suspendCode(`while (true) {}`).code).toBe(SCRIPT_ERROR.BUDGET);
  });
  test('the budget cannot be caught: try/catch around a loop still ends in SCRIPT_BUDGET', () => {
    expect(suspendCode(`on('touch', () => { for (;;) { try { for (;;) {} } catch (e) {} } });`).code).toBe(SCRIPT_ERROR.BUDGET);
  });
  test('catastrophic regexp backtracking: SCRIPT_BUDGET (the regexp engine polls too)', () => {
    expect(suspendCode(`on('touch', () => { /(a+)+b/.test('a'.repeat(40)); });`).code).toBe(SCRIPT_ERROR.BUDGET);
  });
  test('memory bomb: SCRIPT_MEMORY', () => {
    const r = suspendCode(`on('touch', () => { const a = []; for (;;) a.push('xxxxxxxxxxxxxxxx' + a.length); });`, { budgetPolls: 10_000 });
    expect(r.code).toBe(SCRIPT_ERROR.MEMORY);
    expect(r.message).toMatch(/out of memory/);
  });
  test('one huge allocation: SCRIPT_MEMORY', () => {
    expect(suspendCode(`on('touch', () => { new Uint8Array(64 * 1024 * 1024); });`).code).toBe(SCRIPT_ERROR.MEMORY);
  });
  test('runaway recursion: SCRIPT_MEMORY (stack limit), not a crash of the wasm module', () => {
    const r = suspendCode(`function f(n) { return f(n + 1) + 1; } on('touch', () => f(0));`);
    expect(r).toMatchObject({ code: SCRIPT_ERROR.MEMORY, message: expect.stringMatching(/stack overflow/) });
  });
  test('a throw: SCRIPT_THREW with the message', () => {
    expect(suspendCode(`on('touch', () => { throw new RangeError('boom'); });`)).toEqual({ code: SCRIPT_ERROR.THREW, message: 'RangeError: boom' });
  });
  test('a syntax error: SCRIPT_THREW at load', () => {
    expect(suspendCode(`on('touch', () => {`).code).toBe(SCRIPT_ERROR.THREW);
  });
  test.each([
    ['require', `require('fs')`],
    ['eval', `eval('1 + 1')`],
    ['indirect eval', `(0, eval)('globalThis')`],
    ['Function', `new Function('return this')()`],
    ['function constructor', `(function () {}).constructor('return process')()`],
    ['generator constructor', `(function* () {}).constructor('yield 1')`],
    ['async constructor', `(async function () {}).constructor('return 1')`],
    ['dynamic import', `import('fs')`],
    ['static import', `import fs from 'fs';`],
    ['caught forbidden call', `try { eval('1') } catch (e) {}`],
    ['store at top level', `store.set('a', 1)`],
    ['emit at top level', `emit.chat('hello')`],
  ])('%s: SCRIPT_FORBIDDEN', (_name, code) => {
    expect(suspendCode(code).code).toBe(SCRIPT_ERROR.FORBIDDEN);
    // inside a handler too
    if (!/^(import |store|emit)/.test(code)) expect(suspendCode(`on('touch', () => { ${code}; });`).code).toBe(SCRIPT_ERROR.FORBIDDEN);
  });
  test('event flood: SCRIPT_FLOOD, the flood is not delivered', () => {
    expect(suspendCode(`on('touch', () => { for (;;) emit.impulse(0, 1, 0); });`).code).toBe(SCRIPT_ERROR.FLOOD);
  });
  test('store flood: SCRIPT_STORE_FULL', () => {
    expect(suspendCode(`on('touch', () => { for (let i = 0; ; i++) store.set('k' + i, i); });`).code).toBe(SCRIPT_ERROR.STORE_FULL);
    expect(suspendCode(`on('touch', () => { store.set('big', 'x'.repeat(100000)); });`).code).toBe(SCRIPT_ERROR.STORE_FULL);
  });
  test.each([
    ['fractional impulse', `emit.impulse(0.5, 0, 0)`],
    ['impulse past the range', `emit.impulse(1e12, 0, 0)`],
    ['NaN impulse', `emit.impulse(NaN, 0, 0)`],
    ['impulse from an object', `emit.impulse({ valueOf() { return 1; } }, 0, 0)`],
    ['zero timer', `emit.timer(0)`],
    ['chat too long', `emit.chat('x'.repeat(1000))`],
    ['chat not a string', `emit.chat(42)`],
    ['store value not JSON', `store.set('f', () => 1)`],
    ['store key not a string', `store.set(1, 1)`],
  ])('%s: SCRIPT_BAD_VALUE', (_name, code) => {
    expect(suspendCode(`on('touch', () => { ${code}; });`).code).toBe(SCRIPT_ERROR.BAD_VALUE);
  });
});

describe('what a script can reach', () => {
  test('the global object holds the language and the script API only: no host objects, clock, float views or GC hooks', () => {
    const s = engine.load({
      objectId: 5,
      limits: { maxLogLines: 4, maxLogChars: 10_000 },
      source: `on('probe', () => {
        log(Object.getOwnPropertyNames(globalThis).sort().join(','));
        log([typeof process, typeof console, typeof Date, typeof setTimeout, typeof WeakRef, typeof Float64Array, typeof DataView, typeof SharedArrayBuffer, typeof std, typeof os].join(','));
        log(String(Object.isFrozen(globalThis) && Object.isFrozen(Math) && Object.isFrozen(Array.prototype)));
      });`,
    });
    const r = s.deliver(view(++tick), [{ type: 'probe', order: [0] }]);
    expect(r.ok).toBe(true);
    const names = r.log[0].split(',');
    const expected =
      'AggregateError,Array,ArrayBuffer,BigInt,BigInt64Array,BigUint64Array,Boolean,Error,EvalError,Function,Infinity,Int16Array,Int32Array,Int8Array,InternalError,Iterator,JSON,Map,Math,NaN,Number,Object,Promise,Proxy,RangeError,ReferenceError,Reflect,RegExp,Set,String,Symbol,SyntaxError,TypeError,URIError,Uint16Array,Uint32Array,Uint8Array,Uint8ClampedArray,WeakMap,WeakSet,decodeURI,decodeURIComponent,emit,encodeURI,encodeURIComponent,escape,eval,globalThis,isFinite,isNaN,log,on,parseFloat,parseInt,require,store,undefined,unescape';
    expect(names).toEqual(expected.split(','));
    expect(r.log[1]).toBe('undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined');
    expect(r.log[2]).toBe('true');
    s.dispose();
  });
  test('globals cannot carry state between calls: they are frozen after load', () => {
    expect(suspendCode(`var count = 0; on('touch', () => { count++; });`)).toMatchObject({
      code: SCRIPT_ERROR.THREW,
      message: expect.stringMatching(/TypeError/),
    });
    expect(suspendCode(`on('touch', () => { globalThis.x = 1; });`).code).toBe(SCRIPT_ERROR.THREW);
    expect(suspendCode(`on('touch', () => { Math.random = () => 0; });`).code).toBe(SCRIPT_ERROR.THREW);
    expect(suspendCode(`on('touch', () => { Array.prototype.evil = 1; });`).code).toBe(SCRIPT_ERROR.THREW);
    // handlers register while the script loads only
    expect(suspendCode(`on('touch', () => { on('timer', () => {}); });`).code).toBe(SCRIPT_ERROR.THREW);
  });
  test('events and the self view are read-only', () => {
    expect(suspendCode(`on('touch', (e, self) => { self.position[0] = 0; });`).code).toBe(SCRIPT_ERROR.THREW);
    expect(suspendCode(`on('touch', (e) => { e.by = 0; });`).code).toBe(SCRIPT_ERROR.THREW);
  });
  test('a failed call leaves the store as it was before the call', () => {
    const s = engine.load({ objectId: 6, source: `on('touch', (e) => { store.set('a', e.by); if (e.by === 2) throw new Error('x'); });` });
    expect(s.deliver(view(++tick), [touch(1)]).ok).toBe(true);
    expect(s.deliver(view(++tick), [touch(2)])).toMatchObject({ ok: false, code: SCRIPT_ERROR.THREW });
    expect(s.serializeStore()).toBe('{"a":1}');
    s.dispose();
  });
  test('log is bounded: extra lines are dropped and counted, not an error', () => {
    const s = engine.load({ objectId: 7, source: `on('touch', () => { for (let i = 0; i < 20; i++) log('line ' + i + 'x'.repeat(500)); });` });
    const r = s.deliver(view(++tick), [touch(1)]);
    expect(r).toMatchObject({ ok: true, logDropped: 12 });
    expect(r.log).toHaveLength(8);
    expect(r.log[0]).toHaveLength(200);
    s.dispose();
  });
});

describe('suspension is deterministic', () => {
  test('a script that throws on its third touch is suspended at the third call on two engines', async () => {
    const other = await ScriptEngine.create(12345);
    const src = `on('touch', () => { const n = (store.get('n') ?? 0) + 1; store.set('n', n); if (n === 3) null.x; });`;
    const runs = [engine, other].map((e) => {
      const s = e.load({ objectId: 8, source: src });
      const codes = [1, 2, 3, 4].map((t) => {
        const r = s.deliver(view(t), [touch(1)]);
        return r.ok ? 'ok' : r.code;
      });
      s.dispose();
      return codes;
    });
    expect(runs[0]).toEqual(['ok', 'ok', SCRIPT_ERROR.THREW, SCRIPT_ERROR.THREW]);
    expect(runs[1]).toEqual(runs[0]);
  });
});
