/**
 * The host's settings and figures: HostOptions (every field has a default, resolveOptions fills
 * them in), the principal a token stands for, the default rate limits, and HostStats (the figures
 * of /healthz, /stats and the metrics).
 */
import type { DurableLog } from './send-gate';
import type { EdgeLink, TokenRevocation } from './edge-port';
import type { ClientMessage } from '../protocol/messages';
import type { StepResult, WorldLoop, WorldLoopOptions } from '../sim/world-loop';
import type { WorldSetup } from '../sim/main-sim';
import type { StreamOptions } from '../sim/stream';
import type { AccountService } from '../persist/accounts';
import type { AvatarStore, AdminStore, ChatStore } from '../persist/store';
import type { ArtifactService } from '../persist/artifacts';
import type { TempAdminRule } from '../social/temp-admin';
import type { SecurityLog } from './security-log';

/** Who a token belongs to (accountId for accounts of the store; none for guests and custom authenticators). */
export interface Principal {
  account: string;
  guest: boolean;
  accountId?: number /** 'player' (default), 'moderator' or 'admin'. */;
  role?: string;
}

/** Message kinds that are rate limited, with their default budget (messages per second, burst). */
export const DEFAULT_RATE_LIMITS: Record<ClientMessage['kind'], { perSecond: number; burst: number }> = {
  hello: { perSecond: 1, burst: 2 },
  input: { perSecond: 40, burst: 60 },
  publish: { perSecond: 20, burst: 40 },
  chat: { perSecond: 2, burst: 5 },
  spawn: { perSecond: 2, burst: 4 },
  ownership: { perSecond: 5, burst: 10 },
  admin: { perSecond: 2, burst: 5 },
  ack: { perSecond: 60, burst: 120 },
  interest: { perSecond: 10, burst: 20 },
  ping: { perSecond: 5, burst: 10 },
  lagRaycast: { perSecond: 20, burst: 40 },
};

/** The object-script event kinds with a rate limit of their own (HostOptions.scriptRateLimits; issue 21). */
export type ScriptEventKind = 'sa' | 'sr' | 'sm';

/**
 * Per-connection token buckets of the object-script events published on the world stream:
 * 'sa' attach/replace/detach (each loads a sandbox, ~6 ms of the world's tick), 'sr' store read,
 * 'sm' chat to a script (one script call each). Events per second and burst; an event over its
 * bucket is dropped with SCRIPT_RATE_LIMITED (3006), besides the generic `publish` budget.
 */
export const DEFAULT_SCRIPT_RATE_LIMITS: Record<ScriptEventKind, { perSecond: number; burst: number }> = {
  sa: { perSecond: 1, burst: 3 },
  sr: { perSecond: 2, burst: 5 },
  sm: { perSecond: 5, burst: 10 },
};

/**
 * What a host reports after each tick (HostOptions.onTick): the world step's result, the whole host
 * tick `ms`, the world step `stepMs`, each shard's own step time, and the tick's time by phase in
 * TICK_PHASES order (`tickPhaseMs`: StepResult.phaseMs's three, the fan-out of every client's
 * messages (interest, encodes, direct messages, sends), and the rest, adding up to `ms`); all ms.
 */
export type TickFigures = StepResult & { stepMs: number; shardStepMs: number[]; tickPhaseMs: number[] };

/**
 * The phases of a host tick, in order (TickFigures.tickPhaseMs, metrics tessera_tick_phase_seconds,
 * /stats phaseMsMean): StepResult.phaseMs's apply, persist and index, the fan-out, and the rest.
 */
export const TICK_PHASES = ['apply', 'persist', 'index', 'fanout', 'other'] as const;

