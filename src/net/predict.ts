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
 * the few bodies around it. The host finds them by one pass over the live bodies' published
 * positions per tick (only when some client asked; no record is copied), then a distance test per
 * asking client; only the bodies within the radius have their record read (statics are skipped there).
 */
import { encodeServer } from '../protocol/codec';
import { BODY_RECORD, BODY_RECORD_BYTES, KIND } from '../physics/world-layout';
import type { BodyHandle } from '../physics/world';
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
  let live: LiveBody[] | null = null;
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
      live ??= liveBodies(w.sim.world);
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

/** Largest hello.predictRadius the host honours, mm (32 m). */
export const PREDICT_MAX_RADIUS_MM = 32_000;
/** Most nearby bodies sent with one avatar record (the nearest). */
export const PREDICT_MAX_NEARBY = 256;

/** A live body and its published position, m. */
interface LiveBody {
  handle: BodyHandle;
  x: number;
  y: number;
  z: number;
}

/** The world's API that nearbyRecords uses (ShardedWorld). */
interface RecordSource {
  handles(): BodyHandle[];
  positionRaw(h: BodyHandle): [bigint, bigint, bigint];
  bodyRecord(h: BodyHandle): Uint8Array;
}

/** Every live body of the published state with its position (statics too: their kind is read only when near). */
function liveBodies(w: RecordSource): LiveBody[] {
  const out: LiveBody[] = [];
  for (const handle of w.handles()) {
    const p = w.positionRaw(handle);
    out.push({ handle, x: Number(p[0]) / 65536, y: Number(p[1]) / 65536, z: Number(p[2]) / 65536 });
  }
  return out;
}

/**
 * The records of the dynamic bodies other than `avatar` within `radiusM` of the avatar's centre
 * (its record `avatarRecord`), the nearest PREDICT_MAX_NEARBY, concatenated in slot order; undefined when none.
 */
function nearbyRecords(w: RecordSource, live: LiveBody[], avatar: BodyHandle, avatarRecord: Uint8Array, radiusM: number): Uint8Array | undefined {
  const v = new DataView(avatarRecord.buffer, avatarRecord.byteOffset, avatarRecord.byteLength);
  const ax = rawM(v, BODY_RECORD.PX),
    ay = rawM(v, BODY_RECORD.PY),
    az = rawM(v, BODY_RECORD.PZ);
  const r2 = radiusM * radiusM;
  let near: Array<{ handle: BodyHandle; d2: number; record: Uint8Array }> = [];
  for (const b of live) {
    if (b.handle === avatar) continue;
    const d2 = (b.x - ax) ** 2 + (b.y - ay) ** 2 + (b.z - az) ** 2;
    if (d2 > r2) continue;
    const record = w.bodyRecord(b.handle);
    // record bytes 8..15: shape (low u32), kind (high u32)
    if (new DataView(record.buffer, record.byteOffset, record.byteLength).getUint32(12, true) !== KIND.DYNAMIC) continue;
    near.push({ handle: b.handle, d2, record });
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
