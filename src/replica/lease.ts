/**
 * The leader lease of a replicated world (issue 19): one key, `leader`, in the JetStream
 * key-value bucket `TESSERA_LEASE_<world>`, whose bucket-wide TTL is the lease (nats-server 2.9
 * has no per-key TTL). Taking the lease is `create` (it fails while the key exists: someone holds
 * it); renewing is `update` with the revision last written (compare-and-set: it fails once the
 * key expired and someone else created it, or was deleted); a holder that stops renewing loses
 * the key after the TTL and anyone may create it again. Nothing here is home-made consensus:
 * JetStream's stream leader orders the writes, and the world log's appends are fenced on their
 * own (jetstream-log.ts: expected last sequence), so a holder that lost the lease without
 * noticing still cannot append.
 *
 * Holders renew every `ttlMs / 4`; candidates look every `ttlMs / 5`. Takeover after a leader
 * dies: at most the TTL plus a look (plus nats-server's expiry timer).
 */
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { logNames } from './jetstream-log';

/** The lease record: who holds it and since when (ms since the epoch, informative). */
export interface LeaseHolder {
  id: string;
  sinceMs: number;
}

/** Settings of a lease. */
export interface LeaseOptions {
  world: string;
  /** This node's id (unique among the world's servers). */
  id: string;
  /** Lease length, ms: the bucket's TTL. Default 1,000. Every node of a world must use the same (the bucket is created once). */
  ttlMs?: number;
  /** Called once this node holds the lease (after acquire or a candidate's take-over). */
  onAcquired?: () => void;
  /** Called once this node lost the lease (a renewal refused): it must stop acting as leader. */
  onLost?: (reason: string) => void;
}

/** Bucket name of a world's lease. */
export function leaseBucket(world: string): string {
  logNames(world); // checks the world id
  return `TESSERA_LEASE_${world}`;
}

/** A node's view of the leader lease: try to take it, keep it, notice losing it. */
export class LeaderLease {
  private revision = 0;
  private held = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The renewal in flight, if any (stop waits for it before releasing). */
  private renewing: Promise<void> | null = null;
  readonly ttlMs: number;

  private constructor(
    private readonly kv: KV,
    private readonly opts: LeaseOptions,
  ) {
    this.ttlMs = opts.ttlMs ?? 1_000;
  }

  /** Opens (creating if needed) the world's lease bucket. Throws RangeError for a bad world id or TTL. */
  static async open(nc: NatsConnection, opts: LeaseOptions): Promise<LeaderLease> {
    const ttl = opts.ttlMs ?? 1_000;
    if (!(Number.isInteger(ttl) && ttl >= 100)) throw new RangeError(`lease ttlMs must be an integer >= 100, got ${ttl}`);
    const kv = await new Kvm(nc).create(leaseBucket(opts.world), { history: 1, ttl });
    return new LeaderLease(kv, opts);
  }

  /** Whether this node holds the lease (as of its last renewal). */
  isLeader(): boolean {
    return this.held;
  }

  /** The current holder, or null when nobody holds the lease. */
  async holder(): Promise<LeaseHolder | null> {
    const e = await this.kv.get('leader');
    if (e?.operation !== 'PUT' || e.length === 0) return null;
    try {
      return JSON.parse(e.string()) as LeaseHolder;
    } catch {
      return null;
    }
  }

  /** Tries to take the lease once; true when this node now holds it (then it renews on its own until stop()). */
  async tryAcquire(): Promise<boolean> {
    if (this.held) return true;
    try {
      this.revision = await this.kv.create('leader', JSON.stringify({ id: this.opts.id, sinceMs: Date.now() } satisfies LeaseHolder));
    } catch {
      return false; // held by someone (create refuses an existing key)
    }
    this.held = true;
    this.opts.onAcquired?.();
    this.schedule(Math.floor(this.ttlMs / 4), () => this.renewOnce());
    return true;
  }

  private renewOnce(): Promise<void> {
    this.renewing = this.renew().finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  /**
   * Renews now and resolves whether this node still holds the lease (false: it was lost, and
   * onLost was called). A writer calls it before appending again after a failed append: the
   * compare-and-set on its own revision succeeds only if nobody took the lease since its last
   * renewal, so nobody else can have appended meanwhile (replicated-store.ts).
   */
  async confirm(): Promise<boolean> {
    await this.renewing;
    if (!this.held || this.stopped) return false;
    await this.renewOnce();
    return this.held;
  }

  /** Looks every ttl/5 and takes the lease as soon as it is free; resolves once held (or stop()). */
  campaign(): Promise<boolean> {
    return new Promise((resolve) => {
      const look = async (): Promise<void> => {
        if (this.stopped) return resolve(false);
        if (await this.tryAcquire().catch(() => false)) return resolve(true);
        this.schedule(Math.floor(this.ttlMs / 5), look);
      };
      void look();
    });
  }

  private async renew(): Promise<void> {
    if (!this.held || this.stopped) return;
    try {
      this.revision = await this.kv.update('leader', JSON.stringify({ id: this.opts.id, sinceMs: Date.now() } satisfies LeaseHolder), this.revision);
      this.schedule(Math.floor(this.ttlMs / 4), () => this.renewOnce());
    } catch (e) {
      this.lose(`renewal refused: ${(e as Error).message}`);
    }
  }

  private lose(reason: string): void {
    if (!this.held) return;
    this.held = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.opts.onLost?.(reason);
  }

  private schedule(ms: number, f: () => Promise<void>): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void f(), ms);
  }

  /**
   * Stops renewing and looking. With `release`, a holder deletes the key so a candidate takes
   * over at once instead of after the TTL (a graceful hand-over).
   */
  async stop(release = false): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.renewing; // its revision is the one to release
    if (release && this.held) await this.kv.delete('leader', { previousSeq: this.revision }).catch(() => undefined);
    this.held = false;
  }
}
