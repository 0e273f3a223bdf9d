/**
 * FlatBuffers verifier for the three roots (ClientMessage "TSCL", ServerMessage "TSSV",
 * ShardMessage "TSSH"). The JavaScript FlatBuffers runtime has no verifier: its accessors
 * read whatever offsets a buffer holds (garbage, or `undefined` bytes read as 0). Nothing
 * untrusted is handed to the generated code before verifyClient / verifyServer / verifyShard
 * accepts it. The walk follows the C++ `flatbuffers::Verifier` (flatbuffers/verifier.h), driven by
 * the descriptors of descriptors.ts, and is stricter in a few places (noted below).
 *
 * What is checked, with the ProtocolError reason (code ERROR.BAD_MESSAGE) it fails with:
 *
 * ```
 *  TOO_LARGE      length > maxBytes (default 1 MiB); more than maxTables tables; the bytes of
 *                 all verified tables, strings and vectors add up to more than 4 x length
 *                 (shared sub-objects re-verified over and over: bounds the work)
 *  TOO_SHORT      length < 8 (root uoffset + file identifier)
 *  BAD_IDENTIFIER bytes 4..8 differ from the root's file identifier
 *  MISALIGNED     a uoffset, table, string or vector length not 4-aligned; a vtable not
 *                 2-aligned; a scalar not aligned to its size; a struct (or the elements of
 *                 a vector of structs) not aligned to the struct's alignment
 *  OUT_OF_BOUNDS  any uoffset 0, >= 2^31 or landing outside the buffer; a table, vtable,
 *                 field, string (with its NUL) or vector (length x element size, compared
 *                 by division so nothing is multiplied or allocated first) past the end
 *  BAD_VTABLE     vtable size < 4, odd or > 32767; table inline size < 4 or > 32767; a
 *                 present field's offset < 4 or its value not inside the table's inline size
 *  BAD_UTF8       a string that is not strict UTF-8 (RFC 3629: no overlongs, no surrogates,
 *                 nothing above U+10FFFF, no truncated sequence) or lacks its NUL terminator
 *  BAD_UNION      union tag not a member; tag set without a value or a value without a tag
 *  TOO_DEEP       tables nested deeper than maxDepth (default 16)
 *  MISSING_FIELD  a `(required)` field absent
 *  BAD_VALUE      a bool byte other than 0/1; an enum byte that is not a declared value
 * ```
 *
 * Limits of 32767 on vtable and table sizes: the runtime reads both as signed 16-bit
 * (ByteBuffer.__offset uses readInt16), so a larger value would be read differently by the
 * verifier and by the accessors. Likewise uoffsets and lengths are read as signed 32-bit by
 * the runtime, hence the 2^31 bound. Fields the descriptors do not know (ids past the last
 * one: a newer peer's additions) are skipped, as the C++ verifier does; the generated
 * accessors never read them.
 *
 * The verifier allocates nothing on success (it reads bytes with shifts, no DataView, no
 * subarray) and only the ProtocolError on failure (without a stack trace: protocolError). It is not re-entrant (module state), which
 * JavaScript's single thread makes safe.
 */
import { ERROR, ProtocolError, type ErrorCode } from './errors';
import { CLIENT_ROOT, SERVER_ROOT, SHARD_ROOT, LOG_ROOT, FIELD_CODE, type RootDesc, type TableDesc, type TableField, type ByteCheck } from './descriptors';

/** Limits of one verification. */
export interface VerifyOptions {
  /** Largest accepted buffer in bytes (default DEFAULT_MAX_BYTES = 1 MiB). At most 2^31 - 1. */
  maxBytes?: number;
  /** Deepest table nesting (the root is depth 1; default DEFAULT_MAX_DEPTH = 16). */
  maxDepth?: number;
  /** Most tables in one buffer, vector elements included (default DEFAULT_MAX_TABLES = 100,000). */
  maxTables?: number;
}

/** Default largest buffer: 1 MiB. */
export const DEFAULT_MAX_BYTES = 1 << 20;
/** Default nesting depth limit (these schemas need 3: root, payload, events/records). */
export const DEFAULT_MAX_DEPTH = 16;
/** Default table count limit. */
export const DEFAULT_MAX_TABLES = 100_000;
/** Smallest possible buffer: root uoffset (4) and file identifier (4). */
export const MIN_BYTES = 8;
/** Verified object bytes may add up to at most this many times the buffer length. */
export const WORK_FACTOR = 4;

// Module state of the verification in progress (reset by verifyBuffer).
let b: Uint8Array = new Uint8Array(0);
let n = 0;
let tables = 0;
let maxTables = DEFAULT_MAX_TABLES;
let maxDepth = DEFAULT_MAX_DEPTH;
let budget = 0;

