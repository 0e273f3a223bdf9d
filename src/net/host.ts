/**
 * The host: one uWebSockets.js app serving the event streams to clients. This file holds the
 * app and its lifecycle (start, the tick loop, the social layer's effects, stop); the other
 * parts live beside it:
 *
 *   options.ts         HostOptions, Principal, DEFAULT_RATE_LIMITS, HostStats
 *   context.ts         HostContext: what the parts share
 *   sessions.ts        WS   /ws   upgrade, hello, rate limits, backpressure limits, messages
 *   fanout.ts          per tick: events, direct messages and snapshot/delta to each client
 *   json-endpoint.ts   POST /:stream/:privateId/:lastKnownTick   GoEventStream JSON endpoint
 *   auth-endpoint.ts   POST /auth/:action                        accounts
 *   chat-history.ts    GET  /chat/history                        stored chat pages
 *   web-endpoints.ts   GET  /healthz /stats /world /metrics / /dashboard /assets/*
 *   http.ts            JSON replies and bounded body reads
 *   token-watch.ts     which sessions hold which token (a revoked token ends them)
 */
import { uws, type TemplatedApp, type us_listen_socket } from './uws';
import { ERROR, CLOSE, errorBody, type ErrorCode } from '../protocol/errors';
import type { StreamEvent } from '../protocol/messages';
import { StreamHub, type EventStream, type StreamOptions } from '../sim/stream';
import { WorldLoop, type WorldLoopOptions } from '../sim/world-loop';
import { BUDGET_MAX, BUDGET_MIN, InterestPublisher } from '../sim/interest';

/** Bytes per second of a client's state messages by default (issue 22's target: 16 kB/s). */
export const DEFAULT_STATE_BYTES_PER_SECOND = 16000;

/** The default state budget per tick, bytes: DEFAULT_STATE_BYTES_PER_SECOND / tickRate, within BUDGET_MIN..BUDGET_MAX. */
export function defaultStateBudget(tickRate: number): number {
  return Math.max(BUDGET_MIN, Math.min(BUDGET_MAX, Math.floor(DEFAULT_STATE_BYTES_PER_SECOND / tickRate)));
}
import { refusedClient, type WorldSetup } from '../sim/main-sim';
import { DEFAULT_TEMP_ADMIN_RULE, evaluateTempAdmin } from '../social/temp-admin';
import type { SocialOutput } from '../social/social-sim';
import type { HostContext } from './context';
import { TICK_PHASES, newCounters, resolveOptions, type HostOptions, type HostStats, type Principal, type ResolvedOptions } from './options';
import { Sessions, type Session } from './sessions';
import { SendGate, type SendGateStats } from './send-gate';
import { TokenWatch } from './token-watch';
import { Admission } from './admission';
import { GuestSessions } from './guest-sessions';
import { directMessages, sendTick, visible } from './fanout';
import { addAvatarRecords } from './predict';
import { catchUpFor } from './catch-up';
import { guardedApp, logFault, readBody, sendJson, utf8, type Fault } from './http';
import { AUTH_BODY_LIMIT, authEndpoint } from './auth-endpoint';
import { tokenHash } from '../persist/accounts';
import { chatHistory } from './chat-history';
import { jsonEndpoint } from './json-endpoint';
import { keepLast, quantiles, webRoutes } from './web-endpoints';
import { TEMP_ADMIN } from '../sim/event-bodies';
import { LagHistory } from './lag';
import { openTick } from './inputs';
import { ackForwarded, EdgePort } from './edge-port';

export { DEFAULT_RATE_LIMITS } from './options';
export type { HostOptions, HostStats, Principal, TickFigures } from './options';
export { jsonEvent, parseJsonEvents } from './json-endpoint';

