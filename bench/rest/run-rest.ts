/**
 * Rest quality: do bodies come to rest, do piles sleep, does push-out launch anything, does
 * an idle avatar stand still? Deterministic figures only (no timing): for each scene, at
 * fixed ticks, the mean and max speed of the dynamic bodies (m/s; sleeping bodies count as
 * 0), the mean motion (displacement over the last tick / dt: a body held in a pile can
 * carry a velocity its contacts cancel), the worst overlap (m, sphere-sphere and
 * sphere-static), the fraction asleep, bodies lost (fell through the floor or left the
 * scene) and the state hash.
 *
 *   npm run build && node build/dist/bench/rest/run-rest.js [--scenes drop,pile,mixed,demo] [--n 3000]
 *
 * Scenes (sleeping on in all of them, 60 Hz unless said):
 *   drop   N spheres (r = 0.5 m) on a jittered 1.03 m grid (3 cm apart, so they jostle their
 *          neighbours), dropped 1 to 1.2 m onto a plane with horizontal velocities up to
 *          0.3 m/s per axis, so they collide, roll and come to rest in clusters; 10 s.
 *   pile   bench/peers' dense pile (2,000 spheres of r = 0.5 m falling into a closed box); 10 s.
 *   mixed  a dense pile of 1,000 spheres of radii uniform in 0.25..1 m falling into a walled
 *          box (about 14 m square); 16 s.
 *   demo   scenes/demo.json (20 Hz) with one avatar at the first spawn point that gets no
 *          input; 60 s. Also reports the avatar's height range and top speed over the last
 *          20 s (it should rest within 1 mm and never be launched).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PhysicsWorld, type BodyHandle, type WorldConfig } from '../../src/physics/world';
import { parseScene, sceneSetup } from '../../src/scene';
import type { ShardedWorld } from '../../src/physics/sharded';
import { mulberry32, pileScene } from '../peers/scenes';

type V3 = readonly [number, number, number];

/** A static the overlap measure knows: a plane (n . x = d) or an axis-aligned box. */
type Static = { plane: { n: V3; d: number } } | { box: { c: V3; h: V3 } };

interface Scene {
  name: string;
  world: PhysicsWorld;
  spheres: Array<{ h: BodyHandle; r: number }>;
  statics: Static[];
  /** Ticks at which a row is printed. */
  at: number[];
  /** The scene's extent: a body further out (or below the floor) is lost. */
  lost: (p: V3) => boolean;
  avatar?: BodyHandle;
  /** Ticks per second. */
  rate: number;
}

interface Row {
  scene: string;
  t: number;
  meanSpeed: number;
  maxSpeed: number;
  /** Mean of |displacement over the last tick| / dt (m/s): what a viewer sees move. */
  meanMotion: number;
  worstOverlap: number;
  asleep: number;
  lost: number;
  hash: string;
}

/** Solver settings from the command line (--push m/s, --relax w, --rolling c, --threshold m/s, --substeps S), for comparisons. */
const overrides: WorldConfig = {};

function worldOf(cfg: WorldConfig): PhysicsWorld {
  return PhysicsWorld.create({ contactsPerBody: 16, ...cfg, ...overrides });
}

function addStaticBox(s: Scene, c: V3, h: V3, friction = 0.5, restitution = 0.2): void {
  s.world.addBox({ position: c, half: h, friction, restitution });
  s.statics.push({ box: { c, h } });
}

function dropScene(n: number): Scene {
  const world = worldOf({ capacity: n + 8, maxBodyRadius: 0.5 });
  const s: Scene = { name: `drop ${n}`, world, spheres: [], statics: [], rate: 60, at: [60, 180, 300, 600], lost: (p) => p[1] < -0.1 };
  world.addPlane({ normal: [0, 1, 0], offset: 0, friction: 0.5, restitution: 0.2 });
  s.statics.push({ plane: { n: [0, 1, 0], d: 0 } });
  const rng = mulberry32(7);
  const g = Math.ceil(Math.sqrt(n));
  for (let i = 0; i < n; i++) {
    const x = (i % g) * 1.03 + (rng() - 0.5) * 0.02,
      z = Math.floor(i / g) * 1.03 + (rng() - 0.5) * 0.02;
    const h = world.addSphere({
      position: [x, 1.5 + rng() * 0.2, z],
      velocity: [(rng() - 0.5) * 0.6, 0, (rng() - 0.5) * 0.6],

      radius: 0.5,
      friction: 0.5,
      restitution: 0.2,
    });
    s.spheres.push({ h, r: 0.5 });
  }
  return s;
}

