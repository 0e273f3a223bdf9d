/**
 * Sensors (trigger zones): shapes that report when a moving body starts and stops overlapping
 * them, and push nothing.
 *
 * A sensor is not a body: it has no slot, no record and no contacts, so the solver never sees it
 * and a world with sensors steps bit for bit like the same world without them (the state hash is
 * the same). After each tick the world hands its body records (BODY_RECORD, the same records the
 * state hash and a sharded world's board hold) to SensorSet.update, which tests every live
 * dynamic or kinematic body against every sensor and compares the set of bodies inside with the
 * previous tick's:
 *   - TRIGGER_BEGIN ('begin') when a body is inside and was not (or the slot now holds another
 *     body: a new generation);
 *   - TRIGGER_END ('end') when a body was inside and is not, is gone (removed, despawned), or its
 *     sensor was removed (removeSensor: its ENDs come with the next tick's events).
 * "Inside" is a pure function of the tick's body records (positions, shapes, orientations), so a
 * body at rest or asleep in a zone stays inside without repeating events, the events are the same
 * whichever shard holds a body (ShardedWorld reads its published board: a body crossing a shard
 * border inside a zone keeps one record, so it gets one BEGIN and one END), and a world restored
 * from a snapshot rebuilds the set from its state (addSensor with `quiet`) without events.
 *
 * Overlap is decided in integers on the raw Q47.16 values (no floating point; BigInt where a
 * product could exceed 2^53, after an exact Number prefilter on the bounds), strictly: touching
 * (distance exactly 0) is outside. Shapes:
 *   sensors: an axis-aligned box (centre, half extents) or a sphere (centre, radius);
 *   bodies:  spheres and capsules (a vertical core segment plus radius, as collide.ts), and
 *            dynamic boxes (oriented boxes: the separating axis test with the 15 axes of two
 *            boxes against a box sensor, closest point of the box against a sphere sensor;
 *            Ericson, Real-Time Collision Detection, 4.4.1 and 5.1.4); a moving shape added
 *            later and not known here is tested by its bounding sphere (RADIUS) until it is.
 * The box's rotation matrix is built from its raw Q16 quaternion without rounding (Q32 entries).
 *
 * A sensor is fixed (a zone; moveSensor moves it between ticks) or attached to a moving body
 * (SensorOptions.attach: it follows the body's centre, axis-aligned, and never reports its own body),
 * which makes any body a trigger carrier (a pickup's reach, a character's proximity) while the
 * body itself collides as before. A sensor *body* (one that moves, pushes nothing and is not
 * pushed) is a body on no collision layer (layer 0, mask 0: it has no contact pair at all, so it
 * changes no other body's bits) carrying a sensor: e.g. a kinematic sweeper, or a dynamic pickup
 * with gravityScale 0 (test/physics-triggers.test.ts).
 *
 * Canonical order of the events of a tick: by sensor id, then body slot, END before BEGIN.
 */
import { type BodyHandle, PhysicsError, type Vec3 } from './world';
import { BODY_RECORD, KIND, SHAPE } from './world-layout';

/** A sensor's id: 1, 2, ... in the order sensors were added to a world (never reused). */
export type SensorId = number;

/**
 * A sensor: an axis-aligned box (centre and half extents, metres, each > 0) or a sphere (centre
 * and radius, metres, > 0). `name` labels it (scene zones, the stream's '_z' events); `mask`
 * (default all bits) selects the bodies it reports: those whose layer has a bit in it.
 * `attach`: a moving body the sensor follows; `center` is then an offset (m) from the body's
 * centre, the zone stays axis-aligned (it does not turn with the body), the body itself is never
 * reported, and while the body is gone (removed) the sensor is empty. moveSensor moves a free one.
 */
export type SensorOptions = { name?: string; mask?: number; attach?: BodyHandle } & (
  | { shape: 'box'; center: Vec3; half: Vec3 }
  | { shape: 'sphere'; center: Vec3; radius: number }
);

