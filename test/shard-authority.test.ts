/**
 * Authority and handoff (DESIGN.md invariant 2), and lock-free reads of published ticks:
 * - a gas of fast spheres over 40 shards (corners included): at every tick every body has
 *   exactly one authority, the region holding its reference point; none is lost or
 *   duplicated; the handoff counter (over 100,000 handoffs) equals a count made here from
 *   the published positions; the final hash equals the unsharded world's;
 * - readers on other threads read published ticks while the shards write the next one; every
 *   read that the seqlock accepts matches the writer's checksum.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PhysicsWorld, type WorldConfig } from '../src/physics/world';
import { ShardedWorld, BoardReader, type Partition } from '../src/physics/sharded';
import { OWNER } from '../src/physics/world-layout';
import { mulberry32 } from './helpers/bigref';
import { buildPile, pileConfig, type SceneTarget } from './helpers/scenes';

const GAS: WorldConfig = { capacity: 1508, maxBodyRadius: 0.11, gravity: [0, 0, 0], sleep: { enabled: false } };
const GAS_PARTITION: Partition = { xCuts: [-8, -6, -4, -2, 0, 2, 4, 6, 8], zCuts: [-5, 0, 5] };

/** 1,500 spheres (r = 0.1 m) at 12 m/s in x/z, elastic and frictionless, in a 20 x 20 x 2 m box. */
function buildGas(w: SceneTarget): void {
  w.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0, restitution: 1 });
  for (const [p, h] of [
    [
      [11, 1, 0],
      [1, 2, 12],
    ],
    [
      [-11, 1, 0],
      [1, 2, 12],
    ],
    [
      [0, 1, 11],
      [12, 2, 1],
    ],
    [
      [0, 1, -11],
      [12, 2, 1],
    ],
    [
      [0, 3, 0],
      [12, 1, 12],
    ],
  ] as const) {
    w.addBox({ position: p, half: h, friction: 0, restitution: 1 });
  }
  const rng = mulberry32(7);
  const u = (): number => rng() / 4294967296;
  for (let k = 0; k < 1500; k++) {
    const a = u() * Math.PI * 2;
    w.addSphere({
      position: [(u() - 0.5) * 19, 0.2 + u() * 1.6, (u() - 0.5) * 19],
      velocity: [12 * Math.cos(a), 0, 12 * Math.sin(a)],
      radius: 0.1,
      mass: 1,
      friction: 0,
      restitution: 1,
    });
  }
}

test('gas over 40 shards: one authority per body at every tick, handoff counter equals an independent count (>= 100,000)', () => {
  const sharded = new ShardedWorld(GAS, GAS_PARTITION);
  buildGas(sharded);
  const ticks = 1700;
  const nx = GAS_PARTITION.xCuts.length + 1;
  const region = (x: number, z: number): number => {
    const ix = GAS_PARTITION.xCuts.filter((c) => x >= c).length,
      iz = GAS_PARTITION.zCuts.filter((c) => z >= c).length;
    return iz * nx + ix;
  };
  const reader = new BoardReader(sharded.source);
  let previous = new Map<number, number>();
  let counted = 0;
  for (let t = 1; t <= ticks; t++) {
    sharded.step();
    const now = reader.read((v) => {
      const m = new Map<number, number>();
      const dv = new DataView(v.records.buffer, v.records.byteOffset, v.records.byteLength);
      let statics = 0;
      for (let s = 0; s < v.highWater; s++) {
        const own = v.owners[s];
        if (own === OWNER.NONE) continue;
        if (own === OWNER.STATIC) {
          statics++;
          continue;
        }
        const x = Number(dv.getBigInt64(s * 312 + 32, true)) / 65536,
          z = Number(dv.getBigInt64(s * 312 + 48, true)) / 65536;
        if (own !== region(x, z)) throw new Error(`tick ${t}: slot ${s} at (${x}, ${z}) has authority ${own}, its region is ${region(x, z)}`);
        m.set(s, own);
      }
      expect(statics).toBe(6);
      return m;
    });
    expect(now.size).toBe(1500); // none lost, none duplicated
    expect(sharded.counts().reduce((a, c) => a + c.owned, 0)).toBe(1500);
    for (const [s, own] of now) if (previous.has(s) && previous.get(s) !== own) counted++;
    previous = now;
  }
  console.log(`gas: ${counted} handoffs in ${ticks} ticks over ${sharded.shardCount} shards (counter ${sharded.handoffs})`);
  expect(sharded.handoffs).toBe(counted);
  expect(counted).toBeGreaterThanOrEqual(100_000);
  const whole = PhysicsWorld.create(GAS);
  buildGas(whole);
  whole.step(ticks);
  expect(sharded.hash()).toBe(whole.hash());
});

const READER = join(__dirname, '..', 'build', 'dist', 'test', 'workers', 'board-reader.js');

test('readers on other threads never accept a torn tick (seqlock validated by per-tick checksums)', async () => {
  if (!existsSync(READER)) throw new Error(`${READER} missing: run \`npm run build\` first`);
  const config = pileConfig(3000);
  const sharded = new ShardedWorld(config, { xCuts: [0], zCuts: [] }, undefined, { workers: 2, checksums: true });
  try {
    buildPile(sharded, 3000, 5);
    sharded.step();
    const until = 400;
    const start = (validate: boolean): Promise<{ reads: number; mismatches: number; ticks: number }> =>
      new Promise((resolve, reject) => {
        const w = new Worker(READER, { workerData: { source: sharded.source, until, validate } });
        w.once('message', resolve);
        w.once('error', reject);
      });
    const readers = [start(true), start(false)];
    await new Promise((r) => setTimeout(r, 200)); // let the readers boot
    while (sharded.tick < until) sharded.step();
    const [checked, unchecked] = await Promise.all(readers);
    console.log(
      `torn-read stress: seqlock reader ${checked.reads} reads over ${checked.ticks} ticks, ${checked.mismatches} mismatches; ` +
        `unvalidated reader ${unchecked.reads} reads, ${unchecked.mismatches} torn`,
    );
    expect(checked.mismatches).toBe(0);
    expect(checked.ticks).toBeGreaterThan(20);
  } finally {
    await sharded.close();
  }
});
