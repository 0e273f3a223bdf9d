/**
 * bench:failover's snapshot audit (with TESSERA_FAILOVER_LOGS=<dir>): the hunt for a replica
 * started from a leader's snapshot that differs from the log some ticks later (issue 19; seen
 * once: snapshot 599, mismatch at tick 628, the same again after a resync from it).
 *
 * The bench's copy applies the whole log from tick 0 (test/helpers/replica.ts watchLog); the
 * audit gets every tick after the copy applied it (`onTick`) and
 *   - keeps the log's ticks (encoded LogTicks) and writes them to `<dir>/log.bin` at the end
 *     (u32 length, bytes; repeated), so a failure can be replayed offline
 *     (bench/failover/replay-snapshot.ts);
 *   - keeps the copy's saved state (MainSim.save()) after every tick of a window of `window`
 *     ticks from each snapshot tick (a tick t with (t + 1) % every === 0);
 *   - looks at the world's snapshot object store every second: each new snapshot is written to
 *     `<dir>/snap-<tick>.bin`, its world compared with the copy's saved state at its tick (a
 *     difference: the leader's state, or what it captured, is not the log's), then restored as a
 *     replica does and followed tick by tick from the kept log: its hash against the log's and
 *     its saved state against the copy's in the window (the first difference, before the hash
 *     shows it, is what a restore does not rebuild);
 *   - counts the ticks whose shard step overflowed its contact capacity (the first is noted).
 * Every finding is a line `snapcheck: ...` on stdout and in `<dir>/snapcheck.log`.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import type { WorldSetup } from '../../src/sim/main-sim';
import { WorldFollower } from '../../src/replica/follower';
import { decodeLogTick, encodeLogTick, type LoggedTick } from '../../src/replica/log-codec';
import { SnapshotStore, decodeSnapshot, restoreSnapshot } from '../../src/replica/snapshots';
import { stateDiff } from '../../test/helpers/state-diff';
import { SHARD_STATUS } from '../../src/physics/world-layout';

type Saved = { physics: Uint8Array; game: string };
/** A copy restored from a snapshot, following the log. */
type Restored = { from: number; f: WorldFollower; stateDiffered: boolean; hashDiffered: boolean };

/** The audit of one bench run (module comment). */
export class SnapshotAudit {
  private readonly ticks: Uint8Array[] = [];
  private readonly saves = new Map<number, Saved>();
  private readonly seen = new Set<string>();
  private readonly copies: Restored[] = [];
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  /** Ticks of the copy whose shard step overflowed its contact capacity. */
  overflowTicks = 0;
  /** Findings (also printed). */
  readonly findings: string[] = [];

  private constructor(
    private readonly store: SnapshotStore,
    private readonly setup: () => WorldSetup,
    private readonly dir: string,
    private readonly every: number,
    private readonly window: number,
  ) {}

  /** Opens the world's snapshot store and starts looking at it every second. */
  static async start(nc: NatsConnection, world: string, setup: () => WorldSetup, dir: string, every = 600, window = 80): Promise<SnapshotAudit> {
    const a = new SnapshotAudit(await SnapshotStore.open(nc, { world }), setup, dir, every, window);
    a.timer = setInterval(() => void a.poll(), 1000);
    a.note(`audit started (snapshots every ${every} ticks, state compared ${window} ticks after each)`);
    return a;
  }

  private note(s: string): void {
    const line = `snapcheck: ${s}`;
    this.findings.push(line);
    process.stdout.write(`${line}\n`);
    appendFileSync(join(this.dir, 'snapcheck.log'), `${line}\n`);
  }

  /** The copy applied `t` (its world is now after tick t). */
  onTick(t: LoggedTick, copy: WorldFollower): void {
    this.ticks[t.tick] = encodeLogTick(t);
    // a shard world whose candidate pairs or contacts overflowed its capacity in this tick
    if (copy.sim.world.lastStatus & SHARD_STATUS.WORLD_OVERFLOW) {
      if (this.overflowTicks++ === 0) this.note(`tick ${t.tick}: the copy's shard step overflowed its contact capacity (SHARD_STATUS.WORLD_OVERFLOW)`);
    }
    const inWindow = [...this.snapTicksNear(t.tick)].length > 0;
    if (inWindow) this.saves.set(t.tick, copy.sim.save());
    for (const c of this.copies) this.advance(c, t);
  }

