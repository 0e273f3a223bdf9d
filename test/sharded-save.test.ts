/**
 * ShardedWorld.save / restore: a world restored from the bytes of tick t continues bit for bit
 * like the world that was saved (hash and events at every later tick), on this thread and on
 * workers; corrupted or mismatched bytes are refused.
 */
import { ShardedWorld, type Partition } from '../src/physics/sharded';
import { PhysicsError } from '../src/physics/world';
import { buildRain, rainConfig, buildWalkers, walkersConfig, buildPile, pileConfig } from './helpers/scenes';

const digest = (w: ShardedWorld): string => `${w.hash().toString(16)} ${JSON.stringify(w.events().map((e) => [e.kind, String(e.body), String(e.other)]))}`;

describe('sharded world save/restore', () => {
  const cases: Array<[string, 'rain' | 'walkers' | 'pile', Partition, number]> = [
    ['rain, 4 shards, this thread', 'rain', { xCuts: [-4, 0, 4], zCuts: [] }, 0],
    ['walkers, 2 x 2 shards, restored on 2 workers', 'walkers', { xCuts: [0], zCuts: [0] }, 2],
    ['a settling pile with sleep on, 2 shards', 'pile', { xCuts: [0], zCuts: [] }, 0],
  ];
  test.each(cases)('%s: the restored world continues bit for bit', async (_n, scene, partition, workers) => {
    const config = scene === 'rain' ? rainConfig(800) : scene === 'pile' ? pileConfig(600, { sleep: { enabled: true } }) : walkersConfig(120);
    const live = new ShardedWorld(config, partition);
    // a tee: the scene adds bodies to the live world; commands and steps go to every world in it
    const worlds: ShardedWorld[] = [live];
    const tee = {
      addPlane: live.addPlane.bind(live), addBox: live.addBox.bind(live), addSphere: live.addSphere.bind(live), addCharacter: live.addCharacter.bind(live),
      applyCommands: (c: Parameters<ShardedWorld['applyCommands']>[0]) => worlds.map((w) => w.applyCommands(c)),
      step: () => { for (const w of worlds) w.step(); },
    };
    const tick = scene === 'rain'
      ? ((d) => () => { tee.applyCommands(d.commands()); tee.step(); })(buildRain(tee, 800, 5))
      : scene === 'pile' ? ((d) => () => { d.tick(); })(buildPile(tee, 600, 5))
      : buildWalkers(tee, 120, 5).tick;
    for (let t = 0; t < (scene === 'pile' ? 400 : 150); t++) tick();
    const restored = ShardedWorld.restore(config, partition, live.save(), { workers });
    worlds.push(restored);
    try {
      expect(restored.tick).toBe(live.tick);
      expect(restored.hash()).toBe(live.hash());
      const after: string[] = [], again: string[] = [];
      for (let t = 0; t < 200; t++) { tick(); after.push(digest(live)); again.push(digest(restored)); }
      expect(again).toEqual(after);
      expect(new Set(after).size).toBeGreaterThan(scene === 'pile' ? 20 : 150);   // the scene kept moving
    } finally {
      await restored.close();
      await live.close();
    }
  }, 120_000);

  test('corrupted, truncated and mismatched saves are refused; a changed record diverges', async () => {
    const config = rainConfig(200), partition = { xCuts: [0], zCuts: [] };
    const w = new ShardedWorld(config, partition);
    const rain = buildRain(w, 200, 9);
    for (let t = 0; t < 60; t++) { w.applyCommands(rain.commands()); w.step(); }
    const bytes = w.save();
    const code = (f: () => unknown): string => { try { f(); return 'ok'; } catch (e) { return e instanceof PhysicsError ? e.code : String(e); } };
    expect(code(() => ShardedWorld.restore(config, partition, bytes.slice(0, bytes.length - 10)))).toBe('BAD_HEADER');
    const magic = bytes.slice(); magic[0] ^= 1;
    expect(code(() => ShardedWorld.restore(config, partition, magic))).toBe('BAD_HEADER');
    expect(code(() => ShardedWorld.restore(config, { xCuts: [0], zCuts: [0] }, bytes))).toBe('BAD_HEADER');
    // flip a bit of some body's position: the restored world is a different world
    const changed = bytes.slice();
    const regLen = new DataView(changed.buffer).getUint32(28, true);
    const rec0 = 28 + 4 + regLen + 4;
    changed[rec0 + 10 * 312 + 33] ^= 0x40;
    const r = ShardedWorld.restore(config, partition, changed);
    r.step(); w.step();
    expect(r.hash()).not.toBe(w.hash());
    // staged commands are saved too: restored and original take the same next tick
    w.applyCommands(rain.commands());
    const mid = ShardedWorld.restore(config, partition, w.save());
    w.step(); mid.step();
    expect(mid.hash()).toBe(w.hash());
  });
});
