/**
 * The host: one uWebSockets.js app serving the event streams to clients.
 *
 *   GET  /healthz                                   liveness + a few figures (JSON)
 *   POST /:stream/:privateId/:lastKnownTick         GoEventStream-compatible JSON endpoint
 *   WS   /ws                                        FlatBuffers ClientMessage / ServerMessage
 *
 * A WebSocket session: upgrade (Origin checked against the allow-list; a token may come in
 * `Authorization: Bearer <token>` or as the subprotocol `bearer.<token>` next to `tessera.v1`,
 * never in the URL) -> the first message must be `hello` within authTimeoutMs (its token is
 * used when the upgrade carried none) -> welcome + catch-up -> each tick: the stream's events
 * (one encode per stream) and, on the world stream, a snapshot/delta for the
 * client's interest (one encode per distinct view and base, see sim/interest.ts), both in one
 * corked write per client.
 *
 * Limits, all deliberate:
 *   maxPayloadLength   a larger client message gets TOO_LARGE and close 1009 (beyond 4x it,
 *                      uWS cuts the connection without a close frame)
 *   rate limits        token bucket per connection and message kind; excess is dropped with a
 *                      RATE_LIMITED error (at most one per second), a flood closes with 4029
 *   backpressure       over softBackpressure a client's deltas are skipped (the next one is
 *                      taken against its acknowledged tick, so nothing is lost); a client that
 *                      stays over it for slowConsumerMs, or goes over maxBackpressure, is
 *                      closed with 4008 SLOW_CONSUMER. uWS's own
 *                      limit is set above ours, so uWS never drops a message silently.
 *   malformed          a buffer that fails verification gets an error and close 4000
 *   silence            a closed or silent client's public id stays reserved; its `_d` comes
 *                      after the stream's silence timeout (GoEventStream), so a reconnect
 *                      within it resumes without a disconnect.
 */
import { TokenBucket } from 'limiter';
import { uws, type HttpResponse, type TemplatedApp, type WebSocket, type us_listen_socket } from './uws';
import { decodeClient, encodeServer } from '../protocol/codec';
import { ERROR, CLOSE, ProtocolError, errorBody, type ErrorCode } from '../protocol/errors';
import { PROTOCOL_VERSION, type ClientMessage, type Interest, type ServerMessage, type StreamEvent } from '../protocol/messages';
import { StreamHub, StreamError, type EventStream } from '../sim/stream';
import { WorldLoop, type StepResult, type WorldLoopOptions } from '../sim/world-loop';
import type { ClientView } from '../sim/interest';
import type { WorldSetup } from '../sim/main-sim';
import { AuthError, type AccountService } from '../persist/accounts';
import type { AvatarStore } from '../persist/store';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { ArtifactService } from '../persist/artifacts';
import type { AdminStore, ChatStore } from '../persist/store';
import { DEFAULT_TEMP_ADMIN_RULE, evaluateTempAdmin, type TempAdminRule } from '../social/temp-admin';
import { SocialSim, type SocialOutput } from '../social/social-sim';
import type { SecurityLog } from './security-log';

/** Who a token belongs to (accountId for accounts of the store; none for guests and custom authenticators). */
export interface Principal { account: string; guest: boolean; accountId?: number; /** 'player' (default), 'moderator' or 'admin'. */ role?: string }

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
};

/** What a host reports after each tick (HostOptions.onTick): the world step's result, the whole host tick `ms`, the world step `stepMs`, and each shard's own step time, all ms. */
export type TickFigures = StepResult & { stepMs: number; shardStepMs: number[] };

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
  /** Accept the token "guest". Default true. */
  guests?: boolean;
  /** Origins allowed to open /ws (browsers send Origin; clients without one are allowed). Default: any. */
  originAllowList?: string[];
  /** Largest client message, bytes. Default 16 KiB. */
  maxPayloadLength?: number;
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
  /** Dropped (rate-limited) messages after which a client is closed (4029). Default 1000. */
  floodLimit?: number;
  /** Most open WebSockets. Default 20,000. */
  maxClients?: number;
  /** Largest JSON endpoint request body, bytes. Default 64 KiB. */
  maxJsonBody?: number;
  /** Keep the world stream's inputs ('in') and avatar contacts ('_h') out of what WebSocket clients receive (see Host.visible). Default true. */
  foldInputs?: boolean;
  /** Called after every world tick (metrics, tests): `ms` is the whole host tick, `stepMs` the world step in it. */
  onTick?: (r: TickFigures) => void;
  /**
   * Directory of the built web pages (build/web: index.html = the viewer at /, dashboard.html at
   * /dashboard, assets/* at /assets/*), read once at start. Without it those routes are 404.
   */
  web?: string;
  /** Prometheus exposition for GET /metrics (src/net/metrics.ts). Without it /metrics is 404. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** Milliseconds clock (tests). Default Date.now. */
  clock?: () => number;
  /** Do not start the tick timer (tests drive `tickOnce`). Default false. */
  manualTicks?: boolean;
}

/** Per-connection state (uWS user data). */
interface Session {
  id: number;
  closed: boolean;
  principal: Principal | null;
  address: string;
  stream: EventStream | null;
  privateId: string;
  publicId: number;
  view: ClientView | null;
  /** The view follows the avatar until the client sets its own interest. */
  follow: boolean;
  buckets: Map<string, TokenBucket>;
  dropped: number;
  lastLimitError: number;
  /** Clock ms since which the client's buffer is over softBackpressure (0 = not behind). */
  behindSince: number;
  authTimer: NodeJS.Timeout | null;
  ws: WebSocket<Session> | null;
}

/** World-stream event types WebSocket clients do not receive when foldInputs is on (see Host.visible). */
const FOLDED = new Set(['in', '_h']);

/**
 * World-stream client events whose content is for some players only (chat, group and block
 * lists, object inputs, admin commands): they stay in the log, but no client receives them as
 * events, on the WebSocket or the JSON endpoint. Their outcomes reach the right players as
 * per-recipient messages (SocialOutput.outbox).
 */
const PRIVATE = new Set(['ch', 'cg', 'bk', 'ob', 'ad']);

/** Figures of the host, for /healthz, metrics and benchmarks. */
export interface HostStats {
  tick: number; clients: number; streams: number;
  ticks: number; tickMsP50: number; tickMsP99: number; tickMsMax: number;
  messagesIn: number; messagesOut: number; bytesOut: number;
  droppedSlow: number; droppedIdle: number; closedMalformed: number; rateLimited: number; skippedDeltas: number;
}

