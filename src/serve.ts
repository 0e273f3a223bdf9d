/**
 * `tessera serve`: the main job. One process runs the host (uWebSockets.js), the world stream
 * with its physics shards on worker threads, persistence in one SQLite file (snapshots on a
 * writer thread), accounts with guest login, artifacts, chat history and admin records, and
 * Prometheus metrics.
 *
 * Configuration, strongest first: command-line flags, environment variables (TESSERA_PORT,
 * TESSERA_HOST, TESSERA_DATA, TESSERA_SCENE, TESSERA_WORKERS, TESSERA_GUESTS,
 * TESSERA_SNAPSHOT_EVERY, TESSERA_LOG_LEVEL, TESSERA_SHARD_STEP_TIMEOUT_MS,
 * TESSERA_TEMP_ADMIN_ABSENT_DAYS, TESSERA_TEMP_ADMIN_RECENT_DAYS, TESSERA_LOG_RETENTION_DAYS,
 * TESSERA_CHAT_RETENTION_DAYS, TESSERA_ADMIN_RETENTION_DAYS, TESSERA_LOGIN_RETENTION_DAYS,
 * TESSERA_AUTH_MAX_BUCKETS, TESSERA_CLUSTER, TESSERA_CLUSTER_WORLD, TESSERA_CLUSTER_PROCESSES,
 * TESSERA_CLUSTER_STANDBYS, TESSERA_CLUSTER_JOIN_TIMEOUT_MS, and TESSERA_<SETTING> for the rest), a JSON file (`--config`, same keys as ServeConfig),
 * then the embedded defaults (DEFAULT_SERVE). Invalid values are refused with ConfigError
 * naming the setting, where it came from and what it must be.
 *
 * Operations: a shard worker that dies or hangs is logged (warn, 'shard worker fault') when the
 * step timeout (default 750 ms) ends and counted in tessera_shard_recoveries_total; security events are sampled
 * JSON lines (src/net/security-log.ts); the store prunes by age every hour (src/persist/retention.ts);
 * the temporary-admin rule is re-evaluated every minute besides logins.
 *
 * A cluster world (`cluster` = a NATS URL): the world is built (or restored from its snapshot)
 * here with exchange 'tick' and no worker threads, then a ClusterCoordinator (src/cluster/) waits
 * for `clusterProcesses` + `clusterStandbys` shard processes (`tessera shard --world
 * <clusterWorld>`) to join, sends each a copy of the world as it is then, and steps the regions
 * through them; only then does the host listen and tick. Regions are assigned round-robin to
 * the processes. Processes that do not join within `clusterJoinTimeoutMs` (or refuse their copy)
 * stop serve with a ConfigError saying so. Its figures are tessera_cluster_* in /metrics and
 * `cluster` in /stats, with the processes' heartbeats (src/net/cluster-members.ts).
 *
 * A replicated world (`replicate` = a NATS URL, issue 19): this node takes the world's leader
 * lease (another holder: ConfigError naming it), appends every closed tick to the world's
 * JetStream log after SQLite (src/replica/leader.ts), refuses to start when the log holds another
 * history, and stops when it loses the lease or another writer appended. Figures:
 * tessera_replication_* (src/net/replication-metrics.ts). Accounts, sessions, avatars, artifacts,
 * chat and admin records go through the world's data stream (src/replica/data-stream.ts): a
 * replica applies it before it leads, and account writes are answered once JetStream has them.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { Host } from './net/host';
import { HostMetrics } from './net/metrics';
import { SqliteStore } from './persist/sqlite-store';
import { SnapshotWriter } from './persist/snapshot-writer';
import { AccountService } from './persist/accounts';
import { ArtifactService } from './persist/artifacts';
import { loadSceneWithAssets, sceneSetup } from './scene';
import { ScriptEngine } from './script/engine';
import { SecurityLog } from './net/security-log';
import { RetentionSchedule } from './persist/retention';
import { DEFAULT_STEP_TIMEOUT_MS } from './physics/sharded';
import { DEFAULT_MAX_BUCKETS } from './persist/rate-buckets';
import { ClusterCoordinator } from './cluster/coordinator';
import { PhysicsError } from './physics/world';
import { WORLD_ID } from './cluster/subjects';
import { idOfKeyFile, readNkeySeed } from './cluster/auth';
import { ClusterWatch } from './net/cluster-metrics';
import { MemberWatch } from './net/cluster-members';
import { LeaderError, ReplicationLeader, deposer } from './replica/leader';
import { BUDGET_MAX, BUDGET_MIN, InterestPublisher } from './sim/interest';
import { startReplicaStatus } from './replica/replica-status';
import { ReplicaNode } from './replica/replica-node';
import { EdgeHost, edgeMetrics, readOnlyRecords } from './replica/edge';
import { ReplicaError } from './replica/jetstream-log';
import type { WorldFollower } from './replica/follower';
import type { WorldLoopOptions } from './sim/world-loop';
import type { StreamOptions } from './sim/stream';
import { ReplicationMetrics } from './net/replication-metrics';
import { DataReplication, stopCapture } from './replica/data-stream';
import { DataReplicationMetrics } from './net/data-replication-metrics';
import { hostname } from 'node:os';

/** What `tessera serve` runs with. */
export interface ServeConfig {
  /** TCP port (0 = any free one). */
  port: number;
  /** Address to bind ('127.0.0.1' loopback only; '0.0.0.0' every interface). */
  host: string;
  /** Directory of the SQLite file (tessera.sqlite), created if missing. */
  data: string;
  /** Scene file (src/scene.ts). */
  scene: string;
  /** Shard worker threads (0 = shards on the main thread). */
  workers: number;
  /** Object script worker threads (0 = scripts on the world thread; WorldScriptOptions.threads). */
  scriptThreads: number;
  /** Accept the "guest" token. */
  guests: boolean;
  /** GET /metrics without a token (false: a bearer token of any principal is needed, even with guests on). */
  publicMetrics: boolean;
  /** Ticks between world snapshots. */
  snapshotEvery: number;
  /**
   * Most joints one client's state message carries (InterestOptions.maxJoints): a view with more
   * holds those with the lowest indices, and the cut is counted (tessera_interest_joints_left_out_total).
   */
  maxJoints: number;
  /**
   * Byte budget of each client's state messages, bytes per second (issue 22; src/sim/interest.ts
   * "byte budget": near bodies first, far ones when there is room): 0 = none, every change is
   * sent. Per tick it is this over the tick rate, at least 256 B. 16000 is the mobile target.
   */
  stateBytesPerSecond: number;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
  /** How long a shard worker's step may take before the worker counts as dead or hung and the tick is recovered, ms (the host waits this long at most). */
  shardStepTimeoutMs: number;
  /** Temporary-admin rule (seed 000): days without a permanent admin login before a temporary admin is chosen (X). */
  tempAdminAbsentDays: number;
  /** Temporary-admin rule: days within which a candidate must have logged in (Y). */
  tempAdminRecentDays: number;
  /** Days of world log kept before the newest snapshot (0 = forever). */
  logRetentionDays: number;
  /** Days of chat history kept (0 = forever). */
  chatRetentionDays: number;
  /** Days of admin records kept (0 = forever). */
  adminRetentionDays: number;
  /** Days of login records (and expired sessions) kept (0 = forever). */
  loginRetentionDays: number;
  /** Most buckets each login/registration limit keeps (about 230 bytes each, six limits). */
  authMaxBuckets: number;
  /** Most open WebSockets; more upgrades are refused with 503 FULL (HostOptions.maxClients). */
  maxClients: number;
  /** WebSocket upgrades plus JSON joins admitted per second; more: 503 BUSY + Retry-After. */
  maxJoinsPerSecond: number;
  /** Most streams on the host, the world included. */
  maxStreams: number;
  /** Most live streams one principal created (all guests share one budget). */
  maxStreamsPerPrincipal: number;
  /** A side stream without connected clients for this long is forgotten, ms. */
  idleStreamMs: number;
  /** Ticks of side-stream log kept in memory (older catch-up is a reset). */
  streamRetainTicks: number;
  /** Period of re-checking open sessions' tokens against the accounts (a ban or logout by another process ends them), ms; 0 = never. */
  tokenCheckMs: number;
  /** Largest WebSocket frame read (over the 16 KiB message limit: close 1009; over this uWS cuts the connection), bytes. */
  maxFrameBytes: number;
  /**
   * The NATS server URL (nats://host:port, tls://, ws://, wss://; or several, comma separated:
   * servers of one NATS cluster to fail over between) of a cluster
   * world whose shards run in `tessera shard` processes; '' = no cluster (shards in this process).
   */
  cluster: string;
  /** The cluster world's id (NATS subjects tessera.<id>.*; 1 to 64 letters, digits, '_', '-'). */
  clusterWorld: string;
  /** Shard processes that take regions (round-robin); at most the scene's region count. */
  clusterProcesses: number;
  /** Further shard processes kept as standbys (they take a failed process's regions at once). */
  clusterStandbys: number;
  /** How long serve waits for the shard processes to join before it gives up, ms. */
  clusterJoinTimeoutMs: number;
  /**
   * The coordinator's NATS user seed file (`tessera cluster-keys` writes `coordinator.nk`;
   * src/cluster/auth.ts); '' = connect without a key (a server without users: serve warns).
   */
  clusterNkey: string;
  /**
   * The NATS server URL (or several, comma separated) whose JetStream holds this world's
   * replicated log (issue 19, src/replica/): every closed tick is appended there after SQLite,
   * and this node must hold the world's leader lease to run; '' = no replication.
   */
  replicate: string;
  /** The replicated world's id (stream TESSERA_LOG_<id>, lease bucket TESSERA_LEASE_<id>). */
  replicateWorld: string;
  /** Leader lease length, ms (the lease bucket's TTL; the same on every node of the world). */
  replicateLeaseMs: number;
  /** This node's NATS user seed file for replication; '' = connect without a key. */
  replicateNkey: string;
  /**
   * With `replicate`: start as a replica that follows the world's log and campaigns for the lease;
   * serve resolves (and the host listens) once this node leads, from the tick after the log's end.
   */
  follow: boolean;
  /**
   * With `follow`: while it waits to lead, the replica is an edge host on `port` (src/replica/edge.ts):
   * it serves clients from its own copy of the world and forwards their joins, inputs, chat,
   * ownership and admin messages to the leader. Off: the port answers 503 NOT_LEADER.
   */
  edge: boolean;
  /** With `edge`: most requests waiting for the leader (past it a client's message is answered BUSY). */
  edgeMaxPending: number;
  /** With `edge`: ms to wait for the leader's answer before answering the client BUSY. */
  edgeTimeoutMs: number;
  /**
   * With `edge`: the edge sends its clients' joins, messages and leaves to the leader in batches
   * (edge.ts EdgeBatchOptions): ms a batch waits after its first entry (0..1,000), most entries
   * (1..4,096) and most bytes (1,024..1,048,576) of one batch.
   */
  edgeBatchMs: number;
  edgeBatchMaxEntries: number;
  edgeBatchMaxBytes: number;
  /**
   * With `replicate`: bytes of messages to clients that may wait for their tick to be in JetStream
   * (HostOptions.maxHeldBytes, src/net/send-gate.ts); beyond it the oldest waiting client is closed.
   */
  replicateMaxHeldBytes: number;
  /** With `replicate`: ticks between the leader's snapshots for replicas (src/replica/snapshots.ts); 0 = none. */
  replicateSnapshotEvery: number;
  /** Snapshots kept in the world's object store (TESSERA_SNAP_<id>); older ones are deleted. */
  replicateSnapshotKeep: number;
  /** Largest snapshot stored or read, bytes: a bigger one is not stored (logged, counted) and replicas replay more log. */
  replicateSnapshotMaxBytes: number;
  /** Most ticks the world's log stream keeps (older ones trimmed: replicas start from a snapshot); 0 = all. */
  replicateLogMaxTicks: number;
}

