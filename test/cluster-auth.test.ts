/**
 * NATS users of a cluster world (src/cluster/auth.ts, issue 17 "every door authenticates"):
 * `tessera cluster-keys` writes a key per process and the coordinator and nats-server's
 * authorization block; a private nats-server started with it admits only those keys, and each
 * key may publish and subscribe only where its role needs (the table in auth.ts). A shard
 * process given a key the server does not know, or a key made for another process, does not
 * join and says why. (test/cluster-bad-input.test.ts runs a whole world under these users with
 * an insider forging orders and Results.)
 *
 * Needs `npm run build` for the CLI tests (build/dist).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthorizationError, connect, type NatsConnection, nkeyAuthenticator, PermissionViolationError } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { COORDINATOR_ID, NkeyFileError, clusterPermissions, idOfKeyFile, makeClusterKeys, readNkeySeed, type ClusterKeys } from '../src/cluster/auth';
import { names } from '../src/cluster/subjects';
import { startNats, uniqueWorld, type NatsServer } from './helpers/nats';

const CLI = join(__dirname, '..', 'build', 'dist', 'src', 'cli.js');
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tessera-auth-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('keys and their files', () => {
  test('cluster-keys writes one seed per user (mode 600) and a config naming each public key', () => {
    const k = makeClusterKeys({ world: 'w1', ids: ['a', 'b'], dir: join(tempDir(), 'keys') });
    expect(Object.keys(k.seeds).sort()).toEqual(['a', 'b', COORDINATOR_ID]);
    const conf = readFileSync(k.conf, 'utf8');
    for (const f of Object.values(k.seeds)) {
      expect(statSync(f).mode & 0o777).toBe(0o600);
      expect(readNkeySeed(f).byteLength).toBeGreaterThan(50);
      expect(readFileSync(f, 'utf8')).not.toEqual(''); // the seed is in the file, not in the config
      expect(conf).not.toContain(readFileSync(f, 'utf8').trim());
    }
    expect(conf.match(/"nkey": "U[A-Z0-9]{55}"/g)).toHaveLength(3);
    expect(idOfKeyFile(k.seeds.a)).toBe('a');
  });

  test('bad ids, duplicates, the coordinator name and an existing config are refused', () => {
    const dir = join(tempDir(), 'keys');
    expect(() => makeClusterKeys({ world: 'w1', ids: ['a', 'a'], dir })).toThrow(/repeat/);
    expect(() => makeClusterKeys({ world: 'w1', ids: [COORDINATOR_ID], dir })).toThrow(/coordinator/);
    expect(() => makeClusterKeys({ world: 'w1', ids: ['a.b'], dir })).toThrow(/letters, digits/);
    expect(() => makeClusterKeys({ world: 'w 1', ids: ['a'], dir })).toThrow(/world id/);
    makeClusterKeys({ world: 'w1', ids: ['a'], dir });
    expect(() => makeClusterKeys({ world: 'w1', ids: ['a'], dir })).toThrow(/exists: pass --force/);
    expect(() => makeClusterKeys({ world: 'w1', ids: ['a'], dir, force: true })).not.toThrow();
  });

  test('an unusable seed file is refused with the file and the reason', () => {
    const d = tempDir();
    const open = join(d, 'open.nk');
    const k = makeClusterKeys({ world: 'w1', ids: ['a'], dir: join(d, 'k') });
    writeFileSync(open, readFileSync(k.seeds.a));
    chmodSync(open, 0o644);
    const junk = join(d, 'junk.nk');
    writeFileSync(junk, 'SUnotaseed\n', { mode: 0o600 });
    const account = join(d, 'account.nk');
    writeFileSync(account, `${readFileSync(k.seeds.a, 'utf8').replace(/^SU/, 'SA')}`, { mode: 0o600 });
    const why = (f: string): string => {
      try {
        readNkeySeed(f);
        return 'taken';
      } catch (e) {
        expect(e).toBeInstanceOf(NkeyFileError);
        return (e as Error).message;
      }
    };
    expect(why(join(d, 'none.nk'))).toBe(`NATS key file ${join(d, 'none.nk')}: no such file`);
    expect(why(open)).toMatch(/readable by others \(mode 644\): chmod 600 it/);
    expect(why(junk)).toMatch(/not a NATS user seed/);
    expect(why(account)).toMatch(/not a NATS user seed/);
  });
});

describe('a nats-server started with the config', () => {
  let server: NatsServer;
  let keys: ClusterKeys;
  const world = uniqueWorld('auth');
  const n = names(world);
  const conns: NatsConnection[] = [];
  const as = async (id: string): Promise<{ nc: NatsConnection; denied: string[] }> => {
    const nc = await connect({ servers: server.url, authenticator: nkeyAuthenticator(readNkeySeed(keys.seeds[id])), inboxPrefix: `_INBOX_${id}` });
    conns.push(nc);
    const denied: string[] = [];
    void (async () => {
      for await (const s of nc.status())
        if (s.type === 'error' && s.error instanceof PermissionViolationError) denied.push(`${s.error.operation} ${s.error.subject}`);
    })();
    return { nc, denied };
  };
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

  beforeAll(async () => {
    keys = makeClusterKeys({ world, ids: ['a', 'b'], dir: join(tempDir(), 'keys') });
    server = await startNats({ args: ['-c', keys.conf] });
  }, 60_000);
  afterAll(async () => {
    for (const c of conns) await c.close();
    await server?.stop();
  });

  test('a client without a key, or with a key of another set, cannot connect', async () => {
    await expect(connect({ servers: server.url, reconnect: false })).rejects.toBeInstanceOf(AuthorizationError);
    const other = makeClusterKeys({ world, ids: ['a'], dir: join(tempDir(), 'other') });
    await expect(connect({ servers: server.url, reconnect: false, authenticator: nkeyAuthenticator(readNkeySeed(other.seeds.a)) })).rejects.toBeInstanceOf(
      AuthorizationError,
    );
  });

  test("a process may publish its own Results, resends, its heartbeat and replies; not orders, another's Results, heartbeat or pings", async () => {
    const co = await as(COORDINATOR_ID);
    const a = await as('a');
    const b = await as('b');
    const kv = await new Kvm(co.nc).create(n.members, { history: 1, ttl: 10_000 });
    const heard: string[] = [];
    co.nc.subscribe(`tessera.${world}.>`, {
      callback: (_e, m) => {
        heard.push(m.subject);
      },
    });
    b.nc.subscribe(n.ping('b'), {
      callback: (_e, m) => {
        m.respond(new TextEncoder().encode('b'));
      },
    });
    await co.nc.flush();
    await b.nc.flush();
    const one = new Uint8Array([1]);
    a.nc.publish(n.result('a', 0), one);
    a.nc.publish(n.resend, one);
    a.nc.publish(n.order, one);
    a.nc.publish(n.result('b', 1), one);
    a.nc.publish(n.result(COORDINATOR_ID, 1), one);
    a.nc.publish(n.snap('b'), one);
    a.nc.publish(n.committed, one);
    a.nc.subscribe(n.snap('b'));
    a.nc.subscribe(`tessera.${world}.proc.*.ping`);
    const akv = await new Kvm(a.nc).open(n.members);
    await expect(akv.put('proc.a', '{}')).resolves.toBeGreaterThan(0);
    await expect(akv.put('proc.b', '{}')).rejects.toThrow(/Permissions Violation/);
    // b answers a ping of the coordinator's; a cannot answer it for b (a reply inbox it never received)
    const pong = await co.nc.request(n.ping('b'), one, { timeout: 2000 });
    expect(new TextDecoder().decode(pong.data)).toBe('b');
    a.nc.publish('_INBOX_coordinator.x', one);
    await a.nc.flush().catch(() => undefined);
    await settle();
    expect(heard.filter((s) => !s.endsWith('.ping'))).toEqual([n.result('a', 0), n.resend]);
    expect(a.denied.sort()).toEqual(
      [
        `publish ${n.order}`,
        `publish ${n.result('b', 1)}`,
        `publish ${n.result(COORDINATOR_ID, 1)}`,
        `publish ${n.snap('b')}`,
        `publish ${n.committed}`,
        `subscription ${n.snap('b')}`,
        `subscription tessera.${world}.proc.*.ping`,
        `publish $KV.${n.members}.proc.b`,
        'publish _INBOX_coordinator.x',
      ].sort(),
    );
    expect((await kv.get('proc.a'))?.string()).toBe('{}');
    expect(await kv.get('proc.b')).toBeNull();
    expect(co.denied).toEqual([]);
  });

  test('the permissions of another world name only its subjects', () => {
    const p = clusterPermissions('other', 'a');
    expect(
      [...p.publish.allow, ...p.subscribe.allow].every(
        (s) => s.startsWith('tessera.other.') || s.startsWith('$KV.tessera_other_') || s.startsWith('_INBOX_a.'),
      ),
    ).toBe(true);
  });

  test('tessera shard with a key the server does not know, or with a key made for another id, exits 2 saying so', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\``);
    const other = makeClusterKeys({ world, ids: ['a'], dir: join(tempDir(), 'other2') });
    const r = spawnSync(process.execPath, [CLI, 'shard', '--world', world, '--nats', server.url, '--nkey', other.seeds.a], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`refused the key in ${other.seeds.a.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*Authorization Violation`));
    // a's key, id b: the server refuses its subscription to proc.b.snap
    const wrong = spawnSync(process.execPath, [CLI, 'shard', '--world', world, '--nats', server.url, '--nkey', keys.seeds.a, '--id', 'b'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/NATS refused the subscription on tessera\.\S+\.proc\.b\.snap: this key was not made for process b/);
  }, 60_000);

  test('tessera cluster-keys prints the commands that use the keys', () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\``);
    const out = join(tempDir(), 'k');
    const r = spawnSync(process.execPath, [CLI, 'cluster-keys', '--world', 'w9', '--processes', 'p1,p2', '--out', out], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`nats-server -js -c ${join(out, 'auth.conf')}`);
    expect(r.stdout).toContain(`--cluster-nkey ${join(out, 'coordinator.nk')}`);
    expect(r.stdout).toContain(`tessera shard --nats nats://HOST:4222 --world w9 --nkey ${join(out, 'p2.nk')}`);
    const again = spawnSync(process.execPath, [CLI, 'cluster-keys', '--world', 'w9', '--processes', 'p1', '--out', out], { encoding: 'utf8' });
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/auth\.conf exists: pass --force/);
  });
});
