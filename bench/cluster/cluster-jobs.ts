/**
 * The jobs of the cluster bench (run-cluster.ts), one per child process: a tick job times one
 * configuration of one scene; a handoff job drives bodies across the border of 2 shard processes
 * until a number of handoffs has happened and counts them itself.
 *
 * Configurations of a tick job:
 *   core      the single-thread core (PhysicsWorld)
 *   workers   ShardedWorld, 2 regions (cut x = 0), 2 worker threads, exchange 'tick'
 *   nats      ShardedWorld, 2 regions, exchange 'tick', stepped by 2 `tessera shard` processes over
 *             NATS (ClusterCoordinator): a nats-server of its own (test/helpers/nats.ts startNats);
 *             delay 0: the processes in the root namespace on loopback; delay d > 0: each process in
 *             its own network namespace behind a delay proxy adding d each way (machines.ts).
 * Every job builds the scene (test/helpers/scenes.ts; world config as bench/shards: capacity
 * n + statics + 2, sleeping off), runs `warmup` ticks, then `timed` ticks, each timed alone with
 * hrtime (the rain scene's commands are generated outside the timer, applied inside it). After the
 * last tick: the world hash (every configuration must equal the core's), ClusterCoordinator.stats()
 * deltas over the timed ticks (resultBytes, orderBytes) and ShardedWorld.handoffs.
 *
 * Handoff job ("crossing rain"): n spheres in the rain box, cut at x = 0; every tick the next
 * `perTick` bodies (round-robin) are put back above the box on the other side of the cut from
 * where they are (setPosition + setVelocity; the side is read from the world, so the command
 * stream is the same on any world that steps the same), so each of them changes authority.
 * After every tick it reads every live body (readBodies: slot, generation, owner) and checks:
 * the number of moving bodies is n and the statics are unchanged, every moving body has exactly
 * one owner, a region of the world, and keeps its slot and generation (none lost, none
 * duplicated, none replaced); a handoff is a body whose owner differs from the previous tick's.
 * That count is compared with the shards' own counter (ShardedWorld.handoffs). The same command
 * stream on the core gives the reference hash at the end.
 */
import { readFileSync } from 'node:fs';
import { PhysicsWorld, type BodyHandle, type Command, type WorldConfig } from '../../src/physics/world';
import { ShardedWorld } from '../../src/physics/sharded';
import { createBodyTable } from '../../src/physics/body-table';
import { ClusterCoordinator } from '../../src/cluster/coordinator';
import { buildPile, buildRain, rainGeometry, addClosedBox, unit, CLOSED_BOX_STATICS } from '../../test/helpers/scenes';
import { startNats, type NatsServer } from '../../test/helpers/nats';
import { startShards, stopShards, type ShardChild } from '../../test/helpers/shard-processes';
import { mulberry32 } from '../../test/helpers/bigref';
import { probeNamespaces } from './netns';
import { simulateMachines, type SimulatedMachines } from './machines';

export type SceneName = 'pile' | 'rain';
export type ConfigKind = 'core' | 'workers' | 'nats';

export interface TickJob {
  kind: 'tick';
  scene: SceneName;
  n: number;
  seed: number;
  config: ConfigKind;
  /** Added one-way delay of each shard process's link to NATS, ms (nats only). */
  delayMs?: number;
  warmup: number;
  timed: number;
  execArgv: string[];
}

export interface HandoffJob {
  kind: 'handoff';
  n: number;
  seed: number;
  perTick: number;
  /** Stop once this many handoffs have been counted (or after maxTicks). */
  target: number;
  maxTicks: number;
  delayMs: number;
  execArgv: string[];
}

export type Job = TickJob | HandoffJob;

export interface TickResult {
  kind: 'tick';
  scene: SceneName;
  n: number;
  config: ConfigKind;
  delayMs?: number;
  label: string;
  status: 'ok' | 'error' | 'skipped';
  reason?: string;
  warmup: number;
  timed: number;
  medianMs?: number;
  p90Ms?: number;
  meanMs?: number;
  ticksPerSecond?: number;
  hash?: string;
  resultBytesPerTick?: number;
  orderBytesPerTick?: number;
  /** Result bytes per tick per shard process (2 regions, 1 border: what crosses it per process). */
  resultBytesPerProcessTick?: number;
  handoffsPerTick?: number;
  handoffsTotal?: number;
  rejected?: number;
  failovers?: number;
  maxStallMs?: number;
  setupMs?: number;
  foreignCores?: number;
  peakRssMiB?: number;
  finishedAt: string;
}

