/**
 * The embedded store: one SQLite file (better-sqlite3) next to the server.
 *
 *   journal_mode = WAL      readers do not block the writer; a crash keeps every committed
 *                           transaction (the WAL is replayed at the next open)
 *   synchronous = FULL      each commit is fsynced before it returns: anything acknowledged to
 *                           a user after a commit survives power loss (invariant 4); except a
 *                           log row of a tick with no events (appendTick: not synced, and
 *                           with nobody connected written 20 ticks at a time): see there
 *   foreign_keys = ON, busy_timeout = 5000 ms; write transactions BEGIN IMMEDIATE (see transaction())
 *
 * Schema versions and upgrades: migrations.ts. The game services use the narrow interfaces in
 * store.ts; this class implements them with prepared statements.
 */
import Database from 'better-sqlite3';
import { migrate, PersistError } from './migrations';
import type {
  AccountRecord,
  AccountStore,
  AccountSummary,
  AdminRecord,
  AdminStore,
  ArtifactRecord,
  ArtifactStore,
  AvatarRecord,
  AvatarStore,
  ChatRecord,
  ChatStore,
  LoginRecord,
  ScriptRecord,
  ScriptSourceStore,
  SessionRecord,
  WorldLogStore,
  StoredSnapshot,
} from './store';
import type { StreamEvent } from '../protocol/messages';
import type { CarriedScript } from '../sim/event-bodies';
import type { PruneCounts, PruneCutoffs, Prunable } from './retention';

/** Options of SqliteStore.open. */
export interface SqliteOptions {
  /** Fsync every commit (default true). Tests of throughput may turn it off; nothing acknowledged may rely on it then. */
  durable?: boolean;
}

/** Empty ticks appendTick holds back at most (deferrable ones: nobody connected), then commits together: 1 s at 20 Hz. */
export const DEFERRED_TICKS = 20;

