/**
 * Encoders and decoders between the message values of messages.ts and FlatBuffers bytes
 * (schemas/client.fbs, server.fbs, shard.fbs; generated code in ./generated).
 *
 * ```
 *  encodeX(msg) --validate fields--> one reused flatbuffers.Builder --> copy of the bytes
 *  decodeX(bytes) --verifyX (verify.ts)--> generated accessors on reused read objects
 *                 --> range checks the TS types imply --> a fresh message value
 * ```
 *
 * Decoders never read a byte the verifier has not accepted, and return values that share no
 * memory with the input (records are copied), so the caller may reuse its receive buffer.
 * Encoders return a fresh Uint8Array (a copy of the builder's bytes), valid forever.
 *
 * Errors (all ProtocolError, src/protocol/errors.ts):
 *  - decode: ERROR.BAD_MESSAGE with the verifier's reason (see verify.ts); ERROR.BAD_MESSAGE
 *    with MISSING_FIELD for a hello/welcome without its protocol version; ERROR.BAD_VALUE with
 *    reason BAD_VALUE for a walk input outside -1000..1000 (the TS type's range is narrower
 *    than the wire's i16).
 *  - encode: ERROR.BAD_VALUE with reason BAD_VALUE for a value the wire type cannot hold
 *    (not an integer, out of range, an enum value not in the schema, a string with a lone
 *    UTF-16 surrogate that UTF-8 cannot carry, a walk input outside -1000..1000). Everything
 *    an encoder accepts, the decoder accepts and returns deep-equal.
 *
 * Encoding rules: bigint fields are i64 (Vec3, raw Q47.16) or u64 (ping nonce, shard hash);
 * `lastKnownTick: null` and `interest: null` are absent fields (an optional scalar and an
 * optional struct); every string and vector is written, even when empty (they are
 * `required`), so each message has exactly one encoding.
 *
 * Hot path: snapshots and deltas (one per client per network tick) lay their bodies out in a
 * reused scratch buffer and copy them into the builder at once (bodyStates), no object and no
 * builder call per body; decoding reads each body through one reused accessor object.
 */
import * as flatbuffers from 'flatbuffers';
import { ERROR } from './errors';
import type {
  ClientMessage,
  ServerMessage,
  ShardMessage,
  BodyState,
  BodyShape,
  Handle,
  Interest,
  JointInfo,
  RawVec3,
  StreamEvent,
  ShardCommand,
  PhysicsEventMsg,
} from './messages';
import { verifyClient, verifyServer, verifyShard, protocolError, type VerifyOptions } from './verify';
import * as C from './generated/client_generated';
import * as S from './generated/server_generated';
import * as H from './generated/shard_generated';
import { ChatChannel, OwnershipRule, OwnershipAction, Shape, BodyKind, JointKind, ShardCommandKind, PhysicsEventKind, type EnumDesc } from './descriptors';
import { JOINT_WIRE_WORLD } from './messages';

/** Client message kinds in union order: union tag t (1-based, ClientPayload) is CLIENT_KINDS[t - 1]. */
export const CLIENT_KINDS = [
  'hello',
  'input',
  'publish',
  'chat',
  'spawn',
  'ownership',
  'admin',
  'ack',
  'interest',
  'ping',
  'lagRaycast',
] as const satisfies readonly ClientMessage['kind'][];
/** Server message kinds in union order (ServerPayload tag t is SERVER_KINDS[t - 1]). */
export const SERVER_KINDS = [
  'welcome',
  'snapshot',
  'delta',
  'events',
  'chat',
  'ownership',
  'adminResult',
  'error',
  'pong',
  'geometry',
  'lagRaycast',
  'avatarRecord',
  'quiet',
] as const satisfies readonly ServerMessage['kind'][];
/** Shard message kinds in union order (ShardPayload tag t is SHARD_KINDS[t - 1]). */
export const SHARD_KINDS = ['advance', 'ghosts', 'handoff', 'physicsEvents', 'hash'] as const satisfies readonly ShardMessage['kind'][];
/**
 * The cluster's ShardMessage kinds, after SHARD_KINDS in union order (tag SHARD_KINDS.length + 1 + i
 * is CLUSTER_KINDS[i]). decodeShard refuses them; src/cluster/messages.ts decodes them.
 */
export const CLUSTER_KINDS = ['result', 'tick', 'part'] as const;

/** Smallest walk input (thousandths of the walk speed, messages.ts InputFrame). */
export const WALK_MIN = -1000;
/** Largest walk input (thousandths of the walk speed). */
export const WALK_MAX = 1000;

/** A builder that grew past this many bytes is replaced after use, so one huge message does not pin memory. */
const BUILDER_KEEP_BYTES = 4 << 20;
const INITIAL_BUILDER_BYTES = 1024;

// ---------------------------------------------------------------------------------------
// Encoder state and value checks

const builders = {
  client: new flatbuffers.Builder(INITIAL_BUILDER_BYTES),
  server: new flatbuffers.Builder(INITIAL_BUILDER_BYTES),
  shard: new flatbuffers.Builder(INITIAL_BUILDER_BYTES),
};
type Root = keyof typeof builders;

/**
 * Capacity in bytes of the reused builder of a root (for tests and the benchmark: a reused
 * builder must not grow while encoding messages no larger than before).
 */
export function builderCapacity(root: Root): number {
  return builders[root].dataBuffer().capacity();
}

function finish(root: Root, b: flatbuffers.Builder, offset: number, identifier: string): Uint8Array {
  b.finish(offset, identifier);
  const out = b.asUint8Array().slice();
  if (b.dataBuffer().capacity() > BUILDER_KEEP_BYTES) builders[root] = new flatbuffers.Builder(INITIAL_BUILDER_BYTES);
  return out;
}

function bad(what: string, value: unknown): never {
  throw protocolError(ERROR.BAD_VALUE, 'BAD_VALUE', `${what}: ${typeof value === 'bigint' ? `${value}n` : String(value)} does not fit the wire type`);
}
function u8(v: number, what: string): number {
  if ((v & 0xff) !== v) bad(what, v);
  return v;
}
function u16(v: number, what: string): number {
  if ((v & 0xffff) !== v) bad(what, v);
  return v;
}
function i32(v: number, what: string): number {
  if ((v | 0) !== v) bad(what, v);
  return v;
}
function u32(v: number, what: string): number {
  if (v >>> 0 !== v) bad(what, v);
  return v;
}
function i64(v: bigint, what: string): bigint {
  if (typeof v !== 'bigint' || BigInt.asIntN(64, v) !== v) bad(what, v);
  return v;
}
function u64(v: bigint, what: string): bigint {
  if (typeof v !== 'bigint' || BigInt.asUintN(64, v) !== v) bad(what, v);
  return v;
}
function en(e: EnumDesc, v: number, what: string): number {
  if ((v & 0xff) !== v || e.valid[v] !== 1) bad(`${what} (${e.name})`, v);
  return v;
}
function walk(v: number, what: string): number {
  if ((v | 0) !== v || v < WALK_MIN || v > WALK_MAX) bad(`${what} (${WALK_MIN}..${WALK_MAX})`, v);
  return v;
}

/** Lone UTF-16 surrogates: TextEncoder would turn them into U+FFFD, so they cannot round-trip. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/** Scratch for the ASCII fast path of `str` (TextEncoder.encode costs ~0.6 µs per short string here). */
const ASCII_MAX = 256;
const asciiScratch = new Uint8Array(ASCII_MAX);

/** Writes a string; short ASCII strings are copied byte by byte, others go through TextEncoder. */
function str(b: flatbuffers.Builder, s: string, what: string): number {
  if (typeof s !== 'string') bad(`${what} (string)`, s);
  const n = s.length;
  if (n <= ASCII_MAX) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      asciiScratch[i] = c;
    }
    if (i === n) return b.createString(asciiScratch.subarray(0, n)); // same bytes as the UTF-8 of an ASCII string
  }
  if (LONE_SURROGATE.test(s)) bad(`${what} (well-formed string)`, s);
  return b.createString(s);
}

function vec3(b: flatbuffers.Builder, v: RawVec3, what: string): number {
  return C.Vec3.createVec3(b, i64(v[0], `${what}[0]`), i64(v[1], `${what}[1]`), i64(v[2], `${what}[2]`));
}
function handle(b: flatbuffers.Builder, h: Handle, what: string): number {
  return C.BodyHandle.createBodyHandle(b, u32(h.index, `${what}.index`), u32(h.generation, `${what}.generation`));
}
function interest(b: flatbuffers.Builder, i: Interest): number {
  return C.Interest.createInterest(
    b,
    i64(i.center[0], 'interest.center[0]'),
    i64(i.center[1], 'interest.center[1]'),
    i64(i.center[2], 'interest.center[2]'),
    u32(i.cells, 'interest.cells'),
  );
}
function stringVector(b: flatbuffers.Builder, list: readonly string[], what: string): number {
  const offs = new Array<number>(list.length);
  for (let i = 0; i < list.length; i++) offs[i] = str(b, list[i], `${what}[${i}]`);
  b.startVector(4, offs.length, 4);
  for (let i = offs.length - 1; i >= 0; i--) b.addOffset(offs[i]);
  return b.endVector();
}
/** Optional scalar u32 (`= null` in the schema). flatc 2.0.8's TS `add` helpers pass a default of 0 even for optional scalars, so 0 would be dropped: force it out. */
function addOptionalU32(b: flatbuffers.Builder, add: (b: flatbuffers.Builder, v: number) => void, v: number, what: string): void {
  b.forceDefaults(true);
  add(b, u32(v, what));
  b.forceDefaults(false);
}

// ---------------------------------------------------------------------------------------
// Client

/**
 * Encodes a client -> host message as a ClientMessage buffer ("TSCL"). Returns a fresh copy.
 * Throws ProtocolError(ERROR.BAD_VALUE) for a value the wire cannot hold (module comment).
 */
