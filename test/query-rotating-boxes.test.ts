/**
 * Queries against rotating boxes (assembly/physics/query.ts): raycasts, sphere overlaps and box
 * overlaps see a dynamic box as the oriented box it is, not as its unrotated extents. Checked
 * against an independent floating-point reference (ray and sphere in the box's frame, and the
 * separating axis test for two boxes) on random boxes and queries; cases within 2 mm of
 * touching are left out (the core rounds to 2^-16 m), and the unrotated answer is counted to
 * show that it would be wrong often.
 */
import { PhysicsWorld, type BodyHandle } from '../src/physics/world';
import { mulberry32 } from './helpers/bigref';

type V3 = [number, number, number];
type Q = [number, number, number, number];

/** v rotated by the unit quaternion q = (x, y, z, w). */
function rotate(q: Q, v: V3): V3 {
  const [x, y, z, w] = q;
  const tx = 2 * (y * v[2] - z * v[1]),
    ty = 2 * (z * v[0] - x * v[2]),
    tz = 2 * (x * v[1] - y * v[0]);
  return [v[0] + w * tx + (y * tz - z * ty), v[1] + w * ty + (z * tx - x * tz), v[2] + w * tz + (x * ty - y * tx)];
}
const conj = (q: Q): Q => [-q[0], -q[1], -q[2], q[3]];
const sub = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: V3, b: V3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

interface Box {
  c: V3;
  half: V3;
  q: Q;
}

/** Slab test in the box frame: entry distance, 0 inside, or -1. */
function rayRef(b: Box, o: V3, d: V3, maxT: number, grow = 0): number {
  const lo = rotate(conj(b.q), sub(o, b.c)),
    ld = rotate(conj(b.q), d);
  let t0 = 0,
    t1 = maxT;
  for (let a = 0; a < 3; a++) {
    const e = b.half[a] + grow;
    if (Math.abs(ld[a]) < 1e-12) {
      if (Math.abs(lo[a]) > e) return -1;
      continue;
    }
    let u = (-e - lo[a]) / ld[a],
      v = (e - lo[a]) / ld[a];
    if (u > v) [u, v] = [v, u];
    t0 = Math.max(t0, u);
    t1 = Math.min(t1, v);
    if (t0 > t1) return -1;
  }
  return t0;
}

