/**
 * A client of the packed and predicted delta tests (test/interest-packed.test.ts,
 * test/interest-predicted.test.ts): it applies each state message to the mirror of its base, as
 * the client library does, under loss and late, reordered acks; and the comparisons of what it
 * holds with the full stream and with the host's record of it.
 */
import { type ClientView, type InterestPublisher, type Mirror, applyToMirror } from '../../src/sim/interest';
import { predictSpan, unpackBodies, unpackPredicted } from '../../src/sim/packed-state';
import { decodeServer } from '../../src/protocol/codec';
import type { BodyState, ServerMessage } from '../../src/protocol/messages';
import type { BodyTable } from '../../src/physics/body-table';
import { mulberry32 } from './bigref';

/** A snapshot or delta value. */
export type StateMsg = Extract<ServerMessage, { kind: 'snapshot' | 'delta' }>;

/**
 * A simulated client's acknowledgements (test/interest-budget.test.ts and Client below): each
 * arrives 1..maxDelay ticks after the tick it was received on, those arriving on one tick in
 * random order (the publisher keeps the newest: reordering). `r` is the client's random source
 * in [0, 1): one draw per ack queued, then the shuffle's draws, in that order.
 */
export class DelayedAcks {
  private acks: Array<{ at: number; tick: number }> = [];
  constructor(
    private readonly r: () => number,
    private readonly maxDelay: number,
  ) {}
  /** Queues the ack of `tick`, received on tick `t`. */
  queue(t: number, tick: number): void {
    this.acks.push({ at: t + 1 + Math.floor(this.r() * this.maxDelay), tick });
  }
  /** Delivers to `pub` (for view `v`) the acks due on tick `t`, shuffled; drops `frames` older than t - 64. */
  deliver(t: number, pub: InterestPublisher, v: ClientView, frames: Map<number, Mirror>): void {
    const due = this.acks.filter((a) => a.at <= t);
    this.acks = this.acks.filter((a) => a.at > t);
    for (let i = due.length - 1; i > 0; i--) {
      const k = Math.floor(this.r() * (i + 1));
      [due[i], due[k]] = [due[k], due[i]];
    }
    for (const a of due) pub.acknowledge(v, a.tick);
    for (const k of frames.keys()) if (k < t - 64) frames.delete(k);
  }
}

/**
 * A client as the client library behaves (keeps the mirror of every tick it received, applies each
 * delta to the mirror of its base, acks what it applied), over real bytes (encode, decode). Loss
 * with probability `loss`; each ack arrives 1..maxDelay ticks later, those of one tick in random
 * order. Two clients made with equal seeds lose and ack the same ticks.
 */
export class Client {
  frames = new Map<number, Mirror>();
  latest: Mirror | null = null;
  private readonly acks: DelayedAcks;
  bytes = 0;
  /** Bodies updated (full or in records) and records received (packed or predicted). */
  bodiesIn = 0;
  packedIn = 0;
  /** Bytes of the records received (ServerDelta.packed or .predicted, with the latter's header). */
  recordBytes = 0;
  private readonly rng: () => number;
  constructor(
    readonly pub: InterestPublisher,
    readonly v: ClientView,
    seed: number,
    readonly loss: number,
    readonly maxDelay: number,
  ) {
    this.rng = mulberry32(seed);
    this.acks = new DelayedAcks(() => this.r(), maxDelay);
  }
  private r(): number {
    return this.rng() / 2 ** 32;
  }
  /** One tick: the message (checked against the budget and its cost), maybe lost, else applied; acks due are delivered. */
  step(t: number): { msg: StateMsg; mirror: Mirror | null } {
    const sm = this.pub.messageFor(this.v);
    const bytes = sm.bytes;
    // plain checks in the hot loop (an expect() per message costs more than the message)
    if (this.v.budget > 0 && bytes.length > this.v.budget) throw new Error(`${bytes.length} bytes over the budget ${this.v.budget}`);
    if (bytes.length > sm.cost) throw new Error(`${bytes.length} bytes over the cost bound ${sm.cost}`);
    this.bytes += bytes.length;
    const m = decodeServer(bytes) as StateMsg;
    let mirror: Mirror | null = null;
    if (this.r() >= this.loss) {
      const base = m.kind === 'delta' ? (this.frames.get(m.baseTick) ?? null) : null;
      if (m.kind === 'delta' && !base) throw new Error(`delta against ${m.baseTick}, which the client does not hold`);
      mirror = applyToMirror(base, m);
      this.frames.set(mirror.tick, mirror);
      if (!this.latest || mirror.tick > this.latest.tick) this.latest = mirror;
      this.acks.queue(t, mirror.tick);
      const packed =
        m.kind === 'delta' && base
          ? (m.packed ? unpackBodies(base.bodies, m.packed).length : 0) +
            (m.predicted ? unpackPredicted(base.bodies, m.predicted, predictSpan(m.baseTick, m.tick)).length : 0)
          : 0;
      this.bodiesIn += m.bodies.length + packed;
      if (m.kind === 'delta') this.recordBytes += (m.packed?.length ?? 0) + (m.predicted?.length ?? 0);
      this.packedIn += packed;
    }
    this.acks.deliver(t, this.pub, this.v, this.frames);
    return { msg: m, mirror };
  }
}

