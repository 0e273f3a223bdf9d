/**
 * Joints (assembly/physics/joints.ts, issue 18): fixed, hinge (limits, motor), ball-and-socket
 * and distance joints, against analytic results:
 * - a pendulum on a hinge swings with the physical pendulum's period 2 pi sqrt(I_p / (m g d))
 *   (2 pi sqrt(L / g) with L = I_p / (m d), the equivalent simple pendulum's length; small
 *   angles, with the first finite-amplitude term 1 + theta0^2 / 16), and a ball on a rope
 *   (a distance joint at its centre: a point mass) with 2 pi sqrt(L / g), at the serve tick
 *   rate of 20 Hz (6 substeps) and at 60 Hz;
 * - a door on a hinge driven by its motor reaches its target angle, and stops at its limit;
 * - a rope of distance joints hangs at its length; a fixed joint holds two boxes together;
 * - determinism, the hash, sleep, removal, save and restore, and refusals.
 */
import { PhysicsWorld, PhysicsError, type WorldConfig } from '../src/physics/world';
import { ShardedWorld } from '../src/physics/sharded';

const G = 9.81;

/** Mean period of x(t) from its upward zero crossings (linear interpolation between ticks). */
function periodOf(xs: number[], dt: number): number {
  const t: number[] = [];
  for (let k = 1; k < xs.length; k++) {
    if (xs[k - 1] < 0 && xs[k] >= 0) t.push((k - 1 + -xs[k - 1] / (xs[k] - xs[k - 1])) * dt);
  }
  if (t.length < 3) throw new Error(`only ${t.length} zero crossings`);
  return (t[t.length - 1] - t[0]) / (t.length - 1);
}

const world = (c: WorldConfig = {}): PhysicsWorld =>
  PhysicsWorld.create({ capacity: 16, jointCapacity: 8, maxBodyRadius: 0.6, sleep: { enabled: false }, ...c });

/**
 * A box (half extents hx, hy, hz, mass 1) hanging with its centre d below a hinge on the world
 * (axis z), started swinging with amplitude th0 rad. Returns the measured period over 10 s and
 * the analytic one.
 */
function hingePendulum(rate: number, d: number, half: [number, number, number], th0: number): { T: number; T0: number; amp: number; stretch: number } {
  const w = world({ tickRate: rate });
  const box = w.addDynamicBox({ position: [0, 2 - d, 0], half, mass: 1 });
  const j = w.addJoint({ kind: 'hinge', a: box, b: null, anchorA: [0, d, 0], axis: [0, 0, 1] });
  const ip = (half[0] ** 2 + half[1] ** 2) / 3 + d * d; // I_cm about z (solid cuboid) + m d^2, m = 1
  const om = Math.sqrt((G * d) / ip);
  // a rigid rotation about the pivot at angular speed th0 om (amplitude th0)
  w.setVelocity(box, [th0 * om * d, 0, 0]);
  w.setAngularVelocity(box, [0, 0, th0 * om]);
  const xs: number[] = [];
  let amp = 0,
    stretch = 0;
  for (let k = 0; k < rate * 10; k++) {
    w.step();
    const p = w.position(box);
    xs.push(p[0]);
    amp = Math.max(amp, Math.abs(w.jointAngle(j)));
    stretch = Math.max(stretch, Math.abs(Math.hypot(p[0], p[1] - 2, p[2]) - d));
  }
  return { T: periodOf(xs, 1 / rate), T0: 2 * Math.PI * Math.sqrt(ip / (G * d)) * (1 + th0 ** 2 / 16), amp, stretch };
}

describe('pendulum', () => {
  it.each([20, 60])('a box on a hinge swings with the physical pendulum period within 1 %% at %i Hz', (rate) => {
    // a small box 1 m below the pivot (L = 1.0017 m) and a rod-like box hinged at its top end
    for (const [d, half] of [
      [1, [0.05, 0.05, 0.05]],
      [0.5, [0.05, 0.5, 0.05]],
    ] as Array<[number, [number, number, number]]>) {
      const r = hingePendulum(rate, d, half, 0.1);
      const err = Math.abs(r.T - r.T0) / r.T0;
      console.log(
        `hinge pendulum ${rate} Hz d ${d}: T ${r.T.toFixed(5)} s, analytic ${r.T0.toFixed(5)} s, error ${(100 * err).toFixed(3)} %, amplitude ${r.amp.toFixed(4)} rad, stretch ${(r.stretch * 1000).toFixed(2)} mm`,
      );
      expect(err).toBeLessThan(0.01);
      expect(r.amp).toBeGreaterThan(0.09); // it keeps swinging (the solver loses little energy)
      expect(r.amp).toBeLessThan(0.105);
      expect(r.stretch).toBeLessThan(0.002);
    }
  });

  it('a ball on a rope (distance joint, point mass) swings with 2 pi sqrt(L / g) within 1 % at 20 Hz', () => {
    const L = 1.5,
      th0 = 0.1;
    const w = world({ tickRate: 20 });
    const ball = w.addSphere({ position: [L * Math.sin(th0), 3 - L * Math.cos(th0), 0], radius: 0.1, mass: 2 });
    const rope = w.addJoint({ kind: 'distance', a: ball, b: null, anchorB: [0, 3, 0], maxLength: L });
    const xs: number[] = [];
    for (let k = 0; k < 200; k++) {
      w.step();
      xs.push(w.position(ball)[0]);
      expect(w.jointLength(rope)).toBeLessThan(L + 0.002);
    }
    const T = periodOf(xs, 1 / 20),
      T0 = 2 * Math.PI * Math.sqrt(L / G) * (1 + th0 ** 2 / 16);
    console.log(`rope pendulum 20 Hz: T ${T.toFixed(5)} s, analytic ${T0.toFixed(5)} s, error ${((100 * Math.abs(T - T0)) / T0).toFixed(3)} %`);
    expect(Math.abs(T - T0) / T0).toBeLessThan(0.01);
  });
});

