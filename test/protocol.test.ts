/**
 * Wire protocol: codecs round-trip every message kind of the three roots, golden binaries
 * decode to their committed values and re-encode to the same bytes, and the verifier rejects
 * hand-built malicious buffers with the reason of the check that failed.
 *
 * Goldens: test/fixtures/protocol/<root>-<kind>.bin hold encodeX(<sample>) of
 * test/fixtures/protocol/samples.ts. After an intended wire change, regenerate them with
 *   UPDATE_GOLDENS=1 npx jest test/protocol.test.ts
 * and review the diff (a changed golden is a protocol change: bump PROTOCOL_VERSION).
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as flatbuffers from 'flatbuffers';
import {
  encodeClient,
  decodeClient,
  encodeServer,
  decodeServer,
  encodeShard,
  decodeShard,
  builderCapacity,
  peekClientKind,
  peekServerKind,
  peekShardKind,
  CLIENT_KINDS,
  SERVER_KINDS,
  SHARD_KINDS,
  CLUSTER_KINDS,
} from '../src/protocol/codec';
import { verifyClient, verifyServer, verifyShard, DEFAULT_MAX_BYTES } from '../src/protocol/verify';
import { ERROR, ProtocolError } from '../src/protocol/errors';
import type { ClientMessage, ServerMessage, ShardMessage } from '../src/protocol/messages';
import { ClientAdmin } from '../src/protocol/generated/tessera/client-admin';
import { ClientMessage as FbClientMessage } from '../src/protocol/generated/tessera/client-message';
import { ClientPayload } from '../src/protocol/generated/tessera/client-payload';
import { ServerPayload } from '../src/protocol/generated/tessera/server-payload';
import { ServerMessage as FbServerMessage } from '../src/protocol/generated/tessera/server-message';
import { ServerDelta } from '../src/protocol/generated/tessera/server-delta';
import { BodyState } from '../src/protocol/generated/tessera/body-state';
import { BodyShape } from '../src/protocol/generated/tessera/body-shape';
import { BodyHandle } from '../src/protocol/generated/tessera/body-handle';
import { JointInfo } from '../src/protocol/generated/tessera/joint-info';
import { JointHandle } from '../src/protocol/generated/tessera/joint-handle';
import { ShardPayload } from '../src/protocol/generated/tessera/shard-payload';
import { CLIENT_SAMPLES, SERVER_SAMPLES, SHARD_SAMPLES, I64_MIN, I64_MAX, U64_MAX, sampleDelta, sampleJoint, sampleRecord } from './fixtures/protocol/samples';

const GOLDEN_DIR = join(__dirname, 'fixtures', 'protocol');
const UPDATE = process.env.UPDATE_GOLDENS === '1';

// ---------------------------------------------------------------------------------------
// helpers

/** Runs fn and returns the ProtocolError it throws (fails if it returns or throws anything else). */
function rejection(fn: () => unknown): ProtocolError {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  if (thrown === null) throw new Error('expected a ProtocolError, but the call succeeded');
  if (!(thrown instanceof ProtocolError)) throw new Error(`expected a ProtocolError, got ${String(thrown)}`);
  return thrown;
}
function expectReject(fn: () => unknown, reason: string, code: number = ERROR.BAD_MESSAGE): void {
  const e = rejection(fn);
  expect({ reason: e.reason, code: e.code }).toEqual({ reason, code });
}

// little-endian access to a buffer under test
const rd16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
const rd32 = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const wr16 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
};
const wr32 = (b: Uint8Array, o: number, v: number): void => {
  for (let i = 0; i < 4; i++) b[o + i] = (v >>> (8 * i)) & 0xff;
};

/** Navigation in a valid buffer, to corrupt one exact spot. */
const rootPos = (b: Uint8Array): number => rd32(b, 0);
const vtableOf = (b: Uint8Array, pos: number): number => pos - (rd32(b, pos) | 0);
/** Address of the vtable slot of field `id` of the table at pos. */
const slotAt = (b: Uint8Array, pos: number, id: number): number => vtableOf(b, pos) + 4 + 2 * id;
/** Field offset (voffset) of field `id`, 0 if absent. */
function voff(b: Uint8Array, pos: number, id: number): number {
  const vt = vtableOf(b, pos);
  return 4 + 2 * id < rd16(b, vt) ? rd16(b, vt + 4 + 2 * id) : 0;
}
/** Position of field `id`'s inline value. */
function fieldPos(b: Uint8Array, pos: number, id: number): number {
  const v = voff(b, pos, id);
  if (v === 0) throw new Error(`field ${id} absent`);
  return pos + v;
}
/** Target of the uoffset field `id`. */
const target = (b: Uint8Array, pos: number, id: number): number => {
  const at = fieldPos(b, pos, id);
  return at + rd32(b, at);
};
/** Position of the root's payload table (union value, field id 1). */
const payloadPos = (b: Uint8Array): number => target(b, rootPos(b), 1);

const client = (m: ClientMessage): Uint8Array => encodeClient(m);
const server = (m: ServerMessage): Uint8Array => encodeServer(m);
const shard = (m: ShardMessage): Uint8Array => encodeShard(m);

// ---------------------------------------------------------------------------------------
// round trips