function pileOf(n: number): Scene {
  const spec = pileScene(n, 1);
  const world = worldOf({ capacity: n + 16, maxBodyRadius: spec.radius });
  const s: Scene = { name: `pile ${n}`, world, spheres: [], statics: [], rate: 60, at: [60, 300, 600], lost: () => false };
  for (const b of spec.statics) addStaticBox(s, b.center, b.halfExtents, spec.friction, spec.restitution);
  const [lo, hi] = [spec.interior.min, spec.interior.max];
  s.lost = (p) => p[0] < lo[0] || p[0] > hi[0] || p[1] < lo[1] || p[1] > hi[1] || p[2] < lo[2] || p[2] > hi[2];
  for (let i = 0; i < n; i++) {
    const p = spec.positions,
      v = spec.velocities;
    const h = world.addSphere({
      position: [p[3 * i], p[3 * i + 1], p[3 * i + 2]],
      velocity: [v[3 * i], v[3 * i + 1], v[3 * i + 2]],
      radius: spec.radius,
      mass: spec.sphereMass,
      friction: spec.friction,
      restitution: spec.restitution,
    });
    s.spheres.push({ h, r: spec.radius });
  }
  return s;
}

function mixedPile(n: number): Scene {
  const world = worldOf({ capacity: n + 16, maxBodyRadius: 1 });
  const s: Scene = { name: `mixed ${n}`, world, spheres: [], statics: [], rate: 60, at: [60, 300, 600, 960], lost: () => false };
  const g = 7,
    cell = 2.05,
    side = g * cell,
    layers = Math.ceil(n / (g * g)),
    height = layers * cell + 4;
  const w = 0.5;
  addStaticBox(s, [side / 2, -w, side / 2], [side / 2 + 2 * w, w, side / 2 + 2 * w]);
  addStaticBox(s, [-w, height / 2, side / 2], [w, height / 2, side / 2 + 2 * w]);
  addStaticBox(s, [side + w, height / 2, side / 2], [w, height / 2, side / 2 + 2 * w]);
  addStaticBox(s, [side / 2, height / 2, -w], [side / 2 + 2 * w, height / 2, w]);
  addStaticBox(s, [side / 2, height / 2, side + w], [side / 2 + 2 * w, height / 2, w]);
  s.lost = (p) => p[0] < 0 || p[0] > side || p[2] < 0 || p[2] > side || p[1] < 0;
  const rng = mulberry32(11);
  for (let i = 0; i < n; i++) {
    const r = 0.25 + 0.75 * rng();
    const ix = i % g,
      iz = Math.floor(i / g) % g,
      iy = Math.floor(i / (g * g));
    const j = (cell - 2 * r) / 2 - 0.01;
    const h = world.addSphere({
      position: [(ix + 0.5) * cell + (rng() - 0.5) * j, 1 + iy * cell + (rng() - 0.5) * 0.02, (iz + 0.5) * cell + (rng() - 0.5) * j],
      velocity: [rng() - 0.5, 0, rng() - 0.5],
      radius: r,
      mass: 1000 * ((4 / 3) * Math.PI * r * r * r),
      friction: 0.5,
      restitution: 0.2,
    });
    s.spheres.push({ h, r });
  }
  return s;
}

