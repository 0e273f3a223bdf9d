/**
 * Bytes per client per tick with and without the byte budget per client (issue 22, first slice;
 * src/sim/interest.ts messageFor): the demo world in this process, `count` bots (src/bots.ts,
 * walking guests that ack every state) for `seconds`, once per budget. A few seconds only: the
 * figures are recorded in docs/protocol.md 7.1 and the README's fan-out section.
 *
 *   npm run build:ts && node build/dist/bench/budget/run-budget.js [--count 100] [--seconds 6] [--budgets 0,800] [--formats full,packed,predicted] [--shadow [--bots-format predicted]]
 *
 * `--formats`: `full` bots ask for nothing (version-4 deltas of full BodyStates), `packed` bots set
 * hello.packedDeltas (docs/protocol.md 7.2: changed bodies as per-field differences), `predicted` bots
 * hello.predictedDeltas too (7.3: residuals against the base extrapolated by its velocity); one run
 * per budget and format. With `--shadow`: one run per budget, the bots of `--bots-format`, and each
 * bot's view shadowed in every format of `--formats` (see run()), so that the formats are compared
 * on the same views, bases and ticks.
 *
 * Printed per budget: state bytes per client per tick (mean; max of any one message), all bytes
 * the bots received per client per second (events too), state messages encoded per tick, bodies
 * deferred per tick.
 */
import { join } from 'node:path';
import { BotRun } from '../../src/bots';
import { Host } from '../../src/net/host';
import type { ClientView } from '../../src/sim/interest';
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

const SHADOW = process.argv.includes('--shadow');
const FORMAT_NAMES = ['full', 'packed', 'predicted'];

/** Hello options of a bot format. */
function formatOptions(format: string): { packedDeltas: boolean; predictedDeltas: boolean } {
  if (!FORMAT_NAMES.includes(format)) throw new Error(`unknown format ${format}`);
  return { packedDeltas: format === 'packed' || format === 'predicted', predictedDeltas: format === 'predicted' };
}

/** Per format of the shadow views: messages, bytes, the largest, deferred and near deferred bodies. */
interface Tally {
  messages: number;
  bytes: number;
  max: number;
  deferred: number;
  nearDeferred: number;
}

/**
 * One run at `budget`: COUNT bots of format `format`. With --shadow, every bot's view is also
 * shadowed by one view per format of `formats` (InterestPublisher.createView), which after each
 * tick takes the bot's interest, avatar, budget and acknowledgements and gets its own message:
 * so the formats are compared on exactly the same views, bases and ticks (separate runs, or bots
 * of different formats, differ by more than the formats do: where a bot is on its circuit decides
 * what it sees). One row per format: state bytes per client per tick, bodies deferred.
 */
async function run(budget: number, format: string, formats: string[]): Promise<Array<Record<string, number | string>>> {
  const scene = await loadSceneWithAssets(join(repoRoot(), 'scenes', 'demo.json'));
  const tallies = formats.map((): Tally => ({ messages: 0, bytes: 0, max: 0, deferred: 0, nearDeferred: 0 }));
  const shadows = new Map<ClientView, ClientView[]>();
  let measuring = false;
  let host: Host | null = null;
  const onTick = (): void => {
    if (!SHADOW || !host) return;
    const ip = host.world.interest;
    const sessions = (host as unknown as { sessions: { all: Set<{ view: ClientView | null }> } }).sessions.all;
    for (const s of sessions) {
      const real = s.view;
      if (!real) continue;
      let sh = shadows.get(real);
      if (!sh) {
        sh = formats.map((f) => {
          const v = ip.createView(0, 0, real.cells);
          v.packed = f === 'packed';
          v.predicted = f === 'predicted';
          return v;
        });
        shadows.set(real, sh);
      }
      sh.forEach((v, k) => {
        if (real.acked > v.acked && v.known.get(real.acked)) ip.acknowledge(v, real.acked);
        v.cx = real.cx;
        v.cz = real.cz;
        v.cells = real.cells;
        v.own = real.own;
        v.budget = real.budget;
        const d0 = ip.budgetDeferred,
          n0 = ip.budgetNearDeferred;
        const bytes = ip.messageFor(v).bytes.length;
        if (!measuring) return;
        const t = tallies[k];
        t.messages++;
        t.bytes += bytes;
        t.max = Math.max(t.max, bytes);
        t.deferred += ip.budgetDeferred - d0;
        t.nearDeferred += ip.budgetNearDeferred - n0;
      });
    }
  };
  host = await Host.start({
    port: 0,
    tickRate: scene.world.tickRate,
    world: sceneSetup(scene, 0),
    worldLoop: { interest: { budget } },
    onTick,
  });
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
      ...formatOptions(format),
    }).start();
    // measure the second half (after the ramp and the joins' snapshots)
    await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 2));
    const t0 = host.world.stream.tick,
      e0 = i.encodes,
      f = FORMAT_NAMES.indexOf(format),
      f0 = { ...i.byFormat[f] };
    measuring = true;
    const summary = await bots.done;
    measuring = false;
    const ticks = host.world.stream.tick - t0,
      fe = i.byFormat[f],
      msgs = fe.messages - f0.messages;
    const rows: Array<Record<string, number | string>> = [
      {
        budget,
        format: `${format} (the bots)`,
        bots: summary.connectedAtEnd,
        ticks,
        'state B/client/tick': Math.round((fe.bytes - f0.bytes) / msgs),
        'state kB/s/client': Math.round(((fe.bytes - f0.bytes) / msgs) * scene.world.tickRate) / 1000,
        'all kB/s per client (bots)': Math.round(summary.bytesIn / summary.bots / summary.seconds / 100) / 10,
        'encodes/tick': Math.round(((i.encodes - e0) / ticks) * 10) / 10,
        // with shadows the host's deferred counters hold the shadow views' too: see their rows
        ...(SHADOW
          ? {}
          : {
              'deferred/client/tick': Math.round((fe.deferred - f0.deferred) / msgs),
              'near deferred/client/tick': Math.round(((fe.nearDeferred - f0.nearDeferred) / msgs) * 10) / 10,
            }),
        errors: summary.errors,
      },
    ];
    if (SHADOW)
      formats.forEach((name, k) => {
        const t = tallies[k];
        rows.push({
          budget,
          format: `${name} (shadow)`,
          bots: summary.connectedAtEnd,
          ticks,
          'state B/client/tick': Math.round(t.bytes / t.messages),
          'max state B': t.max,
          'state kB/s/client': Math.round((t.bytes / t.messages) * scene.world.tickRate) / 1000,
          'deferred/client/tick': Math.round(t.deferred / t.messages),
          'near deferred/client/tick': Math.round((t.nearDeferred / t.messages) * 10) / 10,
        });
      });
    return rows;
  } finally {
    await host.stop();
  }
}

async function main(): Promise<void> {
  const rows = [];
  if (SHADOW) for (const b of BUDGETS) rows.push(...(await run(b, arg('bots-format', 'predicted'), FORMATS)));
  else for (const f of FORMATS) for (const b of BUDGETS) rows.push(...(await run(b, f, [])));
  console.log(`demo world, ${COUNT} bots, ${SECONDS} s (the second half measured)${SHADOW ? `, every bot's view shadowed in ${FORMATS.join(', ')}` : ''}`);
  console.table(rows);
}

void main();
