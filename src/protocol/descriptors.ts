/**
 * Descriptors of the wire schemas (schemas/*.fbs) for the verifier: every table, struct,
 * enum and union, with the field ids, types and struct layouts flatc uses. The verifier
 * (verify.ts) walks a buffer by these, so it never needs the generated code.
 *
 * They are written by hand next to the schemas and cannot drift silently:
 * test/protocol-schema.test.ts parses every .fbs file and fails unless each table (field
 * names, ids, types, required, `= null`), struct (fields, byte offsets, size), enum (base,
 * values), union (members in order) and root (type, file identifier) here equals the schema,
 * and checks the struct layouts against the generated code's accessors.
 *
 * Layout rules (FlatBuffers binary format, flatbuffers.dev "Internals"):
 *
 * ```
 *  table at p:  [p] soffset (i32)  vtable = p - soffset
 *  vtable at v: [v] u16 vtable size in bytes   [v+2] u16 table inline size in bytes
 *               [v+4+2*id] u16 field offset from p (0 = absent)
 *  offset field at f:  [f] u32 uoffset   target = f + uoffset
 *  vector at t: [t] u32 length   elements from t+4 (strings: length bytes, then a 0 byte)
 *  union with value field id k: tag (u8) is field id k-1, the value an offset to a table
 * ```
 *
 * Struct layout (flatc): fields in declaration order, each at the next multiple of its
 * alignment (scalars: their size; structs: their largest member), the struct padded to a
 * multiple of its alignment.
 */

/** FlatBuffers scalar types (the ones a schema may name; this protocol uses no floats). */
export type ScalarName = 'bool' | 'byte' | 'ubyte' | 'short' | 'ushort' | 'int' | 'uint' | 'long' | 'ulong' | 'float' | 'double';

/** Size in bytes (= alignment) of each scalar type. */
export const SCALAR_SIZE: Readonly<Record<ScalarName, 1 | 2 | 4 | 8>> = {
  bool: 1, byte: 1, ubyte: 1, short: 2, ushort: 2, int: 4, uint: 4, long: 8, ulong: 8, float: 4, double: 8,
};

/** An enum: base type (always ubyte here) and named values; `valid[v]` is 1 for a declared value. */
export interface EnumDesc {
  readonly kind: 'enum';
  readonly name: string;
  readonly base: 'ubyte';
  readonly values: Readonly<Record<string, number>>;
  /** 256 entries: 1 where the byte value is a declared value. */
  readonly valid: Uint8Array;
}

/** A field of a struct at a fixed byte offset. */
export interface StructField {
  readonly name: string;
  readonly type: ScalarName | EnumDesc | StructDesc;
  /** Byte offset from the start of the struct. */
  readonly offset: number;
}

/** A byte of a struct the verifier checks: a bool (0 or 1) or an enum (a declared value). */
export interface ByteCheck {
  /** Byte offset from the start of the outermost struct. */
  readonly offset: number;
  /** null for a bool; the enum's `valid` table otherwise. */
  readonly valid: Uint8Array | null;
  /** Field path for messages, e.g. `ShardCommand.jump`. */
  readonly path: string;
}

/** A struct: fixed layout, stored inline. */
export interface StructDesc {
  readonly kind: 'struct';
  readonly name: string;
  readonly fields: readonly StructField[];
  /** Size in bytes, padding included. */
  readonly size: number;
  /** Alignment in bytes (its largest member). */
  readonly align: number;
  /** Every bool and enum byte, nested structs flattened. */
  readonly checks: readonly ByteCheck[];
}

/** Element types a vector may hold. */
export type ElementType = ScalarName | EnumDesc | StructDesc | 'string' | TableDesc;

/** A vector field type `[T]`. */
export interface VectorDesc {
  readonly kind: 'vector';
  readonly of: ElementType;
}

/** A union: its member tables in declaration order (tag 1 = members[0]; 0 = NONE). */
export interface UnionDesc {
  readonly kind: 'union';
  readonly name: string;
  readonly members: readonly TableDesc[];
}

/** Any type a table field may have. */
export type FieldType = ScalarName | EnumDesc | StructDesc | 'string' | TableDesc | VectorDesc | UnionDesc;

