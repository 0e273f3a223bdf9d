/**
 * Accounts and login: registration, password check, bearer-token sessions (expiry, refresh by
 * rotation, revocation), brute-force limits, a guest mode for the demo.
 *
 * Passwords: Node's scrypt (RFC 7914) with N = 2^15, r = 8, p = 1, a 64-byte key and a 16-byte
 * random salt (about 50 ms and 32 MiB per hash here); the parameters are stored with each hash.
 * A password must be well-formed UTF-16 (no lone surrogate: NFC and UTF-8 encoding would turn
 * every lone surrogate into U+FFFD, so different passwords would hash alike): BAD_VALUE otherwise.
 * Tokens: 32 random bytes, base64url; only their SHA-256 is stored, so a copy of the database
 * does not log anyone in. A token is only ever created by login or refresh (a client cannot
 * choose its session id: no session fixation); refresh revokes the old token.
 * Errors do not reveal whether an account exists: an unknown name and a wrong password both give
 * INVALID_CREDENTIALS, after the same scrypt work.
 *
 * Limits (token buckets in rate-buckets.ts: bounded, expiring, on the service's clock; an
 * address counts by its key, addressKey: IPv4 as is, IPv6 by its /64):
 *
 *   login, per address           perAddress (20, 20/min): every attempt from the address
 *   login, global                loginGlobal (100, 1,200/min): every attempt
 *   login, per (account, address) perAccountAddress (5, 0.5/min): failed attempts on one
 *                                account from one address. This is the lockout, and it is
 *                                keyed on the pair so that an attacker's failures never
 *                                lock the owner, who logs in from elsewhere.
 *   login, per account           perAccount (20, 2/min): failed attempts on the account from
 *                                anywhere (a spray from many addresses). When it is empty the
 *                                account is slowed down for addresses it has never been logged
 *                                into from (no successful login of this account from that
 *                                address key in its newest 50 login records); addresses the
 *                                owner used still get through.
 *   register, per address        registerPerAddress (10, 1/min)
 *   register, global             registerGlobal (20, 60/min)
 *   scrypt work                  at most maxHashing (2) hashes at once, maxHashQueue (64) waiting;
 *                                beyond that RATE_LIMITED (retry after 1 s) without any work
 *
 * A refused attempt is AuthError RATE_LIMITED with retryAfterMs and does no scrypt work; a
 * successful login gives its account's tokens back. Registration without an address (the
 * operator's CLI) is not limited.
 *
 * In a replicated world (`durable`, src/replica/data-stream.ts) register, login, refresh and
 * logout resolve only once their rows are stored in JetStream, and are refused with BUSY when
 * they cannot be (checkWritable, settled).
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { BucketMap, DEFAULT_MAX_BUCKETS, addressKey, type Budget } from './rate-buckets';
import type { AccountRecord, AccountStore, AccountSummary } from './store';
import { ERROR } from '../protocol/errors';

/** The error codes an AuthError carries (src/protocol/errors.ts ERROR). */
export type AuthErrorCode =
  | typeof ERROR.INVALID_CREDENTIALS
  | typeof ERROR.RATE_LIMITED
  | typeof ERROR.BAD_VALUE
  | typeof ERROR.TAKEN
  | typeof ERROR.BANNED
  | typeof ERROR.BUSY;

/** An authentication failure: `code` (ERROR.INVALID_CREDENTIALS, RATE_LIMITED, BAD_VALUE, TAKEN, BANNED, BUSY: a replicated world cannot store the write off this machine now) and what to do. */
export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly retryAfterMs = 0,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/**
 * Where account writes are made durable beyond this machine (a replicated world:
 * src/replica/data-stream.ts DataReplicator). `ready()`: why such a write cannot be replicated
 * now, or null. `settled()`: resolves once every write committed so far is stored off this
 * machine; rejects when it is not within its timeout.
 */
export interface DurableWrites {
  ready(): string | null;
  settled(): Promise<void>;
}

/** The roles an account can have, least to most trusted. */
export const ROLES = ['player', 'moderator', 'admin'] as const;

/** Who a valid token belongs to. */
export interface AuthPrincipal {
  accountId: number;
  account: string;
  role: string;
  guest: boolean;
}

/** scrypt parameters (RFC 7914). */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keylen: number;
}