function demoScene(): Scene {
  const file = parseScene(JSON.parse(readFileSync(join(repoRoot(), 'scenes', 'demo.json'), 'utf8')));
  const setup = sceneSetup(file);
  const world = worldOf(setup.config);
  // the scene builder uses only addPlane / addBox / addSphere, which PhysicsWorld has with the same meaning
  setup.scene?.(world as unknown as ShardedWorld);
  const s: Scene = {
    name: 'demo',
    world,
    spheres: [],
    statics: [],
    rate: file.world.tickRate,
    at: [200, 600, 1000, 1200],
    lost: (p) => p[1] < -0.1 || Math.abs(p[0]) > 40 || Math.abs(p[2]) > 40,
  };
  for (const st of file.statics ?? []) {
    if ('plane' in st) s.statics.push({ plane: { n: st.plane.normal, d: st.plane.offset } });
    else if ('box' in st) s.statics.push({ box: { c: st.box.center, h: st.box.half } });
  }
  // the builder adds the piles' spheres, then the ball pits', in slot order
  const radii: number[] = [];
  for (const p of file.piles ?? []) for (let k = 0; k < (p.layers * (p.layers + 1) * (2 * p.layers + 1)) / 6; k++) radii.push(p.radius);
  for (const b of file.ballPits ?? []) for (let k = 0; k < b.count; k++) radii.push(b.radius);
  const moving = world.handles().filter((h) => !world.isStatic(h));
  if (moving.length !== radii.length) throw new Error(`demo: ${moving.length} moving bodies, ${radii.length} expected`);
  moving.forEach((h, k) => {
    s.spheres.push({ h, r: radii[k] });
  });
  // an avatar as MainSim makes one (radius 0.35, half height 0.55, 70 kg, never sleeps), no input
  s.avatar = world.addCharacter({ position: file.spawnPoints[0], radius: 0.35, halfHeight: 0.55, mass: 70, noSleep: true });
  return s;
}

function repoRoot(): string {
  let dir = __dirname;
  for (let k = 0; k < 8; k++) {
    try {
      readFileSync(join(dir, 'package.json'));
      return dir;
    } catch {
      dir = join(dir, '..');
    }
  }
  throw new Error('repository root not found');
}

function speed(v: V3): number {
  return Math.hypot(v[0], v[1], v[2]);
}

/** Worst overlap (m): sphere pairs through a hash grid, and every sphere against every static. */
function worstOverlap(s: Scene, pos: V3[]): number {
  let worst = 0;
  const cell = 2;
  const grid = new Map<string, number[]>();
  const key = (x: number, y: number, z: number) => `${x},${y},${z}`;
  pos.forEach((p, i) => {
    const k = key(Math.floor(p[0] / cell), Math.floor(p[1] / cell), Math.floor(p[2] / cell));
    let l = grid.get(k);
    if (!l) grid.set(k, (l = []));
    l.push(i);
  });
  pos.forEach((p, i) => {
    const cx = Math.floor(p[0] / cell),
      cy = Math.floor(p[1] / cell),
      cz = Math.floor(p[2] / cell);
    for (let dx = -1; dx <= 1; dx++)
      for (let dy = -1; dy <= 1; dy++)
        for (let dz = -1; dz <= 1; dz++)
          for (const j of grid.get(key(cx + dx, cy + dy, cz + dz)) ?? []) {
            if (j <= i) continue;
            const q = pos[j];
            const o = s.spheres[i].r + s.spheres[j].r - Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
            if (o > worst) worst = o;
            if (o > 0.2 && process.env.REST_DEBUG) console.log('pair', i, j, o, p, q);
          }
    for (const st of s.statics) {
      let o: number;
      if ('plane' in st) o = s.spheres[i].r - (st.plane.n[0] * p[0] + st.plane.n[1] * p[1] + st.plane.n[2] * p[2] - st.plane.d);
      else {
        const { c, h } = st.box;
        const d = [0, 1, 2].map((a) => Math.max(0, Math.abs(p[a] - c[a]) - h[a]));
        const inside = d.every((x) => x === 0);
        o = inside ? s.spheres[i].r + Math.min(...[0, 1, 2].map((a) => h[a] - Math.abs(p[a] - c[a]))) : s.spheres[i].r - Math.hypot(d[0], d[1], d[2]);
      }
      if (o > worst) worst = o;
      if (o > 0.2 && process.env.REST_DEBUG) console.log('static', i, o, p, JSON.stringify(st));
    }
  });
  return worst;
}