/** The embedded defaults: the demo world on port 9001, SQLite under ./data/, a worker per core, guests on. */
export const DEFAULT_SERVE: ServeConfig = {
  port: 9001,
  host: '127.0.0.1',
  data: './data',
  scene: join(__dirname, '..', '..', '..', 'scenes', 'demo.json'),
  workers: availableParallelism(),
  scriptThreads: 0,
  guests: true,
  publicMetrics: true,
  snapshotEvery: 200,
  maxJoints: 256,
  stateBytesPerSecond: 0,
  logLevel: 'info',
  shardStepTimeoutMs: DEFAULT_STEP_TIMEOUT_MS,
  tempAdminAbsentDays: 7,
  tempAdminRecentDays: 3,
  logRetentionDays: 2,
  chatRetentionDays: 90,
  adminRetentionDays: 365,
  loginRetentionDays: 30,
  authMaxBuckets: DEFAULT_MAX_BUCKETS,
  maxClients: 20_000,
  maxJoinsPerSecond: 200,
  maxStreams: 1000,
  maxStreamsPerPrincipal: 20,
  idleStreamMs: 60_000,
  streamRetainTicks: 1200,
  tokenCheckMs: 5000,
  maxFrameBytes: 1024 * 1024,
  cluster: '',
  clusterWorld: 'main',
  clusterProcesses: 2,
  clusterStandbys: 0,
  clusterJoinTimeoutMs: 30_000,
  clusterNkey: '',
  replicate: '',
  replicateWorld: 'main',
  replicateLeaseMs: 1000,
  replicateNkey: '',
  replicateMaxHeldBytes: 64 * 1024 * 1024,
  follow: false,
  edge: false,
  edgeMaxPending: 4096,
  edgeTimeoutMs: 2000,
  edgeBatchMs: 4,
  edgeBatchMaxEntries: 1024,
  edgeBatchMaxBytes: 256 * 1024,
  replicateSnapshotEvery: 600,
  replicateSnapshotKeep: 3,
  replicateSnapshotMaxBytes: 256 * 1024 * 1024,
  replicateLogMaxTicks: 0,
};