/** The stated default cost: N = 2^15, r = 8, p = 1, 64-byte key. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1, keylen: 64 };

/** Options of AccountService. */
export interface AccountOptions {
  /** Clock, ms. Default Date.now. */
  now?: () => number;
  scrypt?: ScryptParams;
  /** The password hash (tests stand in a controllable one). Default Node's scrypt with the stored parameters. */
  hash?: (password: string, salt: Buffer, params: ScryptParams) => Promise<Buffer>;
  /** Session lifetime, ms. Default 24 h. */
  sessionTtlMs?: number;
  /** Accept the token "guest" (demo). Default true. */
  guests?: boolean;
  /** Login attempts per address key. Default 20, 20/min. */
  perAddress?: Budget;
  /** Failed logins per (account, address key): the lockout. Default 5, 0.5/min. */
  perAccountAddress?: Budget;
  /** Failed logins per account from anywhere; when empty, only addresses the account logged in from get through. Default 20, 2/min. */
  perAccount?: Budget;
  /** Login attempts of everyone. Default 100, 1,200/min. */
  loginGlobal?: Budget;
  /** Registrations per address key. Default 10, 1/min. */
  registerPerAddress?: Budget;
  /** Registrations of everyone. Default 20, 60/min. */
  registerGlobal?: Budget;
  /** Most buckets each limit keeps (least recently used dropped beyond it; about 230 bytes each). Default 20,000 (at most about 4.6 MB per limit, six limits). */
  maxBuckets?: number;
  /** Password hashes run at once. Default 2 (Node's thread pool has 4 threads). */
  maxHashing?: number;
  /** Hashes waiting for a slot; beyond it RATE_LIMITED. Default 64. */
  maxHashQueue?: number;
}

/** The default limits (see the module comment). */
export const DEFAULT_AUTH_LIMITS = {
  perAddress: { burst: 20, perMinute: 20 },
  perAccountAddress: { burst: 5, perMinute: 0.5 },
  perAccount: { burst: 20, perMinute: 2 },
  loginGlobal: { burst: 100, perMinute: 1200 },
  registerPerAddress: { burst: 10, perMinute: 1 },
  registerGlobal: { burst: 20, perMinute: 60 },
} as const satisfies Record<string, Budget>;

const NAME = /^[A-Za-z0-9_-]{3,32}$/;

/** Is `s` well-formed UTF-16 (no lone surrogate)? String.prototype.isWellFormed (ES2024, Node 20). */
function wellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

