/**
 * Crash recovery of shards: workers are killed (terminated as a crash would) and shard ticks
 * trap inside WebAssembly (`unreachable`, after the ghost sync has changed the shard's world)
 * at 20 seeded ticks of a run with commands every tick. Every shard is rebuilt from the last
 * published board, the workers are replaced and the tick runs again: the hash of every tick
 * equals the unsharded run's.
 */
import { ShardedWorld, DEFAULT_STEP_TIMEOUT_MS, type ShardRecovery } from '../src/physics/sharded';
import { PhysicsWorld } from '../src/physics/world';
import { buildRain, rainConfig } from './helpers/scenes';
import { mulberry32 } from './helpers/bigref';

const CONFIG = rainConfig(300);
const TICKS = 240;

function reference(): bigint[] {
  const w = PhysicsWorld.create(CONFIG);
  const tick = buildRain(w, 300, 12).tick;
  return Array.from({ length: TICKS }, () => {
    tick();
    return w.hash();
  });
}

test.each(['tick', 'pass'] as const)(
  '20 worker kills and WASM traps at random ticks: every tick hashes as the run without faults (exchange per %s)',
  async (exchange) => {
    const hashes = reference();
    const reports: ShardRecovery[] = [];
    const faulty = new ShardedWorld(CONFIG, { xCuts: [0], zCuts: [0] }, undefined, {
      workers: 2,
      stepTimeoutMs: 1500,
      exchange,
      onRecovery: (r) => reports.push(r),
    });
    try {
      const tick = buildRain(faulty, 300, 12).tick;
      const rng = mulberry32(99);
      const faults = new Map<number, 'kill' | 'trap'>();
      while (faults.size < 20) {
        const t = 2 + 10 * (rng() % 23); // ticks 2, 12, ..., 222: one fault at a time
        if (!faults.has(t)) faults.set(t, faults.size % 2 ? 'trap' : 'kill');
      }
      for (let t = 1; t <= TICKS; t++) {
        const fault = faults.get(t);
        if (fault === 'kill') faulty.pool!.killWorker(rng() % faulty.pool!.size);
        if (fault === 'trap') faulty.injectTrap(rng() % faulty.shardCount);
        tick();
        const h = faulty.hash();
        if (h !== hashes[t - 1]) throw new Error(`tick ${t} (${fault ?? 'no fault'}): ${h.toString(16)} != ${hashes[t - 1].toString(16)}`);
      }
      expect(faulty.recoveries).toBeGreaterThanOrEqual(20);
      // every recovery was reported as it happened, with what went wrong: a killed worker never
      // reaches the barrier (timeout), a trap is reported by its worker (failed)
      expect(reports).toHaveLength(faulty.recoveries);
      expect(reports.map((r) => r.recoveries)).toEqual(reports.map((_, i) => i + 1));
      for (const [t, fault] of faults) {
        const first = reports.find((r) => r.tick === t - 1);
        expect({ t, code: first?.code }).toEqual({ t, code: fault === 'kill' ? 'SHARD_TIMEOUT' : 'SHARD_FAILED' });
      }
    } finally {
      await faulty.close();
    }
  },
);

test.each(['tick', 'pass'] as const)(
  'the default step timeout is under 1 s (a dead worker is reported within it), and a dead worker under it is recovered and reported (exchange per %s)',
  async (exchange) => {
    expect(DEFAULT_STEP_TIMEOUT_MS).toBeLessThan(1000);
    const hashes = reference();
    const reports: ShardRecovery[] = [];
    const w = new ShardedWorld(CONFIG, { xCuts: [0], zCuts: [0] }, undefined, { workers: 2, exchange, onRecovery: (r) => reports.push(r) });
    try {
      expect(w.stepTimeoutMs).toBe(DEFAULT_STEP_TIMEOUT_MS);
      const tick = buildRain(w, 300, 12).tick;
      for (let t = 1; t <= 10; t++) {
        if (t === 5) w.pool!.killWorker(1);
        tick();
        expect(w.hash()).toBe(hashes[t - 1]);
      }
      expect(w.recoveries).toBe(1);
      expect(reports).toEqual([
        expect.objectContaining({
          tick: 4,
          attempt: 1,
          code: 'SHARD_TIMEOUT',
          recoveries: 1,
          message: expect.stringContaining(`did not step within ${DEFAULT_STEP_TIMEOUT_MS} ms`),
        }),
      ]);
    } finally {
      await w.close();
    }
  },
);

