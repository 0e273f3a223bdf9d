/**
 * Predicted deltas (issue 22; docs/protocol.md 7.3; src/sim/packed-state.ts): changed bodies as
 * residuals against the base extrapolated by its velocity. In a synthetic world that moves like a
 * physics world (walkers at steady velocities that turn now and then, bodies falling under gravity
 * and bouncing, spinning ones, teleports, deaths and respawns in reused slots), the predicted stream
 * rebuilds exactly the view the full stream does every tick under loss, late and reordered acks
 * and moving interests; under byte budgets no message is over and the client holds what the host
 * thinks it holds; a client that never acks gets bounded snapshots; a client that did not ask gets
 * the old bytes; a body moving steadily costs 2 bytes.
 */
import { createBodyTable, type BodyTable } from '../src/physics/body-table';
import { InterestPublisher, applyToMirror, type Mirror } from '../src/sim/interest';
import { PREDICTED_RECORD_MAX, packBodyPredicted, predictPosition, predictedFieldsSize, putPredictedHeader, unpackPredicted } from '../src/sim/packed-state';
import { decodeClient, decodeServer, encodeClient, encodeServer } from '../src/protocol/codec';
import { PROTOCOL_VERSION, type BodyState } from '../src/protocol/messages';
import { ProtocolError } from '../src/protocol/errors';
import { Client, LOSS_AND_DELAY, bodyState, knownDiff, mirrorDiff, randomRecords, type StateMsg, writePlaneRow, writeSphereRow } from './helpers/packed-stream';
import { mulberry32 } from './helpers/bigref';

const RATE = 20;
const SUBSTEPS = 6;
const G = 9.81;

/**
 * A world that moves as a physics world does, in metres and m/s (doubles), quantised into the
 * table as the host quantises (1/1024 m, 1/256 m/s, x 32768), integrated by semi-implicit Euler at
 * RATE Hz in SUBSTEPS substeps: walkers (a steady horizontal velocity, a new one every 30 to 90 ticks, a hop now and
 * then), fallers (gravity, bouncing on y = 0), spinners (turning), and now and then a teleport, a
 * death and a respawn in the same slot with a higher generation. Row 0 is a plane.
 */
