/**
 * Shards and script threads together (issue 21, acceptance "1 and 4 shards, on 1 and 2 script
 * threads"): the world of 200 scripted objects of test/script-world.test.ts (door, spawner,
 * scoreboard, one looping script) gives the same events, refusals, outbox and hash at every tick on
 * 1 shard with its scripts on the world thread and on 4 shards with them on 2 script threads; the
 * looping script is suspended at the same tick on both, and the objects' stores end equal. At every
 * tick the scripts' hash text is exactly the JSON of their saved form (what the hash always was).
 * Needs `npm run build` (the script threads run the compiled worker).
 */
import { ScriptEngine } from '../src/script/engine';
import type { WorldSetup } from '../src/sim/main-sim';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { driveScripted, scriptedPile } from './helpers/scripts';
import { testWorld } from './helpers/world-setup';

const N = 200;
const TICKS = 70;
const SEED = '00112233445566778899aabbccddeeff';

let engine: ScriptEngine;
beforeAll(async () => {
  engine = await ScriptEngine.create(7);
});

/** N spheres in a pile in a closed box: 1 shard and 0 script threads, or 4 shards and 2 threads. */
const setup = (shards: 1 | 4, threads: number): WorldSetup => ({
  ...testWorld({ spheres: N, partition: shards === 4 ? { xCuts: [5], zCuts: [5] } : undefined }),
  scripts: { engine, checkpointEvery: 40, spawnLimit: 4, threads },
});

test(`${N} scripted objects: the same events and hash at every tick on 1 shard / 0 threads and 4 shards / 2 script threads`, async () => {
  const clock = { t: 1_000_000 };
  const now = { now: () => clock.t };
  const one = new WorldLoop(new EventStream('world', { clock: now, seed: SEED }), setup(1, 0));
  const four = new WorldLoop(new EventStream('world', { clock: now, seed: SEED }), setup(4, 2));
  expect([one.sim.world.shardCount, one.sim.scripts?.threads]).toEqual([1, 0]);
  expect([four.sim.world.shardCount, four.sim.scripts?.threads]).toEqual([4, 2]);
  const bodies: bigint[] = [];
  const suspendedAt = [-1, -1];
  let events = 0;
  for (let t = 0; t < TICKS; t++) {
    driveScripted(one, t, bodies);
    driveScripted(four, t, bodies);
    clock.t += 50;
    const a = one.step(),
      b = four.step();
    expect(b.events).toEqual(a.events);
    expect(b.refused).toEqual(a.refused);
    expect(b.social.outbox).toEqual(a.social.outbox);
    expect(b.hash).toBe(a.hash);
    // the scripts' part of the hash is built by hand (cached heads): the text of the saved form, as before
    for (const w of [one, four]) expect(w.sim.scripts?.hashText()).toBe(w.sim.scripts?.size ? `|scripts:${JSON.stringify(w.sim.scripts.save(false))}` : '');
    events += a.events.length;
    [a, b].forEach((r, i) => {
      if (r.social.audit.some((x) => x.command === 'script.suspended')) suspendedAt[i] = t;
    });
    if (t === 0) {
      bodies.push(...scriptedPile(one));
      expect(bodies.length).toBe(N);
      expect(scriptedPile(four)).toEqual(bodies);
    }
  }
  expect(events).toBeGreaterThan(N);
  expect(one.sim.scripts?.size).toBe(N);
  // the looping script (body 17) was suspended at the same tick on both
  expect(suspendedAt[0]).toBeGreaterThanOrEqual(2);
  expect(suspendedAt[1]).toBe(suspendedAt[0]);
  expect(four.sim.scripts?.info(bodies[17])?.suspended?.code).toBe('SCRIPT_BUDGET');
  // the scripts did work a user notices, the same on both
  const stores = (w: WorldLoop) => bodies.map((h) => w.sim.scripts?.storeOf(h));
  expect(stores(four)).toEqual(stores(one));
  expect(stores(one).filter((s, k) => k % 3 === 2 && Number(JSON.parse(s ?? '{}').hits) >= 1).length).toBeGreaterThan(10);
  expect(stores(one).filter((s, k) => k % 3 === 0 && Number(JSON.parse(s ?? '{}').opened) >= 1).length).toBeGreaterThan(5);
  await Promise.all([one.close(), four.close()]);
});
