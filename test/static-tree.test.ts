/**
 * The static tree (assembly/physics/static-tree.ts): static boxes in a BVH, planes in a list.
 * Guarantees tested here:
 * - on random scenes (seeded fast-check), a world searching statics through the tree and a
 *   world scanning every static box (a tree of one leaf: HEADER.STATIC_LEAF at least the box
 *   count) produce the same contacts, in the same order, and the same state hash at every
 *   tick, while statics are added, moved and removed between ticks (rebuilds);
 * - raycasts (closest and all hits) and sphere / box overlaps return the same handles in the
 *   same order through the tree as by the scan, and their static-box hits equal a BigInt
 *   reference written from the exact tests (no core code involved);
 * - the tree is built once for statics that never change, and again after each change;
 * - work counters: a body among 10,000 static boxes tests a handful of them per step (the scan
 *   tests all 10,000), and so do short queries;
 * - a world with many statics continues bit for bit after save/restore, and 2 shards (in this
 *   thread, and saved and restored) give the unsharded world's hash at every tick.
 */
import fc from 'fast-check';
import { PhysicsWorld, type BodyHandle } from '../src/physics/world';
import { ShardedWorld } from '../src/physics/sharded';
import { HEADER, CONTACT, CONTACT_BYTES } from '../src/physics/world-layout';
import { normalizeRaw, toRaw, toRawVec } from '../src/physics/integer';
import { mulberry32, roundDiv } from './helpers/bigref';
import { unit } from './helpers/scenes';

type V3 = [number, number, number];

/** Sets the static tree's leaf size (0 = default) and forces a rebuild before the next use. */
function setLeaf(w: PhysicsWorld, leaf: number): void {
  const h = w.core.i64(),
    b = w.base >> 3;
  h[b + HEADER.STATIC_LEAF] = BigInt(leaf);
  h[b + HEADER.STATIC_DIRTY] = 1n;
}
/** Scan mode on or off: every step and query tests every static box (the brute-force reference), or goes through the tree. */
function setScan(w: PhysicsWorld, on: boolean): void {
  const h = w.core.i64(),
    b = w.base >> 3;
  h[b + HEADER.STATIC_SCAN] = on ? 1n : 0n;
  h[b + HEADER.STATIC_DIRTY] = 1n;
}

/** The (I, J) slot pairs of the last step's contact list, in order. */
function contactPairs(w: PhysicsWorld): string {
  const i32 = new Int32Array(w.core.memory.buffer);
  const at = (w.base + w.plan.offsets.CONTACTS) >> 2;
  const n = w.contactCount,
    out: number[] = [];
  for (let k = 0; k < n; k++) {
    const c = at + (k * CONTACT_BYTES) / 4;
    out.push(i32[c + CONTACT.I / 4], i32[c + CONTACT.J / 4]);
  }
  return out.join(',');
}

const num = (w: PhysicsWorld, slot: number): number => Number(w.header(slot));

/** A static box as the BigInt reference sees it (raw centre and half extents). */
interface RefBox {
  h: BodyHandle;
  c: bigint[];
  e: bigint[];
  layer: number;
}

/**
 * Builds the same random scene into each world; returns the static boxes it added and a
 * mutator for between ticks. `snap`: positions and sizes on a 1/4 m grid (with a 1/4 m
 * margin, so contact reaches land on it too), making the boundary cases of the tree's
 * interval tests (a reach or a query that exactly touches a box) common.
 */