/**
 * A trigger event: `body` began or ended overlapping sensor `sensor` in the step that brought the
 * world to `tick`.
 */
export interface TriggerEvent {
  kind: 'begin' | 'end';
  sensor: SensorId;
  body: BodyHandle;
  tick: number;
}

/**
 * Calls `visit(words, at)` for every live dynamic or kinematic body of the tick: `words` holds the
 * body's record (BODY_RECORD layout) as Int32 words starting at index `at`.
 */
export type RecordScan = (visit: (words: Int32Array, at: number) => void) => void;

interface Sensor {
  id: SensorId;
  name: string;
  mask: number;
  box: boolean;
  /** Centre and half extents (box) or radius in [3] (sphere), raw Q47.16. */
  c: [bigint, bigint, bigint];
  e: [bigint, bigint, bigint];
  r: bigint;
  /** The same bounds as Numbers (exact integers: |raw| < 2^53) for the prefilter. */
  cn: [number, number, number];
  en: [number, number, number];
  /** The body it follows (SensorOptions.attach), if any. */
  attach: BodyHandle | null;
  /** Bodies inside after the last update, ascending by slot. */
  inside: BodyHandle[];
}

const W = {
  ID: BODY_RECORD.ID / 4,
  KIND_SHAPE: BODY_RECORD.KIND_SHAPE / 4,
  LAYER_MASK: BODY_RECORD.LAYER_MASK / 4,
  PX: BODY_RECORD.PX / 4,
  QX: BODY_RECORD.QX / 4,
  RADIUS: BODY_RECORD.RADIUS / 4,
  HX: BODY_RECORD.HX / 4,
} as const;

/** The i64 at Int32 index `k` (little-endian halves) as an exact Number (|v| < 2^53). */
const num = (w: Int32Array, k: number): number => w[k + 1] * 4294967296 + (w[k] >>> 0);
/** The i64 at Int32 index `k` as a BigInt. */
const big = (w: Int32Array, k: number): bigint => (BigInt(w[k + 1]) << 32n) | BigInt(w[k] >>> 0);
const abs = (x: bigint): bigint => (x < 0n ? -x : x);
const pos = (x: bigint): bigint => (x > 0n ? x : 0n);
const RAW = 65536;
const toRawMetres = (x: number, what: string): bigint => {
  if (!Number.isFinite(x) || Math.abs(x) > 1e9) throw new PhysicsError('BAD_SHAPE', `sensor ${what} must be a finite number of metres`);
  return BigInt(Math.round(x * RAW));
};

/** The rotation matrix of a raw Q16 quaternion, Q32 (entry [row][col]; column k is the box's local axis k). */
function rotationQ32(qx: bigint, qy: bigint, qz: bigint, qw: bigint): bigint[][] {
  const one = 1n << 32n;
  return [
    [one - 2n * (qy * qy + qz * qz), 2n * (qx * qy - qz * qw), 2n * (qx * qz + qy * qw)],
    [2n * (qx * qy + qz * qw), one - 2n * (qx * qx + qz * qz), 2n * (qy * qz - qx * qw)],
    [2n * (qx * qz - qy * qw), 2n * (qy * qz + qx * qw), one - 2n * (qx * qx + qy * qy)],
  ];
}

