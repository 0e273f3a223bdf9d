/**
 * The data stream of a replicated world (issue 19, src/replica/data-stream.ts) against a real
 * nats-server with JetStream: what a leader's services write (accounts, sessions, avatars,
 * artifacts, chat, admin records) reaches a replica's own SQLite file, where the same password
 * logs in and the same token authenticates; a deposed leader's write is fenced; a replica that
 * restarts resumes without applying anything twice; a forged or garbage record is refused and
 * counted, and nothing of it is applied. Also prints what replication adds to a registration.
 */
import { jetstream } from '@nats-io/jetstream';
import type { SqliteStore } from '../src/persist/sqlite-store';
import { AccountService, DEFAULT_SCRYPT, type ScryptParams } from '../src/persist/accounts';
import { ArtifactService } from '../src/persist/artifacts';
import { connect } from '@nats-io/transport-node';
import { DataFollower, DataReplicator, DataStreamLog, type DataError, type DataReplicatorOptions } from '../src/replica/data-stream';
import { dataNames } from '../src/replica/data-records';
import { startNats, uniqueWorld } from './helpers/nats';
import { natsFiles } from './helpers/nats-files';
import { FAST_SCRYPT } from './helpers/accounts';
import { waitFor } from './helpers/net';

jest.setTimeout(60_000);

const fx = natsFiles('tessera-data-');
const file = (name: string) => fx.file(name);

/** A leader: its file, the replicator, and the services over them. */
async function leader(
  world: string,
  name: string,
  log: DataStreamLog,
  opts: { scrypt?: ScryptParams } & Partial<Omit<DataReplicatorOptions, 'world' | 'node'>> = {},
) {
  const store = file(name);
  const { scrypt, ...more } = opts;
  const data = await DataReplicator.lead(log, store.db, { world, node: name, ...more });
  const accounts = new AccountService(store, { scrypt: scrypt ?? FAST_SCRYPT });
  accounts.durable = data;
  return { store, data, accounts, artifacts: new ArtifactService(store) };
}

