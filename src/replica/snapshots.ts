/**
 * Snapshots of a replicated world on a JetStream object store (issue 19): what lets a replica
 * start late, after the log's start was trimmed, or resynchronise after a mismatch, without
 * replaying the log from tick 0.
 *
 *   leader: WorldLoop.step -> ReplicatedLogStore.appendTick -> afterAppend(t) -> SnapshotPublisher
 *             every `every` ticks: capture (tick thread: MainSim.save + stream state)
 *                                  -> wait until tick t is in the log -> encode, SHA-256 (WebCrypto,
 *                                     thread pool), put in 128 KiB chunks (async, between ticks)
 *             object store TESSERA_SNAP_<world> (file storage), object `tick-<t, 10 digits>`,
 *             the newest `keep` kept, older ones deleted after each put
 *   replica: newest snapshot whose tick the log still holds -> verify -> restore -> hash == log hash at t?
 *             -> follow the log from t + 1 (replica-node.ts)
 *
 * A snapshot holds what a WorldFollower (follower.ts) needs to go on from tick t + 1 and later to
 * `promote()`: the world after closed tick t (MainSim.save: physics and game tables), the event
 * stream's state at the start of tick t + 1 as a replica sees it (seed, next public id, the
 * clients with their private ids, no open-tick events), the derived events tick t produced (they
 * belong to tick t + 1: promote publishes them), the stream name, t, and the hash after t.
 *
 * Bytes (little-endian), version 1:
 *
 *   0  "TSNP"                         magic
 *   4  u32 version (1)
 *   8  u32 tick t                      the closed tick the state follows
 *   12 u32 0                           reserved
 *   16 u64 hash                        MainSim.hash() after tick t (= the log's hash of tick t)
 *   24 u32 body bytes                  = total - 64
 *   28 u32 0                           reserved
 *   32 32 bytes SHA-256 of the body
 *   64 body: u32 n | meta JSON (n bytes: { stream, derived: [{type, body}] })
 *            | world snapshot (src/sim/world-snapshot.ts: stream state, game JSON, physics bytes:
 *              the same layout the SQLite snapshot path writes)
 *
 * Reading verifies before it trusts: length, magic, version, checksum, then the JSON, then the
 * world is restored and its hash must equal the header's, and (replica-node.ts) the header's hash
 * must equal the log's at tick t. Each failure is a SnapshotError with its code; the replica
 * then falls back to the previous snapshot, or to tick 0 while the log still holds it.
 */
import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { Objm, StorageType, type ObjectStore } from '@nats-io/obj';
import type { Logger } from 'pino';
import { MainSim, type WorldSetup } from '../sim/main-sim';
import type { StreamState } from '../sim/stream';
import type { WorldLoop } from '../sim/world-loop';
import { decodeWorldSnapshot, encodeWorldSnapshot } from '../sim/world-snapshot';
import { WORLD_ID } from '../cluster/subjects';

/** Magic of a replica snapshot ("TSNP"). */
export const SNAPSHOT_MAGIC = 0x504e5354;
/** The format version this build writes and reads. */
export const SNAPSHOT_VERSION = 1;
/** Header bytes before the body. */
export const SNAPSHOT_HEADER_BYTES = 64;
/** Default largest snapshot put or read, bytes (256 MiB). */
export const DEFAULT_SNAPSHOT_MAX_BYTES = 256 << 20;

/**
 * Why a snapshot was refused or not written: SNAP_TRUNCATED (shorter than its header says),
 * SNAP_FORMAT (not a snapshot: magic, JSON or layout), SNAP_VERSION (another format version),
 * SNAP_CHECKSUM (body differs from its SHA-256), SNAP_HASH (restores to another hash than its
 * header's), SNAP_LOG_HASH (its hash is not the log's at its tick: another history or a forgery),
 * SNAP_NOT_IN_LOG (the log no longer, or not yet, holds its tick), SNAP_STREAM (another world
 * stream), SNAP_TOO_BIG (over the size bound), SNAP_READ (the object store could not give it).
 */
export type SnapshotErrorCode =
  | 'SNAP_TRUNCATED'
  | 'SNAP_FORMAT'
  | 'SNAP_VERSION'
  | 'SNAP_CHECKSUM'
  | 'SNAP_HASH'
  | 'SNAP_LOG_HASH'
  | 'SNAP_NOT_IN_LOG'
  | 'SNAP_STREAM'
  | 'SNAP_TOO_BIG'
  | 'SNAP_READ';

