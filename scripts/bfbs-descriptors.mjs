// Reads the binary schemas flatc writes for schemas/*.fbs (`flatc -b --schema`, one .bfbs per
// .fbs) and renders src/protocol/generated/descriptors_generated.ts: every table, struct, enum
// and union of the protocol as plain data, from which src/protocol/descriptors.ts builds the
// verifier's descriptors. Used by scripts/gen-protocol.mjs only.
//
// A .bfbs is itself a FlatBuffer whose root is the `reflection.Schema` table of flatc's
// reflection schema (reflection/reflection.fbs in the FlatBuffers sources, file identifier
// "BFBS"). Only the fields below are read, by their field ids (ids never change in that
// schema, new ones are appended):
//
//   Schema   0 objects:[Object]  1 enums:[Enum]  2 file_ident:string  4 root_table:Object
//   Object   0 name  1 fields:[Field]  2 is_struct:bool  3 minalign:int  4 bytesize:int
//            7 declaration_file:string
//   Field    0 name  1 type:Type  2 id:ushort  3 offset:ushort  6 deprecated:bool
//            7 required:bool  11 optional:bool
//   Type     0 base_type:byte  1 element:byte  2 index:int = -1 (into objects or enums)
//   Enum     0 name  1 values:[EnumVal]  2 is_union:bool  3 underlying_type:Type
//            6 declaration_file:string
//   EnumVal  0 name  1 value:long  3 union_type:Type
//
// The buffer comes from our own flatc run, so it is read without a verifier; any offset
// outside the buffer throws (DataView bounds) and stops the build.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** reflection.BaseType codes -> schema scalar names (None, UType, ..., Double). */
const SCALARS = [null, null, 'bool', 'byte', 'ubyte', 'short', 'ushort', 'int', 'uint', 'long', 'ulong', 'float', 'double'];
const BT = { UType: 1, String: 13, Vector: 14, Obj: 15, Union: 16 };

function reader(buf) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u16 = (p) => dv.getUint16(p, true),
    u32 = (p) => dv.getUint32(p, true),
    i32 = (p) => dv.getInt32(p, true);
  const at = (t, id) => {
    const vt = t - i32(t);
    const o = 4 + 2 * id;
    if (o >= u16(vt)) return 0;
    const f = u16(vt + o);
    return f === 0 ? 0 : t + f;
  };
  const ref = (f) => f + u32(f);
  return {
    root: () => ref(0),
    ident: () => buf.toString('latin1', 4, 8),
    str: (t, id) => {
      const f = at(t, id);
      if (!f) return null;
      const s = ref(f);
      return buf.toString('utf8', s + 4, s + 4 + u32(s));
    },
    table: (t, id) => {
      const f = at(t, id);
      return f ? ref(f) : 0;
    },
    tables: (t, id) => {
      const f = at(t, id);
      if (!f) return [];
      const v = ref(f);
      return Array.from({ length: u32(v) }, (_, i) => ref(v + 4 + 4 * i));
    },
    u8: (t, id, d = 0) => {
      const f = at(t, id);
      return f ? dv.getUint8(f) : d;
    },
    i8: (t, id, d = 0) => {
      const f = at(t, id);
      return f ? dv.getInt8(f) : d;
    },
    u16: (t, id, d = 0) => {
      const f = at(t, id);
      return f ? u16(f) : d;
    },
    i32: (t, id, d = 0) => {
      const f = at(t, id);
      return f ? i32(f) : d;
    },
    i64: (t, id, d = 0n) => {
      const f = at(t, id);
      return f ? dv.getBigInt64(f, true) : d;
    },
  };
}

const short = (name) => name.slice(name.lastIndexOf('.') + 1);
const fileOf = (decl) => basename(decl ?? '');

/**
 * Reads one .bfbs: its objects and enums (names without the namespace, each with the .fbs
 * file that declares it) and its root (if the file declares root_type).
 */
