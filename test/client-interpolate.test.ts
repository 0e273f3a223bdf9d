/**
 * The predicted avatar is drawn between predicted ticks (issue 20; Glenn Fiedler, "Fix Your
 * Timestep!": draw the blend of the last two simulated states by the part of the tick passed).
 * A local world plays the server (a plane and a walking character, the unshared core); an
 * AvatarPrediction takes its record and a walk input through a stand-in client whose clock is set
 * by the test. Within one tick, frames drawn later are further along, each exactly the blend
 * of the predicted ticks P and P + 1 by the part of the tick passed; across the tick boundary the
 * drawn position does not jump (the last frame before it and the first after are a few
 * hundredths of a tick's travel apart); and the walk input shows in the very first frame (the
 * input stamped for P - 1 is in both ticks drawn).
 */
import { AvatarPrediction } from '../src/client/predicted-avatar';
import { type PredictWorld, toBase64 } from '../src/client/predict-world';
import type { TesseraClient } from '../src/client/client';
import { PhysicsWorld, type WorldConfig } from '../src/physics/world';

const RATE = 50;
const config: WorldConfig = { capacity: 16, tickRate: RATE, maxBodyRadius: 1, sleep: { enabled: true } };

test('the drawn avatar moves between ticks, as the blend of the two predicted ticks around the render time', () => {
  const server = PhysicsWorld.create(config, { variant: 'unshared' });
  const plane = server.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0.5 });
  const avatar = server.addCharacter({ position: [0, 1.2, 0], radius: 0.3, halfHeight: 0.6, mass: 70, noSleep: true });
  for (let i = 0; i < 60; i++) server.step(); // lands
  const world: PredictWorld = { config, walkSpeed: 4, geometry: toBase64(new Uint8Array(0)), statics: [toBase64(server.exportBody(plane))] };
  // the stand-in client: its newest state is tick S (the server's now), the round trip 0, the clock `ticks` (fractional) past it
  const S = server.tick;
  let ticks = 0,
    seq = 0;
  const client = {
    tickRate: RATE,
    intendedTick: () => S + Math.ceil(ticks),
    intendedTickExact: () => S + ticks,
    sendInput: () => {
      seq++;
      return true;
    },
    get lastSentSeq() {
      return seq;
    },
  } as unknown as TesseraClient;
  const clock = { ms: 0 };
  const p = new AvatarPrediction(client, world, { lead: 1, now: () => clock.ms });
  expect(p.predictor.authoritative(S, server.exportBody(avatar), 0)).toBeNull();
  const drawnAt = (t: number): number => {
    ticks = t;
    clock.ms = t * (1000 / RATE);
    const d = p.frame(clock.ms);
    if (!d) throw new Error('nothing drawn');
    return d[0];
  };
  const x0 = p.predictor.positionAt(S)?.[0] as number;
  ticks = 2.05;
  p.input({ walkX: 1000, walkZ: 0, jump: false }); // east, stamped for intendedTick + lead = S + 4 = P - 1 (P = S + 5)
  const first = drawnAt(2.05);
  expect(first).toBeGreaterThan(x0 + 0.001); // shown at once
  const xs = [0.2, 0.5, 0.8, 0.99].map((f) => drawnAt(6 + f));
  for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeGreaterThan(xs[i - 1] + 0.005);
  // each one the blend of ticks P = S + 9 and P + 1 by the part of the tick passed
  const P = S + 7 + 1 + 1; // intendedTick + lead + 1
  const a = p.predictor.positionAt(P)?.[0] as number,
    b = p.predictor.positionAt(P + 1)?.[0] as number;
  expect(b - a).toBeGreaterThan(0.02); // walking: about 4 m/s x 20 ms
  expect(xs[2]).toBeCloseTo(a + (b - a) * 0.8, 9);
  // across the boundary: no jump (0.99 of tick 6 and 0.01 of tick 7 are 0.02 ticks apart)
  const next = drawnAt(7.01);
  expect(next - xs[3]).toBeGreaterThan(0);
  expect(next - xs[3]).toBeLessThan(0.1 * (b - a));
});
