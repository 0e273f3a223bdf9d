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
 *  tessera_replication_held_messages, _held_bytes           messages to clients waiting for their tick to be
 *                                                           replicated (src/net/send-gate.ts)
 *  tessera_replication_hold_max_seconds                     longest such wait
 *  tessera_replication_held_released_total, _hold_seconds_total   messages that waited, and the sum of their waits
 *  tessera_replication_held_overflow_closed_total           sessions closed because the held bytes passed maxHeldBytes
 *  tessera_replication_snapshots_{put,failed,skipped}_total  the leader's snapshots for replicas (src/replica/snapshots.ts)
 *  tessera_replication_snapshot_bytes / _snapshot_tick      newest snapshot stored
 *  tessera_replication_snapshot_seconds{part="capture"|"put"}   its capture on the tick thread / until stored
 *  tessera_replication_mismatches_total                     ticks a replica's copy (this node's, before it led) differed from the log
 *  tessera_replication_resyncs_total                        resyncs of that copy from a snapshot
 *  tessera_replication_snapshots_refused_total              snapshots that copy refused (bad, forged, not in the log)
 * ```
 */
import { Gauge, type Registry } from 'prom-client';
import { totalCounter } from './prom-counter';
import type { ReplicationLeader } from '../replica/leader';
import type { SendGateStats } from './send-gate';
import type { ReplicaNode } from '../replica/replica-node';

/** Registers the replication metrics of `leader` (and of `replica`, the copy this node followed before it led) in `registry`. */
export class ReplicationMetrics {
  /**
   * `replica`: this node's copy before it led (its mismatches and resyncs); `gate`: the host's
   * send-gate figures (Host.sendGateStats), once the host runs.
   */
  constructor(
    leader: Pick<ReplicationLeader, 'stats'>,
    registry: Registry,
    replica?: Pick<ReplicaNode, 'stats'>,
    gate: () => SendGateStats | null = () => null,
  ) {
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
    gauge('tessera_replication_held_messages', 'Messages to clients waiting for their tick to be in JetStream', (g) => g.set(gate()?.heldMessages ?? 0));
    gauge('tessera_replication_held_bytes', 'Bytes of messages to clients waiting for their tick to be in JetStream', (g) => g.set(gate()?.heldBytes ?? 0));
    gauge('tessera_replication_hold_max_seconds', 'Longest wait of a message to a client for its tick to be in JetStream', (g) =>
      g.set((gate()?.maxHoldMs ?? 0) / 1000),
    );
    totalCounter(
      registry,
      'tessera_replication_held_released_total',
      'Messages to clients that waited for their tick to be in JetStream',
      () => gate()?.released ?? 0,
    );
    totalCounter(
      registry,
      'tessera_replication_hold_seconds_total',
      'Sum of those waits, seconds (over _released_total: the mean)',
      () => (gate()?.holdMsTotal ?? 0) / 1000,
    );
    totalCounter(
      registry,
      'tessera_replication_held_overflow_closed_total',
      'Sessions closed because the messages waiting for JetStream passed maxHeldBytes',
      () => gate()?.overflowClosed ?? 0,
    );
    totalCounter(registry, 'tessera_replication_failures_total', 'Appends to JetStream that failed and were retried', () => leader.stats().failures);
    totalCounter(
      registry,
      'tessera_replication_dropped_total',
      'Ticks dropped from memory while NATS was away (sent again from SQLite)',
      () => leader.stats().dropped,
    );
    const snap = (): NonNullable<ReturnType<ReplicationLeader['stats']>['snapshots']> | null => leader.stats().snapshots ?? null;
    for (const result of ['put', 'failed', 'skipped'] as const)
      totalCounter(
        registry,
        `tessera_replication_snapshots_${result}_total`,
        `Snapshots for replicas ${result === 'put' ? 'stored' : result === 'failed' ? 'not stored (error, too big, tick not in the log)' : 'skipped (the previous one still being stored)'}`,
        () => snap()?.[result],
      );
    gauge('tessera_replication_snapshot_bytes', 'Size of the newest snapshot stored for replicas, bytes', (g) => g.set(snap()?.bytes ?? 0));
    gauge('tessera_replication_snapshot_tick', 'Tick of the newest snapshot stored for replicas (-1: none)', (g) => g.set(snap()?.tick ?? -1));
    gauge(
      'tessera_replication_snapshot_seconds',
      'The newest snapshot: capture on the tick thread (part="capture") and capture to stored (part="put"), seconds',
      (g) => {
        const s = snap();
        g.set({ part: 'capture' }, (s?.captureMs ?? 0) / 1000);
        g.set({ part: 'put' }, (s?.putMs ?? 0) / 1000);
      },
      ['part'],
    );
    totalCounter(
      registry,
      'tessera_replication_mismatches_total',
      "Ticks where this node's replica copy differed from the log",
      () => replica?.stats().mismatches ?? 0,
    );
    totalCounter(
      registry,
      'tessera_replication_resyncs_total',
      "Resyncs of this node's replica copy from a snapshot after a mismatch",
      () => replica?.stats().resyncs ?? 0,
    );
    totalCounter(registry, 'tessera_replication_snapshots_refused_total', "Snapshots this node's replica copy refused", () =>
      Object.values(replica?.stats().refused ?? {}).reduce((a, b) => a + b, 0),
    );
  }
}
