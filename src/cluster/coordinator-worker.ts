/**
 * The coordinator's NATS side (coordinator.ts starts it as a worker thread): the coordinator's
 * world steps synchronously, so its thread waits on a shared control word while this thread
 * talks to the shard processes, exactly as it waits for shard worker threads.
 *
 * Start: wait for the expected members (heartbeats in the members bucket), assign regions
 * round-robin over the non-standby processes (each assignment a create or compare-and-set of
 * region.<k> in the assign bucket: its revision is the region's epoch), send every member its
 * copy of the world (standbys too: they follow every tick and can take a region at once).
 *
 * One tick (control word REQ = t + 1): publish the order; take Results as they come
 * (TickCoordinator.accept: tick, epoch, sender, write set); every 100 ms ping the processes
 * that owe one: "no responders" (its connection is gone: kill -9) or no answer for a lease
 * (1.5 s: a paused or cut-off process) makes it dead, and its regions move (standby first,
 * else the live process with the fewest regions) under new epochs and rebuild from the
 * committed board while the others' Results stand; an order unanswered for 500 ms is published
 * again (a message lost in a NATS restart). When every region has its Result: commit (apply to
 * the coordinator's back board), DONE = t + 1.
 */
import { workerData, parentPort } from 'node:worker_threads';
import { connect, type NatsConnection, NoRespondersError, RequestError } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import type { ShardedPlan } from '../physics/shard-plan';
import { SHARD_CFG as SC, SHARD_CFG_SLOTS } from '../physics/world-layout';
import { ClusterError, refusalCode } from './errors';
import { PartCollector, decodeCluster, encodeTick, splitParts, type TickOrder } from './messages';
import { names, onMsg, publishParts, type ShardMember } from './subjects';
import { COORDINATOR_ID, NO_AUTH_WARNING, clusterConnectOptions } from './auth';
import { TickCoordinator, memoryAccess } from './tick-coordinator';
import { CTL, STAT, type CoordinatorData } from './coordinator';
import { ResendGate } from './resend-gate';

const d = workerData as CoordinatorData;
const ctl = new Int32Array(d.ctl, 0, CTL.WORDS);
const stat = new Float64Array(d.ctl, CTL.WORDS * 4, STAT.WORDS);
const n = names(d.world);
const plan = d.plan as ShardedPlan;

type Level = 'info' | 'warn' | 'error';
const log = (level: Level, obj: Record<string, unknown>, msg: string): void => parentPort?.postMessage({ type: 'log', level, obj, msg });

const members = new Map<string, { m: ShardMember; seen: number }>();
const dead = new Set<string>();
const rejected: Record<string, number> = {};
let nc: NatsConnection;
let assign: KV;
let coord: TickCoordinator;
let connected = true;
let reconnectedAt = -Infinity;
let wake: (() => void) | null = null;

const sleep = (ms: number): Promise<void> =>
  new Promise((r) => {
    const t = setTimeout(() => {
      wake = null;
      r();
    }, ms);
    wake = () => {
      clearTimeout(t);
      wake = null;
      r();
    };
  });

/** Assigns region k to process `id`: the new revision of region.<k> is its epoch. */
async function setAssign(k: number, id: string): Promise<bigint> {
  const key = `region.${k}`;
  const e = await assign.get(key);
  const rev = e ? await assign.update(key, id, e.revision) : await assign.create(key, id);
  return BigInt(rev);
}

function publishOrder(o: TickOrder): void {
  const bytes = encodeTick(o);
  publishParts(nc, n.order, bytes, o.tick, 255, 0n);
  stat[STAT.ORDER_BYTES] += bytes.byteLength;
}

const results = new PartCollector(256);

function onResult(data: Uint8Array, sender: string): void {
  if (sender === 'coordinator') return; // our own resend
  try {
    const p = decodeCluster(data, 1 << 20);
    if (p.kind !== 'part') throw new ClusterError('BAD_VALUE', `expected a part, got a ${p.kind}`);
    const whole = results.add(p);
    if (!whole) return;
    stat[STAT.RESULT_BYTES] += whole.byteLength;
    coord.accept(whole, sender);
    wake?.();
  } catch (e) {
    const code = refusalCode(e) ?? 'BAD_VALUE';
    rejected[code] = (rejected[code] ?? 0) + 1;
    stat[STAT.REJECTED]++;
    log('warn', { code, sender, err: (e as Error).message }, 'cluster result refused');
  }
}

function alive(id: string, now: number): boolean {
  const m = members.get(id);
  return !!m && !dead.has(id) && now - m.seen < d.leaseMs;
}

/** Pings a process: true = answered, false = gone (no responders), null = no answer in time. */
async function ping(id: string): Promise<boolean | null> {
  try {
    await nc.request(n.ping(id), new Uint8Array(0), { timeout: 250 });
    const m = members.get(id);
    if (m) m.seen = performance.now();
    return true;
  } catch (e) {
    if (e instanceof NoRespondersError || (e instanceof RequestError && e.isNoResponders())) return false;
    return null;
  }
}