/** A setting that cannot be used. */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    readonly source: string,
    message: string,
  ) {
    super(`${setting} (from ${source}): ${message}`);
    this.name = 'ConfigError';
  }
}

const ENV: Record<keyof ServeConfig, string> = {
  port: 'TESSERA_PORT',
  host: 'TESSERA_HOST',
  data: 'TESSERA_DATA',
  scene: 'TESSERA_SCENE',
  workers: 'TESSERA_WORKERS',
  scriptThreads: 'TESSERA_SCRIPT_THREADS',
  guests: 'TESSERA_GUESTS',
  publicMetrics: 'TESSERA_PUBLIC_METRICS',
  snapshotEvery: 'TESSERA_SNAPSHOT_EVERY',
  maxJoints: 'TESSERA_MAX_JOINTS',
  stateBytesPerSecond: 'TESSERA_STATE_BYTES_PER_SECOND',
  logLevel: 'TESSERA_LOG_LEVEL',
  shardStepTimeoutMs: 'TESSERA_SHARD_STEP_TIMEOUT_MS',
  tempAdminAbsentDays: 'TESSERA_TEMP_ADMIN_ABSENT_DAYS',
  tempAdminRecentDays: 'TESSERA_TEMP_ADMIN_RECENT_DAYS',
  logRetentionDays: 'TESSERA_LOG_RETENTION_DAYS',
  chatRetentionDays: 'TESSERA_CHAT_RETENTION_DAYS',
  adminRetentionDays: 'TESSERA_ADMIN_RETENTION_DAYS',
  loginRetentionDays: 'TESSERA_LOGIN_RETENTION_DAYS',
  authMaxBuckets: 'TESSERA_AUTH_MAX_BUCKETS',
  maxClients: 'TESSERA_MAX_CLIENTS',
  maxJoinsPerSecond: 'TESSERA_MAX_JOINS_PER_SECOND',
  maxStreams: 'TESSERA_MAX_STREAMS',
  maxStreamsPerPrincipal: 'TESSERA_MAX_STREAMS_PER_PRINCIPAL',
  idleStreamMs: 'TESSERA_IDLE_STREAM_MS',
  streamRetainTicks: 'TESSERA_STREAM_RETAIN_TICKS',
  tokenCheckMs: 'TESSERA_TOKEN_CHECK_MS',
  maxFrameBytes: 'TESSERA_MAX_FRAME_BYTES',
  cluster: 'TESSERA_CLUSTER',
  clusterWorld: 'TESSERA_CLUSTER_WORLD',
  clusterProcesses: 'TESSERA_CLUSTER_PROCESSES',
  clusterStandbys: 'TESSERA_CLUSTER_STANDBYS',
  clusterJoinTimeoutMs: 'TESSERA_CLUSTER_JOIN_TIMEOUT_MS',
  clusterNkey: 'TESSERA_CLUSTER_NKEY',
  replicate: 'TESSERA_REPLICATE',
  replicateWorld: 'TESSERA_REPLICATE_WORLD',
  replicateLeaseMs: 'TESSERA_REPLICATE_LEASE_MS',
  replicateNkey: 'TESSERA_REPLICATE_NKEY',
  replicateMaxHeldBytes: 'TESSERA_REPLICATE_MAX_HELD_BYTES',
  follow: 'TESSERA_FOLLOW',
  edge: 'TESSERA_EDGE',
  edgeMaxPending: 'TESSERA_EDGE_MAX_PENDING',
  edgeTimeoutMs: 'TESSERA_EDGE_TIMEOUT_MS',
  edgeBatchMs: 'TESSERA_EDGE_BATCH_MS',
  edgeBatchMaxEntries: 'TESSERA_EDGE_BATCH_MAX_ENTRIES',
  edgeBatchMaxBytes: 'TESSERA_EDGE_BATCH_MAX_BYTES',
  replicateSnapshotEvery: 'TESSERA_REPLICATE_SNAPSHOT_EVERY',
  replicateSnapshotKeep: 'TESSERA_REPLICATE_SNAPSHOT_KEEP',
  replicateSnapshotMaxBytes: 'TESSERA_REPLICATE_SNAPSHOT_MAX_BYTES',
  replicateLogMaxTicks: 'TESSERA_REPLICATE_LOG_MAX_TICKS',
};
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Merges the sources (flags over environment over file over defaults) and checks every value.
 * `flags` hold strings or booleans as the parser gave them. Throws ConfigError, also for
 * settings that do not go together: `workers` > 0 set together with `cluster` (a cluster
 * world's shards run in the shard processes; left unset it becomes 0), and a cluster* setting
 * given without `cluster`.
 */
export function resolveConfig(flags: Partial<Record<keyof ServeConfig, unknown>>, env: NodeJS.ProcessEnv = process.env, file?: string): ServeConfig {
  let fromFile: Partial<Record<keyof ServeConfig, unknown>> = {};
  if (file) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as typeof fromFile;
    } catch (e) {
      throw new ConfigError('config', `--config ${file}`, (e as Error).message);
    }
    if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) throw new ConfigError('config', file, 'must be a JSON object');
    for (const k of Object.keys(fromFile))
      if (!(k in DEFAULT_SERVE)) throw new ConfigError(k, file, `unknown setting; known: ${Object.keys(DEFAULT_SERVE).join(', ')}`);
  }
  const out = { ...DEFAULT_SERVE };
  const sources: Partial<Record<keyof ServeConfig, string>> = {};
  for (const key of Object.keys(DEFAULT_SERVE) as Array<keyof ServeConfig>) {
    let raw: unknown,
      source = 'default';
    if (flags[key] !== undefined) {
      raw = flags[key];
      source = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    } else if (env[ENV[key]] !== undefined) {
      raw = env[ENV[key]];
      source = ENV[key];
    } else if (fromFile[key] !== undefined) {
      raw = fromFile[key];
      source = file as string;
    } else continue;
    (out as Record<string, unknown>)[key] = check(key, raw, source);
    sources[key] = source;
  }
  checkCluster(out, sources);
  if (out.edge && !out.follow && sources.edge) throw new ConfigError('edge', sources.edge, 'an edge host is a replica: set follow (--follow) as well');
  if (out.replicate === '')
    for (const k of [
      'replicateWorld',
      'replicateLeaseMs',
      'replicateNkey',
      'follow',
      'edge',
      'edgeMaxPending',
      'edgeTimeoutMs',
      'edgeBatchMs',
      'edgeBatchMaxEntries',
      'edgeBatchMaxBytes',
      'replicateSnapshotEvery',
      'replicateSnapshotKeep',
      'replicateSnapshotMaxBytes',
      'replicateLogMaxTicks',
      'replicateMaxHeldBytes',
    ] as const) {
      const from = sources[k];
      if (from) throw new ConfigError(k, from, 'is a replication setting: set replicate (--replicate nats://host:4222) as well, or leave it out');
    }
  // a trimmed log is safe only with snapshots well inside it
  if (out.replicateLogMaxTicks > 0 && (out.replicateSnapshotEvery === 0 || out.replicateLogMaxTicks < 2 * out.replicateSnapshotEvery))
    throw new ConfigError(
      'replicateLogMaxTicks',
      sources.replicateLogMaxTicks ?? 'default',
      `keeps ${out.replicateLogMaxTicks} ticks: it needs replicateSnapshotEvery > 0 and at least 2 x replicateSnapshotEvery (${out.replicateSnapshotEvery}) ticks, or a replica starting late finds no snapshot the log still covers`,
    );
  return out;
}