export function encodeClient(msg: ClientMessage): Uint8Array {
  const b = builders.client;
  b.clear();
  let type: C.ClientPayload, off: number;
  switch (msg.kind) {
    case 'hello': {
      const token = str(b, msg.token, 'hello.token'),
        stream = str(b, msg.stream, 'hello.stream'),
        pid = str(b, msg.privateId, 'hello.privateId');
      C.ClientHello.startClientHello(b);
      addOptionalU32(b, C.ClientHello.addVersion, msg.version, 'hello.version');
      C.ClientHello.addToken(b, token);
      C.ClientHello.addStream(b, stream);
      C.ClientHello.addPrivateId(b, pid);
      if (msg.lastKnownTick !== null) addOptionalU32(b, C.ClientHello.addLastKnownTick, msg.lastKnownTick, 'hello.lastKnownTick');
      if (msg.interest !== null) C.ClientHello.addInterest(b, interest(b, msg.interest));
      if (msg.predict === true) C.ClientHello.addPredict(b, true);
      if (msg.predictRadius !== undefined && msg.predictRadius > 0) C.ClientHello.addPredictRadius(b, u32(msg.predictRadius, 'hello.predictRadius'));
      if (msg.packedDeltas === true) C.ClientHello.addPackedDeltas(b, true);
      if (msg.predictedDeltas === true) C.ClientHello.addPredictedDeltas(b, true);
      if (msg.quietTicks === true) C.ClientHello.addQuietTicks(b, true);
      off = C.ClientHello.endClientHello(b);
      type = C.ClientPayload.ClientHello;
      break;
    }
    case 'input': {
      const f = msg.input;
      C.ClientInput.startClientInput(b);
      C.ClientInput.addInput(
        b,
        C.InputFrame.createInputFrame(b, u32(f.seq, 'input.seq'), walk(f.walkX, 'input.walkX'), walk(f.walkZ, 'input.walkZ'), f.jump === true),
      );
      C.ClientInput.addTick(b, u32(msg.tick ?? 0, 'input.tick'));
      off = C.ClientInput.endClientInput(b);
      type = C.ClientPayload.ClientInput;
      break;
    }
    case 'publish': {
      const t = str(b, msg.type, 'publish.type'),
        body = str(b, msg.body, 'publish.body');
      off = C.ClientPublish.createClientPublish(b, t, body);
      type = C.ClientPayload.ClientPublish;
      break;
    }
    case 'chat': {
      const to = str(b, msg.to, 'chat.to'),
        text = str(b, msg.text, 'chat.text');
      off = C.ClientChat.createClientChat(b, en(ChatChannel, msg.channel, 'chat.channel'), to, text);
      type = C.ClientPayload.ClientChat;
      break;
    }
    case 'spawn': {
      C.ClientSpawn.startClientSpawn(b);
      C.ClientSpawn.addShape(b, en(Shape, msg.shape, 'spawn.shape'));
      C.ClientSpawn.addPosition(b, vec3(b, msg.position, 'spawn.position'));
      C.ClientSpawn.addVelocity(b, vec3(b, msg.velocity, 'spawn.velocity'));
      C.ClientSpawn.addSize(b, vec3(b, msg.size, 'spawn.size'));
      off = C.ClientSpawn.endClientSpawn(b);
      type = C.ClientPayload.ClientSpawn;
      break;
    }
    case 'ownership': {
      C.ClientOwnership.startClientOwnership(b);
      C.ClientOwnership.addBody(b, handle(b, msg.body, 'ownership.body'));
      C.ClientOwnership.addAction(b, en(OwnershipAction, msg.action, 'ownership.action'));
      C.ClientOwnership.addRule(b, en(OwnershipRule, msg.rule, 'ownership.rule'));
      C.ClientOwnership.addTarget(b, u32(msg.target, 'ownership.target'));
      off = C.ClientOwnership.endClientOwnership(b);
      type = C.ClientPayload.ClientOwnership;
      break;
    }
    case 'admin': {
      const cmd = str(b, msg.command, 'admin.command'),
        args = stringVector(b, msg.args, 'admin.args');
      off = C.ClientAdmin.createClientAdmin(b, cmd, args);
      type = C.ClientPayload.ClientAdmin;
      break;
    }
    case 'ack':
      off = C.ClientAck.createClientAck(b, u32(msg.tick, 'ack.tick'));
      type = C.ClientPayload.ClientAck;
      break;
    case 'interest':
      C.ClientInterest.startClientInterest(b);
      C.ClientInterest.addInterest(b, interest(b, msg.interest));
      off = C.ClientInterest.endClientInterest(b);
      type = C.ClientPayload.ClientInterest;
      break;
    case 'ping':
      off = C.ClientPing.createClientPing(b, u64(msg.nonce, 'ping.nonce'));
      type = C.ClientPayload.ClientPing;
      break;
    case 'lagRaycast':
      C.ClientLagRaycast.startClientLagRaycast(b);
      C.ClientLagRaycast.addNonce(b, u32(msg.nonce, 'lagRaycast.nonce'));
      C.ClientLagRaycast.addTick(b, u32(msg.tick, 'lagRaycast.tick'));
      C.ClientLagRaycast.addOrigin(b, vec3(b, msg.origin, 'lagRaycast.origin'));
      C.ClientLagRaycast.addDirection(b, vec3(b, msg.direction, 'lagRaycast.direction'));
      C.ClientLagRaycast.addLength(b, i64(msg.length, 'lagRaycast.length'));
      off = C.ClientLagRaycast.endClientLagRaycast(b);
      type = C.ClientPayload.ClientLagRaycast;
      break;
    default:
      return bad('client message kind', (msg as { kind: unknown }).kind);
  }
  return finish('client', b, C.ClientMessage.createClientMessage(b, type, off), 'TSCL');
}

// Reused read objects (one per table kind; decoding is synchronous, so one set suffices).
const rc = {
  root: new C.ClientMessage(),
  hello: new C.ClientHello(),
  input: new C.ClientInput(),
  publish: new C.ClientPublish(),
  chat: new C.ClientChat(),
  spawn: new C.ClientSpawn(),
  ownership: new C.ClientOwnership(),
  admin: new C.ClientAdmin(),
  ack: new C.ClientAck(),
  interest: new C.ClientInterest(),
  ping: new C.ClientPing(),
  lagRaycast: new C.ClientLagRaycast(),
  frame: new C.InputFrame(),
  vec: new C.Vec3(),
  handle: new C.BodyHandle(),
  int: new C.Interest(),
};

function readVec3(v: C.Vec3): RawVec3 {
  return [v.x(), v.y(), v.z()];
}
function readInterest(i: C.Interest): Interest {
  return { center: readVec3(i.center(rc.vec)!), cells: i.cells() };
}
function missing(what: string): never {
  throw protocolError(ERROR.BAD_MESSAGE, 'MISSING_FIELD', `${what} is required`);
}
function walkIn(v: number, what: string): number {
  if (v < WALK_MIN || v > WALK_MAX) throw protocolError(ERROR.BAD_VALUE, 'BAD_VALUE', `${what}: ${v} is outside ${WALK_MIN}..${WALK_MAX}`);
  return v;
}

/** Little-endian reads for readAckTick (callers check bounds). */
function rdU16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
function rdI32(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
}

/**
 * The tick of a ClientAck read straight from its FlatBuffer bytes, without the decoder's
 * objects (issue 22: an ack arrives per client per tick; decodeClient allocated about 210 bytes
 * for each). Returns 0..2^32-1, or -1 when the bytes are not an ack (the caller then decodes them
 * with decodeClient, which reports whatever is wrong with them).
 *
 * A bounds-checked look at the root's union tag (ClientMessage.payload_type, vtable slot 0) picks
 * the acks; an ack is then verified whole by verifyClient (which allocates nothing on success)
 * before its tick is read, so it throws exactly the ProtocolError decodeClient would for the same
 * bytes, and returns exactly decodeClient(bytes).tick for every buffer decodeClient decodes to an
 * ack. Reads follow the FlatBuffers runtime (ByteBuffer.__offset: a slot past the vtable is
 * absent; an absent tick is 0). Default verifier limits (1 MiB), as decodeClient without options.
 */
export function readAckTick(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n < 12) return -1;
  const root = rdI32(bytes, 0);
  if (root & 3 || root < 8 || root > n - 4) return -1;
  const vt = root - rdI32(bytes, root);
  if (vt < 0 || vt > n - 6) return -1;
  const vtSize = rdU16(bytes, vt);
  if (vtSize < 6) return -1;
  const tagOff = rdU16(bytes, vt + 4);
  if (tagOff === 0 || root + tagOff >= n || bytes[root + tagOff] !== C.ClientPayload.ClientAck) return -1;
  const pos = verifyClient(bytes); // throws as decodeClient would
  // verified: the payload (slot 1) is present and points at a ClientAck table
  const at = pos + rdU16(bytes, pos - rdI32(bytes, pos) + 6);
  const t = at + rdI32(bytes, at);
  const avt = t - rdI32(bytes, t);
  const voff = rdU16(bytes, avt) > 4 ? rdU16(bytes, avt + 4) : 0;
  return voff === 0 ? 0 : rdI32(bytes, t + voff) >>> 0;
}

/**
 * Verifies `bytes` as a ClientMessage ("TSCL") and decodes it. Throws ProtocolError: the
 * verifier's (ERROR.BAD_MESSAGE), MISSING_FIELD for a hello without a version, ERROR.BAD_VALUE
 * for a walk input outside -1000..1000. `options` are the verifier limits (default 1 MiB).
 */
