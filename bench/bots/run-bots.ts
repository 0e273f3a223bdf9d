/**
 * Bots against the main job (issue 8): `tessera serve` on the demo world in one process,
 * `tessera bots` in another, on this machine, for a fixed time; then the figures are committed.
 *
 *   npm run bench:bots [-- --count 500 --seconds 300 --restart-at 0 --serve-node-args "--max-semi-space-size=64"
 *                         --serve-args "--state-bytes-per-second 16000" --out bots-budget]
 *
 * Recorded: the bots' summary (connected, messages, ping latency p50/p99, errors), the host's
 * tick time p50/p99 per 100 s window (its /healthz keeps the last 2,000 ticks) and over the
 * whole run (from the /metrics histogram: the share of ticks over 50 ms), and the server's RSS
 * at the start, at the end and at its peak. With --restart-at S the server is killed with
 * SIGKILL after S seconds and started again on the same data: the bots must reconnect and the
 * world must resume at or past the last tick it had sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMeta, markdownTable, metaMarkdown, repoRoot } from '../results';
import type { BotSummary } from '../../src/bots';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const COUNT = Number(arg('count', '500')),
  SECONDS = Number(arg('seconds', '300')),
  RESTART_AT = Number(arg('restart-at', '0'));
const PORT = Number(arg('port', '9411'));
/** Node options for the server process (space-separated), e.g. V8's young-generation size. */
const SERVE_NODE_ARGS = arg('serve-node-args', '')
  .split(' ')
  .filter((x) => x !== '');
/** Extra `tessera serve` options (space-separated), e.g. a byte budget per client. */
const SERVE_ARGS = arg('serve-args', '')
  .split(' ')
  .filter((x) => x !== '');
/** Results file name without extension (default bots, or bots-<count> for other counts). */
const OUT = arg('out', '');
const cli = join(repoRoot(), 'build', 'dist', 'src', 'cli.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Serve {
  proc: ChildProcess;
  listening: Promise<{ tick: number }>;
  exit: Promise<number | null>;
}

function startServe(data: string): Serve {
  const proc = spawn(process.execPath, [...SERVE_NODE_ARGS, cli, 'serve', '--port', String(PORT), '--data', data, '--log-level', 'info', ...SERVE_ARGS], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exit = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  const listening = new Promise<{ tick: number }>((resolve, reject) => {
    let buf = '';
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const j = JSON.parse(buf.slice(0, nl)) as { msg: string; tick: number };
        buf = buf.slice(nl + 1);
        if (j.msg === 'listening') resolve(j);
      }
    });
    void exit.then((c) => reject(new Error(`serve exited with ${c}`)));
  });
  return { proc, listening, exit };
}

async function get(path: string): Promise<string> {
  return (await fetch(`http://127.0.0.1:${PORT}${path}`)).text();
}
const metric = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

