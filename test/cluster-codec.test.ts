/**
 * The cluster's messages as untrusted input (issue 17, plan section 5, S1): round trips of
 * every kind (a real write set read from a stepped world, a tick order with overlay and
 * statics, a 3 MB message in parts), every refusal of crafted input (decodeCluster,
 * PartCollector, checkWriteSet field by field, TickCoordinator.accept), and a small fuzz: random
 * bytes and edits of valid messages are either decoded or refused with ProtocolError or
 * ClusterError, never another exception, and a refused Result leaves the coordinator's
 * memory byte for byte as it was.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import * as flatbuffers from 'flatbuffers';
import { ShardedWorld, type Partition } from '../src/physics/sharded';
import { LocalCluster } from '../src/cluster/local-cluster';
import { TickCoordinator, memoryAccess } from '../src/cluster/tick-coordinator';
import {
  DEFAULT_MAX_PART,
  MAX_JOINED_BYTES,
  PartCollector,
  decodeCluster,
  encodeResult,
  encodeTick,
  splitParts,
  type ClusterMessage,
  type TickOrder,
} from '../src/cluster/messages';
import { applyWriteSet, checkWriteSet, readWriteSet, WriteSetError, type WriteSet } from '../src/cluster/write-set';
import { ClusterError } from '../src/cluster/errors';
import { ERROR, ProtocolError } from '../src/protocol/errors';
import * as H from '../src/protocol/generated/shard_generated';
import { BODY_RECORD_BYTES, EVENT_BYTES, TOUCH_BYTES } from '../src/physics/world-layout';
import { buildPile, pileConfig } from './helpers/scenes';
import { EDIT_KINDS, mutate, type Edit } from './fixtures/protocol/mutate';

const TWO: Partition = { xCuts: [0.3], zCuts: [] };
const N = 300;
/** The tick whose Results the tests take apart (bodies of the pile touch by then). */
const T = 40;

type Part = Extract<ClusterMessage, { kind: 'part' }>;

const sha = (buf: ArrayBufferLike): string => createHash('sha256').update(new Uint8Array(buf)).digest('hex');

/** A 2-region pile stepped T + 1 ticks by two in-memory processes, with the orders and Results of every tick. */
function stepped(): {
  world: ShardedWorld;
  cluster: LocalCluster;
  orders: TickOrder[];
  results: Array<Array<{ from: string; bytes: Uint8Array }>>;
} {
  const config = pileConfig(N);
  const world = new ShardedWorld(config, TWO, undefined, { exchange: 'tick' });
  const tick = buildPile(world, N, 11, { layers: 6 }).tick;
  const cluster = new LocalCluster(world, config, TWO, [[0], [1]]);
  const c = cluster.coordinator;
  const orders: TickOrder[] = [];
  const results: Array<Array<{ from: string; bytes: Uint8Array }>> = [];
  const order = c.order.bind(c),
    accept = c.accept.bind(c);
  let current = -1;
  c.order = (t, staged) => {
    const o = order(t, staged);
    orders[t] = o;
    results[t] = [];
    current = t;
    return o;
  };
  c.accept = (bytes, from) => {
    results[current].push({ from, bytes: bytes.slice() });
    return accept(bytes, from);
  };
  for (let t = 0; t <= T; t++) tick();
  return { world, cluster, orders, results };
}

const S = stepped();
const acc = S.world.clusterAccess();
const plan = acc.plan;
const K = plan.shards;
/** Region 0's Result of tick T, as process p0 published it. */
const result0 = S.results[T].find((r) => r.from === 'p0')?.bytes as Uint8Array;
const result1 = S.results[T].find((r) => r.from === 'p1')?.bytes as Uint8Array;
const ws0 = (decodeCluster(result0) as Extract<ClusterMessage, { kind: 'result' }>).writes;
const highWater = S.orders[T].highWater;

/** A coordinator on the stepped world's memory with tick T open again (the memory is not written by accept). */
function coordinatorAtT(): TickCoordinator {
  const c = new TickCoordinator(memoryAccess(acc.memory, plan), { hosts: ['p0', 'p1'], epochs: [1n, 1n] });
  c.order(T, [...S.orders[T].overlaySlots]);
  return c;
}