/** The SQLite implementation of the store interfaces. */
export class SqliteStore implements AccountStore, WorldLogStore, AvatarStore, ArtifactStore, ChatStore, AdminStore, ScriptSourceStore, Prunable {
  private readonly st: Record<string, Database.Statement>;
  /** Rows of deferrable empty ticks not yet written, oldest first (appendTick). */
  private deferred: Array<[string, number, string]> = [];
  /** Commits of log rows (appendTick): one per written tick, one per batch of deferred empty ticks. A work counter. */
  logCommits = 0;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
    /** Commits are fsynced (synchronous = FULL; SqliteOptions.durable). */
    readonly durable = true,
  ) {
    const p = (sql: string): Database.Statement => db.prepare(sql);
    this.st = {
      syncNormal: p('PRAGMA synchronous = NORMAL'),
      syncFull: p('PRAGMA synchronous = FULL'),
      insertAccount: p('INSERT INTO accounts (name, password_hash, password_salt, password_params, role, created_ms) VALUES (?, ?, ?, ?, ?, ?)'),
      accountByName: p('SELECT * FROM accounts WHERE name = ?'),
      accountById: p('SELECT * FROM accounts WHERE id = ?'),
      touchLogin: p('UPDATE accounts SET last_login_ms = ? WHERE id = ?'),
      setRole: p('UPDATE accounts SET role = ? WHERE id = ?'),
      insertSession: p('INSERT INTO sessions (token_hash, account_id, created_ms, expires_ms) VALUES (?, ?, ?, ?)'),
      sessionByHash: p('SELECT * FROM sessions WHERE token_hash = ?'),
      revokeSession: p('UPDATE sessions SET revoked_ms = ? WHERE token_hash = ? AND revoked_ms IS NULL'),
      revokeAll: p('UPDATE sessions SET revoked_ms = ? WHERE account_id = ? AND revoked_ms IS NULL'),
      insertLogin: p('INSERT INTO login_records (at_ms, name, address, ok, reason) VALUES (?, ?, ?, ?, ?)'),
      recentLogins: p('SELECT * FROM login_records WHERE name = ? ORDER BY id DESC LIMIT ?'),
      appendTick: p('INSERT OR REPLACE INTO log_segments (stream, first_tick, last_tick, events) VALUES (?, ?, ?, ?)'),
      ticksFrom: p('SELECT first_tick, events FROM log_segments WHERE stream = ? AND first_tick >= ? ORDER BY first_tick'),
      lastTick: p('SELECT max(last_tick) AS t FROM log_segments WHERE stream = ?'),
      saveSnapshot: p('INSERT OR REPLACE INTO snapshots (stream, tick, hash, data, created_ms) VALUES (?, ?, ?, ?, ?)'),
      newestSnapshot: p('SELECT tick, hash, data, chunks FROM snapshots WHERE stream = ? ORDER BY tick DESC LIMIT 1'),
      snapshotChunks: p('SELECT seq, data FROM snapshot_chunks WHERE stream = ? AND tick = ? ORDER BY seq'),
      insertArtifact: p(`INSERT INTO artifacts (origin, remote_id, owner_id, master_id, rule, shape, physics, custom, stream, fetched_ms, updated_ms, script)
                         VALUES (@origin, @remoteId, @ownerId, @masterId, @rule, @shape, @physics, @custom, @stream, @fetchedMs, @updatedMs, @script)`),
      updateArtifact: p(`UPDATE artifacts SET owner_id = @ownerId, master_id = @masterId, rule = @rule, shape = @shape, physics = @physics,
                         custom = @custom, stream = @stream, fetched_ms = @fetchedMs, updated_ms = @updatedMs, script = @script WHERE id = @id`),
      artifact: p('SELECT * FROM artifacts WHERE id = ?'),
      artifactsOwnedBy: p("SELECT * FROM artifacts WHERE owner_id = ? AND origin = 'local' ORDER BY id"),
      artifactsIn: p("SELECT * FROM artifacts WHERE stream = ? AND origin = 'local' ORDER BY id"),
      deleteArtifact: p('DELETE FROM artifacts WHERE id = ?'),
      remoteArtifact: p('SELECT * FROM artifacts WHERE origin = ? AND remote_id = ?'),
      setBan: p('UPDATE accounts SET banned_until_ms = ?, ban_reason = ? WHERE id = ?'),
      listAccounts: p('SELECT id, name, role, created_ms, last_login_ms, banned_until_ms, ban_reason FROM accounts ORDER BY id'),
      ruleAccounts: p('SELECT id, role, created_ms, last_login_ms FROM accounts ORDER BY id'),
      insertChat: p('INSERT INTO chat_history (channel, tick, sender, text) VALUES (?, ?, ?, ?)'),
      chatPage: p('SELECT * FROM chat_history WHERE channel = ? AND id < ? ORDER BY id DESC LIMIT ?'),
      insertAdmin: p('INSERT INTO admin_records (at_ms, actor, action, detail) VALUES (?, ?, ?, ?)'),
      adminRecords: p('SELECT * FROM admin_records ORDER BY id DESC LIMIT ?'),
      saveAvatar: p('INSERT OR REPLACE INTO avatars (account_id, state, saved_ms) VALUES (?, ?, ?)'),
      loadAvatar: p('SELECT state, saved_ms FROM avatars WHERE account_id = ?'),
      oldSnapshots: p('SELECT tick FROM snapshots WHERE stream = ? ORDER BY tick DESC LIMIT -1 OFFSET ?'),
      deleteSnapshot: p('DELETE FROM snapshots WHERE stream = ? AND tick = ?'),
      deleteSnapshotChunks: p('DELETE FROM snapshot_chunks WHERE stream = ? AND tick = ?'),
      insertScript: p(`INSERT OR REPLACE INTO scripts (stream, object, tick, version, source, by_principal, by_admin, at_ms)
                       VALUES (@stream, @object, @tick, @version, @source, @byPrincipal, @byAdmin, @atMs)`),
      currentScript: p('SELECT * FROM scripts WHERE stream = ? AND object = ? ORDER BY tick DESC LIMIT 1'),
    };
  }

  /**
   * Opens (creating if needed) the database at `path` (':memory:' for tests), sets WAL and
   * durability, and migrates the schema. Throws PersistError SCHEMA_TOO_NEW for a newer file,
   * and better-sqlite3's SqliteError for a file that is not a database.
   */
  static open(path: string, opts: SqliteOptions = {}): SqliteStore {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.durable === false ? 'NORMAL' : 'FULL'}`);
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      migrate(db);
      return new SqliteStore(db, path, opts.durable !== false);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** `PRAGMA integrity_check` ('ok' when the file is sound). */
  integrityCheck(): string {
    return String(this.db.pragma('integrity_check', { simple: true }));
  }

  /** Closes the file (checkpoints the WAL), after writing the deferred empty ticks. */
  close(): void {
    if (this.db.open) this.flush();
    this.db.close();
  }

  // ---- AccountStore ----

  createAccount(a: Omit<AccountRecord, 'id' | 'lastLoginMs'>): AccountRecord {
    const r = this.st.insertAccount.run(a.name, a.passwordHash, a.passwordSalt, a.passwordParams, a.role, a.createdMs);
    return { ...a, id: Number(r.lastInsertRowid), lastLoginMs: null };
  }

  accountByName(name: string): AccountRecord | null {
    return toAccount(this.st.accountByName.get(name));
  }
  accountById(id: number): AccountRecord | null {
    return toAccount(this.st.accountById.get(id));
  }
  touchLogin(id: number, atMs: number): void {
    this.st.touchLogin.run(atMs, id);
  }
  setRole(id: number, role: string): void {
    this.st.setRole.run(role, id);
  }

  createSession(s: Omit<SessionRecord, 'revokedMs'>): void {
    this.st.insertSession.run(s.tokenHash, s.accountId, s.createdMs, s.expiresMs);
  }

  sessionByHash(tokenHash: Buffer): SessionRecord | null {
    const r = this.st.sessionByHash.get(tokenHash) as Record<string, unknown> | undefined;
    if (!r) return null;
    return {
      tokenHash: r.token_hash as Buffer,
      accountId: r.account_id as number,
      createdMs: r.created_ms as number,
      expiresMs: r.expires_ms as number,
      revokedMs: (r.revoked_ms as number | null) ?? null,
    };
  }

  revokeSession(tokenHash: Buffer, atMs: number): boolean {
    return this.st.revokeSession.run(atMs, tokenHash).changes > 0;
  }
  revokeAllSessions(accountId: number, atMs: number): number {
    return this.st.revokeAll.run(atMs, accountId).changes;
  }

  recordLogin(r: LoginRecord): void {
    this.st.insertLogin.run(r.atMs, r.name, r.address, r.ok ? 1 : 0, r.reason);
  }

  recentLogins(name: string, limit: number): LoginRecord[] {
    return (this.st.recentLogins.all(name, limit) as Array<Record<string, unknown>>).map((r) => ({
      atMs: r.at_ms as number,
      name: r.name as string,
      address: r.address as string,
      ok: r.ok === 1,
      reason: r.reason as string,
    }));
  }

  setBan(id: number, untilMs: number | null, reason: string | null): void {
    this.st.setBan.run(untilMs, reason, id);
  }

  listAccounts(): AccountSummary[] {
    return (this.st.listAccounts.all() as Array<Record<string, unknown>>).map((a) => ({
      id: a.id as number,
      name: a.name as string,
      role: a.role as string,
      createdMs: a.created_ms as number,
      lastLoginMs: (a.last_login_ms as number | null) ?? null,
      bannedUntilMs: (a.banned_until_ms as number | null) ?? null,
      banReason: (a.ban_reason as string | null) ?? null,
    }));
  }

  ruleAccounts(): Array<{ id: number; role: string; createdMs: number; lastLoginMs: number | null }> {
    return (this.st.ruleAccounts.all() as Array<Record<string, number | string | null>>).map((r) => ({
      id: r.id as number,
      role: r.role as string,
      createdMs: r.created_ms as number,
      lastLoginMs: (r.last_login_ms as number | null) ?? null,
    }));
  }

  // ---- ChatStore, AdminStore ----

  appendChat(lines: ReadonlyArray<Omit<ChatRecord, 'id'>>): void {
    if (lines.length)
      this.db
        .transaction(() => {
          for (const l of lines) this.st.insertChat.run(l.channel, l.tick, l.sender, l.text);
        })
        .immediate();
  }

  chatPage(channel: string, beforeId: number | null, limit: number): ChatRecord[] {
    return this.st.chatPage.all(channel, beforeId ?? Number.MAX_SAFE_INTEGER, limit) as ChatRecord[];
  }

  recordAdmin(rows: readonly AdminRecord[]): void {
    if (rows.length)
      this.db
        .transaction(() => {
          for (const r of rows) this.st.insertAdmin.run(r.atMs, r.actor, r.action, r.detail);
        })
        .immediate();
  }

  adminRecords(limit: number): AdminRecord[] {
    return (this.st.adminRecords.all(limit) as Array<Record<string, unknown>>).map((r) => ({
      atMs: r.at_ms as number,
      actor: r.actor as number,
      action: r.action as string,
      detail: r.detail as string,
    }));
  }

  // ---- WorldLogStore ----

  /**
   * The row of closed tick `tick`. A tick with events (or ids) commits with an fsync like every
   * other write. A tick without is committed without one (synchronous = NORMAL for this commit
   * alone), so an idle world does not sync its disk 20 times a second: such a tick holds no input
   * anyone sent, its row is in the WAL at once (a killed process keeps it), and only a power
   * loss can drop it. It drops a suffix, never a hole: WAL frames carry chained checksums (a
   * recovery keeps a prefix) and the next synced commit (the next tick with an event, a snapshot,
   * any other write) syncs the WAL and everything before it. Restore then resumes after the
   * last row kept: no input anyone sent is lost.
   *
   * `deferrable` (the caller's word that no client has seen or will see this tick before the
   * next append: nobody is connected) lets an empty tick wait in memory: up to DEFERRED_TICKS
   * of them are written in one commit (without fsync, as above), and they are written first
   * whenever anything else is (a tick with events or a non-deferrable one, a read of the log,
   * a snapshot, flush(), close()): the rows reach the file in tick order, a suffix at a time.
   * A killed process can then drop the last DEFERRED_TICKS - 1 empty ticks that nobody saw;
   * restore resumes after the last row kept, as after a power loss.
   */
  appendTick(
    stream: string,
    tick: number,
    events: readonly StreamEvent[],
    hash: string,
    ids: ReadonlyArray<readonly [string, number]> = [],
    deferrable = false,
  ): void {
    const body = JSON.stringify({ h: hash, e: events.map((e) => [e.type, e.origin, e.body]), ...(ids.length ? { ids } : {}) });
    const empty = events.length === 0 && ids.length === 0;
    if (empty && deferrable) {
      this.deferred.push([stream, tick, body]);
      if (this.deferred.length >= DEFERRED_TICKS) this.flush();
      return;
    }
    this.flush();
    this.logCommits++;
    if (!this.durable || !empty) {
      this.st.appendTick.run(stream, tick, tick, body);
      return;
    }
    this.st.syncNormal.run();
    try {
      this.st.appendTick.run(stream, tick, tick, body);
    } finally {
      this.st.syncFull.run();
    }
  }

  /** Writes the deferred empty ticks (appendTick) in one commit, without fsync (they hold no input). */
  flush(): void {
    if (this.deferred.length === 0) return;
    const rows = this.deferred;
    this.deferred = [];
    this.logCommits++;
    if (this.durable) this.st.syncNormal.run();
    try {
      this.db
        .transaction(() => {
          for (const [stream, tick, body] of rows) this.st.appendTick.run(stream, tick, tick, body);
        })
        .immediate();
    } finally {
      if (this.durable) this.st.syncFull.run();
    }
  }

  ticksFrom(stream: string, tick: number): Array<{ tick: number; events: StreamEvent[]; hash: string; ids: Array<[string, number]> }> {
    this.flush();
    return (this.st.ticksFrom.all(stream, tick) as Array<{ first_tick: number; events: string }>).map((r) => {
      const row = JSON.parse(r.events) as { h: string; e: Array<[string, number, string]>; ids?: Array<[string, number]> };
      return { tick: r.first_tick, hash: row.h, ids: row.ids ?? [], events: row.e.map(([type, origin, body]) => ({ tick: r.first_tick, type, origin, body })) };
    });
  }

  lastTick(stream: string): number | null {
    this.flush();
    const r = this.st.lastTick.get(stream) as { t: number | null };
    return r.t;
  }

  saveSnapshot(stream: string, tick: number, hash: string, data: Uint8Array, atMs: number, keep = 3): void {
    this.flush();
    this.db
      .transaction(() => {
        this.st.saveSnapshot.run(stream, tick, hash, data, atMs);
        for (const { tick: old } of this.st.oldSnapshots.all(stream, keep) as Array<{ tick: number }>) {
          this.st.deleteSnapshot.run(stream, old);
          this.st.deleteSnapshotChunks.run(stream, old);
        }
      })
      .immediate();
  }

  newestSnapshot(stream: string): StoredSnapshot | null {
    // one read transaction: the header and its chunks from the same state of the file
    return this.db.transaction(() => {
      const r = this.st.newestSnapshot.get(stream) as { tick: number; hash: string; data: Buffer; chunks: number } | undefined;
      if (!r) return null;
      let data = r.data;
      if (r.chunks > 0) {
        const rows = this.st.snapshotChunks.all(stream, r.tick) as Array<{ seq: number; data: Buffer }>;
        if (rows.length !== r.chunks || rows.some((c, i) => c.seq !== i)) {
          throw new PersistError(
            'CORRUPT',
            `snapshot ${stream}@${r.tick} has ${rows.length} of ${r.chunks} chunks: the file was changed outside Tessera; restore a backup`,
          );
        }
        data = Buffer.concat(rows.map((c) => c.data));
      }
      return { tick: r.tick, hash: r.hash, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    })();
  }

  /**
   * Turns this connection's automatic WAL checkpoints off, for when a SnapshotWriter (which
   * checkpoints after each snapshot) shares the file: a checkpoint must not land on the tick
   * thread's next commit.
   */
  handOverCheckpoints(): void {
    this.db.pragma('wal_autocheckpoint = 0');
  }

  // ---- ScriptSourceStore ----

  recordScripts(rows: readonly ScriptRecord[]): void {
    if (rows.length)
      this.db
        .transaction(() => {
          for (const r of rows) this.st.insertScript.run({ ...r, byAdmin: r.byAdmin ? 1 : 0 });
        })
        .immediate();
  }

  currentScript(stream: string, object: string): ScriptRecord | null {
    const r = this.st.currentScript.get(stream, object) as Record<string, unknown> | undefined;
    if (!r) return null;
    return {
      stream: r.stream as string,
      object: r.object as string,
      tick: r.tick as number,
      version: r.version as number,
      source: r.source as string,
      byPrincipal: r.by_principal as number,
      byAdmin: r.by_admin === 1,
      atMs: r.at_ms as number,
    };
  }

  // ---- AvatarStore ----

  saveAvatar(a: AvatarRecord): void {
    this.st.saveAvatar.run(a.accountId, JSON.stringify({ position: a.position }), a.savedMs);
  }

  loadAvatar(accountId: number): AvatarRecord | null {
    const r = this.st.loadAvatar.get(accountId) as { state: string; saved_ms: number } | undefined;
    if (!r) return null;
    const st = JSON.parse(r.state) as { position: [number, number, number] };
    return { accountId, position: st.position, savedMs: r.saved_ms };
  }

  // ---- ArtifactStore ----

  createArtifact(a: Omit<ArtifactRecord, 'id'>): ArtifactRecord {
    const r = this.st.insertArtifact.run(artifactRow(a));
    return { ...a, id: Number(r.lastInsertRowid) };
  }

  artifact(id: number): ArtifactRecord | null {
    return toArtifact(this.st.artifact.get(id));
  }

  updateArtifacts(rows: readonly ArtifactRecord[]): void {
    this.db
      .transaction(() => {
        for (const a of rows) this.st.updateArtifact.run({ ...artifactRow(a), id: a.id });
      })
      .immediate();
  }

  artifactsOwnedBy(accountId: number): ArtifactRecord[] {
    return this.st.artifactsOwnedBy.all(accountId).map((r) => toArtifact(r) as ArtifactRecord);
  }
  artifactsIn(stream: string): ArtifactRecord[] {
    return this.st.artifactsIn.all(stream).map((r) => toArtifact(r) as ArtifactRecord);
  }
  deleteArtifact(id: number): boolean {
    return this.st.deleteArtifact.run(id).changes > 0;
  }
  remoteArtifact(origin: string, remoteId: number): ArtifactRecord | null {
    return toArtifact(this.st.remoteArtifact.get(origin, remoteId));
  }

  cacheRemoteArtifact(a: Omit<ArtifactRecord, 'id'>): ArtifactRecord {
    if (a.origin === 'local' || a.remoteId === null) throw new PersistError('BAD_VALUE', 'a cached remote record needs its origin node and its id there');
    return this.db
      .transaction(() => {
        const old = this.remoteArtifact(a.origin, a.remoteId as number);
        if (!old) return this.createArtifact(a);
        const rec = { ...a, id: old.id };
        this.st.updateArtifact.run({ ...artifactRow(rec), id: old.id });
        return rec;
      })
      .immediate();
  }

  // ---- retention ----

  /**
   * Deletes what is older than the cutoffs (retention.ts), in batches of `batch` rows, each its
   * own short transaction (the tick thread calls this: no single stall is long):
   *  - world log: per stream, the ticks before both the newest snapshot (a restore never needs
   *    them) and the newest snapshot mark at or before `worldLogBeforeMs` (marks are hourly,
   *    so a tick goes up to an hour after it came of age);
   *  - chat lines of `chatStream` before the newest mark at or before `chatBeforeMs`;
   *  - admin records and login records before their cutoff; sessions that expired before the
   *    login cutoff;
   *  - snapshot marks older than every cutoff but the newest of them (the boundary).
   * A cutoff left out keeps everything of its kind. Returns the rows deleted.
   */
  prune(c: PruneCutoffs, batch = 2000): PruneCounts {
    const out: PruneCounts = { logTicks: 0, chatLines: 0, adminRecords: 0, loginRecords: 0, sessions: 0, marks: 0 };
    const db = this.db;
    const drain = (sql: string, ...args: unknown[]): number => {
      const st = db.prepare(sql);
      let n = 0;
      for (;;) {
        const k = st.run(...args, batch).changes;
        n += k;
        if (k < batch) return n;
      }
    };
    const markAtOrBefore = db.prepare('SELECT max(tick) AS t FROM snapshot_marks WHERE stream = ? AND at_ms <= ?');
    if (c.worldLogBeforeMs !== undefined) {
      for (const { stream } of db.prepare('SELECT DISTINCT stream FROM snapshot_marks').all() as Array<{ stream: string }>) {
        const aged = (markAtOrBefore.get(stream, c.worldLogBeforeMs) as { t: number | null }).t;
        const newest = (db.prepare('SELECT max(tick) AS t FROM snapshots WHERE stream = ?').get(stream) as { t: number | null }).t;
        if (aged === null || newest === null) continue;
        out.logTicks += drain(
          'DELETE FROM log_segments WHERE rowid IN (SELECT rowid FROM log_segments WHERE stream = ? AND first_tick < ? LIMIT ?)',
          stream,
          Math.min(aged, newest),
        );
      }
    }
    if (c.chatBeforeMs !== undefined) {
      const aged = (markAtOrBefore.get(c.chatStream ?? 'world', c.chatBeforeMs) as { t: number | null }).t;
      if (aged !== null) out.chatLines = drain('DELETE FROM chat_history WHERE id IN (SELECT id FROM chat_history WHERE tick < ? LIMIT ?)', aged);
    }
    if (c.adminBeforeMs !== undefined)
      out.adminRecords = drain('DELETE FROM admin_records WHERE id IN (SELECT id FROM admin_records WHERE at_ms < ? LIMIT ?)', c.adminBeforeMs);
    if (c.loginBeforeMs !== undefined) {
      out.loginRecords = drain('DELETE FROM login_records WHERE id IN (SELECT id FROM login_records WHERE at_ms < ? LIMIT ?)', c.loginBeforeMs);
      out.sessions = drain('DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE expires_ms < ? LIMIT ?)', c.loginBeforeMs);
    }
    // marks: those before the oldest cutoff that uses them, keeping the newest such mark per stream
    const used = [c.worldLogBeforeMs, c.chatBeforeMs].filter((x): x is number => x !== undefined);
    if (used.length) {
      out.marks = db
        .prepare(
          `DELETE FROM snapshot_marks WHERE at_ms < ? AND tick < (SELECT max(m.tick) FROM snapshot_marks m WHERE m.stream = snapshot_marks.stream AND m.at_ms <= ?)`,
        )
        .run(Math.min(...used), Math.min(...used)).changes;
    }
    return out;
  }

  /**
   * Runs `fn` in one write transaction (committed durably when it returns, rolled back if it
   * throws). BEGIN IMMEDIATE: the write lock is taken first, waiting up to busy_timeout for
   * another connection (the snapshot writer thread). A deferred transaction that reads and then
   * writes fails at once with SQLITE_BUSY_SNAPSHOT when another connection committed in between
   * (WAL mode; https://www.sqlite.org/lang_transaction.html): a registration answered 500 in CI.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}

function toAccount(r: unknown): AccountRecord | null {
  if (!r) return null;
  const a = r as Record<string, unknown>;
  return {
    id: a.id as number,
    name: a.name as string,
    passwordHash: a.password_hash as Buffer,
    passwordSalt: a.password_salt as Buffer,
    passwordParams: a.password_params as string,
    role: a.role as string,
    createdMs: a.created_ms as number,
    lastLoginMs: (a.last_login_ms as number | null) ?? null,
    bannedUntilMs: (a.banned_until_ms as number | null) ?? null,
    banReason: (a.ban_reason as string | null) ?? null,
  };
}

function artifactRow(a: Omit<ArtifactRecord, 'id'>): Record<string, unknown> {
  return {
    origin: a.origin,
    remoteId: a.remoteId,
    ownerId: a.ownerId,
    masterId: a.masterId,
    rule: a.rule,
    shape: JSON.stringify({ ...a.shape, mass: a.mass }),
    physics: JSON.stringify({ position: a.position, velocity: a.velocity }),
    custom: a.custom,
    stream: a.stream,
    fetchedMs: a.fetchedMs,
    updatedMs: a.updatedMs,
    script: a.script ? JSON.stringify(a.script) : null,
  };
}

function toArtifact(r: unknown): ArtifactRecord | null {
  if (!r) return null;
  const a = r as Record<string, unknown>;
  const { mass, ...shape } = JSON.parse(a.shape as string) as ArtifactRecord['shape'] & { mass: number };
  const ph = JSON.parse(a.physics as string) as { position: [number, number, number]; velocity: [number, number, number] };
  return {
    id: a.id as number,
    origin: a.origin as string,
    remoteId: (a.remote_id as number | null) ?? null,
    ownerId: (a.owner_id as number | null) ?? null,
    masterId: (a.master_id as number | null) ?? null,
    rule: a.rule as ArtifactRecord['rule'],
    shape: shape as ArtifactRecord['shape'],
    mass,
    position: ph.position,
    velocity: ph.velocity,
    custom: a.custom as string,
    stream: (a.stream as string | null) ?? null,
    fetchedMs: (a.fetched_ms as number | null) ?? null,
    updatedMs: a.updated_ms as number,
    script: typeof a.script === 'string' ? (JSON.parse(a.script) as CarriedScript) : null,
  };
}
