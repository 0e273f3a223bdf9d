/**
 * Bytes per client per tick with and without the byte budget per client (issue 22, first slice;
 * src/sim/interest.ts messageFor): the demo world in this process, `count` bots (src/bots.ts,
 * walking guests that ack every state) for `seconds`, once per budget. A few seconds only: the
 * figures are recorded in docs/protocol.md 7.1 and the README's fan-out section.
 *
 *   npm run build:ts && node build/dist/bench/budget/run-budget.js [--count 100] [--seconds 6] [--budgets 0,800] [--formats full,packed,predicted] [--mixed]
 *
 * `--formats`: `full` bots ask for nothing (version-4 deltas of full BodyStates), `packed` bots set
 * hello.packedDeltas (docs/protocol.md 7.2: changed bodies as per-field differences), `predicted` bots
 * hello.predictedDeltas too (7.3: residuals against the base extrapolated by its velocity); one run
 * per budget and format; with `--mixed` one run per budget, the bots split evenly over the formats
 * in one crowd (each format's figures from the host's counters by format), so that the formats are
 * compared on the same bodies (separate runs of this bench differ by more than the formats do:
 * the bots' timing and the machine's load change the crowd).
 *
 * Printed per budget: state bytes per client per tick (mean; max of any one message), all bytes
 * the bots received per client per second (events too), state messages encoded per tick, bodies
 * deferred per tick.
 */
import { join } from 'node:path';
import { BotRun } from '../../src/bots';
import { Host } from '../../src/net/host';
import { loadSceneWithAssets, sceneSetup } from '../../src/scene';
import { repoRoot } from '../results';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const COUNT = Number(arg('count', '100')),
  SECONDS = Number(arg('seconds', '6')),
  BUDGETS = arg('budgets', '0,800').split(',').map(Number),
  FORMATS = arg('formats', 'full,packed').split(',');

const MIXED = process.argv.includes('--mixed');

/** Hello options of a bot format. */
function formatOptions(format: string): { packedDeltas: boolean; predictedDeltas: boolean } {
  if (!['full', 'packed', 'predicted'].includes(format)) throw new Error(`unknown format ${format}`);
  return { packedDeltas: format === 'packed' || format === 'predicted', predictedDeltas: format === 'predicted' };
}

/**
 * One run at `budget`: COUNT bots split evenly over `formats` (one format: all of them), in one
 * crowd, so that with --mixed the formats are compared on the same bodies at the same ticks. One
 * row per format: its bots' state bytes per client per tick (host counters by format,
 * InterestPublisher.byFormat), what its bots received per second, bodies deferred.
 */
async function run(budget: number, formats: string[]): Promise<Array<Record<string, number | string>>> {
  const scene = await loadSceneWithAssets(join(repoRoot(), 'scenes', 'demo.json'));
  const host = await Host.start({ port: 0, tickRate: scene.world.tickRate, world: sceneSetup(scene, 0), worldLoop: { interest: { budget } } });
  try {
    const i = host.world.interest;
    const runs = formats.map((format, k) =>
      new BotRun({
        url: `ws://127.0.0.1:${host.port}/ws`,
        count: Math.floor(COUNT / formats.length) + (k < COUNT % formats.length ? 1 : 0),
        durationSec: SECONDS,
        rampPerSec: 200 / formats.length,
        progressEverySec: 0,
        chatEverySec: 1e9,
        throwEverySec: 1e9,
        name: `bot-${format}`,
        ...formatOptions(format),
      }).start(),
    );
    // measure the second half (after the ramp and the joins' snapshots)
    await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 2));
    const t0 = host.world.stream.tick,
      e0 = i.encodes,
      f0 = i.byFormat.map((f) => ({ ...f }));
    i.stateBytesMax = 0;
    const summaries = await Promise.all(runs.map((r) => r.done));
    const ticks = host.world.stream.tick - t0;
    return formats.map((format, k) => {
      const fi = ['full', 'packed', 'predicted'].indexOf(format),
        f = i.byFormat[fi],
        msgs = f.messages - f0[fi].messages,
        summary = summaries[k];
      return {
        budget,
        format,
        bots: summary.connectedAtEnd,
        ticks,
        'state B/client/tick': Math.round((f.bytes - f0[fi].bytes) / msgs),
        'state kB/s/client': Math.round(((f.bytes - f0[fi].bytes) / msgs) * scene.world.tickRate) / 1000,
        'all kB/s per client (bots)': Math.round(summary.bytesIn / summary.bots / summary.seconds / 100) / 10,
        'encodes/tick (all formats)': Math.round(((i.encodes - e0) / ticks) * 10) / 10,
        'deferred/client/tick': Math.round((f.deferred - f0[fi].deferred) / msgs),
        'near deferred/client/tick': Math.round(((f.nearDeferred - f0[fi].nearDeferred) / msgs) * 10) / 10,
        errors: summary.errors,
      };
    });
  } finally {
    await host.stop();
  }
}

async function main(): Promise<void> {
  const rows = [];
  if (MIXED) for (const b of BUDGETS) rows.push(...(await run(b, FORMATS)));
  else for (const f of FORMATS) for (const b of BUDGETS) rows.push(...(await run(b, [f])));
  console.log(`demo world, ${COUNT} bots, ${SECONDS} s (the second half measured)${MIXED ? `, formats mixed in one crowd (${FORMATS.join(', ')})` : ''}`);
  console.table(rows);
}

void main();