class PhysicsWorld {
  readonly table: BodyTable;
  /** Scratch: one sphere's table values (writeSphereRow). */
  private readonly row = new Int32Array(11);
  private readonly alive: Uint8Array;
  private readonly gen: Int32Array;
  private readonly kind: Uint8Array; // 0 walker, 1 faller, 2 spinner, 3 at rest
  private readonly p: Float64Array;
  private readonly v: Float64Array;
  private readonly q: Float64Array;
  private readonly shard: Uint8Array;
  private readonly turnAt: Int32Array;
  private tick = 0;
  constructor(
    readonly slots: number,
    private readonly rng: () => number,
  ) {
    this.table = createBodyTable(slots);
    this.alive = new Uint8Array(slots).fill(1);
    this.gen = new Int32Array(slots);
    this.kind = new Uint8Array(slots);
    this.p = new Float64Array(slots * 3);
    this.v = new Float64Array(slots * 3);
    this.q = new Float64Array(slots * 4);
    this.shard = new Uint8Array(slots);
    this.turnAt = new Int32Array(slots);
    for (let s = 1; s < slots; s++) this.spawn(s);
  }
  private r(): number {
    return this.rng() / 2 ** 32;
  }
  private spawn(s: number): void {
    const u = this.r();
    this.kind[s] = u < 0.5 ? 0 : u < 0.7 ? 1 : u < 0.8 ? 2 : 3;
    this.p.set([this.r() * 80 - 40, this.kind[s] === 1 ? 2 + this.r() * 10 : 0.9, this.r() * 80 - 40], s * 3);
    this.v.set([0, 0, 0], s * 3);
    this.q.set([0, 0, 0, 1], s * 4);
    this.shard[s] = Math.floor(this.r() * 4);
    this.turnAt[s] = this.tick;
  }
  /** One tick (dt = 1 / RATE) and the table written (rows in slot order). `still`: nothing changes. */
  step(still = false): BodyTable {
    const dt = 1 / RATE;
    if (!still) {
      this.tick++;
      for (let s = 1; s < this.slots; s++) {
        if (!this.alive[s]) {
          if (this.r() < 0.05) {
            this.alive[s] = 1;
            this.gen[s]++;
            this.spawn(s);
          }
          continue;
        }
        const u = this.r();
        if (u < 0.002) {
          this.alive[s] = 0;
          continue;
        }
        const o = s * 3;
        if (u < 0.004) {
          this.p[o] = this.r() * 80 - 40; // a teleport
          this.p[o + 2] = this.r() * 80 - 40;
        }
        if (u > 0.999) this.shard[s] = Math.floor(this.r() * 4);
        const k = this.kind[s];
        if (k === 3) continue;
        if (k === 0 && this.tick >= this.turnAt[s]) {
          const a = this.r() * 2 * Math.PI,
            speed = this.r() < 0.2 ? 0 : 1 + this.r() * 4;
          this.v[o] = speed * Math.cos(a);
          this.v[o + 2] = speed * Math.sin(a);
          if (this.r() < 0.2) this.v[o + 1] = 4; // a hop
          this.turnAt[s] = this.tick + 30 + Math.floor(this.r() * 60);
        }
        const h = dt / SUBSTEPS,
          floor = k === 1 ? 0.25 : 0.9;
        for (let sub = 0; sub < SUBSTEPS; sub++) {
          if (k === 1 || this.p[o + 1] > floor || this.v[o + 1] > 0) this.v[o + 1] -= G * h;
          for (let a = 0; a < 3; a++) this.p[o + a] += this.v[o + a] * h;
          if (this.p[o + 1] < floor) {
            this.p[o + 1] = floor;
            this.v[o + 1] = k === 1 && this.v[o + 1] < -1 ? -0.6 * this.v[o + 1] : 0;
          }
        }
        if (k === 2) {
          const w = 2 * dt,
            q = this.q.subarray(s * 4, s * 4 + 4),
            c = Math.cos(w / 2),
            sn = Math.sin(w / 2);
          const [x, y, z, ww] = q; // about y
          q.set([c * x + sn * z, c * y + sn * ww, c * z - sn * x, c * ww - sn * y]);
        }
      }
    }
    const t = this.table,
      qi = (v: number): number => Math.max(-32768, Math.min(32767, Math.round(v)));
    let n = 0;
    writePlaneRow(t, n);
    n++;
    for (let s = 1; s < this.slots; s++) {
      if (!this.alive[s]) continue;
      const o = s * 3,
        oq = s * 4;
      const f = this.row;
      f[0] = Math.round(this.p[o] * 1024);
      f[1] = Math.round(this.p[o + 1] * 1024);
      f[2] = Math.round(this.p[o + 2] * 1024);
      f[3] = qi(this.q[oq] * 32768);
      f[4] = qi(this.q[oq + 1] * 32768);
      f[5] = qi(this.q[oq + 2] * 32768);
      f[6] = qi(this.q[oq + 3] * 32768);
      f[7] = qi(this.v[o] * 256);
      f[8] = qi(this.v[o + 1] * 256);
      f[9] = qi(this.v[o + 2] * 256);
      f[10] = this.shard[s];
      writeSphereRow(t, n, s, this.gen[s], f, 350);
      n++;
    }
    t.count = n;
    t.tick++;
    return t;
  }
}

/** A fresh unbudgeted view's snapshot at the same interest as `like`, applied: the uncompressed view now. */
function freshView(pub: InterestPublisher, like: { cx: number; cz: number; cells: number }): Mirror {
  const fresh = pub.createView(0, 0, 0);
  Object.assign(fresh, { cx: like.cx, cz: like.cz, cells: like.cells });
  return applyToMirror(null, decodeServer(pub.messageFor(fresh).bytes) as StateMsg);
}

