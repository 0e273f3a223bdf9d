/**
 * A host in its own process, for load tests and benchmarks: `node host-process.js '<json>'`
 * where the JSON holds HostOptions numbers (port, maxBackpressure, ...) and `spheres` for the
 * test world. Prints `PORT <n>` when listening; SIGTERM/SIGINT stop it gracefully (exit 0).
 * Every 1 s it prints `STATS <json>` (Host.statistics + RSS) for the parent to read.
 */
import { Host, type HostOptions } from '../../src/net/host';
import { testWorld } from './world-setup';

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as HostOptions & { spheres?: number; capacity?: number; workers?: number };
  const host = await Host.start({
    ...cfg, port: cfg.port ?? 0,
    world: testWorld({ spheres: cfg.spheres ?? 60, capacity: cfg.capacity ?? 2048, shardOptions: cfg.workers ? { workers: cfg.workers } : undefined, partition: cfg.workers ? { xCuts: [0], zCuts: [] } : undefined }),
  });
  process.stdout.write(`PORT ${host.port}\n`);
  const stats = setInterval(() => process.stdout.write(`STATS ${JSON.stringify({ ...host.statistics, rss: process.memoryUsage().rss })}\n`), 1000);
  const stop = (): void => {
    clearInterval(stats);
    void host.stop().then(() => { process.stdout.write('STOPPED\n'); process.exit(0); });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => { console.error(e); process.exit(1); });
