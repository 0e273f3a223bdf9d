/**
 * Deferred replay (PredictorOptions.deferReplay, what AvatarPrediction uses): a frame replays a
 * rollback once, from the newest state, however many states arrived since the last frame. A local
 * world plays the server (a plane and a character that walks, turning every tick, which the client's
 * predictors do not know: each state differs from their prediction). Three states arrive between
 * two frames: the predictor that replays at once steps to the present after each (9 + 8 + 7 steps),
 * the deferring one only at the frame (7 steps), and both end at the same bytes.
 */
import { Predictor, type PredictorOptions } from '../src/client/predict';
import { PhysicsWorld, type WorldConfig } from '../src/physics/world';

const config: WorldConfig = { capacity: 16, tickRate: 50, maxBodyRadius: 1, sleep: { enabled: true } };

test('a deferring predictor replays once per frame from the newest state, to the same result', () => {
  const server = PhysicsWorld.create(config, { variant: 'unshared' });
  const statics: PredictorOptions['statics'] = (w) => {
    w.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0.5 });
  };
  statics(server);
  const avatar = server.addCharacter({ position: [0, 1.2, 0], radius: 0.3, halfHeight: 0.6, mass: 70, noSleep: true });
  for (let i = 0; i < 60; i++) server.step();
  const now = new Predictor({ config, statics });
  const deferred = new Predictor({ config, statics, deferReplay: true });
  const S = server.tick;
  const rec0 = server.exportBody(avatar);
  for (const p of [now, deferred]) {
    expect(p.authoritative(S, rec0, 0)).toBeNull();
    p.advanceTo(S + 10);
  }
  const base = [now.steps, deferred.steps];
  // the server's avatar walks east, then north, then west (inputs the client does not know): three states, each unforeseen
  const records: Uint8Array[] = [];
  const walks: Array<[number, number]> = [
    [4, 0],
    [0, 4],
    [-4, 0],
  ];
  for (const walk of walks) {
    server.applyCommands([{ kind: 'characterInput', body: avatar, walk, jump: false }]);
    server.step();
    records.push(server.exportBody(avatar));
  }
  const answers = records.map((r, k) => [now.authoritative(S + 1 + k, r, 0), deferred.authoritative(S + 1 + k, r, 0)]);
  // each differs from the prediction that replays at once; after the first, the deferring one holds no prediction to compare
  expect(answers.map((a) => a[0])).toEqual([false, false, false]);
  expect(answers[0][1]).toBe(false);
  expect(answers.slice(1).map((a) => a[1])).toEqual([null, null]);
  expect(now.steps - base[0]).toBe(9 + 8 + 7);
  expect(deferred.steps - base[1]).toBe(0);
  expect(deferred.present).toBe(S + 3);
  deferred.advanceTo(S + 10); // the frame
  expect(deferred.steps - base[1]).toBe(7);
  expect(deferred.recordAt(S + 10)).toEqual(now.recordAt(S + 10));
});
