/**
 * The data stream's figures in the host's registry (issue 19, src/replica/data-stream.ts), read
 * at each scrape:
 *
 * ```
 *  tessera_replication_data_backlog            outbox rows (writes) not yet acknowledged by JetStream
 *  tessera_replication_data_in_flight          appends awaiting JetStream's acknowledgement
 *  tessera_replication_data_seq                the data stream's last sequence this node knows
 *  tessera_replication_data_appended_total     records JetStream acknowledged
 *  tessera_replication_data_failures_total     appends that failed and were retried
 *  tessera_replication_data_refusals_total     account writes refused (BUSY: backlog full or NATS away)
 *  tessera_replication_data_stale_total        outbox rows dropped at a takeover (written after this node was deposed)
 *  tessera_replication_data_skipped_total      rows too large for a record (256 KiB): not replicated
 * ```
 */
import type { Registry } from 'prom-client';
import { readGauge, totalCounter } from './prom-counter';
import type { DataReplication } from '../replica/data-stream';

/** Registers the data stream metrics of `data` (its replicator, once leading) in `registry`. */
export class DataReplicationMetrics {
  constructor(data: Pick<DataReplication, 'leader'>, registry: Registry) {
    const stats = () => data.leader?.stats();
    const gauge = (name: string, help: string, read: () => number | undefined): void => readGauge(registry, name, help, read);
    gauge('tessera_replication_data_backlog', 'Writes in the outbox not yet acknowledged by JetStream', () => stats()?.backlog);
    gauge('tessera_replication_data_in_flight', 'Data records awaiting the acknowledgement of JetStream', () => stats()?.inFlight);
    gauge('tessera_replication_data_seq', "The data stream's last sequence this node knows", () => stats()?.seq);
    totalCounter(registry, 'tessera_replication_data_appended_total', 'Data records JetStream acknowledged', () => stats()?.appended);
    totalCounter(registry, 'tessera_replication_data_failures_total', 'Data appends that failed and were retried', () => stats()?.failures);
    totalCounter(
      registry,
      'tessera_replication_data_refusals_total',
      'Account writes refused because they could not be replicated (backlog full or NATS away)',
      () => stats()?.refusals,
    );
    totalCounter(registry, 'tessera_replication_data_skipped_total', 'Rows too large for a data record (256 KiB): not replicated', () => stats()?.skipped);
    totalCounter(
      registry,
      'tessera_replication_data_stale_total',
      'Outbox rows dropped at a takeover (written after this node was deposed)',
      () => stats()?.stale,
    );
  }
}
