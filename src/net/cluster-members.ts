/**
 * The shard processes' heartbeats as `tessera serve` shows them: a watch of the cluster world's
 * members bucket (src/cluster/subjects.ts: key proc.<id>, a ShardMember JSON every 250 ms), on a
 * NATS connection of its own, read only. It gives each live process's host, pid, standby flag,
 * last tick, last step time and the age of its last heartbeat, for /stats and /metrics
 * (cluster-metrics.ts). A record is trusted no further than for display: a malformed one is
 * skipped, and one not heard from for `forgetMs` is dropped.
 */
import { COORDINATOR_ID, clusterConnectOptions } from '../cluster/auth';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { names, type ShardMember } from '../cluster/subjects';

/** A shard process as last heard. */
export interface MemberFigures {
  id: string;
  host: string;
  pid: number;
  standby: boolean;
  /** The next tick its copy runs (-1: no copy yet). */
  tick: number;
  /** Its last step of all its regions, ms. */
  stepMs: number;
  /** Since its last heartbeat, ms. */
  heartbeatAgeMs: number;
}

/** Watches the members bucket of a cluster world. */
export class MemberWatch {
  private readonly seen = new Map<string, { m: ShardMember; at: number }>();
  private stopWatch: (() => void) | null = null;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly forgetMs: number,
  ) {}

  /**
   * Connects to `nats` (as the coordinator's user when `nkeyFile` is given: src/cluster/auth.ts)
   * and watches world `world`'s members. Throws RangeError for a bad world id, NATS errors when
   * it cannot connect.
   */
  static async start(nats: string, world: string, forgetMs = 10_000, nkeyFile?: string): Promise<MemberWatch> {
    const n = names(world);
    const nc = await connect(clusterConnectOptions({ nats, name: `tessera-serve-members-${world}`, id: COORDINATOR_ID, nkeyFile }));
    const w = new MemberWatch(nc, forgetMs);
    try {
      const kv = await new Kvm(nc).create(n.members, { history: 1, ttl: 10_000 });
      const it = await kv.watch({ key: 'proc.>' });
      w.stopWatch = () => it.stop();
      void (async () => {
        for await (const e of it) {
          if (e.operation !== 'PUT') continue;
          try {
            const m = JSON.parse(new TextDecoder().decode(e.value)) as ShardMember;
            if (typeof m.id === 'string' && `proc.${m.id}` === e.key) w.seen.set(m.id, { m, at: Date.now() });
          } catch {
            /* not a member record: skipped */
          }
        }
      })().catch(() => undefined);
    } catch (e) {
      await nc.close();
      throw e;
    }
    return w;
  }

  /** The processes heard from within `forgetMs`, by id. */
  list(now = Date.now()): MemberFigures[] {
    const out: MemberFigures[] = [];
    for (const [id, { m, at }] of this.seen) {
      if (now - at > this.forgetMs) continue;
      const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
      out.push({
        id,
        host: String(m.host ?? ''),
        pid: num(m.pid),
        standby: m.standby === true,
        tick: num(m.tick),
        stepMs: num(m.stepMs),
        heartbeatAgeMs: now - at,
      });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async close(): Promise<void> {
    this.stopWatch?.();
    await this.nc.close().catch(() => undefined);
  }
}
