/**
 * Client prediction under pushing (issue 20 acceptance, second item): how large the corrections are
 * when other players push the predicting client and bodies hit it, and the CPU a client spends per
 * frame predicting. Not run by the tests (a timing benchmark: run it on a quiet machine).
 *
 *   npm run bench:predict [-- --seconds 60 --pushers 4 --bodies 200 --one-way-ms 75 --rate 50 --write]
 *
 * In this process: a Host (one shard, `--rate` Hz) whose scene is a closed 24 m box holding
 * `--bodies` resting spheres (radius 0.3 m, a grid within 8 m of the centre, so they are near the
 * avatar); one predicting client (AvatarPrediction with the statics of GET /predict, `--one-way-ms`
 * of delay each way in its socket, one input per tick walking a circle of about 4 m around the
 * centre, a frame every 1000/60 ms); and `--pushers` plain clients whose avatars walk straight at
 * the predicting avatar every tick (steered from the host's own state: they always push).
 *
 * Recorded (JSON on stdout; with --write also bench/results/<machine>/predict.json): corrections
 * per second; correction distance p50/p99/max in mm, both as the Predictor measures it (predicted
 * vs the server's record at the record's tick, Predictor.lastCorrection) and as drawn (the visible
 * error at the present, AvatarPrediction.lastCorrectionM); and the CPU per frame spent predicting
 * (AvatarPrediction.frameMs: stepping to the present plus the rollbacks and replays of the states
 * that arrived since the last frame) p50/p99/max in ms.
 *
 * What it does not measure: the bodies near the avatar are not in the predictor's world (only the
 * statics and the avatar are), so their count changes the corrections, not the CPU per frame;
 * and it runs the core in Node, not in Chromium (the 2 ms target is for Chromium; the
 * viewer's probe shows `predictMs` per frame for a manual check there).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { type BaseSocket, laggedSocket } from '../../src/client/lag-socket';
import { Host } from '../../src/net/host';
import { createNodeClient } from '../../src/client/node';
import type { SocketFactory, TesseraClient } from '../../src/client/client';
import { AvatarPrediction } from '../../src/client/predicted-avatar';
import type { PredictWorld } from '../../src/client/predict-world';
import type { WorldSetup } from '../../src/sim/main-sim';
import type { ShardedWorld } from '../../src/physics/sharded';
import { repoRoot, runMeta } from '../results';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const SECONDS = Number(arg('seconds', '60')),
  PUSHERS = Number(arg('pushers', '4')),
  BODIES = Number(arg('bodies', '200')),
  ONE_WAY_MS = Number(arg('one-way-ms', '75')),
  RATE = Number(arg('rate', '50')),
  WRITE = process.argv.includes('--write');
const FRAME_MS = 1000 / 60;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A closed box, half size `half` m, walls `height` m (the floor at y = 0). */
function closedBox(w: ShardedWorld, half: number, height: number): void {
  w.addBox({ position: [0, -0.5, 0], half: [half + 1, 0.5, half + 1] });
  w.addBox({ position: [half + 0.5, height / 2, 0], half: [0.5, height / 2, half + 1] });
  w.addBox({ position: [-half - 0.5, height / 2, 0], half: [0.5, height / 2, half + 1] });
  w.addBox({ position: [0, height / 2, half + 0.5], half: [half, height / 2, 0.5] });
  w.addBox({ position: [0, height / 2, -half - 0.5], half: [half, height / 2, 0.5] });
}

/** `n` spheres of radius 0.3 m resting on the floor in a grid around the centre (0.9 m apart, the centre 2 m left free). */
function spheres(w: ShardedWorld, n: number): void {
  let placed = 0;
  for (let ring = 3; placed < n; ring++)
    for (let ix = -ring; ix <= ring && placed < n; ix++)
      for (let iz = -ring; iz <= ring && placed < n; iz++) {
        if (Math.max(Math.abs(ix), Math.abs(iz)) !== ring) continue;
        w.addSphere({ position: [ix * 0.9, 0.3, iz * 0.9], radius: 0.3, mass: 0.5 });
        placed++;
      }
}

/** A `ws` socket whose messages wait `delayMs` in each direction (src/client/lag-socket.ts). */
const delayedSocket = (delayMs: number): SocketFactory =>
  laggedSocket(delayMs, WebSocket as unknown as new (url: string, protocols?: string | string[]) => BaseSocket);

/** p50, p99 and max of `xs` (0 for none). */
function quantiles(xs: number[]): { p50: number; p99: number; max: number; n: number } {
  const t = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => (t.length ? t[Math.min(t.length - 1, Math.floor(p * t.length))] : 0);
  return { p50: q(0.5), p99: q(0.99), max: t.length ? t[t.length - 1] : 0, n: t.length };
}