export function decodeClient(bytes: Uint8Array, options?: VerifyOptions): ClientMessage {
  const pos = verifyClient(bytes, options);
  const bb = new flatbuffers.ByteBuffer(bytes);
  const root = rc.root.__init(pos, bb);
  // the verifier guarantees: a member tag, the value present, every required field present
  switch (root.payloadType()) {
    case C.ClientPayload.ClientHello: {
      const t = root.payload(rc.hello) as C.ClientHello;
      const version = t.version();
      if (version === null) missing('hello.version');
      const it = t.interest(rc.int);
      return {
        kind: 'hello',
        version,
        token: t.token()!,
        stream: t.stream()!,
        privateId: t.privateId()!,
        lastKnownTick: t.lastKnownTick(),
        interest: it === null ? null : readInterest(it),
        ...(t.predict() ? { predict: true } : {}),
        ...(t.predictRadius() > 0 ? { predictRadius: t.predictRadius() } : {}),
        ...(t.packedDeltas() ? { packedDeltas: true } : {}),
        ...(t.predictedDeltas() ? { predictedDeltas: true } : {}),
        ...(t.quietTicks() ? { quietTicks: true } : {}),
      };
    }
    case C.ClientPayload.ClientInput: {
      const t = root.payload(rc.input) as C.ClientInput;
      const f = t.input(rc.frame)!;
      const input = { seq: f.seq(), walkX: walkIn(f.walkX(), 'input.walkX'), walkZ: walkIn(f.walkZ(), 'input.walkZ'), jump: f.jump() };
      const tick = t.tick();
      return tick === 0 ? { kind: 'input', input } : { kind: 'input', input, tick };
    }
    case C.ClientPayload.ClientPublish: {
      const t = root.payload(rc.publish) as C.ClientPublish;
      return { kind: 'publish', type: t.type()!, body: t.body()! };
    }
    case C.ClientPayload.ClientChat: {
      const t = root.payload(rc.chat) as C.ClientChat;
      return { kind: 'chat', channel: t.channel(), to: t.to()!, text: t.text()! };
    }
    case C.ClientPayload.ClientSpawn: {
      const t = root.payload(rc.spawn) as C.ClientSpawn;
      return {
        kind: 'spawn',
        shape: t.shape(),
        position: readVec3(t.position(rc.vec)!),
        velocity: readVec3(t.velocity(rc.vec)!),
        size: readVec3(t.size(rc.vec)!),
      };
    }
    case C.ClientPayload.ClientOwnership: {
      const t = root.payload(rc.ownership) as C.ClientOwnership;
      const h = t.body(rc.handle)!;
      return { kind: 'ownership', body: { index: h.index(), generation: h.generation() }, action: t.action(), rule: t.rule(), target: t.target() };
    }
    case C.ClientPayload.ClientAdmin: {
      const t = root.payload(rc.admin) as C.ClientAdmin;
      const n = t.argsLength();
      const args = new Array<string>(n);
      for (let i = 0; i < n; i++) args[i] = t.args(i);
      return { kind: 'admin', command: t.command()!, args };
    }
    case C.ClientPayload.ClientAck:
      return { kind: 'ack', tick: (root.payload(rc.ack) as C.ClientAck).tick() };
    case C.ClientPayload.ClientInterest:
      return { kind: 'interest', interest: readInterest((root.payload(rc.interest) as C.ClientInterest).interest(rc.int)!) };
    case C.ClientPayload.ClientPing:
      return { kind: 'ping', nonce: (root.payload(rc.ping) as C.ClientPing).nonce() };
    case C.ClientPayload.ClientLagRaycast: {
      const t = root.payload(rc.lagRaycast) as C.ClientLagRaycast;
      return {
        kind: 'lagRaycast',
        nonce: t.nonce(),
        tick: t.tick(),
        origin: readVec3(t.origin(rc.vec)!),
        direction: readVec3(t.direction(rc.vec)!),
        length: t.length(),
      };
    }
    default:
      // unreachable after verification (the root's payload is required and its tag a member)
      throw protocolError(ERROR.BAD_MESSAGE, 'BAD_UNION', 'ClientMessage.payload: unknown kind');
  }
}

// ---------------------------------------------------------------------------------------
// Server

/** BodyState and BodyShape struct layouts (schemas/server.fbs; the descriptors test checks them against flatc). */
const BODY_STATE_BYTES = 36;
const BODY_SHAPE_BYTES = 24;
/** Bytes of a JointInfo struct (schemas/server.fbs). */
const JOINT_INFO_BYTES = 84;
/** Flag bits a JointInfo may carry on the wire: LIMITS, MOTOR, TARGET, WORLD. */
const JOINT_WIRE_FLAGS = 15;
let scratch = new Uint8Array(BODY_STATE_BYTES * 256);
let scratchView = new DataView(scratch.buffer);

/** The struct scratch with room for `bytes` bytes. */
function structScratch(bytes: number): DataView {
  if (scratch.length < bytes) {
    scratch = new Uint8Array(Math.max(bytes, scratch.length * 2));
    scratchView = new DataView(scratch.buffer);
  }
  return scratchView;
}

/**
 * Copies the first `bytes` bytes of the struct scratch into the builder as a vector of `n`
 * structs: one `createByteVector`, then the vector's length word is set to the element
 * count. Same bytes as the generated `startXVector` + `createX` loop: createByteVector aligns
 * its length word to 4 and the data follows it, which is the structs' alignment (4); the
 * golden tests compare the bytes.
 */
function structVector(b: flatbuffers.Builder, bytes: number, n: number): number {
  const off = b.createByteVector(scratch.subarray(0, bytes));
  const bb = b.dataBuffer();
  bb.writeInt32(bb.capacity() - off, n); // the length word counts structs, not bytes
  return off;
}

/** True when one BodyState's fields fit their wire types (i16/i32/u32/u8, by shifts: the stores would wrap silently). */
function stateFits(
  index: number,
  generation: number,
  px: number,
  py: number,
  pz: number,
  qx: number,
  qy: number,
  qz: number,
  qw: number,
  vx: number,
  vy: number,
  vz: number,
  shard: number,
): boolean {
  return (
    index >>> 0 === index &&
    generation >>> 0 === generation &&
    (px | 0) === px &&
    (py | 0) === py &&
    (pz | 0) === pz &&
    (qx << 16) >> 16 === qx &&
    (qy << 16) >> 16 === qy &&
    (qz << 16) >> 16 === qz &&
    (qw << 16) >> 16 === qw &&
    (vx << 16) >> 16 === vx &&
    (vy << 16) >> 16 === vy &&
    (vz << 16) >> 16 === vz &&
    (shard & 0xff) === shard
  );
}

/** Stores one BodyState struct at byte `at` of the scratch (little-endian, padding zeroed). */
function putState(
  v: DataView,
  at: number,
  index: number,
  generation: number,
  px: number,
  py: number,
  pz: number,
  qx: number,
  qy: number,
  qz: number,
  qw: number,
  vx: number,
  vy: number,
  vz: number,
  shard: number,
): void {
  v.setUint32(at, index, true);
  v.setUint32(at + 4, generation, true);
  v.setInt32(at + 8, px, true);
  v.setInt32(at + 12, py, true);
  v.setInt32(at + 16, pz, true);
  v.setInt16(at + 20, qx, true);
  v.setInt16(at + 22, qy, true);
  v.setInt16(at + 24, qz, true);
  v.setInt16(at + 26, qw, true);
  v.setInt16(at + 28, vx, true);
  v.setInt16(at + 30, vy, true);
  v.setInt16(at + 32, vz, true);
  v.setUint8(at + 34, shard);
  v.setUint8(at + 35, 0); // padding
}

/**
 * Writes a vector of BodyState structs: laid out in a reused scratch buffer with a DataView
 * (13 stores per body, no call into the builder per body), then copied in at once (structVector).
 */
function bodyStates(b: flatbuffers.Builder, list: readonly BodyState[]): number {
  const n = list.length;
  const v = structScratch(n * BODY_STATE_BYTES);
  for (let i = 0, at = 0; i < n; i++, at += BODY_STATE_BYTES) {
    const s = list[i];
    if (!stateFits(s.index, s.generation, s.px, s.py, s.pz, s.qx, s.qy, s.qz, s.qw, s.vx, s.vy, s.vz, s.shard)) bad(`bodies[${i}]`, JSON.stringify(s));
    putState(v, at, s.index, s.generation, s.px, s.py, s.pz, s.qx, s.qy, s.qz, s.qw, s.vx, s.vy, s.vz, s.shard);
  }
  return structVector(b, n * BODY_STATE_BYTES, n);
}

/**
 * Stores one BodyShape struct at byte `at` of the scratch (little-endian, padding zeroed),
 * checking each field against its wire type (element `i` of shapes[] is named in errors). The
 * names are made only when a check fails (they were 7 strings a shape, the encoder's largest
 * allocation: issue 22).
 */
function putShape(
  v: DataView,
  at: number,
  i: number,
  index: number,
  generation: number,
  shape: number,
  kind: number,
  sx: number,
  sy: number,
  sz: number,
): void {
  if (
    index >>> 0 !== index ||
    generation >>> 0 !== generation ||
    (sx | 0) !== sx ||
    (sy | 0) !== sy ||
    (sz | 0) !== sz ||
    (shape & 0xff) !== shape ||
    Shape.valid[shape] !== 1 ||
    (kind & 0xff) !== kind ||
    BodyKind.valid[kind] !== 1
  ) {
    // the checks in order, with their names: throws the first that fails
    const w = `shapes[${i}]`;
    u32(index, `${w}.index`);
    u32(generation, `${w}.generation`);
    i32(sx, `${w}.sx`);
    i32(sy, `${w}.sy`);
    i32(sz, `${w}.sz`);
    en(Shape, shape, `${w}.shape`);
    en(BodyKind, kind, `${w}.kind`);
  }
  v.setUint32(at, index, true);
  v.setUint32(at + 4, generation, true);
  v.setInt32(at + 8, sx, true);
  v.setInt32(at + 12, sy, true);
  v.setInt32(at + 16, sz, true);
  v.setUint8(at + 20, shape);
  v.setUint8(at + 21, kind);
  v.setUint16(at + 22, 0, true); // padding
}

