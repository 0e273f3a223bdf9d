/**
 * Fuzzing the decoders (fast-check, fixed seeds so every run tests the same inputs):
 *
 *  - round trips: random valid messages of every kind decode to themselves;
 *  - random buffers: 100,000 per root, 0-200 bytes (a quarter fully random, a quarter with
 *    the root's file identifier, a quarter also with an aligned root offset, a quarter also
 *    with a plausible root vtable and union tag, so they get past the first checks);
 *  - mutated buffers: 100,000 per root, valid encodings of random messages with 1-4 edits
 *    each: bit flips, byte sets, truncation, extension, insertion/deletion, splices from
 *    another message, and edits of u32 length/offset words and u16 vtable entries.
 *
 * The property for every input: decodeX either throws a ProtocolError (anything else fails the
 * test), or returns a value that encodes without error and decodes back to a deep-equal value
 * whose encoding is byte-identical. The slowest rejection of each root is printed (timings
 * are not asserted: they go to bench/protocol).
 */
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { encodeClient, decodeClient, encodeServer, decodeServer, encodeShard, decodeShard } from '../src/protocol/codec';
import { ProtocolError } from '../src/protocol/errors';
import type { ClientMessage, ServerMessage, ShardMessage, RawVec3, Handle } from '../src/protocol/messages';
import { CLIENT_SAMPLES, SERVER_SAMPLES, SHARD_SAMPLES, I64_MIN, I64_MAX, U64_MAX } from './fixtures/protocol/samples';
import { mutate, EDIT_KINDS, type Edit } from './fixtures/protocol/mutate';

const RUNS = 100_000;
const SEED = 20261122;

// ---------------------------------------------------------------------------------------
// arbitraries of valid messages

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const i16 = fc.integer({ min: -0x8000, max: 0x7fff });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const u32 = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 1, 0xffffffff));
const i64 = fc.oneof(fc.bigInt({ min: I64_MIN, max: I64_MAX }), fc.constantFrom(I64_MIN, I64_MAX, 0n, -1n));
const u64 = fc.oneof(fc.bigInt({ min: 0n, max: U64_MAX }), fc.constantFrom(0n, U64_MAX));
const str = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ maxLength: 6 }), fc.constant(''));
const vec3: fc.Arbitrary<RawVec3> = fc.tuple(i64, i64, i64);
const handle: fc.Arbitrary<Handle> = fc.record({ index: u32, generation: u32 });
const walk = fc.integer({ min: -1000, max: 1000 });
const interest = fc.record({ center: vec3, cells: u32 });
const enumOf = (n: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: n - 1 });

