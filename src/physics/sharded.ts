/**
 * In-process physics shards (one thread): the algorithm of DESIGN.md's shards, without
 * workers yet. The x/z plane is cut into a grid of rectangular regions; each shard is a
 * PhysicsWorld holding the bodies it has authority over plus ghosts.
 *
 * ```
 *   z ^      shard 2      |      shard 3
 *     |  ...........+.....|.....+..........   <- halo: R beyond each region
 *     |  ---------------- + ---------------   zCut
 *     |      shard 0      |      shard 1
 *     +-------------------|------------------> x
 *                        xCut
 * ```
 *
 * One tick:
 * 1. every shard drops last tick's ghosts and imports, as ghosts, the owned bodies of the
 *    other shards that lie within the interaction range R of its region (R from
 *    PhysicsWorld.interactionRange: a body's next state depends only on bodies within R);
 * 2. every shard steps;
 * 3. each owned body whose new reference point (x, z) lies in another region is handed off:
 *    exported with its slot and generation and imported there, removed here. Regions are
 *    half-open ([lo, hi)), so every point has exactly one authority.
 *
 * The shard worlds share one memory; with `workers`, worker threads step them in parallel
 * (ShardWorkerPool), otherwise this thread steps them in turn: same code, same bits.
 *
 * Static bodies are imported into every shard. New bodies get their slot and generation from
 * a registry world that holds every body's identity, so a body's handle is the same in every
 * shard and the canonical (slot) order is global. ShardedWorld.bodiesHash() merges the owned
 * bodies of all shards in slot order; it equals bodiesHash(world) of an unsharded world with
 * the same inputs when the shards agree to the bit.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PhysicsWorld, PhysicsError, type WorldConfig, type BodyHandle, type BodyOptions, BODY_RECORD_BYTES } from './world';
import { Core, createMemory, wasmPath } from './wasm';
import { planLayout } from './layout';
import { planWorld } from './world-layout';

/**
 * Worker threads that step shard worlds living in one shared memory, released together by
 * an Atomics barrier (control block described in shard-worker.ts). stepAll() blocks the
 * calling thread until every shard has stepped; it throws PhysicsError SHARD_FAILED if a
 * shard's step threw and SHARD_TIMEOUT if the workers did not finish in time (a dead worker
 * holds no lock; recovery is the caller's decision).
 */
export class ShardWorkerPool {
  private readonly ctl: Int32Array;
  private workers: Worker[] = [];
  private readonly count: number;

  constructor(private readonly memory: WebAssembly.Memory, private readonly bases: number[], private readonly control: number, workerCount: number) {
    this.ctl = new Int32Array(memory.buffer, control, 8);
    this.ctl.fill(0);
    this.count = Math.max(1, Math.min(workerCount, bases.length));
    this.spawn();
  }

  /** Starts a fresh set of workers in a new epoch (workers of older epochs exit on their next wake). */
  private spawn(): void {
    const epoch = Atomics.add(this.ctl, 4, 1) + 1;
    const startGen = Atomics.load(this.ctl, 0);
    const script = workerScript();
    // shard k runs on worker k mod count
    this.workers = Array.from({ length: this.count }, (_, w) => {
      const mine = this.bases.map((b, k) => [b, k] as const).filter(([, k]) => k % this.count === w);
      return new Worker(script, {
        workerData: { memory: this.memory, bases: mine.map(([b]) => b), indices: mine.map(([, k]) => k), control: this.control, epoch, startGen },
      });
    });
  }

  /**
   * Replaces every worker: the old ones are terminated (and, being of an older epoch, step
   * nothing more if they are still alive), new ones start. For recovery after SHARD_FAILED
   * or SHARD_TIMEOUT; the caller restores the shard worlds first.
   */
  restart(): void {
    const old = this.workers;
    Atomics.store(this.ctl, 3, 0);
    this.spawn();
    for (const w of old) void w.terminate();
  }

