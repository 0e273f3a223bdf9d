/**
 * What the replication tests share (also: a log capture, and a leader with snapshots for the
 * snapshot tests of replicas and edges) (test/serve-replicate.test.ts, test/serve-follow.test.ts): a
 * small scene file (a floor and 40 spheres settling into a pile, 20 Hz, two regions) written to a
 * temp dir, and a copy of a world that applies its JetStream log from tick 0 and collects what
 * went wrong (a gap, a bad message, a hash that differs from the logged one); and drive(), the
 * scripted players of the library-level replica tests.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { SqliteStore } from '../../src/persist/sqlite-store';
import { ReplicationLeader } from '../../src/replica/leader';
import { EventStream } from '../../src/sim/stream';
import { WorldLoop } from '../../src/sim/world-loop';
import { waitFor } from './net';
import { testWorld } from './world-setup';
import type { NatsConnection } from '@nats-io/transport-node';
import { loadScene, sceneSetup } from '../../src/scene';
import { JetStreamTickLog } from '../../src/replica/jetstream-log';
import { WorldFollower } from '../../src/replica/follower';
import type { LoggedTick } from '../../src/replica/log-codec';

/** The small world: a floor and 40 spheres falling into a pile, 20 Hz, cut at x = 0. */
export const SMALL_SCENE = {
  format: 'tessera.scene.v1',
  world: { capacity: 256, tickRate: 20, maxBodyRadius: 1, sleep: true },
  partition: { xCuts: [0], zCuts: [] },
  spawnPoints: [[0, 1.2, 5]],
  statics: [{ plane: { normal: [0, 1, 0], offset: 0 } }],
  piles: [{ center: [0.2, 0, 0], layers: 3, radius: 0.35 }],
};

/** Writes SMALL_SCENE as `dir`/scene.json; returns its path. */
export function writeSmallScene(dir: string): string {
  const path = join(dir, 'scene.json');
  writeFileSync(path, JSON.stringify(SMALL_SCENE));
  return path;
}

/**
 * A copy of the world of `scenePath` following world `world`'s log from tick 0; `bad` lists what
 * went wrong; `inputs` the seq of every sequenced input event ('in', protocol 4) the log holds, by
 * origin public id, in log order. `onTick` (optional) sees every tick after the copy applied it
 * (bench:failover's snapshot audit).
 */
export async function watchLog(
  nc: NatsConnection,
  world: string,
  scenePath: string,
  onTick?: (t: LoggedTick, follower: WorldFollower) => void,
): Promise<{ follower: WorldFollower; bad: string[]; inputs: Map<number, number[]>; stop(): void }> {
  const follower = new WorldFollower(sceneSetup(loadScene(scenePath)));
  const bad: string[] = [];
  const inputs = new Map<number, number[]>();
  const feed = await (await JetStreamTickLog.open(nc, { world })).follow(
    0,
    (t) => {
      if (!follower.apply(t)) bad.push(`tick ${t.tick}: copy ${follower.diverged?.replica.toString(16)} != logged ${t.hash.toString(16)}`);
      onTick?.(t, follower);
      for (const e of t.events) {
        if (e.type !== 'in') continue;
        const seq = Number(e.body.split(',')[3] ?? 0);
        if (seq === 0) continue;
        const list = inputs.get(e.origin);
        if (list) list.push(seq);
        else inputs.set(e.origin, [seq]);
      }
    },
    (e) => bad.push(e.message),
  );
  return { follower, bad, inputs, stop: () => feed.stop() };
}

/** The players drive() scripts. */
export const PLAYERS = ['alice', 'bob', 'carol'];

/**
 * One tick of scripted input for a leader's world loop (deterministic in the tick; the library
 * tests of replica-log and replica-snapshots): players join, walk, jump and spawn spheres.
 */
export function drive(loop: WorldLoop): void {
  const s = loop.stream,
    t = s.tick;
  PLAYERS.forEach((p, i) => {
    if (t === i * 5) s.connect(p);
    if (t < i * 5) return;
    s.heard(p);
    s.publish(p, 'in', `${Math.round(900 * Math.cos(t / 13 + i))},${Math.round(900 * Math.sin(t / 11 + i))},${t % 29 === i ? 1 : 0}`);
    const at = loop.avatarPosition(s.publicIdOf(p) as number);
    if (t % 37 === i && at) s.publish(p, 'sp', `${Math.round(at[0] * 1000)},${Math.round(at[1] * 1000) + 1500},${Math.round(at[2] * 1000)},0,0,0`);
  });
}

/** A logger whose lines (parsed) land in `lines`. */
export function capture(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { log: pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) }), lines };
}

/** The seed of the replica tests' worlds (stream seed, 128-bit hex). */
export const SEED = '00112233445566778899aabbccddeeff';

/**
 * A leader (ReplicationLeader, as serve runs it, id 'L', lease 1 s) of world `world` on the NATS at
 * `url`, its SQLite file in `dir`, over a new testWorld() loop driven by drive(), with snapshots
 * every `every` ticks (`keep` kept). `steps(n)` runs n ticks back to back, waiting for each
 * snapshot to be stored before the next is due; `lines` are the leader's log lines.
 */
export async function startSnapshotLeader(
  url: string,
  dir: string,
  world: string,
  o: { every: number; keep: number; logMaxTicks?: number; maxBytes?: number },
) {
  const store = SqliteStore.open(join(dir, `${world}-L.sqlite`));
  const { log, lines } = capture();
  const leader = await ReplicationLeader.start({
    nats: url,
    world,
    id: 'L',
    stream: 'world',
    leaseMs: 1_000,
    store,
    log,
    onDeposed: () => undefined,
    snapshots: { every: o.every, keep: o.keep, maxBytes: o.maxBytes },
    logMaxTicks: o.logMaxTicks,
  });
  const loop = new WorldLoop(new EventStream('world', { seed: SEED }), testWorld(), { persist: { store: leader.store, snapshotEvery: 100 } });
  await leader.checkHistory(loop);
  await leader.startSnapshots(loop);
  const hashes: bigint[] = [];
  const done = (): number => {
    const s = leader.stats().snapshots;
    return s ? s.put + s.failed : 0;
  };
  // the test's ticks run back to back, far faster than 20 Hz: wait for each snapshot to be
  // stored before the next is due (a snapshot due while one is being stored is skipped)
  const steps = async (n: number): Promise<void> => {
    for (let k = 0; k < n; k++) {
      const before = done();
      drive(loop);
      hashes.push(loop.step().hash);
      if (loop.stream.tick % o.every === 0) await waitFor(() => done() > before, 10_000, `the snapshot of tick ${loop.stream.tick - 1}`);
      else if (k % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    await leader.store.drain();
  };
  return {
    store,
    leader,
    loop,
    hashes,
    lines,
    steps,
    close: async (): Promise<void> => {
      await leader.close();
      await loop.close();
      store.close();
    },
  };
}
