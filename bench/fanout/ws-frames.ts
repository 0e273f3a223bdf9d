/**
 * Just enough RFC 6455 for thousands of benchmark clients per process over raw TCP sockets:
 * the upgrade request, a frame reader that works on whatever the socket read (partial frames
 * wait in a per-connection buffer), and client frames.
 *
 *   server frame:  0x8? op | len7 (| len16 | len64)  payload          (never masked, never
 *                                                                       fragmented by uWS)
 *   client frame:  0x80 | op, 0x80 | len7 (| len16), mask key 0 0 0 0, payload
 *
 * Client frames must be masked (section 5.3); the key here is all zeros, which the RFC allows
 * (the key should be unpredictable to defeat proxy cache poisoning, irrelevant on loopback) and
 * which leaves the payload bytes as they are: no XOR pass per frame.
 *
 * Messages whose only varying field is one u32 (an ack's tick, an input's seq) are built from a
 * template: the message is encoded twice with two marker values, the 4 bytes that differ are
 * the field, and each later frame is a copy of the template with that field written in place
 * (about 0.1 µs instead of a FlatBuffers build).
 */
import { randomBytes } from 'node:crypto';

/** Opcodes (RFC 6455 section 5.2). */
export const OP = { TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 } as const;

/** The HTTP/1.1 upgrade request for `path` with subprotocol `tessera.v4`. */
export function upgradeRequest(host: string, port: number, path: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: tessera.v4\r\n\r\n`
  );
}

/** A masked (zero key) client frame holding `payload`. */
export function clientFrame(op: number, payload: Uint8Array): Buffer {
  const n = payload.length;
  const head = n < 126 ? 6 : n < 65536 ? 8 : 14;
  const f = Buffer.allocUnsafe(head + n);
  f[0] = 0x80 | op;
  if (n < 126) {
    f[1] = 0x80 | n;
  } else if (n < 65536) {
    f[1] = 0x80 | 126;
    f.writeUInt16BE(n, 2);
  } else {
    f[1] = 0x80 | 127;
    f.writeUInt32BE(0, 2);
    f.writeUInt32BE(n, 6);
  }
  f.writeUInt32BE(0, head - 4); // mask key 0
  f.set(payload, head);
  return f;
}

/**
 * A frame whose payload has one u32 field: `make(v)` encodes the message with value v. Returns
 * a function writing a fresh frame for any v into `out` at `at` (the caller sizes `out` with
 * `length`). Throws Error when the two encodings differ anywhere but in 4 bytes holding the
 * markers (little-endian, as FlatBuffers stores them).
 */
export function u32FrameTemplate(op: number, make: (v: number) => Uint8Array): { length: number; write(out: Buffer, at: number, v: number): void } {
  const A = 0x5eed0a0b,
    B = 0x1c0ffee1;
  const a = make(A),
    b = make(B);
  if (a.length !== b.length) throw new Error('u32FrameTemplate: the encodings differ in length');
  let at = -1;
  for (let i = 0; i + 4 <= a.length; i++) {
    const va = a[i] | (a[i + 1] << 8) | (a[i + 2] << 16) | (a[i + 3] << 24);
    const vb = b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
    if (va >>> 0 === A && vb >>> 0 === B) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new Error('u32FrameTemplate: marker not found');
  for (let i = 0; i < a.length; i++) if ((i < at || i >= at + 4) && a[i] !== b[i]) throw new Error('u32FrameTemplate: the encodings differ outside the field');
  const frame = clientFrame(op, a);
  const field = frame.length - a.length + at;
  return {
    length: frame.length,
    write(out: Buffer, o: number, v: number): void {
      frame.copy(out, o);
      out.writeUInt32LE(v >>> 0, o + field);
    },
  };
}

/**
 * Reads server frames from successive socket reads. `feed(chunk, start, end)` calls `onFrame`
 * for every complete frame (payload = a view into the chunk or the pending buffer, valid only
 * during the call) and keeps a partial frame for the next read.
 */
export class FrameReader {
  private pend: Buffer | null = null;
  private pendLen = 0;

  constructor(private readonly onFrame: (op: number, data: Buffer, at: number, len: number) => void) {}

  feed(chunk: Buffer, start: number, end: number): void {
    if (this.pendLen === 0) {
      const used = this.parse(chunk, start, end);
      if (used < end) this.keep(chunk, used, end);
      return;
    }
    this.keep(chunk, start, end);
    const p = this.pend as Buffer;
    const used = this.parse(p, 0, this.pendLen);
    if (used > 0) {
      p.copy(p, 0, used, this.pendLen);
      this.pendLen -= used;
    }
    // A large message (a catch-up) grew the buffer: give it back once it is consumed, or
    // thousands of idle connections each keep megabytes.
    if (this.pendLen === 0 && p.length > 64 * 1024) this.pend = null;
  }

  /** Bytes waiting for the rest of their frame. */
  get pending(): number {
    return this.pendLen;
  }

  private keep(src: Buffer, from: number, to: number): void {
    const n = to - from;
    if (!this.pend || this.pend.length < this.pendLen + n) {
      const grown = Buffer.allocUnsafe(Math.max(4096, Math.ceil(1.5 * (this.pendLen + n))));
      if (this.pend) this.pend.copy(grown, 0, 0, this.pendLen);
      this.pend = grown;
    }
    src.copy(this.pend, this.pendLen, from, to);
    this.pendLen += n;
  }

  /** Parses complete frames in buf[p, end); returns where the first incomplete one starts. */
  private parse(buf: Buffer, p: number, end: number): number {
    while (end - p >= 2) {
      const b0 = buf[p],
        b1 = buf[p + 1];
      let len = b1 & 0x7f,
        head = 2;
      if (len === 126) {
        if (end - p < 4) break;
        len = buf.readUInt16BE(p + 2);
        head = 4;
      } else if (len === 127) {
        if (end - p < 10) break;
        len = buf.readUInt32BE(p + 6) + buf.readUInt32BE(p + 2) * 2 ** 32;
        head = 10;
      }
      if (b1 & 0x80) head += 4; // a masked server frame is a protocol error; skip the key
      if (end - p < head + len) break;
      this.onFrame(b0 & 0x0f, buf, p + head, len);
      p += head + len;
    }
    return p;
  }
}
