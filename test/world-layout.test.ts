/**
 * The world's memory layout: the generated AssemblyScript constants match
 * src/physics/world-layout.ts, arrays never overlap and stay aligned, and bad sizes are refused.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  planWorld,
  assemblyScriptConstants,
  BODY_FIELDS,
  WORLD_ARRAYS,
  ARRAY_ALIGN,
  HEADER,
  HEADER_SLOTS,
  FIELD_INDEX,
  WORLD_VERSION,
} from '../src/physics/world-layout';
import { PhysicsWorld } from '../src/physics/world';

const root = join(__dirname, '..');

test('assembly/physics/layout.ts is exactly what world-layout.ts generates', () => {
  expect(readFileSync(join(root, 'assembly/physics/layout.ts'), 'utf8')).toBe(assemblyScriptConstants());
  // and the generator's check mode agrees (it is what CI runs in the build)
  expect(execFileSync('node', ['scripts/gen-layout.mjs', '--check'], { cwd: root, encoding: 'utf8' })).toMatch(/up to date/);
});

test('arrays are aligned and laid out in order after the header, which holds every address', () => {
  const plan = planWorld({ capacity: 1000, contacts: 8000, events: 4000, buckets: 2048, geometry: 16, joints: 2 });
  const names = [...BODY_FIELDS.map(([n]) => n), ...WORLD_ARRAYS.map(([n]) => n)];
  let end = HEADER_SLOTS * 8;
  for (const n of names) {
    const off = plan.offsets[n];
    expect(off % ARRAY_ALIGN).toBe(0);
    expect(off).toBeGreaterThanOrEqual(end);
    end = off + 1; // strictly increasing starts
  }
  expect(plan.bytes).toBeGreaterThan(plan.offsets[names[names.length - 1]]);
  expect(HEADER.OFFSETS_AT + Object.keys(FIELD_INDEX).length).toBeLessThanOrEqual(HEADER_SLOTS);
});

test('a world without static geometry has an empty GEOMETRY array and the size and offsets of a world before geometry', () => {
  const sizes = { capacity: 1000, contacts: 8000, events: 4000, buckets: 2048 };
  const bare = planWorld(sizes),
    geo = planWorld({ ...sizes, geometry: 16 });
  expect(bare.offsets.GEOMETRY).toBe(bare.bytes); // no words: it starts where the world ends
  expect(geo.bytes).toBe(bare.bytes + 128); // 16 words, aligned to 64 bytes
  // JOINTS, after GEOMETRY, starts where the geometry ends
  for (const n of Object.keys(FIELD_INDEX)) if (n !== 'JOINTS') expect(geo.offsets[n]).toBe(bare.offsets[n]);
});

test('a world without joints has an empty JOINTS array and the size and offsets of a world before joints', () => {
  const sizes = { capacity: 1000, contacts: 8000, events: 4000, buckets: 2048, geometry: 16 };
  const bare = planWorld(sizes),
    jointed = planWorld({ ...sizes, joints: 3 });
  expect(bare.offsets.JOINTS).toBe(bare.bytes);
  expect(jointed.bytes).toBe(bare.bytes + 3 * 256);
  for (const n of Object.keys(FIELD_INDEX)) expect(jointed.offsets[n]).toBe(bare.offsets[n]);
});

test('bad world sizes are refused with a RangeError', () => {
  expect(() => planWorld({ capacity: 0, contacts: 1, events: 1, buckets: 16 })).toThrow(RangeError);
  expect(() => planWorld({ capacity: 10, contacts: 1, events: 1, buckets: 12 })).toThrow(/power of two/);
  expect(() => planWorld({ capacity: 1.5, contacts: 1, events: 1, buckets: 16 })).toThrow(RangeError);
});

test('a world saved under another layout version is refused saying which version it is and what to do', () => {
  const w = PhysicsWorld.create({ capacity: 16 });
  w.addSphere({ position: [0, 1, 0], radius: 0.5 });
  const bytes = w.save();
  new BigInt64Array(bytes.buffer, bytes.byteOffset, HEADER_SLOTS)[HEADER.VERSION] = WORLD_VERSION - 1n;
  expect(() => PhysicsWorld.restore(bytes)).toThrow(
    new RegExp(`a saved world of layout version ${WORLD_VERSION - 1n}, this core reads ${WORLD_VERSION} \\(made by another Tessera version`),
  );
});