async function main(): Promise<void> {
  const meta = runMeta({ maxTimeSeconds: SECONDS, filter: null });
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bots-'));
  const out = join(repoRoot(), 'bench', 'results', meta.machine.slug);
  mkdirSync(out, { recursive: true });
  try {
    let serve = startServe(dir);
    await serve.listening;
    const RSS = 'tessera_process_resident_memory_bytes'; // prom-client's default metric under the 'tessera_' prefix
    const rssStart = metric(await get('/metrics'), RSS);
    const summaryFile = join(dir, 'bots.json');
    const bots = spawn(
      process.execPath,
      [cli, 'bots', '-n', String(COUNT), '-u', `ws://127.0.0.1:${PORT}/ws`, '-t', String(SECONDS), '--ramp', '50', '--json', summaryFile],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const botsDone = new Promise<void>((r) => bots.once('exit', () => r()));
    const windows: Array<{ at: number; tick: number; p50: number; p99: number; max: number; clients: number; rss: number }> = [];
    let rssPeak = rssStart,
      restart: { killedAtTick: number; resumedAt: number; reconnectedWithinS: number } | null = null;
    const t0 = Date.now();
    let lastTick = 0;
    while (Date.now() - t0 < SECONDS * 1000) {
      await sleep(RESTART_AT > 0 && !restart ? Math.min(10_000, Math.max(100, RESTART_AT * 1000 - (Date.now() - t0))) : 10_000);
      const elapsed = (Date.now() - t0) / 1000;
      if (RESTART_AT > 0 && !restart && elapsed >= RESTART_AT) {
        lastTick = (JSON.parse(await get('/healthz')) as { tick: number }).tick; // the open tick just before the kill
        serve.proc.kill('SIGKILL');
        await serve.exit;
        serve = startServe(dir);
        const { tick } = await serve.listening;
        const back = Date.now();
        let clients = 0;
        while (clients < COUNT && Date.now() - back < 60_000) {
          await sleep(500);
          clients = (JSON.parse(await get('/healthz')) as { clients: number }).clients;
        }
        restart = { killedAtTick: lastTick, resumedAt: tick, reconnectedWithinS: (Date.now() - back) / 1000 };
        console.log(
          `[bots] restart: killed at tick ${lastTick} (or a few ticks later), resumed at ${tick}, ${clients}/${COUNT} bots back within ${restart.reconnectedWithinS.toFixed(1)} s`,
        );
        continue;
      }
      const h = JSON.parse(await get('/healthz')) as { tick: number; tickMsP50: number; tickMsP99: number; tickMsMax: number; clients: number };
      const m = await get('/metrics');
      const rss = metric(m, RSS);
      rssPeak = Math.max(rssPeak, rss);
      lastTick = h.tick;
      if (elapsed % 100 < 10 || elapsed >= SECONDS - 10)
        windows.push({ at: Math.round(elapsed), tick: h.tick, p50: h.tickMsP50, p99: h.tickMsP99, max: h.tickMsMax, clients: h.clients, rss });
      console.log(
        `[bots] ${elapsed.toFixed(0)} s: tick ${h.tick}, host tick p50 ${h.tickMsP50.toFixed(1)} p99 ${h.tickMsP99.toFixed(1)} ms, ${h.clients} clients, RSS ${(rss / 2 ** 20).toFixed(0)} MiB`,
      );
    }
    await botsDone;
    const m = await get('/metrics');
    const over50 = metric(m, 'tessera_tick_seconds_count') - metric(m, 'tessera_tick_seconds_bucket\\{le="0.05"\\}');
    const ticks = metric(m, 'tessera_tick_seconds_count');
    const rssEnd = metric(m, RSS);
    // where the ticks' time went (tessera_tick_phase_seconds: mean ms a tick and share of the tick)
    const PHASES = ['apply', 'persist', 'index', 'fanout', 'other'];
    const phaseMs = PHASES.map(
      (p) => (1000 * metric(m, `tessera_tick_phase_seconds_sum\\{phase="${p}"\\}`)) / metric(m, `tessera_tick_phase_seconds_count\\{phase="${p}"\\}`),
    );
    const tickMeanMs = (1000 * metric(m, 'tessera_tick_seconds_sum')) / ticks;
    const budgetMessages = metric(m, 'tessera_interest_budget_messages_total'),
      budgetDeferred = metric(m, 'tessera_interest_budget_deferred_total'),
      budgetNearDeferred = metric(m, 'tessera_interest_budget_near_deferred_total');
    serve.proc.kill('SIGTERM');
    await serve.exit;
    const s = JSON.parse(readFileSync(summaryFile, 'utf8')) as BotSummary;
    const md = [
      '# Bots against `tessera serve` (demo world)',
      '',
      metaMarkdown(meta),
      '',
      `${COUNT} bots (\`tessera bots\`, one process) against \`tessera serve\` (one process: 4 shards on ${meta.machine.cores} worker threads, SQLite with the snapshot writer${SERVE_NODE_ARGS.length ? `; node ${SERVE_NODE_ARGS.join(' ')}` : ''}${SERVE_ARGS.length ? `; \`serve ${SERVE_ARGS.join(' ')}\`` : ''}) on the same machine for ${SECONDS} s${RESTART_AT ? `, the server killed with SIGKILL at ${RESTART_AT} s and started again` : ''}. Each bot walks an octagon across the shard borders (an input every 100 ms), acknowledges every state, chats every 20 s, throws a sphere every 30 s and pings every second.`,
      '',
      '## Bots',
      '',
      markdownTable(
        [
          'connected (ever / at the end)',
          'reconnects',
          'messages in',
          'MiB in',
          'messages out',
          'throws',
          'ping p50 ms',
          'ping p99 ms',
          'ping max ms',
          'errors',
          'unexpected closes',
        ],
        [
          [
            `${s.everConnected} / ${s.connectedAtEnd}`,
            String(s.reconnects),
            String(s.messagesIn),
            (s.bytesIn / 2 ** 20).toFixed(0),
            String(s.messagesOut),
            String(s.throws),
            s.latencyMsP50.toFixed(1),
            s.latencyMsP99.toFixed(1),
            s.latencyMsMax.toFixed(1),
            `${s.errors} ${JSON.stringify(s.errorCodes)}`,
            String(s.unexpectedCloses),
          ],
        ],
      ),
      '',
      '## Server',
      '',
      markdownTable(
        ['at s', 'tick', 'host tick p50 ms', 'p99 ms', 'max ms', 'clients', 'RSS MiB'],
        windows.map((w) => [
          String(w.at),
          String(w.tick),
          w.p50.toFixed(1),
          w.p99.toFixed(1),
          w.max.toFixed(1),
          String(w.clients),
          (w.rss / 2 ** 20).toFixed(0),
        ]),
      ),
      '',
      `Each row is /healthz over the last 2,000 ticks (100 s). Over the whole run${restart ? ' (after the restart)' : ''}: ${ticks} ticks (${(ticks / SECONDS).toFixed(1)} a second of the run), ${over50} over 50 ms (${((100 * over50) / ticks).toFixed(2)} %).`,
      `Each bot received ${(s.bytesIn / s.seconds / COUNT / 1000).toFixed(1)} kB/s on average (every message: states, events, chat, pongs).${
        budgetMessages > 0
          ? ` Byte budget: ${budgetMessages} state messages made under it, ${(budgetNearDeferred / budgetMessages).toFixed(0)} near bodies (within 1 cell of the view's centre) and ${((budgetDeferred - budgetNearDeferred) / budgetMessages).toFixed(0)} far ones left for a later tick per message.`
          : ''
      }`,
      `Mean tick ${tickMeanMs.toFixed(1)} ms, by phase (tessera_tick_phase_seconds): ${PHASES.map((p, k) => `${p} ${phaseMs[k].toFixed(1)}`).join(', ')} ms.`,
      `RSS: ${(rssStart / 2 ** 20).toFixed(0)} MiB at the start, ${(rssEnd / 2 ** 20).toFixed(0)} MiB at the end, ${(rssPeak / 2 ** 20).toFixed(0)} MiB at the peak of the samples.`,
      restart
        ? `Restart: /healthz said tick ${restart.killedAtTick} just before the SIGKILL; the new process resumed at tick ${restart.resumedAt} from its SQLite file (the last durable tick + 1: every tick a client was sent), every bot back within ${restart.reconnectedWithinS.toFixed(1)} s of the new process listening.`
        : '',
      '',
    ].join('\n');
    const name = OUT || (RESTART_AT ? 'bots-restart' : COUNT === 500 ? 'bots' : `bots-${COUNT}`); // other crowd sizes beside the 500-bot record
    writeFileSync(join(out, `${name}.md`), md);
    writeFileSync(
      join(out, `${name}.json`),
      `${JSON.stringify({ schema: 'tessera.bots.v1', meta, options: { count: COUNT, seconds: SECONDS, restartAt: RESTART_AT, serveArgs: SERVE_ARGS, serveNodeArgs: SERVE_NODE_ARGS }, bots: s, windows, ticks, over50, tickMeanMs, phaseMs: Object.fromEntries(PHASES.map((p, k) => [p, phaseMs[k]])), rssStart, rssEnd, rssPeak, restart }, null, 2)}\n`,
    );
    console.log(`[bots] wrote bench/results/${meta.machine.slug}/${name}.{md,json}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