/**
 * A ProtocolError without a stack trace: a rejection's reason and message say everything, and
 * capturing the stack made up most of the cost of rejecting a buffer (~3.7 of ~4 µs here).
 * Error.stackTraceLimit is V8's (Node, Chrome); elsewhere the assignment is harmless.
 */
export function protocolError(code: ErrorCode, reason: string, message: string): ProtocolError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ProtocolError(code, reason, message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function fail(reason: string, message: string): never {
  throw protocolError(ERROR.BAD_MESSAGE, reason, message);
}

// Little-endian reads of bytes already checked to be inside the buffer.
function u16(o: number): number {
  return b[o] | (b[o + 1] << 8);
}
function i32(o: number): number {
  return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
}

/**
 * Verifies `bytes` as a buffer of `root` and returns the byte position of the root table.
 * Throws ProtocolError (ERROR.BAD_MESSAGE, reason as in the module comment) on the first
 * failed check. Offsets are relative to bytes[0] (bytes.byteOffset does not matter).
 */
export function verifyBuffer(bytes: Uint8Array, root: RootDesc, options?: VerifyOptions): number {
  const maxBytes = Math.min(options?.maxBytes ?? DEFAULT_MAX_BYTES, 0x7fffffff);
  const len = bytes.length;
  if (len > maxBytes) fail('TOO_LARGE', `${root.table.name}: ${len} bytes, the limit is ${maxBytes}`);
  if (len < MIN_BYTES) fail('TOO_SHORT', `${root.table.name}: ${len} bytes, at least ${MIN_BYTES} needed`);
  b = bytes;
  n = len;
  tables = 0;
  maxTables = options?.maxTables ?? DEFAULT_MAX_TABLES;
  maxDepth = options?.maxDepth ?? DEFAULT_MAX_DEPTH;
  budget = WORK_FACTOR * len;
  try {
    const id = root.identifier;
    if (b[4] !== id.charCodeAt(0) || b[5] !== id.charCodeAt(1) || b[6] !== id.charCodeAt(2) || b[7] !== id.charCodeAt(3)) {
      fail('BAD_IDENTIFIER', `${root.table.name}: file identifier is not "${id}"`);
    }
    const pos = offsetTarget(0, 'root offset');
    verifyTable(pos, root.table, 1);
    return pos;
  } finally {
    b = EMPTY; // drop the reference to the caller's buffer
  }
}
const EMPTY = new Uint8Array(0);

/** verifyBuffer for ClientMessage ("TSCL"). */
export function verifyClient(bytes: Uint8Array, options?: VerifyOptions): number {
  return verifyBuffer(bytes, CLIENT_ROOT, options);
}
/** verifyBuffer for ServerMessage ("TSSV"). */
export function verifyServer(bytes: Uint8Array, options?: VerifyOptions): number {
  return verifyBuffer(bytes, SERVER_ROOT, options);
}
/** verifyBuffer for ShardMessage ("TSSH"). */
export function verifyShard(bytes: Uint8Array, options?: VerifyOptions): number {
  return verifyBuffer(bytes, SHARD_ROOT, options);
}
/** verifyBuffer for LogTick ("TSLG", the replicated world log: src/replica/log-codec.ts). */
export function verifyLog(bytes: Uint8Array, options?: VerifyOptions): number {
  return verifyBuffer(bytes, LOG_ROOT, options);
}

/** The position a uoffset at `at` points to, after checking `at` and the target. */
function offsetTarget(at: number, what: string): number {
  if (at & 3) fail('MISALIGNED', `${what} at ${at} is not 4-aligned`);
  if (at + 4 > n) fail('OUT_OF_BOUNDS', `${what} at ${at} is past the end (${n} bytes)`);
  const off = i32(at);
  // signed read: >= 2^31 is negative; 0 would point at the offset itself
  if (off <= 0 || off >= n - at) fail('OUT_OF_BOUNDS', `${what} at ${at}: offset ${off >>> 0} leaves the buffer (${n} bytes)`);
  return at + off;
}

function spend(bytes: number, what: string): void {
  budget -= bytes;
  if (budget < 0) fail('TOO_LARGE', `${what}: verified objects add up to more than ${WORK_FACTOR} x the buffer length (shared sub-objects)`);
}

function verifyTable(pos: number, table: TableDesc, depth: number): void {
  if (depth > maxDepth) fail('TOO_DEEP', `${table.name} at ${pos}: nesting depth ${depth} > ${maxDepth}`);
  if (++tables > maxTables) fail('TOO_LARGE', `${table.name} at ${pos}: more than ${maxTables} tables`);
  if (pos & 3) fail('MISALIGNED', `${table.name} at ${pos} is not 4-aligned`);
  if (pos + 4 > n) fail('OUT_OF_BOUNDS', `${table.name} at ${pos} is past the end`);
  const vt = pos - i32(pos);
  if (vt < 0 || vt + 4 > n) fail('OUT_OF_BOUNDS', `${table.name} at ${pos}: vtable at ${vt} is outside the buffer`);
  if (vt & 1) fail('MISALIGNED', `${table.name} at ${pos}: vtable at ${vt} is not 2-aligned`);
  const vtSize = u16(vt);
  const size = u16(vt + 2);
  if (vtSize < 4 || vtSize & 1 || vtSize > 0x7fff) fail('BAD_VTABLE', `${table.name} at ${pos}: vtable size ${vtSize}`);
  if (vt + vtSize > n) fail('OUT_OF_BOUNDS', `${table.name} at ${pos}: vtable at ${vt} of ${vtSize} bytes passes the end`);
  if (size < 4 || size > 0x7fff) fail('BAD_VTABLE', `${table.name} at ${pos}: table size ${size}`);
  if (pos + size > n) fail('OUT_OF_BOUNDS', `${table.name} at ${pos} of ${size} bytes passes the end`);
  spend(size, table.name);
  const slots = (vtSize - 4) >> 1;
  const fields = table.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const voff = f.id < slots ? u16(vt + 4 + 2 * f.id) : 0;
    if (f.code === FIELD_CODE.UNION) {
      verifyUnion(pos, vt, size, slots, voff, f, table, depth);
      continue;
    }
    if (voff === 0) {
      if (f.required) fail('MISSING_FIELD', `${table.name}.${f.name} is required`);
      continue;
    }
    const at = fieldAt(pos, size, voff, f.size, f.align, table, f);
    switch (f.code) {
      case FIELD_CODE.SCALAR:
        if (f.check !== 0) checkByte(at, f.valid, f.path);
        break;
      case FIELD_CODE.STRUCT: {
        const st = f.type as { checks: readonly ByteCheck[] };
        checkStruct(at, st.checks);
        break;
      }
      case FIELD_CODE.STRING:
        verifyString(offsetTarget(at, f.path), f.path);
        break;
      case FIELD_CODE.TABLE:
        verifyTable(offsetTarget(at, f.path), f.table as TableDesc, depth + 1);
        break;
      default:
        verifyVector(offsetTarget(at, f.path), f, f.path, depth);
    }
  }
}