const count = (s: SqliteStore, table: string): number => (s.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

test('what the leader writes reaches a replica: the same password logs in there, the token authenticates, avatar, artifacts, chat and admin records are there', async () => {
  const world = uniqueWorld('data');
  const log = await DataStreamLog.open(fx.nc, world);
  const a = await leader(world, `${world}-a`, log);
  const replicaFile = file(`${world}-b`);
  const b = await DataFollower.start(log, replicaFile.db, world);
  try {
    const ann = await a.accounts.register('ann', 'a long password', '10.0.0.1');
    const { token } = await a.accounts.login('ann', 'a long password', '10.0.0.1');
    // acknowledged to the user only once JetStream stored it: nothing of the account waits
    expect(a.data.stats().backlog).toBe(0);
    a.store.saveAvatar({ accountId: ann.id, position: [1.5, 0.5, -2.25], savedMs: 1000 });
    const made = a.artifacts.create({ owner: ann.id, shape: { kind: 'sphere', radius: 0.3 }, position: [0, 2, 0], custom: { colour: 'red' } });
    const gone = a.artifacts.create({ owner: ann.id, shape: { kind: 'sphere', radius: 0.2 }, position: [1, 2, 0] });
    a.store.deleteArtifact(gone.id);
    a.store.appendChat([
      { channel: 'world', tick: 5, sender: ann.id, text: 'hello, world' },
      { channel: 'world', tick: 6, sender: ann.id, text: 'ünïcödé ✓' },
    ]);
    a.store.recordAdmin([{ atMs: 2000, actor: ann.id, action: 'mute', detail: '{"args":["7"]}' }]);
    a.accounts.ban(ann.id, 0.001, 'a test'); // a ban and the end of every session...
    a.accounts.unban(ann.id);
    const second = await a.accounts.login('ann', 'a long password', '10.0.0.1'); // ...and a new one
    await a.data.settled();
    await b.reach((await log.last()).seq, 10_000);
    b.stop();

    const rb = replicaFile;
    const onB = new AccountService(rb, { scrypt: FAST_SCRYPT });
    expect(onB.authenticate(second.token)).toMatchObject({ accountId: ann.id, account: 'ann' });
    expect(onB.authenticate(token)).toBeNull(); // ended by the ban, there too
    const again = await onB.login('ann', 'a long password', '10.0.0.9');
    expect(again.accountId).toBe(ann.id);
    await expect(onB.login('ann', 'another password', '10.0.0.9')).rejects.toMatchObject({ code: 2003 });
    // the password is there as the leader stored it (hash, salt, parameters), never as text
    const row = (s: SqliteStore) => s.db.prepare('SELECT password_hash, password_salt, password_params FROM accounts WHERE id = ?').get(ann.id);
    expect(row(rb)).toEqual(row(a.store));
    expect(rb.loadAvatar(ann.id)).toEqual({ accountId: ann.id, position: [1.5, 0.5, -2.25], savedMs: 1000 });
    expect(rb.artifactsOwnedBy(ann.id)).toEqual([a.store.artifact(made.id)]);
    expect(rb.artifact(gone.id)).toBeNull();
    expect(rb.chatPage('world', null, 10)).toEqual(a.store.chatPage('world', null, 10));
    expect(rb.chatPage('world', null, 10).map((l) => l.text)).toEqual(['ünïcödé ✓', 'hello, world']);
    expect(rb.adminRecords(10)).toEqual(a.store.adminRecords(10));
    expect(rb.recentLogins('ann', 10).length).toBeGreaterThanOrEqual(2);
    expect(b.stats().refused).toBe(0);
  } finally {
    b.stop();
    await a.data.close();
  }
});

test('a leader that starts a new stream with a file that has data sends that data first', async () => {
  const world = uniqueWorld('data-seed');
  const before = file(`${world}-a`);
  const old = await new AccountService(before, { scrypt: FAST_SCRYPT }).register('ann', 'a long password');
  before.appendChat([{ channel: 'world', tick: 1, sender: old.id, text: 'said before replication' }]);
  fx.close(before);
  const log = await DataStreamLog.open(fx.nc, world);
  const a = await leader(world, `${world}-a`, log);
  try {
    expect(a.data.stats().seeded).toBe(2);
    await a.data.settled();
    const replica = file(`${world}-b`);
    const f = await DataFollower.start(log, replica.db, world);
    await f.reach((await log.last()).seq, 10_000);
    f.stop();
    expect(replica.accountByName('ann')?.id).toBe(old.id);
    expect(replica.chatPage('world', null, 10).map((l) => l.text)).toEqual(['said before replication']);
  } finally {
    await a.data.close();
  }
});

test('a deposed leader cannot write: its append is fenced, the new leader has every acknowledged write and none of the deposed one', async () => {
  const world = uniqueWorld('data-fence');
  const log = await DataStreamLog.open(fx.nc, world);
  const fenced: DataError[] = [];
  const a = await leader(world, `${world}-a`, log, { onFenced: (e) => fenced.push(e) });
  const ann = await a.accounts.register('ann', 'a long password');
  // b takes over (as a replica that won the lease would): it applies the stream, then its marker fences a
  const b = await leader(world, `${world}-b`, log);
  expect(b.store.accountByName('ann')?.id).toBe(ann.id);
  a.store.appendChat([{ channel: 'world', tick: 9, sender: ann.id, text: 'from the deposed leader' }]);
  await waitFor(() => fenced.length > 0, 10_000, 'a to be fenced');
  expect(fenced[0].code).toBe('FENCED');
  expect(a.data.ready()).toMatch(/no longer the leader/);
  await expect(a.accounts.register('bob', 'a long password')).rejects.toMatchObject({ code: 3004 }); // BUSY: refused before any work
  // b goes on writing; a replica of the stream has b's writes and nothing a wrote after b took over
  await b.accounts.register('cyd', 'a long password');
  const c = file(`${world}-c`);
  const follower = await DataFollower.start(log, c.db, world);
  await follower.reach((await log.last()).seq, 10_000);
  follower.stop();
  expect(c.accountByName('ann')?.id).toBe(ann.id);
  expect(c.accountByName('cyd')).not.toBeNull();
  expect(c.chatPage('world', null, 10)).toEqual([]);
  await a.data.close(0);
  await b.data.close();
});

test('a row too large for a record is skipped and counted; the writes after it still reach the replica', async () => {
  const world = uniqueWorld('data-large');
  const log = await DataStreamLog.open(fx.nc, world);
  const a = await leader(world, `${world}-a`, log);
  try {
    a.store.recordAdmin([{ atMs: 1, actor: 0, action: 'huge', detail: 'x'.repeat(300_000) }]);
    await a.data.settled();
    a.store.appendChat([{ channel: 'world', tick: 1, sender: 0, text: 'after the huge row' }]);
    await a.data.settled();
    expect(a.data.stats()).toMatchObject({ skipped: 1, backlog: 0 });
    const replica = file(`${world}-b`);
    const f = await DataFollower.start(log, replica.db, world);
    await f.reach((await log.last()).seq, 10_000);
    f.stop();
    expect(replica.adminRecords(10)).toEqual([]);
    expect(replica.chatPage('world', null, 10).map((l) => l.text)).toEqual(['after the huge row']);
  } finally {
    await a.data.close();
  }
});

test('a replica that restarts mid-stream resumes after the last record it applied: nothing applied twice, nothing missed', async () => {
  const world = uniqueWorld('data-resume');
  const log = await DataStreamLog.open(fx.nc, world);
  const a = await leader(world, `${world}-a`, log);
  try {
    const ann = await a.accounts.register('ann', 'a long password');
    for (let k = 0; k < 30; k++) a.store.appendChat([{ channel: 'world', tick: k, sender: ann.id, text: `line ${k}` }]);
    await a.data.settled();
    const replica = file(`${world}-b`);
    const first = await DataFollower.start(log, replica.db, world);
    await first.reach((await log.last()).seq, 10_000);
    first.stop();
    const firstApplied = first.stats().applied;
    expect(firstApplied).toBe(32); // the marker, the account, 30 lines
    for (let k = 30; k < 50; k++) a.store.appendChat([{ channel: 'world', tick: k, sender: ann.id, text: `line ${k}` }]);
    await a.data.settled();
    const second = await DataFollower.start(log, replica.db, world);
    await second.reach((await log.last()).seq, 10_000);
    second.stop();
    expect(second.stats().applied).toBe(20); // only what came after
    expect(count(replica, 'chat_history')).toBe(50);
    expect(replica.chatPage('world', null, 100).map((l) => l.text)).toEqual(a.store.chatPage('world', null, 100).map((l) => l.text));
  } finally {
    await a.data.close();
  }
});

test('a forged or garbage record on the data subjects is refused with BAD_RECORD and counted; nothing of it is applied', async () => {
  const world = uniqueWorld('data-forged');
  const log = await DataStreamLog.open(fx.nc, world);
  const { prefix } = dataNames(world);
  const js = jetstream(fx.nc);
  const good = (o: number, id: number, text: string) =>
    JSON.stringify({ v: 1, w: '0123456789abcdef', o, t: 'chat_history', op: 'put', r: { id, channel: 'world', tick: 1, sender: 1, text } });
  const account = {
    id: 1,
    name: 'mallory',
    password_hash: 'AB'.repeat(32),
    password_salt: 'CD'.repeat(16),
    password_params: '{}',
    role: 'admin',
    created_ms: 0,
    last_login_ms: null,
    banned_until_ms: null,
    ban_reason: null,
  };
  // each on a subject of its own (the stream keeps the newest message per subject)
  const forged: Array<[string, string | Uint8Array]> = [
    ['chat_history.101', 'not json at all'],
    ['chat_history.102', new Uint8Array([0xff, 0xfe, 0x00])],
    ['chat_history.103', '[1,2,3]'],
    ['chat_history.104', good(2, 1, 'the subject names another row')],
    ['sqlite_master.1', JSON.stringify({ v: 1, w: '0123456789abcdef', o: 3, t: 'sqlite_master', op: 'put', r: {} })],
    ['accounts.1', JSON.stringify({ v: 1, w: '0123456789abcdef', o: 4, t: 'accounts', op: 'put', r: { ...account, role: 'god' } })],
    ['accounts.2', JSON.stringify({ v: 1, w: '0123456789abcdef', o: 5, t: 'accounts', op: 'put', r: { ...account, id: 2, extra: 1 } })],
    ['accounts.3', JSON.stringify({ v: 1, w: '0123456789abcdef', o: 6, t: 'accounts', op: 'del', r: { id: 3 } })],
    ['accounts.4', JSON.stringify({ v: 2, w: '0123456789abcdef', o: 7, t: 'accounts', op: 'put', r: { ...account, id: 4 } })],
    ['accounts.5', JSON.stringify({ v: 1, w: 'not-a-writer', o: 8, t: 'accounts', op: 'put', r: { ...account, id: 5 } })],
    [
      'chat_history.105',
      JSON.stringify({ v: 1, w: '0123456789abcdef', o: 9, t: 'chat_history', op: 'put', r: { id: 105, channel: 'world', tick: -1, sender: 1, text: 'x' } }),
    ],
  ];
  const replica = file(`${world}-b`);
  const refused: Array<[number, string]> = [];
  const f = await DataFollower.start(log, replica.db, world, { onRefused: (seq, e) => refused.push([seq, e.code]) });
  try {
    for (const [suffix, body] of forged) await js.publish(prefix + suffix, body);
    await js.publish(`${prefix}chat_history.7`, good(9, 7, 'a valid line after the garbage'));
    await f.reach((await log.last()).seq, 10_000);
    expect(f.stats()).toMatchObject({ refused: forged.length, applied: 1 });
    expect(refused.every(([, code]) => code === 'BAD_RECORD')).toBe(true);
    expect(count(replica, 'accounts')).toBe(0);
    expect(replica.chatPage('world', null, 10).map((l) => [l.id, l.text])).toEqual([[7, 'a valid line after the garbage']]);
  } finally {
    f.stop();
  }
});

test('NATS away: account writes are refused with BUSY (at once beyond the bound, else when JetStream does not store them in time), world writes wait in SQLite and reach JetStream when NATS is back', async () => {
  const srv = await startNats();
  const own = await connect({ servers: srv.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const world = uniqueWorld('data-outage');
  try {
    const log = await DataStreamLog.open(own, world, { ackTimeoutMs: 500 });
    const a = await leader(world, `${world}-a`, log, { maxBacklog: 5, settleTimeoutMs: 1_000, retryMs: 200 });
    await a.accounts.register('ann', 'a long password');
    srv.pause();
    for (let k = 0; k < 5; k++) a.store.appendChat([{ channel: 'world', tick: k, sender: 0, text: `while away ${k}` }]);
    // the bound: 5 writes not acknowledged; an account write is refused before any work
    expect(a.data.ready()).toMatch(/5 writes wait/);
    await expect(a.accounts.register('bob', 'a long password')).rejects.toMatchObject({ code: 3004 });
    expect(a.store.accountByName('bob')).toBeNull();
    await waitFor(() => /cannot reach/.test(a.data.ready() ?? ''), 10_000, 'the append to fail');
    srv.resume();
    await waitFor(() => a.data.stats().backlog === 0 && a.data.ready() === null, 20_000, 'the outbox sent after NATS is back');
    // NATS away after the check: the account is committed here but not acknowledged (BUSY), and sent later
    srv.pause();
    await expect(a.accounts.register('cyd', 'a long password')).rejects.toMatchObject({ code: 3004 });
    srv.resume();
    await waitFor(() => a.data.stats().backlog === 0 && a.data.ready() === null, 20_000, 'the outbox sent after NATS is back');
    expect(a.data.stats().failures).toBeGreaterThan(0);
    const replica = file(`${world}-b`);
    const f = await DataFollower.start(log, replica.db, world);
    await f.reach((await log.last()).seq, 10_000);
    f.stop();
    expect(replica.listAccounts().map((x) => x.name)).toEqual(['ann', 'cyd']);
    expect(replica.chatPage('world', null, 10).map((l) => l.text)).toEqual([4, 3, 2, 1, 0].map((k) => `while away ${k}`));
    await a.data.close();
  } finally {
    srv.resume();
    await own.close().catch(() => undefined);
    await srv.stop();
  }
});

test('what replication adds to a registration (median of 7, printed; not a timed assertion)', async () => {
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const time = async (f: () => Promise<unknown>): Promise<number> => {
    const t = performance.now();
    await f();
    return performance.now() - t;
  };
  const out: string[] = [];
  for (const [label, scrypt] of [
    ['scrypt N=2^15 (the default)', DEFAULT_SCRYPT],
    ['scrypt N=2^10 (tests)', FAST_SCRYPT],
  ] as const) {
    const world = uniqueWorld('data-cost');
    const log = await DataStreamLog.open(fx.nc, world);
    const a = await leader(world, `${world}-a`, log, { scrypt });
    const alone = new AccountService(file(`${world}-plain`), { scrypt });
    try {
      const replicated: number[] = [],
        without: number[] = [],
        settle: number[] = [];
      for (let k = 0; k < 7; k++) {
        without.push(await time(() => alone.register(`plain${k}`, 'a long password')));
        replicated.push(await time(() => a.accounts.register(`repl${k}`, 'a long password')));
        // the replication part alone: a committed row until JetStream acknowledged it
        a.store.appendChat([{ channel: 'world', tick: k, sender: 0, text: 'x' }]);
        settle.push(await time(() => a.data.settled()));
      }
      expect(a.data.stats().backlog).toBe(0);
      out.push(`${label}: ${median(without).toFixed(1)} ms alone, ${median(replicated).toFixed(1)} ms replicated`);
      out.push(`a committed write until JetStream acknowledged it: ${median(settle).toFixed(2)} ms`);
    } finally {
      await a.data.close();
    }
  }
  console.log(`registration, medians of 7:\n${out.join('\n')}`);
});
