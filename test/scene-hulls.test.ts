/**
 * Hulls in scene files (src/scene.ts `hulls`, issue 18): a scene with convex hulls across a
 * shard border builds them where the file says (centroid at `center` plus the points' own
 * centroid), they come to rest on the floor, 2 x 2 shards give the unsharded hash every tick,
 * hulls with the same points share one stored shape, and bad hulls are refused naming the field.
 */
import { ShardedWorld } from '../src/physics/sharded';
import { SceneError, parseScene, sceneBodies, sceneSetup, type SceneFile } from '../src/scene';

type V3 = [number, number, number];
const cube = (h: number): V3[] => [-1, 1].flatMap((x) => [-1, 1].flatMap((y) => [-1, 1].map((z) => [x * h, y * h, z * h] as V3)));
const TET: V3[] = [
  [0, 0, 0],
  [0.6, 0, 0],
  [0, 0.6, 0],
  [0, 0, 0.6],
];

function sceneWith(hulls: unknown[]): SceneFile {
  return parseScene({
    format: 'tessera.scene.v1',
    world: { capacity: 64, tickRate: 30, sleep: true },
    spawnPoints: [[0, 1, 0]],
    statics: [{ plane: { normal: [0, 1, 0], offset: 0 } }],
    hulls,
  });
}

const SCENE = (): SceneFile =>
  sceneWith([
    { center: [0.1, 0.3, 0.2], vertices: cube(0.3), density: 400 },
    { center: [0, 0.9, 0.1], vertices: cube(0.3), density: 400, friction: 0.7 },
    { center: [-0.5, 1.5, -0.3], vertices: TET, density: 600, orientation: [0.2, 0.1, 0, 0.97] },
    { center: [1, 2, 1], vertices: TET },
  ]);

function build(s: SceneFile, xCuts: number[], zCuts: number[]): ShardedWorld {
  const setup = sceneSetup(s);
  const w = new ShardedWorld(setup.config, { xCuts, zCuts });
  setup.scene?.(w);
  return w;
}

test('a scene builds its hulls where the file says, storing each distinct shape once', () => {
  const s = SCENE();
  expect(sceneBodies(s)).toBe(1 + 4);
  const w = build(s, [], []);
  w.step();
  const hs = w.handles().slice(1);
  expect(hs).toHaveLength(4);
  // the cube's centroid is its center; the tetrahedron's is center + (0.15, 0.15, 0.15) rotated (last one: unrotated)
  expect(w.position(hs[0])[0]).toBeCloseTo(0.1, 3);
  const p = w.position(hs[3]);
  expect(p[0]).toBeCloseTo(1.15, 3);
  expect(p[2]).toBeCloseTo(1.15, 3);
  // two shapes stored: the cube and the tetrahedron (10 header words each, then their vertices ...)
  const g = w.geometry();
  expect(Number(g[0])).toBe(6);
  expect(g.length).toBe(sceneSetup(s).config.geometryWords);
});

test('the hulls come to rest on the floor and each other; 2 x 2 shards give the unsharded hash every tick', () => {
  const s = SCENE();
  const whole = build(s, [], []);
  const split = build(s, [0], [0]);
  for (let t = 0; t < 240; t++) {
    whole.step();
    split.step();
    expect(split.hash().toString(16)).toBe(whole.hash().toString(16));
  }
  // none in the floor: the least centroid height of a resting hull is the tetrahedron's on its
  // slanted face, (0.6 - 0.45) / sqrt 3 = 0.0866 m
  for (const h of whole.handles().slice(1)) {
    expect(whole.position(h)[1]).toBeGreaterThan(0.15 / Math.sqrt(3) - 0.002);
    expect(Math.hypot(...whole.velocity(h))).toBeLessThan(0.05);
  }
  // the stacked cube still stands on the lower one
  const [a, b] = whole.handles().slice(1);
  expect(whole.position(b)[1] - whole.position(a)[1]).toBeGreaterThan(0.58);
});

test('bad hulls are refused with the field', () => {
  const err = (h: unknown): string => {
    try {
      sceneWith([h]);
      return 'taken';
    } catch (e) {
      expect(e).toBeInstanceOf(SceneError);
      return (e as Error).message;
    }
  };
  expect(
    err({
      center: [0, 0, 0],
      vertices: [
        [0, 0, 0],
        [1, 0, 0],
        [0, 1, 0],
        [1, 1, 0],
      ],
    }),
  ).toMatch(/hulls\[0\]\.vertices.*plane/);
  expect(err({ center: [0, 0, 0], vertices: cube(0.3).concat(Array.from({ length: 60 }, (_, k): V3 => [0, 0, k / 100])) })).toMatch(/hulls\[0\]\.vertices.*64/);
  expect(err({ center: [0, 0, 0], vertices: cube(0.8) })).toMatch(/hulls\[0\]\.vertices.*maxBodyRadius/);
  expect(err({ center: [0, 0], vertices: cube(0.3) })).toMatch(/hulls\[0\]\.center/);
  expect(
    err({
      center: [0, 0, 0],
      vertices: [
        [0, 0, 0],
        [1, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
    }),
  ).toMatch(/hulls\[0\]\.vertices\[1\]/);
  expect(err({ center: [0, 0, 0], vertices: cube(0.3), density: 0 })).toMatch(/hulls\[0\]\.density/);
  expect(err({ center: [0, 0, 0], vertices: cube(0.3) })).toBe('taken');
});