/** Position of a present field after checking it lies inside the table and is aligned. */
function fieldAt(pos: number, size: number, voff: number, fsize: number, falign: number, table: TableDesc, f: TableField): number {
  if (voff < 4 || voff + fsize > size) fail('BAD_VTABLE', `${table.name}.${f.name}: field offset ${voff} (+${fsize}) outside the table's ${size} bytes`);
  const at = pos + voff;
  if (at % falign !== 0) fail('MISALIGNED', `${table.name}.${f.name} at ${at} is not ${falign}-aligned`);
  return at;
}

function checkByte(at: number, valid: Uint8Array | null, path: string): void {
  const v = b[at];
  if (valid === null ? v > 1 : valid[v] !== 1) fail('BAD_VALUE', `${path} at ${at}: ${v} is not a valid ${valid === null ? 'bool (0 or 1)' : 'enum value'}`);
}

function checkStruct(at: number, checks: readonly ByteCheck[]): void {
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i];
    checkByte(at + c.offset, c.valid, c.path);
  }
}

function verifyUnion(pos: number, vt: number, size: number, slots: number, voff: number, f: TableField, table: TableDesc, depth: number): void {
  const u = f.union!;
  const tagId = f.id - 1;
  const tagOff = tagId < slots ? u16(vt + 4 + 2 * tagId) : 0;
  let tag = 0;
  if (tagOff !== 0) {
    if (tagOff < 4 || tagOff + 1 > size) fail('BAD_VTABLE', `${table.name}.${f.name}_type: field offset ${tagOff} outside the table's ${size} bytes`);
    tag = b[pos + tagOff];
  }
  if (tag === 0 && voff === 0) {
    if (f.required) fail('MISSING_FIELD', `${table.name}.${f.name} is required`);
    return;
  }
  if (tag === 0) fail('BAD_UNION', `${table.name}.${f.name}: a value without a type (NONE)`);
  if (tag > u.members.length) fail('BAD_UNION', `${table.name}.${f.name}: type ${tag} is not a member of ${u.name} (1..${u.members.length})`);
  if (voff === 0) fail('BAD_UNION', `${table.name}.${f.name}: type ${u.members[tag - 1].name} without a value`);
  const at = fieldAt(pos, size, voff, 4, 4, table, f);
  verifyTable(offsetTarget(at, f.path), u.members[tag - 1], depth + 1);
}

