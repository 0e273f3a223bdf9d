/**
 * `tessera accounts ...`: the operator's door to the accounts of a data directory (the SQLite
 * file `tessera serve` uses), so the first admin is made with a command, not by editing SQLite:
 *
 *   tessera accounts create <name> [--role admin] (--password-stdin | --password-env VAR)
 *   tessera accounts set-role <name> <player|moderator|admin>
 *   tessera accounts list [--json]
 *   tessera accounts ban <name> --minutes <n> [--reason <text>]
 *   tessera accounts unban <name>
 *
 * Every command takes `-d, --data <dir>` (or TESSERA_DATA; default ./data like serve). `create`
 * creates the directory and the database when they are missing (the first admin can be made
 * before the first start); the others refuse a missing database.
 *
 * Passwords never travel in argv (it is visible to every user of the machine in `ps`): they come
 * on stdin (one line; a trailing newline is not part of it) or from a named environment variable.
 * Registration goes through AccountService (the same name and password rules and scrypt cost as
 * /auth/register, without the network limits: the operator is trusted).
 *
 * A running server shares the file safely (SQLite WAL, busy timeout): a role change applies at
 * the account's next login or connection; a ban ends the account's sessions at once, and a running
 * server closes their open sockets at its next token re-check (serve --token-check-ms, 5 s).
 *
 * Errors an operator can act on throw CliError (the CLI prints one line and exits 2).
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AccountService, AuthError, ROLES } from '../persist/accounts';
import { SqliteStore } from '../persist/sqlite-store';
import type { AccountSummary } from '../persist/store';

/** A mistake of the operator: the message says what to do. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The database file of a data directory (or the file itself when `path` is one). */
export function databaseFile(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? resolve(path, 'tessera.sqlite') : path;
}

/** Opens the data directory's store; `create` makes the directory and file when missing. Throws CliError. */
function openStore(data: string, create: boolean): SqliteStore {
  if (create && !existsSync(data)) mkdirSync(data, { recursive: true });
  const file = databaseFile(data);
  if (!create && !existsSync(file)) throw new CliError(`${file} does not exist: give the data directory of the server with --data`);
  return SqliteStore.open(file);
}

/** Runs `fn` on an AccountService over the data directory's store, closing it after; AuthError becomes CliError. */
async function withAccounts<T>(data: string, create: boolean, fn: (svc: AccountService) => Promise<T> | T): Promise<T> {
  const store = openStore(data, create);
  try {
    return await fn(new AccountService(store));
  } catch (e) {
    if (e instanceof AuthError) throw new CliError(e.message);
    throw e;
  } finally {
    store.close();
  }
}

/** The account named `name` or CliError. */
function mustFind(svc: AccountService, name: string): AccountSummary {
  const a = svc.find(name);
  if (!a) throw new CliError(`no account named ${JSON.stringify(name)}`);
  return a;
}

/** The password from stdin (one line) or an environment variable. Throws CliError when neither was given or it is empty. */
function readPassword(o: { passwordStdin?: boolean; passwordEnv?: string }): string {
  let pw: string | undefined;
  if (o.passwordStdin) pw = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  else if (o.passwordEnv) {
    pw = process.env[o.passwordEnv];
    if (pw === undefined) throw new CliError(`the environment variable ${o.passwordEnv} is not set`);
  } else throw new CliError('give the password with --password-stdin (one line on stdin) or --password-env <VARIABLE>');
  return pw;
}

const ROLE_WORDS = `${ROLES.slice(0, -1).join(', ')} or ${ROLES[ROLES.length - 1]}`;

function checkRole(role: string): string {
  if (!(ROLES as readonly string[]).includes(role)) throw new CliError(`role must be ${ROLE_WORDS}, got ${JSON.stringify(role)}`);
  return role;
}

const iso = (ms: number | null | undefined): string => (ms ? new Date(ms).toISOString() : '-');

