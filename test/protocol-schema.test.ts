/**
 * The verifier's descriptors (src/protocol/descriptors.ts, built from the data that
 * scripts/gen-protocol.mjs renders from flatc's binary schemas into
 * src/protocol/generated/descriptors_generated.ts) equal the schemas (schemas/*.fbs), checked
 * independently of flatc's reflection output: a small parser reads every .fbs file (the subset of the FlatBuffers grammar these schemas
 * use: include, namespace, struct, table, enum, union, root_type, file_identifier, field
 * attributes) and every table (field names, ids, types, required, `= null`), struct (fields
 * in order), enum (base type, values), union (members in order) and root (type, file
 * identifier) must match. Struct layouts (offsets, sizes) are checked against the accessors
 * flatc generated, and the protocol's constant tables (messages.ts) against the enums.
 * A schema edit without `npm run build:protocol` (which regenerates the data) fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SCHEMA_FILES,
  ROOTS,
  SCALAR_SIZE,
  type StructDesc,
  type EnumDesc,
  type TableDesc,
  type UnionDesc,
  type FieldType,
  type ElementType,
} from '../src/protocol/descriptors';
import { CHAT_CHANNEL, OWNERSHIP_RULE, OWNERSHIP_ACTION, SHAPE, SHARD_COMMAND } from '../src/protocol/messages';
import { SHAPE as CORE_SHAPE, KIND as CORE_KIND } from '../src/physics/world-layout';
import * as D from '../src/protocol/descriptors';

const ROOT = join(__dirname, '..');
const SCHEMA_DIR = join(ROOT, 'schemas');
const GENERATED_DIR = join(ROOT, 'src', 'protocol', 'generated', 'tessera');

// ---------------------------------------------------------------------------------------
// a small .fbs parser

interface ParsedField {
  name: string;
  type: string;
  def: string | null;
  attrs: Record<string, string | true>;
}
interface ParsedDecl {
  kind: 'struct' | 'table' | 'enum' | 'union';
  name: string;
  base: string | null;
  body: string;
  doc: boolean;
  fields: ParsedField[];
  values: [string, number][];
}
interface ParsedFile {
  decls: ParsedDecl[];
  rootType: string | null;
  identifier: string | null;
  namespace: string | null;
  includes: string[];
}

function parseAttrs(s: string | undefined): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  if (!s) return out;
  for (const part of s.split(',')) {
    const m = /^\s*(\w+)\s*(?::\s*("?[^"]*"?|\S+))?\s*$/.exec(part);
    if (!m) throw new Error(`bad attribute "${part}"`);
    out[m[1]] = m[2] === undefined ? true : m[2].replace(/"/g, '');
  }
  return out;
}

function parseFbs(text: string): ParsedFile {
  // keep doc comments as a marker, drop plain comments
  const lines = text.split('\n').map((l) => (/^\s*\/\/\//.test(l) ? '@doc' : l.replace(/\/\/.*$/, '')));
  const src = lines.join('\n');
  const out: ParsedFile = { decls: [], rootType: null, identifier: null, namespace: null, includes: [] };
  const re =
    /(@doc\s*)?\b(struct|table|enum|union)\s+(\w+)\s*(?::\s*(\w+))?\s*\{([^}]*)\}|\binclude\s+"([^"]+)"\s*;|\bnamespace\s+([\w.]+)\s*;|\broot_type\s+(\w+)\s*;|\bfile_identifier\s+"([^"]*)"\s*;/g;
  let rest = src;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    rest = rest.replace(m[0], '');
    if (m[2]) {
      const kind = m[2] as ParsedDecl['kind'];
      const body = m[5].replace(/@doc/g, '');
      const decl: ParsedDecl = { kind, name: m[3], base: m[4] ?? null, body, doc: !!m[1], fields: [], values: [] };
      if (kind === 'struct' || kind === 'table') {
        for (const stmt of body
          .split(';')
          .map((s) => s.trim())
          .filter(Boolean)) {
          const f = /^(\w+)\s*:\s*(\[\s*\w+\s*\]|\w+)\s*(?:=\s*([^\s(]+))?\s*(?:\(([^)]*)\))?$/.exec(stmt);
          if (!f) throw new Error(`${m[3]}: cannot parse field "${stmt}"`);
          decl.fields.push({ name: f[1], type: f[2].replace(/\s/g, ''), def: f[3] ?? null, attrs: parseAttrs(f[4]) });
        }
      } else {
        let next = kind === 'union' ? 1 : 0; // unions: NONE = 0 is implicit
        for (const item of body
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)) {
          const v = /^(\w+)\s*(?:=\s*(\d+))?$/.exec(item);
          if (!v) throw new Error(`${m[3]}: cannot parse value "${item}"`);
          next = v[2] !== undefined ? Number(v[2]) : next;
          decl.values.push([v[1], next++]);
        }
      }
      out.decls.push(decl);
    } else if (m[6]) out.includes.push(m[6]);
    else if (m[7]) out.namespace = m[7];
    else if (m[8]) out.rootType = m[8];
    else if (m[9] !== undefined) out.identifier = m[9];
  }
  // nothing the parser does not understand may be left over
  const leftover = rest.replace(/@doc/g, '').trim();
  if (leftover !== '') throw new Error(`unparsed schema text: ${leftover.slice(0, 200)}`);
  return out;
}

const files = readdirSync(SCHEMA_DIR)
  .filter((f) => f.endsWith('.fbs'))
  .sort();
const parsed: Record<string, ParsedFile> = Object.fromEntries(files.map((f) => [f, parseFbs(readFileSync(join(SCHEMA_DIR, f), 'utf8'))]));

// ---------------------------------------------------------------------------------------
// descriptor -> schema spelling

function typeName(t: FieldType | ElementType): string {
  if (typeof t === 'string') return t;
  if (t.kind === 'vector') return `[${typeName(t.of)}]`;
  return t.name;
}

const kebab = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

// ---------------------------------------------------------------------------------------

test('the parser reads every schema file and the descriptors list exactly those files', () => {
  expect(files).toEqual(Object.keys(SCHEMA_FILES).sort());
  for (const f of files) expect(parsed[f].namespace).toBe('tessera');
});

describe.each(files)('%s', (file) => {
  const p = parsed[file];
  const descs = SCHEMA_FILES[file] ?? [];

  test('declares the same tables, structs, enums and unions, each with a doc comment', () => {
    // the binary schema lists declarations by name, the .fbs in declaration order
    const sorted = (xs: string[]): string[] => [...xs].sort();
    expect(sorted(p.decls.map((d) => `${d.kind} ${d.name}`))).toEqual(sorted(descs.map((d) => `${d.kind} ${d.name}`)));
    for (const d of p.decls) expect([d.name, d.doc]).toEqual([d.name, true]);
  });

  test('root type and file identifier', () => {
    const root = ROOTS.find((r) => r.file === file);
    if (!root) {
      expect([p.rootType, p.identifier]).toEqual([null, null]);
      return;
    }
    expect(p.rootType).toBe(root.table.name);
    expect(p.identifier).toBe(root.identifier);
    expect(root.identifier).toHaveLength(4);
  });

  test('tables: every field has an explicit id; names, ids, types, required and `= null` match', () => {
    for (const d of p.decls.filter((x) => x.kind === 'table')) {
      const desc = descs.find((x) => x.name === d.name) as TableDesc;
      const fromSchema = d.fields
        .map((f) => {
          expect([d.name, f.name, typeof f.attrs.id]).toEqual([d.name, f.name, 'string']);
          const scalarish =
            f.type in SCALAR_SIZE || p.decls.concat(...Object.values(parsed).map((x) => x.decls)).some((x) => x.name === f.type && x.kind === 'enum');
          return {
            name: f.name,
            id: Number(f.attrs.id),
            type: f.type,
            required: f.attrs.required === true,
            optional: f.def === 'null',
            deprecated: f.attrs.deprecated === true,
            // a non-null default on a scalar would change what "absent" decodes to: none are used
            def: scalarish && f.def !== null && f.def !== 'null' ? f.def : null,
          };
        })
        .sort((a, b) => a.id - b.id);
      const fromDesc = desc.fields.map((f) => ({
        name: f.name,
        id: f.id,
        type: typeName(f.type),
        required: f.required,
        optional: f.optional,
        deprecated: false,
        def: null,
      }));
      expect(fromDesc).toEqual(fromSchema);
    }
  });

  test('structs: the same fields in order; offsets and sizes equal the generated accessors', () => {
    for (const d of p.decls.filter((x) => x.kind === 'struct')) {
      const desc = descs.find((x) => x.name === d.name) as StructDesc;
      expect(desc.fields.map((f) => `${f.name}:${typeName(f.type)}`)).toEqual(d.fields.map((f) => `${f.name}:${f.type}`));
      const gen = readFileSync(join(GENERATED_DIR, `${kebab(d.name)}.ts`), 'utf8');
      const size = /static sizeOf\(\):number \{\s*return (\d+);/.exec(gen);
      expect([d.name, Number(size?.[1])]).toEqual([d.name, desc.size]);
      for (const f of desc.fields) {
        const m = new RegExp(`\\n${camel(f.name)}\\([^)]*\\):[^{]*\\{[^}]*?this\\.bb_pos(?: \\+ (\\d+))?[,)]`).exec(gen);
        expect([d.name, f.name, m === null ? null : Number(m[1] ?? 0)]).toEqual([d.name, f.name, f.offset]);
      }
    }
  });

  test('enums: base type and values; unions: members in order', () => {
    for (const d of p.decls.filter((x) => x.kind === 'enum')) {
      const desc = descs.find((x) => x.name === d.name) as EnumDesc;
      expect([d.name, d.base]).toEqual([d.name, desc.base]);
      expect(Object.entries(desc.values)).toEqual(d.values);
      for (let v = 0; v < 256; v++) expect(desc.valid[v]).toBe(d.values.some(([, x]) => x === v) ? 1 : 0);
    }
    for (const d of p.decls.filter((x) => x.kind === 'union')) {
      const desc = descs.find((x) => x.name === d.name) as UnionDesc;
      expect(desc.members.map((m) => m.name)).toEqual(d.values.map(([n]) => n));
      expect(d.values.map(([, v]) => v)).toEqual(d.values.map((_, i) => i + 1)); // tag = position + 1
    }
  });
});

test('struct byte checks: every bool and enum byte of every struct (nested ones included) is checked', () => {
  const st = (name: string): StructDesc => D.declaration(name, 'struct');
  expect(st('InputFrame').checks.map((c) => [c.offset, c.valid === null ? 'bool' : 'enum'])).toEqual([[8, 'bool']]);
  expect(st('ShardCommand').checks.map((c) => [c.offset, c.valid === null ? 'bool' : 'enum'])).toEqual([
    [32, 'enum'],
    [33, 'bool'],
  ]);
  expect(st('BodyShape').checks.map((c) => [c.offset, c.path])).toEqual([
    [20, 'BodyShape.shape'],
    [21, 'BodyShape.kind'],
  ]);
  expect(st('BodyState').checks).toEqual([]);
});

test('the constant tables of messages.ts and the physics core equal the schema enums', () => {
  const upper = (e: EnumDesc): Record<string, number> =>
    Object.fromEntries(Object.entries(e.values).map(([k, v]) => [k.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase(), v]));
  expect(upper(D.ChatChannel)).toEqual(CHAT_CHANNEL);
  expect(upper(D.OwnershipRule)).toEqual(OWNERSHIP_RULE);
  expect(upper(D.OwnershipAction)).toEqual(OWNERSHIP_ACTION);
  expect(upper(D.Shape)).toEqual(SHAPE);
  expect(upper(D.Shape)).toEqual(CORE_SHAPE);
  expect(upper(D.BodyKind)).toEqual(CORE_KIND);
  expect(upper(D.ShardCommandKind)).toEqual(SHARD_COMMAND);
});

test('the parser itself: fails on text it does not understand, reads attributes and defaults', () => {
  expect(() => parseFbs('table T { a:int (id: 0); }\nrpc_service S {}')).toThrow(/unparsed/);
  expect(() => parseFbs('table T { a int; }')).toThrow(/cannot parse field/);
  const t = parseFbs('/// doc\ntable T { a:uint = null (id: 1); b:[ubyte] (id: 0, required); }');
  expect(t.decls[0]).toMatchObject({
    doc: true,
    fields: [
      { name: 'a', type: 'uint', def: 'null', attrs: { id: '1' } },
      { name: 'b', type: '[ubyte]', def: null, attrs: { id: '0', required: true } },
    ],
  });
});

test('the descriptor data is generated (labelled, never edited by hand) and linking refuses what the schemas do not declare', () => {
  const gen = readFileSync(join(ROOT, 'src', 'protocol', 'generated', 'descriptors_generated.ts'), 'utf8');
  expect(gen.split('\n')[0]).toMatch(/^\/\/ automatically generated by scripts\/gen-protocol\.mjs/);
  expect(gen.split('\n')[1]).toMatch(/do not modify$/);
  expect(() => D.declaration('NoSuchTable', 'table')).toThrow(/no declaration NoSuchTable/);
  expect(() => D.declaration('Vec3', 'table')).toThrow(/Vec3 is a struct, not a table/);
  expect(ROOTS.map((r) => [r.file, r.table.name, r.identifier])).toEqual([
    ['client.fbs', 'ClientMessage', 'TSCL'],
    ['server.fbs', 'ServerMessage', 'TSSV'],
    ['shard.fbs', 'ShardMessage', 'TSSH'],
    ['log.fbs', 'LogTick', 'TSLG'],
  ]);
});