describe('swing', () => {
  it('a swing (a seat on two ropes) has the period of its pendulum within 1 % at 20 Hz', () => {
    // Seat 0.6 x 0.06 x 0.3 m, 5 kg, hung at its top edge line (c = 3 cm above its centre) by
    // two parallel ropes of L = 2 m from (-0.25, 3, 0) and (0.25, 3, 0). The seat turns freely
    // about that line and hangs along the ropes as they swing (its pitch mode, 5.8 rad/s, is
    // well above the swing's 2.2 rad/s), so it swings as one rigid pendulum of length L + c:
    // T = 2 pi sqrt((I_x + m (L + c)^2) / (m g (L + c))), I_x = m (hy^2 + hz^2) / 3.
    const L = 2,
      c = 0.03,
      m = 5,
      th0 = 0.1;
    const w = world({ tickRate: 20, sleep: { enabled: true } });
    const seat = w.addDynamicBox({ position: [0, 3 - L - c, 0], half: [0.3, c, 0.15], mass: m });
    const ropes = [-0.25, 0.25].map((x) => w.addJoint({ kind: 'distance', a: seat, b: null, anchorA: [x, c, 0], anchorB: [x, 3, 0], maxLength: L }));
    const ix = (m * (c * c + 0.15 * 0.15)) / 3;
    const om = Math.sqrt((m * G * (L + c)) / (ix + m * (L + c) ** 2));
    w.setVelocity(seat, [0, 0, th0 * om * (L + c)]);
    w.setAngularVelocity(seat, [th0 * om, 0, 0]); // swinging as one piece from the start
    const zs: number[] = [];
    let pitch = 0;
    for (let k = 0; k < 200; k++) {
      w.step();
      zs.push(w.position(seat)[2]);
      pitch = Math.max(pitch, 2 * Math.asin(Math.abs(w.orientation(seat)[0])));
      for (const r of ropes) expect(w.jointLength(r)).toBeLessThan(L + 0.002);
    }
    const T = periodOf(zs, 1 / 20),
      T0 = 2 * Math.PI * (1 / om) * (1 + th0 ** 2 / 16);
    console.log(
      `swing 20 Hz: T ${T.toFixed(5)} s, analytic ${T0.toFixed(5)} s, error ${((100 * Math.abs(T - T0)) / T0).toFixed(3)} %, largest pitch ${pitch.toFixed(4)} rad`,
    );
    expect(Math.abs(T - T0) / T0).toBeLessThan(0.01);
    // it follows the ropes (0.1 rad) plus its own pitch oscillation, which the start excites a little; bounded, no runaway
    expect(pitch).toBeLessThan(0.25);
  });

  it('a body hung from a kinematic body follows it', () => {
    const w = world({ tickRate: 20 });
    const hook = w.addSphere({ position: [0, 4, 0], radius: 0.1, kind: 'kinematic', velocity: [1, 0, 0] });
    const load = w.addDynamicBox({ position: [0, 3, 0], half: [0.2, 0.2, 0.2], mass: 3 });
    const rope = w.addJoint({ kind: 'distance', a: load, b: hook, maxLength: 1 });
    w.step(100); // 5 s
    const h = w.position(hook),
      p = w.position(load);
    expect(h[0]).toBeCloseTo(5, 3); // the kinematic body is not pulled back
    expect(Math.abs(p[0] - h[0])).toBeLessThan(0.5);
    expect(w.jointLength(rope)).toBeLessThan(1.002);
    expect(w.jointLength(rope)).toBeGreaterThan(0.95);
  });
});

