/**
 * `tessera` command line (commander):
 *
 *   tessera serve      the main job (default command; src/serve.ts): host, world, persistence
 *   tessera replay     replays a database's world log from tick 0 and prints per-tick hashes
 *   tessera inspect    prints a summary of a database's newest snapshot
 *   tessera bots       a load generator of bot players (src/bots.ts)
 *   tessera selfcheck  build information of the core and a determinism self-check of its variants
 *   tessera accounts   create accounts (the first admin), set roles, list, ban, unban (src/cli/accounts.ts)
 *   tessera shard      a shard process of a cluster world (src/cluster/shard-process.ts)
 *
 * Errors a user can act on (configuration, scene, database) print one line and exit 2.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { BotRun } from './bots';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { serve, resolveConfig, ConfigError, DEFAULT_SERVE } from './serve';
import { SceneError, loadSceneWithAssets, sceneSetup } from './scene';
import { ScriptEngine } from './script/engine';
import { PersistError } from './persist/migrations';
import { SqliteStore } from './persist/sqlite-store';
import { replayLog } from './sim/replay';
import { decodeWorldSnapshot } from './sim/world-snapshot';
import { Core, createMemory, wasmPath, type CoreVariant } from './physics/wasm';
import { planLayout } from './physics/layout';
import { xxh64 } from './physics/xxhash64';
import { PhysicsWorld } from './physics/world';
import { accountsCommand, CliError } from './cli/accounts';
import { ShardProcess } from './cluster/shard-process';
import { ClusterCoordinator } from './cluster/coordinator';
import { NkeyFileError, idOfKeyFile, makeClusterKeys } from './cluster/auth';
import { AuthorizationError } from '@nats-io/transport-node';
import { serveShardMetrics } from './net/shard-metrics';
import { hostname } from 'node:os';
import pino from 'pino';
import { exitWithWatchedProcess } from './parent-watch';

/**
 * State hash and median tick time (ms) of a small demo scene: `n` spheres of 0.5 m dropped on
 * a grid onto a plane, stepped `ticks` times on one core variant.
 */