test.each(['tick', 'pass'] as const)(
  'a hung worker (spinning, never done) is replaced at the step timeout and reported; every tick hashes as the run without faults (exchange per %s)',
  async (exchange) => {
    const hashes = reference();
    const reports: ShardRecovery[] = [];
    const w = new ShardedWorld(CONFIG, { xCuts: [0], zCuts: [0] }, undefined, { workers: 2, stepTimeoutMs: 500, exchange, onRecovery: (r) => reports.push(r) });
    try {
      const tick = buildRain(w, 300, 12).tick;
      for (let t = 1; t <= 12; t++) {
        if (t === 3 || t === 9) w.injectHang(t === 3 ? 0 : 3);
        tick();
        expect(w.hash()).toBe(hashes[t - 1]);
      }
      expect(reports.map((r) => [r.tick, r.code])).toEqual([
        [2, 'SHARD_TIMEOUT'],
        [8, 'SHARD_TIMEOUT'],
      ]);
      expect(w.recoveries).toBe(2);
    } finally {
      await w.close();
    }
    expect(() => new ShardedWorld(CONFIG, { xCuts: [0], zCuts: [0] }).injectHang(0)).toThrow(RangeError);
  },
);

test.each(['tick', 'pass'] as const)(
  'a worker slow past the step timeout is fenced off: it finishes its step before the tick runs again, and every hash stays equal (exchange per %s)',
  async (exchange) => {
    // Seen in a CI run with both cores busy: a worker merely slow past the timeout kept stepping
    // its shards while the coordinator reset them and the new workers ran the tick again, and the
    // hashes diverged a tick later. Here shard 1's worker spins 500 ms inside the step (timeout
    // 300 ms) and then writes its shard, as a slow one would.
    const hashes = reference();
    const reports: ShardRecovery[] = [];
    const w = new ShardedWorld(CONFIG, { xCuts: [0], zCuts: [0] }, undefined, { workers: 2, stepTimeoutMs: 300, exchange, onRecovery: (r) => reports.push(r) });
    try {
      const tick = buildRain(w, 300, 12).tick;
      for (let t = 1; t <= 30; t++) {
        if (t === 4 || t === 15) w.injectSlow(t === 4 ? 1 : 2, 500);
        tick();
        expect(w.hash()).toBe(hashes[t - 1]);
      }
      // the two slow ticks were recovered; on a loaded machine a re-run can time out again while
      // the new workers compile the core (more attempts of the same tick, same bits)
      expect([...new Set(reports.map((r) => r.tick))]).toEqual([3, 14]);
      expect(reports.every((r) => r.code === 'SHARD_TIMEOUT')).toBe(true);
    } finally {
      await w.close();
    }
    expect(() => new ShardedWorld(CONFIG, { xCuts: [0], zCuts: [0] }).injectSlow(0, 10)).toThrow(RangeError);
  },
);

test.each(['tick', 'pass'] as const)('a trap in a shard run on this thread is recovered the same way (exchange per %s)', (exchange) => {
  const hashes = reference();
  const w = new ShardedWorld(CONFIG, { xCuts: [0], zCuts: [0] }, undefined, { exchange });
  const tick = buildRain(w, 300, 12).tick;
  for (let t = 1; t <= 60; t++) {
    if (t % 20 === 5) w.injectTrap(t % 4);
    tick();
    expect(w.hash()).toBe(hashes[t - 1]);
  }
  expect(w.recoveries).toBe(3);
});

test('a step timeout that is not positive is refused', () => {
  expect(() => new ShardedWorld(CONFIG, { xCuts: [0], zCuts: [0] }, undefined, { stepTimeoutMs: 0 })).toThrow(RangeError);
});

test.each(['tick', 'pass'] as const)(
  'a worker woken without a new step goes back to waiting: no shard is stepped twice (exchange per %s)',
  async (exchange) => {
    // Seen under load (test/shard-acceptance, about 1 run in 100 of 2,000 ticks on 2 workers):
    // Atomics.wait returned 'ok' with the step generation unchanged, the worker ran its shards
    // again, and they were one tick ahead (every body of both its shards off by g dt in velocity).
    // Here the coordinator wakes the waiting workers itself, which is the same event.
    const hashes = reference();
    const w = new ShardedWorld(CONFIG, { xCuts: [0], zCuts: [0] }, undefined, { workers: 2, exchange });
    const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    try {
      const tick = buildRain(w, 300, 12).tick;
      for (let t = 1; t <= 40; t++) {
        tick();
        if (t % 10 === 5) {
          // both workers must have been woken while waiting (each wake of a waiting worker counts)
          const before = w.strayWakes;
          for (let i = 0; i < 200 && w.strayWakes < before + 2; i++) {
            w.injectStrayWake();
            await pause(10);
          }
          expect(w.strayWakes).toBeGreaterThanOrEqual(before + 2);
        }
        expect(w.hash()).toBe(hashes[t - 1]);
      }
    } finally {
      await w.close();
    }
    expect(() => new ShardedWorld(CONFIG, { xCuts: [0], zCuts: [0] }).injectStrayWake()).toThrow(RangeError);
  },
);
