/**
 * The peer physics benchmark (bench/peers, `npm run bench:physics`): its engine-independent
 * quality figures, and a tiny end-to-end run of every scene on Tessera, Rapier (SIMD build)
 * and Jolt through the compiled runner (build/dist, `npm test` builds it), checking that each
 * row runs and carries the quality columns and the targets section. No timing is asserted.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTargets } from '../bench/peers/report';
import type { RunResult } from '../bench/peers/run-job';
import { speeds, sphereBoxPenetration, worstOverlap } from '../bench/peers/quality';
import { makeScene, SCENE_NAMES } from '../bench/peers/scene-registry';
import { mulberry32, sphereRadius, type SceneSpec } from '../bench/peers/scenes';

const RUNNER = join(__dirname, '..', 'build', 'dist', 'bench', 'peers', 'run-peers.js');

/** Brute-force worst overlap: every pair and every sphere against every static. */
function bruteOverlap(scene: SceneSpec, p: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < scene.n; i++) {
    for (let j = i + 1; j < scene.n; j++) {
      const d = Math.hypot(p[3 * i] - p[3 * j], p[3 * i + 1] - p[3 * j + 1], p[3 * i + 2] - p[3 * j + 2]);
      worst = Math.max(worst, sphereRadius(scene, i) + sphereRadius(scene, j) - d);
    }
    for (const s of scene.statics) {
      worst = Math.max(worst, sphereBoxPenetration(p[3 * i], p[3 * i + 1], p[3 * i + 2], sphereRadius(scene, i), s.center, s.halfExtents));
    }
  }
  return worst;
}

describe('bench peers: quality figures', () => {
  test('worst overlap finds a sphere pair, a sphere in the floor and a sphere inside a crate', () => {
    const scene = makeScene('level', 3);
    const crate = scene.statics.find((s) => s.name === 'crate');
    if (!crate) throw new Error('level has no crate');
    const p = new Float64Array(9);
    p.set([50, 5, 50, 50.9, 5, 50, 100, 5, 100], 0); // 0.1 m sphere-sphere overlap, third sphere free
    expect(worstOverlap(scene, p)).toEqual({ depth: expect.closeTo(0.1, 9), kind: 'sphere-sphere' });
    // 0.2 m into the floor (top y = 0) midway between boxes (grid of 4 m, boxes <= 0.6 + 0.5 m from their cell centre).
    p.set([200, 0.3, 200], 6);
    expect(worstOverlap(scene, p)).toEqual({ depth: expect.closeTo(0.2, 9), kind: 'sphere-static' });
    p.set([crate.center[0], crate.center[1], crate.center[2]], 6); // centre inside: r + distance to the nearest face
    expect(worstOverlap(scene, p)).toEqual({ depth: expect.closeTo(0.5 + crate.halfExtents[0], 9), kind: 'sphere-static' });
  });

  test('worst overlap equals a brute-force scan on random mixed-radius states', () => {
    const scene = makeScene('mixed', 300);
    const rng = mulberry32(7);
    for (let trial = 0; trial < 5; trial++) {
      const p = new Float64Array(3 * scene.n);
      for (let i = 0; i < p.length; i++) p[i] = -1 + rng() * (trial < 3 ? 12 : 40); // dense and sparse
      expect(worstOverlap(scene, p).depth).toBeCloseTo(Math.max(0, bruteOverlap(scene, p)), 9);
    }
  });

  test('speeds: mean and max |v|, a non-finite velocity counts as infinite', () => {
    expect(speeds(Float64Array.from([3, 4, 0, 0, 0, 1]))).toEqual({ mean: 3, max: 5 });
    expect(speeds(Float64Array.from([Number.NaN, 0, 0])).max).toBe(Infinity);
  });

  test('targets compare rows of the same run only', () => {
    const row = (engine: string, scene: 'level' | 'level-few', medianMs: number, runAt: string): RunResult => ({
      engine,
      scene,
      n: 100,
      seed: 1,
      status: 'ok',
      medianMs,
      runAt,
      finishedAt: runAt,
    });
    const met = checkTargets([row('tessera', 'level', 1.1, 'a'), row('tessera', 'level-few', 1, 'a')]);
    expect(met.find((c) => c.target.startsWith('level N=100'))?.met).toBe(true);
    const missed = checkTargets([row('tessera', 'level', 1.3, 'a'), row('tessera', 'level-few', 1, 'a')]);
    expect(missed.find((c) => c.target.startsWith('level N=100'))?.met).toBe(false);
    const apart = checkTargets([row('tessera', 'level', 1.1, 'a'), row('tessera', 'level-few', 1, 'b')]);
    expect(apart.find((c) => c.target.startsWith('level N=100'))?.met).toBeUndefined();
  });
});

describe('bench peers: end to end', () => {
  let dir = '';
  beforeAll(() => {
    if (!existsSync(RUNNER)) throw new Error(`${RUNNER} missing: run \`npm run build\` first`);
    dir = mkdtempSync(join(tmpdir(), 'bench-peers-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('every scene runs on tessera, rapier-simd and jolt (but a --skip row) with quality columns and a targets section', () => {
    const out = join(dir, 'peers.json');
    execFileSync(
      process.execPath,
      [
        RUNNER,
        '--engines',
        'tessera,rapier-simd,jolt',
        '--scenes',
        SCENE_NAMES.join(','),
        '--sizes',
        '20',
        '--warmup',
        '2',
        '--timed',
        '3',
        '--tiering',
        '--skip',
        'jolt@pile@20',
        '--out',
        out,
        '--fresh',
      ],
      { stdio: 'pipe', timeout: 240_000 },
    );
    const file = JSON.parse(readFileSync(out, 'utf8')) as { results: RunResult[] };
    expect(file.results).toHaveLength(3 * SCENE_NAMES.length);
    const skipped = file.results.filter((r) => r.status === 'skipped');
    expect(skipped.map((r) => [r.engine, r.scene, r.reason])).toEqual([['jolt', 'pile', 'not run (--skip jolt@pile@20)']]);
    for (const r of file.results.filter((x) => x !== skipped[0])) {
      expect({ engine: r.engine, scene: r.scene, status: r.status, reason: r.reason }).toEqual({
        engine: r.engine,
        scene: r.scene,
        status: 'ok',
        reason: undefined,
      });
      expect(r.quality).toBeDefined();
      if (r.engine === 'tessera') expect(r.stateHash).toMatch(/^[0-9a-f]{16}$/);
      expect(r.quality?.lost).toBe(0);
      expect(r.quality?.overlapMax).toBeLessThan(1); // spheres r <= 1 m: a broken reader gives ~2 r
      if (r.scene === 'raycast') {
        expect(r.rays?.total).toBe(3 * (r.rays?.perStep ?? 0));
        expect(r.rays?.hits).toBeGreaterThan(0);
      }
    }
    // The rays hit the same things in every engine after 5 steps (mostly statics): same hit count.
    const hits = file.results.filter((r) => r.scene === 'raycast').map((r) => r.rays?.hits);
    expect(new Set(hits).size).toBe(1);
    const md = readFileSync(out.replace(/\.json$/, '.md'), 'utf8');
    expect(md).toContain('## Targets (issue 16)');
    expect(md).toMatch(/\*\*(MET|MISSED)\*\*: level N=20/);
  }, 300_000);
});
