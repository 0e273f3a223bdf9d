/**
 * The cluster's messages (schemas/shard.fbs ShardResult, ShardTick, ShardPart), carried in the
 * ShardMessage root ("TSSH") and verified by verifyShard before any field is read. Vectors of
 * numbers are written and read as whole little-endian byte ranges (one copy, no per-element
 * call): FlatBuffers stores them little-endian, as typed arrays are on every platform Node runs
 * on (checked at load).
 *
 * A message larger than `maxPart` bytes travels as ShardPart messages (NATS refuses messages
 * above the server's max_payload, 1 MiB by default): splitParts cuts, PartCollector joins, and
 * the joined bytes are verified again as a whole.
 */
import { createHash } from 'node:crypto';
import * as flatbuffers from 'flatbuffers';
import * as H from '../protocol/generated/shard_generated';
import { verifyShard } from '../protocol/verify';
import { ERROR, ProtocolError } from '../protocol/errors';
import type { WriteSet } from './write-set';

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('the cluster codec needs a little-endian platform');

/** Largest message accepted after joining parts (bytes): a whole region's write set of a 100,000-body world fits. */
export const MAX_JOINED_BYTES = 256 << 20;
/** Default largest part (bytes): half of NATS's default max_payload, room for the envelope. */
export const DEFAULT_MAX_PART = 512 << 10;

/** Coordinator -> shard processes: step `tick` (schemas/shard.fbs ShardTick). */
export interface TickOrder {
  tick: number;
  highWater: number;
  /** Per region: the id of the shard process that runs it. */
  hosts: string[];
  /** Per region: its assignment epoch. */
  epochs: bigint[];
  /** Per region: write every record (a region rebuilt after a fault). */
  full: boolean[];
  /** Per region: digest of its committed Result of tick - 1 (0n: none). */
  digests: bigint[];
  overlaySlots: Int32Array;
  overlayOwners: Int32Array;
  /** BODY_RECORD_BYTES per overlay slot. */
  overlayRecords: Uint8Array;
  staticSlots: Int32Array;
  /** BODY_RECORD_BYTES per static slot. */
  staticRecords: Uint8Array;
}

/** A decoded cluster message. */
export type ClusterMessage =
  | { kind: 'result'; epoch: bigint; writes: WriteSet }
  | { kind: 'tick'; order: TickOrder }
  | { kind: 'part'; tick: number; region: number; epoch: bigint; part: number; parts: number; bytes: Uint8Array };

/** 64-bit digest of a message's bytes (the first 8 bytes of its SHA-256, little-endian): names a committed Result. */
export function digestOf(bytes: Uint8Array): bigint {
  const d = createHash('sha256').update(bytes).digest();
  return d.readBigUInt64LE(0);
}

