/**
 * A cluster world's figures as `tessera serve` shows them (src/serve.ts with `cluster` set): the
 * coordinator's counters as Prometheus metrics tessera_cluster_* in the host's registry, and the
 * shard processes with their regions for GET /stats (`cluster`, drawn by the dashboard).
 *
 * ```
 *  tessera_cluster_ticks_total                 ticks the shard processes stepped
 *  tessera_cluster_failovers_total             regions moved off a failed process
 *  tessera_cluster_stall_seconds{which}        last / max stall of a tick by a fault
 *  tessera_cluster_rejected_total{code}        cluster messages refused, by code (src/cluster/errors.ts)
 *  tessera_cluster_order_bytes_total           tick orders published
 *  tessera_cluster_result_bytes_total          Results received
 *  tessera_cluster_resend_requests_dropped_total   resend requests dropped by the rate limit
 *  tessera_cluster_no_live_waits_total         times a process looked dead with no other alive: the tick waited
 *  tessera_cluster_processes                   processes holding regions now
 *  tessera_cluster_regions{process}            regions each holds
 *  tessera_cluster_process_step_seconds{process}   its last step of all its regions (heartbeat)
 *  tessera_cluster_heartbeat_age_seconds{process}  since its last heartbeat
 * ```
 * The counters (stats()) are read at each scrape; the assignment and the refusals by code
 * (details(), an answer from the coordinator's worker) are asked for every second and kept: a
 * scrape or a /stats never waits for the coordinator. Heartbeats come from a MemberWatch
 * (cluster-members.ts), when one is given.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { totalCounter } from './prom-counter';
import type { CoordinatorStats } from '../cluster/coordinator';
import type { MemberFigures } from './cluster-members';

/** What is read of a cluster coordinator (ClusterCoordinator; a fake in tests). */
export interface ClusterSource {
  stats(): CoordinatorStats;
  details(): Promise<{ rejected: Record<string, number>; hosts: string[]; epochs: string[] }>;
}

/** A shard process in GET /stats: its regions (ascending) with their epochs, and its last heartbeat when one was heard. */
export interface ProcessFigures extends Partial<Omit<MemberFigures, 'id'>> {
  id: string;
  regions: number[];
  epochs: string[];
}

/** The cluster in GET /stats: the coordinator's counters and the shard processes. */
export interface ClusterFigures extends CoordinatorStats {
  world: string;
  processes: ProcessFigures[];
  rejectedByCode: Record<string, number>;
}

/** Keeps a coordinator's figures and registers tessera_cluster_* in `registry`. */
export class ClusterWatch {
  private hosts: string[] = [];
  private epochs: string[] = [];
  private rejected: Record<string, number> = {};
  private timer: NodeJS.Timeout | null = null;
  private asking = false;

  constructor(
    private readonly source: ClusterSource,
    private readonly world: string,
    registry: Registry,
    private readonly members: { list(): MemberFigures[] } | null = null,
  ) {
    const self = this;
    const counter = (name: string, help: string, read: (s: CoordinatorStats) => number): void =>
      totalCounter(registry, name, help, () => read(self.source.stats()));
    counter('tessera_cluster_ticks_total', 'Ticks stepped by the shard processes', (s) => s.ticks);
    counter('tessera_cluster_failovers_total', 'Regions moved off a failed shard process', (s) => s.failovers);
    counter('tessera_cluster_order_bytes_total', 'Bytes of tick orders published to the shard processes', (s) => s.orderBytes);
    counter('tessera_cluster_result_bytes_total', 'Bytes of region Results received from the shard processes', (s) => s.resultBytes);
    counter(
      'tessera_cluster_resend_requests_dropped_total',
      'Resend requests the coordinator dropped unread by the rate limit',
      (s) => s.resendRequestsDropped,
    );
    counter(
      'tessera_cluster_no_live_waits_total',
      'Times a shard process looked dead while no other was alive: nothing moved, the tick waited for an answer',
      (s) => s.noLiveWaits,
    );
    new Gauge({
      name: 'tessera_cluster_stall_seconds',
      help: 'Stall of a tick by a shard process fault (which="last" or "max")',
      labelNames: ['which'],
      registers: [registry],
      collect() {
        const s = self.source.stats();
        this.set({ which: 'last' }, s.lastStallMs / 1000);
        this.set({ which: 'max' }, s.maxStallMs / 1000);
      },
    });
    const seenCodes = new Map<string, number>();
    new Counter({
      name: 'tessera_cluster_rejected_total',
      help: 'Cluster messages the coordinator refused (logged with their code: src/cluster/errors.ts), by code',
      labelNames: ['code'],
      registers: [registry],
      collect() {
        for (const [code, n] of Object.entries(self.rejected)) {
          const d = n - (seenCodes.get(code) ?? 0);
          if (d > 0) {
            this.inc({ code }, d);
            seenCodes.set(code, n);
          }
        }
      },
    });
    new Gauge({
      name: 'tessera_cluster_processes',
      help: 'Shard processes holding regions',
      registers: [registry],
      collect() {
        this.set(new Set(self.hosts).size);
      },
    });
    new Gauge({
      name: 'tessera_cluster_regions',
      help: 'Regions each shard process holds',
      labelNames: ['process'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of self.figures().processes) this.set({ process: p.id }, p.regions.length);
      },
    });
    const perMember = (name: string, help: string, read: (m: MemberFigures) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['process'],
        registers: [registry],
        collect() {
          this.reset();
          for (const m of self.members?.list() ?? []) this.set({ process: m.id }, read(m));
        },
      });
    };
    perMember('tessera_cluster_process_step_seconds', "A shard process's last step of all its regions (from its heartbeat)", (m) => m.stepMs / 1000);
    perMember('tessera_cluster_heartbeat_age_seconds', "Time since a shard process's last heartbeat", (m) => m.heartbeatAgeMs / 1000);
  }

  /** Asks the coordinator for its assignment now and then every `everyMs` (the timer does not keep the process alive). */
  async start(everyMs = 1000): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), everyMs);
    this.timer.unref();
  }

  /** Stops asking (call before the coordinator closes). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async refresh(): Promise<void> {
    if (this.asking) return; // the worker has not answered the last question yet
    this.asking = true;
    try {
      const d = await this.source.details();
      this.hosts = d.hosts;
      this.epochs = d.epochs;
      this.rejected = d.rejected;
    } finally {
      this.asking = false;
    }
  }

  /** The figures for GET /stats. */
  figures(): ClusterFigures {
    const by = new Map<string, ProcessFigures>();
    this.hosts.forEach((id, k) => {
      const p = by.get(id) ?? { id, regions: [], epochs: [] };
      p.regions.push(k);
      p.epochs.push(this.epochs[k] ?? '');
      by.set(id, p);
    });
    for (const m of this.members?.list() ?? []) by.set(m.id, { ...m, ...(by.get(m.id) ?? { id: m.id, regions: [], epochs: [] }) });
    return {
      world: this.world,
      ...this.source.stats(),
      processes: [...by.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      rejectedByCode: { ...this.rejected },
    };
  }
}