/**
 * Moves every region of a dead process to a live one (standby first). When no other process is
 * alive (every one looked dead at once: a machine so loaded that no heartbeat or ping answer came
 * within a lease, e.g. while each restores a large world copy), nothing moves and the process is
 * not marked dead: the tick waits, pinging, until one answers (or the tick timeout ends it), since
 * a world with no live process cannot step anyway. Returns whether regions moved.
 */
async function failOver(id: string, t: number): Promise<boolean> {
  const now = performance.now();
  const live = [...members.keys()].filter((p) => p !== id && alive(p, now));
  if (live.length === 0) {
    stat[STAT.NO_LIVE_WAITS]++;
    log('warn', { tick: t, process: id }, 'shard process looks dead but no other is alive: waiting for one to answer');
    return false;
  }
  dead.add(id);
  for (let k = 0; k < coord.hosts.length; k++) {
    if (coord.hosts[k] !== id) continue;
    const load = (p: string): number => coord.hosts.filter((h) => h === p).length;
    const standby = live.filter((p) => members.get(p)?.m.standby && load(p) === 0);
    const pick = standby[0] ?? [...live].sort((a, b) => load(a) - load(b) || (a < b ? -1 : 1))[0];
    const epoch = await setAssign(k, pick);
    coord.move(k, pick, epoch);
    stat[STAT.FAILOVERS]++;
    log('warn', { tick: t, region: k, from: id, to: pick, epoch: String(epoch) }, 'shard process fault: region moved');
  }
  return true;
}

async function runTick(t: number): Promise<void> {
  const count = Number(new BigInt64Array(d.memory.buffer, plan.cfgs[0], SHARD_CFG_SLOTS)[SC.OVERLAY_COUNT]);
  const staged = [...new Int32Array(d.memory.buffer, plan.layout.regions.overlayList.offset, count)];
  const t0 = performance.now();
  publishOrder(coord.order(t, staged));
  let published = t0,
    stalled = 0,
    lastPing = t0;
  while (coord.pending().length) {
    await sleep(50);
    if (!coord.pending().length) break;
    const now = performance.now();
    if (now - t0 > d.tickTimeoutMs)
      throw new ClusterError('MISSING_RESULT', `tick ${t}: regions ${coord.pending().join(', ')} gave no result in ${d.tickTimeoutMs} ms`);
    if (!connected || now - lastPing < 100) continue;
    lastPing = now;
    const owing = [...new Set(coord.pending().map((k) => coord.hosts[k]))];
    const answers = await Promise.all(owing.map(ping));
    let moved = false;
    for (let i = 0; i < owing.length; i++) {
      // "no responders" is a death, except within a lease of a reconnect: after a nats-server
      // restart each process's ping thread reconnects on its own schedule
      const now2 = performance.now();
      const gone = (answers[i] === false && now2 - reconnectedAt > d.leaseMs) || (answers[i] === null && !alive(owing[i], now2));
      if (!gone) continue;
      if (!stalled) stalled = t0;
      if (await failOver(owing[i], t)) moved = true;
    }
    if (moved || performance.now() - published > d.resendMs) {
      publishOrder(coord.reissue());
      published = performance.now();
    }
  }
  coord.commit();
  const ms = performance.now() - t0;
  stat[STAT.TICKS]++;
  if (stalled) {
    stat[STAT.LAST_STALL_MS] = ms;
    stat[STAT.MAX_STALL_MS] = Math.max(stat[STAT.MAX_STALL_MS], ms);
    log('warn', { tick: t, stallMs: Math.round(ms) }, 'tick completed after a shard process fault');
  }
  nc.publish(n.committed, new TextEncoder().encode(JSON.stringify({ tick: t + 1, ms })));
}

