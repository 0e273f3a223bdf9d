/**
 * `tessera bots`: a load generator of players over real WebSockets (`ws`). Each bot logs in
 * (guest, or a registered bot account with `accounts`), joins the world stream and then, like
 * a player:
 *  - walks a circuit of waypoints around the origin (so it crosses the demo world's shard
 *    borders at x = 0 and z = 0) with an input every 100 ms, jumping now and then;
 *  - acknowledges every state message (so the host sends deltas);
 *  - says something on the world channel every `chatEverySec`;
 *  - throws a sphere ahead of itself every `throwEverySec` (spawned objects it owns and pushes);
 *  - pings every second: the round trip is the latency reported.
 * A bot reconnects with backoff when its socket closes (a server restart), keeping its private id.
 *
 * Messages are classified by their FlatBuffers envelope (union tag, tick) without decoding
 * deltas: the host is trusted here and a bot's per-message cost must stay small next to the
 * server's on the same machine. Small messages (pong, error, welcome) are decoded and verified.
 */
import WebSocket from 'ws';
import * as flatbuffers from 'flatbuffers';
import * as S from './protocol/generated/server_generated';
import { encodeClient, decodeServer } from './protocol/codec';
import { ERROR, type ErrorBody } from './protocol/errors';
import { CHAT_CHANNEL, PROTOCOL_VERSION, type BodyState, type ClientMessage, type StreamEvent } from './protocol/messages';
import { AVATAR, type AvatarBody } from './sim/event-bodies';
import { predictSpan, unpackBodies, unpackPredicted } from './sim/packed-state';

/** Options of a bot run. */
export interface BotOptions {
  /** ws://host:port/ws */
  url: string;
  count: number;
  /** Seconds to run (0 = until stop()). */
  durationSec: number;
  /** New connections per second while ramping up. Default 100. */
  rampPerSec?: number;
  /** Register and log in bot accounts (bot-<i>) instead of guests. Default false. */
  accounts?: boolean;
  chatEverySec?: number;
  throwEverySec?: number;
  /** Progress line every this many seconds (0 = none). Default 5. */
  progressEverySec?: number;
  /** Where progress lines go. Default console.log. */
  log?: (line: string) => void;
  /** Prefix of private ids and account names. Default 'bot'. */
  name?: string;
  /** Ask for packed deltas (hello.packedDeltas, docs/protocol.md 7.2). Default true (issue 22); false: full deltas only. */
  packedDeltas?: boolean;
  /** Ask for predicted deltas too (hello.predictedDeltas, docs/protocol.md 7.3). Default true; only with packedDeltas. */
  predictedDeltas?: boolean;
}

/** What a run did. */
export interface BotSummary {
  bots: number;
  connectedAtEnd: number;
  everConnected: number;
  reconnects: number;
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  statesIn: number;
  chatsIn: number;
  pongs: number;
  throws: number;
  latencyMsP50: number;
  latencyMsP99: number;
  latencyMsMax: number;
  /** Error messages from the host (rate limits, refusals) and sockets that failed to open or closed unexpectedly. */
  errors: number;
  errorCodes: Record<string, number>;
  unexpectedCloses: number;
  seconds: number;
}

const ROOT = new S.ServerMessage(),
  EVENTS = new S.ServerEvents(),
  DELTA = new S.ServerDelta(),
  SNAP = new S.ServerSnapshot(),
  BODY = new S.BodyState();

interface Bot {
  i: number;
  ws: WebSocket | null;
  open: boolean;
  publicId: number;
  seq: number;
  wp: number;
  /** Its avatar's body (from the '_av' event), and its position (m) when last looked up. */
  avatar: { index: number; generation: number } | null;
  at: [number, number, number] | null;
  /**
   * Its avatar's state at each of the last ticks it received (tick -> state): a delta's packed or
   * predicted record of it is a difference against the state at the delta's base tick
   * (docs/protocol.md 7.2, 7.3), so the bot keeps it to know where it is.
   */
  track: Map<number, BodyState>;
  wantPosition: boolean;
  heading: [number, number];
  lastTick: number;
  nextChat: number;
  nextThrow: number;
  pingSent: Map<bigint, number>;
  nonce: bigint;
  everConnected: boolean;
  retryMs: number;
  token: string;
}

/** A bot run; `done` resolves with the summary after `durationSec` or stop(). */
export class BotRun {
  private readonly bots: Bot[] = [];
  private readonly o: Required<BotOptions>;
  private readonly lat: number[] = [];
  private readonly s = {
    messagesIn: 0,
    bytesIn: 0,
    messagesOut: 0,
    statesIn: 0,
    chatsIn: 0,
    pongs: 0,
    throws: 0,
    errors: 0,
    unexpectedCloses: 0,
    reconnects: 0,
  };
  private readonly codes: Record<string, number> = {};
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private readonly t0 = performance.now();
  private finish: (s: BotSummary) => void = () => {};
  readonly done: Promise<BotSummary>;

