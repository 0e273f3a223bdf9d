// Tessera physics core (WebAssembly). This file only re-exports; the logic lives in
// math/, hash/ and api/.

export * from './api/math';
export * from './api/sequence';
export * from './api/bench';
export * from './api/memory';
export * from './api/debug';
export * from './api/world';