const dec = new TextDecoder('utf-8', { fatal: true });

/** The running host. Create with Host.start. */
export class Host {
  readonly hub: StreamHub;
  readonly world: WorldLoop;
  private app: TemplatedApp;
  private listen: us_listen_socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private tempAdminTimer: NodeJS.Timeout | null = null;
  private readonly sessions = new Set<Session>();
  private nextSession = 1;
  private stopping = false;
  private readonly o: Required<Omit<HostOptions, 'authenticate' | 'onTick' | 'world' | 'worldLoop' | 'originAllowList' | 'rateLimits' | 'accounts' | 'avatars' | 'artifacts' | 'records' | 'tempAdminRule' | 'tempAdminEveryMs' | 'securityLog' | 'onShutdown' | 'metrics' | 'web'>> & HostOptions;
  /** World step times of the last 2,000 ticks, ms. */
  private readonly stepTimes: number[] = [];


  /** The temporary admin last published ('_ta'), account id or 0. */
  private tempAdmin = 0;
  /** Account of each world-stream public id that joined with one (until its '_d'). */
  private readonly accountOf = new Map<number, number>();
  private readonly limits: typeof DEFAULT_RATE_LIMITS;
  private readonly tickTimes: number[] = [];
  /** Per shard: its step time (ms) in each of the last 2,000 ticks. */
  private readonly shardStepTimes: number[][] = [];
  private readonly stats = { ticks: 0, messagesIn: 0, messagesOut: 0, bytesOut: 0, droppedSlow: 0, droppedIdle: 0, closedMalformed: 0, rateLimited: 0, skippedDeltas: 0 };
  /** Port the host listens on. */
  port = 0;

  private constructor(opts: HostOptions) {
    this.o = {
      port: 9001, host: '127.0.0.1', tickRate: 20, worldStream: 'world', guests: true, maxPayloadLength: 16 * 1024,
      softBackpressure: 256 * 1024, maxBackpressure: 1024 * 1024, slowConsumerMs: 5000, authTimeoutMs: 3000, silenceMs: 10_000, floodLimit: 1000,
      maxClients: 20_000, maxJsonBody: 64 * 1024, clock: Date.now, manualTicks: false, foldInputs: true, ...opts,
    };
    this.limits = { ...DEFAULT_RATE_LIMITS, ...opts.rateLimits };
    const clock = this.o.clock;
    this.hub = new StreamHub({ clock: { now: clock }, silenceMs: this.o.silenceMs, tickRate: this.o.tickRate });
    const setup: WorldSetup = opts.world ?? {
      config: { capacity: 4096, tickRate: this.o.tickRate },
      scene: (w) => { w.addPlane({ normal: [0, 1, 0], offset: 0 }); },
    };
    if ((setup.config.tickRate ?? 60) !== this.o.tickRate) throw new RangeError(`world tickRate ${setup.config.tickRate} must equal the host tickRate ${this.o.tickRate}`);
    // in-memory log: 5 minutes at 20 Hz; with persistence 1 minute (older catch-up is by snapshot,
    // and the log itself is in SQLite): every input stays in this window, so it sets the memory
    // a busy world needs (500 players at 10 inputs/s: about 30 MB a minute)
    const loopOpts: WorldLoopOptions = { retainTicks: opts.worldLoop?.persist ? 1200 : 6000, ...opts.worldLoop };
    // level of detail: bodies beyond the 3 x 3 cells around a client's centre are updated at a
    // quarter of the tick rate (bench/results/<machine>/bots.md)
    loopOpts.interest = { farEvery: 4, nearCells: 1, ...loopOpts.interest };
    const arts = opts.artifacts;
    if (arts && loopOpts.persist) {
      const user = loopOpts.persist.onSnapshot;
      loopOpts.persist = { ...loopOpts.persist, onSnapshot: (l) => { arts.sync(l); user?.(l); } };
    }
    // with persistence, a restart continues from the newest snapshot and the log after it
    const restored = loopOpts.persist
      ? WorldLoop.restore(this.o.worldStream, setup, loopOpts.persist.store, loopOpts, { clock: { now: clock }, silenceMs: this.o.silenceMs, tickRate: this.o.tickRate })
      : null;
    this.world = restored ?? new WorldLoop(this.hub.stream(this.o.worldStream), setup, loopOpts);
    if (restored) this.hub.adopt(restored.stream);
    else arts?.restoreInto(this.world);
    // an admin's tick rate outlives restarts (it is world state); the stream and timer follow it
    this.o.tickRate = this.world.sim.social.tickRateSetting ?? this.o.tickRate;
    this.world.stream.tickRate = this.o.tickRate;
    this.tempAdmin = this.world.sim.social.tempAdminAccount;
    this.reevaluateTempAdmin();
    this.app = uws.App();
    this.routes();
  }

  /** Starts a host and listens. Throws Error when the port cannot be bound. */
  static async start(opts: HostOptions = {}): Promise<Host> {
    const h = new Host(opts);
    await new Promise<void>((resolve, reject) => {
      h.app.listen(h.o.host, h.o.port, (sock) => {
        if (!sock) { reject(new Error(`cannot listen on ${h.o.host}:${h.o.port}`)); return; }
        h.listen = sock;
        h.port = uws.us_socket_local_port(sock);
        resolve();
      });
    });
    if (!h.o.manualTicks) h.schedule(performance.now());
    const every = opts.tempAdminEveryMs ?? 60_000;
    if (h.o.accounts && every > 0) (h.tempAdminTimer = setInterval(() => { if (!h.stopping) h.reevaluateTempAdmin(); }, every)).unref();
    return h;
  }

  private schedule(due: number): void {
    const period = 1000 / this.o.tickRate;
    const next = due + period;
    this.timer = setTimeout(() => {
      if (this.stopping) return;
      this.tickOnce();
      const now = performance.now();
      this.schedule(now - next > 5 * period ? now : next);   // far behind: do not try to catch up in a burst
    }, Math.max(0, next - performance.now()));
  }

  // ---- ticks ----

