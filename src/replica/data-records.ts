/**
 * The records of a world's data stream (issue 19, docs/replicas/design.md "The data stream"):
 * every row the leader writes to its durable tables (accounts, sessions, login records, avatars,
 * artifacts, chat history, admin records, object scripts), as one compact JSON message:
 *
 * ```
 *   {"v":1,"w":"<writer: 16 hex>","o":<outbox id>,"t":"<table>","op":"put","r":{<row image>}}
 *   {"v":1,"w":...,"o":...,"t":"artifacts","op":"del","r":{"id":7}}
 *   {"v":1,"w":...,"o":...,"t":"_lead","op":"lead","r":{"node":"host:pid"}}     a new leader's first record
 * ```
 *
 * The row image is the one SQLite's json_object built in the writing transaction (migration 6 of
 * src/persist/migrations.ts): column names as in the table, blobs in hex. Why JSON and not
 * FlatBuffers: the image is made inside SQLite at commit time (no second encoding on the leader),
 * the rows are small and written per user action (not per tick), and every field is checked
 * here anyway. A record is untrusted input on receipt (anyone who may publish on the subject
 * could have written it): `decodeRecord` checks the envelope, the table, the exact set of
 * columns, each column's type and range, and that the subject names the same table and primary
 * key; anything else is DataError BAD_RECORD and nothing of it is applied.
 *
 * Subjects: `tessera.<world>.data.<table>.<primary key>` (an integer id, or the session token
 * hash in hex), `tessera.<world>.data._lead` for the marker. The stream keeps the newest message
 * per subject (JetStream max_msgs_per_subject = 1): a replica that starts late reads each row's
 * newest image once, not its history.
 */
import type Database from 'better-sqlite3';
import { WORLD_ID } from '../cluster/subjects';

/** Errors of the data stream: FENCED (another leader wrote: this one is deposed), BAD_RECORD (a message that is not a valid record), BACKLOG (too many writes not yet in JetStream: refused), NOT_REPLICATED (a write was not stored by JetStream in time). */
export type DataErrorCode = 'FENCED' | 'BAD_RECORD' | 'BACKLOG' | 'NOT_REPLICATED';

