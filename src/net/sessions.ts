/**
 * WebSocket sessions at /ws: upgrade, hello, rate limits, message handling, sending and closing.
 *
 * A session: upgrade (Origin checked against the allow-list; a token may come in
 * `Authorization: Bearer <token>` or as the subprotocol `bearer.<token>` next to `tessera.v4`,
 * never in the URL) -> the first message must be `hello` within authTimeoutMs (its token is
 * used when the upgrade carried none) -> welcome + catch-up -> each tick the fan-out
 * (fanout.ts) sends the stream's events and, on the world stream, a snapshot/delta.
 *
 * Limits, all deliberate:
 *   maxPayloadLength   a larger client message gets TOO_LARGE and close 1009, up to
 *                      maxFrameBytes (1 MiB); beyond that uWS cuts the connection without a
 *                      close frame (1006), which nothing above uWS can change
 *   rate limits        token bucket per connection and message kind (so at most one bucket per
 *                      ClientMessage kind and budgeted publish type, reserved.ts: the limiter
 *                      state of a connection is bounded); excess
 *                      is dropped with a RATE_LIMITED error (at most one per second), a flood
 *                      closes with 4029
 *   admission          at the upgrade, before the session exists: maxClients (503 FULL) and
 *                      maxJoinsPerSecond (503 BUSY + Retry-After, admission.ts)
 *   identity           the stream sees the private id scoped by the principal (identity.ts); a
 *                      guest's scope is its connection, which a later guest connection with the
 *                      same stream and private id resumes within silenceMs of the close (a
 *                      dropped socket keeps its public id), while no other connection holds it
 *   backpressure       over softBackpressure a client's deltas are skipped (the next one is
 *                      taken against its acknowledged tick, so nothing is lost); a client that
 *                      stays over it for slowConsumerMs, or goes over maxBackpressure, is
 *                      closed with 4008 SLOW_CONSUMER (fanout.ts). uWS's own
 *                      limit is set above ours, so uWS never drops a message silently.
 *   revoked token      a session's token is held in HostContext.tokens (token-watch.ts): logout
 *                      or refresh through the host, or the host's periodic re-check, closes it
 *                      with 4014 REVOKED (4012 for a ban)
 *   malformed          a buffer that fails verification gets an error and close 4000
 *   silence            a closed or silent client's public id stays reserved; its `_d` comes
 *                      after the stream's silence timeout (GoEventStream), so a reconnect
 *                      within it resumes without a disconnect.
 */
import type { SendGate } from './send-gate';
import { TokenBucket } from 'limiter';
import { uws, type HttpRequest, type HttpResponse, type us_socket_context_t, type WebSocket, type WebSocketBehavior } from './uws';
import { decodeClient, encodeServer, readAckTick } from '../protocol/codec';
import { ADMIN, CHAT, IDENTITY, INPUT, metresToMm, OWNERSHIP, PLACE, rawToMm, SPAWN, type IdentityRole, type OwnershipBody } from '../sim/event-bodies';
import { ERROR, CLOSE, ProtocolError, errorBody, type ErrorCode } from '../protocol/errors';
import { PROTOCOL_VERSION, SUBPROTOCOL, type ClientMessage, type Interest, type ServerMessage } from '../protocol/messages';
import { StreamError, isPrivateId, isStreamName, type EventStream } from '../sim/stream';
import type { ClientView } from '../sim/interest';
import type { HostContext } from './context';
import { DEFAULT_RATE_LIMITS, DEFAULT_SCRIPT_RATE_LIMITS, type Principal, type ScriptEventKind } from './options';
import { bearerOf, INTERNAL_BODY, sendJson, utf8 } from './http';
import { catchUpFor } from './catch-up';
import { guestScope, scopedId } from './identity';
import { BUDGETED_TYPES, SCRIPT_TYPES, checkClientType } from './reserved';
import { acceptInput, newInputState, type InputState } from './inputs';
import { PREDICT_MAX_RADIUS_MM } from './predict';

/** Sessions.takeToken's answers: a token taken; dropped; dropped, and the client is to be told. */
const TAKEN = 0,
  DROPPED = 1,
  DROPPED_TELL = 2;

/** The one ack value onMessage hands on (tick rewritten per ack; readAckTick): handling an ack keeps nothing of it. */
const ACK: Extract<ClientMessage, { kind: 'ack' }> = { kind: 'ack', tick: 0 };