describe('door', () => {
  /** A door (1 m x 2 m x 5 cm, 20 kg) hinged to the world at its left edge about y, standing on nothing (gravity along the axis). */
  function door(motor: { speed: number; maxTorque: number; targetAngle?: number }, limits?: { lower: number; upper: number }) {
    const w = world({ tickRate: 20, sleep: { enabled: true }, maxBodyRadius: 1.2 });
    const leaf = w.addDynamicBox({ position: [0.5, 1, 0], half: [0.5, 1, 0.025], mass: 20 });
    const j = w.addJoint({ kind: 'hinge', a: leaf, b: null, anchorA: [-0.5, 0, 0], axis: [0, 1, 0], motor, ...(limits ? { limits } : {}) });
    return { w, leaf, j };
  }

  it('its motor turns it to the target angle and holds it there', () => {
    // 200 N m on I = 6.67 kg m^2 stops 1.5 rad/s within 0.04 rad, inside the servo's one-tick reach (1.5 / 20 = 0.075 rad)
    const { w, leaf, j } = door({ speed: 1.5, maxTorque: 200, targetAngle: 1.2 });
    w.step(10); // 0.5 s at no more than 1.5 rad/s
    expect(w.jointAngle(j)).toBeGreaterThan(0.6);
    expect(w.jointAngle(j)).toBeLessThan(0.751);
    w.step(60); // 4 s in all
    const a = w.jointAngle(j);
    console.log(`door motor: angle ${a.toFixed(4)} rad after 4 s (target 1.2), leaf centre at ${w.position(leaf).map((v) => v.toFixed(3))}`);
    expect(Math.abs(a - 1.2)).toBeLessThan(0.01);
    // the leaf turned about its hinge: its centre is 0.5 m from the pin at angle 1.2 about y
    const p = w.position(leaf);
    expect(Math.hypot(p[0] - 0.5 * Math.cos(1.2), p[1] - 1, p[2] + 0.5 * Math.sin(1.2))).toBeLessThan(0.01);
    w.step(40);
    expect(Math.abs(w.jointAngle(j) - 1.2)).toBeLessThan(0.01);
  });

  it('driven at a speed, it stops at its limit', () => {
    const { w, j } = door({ speed: 2, maxTorque: 30 }, { lower: -0.3, upper: 0.8 });
    let max = 0;
    for (let k = 0; k < 60; k++) {
      w.step();
      max = Math.max(max, w.jointAngle(j));
    }
    console.log(`door limit: angle ${w.jointAngle(j).toFixed(4)} rad (limit 0.8), largest ${max.toFixed(4)}`);
    expect(Math.abs(w.jointAngle(j) - 0.8)).toBeLessThan(0.02);
    expect(max).toBeLessThan(0.85);
  });

  it('a torque limit below what the motion needs slows it: angular acceleration = torque / I', () => {
    // I about the hinge edge: m (w^2 + t^2) / 12 + m (w / 2)^2 = 20 (1 + 0.0025) / 12 + 5
    const I = (20 * (1 + 0.05 ** 2)) / 12 + 5;
    const { w, j } = door({ speed: 100, maxTorque: 10 });
    w.step(20);
    const expected = 0.5 * (10 / I) * 1 ** 2; // theta = 1/2 alpha t^2 after 1 s
    console.log(`door torque limit: ${w.jointAngle(j).toFixed(4)} rad after 1 s, analytic ${expected.toFixed(4)}`);
    expect(Math.abs(w.jointAngle(j) - expected) / expected).toBeLessThan(0.03);
  });
});

