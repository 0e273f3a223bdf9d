/**
 * Edge hosts (issue 19): the host side of a replica that serves clients from its own lockstep
 * copy of the world and forwards what changes the world to the leader (src/replica/edge.ts
 * carries it over NATS request/reply).
 *
 *   edge host   Sessions -> EdgeLink.join / forward / left          (HostOptions.edge)
 *   leader      EdgePort.join / message / leave / heard             (Host.edgePort)
 *
 * On the leader a client of an edge is a session without a socket ("virtual": `ws` null), held
 * in the host's sessions like its own clients, so it has the same rate-limit buckets, the same
 * input rule (inputs.ts: open tick, lead, queue) and the same per-tick input handling. Its errors
 * are collected (`Session.relay`) and returned to the edge, which sends them to its client. The
 * edge vouches for its clients at least every silenceMs/3 (`heard`); a client it stopped
 * vouching for is dropped after silenceMs, and the world stream's silence rule then gives its
 * '_d', as for a socket that went away.
 */
import { ERROR, type ErrorCode } from '../protocol/errors';
import type { ClientMessage } from '../protocol/messages';
import { decodeClient } from '../protocol/codec';
import { newInputState, type InputState } from './inputs';
import type { HostContext } from './context';
import { authAnswer, type HttpAnswer } from './auth-endpoint';
import type { Principal } from './options';
import { joinStream, type Session, type Sessions } from './sessions';

/** What an edge host's sessions ask of the link to the leader (src/replica/edge.ts implements it). */
export interface EdgeLink {
  /**
   * Joins the client `s` (its principal and token already checked on the edge) as stream key
   * `key` (identity.ts) on the leader. Resolves with its public id; rejects with
   * `{ code, message }` (the leader's refusal, or BUSY when the leader cannot be reached).
   */
  join(s: Session, key: string): Promise<number>;
  /** Sends a world-changing message of joined client `s` (`bytes`: the ClientMessage as received); errors and acknowledgements come back to `s`. */
  forward(s: Session, m: ClientMessage, bytes: Uint8Array): void;
  /** Client `s` closed its socket on the edge. */
  left(s: Session): void;
  /**
   * Called once by the host: how the link sends an error message to a client (Sessions.error),
   * and how it closes one (1001 going away: the client reconnects and says hello again).
   */
  bind(errorTo: (s: Session, code: ErrorCode, message: string) => void, closeTo: (s: Session, reason: string) => void): void;
  /**
   * POST /auth/`action` of an edge host's HTTP client, answered by the leader (auth-endpoint.ts
   * authAnswer: the leader writes accounts and sessions; a replica's copy is read only). `body`:
   * the request body (at most AUTH_BODY_LIMIT bytes), `address`: the client's address (the
   * leader's per-address limits). Resolves with the leader's answer, or 503 BUSY with
   * Retry-After when the leader cannot be reached in time or too many requests wait; never rejects.
   */
  auth(action: string, authorization: string, address: string, body: Buffer): Promise<HttpAnswer>;
}

/**
 * A token the leader revoked (logout, refresh, or found no longer valid by its token check: a ban,
 * expiry), as it ends the token's sessions: its own with `close`/`code`/`message`, and, published
 * to the edge hosts (src/replica/edge.ts), theirs with the same. `disconnect`: its clients also
 * leave the world at once (false for a refresh, whose client may come back with the new token).
 */
export interface TokenRevocation {
  token: string;
  /** WebSocket close code (CLOSE.REVOKED 4014, CLOSE.BANNED 4012). */
  close: number;
  /** The error message's code sent before the close (UNAUTHENTICATED, BANNED). */
  code: ErrorCode;
  message: string;
  disconnect: boolean;
}

/** The leader's answer to a forwarded message. */
export interface EdgeReply {
  /** Errors the leader gave the client (in order; empty = accepted). */
  errors: Array<{ code: ErrorCode; message: string }>;
  /** The leader's open tick when the message was read. */
  open: number;
  /** For an input with a seq: the tick it is applied at (inputs.ts rule 3), else 0; with its seq. */
  applied: number;
  seq: number;
}

/**
 * On an edge host, after the copy applied logged tick `closed`: the forwarded inputs the leader
 * applied at a tick <= closed become acknowledged (InputState.ackSeq/ackTick, what the next
 * state message carries). `st.pending` holds the edge's accepted inputs as {tick: applied, seq}.
 */
export function ackForwarded(st: InputState, closed: number): void {
  let n = 0;
  while (n < st.pending.length && st.pending[n].tick <= closed) {
    st.ackSeq = st.pending[n].seq;
    st.ackTick = st.pending[n].tick;
    n++;
  }
  if (n > 0) st.pending.splice(0, n);
}

/** Refusal of an edge request: a protocol error code and a message. */
export class EdgeRefusal extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The leader's side of edge hosts (module comment). One per Host (Host.edgePort). */
export class EdgePort {
  private readonly byKey = new Map<string, Session>();
  private nextId = 1;

  constructor(
    private readonly h: HostContext,
    private readonly sessions: Sessions,
  ) {}

  /** Clients of edge hosts joined here now. */
  get size(): number {
    return this.byKey.size;
  }

