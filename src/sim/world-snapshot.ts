/**
 * The bytes of a world snapshot (what WorldLoop persists every `snapshotEvery` ticks):
 *
 *   | u32 n1 | stream state JSON (n1 bytes) | u32 n2 | game JSON (n2 bytes) | physics bytes |
 *
 * stream state = EventStream.exportState(), game = MainSim.save().game, physics =
 * ShardedWorld.save() (see those for their own layouts). Little-endian.
 */
import type { StreamState } from './stream';

/** A decoded world snapshot. */
export interface WorldSnapshot {
  stream: StreamState;
  game: string;
  physics: Uint8Array;
}

/** Encodes a snapshot. */
export function encodeWorldSnapshot(s: WorldSnapshot): Uint8Array {
  const [head, physics] = encodeWorldSnapshotParts(s);
  const out = new Uint8Array(head.byteLength + physics.byteLength);
  out.set(head, 0);
  out.set(physics, head.byteLength);
  return out;
}

/**
 * The snapshot's bytes as [head, physics] without copying the physics bytes (their
 * concatenation is encodeWorldSnapshot's output): what a SnapshotSink takes off the tick thread.
 */
export function encodeWorldSnapshotParts(s: WorldSnapshot): [Uint8Array, Uint8Array] {
  const a = Buffer.from(JSON.stringify(s.stream), 'utf8'),
    b = Buffer.from(s.game, 'utf8');
  const head = new Uint8Array(8 + a.length + b.length);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, a.length, true);
  head.set(a, 4);
  dv.setUint32(4 + a.length, b.length, true);
  head.set(b, 8 + a.length);
  return [head, s.physics];
}

/** Decodes a snapshot. Throws RangeError for bytes too short for their lengths, SyntaxError for bad JSON. */
export function decodeWorldSnapshot(bytes: Uint8Array): WorldSnapshot {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n1 = dv.getUint32(0, true);
  if (8 + n1 > bytes.byteLength) throw new RangeError('world snapshot truncated');
  const n2 = dv.getUint32(4 + n1, true);
  if (8 + n1 + n2 > bytes.byteLength) throw new RangeError('world snapshot truncated');
  const text = (o: number, n: number): string => Buffer.from(bytes.buffer, bytes.byteOffset + o, n).toString('utf8');
  return { stream: JSON.parse(text(4, n1)) as StreamState, game: text(8 + n1, n2), physics: bytes.subarray(8 + n1 + n2) };
}