/** A fixed-width table of accounts (id, name, role, created, last login, ban). */
export function accountTable(rows: readonly AccountSummary[], nowMs: number): string {
  const lines = [['id', 'name', 'role', 'created', 'last login', 'ban']];
  for (const a of rows) {
    const ban = a.bannedUntilMs && a.bannedUntilMs > nowMs ? `banned until ${iso(a.bannedUntilMs)}${a.banReason ? ` (${a.banReason})` : ''}` : '';
    lines.push([String(a.id), a.name, a.role, iso(a.createdMs), iso(a.lastLoginMs), ban]);
  }
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines
    .map((l) =>
      l
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Adds `accounts` and its subcommands to the program. `defaultData`: the serve default (./data). */
export function accountsCommand(program: Command, defaultData: string): void {
  const acc = program
    .command('accounts')
    .description('create accounts, set roles, list, ban and unban, on a data directory (the first admin: accounts create NAME --role admin --password-stdin)');
  const data = (o: { data?: string }): string => o.data ?? process.env.TESSERA_DATA ?? defaultData;
  const dataHelp = `data directory of tessera.sqlite (or TESSERA_DATA) [${defaultData}]`;

  acc
    .command('create <name>')
    .description('create an account (the password on stdin or from an environment variable, never in the arguments)')
    .option('-d, --data <dir>', dataHelp)
    .option('--role <role>', `role: ${ROLE_WORDS}`, 'player')
    .option('--password-stdin', 'read the password from stdin (one line)')
    .option('--password-env <variable>', 'read the password from this environment variable')
    .action(async (name: string, o: { data?: string; role: string; passwordStdin?: boolean; passwordEnv?: string }) => {
      const role = checkRole(o.role);
      const password = readPassword(o);
      const a = await withAccounts(data(o), true, async (svc) => {
        const made = await svc.register(name, password);
        if (role !== made.role) svc.setRole(made.id, role);
        return { ...made, role };
      });
      console.log(`created account ${a.id} ${JSON.stringify(a.name)} (${a.role})`);
    });

  acc
    .command('set-role <name> <role>')
    .description(`set an account's role (${ROLE_WORDS}); it applies at the account's next login or connection`)
    .option('-d, --data <dir>', dataHelp)
    .action(async (name: string, role: string, o: { data?: string }) => {
      checkRole(role);
      const a = await withAccounts(data(o), false, (svc) => {
        const x = mustFind(svc, name);
        svc.setRole(x.id, role);
        return x;
      });
      console.log(`${JSON.stringify(a.name)}: ${a.role} -> ${role}`);
    });

  acc
    .command('list')
    .description('list the accounts (no password fields)')
    .option('-d, --data <dir>', dataHelp)
    .option('--json', 'print a JSON array instead of a table')
    .action(async (o: { data?: string; json?: boolean }) => {
      const rows = await withAccounts(data(o), false, (svc) => svc.list());
      console.log(o.json ? JSON.stringify(rows, null, 2) : accountTable(rows, Date.now()));
    });

  acc
    .command('ban <name>')
    .description('ban an account for some minutes: its sessions end, login is refused until then')
    .option('-d, --data <dir>', dataHelp)
    .requiredOption('--minutes <n>', 'length of the ban, minutes (1 .. 10 years)')
    .option('--reason <text>', 'shown to the player at login', '')
    .action(async (name: string, o: { data?: string; minutes: string; reason: string }) => {
      const minutes = Number(o.minutes);
      if (!(Number.isInteger(minutes) && minutes >= 1 && minutes <= 10 * 366 * 24 * 60))
        throw new CliError(`--minutes must be an integer from 1 to ${10 * 366 * 24 * 60}, got ${JSON.stringify(o.minutes)}`);
      const r = await withAccounts(data(o), false, (svc) => {
        const x = mustFind(svc, name);
        return { name: x.name, until: svc.ban(x.id, minutes, o.reason.slice(0, 200)) };
      });
      console.log(`banned ${JSON.stringify(r.name)} until ${iso(r.until)}`);
    });

  acc
    .command('unban <name>')
    .description("lift an account's ban")
    .option('-d, --data <dir>', dataHelp)
    .action(async (name: string, o: { data?: string }) => {
      const n = await withAccounts(data(o), false, (svc) => {
        const x = mustFind(svc, name);
        svc.unban(x.id);
        return x.name;
      });
      console.log(`unbanned ${JSON.stringify(n)}`);
    });
}