/** The running host. Create with Host.start. */
export class Host {
  readonly hub: StreamHub;
  /** The world (an edge host's copy is replaced by a resync: replaceWorld). */
  get world(): WorldLoop {
    return this.loop;
  }
  private loop: WorldLoop;
  /** The loop and stream options the world was made with (replaceWorld makes its successor with them). */
  private readonly loopOpts: WorldLoopOptions;
  private readonly streamOpts: StreamOptions;
  private app: TemplatedApp;
  private listen: us_listen_socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private tempAdminTimer: NodeJS.Timeout | null = null;
  private tokenTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly o: ResolvedOptions;
  /** What the parts (sessions, fan-out, endpoints) see of this host. */
  private readonly ctx: HostContext;
  private readonly sessions: Sessions;
  /** World step times of the last 2,000 ticks, ms. */
  private readonly stepTimes: number[] = [];
  /** The temporary admin last published ('_ta'), account id or 0. */
  private tempAdmin = 0;
  /** Account of each world-stream public id that joined with one (until its '_d'). */
  private readonly accountOf = new Map<number, number>();
  private readonly tickTimes: number[] = [];
  /** Per shard: its step time (ms) in each of the last 2,000 ticks. */
  private readonly shardStepTimes: number[][] = [];
  /** The last 2,000 ticks' time by phase (TICK_PHASES order: apply, persist, index, fanout, other), ms, for /stats. */
  private readonly phaseTimes: number[][] = TICK_PHASES.map(() => []);
  private readonly stats = newCounters();
  /** Port the host listens on. */
  port = 0;
  /** The leader's side of edge hosts (edgePort), once asked for. */
  private edges: EdgePort | null = null;

  /** Reports a caught throw (HostOptions.onFault, default a JSON line on stderr) and counts it. */
  private readonly fault: Fault = (where, error) => {
    this.stats.faults++;
    try {
      (this.o.onFault ?? logFault)(where, error);
    } catch {
      /* a failing logger must not stop the host either */
    }
  };

  private constructor(opts: HostOptions) {
    this.o = resolveOptions(opts);
    const clock = this.o.clock;
    this.hub = new StreamHub({ clock: { now: clock }, silenceMs: this.o.silenceMs, tickRate: this.o.tickRate });
    const setup: WorldSetup = opts.world ?? {
      config: { capacity: 4096, tickRate: this.o.tickRate },
      scene: (w) => {
        w.addPlane({ normal: [0, 1, 0], offset: 0 });
      },
    };
    if ((setup.config.tickRate ?? 60) !== this.o.tickRate)
      throw new RangeError(`world tickRate ${setup.config.tickRate} must equal the host tickRate ${this.o.tickRate}`);
    // in-memory log: 5 minutes at 20 Hz; with persistence 1 minute (older catch-up is by snapshot,
    // and the log itself is in SQLite): every input stays in this window, so it sets the memory
    // a busy world needs (500 players at 10 inputs/s: about 30 MB a minute)
    const loopOpts: WorldLoopOptions = (this.loopOpts = { retainTicks: opts.worldLoop?.persist ? 1200 : 6000, ...opts.worldLoop });
    // level of detail: bodies beyond the 3 x 3 cells around a client's centre are updated at a
    // quarter of the tick rate (bench/results/<machine>/bots.md)
    // A byte budget per tick cuts each client's state message by priority (near bodies first;
    // docs/protocol.md "Byte budget"): off unless set (worldLoop.interest.budget, serve
    // --state-bytes-per-second; Host.setStateBudget per client), because at 800 B a tick (16 kB/s
    // at 20 Hz) near bodies in a crowd wait for later ticks (bench/budget/run-budget.ts): the
    // smaller per-body encoding of issue 22 comes first
    loopOpts.interest = { farEvery: 4, nearCells: 1, baseEvery: 4, ...loopOpts.interest };
    const arts = opts.artifacts;
    if (arts && loopOpts.persist) {
      const user = loopOpts.persist.onSnapshot;
      loopOpts.persist = {
        ...loopOpts.persist,
        onSnapshot: (l) => {
          arts.sync(l);
          user?.(l);
        },
      };
    }
    // with persistence, a restart continues from the newest snapshot and the log after it
    const streamOpts: StreamOptions = { clock: { now: clock }, silenceMs: this.o.silenceMs, tickRate: this.o.tickRate };
    this.streamOpts = streamOpts;
    const restored = opts.adoptWorld
      ? opts.adoptWorld(loopOpts, streamOpts)
      : loopOpts.persist
        ? WorldLoop.restore(this.o.worldStream, setup, loopOpts.persist.store, loopOpts, streamOpts)
        : null;
    this.loop = restored ?? new WorldLoop(this.hub.stream(this.o.worldStream), setup, loopOpts);
    if (restored) this.hub.adopt(restored.stream);
    else arts?.restoreInto(this.world);
    // an admin's tick rate outlives restarts (it is world state); the stream and timer follow it
    this.o.tickRate = this.world.sim.social.tickRateSetting ?? this.o.tickRate;
    this.world.stream.tickRate = this.o.tickRate;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.ctx = {
      o: this.o,
      hub: this.hub,
      world: this.world,
      counters: this.stats,
      accountOf: this.accountOf,
      get stopping() {
        return self.stopping;
      },
      authenticate: (token) => this.authenticate(token),
      reevaluateTempAdmin: () => this.reevaluateTempAdmin(),
      figures: () => this.figures(),
      fault: this.fault,
      // set right below: the admission reads the context's options and world
      admission: undefined as unknown as Admission,
      guestSessions: new GuestSessions(this.o.guestSessionMs, this.o.maxGuestSessions),
      tokens: new TokenWatch<Session>(this.o.maxGuestSessions, this.o.silenceMs),
      revoked: (token, why) => this.revoked(token, why),
      lag: new LagHistory(this.o.lagTicks),
    };
    this.ctx.lag.record(this.world.table, this.world.stream.tick);
    (this.ctx as { admission: Admission }).admission = new Admission(this.ctx);
    this.sessions = new Sessions(this.ctx);
    if (opts.durableLog) {
      const sessions = this.sessions;
      sessions.gate = new SendGate<Session>(
        opts.durableLog,
        this.world.stream.tick - 1,
        this.o.maxHeldBytes,
        (s, b) => sessions.sendNow(s, b),
        (s) => sessions.close(s, CLOSE.FULL, "the world's log is not replicated right now: reconnect"),
      );
    }
    opts.edge?.bind(
      (s, code, message) => this.sessions.error(s, code, message),
      (s, reason) => this.sessions.close(s, CLOSE.GOING_AWAY, reason),
    );
    this.tempAdmin = this.world.sim.social.tempAdminAccount;
    this.reevaluateTempAdmin();
    this.app = uws.App();
    this.routes();
  }

