/**
 * The code that sets up a script's sandbox (issue 21), evaluated in the script's own QuickJS
 * context before the script's source. It is a function of the host's capability functions, which
 * it keeps in its closure (never on the global object), and returns [deliver, seal]:
 * - it removes or pins what could differ between machines or leak host power: Date is not built
 *   (context intrinsics); Math.random is a mulberry32 generator reseeded by the host before every
 *   call; Float16Array/Float32Array/Float64Array and DataView are removed (with them a script could
 *   read NaN bit patterns, which WebAssembly leaves to the machine; integer typed arrays stay);
 *   SharedArrayBuffer, Atomics, WeakRef and FinalizationRegistry are removed (GC timing);
 *   eval, Function (and the constructors reachable as `(function(){}).constructor`, generator and
 *   async variants included) and `require` are stubs that report SCRIPT_FORBIDDEN to the host;
 * - it defines the script API: on, emit.{impulse,chat,timer,spawn}, store.{get,set,delete,keys}, log;
 * - seal() ends registration (`on` throws afterwards) and deep-freezes everything reachable from
 *   globalThis, so no global or intrinsic can carry state from one call to the next;
 * - deliver(json, seed) reseeds the generator, parses the events and the self view, freezes
 *   them (read-only; their shape is fixed by the host's encoder) and calls the handlers in the
 *   events' order.
 *
 * mulberry32: Tommy Ettinger's 32-bit generator (public domain), as described in his posts and in
 * the "bryc/code" PRNG notes: state += 0x6D2B79F5, then two xorshift-multiply rounds.
 */
export const PRELUDE = `(function (hostEmit, hostStoreGet, hostStoreSet, hostStoreDelete, hostStoreKeys, hostLog, hostForbidden) {
  'use strict';
  const G = globalThis;
  const imul = Math.imul, jsonParse = JSON.parse, jsonStringify = JSON.stringify;
  const freeze = Object.freeze, getProto = Object.getPrototypeOf, ownKeys = Reflect.ownKeys;
  const getDesc = Reflect.getOwnPropertyDescriptor, defineProp = Object.defineProperty;
  let rng = 0;
  function random() {
    rng = (rng + 0x6d2b79f5) | 0;
    let t = rng;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  const forbid = (name) => function () { return hostForbidden(name); };
  const FunctionStub = forbid('Function');
  for (const f of [function () {}, function* () {}, async function () {}, async function* () {}]) {
    defineProp(getProto(f), 'constructor', { value: FunctionStub, writable: false, enumerable: false, configurable: false });
  }
  for (const name of ['Float16Array', 'Float32Array', 'Float64Array', 'DataView', 'SharedArrayBuffer', 'Atomics', 'WeakRef', 'FinalizationRegistry', 'Date']) {
    delete G[name];
  }
  G.eval = forbid('eval');
  G.Function = FunctionStub;
  G.require = forbid('require');
  Math.random = random;
  const handlers = Object.create(null);
  let loading = true;
  G.on = function on(type, fn) {
    if (!loading) throw new TypeError('on() only while the script loads');
    if (typeof type !== 'string' || typeof fn !== 'function') throw new TypeError('on(type: string, handler: function)');
    (handlers[type] || (handlers[type] = [])).push(fn);
  };
  G.emit = {
    impulse(x, y, z) { hostEmit('impulse', x, y, z); },
    chat(text) { hostEmit('chat', text); },
    timer(ticks) { hostEmit('timer', ticks); },
    spawn(dx, dy, dz, vx, vy, vz) { hostEmit('spawn', dx, dy, dz, vx, vy, vz); },
  };
  G.store = {
    get(key) { const s = hostStoreGet(key); return s === undefined ? undefined : jsonParse(s); },
    set(key, value) { hostStoreSet(key, jsonStringify(value)); },
    delete(key) { hostStoreDelete(key); },
    keys() { return jsonParse(hostStoreKeys()); },
  };
  G.log = function log(text) { hostLog(text); };
  function deepFreeze(root) {
    const seen = new Set();
    const stack = [root];
    while (stack.length > 0) {
      const o = stack.pop();
      if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
      seen.add(o);
      for (const k of ownKeys(o)) {
        const d = getDesc(o, k);
        if (d === undefined) continue;
        if ('value' in d) stack.push(d.value);
        else { stack.push(d.get); stack.push(d.set); }
      }
      stack.push(getProto(o));
      freeze(o);
    }
  }
  function seal() {
    loading = false;
    deepFreeze(G);
  }
  function deliver(json, seed) {
    rng = seed | 0;
    const input = jsonParse(json);
    // the input's shape is the host's (encodeInput): flat events, a view with two vectors
    const self = input.self, events = input.events;
    freeze(self.position); freeze(self.velocity); freeze(self);
    for (let i = 0; i < events.length; i++) freeze(events[i]);
    freeze(events);
    for (let i = 0; i < events.length; i++) {
      const list = handlers[events[i].type];
      if (list === undefined) continue;
      for (let j = 0; j < list.length; j++) list[j](events[i], self);
    }
  }
  return [deliver, seal];
})`;
