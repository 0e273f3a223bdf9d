/**
 * The heart of a shard process (`tessera shard`): its own copy of the sharded world, restored
 * from the coordinator's save, in which it steps the regions assigned to it, and into which it
 * applies every other region's write set (src/cluster/write-set.ts), so that what its shards
 * read is what a shard of the in-process world reads. No transport here: shard-process.ts
 * feeds it NATS messages, local-cluster.ts in-memory bytes.
 *
 * Per tick order t (src/cluster/messages.ts TickOrder), fresh:
 * ```
 *   1. apply the committed write sets of tick t - 1 (order.digests) of the regions this copy
 *      did not step itself with the committed result  -> board t complete where shards read
 *   2. statics added since the last order, then the overlay (commands of tick t)
 *   3. openTick for the hosted regions (sharded.ts), rebuild a region marked full, run shardTick
 *   4. read each hosted region's write set and encode it as its Result (tick, region, epoch)
 * ```
 * An order for the tick just run (a re-issue after a fault elsewhere) runs the hosted regions
 * that have no result of that tick under the current epoch (regions moved here) and resends the
 * retained results of the others (same bytes). Nothing of tick t + 1 has been applied yet then
 * (the coordinator commits t first), so the front board is still state t.
 */
import { ShardedWorld, openTick, type ClusterAccess, type Partition } from '../physics/sharded';
import type { WorldConfig } from '../physics/world';
import { BODY_RECORD_BYTES, BOARD, BOARD_HEADER_SLOTS, SHARD_CFG as SC, SHARD_CFG_SLOTS } from '../physics/world-layout';
import { applyWriteSet, checkWriteSet, readWriteSet, type WriteSet } from './write-set';
import { ClusterError } from './errors';
import { memoryAccess, type CoordinatorAccess } from './tick-coordinator';
import { decodeCluster, digestOf, encodeResult, type TickOrder } from './messages';

interface Ran {
  tick: number;
  epoch: bigint;
  digest: bigint;
  bytes: Uint8Array;
}

/** One shard process's copy of the world (see the module comment). */
export class ShardHost {
  private readonly acc: ClusterAccess;
  private readonly mem: CoordinatorAccess;
  /** The next tick to run fresh. */
  private next: number;
  /** The first tick this copy ran (the tick of the save it was restored from). */
  readonly since: number;
  private despawnedLast: number[] = [];
  private lastOpen: { tick: number; staged: number[]; despawnedLast: number[] } | null = null;
  private readonly staticSlots = new Set<number>();
  /** Results received from other processes, by tick, then digest. */
  private readonly received = new Map<number, Map<bigint, WriteSet>>();
  /** What this copy last ran, per region. */
  private readonly ran = new Map<number, Ran>();
  /** Write sets applied from other processes, and records in them (for the operator's figures). */
  applied = 0;
  appliedBytes = 0;

  private constructor(readonly world: ShardedWorld) {
    this.acc = world.clusterAccess();
    this.mem = memoryAccess(this.acc.memory, this.acc.plan);
    this.next = world.tick;
    this.since = world.tick;
    for (const s of this.mem.statics()) this.staticSlots.add(s);
  }

  /**
   * A copy of the world from a ShardedWorld.save() of the coordinator (same configuration and
   * partition, exchange 'tick'; `range` as the coordinator's). Throws PhysicsError BAD_HEADER
   * for bytes that are not such a save.
   */
  static fromSave(config: WorldConfig, partition: Partition, bytes: Uint8Array, range?: number): ShardHost {
    const w = ShardedWorld.restore(config, partition, bytes, { exchange: 'tick', skipSettled: false, inlineSettled: false });
    if (range !== undefined && Math.abs(w.range - range) > 1e-9)
      throw new RangeError(`interaction range ${range} m differs from the restored world's ${w.range} m`);
    return new ShardHost(w);
  }

  /** The next tick this copy will run fresh. */
  get tick(): number {
    return this.next;
  }

