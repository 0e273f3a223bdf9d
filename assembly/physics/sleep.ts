// Sleeping: when a body, and the pile it rests in, may stop being simulated, and when it wakes.
//
// Rest test (own state): a dynamic body rests in a tick when it moved less than SLEEP_SPEED * dt
// over the tick (its displacement, not its velocity: a body held in a pile can carry a
// velocity that its contacts cancel every substep, so the velocity of a body that does not
// move says little; the displacement is what a viewer sees) and a spinning sphere's rim speed
// |w| r is below SLEEP_SPEED.
//
// Rest counter (SLEEP_COUNT, part of the body record): the ticks a body has rested in a row,
// but never more than one above the least counter (at the start of the tick) among its
// partners: the non-static bodies it touched in the tick (contacts that overlapped in at
// least one substep, CF_TOUCHED; pairs merely within the margin do not link, so a carpet of
// balls lying a few cm apart is not one pile). A kinematic partner counts 0, a sleeping one
// its counter, which stays >= SLEEP_TICKS while it sleeps; statics do not count:
//
//   count(t+1) = resting ? min(count(t) + 1, min over partners p of count_p(t) + 1) : 0
//
// A body falls asleep when its counter reaches SLEEP_TICKS. A body's counter is therefore at
// most d + k where d is the hop distance to the nearest partner that moved k ticks ago: a pile
// sleeps when all of it has rested for SLEEP_TICKS ticks (every body within SLEEP_TICKS hops),
// the same tick for the whole pile when it settled at once, and never one body while its
// neighbour still moves. It is Box2D's island rule without an island: min propagates one
// contact hop per tick, so nothing walks a global graph.
//
// Wake (collide.ts wakePass, from the state at the start of the tick, over the broadphase
// pairs before the narrowphase, so a woken body gets its static contacts in the same tick):
// a sleeping body paired with a kinematic body, or with an awake body that moves (its counter
// is 0: it did not rest in its last tick, and its velocity is above SLEEP_SPEED), wakes. A
// body that rests beside a sleeping one does not wake it (its velocity may be the held
// velocity above; its counter says whether it moved), nor does one that was only pushed out
// of an overlap (moved, but has no velocity).
//
// Locality (DESIGN.md invariant 1): the partner minimum reads only SLEEP_COUNT and kind of
// the bodies in the body's own contacts (one contact hop) and whether the contact touched
// in the tick (a function of the two bodies' states within R, like every contact result);
// the counters read are those of state t (restPartners runs after the substeps and before
// finishTick writes any counter, so the order bodies are visited does not matter); the rest
// test reads the body's own result of the tick. All of it lies within the interaction range
// R of solver.ts, so a shard that holds the halo computes the same counters and the same
// sleep and wake decisions bit for bit. Integer minima do not depend on contact order.

import {
  P_PX, P_PY, P_PZ, P_X0X, P_X0Y, P_X0Z, P_VX, P_VY, P_VZ, P_WX, P_WY, P_WZ, P_RADIUS,
  P_KIND, P_FLAGS, P_SLEEP_COUNT,
  H_SLEEP_SPEED, H_SLEEP_TICKS,
  S_REST_MIN, C_I, C_J, C_FLAGS, CF_J_STATIC, CF_TOUCHED, KIND_DYNAMIC,
} from './layout';
import { g64, s64, g32, s32, hdr, fallAsleep, st } from './world';
import { contactAt, lengthOfSq } from './collide';
import { mul } from '../math/fixed';

/** The rest counter a partner shows at the start of the tick: kinematic 0, else SLEEP_COUNT. */
// @ts-ignore: decorator
@inline function partnerCount(j: i32): i32 {
  return g32(P_KIND, j) == KIND_DYNAMIC ? g32(P_SLEEP_COUNT, j) : 0;
}

/** Lowers body i's partner minimum (stored + 1 in STATE.REST_MIN; 0 = no partner yet) to c. */
// @ts-ignore: decorator
@inline function lowerMin(i: i32, c: i32): void {
  const a = st(i) + <usize>S_REST_MIN;
  const m = load<i32>(a);
  if (m == 0 || c + 1 < m) store<i32>(a, c + 1);
}

/**
 * Partner minima of the tick: for every pair of the contact list that touched in the tick
 * (static contacts do not count), each side's STATE.REST_MIN becomes min(itself, the other's
 * counter + 1). Reads the counters of state t: call after the substeps and before any
 * counter of the tick is written (finishTick).
 */
export function restPartners(count: i32): void {
  for (let k = 0; k < count; k++) {
    const c = contactAt(k);
    if ((load<i32>(c, C_FLAGS) & (CF_J_STATIC | CF_TOUCHED)) != CF_TOUCHED) continue;
    const i = load<i32>(c, C_I), j = load<i32>(c, C_J);
    lowerMin(i, partnerCount(j));
    lowerMin(j, partnerCount(i));
  }
}

/**
 * End-of-tick sleep decision of the awake dynamic body i (its tick result already written to
 * PX.. and VX.., WX..): counts a resting tick (see the module comment) and puts the body to
 * sleep, velocities zeroed, when the counter reaches SLEEP_TICKS. dtQ16: the tick length.
 */
export function restBody(i: i32, dtQ16: i64): void {
  const speed = hdr(H_SLEEP_SPEED);
  const dx = g64(P_PX, i) - g64(P_X0X, i), dy = g64(P_PY, i) - g64(P_X0Y, i), dz = g64(P_PZ, i) - g64(P_X0Z, i);
  const reach = mul(speed, dtQ16);
  let resting = dx * dx + dy * dy + dz * dz <= reach * reach;
  const wx = g64(P_WX, i), wy = g64(P_WY, i), wz = g64(P_WZ, i);
  if (resting && (wx | wy | wz) != 0) resting = mul(lengthOfSq(wx * wx + wy * wy + wz * wz), g64(P_RADIUS, i)) <= speed;
  if (!resting) { s32(P_SLEEP_COUNT, i, 0); return; }
  let n = g32(P_SLEEP_COUNT, i) + 1;
  const m = load<i32>(st(i) + <usize>S_REST_MIN);          // least partner counter + 1, 0 = none
  if (m != 0 && m < n) n = m;
  s32(P_SLEEP_COUNT, i, n);
  if (n >= <i32>hdr(H_SLEEP_TICKS)) {
    fallAsleep(i);                                      // sets FLAG_SLEEPING: awake list -> sleep hash (world.ts)
    s64(P_VX, i, 0); s64(P_VY, i, 0); s64(P_VZ, i, 0);
    s64(P_WX, i, 0); s64(P_WY, i, 0); s64(P_WZ, i, 0);
  }
}