async function start(): Promise<void> {
  nc = await connect(clusterConnectOptions({ nats: d.nats, name: `tessera-coordinator-${d.world}`, id: COORDINATOR_ID, nkeyFile: d.nkeyFile }));
  if (!nc.info?.auth_required) log('warn', { world: d.world }, NO_AUTH_WARNING);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        connected = false;
        log('warn', {}, 'coordinator lost NATS: the world waits');
      } else if (s.type === 'reconnect') {
        connected = true;
        const now = performance.now();
        reconnectedAt = now;
        for (const m of members.values()) m.seen = now; // a grace of one lease
        log('info', {}, 'coordinator reconnected to NATS');
      }
    }
  })();
  const kvm = new Kvm(nc);
  const mb = await kvm.create(n.members, { history: 1, ttl: 10_000 });
  assign = await kvm.create(n.assign, { history: 5 });
  const watch = await mb.watch({ key: 'proc.>' });
  void (async () => {
    for await (const e of watch) {
      if (e.operation !== 'PUT') continue;
      try {
        const m = JSON.parse(new TextDecoder().decode(e.value)) as ShardMember;
        if (typeof m.id !== 'string' || `proc.${m.id}` !== e.key) continue;
        members.set(m.id, { m, seen: performance.now() });
        wake?.();
      } catch {
        /* not a member record: ignored */
      }
    }
  })();
  const want = d.processes + d.standbys;
  const deadline = performance.now() + d.joinTimeoutMs;
  const fresh = (): string[] => [...members.keys()].filter((id) => alive(id, performance.now())).sort();
  while (fresh().length < want || fresh().filter((id) => !members.get(id)?.m.standby).length < d.processes) {
    if (performance.now() > deadline)
      throw new ClusterError(
        'MISSING_RESULT',
        `${fresh().length} of ${want} shard processes joined world ${d.world} within ${d.joinTimeoutMs} ms (${fresh().join(', ') || 'none'})`,
      );
    await sleep(100);
  }
  const ids = fresh();
  const active = ids.filter((id) => !members.get(id)?.m.standby).slice(0, d.processes);
  const hosts = plan.cfgs.map((_, k) => active[k % active.length]);
  const epochs: bigint[] = [];
  for (let k = 0; k < hosts.length; k++) epochs.push(await setAssign(k, hosts[k]));
  coord = new TickCoordinator(memoryAccess(d.memory, plan), { hosts, epochs });
  nc.subscribe(n.results, { callback: onMsg((m) => onResult(m.data, n.senderOf(m.subject))) });
  // the committed Results of the last tick, for a process that missed one whose sender is gone
  // (at most resendLimits: resend-gate.ts)
  const gate = new ResendGate(d.resendLimits);
  nc.subscribe(n.resend, {
    callback: (e, m) => {
      if (e) return;
      if (!gate.admit()) {
        stat[STAT.RESEND_DROPPED] = gate.dropped;
        return;
      }
      try {
        const req = JSON.parse(new TextDecoder().decode(m.data)) as { tick?: unknown; regions?: unknown };
        const last = coord.lastCommitted;
        if (req.tick !== last.tick || !Array.isArray(req.regions)) return;
        for (const k of req.regions) {
          const bytes = typeof k === 'number' ? last.bytes.get(k) : undefined;
          if (bytes && gate.answer(last.tick, k)) publishParts(nc, n.result(COORDINATOR_ID, k), bytes, last.tick, k, coord.epochs[k]);
        }
      } catch {
        rejected.BAD_VALUE = (rejected.BAD_VALUE ?? 0) + 1; // not JSON: ignored, counted
        stat[STAT.REJECTED]++;
      }
    },
  });
  await nc.flush();
  const copy = new Uint8Array(d.copy);
  await Promise.all(
    ids.map(async (id) => {
      const parts = splitParts(copy, 0, 255, 0n);
      for (let i = 0; i < parts.length; i++) {
        const r = new TextDecoder().decode((await nc.request(n.snap(id), parts[i], { timeout: d.joinTimeoutMs })).data);
        if (i === parts.length - 1 ? r !== 'ready' : r !== 'part') throw new ClusterError('BAD_VALUE', `${id} refused its copy of the world: ${r}`);
      }
    }),
  );
  log('info', { world: d.world, hosts, epochs: epochs.map(String), standbys: ids.filter((id) => !active.includes(id)) }, 'cluster world assigned');
}

async function main(): Promise<void> {
  try {
    await start();
  } catch (e) {
    parentPort?.postMessage({ type: 'error', message: (e as Error).message });
    return;
  }
  parentPort?.postMessage({ type: 'ready' });
  parentPort?.on('message', (m: { type: string }) => {
    if (m.type === 'stats')
      parentPort?.postMessage({
        type: 'stats',
        rejected: { ...rejected }, // every refusal (accept's included: onResult counts what it throws)
        rejectedTotal: stat[STAT.REJECTED], // read at the same moment as rejected
        hosts: [...coord.hosts],
        epochs: coord.epochs.map(String),
      });
  });
  let last = 0;
  for (;;) {
    const w = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string } }).waitAsync(
      ctl,
      CTL.REQ,
      last,
    );
    if (w.async) await w.value;
    const req = Atomics.load(ctl, CTL.REQ);
    if (req === last) continue;
    last = req;
    if (req < 0) {
      await nc.drain().catch(() => undefined);
      break; // closing
    }
    try {
      await runTick(req - 1);
      Atomics.store(ctl, CTL.DONE, req);
    } catch (e) {
      log('error', { tick: req - 1, err: (e as Error).message }, 'cluster tick failed');
      d.failures.postMessage({ message: (e as Error).message });
      Atomics.store(ctl, CTL.ERR, req);
    }
    Atomics.notify(ctl, CTL.DONE);
  }
}

void main();
