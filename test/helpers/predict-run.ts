/**
 * A deterministic in-process run of client prediction with nearby bodies (issue 20), no network,
 * no clock: a MainSim steps the server's world (a closed 24 m box, `bodies` resting spheres of
 * radius 0.3 m on a 0.9 m grid around the spawn point, a 1.6 m clearing there: the scene of
 * bench:predict-browser), the predicting client's inputs reach it `lead` ticks before their tick,
 * and each state's avatar record and nearby records (the dynamic bodies other than the avatar
 * within `radius` m of its centre, in slot order: what src/net/predict.ts sends) reach the
 * predictors `delay` ticks later with the state's input_seq. A frame is drawn every `frameTicks`
 * ticks (advanceTo the stamped tick + 2, as AvatarPrediction.frame does), so several states arrive
 * between two frames as in a slow browser. The avatar walks curves (its heading turns every 20
 * ticks, `turnEvery`); with `pusher` a second player (whose inputs the client does not know) walks at it from
 * 3 m away, pseudo-randomly (mulberry32 of `seed`), so the client's prediction is corrected.
 *
 * Every predictor in `predictors` gets the same inputs and states; `check` runs after each
 * delivered state and each frame (to compare them), and before each state ('before'). Used by test/predict-cost.test.ts and
 * bench/predict/count-predict.ts (operation counts, no timing); its scene and nearbyOf by test/helpers/remote-run.ts.
 */
import type { Predictor, PredictorOptions } from '../../src/client/predict';
import { INPUT } from '../../src/sim/event-bodies';
import { MainSim, type WorldSetup } from '../../src/sim/main-sim';
import type { WorldConfig } from '../../src/physics/world';
import type { ShardedWorld } from '../../src/physics/sharded';
import { BODY_RECORD, BODY_RECORD_BYTES, KIND } from '../../src/physics/world-layout';
import type { StreamEvent } from '../../src/protocol/messages';
import { mulberry32 } from './bigref';
import { addClosedBox } from './scenes';

/** predictRun options. */
export interface PredictRunOptions {
  ticks: number;
  bodies?: number;
  /** Nearby radius, m (default 8). */
  radius?: number;
  /** Ticks an input is stamped ahead (default 2). */
  lead?: number;
  /** Ticks a state takes to reach the client (default 4: about 75 ms at 50 Hz). */
  delay?: number;
  /** Ticks between two drawn frames (default 5: 10 fps at 50 Hz). */
  frameTicks?: number;
  /** Ticks between two turns of the avatar's heading (default 20). */
  turnEvery?: number;
  /** A second player walking at the avatar (default false). */
  pusher?: boolean;
  seed?: number;
}

export const PREDICT_RUN_CONFIG: WorldConfig = { capacity: 512, tickRate: 50, maxBodyRadius: 1, sleep: { enabled: true } };

/** The spheres of bench:predict-browser's scene (its module comment). */
export function spheres(w: ShardedWorld, bodies: number): void {
  const n = Math.ceil(Math.sqrt(bodies)) + 2;
  let placed = 0;
  for (let i = 0; i < n && placed < bodies; i++)
    for (let k = 0; k < n && placed < bodies; k++) {
      const x = (i - (n - 1) / 2) * 0.9,
        z = (k - (n - 1) / 2) * 0.9;
      if (Math.hypot(x, z) < 1.6) continue;
      w.addSphere({ position: [x, 0.3, z], radius: 0.3, mass: 2.8 });
      placed++;
    }
}

/** The run's server world: the closed 24 m box, `bodies` spheres (spheres), spawn points at the centre and 3 m along x. */
export function predictRunSetup(bodies: number): WorldSetup {
  return {
    config: PREDICT_RUN_CONFIG,
    scene: (w) => {
      addClosedBox(w, 24, 12);
      spheres(w, bodies);
    },
    spawnPoints: [
      [0, 1.2, 0],
      [3, 1.2, 0],
    ],
  };
}

/** Predictor options for the run's world (statics only), plus `extra`. */
export function predictRunOptions(extra: Partial<PredictorOptions> = {}): PredictorOptions {
  return { config: PREDICT_RUN_CONFIG, statics: (w) => addClosedBox(w, 24, 12), nearby: true, ...extra };
}