/** Exact overlap of a box or sphere sensor, centred at `c` (raw), with the body record at `at` (see the module comment). */
function overlaps(s: Sensor, c: readonly bigint[], w: Int32Array, at: number): boolean {
  const shape = w[at + W.KIND_SHAPE];
  const px = big(w, at + W.PX),
    py = big(w, at + W.PX + 2),
    pz = big(w, at + W.PX + 4);
  const dx = px - c[0],
    dy = py - c[1],
    dz = pz - c[2];
  if (shape !== SHAPE.BOX) {
    // sphere, capsule, or a moving shape this module does not know yet: its bounding sphere
    // (RADIUS holds it: world.ts boundingRadius), so a new shape is reported conservatively, never missed
    const r = big(w, at + W.RADIUS),
      h = shape === SHAPE.CAPSULE ? big(w, at + W.HX + 2) : 0n;
    if (s.box) {
      const gx = pos(abs(dx) - s.e[0]),
        gy = pos(abs(dy) - s.e[1] - h),
        gz = pos(abs(dz) - s.e[2]);
      return gx * gx + gy * gy + gz * gz < r * r;
    }
    const gy = pos(abs(dy) - h),
      rr = r + s.r;
    return dx * dx + gy * gy + dz * dz < rr * rr;
  }
  // oriented box: half extents a (raw), axes u_k = columns of m (Q32)
  const a = [big(w, at + W.HX), big(w, at + W.HX + 2), big(w, at + W.HX + 4)];
  const m = rotationQ32(big(w, at + W.QX), big(w, at + W.QX + 2), big(w, at + W.QX + 4), big(w, at + W.QX + 6));
  const u = [0, 1, 2].map((k) => [m[0][k], m[1][k], m[2][k]]);
  if (!s.box) {
    // closest point of the box to the sphere's centre, in the box's frame (raw x 2^32)
    let d2 = 0n;
    for (let k = 0; k < 3; k++) {
      const l = -(u[k][0] * dx + u[k][1] * dy + u[k][2] * dz),
        lim = a[k] << 32n;
      const g = l > lim ? l - lim : l < -lim ? l + lim : 0n;
      d2 += g * g;
    }
    return d2 < (s.r * s.r) << 64n;
  }
  // separating axis test (Ericson 4.4.1) with exact integers: axis L (Q32 components), centre
  // distance |T.L| (raw x 2^32), radii rA = sum e_i |L_i| (raw x 2^32) and rB = sum a_k |L.u_k|
  // (raw x 2^64); a zero axis (parallel edges) separates nothing and is skipped
  const one = 1n << 32n;
  const axes: bigint[][] = [[one, 0n, 0n], [0n, one, 0n], [0n, 0n, one], ...u];
  for (const v of u) axes.push([0n, -v[2], v[1]], [v[2], 0n, -v[0]], [-v[1], v[0], 0n]);
  for (const L of axes) {
    if (L[0] === 0n && L[1] === 0n && L[2] === 0n) continue;
    const t = abs(dx * L[0] + dy * L[1] + dz * L[2]) << 32n;
    const rA = (s.e[0] * abs(L[0]) + s.e[1] * abs(L[1]) + s.e[2] * abs(L[2])) << 32n;
    let rB = 0n;
    for (let k = 0; k < 3; k++) rB += a[k] * abs(L[0] * u[k][0] + L[1] * u[k][1] + L[2] * u[k][2]);
    if (t >= rA + rB) return false;
  }
  return true;
}

/** A bound (raw, as a Number) on how far the body of the record at `at` reaches from its centre. */
function reachOf(w: Int32Array, at: number): number {
  const shape = w[at + W.KIND_SHAPE];
  if (shape === SHAPE.BOX) return num(w, at + W.HX) + num(w, at + W.HX + 2) + num(w, at + W.HX + 4);
  return num(w, at + W.RADIUS) + (shape === SHAPE.CAPSULE ? num(w, at + W.HX + 2) : 0);
}

const slotOf = (h: BodyHandle): number => Number(h & 0xffffffffn);
/** The handle of the record at `at`: its ID word is (slot << 32) | generation, a handle (generation << 32) | slot. */
const handleOf = (w: Int32Array, at: number): BodyHandle => (BigInt(w[at + W.ID] >>> 0) << 32n) | BigInt(w[at + W.ID + 1] >>> 0);

/**
 * The sensors of one world and the bodies inside each (see the module comment). PhysicsWorld and
 * ShardedWorld own one (addSensor); update runs after every tick.
 */
export class SensorSet {
  private readonly sensors: Sensor[] = [];
  private nextId = 1;
  /** The name of every sensor ever added (a removed sensor's ENDs still name it). */
  private readonly names = new Map<SensorId, string>();
  /** ENDs of removed sensors, reported with the next update's events. */
  private pending: Array<Omit<TriggerEvent, 'tick'>> = [];
  private last: TriggerEvent[] = [];