export const BODY_KEYS = ['index', 'generation', 'px', 'py', 'pz', 'qx', 'qy', 'qz', 'qw', 'vx', 'vy', 'vz', 'shard'] as const;

/** '' when two mirrors hold the same bodies and shapes (every field), else the first difference. */
export function mirrorDiff(a: Mirror, b: Mirror): string {
  if (a.tick !== b.tick) return `tick ${a.tick} vs ${b.tick}`;
  if (a.bodies.size !== b.bodies.size) return `${a.bodies.size} bodies vs ${b.bodies.size}`;
  for (const [i, x] of a.bodies) {
    const y = b.bodies.get(i);
    if (!y) return `body ${i} missing`;
    for (const k of BODY_KEYS) if (x[k] !== y[k]) return `body ${i}.${k}: ${x[k]} vs ${y[k]}`;
  }
  if (a.shapes.size !== b.shapes.size) return `${a.shapes.size} shapes vs ${b.shapes.size}`;
  for (const [i, x] of a.shapes) if (JSON.stringify(x) !== JSON.stringify(b.shapes.get(i))) return `shape ${i}`;
  return '';
}

/** '' when a mirror's bodies are exactly the rows of the host's record of what the client holds (ClientView.known). */
export function knownDiff(pub: InterestPublisher, v: ClientView, m: Mirror): string {
  const set = v.known.get(m.tick);
  if (!set) return `no known set for tick ${m.tick}`;
  if (set.count !== m.bodies.size) return `${set.count} known vs ${m.bodies.size} held`;
  for (let i = 0; i < set.count; i++) {
    const o = i * 13,
      b = m.bodies.get(set.rows[o] >>> 0);
    if (!b) return `body ${set.rows[o]} not held`;
    for (let f = 1; f < 13; f++) {
      const want = f === 1 ? set.rows[o + f] >>> 0 : set.rows[o + f];
      if (b[BODY_KEYS[f]] !== want) return `body ${set.rows[o]}.${BODY_KEYS[f]}: ${b[BODY_KEYS[f]]} vs ${want}`;
    }
  }
  void pub;
  return '';
}

/** A BodyState from its 13 values in BODY_KEYS order (index, generation, px..vz raw, shard). */
export function bodyState(x: ArrayLike<number>): BodyState {
  const s = {} as Record<(typeof BODY_KEYS)[number], number>;
  BODY_KEYS.forEach((k, i) => {
    s[k] = x[i];
  });
  return s as BodyState;
}

/**
 * The (loss, ack delay in ticks) of the four simulated clients of the randomised stream tests
 * (interest-packed, interest-predicted); the last has acks often older than historyTicks 16, so
 * it is sent snapshots again.
 */
export const LOSS_AND_DELAY: ReadonlyArray<readonly [number, number]> = [
  [0.2, 4],
  [0, 1],
  [0.4, 7],
  [0.05, 20],
];

/**
 * Writes row `n` of `t`: the static ground plane of the synthetic worlds (shape 3, kind 2, shard
 * -2, identity orientation, normal +y as sy = 1024 raw).
 */