/** How the verifier treats a field (precomputed from its type). */
export const FIELD_CODE = {
  /** Scalar or enum (inline, `size` bytes). */
  SCALAR: 0,
  /** Struct (inline, `size` bytes, aligned to the struct). */
  STRUCT: 1,
  /** uoffset to a string. */
  STRING: 2,
  /** uoffset to a table. */
  TABLE: 3,
  /** uoffset to a vector of scalars, enums or structs (`elemSize` bytes each). */
  VECTOR_INLINE: 4,
  /** uoffset to a vector of uoffsets to strings. */
  VECTOR_STRING: 5,
  /** uoffset to a vector of uoffsets to tables. */
  VECTOR_TABLE: 6,
  /** Union: tag at field id `id - 1`, uoffset to a member table at `id`. */
  UNION: 7,
} as const;

/** A field of a table. */
export interface TableField {
  /** Schema name (snake_case). */
  readonly name: string;
  /** `Table.field`, for error messages (built once here, so verifying builds no strings). */
  readonly path: string;
  /** The `(id: n)` of the schema (for a union, the id of the value; the tag is id - 1). */
  readonly id: number;
  readonly type: FieldType;
  /** `(required)`: the verifier rejects a table without it (MISSING_FIELD). */
  readonly required: boolean;
  /** Scalar declared `= null` (absent on the wire = null, not the default). */
  readonly optional: boolean;
  /** FIELD_CODE of the type. */
  readonly code: number;
  /** Bytes the field takes inline in the table (a union: its 4-byte value offset). */
  readonly size: number;
  /** Alignment of the inline value in bytes. */
  readonly align: number;
  /** SCALAR: 0 any value, 1 bool (0 or 1), 2 enum (see `valid`). */
  readonly check: 0 | 1 | 2;
  /** Enum's valid-value table (check 2), else null. */
  readonly valid: Uint8Array | null;
  /** VECTOR_INLINE: element size and alignment in bytes; 0 otherwise. */
  readonly elemSize: number;
  readonly elemAlign: number;
  /** VECTOR_INLINE of structs or enums/bools: the per-element byte checks. */
  readonly elemChecks: readonly ByteCheck[];
  /** TABLE / VECTOR_TABLE: the table. */
  readonly table: TableDesc | null;
  /** UNION: the union. */
  readonly union: UnionDesc | null;
}

/** A table: fields by id. */
export interface TableDesc {
  readonly kind: 'table';
  readonly name: string;
  /** Fields sorted by id. */
  readonly fields: readonly TableField[];
}

/** A root type: its table and the 4-byte file identifier at bytes 4..8 of every buffer. */
export interface RootDesc {
  /** Schema file that declares it (schemas/<file>). */
  readonly file: string;
  readonly table: TableDesc;
  readonly identifier: string;
}

// ---------------------------------------------------------------------------------------
// Constructors (compute layouts and verifier metadata once, at module load)

function isScalar(t: unknown): t is ScalarName {
  return typeof t === 'string' && t in SCALAR_SIZE && t !== 'string';
}

function enumOf(name: string, names: readonly string[]): EnumDesc {
  const values: Record<string, number> = {};
  const valid = new Uint8Array(256);
  names.forEach((n, i) => { values[n] = i; valid[i] = 1; });
  return { kind: 'enum', name, base: 'ubyte', values, valid };
}

function sizeAlign(t: ScalarName | EnumDesc | StructDesc): [number, number] {
  if (isScalar(t)) return [SCALAR_SIZE[t], SCALAR_SIZE[t]];
  if (t.kind === 'enum') return [SCALAR_SIZE[t.base], SCALAR_SIZE[t.base]];
  return [t.size, t.align];
}

function byteChecks(t: ScalarName | EnumDesc | StructDesc, at: number, path: string): ByteCheck[] {
  if (t === 'bool') return [{ offset: at, valid: null, path }];
  if (isScalar(t)) return [];
  if (t.kind === 'enum') return [{ offset: at, valid: t.valid, path }];
  return t.checks.map((c) => ({ offset: at + c.offset, valid: c.valid, path: `${path}.${c.path.slice(c.path.indexOf('.') + 1)}` }));
}

