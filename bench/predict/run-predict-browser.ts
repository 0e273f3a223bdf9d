/**
 * Client prediction in Chromium (issue 20 acceptance: "the CPU a client spends per frame predicting
 * (target: under 2 ms per frame for 200 nearby bodies in Chromium)"). Not run by the tests (a
 * timing benchmark: run it on a quiet machine).
 *
 *   npm run bench:predict-browser [-- --seconds 20 --bodies 200 --lag 150 --near 16 --viewport 320x200 --write]
 *
 * Writes a scene (tessera.scene.v1, 50 Hz, one shard) to a temporary directory: a closed 24 m box
 * and `--bodies` resting spheres (radius 0.3 m, named bodies on a 0.9 m grid around the spawn
 * point, all within about 8 m of it, a 1.6 m clearing at the spawn), starts `tessera serve` on it
 * (build/dist, a port of its own), and opens the viewer in headless Chromium (Debian's chromium,
 * playwright-core, software WebGL: test/helpers/chromium.ts) at `/?lag=<lag>&near=<near>` (the
 * radius of the bodies predicted with the avatar, docs/protocol.md section 19.1; default 16 m, so
 * that the "200 nearby bodies" are all predicted: the viewer's own default is 8 m, about
 * half of them). After the avatar lands it holds W for `--seconds` s while the camera yaw turns
 * 0.35 rad every 400 ms, so the avatar walks curves through the spheres and pushes them.
 *
 * Recorded every rendered frame (a requestAnimationFrame hook reading the viewer's probe,
 * window.tessera, once per viewer frame): predictMs (AvatarPrediction.frameMs: stepping the
 * prediction to the present, plus the rollbacks and replays of the states that arrived since the
 * last frame) and predictedBodies (the nearby bodies in the prediction). Reported (JSON on stdout;
 * with --write also bench/results/<machine>/predict-browser.json): predictMs p50/p99/max, the
 * predicted bodies p50/min/max over the frames, frames, frame rate, and the avatar and nearby
 * corrections at the end; and predictMsPerSecond, the prediction's CPU per second of play (the
 * sum over the frames / the seconds), which does not depend on the frame rate, with
 * per60HzFrame = predictMsPerSecond / 60, what a frame costs at a display's 60 Hz. predictMs is
 * the prediction's CPU only, not the frame's.
 *
 * The frame rate: headless Chromium rasterises WebGL in software (SwiftShader) in its GPU
 * process, which takes both cores of a 2-core machine at 640x400 and holds the page near 14
 * frames/s, so each frame carries about 3.5 ticks and 3.5 states of prediction work. The default
 * `--viewport 320x200` leaves the page more CPU (about 20 frames/s); a real GPU draws at 60.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../../test/helpers/chromium';
import { startServe } from '../../test/helpers/child-host';
import { repoRoot, runMeta } from '../results';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const SECONDS = Number(arg('seconds', '20')),
  BODIES = Number(arg('bodies', '200')),
  LAG = Number(arg('lag', '150')),
  NEAR = Number(arg('near', '16')),
  [VIEW_W, VIEW_H] = arg('viewport', '320x200').split('x').map(Number),
  WRITE = process.argv.includes('--write'),
  NOTE = arg('note', '');

/** The benchmark's scene (module comment). */
function scene(bodies: number): unknown {
  const spheres: unknown[] = [];
  const n = Math.ceil(Math.sqrt(bodies)) + 2;
  for (let i = 0; i < n && spheres.length < bodies; i++)
    for (let k = 0; k < n && spheres.length < bodies; k++) {
      const x = (i - (n - 1) / 2) * 0.9,
        z = (k - (n - 1) / 2) * 0.9;
      if (Math.hypot(x, z) < 1.6) continue; // the spawn point's clearing
      spheres.push({ name: `s${spheres.length}`, sphere: { center: [x, 0.3, z], radius: 0.3, density: 100 } });
    }
  const wall = (center: number[], half: number[]) => ({ box: { center, half } });
  return {
    format: 'tessera.scene.v1',
    world: { capacity: 1024, tickRate: 50, maxBodyRadius: 1, sleep: true },
    spawnPoints: [[0, 1.2, 0]],
    statics: [
      { plane: { normal: [0, 1, 0], offset: 0 } },
      wall([24.5, 2, 0], [0.5, 2, 25]),
      wall([-24.5, 2, 0], [0.5, 2, 25]),
      wall([0, 2, 24.5], [24, 2, 0.5]),
      wall([0, 2, -24.5], [24, 2, 0.5]),
    ],
    bodies: spheres,
  };
}

