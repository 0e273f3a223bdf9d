/**
 * `tessera shard`: a shard process of a cluster world (docs/cluster/design.md). It connects to
 * NATS, announces itself in the members bucket (a heartbeat every 250 ms), answers pings,
 * receives its copy of the world from the coordinator (proc.<id>.snap), and then, for every
 * tick order, applies the other regions' committed Results, steps the regions the order
 * assigns to it (ShardHost) and publishes their Results. A Result it lacks is asked for on
 * `resend`; it republishes its own retained Results when asked. Nothing it receives is used
 * before it is verified; a refused message is logged with its code and counted.
 *
 * The step runs on the process's event loop: a pause of a step's length in heartbeats and
 * pings (well under the coordinator's lease of 1.5 s at the sizes measured).
 */
import { hostname } from 'node:os';
import { Worker } from 'node:worker_threads';
import { compiledScript } from '../physics/wasm';
import { connect, type Msg, type NatsConnection, PermissionViolationError } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { WorldConfig } from '../physics/world';
import type { Partition } from '../physics/sharded';
import { ClusterError, refusalCode } from './errors';
import { PartCollector, decodeCluster, type ClusterMessage, type TickOrder } from './messages';
import { ShardHost } from './shard-host';
import { LIVE, WORLD_ID, names, onMsg, publishParts, type ShardMember } from './subjects';
import { COORDINATOR_ID, NO_AUTH_WARNING, NkeyFileError, clusterConnectOptions } from './auth';
import { ResendGate, resendLimits, type ResendLimits } from './resend-gate';

/** The compiled liveness worker next to this file, or under build/dist when running from sources. */
function livenessScript(): string {
  return compiledScript(__dirname, 'src/cluster/liveness-worker.js');
}

/** A copy that has received nothing but orders past its next tick for this long leaves (ms). */
const BEHIND_MS = 5_000;

/** Settings of a shard process. */
export interface ShardProcessOptions {
  /** NATS server URL(s), e.g. nats://127.0.0.1:4222. */
  nats: string;
  /** The world id (subjects tessera.<world>.*). */
  world: string;
  /** This process's id (WORLD_ID characters, not COORDINATOR_ID), unique in the world. */
  id: string;
  /** Its NATS user seed file (`tessera cluster-keys` writes `<id>.nk`; auth.ts). Without one it connects anonymously. */
  nkeyFile?: string;
  /** Take regions only when another process fails. */
  standby?: boolean;
  /** Longest single piece of work (a step, a world copy) during which pings are still answered, ms. Default 60,000. */
  busyMs?: number;
  /** Bound on answering other processes' resend requests (resend-gate.ts). Defaults DEFAULT_RESEND_LIMITS. */
  resendLimits?: Partial<ResendLimits>;
  log: Logger;
}

/** The copy of the world a coordinator sends: settings and ShardedWorld.save() bytes. */
export interface WorldCopy {
  config: WorldConfig;
  partition: Partition;
  range: number;
  save: Uint8Array;
}

/** Encodes a world copy: u32 length of the JSON settings, the JSON, then the save. */
export function encodeCopy(c: WorldCopy): Uint8Array {
  const json = Buffer.from(JSON.stringify({ config: c.config, partition: c.partition, range: c.range }), 'utf8');
  const out = new Uint8Array(4 + json.byteLength + c.save.byteLength);
  new DataView(out.buffer).setUint32(0, json.byteLength, true);
  out.set(json, 4);
  out.set(c.save, 4 + json.byteLength);
  return out;
}