function structOf(name: string, decl: ReadonlyArray<readonly [string, ScalarName | EnumDesc | StructDesc]>): StructDesc {
  let at = 0, align = 1;
  const fields: StructField[] = [];
  const checks: ByteCheck[] = [];
  for (const [fname, type] of decl) {
    const [size, a] = sizeAlign(type);
    at = Math.ceil(at / a) * a;
    fields.push({ name: fname, type, offset: at });
    checks.push(...byteChecks(type, at, `${name}.${fname}`));
    at += size;
    align = Math.max(align, a);
  }
  return { kind: 'struct', name, fields, size: Math.ceil(at / align) * align, align, checks };
}

interface FieldOpts { required?: boolean; optional?: boolean }

function field(name: string, id: number, type: FieldType, opts: FieldOpts = {}): TableField {
  const base = {
    name, path: name, id, type, required: opts.required === true, optional: opts.optional === true,
    check: 0 as 0 | 1 | 2, valid: null as Uint8Array | null, elemSize: 0, elemAlign: 0,
    elemChecks: [] as ByteCheck[], table: null as TableDesc | null, union: null as UnionDesc | null,
  };
  if (type === 'string') return { ...base, code: FIELD_CODE.STRING, size: 4, align: 4 };
  if (isScalar(type)) return { ...base, code: FIELD_CODE.SCALAR, size: SCALAR_SIZE[type], align: SCALAR_SIZE[type], check: type === 'bool' ? 1 : 0 };
  switch (type.kind) {
    case 'enum': return { ...base, code: FIELD_CODE.SCALAR, size: 1, align: 1, check: 2, valid: type.valid };
    case 'struct': return { ...base, code: FIELD_CODE.STRUCT, size: type.size, align: type.align };
    case 'table': return { ...base, code: FIELD_CODE.TABLE, size: 4, align: 4, table: type };
    case 'union': return { ...base, code: FIELD_CODE.UNION, size: 4, align: 4, union: type };
    case 'vector': {
      const of = type.of;
      if (of === 'string') return { ...base, code: FIELD_CODE.VECTOR_STRING, size: 4, align: 4 };
      if (!isScalar(of) && of.kind === 'table') return { ...base, code: FIELD_CODE.VECTOR_TABLE, size: 4, align: 4, table: of };
      const [elemSize, elemAlign] = sizeAlign(of);
      return { ...base, code: FIELD_CODE.VECTOR_INLINE, size: 4, align: 4, elemSize, elemAlign, elemChecks: byteChecks(of, 0, isScalar(of) ? of : of.name) };
    }
  }
}

function tableOf(name: string, fields: TableField[]): TableDesc {
  const sorted = fields.map((f) => ({ ...f, path: `${name}.${f.name}` })).sort((a, b) => a.id - b.id);
  return { kind: 'table', name, fields: sorted };
}

const vec = (of: ElementType): VectorDesc => ({ kind: 'vector', of });
const REQ = { required: true } as const;
const OPT = { optional: true } as const;

// ---------------------------------------------------------------------------------------
// schemas/common.fbs

/** The struct `Vec3` of schemas/common.fbs; documented there. */
export const Vec3 = structOf('Vec3', [['x', 'long'], ['y', 'long'], ['z', 'long']]);
/** The struct `Quat` of schemas/common.fbs; documented there. */
export const Quat = structOf('Quat', [['x', 'long'], ['y', 'long'], ['z', 'long'], ['w', 'long']]);
/** The struct `BodyHandle` of schemas/common.fbs; documented there. */
export const BodyHandle = structOf('BodyHandle', [['index', 'uint'], ['generation', 'uint']]);
/** The enum `ChatChannel` of schemas/common.fbs; documented there. */
export const ChatChannel = enumOf('ChatChannel', ['World', 'Local', 'Private', 'Group']);
/** The enum `OwnershipRule` of schemas/common.fbs; documented there. */
export const OwnershipRule = enumOf('OwnershipRule', ['Ask', 'Deny', 'Allow']);
/** The enum `Shape` of schemas/common.fbs; documented there. */
export const Shape = enumOf('Shape', ['Sphere', 'Capsule', 'Box', 'Plane']);
/** The enum `BodyKind` of schemas/common.fbs; documented there. */
export const BodyKind = enumOf('BodyKind', ['Dynamic', 'Kinematic', 'Static']);
/** The struct `Interest` of schemas/common.fbs; documented there. */
export const Interest = structOf('Interest', [['center', Vec3], ['cells', 'uint']]);

