/**
 * The binary frames of an edge host's batched requests to the leader (issue 19, edge.ts): one
 * NATS request on `tessera.<world>.edge.batch` carries the joins, leaves and forwarded client
 * messages an edge gathered for a few ms, in the order its clients sent them; the reply carries
 * one answer per entry, in the same order. No JSON and no base64: a forwarded client message
 * travels as the bytes the client sent (the leader verifies them with decodeClient as it verifies
 * its own clients' frames).
 *
 * All integers little-endian. Strings: UTF-8.
 *
 * ```
 *  request   u8 version (1) | u16 count | count x entry
 *    entry   u8 op | u16 keyLen | key
 *              op 1 message: u32 len | len bytes (the ClientMessage as the client sent it)
 *              op 2 join:    u16 tokenLen | token | u16 addressLen | address
 *              op 3 leave:   (nothing)
 *  reply     u8 version (1) | u16 count | count x answer
 *            or u8 0xff | u16 code | u16 len | message        (the whole batch refused)
 *    answer  u8 0 refused:  u16 code | u16 len | message
 *            u8 1 message:  u32 open | u32 applied | u32 seq | u16 nErrors | nErrors x (u16 code | u16 len | message)
 *            u8 2 join:     f64 publicId
 *            u8 3 leave:    (nothing)
 * ```
 */
import { ERROR, type ErrorCode } from '../protocol/errors';
import type { EdgeReply } from '../net/edge-port';

/** Frame version of requests and replies. */
export const BATCH_VERSION = 1;
/** Most entries of one batch the leader takes (a larger one is refused whole, TOO_LARGE). */
export const BATCH_MAX_ENTRIES = 4096;
/** Most bytes of one batch frame the leader takes (NATS's default max_payload, 1 MiB). */
export const BATCH_MAX_BYTES = 1024 * 1024;

/** Entry operations of a batch. */
export const OP = { MESSAGE: 1, JOIN: 2, LEAVE: 3 } as const;

/** One entry of a batch (request side). */
export type BatchEntry =
  | { op: typeof OP.MESSAGE; key: string; bytes: Uint8Array }
  | { op: typeof OP.JOIN; key: string; token: string; address: string }
  | { op: typeof OP.LEAVE; key: string };

/** One answer of a batch reply, in the order of the entries. */
export type BatchAnswer =
  | { ok: false; code: ErrorCode; message: string }
  | { ok: true; op: typeof OP.MESSAGE; reply: EdgeReply }
  | { ok: true; op: typeof OP.JOIN; publicId: number }
  | { ok: true; op: typeof OP.LEAVE };

/** A frame that does not parse: its error code (BAD_MESSAGE, TOO_LARGE, BAD_VERSION) and why. */
export class BatchError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });
/** Longest string field (key, token, address, error message), bytes. */
const MAX_STRING = 0xffff;

/** Bytes `e` takes in a request frame (its key and token in UTF-8 at most 3 bytes a UTF-16 unit). */
export function entryBound(e: BatchEntry): number {
  const s = 3 + 3 * e.key.length;
  if (e.op === OP.MESSAGE) return s + 4 + e.bytes.byteLength;
  if (e.op === OP.JOIN) return s + 4 + 3 * (e.token.length + e.address.length);
  return s;
}