export interface HandoffResult {
  kind: 'handoff';
  n: number;
  perTick: number;
  delayMs: number;
  status: 'ok' | 'error' | 'skipped';
  reason?: string;
  ticks?: number;
  /** Counted here from consecutive ticks' owners. */
  handoffsCounted?: number;
  /** ShardedWorld.handoffs over the same ticks. */
  handoffsShards?: number;
  /** Ticks whose per-tick counts differed (counted vs the shards' counter). */
  ticksDiffering?: number;
  /** Violations found (lost, duplicated, replaced, unowned or out-of-range bodies); 0 = none. */
  violations?: number;
  firstViolation?: string;
  hash?: string;
  coreHash?: string;
  seconds?: number;
  finishedAt: string;
}

export type Result = TickResult | HandoffResult;

export const REGIONS = 2;
const BENCH_TICK_TIMEOUT_MS = 300_000;

/** Label of a tick job's configuration in the tables. */
export function configLabel(config: ConfigKind, delayMs?: number): string {
  if (config === 'core') return 'core (1 thread)';
  if (config === 'workers') return '2 workers, in-process';
  return delayMs ? `2 processes, NATS, +${delayMs} ms each way (namespaces)` : '2 processes, NATS, loopback';
}

export const worldConfig = (n: number): WorldConfig => ({ capacity: n + CLOSED_BOX_STATICS + 2, maxBodyRadius: 0.5, sleep: { enabled: false } });

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
const hex = (h: bigint): string => h.toString(16).padStart(16, '0');

/** Busy CPU seconds of the machine (/proc/stat; null elsewhere). */
function machineBusySeconds(): number | null {
  try {
    const c = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return (c[0] + c[1] + c[2] + c[5] + c[6] + c[7]) / 100;
  } catch {
    return null;
  }
}

/** A cluster world's moving parts, torn down by `close`. */
interface Cluster {
  coordinator: ClusterCoordinator;
  close(): Promise<void>;
}

/**
 * Starts nats-server, 2 shard processes (in namespaces behind delay proxies when delayMs > 0)
 * and the coordinator of `w`. Throws 'no namespaces: ...' when delayMs > 0 and namespaces cannot
 * be made.
 */
async function startCluster(w: ShardedWorld, delayMs: number): Promise<Cluster> {
  let machines: SimulatedMachines | null = null;
  if (delayMs > 0) {
    const p = probeNamespaces();
    if (!p.ok) throw new Error(`no namespaces: ${p.reason}`);
  }
  const nats: NatsServer = await startNats();
  let shards: ShardChild[] = [];
  let coordinator: ClusterCoordinator | null = null;
  const close = async (): Promise<void> => {
    await coordinator?.close();
    await stopShards(shards);
    await machines?.close();
    await nats.stop();
  };
  try {
    if (delayMs > 0) machines = await simulateMachines(REGIONS, delayMs, nats.url);
    const world = `bench_${process.pid.toString(36)}`;
    shards = startShards(
      nats.url,
      world,
      Array.from({ length: REGIONS }, (_, k) => ({
        id: `p${k}`,
        nats: machines?.urls[k],
        wrap: machines?.wraps[k],
        execArgv: ['--no-liftoff'],
        logLevel: 'warn',
      })),
    );
    coordinator = await ClusterCoordinator.start(w, { nats: nats.url, world, processes: REGIONS, joinTimeoutMs: 60_000, tickTimeoutMs: BENCH_TICK_TIMEOUT_MS });
    return { coordinator, close };
  } catch (e) {
    const out = shards.map((s) => `${s.id}: ${s.output().slice(-1000)}`).join('\n');
    await close();
    throw new Error(`${e instanceof Error ? e.message : String(e)}${out ? `\n${out}` : ''}`);
  }
}

