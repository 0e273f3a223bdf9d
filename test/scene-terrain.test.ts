/**
 * Terrain in scene files and in sharded worlds: a scene names a heightmap PNG and a .glb mesh
 * by paths relative to the scene file (src/scene.ts loadSceneWithAssets); the world built from
 * it holds balls on the terrain, two fresh loads hash the same, a bad asset is refused naming
 * the scene field, the file and the reason; and balls rolling down terrain across shard
 * borders give the unsharded world's hash at every tick (the hash covers the geometry), also
 * when the regions are stepped by (in-memory) shard processes of a cluster.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { Document, NodeIO } from '@gltf-transform/core';
import { PhysicsWorld, type WorldConfig } from '../src/physics/world';
import { ShardedWorld } from '../src/physics/sharded';
import { LocalCluster } from '../src/cluster/local-cluster';
import { SceneError, loadScene, loadSceneWithAssets, sceneSetup } from '../src/scene';
import { resolveConfig, serve } from '../src/serve';
import { createNodeClient } from '../src/client/node';
import { waitFor } from './helpers/net';
import pino from 'pino';
import { encodeGeometry, quantiseHeightfield } from '../src/assets/geometry';
import { boxMesh } from './helpers/terrain';

const dir = mkdtempSync(join(tmpdir(), 'tessera-scene-'));

/** A 16-bit greyscale heightmap: a bowl, samples s(ix, iz). */
function bowlPng(n: number): Buffer {
  const s: number[] = [];
  for (let iz = 0; iz < n; iz++)
    for (let ix = 0; ix < n; ix++) {
      const dx = ix - (n - 1) / 2,
        dz = iz - (n - 1) / 2;
      s.push(Math.round((65535 * (dx * dx + dz * dz)) / (2 * ((n - 1) / 2) ** 2)));
    }
  const png = new PNG({ width: n, height: n });
  png.data = Buffer.from(new Uint16Array(s).buffer);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 16, inputHasAlpha: false });
}

/** A .glb of a closed box (12 triangles, outward). */
async function boxGlb(lo: number[], hi: number[]): Promise<Uint8Array> {
  const p = boxMesh(lo, hi);
  const doc = new Document();
  const buf = doc.createBuffer();
  const prim = doc.createPrimitive().setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array(p)).setBuffer(buf));
  doc.createScene().addChild(doc.createNode().setMesh(doc.createMesh().addPrimitive(prim)));
  return new NodeIO().writeBinary(doc);
}

async function writeScene(name: string, heightmap: string, mesh: string): Promise<string> {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'assets', 'bowl.png'), bowlPng(21));
  writeFileSync(join(dir, 'assets', 'crate.glb'), await boxGlb([2, 0, 2], [3, 1, 3]));
  const scene = {
    format: 'tessera.scene.v1',
    world: { capacity: 64, tickRate: 60, sleep: false },
    spawnPoints: [[0, 3, 0]],
    statics: [
      { heightmap: { file: heightmap, cellSize: [0.5, 0.5], origin: [-5, -5], baseHeight: 0, heightRange: 3, friction: 0.5 } },
      { mesh: { file: mesh } },
    ],
    piles: [{ center: [-1, 2, -1], layers: 2, radius: 0.3 }],
  };
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(scene));
  return path;
}

/** Loads the scene, builds it into a one-shard world, steps `ticks`; returns the world. */
async function run(path: string, ticks: number): Promise<ShardedWorld> {
  const s = await loadSceneWithAssets(path);
  const setup = sceneSetup(s);
  const w = new ShardedWorld(setup.config, { xCuts: [], zCuts: [] });
  setup.scene?.(w);
  for (let t = 0; t < ticks; t++) w.step();
  return w;
}

test('a scene with a heightmap and a mesh (paths relative to the scene file) builds, holds its balls, and hashes the same twice', async () => {
  const path = await writeScene('terrain.json', 'assets/bowl.png', './assets/crate.glb');
  const a = await run(path, 180);
  // the pile's 5 balls rolled into the bowl and stay on its surface (never below it)
  const balls = a.handles().slice(2); // the heightmap and the mesh come first (slots in scene order)
  expect(balls.length).toBe(5);
  for (const h of balls) {
    const [x, y, z] = a.position(h);
    const bowl = (3 * (x * x + z * z)) / 50;
    expect(y).toBeGreaterThan(bowl);
    expect(y).toBeLessThan(bowl + 1.5);
  }
  const b = await run(path, 180);
  expect(b.hash()).toBe(a.hash());
  // the sync loader refuses a scene with assets instead of building it without them
  expect(() => loadScene(path)).toThrow(SceneError);
});

test('a bad asset in a scene is refused with the scene field, the file and the reason', async () => {
  const missing = await writeScene('missing.json', 'assets/nope.png', 'assets/crate.glb');
  await expect(loadSceneWithAssets(missing)).rejects.toThrow(/statics\[0\]\.heightmap\.file.*nope\.png.*NOT_FOUND/);
  const swapped = await writeScene('swapped.json', 'assets/bowl.png', 'assets/bowl.png');
  await expect(loadSceneWithAssets(swapped)).rejects.toThrow(/statics\[1\]\.mesh\.file.*bowl\.png.*BAD_FORMAT/);
});