  /** Runs one tick of every stream and sends its results. */
  tickOnce(): void {
    const t0 = performance.now();
    for (const s of this.sessions) if (s.stream && !s.closed) s.stream.heard(s.privateId);
    const r = this.world.step();
    for (const l of r.left) {
      const accountId = this.accountOf.get(l.publicId);
      if (accountId === undefined) continue;
      this.accountOf.delete(l.publicId);
      this.o.avatars?.saveAvatar({ accountId, position: l.position, savedMs: this.o.clock() });
    }
    const closed = new Map<EventStream, { tick: number; events: readonly StreamEvent[] }>([[this.world.stream, { tick: r.tick, events: this.visible(this.world.stream, r.events) }]]);
    for (const name of this.hub.list()) {
      if (name === this.o.worldStream) continue;
      const st = this.hub.get(name) as EventStream;
      closed.set(st, st.advance());
    }
    const direct = this.directMessages(r.tick, r.social, r.refused);
    this.sendTick(closed, direct);
    this.social(r.social);
    const ms = performance.now() - t0;
    keepLast(this.tickTimes, ms, 2000);
    keepLast(this.stepTimes, r.ms, 2000);
    const shardStepMs = this.world.sim.world.counts().map((c) => c.stepMs);
    shardStepMs.forEach((x, k) => { keepLast((this.shardStepTimes[k] ??= []), x, 2000); });
    this.stats.ticks++;
    this.o.onTick?.({ ...r, ms, stepMs: r.ms, shardStepMs });
  }

  /**
   * The events WebSocket clients of a stream receive: on the world stream, inputs ('in') and
   * avatar contacts ('_h') are folded into the state the client gets as deltas, so they are not
   * sent (every client receiving every other client's inputs grows as clients^2: at 1,000
   * clients they were 95 % of the bytes, bench/results/amd-epyc-2c/fanout.md); the log, the
   * JSON endpoint and other streams keep every event.
   */
  private visible(stream: EventStream, events: readonly StreamEvent[]): readonly StreamEvent[] {
    if (stream !== this.world.stream) return events;
    return events.filter((e) => !PRIVATE.has(e.type) && !(this.o.foldInputs && FOLDED.has(e.type)));
  }

  /**
   * Sends each client its tick: the stream's events (always: they cannot be re-derived) and, on
   * the world stream, its snapshot/delta (skipped while the client is behind). Both go out in one
   * corked write per client; the events message is encoded once per stream.
   */
  private sendTick(closed: Map<EventStream, { tick: number; events: readonly StreamEvent[] }>, direct: Map<number, Uint8Array[]> = new Map()): void {
    const w = this.world;
    const encoded = new Map<EventStream, Uint8Array>();
    for (const s of this.sessions) {
      if (s.closed || !s.ws || !s.stream) continue;
      const ws = s.ws;
      const buffered = ws.getBufferedAmount();
      if (buffered > this.o.maxBackpressure) {
        this.stats.droppedSlow++;
        this.o.securityLog?.event('slow_consumer', { code: CLOSE.SLOW_CONSUMER, address: s.address, publicId: s.publicId, detail: `buffered ${buffered} bytes` });
        this.close(s, CLOSE.SLOW_CONSUMER, 'slow consumer: the client did not read its messages');
        continue;
      }
      let behind = false;
      if (buffered > this.o.softBackpressure) {
        const now = this.o.clock();
        if (s.behindSince === 0) s.behindSince = now;
        if (now - s.behindSince >= this.o.slowConsumerMs) {
          this.stats.droppedSlow++;
          this.o.securityLog?.event('slow_consumer', { code: CLOSE.SLOW_CONSUMER, address: s.address, publicId: s.publicId, detail: `behind for ${this.o.slowConsumerMs} ms` });
          this.close(s, CLOSE.SLOW_CONSUMER, `slow consumer: behind for ${this.o.slowConsumerMs} ms`);
          continue;
        }
        behind = true;
      } else {
        s.behindSince = 0;
      }
      let events = encoded.get(s.stream);
      if (!events) {
        const c = closed.get(s.stream);
        if (!c) continue;
        events = encodeServer({ kind: 'events', tick: c.tick + 1, events: c.events as StreamEvent[] });
        encoded.set(s.stream, events);
      }
      let state: Uint8Array | null = null;
      if (s.view && s.stream === w.stream) {
        if (behind) {
          this.stats.skippedDeltas++;
        } else {
          if (s.follow) {
            const p = w.avatarPosition(s.publicId);
            if (p) w.interest.setInterest(s.view, p[0], p[2], s.view.cells);
          }
          state = w.interest.messageFor(s.view).bytes;
        }
      }
      const ev = events;
      const mine = s.stream === w.stream ? direct.get(s.publicId) : undefined;
      ws.cork(() => {
        this.send(s, ev);
        if (mine) for (const b of mine) this.send(s, b);
        if (state) this.send(s, state);
      });
    }
  }

  // ---- sending ----

  private send(s: Session, bytes: Uint8Array): void {
    if (s.closed || !s.ws) return;
    s.ws.send(bytes, true);
    this.stats.messagesOut++;
    this.stats.bytesOut += bytes.byteLength;
  }

  private sendMsg(s: Session, m: ServerMessage): void { this.send(s, encodeServer(m)); }

  private error(s: Session, code: ErrorCode, message: string): void { this.sendMsg(s, { kind: 'error', code, message }); }

  private close(s: Session, code: number, reason: string): void {
    if (s.closed || !s.ws) return;
    const ws = s.ws;
    s.closed = true;
    ws.end(code, reason.slice(0, 120));
  }

  // ---- routes ----