  constructor(opts: BotOptions) {
    this.o = {
      rampPerSec: 100,
      accounts: false,
      chatEverySec: 20,
      throwEverySec: 30,
      progressEverySec: 5,
      log: (l) => console.log(l),
      name: 'bot',
      packedDeltas: true,
      predictedDeltas: true,
      ...opts,
    };
    this.done = new Promise((r) => {
      this.finish = r;
    });
  }

  /** Starts the bots (ramping up at rampPerSec). Throws for a bad URL or count. */
  start(): this {
    if (!/^wss?:\/\//.test(this.o.url)) throw new RangeError(`--url must be ws://host:port/ws, got ${this.o.url}`);
    if (!(Number.isInteger(this.o.count) && this.o.count > 0)) throw new RangeError('--count must be a positive integer');
    const now = performance.now();
    for (let i = 0; i < this.o.count; i++) {
      this.bots.push({
        i,
        ws: null,
        open: false,
        publicId: 0,
        seq: 0,
        avatar: null,
        at: null,
        track: new Map(),
        wantPosition: false,
        heading: [1, 0],
        wp: i % WAYPOINTS.length,
        lastTick: -1,
        nextChat: now + Math.random() * this.o.chatEverySec * 1000,
        nextThrow: now + Math.random() * this.o.throwEverySec * 1000,
        pingSent: new Map(),
        nonce: 0n,
        everConnected: false,
        retryMs: 250,
        token: 'guest',
      });
    }
    this.bots.forEach((b, k) => {
      this.timers.push(setTimeout(() => void this.connect(b), (k * 1000) / this.o.rampPerSec));
    });
    this.timers.push(setInterval(() => this.tick(), 100));
    this.timers.push(setInterval(() => this.ping(), 1000));
    if (this.o.progressEverySec > 0) this.timers.push(setInterval(() => this.o.log(this.progress()), this.o.progressEverySec * 1000));
    if (this.o.durationSec > 0) this.timers.push(setTimeout(() => void this.stop(), this.o.durationSec * 1000));
    return this;
  }

  private async connect(b: Bot): Promise<void> {
    if (this.stopping) return;
    if (this.o.accounts && b.token === 'guest') {
      try {
        b.token = await this.login(b);
      } catch {
        this.s.errors++;
        this.codes.login = (this.codes.login ?? 0) + 1;
        this.retry(b);
        return;
      }
    }
    const ws = new WebSocket(this.o.url, ['tessera.v4']);
    ws.binaryType = 'nodebuffer';
    b.ws = ws;
    ws.on('open', () => {
      b.open = true;
      b.retryMs = 250;
      this.send(b, {
        kind: 'hello',
        version: PROTOCOL_VERSION,
        token: b.token,
        stream: 'world',
        privateId: `${this.o.name}-${b.i}`,
        lastKnownTick: null,
        interest: null,
        ...(this.o.packedDeltas ? { packedDeltas: true, ...(this.o.predictedDeltas ? { predictedDeltas: true } : {}) } : {}),
      });
    });
    ws.on('message', (data: Buffer) => this.onMessage(b, data));
    ws.on('error', () => {
      /* close follows */
    });
    ws.on('close', () => {
      const was = b.open;
      b.open = false;
      b.ws = null;
      b.publicId = 0;
      b.avatar = null;
      b.at = null;
      if (this.stopping) return;
      if (was) this.s.unexpectedCloses++;
      this.retry(b);
    });
  }

  private retry(b: Bot): void {
    if (this.stopping) return;
    this.s.reconnects++;
    const wait = b.retryMs * (0.75 + Math.random() / 2);
    b.retryMs = Math.min(5000, b.retryMs * 2);
    this.timers.push(setTimeout(() => void this.connect(b), wait));
  }

  private async login(b: Bot): Promise<string> {
    const http = this.o.url.replace(/^ws/, 'http').replace(/\/ws$/, '');
    const body = JSON.stringify({ name: `${this.o.name}-${b.i}`, password: `password of ${this.o.name}-${b.i}` });
    type Answer = { token?: string } & Partial<ErrorBody>;
    const post = (path: string): Promise<{ status: number; json: Answer }> =>
      fetch(`${http}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then(async (r) => ({
        status: r.status,
        json: (await r.json()) as Answer,
      }));
    let r = await post('/auth/login');
    // an unknown name and a wrong password both answer INVALID_CREDENTIALS: register, then log in again
    if (r.json.error?.code === ERROR.INVALID_CREDENTIALS) {
      await post('/auth/register');
      r = await post('/auth/login');
    }
    if (r.status !== 200 || !r.json.token) throw new Error(`login ${r.status}${r.json.error ? ` ${r.json.error.name}: ${r.json.error.message}` : ''}`);
    return r.json.token;
  }

  private send(b: Bot, m: ClientMessage): void {
    if (!b.ws || !b.open) return;
    b.ws.send(encodeClient(m));
    this.s.messagesOut++;
  }

  private onMessage(b: Bot, data: Buffer): void {
    this.s.messagesIn++;
    this.s.bytesIn += data.length;
    const root = S.ServerMessage.getRootAsServerMessage(new flatbuffers.ByteBuffer(new Uint8Array(data.buffer, data.byteOffset, data.length)), ROOT);
    const type = root.payloadType();
    const u8 = new Uint8Array(data.buffer, data.byteOffset, data.length);
    switch (type) {
      case S.ServerPayload.ServerEvents: {
        b.lastTick = Math.max(b.lastTick, (root.payload(EVENTS) as S.ServerEvents).tick());
        if (!b.avatar && b.publicId) {
          // '_av' "publicId slot:gen": which body is this bot's avatar
          const m = decodeServer(u8);
          const mine = (e: StreamEvent): AvatarBody | null => {
            const av = e.type === AVATAR.type ? AVATAR.decode(e.body) : null;
            return av?.publicId === b.publicId ? av : null;
          };
          const av = m.kind === 'events' ? m.events.map(mine).find((a) => a !== null) : undefined;
          if (av) b.avatar = { index: Number(av.body & 0xffffffffn), generation: Number(av.body >> 32n) };
        }
        return;
      }
      case S.ServerPayload.ServerDelta:
      case S.ServerPayload.ServerSnapshot: {
        this.s.statesIn++;
        const tick = type === S.ServerPayload.ServerDelta ? (root.payload(DELTA) as S.ServerDelta).tick() : (root.payload(SNAP) as S.ServerSnapshot).tick();
        // the avatar's state at this tick, from the message's bodies or its record (without decoding the rest)
        const me = b.avatar
          ? this.trackAvatar(b, b.avatar, type === S.ServerPayload.ServerDelta ? (root.payload(DELTA) as S.ServerDelta) : null, tick, root)
          : null;
        // a delta against a tick whose avatar state the bot did not keep (it learnt which body is its
        // avatar after that tick) tells it nothing of its avatar: it is not acknowledged, so the host's
        // bases run out and it sends a snapshot, from which the bot follows its avatar again (as the
        // client library does with a delta whose base it lacks)
        if (!(b.avatar && !me)) this.send(b, { kind: 'ack', tick });
        if (me && b.wantPosition) {
          b.at = [me.px / 1024, me.py / 1024, me.pz / 1024];
          b.wantPosition = false;
          this.throwFrom(b);
        }
        return;
      }
      case S.ServerPayload.ServerChat:
        this.s.chatsIn++;
        return;
      case S.ServerPayload.ServerOwnership:
        return;
      default:
        break;
    }
    const m = decodeServer(new Uint8Array(data.buffer, data.byteOffset, data.length));
    if (m.kind === 'welcome') {
      b.publicId = m.publicId;
      b.everConnected = true;
    } else if (m.kind === 'pong') {
      const at = b.pingSent.get(m.nonce);
      if (at !== undefined) {
        b.pingSent.delete(m.nonce);
        this.lat.push(performance.now() - at);
        this.s.pongs++;
      }
    } else if (m.kind === 'error') {
      this.s.errors++;
      this.codes[m.code] = (this.codes[m.code] ?? 0) + 1;
    }
  }

  /**
   * The avatar's state at `tick` (kept in b.track, the last 64 ticks): from the message's full
   * bodies if it is among them, else from the delta's packed or predicted record of it against the
   * state kept for the delta's base tick, else (unchanged) that state. Null when unknown (a delta
   * whose base state the bot did not keep).
   */
  private trackAvatar(b: Bot, av: { index: number; generation: number }, delta: S.ServerDelta | null, tick: number, root: S.ServerMessage): BodyState | null {
    const snap = delta ? null : (root.payload(SNAP) as S.ServerSnapshot);
    const n = delta ? delta.bodiesLength() : (snap as S.ServerSnapshot).bodiesLength();
    let me: BodyState | null = null;
    for (let i = 0; i < n && !me; i++) {
      const x = delta ? delta.bodies(i, BODY) : (snap as S.ServerSnapshot).bodies(i, BODY);
      if (x && x.index() === av.index && x.generation() === av.generation)
        me = {
          index: av.index,
          generation: av.generation,
          px: x.px(),
          py: x.py(),
          pz: x.pz(),
          qx: x.qx(),
          qy: x.qy(),
          qz: x.qz(),
          qw: x.qw(),
          vx: x.vx(),
          vy: x.vy(),
          vz: x.vz(),
          shard: x.shard(),
        };
    }
    if (!me && delta) {
      const was = b.track.get(delta.baseTick());
      if (was && was.generation === av.generation) {
        const base = new Map([[av.index, was]]),
          packed = delta.packedArray(),
          predicted = delta.predictedArray();
        const got = predicted
          ? unpackPredicted(base, predicted, predictSpan(delta.baseTick(), tick), av.index)
          : packed
            ? unpackBodies(base, packed, av.index)
            : [];
        me = got[0] ?? was;
      }
    }
    if (me) {
      b.track.set(tick, me);
      for (const t of b.track.keys()) if (t < tick - 64) b.track.delete(t);
    }
    return me;
  }

  /** Every 100 ms: inputs toward the next waypoint, chat and throws when due. */
  private tick(): void {
    const now = performance.now();
    for (const b of this.bots) {
      if (!b.open || !b.publicId) continue;
      // 8 waypoints on a 14 m circle: a full circuit crosses both shard borders twice
      const step = Math.floor((now - this.t0) / 2500) + b.i;
      const w = WAYPOINTS[step % WAYPOINTS.length],
        next = WAYPOINTS[(step + 1) % WAYPOINTS.length];
      const dx = next[0] - w[0],
        dz = next[1] - w[1],
        len = Math.hypot(dx, dz) || 1;
      this.send(b, {
        kind: 'input',
        input: { seq: ++b.seq, walkX: Math.round((dx / len) * 1000), walkZ: Math.round((dz / len) * 1000), jump: b.seq % 37 === 0 },
      });
      if (now >= b.nextChat) {
        b.nextChat = now + this.o.chatEverySec * 1000;
        this.send(b, { kind: 'chat', channel: CHAT_CHANNEL.WORLD, to: '', text: `${this.o.name}-${b.i} passing waypoint ${step % WAYPOINTS.length}` });
      }
      b.heading = [dx / len, dz / len];
      if (now >= b.nextThrow && b.avatar) {
        b.nextThrow = now + this.o.throwEverySec * 1000;
        b.wantPosition = true; // thrown once the next state says where the avatar is
      }
    }
  }

  /** Throws a sphere from 1.5 m above the avatar, ahead at 6 m/s and a little up. */
  private throwFrom(b: Bot): void {
    if (!b.at) return;
    const q = (m: number): bigint => BigInt(Math.round(m * 65536));
    const [hx, hz] = b.heading;
    this.send(b, {
      kind: 'spawn',
      shape: 0,
      position: [q(b.at[0] + hx), q(b.at[1] + 1.5), q(b.at[2] + hz)],
      velocity: [q(hx * 6), q(2), q(hz * 6)],
      size: [0n, 0n, 0n],
    });
    this.s.throws++;
  }

  private ping(): void {
    const now = performance.now();
    for (const b of this.bots) {
      if (!b.open || !b.publicId) continue;
      for (const [n, at] of b.pingSent) if (now - at > 10_000) b.pingSent.delete(n);
      const nonce = ++b.nonce;
      b.pingSent.set(nonce, now);
      this.send(b, { kind: 'ping', nonce });
    }
  }

  /** One progress line. */
  progress(): string {
    const s = this.summary();
    return `bots t=${s.seconds.toFixed(0)}s connected=${s.connectedAtEnd}/${s.bots} msgs in=${s.messagesIn} out=${s.messagesOut} latency p50=${s.latencyMsP50.toFixed(1)} p99=${s.latencyMsP99.toFixed(1)} ms errors=${s.errors} reconnects=${s.reconnects}`;
  }

  /** The figures so far (latency over the whole run). */
  summary(): BotSummary {
    const l = [...this.lat].sort((a, b) => a - b);
    const q = (p: number): number => (l.length ? l[Math.min(l.length - 1, Math.floor(p * l.length))] : 0);
    return {
      bots: this.bots.length,
      connectedAtEnd: this.bots.filter((b) => b.open && b.publicId).length,
      everConnected: this.bots.filter((b) => b.everConnected).length,
      ...this.s,
      latencyMsP50: q(0.5),
      latencyMsP99: q(0.99),
      latencyMsMax: l.length ? l[l.length - 1] : 0,
      errorCodes: { ...this.codes },
      seconds: (performance.now() - this.t0) / 1000,
    };
  }

  /** Stops every bot; resolves with the summary (also `done`). */
  async stop(): Promise<BotSummary> {
    if (!this.stopping) {
      this.stopping = true;
      const summary = this.summary();
      for (const t of this.timers) {
        clearTimeout(t);
        clearInterval(t);
      }
      for (const b of this.bots) b.ws?.close(1000, 'bots done');
      this.finish(summary);
    }
    return this.done;
  }
}

const WAYPOINTS: Array<[number, number]> = Array.from({ length: 8 }, (_, k) => [Math.cos((k * Math.PI) / 4) * 14, Math.sin((k * Math.PI) / 4) * 14]);
