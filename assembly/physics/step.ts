// One tick of the world, contact events and the state hash.
//
//   worldStep:  buildContacts (collide.ts) -> solveTick (solver.ts) -> contact events -> tick + 1
//
// Contact events: the touching set of a tick is every contact that overlapped in at least
// one substep, keyed (tag I << 32) | tag J with both generations (world.ts tagOf: slots,
// except in shard worlds). Contacts are produced in (I, J) tag order, so the set is sorted; merging it with the previous tick's set gives END (in the old
// set only, or the slot's generation changed) and BEGIN events, in key order.
//
// State hash: xxHash64 chained over one record per live body in slot order (slot,
// generation, every simulated field: transfer.ts's body record) and then over the touching
// set, seeded with the tick.
// Two worlds with the same hash have the same bodies, states and contact memory. The static
// geometry (heightfields and meshes, GEOMETRY) is chained after them, as its digest, when a
// world has any.
// The hash costs O(live bodies): it is computed on demand (PhysicsWorld.hash), never by the
// step. (The serve path hashes every tick through ShardedWorld.hash, shard.ts boardHash,
// which walks the board's slots: the sharded world's cost, not this one's.)

import {
  P_GENERATION, P_FLAGS, P_TOUCH, P_PREV_TOUCH, P_EVENTS, P_HASH_REC,
  H_TICK, H_STATUS, H_HIGH_WATER, H_CONTACT_COUNT, H_TOUCH_COUNT, H_PREV_TOUCH_COUNT,
  H_EVENT_COUNT, H_EVENT_CAPACITY, H_WORK,
  C_I, C_J, C_FLAGS, CF_TOUCHED, T_KEY, T_I_GEN, T_J_GEN, TOUCH_BYTES,
  EV_KIND, EV_A, EV_A_GEN, EV_B, EV_B_GEN, EVENT_BYTES, EVENT_BEGIN, EVENT_END,
  STATUS_EVENT_OVERFLOW, FLAG_LIVE, H_JOINT_HIGH_WATER, P_JOINTS, JOINT_BYTES, H_GEOMETRY_USED, H_GEOMETRY_DIGEST, H_GEOMETRY_DIGEST_WORDS, P_GEOMETRY,
} from './layout';
import { g32, hdr, setHdr, movingChanged, tagOf } from './world';
import { buildContacts, contactAt } from './collide';
import { solveTick } from './solver';
import { xxh64 } from '../hash/xxhash64';
import { writeBodyRecord } from './transfer';
import { jointsWake } from './joints';

function pushEvent(kind: i32, key: u64, genA: u32, genB: u32): void {
  const n = <i32>hdr(H_EVENT_COUNT);
  if (<i64>n >= hdr(H_EVENT_CAPACITY)) { setHdr(H_STATUS, hdr(H_STATUS) | STATUS_EVENT_OVERFLOW); return; }
  const e = P_EVENTS + <usize>n * EVENT_BYTES;
  store<u32>(e, kind, EV_KIND);
  store<u32>(e, <u32>(key >> 32), EV_A); store<u32>(e, genA, EV_A_GEN);
  store<u32>(e, <u32>key, EV_B); store<u32>(e, genB, EV_B_GEN);
  setHdr(H_EVENT_COUNT, n + 1);
}

