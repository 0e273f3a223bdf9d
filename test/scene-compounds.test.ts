/**
 * Compounds in scene files (src/scene.ts `compounds`, issue 18): a scene with compound bodies
 * (a dumbbell, a table, a hull on a ball) builds them where the file says (centre of mass at
 * `center` plus the children's own centre of mass), storing each distinct compound and hull
 * child once in exactly the geometry room sceneSetup gives; they come to rest on the floor; 2 x 2
 * shards give the unsharded hash every tick; bad compounds are refused naming the field.
 */
import { ShardedWorld } from '../src/physics/sharded';
import { SceneError, parseScene, sceneBodies, sceneSetup, type SceneFile } from '../src/scene';

const DUMBBELL = [
  { shape: 'sphere', radius: 0.15, position: [-0.4, 0, 0] },
  { shape: 'sphere', radius: 0.15, position: [0.4, 0, 0] },
  { shape: 'box', half: [0.25, 0.03, 0.03] },
];
const TABLE = [
  { shape: 'box', half: [0.5, 0.04, 0.35], position: [0, 0.56, 0] },
  { shape: 'box', half: [0.03, 0.26, 0.03], position: [-0.4, 0.26, -0.25] },
  { shape: 'box', half: [0.03, 0.26, 0.03], position: [0.4, 0.26, -0.25] },
  { shape: 'box', half: [0.03, 0.26, 0.03], position: [-0.4, 0.26, 0.25] },
  { shape: 'box', half: [0.03, 0.26, 0.03], position: [0.4, 0.26, 0.25] },
];
const ROCK_ON_BALL = [
  {
    shape: 'hull',
    vertices: [
      [-0.15, 0, -0.15],
      [0.15, 0, -0.15],
      [0, 0, 0.2],
      [0, 0.3, 0],
    ],
    density: 800,
  },
  { shape: 'sphere', radius: 0.12, position: [0, -0.1, 0] },
  { shape: 'capsule', radius: 0.05, halfHeight: 0.2, position: [0, 0.05, 0], orientation: [0, 0, Math.SQRT1_2, Math.SQRT1_2] },
];

function sceneWith(compounds: unknown[]): SceneFile {
  return parseScene({
    format: 'tessera.scene.v1',
    world: { capacity: 64, tickRate: 30, sleep: true },
    spawnPoints: [[0, 1, 0]],
    statics: [{ plane: { normal: [0, 1, 0], offset: 0 } }],
    compounds,
  });
}

const SCENE = (): SceneFile =>
  sceneWith([
    { center: [0.2, 0.4, 0.1], children: DUMBBELL },
    { center: [-1, 0.02, -0.2], children: TABLE, friction: 0.7 },
    { center: [-0.9, 1.2, -0.2], children: DUMBBELL, orientation: [0, 0.3827, 0, 0.9239] },
    { center: [0.6, 0.6, -0.8], children: ROCK_ON_BALL },
    { center: [-0.3, 1.5, 0.9], children: ROCK_ON_BALL, orientation: [0.3, 0, 0.1, 0.95] },
  ]);

function build(s: SceneFile, xCuts: number[], zCuts: number[]): ShardedWorld {
  const setup = sceneSetup(s);
  const w = new ShardedWorld(setup.config, { xCuts, zCuts });
  setup.scene?.(w);
  return w;
}

test('a scene builds its compounds where the file says, storing each distinct compound and hull child once', () => {
  const s = SCENE();
  expect(sceneBodies(s)).toBe(1 + 5);
  const w = build(s, [], []);
  w.step();
  const hs = w.handles().slice(1);
  expect(hs).toHaveLength(5);
  // the dumbbell's centre of mass is its centre (one tick of falling moves it 1 cm down at most)
  const p = w.position(hs[0]);
  expect(p[0]).toBeCloseTo(0.2, 3);
  expect(p[2]).toBeCloseTo(0.1, 3);
  expect(Math.abs(p[1] - 0.4)).toBeLessThan(0.012);
  // in first-use order: the dumbbell (code 8, 8 + 16 x 3 words), the table (8 + 16 x 5), the rock's
  // hull (code 6), the rock (8 + 16 x 3): exactly the room sceneSetup gave
  const g = w.geometry();
  expect(g.length).toBe(sceneSetup(s).config.geometryWords);
  const L = g.length;
  expect([g[0], g[1], g[56], g[57], g[144], g[L - 56], g[L - 55]].map(Number)).toEqual([8, 3, 8, 5, 6, 8, 3]);
  w.close();
});

test('the compounds come to rest on the floor (the table on its feet, the dumbbells on their balls); 2 x 2 shards give the unsharded hash every tick', async () => {
  const s = SCENE();
  const whole = build(s, [], []);
  const split = build(s, [0], [0]);
  try {
    for (let t = 0; t < 150; t++) {
      whole.step();
      split.step();
      expect(split.hash().toString(16)).toBe(whole.hash().toString(16));
    }
    const [bell, table] = whole.handles().slice(1);
    expect(Math.abs(whole.position(bell)[1] - 0.15)).toBeLessThan(0.003);
    // the table's feet on the floor: its centre of mass at its own-frame height above y = 0
    const top = 0.5 * 0.04 * 0.35 * 8,
      leg = 0.03 * 0.26 * 0.03 * 8;
    const comY = (top * 0.56 + 4 * leg * 0.26) / (top + 4 * leg);
    expect(Math.abs(whole.position(table)[1] - comY)).toBeLessThan(0.003);
    for (const h of whole.handles().slice(1)) expect(Math.hypot(...whole.velocity(h))).toBeLessThan(0.05);
  } finally {
    await whole.close();
    await split.close();
  }
});

test('bad compounds are refused naming the field', () => {
  const bad = (c: unknown, field: string): void => {
    let err: unknown;
    try {
      sceneWith([c]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SceneError);
    expect((err as SceneError).message).toContain(field);
  };
  bad({ center: [0, 1, 0], children: [DUMBBELL[0]] }, 'compounds[0].children');
  bad({ center: [0, 1, 0], children: [DUMBBELL[0], { shape: 'sphere', radius: -1 }] }, 'compounds[0].children');
  bad({ center: [0, 1, 0], children: [DUMBBELL[0], { shape: 'hull', vertices: [[0, 0, 0]] }] }, 'compounds[0].children');
  bad({ center: [0, 1, 0], children: [DUMBBELL[0], { shape: 'cone' }] }, 'compounds[0].children');
  bad({ center: [0, 1, 0], children: [DUMBBELL[0], { ...DUMBBELL[1], position: [3, 0, 0] }] }, 'maxBodyRadius');
  bad({ center: [0, 1], children: DUMBBELL }, 'compounds[0].center');
  bad({ center: [0, 1, 0], children: DUMBBELL, friction: 5 }, 'compounds[0].friction');
  bad({ center: [0, 1, 0], children: [DUMBBELL[0], { ...DUMBBELL[1], density: 0 }] }, 'compounds[0].children[1].density');
});
