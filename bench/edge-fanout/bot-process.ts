/**
 * One bot process of bench:edge-fanout (run-edge-fanout.ts): `count` bot players (src/bots.ts
 * BotRun: walk, acknowledge states, chat, throw, ping) against one node, for `seconds`, then the
 * run's BotSummary as one JSON line on stdout (the last line). Private ids are `<name>-<i>`, so
 * bots of different processes are different players.
 *
 * Usage: node build/dist/bench/edge-fanout/bot-process.js URL COUNT SECONDS RAMP_PER_S NAME CHAT_EVERY_S THROW_EVERY_S
 */
import { BotRun } from '../../src/bots';

async function main(): Promise<void> {
  const [url, count, seconds, ramp, name, chat, thr] = process.argv.slice(2);
  const num = (v: string | undefined, what: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`bot-process: ${what} must be a number >= 0, got ${JSON.stringify(v)}`);
    return n;
  };
  const run = new BotRun({
    url,
    count: Math.floor(num(count, 'COUNT')),
    durationSec: num(seconds, 'SECONDS'),
    rampPerSec: Math.max(1, Math.floor(num(ramp, 'RAMP_PER_S'))),
    name: name || 'bot',
    chatEverySec: num(chat, 'CHAT_EVERY_S'),
    throwEverySec: num(thr, 'THROW_EVERY_S'),
    progressEverySec: 0,
    log: () => {},
  });
  run.start();
  process.once('SIGTERM', () => void run.stop());
  const s = await run.done;
  process.stdout.write(`${JSON.stringify(s)}\n`);
  setTimeout(() => process.exit(0), 100);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
