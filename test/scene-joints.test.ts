/**
 * Joints in scene files (src/scene.ts `bodies` and `joints`, issue 18): a scene builds a door on
 * a hinge with a motor and a swing (a seat on two ropes) across a shard border; the door turns
 * to its target angle, the swing hangs at its ropes' length, the world in 2 shards has the
 * unsharded world's hash at every tick, and bad joint entries are refused naming the field.
 */
import { ShardedWorld } from '../src/physics/sharded';
import { SceneError, parseScene, sceneBodies, sceneSetup, type SceneFile } from '../src/scene';

const RAW = {
  format: 'tessera.scene.v1',
  world: { capacity: 64, tickRate: 20, sleep: true },
  spawnPoints: [[0, 1, 0]],
  statics: [{ plane: { normal: [0, 1, 0], offset: 0 } }],
  bodies: [
    { name: 'door', box: { center: [0.4, 0.9, -2], half: [0.4, 0.85, 0.03], density: 500 } },
    { name: 'seat', box: { center: [-0.5, 0.6, 2], half: [0.3, 0.03, 0.15], density: 600 } },
  ],
  joints: [
    // hinged at its left edge (x = 0, on the border), turning to 1.2 rad
    { kind: 'hinge', body: 'door', anchor: [0, 0.9, -2], axis: [0, 1, 0], limits: [-0.1, 1.6], motor: { speed: 1, maxTorque: 60, targetAngle: 1.2 } },
    // two ropes from a beam 2.5 m up, 1.9 m long: the seat drops 3 cm onto them and swings across x = 0
    { kind: 'distance', body: 'seat', at: [-0.75, 0.63, 2], anchor: [-0.75, 2.5, 2], maxLength: 1.9 },
    { kind: 'distance', body: 'seat', at: [-0.25, 0.63, 2], anchor: [-0.25, 2.5, 2], maxLength: 1.9 },
  ],
};

function build(s: SceneFile, xCuts: number[]): ShardedWorld {
  const setup = sceneSetup(s);
  const w = new ShardedWorld(setup.config, { xCuts, zCuts: [] }, undefined, { exchange: 'tick' });
  setup.scene?.(w);
  return w;
}

test('a scene builds a door on a hinge and a swing; in 2 shards the hash is the unsharded one at every tick', async () => {
  const s = parseScene(structuredClone(RAW));
  expect(sceneBodies(s)).toBe(3);
  expect(sceneSetup(s).config.jointCapacity).toBe(3);
  const whole = build(s, []),
    split = build(s, [0]);
  try {
    whole.step(); // bodies are read from a published tick
    split.step();
    const [, door, seat] = whole.handles();
    // push the seat so it swings across the border
    for (const w of [whole, split]) w.applyCommands([{ kind: 'impulse', body: seat, value: [15, 0, 0] }]);
    for (let t = 0; t < 100; t++) {
      whole.step();
      split.step();
      expect(split.hash()).toBe(whole.hash());
    }
    // the door turned about its hinge to 1.2 rad (from the pose it was built in): its centre is
    // 0.4 m from the hinge line, at angle 1.2 about y
    const p = whole.position(door);
    expect(Math.hypot(p[0] - 0.4 * Math.cos(1.2), p[2] - (-2 - 0.4 * Math.sin(1.2)))).toBeLessThan(0.02);
    expect(p[1]).toBeCloseTo(0.9, 2);
    // the seat hangs on its ropes: its top 1.9 m from the beam points, within a few mm
    const q = whole.position(seat);
    const top = Math.hypot(q[0] - -0.5, q[1] + 0.03 - 2.5, q[2] - 2);
    expect(top).toBeGreaterThan(1.85);
    expect(top).toBeLessThan(1.905);
    expect(split.handoffs).toBeGreaterThan(0); // the seat crossed x = 0
  } finally {
    await whole.close();
    await split.close();
  }
});

test('bad bodies and joints are refused naming the field', () => {
  const bad = (patch: (r: typeof RAW) => void): string => {
    const r = structuredClone(RAW);
    patch(r);
    try {
      parseScene(r);
    } catch (e) {
      if (e instanceof SceneError) return e.message;
      throw e;
    }
    return 'accepted';
  };
  expect(bad((r) => (r.joints[0].body = 'gate'))).toMatch(/joints\[0\]\.body: must name one of the scene's bodies/);
  expect(bad((r) => (r.joints[0].kind = 'slider'))).toMatch(/joints\[0\]\.kind/);
  expect(bad((r) => (r.joints[0].axis = [0, 0, 0]))).toMatch(/joints\[0\]\.axis: must not be zero/);
  expect(bad((r) => (r.joints[0].limits = [1, 0.5]))).toMatch(/joints\[0\]\.limits\[1\]/);
  expect(bad((r) => (r.joints[1].maxLength = 0))).toMatch(/joints\[1\]\.maxLength/);
  expect(bad((r) => (r.bodies[1].name = 'door'))).toMatch(/bodies\[1\]\.name: "door" names another body too/);
  expect(bad((r) => (r.bodies[0].box.half = [0.5, 1, 0.03]))).toMatch(/bodies\[0\]\.box: reaches 1\.118 m from its centre: over world\.maxBodyRadius/);
  expect(bad((r) => ((r.joints[1] as Record<string, unknown>).limits = [0, 1]))).toMatch(/joints\[1\]: limits and motor are for hinges/);
});
