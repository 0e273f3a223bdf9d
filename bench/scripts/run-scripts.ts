/**
 * Cost of object scripts (issue 21): 1,000 scripted objects, each handling one event per round,
 * on one thread (one QuickJS wasm module). Prints, does not assert (numbers are indicative):
 * - load: ms to create a sandbox (runtime, context, prelude, source, seal) per script;
 * - round: median and p90 ms of a round (every script gets one 'touch' and runs its handler);
 * - reset: ms to re-create all sandboxes from source + store (the checkpoint rule of
 *   docs/scripts/design.md);
 * - memory: growth of the process's resident set while loading, per script.
 *
 *   npx tsc -p tsconfig.json && node build/dist/bench/scripts/run-scripts.js [--scripts 1000 --rounds 30 --empty]
 *
 * `--empty`: an empty handler instead of the door (the fixed cost of a call).
 *
 * The script is a door (toggles a stored flag, pushes itself, sets a timer, chats every 10th touch).
 * The per-tick figure of the acceptance (1 and 2 threads) needs the worker-thread runner of
 * the world integration; this measures the single-thread part.
 */
import { ScriptEngine, type Script } from '../../src/script/engine';
import type { ScriptSelfView } from '../../src/script/types';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const SCRIPTS = arg('scripts', 1000);
const ROUNDS = arg('rounds', 30);

const DOOR = process.argv.includes('--empty')
  ? "on('touch', () => {});"
  : `
const STEP = 250;
on('touch', (e, self) => {
  const open = !store.get('open');
  store.set('open', open);
  const n = (store.get('touches') ?? 0) + 1;
  store.set('touches', n);
  emit.impulse(0, open ? STEP : -STEP, 0);
  emit.timer(60);
  if (n % 10 === 0) emit.chat('door ' + self.id + ' touched ' + n + ' times');
});
on('timer', () => { if (store.get('open')) { store.set('open', false); emit.impulse(0, -STEP, 0); } });
`;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

async function main(): Promise<void> {
  const engine = await ScriptEngine.create(1);
  const rss0 = process.memoryUsage().rss;
  let t0 = process.hrtime.bigint();
  const scripts: Script[] = [];
  for (let i = 0; i < SCRIPTS; i++) scripts.push(engine.load({ objectId: i + 1, source: DOOR }));
  const loadMs = ms(t0);
  const rssPerScript = (process.memoryUsage().rss - rss0) / SCRIPTS;
  const rounds: number[] = [];
  let commands = 0;
  for (let r = 0; r < ROUNDS; r++) {
    t0 = process.hrtime.bigint();
    for (const s of scripts) {
      const self: ScriptSelfView = { id: s.objectId, tick: r, position: [s.objectId * 1000, 0, 0], velocity: [0, 0, 0] };
      const out = s.deliver(self, [{ type: 'touch', order: [1, r], data: { by: r } }]);
      if (!out.ok) throw new Error(`script ${s.objectId} suspended: ${out.code} ${out.message}`);
      commands += out.commands.length;
    }
    rounds.push(ms(t0));
  }
  t0 = process.hrtime.bigint();
  for (const s of scripts) s.reset();
  const resetMs = ms(t0);
  for (const s of scripts) s.dispose();
  console.log(`${SCRIPTS} scripts, ${ROUNDS} rounds of one event each, one thread (node ${process.version})`);
  console.log(`load:   ${(loadMs / SCRIPTS).toFixed(3)} ms per script (${loadMs.toFixed(0)} ms in all)`);
  console.log(
    `round:  median ${pct(rounds, 0.5).toFixed(2)} ms, p90 ${pct(rounds, 0.9).toFixed(2)} ms (${((pct(rounds, 0.5) / SCRIPTS) * 1000).toFixed(1)} µs per script call)`,
  );
  console.log(`reset:  ${resetMs.toFixed(0)} ms for all (${(resetMs / SCRIPTS).toFixed(3)} ms per script)`);
  console.log(`memory: ${(rssPerScript / 1024).toFixed(0)} kB resident per script while loading`);
  console.log(`commands emitted: ${commands}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