/** A data-stream failure with its code. */
export class DataError extends Error {
  override name = 'DataError';
  constructor(
    readonly code: DataErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Largest record, bytes (the stream's max_msg_size). */
export const MAX_RECORD_BYTES = 256 * 1024;

/** Record format version. */
const VERSION = 1;

type Col =
  | { kind: 'int'; min?: number; nullable?: boolean }
  | { kind: 'text'; max: number; nullable?: boolean; pattern?: RegExp; oneOf?: readonly string[]; json?: boolean }
  | { kind: 'hex'; minBytes: number; maxBytes: number };

const int = (min = Number.MIN_SAFE_INTEGER): Col => ({ kind: 'int', min });
const intOrNull = (min = Number.MIN_SAFE_INTEGER): Col => ({ kind: 'int', min, nullable: true });
const text = (max: number, more: Partial<Extract<Col, { kind: 'text' }>> = {}): Col => ({ kind: 'text', max, ...more });

/** The replicated tables: primary key and columns (migrations 1-5, scripts 7-8, artifacts' script 9). Order is the INSERT order. */
const TABLES: Record<string, { pk: string; cols: Record<string, Col>; del?: boolean }> = {
  accounts: {
    pk: 'id',
    cols: {
      id: int(1),
      name: text(64, { pattern: /^[A-Za-z0-9_-]{1,64}$/ }),
      password_hash: { kind: 'hex', minBytes: 16, maxBytes: 1024 },
      password_salt: { kind: 'hex', minBytes: 8, maxBytes: 256 },
      password_params: text(256, { json: true }),
      role: text(16, { oneOf: ['player', 'moderator', 'admin'] }),
      created_ms: int(0),
      last_login_ms: intOrNull(0),
      banned_until_ms: intOrNull(),
      ban_reason: text(1024, { nullable: true }),
    },
  },
  sessions: {
    pk: 'token_hash',
    cols: {
      token_hash: { kind: 'hex', minBytes: 32, maxBytes: 32 },
      account_id: int(1),
      created_ms: int(0),
      expires_ms: int(0),
      revoked_ms: intOrNull(0),
    },
  },
  login_records: {
    pk: 'id',
    cols: { id: int(1), at_ms: int(0), name: text(64), address: text(256), ok: { kind: 'int', min: 0 }, reason: text(32) },
  },
  avatars: { pk: 'account_id', cols: { account_id: int(1), state: text(16_384, { json: true }), saved_ms: int(0) } },
  artifacts: {
    pk: 'id',
    del: true,
    cols: {
      id: int(1),
      origin: text(1024),
      remote_id: intOrNull(),
      owner_id: intOrNull(),
      master_id: intOrNull(),
      rule: text(8, { oneOf: ['ask', 'deny', 'allow'] }),
      shape: text(4096, { json: true }),
      physics: text(4096, { json: true }),
      custom: text(MAX_RECORD_BYTES / 2, { json: true }),
      stream: text(256, { nullable: true }),
      fetched_ms: intOrNull(0),
      updated_ms: int(0),
      // migration 9: the script kept with the artifact (CarriedScript JSON), or null
      script: text(MAX_RECORD_BYTES / 2, { json: true, nullable: true }),
    },
  },
  chat_history: { pk: 'id', cols: { id: int(1), channel: text(512), tick: int(0), sender: int(), text: text(16_384) } },
  admin_records: { pk: 'id', cols: { id: int(1), at_ms: int(0), actor: int(), action: text(64), detail: text(65_536) } },
  // migration 8: keyed by the leader's rowid (the table's key is (stream, object, tick))
  scripts: {
    pk: 'rowid',
    cols: {
      rowid: int(1),
      stream: text(64, { pattern: /^[A-Za-z0-9._-]{1,64}$/ }),
      object: text(32, { pattern: /^\d{1,10}:\d{1,10}$/ }),
      tick: int(0),
      version: int(1),
      source: text(MAX_RECORD_BYTES / 2),
      by_principal: int(),
      by_admin: { kind: 'int', min: 0 },
      at_ms: int(0),
    },
  },
};

/** The tables whose rows go to the data stream. */
export const DATA_TABLES: readonly string[] = Object.keys(TABLES);

/** A checked record. */
export type DataRecord =
  | { w: string; o: number; t: string; op: 'put'; row: Record<string, number | string | Buffer | null>; key: string }
  | { w: string; o: number; t: string; op: 'del'; row: Record<string, number>; key: string }
  | { w: string; o: number; t: '_lead'; op: 'lead'; node: string; key: '_lead' };

/** Stream and subject names of world `world`'s data. Throws RangeError for a bad world id. */
export function dataNames(world: string): { stream: string; subjects: string; prefix: string } {
  if (!WORLD_ID.test(world)) throw new RangeError(`world id ${JSON.stringify(world)}: letters, digits, '_' and '-' only (1-64)`);
  return { stream: `TESSERA_DATA_${world}`, subjects: `tessera.${world}.data.>`, prefix: `tessera.${world}.data.` };
}

/** The subject token of a row's primary key (an integer, or hex of a blob key). */
function keyOf(t: string, row: Record<string, unknown>): string {
  const v = row[TABLES[t].pk];
  return typeof v === 'number' ? String(v) : Buffer.isBuffer(v) ? v.toString('hex') : String(v).toLowerCase();
}

/**
 * The message of outbox row (`id`, `tbl`, `op`, `row`: the JSON text the trigger wrote) for
 * writer `w`, and its subject suffix (`<table>.<key>`). The row text is embedded as it is.
 */
export function encodeOutboxRow(w: string, id: number, tbl: string, op: string, row: string): { data: Uint8Array; subject: string } {
  const r = JSON.parse(row) as Record<string, unknown>;
  const data = Buffer.from(`{"v":${VERSION},"w":${JSON.stringify(w)},"o":${id},"t":${JSON.stringify(tbl)},"op":${JSON.stringify(op)},"r":${row}}`, 'utf8');
  return { data, subject: `${tbl}.${keyOf(tbl, r)}` };
}

/** The marker a new leader appends first (see data-stream.ts DataReplicator.lead). */
export function encodeLead(w: string, o: number, node: string): { data: Uint8Array; subject: string } {
  return { data: Buffer.from(JSON.stringify({ v: VERSION, w, o, t: '_lead', op: 'lead', r: { node } }), 'utf8'), subject: '_lead' };
}

const bad = (why: string): DataError => new DataError('BAD_RECORD', why);

function exactKeys(o: Record<string, unknown>, keys: readonly string[], what: string): void {
  const got = Object.keys(o);
  if (got.length !== keys.length || !keys.every((k) => Object.hasOwn(o, k))) throw bad(`${what} has fields ${got.join(',')}, expected ${keys.join(',')}`);
}

function column(t: string, name: string, c: Col, v: unknown): number | string | Buffer | null {
  const where = `${t}.${name}`;
  if (v === null) {
    if (c.kind !== 'hex' && c.nullable) return null;
    throw bad(`${where} is null`);
  }
  switch (c.kind) {
    case 'int':
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < (c.min ?? Number.MIN_SAFE_INTEGER)) throw bad(`${where} is not an integer >= ${c.min}`);
      return v;
    case 'hex': {
      if (typeof v !== 'string' || v.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(v) || v.length / 2 < c.minBytes || v.length / 2 > c.maxBytes)
        throw bad(`${where} is not ${c.minBytes}..${c.maxBytes} bytes of hex`);
      return Buffer.from(v, 'hex');
    }
    case 'text':
      if (typeof v !== 'string' || v.length > c.max) throw bad(`${where} is not text of at most ${c.max} characters`);
      if (!(v as string & { isWellFormed(): boolean }).isWellFormed()) throw bad(`${where} is not well-formed text`);
      if (c.pattern && !c.pattern.test(v)) throw bad(`${where} does not match ${c.pattern}`);
      if (c.oneOf && !c.oneOf.includes(v)) throw bad(`${where} is not one of ${c.oneOf.join(', ')}`);
      if (c.json)
        try {
          JSON.parse(v);
        } catch {
          throw bad(`${where} is not JSON`);
        }
      return v;
  }
}

/**
 * Checks message `data` received on `subject` (module comment) and returns the record. Throws
 * DataError BAD_RECORD, saying what is wrong, for anything else.
 */
export function decodeRecord(prefix: string, subject: string, data: Uint8Array): DataRecord {
  if (data.byteLength > MAX_RECORD_BYTES) throw bad(`${data.byteLength} bytes, at most ${MAX_RECORD_BYTES}`);
  if (!subject.startsWith(prefix)) throw bad(`subject ${subject} is not under ${prefix}`);
  let m: unknown;
  try {
    m = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    throw bad('not UTF-8 JSON');
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw bad('not a JSON object');
  const e = m as Record<string, unknown>;
  exactKeys(e, ['v', 'w', 'o', 't', 'op', 'r'], 'the record');
  if (e.v !== VERSION) throw bad(`version ${String(e.v)}, this build reads ${VERSION}`);
  if (typeof e.w !== 'string' || !/^[0-9a-f]{16}$/.test(e.w)) throw bad('w is not a writer id (16 hex digits)');
  if (typeof e.o !== 'number' || !Number.isSafeInteger(e.o) || e.o < 0) throw bad('o is not an outbox id');
  if (typeof e.r !== 'object' || e.r === null || Array.isArray(e.r)) throw bad('r is not an object');
  const r = e.r as Record<string, unknown>;
  const key = subject.slice(prefix.length);
  if (e.t === '_lead') {
    if (e.op !== 'lead' || key !== '_lead') throw bad('a lead marker has op "lead" on subject _lead');
    exactKeys(r, ['node'], 'the marker');
    if (typeof r.node !== 'string' || r.node.length > 256) throw bad('node is not text of at most 256 characters');
    return { w: e.w, o: e.o, t: '_lead', op: 'lead', node: r.node, key: '_lead' };
  }
  if (typeof e.t !== 'string' || !Object.hasOwn(TABLES, e.t)) throw bad(`table ${JSON.stringify(e.t)} is not replicated`);
  const spec = TABLES[e.t];
  if (e.op === 'del') {
    if (!spec.del) throw bad(`rows of ${e.t} are not deleted through the stream`);
    exactKeys(r, [spec.pk], 'a delete');
    const id = column(e.t, spec.pk, spec.cols[spec.pk], r[spec.pk]) as number;
    if (key !== `${e.t}.${id}`) throw bad(`subject ${subject} does not name ${e.t} ${id}`);
    return { w: e.w, o: e.o, t: e.t, op: 'del', row: { [spec.pk]: id }, key };
  }
  if (e.op !== 'put') throw bad(`op ${JSON.stringify(e.op)} is not put, del or lead`);
  exactKeys(r, Object.keys(spec.cols), `a row of ${e.t}`);
  const row: Record<string, number | string | Buffer | null> = {};
  for (const [name, c] of Object.entries(spec.cols)) row[name] = column(e.t, name, c, r[name]);
  if (key !== `${e.t}.${keyOf(e.t, row)}`) throw bad(`subject ${subject} does not name the row's key`);
  return { w: e.w, o: e.o, t: e.t, op: 'put', row, key };
}

/**
 * Copies every row of the replicated tables into the outbox (with capture on: an UPDATE that
 * changes nothing still fires the trigger), for a leader that starts a new data stream with a
 * file that already has data (a server that did not replicate before). Returns the rows copied.
 */
export function seedOutbox(db: Database.Database): number {
  let n = 0;
  db.transaction(() => {
    for (const [t, spec] of Object.entries(TABLES)) n += db.prepare(`UPDATE ${t} SET ${spec.pk} = ${spec.pk}`).run().changes;
  }).immediate();
  return n;
}

/** Applies checked records to a SQLite file: prepared statements per table. */
export class RecordApplier {
  private readonly put = new Map<string, Database.Statement>();
  private readonly del = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    for (const [t, spec] of Object.entries(TABLES)) {
      const cols = Object.keys(spec.cols);
      this.put.set(t, db.prepare(`INSERT OR REPLACE INTO ${t} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`));
      if (spec.del) this.del.set(t, db.prepare(`DELETE FROM ${t} WHERE ${spec.pk} = ?`));
    }
  }

  /** Writes `r` (a row image replaces the row with its key; a marker changes nothing). Call inside a transaction. */
  apply(r: DataRecord): void {
    if (r.op === 'lead') return;
    if (r.op === 'del') {
      this.del.get(r.t)?.run(r.row[TABLES[r.t].pk]);
      return;
    }
    this.put.get(r.t)?.run(...Object.keys(TABLES[r.t].cols).map((c) => r.row[c]));
  }
}
