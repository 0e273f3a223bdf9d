/**
 * The replicated world log's message (issue 19): one closed tick of a world stream as a
 * FlatBuffers LogTick (schemas/log.fbs, file identifier "TSLG"), what the leader appends to the
 * world's JetStream stream (jetstream-log.ts) and a replica applies (follower.ts). Decoding
 * verifies the whole buffer first (src/protocol/verify.ts verifyLog) and then checks what the
 * schema cannot say: every event belongs to the tick, ids and ticks are in range.
 */
import * as flatbuffers from 'flatbuffers';
import type { StreamEvent } from '../protocol/messages';
import { verifyLog } from '../protocol/verify';
import { ERROR } from '../protocol/errors';
import { protocolError } from '../protocol/verify';
import { LogJoin } from '../protocol/generated/tessera/log-join';
import { LogTick } from '../protocol/generated/tessera/log-tick';
import { StreamEvent as FbStreamEvent } from '../protocol/generated/tessera/stream-event';

/** Largest LogTick accepted, bytes (a tick's events are bounded by the stream's per-tick limits, far below). */
export const MAX_LOG_TICK_BYTES = 4 << 20;

/** One closed tick of a world stream (WorldLogStore.appendTick's arguments). */
export interface LoggedTick {
  stream: string;
  tick: number;
  /** Main sim state hash after the tick (MainSim.hash()). */
  hash: bigint;
  /** Its events in canonical order, each with `tick`. */
  events: StreamEvent[];
  /** [private id, public id] of clients that joined in the tick. */
  joins: Array<[string, number]>;
}

const builder = new flatbuffers.Builder(4096);

/** Encodes a closed tick as a LogTick buffer ("TSLG"). Throws RangeError for a tick or id out of u32 range or an event of another tick. */
export function encodeLogTick(t: LoggedTick): Uint8Array {
  const u32 = (v: number, what: string): number => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`log tick: ${what} = ${v} is not a u32`);
    return v;
  };
  u32(t.tick, 'tick');
  const b = builder;
  b.clear();
  const events = t.events.map((e, i) => {
    if (e.tick !== t.tick) throw new RangeError(`log tick ${t.tick}: event ${i} is of tick ${e.tick}`);
    const type = b.createString(e.type),
      body = b.createString(e.body);
    return FbStreamEvent.createStreamEvent(b, e.tick, type, u32(e.origin, `events[${i}].origin`), body);
  });
  const joins = t.joins.map(([priv, pub], i) => LogJoin.createLogJoin(b, b.createString(priv), u32(pub, `joins[${i}].public`)));
  const stream = b.createString(t.stream);
  const ev = LogTick.createEventsVector(b, events),
    jo = LogTick.createJoinsVector(b, joins);
  b.finish(LogTick.createLogTick(b, stream, t.tick, BigInt.asUintN(64, t.hash), ev, jo), 'TSLG');
  return b.asUint8Array().slice();
}

/**
 * Decodes a LogTick buffer after verifying it. Throws ProtocolError (ERROR.BAD_MESSAGE: not a
 * valid LogTick, or an event of another tick) without reading anything unverified.
 */
export function decodeLogTick(bytes: Uint8Array): LoggedTick {
  verifyLog(bytes, { maxBytes: MAX_LOG_TICK_BYTES });
  const bb = new flatbuffers.ByteBuffer(bytes);
  const t = LogTick.getRootAsLogTick(bb);
  const tick = t.tick();
  const events: StreamEvent[] = [];
  const e = new FbStreamEvent();
  for (let i = 0; i < t.eventsLength(); i++) {
    t.events(i, e);
    if (e.tick() !== tick) throw protocolError(ERROR.BAD_MESSAGE, 'BAD_VALUE', `log tick ${tick}: event ${i} is of tick ${e.tick()}`);
    events.push({ tick, type: e.type() as string, origin: e.origin(), body: e.body() as string });
  }
  const joins: Array<[string, number]> = [];
  const j = new LogJoin();
  for (let i = 0; i < t.joinsLength(); i++) {
    t.joins(i, j);
    joins.push([j.privateId() as string, j.publicId()]);
  }
  return { stream: t.stream() as string, tick, hash: t.hash(), events, joins };
}
