/**
 * Body table: every live body of a published tick, quantised for the wire, as struct-of-arrays
 * (one Int32Array per field, row k = the k-th live slot in slot order). Built straight from a
 * board's body records (BODY_RECORD offsets) without BigInt: a raw Q47.16 i64 is read as its
 * two u32 halves and shifted.
 *
 *   field        unit                           from the record
 *   index, gen   slot and generation            ID
 *   kind, shape  KIND / SHAPE codes             KIND_SHAPE
 *   shard        authority (-1 none, -2 static) the board's owner column
 *   px py pz     1/1024 m   (raw >> 6, +-2,097 km, clamped)
 *   qx qy qz qw  1/32768    (raw >> 1, clamped to +-32767)
 *   vx vy vz     1/256 m/s  (raw >> 8, clamped to +-32767, i.e. +-128 m/s)
 *   sx sy sz     1/1024 m   sphere: radius; capsule: radius, half height; box: half extents;
 *                           plane: normal x 1024 and offset in sx.. (see below)
 *   sleeping     0 / 1
 * Planes: sx, sy, sz = normal in 1/1024, and `px` = offset (1/1024 m); py = pz = 0.
 */
import { BODY_RECORD, BODY_RECORD_BYTES, FLAG, OWNER, SHAPE } from './world-layout';

/** Fields of a BodyTable row (each an Int32Array column). */
export const BODY_TABLE_FIELDS = [
  'index',
  'gen',
  'kind',
  'shape',
  'shard',
  'px',
  'py',
  'pz',
  'qx',
  'qy',
  'qz',
  'qw',
  'vx',
  'vy',
  'vz',
  'sx',
  'sy',
  'sz',
  'sleeping',
] as const;
export type BodyTableField = (typeof BODY_TABLE_FIELDS)[number];

/** Quantised live bodies of one tick (see the module comment for units). `count` rows are valid. */
export type BodyTable = { count: number; tick: number } & Record<BodyTableField, Int32Array>;

/** An empty table with room for `capacity` rows. */
export function createBodyTable(capacity: number): BodyTable {
  const t = { count: 0, tick: 0 } as BodyTable;
  for (const f of BODY_TABLE_FIELDS) t[f] = new Int32Array(capacity);
  return t;
}

const I16 = 32767;
const clamp16 = (v: number): number => (v > I16 ? I16 : v < -I16 ? -I16 : v);

/** raw >> s as an i32, from the i64's halves (lo unsigned, hi signed), clamped to the i32 range of a shift by s. */
function shifted(lo: number, hi: number, s: number): number {
  const top = hi >> (31 - (32 - s)); // what would not fit: hi's bits above (31 - (32 - s))
  if (top > 0) return 0x7fffffff;
  if (top < -1) return -0x7fffffff;
  return (hi << (32 - s)) | (lo >>> s);
}

/**
 * Fills `out` from body records at byte `records` of `memory` (BODY_RECORD_BYTES per slot)
 * and the owner column (i32 per slot, OWNER.NONE = free slot) at byte `owners`, for slots
 * below `highWater`. Grows no memory: throws RangeError if `out` has fewer rows than live bodies.
 */
export function readBodyTable(memory: WebAssembly.Memory, records: number, owners: number, highWater: number, tick: number, out: BodyTable): BodyTable {
  const u = new Uint32Array(memory.buffer, records, (highWater * BODY_RECORD_BYTES) / 4);
  const own = new Int32Array(memory.buffer, owners, highWater);
  const W = BODY_RECORD_BYTES / 4;
  const o = (f: number): number => f / 4;
  let n = 0;
  for (let s = 0; s < highWater; s++) {
    const owner = own[s];
    if (owner === OWNER.NONE) continue;
    if (n >= out.index.length) throw new RangeError(`body table holds ${out.index.length} rows, more bodies are live`);
    const r = s * W;
    const lo = (f: number): number => u[r + o(f)];
    const hi = (f: number): number => u[r + o(f) + 1] | 0;
    const shape = u[r + o(BODY_RECORD.KIND_SHAPE)];
    out.index[n] = u[r + 1];
    out.gen[n] = u[r];
    out.shape[n] = shape;
    out.kind[n] = u[r + o(BODY_RECORD.KIND_SHAPE) + 1];
    out.shard[n] = owner;
    out.sleeping[n] = (u[r + o(BODY_RECORD.FLAGS) + 1] & FLAG.SLEEPING) !== 0 ? 1 : 0;
    if (shape === SHAPE.PLANE) {
      out.px[n] = shifted(lo(BODY_RECORD.RADIUS), hi(BODY_RECORD.RADIUS), 6);
      out.py[n] = 0;
      out.pz[n] = 0;
    } else {
      out.px[n] = shifted(lo(BODY_RECORD.PX), hi(BODY_RECORD.PX), 6);
      out.py[n] = shifted(lo(BODY_RECORD.PY), hi(BODY_RECORD.PY), 6);
      out.pz[n] = shifted(lo(BODY_RECORD.PZ), hi(BODY_RECORD.PZ), 6);
    }
    out.qx[n] = clamp16(shifted(lo(BODY_RECORD.QX), hi(BODY_RECORD.QX), 1));
    out.qy[n] = clamp16(shifted(lo(BODY_RECORD.QY), hi(BODY_RECORD.QY), 1));
    out.qz[n] = clamp16(shifted(lo(BODY_RECORD.QZ), hi(BODY_RECORD.QZ), 1));
    out.qw[n] = clamp16(shifted(lo(BODY_RECORD.QW), hi(BODY_RECORD.QW), 1));
    out.vx[n] = clamp16(shifted(lo(BODY_RECORD.VX), hi(BODY_RECORD.VX), 8));
    out.vy[n] = clamp16(shifted(lo(BODY_RECORD.VY), hi(BODY_RECORD.VY), 8));
    out.vz[n] = clamp16(shifted(lo(BODY_RECORD.VZ), hi(BODY_RECORD.VZ), 8));
    if (shape === SHAPE.SPHERE) {
      out.sx[n] = shifted(lo(BODY_RECORD.RADIUS), hi(BODY_RECORD.RADIUS), 6);
      out.sy[n] = 0;
      out.sz[n] = 0;
    } else if (shape === SHAPE.CAPSULE) {
      out.sx[n] = shifted(lo(BODY_RECORD.RADIUS), hi(BODY_RECORD.RADIUS), 6);
      out.sy[n] = shifted(lo(BODY_RECORD.HY), hi(BODY_RECORD.HY), 6);
      out.sz[n] = 0;
    } else {
      out.sx[n] = shifted(lo(BODY_RECORD.HX), hi(BODY_RECORD.HX), 6);
      out.sy[n] = shifted(lo(BODY_RECORD.HY), hi(BODY_RECORD.HY), 6);
      out.sz[n] = shifted(lo(BODY_RECORD.HZ), hi(BODY_RECORD.HZ), 6);
    }
    n++;
  }
  out.count = n;
  out.tick = tick;
  return out;
}
