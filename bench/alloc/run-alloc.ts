/**
 * Allocation count of the interest and encode path and of ack decoding (issue 22, "less work per
 * client"): a Crowd (crowd.ts) of `--clients` clients (default 200) and `--bodies` bodies (default
 * 2000) runs `--warm` ticks (default 100), then `--ticks` ticks (default 100) are counted.
 * Not a timing benchmark: it reports bytes of JS heap allocated, per client per tick.
 *
 * Counting: V8's used heap size before and after the counted ticks, with no garbage collection in
 * between (run with a young generation large enough, `node --max-semi-space-size=512`; the run
 * reports the GCs it saw and refuses the count if any happened). Typed-array backing stores
 * outside the heap (ArrayBuffers over V8's on-heap limit) are counted through
 * process.memoryUsage().arrayBuffers the same way.
 *
 *   node --max-semi-space-size=512 build/dist/bench/alloc/run-alloc.js [--clients N] [--bodies N] [--ticks N]
 *
 * Prints one JSON line: { clients, bodies, ticks, gcs, heapPerClientTick, arrayBuffersPerClientTick,
 * ackDecodeHeapPerAck (decodeClient), ackReadHeapPerAck (readAckTick), sha256 } (bytes; sha256 of every byte every client received, in order).
 */
import { createHash } from 'node:crypto';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { decodeClient, encodeClient, readAckTick } from '../../src/protocol/codec';
import { Crowd } from './crowd';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function main(): void {
  const clients = arg('clients', 200),
    bodies = arg('bodies', 2000),
    warm = arg('warm', 100),
    ticks = arg('ticks', 100);
  const crowd = new Crowd({ clients, bodies, seed: 22 });
  const hash = createHash('sha256');
  let gcs = 0;
  const obs = new PerformanceObserver((l) => {
    gcs += l.getEntries().length;
  });
  for (let i = 0; i < warm; i++) for (const b of crowd.tick()) hash.update(b);
  // the ack path: one encoded ClientAck per client, decoded and applied per tick as sessions.ts does
  const acks = crowd.views.map((_, c) => encodeClient({ kind: 'ack', tick: 1_000_000 + c }));
  obs.observe({ entryTypes: ['gc'] });
  const h0 = getHeapStatistics().used_heap_size,
    a0 = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < ticks; i++) for (const b of crowd.tick()) hash.update(b);
  const h1 = getHeapStatistics().used_heap_size,
    a1 = process.memoryUsage().arrayBuffers;
  let sink = 0;
  for (let i = 0; i < ticks; i++)
    for (let c = 0; c < acks.length; c++) {
      const m = decodeClient(acks[c]);
      if (m.kind === 'ack') sink += m.tick;
    }
  const h2 = getHeapStatistics().used_heap_size;
  // the same acks read as sessions.ts reads them now (readAckTick)
  for (let i = 0; i < ticks; i++)
    for (let c = 0; c < acks.length; c++) {
      const t = readAckTick(acks[c]);
      if (t >= 0) sink += t;
    }
  const h3 = getHeapStatistics().used_heap_size;
  // PerformanceObserver delivers entries asynchronously: read the count on the next turn
  setImmediate(() => {
    obs.disconnect();
    const n = clients * ticks;
    console.log(
      JSON.stringify({
        clients,
        bodies,
        ticks,
        gcs,
        heapPerClientTick: Math.round((h1 - h0) / n),
        arrayBuffersPerClientTick: Math.round((a1 - a0) / n),
        ackDecodeHeapPerAck: Math.round((h2 - h1) / n),
        ackReadHeapPerAck: Math.round((h3 - h2) / n),
        encodes: crowd.ip.encodes,
        cacheHits: crowd.ip.cacheHits,
        sha256: hash.digest('hex'),
        sink: sink > 0,
      }),
    );
  });
}

main();
