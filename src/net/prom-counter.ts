/**
 * Prometheus metrics read from a figure their owner keeps (a stats object), at each scrape: a
 * counter following a running total (it adds what the figure grew by since the last scrape), and
 * a gauge set to the figure. Used by the metrics modules (host, cluster, shard process,
 * replication, a waiting replica's port) instead of metrics updated on the hot path.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Registers counter `name` in `registry`, read from `read()` at each scrape (a total that only
 * grows; undefined: nothing to read yet, the counter stays).
 */
export function totalCounter(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const v = read();
      if (v !== undefined && v > seen) {
        this.inc(v - seen);
        seen = v;
      }
    },
  });
}

/**
 * Registers gauge `name` in `registry`, set to `read()` at each scrape (undefined: nothing to read
 * yet, the gauge keeps its value).
 */
export function readGauge(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      const v = read();
      if (v !== undefined) this.set(v);
    },
  });
}
