/**
 * Tessera client library (Node and browser): connects to a host's /ws, authenticates, follows
 * one stream with GoEventStream semantics and SimDriver-style callbacks (seed 004), keeps the
 * bodies of its interest from snapshots and deltas, and reconnects with backoff and catch-up.
 *
 *   connect -> hello{token, stream, privateId, lastKnownTick} -> welcome -> events (catch-up)
 *   each tick: events{tick, [...]} -> callbacks, lastKnownTick = tick
 *              snapshot/delta      -> frame of that tick (kept per tick, its joints included), ack
 *              geometry parts      -> `geometry` (by asset id) once an asset is whole, onGeometry
 *   (protocol 4) each state carries, for this client, the highest input seq applied before its
 *              tick and that input's tick (StateInfo: onState's second argument, `lastInputSeq`);
 *              sendInput stamps each input with the next seq and the tick it should be applied
 *              at (intendedTick: the newest state's tick plus the estimated round trip in ticks)
 *   socket lost -> wait min(maxMs, minMs * 2^n) (+ up to 25 % jitter) -> hello with lastKnownTick:
 *              the host sends every event since, or a '_s' snapshot event plus the events after
 *              it; no event is delivered twice or skipped.
 *
 * It needs a WebSocket class with the browser API (`binaryType`, `onopen`, `onmessage`,
 * `onclose`, `send`, `close`): the browser's global one, or the `ws` package in Node (pass it
 * as `WebSocket`; see src/client/node.ts). It never imports Node modules itself.
 */
import { decodeServer, encodeClient } from '../protocol/codec';
import { CLOSE } from '../protocol/errors';
import { GeometryAssembler, isAssetShape, type WireAsset } from '../assets/wire';
import { SHAPE } from '../physics/world-layout';
import {
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  type ClientMessage,
  type InputFrame,
  type Interest,
  type JointInfo,
  type RawVec3,
  type ServerMessage,
  type StreamEvent,
} from '../protocol/messages';
import { applyToMirror, type Mirror } from '../sim/interest';

/** The subset of the WebSocket API the client uses. */
export interface SocketLike {
  binaryType: string;
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  /** Drops the connection at once, without a closing handshake (the `ws` package has it; browsers do not). */
  terminate?(): void;
}
/** A WebSocket constructor (browser global or `ws`). */
export type SocketFactory = new (url: string, protocols?: string | string[]) => SocketLike;

/** SimDriver callbacks (GameSim, seed 004). All optional. */
export interface SimCallbacks {
  /** `_a`: the stream (re)starts; seed the simulation's random from `seed`. */
  onReset?(seed: string, event: StreamEvent): void;
  /** `_c`: a client connected (its public id). */
  onConnect?(publicId: number, event: StreamEvent): void;
  /** `_d`: a client disconnected. */
  onDisconnect?(publicId: number, event: StreamEvent): void;
  /** Any client event (origin = the sender's public id). */
  onClientEvent?(event: StreamEvent): void;
  /** Server events other than `_a` `_c` `_d` (e.g. '_h' contacts, '_s' catch-up snapshot). */
  onServerEvent?(event: StreamEvent): void;
  /** The server's tick advanced to `tick` (every event of ticks < tick has been delivered). */
  onTick?(tick: number): void;
  /**
   * A snapshot or delta produced the client's view of tick `mirror.tick`; `info` (protocol 4) says
   * which of this client's inputs it includes.
   */
  onState?(mirror: Mirror, info: StateInfo): void;
  /** Joined (after each (re)connection). */
  onWelcome?(w: Extract<ServerMessage, { kind: 'welcome' }>): void;
  /** The host reported an error (code from ERROR). */
  onError?(code: number, message: string): void;
  /** The socket closed (code, reason); `willRetry` says whether a reconnect is scheduled. */
  onClose?(code: number, reason: string, willRetry: boolean): void;
  /** A heightfield's, mesh's or hull's geometry arrived whole (once per asset; see TesseraClient.geometry). */
  onGeometry?(g: ClientGeometry): void;
  /** Any other server message (chat, ownership, adminResult, pong). */
  onMessage?(m: ServerMessage): void;
}

