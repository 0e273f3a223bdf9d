/**
 * Cost of object scripts in a world per tick (issue 21 acceptance): `--objects` (default 1,000)
 * scripted spheres, each handling one event per tick (a timer it re-arms every tick: a stored
 * counter and flag, a chat line every 100th call), run through the whole tick of MainSim
 * (WorldLoop.step) with the scripts on the world thread (threads 0) and on 1 and 2 script worker
 * threads (WorldScriptOptions.threads), and once without scripts (the same world and events: the
 * physics and bookkeeping baseline). Cost per tick of the scripts = step time - baseline.
 *
 *   npm run build && node build/dist/bench/scripts/run-world-scripts.js [--objects 1000 --ticks 60 --threads 0,1,2 --write]
 *
 * `--write` records bench/results/<machine>/world-scripts.{json,md}. Timing is wall time of
 * `WorldLoop.step()` per tick (median, p90), measured after `WARMUP` ticks of timers; the attach
 * tick (every sandbox is loaded then, about 6 ms each) is not measured. Checkpoints are moved out
 * of the window (checkpointEvery 1,000,000): their cost (the sandboxes rebuilt ahead, spread over
 * `prepareTicks`) is run-scripts.ts's reset figure. Each run's final hash is compared: the thread
 * counts must agree (the run fails otherwise).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScriptEngine } from '../../src/script/engine';
import { encodeHandle } from '../../src/sim/event-bodies';
import type { WorldSetup } from '../../src/sim/main-sim';
import { EventStream } from '../../src/sim/stream';
import { WorldLoop } from '../../src/sim/world-loop';
import { testWorld } from '../../test/helpers/world-setup';
import { markdownTable, repoRoot, runMeta } from '../results';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const OBJECTS = Number(arg('objects', '1000'));
const TICKS = Number(arg('ticks', '60'));
const THREADS = arg('threads', '0,1,2')
  .split(',')
  .map((x) => Number(x));
const WRITE = process.argv.includes('--write');
/** Ticks between the start of the timers and the first measured tick. */
const WARMUP = 5;
const SEED = '00112233445566778899aabbccddeeff';

/** One event per tick: the timer it re-arms. */
const SCRIPT = `
on('chat', () => { emit.timer(1); });
on('timer', (e, self) => {
  const n = (store.get('n') ?? 0) + 1;
  store.set('n', n);
  store.set('odd', n % 2 === 1);
  emit.timer(1);
  if (n % 100 === 0) emit.chat('object ' + self.id + ': ' + n + ' ticks');
});
`;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

interface Run {
  /** Script threads, or null for the baseline without scripts. */
  threads: number | null;
  medianMs: number;
  p90Ms: number;
  /** Script calls per tick in the measured window (mean). */
  callsPerTick: number;
  hash: string;
}

