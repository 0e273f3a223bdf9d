/**
 * Another player's avatar as a predicting client draws it (issue 20: "other players' avatars are
 * interpolated as now, or extrapolated: measure"), deterministic: no clock, no network, the
 * timeline in ticks. A MainSim steps the server's world (test/helpers/predict-run.ts's closed
 * 24 m box, `bodies` resting spheres, default none); player 1 is the predicting client (an
 * AvatarPrediction over the statics of GET /predict, through a stand-in TesseraClient whose
 * clock the run sets), walking curves (its heading turns 0.35 rad every 20 ticks); player 2 is
 * the remote player, whose inputs the client never sees, walking as `walker` says.
 *
 * Timeline (wall time w in ticks, one-way delay d ticks each way, round trip 2d):
 *
 *   server   state s is made at w = s (MainSim.apply(s - 1) steps s - 1 -> s), leaves at once,
 *            reaches the client at w = s + d; an input sent at w reaches the host at w + d
 *   client   intendedTickExact() = w + d (the newest state's tick + round trip + time since it
 *            came: client.ts ticksAhead with rtt = 2d); its own input each tick, stamped
 *            intendedTick() + lead (AvatarPrediction.input); frames at w = k x tickRate / fps
 *   drawn    own avatar and predicted bodies: the present D = w + d + lead + 2 (AvatarPrediction
 *            .frame: P = intendedTick() + lead + 1 blended towards P + 1 by the part of the tick
 *            passed, i.e. continuous in w); interpolated bodies: R = w - d - interpolationTicks
 *            (TesseraClient.bodies: the newest state's tick - interpolationTicks + the ticks
 *            since it came, at most 1)
 *
 * Each frame, three positions of the remote avatar are taken:
 *   interpolated  TesseraClient.bodies(at) itself (a client that never connects, given the states
 *                 received with their arrival times; positions quantised to 1/1024 m as BodyTable
 *                 does, raw >> 6), linear between the two states around R;
 *   extrapolated  the Predictor's nearby record of the remote avatar at D (its record holds its
 *                 walk target, so the local core keeps it walking as it was), blended as drawn;
 *   drawn         AvatarPrediction.nearbyDrawn(): the extrapolated one plus its correction's
 *                 fading offset (Smoother, tau 30 ms): what the viewer draws.
 * The error of each is its distance to the server's true position at D (the server's exact
 * positions of ticks floor(D) and floor(D) + 1, blended likewise; the run simulates the server, so
 * it knows D's state once it has stepped there): the client draws its own avatar at D, so a
 * remote avatar drawn anywhere else is misplaced relative to it by that much (when they touch,
 * when the player aims at it). The interpolated position is also compared with the server's at R
 * (`interpolatedAtR`: what it claims to show, late but exact up to the quantisation).
 *
 * Only frames where the remote avatar is one of the predictor's nearby bodies count (outside the
 * radius the viewer interpolates it: `framesOutside`); the first `warmup` ticks do not.
 *
 * Walkers: 'straight' walks straight and turns now and then, like a player: segments of 0.5 to
 * 2 s (mulberry32 of `seed`), each a turn of up to +-90 degrees, one in seven a stop; farther than
 * 5.5 m from the client's avatar and walking away, a new segment heads back towards it (+-45
 * degrees). 'random' is predict-run's pusher: a new walk, uniform in [-1, 1]^2 x walk speed,
 * every 3 ticks (far away, the same steering). The remote player sends an input only when its walk
 * changes (a held key changes nothing on the host).
 */
import { TesseraClient } from '../../src/client/client';
import { AvatarPrediction } from '../../src/client/predicted-avatar';
import type { PredictWorld } from '../../src/client/predict-world';
import { predictWorld } from '../../src/net/predict-world';
import type { HostContext } from '../../src/net/context';
import type { BodyHandle } from '../../src/physics/world';
import { BODY_RECORD } from '../../src/physics/world-layout';
import { INPUT } from '../../src/sim/event-bodies';
import { MainSim } from '../../src/sim/main-sim';
import type { BodyState, StreamEvent } from '../../src/protocol/messages';
import type { Mirror } from '../../src/sim/interest';
import { mulberry32 } from './bigref';
import { unit } from './scenes';
import { PREDICT_RUN_CONFIG, nearbyOf, predictRunSetup } from './predict-run';

/** How the remote player walks (module comment). */
export type RemoteWalker = 'straight' | 'random';