  private routes(): void {
    const o = this.o;
    this.app.get('/healthz', (res) => {
      sendJson(res, '200 OK', { ok: !this.stopping, ...this.figures() });
    });
    this.app.post('/auth/:action', (res, req) => this.authEndpoint(res, req.getParameter(0) ?? '', req.getHeader('authorization'), dec.decode(res.getRemoteAddressAsText())));
    const files = loadWeb(o.web);
    const serveFile = (name: string) => (res: HttpResponse): void => {
      const f = files.get(name);
      if (!f) { res.writeStatus('404 Not Found').end('not found'); return; }
      res.writeStatus('200 OK').writeHeader('content-type', f.type).writeHeader('cache-control', 'no-cache').end(f.body);
    };
    this.app.get('/', serveFile('index.html'));
    this.app.get('/dashboard', serveFile('dashboard.html'));
    this.app.get('/assets/:file', (res, req) => serveFile(`assets/${req.getParameter(0) ?? ''}`)(res));
    this.app.get('/stats', (res) => {
      const w = this.world.sim.world, mem = process.memoryUsage(), step = quantiles(this.stepTimes);
      const shards = w.counts().map((c, k) => { const q = quantiles(this.shardStepTimes[k] ?? []); return { ...c, stepMsP50: q.p50, stepMsP99: q.p99, stepMsMax: q.max }; });
      sendJson(res, '200 OK', { ...this.figures(), stepMsP50: step.p50, stepMsP99: step.p99, handoffs: w.handoffs, shards, rss: mem.rss, heapUsed: mem.heapUsed, atMs: Date.now() }, { 'cache-control': 'no-cache' });
    });
    this.app.get('/world', (res) => {
      const w = this.world.sim.world;
      sendJson(res, '200 OK', { stream: this.o.worldStream, tickRate: this.o.tickRate, partition: w.partition, shards: w.shardCount, cellSize: this.world.interest.cellSize });
    });
    this.app.get('/metrics', (res) => {
      let aborted = false;
      res.onAborted(() => { aborted = true; });
      const m = this.o.metrics;
      if (!m) { res.writeStatus('404 Not Found').end('no metrics on this host'); return; }
      m().then((x) => { if (!aborted) res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', x.contentType).end(x.body)); },
        (e: Error) => { if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').end(e.message)); });
    });
    this.app.get('/chat/history', (res, req) => this.chatHistory(res, req.getHeader('authorization'), req.getQuery('channel') ?? '', req.getQuery('before') ?? '', req.getQuery('limit') ?? ''));
    this.app.post('/:stream/:privateId/:lastKnownTick', (res, req) => this.jsonEndpoint(res, req.getParameter(0) ?? '', req.getParameter(1) ?? '', req.getParameter(2) ?? ''));
    this.app.ws<Session>('/ws', {
      compression: uws.DISABLED,
      // uWS cuts a connection without a close frame (1006) beyond its own limit; up to 4x ours
      // the message arrives and is refused with 1009 and an error the client can read.
      maxPayloadLength: o.maxPayloadLength * 4,
      // Above our own hard limit: uWS must never drop a message silently; we close first.
      maxBackpressure: o.maxBackpressure * 4,
      closeOnBackpressureLimit: 0,
      idleTimeout: Math.max(8, Math.ceil(o.silenceMs / 1000)),
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        const origin = req.getHeader('origin');
        const auth = req.getHeader('authorization');
        const protocols = req.getHeader('sec-websocket-protocol');
        const key = req.getHeader('sec-websocket-key'), ext = req.getHeader('sec-websocket-extensions');
        const reply = (status: string, code: ErrorCode, message: string): void => {
          sendJson(res, status, errorBody(code, message));
        };
        if (this.stopping) { reply('503 Service Unavailable', ERROR.SHUTTING_DOWN, 'the host is shutting down'); return; }
        if (origin && o.originAllowList && !o.originAllowList.includes(origin)) { reply('403 Forbidden', ERROR.BAD_ORIGIN, `origin ${origin} is not allowed`); return; }
        if (this.sessions.size >= o.maxClients) { reply('503 Service Unavailable', ERROR.FULL, 'the host is full'); return; }
        const offered = protocols.split(',').map((p) => p.trim()).filter(Boolean);
        let token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
        const bearer = offered.find((p) => p.startsWith('bearer.'));
        if (!token && bearer) token = bearer.slice(7);
        let principal: Principal | null = null;
        if (token) {
          principal = this.authenticate(token);
          if (!principal) { this.o.securityLog?.event('login_failed', { code: ERROR.UNAUTHENTICATED, address: dec.decode(res.getRemoteAddressAsText()), detail: 'token refused at upgrade' }); reply('401 Unauthorized', ERROR.UNAUTHENTICATED, 'the token is not valid'); return; }
        }
        const session: Session = {
          id: this.nextSession++, closed: false, principal, address: dec.decode(res.getRemoteAddressAsText()), stream: null, privateId: '', publicId: 0,
          view: null, follow: true, buckets: new Map(), dropped: 0, lastLimitError: 0, behindSince: 0, authTimer: null, ws: null,
        };
        const chosen = offered.includes('tessera.v1') ? 'tessera.v1' : '';
        res.cork(() => res.upgrade<Session>(session, key, chosen, ext, context));
      },
      open: (ws) => {
        const s = ws.getUserData();
        s.ws = ws;
        this.sessions.add(s);
        s.authTimer = setTimeout(() => {
          s.authTimer = null;
          if (!s.stream && !s.closed) { this.error(s, ERROR.AUTH_TIMEOUT, `send hello within ${o.authTimeoutMs} ms`); this.close(s, CLOSE.AUTH_TIMEOUT, 'no hello in time'); }
        }, o.authTimeoutMs);
      },
      message: (ws, message, isBinary) => this.onMessage(ws.getUserData(), message, isBinary),
      // Deltas resume on the next tick (against the client's acknowledged tick, so the skipped
      // ones cost nothing); a client that drained below the soft limit is no longer behind.
      drain: (ws) => {
        const s = ws.getUserData();
        if (!s.closed && ws.getBufferedAmount() <= o.softBackpressure) s.behindSince = 0;
      },
      close: (ws, code) => {
        const s = ws.getUserData();
        if (!s.closed) {
          // Not closed by us: the peer left, or uWS cut it (1006: idle timeout, i.e. no pong).
          if (code === 1006) this.stats.droppedIdle++;
        }
        s.closed = true;
        s.ws = null;
        if (s.authTimer) clearTimeout(s.authTimer);
        this.sessions.delete(s);
      },
    });
    this.app.any('/*', (res) => sendJson(res, '404 Not Found', errorBody(ERROR.NOT_FOUND, 'no such route')));
  }

  private authenticate(token: string): Principal | null {
    if (this.o.accounts) {
      const p = this.o.accounts.authenticate(token);
      return p ? { account: p.account, guest: p.guest, accountId: p.guest ? undefined : p.accountId, role: p.role } : null;
    }
    if (this.o.authenticate) return this.o.authenticate(token);
    return this.o.guests && token === 'guest' ? { account: 'guest', guest: true } : null;
  }

  private limited(s: Session, kind: ClientMessage['kind']): boolean {
    let b = s.buckets.get(kind);
    if (!b) {
      const l = this.limits[kind];
      b = new TokenBucket({ bucketSize: l.burst, tokensPerInterval: l.perSecond, interval: 'second' });
      b.content = l.burst;
      s.buckets.set(kind, b);
    }
    if (b.tryRemoveTokens(1)) return false;
    this.stats.rateLimited++;
    this.o.securityLog?.event('rate_limited', { code: ERROR.RATE_LIMITED, address: s.address, publicId: s.publicId, detail: kind });
    s.dropped++;
    if (s.dropped >= this.o.floodLimit) { this.error(s, ERROR.RATE_LIMITED, 'too many messages'); this.close(s, CLOSE.RATE_LIMITED, 'flood'); return true; }
    const now = this.o.clock();
    if (now - s.lastLimitError >= 1000) { s.lastLimitError = now; this.error(s, ERROR.RATE_LIMITED, `too many ${kind} messages: at most ${this.limits[kind].perSecond} per second`); }
    return true;
  }

  private onMessage(s: Session, data: ArrayBuffer, isBinary: boolean): void {
    if (s.closed) return;
    this.stats.messagesIn++;
    if (data.byteLength > this.o.maxPayloadLength) {
      this.error(s, ERROR.TOO_LARGE, `messages are at most ${this.o.maxPayloadLength} bytes, got ${data.byteLength}`);
      this.close(s, CLOSE.TOO_BIG, 'message too big');
      return;
    }
    if (!isBinary) { this.stats.closedMalformed++; this.o.securityLog?.event('malformed', { code: ERROR.BAD_MESSAGE, address: s.address, publicId: s.publicId, detail: 'text frame' }); this.error(s, ERROR.BAD_MESSAGE, 'messages are binary FlatBuffers (ClientMessage)'); this.close(s, CLOSE.BAD_MESSAGE, 'text frame'); return; }
    let m: ClientMessage;
    try {
      m = decodeClient(new Uint8Array(data));
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.stats.closedMalformed++;
      this.o.securityLog?.event('malformed', { code: e.code, address: s.address, publicId: s.publicId, detail: e.reason });
      this.error(s, e.code, e.message);
      this.close(s, CLOSE.BAD_MESSAGE, `malformed: ${e.reason}`);
      return;
    }
    if (!s.stream) {
      if (m.kind !== 'hello') { this.error(s, ERROR.UNAUTHENTICATED, 'the first message must be hello'); this.close(s, CLOSE.UNAUTHENTICATED, 'not authenticated'); return; }
      this.hello(s, m);
      return;
    }
    if (this.limited(s, m.kind)) return;
    try {
      this.handle(s, m);
    } catch (e) {
      if (e instanceof StreamError) { this.error(s, e.code, e.message); return; }
      throw e;
    }
  }

  private hello(s: Session, m: Extract<ClientMessage, { kind: 'hello' }>): void {
    if (m.version !== PROTOCOL_VERSION) { this.error(s, ERROR.BAD_VERSION, `this host speaks protocol ${PROTOCOL_VERSION}, the client ${m.version}`); this.close(s, CLOSE.BAD_VERSION, 'protocol version'); return; }
    if (!s.principal) {
      s.principal = m.token ? this.authenticate(m.token) : null;
      if (!s.principal) { this.o.securityLog?.event('login_failed', { code: ERROR.UNAUTHENTICATED, address: s.address, detail: 'token refused in hello' }); this.error(s, ERROR.UNAUTHENTICATED, 'hello carried no valid token'); this.close(s, CLOSE.UNAUTHENTICATED, 'bad token'); return; }
    }
    let stream: EventStream, joined: { publicId: number; connected: boolean };
    try {
      stream = this.hub.stream(m.stream);
      joined = stream.connect(m.privateId);
    } catch (e) {
      if (!(e instanceof StreamError)) throw e;
      this.error(s, e.code, e.message); this.close(s, CLOSE.POLICY, 'bad hello'); return;
    }
    if (s.authTimer) { clearTimeout(s.authTimer); s.authTimer = null; }
    s.stream = stream; s.privateId = m.privateId; s.publicId = joined.publicId;
    const accountId = s.principal.accountId;
    if (stream === this.world.stream) {
      const role = ['player', 'moderator', 'admin'].includes(s.principal.role ?? '') ? (s.principal.role as string) : 'player';
      stream.publishServer('_id', `${s.publicId},${accountId ?? 0},${role}`);
    }
    if (stream === this.world.stream && accountId !== undefined) {
      this.accountOf.set(s.publicId, accountId);
      const saved = joined.connected ? this.o.avatars?.loadAvatar(accountId) : null;
      if (saved) stream.publishServer('_p', [s.publicId, ...saved.position.map((v) => Math.round(v * 1000))].join(','));
    }
    const ws = s.ws as WebSocket<Session>;
    ws.cork(() => {
      this.sendMsg(s, { kind: 'welcome', version: PROTOCOL_VERSION, publicId: s.publicId, stream: stream.name, tick: stream.tick, tickRate: this.o.tickRate, seed: stream.seed });
      let c: ReturnType<EventStream['catchUp']>;
      try {
        c = stream.catchUp(Math.min(m.lastKnownTick ?? 0, stream.tick));
      } catch (e) {
        if (!(e instanceof StreamError)) throw e;
        this.error(s, e.code, e.message);
        c = { kind: 'events', tick: stream.tick, events: [], bytes: 0 };
      }
      const after = this.visible(stream, c.events);
      const events = c.kind === 'events' ? after : [{ tick: c.snapshot.tick, type: '_s', origin: 0, body: String(c.snapshot.payload) }, ...after];
      for (let i = 0; i < events.length || i === 0; i += 2048) this.sendMsg(s, { kind: 'events', tick: stream.tick, events: events.slice(i, i + 2048) });
    });
    if (stream === this.world.stream) {
      s.view = this.world.interest.createView(0, 0, 2);
      if (m.interest) {
        s.follow = false;
        this.setInterest(s.view, m.interest);
      }
    }
  }

  /** Points a view at a client's interest (centre raw Q47.16, x and z used; radius in cells). */
  private setInterest(view: ClientView, i: Interest): void {
    this.world.interest.setInterest(view, Number(i.center[0]) / 65536, Number(i.center[2]) / 65536, i.cells);
  }

  private handle(s: Session, m: ClientMessage): void {
    const st = s.stream as EventStream;
    switch (m.kind) {
      case 'hello': this.error(s, ERROR.UNEXPECTED, 'already joined'); return;
      case 'input': {
        const i = m.input;
        st.publish(s.privateId, 'in', `${i.walkX},${i.walkZ},${i.jump ? 1 : 0}`);
        return;
      }
      case 'publish': st.publish(s.privateId, m.type, m.body); return;
      case 'chat':
        if (st !== this.world.stream) { this.error(s, ERROR.NOT_ALLOWED, 'chat is served on the world stream'); return; }
        st.publish(s.privateId, 'ch', JSON.stringify({ c: m.channel, to: m.to, t: m.text }));
        return;
      case 'spawn': {
        const mm = (r: bigint): number => Math.round((Number(r) * 1000) / 65536);
        st.publish(s.privateId, 'sp', [...m.position, ...m.velocity].map(mm).join(','));
        return;
      }
      case 'ack': if (s.view) this.world.interest.acknowledge(s.view, m.tick); return;
      case 'interest':
        if (!s.view) { this.error(s, ERROR.UNEXPECTED, 'interest is served on the world stream only'); return; }
        s.follow = false;
        this.setInterest(s.view, m.interest);
        return;
      case 'ping': this.sendMsg(s, { kind: 'pong', nonce: m.nonce, tick: st.tick }); return;
      case 'ownership': {
        if (st !== this.world.stream) { this.error(s, ERROR.NOT_ALLOWED, 'ownership is served on the world stream'); return; }
        const action = ['request', 'release', 'grant', 'refuse', 'rule'][m.action];
        if (!action) { this.error(s, ERROR.BAD_VALUE, 'ownership action is 0-4 (request, release, grant, refuse, set rule); set the owner with publish "ow"'); return; }
        const body: Record<string, unknown> = { a: action, o: `${m.body.index}:${m.body.generation}` };
        if (action === 'rule') body.r = ['ask', 'deny', 'allow'][m.rule];
        if ((action === 'grant' || action === 'refuse') && m.target !== 0) body.p = m.target;
        st.publish(s.privateId, 'ow', JSON.stringify(body));
        return;
      }
      case 'admin':
        if (st !== this.world.stream) { this.error(s, ERROR.NOT_ALLOWED, 'admin commands are served on the world stream'); return; }
        st.publish(s.privateId, 'ad', JSON.stringify({ cmd: m.command, args: m.args }));
        return;
    }
  }

  // ---- the social layer's outputs ----

  /**
   * Per public id, the encoded messages the world tick addressed to it, in the order they were
   * decided: chat lines, admin results and errors (SocialOutput.outbox), refusals of its events,
   * and ownership changes of bodies in its interest. A message for many is encoded once.
   */
  private directMessages(tick: number, out: SocialOutput, refused: StepResult['refused']): Map<number, Uint8Array[]> {
    const direct = new Map<number, Uint8Array[]>();
    const put = (p: number, b: Uint8Array): void => { const l = direct.get(p); if (l) l.push(b); else direct.set(p, [b]); };
    for (const o of out.outbox) {
      const b = encodeServer(o.msg);
      for (const p of o.to) put(p, b);
    }
    for (const r of refused) if (r.event.origin > 0) put(r.event.origin, encodeServer({ kind: 'error', code: r.code, message: `${r.event.type} refused: ${r.message}` }));
    if (out.ownership.length) {
      const w = this.world;
      for (const c of out.ownership) {
        const row = w.rowOfSlot[Number(c.body & 0xffffffffn)];
        if (row === undefined || row < 0) continue;
        const x = w.table.px[row] / 1024, z = w.table.pz[row] / 1024;
        const b = encodeServer(SocialSim.ownershipMessage(c, tick + 1));
        for (const sess of this.sessions) if (sess.view && sess.stream === w.stream && !sess.closed && w.interest.covers(sess.view, x, z)) put(sess.publicId, b);
      }
    }
    return direct;
  }

  /** Writes chat lines and admin records, and carries out the admin effects decided in the tick. */
  private social(out: SocialOutput): void {
    const rec = this.o.records, now = this.o.clock();
    if (rec) {
      rec.appendChat(out.chat.map((l) => ({ channel: l.key, tick: l.tick, sender: l.from === 0 ? 0 : this.world.sim.social.principal(l.from), text: l.text })));
      rec.recordAdmin(out.audit.map((a) => ({ atMs: now, actor: a.actor, action: a.command, detail: JSON.stringify({ tick: a.tick, publicId: a.actorPublicId, args: a.args, ok: a.ok, message: a.message }) })));
    }
    for (const e of out.effects) {
      switch (e.kind) {
        case 'kick': this.o.securityLog?.event('kick', { code: CLOSE.KICKED, publicId: e.publicId, detail: e.reason }); this.remove(e.publicId, CLOSE.KICKED, ERROR.NOT_ALLOWED, `kicked: ${e.reason}`); break;
        case 'ban': {
          this.o.securityLog?.event('ban', { code: CLOSE.BANNED, accountId: e.accountId, detail: `${e.minutes} min: ${e.reason}` });
          const until = this.o.accounts?.ban(e.accountId, e.minutes, e.reason) ?? now + e.minutes * 60_000;
          for (const sess of [...this.sessions]) {
            if (sess.principal?.accountId === e.accountId) this.remove(sess.publicId, CLOSE.BANNED, ERROR.BANNED, `banned until ${new Date(until).toISOString()}: ${e.reason}`, sess);
          }
          break;
        }
        case 'role': this.o.accounts?.setRole(e.accountId, e.role); break;
        case 'tickRate': this.o.tickRate = e.value; for (const n of this.hub.list()) (this.hub.get(n) as EventStream).tickRate = e.value; break;
        case 'shutdown': void this.stop().then(() => this.o.onShutdown?.(e.reason)); break;
      }
    }
  }

  /** Closes a world-stream client (kick, ban) and disconnects it from the stream at once (its '_d' is in the next tick). */
  private remove(publicId: number, close: number, code: ErrorCode, message: string, only?: Session): void {
    for (const sess of [...this.sessions]) {
      if ((only && sess !== only) || sess.stream !== this.world.stream || sess.publicId !== publicId || sess.closed) continue;
      this.error(sess, code, message);
      this.world.stream.disconnect(sess.privateId);
      this.close(sess, close, message.slice(0, 100));
    }
  }

  /**
   * Re-evaluates the temporary-admin rule (seed 000; src/social/temp-admin.ts) and publishes
   * '_ta' into the world stream when its answer changed. Runs at start, after every login and every tempAdminEveryMs.
   */
  private reevaluateTempAdmin(): void {
    const acc = this.o.accounts;
    if (!acc) return;
    const list = acc.ruleAccounts();
    const since = list.reduce((m, a) => Math.min(m, a.createdMs), acc.clock());
    const id = evaluateTempAdmin(list, acc.clock(), since, this.o.tempAdminRule ?? DEFAULT_TEMP_ADMIN_RULE).accountId ?? 0;
    if (id !== this.tempAdmin) {
      this.tempAdmin = id;
      this.world.stream.publishServer('_ta', String(id));
    }
  }

  /**
   * GET /chat/history?channel=world|group:NAME|private:A:B&before=<id>&limit=<1..200> with
   * `Authorization: Bearer <token>` -> {lines: [{id, channel, tick, sender, text}], before: id of
   * the next page or null}, newest first. Private channels are readable by their two accounts
   * only. Errors: 401 UNAUTHENTICATED, 403 NOT_ALLOWED, 400 BAD_VALUE, 404 without records.
   */
  private chatHistory(res: HttpResponse, authorization: string, channel: string, before: string, limit: string): void {
    const reply = (status: string, body: unknown): void => sendJson(res, status, body);
    const fail = (status: string, code: ErrorCode, message: string): void => reply(status, errorBody(code, message));
    const rec = this.o.records;
    if (!rec) { fail('404 Not Found', ERROR.NOT_FOUND, 'this host keeps no chat history'); return; }
    const p = this.authenticate(authorization.startsWith('Bearer ') ? authorization.slice(7).trim() : '');
    if (!p) { fail('401 Unauthorized', ERROR.UNAUTHENTICATED, 'send Authorization: Bearer <token>'); return; }
    const priv = /^private:(-?\d+):(-?\d+)$/.exec(channel);
    if (!(channel === 'world' || /^group:[A-Za-z0-9_-]{1,32}$/.test(channel) || priv)) { fail('400 Bad Request', ERROR.BAD_VALUE, 'channel is world, group:NAME or private:A:B'); return; }
    if (priv && !(p.accountId !== undefined && (Number(priv[1]) === p.accountId || Number(priv[2]) === p.accountId))) { fail('403 Forbidden', ERROR.NOT_ALLOWED, 'a private channel is readable by its two players only'); return; }
    const n = limit === '' ? 50 : Number(limit), b = before === '' ? null : Number(before);
    if (!(Number.isInteger(n) && n >= 1 && n <= 200) || (b !== null && !Number.isInteger(b))) { fail('400 Bad Request', ERROR.BAD_VALUE, 'limit is 1..200, before an id from the previous page'); return; }
    const lines = rec.chatPage(channel, b, n);
    reply('200 OK', { lines, before: lines.length === n ? lines[lines.length - 1].id : null });
  }

  // ---- accounts ----

  /**
   * POST /auth/register {name, password} -> 201 {accountId}; /auth/login {name, password} ->
   * {token, expiresMs}; /auth/refresh and /auth/logout with `Authorization: Bearer <token>`.
   * Tokens travel in bodies and headers only, never in URLs. Errors: 400 BAD_VALUE, 401
   * INVALID_CREDENTIALS (the same for an unknown name and a wrong password), 409 TAKEN, 429
   * RATE_LIMITED with Retry-After, 404 without an account service.
   */
  private authEndpoint(res: HttpResponse, action: string, authorization: string, address: string): void {
    const accounts = this.o.accounts;
    readBody(res, 4096, errorBody(ERROR.TOO_LARGE, 'at most 4 KiB'), (raw, reply) => {
      if (!accounts) { reply('404 Not Found', errorBody(ERROR.NOT_FOUND, 'this host has no accounts (guest mode only)')); return; }
      const bearer = authorization.startsWith('Bearer ') ? authorization.slice(7).trim() : '';
      const fail = (e: unknown): void => {
        if (e instanceof AuthError && (e.code === ERROR.INVALID_CREDENTIALS || e.code === ERROR.RATE_LIMITED || e.code === ERROR.BANNED)) this.o.securityLog?.event(e.code === ERROR.RATE_LIMITED ? 'rate_limited' : 'login_failed', { code: e.code, address, detail: action });
        if (!(e instanceof AuthError)) { reply('500 Internal Server Error', errorBody(ERROR.INTERNAL, 'internal error')); return; }
        const status = { [ERROR.INVALID_CREDENTIALS]: '401 Unauthorized', [ERROR.RATE_LIMITED]: '429 Too Many Requests', [ERROR.BAD_VALUE]: '400 Bad Request', [ERROR.TAKEN]: '409 Conflict', [ERROR.BANNED]: '403 Forbidden' }[e.code];
        reply(status, errorBody(e.code, e.message), e.code === ERROR.RATE_LIMITED ? { 'retry-after': String(Math.ceil(e.retryAfterMs / 1000)) } : {});
      };
      let body: { name?: unknown; password?: unknown } = {};
      try {
        const text = raw.toString('utf8');
        body = text.trim() ? (JSON.parse(text) as typeof body) : {};
      } catch {
        reply('400 Bad Request', errorBody(ERROR.BAD_VALUE, 'the body is JSON: {"name": "...", "password": "..."}'));
        return;
      }
      const name = typeof body.name === 'string' ? body.name : '', password = typeof body.password === 'string' ? body.password : '';
      switch (action) {
        case 'register': accounts.register(name, password, address).then((a) => reply('201 Created', { accountId: a.id }), fail); return;
        case 'login': accounts.login(name, password, address).then((s) => { this.reevaluateTempAdmin(); reply('200 OK', { token: s.token, expiresMs: s.expiresMs, accountId: s.accountId }); }, fail); return;
        case 'refresh': try { reply('200 OK', accounts.refresh(bearer)); } catch (e) { fail(e); } return;
        case 'logout': {
          const ok = accounts.logout(bearer);
          reply(ok ? '200 OK' : '401 Unauthorized', ok ? { ok } : errorBody(ERROR.INVALID_CREDENTIALS, 'the session is not valid'));
          return;
        }
        default: reply('404 Not Found', errorBody(ERROR.NOT_FOUND, 'actions: register, login, refresh, logout'));
      }
    });
  }

  // ---- JSON endpoint (GoEventStream) ----

  private jsonEndpoint(res: HttpResponse, name: string, privateId: string, lastKnown: string): void {
    const tooLarge = errorBody(ERROR.TOO_LARGE, `request body over ${this.o.maxJsonBody} bytes`);
    readBody(res, this.o.maxJsonBody, tooLarge, (raw, reply) => {
      const fail = (status: string, code: ErrorCode, message: string): void => reply(status, errorBody(code, message));
      if (this.stopping) { fail('503 Service Unavailable', ERROR.SHUTTING_DOWN, 'the host is shutting down'); return; }
      if (!/^\d{1,10}$/.test(lastKnown)) { fail('400 Bad Request', ERROR.BAD_VALUE, 'lastKnownTick is a non-negative integer'); return; }
      let events: Array<{ type: string; body: string }>;
      try {
        const text = dec.decode(raw);
        events = parseJsonEvents(text.trim() === '' ? '{}' : text);
      } catch (e) {
        fail('400 Bad Request', ERROR.BAD_MESSAGE, `body: ${(e as Error).message}`); return;
      }
      try {
        const stream = this.hub.stream(name);
        const { publicId } = stream.connect(privateId);
        for (const e of events) stream.publish(privateId, e.type, e.body);
        const since = stream.since(Number(lastKnown));
        if (since.kind === 'trimmed') { fail('410 Gone', ERROR.NOT_FOUND, `events before tick ${since.firstTick} are no longer kept: rejoin with lastKnownTick >= ${since.firstTick}`); return; }
        const shown = stream === this.world.stream ? since.events.filter((e) => !PRIVATE.has(e.type)) : since.events;
        reply('200 OK', { publicId, tick: since.tick, events: shown.map(jsonEvent) });
      } catch (e) {
        if (e instanceof StreamError) { fail('400 Bad Request', e.code, e.message); return; }
        fail('500 Internal Server Error', ERROR.INTERNAL, 'internal error');
        throw e;
      }
    });
  }

  // ---- figures and shutdown ----

  private figures(): HostStats {
    const t = quantiles(this.tickTimes);
    return { tick: this.world.stream.tick, clients: this.clientCount, streams: this.hub.list().length, tickMsP50: t.p50, tickMsP99: t.p99, tickMsMax: t.max, ...this.stats };
  }

  /** Current figures (tick times over the last 2,000 ticks). */
  get statistics(): HostStats { return this.figures(); }

  /** Clients that completed hello. */
  get clientCount(): number {
    let n = 0;
    for (const s of this.sessions) if (s.stream) n++;
    return n;
  }

  /**
   * Graceful shutdown: stops accepting, tells every client (error SHUTTING_DOWN, close 1001),
   * stops the tick timer and the shard workers.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.tempAdminTimer) clearInterval(this.tempAdminTimer);
    if (this.listen) { uws.us_listen_socket_close(this.listen); this.listen = null; }
    if (this.o.worldLoop?.persist) await this.world.flush();   // artifacts sync through onSnapshot
    for (const [publicId, accountId] of this.accountOf) {
      const p = this.world.avatarPosition(publicId);
      if (p) this.o.avatars?.saveAvatar({ accountId, position: p, savedMs: this.o.clock() });
    }
    for (const s of [...this.sessions]) {
      if (s.closed || !s.ws) continue;
      this.error(s, ERROR.SHUTTING_DOWN, 'the host is shutting down');
      this.close(s, CLOSE.GOING_AWAY, 'shutting down');
    }
    await this.world.close();
  }
}

/** Writes a JSON response (status line, optional headers), unless the request was aborted. */
type Reply = (status: string, body: unknown, headers?: Record<string, string>) => void;

/** Writes a JSON response (status line, extra headers), corked. */
function sendJson(res: HttpResponse, status: string, body: unknown, headers: Record<string, string> = {}): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('content-type', 'application/json');
    for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
    res.end(JSON.stringify(body));
  });
}

