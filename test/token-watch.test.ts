/**
 * TokenWatch (src/net/token-watch.ts), the host's table of tokens held by open sessions: the
 * re-check visits every held token in bounded batches, in turn; JSON endpoint joins are bounded
 * in number (least recently used out) and in time; a closed socket leaves no entry.
 */
import { TokenWatch } from '../src/net/token-watch';

test('next hands out at most `max` tokens per call and every token within size/max calls', () => {
  const w = new TokenWatch<number>(100, 10_000);
  for (let i = 0; i < 25; i++) w.addSocket(`t${i}`, i);
  const seen = new Set<string>();
  for (let k = 0; k < 3; k++) {
    const batch = w.next(10, 0);
    expect(batch.length).toBeLessThanOrEqual(10);
    expect(new Set(batch).size).toBe(batch.length);
    for (const t of batch) seen.add(t);
  }
  expect(seen.size).toBe(25);
  expect(w.next(100, 0)).toHaveLength(25); // a batch larger than the table: each once
});

test('sockets and JSON joins: removed at close, taken once, bounded by count and age', () => {
  const w = new TokenWatch<string>(2, 1000);
  w.addSocket('a', 's1');
  w.removeSocket('a', 's1');
  expect(w.size).toBe(0);
  w.addJson('x', 'world\nk1', 0);
  w.addJson('y', 'world\nk2', 10);
  w.addJson('z', 'world\nk3', 20); // over maxJson: x's join (least recently used) goes
  expect(w.peek('x')).toBeUndefined();
  expect([...w.take('y')!.json.keys()]).toEqual(['world\nk2']);
  expect(w.take('y')).toBeUndefined();
  expect(w.next(10, 500)).toEqual(['z']);
  expect(w.next(10, 5000)).toEqual([]); // older than jsonMs: dropped
  expect(w.size).toBe(0);
});