export async function runTick(job: TickJob): Promise<TickResult> {
  const base = {
    kind: 'tick' as const,
    scene: job.scene,
    n: job.n,
    config: job.config,
    delayMs: job.delayMs,
    label: configLabel(job.config, job.delayMs),
    warmup: job.warmup,
    timed: job.timed,
  };
  const cfg = worldConfig(job.n);
  const t0 = performance.now();
  let cluster: Cluster | null = null;
  let sharded: ShardedWorld | null = null;
  const target: PhysicsWorld | ShardedWorld =
    job.config === 'core'
      ? PhysicsWorld.create(cfg)
      : (sharded = new ShardedWorld(cfg, { xCuts: [0], zCuts: [] }, undefined, {
          exchange: 'tick',
          workers: job.config === 'workers' ? 2 : 0,
          stepTimeoutMs: BENCH_TICK_TIMEOUT_MS,
        }));
  try {
    let commands: (() => Command[]) | undefined;
    if (job.scene === 'pile') buildPile(target, job.n, job.seed);
    else commands = buildRain(target, job.n, job.seed).commands;
    if (job.config === 'nats') cluster = await startCluster(sharded as ShardedWorld, job.delayMs ?? 0);
    const setupMs = performance.now() - t0;
    const tick = (): number => {
      const cmds = commands?.();
      const s = process.hrtime.bigint();
      if (cmds && target.applyCommands(cmds).length) throw new Error('command failed');
      target.step();
      return Number(process.hrtime.bigint() - s) / 1e6;
    };
    for (let k = 0; k < job.warmup; k++) tick();
    const s0 = cluster?.coordinator.stats();
    const h0 = sharded?.handoffs ?? 0;
    const busy0 = machineBusySeconds(),
      own0 = process.cpuUsage(),
      wall0 = performance.now();
    const times = new Float64Array(job.timed);
    for (let k = 0; k < job.timed; k++) times[k] = tick();
    const busy1 = machineBusySeconds(),
      own = process.cpuUsage(own0),
      wall = (performance.now() - wall0) / 1000;
    const s1 = cluster?.coordinator.stats();
    const sorted = Float64Array.from(times).sort();
    const mean = times.reduce((a, b) => a + b, 0) / job.timed;
    const res: TickResult = {
      ...base,
      status: 'ok',
      medianMs: quantile(sorted, 0.5),
      p90Ms: quantile(sorted, 0.9),
      meanMs: mean,
      ticksPerSecond: 1000 / mean,
      hash: hex(target.hash()),
      setupMs,
      // Shard processes are other processes: on the nats rows this includes their CPU.
      foreignCores: busy0 === null || busy1 === null ? undefined : Math.max(0, (busy1 - busy0 - (own.user + own.system) / 1e6) / wall),
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      finishedAt: new Date().toISOString(),
    };
    if (sharded) {
      res.handoffsPerTick = (sharded.handoffs - h0) / job.timed;
      res.handoffsTotal = sharded.handoffs;
    }
    if (s0 && s1) {
      res.resultBytesPerTick = (s1.resultBytes - s0.resultBytes) / job.timed;
      res.orderBytesPerTick = (s1.orderBytes - s0.orderBytes) / job.timed;
      res.resultBytesPerProcessTick = res.resultBytesPerTick / REGIONS;
      res.rejected = s1.rejected;
      res.failovers = s1.failovers;
      res.maxStallMs = s1.maxStallMs;
    }
    return res;
  } catch (e) {
    const reason = e instanceof Error ? (e.stack ?? e.message) : String(e);
    return { ...base, status: reason.startsWith('Error: no namespaces') ? 'skipped' : 'error', reason, finishedAt: new Date().toISOString() };
  } finally {
    await cluster?.close();
    if (sharded) await sharded.close();
  }
}

/** The crossing-rain scene on any world: bodies, and the commands of the next tick. */
function crossingRain(w: PhysicsWorld | ShardedWorld, n: number, seed: number, perTick: number): () => Command[] {
  const { half, height } = rainGeometry(n);
  addClosedBox(w, half, height + 10);
  const rng = mulberry32(seed);
  const side = (): number => 0.6 + unit(rng) * (half - 1.2); // |x| of a spot, away from the cut and the walls
  const bodies: BodyHandle[] = [];
  for (let k = 0; k < n; k++) {
    const x = (k & 1 ? 1 : -1) * side();
    bodies.push(
      w.addSphere({
        position: [x, height - unit(rng) * 5, (unit(rng) * 2 - 1) * (half - 0.6)],
        velocity: [0, -5 * unit(rng), 0],
        radius: 0.5,
        mass: 1,
        friction: 0.4,
        restitution: 0.3,
      }),
    );
  }
  let next = 0;
  return () => {
    const cmds: Command[] = [];
    for (let q = 0; q < perTick; q++) {
      const b = bodies[next];
      next = (next + 1) % n;
      const x = w.position(b)[0] >= 0 ? -side() : side();
      cmds.push(
        { kind: 'setPosition', body: b, value: [x, height - unit(rng) * 5, (unit(rng) * 2 - 1) * (half - 0.6)] },
        { kind: 'setVelocity', body: b, value: [0, -5 - 5 * unit(rng), 0] },
      );
    }
    return cmds;
  };
}