  /** Starts a host (after HostOptions.beforeTicks) and listens. Throws Error when the port cannot be bound, or what beforeTicks threw. */
  static async start(opts: HostOptions = {}): Promise<Host> {
    const h = new Host(opts);
    if (opts.beforeTicks) {
      try {
        await opts.beforeTicks(h.world);
      } catch (e) {
        await h.world.close();
        throw e;
      }
    }
    await new Promise<void>((resolve, reject) => {
      h.app.listen(h.o.host, h.o.port, (sock) => {
        if (!sock) {
          reject(new Error(`cannot listen on ${h.o.host}:${h.o.port}`));
          return;
        }
        h.listen = sock;
        h.port = uws.us_socket_local_port(sock);
        resolve();
      });
    });
    if (!h.o.manualTicks && !opts.edge) h.schedule(performance.now());
    const every = opts.tempAdminEveryMs ?? 60_000;
    if (h.o.accounts && every > 0) {
      h.tempAdminTimer = setInterval(() => {
        try {
          if (!h.stopping) h.reevaluateTempAdmin();
        } catch (e) {
          h.fault('tempAdmin', e);
        }
      }, every);
      h.tempAdminTimer.unref();
    }
    if (h.o.tokenCheckMs > 0) {
      h.tokenTimer = setInterval(() => {
        try {
          if (!h.stopping) h.checkTokens();
        } catch (e) {
          h.fault('tokenCheck', e);
        }
      }, h.o.tokenCheckMs);
      h.tokenTimer.unref();
    }
    return h;
  }