/** A snapshot refused (or not written), with its code. */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
  constructor(
    readonly code: SnapshotErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** A replica snapshot, decoded (module comment). */
export interface ReplicaSnapshot {
  /** World stream name (the host's main stream, 'world'). */
  stream: string;
  /** The closed tick t the state follows: a replica goes on from t + 1. */
  tick: number;
  /** MainSim.hash() after tick t. */
  hash: bigint;
  /** The stream's state at the start of tick t + 1 (tick = t + 1, pending = []). */
  state: StreamState;
  /** Derived events of tick t (published into tick t + 1 by promote). */
  derived: Array<{ type: string; body: string }>;
  /** MainSim.save() after tick t. */
  world: { physics: Uint8Array; game: string };
}

/**
 * The snapshot of a leader's world loop taken right after it closed tick `loop.stream.tick - 1`
 * (inside WorldLoop.step, when the store appends the tick: the open tick then holds only the
 * clients' deferred '_d' events and the tick's derived events). The stream state is the one a
 * replica following the log has: a client whose '_d' is pending is still connected (the '_d' is
 * tick t + 1's), no open-tick events. Throws RangeError at tick 0 (nothing closed yet).
 */
export function captureSnapshot(loop: WorldLoop): ReplicaSnapshot {
  const open = loop.stream.tick;
  if (open < 1) throw new RangeError('captureSnapshot: no closed tick yet');
  const st = loop.stream.exportState();
  const leaving = new Set(st.pending.filter((e) => e.type === '_d' && e.origin === 0).map((e) => Number(e.body)));
  const state: StreamState = {
    seed: st.seed,
    tick: open,
    nextId: st.nextId,
    clients: st.clients.map((c) => ({ ...c, connected: c.connected || leaving.has(c.publicId), leaving: false })),
    pending: [],
  };
  const derived = st.pending.filter((e) => !(e.type === '_d' && e.origin === 0)).map((e) => ({ type: e.type, body: e.body }));
  return { stream: loop.stream.name, tick: open - 1, hash: loop.sim.hash(), state, derived, world: loop.sim.save() };
}

/** The snapshot's bytes with a zero checksum (encodeSnapshot fills it). Throws as encodeSnapshot. */
function layout(s: ReplicaSnapshot): Uint8Array {
  if (!Number.isInteger(s.tick) || s.tick < 0 || s.tick > 0xfffffffe) throw new RangeError(`snapshot tick ${s.tick} is not a u32`);
  if (s.state.tick !== s.tick + 1) throw new RangeError(`snapshot of tick ${s.tick} carries a stream state of tick ${s.state.tick}`);
  const meta = Buffer.from(JSON.stringify({ stream: s.stream, derived: s.derived }), 'utf8');
  const world = encodeWorldSnapshot({ stream: s.state, game: s.world.game, physics: s.world.physics });
  const bodyBytes = 4 + meta.length + world.byteLength;
  const out = new Uint8Array(SNAPSHOT_HEADER_BYTES + bodyBytes);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, SNAPSHOT_MAGIC, true);
  dv.setUint32(4, SNAPSHOT_VERSION, true);
  dv.setUint32(8, s.tick, true);
  dv.setBigUint64(16, BigInt.asUintN(64, s.hash), true);
  dv.setUint32(24, bodyBytes, true);
  dv.setUint32(SNAPSHOT_HEADER_BYTES, meta.length, true);
  out.set(meta, SNAPSHOT_HEADER_BYTES + 4);
  out.set(world, SNAPSHOT_HEADER_BYTES + 4 + meta.length);
  return out;
}

/** Encodes a snapshot (module comment for the layout). Throws RangeError for a tick out of u32 range or a state of another tick. */
export function encodeSnapshot(s: ReplicaSnapshot): Uint8Array {
  const out = layout(s);
  out.set(createHash('sha256').update(out.subarray(SNAPSHOT_HEADER_BYTES)).digest(), 32);
  return out;
}

/**
 * encodeSnapshot with the SHA-256 computed by WebCrypto (`crypto.subtle.digest`, on libuv's
 * thread pool in Node), so that the hashing of a large snapshot does not hold up the event loop.
 */
