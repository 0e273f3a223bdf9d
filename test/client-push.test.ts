/**
 * Corrections under pushing converge (issue 20 acceptance, second item, as a test): a client that
 * predicts its standing avatar (AvatarPrediction: the statics of GET /predict, 50 ms each way in
 * its socket, 50 Hz) is walked into by another player for 1.5 s. The push is not in the local
 * world, so the predictions of those ticks are corrected (and the visible error goes to the
 * smoother); once the pusher has walked away, the predictions are exact again (no new correction in
 * the next 75 host ticks, 1.5 s at 50 Hz; more than 50 of them confirmed) and the drawn position is
 * the simulated one (offset 0). The phases are counted in host ticks, so a loaded machine (fewer
 * ticks a second) makes the test slower, not different.
 */
import { Host } from '../src/net/host';
import type { WorldSetup } from '../src/sim/main-sim';
import { waitFor } from './helpers/net';
import { hostTicks, pushScene } from './helpers/predict-host';
import { addClosedBox } from './helpers/scenes';

const RATE = 50;
const setup: WorldSetup = {
  config: { capacity: 64, tickRate: RATE, maxBodyRadius: 1, sleep: { enabled: true } },
  scene: (w) => addClosedBox(w, 24, 12),
  spawnPoints: [
    [0, 1.2, 0],
    [3, 1.2, 0],
  ],
};

test('a pushed predicting client is corrected while pushed, smoothed, and exact again once the push ends', async () => {
  const host = await Host.start({ port: 0, tickRate: RATE, world: setup, rateLimits: { input: { perSecond: 60, burst: 120 } } });
  try {
    let maxOffset = 0;
    const {
      me,
      prediction: p,
      pusher,
    } = await pushScene(host, {
      privateId: 'pushed',
      oneWayMs: 50,
      onState: (prediction) => {
        maxOffset = Math.max(maxOffset, prediction.smoother.size);
      },
    });
    // Phases are counted in host ticks, not ms: on a loaded machine the host steps fewer than
    // RATE ticks a second, and the push, the walk away and the quiet stretch are per tick.
    const tick = (): number => host.world.stream.tick;
    const ticks = hostTicks(host);
    await ticks(30, 'both avatars land from their spawn height');
    let walk = 0;
    const timer = setInterval(() => {
      p.input({ walkX: 0, walkZ: 0, jump: false });
      pusher.sendInput({ walkX: walk, walkZ: 0, jump: false });
      p.frame();
    }, 1000 / RATE);
    try {
      const before = p.predictor.corrections;
      const startX = host.world.sim.world.position(host.world.sim.avatars.get(me.publicId) as bigint)[0];
      walk = -1000; // the pusher walks west into the standing avatar (3 m away) and on
      await ticks(75, 'the push');
      walk = 1000; // away again
      await ticks(25, 'walking away');
      walk = 0;
      await ticks(15, 'the pusher stopping');
      const pushedX = host.world.sim.world.position(host.world.sim.avatars.get(me.publicId) as bigint)[0];
      const during = p.predictor.corrections - before;
      const confirmedAfterPush = p.predictor.confirmed;
      const correctionsAfterPush = p.predictor.corrections;
      // 75 host ticks without the push, and more than 50 of them confirmed by the client (a state
      // reaches it 50 ms after its tick), however long that takes on a busy machine
      const quietFrom = tick();
      await waitFor(
        () => tick() >= quietFrom + 75 && p.predictor.confirmed - confirmedAfterPush > 50,
        20_000,
        '75 quiet host ticks and more than 50 confirmed predictions',
      );
      if (process.env.PUSH_DEBUG)
        console.log(
          JSON.stringify({ startX, pushedX, during, maxOffset, last: p.predictor.lastCorrection, confirmed: p.predictor.confirmed - confirmedAfterPush }),
        );
      // the premise: it was pushed (moved west without walking)
      expect(pushedX).toBeLessThan(startX - 0.3);
      // corrected while pushed; the visible error went to the smoother
      expect(during).toBeGreaterThan(3);
      expect(maxOffset).toBeGreaterThan(0.005);
      // converged: exact again, nothing left to fade
      expect(p.predictor.corrections).toBe(correctionsAfterPush);
      expect(p.predictor.confirmed - confirmedAfterPush).toBeGreaterThan(50);
      expect(p.smoother.size).toBe(0);
    } finally {
      clearInterval(timer);
      me.close();
      pusher.close();
    }
  } finally {
    await host.stop();
  }
}, 90_000);