describe('rope and fixed joints', () => {
  it('a rope of 6 distance joints hangs at its length', () => {
    const w = world({ tickRate: 20 });
    const links: bigint[] = [];
    const seg = 0.4;
    // links hanging slack (0.3 m apart), falling until the rope is taut, damped so it settles
    for (let k = 0; k < 6; k++) links.push(w.addSphere({ position: [0.01 * k, 5 - 0.3 * (k + 1), 0], radius: 0.08, mass: 0.5, linearDamping: 1 }));
    w.addJoint({ kind: 'distance', a: links[0], b: null, anchorB: [0, 5, 0], maxLength: seg });
    for (let k = 1; k < 6; k++) w.addJoint({ kind: 'distance', a: links[k], b: links[k - 1], maxLength: seg });
    w.step(200); // 10 s
    const end = w.position(links[5]);
    const hang = 5 - end[1];
    console.log(`rope: end ${hang.toFixed(4)} m below the anchor (length ${6 * seg}), ${Math.abs(end[0]).toFixed(4)} m off the vertical`);
    expect(Math.abs(hang - 6 * seg) / (6 * seg)).toBeLessThan(0.01);
    for (let k = 1; k < 6; k++) {
      const a = w.position(links[k]),
        b = w.position(links[k - 1]);
      expect(Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2])).toBeLessThan(seg + 0.004);
    }
  });

  it('a chain of 5 hinged planks swings with its hinges closed and its axes aligned', () => {
    const w = world({ tickRate: 20 });
    const planks: bigint[] = [];
    const hinges: bigint[] = [];
    // planks 0.5 m long hanging down from (0, 4, 0), hinged end to end about z, started sideways
    for (let k = 0; k < 5; k++) planks.push(w.addDynamicBox({ position: [0, 3.75 - 0.5 * k, 0], half: [0.05, 0.25, 0.1], mass: 1 }));
    hinges.push(w.addJoint({ kind: 'hinge', a: planks[0], b: null, anchorA: [0, 0.25, 0], axis: [0, 0, 1] }));
    for (let k = 1; k < 5; k++) hinges.push(w.addJoint({ kind: 'hinge', a: planks[k], b: planks[k - 1], anchorA: [0, 0.25, 0], axis: [0, 0, 1] }));
    w.setVelocity(planks[4], [3, 0, 0]);
    const top = (h: bigint, s: number): number[] => {
      const p = w.position(h),
        [x, y, z, ww] = w.orientation(h);
      return [p[0] + s * 2 * (x * y - ww * z), p[1] + s * (1 - 2 * (x * x + z * z)), p[2] + s * 2 * (y * z + ww * x)];
    };
    let gap = 0,
      tilt = 0;
    for (let t = 0; t < 200; t++) {
      w.step();
      for (let k = 1; k < 5; k++) {
        const a = top(planks[k], 0.25),
          b = top(planks[k - 1], -0.25);
        gap = Math.max(gap, Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]));
      }
      // every plank turns about z only: its quaternion's x and y parts stay 0
      for (const p of planks) {
        const q = w.orientation(p);
        tilt = Math.max(tilt, Math.abs(q[0]), Math.abs(q[1]));
      }
    }
    console.log(`hinge chain: largest hinge gap ${(gap * 1000).toFixed(2)} mm, largest off-axis quaternion part ${tilt.toFixed(5)}`);
    expect(gap).toBeLessThan(0.005);
    expect(tilt).toBeLessThan(0.001);
    const angles = hinges.map((j) => w.jointAngle(j));
    for (const a of angles) expect(Math.abs(a)).toBeLessThan(Math.PI);
  });

  it('a fixed joint holds two boxes together under gravity (drift < 1 cm)', () => {
    const w = world({ tickRate: 20 });
    // a beam welded to the world and a crate welded to the beam's far end, sideways: both cantilevered
    const beam = w.addDynamicBox({ position: [0.5, 3, 0], half: [0.5, 0.1, 0.1], mass: 5 });
    const crate = w.addDynamicBox({ position: [1.25, 3, 0], half: [0.25, 0.25, 0.25], mass: 10 });
    w.addJoint({ kind: 'fixed', a: beam, b: null, anchorA: [-0.5, 0, 0] });
    w.addJoint({ kind: 'fixed', a: crate, b: beam, anchorA: [-0.25, 0, 0] });
    w.step(200); // 10 s
    const pb = w.position(beam),
      pc = w.position(crate);
    const drift = Math.max(Math.hypot(pb[0] - 0.5, pb[1] - 3, pb[2]), Math.hypot(pc[0] - 1.25, pc[1] - 3, pc[2]));
    const q = w.orientation(crate);
    console.log(`fixed joints: drift ${(drift * 1000).toFixed(2)} mm, crate orientation ${q.map((v) => v.toFixed(4))}`);
    expect(drift).toBeLessThan(0.01);
    expect(Math.abs(q[3])).toBeGreaterThan(0.9999); // it did not turn (cos(angle / 2) > 0.9999: under 1.6 degrees)
  });

  it('a ball joint keeps two bodies touching at the anchor while they swing', () => {
    const w = world({ tickRate: 20 });
    const a = w.addDynamicBox({ position: [0, 2.5, 0], half: [0.1, 0.5, 0.1], mass: 1 });
    const b = w.addDynamicBox({ position: [0, 1.5, 0], half: [0.1, 0.5, 0.1], mass: 1 });
    w.addJoint({ kind: 'ball', a, b: null, anchorA: [0, 0.5, 0] });
    w.addJoint({ kind: 'ball', a: b, b: a, anchorA: [0, 0.5, 0] });
    w.setVelocity(b, [1, 0, 0.5]);
    for (let k = 0; k < 100; k++) {
      w.step();
      // the double pendulum's joint: b's top end meets a's bottom end
      const pa = w.position(a),
        pb = w.position(b),
        qa = w.orientation(a),
        qb = w.orientation(b);
      const end = (p: number[], q: number[], s: number): number[] => {
        // the rotated local (0, s, 0): the second column of the rotation matrix times s
        const [x, y, z, ww] = q;
        return [p[0] + s * 2 * (x * y - ww * z), p[1] + s * (1 - 2 * (x * x + z * z)), p[2] + s * 2 * (y * z + ww * x)];
      };
      const ea = end(pa, qa, -0.5),
        eb = end(pb, qb, 0.5);
      expect(Math.hypot(ea[0] - eb[0], ea[1] - eb[1], ea[2] - eb[2])).toBeLessThan(0.005);
    }
  });
});