/** Checks a vector's length word at `t` and that `count` elements of `elemSize` fit; returns the count. */
function vectorLength(t: number, elemSize: number, what: string): number {
  if (t & 3) fail('MISALIGNED', `${what}: vector at ${t} is not 4-aligned`);
  if (t + 4 > n) fail('OUT_OF_BOUNDS', `${what}: vector at ${t} is past the end`);
  const count = i32(t) >>> 0;
  // count * elemSize <= n - (t + 4), written as a division so no product is formed
  if (count > Math.floor((n - t - 4) / elemSize)) fail('OUT_OF_BOUNDS', `${what}: vector of ${count} x ${elemSize} bytes at ${t} passes the end (${n} bytes)`);
  spend(4 + count * elemSize, what);
  return count;
}

function verifyString(t: number, what: string): void {
  if (t & 3) fail('MISALIGNED', `${what}: string at ${t} is not 4-aligned`);
  if (t + 4 > n) fail('OUT_OF_BOUNDS', `${what}: string at ${t} is past the end`);
  const len = i32(t) >>> 0;
  if (len > n - t - 5) fail('OUT_OF_BOUNDS', `${what}: string of ${len} bytes (and its NUL) at ${t} passes the end (${n} bytes)`);
  spend(5 + len, what);
  const start = t + 4,
    end = start + len;
  if (b[end] !== 0) fail('BAD_UTF8', `${what}: string at ${t} lacks its NUL terminator`);
  const bad = utf8Error(start, end);
  if (bad >= 0) fail('BAD_UTF8', `${what}: string at ${t} is not valid UTF-8 (byte ${bad - start})`);
}

/**
 * Index of the first byte of an invalid UTF-8 sequence in b[start, end), or -1. Well-formed
 * sequences are those of the Unicode Standard, table 3-7: 00..7F; C2..DF 80..BF; E0 A0..BF
 * 80..BF; E1..EC 80..BF x2; ED 80..9F 80..BF (no surrogates); EE..EF 80..BF x2; F0 90..BF
 * 80..BF x2; F1..F3 80..BF x3; F4 80..8F 80..BF x2.
 */
function utf8Error(start: number, end: number): number {
  let i = start;
  while (i < end) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c < 0xc2) return i; // continuation byte or overlong 2-byte lead
    if (c < 0xe0) {
      if (i + 1 >= end || (b[i + 1] & 0xc0) !== 0x80) return i;
      i += 2;
      continue;
    }
    if (c < 0xf0) {
      if (i + 2 >= end) return i;
      const c1 = b[i + 1];
      const lo = c === 0xe0 ? 0xa0 : 0x80,
        hi = c === 0xed ? 0x9f : 0xbf;
      if (c1 < lo || c1 > hi || (b[i + 2] & 0xc0) !== 0x80) return i;
      i += 3;
      continue;
    }
    if (c < 0xf5) {
      if (i + 3 >= end) return i;
      const c1 = b[i + 1];
      const lo = c === 0xf0 ? 0x90 : 0x80,
        hi = c === 0xf4 ? 0x8f : 0xbf;
      if (c1 < lo || c1 > hi || (b[i + 2] & 0xc0) !== 0x80 || (b[i + 3] & 0xc0) !== 0x80) return i;
      i += 4;
      continue;
    }
    return i; // F5..FF
  }
  return -1;
}

function verifyVector(t: number, f: TableField, what: string, depth: number): void {
  switch (f.code) {
    case FIELD_CODE.VECTOR_INLINE: {
      const count = vectorLength(t, f.elemSize, what);
      if (f.elemAlign > 4 && (t + 4) % f.elemAlign !== 0) fail('MISALIGNED', `${what}: elements at ${t + 4} are not ${f.elemAlign}-aligned`);
      const checks = f.elemChecks;
      if (checks.length > 0) {
        for (let i = 0, at = t + 4; i < count; i++, at += f.elemSize) checkStruct(at, checks);
      }
      return;
    }
    case FIELD_CODE.VECTOR_STRING: {
      const count = vectorLength(t, 4, what);
      for (let i = 0, at = t + 4; i < count; i++, at += 4) verifyString(offsetTarget(at, what), what);
      return;
    }
    case FIELD_CODE.VECTOR_TABLE: {
      const count = vectorLength(t, 4, what);
      for (let i = 0, at = t + 4; i < count; i++, at += 4) verifyTable(offsetTarget(at, what), f.table!, depth + 1);
      return;
    }
  }
}
