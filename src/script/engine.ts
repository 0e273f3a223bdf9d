/**
 * Object scripts (issue 21): a sandboxed, deterministic JavaScript engine on QuickJS compiled to
 * WebAssembly (quickjs-emscripten's release-sync variant). One `ScriptEngine` (one wasm module)
 * per thread; one `Script` per scripted object, with its own QuickJS runtime (memory cap, stack
 * limit, instruction budget) and context. Design and determinism argument: docs/scripts/design.md.
 *
 * A call (`Script.deliver`) either returns the commands for tick t+1 or suspends the script with a
 * SCRIPT_* code; a suspended script stays suspended (every later call returns the same code) and
 * never affects the engine or other scripts. The store writes and commands of a failed call are
 * dropped: a call is all or nothing.
 */
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import { PRELUDE } from './prelude';
import { ScriptStore } from './store';
import {
  DEFAULT_SCRIPT_LIMITS,
  SCRIPT_ERROR,
  type ScriptCommand,
  type ScriptErrorCode,
  type ScriptEvent,
  type ScriptLimits,
  type ScriptResult,
  type ScriptSelfView,
} from './types';

/**
 * The release-sync variant built for CommonJS: the package's own default export loads its
 * emscripten module with a dynamic import(), which jest (CommonJS, no vm modules) cannot run.
 */
const VARIANT: QuickJSSyncVariant = {
  type: 'sync',
  importFFI: async () => require('@jitl/quickjs-wasmfile-release-sync/ffi').QuickJSFFI,
  importModuleLoader: async () => require('@jitl/quickjs-wasmfile-release-sync/emscripten-module'),
};

/**
 * The instruction budget must not depend on what a runtime ran before: QuickJS keeps a countdown
 * (`JSContext.interrupt_counter`, quickjs.c) that calls the interrupt handler when it reaches 0 and
 * restarts at JS_INTERRUPT_COUNTER_INIT = 10,000; what is left of it carries over from one call to
 * the next, so a restarted server (fresh runtime) would cut a long call at another point than a
 * server that ran through. quickjs-emscripten exposes no setter, so the engine writes the countdown
 * itself before every call, at its byte offset in the JSContext struct of this build
 * (quickjs-emscripten 0.32.0, release-sync). `ScriptEngine.create` checks the offset on a probe
 * context and refuses to start if it does not behave as the countdown (another build).
 */
const INTERRUPT_COUNTER_OFFSET = 232;
/** JS_INTERRUPT_COUNTER_INIT in quickjs.c: poll points between two interrupt-handler calls. */
export const POLL_POINTS_PER_POLL = 10_000;

/** The private fields of quickjs-emscripten's context this engine reads (pinned version). */
interface ContextInternals {
  ctx: { value: number };
  module: { HEAPU8: Uint8Array };
}

/** A view of the wasm memory, remade when the memory grew (its buffer is then a new one). */
let heapView: DataView | null = null;

/** Sets the context's interrupt countdown to `value` (see INTERRUPT_COUNTER_OFFSET). */
function setInterruptCountdown(ctx: QuickJSContext, value: number): void {
  const c = ctx as unknown as ContextInternals;
  const buffer = c.module.HEAPU8.buffer;
  if (heapView?.buffer !== buffer) heapView = new DataView(buffer);
  heapView.setInt32(c.ctx.value + INTERRUPT_COUNTER_OFFSET, value, true);
}

/** Throws unless INTERRUPT_COUNTER_OFFSET is the countdown in this wasm module (a probe runtime). */
function checkInterruptCountdown(module: QuickJSWASMModule): void {
  const rt = module.newRuntime();
  let calls = 0;
  rt.setInterruptHandler(() => {
    calls++;
    return false;
  });
  const ctx = rt.newContext();
  const run = (countdown: number): number => {
    calls = 0;
    setInterruptCountdown(ctx, countdown);
    ctx.evalCode('for (let i = 0; i < 100; i++) {}', 'probe.js', { type: 'global' }).dispose();
    return calls;
  };
  try {
    const few = run(1); // the first poll point reaches 0: one handler call
    const none = run(POLL_POINTS_PER_POLL); // 100 iterations are far from 10,000 poll points
    const again = run(1);
    if (few !== 1 || none !== 0 || again !== 1) {
      throw new Error(
        `script engine: this QuickJS build does not keep its interrupt countdown at byte ${INTERRUPT_COUNTER_OFFSET} (${few},${none},${again}); refusing to run scripts with a history-dependent budget`,
      );
    }
  } finally {
    ctx.dispose();
    rt.dispose();
  }
}