// ---------------------------------------------------------------------------------------
// schemas/client.fbs

/** The struct `InputFrame` of schemas/client.fbs; documented there. */
export const InputFrame = structOf('InputFrame', [['seq', 'uint'], ['walk_x', 'short'], ['walk_z', 'short'], ['jump', 'bool']]);
/** The enum `OwnershipAction` of schemas/client.fbs; documented there. */
export const OwnershipAction = enumOf('OwnershipAction', ['Request', 'Release', 'Grant', 'Refuse', 'SetRule']);

/** The table `ClientHello` of schemas/client.fbs; documented there. */
export const ClientHello = tableOf('ClientHello', [
  field('version', 0, 'uint', OPT),
  field('token', 1, 'string', REQ),
  field('stream', 2, 'string', REQ),
  field('private_id', 3, 'string', REQ),
  field('last_known_tick', 4, 'uint', OPT),
  field('interest', 5, Interest),
]);
/** The table `ClientInput` of schemas/client.fbs; documented there. */
export const ClientInput = tableOf('ClientInput', [field('input', 0, InputFrame, REQ)]);
/** The table `ClientPublish` of schemas/client.fbs; documented there. */
export const ClientPublish = tableOf('ClientPublish', [field('type', 0, 'string', REQ), field('body', 1, 'string', REQ)]);
/** The table `ClientChat` of schemas/client.fbs; documented there. */
export const ClientChat = tableOf('ClientChat', [
  field('channel', 0, ChatChannel), field('to', 1, 'string', REQ), field('text', 2, 'string', REQ),
]);
/** The table `ClientSpawn` of schemas/client.fbs; documented there. */
export const ClientSpawn = tableOf('ClientSpawn', [
  field('shape', 0, Shape), field('position', 1, Vec3, REQ), field('velocity', 2, Vec3, REQ), field('size', 3, Vec3, REQ),
]);
/** The table `ClientOwnership` of schemas/client.fbs; documented there. */
export const ClientOwnership = tableOf('ClientOwnership', [
  field('body', 0, BodyHandle, REQ), field('action', 1, OwnershipAction), field('rule', 2, OwnershipRule), field('target', 3, 'uint'),
]);
/** The table `ClientAdmin` of schemas/client.fbs; documented there. */
export const ClientAdmin = tableOf('ClientAdmin', [field('command', 0, 'string', REQ), field('args', 1, vec('string'), REQ)]);
/** The table `ClientAck` of schemas/client.fbs; documented there. */
export const ClientAck = tableOf('ClientAck', [field('tick', 0, 'uint')]);
/** The table `ClientInterest` of schemas/client.fbs; documented there. */
export const ClientInterest = tableOf('ClientInterest', [field('interest', 0, Interest, REQ)]);
/** The table `ClientPing` of schemas/client.fbs; documented there. */
export const ClientPing = tableOf('ClientPing', [field('nonce', 0, 'ulong')]);
/** The union `ClientPayload` of schemas/client.fbs; documented there. */
export const ClientPayload: UnionDesc = {
  kind: 'union', name: 'ClientPayload',
  members: [ClientHello, ClientInput, ClientPublish, ClientChat, ClientSpawn, ClientOwnership, ClientAdmin, ClientAck, ClientInterest, ClientPing],
};
/** The table `ClientMessage` of schemas/client.fbs; documented there. */
export const ClientMessage = tableOf('ClientMessage', [field('payload', 1, ClientPayload, REQ)]);

// ---------------------------------------------------------------------------------------
// schemas/server.fbs