/** Runs the scenario (module comment); returns the number of states delivered. */
export function predictRun(
  o: PredictRunOptions,
  predictors: Predictor[],
  check: (when: 'before' | 'state' | 'frame', tick: number) => void = () => {},
): number {
  const lead = o.lead ?? 2,
    delay = o.delay ?? 4,
    frameTicks = o.frameTicks ?? 5,
    radius = o.radius ?? 8;
  const sim = new MainSim(predictRunSetup(o.bodies ?? 200));
  sim.apply(0, [{ tick: 0, type: '_c', origin: 1, body: '1' }, ...(o.pusher ? [{ tick: 0, type: '_c', origin: 2, body: '2' }] : [])]);
  const avatar = sim.avatars.get(1) as bigint;
  const rng = mulberry32(o.seed ?? 1);
  const queue = new Map<number, Array<{ seq: number; body: string }>>();
  const states: Array<{ at: number; tick: number; record: Uint8Array; nearby: Uint8Array; ack: number }> = [];
  let applied = 0,
    delivered = 0,
    stamped = 0,
    heading = 0;
  for (let t = 1; t < o.ticks; t++) {
    if (t % (o.turnEvery ?? 20) === 0) heading += 0.35;
    const frame = { walkX: Math.round(1000 * Math.cos(heading)), walkZ: Math.round(1000 * Math.sin(heading)), jump: t % 97 === 50 };
    const tick = t + lead;
    stamped = tick;
    for (const p of predictors) {
      p.input(t, tick, frame);
      p.advanceTo(tick + 1);
    }
    const l = queue.get(tick) ?? [];
    l.push({ seq: t, body: INPUT.encode({ ...frame, seq: t }) });
    queue.set(tick, l);
    while (states.length > 0 && states[0].at <= t) {
      const s = states.shift() as (typeof states)[number];
      check('before', s.tick);
      for (const p of predictors) p.authoritative(s.tick, s.record, s.ack, s.nearby);
      delivered++;
      check('state', s.tick);
    }
    if (t % frameTicks === 0) {
      for (const p of predictors) p.advanceTo(stamped + 2);
      check('frame', stamped + 2);
    }
    const inputs = queue.get(t) ?? [];
    queue.delete(t);
    const events: StreamEvent[] = inputs.map((x) => ({ tick: t, type: 'in', origin: 1, body: x.body }));
    if (o.pusher && t % 3 === 0) {
      const w = Math.floor(unitOf(rng) * 2000) - 1000,
        z = Math.floor(unitOf(rng) * 2000) - 1000;
      events.push({ tick: t, type: 'in', origin: 2, body: INPUT.encode({ walkX: w, walkZ: z, jump: false }) });
    }
    sim.apply(t, events);
    for (const x of inputs) applied = Math.max(applied, x.seq);
    const record = sim.world.bodyRecord(avatar);
    states.push({ at: t + delay, tick: t + 1, record, nearby: nearbyOf(sim, avatar, record, radius), ack: applied });
  }
  return delivered;
}

const unitOf = (rng: () => number): number => rng() / 4294967296;

/** The nearby records the host sends (src/net/predict.ts): dynamic bodies other than the avatar within `radius` m, slot order. */
export function nearbyOf(sim: MainSim, avatar: bigint, record: Uint8Array, radius: number): Uint8Array {
  const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const a = [BODY_RECORD.PX, BODY_RECORD.PY, BODY_RECORD.PZ].map((at) => Number(v.getBigInt64(at, true)) / 65536);
  const out: Uint8Array[] = [];
  for (const h of sim.world.handles()) {
    if (h === avatar) continue;
    const p = sim.world.positionRaw(h).map((x) => Number(x) / 65536);
    if ((p[0] - a[0]) ** 2 + (p[1] - a[1]) ** 2 + (p[2] - a[2]) ** 2 > radius * radius) continue;
    const r = sim.world.bodyRecord(h);
    if (new DataView(r.buffer, r.byteOffset, r.byteLength).getUint32(12, true) !== KIND.DYNAMIC) continue;
    out.push(r);
  }
  const bytes = new Uint8Array(out.length * BODY_RECORD_BYTES);
  for (let i = 0; i < out.length; i++) bytes.set(out[i], i * BODY_RECORD_BYTES);
  return bytes;
}
