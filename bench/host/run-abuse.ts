/**
 * Abuse benchmark (issue 15): what stream-creation and join floods cost a host, and whether
 * its other clients keep their ticks. A record, not a test: it prints figures and never fails
 * on a number. Do not run it at full size on a shared machine.
 *
 * Build & run (from the repo root):
 *   npm run build && node build/dist/bench/host/run-abuse.js                       # full size
 *   node build/dist/bench/host/run-abuse.js --streams 200 --joins 100 --hold 2    # a smoke run
 *
 * Processes: this runner (the observers and the attackers) and abuse-host.js (the host, forked,
 * so the RSS it reports from /stats is the host's alone).
 *
 *   1. start the host (default bounds; --max-joins-per-second, --max-streams override them);
 *      --observers (5) WebSocket clients join the world stream and record the newest events
 *      tick they received; every --sample-ms (500) the runner reads the host tick (/healthz)
 *      and takes lag = host tick - each observer's newest tick (ticks; 20 per second)
 *   2. RSS before (/stats rss)
 *   3. --streams (10,000) stream-creation attempts: tokenless JSON POSTs to a new stream name
 *      each (/abuse-<i>/p/0), --concurrency (64) at a time; statuses counted
 *   4. RSS after the streams
 *   5. --joins (5,000) simultaneous WebSocket joins: every socket opened at once, hello on the
 *      world stream as a guest; held --hold s (10); statuses (101 or the refusal) and close codes
 *      counted
 *   6. RSS after the joins, then after they closed
 *   Reported: RSS (MiB) at each point, HostStats figures of the bounds (streams, streamsRefused,
 *   joinsRefused, streamClients, guestSessions), observer lag p50/p99/max per phase (ticks), and
 *   whether any observer was dropped. --out FILE also writes the report as JSON.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { decodeServer, encodeClient } from '../../src/protocol/codec';
import { PROTOCOL_VERSION } from '../../src/protocol/messages';

interface Args {
  streams: number;
  joins: number;
  observers: number;
  concurrency: number;
  hold: number;
  sampleMs: number;
  out: string | null;
  maxJoinsPerSecond?: number;
  maxStreams?: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { streams: 10_000, joins: 5_000, observers: 5, concurrency: 64, hold: 10, sampleMs: 500, out: null };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i],
      v = argv[i + 1];
    const n = Number(v);
    switch (k) {
      case '--streams':
        a.streams = n;
        break;
      case '--joins':
        a.joins = n;
        break;
      case '--observers':
        a.observers = n;
        break;
      case '--concurrency':
        a.concurrency = n;
        break;
      case '--hold':
        a.hold = n;
        break;
      case '--sample-ms':
        a.sampleMs = n;
        break;
      case '--out':
        a.out = v;
        break;
      case '--max-joins-per-second':
        a.maxJoinsPerSecond = n;
        break;
      case '--max-streams':
        a.maxStreams = n;
        break;
      default:
        throw new Error(`unknown option ${k}`);
    }
  }
  return a;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function http(port: number, method: string, path: string, body = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', () => resolve({ status: -1, text: '' }));
    req.end(body);
  });
}

/** A world-stream client that records the newest events tick it received. */
class Observer {
  newest = 0;
  closed: number | null = null;
  readonly ws: WebSocket;
  readonly ready: Promise<boolean>;
  constructor(port: number, privateId: string) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['tessera.v4']);
    this.ws.binaryType = 'arraybuffer';
    this.ready = new Promise((resolve) => {
      this.ws.once('open', () => {
        this.ws.send(
          encodeClient({ kind: 'hello', version: PROTOCOL_VERSION, token: 'guest', stream: 'world', privateId, lastKnownTick: null, interest: null }),
        );
        resolve(true);
      });
      this.ws.once('error', () => resolve(false));
      this.ws.on('unexpected-response', (req, res) => {
        res.resume();
        req.destroy();
        this.closed = res.statusCode ?? -1;
        resolve(false);
      });
    });
    this.ws.on('message', (data: ArrayBuffer) => {
      const m = decodeServer(new Uint8Array(data));
      if (m.kind === 'events' && m.tick > this.newest) this.newest = m.tick;
    });
    this.ws.on('close', (code: number) => {
      if (this.closed === null) this.closed = code;
    });
    this.ws.on('error', () => {
      /* recorded by close */
    });
  }
}

