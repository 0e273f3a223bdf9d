/**
 * Faults of a cluster world (src/cluster/coordinator-worker.ts): `kill -9` of shard processes at
 * seeded random ticks (with a standby, and without one), a process paused with SIGSTOP past its
 * lease and resumed, every process paused at once (nothing to move to: the tick waits), and a
 * restart of nats-server. In every case the world goes on with the
 * hash and events of the fault-free (unsharded) run at every tick, the moves are logged and
 * counted, and the stall is measured.
 */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ShardedWorld } from '../src/physics/sharded';
import { ClusterCoordinator } from '../src/cluster/coordinator';
import { natsUrl, startNats, uniqueWorld } from './helpers/nats';
import { ACCEPTANCE, eventsDigest, hex, unshardedRun } from './helpers/acceptance';
import { startShards, stopShards, type ShardChild } from './helpers/shard-processes';

jest.setTimeout(120_000);
const TICKS = 300;
const FOUR = { xCuts: [0], zCuts: [0] };
let ref: Array<[string, string]>;
beforeAll(() => {
  ref = unshardedRun('rain', TICKS); // what the runs below build
});

/** A seeded tick in [lo, hi). */
function seededTick(seed: number, lo: number, hi: number): number {
  const x = Math.sin(seed * 12.9898) * 43758.5453;
  return lo + Math.floor((x - Math.floor(x)) * (hi - lo));
}

interface Run {
  world: ShardedWorld;
  coordinator: ClusterCoordinator;
  shards: ShardChild[];
  logs: string[];
  /** Steps to tick `until`, checking hash and events each tick; `at(t)` runs before the step of tick t. */
  stepTo(until: number, at?: (t: number) => Promise<void> | void): Promise<void>;
  close(): Promise<void>;
}

async function startRun(url: string, specs: Parameters<typeof startShards>[2], processes: number, standbys: number): Promise<Run> {
  const world = uniqueWorld('fault');
  const shards = startShards(url, world, specs);
  const w = new ShardedWorld(ACCEPTANCE.rain.config, FOUR, undefined, { exchange: 'tick' });
  const tick = ACCEPTANCE.rain.build(w);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  const coordinator = await ClusterCoordinator.start(w, { nats: url, world, processes, standbys, log: pino({ level: 'info' }, sink) });
  return {
    world: w,
    coordinator,
    shards,
    logs,
    async stepTo(until, at) {
      while (w.tick < until) {
        await at?.(w.tick);
        tick();
        const t = w.tick - 1;
        const got: [string, string] = [hex(w.hash()), eventsDigest(w.events())];
        if (got[0] !== ref[t][0] || got[1] !== ref[t][1]) throw new Error(`tick ${t + 1}: ${got.join(' ')} != ${ref[t].join(' ')}`);
        await new Promise((r) => setImmediate(r)); // let the coordinator's log messages in
      }
    },
    async close() {
      await coordinator.close();
      await stopShards(shards);
    },
  };
}

const byId = (r: Run, id: string): ShardChild => r.shards.find((s) => s.id === id) as ShardChild;

test('kill -9 of two processes at seeded random ticks, with a standby: regions move, the hash never changes', async () => {
  const url = await natsUrl();
  const r = await startRun(url, [{ id: 'a' }, { id: 'b' }, { id: 's', standby: true }], 2, 1);
  try {
    const k1 = seededTick(1, 20, 120),
      k2 = seededTick(2, 150, 250);
    await r.stepTo(TICKS, async (t) => {
      if (t === k1) {
        byId(r, 'b').proc.kill('SIGKILL');
        await byId(r, 'b').exited;
      }
      if (t === k2) {
        byId(r, 'a').proc.kill('SIGKILL');
        await byId(r, 'a').exited;
      }
    });
    const s = r.coordinator.stats();
    const d = await r.coordinator.details();
    expect(d.hosts).toEqual(['s', 's', 's', 's']); // b's regions went to the standby, then a's to the only live process
    expect(s.failovers).toBe(4); // regions moved: 2 of b's, then 2 of a's
    expect(r.logs.filter((l) => l.includes('shard process fault: region moved')).length).toBe(4);
    expect(r.logs.some((l) => l.includes('tick completed after a shard process fault'))).toBe(true);
    expect(s.maxStallMs).toBeGreaterThan(0);
    console.log(`kill -9 at ticks ${k1} and ${k2}: longest stall ${s.maxStallMs.toFixed(0)} ms`);
  } finally {
    await r.close();
  }
});