/**
 * Reads an HTTP request body of at most `limit` bytes, uWS style: onAborted is registered first,
 * chunks are copied (uWS reuses their memory), and the response is corked. A larger body gets 413
 * with `tooLarge`; otherwise `done(body, reply)` runs once with the whole body.
 */
function readBody(res: HttpResponse, limit: number, tooLarge: unknown, done: (body: Buffer, reply: Reply) => void): void {
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  const reply: Reply = (status, body, headers = {}) => {
    if (aborted) return;
    sendJson(res, status, body, headers);
  };
  const chunks: Buffer[] = [];
  let size = 0;
  res.onData((chunk, last) => {
    if (aborted || size < 0) return;
    size += chunk.byteLength;
    if (size > limit) { size = -1; reply('413 Payload Too Large', tooLarge); return; }
    chunks.push(Buffer.from(chunk.slice(0)));
    if (last) done(Buffer.concat(chunks), reply);
  });
}

/** A stream event as the JSON endpoint shows it (origin '_' for the server, else the public id). */
export function jsonEvent(e: StreamEvent): { tick: number; type: string; origin: string | number; body: string } {
  return { tick: e.tick, type: e.type, origin: e.origin === 0 ? '_' : e.origin, body: e.body };
}

/**
 * Events a JSON client publishes: `{}` (none), `{"events": [{"type", "body"}...]}` or a bare
 * array of them. Throws Error with what is wrong.
 */
