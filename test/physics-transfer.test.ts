/**
 * Moving bodies between worlds (the primitive shard ghosts and handoff stand on): a body
 * record carries slot, generation and every simulated field, so a world rebuilt body by
 * body, in any order, continues bit for bit; refreshing a body in place works; a record
 * that does not fit is refused with a code and changes nothing.
 */
import { PhysicsWorld, PhysicsError, BODY_RECORD_BYTES } from '../src/physics/world';
import { pileScene } from './helpers/scenes';

const config = (n: number) => ({ capacity: n + 8, maxBodyRadius: 0.5, sleep: { enabled: false } });

test('a world rebuilt body by body in reverse order continues with the same hashes', () => {
  const { world: a } = pileScene(300, 41, { layers: 5 });
  a.step(50);
  const b = PhysicsWorld.create(config(300));
  const handles = a.handles();
  for (const h of [...handles].reverse()) expect(b.importBody(a.exportBody(h))).toBe(h);
  b.setTick(a.tick);
  expect(b.handles()).toEqual(handles);
  // the touching set (contact memory for events) is rebuilt by the next tick
  a.step();
  b.step();
  expect(b.hash()).toBe(a.hash());
  a.step(100);
  b.step(100);
  expect(b.hash()).toBe(a.hash());
});

test('export, remove, import gives the same body back (handle and state bits)', () => {
  const { world, bodies } = pileScene(50, 42, { layers: 2 });
  world.step(20);
  const h = bodies[17];
  const rec = world.exportBody(h);
  expect(rec.byteLength).toBe(BODY_RECORD_BYTES);
  const before = world.bodyStateRaw(h);
  const hash = world.hash();
  world.remove(h);
  expect(world.isValid(h)).toBe(false);
  expect(world.importBody(rec)).toBe(h);
  expect(world.bodyStateRaw(h)).toEqual(before);
  expect(world.hash()).toBe(hash);
});

test('importing over the same live body refreshes its state (a ghost update)', () => {
  const { world: owner, bodies } = pileScene(20, 43, { layers: 1 });
  const ghostWorld = PhysicsWorld.create(config(20));
  const h = bodies[3];
  ghostWorld.importBody(owner.exportBody(h));
  owner.step(30);
  ghostWorld.importBody(owner.exportBody(h));
  expect(ghostWorld.bodyStateRaw(h)).toEqual(owner.bodyStateRaw(h));
  expect(ghostWorld.bodyCount).toBe(1);
});

test('records that do not fit are refused with a code and change nothing', () => {
  const { world: src, bodies } = pileScene(20, 44, { layers: 1 });
  const dst = PhysicsWorld.create(config(20));
  const rec = src.exportBody(bodies[5]);
  // another body holds the slot (different generation)
  dst.importBody(rec);
  const h0 = dst.hash();
  const other = rec.slice();
  new DataView(other.buffer).setUint32(0, 99, true); // generation field (low half of slot|gen)
  expect(() => dst.importBody(other)).toThrow(expect.objectContaining({ code: 'STALE_HANDLE' }));
  // beyond the capacity
  const far = rec.slice();
  new DataView(far.buffer).setUint32(4, 1_000_000, true); // slot field (high half)
  expect(() => dst.importBody(far)).toThrow(expect.objectContaining({ code: 'FULL' }));
  // a body too large for this world's grid
  const small = PhysicsWorld.create({ capacity: 28, maxBodyRadius: 0.2 });
  expect(() => small.importBody(rec)).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
  // malformed kind, wrong length
  const bad = rec.slice();
  new DataView(bad.buffer).setUint32(12, 7, true); // kind field (high half of kind|shape)
  expect(() => dst.importBody(bad)).toThrow(expect.objectContaining({ code: 'BAD_KIND' }));
  expect(() => dst.importBody(rec.subarray(0, 100))).toThrow(PhysicsError);
  expect(dst.hash()).toBe(h0);
  expect(small.bodyCount).toBe(0);
});
