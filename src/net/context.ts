/**
 * What the host's parts share (sessions, fan-out, HTTP endpoints): one HostContext per Host,
 * built by the Host. Parts receive it instead of the Host so each file sees only this surface.
 */
import type { StreamHub } from '../sim/stream';
import type { WorldLoop } from '../sim/world-loop';
import type { Fault } from './http';
import type { Admission } from './admission';
import type { GuestSessions } from './guest-sessions';
import type { HostCounters, HostStats, Principal, ResolvedOptions } from './options';
import type { TokenWatch } from './token-watch';
import type { Session } from './sessions';
import type { LagHistory } from './lag';

/** The host's shared state and services, as its parts see them. */
export interface HostContext {
  /** The options with their defaults. `tickRate` follows an admin's change. */
  readonly o: ResolvedOptions;
  readonly hub: StreamHub;
  readonly world: WorldLoop;
  /** Running counters (HostStats). */
  readonly counters: HostCounters;
  /** Account of each world-stream public id that joined with one (until its '_d'). */
  readonly accountOf: Map<number, number>;
  /** True once stop() began: no new sessions or requests are accepted. */
  readonly stopping: boolean;
  /** Token -> principal (accounts, the custom authenticator, or "guest"), or null. */
  authenticate(token: string): Principal | null;
  /** Re-evaluates the temporary-admin rule (Host.reevaluateTempAdmin). */
  reevaluateTempAdmin(): void;
  /** Current figures. */
  figures(): HostStats;
  /** Stream limits, idle streams, join admission (admission.ts). */
  readonly admission: Admission;
  /** JSON endpoint guest sessions (guest-sessions.ts). */
  readonly guestSessions: GuestSessions;
  /** Tokens held by open WebSocket sessions and JSON endpoint joins (token-watch.ts). */
  readonly tokens: TokenWatch<Session>;
  /**
   * Ends what holds `token` (revoked through this host): 'logout' closes its sockets and
   * disconnects its clients at once; 'refresh' closes its sockets only (a reconnect with the new
   * token within the silence timeout resumes the same public id). Returns the sockets closed.
   */
  revoked(token: string, why: 'logout' | 'refresh'): number;
  /** Logs a caught throw (HostOptions.onFault) and counts it (HostStats.faults). */
  fault: Fault;
  /** Body poses of the last lagTicks states, for lag-compensated raycasts (lag.ts). */
  readonly lag: LagHistory;
}