/** Collects the touching set and emits BEGIN / END events against the previous tick's set. */
function contactEvents(): void {
  const count = <i32>hdr(H_CONTACT_COUNT);
  let t = 0;
  for (let k = 0; k < count; k++) {
    const c = contactAt(k);
    if ((load<i32>(c, C_FLAGS) & CF_TOUCHED) == 0) continue;
    const i = load<i32>(c, C_I), j = load<i32>(c, C_J);
    const key = (<u64><u32>tagOf(i) << 32) | <u64><u32>tagOf(j);
    // a pair with several contacts (a heightfield or mesh: terrain.ts) touches once; its
    // contacts are adjacent (grouped by I, sorted by J), so the last entry is the one to check
    if (t > 0 && load<u64>(P_TOUCH + <usize>(t - 1) * TOUCH_BYTES, T_KEY) == key) continue;
    const r = P_TOUCH + <usize>t * TOUCH_BYTES;
    store<u64>(r, key, T_KEY);
    store<u32>(r, <u32>g32(P_GENERATION, i), T_I_GEN);
    store<u32>(r, <u32>g32(P_GENERATION, j), T_J_GEN);
    t++;
  }
  setHdr(H_TOUCH_COUNT, t);
  setHdr(H_EVENT_COUNT, 0);
  const p = <i32>hdr(H_PREV_TOUCH_COUNT);
  let a = 0, b = 0;
  while (a < p || b < t) {
    const ra = P_PREV_TOUCH + <usize>a * TOUCH_BYTES, rb = P_TOUCH + <usize>b * TOUCH_BYTES;
    const ka = a < p ? load<u64>(ra, T_KEY) : u64.MAX_VALUE;
    const kb = b < t ? load<u64>(rb, T_KEY) : u64.MAX_VALUE;
    if (a < p && (b >= t || ka < kb)) {
      pushEvent(EVENT_END, ka, load<u32>(ra, T_I_GEN), load<u32>(ra, T_J_GEN)); a++;
    } else if (b < t && (a >= p || kb < ka)) {
      pushEvent(EVENT_BEGIN, kb, load<u32>(rb, T_I_GEN), load<u32>(rb, T_J_GEN)); b++;
    } else {
      if (load<u64>(ra, T_I_GEN) != load<u64>(rb, T_I_GEN)) {   // both generations at once
        pushEvent(EVENT_END, ka, load<u32>(ra, T_I_GEN), load<u32>(ra, T_J_GEN));
        pushEvent(EVENT_BEGIN, kb, load<u32>(rb, T_I_GEN), load<u32>(rb, T_J_GEN));
      }
      a++; b++;
    }
  }
  memory.copy(P_PREV_TOUCH, P_TOUCH, <usize>t * TOUCH_BYTES);
  setHdr(H_PREV_TOUCH_COUNT, t);
}

/**
 * Advances the bound world by one tick. Afterwards HEADER.STATUS holds the status bits
 * (contact or event overflow), HEADER.EVENT_COUNT the contact events of the tick.
 */
export function worldStep(): void {
  worldStepBegin();
  buildContacts();
  solveTick();
  worldStepEnd();
}

/** Start of worldStep (status and work counters cleared); shard.ts runs the middle in phases. */
export function worldStepBegin(): void {
  setHdr(H_STATUS, 0);
  setHdr(H_WORK, 0);
  movingChanged();
  if (hdr(H_JOINT_HIGH_WATER) != 0) jointsWake();   // jointed bodies wake together (joints.ts), before the contact list
}

/** End of worldStep: contact events, then the tick counter. */
export function worldStepEnd(): void {
  contactEvents();
  setHdr(H_TICK, hdr(H_TICK) + 1);
}

/** The 64-bit state hash of the bound world (see the module comment). */
export function worldHash(): u64 {
  const hw = <i32>hdr(H_HIGH_WATER);
  let h: u64 = <u64>hdr(H_TICK);
  const r = P_HASH_REC;
  for (let i = 0; i < hw; i++) {
    const f = g32(P_FLAGS, i);
    if ((f & FLAG_LIVE) == 0) continue;
    h = xxh64(r, writeBodyRecord(i, r), h);
  }
  h = xxh64(P_PREV_TOUCH, <usize>hdr(H_PREV_TOUCH_COUNT) * TOUCH_BYTES, h);
  // static geometry (heightfields, meshes: terrain.ts), when any: the digest of its quantised
  // words (xxHash64, seed 0), so two worlds whose terrain differs never share a hash (worlds
  // without geometry hash as before). The digest is cached in the header (GEOMETRY_DIGEST, for
  // GEOMETRY_DIGEST_WORDS words: blocks are only appended), so a terrain of megabytes is read
  // once, not at every hash; ShardedWorld.hash chains the same 8 bytes.
  const geometry = hdr(H_GEOMETRY_USED);
  if (geometry > 0) {
    if (hdr(H_GEOMETRY_DIGEST_WORDS) != geometry) {
      setHdr(H_GEOMETRY_DIGEST, <i64>xxh64(P_GEOMETRY, <usize>geometry << 3, 0));
      setHdr(H_GEOMETRY_DIGEST_WORDS, geometry);
    }
    store<i64>(r, hdr(H_GEOMETRY_DIGEST));
    h = xxh64(r, 8, h);
  }
  // joints (joints.ts), when any: their records in index order (free entries are zero but for
  // their generation), so worlds without joints hash as before
  const joints = hdr(H_JOINT_HIGH_WATER);
  if (joints > 0) h = xxh64(P_JOINTS, <usize>joints * JOINT_BYTES, h);
  return h;
}
