/**
 * The interface every physics engine under benchmark implements, so the
 * runner (run-peers.ts) can drive Rapier, cannon-es and Tessera's own core in
 * exactly the same way. Sleeping follows scene.sleep (engine defaults for its thresholds).
 * The dynamic bodies are spheres, or in a box scene (SceneSpec.boxes: box-pile, pyramid) solid
 * cuboids with the scene's half extents and initial orientations; an engine that cannot make
 * them throws UnsupportedSceneError from create().
 *
 * To add an engine: write `bench/peers/<engine>.ts` exporting a
 * `PeerAdapterLoader` and register it in ENGINE_LOADERS in run-peers.ts.
 */
import type { SceneSpec } from './scenes';

export interface PeerWorld {
  /** Advance the world by scene.dt. */
  step(): void;
  /**
   * Teleport dynamic body `idx` (0-based, scene order) to `pos` with linear
   * velocity `vel`, identity rotation and zero angular velocity. `pos`/`vel`
   * are 3-element scratch arrays reused by the caller: copy, don't keep.
   * Required for scenes with `recycle` (rain).
   */
  recycle?(idx: number, pos: ArrayLike<number>, vel: ArrayLike<number>): void;
  /**
   * Character scenes (SceneSpec.characters): character `idx` (scene order) walks from now on at
   * (vx, vz) m/s horizontally, its controller keeping it on the ground. Required for them.
   */
  setWalk?(idx: number, vx: number, vz: number): void;
  /** checksumPositions() of the current body centres (see scenes.ts). */
  positionsChecksum(): number;
  /** Copy body centres, m (xyz interleaved, scene order) into `out` (length 3n). */
  readPositions(out: Float64Array): void;
  /**
   * Copy the bodies' orientations, unit quaternions (x, y, z, w interleaved, scene order) into
   * `out` (length 4n). Required for box scenes (SceneSpec.boxes).
   */
  readOrientations?(out: Float64Array): void;
  /** Copy body linear velocities, m/s (xyz interleaved, scene order) into `out` (length 3n). */
  readVelocities(out: Float64Array): void;
  /** Dynamic bodies the engine itself reports asleep (its own sleep state; 0 when sleeping is off). */
  sleepingCount(): number;
  /**
   * Closest hit of a ray from `origin` along the unit vector `dir` up to `maxDist` m against
   * every body (spheres and statics): the distance in m, or -1 for no hit. `origin`/`dir` are
   * scratch arrays: copy, don't keep. Required for scenes with `rays` (raycast).
   */
  raycast?(origin: ArrayLike<number>, dir: ArrayLike<number>, maxDist: number): number;
  /**
   * The engine's own state hash, if it has one (Tessera: PhysicsWorld.hash(), hex), recorded with
   * the row so a run can be cross-checked against other runs and configurations.
   */
  stateHash?(): string;
  /**
   * Something the row's figures should be read with, after the run (Tessera: steps whose
   * contact capacity overflowed), or undefined. Recorded with the row and shown in its note.
   */
  warning?(): string | undefined;
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

/**
 * Thrown by create() when an engine cannot hold a scene at all (e.g. a fixed WASM heap): the
 * runner records the row as skipped with this message instead of as an error.
 */
export class UnsupportedSceneError extends Error {
  override name = 'UnsupportedSceneError';
}

/** Adapters may need async initialisation (e.g. WASM instantiation). */
export type PeerAdapterLoader = () => Promise<PeerAdapter>;
