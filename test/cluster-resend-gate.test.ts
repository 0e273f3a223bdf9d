/**
 * The resend bound (src/cluster/resend-gate.ts): a burst of requests is read up to the bucket
 * size and the rest dropped and counted; a (tick, region) is republished at most once per
 * repeatMs; the repeat memory follows the tick; bad limits are refused with the field's name.
 */
import { ResendGate, resendLimits, DEFAULT_RESEND_LIMITS } from '../src/cluster/resend-gate';

test('a burst beyond the bucket is dropped and counted', () => {
  const g = new ResendGate(resendLimits({ perSecond: 10, burst: 5 }));
  let admitted = 0;
  for (let i = 0; i < 50; i++) if (g.admit()) admitted++;
  // 5 at once, maybe one more refilled while the loop ran (10 a second)
  expect(admitted).toBeGreaterThanOrEqual(5);
  expect(admitted).toBeLessThanOrEqual(6);
  expect(g.dropped).toBe(50 - admitted);
});

test('a (tick, region) is answered at most once per repeatMs; a new tick starts afresh', () => {
  let now = 1000;
  const g = new ResendGate(resendLimits({ repeatMs: 100 }), () => now);
  expect(g.answer(7, 0)).toBe(true);
  expect(g.answer(7, 1)).toBe(true);
  now += 50;
  expect(g.answer(7, 0)).toBe(false);
  expect(g.answer(7, 1)).toBe(false);
  expect(g.repeats).toBe(2);
  now += 50;
  expect(g.answer(7, 0)).toBe(true);
  expect(g.answer(8, 1)).toBe(true); // the next tick: nothing answered yet
  expect(g.answer(8, 1)).toBe(false);
});

test('limits: defaults fill in, bad values are refused with the field', () => {
  expect(resendLimits()).toEqual(DEFAULT_RESEND_LIMITS);
  expect(resendLimits({ burst: 7 })).toEqual({ ...DEFAULT_RESEND_LIMITS, burst: 7 });
  expect(() => resendLimits({ perSecond: 0 })).toThrow(/perSecond must be a positive number, got 0/);
  expect(() => resendLimits({ repeatMs: Number.NaN })).toThrow(/repeatMs/);
});
