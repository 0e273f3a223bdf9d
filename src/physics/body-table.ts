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
 *   asset        heightfield / mesh: the asset id, the word index of its geometry block in the
 *                world's GEOMETRY array (the record's RADIUS, an integer); hull: its block's word
 *                index (the record's CHAR_STEP); compound: likewise; -1 for other shapes
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
  'asset',
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

/** u32 word offsets of the record fields a table row is made of. */
const W_ID = BODY_RECORD.ID / 4,
  W_KS = BODY_RECORD.KIND_SHAPE / 4,
  W_FLAGS = BODY_RECORD.FLAGS / 4,
  W_PX = BODY_RECORD.PX / 4,
  W_PY = BODY_RECORD.PY / 4,
  W_PZ = BODY_RECORD.PZ / 4,
  W_VX = BODY_RECORD.VX / 4,
  W_VY = BODY_RECORD.VY / 4,
  W_VZ = BODY_RECORD.VZ / 4,
  W_QX = BODY_RECORD.QX / 4,
  W_QY = BODY_RECORD.QY / 4,
  W_QZ = BODY_RECORD.QZ / 4,
  W_QW = BODY_RECORD.QW / 4,
  W_RADIUS = BODY_RECORD.RADIUS / 4,
  W_HX = BODY_RECORD.HX / 4,
  W_CHAR_STEP = BODY_RECORD.CHAR_STEP / 4,
  W_HY = BODY_RECORD.HY / 4,
  W_HZ = BODY_RECORD.HZ / 4;

/**
 * The u32 words of a body record a table row is read from (ID, KIND_SHAPE, FLAGS, position,
 * velocity, orientation, shape sizes), as [start, end) ranges: two records equal on these words
 * give the same row (body-table-sync.ts compares only these).
 */
export const ROW_WORDS: ReadonlyArray<readonly [number, number]> = [
  [W_ID, W_FLAGS + 2],
  [W_PX, W_VZ + 2],
  [W_QX, W_HZ + 2],
];

/** A raw Q47.16 i64 at u32 word w of u, shifted right by s (see shifted). */
const field = (u: Uint32Array, w: number, s: number): number => shifted(u[w], u[w + 1] | 0, s);

/**
 * Writes row `n` of `out` from the body record starting at u32 word `r` of `u`, with `owner`
 * (the board's owner column) as its shard. The one place a record is quantised.
 */
export function readBodyRow(u: Uint32Array, r: number, owner: number, out: BodyTable, n: number): void {
  const shape = u[r + W_KS];
  out.index[n] = u[r + W_ID + 1];
  out.gen[n] = u[r + W_ID];
  out.shape[n] = shape;
  out.kind[n] = u[r + W_KS + 1];
  out.shard[n] = owner;
  out.sleeping[n] = (u[r + W_FLAGS + 1] & FLAG.SLEEPING) !== 0 ? 1 : 0;
  if (shape === SHAPE.PLANE) {
    out.px[n] = field(u, r + W_RADIUS, 6);
    out.py[n] = 0;
    out.pz[n] = 0;
  } else {
    out.px[n] = field(u, r + W_PX, 6);
    out.py[n] = field(u, r + W_PY, 6);
    out.pz[n] = field(u, r + W_PZ, 6);
  }
  out.qx[n] = clamp16(field(u, r + W_QX, 1));
  out.qy[n] = clamp16(field(u, r + W_QY, 1));
  out.qz[n] = clamp16(field(u, r + W_QZ, 1));
  out.qw[n] = clamp16(field(u, r + W_QW, 1));
  out.vx[n] = clamp16(field(u, r + W_VX, 8));
  out.vy[n] = clamp16(field(u, r + W_VY, 8));
  out.vz[n] = clamp16(field(u, r + W_VZ, 8));
  if (shape === SHAPE.SPHERE) {
    out.sx[n] = field(u, r + W_RADIUS, 6);
    out.sy[n] = 0;
    out.sz[n] = 0;
  } else if (shape === SHAPE.CAPSULE) {
    out.sx[n] = field(u, r + W_RADIUS, 6);
    out.sy[n] = field(u, r + W_HY, 6);
    out.sz[n] = 0;
  } else {
    out.sx[n] = field(u, r + W_HX, 6);
    out.sy[n] = field(u, r + W_HY, 6);
    out.sz[n] = field(u, r + W_HZ, 6);
  }
  // a heightfield's or mesh's RADIUS is its block's word index (< 2^31: the low word)
  out.asset[n] =
    shape === SHAPE.HEIGHTFIELD || shape === SHAPE.MESH ? u[r + W_RADIUS] : shape === SHAPE.HULL || shape === SHAPE.COMPOUND ? u[r + W_CHAR_STEP] : -1;
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
  let n = 0;
  for (let s = 0; s < highWater; s++) {
    const owner = own[s];
    if (owner === OWNER.NONE) continue;
    if (n >= out.index.length) throw new RangeError(`body table holds ${out.index.length} rows, more bodies are live`);
    readBodyRow(u, s * W, owner, out, n);
    n++;
  }
  out.count = n;
  out.tick = tick;
  return out;
}