function cloneWs(ws: WriteSet): WriteSet {
  return {
    ...ws,
    list: ws.list.slice(),
    listStart: ws.listStart.slice(),
    owners: ws.owners.slice(),
    versions: ws.versions.slice(),
    records: ws.records.slice(),
    touch: ws.touch.slice(),
    handed: ws.handed.slice(),
    handedStart: ws.handedStart.slice(),
    bySubject: ws.bySubject.slice(),
    events: ws.events.slice(),
    counters: ws.counters.slice(),
  };
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtocolError) return `protocol:${e.code}:${e.reason}`;
    if (e instanceof ClusterError) return `cluster:${e.code}`;
    if (e instanceof WriteSetError) return `writeset:${e.reason}`;
    throw e;
  }
  return 'ok';
}

/** A ShardPart with any field values (splitParts never writes part >= parts or parts 0). */
function rawPart(p: { tick: number; region: number; epoch: bigint; part: number; parts: number; bytes: Uint8Array }): Uint8Array {
  const b = new flatbuffers.Builder(p.bytes.byteLength + 128);
  const data = b.createByteVector(p.bytes);
  H.ShardPart.startShardPart(b);
  H.ShardPart.addTick(b, p.tick);
  H.ShardPart.addRegion(b, p.region);
  H.ShardPart.addEpoch(b, p.epoch);
  H.ShardPart.addPart(b, p.part);
  H.ShardPart.addParts(b, p.parts);
  H.ShardPart.addBytes(b, data);
  const root = H.ShardMessage.createShardMessage(b, H.ShardPayload.ShardPart, H.ShardPart.endShardPart(b));
  b.finish(root, 'TSSH');
  return b.asUint8Array().slice();
}

function sampleOrder(n: number, statics: number): TickOrder {
  const rnd = (len: number, seed: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (i * 131 + seed * 7 + (i >> 5)) & 0xff);
  return {
    tick: 0xfffffffe,
    highWater: 4_000_000,
    hosts: ['proc-a', 'b_2', ''],
    epochs: [1n, (1n << 63n) + 5n, (1n << 64n) - 1n],
    full: [true, false, true],
    digests: [0n, 0x0123456789abcdefn, (1n << 64n) - 2n],
    overlaySlots: Int32Array.from({ length: n }, (_, i) => i * 3),
    overlayOwners: Int32Array.from({ length: n }, (_, i) => (i % 4) - 1),
    overlayRecords: rnd(n * BODY_RECORD_BYTES, 1),
    staticSlots: Int32Array.from({ length: statics }, (_, i) => 100_000 + i),
    staticRecords: rnd(statics * BODY_RECORD_BYTES, 2),
  };
}