export function writePlaneRow(t: BodyTable, n: number): void {
  t.index[n] = 0;
  t.gen[n] = 0;
  t.shape[n] = 3;
  t.kind[n] = 2;
  t.shard[n] = -2;
  t.px[n] = t.py[n] = t.pz[n] = 0;
  t.qx[n] = t.qy[n] = t.qz[n] = 0;
  t.qw[n] = 32767;
  t.vx[n] = t.vy[n] = t.vz[n] = 0;
  t.sx[n] = 0;
  t.sy[n] = 1024;
  t.sz[n] = 0;
  t.asset[n] = -1;
}

/**
 * Writes row `n` of `t`: the dynamic sphere in slot `slot` (generation `gen`, radius `sx` raw)
 * with `f` = px, py, pz, qx, qy, qz, qw, vx, vy, vz, shard (raw table values).
 */
export function writeSphereRow(t: BodyTable, n: number, slot: number, gen: number, f: ArrayLike<number>, sx: number): void {
  t.index[n] = slot;
  t.gen[n] = gen;
  t.shape[n] = 0;
  t.kind[n] = 0;
  t.px[n] = f[0];
  t.py[n] = f[1];
  t.pz[n] = f[2];
  t.qx[n] = f[3];
  t.qy[n] = f[4];
  t.qz[n] = f[5];
  t.qw[n] = f[6];
  t.vx[n] = f[7];
  t.vy[n] = f[8];
  t.vz[n] = f[9];
  t.shard[n] = f[10];
  t.sx[n] = sx;
  t.sy[n] = 0;
  t.sz[n] = 0;
  t.asset[n] = -1;
}

/**
 * Random body records for the round-trip tests of the record codecs (interest-packed,
 * interest-predicted), from mulberry32(`seed`): `ri` an integer in [lo, hi]; `row` 13 values in
 * BODY_KEYS order, each field drawn at its type's extremes a quarter of the time; `bodies` n
 * distinct sorted slots (below 2^19 on odd rounds, else up to 200), their base rows B and changed
 * rows C (each field changed with probability 1/3; with `someChange`, at least the shard), and the
 * base as BodyStates by slot.
 */
export function randomRecords(seed: number): {
  rng: () => number;
  ri: (lo: number, hi: number) => number;
  row: (slot: number, gen: number) => number[];
  bodies: (n: number, round: number, someChange: boolean) => { sorted: number[]; B: Int32Array; C: Int32Array; base: Map<number, BodyState> };
} {
  const rng = mulberry32(seed);
  const ri = (lo: number, hi: number): number => lo + Math.floor((rng() / 2 ** 32) * (hi - lo + 1));
  const I32 = [-(2 ** 31), 2 ** 31 - 1],
    I16 = [-32768, 32767];
  const pick = (ext: number[], lo: number, hi: number): number => (rng() % 4 === 0 ? ext[rng() % 2] : ri(lo, hi));
  const row = (slot: number, gen: number): number[] => [
    slot,
    gen,
    ...[0, 1, 2].map(() => pick(I32, -5000, 5000)),
    ...[0, 1, 2, 3, 4, 5, 6].map(() => pick(I16, -300, 300)),
    ri(0, 255),
  ];
  const bodies = (n: number, round: number, someChange: boolean) => {
    const slots = new Set<number>();
    while (slots.size < n) slots.add(ri(0, round % 2 ? 1 << 19 : 200));
    const sorted = [...slots].sort((a, b) => a - b);
    const B = new Int32Array(n * 13),
      C = new Int32Array(n * 13);
    const base = new Map<number, BodyState>();
    for (let k = 0; k < n; k++) {
      const b = row(sorted[k], ri(0, 5)),
        c = b.slice();
      for (let f = 2; f < 13; f++) if (rng() % 3 === 0) c[f] = f === 12 ? ri(0, 255) : row(0, 0)[f];
      if (someChange && c.every((x, f) => x === b[f])) c[12] = (b[12] + 1) % 256;
      B.set(b, k * 13);
      C.set(c, k * 13);
      base.set(sorted[k], bodyState(b));
    }
    return { sorted, B, C, base };
  };
  return { rng, ri, row, bodies };
}