/** The cross-checks of the cluster settings (see resolveConfig). */
function checkCluster(out: ServeConfig, sources: Partial<Record<keyof ServeConfig, string>>): void {
  if (out.cluster === '') {
    for (const k of ['clusterWorld', 'clusterProcesses', 'clusterStandbys', 'clusterJoinTimeoutMs', 'clusterNkey'] as const) {
      const from = sources[k];
      if (from) throw new ConfigError(k, from, 'is a cluster setting: set cluster (--cluster nats://host:4222) as well, or leave it out');
    }
    return;
  }
  if (sources.workers === undefined) out.workers = 0;
  else if (out.workers > 0)
    throw new ConfigError(
      'workers',
      sources.workers,
      `must be 0 with cluster (from ${sources.cluster}): a cluster world's shards run in the shard processes, not in worker threads`,
    );
}

function check(key: keyof ServeConfig, raw: unknown, source: string): unknown {
  const int = (min: number, max: number): number => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!(Number.isInteger(n) && n >= min && n <= max)) throw new ConfigError(key, source, `must be an integer ${min}..${max}, got ${JSON.stringify(raw)}`);
    return n;
  };
  switch (key) {
    case 'port':
      return int(0, 65535);
    case 'workers':
    case 'scriptThreads':
      return int(0, 64);
    case 'snapshotEvery':
      return int(1, 1_000_000);
    case 'maxJoints':
      return int(0, 4096);
    case 'stateBytesPerSecond':
      return int(0, 1_000_000_000);
    case 'replicateMaxHeldBytes':
      return int(65_536, 4 * 1024 * 1024 * 1024);
    case 'shardStepTimeoutMs':
      return int(50, 60_000);
    case 'tempAdminAbsentDays':
    case 'tempAdminRecentDays':
      return int(1, 3650);
    case 'logRetentionDays':
    case 'chatRetentionDays':
    case 'adminRetentionDays':
    case 'loginRetentionDays':
      return int(0, 36_500);
    case 'authMaxBuckets':
      return int(100, 10_000_000);
    case 'maxClients':
    case 'maxJoinsPerSecond':
    case 'maxStreams':
      return int(1, 1_000_000);
    case 'maxStreamsPerPrincipal':
      return int(1, 100_000);
    case 'idleStreamMs':
      return int(1000, 86_400_000);
    case 'streamRetainTicks':
      return int(20, 1_000_000);
    case 'tokenCheckMs':
      return int(0, 3_600_000);
    case 'maxFrameBytes':
      return int(16 * 1024, 64 * 1024 * 1024);
    case 'clusterProcesses':
      return int(1, 1024);
    case 'clusterStandbys':
      return int(0, 1024);
    case 'clusterJoinTimeoutMs':
      return int(1000, 3_600_000);
    case 'replicateLeaseMs':
      return int(100, 60_000);
    case 'edgeMaxPending':
      return int(1, 1_000_000);
    case 'edgeTimeoutMs':
      return int(100, 60_000);
    case 'edgeBatchMs':
      return int(0, 1000);
    case 'edgeBatchMaxEntries':
      return int(1, 4096);
    case 'edgeBatchMaxBytes':
      return int(1024, 1024 * 1024);
    case 'replicateSnapshotEvery':
      return int(0, 1_000_000);
    case 'replicateSnapshotKeep':
      return int(1, 100);
    case 'replicateSnapshotMaxBytes':
      return int(1024 * 1024, 4 * 1024 * 1024 * 1024);
    case 'replicateLogMaxTicks':
      return int(0, 1_000_000_000);
    case 'replicate':
    case 'cluster': {
      const v = String(raw).trim();
      if (v === '') return '';
      // one URL, or several separated by commas: servers of one NATS cluster, which every
      // connection of the coordinator fails over between (src/cluster/auth.ts clusterConnectOptions)
      const urls = v.split(',').map((u) => u.trim());
      for (const u of urls) {
        let ok = false;
        try {
          const url = new URL(u);
          ok = ['nats:', 'tls:', 'ws:', 'wss:'].includes(url.protocol) && url.hostname !== '';
        } catch {
          ok = false;
        }
        if (!ok)
          throw new ConfigError(
            key,
            source,
            `must be NATS URLs separated by commas (nats://host:4222, tls://, ws://, wss://), or empty for none; ${JSON.stringify(u)} is not one`,
          );
      }
      return urls.join(',');
    }
    case 'replicateNkey':
    case 'clusterNkey': {
      if (typeof raw !== 'string') throw new ConfigError(key, source, `must be a file name, got ${JSON.stringify(raw)}`);
      if (raw === '') return '';
      try {
        readNkeySeed(raw);
      } catch (e) {
        throw new ConfigError(key, source, (e as Error).message);
      }
      return raw;
    }
    case 'replicateWorld':
    case 'clusterWorld': {
      if (typeof raw !== 'string' || !WORLD_ID.test(raw))
        throw new ConfigError(key, source, `must be 1 to 64 letters, digits, '_' or '-', got ${JSON.stringify(raw)}`);
      return raw;
    }
    case 'guests':
    case 'edge':
    case 'follow':
    case 'publicMetrics': {
      if (typeof raw === 'boolean') return raw;
      const v = String(raw).trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw new ConfigError(key, source, `must be true or false, got ${JSON.stringify(raw)}`);
    }
    case 'logLevel': {
      if (!LEVELS.includes(String(raw))) throw new ConfigError(key, source, `must be one of ${LEVELS.join(', ')}`);
      return String(raw);
    }
    default: {
      if (typeof raw !== 'string' || raw.trim() === '') throw new ConfigError(key, source, 'must be a non-empty string');
      return raw;
    }
  }
}