/** remoteRun options. */
export interface RemoteRunOptions {
  ticks: number;
  walker: RemoteWalker;
  /** One-way delay, ticks, each way (default 4: 80 ms at 50 Hz, a 160 ms round trip). */
  oneWay?: number;
  /** Ticks past intendedTick() inputs are stamped for (default 2: AvatarPrediction's at 50 Hz). */
  lead?: number;
  /** Frames per second drawn (default 60). */
  fps?: number;
  /** TesseraClient interpolationTicks (default 2, the client's default). */
  interpolationTicks?: number;
  /** Nearby radius, m (default 8: the viewer's). */
  radius?: number;
  /** Resting spheres around the spawn point (predict-run's scene; default 0). */
  bodies?: number;
  /** Ticks not measured at the start (default 50: landing, first seeding). */
  warmup?: number;
  seed?: number;
}

/** Errors of one frame, m (module comment). */
export interface RemoteFrame {
  /** Frame time, ticks (wall). */
  at: number;
  interpolated: number;
  interpolatedAtR: number;
  extrapolated: number;
  drawn: number;
}

/** What remoteRun measured. */
export interface RemoteRunResult {
  frames: RemoteFrame[];
  /** Frames (after warmup) where the remote avatar was not a nearby body (drawn interpolated by the viewer). */
  framesOutside: number;
  /** D - R: how far behind the present the interpolated avatar is drawn, ticks. */
  interpolationLagTicks: number;
  /** D - the newest state's tick at a frame on a tick: how far the prediction runs ahead of what the client knows, ticks. */
  extrapolationTicks: number;
  /** The predictor's nearby corrections and avatar corrections over the run. */
  nearbyCorrections: number;
  corrections: number;
  /** The remote player's inputs (walk changes) over the run. */
  remoteInputs: number;
}

/** A position (m) from a body record (raw Q47.16 / 65536), exact. */
function positionOf(r: Uint8Array): [number, number, number] {
  const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
  return [BODY_RECORD.PX, BODY_RECORD.PY, BODY_RECORD.PZ].map((at) => Number(v.getBigInt64(at, true)) / 65536) as [number, number, number];
}

/** A body's state as a snapshot or delta carries it (BodyTable: position raw >> 6, 1/1024 m; rotation raw >> 1), velocity left 0 (not drawn). */
function stateOf(r: Uint8Array, index: number, generation: number): BodyState {
  const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
  const q = (at: number, shift: bigint): number => Number(v.getBigInt64(at, true) >> shift);
  return {
    index,
    generation,
    px: q(BODY_RECORD.PX, 6n),
    py: q(BODY_RECORD.PY, 6n),
    pz: q(BODY_RECORD.PZ, 6n),
    qx: q(BODY_RECORD.QX, 1n),
    qy: q(BODY_RECORD.QY, 1n),
    qz: q(BODY_RECORD.QZ, 1n),
    qw: q(BODY_RECORD.QW, 1n),
    vx: 0,
    vy: 0,
    vz: 0,
    shard: 0,
  };
}

/**
 * A TesseraClient that never connects, whose received states the run sets: its own bodies(at)
 * interpolates them (the private frames, arrivals and newest state that handling a snapshot or
 * delta fills: client.ts onMessage).
 */
class StateBuffer {
  readonly client: TesseraClient;
  private readonly inner: { frames: Map<number, Mirror>; arrivals: Map<number, number>; newest: Mirror | null; tickRate: number };
  constructor(tickRate: number, interpolationTicks: number) {
    this.client = new TesseraClient({ url: 'ws://unused', token: '', privateId: '', WebSocket: class {} as never, interpolationTicks });
    this.inner = this.client as unknown as StateBuffer['inner'];
    this.inner.tickRate = tickRate;
  }
  /** A state of `tick` holding `body`, arrived at `atMs` (keeps 64, as keepFrames). */
  receive(tick: number, body: BodyState, atMs: number): void {
    const m: Mirror = { tick, bodies: new Map([[body.index, body]]), shapes: new Map(), joints: new Map() };
    this.inner.frames.set(tick, m);
    this.inner.arrivals.set(tick, atMs);
    if (!this.inner.newest || tick > this.inner.newest.tick) this.inner.newest = m;
    for (const t of this.inner.frames.keys())
      if (t <= tick - 64) {
        this.inner.frames.delete(t);
        this.inner.arrivals.delete(t);
      }
  }
}

/** The handle of a body record (generation << 32 | slot), as the Predictor keys it. */
function handleOfRecord(r: Uint8Array): BodyHandle {
  const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
  return (BigInt(v.getUint32(BODY_RECORD.ID, true)) << 32n) | BigInt(v.getUint32(BODY_RECORD.ID + 4, true));
}

const lerp3 = (a: readonly number[], b: readonly number[], t: number): [number, number, number] => [
  a[0] + (b[0] - a[0]) * t,
  a[1] + (b[1] - a[1]) * t,
  a[2] + (b[2] - a[2]) * t,
];
const dist = (a: readonly number[], b: readonly number[]): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** Position at fractional tick `t` from per-tick positions (linear between floor(t) and floor(t) + 1). */
function at(track: ReadonlyMap<number, readonly number[]>, t: number): [number, number, number] | null {
  const i = Math.floor(t),
    a = track.get(i);
  if (!a) return null;
  if (t === i) return [a[0], a[1], a[2]];
  const b = track.get(i + 1);
  return b ? lerp3(a, b, t - i) : null;
}

