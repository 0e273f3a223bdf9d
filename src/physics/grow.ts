/**
 * Growing a world's capacity: lay out a larger world in a fresh memory, copy the live part of
 * every array and rebind, so the world goes on with the same bodies, handles and bits.
 *
 * Why this keeps every bit: the step never reads the capacity-sized parts of a world beyond
 * the high water (per-slot arrays), the list lengths (free list, statics, touch sets, events)
 * or the tick's own scratch (grid, pairs, participants, STATE: written before read each
 * tick), and the slot a new body gets comes from the copied free list and high water. The
 * only structures whose shape depends on the capacity are the sleep hash (GRID_BUCKETS
 * buckets) and the awake list's order; worldRelist (assembly/physics/world.ts) rebuilds both
 * from the bodies' flags, and neither's order is observable (collide.ts sorts what it
 * builds from them by slot). The contact and event capacities scale with the capacity, so a
 * grown world has the capacities of a world created at its new size.
 *
 * Only a world that owns its memory grows (PhysicsWorld.create / restore); one placed in a
 * shared core by createAt (the shard worlds of src/physics/sharded.ts) keeps its region.
 */
import { Core, createMemory, type CoreVariant } from './wasm';
import { planLayout } from './layout';
import {
  planWorld,
  HEADER,
  HEADER_SLOTS,
  FIELD_INDEX,
  BODY_FIELDS,
  BODY_DEF_SLOTS,
  CONTACT_BYTES,
  EVENT_BYTES,
  HASH_RECORD_SLOTS,
  TOUCH_BYTES,
  JOINT_BYTES,
  type WorldPlan,
  type WorldSizes,
} from './world-layout';

/** A world's place: the core it runs in, its base address and its layout. */
export interface WorldPlace {
  readonly core: Core;
  readonly base: number;
  readonly plan: WorldPlan;
}

/** Grid buckets for a capacity: the smallest power of two >= max(16, 2 x capacity) (integers, no Math.log2). */
export function bucketsFor(capacity: number): number {
  let b = 16;
  while (b < capacity * 2) b *= 2;
  return b;
}

/**
 * The sizes of `sizes` grown to `capacity` slots: contacts and events scaled by the same
 * factor (rounded up), grid buckets for the new capacity.
 */
export function grownSizes(sizes: WorldSizes, capacity: number): WorldSizes {
  const scale = (n: number): number => Math.ceil((n * capacity) / sizes.capacity);
  const grown: WorldSizes = { capacity, contacts: scale(sizes.contacts), events: scale(sizes.events), buckets: bucketsFor(capacity) };
  const kept = sizes.geometry !== undefined ? { ...grown, geometry: sizes.geometry } : grown; // static geometry keeps its size
  return sizes.joints !== undefined ? { ...kept, joints: sizes.joints } : kept; // and the joints theirs
}

/**
 * Copies the world at `from` into a new memory laid out for `capacity` slots and returns its
 * place; `from` is left as it was (the caller drops it). Throws RangeError when the grown
 * layout does not fit a memory (MAX_PAGES).
 */
export function growWorld(from: WorldPlace, capacity: number): WorldPlace {
  const variant: CoreVariant = from.core.variant;
  const plan = planWorld(grownSizes(from.plan.sizes, capacity));
  const layout = planLayout([['world', plan.bytes]]);
  const core = Core.instantiate(createMemory({ pages: layout.pages, shared: variant !== 'unshared' }), variant);
  const base = layout.regions.world.offset;
  const src = from.core.bytes(),
    dst = core.bytes();
  const oldHdr = new BigInt64Array(from.core.memory.buffer, from.base, HEADER_SLOTS);
  const h = new BigInt64Array(core.memory.buffer, base, HEADER_SLOTS);
  h.set(oldHdr);
  h[HEADER.CAPACITY] = BigInt(plan.sizes.capacity);
  h[HEADER.CONTACT_CAPACITY] = BigInt(plan.sizes.contacts);
  h[HEADER.EVENT_CAPACITY] = BigInt(plan.sizes.events);
  h[HEADER.GRID_BUCKETS] = BigInt(plan.sizes.buckets);
  h[HEADER.STATIC_DIRTY] = 1n; // the static tree is rebuilt in the new layout before its next use
  for (const [name, index] of Object.entries(FIELD_INDEX)) h[HEADER.OFFSETS_AT + index] = BigInt(plan.offsets[name]);
  const copy = (name: string, bytes: number): void => {
    const at = from.base + from.plan.offsets[name];
    dst.set(src.subarray(at, at + bytes), base + plan.offsets[name]);
  };
  const n = (slot: number): number => Number(oldHdr[slot]);
  const hw = n(HEADER.HIGH_WATER);
  for (const [name, el] of BODY_FIELDS) copy(name, el * hw);
  copy('FREE', 4 * n(HEADER.FREE_TOP));
  copy('STATICS', 4 * n(HEADER.STATIC_COUNT));
  copy('MOVING', 4 * n(HEADER.DYNAMIC_COUNT));
  copy('CONTACTS', CONTACT_BYTES * n(HEADER.CONTACT_COUNT));
  copy('TOUCH', TOUCH_BYTES * n(HEADER.TOUCH_COUNT));
  copy('PREV_TOUCH', TOUCH_BYTES * n(HEADER.PREV_TOUCH_COUNT));
  copy('EVENTS', EVENT_BYTES * n(HEADER.EVENT_COUNT));
  copy('HITS', 16 * n(HEADER.HIT_COUNT));
  copy('HASH_REC', 8 * HASH_RECORD_SLOTS);
  copy('BODY_DEF', 8 * BODY_DEF_SLOTS);
  copy('GEOMETRY', 8 * n(HEADER.GEOMETRY_USED));
  copy('JOINTS', JOINT_BYTES * n(HEADER.JOINT_HIGH_WATER));
  const x = core.exports as unknown as { worldBind(base: number): number; worldRelist(): void };
  if (x.worldBind(base) !== 0) throw new RangeError('grown world header rejected by the core');
  x.worldRelist();
  return { core, base, plan };
}