  /** Test hook: terminates worker `w` as a crash would (its shards stop being stepped). */
  killWorker(w: number): void {
    void this.workers[w % this.count].terminate();
  }

  /** Test hook: the next step of `shard` traps inside WebAssembly. */
  injectTrap(shard: number): void {
    Atomics.store(this.ctl, 5, 1 + shard);
  }

  /** Workers in the pool. */
  get size(): number { return this.count; }

  /** Steps every shard once (see the class comment). */
  stepAll(timeoutMs = 30_000): void {
    Atomics.store(this.ctl, 1, 0);
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const done = Atomics.load(this.ctl, 1);
      if (done >= this.bases.length) break;
      if (Date.now() > deadline) throw new PhysicsError('SHARD_TIMEOUT', `${this.bases.length - done} shard(s) did not step within ${timeoutMs} ms`);
      Atomics.wait(this.ctl, 1, done, 20);
    }
    const failed = Atomics.exchange(this.ctl, 3, 0);
    if (failed) throw new PhysicsError('SHARD_FAILED', `shard ${failed - 1} failed to step`);
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    Atomics.store(this.ctl, 2, 1);
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The compiled shard worker next to this file, or under build/dist when running from sources. */
function workerScript(): string {
  const here = join(__dirname, 'shard-worker.js');
  if (existsSync(here)) return here;
  const built = join(wasmPath('release'), '..', 'dist', 'src', 'physics', 'shard-worker.js');
  if (!existsSync(built)) throw new PhysicsError('CORE_NOT_BUILT', `${built} is missing: run \`npm run build\``);
  return built;
}

/** Shard layout: cut positions in metres along x and z (sorted); (xCuts + 1) x (zCuts + 1) shards. */
export interface Partition {
  xCuts: number[];
  zCuts: number[];
}

/** Index of the interval [cuts[k-1], cuts[k]) holding v. */
function intervalOf(cuts: number[], v: number): number {
  let k = 0;
  while (k < cuts.length && v >= cuts[k]) k++;
  return k;
}

/** Distance from v to the interval k of `cuts` (0 inside). */
function distToInterval(cuts: number[], k: number, v: number): number {
  const lo = k === 0 ? -Infinity : cuts[k - 1];
  const hi = k === cuts.length ? Infinity : cuts[k];
  return v < lo ? lo - v : v >= hi ? v - hi : 0;
}

/** A world split into in-process shards (see the module comment). */
export class ShardedWorld {
  readonly shards: PhysicsWorld[];
  /** Owner shard of each live body, by handle. */
  private readonly owner = new Map<BodyHandle, number>();
  private readonly ghosts: Array<Set<BodyHandle>>;
  private readonly statics = new Set<BodyHandle>();
  /** Holds every body's identity (slot, generation): new bodies are created here first. */
  private readonly registry: PhysicsWorld;
  private readonly range: number;
  /** Handoffs since creation. */
  handoffs = 0;
  /** Worker threads stepping the shards, or null to step them on this thread. */
  readonly pool: ShardWorkerPool | null;
  /** How long a worker step may take before it counts as a crash (ms). */
  private readonly stepTimeoutMs: number;
  /** Ticks re-run after a worker crashed or a shard's step trapped. */
  recoveries = 0;