/** The struct `BodyState` of schemas/server.fbs; documented there. */
export const BodyState = structOf('BodyState', [
  ['index', 'uint'], ['generation', 'uint'], ['px', 'int'], ['py', 'int'], ['pz', 'int'],
  ['qx', 'short'], ['qy', 'short'], ['qz', 'short'], ['qw', 'short'], ['vx', 'short'], ['vy', 'short'], ['vz', 'short'], ['shard', 'ubyte'],
]);
/** The struct `BodyShape` of schemas/server.fbs; documented there. */
export const BodyShape = structOf('BodyShape', [
  ['index', 'uint'], ['generation', 'uint'], ['sx', 'int'], ['sy', 'int'], ['sz', 'int'], ['shape', Shape], ['kind', BodyKind],
]);
/** The table `StreamEvent` of schemas/server.fbs; documented there. */
export const StreamEvent = tableOf('StreamEvent', [
  field('tick', 0, 'uint'), field('type', 1, 'string', REQ), field('origin', 2, 'uint'), field('body', 3, 'string', REQ),
]);
/** The table `ServerWelcome` of schemas/server.fbs; documented there. */
export const ServerWelcome = tableOf('ServerWelcome', [
  field('version', 0, 'uint', OPT), field('public_id', 1, 'uint'), field('stream', 2, 'string', REQ),
  field('tick', 3, 'uint'), field('tick_rate', 4, 'uint'), field('seed', 5, 'string', REQ),
]);
/** The table `ServerSnapshot` of schemas/server.fbs; documented there. */
export const ServerSnapshot = tableOf('ServerSnapshot', [
  field('tick', 0, 'uint'), field('bodies', 1, vec(BodyState), REQ), field('shapes', 2, vec(BodyShape), REQ),
]);
/** The table `ServerDelta` of schemas/server.fbs; documented there. */
export const ServerDelta = tableOf('ServerDelta', [
  field('base_tick', 0, 'uint'), field('tick', 1, 'uint'), field('bodies', 2, vec(BodyState), REQ),
  field('shapes', 3, vec(BodyShape), REQ), field('removed', 4, vec(BodyHandle), REQ),
]);
/** The table `ServerEvents` of schemas/server.fbs; documented there. */
export const ServerEvents = tableOf('ServerEvents', [field('tick', 0, 'uint'), field('events', 1, vec(StreamEvent), REQ)]);
/** The table `ServerChat` of schemas/server.fbs; documented there. */
export const ServerChat = tableOf('ServerChat', [
  field('channel', 0, ChatChannel), field('from', 1, 'uint'), field('to', 2, 'string', REQ),
  field('text', 3, 'string', REQ), field('tick', 4, 'uint'),
]);
/** The table `ServerOwnership` of schemas/server.fbs; documented there. */
export const ServerOwnership = tableOf('ServerOwnership', [
  field('body', 0, BodyHandle, REQ), field('owner', 1, 'uint'), field('master', 2, 'uint'),
  field('rule', 3, OwnershipRule), field('tick', 4, 'uint'),
]);
/** The table `ServerAdminResult` of schemas/server.fbs; documented there. */
export const ServerAdminResult = tableOf('ServerAdminResult', [
  field('command', 0, 'string', REQ), field('ok', 1, 'bool'), field('message', 2, 'string', REQ),
]);
/** The table `ServerError` of schemas/server.fbs; documented there. */
export const ServerError = tableOf('ServerError', [field('code', 0, 'ushort'), field('message', 1, 'string', REQ)]);
/** The table `ServerPong` of schemas/server.fbs; documented there. */
export const ServerPong = tableOf('ServerPong', [field('nonce', 0, 'ulong'), field('tick', 1, 'uint')]);
/** The union `ServerPayload` of schemas/server.fbs; documented there. */
export const ServerPayload: UnionDesc = {
  kind: 'union', name: 'ServerPayload',
  members: [ServerWelcome, ServerSnapshot, ServerDelta, ServerEvents, ServerChat, ServerOwnership, ServerAdminResult, ServerError, ServerPong],
};
/** The table `ServerMessage` of schemas/server.fbs; documented there. */
export const ServerMessage = tableOf('ServerMessage', [field('payload', 1, ServerPayload, REQ)]);

// ---------------------------------------------------------------------------------------
// schemas/shard.fbs