/** A growing byte writer. */
class Writer {
  buf: Uint8Array;
  view: DataView;
  at = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(Math.max(16, size));
    this.view = new DataView(this.buf.buffer);
  }
  private room(n: number): void {
    if (this.at + n <= this.buf.byteLength) return;
    const b = new Uint8Array(Math.max(this.buf.byteLength * 2, this.at + n));
    b.set(this.buf.subarray(0, this.at));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }
  u8(x: number): void {
    this.room(1);
    this.view.setUint8(this.at, x);
    this.at += 1;
  }
  u16(x: number): void {
    this.room(2);
    this.view.setUint16(this.at, x, true);
    this.at += 2;
  }
  u32(x: number): void {
    this.room(4);
    this.view.setUint32(this.at, x >>> 0, true);
    this.at += 4;
  }
  f64(x: number): void {
    this.room(8);
    this.view.setFloat64(this.at, x, true);
    this.at += 8;
  }
  bytes(b: Uint8Array): void {
    this.room(b.byteLength);
    this.buf.set(b, this.at);
    this.at += b.byteLength;
  }
  /** u16 length then the UTF-8 bytes; a string longer than 65,535 bytes is cut there. */
  str(s: string): void {
    let b = enc.encode(s);
    if (b.byteLength > MAX_STRING) b = b.subarray(0, MAX_STRING);
    this.u16(b.byteLength);
    this.bytes(b);
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }
}

/** A bounds-checked byte reader; every overrun is BatchError BAD_MESSAGE. */
class Reader {
  private readonly view: DataView;
  at = 0;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): void {
    if (this.at + n > this.buf.byteLength) throw new BatchError(ERROR.BAD_MESSAGE, `batch frame cut short at byte ${this.at}`);
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.at++);
  }
  u16(): number {
    this.need(2);
    const x = this.view.getUint16(this.at, true);
    this.at += 2;
    return x;
  }
  u32(): number {
    this.need(4);
    const x = this.view.getUint32(this.at, true);
    this.at += 4;
    return x;
  }
  f64(): number {
    this.need(8);
    const x = this.view.getFloat64(this.at, true);
    this.at += 8;
    return x;
  }
  /** `n` bytes, a view of the frame (not a copy). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }
  str(): string {
    const b = this.bytes(this.u16());
    try {
      return dec.decode(b);
    } catch {
      throw new BatchError(ERROR.BAD_MESSAGE, `batch frame: a string at byte ${this.at - b.byteLength} is not UTF-8`);
    }
  }
  end(): void {
    if (this.at !== this.buf.byteLength) throw new BatchError(ERROR.BAD_MESSAGE, `batch frame: ${this.buf.byteLength - this.at} bytes after the last entry`);
  }
}

/** Encodes a request frame of `entries` (at most BATCH_MAX_ENTRIES; the caller bounds the bytes with entryBound). */
export function encodeBatch(entries: readonly BatchEntry[]): Uint8Array {
  if (entries.length > BATCH_MAX_ENTRIES) throw new RangeError(`a batch holds at most ${BATCH_MAX_ENTRIES} entries`);
  let size = 3;
  for (const e of entries) size += entryBound(e);
  const w = new Writer(size);
  w.u8(BATCH_VERSION);
  w.u16(entries.length);
  for (const e of entries) {
    w.u8(e.op);
    w.str(e.key);
    if (e.op === OP.MESSAGE) {
      w.u32(e.bytes.byteLength);
      w.bytes(e.bytes);
    } else if (e.op === OP.JOIN) {
      w.str(e.token);
      w.str(e.address);
    }
  }
  return w.done();
}

/**
 * Decodes a request frame. The messages' bytes are views of `frame`. Throws BatchError:
 * TOO_LARGE (more than BATCH_MAX_BYTES bytes or BATCH_MAX_ENTRIES entries), BAD_VERSION (not
 * version 1), BAD_MESSAGE (cut short, an unknown op, bad UTF-8, bytes left over).
 */