/** Writes a vector of BodyShape structs through the scratch, as bodyStates does. */
function bodyShapes(b: flatbuffers.Builder, list: readonly BodyShape[]): number {
  const n = list.length;
  const v = structScratch(n * BODY_SHAPE_BYTES);
  for (let i = 0, at = 0; i < n; i++, at += BODY_SHAPE_BYTES) {
    const s = list[i];
    putShape(v, at, i, s.index, s.generation, s.shape, s.kind, s.sx, s.sy, s.sz);
  }
  return structVector(b, n * BODY_SHAPE_BYTES, n);
}

/**
 * Int32 values per joint of StateRows.joints, the JointInfo fields in wire order: index,
 * generation, a_index, a_generation, b_index, b_generation (u32 stored as i32), ax ay az bx by bz
 * lower upper target min_length max_length (i32), xax xay xaz xbx xby xbz (i16), kind, flags
 * (with JOINT_WIRE_WORLD when B is the world).
 */
export const JOINT_ROW_STRIDE = 25;

/**
 * Stores one JointInfo struct at byte `at` of the scratch from the JOINT_ROW_STRIDE values of
 * `r` at `o` (wire order), checking each against its wire type (`w` names the element): u32
 * handles, i32 anchors/angles/lengths, i16 axes, a JointKind other than None, flags within
 * LIMITS | MOTOR | TARGET | WORLD, and B = 0, 0 with WORLD.
 */
function putJoint(v: DataView, at: number, w: string, r: ArrayLike<number>, o: number): void {
  for (let f = 0; f < 6; f++) v.setUint32(at + 4 * f, u32(r[o + f] >>> 0, w), true);
  for (let f = 6; f < 17; f++) v.setInt32(at + 4 * f, i32(r[o + f], w), true);
  for (let f = 17; f < 23; f++) {
    const x = r[o + f];
    if ((x << 16) >> 16 !== x) bad(`${w} (axis, i16)`, x);
    v.setInt16(at + 68 + 2 * (f - 17), x, true);
  }
  const kind = r[o + 23],
    flags = r[o + 24];
  if (kind === 0) bad(`${w}.kind (JointKind, not None)`, kind);
  v.setUint8(at + 80, en(JointKind, kind, `${w}.kind`));
  if ((flags & JOINT_WIRE_FLAGS) !== flags) bad(`${w}.flags`, flags);
  if (flags & JOINT_WIRE_WORLD && (r[o + 4] !== 0 || r[o + 5] !== 0)) bad(`${w}.b (the world: 0, 0)`, `${r[o + 4]},${r[o + 5]}`);
  v.setUint8(at + 81, flags);
  v.setUint16(at + 82, 0, true); // padding
}

/**
 * The JOINT_ROW_STRIDE wire-order values of a JointInfo value; the handles are checked as u32
 * here (a row holds them as i32), the rest when a row is written (putJoint).
 */
export function jointRow(j: JointInfo): number[] {
  const world = j.b === null;
  return [
    u32(j.index, 'joint.index'),
    u32(j.generation, 'joint.generation'),
    u32(j.a.index, 'joint.a.index'),
    u32(j.a.generation, 'joint.a.generation'),
    world ? 0 : u32((j.b as Handle).index, 'joint.b.index'),
    world ? 0 : u32((j.b as Handle).generation, 'joint.b.generation'),
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
    (j.flags & ~JOINT_WIRE_WORLD) | (world ? JOINT_WIRE_WORLD : 0),
  ];
}

/** The JointInfo value of JOINT_ROW_STRIDE wire-order values at `o` (u32 fields read unsigned). */
function jointValue(r: ArrayLike<number>, o: number): JointInfo {
  const flags = r[o + 24],
    world = (flags & JOINT_WIRE_WORLD) !== 0;
  return {
    index: r[o] >>> 0,
    generation: r[o + 1] >>> 0,
    kind: r[o + 23],
    flags: flags & ~JOINT_WIRE_WORLD,
    a: { index: r[o + 2] >>> 0, generation: r[o + 3] >>> 0 },
    b: world ? null : { index: r[o + 4] >>> 0, generation: r[o + 5] >>> 0 },
    anchorA: [r[o + 6], r[o + 7], r[o + 8]],
    anchorB: [r[o + 9], r[o + 10], r[o + 11]],
    lower: r[o + 12],
    upper: r[o + 13],
    target: r[o + 14],
    minLength: r[o + 15],
    maxLength: r[o + 16],
    axisA: [r[o + 17], r[o + 18], r[o + 19]],
    axisB: [r[o + 20], r[o + 21], r[o + 22]],
  };
}

/** Writes a vector of JointInfo structs from `n` rows of JOINT_ROW_STRIDE values (through the scratch). */
function jointStructs(b: flatbuffers.Builder, rows: ArrayLike<number>, n: number): number {
  const v = structScratch(n * JOINT_INFO_BYTES);
  for (let i = 0; i < n; i++) putJoint(v, i * JOINT_INFO_BYTES, `joints[${i}]`, rows, i * JOINT_ROW_STRIDE);
  return structVector(b, n * JOINT_INFO_BYTES, n);
}

/** JointInfo values as rows (JOINT_ROW_STRIDE each). */
function jointRows(list: readonly JointInfo[]): number[] {
  const out: number[] = [];
  for (const j of list) out.push(...jointRow(j));
  return out;
}

/** Writes a vector of JointHandle structs (index, generation pairs). */
function jointHandles(b: flatbuffers.Builder, pairs: ArrayLike<number>, n: number): number {
  S.ServerDelta.startRemovedJointsVector(b, n);
  for (let i = n - 1; i >= 0; i--)
    S.JointHandle.createJointHandle(b, u32(pairs[2 * i] >>> 0, `removedJoints[${i}].index`), u32(pairs[2 * i + 1] >>> 0, `removedJoints[${i}].generation`));
  return b.endVector();
}

/** Int32 values per body of StateRows.rows (BodyState fields in schema order). */
export const STATE_ROW_STRIDE = 13;
/** Int32 values per shape of StateRows.shapes: index, generation, shape, kind, sx, sy, sz. */
export const SHAPE_ROW_STRIDE = 7;

/**
 * A snapshot or delta in row form, as the interest publisher (src/sim/interest.ts) keeps
 * bodies: no object per body. Encoded by encodeStateRows to the same bytes as encodeServer
 * of the equivalent message (stateRowsMessage).
 */
export interface StateRows {
  kind: 'snapshot' | 'delta';
  tick: number;
  /** The delta's base tick (ignored for a snapshot). */
  baseTick: number;
  /**
   * Bodies, STATE_ROW_STRIDE Int32 each in BodyState field order: index, generation, px, py,
   * pz, qx, qy, qz, qw, vx, vy, vz, shard (units of schemas/server.fbs BodyState).
   */
  rows: Int32Array;
  /** The bodies sent, in order: body k's fields start at rows[k * STATE_ROW_STRIDE]. `bodyCount` are valid. */
  bodies: Int32Array;
  bodyCount: number;
  /** Shapes sent, SHAPE_ROW_STRIDE Int32 each. `shapeCount` are valid. */
  shapes: Int32Array;
  shapeCount: number;
  /** Removed handles (delta only): index, generation pairs. `removedCount` are valid. */
  removed: Uint32Array;
  removedCount: number;
  /** Joints sent (snapshot: all in the interest; delta: those that entered it), JOINT_ROW_STRIDE Int32 each. `jointCount` are valid. Absent: none. */
  joints?: Int32Array;
  jointCount?: number;
  /** Removed joint handles (delta only): index, generation pairs. `removedJointCount` are valid. Absent: none. */
  removedJoints?: Uint32Array;
  removedJointCount?: number;
  /**
   * Delta only: the changed bodies the client holds at the base, bit-packed (ServerDelta.packed;
   * src/sim/packed-state.ts). Absent or empty: none (the field is left out of the encoding).
   */
  packed?: Uint8Array;
  /**
   * Delta only: the changed bodies the client holds at the base, as residuals against their
   * prediction from the base (ServerDelta.predicted; src/sim/packed-state.ts). Absent or empty:
   * none (the field is left out of the encoding). Never together with `packed`.
   */
  predicted?: Uint8Array;
}

/** The ServerMessage value of a StateRows (for tests and clients of the value API). */
export function stateRowsMessage(m: StateRows): Extract<ServerMessage, { kind: 'snapshot' | 'delta' }> {
  const bodies: BodyState[] = [],
    shapes: BodyShape[] = [],
    removed: Handle[] = [];
  const r = m.rows,
    h = m.shapes;
  for (let i = 0; i < m.bodyCount; i++) {
    const o = m.bodies[i] * STATE_ROW_STRIDE;
    bodies.push({
      index: r[o] >>> 0,
      generation: r[o + 1] >>> 0,
      px: r[o + 2],
      py: r[o + 3],
      pz: r[o + 4],
      qx: r[o + 5],
      qy: r[o + 6],
      qz: r[o + 7],
      qw: r[o + 8],
      vx: r[o + 9],
      vy: r[o + 10],
      vz: r[o + 11],
      shard: r[o + 12],
    });
  }
  for (let i = 0; i < m.shapeCount; i++) {
    const o = i * SHAPE_ROW_STRIDE;
    shapes.push({ index: h[o] >>> 0, generation: h[o + 1] >>> 0, shape: h[o + 2], kind: h[o + 3], sx: h[o + 4], sy: h[o + 5], sz: h[o + 6] });
  }
  for (let i = 0; i < m.removedCount; i++) removed.push({ index: m.removed[2 * i], generation: m.removed[2 * i + 1] });
  const joints: JointInfo[] = [],
    removedJoints: Handle[] = [];
  for (let i = 0; i < (m.jointCount ?? 0); i++) joints.push(jointValue(m.joints as Int32Array, i * JOINT_ROW_STRIDE));
  const rj = m.removedJoints as Uint32Array;
  for (let i = 0; i < (m.removedJointCount ?? 0); i++) removedJoints.push({ index: rj[2 * i], generation: rj[2 * i + 1] });
  return m.kind === 'snapshot'
    ? { kind: 'snapshot', tick: m.tick, bodies, shapes, joints }
    : {
        kind: 'delta',
        baseTick: m.baseTick,
        tick: m.tick,
        bodies,
        shapes,
        removed,
        joints,
        removedJoints,
        ...(m.packed && m.packed.length > 0 ? { packed: m.packed.slice() } : {}),
        ...(m.predicted && m.predicted.length > 0 ? { predicted: m.predicted.slice() } : {}),
      };
}