describe('round trips', () => {
  test('the LocalCluster run matches and its Results are non-trivial (touches, records, events)', () => {
    expect(S.cluster.coordinator.rejected.size).toBe(0);
    expect(ws0.list.length).toBeGreaterThan(0);
    expect(ws0.records.byteLength).toBeGreaterThan(0);
    expect(ws0.touch.byteLength).toBeGreaterThan(0);
    expect(ws0.bySubject.length).toBeGreaterThan(0);
  });

  test("a write set read from process p0's copy encodes to the bytes p0 published, and decodes to itself", () => {
    const host = S.cluster.hosts.get('p0');
    if (!host) throw new Error('no p0');
    const h = host.world.clusterAccess();
    const ws = readWriteSet(h.memory.buffer, h.plan, 0, T);
    const bytes = encodeResult(ws, 1n);
    expect(Buffer.from(bytes).equals(Buffer.from(result0))).toBe(true);
    const m = decodeCluster(bytes);
    expect(m.kind).toBe('result');
    if (m.kind !== 'result') return;
    expect(m.epoch).toBe(1n);
    expect(m.writes).toEqual(ws);
    // the decoded arrays are copies in buffers of their own (not views of the message)
    expect(m.writes.records.buffer).not.toBe(bytes.buffer);
    expect(m.writes.versions.byteOffset).toBe(0);
  });

  test("the coordinator's memory holds each region's writes of tick T exactly: read back, they encode to the published bytes", () => {
    for (const [k, r] of [
      [0, result0],
      [1, result1],
    ] as const) {
      const ws = readWriteSet(acc.memory.buffer, plan, k, T);
      expect(Buffer.from(encodeResult(ws, 1n)).equals(Buffer.from(r))).toBe(true);
    }
  });

  test('applying a committed Result again leaves the memory byte-identical (idempotent)', () => {
    const before = sha(acc.memory.buffer);
    for (const r of [result0, result1]) {
      const m = decodeCluster(r);
      if (m.kind !== 'result') throw new Error('not a result');
      applyWriteSet(acc.memory.buffer, plan, m.writes, true);
    }
    expect(sha(acc.memory.buffer)).toBe(before);
  });

  test('a tick order with overlay, statics, 64-bit epochs and digests decodes to itself; a real order too', () => {
    for (const o of [sampleOrder(7, 3), sampleOrder(0, 0), S.orders[T]]) {
      const m = decodeCluster(encodeTick(o));
      expect(m).toEqual({ kind: 'tick', order: o });
    }
    expect(() => encodeTick({ ...sampleOrder(1, 1), full: [true] })).toThrow(RangeError);
  });

  test('a 3 MB order travels as parts: out of order and repeated parts join once, into the same message', () => {
    const order = sampleOrder(10_000, 100); // 3.15 MB of records
    const bytes = encodeTick(order);
    expect(bytes.byteLength).toBeGreaterThan(3_000_000);
    const parts = splitParts(bytes, order.tick, 255, 9n);
    expect(parts.length).toBe(Math.ceil(bytes.byteLength / DEFAULT_MAX_PART));
    const decoded = parts.map((p) => decodeCluster(p, 1 << 20) as Part);
    for (const p of decoded) {
      expect(p).toMatchObject({ kind: 'part', tick: order.tick, region: 255, epoch: 9n, parts: parts.length });
      expect(p.bytes.byteLength).toBeLessThanOrEqual(DEFAULT_MAX_PART);
    }
    const pc = new PartCollector(4);
    // reversed, every part twice, the last part first
    const sequence = [...decoded].reverse().flatMap((p) => [p, p]);
    const joined: Uint8Array[] = [];
    for (const p of sequence) {
      const out = pc.add(p);
      if (out) joined.push(out);
    }
    expect(joined.length).toBe(1);
    expect(Buffer.from(joined[0]).equals(Buffer.from(bytes))).toBe(true);
    const back = decodeCluster(joined[0]);
    if (back.kind !== 'tick') throw new Error('not an order');
    expect(Buffer.from(back.order.overlayRecords).equals(Buffer.from(order.overlayRecords))).toBe(true);
    expect(Buffer.from(back.order.overlaySlots.buffer).equals(Buffer.from(order.overlaySlots.buffer))).toBe(true);
    expect(back.order.hosts).toEqual(order.hosts);
    // a part repeated after the join opens the message again; drop() forgets it
    pc.add(decoded[0]);
    expect(pc.size).toBe(1);
    pc.drop(order.tick + 1);
    expect(pc.size).toBe(0);
  });

  test('a message that fits one part is passed through without being held', () => {
    const pc = new PartCollector(1);
    const [one] = splitParts(result0, T, 0, 1n);
    expect(Buffer.from(pc.add(decodeCluster(one) as Part) as Uint8Array).equals(Buffer.from(result0))).toBe(true);
    expect(pc.size).toBe(0);
  });
});

