/**
 * Prometheus metrics of a running host (prom-client): tick, tick-phase, world-step and per-shard step time histograms,
 * clients, messages and bytes, bodies, ghosts and handoffs per shard, shard recoveries, and the
 * process's default metrics (memory, CPU, event-loop lag). Served at GET /metrics by the host.
 *
 * Every `_total` is a Counter (Prometheus' rate() and increase() assume one: a Gauge's reset
 * would read as a fall). The host and the world count in plain fields; each Counter's collect
 * adds what its field grew by since the last scrape, so a Counter never falls and never needs
 * a call on the hot path.
 */
import { Registry, Histogram, Gauge, Counter, collectDefaultMetrics } from 'prom-client';
import { totalCounter } from './prom-counter';
import { OVERFLOW_KINDS } from '../physics/sharded';
import type { Host, TickFigures } from './host';
import { TICK_PHASES } from './options';
import type { SecurityLog } from './security-log';
import type { AccountService } from '../persist/accounts';

const TICK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.1, 0.25, 1];

/** The metrics of one host. Call `observe` from the host's onTick. */
export class HostMetrics {
  readonly registry = new Registry();
  private host: Host | null = null;
  private security: SecurityLog | null = null;
  private accounts: AccountService | null = null;
  private readonly tick: Histogram;
  private readonly step: Histogram;
  private readonly shardStep: Histogram;
  /** The phase histogram's child of each phase (TICK_PHASES order). */
  private readonly phases: Array<Histogram.Internal<string>>;
  /** The shard histogram's child of each shard (labels() once, not a label lookup per tick). */
  private readonly shardChildren: Array<Histogram.Internal<string>> = [];