function randomScene(worlds: PhysicsWorld[], seed: number, snap: boolean): { boxes: RefBox[]; mutate: () => void; rng: () => number } {
  const rng = mulberry32(seed);
  const q = (x: number): number => (snap ? Math.round(x * 4) / 4 : x);
  const r = (lo: number, hi: number): number => q(lo + (hi - lo) * unit(rng));
  const size = (lo: number, hi: number): number => Math.max(r(lo, hi), snap ? 0.25 : lo);
  const pick = <T>(xs: T[]): T => xs[Math.floor(unit(rng) * xs.length)];
  const boxes: RefBox[] = [];
  const addBox = (): void => {
    const big = unit(rng) < 0.08;
    const c: V3 = big ? [r(-20, 20), r(-2, 0), r(-20, 20)] : [r(-15, 15), r(0, 8), r(-15, 15)];
    const e: V3 = big ? [size(10, 100), size(0.2, 1), size(10, 100)] : [size(0.05, 2), size(0.05, 2), size(0.05, 2)];
    const layer = pick([1, 2, 3]),
      mask = pick([-1, 1, 2, 3]),
      restitution = r(0, 0.8);
    let h = 0n;
    for (const w of worlds) h = w.addBox({ position: c, half: e, layer, mask, friction: 0.5, restitution });
    boxes.push({ h, c: c.map(toRaw), e: e.map(toRaw), layer });
  };
  const nb = 20 + Math.floor(unit(rng) * 200);
  for (let k = 0; k < nb; k++) addBox();
  const planes = Math.floor(unit(rng) * 3);
  for (let k = 0; k < planes; k++) {
    const n: V3 = k === 0 ? [0, 1, 0] : [r(-0.5, 0.5), 1, r(-0.5, 0.5)];
    const offset = r(-3, 0),
      layer = pick([1, 2, 3]);
    for (const w of worlds) w.addPlane({ normal: n, offset, layer });
  }
  // static spheres (the API allows them): tested always, as planes are
  const still = Math.floor(unit(rng) * 3);
  for (let k = 0; k < still; k++) {
    const p: V3 = [r(-12, 12), r(0, 6), r(-12, 12)],
      radius = size(0.2, 0.5),
      layer = pick([1, 2, 3]);
    for (const w of worlds) w.addSphere({ position: p, radius, kind: 'static', layer });
  }
  const nm = 40 + Math.floor(unit(rng) * 80);
  for (let k = 0; k < nm; k++) {
    const p: V3 = [r(-14, 14), r(1, 14), r(-14, 14)];
    // some fast enough for the substep sweep (more than half the radius per substep)
    const fast = unit(rng) < 0.2;
    const v: V3 = fast ? [r(-60, 60), r(-80, 0), r(-60, 60)] : [r(-3, 3), r(-3, 3), r(-3, 3)];
    const layer = pick([1, 2, 3]),
      mask = pick([-1, 1, 2, 3]);
    const kind = unit(rng) < 0.1 ? 'capsule' : 'sphere',
      radius = size(0.15, 0.5);
    for (const w of worlds) {
      if (kind === 'capsule') w.addCapsule({ position: p, velocity: v, radius: 0.25, halfHeight: 0.25, layer, mask });
      else w.addSphere({ position: p, velocity: v, radius, layer, mask });
    }
  }
  // bullets: fast spheres aimed at a box, within a radius of its faces (grazing hits), which
  // the substep sweep must catch against the right box
  const bullets = 10 + Math.floor(unit(rng) * 20);
  for (let k = 0; k < bullets && boxes.length > 0; k++) {
    const b = pick(boxes),
      radius = size(0.1, 0.5);
    const target = [0, 1, 2].map((a) => Number(b.c[a]) / 65536 + (unit(rng) * 2 - 1) * (Number(b.e[a]) / 65536 + radius));
    const dir = [r(-1, 1), r(-1, 1), r(-1, 1)];
    const len = Math.hypot(dir[0], dir[1], dir[2]) || 1;
    const dist = r(1, 4),
      speed = r(40, 120);
    const p = target.map((t, a) => q(t - (dir[a] / len) * dist)) as V3;
    const v = dir.map((d) => (d / len) * speed) as V3;
    for (const w of worlds) w.addSphere({ position: p, velocity: v, radius, restitution: 0.5 });
  }
  const mutate = (): void => {
    const op = unit(rng);
    if (op < 0.4 || boxes.length < 5) addBox();
    else if (op < 0.7) {
      const k = Math.floor(unit(rng) * boxes.length);
      for (const w of worlds) w.remove(boxes[k].h);
      boxes.splice(k, 1);
    } else {
      const b = pick(boxes);
      const p: V3 = [r(-15, 15), r(0, 8), r(-15, 15)];
      for (const w of worlds) w.setPosition(b.h, p);
      b.c = p.map(toRaw);
    }
  };
  return { boxes, mutate, rng };
}