async function main(): Promise<void> {
  const setup: WorldSetup = {
    config: { capacity: BODIES + PUSHERS + 32, tickRate: RATE, maxBodyRadius: 1, sleep: { enabled: true } },
    scene: (w) => {
      closedBox(w, 24, 6);
      spheres(w, BODIES);
    },
    // the predicting client first (public id 1) at the centre; the pushers around it
    spawnPoints: [
      [0, 1.2, 0],
      ...Array.from({ length: Math.max(1, PUSHERS) }, (_, k): [number, number, number] => [
        6 * Math.cos((2 * Math.PI * k) / PUSHERS),
        1.2,
        6 * Math.sin((2 * Math.PI * k) / PUSHERS),
      ]),
    ],
  };
  // one input per tick from every client: above the default input budget (40/s)
  const host = await Host.start({ port: 0, tickRate: RATE, world: setup, rateLimits: { input: { perSecond: RATE + 10, burst: 2 * RATE } } });
  const url = `ws://127.0.0.1:${host.port}/ws`;
  const world = (await (await fetch(`http://127.0.0.1:${host.port}/predict`)).json()) as PredictWorld;
  let prediction: AvatarPrediction | null = null;
  const predictedMm: number[] = [],
    drawnMm: number[] = [],
    frameMs: number[] = [];
  let seen = 0;
  const me: TesseraClient = createNodeClient(
    { url, token: 'guest', privateId: 'bench-predict', predict: true, pingEveryMs: 500, WebSocket: delayedSocket(ONE_WAY_MS) },
    {
      onMessage: (m) => prediction?.onMessage(m),
      onState: (_m, info) => {
        if (!prediction) return;
        prediction.onState(info);
        const p = prediction.predictor;
        if (p.corrections > seen) {
          seen = p.corrections;
          predictedMm.push(p.lastCorrection * 1000);
          drawnMm.push(prediction.lastCorrectionM * 1000);
        }
      },
    },
  );
  prediction = new AvatarPrediction(me, world);
  await me.connect();
  const pushers: TesseraClient[] = [];
  for (let k = 0; k < PUSHERS; k++) {
    const c = createNodeClient({ url, token: 'guest', privateId: `bench-pusher-${k}` });
    await c.connect();
    pushers.push(c);
  }
  for (let t = 0; prediction.predictor.body === null || me.rttMs === null; t++) {
    if (t > 200) throw new Error('no avatar record or round trip after 10 s');
    await sleep(50);
  }
  const sim = host.world.sim;
  const started = Date.now();
  let i = 0;
  const inputs = setInterval(() => {
    // the predicting avatar walks a circle (about 4 m across at 4 m/s: a turn every ~3 s)
    const a = (2 * Math.PI * i++) / (3 * RATE);
    prediction?.input({ walkX: Math.round(1000 * Math.cos(a)), walkZ: Math.round(1000 * Math.sin(a)), jump: false });
    const target = sim.avatars.get(me.publicId);
    if (target === undefined) return;
    const [tx, , tz] = sim.world.position(target);
    for (const c of pushers) {
      const h = sim.avatars.get(c.publicId);
      if (h === undefined) continue;
      const [x, , z] = sim.world.position(h);
      const d = Math.hypot(tx - x, tz - z) || 1;
      c.sendInput({ walkX: Math.round((1000 * (tx - x)) / d), walkZ: Math.round((1000 * (tz - z)) / d), jump: false });
    }
  }, 1000 / RATE);
  const frames = setInterval(() => {
    prediction?.frame();
    if (prediction) frameMs.push(prediction.frameMs);
  }, FRAME_MS);
  await sleep(SECONDS * 1000);
  clearInterval(inputs);
  clearInterval(frames);
  const seconds = (Date.now() - started) / 1000;
  const p = prediction.predictor;
  const out = {
    meta: runMeta({ maxTimeSeconds: SECONDS, filter: null }),
    options: { seconds: SECONDS, pushers: PUSHERS, bodies: BODIES, oneWayMs: ONE_WAY_MS, rate: RATE },
    rttMs: me.rttMs,
    ticks: p.present,
    confirmed: p.confirmed,
    corrections: p.corrections,
    correctionsPerSecond: p.corrections / seconds,
    stepsPerSecond: p.steps / seconds,
    correctionMm: quantiles(predictedMm),
    drawnCorrectionMm: quantiles(drawnMm),
    frameMs: quantiles(frameMs),
  };
  for (const c of [me, ...pushers]) c.close();
  await host.stop();
  console.log(JSON.stringify(out, null, 2));
  if (WRITE) {
    const dir = join(repoRoot(), 'bench', 'results', out.meta.machine.slug);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'predict.json'), `${JSON.stringify(out, null, 2)}\n`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