/**
 * The geometry of a static heightfield or mesh (protocol 2, ServerGeometry), as the core has it
 * after quantisation. `raw` holds the wire's integers (raw Q47.16 metres, src/assets/wire.ts
 * WireAsset); the other fields are the same in metres (raw / 65536, exact in a double).
 * Heightfield: nx x nz samples, sample (ix, iz) at x = originX + ix cellX, z = originZ + iz
 * cellZ, y = heights[iz nx + ix]. Mesh: vertices (x, y, z each) and indices (three per
 * triangle, counter-clockwise seen from the front).
 */
export type ClientGeometry =
  | {
      kind: 'heightfield';
      id: number;
      nx: number;
      nz: number;
      cellX: number;
      cellZ: number;
      originX: number;
      originZ: number;
      heights: Float64Array;
      raw: WireAsset;
    }
  | { kind: 'mesh'; id: number; vertices: Float64Array; indices: Uint32Array; raw: WireAsset }
  /** A dynamic hull's shape in its body's frame (the body's position and rotation place it): vertices and triangles, counter-clockwise seen from outside. */
  | { kind: 'hull'; id: number; vertices: Float64Array; indices: Uint32Array; raw: WireAsset }
  /** A dynamic compound's children in its body's frame (the body's position and rotation place them): one mesh of their triangles, counter-clockwise seen from outside (src/assets/wire.ts). */
  | { kind: 'compound'; id: number; vertices: Float64Array; indices: Uint32Array; raw: WireAsset };

/** A whole wire asset in metres (ClientGeometry). */
export function geometryInMetres(a: WireAsset): ClientGeometry {
  const m = (v: number): number => v / 65536;
  if (a.shape === SHAPE.HEIGHTFIELD)
    return {
      kind: 'heightfield',
      id: a.id,
      nx: a.nx,
      nz: a.nz,
      cellX: m(a.cellX),
      cellZ: m(a.cellZ),
      originX: m(a.originX),
      originZ: m(a.originZ),
      heights: Float64Array.from(a.values, m),
      raw: a,
    };
  const nv = a.vertexCount * 3;
  if (a.shape === SHAPE.COMPOUND)
    return { kind: 'compound', id: a.id, vertices: Float64Array.from(a.values.subarray(0, nv), m), indices: Uint32Array.from(a.values.subarray(nv)), raw: a };
  if (a.shape === SHAPE.HULL)
    return { kind: 'hull', id: a.id, vertices: Float64Array.from(a.values.subarray(0, nv), m), indices: Uint32Array.from(a.values.subarray(nv)), raw: a };
  return { kind: 'mesh', id: a.id, vertices: Float64Array.from(a.values.subarray(0, nv), m), indices: Uint32Array.from(a.values.subarray(nv)), raw: a };
}

/**
 * What a state (snapshot or delta) says for its recipient (protocol 4): `tick`, the tick the state
 * is at; `lastInputSeq`, the highest seq of this client's inputs applied at a tick before `tick`
 * (every input with a lower seq that the host accepted is applied too; 0 = none yet);
 * `lastInputTick`, the tick that input was applied at (0 = none). docs/protocol.md section 18.
 */
export interface StateInfo {
  tick: number;
  lastInputSeq: number;
  lastInputTick: number;
}

