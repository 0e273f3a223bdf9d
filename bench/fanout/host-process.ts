/**
 * The Tessera host under test, in its own process (forked by run-fanout.ts with an IPC channel):
 * `node host-process.js '<FanoutHostConfig json>'`. Starts Host with the fan-out world
 * (world.ts), answers `listening` with its port, and records every tick through HostOptions.onTick:
 *
 *   tick record = (events tick, start wall ms, tickOnce ms, world step ms, interest ms)
 *     events tick   r.tick + 1: the tick the events message of this tick carries (the client's
 *                   lastKnownTick after receiving it), so client arrivals join on it
 *     start         wall clock at the end of tickOnce minus its duration
 *     ms            tickOnce's synchronous work: stream heard(), world step (physics, interest
 *                   index), events publish, a delta per client (interest diff + encode + send)
 *     world step    WorldLoop.step alone (stream advance, main sim + physics, body table,
 *                   interest index, catch-up snapshot)
 *     interest      sum of InterestPublisher.messageFor over the tick's clients (view set,
 *                   diff, encode; cached per view and base)
 *   The last two come from wrapping those two methods of this host's instances with a timer
 *   (about 0.1 µs per call: ~2 % of the tick at 5,000 clients); the rest of the tick is the
 *   events publish, the per-client bookkeeping and the sends.
 *
 * Requests (ipc.ts): `mark` returns the cumulative counters (HostStats, CPU time, event loop
 * utilisation, RSS, interest cache hits) and the tick records since the previous mark; `tick`
 * returns the open tick; `stop` stops the host gracefully.
 */
import { performance } from 'node:perf_hooks';
import { Host, type HostOptions, type HostStats } from '../../src/net/host';
import { fanoutWorld, type FanoutWorldOptions } from './world';
import { serve, log } from './ipc';
import { openFileLimits, wallNow } from './stats';

/** What run-fanout passes to the host process. */
export interface FanoutHostConfig {
  world: FanoutWorldOptions;
  /** Interest cell edge, m. */
  cellSize: number;
  /** WorldLoopOptions.snapshotEvery / retainTicks. */
  snapshotEvery: number;
  retainTicks: number;
  /** Other HostOptions numbers (defaults of Host otherwise). */
  host?: Pick<HostOptions, 'softBackpressure' | 'maxBackpressure' | 'slowConsumerMs' | 'authTimeoutMs' | 'maxClients'>;
}

/** Cumulative figures at one moment, plus the tick records since the previous mark. */
export interface HostMark {
  at: number;
  tick: number;
  stats: HostStats;
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Cumulative event loop time, ms (performance.eventLoopUtilization). */
  eluActiveMs: number;
  eluIdleMs: number;
  rss: number;
  heapUsed: number;
  maxRssKiB: number;
  cacheHits: number;
  /** World stream events published to every client so far, by type (count). */
  eventsByType: Record<string, number>;
  /** Flat 5-tuples (events tick, start wall ms, tickOnce ms, world step ms, interest ms). */
  ticks: number[];
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as FanoutHostConfig;
  let ticks: number[] = [];
  let stepMs = 0,
    interestMs = 0;
  const eventsByType: Record<string, number> = {};
  const host = await Host.start({
    // the ramp opens clients in batches far above the default admission rate (200 joins/s):
    // this suite measures fan-out, not admission (bench/host/run-abuse.ts does)
    maxJoinsPerSecond: 1_000_000,
    ...cfg.host,
    port: 0,
    world: fanoutWorld(cfg.world),
    worldLoop: { interest: { cellSize: cfg.cellSize }, snapshotEvery: cfg.snapshotEvery, retainTicks: cfg.retainTicks },
    onTick: (r) => {
      ticks.push(r.tick + 1, wallNow() - r.ms, r.ms, stepMs, interestMs);
      interestMs = 0;
      for (const e of r.events) eventsByType[e.type] = (eventsByType[e.type] ?? 0) + 1;
    },
  });
  // Timers around the world step and the interest messages (see the module comment).
  const world = host.world,
    interest = host.world.interest;
  const step = world.step.bind(world),
    messageFor = interest.messageFor.bind(interest);
  world.step = () => {
    const t = performance.now();
    const r = step();
    stepMs = performance.now() - t;
    return r;
  };
  interest.messageFor = (v) => {
    const t = performance.now();
    const r = messageFor(v);
    interestMs += performance.now() - t;
    return r;
  };
  log(`listening on ${host.port}; open files ${JSON.stringify(openFileLimits())}`);
  serve(async (m) => {
    switch (m.cmd) {
      case 'listening':
        return { port: host.port, pid: process.pid, files: openFileLimits() };
      case 'tick':
        return { tick: host.world.stream.tick, at: wallNow() };
      case 'mark': {
        const cpu = process.cpuUsage(),
          elu = performance.eventLoopUtilization(),
          mem = process.memoryUsage();
        const out: HostMark = {
          at: wallNow(),
          tick: host.world.stream.tick,
          stats: host.statistics,
          cpuUserUs: cpu.user,
          cpuSystemUs: cpu.system,
          eluActiveMs: elu.active,
          eluIdleMs: elu.idle,
          rss: mem.rss,
          heapUsed: mem.heapUsed,
          maxRssKiB: process.resourceUsage().maxRSS,
          cacheHits: host.world.interest.cacheHits,
          eventsByType: { ...eventsByType },
          ticks,
        };
        ticks = [];
        return out;
      }
      case 'stop':
        await host.stop();
        setTimeout(() => process.exit(0), 50);
        return { stopped: true };
      default:
        throw new Error(`unknown command ${m.cmd}`);
    }
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