  /**
   * Keeps another process's Result (encoded bytes, joined) for the order that commits it.
   * Throws ProtocolError for bytes that are not a Result.
   */
  acceptResult(bytes: Uint8Array): void {
    const m = decodeCluster(bytes);
    if (m.kind !== 'result') throw new ClusterError('BAD_VALUE', `expected a Result, got ${m.kind}`);
    // only the tick just run (its Results arrive while the next order waits) and the one being
    // run: anything else is stale or not yet due, and keeping it would let a sender grow this
    if (m.writes.tick + 1 < this.next || m.writes.tick > this.next)
      throw new ClusterError('WRONG_TICK', `result of tick ${m.writes.tick}, this copy runs ${this.next}`);
    let byDigest = this.received.get(m.writes.tick);
    if (!byDigest) {
      byDigest = new Map();
      this.received.set(m.writes.tick, byDigest);
    }
    byDigest.set(digestOf(bytes), m.writes);
  }

  /** Regions whose committed Result of order.tick - 1 this copy still lacks (empty: the order can run). */
  missing(order: TickOrder): number[] {
    if (order.tick !== this.next || order.tick - 1 < this.since) return [];
    const out: number[] = [];
    order.digests.forEach((d, k) => {
      if (d === 0n) return;
      const mine = this.ran.get(k);
      if (mine && mine.tick === order.tick - 1 && mine.digest === d) return;
      if (!this.received.get(order.tick - 1)?.has(d)) out.push(k);
    });
    return out;
  }

  /** The Result this copy computed for region k at `tick` (kept until it runs k again), or null. */
  retained(k: number, tick: number): { epoch: bigint; bytes: Uint8Array } | null {
    const r = this.ran.get(k);
    return r && r.tick === tick ? { epoch: r.epoch, bytes: r.bytes } : null;
  }

  /** Regions `me` runs in an order. */
  static hosted(order: TickOrder, me: string): number[] {
    return order.hosts.flatMap((h, k) => (h === me ? [k] : []));
  }

  /**
   * Runs a tick order for the regions hosted by `me` and returns their encoded Results (in
   * region order). Throws ClusterError MISSING_RESULT (call missing() first), BEHIND (an order
   * past the next tick: this copy needs a new save), BAD_VALUE (an order that does not fit the
   * world); WriteSetError for a committed result that does not fit; PhysicsError from the core.
   * An order older than the last tick run returns [].
   */
  run(order: TickOrder, me: string): Uint8Array[] {
    const plan = this.acc.plan;
    if (order.hosts.length !== plan.shards) throw new ClusterError('BAD_VALUE', `order for ${order.hosts.length} regions, the world has ${plan.shards}`);
    const n = order.overlaySlots.length;
    if (order.overlayOwners.length !== n || order.overlayRecords.byteLength !== n * BODY_RECORD_BYTES)
      throw new ClusterError('BAD_VALUE', 'overlay arrays differ in length');
    if (order.staticRecords.byteLength !== order.staticSlots.length * BODY_RECORD_BYTES) throw new ClusterError('BAD_VALUE', 'static arrays differ in length');
    if (order.highWater > plan.capacity) throw new ClusterError('BAD_VALUE', `high water ${order.highWater} beyond the capacity ${plan.capacity}`);
    for (let i = 0; i < n; i++) {
      if (!(order.overlaySlots[i] >= 0 && order.overlaySlots[i] < order.highWater))
        throw new ClusterError('BAD_VALUE', `overlay slot ${order.overlaySlots[i]} beyond the high water`);
      if (!(order.overlayOwners[i] >= -1 && order.overlayOwners[i] < plan.shards))
        throw new ClusterError('BAD_VALUE', `overlay owner ${order.overlayOwners[i]}`);
    }
    for (const s of order.staticSlots) if (!(s >= 0 && s < order.highWater)) throw new ClusterError('BAD_VALUE', `static slot ${s} beyond the high water`);
    if (order.tick > this.next) throw new ClusterError('BEHIND', `order for tick ${order.tick}, this copy is at ${this.next}`);
    if (order.tick < this.next - 1 || (order.tick === this.next - 1 && this.lastOpen?.tick !== order.tick)) return [];
    const t = order.tick;
    const hosted = ShardHost.hosted(order, me);
    if (t === this.next) {
      const miss = this.missing(order);
      if (miss.length) throw new ClusterError('MISSING_RESULT', `no committed result of tick ${t - 1} for regions ${miss.join(', ')}`);
      if (t - 1 >= this.since) {
        // every committed write set is checked before any is applied: a bad one changes nothing
        const due: WriteSet[] = [];
        order.digests.forEach((d, k) => {
          if (d === 0n) return;
          const mine = this.ran.get(k);
          if (mine && mine.tick === t - 1 && mine.digest === d) return;
          due.push(this.received.get(t - 1)?.get(d) as WriteSet);
        });
        for (const ws of due) checkWriteSet(this.acc.memory.buffer, plan, ws, Number(order.highWater));
        for (const ws of due) {
          applyWriteSet(this.acc.memory.buffer, plan, ws, false);
          this.applied++;
          this.appliedBytes += ws.records.byteLength;
        }
      }
      for (const tk of this.received.keys()) if (tk < t) this.received.delete(tk);
      this.putStatics(order);
      this.putOverlay(order);
      const staged = [...order.overlaySlots];
      this.lastOpen = { tick: t, staged, despawnedLast: this.despawnedLast };
      this.despawnedLast = openTick(this.acc.memory, plan, plan.cfgs, t, BigInt(order.highWater), staged, this.despawnedLast);
      this.next = t + 1;
      return this.runRegions(order, hosted, new Set());
    }
    // a re-issue of the tick just run: regions moved here run it, the others resend
    const open = this.lastOpen as NonNullable<ShardHost['lastOpen']>;
    this.putStatics(order);
    openTick(this.acc.memory, plan, plan.cfgs, t, BigInt(order.highWater), open.staged, open.despawnedLast);
    const done = new Set(hosted.filter((k) => this.ran.get(k)?.tick === t && this.ran.get(k)?.epoch === order.epochs[k]));
    return this.runRegions(order, hosted, done);
  }