  /**
   * Throws RangeError for unsorted cuts or a range that is not positive. `range` defaults to
   * the worlds' interaction range for `config.maxBodyRadius`.
   */
  constructor(readonly config: WorldConfig, readonly partition: Partition, range?: number, opts: { workers?: number; stepTimeoutMs?: number } = {}) {
    for (const cuts of [partition.xCuts, partition.zCuts]) {
      for (let k = 1; k < cuts.length; k++) if (!(cuts[k] > cuts[k - 1])) throw new RangeError('partition cuts must be strictly increasing');
    }
    const count = (partition.xCuts.length + 1) * (partition.zCuts.length + 1);
    this.registry = PhysicsWorld.create(config);
    // every shard world in one shared memory, so worker threads can step them in place
    const worldBytes = planWorld(PhysicsWorld.sizesFor(config)).bytes;
    const layout = planLayout([...Array.from({ length: count }, (_, k) => [`shard${k}`, worldBytes] as const), ['control', 64]]);
    this.stepTimeoutMs = opts.stepTimeoutMs ?? 30_000;
    const core = Core.instantiate(createMemory({ pages: layout.pages, shared: true }), 'release');
    const bases = Array.from({ length: count }, (_, k) => layout.regions[`shard${k}`].offset);
    this.shards = bases.map((b) => PhysicsWorld.createAt(core, b, config));
    this.pool = (opts.workers ?? 0) > 0 ? new ShardWorkerPool(core.memory, bases, layout.regions.control.offset, opts.workers as number) : null;
    this.ghosts = this.shards.map(() => new Set<BodyHandle>());
    this.range = range ?? this.worstCaseRange();
    if (!(this.range > 0)) throw new RangeError('the interaction range must be positive');
  }

  /** R for the largest body the worlds accept: (2S + 1)(2 maxBodyRadius + margin). */
  private worstCaseRange(): number {
    const s = this.config.substeps ?? 4, r = this.config.maxBodyRadius ?? 1, m = this.config.margin ?? 0.05;
    return (2 * s + 1) * (2 * r + m);
  }

  /** Shard with authority over the point (x, z). */
  shardOf(x: number, z: number): number {
    return intervalOf(this.partition.zCuts, z) * (this.partition.xCuts.length + 1) + intervalOf(this.partition.xCuts, x);
  }

  /** Whether (x, z) lies within `r` of shard k's region. */
  private near(k: number, x: number, z: number, r: number): boolean {
    const nx = this.partition.xCuts.length + 1;
    const dx = distToInterval(this.partition.xCuts, k % nx, x), dz = distToInterval(this.partition.zCuts, Math.floor(k / nx), z);
    return Math.hypot(dx, dz) <= r;
  }

  /** Adds a static box to every shard. */
  addBox(o: Parameters<PhysicsWorld['addBox']>[0]): BodyHandle {
    return this.addStatic(this.registry.addBox(o));
  }

  /** Adds a static plane to every shard. */
  addPlane(o: Parameters<PhysicsWorld['addPlane']>[0]): BodyHandle {
    return this.addStatic(this.registry.addPlane(o));
  }

  private addStatic(h: BodyHandle): BodyHandle {
    const rec = this.registry.exportBody(h);
    for (const s of this.shards) s.importBody(rec);
    this.statics.add(h);
    return h;
  }

  /** Adds a moving sphere; the shard holding its position gets authority. */
  addSphere(o: BodyOptions & { radius: number }): BodyHandle {
    const h = this.registry.addSphere(o);
    const k = this.shardOf(o.position[0], o.position[2]);
    this.shards[k].importBody(this.registry.exportBody(h));
    this.owner.set(h, k);
    return h;
  }

  /** Owner shard of a body. Throws PhysicsError STALE_HANDLE. */
  authorityOf(h: BodyHandle): number {
    const k = this.owner.get(h);
    if (k === undefined) throw new PhysicsError('STALE_HANDLE', 'not a live moving body');
    return k;
  }

  /** Bodies each shard owns, and ghosts it holds this tick. */
  counts(): Array<{ owned: number; ghosts: number }> {
    const owned = this.shards.map(() => 0);
    for (const k of this.owner.values()) owned[k]++;
    return this.shards.map((_, k) => ({ owned: owned[k], ghosts: this.ghosts[k].size }));
  }

