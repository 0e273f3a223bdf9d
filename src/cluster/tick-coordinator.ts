/**
 * The coordinator's side of a cluster tick, without a transport: builds the tick order from
 * the coordinator's world (the overlay its applyCommands staged, statics added since the last
 * order, the assignment of regions to processes with their epochs, the digests of the Results
 * committed last tick), accepts each region's Result after checking it (tick, epoch, sender,
 * write set), and commits the tick by applying every write set to the coordinator's back
 * board, which is then the board the in-process world would hold (write-set.ts). The NATS
 * runner (coordinator.ts) and the in-memory one (local-cluster.ts) drive it.
 */
import type { ShardedPlan } from '../physics/shard-plan';
import { BODY_RECORD_BYTES, BOARD, BOARD_HEADER_SLOTS } from '../physics/world-layout';
import { ClusterError, refusalCode } from './errors';
import { decodeCluster, digestOf, type TickOrder } from './messages';
import { applyWriteSet, checkWriteSet, WriteSetError, type WriteSet } from './write-set';

/** How many committed ticks' Result digests the coordinator keeps to recognise late repeats (resends). */
const RECENT_TICKS = 8;

/** What the cluster reads of a sharded world's memory beside ClusterAccess: the statics list and overlay records. */
export interface CoordinatorAccess {
  readonly memory: WebAssembly.Memory;
  readonly plan: ShardedPlan;
  /** Statics added so far, in the order they were added (slots). */
  statics(): Int32Array;
  /** Address of the overlay record of a slot. */
  overlayRecAt(slot: number): number;
}

/** CoordinatorAccess from a sharded world's memory and plan alone (works on any thread that shares the memory). */
export function memoryAccess(memory: WebAssembly.Memory, plan: ShardedPlan): CoordinatorAccess {
  return {
    memory,
    plan,
    statics: () => {
      const list = new Int32Array(memory.buffer, plan.layout.regions.statics.offset, plan.capacity + 1);
      return list.slice(1, 1 + list[0]);
    },
    overlayRecAt: (slot) => plan.layout.regions.overlayRec.offset + slot * BODY_RECORD_BYTES,
  };
}

/** Which process runs each region, under which epoch (the assignment). */
export interface Assignment {
  hosts: string[];
  epochs: bigint[];
}

/** The coordinator's state of the cluster tick being stepped (see the module comment). */
export class TickCoordinator {
  private readonly acc: CoordinatorAccess;
  readonly hosts: string[];
  readonly epochs: bigint[];
  private full: boolean[];
  private digests: bigint[];
  private staticsSent = 0;
  private current: TickOrder | null = null;
  private readonly results = new Map<number, { ws: WriteSet; digest: bigint; bytes: Uint8Array }>();
  /** The committed Results of the last tick (region -> encoded bytes), kept to answer resend requests. */
  lastCommitted: { tick: number; bytes: Map<number, Uint8Array>; epochs: bigint[] } = { tick: -1, bytes: new Map(), epochs: [] };
  /** Results refused, by code (the operator's counter). */
  readonly rejected = new Map<string, number>();
  /** Results accepted and committed. */
  committedResults = 0;
  /** Digests of each region's committed Result, of the last RECENT_TICKS ticks: late repeats of them are not refusals. */
  private readonly recentDigests = new Map<number, bigint[]>();

  constructor(access: CoordinatorAccess, assignment: Assignment) {
    this.acc = access;
    const K = this.acc.plan.shards;
    if (assignment.hosts.length !== K || assignment.epochs.length !== K) throw new RangeError(`an assignment names every one of the ${K} regions`);
    this.hosts = [...assignment.hosts];
    this.epochs = [...assignment.epochs];
    this.full = new Array(K).fill(false);
    this.digests = new Array(K).fill(0n);
    this.staticsSent = this.acc.statics().length; // statics before the save travel in it
  }

  /** The order of tick t (call after openTick: the back board's header holds the high water). */
  order(t: number, staged: readonly number[]): TickOrder {
    if (this.current?.tick === t) return this.reissue();
    const plan = this.acc.plan,
      buf = this.acc.memory.buffer;
    const bh = new BigInt64Array(buf, plan.boards[(t + 1) % 2], BOARD_HEADER_SLOTS);
    const owner = new Int32Array(buf, plan.layout.regions.overlayOwner.offset, plan.capacity);
    const all = new Uint8Array(buf);
    const overlayRecords = new Uint8Array(staged.length * BODY_RECORD_BYTES);
    staged.forEach((s, i) => {
      const at = this.acc.overlayRecAt(s);
      overlayRecords.set(all.subarray(at, at + BODY_RECORD_BYTES), i * BODY_RECORD_BYTES);
    });
    const statics = this.acc.statics().slice(this.staticsSent);
    const board = new BigInt64Array(buf, plan.boards[t % 2], BOARD_HEADER_SLOTS);
    const staticRecords = new Uint8Array(statics.length * BODY_RECORD_BYTES);
    statics.forEach((s, i) => {
      const at = Number(board[BOARD.RECORDS]) + s * BODY_RECORD_BYTES;
      staticRecords.set(all.subarray(at, at + BODY_RECORD_BYTES), i * BODY_RECORD_BYTES);
    });
    this.staticsSent += statics.length;
    this.results.clear();
    this.current = {
      tick: t,
      highWater: Number(bh[BOARD.HIGH_WATER]),
      hosts: [...this.hosts],
      epochs: [...this.epochs],
      full: [...this.full],
      digests: [...this.digests],
      overlaySlots: Int32Array.from(staged),
      overlayOwners: Int32Array.from(staged, (s) => owner[s]),
      overlayRecords,
      staticSlots: statics,
      staticRecords,
    };
    return this.current;
  }

