/**
 * What client prediction with nearby bodies costs, and that the cheaper paths give exactly what a
 * full rollback gives (issue 20, "the CPU a client spends per frame predicting"; Predictor module
 * comment, "Partial reseeds"). The deterministic run of test/helpers/predict-run.ts: 200 resting
 * spheres on a 0.9 m grid around a walking avatar, nearby radius 8 m (bodies keep entering and
 * leaving it), states 4 ticks late, a frame every 5 ticks.
 *
 * 1. A state whose records all equal the prediction for its tick costs no step, no import and no
 *    replay (counted with PredictorOps), and walking alone through the spheres never rolls back
 *    after the first seeding (every nearby correction, a body entering or leaving the radius, is a
 *    partial reseed), with under a fifth of the replayed steps of full rollbacks; avatar
 *    corrections stay 0.
 * 2. Partial reseeds and the shortcuts (an input that changes nothing re-predicts nothing; a
 *    sleeper is not read back) give bit-identical predictions to full rollbacks without them: two
 *    predictors (partial reseeds and shortcuts on; both off) get the same inputs and states of a run where a second player, walking pseudo-randomly,
 *    pushes the avatar and the spheres; after every state and every frame their predicted records
 *    of every held tick (avatar and nearby bodies, as sets) are byte for byte the same, and the
 *    partial one did reseed partially many times.
 */
import { Predictor } from '../src/client/predict';
import { predictRun, predictRunOptions } from './helpers/predict-run';

/** The predicted records of `tick` (avatar first, then the nearby ones in slot order), hex; '' when not held. */
function recordsAt(p: Predictor, tick: number): string {
  const a = p.recordAt(tick),
    m = p.nearbyMapAt(tick);
  if (!a || !m) return '';
  const near = [...m.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1));
  return [Buffer.from(a).toString('hex'), ...near.map(([h, r]) => `${h}:${Buffer.from(r).toString('hex')}`)].join('|');
}

test('a state equal to the prediction costs no step and no import; alone, no rollback after the first', () => {
  const p = new Predictor(predictRunOptions());
  const before = new Predictor(predictRunOptions({ partialReseed: false }));
  let equal = 0,
    last = { steps: 0, imports: 0, scratchSteps: 0, confirmed: 0, nearbyConfirmed: 0 };
  predictRun({ ticks: 600 }, [p, before], (when) => {
    const o = p.ops;
    if (when === 'before') {
      last = { steps: o.steps, imports: o.imports, scratchSteps: o.scratchSteps, confirmed: p.confirmed, nearbyConfirmed: p.nearbyConfirmed };
      return;
    }
    if (when === 'state' && p.confirmed > last.confirmed && p.nearbyConfirmed > last.nearbyConfirmed) {
      // this state confirmed the avatar and every nearby record: it cost nothing but the comparison
      equal++;
      expect([o.steps, o.imports, o.scratchSteps]).toEqual([last.steps, last.imports, last.scratchSteps]);
    }
  });
  expect(equal).toBeGreaterThan(100);
  expect(p.corrections).toBe(0);
  expect(p.nearbyCorrections).toBeGreaterThan(50); // bodies entering and leaving the radius
  expect(p.nearbyCorrections).toBe(before.nearbyCorrections);
  expect(p.ops.rollbacks).toBe(1); // the first record's seeding
  expect(p.ops.partialReseeds).toBe(p.nearbyCorrections);
  expect(before.ops.rollbacks).toBe(before.nearbyCorrections + 1);
  // an input stamped for a tick already predicted (the first after each frame here) re-simulates
  // the avatar and its neighbours only, or nothing when it is the walk already in force (a held key)
  expect(p.ops.redundantInputs).toBeGreaterThan(80);
  expect(p.ops.partialReplays + p.ops.redundantInputs).toBeGreaterThan(110);
  expect(p.ops.replaySteps).toBeLessThan(before.ops.replaySteps / 5);
}, 60_000);

test('partial reseeds and the shortcuts are bit-identical to full rollbacks over a pushed, randomized run', () => {
  const partial = new Predictor(predictRunOptions());
  const full = new Predictor(predictRunOptions({ partialReseed: false, shortcuts: false }));
  let compared = 0,
    lastState = 0;
  // turns every 7 ticks: some turns are inputs for a tick already predicted (frames every 5)
  predictRun({ ticks: 500, pusher: true, seed: 7, turnEvery: 7 }, [partial, full], (when, tick) => {
    if (when === 'before') return;
    if (when === 'state') lastState = tick;
    expect(partial.present).toBe(full.present);
    for (let t = lastState; t <= full.present; t++) {
      const a = recordsAt(partial, t),
        b = recordsAt(full, t);
      if (a !== b) throw new Error(`tick ${t} (after the ${when} of ${tick}): the partial reseed's prediction differs from the full rollback's`);
      if (a !== '') compared++;
    }
  });
  expect(compared).toBeGreaterThan(2000);
  expect(full.nearbyCorrections).toBeGreaterThan(50);
  expect(partial.nearbyCorrections).toBe(full.nearbyCorrections);
  expect(partial.corrections).toBe(full.corrections);
  expect(partial.ops.partialReseeds).toBeGreaterThan(20);
  expect(partial.ops.steps).toBeLessThan(full.ops.steps);
  // the shortcuts were taken: held-key inputs skipped, sleepers not read back every tick
  expect(partial.ops.redundantInputs).toBeGreaterThan(50);
  expect(partial.ops.exports).toBeLessThan(full.ops.exports / 2);
}, 60_000);
