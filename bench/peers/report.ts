/**
 * The peer benchmark's results file (bench/results/<machine>/physics-peers.json) and its
 * Markdown rendering: the table of time and quality per engine x scene x N, raycasts, ratios to
 * Tessera, and the issue-16 and issue-18 targets checked on rows of the same run (met / missed).
 */
import type { machineInfo } from '../results';
import { ENGINE_ORDER, RAPIER_IDS } from './engines';
import type { RunResult } from './run-job';
import { SCENE_NAMES } from './scene-registry';

export interface ResultsFile {
  schema: 'tessera.physics-peers.v1';
  updatedAt: string;
  machine: ReturnType<typeof machineInfo>;
  node: string;
  v8: string;
  packages: Record<string, string>;
  scenesDoc: string;
  runs: { at: string; argv: string[] }[];
  results: RunResult[];
}

const fmt = (v: number | undefined, digits: number): string => (v === undefined ? '' : v.toFixed(digits));
const fmtInt = (v: number | undefined): string =>
  v === undefined
    ? ''
    : Math.round(v)
        .toString()
        .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
/** Metres with 4 decimals (overlaps are millimetres). */
const fmtM = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(4));

/** Sorts rows by scene (registry order), N, then engine (registry order). */
export function sortResults(rs: RunResult[]): RunResult[] {
  return rs.sort(
    (a, b) => SCENE_NAMES.indexOf(a.scene) - SCENE_NAMES.indexOf(b.scene) || a.n - b.n || ENGINE_ORDER.indexOf(a.engine) - ENGINE_ORDER.indexOf(b.engine),
  );
}

/** The main table: time and quality per row. */
export function markdownTable(results: RunResult[]): string {
  const head =
    '| engine | scene | N | bodies | timed steps | sim s | median ms/step | p90 ms/step | bodies x steps/s | setup ms | peak RSS MiB | ' +
    'worst overlap m (end / max) | mean / max speed m/s | asleep | lost | drift m | note |\n' +
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n';
  const rows = results.map((r) => {
    const note =
      r.status === 'ok'
        ? [
            r.timedReduced ? `timed reduced from ${r.timedRequested}` : '',
            r.quality?.walk !== undefined ? `walking at ${(100 * r.quality.walk).toFixed(1)} % of the commanded speed` : '',
            r.warning ?? '',
          ]
            .filter((x) => x)
            .join('; ')
        : `${r.status}: ${(r.reason ?? '').split('\n')[0]}`;
    const q = r.quality;
    return (
      `| ${r.engine} | ${r.scene} | ${fmtInt(r.n)} | ${fmtInt(r.bodyCount)} | ${r.timed ?? ''} | ${fmt(r.simSeconds, 1)} | ${fmt(r.medianMs, 2)} | ${fmt(r.p90Ms, 2)} | ` +
      `${fmtInt(r.bodyStepsPerSec)} | ${fmt(r.setupMs, 0)} | ${fmt(r.peakRssMiB, 0)} | ` +
      `${q ? `${fmtM(q.overlapEnd)} / ${fmtM(q.overlapMax)}` : ''} | ${q ? `${q.meanSpeed.toFixed(3)} / ${q.maxSpeed.toFixed(2)}` : ''} | ` +
      `${q ? `${(100 * q.asleep).toFixed(1)} %` : ''} | ${q ? q.lost : (r.stats?.escaped ?? '')} | ${fmtM(q?.drift)} | ${note} |`
    );
  });
  return head + rows.join('\n') + '\n';
}

/** Raycast rows: time per ray and hits. */
export function raysTable(results: RunResult[]): string {
  const ok = results.filter((r) => r.status === 'ok' && r.rays);
  if (!ok.length) return '';
  const head = '| engine | scene | N | rays/step | median us/ray | mean us/ray | hit % | mean hit distance m |\n|---|---|---:|---:|---:|---:|---:|---:|\n';
  const rows = ok.map((r) => {
    const y = r.rays as NonNullable<RunResult['rays']>;
    return `| ${r.engine} | ${r.scene} | ${fmtInt(r.n)} | ${y.perStep} | ${y.medianUsPerRay.toFixed(2)} | ${y.meanUsPerRay.toFixed(2)} | ${((100 * y.hits) / Math.max(1, y.total)).toFixed(1)} | ${y.meanHitDist.toFixed(2)} |`;
  });
  return head + rows.join('\n') + '\n';
}

