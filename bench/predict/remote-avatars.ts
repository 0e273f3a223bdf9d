/**
 * Other players' avatars: interpolated or extrapolated (issue 20: "Other players' avatars are
 * interpolated as now, or extrapolated: measure"), deterministic: no clock, no network, no timing
 * (test/helpers/remote-run.ts simulates the server and a predicting client tick by tick). For
 * each scenario it prints the visible position error of the remote avatar, in mm, p50 / p99 /
 * max / mean over the frames drawn at 60 fps (50 Hz ticks) while it is within the nearby radius
 * (8 m), for:
 *
 *   interpolated     TesseraClient.bodies: the states received, interpolationTicks (2) behind the
 *                    newest, compared with the server's position at the client's present D (where
 *                    the client draws its own avatar)
 *   interpolatedAtR  the same positions compared with the server's at the tick they show (R):
 *                    exact but late (the quantisation of the states only)
 *   extrapolated     the Predictor's nearby record of the remote avatar at D (its walk target
 *                    kept), compared with the server's at D
 *   drawn            what the viewer draws (AvatarPrediction.nearbyDrawn: extrapolated plus the
 *                    fading offset of its corrections), compared with the server's at D
 *
 * Scenarios: the remote player walks straight and turns now and then (0.5 to 2 s segments, turns
 * up to 90 degrees, one segment in seven standing) or pseudo-randomly (a new walk every 3 ticks,
 * as predict-run's pusher), with 1 tick (20 ms) or 4 ticks (80 ms) each way: 40 or 160 ms round
 * trip; and the straight walker among 200 resting spheres (the scene of bench:predict-browser).
 *
 *   npx tsc -p tsconfig.json && node build/dist/bench/predict/remote-avatars.js [--ticks 3000] [--write]
 *   (or npx tsx bench/predict/remote-avatars.ts where tsx is installed; it is not a dependency)
 *
 * --write also writes bench/results/<machine>/remote-avatars.json (the numbers do not depend on
 * the machine: the run is bit-exact).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RemoteFrame, type RemoteRunOptions, remoteRun } from '../../test/helpers/remote-run';
import { repoRoot, runMeta } from '../results';

const i = process.argv.indexOf('--ticks');
const TICKS = i >= 0 ? Number(process.argv[i + 1]) : 3000;
const WRITE = process.argv.includes('--write');

/** p50, p99 (nearest rank), max and mean of `xs`, m -> mm (rounded to 0.1 mm). */
function stats(xs: number[]): { p50: number; p99: number; max: number; mean: number } {
  const t = xs.map((x) => x * 1000).sort((a, b) => a - b);
  const q = (p: number): number => (t.length ? t[Math.min(t.length - 1, Math.floor(p * t.length))] : 0);
  const r = (x: number): number => Math.round(x * 10) / 10;
  return { p50: r(q(0.5)), p99: r(q(0.99)), max: r(t.length ? t[t.length - 1] : 0), mean: r(t.reduce((a, b) => a + b, 0) / (t.length || 1)) };
}

const scenarios: Array<[string, RemoteRunOptions]> = [
  ['straight, 40 ms round trip', { ticks: TICKS, walker: 'straight', oneWay: 1 }],
  ['straight, 160 ms round trip', { ticks: TICKS, walker: 'straight', oneWay: 4 }],
  ['random, 40 ms round trip', { ticks: TICKS, walker: 'random', oneWay: 1 }],
  ['random, 160 ms round trip', { ticks: TICKS, walker: 'random', oneWay: 4 }],
  ['straight among 200 spheres, 160 ms round trip', { ticks: TICKS, walker: 'straight', oneWay: 4, bodies: 200 }],
];

const results: Record<string, unknown> = {};
for (const [name, o] of scenarios) {
  const r = remoteRun(o);
  const of = (k: keyof Omit<RemoteFrame, 'at'>): number[] => r.frames.map((f) => f[k]);
  results[name] = {
    options: { walker: o.walker, oneWayTicks: o.oneWay, roundTripMs: 2 * (o.oneWay ?? 4) * 20, bodies: o.bodies ?? 0, ticks: o.ticks },
    frames: r.frames.length,
    framesOutsideRadius: r.framesOutside,
    interpolationLagTicks: r.interpolationLagTicks,
    extrapolationTicks: r.extrapolationTicks,
    remoteInputs: r.remoteInputs,
    nearbyCorrections: r.nearbyCorrections,
    avatarCorrections: r.corrections,
    // frames where the avatar as the viewer draws it (extrapolated, smoothed) is nearer the truth than the interpolated one
    drawnNearerShare: Math.round((r.frames.filter((f) => f.drawn < f.interpolated).length / (r.frames.length || 1)) * 1000) / 1000,
    errorMm: {
      interpolated: stats(of('interpolated')),
      interpolatedAtR: stats(of('interpolatedAtR')),
      extrapolated: stats(of('extrapolated')),
      drawn: stats(of('drawn')),
    },
  };
}
const out = {
  meta: runMeta({ maxTimeSeconds: 0, filter: null }),
  setup: {
    tickRate: 50,
    fps: 60,
    lead: 2,
    interpolationTicks: 2,
    nearbyRadiusM: 8,
    walkSpeedMps: 4,
    note: 'errors: distance between the drawn remote avatar and the server position at the tick the frame stands for (test/helpers/remote-run.ts); frames within the nearby radius after 50 ticks',
  },
  results,
};
console.log(JSON.stringify(out, null, 2));
if (WRITE) {
  const dir = join(repoRoot(), 'bench', 'results', out.meta.machine.slug);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'remote-avatars.json'), `${JSON.stringify(out, null, 2)}\n`);
}