/** A running server. */
export interface Server {
  host: Host;
  log: Logger;
  /** Stops and flushes (idempotent). */
  stop(reason?: string): Promise<void>;
  /** Resolves when the server has stopped, whoever stopped it (a signal, an admin's shutdown). */
  stopped: Promise<void>;
}

/**
 * Starts the main job with `cfg`. Resolves once it listens (logs `listening` with the port).
 * Rejects with SceneError for a bad scene, PersistError for a database it cannot use, Error
 * when the port cannot be bound. `stop` flushes persistence (a final snapshot, the writer's
 * queue, the WAL) and closes everything; it is idempotent.
 */
export async function serve(
  cfg: ServeConfig,
  log: Logger = pino({ level: cfg.logLevel }),
  opts: { abort?: AbortSignal; onWaiting?: (w: { statusPort: number }) => void } = {},
): Promise<Server> {
  const scene = await loadSceneWithAssets(cfg.scene);
  const cluster = cfg.cluster !== '';
  if (cluster) {
    // heightmaps, meshes, hull shapes and joints reach the shard processes inside their copy of
    // the world (the save holds the geometry words and the joint table, the config their room):
    // the scene builds them before the copy
    const regions = ((scene.partition?.xCuts.length ?? 0) + 1) * ((scene.partition?.zCuts.length ?? 0) + 1);
    if (cfg.clusterProcesses > regions)
      throw new ConfigError(
        'clusterProcesses',
        `the scene ${cfg.scene}`,
        `${cfg.clusterProcesses} shard processes but the scene's partition has ${regions} region(s): use at most ${regions} (keep more as clusterStandbys) or cut the scene into more regions`,
      );
  }
  // the byte budget per tick of each client's state messages (0: none)
  const stateBudget = cfg.stateBytesPerSecond === 0 ? 0 : Math.round(cfg.stateBytesPerSecond / scene.world.tickRate);
  if (stateBudget !== 0 && !InterestPublisher.budgetOk(stateBudget))
    throw new ConfigError(
      'stateBytesPerSecond',
      String(cfg.stateBytesPerSecond),
      `is ${stateBudget} bytes a tick at ${scene.world.tickRate} Hz: use 0 (no budget) or ${BUDGET_MIN * scene.world.tickRate}..${BUDGET_MAX * scene.world.tickRate} bytes a second`,
    );
  mkdirSync(cfg.data, { recursive: true });
  const file = resolve(cfg.data, 'tessera.sqlite');
  const store = SqliteStore.open(file);
  if (cfg.replicate === '') stopCapture(store.db); // a node that led a replicated world before: no data stream now
  const sink = await SnapshotWriter.start(file, { onWritten: (w) => log.debug({ tick: w.tick, bytes: w.bytes, ms: Math.round(w.ms) }, 'snapshot written') });
  store.handOverCheckpoints();
  const metrics = new HostMetrics();
  const securityLog = new SecurityLog(log);
  const retention = new RetentionSchedule(store, cfg, {
    onPruned: (c) => {
      if (Object.values(c).some((n) => n > 0)) log.info(c, 'retention: old rows deleted');
    },
    onError: (e) => log.error({ err: e }, 'retention failed'),
  });
  const accounts = new AccountService(store, { guests: cfg.guests, maxBuckets: cfg.authMaxBuckets });
  const setup = sceneSetup(scene, cluster ? 0 : cfg.workers);
  // object scripts (issue 21): checkpoints at the snapshot ticks, so a restore continues exactly
  setup.scripts = { engine: await ScriptEngine.create(0), checkpointEvery: cfg.snapshotEvery, threads: cfg.scriptThreads };
  setup.shardOptions = {
    ...setup.shardOptions,
    // a cluster world exchanges border state once per tick (the shard processes' Results)
    ...(cluster ? { exchange: 'tick' as const } : {}),
    stepTimeoutMs: cfg.shardStepTimeoutMs,
    onRecovery: (r) =>
      log.warn(
        { tick: r.tick, attempt: r.attempt, code: r.code, detail: r.message, recoveries: r.recoveries, ms: Math.round(r.ms) },
        'shard worker fault: the tick was recovered',
      ),
  };
  let stopping: Promise<void> | null = null;
  let host: Host;
  let coordinator: ClusterCoordinator | null = null;
  let watch: ClusterWatch | null = null;
  let members: MemberWatch | null = null;
  const closeCluster = async (): Promise<void> => {
    watch?.stop();
    await members?.close();
    await coordinator?.close();
  };
  let done = (): void => {};
  const stopped = new Promise<void>((r) => {
    done = r;
  });
  let started = false;
  // a replicated world: this node must hold the world's leader lease; every tick also goes to JetStream
  let leader: ReplicationLeader | null = null;
  let promoted: WorldFollower | null = null;
  let replicaNode: ReplicaNode | null = null;
  // accounts, sessions, avatars, artifacts, chat and admin records: the world's data stream (src/replica/data-stream.ts)
  let data: DataReplication | null = null;
  if (cfg.replicate !== '') {
    const lo = {
      nats: cfg.replicate,
      world: cfg.replicateWorld,
      id: `${cfg.replicateNkey ? `${idOfKeyFile(cfg.replicateNkey)}@` : ''}${hostname()}:${process.pid}`,
      stream: 'world',
      leaseMs: cfg.replicateLeaseMs,
      nkeyFile: cfg.replicateNkey || undefined,
      store,
      log,
      // (before the host runs there is nothing to stop: the start fails at its first fenced append)
      onDeposed: (reason: string) => void (started ? stop(`deposed: ${reason}`) : undefined),
      snapshots: { every: cfg.replicateSnapshotEvery, keep: cfg.replicateSnapshotKeep, maxBytes: cfg.replicateSnapshotMaxBytes },
      logMaxTicks: cfg.replicateLogMaxTicks,
    };
    const fail = async (e: Error): Promise<never> => {
      await sink.close();
      store.close();
      if (e instanceof LeaderError || e instanceof ReplicaError) throw new ConfigError('replicate', `world ${cfg.replicateWorld}`, e.message);
      throw new ConfigError('replicate', cfg.replicate, `cannot reach world ${cfg.replicateWorld} through NATS: ${e.message}`);
    };
    const dataOpts = { nats: lo.nats, world: lo.world, id: lo.id, nkeyFile: lo.nkeyFile, log, onFenced: (e: Error) => lo.onDeposed(e.message) };
    if (cfg.follow) {
      // a replica: follow the log until this node wins the lease, then lead from the next tick
      const depose = deposer(lo);
      const node = await ReplicaNode.start({
        ...lo,
        setup,
        snapshotMaxBytes: cfg.replicateSnapshotMaxBytes,
        onLost: (r) => depose(`lease lost (${r})`),
      }).catch(fail);
      replicaNode = node;
      data = await DataReplication.follow(store.db, dataOpts).catch(async (e: Error) => {
        await node.close();
        return fail(e);
      });
      // its own port while it waits: /metrics, /status, and 503 NOT_LEADER to clients (replica-status.ts);
      // or, with `edge`, an edge host serving clients from its own copy (src/replica/edge.ts)
      let edgeNow: EdgeHost | null = null;
      if (cfg.edge) edgeMetrics(metrics.registry, () => edgeNow?.stats() ?? null);
      const startEdge = async (): Promise<{ port: number; close(): Promise<void> }> => {
        const edge = await EdgeHost.start({
          nats: cfg.replicate,
          world: cfg.replicateWorld,
          id: lo.id,
          nkeyFile: lo.nkeyFile,
          setup,
          // tokens are checked against this replica's own copy of accounts and sessions (read only)
          host: {
            port: cfg.port,
            host: cfg.host,
            tickRate: scene.world.tickRate,
            maxClients: cfg.maxClients,
            metrics: () => metrics.text(),
            authenticate: (t) => {
              const p = accounts.authenticate(t);
              return p ? { account: p.account, guest: p.guest, accountId: p.guest ? undefined : p.accountId, role: p.role } : null;
            },
            // GET /chat/history from the replicated rows (read only: an edge writes no records);
            // POST /auth/* goes to the leader (edge.ts)
            records: readOnlyRecords(store),
            tokenCheckMs: cfg.tokenCheckMs,
          },
          maxPending: cfg.edgeMaxPending,
          timeoutMs: cfg.edgeTimeoutMs,
          batch: { ms: cfg.edgeBatchMs, maxEntries: cfg.edgeBatchMaxEntries, maxBytes: cfg.edgeBatchMaxBytes },
          snapshotMaxBytes: cfg.replicateSnapshotMaxBytes,
          log,
        });
        edgeNow = edge;
        // one copy per node: the edge's is promoted when the node wins the lease, the node's own stops
        await node.useCopy(edge.asCopy());
        return { port: edge.host.port, close: () => edge.stop() };
      };
      const status = await (cfg.edge ? startEdge() : startReplicaStatus({ host: cfg.host, port: cfg.port, world: cfg.replicateWorld, node })).catch(
        async (e: Error) => {
          await node.close();
          await data?.close(0);
          await sink.close();
          store.close();
          throw new ConfigError('port', String(cfg.port), `cannot listen on ${cfg.host}:${cfg.port} while waiting to lead: ${e.message}`);
        },
      );
      log.info({ world: cfg.replicateWorld, port: status.port }, 'replica: waiting to lead');
      opts.onWaiting?.({ statusPort: status.port });
      const abort = new Promise<never>((_, reject) =>
        opts.abort?.addEventListener('abort', () => reject(new ReplicaError('LOG_GAP', 'stopped while waiting to lead')), { once: true }),
      );
      const p = await Promise.race([node.lead(), abort])
        .finally(() => status.close())
        .catch(async (e: Error) => {
          await node.close();
          await data?.close(0);
          return fail(e);
        });
      leader = ReplicationLeader.lead(lo, p.nc, p.lease, p.tickLog, depose);
      promoted = p.follower;
      // before serving: every record of the data stream applied (accounts, tokens...), then this node appends
      await (data as DataReplication).lead().catch(async (e: Error) => {
        await leader?.close(0);
        await data?.close(0);
        return fail(e);
      });
    } else {
      const l = await ReplicationLeader.start(lo).catch(fail);
      leader = l;
      data = await DataReplication.leadNow(store.db, dataOpts).catch(async (e: Error) => {
        await l.close(0);
        return fail(e);
      });
    }
    new ReplicationMetrics(leader, metrics.registry, replicaNode ?? undefined, () => host?.sendGateStats() ?? null);
    accounts.durable = data.leader;
    new DataReplicationMetrics(data, metrics.registry);
  }
  const stop = (reason = 'stop'): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, 'stopping');
      retention.stop();
      securityLog.stop();
      // a last snapshot for replicas, taken after the next tick (the host still ticks), and no tick
      // after it (one while the snapshot is stored would be in the log but not in the snapshot)
      if (started) await leader?.snapshotNow(5_000, () => host.stopTicks());
      await host.stop();
      await closeCluster();
      await data?.close(); // the host's last writes (avatars) reach JetStream before the lease is released
      await leader?.close();
      await sink.close();
      store.close();
      log.info({ tick: host.world.stream.tick, hash: host.world.sim.hash().toString(16) }, 'stopped');
      done();
    })();
    return stopping;
  };
  const overflowLog = new OverflowLog(log);
  try {
    host = await Host.start({
      port: cfg.port,
      host: cfg.host,
      tickRate: scene.world.tickRate,
      world: setup,
      worldLoop: {
        persist: { store: leader?.store ?? store, sink, snapshotEvery: cfg.snapshotEvery },
        interest: { maxJoints: cfg.maxJoints, budget: stateBudget },
      },
      accounts,
      avatars: store,
      artifacts: new ArtifactService(store),
      records: store,
      tempAdminRule: { absentDays: cfg.tempAdminAbsentDays, recentDays: cfg.tempAdminRecentDays },
      tempAdminEveryMs: 60_000,
      securityLog,
      maxClients: cfg.maxClients,
      maxJoinsPerSecond: cfg.maxJoinsPerSecond,
      maxStreams: cfg.maxStreams,
      maxStreamsPerPrincipal: cfg.maxStreamsPerPrincipal,
      idleStreamMs: cfg.idleStreamMs,
      streamRetainTicks: cfg.streamRetainTicks,
      tokenCheckMs: cfg.tokenCheckMs,
      maxFrameBytes: cfg.maxFrameBytes,
      publicMetrics: cfg.publicMetrics,
      onTick: (r) => {
        metrics.observe(r);
        if (host) overflowLog.check(host.world.sim.world.overflowTicks, host.world.stream.tick);
      },
      metrics: () => metrics.text(),
      moreStats: () => (watch ? { cluster: watch.figures() } : {}),
      // a replicated world: nothing goes to a client before its tick is in JetStream (src/net/send-gate.ts)
      ...(leader ? { durableLog: leader.store, maxHeldBytes: cfg.replicateMaxHeldBytes } : {}),
      ...(promoted ? { adoptWorld: (o: WorldLoopOptions, so: StreamOptions) => (promoted as WorldFollower).promote(o, so) } : {}),
      beforeTicks: async (loop) => {
        if (leader && !promoted)
          await leader.checkHistory(loop).catch((e: Error) => {
            throw e instanceof LeaderError ? new ConfigError('replicate', `world ${cfg.replicateWorld}`, e.message) : e;
          });
        await leader?.startSnapshots(loop);
        if (cluster) {
          const o = {
            nats: cfg.cluster,
            world: cfg.clusterWorld,
            processes: cfg.clusterProcesses,
            standbys: cfg.clusterStandbys,
            joinTimeoutMs: cfg.clusterJoinTimeoutMs,
            nkeyFile: cfg.clusterNkey || undefined,
          };
          log.info({ ...o, tick: loop.stream.tick }, 'cluster: waiting for the shard processes to join');
          members = await MemberWatch.start(cfg.cluster, cfg.clusterWorld, undefined, cfg.clusterNkey || undefined).catch((e: Error) => {
            throw new ConfigError('cluster', cfg.cluster, `cannot reach NATS: ${e.message}`);
          });
          coordinator = await ClusterCoordinator.start(loop.sim.world, { ...o, log }).catch((e: Error) => {
            // processes that did not join, or refused their copy: what the operator does next
            if (!(e instanceof PhysicsError)) throw e;
            throw new ConfigError(
              'clusterProcesses',
              `world ${cfg.clusterWorld}`,
              `${e.message}; start them (tessera shard --nats ${cfg.cluster} --world ${cfg.clusterWorld} --id NAME${cfg.clusterNkey ? ' --nkey NAME.nk' : ''}) or raise clusterJoinTimeoutMs`,
            );
          });
          watch = new ClusterWatch(coordinator, cfg.clusterWorld, metrics.registry, members);
          await watch.start();
          log.info({ world: cfg.clusterWorld, processes: watch.figures().processes }, 'cluster: the shard processes joined');
        }
      },
      web: join(__dirname, '..', '..', 'web'),
      onShutdown: (reason) => {
        void stop(`admin: ${reason}`);
      },
      // a revoked token ends its sessions on the edge hosts too, at once (src/replica/edge.ts)
      onRevoked: (r) => leader?.publishRevoked(r),
    });
  } catch (e) {
    await closeCluster();
    await leader?.close(0);
    await data?.close(0);
    await sink.close();
    store.close();
    throw e;
  }
  started = true;
  leader?.serveEdges(host.edgePort()); // edge hosts' clients (src/replica/edge.ts)
  if (leader && !leader.stats().leader) void stop('deposed while starting');
  // a promoted replica's own store gets a snapshot now, so this node restarts from its own data
  if (promoted) await host.world.flush();
  metrics.attach(host, { security: securityLog, accounts });
  securityLog.start();
  retention.start();
  log.info(
    {
      port: host.port,
      host: cfg.host,
      data: file,
      scene: cfg.scene,
      shards: host.world.sim.world.shardCount,
      workers: cfg.workers,
      tick: host.world.stream.tick,
      ...(cluster ? { cluster: cfg.cluster, clusterWorld: cfg.clusterWorld } : {}),
      ...(leader ? { replicate: cfg.replicate, replicateWorld: cfg.replicateWorld } : {}),
    },
    'listening',
  );
  return { host, log, stop, stopped };
}