  private runRegions(order: TickOrder, hosted: number[], done: Set<number>): Uint8Array[] {
    const plan = this.acc.plan,
      t = order.tick;
    const out: Uint8Array[] = [];
    for (const k of hosted) {
      if (done.has(k)) {
        out.push((this.ran.get(k) as Ran).bytes);
        continue;
      }
      const cfg = new BigInt64Array(this.acc.memory.buffer, plan.cfgs[k], SHARD_CFG_SLOTS);
      if (order.full[k]) this.acc.resetShard(k);
      this.acc.runShard(k);
      const bytes = encodeResult(readWriteSet(this.acc.memory.buffer, plan, k, t), order.epochs[k]);
      cfg[SC.FULL_PUBLISH] = 0n; // once
      this.ran.set(k, { tick: t, epoch: order.epochs[k], digest: digestOf(bytes), bytes });
      out.push(bytes);
    }
    const bh = new BigInt64Array(this.acc.memory.buffer, plan.boards[(t + 1) % 2], BOARD_HEADER_SLOTS);
    bh[BOARD.TICK] = BigInt(t + 1);
    return out;
  }

  private putStatics(order: TickOrder): void {
    order.staticSlots.forEach((s, i) => {
      if (this.staticSlots.has(s)) return;
      this.acc.putStatic(s, order.staticRecords.subarray(i * BODY_RECORD_BYTES, (i + 1) * BODY_RECORD_BYTES));
      this.staticSlots.add(s);
    });
  }

  private putOverlay(order: TickOrder): void {
    const plan = this.acc.plan,
      buf = this.acc.memory.buffer,
      cap = plan.capacity;
    const R = plan.layout.regions;
    const stamp = new Int32Array(buf, R.overlayTick.offset, cap),
      owner = new Int32Array(buf, R.overlayOwner.offset, cap);
    const all = new Uint8Array(buf);
    order.overlaySlots.forEach((s, i) => {
      all.set(order.overlayRecords.subarray(i * BODY_RECORD_BYTES, (i + 1) * BODY_RECORD_BYTES), this.mem.overlayRecAt(s));
      owner[s] = order.overlayOwners[i];
      stamp[s] = order.tick + 1;
    });
  }
}