/** Longest error message kept for the object's master, characters. */
const MAX_MESSAGE = 300;

/**
 * The per-call seed of a script's Math.random: murmur3's 32-bit finalizer (fmix32, Austin
 * Appleby, MurmurHash3) chained over the world seed, the object id and the tick, all taken as
 * u32. The same (world, object, tick) gives the same sequence on every server and in a replay,
 * whatever the script did before.
 */
export function scriptSeed(worldSeed: number, objectId: number, tick: number): number {
  let h = fmix32(worldSeed >>> 0);
  h = fmix32((h ^ (objectId >>> 0)) >>> 0);
  h = fmix32((h ^ (tick >>> 0)) >>> 0);
  return h | 0;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** What `ScriptEngine.load` needs. */
export interface ScriptSpec {
  /** The scripted object's id (u32; part of the Math.random seed). */
  objectId: number;
  /** Source text: plain script (not a module) that registers handlers with `on(type, fn)`. */
  source: string;
  /** The store's serialized form (`Script.serializeStore()`), to restore; empty when absent. */
  store?: string;
  /** Limits; defaults DEFAULT_SCRIPT_LIMITS. */
  limits?: Partial<ScriptLimits>;
}

/** One QuickJS wasm module: create one per thread (`await ScriptEngine.create()`), then `load` scripts. */
export class ScriptEngine {
  private constructor(
    private readonly module: QuickJSWASMModule,
    /** World seed (u32) for the scripts' Math.random. */
    readonly worldSeed: number,
  ) {}

  /** Loads the QuickJS wasm module (a few ms). */
  static async create(worldSeed = 0): Promise<ScriptEngine> {
    const module = await newQuickJSWASMModuleFromVariant(VARIANT);
    checkInterruptCountdown(module);
    return new ScriptEngine(module, worldSeed);
  }

  /**
   * A script sandbox: a new runtime and context, the prelude, the source evaluated (top level
   * runs once here, under `loadBudgetPolls`), then sealed. A script that fails to load comes back
   * suspended (`script.suspended`), never thrown: its source came from a user. Throws only on a
   * malformed `spec.store` (host data).
   */
  load(spec: ScriptSpec): Script {
    return new Script(this.module, this.worldSeed, spec);
  }
}

/** Why a call stopped early, recorded by the host side (a script cannot catch it away). */
interface Violation {
  code: ScriptErrorCode;
  message: string;
}

/** One scripted object's sandbox. Not thread-safe; lives on its engine's thread. */
export class Script {
  /** The object's id. */
  readonly objectId: number;
  /** The source text. */
  readonly source: string;
  /** Effective limits. */
  readonly limits: Readonly<ScriptLimits>;
  private readonly worldSeed: number;
  private readonly module: QuickJSWASMModule;
  private runtime: QuickJSRuntime | null = null;
  private context: QuickJSContext | null = null;
  private deliverFn: QuickJSHandle | null = null;
  /** A sandbox built ahead for the next reset (prepareReset), or the violation building it met. */
  private spare: { runtime: QuickJSRuntime; context: QuickJSContext; deliverFn: QuickJSHandle } | Violation | null = null;
  /** True while the source loads: store and emit are refused then. */
  private loading = false;
  private store: ScriptStore;
  /**
   * The call's pending store (kept on success): the committed store itself until the call's first
   * write, then a copy (`writable`), so a call that only reads copies nothing.
   */
  private pending: ScriptStore;
  private commands: ScriptCommand[] = [];
  private log: string[] = [];
  private logDropped = 0;
  private polls = 0;
  private budget = 0;
  private violation: Violation | null = null;
  private suspension: Violation | null = null;

  constructor(module: QuickJSWASMModule, worldSeed: number, spec: ScriptSpec) {
    this.module = module;
    this.worldSeed = worldSeed;
    this.objectId = spec.objectId;
    this.source = spec.source;
    this.limits = Object.freeze({ ...DEFAULT_SCRIPT_LIMITS, ...spec.limits });
    this.store = spec.store ? ScriptStore.parse(spec.store) : new ScriptStore();
    this.pending = this.store;
    this.boot();
  }

  /** The suspension (code and message for the object's master), or null while the script runs. */
  get suspended(): { code: ScriptErrorCode; message: string } | null {
    return this.suspension;
  }

  /** The store's canonical serialized form (sorted keys): the script's only persistent state. */
  serializeStore(): string {
    return this.store.serialize();
  }

  /**
   * True when the next `reset()` only swaps (a fresh sandbox was built by `prepareReset()`, or the
   * script is suspended and `reset()` does nothing): no sandbox is built at the checkpoint.
   */
  get resetReady(): boolean {
    return this.spare !== null || this.suspension !== null;
  }

  /** Store's JSON text under `key` (host view, e.g. for the master's inspector). */
  storeGet(key: string): string | undefined {
    return this.store.get(key);
  }

  /**
   * Runs the handlers for the events of tick `self.tick`, in the order of their `order` keys,
   * with `self` as the read-only view of state t. Returns the commands for t+1 or the suspension.
   * Throws (host bug, not the script's) on events with equal keys, a non-integer in the events
   * or the view, or a 'type' key in an event's data.
   */
  deliver(self: ScriptSelfView, events: readonly ScriptEvent[]): ScriptResult {
    const json = encodeInput(self, events);
    if (this.suspension) return this.fail(this.suspension);
    const ctx = this.context!;
    this.beginCall(this.limits.budgetPolls);
    const seed = ctx.newNumber(scriptSeed(this.worldSeed, this.objectId, self.tick));
    const arg = ctx.newString(json);
    const r = ctx.callFunction(this.deliverFn!, ctx.undefined, arg, seed);
    arg.dispose();
    seed.dispose();
    let v = this.takeResult(r);
    if (!v) v = this.runJobs();
    if (v) {
      this.suspend(v);
      return this.fail(v);
    }
    this.store = this.pending;
    const out: ScriptResult = { ok: true, commands: this.commands, log: this.log, logDropped: this.logDropped, polls: this.polls };
    this.commands = [];
    this.log = [];
    return out;
  }

  /**
   * Re-creates the sandbox from source and the current store (a fresh runtime: what a restart
   * does). The host calls it at the same ticks on every server (docs/scripts/design.md, the state
   * rule). A suspended script stays suspended.
   */
  reset(): void {
    if (this.suspension) return;
    this.disposeSandbox();
    const spare = this.spare;
    this.spare = null;
    if (spare === null) this.boot();
    else if ('code' in spare) this.suspend(spare);
    else ({ runtime: this.runtime, context: this.context, deliverFn: this.deliverFn } = spare);
  }

  /**
   * Builds the sandbox the next `reset()` will swap in, ahead of time (in idle time before a
   * checkpoint tick): loading does not depend on the store or the tick (top-level code may not
   * touch the store or emit, and its Math.random has the fixed seed 0), so a sandbox built early
   * equals one built at the checkpoint. A no-op when one is ready or the script is suspended.
   */
  prepareReset(): void {
    if (this.suspension || this.spare) return;
    const current = { runtime: this.runtime, context: this.context, deliverFn: this.deliverFn };
    this.runtime = this.context = this.deliverFn = null;
    const v = this.build();
    if (v) {
      this.disposeSandbox();
      this.spare = v;
    } else {
      this.spare = { runtime: this.runtime!, context: this.context!, deliverFn: this.deliverFn! };
    }
    this.pending = this.store;
    this.commands = [];
    ({ runtime: this.runtime, context: this.context, deliverFn: this.deliverFn } = current);
  }

  /** Frees the sandbox. The script is unusable afterwards (calls return SCRIPT_THREW 'disposed'). */
  dispose(): void {
    this.disposeSandbox();
    if (this.spare && !('code' in this.spare)) {
      this.spare.deliverFn.dispose();
      this.spare.context.dispose();
      this.spare.runtime.dispose();
    }
    this.spare = null;
    if (!this.suspension) this.suspension = { code: SCRIPT_ERROR.THREW, message: 'script disposed' };
  }

  private fail(v: Violation): ScriptResult {
    const out: ScriptResult = { ok: false, code: v.code, message: v.message, log: this.log, logDropped: this.logDropped, polls: this.polls };
    this.log = [];
    return out;
  }

  private beginCall(budget: number): void {
    if (this.context) setInterruptCountdown(this.context, POLL_POINTS_PER_POLL);
    this.polls = 0;
    this.budget = budget;
    this.violation = null;
    this.commands = [];
    this.log = [];
    this.logDropped = 0;
    this.pending = this.store;
  }

  /** The pending store, copied from the committed one on the call's first write. */
  private writable(): ScriptStore {
    if (this.pending === this.store) this.pending = new ScriptStore(this.store);
    return this.pending;
  }

  private suspend(v: Violation): void {
    this.suspension = v;
    this.commands = [];
    this.pending = this.store;
    this.disposeSandbox();
  }

  private boot(): void {
    const v = this.build();
    if (v) {
      this.suspend(v);
      return;
    }
    this.pending = this.store;
    this.commands = [];
  }

  /** A new runtime and context with prelude and source loaded, in this.runtime/context/deliverFn; the violation or null. */
  private build(): Violation | null {
    const rt = this.module.newRuntime();
    this.runtime = rt;
    rt.setMemoryLimit(this.limits.memoryBytes);
    rt.setMaxStackSize(this.limits.stackBytes);
    rt.setInterruptHandler(() => {
      this.polls++;
      if (this.polls <= this.budget) return false;
      if (!this.violation) this.violation = { code: SCRIPT_ERROR.BUDGET, message: `instruction budget of ${this.budget} polls exceeded` };
      return true;
    });
    rt.setModuleLoader((name) => {
      const message = `import of '${String(name).slice(0, 60)}' is forbidden in scripts`;
      if (!this.violation) this.violation = { code: SCRIPT_ERROR.FORBIDDEN, message };
      return { error: new Error(message) };
    });
    const ctx = rt.newContext({
      intrinsics: {
        BaseObjects: true,
        Eval: true,
        StringNormalize: true,
        RegExp: true,
        JSON: true,
        Proxy: true,
        MapSet: true,
        TypedArrays: true,
        Promise: true,
      },
    });
    this.context = ctx;
    this.beginCall(this.limits.loadBudgetPolls);
    this.loading = true;
    try {
      return this.setup(ctx);
    } finally {
      this.loading = false;
    }
  }

  /** Prelude, source, seal; the first violation or null. */
  private setup(ctx: QuickJSContext): Violation | null {
    const fns = [
      ctx.newFunction('hostEmit', (kind, ...args) => this.hostEmit(ctx, kind, args)),
      ctx.newFunction('hostStoreGet', (key) => {
        const k = this.keyArg(ctx, key);
        const s = this.pending.get(k);
        return s === undefined ? ctx.undefined : ctx.newString(s);
      }),
      ctx.newFunction('hostStoreSet', (key, value) => {
        const k = this.keyArg(ctx, key);
        if (ctx.typeof(value) !== 'string') this.refuse(SCRIPT_ERROR.BAD_VALUE, `store.set('${k}'): the value is not JSON`);
        const refusal = this.writable().set(k, ctx.getString(value), this.limits);
        if (refusal === 'BAD_VALUE') this.refuse(SCRIPT_ERROR.BAD_VALUE, `store key of ${k.length} characters (1..${this.limits.maxKeyChars})`);
        if (refusal === 'STORE_FULL') this.refuse(SCRIPT_ERROR.STORE_FULL, `store past ${this.limits.maxStoreKeys} keys or ${this.limits.maxStoreBytes} bytes`);
      }),
      ctx.newFunction('hostStoreDelete', (key) => {
        this.writable().delete(this.keyArg(ctx, key));
      }),
      ctx.newFunction('hostStoreKeys', () => {
        if (this.loading) this.forbid('store access while the script loads (top level)');
        return ctx.newString(JSON.stringify(this.pending.keys()));
      }),
      ctx.newFunction('hostLog', (text) => {
        const s = ctx.typeof(text) === 'string' ? ctx.getString(text) : `<${ctx.typeof(text)}>`;
        if (this.log.length < this.limits.maxLogLines) this.log.push(s.slice(0, this.limits.maxLogChars));
        else this.logDropped++;
      }),
      ctx.newFunction('hostForbidden', (name) => {
        this.forbid(ctx.typeof(name) === 'string' ? ctx.getString(name) : 'host object');
      }),
    ];
    let v: Violation | null = null;
    let seal: QuickJSHandle | null = null;
    try {
      const pre = ctx.evalCode(PRELUDE, 'prelude.js', { type: 'global', strict: true });
      if (pre.error) {
        v = this.toViolation(ctx, pre.error);
        return v;
      }
      const made = ctx.callFunction(pre.value, ctx.undefined, fns);
      pre.value.dispose();
      if (made.error) return (v = this.toViolation(ctx, made.error));
      this.deliverFn = ctx.getProp(made.value, 0);
      seal = ctx.getProp(made.value, 1);
      made.value.dispose();
      const src = ctx.evalCode(this.source, `object-${this.objectId}.js`, { type: 'global', strict: true });
      v = this.takeResult(src, true);
      if (!v) v = this.runJobs();
      if (v) return v;
      const sealed = ctx.callFunction(seal, ctx.undefined);
      v = this.takeResult(sealed);
      return v;
    } finally {
      seal?.dispose();
      for (const f of fns) f.dispose();
    }
  }

  /** Drains the job queue (promise reactions) under the same budget; the first violation or null. */
  private runJobs(): Violation | null {
    const rt = this.runtime!;
    for (;;) {
      if (!rt.hasPendingJob()) return this.violation;
      const r = rt.executePendingJobs(1);
      if (r.error) return this.toViolation(this.context!, r.error);
      r.dispose();
      if (this.violation) return this.violation;
    }
  }

  /** A call's result: disposes it; the violation it means, or null. */
  private takeResult(r: ReturnType<QuickJSContext['evalCode']>, source = false): Violation | null {
    if (r.error) return this.toViolation(this.context!, r.error, source);
    r.value.dispose();
    return this.violation;
  }

  /** The violation an exception means: the host's record first (a script cannot catch that away). */
  private toViolation(ctx: QuickJSContext, err: QuickJSHandle, source = false): Violation {
    if (this.violation) {
      if (err.alive) err.dispose();
      return this.violation;
    }
    let name = '';
    let message = '';
    if (ctx.typeof(err) === 'object') {
      const n = ctx.getProp(err, 'name');
      const m = ctx.getProp(err, 'message');
      name = ctx.typeof(n) === 'string' ? ctx.getString(n) : '';
      message = ctx.typeof(m) === 'string' ? ctx.getString(m) : '';
      n.dispose();
      m.dispose();
    } else {
      message = `threw a ${ctx.typeof(err)}`;
    }
    if (err.alive) err.dispose();
    message = `${name ? name + ': ' : ''}${message}`.slice(0, MAX_MESSAGE);
    if (name === 'InternalError' && /out of memory|stack overflow/.test(message)) return { code: SCRIPT_ERROR.MEMORY, message };
    // A static import/export does not parse in a plain script; QuickJS says only "expecting '('".
    if (source && name === 'SyntaxError' && /(^|[;\n}])\s*(import|export)\b/.test(this.source)) {
      return { code: SCRIPT_ERROR.FORBIDDEN, message: `import/export (modules) are forbidden in scripts (${message})`.slice(0, MAX_MESSAGE) };
    }
    return { code: SCRIPT_ERROR.THREW, message };
  }

  private forbid(what: string): never {
    return this.refuse(SCRIPT_ERROR.FORBIDDEN, `${what} is forbidden in scripts`);
  }

  /** Records the violation (the first one wins) and throws into the script. */
  private refuse(code: ScriptErrorCode, message: string): never {
    if (!this.violation) this.violation = { code, message };
    throw new Error(message);
  }

  private keyArg(ctx: QuickJSContext, key: QuickJSHandle): string {
    if (this.loading) this.forbid('store access while the script loads (top level)');
    if (ctx.typeof(key) !== 'string') this.refuse(SCRIPT_ERROR.BAD_VALUE, 'store keys are strings');
    return ctx.getString(key);
  }

  /** An integer argument in [lo, hi] or a refusal. */
  private intArg(ctx: QuickJSContext, h: QuickJSHandle | undefined, what: string, lo: number, hi: number): number {
    const n = h !== undefined && ctx.typeof(h) === 'number' ? ctx.getNumber(h) : Number.NaN;
    if (!Number.isInteger(n) || n < lo || n > hi) this.refuse(SCRIPT_ERROR.BAD_VALUE, `${what} must be an integer in [${lo}, ${hi}]`);
    return n === 0 ? 0 : n; // -0 -> 0
  }

  private hostEmit(ctx: QuickJSContext, kindH: QuickJSHandle, args: QuickJSHandle[]): void {
    const L = this.limits;
    if (this.loading) this.forbid('emit while the script loads (top level)');
    if (this.commands.length >= L.maxCommands) this.refuse(SCRIPT_ERROR.FLOOD, `more than ${L.maxCommands} commands in one call`);
    const kind = ctx.getString(kindH);
    if (kind === 'impulse') {
      const x = this.intArg(ctx, args[0], 'impulse x (mN·s)', -L.maxImpulse, L.maxImpulse);
      const y = this.intArg(ctx, args[1], 'impulse y (mN·s)', -L.maxImpulse, L.maxImpulse);
      const z = this.intArg(ctx, args[2], 'impulse z (mN·s)', -L.maxImpulse, L.maxImpulse);
      this.commands.push({ kind: 'impulse', x, y, z });
    } else if (kind === 'chat') {
      const t = args[0];
      if (t === undefined || ctx.typeof(t) !== 'string') this.refuse(SCRIPT_ERROR.BAD_VALUE, 'chat text must be a string');
      const text = ctx.getString(t);
      if (text.length > L.maxChatChars) this.refuse(SCRIPT_ERROR.BAD_VALUE, `chat of ${text.length} characters (max ${L.maxChatChars})`);
      this.commands.push({ kind: 'chat', text });
    } else if (kind === 'spawn') {
      const o = L.maxSpawnOffset,
        v = L.maxSpawnSpeed;
      const dx = this.intArg(ctx, args[0], 'spawn dx (mm)', -o, o);
      const dy = this.intArg(ctx, args[1], 'spawn dy (mm)', -o, o);
      const dz = this.intArg(ctx, args[2], 'spawn dz (mm)', -o, o);
      const vx = this.intArg(ctx, args[3], 'spawn vx (mm/s)', -v, v);
      const vy = this.intArg(ctx, args[4], 'spawn vy (mm/s)', -v, v);
      const vz = this.intArg(ctx, args[5], 'spawn vz (mm/s)', -v, v);
      this.commands.push({ kind: 'spawn', dx, dy, dz, vx, vy, vz });
    } else {
      this.commands.push({ kind: 'timer', ticks: this.intArg(ctx, args[0], 'timer ticks', 1, L.maxTimerTicks) });
    }
  }

  private disposeSandbox(): void {
    this.deliverFn?.dispose();
    this.deliverFn = null;
    this.context?.dispose();
    this.context = null;
    this.runtime?.dispose();
    this.runtime = null;
  }
}

