/**
 * The host's side of client prediction (protocol 4, optional; docs/protocol.md section 19): after
 * each tick, every world-stream client whose hello set `predict` gets its avatar's raw body record
 * in the new state (ServerAvatarRecord), next to the snapshot or delta of the same tick. Clients
 * that did not ask pay nothing (no byte, no copy). One record is BODY_RECORD_BYTES (312) plus
 * about 40 bytes of framing per client and tick.
 *
 * Nearby bodies (section 19.1): a client whose hello also set `predictRadius` gets, in the same
 * message, the raw records of the dynamic bodies (not its avatar) whose centre lies within that
 * radius of its avatar's centre: the nearest PREDICT_MAX_NEARBY, sent in slot order. That is 312
 * bytes a body and tick (200 bodies at 50 Hz: about 3 MB/s), so it is for a client that predicts
 * the few bodies around it. The host finds them by one pass over the tick's body table (the world
 * loop's, kept current anyway for interest: the dynamic bodies' quantised positions, no BigInt, no
 * record copied; only when some client asked), then a distance test per asking client, widened by
 * the quantisation; only the bodies within it have their record read, and the record's exact
 * position decides (the same set as an exact pass over every live body, which is the fallback when
 * the table is not the tick's).
 */
import { encodeServer } from '../protocol/codec';
import { BODY_RECORD, BODY_RECORD_BYTES, KIND } from '../physics/world-layout';
import type { BodyHandle } from '../physics/world';
import type { BodyTable } from '../physics/body-table';
import type { HostContext } from './context';
import type { Sessions } from './sessions';

/**
 * Adds to `direct` (per public id, messages sent before the state in the tick's corked write:
 * fanout.ts sendTick) an avatarRecord for each predicting client with an avatar. The record is the
 * published state of the world's current tick, the tick of the state message that follows.
 */
export function addAvatarRecords(h: HostContext, sessions: Sessions, direct: Map<number, Uint8Array[]>): void {
  const w = h.world;
  let tick = -1;
  let live: LiveBodies | null = null;
  for (const s of sessions.all) {
    if (!s.predict || s.closed || !s.ws || s.stream !== w.stream) continue;
    const body = w.sim.avatars.get(s.publicId);
    if (body === undefined) continue;
    if (tick < 0) tick = w.sim.world.tick;
    const record = w.sim.world.bodyRecord(body);
    if (record.byteLength !== BODY_RECORD_BYTES) continue;
    let nearby: Uint8Array | undefined;
    const radius = s.predictRadiusM ?? 0;
    if (radius > 0) {
      live ??= candidates(w.sim.world, w.table.tick === tick ? w.table : null);
      nearby = nearbyRecords(w.sim.world, live, body, record, radius);
    }
    const msg = encodeServer({
      kind: 'avatarRecord',
      tick,
      body: { index: Number(body & 0xffffffffn), generation: Number(body >> 32n) },
      record,
      ...(nearby ? { nearby } : {}),
    });
    const l = direct.get(s.publicId);
    if (l) l.push(msg);
    else direct.set(s.publicId, [msg]);
  }
}

/**
 * The nearby records addAvatarRecords sends with `avatar`'s record (ServerAvatarRecord.nearby):
 * the dynamic bodies other than the avatar within `radiusM` m of its centre, the nearest
 * PREDICT_MAX_NEARBY, BODY_RECORD_BYTES each in slot order; undefined when none. `table`: the
 * world's body table of the same tick (WorldLoop.table), or null for an exact pass over every
 * live body; both give the same bytes.
 */
export function nearbyFor(w: RecordSource, table: BodyTable | null, avatar: BodyHandle, avatarRecord: Uint8Array, radiusM: number): Uint8Array | undefined {
  return nearbyRecords(w, candidates(w, table), avatar, avatarRecord, radiusM);
}

/** Largest hello.predictRadius the host honours, mm (32 m). */
export const PREDICT_MAX_RADIUS_MM = 32_000;
/** Most nearby bodies sent with one avatar record (the nearest). */
export const PREDICT_MAX_NEARBY = 256;

/**
 * The candidate bodies of one tick: slot, generation and position (m) by index, `count` of them.
 * From the world loop's body table (tableBodies: the dynamic bodies only, positions quantised to
 * 1/1024 m) or, when the table is not the tick's, from every live body (liveBodies: exact).
 */
interface LiveBodies {
  count: number;
  slot: Int32Array;
  gen: Int32Array;
  x: Float64Array;
  y: Float64Array;
  z: Float64Array;
  /** Metres a position may be off (the quantisation): the distance test widens by it, the exact test follows on the record. */
  slack: number;
}