  /**
   * Joins a client of an edge host: `token` is authenticated here too (the leader's accounts and
   * guest rule), `key` must be the principal's (identity.ts scope: `a<accountId>/` for an account,
   * `g` for a guest). Returns its public id. Throws EdgeRefusal UNAUTHENTICATED (token), BAD_VALUE
   * (key), FULL (maxClients, admission), or what the stream's connect throws.
   */
  join(key: string, token: string, address: string): number {
    const h = this.h;
    const p: Principal | null = h.authenticate(token);
    if (!p) throw new EdgeRefusal(ERROR.UNAUTHENTICATED, 'the token is not valid on the leader');
    const prefix = p.guest ? 'g' : p.accountId !== undefined ? `a${p.accountId}/` : 'u';
    if (!key.startsWith(prefix) || key.length > 160) throw new EdgeRefusal(ERROR.BAD_VALUE, "the stream key is not the principal's");
    const world = h.world.stream;
    const refused = h.admission.refusal(world.name, p);
    if (refused) throw new EdgeRefusal(refused.code, refused.message);
    let s = this.byKey.get(key);
    if (!s) {
      if (this.sessions.all.size >= h.o.maxClients) throw new EdgeRefusal(ERROR.FULL, 'the host is full');
      s = {
        id: -this.nextId++,
        closed: false,
        principal: p,
        address,
        stream: null,
        privateId: '',
        publicId: 0,
        view: null,
        follow: false,
        buckets: new Map(),
        dropped: 0,
        lastLimitError: 0,
        behindSince: 0,
        authTimer: null,
        ws: null,
        token,
        adminDropped: 0,
        lastAdminAudit: -Infinity,
        geometrySent: new Set(),
        geometryQueue: [],
        inputs: newInputState(),
        predict: false,
      };
    }
    const joined = joinStream(h, world, key, p);
    s.stream = world;
    s.privateId = key;
    s.publicId = joined.publicId;
    s.edgeHeardMs = h.o.clock();
    if (s.token !== token) {
      if (s.token) h.tokens.removeSocket(s.token, s);
      s.token = token;
    }
    // held like a socket's token: a revocation the leader finds (its token check) ends it on the edge too
    if (!p.guest) h.tokens.addSocket(token, s);
    this.byKey.set(key, s);
    this.sessions.all.add(s);
    return joined.publicId;
  }

  /**
   * A forwarded ClientMessage (`bytes`, as the client sent it) of joined key `key`: handled as
   * the leader's own client's (Sessions.dispatch: rate limits, validation, the input rule).
   * Throws EdgeRefusal NOT_FOUND for a key not joined here (joined on a leader before a
   * takeover: the client must hello again), BAD_MESSAGE for bytes that do not decode.
   */
  message(key: string, bytes: Uint8Array): EdgeReply {
    const s = this.byKey.get(key);
    if (!s || s.closed) throw new EdgeRefusal(ERROR.NOT_FOUND, 'this client is not joined on the leader: send hello again');
    let m: ClientMessage;
    try {
      m = decodeClient(bytes);
    } catch (e) {
      throw new EdgeRefusal(ERROR.BAD_MESSAGE, `forwarded message: ${(e as Error).message}`);
    }
    if (m.kind === 'hello') throw new EdgeRefusal(ERROR.UNEXPECTED, 'already joined');
    s.edgeHeardMs = this.h.o.clock();
    s.stream?.heard(s.privateId);
    const before = s.inputs.lastSeq;
    const errors: EdgeReply['errors'] = [];
    s.relay = errors;
    try {
      this.sessions.dispatch(s, m);
    } finally {
      s.relay = undefined;
    }
    const accepted = m.kind === 'input' && m.input.seq !== 0 && s.inputs.lastSeq !== before;
    return { errors, open: this.h.world.stream.tick, applied: accepted ? s.inputs.floor : 0, seq: accepted ? s.inputs.lastSeq : 0 };
  }

  /**
   * POST /auth/`action` forwarded by an edge host (EdgeLink.auth): answered as this host answers
   * its own HTTP clients (auth-endpoint.ts authAnswer; `address` is the edge's client's, for the
   * per-address limits; a logout or refresh ends the token's sessions here and, through
   * HostOptions.onRevoked, on every edge). Never rejects.
   */
  auth(action: string, authorization: string, address: string, body: Buffer): Promise<HttpAnswer> {
    return authAnswer(this.h, action, authorization, address, body);
  }

  /** The edge vouches for these keys (their sockets are open): they are heard now. Unknown keys are ignored. */
  heard(keys: readonly string[]): void {
    const now = this.h.o.clock();
    for (const k of keys) {
      const s = this.byKey.get(k);
      if (!s) continue;
      s.edgeHeardMs = now;
    }
  }

  /** The client of key `key` closed its socket on the edge: dropped here (its '_d' follows by the silence rule). */
  leave(key: string): void {
    const s = this.byKey.get(key);
    if (s) this.drop(s);
  }

  /** Drops clients no edge vouched for within silenceMs. Returns how many. Called every tick by the host. */
  sweep(): number {
    const limit = this.h.o.clock() - this.h.o.silenceMs;
    let n = 0;
    for (const s of this.byKey.values())
      if ((s.edgeHeardMs ?? 0) < limit) {
        this.drop(s);
        n++;
      }
    return n;
  }

  /** Drops the joined client `s` (its token was revoked: the edge closes its socket). */
  revoke(s: Session): void {
    if (this.byKey.get(s.privateId) === s) this.drop(s);
  }

  private drop(s: Session): void {
    s.closed = true;
    if (s.token) this.h.tokens.removeSocket(s.token, s);
    this.byKey.delete(s.privateId);
    this.sessions.all.delete(s);
  }
}
