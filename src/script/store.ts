/**
 * The persistent key-value store of one scripted object (issue 21): the only script state that
 * survives a restart. Values are JSON texts as the sandbox's JSON.stringify wrote them (string,
 * number, boolean, null, arrays and objects of those); keys are strings. The serialized form is a
 * JSON object with its keys sorted by UTF-16 code units, so two servers with the same writes hold
 * the same bytes.
 */
import type { ScriptLimits } from './types';

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Why a write was refused. */
export type StoreRefusal = 'BAD_VALUE' | 'STORE_FULL';

/** A script's store: a map of key to JSON text, bounded by `ScriptLimits`. */
export class ScriptStore {
  private readonly entries: Map<string, string>;
  private bytes: number;
  /** serialize()'s text while nothing changed since (null: to be made). */
  private text: string | null;

  /** An empty store, or a copy of `from`. */
  constructor(from?: ScriptStore) {
    this.entries = new Map(from?.entries);
    this.bytes = from?.bytes ?? 0;
    this.text = from?.text ?? null;
  }

  /**
   * A store from its serialized form (`serialize()`'s output). Throws on text that is not a JSON
   * object. Values are re-serialized with JSON.stringify, whose output ECMAScript specifies exactly
   * (property order, Number::toString), so it equals what the sandbox wrote.
   */
  static parse(text: string): ScriptStore {
    const obj: unknown = JSON.parse(text);
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('script store: not a JSON object');
    const store = new ScriptStore();
    for (const key of Object.keys(obj).sort(compareUnits)) {
      const value = JSON.stringify((obj as Record<string, unknown>)[key]);
      store.entries.set(key, value);
      store.bytes += utf8(key) + utf8(value);
    }
    return store;
  }

  /** The JSON text stored under `key`, or undefined. */
  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  /** Number of keys. */
  get size(): number {
    return this.entries.size;
  }

  /** UTF-8 bytes of keys plus values. */
  get byteSize(): number {
    return this.bytes;
  }

  /** The keys, sorted by UTF-16 code units. */
  keys(): string[] {
    return [...this.entries.keys()].sort(compareUnits);
  }

  /** Store `json` (already a JSON text) under `key`; refuses a bad key or a store past its limits. */
  set(key: string, json: string, limits: ScriptLimits): StoreRefusal | null {
    if (key.length === 0 || key.length > limits.maxKeyChars) return 'BAD_VALUE';
    const old = this.entries.get(key);
    const bytes = this.bytes - (old === undefined ? 0 : utf8(key) + utf8(old)) + utf8(key) + utf8(json);
    const size = this.entries.size + (old === undefined ? 1 : 0);
    if (size > limits.maxStoreKeys || bytes > limits.maxStoreBytes) return 'STORE_FULL';
    this.entries.set(key, json);
    this.bytes = bytes;
    this.text = null;
    return null;
  }

  /** Remove `key` (no-op when absent). */
  delete(key: string): void {
    const old = this.entries.get(key);
    if (old === undefined) return;
    this.entries.delete(key);
    this.bytes -= utf8(key) + utf8(old);
    this.text = null;
  }

  /** The canonical serialized form: `{"k1":v1,"k2":v2}` with keys sorted by UTF-16 code units. */
  serialize(): string {
    this.text ??= '{' + this.keys().map((k) => JSON.stringify(k) + ':' + this.entries.get(k)) + '}';
    return this.text;
  }
}

/** Order of strings by UTF-16 code units (what `<` does; locale-free). */
export function compareUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
