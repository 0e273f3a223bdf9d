/**
 * Object scripts (issue 21): the types and settings that cross the boundary between the host and a
 * script sandbox (src/script/engine.ts). Every number that crosses it is an integer:
 * positions in millimetres, velocities in mm/s, impulses in mN·s (1/1000 N·s), timers in ticks.
 */

/** Error codes of a suspended script (constants, as in src/net's error codes). */
export const SCRIPT_ERROR = {
  /** The script threw an exception that no handler caught (or failed to compile). */
  THREW: 'SCRIPT_THREW',
  /** The call used more than its instruction budget (`ScriptLimits.budgetPolls`). */
  BUDGET: 'SCRIPT_BUDGET',
  /** The script's runtime went past its memory cap or its stack limit. */
  MEMORY: 'SCRIPT_MEMORY',
  /** More commands in one call than `ScriptLimits.maxCommands`. */
  FLOOD: 'SCRIPT_FLOOD',
  /** The script called eval, Function, require or import. */
  FORBIDDEN: 'SCRIPT_FORBIDDEN',
  /** A value handed to the host was refused: a non-integer, out of range, a chat too long, a non-JSON store value. */
  BAD_VALUE: 'SCRIPT_BAD_VALUE',
  /** The persistent store went past `maxStoreKeys` or `maxStoreBytes`. */
  STORE_FULL: 'SCRIPT_STORE_FULL',
} as const;

/** One of the SCRIPT_ERROR codes. */
export type ScriptErrorCode = (typeof SCRIPT_ERROR)[keyof typeof SCRIPT_ERROR];

/**
 * Budgets and bounds of one script (a world setting). All sizes are bytes, all counts per call of
 * `Script.deliver` unless said otherwise.
 */
export interface ScriptLimits {
  /** Memory cap of the script's QuickJS runtime (JS_SetMemoryLimit), bytes, including the ~200 kB of a fresh context. */
  memoryBytes: number;
  /** Stack limit of the runtime (JS_SetMaxStackSize), bytes of the wasm shadow stack. */
  stackBytes: number;
  /**
   * Instruction budget of one call, in interrupt polls: QuickJS calls the interrupt handler once every
   * 10,000 poll points (function calls and backward jumps, JS_INTERRUPT_COUNTER_INIT in quickjs.c), a
   * count that depends only on the code run, never on the clock. A call that needs more polls is cut off.
   */
  budgetPolls: number;
  /** The same budget for the evaluation of the source (top-level code and sealing), interrupt polls. */
  loadBudgetPolls: number;
  /** Commands (impulse, chat, timer) per call. */
  maxCommands: number;
  /** Characters (UTF-16 code units) of one chat message. */
  maxChatChars: number;
  /** Largest timer, ticks (timers are 1..maxTimerTicks). */
  maxTimerTicks: number;
  /** Largest |component| of an impulse, mN·s. */
  maxImpulse: number;
  /** Largest |component| of a spawn's offset from the object, mm. */
  maxSpawnOffset: number;
  /** Largest |component| of a spawn's velocity, mm/s. */
  maxSpawnSpeed: number;
  /** Log lines kept per call (more are dropped and counted, not an error). */
  maxLogLines: number;
  /** Characters of one log line (longer lines are cut). */
  maxLogChars: number;
  /** Keys in the persistent store. */
  maxStoreKeys: number;
  /** Characters of one store key. */
  maxKeyChars: number;
  /** UTF-8 bytes of the whole store (keys plus JSON values). */
  maxStoreBytes: number;
}

/** Default limits: a small script handling a few events per tick. */
export const DEFAULT_SCRIPT_LIMITS: Readonly<ScriptLimits> = Object.freeze({
  memoryBytes: 1 << 20,
  stackBytes: 64 * 1024,
  budgetPolls: 20,
  loadBudgetPolls: 50,
  maxCommands: 16,
  maxChatChars: 256,
  maxTimerTicks: 60 * 60 * 60,
  maxImpulse: 1_000_000,
  maxSpawnOffset: 10_000,
  maxSpawnSpeed: 50_000,
  maxLogLines: 8,
  maxLogChars: 200,
  maxStoreKeys: 64,
  maxKeyChars: 64,
  maxStoreBytes: 8 * 1024,
});

/**
 * An event for a script. `order` is the host's sort key: events are delivered sorted by it
 * lexicographically (element by element, then the shorter first); two events of one call may not
 * share a key. `data` values are integers (safe integers) or strings; `type` names the handler.
 */
export interface ScriptEvent {
  /** Handler name: 'touch', 'timer', 'chat', ... (`on(type, fn)` in the script). */
  type: string;
  /** Sort key, non-negative safe integers (e.g. [kind, mix(receiver, source), seq]). */
  order: readonly number[];
  /** Payload: integers and strings only. Key 'type' is reserved. */
  data?: Readonly<Record<string, number | string>>;
}

/** The read-only view of state t a script sees (its own object), integers only. */
export interface ScriptSelfView {
  /** The object's id. */
  id: number;
  /** The tick whose state this is (t). */
  tick: number;
  /** Position, mm. */
  position: readonly [number, number, number];
  /** Linear velocity, mm/s. */
  velocity: readonly [number, number, number];
}

/**
 * A command a script emits for tick t+1. 'spawn': a sphere at offset (dx, dy, dz) mm from the
 * object, |component| <= `maxSpawnOffset`, with velocity (vx, vy, vz) mm/s, |component| <= `maxSpawnSpeed`.
 */
export type ScriptCommand =
  | { kind: 'impulse'; x: number; y: number; z: number }
  | { kind: 'chat'; text: string }
  | { kind: 'timer'; ticks: number }
  | { kind: 'spawn'; dx: number; dy: number; dz: number; vx: number; vy: number; vz: number };

/** The outcome of one call: commands for t+1, or the suspension. */
export type ScriptResult =
  | { ok: true; commands: ScriptCommand[]; log: string[]; logDropped: number; polls: number }
  | { ok: false; code: ScriptErrorCode; message: string; log: string[]; logDropped: number; polls: number };
