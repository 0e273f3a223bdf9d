/**
 * A cluster without a network: shard processes as objects in this process (ShardHost, each
 * with its own copy of the world in its own memory), and every message as encoded bytes handed
 * over in memory, in the order NATS would deliver them. It is a ShardRunner: attached to a
 * sharded world (ShardedWorld.attachRunner), that world's shards are stepped by the copies.
 * Tests use it to check that the cluster's messages carry everything a shard reads, apart
 * from any transport; the NATS runner (coordinator.ts) moves the same bytes.
 */
import type { ShardedWorld, Partition, ShardRunner } from '../physics/sharded';
import type { WorldConfig } from '../physics/world';
import { ShardHost } from './shard-host';
import { TickCoordinator, memoryAccess } from './tick-coordinator';
import { decodeCluster, encodeTick } from './messages';

/** Figures of the in-memory cluster (bytes are encoded message sizes). */
export interface LocalClusterStats {
  ticks: number;
  orderBytes: number;
  resultBytes: number;
}

/** In-memory shard processes stepping a sharded world's regions (see the module comment). */
export class LocalCluster implements ShardRunner {
  readonly coordinator: TickCoordinator;
  /** The processes by name ('p0', 'p1', ...). */
  readonly hosts = new Map<string, ShardHost>();
  readonly stats: LocalClusterStats = { ticks: 0, orderBytes: 0, resultBytes: 0 };
  private epoch = 1n;

  /**
   * Copies `world` (ShardedWorld.save) into one process per entry of `groups` (the regions it
   * runs; every region in exactly one group) and attaches itself as the world's runner.
   * Throws RangeError for groups that do not partition the regions.
   */
  constructor(
    readonly world: ShardedWorld,
    config: WorldConfig,
    partition: Partition,
    groups: number[][],
  ) {
    const K = world.shardCount;
    const hosts = new Array<string>(K).fill('');
    groups.forEach((g, p) => {
      for (const k of g) {
        if (!(k >= 0 && k < K) || hosts[k]) throw new RangeError(`region ${k} is not in exactly one group`);
        hosts[k] = `p${p}`;
      }
    });
    if (hosts.some((h) => !h)) throw new RangeError('every region needs a group');
    const save = world.save();
    groups.forEach((_, p) => {
      this.hosts.set(`p${p}`, ShardHost.fromSave(config, partition, save, world.range));
    });
    const acc = world.clusterAccess();
    this.coordinator = new TickCoordinator(memoryAccess(acc.memory, acc.plan), { hosts, epochs: hosts.map(() => this.epoch) });
    world.attachRunner(this);
  }

  /** Adds a process with a fresh copy of the world as it is now (a standby, or a replacement). */
  addHost(name: string, config: WorldConfig, partition: Partition): ShardHost {
    const h = ShardHost.fromSave(config, partition, this.world.save(), this.world.range);
    this.hosts.set(name, h);
    return h;
  }

  /** Moves region k to process `to` (a new epoch; it rebuilds the region from the board at its next tick). */
  move(k: number, to: string): void {
    this.epoch++;
    this.coordinator.move(k, to, this.epoch);
  }

  /** Removes a process as if it died: its regions must be moved before the next step. */
  kill(name: string): void {
    this.hosts.delete(name);
  }

  runTick(t: number, staged: readonly number[]): void {
    const c = this.coordinator;
    const bytes = encodeTick(c.order(t, staged));
    this.stats.orderBytes += bytes.byteLength * this.hosts.size;
    const out: Array<{ from: string; bytes: Uint8Array }> = [];
    for (const [name, h] of this.hosts) {
      const m = decodeCluster(bytes);
      if (m.kind !== 'tick') throw new Error('not an order');
      for (const r of h.run(m.order, name)) out.push({ from: name, bytes: r });
    }
    for (const r of out) {
      this.stats.resultBytes += r.bytes.byteLength;
      c.accept(r.bytes, r.from);
      for (const [name, h] of this.hosts) if (name !== r.from) h.acceptResult(r.bytes);
    }
    c.commit();
    this.stats.ticks++;
  }
}
