/**
 * Operation counts of client prediction with nearby bodies (issue 20: "the CPU a client spends
 * per frame predicting"), deterministic: no clock, no network, no timing (timings are
 * bench:predict-browser's, on a quiet machine). Runs test/helpers/predict-run.ts (200 resting
 * spheres around the avatar, nearby radius 8 m, 50 Hz, states 4 ticks late, a frame every 5
 * ticks: 10 fps, as the browser bench ran) once alone and once with a pusher, for a Predictor with
 * deferred replays (what the viewer uses) and partial reseeds on, then off (a full rollback on any
 * difference, the behaviour before), and prints PredictorOps per frame and per state as JSON.
 *
 *   npx tsx bench/predict/count-predict.ts [--ticks 1000]
 */
import { Predictor } from '../../src/client/predict';
import { predictRun, predictRunOptions } from '../../test/helpers/predict-run';

const i = process.argv.indexOf('--ticks');
const TICKS = i >= 0 ? Number(process.argv[i + 1]) : 1000;
const FRAME_TICKS = 5;

const out: Record<string, unknown> = {};
for (const pusher of [false, true])
  for (const partialReseed of [true, false]) {
    const p = new Predictor(predictRunOptions({ deferReplay: true, partialReseed }));
    const states = predictRun({ ticks: TICKS, pusher, frameTicks: FRAME_TICKS }, [p]);
    const frames = Math.floor((TICKS - 1) / FRAME_TICKS);
    const per = (x: number, n: number): number => Math.round((x / n) * 100) / 100;
    const o = p.ops;
    out[`${pusher ? 'pushed' : 'alone'}, partialReseed ${partialReseed}`] = {
      frames,
      states,
      nearbyBodies: p.nearbyHandles.length,
      corrections: p.corrections,
      nearbyCorrections: p.nearbyCorrections,
      rollbacks: o.rollbacks,
      partialReseeds: o.partialReseeds,
      partialReplays: o.partialReplays,
      replaySteps: o.replaySteps,
      perFrame: {
        steps: per(o.steps, frames),
        replaySteps: per(o.replaySteps, frames),
        bodiesReseeded: per(o.bodiesReseeded, frames),
        scratchSteps: per(o.scratchSteps, frames),
        imports: per(o.imports, frames),
        exports: per(o.exports, frames),
        recordKiB: per(o.recordBytes / 1024, frames),
      },
    };
  }
console.log(JSON.stringify(out, null, 2));