/**
 * Ratio of each peer's median ms/step to Tessera's (> 1: Tessera is faster), per scene and N
 * (pyramid: of mean ms/step, see checkTargets).
 * Medians come from the same results file; rows measured in different runs are marked by
 * their run times in the Runs section.
 */
export function ratioTable(results: RunResult[]): string {
  const ok = results.filter((r) => r.status === 'ok' && r.medianMs !== undefined);
  // The pyramid sleeps within its run (see checkTargets): its ratio is of means.
  const time = (r: RunResult): number => (r.scene === 'pyramid' ? r.meanMs : r.medianMs) ?? Number.NaN;
  const tessera = new Map(ok.filter((r) => r.engine === 'tessera').map((r) => [`${r.scene}|${r.n}`, time(r)]));
  const peers = [...new Set(ok.map((r) => r.engine).filter((e) => e !== 'tessera'))];
  const keys = [...tessera.keys()];
  if (!keys.length || !peers.length) return '';
  const head = `| scene | N | ${peers.join(' | ')} |\n|---|---:|${peers.map(() => '---:').join('|')}|\n`;
  const rows = keys.map((k) => {
    const [scene, n] = k.split('|');
    const t = tessera.get(k) as number;
    const cells = peers.map((e) => {
      const r = ok.find((x) => x.engine === e && `${x.scene}|${x.n}` === k);
      return r ? `${(time(r) / t).toFixed(2)}x` : '';
    });
    return `| ${scene} | ${fmtInt(Number(n))} | ${cells.join(' | ')} |`;
  });
  return head + rows.join('\n') + '\n';
}

/** One checked target. `met` undefined: not measured (rows missing, or not from the same run). */
export interface TargetCheck {
  target: string;
  met: boolean | undefined;
  detail: string;
}

/**
 * The issue-16 and issue-18 targets that bench:physics measures, each checked on rows of one run (the run
 * of Tessera's row; a peer row from another run does not count). Peer: "the fastest Rapier
 * build" is the Rapier row with the lowest median in that run; the quality comparisons use that
 * same row.
 */