describe('refusals of crafted input', () => {
  test('malformed FlatBuffers: ProtocolError BAD_MESSAGE', () => {
    for (const b of [new Uint8Array(0), new Uint8Array(3), new Uint8Array(64).fill(0xff), result0.subarray(0, result0.byteLength >> 1), Buffer.from('TSSH')]) {
      expect(codeOf(() => decodeCluster(b))).toMatch(/^protocol:1000:/);
    }
    const wrongId = result0.slice();
    wrongId.set(Buffer.from('TSWX'), 4); // file identifier
    expect(codeOf(() => decodeCluster(wrongId))).toMatch(/^protocol:1000:/);
    // over the size limit given
    expect(codeOf(() => decodeCluster(result0, 64))).toMatch(/^protocol:1000:/);
  });

  test('a legacy ShardMessage kind (ShardHash) is not a cluster message: BAD_MESSAGE NOT_CLUSTER', () => {
    const b = new flatbuffers.Builder(64);
    const off = H.ShardHash.createShardHash(b, 5, 1, 77n);
    b.finish(H.ShardMessage.createShardMessage(b, H.ShardPayload.ShardHash, off), 'TSSH');
    expect(codeOf(() => decodeCluster(b.asUint8Array()))).toBe(`protocol:${ERROR.BAD_MESSAGE}:NOT_CLUSTER`);
  });

  test('a part numbered at or past its count, or a count of 0: BAD_VALUE', () => {
    const base = { tick: 1, region: 0, epoch: 1n, bytes: new Uint8Array(8) };
    expect(codeOf(() => decodeCluster(rawPart({ ...base, part: 2, parts: 2 })))).toBe(`protocol:${ERROR.BAD_VALUE}:BAD_VALUE`);
    expect(codeOf(() => decodeCluster(rawPart({ ...base, part: 0, parts: 0 })))).toBe(`protocol:${ERROR.BAD_VALUE}:BAD_VALUE`);
    expect(codeOf(() => decodeCluster(rawPart({ ...base, part: 0xffff, parts: 1 })))).toBe(`protocol:${ERROR.BAD_VALUE}:BAD_VALUE`);
    expect(decodeCluster(rawPart({ ...base, part: 1, parts: 2 }))).toMatchObject({ kind: 'part', part: 1, parts: 2 });
  });

  test('a part count that changes within one message: BAD_VALUE, the open message is dropped, and the message sent again joins', () => {
    const pc = new PartCollector();
    const p = (part: number, parts: number): Part => ({ kind: 'part', tick: 3, region: 1, epoch: 2n, part, parts, bytes: Uint8Array.of(part) });
    // a rogue's part 0 "of 99" arrives first under the same (tick, region, epoch)
    expect(pc.add(p(0, 99))).toBeNull();
    expect(codeOf(() => pc.add(p(0, 3)))).toBe(`protocol:${ERROR.BAD_VALUE}:BAD_VALUE`);
    expect(pc.size).toBe(0);
    expect(pc.bytesHeld).toBe(0);
    // the real sender's remaining parts, then the whole message again (a resend)
    expect(pc.add(p(1, 3))).toBeNull();
    expect(pc.add(p(2, 3))).toBeNull();
    expect([...(pc.add(p(0, 3)) as Uint8Array)]).toEqual([0, 1, 2]);
    expect(pc.bytesHeld).toBe(0);
  });

  test('a message joining to more than MAX_JOINED_BYTES: TOO_LARGE, and it is dropped', () => {
    const pc = new PartCollector(64, 4 * MAX_JOINED_BYTES);
    const chunk = new Uint8Array(1 << 20); // the same 1 MiB view for every part: nothing is allocated
    const parts = MAX_JOINED_BYTES / chunk.byteLength + 2;
    let code = 'ok';
    for (let i = 0; i < parts && code === 'ok'; i++) code = codeOf(() => pc.add({ kind: 'part', tick: 1, region: 0, epoch: 1n, part: i, parts, bytes: chunk }));
    expect(code).toBe(`protocol:${ERROR.TOO_LARGE}:TOO_LARGE`);
    expect(pc.size).toBe(0);
    expect(pc.bytesHeld).toBe(0);
  });

  test('more open messages than maxOpen evict the least recently added-to: never-completed messages cannot keep a new one out', () => {
    // the coordinator never drops: before, 256 rogue parts of never-completed messages made every
    // later multi-part Result fail with TOO_MANY_OPEN for good (a stalled world)
    const pc = new PartCollector(3);
    const p = (tick: number, part: number): Part => ({ kind: 'part', tick, region: 0, epoch: 1n, part, parts: 2, bytes: Uint8Array.of(tick) });
    for (let t = 0; t < 3; t++) expect(pc.add(p(t, 0))).toBeNull();
    expect(pc.add(p(1, 1))).not.toBeNull(); // an open message still completes
    for (let t = 100; t < 110; t++) expect(pc.add(p(t, 0))).toBeNull(); // a stream of rogue parts
    expect(pc.size).toBe(3);
    expect(pc.evicted).toBe(9); // ticks 0 and 2, then the rogue ticks 100 to 106
    expect(pc.add(p(7, 0))).toBeNull();
    expect([...(pc.add(p(7, 1)) as Uint8Array)]).toEqual([7, 7]);
  });

  test('open bytes beyond maxBytes evict the oldest; a part over maxBytes alone is TOO_LARGE', () => {
    const pc = new PartCollector(64, 1000);
    const p = (tick: number, part: number, n: number): Part => ({ kind: 'part', tick, region: 0, epoch: 1n, part, parts: 3, bytes: new Uint8Array(n) });
    expect(pc.add(p(1, 0, 400))).toBeNull();
    expect(pc.add(p(2, 0, 400))).toBeNull();
    expect(pc.add(p(3, 0, 400))).toBeNull(); // evicts tick 1
    expect(pc.size).toBe(2);
    expect(pc.bytesHeld).toBe(800);
    expect(codeOf(() => pc.add(p(4, 0, 1001)))).toBe(`protocol:${ERROR.TOO_LARGE}:TOO_LARGE`);
    expect(pc.add(p(3, 1, 500))).toBeNull(); // tick 3 grows to 900: tick 2 goes
    expect(pc.size).toBe(1);
    expect(codeOf(() => pc.add(p(3, 2, 200)))).toBe(`protocol:${ERROR.TOO_LARGE}:TOO_LARGE`); // 1100 for one message
    expect(pc.size).toBe(0);
    expect(pc.bytesHeld).toBe(0);
  });

  test('drop(tick) forgets open messages below tick and their bytes', () => {
    const pc = new PartCollector();
    for (let t = 0; t < 4; t++) pc.add({ kind: 'part', tick: t, region: 0, epoch: 1n, part: 0, parts: 2, bytes: new Uint8Array(10) });
    pc.drop(2);
    expect(pc.size).toBe(2);
    expect(pc.bytesHeld).toBe(20);
  });
});