describe('round trips', () => {
  test('the samples cover every union member of every root, in union order', () => {
    expect(Object.keys(CLIENT_SAMPLES)).toEqual([...CLIENT_KINDS]);
    expect(Object.keys(SERVER_SAMPLES)).toEqual([...SERVER_KINDS]);
    expect(Object.keys(SHARD_SAMPLES)).toEqual([...SHARD_KINDS]);
    // KINDS[t - 1] is the kind of union tag t (the generated enums, e.g. ClientPayload.ClientHello = 1)
    const tags = (e: Record<string, string | number>): string[] =>
      Object.keys(e)
        .filter((k) => Number.isNaN(Number(k)) && k !== 'NONE')
        .sort((x, y) => Number(e[x]) - Number(e[y]));
    expect(tags(ClientPayload).map((t) => t.replace(/^Client/, ''))).toEqual(CLIENT_KINDS.map((k) => k[0].toUpperCase() + k.slice(1)));
    expect(tags(ServerPayload).map((t) => t.replace(/^Server/, ''))).toEqual(SERVER_KINDS.map((k) => k[0].toUpperCase() + k.slice(1)));
    expect(tags(ShardPayload).map((t) => t.replace(/^Shard/, ''))).toEqual([...SHARD_KINDS, ...CLUSTER_KINDS].map((k) => k[0].toUpperCase() + k.slice(1)));
  });

  const clientCases: [string, ClientMessage][] = [
    ...Object.entries(CLIENT_SAMPLES),
    [
      'hello, null lastKnownTick and interest, empty strings',
      { kind: 'hello', version: 1, token: '', stream: '', privateId: '', lastKnownTick: null, interest: null },
    ],
    [
      'hello, lastKnownTick 0 and version 0 (not dropped as defaults)',
      { kind: 'hello', version: 0, token: 't', stream: 's', privateId: 'p', lastKnownTick: 0, interest: { center: [0n, 0n, 0n], cells: 0 } },
    ],
    [
      'hello, ASCII at the fast-path limit (256) and past it (257), non-ASCII after ASCII',
      { kind: 'hello', version: 1, token: 'a'.repeat(256), stream: 'b'.repeat(257), privateId: 'abc\u00e9', lastKnownTick: null, interest: null },
    ],
    [
      'hello, u32 max and i64 extremes',
      {
        kind: 'hello',
        version: 0xffffffff,
        token: '\u0000nul inside\u0000',
        stream: '雪/🎉',
        privateId: 'x'.repeat(1000),
        lastKnownTick: 0xffffffff,
        interest: { center: [I64_MIN, I64_MAX, -1n], cells: 0xffffffff },
      },
    ],
    ['input, zeros', { kind: 'input', input: { seq: 0, walkX: 0, walkZ: 0, jump: false } }],
    ['spawn, zeros', { kind: 'spawn', shape: 0, position: [0n, 0n, 0n], velocity: [0n, 0n, 0n], size: [0n, 0n, 0n] }],
    ['admin, no args', { kind: 'admin', command: '', args: [] }],
    ['ping, nonce 0', { kind: 'ping', nonce: 0n }],
    ['chat, every channel value (3)', { kind: 'chat', channel: 3, to: 'group-9', text: '' }],
  ];
  test.each(clientCases)('client %s', (_name, msg) => {
    const bytes = encodeClient(msg);
    expect(decodeClient(bytes)).toEqual(msg);
    expect(peekClientKind(bytes)).toBe(msg.kind);
    expect(encodeClient(decodeClient(bytes))).toEqual(bytes);
  });

  const serverCases: [string, ServerMessage][] = [
    ...Object.entries(SERVER_SAMPLES),
    ['snapshot, no bodies and no shapes', { kind: 'snapshot', tick: 0, bodies: [], shapes: [], joints: [] }],
    ['delta, empty', { kind: 'delta', baseTick: 0, tick: 0, bodies: [], shapes: [], removed: [], joints: [], removedJoints: [] }],
    ['delta, 1,000 bodies', sampleDelta(1000)],
    ['events, none', { kind: 'events', tick: 1, events: [] }],
    ['welcome, extremes', { kind: 'welcome', version: 0, publicId: 0xffffffff, stream: '', tick: 0xffffffff, tickRate: 0, seed: '' }],
    ['error, code 65535', { kind: 'error', code: 65535, message: '' }],
    ['pong, u64 max', { kind: 'pong', nonce: U64_MAX, tick: 0 }],
    ['adminResult, not ok', { kind: 'adminResult', command: 'x', ok: false, message: 'refused ✗' }],
  ];
  test.each(serverCases)('server %s', (_name, msg) => {
    const bytes = encodeServer(msg);
    expect(decodeServer(bytes)).toEqual(msg);
    expect(peekServerKind(bytes)).toBe(msg.kind);
    expect(encodeServer(decodeServer(bytes))).toEqual(bytes);
  });

  const shardCases: [string, ShardMessage][] = [
    ...Object.entries(SHARD_SAMPLES),
    ['advance, no commands', { kind: 'advance', tick: 0, commands: [] }],
    ['ghosts, no records', { kind: 'ghosts', tick: 1, from: 0, records: [] }],
    [
      'handoff, empty and odd-sized records',
      { kind: 'handoff', tick: 2, from: 255, to: 0, records: [new Uint8Array(0), new Uint8Array([1, 2, 3]), sampleRecord(9)] },
    ],
    ['physicsEvents, none', { kind: 'physicsEvents', tick: 3, shard: 0, events: [] }],
    ['hash, 0 and u64 max', { kind: 'hash', tick: 0, shard: 0, hash: 0n }],
    ['hash, u64 max', { kind: 'hash', tick: 0xffffffff, shard: 1, hash: U64_MAX }],
  ];
  test.each(shardCases)('shard %s', (_name, msg) => {
    const bytes = encodeShard(msg);
    expect(decodeShard(bytes)).toEqual(msg);
    expect(peekShardKind(bytes)).toBe(msg.kind);
    expect(encodeShard(decodeShard(bytes))).toEqual(bytes);
  });

  test('encoders return copies; decoders share no memory with the input', () => {
    const a = encodeShard(SHARD_SAMPLES.ghosts);
    const b = encodeShard(SHARD_SAMPLES.hash);
    expect(a.buffer).not.toBe(b.buffer);
    expect(decodeShard(a)).toEqual(SHARD_SAMPLES.ghosts); // `a` unchanged by the later encode
    const decoded = decodeShard(a) as Extract<ShardMessage, { kind: 'ghosts' }>;
    a.fill(0);
    expect(decoded.records).toEqual((SHARD_SAMPLES.ghosts as Extract<ShardMessage, { kind: 'ghosts' }>).records);
  });

  test('decoding works on a view at any byteOffset (offsets are relative to the view)', () => {
    const bytes = encodeServer(SERVER_SAMPLES.events);
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 3);
    expect(decodeServer(host.subarray(3))).toEqual(SERVER_SAMPLES.events);
  });

  test('a reused builder does not grow: same message again, then smaller ones', () => {
    encodeServer(sampleDelta(1000));
    const cap = builderCapacity('server');
    for (let i = 0; i < 50; i++) encodeServer(sampleDelta(1000));
    for (const m of Object.values(SERVER_SAMPLES)) encodeServer(m);
    expect(builderCapacity('server')).toBe(cap);
  });

  test('the bodies fast path writes the same bytes as the generated struct writers', () => {
    for (const count of [0, 1, 7, 1000]) {
      const msg = sampleDelta(count) as Extract<ServerMessage, { kind: 'delta' }>;
      const fb = new flatbuffers.Builder(64);
      ServerDelta.startBodiesVector(fb, msg.bodies.length);
      for (let i = msg.bodies.length - 1; i >= 0; i--) {
        const s = msg.bodies[i];
        BodyState.createBodyState(fb, s.index, s.generation, s.px, s.py, s.pz, s.qx, s.qy, s.qz, s.qw, s.vx, s.vy, s.vz, s.shard);
      }
      const bodies = fb.endVector();
      ServerDelta.startShapesVector(fb, msg.shapes.length);
      for (let i = msg.shapes.length - 1; i >= 0; i--) {
        const s = msg.shapes[i];
        BodyShape.createBodyShape(fb, s.index, s.generation, s.sx, s.sy, s.sz, s.shape, s.kind);
      }
      const shapes = fb.endVector();
      ServerDelta.startRemovedVector(fb, msg.removed.length);
      for (let i = msg.removed.length - 1; i >= 0; i--) BodyHandle.createBodyHandle(fb, msg.removed[i].index, msg.removed[i].generation);
      const removed = fb.endVector();
      // joints: the generated struct writer (flatc's layout) against the codec's DataView stores
      ServerDelta.startJointsVector(fb, msg.joints.length);
      for (let i = msg.joints.length - 1; i >= 0; i--) {
        const j = msg.joints[i];
        JointInfo.createJointInfo(
          fb,
          j.index,
          j.generation,
          j.a.index,
          j.a.generation,
          j.b?.index ?? 0,
          j.b?.generation ?? 0,
          ...j.anchorA,
          ...j.anchorB,
          j.lower,
          j.upper,
          j.target,
          j.minLength,
          j.maxLength,
          ...j.axisA,
          ...j.axisB,
          j.kind,
          j.flags | (j.b === null ? 8 : 0),
        );
      }
      const joints = fb.endVector();
      ServerDelta.startRemovedJointsVector(fb, msg.removedJoints.length);
      for (let i = msg.removedJoints.length - 1; i >= 0; i--) JointHandle.createJointHandle(fb, msg.removedJoints[i].index, msg.removedJoints[i].generation);
      const removedJoints = fb.endVector();
      // protocol 4: input_seq and input_tick are always written (the fan-out's per-recipient fields);
      // packed (id 9) only when there are packed bodies (none here), so not createServerDelta
      ServerDelta.startServerDelta(fb);
      ServerDelta.addBaseTick(fb, msg.baseTick);
      ServerDelta.addTick(fb, msg.tick);
      ServerDelta.addBodies(fb, bodies);
      ServerDelta.addShapes(fb, shapes);
      ServerDelta.addRemoved(fb, removed);
      ServerDelta.addJoints(fb, joints);
      ServerDelta.addRemovedJoints(fb, removedJoints);
      fb.forceDefaults(true);
      ServerDelta.addInputSeq(fb, msg.inputSeq ?? 0);
      ServerDelta.addInputTick(fb, msg.inputTick ?? 0);
      fb.forceDefaults(false);
      const delta = ServerDelta.endServerDelta(fb);
      fb.finish(FbServerMessage.createServerMessage(fb, ServerPayload.ServerDelta, delta), 'TSSV');
      expect(Buffer.from(encodeServer(msg)).equals(Buffer.from(fb.asUint8Array()))).toBe(true);
    }
  });

  test('a builder grown past 4 MiB is replaced after the message; big messages need maxBytes', () => {
    const big = sampleDelta(120_000); // 36 bytes per body: > 4 MiB
    const bytes = encodeServer(big);
    expect(bytes.length).toBeGreaterThan(4 << 20);
    expect(builderCapacity('server')).toBeLessThanOrEqual(4 << 20);
    expectReject(() => decodeServer(bytes), 'TOO_LARGE');
    const back = decodeServer(bytes, { maxBytes: 8 << 20 }) as Extract<ServerMessage, { kind: 'delta' }>;
    expect(back.bodies).toHaveLength(120_000);
    expect(back.bodies[119_999]).toEqual((big as Extract<ServerMessage, { kind: 'delta' }>).bodies[119_999]);
    expect(Buffer.from(encodeServer(back)).equals(Buffer.from(bytes))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------
// encoder range checks

describe('encoders reject values the wire cannot hold (ERROR.BAD_VALUE)', () => {
  const hello = CLIENT_SAMPLES.hello as Extract<ClientMessage, { kind: 'hello' }>;
  const cases: [string, () => unknown][] = [
    ['walkX 1001', () => client({ kind: 'input', input: { seq: 1, walkX: 1001, walkZ: 0, jump: false } })],
    ['walkZ -1001', () => client({ kind: 'input', input: { seq: 1, walkX: 0, walkZ: -1001, jump: false } })],
    ['walkX 0.5', () => client({ kind: 'input', input: { seq: 1, walkX: 0.5, walkZ: 0, jump: false } })],
    ['seq -1', () => client({ kind: 'input', input: { seq: -1, walkX: 0, walkZ: 0, jump: false } })],
    ['ack tick 2^32', () => client({ kind: 'ack', tick: 2 ** 32 })],
    ['ack tick NaN', () => client({ kind: 'ack', tick: NaN })],
    ['lastKnownTick -1', () => client({ ...hello, lastKnownTick: -1 })],
    ['ping nonce -1n', () => client({ kind: 'ping', nonce: -1n })],
    ['ping nonce 2^64', () => client({ kind: 'ping', nonce: 1n << 64n })],
    ['spawn position 2^63', () => client({ kind: 'spawn', shape: 0, position: [1n << 63n, 0n, 0n], velocity: [0n, 0n, 0n], size: [0n, 0n, 0n] })],
    ['spawn shape 200', () => client({ kind: 'spawn', shape: 200, position: [0n, 0n, 0n], velocity: [0n, 0n, 0n], size: [0n, 0n, 0n] })],
    ['chat channel 4', () => client({ kind: 'chat', channel: 4, to: '', text: '' })],
    ['ownership action 5', () => client({ kind: 'ownership', body: { index: 0, generation: 0 }, action: 5, rule: 0, target: 0 })],
    ['lone surrogate', () => client({ kind: 'publish', type: 'x', body: 'a\uD800b' })],
    ['lone surrogate after 300 ASCII characters', () => client({ kind: 'publish', type: 'x'.repeat(300) + '\uDC00', body: '' })],
    ['string that is not a string', () => client({ kind: 'publish', type: 7 as unknown as string, body: '' })],
    ['body qx 40000', () => server({ kind: 'snapshot', tick: 0, bodies: [{ ...sampleDeltaBody(), qx: 40000 }], shapes: [], joints: [] })],
    ['body shard 256', () => server({ kind: 'snapshot', tick: 0, bodies: [{ ...sampleDeltaBody(), shard: 256 }], shapes: [], joints: [] })],
    ['body px 2^31', () => server({ kind: 'snapshot', tick: 0, bodies: [{ ...sampleDeltaBody(), px: 2 ** 31 }], shapes: [], joints: [] })],
    [
      'shape kind 3',
      () => server({ kind: 'snapshot', tick: 0, bodies: [], shapes: [{ index: 0, generation: 0, shape: 0, kind: 3, sx: 0, sy: 0, sz: 0 }], joints: [] }),
    ],
    ['joint kind 0', () => server({ kind: 'snapshot', tick: 0, bodies: [], shapes: [], joints: [{ ...sampleJoint(0), kind: 0 }] })],
    ['joint kind 5', () => server({ kind: 'snapshot', tick: 0, bodies: [], shapes: [], joints: [{ ...sampleJoint(0), kind: 5 }] })],
    ['joint flags 16', () => server({ kind: 'snapshot', tick: 0, bodies: [], shapes: [], joints: [{ ...sampleJoint(0), flags: 16 }] })],
    ['joint axis 32768', () => server({ kind: 'snapshot', tick: 0, bodies: [], shapes: [], joints: [{ ...sampleJoint(0), axisA: [32768, 0, 0] }] })],
    ['joint anchor 2^31', () => server({ kind: 'snapshot', tick: 0, bodies: [], shapes: [], joints: [{ ...sampleJoint(0), anchorB: [0, 2 ** 31, 0] }] })],
    [
      'joint body index -1',
      () => server({ kind: 'snapshot', tick: 0, bodies: [], shapes: [], joints: [{ ...sampleJoint(0), a: { index: -1, generation: 0 } }] }),
    ],
    ['error code 65536', () => server({ kind: 'error', code: 65536, message: '' })],
    ['command kind 6', () => shard({ kind: 'advance', tick: 0, commands: [{ body: { index: 0, generation: 0 }, kind: 6, value: [0n, 0n, 0n], jump: false }] })],
    ['ghosts from 256', () => shard({ kind: 'ghosts', tick: 0, from: 256, records: [] })],
    ['record not bytes', () => shard({ kind: 'ghosts', tick: 0, from: 0, records: [[1, 2] as unknown as Uint8Array] })],
    ['hash -1n', () => shard({ kind: 'hash', tick: 0, shard: 0, hash: -1n })],
  ];
  test.each(cases)('%s', (_name, fn) => expectReject(fn, 'BAD_VALUE', ERROR.BAD_VALUE));

  test('after a rejected encode the builder still works', () => {
    expectReject(
      () => server({ kind: 'snapshot', tick: 0, bodies: [{ ...sampleDeltaBody(), vz: 99999 }], shapes: [], joints: [] }),
      'BAD_VALUE',
      ERROR.BAD_VALUE,
    );
    expect(decodeServer(encodeServer(SERVER_SAMPLES.delta))).toEqual(SERVER_SAMPLES.delta);
  });
});
function sampleDeltaBody(): Extract<ServerMessage, { kind: 'delta' }>['bodies'][number] {
  return (sampleDelta(1) as Extract<ServerMessage, { kind: 'delta' }>).bodies[0];
}

// ---------------------------------------------------------------------------------------
// goldens

describe('golden binaries', () => {
  const all: [string, string, ClientMessage | ServerMessage | ShardMessage][] = [
    ...Object.entries(CLIENT_SAMPLES).map(([k, m]): [string, string, ClientMessage] => ['client', k, m]),
    ...Object.entries(SERVER_SAMPLES).map(([k, m]): [string, string, ServerMessage] => ['server', k, m]),
    ...Object.entries(SHARD_SAMPLES).map(([k, m]): [string, string, ShardMessage] => ['shard', k, m]),
  ];
  const enc = (root: string, m: ClientMessage | ServerMessage | ShardMessage): Uint8Array =>
    root === 'client' ? encodeClient(m as ClientMessage) : root === 'server' ? encodeServer(m as ServerMessage) : encodeShard(m as ShardMessage);
  const dec = (root: string, b: Uint8Array): unknown => (root === 'client' ? decodeClient(b) : root === 'server' ? decodeServer(b) : decodeShard(b));

  test.each(all)('%s-%s.bin decodes to the sample and re-encodes to the same bytes', (root, kind, msg) => {
    const file = join(GOLDEN_DIR, `${root}-${kind}.bin`);
    if (UPDATE) {
      mkdirSync(GOLDEN_DIR, { recursive: true });
      writeFileSync(file, enc(root, msg));
    }
    expect(existsSync(file)).toBe(true);
    const golden = new Uint8Array(readFileSync(file));
    expect(dec(root, golden)).toEqual(msg);
    expect(Buffer.from(enc(root, msg)).equals(Buffer.from(golden))).toBe(true);
  });

  test('a golden of one root is refused by the other roots (file identifiers)', () => {
    const c = new Uint8Array(readFileSync(join(GOLDEN_DIR, 'client-ping.bin')));
    expectReject(() => decodeServer(c), 'BAD_IDENTIFIER');
    expectReject(() => decodeShard(c), 'BAD_IDENTIFIER');
    const s = new Uint8Array(readFileSync(join(GOLDEN_DIR, 'server-pong.bin')));
    expectReject(() => decodeClient(s), 'BAD_IDENTIFIER');
  });
});

// ---------------------------------------------------------------------------------------
// malicious buffers, one per check

describe('the verifier rejects malicious buffers', () => {
  const pub = (): Uint8Array => client({ kind: 'publish', type: 'TTTTTTTT', body: 'BODY' });
  const ack = (): Uint8Array => client({ kind: 'ack', tick: 7 });

  test('valid inputs pass every verifier (sanity of the fixtures below)', () => {
    expect(() => verifyClient(pub())).not.toThrow();
    expect(() => verifyServer(server(SERVER_SAMPLES.snapshot))).not.toThrow();
    expect(() => verifyShard(shard(SHARD_SAMPLES.advance))).not.toThrow();
  });

  test('rejections are ProtocolErrors without a stack trace, and the global stack limit is restored', () => {
    const limit = Error.stackTraceLimit;
    const e = rejection(() => decodeClient(new Uint8Array(3)));
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ProtocolError');
    expect(e.message).toMatch(/3 bytes, at least 8/);
    expect(e.stack ?? '').not.toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(limit);
  });

  test('TOO_SHORT: fewer than 8 bytes', () => {
    expectReject(() => decodeClient(new Uint8Array(0)), 'TOO_SHORT');
    expectReject(() => decodeServer(new Uint8Array(7)), 'TOO_SHORT');
  });

  test('TOO_LARGE: past maxBytes (default 1 MiB, and an explicit limit)', () => {
    expectReject(() => decodeShard(new Uint8Array(DEFAULT_MAX_BYTES + 1)), 'TOO_LARGE');
    expectReject(() => decodeClient(pub(), { maxBytes: 16 }), 'TOO_LARGE');
  });

  test('BAD_IDENTIFIER: wrong file identifier', () => {
    const b = ack();
    b[7] ^= 0x20;
    expectReject(() => decodeClient(b), 'BAD_IDENTIFIER');
    expectReject(() => decodeServer(ack()), 'BAD_IDENTIFIER');
  });

  test('OUT_OF_BOUNDS: root offset 0, past the end, >= 2^31', () => {
    for (const v of [0, 1 << 20, 0x80000000, 0xfffffffc]) {
      const b = ack();
      wr32(b, 0, v);
      expectReject(() => decodeClient(b), 'OUT_OF_BOUNDS');
    }
    const b = ack();
    wr32(b, 0, b.length); // exactly the end
    expectReject(() => decodeClient(b), 'OUT_OF_BOUNDS');
  });

  test('OUT_OF_BOUNDS: a table running past the end (truncated buffer)', () => {
    const b = ack();
    const pos = rootPos(b);
    expectReject(() => decodeClient(b.slice(0, pos + 2)), 'OUT_OF_BOUNDS');
  });

  test('OUT_OF_BOUNDS: soffset to a vtable outside the buffer (both directions)', () => {
    const b = ack();
    const pos = payloadPos(b);
    wr32(b, pos, pos + 1000); // vtable = pos - soffset < 0
    expectReject(() => decodeClient(b), 'OUT_OF_BOUNDS');
    const c = ack();
    wr32(c, pos, -c.length >>> 0); // vtable = pos + length > end
    expectReject(() => decodeClient(c), 'OUT_OF_BOUNDS');
  });

  test('OUT_OF_BOUNDS: vtable whose declared size passes the end', () => {
    const b = ack();
    const vt = vtableOf(b, payloadPos(b));
    wr16(b, vt, Math.min(0x7ffe, (b.length - vt + 2) & ~1));
    expectReject(() => decodeClient(b), 'OUT_OF_BOUNDS');
  });

  test('OUT_OF_BOUNDS: union value offset past the end', () => {
    const b = ack();
    const at = fieldPos(b, rootPos(b), 1);
    wr32(b, at, b.length - at + 8);
    expectReject(() => decodeClient(b), 'OUT_OF_BOUNDS');
  });

  test('OUT_OF_BOUNDS: string length past the end, and a string whose NUL would be past the end', () => {
    const b = pub();
    const s = target(b, payloadPos(b), 0);
    wr32(b, s, 1000);
    expectReject(() => decodeClient(b), 'OUT_OF_BOUNDS');
    const c = pub();
    const s2 = target(c, payloadPos(c), 0);
    wr32(c, s2, c.length - s2 - 4); // the bytes fit, the terminator does not
    expectReject(() => decodeClient(c), 'OUT_OF_BOUNDS');
  });

  test('OUT_OF_BOUNDS: vector length past the end (bodies, records, args)', () => {
    const b = server(SERVER_SAMPLES.snapshot);
    wr32(b, target(b, payloadPos(b), 1), 4);
    expectReject(() => decodeServer(b), 'OUT_OF_BOUNDS');
    const g = shard(SHARD_SAMPLES.ghosts);
    const rec0 = target(g, payloadPos(g), 2) + 4;
    const recPos = rec0 + rd32(g, rec0);
    wr32(g, target(g, recPos, 0), 313 + g.length);
    expectReject(() => decodeShard(g), 'OUT_OF_BOUNDS');
    const a = client({ kind: 'admin', command: 'c', args: ['x'] });
    wr32(a, target(a, payloadPos(a), 1), 1 << 24);
    expectReject(() => decodeClient(a), 'OUT_OF_BOUNDS');
  });

  test('a vector claiming 50,000,000 elements is rejected without allocating (10,000 times)', () => {
    // The smallest buffer that reaches the vector check: root offset, identifier, root table,
    // payload (a snapshot) with a bodies vector whose length word says 50,000,000 (x 36 bytes).
    const b = server({ kind: 'snapshot', tick: 0, bodies: [], shapes: [], joints: [] });
    wr32(b, target(b, payloadPos(b), 1), 50_000_000);
    expectReject(() => decodeServer(b), 'OUT_OF_BOUNDS');
    // An 8-byte buffer: a root offset and 4 bytes that would be a length of 50,000,000.
    const eight = new Uint8Array(8);
    wr32(eight, 0, 4);
    wr32(eight, 4, 50_000_000);
    const e8 = rejection(() => decodeServer(eight));
    expect(e8.code).toBe(ERROR.BAD_MESSAGE);
    // ... and with the right identifier the root table (at 4, soffset = the identifier) has no vtable in bounds
    const eightId = new Uint8Array([4, 0, 0, 0, 0x54, 0x53, 0x53, 0x56]);
    expect(rejection(() => decodeServer(eightId)).reason).toBe('OUT_OF_BOUNDS');

    const gc = exposeGc();
    gc();
    const before = process.memoryUsage();
    let maxArrayBuffers = before.arrayBuffers;
    for (let i = 0; i < 10_000; i++) {
      try {
        decodeServer(b);
      } catch (err) {
        if (!(err instanceof ProtocolError) || err.reason !== 'OUT_OF_BOUNDS') throw err;
      }
      if (i % 500 === 0) maxArrayBuffers = Math.max(maxArrayBuffers, process.memoryUsage().arrayBuffers);
    }
    gc();
    const after = process.memoryUsage();
    const MB = 1 << 20;
    expect(maxArrayBuffers - before.arrayBuffers).toBeLessThan(MB); // sampled during the loop, without a GC
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(MB);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(MB);
  });

  test('MISALIGNED: root table, vtable, string, scalar, struct, struct-vector elements', () => {
    const r = ack();
    wr32(r, 0, rootPos(r) + 2);
    expectReject(() => decodeClient(r), 'MISALIGNED');

    const v = ack();
    const pos = payloadPos(v);
    wr32(v, pos, (rd32(v, pos) + 1) >>> 0); // vtable one byte lower: odd
    expectReject(() => decodeClient(v), 'MISALIGNED');

    const s = pub();
    const at = fieldPos(s, payloadPos(s), 0);
    wr32(s, at, rd32(s, at) + 2);
    expectReject(() => decodeClient(s), 'MISALIGNED');

    // a u32 (welcome.public_id) moved by 2 bytes inside its table
    const w = server(SERVER_SAMPLES.welcome);
    const wp = payloadPos(w);
    wr16(w, slotAt(w, wp, 1), voff(w, wp, 1) + 2);
    expectReject(() => decodeServer(w), 'MISALIGNED');

    // an 8-aligned struct (spawn.velocity, Vec3) moved by 4 bytes inside its table
    const sp = client(CLIENT_SAMPLES.spawn);
    const spp = payloadPos(sp);
    wr16(sp, slotAt(sp, spp, 2), voff(sp, spp, 2) + 4);
    expectReject(() => decodeClient(sp), 'MISALIGNED');

    // a vector of 8-aligned structs (advance.commands) whose elements start 4 bytes off
    const ad = shard(SHARD_SAMPLES.advance);
    const cat = fieldPos(ad, payloadPos(ad), 1);
    const t = cat + rd32(ad, cat);
    wr32(ad, cat, rd32(ad, cat) + 4);
    wr32(ad, t + 4, 0); // new length word: 0 elements, so only the alignment can fail
    expectReject(() => decodeShard(ad), 'MISALIGNED');
  });

  test('BAD_VTABLE: vtable size < 4, odd, > 32767; table size < 4, > 32767; field offset outside the table', () => {
    const cases: [string, (b: Uint8Array, vt: number, pos: number) => void][] = [
      ['vtable size 2', (b, vt) => wr16(b, vt, 2)],
      ['vtable size 5', (b, vt) => wr16(b, vt, 5)],
      ['vtable size 0x8000', (b, vt) => wr16(b, vt, 0x8000)],
      ['table size 2', (b, vt) => wr16(b, vt + 2, 2)],
      ['table size 0x9000', (b, vt) => wr16(b, vt + 2, 0x9000)],
      ['field offset 200 > table size', (b, _vt, pos) => wr16(b, slotAt(b, pos, 0), 200)],
      ['field offset 2 (inside the soffset)', (b, _vt, pos) => wr16(b, slotAt(b, pos, 0), 2)],
      ['field running past the table size', (b, vt, pos) => wr16(b, vt + 2, voff(b, pos, 0) + 2)],
    ];
    for (const [name, corrupt] of cases) {
      const b = ack();
      const pos = payloadPos(b);
      corrupt(b, vtableOf(b, pos), pos);
      const e = rejection(() => decodeClient(b));
      expect([name, e.reason]).toEqual([name, 'BAD_VTABLE']);
    }
  });

  describe('BAD_UTF8', () => {
    /** publish.type replaced by `bytes` (length word and NUL terminator rewritten). */
    function withType(bytes: number[], nul = 0): Uint8Array {
      const b = pub(); // type 'TTTTTTTT' (8 bytes): room for any sequence below
      const s = target(b, payloadPos(b), 0);
      wr32(b, s, bytes.length);
      b.set(bytes, s + 4);
      b[s + 4 + bytes.length] = nul;
      return b;
    }
    const invalid: [string, number[]][] = [
      ['overlong 2-byte NUL (C0 80)', [0xc0, 0x80]],
      ['overlong 2-byte (C1 BF)', [0xc1, 0xbf]],
      ['overlong 3-byte (E0 80 80)', [0xe0, 0x80, 0x80]],
      ['overlong 4-byte (F0 80 80 80)', [0xf0, 0x80, 0x80, 0x80]],
      ['surrogate U+D800 (ED A0 80)', [0xed, 0xa0, 0x80]],
      ['surrogate U+DFFF (ED BF BF)', [0xed, 0xbf, 0xbf]],
      ['above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
      ['F5 lead', [0xf5, 0x80, 0x80, 0x80]],
      ['FF byte', [0x41, 0xff]],
      ['lone continuation', [0x80]],
      ['truncated 3-byte sequence', [0xe2, 0x82]],
      ['truncated 4-byte sequence', [0x41, 0xf0, 0x9f, 0x8e]],
      ['bad continuation', [0xe2, 0x41, 0xac]],
    ];
    test.each(invalid)('%s', (_name, bytes) => expectReject(() => decodeClient(withType(bytes)), 'BAD_UTF8'));
    test('missing NUL terminator', () => expectReject(() => decodeClient(withType([0x41], 0x42)), 'BAD_UTF8'));
    test('valid edge sequences pass: U+007F, U+0080, U+07FF, U+FFFF, U+10000, U+10FFFF, embedded NUL', () => {
      const m = decodeClient(withType([0x7f, 0xc2, 0x80, 0xdf, 0xbf])) as Extract<ClientMessage, { kind: 'publish' }>;
      expect(m.type).toBe('\u007f\u0080\u07ff');
      expect((decodeClient(withType([0xef, 0xbf, 0xbf, 0x00])) as { type: string }).type).toBe('\uffff\u0000');
      expect((decodeClient(withType([0xf0, 0x90, 0x80, 0x80])) as { type: string }).type).toBe('\u{10000}');
      expect((decodeClient(withType([0xf4, 0x8f, 0xbf, 0xbf])) as { type: string }).type).toBe('\u{10ffff}');
    });
  });

  test('BAD_UNION: tag NONE with a value, unknown tag, tag without a value', () => {
    const a = ack();
    const root = rootPos(a);
    a[fieldPos(a, root, 0)] = 0;
    expectReject(() => decodeClient(a), 'BAD_UNION');
    for (const tag of [CLIENT_KINDS.length + 1, 255]) {
      const b = ack();
      b[fieldPos(b, rootPos(b), 0)] = tag;
      expectReject(() => decodeClient(b), 'BAD_UNION');
    }
    const c = ack();
    wr16(c, slotAt(c, rootPos(c), 1), 0); // value absent, tag still ClientAck
    expectReject(() => decodeClient(c), 'BAD_UNION');
    const s = shard(SHARD_SAMPLES.hash);
    s[fieldPos(s, rootPos(s), 0)] = SHARD_KINDS.length + CLUSTER_KINDS.length + 1;
    expectReject(() => decodeShard(s), 'BAD_UNION');
  });

  test("a member table under another member's tag is verified as the tagged kind", () => {
    // tag says ClientAdmin, the table is a ClientAck: its tick (7) is read as admin.command's uoffset
    const b = ack();
    b[fieldPos(b, rootPos(b), 0)] = ClientPayload.ClientAdmin;
    expectReject(() => decodeClient(b), 'OUT_OF_BOUNDS');
    // tag says ClientPublish, the table is a ClientAdmin without args: publish.body (id 1) is
    // the empty args vector, read as a string of length 0 whose NUL terminator is missing
    const a = client({ kind: 'admin', command: 'c', args: [] });
    a[fieldPos(a, rootPos(a), 0)] = ClientPayload.ClientPublish;
    expectReject(() => decodeClient(a), 'BAD_UTF8');
  });

  test('TOO_DEEP: nesting past maxDepth', () => {
    const b = server(SERVER_SAMPLES.events); // root > events > StreamEvent: depth 3
    expectReject(() => decodeServer(b, { maxDepth: 2 }), 'TOO_DEEP');
    expect(decodeServer(b, { maxDepth: 3 })).toEqual(SERVER_SAMPLES.events);
  });

  test('TOO_LARGE: more tables than maxTables', () => {
    const b = server(SERVER_SAMPLES.events); // 4 tables
    expectReject(() => decodeServer(b, { maxTables: 3 }), 'TOO_LARGE');
    expect(decodeServer(b, { maxTables: 4 })).toEqual(SERVER_SAMPLES.events);
  });

  test('TOO_LARGE: one string shared by many vector elements (verification work bounded)', () => {
    const shared = (count: number): Uint8Array => {
      const fb = new flatbuffers.Builder(256);
      const s = fb.createSharedString('x'.repeat(1000));
      const args = ClientAdmin.createArgsVector(
        fb,
        Array.from({ length: count }, () => fb.createSharedString('x'.repeat(1000)) || s),
      );
      const cmd = fb.createString('c');
      const admin = ClientAdmin.createClientAdmin(fb, cmd, args);
      fb.finish(FbClientMessage.createClientMessage(fb, ClientPayload.ClientAdmin, admin), 'TSCL');
      return fb.asUint8Array().slice();
    };
    expect((decodeClient(shared(2)) as Extract<ClientMessage, { kind: 'admin' }>).args).toHaveLength(2); // modest sharing is legal
    const b = shared(100);
    expect(b.length).toBeLessThan(2000);
    expectReject(() => decodeClient(b), 'TOO_LARGE');
  });

  test('MISSING_FIELD: required string, struct and union absent; hello without version', () => {
    const p = pub();
    wr16(p, slotAt(p, payloadPos(p), 0), 0);
    expectReject(() => decodeClient(p), 'MISSING_FIELD');
    const i = client(CLIENT_SAMPLES.input);
    wr16(i, slotAt(i, payloadPos(i), 0), 0);
    expectReject(() => decodeClient(i), 'MISSING_FIELD');
    const r = ack();
    wr16(r, slotAt(r, rootPos(r), 0), 0);
    wr16(r, slotAt(r, rootPos(r), 1), 0);
    expectReject(() => decodeClient(r), 'MISSING_FIELD');
    const h = client(CLIENT_SAMPLES.hello);
    wr16(h, slotAt(h, payloadPos(h), 0), 0);
    expectReject(() => decodeClient(h), 'MISSING_FIELD');
    const w = server(SERVER_SAMPLES.welcome);
    wr16(w, slotAt(w, payloadPos(w), 0), 0);
    expectReject(() => decodeServer(w), 'MISSING_FIELD');
    const d = server(SERVER_SAMPLES.delta);
    wr16(d, slotAt(d, payloadPos(d), 4), 0); // removed
    expectReject(() => decodeServer(d), 'MISSING_FIELD');
  });

  test('BAD_VALUE: bool byte 2 (table field and struct field), enum out of range (table, struct in a vector)', () => {
    const a = server({ kind: 'adminResult', command: 'c', ok: true, message: 'm' });
    a[fieldPos(a, payloadPos(a), 1)] = 2;
    expectReject(() => decodeServer(a), 'BAD_VALUE');
    const i = client(CLIENT_SAMPLES.input);
    i[fieldPos(i, payloadPos(i), 0) + 8] = 2; // InputFrame.jump@8
    expectReject(() => decodeClient(i), 'BAD_VALUE');
    const c = client(CLIENT_SAMPLES.chat);
    c[fieldPos(c, payloadPos(c), 0)] = 4; // ChatChannel has 0..3
    expectReject(() => decodeClient(c), 'BAD_VALUE');
    const s = server(SERVER_SAMPLES.snapshot);
    s[target(s, payloadPos(s), 2) + 4 + 24 + 20] = 9; // shapes[1].shape@20
    expectReject(() => decodeServer(s), 'BAD_VALUE');
    const ad = shard(SHARD_SAMPLES.advance);
    ad[target(ad, payloadPos(ad), 1) + 4 + 40 + 33] = 3; // commands[1].jump@33
    expectReject(() => decodeShard(ad), 'BAD_VALUE');
  });

  test('decoder range checks: walk input outside -1000..1000 is ERROR.BAD_VALUE', () => {
    for (const v of [1001, -1001, 32767, -32768]) {
      const b = client({ kind: 'input', input: { seq: 1, walkX: 0, walkZ: 0, jump: false } });
      const f = fieldPos(b, payloadPos(b), 0);
      wr16(b, f + 4, v & 0xffff); // walk_x@4
      expectReject(() => decodeClient(b), 'BAD_VALUE', ERROR.BAD_VALUE);
      const c = client({ kind: 'input', input: { seq: 1, walkX: 0, walkZ: 0, jump: false } });
      wr16(c, fieldPos(c, payloadPos(c), 0) + 6, v & 0xffff); // walk_z@6
      expectReject(() => decodeClient(c), 'BAD_VALUE', ERROR.BAD_VALUE);
    }
  });

  test('fields a newer peer added (ids past the schema) are skipped', () => {
    const fb = new flatbuffers.Builder(64);
    fb.startObject(3);
    fb.addFieldInt32(0, 5, 0); // ClientAck.tick
    fb.addFieldInt32(2, 99, 0); // unknown field id 2
    const a = fb.endObject();
    fb.finish(FbClientMessage.createClientMessage(fb, ClientPayload.ClientAck, a), 'TSCL');
    expect(decodeClient(fb.asUint8Array().slice())).toEqual({ kind: 'ack', tick: 5 });
  });
});

/** A gc() function (V8's, enabled at run time) so retained memory can be measured. */
function exposeGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