/** Host options (all have defaults). */
export interface HostOptions {
  /** TCP port; 0 picks a free one (see Host.port). Default 9001. */
  port?: number;
  /** Address to bind. Default '127.0.0.1'. */
  host?: string;
  /** Ticks per second of every stream. Default 20. */
  tickRate?: number;
  /** Name of the stream that runs the physics world. Default 'world'. */
  worldStream?: string;
  /** The world. Default: an empty ground plane. */
  world?: WorldSetup;
  /**
   * World loop options; the host keeps 6,000 ticks (5 min at 20 Hz) of the world log in memory by
   * default, 1,200 (1 min) with `persist`. With `persist`, the host starts from the store's newest
   * snapshot and log when it has one.
   */
  worldLoop?: WorldLoopOptions;
  /**
   * The world loop to run instead of a new or restored one: called once with the host's loop
   * options and stream options (a replica promoted to leader, src/replica/follower.ts promote).
   */
  adoptWorld?: (loop: WorldLoopOptions, stream: StreamOptions) => WorldLoop;
  /**
   * The replicated log (src/net/send-gate.ts): with it, every message to a WebSocket client waits
   * until the newest tick closed when it was sent is stored there, so no client sees (and no input
   * is acknowledged by) a tick a replica taking over would not have. None: messages go at once.
   */
  durableLog?: DurableLog;
  /**
   * Run as an edge host (src/replica/edge.ts): the world is a copy driven by the leader's log
   * (Host.applyLogged; no tick timer), and what changes the world (hello's join, inputs, chat,
   * ownership, admin, publish, spawn) goes to the leader through this link (edge-port.ts).
   */
  edge?: EdgeLink;
  /** Bytes of messages waiting for the durableLog, at most; beyond it the oldest waiting session is closed (CLOSE.FULL). Default 64 MiB. */
  maxHeldBytes?: number;
  /** Token -> principal, or null to refuse. Default: guest tokens ("guest") when guests are on. */
  authenticate?: (token: string) => Principal | null;
  /** Accounts and sessions (src/persist/accounts.ts): enables /auth/* and authenticates tokens (its own guest setting applies). */
  accounts?: AccountService;
  /** Where accounts' avatars are kept between sessions: placed where they left on join, saved when they leave ('_d') and at shutdown. */
  avatars?: AvatarStore;
  /**
   * Artifacts (src/persist/artifacts.ts): with persistence, their rows are synced from the world
   * after each snapshot and at shutdown, and a world started without a snapshot gets its placed
   * artifacts back.
   */
  artifacts?: ArtifactService;
  /** Chat history and admin records (src/persist/store.ts): chat lines and audited admin actions are written after each tick; GET /chat/history pages them. */
  records?: ChatStore & AdminStore;
  /** The temporary-admin rule's days (seed 000; needs `accounts`). Default 7 days absent, 3 days recent. */
  tempAdminRule?: TempAdminRule;
  /** Period of re-evaluating the temporary-admin rule besides start and logins, ms (needs `accounts`; 0: never). Default 60,000. */
  tempAdminEveryMs?: number;
  /** Security events (failed logins, limiter refusals, kicks, bans, malformed and slow-consumer closes) as sampled JSON lines (src/net/security-log.ts). Default none. */
  securityLog?: SecurityLog;
  /** Called when an admin's shutdown command has stopped the host (the process should exit). */
  onShutdown?: (reason: string) => void;
  /**
   * Called when this host revokes a token (logout, refresh, or its token check found it no
   * longer valid), before it ends its own sessions of it: serve publishes it to the edge hosts
   * (src/replica/edge.ts), which end theirs with the same close code. Not called on an edge host
   * or for the guest token. A throw is reported (onFault) and ignored.
   */
  onRevoked?: (r: TokenRevocation) => void;
  /** Accept the token "guest". Default true. */
  guests?: boolean;
  /** Origins allowed to open /ws (browsers send Origin; clients without one are allowed). Default: any. */
  originAllowList?: string[];
  /** Largest client message, bytes. Default 16 KiB. */
  maxPayloadLength?: number;
  /**
   * Largest WebSocket frame uWS accepts (its maxPayloadLength), bytes: a message over
   * maxPayloadLength but within this gets TOO_LARGE and close 1009; beyond it uWS cuts the
   * connection (1006, no close frame). uWS buffers a frame until it is complete, so this bounds
   * the memory one connection can pin. Default 1 MiB.
   */
  maxFrameBytes?: number;
  /** Buffered bytes beyond which deltas are skipped. Default 256 KiB. */
  softBackpressure?: number;
  /** Buffered bytes beyond which a client is dropped (4008). Default 1 MiB. */
  maxBackpressure?: number;
  /** Time a client may stay over softBackpressure before it is dropped (4008), ms. Default 5000. */
  slowConsumerMs?: number;
  /** Time for the first message (hello), ms. Default 3000. */
  authTimeoutMs?: number;
  /** Silence before `_d`, ms. Default 10,000. */
  silenceMs?: number;
  rateLimits?: Partial<typeof DEFAULT_RATE_LIMITS>;
  /** Rate limits of the object-script events 'sa', 'sr', 'sm' per connection (DEFAULT_SCRIPT_RATE_LIMITS); dropped with SCRIPT_RATE_LIMITED. */
  scriptRateLimits?: Partial<typeof DEFAULT_SCRIPT_RATE_LIMITS>;
  /** Dropped (rate-limited) messages after which a client is closed (4029). Default 1000. */
  floodLimit?: number;
  /** Most open WebSockets. Default 20,000. */
  maxClients?: number;
  /** Largest JSON endpoint request body, bytes. Default 64 KiB. */
  maxJsonBody?: number;
  /** Most events in one JSON endpoint reply (a page of catch-up; whole ticks, the first always whole). Default 2,000. */
  maxJsonEvents?: number;
  /** About the most bytes of events in one JSON endpoint reply (estimated as eventWireBytes). Default 256 KiB. */
  maxJsonReplyBytes?: number;
  /** About the most bytes of a side stream's WebSocket catch-up; beyond it the client is reset to the newest events that fit (catch-up.ts). Default 4 MiB. */
  maxCatchUpBytes?: number;
  /** Most streams on the host, the world included (admission.ts). Default 1,000. */
  maxStreams?: number;
  /** Most streams one principal created that are still alive (guests share one budget). Default 20. */
  maxStreamsPerPrincipal?: number;
  /** A side stream without connected clients for this long is forgotten, ms (admission.ts). Default 60,000. */
  idleStreamMs?: number;
  /** A client that left and was not heard from for this long is dropped from its stream's table, ms. Default 300,000. */
  forgetClientsMs?: number;
  /** Ticks of side-stream log kept in memory (older catch-up is a reset). Default 1,200 (1 min at 20 Hz). */
  streamRetainTicks?: number;
  /** WebSocket upgrades plus JSON joins admitted per second (more: 503 BUSY). Default 200. */
  maxJoinsPerSecond?: number;
  /** JSON endpoint guest sessions kept (least recently used dropped first). Default 10,000. */
  maxGuestSessions?: number;
  /** A JSON endpoint guest session unused for this long is forgotten, ms. Default 600,000. */
  guestSessionMs?: number;
  /** Keep the world stream's inputs ('in') and avatar contacts ('_h') out of what WebSocket clients receive (see fanout.ts visible). Default true. */
  foldInputs?: boolean;
  /**
   * (protocol 4) Most ticks after the open tick a ClientInput may be applied at (its tick, or the
   * tick of the client's previous input); beyond it the input is refused with INPUT_AHEAD (3005).
   * Default 20 (1 s at 20 Hz). The rule: src/net/inputs.ts, docs/protocol.md section 18.
   */
  maxInputLead?: number;
  /** (protocol 4) Most inputs a client may have waiting for their tick (INPUT_AHEAD beyond). Default 64. */
  maxPendingInputs?: number;
  /**
   * (protocol 4) Ticks of body poses kept for lag-compensated raycasts (src/net/lag.ts): a
   * ClientLagRaycast for a tick older than the last lagTicks states is refused with OUT_OF_WINDOW.
   * Memory: lagTicks x bodies x 56 bytes (HostStats.lagHistoryBytes). Default 32; 0 = off.
   */
  lagTicks?: number;
  /** Called after every world tick (metrics, tests): `ms` is the whole host tick, `stepMs` the world step in it. */
  onTick?: (r: TickFigures) => void;
  /**
   * Directory of the built web pages (build/web: index.html = the viewer at /, dashboard.html at
   * /dashboard, assets/* at /assets/*), read once at start. Without it those routes are 404.
   */
  web?: string;
  /** GET /metrics without a token. Default true; false: it needs a valid bearer token, even with guests on. */
  publicMetrics?: boolean;
  /** Prometheus exposition for GET /metrics (src/net/metrics.ts). Without it /metrics is 404. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** More figures merged into GET /stats (serve: `cluster`, the shard processes and their regions). */
  moreStats?: () => Record<string, unknown>;
  /**
   * Runs once the world is built or restored, before the host listens and ticks (serve attaches
   * a cluster coordinator here). A rejection makes Host.start reject.
   */
  beforeTicks?: (world: WorldLoop) => Promise<void>;
  /**
   * Called with every throw the host caught in a request handler, a WebSocket handler or a tick
   * (which was then answered 500 INTERNAL, closed with 1011, or skipped). Default: a JSON line
   * on stderr. Nothing from the network stops the process.
   */
  onFault?: (where: string, error: unknown) => void;
  /** Milliseconds clock (tests). Default Date.now. */
  clock?: () => number;
  /**
   * Period of re-checking the tokens open WebSocket sessions and JSON endpoint joins hold, ms
   * (Host.checkTokens: a token revoked by another process, e.g. `tessera accounts ban` on the same
   * SQLite file, or expired, ends its sessions; 0: never). Logout and refresh through this host
   * end them at once regardless. Default 5,000.
   */
  tokenCheckMs?: number;
  /** Most tokens re-checked per run of the token check (one indexed lookup each). Default 1,000. */
  tokenCheckBatch?: number;
  /** Do not start the tick timer (tests drive `tickOnce`). Default false. */
  manualTicks?: boolean;
}