const q = (xs: number[], p: number): number => {
  const t = [...xs].sort((a, b) => a - b);
  return t.length ? t[Math.min(t.length - 1, Math.floor(p * t.length))] : 0;
};
const mib = (b: number): number => Math.round((b / 1048576) * 10) / 10;

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const overrides: Record<string, number> = {};
  if (a.maxJoinsPerSecond !== undefined) overrides.maxJoinsPerSecond = a.maxJoinsPerSecond;
  if (a.maxStreams !== undefined) overrides.maxStreams = a.maxStreams;
  const child: ChildProcess = fork(join(__dirname, 'abuse-host.js'), [JSON.stringify(overrides)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (c) => reject(new Error(`host exited with ${c}`)));
  });
  const stats = async (): Promise<Record<string, number>> => JSON.parse((await http(port, 'GET', '/stats')).text) as Record<string, number>;
  const hostTick = async (): Promise<number> => (JSON.parse((await http(port, 'GET', '/healthz')).text) as { tick: number }).tick;

  const observers = Array.from({ length: a.observers }, (_, i) => new Observer(port, `observer-${i}`));
  await Promise.all(observers.map((o) => o.ready));
  await new Promise((r) => setTimeout(r, 1000));

  // lag sampling, by phase
  let phase = 'idle';
  const lag = new Map<string, number[]>();
  const sampler = setInterval(() => {
    void hostTick().then((t) => {
      const l = lag.get(phase) ?? [];
      for (const o of observers) if (o.closed === null) l.push(Math.max(0, t - o.newest));
      lag.set(phase, l);
    });
  }, a.sampleMs);

  const report: Record<string, unknown> = { args: a };
  const rss: Record<string, number> = {};
  await new Promise((r) => setTimeout(r, 2 * a.sampleMs));
  rss.before = mib((await stats()).rss);

  // streams
  phase = 'streams';
  const streamStatus = new Map<number, number>();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: a.concurrency }, async () => {
      while (next < a.streams) {
        const i = next++;
        const r = await http(port, 'POST', `/abuse-${i}/p/0`, '{}');
        streamStatus.set(r.status, (streamStatus.get(r.status) ?? 0) + 1);
      }
    }),
  );
  report.streamsSeconds = Math.round(performance.now() - t0) / 1000;
  report.streamStatuses = Object.fromEntries(streamStatus);
  const afterStreams = await stats();
  rss.afterStreams = mib(afterStreams.rss);
  report.afterStreams = pickBounds(afterStreams);

  // joins
  phase = 'joins';
  const joiners = Array.from({ length: a.joins }, (_, i) => new Observer(port, `joiner-${i}`));
  await Promise.all(joiners.map((o) => o.ready));
  await new Promise((r) => setTimeout(r, a.hold * 1000));
  const joinOutcome = new Map<string, number>();
  for (const o of joiners) {
    const k = o.closed === null ? 'open' : `closed ${o.closed}`;
    joinOutcome.set(k, (joinOutcome.get(k) ?? 0) + 1);
  }
  report.joinOutcomes = Object.fromEntries(joinOutcome);
  const afterJoins = await stats();
  rss.afterJoins = mib(afterJoins.rss);
  report.afterJoins = pickBounds(afterJoins);
  phase = 'after';
  for (const o of joiners) o.ws.terminate();
  await new Promise((r) => setTimeout(r, 3000));
  rss.afterClose = mib((await stats()).rss);

  clearInterval(sampler);
  report.rssMiB = rss;
  report.observerLagTicks = Object.fromEntries([...lag].map(([k, l]) => [k, { p50: q(l, 0.5), p99: q(l, 0.99), max: q(l, 1), samples: l.length }]));
  report.observersDropped = observers.filter((o) => o.closed !== null).length;
  for (const o of observers) o.ws.close();
  console.log(JSON.stringify(report, null, 2));
  if (a.out) writeFileSync(a.out, `${JSON.stringify(report, null, 2)}\n`);
  agent.destroy();
  child.kill('SIGTERM');
}

function pickBounds(s: Record<string, number>): Record<string, number> {
  const keys = [
    'tick',
    'clients',
    'streams',
    'streamsRefused',
    'joinsRefused',
    'streamsForgotten',
    'streamClients',
    'sideLogEvents',
    'guestSessions',
    'faults',
    'tickMsP50',
    'tickMsP99',
    'tickMsMax',
  ];
  return Object.fromEntries(keys.map((k) => [k, s[k]]));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
