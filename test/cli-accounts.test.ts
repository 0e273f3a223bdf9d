/**
 * `tessera accounts create|set-role|list|ban|unban` from build/dist, on a data directory, as an
 * operator makes the first admin (issue 15: "no way to create the first admin but editing
 * SQLite by hand"). The password travels on stdin, never in argv; the account it creates logs
 * in through AccountService with the admin role; mistakes print one line and exit 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtCli } from './helpers/child-host';
import { SqliteStore } from '../src/persist/sqlite-store';
import { AccountService } from '../src/persist/accounts';
import { ERROR } from '../src/protocol/errors';

const cli = (args: string[], input?: string, env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [builtCli(), 'accounts', ...args], { encoding: 'utf8', input, env: { ...process.env, ...env } });

test('create the first admin in an empty data directory, list, change roles, ban and unban', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-acc-'));
  try {
    const data = join(dir, 'data'); // does not exist yet: create makes it
    const made = cli(['create', 'root', '--role', 'admin', '--password-stdin', '--data', data], 'a long admin password\n');
    expect(made.stderr).toBe('');
    expect(made.status).toBe(0);
    expect(made.stdout).toMatch(/created account 1 "root" \(admin\)/);
    expect(cli(['create', 'mia', '--password-env', 'PW'], undefined, { PW: 'another long one', TESSERA_DATA: data }).status).toBe(0);

    const list = cli(['list', '--json', '--data', data]);
    expect(list.status).toBe(0);
    const rows = JSON.parse(list.stdout) as Array<{ id: number; name: string; role: string; bannedUntilMs: number | null }>;
    expect(rows.map((r) => [r.id, r.name, r.role])).toEqual([
      [1, 'root', 'admin'],
      [2, 'mia', 'player'],
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/password/i);

    expect(cli(['set-role', 'mia', 'moderator', '--data', data]).status).toBe(0);
    const ban = cli(['ban', 'mia', '--minutes', '60', '--reason', 'spam', '--data', data]);
    expect(ban.status).toBe(0);
    expect(ban.stdout).toMatch(/banned "mia" until/);
    const table = cli(['list', '--data', data]).stdout;
    expect(table).toMatch(/mia\s+moderator/);
    expect(table).toMatch(/banned until/);

    // the accounts work: the admin logs in (the store the server would open)
    const store = SqliteStore.open(join(data, 'tessera.sqlite'));
    try {
      const svc = new AccountService(store);
      const s = await svc.login('root', 'a long admin password', '127.0.0.1');
      expect(svc.authenticate(s.token)).toMatchObject({ account: 'root', role: 'admin', guest: false });
      await expect(svc.login('mia', 'another long one', '127.0.0.1')).rejects.toMatchObject({ code: ERROR.BANNED });
    } finally {
      store.close();
    }
    expect(cli(['unban', 'mia', '--data', data]).status).toBe(0);
    const store2 = SqliteStore.open(join(data, 'tessera.sqlite'));
    try {
      expect((await new AccountService(store2).login('mia', 'another long one', '127.0.0.1')).token).toBeTruthy();
    } finally {
      store2.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('operator mistakes: one line on stderr and exit code 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-acc-'));
  try {
    expect(cli(['create', 'root', '--password-stdin', '--data', dir], 'a long password').status).toBe(0);
    const cases: Array<[string[], string | undefined, RegExp]> = [
      [['create', 'root', '--password-stdin', '--data', dir], 'a long password', /that name is taken/],
      [['create', 'x', '--password-stdin', '--data', dir], 'a long password', /a name is 3 to 32/],
      [['create', 'short', '--password-stdin', '--data', dir], 'short', /a password is 8 to 256/],
      [['create', 'nopass', '--data', dir], undefined, /--password-stdin .*or --password-env/],
      [['create', 'badrole', '--role', 'god', '--password-stdin', '--data', dir], 'a long password', /role.*player, moderator or admin/],
      [['set-role', 'nobody', 'admin', '--data', dir], undefined, /no account named "nobody"/],
      [['set-role', 'root', 'king', '--data', dir], undefined, /player, moderator or admin/],
      [['ban', 'root', '--minutes', 'soon', '--data', dir], undefined, /--minutes/],
      [['list', '--data', join(dir, 'missing')], undefined, /does not exist/],
    ];
    for (const [args, input, msg] of cases) {
      const r = cli(args, input);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
