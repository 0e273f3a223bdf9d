/**
 * Descriptors of the wire schemas (schemas/*.fbs) for the verifier: every table, struct,
 * enum and union, with the field ids, types and struct layouts flatc uses. The verifier
 * (verify.ts) walks a buffer by these, so it never needs the generated code.
 *
 * They are generated, not written by hand: scripts/gen-protocol.mjs has flatc write the
 * binary schema of each .fbs file (`flatc -b --schema`, a `reflection.Schema` FlatBuffer)
 * and renders it as plain data into generated/descriptors_generated.ts (committed, "do not
 * modify", regenerated and diffed by CI like the rest of generated/). This module turns
 * that data into the linked descriptors below, once, at load; a name the code asks for that
 * the schemas no longer declare throws here at load. test/protocol-schema.test.ts still
 * parses every .fbs file independently and checks the descriptors against it and against
 * the generated accessors.
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
 * multiple of its alignment. The offsets come from flatc's binary schema; structOf checks
 * them against this rule and throws on a difference.
 */
import { SCHEMA } from './generated/descriptors_generated';

/** FlatBuffers scalar types (the ones a schema may name; this protocol uses no floats). */
export type ScalarName = 'bool' | 'byte' | 'ubyte' | 'short' | 'ushort' | 'int' | 'uint' | 'long' | 'ulong' | 'float' | 'double';

