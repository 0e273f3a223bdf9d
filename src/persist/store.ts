/**
 * The store's interfaces, one per concern, so game services depend on what they use and a
 * second implementation (another database, a remote node's cache) can stand in. The SQLite
 * implementation is sqlite-store.ts. Times are clock milliseconds (the services' injectable
 * clock), ids are integers.
 */

import type { StreamEvent } from '../protocol/messages';
import type { CarriedScript } from '../sim/event-bodies';

/** An account row. The password is kept only as scrypt(password, salt) with its parameters. */
export interface AccountRecord {
  id: number;
  /** Unique, case-insensitive. */
  name: string;
  passwordHash: Buffer;
  passwordSalt: Buffer;
  /** JSON of the scrypt parameters used ({N, r, p, keylen}), so the cost can be raised later. */
  passwordParams: string;
  /** 'player', 'moderator' or 'admin'. */
  role: string;
  createdMs: number;
  lastLoginMs: number | null;
  /** Banned until this time (ms), or null. */
  bannedUntilMs?: number | null;
  banReason?: string | null;
}

/** An account as an operator lists it: everything but the password fields. */
export type AccountSummary = Omit<AccountRecord, 'passwordHash' | 'passwordSalt' | 'passwordParams'>;

/** A session: the SHA-256 of its bearer token (the token is never stored), owner, lifetime. */
export interface SessionRecord {
  tokenHash: Buffer;
  accountId: number;
  createdMs: number;
  expiresMs: number;
  revokedMs: number | null;
}

/** One login attempt (audit, and the brute-force limit's evidence). */
export interface LoginRecord {
  atMs: number;
  name: string;
  address: string;
  ok: boolean;
  reason: string;
}

/** Accounts, sessions and login records. */
export interface AccountStore {
  /** Throws on a duplicate name (the caller checks first inside a transaction). */
  createAccount(a: Omit<AccountRecord, 'id' | 'lastLoginMs'>): AccountRecord;
  accountByName(name: string): AccountRecord | null;
  accountById(id: number): AccountRecord | null;
  touchLogin(id: number, atMs: number): void;
  setRole(id: number, role: string): void;
  createSession(s: Omit<SessionRecord, 'revokedMs'>): void;
  sessionByHash(tokenHash: Buffer): SessionRecord | null;
  /** False when the session did not exist or was already revoked. */
  revokeSession(tokenHash: Buffer, atMs: number): boolean;
  revokeAllSessions(accountId: number, atMs: number): number;
  recordLogin(r: LoginRecord): void;
  recentLogins(name: string, limit: number): LoginRecord[];
  /** Bans an account until `untilMs` (null lifts the ban). */
  setBan(id: number, untilMs: number | null, reason: string | null): void;
  /** Every account without its password fields, by id (the operator's `tessera accounts list`). */
  listAccounts(): AccountSummary[];
  /** Every account's id, role, creation and last login (the temporary-admin rule's input). */
  ruleAccounts(): Array<{ id: number; role: string; createdMs: number; lastLoginMs: number | null }>;
  transaction<T>(fn: () => T): T;
}

/** A stored chat line: channel key ('world', 'group:NAME', 'private:A:B'), tick, sender principal (0 = the server), text. */
export interface ChatRecord {
  id: number;
  channel: string;
  tick: number;
  sender: number;
  text: string;
}

/** Chat history, paged newest first. */
export interface ChatStore {
  appendChat(lines: ReadonlyArray<Omit<ChatRecord, 'id'>>): void;
  /** Up to `limit` lines of `channel` with id < `beforeId` (all when null), newest first. */
  chatPage(channel: string, beforeId: number | null, limit: number): ChatRecord[];
}

/** An audited admin action: when (ms), who (principal), what, and a JSON detail (tick, args, outcome). */
export interface AdminRecord {
  atMs: number;
  actor: number;
  action: string;
  detail: string;
}

/** Admin records. */
export interface AdminStore {
  recordAdmin(rows: readonly AdminRecord[]): void;
  /** The newest `limit` records, newest first. */
  adminRecords(limit: number): AdminRecord[];
}

/** A stored world snapshot: the stream's open tick when it was taken, the sim hash (hex), the bytes. */
export interface StoredSnapshot {
  tick: number;
  hash: string;
  data: Uint8Array;
}

/**
 * The world's event log (one row per closed tick, empty ticks included, so the tick count is
 * exact) and its snapshots. appendTick is called before the tick is sent to clients: an event a
 * client has seen is durable.
 */