  /** Whether any sensor is defined. */
  get size(): number {
    return this.sensors.length;
  }

  /**
   * Adds a sensor (see SensorOptions); returns its id. With `quiet`, the bodies overlapping it now
   * (from `quiet`'s records) count as already inside, so they get no BEGIN (a world restored from a
   * snapshot re-adds its zones this way); otherwise they get a BEGIN after the next tick.
   * Throws PhysicsError BAD_SHAPE for a non-positive or non-finite extent.
   */
  add(o: SensorOptions, quiet?: RecordScan): SensorId {
    const c = [0, 1, 2].map((k) => toRawMetres(o.center[k], 'center')) as [bigint, bigint, bigint];
    let e: [bigint, bigint, bigint] = [0n, 0n, 0n],
      r = 0n;
    if (o.shape === 'box') {
      e = [0, 1, 2].map((k) => toRawMetres(o.half[k], 'half extent')) as [bigint, bigint, bigint];
      if (!e.every((x) => x > 0n)) throw new PhysicsError('BAD_SHAPE', 'sensor half extents must be > 0 m');
    } else if (o.shape === 'sphere') {
      r = toRawMetres(o.radius, 'radius');
      if (r <= 0n) throw new PhysicsError('BAD_SHAPE', 'sensor radius must be > 0 m');
      e = [r, r, r];
    } else throw new PhysicsError('BAD_SHAPE', "sensor shape must be 'box' or 'sphere'");
    const s: Sensor = {
      id: this.nextId++,
      name: o.name ?? '',
      mask: o.mask ?? -1,
      box: o.shape === 'box',
      c,
      e,
      r,
      cn: c.map(Number) as [number, number, number],
      en: e.map(Number) as [number, number, number],
      attach: o.attach ?? null,
      inside: [],
    };
    if (quiet) s.inside = this.contents([s], quiet)[0];
    this.sensors.push(s);
    this.names.set(s.id, s.name);
    return s.id;
  }

  /**
   * Moves a sensor's centre (m; the offset from its body for an attached one) from the next tick
   * on. Throws PhysicsError NOT_FOUND, BAD_SHAPE for a non-finite centre.
   */
  move(id: SensorId, center: Vec3): void {
    const s = this.sensors.find((x) => x.id === id);
    if (!s) throw new PhysicsError('NOT_FOUND', `no sensor ${id}`);
    s.c = [0, 1, 2].map((k) => toRawMetres(center[k], 'center')) as [bigint, bigint, bigint];
    s.cn = s.c.map(Number) as [number, number, number];
  }

  /** Removes a sensor: each body inside gets an END with the next tick's events. Throws PhysicsError NOT_FOUND. */
  remove(id: SensorId): void {
    const k = this.sensors.findIndex((s) => s.id === id);
    if (k < 0) throw new PhysicsError('NOT_FOUND', `no sensor ${id}`);
    for (const body of this.sensors[k].inside) this.pending.push({ kind: 'end', sensor: id, body });
    this.sensors.splice(k, 1);
  }

  /** The name a sensor was added with ('' when none), also after its removal. Throws PhysicsError NOT_FOUND. */
  name(id: SensorId): string {
    const n = this.names.get(id);
    if (n === undefined) throw new PhysicsError('NOT_FOUND', `no sensor ${id}`);
    return n;
  }

  /** The bodies inside a sensor after the last tick, ascending by slot. Throws PhysicsError NOT_FOUND. */
  inside(id: SensorId): BodyHandle[] {
    const s = this.sensors.find((x) => x.id === id);
    if (!s) throw new PhysicsError('NOT_FOUND', `no sensor ${id}`);
    return [...s.inside];
  }

  /** Forgets who is inside and takes the bodies of `scan` as inside, without events (a world loaded in place). */
  prime(scan: RecordScan): void {
    const all = this.contents(this.sensors, scan);
    this.sensors.forEach((s, k) => {
      s.inside = all[k];
    });
    this.pending = [];
  }