test('balls rolling down terrain across shard borders: the unsharded hash at every tick', () => {
  // a valley falling along +x over the cuts x = 0 and z = 0.5
  const hf = quantiseHeightfield(
    'valley',
    Array.from({ length: 33 * 17 }, (_, k) => 3 - 0.25 * (k % 33) * 0.5 + 0.3 * Math.cos(Math.floor(k / 33) * 0.4)),
    33,
    17,
    {
      cellSize: [0.5, 0.5],
      origin: [-8, -4],
    },
  );
  const block = encodeGeometry(hf);
  const config: WorldConfig = { capacity: 64, sleep: { enabled: false }, geometryWords: block.words.length };
  const build = (w: PhysicsWorld | ShardedWorld): void => {
    w.addGeometry(block, { friction: 0.4 });
    for (let k = 0; k < 6; k++) w.addSphere({ position: [-3 + (k % 3) * 0.3, 4, -1 + k * 0.5], radius: 0.25, friction: 0.4 });
  };
  const whole = PhysicsWorld.create(config);
  build(whole);
  const sharded = new ShardedWorld(config, { xCuts: [0], zCuts: [0.5] }, whole.interactionRange());
  build(sharded);
  for (let t = 0; t < 150; t++) {
    whole.step();
    sharded.step();
    const a = whole.hash(),
      b = sharded.hash();
    if (a !== b) throw new Error(`tick ${whole.tick}: sharded hash ${b.toString(16)} != unsharded ${a.toString(16)}`);
  }
  expect(sharded.handoffs).toBeGreaterThan(0); // balls did cross a border
  // a save restores with its terrain (the registry's geometry goes back into every shard world)
  const restored = ShardedWorld.restore(config, { xCuts: [0], zCuts: [0.5] }, sharded.save());
  expect(restored.hash()).toBe(sharded.hash());
  for (let t = 0; t < 30; t++) {
    whole.step();
    restored.step();
  }
  expect(restored.hash()).toBe(whole.hash());
  // and the hash covers the geometry: one raw unit of one height gives another hash
  const heights = Int32Array.from(hf.heights);
  heights[0] += 1;
  const other = PhysicsWorld.create(config);
  other.addGeometry(encodeGeometry({ ...hf, heights }), { friction: 0.4 });
  const same = PhysicsWorld.create(config);
  same.addGeometry(block, { friction: 0.4 });
  expect(other.hash()).not.toBe(same.hash());
});

test('tessera serve runs a terrain scene: a client joins and sees its balls (the geometry on the wire: test/terrain-wire.test.ts)', async () => {
  const path = await writeScene('served.json', 'assets/bowl.png', 'assets/crate.glb');
  const data = mkdtempSync(join(tmpdir(), 'tessera-scene-data-'));
  const s = await serve(resolveConfig({ port: '0', data, workers: '0', scene: path }, {}), pino({ level: 'silent' }));
  try {
    const c = createNodeClient({ url: `ws://127.0.0.1:${s.host.port}/ws`, token: 'guest', privateId: 'terrain', reconnect: { enabled: false } });
    await c.connect();
    // the 5 balls and the avatar
    await waitFor(() => (c.state?.bodies.size ?? 0) >= 6, 10_000, 'the terrain scene in view');
    c.close();
  } finally {
    await s.stop();
  }
}, 30_000);

test('terrain on a cluster: shard processes (in memory) get the geometry in their copy of the world and step it to the in-process hash', () => {
  // a valley falling along +x over the cuts x = 0 and z = 0.5, four regions in two processes
  const hf = quantiseHeightfield(
    'valley',
    Array.from({ length: 33 * 17 }, (_, k) => 3 - 0.25 * (k % 33) * 0.5 + 0.3 * Math.cos(Math.floor(k / 33) * 0.4)),
    33,
    17,
    { cellSize: [0.5, 0.5], origin: [-8, -4] },
  );
  const block = encodeGeometry(hf);
  const config: WorldConfig = { capacity: 64, sleep: { enabled: false }, geometryWords: block.words.length };
  const cuts = { xCuts: [0], zCuts: [0.5] };
  const build = (w: ShardedWorld): ShardedWorld => {
    w.addGeometry(block, { friction: 0.4 });
    for (let k = 0; k < 6; k++) w.addSphere({ position: [-3 + (k % 3) * 0.3, 4, -1 + k * 0.5], radius: 0.25, friction: 0.4 });
    return w;
  };
  const local = build(new ShardedWorld(config, cuts, undefined, { exchange: 'tick' }));
  const clustered = build(new ShardedWorld(config, cuts, undefined, { exchange: 'tick' }));
  const cluster = new LocalCluster(clustered, config, cuts, [
    [0, 1],
    [2, 3],
  ]);
  for (let t = 0; t < 150; t++) {
    local.step();
    clustered.step();
    if (clustered.hash() !== local.hash()) throw new Error(`tick ${local.tick}: cluster hash ${clustered.hash().toString(16)} != ${local.hash().toString(16)}`);
  }
  expect(cluster.stats.ticks).toBe(150);
  expect(clustered.handoffs).toBeGreaterThan(0); // balls crossed borders between the processes' regions
  // every process's copy holds the geometry
  for (const h of cluster.hosts.values()) expect(h.world.geometry()).toEqual(local.geometry());
});
