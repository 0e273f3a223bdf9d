/**
 * Account-service fixtures shared by the persistence tests: a temporary directory per test file,
 * a fresh SQLite file and AccountService (cheap scrypt, a fake clock) per test, and the outcome
 * of an auth call as a name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/persist/sqlite-store';
import { AccountService, AuthError, type AccountOptions } from '../../src/persist/accounts';
import { ERROR_NAME } from '../../src/protocol/errors';

/** scrypt parameters cheap enough for tests (N = 2^10). */
export const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1, keylen: 64 };

/**
 * Registers a temporary directory for the calling test file (made in beforeAll, removed in
 * afterAll) and returns `setup`, which makes a new store file and service on a fake clock
 * (`clock.t`, ms), and `dir()`, the directory.
 */
export function accountFixtures(prefix: string): {
  setup: (opts?: AccountOptions) => { store: SqliteStore; svc: AccountService; clock: { t: number } };
  dir: () => string;
} {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const setup = (opts: AccountOptions = {}): { store: SqliteStore; svc: AccountService; clock: { t: number } } => {
    const store = SqliteStore.open(join(dir, `db-${Math.random().toString(36).slice(2)}.sqlite`));
    const clock = { t: 1_000_000 };
    const svc = new AccountService(store, { scrypt: FAST_SCRYPT, now: () => clock.t, ...opts });
    return { store, svc, clock };
  };
  return { setup, dir: () => dir };
}

/** 'ok', or the name of the AuthError's code (ERROR_NAME); other errors are thrown. */
export async function authOutcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof AuthError) return ERROR_NAME[e.code];
    throw e;
  }
}