  /** Snapshot ticks s with s <= tick < s + window. */
  private *snapTicksNear(tick: number): Generator<number> {
    for (let s = tick - ((tick + 1) % this.every); s > tick - this.window && s >= 0; s -= this.every) yield s;
  }

  private advance(c: Restored, t: LoggedTick): void {
    if (c.hashDiffered || t.tick !== c.f.stats().next) return;
    const ok = c.f.apply(t);
    if (!ok) {
      c.hashDiffered = true;
      this.note(
        `copy restored from snapshot ${c.from}: hash differs at tick ${t.tick} (log ${t.hash.toString(16)}, copy ${c.f.diverged?.replica.toString(16)})`,
      );
      return;
    }
    const ref = this.saves.get(t.tick);
    if (!c.stateDiffered && ref) {
      const d = stateDiff(ref, c.f.sim.save(), 12);
      if (d.length > 0) {
        c.stateDiffered = true;
        this.note(`copy restored from snapshot ${c.from}: saved state differs from the copy from tick 0 after tick ${t.tick}: ${d.join(' | ')}`);
      }
    }
    if (t.tick - c.from === this.window)
      this.note(`copy restored from snapshot ${c.from}: ${this.window} ticks followed, hash equal every tick${c.stateDiffered ? '' : ', state equal'}`);
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const e of await this.store.list()) {
        if (this.seen.has(e.name)) continue;
        this.seen.add(e.name);
        const bytes = await this.store.read(e.name);
        writeFileSync(join(this.dir, `snap-${e.tick}.bin`), bytes);
        const snap = decodeSnapshot(bytes);
        const ref = this.saves.get(snap.tick);
        if (!ref) this.note(`snapshot ${snap.tick}: no state of the copy at its tick to compare with`);
        else {
          const d = stateDiff(ref, snap.world, 12);
          this.note(
            d.length === 0
              ? `snapshot ${snap.tick}: its world equals the copy's from tick 0 (physics without free records, game JSON)`
              : `snapshot ${snap.tick}: its world differs from the copy's from tick 0: ${d.join(' | ')}`,
          );
        }
        const sim = await restoreSnapshot(this.setup(), snap);
        const c: Restored = { from: snap.tick, f: WorldFollower.fromSnapshot(sim.setup, snap, sim), stateDiffered: false, hashDiffered: false };
        this.copies.push(c);
        // catch up from the kept log; later ticks come through onTick
        for (let k = snap.tick + 1; k < this.ticks.length && this.ticks[k]; k++) this.advance(c, decodeLogTick(this.ticks[k]));
      }
    } catch (e) {
      this.note(`audit error: ${(e as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  /** Stops looking, writes the kept log to `<dir>/log.bin`, closes the restored copies. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.note(`${this.ticks.length} ticks kept; ${this.overflowTicks} of them overflowed the contact capacity`);
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
    await this.poll(); // a snapshot stored in the last second
    const parts: Buffer[] = [];
    for (const t of this.ticks) {
      if (!t) continue;
      const n = Buffer.alloc(4);
      n.writeUInt32LE(t.byteLength, 0);
      parts.push(n, Buffer.from(t));
    }
    writeFileSync(join(this.dir, 'log.bin'), Buffer.concat(parts));
    for (const c of this.copies) await c.f.close();
  }
}

/** Reads `<dir>/log.bin` (SnapshotAudit.stop) back into ticks. */
export function readLogFile(bytes: Buffer): LoggedTick[] {
  const out: LoggedTick[] = [];
  for (let at = 0; at + 4 <= bytes.byteLength; ) {
    const n = bytes.readUInt32LE(at);
    out.push(decodeLogTick(new Uint8Array(bytes.buffer, bytes.byteOffset + at + 4, n)));
    at += 4 + n;
  }
  return out;
}