/** Options without a default (they stay optional after resolveOptions). */
type Unset =
  | 'onFault'
  | 'authenticate'
  | 'onTick'
  | 'world'
  | 'worldLoop'
  | 'adoptWorld'
  | 'durableLog'
  | 'edge'
  | 'originAllowList'
  | 'rateLimits'
  | 'scriptRateLimits'
  | 'accounts'
  | 'avatars'
  | 'artifacts'
  | 'records'
  | 'tempAdminRule'
  | 'tempAdminEveryMs'
  | 'securityLog'
  | 'onShutdown'
  | 'onRevoked'
  | 'metrics'
  | 'moreStats'
  | 'beforeTicks'
  | 'web';

/** HostOptions with every default filled in. */
export type ResolvedOptions = Required<Omit<HostOptions, Unset>> & HostOptions;

/** `opts` over the defaults. */
export function resolveOptions(opts: HostOptions): ResolvedOptions {
  return {
    port: 9001,
    host: '127.0.0.1',
    tickRate: 20,
    worldStream: 'world',
    guests: true,
    publicMetrics: true,
    maxPayloadLength: 16 * 1024,
    maxFrameBytes: 1024 * 1024,
    maxHeldBytes: 64 * 1024 * 1024,
    softBackpressure: 256 * 1024,
    maxBackpressure: 1024 * 1024,
    slowConsumerMs: 5000,
    authTimeoutMs: 3000,
    silenceMs: 10_000,
    floodLimit: 1000,
    maxClients: 20_000,
    maxJsonBody: 64 * 1024,
    maxJsonEvents: 2000,
    maxJsonReplyBytes: 256 * 1024,
    maxCatchUpBytes: 4 * 1024 * 1024,
    maxStreams: 1000,
    maxStreamsPerPrincipal: 20,
    idleStreamMs: 60_000,
    forgetClientsMs: 300_000,
    streamRetainTicks: 1200,
    maxJoinsPerSecond: 200,
    maxGuestSessions: 10_000,
    tokenCheckMs: 5000,
    tokenCheckBatch: 1000,
    guestSessionMs: 600_000,
    clock: Date.now,
    manualTicks: false,
    foldInputs: true,
    maxInputLead: 20,
    maxPendingInputs: 64,
    lagTicks: 32,
    ...opts,
  };
}