const CONFIG = { capacity: 700, maxBodyRadius: 0.5, sleep: { enabled: true } };
const config = (snap: boolean) => (snap ? { ...CONFIG, margin: 0.25 } : CONFIG);

describe('static tree against a scan of every static', () => {
  test('random scenes: same contacts and hash at every tick, statics changing between ticks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.boolean(), fc.integer({ min: 0, max: 12 }), (seed, snap, leaf) => {
        const tree = PhysicsWorld.create(config(snap)),
          scan = PhysicsWorld.create(config(snap));
        setLeaf(tree, leaf); // any leaf size: the tree's shape never shows in the results
        setScan(scan, true);
        const { mutate } = randomScene([tree, scan], seed, snap);
        let treeTests = 0,
          scanTests = 0;
        for (let t = 0; t < 40; t++) {
          if (t % 8 === 7) for (let k = 0; k < 3; k++) mutate();
          tree.step();
          scan.step();
          expect(contactPairs(tree)).toBe(contactPairs(scan));
          expect(tree.hash()).toBe(scan.hash());
          treeTests += num(tree, HEADER.STATIC_TESTS);
          scanTests += num(scan, HEADER.STATIC_TESTS);
        }
        expect(tree.contactCount).toBeGreaterThan(0);
        expect(treeTests).toBeLessThan(scanTests);
      }),
      { seed: 1616, numRuns: 24 },
    );
  });

  test('random scenes: raycasts and overlaps give the same handles in the same order, and the reference static hits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.boolean(), (seed, snap) => {
        const w = PhysicsWorld.create(config(snap));
        const { boxes, mutate, rng } = randomScene([w], seed, snap);
        const r = (lo: number, hi: number): number => (snap ? Math.round((lo + (hi - lo) * unit(rng)) * 4) / 4 : lo + (hi - lo) * unit(rng));
        // snapped scenes cast along the axes half the time: rays that graze box faces exactly
        const axes: V3[] = [
          [1, 0, 0],
          [-1, 0, 0],
          [0, 1, 0],
          [0, -1, 0],
          [0, 0, 1],
          [0, 0, -1],
        ];
        w.step(10);
        for (let k = 0; k < 4; k++) mutate();
        const isBox = new Set(boxes.map((b) => b.h));
        const both = <T>(q: () => T): [T, T] => {
          setScan(w, false);
          const a = q();
          setScan(w, true);
          const b = q();
          return [a, b];
        };
        let hits = 0;
        for (let q = 0; q < 25; q++) {
          const mask = [-1, 1, 2, 3][q % 4];
          const o: V3 = [r(-20, 20), r(-2, 12), r(-20, 20)];
          const d: V3 = snap && q % 2 === 0 ? axes[(q >> 1) % 6] : [r(-1, 1), r(-1, 1), r(-1, 1)];
          if (d[0] === 0 && d[1] === 0 && d[2] === 0) d[1] = -1;
          const maxT = r(1, 60);
          const [closest, closestScan] = both(() => w.raycast(o, d, maxT, { mask }));
          expect(closest).toEqual(closestScan);
          const [all, allScan] = both(() => w.raycast(o, d, maxT, { all: true, mask }));
          expect(all).toEqual(allScan);
          expect(all.filter((h) => isBox.has(h.body)).map((h) => h.body)).toEqual(refRay(boxes, o, d, maxT, mask));
          if (all.length > 0) expect(closest).toEqual([all[0]]);
          const c: V3 = [r(-16, 16), r(-1, 10), r(-16, 16)];
          const rad = r(0, 4);
          const [sph, sphScan] = both(() => w.overlapSphere(c, rad, mask));
          expect(sph).toEqual(sphScan);
          expect(sph.filter((h) => isBox.has(h))).toEqual(refSphere(boxes, c, rad, mask));
          const e: V3 = [r(0, 4), r(0, 4), r(0, 4)];
          const [box, boxScan] = both(() => w.overlapBox(c, e, mask));
          expect(box).toEqual(boxScan);
          expect(box.filter((h) => isBox.has(h))).toEqual(refBox(boxes, c, e, mask));
          hits += all.length + sph.length + box.length;
        }
        expect(hits).toBeGreaterThan(0);
      }),
      { seed: 1617, numRuns: 24 },
    );
  });
});