/** Distance from p to the box (0 inside). */
function pointDist(b: Box, p: V3, grow = 0): number {
  const l = rotate(conj(b.q), sub(p, b.c));
  let s = 0;
  for (let a = 0; a < 3; a++) {
    const e = b.half[a] + grow;
    const d = Math.max(Math.abs(l[a]) - e, 0);
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Separating axis test of the oriented box against the AABB (centre, half), boxes grown by `grow`. */
function boxesOverlapRef(b: Box, c: V3, e: V3, grow = 0): boolean {
  const ax: V3[] = [rotate(b.q, [1, 0, 0]), rotate(b.q, [0, 1, 0]), rotate(b.q, [0, 0, 1])];
  const wx: V3[] = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  const axes: V3[] = [...wx, ...ax];
  for (const u of wx) for (const v of ax) axes.push(cross(u, v));
  const t = sub(b.c, c);
  for (const l of axes) {
    if (dot(l, l) < 1e-10) continue;
    const ra = (e[0] + grow) * Math.abs(l[0]) + (e[1] + grow) * Math.abs(l[1]) + (e[2] + grow) * Math.abs(l[2]);
    const rb = ax.reduce((s, a, k) => s + (b.half[k] + grow) * Math.abs(dot(a, l)), 0);
    if (Math.abs(dot(t, l)) > ra + rb) return false;
  }
  return true;
}

function randomQ(r: () => number): Q {
  const v: Q = [r() - 0.5, r() - 0.5, r() - 0.5, r() - 0.5];
  const n = Math.hypot(...v);
  return v.map((x) => x / n) as Q;
}

/** One rotating box at rest (no gravity, never stepped) in a fresh world. */
function world(b: Box): { w: PhysicsWorld; h: BodyHandle } {
  const w = PhysicsWorld.create({ capacity: 8, maxBodyRadius: 2, gravity: [0, 0, 0] });
  const h = w.addDynamicBox({ position: b.c, half: b.half, density: 1, orientation: b.q });
  return { w, h };
}

const EPS = 0.002;

describe('queries see a rotating box as the oriented box it is', () => {
  test('a plank turned 45 degrees about y: a ray finds it where it lies, not where its unrotated extents would be', () => {
    const s = Math.sin(Math.PI / 8),
      c = Math.cos(Math.PI / 8);
    // local x turns to (cos 45, 0, -sin 45): the plank lies along x = -z
    const { w, h } = world({ c: [0, 0, 0], half: [1, 0.1, 0.1], q: [0, s, 0, c] });
    // along +x at z = -0.5: the plank's far side |z' | <= 0.1 meets the ray at x = 0.5 - 0.1 sqrt 2
    const hit = w.raycast([-5, 0, -0.5], [1, 0, 0], 20);
    expect(hit).toHaveLength(1);
    expect(hit[0].body).toBe(h);
    expect(hit[0].t).toBeCloseTo(5 + 0.5 - 0.1 * Math.SQRT2, 3);
    // straight down at (0.9, 0): inside the unrotated extents, 0.64 m beside the turned plank
    expect(w.raycast([0.9, 5, 0], [0, -1, 0], 20)).toHaveLength(0);
    expect(w.overlapSphere([0.9, 0, 0], 0.05)).toHaveLength(0);
    expect(w.overlapBox([0.9, 0, 0], [0.05, 0.05, 0.05])).toHaveLength(0);
    expect(w.overlapSphere([0.5, 0, -0.5], 0.05)).toEqual([h]);
    expect(w.overlapBox([0.5, 0, -0.5], [0.05, 0.05, 0.05])).toEqual([h]);
  });

  test('random boxes and queries agree with a floating-point reference', () => {
    const u32 = mulberry32(18);
    const r = (): number => u32() / 2 ** 32;
    const counts = { rays: 0, rayHits: 0, spheres: 0, sphereHits: 0, boxes: 0, boxHits: 0, unrotatedWrong: 0 };
    for (let n = 0; n < 40; n++) {
      const b: Box = { c: [r() * 4 - 2, r() * 4 - 2, r() * 4 - 2], half: [0.1 + r(), 0.1 + r() * 0.5, 0.1 + r() * 0.3], q: randomQ(r) };
      const { w, h } = world(b);
      const unrotated: Box = { ...b, q: [0, 0, 0, 1] };
      for (let k = 0; k < 25; k++) {
        // rays from outside towards points near the box
        const target: V3 = [b.c[0] + (r() - 0.5) * 2, b.c[1] + (r() - 0.5) * 2, b.c[2] + (r() - 0.5) * 2];
        const o: V3 = [target[0] + (r() - 0.5) * 12, target[1] + (r() - 0.5) * 12, target[2] + (r() - 0.5) * 12];
        const dl = Math.hypot(...sub(target, o));
        const d = sub(target, o).map((x) => x / dl) as V3;
        const inner = rayRef(b, o, d, 30, -EPS),
          outer = rayRef(b, o, d, 30, EPS);
        if (inner < 0 === outer < 0) {
          const got = w.raycast(o, d, 30);
          counts.rays++;
          if (outer < 0) expect(got).toHaveLength(0);
          else {
            counts.rayHits++;
            expect(got.map((x) => x.body)).toEqual([h]);
            expect(Math.abs(got[0].t - rayRef(b, o, d, 30))).toBeLessThan(0.003);
          }
          if (rayRef(unrotated, o, d, 30) < 0 !== outer < 0) counts.unrotatedWrong++;
        }
        // spheres
        const p: V3 = [b.c[0] + (r() - 0.5) * 2.4, b.c[1] + (r() - 0.5) * 2.4, b.c[2] + (r() - 0.5) * 2.4];
        const rad = 0.05 + r() * 0.5;
        const dist = pointDist(b, p);
        if (Math.abs(dist - rad) > EPS) {
          counts.spheres++;
          const want = dist < rad;
          if (want) counts.sphereHits++;
          expect(w.overlapSphere(p, rad)).toEqual(want ? [h] : []);
          if (pointDist(unrotated, p) < rad !== want) counts.unrotatedWrong++;
        }
        // axis-aligned query boxes
        const e: V3 = [0.05 + r() * 0.6, 0.05 + r() * 0.6, 0.05 + r() * 0.6];
        const lo = boxesOverlapRef(b, p, e, -EPS),
          hi = boxesOverlapRef(b, p, e, EPS);
        if (lo === hi) {
          counts.boxes++;
          if (hi) counts.boxHits++;
          expect(w.overlapBox(p, e)).toEqual(hi ? [h] : []);
          if (boxesOverlapRef(unrotated, p, e) !== hi) counts.unrotatedWrong++;
        }
      }
    }
    // the random cases cover hits and misses of every kind, and the unrotated extents would fail many
    expect(counts.rayHits).toBeGreaterThan(counts.rays / 8);
    expect(counts.rayHits).toBeLessThan(counts.rays);
    expect(counts.sphereHits).toBeGreaterThan(counts.spheres / 8);
    expect(counts.sphereHits).toBeLessThan(counts.spheres);
    expect(counts.boxHits).toBeGreaterThan(counts.boxes / 8);
    expect(counts.boxHits).toBeLessThan(counts.boxes);
    expect(counts.unrotatedWrong).toBeGreaterThan(50);
  });
});