const clientArb: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record({
    kind: fc.constant('hello' as const),
    version: u32,
    token: str,
    stream: str,
    privateId: str,
    lastKnownTick: fc.option(u32, { nil: null }),
    interest: fc.option(interest, { nil: null }),
  }),
  fc.record({ kind: fc.constant('input' as const), input: fc.record({ seq: u32, walkX: walk, walkZ: walk, jump: fc.boolean() }) }),
  fc.record({ kind: fc.constant('publish' as const), type: str, body: str }),
  fc.record({ kind: fc.constant('chat' as const), channel: enumOf(4), to: str, text: str }),
  fc.record({ kind: fc.constant('spawn' as const), shape: enumOf(4), position: vec3, velocity: vec3, size: vec3 }),
  fc.record({ kind: fc.constant('ownership' as const), body: handle, action: enumOf(5), rule: enumOf(3), target: u32 }),
  fc.record({ kind: fc.constant('admin' as const), command: str, args: fc.array(str, { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('ack' as const), tick: u32 }),
  fc.record({ kind: fc.constant('interest' as const), interest }),
  fc.record({ kind: fc.constant('ping' as const), nonce: u64 }),
);

const bodyState = fc.record({
  index: u32,
  generation: u32,
  px: i32,
  py: i32,
  pz: i32,
  qx: i16,
  qy: i16,
  qz: i16,
  qw: i16,
  vx: i16,
  vy: i16,
  vz: i16,
  shard: u8,
});
const bodyShape = fc.record({ index: u32, generation: u32, shape: enumOf(4), kind: enumOf(3), sx: i32, sy: i32, sz: i32 });
const v3 = (x: fc.Arbitrary<number>) => fc.tuple(x, x, x);
const jointInfo = fc.record({
  index: u32,
  generation: u32,
  kind: fc.integer({ min: 1, max: 4 }),
  flags: fc.integer({ min: 0, max: 7 }),
  a: handle,
  b: fc.option(handle, { nil: null }),
  anchorA: v3(i32),
  anchorB: v3(i32),
  axisA: v3(i16),
  axisB: v3(i16),
  lower: i32,
  upper: i32,
  target: i32,
  minLength: i32,
  maxLength: i32,
});
const serverArb: fc.Arbitrary<ServerMessage> = fc.oneof(
  fc.record({ kind: fc.constant('welcome' as const), version: u32, publicId: u32, stream: str, tick: u32, tickRate: u32, seed: str }),
  fc.record({
    kind: fc.constant('snapshot' as const),
    tick: u32,
    bodies: fc.array(bodyState, { maxLength: 5 }),
    shapes: fc.array(bodyShape, { maxLength: 3 }),
    joints: fc.array(jointInfo, { maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('delta' as const),
    baseTick: u32,
    tick: u32,
    bodies: fc.array(bodyState, { maxLength: 5 }),
    shapes: fc.array(bodyShape, { maxLength: 3 }),
    removed: fc.array(handle, { maxLength: 3 }),
    joints: fc.array(jointInfo, { maxLength: 3 }),
    removedJoints: fc.array(handle, { maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('events' as const),
    tick: u32,
    events: fc.array(fc.record({ tick: u32, type: str, origin: u32, body: str }), { maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('chat' as const), channel: enumOf(4), from: u32, to: str, text: str, tick: u32 }),
  fc.record({ kind: fc.constant('ownership' as const), body: handle, owner: u32, master: u32, rule: enumOf(3), tick: u32 }),
  fc.record({ kind: fc.constant('adminResult' as const), command: str, ok: fc.boolean(), message: str }),
  fc.record({ kind: fc.constant('error' as const), code: u16, message: str }),
  fc.record({ kind: fc.constant('pong' as const), nonce: u64, tick: u32 }),
);

const record = fc.uint8Array({ maxLength: 40 });
const shardArb: fc.Arbitrary<ShardMessage> = fc.oneof(
  fc.record({
    kind: fc.constant('advance' as const),
    tick: u32,
    commands: fc.array(fc.record({ body: handle, kind: enumOf(6), value: vec3, jump: fc.boolean() }), { maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('ghosts' as const), tick: u32, from: u8, records: fc.array(record, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('handoff' as const), tick: u32, from: u8, to: u8, records: fc.array(record, { maxLength: 3 }) }),
  fc.record({
    kind: fc.constant('physicsEvents' as const),
    tick: u32,
    shard: u8,
    events: fc.array(fc.record({ kind: enumOf(2), body: handle, other: handle }), { maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('hash' as const), tick: u32, shard: u8, hash: u64 }),
);

// ---------------------------------------------------------------------------------------
// roots under test

interface RootCase<M> {
  name: string;
  identifier: string;
  encode(m: M): Uint8Array;
  decode(b: Uint8Array): M;
  arb: fc.Arbitrary<M>;
  samples: M[];
}
const roots: RootCase<ClientMessage | ServerMessage | ShardMessage>[] = [
  {
    name: 'ClientMessage',
    identifier: 'TSCL',
    encode: (m) => encodeClient(m as ClientMessage),
    decode: decodeClient,
    arb: clientArb,
    samples: Object.values(CLIENT_SAMPLES),
  },
  {
    name: 'ServerMessage',
    identifier: 'TSSV',
    encode: (m) => encodeServer(m as ServerMessage),
    decode: decodeServer,
    arb: serverArb,
    samples: Object.values(SERVER_SAMPLES),
  },
  {
    name: 'ShardMessage',
    identifier: 'TSSH',
    encode: (m) => encodeShard(m as ShardMessage),
    decode: decodeShard,
    arb: shardArb,
    samples: Object.values(SHARD_SAMPLES),
  },
];

// ---------------------------------------------------------------------------------------
// the property

/** Structural equality for message values (numbers by Object.is, bigints, strings, booleans, arrays, Uint8Array, plain objects). */
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const ka = Object.keys(a),
      kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

interface Tally {
  accepted: number;
  rejected: number;
  slowestRejectMs: number;
  slowestInput: Uint8Array | null;
  reasons: Map<string, number>;
}
const newTally = (): Tally => ({ accepted: 0, rejected: 0, slowestRejectMs: 0, slowestInput: null, reasons: new Map() });

/**
 * Decodes `bytes`; a rejection must be a ProtocolError, an acceptance must re-encode and
 * re-decode consistently. Returns false (and the property fails) otherwise; throws nothing.
 */
function check<M>(root: RootCase<M>, bytes: Uint8Array, tally: Tally): boolean {
  let value: M;
  const t0 = performance.now();
  try {
    value = root.decode(bytes);
  } catch (e) {
    const ms = performance.now() - t0;
    if (!(e instanceof ProtocolError)) {
      throw new Error(`${root.name}: decode threw ${String(e)} (not a ProtocolError) for ${Buffer.from(bytes).toString('hex')}`);
    }
    tally.rejected++;
    tally.reasons.set(e.reason, (tally.reasons.get(e.reason) ?? 0) + 1);
    if (ms > tally.slowestRejectMs) {
      tally.slowestRejectMs = ms;
      tally.slowestInput = bytes;
    }
    return true;
  }
  tally.accepted++;
  const again = root.encode(value); // must not throw: everything a decoder returns is encodable
  const value2 = root.decode(again);
  if (!same(value, value2) || !sameBytes(root.encode(value2), again)) {
    throw new Error(`${root.name}: inconsistent round trip for ${Buffer.from(bytes).toString('hex')}`);
  }
  return true;
}

// ---------------------------------------------------------------------------------------

const editArb: fc.Arbitrary<Edit> = fc.record({ kind: fc.integer({ min: 0, max: EDIT_KINDS - 1 }), a: fc.nat(), b: fc.nat(), c: fc.nat() });

const report: string[] = [];
afterAll(() => {
  // one summary line per property (jest prints console output of the test file)
  console.log(`protocol fuzz (seed ${SEED}):\n${report.join('\n')}`);
});

function summary(label: string, tally: Tally, ms: number): string {
  const reasons = [...tally.reasons.entries()]
    .sort((x, y) => y[1] - x[1])
    .map(([r, k]) => `${r} ${k}`)
    .join(', ');
  return (
    `  ${label}: ${tally.accepted + tally.rejected} inputs in ${(ms / 1000).toFixed(1)} s, ${tally.accepted} accepted, ` +
    `${tally.rejected} rejected (${reasons}); slowest rejection ${tally.slowestRejectMs.toFixed(3)} ms (${tally.slowestInput?.length ?? 0} bytes)`
  );
}

describe.each(roots)('$name', (root) => {
  test('random valid messages round-trip (2,000)', () => {
    fc.assert(
      fc.property(root.arb, (m) => {
        const bytes = root.encode(m);
        const back = root.decode(bytes);
        if (!same(back, m)) throw new Error(`round trip differs: ${JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
        return sameBytes(root.encode(back), bytes);
      }),
      { numRuns: 2_000, seed: SEED },
    );
  });

  test(`random buffers (${RUNS.toLocaleString('en')}): a ProtocolError or a consistent value, nothing else`, () => {
    const tally = newTally();
    const id = [...root.identifier].map((ch) => ch.charCodeAt(0));
    const t0 = performance.now();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200, size: 'max' }), fc.integer({ min: 0, max: 3 }), fc.nat(), (raw, flavour, r) => {
        const b = raw;
        const w16 = (at: number, v: number): void => {
          b[at] = v & 0xff;
          b[at + 1] = (v >> 8) & 0xff;
        };
        if (flavour >= 1 && b.length >= 8) b.set(id, 4);
        if (flavour >= 2 && b.length >= 24) {
          // root table at 16 + 4k, its vtable (2-aligned, 4-8 bytes with sane sizes) right below
          const pos = 16 + 4 * (r % Math.max(1, (b.length - 20) >> 2));
          w16(0, pos);
          w16(2, 0);
          if (flavour === 3) {
            const vt = pos - 8;
            b[pos] = 8;
            b[pos + 1] = 0;
            b[pos + 2] = 0;
            b[pos + 3] = 0; // soffset 8
            w16(vt, 8); // vtable: 2 field slots
            w16(vt + 2, 4 + 4 * (r % 4)); // table size
            w16(vt + 4, (r >> 2) % 3 === 0 ? 0 : 4); // union tag slot
            w16(vt + 6, (r >> 4) % 3 === 0 ? 0 : 4 + 4 * ((r >> 6) % 3)); // union value slot
            b[pos + 4] = (r >> 8) % 12; // a tag, mostly a member
          }
        }
        return check(root, b, tally);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    report.push(summary(`${root.name} random`, tally, performance.now() - t0));
    expect(tally.accepted + tally.rejected).toBe(RUNS);
  });

  test(`mutated valid buffers (${RUNS.toLocaleString('en')}): a ProtocolError or a consistent value, nothing else`, () => {
    const corpus = [...root.samples.map((m) => root.encode(m)), ...fc.sample(root.arb, { numRuns: 300, seed: SEED }).map((m) => root.encode(m))];
    const tally = newTally();
    const t0 = performance.now();
    fc.assert(
      fc.property(fc.nat(), fc.array(editArb, { minLength: 1, maxLength: 4 }), (which, edits) => {
        return check(root, mutate(corpus[which % corpus.length], edits, corpus), tally);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    report.push(summary(`${root.name} mutated`, tally, performance.now() - t0));
    expect(tally.accepted + tally.rejected).toBe(RUNS);
    // the mutations must reach past the first checks, or they test nothing
    expect(tally.accepted).toBeGreaterThan(RUNS / 100);
    expect(tally.reasons.size).toBeGreaterThanOrEqual(5);
  });
});