describe('checkWriteSet refuses each bad field, and a coordinator refuses the Result: memory unchanged', () => {
  const nc = ws0.touch.byteLength / TOUCH_BYTES;
  const n = ws0.list.length;
  const edits: Array<[string, (w: WriteSet) => void, RegExp]> = [
    [
      'region >= K',
      (w) => {
        w.region = K;
      },
      /region/,
    ],
    [
      'list_start of the wrong length',
      (w) => {
        w.listStart = w.listStart.subarray(0, 2 * K);
      },
      /list_start has/,
    ],
    [
      'list_start not spanning the list',
      (w) => {
        w.listStart[2 * K] = n - 1;
      },
      /span/,
    ],
    [
      'list_start decreasing',
      (w) => {
        w.listStart.set([0, n, 0, 0, n]);
      },
      /decreases/,
    ],
    [
      "an owner not its bucket's",
      (w) => {
        w.owners[0] = w.owners[0] === 0 ? 1 : 0;
      },
      /owner/,
    ],
    [
      'a slot at the high water',
      (w) => {
        w.list[0] = highWater;
      },
      /beyond the high water/,
    ],
    [
      'a negative slot',
      (w) => {
        w.list[n - 1] = -1;
      },
      /beyond the high water/,
    ],
    [
      'one record short',
      (w) => {
        w.records = w.records.subarray(0, w.records.byteLength - BODY_RECORD_BYTES);
      },
      /records/,
    ],
    [
      'a record too many',
      (w) => {
        w.records = new Uint8Array(w.records.byteLength + BODY_RECORD_BYTES);
      },
      /records/,
    ],
    [
      'owners shorter than the list',
      (w) => {
        w.owners = w.owners.subarray(1);
      },
      /owners or versions/,
    ],
    [
      'versions shorter than the list',
      (w) => {
        w.versions = w.versions.subarray(1);
      },
      /owners or versions/,
    ],
    [
      'a touch list of a partial entry',
      (w) => {
        w.touch = w.touch.subarray(1);
      },
      /touch list size/,
    ],
    [
      'a touch list over the capacity',
      (w) => {
        w.touch = new Uint8Array((plan.touchCap + 1) * TOUCH_BYTES);
      },
      /touch list size/,
    ],
    [
      'a handed index outside the touch list',
      (w) => {
        w.handed = Int32Array.of(nc);
        w.handedStart = Int32Array.of(0, 1, 1);
      },
      /handed index outside/,
    ],
    [
      'handed_start not ending at the handed length',
      (w) => {
        w.handed = Int32Array.of(0);
        w.handedStart = Int32Array.of(0, 0, 0);
      },
      /handed_start/,
    ],
    [
      'handed_start decreasing',
      (w) => {
        w.handed = Int32Array.of(0);
        w.handedStart = Int32Array.of(0, 2, 1);
      },
      /handed_start/,
    ],
    [
      'more handed entries than a row holds (touch capacity)',
      (w) => {
        w.handed = new Int32Array(plan.touchCap + 1);
        w.handedStart = Int32Array.of(0, plan.touchCap + 1, plan.touchCap + 1);
      },
      /handed/,
    ],
    [
      'by_subject of the wrong size',
      (w) => {
        w.bySubject = w.bySubject.subarray(2);
      },
      /by_subject size/,
    ],
    [
      'a by_subject slot at the high water',
      (w) => {
        w.bySubject[0] = highWater;
      },
      /by_subject slot/,
    ],
    [
      'a by_subject index outside the touch list',
      (w) => {
        w.bySubject[1] = nc;
      },
      /by_subject index/,
    ],
    [
      'events of a partial entry',
      (w) => {
        w.events = new Uint8Array(EVENT_BYTES + 1);
      },
      /events size/,
    ],
    [
      'events over the capacity',
      (w) => {
        w.events = new Uint8Array((plan.eventCap + 1) * EVENT_BYTES);
      },
      /events size/,
    ],
    [
      'a counter missing',
      (w) => {
        w.counters = w.counters.subarray(1);
      },
      /counters/,
    ],
    [
      'a list longer than the capacity',
      (w) => {
        w.list = new Int32Array(plan.capacity + 1);
        w.owners = new Int32Array(plan.capacity + 1);
        w.versions = new BigInt64Array(plan.capacity + 1);
        w.listStart.fill(plan.capacity + 1);
        w.listStart[0] = 0;
      },
      /capacity/,
    ],
  ];

  test.each(edits)('%s', (_name, edit, reason) => {
    const w = cloneWs(ws0);
    edit(w);
    expect(() => checkWriteSet(acc.memory.buffer, plan, w, highWater)).toThrow(WriteSetError);
    expect(codeOf(() => checkWriteSet(acc.memory.buffer, plan, w, highWater))).toMatch(reason);
    // the same write set as a Result to a coordinator stepping tick T: refused, counted, nothing written
    const c = coordinatorAtT();
    const before = sha(acc.memory.buffer);
    expect(codeOf(() => c.accept(encodeResult(w, 1n), 'p0'))).toBe('cluster:BAD_VALUE');
    expect(c.rejected.get('BAD_VALUE')).toBe(1);
    expect(c.pending()).toEqual([0, 1]);
    expect(sha(acc.memory.buffer)).toBe(before);
  });

  test('the unedited write set passes, and the real Results are taken by that coordinator', () => {
    expect(() => checkWriteSet(acc.memory.buffer, plan, cloneWs(ws0), highWater)).not.toThrow();
    const c = coordinatorAtT();
    expect(c.accept(result0, 'p0')).toBe(0);
    expect(c.accept(result0, 'p0')).toBeNull(); // a repeat
    expect(c.accept(result1, 'p1')).toBe(1);
    expect(c.rejected.size).toBe(0);
  });

  test('TickCoordinator.accept refuses with its codes: wrong tick, old epoch, wrong sender, full mismatch, an order', () => {
    const c = coordinatorAtT();
    const before = sha(acc.memory.buffer);
    expect(codeOf(() => c.accept(encodeResult({ ...ws0, tick: T + 1 }, 1n), 'p0'))).toBe('cluster:WRONG_TICK');
    expect(codeOf(() => c.accept(encodeResult(ws0, 0n), 'p0'))).toBe('cluster:STALE_EPOCH');
    expect(codeOf(() => c.accept(encodeResult(ws0, 2n), 'p0'))).toBe('cluster:STALE_EPOCH');
    expect(codeOf(() => c.accept(result0, 'p1'))).toBe('cluster:NOT_OWNER');
    expect(codeOf(() => c.accept(result0, ''))).toBe('cluster:NOT_OWNER');
    expect(codeOf(() => c.accept(encodeResult({ ...ws0, full: true }, 1n), 'p0'))).toBe('cluster:BAD_VALUE');
    expect(codeOf(() => c.accept(encodeTick(S.orders[T]), 'p0'))).toBe('cluster:BAD_VALUE');
    expect(codeOf(() => c.accept(new Uint8Array(16), 'p0'))).toBe('cluster:BAD_MESSAGE');
    expect(codeOf(() => c.accept(splitParts(result0, T, 0, 1n)[0], 'p0'))).toBe('cluster:BAD_VALUE'); // a part, not joined
    expect(Object.fromEntries(c.rejected)).toEqual({ WRONG_TICK: 1, STALE_EPOCH: 2, NOT_OWNER: 2, BAD_VALUE: 3, BAD_MESSAGE: 1 });
    expect(c.pending()).toEqual([0, 1]);
    expect(sha(acc.memory.buffer)).toBe(before);
    const idle = new TickCoordinator(memoryAccess(acc.memory, plan), { hosts: ['p0', 'p1'], epochs: [1n, 1n] });
    expect(codeOf(() => idle.accept(result0, 'p0'))).toBe('cluster:WRONG_TICK'); // no tick open
  });
});

