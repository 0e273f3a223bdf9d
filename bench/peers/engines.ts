/**
 * The engines the peer benchmark can run, by id, and the aliases of the command line.
 * To add an engine: write `bench/peers/<engine>.ts` exporting a PeerAdapterLoader and register
 * it here.
 */
import type { PeerAdapterLoader } from './adapter';
import { cannonLoader } from './cannon';
import { RAPIER_BUILDS, rapierBuildInstalled, rapierLoader, type RapierBuild } from './rapier';

export const ENGINE_LOADERS: Record<string, PeerAdapterLoader> = {
  'rapier-compat': rapierLoader('rapier-compat'),
  'rapier-simd': rapierLoader('rapier-simd'),
  'rapier-deterministic': rapierLoader('rapier-deterministic'),
  // Jolt (bench/peers/jolt.ts): an ES module, loaded only when asked for.
  jolt: async () => (await import('./jolt')).loadJolt(),
  'cannon-sap': cannonLoader('sap'),
  'cannon-grid': cannonLoader('grid'),
  'cannon-naive': cannonLoader('naive'),
  'cannon-sap-patched': cannonLoader('sap', true),
  'cannon-grid-patched': cannonLoader('grid', true),
  // Tessera's own core (bench/peers/tessera.ts), loaded lazily so the peers
  // run even when the Tessera WASM build is missing or mid-change.
  tessera: async () => (await import('./tessera')).loadTessera(),
};

/** Engine ids in report order. */
export const ENGINE_ORDER = Object.keys(ENGINE_LOADERS);

/** Ids of the Rapier builds (for the targets: "the fastest Rapier build"). */
export const RAPIER_IDS = Object.keys(RAPIER_BUILDS);

/**
 * Expands command-line engine names: `rapier` = every installed Rapier build, `cannon` =
 * cannon-sap, anything else must be an id of ENGINE_LOADERS. Throws for an unknown name.
 */
export function expandEngines(list: string[]): string[] {
  const out: string[] = [];
  const add = (e: string): void => {
    if (!out.includes(e)) out.push(e);
  };
  for (const e of list) {
    if (e === 'rapier') {
      for (const b of Object.keys(RAPIER_BUILDS) as RapierBuild[]) {
        if (rapierBuildInstalled(b)) add(b);
        else process.stderr.write(`note: ${RAPIER_BUILDS[b]} not installed, skipping ${b}\n`);
      }
    } else if (e === 'cannon') {
      add('cannon-sap');
    } else if (e in ENGINE_LOADERS) {
      add(e);
    } else {
      throw new Error(`unknown engine "${e}" (known: rapier, cannon, ${Object.keys(ENGINE_LOADERS).join(', ')})`);
    }
  }
  return out;
}