test('kill -9 without a standby: the dead process regions go to the live processes', async () => {
  const url = await natsUrl();
  const r = await startRun(url, [{ id: 'a' }, { id: 'b' }, { id: 'c' }], 3, 0);
  try {
    const k = seededTick(3, 20, 200);
    const before = (await r.coordinator.details()).hosts;
    await r.stepTo(TICKS, async (t) => {
      if (t === k) {
        byId(r, 'a').proc.kill('SIGKILL');
        await byId(r, 'a').exited;
      }
    });
    const after = (await r.coordinator.details()).hosts;
    expect(before.filter((h) => h === 'a').length).toBe(2);
    expect(after).not.toContain('a');
    expect(new Set(after)).toEqual(new Set(['b', 'c']));
    expect(r.coordinator.stats().failovers).toBe(2);
  } finally {
    await r.close();
  }
});

test('a process paused past its lease loses its regions; resumed, its late results are refused (STALE_EPOCH)', async () => {
  const url = await natsUrl();
  const k = seededTick(4, 20, 100);
  // b freezes itself (SIGSTOP) at tick k with its results computed and not yet published
  const r = await startRun(url, [{ id: 'a' }, { id: 'b', env: { TESSERA_TEST_STOP_AT_TICK: String(k) } }, { id: 's', standby: true }], 2, 1);
  try {
    await r.stepTo(TICKS, async (t) => {
      if (t === k + 1) {
        // the step of tick k waited a lease for b, then moved its regions to s
        expect((await r.coordinator.details()).hosts).not.toContain('b');
        byId(r, 'b').proc.kill('SIGCONT');
        await new Promise((res) => setTimeout(res, 500)); // b publishes its results of tick k under its old epoch
      }
    });
    expect(r.coordinator.stats().failovers).toBe(2);
    const d = await r.coordinator.details();
    expect(d.hosts).not.toContain('b');
    expect(d.rejected.STALE_EPOCH).toBe(2); // both of b's regions, refused; the hash above never changed
  } finally {
    await r.close();
  }
});

test('every process paused at once past its lease: nothing moves, the tick waits; resumed, the world goes on', async () => {
  const url = await natsUrl();
  const k = seededTick(6, 20, 100);
  const r = await startRun(url, [{ id: 'a' }, { id: 'b' }], 2, 0);
  try {
    await r.stepTo(TICKS, (t) => {
      if (t !== k) return;
      // both freeze (their ping threads too); the step below blocks this thread, so a shell
      // of its own wakes them 3 s later (twice the coordinator's lease of 1.5 s)
      const pids = r.shards.map((s) => s.proc.pid).join(' ');
      for (const s of r.shards) s.proc.kill('SIGSTOP');
      spawn('sh', ['-c', `sleep 3; kill -CONT ${pids}`], { stdio: 'ignore' });
    });
    const st = r.coordinator.stats();
    expect(st.failovers).toBe(0);
    expect(st.noLiveWaits).toBeGreaterThan(0);
    expect(st.maxStallMs).toBeGreaterThan(2_500);
    expect((await r.coordinator.details()).hosts.sort()).toEqual(['a', 'a', 'b', 'b']);
    expect(r.logs.some((l) => l.includes('no other is alive: waiting'))).toBe(true);
  } finally {
    await r.close();
  }
});

test('a nats-server restart pauses the world; it resumes without a lost or repeated tick', async () => {
  const srv = await startNats();
  const r = await startRun(srv.url, [{ id: 'a' }, { id: 'b' }], 2, 0);
  try {
    const k = seededTick(5, 50, 200);
    let restarted = 0;
    await r.stepTo(TICKS, async (t) => {
      if (t === k) {
        await srv.restart();
        restarted++;
      }
    });
    expect(restarted).toBe(1);
    expect(r.world.tick).toBe(TICKS);
    expect(r.coordinator.stats().ticks).toBe(TICKS);
    expect(r.coordinator.stats().failovers).toBe(0);
    expect(r.logs.some((l) => l.includes('coordinator lost NATS'))).toBe(true);
  } finally {
    await r.close();
    await srv.stop();
  }
});