/** The enum `ShardCommandKind` of schemas/shard.fbs; documented there. */
export const ShardCommandKind = enumOf('ShardCommandKind', ['Despawn', 'SetPosition', 'SetVelocity', 'Impulse', 'Force', 'CharacterInput']);
/** The enum `PhysicsEventKind` of schemas/shard.fbs; documented there. */
export const PhysicsEventKind = enumOf('PhysicsEventKind', ['Begin', 'End']);
/** The struct `ShardCommand` of schemas/shard.fbs; documented there. */
export const ShardCommand = structOf('ShardCommand', [['body', BodyHandle], ['value', Vec3], ['kind', ShardCommandKind], ['jump', 'bool']]);
/** The struct `PhysicsEvent` of schemas/shard.fbs; documented there. */
export const PhysicsEvent = structOf('PhysicsEvent', [['body', BodyHandle], ['other', BodyHandle], ['kind', PhysicsEventKind]]);
/** The table `ByteRecord` of schemas/shard.fbs; documented there. */
export const ByteRecord = tableOf('ByteRecord', [field('data', 0, vec('ubyte'), REQ)]);
/** The table `ShardAdvance` of schemas/shard.fbs; documented there. */
export const ShardAdvance = tableOf('ShardAdvance', [field('tick', 0, 'uint'), field('commands', 1, vec(ShardCommand), REQ)]);
/** The table `ShardGhosts` of schemas/shard.fbs; documented there. */
export const ShardGhosts = tableOf('ShardGhosts', [field('tick', 0, 'uint'), field('from', 1, 'ubyte'), field('records', 2, vec(ByteRecord), REQ)]);
/** The table `ShardHandoff` of schemas/shard.fbs; documented there. */
export const ShardHandoff = tableOf('ShardHandoff', [
  field('tick', 0, 'uint'), field('from', 1, 'ubyte'), field('to', 2, 'ubyte'), field('records', 3, vec(ByteRecord), REQ),
]);
/** The table `ShardPhysicsEvents` of schemas/shard.fbs; documented there. */
export const ShardPhysicsEvents = tableOf('ShardPhysicsEvents', [
  field('tick', 0, 'uint'), field('shard', 1, 'ubyte'), field('events', 2, vec(PhysicsEvent), REQ),
]);
/** The table `ShardHash` of schemas/shard.fbs; documented there. */
export const ShardHash = tableOf('ShardHash', [field('tick', 0, 'uint'), field('shard', 1, 'ubyte'), field('hash', 2, 'ulong')]);
/** The union `ShardPayload` of schemas/shard.fbs; documented there. */
export const ShardPayload: UnionDesc = {
  kind: 'union', name: 'ShardPayload',
  members: [ShardAdvance, ShardGhosts, ShardHandoff, ShardPhysicsEvents, ShardHash],
};
/** The table `ShardMessage` of schemas/shard.fbs; documented there. */
export const ShardMessage = tableOf('ShardMessage', [field('payload', 1, ShardPayload, REQ)]);

// ---------------------------------------------------------------------------------------
// Roots and the full catalogue (for the drift test)

/** client -> host, file identifier "TSCL". */
export const CLIENT_ROOT: RootDesc = { file: 'client.fbs', table: ClientMessage, identifier: 'TSCL' };
/** host -> client, file identifier "TSSV". */
export const SERVER_ROOT: RootDesc = { file: 'server.fbs', table: ServerMessage, identifier: 'TSSV' };
/** host <-> shard and shard <-> shard, file identifier "TSSH". */
export const SHARD_ROOT: RootDesc = { file: 'shard.fbs', table: ShardMessage, identifier: 'TSSH' };

/** Every declaration, by schema file, in declaration order. */
export const SCHEMA_FILES: Readonly<Record<string, ReadonlyArray<StructDesc | EnumDesc | TableDesc | UnionDesc>>> = {
  'common.fbs': [Vec3, Quat, BodyHandle, ChatChannel, OwnershipRule, Shape, BodyKind, Interest],
  'client.fbs': [InputFrame, OwnershipAction, ClientHello, ClientInput, ClientPublish, ClientChat, ClientSpawn, ClientOwnership,
    ClientAdmin, ClientAck, ClientInterest, ClientPing, ClientPayload, ClientMessage],
  'server.fbs': [BodyState, BodyShape, StreamEvent, ServerWelcome, ServerSnapshot, ServerDelta, ServerEvents, ServerChat,
    ServerOwnership, ServerAdminResult, ServerError, ServerPong, ServerPayload, ServerMessage],
  'shard.fbs': [ShardCommandKind, PhysicsEventKind, ShardCommand, PhysicsEvent, ByteRecord, ShardAdvance, ShardGhosts,
    ShardHandoff, ShardPhysicsEvents, ShardHash, ShardPayload, ShardMessage],
};

/** The three roots. */
export const ROOTS: readonly RootDesc[] = [CLIENT_ROOT, SERVER_ROOT, SHARD_ROOT];