export async function encodeSnapshotAsync(s: ReplicaSnapshot): Promise<Uint8Array> {
  const out = layout(s);
  const body = out.subarray(SNAPSHOT_HEADER_BYTES) as Uint8Array<ArrayBuffer>;
  out.set(new Uint8Array(await crypto.subtle.digest('SHA-256', body)), 32);
  return out;
}

/** The header of snapshot bytes: tick and hash, after checking length, magic and version (not the checksum). Throws SnapshotError. */
export function snapshotHeader(bytes: Uint8Array): { tick: number; hash: bigint; bodyBytes: number } {
  if (bytes.byteLength < SNAPSHOT_HEADER_BYTES)
    throw new SnapshotError('SNAP_TRUNCATED', `${bytes.byteLength} bytes, shorter than the ${SNAPSHOT_HEADER_BYTES}-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== SNAPSHOT_MAGIC) throw new SnapshotError('SNAP_FORMAT', 'not a replica snapshot (magic is not "TSNP")');
  const version = dv.getUint32(4, true);
  if (version !== SNAPSHOT_VERSION) throw new SnapshotError('SNAP_VERSION', `format version ${version}; this build reads version ${SNAPSHOT_VERSION}`);
  const bodyBytes = dv.getUint32(24, true);
  if (SNAPSHOT_HEADER_BYTES + bodyBytes > bytes.byteLength)
    throw new SnapshotError('SNAP_TRUNCATED', `${bytes.byteLength} bytes, the header says ${SNAPSHOT_HEADER_BYTES + bodyBytes}`);
  if (SNAPSHOT_HEADER_BYTES + bodyBytes < bytes.byteLength)
    throw new SnapshotError('SNAP_FORMAT', `${bytes.byteLength} bytes, the header says ${SNAPSHOT_HEADER_BYTES + bodyBytes}`);
  return { tick: dv.getUint32(8, true), hash: dv.getBigUint64(16, true), bodyBytes };
}

/**
 * Decodes snapshot bytes after checking the header and the body's SHA-256. Does not restore the
 * world (see restoreSnapshot). Throws SnapshotError SNAP_TRUNCATED, SNAP_FORMAT, SNAP_VERSION,
 * SNAP_CHECKSUM.
 */
export function decodeSnapshot(bytes: Uint8Array): ReplicaSnapshot {
  const { tick, hash } = snapshotHeader(bytes);
  const body = bytes.subarray(SNAPSHOT_HEADER_BYTES);
  const want = bytes.subarray(32, 64);
  if (!createHash('sha256').update(body).digest().equals(want))
    throw new SnapshotError('SNAP_CHECKSUM', `snapshot of tick ${tick}: the body's SHA-256 differs from its header's`);
  try {
    const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const n = dv.getUint32(0, true);
    if (4 + n > body.byteLength) throw new RangeError('meta JSON truncated');
    const meta = JSON.parse(Buffer.from(body.buffer, body.byteOffset + 4, n).toString('utf8')) as { stream: unknown; derived: unknown };
    if (typeof meta.stream !== 'string' || !Array.isArray(meta.derived)) throw new RangeError('meta JSON lacks stream or derived');
    const derived = (meta.derived as unknown[]).map((d) => {
      const e = d as { type: unknown; body: unknown };
      if (typeof e?.type !== 'string' || typeof e.body !== 'string') throw new RangeError('a derived event is not {type, body}');
      return { type: e.type, body: e.body };
    });
    const w = decodeWorldSnapshot(body.subarray(4 + n));
    if (typeof w.stream?.seed !== 'string' || w.stream.tick !== tick + 1 || !Array.isArray(w.stream.clients))
      throw new RangeError(`stream state of tick ${String(w.stream?.tick)} in a snapshot of tick ${tick}`);
    return { stream: meta.stream, tick, hash, state: { ...w.stream, pending: [] }, derived, world: { physics: w.physics, game: w.game } };
  } catch (e) {
    throw new SnapshotError('SNAP_FORMAT', `snapshot of tick ${tick}: ${(e as Error).message}`);
  }
}

/**
 * The world of snapshot `s` rebuilt on `setup` (the same scene as the leader's). Throws
 * SnapshotError SNAP_FORMAT when the physics or game bytes cannot be restored, SNAP_HASH when the
 * rebuilt world's hash is not the snapshot's (then the world is closed).
 */
export async function restoreSnapshot(setup: WorldSetup, s: ReplicaSnapshot): Promise<MainSim> {
  let sim: MainSim;
  try {
    sim = new MainSim(setup, s.world);
  } catch (e) {
    throw new SnapshotError('SNAP_FORMAT', `snapshot of tick ${s.tick}: the world cannot be restored: ${(e as Error).message}`);
  }
  const h = sim.hash();
  if (h !== s.hash) {
    await sim.close();
    throw new SnapshotError('SNAP_HASH', `snapshot of tick ${s.tick} restores to hash ${h.toString(16)}, its header says ${s.hash.toString(16)}`);
  }
  return sim;
}

/** Settings of a world's snapshot store. */
export interface SnapshotStoreOptions {
  /** World id (as the log's, jetstream-log.ts logNames). */
  world: string;
  /** Object store replicas, as the NATS cluster allows. Default 1. */
  replicas?: number;
  /** Largest snapshot put or read, bytes. Default DEFAULT_SNAPSHOT_MAX_BYTES. */
  maxBytes?: number;
}

/** A stored snapshot's name, tick and size. */
export interface SnapshotEntry {
  name: string;
  tick: number;
  bytes: number;
}

/** The object store (bucket) of world `world`'s snapshots. */
export function snapshotBucket(world: string): string {
  return `TESSERA_SNAP_${world}`;
}

/** Object name of the snapshot of tick `tick` (10 digits: names sort as ticks do). */
export function snapshotName(tick: number): string {
  return `tick-${String(tick).padStart(10, '0')}`;
}

/** The snapshots of one world in its JetStream object store (module comment). */
export class SnapshotStore {
  private constructor(
    private readonly os: ObjectStore,
    readonly bucket: string,
    readonly maxBytes: number,
  ) {}

  /** Opens (creating if needed) the object store of `opts.world`. Throws RangeError for a bad world id or size bound; NATS errors without JetStream. */
  static async open(nc: NatsConnection, opts: SnapshotStoreOptions): Promise<SnapshotStore> {
    if (!WORLD_ID.test(opts.world)) throw new RangeError(`world id ${JSON.stringify(opts.world)}: letters, digits, '_' and '-' only (1-64)`);
    const maxBytes = opts.maxBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES;
    if (!(Number.isInteger(maxBytes) && maxBytes >= SNAPSHOT_HEADER_BYTES))
      throw new RangeError(`maxBytes must be an integer >= ${SNAPSHOT_HEADER_BYTES}, got ${maxBytes}`);
    const bucket = snapshotBucket(opts.world);
    const os = await new Objm(nc).create(bucket, { storage: StorageType.File, replicas: opts.replicas ?? 1 });
    return new SnapshotStore(os, bucket, maxBytes);
  }

  /** The stored snapshots, newest tick first (names that are not `tick-<n>` are ignored). */
  async list(): Promise<SnapshotEntry[]> {
    const out: SnapshotEntry[] = [];
    for (const i of await this.os.list()) {
      const m = /^tick-(\d{10})$/.exec(i.name);
      if (!m || i.deleted) continue;
      out.push({ name: i.name, tick: Number(m[1]), bytes: i.size });
    }
    return out.sort((a, b) => b.tick - a.tick);
  }

  /**
   * Stores encoded snapshot `bytes` as the snapshot of its header's tick. Rejects with
   * SnapshotError SNAP_TOO_BIG over maxBytes (nothing is stored), or the NATS error.
   */
  async put(bytes: Uint8Array): Promise<SnapshotEntry> {
    const { tick } = snapshotHeader(bytes);
    if (bytes.byteLength > this.maxBytes)
      throw new SnapshotError('SNAP_TOO_BIG', `snapshot of tick ${tick} is ${bytes.byteLength} bytes, over the bound of ${this.maxBytes}`);
    const name = snapshotName(tick);
    await this.os.putBlob({ name, description: `tessera world snapshot after tick ${tick}` }, bytes);
    return { name, tick, bytes: bytes.byteLength };
  }

  /** Stores raw bytes under `name` (tests: a forged or damaged snapshot). */
  async putRaw(name: string, bytes: Uint8Array): Promise<void> {
    await this.os.putBlob({ name }, bytes);
  }

  /**
   * The bytes of snapshot `name`. Rejects with SnapshotError SNAP_READ when it is missing or the
   * object store refuses it (its own digest check), SNAP_TOO_BIG over maxBytes (not read).
   */
  async read(name: string): Promise<Uint8Array> {
    const info = await this.os.info(name).catch(() => null);
    if (!info || info.deleted) throw new SnapshotError('SNAP_READ', `${this.bucket}: no snapshot ${name}`);
    if (info.size > this.maxBytes) throw new SnapshotError('SNAP_TOO_BIG', `${this.bucket}/${name} is ${info.size} bytes, over the bound of ${this.maxBytes}`);
    try {
      const b = await this.os.getBlob(name);
      if (!b) throw new Error('gone');
      return b;
    } catch (e) {
      throw new SnapshotError('SNAP_READ', `${this.bucket}/${name}: ${(e as Error).message}`);
    }
  }

  /** Deletes snapshot `name` (an operator's or a test's clean-up). */
  async remove(name: string): Promise<void> {
    await this.os.delete(name);
  }

  /**
   * Deletes all but the newest `keep` snapshots of ticks <= `upTo`, and every snapshot of a tick
   * after `upTo` (the leader's newest tick: a snapshot beyond it is left from another life of the
   * world id, or forged, and would otherwise push the genuine ones out). Resolves with the names
   * deleted.
   */
  async prune(keep: number, upTo = Number.MAX_SAFE_INTEGER): Promise<string[]> {
    const all = await this.list();
    const old = [...all.filter((e) => e.tick > upTo), ...all.filter((e) => e.tick <= upTo).slice(keep)];
    for (const e of old) await this.os.delete(e.name);
    return old.map((e) => e.name);
  }
}

/** Settings of a leader's snapshots. */
export interface SnapshotPublisherOptions {
  /** Ticks between snapshots (a snapshot after every tick t with (t + 1) % every === 0). */
  every: number;
  /** Snapshots kept; older ones are deleted after each put. Default 3. */
  keep?: number;
  /** The newest tick JetStream acknowledged (a snapshot is put once its tick is in the log). */
  replicatedTick: () => number;
  log: Logger;
  world: string;
  /** Longest wait for the snapshot's tick to reach the log before it is dropped, ms. Default 30,000. */
  logWaitMs?: number;
}

/** A leader's snapshot figures. */
export interface SnapshotStats {
  /** Snapshots stored. */
  put: number;
  /** Snapshots that could not be stored (NATS, too big, tick not in the log in time). */
  failed: number;
  /** Periodic snapshots skipped because the previous one was still being stored. */
  skipped: number;
  /**
   * Periodic snapshots not taken because the state tick was not a checkpoint tick of the world's
   * object scripts (SnapshotPublisher.afterAppend): `every` is not a multiple of checkpointEvery.
   */
  offCheckpoint: number;
  /** Tick of the newest stored snapshot, or -1. */
  tick: number;
  /** Size of the newest stored snapshot, bytes. */
  bytes: number;
  /** Time on the tick thread to capture it (MainSim.save and the stream state), ms. */
  captureMs: number;
  /** Time from the capture to the object store's acknowledgement (waiting for the log, encoding, SHA-256, put), ms. */
  putMs: number;
}

/**
 * The leader's snapshots (module comment): `afterAppend(loop)` after each closed tick, from the
 * ReplicatedLogStore; at most one snapshot is being stored at a time (a periodic one due
 * meanwhile is skipped and counted).
 */
export class SnapshotPublisher {
  private busy: Promise<void> | null = null;
  private nextWanted: Array<() => void> = [];
  readonly figures: SnapshotStats = { put: 0, failed: 0, skipped: 0, offCheckpoint: 0, tick: -1, bytes: 0, captureMs: 0, putMs: 0 };
  private readonly keep: number;

  /** Throws RangeError for `every` < 1 or `keep` < 1. */
  constructor(
    private readonly store: SnapshotStore,
    private readonly o: SnapshotPublisherOptions,
  ) {
    this.keep = o.keep ?? 3;
    if (!(Number.isInteger(o.every) && o.every >= 1)) throw new RangeError(`snapshot every must be an integer >= 1 tick, got ${o.every}`);
    if (!(Number.isInteger(this.keep) && this.keep >= 1)) throw new RangeError(`snapshots kept must be an integer >= 1, got ${this.keep}`);
  }

  /**
   * Called after the loop closed and logged a tick (inside WorldLoop.step). In a world with object
   * scripts a snapshot is taken only at a checkpoint tick (state tick a multiple of the scripts'
   * checkpointEvery, src/script/world-scripts.ts): a restore rebuilds every sandbox from source and
   * store, which is the leader's sandbox only right after a checkpoint; from any other tick a
   * script's closure state (a top-level `let` counter) would restart on the replica and its copy
   * would differ from the log at that script's next call. A periodic snapshot due off a checkpoint
   * is not taken (counted in offCheckpoint, warned once); a wanted one (snapshotAtNextTick) waits
   * for the next checkpoint tick (or its timeout).
   */
  afterAppend(loop: WorldLoop): void {
    const wanted = this.nextWanted.length > 0;
    if (!wanted && loop.stream.tick % this.o.every !== 0) return;
    const scripts = loop.sim.scripts;
    if (scripts && scripts.size > 0 && loop.sim.tick % scripts.checkpointEvery !== 0) {
      if (wanted) return;
      if (this.figures.offCheckpoint++ === 0)
        this.o.log.warn(
          { world: this.o.world, tick: loop.stream.tick - 1, every: this.o.every, checkpointEvery: scripts.checkpointEvery },
          'replication: a snapshot is taken only at a checkpoint tick of the object scripts: make the snapshot interval a multiple of the checkpoint interval',
        );
      return;
    }
    if (this.busy && !wanted) {
      this.figures.skipped++;
      return;
    }
    const waiters = this.nextWanted.splice(0);
    const t0 = performance.now();
    let snap: ReplicaSnapshot;
    try {
      snap = captureSnapshot(loop);
    } catch (e) {
      this.figures.failed++;
      this.o.log.warn({ world: this.o.world, err: (e as Error).message }, 'replication: a snapshot could not be taken');
      this.onCaptured.length = 0;
      for (const w of waiters) w();
      return;
    }
    this.figures.captureMs = performance.now() - t0;
    for (const f of this.onCaptured.splice(0)) f();
    const prev = this.busy ?? Promise.resolve();
    const job = prev.then(() => this.store1(snap, t0));
    this.busy = job;
    void job.finally(() => {
      if (this.busy === job) this.busy = null;
      for (const w of waiters) w();
    });
  }

  /** Waits for the snapshot's tick to be in the log, encodes it (SHA-256 off the event loop), stores it, prunes. */
  private async store1(snap: ReplicaSnapshot, t0: number): Promise<void> {
    const tick = snap.tick;
    try {
      const until = performance.now() + (this.o.logWaitMs ?? 30_000);
      while (this.o.replicatedTick() < tick) {
        if (performance.now() > until) throw new SnapshotError('SNAP_NOT_IN_LOG', `tick ${tick} did not reach the log in time`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const bytes = await encodeSnapshotAsync(snap);
      await this.store.put(bytes);
      const putMs = performance.now() - t0;
      const pruned = await this.store.prune(this.keep, tick).catch((e: Error) => {
        this.o.log.warn({ world: this.o.world, err: e.message }, 'replication: old snapshots could not be deleted');
        return [];
      });
      this.figures.putMs = putMs;
      this.figures.put++;
      this.figures.tick = tick;
      this.figures.bytes = bytes.byteLength;
      this.o.log.info(
        {
          world: this.o.world,
          tick,
          bytes: bytes.byteLength,
          captureMs: +this.figures.captureMs.toFixed(2),
          putMs: Math.round(this.figures.putMs),
          pruned: pruned.length,
        },
        'replication: snapshot stored',
      );
    } catch (e) {
      this.figures.failed++;
      this.o.log.warn({ world: this.o.world, tick, err: (e as Error).message }, 'replication: a snapshot was not stored');
    }
  }

  /**
   * Takes a snapshot after the next closed tick (a graceful stop) and resolves once it is stored
   * or failed, or after `timeoutMs` when no tick closes. `onCaptured` runs right after the capture,
   * inside that tick (serve stops the tick timer there: Host.stopTicks).
   */
  snapshotAtNextTick(timeoutMs = 5_000, onCaptured?: () => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.nextWanted.push(() => {
        clearTimeout(t);
        resolve();
      });
      if (onCaptured) this.onCaptured.push(onCaptured);
    });
  }
  /** Called right after the next capture, inside its tick (snapshotAtNextTick's `onCaptured`). */
  private onCaptured: Array<() => void> = [];

  /** Resolves when no snapshot is being stored. */
  async idle(): Promise<void> {
    while (this.busy) await this.busy;
  }
}
