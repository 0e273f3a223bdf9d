/**
 * Dense-pile quality of Tessera on bench:physics' own scenes (bench/peers/scenes.ts pile,
 * scenes-rest.ts mixed) at any N (the scenes keep their depth as N changes: pile 20 layers,
 * mixed about 10), for comparing solver settings without timing. Deterministic figures only:
 * worst overlap (bench/peers/quality.ts, the same measure as bench:physics) at the end and its
 * max over every 60th tick from 120 on (bench:physics samples after its 60 warm-up steps),
 * mean / max speed (m/s), fraction asleep, bodies lost, the state hash, and the solver work:
 * contact-pass visits summed over the run (contacts of each tick x 2 Jacobi passes, position and
 * velocity, per substep), in millions.
 *
 *   npm run build && node build/dist/bench/rest/pile-quality.js [--scene pile|mixed] [--n 5000]
 *       [--ticks T] [--substeps S] [--relax w] [--push m/s] [--rolling c] [--mu friction]
 *       [--sleep 0|1] [--seed k] [--diag] [--fast]
 *
 * Defaults: pile 2,000 for 360 ticks (bench:physics' 60 warm-up + 300 timed steps), mixed
 * 1,500 for 960 ticks (60 + 900); sleeping as the scene says (pile off, mixed on); the world's
 * default solver settings; seed 1 (bench:physics' seed) unless --seed. --diag adds mean |v_y|, |v_xz|, the motion over the last tick and
 * over the last 60 ticks (displacement / time: a velocity that moves nothing is held velocity)
 * and the mean speed by height fifth; --fast lists the 12 fastest spheres.
 */