/**
 * Encodes a snapshot or delta from its rows (the host's hot path: one per distinct view and
 * base per tick) to the same bytes as `encodeServer(stateRowsMessage(m))`, without making an
 * object per body. Throws ProtocolError(ERROR.BAD_VALUE) for a value the wire cannot hold.
 */
export function encodeStateRows(m: StateRows): Uint8Array {
  const b = builders.server;
  b.clear();
  const r = m.rows,
    n = m.bodyCount;
  let v = structScratch(n * BODY_STATE_BYTES);
  for (let i = 0, at = 0; i < n; i++, at += BODY_STATE_BYTES) {
    const o = m.bodies[i] * STATE_ROW_STRIDE;
    const index = r[o] >>> 0,
      generation = r[o + 1] >>> 0;
    if (!stateFits(index, generation, r[o + 2], r[o + 3], r[o + 4], r[o + 5], r[o + 6], r[o + 7], r[o + 8], r[o + 9], r[o + 10], r[o + 11], r[o + 12]))
      bad(`bodies[${i}]`, Array.from(r.subarray(o, o + STATE_ROW_STRIDE)).join(','));
    putState(v, at, index, generation, r[o + 2], r[o + 3], r[o + 4], r[o + 5], r[o + 6], r[o + 7], r[o + 8], r[o + 9], r[o + 10], r[o + 11], r[o + 12]);
  }
  const bodies = structVector(b, n * BODY_STATE_BYTES, n);
  const h = m.shapes,
    ns = m.shapeCount;
  v = structScratch(ns * BODY_SHAPE_BYTES);
  for (let i = 0, at = 0; i < ns; i++, at += BODY_SHAPE_BYTES) {
    const o = i * SHAPE_ROW_STRIDE;
    putShape(v, at, i, h[o] >>> 0, h[o + 1] >>> 0, h[o + 2], h[o + 3], h[o + 4], h[o + 5], h[o + 6]);
  }
  const shapes = structVector(b, ns * BODY_SHAPE_BYTES, ns);
  let off: number, type: S.ServerPayload;
  if (m.kind === 'snapshot') {
    const joints = jointStructs(b, m.joints ?? EMPTY_ROWS, m.jointCount ?? 0);
    off = snapshotTable(b, m.tick, bodies, shapes, joints, 0, 0);
    type = S.ServerPayload.ServerSnapshot;
  } else {
    S.ServerDelta.startRemovedVector(b, m.removedCount);
    for (let i = m.removedCount - 1; i >= 0; i--) S.BodyHandle.createBodyHandle(b, m.removed[2 * i], m.removed[2 * i + 1]);
    const removed = b.endVector();
    // the vectors in encodeServer's order (bodies, shapes, removed, joints, removed joints): the same bytes
    const joints = jointStructs(b, m.joints ?? EMPTY_ROWS, m.jointCount ?? 0);
    const removedJoints = jointHandles(b, m.removedJoints ?? EMPTY_ROWS, m.removedJointCount ?? 0);
    const packed = m.packed && m.packed.length > 0 ? b.createByteVector(m.packed) : 0;
    const predicted = m.predicted && m.predicted.length > 0 ? b.createByteVector(m.predicted) : 0;
    off = deltaTable(b, m.baseTick, m.tick, bodies, shapes, removed, joints, removedJoints, 0, 0, packed, predicted);
    type = S.ServerPayload.ServerDelta;
  }
  return finish('server', b, S.ServerMessage.createServerMessage(b, type, off), 'TSSV');
}

const EMPTY_ROWS = new Int32Array(0);

/**
 * A ServerSnapshot table. input_seq and input_tick are always written (forceDefaults), so that
 * every snapshot has them at a fixed place the fan-out overwrites per recipient (setRecipientFields).
 */
function snapshotTable(b: flatbuffers.Builder, tick: number, bodies: number, shapes: number, joints: number, inputSeq: number, inputTick: number): number {
  S.ServerSnapshot.startServerSnapshot(b);
  S.ServerSnapshot.addTick(b, u32(tick, 'snapshot.tick'));
  S.ServerSnapshot.addBodies(b, bodies);
  S.ServerSnapshot.addShapes(b, shapes);
  S.ServerSnapshot.addJoints(b, joints);
  b.forceDefaults(true);
  S.ServerSnapshot.addInputSeq(b, u32(inputSeq, 'snapshot.inputSeq'));
  S.ServerSnapshot.addInputTick(b, u32(inputTick, 'snapshot.inputTick'));
  b.forceDefaults(false);
  return S.ServerSnapshot.endServerSnapshot(b);
}

/** A ServerDelta table; input_seq and input_tick always written, as in snapshotTable. */
function deltaTable(
  b: flatbuffers.Builder,
  baseTick: number,
  tick: number,
  bodies: number,
  shapes: number,
  removed: number,
  joints: number,
  removedJoints: number,
  inputSeq: number,
  inputTick: number,
  packed = 0,
  predicted = 0,
): number {
  S.ServerDelta.startServerDelta(b);
  S.ServerDelta.addBaseTick(b, u32(baseTick, 'delta.baseTick'));
  S.ServerDelta.addTick(b, u32(tick, 'delta.tick'));
  S.ServerDelta.addBodies(b, bodies);
  S.ServerDelta.addShapes(b, shapes);
  S.ServerDelta.addRemoved(b, removed);
  S.ServerDelta.addJoints(b, joints);
  S.ServerDelta.addRemovedJoints(b, removedJoints);
  b.forceDefaults(true);
  S.ServerDelta.addInputSeq(b, u32(inputSeq, 'delta.inputSeq'));
  S.ServerDelta.addInputTick(b, u32(inputTick, 'delta.inputTick'));
  b.forceDefaults(false);
  if (packed !== 0) S.ServerDelta.addPacked(b, packed);
  if (predicted !== 0) S.ServerDelta.addPredicted(b, predicted);
  return S.ServerDelta.endServerDelta(b);
}

/** A state's per-recipient fields as the value API holds them: each left out when 0. */
function recipientFields(inputSeq: number, inputTick: number): { inputSeq?: number; inputTick?: number } {
  const o: { inputSeq?: number; inputTick?: number } = {};
  if (inputSeq !== 0) o.inputSeq = inputSeq;
  if (inputTick !== 0) o.inputTick = inputTick;
  return o;
}

/** A delta's packed bodies as the value API holds them: a copy (the decoded buffer may be reused), left out when absent or empty. */
function packedField(v: Uint8Array | null): { packed?: Uint8Array } {
  return v && v.length > 0 ? { packed: v.slice() } : {};
}

/** A delta's predicted bodies as the value API holds them: as packedField. */
function predictedField(v: Uint8Array | null): { predicted?: Uint8Array } {
  return v && v.length > 0 ? { predicted: v.slice() } : {};
}

/** vtable slots (4 + 2 x field id) of input_seq / input_tick: ServerSnapshot ids 4, 5; ServerDelta ids 7, 8. */
const SNAPSHOT_INPUT_SLOTS = [12, 14] as const;
const DELTA_INPUT_SLOTS = [18, 20] as const;
/** ServerQuiet ids 2, 3. */
const QUIET_INPUT_SLOTS = [8, 10] as const;

/**
 * Writes the per-recipient fields of an encoded snapshot or delta in place: input_seq (u32) and
 * input_tick (u32), which the encoders always write, so the rest of the bytes (one encoding per
 * view and base, src/net/fanout.ts) is shared by every recipient. Each write is 4 bytes at a
 * place found from the root and vtable offsets (a few reads, no decoding). Returns false (and
 * writes nothing) when `bytes` is not a snapshot or delta holding both fields. `bytes` must be
 * a buffer this module encoded (not checked beyond the offsets staying inside it).
 */
export function setRecipientFields(bytes: Uint8Array, inputSeq: number, inputTick: number): boolean {
  if (bytes.length < 16) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = (table: number, slot: number): number => {
    const vt = table - v.getInt32(table, true);
    if (vt < 0 || vt + 4 > bytes.length || slot + 2 > v.getUint16(vt, true)) return 0;
    const o = v.getUint16(vt + slot, true);
    return o === 0 ? 0 : table + o;
  };
  const root = v.getUint32(0, true);
  if (root + 4 > bytes.length) return false;
  const typeAt = at(root, 4),
    payloadAt = at(root, 6);
  if (typeAt === 0 || payloadAt === 0) return false;
  const kind = v.getUint8(typeAt);
  const slots =
    kind === S.ServerPayload.ServerSnapshot
      ? SNAPSHOT_INPUT_SLOTS
      : kind === S.ServerPayload.ServerDelta
        ? DELTA_INPUT_SLOTS
        : kind === S.ServerPayload.ServerQuiet
          ? QUIET_INPUT_SLOTS
          : null;
  if (!slots) return false;
  const table = payloadAt + v.getUint32(payloadAt, true);
  if (table + 4 > bytes.length) return false;
  const seqAt = at(table, slots[0]),
    tickAt = at(table, slots[1]);
  if (seqAt === 0 || tickAt === 0 || seqAt + 4 > bytes.length || tickAt + 4 > bytes.length) return false;
  v.setUint32(seqAt, inputSeq >>> 0, true);
  v.setUint32(tickAt, inputTick >>> 0, true);
  return true;
}