  /**
   * Ends the tick timer for good, also when called inside a tick (no next tick is scheduled):
   * a graceful stop's last snapshot is then the world's last tick (serve's stop). Messages are
   * still served until stop().
   */
  stopTicks(): void {
    this.ticksStopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
  private ticksStopped = false;

  private schedule(due: number): void {
    const period = 1000 / this.o.tickRate;
    const next = due + period;
    this.timer = setTimeout(
      () => {
        if (this.stopping || this.ticksStopped) return;
        this.tickOnce();
        if (this.ticksStopped) return; // stopped inside the tick (stopTicks)
        const now = performance.now();
        this.schedule(now - next > 5 * period ? now : next); // far behind: do not try to catch up in a burst
      },
      Math.max(0, next - performance.now()),
    );
  }

  // ---- ticks ----

  /**
   * Runs one tick of every stream and sends its results. Never throws: a throw inside the tick
   * is reported (HostOptions.onFault, HostStats.faults) and the next tick runs as usual.
   */
  tickOnce(): void {
    try {
      this.tick();
    } catch (e) {
      this.fault('tick', e);
    }
  }

  /**
   * (Edge host, HostOptions.edge) Applies the leader's logged tick `tick` (its events and the
   * private ids of its joins) to this host's copy and sends it to the clients, as a tick of a
   * leader would be sent. Returns the copy's hash after the tick (the caller compares it with the
   * logged one; 0n when the tick failed before the world stepped, e.g. `tick` is not the copy's
   * next tick: the throw is reported as tickOnce's). Throws Error when this host is not an edge host.
   */
  applyLogged(tick: number, events: readonly StreamEvent[], ids: ReadonlyArray<[string, number]>): bigint {
    if (!this.o.edge) throw new Error('applyLogged: this host is not an edge host');
    let hash = 0n;
    try {
      this.tick((): ReturnType<WorldLoop['step']> => {
        const r = this.world.applyLogged(tick, events, ids);
        hash = r.hash;
        return r;
      });
    } catch (e) {
      // as tickOnce: reported, never thrown into the log feed (a tick that failed before the world
      // stepped returns 0n, which the caller sees as a mismatch)
      this.fault('tick', e);
    }
    return hash;
  }

  /**
   * (Edge host) Replaces the copy by a rebuilt one (a resync after a hash mismatch,
   * src/replica/edge.ts): `adopt` makes it with this host's loop and stream options
   * (WorldFollower.promote). The sessions stay open: each client of the world stream is moved to
   * the new stream, gets the events of the ticks from `knownTick` on (the old copy's open tick:
   * its clients hold every event before it; catch-up.ts, as a hello with lastKnownTick =
   * knownTick would) and a new view with the old one's interest, budget and encoding, so its
   * next state message is a full snapshot of the new copy; geometry is sent again. Returns the old world; the caller closes it. Throws Error when this host is
   * not an edge host, or what `adopt` throws (the old world then stays).
   */
  replaceWorld(adopt: (loop: WorldLoopOptions, stream: StreamOptions) => WorldLoop, knownTick: number): WorldLoop {
    if (!this.o.edge) throw new Error('replaceWorld: this host is not an edge host');
    const old = this.loop;
    const loop = adopt(this.loopOpts, this.streamOpts);
    this.hub.delete(old.stream.name);
    this.hub.adopt(loop.stream);
    this.loop = loop;
    (this.ctx as { world: WorldLoop }).world = loop;
    const lag = new LagHistory(this.o.lagTicks);
    lag.record(loop.table, loop.stream.tick);
    (this.ctx as { lag: LagHistory }).lag = lag;
    this.setTickRate(loop.sim.social.tickRateSetting ?? this.o.tickRate);
    const events = catchUpFor(this.ctx, loop.stream, Math.min(knownTick, loop.stream.tick), this.o.maxCatchUpBytes).events;
    const cell = loop.interest.cellSize;
    for (const s of this.sessions.all) {
      if (s.closed || s.stream !== old.stream) continue;
      s.stream = loop.stream;
      s.geometrySent.clear();
      s.geometryQueue.length = 0;
      if (s.view) {
        const v = loop.interest.createView(0, 0, 2);
        v.packed = s.view.packed;
        loop.interest.setInterest(v, (s.view.cx + 0.5) * cell, (s.view.cz + 0.5) * cell, s.view.cells);
        if (s.view.budget !== v.budget) loop.interest.setBudget(v, s.view.budget);
        s.view = v;
      }
      if (!s.ws) continue;
      const ws = s.ws;
      try {
        ws.cork(() => {
          for (let i = 0; i < events.length; i += 2048) this.sessions.sendMsg(s, { kind: 'events', tick: loop.stream.tick, events: events.slice(i, i + 2048) });
        });
      } catch (e) {
        this.fault('replaceWorld', e); // (a socket closing now: its close handler removes the session)
      }
    }
    return old;
  }

  /** The leader's side of edge hosts (edge-port.ts): created on first use; swept every tick from then on. */
  edgePort(): EdgePort {
    this.edges ??= new EdgePort(this.ctx, this.sessions);
    return this.edges;
  }

  private tick(logged?: () => ReturnType<WorldLoop['step']>): void {
    const t0 = performance.now();
    this.edges?.sweep();
    this.sessions.heardAll();
    const r = logged ? logged() : this.world.step();
    this.sessions.gate?.closed(r.tick);
    // protocol 4: the state of the new open tick joins the lag history; inputs published into the
    // tick just closed become acknowledged, and the inputs meant for the new open tick go into it
    this.ctx.lag.record(this.world.table, this.world.stream.tick);
    for (const s of this.sessions.all)
      if (s.stream === this.world.stream && !s.closed) {
        if (this.o.edge) ackForwarded(s.inputs, r.tick);
        else openTick(s.inputs, s.stream, s.privateId, r.tick);
      }
    for (const l of r.left) {
      const accountId = this.accountOf.get(l.publicId);
      if (accountId === undefined) continue;
      this.accountOf.delete(l.publicId);
      this.o.avatars?.saveAvatar({ accountId, position: l.position, savedMs: this.o.clock() });
    }
    // a join the world refused (FULL: no body slot for the avatar): its client is told and closed,
    // and leaves at once (else it stayed connected without an avatar, its inputs refused every tick)
    for (const x of r.refused) {
      const p = x.event.type === '_c' && x.event.origin === 0 ? refusedClient(x) : 0;
      if (p === 0) continue;
      const full = x.code === ERROR.FULL;
      this.sessions.remove(p, full ? CLOSE.FULL : CLOSE.POLICY, x.code, full ? 'the world is full' : `join refused: ${x.message}`);
    }
    const closed = new Map<EventStream, { tick: number; events: readonly StreamEvent[] }>([
      [this.world.stream, { tick: r.tick, events: visible(this.ctx, this.world.stream, r.events) }],
    ]);
    for (const name of this.hub.list()) {
      if (name === this.o.worldStream) continue;
      const st = this.hub.get(name) as EventStream;
      closed.set(st, st.advance());
    }
    this.ctx.admission.sweep(this.sessions.streams());
    const tFanout = performance.now();
    const direct = directMessages(this.ctx, this.sessions, r.tick, r.social, r.refused);
    addAvatarRecords(this.ctx, this.sessions, direct);
    sendTick(this.ctx, this.sessions, closed, direct);
    const fanoutMs = performance.now() - tFanout;
    this.social(r.social);
    const ms = performance.now() - t0;
    keepLast(this.tickTimes, ms, 2000);
    keepLast(this.stepTimes, r.ms, 2000);
    const shardStepMs = this.world.sim.world.stepMs();
    shardStepMs.forEach((x, k) => {
      keepLast((this.shardStepTimes[k] ??= []), x, 2000);
    });
    const ph = r.phaseMs;
    const phaseMs = [ph.apply, ph.persist, ph.index, fanoutMs, Math.max(0, ms - ph.apply - ph.persist - ph.index - fanoutMs)];
    for (let k = 0; k < phaseMs.length; k++) keepLast(this.phaseTimes[k], phaseMs[k], 2000);
    this.stats.ticks++;
    this.o.onTick?.({ ...r, ms, stepMs: r.ms, shardStepMs, tickPhaseMs: phaseMs });
  }

  // ---- routes ----

  private routes(): void {
    // every handler goes through `guarded`: a throw is reported and answered 500, never thrown into uWS
    const f = this.fault;
    const app = guardedApp(this.app, f);
    webRoutes(this.ctx, app, { world: this.stepTimes, shards: this.shardStepTimes, phases: this.phaseTimes });
    const edge = this.o.edge;
    if (edge)
      // an edge host's accounts are a read-only copy: the leader answers (edge-port.ts EdgeLink.auth)
      app.post('/auth/:action', (res, req) => {
        const action = req.getParameter(0) ?? '',
          authorization = req.getHeader('authorization'),
          address = utf8.decode(res.getRemoteAddressAsText());
        readBody(
          res,
          AUTH_BODY_LIMIT,
          errorBody(ERROR.TOO_LARGE, 'at most 4 KiB'),
          (raw, reply) => {
            edge.auth(action, authorization, address, raw).then((a) => reply(a.status, a.body, a.headers));
          },
          f,
        );
      });
    else
      app.post('/auth/:action', (res, req) =>
        authEndpoint(this.ctx, res, req.getParameter(0) ?? '', req.getHeader('authorization'), utf8.decode(res.getRemoteAddressAsText())),
      );
    app.get('/chat/history', (res, req) =>
      chatHistory(this.ctx, res, req.getHeader('authorization'), req.getQuery('channel') ?? '', req.getQuery('before') ?? '', req.getQuery('limit') ?? ''),
    );
    // an edge host's copy takes nothing but the leader's log: the JSON endpoint's events would be lost
    if (this.o.edge)
      app.post('/:stream/:privateId/:lastKnownTick', (res) =>
        sendJson(res, '503 Service Unavailable', errorBody(ERROR.NOT_ALLOWED, 'an edge host serves WebSocket clients only: post to the leader')),
      );
    else
      app.post('/:stream/:privateId/:lastKnownTick', (res, req) =>
        jsonEndpoint(this.ctx, res, req.getParameter(0) ?? '', req.getParameter(1) ?? '', req.getParameter(2) ?? '', req.getHeader('authorization')),
      );
    this.app.ws('/ws', this.sessions.behavior()); // sessions.ts guards its own handlers
    app.any('/*', (res) => sendJson(res, '404 Not Found', errorBody(ERROR.NOT_FOUND, 'no such route')));
  }

  private authenticate(token: string): Principal | null {
    if (this.o.accounts) {
      const p = this.o.accounts.authenticate(token);
      return p ? { account: p.account, guest: p.guest, accountId: p.guest ? undefined : p.accountId, role: p.role } : null;
    }
    if (this.o.authenticate) return this.o.authenticate(token);
    return this.o.guests && token === 'guest' ? { account: 'guest', guest: true } : null;
  }

  // ---- revoked tokens ----

  /** A token revoked through this host (/auth/logout, /auth/refresh): see HostContext.revoked. */
  private revoked(token: string, why: 'logout' | 'refresh'): number {
    return why === 'logout'
      ? this.endToken(token, CLOSE.REVOKED, ERROR.UNAUTHENTICATED, 'the session was logged out', true)
      : this.endToken(token, CLOSE.REVOKED, ERROR.UNAUTHENTICATED, 'the token was refreshed: connect again with the new token', false);
  }

  /**
   * Re-checks a batch of the tokens open sessions hold (at most HostOptions.tokenCheckBatch,
   * in turn, so every held token is checked within size/batch runs) against the accounts (or
   * the custom authenticator): a token no longer valid (logged out or revoked by another process
   * such as `tessera accounts ban`, or expired) ends its sessions: error UNAUTHENTICATED and close
   * 4014 REVOKED, or for a banned account error BANNED and close 4012; its clients are
   * disconnected at once. Runs every tokenCheckMs; tests call it directly. Returns the sockets closed.
   */
  checkTokens(): number {
    let n = 0;
    for (const token of this.ctx.tokens.next(this.o.tokenCheckBatch, this.o.clock())) {
      if (this.authenticate(token)) continue;
      const held = [...(this.ctx.tokens.peek(token)?.sockets ?? [])];
      const account = held.find((s) => s.principal && !s.principal.guest)?.principal?.account;
      const until = account ? (this.o.accounts?.find(account)?.bannedUntilMs ?? null) : null;
      n +=
        until && until > this.o.clock()
          ? this.endToken(token, CLOSE.BANNED, ERROR.BANNED, `banned until ${new Date(until).toISOString()}`, true)
          : this.endToken(token, CLOSE.REVOKED, ERROR.UNAUTHENTICATED, 'the token is no longer valid (logged out, revoked or expired): log in again', true);
    }
    return n;
  }

  /** Ends what holds `token`: an error and a close on each socket; with `disconnect`, its clients leave their streams at once ('_d' next tick). */
  private endToken(token: string, close: number, code: ErrorCode, message: string, disconnect: boolean): number {
    // the edge hosts end their sessions of this token too (serve publishes it: src/replica/edge.ts)
    if (!this.o.edge && token !== 'guest') {
      try {
        this.o.onRevoked?.({ token, close, code, message, disconnect });
      } catch (e) {
        this.fault('onRevoked', e);
      }
    }
    const held = this.ctx.tokens.take(token);
    if (!held) return 0;
    let n = 0;
    for (const s of held.sockets) {
      if (s.closed) continue;
      if (!s.ws) {
        // a client of an edge host (edge-port.ts): the edge closes its socket; here it leaves
        if (!this.o.edge) {
          if (disconnect && s.stream?.publicIdOf(s.privateId) !== undefined) s.stream.disconnect(s.privateId);
          this.edges?.revoke(s);
        }
        continue;
      }
      this.o.securityLog?.event('revoked', { code: close, address: s.address, account: s.principal?.account, publicId: s.publicId, detail: message });
      this.sessions.error(s, code, message);
      // (an edge host's copy takes nothing but the leader's log: the leader disconnects the client)
      if (disconnect && !this.o.edge && s.stream?.publicIdOf(s.privateId) !== undefined) s.stream.disconnect(s.privateId);
      this.sessions.close(s, close, message);
      n++;
    }
    if (disconnect && !this.o.edge) {
      for (const k of held.json.keys()) {
        const i = k.indexOf('\n'),
          st = this.hub.get(k.slice(0, i)),
          key = k.slice(i + 1);
        if (st?.publicIdOf(key) !== undefined) st.disconnect(key);
      }
    }
    return n;
  }

  /** Digests (accounts.ts tokenHash, hex) of the tokens this edge host's sessions hold, per session. */
  private readonly digests = new WeakMap<Session, string>();

  /**
   * (Edge host) The leader revoked the token whose SHA-256 (accounts.ts tokenHash, hex) is
   * `digest` (src/replica/edge.ts delivers it): every socket of this host holding it gets error
   * `code` with `message` and is closed with `close`, as the leader ends its own (endToken). The
   * copy is not touched: the leader disconnects the client in the world, and the log brings its
   * '_d'. Returns the sockets closed. Throws Error when this host is not an edge host.
   */
  endRevoked(digest: string, close: number, code: ErrorCode, message: string): number {
    if (!this.o.edge) throw new Error('endRevoked: this host is not an edge host');
    const tokens = new Set<string>();
    for (const s of this.sessions.all) {
      if (s.closed || !s.ws || !s.token) continue;
      let d = this.digests.get(s);
      if (d === undefined) {
        d = tokenHash(s.token).toString('hex');
        this.digests.set(s, d);
      }
      if (d === digest) tokens.add(s.token);
    }
    let n = 0;
    for (const t of tokens) n += this.endToken(t, close, code, message, false);
    return n;
  }

  /** Sets the tick rate an admin chose (Hz): the streams, the tick timer, welcomes and /world follow it. */
  private setTickRate(hz: number): void {
    this.o.tickRate = hz;
    for (const n of this.hub.list()) (this.hub.get(n) as EventStream).tickRate = hz;
  }

  // ---- the social layer's outputs ----

  /** Writes chat lines and admin records, and carries out the admin effects decided in the tick. */
  private social(out: SocialOutput): void {
    if (this.o.edge) {
      // an edge host's copy: the leader writes the records and carries out the effects; the edge
      // only closes its own clients that were kicked or banned
      for (const e of out.effects) {
        if (e.kind === 'kick') this.sessions.remove(e.publicId, CLOSE.KICKED, ERROR.NOT_ALLOWED, `kicked: ${e.reason}`);
        else if (e.kind === 'ban') {
          for (const sess of [...this.sessions.all])
            if (sess.principal?.accountId === e.accountId) this.sessions.remove(sess.publicId, CLOSE.BANNED, ERROR.BANNED, `banned: ${e.reason}`, sess);
        }
        // at the same tick as on the leader (the same social layer): welcomes and /world give the new rate
        else if (e.kind === 'tickRate') this.setTickRate(e.value);
      }
      return;
    }
    const rec = this.o.records,
      now = this.o.clock();
    if (rec) {
      rec.appendChat(out.chat.map((l) => ({ channel: l.key, tick: l.tick, sender: l.from === 0 ? 0 : this.world.sim.social.principal(l.from), text: l.text })));
      rec.recordAdmin(
        out.audit.map((a) => ({
          atMs: now,
          actor: a.actor,
          action: a.command,
          detail: JSON.stringify({ tick: a.tick, publicId: a.actorPublicId, args: a.args, ok: a.ok, message: a.message }),
        })),
      );
    }
    for (const e of out.effects) {
      switch (e.kind) {
        case 'kick':
          this.o.securityLog?.event('kick', { code: CLOSE.KICKED, publicId: e.publicId, detail: e.reason });
          this.sessions.remove(e.publicId, CLOSE.KICKED, ERROR.NOT_ALLOWED, `kicked: ${e.reason}`);
          break;
        case 'ban': {
          this.o.securityLog?.event('ban', { code: CLOSE.BANNED, accountId: e.accountId, detail: `${e.minutes} min: ${e.reason}` });
          const until = this.o.accounts?.ban(e.accountId, e.minutes, e.reason) ?? now + e.minutes * 60_000;
          for (const sess of [...this.sessions.all]) {
            if (sess.principal?.accountId === e.accountId)
              this.sessions.remove(sess.publicId, CLOSE.BANNED, ERROR.BANNED, `banned until ${new Date(until).toISOString()}: ${e.reason}`, sess);
          }
          break;
        }
        case 'role':
          this.o.accounts?.setRole(e.accountId, e.role);
          break;
        case 'tickRate':
          this.setTickRate(e.value);
          break;
        case 'shutdown':
          this.stop()
            .then(() => this.o.onShutdown?.(e.reason))
            .catch((err: unknown) => this.fault('shutdown', err));
          break;
      }
    }
  }

  /**
   * Re-evaluates the temporary-admin rule (seed 000; src/social/temp-admin.ts) and publishes
   * '_ta' into the world stream when its answer changed. Runs at start, after every login and every tempAdminEveryMs.
   */
  private reevaluateTempAdmin(): void {
    const acc = this.o.accounts;
    if (!acc || this.o.edge) return;
    const list = acc.ruleAccounts();
    const since = list.reduce((m, a) => Math.min(m, a.createdMs), acc.clock());
    const id = evaluateTempAdmin(list, acc.clock(), since, this.o.tempAdminRule ?? DEFAULT_TEMP_ADMIN_RULE).accountId ?? 0;
    if (id !== this.tempAdmin) {
      this.tempAdmin = id;
      this.world.stream.publishServer(TEMP_ADMIN.type, TEMP_ADMIN.encode({ accountId: id }));
    }
  }

  // ---- figures and shutdown ----

  private figures(): HostStats {
    const t = quantiles(this.tickTimes);
    return {
      tick: this.world.stream.tick,
      clients: this.clientCount,
      streams: this.hub.size,
      tickMsP50: t.p50,
      tickMsP99: t.p99,
      tickMsMax: t.max,
      ...this.stats,
      ...this.ctx.admission.figures,
      guestSessions: this.ctx.guestSessions.size,
      lagRaycasts: this.ctx.lag.casts,
      lagOutOfWindow: this.ctx.lag.outOfWindow,
      lagHistoryBytes: this.ctx.lag.bytes,
    };
  }

  /** Current figures (tick times over the last 2,000 ticks). */
  get statistics(): HostStats {
    return this.figures();
  }

  /** Clients that completed hello. */
  get clientCount(): number {
    return this.sessions.clientCount;
  }

  /** Object-script events ('sa', 'sr', 'sm') dropped by their own rate limits (HostOptions.scriptRateLimits), by kind, since start. */
  get scriptRateLimited(): Readonly<Record<'sa' | 'sr' | 'sm', number>> {
    return this.sessions.scriptRateLimited;
  }

  /**
   * Graceful shutdown: stops accepting, tells every client (error SHUTTING_DOWN, close 1001),
   * stops the tick timer and the shard workers.
   */
  /** Figures of the send gate (HostOptions.durableLog), or null without one. */
  sendGateStats(): SendGateStats | null {
    return this.sessions.gate?.stats() ?? null;
  }

  /**
   * Sets the byte budget per tick of the state messages of a client's sessions on the world
   * stream (0 = none; else BUDGET_MIN..BUDGET_MAX bytes, src/sim/interest.ts). Lasts while the
   * session does; new sessions start at the host's (worldLoop.interest.budget). Returns the
   * number of sessions changed. Throws RangeError for a bad budget.
   */
  setStateBudget(publicId: number, bytes: number): number {
    if (!InterestPublisher.budgetOk(bytes)) throw new RangeError(`state budget ${bytes}: 0 or ${BUDGET_MIN}..${BUDGET_MAX} bytes`);
    let n = 0;
    for (const s of this.sessions.all)
      if (s.publicId === publicId && s.view && !s.closed) {
        this.world.interest.setBudget(s.view, bytes);
        n++;
      }
    return n;
  }

  /**
   * Stops listening, saves avatars, tells clients SHUTTING_DOWN and closes them, and closes the
   * world; with `keepWorld` the world stays open (an edge host handing its copy to a promotion).
   */
  async stop(o: { keepWorld?: boolean } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.tempAdminTimer) clearInterval(this.tempAdminTimer);
    if (this.tokenTimer) clearInterval(this.tokenTimer);
    if (this.listen) {
      uws.us_listen_socket_close(this.listen);
      this.listen = null;
    }
    if (this.o.worldLoop?.persist) await this.world.flush(); // artifacts sync through onSnapshot
    for (const [publicId, accountId] of this.accountOf) {
      const p = this.world.avatarPosition(publicId);
      if (p) this.o.avatars?.saveAvatar({ accountId, position: p, savedMs: this.o.clock() });
    }
    for (const s of [...this.sessions.all]) {
      if (s.closed || !s.ws) continue;
      this.sessions.error(s, ERROR.SHUTTING_DOWN, 'the host is shutting down');
      this.sessions.close(s, CLOSE.GOING_AWAY, 'shutting down');
    }
    if (!o.keepWorld) await this.world.close();
  }
}