// ---- BigInt reference for static boxes (the exact tests of assembly/physics/query.ts) ----

const slotOf = (h: BodyHandle): bigint => h & 0xffffffffn;
const bySlot = (a: RefBox, b: RefBox): number => (slotOf(a.h) < slotOf(b.h) ? -1 : 1);
const div = (a: bigint, b: bigint): bigint => roundDiv(a << 16n, b);

function refBox(boxes: RefBox[], c: V3, e: V3, mask: number): BodyHandle[] {
  const cr = c.map(toRaw),
    er = e.map(toRaw);
  const abs = (x: bigint): bigint => (x < 0n ? -x : x);
  return [...boxes]
    .filter((b) => (b.layer & mask) !== 0 && [0, 1, 2].every((a) => abs(b.c[a] - cr[a]) <= b.e[a] + er[a]))
    .sort(bySlot)
    .map((b) => b.h);
}

function refSphere(boxes: RefBox[], c: V3, rad: number, mask: number): BodyHandle[] {
  const s = c.map(toRaw),
    R = toRaw(Math.max(rad, 0));
  const clamp = (x: bigint, lo: bigint, hi: bigint): bigint => (x < lo ? lo : x > hi ? hi : x);
  return [...boxes]
    .filter((b) => {
      if ((b.layer & mask) === 0) return false;
      const d2 = [0, 1, 2].reduce((acc, a) => {
        const d = s[a] - clamp(s[a], b.c[a] - b.e[a], b.c[a] + b.e[a]);
        return acc + d * d;
      }, 0n);
      return d2 <= R * R;
    })
    .sort(bySlot)
    .map((b) => b.h);
}

/** rayBox of query.ts (slab method, div rounded to nearest): entry t, or -1. */
function rayBoxRef(o: readonly bigint[], d: readonly bigint[], b: RefBox, maxT: bigint): bigint {
  let tmin = 0n,
    tmax = maxT;
  for (let a = 0; a < 3; a++) {
    const oa = o[a] - b.c[a],
      e = b.e[a];
    if (d[a] === 0n) {
      if (oa < -e || oa > e) return -1n;
      continue;
    }
    let t1 = div(-e - oa, d[a]),
      t2 = div(e - oa, d[a]);
    if (t1 > t2) [t1, t2] = [t2, t1];
    if (t1 > tmin) tmin = t1;
    if (t2 < tmax) tmax = t2;
    if (tmin > tmax) return -1n;
  }
  return tmin;
}

function refRay(boxes: RefBox[], o: V3, dir: V3, maxT: number, mask: number): BodyHandle[] {
  const or = o.map(toRaw),
    d = normalizeRaw(toRawVec(dir)),
    mt = toRaw(maxT);
  return boxes
    .filter((b) => (b.layer & mask) !== 0)
    .map((b) => ({ b, t: rayBoxRef(or, d, b, mt) }))
    .filter((x) => x.t >= 0n && x.t <= mt)
    .sort((x, y) => (x.t !== y.t ? (x.t < y.t ? -1 : 1) : bySlot(x.b, y.b)))
    .map((x) => x.b.h);
}

// ---- builds and work ----

