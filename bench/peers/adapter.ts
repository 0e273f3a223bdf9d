/**
 * The interface every physics engine under benchmark implements, so the
 * runner (run-peers.ts) can drive Rapier, cannon-es and Tessera's own core in
 * exactly the same way.
 *
 * To add an engine: write `bench/peers/<engine>.ts` exporting a
 * `PeerAdapterLoader` and register it in ENGINE_LOADERS in run-peers.ts.
 */
import type { SceneSpec } from './scenes';

export interface PeerWorld {
  /** Advance the world by scene.dt. */
  step(): void;
  /**
   * Teleport dynamic sphere `idx` (0-based, scene order) to `pos` with linear
   * velocity `vel`, identity rotation and zero angular velocity. `pos`/`vel`
   * are 3-element scratch arrays reused by the caller: copy, don't keep.
   * Required for scenes with `recycle` (rain).
   */
  recycle?(idx: number, pos: ArrayLike<number>, vel: ArrayLike<number>): void;
  /** checksumPositions() of the current sphere centres (see scenes.ts). */
  positionsChecksum(): number;
  /** Copy sphere centres (xyz interleaved, scene order) into `out` (length 3n). */
  readPositions(out: Float64Array): void;
  /** Bodies in the world, static ones included. */
  bodyCount: number;
  /** Free engine memory (WASM heaps etc.). */
  dispose(): void;
}

export interface PeerAdapter {
  /** Short engine id used in the results, e.g. "rapier-simd". */
  name: string;
  /** npm package the engine comes from. */
  pkg: string;
  /** Package version (plus engine-reported version if different). */
  version: string;
  /** Free-form notes on engine settings (solver iterations, broadphase, ...). */
  notes: string;
  create(scene: SceneSpec): PeerWorld;
}

/** Adapters may need async initialisation (e.g. WASM instantiation). */
export type PeerAdapterLoader = () => Promise<PeerAdapter>;
