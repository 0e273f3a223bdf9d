/**
 * `/metrics` of a shard process (`tessera shard --metrics-port N`): a plain node:http server
 * with one route, GET /metrics, the process's counters (ShardProcess.stats) in Prometheus text,
 * plus the process's default metrics (memory, CPU, event-loop lag; prefix tessera_shard_). It
 * answers between steps: a step runs on the same event loop, so a scrape waits for it.
 *
 * ```
 *  tessera_shard_ticks_total               ticks this process stepped
 *  tessera_shard_results_published_total   region Results it published
 *  tessera_shard_results_applied_total     other regions' Results it applied to its copy
 *  tessera_shard_resends_total             Results it asked others to publish again
 *  tessera_shard_resend_requests_dropped_total   others' resend requests dropped by the rate limit
 *  tessera_shard_resend_repeats_skipped_total    republications skipped (answered within repeatMs)
 *  tessera_shard_rejected_total{code}      messages it refused, by code (src/cluster/errors.ts)
 *  tessera_shard_last_step_seconds         its last step of all its regions
 * ```
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { totalCounter } from './prom-counter';
import type { ShardProcessStats } from '../cluster/shard-process';

/** A running /metrics server. */
export interface ShardMetricsServer {
  /** The bound TCP port. */
  port: number;
  close(): Promise<void>;
}

/** The registry of a shard process's metrics, read from `stats` at each scrape. */
export function shardRegistry(stats: () => ShardProcessStats): Registry {
  const r = new Registry();
  collectDefaultMetrics({ register: r, prefix: 'tessera_shard_', eventLoopMonitoringPrecision: 100 });
  const counter = (name: string, help: string, read: (s: ShardProcessStats) => number): void => totalCounter(r, name, help, () => read(stats()));
  counter('tessera_shard_ticks_total', 'Ticks this shard process stepped', (s) => s.ticks);
  counter('tessera_shard_results_published_total', 'Region Results this process published', (s) => s.resultsPublished);
  counter('tessera_shard_results_applied_total', "Other regions' Results applied to this process's copy", (s) => s.resultsApplied);
  counter('tessera_shard_resends_total', 'Results this process asked others to publish again', (s) => s.resends);
  counter('tessera_shard_resend_requests_dropped_total', "Other processes' resend requests dropped unread by the rate limit", (s) => s.resendRequestsDropped);
  counter(
    'tessera_shard_resend_repeats_skipped_total',
    'Republications skipped: the same tick and region was answered within the repeat interval',
    (s) => s.resendRepeatsSkipped,
  );
  const seenCodes = new Map<string, number>();
  new Counter({
    name: 'tessera_shard_rejected_total',
    help: 'Cluster messages this process refused (logged with their code: src/cluster/errors.ts), by code',
    labelNames: ['code'],
    registers: [r],
    collect() {
      for (const [code, n] of Object.entries(stats().rejected)) {
        const d = n - (seenCodes.get(code) ?? 0);
        if (d > 0) {
          this.inc({ code }, d);
          seenCodes.set(code, n);
        }
      }
    },
  });
  new Gauge({
    name: 'tessera_shard_last_step_seconds',
    help: "This process's last step of all its regions",
    registers: [r],
    collect() {
      this.set(stats().lastStepMs / 1000);
    },
  });
  return r;
}

/**
 * Serves GET /metrics of `stats` on `host`:`port` (0 = any free port); anything else is 404.
 * Rejects when the port cannot be bound.
 */
export async function serveShardMetrics(stats: () => ShardProcessStats, port: number, host = '127.0.0.1'): Promise<ShardMetricsServer> {
  const registry = shardRegistry(stats);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(e.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