/** Per-connection state (uWS user data). */
export interface Session {
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
  /** A guest's scope once joined (identity.ts), parked at close for a reconnect to resume. */
  guestScope?: string;
  /** Admin commands dropped by the rate limiter since the last audit record of them (auditDropped). */
  adminDropped: number;
  /** Clock ms of the last audit record of a dropped admin command. */
  lastAdminAudit: number;
  /** The token the principal was accepted with ('' before hello), held in HostContext.tokens while open. */
  token: string;
  /** Geometry asset ids queued or sent on this connection (each goes once per connection; src/net/geometry.ts). */
  geometrySent: Set<number>;
  /** Encoded ServerGeometry parts still to send, in order. */
  geometryQueue: Uint8Array[];
  /** (protocol 4) Input sequencing and acknowledgement (inputs.ts). */
  inputs: InputState;
  /** (protocol 4, hello.predict) Send the avatar's raw record with each state (predict.ts). */
  predict: boolean;
  /** (protocol 4, hello.predictRadius) Radius for the nearby bodies' records, m (clamped; 0 = none; predict.ts). */
  predictRadiusM?: number;
  /** (protocol 4, hello.quietTicks) A tick with no event and an empty delta goes as one ServerQuiet (fanout.ts sendTick). */
  quiet?: boolean;
  /** (edge host) The hello is being answered by the leader (edge-port.ts). */
  joining?: boolean;
  /** (leader, a client of an edge host) Errors are collected here for the edge's reply instead of sent. */
  relay?: Array<{ code: ErrorCode; message: string }>;
  /** (leader, a client of an edge host) Clock ms the edge last vouched for it (edge-port.ts). */
  edgeHeardMs?: number;
}

/** The open WebSocket sessions of a host and their handlers. */
export class Sessions {
  /** Every open session (from open to close). */
  readonly all = new Set<Session>();
  private nextSession = 1;
  private readonly limits: typeof DEFAULT_RATE_LIMITS;
  private readonly scriptLimits: typeof DEFAULT_SCRIPT_RATE_LIMITS;
  /** Object-script events dropped by their own rate limit (scriptRateLimits), by kind, since start. */
  readonly scriptRateLimited: Record<ScriptEventKind, number> = { sa: 0, sr: 0, sm: 0 };
  /**
   * Scopes of guest connections that closed, by stream and private id, until clock ms: a guest
   * reconnecting within silenceMs (before its '_d') resumes its scope and so its public id. At
   * most maxClients entries (oldest first out); a scope is in here only while no connection holds it.
   */
  private readonly parked = new Map<string, { scope: string; untilMs: number }>();

  /** Holds messages until their tick is replicated (HostOptions.durableLog), if set. */
  gate: SendGate<Session> | null = null;

  constructor(private readonly h: HostContext) {
    this.limits = { ...DEFAULT_RATE_LIMITS, ...h.o.rateLimits };
    this.scriptLimits = { ...DEFAULT_SCRIPT_RATE_LIMITS, ...h.o.scriptRateLimits };
  }

  /** Clients that completed hello. */
  get clientCount(): number {
    let n = 0;
    for (const s of this.all) if (s.stream) n++;
    return n;
  }

  /** The streams some session is on. */
  streams(): Set<EventStream> {
    const out = new Set<EventStream>();
    for (const s of this.all) if (s.stream && !s.closed) out.add(s.stream);
    return out;
  }

  /** Marks every joined client heard (a connected socket is not silent). */
  heardAll(): void {
    for (const s of this.all) if (s.stream && !s.closed) s.stream.heard(s.privateId);
  }

