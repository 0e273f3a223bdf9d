/**
 * One benchmark job (engine x scene x N), run in a child process by run-peers.ts: builds the
 * scene and the engine's world, runs the warm-up and timed steps, and measures time and the
 * engine-independent quality figures of quality.ts.
 *
 * Timing: each step's time covers recycle + step. Raycasts (raycast scene) are timed apart,
 * per step's batch, and reported per ray. Quality reads (positions, orientations, velocities, sleep state)
 * happen outside every timer: the worst overlap at the end, and its maximum over samples every
 * OVERLAP_SAMPLE_EVERY timed steps when the world has at most OVERLAP_SAMPLE_MAX_N bodies. Box
 * scenes: the orientations read back right after creation must be the scene's (else an error).
 */
import { ENGINE_LOADERS } from './engines';
import { type PeerWorld, UnsupportedSceneError } from './adapter';
import { lostCount, maxDrift, orientationError, speeds, worstOverlap } from './quality';
import { makeScene, type SceneName } from './scene-registry';
import { checksumPositions, positionStats, type PositionStats } from './scenes';
import { characterOverlap, charactersLost, walkRatio } from './scenes-characters';

/** Velocities (m/s, xyz interleaved) of the displacement from `a` to `b` (centres) over `dt` s. */
function stepVelocities(a: Float64Array, b: Float64Array, dt: number): Float64Array {
  const v = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) v[k] = (b[k] - a[k]) / dt;
  return v;
}

/** Overlap samples during the timed steps: every this many steps... */
export const OVERLAP_SAMPLE_EVERY = 60;
/** ...in worlds of at most this many bodies (sampling a million spheres takes seconds). */
export const OVERLAP_SAMPLE_MAX_N = 200_000;

export interface Job {
  engine: string;
  execArgv: string[];
  scene: SceneName;
  n: number;
  seed: number;
  warmup?: number;
  timed?: number;
  minTimed: number;
  maxStepMs: number;
  runBudgetS: number;
  /** ISO time the parent run started: rows of one run share it (targets compare only those). */
  runAt?: string;
}

/** Quality figures at the end of a run (see quality.ts). */
export interface QualityResult {
  /** Deepest body-body or body-static penetration after the last step (sphere or box, quality.ts), m. */
  overlapEnd: number;
  overlapEndKind: string;
  /** Max of overlapEnd and the samples taken every OVERLAP_SAMPLE_EVERY timed steps, m. */
  overlapMax: number;
  /** Samples taken besides the end. */
  overlapSamples: number;
  /** Mean and max body speed after the last step, m/s. */
  meanSpeed: number;
  maxSpeed: number;
  /** Fraction of bodies the engine reports asleep after the last step. */
  asleep: number;
  /** Body centres outside the scene's interior (or not finite) after the last step. */
  lost: number;
  /** Scenes with SceneSpec.drift (pyramid): largest displacement of a body from its start after the last step, m (quality.ts maxDrift). */
  drift?: number;
  /**
   * Character scenes: mean horizontal speed of the characters over the last timed step (from
   * their positions) over the commanded walking speed (1: all walk freely; 0: all stuck).
   */
  walk?: number;
}

/** Raycast figures (raycast scene). */
export interface RayResult {
  perStep: number;
  total: number;
  /** Rays that hit something. */
  hits: number;
  /** Mean distance of the hits, m. */
  meanHitDist: number;
  /** Median over timed steps of (batch time / rays), microseconds. */
  medianUsPerRay: number;
  meanUsPerRay: number;
}

export interface RunResult {
  engine: string;
  pkg?: string;
  version?: string;
  notes?: string;
  scene: SceneName;
  n: number;
  seed: number;
  status: 'ok' | 'skipped' | 'error';
  reason?: string;
  runAt?: string;
  layout?: string;
  bodyCount?: number;
  warmup?: number;
  timedRequested?: number;
  timed?: number;
  timedReduced?: boolean;
  /** Simulated time at the end, s ((warm-up + timed steps) x dt). */
  simSeconds?: number;
  sceneGenMs?: number;
  setupMs?: number;
  warmupMs?: number;
  warmupMaxStepMs?: number;
  medianMs?: number;
  p90Ms?: number;
  meanMs?: number;
  minMs?: number;
  maxMs?: number;
  /** n * timed steps / total timed seconds. */
  bodyStepsPerSec?: number;
  /** process.memoryUsage().rss right after the timed steps, MiB. */
  rssMiB?: number;
  /** process.resourceUsage().maxRSS (peak), MiB. */
  peakRssMiB?: number;
  checksum?: number;
  /** The engine's state hash after the last step (PeerWorld.stateHash; Tessera only). */
  stateHash?: string;
  /** The adapter's warning after the run (PeerWorld.warning), e.g. contacts dropped. */
  warning?: string;
  stats?: PositionStats;
  quality?: QualityResult;
  rays?: RayResult;
  /** Node flags of the child process. */
  execArgv?: string[];
  finishedAt: string;
}

function quantile(sorted: Float64Array, q: number): number {
  // nearest-rank
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}