/** Client options. */
export interface ClientOptions {
  /** ws://host:port/ws */
  url: string;
  /**
   * More addresses of the same world (its replicas, issue 19), tried in order after `url`: a
   * connection that closes before its welcome (refused, or a replica answering 503 NOT_LEADER
   * while it waits to lead) moves on to the next address at once; after a whole round without a
   * welcome the backoff grows. The address that welcomed is tried first again after a drop.
   */
  urls?: readonly string[];
  /** Auth token (sent in hello, or in the upgrade as subprotocol `bearer.<token>` when tokenInUpgrade). */
  token: string;
  tokenInUpgrade?: boolean;
  /** Stream name. Default 'world'. */
  stream?: string;
  /** The client's private id (keep it to get the same public id back). */
  privateId: string;
  WebSocket?: SocketFactory;
  /** Reconnect backoff, ms. Default 250 .. 5000; `enabled` default true. */
  reconnect?: { minMs?: number; maxMs?: number; enabled?: boolean };
  /** Interest (else the host follows the avatar). */
  interest?: Interest;
  /** Render this many ticks behind the newest state. Default 2. */
  interpolationTicks?: number;
  /** Frames kept per tick for deltas. Default 64. */
  keepFrames?: number;
  /** Round-trip probes (ping) at most this often while states arrive, ms; 0 = none. Default 1000. */
  pingEveryMs?: number;
  /**
   * Ask the host for the avatar's raw body record with each state (hello.predict, protocol 4;
   * docs/protocol.md section 19): 'avatarRecord' messages reach onMessage, for a Predictor
   * (src/client/predict.ts). Default false.
   */
  predict?: boolean;
  /**
   * With `predict`: also ask for the raw records of the dynamic bodies within this many metres of
   * the avatar (hello.predictRadius; docs/protocol.md section 19.1; the host clamps it to 32 m and
   * sends the nearest 256 at most). Default 0 (the avatar only).
   */
  predictRadiusM?: number;
  /**
   * A connection that brings no message for this long (ms) is taken for dead and dropped, and the
   * client reconnects as after a close (a welcomed one quiet for half of it is sent a ping, which
   * any live host answers): a welcomed one (states come every tick) to the same
   * address first, one not yet welcomed (the host accepted TCP but never answered: a paused or cut
   * off process) to the next address. A paused leader (issue 19: SIGSTOP past its lease) keeps its
   * sockets open, so without this its clients would wait for ever. 0 = off. Default 3000.
   */
  silenceMs?: number;
  /**
   * Ask the host for packed deltas (hello.packedDeltas; docs/protocol.md section 7.2): changed
   * bodies come as per-field differences against the acknowledged state (src/sim/packed-state.ts),
   * about a third of the bytes; applyToMirror rebuilds the same state. Default true (issue 22);
   * false asks for full BodyStates only (the version-4 deltas) and also turns predictedDeltas off.
   */
  packedDeltas?: boolean;
  /**
   * Ask the host for predicted deltas too (hello.predictedDeltas; docs/protocol.md section 7.3):
   * changed bodies as residuals against the acknowledged state extrapolated by its velocity, a
   * host that knows them sends them instead of packed ones (one that does not, packed ones);
   * applyToMirror rebuilds the same state. Default true; only with packedDeltas.
   */
  predictedDeltas?: boolean;
  /**
   * Ask the host for quiet ticks (hello.quietTicks; docs/protocol.md section 7.4): a tick with no
   * stream event and nothing changed in the view comes as one small ServerQuiet instead of an
   * empty events message and an empty delta (an idle client in a settled world then receives
   * about a third of the bytes). Handled as those two: callbacks see no difference. Default true.
   */
  quietTicks?: boolean;
}

/** Close code passed to onClose for a connection dropped for silence (ClientOptions.silenceMs); never sent. */
export const SILENT_CLOSE = 4998;

/** An interpolated body for rendering (metres, unit quaternion). */
export interface RenderBody {
  index: number;
  generation: number;
  shard: number;
  shape: number;
  kind: number;
  size: [number, number, number];
  position: [number, number, number];
  rotation: [number, number, number, number];
  /** A heightfield's, mesh's or hull's asset id (its geometry: TesseraClient.geometry); -1 for other shapes (whose `size` is in metres). */
  asset: number;
}

/** Joint kind names by wire code (JOINT_KIND). */
const JOINT_KIND_NAME: Record<number, RenderJoint['kind']> = { 1: 'fixed', 2: 'hinge', 3: 'ball', 4: 'distance' };

/**
 * A joint for rendering (protocol 3): where its anchors are in the world now, from the
 * interpolated poses of its bodies (metres), and a hinge's or fixed joint's axis as a world
 * direction (A's axis turned by A's rotation; unit length), else null. `info` is the joint as the
 * wire has it (messages.ts JointInfo: integer units).
 */
export interface RenderJoint {
  index: number;
  generation: number;
  kind: 'fixed' | 'hinge' | 'ball' | 'distance';
  /** Body handles "index:generation"; b null: the world. */
  a: string;
  b: string | null;
  anchorA: [number, number, number];
  anchorB: [number, number, number];
  axis: [number, number, number] | null;
  info: JointInfo;
}

/** v turned by the unit quaternion q = [x, y, z, w]: v + 2w (q x v) + 2 q x (q x v). */
export function rotateByQuat(q: readonly [number, number, number, number], v: readonly [number, number, number]): [number, number, number] {
  const [x, y, z, w] = q;
  const tx = 2 * (y * v[2] - z * v[1]),
    ty = 2 * (z * v[0] - x * v[2]),
    tz = 2 * (x * v[1] - y * v[0]);
  return [v[0] + w * tx + (y * tz - z * ty), v[1] + w * ty + (z * tx - x * tz), v[2] + w * tz + (x * ty - y * tx)];
}