  /** The uWS behaviour of /ws. */
  behavior(): WebSocketBehavior<Session> {
    const o = this.h.o;
    return {
      compression: uws.DISABLED,
      // uWS cuts a connection without a close frame (1006) beyond its own limit; up to it
      // (maxFrameBytes, 1 MiB by default) the message arrives and is refused with 1009 and an
      // error the client can read.
      maxPayloadLength: Math.max(o.maxFrameBytes, o.maxPayloadLength),
      // Above our own hard limit: uWS must never drop a message silently; we close first.
      maxBackpressure: o.maxBackpressure * 4,
      closeOnBackpressureLimit: 0,
      idleTimeout: Math.max(8, Math.ceil(o.silenceMs / 1000)),
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        try {
          this.upgrade(res, req, context);
        } catch (e) {
          this.h.fault('ws.upgrade', e);
          try {
            sendJson(res, '500 Internal Server Error', INTERNAL_BODY);
          } catch {
            /* already answered */
          }
        }
      },
      open: (ws) => this.guard(ws.getUserData(), 'ws.open', () => this.open(ws)),
      message: (ws, message, isBinary) => this.guard(ws.getUserData(), 'ws.message', () => this.onMessage(ws.getUserData(), message, isBinary)),
      // Deltas resume on the next tick (against the client's acknowledged tick, so the skipped
      // ones cost nothing); a client that drained below the soft limit is no longer behind.
      drain: (ws) =>
        this.guard(ws.getUserData(), 'ws.drain', () => {
          const s = ws.getUserData();
          if (!s.closed && ws.getBufferedAmount() <= o.softBackpressure) s.behindSince = 0;
        }),
      close: (ws, code) => {
        try {
          this.closed(ws.getUserData(), code);
        } catch (e) {
          this.h.fault('ws.close', e);
        }
      },
    };
  }

  /** Runs a handler of session `s`; a throw is reported, answered with INTERNAL and closes the socket with 1011. */
  private guard(s: Session, where: string, run: () => void): void {
    try {
      run();
    } catch (e) {
      this.h.fault(where, e);
      try {
        this.error(s, ERROR.INTERNAL, 'internal error');
        this.close(s, CLOSE.INTERNAL, 'internal error');
      } catch {
        /* the socket is gone */
      }
    }
  }

  private upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
    const o = this.h.o;
    const origin = req.getHeader('origin');
    const auth = req.getHeader('authorization');
    const protocols = req.getHeader('sec-websocket-protocol');
    const key = req.getHeader('sec-websocket-key'),
      ext = req.getHeader('sec-websocket-extensions');
    const reply = (status: string, code: ErrorCode, message: string): void => {
      sendJson(res, status, errorBody(code, message));
    };
    if (this.h.stopping) {
      reply('503 Service Unavailable', ERROR.SHUTTING_DOWN, 'the host is shutting down');
      return;
    }
    if (origin && o.originAllowList && !o.originAllowList.includes(origin)) {
      reply('403 Forbidden', ERROR.BAD_ORIGIN, `origin ${origin} is not allowed`);
      return;
    }
    if (this.all.size >= o.maxClients) {
      reply('503 Service Unavailable', ERROR.FULL, 'the host is full');
      return;
    }
    // admission control: refused before any per-client memory (the session, its buckets, a view)
    if (!this.h.admission.join()) {
      sendJson(res, '503 Service Unavailable', errorBody(ERROR.BUSY, 'too many joins this second: retry'), { 'retry-after': '1' });
      return;
    }
    const offered = protocols
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    let token = bearerOf(auth);
    const bearer = offered.find((p) => p.startsWith('bearer.'));
    if (!token && bearer) token = bearer.slice(7);
    let principal: Principal | null = null;
    if (token) {
      principal = this.h.authenticate(token);
      if (!principal) {
        this.h.o.securityLog?.event('login_failed', {
          code: ERROR.UNAUTHENTICATED,
          address: utf8.decode(res.getRemoteAddressAsText()),
          detail: 'token refused at upgrade',
        });
        reply('401 Unauthorized', ERROR.UNAUTHENTICATED, 'the token is not valid');
        return;
      }
    }
    const session: Session = {
      id: this.nextSession++,
      closed: false,
      principal,
      address: utf8.decode(res.getRemoteAddressAsText()),
      stream: null,
      privateId: '',
      publicId: 0,
      view: null,
      follow: true,
      buckets: new Map(),
      dropped: 0,
      lastLimitError: 0,
      behindSince: 0,
      authTimer: null,
      ws: null,
      token: principal ? token : '',
      adminDropped: 0,
      lastAdminAudit: -Infinity,
      geometrySent: new Set(),
      geometryQueue: [],
      inputs: newInputState(),
      predict: false,
      predictRadiusM: 0,
    };
    const chosen = offered.includes(SUBPROTOCOL) ? SUBPROTOCOL : '';
    res.cork(() => res.upgrade<Session>(session, key, chosen, ext, context));
  }

  private open(ws: WebSocket<Session>): void {
    const o = this.h.o;
    const s = ws.getUserData();
    s.ws = ws;
    this.all.add(s);
    if (s.token) this.h.tokens.addSocket(s.token, s);
    s.authTimer = setTimeout(() => {
      s.authTimer = null;
      this.guard(s, 'ws.authTimer', () => {
        if (!s.stream && !s.closed) {
          this.error(s, ERROR.AUTH_TIMEOUT, `send hello within ${o.authTimeoutMs} ms`);
          this.close(s, CLOSE.AUTH_TIMEOUT, 'no hello in time');
        }
      });
    }, o.authTimeoutMs);
  }

  /** The guest scope of session `s` joining `stream` as `privateId`: a parked one it resumes, or its own. */
  private guestScopeFor(s: Session, stream: string, privateId: string): string {
    const now = this.h.o.clock(),
      k = `${stream}\n${privateId}`;
    const p = this.parked.get(k);
    this.parked.delete(k);
    s.guestScope = p && p.untilMs > now ? p.scope : guestScope('w', s.id);
    return s.guestScope;
  }

  /** Parks a closing guest's scope for a reconnect (see `parked`). */
  private park(s: Session): void {
    if (!s.guestScope || !s.stream) return;
    const now = this.h.o.clock();
    for (const [k, p] of this.parked) {
      if (p.untilMs > now && this.parked.size < this.h.o.maxClients) break;
      this.parked.delete(k);
    }
    // the stream key is "g<scope>/<privateId>": the private id is what follows the first '/'
    const privateId = s.privateId.slice(s.privateId.indexOf('/') + 1);
    this.parked.set(`${s.stream.name}\n${privateId}`, { scope: s.guestScope, untilMs: now + this.h.o.silenceMs });
    s.guestScope = undefined;
  }

  private closed(s: Session, code: number): void {
    if (!s.closed) {
      // Not closed by us: the peer left, or uWS cut it (1006: idle timeout, i.e. no pong).
      if (code === 1006) this.h.counters.droppedIdle++;
    }
    s.closed = true;
    s.ws = null;
    if (s.authTimer) clearTimeout(s.authTimer);
    if (s.stream && this.h.o.edge) this.h.o.edge.left(s);
    this.gate?.forget(s);
    this.all.delete(s);
    if (s.token) this.h.tokens.removeSocket(s.token, s);
    this.park(s);
  }

  // ---- sending ----

  /**
   * Sends one encoded ServerMessage (nothing once the session is closed); with a send gate, it may
   * wait there until the newest closed tick is in the replicated log (send-gate.ts).
   */
  send(s: Session, bytes: Uint8Array): void {
    if (s.closed || !s.ws) return;
    if (this.gate?.hold(s, bytes)) return;
    this.sendNow(s, bytes);
  }

  /** Sends at once, past the gate (the gate's own release). */
  sendNow(s: Session, bytes: Uint8Array): void {
    if (s.closed || !s.ws) return;
    s.ws.send(bytes, true);
    this.h.counters.messagesOut++;
    this.h.counters.bytesOut += bytes.byteLength;
  }

  /** Encodes and sends one ServerMessage. */
  sendMsg(s: Session, m: ServerMessage): void {
    this.send(s, encodeServer(m));
  }

  /**
   * Sends an error message, at once (past the send gate: an error acknowledges nothing, and a
   * session closed right after it still gets it).
   */
  error(s: Session, code: ErrorCode, message: string): void {
    if (s.relay) {
      s.relay.push({ code, message });
      return;
    }
    this.sendNow(s, encodeServer({ kind: 'error', code, message }));
  }

  /** Closes a session with a close code (CLOSE) and a reason (cut to 120 characters). */
  close(s: Session, code: number, reason: string): void {
    if (s.closed || !s.ws) return;
    const ws = s.ws;
    s.closed = true;
    ws.end(code, reason.slice(0, 120));
  }

  /** Closes a world-stream client (kick, ban) and disconnects it from the stream at once (its '_d' is in the next tick). */
  remove(publicId: number, close: number, code: ErrorCode, message: string, only?: Session): void {
    const world = this.h.world.stream;
    for (const sess of [...this.all]) {
      if ((only && sess !== only) || sess.stream !== world || sess.publicId !== publicId || sess.closed) continue;
      this.error(sess, code, message);
      world.disconnect(sess.privateId);
      this.close(sess, close, message.slice(0, 100));
    }
  }

  // ---- receiving ----

  /**
   * Takes a token from the session's bucket `bucket` (default: the message kind's), whose budget
   * is that of message kind `kind`. True when the message is dropped (rate limited).
   */
  private limited(s: Session, kind: ClientMessage['kind'], bucket: string = kind): boolean {
    const l = this.limits[kind],
      r = this.takeToken(s, bucket, l, ERROR.RATE_LIMITED);
    if (r === TAKEN) return false;
    this.h.counters.rateLimited++;
    if (r === DROPPED_TELL) this.error(s, ERROR.RATE_LIMITED, `too many ${kind} messages: at most ${l.perSecond} per second`);
    return true;
  }

  /**
   * Takes a token from the session's bucket of object-script event `kind` ('sa', 'sr', 'sm';
   * HostOptions.scriptRateLimits). True when the event is dropped: counted in scriptRateLimited
   * and towards the flood close, answered SCRIPT_RATE_LIMITED (at most one error per second).
   */
  private scriptLimited(s: Session, kind: ScriptEventKind): boolean {
    const l = this.scriptLimits[kind],
      r = this.takeToken(s, `script.${kind}`, l, ERROR.SCRIPT_RATE_LIMITED);
    if (r === TAKEN) return false;
    this.scriptRateLimited[kind]++;
    if (r === DROPPED_TELL) this.error(s, ERROR.SCRIPT_RATE_LIMITED, `too many ${kind} events: at most ${l.perSecond} per second`);
    return true;
  }

  /**
   * The session's token bucket `name` (made on first use with budget `l`, full: limiter's buckets
   * start empty). TAKEN when a token was taken. Else the message is dropped: the security log
   * gets `code` and the drop counts towards the flood close (past floodLimit: error RATE_LIMITED,
   * close RATE_LIMITED 'flood'; DROPPED); DROPPED_TELL when the caller should tell the client
   * (at most once a second). Nothing is allocated unless a message is dropped.
   */
  private takeToken(s: Session, name: string, l: { perSecond: number; burst: number }, code: ErrorCode): number {
    let b = s.buckets.get(name);
    if (!b) {
      b = new TokenBucket({ bucketSize: l.burst, tokensPerInterval: l.perSecond, interval: 'second' });
      b.content = l.burst;
      s.buckets.set(name, b);
    }
    if (b.tryRemoveTokens(1)) return TAKEN;
    this.h.o.securityLog?.event('rate_limited', { code, address: s.address, publicId: s.publicId, detail: name });
    s.dropped++;
    if (s.dropped >= this.h.o.floodLimit) {
      this.error(s, ERROR.RATE_LIMITED, 'too many messages');
      this.close(s, CLOSE.RATE_LIMITED, 'flood');
      return DROPPED;
    }
    const now = this.h.o.clock();
    if (now - s.lastLimitError < 1000) return DROPPED;
    s.lastLimitError = now;
    return DROPPED_TELL;
  }

  private onMessage(s: Session, data: ArrayBuffer, isBinary: boolean): void {
    if (s.closed) return;
    this.h.counters.messagesIn++;
    if (data.byteLength > this.h.o.maxPayloadLength) {
      this.error(s, ERROR.TOO_LARGE, `messages are at most ${this.h.o.maxPayloadLength} bytes, got ${data.byteLength}`);
      this.close(s, CLOSE.TOO_BIG, 'message too big');
      return;
    }
    if (!isBinary) {
      this.h.counters.closedMalformed++;
      this.h.o.securityLog?.event('malformed', { code: ERROR.BAD_MESSAGE, address: s.address, publicId: s.publicId, detail: 'text frame' });
      this.error(s, ERROR.BAD_MESSAGE, 'messages are binary FlatBuffers (ClientMessage)');
      this.close(s, CLOSE.BAD_MESSAGE, 'text frame');
      return;
    }
    let m: ClientMessage;
    try {
      // an ack (one per client per tick) is read straight from its bytes into one reused value
      // (readAckTick; nothing keeps an ack message past its handling), the rest are decoded
      const bytes = new Uint8Array(data),
        ack = readAckTick(bytes);
      if (ack >= 0) {
        ACK.tick = ack;
        m = ACK;
      } else m = decodeClient(bytes);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.h.counters.closedMalformed++;
      this.h.o.securityLog?.event('malformed', { code: e.code, address: s.address, publicId: s.publicId, detail: e.reason });
      this.error(s, e.code, e.message);
      this.close(s, CLOSE.BAD_MESSAGE, `malformed: ${e.reason}`);
      return;
    }
    if (s.joining) {
      this.error(s, ERROR.BUSY, 'the hello is still being answered: wait for the welcome');
      return;
    }
    if (!s.stream) {
      if (m.kind !== 'hello') {
        this.error(s, ERROR.UNAUTHENTICATED, 'the first message must be hello');
        this.close(s, CLOSE.UNAUTHENTICATED, 'not authenticated');
        return;
      }
      this.hello(s, m);
      return;
    }
    const edge = this.h.o.edge;
    if (edge && FORWARDED.has(m.kind) && s.stream === this.h.world.stream) {
      if (this.limited(s, m.kind)) return;
      edge.forward(s, m, new Uint8Array(data.slice(0)));
      return;
    }
    this.dispatch(s, m);
  }

  /**
   * Handles one decoded message of a joined session: the rate limits, then the message
   * (`handle`); a StreamError is answered with its code. Also the leader's entry for a message a
   * client of an edge host sent (edge-port.ts), whose errors `s.relay` collects.
   */
  dispatch(s: Session, m: ClientMessage): void {
    if (this.limited(s, m.kind)) {
      if (m.kind === 'admin') this.auditDropped(s, m);
      return;
    }
    // a world-stream kind a typed message also produces costs that message's budget too (reserved.ts)
    if (
      m.kind === 'publish' &&
      s.stream === this.h.world.stream &&
      Object.hasOwn(BUDGETED_TYPES, m.type) &&
      this.limited(s, BUDGETED_TYPES[m.type], `publish.${m.type}`)
    )
      return;
    // object-script events: a bucket of their own per kind (HostOptions.scriptRateLimits)
    if (m.kind === 'publish' && s.stream === this.h.world.stream && SCRIPT_TYPES.has(m.type) && this.scriptLimited(s, m.type as ScriptEventKind)) return;
    try {
      this.handle(s, m);
    } catch (e) {
      if (e instanceof StreamError) {
        this.error(s, e.code, e.message);
        return;
      }
      throw e;
    }
  }

  /**
   * An admin command the rate limiter dropped is audited like the ones the sim decided
   * (records.recordAdmin, ok false, message "rate limited") and logged as a security event
   * 'admin_limited': at most one record and one event per client per second; the drops in
   * between are counted in the next record's `dropped` (this drop included).
   */
  private auditDropped(s: Session, m: Extract<ClientMessage, { kind: 'admin' }>): void {
    s.adminDropped++;
    const now = this.h.o.clock();
    if (now - s.lastAdminAudit < 1000) return;
    s.lastAdminAudit = now;
    const dropped = s.adminDropped;
    s.adminDropped = 0;
    const accountId = s.principal?.accountId ?? 0;
    this.h.o.securityLog?.event('admin_limited', {
      code: ERROR.RATE_LIMITED,
      address: s.address,
      account: s.principal?.account,
      accountId,
      publicId: s.publicId,
      detail: `${m.command}: ${dropped} dropped`,
    });
    this.h.o.records?.recordAdmin([
      {
        atMs: now,
        actor: accountId,
        action: m.command,
        detail: JSON.stringify({ tick: s.stream?.tick ?? 0, publicId: s.publicId, args: m.args, ok: false, message: 'rate limited', dropped }),
      },
    ]);
  }

  private hello(s: Session, m: Extract<ClientMessage, { kind: 'hello' }>): void {
    const h = this.h;
    if (m.version !== PROTOCOL_VERSION) {
      this.error(s, ERROR.BAD_VERSION, `this host speaks protocol ${PROTOCOL_VERSION}, the client ${m.version}`);
      this.close(s, CLOSE.BAD_VERSION, 'protocol version');
      return;
    }
    if (!s.principal) {
      s.principal = m.token ? h.authenticate(m.token) : null;
      if (!s.principal) {
        h.o.securityLog?.event('login_failed', { code: ERROR.UNAUTHENTICATED, address: s.address, detail: 'token refused in hello' });
        this.error(s, ERROR.UNAUTHENTICATED, 'hello carried no valid token');
        this.close(s, CLOSE.UNAUTHENTICATED, 'bad token');
        return;
      }
      s.token = m.token;
      h.tokens.addSocket(s.token, s);
    }
    if (!isPrivateId(m.privateId)) {
      this.error(s, ERROR.BAD_VALUE, 'private id must be 1..128 printable ASCII characters');
      this.close(s, CLOSE.POLICY, 'bad hello');
      return;
    }
    if (!isStreamName(m.stream)) {
      this.error(s, ERROR.BAD_VALUE, 'stream name must be 1..64 of [A-Za-z0-9._-]');
      this.close(s, CLOSE.POLICY, 'bad hello');
      return;
    }
    if (h.o.edge && m.stream !== h.world.stream.name) {
      this.error(s, ERROR.NOT_ALLOWED, `an edge host serves the world stream ${h.world.stream.name} only`);
      this.close(s, CLOSE.POLICY, 'edge: world stream only');
      return;
    }
    const refused = h.admission.refusal(m.stream, s.principal);
    if (refused) {
      this.error(s, refused.code, refused.message);
      this.close(s, CLOSE.FULL, 'stream limit');
      return;
    }
    // identity is the principal: the private id is scoped by it (identity.ts); a guest's scope is this connection
    const key = scopedId(s.principal, s.principal.guest ? this.guestScopeFor(s, m.stream, m.privateId) : '', m.privateId);
    if (h.o.edge) {
      const edge = h.o.edge;
      s.joining = true;
      edge.join(s, key).then(
        (publicId) => {
          s.joining = false;
          if (s.closed) {
            edge.left(s); // the socket closed while the leader answered: it leaves there too
            return;
          }
          this.guard(s, 'edge.join', () => this.enter(s, h.world.stream, key, publicId, m));
        },
        (e: { code?: ErrorCode; message?: string }) => {
          s.joining = false;
          if (s.closed) return;
          this.error(s, e.code ?? ERROR.BUSY, `the leader did not admit this client: ${e.message ?? String(e)}`);
          this.close(s, CLOSE.POLICY, 'edge: join refused');
        },
      );
      return;
    }
    const stream = h.admission.stream(m.stream, s.principal);
    const joined = joinStream(h, stream, key, s.principal);
    this.enter(s, stream, key, joined.publicId, m);
  }

  /** After the join: the session is on `stream` as `key` / `publicId`: welcome, catch-up, and on the world stream its view. */
  private enter(s: Session, stream: EventStream, key: string, publicId: number, m: Extract<ClientMessage, { kind: 'hello' }>): void {
    const h = this.h;
    if (s.authTimer) {
      clearTimeout(s.authTimer);
      s.authTimer = null;
    }
    s.stream = stream;
    s.privateId = key;
    s.publicId = publicId;
    const ws = s.ws as WebSocket<Session>;
    ws.cork(() => {
      this.sendMsg(s, {
        kind: 'welcome',
        version: PROTOCOL_VERSION,
        publicId: s.publicId,
        stream: stream.name,
        tick: stream.tick,
        tickRate: h.o.tickRate,
        seed: stream.seed,
      });
      const events = catchUpFor(h, stream, m.lastKnownTick ?? 0, h.o.maxCatchUpBytes).events;
      for (let i = 0; i < events.length || i === 0; i += 2048) this.sendMsg(s, { kind: 'events', tick: stream.tick, events: events.slice(i, i + 2048) });
    });
    if (stream === h.world.stream) {
      s.predict = m.predict === true;
      s.predictRadiusM = s.predict ? Math.min(m.predictRadius ?? 0, PREDICT_MAX_RADIUS_MM) / 1000 : 0;
      s.view = h.world.interest.createView(0, 0, 2);
      s.view.packed = m.packedDeltas === true; // hello.packedDeltas: packed deltas (docs/protocol.md 7.2)
      s.view.predicted = m.predictedDeltas === true; // hello.predictedDeltas: predicted deltas (7.3), before packed
      s.quiet = m.quietTicks === true; // hello.quietTicks: ServerQuiet for a tick that brings nothing (7.4)
      if (m.interest) {
        s.follow = false;
        this.setInterest(s.view, m.interest);
      }
    }
  }

  /** Points a view at a client's interest (centre raw Q47.16, x and z used; radius in cells). */
  private setInterest(view: ClientView, i: Interest): void {
    this.h.world.interest.setInterest(view, Number(i.center[0]) / 65536, Number(i.center[2]) / 65536, i.cells);
  }

  private handle(s: Session, m: ClientMessage): void {
    const st = s.stream as EventStream;
    const world = this.h.world;
    switch (m.kind) {
      case 'hello':
        this.error(s, ERROR.UNEXPECTED, 'already joined');
        return;
      case 'input': {
        const i = m.input;
        if (st !== world.stream) {
          st.publish(s.privateId, INPUT.type, INPUT.encode({ walkX: i.walkX, walkZ: i.walkZ, jump: i.jump }));
          return;
        }
        const no = acceptInput(s.inputs, st, s.privateId, i, m.tick ?? 0, this.h.o, this.h.counters);
        if (no) this.error(s, no.code, no.message);
        return;
      }
      case 'lagRaycast': {
        if (st !== world.stream) {
          this.error(s, ERROR.NOT_ALLOWED, 'lag-compensated raycasts are served on the world stream');
          return;
        }
        this.sendMsg(s, { kind: 'lagRaycast', nonce: m.nonce, ...this.h.lag.raycast(m.tick, m.origin, m.direction, m.length) });
        return;
      }
      case 'publish':
        checkClientType(st === world.stream, m.type, 'ws');
        st.publish(s.privateId, m.type, m.body);
        return;
      case 'chat':
        if (st !== world.stream) {
          this.error(s, ERROR.NOT_ALLOWED, 'chat is served on the world stream');
          return;
        }
        st.publish(s.privateId, CHAT.type, CHAT.encode({ c: m.channel, to: m.to, t: m.text }));
        return;
      case 'spawn': {
        const [x, y, z] = m.position.map(rawToMm),
          [vx, vy, vz] = m.velocity.map(rawToMm);
        st.publish(s.privateId, SPAWN.type, SPAWN.encode({ position: [x, y, z], velocity: [vx, vy, vz] }));
        return;
      }
      case 'ack':
        if (s.view) world.interest.acknowledge(s.view, m.tick);
        return;
      case 'interest':
        if (!s.view) {
          this.error(s, ERROR.UNEXPECTED, 'interest is served on the world stream only');
          return;
        }
        s.follow = false;
        this.setInterest(s.view, m.interest);
        return;
      case 'ping':
        this.sendMsg(s, { kind: 'pong', nonce: m.nonce, tick: st.tick });
        return;
      case 'ownership': {
        if (st !== world.stream) {
          this.error(s, ERROR.NOT_ALLOWED, 'ownership is served on the world stream');
          return;
        }
        const action = ['request', 'release', 'grant', 'refuse', 'rule'][m.action];
        if (!action) {
          this.error(s, ERROR.BAD_VALUE, 'ownership action is 0-4 (request, release, grant, refuse, set rule); set the owner with publish "ow"');
          return;
        }
        const body: OwnershipBody = { a: action, o: `${m.body.index}:${m.body.generation}` };
        if (action === 'rule') body.r = ['ask', 'deny', 'allow'][m.rule];
        if ((action === 'grant' || action === 'refuse') && m.target !== 0) body.p = m.target;
        st.publish(s.privateId, OWNERSHIP.type, OWNERSHIP.encode(body));
        return;
      }
      case 'admin':
        if (st !== world.stream) {
          this.error(s, ERROR.NOT_ALLOWED, 'admin commands are served on the world stream');
          return;
        }
        st.publish(s.privateId, ADMIN.type, ADMIN.encode({ cmd: m.command, args: m.args }));
        return;
    }
  }
}