/** The world's API that nearbyRecords uses (ShardedWorld). */
export interface RecordSource {
  handles(): BodyHandle[];
  positionRaw(h: BodyHandle): [bigint, bigint, bigint];
  bodyRecord(h: BodyHandle): Uint8Array;
}

/**
 * The dynamic bodies of the tick's body table (WorldLoop.table, kept current by BodyTableSync:
 * src/physics/body-table.ts, positions in 1/1024 m), read without a BigInt: the kind filter and a
 * coarse position come from the table, the record is read only for the bodies within the radius.
 */
function tableBodies(t: BodyTable): LiveBodies {
  const out = emptyLive(t.count, 0.002);
  let n = 0;
  for (let r = 0; r < t.count; r++) {
    if (t.kind[r] !== KIND.DYNAMIC) continue;
    out.slot[n] = t.index[r];
    out.gen[n] = t.gen[r];
    out.x[n] = t.px[r] / 1024;
    out.y[n] = t.py[r] / 1024;
    out.z[n] = t.pz[r] / 1024;
    n++;
  }
  out.count = n;
  return out;
}

/** Every live body of the published state with its exact position (statics too: their kind is read only when near). */
function liveBodies(w: RecordSource): LiveBodies {
  const hs = w.handles();
  const out = emptyLive(hs.length, 0);
  for (let i = 0; i < hs.length; i++) {
    const p = w.positionRaw(hs[i]);
    out.slot[i] = Number(hs[i] & 0xffffffffn);
    out.gen[i] = Number(hs[i] >> 32n);
    out.x[i] = Number(p[0]) / 65536;
    out.y[i] = Number(p[1]) / 65536;
    out.z[i] = Number(p[2]) / 65536;
  }
  out.count = hs.length;
  return out;
}

/** The candidates of one tick: from `table` when given (tableBodies), else every live body (liveBodies). */
function candidates(w: RecordSource, table: BodyTable | null): LiveBodies {
  return table ? tableBodies(table) : liveBodies(w);
}

function emptyLive(n: number, slack: number): LiveBodies {
  return { count: 0, slot: new Int32Array(n), gen: new Int32Array(n), x: new Float64Array(n), y: new Float64Array(n), z: new Float64Array(n), slack };
}

/**
 * The records of the dynamic bodies other than `avatar` within `radiusM` of the avatar's centre
 * (its record `avatarRecord`), the nearest PREDICT_MAX_NEARBY, concatenated in slot order; undefined when none.
 */
function nearbyRecords(w: RecordSource, live: LiveBodies, avatar: BodyHandle, avatarRecord: Uint8Array, radiusM: number): Uint8Array | undefined {
  const v = new DataView(avatarRecord.buffer, avatarRecord.byteOffset, avatarRecord.byteLength);
  const ax = rawM(v, BODY_RECORD.PX),
    ay = rawM(v, BODY_RECORD.PY),
    az = rawM(v, BODY_RECORD.PZ);
  const r2 = radiusM * radiusM,
    wide = (radiusM + 2 * live.slack) ** 2;
  const avatarSlot = slotOf(avatar);
  let near: Array<{ handle: BodyHandle; d2: number; record: Uint8Array }> = [];
  for (let i = 0; i < live.count; i++) {
    if (live.slot[i] === avatarSlot) continue;
    if ((live.x[i] - ax) ** 2 + (live.y[i] - ay) ** 2 + (live.z[i] - az) ** 2 > wide) continue;
    const handle = (BigInt(live.gen[i] >>> 0) << 32n) | BigInt(live.slot[i]);
    const record = w.bodyRecord(handle);
    const rv = new DataView(record.buffer, record.byteOffset, record.byteLength);
    // record bytes 8..15: shape (low u32), kind (high u32)
    if (rv.getUint32(12, true) !== KIND.DYNAMIC) continue;
    // the exact distance (the record's raw position) decides
    const d2 = (rawM(rv, BODY_RECORD.PX) - ax) ** 2 + (rawM(rv, BODY_RECORD.PY) - ay) ** 2 + (rawM(rv, BODY_RECORD.PZ) - az) ** 2;
    if (d2 > r2) continue;
    near.push({ handle, d2, record });
  }
  if (near.length === 0) return undefined;
  if (near.length > PREDICT_MAX_NEARBY) near = near.sort((p, q) => p.d2 - q.d2).slice(0, PREDICT_MAX_NEARBY);
  near.sort((p, q) => slotOf(p.handle) - slotOf(q.handle));
  const out = new Uint8Array(near.length * BODY_RECORD_BYTES);
  for (let i = 0; i < near.length; i++) out.set(near[i].record, i * BODY_RECORD_BYTES);
  return out;
}

function slotOf(h: BodyHandle): number {
  return Number(h & 0xffffffffn);
}

function rawM(v: DataView, at: number): number {
  return Number(v.getBigInt64(at, true)) / 65536;
}
