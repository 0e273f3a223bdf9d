// The Node surface the physics core's bindings touch (src/physics/wasm.ts reads build/*.wasm from
// disk; src/physics/sparse.ts compares pages with Buffer for world saves). The viewer imports them
// for client prediction but uses neither path: it hands the core in (provideCoreModule) and never
// saves. scripts/build-web.mjs resolves node:fs / node:path to stubs that throw and defines a
// Buffer whose alloc gives a Uint8Array (from throws). Declared here so the browser type check
// (tsconfig.web.json, no Node types) accepts those modules without admitting the rest of Node.
declare module 'node:fs' {
  export function readFileSync(path: string): Uint8Array<ArrayBuffer>;
  export function existsSync(path: string): boolean;
}
declare module 'node:path' {
  export function basename(path: string): string;
  export function dirname(path: string): string;
  export function join(...paths: string[]): string;
}
declare const __dirname: string;
interface NodeBufferShim extends Uint8Array {
  compare(target: Uint8Array, targetStart?: number, targetEnd?: number, sourceStart?: number, sourceEnd?: number): number;
}
declare const Buffer: { alloc(size: number): NodeBufferShim; from(buffer: ArrayBufferLike, byteOffset?: number, length?: number): NodeBufferShim };