describe('predicted deltas', () => {
  test('randomised, 2,000 ticks: the predicted stream rebuilds the same view as the full one every tick, under loss, late and reordered acks and moving interests; fewer bytes than packed', () => {
    const rng = mulberry32(4242);
    const r = (): number => rng() / 2 ** 32;
    const world = new PhysicsWorld(350, rng);
    const pub = new InterestPublisher({ cellSize: 8, farEvery: 4, nearCells: 1, historyTicks: 16 });
    pub.tickRate = RATE;
    pub.substeps = SUBSTEPS;
    // LOSS_AND_DELAY, plus a fifth client with the first's ack delay elsewhere: deltas from the same base ticks (the per-tick record cache)
    const trios = [...LOSS_AND_DELAY, [0.1, 4]].map(([loss, delay], i) => {
      const mk = (format: 0 | 1 | 2): Client => {
        const v = pub.createView(i * 8 - 12, 0, 2);
        v.packed = format === 1;
        v.predicted = format === 2;
        return new Client(pub, v, 100 + i, loss, delay);
      };
      return { full: mk(0), packed: mk(1), predicted: mk(2) };
    });
    let compared = 0,
      deltas = 0;
    for (let t = 0; t < 2000; t++) {
      pub.update(world.step(t >= 1900));
      for (const p of trios) {
        if (r() < 0.01) {
          const x = r() * 60 - 30,
            z = r() * 60 - 30,
            c = Math.floor(r() * 4);
          for (const c0 of [p.full, p.packed, p.predicted]) pub.setInterest(c0.v, x, z, c);
        }
        const a = p.full.step(t),
          b = p.packed.step(t),
          c = p.predicted.step(t);
        if (a.msg.kind !== c.msg.kind || b.msg.kind !== c.msg.kind) throw new Error(`tick ${t}: ${a.msg.kind} vs ${c.msg.kind}`);
        if (a.msg.kind === 'delta') {
          deltas++;
          if (a.msg.packed !== undefined || a.msg.predicted !== undefined) throw new Error('a full client got records');
          if (b.msg.kind === 'delta' && b.msg.predicted !== undefined) throw new Error('a packed client got predicted records');
          if (c.msg.kind === 'delta' && c.msg.packed !== undefined) throw new Error('a predicted client got packed records');
        }
        if ((a.mirror === null) !== (c.mirror === null)) throw new Error(`tick ${t}: lost by one only`);
        if (a.mirror && c.mirror) {
          const d = mirrorDiff(a.mirror, c.mirror);
          if (d !== '') throw new Error(`tick ${t}: ${d}`);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(6000);
    expect(deltas).toBeGreaterThan(5500);
    // views with the same base tick copied records computed for another view (near and far rows apart)
    expect(pub.predCacheHits).toBeGreaterThan(5000);
    const sum = (f: (p: (typeof trios)[number]) => number): number => trios.reduce((s, p) => s + f(p), 0);
    const records = sum((p) => p.predicted.packedIn);
    expect(records).toBeGreaterThan(40000);
    expect(sum((p) => p.packed.packedIn)).toBe(records); // the same bodies go as records in both
    // the same bodies for fewer bytes than packed, and far fewer than full; records alone (without
    // the snapshots, entered bodies and message overheads both have) about half as large
    const full = sum((p) => p.full.bytes),
      packed = sum((p) => p.packed.bytes),
      predicted = sum((p) => p.predicted.bytes);
    expect(packed).toBeLessThan(0.6 * full);
    expect(predicted).toBeLessThan(packed);
    const ratio = sum((p) => p.predicted.recordBytes) / sum((p) => p.packed.recordBytes);
    expect(ratio).toBeLessThan(0.9);
    for (const p of trios) expect(mirrorDiff({ ...freshView(pub, p.full.v), tick: 0 }, { ...(p.predicted.latest as Mirror), tick: 0 })).toBe('');
  }, 120000);

  test('shared bases (baseEvery 4): eight predicted and packed clients of one view rebuild the full view every tick under loss and delayed acks, with fewer encodes than one base each', () => {
    const run = (baseEvery: number) => {
      const rng = mulberry32(777);
      const world = new PhysicsWorld(200, rng);
      const pub = new InterestPublisher({ cellSize: 8, farEvery: 4, nearCells: 1, historyTicks: 16, baseEvery });
      pub.tickRate = RATE;
      pub.substeps = SUBSTEPS;
      // one view (same cell and radius), acks delayed 0..7 ticks and some lost
      const clients = Array.from({ length: 8 }, (_, i) => {
        const v = pub.createView(0, 0, 2);
        v.predicted = i % 2 === 0;
        v.packed = i % 2 === 1;
        return new Client(pub, v, 300 + i, 0.1, i);
      });
      const full = new Client(pub, pub.createView(0, 0, 2), 299, 0, 1);
      let compared = 0,
        older = 0;
      for (let t = 0; t < 600; t++) {
        pub.update(world.step(t >= 550));
        const want = full.step(t).mirror;
        for (const c of clients) {
          const acked = c.v.acked;
          const { msg, mirror } = c.step(t);
          if (msg.kind === 'delta' && msg.baseTick < acked) older++;
          if (mirror && want) {
            const d = mirrorDiff({ ...want, tick: 0 }, { ...mirror, tick: 0 });
            if (d !== '') throw new Error(`baseEvery ${baseEvery}, tick ${t}: ${d}`);
            compared++;
          }
        }
      }
      return { compared, older, encodes: pub.encodes };
    };
    const one = run(1),
      shared = run(4);
    expect(one.compared).toBeGreaterThan(3500);
    expect(shared.compared).toBeGreaterThan(3500);
    expect(one.older).toBe(0); // baseEvery 1: always the newest ack
    expect(shared.older).toBeGreaterThan(500); // shared: bases older than the newest ack
    expect(shared.encodes).toBeLessThan(0.85 * one.encodes); // measured 2,957 against 3,916: acks 0..7 ticks late give 2 or 3 aligned bases per format instead of 4
  }, 60_000);

  test('under byte budgets: never over; the client holds exactly what the host keeps as its base; more bodies fit than packed; settled, the view converges', () => {
    const rng = mulberry32(77);
    const world = new PhysicsWorld(700, rng);
    const pub = new InterestPublisher({ cellSize: 8, farEvery: 4, nearCells: 1, historyTicks: 16 });
    pub.tickRate = RATE;
    pub.substeps = SUBSTEPS;
    const budgets = [256, 800, 800, 1500];
    const mk = (format: 1 | 2): Client[] =>
      budgets.map((budget, i) => {
        const v = pub.createView(i * 6 - 9, 3 - i * 2, 3);
        v.packed = format === 1;
        v.predicted = format === 2;
        pub.setBudget(v, budget);
        return new Client(pub, v, 7 + i, [0.1, 0, 0.3, 0.05][i], [3, 1, 6, 2][i]);
      });
    const predicted = mk(2),
      packed = mk(1);
    let checked = 0;
    const own0 = pub.budgetOwn;
    for (let t = 0; t < 1000; t++) {
      pub.update(world.step());
      for (const c of [...predicted, ...packed]) {
        const { mirror } = c.step(t); // throws for a message over its budget
        if (mirror && c.v.predicted) {
          const d = knownDiff(pub, c.v, mirror);
          if (d !== '') throw new Error(`tick ${t} budget ${c.v.budget}: ${d}`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(2300);
    expect(pub.budgetOwn - own0).toBeGreaterThan(2000); // the budgets did bite
    for (let i = 0; i < budgets.length; i++) {
      expect(predicted[i].packedIn).toBeGreaterThan(0);
      expect(predicted[i].bodiesIn).toBeGreaterThan(packed[i].bodiesIn);
    }
    for (let t = 1000; t < 1700; t++) {
      pub.update(world.step(true));
      for (const c of [...predicted, ...packed]) c.step(t);
    }
    for (const c of predicted) {
      const want = freshView(pub, c.v);
      expect(want.bodies.size).toBeGreaterThan(50);
      expect(`${c.v.budget}: ${mirrorDiff({ ...want, tick: 0 }, { ...(c.latest as Mirror), tick: 0 })}`).toBe(`${c.v.budget}: `);
    }
  }, 120000);

  test('a predicted client that never acknowledges gets a bounded stream of snapshots', () => {
    const world = new PhysicsWorld(600, mulberry32(5));
    const pub = new InterestPublisher({ cellSize: 8 });
    const silent = pub.createView(0, 0, 3);
    silent.predicted = true;
    pub.setBudget(silent, 800);
    for (let t = 0; t < 200; t++) {
      pub.update(world.step());
      const b = pub.messageFor(silent).bytes;
      const m = decodeServer(b) as StateMsg;
      expect(m.kind).toBe('snapshot');
      expect(b.length).toBeLessThanOrEqual(800);
      expect(m.bodies.length).toBeGreaterThan(5);
    }
  });

  test('a client that did not ask gets the old bytes; one encode per format; the value API gives the same bytes', () => {
    const world = new PhysicsWorld(300, mulberry32(11)),
      world2 = new PhysicsWorld(300, mulberry32(11));
    const pub = new InterestPublisher({ cellSize: 8 }),
      solo = new InterestPublisher({ cellSize: 8 });
    pub.tickRate = RATE;
    pub.substeps = SUBSTEPS;
    const old = pub.createView(0, 0, 2),
      pk = pub.createView(0, 0, 2),
      pr = [pub.createView(0, 0, 2), pub.createView(0, 0, 2)],
      alone = solo.createView(0, 0, 2);
    pk.packed = true;
    for (const v of pr) v.predicted = true;
    for (let t = 0; t < 30; t++) {
      pub.update(world.step());
      solo.update(world2.step());
      const e0 = pub.encodes;
      const got = [old, pk, ...pr].map((v) => pub.messageFor(v).bytes);
      expect(Buffer.from(got[0]).equals(Buffer.from(solo.messageFor(alone).bytes))).toBe(true);
      expect(got[3]).toBe(got[2]);
      expect(pub.encodes - e0).toBe(t === 0 ? 1 : 3); // one snapshot for all, then one delta per format
      for (const v of [old, pk, ...pr]) pub.acknowledge(v, world.table.tick);
      solo.acknowledge(alone, world2.table.tick);
      if (t > 0) {
        const p = decodeServer(got[2]) as StateMsg;
        expect(p.kind === 'delta' && p.predicted !== undefined && p.packed === undefined).toBe(true);
        expect(got[2].length).toBeLessThan(got[1].length);
        expect(Buffer.from(encodeServer(p)).equals(Buffer.from(got[2]))).toBe(true);
      }
    }
  });

  test('hello.predictedDeltas round-trips; absent stays absent', () => {
    const hello = { kind: 'hello' as const, version: PROTOCOL_VERSION, token: 't', stream: 'world', privateId: 'p', lastKnownTick: null, interest: null };
    expect(decodeClient(encodeClient({ ...hello, packedDeltas: true, predictedDeltas: true }))).toEqual({
      ...hello,
      packedDeltas: true,
      predictedDeltas: true,
    });
    expect(encodeClient({ ...hello, predictedDeltas: false })).toEqual(encodeClient(hello));
  });

  test('a body moving steadily costs 2 bytes (gap and an empty mask); one falling costs at most 2 more; the prediction is semi-implicit Euler over the substeps', () => {
    // 5 m/s along x at 20 Hz: 1280 units of 1/256 m/s, 0.25 m = 256 units of 1/1024 m a tick
    expect(predictPosition(1000, 1280, 1280, 1, 20, 6)).toBe(1256);
    expect(predictPosition(1000, 1280, 1280, 3, 20, 1)).toBe(1768);
    // falling from rest, semi-implicit Euler at h = dt / s: after N = n s substeps v = -g h N and
    // p = -g h^2 N (N + 1) / 2 (m). In units: g dt = 0.4905 m/s = 125.568 / 256 at 20 Hz
    const dv = -125.568;
    for (const s of [1, 6])
      for (const n of [1, 2, 5]) {
        const h = 0.05 / s,
          N = n * s,
          exact = -G * h * h * ((N * (N + 1)) / 2) * 1024;
        expect(Math.abs(predictPosition(0, 0, Math.round(dv * n), n, 20, s) - exact)).toBeLessThanOrEqual(1);
      }
    const base = [7, 1, 1000, 5000, -300, 0, 0, 0, 32767, 1280, 0, -256, 2];
    const now = [7, 1, 1256, 5000, -300 - 51, 0, 0, 0, 32767, 1280, 0, -256, 2]; // -256 / 5 = -51.2 -> -51
    const B = Int32Array.from(base),
      C = Int32Array.from(now);
    expect(predictedFieldsSize(B, 0, C, 0, 1, 20, 6)).toBe(1);
    const out = new Uint8Array(64);
    const at = packBodyPredicted(out, putPredictedHeader(out, 0, 20, 6), -1, B, 0, C, 0, 1, 20, 6);
    expect(Array.from(out.subarray(0, at))).toEqual([20, 6, 7, 0]); // rate, substeps, gap, mask
    expect(unpackPredicted(new Map([[7, bodyState(base)]]), out.subarray(0, at), 1)).toEqual([bodyState(now)]);
    // a faller a tick later (6 substeps): vy changed by g dt (a 2-byte residual), py as predicted
    const fall = [7, 1, 1000, 5000 + Math.round(-G * (0.05 / 6) ** 2 * 21 * 1024), -300, 0, 0, 0, 32767, 0, -126, 0, 2];
    const F = Int32Array.from([7, 1, 1000, 5000, -300, 0, 0, 0, 32767, 0, 0, 0, 2]);
    expect(predictedFieldsSize(F, 0, Int32Array.from(fall), 0, 1, 20, 6)).toBe(3);
  });

  test('records round-trip at the extremes of every field and span; malformed bytes are refused', () => {
    const { rng, ri, bodies } = randomRecords(3);
    for (let round = 0; round < 300; round++) {
      const n = ri(1, 40),
        span = rng() % 5 === 0 ? 1 << 16 : ri(1, 40),
        rate = [1, 20, 60, 1000][round % 4],
        subs = [1, 6, 64][round % 3];
      const { sorted, B, C, base } = bodies(n, round, false);
      const out = new Uint8Array(2 + n * PREDICTED_RECORD_MAX);
      let at = putPredictedHeader(out, 0, rate, subs),
        prev = -1;
      for (let k = 0; k < n; k++) {
        const before = at;
        at = packBodyPredicted(out, at, prev, B, k * 13, C, k * 13, span, rate, subs);
        expect(at - before).toBeLessThanOrEqual(PREDICTED_RECORD_MAX);
        expect(at - before).toBe(predictedFieldsSize(B, k * 13, C, k * 13, span, rate, subs) + (prev < 0 ? sizeOf(sorted[k]) : sizeOf(sorted[k] - prev - 1)));
        prev = sorted[k];
      }
      const all = unpackPredicted(base, out.subarray(0, at), span);
      expect(all).toEqual(sorted.map((_, k) => bodyState(Array.from(C.subarray(k * 13, k * 13 + 13)))));
      // one body only (the bots' avatar): the same record, or none for a slot not in the vector
      const k = ri(0, n - 1);
      expect(unpackPredicted(new Map([[sorted[k], base.get(sorted[k]) as BodyState]]), out.subarray(0, at), span, sorted[k])).toEqual([all[k]]);
      if (!sorted.includes(sorted[k] + 1)) expect(unpackPredicted(base, out.subarray(0, at), span, sorted[k] + 1)).toEqual([]);
    }
    const base = new Map<number, BodyState>([[3, bodyState([3, 1, 0, 0, 0, 0, 0, 0, 32767, 0, 0, 0, 0])]]);
    const bad = (bytes: number[]): unknown => {
      try {
        unpackPredicted(base, Uint8Array.from(bytes), 1);
        return null;
      } catch (e) {
        return e instanceof ProtocolError ? e.reason : e;
      }
    };
    expect(unpackPredicted(base, Uint8Array.from([20, 6, 3, 8, 4]), 1)[0].px).toBe(2); // gap 3, mask px (bit 3), zig-zag 4 = +2
    expect(unpackPredicted(base, Uint8Array.from([20, 6, 3, 0]), 1)[0]).toEqual(base.get(3)); // an empty mask: as predicted
    expect(unpackPredicted(base, Uint8Array.from([20, 6]), 1)).toEqual([]); // a header alone: no records
    expect(bad([])).toBe('BAD_PACKED'); // no rate
    expect(bad([20])).toBe('BAD_PACKED'); // no substeps
    expect(bad([0, 6, 3, 0])).toBe('BAD_PACKED'); // rate 0
    expect(bad([0xe9, 0x07, 6, 3, 0])).toBe('BAD_PACKED'); // rate 1001
    expect(bad([20, 0, 3, 0])).toBe('BAD_PACKED'); // substeps 0
    expect(bad([20, 65, 3, 0])).toBe('BAD_PACKED'); // substeps 65
    expect(bad([20, 6, 3])).toBe('BAD_PACKED'); // truncated
    expect(bad([20, 6, 2, 0])).toBe('BAD_PACKED'); // slot 2 not in the base
    expect(bad([20, 6, 3, 0x80, 0x10])).toBe('BAD_PACKED'); // mask bit 11
    expect(bad([20, 6, 3, 0x80, 0x02, 0x80, 0x80, 0x04])).toBe('BAD_PACKED'); // qy + 32768: out of the i16 range
    expect(bad([20, 6, 3, 8, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).toBe('BAD_PACKED'); // varint over 5 bytes
  });
});

/** Bytes of a varint (test-side, from its definition: 7 bits a byte). */
function sizeOf(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}