/** One accepted script attach, replace or detach (table scripts, migration 7). */
export interface ScriptRecord {
  stream: string;
  /** Body handle "slot:generation". */
  object: string;
  tick: number;
  version: number;
  /** Source text; '' = detached. */
  source: string;
  /** Principal that attached it: account id, or minus a guest's public id. */
  byPrincipal: number;
  byAdmin: boolean;
  atMs: number;
}

/** Where script sources are kept for fetching (src/script/world-scripts.ts). */
export interface ScriptSourceStore {
  /** Appends accepted attaches (one transaction). */
  recordScripts(rows: readonly ScriptRecord[]): void;
  /** The newest record of an object's script in a stream, or null (never attached). */
  currentScript(stream: string, object: string): ScriptRecord | null;
}

export interface WorldLogStore {
  /**
   * Stores closed tick `tick`: its events, the sim hash after it (hex), and [private id, public id]
   * of clients that joined in it. `deferrable`: no client has seen the tick or will before the
   * next append (nobody connected), so a tick without events may be written later, with the next
   * ones (a killed process may then lose such a suffix of empty ticks; see SqliteStore.appendTick).
   */
  appendTick(
    stream: string,
    tick: number,
    events: readonly StreamEvent[],
    hash: string,
    ids?: ReadonlyArray<readonly [string, number]>,
    deferrable?: boolean,
  ): void;
  /** Writes what appendTick deferred (optional: a store that defers nothing needs none). */
  flush?(): void;
  /** Closed ticks >= tick, ascending, with their events in log order, the hash after each and the ids of clients that joined. */
  ticksFrom(stream: string, tick: number): Array<{ tick: number; events: StreamEvent[]; hash: string; ids: Array<[string, number]> }>;
  /** The newest closed tick stored, or null. */
  lastTick(stream: string): number | null;
  /** Stores a snapshot and keeps the newest `keep`. */
  saveSnapshot(stream: string, tick: number, hash: string, data: Uint8Array, atMs: number, keep?: number): void;
  newestSnapshot(stream: string): StoredSnapshot | null;
}

/** An account's avatar between sessions: where it was (m) when it left. */
export interface AvatarRecord {
  accountId: number;
  position: [number, number, number];
  savedMs: number;
}

/** Avatars per account. */
export interface AvatarStore {
  saveAvatar(a: AvatarRecord): void;
  loadAvatar(accountId: number): AvatarRecord | null;
}

/** Where a record comes from (seed 001): this node, or the base URL of the remote node it was fetched from. */
export type RecordOrigin = 'local' | string;

/**
 * An artifact: an object a player owns or built (seed 003), with its ownership data (seed 002)
 * and its physics state as of the last sync (the exact state is in the world snapshot).
 * Remote records (origin not 'local') are a cache of another node's record: `remoteId` is its id
 * there and `fetchedMs` when it was last fetched; they are refreshed, never edited here.
 */
export interface ArtifactRecord {
  id: number;
  origin: RecordOrigin;
  remoteId: number | null;
  ownerId: number | null;
  masterId: number | null;
  rule: 'ask' | 'deny' | 'allow';
  /** Shape and mass: {kind: 'sphere', radius} | {kind: 'capsule', radius, halfHeight}, m; mass kg. */
  shape: { kind: 'sphere'; radius: number } | { kind: 'capsule'; radius: number; halfHeight: number };
  mass: number;
  /** Position (m) and velocity (m/s) at the last sync. */
  position: [number, number, number];
  velocity: [number, number, number];
  /** Game data, JSON text. */
  custom: string;
  /** The world stream it is placed in, or null when it is held (not in any world). */
  stream: string | null;
  fetchedMs: number | null;
  updatedMs: number;
  /**
   * The script its body had when it was last taken out of a world or synced (migration 9), carried
   * back in by the next '_ar'; null or absent: none (src/sim/event-bodies.ts CarriedScript).
   */
  script?: CarriedScript | null;
}

/** Artifacts. */
export interface ArtifactStore {
  createArtifact(a: Omit<ArtifactRecord, 'id'>): ArtifactRecord;
  artifact(id: number): ArtifactRecord | null;
  /** Rewrites the given records (by id) in one transaction. */
  updateArtifacts(rows: readonly ArtifactRecord[]): void;
  artifactsOwnedBy(accountId: number): ArtifactRecord[];
  /** Local artifacts placed in `stream`, by id. */
  artifactsIn(stream: string): ArtifactRecord[];
  deleteArtifact(id: number): boolean;
  /** The cached copy of a remote record, or null. */
  remoteArtifact(origin: string, remoteId: number): ArtifactRecord | null;
  /** Inserts or refreshes the cached copy of a remote record (matched by origin and remote id). */
  cacheRemoteArtifact(a: Omit<ArtifactRecord, 'id'>): ArtifactRecord;
}
