/**
 * Physics core v1 against analytic answers and behaviour a player would notice, on the
 * release and debug builds. Integrator: semi-implicit Euler with S substeps of h = dt / S;
 * for constant acceleration its position after n substeps is a t^2/2 + a t h/2 (t = n h),
 * i.e. it runs ahead of the analytic answer by a t h / 2 (14 mm after 2 s of free fall at
 * 360 Hz, the default 6 substeps of a 60 Hz tick). The tests compare with that discrete value
 * and state the analytic gap.
 */
import { PhysicsWorld, PhysicsError, DEFAULT_SUBSTEPS } from '../src/physics/world';
import type { CoreVariant } from '../src/physics/wasm';
import { addClosedBox, pileScene } from './helpers/scenes';

const VARIANTS: CoreVariant[] = ['release', 'debug'];
const G = 9.81;
/** Substeps per second of a default 60 Hz world: 1 / h. */
const SUB_HZ = 60 * DEFAULT_SUBSTEPS;

describe.each(VARIANTS)('physics [%s]', (variant) => {
  const create = (cfg: Parameters<typeof PhysicsWorld.create>[0] = {}) => PhysicsWorld.create(cfg, { variant });

  test("free fall: within 1 mm of the integrator's exact value after 2 s (analytic gap g t h / 2)", () => {
    const w = create({ sleep: { enabled: false } });
    const b = w.addSphere({ position: [0, 100, 0], radius: 0.5 });
    w.step(120);
    const n = 2 * SUB_HZ,
      h = 1 / SUB_HZ;
    const discrete = 100 - (G * h * h * n * (n + 1)) / 2;
    const analytic = 100 - (G * 4) / 2;
    const y = w.position(b)[1];
    expect(Math.abs(y - discrete)).toBeLessThan(0.001);
    // the stated integrator error: analytic - discrete = g t h / 2
    expect(Math.abs(analytic - discrete - (G * 2 * h) / 2)).toBeLessThan(1e-9);
    expect(Math.abs(w.velocity(b)[1] + G * 2)).toBeLessThan(0.001);
  });

  test('projectile range: R - vx h (the integrator lands h early), within 2 mm', () => {
    const w = create({ sleep: { enabled: false } });
    const v0 = 12,
      th = Math.PI / 4,
      vx = v0 * Math.cos(th),
      vy = v0 * Math.sin(th);
    const b = w.addSphere({ position: [0, 0, 0], velocity: [vx, vy, 0], radius: 0.1 });
    let prev = w.position(b);
    for (;;) {
      w.step();
      const p = w.position(b);
      if (p[1] < 0 && w.tick > 2) {
        const f = prev[1] / (prev[1] - p[1]);
        const x = prev[0] + (p[0] - prev[0]) * f;
        const range = (v0 * v0 * Math.sin(2 * th)) / G;
        expect(Math.abs(x - (range - vx / SUB_HZ))).toBeLessThan(0.002);
        break;
      }
      prev = p;
    }
  });

  test('head-on elastic collision of equal spheres: velocities swap within 0.1 %, momentum exact', () => {
    const w = create({ gravity: [0, 0, 0], sleep: { enabled: false } });
    const a = w.addSphere({ position: [-2, 0, 0], velocity: [3, 0, 0], radius: 0.5, restitution: 1, friction: 0 });
    const b = w.addSphere({ position: [2, 0, 0], velocity: [-1, 0, 0], radius: 0.5, restitution: 1, friction: 0 });
    const p0 = w.velocityRaw(a)[0] + w.velocityRaw(b)[0];
    w.step(120);
    expect(Math.abs(w.velocity(a)[0] + 1)).toBeLessThan(0.001 * 1);
    expect(Math.abs(w.velocity(b)[0] - 3)).toBeLessThan(0.001 * 3);
    expect(w.velocityRaw(a)[0] + w.velocityRaw(b)[0]).toBe(p0);
  });

  test.each([0, 0.02, 0.05])('a sphere rolling down a 20 degree slope (rolling resistance %p) reaches 5/7 g (sin(theta) - c cos(theta)) t within 2 %%', (c) => {
    const th = (20 * Math.PI) / 180;
    const w = create({ sleep: { enabled: false }, rollingResistance: c });
    w.addPlane({ normal: [Math.sin(th), Math.cos(th), 0], offset: 0, friction: 0.8 });
    const b = w.addSphere({ position: [0, 0.5 / Math.cos(th), 0], radius: 0.5, friction: 0.8 });
    w.step(120);
    const speed = Math.hypot(...w.velocity(b));
    const rolling = (5 / 7) * G * (Math.sin(th) - c * Math.cos(th)) * 2;
    expect(Math.abs(speed - rolling) / rolling).toBeLessThan(0.02);
    // it rolls: rim speed equals centre speed
    expect(Math.abs(Math.hypot(...w.angularVelocity(b)) * 0.5 - speed) / speed).toBeLessThan(0.02);
  });

  function settleAndDrift(w: PhysicsWorld, bodies: bigint[]): number {
    w.step(300); // 5 s to settle
    const p0 = bodies.map((b) => w.position(b));
    w.step(3600); // then 60 s
    return Math.max(...bodies.map((b, k) => Math.hypot(...w.position(b).map((x, a) => x - p0[k][a]))));
  }

  test('a column of 10 spheres comes to rest and stays (drift < 1 cm over 60 s, no sleeping)', () => {
    const w = create({ sleep: { enabled: false } });
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    const bodies = Array.from({ length: 10 }, (_, k) => w.addSphere({ position: [0, 0.5 + k, 0], radius: 0.5, friction: 0.5 }));
    expect(settleAndDrift(w, bodies)).toBeLessThan(0.01);
    expect(w.position(bodies[9])[1]).toBeGreaterThan(9.4); // still a column
  });

  test('a pyramid of 55 spheres in a box comes to rest and stays (drift < 1 cm over 60 s, no sleeping)', () => {
    const w = create({ sleep: { enabled: false } });
    addClosedBox(w, 2.5, 8);
    const bodies: bigint[] = [];
    for (let L = 0; L < 5; L++) {
      const n = 5 - L;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          bodies.push(w.addSphere({ position: [i - (n - 1) / 2, 0.5 + L * 0.7072, j - (n - 1) / 2], radius: 0.5, friction: 0.5 }));
        }
    }
    expect(bodies.length).toBe(55);
    expect(settleAndDrift(w, bodies)).toBeLessThan(0.01);
    expect(w.position(bodies[54])[1]).toBeGreaterThan(3.2); // the apex is still on top
  });

  test('continuous collision: a 0.1 m sphere at 300 m/s does not pass a 0.2 m wall', () => {
    const w = create({ gravity: [0, 0, 0], sleep: { enabled: false } });
    w.addBox({ position: [10, 0, 0], half: [0.1, 5, 5] });
    const shots = [
      [0, 0],
      [0.7, -2],
      [-3, 1.3],
      [4.9, 4.9],
    ].map(([y, z]) => w.addSphere({ position: [0, y, z], velocity: [300, 0, 0], radius: 0.1, restitution: 0.5 }));
    w.step(30);
    for (const s of shots) expect(w.position(s)[0]).toBeLessThan(10 - 0.1 - 0.1 + 0.001);
  });

  test('a spinning sphere turns by w t (orientation stays unit length)', () => {
    const w = create({ gravity: [0, 0, 0], sleep: { enabled: false } });
    const b = w.addSphere({ position: [0, 0, 0], angularVelocity: [0, Math.PI / 2, 0], radius: 0.5 });
    w.step(60); // 90 degrees about y
    const q = w
      .bodyStateRaw(b)
      .slice(9, 13)
      .map((x) => Number(x) / 65536);
    expect(Math.abs(q[1] - Math.SQRT1_2)).toBeLessThan(0.005);
    expect(Math.abs(q[3] - Math.SQRT1_2)).toBeLessThan(0.005);
    expect(Math.abs(Math.hypot(...q) - 1)).toBeLessThan(0.0005);
  });

  test('stale handles are refused with a code; a reused slot gets a new generation', () => {
    const w = create();
    const a = w.addSphere({ position: [0, 5, 0], radius: 0.5 });
    w.remove(a);
    expect(() => w.setVelocity(a, [1, 0, 0])).toThrow(PhysicsError);
    expect(() => w.remove(a)).toThrow(expect.objectContaining({ code: 'STALE_HANDLE' }));
    const b = w.addSphere({ position: [0, 5, 0], radius: 0.5 });
    expect(b & 0xffffffffn).toBe(a & 0xffffffffn); // same slot
    expect(b).not.toBe(a); // new generation
    expect(w.isValid(a)).toBe(false);
    expect(w.isValid(b)).toBe(true);
  });

  test('bad bodies get clear errors and change nothing', () => {
    const w = create({ capacity: 2, maxBodyRadius: 0.5 });
    const h0 = w.hash();
    expect(() => w.addSphere({ position: [0, 0, 0], radius: 0 })).toThrow(expect.objectContaining({ code: 'BAD_SHAPE' }));
    expect(() => w.addSphere({ position: [0, 0, 0], radius: 2 })).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    expect(() => w.addSphere({ position: [0, 0, 0], radius: 0.5, mass: 0 })).toThrow(expect.objectContaining({ code: 'BAD_MASS' }));
    expect(w.hash()).toBe(h0);
    w.addSphere({ position: [0, 0, 0], radius: 0.5 });
    w.addSphere({ position: [2, 0, 0], radius: 0.5 });
    expect(() => w.addSphere({ position: [4, 0, 0], radius: 0.5 })).toThrow(expect.objectContaining({ code: 'FULL' }));
  });

  test('layers and masks: bodies that do not collide pass through each other', () => {
    const w = create({ gravity: [0, 0, 0], sleep: { enabled: false } });
    const a = w.addSphere({ position: [-2, 0, 0], velocity: [2, 0, 0], radius: 0.5, layer: 1, mask: 1 });
    const b = w.addSphere({ position: [2, 0, 0], velocity: [-2, 0, 0], radius: 0.5, layer: 2, mask: 2 });
    w.step(120);
    expect(w.position(a)[0]).toBeGreaterThan(1.9);
    expect(w.position(b)[0]).toBeLessThan(-1.9);
  });

  test('sleeping: a resting sphere falls asleep, wakes when hit and on command', () => {
    const w = create({ sleep: { enabled: true, ticks: 30 } });
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    // damping so the knocked sphere stops rolling (a plane has no rolling resistance)
    const a = w.addSphere({ position: [0, 0.5, 0], radius: 0.5, linearDamping: 1, angularDamping: 1 });
    w.step(90);
    expect(w.isSleeping(a)).toBe(true);
    w.addSphere({ position: [-3, 0.5, 0], velocity: [4, 0, 0], radius: 0.5, friction: 0, linearDamping: 1, angularDamping: 1 });
    w.step(60);
    expect(w.isSleeping(a)).toBe(false);
    expect(w.position(a)[0]).toBeGreaterThan(0.1); // knocked
    w.step(900);
    expect(w.isSleeping(a)).toBe(true);
    w.wake(a);
    expect(w.isSleeping(a)).toBe(false);
  });

  test('gravity scale, linear damping (Pade 1 / (1 + c h) per substep) and forces', () => {
    const w = create({ gravity: [0, 0, 0], sleep: { enabled: false } });
    const floating = w.addSphere({ position: [0, 0, 0], radius: 0.5, gravityScale: 0 });
    const damped = w.addSphere({ position: [5, 0, 0], velocity: [10, 0, 0], radius: 0.5, linearDamping: 0.5 });
    const pushed = w.addSphere({ position: [-5, 0, 0], radius: 0.5, mass: 2 });
    w.applyForce(pushed, [4, 0, 0]); // 2 m/s^2 for one tick
    w.step(60);
    expect(w.position(floating)).toEqual([0, 0, 0]);
    expect(Math.abs(w.velocity(damped)[0] - 10 * (1 / (1 + 0.5 / SUB_HZ)) ** SUB_HZ)).toBeLessThan(0.001);
    expect(Math.abs(w.velocity(pushed)[0] - 2 / 60)).toBeLessThan(0.0005);
  });

  test('a kinematic body moves by its velocity and pushes dynamic bodies', () => {
    const w = create({ gravity: [0, 0, 0], sleep: { enabled: false } });
    const k = w.addSphere({ position: [-3, 0, 0], velocity: [2, 0, 0], radius: 0.5, kind: 'kinematic' });
    const d = w.addSphere({ position: [0, 0, 0], radius: 0.5 });
    w.step(60);
    expect(Math.abs(w.position(k)[0] - -1)).toBeLessThan(0.001);
    expect(w.velocity(k)[0]).toBeCloseTo(2, 6);
    w.step(60);
    expect(w.position(d)[0]).toBeGreaterThan(0.5);
  });

  test('contact events: begin then end, in pair order, with handles', () => {
    const w = create({ gravity: [0, 0, 0], sleep: { enabled: false } });
    const a = w.addSphere({ position: [-2, 0, 0], velocity: [2, 0, 0], radius: 0.5, restitution: 1 });
    const b = w.addSphere({ position: [2, 0, 0], velocity: [-2, 0, 0], radius: 0.5, restitution: 1 });
    const seen: string[] = [];
    for (let t = 0; t < 120; t++) {
      w.step();
      for (const e of w.events()) seen.push(`${e.kind} ${e.a} ${e.b}`);
    }
    expect(seen).toEqual([`begin ${a} ${b}`, `end ${a} ${b}`]);
  });

  test('queries: raycast closest / all in (t, slot) order, overlaps in slot order', () => {
    const w = create({ gravity: [0, 0, 0] });
    const far = w.addSphere({ position: [10, 0, 0], radius: 0.5 });
    const near = w.addSphere({ position: [4, 0, 0], radius: 0.5 });
    const cap = w.addCapsule({ position: [7, 0, 0], radius: 0.5, halfHeight: 0.5 });
    const box = w.addBox({ position: [0, -5, 0], half: [20, 1, 20] });
    const closest = w.raycast([0, 0, 0], [1, 0, 0], 100);
    expect(closest.map((h) => h.body)).toEqual([near]);
    expect(closest[0].t).toBeCloseTo(3.5, 4);
    const all = w.raycast([0, 0, 0], [1, 0, 0], 100, { all: true });
    expect(all.map((h) => h.body)).toEqual([near, cap, far]);
    expect(all.map((h) => Math.round(h.t * 1000) / 1000)).toEqual([3.5, 6.5, 9.5]);
    expect(w.raycast([0, 0, 0], [0, -1, 0], 100).map((h) => h.body)).toEqual([box]);
    expect(w.raycast([0, 0, 0], [0, 1, 0], 100)).toEqual([]);
    expect(w.overlapSphere([5.5, 0, 0], 1.1)).toEqual([near, cap]);
    expect(w.overlapBox([7, 1.2, 0], [0.2, 0.5, 0.2])).toEqual([cap]);
    expect(w.overlapBox([7, 2.2, 0], [0.2, 0.5, 0.2])).toEqual([]);
    expect(w.overlapBox([0, -3.5, 0], [1, 0.6, 1])).toEqual([box]);
  });
});