import { DEFAULT_SUBSTEPS, PhysicsWorld, type WorldConfig } from '../../src/physics/world';
import { pileScene, sphereRadius, type SceneSpec } from '../peers/scenes';
import { addScene, sceneConfig } from '../peers/tessera';
import { mixedScene } from '../peers/scenes-rest';
import { lostCount, speeds, worstOverlap } from '../peers/quality';

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string): string => {
    const k = args.indexOf(`--${name}`);
    return k >= 0 ? args[k + 1] : dflt;
  };
  const kind = opt('scene', 'pile');
  const n = Number(opt('n', kind === 'pile' ? '2000' : '1500'));
  const ticks = Number(opt('ticks', kind === 'pile' ? '360' : '960'));
  const seed = Number(opt('seed', '1'));
  const scene: SceneSpec = kind === 'pile' ? pileScene(n, seed) : mixedScene(n, seed);
  if (args.includes('--mu')) (scene as { friction: number }).friction = Number(opt('mu', '0.5'));
  const cfg: WorldConfig = sceneConfig(scene);
  if (args.includes('--sleep')) cfg.sleep = { enabled: opt('sleep', '1') === '1' };
  if (args.includes('--substeps')) cfg.substeps = Number(opt('substeps', '4'));
  if (args.includes('--relax')) cfg.relaxation = Number(opt('relax', '1.75'));
  if (args.includes('--push')) cfg.maxPushSpeed = Number(opt('push', '10'));
  if (args.includes('--rolling')) cfg.rollingResistance = Number(opt('rolling', '0.02'));
  const world = PhysicsWorld.create(cfg);
  const spheres = addScene(world, scene);
  const S = cfg.substeps ?? DEFAULT_SUBSTEPS;
  let passes = 0,
    maxOverlap = 0;
  const pos = new Float64Array(3 * n),
    vel = new Float64Array(3 * n);
  const report = (t: number): void => {
    // (max: the worst overlap over this and every 60th tick from 120 on, as bench:physics samples after its 60 warm-up steps)
    for (let i = 0; i < n; i++) {
      const p = world.position(spheres[i]),
        v = world.velocity(spheres[i]);
      for (let a = 0; a < 3; a++) {
        pos[3 * i + a] = p[a];
        vel[3 * i + a] = v[a];
      }
    }
    const o = worstOverlap(scene, pos),
      s = speeds(vel);
    if (t >= 120) maxOverlap = Math.max(maxOverlap, o.depth);
    let asleep = 0;
    for (const h of spheres) if (world.isSleeping(h)) asleep++;
    if (args.includes('--diag')) {
      // mean |v_y|, mean |v_xz|, mean motion (displacement over the last tick / dt), mean speed by height fifth
      let vy = 0,
        vh = 0,
        motion = 0,
        ymax = 0;
      for (let i = 0; i < n; i++) ymax = Math.max(ymax, pos[3 * i + 1]);
      const band = [0, 0, 0, 0, 0],
        cnt = [0, 0, 0, 0, 0];
      for (let i = 0; i < n; i++) {
        vy += Math.abs(vel[3 * i + 1]);
        vh += Math.hypot(vel[3 * i], vel[3 * i + 2]);
        motion += Math.hypot(pos[3 * i] - prev[3 * i], pos[3 * i + 1] - prev[3 * i + 1], pos[3 * i + 2] - prev[3 * i + 2]) / scene.dt;
        const b = Math.min(4, Math.floor((5 * pos[3 * i + 1]) / (ymax + 1e-9)));
        band[b] += Math.hypot(vel[3 * i], vel[3 * i + 1], vel[3 * i + 2]);
        cnt[b]++;
      }
      if (args.includes('--fast')) {
        const idx = [...Array(n).keys()].sort(
          (a, b) => Math.hypot(vel[3 * b], vel[3 * b + 1], vel[3 * b + 2]) - Math.hypot(vel[3 * a], vel[3 * a + 1], vel[3 * a + 2]),
        );
        for (const i of idx.slice(0, 12)) {
          const w = world.angularVelocity(spheres[i]);
          console.log(
            `    #${i} r ${sphereRadius(scene, i).toFixed(2)} p ${[0, 1, 2].map((a) => pos[3 * i + a].toFixed(3)).join(',')} v ${[0, 1, 2].map((a) => vel[3 * i + a].toFixed(4)).join(',')} ` +
              `w ${w.map((x) => x.toFixed(3)).join(',')} moved ${(Math.hypot(pos[3 * i] - prev[3 * i], pos[3 * i + 1] - prev[3 * i + 1], pos[3 * i + 2] - prev[3 * i + 2]) * 1000).toFixed(3)} mm asleep ${world.isSleeping(spheres[i])}`,
          );
        }
      }
      let net = 0;
      for (let i = 0; i < n; i++) net += Math.hypot(pos[3 * i] - back[3 * i], pos[3 * i + 1] - back[3 * i + 1], pos[3 * i + 2] - back[3 * i + 2]);
      console.log(
        `  net motion over the last 60 ticks / 60 dt ${(net / n / (60 * scene.dt)).toFixed(4)}  |vy| ${(vy / n).toFixed(4)}  |vxz| ${(vh / n).toFixed(4)}  motion ${(motion / n).toFixed(4)}  by height (low..high) ${band.map((b, k) => (b / Math.max(1, cnt[k])).toFixed(4)).join(' ')}`,
      );
    }
    console.log(
      `${kind} ${n} tick ${String(t).padStart(4)}  overlap ${(o.depth * 1000).toFixed(1).padStart(6)} mm (${o.kind}, max ${(maxOverlap * 1000).toFixed(1)})  mean ${s.mean.toFixed(4)}  max ${s.max.toFixed(3)} m/s  ` +
        `asleep ${((100 * asleep) / n).toFixed(1)} %  lost ${lostCount(scene, pos)}  passes ${(passes / 1e6).toFixed(1)} M  hash ${world.hash().toString(16)}`,
    );
  };
  const marks = new Set([Math.round(ticks / 3), Math.round((2 * ticks) / 3), ticks]);
  const prev = new Float64Array(3 * n),
    back = new Float64Array(3 * n);
  for (let t = 1; t <= ticks; t++) {
    if (marks.has(t + 59))
      for (let i = 0; i < n; i++) {
        const p = world.position(spheres[i]);
        for (let a = 0; a < 3; a++) back[3 * i + a] = p[a];
      }
    if (marks.has(t))
      for (let i = 0; i < n; i++) {
        const p = world.position(spheres[i]);
        for (let a = 0; a < 3; a++) prev[3 * i + a] = p[a];
      }
    world.step();
    passes += world.contactCount * S * 2;
    if (t % 60 === 0 && t >= 120 && !marks.has(t)) {
      for (let i = 0; i < n; i++) {
        const p = world.position(spheres[i]);
        for (let a = 0; a < 3; a++) pos[3 * i + a] = p[a];
      }
      maxOverlap = Math.max(maxOverlap, worstOverlap(scene, pos).depth);
    }
    if (marks.has(t)) report(t);
  }
}

main();
