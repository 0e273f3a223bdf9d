/**
 * Joints in interest (src/sim/interest.ts, protocol 3) against a brute-force reference: a view
 * holds exactly the joints whose bodies it holds (a world end always), the lowest maxJoints
 * indices of them, whichever way the publisher finds them (the world's joints looked up in the
 * view, or the view's bodies looked up as joint ends); deltas applied to the client's mirror give
 * the same joints as a snapshot of the same tick, while bodies wander in and out of the views.
 */
import { createBodyTable, type BodyTable } from '../src/physics/body-table';
import { InterestPublisher, applyToMirror, type Mirror } from '../src/sim/interest';
import { jointRow } from '../src/protocol/codec';
import { JOINT_KIND, type JointInfo } from '../src/protocol/messages';
import { mulberry32 } from './helpers/bigref';

/** n spheres at random (x, z) in [-40, 40] m, slot i with generation i % 3. */
function table(n: number, rng: () => number): BodyTable {
  const t = createBodyTable(n);
  t.count = n;
  for (let i = 0; i < n; i++) {
    t.index[i] = i;
    t.gen[i] = i % 3;
    t.px[i] = Math.floor((rng() / 2 ** 32) * 80 * 1024 - 40 * 1024);
    t.pz[i] = Math.floor((rng() / 2 ** 32) * 80 * 1024 - 40 * 1024);
    t.py[i] = 1024;
    t.qw[i] = 32767;
    t.sx[i] = 256;
    t.shard[i] = 0;
    t.asset[i] = -1;
  }
  return t;
}

/** `m` joints between random bodies of `n` (every third to the world), in index order. */
function joints(m: number, n: number, rng: () => number): JointInfo[] {
  return Array.from({ length: m }, (_, k) => {
    const a = rng() % n,
      b = rng() % n;
    const world = k % 3 === 0 || a === b;
    return {
      index: k,
      generation: k % 4,
      kind: world ? JOINT_KIND.HINGE : JOINT_KIND.BALL,
      flags: 0,
      a: { index: a, generation: a % 3 },
      b: world ? null : { index: b, generation: b % 3 },
      anchorA: [0, 512, 0],
      anchorB: [0, -512, 0],
      axisA: [0, 0, 0],
      axisB: [0, 0, 0],
      lower: 0,
      upper: 0,
      target: 0,
      minLength: 0,
      maxLength: 0,
    };
  });
}

const rowsOf = (list: JointInfo[]): Int32Array => Int32Array.from(list.flatMap(jointRow));

/** The reference: joints whose ends are bodies of the mirror (by slot and generation), the lowest `max` indices. */
function inView(all: JointInfo[], m: Mirror): number[] {
  const has = (h: { index: number; generation: number }): boolean => m.bodies.get(h.index)?.generation === h.generation;
  return all.filter((j) => has(j.a) && (j.b === null || has(j.b))).map((j) => j.index);
}

test.each([
  ['few joints, many bodies (the joints looked up in the view)', 2000, 40, 256],
  ['as many joints as bodies (both ways, by view size)', 1000, 1000, 4096],
  ['many joints, few bodies (the bodies looked up as joint ends)', 300, 3000, 256],
  ['many joints cut to maxJoints', 300, 3000, 7],
])('%s', (_name, nBodies, nJoints, maxJoints) => {
  const rng = mulberry32(nBodies + nJoints);
  const t = table(nBodies, rng);
  const all = joints(nJoints, nBodies, rng);
  const pub = new InterestPublisher({ cellSize: 16, maxJoints });
  pub.setJoints(rowsOf(all), all.length);
  const views = [pub.createView(0, 0, 1), pub.createView(-30, 20, 0), pub.createView(25, -25, 2)];
  const mirrors: Array<Mirror | null> = views.map(() => null);
  let entered = 0,
    left = 0,
    over = false;
  for (let tick = 1; tick <= 12; tick++) {
    t.tick = tick;
    // a tenth of the bodies jump somewhere else: joints leave and enter the views
    for (let i = 0; i < nBodies; i++)
      if (rng() / 2 ** 32 < 0.1) {
        t.px[i] = Math.floor((rng() / 2 ** 32) * 80 * 1024 - 40 * 1024);
        t.pz[i] = Math.floor((rng() / 2 ** 32) * 80 * 1024 - 40 * 1024);
      }
    pub.update(t);
    views.forEach((v, k) => {
      const msg = pub.messageFor(v).msg;
      const mirror = applyToMirror(mirrors[k], msg);
      mirrors[k] = mirror;
      pub.acknowledge(v, msg.tick);
      if (msg.kind === 'delta') {
        entered += msg.joints.length;
        left += msg.removedJoints.length;
      }
      // the mirror's joints are the reference's, with their full rows
      const held = inView(all, mirror);
      over ||= held.length > maxJoints;
      const want = held.slice(0, maxJoints);
      expect([...mirror.joints.keys()].sort((x, y) => x - y)).toEqual(want);
      for (const j of mirror.joints.values()) expect(j).toEqual(all[j.index]);
    });
  }
  expect(entered).toBeGreaterThan(0);
  expect(left).toBeGreaterThan(0);
  // views with more joints than maxJoints were cut, and only then
  expect(pub.jointsLeftOut > 0).toBe(over);
});