describe('character controller', () => {
  function walker(slopeDeg: number | null, ledge: number | null): { w: PhysicsWorld; c: bigint } {
    const w = PhysicsWorld.create({ sleep: { enabled: false } });
    if (slopeDeg !== null) {
      const th = (slopeDeg * Math.PI) / 180;
      // ground rising towards +x: normal (-sin, cos, 0) through the origin
      w.addPlane({ normal: [-Math.sin(th), Math.cos(th), 0], offset: 0, friction: 0.8 });
    } else {
      w.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0.8 });
    }
    if (ledge !== null) w.addBox({ position: [3, ledge / 2, 0], half: [1, ledge / 2, 2] });
    const c = w.addCharacter({ position: [slopeDeg === null ? 0 : -1, 1.5, 0], radius: 0.3, halfHeight: 0.6, mass: 80, stepHeight: 0.3, maxSlopeDeg: 45 });
    w.step(30);
    return { w, c };
  }

  test('walks up a 30 degree ramp', () => {
    const { w, c } = walker(30, null);
    const y0 = w.position(c)[1];
    for (let t = 0; t < 180; t++) {
      w.setCharacterInput(c, [2, 0]);
      w.step();
    }
    const [x, y] = w.position(c);
    expect(x).toBeGreaterThan(3);
    expect(y - y0).toBeGreaterThan(Math.tan(Math.PI / 6) * 3);
    expect(w.isGrounded(c)).toBe(true);
  });

  test('does not climb a 60 degree ramp', () => {
    const { w, c } = walker(60, null);
    const y0 = w.position(c)[1];
    for (let t = 0; t < 180; t++) {
      w.setCharacterInput(c, [2, 0]);
      w.step();
    }
    expect(w.position(c)[1]).toBeLessThan(y0 + 0.2);
    expect(w.position(c)[0]).toBeLessThan(0.5);
  });

  test('steps up a 0.25 m ledge', () => {
    const { w, c } = walker(null, 0.25);
    for (let t = 0; t < 120; t++) {
      w.setCharacterInput(c, [2, 0]);
      w.step();
    }
    const [x, y] = w.position(c);
    expect(x).toBeGreaterThan(2.5);
    expect(y).toBeGreaterThan(0.25 + 0.9 - 0.02); // standing on the ledge
  });

  test('does not step up a 0.6 m ledge', () => {
    const { w, c } = walker(null, 0.6);
    for (let t = 0; t < 120; t++) {
      w.setCharacterInput(c, [2, 0]);
      w.step();
    }
    expect(w.position(c)[0]).toBeLessThan(2 - 0.3 + 0.01); // stopped at the wall
    expect(w.position(c)[1]).toBeLessThan(0.9 + 0.05);
  });

  test('jumps from the ground and lands', () => {
    const { w, c } = walker(null, null);
    const y0 = w.position(c)[1];
    w.setCharacterInput(c, [0, 0], true);
    w.step(20);
    expect(w.position(c)[1]).toBeGreaterThan(y0 + 0.5);
    w.step(120);
    expect(Math.abs(w.position(c)[1] - y0)).toBeLessThan(0.02);
  });
});