export async function runHandoff(job: HandoffJob): Promise<HandoffResult> {
  const base = { kind: 'handoff' as const, n: job.n, perTick: job.perTick, delayMs: job.delayMs };
  const t0 = performance.now();
  const cfg = worldConfig(job.n);
  const w = new ShardedWorld(cfg, { xCuts: [0], zCuts: [] }, undefined, { exchange: 'tick', stepTimeoutMs: BENCH_TICK_TIMEOUT_MS });
  let cluster: Cluster | null = null;
  try {
    const commands = crossingRain(w, job.n, job.seed, job.perTick);
    cluster = await startCluster(w, job.delayMs);
    const table = createBodyTable(w.capacity);
    const owner = new Int32Array(w.capacity).fill(-1);
    const gen = new Int32Array(w.capacity).fill(-1);
    let statics = -1;
    let counted = 0,
      violations = 0,
      ticksDiffering = 0;
    let firstViolation: string | undefined;
    const bad = (m: string): void => {
      violations++;
      firstViolation ??= `tick ${w.tick}: ${m}`;
    };
    /** Reads every body; returns the owner changes since the previous call (-1 on the first). */
    const observe = (first: boolean): number => {
      w.readBodies(table);
      let moving = 0,
        st = 0,
        changes = 0,
        prevSlot = -1;
      for (let r = 0; r < table.count; r++) {
        const s = table.index[r],
          o = table.shard[r];
        if (s <= prevSlot) bad(`slot ${s} listed twice or out of order`);
        prevSlot = s;
        if (o === -2) {
          st++;
          continue;
        }
        if (o < 0 || o >= REGIONS) {
          bad(`body in slot ${s} has owner ${o}`);
          continue;
        }
        moving++;
        if (first) {
          gen[s] = table.gen[r];
        } else {
          if (gen[s] !== table.gen[r]) bad(`slot ${s} generation ${gen[s]} -> ${table.gen[r]} (body replaced)`);
          if (owner[s] !== o) changes++;
        }
        owner[s] = o;
      }
      if (moving !== job.n) bad(`${moving} moving bodies, expected ${job.n}`);
      if (statics === -1) statics = st;
      else if (st !== statics) bad(`${st} statics, expected ${statics}`);
      return changes;
    };
    // Tick 0's board is not published until the first step: observe from tick 1 on.
    if (w.applyCommands(commands()).length) throw new Error('command failed');
    w.step();
    let ticks = 1;
    observe(true);
    const h0 = w.handoffs;
    while (counted < job.target && ticks < job.maxTicks) {
      const before = w.handoffs;
      if (w.applyCommands(commands()).length) throw new Error('command failed');
      w.step();
      ticks++;
      const c = observe(false);
      counted += c;
      if (c !== w.handoffs - before) ticksDiffering++;
    }
    const hash = hex(w.hash());
    const s = cluster.coordinator.stats();
    if (s.rejected) bad(`${s.rejected} results rejected`);
    await cluster.close();
    cluster = null;
    // The core, same command stream, same ticks: the reference hash.
    const core = PhysicsWorld.create(cfg);
    const coreCommands = crossingRain(core, job.n, job.seed, job.perTick);
    for (let k = 0; k < ticks; k++) {
      if (core.applyCommands(coreCommands()).length) throw new Error('command failed (core)');
      core.step();
    }
    return {
      ...base,
      status: 'ok',
      ticks,
      handoffsCounted: counted,
      handoffsShards: w.handoffs - h0,
      ticksDiffering,
      violations,
      firstViolation,
      hash,
      coreHash: hex(core.hash()),
      seconds: (performance.now() - t0) / 1000,
      finishedAt: new Date().toISOString(),
    };
  } catch (e) {
    const reason = e instanceof Error ? (e.stack ?? e.message) : String(e);
    return { ...base, status: reason.startsWith('Error: no namespaces') ? 'skipped' : 'error', reason, finishedAt: new Date().toISOString() };
  } finally {
    await cluster?.close();
    await w.close();
  }
}