/** Size in bytes (= alignment) of each scalar type. */
export const SCALAR_SIZE: Readonly<Record<ScalarName, 1 | 2 | 4 | 8>> = {
  bool: 1,
  byte: 1,
  ubyte: 1,
  short: 2,
  ushort: 2,
  int: 4,
  uint: 4,
  long: 8,
  ulong: 8,
  float: 4,
  double: 8,
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

function enumOf(name: string, base: ScalarName, entries: ReadonlyArray<readonly [string, number]>): EnumDesc {
  if (base !== 'ubyte') throw new Error(`enum ${name}: base ${base}; the verifier handles ubyte enums only`);
  const values: Record<string, number> = {};
  const valid = new Uint8Array(256);
  for (const [n, v] of entries) {
    values[n] = v;
    valid[v] = 1;
  }
  return { kind: 'enum', name, base, values, valid };
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

function structOf(name: string, decl: ReadonlyArray<readonly [string, ScalarName | EnumDesc | StructDesc, number]>, flatcSize: number): StructDesc {
  let at = 0,
    align = 1;
  const fields: StructField[] = [];
  const checks: ByteCheck[] = [];
  for (const [fname, type, flatcOffset] of decl) {
    const [size, a] = sizeAlign(type);
    at = Math.ceil(at / a) * a;
    if (at !== flatcOffset) throw new Error(`struct ${name}.${fname}: flatc puts it at ${flatcOffset}, the layout rule at ${at}`);
    fields.push({ name: fname, type, offset: at });
    checks.push(...byteChecks(type, at, `${name}.${fname}`));
    at += size;
    align = Math.max(align, a);
  }
  const total = Math.ceil(at / align) * align;
  if (total !== flatcSize) throw new Error(`struct ${name}: flatc size ${flatcSize}, layout rule ${total}`);
  return { kind: 'struct', name, fields, size: total, align, checks };
}

interface FieldOpts {
  required?: boolean;
  optional?: boolean;
}

function field(name: string, id: number, type: FieldType, opts: FieldOpts = {}): TableField {
  const base = {
    name,
    path: name,
    id,
    type,
    required: opts.required === true,
    optional: opts.optional === true,
    check: 0 as 0 | 1 | 2,
    valid: null as Uint8Array | null,
    elemSize: 0,
    elemAlign: 0,
    elemChecks: [] as ByteCheck[],
    table: null as TableDesc | null,
    union: null as UnionDesc | null,
  };
  if (type === 'string') return { ...base, code: FIELD_CODE.STRING, size: 4, align: 4 };
  if (isScalar(type)) return { ...base, code: FIELD_CODE.SCALAR, size: SCALAR_SIZE[type], align: SCALAR_SIZE[type], check: type === 'bool' ? 1 : 0 };
  switch (type.kind) {
    case 'enum':
      return { ...base, code: FIELD_CODE.SCALAR, size: 1, align: 1, check: 2, valid: type.valid };
    case 'struct':
      return { ...base, code: FIELD_CODE.STRUCT, size: type.size, align: type.align };
    case 'table':
      return { ...base, code: FIELD_CODE.TABLE, size: 4, align: 4, table: type };
    case 'union':
      return { ...base, code: FIELD_CODE.UNION, size: 4, align: 4, union: type };
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

// ---------------------------------------------------------------------------------------
// The schema data (generated/descriptors_generated.ts) and its linking

/** A field of a struct as flatc's binary schema gives it: type spelled as in the .fbs. */
export interface SchemaStructField {
  readonly name: string;
  readonly type: string;
  readonly offset: number;
}
/** A field of a table as flatc's binary schema gives it (`[T]` for a vector of T). */
export interface SchemaTableField {
  readonly name: string;
  readonly id: number;
  readonly type: string;
  readonly required: boolean;
  readonly optional: boolean;
  readonly deprecated: boolean;
}
/** One declaration of schemas/*.fbs (`file`: the .fbs that declares it). */
export type SchemaDecl =
  | {
      readonly kind: 'struct';
      readonly name: string;
      readonly file: string;
      readonly size: number;
      readonly align: number;
      readonly fields: readonly SchemaStructField[];
    }
  | { readonly kind: 'table'; readonly name: string; readonly file: string; readonly fields: readonly SchemaTableField[] }
  | { readonly kind: 'enum'; readonly name: string; readonly file: string; readonly base: string; readonly values: ReadonlyArray<readonly [string, number]> }
  | { readonly kind: 'union'; readonly name: string; readonly file: string; readonly members: readonly string[] };
/** The shape of generated/descriptors_generated.ts. */
export interface SchemaData {
  readonly decls: readonly SchemaDecl[];
  readonly roots: ReadonlyArray<{ readonly file: string; readonly table: string; readonly identifier: string }>;
}

/** Any linked declaration. */
export type Desc = StructDesc | EnumDesc | TableDesc | UnionDesc;

function link(data: SchemaData): Map<string, Desc> {
  const raw = new Map(data.decls.map((d) => [d.name, d]));
  const done = new Map<string, Desc>();
  const busy = new Set<string>();
  const get = (name: string): Desc => {
    const hit = done.get(name);
    if (hit) return hit;
    const d = raw.get(name);
    if (!d) throw new Error(`schema: unknown type ${name}`);
    // no recursive tables in these schemas: a cycle would need lazy linking
    if (busy.has(name)) throw new Error(`schema: ${name} refers to itself`);
    busy.add(name);
    let out: Desc;
    switch (d.kind) {
      case 'enum':
        out = enumOf(d.name, d.base as ScalarName, d.values);
        break;
      case 'struct':
        out = structOf(
          d.name,
          d.fields.map((f) => [f.name, inline(f.type), f.offset] as const),
          d.size,
        );
        break;
      case 'union':
        out = { kind: 'union', name: d.name, members: d.members.map((m) => asKind(get(m), 'table')) };
        break;
      case 'table':
        out = tableOf(
          d.name,
          d.fields.filter((f) => !f.deprecated).map((f) => field(f.name, f.id, fieldType(f.type), f)),
        );
        break;
    }
    busy.delete(name);
    done.set(name, out);
    return out;
  };
  const inline = (t: string): ScalarName | EnumDesc | StructDesc => {
    if (isScalar(t)) return t;
    const d = get(t);
    if (d.kind === 'enum' || d.kind === 'struct') return d;
    throw new Error(`schema: ${t} cannot be stored inline`);
  };
  const element = (t: string): ElementType => (t === 'string' ? 'string' : isScalar(t) ? t : asElement(get(t)));
  const asElement = (d: Desc): ElementType => {
    if (d.kind === 'union') throw new Error(`schema: vectors of unions (${d.name}) are not supported`);
    return d;
  };
  const fieldType = (t: string): FieldType => {
    if (t.startsWith('[')) return { kind: 'vector', of: element(t.slice(1, -1)) };
    return t === 'string' ? 'string' : isScalar(t) ? t : get(t);
  };
  for (const d of data.decls) get(d.name);
  return done;
}

function asKind<K extends Desc['kind']>(d: Desc, kind: K): Extract<Desc, { kind: K }> {
  if (d.kind !== kind) throw new Error(`schema: ${d.name} is a ${d.kind}, not a ${kind}`);
  return d as Extract<Desc, { kind: K }>;
}

const LINKED = link(SCHEMA);

/** The declaration `name` of the schemas; throws unless it exists and is a `kind`. */
export function declaration<K extends Desc['kind']>(name: string, kind: K): Extract<Desc, { kind: K }> {
  const d = LINKED.get(name);
  if (!d) throw new Error(`schema: no declaration ${name}`);
  return asKind(d, kind);
}

function rootOf(file: string): RootDesc {
  const r = SCHEMA.roots.find((x) => x.file === file);
  if (!r) throw new Error(`schema: ${file} declares no root_type`);
  return { file, table: declaration(r.table, 'table'), identifier: r.identifier };
}

// The names the codec and the tests use (each documented in its .fbs file).

/** The enum `ChatChannel` of schemas/common.fbs. */
export const ChatChannel = declaration('ChatChannel', 'enum');
/** The enum `OwnershipRule` of schemas/common.fbs. */
export const OwnershipRule = declaration('OwnershipRule', 'enum');
/** The enum `Shape` of schemas/common.fbs. */
export const Shape = declaration('Shape', 'enum');
/** The enum `JointKind` of schemas/server.fbs (protocol 3). */
export const JointKind = declaration('JointKind', 'enum');
/** The enum `BodyKind` of schemas/common.fbs. */
export const BodyKind = declaration('BodyKind', 'enum');
/** The enum `OwnershipAction` of schemas/client.fbs. */
export const OwnershipAction = declaration('OwnershipAction', 'enum');
/** The enum `ShardCommandKind` of schemas/shard.fbs. */
export const ShardCommandKind = declaration('ShardCommandKind', 'enum');
/** The enum `PhysicsEventKind` of schemas/shard.fbs. */
export const PhysicsEventKind = declaration('PhysicsEventKind', 'enum');

/** client -> host, file identifier "TSCL" (from schemas/client.fbs). */
export const CLIENT_ROOT: RootDesc = rootOf('client.fbs');
/** host -> client, file identifier "TSSV" (from schemas/server.fbs). */
export const SERVER_ROOT: RootDesc = rootOf('server.fbs');
/** host <-> shard and shard <-> shard, file identifier "TSSH" (from schemas/shard.fbs). */
export const SHARD_ROOT: RootDesc = rootOf('shard.fbs');
/** the replicated world log, leader -> replicas, file identifier "TSLG" (from schemas/log.fbs). */
export const LOG_ROOT: RootDesc = rootOf('log.fbs');

/** Every declaration, by schema file, sorted by name (the binary schema's order). */
export const SCHEMA_FILES: Readonly<Record<string, readonly Desc[]>> = (() => {
  const out: Record<string, Desc[]> = {};
  for (const d of SCHEMA.decls) (out[d.file] ??= []).push(declaration(d.name, d.kind));
  return out;
})();

/** The four roots. */
export const ROOTS: readonly RootDesc[] = [CLIENT_ROOT, SERVER_ROOT, SHARD_ROOT, LOG_ROOT];