/**
 * The joints of `joints` placed on `bodies` (RenderBody: interpolated poses): each anchor is its
 * body's position plus its local anchor (1/1024 m) turned by the body's rotation; a world end's
 * anchor is its world point. A joint whose body is not among `bodies` is left out.
 */
export function placeJoints(joints: Iterable<JointInfo>, bodies: readonly RenderBody[]): RenderJoint[] {
  const byIndex = new Map<number, RenderBody>();
  for (const b of bodies) byIndex.set(b.index, b);
  const end = (h: { index: number; generation: number }, local: readonly number[]): [number, number, number] | null => {
    const b = byIndex.get(h.index);
    if (!b || b.generation !== h.generation) return null;
    const r = rotateByQuat(b.rotation, [local[0] / 1024, local[1] / 1024, local[2] / 1024]);
    return [b.position[0] + r[0], b.position[1] + r[1], b.position[2] + r[2]];
  };
  const out: RenderJoint[] = [];
  for (const j of joints) {
    const a = end(j.a, j.anchorA);
    const bEnd = j.b === null ? ([j.anchorB[0] / 1024, j.anchorB[1] / 1024, j.anchorB[2] / 1024] as [number, number, number]) : end(j.b, j.anchorB);
    if (!a || !bEnd) continue;
    let axis: [number, number, number] | null = null;
    if (j.axisA[0] !== 0 || j.axisA[1] !== 0 || j.axisA[2] !== 0) {
      const body = byIndex.get(j.a.index) as RenderBody;
      const r = rotateByQuat(body.rotation, [j.axisA[0] / 32768, j.axisA[1] / 32768, j.axisA[2] / 32768]);
      const n = Math.hypot(...r) || 1;
      axis = [r[0] / n, r[1] / n, r[2] / n];
    }
    out.push({
      index: j.index,
      generation: j.generation,
      kind: JOINT_KIND_NAME[j.kind] ?? 'ball',
      a: `${j.a.index}:${j.a.generation}`,
      b: j.b === null ? null : `${j.b.index}:${j.b.generation}`,
      anchorA: a,
      anchorB: bEnd,
      axis,
      info: j,
    });
  }
  return out;
}

/** Close codes after which reconnecting cannot help. */
const FATAL = new Set<number>([CLOSE.UNAUTHENTICATED, CLOSE.BAD_VERSION, CLOSE.BAD_MESSAGE, CLOSE.KICKED, CLOSE.BANNED]);

/** A connection to one stream of a Tessera host. */
export class TesseraClient {
  /** Public id in the stream (0 before the first welcome). */
  publicId = 0;
  /** First tick whose events have not all been received (sent as lastKnownTick on reconnect). */
  lastKnownTick: number | null = null;
  /** Seed of the stream (`_a` body). */
  seed = '';
  /** Tick rate of the stream, Hz. */
  tickRate = 20;
  /** Events delivered so far, in order (kept only when `record` is true). */
  readonly received: StreamEvent[] = [];
  record = false;
  /** Reconnections made. */
  reconnects = 0;
  /** Static geometry received, by asset id (a heightfield or mesh body's RenderBody.asset). Kept across reconnects. */
  readonly geometry = new Map<number, ClientGeometry>();
  private assembler = new GeometryAssembler();
  private ws: SocketLike | null = null;
  private closedByUser = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** The current connection's silence check (ClientOptions.silenceMs). */
  private watchdog: ReturnType<typeof setInterval> | null = null;
  /** Connections dropped for silence (ClientOptions.silenceMs). */
  silentDrops = 0;
  /** `url` and `urls`, without repeats; the one in use is urlList[urlIndex]. */
  private readonly urlList: string[];
  private urlIndex = 0;
  /** Connections closed before their welcome since the last welcome (or connect()). */
  private failedInRound = 0;
  private readonly frames = new Map<number, Mirror>();
  private newest: Mirror | null = null;
  private readonly arrivals = new Map<number, number>();
  private readonly WS: SocketFactory;
  /** Seq of the last input sent (sendInput stamps the next one). */
  lastSentSeq = 0;
  /** The newest state's StateInfo (tick 0 before the first state). */
  lastState: StateInfo = { tick: 0, lastInputSeq: 0, lastInputTick: 0 };
  /** Smoothed round-trip time, ms (RFC 6298's SRTT: 7/8 old + 1/8 new), from pings; null before the first pong. */
  rttMs: number | null = null;
  private lastPingAt = -Infinity;
  private pingNonce = 0n;
  private pingSentAt = 0;
  private stateArrivedAt = 0;
  private welcomeWaiters: Array<{ resolve: (w: Extract<ServerMessage, { kind: 'welcome' }>) => void; reject: (e: Error) => void }> = [];

