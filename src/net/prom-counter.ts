/**
 * A Prometheus counter that follows a figure its owner keeps as a running total (a stats
 * object's counter): at each scrape it adds what the figure grew by since the last scrape. Used
 * by every metrics module (host, cluster, shard process, replication) instead of a counter
 * incremented on the hot path.
 */
import { Counter, type Registry } from 'prom-client';

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