  /** Advances every shard by one tick (ghost exchange, step, handoff). */
  step(): void {
    // 1. ghosts: owned bodies of other shards within R of each region, at their current state
    const records = new Map<BodyHandle, { rec: Uint8Array; x: number; z: number }>();
    for (const [h, k] of this.owner) {
      const [x, , z] = this.shards[k].position(h);
      records.set(h, { rec: this.shards[k].exportBody(h), x, z });
    }
    this.shards.forEach((s, k) => {
      for (const g of this.ghosts[k]) s.remove(g);
      this.ghosts[k].clear();
      for (const [h, r] of records) {
        if (this.owner.get(h) === k || !this.near(k, r.x, r.z, this.range)) continue;
        s.importBody(r.rec);
        this.ghosts[k].add(h);
      }
    });
    // 2. step (in parallel when there are workers; the shards are independent now). With
    //    workers, the state before the step is kept: if a worker dies or a step traps, every
    //    shard goes back to it, the workers are replaced and the tick runs again. Stepping is
    //    deterministic, so the re-run gives the bits the tick would have had.
    if (this.pool) {
      const before = this.shards.map((s) => s.save());
      for (let attempt = 1; ; attempt++) {
        try {
          this.pool.stepAll(this.stepTimeoutMs);
          break;
        } catch (e) {
          if (!(e instanceof PhysicsError) || attempt > 3) throw e;
          this.shards.forEach((s, k) => s.load(before[k]));
          this.pool.restart();
          this.recoveries++;
        }
      }
    } else {
      for (const s of this.shards) s.step();
    }
    // 3. handoff of owned bodies whose reference point left the region
    for (const [h, k] of [...this.owner]) {
      const [x, , z] = this.shards[k].position(h);
      const to = this.shardOf(x, z);
      if (to === k) continue;
      const rec = this.shards[k].exportBody(h);
      this.shards[k].remove(h);
      if (this.ghosts[to].delete(h)) this.shards[to].remove(h);
      this.shards[to].importBody(rec);
      this.owner.set(h, to);
      this.handoffs++;
    }
  }

  /** Stops the worker threads, if any. */
  async close(): Promise<void> {
    if (this.pool) await this.pool.close();
  }

  /** Current tick (all shards step in lockstep). */
  get tick(): number { return this.shards[0].tick; }

  /** Position of a moving body (metres), from its owner. */
  position(h: BodyHandle): [number, number, number] { return this.shards[this.authorityOf(h)].position(h); }

  /** Hash of every body's record in slot order, each from the shard with authority (statics from shard 0). */
  bodiesHash(): bigint {
    const all = [...this.statics, ...this.owner.keys()].sort((a, b) => Number((a & 0xffffffffn) - (b & 0xffffffffn)));
    return hashBodyRecords(all.map((h) => this.shards[this.owner.get(h) ?? 0].exportBody(h)), this.tick);
  }

}

/**
 * The same hash for one unsharded world: every body's record in slot order, seeded with the
 * tick (what ShardedWorld.bodiesHash computes across shards).
 */
export function bodiesHash(world: PhysicsWorld): bigint {
  return hashBodyRecords(world.handles().map((h) => world.exportBody(h)), world.tick);
}

/** A core instance used only to hash record streams, grown when a stream does not fit. */
let recordHasher: { core: Core; at: number; bytes: number } | null = null;

/** xxHash64 of the body records laid end to end, seeded with the tick. */
function hashBodyRecords(records: Uint8Array[], tick: number): bigint {
  const need = Math.max(1, records.length) * BODY_RECORD_BYTES;
  if (!recordHasher || recordHasher.bytes < need) {
    const plan = planLayout([['records', need]]);
    recordHasher = { core: Core.instantiate(createMemory({ pages: plan.pages, shared: false }), 'unshared'), at: plan.regions.records.offset, bytes: need };
  }
  const { core, at } = recordHasher;
  const bytes = core.bytes();
  records.forEach((r, k) => bytes.set(r, at + k * BODY_RECORD_BYTES));
  return core.hash64(at, records.length * BODY_RECORD_BYTES, BigInt(tick));
}