/** The JSON the sandbox's deliver() parses: events sorted by key, flattened to {type, ...data}. */
function encodeInput(self: ScriptSelfView, events: readonly ScriptEvent[]): string {
  const int = (n: number, what: string): number => {
    if (!Number.isSafeInteger(n)) throw new Error(`script input: ${what} is not a safe integer: ${n}`);
    return n;
  };
  const sorted = [...events].sort((a, b) => compareKeys(a.order, b.order));
  for (let i = 1; i < sorted.length; i++) {
    if (compareKeys(sorted[i - 1].order, sorted[i].order) === 0) throw new Error(`script input: two events with order key [${sorted[i].order}]`);
  }
  const out = sorted.map((e) => {
    for (const k of e.order) if (int(k, 'order key') < 0) throw new Error('script input: negative order key');
    const flat: Record<string, number | string> = { type: e.type };
    for (const [k, v] of Object.entries(e.data ?? {})) {
      if (k === 'type') throw new Error("script input: event data may not use key 'type'");
      flat[k] = typeof v === 'number' ? int(v, `event ${e.type}.${k}`) : String(v);
    }
    return flat;
  });
  const vec = (v: readonly [number, number, number], what: string) => [int(v[0], what), int(v[1], what), int(v[2], what)];
  const view = { id: int(self.id, 'id'), tick: int(self.tick, 'tick'), position: vec(self.position, 'position'), velocity: vec(self.velocity, 'velocity') };
  return JSON.stringify({ self: view, events: out });
}

/** Lexicographic order of integer keys; a prefix sorts first. */
export function compareKeys(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}
