/**
 * Comparing two saved world states (MainSim.save(): ShardedWorld.save() physics bytes and the game
 * JSON) for the replica-divergence hunts (issue 19): the tests of restored copies and the
 * failover bench's snapshot audit (bench/failover/snapshot-audit.ts). Physics layout:
 * src/physics/sharded.ts ShardedWorld.save (28-byte header, then u32-length-prefixed sections:
 * registry, records, owners, per shard touch and events, staged).
 */
import { BODY_RECORD, BODY_RECORD_BYTES, OWNER } from '../../src/physics/world-layout';

/**
 * A copy of ShardedWorld.save() bytes with the records of free slots (owner NONE) zeroed: such a
 * record is whatever the board last held in that slot (a restored world's second board starts
 * empty), not state: no step, hash or restore reads it.
 */
export function withoutFreeRecords(p: Uint8Array): Buffer {
  const out = Buffer.from(p);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const reg = dv.getUint32(28, true);
  const recAt = 28 + 4 + reg + 4,
    recLen = dv.getUint32(recAt - 4, true);
  const ownAt = recAt + recLen + 4;
  for (let s = 0; s < recLen / BODY_RECORD_BYTES; s++)
    if (dv.getInt32(ownAt + s * 4, true) === OWNER.NONE) out.fill(0, recAt + s * BODY_RECORD_BYTES, recAt + (s + 1) * BODY_RECORD_BYTES);
  return out;
}

const FIELD_AT = new Map<number, string>(Object.entries(BODY_RECORD).map(([k, v]) => [v, k]));
const MORE_FIELDS = [
  'INV_MASS',
  'INV_INERTIA',
  'RESTITUTION',
  'FRICTION',
  'LIN_DAMP',
  'ANG_DAMP',
  'GRAVITY_SCALE',
  'FX',
  'FY',
  'FZ',
  'CHAR_TX',
  'CHAR_TZ',
  'CHAR_JUMP',
  'CHAR_STEP',
  'CHAR_SLOPE_COS',
  'GNX',
  'GNY',
  'GNZ',
];
/** The name of the i64 field at byte `at` of a body record (assembly/physics/transfer.ts). */
function fieldName(at: number): string {
  const w = at - (at % 8);
  if (FIELD_AT.has(w)) return FIELD_AT.get(w) as string;
  if (w >= 168 && w < 312) return MORE_FIELDS[(w - 168) / 8] ?? `byte ${w}`;
  return `byte ${w}`;
}

/**
 * Where two ShardedWorld.save() images (free records zeroed, withoutFreeRecords) differ: every
 * differing section, and in the records every differing slot with its fields (a: first image,
 * b: second), at most `max` lines. Empty when equal.
 */
export function physicsDiff(a: Uint8Array, b: Uint8Array, max = 24): string[] {
  const out: string[] = [];
  const da = new DataView(a.buffer, a.byteOffset, a.byteLength),
    db = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < 28; i++)
    if (a[i] !== b[i]) {
      out.push(`header byte ${i}: ${a[i]} vs ${b[i]}`);
      break;
    }
  const names = ['registry', 'records', 'owners'];
  const shards = da.getUint32(12, true);
  for (let k = 0; k < shards; k++) names.push(`touch[${k}]`, `events[${k}]`);
  names.push('staged');
  let pa = 28,
    pb = 28;
  for (const n of names) {
    if (pa + 4 > a.byteLength || pb + 4 > b.byteLength) {
      out.push(`${n}: image ends`);
      break;
    }
    const la = da.getUint32(pa, true),
      lb = db.getUint32(pb, true);
    if (la !== lb) out.push(`${n}: ${la} vs ${lb} bytes`);
    else if (n === 'records') {
      for (let s = 0; s < la / BODY_RECORD_BYTES && out.length < max; s++) {
        const fields: string[] = [];
        for (let w = 0; w < BODY_RECORD_BYTES; w += 8) {
          const x = da.getBigInt64(pa + 4 + s * BODY_RECORD_BYTES + w, true),
            y = db.getBigInt64(pb + 4 + s * BODY_RECORD_BYTES + w, true);
          if (x !== y) fields.push(`${fieldName(w)} ${x.toString(16)} vs ${y.toString(16)}`);
        }
        if (fields.length > 0) out.push(`records: slot ${s}: ${fields.join('; ')}`);
      }
    } else
      for (let i = 0; i < la; i++)
        if (a[pa + 4 + i] !== b[pb + 4 + i]) {
          out.push(`${n} at byte ${i} of ${la}`);
          break;
        }
    if (out.length >= max) break;
    pa += 4 + la;
    pb += 4 + lb;
  }
  return out;
}

/** Where two game JSON texts (MainSim.save().game) differ: the top-level keys whose values differ, with a short excerpt. */
export function gameDiff(a: string, b: string): string[] {
  if (a === b) return [];
  const ja = JSON.parse(a) as Record<string, unknown>,
    jb = JSON.parse(b) as Record<string, unknown>;
  const out: string[] = [];
  for (const k of [...new Set([...Object.keys(ja), ...Object.keys(jb)])]) {
    const x = JSON.stringify(ja[k]),
      y = JSON.stringify(jb[k]);
    if (x === y) continue;
    let i = 0;
    while (i < Math.min(x?.length ?? 0, y?.length ?? 0) && x[i] === y[i]) i++;
    out.push(
      `game.${k} differs at char ${i}: ...${(x ?? 'undefined').slice(Math.max(0, i - 40), i + 60)} vs ...${(y ?? 'undefined').slice(Math.max(0, i - 40), i + 60)}`,
    );
  }
  return out;
}

/** physicsDiff (free records left out) and gameDiff of two MainSim.save() results: empty when the states are equal. */
export function stateDiff(a: { physics: Uint8Array; game: string }, b: { physics: Uint8Array; game: string }, max = 24): string[] {
  return [...physicsDiff(withoutFreeRecords(a.physics), withoutFreeRecords(b.physics), max), ...gameDiff(a.game, b.game)];
}