export function checkTargets(results: RunResult[]): TargetCheck[] {
  // Rows written before runs were tagged (no runAt) cannot be matched to a run: not used.
  const ok = results.filter((r) => r.status === 'ok' && r.medianMs !== undefined && r.runAt !== undefined);
  const row = (engine: string, scene: string, n: number, runAt?: string): RunResult | undefined =>
    ok.find((r) => r.engine === engine && r.scene === scene && r.n === n && (runAt === undefined || r.runAt === runAt));
  const fastestRapier = (scene: string, n: number, runAt?: string): RunResult | undefined =>
    ok
      .filter((r) => RAPIER_IDS.includes(r.engine) && r.scene === scene && r.n === n && r.runAt === runAt)
      .sort((a, b) => (a.medianMs as number) - (b.medianMs as number))[0];
  const tesseraRows = (scene: string): RunResult[] => ok.filter((r) => r.engine === 'tessera' && r.scene === scene);
  const out: TargetCheck[] = [];
  const ms = (r: RunResult): string => `${(r.medianMs as number).toFixed(3)} ms`;

  // Sleeping bodies cost nothing: resting within 3x of Rapier (SIMD build, else the fastest).
  for (const t of tesseraRows('resting')) {
    const p = row('rapier-simd', 'resting', t.n, t.runAt) ?? fastestRapier('resting', t.n, t.runAt);
    const name = `resting N=${fmtInt(t.n)}: Tessera within 3x of Rapier's step time`;
    if (!p) out.push({ target: name, met: undefined, detail: 'no Rapier row from the same run' });
    else {
      const ratio = (t.medianMs as number) / (p.medianMs as number);
      out.push({ target: name, met: ratio <= 3, detail: `Tessera ${ms(t)}, ${p.engine} ${ms(p)}: ${ratio.toFixed(2)}x (<= 3x)` });
    }
  }
  // A 1,000,000-body world with 10,000 moving: at most 1.5x the 10,000 alone.
  for (const t of tesseraRows('sparse-active')) {
    const a = row('tessera', 'sparse-alone', t.n, t.runAt);
    const name = `sparse-active N=${fmtInt(t.n)} (${fmtInt(t.bodyCount)} bodies): at most 1.5x sparse-alone`;
    if (!a) out.push({ target: name, met: undefined, detail: 'no Tessera sparse-alone row from the same run' });
    else {
      const ratio = (t.medianMs as number) / (a.medianMs as number);
      out.push({ target: name, met: ratio <= 1.5, detail: `${ms(t)} vs ${ms(a)} alone: ${ratio.toFixed(2)}x (<= 1.5x)` });
    }
  }
  // Resting world and mixed pile (drop is the resting world's settling phase): faster than the
  // fastest Rapier build, overlap and residual speed no worse, at least as many asleep.
  for (const scene of ['resting', 'drop', 'mixed']) {
    for (const t of tesseraRows(scene)) {
      const p = fastestRapier(scene, t.n, t.runAt);
      const at = `${scene} N=${fmtInt(t.n)}`;
      if (!p) {
        out.push({ target: `${at}: faster than the fastest Rapier build, quality no worse`, met: undefined, detail: 'no Rapier row from the same run' });
        continue;
      }
      const tq = t.quality;
      const pq = p.quality;
      out.push({
        target: `${at}: faster than the fastest Rapier build (${p.engine})`,
        met: (t.medianMs as number) < (p.medianMs as number),
        detail: `Tessera ${ms(t)}, ${p.engine} ${ms(p)}`,
      });
      if (tq && pq) {
        out.push({
          target: `${at}: worst overlap (max over the run) no worse than ${p.engine}'s`,
          met: tq.overlapMax <= pq.overlapMax,
          detail: `${fmtM(tq.overlapMax)} m vs ${fmtM(pq.overlapMax)} m`,
        });
        out.push({
          target: `${at}: mean residual speed no worse than ${p.engine}'s`,
          met: tq.meanSpeed <= pq.meanSpeed,
          detail: `${tq.meanSpeed.toFixed(4)} m/s vs ${pq.meanSpeed.toFixed(4)} m/s`,
        });
        out.push({
          target: `${at}: at least as many asleep as ${p.engine}`,
          met: tq.asleep >= pq.asleep,
          detail: `${(100 * tq.asleep).toFixed(1)} % vs ${(100 * pq.asleep).toFixed(1)} %`,
        });
      }
    }
  }
  // Dense piles of uniform spheres: keep 2.4x at 5k and 3.5x at 20k over the fastest Rapier.
  for (const [n, want] of [
    [5000, 2.4],
    [20000, 3.5],
  ] as const) {
    const t = row('tessera', 'pile', n);
    const name = `pile N=${fmtInt(n)}: fastest Rapier build / Tessera >= ${want}x`;
    const p = t && fastestRapier('pile', n, t.runAt);
    if (!t || !p) out.push({ target: name, met: undefined, detail: 'no Tessera and Rapier rows from the same run' });
    else {
      const ratio = (p.medianMs as number) / (t.medianMs as number);
      out.push({ target: name, met: ratio >= want, detail: `${p.engine} ${ms(p)} / Tessera ${ms(t)} = ${ratio.toFixed(2)}x` });
    }
  }
  // Issue 18: box pile and pyramid at least 2x the fastest Rapier build, worst overlap and (pyramid) stack drift no worse.
  // The pyramid sleeps within its run: its median is the cost of a sleeping pyramid, its mean that of the whole 10 s,
  // so its speed is compared on means (and "the fastest Rapier build" is the one with the lowest mean).
  for (const scene of ['box-pile', 'pyramid']) {
    const stat = scene === 'pyramid' ? 'meanMs' : 'medianMs';
    for (const t of tesseraRows(scene)) {
      const p = ok
        .filter((r) => RAPIER_IDS.includes(r.engine) && r.scene === scene && r.n === t.n && r.runAt === t.runAt && r[stat] !== undefined)
        .sort((a, b) => (a[stat] as number) - (b[stat] as number))[0];
      const at = `${scene} N=${fmtInt(t.n)}`;
      if (!p || t[stat] === undefined) {
        out.push({ target: `${at}: fastest Rapier build / Tessera >= 2x, quality no worse`, met: undefined, detail: 'no Rapier row from the same run' });
        continue;
      }
      const f = (r: RunResult): string => `${(r[stat] as number).toFixed(3)} ms${stat === 'meanMs' ? ' mean' : ''}`;
      const ratio = (p[stat] as number) / (t[stat] as number);
      out.push({
        target: `${at}: fastest Rapier build / Tessera >= 2x${stat === 'meanMs' ? ' (mean ms/step over the 10 s)' : ''}`,
        met: ratio >= 2,
        detail: `${p.engine} ${f(p)} / Tessera ${f(t)} = ${ratio.toFixed(2)}x`,
      });
      const tq = t.quality;
      const pq = p.quality;
      if (!tq || !pq) continue;
      out.push({
        target: `${at}: worst overlap (max over the run) no worse than ${p.engine}'s`,
        met: tq.overlapMax <= pq.overlapMax,
        detail: `${fmtM(tq.overlapMax)} m vs ${fmtM(pq.overlapMax)} m`,
      });
      if (tq.drift !== undefined && pq.drift !== undefined) {
        out.push({
          target: `${at}: stack drift no worse than ${p.engine}'s`,
          met: tq.drift <= pq.drift,
          detail: `${fmtM(tq.drift)} m vs ${fmtM(pq.drift)} m`,
        });
      }
    }
  }
  // Issue 18: 1,000 walking characters on a heightfield with mesh buildings at 60 Hz: a step within 1/60 s,
  // beside each peer's own character controller in the same run (quality: overlap, lost, walking speed).
  for (const t of tesseraRows('characters')) {
    const at = `characters N=${fmtInt(t.n)}`;
    out.push({ target: `${at}: Tessera's median step within a 60 Hz tick (16.7 ms)`, met: (t.medianMs as number) <= 1000 / 60, detail: ms(t) });
    for (const p of ok.filter((r) => r.engine !== 'tessera' && r.scene === 'characters' && r.n === t.n && r.runAt === t.runAt)) {
      const tq = t.quality,
        pq = p.quality;
      out.push({
        target: `${at}: faster than ${p.engine} with worst overlap no worse and none lost`,
        met: (t.medianMs as number) < (p.medianMs as number) && !!tq && !!pq && tq.overlapMax <= pq.overlapMax && tq.lost === 0,
        detail: `${ms(p)} / ${ms(t)} = ${((p.medianMs as number) / (t.medianMs as number)).toFixed(1)}x; overlap ${fmtM(tq?.overlapMax)} vs ${fmtM(pq?.overlapMax)} m; lost ${tq?.lost} vs ${pq?.lost}`,
      });
    }
  }
  // A static-heavy level costs a moving body at most 1.2x what 10 statics do.
  for (const t of tesseraRows('level')) {
    const f = row('tessera', 'level-few', t.n, t.runAt);
    const name = `level N=${fmtInt(t.n)}: 10,000 statics at most 1.2x level-few (10 statics)`;
    if (!f) out.push({ target: name, met: undefined, detail: 'no Tessera level-few row from the same run' });
    else {
      const ratio = (t.medianMs as number) / (f.medianMs as number);
      out.push({ target: name, met: ratio <= 1.2, detail: `${ms(t)} vs ${ms(f)}: ${ratio.toFixed(2)}x (<= 1.2x)` });
    }
  }
  return out;
}