export function physicsSelfCheck(variant: CoreVariant, n = 400, ticks = 120): { hash: bigint; msPerTick: number } {
  const world = PhysicsWorld.create({ capacity: n + 1, maxBodyRadius: 0.5, sleep: { enabled: false } }, { variant });
  world.addPlane({ normal: [0, 1, 0], offset: 0 });
  const side = Math.ceil(Math.sqrt(n / 4));
  for (let k = 0; k < n; k++) {
    const x = k % side,
      z = Math.floor(k / side) % side,
      y = Math.floor(k / (side * side));
    world.addSphere({ position: [x * 1.05 + (y % 2) * 0.3, 0.6 + y * 1.1, z * 1.05], radius: 0.5, friction: 0.5, restitution: 0.2 });
  }
  const times: number[] = [];
  for (let t = 0; t < ticks; t++) {
    const t0 = process.hrtime.bigint();
    world.step();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { hash: world.hash(), msPerTick: times[times.length >> 1] };
}

/** Hash of the first `count` items of the seeded math sequence, computed by one core variant. */
export function mathSequenceHash(variant: CoreVariant, seed: bigint, count: number): bigint {
  const probe = Core.instantiate(createMemory({ pages: 1, shared: variant !== 'unshared' }), variant);
  const itemBytes = probe.exports.SEQ_ITEM_BYTES.value as number;
  const plan = planLayout([['sequence', count * itemBytes]]);
  const core = Core.instantiate(createMemory({ pages: plan.pages, shared: variant !== 'unshared' }), variant);
  const out = plan.regions.sequence.offset;
  core.exports.mathSequence(seed, 0, count, out);
  return core.hash64(out, count * itemBytes);
}

const pkg = (): { version: string } => JSON.parse(readFileSync(`${__dirname}/../../../package.json`, 'utf8')) as { version: string };

/** The self-check: sets process.exitCode 1 when the core variants disagree. */
function selfCheck(): void {
  console.log(`tessera ${pkg().version} (node ${process.version})`);
  const hashes = new Set<string>();
  for (const v of ['release', 'debug', 'unshared'] as const) {
    const bytes = readFileSync(wasmPath(v));
    const h = mathSequenceHash(v, 1n, 10000).toString(16).padStart(16, '0');
    hashes.add(h);
    console.log(
      `core ${v.padEnd(8)} ${String(statSync(wasmPath(v)).size).padStart(6)} bytes  ` +
        `file xxh64 ${xxh64(bytes).toString(16).padStart(16, '0')}  math sequence hash ${h}`,
    );
  }
  if (hashes.size !== 1) {
    console.error('core variants disagree on the math sequence hash: the build is not deterministic');
    process.exitCode = 1;
    return;
  }
  const physics = (['release', 'debug'] as const).map((v) => [v, physicsSelfCheck(v)] as const);
  for (const [v, r] of physics) {
    console.log(
      `physics ${v.padEnd(8)} 400 spheres x 120 ticks: state hash ${r.hash.toString(16).padStart(16, '0')}, median ${r.msPerTick.toFixed(2)} ms/tick`,
    );
  }
  if (physics[0][1].hash !== physics[1][1].hash) {
    console.error('release and debug physics disagree: the build is not deterministic');
    process.exitCode = 1;
    return;
  }
  console.log('all core variants agree');
}

/** Opens an existing database read-mostly; throws ConfigError when the file is missing. */
function openDb(path: string): SqliteStore {
  const file = existsSync(path) && statSync(path).isDirectory() ? resolve(path, 'tessera.sqlite') : path;
  if (!existsSync(file)) throw new ConfigError('database', 'argument', `${file} does not exist`);
  return SqliteStore.open(file);
}

/** The command-line program (exported for tests). */
export function program(): Command {
  const p = new Command('tessera').description('deterministic, sharded physics server for persistent multi-user worlds').version(pkg().version);
  p.command('serve', { isDefault: true })
    .description('run the server: host, world, persistence (defaults: port 9001, ./data, the demo scene, a worker per core, guests on)')
    .addOption(new Option('-p, --port <n>', `TCP port (0 = any free one) [${DEFAULT_SERVE.port}]`))
    .addOption(new Option('--host <address>', `address to bind [${DEFAULT_SERVE.host}]`))
    .addOption(new Option('-d, --data <dir>', `directory of tessera.sqlite [${DEFAULT_SERVE.data}]`))
    .addOption(new Option('-s, --scene <file>', 'scene file (tessera.scene.v1) [scenes/demo.json]'))
    .addOption(new Option('-w, --workers <n>', `shard worker threads [${DEFAULT_SERVE.workers}]`))
    .addOption(new Option('--script-threads <n>', `object script worker threads (0: on the world thread) [${DEFAULT_SERVE.scriptThreads}]`))
    .addOption(new Option('--guests', 'accept the "guest" token [on]'))
    .addOption(new Option('--no-guests', 'refuse the "guest" token (then only /healthz, /metrics, /auth/* and the web pages answer without a token)'))
    .addOption(new Option('--public-metrics', 'GET /metrics without a token [on]'))
    .addOption(new Option('--no-public-metrics', 'GET /metrics needs a bearer token'))
    .addOption(new Option('--snapshot-every <ticks>', `ticks between world snapshots [${DEFAULT_SERVE.snapshotEvery}]`))
    .addOption(
      new Option(
        '--state-bytes-per-second <n>',
        `byte budget of each client's state messages, bytes a second (near bodies first); 0 = none [${DEFAULT_SERVE.stateBytesPerSecond}]`,
      ),
    )
    .addOption(new Option('--max-joints <n>', `most joints in one client's state message, 0..4096 [${DEFAULT_SERVE.maxJoints}]`))
    .addOption(new Option('--log-level <level>', `pino level [${DEFAULT_SERVE.logLevel}]`))
    .addOption(
      new Option(
        '--shard-step-timeout-ms <ms>',
        `a shard worker slower than this is dead or hung: logged, replaced, the tick re-run [${DEFAULT_SERVE.shardStepTimeoutMs}]`,
      ),
    )
    .addOption(new Option('--temp-admin-absent-days <days>', `temporary admin: days without an admin login (X) [${DEFAULT_SERVE.tempAdminAbsentDays}]`))
    .addOption(
      new Option('--temp-admin-recent-days <days>', `temporary admin: a candidate logged in within these days (Y) [${DEFAULT_SERVE.tempAdminRecentDays}]`),
    )
    .addOption(new Option('--log-retention-days <days>', `world log kept before the newest snapshot, days (0 = forever) [${DEFAULT_SERVE.logRetentionDays}]`))
    .addOption(new Option('--chat-retention-days <days>', `chat history kept, days (0 = forever) [${DEFAULT_SERVE.chatRetentionDays}]`))
    .addOption(new Option('--admin-retention-days <days>', `admin records kept, days (0 = forever) [${DEFAULT_SERVE.adminRetentionDays}]`))
    .addOption(new Option('--login-retention-days <days>', `login records kept, days (0 = forever) [${DEFAULT_SERVE.loginRetentionDays}]`))
    .addOption(new Option('--auth-max-buckets <n>', `most buckets per login/registration limit (~230 bytes each) [${DEFAULT_SERVE.authMaxBuckets}]`))
    .addOption(new Option('--max-clients <n>', `most open WebSockets; more upgrades: 503 FULL [${DEFAULT_SERVE.maxClients}]`))
    .addOption(
      new Option('--max-joins-per-second <n>', `WebSocket upgrades plus JSON joins admitted per second; more: 503 BUSY [${DEFAULT_SERVE.maxJoinsPerSecond}]`),
    )
    .addOption(new Option('--max-streams <n>', `most streams on the host, the world included [${DEFAULT_SERVE.maxStreams}]`))
    .addOption(
      new Option(
        '--max-streams-per-principal <n>',
        `most live streams one account created (guests share one budget) [${DEFAULT_SERVE.maxStreamsPerPrincipal}]`,
      ),
    )
    .addOption(new Option('--idle-stream-ms <ms>', `a side stream without clients for this long is forgotten [${DEFAULT_SERVE.idleStreamMs}]`))
    .addOption(new Option('--stream-retain-ticks <ticks>', `side-stream log kept in memory; older catch-up is a reset [${DEFAULT_SERVE.streamRetainTicks}]`))
    .addOption(
      new Option(
        '--token-check-ms <ms>',
        `re-check open sessions' tokens (a ban or logout by another process ends them; 0 = never) [${DEFAULT_SERVE.tokenCheckMs}]`,
      ),
    )
    .addOption(new Option('--max-frame-bytes <n>', `largest WebSocket frame read (over 16 KiB: close 1009; over this: cut) [${DEFAULT_SERVE.maxFrameBytes}]`))
    .addOption(
      new Option(
        '--cluster <nats-url>',
        "run the world's shards in `tessera shard` processes reached through this NATS server (or servers of one NATS cluster, comma separated) [off]",
      ),
    )
    .addOption(new Option('--cluster-world <id>', `cluster world id, as given to \`tessera shard --world\` [${DEFAULT_SERVE.clusterWorld}]`))
    .addOption(new Option('--cluster-processes <n>', `shard processes that take the regions (round-robin) [${DEFAULT_SERVE.clusterProcesses}]`))
    .addOption(new Option('--cluster-standbys <n>', `further shard processes kept as standbys [${DEFAULT_SERVE.clusterStandbys}]`))
    .addOption(new Option('--cluster-join-timeout-ms <ms>', `how long to wait for the shard processes to join [${DEFAULT_SERVE.clusterJoinTimeoutMs}]`))
    .addOption(new Option('--cluster-nkey <file>', "the coordinator's NATS key (coordinator.nk from `tessera cluster-keys`) [none]"))
    .addOption(
      new Option(
        '--replicate <nats-url>',
        'lead a replicated world: take its leader lease and append every tick to its JetStream log on this NATS server (or servers, comma separated) [off]',
      ),
    )
    .addOption(new Option('--replicate-world <id>', `replicated world id (JetStream stream TESSERA_LOG_<id>) [${DEFAULT_SERVE.replicateWorld}]`))
    .addOption(new Option('--replicate-lease-ms <ms>', `leader lease length, the same on every node of the world [${DEFAULT_SERVE.replicateLeaseMs}]`))
    .addOption(new Option('--replicate-nkey <file>', "this node's NATS key for replication [none]"))
    .addOption(
      new Option(
        '--replicate-max-held-bytes <n>',
        `with --replicate: bytes of messages to clients waiting for their tick to be in JetStream, at most [${DEFAULT_SERVE.replicateMaxHeldBytes}]`,
      ),
    )
    .addOption(new Option('--follow', 'with --replicate: start as a replica following the world log; lead (listen and tick) once the lease is won [off]'))
    .addOption(new Option('--edge', 'with --follow: serve clients from the replica copy while waiting to lead, forwarding their messages to the leader [off]'))
    .addOption(new Option('--edge-max-pending <n>', `with --edge: requests waiting for the leader, at most [${DEFAULT_SERVE.edgeMaxPending}]`))
    .addOption(new Option('--edge-timeout-ms <ms>', `with --edge: ms to wait for the leader's answer [${DEFAULT_SERVE.edgeTimeoutMs}]`))
    .addOption(
      new Option('--edge-batch-ms <ms>', `with --edge: ms a batch of forwarded messages waits for more after its first [${DEFAULT_SERVE.edgeBatchMs}]`),
    )
    .addOption(
      new Option(
        '--edge-batch-max-entries <n>',
        `with --edge: most messages (joins, leaves) of one batch to the leader [${DEFAULT_SERVE.edgeBatchMaxEntries}]`,
      ),
    )
    .addOption(new Option('--edge-batch-max-bytes <n>', `with --edge: most bytes of one batch to the leader [${DEFAULT_SERVE.edgeBatchMaxBytes}]`))
    .addOption(
      new Option(
        '--replicate-snapshot-every <ticks>',
        `ticks between the leader's snapshots for replicas (object store TESSERA_SNAP_<id>; 0 = none) [${DEFAULT_SERVE.replicateSnapshotEvery}]`,
      ),
    )
    .addOption(new Option('--replicate-snapshot-keep <n>', `snapshots kept; older ones are deleted [${DEFAULT_SERVE.replicateSnapshotKeep}]`))
    .addOption(
      new Option(
        '--replicate-snapshot-max-bytes <bytes>',
        `largest snapshot stored or read; a bigger one is skipped [${DEFAULT_SERVE.replicateSnapshotMaxBytes}]`,
      ),
    )
    .addOption(
      new Option(
        '--replicate-log-max-ticks <ticks>',
        `ticks the log stream keeps (older ones trimmed; at least 2 x --replicate-snapshot-every; 0 = all) [${DEFAULT_SERVE.replicateLogMaxTicks}]`,
      ),
    )
    .addOption(new Option('-c, --config <file>', 'JSON file with the same settings (flags and TESSERA_* variables win)'))
    .action(async (o: Record<string, unknown>) => {
      // commander names each flag's value after the setting (--snapshot-every -> snapshotEvery)
      const cfg = resolveConfig(Object.fromEntries(Object.keys(DEFAULT_SERVE).map((k) => [k, o[k]])), process.env, o.config as string | undefined);
      // handlers first: a signal that arrives while the server starts stops it as soon as it is up
      let server: Awaited<ReturnType<typeof serve>> | null = null,
        signalled: string | null = null;
      const starting = new AbortController();
      const stop = (sig: string): void => {
        if (!server) {
          // still starting (a replica waiting to lead gives up at once; the others stop once up)
          signalled = sig;
          starting.abort();
          return;
        }
        const s = server;
        void s.stop(sig).then(
          () => process.exit(0),
          (e: Error) => {
            s.log.error({ err: e }, 'stop failed');
            process.exit(1);
          },
        );
      };
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop(sig));
      const s = await serve(cfg, undefined, { abort: starting.signal }).catch((e: Error) => {
        if (signalled && cfg.follow) process.exit(0); // a replica stopped before it led
        throw e;
      });
      server = s;
      if (signalled) stop(signalled);
      // an admin's shutdown stops the server; the process follows
      void s.stopped.then(() => process.exit(0));
    });
  p.command('replay <database>')
    .description('replay the world log of a database from tick 0 and print per-tick hashes, checked against the stored ones')
    .option('-s, --scene <file>', 'scene the world was created from', DEFAULT_SERVE.scene)
    .option('--every <n>', 'print every n-th tick', '1')
    .option('--stream <name>', 'world stream name', 'world')
    .option('--cluster <url>', 'replay through shard processes joined to this NATS server (start them with tessera shard --world <id>)')
    .option('--cluster-world <id>', 'world id of the shard processes', 'replay')
    .option('--cluster-processes <n>', 'shard processes to wait for', '2')
    .option('--cluster-nkey <file>', "the coordinator's NATS key (coordinator.nk from `tessera cluster-keys`)")
    .action(
      async (
        db: string,
        o: { scene: string; every: string; stream: string; cluster?: string; clusterWorld: string; clusterProcesses: string; clusterNkey?: string },
      ) => {
        const store = openDb(db);
        let coordinator: ClusterCoordinator | null = null;
        try {
          const ticks = store.ticksFrom(o.stream, 0);
          if (!ticks.length || ticks[0].tick !== 0) throw new ConfigError('database', db, `the log of ${o.stream} does not start at tick 0`);
          const every = Math.max(1, Number(o.every) || 1);
          let bad = 0;
          const scene = await loadSceneWithAssets(o.scene);
          const setup = sceneSetup(scene);
          // object scripts re-run in the replay (the server's checkpoints: --snapshot-every's default)
          setup.scripts = { engine: await ScriptEngine.create(0), checkpointEvery: 200 };
          if (o.cluster) setup.shardOptions = { ...setup.shardOptions, exchange: 'tick' };
          const processes = Number(o.clusterProcesses);
          if (o.cluster && !(Number.isInteger(processes) && processes >= 1))
            throw new ConfigError('cluster-processes', '--cluster-processes', 'must be an integer >= 1');
          const url = o.cluster;
          await replayLog(
            setup,
            ticks.flatMap((t) => t.events),
            ticks.length,
            (r) => {
              const want = ticks[r.tick].hash,
                got = r.hash.toString(16);
              if (got !== want) bad++;
              if (r.tick % every === 0 || got !== want || r.tick === ticks.length - 1)
                console.log(`${r.tick} ${got}${got === want ? '' : ` MISMATCH (log says ${want})`}`);
            },
            url
              ? async (world) => {
                  coordinator = await ClusterCoordinator.start(world, { nats: url, world: o.clusterWorld, processes, nkeyFile: o.clusterNkey }).catch(
                    (e: Error) => {
                      throw e instanceof NkeyFileError ? new ConfigError('cluster-nkey', '--cluster-nkey', e.message) : e;
                    },
                  );
                }
              : undefined,
          );
          console.log(bad ? `${bad} of ${ticks.length} ticks differ from the log` : `${ticks.length} ticks replayed, every hash equals the log`);
          if (bad) process.exitCode = 1;
        } finally {
          await (coordinator as ClusterCoordinator | null)?.close();
          store.close();
        }
      },
    );
  p.command('inspect <database>')
    .description("print a summary of a database's newest world snapshot")
    .option('--stream <name>', 'world stream name', 'world')
    .action((db: string, o: { stream: string }) => {
      const store = openDb(db);
      try {
        const snap = store.newestSnapshot(o.stream);
        if (!snap) {
          console.log(`no snapshot of ${o.stream}`);
          return;
        }
        const s = decodeWorldSnapshot(snap.data);
        const game = JSON.parse(s.game) as { avatars: unknown[]; spawned: Array<[number, unknown[]]>; artifacts?: unknown[] };
        const dv = new DataView(s.physics.buffer, s.physics.byteOffset, s.physics.byteLength);
        console.log(
          JSON.stringify(
            {
              stream: o.stream,
              tick: snap.tick,
              hash: snap.hash,
              bytes: snap.data.byteLength,
              physics: { bytes: s.physics.byteLength, shards: dv.getUint32(12, true), slotsUsed: dv.getUint32(16, true) },
              clientsConnected: s.stream.clients.filter((c) => c.connected).length,
              clientsKnown: s.stream.clients.length,
              avatars: game.avatars.length,
              spawned: game.spawned.reduce((n, [, l]) => n + l.length, 0),
              artifacts: game.artifacts?.length ?? 0,
              lastTick: store.lastTick(o.stream),
            },
            null,
            2,
          ),
        );
      } finally {
        store.close();
      }
    });
  p.command('bots')
    .description('connect N bot players that walk across shard borders, chat, throw spheres and ping; print progress and a summary')
    .option('-n, --count <n>', 'bots', '10')
    .option('-u, --url <url>', 'the server', 'ws://127.0.0.1:9001/ws')
    .option('-t, --duration <seconds>', 'run time (0 = until Ctrl-C)', '60')
    .option('--ramp <perSecond>', 'new connections per second', '100')
    .option('--accounts', 'register and log in bot accounts instead of guests')
    .option('--json <file>', 'also write the summary as JSON')
    .action(async (o: { count: string; url: string; duration: string; ramp: string; accounts?: boolean; json?: string }) => {
      const int = (v: string, name: string, min: number): number => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < min) throw new ConfigError(name, `--${name}`, `must be an integer >= ${min}, got ${JSON.stringify(v)}`);
        return n;
      };
      const run = new BotRun({
        url: o.url,
        count: int(o.count, 'count', 1),
        durationSec: int(o.duration, 'duration', 0),
        rampPerSec: int(o.ramp, 'ramp', 1),
        accounts: o.accounts === true,
      });
      try {
        run.start();
      } catch (e) {
        throw new ConfigError('bots', 'arguments', (e as Error).message);
      }
      process.once('SIGINT', () => {
        void run.stop();
      });
      const s = await run.done;
      console.log(
        `summary: ${s.everConnected}/${s.bots} bots connected (${s.connectedAtEnd} at the end, ${s.reconnects} reconnects), ${s.messagesIn} messages in (${(s.bytesIn / 2 ** 20).toFixed(1)} MiB), ${s.messagesOut} out, ` +
          `${s.throws} throws, ${s.chatsIn} chat lines received; ping latency p50 ${s.latencyMsP50.toFixed(1)} ms, p99 ${s.latencyMsP99.toFixed(1)} ms, max ${s.latencyMsMax.toFixed(1)} ms; ` +
          `errors ${s.errors} ${JSON.stringify(s.errorCodes)}, unexpected closes ${s.unexpectedCloses}`,
      );
      if (o.json) writeFileSync(o.json, `${JSON.stringify(s, null, 2)}\n`);
      setTimeout(() => process.exit(0), 100);
    });
  p.command('shard')
    .description('run a shard process of a cluster world: join through NATS, step the regions the coordinator assigns (docs/cluster/design.md)')
    .requiredOption('--world <id>', 'world id (letters, digits, _ and -), as given to the coordinator')
    .option('--nats <url>', 'NATS server URL (or servers of one NATS cluster, comma separated)', process.env.TESSERA_NATS_URL ?? 'nats://127.0.0.1:4222')
    .option('--id <id>', "this process's id in the world (letters, digits, _ and -) [the --nkey file's name, else host-pid]")
    .option('--nkey <file>', 'its NATS key (<id>.nk from `tessera cluster-keys`; the server must know it) [none]', process.env.TESSERA_SHARD_NKEY)
    .option('--standby', 'take regions only when another process fails')
    .option('--log-level <level>', 'pino level', 'info')
    .option('--metrics-port <n>', 'serve GET /metrics of this process on this port (0 = any free one, logged) [none]')
    .option('--metrics-host <address>', 'address of the /metrics server', '127.0.0.1')
    .action(
      async (o: {
        world: string;
        nats: string;
        id?: string;
        nkey?: string;
        standby?: boolean;
        logLevel: string;
        metricsPort?: string;
        metricsHost: string;
      }) => {
        const log = pino({ level: o.logLevel });
        const id = o.id ?? (o.nkey ? idOfKeyFile(o.nkey) : `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}`);
        const metricsPort = o.metricsPort === undefined ? null : Number(o.metricsPort);
        if (metricsPort !== null && !(/^\d+$/.test(o.metricsPort ?? '') && metricsPort <= 65535))
          throw new ConfigError('shard', '--metrics-port', `must be an integer 0..65535, got ${JSON.stringify(o.metricsPort)}`);
        let proc: ShardProcess;
        try {
          proc = await ShardProcess.start({ nats: o.nats, world: o.world, id, nkeyFile: o.nkey, standby: o.standby === true, log });
        } catch (e) {
          if (e instanceof RangeError) throw new ConfigError('shard', 'arguments', e.message);
          if (e instanceof NkeyFileError) throw new ConfigError('shard', '--nkey', e.message);
          if (e instanceof AuthorizationError)
            throw new ConfigError(
              'shard',
              '--nkey',
              `NATS at ${o.nats} refused ${o.nkey ? `the key in ${o.nkey}` : 'a connection without a key'}: ${e.message}`,
            );
          throw new ConfigError('shard', '--nats', `cannot reach NATS at ${o.nats}: ${(e as Error).message}`);
        }
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void proc.close(sig));
        if (metricsPort !== null) {
          const m = await serveShardMetrics(() => proc.stats, metricsPort, o.metricsHost).catch(async (e: Error) => {
            await proc.close('metrics');
            throw new ConfigError('shard', '--metrics-port', `cannot listen on ${o.metricsHost}:${metricsPort}: ${e.message}`);
          });
          log.info({ id, metricsPort: m.port, url: `http://${o.metricsHost}:${m.port}/metrics` }, 'metrics');
        }
        const why = await proc.stopped;
        log.info({ why }, 'shard process stopped');
        process.exit(why === 'behind' || why === 'fault' ? 3 : 0);
      },
    );
  p.command('cluster-keys')
    .description(
      "make NATS users for a world: a key per shard process and the coordinator, a key per replication node (leader and replicas), and nats-server's authorization config (src/cluster/auth.ts, src/replica/auth.ts)",
    )
    .requiredOption('--world <id>', 'world id (letters, digits, _ and -)')
    .option('--processes <ids>', 'shard process ids, comma separated (standbys too)', '')
    .option('--replicas <ids>', 'replication node ids (the leader and every replica), comma separated', '')
    .option('--out <dir>', 'where to write <id>.nk (mode 600) and auth.conf', 'cluster-keys')
    .option('--force', 'replace an existing auth.conf and its keys')
    .action((o: { world: string; processes: string; replicas: string; out: string; force?: boolean }) => {
      const list = (v: string): string[] =>
        v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
      let k: ReturnType<typeof makeClusterKeys>;
      try {
        k = makeClusterKeys({ world: o.world, ids: list(o.processes), replicas: list(o.replicas), dir: o.out, force: o.force === true });
      } catch (e) {
        throw new ConfigError('cluster-keys', 'arguments', (e as Error).message);
      }
      console.log(`wrote ${k.conf} and ${Object.keys(k.seeds).length} keys:`);
      console.log(`  nats-server -js -c ${k.conf}`);
      if (list(o.processes).length > 0)
        console.log(`  tessera serve --cluster nats://HOST:4222 --cluster-world ${o.world} --cluster-nkey ${k.seeds.coordinator}`);
      for (const id of list(o.processes)) console.log(`  tessera shard --nats nats://HOST:4222 --world ${o.world} --nkey ${k.seeds[id]}`);
      for (const id of list(o.replicas))
        console.log(`  tessera serve --replicate nats://HOST:4222 --replicate-world ${o.world} --replicate-nkey ${k.seeds[id]} [--follow]`);
    });
  p.command('selfcheck')
    .description('core build information and a determinism self-check of its variants')
    .action(() => selfCheck());
  accountsCommand(p, DEFAULT_SERVE.data);
  return p;
}

/** Errors a user can fix: one line, exit 2. */
function userError(e: unknown): boolean {
  if (e instanceof ConfigError || e instanceof SceneError || e instanceof PersistError || e instanceof CliError) {
    console.error(`tessera: ${e.message}`);
    process.exit(2);
  }
  return false;
}

if (require.main === module) {
  exitWithWatchedProcess();
  program()
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      if (!userError(e)) {
        console.error(e);
        process.exit(1);
      }
    });
}
