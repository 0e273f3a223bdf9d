/**
 * The checkpoint of object scripts without a stall (issue 21): the fresh sandboxes of a checkpoint
 * are built over the ticks before it (WorldScriptOptions.prepareTicks), so the checkpoint tick only
 * swaps them in; the world gives the same events and hash at every tick as one that builds them
 * all inside the checkpoint tick (prepareTicks 0, the behaviour before).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScriptEngine } from '../src/script/engine';
import { encodeHandle } from '../src/sim/event-bodies';
import type { WorldSetup } from '../src/sim/main-sim';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { scriptedPile } from './helpers/scripts';
import { testWorld } from './helpers/world-setup';

const example = (name: string): string => readFileSync(join(__dirname, '..', 'scenes', 'scripts', `${name}.js`), 'utf8');
const SOURCES = [example('door'), example('spawner'), example('scoreboard')];
/** A closure counter: its value restarts at every checkpoint, so a checkpoint that resets differently shows. */
const COUNTER = `let n = 0; on('touch', () => { n++; store.set('n', n); }); on('chat', () => { n++; store.set('n', n); });`;
const LOOPER = `on('chat', () => { for (;;) {} });`;
const N = 30;
const CHECKPOINT = 10;
const TICKS = 45;
const SEED = '00112233445566778899aabbccddeeff';

let engine: ScriptEngine;
beforeAll(async () => {
  engine = await ScriptEngine.create(7);
});

const setup = (prepareTicks: number): WorldSetup => ({ ...testWorld({ spheres: N }), scripts: { engine, checkpointEvery: CHECKPOINT, prepareTicks } });

function drive(loop: WorldLoop, t: number, bodies: bigint[]): void {
  const s = loop.stream;
  if (t === 0) {
    const admin = s.connect('admin').publicId;
    s.publishServer('_id', `${admin},1,admin`);
    s.connect('guest');
  }
  s.heard('admin');
  s.heard('guest');
  if (t === 2) {
    bodies.forEach((b, k) => {
      s.publish('admin', 'sa', JSON.stringify({ o: encodeHandle(b), src: k === 7 ? LOOPER : k % 4 === 3 ? COUNTER : SOURCES[k % 3] }));
    });
  }
  // a replace inside a prepare window: the new script has no sandbox built ahead
  if (t === 16) s.publish('admin', 'sa', JSON.stringify({ o: encodeHandle(bodies[3]), src: SOURCES[2] }));
  if (t >= 3)
    for (let k = t % 4; k < bodies.length; k += 4) s.publish('guest', 'sm', JSON.stringify({ o: encodeHandle(bodies[k]), t: k % 3 === 1 ? 'spawn' : 'score' }));
}

test('sandboxes are built over the ticks before a checkpoint; the same events and hash at every tick as building them in the checkpoint tick', async () => {
  const clock = { t: 1_000_000 };
  const now = { now: () => clock.t };
  const ahead = new WorldLoop(new EventStream('world', { clock: now, seed: SEED }), setup(20));
  const inTick = new WorldLoop(new EventStream('world', { clock: now, seed: SEED }), setup(0));
  expect(ahead.sim.scripts?.prepareTicks).toBe(CHECKPOINT - 1);
  const bodies: bigint[] = [];
  const toBuild: number[] = [];
  for (let t = 0; t < TICKS; t++) {
    drive(ahead, t, bodies);
    drive(inTick, t, bodies);
    clock.t += 50;
    const a = ahead.step(),
      b = inTick.step();
    expect(a.events).toEqual(b.events);
    expect(a.refused).toEqual(b.refused);
    expect(a.hash).toBe(b.hash);
    if (t === 0) {
      bodies.push(...scriptedPile(ahead));
      expect(bodies.length).toBe(N);
    }
    // state tick t + 1 now
    toBuild[t + 1] = ahead.sim.scripts?.resetsToBuild ?? -1;
    if (t >= 3) expect(inTick.sim.scripts?.resetsToBuild).toBe(N - 1); // nothing ahead; the looper is suspended
  }
  expect(ahead.sim.scripts?.info(bodies[7])?.suspended?.code).toBe('SCRIPT_BUDGET');
  const running = N - 1;
  for (const c of [10, 20, 30, 40]) {
    // nothing is left to build when the checkpoint tick comes: it only swaps
    expect(toBuild[c - 1]).toBe(0);
    if (c > 10) {
      // the work is spread: a ninth of the scripts per tick, starting 9 ticks before
      expect(toBuild[c - 9]).toBe(running - Math.ceil(running / 9));
      expect(toBuild[c - 5]).toBeGreaterThan(0);
    }
    // after the checkpoint the swapped-in sandboxes are the live ones: all are to build again
    expect(toBuild[c]).toBe(running);
  }
  await Promise.all([ahead.close(), inTick.close()]);
});
