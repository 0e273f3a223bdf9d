/**
 * Prediction of the bodies near the avatar (issue 20: the client runs the core for "the client's own
 * avatar, the bodies it threw, and the bodies near it"; docs/protocol.md section 19.1). A client
 * asks for the records of the dynamic bodies within 8 m of its avatar (hello.predictRadius) and
 * predicts them with its avatar (Predictor nearby, src/client/predict.ts), 75 ms each way, 50 Hz.
 *
 * 1. The avatar walks into a resting sphere and pushes it 1 m and more: the prediction pushes it
 *    as the server does, bit for bit (zero avatar corrections, zero nearby corrections, every
 *    state's nearby records confirmed), while a predictor of the same inputs that leaves the
 *    sphere out (nearby: false, the behaviour before) walks through it and is corrected.
 * 2. Another player walks into a crate (a dynamic box) next to a standing predicting client (AvatarPrediction):
 *    the pushes the client cannot foresee are nearby corrections (reseeding and a smoothed jump of
 *    the drawn sphere); after the pusher stops, the predicted sphere is exact again (no new
 *    nearby correction, many confirmed states) and nothing is left to fade.
 */
import { Host } from '../src/net/host';
import { createNodeClient } from '../src/client/node';
import { Predictor } from '../src/client/predict';
import { type PredictWorld, predictorOptions } from '../src/client/predict-world';
import type { WorldSetup } from '../src/sim/main-sim';
import { request, waitFor } from './helpers/net';
import { delayedSocket, hostTicks, pushScene } from './helpers/predict-host';
import { addClosedBox } from './helpers/scenes';
import { KIND } from '../src/physics/world-layout';

const RATE = 50;
const ONE_WAY_MS = 75;
const SPHERE: [number, number, number] = [2.5, 0.5, 0];

/** A closed box with one resting dynamic body 2.5 m east of the origin: a sphere, or a crate (a box: it slides to a stop, a sphere rolls on). */
const setup = (spawnPoints: Array<[number, number, number]>, body: 'sphere' | 'crate'): WorldSetup => ({
  config: { capacity: 64, tickRate: RATE, maxBodyRadius: 1, sleep: { enabled: true } },
  scene: (w) => {
    addClosedBox(w, 24, 12);
    if (body === 'sphere') w.addSphere({ position: SPHERE, radius: 0.5, mass: 1, friction: 0.5, restitution: 0.1 });
    else w.addDynamicBox({ position: [SPHERE[0], 0.4, 0], half: [0.4, 0.4, 0.4], mass: 2, friction: 0.6, restitution: 0 });
  },
  spawnPoints,
});

/** The host's scene body (the one dynamic body that is not an avatar): its handle and position, m. */
function sceneBody(host: Host): { handle: bigint; position: [number, number, number] } {
  const sim = host.world.sim;
  const avatars = new Set(sim.avatars.values());
  for (const h of sim.world.handles()) {
    const r = sim.world.bodyRecord(h);
    if (avatars.has(h) || new DataView(r.buffer).getUint32(12, true) !== KIND.DYNAMIC) continue;
    return { handle: h, position: sim.world.position(h) };
  }
  throw new Error('no scene body');
}
const serverSphere = (host: Host): [number, number, number] => sceneBody(host).position;

test('the avatar walks into a resting sphere: the predicted push is the server push, bit for bit', async () => {
  const host = await Host.start({ port: 0, tickRate: RATE, world: setup([[0, 1.2, 0]], 'sphere'), rateLimits: { input: { perSecond: 60, burst: 120 } } });
  try {
    const world = (await request('GET', `http://127.0.0.1:${host.port}/predict`)).json as PredictWorld;
    const good = new Predictor({ ...predictorOptions(world), nearby: true });
    const blind = new Predictor({ ...predictorOptions(world), nearby: false });
    const c = createNodeClient(
      {
        url: `ws://127.0.0.1:${host.port}/ws`,
        token: 'guest',
        privateId: 'walker',
        pingEveryMs: 200,
        predict: true,
        predictRadiusM: 8,
        WebSocket: delayedSocket(ONE_WAY_MS),
      },
      {
        onMessage: (m) => {
          good.onMessage(m);
          blind.onMessage(m);
        },
        onState: (_m, info) => {
          good.onState(info);
          blind.onState(info);
        },
      },
    );
    await c.connect();
    await waitFor(() => good.body !== null && c.rttMs !== null, 10_000, 'an avatar record and a round trip');
    const ticks = hostTicks(host);
    await ticks(30, 'the avatar lands and the sphere sleeps');
    const sphereHandle = good.nearbyHandles[0];
    expect(good.nearbyHandles).toHaveLength(1);
    const startX = serverSphere(host)[0];
    let i = 0,
      stamped = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (i >= 100) {
          clearInterval(timer);
          resolve();
          return;
        }
        // east for 1.2 s (into the sphere and on), then stand
        const frame = { walkX: i < 60 ? 1000 : 0, walkZ: 0, jump: false };
        const tick = Math.max(c.intendedTick() + 4, stamped);
        stamped = tick;
        c.sendInput(frame, tick);
        good.input(c.lastSentSeq, tick, frame);
        blind.input(c.lastSentSeq, tick, frame);
        good.advanceTo(tick + 1);
        blind.advanceTo(tick + 1);
        i++;
      }, 1000 / RATE);
    });
    // the last states arrive: the host past the last stamped tick, and 20 ticks more
    await waitFor(() => host.world.stream.tick > stamped, 20_000, 'the host at the last stamped tick');
    await ticks(20, 'the last states arrive');
    const endX = serverSphere(host)[0];
    const predicted = good.nearbyRecordAt(sphereHandle);
    const predictedX = predicted ? Number(new DataView(predicted.buffer, predicted.byteOffset).getBigInt64(32, true)) / 65536 : Number.NaN;
    c.close();
    if (process.env.NEARBY_DEBUG)
      console.log(
        JSON.stringify({
          startX,
          endX,
          predictedX,
          good: [good.corrections, good.confirmed, good.nearbyCorrections, good.nearbyConfirmed],
          blind: blind.corrections,
        }),
      );
    // the premise: the avatar pushed the sphere east by more than a metre
    expect(endX - startX).toBeGreaterThan(1);
    // the prediction pushed it too, and every state agreed with it bit for bit
    expect(predictedX - startX).toBeGreaterThan(1);
    expect(good.corrections).toBe(0);
    expect(good.nearbyCorrections).toBe(0);
    expect(good.nearbyConfirmed).toBeGreaterThan(100);
    // without the sphere the avatar walks through it: the prediction is corrected
    expect(blind.corrections).toBeGreaterThan(10);
  } finally {
    await host.stop();
  }
}, 90_000);