describe('determinism, hash, sleep, removal, save', () => {
  function scene(): { w: PhysicsWorld; bodies: bigint[]; joints: bigint[] } {
    const w = world({ tickRate: 20, sleep: { enabled: true } });
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    const a = w.addDynamicBox({ position: [0, 2, 0], half: [0.5, 0.1, 0.1], mass: 2 });
    const b = w.addSphere({ position: [0.8, 1.2, 0], radius: 0.2, mass: 1 });
    const c = w.addDynamicBox({ position: [-1, 1, 0], half: [0.2, 0.2, 0.2], mass: 1 });
    const joints = [
      w.addJoint({ kind: 'hinge', a, b: null, anchorA: [0, 0, 0], axis: [0, 0, 1], motor: { speed: 1, maxTorque: 5 }, limits: { lower: -1, upper: 1 } }),
      w.addJoint({ kind: 'distance', a: b, b: a, anchorB: [0.5, 0, 0], maxLength: 0.9 }),
      w.addJoint({ kind: 'ball', a: c, b: a, anchorA: [0.2, 0.2, 0], anchorB: [-0.5, 0, 0] }),
    ];
    return { w, bodies: [a, b, c], joints };
  }

  it('two fresh worlds give the same hash every tick', () => {
    const x = scene(),
      y = scene();
    for (let k = 0; k < 60; k++) {
      x.w.step();
      y.w.step();
      expect(y.w.hash()).toBe(x.w.hash());
    }
    expect(x.w.position(x.bodies[1])).toEqual(y.w.position(y.bodies[1]));
  });

  it('the world hash covers the joints', () => {
    const x = scene(),
      y = scene();
    expect(y.w.hash()).toBe(x.w.hash());
    y.w.removeJoint(y.joints[1]);
    expect(y.w.hash()).not.toBe(x.w.hash());
    const z = scene();
    z.w.removeJoint(z.joints[2]);
    z.w.addJoint({ kind: 'ball', a: z.bodies[2], b: z.bodies[0], anchorA: [0.2, 0.2, 0], anchorB: [-0.5, 0.01, 0] }); // a different anchor
    expect(z.w.hash()).not.toBe(x.w.hash());
  });

  it('save and restore keep the joints: the restored world continues bit for bit', () => {
    const x = scene();
    x.w.step(10);
    const r = PhysicsWorld.restore(x.w.save());
    expect(r.hash()).toBe(x.w.hash());
    for (let k = 0; k < 30; k++) {
      x.w.step();
      r.step();
    }
    expect(r.hash()).toBe(x.w.hash());
    expect(r.jointAngle(x.joints[0])).toBe(x.w.jointAngle(x.joints[0]));
  });

  it('a world that grows keeps its joints', () => {
    const w = PhysicsWorld.create({ capacity: 2, maxCapacity: 64, jointCapacity: 4, maxBodyRadius: 0.6, tickRate: 20 });
    const a = w.addSphere({ position: [0, 1, 0], radius: 0.1 });
    const j = w.addJoint({ kind: 'distance', a, b: null, anchorB: [0, 2, 0], maxLength: 1 });
    for (let k = 0; k < 10; k++) w.addSphere({ position: [5 + k, 1, 0], radius: 0.1, kind: 'static' });
    w.setVelocity(a, [1, 0, 0]);
    w.step(40);
    expect(w.jointLength(j)).toBeLessThan(1.002);
    expect(w.jointLength(j)).toBeGreaterThan(0.99);
  });

  it('jointed bodies sleep together and wake together; removing a body removes its joints', () => {
    const w = world({ tickRate: 20, sleep: { enabled: true } });
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    const a = w.addDynamicBox({ position: [0, 0.1, 0], half: [0.2, 0.1, 0.2], mass: 1 });
    const b = w.addDynamicBox({ position: [2, 0.1, 0], half: [0.2, 0.1, 0.2], mass: 1 });
    const j = w.addJoint({ kind: 'distance', a, b, maxLength: 3 });
    w.step(100);
    expect(w.isSleeping(a)).toBe(true);
    expect(w.isSleeping(b)).toBe(true);
    w.setVelocity(b, [8, 0, 0]); // b moves away: the rope pulls a along
    w.step(1);
    expect(w.isSleeping(a)).toBe(false);
    w.step(20);
    expect(w.position(a)[0]).toBeGreaterThan(0.05);
    w.remove(b);
    expect(() => w.jointLength(j)).toThrow(PhysicsError);
    expect(w.jointKind(j)).toBeNull();
    expect(w.header(23)).toBe(0n); // JOINT_HIGH_WATER: no joint left
  });

  it('refuses bad joints with a code and a message', () => {
    const w = PhysicsWorld.create({ capacity: 8, jointCapacity: 1, maxBodyRadius: 0.6 });
    const a = w.addSphere({ position: [0, 1, 0], radius: 0.1 });
    const s = w.addSphere({ position: [1, 1, 0], radius: 0.1, kind: 'static' });
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return `${(e as PhysicsError).code}: ${(e as Error).message}`;
      }
      return 'none';
    };
    expect(code(() => w.addJoint({ kind: 'hinge', a, b: null }))).toMatch(/^BAD_JOINT: .*needs an axis/);
    expect(code(() => w.addJoint({ kind: 'hinge', a, b: null, axis: [0, 0, 1], limits: { lower: 1, upper: 0 } }))).toMatch(/^BAD_JOINT/);
    expect(code(() => w.addJoint({ kind: 'ball', a, b: a }))).toMatch(/^BAD_JOINT/);
    expect(code(() => w.addJoint({ kind: 'ball', a: s, b: null }))).toMatch(/^BAD_JOINT/); // no dynamic end
    expect(code(() => w.addJoint({ kind: 'distance', a, b: null, minLength: 2, maxLength: 1 }))).toMatch(/^BAD_JOINT/);
    expect(code(() => w.addJoint({ kind: 'ball', a: 12345n, b: null }))).toMatch(/^STALE_HANDLE/);
    w.addJoint({ kind: 'ball', a, b: s });
    expect(code(() => w.addJoint({ kind: 'ball', a, b: null }))).toMatch(/^JOINTS_FULL/);
    const none = PhysicsWorld.create({ capacity: 4 });
    const c = none.addSphere({ position: [0, 1, 0], radius: 0.1 });
    expect(code(() => none.addJoint({ kind: 'ball', a: c, b: null }))).toMatch(/^JOINTS_FULL/);
  });

  it('a cluster world (shard processes) runs the joints it started with and refuses joint changes while they run', async () => {
    const sw = new ShardedWorld({ capacity: 16, maxBodyRadius: 0.5, jointCapacity: 4 }, { xCuts: [0], zCuts: [] }, undefined, { exchange: 'tick' });
    try {
      const a = sw.addSphere({ position: [-1, 1, 0], radius: 0.1 });
      const b = sw.addSphere({ position: [1, 1, 0], radius: 0.1 });
      // the processes start from the world's copy, joints included (test/scene-demo-joints.test.ts runs them)
      const j = sw.addJoint({ kind: 'ball', a, b: null, anchorB: [-1, 2, 0] });
      sw.attachRunner({} as Parameters<ShardedWorld['attachRunner']>[0]);
      const code = (f: () => unknown): string | undefined => {
        try {
          f();
        } catch (e) {
          return (e as PhysicsError).code;
        }
        return undefined;
      };
      expect(code(() => sw.addJoint({ kind: 'ball', a: b, b: null, anchorB: [1, 2, 0] }))).toBe('JOINTS_UNSHARDED');
      expect(code(() => sw.removeJoint(j))).toBe('JOINTS_UNSHARDED');
      expect(sw.applyCommands([{ kind: 'despawn', body: a }]).map((f) => f.error.code)).toEqual(['JOINTS_UNSHARDED']);
      expect(sw.applyCommands([{ kind: 'impulse', body: a, value: [0, 1, 0] }])).toEqual([]);
    } finally {
      await sw.close();
    }
  });
});