  constructor() {
    const r = this.registry;
    // event-loop lag sampled every 100 ms, not prom-client's default 10 ms: that timer woke an
    // idle host 100 times a second, five times its 20 Hz tick
    collectDefaultMetrics({ register: r, prefix: 'tessera_', eventLoopMonitoringPrecision: 100 });
    this.tick = new Histogram({
      name: 'tessera_tick_seconds',
      help: 'Host tick time: world step, fan-out and bookkeeping',
      buckets: TICK_BUCKETS,
      registers: [r],
    });
    this.step = new Histogram({
      name: 'tessera_world_step_seconds',
      help: 'World step time: events, physics on every shard, persistence append',
      buckets: TICK_BUCKETS,
      registers: [r],
    });
    this.shardStep = new Histogram({
      name: 'tessera_shard_step_seconds',
      help: "One shard's physics step time on its worker (without the wait at the barrier)",
      labelNames: ['shard'],
      buckets: TICK_BUCKETS,
      registers: [r],
    });
    const phase = new Histogram({
      name: 'tessera_tick_phase_seconds',
      help:
        'Host tick time by phase: apply (events and physics on every shard), persist (state hash, log append, durable snapshot), ' +
        'index (interest index, catch-up snapshot), fanout (interest, encodes and sends to every client), other (sessions, acks, chat, bookkeeping)',
      labelNames: ['phase'],
      buckets: TICK_BUCKETS,
      registers: [r],
    });
    this.phases = TICK_PHASES.map((p) => phase.labels(p));
    const gauge = (name: string, help: string, read: (h: Host, g: Gauge) => void, labelNames: string[] = []): void => {
      const self = this;
      new Gauge({
        name,
        help,
        labelNames,
        registers: [r],
        collect() {
          if (self.host) read(self.host, this);
        },
      });
    };
    const counter = (name: string, help: string, read: (h: Host) => number): void =>
      totalCounter(r, name, help, () => (this.host ? read(this.host) : undefined));
    gauge('tessera_tick', "The world stream's open tick", (h, g) => g.set(h.world.stream.tick));
    gauge('tessera_clients', 'WebSocket clients that completed hello', (h, g) => g.set(h.clientCount));
    counter('tessera_messages_in_total', 'Client messages received', (h) => h.statistics.messagesIn);
    counter('tessera_messages_out_total', 'Messages sent to clients', (h) => h.statistics.messagesOut);
    counter('tessera_bytes_out_total', 'Bytes sent to clients', (h) => h.statistics.bytesOut);
    counter('tessera_rate_limited_total', 'Client messages dropped by rate limits', (h) => h.statistics.rateLimited);
    const scriptSeen = new Map<string, number>();
    const hostOf = () => this.host;
    new Counter({
      name: 'tessera_script_rate_limited_total',
      help: "Object-script events ('sa' attach, 'sr' store read, 'sm' script chat) dropped by their per-kind rate limits (scriptRateLimits)",
      labelNames: ['kind'],
      registers: [r],
      collect() {
        for (const [kind, n] of Object.entries(hostOf()?.scriptRateLimited ?? {})) {
          const d = n - (scriptSeen.get(kind) ?? 0);
          if (d > 0) {
            this.inc({ kind }, d);
            scriptSeen.set(kind, n);
          }
        }
      },
    });
    counter(
      'tessera_quiet_ticks_total',
      'Ticks sent to a client as one ServerQuiet (nothing changed, no event; hello.quietTicks)',
      (h) => h.statistics.quietTicks,
    );
    counter('tessera_dropped_clients_total', 'Clients dropped as slow or idle', (h) => h.statistics.droppedSlow + h.statistics.droppedIdle);
    // protocol 4: the input rule's outcomes (src/net/inputs.ts) and lag compensation (src/net/lag.ts)
    counter(
      'tessera_inputs_deferred_total',
      'Inputs applied at a later tick than the one open when they were read (their tick, up to maxInputLead)',
      (h) => h.statistics.inputsDeferred,
    );
    counter('tessera_inputs_late_total', 'Inputs whose tick had closed when they were read (applied at the open tick)', (h) => h.statistics.inputsLate);
    counter('tessera_inputs_stale_total', "Inputs ignored: a seq not above the client's last accepted one", (h) => h.statistics.inputsStale);
    counter('tessera_inputs_ahead_total', 'Inputs refused with INPUT_AHEAD: meant for a tick beyond maxInputLead', (h) => h.statistics.inputsAhead);
    counter(
      'tessera_inputs_queue_full_total',
      "Inputs refused with INPUT_AHEAD: maxPendingInputs of the client's inputs already waited for their ticks",
      (h) => h.statistics.inputsQueueFull,
    );
    counter('tessera_lag_raycasts_total', 'Lag-compensated raycasts answered', (h) => h.statistics.lagRaycasts);
    counter('tessera_lag_out_of_window_total', 'Lag-compensated raycasts refused: tick outside the lagTicks window', (h) => h.statistics.lagOutOfWindow);
    gauge('tessera_lag_history_bytes', 'Bytes of body poses kept for lag compensation (bounded by lagTicks)', (h, g) =>
      g.set(h.statistics.lagHistoryBytes ?? 0),
    );
    counter('tessera_handoffs_total', 'Bodies handed from one shard to another', (h) => h.world.sim.world.handoffs);
    const overflowSeen = new Map<string, number>();
    const overflow = new Counter({
      name: 'tessera_physics_overflow_ticks_total',
      help: 'Ticks on which a physics shard ran out of a fixed capacity and dropped something, by kind: contacts (candidate pairs or contacts; raise contactsPerBody), touch, events, scratch (ShardedWorld.overflowTicks)',
      labelNames: ['kind'],
      registers: [r],
      collect() {
        for (const [kind, n] of Object.entries(hostOf()?.world.sim.world.overflowTicks ?? {})) {
          const d = n - (overflowSeen.get(kind) ?? 0);
          if (d > 0) this.inc({ kind }, d);
          overflowSeen.set(kind, n);
        }
      },
    });
    for (const kind of OVERFLOW_KINDS) overflow.inc({ kind }, 0); // each kind shows, at 0 until it happens
    counter(
      'tessera_interest_joints_left_out_total',
      "Client views that held more joints than the interest's maxJoints and were cut to it (the joints with the lowest indices are sent)",
      (h) => h.world.interest.jointsLeftOut,
    );
    counter('tessera_interest_budget_messages_total', 'State messages made under a byte budget per client', (h) => h.world.interest.budgetMessages);
    counter('tessera_interest_budget_bytes_total', 'Sum of the budgets of those messages, bytes', (h) => h.world.interest.budgetBytes);
    counter('tessera_interest_budget_sent_bytes_total', 'Encoded bytes of the budgeted state messages sent', (h) => h.world.interest.budgetBytesSent);
    counter(
      'tessera_interest_budget_deferred_total',
      'Changed bodies, removals and joint changes a budget left for a later tick',
      (h) => h.world.interest.budgetDeferred,
    );
    counter(
      'tessera_interest_budget_near_deferred_total',
      'Of those, bodies within 1 cell (nearCells) of the view centre: the budget did not hold the near view',
      (h) => h.world.interest.budgetNearDeferred,
    );
    counter(
      'tessera_interest_budget_own_total',
      'Budgeted state messages made for one client (not shared with others of its view: the budget cut them)',
      (h) => h.world.interest.budgetOwn,
    );
    // the host's bounds (src/net/admission.ts) and faults (a throw caught in a handler or tick)
    counter(
      'tessera_faults_total',
      'Throws caught in a request handler, WebSocket handler or tick (answered 500 / 1011, or the tick skipped)',
      (h) => h.statistics.faults,
    );
    counter('tessera_joins_refused_total', 'Joins refused by admission control (maxJoinsPerSecond, 503 BUSY)', (h) => h.statistics.joinsRefused);
    counter('tessera_streams_refused_total', 'Stream creations refused (maxStreams, maxStreamsPerPrincipal)', (h) => h.statistics.streamsRefused);
    counter('tessera_streams_forgotten_total', 'Idle side streams forgotten', (h) => h.statistics.streamsForgotten);
    counter('tessera_clients_forgotten_total', 'Departed clients dropped from stream tables', (h) => h.statistics.clientsForgotten);
    gauge('tessera_streams', 'Streams on the host, the world included (bounded by maxStreams)', (h, g) => g.set(h.statistics.streams ?? 0));
    gauge('tessera_stream_clients', "Clients in every stream's table, connected or departed (as of the last sweep)", (h, g) =>
      g.set(h.statistics.streamClients ?? 0),
    );
    gauge('tessera_side_log_events', 'Events kept in side-stream logs (as of the last sweep; bounded by streamRetainTicks)', (h, g) =>
      g.set(h.statistics.sideLogEvents ?? 0),
    );
    gauge('tessera_guest_sessions', 'JSON endpoint guest sessions alive (bounded by maxGuestSessions)', (h, g) => g.set(h.statistics.guestSessions ?? 0));
    counter(
      'tessera_shard_recoveries_total',
      'Ticks re-run after a shard worker died, hung past the step timeout, or a shard trapped',
      (h) => h.world.sim.world.recoveries,
    );
    const self = this;
    const seenSecurity = new Map<string, number>();
    new Counter({
      name: 'tessera_security_events_total',
      help: 'Security events by kind (failed logins, limiter refusals, kicks, bans, malformed and slow-consumer closes), logged or suppressed by sampling',
      labelNames: ['kind'],
      registers: [r],
      collect() {
        for (const [kind, c] of Object.entries(self.security?.counts() ?? {})) {
          const d = c.total - (seenSecurity.get(kind) ?? 0);
          if (d > 0) {
            this.inc({ kind }, d);
            seenSecurity.set(kind, c.total);
          }
        }
      },
    });
    new Gauge({
      name: 'tessera_auth_limit_buckets',
      help: 'Token buckets held by each login/registration limit (bounded by authMaxBuckets)',
      labelNames: ['limit'],
      registers: [r],
      collect() {
        for (const [limit, n] of Object.entries(self.accounts?.limiterSizes() ?? {})) this.set({ limit }, n);
      },
    });
    gauge(
      'tessera_shard_bodies',
      'Bodies a shard has authority over',
      (h, g) =>
        h.world.sim.world.counts().forEach((c, k) => {
          g.set({ shard: String(k) }, c.owned);
        }),
      ['shard'],
    );
    gauge(
      'tessera_shard_ghosts',
      'Ghost copies a shard simulates near its borders',
      (h, g) =>
        h.world.sim.world.counts().forEach((c, k) => {
          g.set({ shard: String(k) }, c.ghosts);
        }),
      ['shard'],
    );
  }

  /** Starts reading figures from `host`, and optionally its security log and account service. */
  attach(host: Host, extra: { security?: SecurityLog; accounts?: AccountService } = {}): void {
    this.host = host;
    this.security = extra.security ?? null;
    this.accounts = extra.accounts ?? null;
  }

  /** Records one tick (Host option onTick). */
  observe(r: TickFigures): void {
    this.tick.observe(r.ms / 1000);
    this.step.observe(r.stepMs / 1000);
    const c = this.shardChildren;
    for (let k = 0; k < r.shardStepMs.length; k++) (c[k] ??= this.shardStep.labels(String(k))).observe(r.shardStepMs[k] / 1000);
    for (let k = 0; k < this.phases.length; k++) this.phases[k].observe(r.tickPhaseMs[k] / 1000);
  }

  /** The exposition text and its content type. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
