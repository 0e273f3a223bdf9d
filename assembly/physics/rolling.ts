// Rolling resistance of spheres on static ground.
//
// A sphere that rolls without slipping loses no energy to friction, so without rolling
// resistance a ball on a floor rolls forever and never sleeps (the demo world's collapsed
// pyramid did), and nothing at all stops a ball spinning in place about the contact normal.
// Against each overlapping static contact the position pass also slows the sphere's
// rotation in the substep (rolling about the tangent axes and spinning about the normal
// alike) by at most ROLLING * corr * r * m / I radians, where corr is the contact's normal
// correction of the substep (N h^2 / m: g h^2 for a ball at rest on a floor) and r its lever
// arm: the angle a torque of ROLLING * N * r turns it by in the substep, the usual
// rolling-resistance model (coefficient ROLLING, dimensionless; 0 switches it off). Static
// friction then brings the ball's linear motion along: a ball rolling down a slope of angle
// a accelerates at 5/7 g (sin a - ROLLING cos a) (test/physics.test.ts). The limit never
// reverses the rotation (clamped to it).
//
// Locality: reads only the sphere's own substep rotation (RX - SRX: solver.ts keeps RX
// as the rotation since the tick start) and the contact's constants and
// correction; the result goes into the sphere's Jacobi accumulator like the friction torque,
// so it is part of the contact's hop and adds nothing to the interaction range.

import { P_STATE, S_RX, S_RY, S_RZ, S_SRX, S_SRY, S_SRZ, S_INV_MASS, S_INV_INERTIA, C_ARM_I, H_ROLLING } from './layout';
import { hdr } from './world';
import { lengthOfSq } from './collide';
import { div } from '../math/fixed';

/** The rotation correction of the last rollingCorrection call (Q32 rad; module globals). */
export let rollX: i64 = 0, rollY: i64 = 0, rollZ: i64 = 0;

// @ts-ignore: decorator
@inline function rs16(p: i64): i64 { return (p + 0x8000) >> 16; }

/**
 * Rolling resistance of sphere i against the static contact c with normal correction corr
 * (Q32 m) in this substep: sets rollX/Y/Z to the change of i's substep rotation (Q32 rad),
 * zero when ROLLING is 0, the arm is 0 or the sphere does not turn.
 */
export function rollingCorrection(c: usize, i: i32, corr: i64): void {
  rollX = 0; rollY = 0; rollZ = 0;
  const roll = hdr(H_ROLLING), arm = <i64>load<i32>(c, C_ARM_I);
  if (roll == 0 || arm <= 0 || corr <= 0) return;
  const s = P_STATE + (<usize>i << 8);
  const rx = load<i64>(s + <usize>S_RX) - load<i64>(s + <usize>S_SRX), ry = load<i64>(s + <usize>S_RY) - load<i64>(s + <usize>S_SRY), rz = load<i64>(s + <usize>S_RZ) - load<i64>(s + <usize>S_SRZ);
  if ((rx | ry | rz) == 0) return;
  let tx = rx, ty = ry, tz = rz;
  // the angle a torque ROLLING N r turns the sphere by in a substep: ROLLING corr r m / I
  // (corr = N h^2 / m for the static contact, which moves only the sphere), Q32 rad
  const im = load<i64>(s + <usize>S_INV_MASS), ii = load<i64>(s + <usize>S_INV_INERTIA);
  if (im <= 0 || ii <= 0) return;
  const lim = (((rs16(corr * roll) * arm) >> 16) * ii) / im;
  // compare |t| with the limit at a scale where the squares fit (the ratio is scale-free)
  const sh: i64 = ((abs<i64>(tx) | abs<i64>(ty) | abs<i64>(tz) | lim) >> 30) != 0 ? 16 : 0;
  const sx = tx >> sh, sy = ty >> sh, sz = tz >> sh, sl = lim >> sh;
  const t2 = sx * sx + sy * sy + sz * sz;
  if (t2 > sl * sl) {
    const f = div(sl, lengthOfSq(t2));                 // Q16 ratio < 1
    tx = rs16(tx * f); ty = rs16(ty * f); tz = rs16(tz * f);
  }
  rollX = -tx; rollY = -ty; rollZ = -tz;
}
