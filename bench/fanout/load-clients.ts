/**
 * Load clients: one process holds thousands of WebSocket clients on raw TCP sockets (forked by
 * run-fanout.ts: `node load-clients.js '<ClientProcConfig json>'`). No `ws`, no TesseraClient:
 * with thousands of clients per core their per-message cost would be what is measured.
 *
 *   every socket reads into one shared 256 KiB buffer (net `onread`; a partial frame is copied
 *   to the connection's own buffer) -> ws-frames.ts FrameReader -> onFrame
 *
 * Mode `tessera` (a Tessera client, reduced to what the host sees and the figures need):
 *   upgrade -> hello {token guest, stream world, privateId, lastKnownTick null, interest null}
 *   (the host then follows the client's avatar) -> welcome -> per tick: events, delta.
 *   Each message's envelope is read with the generated FlatBuffers accessors, without the
 *   verifier and without decoding bodies: the union tag and the tick (trusted host on
 *   loopback; a real client verifies and decodes, see src/client/client.ts). Every snapshot or
 *   delta is acknowledged at once (without acks the host sends snapshots), and an input
 *   (walk at full speed in one of 8 directions, a new direction every 2 s, seq + 1) goes out
 *   every `inputMs`, in the same write as an ack when one is due (else alone, from a 50 ms timer).
 *   lastKnownTick = the newest events tick, as in TesseraClient.
 * Mode `raw` (the ceiling's subscribers): upgrade, then count the messages of the current run
 *   (run id in the payload) and their latency (publish time in the payload).
 *
 * Requests (ipc.ts): grow {target, batch} opens clients until `target` are open (batches of
 * `batch` at once, each batch waits for its welcomes); mark {runId} starts a measurement window;
 * sample {hostTick} records every client's lag (hostTick - lastKnownTick); report {tickStarts}
 * ends the window (tickStarts: flat (tick, host start wall ms) pairs, for the latency of every
 * events and state message of those ticks); close ends every socket.
 */
import { connect as netConnect, type NetConnectOpts, type Socket } from 'node:net';
import * as flatbuffers from 'flatbuffers';
import * as S from '../../src/protocol/generated/server_generated';
import { encodeClient, decodeClient } from '../../src/protocol/codec';
import { PROTOCOL_VERSION } from '../../src/protocol/messages';
import { FrameReader, OP, clientFrame, u32FrameTemplate, upgradeRequest } from './ws-frames';
import { serve, log } from './ipc';
import { Hist, LoadMark, openFileLimits, wallNow, type ProcLoad, type SparseHist } from './stats';

/** What run-fanout passes to a client process. */
export interface ClientProcConfig {
  host: string;
  port: number;
  mode: 'tessera' | 'raw';
  /** Process number (part of every private id). */
  proc: number;
  /** Input period per client, ms (tessera mode). */
  inputMs: number;
  /** Time for one client to open (and be welcomed), ms. */
  connectTimeoutMs: number;
}

/** Figures of one measurement window of one client process. */
export interface ClientReport {
  proc: number;
  mode: 'tessera' | 'raw';
  clients: number;
  windowS: number;
  /** Per open client: events messages (tessera: new ticks) or run messages (raw) in the window. */
  perClientEvents: number[];
  /** Per open client: snapshots + deltas in the window. */
  perClientStates: number[];
  /** Snapshots after a client's first state (the host lost its acks, or skipped it for backpressure). */
  resnapshots: number;
  bytes: number;
  frames: number;
  /** Frame bytes (header + payload) and frames per message kind. */
  bytesByKind: Record<string, number>;
  framesByKind: Record<string, number>;
  /** Largest events / state payload seen, bytes. */
  maxEventsBytes: number;
  maxStateBytes: number;
  /** Arrival - host tick start (tessera) or - publish time (raw), ms. */
  eventsLatency: SparseHist;
  stateLatency: SparseHist;
  /** Arrivals whose tick had no start time (outside the host's window). */
  unmatched: number;
  /** hostTick - lastKnownTick per client per sample, ticks; and for the newest state. */
  lag: SparseHist;
  stateLag: SparseHist;
  samples: number;
  closes: Record<string, number>;
  errors: Record<string, number>;
  inputsSent: number;
  acksSent: number;
  load: ProcLoad;
  rss: number;
  /** Largest partial-frame backlog of one connection at report time, bytes. */
  maxPending: number;
}

