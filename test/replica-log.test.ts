/**
 * The replicated world log (issue 19, src/replica/): the LogTick codec, a leader whose world
 * loop writes every closed tick to SQLite and to its JetStream log, replicas that follow the log
 * (from tick 0, and one started late) with the leader's hash at every tick, fencing of a deposed
 * writer, and a log without holes after NATS was away.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SqliteStore } from '../src/persist/sqlite-store';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { decodeLogTick, encodeLogTick, type LoggedTick } from '../src/replica/log-codec';
import { JetStreamTickLog, ReplicaError } from '../src/replica/jetstream-log';
import { ReplicatedLogStore } from '../src/replica/replicated-store';
import { WorldFollower } from '../src/replica/follower';
import { LeaderLease } from '../src/replica/lease';
import { ProtocolError } from '../src/protocol/errors';
import { natsUrl, startNats, uniqueWorld } from './helpers/nats';
import { waitFor } from './helpers/net';
import { testWorld } from './helpers/world-setup';
import { drive } from './helpers/replica';

jest.setTimeout(120_000);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-replica-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('LogTick: a closed tick round-trips; a foreign or cut buffer is refused before anything is read', () => {
  const t: LoggedTick = {
    stream: 'world',
    tick: 4_000_000_000,
    hash: 0xfedcba9876543210n,
    events: [
      { tick: 4_000_000_000, type: 'in', origin: 7, body: '12,-5,1' },
      { tick: 4_000_000_000, type: 'ch', origin: 9, body: 'héllo ✓' },
    ],
    joins: [['c0ffee', 7]],
  };
  const bytes = encodeLogTick(t);
  expect(decodeLogTick(bytes)).toEqual(t);
  const foreign = bytes.slice();
  foreign[4] = 'X'.charCodeAt(0);
  expect(() => decodeLogTick(foreign)).toThrow(ProtocolError);
  expect(() => decodeLogTick(bytes.subarray(0, bytes.length - 9))).toThrow(ProtocolError);
  expect(() => encodeLogTick({ ...t, events: [{ ...t.events[0], tick: 3 }] })).toThrow(RangeError);
});

describe('leader and replicas over JetStream', () => {
  let nc: NatsConnection;
  beforeAll(async () => {
    nc = await connect({ servers: await natsUrl() });
  });
  afterAll(async () => {
    await nc.drain();
  });

  test('replicas following the log from tick 0 and from a late start have the leader hash at every tick', async () => {
    const world = uniqueWorld('repl');
    const store = SqliteStore.open(join(dir, `${world}.sqlite`));
    const log = await JetStreamTickLog.open(nc, { world });
    const repl = new ReplicatedLogStore(store, 'world', log);
    const leader = new WorldLoop(new EventStream('world'), testWorld(), { persist: { store: repl, snapshotEvery: 100 } });
    const early = new WorldFollower(testWorld());
    const hashes: bigint[] = [];
    const got: bigint[] = [];
    const errors: Error[] = [];
    const feed = await (await JetStreamTickLog.open(nc, { world })).follow(
      0,
      (t) => {
        expect(early.apply(t)).toBe(true);
        got.push(early.sim.hash());
      },
      (e) => errors.push(e),
    );
    try {
      for (let t = 0; t < 240; t++) {
        drive(leader);
        hashes.push(leader.step().hash);
      }
      await repl.drain();
      expect(repl.stats()).toMatchObject({ replicatedTick: 239, loggedTick: 239, inFlight: 0, queued: 0, fenced: false });
      // the early replica applied every tick as it was appended
      const until = Date.now() + 20_000;
      while (got.length < 240 && Date.now() < until && !errors.length) await new Promise((r) => setTimeout(r, 20));
      expect(errors).toEqual([]);
      expect(got).toEqual(hashes);
      expect(early.stats()).toEqual({ applied: 240, mismatches: 0, next: 240 });
      // a replica started now reads the whole log and then keeps up with new ticks
      const late = new WorldFollower(testWorld());
      const lateGot: bigint[] = [];
      const lateFeed = await log.follow(
        0,
        (t) => void (late.apply(t) && lateGot.push(late.sim.hash())),
        (e) => errors.push(e),
      );
      for (let t = 240; t < 300; t++) {
        drive(leader);
        hashes.push(leader.step().hash);
      }
      await repl.drain();
      const until2 = Date.now() + 20_000;
      while ((lateGot.length < 300 || got.length < 300) && Date.now() < until2 && !errors.length) await new Promise((r) => setTimeout(r, 20));
      lateFeed.stop();
      expect(errors).toEqual([]);
      expect(lateGot).toEqual(hashes);
      expect(got).toEqual(hashes);
      // the SQLite log is the same log
      expect(store.lastTick('world')).toBe(299);
      await late.close();
    } finally {
      feed.stop();
      repl.close();
      await leader.close();
      await early.close();
      store.close();
    }
  });

  test('a replica whose world differs from the leader stops at the first tick with another hash', async () => {
    const world = uniqueWorld('repl');
    const log = await JetStreamTickLog.open(nc, { world });
    const leader = new WorldLoop(new EventStream('world'), testWorld());
    for (let t = 0; t < 30; t++) {
      drive(leader);
      const r = leader.step();
      await log.append({ stream: 'world', tick: r.tick, hash: r.hash, events: [...r.events], joins: [] });
    }
    const seen: number[] = [];
    const other = new WorldFollower(testWorld({ spheres: 59 }), { onMismatch: (d) => seen.push(d.tick) });
    const done = new Promise<void>((resolve, reject) => {
      void log.follow(
        0,
        (t) => {
          other.apply(t);
          if (t.tick === 29) resolve();
        },
        reject,
      );
    });
    await done;
    expect(seen).toEqual([0]);
    expect(other.diverged?.tick).toBe(0);
    expect(other.stats()).toEqual({ applied: 1, mismatches: 1, next: 1 });
    expect(() => new WorldFollower(testWorld()).apply({ stream: 'world', tick: 5, hash: 0n, events: [], joins: [] })).toThrow(ReplicaError);
    await other.close();
    await leader.close();
  });

  test('one writer: a deposed writer cannot append once another has (FENCED), and the log holds each tick once', async () => {
    const world = uniqueWorld('fence');
    const tick = (n: number): LoggedTick => ({ stream: 'world', tick: n, hash: BigInt(n) * 7919n, events: [], joins: [] });
    const old = await JetStreamTickLog.open(nc, { world });
    for (let n = 0; n < 5; n++) await old.append(tick(n));
    // a new leader opens the log, sees tick 4 and goes on
    const fresh = await JetStreamTickLog.open(nc, { world });
    expect(fresh.lastTick()).toBe(4);
    await fresh.append(tick(5));
    await fresh.append(tick(6));
    // the old one still believes tick 5 is next: refused, and so is everything after
    await expect(old.append(tick(5))).rejects.toMatchObject({ name: 'ReplicaError', code: 'FENCED' });
    await expect(old.append(tick(6))).rejects.toMatchObject({ code: 'FENCED' });
    expect(old.isFenced()).toBe(true);
    await expect(fresh.append(tick(9))).rejects.toMatchObject({ code: 'LOG_GAP' });
    // the log: ticks 0..6 once each, in order
    const ticks: number[] = [];
    await new Promise<void>((resolve, reject) => {
      void fresh.follow(
        0,
        (t) => {
          ticks.push(t.tick);
          if (t.tick === 6) resolve();
        },
        reject,
      );
    });
    expect(ticks).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(await fresh.sequenceOf(6)).toBe(7);
  });

  test('a replica that starts following while the leader writes its first tick gets it (the two looks at the log race)', async () => {
    // CI once saw "tick 0 is not in the log (1 ticks, last 0)": the follower found the log empty,
    // the leader appended tick 0, and the second look took the tick for a gap
    const world = uniqueWorld('race');
    const tick = (n: number): LoggedTick => ({ stream: 'world', tick: n, hash: BigInt(n) * 31n, events: [], joins: [] });
    const leader = await JetStreamTickLog.open(nc, { world });
    const follower = await JetStreamTickLog.open(nc, { world });
    // the leader's first append lands right after the follower's first look at the (empty) log
    const streams = (follower as unknown as { jsm: { streams: { info: (s: string) => Promise<unknown> } } }).jsm.streams;
    const info = streams.info.bind(streams);
    let looks = 0;
    streams.info = async (s: string) => {
      const r = await info(s);
      if (++looks === 1) await leader.append(tick(0));
      return r;
    };
    const ticks: number[] = [];
    const feed = await new Promise<{ stop(): void }>((resolve, reject) => {
      follower
        .follow(
          0,
          (t) => {
            ticks.push(t.tick);
          },
          reject,
        )
        .then(resolve, reject);
    });
    await leader.append(tick(1));
    await waitFor(() => ticks.length >= 2, 10_000, 'ticks 0 and 1');
    feed.stop();
    expect(looks).toBeGreaterThanOrEqual(2);
    expect(ticks).toEqual([0, 1]);
  });

  test('NATS away for a while: the ticks of the outage reach the log afterwards, without a hole', async () => {
    const srv = await startNats();
    const c = await connect({ servers: srv.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    const world = uniqueWorld('outage');
    const store = SqliteStore.open(join(dir, `${world}.sqlite`));
    const log = await JetStreamTickLog.open(c, { world, ackTimeoutMs: 1_000 });
    const errors: Error[] = [];
    const repl = new ReplicatedLogStore(store, 'world', log, { maxInFlight: 4, maxQueued: 10, retryMs: 100, onError: (e) => errors.push(e) });
    const leader = new WorldLoop(new EventStream('world'), testWorld(), { persist: { store: repl } });
    const hashes: bigint[] = [];
    try {
      const steps = async (n: number): Promise<void> => {
        for (let k = 0; k < n; k++) {
          drive(leader);
          hashes.push(leader.step().hash);
          await new Promise((r) => setImmediate(r));
        }
      };
      await steps(40);
      await repl.drain();
      srv.pause(); // JetStream stops answering: appends time out
      await steps(60); // more than maxQueued: the oldest of the outage are read back from SQLite later
      await new Promise((r) => setTimeout(r, 1_500));
      srv.resume();
      await steps(20);
      await repl.drain(30_000);
      const st = repl.stats();
      expect(st).toMatchObject({ replicatedTick: 119, fenced: false, queued: 0, inFlight: 0 });
      expect(st.dropped).toBeGreaterThan(0);
      expect(st.failures).toBeGreaterThan(0);
      expect(errors.length).toBeGreaterThan(0);
      // a replica reading the log from tick 0 gets every tick and the leader's hashes
      const f = new WorldFollower(testWorld());
      const got: bigint[] = [];
      await new Promise<void>((resolve, reject) => {
        void log.follow(
          0,
          (t) => {
            if (!f.apply(t)) reject(new Error(`mismatch at tick ${t.tick}`));
            got.push(f.sim.hash());
            if (t.tick === 119) resolve();
          },
          reject,
        );
      });
      expect(got).toEqual(hashes);
      await f.close();
    } finally {
      repl.close();
      await leader.close();
      store.close();
      await c.close();
      await srv.stop();
    }
  });
});

describe('leader lease', () => {
  test('one holder; a holder cut off from NATS loses it and a candidate takes over within the TTL; a release hands over at once', async () => {
    const url = await natsUrl();
    const world = uniqueWorld('lease');
    const [ncA, ncB, ncC] = await Promise.all([url, url, url].map((u) => connect({ servers: u })));
    const events: string[] = [];
    const a = await LeaderLease.open(ncA, { world, id: 'a', ttlMs: 1_000, onLost: (r) => events.push(`a lost: ${r}`) });
    const b = await LeaderLease.open(ncB, { world, id: 'b', ttlMs: 1_000, onAcquired: () => events.push('b acquired') });
    const c = await LeaderLease.open(ncC, { world, id: 'c', ttlMs: 1_000 });
    try {
      expect(await a.tryAcquire()).toBe(true);
      expect(await b.tryAcquire()).toBe(false);
      expect((await b.holder())?.id).toBe('a');
      // a keeps it past several TTLs by renewing
      await new Promise((r) => setTimeout(r, 2_500));
      expect(await b.tryAcquire()).toBe(false);
      expect(a.isLeader()).toBe(true);
      // a is cut off: it cannot renew; b, campaigning, takes over after the TTL
      const campaign = b.campaign();
      const cut = Date.now();
      await ncA.close();
      expect(await campaign).toBe(true);
      const takeover = Date.now() - cut; // (timed in bench:failover, not here)
      expect((await c.holder())?.id).toBe('b');
      // a notices at its next renewal
      const until = Date.now() + 2_000;
      while (a.isLeader() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(a.isLeader()).toBe(false);
      expect(events).toContain('b acquired');
      expect(events.some((e) => e.startsWith('a lost: renewal refused'))).toBe(true);
      // a graceful hand-over: b releases (the key is gone at once, not at the TTL: b renewed it
      // less than a TTL ago), and c takes it
      await b.stop(true);
      expect(await c.holder()).toBeNull();
      expect(await c.campaign()).toBe(true);
      expect((await c.holder())?.id).toBe('c');
      console.log(`lease: takeover ${takeover} ms after the holder was cut off (TTL 1,000 ms)`);
    } finally {
      await a.stop();
      await b.stop();
      await c.stop();
      await Promise.all([ncB, ncC].map((n) => n.close()));
    }
  });
});

describe('takeover', () => {
  test('the leader dies: a replica takes the lease, becomes the leader at the next tick and goes on with the hash of a run that never failed', async () => {
    const url = await natsUrl();
    const world = uniqueWorld('take');
    const TICKS = 460; // past two folds of the replica's stream state
    const DIES = 230;
    // the run that never failed
    const ref = new WorldLoop(new EventStream('world', { seed: '00112233445566778899aabbccddeeff' }), testWorld());
    const expected: bigint[] = [];
    for (let t = 0; t < TICKS; t++) {
      drive(ref);
      expected.push(ref.step().hash);
    }
    await ref.close();

    const ncL = await connect({ servers: url });
    const ncR = await connect({ servers: url });
    const storeL = SqliteStore.open(join(dir, `${world}-L.sqlite`));
    const storeR = SqliteStore.open(join(dir, `${world}-R.sqlite`));
    const leaseL = await LeaderLease.open(ncL, { world, id: 'L', ttlMs: 1_000 });
    const leaseR = await LeaderLease.open(ncR, { world, id: 'R', ttlMs: 1_000 });
    expect(await leaseL.tryAcquire()).toBe(true);
    const replL = new ReplicatedLogStore(storeL, 'world', await JetStreamTickLog.open(ncL, { world }));
    const leader = new WorldLoop(new EventStream('world', { seed: '00112233445566778899aabbccddeeff' }), testWorld(), { persist: { store: replL } });
    const replica = new WorldFollower(testWorld());
    const logR = await JetStreamTickLog.open(ncR, { world });
    const errors: Error[] = [];
    const feed = await logR.follow(
      0,
      (t) => void replica.apply(t),
      (e) => errors.push(e),
    );
    let next: WorldLoop | null = null;
    try {
      const got: bigint[] = [];
      for (let t = 0; t < DIES; t++) {
        drive(leader);
        got.push(leader.step().hash);
      }
      await replL.drain();
      // the leader dies (kill -9: it neither steps nor renews; its connection goes)
      const died = Date.now();
      await ncL.close();
      await leaseL.stop();
      expect(await leaseR.campaign()).toBe(true);
      // the replica has every tick the leader logged, then leads from the next one
      await logR.refresh();
      const last = logR.lastTick() as number;
      expect(last).toBe(DIES - 1);
      await waitFor(() => replica.stats().next === last + 1 || errors.length > 0, 10_000, 'the replica to catch up');
      feed.stop();
      const replR = new ReplicatedLogStore(storeR, 'world', logR);
      next = replica.promote({ persist: { store: replR } });
      const takeover = Date.now() - died;
      expect(next.stream.tick).toBe(DIES);
      for (let t = DIES; t < TICKS; t++) {
        drive(next);
        got.push(next.step().hash);
      }
      await replR.drain();
      expect(errors).toEqual([]);
      expect(got).toEqual(expected);
      // the log holds every tick once: a replica from tick 0 agrees to the end
      const check = new WorldFollower(testWorld());
      await new Promise<void>((resolve, reject) => {
        void logR.follow(
          0,
          (t) => {
            if (!check.apply(t)) reject(new Error(`mismatch at tick ${t.tick}`));
            if (t.tick === TICKS - 1) resolve();
          },
          reject,
        );
      });
      expect(check.stats()).toEqual({ applied: TICKS, mismatches: 0, next: TICKS });
      await check.close();
      console.log(`takeover: the replica led ${takeover} ms after the leader died (lease TTL 1,000 ms; timed in bench:failover)`);
    } finally {
      feed.stop();
      await leaseR.stop(true);
      await leader.close();
      if (next) await next.close();
      else await replica.close();
      storeL.close();
      storeR.close();
      await ncR.close();
    }
  });
});