  constructor(
    readonly opts: ClientOptions,
    readonly callbacks: SimCallbacks = {},
  ) {
    const ctor = opts.WebSocket ?? (globalThis as unknown as { WebSocket?: SocketFactory }).WebSocket;
    if (!ctor) throw new Error('no WebSocket class: pass options.WebSocket (the `ws` package in Node)');
    this.WS = ctor;
    this.urlList = [...new Set([opts.url, ...(opts.urls ?? [])])];
  }

  /** The address of the connection in use (or the next one tried). */
  get currentUrl(): string {
    return this.urlList[this.urlIndex];
  }

  /** Opens the connection; resolves with the welcome, rejects if the socket closes first. */
  connect(): Promise<Extract<ServerMessage, { kind: 'welcome' }>> {
    this.closedByUser = false;
    this.failedInRound = 0;
    const p = new Promise<Extract<ServerMessage, { kind: 'welcome' }>>((resolve, reject) => this.welcomeWaiters.push({ resolve, reject }));
    this.open();
    return p;
  }

  private open(): void {
    // a new connection resends its geometry from the first part: start the half-received ones again
    this.assembler = new GeometryAssembler();
    const protocols = [SUBPROTOCOL, ...(this.opts.tokenInUpgrade ? [`bearer.${this.opts.token}`] : [])];
    const ws = new this.WS(this.currentUrl, protocols);
    this.ws = ws;
    let welcomed = false;
    this.onWelcomed = () => {
      welcomed = true;
    };
    ws.binaryType = 'arraybuffer';
    this.pingSentAt = 0; // a ping lost with the last connection is not waited for
    let heardAt = now();
    const silenceMs = this.opts.silenceMs ?? 3000;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    if (silenceMs > 0) {
      const every = Math.max(50, silenceMs / 4);
      let checkedAt = now();
      this.watchdog = setInterval(() => {
        if (this.ws !== ws) return;
        const t = now();
        // a check that comes late means this process was blocked: messages may wait unread
        // behind this timer (timers run before I/O), so the quiet time says nothing of the host
        const late = t - checkedAt > 2 * every;
        checkedAt = t;
        if (late) return;
        const quiet = t - heardAt;
        // a welcomed connection with nothing to say (a host ticking by hand) answers a ping
        if (welcomed && quiet > silenceMs / 2 && this.pingSentAt === 0) {
          this.lastPingAt = now();
          this.pingNonce++;
          if (this.send({ kind: 'ping', nonce: this.pingNonce })) this.pingSentAt = this.lastPingAt;
        }
        if (quiet <= silenceMs) return;
        this.silentDrops++;
        ws.onopen = ws.onmessage = ws.onclose = null;
        ws.onerror = () => {}; // `ws` emits an error when a connecting socket is terminated: not a crash
        try {
          if (ws.terminate) ws.terminate();
          else ws.close(CLOSE.NORMAL, 'silent');
        } catch {
          /* a socket still connecting may refuse close(): it is abandoned all the same */
        }
        closed(SILENT_CLOSE, `no message for ${silenceMs} ms`);
      }, every);
      // a check alone does not keep a Node process alive (the socket does)
      (this.watchdog as { unref?: () => void }).unref?.();
    }
    ws.onopen = () => {
      this.send({
        kind: 'hello',
        version: PROTOCOL_VERSION,
        token: this.opts.tokenInUpgrade ? '' : this.opts.token,
        stream: this.opts.stream ?? 'world',
        privateId: this.opts.privateId,
        lastKnownTick: this.lastKnownTick,
        interest: this.opts.interest ?? null,
        ...(this.opts.predict ? { predict: true } : {}),
        ...(this.opts.predict && (this.opts.predictRadiusM ?? 0) > 0 ? { predictRadius: Math.round((this.opts.predictRadiusM as number) * 1000) } : {}),
        ...(this.opts.packedDeltas !== false ? { packedDeltas: true, ...(this.opts.predictedDeltas !== false ? { predictedDeltas: true } : {}) } : {}),
        ...(this.opts.quietTicks !== false ? { quietTicks: true } : {}),
      });
    };
    ws.onmessage = (ev) => {
      heardAt = now();
      const data = ev.data;
      const bytes =
        data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
      if (!bytes) return;
      this.onServer(decodeServer(bytes));
    };
    ws.onerror = () => {
      /* onclose follows */
    };
    const closed = (code: number, reason: string): void => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.watchdog) clearInterval(this.watchdog);
      this.watchdog = null;
      if (!welcomed) {
        // this address did not take us: the next one (a replica that now leads, perhaps)
        this.failedInRound++;
        this.urlIndex = (this.urlIndex + 1) % this.urlList.length;
      }
      const retry = !this.closedByUser && (this.opts.reconnect?.enabled ?? true) && !FATAL.has(code);
      // connect() waits while addresses of this round are left to try
      const untried = !welcomed && this.failedInRound % this.urlList.length !== 0;
      if (!(retry && untried)) for (const w of this.welcomeWaiters.splice(0)) w.reject(new Error(`closed before welcome: ${code} ${reason}`));
      this.callbacks.onClose?.(code, reason, retry);
      if (retry) this.scheduleReconnect(untried);
    };
    ws.onclose = (ev) => closed(ev.code, ev.reason);
  }

  /** Set by open(): marks the current connection welcomed. */
  private onWelcomed: () => void = () => {};

  /** `soon`: another address of this round is left to try: go at the shortest wait, without growing the backoff. */
  private scheduleReconnect(soon = false): void {
    const min = this.opts.reconnect?.minMs ?? 250,
      max = this.opts.reconnect?.maxMs ?? 5000;
    const wait = soon ? min / 4 : Math.min(max, min * 2 ** this.attempt) * (1 + Math.random() * 0.25);
    if (!soon) this.attempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closedByUser) {
        this.reconnects++;
        this.open();
      }
    }, wait);
  }

  private onServer(m: ServerMessage): void {
    switch (m.kind) {
      case 'welcome':
        this.onWelcomed();
        this.failedInRound = 0;
        this.publicId = m.publicId;
        this.tickRate = m.tickRate;
        this.seed = m.seed;
        this.attempt = 0;
        this.callbacks.onWelcome?.(m);
        for (const w of this.welcomeWaiters.splice(0)) w.resolve(m);
        return;
      case 'events': {
        for (const e of m.events) {
          if (this.lastKnownTick !== null && e.tick < this.lastKnownTick) continue; // already delivered (defensive)
          this.deliver(e);
        }
        if (this.lastKnownTick === null || m.tick > this.lastKnownTick) {
          this.lastKnownTick = m.tick;
          this.callbacks.onTick?.(m.tick);
        }
        return;
      }
      case 'quiet':
        // the tick's events (none) and its delta (nothing changed since baseTick), in that order
        this.onServer({ kind: 'events', tick: m.tick, events: [] });
        this.onServer({
          kind: 'delta',
          baseTick: m.baseTick,
          tick: m.tick,
          bodies: [],
          shapes: [],
          removed: [],
          joints: [],
          removedJoints: [],
          inputSeq: m.inputSeq,
          inputTick: m.inputTick,
        });
        return;
      case 'snapshot':
      case 'delta': {
        const base = m.kind === 'delta' ? (this.frames.get(m.baseTick) ?? null) : null;
        if (m.kind === 'delta' && !base) return; // base unknown: the host sends a snapshot once our acks run out
        const mirror = applyToMirror(base, m);
        this.frames.set(mirror.tick, mirror);
        this.arrivals.set(mirror.tick, now());
        if (!this.newest || mirror.tick > this.newest.tick) this.newest = mirror;
        const keep = this.opts.keepFrames ?? 64;
        for (const t of this.frames.keys())
          if (t <= mirror.tick - keep) {
            this.frames.delete(t);
            this.arrivals.delete(t);
          }
        this.send({ kind: 'ack', tick: mirror.tick });
        const info: StateInfo = { tick: m.tick, lastInputSeq: m.inputSeq ?? 0, lastInputTick: m.inputTick ?? 0 };
        if (m.tick >= this.lastState.tick) {
          this.lastState = info;
          this.stateArrivedAt = now();
        }
        this.probe();
        this.callbacks.onState?.(mirror, info);
        return;
      }
      case 'pong': {
        if (m.nonce === this.pingNonce && this.pingSentAt > 0) {
          const rtt = now() - this.pingSentAt;
          this.rttMs = this.rttMs === null ? rtt : (7 * this.rttMs + rtt) / 8;
          this.pingSentAt = 0;
        }
        this.callbacks.onMessage?.(m);
        return;
      }
      case 'error':
        this.callbacks.onError?.(m.code, m.message);
        return;
      case 'geometry': {
        if (this.geometry.has(m.id)) return;
        const whole = this.assembler.add(m);
        if (whole) {
          const g = geometryInMetres(whole);
          this.geometry.set(m.id, g);
          this.callbacks.onGeometry?.(g);
        }
        return;
      }
      default:
        this.callbacks.onMessage?.(m);
    }
  }

  private deliver(e: StreamEvent): void {
    if (this.record) this.received.push(e);
    const cb = this.callbacks;
    switch (e.type) {
      case '_a':
        this.seed = e.body;
        cb.onReset?.(e.body, e);
        return;
      case '_c':
        cb.onConnect?.(Number(e.body), e);
        return;
      case '_d':
        cb.onDisconnect?.(Number(e.body), e);
        return;
      default:
        if (e.type.startsWith('_')) cb.onServerEvent?.(e);
        else cb.onClientEvent?.(e);
    }
  }

  /** Sends a message if connected; returns false when there is no open socket. */
  send(m: ClientMessage): boolean {
    if (this.ws?.readyState !== 1) return false;
    this.ws.send(encodeClient(m));
    return true;
  }

  /** Publishes a client event (SimDriver SendEvent); it comes back through onClientEvent. */
  sendEvent(type: string, body: string): boolean {
    return this.send({ kind: 'publish', type, body });
  }

  /** A ping when none is out and pingEveryMs has passed since the last (the round trip feeds rttMs). */
  private probe(): void {
    const every = this.opts.pingEveryMs ?? 1000;
    const t = now();
    if (every <= 0 || this.pingSentAt > 0 || t - this.lastPingAt < every) return;
    this.lastPingAt = t;
    this.pingNonce++;
    if (this.send({ kind: 'ping', nonce: this.pingNonce })) this.pingSentAt = t;
  }

  /**
   * The tick an input sent now should be meant for (protocol 4): the newest state's tick S plus
   * the ticks the input will take to reach the host. The state of tick S left the host when S was
   * its open tick, one one-way delay ago, plus the time since it arrived; the input needs one more
   * one-way delay. So tick = S + ceil((rtt + since) x tickRate / 1000), `since` (ms since S
   * arrived) at most 2 tick periods (states come every tick; older means the host is not
   * ticking), rtt the smoothed round trip (rttMs; 0 before the first pong). An input that still
   * arrives after its tick closed is applied at the next open tick (the host's rule,
   * docs/protocol.md section 18). 0 before the first state: the host's open tick on arrival.
   */
  intendedTick(at = now()): number {
    const s = this.lastState.tick;
    if (s === 0) return 0;
    return s + Math.ceil(this.ticksAhead(at));
  }

  /**
   * intendedTick() before rounding up, in (fractional) ticks: the newest state's tick plus the
   * round trip and the time since it arrived (at most two periods), in ticks; 0 before a state.
   * intendedTick(at) - intendedTickExact(at) is the part of a tick still to go (for drawing
   * between ticks: AvatarPrediction.frame).
   */
  intendedTickExact(at = now()): number {
    const s = this.lastState.tick;
    return s === 0 ? 0 : s + this.ticksAhead(at);
  }

  private ticksAhead(at: number): number {
    const period = 1000 / this.tickRate;
    const since = Math.min(Math.max(0, at - this.stateArrivedAt), 2 * period);
    return ((this.rttMs ?? 0) + since) / period;
  }

  /**
   * Sends movement input (walk in -1000..1000 thousandths of walk speed). `seq`: absent, the next
   * after lastSentSeq (protocol 4: the host ignores a seq not above the last it accepted, and
   * states report the highest applied); given (protocol-3 callers), sent as is. `tick`: the tick
   * to apply it at; default intendedTick(). Returns false when there is no open socket.
   */
  sendInput(input: Omit<InputFrame, 'seq'> & { seq?: number }, tick = this.intendedTick()): boolean {
    const seq = input.seq ?? this.lastSentSeq + 1;
    const ok = this.send({ kind: 'input', input: { seq, walkX: input.walkX, walkZ: input.walkZ, jump: input.jump }, tick });
    if (ok && seq > this.lastSentSeq) this.lastSentSeq = seq;
    return ok;
  }

  /** The newest state's highest applied input seq of this client (StateInfo.lastInputSeq). */
  get lastInputSeq(): number {
    return this.lastState.lastInputSeq;
  }

  /**
   * Lag-compensated raycast (protocol 4): against the bodies as they were in the state of `tick`
   * (default: the tick of the newest state, what this client shows at best). origin, direction in
   * metres (direction any non-zero length), length in metres. The answer comes to onMessage as a
   * 'lagRaycast' message with this nonce. Returns false when there is no open socket.
   */
  lagRaycast(nonce: number, origin: readonly number[], direction: readonly number[], length: number, tick = this.lastState.tick): boolean {
    const raw = (m: number): bigint => BigInt(Math.round(m * 65536));
    return this.send({
      kind: 'lagRaycast',
      nonce,
      tick,
      origin: [raw(origin[0]), raw(origin[1]), raw(origin[2])],
      direction: [raw(direction[0]), raw(direction[1]), raw(direction[2])],
      length: raw(length),
    });
  }

  /** Sets the interest centre (raw Q47.16 vector) and radius in cells. */
  setInterest(interest: Interest): boolean {
    return this.send({ kind: 'interest', interest });
  }

  /** Spawns a sphere at a position with a velocity (raw Q47.16). */
  spawn(position: RawVec3, velocity: RawVec3): boolean {
    return this.send({ kind: 'spawn', shape: 0, position, velocity, size: [0n, 0n, 0n] });
  }

  /** The newest state received, or null. */
  get state(): Mirror | null {
    return this.newest;
  }

  /**
   * Bodies interpolated for rendering at `interpolationTicks` behind the newest state: linear in
   * position, normalised linear in rotation (nlerp), between the two received ticks around the
   * render time.
   */
  bodies(at = now()): RenderBody[] {
    const latest = this.newest;
    if (!latest) return [];
    const arrived = this.arrivals.get(latest.tick) ?? at;
    const renderTick = latest.tick - (this.opts.interpolationTicks ?? 2) + Math.min(1, ((at - arrived) * this.tickRate) / 1000);
    let a: Mirror | undefined, b: Mirror | undefined;
    for (const [t, f] of this.frames) {
      if (t <= renderTick && (!a || t > a.tick)) a = f;
      if (t >= renderTick && (!b || t < b.tick)) b = f;
    }
    a = a ?? b ?? latest;
    b = b ?? a;
    const span = b.tick - a.tick,
      w = span > 0 ? (renderTick - a.tick) / span : 0;
    const out: RenderBody[] = [];
    for (const [index, sb] of b.bodies) {
      const sa = a.bodies.get(index);
      const from = sa && sa.generation === sb.generation ? sa : sb;
      const lerp = (x: number, y: number): number => x + (y - x) * w;
      let q: [number, number, number, number] = [lerp(from.qx, sb.qx), lerp(from.qy, sb.qy), lerp(from.qz, sb.qz), lerp(from.qw, sb.qw)];
      const n = Math.hypot(...q) || 1;
      q = [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
      const shape = b.shapes.get(index);
      // heightfields, meshes and hulls come as an asset id (their geometry: TesseraClient.geometry)
      const byAsset = shape !== undefined && isAssetShape(shape.shape);
      out.push({
        index,
        generation: sb.generation,
        shard: sb.shard,
        shape: shape?.shape ?? 0,
        kind: shape?.kind ?? 0,
        size: shape && !byAsset ? [shape.sx / 1024, shape.sy / 1024, shape.sz / 1024] : [0, 0, 0],
        position: [lerp(from.px, sb.px) / 1024, lerp(from.py, sb.py) / 1024, lerp(from.pz, sb.pz) / 1024],
        rotation: q,
        asset: byAsset ? shape.sx : -1,
      });
    }
    return out;
  }

  /**
   * The joints of the newest state placed on the bodies rendered now (placeJoints): the
   * anchors at the interpolated poses of `bodies` (default: this.bodies(at)).
   */
  joints(bodies: readonly RenderBody[] = this.bodies()): RenderJoint[] {
    return this.newest ? placeJoints(this.newest.joints.values(), bodies) : [];
  }

  /** Closes for good (no reconnect). */
  close(): void {
    this.closedByUser = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    this.ws?.close(CLOSE.NORMAL, 'bye');
  }

  /** Test hook: drops the socket as a network failure would (a reconnect follows). */
  dropConnection(): void {
    this.ws?.close(4999, 'dropped by the client');
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
