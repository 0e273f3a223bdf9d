/**
 * Packed deltas (issue 22; docs/protocol.md section 7.2): the changed bodies of a delta as
 * per-field differences against the state the client holds for them at the delta's base tick,
 * instead of a full 36-byte BodyState each. This is the delta compression of the Quake 3 network
 * model (the server diffs each entity against the client's last acknowledged snapshot and sends a
 * bit per field that changed, then only those fields; id Software's Quake III Arena source,
 * `MSG_WriteDeltaEntity`) and of Glenn Fiedler's "Snapshot Compression" (gafferongames.com, 2015:
 * a changed bit per field and small differences written in few bits). The quantisation is the
 * BodyState's own (docs/protocol.md section 14), so the rebuilt state is bit-identical to the one a
 * full BodyState would carry.
 *
 * Byte layout of ServerDelta.packed: one record per body, in ascending slot order, nothing else:
 *
 *   gap     varint   slot - previous record's slot - 1 (the first record: slot itself)
 *   mask    varint   which fields changed, bit b = FIELD_OF_BIT[b] (never 0, no bit >= 11)
 *   deltas  varint   for each set bit, low bit first: zig-zag(new - base) of that field
 *
 * Fields by mask bit: 0 px, 1 py, 2 pz (1/1024 m), 3 vx, 4 vy, 5 vz (1/256 m/s), 6 shard,
 * 7 qx, 8 qy, 9 qz, 10 qw (x 32768): position and velocity in the first 7 bits so that a body that
 * moves without turning (an avatar) has a one-byte mask. A varint is little-endian base 128 (7
 * bits a byte, high bit = more follows, at most 5 bytes; as in Protocol Buffers); zig-zag maps
 * d >= 0 to 2d and d < 0 to -2d - 1. The body's index is the record's slot and its generation is
 * the base's (a body whose generation differs is new to the client and goes in full in `bodies`).
 *
 * Sizes: a body that moved but did not turn takes about 1 + 1 + 3 x 2 + 3 x 1 = 11 bytes; one that
 * also turned about 16 to 20; at most 1 + 2 + 3 x 5 + 8 x 3 = 42 bytes (never in practice: a
 * position difference over 2^27 units is 131 km).
 */
import type { BodyState } from '../protocol/messages';
import { ERROR } from '../protocol/errors';
import { protocolError } from '../protocol/verify';

/** Fields a record may carry (mask bits). */
export const PACKED_FIELDS = 11;
/** Row offset (STATE_ROW_STRIDE row: index, generation, px, py, pz, qx, qy, qz, qw, vx, vy, vz, shard) of each mask bit's field. */
export const FIELD_OF_BIT: readonly number[] = [2, 3, 4, 9, 10, 11, 12, 5, 6, 7, 8];
/** BodyState key of each mask bit's field. */
const KEY_OF_BIT = ['px', 'py', 'pz', 'vx', 'vy', 'vz', 'shard', 'qx', 'qy', 'qz', 'qw'] as const;
/** Inclusive range of each mask bit's field (i32 positions, i16 velocities and rotations, u8 shard). */
const MIN_OF_BIT = [-2147483648, -2147483648, -2147483648, -32768, -32768, -32768, 0, -32768, -32768, -32768, -32768];
const MAX_OF_BIT = [2147483647, 2147483647, 2147483647, 32767, 32767, 32767, 255, 32767, 32767, 32767, 32767];
/**
 * Bytes a ServerDelta adds for a non-empty `packed` vector besides its contents, upper bound:
 * the vtable slot (2) and field offset (4), the vector's length (4) and alignment padding (up to 3),
 * and 3 bytes of slack.
 */
export const PACKED_VECTOR_OVERHEAD = 16;
/** Most bytes one record takes (see the module comment). */
export const PACKED_RECORD_MAX = 42;

/** Bytes of the varint of a non-negative integer v < 2^35. */
export function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Zig-zag of an integer |d| < 2^34 (exact in a double: no 32-bit operators). */
function zigzag(d: number): number {
  return d >= 0 ? 2 * d : -2 * d - 1;
}