function row(s: Scene, prev: V3[]): Row {
  const pos: V3[] = [];
  let sum = 0,
    max = 0,
    asleep = 0,
    lost = 0;
  for (const b of s.spheres) {
    const p = s.world.position(b.h);
    pos.push(p);
    const v = speed(s.world.velocity(b.h));
    sum += v;
    if (v > max) max = v;
    if (s.world.isSleeping(b.h)) asleep++;
    if (s.lost(p)) lost++;
  }
  const n = s.spheres.length;
  return {
    scene: s.name,
    t: s.world.tick,
    meanSpeed: sum / n,
    maxSpeed: max,
    meanMotion: (pos.reduce((a, p, i) => a + Math.hypot(p[0] - prev[i][0], p[1] - prev[i][1], p[2] - prev[i][2]), 0) * s.rate) / n,
    worstOverlap: worstOverlap(s, pos),
    asleep: asleep / n,
    lost,
    hash: s.world.hash().toString(16),
  };
}

function run(s: Scene): Row[] {
  const rows: Row[] = [];
  const end = Math.max(...s.at);
  let aLo = Number.POSITIVE_INFINITY,
    aHi = Number.NEGATIVE_INFINITY,
    aV = 0;
  const tickRate = s.rate;
  for (let t = 1; t <= end; t++) {
    const prev = s.at.includes(t) ? s.spheres.map((b) => s.world.position(b.h)) : [];
    s.world.step();
    if (s.avatar !== undefined && t > end - 20 * tickRate) {
      const y = s.world.position(s.avatar)[1];
      aLo = Math.min(aLo, y);
      aHi = Math.max(aHi, y);
      aV = Math.max(aV, speed(s.world.velocity(s.avatar)));
    }
    if (s.at.includes(t)) {
      const r = row(s, prev);
      rows.push(r);
      console.log(
        `${r.scene.padEnd(12)} tick ${String(r.t).padStart(5)}  mean ${r.meanSpeed.toFixed(4)} m/s  max ${r.maxSpeed.toFixed(3)} m/s  motion ${r.meanMotion.toFixed(4)} m/s  ` +
          `overlap ${(r.worstOverlap * 1000).toFixed(1)} mm  asleep ${(100 * r.asleep).toFixed(1)} %  lost ${r.lost}  hash ${r.hash}`,
      );
    }
  }
  if (process.env.REST_DEBUG) {
    for (const b of s.spheres) {
      if (s.world.isSleeping(b.h)) continue;
      const p = s.world.position(b.h),
        v = s.world.velocity(b.h);
      const rec = s.world.exportBody(b.h);
      console.log(
        '  awake',
        b.r,
        'count',
        new DataView(rec.buffer, rec.byteOffset).getInt32(16, true),
        'w',
        s.world
          .angularVelocity(b.h)
          .map((x) => x.toFixed(3))
          .join(','),
        p.map((x) => x.toFixed(2)).join(','),
        v.map((x) => x.toFixed(3)).join(','),
      );
    }
  }
  if (s.avatar !== undefined) {
    console.log(
      `${s.name.padEnd(12)} avatar over the last 20 s: y ${aLo.toFixed(4)}..${aHi.toFixed(4)} m (range ${((aHi - aLo) * 1000).toFixed(2)} mm), top speed ${aV.toFixed(4)} m/s`,
    );
  }
  return rows;
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string) => {
    const k = args.indexOf(`--${name}`);
    return k >= 0 ? args[k + 1] : dflt;
  };
  const scenes = opt('scenes', 'drop,pile,mixed,demo').split(',');
  const n = Number(opt('n', '3000'));
  if (args.includes('--push')) overrides.maxPushSpeed = Number(opt('push', '0'));
  if (args.includes('--relax')) overrides.relaxation = Number(opt('relax', '0'));
  if (args.includes('--rolling')) overrides.rollingResistance = Number(opt('rolling', '0'));
  if (args.includes('--substeps')) overrides.substeps = Number(opt('substeps', '4'));
  if (args.includes('--threshold')) overrides.restitutionThreshold = Number(opt('threshold', '0'));
  for (const name of scenes) {
    const s = name === 'drop' ? dropScene(n) : name === 'pile' ? pileOf(2000) : name === 'mixed' ? mixedPile(1000) : name === 'demo' ? demoScene() : undefined;
    if (!s) throw new Error(`unknown scene ${name}`);
    run(s);
  }
}

main();
