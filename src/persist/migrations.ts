/**
 * Schema migrations of the SQLite store. The schema version is SQLite's `PRAGMA user_version`;
 * migration k takes version k-1 to k. At open, every migration above the file's version runs
 * in one transaction (all or nothing); a file with a newer version than this build knows is
 * refused (PersistError SCHEMA_TOO_NEW) instead of being written by code that does not know
 * its tables.
 *
 * Migrations are append-only: a released one is never edited (a test keeps version 1's DDL
 * to upgrade from).
 */
import type { Database } from 'better-sqlite3';

/** An error of the store: `code` is a stable word, `message` says what to do. */
export class PersistError extends Error {
  constructor(
    readonly code: 'SCHEMA_TOO_NEW' | 'NOT_FOUND' | 'CONFLICT' | 'BAD_VALUE' | 'CORRUPT',
    message: string,
  ) {
    super(message);
    this.name = 'PersistError';
  }
}

/** Migration k (index k - 1) takes the schema from version k - 1 to k. */
export const MIGRATIONS: readonly string[] = [
  // 1: accounts, sessions, login records
  `CREATE TABLE accounts (
     id INTEGER PRIMARY KEY,
     name TEXT NOT NULL UNIQUE COLLATE NOCASE,
     password_hash BLOB NOT NULL,      -- scrypt output
     password_salt BLOB NOT NULL,
     password_params TEXT NOT NULL,    -- JSON {N, r, p, keylen}
     role TEXT NOT NULL DEFAULT 'player',
     created_ms INTEGER NOT NULL,
     last_login_ms INTEGER
   );
   CREATE TABLE sessions (
     token_hash BLOB PRIMARY KEY,      -- SHA-256 of the token; the token itself is never stored
     account_id INTEGER NOT NULL REFERENCES accounts(id),
     created_ms INTEGER NOT NULL,
     expires_ms INTEGER NOT NULL,
     revoked_ms INTEGER
   );
   CREATE INDEX sessions_account ON sessions(account_id);
   CREATE TABLE login_records (
     id INTEGER PRIMARY KEY,
     at_ms INTEGER NOT NULL,
     name TEXT NOT NULL,
     address TEXT NOT NULL,
     ok INTEGER NOT NULL,
     reason TEXT NOT NULL
   );`,
  // 2: avatars, artifacts, world snapshots, event-log segments, chat history, admin records
  `CREATE TABLE avatars (
     account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
     state TEXT NOT NULL,              -- JSON: position, velocity (raw Q47.16 as decimal strings), custom
     saved_ms INTEGER NOT NULL
   );
   CREATE TABLE artifacts (
     id INTEGER PRIMARY KEY,
     origin TEXT NOT NULL DEFAULT 'local',   -- 'local' or the remote node it was fetched from
     owner_id INTEGER REFERENCES accounts(id),
     master_id INTEGER REFERENCES accounts(id),
     rule TEXT NOT NULL DEFAULT 'ask',        -- ask | deny | allow (seed 002)
     shape TEXT NOT NULL,                     -- JSON
     physics TEXT NOT NULL,                   -- JSON (raw record fields)
     custom TEXT NOT NULL DEFAULT '{}',
     fetched_ms INTEGER,                      -- remote records: when the cache was refreshed
     updated_ms INTEGER NOT NULL
   );
   CREATE TABLE snapshots (
     stream TEXT NOT NULL,
     tick INTEGER NOT NULL,
     hash TEXT NOT NULL,
     data BLOB NOT NULL,
     created_ms INTEGER NOT NULL,
     PRIMARY KEY (stream, tick)
   );
   CREATE TABLE log_segments (
     stream TEXT NOT NULL,
     first_tick INTEGER NOT NULL,
     last_tick INTEGER NOT NULL,
     events TEXT NOT NULL,                    -- JSON array of {tick, type, origin, body}
     PRIMARY KEY (stream, first_tick)
   );
   CREATE TABLE chat_history (
     id INTEGER PRIMARY KEY,
     channel TEXT NOT NULL,
     tick INTEGER NOT NULL,
     sender INTEGER NOT NULL,
     text TEXT NOT NULL
   );
   CREATE INDEX chat_channel ON chat_history(channel, id);
   CREATE TABLE admin_records (
     id INTEGER PRIMARY KEY,
     at_ms INTEGER NOT NULL,
     actor INTEGER NOT NULL,
     action TEXT NOT NULL,
     detail TEXT NOT NULL
   );`,
  // 3: snapshots written in chunks off the tick thread; artifacts fetched from other nodes
  `ALTER TABLE snapshots ADD COLUMN chunks INTEGER NOT NULL DEFAULT 0;   -- 0: the bytes are in data
   CREATE TABLE snapshot_chunks (
     stream TEXT NOT NULL,
     tick INTEGER NOT NULL,
     seq INTEGER NOT NULL,
     data BLOB NOT NULL,
     PRIMARY KEY (stream, tick, seq)
   );
   -- artifacts again: owner and master are account ids on the record's origin node, so a cached
   -- remote record cannot reference this node's accounts table
   CREATE TABLE artifacts_v3 (
     id INTEGER PRIMARY KEY,
     origin TEXT NOT NULL DEFAULT 'local',   -- 'local' or the base URL of the node it was fetched from
     remote_id INTEGER,                       -- its id on that node (remote records)
     owner_id INTEGER,                        -- account ids on the origin node; NULL: the world
     master_id INTEGER,
     rule TEXT NOT NULL DEFAULT 'ask' CHECK (rule IN ('ask', 'deny', 'allow')),
     shape TEXT NOT NULL,                     -- JSON {kind, radius, halfHeight?, mass}
     physics TEXT NOT NULL,                   -- JSON {position, velocity} at the last sync (m, m/s)
     custom TEXT NOT NULL DEFAULT '{}',
     stream TEXT,                             -- the world stream it is placed in; NULL: held, not placed
     fetched_ms INTEGER,                      -- remote records: when the cache was refreshed
     updated_ms INTEGER NOT NULL
   );
   INSERT INTO artifacts_v3 (id, origin, owner_id, master_id, rule, shape, physics, custom, fetched_ms, updated_ms)
     SELECT id, origin, owner_id, master_id, rule, shape, physics, custom, fetched_ms, updated_ms FROM artifacts;
   DROP TABLE artifacts;
   ALTER TABLE artifacts_v3 RENAME TO artifacts;
   CREATE UNIQUE INDEX artifacts_remote ON artifacts(origin, remote_id) WHERE remote_id IS NOT NULL;
   CREATE INDEX artifacts_owner ON artifacts(owner_id);
   CREATE INDEX artifacts_stream ON artifacts(stream);`,
  // 4: bans; chat history by sender principal; admin records with the stream tick
  `ALTER TABLE accounts ADD COLUMN banned_until_ms INTEGER;
   ALTER TABLE accounts ADD COLUMN ban_reason TEXT;
   CREATE INDEX admin_records_at ON admin_records(at_ms);`,
  // 5: retention (retention.ts). Snapshot marks say when a tick was reached (at most one an hour
  // per stream, written by a trigger whichever connection saves the snapshot, and kept after the
  // snapshot itself is gone), so the log and chat lines, which carry ticks, can be aged.
  `CREATE TABLE snapshot_marks (
     stream TEXT NOT NULL,
     tick INTEGER NOT NULL,
     at_ms INTEGER NOT NULL,
     PRIMARY KEY (stream, tick)
   );
   INSERT OR IGNORE INTO snapshot_marks (stream, tick, at_ms) SELECT stream, tick, created_ms FROM snapshots;
   CREATE TRIGGER snapshots_mark AFTER INSERT ON snapshots
     WHEN NOT EXISTS (SELECT 1 FROM snapshot_marks WHERE stream = new.stream AND at_ms > new.created_ms - 3600000)
     BEGIN INSERT OR REPLACE INTO snapshot_marks (stream, tick, at_ms) VALUES (new.stream, new.tick, new.created_ms); END;
   CREATE INDEX login_records_at ON login_records(at_ms);
   CREATE INDEX chat_tick ON chat_history(tick);
   CREATE INDEX sessions_expires ON sessions(expires_ms);`,
  // 6: the data stream of a replicated world (src/replica/data-replication.ts). While this node
  // leads (data_state.capture = 1) a trigger copies every written row of the durable tables into
  // the outbox, in the writing transaction, as a JSON row image (blobs in hex); the leader sends
  // the outbox to JetStream in id order and deletes what was stored. Deletes are captured for
  // artifacts only: the other tables lose rows to retention, which every node runs itself.
  // data_applied: the last sequence of each world's data stream this file holds.
  `CREATE TABLE data_outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     tbl TEXT NOT NULL,
     op TEXT NOT NULL,                        -- put | del
     row TEXT NOT NULL                        -- JSON row image (del: the primary key)
   );
   CREATE TABLE data_state (
     writer TEXT NOT NULL,                    -- this file's random id (the records it sends carry it)
     capture INTEGER NOT NULL DEFAULT 0       -- 1 while this node leads a replicated world
   );
   INSERT INTO data_state (writer, capture) VALUES (lower(hex(randomblob(8))), 0);
   CREATE TABLE data_applied (
     world TEXT PRIMARY KEY,
     seq INTEGER NOT NULL                     -- last stream sequence applied (or sent) here
   );
   CREATE TRIGGER data_accounts_insert AFTER INSERT ON accounts WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('accounts', 'put', json_object('id', new.id, 'name', new.name, 'password_hash', hex(new.password_hash), 'password_salt', hex(new.password_salt), 'password_params', new.password_params, 'role', new.role, 'created_ms', new.created_ms, 'last_login_ms', new.last_login_ms, 'banned_until_ms', new.banned_until_ms, 'ban_reason', new.ban_reason)); END;
   CREATE TRIGGER data_accounts_update AFTER UPDATE ON accounts WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('accounts', 'put', json_object('id', new.id, 'name', new.name, 'password_hash', hex(new.password_hash), 'password_salt', hex(new.password_salt), 'password_params', new.password_params, 'role', new.role, 'created_ms', new.created_ms, 'last_login_ms', new.last_login_ms, 'banned_until_ms', new.banned_until_ms, 'ban_reason', new.ban_reason)); END;
   CREATE TRIGGER data_sessions_insert AFTER INSERT ON sessions WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('sessions', 'put', json_object('token_hash', hex(new.token_hash), 'account_id', new.account_id, 'created_ms', new.created_ms, 'expires_ms', new.expires_ms, 'revoked_ms', new.revoked_ms)); END;
   CREATE TRIGGER data_sessions_update AFTER UPDATE ON sessions WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('sessions', 'put', json_object('token_hash', hex(new.token_hash), 'account_id', new.account_id, 'created_ms', new.created_ms, 'expires_ms', new.expires_ms, 'revoked_ms', new.revoked_ms)); END;
   CREATE TRIGGER data_login_records_insert AFTER INSERT ON login_records WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('login_records', 'put', json_object('id', new.id, 'at_ms', new.at_ms, 'name', new.name, 'address', new.address, 'ok', new.ok, 'reason', new.reason)); END;
   CREATE TRIGGER data_login_records_update AFTER UPDATE ON login_records WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('login_records', 'put', json_object('id', new.id, 'at_ms', new.at_ms, 'name', new.name, 'address', new.address, 'ok', new.ok, 'reason', new.reason)); END;
   CREATE TRIGGER data_avatars_insert AFTER INSERT ON avatars WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('avatars', 'put', json_object('account_id', new.account_id, 'state', new.state, 'saved_ms', new.saved_ms)); END;
   CREATE TRIGGER data_avatars_update AFTER UPDATE ON avatars WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('avatars', 'put', json_object('account_id', new.account_id, 'state', new.state, 'saved_ms', new.saved_ms)); END;
   CREATE TRIGGER data_artifacts_insert AFTER INSERT ON artifacts WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('artifacts', 'put', json_object('id', new.id, 'origin', new.origin, 'remote_id', new.remote_id, 'owner_id', new.owner_id, 'master_id', new.master_id, 'rule', new.rule, 'shape', new.shape, 'physics', new.physics, 'custom', new.custom, 'stream', new.stream, 'fetched_ms', new.fetched_ms, 'updated_ms', new.updated_ms)); END;
   CREATE TRIGGER data_artifacts_update AFTER UPDATE ON artifacts WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('artifacts', 'put', json_object('id', new.id, 'origin', new.origin, 'remote_id', new.remote_id, 'owner_id', new.owner_id, 'master_id', new.master_id, 'rule', new.rule, 'shape', new.shape, 'physics', new.physics, 'custom', new.custom, 'stream', new.stream, 'fetched_ms', new.fetched_ms, 'updated_ms', new.updated_ms)); END;
   CREATE TRIGGER data_chat_history_insert AFTER INSERT ON chat_history WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('chat_history', 'put', json_object('id', new.id, 'channel', new.channel, 'tick', new.tick, 'sender', new.sender, 'text', new.text)); END;
   CREATE TRIGGER data_chat_history_update AFTER UPDATE ON chat_history WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('chat_history', 'put', json_object('id', new.id, 'channel', new.channel, 'tick', new.tick, 'sender', new.sender, 'text', new.text)); END;
   CREATE TRIGGER data_admin_records_insert AFTER INSERT ON admin_records WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('admin_records', 'put', json_object('id', new.id, 'at_ms', new.at_ms, 'actor', new.actor, 'action', new.action, 'detail', new.detail)); END;
   CREATE TRIGGER data_admin_records_update AFTER UPDATE ON admin_records WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('admin_records', 'put', json_object('id', new.id, 'at_ms', new.at_ms, 'actor', new.actor, 'action', new.action, 'detail', new.detail)); END;
   CREATE TRIGGER data_artifacts_delete AFTER DELETE ON artifacts WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('artifacts', 'del', json_object('id', old.id)); END;`,
  // 7: object scripts (issue 21, src/script/world-scripts.ts). One row per accepted attach, replace
  // or detach (source ''): the history of an object's script with its version, who attached it and
  // the tick. The world's truth is the log ('sa' events) and the snapshots; this table is what a
  // client or an admin fetches a script's source from without replaying the log.
  `CREATE TABLE scripts (
     stream TEXT NOT NULL,
     object TEXT NOT NULL,             -- body handle "slot:generation"
     tick INTEGER NOT NULL,            -- the tick of the 'sa' event
     version INTEGER NOT NULL,         -- 1, 2, ... per object while it stays scripted
     source TEXT NOT NULL,             -- '' = detached
     by_principal INTEGER NOT NULL,    -- account id, or minus a guest's public id
     by_admin INTEGER NOT NULL,        -- 1 when attached with the admin role
     at_ms INTEGER NOT NULL,
     PRIMARY KEY (stream, object, tick)
   );`,
  // 8: the scripts table joins the data stream of a replicated world (migration 6): while this node
  // leads, every written scripts row goes to the outbox as the other durable tables' rows do, so a
  // replica's file holds each attach as it happens (not only once it leads). The row's key on the
  // stream is its rowid (the table's own key has three columns); a replica writes the row with the
  // leader's rowid, INSERT OR REPLACE, so a re-recorded (stream, object, tick) replaces the old row.
  `CREATE TRIGGER data_scripts_insert AFTER INSERT ON scripts WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('scripts', 'put', json_object('rowid', new.rowid, 'stream', new.stream, 'object', new.object, 'tick', new.tick, 'version', new.version, 'source', new.source, 'by_principal', new.by_principal, 'by_admin', new.by_admin, 'at_ms', new.at_ms)); END;
   CREATE TRIGGER data_scripts_update AFTER UPDATE ON scripts WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('scripts', 'put', json_object('rowid', new.rowid, 'stream', new.stream, 'object', new.object, 'tick', new.tick, 'version', new.version, 'source', new.source, 'by_principal', new.by_principal, 'by_admin', new.by_admin, 'at_ms', new.at_ms)); END;`,
  // 9: a script kept with its artifact (issue 21: scripts belong to objects). While an artifact is
  // out of the world its row keeps the script its body had (src/persist/artifacts.ts take/sync):
  // JSON {src, v, by, adm, store, susp} (src/sim/event-bodies.ts CarriedScript), NULL without one;
  // placing it again carries the script in the '_ar' event. The artifacts triggers of migration 6
  // are rebuilt with the column, so the data stream replicates it with the row.
  `ALTER TABLE artifacts ADD COLUMN script TEXT;            -- CarriedScript JSON, or NULL
   DROP TRIGGER data_artifacts_insert;
   DROP TRIGGER data_artifacts_update;
   CREATE TRIGGER data_artifacts_insert AFTER INSERT ON artifacts WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('artifacts', 'put', json_object('id', new.id, 'origin', new.origin, 'remote_id', new.remote_id, 'owner_id', new.owner_id, 'master_id', new.master_id, 'rule', new.rule, 'shape', new.shape, 'physics', new.physics, 'custom', new.custom, 'stream', new.stream, 'fetched_ms', new.fetched_ms, 'updated_ms', new.updated_ms, 'script', new.script)); END;
   CREATE TRIGGER data_artifacts_update AFTER UPDATE ON artifacts WHEN (SELECT capture FROM data_state) = 1
     BEGIN INSERT INTO data_outbox (tbl, op, row) VALUES ('artifacts', 'put', json_object('id', new.id, 'origin', new.origin, 'remote_id', new.remote_id, 'owner_id', new.owner_id, 'master_id', new.master_id, 'rule', new.rule, 'shape', new.shape, 'physics', new.physics, 'custom', new.custom, 'stream', new.stream, 'fetched_ms', new.fetched_ms, 'updated_ms', new.updated_ms, 'script', new.script)); END;`,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings `db` to SCHEMA_VERSION: runs the missing migrations in one transaction. Returns the
 * version found before. Throws PersistError SCHEMA_TOO_NEW for a newer file (nothing changes).
 */
export function migrate(db: Database, upTo = SCHEMA_VERSION): number {
  const found = db.pragma('user_version', { simple: true }) as number;
  if (found > SCHEMA_VERSION) {
    throw new PersistError(
      'SCHEMA_TOO_NEW',
      `the database has schema version ${found}, this build knows up to ${SCHEMA_VERSION}: run a newer Tessera or restore a backup`,
    );
  }
  if (found >= upTo) return found;
  db.transaction(() => {
    for (let v = found + 1; v <= upTo; v++) {
      db.exec(MIGRATIONS[v - 1]);
      db.pragma(`user_version = ${v}`);
    }
  }).immediate();
  return found;
}