/**
 * Client message kinds an edge host forwards to its leader (edge-port.ts): the ones that change
 * the world. The others (ack, interest, ping, lagRaycast) are served from the edge's own copy.
 */
export const FORWARDED: ReadonlySet<ClientMessage['kind']> = new Set(['input', 'publish', 'chat', 'spawn', 'ownership', 'admin']);

/**
 * Connects `key` (a scoped private id, identity.ts) of principal `p` to `stream`; on the world
 * stream also publishes its identity ('_id') and, for an account, the avatar's saved place
 * ('_pl') and notes its account (HostContext.accountOf). What a hello does on the leader, for a
 * client of its own or of an edge host (edge-port.ts). Throws StreamError as EventStream.connect.
 */
export function joinStream(h: HostContext, stream: EventStream, key: string, p: Principal): { publicId: number; connected: boolean } {
  const joined = stream.connect(key);
  const accountId = p.accountId;
  if (stream === h.world.stream) {
    const role = ['player', 'moderator', 'admin'].includes(p.role ?? '') ? (p.role as string) : 'player';
    stream.publishServer(IDENTITY.type, IDENTITY.encode({ publicId: joined.publicId, accountId: accountId ?? 0, role: role as IdentityRole }));
  }
  if (stream === h.world.stream && accountId !== undefined) {
    h.accountOf.set(joined.publicId, accountId);
    const saved = joined.connected ? h.o.avatars?.loadAvatar(accountId) : null;
    if (saved) stream.publishServer(PLACE.type, PLACE.encode({ publicId: joined.publicId, position: metresToMm(saved.position) }));
  }
  return joined;
}
