/**
 * A replicated world's figures in the host's registry (issue 19, src/replica/leader.ts), read
 * at each scrape:
 *
 * ```
 *  tessera_replication_tick{which="logged"|"replicated"}   newest tick in SQLite / acknowledged by JetStream
 *  tessera_replication_lag_ticks                            logged - replicated
 *  tessera_replication_in_flight                            appends awaiting JetStream's acknowledgement
 *  tessera_replication_queued                               ticks waiting to be sent (NATS away)
 *  tessera_replication_failures_total                       appends that failed and were retried
 *  tessera_replication_dropped_total                        ticks dropped from memory while NATS was away (resent from SQLite)
 *  tessera_replication_leader                               1 while this node holds the lease
 * ```
 */
import { Gauge, type Registry } from 'prom-client';
import { totalCounter } from './prom-counter';
import type { ReplicationLeader } from '../replica/leader';

/** Registers the replication metrics of `leader` in `registry`. */
export class ReplicationMetrics {
  constructor(leader: Pick<ReplicationLeader, 'stats'>, registry: Registry) {
    const gauge = (name: string, help: string, read: (g: Gauge) => void, labelNames: string[] = []): void => {
      new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          read(this);
        },
      });
    };
    gauge(
      'tessera_replication_tick',
      'Newest tick written to SQLite (which="logged") and acknowledged by JetStream (which="replicated")',
      (g) => {
        const s = leader.stats();
        g.set({ which: 'logged' }, s.loggedTick);
        g.set({ which: 'replicated' }, s.replicatedTick);
      },
      ['which'],
    );
    gauge('tessera_replication_lag_ticks', 'Ticks logged but not yet acknowledged by JetStream', (g) => {
      const s = leader.stats();
      g.set(Math.max(0, s.loggedTick - s.replicatedTick));
    });
    gauge('tessera_replication_in_flight', 'Appends awaiting the acknowledgement of JetStream', (g) => g.set(leader.stats().inFlight));
    gauge('tessera_replication_queued', 'Ticks waiting to be sent to JetStream', (g) => g.set(leader.stats().queued));
    gauge('tessera_replication_leader', '1 while this node holds the world leader lease', (g) => g.set(leader.stats().leader ? 1 : 0));
    totalCounter(registry, 'tessera_replication_failures_total', 'Appends to JetStream that failed and were retried', () => leader.stats().failures);
    totalCounter(
      registry,
      'tessera_replication_dropped_total',
      'Ticks dropped from memory while NATS was away (sent again from SQLite)',
      () => leader.stats().dropped,
    );
  }
}