/**
 * Logs a physics capacity overflow (ShardedWorld.overflowTicks; the metric
 * tessera_physics_overflow_ticks_total counts every tick): a warning the first time each kind
 * happens, then at most once every `everyMs` while it goes on, with the ticks counted since the
 * last warning. Log lines a crowd can cause stay bounded.
 */
export class OverflowLog {
  private readonly logged: Record<string, number> = {};
  private lastAt = -Infinity;

  constructor(
    private readonly log: Pick<Logger, 'warn'>,
    private readonly everyMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Compares `counts` with what was last logged; warns when one grew and the last warning is old enough. */
  check(counts: Readonly<Record<string, number>>, tick: number): void {
    // called every tick: the usual answer (nothing grew) allocates nothing
    let grown = false;
    for (const kind in counts) if (counts[kind] > (this.logged[kind] ?? 0)) grown = true;
    if (!grown) return;
    const first = Object.entries(counts).some(([kind, n]) => n > 0 && (this.logged[kind] ?? 0) === 0);
    const t = this.now();
    if (!first && t - this.lastAt < this.everyMs) return;
    const since: Record<string, number> = {};
    for (const [kind, n] of Object.entries(counts)) {
      since[kind] = n - (this.logged[kind] ?? 0);
      this.logged[kind] = n;
    }
    this.lastAt = t;
    this.log.warn(
      { tick, overflowTicks: since, totals: { ...counts } },
      'physics capacity overflow: a shard dropped contacts, touch entries, events or scratch this tick (contacts: raise contactsPerBody)',
    );
  }
}