  /** The order being stepped, with the assignment as it is now (after move()). */
  reissue(): TickOrder {
    const o = this.current as TickOrder;
    this.current = { ...o, hosts: [...this.hosts], epochs: [...this.epochs], full: [...this.full] };
    return this.current;
  }

  /** Moves region k to process `host` under a new (higher) epoch: it rebuilds the region (full) and its result of this tick, if any, is dropped. */
  move(k: number, host: string, epoch: bigint): void {
    if (epoch <= this.epochs[k]) throw new RangeError(`epoch ${epoch} is not above ${this.epochs[k]}`);
    this.hosts[k] = host;
    this.epochs[k] = epoch;
    this.full[k] = true;
    this.results.delete(k);
  }

  private refuse(code: ClusterError['code'], message: string): never {
    this.rejected.set(code, (this.rejected.get(code) ?? 0) + 1);
    throw new ClusterError(code, message);
  }

  /**
   * Takes a Result (joined bytes) from process `sender`: returns its region, or null for a
   * repeat of one already taken or of the last committed tick (resends). Throws ClusterError (counted in `rejected`): BAD_MESSAGE,
   * BAD_VALUE, WRONG_TICK, STALE_EPOCH, NOT_OWNER; nothing is kept then.
   */
  accept(bytes: Uint8Array, sender: string): number | null {
    const o = this.current;
    let m: ReturnType<typeof decodeCluster>;
    try {
      m = decodeCluster(bytes);
    } catch (e) {
      const code = refusalCode(e);
      if (code) return this.refuse(code, (e as Error).message);
      throw e;
    }
    if (m.kind !== 'result') return this.refuse('BAD_VALUE', `expected a Result, got a ${m.kind}`);
    const ws = m.writes,
      k = ws.region;
    if (!(k >= 0 && k < this.hosts.length)) return this.refuse('BAD_VALUE', `region ${k}`);
    if (ws.tick === this.lastCommitted.tick) {
      // a resend of the committed tick (a process asked for it), unless it comes from an
      // epoch that was not committed: a process that lost the region (paused past its lease)
      if (m.epoch !== this.lastCommitted.epochs[k])
        return this.refuse('STALE_EPOCH', `region ${k}: tick ${ws.tick} was committed under epoch ${this.lastCommitted.epochs[k]}, not ${m.epoch}`);
      if (digestOf(bytes) !== this.digests[k]) return this.refuse('WRONG_TICK', `region ${k}: not the Result committed for tick ${ws.tick}`);
      return null;
    }
    // a late repeat of an older committed Result (a resend that crossed the commit): not a refusal
    const earlier = this.recentDigests.get(ws.tick);
    if (earlier && earlier[k] === digestOf(bytes)) return null;
    if (!o) return this.refuse('WRONG_TICK', `result of tick ${ws.tick}, no tick is being stepped`);
    if (ws.tick !== o.tick) return this.refuse('WRONG_TICK', `result of tick ${ws.tick}, stepping ${o.tick}`);
    if (m.epoch !== this.epochs[k]) return this.refuse('STALE_EPOCH', `region ${k}: epoch ${m.epoch}, current ${this.epochs[k]}`);
    if (sender !== this.hosts[k]) return this.refuse('NOT_OWNER', `region ${k} is not assigned to ${sender}`);
    if (ws.full !== this.full[k]) return this.refuse('BAD_VALUE', `region ${k}: full ${ws.full}, ordered ${this.full[k]}`);
    try {
      checkWriteSet(this.acc.memory.buffer, this.acc.plan, ws, o.highWater);
    } catch (e) {
      if (e instanceof WriteSetError) return this.refuse('BAD_VALUE', e.message);
      throw e;
    }
    if (this.results.has(k)) return null;
    this.results.set(k, { ws, digest: digestOf(bytes), bytes });
    return k;
  }

  /** Regions without an accepted Result of the tick being stepped. */
  pending(): number[] {
    return this.hosts.flatMap((_, k) => (this.results.has(k) ? [] : [k]));
  }

  /** Applies every region's write set to the coordinator's back board (all must be in: pending() empty). */
  commit(): void {
    if (this.pending().length) throw new RangeError(`regions ${this.pending().join(', ')} have no result`);
    for (const [k, r] of [...this.results].sort((a, b) => a[0] - b[0])) {
      applyWriteSet(this.acc.memory.buffer, this.acc.plan, r.ws, true);
      this.digests[k] = r.digest;
    }
    const t = (this.current as TickOrder).tick;
    this.recentDigests.set(t, [...this.digests]);
    this.recentDigests.delete(t - RECENT_TICKS);
    this.lastCommitted = { tick: (this.current as TickOrder).tick, bytes: new Map([...this.results].map(([k, r]) => [k, r.bytes])), epochs: [...this.epochs] };
    this.committedResults += this.results.size;
    this.full = this.full.map(() => false);
    this.results.clear();
    this.current = null;
  }
}