function readBfbs(path) {
  const r = reader(readFileSync(path));
  if (r.ident() !== 'BFBS') throw new Error(`${path}: not a binary schema (identifier ${r.ident()})`);
  const s = r.root();
  const objects = r.tables(s, 0),
    enums = r.tables(s, 1);
  const typeName = (t, base) => {
    const idx = r.i32(t, 2, -1);
    if (base === BT.String) return 'string';
    if (base === BT.Obj) return short(r.str(objects[idx], 0));
    if (SCALARS[base]) return idx >= 0 ? short(r.str(enums[idx], 0)) : SCALARS[base];
    throw new Error(`${path}: unsupported base type ${base}`);
  };
  const decls = [];
  for (const o of objects) {
    const name = short(r.str(o, 0)),
      file = fileOf(r.str(o, 7)),
      isStruct = r.u8(o, 2) === 1;
    const fields = [];
    for (const f of r.tables(o, 1)) {
      const t = r.table(f, 1),
        base = r.i8(t, 0);
      if (base === BT.UType) continue; // a union's tag field `<name>_type`: described by the union field
      let type;
      if (base === BT.Vector) type = `[${typeName(t, r.i8(t, 1))}]`;
      else if (base === BT.Union) type = short(r.str(enums[r.i32(t, 2, -1)], 0));
      else type = typeName(t, base);
      const scalar = SCALARS[base] !== null && SCALARS[base] !== undefined;
      fields.push(
        isStruct
          ? { name: r.str(f, 0), type, offset: r.u16(f, 3) }
          : {
              name: r.str(f, 0),
              id: r.u16(f, 2),
              type,
              required: r.u8(f, 7) === 1,
              // reflection marks struct fields optional too; `= null` is about scalars only
              optional: scalar && r.u8(f, 11) === 1,
              deprecated: r.u8(f, 6) === 1,
            },
      );
    }
    if (isStruct) {
      fields.sort((a, b) => a.offset - b.offset);
      decls.push({ kind: 'struct', name, file, size: r.i32(o, 4), align: r.i32(o, 3), fields });
    } else {
      fields.sort((a, b) => a.id - b.id);
      decls.push({ kind: 'table', name, file, fields });
    }
  }
  for (const e of enums) {
    const name = short(r.str(e, 0)),
      file = fileOf(r.str(e, 6));
    const values = r.tables(e, 1).map((v) => ({ name: r.str(v, 0), value: Number(r.i64(v, 1)), type: r.table(v, 3) }));
    if (r.u8(e, 2) === 1) {
      const members = values.filter((v) => v.value !== 0).sort((a, b) => a.value - b.value);
      members.forEach((m, i) => {
        if (m.value !== i + 1) throw new Error(`${name}: union tags must be 1..n`);
      });
      decls.push({ kind: 'union', name, file, members: members.map((m) => short(r.str(objects[r.i32(m.type, 2, -1)], 0))) });
    } else {
      const base = SCALARS[r.i8(r.table(e, 3), 0)];
      decls.push({ kind: 'enum', name, file, base, values: values.sort((a, b) => a.value - b.value).map((v) => [v.name, v.value]) });
    }
  }
  const rootTable = r.table(s, 4);
  const root = rootTable ? { file: basename(path).replace(/\.bfbs$/, '.fbs'), table: short(r.str(rootTable, 0)), identifier: r.str(s, 2) } : null;
  return { decls, root };
}

/**
 * Merges the .bfbs files (an included file's declarations appear in every includer: they must
 * agree) and renders the TypeScript module. Declarations are sorted by file, then name.
 */
export function renderDescriptors(bfbsPaths, flatcVersion) {
  const byName = new Map();
  const roots = [];
  for (const p of bfbsPaths) {
    const { decls, root } = readBfbs(p);
    for (const d of decls) {
      const seen = byName.get(d.name);
      if (seen && JSON.stringify(seen) !== JSON.stringify(d)) throw new Error(`${d.name} differs between binary schemas`);
      byName.set(d.name, d);
    }
    if (root) roots.push(root);
  }
  const decls = [...byName.values()].sort((a, b) => (a.file === b.file ? (a.name < b.name ? -1 : 1) : a.file < b.file ? -1 : 1));
  roots.sort((a, b) => (a.file < b.file ? -1 : 1));
  const lines = [
    `// automatically generated by scripts/gen-protocol.mjs from the binary schemas of schemas/*.fbs`,
    `// (flatc ${flatcVersion} -b --schema --bfbs-builtins), do not modify`,
    ``,
    `import type { SchemaData } from '../descriptors';`,
    ``,
    `/** Every declaration of schemas/*.fbs (by file, then name) and the three roots. */`,
    `export const SCHEMA: SchemaData = {`,
    `  decls: [`,
    ...decls.map((d) => `    ${JSON.stringify(d)},`),
    `  ],`,
    `  roots: [`,
    ...roots.map((r) => `    ${JSON.stringify(r)},`),
    `  ],`,
    `};`,
    ``,
  ];
  return lines.join('\n');
}