async function run(threads: number | null, engine: ScriptEngine): Promise<Run> {
  const base = testWorld({ spheres: OBJECTS, capacity: OBJECTS + 64 });
  const setup: WorldSetup = threads === null ? base : { ...base, scripts: { engine, checkpointEvery: 1_000_000, threads } };
  const loop = new WorldLoop(new EventStream('world', { seed: SEED }), setup);
  const s = loop.stream;
  const admin = s.connect('admin').publicId;
  s.publishServer('_id', `${admin},1,admin`);
  loop.step();
  const avatars = new Set(loop.sim.avatars.values());
  const bodies = loop.sim.world.handles().filter((h) => !avatars.has(h) && isMoving(loop, h));
  if (bodies.length !== OBJECTS) throw new Error(`${bodies.length} spheres, expected ${OBJECTS}`);
  // attach (tick 1), start every timer (tick 2): from tick 3 on every script handles one timer a tick
  for (const b of bodies) s.publish('admin', 'sa', JSON.stringify({ o: encodeHandle(b), src: SCRIPT }));
  loop.step();
  for (const b of bodies) s.publish('admin', 'sm', JSON.stringify({ o: encodeHandle(b), t: 'start' }));
  loop.step();
  for (let t = 0; t < WARMUP; t++) loop.step();
  const times: number[] = [];
  const n0 = storedCount(loop, bodies);
  for (let t = 0; t < TICKS; t++) {
    s.heard('admin');
    const t0 = process.hrtime.bigint();
    loop.step();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const calls = (storedCount(loop, bodies) - n0) / TICKS;
  if (threads !== null && calls !== OBJECTS) throw new Error(`${calls} script calls per tick, expected ${OBJECTS}`);
  const hash = loop.sim.hash().toString(16);
  await loop.close();
  return { threads, medianMs: pct(times, 0.5), p90Ms: pct(times, 0.9), callsPerTick: calls, hash };
}

/** Sum of the scripts' stored counters (each call adds 1). */
function storedCount(loop: WorldLoop, bodies: bigint[]): number {
  let n = 0;
  for (const b of bodies) n += Number(JSON.parse(loop.sim.scripts?.storeOf(b) ?? '{}').n ?? 0);
  return n;
}

function isMoving(loop: WorldLoop, h: bigint): boolean {
  try {
    loop.sim.world.authorityOf(h);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const engine = await ScriptEngine.create(1);
  const runs: Run[] = [];
  for (const threads of [null, ...THREADS]) {
    const r = await run(threads, engine);
    runs.push(r);
    console.log(
      `${threads === null ? 'no scripts' : `${threads} script thread(s)`}: median ${r.medianMs.toFixed(2)} ms, p90 ${r.p90Ms.toFixed(2)} ms per tick, ${r.callsPerTick} calls per tick`,
    );
  }
  const scripted = runs.filter((r) => r.threads !== null);
  if (new Set(scripted.map((r) => r.hash)).size > 1)
    throw new Error(`the thread counts disagree: ${scripted.map((r) => `${r.threads}: ${r.hash}`).join(', ')}`);
  const baseline = runs[0].medianMs;
  const rows = runs.map((r) => [
    r.threads === null ? 'no scripts (baseline)' : r.threads === 0 ? '0 (world thread)' : String(r.threads),
    r.medianMs.toFixed(2),
    r.p90Ms.toFixed(2),
    r.threads === null ? '' : (r.medianMs - baseline).toFixed(2),
    r.threads === null ? '' : (((r.medianMs - baseline) / OBJECTS) * 1000).toFixed(1),
  ]);
  const table = markdownTable(['script threads', 'tick median (ms)', 'tick p90 (ms)', 'scripts per tick (ms)', 'per script call (µs)'], rows, [
    'l',
    'r',
    'r',
    'r',
    'r',
  ]);
  console.log(table);
  if (!WRITE) return;
  const meta = runMeta({ maxTimeSeconds: 0, filter: null });
  const md = [
    '# Object scripts in a world: cost per tick on script threads',
    '',
    `- date: ${meta.date}`,
    `- machine: ${meta.machine.cpuModel}, ${meta.machine.cores} logical cores (\`${meta.machine.slug}\`); node ${meta.node}`,
    `- git: ${meta.git ? `${meta.git.commit.slice(0, 12)}${meta.git.dirty ? ' (uncommitted changes)' : ''}` : 'n/a'}`,
    `- method: bench/scripts/run-world-scripts.ts: ${OBJECTS} scripted spheres (test world pile), each handling one timer event per tick; wall time of WorldLoop.step() over ${TICKS} ticks after ${WARMUP} warm-up ticks; scripts per tick = median - the median without scripts. Same final hash on every thread count.`,
    '',
    table,
    '',
  ].join('\n');
  const out = join(repoRoot(), 'bench', 'results', meta.machine.slug);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'world-scripts.md'), md);
  writeFileSync(
    join(out, 'world-scripts.json'),
    `${JSON.stringify({ schema: 'tessera.world-scripts.v1', meta, objects: OBJECTS, ticks: TICKS, warmup: WARMUP, runs }, null, 2)}\n`,
  );
  console.log(`[world-scripts] wrote bench/results/${meta.machine.slug}/world-scripts.{md,json}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
