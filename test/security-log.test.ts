/**
 * The security log alone (src/net/security-log.ts): one JSON-able line per event with its kind
 * and code, at most N lines per kind per second under a flood, and the suppressed ones counted
 * in one summary line. Fake clock, a logger that keeps its lines.
 */
import { SecurityLog } from '../src/net/security-log';
import { ERROR } from '../src/protocol/errors';

function setup(perSecond = 3) {
  const lines: Array<Record<string, unknown> & { msg: string }> = [];
  const clock = { t: 10_000 };
  const log = new SecurityLog({ warn: (obj, msg) => lines.push({ ...(obj as Record<string, unknown>), msg }) }, { perSecond, clock: () => clock.t });
  return { lines, clock, log };
}

test('each event is a line with its kind, code and context', () => {
  const { lines, log } = setup();
  log.event('login_failed', { code: ERROR.INVALID_CREDENTIALS, address: '192.0.2.1', detail: 'login' });
  log.event('malformed', { code: 1000, address: '192.0.2.2', publicId: 4, detail: 'OUT_OF_BOUNDS' });
  expect(lines).toEqual([
    { security: 'login_failed', code: ERROR.INVALID_CREDENTIALS, address: '192.0.2.1', detail: 'login', msg: 'login failed' },
    { security: 'malformed', code: 1000, address: '192.0.2.2', publicId: 4, detail: 'OUT_OF_BOUNDS', msg: 'malformed' },
  ]);
  expect(JSON.parse(JSON.stringify(lines[1]))).toEqual(lines[1]);
});

test('a flood is sampled per kind per second; the suppressed ones are counted in one line', () => {
  const { lines, clock, log } = setup(3);
  for (let i = 0; i < 1000; i++) log.event('rate_limited', { code: 3000, detail: 'chat' });
  log.event('kick', { code: 4011, publicId: 2 }); // another kind is not held back
  expect(lines.filter((l) => l.security === 'rate_limited')).toHaveLength(3);
  expect(lines.filter((l) => l.security === 'kick')).toHaveLength(1);
  clock.t += 1000;
  log.event('rate_limited', { code: 3000, detail: 'chat' }); // a new second: the summary first, then the line
  const rl = lines.filter((l) => l.security === 'rate_limited');
  expect(rl).toHaveLength(5);
  expect(rl[3]).toMatchObject({ suppressed: 997, fromMs: 10_000, toMs: 10_999 });
  expect(rl[4]).toMatchObject({ code: 3000 });
  expect(log.counts()).toEqual({ rate_limited: { total: 1001, suppressed: 997 }, kick: { total: 1, suppressed: 0 } });
});

test('flush writes the summary of an ended second when the flood stops; nothing is written twice', () => {
  const { lines, clock, log } = setup(2);
  for (let i = 0; i < 5; i++) log.event('slow_consumer', { code: 4008 });
  log.flush(); // the same second: nothing yet
  expect(lines).toHaveLength(2);
  clock.t += 1500;
  log.flush();
  log.flush();
  expect(lines).toHaveLength(3);
  expect(lines[2]).toMatchObject({ security: 'slow_consumer', suppressed: 3 });
});
