/**
 * Helpers for tests over real sockets on loopback: a raw WebSocket that records decoded
 * server messages and its close, and HTTP calls.
 */
import WebSocket from 'ws';
import { request as httpRequest } from 'node:http';
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { decodeServer, encodeClient } from '../../src/protocol/codec';
import { PROTOCOL_VERSION, type ClientMessage, type ServerMessage } from '../../src/protocol/messages';

/** A raw client: sends ClientMessages, records ServerMessages and how it closed. */
export class RawClient {
  readonly messages: ServerMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  upgradeStatus = 0;
  readonly ws: WebSocket;
  readonly opened: Promise<boolean>;
  readonly done: Promise<{ code: number; reason: string }>;

  constructor(url: string, opts: { protocols?: string[]; headers?: Record<string, string> } = {}) {
    this.ws = new WebSocket(url, opts.protocols ?? ['tessera.v4'], { headers: opts.headers });
    this.ws.binaryType = 'arraybuffer';
    this.ws.on('message', (data: ArrayBuffer, isBinary: boolean) => {
      if (isBinary) this.messages.push(decodeServer(new Uint8Array(data)));
    });
    let refused: (status: number) => void = () => {};
    this.opened = new Promise((resolve) => {
      this.ws.once('open', () => resolve(true));
      this.ws.once('error', () => resolve(false));
      refused = () => resolve(false);
    });
    this.done = new Promise((resolve) => {
      this.ws.once('close', (code: number, reason: Buffer) => {
        this.closed = { code, reason: reason.toString() };
        resolve(this.closed);
      });
      this.ws.once('error', () => {
        if (!this.closed) {
          this.closed = { code: -1, reason: 'error' };
          resolve(this.closed);
        }
      });
    });
    // With this listener ws emits no 'error' for a refused upgrade: record the status and end.
    this.ws.on('unexpected-response', (req, res) => {
      this.upgradeStatus = res.statusCode ?? 0;
      res.resume();
      req.destroy();
      refused(this.upgradeStatus);
    });
  }

  send(m: ClientMessage): void {
    this.ws.send(encodeClient(m));
  }
  sendRaw(b: Uint8Array | string): void {
    this.ws.send(b);
  }

  hello(over: Partial<Extract<ClientMessage, { kind: 'hello' }>> = {}): void {
    this.send({
      kind: 'hello',
      version: PROTOCOL_VERSION,
      token: 'guest',
      stream: 'world',
      privateId: `p${Math.random()}`,
      lastKnownTick: null,
      interest: null,
      ...over,
    });
  }

  of<K extends ServerMessage['kind']>(kind: K): Array<Extract<ServerMessage, { kind: K }>> {
    return this.messages.filter((m) => m.kind === kind) as Array<Extract<ServerMessage, { kind: K }>>;
  }

  /** Resolves when `pred` holds (polled every 10 ms); rejects after `ms`. */
  async until(pred: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
    await waitFor(pred, ms, what);
  }

  close(): void {
    this.ws.close();
  }
}

/** Polls `pred` every 10 ms; rejects with `what` after `ms`. */
export async function waitFor(pred: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An HTTP request without keep-alive (so no socket outlives the test); returns status, parsed JSON and the response headers. */
export function request(
  method: string,
  url: string,
  body = '',
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, json, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** POST with a body; returns status and parsed JSON. */
export function post(url: string, body: string): Promise<{ status: number; json: any }> {
  return request('POST', url, body);
}

/**
 * A WebSocket client that stops reading after the handshake and its first messages: a raw
 * TCP socket (the `ws` package resumes paused sockets on its own), upgrade by hand, client
 * frames masked as RFC 6455 section 5.3 requires. `frames` are sent right after the upgrade.
 */
export function connectNonReader(port: number, frames: Uint8Array[]): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(port, '127.0.0.1', () => {
      sock.write(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: tessera.v4\r\n\r\n`,
      );
    });
    let head = '';
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      sock.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) {
        reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        return;
      }
      for (const f of frames) sock.write(maskedFrame(f));
      sock.pause();
      resolve(sock);
    };
    sock.on('data', onData);
    sock.on('error', reject);
  });
}

function maskedFrame(payload: Uint8Array): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x82, 0x80 | len]) : Buffer.from([0x82, 0x80 | 126, len >> 8, len & 0xff]);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

/** A TCP port on 127.0.0.1 nobody listens on now (for a process that must listen where clients reconnect). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/**
 * A RawClient joined as a guest to `url` (ws://host:port/ws): hello with `privateId`, its welcome
 * awaited (`timeoutMs`), `publicId` set from it; pushed to `track` so the test can close it.
 */
export async function joinGuest(url: string, privateId: string, track: RawClient[], timeoutMs = 10_000): Promise<RawClient & { publicId: number }> {
  const c = new RawClient(url) as RawClient & { publicId: number };
  track.push(c);
  await c.opened;
  c.hello({ token: 'guest', privateId });
  await c.until(() => c.of('welcome').length > 0, timeoutMs, `welcome of ${privateId}`);
  c.publicId = c.of('welcome')[0].publicId;
  return c;
}

/** The highest input seq the host acknowledged to a RawClient in its snapshots and deltas (0 before any). */
export function ackedSeq(c: RawClient): number {
  return Math.max(0, ...c.messages.map((m) => (m.kind === 'delta' || m.kind === 'snapshot' ? (m.inputSeq ?? 0) : 0)));
}