/** Decodes encodeCopy bytes. Throws ClusterError BAD_VALUE. */
export function decodeCopy(b: Uint8Array): WorldCopy {
  const bad = (m: string): never => {
    throw new ClusterError('BAD_VALUE', `world copy: ${m}`);
  };
  if (b.byteLength < 4) bad('too short');
  const n = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
  if (4 + n > b.byteLength) bad('settings past the end');
  let s: { config?: unknown; partition?: { xCuts?: unknown; zCuts?: unknown }; range?: unknown };
  try {
    s = JSON.parse(Buffer.from(b.subarray(4, 4 + n)).toString('utf8'));
  } catch {
    return bad('settings are not JSON');
  }
  const nums = (x: unknown): x is number[] => Array.isArray(x) && x.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (typeof s.config !== 'object' || s.config === null) bad('config');
  if (!nums(s.partition?.xCuts) || !nums(s.partition?.zCuts)) bad('partition');
  if (typeof s.range !== 'number' || !(s.range > 0)) bad('range');
  return { config: s.config as WorldConfig, partition: s.partition as Partition, range: s.range as number, save: b.slice(4 + n) };
}

/** Counters of a shard process (its /metrics and its heartbeat). */
export interface ShardProcessStats {
  ticks: number;
  resultsPublished: number;
  resultsApplied: number;
  resends: number;
  /** Resend requests of others dropped unread by the rate limit (resend-gate.ts). */
  resendRequestsDropped: number;
  /** Republications skipped: the same (tick, region) was answered within the repeat interval. */
  resendRepeatsSkipped: number;
  rejected: Record<string, number>;
  lastStepMs: number;
}