export function decodeBatch(frame: Uint8Array): BatchEntry[] {
  if (frame.byteLength > BATCH_MAX_BYTES) throw new BatchError(ERROR.TOO_LARGE, `a batch is at most ${BATCH_MAX_BYTES} bytes (${frame.byteLength})`);
  const r = new Reader(frame);
  const version = r.u8();
  if (version !== BATCH_VERSION) throw new BatchError(ERROR.BAD_VERSION, `batch frame version ${version}, not ${BATCH_VERSION}`);
  const count = r.u16();
  if (count > BATCH_MAX_ENTRIES) throw new BatchError(ERROR.TOO_LARGE, `a batch holds at most ${BATCH_MAX_ENTRIES} entries (${count})`);
  const out: BatchEntry[] = [];
  for (let i = 0; i < count; i++) {
    const op = r.u8();
    const key = r.str();
    if (op === OP.MESSAGE) out.push({ op, key, bytes: r.bytes(r.u32()) });
    else if (op === OP.JOIN) out.push({ op, key, token: r.str(), address: r.str() });
    else if (op === OP.LEAVE) out.push({ op, key });
    else throw new BatchError(ERROR.BAD_MESSAGE, `batch entry ${i}: unknown op ${op}`);
  }
  r.end();
  return out;
}

/** Encodes a reply frame: one answer per entry of the request, in its order. */
export function encodeReply(answers: readonly BatchAnswer[]): Uint8Array {
  const w = new Writer(3 + answers.length * 16);
  w.u8(BATCH_VERSION);
  w.u16(answers.length);
  for (const a of answers) {
    if (!a.ok) {
      w.u8(0);
      w.u16(a.code);
      w.str(a.message);
    } else if (a.op === OP.MESSAGE) {
      w.u8(OP.MESSAGE);
      w.u32(a.reply.open);
      w.u32(a.reply.applied);
      w.u32(a.reply.seq);
      w.u16(Math.min(a.reply.errors.length, 0xffff));
      for (const e of a.reply.errors.slice(0, 0xffff)) {
        w.u16(e.code);
        w.str(e.message);
      }
    } else if (a.op === OP.JOIN) {
      w.u8(OP.JOIN);
      w.f64(a.publicId);
    } else w.u8(OP.LEAVE);
  }
  return w.done();
}

/** Encodes the refusal of a whole batch (a frame that does not parse): every entry gets `code`. */
export function encodeRefusal(code: ErrorCode, message: string): Uint8Array {
  const w = new Writer(5 + message.length * 3);
  w.u8(0xff);
  w.u16(code);
  w.str(message);
  return w.done();
}

/**
 * Decodes a reply frame to one answer per entry: a whole-batch refusal gives each of the
 * `count` entries that refusal. Throws BatchError BAD_MESSAGE when the frame does not parse or
 * its count is not `count`.
 */
export function decodeReply(frame: Uint8Array, count: number): BatchAnswer[] {
  const r = new Reader(frame);
  const version = r.u8();
  if (version === 0xff) {
    const code = r.u16() as ErrorCode;
    const message = r.str();
    return Array.from({ length: count }, () => ({ ok: false, code, message }));
  }
  if (version !== BATCH_VERSION) throw new BatchError(ERROR.BAD_MESSAGE, `reply frame version ${version}`);
  const n = r.u16();
  if (n !== count) throw new BatchError(ERROR.BAD_MESSAGE, `the reply holds ${n} answers for ${count} entries`);
  const out: BatchAnswer[] = [];
  for (let i = 0; i < n; i++) {
    const op = r.u8();
    if (op === 0) {
      const code = r.u16() as ErrorCode;
      out.push({ ok: false, code, message: r.str() });
    } else if (op === OP.MESSAGE) {
      const open = r.u32();
      const applied = r.u32();
      const seq = r.u32();
      const errors: EdgeReply['errors'] = [];
      for (let k = r.u16(); k > 0; k--) {
        const code = r.u16() as ErrorCode;
        errors.push({ code, message: r.str() });
      }
      out.push({ ok: true, op, reply: { errors, open, applied, seq } });
    } else if (op === OP.JOIN) out.push({ ok: true, op, publicId: r.f64() });
    else if (op === OP.LEAVE) out.push({ ok: true, op });
    else throw new BatchError(ERROR.BAD_MESSAGE, `reply answer ${i}: unknown op ${op}`);
  }
  r.end();
  return out;
}