export function parseJsonEvents(text: string): Array<{ type: string; body: string }> {
  const v = JSON.parse(text) as unknown;
  const list = Array.isArray(v) ? v : v && typeof v === 'object' ? ((v as { events?: unknown }).events ?? []) : null;
  if (!Array.isArray(list)) throw new Error('expected {} or {"events": [{"type": "...", "body": "..."}]}');
  if (list.length > 256) throw new Error('at most 256 events per request');
  return list.map((e: unknown, i) => {
    if (!e || typeof e !== 'object') throw new Error(`event ${i} is not an object`);
    const { type, body } = e as { type?: unknown; body?: unknown };
    if (typeof type !== 'string') throw new Error(`event ${i}: type must be a string`);
    if (body !== undefined && typeof body !== 'string') throw new Error(`event ${i}: body must be a string`);
    return { type, body: body ?? '' };
  });
}

/** The files of a built web directory by route name (index.html, dashboard.html, assets/<file>), with their content types. */
function loadWeb(dir: string | undefined): Map<string, { type: string; body: Buffer }> {
  const out = new Map<string, { type: string; body: Buffer }>();
  if (!dir || !existsSync(dir)) return out;
  const type = (f: string): string => ({ '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json', '.png': 'image/png' })[extname(f)] ?? 'application/octet-stream';
  for (const f of ['index.html', 'dashboard.html']) if (existsSync(join(dir, f))) out.set(f, { type: type(f), body: readFileSync(join(dir, f)) });
  const assets = join(dir, 'assets');
  if (existsSync(assets)) for (const f of readdirSync(assets)) out.set(`assets/${f}`, { type: type(f), body: readFileSync(join(assets, f)) });
  return out;
}

/** Appends `x` to `xs`, keeping the newest `n`. */
function keepLast(xs: number[], x: number, n: number): void {
  xs.push(x);
  if (xs.length > n) xs.splice(0, xs.length - n);
}

/** Median, 99th percentile and maximum of `xs` (0 for none). */
function quantiles(xs: readonly number[]): { p50: number; p99: number; max: number } {
  const t = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => (t.length ? t[Math.min(t.length - 1, Math.floor(p * t.length))] : 0);
  return { p50: q(0.5), p99: q(0.99), max: t.length ? t[t.length - 1] : 0 };
}
