/**
 * Other players' avatars as a predicting client draws them (issue 20: "interpolated as now, or
 * extrapolated: measure"; test/helpers/remote-run.ts, bench/predict/remote-avatars.ts). A
 * deterministic run at 50 Hz, frames at 60 fps, the client's own avatar drawn at its predicted
 * present D; the error of a remote avatar is its distance to the server's position at D.
 *
 * 1. Interpolated (TesseraClient.bodies): exact about the past, within the states' quantisation
 *    (1/1024 m per axis: under sqrt(3) / 1024 m = 1.7 mm), but drawn 2 x one-way + lead + 2 +
 *    interpolationTicks ticks behind D: a remote player walking straight at 4 m/s is drawn
 *    4 m/s x lag / 50 Hz behind (0.64 m at a 40 ms round trip, 1.12 m at 160 ms), to 5 cm.
 * 2. Extrapolated as the viewer draws it (the remote avatar a nearby body of the Predictor, its
 *    walk target kept; AvatarPrediction.nearbyDrawn): for a player walking straight and turning
 *    now and then, exact between turns (median under 5 mm), nearer than the interpolated one in
 *    most frames, its mean error under a third of the interpolated one's; after a turn it is
 *    wrong until the state showing the turn arrives: at most a reversal over the extrapolation,
 *    2 x 4 m/s x (2 x one-way + lead + 3) / 50 Hz.
 * 3. For a player whose walk changes every 3 ticks at random, extrapolation overshoots: its median
 *    error is larger than the interpolated one's (what the numbers say the viewer gives up by
 *    extrapolating such a player).
 */
import { type RemoteFrame, remoteRun } from './helpers/remote-run';

const WALK = 4; // m/s, MainSim's default walk speed
const RATE = 50;

function median(xs: number[]): number {
  const t = [...xs].sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const of = (fs: RemoteFrame[], k: keyof Omit<RemoteFrame, 'at'>): number[] => fs.map((f) => f[k]);

test.each([
  [1, 8],
  [4, 14],
])('a remote player walking straight, %i tick(s) each way: interpolated %i ticks behind, extrapolated where it is', (oneWay, lag) => {
  const r = remoteRun({ ticks: 1500, walker: 'straight', oneWay });
  expect(r.interpolationLagTicks).toBe(lag);
  expect(r.frames.length).toBeGreaterThan(1400); // 60 fps over 29 s, most within the radius
  const interpolated = of(r.frames, 'interpolated'),
    drawn = of(r.frames, 'drawn');
  // 1. the interpolated avatar: exact about the tick it shows, late by the lag
  expect(Math.max(...of(r.frames, 'interpolatedAtR'))).toBeLessThan(Math.sqrt(3) / 1024);
  expect(Math.abs(median(interpolated) - (WALK * lag) / RATE)).toBeLessThan(0.05);
  // 2. the extrapolated one, as drawn: exact while the walk holds, bounded after a turn
  expect(median(drawn)).toBeLessThan(0.005);
  expect(mean(drawn)).toBeLessThan(mean(interpolated) / 3);
  expect(r.frames.filter((f) => f.drawn < f.interpolated).length).toBeGreaterThan(0.8 * r.frames.length);
  expect(Math.max(...drawn)).toBeLessThan((2 * WALK * (r.extrapolationTicks + 1)) / RATE);
  expect(Math.max(...drawn)).toBeGreaterThan(0.3); // the turns do show (the run is not trivially exact)
});

test('a remote player walking at random (a new walk every 3 ticks), 160 ms round trip: interpolation is nearer', () => {
  const r = remoteRun({ ticks: 1000, walker: 'random', oneWay: 4 });
  const interpolated = of(r.frames, 'interpolated'),
    drawn = of(r.frames, 'drawn');
  expect(r.frames.length).toBeGreaterThan(1000);
  expect(median(drawn)).toBeGreaterThan(1.2 * median(interpolated));
  // both bounded by the fastest walk (a diagonal: sqrt(2) x 4 m/s) over their horizons
  expect(Math.max(...interpolated)).toBeLessThan((Math.SQRT2 * WALK * r.interpolationLagTicks) / RATE);
  expect(Math.max(...drawn)).toBeLessThan((2 * Math.SQRT2 * WALK * (r.extrapolationTicks + 1)) / RATE);
});