/** A level: n static crates (1 m) on a 2 m grid on a 200 m floor box, and spheres falling onto it. */
function level(w: { addBox: PhysicsWorld['addBox']; addSphere: PhysicsWorld['addSphere'] }, crates: number, spheres: number): BodyHandle[] {
  w.addBox({ position: [0, -1, 0], half: [100, 1, 100], friction: 0.5 });
  const side = Math.ceil(Math.sqrt(crates));
  for (let k = 0; k < crates; k++) {
    const x = (k % side) - side / 2,
      z = Math.floor(k / side) - side / 2;
    w.addBox({ position: [2 * x, 0.5, 2 * z], half: [0.5, 0.5, 0.5], friction: 0.5 });
  }
  const out: BodyHandle[] = [];
  for (let k = 0; k < spheres; k++) out.push(w.addSphere({ position: [(k % 7) * 1.3 - 4, 3 + (k % 3), Math.floor(k / 7) * 1.3 - 4], radius: 0.4 }));
  return out;
}

describe('static tree builds and work', () => {
  test('built once for statics that never change, again after each change', () => {
    const w = PhysicsWorld.create({ capacity: 200, maxBodyRadius: 0.5 });
    level(w, 100, 10);
    expect(num(w, HEADER.STATIC_BUILDS)).toBe(0); // lazy: nothing is built before a use
    w.step(30);
    w.raycast([0, 10, 0], [0, -1, 0], 20);
    w.overlapSphere([0, 1, 0], 3);
    expect(num(w, HEADER.STATIC_BUILDS)).toBe(1);
    // the 200 m floor is large (more than 8 x the mean half extent): tested by every body, out of the tree
    expect(num(w, HEADER.STATIC_BOXES)).toBe(100);
    expect(num(w, HEADER.STATIC_OTHERS)).toBe(1);
    expect(num(w, HEADER.STATIC_NODE_COUNT)).toBeLessThanOrEqual(99); // at most boxes - 1 nodes
    const crate = w.addBox({ position: [50, 0.5, 50], half: [0.5, 0.5, 0.5] });
    w.step(5);
    expect(num(w, HEADER.STATIC_BUILDS)).toBe(2);
    w.setPosition(crate, [60, 0.5, 60]);
    expect(w.overlapBox([60, 0.5, 60], [0.1, 0.1, 0.1])).toEqual([crate]); // the query sees the moved crate
    expect(num(w, HEADER.STATIC_BUILDS)).toBe(3);
    w.remove(crate);
    expect(w.overlapBox([60, 0.5, 60], [0.1, 0.1, 0.1])).toEqual([]);
    w.step(5);
    expect(num(w, HEADER.STATIC_BUILDS)).toBe(4);
    w.addSphere({ position: [0, 5, 0], radius: 0.3 }); // moving bodies do not touch the tree
    w.step(5);
    expect(num(w, HEADER.STATIC_BUILDS)).toBe(4);
  });

  test('an overlap that covers every body of a full world returns them all in slot order (box candidates and hits share HITS)', () => {
    // query.ts writes the box candidates at the end of the HITS area (capacity x 16 bytes) and the
    // hits from its start: with every slot a box and every box hit, the two meet exactly
    for (const spheres of [0, 3]) {
      const boxes = 300;
      const w = PhysicsWorld.create({ capacity: boxes + spheres, maxBodyRadius: 0.5, sleep: { enabled: false } });
      const all: BodyHandle[] = [];
      for (let k = 0; k < boxes; k++) all.push(w.addBox({ position: [(k % 20) * 2, 0.5, Math.floor(k / 20) * 2], half: [0.5, 0.5, 0.5] }));
      for (let k = 0; k < spheres; k++) all.push(w.addSphere({ position: [k * 3, 3, 1], radius: 0.4 }));
      all.sort((a, b) => (slotOf(a) < slotOf(b) ? -1 : 1));
      expect(w.overlapBox([20, 1, 15], [30, 5, 30])).toEqual(all);
      expect(w.overlapSphere([20, 1, 15], 60)).toEqual(all);
      expect(num(w, HEADER.QUERY_TESTS)).toBe(boxes + spheres);
      setScan(w, true);
      expect(w.overlapBox([20, 1, 15], [30, 5, 30])).toEqual(all);
    }
  });

  test('a body among 10,000 static boxes tests a handful of them per step; the scan tests all', () => {
    const figures = (crates: number, scan: boolean) => {
      const w = PhysicsWorld.create({ capacity: crates + 32, maxBodyRadius: 0.5, sleep: { enabled: false } });
      level(w, crates, 10);
      setScan(w, scan);
      let tests = 0,
        visits = 0,
        maxTests = 0;
      const ticks = 60;
      for (let t = 0; t < ticks; t++) {
        w.step();
        tests += num(w, HEADER.STATIC_TESTS);
        visits += num(w, HEADER.STATIC_VISITS);
        maxTests = Math.max(maxTests, num(w, HEADER.STATIC_TESTS));
      }
      const q = [
        () => w.raycast([0.3, 10, 0.2], [0, -1, 0], 20),
        () => w.raycast([-10, 0.5, 0.1], [1, 0, 0.05], 20, { all: true }),
        () => w.overlapSphere([0, 0.5, 0], 2),
        () => w.overlapBox([3, 0.5, 3], [1.5, 1, 1.5]),
      ].map((f) => {
        f();
        return [num(w, HEADER.QUERY_TESTS), num(w, HEADER.QUERY_VISITS)];
      });
      return { w, testsPerBody: tests / ticks / 10, visitsPerBody: visits / ticks / 10, maxTests, q };
    };
    const big = figures(10_000, false),
      small = figures(10, false),
      scan = figures(10_000, true);
    console.log(
      `static work per body per step: 10,000 boxes ${big.testsPerBody.toFixed(1)} tests, ${big.visitsPerBody.toFixed(1)} nodes; ` +
        `10 boxes ${small.testsPerBody.toFixed(1)} tests, ${small.visitsPerBody.toFixed(1)} nodes; most in one step: ${big.maxTests} (scan ${scan.maxTests}). ` +
        `queries [tests, nodes]: ${JSON.stringify(big.q)} (scan ${JSON.stringify(scan.q)})`,
    );
    expect(big.w.hash()).toBe(scan.w.hash());
    expect(scan.testsPerBody).toBeGreaterThanOrEqual(10_001); // the scan tests every box for every body
    expect(big.maxTests).toBeLessThan(10 * 16);
    expect(big.testsPerBody).toBeLessThan(16);
    expect(big.visitsPerBody).toBeLessThan(64);
    // each body keeps the boxes near it (static-tree.ts staticBoxesNear): a body that stays
    // within its cached box walks no node (without the cache: about 25 nodes per body per step)
    expect(big.visitsPerBody).toBeLessThan(4);
    for (const [tests, visits] of big.q) {
      expect(tests).toBeLessThan(10 + 40); // the 10 moving bodies, plus a few boxes
      expect(visits).toBeLessThan(200);
    }
    for (const [tests] of scan.q) expect(tests).toBeGreaterThan(10_000);
  });
});

