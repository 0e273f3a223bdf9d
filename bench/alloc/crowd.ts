/**
 * A fixed, seeded crowd driving one InterestPublisher the way the fan-out does (update once per
 * tick, then messageFor + bytes per client, acks between ticks), without sockets or physics: for
 * counting what the interest and encode path allocates per client per tick (run-alloc.ts) and for
 * checking that the bytes every client receives do not change (test/interest-alloc.test.ts).
 *
 *   world: `bodies` boxes in a square of `side` m (default 160 m, 10 x 10 cells of 16 m) plus a
 *   plane; each tick half of them take a small step (mm-scale, raw Q10 positions), 1 % jump
 *   across cells, 0.2 % die and their slot is reused one tick later with a higher generation.
 *   clients: centres picked among `spots` points (so several clients share a cell and a radius),
 *   radius 1 or 2 cells; every `moveEvery` ticks 10 % of them move to another spot; half decode
 *   packed deltas; each acks the tick it received with probability `ackRate` (lost acks
 *   otherwise), the ack arriving before the next tick's messages.
 */
import { createBodyTable, type BodyTable } from '../../src/physics/body-table';
import { InterestPublisher, type ClientView } from '../../src/sim/interest';
import { mulberry32 } from '../math/inputs';

/** Crowd options (counts; side in metres). */
export interface CrowdOptions {
  clients: number;
  bodies: number;
  seed: number;
  side?: number;
  spots?: number;
  moveEvery?: number;
  ackRate?: number;
  /** Byte budget of every view (0 = none). */
  budget?: number;
}

/** A running crowd: `tick()` advances the world one tick and returns each client's message bytes (views of the publisher's encodings: read them before the next tick). */
export class Crowd {
  readonly table: BodyTable;
  readonly ip: InterestPublisher;
  readonly views: ClientView[] = [];
  private readonly rnd: () => number;
  private readonly alive: Uint8Array;
  private readonly gen: Int32Array;
  private readonly spotsX: number[] = [];
  private readonly spotsZ: number[] = [];
  private readonly out: Uint8Array[] = [];
  /** Tick each client last received (its next ack), or -1. */
  private readonly got: Int32Array;
  constructor(readonly o: CrowdOptions) {
    this.rnd = mulberry32(o.seed);
    const n = o.bodies + 1;
    this.table = createBodyTable(n);
    this.alive = new Uint8Array(n).fill(1);
    this.gen = new Int32Array(n);
    this.ip = new InterestPublisher({ cellSize: 16, budget: o.budget ?? 0 });
    const side = o.side ?? 160,
      q = side * 1024;
    const t = this.table;
    for (let s = 0; s < n; s++) {
      t.index[s] = s;
      t.gen[s] = 0;
      t.shape[s] = s === 0 ? 3 : 0;
      t.kind[s] = s === 0 ? 2 : 0;
      t.shard[s] = s === 0 ? -2 : s % 3;
      t.qw[s] = 32767;
      t.sx[s] = s === 0 ? 0 : 300 + (s % 7) * 50;
      t.sy[s] = 1024;
      t.asset[s] = -1;
      if (s > 0) this.place(s, q);
    }
    t.count = n;
    for (let k = 0; k < (o.spots ?? Math.max(1, o.clients >> 2)); k++) {
      this.spotsX.push(this.unit() * side - side / 2);
      this.spotsZ.push(this.unit() * side - side / 2);
    }
    for (let c = 0; c < o.clients; c++) {
      const k = this.int(this.spotsX.length);
      const v = this.ip.createView(this.spotsX[k], this.spotsZ[k], 1 + (c % 2));
      v.packed = c % 2 === 0;
      this.views.push(v);
    }
    this.got = new Int32Array(o.clients).fill(-1);
  }
  private unit(): number {
    return this.rnd() / 2 ** 32;
  }
  private int(n: number): number {
    return this.rnd() % n;
  }
  private place(s: number, q: number): void {
    const t = this.table;
    t.px[s] = Math.floor(this.unit() * q - q / 2);
    t.py[s] = 1024 + this.int(4096);
    t.pz[s] = Math.floor(this.unit() * q - q / 2);
  }
  /** Advances one tick: acks of the last tick, world step, update, every client's message. Returns the bytes per client (index = client). */
  tick(): Uint8Array[] {
    const t = this.table,
      ip = this.ip,
      o = this.o,
      q = (o.side ?? 160) * 1024,
      ackRate = o.ackRate ?? 0.9;
    for (let c = 0; c < this.views.length; c++) if (this.got[c] >= 0 && this.unit() < ackRate) ip.acknowledge(this.views[c], this.got[c]);
    for (let s = 1; s < t.count; s++) {
      const u = this.unit();
      if (!this.alive[s]) {
        this.alive[s] = 1;
        this.gen[s]++;
        t.gen[s] = this.gen[s];
        this.place(s, q);
        continue;
      }
      if (u < 0.002) {
        // dead for a tick: the row stays but moves far out of every view (a removal, then a reuse)
        this.alive[s] = 0;
        t.px[s] = 1 << 28;
        continue;
      }
      if (u < 0.5) continue;
      if (u < 0.51) this.place(s, q);
      else {
        t.px[s] += this.int(181) - 90;
        t.pz[s] += this.int(181) - 90;
        t.vx[s] = this.int(601) - 300;
        t.vz[s] = this.int(601) - 300;
      }
      if (u > 0.8) t.qy[s] = this.int(801) - 400;
    }
    t.tick++;
    ip.update(t);
    const every = o.moveEvery ?? 20;
    if (t.tick % every === 0)
      for (const v of this.views)
        if (this.unit() < 0.1) {
          const k = this.int(this.spotsX.length);
          ip.setInterest(v, this.spotsX[k], this.spotsZ[k], v.cells);
        }
    for (let c = 0; c < this.views.length; c++) {
      this.out[c] = ip.messageFor(this.views[c]).bytes;
      this.got[c] = t.tick;
    }
    return this.out;
  }
}