function handles(b: flatbuffers.Builder, list: readonly Handle[]): number {
  S.ServerDelta.startRemovedVector(b, list.length);
  for (let i = list.length - 1; i >= 0; i--) handle(b, list[i], `removed[${i}]`);
  return b.endVector();
}

function streamEvents(b: flatbuffers.Builder, list: readonly StreamEvent[]): number {
  const offs = new Array<number>(list.length);
  for (let i = 0; i < list.length; i++) {
    const e = list[i],
      w = `events[${i}]`;
    const type = str(b, e.type, `${w}.type`),
      body = str(b, e.body, `${w}.body`);
    offs[i] = S.StreamEvent.createStreamEvent(b, u32(e.tick, `${w}.tick`), type, u32(e.origin, `${w}.origin`), body);
  }
  return S.ServerEvents.createEventsVector(b, offs);
}

/**
 * Encodes a host -> client message as a ServerMessage buffer ("TSSV"). Returns a fresh copy.
 * Snapshots and deltas take the hot path (bodies written in one loop, no object per body).
 * Throws ProtocolError(ERROR.BAD_VALUE) for a value the wire cannot hold (module comment).
 */
export function encodeServer(msg: ServerMessage): Uint8Array {
  const b = builders.server;
  b.clear();
  let type: S.ServerPayload, off: number;
  switch (msg.kind) {
    case 'welcome': {
      const stream = str(b, msg.stream, 'welcome.stream'),
        seed = str(b, msg.seed, 'welcome.seed');
      S.ServerWelcome.startServerWelcome(b);
      addOptionalU32(b, S.ServerWelcome.addVersion, msg.version, 'welcome.version');
      S.ServerWelcome.addPublicId(b, u32(msg.publicId, 'welcome.publicId'));
      S.ServerWelcome.addStream(b, stream);
      S.ServerWelcome.addTick(b, u32(msg.tick, 'welcome.tick'));
      S.ServerWelcome.addTickRate(b, u32(msg.tickRate, 'welcome.tickRate'));
      S.ServerWelcome.addSeed(b, seed);
      off = S.ServerWelcome.endServerWelcome(b);
      type = S.ServerPayload.ServerWelcome;
      break;
    }
    case 'snapshot': {
      const bodies = bodyStates(b, msg.bodies),
        shapes = bodyShapes(b, msg.shapes),
        joints = jointStructs(b, jointRows(msg.joints), msg.joints.length);
      off = snapshotTable(b, msg.tick, bodies, shapes, joints, msg.inputSeq ?? 0, msg.inputTick ?? 0);
      type = S.ServerPayload.ServerSnapshot;
      break;
    }
    case 'delta': {
      const bodies = bodyStates(b, msg.bodies),
        shapes = bodyShapes(b, msg.shapes),
        removed = handles(b, msg.removed),
        joints = jointStructs(b, jointRows(msg.joints), msg.joints.length),
        removedJoints = jointHandles(
          b,
          msg.removedJoints.flatMap((h) => [h.index, h.generation]),
          msg.removedJoints.length,
        ),
        packed = msg.packed && msg.packed.length > 0 ? b.createByteVector(msg.packed) : 0,
        predicted = msg.predicted && msg.predicted.length > 0 ? b.createByteVector(msg.predicted) : 0;
      off = deltaTable(b, msg.baseTick, msg.tick, bodies, shapes, removed, joints, removedJoints, msg.inputSeq ?? 0, msg.inputTick ?? 0, packed, predicted);
      type = S.ServerPayload.ServerDelta;
      break;
    }
    case 'events': {
      const events = streamEvents(b, msg.events);
      off = S.ServerEvents.createServerEvents(b, u32(msg.tick, 'events.tick'), events);
      type = S.ServerPayload.ServerEvents;
      break;
    }
    case 'chat': {
      const to = str(b, msg.to, 'chat.to'),
        text = str(b, msg.text, 'chat.text');
      off = S.ServerChat.createServerChat(b, en(ChatChannel, msg.channel, 'chat.channel'), u32(msg.from, 'chat.from'), to, text, u32(msg.tick, 'chat.tick'));
      type = S.ServerPayload.ServerChat;
      break;
    }
    case 'ownership': {
      S.ServerOwnership.startServerOwnership(b);
      S.ServerOwnership.addBody(b, handle(b, msg.body, 'ownership.body'));
      S.ServerOwnership.addOwner(b, u32(msg.owner, 'ownership.owner'));
      S.ServerOwnership.addMaster(b, u32(msg.master, 'ownership.master'));
      S.ServerOwnership.addRule(b, en(OwnershipRule, msg.rule, 'ownership.rule'));
      S.ServerOwnership.addTick(b, u32(msg.tick, 'ownership.tick'));
      off = S.ServerOwnership.endServerOwnership(b);
      type = S.ServerPayload.ServerOwnership;
      break;
    }
    case 'adminResult': {
      const cmd = str(b, msg.command, 'adminResult.command'),
        m = str(b, msg.message, 'adminResult.message');
      off = S.ServerAdminResult.createServerAdminResult(b, cmd, msg.ok === true, m);
      type = S.ServerPayload.ServerAdminResult;
      break;
    }
    case 'error': {
      const m = str(b, msg.message, 'error.message');
      off = S.ServerError.createServerError(b, u16(msg.code, 'error.code'), m);
      type = S.ServerPayload.ServerError;
      break;
    }
    case 'pong':
      off = S.ServerPong.createServerPong(b, u64(msg.nonce, 'pong.nonce'), u32(msg.tick, 'pong.tick'));
      type = S.ServerPayload.ServerPong;
      break;
    case 'geometry': {
      if (!(msg.values instanceof Int32Array)) bad('geometry.values', msg.values);
      const values = S.ServerGeometry.createValuesVector(b, msg.values);
      off = S.ServerGeometry.createServerGeometry(
        b,
        u32(msg.id, 'geometry.id'),
        en(Shape, msg.shape, 'geometry.shape'),
        u32(msg.nx, 'geometry.nx'),
        u32(msg.nz, 'geometry.nz'),
        i32(msg.cellX, 'geometry.cellX'),
        i32(msg.cellZ, 'geometry.cellZ'),
        i32(msg.originX, 'geometry.originX'),
        i32(msg.originZ, 'geometry.originZ'),
        u32(msg.vertexCount, 'geometry.vertexCount'),
        u32(msg.indexCount, 'geometry.indexCount'),
        u32(msg.first, 'geometry.first'),
        values,
      );
      type = S.ServerPayload.ServerGeometry;
      break;
    }
    case 'lagRaycast':
      S.ServerLagRaycast.startServerLagRaycast(b);
      S.ServerLagRaycast.addNonce(b, u32(msg.nonce, 'lagRaycast.nonce'));
      S.ServerLagRaycast.addTick(b, u32(msg.tick, 'lagRaycast.tick'));
      S.ServerLagRaycast.addCode(b, u16(msg.code, 'lagRaycast.code'));
      S.ServerLagRaycast.addHit(b, msg.hit === true);
      S.ServerLagRaycast.addBody(b, handle(b, msg.body, 'lagRaycast.body'));
      S.ServerLagRaycast.addDistance(b, i64(msg.distance, 'lagRaycast.distance'));
      S.ServerLagRaycast.addPoint(b, vec3(b, msg.point, 'lagRaycast.point'));
      off = S.ServerLagRaycast.endServerLagRaycast(b);
      type = S.ServerPayload.ServerLagRaycast;
      break;
    case 'avatarRecord': {
      if (!(msg.record instanceof Uint8Array)) bad('avatarRecord.record (Uint8Array)', msg.record);
      const rec = S.ServerAvatarRecord.createRecordVector(b, msg.record);
      if (msg.nearby !== undefined && !(msg.nearby instanceof Uint8Array)) bad('avatarRecord.nearby (Uint8Array)', msg.nearby);
      const near = msg.nearby && msg.nearby.byteLength > 0 ? S.ServerAvatarRecord.createNearbyVector(b, msg.nearby) : 0;
      S.ServerAvatarRecord.startServerAvatarRecord(b);
      S.ServerAvatarRecord.addTick(b, u32(msg.tick, 'avatarRecord.tick'));
      S.ServerAvatarRecord.addBody(b, handle(b, msg.body, 'avatarRecord.body'));
      S.ServerAvatarRecord.addRecord(b, rec);
      if (near !== 0) S.ServerAvatarRecord.addNearby(b, near);
      off = S.ServerAvatarRecord.endServerAvatarRecord(b);
      type = S.ServerPayload.ServerAvatarRecord;
      break;
    }
    case 'quiet':
      S.ServerQuiet.startServerQuiet(b);
      S.ServerQuiet.addBaseTick(b, u32(msg.baseTick, 'quiet.baseTick'));
      S.ServerQuiet.addTick(b, u32(msg.tick, 'quiet.tick'));
      // always written, 0 too: setRecipientFields writes them in place
      b.forceDefaults(true);
      S.ServerQuiet.addInputSeq(b, u32(msg.inputSeq, 'quiet.inputSeq'));
      S.ServerQuiet.addInputTick(b, u32(msg.inputTick, 'quiet.inputTick'));
      b.forceDefaults(false);
      off = S.ServerQuiet.endServerQuiet(b);
      type = S.ServerPayload.ServerQuiet;
      break;
    default:
      return bad('server message kind', (msg as { kind: unknown }).kind);
  }
  return finish('server', b, S.ServerMessage.createServerMessage(b, type, off), 'TSSV');
}

const rs = {
  root: new S.ServerMessage(),
  welcome: new S.ServerWelcome(),
  snapshot: new S.ServerSnapshot(),
  delta: new S.ServerDelta(),
  events: new S.ServerEvents(),
  chat: new S.ServerChat(),
  ownership: new S.ServerOwnership(),
  adminResult: new S.ServerAdminResult(),
  error: new S.ServerError(),
  pong: new S.ServerPong(),
  geometry: new S.ServerGeometry(),
  lagRaycast: new S.ServerLagRaycast(),
  avatarRecord: new S.ServerAvatarRecord(),
  quiet: new S.ServerQuiet(),
  vec: new S.Vec3(),
  state: new S.BodyState(),
  shape: new S.BodyShape(),
  handle: new S.BodyHandle(),
  event: new S.StreamEvent(),
  joint: new S.JointInfo(),
  jointHandle: new S.JointHandle(),
};

