/**
 * What one tick of the settled demo world costs the host, by work counter and by CPU profile
 * share (issue 16): the world loop `tessera serve` runs (the demo scene, its 4 shards on this
 * thread so the physics shows in the profile, the log appended to SQLite), ticked back to back
 * with nobody connected: `settle` ticks, then `ticks` ticks under the V8 CPU profiler.
 *
 *   node build/dist/bench/idle/tick-profile.js [--settle 1200 --ticks 400 --top 40 --workers 0]
 *
 * Prints per tick: bodies compared (and of those, decided by their record version alone) and
 * re-read by the index, interest rows packed and cell sorts, log commits, the settled ticks whose
 * shards ran on this thread although there are workers (`--workers 2`), the settled ticks whose
 * shards were skipped (state t + 1 = state t: src/physics/settled-skip.ts) and body table
 * refreshes that compared nothing, and per shard its owned bodies, ghosts, sync visits and event visits (the shard
 * step's own work counters); then self-time shares per function, WebAssembly functions named
 * from build/tessera.wat. Ticks run back to back: no timer, no fan-out, no metrics (those are
 * in profile-idle.ts). Shares are proportions; no time is reported.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/persist/sqlite-store';
import { loadSceneWithAssets, sceneSetup } from '../../src/scene';
import { EventStream } from '../../src/sim/stream';
import { WorldLoop } from '../../src/sim/world-loop';
import { repoRoot } from '../results';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const SETTLE = Number(arg('settle', '1200')),
  TICKS = Number(arg('ticks', '400')),
  TOP = Number(arg('top', '40')),
  WORKERS = Number(arg('workers', '0'));

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function post<T>(s: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => s.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r as T))));
}

/** Names of the core's functions by index (build/tessera.wat: the core imports no function, so index = order of definition). */
function wasmNames(): string[] {
  try {
    const wat = readFileSync(join(repoRoot(), 'build', 'tessera.wat'), 'utf8');
    return [...wat.matchAll(/^ \(func \$(\S+)/gm)].map((m) => m[1].replace(/^assembly\//, ''));
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const data = mkdtempSync(join(tmpdir(), 'tessera-tick-prof-'));
  const store = SqliteStore.open(join(data, 'tessera.sqlite'));
  const scene = await loadSceneWithAssets(join(repoRoot(), 'scenes', 'demo.json'));
  const setup = sceneSetup(scene, WORKERS);
  const stream = new EventStream('world', { tickRate: scene.world.tickRate });
  const loop = new WorldLoop(stream, setup, { interest: { farEvery: 4, nearCells: 1 }, persist: { store } });
  try {
    for (let t = 0; t < SETTLE; t++) loop.step();
    const w = loop.sim.world;
    const b0 = { ...loop.bodies.counts },
      p0 = loop.interest.rowsPacked,
      s0 = loop.interest.sorts,
      c0 = store.logCommits,
      i0 = w.settledInline,
      k0 = w.settledSkipped;
    const shard = w.counts().map(() => ({ sync: 0, events: 0 }));
    const session = new Session();
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 100 });
    await post(session, 'Profiler.start');
    for (let t = 0; t < TICKS; t++) {
      loop.step();
      w.counts().forEach((c, k) => {
        shard[k].sync += c.syncVisits;
        shard[k].events += c.eventVisits;
      });
    }
    const { profile } = await post<{ profile: { nodes: ProfileNode[] } }>(session, 'Profiler.stop');
    session.disconnect();
    const b = loop.bodies.counts,
      per = (x: number): string => (x / TICKS).toFixed(1);
    console.log(`${w.counts().reduce((s, c) => s + c.owned, 0)} moving bodies, ${loop.table.count} live; ${TICKS} ticks after ${SETTLE}; per tick:`);
    console.log(
      `  index: ${per(b.compared - b0.compared)} compared (${per(b.unchanged - b0.unchanged)} by version alone), ${per(b.rowsRead - b0.rowsRead)} re-read, ${b.fullReads - b0.fullReads} full reads; interest: ${per(loop.interest.rowsPacked - p0)} rows packed, ${per(loop.interest.sorts - s0)} sorts`,
    );
    console.log(`  log: ${per(store.logCommits - c0)} commits; shards stepped on this thread with workers: ${w.settledInline - i0} of ${TICKS} ticks`);
    console.log(
      `  settled ticks whose shards were skipped: ${w.settledSkipped - k0} of ${TICKS}; body table refreshes that compared nothing: ${b.still - b0.still}`,
    );
    for (const [k, c] of w.counts().entries())
      console.log(`  shard ${k}: ${c.owned} owned, ${c.ghosts} ghosts, ${per(shard[k].sync)} sync visits, ${per(shard[k].events)} event visits`);
    const names = wasmNames();
    const fn = new Map<string, number>();
    let samples = 0;
    for (const n of profile.nodes) {
      const h = n.hitCount ?? 0,
        c = n.callFrame;
      if (!h || c.functionName === '(idle)') continue;
      samples += h;
      const m = /^(?:\$?wasm-function\[)(\d+)\]/.exec(c.functionName);
      const name = m
        ? `wasm ${names[Number(m[1])] ?? c.functionName}`
        : `${c.functionName || '(anonymous)'}  ${c.url.replace(/^.*\/build\/dist\//, '')}:${c.lineNumber + 1}`;
      fn.set(name, (fn.get(name) ?? 0) + h);
    }
    console.log(`\nself-time shares of ${samples} samples:`);
    for (const [k, h] of [...fn].sort((x, y) => y[1] - x[1]).slice(0, TOP)) console.log(`  ${((h / samples) * 100).toFixed(1).padStart(5)} %  ${k}`);
  } finally {
    await loop.close();
    store.close();
    rmSync(data, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