describe('fuzz', () => {
  const editArb: fc.Arbitrary<Edit> = fc.record({ kind: fc.integer({ min: 0, max: EDIT_KINDS - 1 }), a: fc.nat(), b: fc.nat(), c: fc.nat() });
  const order = encodeTick(S.orders[T]);
  const corpus = [result0, result1, order, encodeTick(sampleOrder(3, 2)), ...splitParts(result0, T, 0, 1n, 4096).slice(0, 2)];

  /** decodeCluster returns or throws ProtocolError / ClusterError; PartCollector.add likewise on any decoded part. */
  function decodeOnly(b: Uint8Array, pc: PartCollector): string {
    return codeOf(() => {
      const m = decodeCluster(b, 1 << 20);
      if (m.kind === 'part') pc.add(m);
    });
  }

  test('random bytes, and random bytes behind a valid header, are refused with a protocol error', () => {
    const pc = new PartCollector(8);
    const prefix = result0.subarray(0, 8);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), (b, head) => {
        const bytes = head ? Uint8Array.from([...prefix, ...b]) : b;
        expect(decodeOnly(bytes, pc)).toMatch(/^(ok|protocol:|cluster:)/);
      }),
      { numRuns: 2000, seed: 17 },
    );
  });

  test('edits of valid messages are decoded or refused, never another exception', () => {
    const pc = new PartCollector(8);
    const tally = new Map<string, number>();
    fc.assert(
      fc.property(fc.nat(), fc.array(editArb, { minLength: 1, maxLength: 3 }), (which, es) => {
        const code = decodeOnly(mutate(corpus[which % corpus.length], es, corpus), pc).replace(/:[^:]*$/, '');
        tally.set(code, (tally.get(code) ?? 0) + 1);
      }),
      { numRuns: 3000, seed: 1717 },
    );
    expect(tally.get('protocol:1000')).toBeGreaterThan(0);
    expect(tally.get('ok')).toBeGreaterThan(0);
  });

  test('edited Results given to a coordinator stepping tick T: taken or refused with a ClusterError; refused ones write nothing; taken ones apply inside the memory', () => {
    const c = coordinatorAtT();
    const before = sha(acc.memory.buffer);
    const outcomes = new Map<string, number>();
    let applied = 0;
    fc.assert(
      fc.property(fc.boolean(), fc.array(editArb, { minLength: 1, maxLength: 2 }), (first, es) => {
        const src = first ? result0 : result1;
        const bytes = mutate(src, es, corpus);
        let out: string;
        try {
          const k = c.accept(bytes, first ? 'p0' : 'p1');
          out = k === null ? 'repeat' : 'taken';
          // what a commit would write: a write set that passed the checks stays inside the layout
          const m = decodeCluster(bytes);
          if (m.kind !== 'result') throw new Error('taken but not a result');
          const scratch = new Uint8Array(acc.memory.buffer).slice();
          applyWriteSet(scratch.buffer, plan, m.writes, true);
          applied++;
        } catch (e) {
          if (!(e instanceof ClusterError)) throw e;
          out = e.code;
        }
        outcomes.set(out, (outcomes.get(out) ?? 0) + 1);
      }),
      { numRuns: 300, seed: 99 },
    );
    expect(sha(acc.memory.buffer)).toBe(before);
    const refused = [...c.rejected.values()].reduce((a, b) => a + b, 0);
    expect(refused).toBe([...outcomes].filter(([k]) => k !== 'taken' && k !== 'repeat').reduce((a, [, v]) => a + v, 0));
    expect(refused).toBeGreaterThan(0);
    expect(applied).toBe((outcomes.get('taken') ?? 0) + (outcomes.get('repeat') ?? 0));
  });
});
