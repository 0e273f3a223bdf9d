/**
 * Retention (issue 15: "the world log, chat history and admin records on disk grow forever"):
 * the store deletes the world log before the newest snapshot beyond a set age, chat lines,
 * admin records, login records and long-expired sessions by age, on a schedule. Time is an
 * injected clock; the schedule runs on jest's fake timers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/persist/sqlite-store';
import { DEFAULT_RETENTION, RetentionSchedule, retentionCutoffs, type PruneCounts } from '../src/persist/retention';

const DAY = 86_400_000,
  HOUR = 3_600_000;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-retention-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A world of 300 ticks: snapshots at tick 50 (day 0), 150 (day 1) and 250 (day 3); chat, admin and login rows on days 0, 1 and 3. */
function world(): SqliteStore {
  const store = SqliteStore.open(join(dir, `db-${Math.random().toString(36).slice(2)}.sqlite`), { durable: false });
  const day = (t: number): number => (t < 100 ? 0 : t < 200 ? 1 : 3) * DAY;
  for (let t = 0; t < 300; t++) {
    store.appendTick('world', t, [{ tick: t, type: 'in', origin: 1, body: '1000,0,0' }], t.toString(16));
    if (t % 100 === 50) store.saveSnapshot('world', t, t.toString(16), new Uint8Array([t & 255]), day(t), 10);
  }
  store.appendChat([
    { channel: 'world', tick: 10, sender: 1, text: 'day 0' },
    { channel: 'world', tick: 120, sender: 1, text: 'day 1' },
    { channel: 'world', tick: 260, sender: 1, text: 'day 3' },
  ]);
  store.recordAdmin([0, DAY, 3 * DAY].map((atMs) => ({ atMs, actor: 1, action: 'kick', detail: '{}' })));
  for (const atMs of [0, DAY, 3 * DAY]) store.recordLogin({ atMs, name: 'ann', address: '192.0.2.1', ok: true, reason: 'ok' });
  const acc = store.createAccount({
    name: 'ann',
    passwordHash: Buffer.alloc(8),
    passwordSalt: Buffer.alloc(8),
    passwordParams: '{}',
    role: 'player',
    createdMs: 0,
  });
  store.createSession({ tokenHash: Buffer.from('old'), accountId: acc.id, createdMs: 0, expiresMs: DAY });
  store.createSession({ tokenHash: Buffer.from('live'), accountId: acc.id, createdMs: 3 * DAY, expiresMs: 4 * DAY });
  return store;
}

test('the log before the newest snapshot beyond the set age, old chat, admin and login records are deleted', () => {
  const store = world();
  const now = { t: 3 * DAY + HOUR };
  const counts = new RetentionSchedule(
    store,
    { logRetentionDays: 2, chatRetentionDays: 2, adminRetentionDays: 1, loginRetentionDays: 1 },
    { clock: () => now.t },
  ).runOnce();
  // the newest mark at or before day 1 + 1 h is tick 150 (day 1): the log before it goes
  expect(counts).toMatchObject({ logTicks: 150, chatLines: 2, adminRecords: 2, loginRecords: 2, sessions: 1 });
  expect(store.ticksFrom('world', 0)[0].tick).toBe(150);
  expect(store.ticksFrom('world', 0)).toHaveLength(150);
  expect(store.newestSnapshot('world')!.tick).toBe(250);
  expect(store.chatPage('world', null, 10).map((l) => l.text)).toEqual(['day 3']);
  expect(store.adminRecords(10).map((r) => r.atMs)).toEqual([3 * DAY]);
  expect(store.recentLogins('ann', 10).map((r) => r.atMs)).toEqual([3 * DAY]);
  expect(store.sessionByHash(Buffer.from('old'))).toBeNull();
  expect(store.sessionByHash(Buffer.from('live'))).not.toBeNull();
  store.close();
});

test('the log after the newest snapshot is never deleted, however short the age; 0 keeps a kind forever', () => {
  const store = world();
  const counts = store.prune(
    { ...retentionCutoffs({ logRetentionDays: 0, chatRetentionDays: 0, adminRetentionDays: 0, loginRetentionDays: 0 }, 10 * DAY), worldLogBeforeMs: 10 * DAY },
    7,
  );
  expect(counts).toMatchObject({ logTicks: 250, chatLines: 0, adminRecords: 0, loginRecords: 0, sessions: 0 });
  expect(store.ticksFrom('world', 0).map((t) => t.tick)).toEqual(Array.from({ length: 50 }, (_, i) => 250 + i));
  expect(store.chatPage('world', null, 10)).toHaveLength(3);
  // a restart still restores: the newest snapshot and every tick after it are there
  expect(store.newestSnapshot('world')!.tick).toBe(250);
  expect(() => retentionCutoffs({ ...DEFAULT_RETENTION, chatRetentionDays: -1 }, 0)).toThrow(RangeError);
  store.close();
});

test('the schedule prunes at start and then every period', () => {
  jest.useFakeTimers();
  try {
    const calls: number[] = [];
    const clock = { t: 100 * DAY };
    const fake = {
      prune: (c: { adminBeforeMs?: number }): PruneCounts => {
        calls.push(c.adminBeforeMs!);
        return { logTicks: 0, chatLines: 0, adminRecords: 0, loginRecords: 0, sessions: 0, marks: 0 };
      },
    };
    const s = new RetentionSchedule(fake, DEFAULT_RETENTION, { clock: () => clock.t, everyMs: HOUR });
    s.start();
    expect(calls).toEqual([100 * DAY - 365 * DAY]);
    clock.t += HOUR;
    jest.advanceTimersByTime(HOUR);
    clock.t += HOUR;
    jest.advanceTimersByTime(HOUR);
    expect(calls).toEqual([-265 * DAY, -265 * DAY + HOUR, -265 * DAY + 2 * HOUR]);
    s.stop();
    jest.advanceTimersByTime(10 * HOUR);
    expect(calls).toHaveLength(3);
  } finally {
    jest.useRealTimers();
  }
});