  /** The bodies inside each of `list`, ascending by slot (records are visited in slot order, then sorted to be sure). */
  private contents(list: Sensor[], scan: RecordScan): BodyHandle[][] {
    const out: BodyHandle[][] = list.map(() => []);
    if (list.length === 0) return out;
    // centres (raw): a free sensor's own; an attached one's from its body's record (null while
    // the body is gone: empty), found in a first pass
    const c: Array<readonly bigint[] | null> = list.map((s) => (s.attach === null ? s.c : null));
    const cn: Array<readonly number[] | null> = list.map((s) => (s.attach === null ? s.cn : null));
    if (list.some((s) => s.attach !== null)) {
      scan((w, at) => {
        const h = handleOf(w, at);
        list.forEach((s, k) => {
          if (s.attach !== h) return;
          c[k] = [0, 1, 2].map((a) => big(w, at + W.PX + 2 * a) + s.c[a]);
          cn[k] = (c[k] as bigint[]).map(Number);
        });
      });
    }
    scan((w, at) => {
      const kind = w[at + W.KIND_SHAPE + 1];
      if (kind === KIND.STATIC) return;
      const layer = w[at + W.LAYER_MASK + 1];
      const x = num(w, at + W.PX),
        y = num(w, at + W.PX + 2),
        z = num(w, at + W.PX + 4);
      const reach = reachOf(w, at);
      let h: BodyHandle | null = null;
      for (let k = 0; k < list.length; k++) {
        const s = list[k],
          m = cn[k];
        if (m === null || (layer & s.mask) === 0) continue;
        // exact prefilter: the body's bounding cube against the sensor's box (integers below 2^53)
        if (Math.abs(x - m[0]) >= s.en[0] + reach || Math.abs(y - m[1]) >= s.en[1] + reach || Math.abs(z - m[2]) >= s.en[2] + reach) continue;
        h ??= handleOf(w, at);
        if (h === s.attach || !overlaps(s, c[k] as bigint[], w, at)) continue;
        out[k].push(h);
      }
    });
    return out.map((l) => l.sort((p, q) => slotOf(p) - slotOf(q)));
  }

  /**
   * Takes the tick's records (the world is now at `tick`): updates who is inside each sensor and
   * makes the tick's events (see events()). Cost: O(moving bodies x sensors) Number comparisons
   * plus an exact test per body near a sensor.
   */
  update(tick: number, scan: RecordScan): TriggerEvent[] {
    const now = this.contents(this.sensors, scan);
    const ev: TriggerEvent[] = this.pending.map((e) => ({ ...e, tick }));
    this.pending = [];
    this.sensors.forEach((s, k) => {
      const was = s.inside,
        is = now[k];
      let a = 0,
        b = 0;
      while (a < was.length || b < is.length) {
        const sa = a < was.length ? slotOf(was[a]) : Number.MAX_SAFE_INTEGER,
          sb = b < is.length ? slotOf(is[b]) : Number.MAX_SAFE_INTEGER;
        if (sa < sb) ev.push({ kind: 'end', sensor: s.id, body: was[a++], tick });
        else if (sb < sa) ev.push({ kind: 'begin', sensor: s.id, body: is[b++], tick });
        else {
          if (was[a] !== is[b]) ev.push({ kind: 'end', sensor: s.id, body: was[a], tick }, { kind: 'begin', sensor: s.id, body: is[b], tick });
          a++;
          b++;
        }
      }
      s.inside = is;
    });
    ev.sort((p, q) => p.sensor - q.sensor || slotOf(p.body) - slotOf(q.body) || (p.kind === 'end' ? 0 : 1) - (q.kind === 'end' ? 0 : 1));
    this.last = ev;
    return ev;
  }

  /** The events of the last update, in canonical order (sensor id, body slot, END before BEGIN). */
  events(): TriggerEvent[] {
    return this.last;
  }

  /** Clears the last events (a step that made none: the caller accumulates several ticks). */
  clearEvents(): void {
    this.last = [];
  }
}
