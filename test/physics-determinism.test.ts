/**
 * Determinism of the physics core. Guarantees tested here:
 * - golden state hashes for four scenes (pile, rain, walkers; yard: boxes, a hinged chain, terrain) at fixed ticks (committed constants, printed on
 *   mismatch), identical across repeated runs and across the release and debug builds;
 * - a run split into two processes by saving the raw state midway gives the same hash;
 * - shard invariance proof of concept: a body's next state computed from only the bodies
 *   within the documented interaction range equals, bit for bit, its state in the full
 *   world, for 10,000 random (body, tick) picks in a dense scene.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildYard, pileScene, rainScene, walkersScene, yardConfig } from './helpers/scenes';
import { PhysicsWorld } from '../src/physics/world';
import { mulberry32 } from './helpers/bigref';
import type { CoreVariant } from '../src/physics/wasm';

const hex = (h: bigint): string => `0x${h.toString(16).padStart(16, '0')}`;

import { GOLDEN } from './helpers/goldens';

function sceneHashes(name: string, variant: CoreVariant): Array<[number, string]> {
  const ticks = GOLDEN[name].map(([t]) => t);
  const out: Array<[number, string]> = [];
  let step: () => void;
  let hash: () => bigint;
  let tick: () => number;
  if (name === 'pile') {
    const s = pileScene(300, 11, { variant, layers: 6 });
    step = () => s.world.step();
    hash = () => s.world.hash();
    tick = () => s.world.tick;
  } else if (name === 'rain') {
    const s = rainScene(300, 12, { variant });
    step = s.tick;
    hash = () => s.world.hash();
    tick = () => s.world.tick;
  } else if (name === 'yard') {
    const w = PhysicsWorld.create(yardConfig(), { variant });
    step = buildYard(w, 21).tick;
    hash = () => w.hash();
    tick = () => w.tick;
  } else {
    const s = walkersScene(24, 13, { variant });
    step = s.tick;
    hash = () => s.world.hash();
    tick = () => s.world.tick;
  }
  for (const t of ticks) {
    while (tick() < t) step();
    out.push([t, hex(hash())]);
  }
  return out;
}

describe.each(Object.keys(GOLDEN))('scene %s', (name) => {
  test('golden hashes, repeated runs and release vs debug agree', () => {
    const release = sceneHashes(name, 'release');
    const again = sceneHashes(name, 'release');
    const debug = sceneHashes(name, 'debug');
    const golden = GOLDEN[name].map(([t, h]) => [t, h.startsWith('0x') ? h : 'unset']);
    if (JSON.stringify(release) !== JSON.stringify(golden)) console.log(`${name} hashes: ${JSON.stringify(release)}`);
    expect(again).toEqual(release);
    expect(debug).toEqual(release);
    expect(release).toEqual(golden);
  });
});

test('a run split into two processes via save/restore gives the same hash', () => {
  const child = join(__dirname, '..', 'build', 'dist', 'test', 'workers', 'restore-child.js');
  if (!existsSync(child)) throw new Error(`${child} missing: run \`npm run build\` first`);
  const { world } = pileScene(400, 21, { layers: 5 });
  world.step(150);
  const dir = mkdtempSync(join(tmpdir(), 'tessera-split-'));
  const file = join(dir, 'world.bin');
  writeFileSync(file, world.save());
  world.step(150);
  const whole = world.hash().toString(16);
  for (const variant of ['release', 'debug']) {
    const split = execFileSync(process.execPath, [child, file, '150', variant], { encoding: 'utf8' }).trim();
    expect(split).toBe(whole);
  }
});

test('invariance: 10,000 (body, tick) picks computed from only the bodies within the interaction range', () => {
  const { world, bodies } = pileScene(1000, 31, { layers: 2 });
  const R = world.interactionRange();
  expect(R).toBeGreaterThan(0);
  const scratch = pileScene(1000, 31, { layers: 2 }).world; // same layout, reused for every pick
  world.step(20); // moving, colliding
  const rng = mulberry32(77);
  let picks = 0,
    removedTotal = 0;
  while (picks < 10_000) {
    const saved = world.save();
    const pos = bodies.map((b) => world.position(b));
    world.step();
    const after = new Map(bodies.map((b) => [b, world.bodyStateRaw(b).join(',')]));
    // 250 random bodies per tick, 40 ticks
    for (let k = 0; k < 250; k++, picks++) {
      const pick = Math.floor((rng() / 4294967296) * bodies.length);
      const b = bodies[pick];
      scratch.load(saved);
      const [px, py, pz] = pos[pick];
      bodies.forEach((o, q) => {
        if (q !== pick && Math.hypot(pos[q][0] - px, pos[q][1] - py, pos[q][2] - pz) > R) {
          scratch.remove(o);
          removedTotal++;
        }
      });
      scratch.step();
      const got = scratch.bodyStateRaw(b).join(',');
      if (got !== after.get(b)) throw new Error(`tick ${world.tick - 1}, body ${pick}: reduced world ${got} != full world ${after.get(b)}`);
    }
  }
  // the test is only meaningful if the reduced worlds really lacked bodies
  expect(removedTotal / picks).toBeGreaterThan(100);
});
