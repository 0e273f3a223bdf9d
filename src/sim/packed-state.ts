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
export function putVarint(out: Uint8Array, at: number, v: number): number {
  if (v < 0x80000000) {
    // below 2^31 (nearly every field): 32-bit operators
    while (v >= 0x80) {
      out[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[at++] = v;
    return at;
  }
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
 * Reads the unsigned LEB128 varints of a packed or predicted vector in turn (at most 5 bytes,
 * values below 2^35). next() throws ProtocolError BAD_PACKED (badPacked) at the end of the bytes
 * or for a varint over 5 bytes.
 */
class VarintReader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  /** Whether every byte has been read. */
  done(): boolean {
    return this.at >= this.bytes.length;
  }

  next(): number {
    const bytes = this.bytes;
    let v = 0,
      scale = 1;
    for (let k = 0; k < 5; k++) {
      if (this.at >= bytes.length) badPacked(`truncated at byte ${this.at}`);
      const c = bytes[this.at++];
      v += (c & 0x7f) * scale;
      if (c < 0x80) return v;
      scale *= 0x80;
    }
    return badPacked(`varint over 5 bytes before byte ${this.at}`);
  }

  /** Reads past `n` varints without their values (errors as next). */
  skip(n: number): void {
    const bytes = this.bytes;
    let at = this.at;
    for (let i = 0; i < n; i++)
      for (let k = 0; ; k++) {
        if (k === 5) badPacked(`varint over 5 bytes before byte ${at}`);
        if (at >= bytes.length) badPacked(`truncated at byte ${at}`);
        if (bytes[at++] < 0x80) break;
      }
    this.at = at;
  }
}

/** Bits set in a mask (< 2^11). */
function bitCount(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  return n;
}

/**
 * The bodies of a packed vector (ServerDelta.packed), rebuilt against `base`: the client's bodies
 * at the delta's base tick, by slot index (Mirror.bodies). Returns a new BodyState per record, in
 * slot order (index from the record, generation from the base, the other fields the base's plus
 * the differences). `base` is not modified. Throws ProtocolError(ERROR.BAD_MESSAGE, reason
 * 'BAD_PACKED') for a truncated record, a varint over 5 bytes, a mask of 0 or with bits >= 11, a
 * slot the base does not hold, or a field out of its range. `only` >= 0: as unpackPredicted's.
 */
export function unpackBodies(base: ReadonlyMap<number, BodyState>, bytes: Uint8Array, only = -1): BodyState[] {
  const out: BodyState[] = [];
  const r = new VarintReader(bytes),
    varint = (): number => r.next();
  let slot = -1;
  // the field of mask bit k: the base's value plus the difference the body's mask announces (no
  // keyed access: this runs for every changed body of every delta a client decodes)
  let mask = 0;
  const field = (k: number, was: number): number => {
    if (!(mask & (1 << k))) return was;
    const z = varint(),
      v = was + (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
    if (v < MIN_OF_BIT[k] || v > MAX_OF_BIT[k]) badPacked(`body ${slot}: ${KEY_OF_BIT[k]} ${v} out of range`);
    return v;
  };
  while (!r.done()) {
    slot += varint() + 1;
    mask = varint();
    if (mask === 0 || mask >= 1 << PACKED_FIELDS) badPacked(`body ${slot}: mask ${mask}`);
    if (only >= 0 && slot !== only) {
      if (slot > only) break; // slot order: the one asked for is not in the vector
      r.skip(bitCount(mask));
      continue;
    }
    const was = base.get(slot);
    if (!was) badPacked(`body ${slot} is not in the base`);
    // bit order (KEY_OF_BIT)
    const px = field(0, was.px),
      py = field(1, was.py),
      pz = field(2, was.pz),
      vx = field(3, was.vx),
      vy = field(4, was.vy),
      vz = field(5, was.vz),
      shard = field(6, was.shard),
      qx = field(7, was.qx),
      qy = field(8, was.qy),
      qz = field(9, was.qz),
      qw = field(10, was.qw);
    out.push({ index: was.index, generation: was.generation, px, py, pz, qx, qy, qz, qw, vx, vy, vz, shard });
    if (only >= 0) break;
  }
  return out;
}

/*
 * Predicted deltas (issue 22; docs/protocol.md section 7.3; ClientHello.predicted_deltas,
 * ServerDelta.predicted): the records of a packed delta, each field written against the value the
 * base predicts instead of the base's value, so a body that keeps walking or falling steadily sends
 * no differences at all. This is the prediction of Glenn Fiedler's "Snapshot Compression"
 * (gafferongames.com, 2015: position encoded relative to the base extrapolated by its velocity)
 * and of dead reckoning in the Quake 3 model, in integer arithmetic on the quantised values so
 * the host and every client compute the same prediction.
 *
 * Byte layout of ServerDelta.predicted: a header, then one record per body in ascending slot order:
 *
 *   rate     varint   ticks per second the predictor assumes (1..1000; the host's tick rate)
 *   substeps varint   integrator substeps per tick the predictor assumes (1..64; the world's)
 *   records: gap      varint   as in packed (slot - previous slot - 1; the first: the slot)
 *            mask     varint   bit b = PRED_FIELD_OF_BIT[b] differs from its prediction; may be 0
 *            residual varint   for each set bit, low bit first: zig-zag(value - prediction)
 *
 * Bits: 0 vx, 1 vy, 2 vz (1/256 m/s), 3 px, 4 py, 5 pz (1/1024 m), 6 shard, 7 qx, 8 qy, 9 qz,
 * 10 qw; velocities first, because the position's prediction uses the velocity now.
 * Predictions, with n = min(tick - base_tick, PRED_SPAN_MAX) ticks and v0, v1 a velocity field at
 * the base and now (v1 rebuilt first):
 *   velocity, shard, rotation: the base's value (a zero residual when unchanged);
 *   position: p0 + roundHalfUp(2 * (2 * s * n * v0 + (v1 - v0) * (n * s + 1)) / (s * rate)), with s
 *   the substeps, clamped to the i32 range (so a residual is below 2^32, its varint at most 5 bytes).
 * The position formula is semi-implicit Euler (the core's integrator: v += a h, then p += v h, at
 * h = 1 / (rate s) s) summed over the n s substeps with the velocity going linearly from v0 to v1:
 * the displacement is (1 / rate) (n v0 + (v1 - v0) (n s + 1) / (2 s)) m, and 1/256 m/s for 1/rate s
 * is 4 / rate units of 1/1024 m. So a body under constant acceleration (gravity) or at constant
 * velocity is predicted to within the quantisation (measured in the demo world: a residual of 0 to
 * 3 units; the substep-less formula, s = 1, is 10 units off for a falling body at 20 Hz with 6
 * substeps). Every intermediate is an integer below 2^47, exact in a double.
 */

/** Most ticks between base and now the position prediction extrapolates over (larger spans use this many). */
export const PRED_SPAN_MAX = 1 << 16;
/** Row offset (STATE_ROW_STRIDE row) of each predicted-record mask bit's field: vx vy vz px py pz shard qx qy qz qw. */
export const PRED_FIELD_OF_BIT: readonly number[] = [9, 10, 11, 2, 3, 4, 12, 5, 6, 7, 8];
const PRED_KEY_OF_BIT = ['vx', 'vy', 'vz', 'px', 'py', 'pz', 'shard', 'qx', 'qy', 'qz', 'qw'] as const;
const PRED_MIN_OF_BIT = [-32768, -32768, -32768, -2147483648, -2147483648, -2147483648, 0, -32768, -32768, -32768, -32768];
const PRED_MAX_OF_BIT = [32767, 32767, 32767, 2147483647, 2147483647, 2147483647, 255, 32767, 32767, 32767, 32767];
/** Bytes a ServerDelta adds for a non-empty `predicted` vector besides its records, upper bound: PACKED_VECTOR_OVERHEAD and the header (rate and substeps, at most 3 bytes). */
export const PREDICTED_VECTOR_OVERHEAD = PACKED_VECTOR_OVERHEAD + 3;
/** Most bytes one predicted record takes: gap 5, mask 2, three 5-byte positions, eight 3-byte others (their residuals are below 2^18). */
export const PREDICTED_RECORD_MAX = 5 + 2 + 3 * 5 + 8 * 3;

/** round(a / d) for integers a and d > 0, halves up (exact: |a| < 2^51). */
function roundDiv(a: number, d: number): number {
  return Math.floor((2 * a + d) / (2 * d));
}

/**
 * The predicted position field (1/1024 m) of a body `n` ticks (1..PRED_SPAN_MAX) after a base
 * where it was at `p0` with velocity `v0`, given its velocity now `v1` (1/256 m/s, same axis),
 * at `rate` ticks per second (1..1000) of `substeps` substeps (1..64): see the comment above
 * (semi-implicit Euler, velocity linear in time).
 */
export function predictPosition(p0: number, v0: number, v1: number, n: number, rate: number, substeps = 1): number {
  const s = substeps;
  const p = p0 + roundDiv(2 * (2 * s * n * v0 + (v1 - v0) * (n * s + 1)), s * rate);
  return p < -2147483648 ? -2147483648 : p > 2147483647 ? 2147483647 : p;
}

/** Ticks the predictor spans for a delta from baseTick to tick: min(tick - baseTick, PRED_SPAN_MAX), at least 1. */
export function predictSpan(baseTick: number, tick: number): number {
  return Math.max(1, Math.min(PRED_SPAN_MAX, tick - baseTick));
}

/** Residuals of the last predictedResiduals call, by mask bit (module scratch: the encoder is single-threaded). */
const RESIDUAL = new Float64Array(PACKED_FIELDS); // doubles: a position residual can pass 2^31

/**
 * Fills RESIDUAL[b] with current minus predicted for every mask bit b (base row `B` at `bo`,
 * current row `C` at `co`, `n` ticks apart, `rate`, `substeps`: as predictedFieldsSize) and
 * returns the mask of the non-zero ones. The positions are predicted from the base position and
 * velocity and the current velocity (predictPosition); every other field is predicted unchanged.
 * One pass over PRED_FIELD_OF_BIT: this runs for every changed body of every (view, base) encode.
 */
function predictedResiduals(B: Int32Array, bo: number, C: Int32Array, co: number, n: number, rate: number, substeps: number): number {
  const R = RESIDUAL,
    F = PRED_FIELD_OF_BIT;
  let mask = 0;
  for (let b = 0; b < PACKED_FIELDS; b++) {
    const f = F[b];
    // positions (bits 3..5) from the base position and velocity (7 fields on) and the velocity now
    const d = b >= 3 && b <= 5 ? C[co + f] - predictPosition(B[bo + f], B[bo + f + 7], C[co + f + 7], n, rate, substeps) : C[co + f] - B[bo + f];
    R[b] = d;
    if (d !== 0) mask |= 1 << b;
  }
  return mask;
}

/**
 * Bytes of a body's predicted record without its gap (mask and residuals; add varintSize(gap)):
 * base row `B` at `bo`, current row `C` at `co` (STATE_ROW_STRIDE each), `n` ticks apart
 * (predictSpan), `rate` ticks per second of `substeps` substeps. At least 1 (the mask), also for a body that changed
 * exactly as predicted.
 */
export function predictedFieldsSize(B: Int32Array, bo: number, C: Int32Array, co: number, n: number, rate: number, substeps: number): number {
  const mask = predictedResiduals(B, bo, C, co, n, rate, substeps);
  let size = varintSize(mask);
  for (let b = 0; b < PACKED_FIELDS; b++) if (mask & (1 << b)) size += varintSize(zigzag(RESIDUAL[b]));
  return size;
}

/** Writes the header of a predicted vector (the rate, 1..1000, and the substeps, 1..64) at out[at]; returns the offset after it. */
export function putPredictedHeader(out: Uint8Array, at: number, rate: number, substeps: number): number {
  return putVarint(out, putVarint(out, at, rate), substeps);
}

/**
 * Writes one predicted record at out[at] (arguments as packBody, plus `n`, `rate` and `substeps` as
 * predictedFieldsSize). `out` must have PREDICTED_RECORD_MAX bytes free at `at`. Returns the
 * offset after the record. Allocates nothing.
 */
export function packBodyPredicted(
  out: Uint8Array,
  at: number,
  prevSlot: number,
  B: Int32Array,
  bo: number,
  C: Int32Array,
  co: number,
  n: number,
  rate: number,
  substeps: number,
): number {
  const slot = C[co] >>> 0;
  return packPredictedFields(out, putVarint(out, at, slot - prevSlot - 1), B, bo, C, co, n, rate, substeps);
}

/**
 * Writes a predicted record's mask and residuals (the record without its gap: packBodyPredicted
 * after the gap) at out[at]; arguments as packBodyPredicted. Returns the offset after them. The
 * bytes depend only on the two rows, `n`, `rate` and `substeps`, so an encoder may copy them
 * between messages with the same rows. Allocates nothing.
 */
export function packPredictedFields(
  out: Uint8Array,
  at: number,
  B: Int32Array,
  bo: number,
  C: Int32Array,
  co: number,
  n: number,
  rate: number,
  substeps: number,
): number {
  const mask = predictedResiduals(B, bo, C, co, n, rate, substeps);
  at = putVarint(out, at, mask);
  for (let b = 0; b < PACKED_FIELDS; b++) if (mask & (1 << b)) at = putVarint(out, at, zigzag(RESIDUAL[b]));
  return at;
}

/**
 * The bodies of a predicted vector (ServerDelta.predicted), rebuilt against `base` (the client's
 * bodies at the delta's base tick, by slot index), `n` = predictSpan(baseTick, tick) ticks later.
 * Returns a new BodyState per record in slot order; `base` is not modified. Throws
 * ProtocolError(ERROR.BAD_MESSAGE, reason 'BAD_PACKED') for a missing or out-of-range rate or substeps, a
 * truncated record, a varint over 5 bytes, a mask with bits >= 11, a slot the base does not hold,
 * or a field out of its range. `only` >= 0: rebuild only the record of that slot (the records
 * before it are read past without their values, so `base` needs only that body; the bots track
 * their avatar so), and stop there: the bytes after it (or, when a record of a higher slot comes
 * first, after that one) are not read or checked. At most one BodyState is returned then.
 */
export function unpackPredicted(base: ReadonlyMap<number, BodyState>, bytes: Uint8Array, n: number, only = -1): BodyState[] {
  const out: BodyState[] = [];
  const r = new VarintReader(bytes),
    varint = (): number => r.next();
  let slot = -1;
  const rate = varint(),
    substeps = varint();
  if (rate < 1 || rate > 1000) badPacked(`rate ${rate}`);
  if (substeps < 1 || substeps > 64) badPacked(`substeps ${substeps}`);
  // the field of mask bit k: its prediction plus the residual the body's mask announces (no keyed
  // access: this runs for every changed body of every delta a client decodes)
  let mask = 0;
  const field = (k: number, predicted: number): number => {
    let v = predicted;
    if (mask & (1 << k)) {
      const z = varint();
      v += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    }
    if (v < PRED_MIN_OF_BIT[k] || v > PRED_MAX_OF_BIT[k]) badPacked(`body ${slot}: ${PRED_KEY_OF_BIT[k]} ${v} out of range`);
    return v;
  };
  while (!r.done()) {
    slot += varint() + 1;
    mask = varint();
    if (mask >= 1 << PACKED_FIELDS) badPacked(`body ${slot}: mask ${mask}`);
    if (only >= 0 && slot !== only) {
      if (slot > only) break; // slot order: the one asked for is not in the vector
      r.skip(bitCount(mask));
      continue;
    }
    const was = base.get(slot);
    if (!was) badPacked(`body ${slot} is not in the base`);
    // velocities first: the positions are predicted with the new ones (bit order, PRED_KEY_OF_BIT)
    const vx = field(0, was.vx),
      vy = field(1, was.vy),
      vz = field(2, was.vz);
    const px = field(3, predictPosition(was.px, was.vx, vx, n, rate, substeps)),
      py = field(4, predictPosition(was.py, was.vy, vy, n, rate, substeps)),
      pz = field(5, predictPosition(was.pz, was.vz, vz, n, rate, substeps));
    const shard = field(6, was.shard),
      qx = field(7, was.qx),
      qy = field(8, was.qy),
      qz = field(9, was.qz),
      qw = field(10, was.qw);
    const b: BodyState = { index: was.index, generation: was.generation, px, py, pz, qx, qy, qz, qw, vx, vy, vz, shard };
    out.push(b);
    if (only >= 0) break;
  }
  return out;
}