describe('joints between two bodies in a sharded world (exchange pass)', () => {
  const CONFIG: WorldConfig = { capacity: 64, tickRate: 20, maxBodyRadius: 0.6, jointCapacity: 8 };
  type Builder = Pick<PhysicsWorld, 'addPlane' | 'addSphere' | 'addDynamicBox'> & { addJoint(s: Parameters<PhysicsWorld['addJoint']>[0]): bigint };
  /** A double pendulum, two balls on a 1 m rope and a hinged flap on a falling box, all crossing x = 0. */
  function build(w: Builder): bigint[] {
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    const upper = w.addDynamicBox({ position: [-0.3, 2.6, 0], half: [0.1, 0.4, 0.1], mass: 1, velocity: [2, 0, 0] });
    const lower = w.addDynamicBox({ position: [-0.3, 1.8, 0], half: [0.1, 0.4, 0.1], mass: 1, velocity: [3, 0, 0.5] });
    const j0 = w.addJoint({ kind: 'hinge', a: upper, b: null, anchorA: [0, 0.4, 0], axis: [0, 0, 1] });
    const j1 = w.addJoint({ kind: 'ball', a: lower, b: upper, anchorA: [0, 0.4, 0] });
    const p = w.addSphere({ position: [-1, 1.2, 2], radius: 0.15, mass: 1, velocity: [4, 2, 0] });
    const q = w.addSphere({ position: [-1.5, 1.2, 2], radius: 0.15, mass: 2 });
    const j2 = w.addJoint({ kind: 'distance', a: q, b: p, maxLength: 1 });
    const box = w.addDynamicBox({ position: [-0.4, 1, -2], half: [0.3, 0.2, 0.3], mass: 4, velocity: [1.5, 0, 0] });
    const flap = w.addDynamicBox({ position: [-0.4, 1.2, -1.55], half: [0.3, 0.02, 0.15], mass: 0.5 });
    const j3 = w.addJoint({ kind: 'hinge', a: flap, b: box, anchorA: [0, 0, -0.15], axis: [1, 0, 0], limits: { lower: -1, upper: 1 } });
    for (let k = 0; k < 4; k++) w.addSphere({ position: [-0.5 + 0.4 * k, 0.2, 1 + 0.3 * k], radius: 0.2, mass: 1 });
    // balls in the way of the swinging and flying bodies, on both sides of the borders
    for (let k = 0; k < 12; k++)
      w.addSphere({ position: [-1.1 + 0.2 * k, 0.8 + 0.45 * (k % 3), -2.2 + 0.4 * k], radius: 0.12, mass: 0.5, velocity: [k % 2 ? 1 : -1, 0, 0] });
    return [j0, j1, j2, j3];
  }

  it.each([
    ['2 shards', { xCuts: [0], zCuts: [] }, 0],
    ['4 shards', { xCuts: [0], zCuts: [0] }, 0],
    ['4 shards on 2 worker threads', { xCuts: [0.2], zCuts: [0.5] }, 2],
  ] as Array<[string, { xCuts: number[]; zCuts: number[] }, number]>)(
    '%s: the hash equals the unsharded world at every tick',
    async (_name, partition, workers) => {
      const whole = PhysicsWorld.create(CONFIG);
      const wj = build(whole);
      const sharded = new ShardedWorld(CONFIG, partition, undefined, workers ? { workers } : {});
      try {
        const sj = build(sharded);
        let across = 0;
        for (let t = 0; t < 120; t++) {
          if (t === 70) {
            whole.removeJoint(wj[2]);
            sharded.removeJoint(sj[2]);
          }
          whole.step();
          sharded.step();
          const a = whole.hash(),
            b = sharded.hash();
          if (a !== b) throw new Error(`tick ${t + 1}: sharded hash ${b.toString(16)} != unsharded ${a.toString(16)}`);
          // joint-ticks in which a joint's two bodies were owned by different shards
          for (const j of t < 70 ? [wj[1], wj[2], wj[3]] : [wj[1], wj[3]]) {
            const { a: x, b: y } = whole.jointBodies(j);
            if (sharded.authorityOf(x) !== sharded.authorityOf(y as bigint)) across++;
          }
        }
        console.log(`two-body joints, ${_name}: ${across} joint-ticks with the bodies on different shards`);
        expect(across).toBeGreaterThan(10); // the joints did cross borders
        expect(sharded.jointAngle(sj[3])).toBe(whole.jointAngle(wj[3]));
        expect(sharded.handoffs).toBeGreaterThan(3);
      } finally {
        await sharded.close();
      }
    },
  );

  it('a joint across a border stays exact while a chain of contacts pushes its far body', async () => {
    // A (x = -0.1, shard 0) on a 0.9 m rope to B (x = 0.8, shard 1); D (x = 2.8) rams C (x = 1.66)
    // into B. Shard 0 holds C as a ghost but not D (beyond its 2.5 m halo): C's state of a pass
    // comes from its owner (a jointed world's exchange band is the whole halo). The push reaches
    // A through B (this passes with the narrower band too: the rope goes slack as B is pushed
    // towards A, so it does not prove the wider band is needed).
    const cfg: WorldConfig = { capacity: 16, tickRate: 20, maxBodyRadius: 0.6, jointCapacity: 2, gravity: [0, 0, 0], sleep: { enabled: false } };
    const make = (w: Builder): void => {
      const a = w.addSphere({ position: [-0.1, 1, 0], radius: 0.1, mass: 1 });
      const b = w.addSphere({ position: [0.8, 1, 0], radius: 0.3, mass: 1 });
      w.addSphere({ position: [1.66, 1, 0], radius: 0.55, mass: 1 });
      w.addSphere({ position: [2.8, 1, 0], radius: 0.55, mass: 1, velocity: [-4, 0, 0] });
      w.addJoint({ kind: 'distance', a, b, maxLength: 0.9 });
    };
    const whole = PhysicsWorld.create(cfg);
    make(whole);
    const sharded = new ShardedWorld(cfg, { xCuts: [0], zCuts: [] });
    try {
      make(sharded);
      for (let t = 0; t < 30; t++) {
        whole.step();
        sharded.step();
        if (whole.hash() !== sharded.hash()) throw new Error(`tick ${t + 1}: the sharded hash differs`);
      }
      expect(Math.abs(whole.position(whole.handles()[0])[0] + 0.1)).toBeGreaterThan(0.5); // the push reached A through B
    } finally {
      await sharded.close();
    }
  });

  it('refuses a joint whose island reaches beyond one contact distance, and two-body joints with exchange tick', async () => {
    const sw = new ShardedWorld(CONFIG, { xCuts: [0], zCuts: [] });
    const tw = new ShardedWorld(CONFIG, { xCuts: [0], zCuts: [] }, undefined, { exchange: 'tick' });
    try {
      expect(sw.jointReach()).toBeCloseTo(0.875 * (2 * 0.6 + 0.05), 6); // 1.09375 m
      const a = sw.addSphere({ position: [-1, 1, 0], radius: 0.1 }),
        b = sw.addSphere({ position: [1, 1, 0], radius: 0.1 }),
        c = sw.addSphere({ position: [2, 1, 0], radius: 0.1 });
      sw.addJoint({ kind: 'distance', a, b, maxLength: 1 }); // 1 m of 1.094
      const code = (f: () => unknown): string => {
        try {
          f();
        } catch (e) {
          return `${(e as PhysicsError).code}: ${(e as Error).message}`;
        }
        return 'none';
      };
      // linking c to b makes the island reach 1 + 0.5 m
      expect(code(() => sw.addJoint({ kind: 'distance', a: c, b, maxLength: 0.5 }))).toMatch(
        /^JOINT_TOO_LONG: .*reach 1\.500 m .* over the 1\.094 m the shards' halo allows/,
      );
      sw.addJoint({ kind: 'distance', a: c, b: null, anchorB: [2, 3, 0], maxLength: 1 }); // to the world: no reach
      const d = tw.addSphere({ position: [-1, 1, 0], radius: 0.1 }),
        e = tw.addSphere({ position: [1, 1, 0], radius: 0.1 });
      expect(code(() => tw.addJoint({ kind: 'distance', a: d, b: e, maxLength: 1 }))).toMatch(/^JOINTS_UNSHARDED: .*needs exchange 'pass'/);
    } finally {
      await sw.close();
      await tw.close();
    }
  });
});