/** The targets as a Markdown list: MET / MISSED / not measured. */
export function targetsMarkdown(results: RunResult[]): string {
  const checks = checkTargets(results);
  if (!checks.length) return '(no rows for the targets)\n';
  return (
    checks.map((c) => `- **${c.met === undefined ? 'not measured' : c.met ? 'MET' : 'MISSED'}**: ${c.target} (${c.detail})`).join('\n') +
    '\n- not measured by bench:physics: the shard targets (`bench:shards`) and the idle demo world.\n'
  );
}

export function resultsMarkdown(f: ResultsFile): string {
  const m = f.machine;
  const engines = new Map<string, RunResult>();
  for (const r of f.results) if (r.notes && !engines.has(r.engine)) engines.set(r.engine, r);
  const lines = [
    '# Physics peers: Tessera, Rapier, Jolt and cannon-es on the benchmark scenes',
    '',
    `- updated: ${f.updatedAt}`,
    `- machine: ${m.cpuModel}, ${m.cores} logical cores, ${m.memoryGiB} GiB, ${m.platform}/${m.arch} (\`${m.slug}\`)`,
    `- node ${f.node} (V8 ${f.v8}); ${Object.entries(f.packages)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- scenes: ${f.scenesDoc}`,
    '- columns: per-step wall time (recycle + step) over the timed steps; sim s = simulated time at the end',
    '  ((warm-up + timed) x dt); bodies x steps/s = N x timed / total timed time; peak RSS of the child process',
    '  (one process per row). Quality, computed from positions, radii and velocities the same way for every engine',
    '  (bench/peers/quality.ts): worst overlap = deepest sphere-sphere or sphere-static penetration (box scenes:',
    '  box-box or box-static, separating-axis depth of the oriented boxes) after the last step / its max over that',
    '  and samples every 60 timed steps (worlds up to 200,000 bodies); speed = mean and max |v| after the last step;',
    "  asleep = bodies the engine's own sleep state reports asleep; lost = centres outside the box interior (level,",
    '  pyramid: off the floor) or not finite; drift (pyramid) = largest displacement of a box from its start after the last step.',
    '',
    markdownTable(f.results).trim(),
    '',
    '## Raycasts',
    '',
    'Rays cast after each timed step, timed apart from the step (closest hit per ray).',
    '',
    raysTable(f.results).trim() || '(none)',
    '',
    '## Ratio to Tessera',
    '',
    "Peer median ms/step divided by Tessera's (> 1: Tessera is faster); pyramid: mean ms/step over its 10 s (it falls asleep within the run).",
    '',
    ratioTable(f.results).trim(),
    '',
    '## Targets (issues 16 and 18)',
    '',
    'Medians and quality of rows from the same run as Tessera\'s row; "the fastest Rapier build" is the Rapier row with the lowest median.',
    '',
    targetsMarkdown(f.results).trim(),
    '',
    '## Engines',
    '',
    ...[...engines.values()].map((r) => `- \`${r.engine}\`: ${r.pkg} ${r.version}; ${r.notes}`),
    '',
    '## Tessera state hashes',
    '',
    'PhysicsWorld.hash() after the last step (a row reproduces only with the same warm-up and timed steps).',
    '',
    ...f.results.filter((r) => r.stateHash).map((r) => `- ${r.engine} ${r.scene} N=${r.n}, ${r.warmup}+${r.timed} steps: \`${r.stateHash}\``),
    '',
    '## Layouts',
    '',
    ...[...new Map(f.results.filter((r) => r.layout).map((r) => [`${r.scene}|${r.n}`, r])).values()].map((r) => `- ${r.scene} N=${r.n}: ${r.layout}`),
    '',
    '## Runs',
    '',
    ...f.runs.map((r) => `- ${r.at}: \`node build/dist/bench/peers/run-peers.js ${r.argv.join(' ')}\``),
    '',
  ];
  return lines.join('\n');
}
