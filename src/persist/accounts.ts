/**
 * Accounts and login: registration, password check, bearer-token sessions (expiry, refresh by
 * rotation, revocation), brute-force limits, a guest mode for the demo.
 *
 * Passwords: Node's scrypt (RFC 7914) with N = 2^15, r = 8, p = 1, a 64-byte key and a 16-byte
 * random salt (about 50 ms and 32 MiB per hash here); the parameters are stored with each hash.
 * Tokens: 32 random bytes, base64url; only their SHA-256 is stored, so a copy of the database
 * does not log anyone in. A token is only ever created by login or refresh (a client cannot
 * choose its session id: no session fixation); refresh revokes the old token.
 * Errors do not reveal whether an account exists: an unknown name and a wrong password both give
 * INVALID_CREDENTIALS, after the same scrypt work.
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { TokenBucket } from 'limiter';
import type { AccountRecord, AccountStore, AccountSummary } from './store';

/** An authentication failure: `code` (INVALID_CREDENTIALS, RATE_LIMITED, BAD_VALUE, TAKEN) and what to do. */
export class AuthError extends Error {
  constructor(readonly code: 'INVALID_CREDENTIALS' | 'RATE_LIMITED' | 'BAD_VALUE' | 'TAKEN' | 'BANNED', message: string, readonly retryAfterMs = 0) {
    super(message);
    this.name = 'AuthError';
  }
}

/** The roles an account can have, least to most trusted. */
export const ROLES = ['player', 'moderator', 'admin'] as const;

/** Who a valid token belongs to. */
export interface AuthPrincipal { accountId: number; account: string; role: string; guest: boolean }

/** scrypt parameters (RFC 7914). */
export interface ScryptParams { N: number; r: number; p: number; keylen: number }

/** The stated default cost: N = 2^15, r = 8, p = 1, 64-byte key. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1, keylen: 64 };

/** Options of AccountService. */
export interface AccountOptions {
  /** Clock, ms. Default Date.now. */
  now?: () => number;
  scrypt?: ScryptParams;
  /** Session lifetime, ms. Default 24 h. */
  sessionTtlMs?: number;
  /** Accept the token "guest" (demo). Default true. */
  guests?: boolean;
  /** Login attempts allowed per account name and per address: burst, and refill per minute. Default 5/5 per account, 20/20 per address. */
  perAccount?: { burst: number; perMinute: number };
  perAddress?: { burst: number; perMinute: number };
}

const NAME = /^[A-Za-z0-9_-]{3,32}$/;