/**
 * Reads n BodyState structs starting at the position of element 0 (`get(0, obj)`, the
 * generated vector accessor) with one DataView over the verified bytes: the decoding twin of
 * bodyStates, at the offsets of the BodyState layout (checked against the generated accessors
 * by the round-trip and golden tests).
 */
function readBodies(bytes: Uint8Array, n: number, get: (i: number, o: S.BodyState) => S.BodyState | null): BodyState[] {
  const out = new Array<BodyState>(n);
  if (n === 0) return out;
  const start = get(0, rs.state)!.bb_pos;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = 0, at = start; i < n; i++, at += BODY_STATE_BYTES) {
    out[i] = {
      index: v.getUint32(at, true),
      generation: v.getUint32(at + 4, true),
      px: v.getInt32(at + 8, true),
      py: v.getInt32(at + 12, true),
      pz: v.getInt32(at + 16, true),
      qx: v.getInt16(at + 20, true),
      qy: v.getInt16(at + 22, true),
      qz: v.getInt16(at + 24, true),
      qw: v.getInt16(at + 26, true),
      vx: v.getInt16(at + 28, true),
      vy: v.getInt16(at + 30, true),
      vz: v.getInt16(at + 32, true),
      shard: v.getUint8(at + 34),
    };
  }
  return out;
}

/**
 * Reads n JointInfo structs from the position of element 0 (as readBodies) and checks what the
 * verifier cannot: kind None, flag bits other than LIMITS | MOTOR | TARGET | WORLD, and a world
 * end with a body handle other than 0, 0 are ERROR.BAD_VALUE.
 */
function readJoints(bytes: Uint8Array, n: number, get: (i: number, o: S.JointInfo) => S.JointInfo | null): JointInfo[] {
  const out = new Array<JointInfo>(n);
  if (n === 0) return out;
  const start = get(0, rs.joint)!.bb_pos;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const row = new Array<number>(JOINT_ROW_STRIDE);
  for (let i = 0, at = start; i < n; i++, at += JOINT_INFO_BYTES) {
    for (let f = 0; f < 6; f++) row[f] = v.getUint32(at + 4 * f, true);
    for (let f = 6; f < 17; f++) row[f] = v.getInt32(at + 4 * f, true);
    for (let f = 17; f < 23; f++) row[f] = v.getInt16(at + 68 + 2 * (f - 17), true);
    row[23] = v.getUint8(at + 80);
    row[24] = v.getUint8(at + 81);
    const w = `joints[${i}]`;
    if (row[23] === 0) throw protocolError(ERROR.BAD_VALUE, 'BAD_VALUE', `${w}.kind: None is not a joint kind`);
    if ((row[24] & JOINT_WIRE_FLAGS) !== row[24]) throw protocolError(ERROR.BAD_VALUE, 'BAD_VALUE', `${w}.flags: ${row[24]} has unknown bits`);
    if (row[24] & JOINT_WIRE_WORLD && (row[4] !== 0 || row[5] !== 0))
      throw protocolError(ERROR.BAD_VALUE, 'BAD_VALUE', `${w}.b: a world end (flag 8) with body ${row[4]}:${row[5]}`);
    out[i] = jointValue(row, 0);
  }
  return out;
}

function readJointHandles(n: number, get: (i: number, o: S.JointHandle) => S.JointHandle | null): Handle[] {
  const out = new Array<Handle>(n);
  for (let i = 0; i < n; i++) {
    const h = get(i, rs.jointHandle)!;
    out[i] = { index: h.index(), generation: h.generation() };
  }
  return out;
}

function readShapes(n: number, get: (i: number, o: S.BodyShape) => S.BodyShape | null): BodyShape[] {
  const out = new Array<BodyShape>(n);
  for (let i = 0; i < n; i++) {
    const s = get(i, rs.shape)!;
    out[i] = { index: s.index(), generation: s.generation(), shape: s.shape(), kind: s.kind(), sx: s.sx(), sy: s.sy(), sz: s.sz() };
  }
  return out;
}

/**
 * Verifies `bytes` as a ServerMessage ("TSSV") and decodes it. Throws ProtocolError: the
 * verifier's (ERROR.BAD_MESSAGE), MISSING_FIELD for a welcome without a version. `options`
 * are the verifier limits (default 1 MiB: a snapshot of more than ~29,000 bodies needs more).
 */
export function decodeServer(bytes: Uint8Array, options?: VerifyOptions): ServerMessage {
  const pos = verifyServer(bytes, options);
  const bb = new flatbuffers.ByteBuffer(bytes);
  const root = rs.root.__init(pos, bb);
  switch (root.payloadType()) {
    case S.ServerPayload.ServerWelcome: {
      const t = root.payload(rs.welcome) as S.ServerWelcome;
      const version = t.version();
      if (version === null) missing('welcome.version');
      return { kind: 'welcome', version, publicId: t.publicId(), stream: t.stream()!, tick: t.tick(), tickRate: t.tickRate(), seed: t.seed()! };
    }
    case S.ServerPayload.ServerSnapshot: {
      const t = root.payload(rs.snapshot) as S.ServerSnapshot;
      return {
        kind: 'snapshot',
        tick: t.tick(),
        bodies: readBodies(bytes, t.bodiesLength(), (i, o) => t.bodies(i, o)),
        shapes: readShapes(t.shapesLength(), (i, o) => t.shapes(i, o)),
        joints: readJoints(bytes, t.jointsLength(), (i, o) => t.joints(i, o)),
        ...recipientFields(t.inputSeq(), t.inputTick()),
      };
    }
    case S.ServerPayload.ServerDelta: {
      const t = root.payload(rs.delta) as S.ServerDelta;
      const n = t.removedLength();
      const removed = new Array<Handle>(n);
      for (let i = 0; i < n; i++) {
        const h = t.removed(i, rs.handle)!;
        removed[i] = { index: h.index(), generation: h.generation() };
      }
      return {
        kind: 'delta',
        baseTick: t.baseTick(),
        tick: t.tick(),
        bodies: readBodies(bytes, t.bodiesLength(), (i, o) => t.bodies(i, o)),
        shapes: readShapes(t.shapesLength(), (i, o) => t.shapes(i, o)),
        removed,
        joints: readJoints(bytes, t.jointsLength(), (i, o) => t.joints(i, o)),
        removedJoints: readJointHandles(t.removedJointsLength(), (i, o) => t.removedJoints(i, o)),
        ...recipientFields(t.inputSeq(), t.inputTick()),
        ...packedField(t.packedArray()),
        ...predictedField(t.predictedArray()),
      };
    }
    case S.ServerPayload.ServerEvents: {
      const t = root.payload(rs.events) as S.ServerEvents;
      const n = t.eventsLength();
      const events = new Array<StreamEvent>(n);
      for (let i = 0; i < n; i++) {
        const e = t.events(i, rs.event)!;
        events[i] = { tick: e.tick(), type: e.type()!, origin: e.origin(), body: e.body()! };
      }
      return { kind: 'events', tick: t.tick(), events };
    }
    case S.ServerPayload.ServerChat: {
      const t = root.payload(rs.chat) as S.ServerChat;
      return { kind: 'chat', channel: t.channel(), from: t.from(), to: t.to()!, text: t.text()!, tick: t.tick() };
    }
    case S.ServerPayload.ServerOwnership: {
      const t = root.payload(rs.ownership) as S.ServerOwnership;
      const h = t.body(rs.handle)!;
      return {
        kind: 'ownership',
        body: { index: h.index(), generation: h.generation() },
        owner: t.owner(),
        master: t.master(),
        rule: t.rule(),
        tick: t.tick(),
      };
    }
    case S.ServerPayload.ServerAdminResult: {
      const t = root.payload(rs.adminResult) as S.ServerAdminResult;
      return { kind: 'adminResult', command: t.command()!, ok: t.ok(), message: t.message()! };
    }
    case S.ServerPayload.ServerError: {
      const t = root.payload(rs.error) as S.ServerError;
      return { kind: 'error', code: t.code(), message: t.message()! };
    }
    case S.ServerPayload.ServerPong: {
      const t = root.payload(rs.pong) as S.ServerPong;
      return { kind: 'pong', nonce: t.nonce(), tick: t.tick() };
    }
    case S.ServerPayload.ServerGeometry: {
      const t = root.payload(rs.geometry) as S.ServerGeometry;
      // copied: the result shares no memory with `bytes` (and the vector need not be 4-aligned in a sliced buffer)
      const n = t.valuesLength(),
        values = new Int32Array(n);
      for (let i = 0; i < n; i++) values[i] = t.values(i)!;
      return {
        kind: 'geometry',
        id: t.id(),
        shape: t.shape(),
        nx: t.nx(),
        nz: t.nz(),
        cellX: t.cellX(),
        cellZ: t.cellZ(),
        originX: t.originX(),
        originZ: t.originZ(),
        vertexCount: t.vertexCount(),
        indexCount: t.indexCount(),
        first: t.first(),
        values,
      };
    }
    case S.ServerPayload.ServerLagRaycast: {
      const t = root.payload(rs.lagRaycast) as S.ServerLagRaycast;
      const h = t.body(rs.handle),
        p = t.point(rs.vec);
      return {
        kind: 'lagRaycast',
        nonce: t.nonce(),
        tick: t.tick(),
        code: t.code(),
        hit: t.hit(),
        body: h ? { index: h.index(), generation: h.generation() } : { index: 0, generation: 0 },
        distance: t.distance(),
        point: p ? [p.x(), p.y(), p.z()] : [0n, 0n, 0n],
      };
    }
    case S.ServerPayload.ServerAvatarRecord: {
      const t = root.payload(rs.avatarRecord) as S.ServerAvatarRecord;
      const h = t.body(rs.handle);
      return {
        kind: 'avatarRecord',
        tick: t.tick(),
        body: h ? { index: h.index(), generation: h.generation() } : { index: 0, generation: 0 },
        record: (t.recordArray() as Uint8Array).slice(),
        ...(t.nearbyLength() > 0 ? { nearby: (t.nearbyArray() as Uint8Array).slice() } : {}),
      };
    }
    case S.ServerPayload.ServerQuiet: {
      const t = root.payload(rs.quiet) as S.ServerQuiet;
      return { kind: 'quiet', baseTick: t.baseTick(), tick: t.tick(), inputSeq: t.inputSeq(), inputTick: t.inputTick() };
    }
    default:
      throw protocolError(ERROR.BAD_MESSAGE, 'BAD_UNION', 'ServerMessage.payload: unknown kind');
  }
}