interface Probe {
  connected: boolean;
  me: number[] | null;
  predicting: boolean;
  predictError: string | null;
  rttMs: number | null;
  corrections: number;
  nearbyCorrections: number;
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-predict-browser-'));
  const sceneFile = join(dir, 'scene.json');
  writeFileSync(sceneFile, JSON.stringify(scene(BODIES)));
  // the browser first: when it cannot start (no chromium), no server is left running
  const browser = await launchChromium();
  const server = startServe(['--port', '0', '--data', join(dir, 'data'), '--scene', sceneFile, '--log-level', 'info']);
  try {
    const { port } = await server.listening;
    const page = await (await browser.newContext({ viewport: { width: VIEW_W, height: VIEW_H } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/?lag=${LAG}&near=${NEAR}`);
    await page.click('#guest');
    const probe = (): Promise<Probe> => page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { tessera: Probe }).tessera)) as Probe);
    const end = Date.now() + 30_000;
    for (;;) {
      const x = await probe();
      if (x.predictError) throw new Error(`prediction failed in the page: ${x.predictError}`);
      if (x.connected && x.me && x.predicting && x.rttMs !== null) break;
      if (Date.now() > end) throw new Error(`the viewer did not start predicting: ${JSON.stringify(x)}`);
      await page.waitForTimeout(200);
    }
    await page.waitForTimeout(2000); // the avatar lands
    // one sample per viewer frame (the probe's frame counter changes once per frame)
    await page.evaluate(() => {
      const w = window as unknown as { tessera: { frames: number; predictMs: number; predictedBodies: number }; benchSamples: number[][] };
      w.benchSamples = [];
      let last = w.tessera.frames;
      const hook = (): void => {
        if (w.tessera.frames !== last) {
          last = w.tessera.frames;
          w.benchSamples.push([w.tessera.predictMs, w.tessera.predictedBodies]);
        }
        requestAnimationFrame(hook);
      };
      requestAnimationFrame(hook);
    });
    const t0 = Date.now();
    await page.keyboard.down('w');
    let yaw = 0;
    while (Date.now() - t0 < SECONDS * 1000) {
      yaw += 0.35;
      await page.evaluate((y) => (window as unknown as { tessera: { setYaw: (y: number) => void } }).tessera.setYaw(y), yaw);
      await page.waitForTimeout(400);
    }
    await page.keyboard.up('w');
    const elapsed = (Date.now() - t0) / 1000;
    const samples = await page.evaluate(() => (window as unknown as { benchSamples: number[][] }).benchSamples);
    const last = await probe();
    const ms = samples.map((s) => s[0]),
      bodies = samples.map((s) => s[1]);
    const perSecond = ms.reduce((a, b) => a + b, 0) / elapsed; // prediction CPU, ms per second of play
    const out = {
      name: 'predict-browser',
      meta: runMeta({ maxTimeSeconds: SECONDS, filter: null }),
      settings: {
        seconds: SECONDS,
        bodies: BODIES,
        lagMs: LAG,
        tickRate: 50,
        nearM: NEAR,
        viewport: `${VIEW_W}x${VIEW_H}`,
        browser: 'chromium (headless, SwiftShader WebGL)',
      },
      note: NOTE,
      frames: samples.length,
      fps: round(samples.length / elapsed, 1),
      predictMsPerFrame: { p50: round(quantile(ms, 0.5)), p99: round(quantile(ms, 0.99)), max: round(Math.max(...ms)) },
      predictMsPerSecond: round(perSecond, 1),
      per60HzFrame: round(perSecond / 60),
      predictedBodies: { p50: quantile(bodies, 0.5), min: Math.min(...bodies), max: Math.max(...bodies) },
      corrections: { avatar: last.corrections, nearbyStates: last.nearbyCorrections },
      rttMs: last.rttMs === null ? null : round(last.rttMs, 1),
      pageErrors: errors,
    };
    console.log(JSON.stringify(out, null, 2));
    if (WRITE) {
      const d = join(repoRoot(), 'bench', 'results', out.meta.machine.slug);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'predict-browser.json'), `${JSON.stringify(out, null, 2)}\n`);
    }
  } finally {
    await browser.close();
    server.kill('SIGTERM');
    await server.exit;
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