/** A running shard process (see the module comment). */
export class ShardProcess {
  private host: ShardHost | null = null;
  private waiting: TickOrder | null = null;
  private readonly orders = new PartCollector(8);
  private readonly results = new PartCollector(256);
  private readonly copies = new PartCollector(2);
  private heartbeat: NodeJS.Timeout | null = null;
  private beat: NodeJS.Timeout | null = null;
  private liveness: Worker | null = null;
  private readonly liveSab = new SharedArrayBuffer(LIVE.WORDS * 8);
  /** Marks the start (true) and end (false) of one long piece of work on the event loop (liveness-worker.ts). */
  private busy(on: boolean): void {
    new Float64Array(this.liveSab, 0, LIVE.WORDS)[LIVE.BUSY_SINCE] = on ? performance.timeOrigin + performance.now() : 0;
  }
  private regions: number[] = [];
  /** The first operation the server refused (a key made for another process). */
  private refusedBy: PermissionViolationError | null = null;
  /** start() finished: a refusal from now on makes the process leave. */
  private joined = false;
  private resendTimer: NodeJS.Timeout | null = null;
  /** Since when every order was for a later tick than this copy can run (performance.now() ms). */
  private behindSince: number | null = null;
  readonly stats: ShardProcessStats = {
    ticks: 0,
    resultsPublished: 0,
    resultsApplied: 0,
    resends: 0,
    resendRequestsDropped: 0,
    resendRepeatsSkipped: 0,
    rejected: {},
    lastStepMs: 0,
  };
  /** Resolves when the process stops (close(), or a fault it cannot recover from: the reason). */
  readonly stopped: Promise<string>;
  private stop!: (why: string) => void;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly o: ShardProcessOptions,
    private readonly resendGate: ResendGate,
  ) {
    this.stopped = new Promise((r) => {
      this.stop = r;
    });
  }

  /**
   * Connects and joins. Throws RangeError for a bad world or process id or resend limits; NkeyFileError for an
   * unusable key file or one the server refuses this process's subjects to; NATS errors when the server cannot be reached or refuses the key
   * (AuthorizationError).
   */
  static async start(o: ShardProcessOptions): Promise<ShardProcess> {
    if (!WORLD_ID.test(o.id) || o.id === COORDINATOR_ID)
      throw new RangeError(`process id ${JSON.stringify(o.id)}: use 1 to 64 letters, digits, '_' or '-' (not '${COORDINATOR_ID}')`);
    const limits = resendLimits(o.resendLimits);
    const n = names(o.world);
    const nc = await connect(clusterConnectOptions({ nats: o.nats, name: `tessera-shard-${o.id}`, id: o.id, nkeyFile: o.nkeyFile }));
    if (!nc.info?.auth_required) o.log.warn({ world: o.world, id: o.id }, NO_AUTH_WARNING);
    const p = new ShardProcess(nc, o, new ResendGate(limits));
    // a key made for another process id: the server refuses its subscriptions and publications.
    // While joining, that fails start() (below); once running, the process leaves
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type !== 'error' || !(s.error instanceof PermissionViolationError)) continue;
        p.refusedBy ??= s.error;
        o.log.error(
          { operation: s.error.operation, subject: s.error.subject },
          `NATS refused this process's ${s.error.operation} on ${s.error.subject}: its key (--nkey) was not made for process ${o.id} of world ${o.world}`,
        );
        if (p.joined) void p.close('fault');
      }
    })();
    // the coordinator creates the bucket (a process's user may only put its own key): until it
    // exists, a heartbeat fails and the next one tries again
    const members = await new Kvm(nc).open(n.members);
    const beat = (): void => {
      const m: ShardMember = {
        id: o.id,
        pid: process.pid,
        host: hostname(),
        standby: o.standby === true,
        tick: p.host?.tick ?? -1,
        stepMs: p.stats.lastStepMs,
        regions: p.regions,
      };
      members.put(`proc.${o.id}`, JSON.stringify(m)).catch(() => {
        /* disconnected: the next beat tries again */
      });
    };
    // everything that answers the coordinator is listening before the first heartbeat makes this
    // process a member: its subscriptions, and the liveness thread's (a ping with no one
    // subscribed is "no responders": a dead process)
    // (a subscription the server refuses calls back with the error and no message: `refused`
    // notes it at once, and start() fails after the flush)
    const refused = (e: Error): void => {
      if (e instanceof PermissionViolationError) p.refusedBy ??= e;
    };
    nc.subscribe(n.snap(o.id), { callback: onMsg((m) => p.onCopyPart(m), refused) });
    nc.subscribe(n.order, { callback: onMsg((m) => p.onOrderPart(m), refused) });
    nc.subscribe(n.results, { callback: onMsg((m) => p.onResultPart(m), refused) });
    nc.subscribe(n.resend, { callback: onMsg((m) => p.onResend(m), refused) });
    await nc.flush(); // a refused subscription's -ERR comes before the flush's PONG
    if (p.refusedBy) {
      const e = p.refusedBy;
      await p.close('fault');
      throw new NkeyFileError(
        o.nkeyFile ?? '(none)',
        `NATS refused the ${e.operation} on ${e.subject}: this key was not made for process ${o.id} of world ${o.world}`,
      );
    }
    // pings are answered on a thread of its own (liveness-worker.ts): a long step, a large
    // message or a collection pause is not a death (a hung loop stops the answers after 5 s)
    const live = new Float64Array(p.liveSab, 0, LIVE.WORDS);
    live[LIVE.BEAT] = performance.timeOrigin + performance.now();
    const liveness = new Worker(livenessScript(), {
      workerData: { nats: o.nats, world: o.world, id: o.id, nkeyFile: o.nkeyFile, sab: p.liveSab, leaseMs: 5_000, busyMs: o.busyMs ?? 60_000 },
    });
    p.liveness = liveness;
    p.beat = setInterval(() => {
      live[LIVE.BEAT] = performance.timeOrigin + performance.now();
      live[LIVE.TICK] = p.host?.tick ?? -1;
    }, 250);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the liveness thread did not subscribe within 30 s')), 30_000);
      liveness.once('message', () => {
        clearTimeout(t);
        resolve();
      });
      liveness.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    }).catch(async (e: Error) => {
      await p.close('fault');
      throw e;
    });
    liveness.unref();
    p.heartbeat = setInterval(beat, 250);
    beat();
    p.joined = true;
    o.log.info({ world: o.world, id: o.id, standby: o.standby === true }, 'shard process joined');
    return p;
  }

  private reject(code: string, err: unknown, what: string): void {
    this.stats.rejected[code] = (this.stats.rejected[code] ?? 0) + 1;
    this.o.log.warn({ code, err: (err as Error).message }, `shard process refused ${what}`);
  }

  /**
   * The refusal code of an error. Anything else (a fault of this process, not of the message)
   * is INTERNAL, logged at error level: it is never rethrown, since a throw inside a NATS
   * callback would close the connection's reader.
   */
  private codeOf(e: unknown): string {
    const code = refusalCode(e);
    if (code) return code;
    this.o.log.error({ err: e }, 'shard process fault');
    return 'INTERNAL';
  }

  /** Decodes a part; a refused one is counted and logged. */
  private part(m: Msg, what: string): Extract<ClusterMessage, { kind: 'part' }> | null {
    try {
      const d = decodeCluster(m.data, 1 << 20);
      if (d.kind !== 'part') throw new ClusterError('BAD_VALUE', `expected a part, got a ${d.kind}`);
      return d;
    } catch (e) {
      this.reject(this.codeOf(e), e, what);
      return null;
    }
  }

  private onCopyPart(m: Msg): void {
    if (this.host) {
      // a copy is taken once, at join; a running copy is never replaced (a process that falls
      // behind leaves and joins again as a new process)
      this.reject('NOT_OWNER', new Error('this process already has its copy of the world'), 'a world copy part');
      return void m.respond(new TextEncoder().encode('error: already joined'));
    }
    const p = this.part(m, 'a world copy part');
    if (!p) return void m.respond(new TextEncoder().encode('error: bad part'));
    let whole: Uint8Array | null;
    try {
      whole = this.copies.add(p);
    } catch (e) {
      this.reject('BAD_VALUE', e, 'a world copy part');
      return void m.respond(new TextEncoder().encode(`error: ${(e as Error).message}`));
    }
    if (!whole) return void m.respond(new TextEncoder().encode('part'));
    try {
      const c = decodeCopy(whole);
      this.busy(true);
      try {
        this.host = ShardHost.fromSave(c.config, c.partition, c.save, c.range);
      } finally {
        this.busy(false);
      }
      this.o.log.info({ tick: this.host.tick }, 'world copy restored');
      m.respond(new TextEncoder().encode('ready'));
    } catch (e) {
      this.reject('BAD_VALUE', e, 'a world copy');
      m.respond(new TextEncoder().encode(`error: ${(e as Error).message}`));
    }
  }

  private onOrderPart(m: Msg): void {
    const p = this.part(m, 'an order part');
    if (!p) return;
    let whole: Uint8Array | null;
    try {
      whole = this.orders.add(p);
    } catch (e) {
      this.reject('BAD_VALUE', e, 'an order part');
      return;
    }
    if (!whole) return;
    let d: ClusterMessage;
    try {
      d = decodeCluster(whole);
      if (d.kind !== 'tick') throw new ClusterError('BAD_VALUE', `expected an order, got a ${d.kind}`);
    } catch (e) {
      this.reject(this.codeOf(e), e, 'an order');
      return;
    }
    this.orders.drop(d.order.tick);
    const next = this.host?.tick ?? -1;
    // only the tick to run or the one just run (a re-issue): an older order is stale, a later one
    // is either forged or means this copy missed ticks (then it leaves after a while of nothing
    // but such orders: behindSince)
    if (!this.host || d.order.tick < next - 1) {
      this.reject('WRONG_TICK', new Error(`order for tick ${d.order.tick}, this copy is at ${next}`), 'an order');
      return;
    }
    if (d.order.tick > next) {
      this.behindSince ??= performance.now();
      if (performance.now() - this.behindSince > BEHIND_MS) {
        this.o.log.error({ tick: d.order.tick, at: next }, 'this copy of the world is behind: leaving (restart the process to join again)');
        void this.close('behind');
        return;
      }
      this.reject('WRONG_TICK', new Error(`order for tick ${d.order.tick}, this copy is at ${next}`), 'an order');
      return;
    }
    this.behindSince = null;
    if (this.waiting && this.waiting.tick > d.order.tick) return; // never replace a newer order
    this.waiting = d.order;
    this.tryRun();
  }

  private onResultPart(m: Msg): void {
    if (names(this.o.world).senderOf(m.subject) === this.o.id) return; // our own: already in our copy
    const p = this.part(m, 'a result part');
    if (!p) return;
    try {
      const whole = this.results.add(p);
      if (!whole || !this.host) return;
      this.host.acceptResult(whole);
    } catch (e) {
      this.reject(this.codeOf(e), e, 'a result');
      return;
    }
    if (this.waiting) this.tryRun();
  }

  private onResend(m: Msg): void {
    if (!this.host) return;
    const gate = this.resendGate;
    if (!gate.admit()) {
      this.stats.resendRequestsDropped = gate.dropped;
      return;
    }
    let req: { tick?: unknown; regions?: unknown };
    try {
      req = JSON.parse(new TextDecoder().decode(m.data));
    } catch (e) {
      this.reject('BAD_VALUE', e, 'a resend request');
      return;
    }
    if (typeof req.tick !== 'number' || !Array.isArray(req.regions)) {
      this.reject('BAD_VALUE', new Error('tick and regions'), 'a resend request');
      return;
    }
    for (const k of req.regions) {
      if (typeof k !== 'number') continue;
      const r = this.host.retained(k, req.tick);
      if (r && gate.answer(req.tick, k)) this.publishResult(k, req.tick, r.epoch, r.bytes);
    }
    this.stats.resendRepeatsSkipped = gate.repeats;
  }

  private publishResult(k: number, tick: number, epoch: bigint, bytes: Uint8Array): void {
    publishParts(this.nc, names(this.o.world).result(this.o.id, k), bytes, tick, k, epoch);
    this.stats.resultsPublished++;
  }

  /** Runs the waiting order if every Result it needs is here; else asks for the missing ones. */
  private tryRun(): void {
    const order = this.waiting,
      host = this.host;
    if (!order || !host) return;
    const miss = host.missing(order);
    if (miss.length) {
      if (!this.resendTimer) {
        const ask = (): void => {
          this.stats.resends++;
          this.nc.publish(names(this.o.world).resend, new TextEncoder().encode(JSON.stringify({ tick: order.tick - 1, regions: miss })));
        };
        ask();
        this.resendTimer = setInterval(ask, 200);
      }
      return;
    }
    if (this.resendTimer) clearInterval(this.resendTimer);
    this.resendTimer = null;
    this.waiting = null;
    const t0 = performance.now();
    let out: Uint8Array[];
    this.busy(true);
    try {
      const before = host.applied;
      try {
        out = host.run(order, this.o.id);
      } finally {
        this.busy(false);
      }
      this.stats.resultsApplied += host.applied - before;
    } catch (e) {
      const code = this.codeOf(e);
      if (code === 'BEHIND' || code === 'INTERNAL') {
        // a copy that cannot step is no use to the world: leaving makes the coordinator move
        // its regions at once (its pings find no responder)
        this.o.log.error({ err: (e as Error).message }, `this copy of the world cannot go on (${code}): leaving; restart the process to join again`);
        void this.close(code === 'BEHIND' ? 'behind' : 'fault');
        return;
      }
      this.reject(code, e, 'an order');
      return;
    }
    const hosted = ShardHost.hosted(order, this.o.id);
    if (out.length !== hosted.length) return; // an order this copy had already passed: nothing to publish
    this.stats.lastStepMs = performance.now() - t0;
    // test hook: freeze (SIGSTOP) with the results of this tick computed but not published,
    // as a process cut off mid-tick would be; its results go out when it is resumed
    if (process.env.TESSERA_TEST_STOP_AT_TICK === String(order.tick)) process.kill(process.pid, 'SIGSTOP');
    this.regions = hosted;
    this.regions.forEach((k, i) => {
      this.publishResult(k, order.tick, order.epochs[k], out[i]);
    });
    this.stats.ticks++;
  }

  /** Leaves the world: stops the heartbeat, drains the connection. */
  async close(why = 'closed'): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.beat) clearInterval(this.beat);
    await this.liveness?.terminate();
    if (this.resendTimer) clearInterval(this.resendTimer);
    this.heartbeat = null;
    // drain, but not forever (a connection the server is refusing may never finish draining)
    await Promise.race([this.nc.drain().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())]);
    if (!this.nc.isClosed()) await this.nc.close().catch(() => undefined);
    this.stop(why);
  }
}
