/**
 * The login and registration limits of AccountService (issue 15): an attacker cannot lock the
 * owner out of an account, addresses are limited by IPv6 /64, limit buckets expire and are
 * bounded, /auth/register is limited per address and globally, scrypt runs under a concurrency
 * cap with a bounded queue, and passwords that are not well-formed UTF-16 are refused.
 * Time is a fake clock; the hash is a controllable stand-in where the test counts concurrency.
 */
import { ERROR_NAME } from '../src/protocol/errors';
import { accountFixtures, authOutcome } from './helpers/accounts';
import type { AuthError } from '../src/persist/accounts';
import { BucketMap, addressKey } from '../src/persist/rate-buckets';

const { setup } = accountFixtures('tessera-limits-');
const code = authOutcome;

test('five wrong passwords from one address do not lock the owner out: the limit is per (account, address)', async () => {
  const { store, svc } = setup();
  await svc.register('gina', 'password-1');
  for (let i = 0; i < 5; i++) expect(await code(svc.login('gina', `guess-${i}`, '203.0.113.9'))).toBe('INVALID_CREDENTIALS');
  // the attacker's address is stopped, even with the right password ...
  const e = (await svc.login('gina', 'password-1', '203.0.113.9').then(
    () => null,
    (x) => x as AuthError,
  )) as AuthError;
  expect(ERROR_NAME[e.code]).toBe('RATE_LIMITED');
  expect(e.retryAfterMs).toBeGreaterThan(0);
  // ... the owner, elsewhere, is not
  expect(await code(svc.login('gina', 'password-1', '198.51.100.4'))).toBe('ok');
  store.close();
});

test('a spray from many addresses slows the account down for new addresses only: one the owner logged in from still works', async () => {
  const { store, svc, clock } = setup({ perAccount: { burst: 10, perMinute: 1 } });
  await svc.register('hank', 'password-1');
  expect(await code(svc.login('hank', 'password-1', '198.51.100.4'))).toBe('ok');
  for (let i = 0; i < 10; i++) expect(await code(svc.login('hank', 'nope', `203.0.113.${i}`))).toBe('INVALID_CREDENTIALS');
  expect(await code(svc.login('hank', 'password-1', '203.0.113.200'))).toBe('RATE_LIMITED'); // a new address: account-wide slow-down
  expect(await code(svc.login('hank', 'password-1', '198.51.100.4'))).toBe('ok'); // the owner's known address
  clock.t += 60_000; // one token back
  expect(await code(svc.login('hank', 'password-1', '203.0.113.201'))).toBe('ok');
  store.close();
});

