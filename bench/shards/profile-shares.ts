/**
 * Self-time shares of a V8 CPU profile (`node --cpu-prof`), by function and by group: the
 * proportions of a run, which depend much less on the machine's load than its times.
 *
 *   node build/dist/bench/shards/profile-shares.js FILE.cpuprofile [--top 30] [--wat build/tessera.wat] [--split]
 *                                                  [--sides NAME_A,NAME_B]
 *
 * --split (for shard-work.js --with-core): each sample goes to the outermost ShardedWorld
 * method on its stack (sharded.js: "sharded"), else the outermost PhysicsWorld one (world.js:
 * "core"; the registry inside ShardedWorld is under a sharded.js frame), else "other"; the
 * groups are then given per side, as shares of the core's samples. --sides A,B does the same
 * with two JavaScript functions (the outermost of them on the stack; slot-density.js), as
 * shares of A's samples.
 *
 * The release core has no name section, so V8 calls its functions wasm-function[i]; the
 * text file the build writes beside it (--wat, default build/tessera.wat) names them: the
 * module imports no function, so index i is the i-th `(func` of the text.
 *
 * Groups (by the function's module): "shard sync/publish/touch/events" (assembly/physics/
 * shard.ts, shard-sort.ts, transfer.ts), "board hash" (board-hash.ts, xxhash), "core step"
 * (every other core function: broadphase, narrowphase, solver, contact events, the awake
 * list), "JS" (the coordinator, commands, the registry's bindings), "idle/GC/program".
 * Binaryen inlines small functions into their callers, so a share belongs to the caller.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
const topIdx = process.argv.indexOf('--top');
const top = topIdx >= 0 ? Number(process.argv[topIdx + 1]) : 30;
const watIdx = process.argv.indexOf('--wat');
const watNames = ((): string[] => {
  try {
    const wat = readFileSync(watIdx >= 0 ? process.argv[watIdx + 1] : 'build/tessera.wat', 'utf8');
    return [...wat.matchAll(/^ \(func \$(\S+)/gm)].map((m) => m[1].replace(/^assembly\//, ''));
  } catch {
    return [];
  }
})();
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const node of prof.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
/** The side a sample's stack belongs to (see --split). */
const sidesIdx = process.argv.indexOf('--sides');
const named = sidesIdx >= 0 ? process.argv[sidesIdx + 1].split(',') : null;
function sideOf(id: number): string {
  let side = 'other';
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const f = byId.get(at)?.callFrame;
    if (named) {
      if (f && named.includes(f.functionName)) side = f.functionName;
      continue;
    }
    const url = f?.url ?? '';
    if (url.endsWith('/sharded.js')) side = 'sharded';
    else if (url.endsWith('/world.js') && side !== 'sharded') side = 'core';
  }
  return side;
}
const split = process.argv.includes('--split') || named !== null;
const base = named ? named[0] : 'core';
const sides = new Map<string, Map<string, number>>();
const self = new Map<string, number>();
let total = 0;
prof.samples.forEach((id, i) => {
  const node = byId.get(id);
  if (!node) return;
  const dt = prof.timeDeltas[i] ?? 0;
  const f = node.callFrame;
  const wasm = f.url.startsWith('wasm://');
  const idx = /^wasm-function\[(\d+)\]$/.exec(f.functionName);
  const fn = wasm && idx && watNames[Number(idx[1])] ? watNames[Number(idx[1])] : f.functionName;
  const name = `${fn || '(anonymous)'}${wasm ? ' [wasm]' : f.url ? ` ${f.url.split('/').slice(-1)[0]}:${f.lineNumber + 1}` : ''}`;
  self.set(name, (self.get(name) ?? 0) + dt);
  total += dt;
  if (split) {
    const side = sideOf(id);
    const m = sides.get(side) ?? new Map<string, number>();
    sides.set(side, m);
    m.set(name, (m.get(name) ?? 0) + dt);
  }
});

const SHARD = /^physics\/(shard|shard-sort|transfer)\//;
const HASH = /^physics\/board-hash\/|\/worldHash|xxhash/;
const IDLE = /^\((idle|garbage collector|program|root)\)/;
function group(name: string): string {
  if (IDLE.test(name)) return 'idle/GC/program';
  if (!name.endsWith('[wasm]')) return 'JS';
  if (HASH.test(name)) return 'board hash';
  if (SHARD.test(name)) return 'shard sync/publish/touch/events';
  return 'core step';
}
const groups = new Map<string, number>();
for (const [name, t] of self) groups.set(group(name), (groups.get(group(name)) ?? 0) + t);
const pct = (t: number): string => `${((100 * t) / total).toFixed(1)} %`;
console.log(`${file}: ${prof.samples.length} samples`);
for (const [g, t] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`  ${g.padEnd(34)} ${pct(t)}`);
console.log('  top functions (self time):');
for (const [name, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`    ${pct(t).padStart(7)}  ${name}`);

if (split) {
  const sum = (m: Map<string, number> | undefined): number => [...(m ?? new Map<string, number>()).values()].reduce((a, b) => a + b, 0);
  const coreTotal = sum(sides.get(base));
  const rel = (t: number): string => `${(t / coreTotal).toFixed(3)}x`;
  console.log(`  by side (as a multiple of ${base}'s samples):`);
  for (const [side, m] of sides) {
    const g = new Map<string, number>();
    for (const [name, t] of m) g.set(group(name), (g.get(group(name)) ?? 0) + t);
    console.log(
      `    ${side}: ${rel(sum(m))} (${[...g]
        .sort((a, b) => b[1] - a[1])
        .map(([k, t]) => `${k} ${rel(t)}`)
        .join(', ')})`,
    );
    if (side === 'other') continue;
    for (const [name, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`      ${rel(t).padStart(7)}  ${name}`);
  }
}
