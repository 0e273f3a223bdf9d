/**
 * ShardedWorld.save / restore: a world restored from the bytes of tick t continues bit for bit
 * like the world that was saved (hash and events at every later tick), on this thread and on
 * workers; corrupted or mismatched bytes are refused.
 */
import { ShardedWorld, type Partition } from '../src/physics/sharded';
import { PhysicsError } from '../src/physics/world';
import { sparseImage, fromSparseImage, PAGE } from '../src/physics/sparse';
import fc from 'fast-check';
import { buildRain, rainConfig, buildWalkers, walkersConfig, buildPile, pileConfig } from './helpers/scenes';

const digest = (w: ShardedWorld): string => `${w.hash().toString(16)} ${JSON.stringify(w.events().map((e) => [e.kind, String(e.body), String(e.other)]))}`;

describe('sharded world save/restore', () => {
  const cases: Array<[string, 'rain' | 'walkers' | 'pile', Partition, number]> = [
    ['rain, 4 shards, this thread', 'rain', { xCuts: [-4, 0, 4], zCuts: [] }, 0],
    ['walkers, 2 x 2 shards, restored on 2 workers', 'walkers', { xCuts: [0], zCuts: [0] }, 2],
    ['a settling pile with sleep on, 2 shards', 'pile', { xCuts: [0], zCuts: [] }, 0],
  ];
  test.each(cases)(
    '%s: the restored world continues bit for bit',
    async (_n, scene, partition, workers) => {
      const config = scene === 'rain' ? rainConfig(800) : scene === 'pile' ? pileConfig(600, { sleep: { enabled: true } }) : walkersConfig(120);
      const live = new ShardedWorld(config, partition);
      // a tee: the scene adds bodies to the live world; commands and steps go to every world in it
      const worlds: ShardedWorld[] = [live];
      const tee = {
        addPlane: live.addPlane.bind(live),
        addBox: live.addBox.bind(live),
        addSphere: live.addSphere.bind(live),
        addCharacter: live.addCharacter.bind(live),
        applyCommands: (c: Parameters<ShardedWorld['applyCommands']>[0]) => worlds.map((w) => w.applyCommands(c)),
        step: () => {
          for (const w of worlds) w.step();
        },
      };
      const tick =
        scene === 'rain'
          ? ((d) => () => {
              tee.applyCommands(d.commands());
              tee.step();
            })(buildRain(tee, 800, 5))
          : scene === 'pile'
            ? ((d) => () => {
                d.tick();
              })(buildPile(tee, 600, 5))
            : buildWalkers(tee, 120, 5).tick;
      for (let t = 0; t < (scene === 'pile' ? 400 : 150); t++) tick();
      const restored = ShardedWorld.restore(config, partition, live.save(), { workers });
      worlds.push(restored);
      try {
        expect(restored.tick).toBe(live.tick);
        expect(restored.hash()).toBe(live.hash());
        const after: string[] = [],
          again: string[] = [];
        for (let t = 0; t < 200; t++) {
          tick();
          after.push(digest(live));
          again.push(digest(restored));
        }
        expect(again).toEqual(after);
        expect(new Set(after).size).toBeGreaterThan(scene === 'pile' ? 20 : 150); // the scene kept moving
      } finally {
        await restored.close();
        await live.close();
      }
    },
    120_000,
  );

  test('corrupted, truncated and mismatched saves are refused; a changed record diverges', async () => {
    const config = rainConfig(200),
      partition = { xCuts: [0], zCuts: [] };
    const w = new ShardedWorld(config, partition);
    const rain = buildRain(w, 200, 9);
    for (let t = 0; t < 60; t++) {
      w.applyCommands(rain.commands());
      w.step();
    }
    const bytes = w.save();
    const code = (f: () => unknown): string => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return e instanceof PhysicsError ? e.code : String(e);
      }
    };
    expect(code(() => ShardedWorld.restore(config, partition, bytes.slice(0, bytes.length - 10)))).toBe('BAD_HEADER');
    const magic = bytes.slice();
    magic[0] ^= 1;
    expect(code(() => ShardedWorld.restore(config, partition, magic))).toBe('BAD_HEADER');
    expect(code(() => ShardedWorld.restore(config, { xCuts: [0], zCuts: [0] }, bytes))).toBe('BAD_HEADER');
    // flip a bit of some body's position: the restored world is a different world
    const changed = bytes.slice();
    const regLen = new DataView(changed.buffer).getUint32(28, true);
    const rec0 = 28 + 4 + regLen + 4;
    changed[rec0 + 10 * 312 + 33] ^= 0x40;
    const r = ShardedWorld.restore(config, partition, changed);
    r.step();
    w.step();
    expect(r.hash()).not.toBe(w.hash());
    // staged commands are saved too: restored and original take the same next tick
    w.applyCommands(rain.commands());
    const mid = ShardedWorld.restore(config, partition, w.save());
    w.step();
    mid.step();
    expect(mid.hash()).toBe(w.hash());
  });

  test('the registry is saved as a sparse page image; a version 1 save (whole memory) still restores', async () => {
    const config = rainConfig(300),
      partition = { xCuts: [0], zCuts: [] };
    const w = new ShardedWorld(config, partition);
    const rain = buildRain(w, 300, 4);
    for (let t = 0; t < 40; t++) {
      w.applyCommands(rain.commands());
      w.step();
    }
    const v2 = w.save();
    const dv = new DataView(v2.buffer);
    expect(dv.getUint32(4, true)).toBe(2);
    const regLen = dv.getUint32(28, true);
    const full = fromSparseImage(v2.subarray(32, 32 + regLen));
    expect(regLen).toBeLessThan(full.byteLength / 4); // most of the registry's pages are zero
    // the same save in version 1's layout: the whole registry memory in section 0
    const v1 = new Uint8Array(v2.byteLength - regLen + full.byteLength);
    v1.set(v2.subarray(0, 28));
    new DataView(v1.buffer).setUint32(4, 1, true);
    new DataView(v1.buffer).setUint32(28, full.byteLength, true);
    v1.set(full, 32);
    v1.set(v2.subarray(32 + regLen), 32 + full.byteLength);
    const a = ShardedWorld.restore(config, partition, v2),
      b = ShardedWorld.restore(config, partition, v1);
    for (let t = 0; t < 30; t++) {
      const c = rain.commands();
      for (const x of [w, a, b]) {
        x.applyCommands(c);
        x.step();
      }
    }
    expect(a.hash()).toBe(w.hash());
    expect(b.hash()).toBe(w.hash());
    const bad = v2.slice();
    new DataView(bad.buffer).setUint32(4, 3, true);
    expect(() => ShardedWorld.restore(config, partition, bad)).toThrow(/version 3/);
    await Promise.all([w.close(), a.close(), b.close()]);
  });

  test('sparse page images round-trip any bytes (partial last page, dense and empty)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 * PAGE + 77 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 40 }), (n, pokes) => {
        const bytes = new Uint8Array(n);
        for (const [at, v] of pokes) if (n > 0) bytes[at % n] = v;
        const img = sparseImage(bytes);
        const nonZeroPages = new Set(pokes.filter(() => n > 0).map(([at]) => Math.floor((at % n) / PAGE))).size;
        expect(new DataView(img.buffer).getUint32(4, true)).toBe(nonZeroPages);
        expect(fromSparseImage(img)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
    const img = sparseImage(Uint8Array.from({ length: 3 * PAGE }, (_, i) => (i === PAGE + 5 ? 9 : 0)));
    expect(() => fromSparseImage(img.subarray(0, img.byteLength - 1))).toThrow(RangeError);
    const swapped = img.slice();
    new DataView(swapped.buffer).setUint32(8, 3, true);
    expect(() => fromSparseImage(swapped)).toThrow(/out of order or range/);
  });
});