const nowNs = (): bigint => process.hrtime.bigint();
const msSince = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/** Runs one job in this process. Throws on engine errors (the caller records them). */
export async function runJob(job: Job): Promise<RunResult> {
  const base = { engine: job.engine, scene: job.scene, n: job.n, seed: job.seed, runAt: job.runAt };
  const loader = ENGINE_LOADERS[job.engine];
  if (!loader) throw new Error(`unknown engine ${job.engine}`);
  const adapter = await loader();

  let t0 = nowNs();
  const scene = makeScene(job.scene, job.n, job.seed);
  const sceneGenMs = msSince(t0);
  const warmup = job.warmup ?? scene.warmup;
  const timedRequested = job.timed ?? scene.timed;
  const meta = {
    ...base,
    execArgv: job.execArgv,
    pkg: adapter.pkg,
    version: adapter.version,
    notes: adapter.notes,
    layout: scene.layout,
    warmup,
    timedRequested,
    sceneGenMs,
  };

  t0 = nowNs();
  let world: PeerWorld;
  try {
    world = adapter.create(scene);
  } catch (e) {
    if (e instanceof UnsupportedSceneError) {
      return { ...meta, status: 'skipped', reason: e.message, finishedAt: new Date().toISOString() };
    }
    throw e;
  }
  const setupMs = msSince(t0);
  const w = world;

  const pos3 = new Float64Array(3);
  const vel3 = new Float64Array(3);
  const recycle = scene.recycle;
  if (recycle && !w.recycle) throw new Error(`${job.engine} has no recycle() but scene ${job.scene} needs it`);
  if (scene.rays && !w.raycast) throw new Error(`${job.engine} has no raycast() but scene ${job.scene} needs it`);
  if (scene.characters && !w.setWalk) throw new Error(`${job.engine} has no setWalk() but character scene ${job.scene} needs it`);
  if (scene.boxes && !w.readOrientations) throw new Error(`${job.engine} has no readOrientations() but box scene ${job.scene} needs it`);
  const orientations = scene.boxes ? new Float64Array(4 * scene.n) : undefined;
  if (orientations && w.readOrientations) {
    // The boxes as created must read back in the scene's orientations (catches a swapped
    // quaternion order in an adapter's creation or reading); outside every timer.
    w.readOrientations(orientations);
    const err = orientationError(scene, orientations);
    if (!(err < 1e-4)) throw new Error(`${job.engine}: box orientations read back after creation differ from the scene's (1 - |q.q0| up to ${err})`);
  }
  /** worstOverlap of the current state (positions read into `into`; box scenes read the orientations too). */
  const overlapNow = (into: Float64Array): ReturnType<typeof worstOverlap> => {
    w.readPositions(into);
    if (orientations && w.readOrientations) w.readOrientations(orientations);
    return scene.characters ? characterOverlap(scene, into) : worstOverlap(scene, into, orientations);
  };

  /** Runs global step s; returns its duration in ms (recycle + step). */
  const doStep = (s: number): number => {
    const batch = recycle ? recycle(s) : undefined; // generated outside the timer
    const walks = scene.characters ? scene.characters.walk(s) : undefined;
    const start = nowNs();
    if (walks && w.setWalk) for (let j = 0; j < walks.indices.length; j++) w.setWalk(walks.indices[j], walks.vxz[2 * j], walks.vxz[2 * j + 1]);
    if (batch && w.recycle) {
      const { indices, positions, velocities } = batch;
      for (let j = 0; j < indices.length; j++) {
        pos3[0] = positions[3 * j];
        pos3[1] = positions[3 * j + 1];
        pos3[2] = positions[3 * j + 2];
        vel3[0] = velocities[3 * j];
        vel3[1] = velocities[3 * j + 1];
        vel3[2] = velocities[3 * j + 2];
        w.recycle(indices[j], pos3, vel3);
      }
    }
    w.step();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };

  // Raycasts after step s: returns the batch's ms; adds hits into `rayAcc`.
  const rayAcc = { total: 0, hits: 0, dist: 0 };
  const o3 = new Float64Array(3);
  const d3 = new Float64Array(3);
  const castRays = (s: number): number => {
    if (!scene.rays || !w.raycast) return 0;
    const b = scene.rays(s);
    const k = b.origins.length / 3;
    let hits = 0;
    let dist = 0;
    const start = nowNs();
    for (let j = 0; j < k; j++) {
      o3[0] = b.origins[3 * j];
      o3[1] = b.origins[3 * j + 1];
      o3[2] = b.origins[3 * j + 2];
      d3[0] = b.dirs[3 * j];
      d3[1] = b.dirs[3 * j + 1];
      d3[2] = b.dirs[3 * j + 2];
      const t = w.raycast(o3, d3, b.maxDist);
      if (t >= 0) {
        hits++;
        dist += t;
      }
    }
    const ms = msSince(start);
    rayAcc.total += k;
    rayAcc.hits += hits;
    rayAcc.dist += dist;
    return ms / k;
  };

  // Warm-up
  const warmTimes = new Float64Array(warmup);
  let warmupMs = 0;
  let warmupMaxStepMs = 0;
  for (let s = 0; s < warmup; s++) {
    const ms = doStep(s);
    warmTimes[s] = ms;
    warmupMs += ms;
    if (ms > warmupMaxStepMs) warmupMaxStepMs = ms;
    // Step 0 is not judged: it includes compiling the engine's WASM (--no-liftoff).
    if (s > 0 && ms > job.maxStepMs) {
      return {
        ...meta,
        status: 'skipped',
        reason: `over budget: warm-up step ${s} took ${ms.toFixed(0)} ms > ${job.maxStepMs} ms`,
        bodyCount: w.bodyCount,
        setupMs,
        warmupMs,
        warmupMaxStepMs,
        rssMiB: process.memoryUsage().rss / 2 ** 20,
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
        finishedAt: new Date().toISOString(),
      };
    }
  }

  // Budget: estimate the step cost from the second half of warm-up.
  let timed = timedRequested;
  let timedReduced = false;
  if (warmup > 0 && !scene.fullRun) {
    const tail = Float64Array.from(warmTimes.subarray(Math.floor(warmup / 2))).sort();
    const est = quantile(tail, 0.5);
    const projectedS = (est * timedRequested) / 1000;
    if (projectedS > job.runBudgetS) {
      timed = Math.max(job.minTimed, Math.floor((job.runBudgetS * 1000) / est));
      if (timed < timedRequested) timedReduced = true;
      else timed = timedRequested;
    }
  }

  // Timed
  const positions = new Float64Array(3 * scene.n);
  const sample = scene.n <= OVERLAP_SAMPLE_MAX_N;
  let overlapMax = 0;
  let overlapSamples = 0;
  const times = new Float64Array(timed);
  const before = scene.characters ? new Float64Array(3 * scene.n) : undefined;
  const rayUs = new Float64Array(scene.rays ? timed : 0);
  for (let k = 0; k < timed; k++) {
    if (before && k === timed - 1) w.readPositions(before);
    times[k] = doStep(warmup + k);
    if (scene.rays) rayUs[k] = castRays(warmup + k) * 1000;
    if (sample && (k + 1) % OVERLAP_SAMPLE_EVERY === 0 && k + 1 < timed) {
      overlapMax = Math.max(overlapMax, overlapNow(positions).depth);
      overlapSamples++;
    }
  }
  const rssMiB = process.memoryUsage().rss / 2 ** 20;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;

  let total = 0;
  for (let k = 0; k < timed; k++) total += times[k];
  const sorted = Float64Array.from(times).sort();

  const end = overlapNow(positions);
  const checksum = w.positionsChecksum();
  if (checksum !== checksumPositions(positions)) {
    throw new Error(`${job.engine}: positionsChecksum() disagrees with readPositions()`);
  }
  const stats = positionStats(scene, positions);
  const velocities = new Float64Array(3 * scene.n);
  w.readVelocities(velocities);
  const sp = speeds(velocities);
  const quality: QualityResult = {
    overlapEnd: end.depth,
    overlapEndKind: end.kind,
    overlapMax: Math.max(overlapMax, end.depth),
    overlapSamples,
    meanSpeed: sp.mean,
    maxSpeed: sp.max,
    asleep: scene.n > 0 ? w.sleepingCount() / scene.n : 0,
    lost: scene.characters ? charactersLost(scene, positions) : lostCount(scene, positions),
    ...(scene.drift ? { drift: maxDrift(scene, positions) } : {}),
    ...(before ? { walk: walkRatio(scene, stepVelocities(before, positions, scene.dt)) } : {}),
  };
  let rays: RayResult | undefined;
  if (scene.rays) {
    const us = Float64Array.from(rayUs).sort();
    let sum = 0;
    for (const u of rayUs) sum += u;
    rays = {
      perStep: scene.raysPerStep ?? 0,
      total: rayAcc.total,
      hits: rayAcc.hits,
      meanHitDist: rayAcc.hits > 0 ? rayAcc.dist / rayAcc.hits : 0,
      medianUsPerRay: timed > 0 ? quantile(us, 0.5) : 0,
      meanUsPerRay: timed > 0 ? sum / timed : 0,
    };
  }
  const bodyCount = w.bodyCount;
  const stateHash = w.stateHash?.();
  const warning = w.warning?.();
  w.dispose();

  return {
    ...meta,
    status: 'ok',
    bodyCount,
    timed,
    timedReduced,
    simSeconds: (warmup + timed) * scene.dt,
    setupMs,
    warmupMs,
    warmupMaxStepMs,
    medianMs: quantile(sorted, 0.5),
    p90Ms: quantile(sorted, 0.9),
    meanMs: total / timed,
    minMs: sorted[0],
    maxMs: sorted[timed - 1],
    bodyStepsPerSec: (scene.n * timed) / (total / 1000),
    rssMiB,
    peakRssMiB,
    checksum,
    stateHash,
    warning,
    stats,
    quality,
    rays,
    finishedAt: new Date().toISOString(),
  };
}