test('a 1,000-sphere pile settles without deep overlaps (worst < 5 cm, mean < 1 cm after 10 s)', () => {
  const { world, bodies } = pileScene(1000, 5, { layers: 16 });
  world.step(600);
  const p = bodies.map((b) => world.position(b));
  let worst = 0,
    sum = 0,
    n = 0;
  for (let a = 0; a < p.length; a++)
    for (let b = a + 1; b < p.length; b++) {
      const d = Math.hypot(p[a][0] - p[b][0], p[a][1] - p[b][1], p[a][2] - p[b][2]);
      if (d < 1) {
        worst = Math.max(worst, 1 - d);
        sum += 1 - d;
        n++;
      }
    }
  expect(n).toBeGreaterThan(1000); // it is a pile
  expect(worst).toBeLessThan(0.05);
  expect(sum / n).toBeLessThan(0.01);
});

test('no body escapes a closed box: 5,000 bouncing spheres, 10,000 steps (release)', () => {
  const w = PhysicsWorld.create({ capacity: 5100, maxBodyRadius: 0.5, sleep: { enabled: false } });
  const half = 12,
    height = 20;
  addClosedBox(w, half, height);
  const bodies: bigint[] = [];
  let s = 7;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  for (let k = 0; k < 5000; k++) {
    const i = k % 20,
      j = Math.floor(k / 20) % 20,
      l = Math.floor(k / 400);
    bodies.push(
      w.addSphere({
        position: [(i - 9.5) * 1.15, 0.6 + l * 1.15, (j - 9.5) * 1.15],
        velocity: [rnd() * 20 - 10, rnd() * 20 - 10, rnd() * 20 - 10],
        radius: 0.5,
        restitution: 0.95,
        friction: 0.1,
      }),
    );
  }
  let escaped = 0;
  for (let t = 0; t < 10_000; t += 500) {
    w.step(500);
    escaped = bodies.filter((b) => {
      const [x, y, z] = w.position(b);
      return Math.abs(x) > half || Math.abs(z) > half || y < 0 || y > height;
    }).length;
    if (escaped) break;
  }
  expect(escaped).toBe(0);
  expect(w.status).toBe(0);
});