/** Figures of the host, for /healthz, metrics and benchmarks. */
export interface HostStats {
  tick: number;
  clients: number;
  streams: number;
  ticks: number;
  tickMsP50: number;
  tickMsP99: number;
  tickMsMax: number;
  messagesIn: number;
  messagesOut: number;
  bytesOut: number;
  droppedSlow: number;
  droppedIdle: number;
  closedMalformed: number;
  rateLimited: number;
  skippedDeltas: number;
  /** (hello.quietTicks) Ticks sent as one ServerQuiet instead of an empty events message and an empty delta (fanout.ts). */
  quietTicks: number;
  /** Throws caught in handlers and ticks (HostOptions.onFault). */
  faults: number;
  /** Bounds (admission.ts): joins and stream creations refused, streams and clients forgotten, table sizes. */
  joinsRefused: number;
  streamsRefused: number;
  streamsForgotten: number;
  clientsForgotten: number;
  streamClients: number;
  sideLogEvents: number;
  /** JSON endpoint guest sessions alive. */
  guestSessions: number;
  /** (protocol 4, src/net/inputs.ts) Inputs applied at a later tick than the one open when read. */
  inputsDeferred: number;
  /** Inputs whose tick had closed when they were read (applied at the open tick). */
  inputsLate: number;
  /** Inputs ignored: a seq not above the client's last accepted one. */
  inputsStale: number;
  /** Inputs refused with INPUT_AHEAD for a tick beyond maxInputLead. */
  inputsAhead: number;
  /** Inputs refused with INPUT_AHEAD because maxPendingInputs of the client's inputs were waiting. */
  inputsQueueFull: number;
  /** (src/net/lag.ts) Lag-compensated raycasts answered, those refused OUT_OF_WINDOW, and the bytes of pose history held. */
  lagRaycasts: number;
  lagOutOfWindow: number;
  lagHistoryBytes: number;
}

/** The host's running counters (the part of HostStats that only grows). */
export type HostCounters = Pick<
  HostStats,
  | 'ticks'
  | 'messagesIn'
  | 'messagesOut'
  | 'bytesOut'
  | 'droppedSlow'
  | 'droppedIdle'
  | 'closedMalformed'
  | 'rateLimited'
  | 'skippedDeltas'
  | 'quietTicks'
  | 'faults'
  | 'inputsDeferred'
  | 'inputsLate'
  | 'inputsStale'
  | 'inputsAhead'
  | 'inputsQueueFull'
>;

/** Fresh counters, all 0. */
export function newCounters(): HostCounters {
  return {
    ticks: 0,
    messagesIn: 0,
    messagesOut: 0,
    bytesOut: 0,
    droppedSlow: 0,
    droppedIdle: 0,
    closedMalformed: 0,
    rateLimited: 0,
    skippedDeltas: 0,
    quietTicks: 0,
    faults: 0,
    inputsDeferred: 0,
    inputsLate: 0,
    inputsStale: 0,
    inputsAhead: 0,
    inputsQueueFull: 0,
  };
}