describe('joints to the world in a sharded world', () => {
  const CONFIG: WorldConfig = { capacity: 64, tickRate: 20, maxBodyRadius: 1.2, jointCapacity: 8 };
  type Builder = Pick<PhysicsWorld, 'addPlane' | 'addSphere' | 'addDynamicBox'> & { addJoint(s: Parameters<PhysicsWorld['addJoint']>[0]): bigint };
  /** A pendulum, a rope pendulum, a motor-driven door and a swing, all moving across x = 0 and x = 0.3, and spheres they hit. */
  function build(w: Builder): { pendulum: bigint; rope: bigint; door: bigint } {
    w.addPlane({ normal: [0, 1, 0], offset: 0 });
    const bob = w.addDynamicBox({ position: [0, 2, 0], half: [0.15, 0.15, 0.15], mass: 2, velocity: [3, 0, 0], angularVelocity: [0, 0, 3] });
    const pendulum = w.addJoint({ kind: 'hinge', a: bob, b: null, anchorA: [0, 1, 0], axis: [0, 0, 1] });
    const ball = w.addSphere({ position: [-0.8, 1.6, 1.5], radius: 0.2, mass: 1 });
    const rope = w.addJoint({ kind: 'distance', a: ball, b: null, anchorB: [0.6, 3, 1.5], maxLength: 1.7 });
    const leaf = w.addDynamicBox({ position: [0.8, 1.1, -2], half: [0.5, 1, 0.025], mass: 20 });
    const door = w.addJoint({
      kind: 'hinge',
      a: leaf,
      b: null,
      anchorA: [-0.5, 0, 0],
      axis: [0, 1, 0],
      motor: { speed: 1.5, maxTorque: 40, targetAngle: 2.6 },
      limits: { lower: -0.2, upper: 2.8 },
    });
    const seat = w.addDynamicBox({ position: [-0.5, 1, 3.5], half: [0.3, 0.03, 0.15], mass: 5, velocity: [2, 0, 0] });
    for (const x of [-0.25, 0.25]) w.addJoint({ kind: 'distance', a: seat, b: null, anchorA: [x, 0.03, 0], anchorB: [x - 0.5, 3, 3.5], maxLength: 2 });
    for (let k = 0; k < 4; k++) w.addSphere({ position: [-1 + 0.6 * k, 0.25, 0.2 * k], radius: 0.25, mass: 1, friction: 0.4 });
    return { pendulum, rope, door };
  }

  it.each([
    ['2 shards, per-pass exchange', { xCuts: [0.3], zCuts: [] }, 'pass', 0],
    ['4 shards, per-pass exchange', { xCuts: [0], zCuts: [0] }, 'pass', 0],
    ['2 shards, per-tick exchange', { xCuts: [0], zCuts: [] }, 'tick', 0],
    ['4 shards on 2 worker threads', { xCuts: [0], zCuts: [0] }, 'pass', 2],
  ] as Array<[string, { xCuts: number[]; zCuts: number[] }, 'pass' | 'tick', number]>)(
    '%s: the hash equals the unsharded world at every tick, through a save and restore',
    async (_name, partition, exchange, workers) => {
      const whole = PhysicsWorld.create(CONFIG);
      const wj = build(whole);
      const opts = { exchange, ...(workers ? { workers } : {}) };
      let sharded = new ShardedWorld(CONFIG, partition, undefined, opts);
      try {
        const sj = build(sharded);
        for (let t = 0; t < 120; t++) {
          if (t === 40) {
            // the joints travel with the registry in the save; the shard worlds get them back
            const bytes = sharded.save();
            await sharded.close();
            sharded = ShardedWorld.restore(CONFIG, partition, bytes, opts);
            expect(sharded.hash()).toBe(whole.hash());
          }
          if (t === 79) {
            const p = sharded.position(whole.jointBodies(wj.pendulum).a);
            expect(Math.hypot(p[0], p[1] - 3, p[2])).toBeCloseTo(1, 2); // the pendulum still hangs 1 m from its pivot
          }
          if (t === 60) {
            whole.removeJoint(wj.rope);
            sharded.removeJoint(sj.rope);
          }
          if (t === 80) {
            const bob = whole.jointBodies(wj.pendulum).a;
            whole.applyCommands([{ kind: 'despawn', body: bob }]);
            sharded.applyCommands([{ kind: 'despawn', body: bob }]);
          }
          whole.step();
          sharded.step();
          const a = whole.hash(),
            b = sharded.hash();
          if (a !== b) throw new Error(`tick ${t + 1}: sharded hash ${b.toString(16)} != unsharded ${a.toString(16)}`);
        }
        expect(sharded.jointAngle(sj.door)).toBe(whole.jointAngle(wj.door));
        expect(whole.jointAngle(wj.door)).toBeGreaterThan(2.5); // the door turned past 90 degrees: its leaf crossed x = 0.3
        expect(sharded.jointKind(sj.pendulum)).toBeNull(); // removed with its body
        expect(sharded.handoffs).toBeGreaterThan(3);
      } finally {
        await sharded.close();
      }
    },
  );
});