test('addresses are limited by IPv6 /64 (IPv4 by the address; IPv4-mapped IPv6 as IPv4)', async () => {
  expect(addressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
  expect(addressKey('2001:0db8:0001:0002:ffff:0000:0000:0009')).toBe('2001:db8:1:2::/64');
  expect(addressKey('[2001:db8:1:3::1%eth0]')).toBe('2001:db8:1:3::/64');
  expect(addressKey('::1')).toBe('0:0:0:0::/64');
  expect(addressKey('0000:0000:0000:0000:0000:ffff:7f00:0001')).toBe('127.0.0.1');
  expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
  expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
  expect(addressKey('not:an::address::x')).toBe('not:an::address::x');

  const { store, svc } = setup({ perAddress: { burst: 8, perMinute: 8 } });
  const codes: string[] = [];
  for (let i = 0; i < 10; i++) codes.push(await code(svc.login(`user${i}`, 'password-x', `2001:db8:1:2::${(i + 1).toString(16)}`)));
  expect(codes.slice(0, 8).every((c) => c === 'INVALID_CREDENTIALS')).toBe(true);
  expect(codes.slice(8)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
  expect(await code(svc.login('user0', 'password-x', '2001:db8:1:3::1'))).toBe('INVALID_CREDENTIALS'); // another /64
  store.close();
});

test('limit buckets expire once refilled and never exceed their bound', () => {
  const clock = { t: 0 };
  const m = new BucketMap({ burst: 5, perMinute: 1 }, () => clock.t, 100);
  for (let i = 0; i < 1000; i++) expect(m.take(`k${i}`)).toBe(0);
  expect(m.size).toBe(100); // bounded: least recently used dropped
  expect(m.take('k999', 4)).toBe(0);
  expect(m.take('k999')).toBe(60_000); // empty: one token a minute
  clock.t += 5 * 60_000; // everything has refilled
  for (let i = 0; i < 200; i++) m.take('fresh'); // takes sweep refilled entries
  expect(m.size).toBeLessThanOrEqual(2);

  const { store, svc } = setup({ maxBuckets: 50 });
  return (async () => {
    for (let i = 0; i < 300; i++) await code(svc.login(`name${i}`, 'password-x', `10.1.${i >> 8}.${i & 255}`));
    for (const n of Object.values(svc.limiterSizes())) expect(n).toBeLessThanOrEqual(50);
    store.close();
  })();
});

test('registration is limited per address and globally; the operator (no address) is not', async () => {
  const { store, svc, clock } = setup({ registerPerAddress: { burst: 3, perMinute: 1 }, registerGlobal: { burst: 5, perMinute: 5 } });
  for (let i = 0; i < 3; i++) expect(await code(svc.register(`reg${i}`, 'password-1', '192.0.2.1'))).toBe('ok');
  const e = (await svc.register('reg3', 'password-1', '192.0.2.1').then(
    () => null,
    (x) => x as AuthError,
  )) as AuthError;
  expect(ERROR_NAME[e.code]).toBe('RATE_LIMITED');
  expect(e.retryAfterMs).toBe(60_000);
  expect(await code(svc.register('reg4', 'password-1', '192.0.2.2'))).toBe('ok');
  expect(await code(svc.register('reg5', 'password-1', '192.0.2.3'))).toBe('ok');
  expect(await code(svc.register('reg6', 'password-1', '192.0.2.4'))).toBe('RATE_LIMITED'); // global: 5 in the burst
  expect(await code(svc.register('op-made', 'password-1'))).toBe('ok'); // CLI: trusted
  clock.t += 60_000;
  expect(await code(svc.register('reg7', 'password-1', '192.0.2.4'))).toBe('ok');
  store.close();
});

test('scrypt runs under a concurrency cap; beyond the queue bound attempts are refused at once', async () => {
  let running = 0,
    most = 0;
  const waiting: Array<() => void> = [];
  const hash = (): Promise<Buffer> => {
    running++;
    most = Math.max(most, running);
    return new Promise((resolve) =>
      waiting.push(() => {
        running--;
        resolve(Buffer.alloc(64));
      }),
    );
  };
  const { store, svc } = setup({ hash, maxHashing: 2, maxHashQueue: 3, perAddress: { burst: 100, perMinute: 100 } });
  const attempts = Array.from({ length: 10 }, (_, i) => code(svc.login(`n${i}`, 'password-x', `192.0.2.${i}`)));
  await new Promise((r) => setImmediate(r));
  expect(running).toBe(2);
  while (waiting.length) {
    waiting.shift()!();
    await new Promise((r) => setImmediate(r));
  }
  const codes = await Promise.all(attempts);
  expect(most).toBe(2);
  expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(5); // 10 - 2 running - 3 queued
  expect(codes.filter((c) => c === 'INVALID_CREDENTIALS')).toHaveLength(5);
  store.close();
});

test('passwords that are not well-formed UTF-16 (lone surrogates) are refused with BAD_VALUE', async () => {
  const { store, svc } = setup();
  expect(await code(svc.register('ivy', 'password\uD800x'))).toBe('BAD_VALUE');
  expect(await code(svc.register('ivy', 'password\uDC00x'))).toBe('BAD_VALUE');
  expect(await code(svc.register('ivy', 'password\uD83D\uDE00x'))).toBe('ok'); // a real pair is fine
  expect(await code(svc.login('ivy', 'password\uD83D\uDFFFx', '192.0.2.1'))).toBe('INVALID_CREDENTIALS');
  expect(await code(svc.login('ivy', 'password\uD83Dx', '192.0.2.1'))).toBe('BAD_VALUE');
  store.close();
});