function scrypt(password: string, salt: Buffer, p: ScryptParams): Promise<Buffer> {
  const opts: ScryptOptions = { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFC'), salt, p.keylen, opts, (e, key) => (e ? reject(e) : resolve(key))));
}

/** SHA-256 of a bearer token (what the store keeps). */
export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Accounts, passwords and sessions over an AccountStore. */
export class AccountService {
  private readonly now: () => number;
  private readonly params: ScryptParams;
  private readonly ttl: number;
  readonly guests: boolean;
  private readonly hashFn: (password: string, salt: Buffer, params: ScryptParams) => Promise<Buffer>;
  private readonly limits: Record<keyof typeof DEFAULT_AUTH_LIMITS, BucketMap>;
  private readonly maxHashing: number;
  private readonly maxHashQueue: number;
  private hashing = 0;
  private readonly hashQueue: Array<() => void> = [];
  private readonly dummySalt = randomBytes(16);
  /**
   * Set in a replicated world: registration, login, refresh and logout are answered only once
   * their rows are stored off this machine (else a takeover would lose an account or token the
   * user was given, or bring a logged-out token back). Null: SQLite's commit is the answer.
   */
  durable: DurableWrites | null = null;

  constructor(
    private readonly store: AccountStore,
    opts: AccountOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.params = opts.scrypt ?? DEFAULT_SCRYPT;
    this.ttl = opts.sessionTtlMs ?? 24 * 3600_000;
    this.guests = opts.guests ?? true;
    this.hashFn = opts.hash ?? scrypt;
    const max = opts.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    const limits = {} as Record<keyof typeof DEFAULT_AUTH_LIMITS, BucketMap>;
    for (const k of Object.keys(DEFAULT_AUTH_LIMITS) as Array<keyof typeof DEFAULT_AUTH_LIMITS>)
      limits[k] = new BucketMap(opts[k] ?? DEFAULT_AUTH_LIMITS[k], this.now, max);
    this.limits = limits;
    this.maxHashing = Math.max(1, opts.maxHashing ?? 2);
    this.maxHashQueue = Math.max(0, opts.maxHashQueue ?? 64);
  }

  /** Entries held by each limit (for metrics and tests; each at most maxBuckets). */
  limiterSizes(): Record<keyof typeof DEFAULT_AUTH_LIMITS, number> {
    const out = {} as Record<keyof typeof DEFAULT_AUTH_LIMITS, number>;
    for (const [k, m] of Object.entries(this.limits)) out[k as keyof typeof DEFAULT_AUTH_LIMITS] = m.size;
    return out;
  }

  /** Password hashes running and waiting now. */
  get hashLoad(): { running: number; queued: number } {
    return { running: this.hashing, queued: this.hashQueue.length };
  }

  /**
   * Runs the password hash under the concurrency cap. Throws AuthError RATE_LIMITED (retry in
   * 1 s) at once when maxHashQueue hashes are already waiting.
   */
  private async hash(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
    if (this.hashing >= this.maxHashing) {
      if (this.hashQueue.length >= this.maxHashQueue) throw new AuthError(ERROR.RATE_LIMITED, 'the server is busy checking passwords: retry in 1 s', 1000);
      await new Promise<void>((resolve) => this.hashQueue.push(resolve));
    } else this.hashing++;
    try {
      return await this.hashFn(password, salt, params);
    } finally {
      const next = this.hashQueue.shift();
      if (next)
        next(); // the slot passes on: `hashing` stays
      else this.hashing--;
    }
  }

  /** Throws AuthError BUSY (retry in 1 s) when account writes cannot be replicated now (DurableWrites.ready). */
  checkWritable(): void {
    const why = this.durable?.ready();
    if (why) throw new AuthError(ERROR.BUSY, `cannot store this now: ${why}`, 1000);
  }

  /**
   * Resolves once every account write so far is stored off this machine (at once without
   * replication). Rejects with AuthError BUSY (retry in 1 s) when it is not in time: the write is
   * kept here and replicated later, but was not acknowledged.
   */
  async settled(): Promise<void> {
    if (!this.durable) return;
    try {
      await this.durable.settled();
    } catch (e) {
      throw new AuthError(ERROR.BUSY, `stored on this server but not yet replicated (${(e as Error).message}): retry in a moment`, 1000);
    }
  }

  /** RATE_LIMITED when `wait` > 0. */
  private static limitedError(wait: number, what: string): AuthError {
    return new AuthError(ERROR.RATE_LIMITED, `too many ${what}: retry in ${Math.ceil(wait / 1000)} s`, wait);
  }

  /**
   * Creates an account: name 3..32 of [A-Za-z0-9_-] (case-insensitive unique), password 8..256
   * characters of well-formed UTF-16. `address`: the client's address, for the registration
   * limits; without one (the operator's CLI) nothing is limited. Throws AuthError BAD_VALUE,
   * TAKEN or RATE_LIMITED (retryAfterMs). The first account of an empty store is not special;
   * roles are set by an admin (setRole) or the operator (`tessera accounts`).
   */
  async register(name: string, password: string, address?: string): Promise<AccountRecord> {
    if (typeof name !== 'string' || !NAME.test(name)) throw new AuthError(ERROR.BAD_VALUE, 'a name is 3 to 32 letters, digits, _ or -');
    if (typeof password !== 'string' || password.length < 8 || password.length > 256) throw new AuthError(ERROR.BAD_VALUE, 'a password is 8 to 256 characters');
    if (!wellFormed(password)) throw new AuthError(ERROR.BAD_VALUE, 'a password must be well-formed text (it has a lone surrogate)');
    if (address !== undefined) {
      const wait = this.limits.registerPerAddress.take(addressKey(address));
      if (wait > 0) throw AccountService.limitedError(wait, 'registrations from this address');
      const g = this.limits.registerGlobal.take('*');
      if (g > 0) throw AccountService.limitedError(g, 'registrations on this server');
    }
    if (this.store.accountByName(name)) throw new AuthError(ERROR.TAKEN, 'that name is taken'); // before the hash: no work for a known answer
    this.checkWritable();
    const salt = randomBytes(16);
    const hash = await this.hash(password, salt, this.params);
    const created = this.store.transaction(() => {
      if (this.store.accountByName(name)) throw new AuthError(ERROR.TAKEN, 'that name is taken');
      return this.store.createAccount({
        name,
        passwordHash: hash,
        passwordSalt: salt,
        passwordParams: JSON.stringify(this.params),
        role: 'player',
        createdMs: this.now(),
      });
    });
    await this.settled();
    return created;
  }

  /** Has account `name` ever (in its newest 50 login records) logged in from address key `key`? */
  private knownAddress(name: string, key: string): boolean {
    return this.store.recentLogins(name, 50).some((r) => r.ok && addressKey(r.address) === key);
  }

  /**
   * Checks a password and opens a session: resolves with a new bearer token and its expiry.
   * Rejects with AuthError BAD_VALUE (a password that is not well-formed text), RATE_LIMITED (a
   * limit of the module comment; `retryAfterMs`) or INVALID_CREDENTIALS (unknown name or wrong
   * password, indistinguishable). Every attempt is recorded (login_records).
   */
  async login(name: string, password: string, address: string): Promise<{ token: string; expiresMs: number; accountId: number }> {
    // a name longer than any account's (32) cannot log in: its first 40 characters key the limits and the record (bounded memory and rows)
    const key = String(name).slice(0, 40).toLowerCase(),
      addr = addressKey(String(address).slice(0, 100));
    if (typeof password === 'string' && !wellFormed(password))
      throw new AuthError(ERROR.BAD_VALUE, 'a password must be well-formed text (it has a lone surrogate)');
    const refuse = (wait: number, what: string): AuthError => {
      this.store.recordLogin({ atMs: this.now(), name: key, address, ok: false, reason: 'rate_limited' });
      return AccountService.limitedError(wait, what);
    };
    const l = this.limits,
      pair = `${key}\n${addr}`;
    let wait = l.perAddress.take(addr);
    if (wait > 0) throw refuse(wait, 'login attempts from this address');
    wait = l.loginGlobal.take('*');
    if (wait > 0) throw refuse(wait, 'login attempts on this server');
    wait = l.perAccountAddress.take(pair);
    if (wait > 0) throw refuse(wait, 'failed logins on this account from this address');
    let accountToken = l.perAccount.take(key) === 0;
    if (!accountToken && !this.knownAddress(key, addr)) {
      l.perAccountAddress.refund(pair);
      throw refuse(l.perAccount.wait(key), 'failed logins on this account');
    }
    const giveBack = (): void => {
      l.perAccountAddress.refund(pair);
      if (accountToken) l.perAccount.refund(key);
      accountToken = false;
    };
    const account = typeof name === 'string' ? this.store.accountByName(name) : null;
    const params = account ? (JSON.parse(account.passwordParams) as ScryptParams) : this.params;
    let got: Buffer;
    try {
      got = await this.hash(String(password), account ? account.passwordSalt : this.dummySalt, params);
    } catch (e) {
      giveBack(); // no attempt was made
      if (e instanceof AuthError) this.store.recordLogin({ atMs: this.now(), name: key, address, ok: false, reason: 'rate_limited' });
      throw e;
    }
    const ok = !!account && got.length === account.passwordHash.length && timingSafeEqual(got, account.passwordHash);
    if (!ok || !account) {
      this.store.recordLogin({ atMs: this.now(), name: key, address, ok: false, reason: 'invalid' });
      throw new AuthError(ERROR.INVALID_CREDENTIALS, 'wrong name or password');
    }
    giveBack(); // the right password: the owner's attempts do not count
    if (account.bannedUntilMs && account.bannedUntilMs > this.now()) {
      // told only to whoever knows the password
      this.store.recordLogin({ atMs: this.now(), name: key, address, ok: false, reason: 'banned' });
      throw new AuthError(
        ERROR.BANNED,
        `this account is banned until ${new Date(account.bannedUntilMs).toISOString()}${account.banReason ? `: ${account.banReason}` : ''}`,
      );
    }
    this.checkWritable();
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    this.store.transaction(() => {
      this.store.createSession({ tokenHash: tokenHash(token), accountId: account.id, createdMs: now, expiresMs: now + this.ttl });
      this.store.touchLogin(account.id, now);
      this.store.recordLogin({ atMs: now, name: key, address, ok: true, reason: 'ok' });
    });
    await this.settled(); // the token is given only once a takeover would keep it
    return { token, expiresMs: now + this.ttl, accountId: account.id };
  }

  /**
   * The principal of a bearer token, or null for an unknown (forged), expired or revoked token.
   * Synchronous (one indexed lookup), so the host can call it in the WebSocket upgrade.
   */
  authenticate(token: string): AuthPrincipal | null {
    if (typeof token !== 'string' || token.length === 0 || token.length > 256) return null;
    if (token === 'guest') return this.guests ? { accountId: 0, account: 'guest', role: 'player', guest: true } : null;
    const s = this.store.sessionByHash(tokenHash(token));
    if (!s || s.revokedMs !== null || s.expiresMs <= this.now()) return null;
    const a = this.store.accountById(s.accountId);
    if (!a || (a.bannedUntilMs && a.bannedUntilMs > this.now())) return null;
    return { accountId: a.id, account: a.name, role: a.role, guest: false };
  }

  /**
   * Rotates a valid token: a new token with a fresh expiry; the old one is revoked. Throws AuthError
   * INVALID_CREDENTIALS for a token that is not valid, BUSY when the write cannot be replicated
   * now (checkWritable; then await settled() before giving the new token out).
   */
  refresh(token: string): { token: string; expiresMs: number } {
    const p = this.authenticate(token);
    if (!p || p.guest) throw new AuthError(ERROR.INVALID_CREDENTIALS, 'the session is not valid: log in again');
    this.checkWritable();
    const next = randomBytes(32).toString('base64url');
    const now = this.now();
    this.store.transaction(() => {
      this.store.revokeSession(tokenHash(token), now);
      this.store.createSession({ tokenHash: tokenHash(next), accountId: p.accountId, createdMs: now, expiresMs: now + this.ttl });
    });
    return { token: next, expiresMs: now + this.ttl };
  }

  /** Ends a session (logout). False if it was not valid. */
  logout(token: string): boolean {
    return this.store.revokeSession(tokenHash(token), this.now());
  }

  /** Ends every session of an account (password change, ban). Returns how many were not yet revoked (expired ones included). */
  revokeAll(accountId: number): number {
    return this.store.revokeAllSessions(accountId, this.now());
  }

  /** Bans an account for `minutes` (its sessions end; login is refused with BANNED until then). Returns the end, ms. */
  ban(accountId: number, minutes: number, reason: string): number {
    const until = this.now() + Math.round(minutes * 60_000);
    this.store.transaction(() => {
      this.store.setBan(accountId, until, reason);
      this.store.revokeAllSessions(accountId, this.now());
    });
    return until;
  }

  /** Lifts an account's ban (its ended sessions stay ended: the player logs in again). */
  unban(accountId: number): void {
    this.store.setBan(accountId, null, null);
  }

  /** Sets an account's role ('player', 'moderator' or 'admin'). Throws AuthError BAD_VALUE for another word. */
  setRole(accountId: number, role: string): void {
    if (!(ROLES as readonly string[]).includes(role))
      throw new AuthError(ERROR.BAD_VALUE, `a role is ${ROLES.slice(0, -1).join(', ')} or ${ROLES[ROLES.length - 1]}, got ${JSON.stringify(role)}`);
    this.store.setRole(accountId, role);
  }

  /** The account named `name` (case-insensitive) without its password fields, or null. */
  find(name: string): AccountSummary | null {
    const a = this.store.accountByName(name);
    if (!a) return null;
    const { passwordHash: _h, passwordSalt: _s, passwordParams: _p, ...rest } = a;
    return rest;
  }

  /** Every account without its password fields, by id. */
  list(): AccountSummary[] {
    return this.store.listAccounts();
  }

  /** The accounts as the temporary-admin rule sees them. */
  ruleAccounts(): Array<{ id: number; role: string; createdMs: number; lastLoginMs: number | null }> {
    return this.store.ruleAccounts();
  }

  /** The service's clock, ms. */
  clock(): number {
    return this.now();
  }
}
