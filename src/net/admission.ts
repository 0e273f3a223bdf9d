/**
 * Bounded state of a host's streams and admission control. Every table that a client can make
 * grow has a limit here, a setting (HostOptions) and a figure (HostStats):
 *
 *   joins            at most maxJoinsPerSecond WebSocket upgrades and JSON joins per second
 *                    (token bucket on the host clock): excess answered 503 BUSY + Retry-After
 *                    before any per-client memory is spent
 *   streams          at most maxStreams per host, and maxStreamsPerPrincipal created and still
 *                    alive per principal (guests share one budget): excess answered FULL
 *   idle streams     a side stream with no connected client for idleStreamMs is forgotten (log,
 *                    seed, client table). Not persisted: a client that comes back finds a new
 *                    stream, started at the world's current tick, and receives '_a' again
 *                    (catch-up.ts answers its old lastKnownTick with a reset)
 *   client tables    clients that left and were not heard from for forgetClientsMs are dropped
 *                    from every stream's table (EventStream.forgetDeparted)
 *   side-stream log  the newest streamRetainTicks ticks are kept (EventStream.dropBefore)
 *
 * Sweeps run at most once per second of the host clock, from the tick.
 */
import { ERROR, type ErrorCode } from '../protocol/errors';
import type { EventStream } from '../sim/stream';
import type { HostContext } from './context';
import type { Principal } from './options';

/** The share of stream creation a principal counts against: its account, its name, or 'guest' for every guest. */
export function principalKey(p: Principal): string {
  if (p.guest) return 'guest';
  return p.accountId !== undefined ? `a${p.accountId}` : `u${p.account}`;
}

/** Figures of the bounds (part of HostStats). */
export interface AdmissionFigures {
  /** Joins refused by maxJoinsPerSecond. */
  joinsRefused: number;
  /** Stream creations refused by maxStreams / maxStreamsPerPrincipal. */
  streamsRefused: number;
  /** Idle streams forgotten. */
  streamsForgotten: number;
  /** Departed clients forgotten from stream tables. */
  clientsForgotten: number;
  /** Clients in every stream's table, as of the last sweep. */
  streamClients: number;
  /** Events retained in side-stream logs, as of the last sweep. */
  sideLogEvents: number;
}

/** Streams' limits and the join bucket of one host. */
export class Admission {
  readonly figures: AdmissionFigures = { joinsRefused: 0, streamsRefused: 0, streamsForgotten: 0, clientsForgotten: 0, streamClients: 0, sideLogEvents: 0 };
  private tokens: number;
  private refilledMs: number;
  private lastSweep: number;
  /** Creator (principalKey) of each side stream, and live streams per creator. */
  private readonly creator = new Map<string, string>();
  private readonly created = new Map<string, number>();
  /** Clock ms when each side stream last had a connected client. */
  private readonly busyMs = new Map<string, number>();

  constructor(private readonly h: HostContext) {
    const now = h.o.clock();
    this.tokens = h.o.maxJoinsPerSecond;
    this.refilledMs = now;
    this.lastSweep = now;
  }

  /** Takes one join from the bucket; false (and counted) when there is none this second. */
  join(): boolean {
    const now = this.h.o.clock(),
      rate = this.h.o.maxJoinsPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledMs) * rate) / 1000);
    this.refilledMs = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.figures.joinsRefused++;
    return false;
  }

  /**
   * Why principal `p` may not create stream `name` now (FULL), or null when it may (or when the
   * stream exists). Creates nothing.
   */
  refusal(name: string, p: Principal): { code: ErrorCode; message: string } | null {
    if (this.h.hub.get(name)) return null;
    const o = this.h.o;
    if (this.h.hub.size >= o.maxStreams) {
      this.figures.streamsRefused++;
      return { code: ERROR.FULL, message: `this host keeps at most ${o.maxStreams} streams` };
    }
    const key = principalKey(p);
    if ((this.created.get(key) ?? 0) >= o.maxStreamsPerPrincipal) {
      this.figures.streamsRefused++;
      return { code: ERROR.FULL, message: `at most ${o.maxStreamsPerPrincipal} streams per ${p.guest ? 'guests together' : 'account'}` };
    }
    return null;
  }

  /** The stream `name`, created for `p` when new (at the world's tick, see the module comment); check `refusal` first. */
  stream(name: string, p: Principal): EventStream {
    const hub = this.h.hub;
    const had = hub.get(name);
    if (had) return had;
    const s = hub.stream(name, { startTick: this.h.world.stream.tick });
    const key = principalKey(p);
    this.creator.set(name, key);
    this.created.set(key, (this.created.get(key) ?? 0) + 1);
    this.busyMs.set(name, this.h.o.clock());
    return s;
  }

  /**
   * Forgets idle side streams and departed clients, trims side-stream logs; at most once per
   * second of the host clock. `attached`: streams a WebSocket session is on (never forgotten).
   */
  sweep(attached: ReadonlySet<EventStream>): void {
    const o = this.h.o,
      hub = this.h.hub,
      now = o.clock();
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    let clients = 0,
      events = 0;
    for (const name of hub.list()) {
      const st = hub.get(name) as EventStream;
      this.figures.clientsForgotten += st.forgetDeparted(now - o.forgetClientsMs);
      if (st === this.h.world.stream) {
        clients += st.clientCount;
        continue;
      }
      if (attached.has(st) || st.connectedCount() > 0) this.busyMs.set(name, now);
      else if (now - (this.busyMs.get(name) ?? now) >= o.idleStreamMs) {
        this.forget(name);
        continue;
      }
      if (st.tick - st.firstTick > o.streamRetainTicks) st.dropBefore(st.tick - o.streamRetainTicks);
      clients += st.clientCount;
      events += st.log().length;
    }
    this.figures.streamClients = clients;
    this.figures.sideLogEvents = events;
  }

  private forget(name: string): void {
    this.h.hub.delete(name);
    this.busyMs.delete(name);
    const key = this.creator.get(name);
    this.creator.delete(name);
    if (key !== undefined) {
      const n = (this.created.get(key) ?? 1) - 1;
      if (n > 0) this.created.set(key, n);
      else this.created.delete(key);
    }
    this.figures.streamsForgotten++;
  }
}
