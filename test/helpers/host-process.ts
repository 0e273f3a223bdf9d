/**
 * A host in its own process, for load tests and benchmarks: `node host-process.js '<json>'`
 * where the JSON holds HostOptions numbers (port, maxBackpressure, ...) and `spheres` for the
 * test world. Prints `PORT <n>` when listening; SIGTERM/SIGINT stop it gracefully (exit 0).
 * Every 1 s it prints `STATS <json>` (Host.statistics + RSS) for the parent to read. With
 * `store` (a SQLite file) the world persists there and a restart continues from it; it prints
 * `WORLD <tick> <hash>` at start and `STOPPED <tick> <hash>` after a graceful stop.
 */
import { Host, type HostOptions } from '../../src/net/host';
import { testWorld } from './world-setup';
import { SqliteStore } from '../../src/persist/sqlite-store';

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as HostOptions & { spheres?: number; capacity?: number; workers?: number; store?: string };
  const store = cfg.store ? SqliteStore.open(cfg.store) : null;
  const host = await Host.start({
    ...cfg, port: cfg.port ?? 0,
    worldLoop: store ? { ...cfg.worldLoop, persist: { store, snapshotEvery: 100 } } : cfg.worldLoop,
    world: testWorld({ spheres: cfg.spheres ?? 60, capacity: cfg.capacity ?? 2048, shardOptions: cfg.workers ? { workers: cfg.workers } : undefined, partition: cfg.workers ? { xCuts: [0], zCuts: [] } : undefined }),
  });
  process.stdout.write(`WORLD ${host.world.stream.tick} ${host.world.sim.hash().toString(16)}\n`);
  process.stdout.write(`PORT ${host.port}\n`);
  const stats = setInterval(() => process.stdout.write(`STATS ${JSON.stringify({ ...host.statistics, rss: process.memoryUsage().rss })}\n`), 1000);
  const stop = (): void => {
    clearInterval(stats);
    void host.stop().then(() => {
      process.stdout.write(`STOPPED ${host.world.stream.tick} ${host.world.sim.hash().toString(16)}\n`);
      store?.close();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => { console.error(e); process.exit(1); });
