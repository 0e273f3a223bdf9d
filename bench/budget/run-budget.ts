/**
 * Bytes per client per tick with and without the byte budget per client (issue 22, first slice;
 * src/sim/interest.ts messageFor): the demo world in this process, `count` bots (src/bots.ts,
 * walking guests that ack every state) for `seconds`, once per budget. A few seconds only: the
 * figures are recorded in docs/protocol.md 7.1 and the README's fan-out section.
 *
 *   npm run build:ts && node build/dist/bench/budget/run-budget.js [--count 100] [--seconds 6] [--budgets 0,800] [--formats full,packed]
 *
 * `--formats`: `full` bots ask for nothing (version-4 deltas of full BodyStates), `packed` bots set
 * hello.packedDeltas (docs/protocol.md 7.2: changed bodies as per-field differences); one run per
 * budget and format.
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

async function run(budget: number, format: string): Promise<Record<string, number | string>> {
  const scene = await loadSceneWithAssets(join(repoRoot(), 'scenes', 'demo.json'));
  const host = await Host.start({ port: 0, tickRate: scene.world.tickRate, world: sceneSetup(scene, 0), worldLoop: { interest: { budget } } });
  try {
    const i = host.world.interest;
    const bots = new BotRun({
      url: `ws://127.0.0.1:${host.port}/ws`,
      count: COUNT,
      durationSec: SECONDS,
      rampPerSec: 200,
      progressEverySec: 0,
      chatEverySec: 1e9,
      throwEverySec: 1e9,
      packedDeltas: format === 'packed',
    }).start();
    // measure the second half (after the ramp and the joins' snapshots)
    await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 2));
    const t0 = host.world.stream.tick,
      b0 = i.stateBytesSent,
      m0 = i.stateMessagesSent,
      e0 = i.encodes,
      d0 = i.budgetDeferred,
      n0 = i.budgetNearDeferred;
    i.stateBytesMax = 0;
    const summary = await bots.done;
    const ticks = host.world.stream.tick - t0,
      msgs = i.stateMessagesSent - m0;
    return {
      budget,
      format,
      bots: summary.connectedAtEnd,
      ticks,
      'state B/client/tick': Math.round((i.stateBytesSent - b0) / msgs),
      'max state B': i.stateBytesMax,
      'all kB/s per client (bots)': Math.round(summary.bytesIn / summary.bots / summary.seconds / 100) / 10,
      'encodes/tick': Math.round(((i.encodes - e0) / ticks) * 10) / 10,
      'deferred/client/tick': Math.round((i.budgetDeferred - d0) / msgs),
      'near deferred/client/tick': Math.round(((i.budgetNearDeferred - n0) / msgs) * 10) / 10,
      errors: summary.errors,
    };
  } finally {
    await host.stop();
  }
}

async function main(): Promise<void> {
  const rows = [];
  for (const f of FORMATS) for (const b of BUDGETS) rows.push(await run(b, f));
  console.table(rows);
}

void main();
