/**
 * One tick of the world stream, without networking: close the stream's tick, apply its events
 * to the main sim (physics commands -> shards -> step), publish the derived events into the
 * next tick, and index the new state for interest. The host (src/net/) calls `step()` on its
 * clock and fans the result out; tests and replays call it directly.
 *
 *   stream.advance() -> tick t's events -> MainSim.apply -> state t+1 -> body table -> interest
 *                                               \-> '_h' events -> stream (tick t+1)
 *
 * Every `snapshotEvery` ticks the loop records a stream snapshot for catch-up: the game state
 * a client needs to resume (connected public ids and their avatars, the RNG state), as JSON.
 */
import { createBodyTable, type BodyTable } from '../physics/body-table';
import type { StreamEvent } from '../protocol/messages';
import { InterestPublisher, type InterestOptions } from './interest';
import { MainSim, handleText, type Refusal, type WorldSetup } from './main-sim';
import type { EventStream } from './stream';

/** What one step produced. */
export interface StepResult {
  /** The closed tick and its events in canonical order. */
  tick: number;
  events: readonly StreamEvent[];
  refused: Refusal[];
  /** Main sim state hash after the tick (state tick + 1). */
  hash: bigint;
  /** Wall time of the step, ms. */
  ms: number;
}

/** Options of a world loop. */
export interface WorldLoopOptions {
  interest?: InterestOptions;
  /** Ticks between catch-up snapshots. Default 100 (5 s at 20 Hz). */
  snapshotEvery?: number;
  /** Closed ticks of events kept in memory (older ones are covered by a snapshot). Default: all. */
  retainTicks?: number;
}

/** The world stream's tick: stream + main sim + interest. */
export class WorldLoop {
  readonly sim: MainSim;
  readonly interest: InterestPublisher;
  readonly table: BodyTable;
  /** Slot -> row of the current body table (-1 when the slot is free). */
  readonly rowOfSlot: Int32Array;
  private readonly snapshotEvery: number;
  private readonly retainTicks: number;

  constructor(readonly stream: EventStream, setup: WorldSetup, opts: WorldLoopOptions = {}) {
    this.sim = new MainSim(setup);
    this.interest = new InterestPublisher(opts.interest);
    this.table = createBodyTable(this.sim.world.capacity);
    this.rowOfSlot = new Int32Array(this.sim.world.capacity).fill(-1);
    this.snapshotEvery = opts.snapshotEvery ?? 100;
    this.retainTicks = opts.retainTicks ?? Infinity;
    if (stream.tick !== 0 || this.sim.tick !== 0) throw new RangeError('a world loop starts with a fresh stream and world');
    this.index();
  }

  private index(): void {
    this.rowOfSlot.fill(-1);
    this.sim.world.readBodies(this.table);
    for (let r = 0; r < this.table.count; r++) this.rowOfSlot[this.table.index[r]] = r;
    this.interest.update(this.table);
  }

  /** Position (m) of a client's avatar in the current state, or null. */
  avatarPosition(publicId: number): [number, number, number] | null {
    const h = this.sim.avatars.get(publicId);
    if (h === undefined) return null;
    const r = this.rowOfSlot[Number(h & 0xffffffffn)];
    if (r < 0) return null;
    return [this.table.px[r] / 1024, this.table.py[r] / 1024, this.table.pz[r] / 1024];
  }

  /** Closes the stream's tick, steps the world and indexes the new state. */
  step(): StepResult {
    const t0 = performance.now();
    const closed = this.stream.advance();
    const res = this.sim.apply(closed.tick, closed.events);
    for (const d of res.derived) this.stream.publishServer(d.type, d.body);
    this.index();
    const next = this.stream.tick;
    if (next % this.snapshotEvery === 0) {
      const payload = this.snapshotPayload();
      this.stream.addSnapshot(next, payload.length + 16, payload);
      if (Number.isFinite(this.retainTicks) && next > this.retainTicks) this.stream.trimBefore(next - this.retainTicks);
    }
    return { tick: closed.tick, events: closed.events, refused: res.refused, hash: this.sim.hash(), ms: performance.now() - t0 };
  }

  /** The catch-up snapshot of the current state (start of the stream's open tick), JSON. */
  snapshotPayload(): string {
    const avatars = [...this.sim.avatars].sort((a, b) => a[0] - b[0]).map(([p, h]) => [p, handleText(h)]);
    return JSON.stringify({ tick: this.stream.tick, hash: this.sim.hash().toString(16), avatars });
  }

  /** Stops the shard workers. */
  async close(): Promise<void> { await this.sim.close(); }
}
