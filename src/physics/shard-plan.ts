/** The memory layout of a sharded world (src/physics/sharded.ts): shard worlds, boards, overlay, per-shard blocks. */
import { PhysicsWorld, type WorldConfig } from './world';
import { planLayout, type LayoutPlan } from './layout';
import { planWorld, BODY_RECORD_BYTES, CONTROL_WORDS, SHARD_CFG_SLOTS, BOARD_HEADER_SLOTS, PASS_BYTES, TOUCH_BYTES, EVENT_BYTES } from './world-layout';

/** Addresses of everything a sharded world keeps in its memory (planSharded). */
export interface ShardedPlan {
  layout: LayoutPlan;
  shards: number;
  capacity: number;
  worlds: number[];
  cfgs: number[];
  boards: [number, number];
  control: number;
  touchCap: number;
  eventCap: number;
}

/**
 * Lays out a sharded world of `shards` shards (see the module comment). Throws RangeError when
 * the layout exceeds the 4 GiB wasm32 memory.
 */
export function planSharded(config: WorldConfig, shards: number, exchange: 'tick' | 'pass' = 'tick'): ShardedPlan {
  const sizes = PhysicsWorld.sizesFor(config);
  const cap = sizes.capacity;
  const worldBytes = planWorld(sizes).bytes;
  // a shard reports each touching pair it holds at most twice (once per body it owns)
  const touchCap = 2 * sizes.contacts,
    eventCap = sizes.events;
  // records, owners, publishers, live list, versions; per shard: touch, events, counts, slot
  // list and its 2K + 1 bucket starts, handed entries and their K + 1 starts (64-byte aligned each)
  const boardBytes =
    BOARD_HEADER_SLOTS * 8 +
    cap * (BODY_RECORD_BYTES + 20) +
    shards * (touchCap * (TOUCH_BYTES + 12) + eventCap * EVENT_BYTES + 16 + cap * 4 + (3 * shards + 2) * 4) +
    20 * 64;
  const room = 2 * touchCap;
  const regions: Array<[string, number]> = [];
  for (let k = 0; k < shards; k++) regions.push([`world${k}`, worldBytes]);
  regions.push(['board0', boardBytes], ['board1', boardBytes]);
  regions.push(['overlayRec', cap * BODY_RECORD_BYTES], ['overlayTick', cap * 4], ['overlayOwner', cap * 4], ['overlayList', cap * 4]);
  regions.push(['statics', (cap + 1) * 4], ['near', shards * (shards + 1) * 4]);
  for (let k = 0; k < shards; k++) {
    regions.push([`cfg${k}`, SHARD_CFG_SLOTS * 8], [`owned${k}`, cap], [`list${k}`, cap * 4], [`counts${k}`, (Math.max(cap, 1 << 16) + 2) * 4]);
    regions.push([`held${k}`, cap * 4], [`mark${k}`, cap * 4], [`slots${k}`, 2 * cap * 4], [`shards${k}`, (2 * shards + 1) * 4]);
    regions.push([`importVersion${k}`, cap * 8], [`local${k}`, cap * 4]);
    regions.push([`scrA${k}`, room * TOUCH_BYTES], [`scrB${k}`, room * TOUCH_BYTES], [`scrC${k}`, room * TOUCH_BYTES]);
  }
  regions.push(['cuts', 8 * 64], ['control', CONTROL_WORDS * 4]);
  // per-pass exchange: two buffers of the exchanged part of STATE, dense per shard, and each
  // border participant's place in its owner's buffer (shard.ts "the tick in phases")
  if (exchange === 'pass') regions.push(['passState', 2 * shards * cap * PASS_BYTES], ['passIndex', cap * 4]);
  const layout = planLayout(regions);
  const at = (name: string): number => layout.regions[name].offset;
  return {
    layout,
    shards,
    capacity: cap,
    touchCap,
    eventCap,
    worlds: Array.from({ length: shards }, (_, k) => at(`world${k}`)),
    cfgs: Array.from({ length: shards }, (_, k) => at(`cfg${k}`)),
    boards: [at('board0'), at('board1')],
    control: at('control'),
  };
}