// ---------------------------------------------------------------------------------------
// Shard

function records(b: flatbuffers.Builder, list: readonly Uint8Array[], what: string): number {
  const offs = new Array<number>(list.length);
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    if (!(r instanceof Uint8Array)) bad(`${what}[${i}] (Uint8Array)`, r);
    offs[i] = H.ByteRecord.createByteRecord(b, b.createByteVector(r));
  }
  return H.ShardGhosts.createRecordsVector(b, offs);
}

/**
 * Encodes a shard protocol message as a ShardMessage buffer ("TSSH"). Returns a fresh copy.
 * Throws ProtocolError(ERROR.BAD_VALUE) for a value the wire cannot hold (module comment).
 */
export function encodeShard(msg: ShardMessage): Uint8Array {
  const b = builders.shard;
  b.clear();
  let type: H.ShardPayload, off: number;
  switch (msg.kind) {
    case 'advance': {
      const list: readonly ShardCommand[] = msg.commands;
      H.ShardAdvance.startCommandsVector(b, list.length);
      for (let i = list.length - 1; i >= 0; i--) {
        const c = list[i],
          w = `commands[${i}]`;
        H.ShardCommand.createShardCommand(
          b,
          u32(c.body.index, `${w}.body.index`),
          u32(c.body.generation, `${w}.body.generation`),
          i64(c.value[0], `${w}.value[0]`),
          i64(c.value[1], `${w}.value[1]`),
          i64(c.value[2], `${w}.value[2]`),
          en(ShardCommandKind, c.kind, `${w}.kind`),
          c.jump === true,
        );
      }
      const commands = b.endVector();
      off = H.ShardAdvance.createShardAdvance(b, u32(msg.tick, 'advance.tick'), commands);
      type = H.ShardPayload.ShardAdvance;
      break;
    }
    case 'ghosts': {
      const recs = records(b, msg.records, 'ghosts.records');
      off = H.ShardGhosts.createShardGhosts(b, u32(msg.tick, 'ghosts.tick'), u8(msg.from, 'ghosts.from'), recs);
      type = H.ShardPayload.ShardGhosts;
      break;
    }
    case 'handoff': {
      const recs = records(b, msg.records, 'handoff.records');
      off = H.ShardHandoff.createShardHandoff(b, u32(msg.tick, 'handoff.tick'), u8(msg.from, 'handoff.from'), u8(msg.to, 'handoff.to'), recs);
      type = H.ShardPayload.ShardHandoff;
      break;
    }
    case 'physicsEvents': {
      const list: readonly PhysicsEventMsg[] = msg.events;
      H.ShardPhysicsEvents.startEventsVector(b, list.length);
      for (let i = list.length - 1; i >= 0; i--) {
        const e = list[i],
          w = `events[${i}]`;
        H.PhysicsEvent.createPhysicsEvent(
          b,
          u32(e.body.index, `${w}.body.index`),
          u32(e.body.generation, `${w}.body.generation`),
          u32(e.other.index, `${w}.other.index`),
          u32(e.other.generation, `${w}.other.generation`),
          en(PhysicsEventKind, e.kind, `${w}.kind`),
        );
      }
      const events = b.endVector();
      off = H.ShardPhysicsEvents.createShardPhysicsEvents(b, u32(msg.tick, 'physicsEvents.tick'), u8(msg.shard, 'physicsEvents.shard'), events);
      type = H.ShardPayload.ShardPhysicsEvents;
      break;
    }
    case 'hash':
      off = H.ShardHash.createShardHash(b, u32(msg.tick, 'hash.tick'), u8(msg.shard, 'hash.shard'), u64(msg.hash, 'hash.hash'));
      type = H.ShardPayload.ShardHash;
      break;
    default:
      return bad('shard message kind', (msg as { kind: unknown }).kind);
  }
  return finish('shard', b, H.ShardMessage.createShardMessage(b, type, off), 'TSSH');
}

const rh = {
  root: new H.ShardMessage(),
  advance: new H.ShardAdvance(),
  ghosts: new H.ShardGhosts(),
  handoff: new H.ShardHandoff(),
  physicsEvents: new H.ShardPhysicsEvents(),
  hash: new H.ShardHash(),
  command: new H.ShardCommand(),
  event: new H.PhysicsEvent(),
  record: new H.ByteRecord(),
  handle: new H.BodyHandle(),
  vec: new H.Vec3(),
};

function readRecords(n: number, get: (i: number, o: H.ByteRecord) => H.ByteRecord | null): Uint8Array[] {
  const out = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) out[i] = get(i, rh.record)!.dataArray()!.slice(); // copy: no aliasing of the input
  return out;
}

/**
 * Verifies `bytes` as a ShardMessage ("TSSH") and decodes it. Throws ProtocolError (the
 * verifier's, ERROR.BAD_MESSAGE). `options` are the verifier limits (default 1 MiB; ghost
 * and handoff messages of more than ~3,000 records need a larger maxBytes).
 */
export function decodeShard(bytes: Uint8Array, options?: VerifyOptions): ShardMessage {
  const pos = verifyShard(bytes, options);
  const bb = new flatbuffers.ByteBuffer(bytes);
  const root = rh.root.__init(pos, bb);
  switch (root.payloadType()) {
    case H.ShardPayload.ShardAdvance: {
      const t = root.payload(rh.advance) as H.ShardAdvance;
      const n = t.commandsLength();
      const commands = new Array<ShardCommand>(n);
      for (let i = 0; i < n; i++) {
        const c = t.commands(i, rh.command)!;
        const h = c.body(rh.handle)!;
        commands[i] = { body: { index: h.index(), generation: h.generation() }, kind: c.kind(), value: readVec3(c.value(rh.vec)!), jump: c.jump() };
      }
      return { kind: 'advance', tick: t.tick(), commands };
    }
    case H.ShardPayload.ShardGhosts: {
      const t = root.payload(rh.ghosts) as H.ShardGhosts;
      return { kind: 'ghosts', tick: t.tick(), from: t.from(), records: readRecords(t.recordsLength(), (i, o) => t.records(i, o)) };
    }
    case H.ShardPayload.ShardHandoff: {
      const t = root.payload(rh.handoff) as H.ShardHandoff;
      return { kind: 'handoff', tick: t.tick(), from: t.from(), to: t.to(), records: readRecords(t.recordsLength(), (i, o) => t.records(i, o)) };
    }
    case H.ShardPayload.ShardPhysicsEvents: {
      const t = root.payload(rh.physicsEvents) as H.ShardPhysicsEvents;
      const n = t.eventsLength();
      const events = new Array<PhysicsEventMsg>(n);
      for (let i = 0; i < n; i++) {
        const e = t.events(i, rh.event)!;
        const a = e.body(rh.handle)!;
        const body = { index: a.index(), generation: a.generation() };
        const o = e.other(rh.handle)!;
        events[i] = { kind: e.kind(), body, other: { index: o.index(), generation: o.generation() } };
      }
      return { kind: 'physicsEvents', tick: t.tick(), shard: t.shard(), events };
    }
    case H.ShardPayload.ShardHash: {
      const t = root.payload(rh.hash) as H.ShardHash;
      return { kind: 'hash', tick: t.tick(), shard: t.shard(), hash: t.hash() };
    }
    default:
      throw protocolError(ERROR.BAD_MESSAGE, 'BAD_UNION', 'ShardMessage.payload: a cluster message (decode it with src/cluster/messages.ts decodeCluster)');
  }
}

// ---------------------------------------------------------------------------------------
// Kind peeking

function peek<K extends string>(bytes: Uint8Array, pos: number, kinds: readonly K[]): K {
  // after verification: the root table is in bounds, its vtable too, and the tag (field 0) is 1..kinds.length
  const vt = pos - (bytes[pos] | (bytes[pos + 1] << 8) | (bytes[pos + 2] << 16) | (bytes[pos + 3] << 24));
  const voff = bytes[vt + 4] | (bytes[vt + 5] << 8);
  return kinds[bytes[pos + voff] - 1];
}

/**
 * The kind of a client message without decoding it: verifies the whole buffer first (the
 * same cost as the verification step of decodeClient, no allocation on success), then reads
 * the union tag. Throws the verifier's ProtocolError.
 */
export function peekClientKind(bytes: Uint8Array, options?: VerifyOptions): ClientMessage['kind'] {
  return peek(bytes, verifyClient(bytes, options), CLIENT_KINDS);
}
/** peekClientKind for ServerMessage buffers. */
export function peekServerKind(bytes: Uint8Array, options?: VerifyOptions): ServerMessage['kind'] {
  return peek(bytes, verifyServer(bytes, options), SERVER_KINDS);
}
/** peekClientKind for ShardMessage buffers. */
export function peekShardKind(bytes: Uint8Array, options?: VerifyOptions): ShardMessage['kind'] | (typeof CLUSTER_KINDS)[number] {
  return peek(bytes, verifyShard(bytes, options), [...SHARD_KINDS, ...CLUSTER_KINDS]);
}