/** Writes the varint of v (non-negative integer < 2^35) at out[at]; returns the offset after it. */
function putVarint(out: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    out[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[at++] = v;
  return at;
}

/**
 * The mask of a body's changed fields: rows `B` at `bo` (its state at the base) and `C` at `co`
 * (its state now), STATE_ROW_STRIDE Int32 each in BodyState order. 0 when nothing changed.
 */
export function changedMask(B: Int32Array, bo: number, C: Int32Array, co: number): number {
  let mask = 0;
  for (let b = 0; b < PACKED_FIELDS; b++) {
    const f = FIELD_OF_BIT[b];
    if (B[bo + f] !== C[co + f]) mask |= 1 << b;
  }
  return mask;
}

/**
 * Bytes of a body's record without its gap (mask and differences; add varintSize(gap)): rows as
 * changedMask. 0 when nothing changed (no record).
 */
export function packedFieldsSize(B: Int32Array, bo: number, C: Int32Array, co: number): number {
  let mask = 0,
    n = 0;
  for (let b = 0; b < PACKED_FIELDS; b++) {
    const f = FIELD_OF_BIT[b],
      d = C[co + f] - B[bo + f];
    if (d !== 0) {
      mask |= 1 << b;
      n += varintSize(zigzag(d));
    }
  }
  return mask === 0 ? 0 : n + varintSize(mask);
}

/**
 * Writes one record at out[at]: the body of slot `C[co]` (ascending: greater than `prevSlot`,
 * -1 before the first record), its state now `C` at `co` against its state at the base `B` at
 * `bo` (rows as changedMask; at least one field differs). `out` must have PACKED_RECORD_MAX bytes
 * free at `at`. Returns the offset after the record. Allocates nothing.
 */
export function packBody(out: Uint8Array, at: number, prevSlot: number, B: Int32Array, bo: number, C: Int32Array, co: number): number {
  const slot = C[co] >>> 0;
  at = putVarint(out, at, slot - prevSlot - 1);
  const mask = changedMask(B, bo, C, co);
  at = putVarint(out, at, mask);
  for (let b = 0; b < PACKED_FIELDS; b++)
    if (mask & (1 << b)) {
      const f = FIELD_OF_BIT[b];
      at = putVarint(out, at, zigzag(C[co + f] - B[bo + f]));
    }
  return at;
}

/** Thrown for bytes that are not a valid packed vector against the given base. */
function badPacked(message: string): never {
  throw protocolError(ERROR.BAD_MESSAGE, 'BAD_PACKED', `delta.packed: ${message}`);
}

/**
 * The bodies of a packed vector (ServerDelta.packed), rebuilt against `base`: the client's bodies
 * at the delta's base tick, by slot index (Mirror.bodies). Returns a new BodyState per record, in
 * slot order (index from the record, generation from the base, the other fields the base's plus
 * the differences). `base` is not modified. Throws ProtocolError(ERROR.BAD_MESSAGE, reason
 * 'BAD_PACKED') for a truncated record, a varint over 5 bytes, a mask of 0 or with bits >= 11, a
 * slot the base does not hold, or a field out of its range.
 */
export function unpackBodies(base: ReadonlyMap<number, BodyState>, bytes: Uint8Array): BodyState[] {
  const out: BodyState[] = [];
  let at = 0,
    slot = -1;
  const varint = (): number => {
    let v = 0,
      scale = 1;
    for (let k = 0; k < 5; k++) {
      if (at >= bytes.length) badPacked(`truncated at byte ${at}`);
      const c = bytes[at++];
      v += (c & 0x7f) * scale;
      if (c < 0x80) return v;
      scale *= 0x80;
    }
    return badPacked(`varint over 5 bytes before byte ${at}`);
  };
  while (at < bytes.length) {
    slot += varint() + 1;
    const mask = varint();
    if (mask === 0 || mask >= 1 << PACKED_FIELDS) badPacked(`body ${slot}: mask ${mask}`);
    const was = base.get(slot);
    if (!was) badPacked(`body ${slot} is not in the base`);
    const b: BodyState = { ...was };
    for (let k = 0; k < PACKED_FIELDS; k++)
      if (mask & (1 << k)) {
        const z = varint(),
          d = z % 2 === 0 ? z / 2 : -(z + 1) / 2,
          key = KEY_OF_BIT[k],
          v = was[key] + d;
        if (v < MIN_OF_BIT[k] || v > MAX_OF_BIT[k]) badPacked(`body ${slot}: ${key} ${v} out of range`);
        b[key] = v;
      }
    out.push(b);
  }
  return out;
}