function scrypt(password: string, salt: Buffer, p: ScryptParams): Promise<Buffer> {
  const opts: ScryptOptions = { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFC'), salt, p.keylen, opts, (e, key) => (e ? reject(e) : resolve(key))));
}

/** SHA-256 of a bearer token (what the store keeps). */
export function tokenHash(token: string): Buffer { return createHash('sha256').update(token, 'utf8').digest(); }

/** Accounts, passwords and sessions over an AccountStore. */
export class AccountService {
  private readonly now: () => number;
  private readonly params: ScryptParams;
  private readonly ttl: number;
  readonly guests: boolean;
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly perAccount: { burst: number; perMinute: number };
  private readonly perAddress: { burst: number; perMinute: number };
  private readonly dummySalt = randomBytes(16);

  constructor(private readonly store: AccountStore, opts: AccountOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.params = opts.scrypt ?? DEFAULT_SCRYPT;
    this.ttl = opts.sessionTtlMs ?? 24 * 3600_000;
    this.guests = opts.guests ?? true;
    this.perAccount = opts.perAccount ?? { burst: 5, perMinute: 5 };
    this.perAddress = opts.perAddress ?? { burst: 20, perMinute: 20 };
  }

  /**
   * Creates an account: name 3..32 of [A-Za-z0-9_-] (case-insensitive unique), password 8..256
   * characters. Throws AuthError BAD_VALUE or TAKEN. The first account of an empty store is not
   * special; roles are set by an admin (setRole).
   */
  async register(name: string, password: string): Promise<AccountRecord> {
    if (!NAME.test(name)) throw new AuthError('BAD_VALUE', 'a name is 3 to 32 letters, digits, _ or -');
    if (typeof password !== 'string' || password.length < 8 || password.length > 256) throw new AuthError('BAD_VALUE', 'a password is 8 to 256 characters');
    const salt = randomBytes(16);
    const hash = await scrypt(password, salt, this.params);
    return this.store.transaction(() => {
      if (this.store.accountByName(name)) throw new AuthError('TAKEN', 'that name is taken');
      return this.store.createAccount({ name, passwordHash: hash, passwordSalt: salt, passwordParams: JSON.stringify(this.params), role: 'player', createdMs: this.now() });
    });
  }

  private take(key: string, l: { burst: number; perMinute: number }): number {
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket({ bucketSize: l.burst, tokensPerInterval: l.perMinute, interval: 'minute' });
      b.content = l.burst;
      this.buckets.set(key, b);
    }
    return b.tryRemoveTokens(1) ? 0 : Math.max(1, Math.ceil(b.getWaitTime(1)));
  }

  /**
   * Checks a password and opens a session: resolves with a new bearer token and its expiry.
   * Rejects with AuthError RATE_LIMITED (too many attempts for this name or from this address;
   * `retryAfterMs`) or INVALID_CREDENTIALS (unknown name or wrong password, indistinguishable).
   * Every attempt is recorded (login_records).
   */
  async login(name: string, password: string, address: string): Promise<{ token: string; expiresMs: number; accountId: number }> {
    const key = String(name).toLowerCase();
    const wait = Math.max(this.take(`a:${key}`, this.perAccount), this.take(`ip:${address}`, this.perAddress));
    if (wait > 0) {
      this.store.recordLogin({ atMs: this.now(), name: key, address, ok: false, reason: 'rate_limited' });
      throw new AuthError('RATE_LIMITED', `too many login attempts: retry in ${Math.ceil(wait / 1000)} s`, wait);
    }
    const account = typeof name === 'string' ? this.store.accountByName(name) : null;
    const params = account ? (JSON.parse(account.passwordParams) as ScryptParams) : this.params;
    const got = await scrypt(String(password), account ? account.passwordSalt : this.dummySalt, params);
    const ok = !!account && got.length === account.passwordHash.length && timingSafeEqual(got, account.passwordHash);
    if (!ok || !account) {
      this.store.recordLogin({ atMs: this.now(), name: key, address, ok: false, reason: 'invalid' });
      throw new AuthError('INVALID_CREDENTIALS', 'wrong name or password');
    }
    if (account.bannedUntilMs && account.bannedUntilMs > this.now()) {
      // told only to whoever knows the password
      this.store.recordLogin({ atMs: this.now(), name: key, address, ok: false, reason: 'banned' });
      throw new AuthError('BANNED', `this account is banned until ${new Date(account.bannedUntilMs).toISOString()}${account.banReason ? `: ${account.banReason}` : ''}`);
    }
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    this.store.transaction(() => {
      this.store.createSession({ tokenHash: tokenHash(token), accountId: account.id, createdMs: now, expiresMs: now + this.ttl });
      this.store.touchLogin(account.id, now);
      this.store.recordLogin({ atMs: now, name: key, address, ok: true, reason: 'ok' });
    });
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

  /** Rotates a valid token: a new token with a fresh expiry; the old one is revoked. Throws AuthError INVALID_CREDENTIALS for a token that is not valid. */
  refresh(token: string): { token: string; expiresMs: number } {
    const p = this.authenticate(token);
    if (!p || p.guest) throw new AuthError('INVALID_CREDENTIALS', 'the session is not valid: log in again');
    const next = randomBytes(32).toString('base64url');
    const now = this.now();
    this.store.transaction(() => {
      this.store.revokeSession(tokenHash(token), now);
      this.store.createSession({ tokenHash: tokenHash(next), accountId: p.accountId, createdMs: now, expiresMs: now + this.ttl });
    });
    return { token: next, expiresMs: now + this.ttl };
  }

  /** Ends a session (logout). False if it was not valid. */
  logout(token: string): boolean { return this.store.revokeSession(tokenHash(token), this.now()); }

  /** Ends every session of an account (password change, ban). Returns how many were not yet revoked (expired ones included). */
  revokeAll(accountId: number): number { return this.store.revokeAllSessions(accountId, this.now()); }

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
  unban(accountId: number): void { this.store.setBan(accountId, null, null); }

  /** Sets an account's role ('player', 'moderator' or 'admin'). Throws AuthError BAD_VALUE for another word. */
  setRole(accountId: number, role: string): void {
    if (!(ROLES as readonly string[]).includes(role)) throw new AuthError('BAD_VALUE', `a role is ${ROLES.slice(0, -1).join(', ')} or ${ROLES[ROLES.length - 1]}, got ${JSON.stringify(role)}`);
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
  list(): AccountSummary[] { return this.store.listAccounts(); }

  /** The accounts as the temporary-admin rule sees them. */
  ruleAccounts(): Array<{ id: number; role: string; createdMs: number; lastLoginMs: number | null }> { return this.store.ruleAccounts(); }

  /** The service's clock, ms. */
  clock(): number { return this.now(); }
}
