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
 * Overlap is decided in the physics core (assembly/physics/sensors.ts sensorOverlap: integers on
 * the raw Q47.16 record, no floating point, checked with the rest of the core by
 * test/wasm-floats.test.ts) for each body that an exact Number prefilter keeps (its bounding cube
 * against the sensor's bounds: integers below 2^53). Touching (distance exactly 0) is outside.
 * Shapes:
 *   sensors: an axis-aligned box (centre, half extents) or a sphere (centre, radius), each size
 *            up to MAX_SENSOR_SIZE;
 *   bodies:  spheres and capsules (a vertical core segment plus radius, as collide.ts), and
 *            dynamic boxes (oriented boxes: the separating axis test with the 15 axes of two
 *            boxes against a box sensor, closest point of the box against a sphere sensor;
 *            Ericson, Real-Time Collision Detection, 4.4.1 and 5.1.4); a moving shape added
 *            later and not known there is tested by its bounding sphere (RADIUS) until it is.
 * Statics (planes, static boxes, terrain) are never reported.
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

/**
 * The core's exact test (assembly/physics/sensors.ts sensorOverlap) of the record at byte
 * `address` of the words' memory against a box (centre c, half extents e) or sphere (radius r)
 * sensor, raw Q47.16.
 */
export type OverlapTest = (address: number, box: boolean, c: readonly bigint[], e: readonly bigint[], r: bigint) => boolean;

/** Largest sensor half extent or radius, m (the core's range: 2^30 raw). */
export const MAX_SENSOR_SIZE = 16384;

interface Sensor {
  id: SensorId;
  name: string;
  mask: number;
  box: boolean;
  /** Centre (an attached sensor's offset from its body), half extents (a sphere's: [r, r, r], for the prefilter) and radius, raw Q47.16. */
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
  RADIUS: BODY_RECORD.RADIUS / 4,
  HX: BODY_RECORD.HX / 4,
} as const;

/** The i64 at Int32 index `k` (little-endian halves) as an exact Number (|v| < 2^53). */
const num = (w: Int32Array, k: number): number => w[k + 1] * 4294967296 + (w[k] >>> 0);
/** The i64 at Int32 index `k` as a BigInt. */
const big = (w: Int32Array, k: number): bigint => (BigInt(w[k + 1]) << 32n) | BigInt(w[k] >>> 0);
const RAW = 65536;
const toRawMetres = (x: number, what: string, max = 1e9): bigint => {
  if (!Number.isFinite(x) || Math.abs(x) > max) throw new PhysicsError('BAD_SHAPE', `sensor ${what} must be a finite number of metres up to ${max}`);
  return BigInt(Math.round(x * RAW));
};

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

  /** `exact`: the core's overlap test, run in the memory the world's RecordScan reads. */
  constructor(private readonly exact: OverlapTest) {}

  /** How many sensors there are. */
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
      e = [0, 1, 2].map((k) => toRawMetres(o.half[k], 'half extent', MAX_SENSOR_SIZE)) as [bigint, bigint, bigint];
      if (!e.every((x) => x > 0n)) throw new PhysicsError('BAD_SHAPE', 'sensor half extents must be > 0 m');
    } else if (o.shape === 'sphere') {
      r = toRawMetres(o.radius, 'radius', MAX_SENSOR_SIZE);
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
    // the bounds of all the sensors: most bodies of a large world are outside and cost 6 comparisons
    const lo = [Infinity, Infinity, Infinity],
      hi = [-Infinity, -Infinity, -Infinity];
    list.forEach((s, k) => {
      const m = cn[k];
      if (m === null) return;
      for (let a = 0; a < 3; a++) {
        lo[a] = Math.min(lo[a], m[a] - s.en[a]);
        hi[a] = Math.max(hi[a], m[a] + s.en[a]);
      }
    });
    if (lo[0] === Infinity) return out;
    scan((w, at) => {
      const kind = w[at + W.KIND_SHAPE + 1];
      if (kind === KIND.STATIC) return;
      const x = num(w, at + W.PX),
        y = num(w, at + W.PX + 2),
        z = num(w, at + W.PX + 4);
      const reach = reachOf(w, at);
      if (x + reach <= lo[0] || x - reach >= hi[0] || y + reach <= lo[1] || y - reach >= hi[1] || z + reach <= lo[2] || z - reach >= hi[2]) return;
      const layer = w[at + W.LAYER_MASK + 1];
      let h: BodyHandle | null = null;
      for (let k = 0; k < list.length; k++) {
        const s = list[k],
          m = cn[k];
        if (m === null || (layer & s.mask) === 0) continue;
        // exact prefilter: the body's bounding cube against the sensor's box (integers below 2^53)
        if (Math.abs(x - m[0]) >= s.en[0] + reach || Math.abs(y - m[1]) >= s.en[1] + reach || Math.abs(z - m[2]) >= s.en[2] + reach) continue;
        h ??= handleOf(w, at);
        if (h === s.attach || !this.exact(at << 2, s.box, c[k] as bigint[], s.e, s.r)) continue;
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
}
