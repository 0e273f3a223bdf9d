/**
 * Benchmark runner: `npm run bench` (build, then `node build/dist/bench/run.js`).
 *
 * ```
 *  node build/dist/bench/run.js [filter] [--max-time=<s>] [--write] [--no-write]
 *
 *  filter          case-insensitive substring of `<suite>/<case>`: `math`, `sin`,
 *                  `math/q-`, `math/mul` (but `mul` also selects math/q-mul)
 *  --max-time=<s>  benchmark.js maxTime per case in seconds (default 2)
 *  --write         also write results for a filtered run
 *  --no-write      do not write results (print only)
 * ```
 *
 * Runs every suite in this folder (each `<suite>.bench.js` next to this file exports
 * `suite`, a BenchSuite from results.ts), one after the other in this process, and writes
 * each suite's results to bench/results/<machine>/<suite>.json and .md (results.ts). A
 * filtered run prints its tables but writes nothing unless --write is given, so a partial
 * run does not replace a machine's complete results.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot, runMeta, writeSuiteResults, type BenchSuite } from './results';

/** Parsed command line. */
interface Args {
  filter: string | null;
  maxTime: number;
  write: boolean;
}

const USAGE = 'usage: node build/dist/bench/run.js [filter] [--max-time=<seconds>] [--write] [--no-write]';

function parseArgs(argv: readonly string[]): Args {
  let filter: string | null = null;
  let maxTime = 2;
  let write: boolean | null = null;
  for (const a of argv) {
    if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (a === '--write') write = true;
    else if (a === '--no-write') write = false;
    else if (a.startsWith('--max-time=')) {
      maxTime = Number(a.slice('--max-time='.length));
      if (!(maxTime > 0)) throw new Error(`bad --max-time in ${a}\n${USAGE}`);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}\n${USAGE}`);
    else if (filter === null) filter = a;
    else throw new Error(`more than one filter (${filter}, ${a})\n${USAGE}`);
  }
  return { filter, maxTime, write: write ?? filter === null };
}

/** The suites next to this file (`*.bench.js` compiled, or `*.bench.ts` under ts-node), by name. */
function loadSuites(): BenchSuite[] {
  const files = readdirSync(__dirname)
    .filter((f) => /\.bench\.(js|ts)$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
  return files.map((f) => {
    const mod = require(join(__dirname, f)) as { suite?: BenchSuite };
    if (!mod.suite) throw new Error(`${f} does not export a suite`);
    return mod.suite;
  });
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const needle = args.filter?.toLowerCase() ?? '';
  const meta = runMeta({ maxTimeSeconds: args.maxTime, filter: args.filter });
  console.log(`bench: ${meta.machine.cpuModel} (${meta.machine.cores} cores, results/${meta.machine.slug}), node ${meta.node}`);
  let ran = 0;
  for (const suite of loadSuites()) {
    const select = (c: string): boolean => `${suite.name}/${c}`.toLowerCase().includes(needle);
    if (!suite.cases.some(select)) continue;
    ran++;
    const started = Date.now();
    console.log(`\n== ${suite.name}: ${suite.title}`);
    const out = suite.run({ select, maxTime: args.maxTime, log: (line) => console.log(line) });
    console.log(`\n${out.markdown}\n`);
    if (args.write) {
      const files = writeSuiteResults(suite, meta, out);
      console.log(`${suite.name}: wrote ${fromRoot(files.json)}, ${fromRoot(files.markdown)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    } else {
      console.log(`${suite.name}: results not written (${args.filter === null ? '--no-write' : 'filtered run; add --write to record them'})`);
    }
  }
  if (ran === 0) throw new Error(`no benchmark case matches "${args.filter}"`);
}

main();