function bytesOf(a: Int32Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A vector of `elem`-byte scalars written as one byte range. */
function rawVector(b: flatbuffers.Builder, a: Int32Array | BigInt64Array | Uint8Array, elem: number): flatbuffers.Offset {
  const bytes = bytesOf(a);
  b.startVector(elem, bytes.byteLength / elem, elem);
  const s = b as unknown as { space: number; bb: flatbuffers.ByteBuffer };
  s.space -= bytes.byteLength;
  s.bb.bytes().set(bytes, s.space);
  return b.endVector();
}

/** The bytes of vector field `id` of table `t` (a view into the message), or an empty array. */
function vecBytes(t: { bb: flatbuffers.ByteBuffer | null; bb_pos: number }, id: number, elem: number): Uint8Array {
  const bb = t.bb as flatbuffers.ByteBuffer;
  const o = bb.__offset(t.bb_pos, 4 + 2 * id);
  if (!o) return new Uint8Array(0);
  const at = bb.__vector(t.bb_pos + o);
  return bb.bytes().subarray(at, at + bb.__vector_len(t.bb_pos + o) * elem);
}

/**
 * A fresh copy of a byte range in a buffer of its own (`new Uint8Array(view)` copies; a Node
 * Buffer's slice() would be a view into a shared pool), and as aligned typed arrays.
 */
function copy(u: Uint8Array): Uint8Array {
  return new Uint8Array(u);
}
function i32s(u: Uint8Array): Int32Array {
  return new Int32Array(copy(u).buffer);
}
function i64s(u: Uint8Array): BigInt64Array {
  return new BigInt64Array(copy(u).buffer);
}

function finish(b: flatbuffers.Builder, type: H.ShardPayload, off: flatbuffers.Offset): Uint8Array {
  const root = H.ShardMessage.createShardMessage(b, type, off);
  b.finish(root, 'TSSH');
  return b.asUint8Array().slice();
}

/** Encodes a region's write set with the epoch it was computed under. */
export function encodeResult(ws: WriteSet, epoch: bigint): Uint8Array {
  const b = new flatbuffers.Builder(1024 + ws.records.byteLength + ws.touch.byteLength * 2 + ws.list.length * 16);
  const list = rawVector(b, ws.list, 4),
    listStart = rawVector(b, ws.listStart, 4),
    owners = rawVector(b, ws.owners, 4),
    versions = rawVector(b, ws.versions, 8),
    records = rawVector(b, ws.records, 1),
    touch = rawVector(b, ws.touch, 1),
    handed = rawVector(b, ws.handed, 4),
    handedStart = rawVector(b, ws.handedStart, 4),
    bySubject = rawVector(b, ws.bySubject, 4),
    events = rawVector(b, ws.events, 1),
    counters = rawVector(b, ws.counters, 8);
  H.ShardResult.startShardResult(b);
  H.ShardResult.addTick(b, ws.tick);
  H.ShardResult.addRegion(b, ws.region);
  H.ShardResult.addEpoch(b, epoch);
  H.ShardResult.addFull(b, ws.full);
  H.ShardResult.addList(b, list);
  H.ShardResult.addListStart(b, listStart);
  H.ShardResult.addOwners(b, owners);
  H.ShardResult.addVersions(b, versions);
  H.ShardResult.addRecords(b, records);
  H.ShardResult.addTouch(b, touch);
  H.ShardResult.addHanded(b, handed);
  H.ShardResult.addHandedStart(b, handedStart);
  H.ShardResult.addBySubject(b, bySubject);
  H.ShardResult.addEvents(b, events);
  H.ShardResult.addCounters(b, counters);
  return finish(b, H.ShardPayload.ShardResult, H.ShardResult.endShardResult(b));
}

/** Encodes a tick order. Throws RangeError when the per-region arrays differ in length. */
export function encodeTick(o: TickOrder): Uint8Array {
  const K = o.hosts.length;
  if (o.epochs.length !== K || o.full.length !== K || o.digests.length !== K) throw new RangeError('tick order: per-region arrays differ in length');
  const b = new flatbuffers.Builder(1024 + o.overlayRecords.byteLength + o.staticRecords.byteLength);
  const hosts = H.ShardTick.createHostsVector(
    b,
    o.hosts.map((h) => b.createString(h)),
  );
  const epochs = rawVector(
      b,
      BigInt64Array.from(o.epochs, (e) => BigInt.asIntN(64, e)),
      8,
    ),
    full = rawVector(
      b,
      Uint8Array.from(o.full, (f) => (f ? 1 : 0)),
      1,
    ),
    digests = rawVector(
      b,
      BigInt64Array.from(o.digests, (d) => BigInt.asIntN(64, d)),
      8,
    ),
    ovSlots = rawVector(b, o.overlaySlots, 4),
    ovOwners = rawVector(b, o.overlayOwners, 4),
    ovRecords = rawVector(b, o.overlayRecords, 1),
    stSlots = rawVector(b, o.staticSlots, 4),
    stRecords = rawVector(b, o.staticRecords, 1);
  H.ShardTick.startShardTick(b);
  H.ShardTick.addTick(b, o.tick);
  H.ShardTick.addHighWater(b, o.highWater);
  H.ShardTick.addHosts(b, hosts);
  H.ShardTick.addEpochs(b, epochs);
  H.ShardTick.addFull(b, full);
  H.ShardTick.addDigests(b, digests);
  H.ShardTick.addOverlaySlots(b, ovSlots);
  H.ShardTick.addOverlayOwners(b, ovOwners);
  H.ShardTick.addOverlayRecords(b, ovRecords);
  H.ShardTick.addStaticSlots(b, stSlots);
  H.ShardTick.addStaticRecords(b, stRecords);
  return finish(b, H.ShardPayload.ShardTick, H.ShardTick.endShardTick(b));
}

/**
 * Cuts a message into ShardPart messages of at most `maxPart` payload bytes each (one part when
 * it fits), labelled with the tick, region and epoch of the message they carry.
 */
export function splitParts(bytes: Uint8Array, tick: number, region: number, epoch: bigint, maxPart = DEFAULT_MAX_PART): Uint8Array[] {
  const parts = Math.max(1, Math.ceil(bytes.byteLength / maxPart));
  if (parts > 0xffff) throw new RangeError('message too large for 65,535 parts');
  const out: Uint8Array[] = [];
  for (let p = 0; p < parts; p++) {
    const chunk = bytes.subarray(p * maxPart, Math.min(bytes.byteLength, (p + 1) * maxPart));
    const b = new flatbuffers.Builder(chunk.byteLength + 128);
    const data = b.createByteVector(chunk);
    H.ShardPart.startShardPart(b);
    H.ShardPart.addTick(b, tick);
    H.ShardPart.addRegion(b, region);
    H.ShardPart.addEpoch(b, epoch);
    H.ShardPart.addPart(b, p);
    H.ShardPart.addParts(b, parts);
    H.ShardPart.addBytes(b, data);
    out.push(finish(b, H.ShardPayload.ShardPart, H.ShardPart.endShardPart(b)));
  }
  return out;
}

const badValue = (what: string): ProtocolError => new ProtocolError(ERROR.BAD_VALUE, 'BAD_VALUE', `cluster message: ${what}`);

/**
 * Verifies and decodes a cluster message (ShardResult, ShardTick or ShardPart). Throws
 * ProtocolError BAD_MESSAGE (the verifier's reason) for malformed bytes or another ShardMessage
 * kind, BAD_VALUE for a field out of range. Typed arrays in the result are fresh copies.
 */
export function decodeCluster(bytes: Uint8Array, maxBytes = MAX_JOINED_BYTES): ClusterMessage {
  const pos = verifyShard(bytes, { maxBytes, maxTables: 1 << 20 });
  const bb = new flatbuffers.ByteBuffer(bytes);
  const root = new H.ShardMessage().__init(pos, bb);
  switch (root.payloadType()) {
    case H.ShardPayload.ShardResult: {
      const t = root.payload(new H.ShardResult()) as H.ShardResult;
      const v = (id: number, e: number): Uint8Array => vecBytes(t as never, id, e);
      const writes: WriteSet = {
        tick: t.tick(),
        region: t.region(),
        full: t.full(),
        list: i32s(v(4, 4)),
        listStart: i32s(v(5, 4)),
        owners: i32s(v(6, 4)),
        versions: i64s(v(7, 8)),
        records: copy(v(8, 1)),
        touch: copy(v(9, 1)),
        handed: i32s(v(10, 4)),
        handedStart: i32s(v(11, 4)),
        bySubject: i32s(v(12, 4)),
        events: copy(v(13, 1)),
        counters: i64s(v(14, 8)),
      };
      return { kind: 'result', epoch: t.epoch(), writes };
    }
    case H.ShardPayload.ShardTick: {
      const t = root.payload(new H.ShardTick()) as H.ShardTick;
      const v = (id: number, e: number): Uint8Array => vecBytes(t as never, id, e);
      const K = t.hostsLength();
      const hosts: string[] = [];
      for (let k = 0; k < K; k++) hosts.push(t.hosts(k));
      const epochs = [...i64s(v(3, 8))].map((e) => BigInt.asUintN(64, e));
      const full = [...v(4, 1)].map((f) => f !== 0);
      const digests = [...i64s(v(5, 8))].map((d) => BigInt.asUintN(64, d));
      if (epochs.length !== K || full.length !== K || digests.length !== K) throw badValue('tick order: per-region arrays differ in length');
      const order: TickOrder = {
        tick: t.tick(),
        highWater: t.highWater(),
        hosts,
        epochs,
        full,
        digests,
        overlaySlots: i32s(v(6, 4)),
        overlayOwners: i32s(v(7, 4)),
        overlayRecords: copy(v(8, 1)),
        staticSlots: i32s(v(9, 4)),
        staticRecords: copy(v(10, 1)),
      };
      return { kind: 'tick', order };
    }
    case H.ShardPayload.ShardPart: {
      const t = root.payload(new H.ShardPart()) as H.ShardPart;
      if (t.parts() === 0 || t.part() >= t.parts()) throw badValue(`part ${t.part()} of ${t.parts()}`);
      return {
        kind: 'part',
        tick: t.tick(),
        region: t.region(),
        epoch: t.epoch(),
        part: t.part(),
        parts: t.parts(),
        bytes: copy(vecBytes(t as never, 5, 1)),
      };
    }
    default:
      throw new ProtocolError(ERROR.BAD_MESSAGE, 'NOT_CLUSTER', 'not a cluster message (ShardResult, ShardTick or ShardPart)');
  }
}

/**
 * Joins ShardPart messages by (tick, region, epoch). add() returns the joined bytes when the
 * last missing part arrives (null before); a repeated part is ignored. Parts come from the
 * network, so nothing a sender does can keep a message out for good or hold unbounded memory:
 *
 * - at most `maxOpen` messages are open and at most `maxBytes` bytes held in all; a part that
 *   would pass either evicts the least recently added-to messages first (counted in `evicted`),
 *   so a stream of parts of messages that never complete cannot keep a new one out (a caller
 *   that never calls drop() stays bounded);
 * - a message joining to more than MAX_JOINED_BYTES: add() throws ProtocolError TOO_LARGE and
 *   drops it;
 * - a part whose count differs from the open message's: add() throws ProtocolError BAD_VALUE and
 *   drops the open message, so a sender that repeats the message whole gets it joined (a part
 *   with a false count cannot poison the key).
 *
 * drop(tick) forgets everything below tick.
 */
export class PartCollector {
  private readonly open = new Map<string, { tick: number; parts: Array<Uint8Array | undefined>; got: number; bytes: number }>();
  private held = 0;
  /** Open messages evicted to make room (their parts were dropped). */
  evicted = 0;
  constructor(
    readonly maxOpen = 64,
    readonly maxBytes = 2 * MAX_JOINED_BYTES,
  ) {
    if (!(maxOpen >= 1)) throw new RangeError('maxOpen must be at least 1');
  }

  /** Messages being joined. */
  get size(): number {
    return this.open.size;
  }

  /** Bytes held in open messages. */
  get bytesHeld(): number {
    return this.held;
  }

  private forget(key: string): void {
    const m = this.open.get(key);
    if (!m) return;
    this.held -= m.bytes;
    this.open.delete(key);
  }

  add(p: Extract<ClusterMessage, { kind: 'part' }>): Uint8Array | null {
    if (p.parts === 1) return p.bytes;
    const key = `${p.tick}/${p.region}/${p.epoch}`;
    let m = this.open.get(key);
    if (m && m.parts.length !== p.parts) {
      this.forget(key);
      throw badValue(`part count ${p.parts} differs from ${m.parts.length} for the same message (the open message is dropped)`);
    }
    if (m?.parts[p.part]) return null;
    if (m && m.bytes + p.bytes.byteLength > MAX_JOINED_BYTES) {
      this.forget(key);
      throw new ProtocolError(ERROR.TOO_LARGE, 'TOO_LARGE', `joined message over ${MAX_JOINED_BYTES} bytes`);
    }
    if (p.bytes.byteLength > this.maxBytes) throw new ProtocolError(ERROR.TOO_LARGE, 'TOO_LARGE', `a part over ${this.maxBytes} bytes`);
    if (m)
      this.open.delete(key); // re-inserted below: the Map's order is least recently added-to first
    else m = { tick: p.tick, parts: new Array(p.parts), got: 0, bytes: 0 };
    for (const [k] of this.open) {
      if (this.open.size < this.maxOpen && this.held + p.bytes.byteLength <= this.maxBytes) break;
      this.forget(k);
      this.evicted++;
    }
    if (this.held + p.bytes.byteLength > this.maxBytes) {
      this.held -= m.bytes; // m alone is over the budget (it is out of the map: dropped)
      throw new ProtocolError(ERROR.TOO_LARGE, 'TOO_LARGE', `joined message over the collector's ${this.maxBytes} bytes`);
    }
    this.open.set(key, m);
    m.parts[p.part] = p.bytes;
    m.bytes += p.bytes.byteLength;
    this.held += p.bytes.byteLength;
    if (++m.got < p.parts) return null;
    this.forget(key);
    const out = new Uint8Array(m.bytes);
    let at = 0;
    for (const x of m.parts) {
      out.set(x as Uint8Array, at);
      at += (x as Uint8Array).byteLength;
    }
    return out;
  }

  /** Forgets messages of ticks below `tick`. */
  drop(tick: number): void {
    for (const [k, m] of this.open) if (m.tick < tick) this.forget(k);
  }
}
