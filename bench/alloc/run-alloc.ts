/**
 * Allocation count of the interest and encode path and of ack reading (issue 22, "less work per
 * client"): a Crowd (crowd.ts) of `--clients` clients (default 200) and `--bodies` bodies (default
 * 2000) runs `--warm` ticks (default 100), then `--ticks` ticks (default 100) are counted.
 * Not a timing benchmark: it reports bytes of JS heap allocated, per client per tick.
 *
 * Counting: V8's sampling heap profiler (inspector HeapProfiler.startSampling, every
 * `--interval` bytes allocated on average, default 64, objects later collected by minor and major
 * GCs included), so garbage collections during the window do not matter; the sum of the samples'
 * sizes estimates the bytes allocated (Poisson sampling: unbiased, a few % of noise at these
 * counts). Typed-array backing stores over V8's on-heap limit (64 bytes) live outside the JS heap
 * and are not in the count; only their JSArrayBuffer/JSTypedArray objects are.
 *
 *   node build/dist/bench/alloc/run-alloc.js [--clients N] [--bodies N] [--ticks N] [--top N] [--spots N] [--ack-rate P]
 *
 * --spots: interest centres the clients pick among (default clients / 4); --ack-rate: chance a
 * client acknowledges what it received (default 0.9). Few spots and --ack-rate 1 make a crowd that
 * shares views and bases (few encodes: the per-client part alone).
 *
 * Prints one JSON line: { clients, bodies, ticks, heapPerClientTick, ackDecodePerAck
 * (decodeClient), ackReadPerAck (readAckTick), encodes, cacheHits, sha256, top } (bytes; sha256 of
 * every byte every client received, in order; top: the `--top` (default 12) functions that
 * allocated most in the crowd window, bytes per client per tick).
 */
import { createHash } from 'node:crypto';
import { Session } from 'node:inspector';
import { decodeClient, encodeClient, readAckTick } from '../../src/protocol/codec';
import { Crowd } from './crowd';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** Runs `fn` under the sampling heap profiler; returns the sampled bytes in total and per function ("name file:line"). */
function sampled(session: Session, interval: number, fn: () => void): { total: number; bySite: Map<string, number> } {
  let profile: { head: ProfileNode } | null = null;
  // an in-thread inspector session dispatches synchronously: the callbacks run inside post()
  session.post('HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  fn();
  session.post('HeapProfiler.stopSampling', (err, r) => {
    if (err) throw err;
    profile = (r as unknown as { profile: { head: ProfileNode } }).profile;
  });
  if (!profile) throw new Error('the heap profile did not arrive synchronously');
  const bySite = new Map<string, number>();
  let total = 0;
  const site = (f: ProfileNode['callFrame']): string => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/build\/dist\//, '')}:${f.lineNumber + 1}`;
  // a builtin (no url: subarray, slice, Map...) is named with its caller
  const walk = (n: ProfileNode, parent = ''): void => {
    const here = n.callFrame.url === '' && parent !== '' ? `${n.callFrame.functionName} < ${parent}` : site(n.callFrame);
    if (n.selfSize > 0) {
      const k = here;
      bySite.set(k, (bySite.get(k) ?? 0) + n.selfSize);
      total += n.selfSize;
    }
    for (const c of n.children) walk(c, n.callFrame.url === '' ? parent : site(n.callFrame));
  };
  walk((profile as { head: ProfileNode }).head);
  return { total, bySite };
}

function main(): void {
  const clients = arg('clients', 200),
    bodies = arg('bodies', 2000),
    warm = arg('warm', 100),
    ticks = arg('ticks', 100),
    interval = arg('interval', 64),
    top = arg('top', 12),
    spots = arg('spots', Math.max(1, clients >> 2)),
    ackRate = arg('ack-rate', 0.9);
  const crowd = new Crowd({ clients, bodies, seed: 22, spots, ackRate });
  const hash = createHash('sha256');
  const session = new Session();
  session.connect();
  for (let i = 0; i < warm; i++) for (const b of crowd.tick()) hash.update(b);
  const n = clients * ticks;
  const path = sampled(session, interval, () => {
    for (let i = 0; i < ticks; i++) for (const b of crowd.tick()) hash.update(b);
  });
  // the ack path: one encoded ClientAck per client, read per tick, as sessions.ts did (decodeClient) and does (readAckTick)
  const acks = crowd.views.map((_, c) => encodeClient({ kind: 'ack', tick: 1_000_000 + c }));
  let sink = 0;
  const decode = sampled(session, interval, () => {
    for (let i = 0; i < ticks; i++)
      for (let c = 0; c < acks.length; c++) {
        const m = decodeClient(acks[c]);
        if (m.kind === 'ack') sink += m.tick;
      }
  });
  const read = sampled(session, interval, () => {
    for (let i = 0; i < ticks; i++) for (let c = 0; c < acks.length; c++) sink += readAckTick(acks[c]);
  });
  session.disconnect();
  const sites = [...path.bySite].sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(
    JSON.stringify(
      {
        clients,
        bodies,
        ticks,
        spots,
        ackRate,
        heapPerClientTick: Math.round(path.total / n),
        ackDecodePerAck: Math.round(decode.total / n),
        ackReadPerAck: Math.round(read.total / n),
        encodes: crowd.ip.encodes,
        cacheHits: crowd.ip.cacheHits,
        sha256: hash.digest('hex'),
        sink: sink > 0,
        top: Object.fromEntries(sites.map(([k, v]) => [k, Math.round(v / n)])),
      },
      null,
      1,
    ),
  );
}

main();
