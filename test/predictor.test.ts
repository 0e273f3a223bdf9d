/**
 * The Predictor (src/client/predict.ts) against the host's world simulation in-process, without
 * a network: a MainSim steps the world (release core, sharded world), the client's inputs reach it
 * LEAD ticks before their tick, and each state's avatar record (ShardedWorld.bodyRecord, what
 * ServerAvatarRecord carries) reaches the predictor DELAY ticks later with the state's input_seq.
 * Undisturbed, every record equals the prediction for its tick. When the server drops one input
 * (as the rate limiter does), exactly one correction follows, of the size of the missed motion, and
 * the prediction is exact again from the next record on (rollback and replay converge).
 */
import { Predictor } from '../src/client/predict';
import { INPUT } from '../src/sim/event-bodies';
import { MainSim, type WorldSetup } from '../src/sim/main-sim';
import type { WorldConfig } from '../src/physics/world';
import type { StreamEvent } from '../src/protocol/messages';
import { addClosedBox } from './helpers/scenes';

const config: WorldConfig = { capacity: 64, tickRate: 50, maxBodyRadius: 1, sleep: { enabled: true } };
const setup: WorldSetup = { config, scene: (w) => addClosedBox(w, 24, 12), spawnPoints: [[0, 1.2, 0]] };
const LEAD = 3; // an input is sent LEAD ticks before the tick it is stamped with
const DELAY = 5; // a state's record reaches the client DELAY ticks after its tick

/** Runs `ticks` ticks; the server ignores the inputs whose seq is in `drop`. */
function run(ticks: number, drop: ReadonlySet<number>): { predictor: Predictor; exact: number; wrong: number[]; serverLast: Uint8Array; lastTick: number } {
  const sim = new MainSim(setup);
  const predictor = new Predictor({ config, statics: (w) => addClosedBox(w, 24, 12) });
  sim.apply(0, [{ tick: 0, type: '_c', origin: 0, body: '1' }]);
  const avatar = sim.avatars.get(1) as bigint;
  const queue = new Map<number, Array<{ seq: number; body: string }>>(); // tick -> inputs the server got
  const records: Array<{ at: number; tick: number; record: Uint8Array; ack: number }> = [];
  let applied = 0,
    exact = 0,
    serverLast: Uint8Array = new Uint8Array(0),
    lastTick = 0;
  const wrong: number[] = [];
  for (let t = 1; t < ticks; t++) {
    // the client, at server tick t: sends input seq t for tick t + LEAD and predicts to its tick
    const i = t - 1;
    const dirs: Array<[number, number]> = [
      [1000, 0],
      [0, 1000],
      [-700, -700],
      [0, 0],
    ];
    const [walkX, walkZ] = dirs[Math.floor(i / 30) % dirs.length];
    const frame = { walkX, walkZ, jump: i % 30 === 12 };
    predictor.input(t, t + LEAD, frame);
    if (!drop.has(t)) {
      const l = queue.get(t + LEAD) ?? [];
      l.push({ seq: t, body: INPUT.encode({ ...frame, seq: t }) });
      queue.set(t + LEAD, l);
    }
    predictor.advanceTo(t + LEAD + 1);
    // records that arrive now
    while (records.length > 0 && records[0].at <= t) {
      const r = records.shift() as (typeof records)[number];
      const ok = predictor.authoritative(r.tick, r.record, r.ack);
      if (ok === true) exact++;
      else if (ok === false) wrong.push(r.tick);
    }
    // the server closes tick t: its inputs, one step; the state of t + 1 and what it acknowledges
    const inputs = queue.get(t) ?? [];
    queue.delete(t);
    const events: StreamEvent[] = inputs.map((x) => ({ tick: t, type: 'in', origin: 1, body: x.body }));
    sim.apply(t, events);
    for (const x of inputs) applied = Math.max(applied, x.seq);
    serverLast = sim.world.bodyRecord(avatar);
    lastTick = t + 1;
    records.push({ at: t + DELAY, tick: t + 1, record: serverLast, ack: applied });
  }
  return { predictor, exact, wrong, serverLast, lastTick };
}

test('undisturbed, every avatar record equals the prediction for its tick', () => {
  const r = run(400, new Set());
  expect(r.wrong).toEqual([]);
  expect(r.predictor.corrections).toBe(0);
  expect(r.exact).toBeGreaterThan(380);
  // the prediction of the last server tick is the server's record (held: the present is ahead)
  expect(Buffer.from(r.predictor.recordAt(r.lastTick) as Uint8Array).equals(Buffer.from(r.serverLast))).toBe(true);
  expect(r.predictor.present).toBeGreaterThan(r.lastTick);
});

test('one input the server dropped: one correction of the missed motion, then exact again', () => {
  // seq 31 is the first input of the second direction (tick 34): the server keeps walking +x one tick longer
  const r = run(400, new Set([31]));
  expect(r.wrong).toEqual([35]);
  expect(r.predictor.corrections).toBe(1);
  expect(r.predictor.lastCorrectionTick).toBe(35);
  // one tick of the wrong walk at 4 m/s and 50 Hz: 8 cm along x and along z, 11.3 cm in all (within 1 %)
  expect(r.predictor.lastCorrection).toBeGreaterThan(0.08 * Math.SQRT2 * 0.99);
  expect(r.predictor.lastCorrection).toBeLessThan(0.08 * Math.SQRT2 * 1.01);
  expect(r.exact).toBeGreaterThan(380);
  expect(Buffer.from(r.predictor.recordAt(r.lastTick) as Uint8Array).equals(Buffer.from(r.serverLast))).toBe(true);
});
