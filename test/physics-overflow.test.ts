/**
 * A shard that runs out of a fixed capacity is counted (ShardedWorld.overflowTicks, the metric
 * tessera_physics_overflow_ticks_total): a pile of 400 spheres on two shards with room for one
 * contact per body overflows its contacts on most ticks, and the same pile with the default room
 * (8 per body) never does. Without the count an operator saw bodies sink into each other in a
 * crowd and nothing said why. The scene sets the room (world.contactsPerBody), and the log
 * (OverflowLog, src/serve.ts) warns at once and then at most once a minute.
 */
import { ShardedWorld } from '../src/physics/sharded';
import { buildPile, pileConfig } from './helpers/scenes';
import { parseScene, sceneSetup } from '../src/scene';
import { OverflowLog } from '../src/serve';

function run(contactsPerBody: number | undefined): ShardedWorld['overflowTicks'] {
  const w = new ShardedWorld(pileConfig(400, contactsPerBody === undefined ? {} : { contactsPerBody }), { xCuts: [0], zCuts: [] });
  buildPile(w, 400, 3);
  for (let t = 0; t < 60; t++) w.step();
  return { ...w.overflowTicks };
}

test('contact overflow is counted per tick, and a world with room counts none', () => {
  const tight = run(1);
  expect(tight.contacts).toBeGreaterThan(30);
  expect(tight.contacts).toBeLessThanOrEqual(60); // once a tick, not once per shard
  const roomy = run(undefined);
  expect(roomy).toEqual({ contacts: 0, touch: 0, events: 0, scratch: 0 });
});

test('a scene sets the contact room (world.contactsPerBody) and a bad value is refused with the field', () => {
  const scene = (world: Record<string, unknown>) => ({ format: 'tessera.scene.v1', world: { capacity: 64, tickRate: 20, ...world }, spawnPoints: [[0, 1, 0]] });
  expect(sceneSetup(parseScene(scene({}))).config.contactsPerBody).toBeUndefined(); // the core's default, 8
  expect(sceneSetup(parseScene(scene({ contactsPerBody: 24 }))).config.contactsPerBody).toBe(24);
  for (const bad of [0, 65, 2.5, '8']) expect(() => parseScene(scene({ contactsPerBody: bad }))).toThrow(/world\.contactsPerBody/);
});

test('the overflow log warns at once, then at most once a minute while it goes on', () => {
  const lines: Array<{ overflowTicks: Record<string, number> }> = [];
  let now = 0;
  const log = new OverflowLog({ warn: (o: object) => lines.push(o as { overflowTicks: Record<string, number> }) } as never, 60_000, () => now);
  const counts = { contacts: 0, touch: 0, events: 0, scratch: 0 };
  log.check(counts, 1);
  expect(lines).toHaveLength(0); // nothing dropped: nothing logged
  for (let t = 2; t <= 1202; t++) {
    counts.contacts++; // a crowd overflowing every tick for a minute at 20 Hz
    now += 50;
    log.check(counts, t);
  }
  expect(lines).toHaveLength(2); // the first tick, then one a minute later
  expect(lines[0].overflowTicks.contacts).toBe(1);
  expect(lines[1].overflowTicks.contacts).toBe(1200); // the ticks since the first warning
  counts.events++; // a new kind is told at once
  now += 50;
  log.check(counts, 1203);
  expect(lines).toHaveLength(3);
  expect(lines[2].overflowTicks).toEqual({ contacts: 0, touch: 0, events: 1, scratch: 0 });
});