test('a crate another player pushes next to a predicting client: corrected, smoothed, exact again', async () => {
  // me at the origin, the pusher 3 m north of the sphere (which lies 2.5 m east of me)
  const host = await Host.start({
    port: 0,
    tickRate: RATE,
    world: setup(
      [
        [0, 1.2, 0],
        [SPHERE[0], 1.2, 3],
      ],
      'crate',
    ),
    rateLimits: { input: { perSecond: 60, burst: 120 } },
  });
  try {
    const hasCrate = (): boolean => {
      try {
        return sceneBody(host).handle >= 0n;
      } catch {
        return false; // (before the first published state)
      }
    };
    await waitFor(hasCrate, 5000, 'the crate in the published state');
    const crate = sceneBody(host).handle;
    const crateKey = `${Number(crate & 0xffffffffn)}:${Number(crate >> 32n)}`;
    let maxNearOffset = 0;
    const { me, prediction: p, pusher } = await pushScene(host, { privateId: 'watcher', oneWayMs: ONE_WAY_MS, predictRadiusM: 8 });
    // counted in host ticks (50 Hz): the push 55, the crate sliding to a stop 30, then 75 quiet
    const ticks = hostTicks(host);
    await ticks(30, 'the avatars land');
    let walk = 0;
    let drawnSphere: number[] | null = null;
    const timer = setInterval(() => {
      p.input({ walkX: 0, walkZ: 0, jump: false });
      pusher.sendInput({ walkX: 0, walkZ: walk, jump: false });
      p.frame();
      const s = p.nearbyDrawn().find((b) => b.key === crateKey);
      if (s) drawnSphere = s.position;
      maxNearOffset = Math.max(maxNearOffset, p.nearbyOffsetM);
    }, 1000 / RATE);
    try {
      const startZ = serverSphere(host)[2];
      const before = p.predictor.nearbyCorrections;
      walk = -1000; // south into the crate and on
      await ticks(55, 'the push');
      walk = 0;
      await ticks(30, 'the crate sliding to a stop');
      const during = p.predictor.nearbyCorrections - before;
      const afterPush = p.predictor.nearbyCorrections;
      const confirmedAfterPush = p.predictor.nearbyConfirmed;
      // 75 host ticks after the push, and more than 50 nearby states confirmed by the client,
      // however long that takes on a busy machine
      const quietFrom = host.world.stream.tick;
      await waitFor(
        () => host.world.stream.tick >= quietFrom + 75 && p.predictor.nearbyConfirmed - confirmedAfterPush > 50,
        20_000,
        '75 quiet host ticks and more than 50 confirmed nearby states',
      );
      const endZ = serverSphere(host)[2];
      if (process.env.NEARBY_DEBUG)
        console.log(
          JSON.stringify({
            startZ,
            endZ,
            during,
            last: p.predictor.lastNearbyCorrection,
            avatar: p.predictor.corrections,
            maxNearOffset,
            total: p.predictor.nearbyCorrections,
            afterPush,
            tick: p.predictor.present,
            lastTick: p.predictor.lastNearbyTick,
            confirmed: p.predictor.nearbyConfirmed - confirmedAfterPush,
            drawnSphere,
          }),
        );
      // the premise: the sphere was pushed south
      expect(endZ).toBeLessThan(startZ - 0.3);
      // the client could not foresee the pusher's input: corrected while pushed
      expect(during).toBeGreaterThan(0);
      expect(maxNearOffset).toBeGreaterThan(0.001); // the drawn sphere's jumps went to its smoother
      // converged: the predicted sphere is the server's again, bit for bit, and drawn where it is
      expect(p.predictor.nearbyCorrections).toBe(afterPush);
      expect(p.predictor.nearbyConfirmed - confirmedAfterPush).toBeGreaterThan(50);
      const drawn = drawnSphere as unknown as number[];
      expect(Math.hypot(drawn[0] - SPHERE[0], drawn[2] - endZ)).toBeLessThan(0.01);
    } finally {
      clearInterval(timer);
      me.close();
      pusher.close();
    }
  } finally {
    await host.stop();
  }
}, 90_000);
