/**
 * The correction smoothing rule (src/client/smooth.ts): the drawn position does not jump on a
 * correction, the visible error decays exponentially (exp(-t / 30 ms): 3.6% left at 100 ms, zero
 * soon after), the simulated position is what is drawn once it has faded, and corrections that
 * arrive while one fades add up.
 */
import { Smoother } from '../src/client/smooth';

const dist = (a: readonly number[], b: readonly number[]): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

test('a correction does not move the drawn position; the error fades over about 100 ms (exponential, tau 30 ms)', () => {
  const s = new Smoother();
  const before = [1, 0.9, 2],
    after = [1.3, 0.9, 1.6]; // a 0.5 m correction
  s.correct(before, after);
  // the simulated state snapped to `after`, the drawn one is still at `before`
  expect(dist(s.drawn(after), before)).toBeLessThan(1e-12);
  expect(s.size).toBeCloseTo(0.5, 12);
  // at 16 ms frames: after 48 ms exp(-48/30) = 20% of the error is left, after 96 ms 4.1%
  for (let f = 0; f < 3; f++) s.decay(16);
  expect(s.size).toBeCloseTo(0.5 * Math.exp(-48 / 30), 9);
  for (let f = 0; f < 3; f++) s.decay(16);
  expect(s.size).toBeCloseTo(0.5 * Math.exp(-96 / 30), 9);
  expect(s.size).toBeLessThan(0.05 * 0.5);
  // the drawn position moves monotonically towards the simulated one, along the correction
  const d = s.drawn(after);
  expect(d[1]).toBe(0.9);
  expect((d[0] - after[0]) / (before[0] - after[0])).toBeCloseTo((d[2] - after[2]) / (before[2] - after[2]), 9);
  // at 208 ms it is 0.49 mm < 0.5 mm and so exactly gone: the drawn position is the simulated one
  for (let f = 0; f < 6; f++) s.decay(16);
  expect(s.size).toBeGreaterThan(0); // 192 ms: 0.83 mm
  s.decay(16);
  expect(s.size).toBe(0);
  expect(s.drawn(after)).toEqual(after);
});

test('the decay depends on the time that passed, not on the number of frames', () => {
  const a = new Smoother(),
    b = new Smoother();
  a.correct([0, 0, 0], [0.2, 0, 0]);
  b.correct([0, 0, 0], [0.2, 0, 0]);
  for (let f = 0; f < 10; f++) a.decay(6); // 60 ms in ten frames
  b.decay(60); // in one
  expect(a.offset[0]).toBeCloseTo(b.offset[0], 12);
  expect(b.offset[0]).toBeCloseTo(-0.2 * Math.exp(-2), 12);
});

test('corrections add up while one fades; no correction, no offset', () => {
  const s = new Smoother({ tauMs: 50 });
  s.decay(100);
  expect(s.size).toBe(0);
  s.correct([0, 0, 0], [0, 0, 0.1]);
  s.decay(50);
  const left = -0.1 * Math.exp(-1);
  expect(s.offset[2]).toBeCloseTo(left, 12);
  // a second correction of the same simulated body at the drawn position's tick
  s.correct([0, 0, 0.1], [0, 0, 0.3]);
  expect(s.offset[2]).toBeCloseTo(left - 0.2, 12);
  expect(() => new Smoother({ tauMs: 0 })).toThrow(RangeError);
});