const KIND = ['none', 'welcome', 'snapshot', 'delta', 'events', 'chat', 'ownership', 'adminResult', 'error', 'pong'];

interface Conn {
  k: number;
  sock: Socket;
  reader: FrameReader;
  state: 0 | 1 | 2 | 3; // 0 connecting, 1 upgrading, 2 open, 3 closed
  head: string;
  welcomed: boolean;
  publicId: number;
  lastEventsTick: number;
  lastStateTick: number;
  events: number;
  states: number;
  nextInputAt: number;
  seq: number;
  settle: ((err: string | null) => void) | null;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as ClientProcConfig;
const conns: Conn[] = [];
const READ = Buffer.allocUnsafe(256 * 1024);

// ---- message templates ----

const HELLO = (k: number): Buffer =>
  clientFrame(
    OP.BINARY,
    encodeClient({
      kind: 'hello',
      version: PROTOCOL_VERSION,
      token: 'guest',
      stream: 'world',
      privateId: `fan-${cfg.proc}-${k}`,
      lastKnownTick: null,
      interest: null,
    }),
  );
const ACK = u32FrameTemplate(OP.BINARY, (tick) => encodeClient({ kind: 'ack', tick }));
const DIRS = Array.from({ length: 8 }, (_, d) => {
  const a = (d * Math.PI) / 4;
  const walkX = Math.round(Math.cos(a) * 1000),
    walkZ = Math.round(Math.sin(a) * 1000);
  return u32FrameTemplate(OP.BINARY, (seq) => encodeClient({ kind: 'input', input: { seq, walkX, walkZ, jump: false } }));
});
const INPUT_LEN = DIRS[0].length;
{
  // the templates must decode to what they claim
  const b = Buffer.allocUnsafe(ACK.length);
  ACK.write(b, 0, 123456);
  const m = decodeClient(b.subarray(6));
  if (m.kind !== 'ack' || m.tick !== 123456) throw new Error('ack template');
  const i = Buffer.allocUnsafe(INPUT_LEN);
  DIRS[3].write(i, 0, 77);
  const n = decodeClient(i.subarray(6));
  if (n.kind !== 'input' || n.input.seq !== 77 || n.input.walkX !== -707 || n.input.walkZ !== 707) throw new Error('input template');
}

function direction(c: Conn, now: number): number {
  const leg = Math.floor((now + c.k * 137) / 2000);
  return (Math.imul(c.k + 1, 0x9e3779b1) ^ Math.imul(leg + 1, 0x85ebca6b)) >>> 29; // 0..7
}

// ---- window figures ----

let measuring = false;
let runId = -1;
let mark = new LoadMark();
let markAt = performance.now();
let bytes = 0,
  frames = 0,
  resnapshots = 0,
  inputsSent = 0,
  acksSent = 0,
  unmatched = 0,
  samples = 0,
  maxEventsBytes = 0,
  maxStateBytes = 0;
const bytesByKind = new Float64Array(KIND.length),
  framesByKind = new Float64Array(KIND.length);
const closes = new Map<string, number>(),
  errors = new Map<string, number>();
const eventsLatency = new Hist(0.25, 40_000),
  stateLatency = new Hist(0.25, 40_000);
const lag = new Hist(1, 100_000),
  stateLag = new Hist(1, 100_000);
/** Arrivals in the window: (tick, wall ms) pairs, events and states. */
let evArr = new Float64Array(1 << 16),
  evN = 0,
  stArr = new Float64Array(1 << 16),
  stN = 0;

function pushArrival(kind: 'ev' | 'st', tick: number, at: number): void {
  if (kind === 'ev') {
    if (evN + 2 > evArr.length) {
      const g = new Float64Array(evArr.length * 2);
      g.set(evArr);
      evArr = g;
    }
    evArr[evN++] = tick;
    evArr[evN++] = at;
  } else {
    if (stN + 2 > stArr.length) {
      const g = new Float64Array(stArr.length * 2);
      g.set(stArr);
      stArr = g;
    }
    stArr[stN++] = tick;
    stArr[stN++] = at;
  }
}

const bump = (m: Map<string, number>, k: string): void => {
  m.set(k, (m.get(k) ?? 0) + 1);
};

// ---- frames ----

const ROOT = new S.ServerMessage(),
  EVENTS = new S.ServerEvents(),
  DELTA = new S.ServerDelta(),
  SNAP = new S.ServerSnapshot(),
  WELCOME = new S.ServerWelcome(),
  ERR = new S.ServerError();

function onTesseraMessage(c: Conn, data: Buffer, at: number, len: number): void {
  const u8 = new Uint8Array(data.buffer, data.byteOffset + at, len);
  const buf = new flatbuffers.ByteBuffer(u8);
  const root = S.ServerMessage.getRootAsServerMessage(buf, ROOT);
  const type = root.payloadType();
  const frameBytes = len + (len < 126 ? 2 : len < 65536 ? 4 : 10);
  if (measuring) {
    bytes += frameBytes;
    frames++;
    bytesByKind[type] += frameBytes;
    framesByKind[type]++;
  }
  switch (type) {
    case S.ServerPayload.ServerEvents: {
      const tick = (root.payload(EVENTS) as S.ServerEvents).tick();
      if (tick > c.lastEventsTick) {
        c.lastEventsTick = tick;
        if (measuring) {
          c.events++;
          pushArrival('ev', tick, wallNow());
          if (len > maxEventsBytes) maxEventsBytes = len;
        }
      }
      return;
    }
    case S.ServerPayload.ServerDelta:
    case S.ServerPayload.ServerSnapshot: {
      const tick = type === S.ServerPayload.ServerDelta ? (root.payload(DELTA) as S.ServerDelta).tick() : (root.payload(SNAP) as S.ServerSnapshot).tick();
      if (measuring) {
        c.states++;
        pushArrival('st', tick, wallNow());
        if (len > maxStateBytes) maxStateBytes = len;
        if (type === S.ServerPayload.ServerSnapshot && c.lastStateTick >= 0) resnapshots++;
      }
      c.lastStateTick = tick;
      const now = performance.now();
      const withInput = now >= c.nextInputAt;
      const out = Buffer.allocUnsafe(ACK.length + (withInput ? INPUT_LEN : 0));
      ACK.write(out, 0, tick);
      if (withInput) {
        DIRS[direction(c, now)].write(out, ACK.length, ++c.seq);
        c.nextInputAt = Math.max(c.nextInputAt + cfg.inputMs, now);
        inputsSent++;
      }
      c.sock.write(out);
      acksSent++;
      return;
    }
    case S.ServerPayload.ServerWelcome:
      c.publicId = (root.payload(WELCOME) as S.ServerWelcome).publicId();
      c.welcomed = true;
      c.settle?.(null);
      return;
    case S.ServerPayload.ServerError:
      bump(errors, String((root.payload(ERR) as S.ServerError).code()));
      return;
    default:
      return;
  }
}

function onRawMessage(c: Conn, data: Buffer, at: number, len: number): void {
  if (len < 16 || data.readUInt32LE(at + 12) !== runId || !measuring) return;
  const frameBytes = len + (len < 126 ? 2 : len < 65536 ? 4 : 10);
  bytes += frameBytes;
  frames++;
  c.events++;
  eventsLatency.add(wallNow() - data.readDoubleLE(at + 4));
}

function onFrame(c: Conn, op: number, data: Buffer, at: number, len: number): void {
  switch (op) {
    case OP.BINARY:
      if (cfg.mode === 'tessera') onTesseraMessage(c, data, at, len);
      else onRawMessage(c, data, at, len);
      return;
    case OP.PING:
      c.sock.write(clientFrame(OP.PONG, data.subarray(at, at + len)));
      return;
    case OP.CLOSE: {
      const code = len >= 2 ? data.readUInt16BE(at) : 1005;
      bump(closes, String(code));
      c.state = 3;
      c.sock.end(clientFrame(OP.CLOSE, data.subarray(at, at + Math.min(2, len))));
      c.settle?.(`closed ${code}`);
      return;
    }
    default:
      return;
  }
}

// ---- connections ----

function open(k: number): Promise<string | null> {
  return new Promise((resolve) => {
    const c: Conn = {
      k,
      sock: null as unknown as Socket,
      reader: null as unknown as FrameReader,
      state: 0,
      head: '',
      welcomed: false,
      publicId: 0,
      lastEventsTick: -1,
      lastStateTick: -1,
      events: 0,
      states: 0,
      nextInputAt: performance.now() + Math.random() * cfg.inputMs,
      seq: 0,
      settle: null,
    };
    const timer = setTimeout(() => c.settle?.('timeout'), cfg.connectTimeoutMs);
    c.settle = (err) => {
      clearTimeout(timer);
      c.settle = null;
      if (err) {
        c.sock.destroy();
        c.state = 3;
      }
      resolve(err);
    };
    c.reader = new FrameReader((op, data, at, len) => onFrame(c, op, data, at, len));
    c.sock = netConnect({
      host: cfg.host,
      port: cfg.port,
      noDelay: true,
      onread: {
        buffer: READ,
        callback: (n: number, buf: Uint8Array): boolean => {
          const b = buf as Buffer;
          if (c.state === 1) {
            c.head += b.toString('latin1', 0, n);
            const end = c.head.indexOf('\r\n\r\n');
            if (end < 0) return true;
            if (!c.head.startsWith('HTTP/1.1 101')) {
              c.settle?.(`upgrade refused: ${c.head.split('\r\n')[0]}`);
              return true;
            }
            const rest = c.head.length - (end + 4); // latin1: one char per byte
            c.head = '';
            c.state = 2;
            if (cfg.mode === 'tessera') c.sock.write(HELLO(k));
            else {
              c.welcomed = true;
              c.settle?.(null);
            }
            if (rest > 0) c.reader.feed(b, n - rest, n);
            return true;
          }
          if (c.state === 2) c.reader.feed(b, 0, n);
          return true;
        },
      },
    } as NetConnectOpts);
    c.sock.on('connect', () => {
      c.state = 1;
      c.sock.write(upgradeRequest(cfg.host, cfg.port, '/ws'));
    });
    c.sock.on('error', (e: NodeJS.ErrnoException) => {
      bump(errors, e.code ?? e.message);
      c.settle?.(`socket error ${e.code ?? e.message}`);
    });
    c.sock.on('close', () => {
      if (c.state !== 3) bump(closes, 'tcp-close');
      c.state = 3;
      c.settle?.('closed before open');
    });
    conns.push(c);
  });
}

async function grow(target: number, batch: number): Promise<{ open: number; failed: number; ms: number; reasons: string[] }> {
  const t0 = performance.now();
  let failed = 0;
  const reasons: string[] = [];
  while (openCount() < target) {
    const n = Math.min(batch, target - openCount());
    const base = conns.length;
    const res = await Promise.all(Array.from({ length: n }, (_, i) => open(base + i)));
    for (const r of res)
      if (r) {
        failed++;
        if (reasons.length < 5) reasons.push(r);
      }
    if (failed > Math.max(50, target * 0.05)) break;
  }
  return { open: openCount(), failed, ms: performance.now() - t0, reasons };
}

function openCount(): number {
  let n = 0;
  for (const c of conns) if (c.state === 2 && c.welcomed) n++;
  return n;
}

// inputs for clients that did not get a state to piggyback on (host stalled or skipping them)
setInterval(() => {
  if (cfg.mode !== 'tessera') return;
  const now = performance.now();
  for (const c of conns) {
    if (c.state !== 2 || !c.welcomed || now < c.nextInputAt + 100) continue;
    const out = Buffer.allocUnsafe(INPUT_LEN);
    DIRS[direction(c, now)].write(out, 0, ++c.seq);
    c.nextInputAt = now + cfg.inputMs;
    c.sock.write(out);
    inputsSent++;
  }
}, 50);

function startWindow(id: number): void {
  runId = id;
  measuring = true;
  mark = new LoadMark();
  markAt = performance.now();
  bytes = frames = resnapshots = inputsSent = acksSent = unmatched = samples = maxEventsBytes = maxStateBytes = 0;
  bytesByKind.fill(0);
  framesByKind.fill(0);
  closes.clear();
  errors.clear();
  eventsLatency.clear();
  stateLatency.clear();
  lag.clear();
  stateLag.clear();
  evN = stN = 0;
  for (const c of conns) {
    c.events = 0;
    c.states = 0;
  }
}

function report(tickStarts: number[]): ClientReport {
  measuring = false;
  const windowS = (performance.now() - markAt) / 1000;
  const load = mark.since();
  if (cfg.mode === 'tessera') {
    const start = new Map<number, number>();
    for (let i = 0; i + 1 < tickStarts.length; i += 2) start.set(tickStarts[i], tickStarts[i + 1]);
    for (let i = 0; i < evN; i += 2) {
      const s = start.get(evArr[i]);
      if (s === undefined) unmatched++;
      else eventsLatency.add(evArr[i + 1] - s);
    }
    for (let i = 0; i < stN; i += 2) {
      const s = start.get(stArr[i]);
      if (s === undefined) unmatched++;
      else stateLatency.add(stArr[i + 1] - s);
    }
  }
  const live = conns.filter((c) => c.state === 2 && c.welcomed);
  const byKind = (a: Float64Array): Record<string, number> => Object.fromEntries(KIND.map((k, i) => [k, a[i]]).filter(([, v]) => (v as number) > 0));
  return {
    proc: cfg.proc,
    mode: cfg.mode,
    clients: live.length,
    windowS,
    perClientEvents: live.map((c) => c.events),
    perClientStates: live.map((c) => c.states),
    resnapshots,
    bytes,
    frames,
    bytesByKind: byKind(bytesByKind),
    framesByKind: byKind(framesByKind),
    maxEventsBytes,
    maxStateBytes,
    eventsLatency: eventsLatency.sparse(),
    stateLatency: stateLatency.sparse(),
    unmatched,
    lag: lag.sparse(),
    stateLag: stateLag.sparse(),
    samples,
    closes: Object.fromEntries(closes),
    errors: Object.fromEntries(errors),
    inputsSent,
    acksSent,
    load,
    rss: process.memoryUsage().rss,
    maxPending: live.reduce((m, c) => Math.max(m, c.reader.pending), 0),
  };
}

serve(async (m) => {
  switch (m.cmd) {
    case 'hello':
      return { pid: process.pid, files: openFileLimits() };
    case 'grow':
      return grow(Number(m.target), Number(m.batch));
    case 'mark':
      startWindow(Number(m.runId ?? -1));
      return { at: wallNow() };
    case 'sample': {
      const h = Number(m.hostTick);
      for (const c of conns) {
        if (c.state !== 2 || !c.welcomed) continue;
        lag.add(h - c.lastEventsTick);
        stateLag.add(h - c.lastStateTick);
      }
      samples++;
      return { at: wallNow() };
    }
    case 'report':
      return report((m.tickStarts as number[] | undefined) ?? []);
    case 'close':
      for (const c of conns)
        if (c.state !== 3) {
          c.state = 3;
          c.sock.destroy();
        }
      setTimeout(() => process.exit(0), 50);
      return { closed: conns.length };
    default:
      throw new Error(`unknown command ${m.cmd}`);
  }
});
log(`ready (${cfg.mode}, open files ${JSON.stringify(openFileLimits())})`);
