/**
 * The host's side of client prediction (protocol 4, optional; docs/protocol.md section 19): after
 * each tick, every world-stream client whose hello set `predict` gets its avatar's raw body record
 * in the new state (ServerAvatarRecord), next to the snapshot or delta of the same tick. Clients
 * that did not ask pay nothing (no byte, no copy). One record is BODY_RECORD_BYTES (312) plus
 * about 40 bytes of framing per client and tick.
 */
import { encodeServer } from '../protocol/codec';
import { BODY_RECORD_BYTES } from '../physics/world';
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
  for (const s of sessions.all) {
    if (!s.predict || s.closed || !s.ws || s.stream !== w.stream) continue;
    const body = w.sim.avatars.get(s.publicId);
    if (body === undefined) continue;
    if (tick < 0) tick = w.sim.world.tick;
    const record = w.sim.world.bodyRecord(body);
    if (record.byteLength !== BODY_RECORD_BYTES) continue;
    const msg = encodeServer({ kind: 'avatarRecord', tick, body: { index: Number(body & 0xffffffffn), generation: Number(body >> 32n) }, record });
    const l = direct.get(s.publicId);
    if (l) l.push(msg);
    else direct.set(s.publicId, [msg]);
  }
}