describe('many statics: save/restore and shards', () => {
  const config = { capacity: 2200, maxBodyRadius: 0.5, sleep: { enabled: false } };
  test('a restored world continues bit for bit', () => {
    const w = PhysicsWorld.create(config);
    level(w, 2000, 120);
    w.step(40);
    const r = PhysicsWorld.restore(w.save());
    for (let t = 0; t < 40; t++) {
      w.step();
      r.step();
      expect(r.hash()).toBe(w.hash());
    }
    expect(num(r, HEADER.STATIC_BUILDS)).toBe(1); // the tree came with the bytes
  });

  test('2 shards, and 2 shards saved and restored, give the unsharded hash at every tick', () => {
    const whole = PhysicsWorld.create(config);
    level(whole, 2000, 120);
    const sharded = new ShardedWorld(config, { xCuts: [0.3], zCuts: [] });
    level(sharded, 2000, 120);
    let restored: ShardedWorld | null = null;
    for (let t = 0; t < 80; t++) {
      if (t === 40) restored = ShardedWorld.restore(config, { xCuts: [0.3], zCuts: [] }, sharded.save());
      whole.step();
      sharded.step();
      restored?.step();
      expect(sharded.hash()).toBe(whole.hash());
      if (restored) expect(restored.hash()).toBe(whole.hash());
    }
  });
});