/** Runs the scenario (module comment). */
export function remoteRun(o: RemoteRunOptions): RemoteRunResult {
  const d = o.oneWay ?? 4,
    lead = o.lead ?? 2,
    fps = o.fps ?? 60,
    interp = o.interpolationTicks ?? 2,
    radius = o.radius ?? 8,
    warmup = o.warmup ?? 50,
    rate = PREDICT_RUN_CONFIG.tickRate as number;
  const sim = new MainSim(predictRunSetup(o.bodies ?? 0));
  sim.apply(0, [
    { tick: 0, type: '_c', origin: 1, body: '1' },
    { tick: 0, type: '_c', origin: 2, body: '2' },
  ]);
  const mine = sim.avatars.get(1) as bigint,
    remote = sim.avatars.get(2) as bigint;
  const remoteHandle = handleOfRecord(sim.world.bodyRecord(remote));
  const remoteIndex = Number(remoteHandle & 0xffffffffn),
    remoteGeneration = Number(remoteHandle >> 32n),
    remoteKey = `${remoteIndex}:${remoteGeneration}`;

  // the stand-in client: its clock is `clientAt` (intendedTickExact), inputs go to `queue` by tick
  const queue = new Map<number, StreamEvent[]>();
  let clientAt = 0,
    seq = 0;
  const client = {
    tickRate: rate,
    intendedTick: () => Math.ceil(clientAt),
    intendedTickExact: () => clientAt,
    sendInput: (frame: { walkX: number; walkZ: number; jump: boolean }, tick: number) => {
      seq++;
      const l = queue.get(tick) ?? [];
      l.push({ tick, type: 'in', origin: 1, body: INPUT.encode({ ...frame, seq }) });
      queue.set(tick, l);
      return true;
    },
    get lastSentSeq() {
      return seq;
    },
  } as unknown as TesseraClient;
  const world: PredictWorld = predictWorld({ world: { sim } } as unknown as HostContext);
  const prediction = new AvatarPrediction(client, world, { lead, now: () => 0 });
  const p = prediction.predictor;

  const truth = new Map<number, [number, number, number]>(); // server's exact remote position by tick
  const truthQ = new Map<number, BodyState>(); // the remote avatar's state as snapshots and deltas carry it, by tick
  const buffer = new StateBuffer(rate, interp);
  const states: Array<{ tick: number; record: Uint8Array; nearby: Uint8Array; ack: number }> = [];
  const frames: Array<{ at: number; D: number; R: number; interpolated: number[]; extrapolated: number[]; drawn: number[] }> = [];
  let newest = 0,
    applied = 0,
    framesOutside = 0,
    remoteInputs = 0,
    heading = 0,
    nextFrame = 0;
  const rng = mulberry32(o.seed ?? 1);
  const walker = { heading: 0, moving: true, until: 0, walkX: 0, walkZ: 0 };

  /** The remote player's walk for tick t (module comment), from the server's positions. */
  const remoteWalk = (t: number): [number, number] => {
    const a = positionOf(sim.world.bodyRecord(mine)),
      b = positionOf(sim.world.bodyRecord(remote));
    const dx = a[0] - b[0],
      dz = a[2] - b[2];
    const far = Math.hypot(dx, dz) > 5.5;
    const away = far && walker.moving && Math.cos(walker.heading) * dx + Math.sin(walker.heading) * dz < 0;
    if (o.walker === 'random') {
      if (t % 3 !== 0) return [walker.walkX, walker.walkZ];
      if (far) {
        const h = Math.atan2(dz, dx) + (unit(rng) - 0.5) * (Math.PI / 2);
        return [Math.round(1000 * Math.cos(h)), Math.round(1000 * Math.sin(h))];
      }
      return [Math.floor(unit(rng) * 2000) - 1000, Math.floor(unit(rng) * 2000) - 1000];
    }
    if (t >= walker.until || away) {
      walker.until = t + 25 + Math.floor(unit(rng) * 76);
      if (far) {
        walker.heading = Math.atan2(dz, dx) + (unit(rng) - 0.5) * (Math.PI / 2);
        walker.moving = true;
      } else {
        walker.heading += (unit(rng) - 0.5) * Math.PI;
        walker.moving = unit(rng) >= 1 / 7;
      }
    }
    return walker.moving ? [Math.round(1000 * Math.cos(walker.heading)), Math.round(1000 * Math.sin(walker.heading))] : [0, 0];
  };

  truth.set(1, positionOf(sim.world.bodyRecord(remote)));
  truthQ.set(1, stateOf(sim.world.bodyRecord(remote), remoteIndex, remoteGeneration));
  states.push({ tick: 1, record: sim.world.bodyRecord(mine), nearby: nearbyOf(sim, mine, sim.world.bodyRecord(mine), radius), ack: 0 });
  for (let w = 1; w < o.ticks; w++) {
    // states that reach the client by now
    while (states.length > 0 && states[0].tick + d <= w) {
      const s = states.shift() as (typeof states)[number];
      // every state carries the remote avatar (interest), quantised; within the radius its exact record too
      buffer.receive(s.tick, truthQ.get(s.tick) as BodyState, (s.tick + d) * (1000 / rate));
      newest = s.tick;
      prediction.onMessage({
        kind: 'avatarRecord',
        tick: s.tick,
        body: { index: Number(mine & 0xffffffffn), generation: Number(mine >> 32n) },
        record: s.record,
        nearby: s.nearby,
      });
      prediction.onState({ tick: s.tick, lastInputSeq: s.ack, lastInputTick: 0 });
    }
    // the client's own input, stamped intendedTick() + lead (walking curves)
    clientAt = w + d;
    if (w % 20 === 0) heading += 0.35;
    prediction.input({ walkX: Math.round(1000 * Math.cos(heading)), walkZ: Math.round(1000 * Math.sin(heading)), jump: false });
    // frames drawn in [w, w + 1)
    for (; nextFrame * (rate / fps) < w + 1; nextFrame++) {
      const f = nextFrame * (rate / fps);
      if (f < w) continue;
      clientAt = f + d;
      prediction.frame(f * (1000 / rate));
      const D = clientAt + lead + 2;
      if (prediction.drawTick !== Math.ceil(D) - 1) throw new Error(`frame at ${f}: drew tick ${prediction.drawTick}, expected ${Math.ceil(D) - 1}`);
      // TesseraClient.bodies: the newest state's tick - interpolationTicks + the ticks since it came (at most 1)
      const R = newest - interp + Math.min(1, f - (newest + d));
      const shown = buffer.client.bodies(f * (1000 / rate)).find((b) => b.index === remoteIndex);
      if (!shown) continue;
      const interpolated = shown.position;
      const alpha = D - prediction.drawTick;
      const ra = p.nearbyRecordAt(remoteHandle, prediction.drawTick),
        rb = p.nearbyRecordAt(remoteHandle, prediction.drawTick + 1) ?? ra;
      const drawn = prediction.nearbyDrawn().find((x) => x.key === remoteKey);
      if (w < warmup) continue;
      if (!ra || !rb || !drawn) {
        framesOutside++;
        continue;
      }
      frames.push({ at: f, D, R, interpolated, extrapolated: lerp3(positionOf(ra), positionOf(rb), alpha), drawn: drawn.position });
    }
    // the server: the inputs of tick w (the client's, stamped; the remote's, when its walk changes), one step
    const events = queue.get(w) ?? [];
    queue.delete(w);
    const [wx, wz] = remoteWalk(w);
    if (wx !== walker.walkX || wz !== walker.walkZ || w === 1) {
      walker.walkX = wx;
      walker.walkZ = wz;
      remoteInputs++;
      events.push({ tick: w, type: 'in', origin: 2, body: INPUT.encode({ walkX: wx, walkZ: wz, jump: false }) });
    }
    sim.apply(w, events);
    for (const e of events) if (e.origin === 1) applied = Math.max(applied, (INPUT.decode(e.body) as { seq: number }).seq);
    const record = sim.world.bodyRecord(mine);
    truth.set(w + 1, positionOf(sim.world.bodyRecord(remote)));
    truthQ.set(w + 1, stateOf(sim.world.bodyRecord(remote), remoteIndex, remoteGeneration));
    states.push({ tick: w + 1, record, nearby: nearbyOf(sim, mine, record, radius), ack: applied });
  }

  const out: RemoteFrame[] = [];
  for (const fr of frames) {
    const t = at(truth, fr.D),
      tr = at(truth, fr.R);
    if (!t || !tr) continue; // D past the run's end
    out.push({
      at: fr.at,
      interpolated: dist(fr.interpolated, t),
      interpolatedAtR: dist(fr.interpolated, tr),
      extrapolated: dist(fr.extrapolated, t),
      drawn: dist(fr.drawn, t),
    });
  }
  return {
    frames: out,
    framesOutside,
    interpolationLagTicks: 2 * d + lead + 2 + interp,
    extrapolationTicks: 2 * d + lead + 2,
    nearbyCorrections: p.nearbyCorrections,
    corrections: p.corrections,
    remoteInputs,
  };
}
