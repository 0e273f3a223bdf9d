/**
 * A host in its own process, for load tests and benchmarks: `node host-process.js '<json>'`
 * where the JSON holds HostOptions numbers (port, maxBackpressure, ...) and `spheres` for the
 * test world. Prints `PORT <n>` when listening; SIGTERM/SIGINT stop it gracefully (exit 0).
 * Every 1 s it prints `STATS <json>` (Host.statistics + RSS) for the parent to read. With
 * `store` (a SQLite file) the world persists there as an operator would run it: snapshots on a
 * SnapshotWriter thread, accounts (cheap scrypt for tests, guests on), avatars and artifacts
 * (`artifacts`: how many to create in a world that has none). A restart continues from the
 * file; it prints `WORLD <tick> <hash> <artifacts in the world>` at start and
 * `STOPPED <tick> <hash>` after a graceful stop.
 *
 * With `manualTicks` the host does not tick by itself: the parent drives it over stdin, one
 * command a line, each answered on stdout (`ChildHost.command`):
 *   `tick <n>`    runs n ticks (the fake clock, if any, advances 1000 / tickRate ms before each)
 *                 -> `TICKED <open tick>`
 *   `clock <ms>`  advances the fake clock (with `fakeClock`)  -> `CLOCK <ms>`
 *   `stats`       -> `STATS <json>` at once
 */
import { createInterface } from 'node:readline';
import { Host, type HostOptions } from '../../src/net/host';
import { testWorld } from './world-setup';
import { SqliteStore } from '../../src/persist/sqlite-store';
import { SnapshotWriter } from '../../src/persist/snapshot-writer';
import { AccountService } from '../../src/persist/accounts';
import { ArtifactService } from '../../src/persist/artifacts';
import { exitWithWatchedProcess } from '../../src/parent-watch';

async function main(): Promise<void> {
  exitWithWatchedProcess();
  const cfg = JSON.parse(process.argv[2] ?? '{}') as HostOptions & {
    spheres?: number;
    capacity?: number;
    workers?: number;
    store?: string;
    artifacts?: number;
    snapshotEvery?: number;
    fakeClock?: boolean;
  };
  let fakeMs = 1_000_000;
  const store = cfg.store ? SqliteStore.open(cfg.store) : null;
  const sink = store && cfg.store ? await SnapshotWriter.start(cfg.store) : undefined;
  if (sink) store?.handOverCheckpoints();
  const artifacts = store ? new ArtifactService(store) : undefined;
  const host = await Host.start({
    ...cfg,
    port: cfg.port ?? 0,
    ...(cfg.fakeClock ? { clock: () => fakeMs } : {}),
    worldLoop: store ? { ...cfg.worldLoop, persist: { store, snapshotEvery: cfg.snapshotEvery ?? 100, sink } } : cfg.worldLoop,
    world: testWorld({
      spheres: cfg.spheres ?? 60,
      capacity: cfg.capacity ?? 2048,
      shardOptions: cfg.workers ? { workers: cfg.workers } : undefined,
      partition: cfg.workers ? { xCuts: [0], zCuts: [] } : undefined,
    }),
    ...(store ? { accounts: new AccountService(store, { scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 64 } }), avatars: store, artifacts } : {}),
  });
  if (artifacts && store && store.artifactsIn('world').length === 0) {
    for (let k = 0; k < (cfg.artifacts ?? 0); k++) {
      artifacts.create(
        { owner: null, rule: 'allow', shape: { kind: 'sphere', radius: 0.4 }, position: [(k % 4) - 2, 2 + Math.floor(k / 4), -4] },
        host.world.stream,
      );
    }
  }
  process.stdout.write(`WORLD ${host.world.stream.tick} ${host.world.sim.hash().toString(16)} ${host.world.sim.artifacts.size}\n`);
  process.stdout.write(`PORT ${host.port}\n`);
  const printStats = (): void => {
    process.stdout.write(`STATS ${JSON.stringify({ ...host.statistics, rss: process.memoryUsage().rss })}\n`);
  };
  const stats = setInterval(printStats, 1000);
  if (cfg.manualTicks) {
    createInterface({ input: process.stdin }).on('line', (line) => {
      const [cmd, arg] = line.trim().split(/\s+/);
      const n = Number(arg ?? 1);
      if (cmd === 'tick') {
        for (let i = 0; i < n; i++) {
          fakeMs += 1000 / (cfg.tickRate ?? 20);
          host.tickOnce();
        }
        process.stdout.write(`TICKED ${host.world.stream.tick}\n`);
      } else if (cmd === 'clock') {
        fakeMs += n;
        process.stdout.write(`CLOCK ${fakeMs}\n`);
      } else if (cmd === 'stats') {
        printStats();
      }
    });
  }
  const stop = (): void => {
    clearInterval(stats);
    void host.stop().then(async () => {
      await sink?.close();
      process.stdout.write(`STOPPED ${host.world.stream.tick} ${host.world.sim.hash().toString(16)}\n`);
      store?.close();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
