/**
 * Prometheus metrics of a running host (prom-client): tick, world-step and per-shard step time histograms,
 * clients, messages and bytes, bodies, ghosts and handoffs per shard, and the process's
 * default metrics (memory, CPU, event-loop lag). Served at GET /metrics by the host.
 */
import { Registry, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';
import type { Host, TickFigures } from './host';

const TICK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.1, 0.25, 1];

/** The metrics of one host. Call `observe` from the host's onTick. */
export class HostMetrics {
  readonly registry = new Registry();
  private host: Host | null = null;
  private readonly tick: Histogram;
  private readonly step: Histogram;
  private readonly shardStep: Histogram;

  constructor() {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'tessera_' });
    this.tick = new Histogram({ name: 'tessera_tick_seconds', help: 'Host tick time: world step, fan-out and bookkeeping', buckets: TICK_BUCKETS, registers: [r] });
    this.step = new Histogram({ name: 'tessera_world_step_seconds', help: 'World step time: events, physics on every shard, persistence append', buckets: TICK_BUCKETS, registers: [r] });
    this.shardStep = new Histogram({ name: 'tessera_shard_step_seconds', help: 'One shard\'s physics step time on its worker (without the wait at the barrier)', labelNames: ['shard'], buckets: TICK_BUCKETS, registers: [r] });
    const gauge = (name: string, help: string, read: (h: Host, g: Gauge) => void, labelNames: string[] = []): void => {
      const self = this;
      new Gauge({ name, help, labelNames, registers: [r], collect() { if (self.host) read(self.host, this); } });
    };
    gauge('tessera_tick', 'The world stream\'s open tick', (h, g) => g.set(h.world.stream.tick));
    gauge('tessera_clients', 'WebSocket clients that completed hello', (h, g) => g.set(h.clientCount));
    gauge('tessera_messages_in_total', 'Client messages received', (h, g) => g.set(h.statistics.messagesIn));
    gauge('tessera_messages_out_total', 'Messages sent to clients', (h, g) => g.set(h.statistics.messagesOut));
    gauge('tessera_bytes_out_total', 'Bytes sent to clients', (h, g) => g.set(h.statistics.bytesOut));
    gauge('tessera_rate_limited_total', 'Client messages dropped by rate limits', (h, g) => g.set(h.statistics.rateLimited));
    gauge('tessera_dropped_clients_total', 'Clients dropped as slow or idle', (h, g) => g.set(h.statistics.droppedSlow + h.statistics.droppedIdle));
    gauge('tessera_handoffs_total', 'Bodies handed from one shard to another', (h, g) => g.set(h.world.sim.world.handoffs));
    gauge('tessera_shard_bodies', 'Bodies a shard has authority over', (h, g) => h.world.sim.world.counts().forEach((c, k) => g.set({ shard: String(k) }, c.owned)), ['shard']);
    gauge('tessera_shard_ghosts', 'Ghost copies a shard simulates near its borders', (h, g) => h.world.sim.world.counts().forEach((c, k) => g.set({ shard: String(k) }, c.ghosts)), ['shard']);
  }

  /** Starts reading figures from `host`. */
  attach(host: Host): void { this.host = host; }

  /** Records one tick (Host option onTick). */
  observe(r: TickFigures): void {
    this.tick.observe(r.ms / 1000);
    this.step.observe(r.stepMs / 1000);
    r.shardStepMs.forEach((ms, k) => this.shardStep.observe({ shard: String(k) }, ms / 1000));
  }

  /** The exposition text and its content type. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
