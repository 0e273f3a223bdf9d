/**
 * Lag compensation (protocol 4, docs/protocol.md section 18): the poses of the moving bodies over
 * the last N ticks (HostOptions.lagTicks), and a raycast against the poses of one of those ticks,
 * "as the shooter saw the world at tick t" (Photon Fusion's lag-compensated hitboxes; Valve's
 * "Source Multiplayer Networking", lag compensation, for the idea of rewinding hitboxes to the
 * shooter's view).
 *
 * History: after each step the host records the body table (src/physics/body-table.ts, the
 * quantised state every client receives: positions in 1/1024 m, rotations x 32768) of the state
 * of tick T = the stream's open tick, i.e. the tick of the snapshot/delta built from it: 14 Int32
 * columns copied whole, in a ring of N entries whose columns are reused, so memory is bounded by
 * N x the most bodies seen x 56 bytes (HostStats.lagHistoryBytes). The cast skips static bodies
 * (they never move: a game casts against them now).
 *
 * The query is an answer to its client only; it changes no world state and is not logged. A game
 * that turns a hit into an effect publishes that effect as an event (it is then in the log, and a
 * replay applies the logged event: the query itself need not be replayed). So the cast is plain
 * double arithmetic on the quantised integers.
 *
 * Shapes: spheres (radius sx), upright capsules (shape 1: radius sx, half height sy along world y),
 * rotating capsules (shape 7: along the local y axis turned by the rotation) and boxes (half
 * extents, oriented) are exact for their quantised pose and size (ray-sphere, ray-capsule as an
 * infinite cylinder clipped to the core plus two end spheres, ray-box slab test in the box's frame:
 * Ericson, Real-Time Collision Detection, 5.3.2, 5.3.7, 5.3.3). Hulls (shape 6) are not tested
 * (their vertices are an asset, not in the table); planes, heightfields and meshes are static.
 */
import type { BodyTable } from '../physics/body-table';
import { KIND, SHAPE } from '../physics/world-layout';
import { ERROR } from '../protocol/errors';
import type { RawVec3, ServerMessage } from '../protocol/messages';

/** Int32 columns kept per body per tick. */
const COLS = ['index', 'gen', 'kind', 'shape', 'px', 'py', 'pz', 'qx', 'qy', 'qz', 'qw', 'sx', 'sy', 'sz'] as const;
type Col = (typeof COLS)[number];

interface Frame {
  tick: number;
  count: number;
  cols: Record<Col, Int32Array>;
}

/** A cast's answer (ServerMessage lagRaycast without kind and nonce). */
export type LagHit = Omit<Extract<ServerMessage, { kind: 'lagRaycast' }>, 'kind' | 'nonce'>;

/** Ticks of body poses for lag-compensated raycasts (module comment). */
export class LagHistory {
  private readonly frames: Frame[] = [];
  private next = 0;
  /** Casts answered (any code). */
  casts = 0;
  /** Casts refused for a tick outside the window. */
  outOfWindow = 0;

  /** `ticks`: N, the window (0 = no history: every cast is OUT_OF_WINDOW). */
  constructor(readonly ticks: number) {
    if (!(Number.isSafeInteger(ticks) && ticks >= 0)) throw new RangeError('lagTicks is an integer >= 0');
  }

  /** Bytes the history's columns hold. */
  get bytes(): number {
    let n = 0;
    for (const f of this.frames) n += f.cols.px.byteLength * COLS.length;
    return n;
  }

  /** The oldest and newest tick held ([0, -1] when empty). */
  get window(): [number, number] {
    if (this.frames.length === 0) return [0, -1];
    let lo = Infinity,
      hi = -Infinity;
    for (const f of this.frames) {
      lo = Math.min(lo, f.tick);
      hi = Math.max(hi, f.tick);
    }
    return [lo, hi];
  }

  /**
   * Records the poses of `table` as the state of tick `tick` (dropping the oldest beyond N): one
   * typed-array copy per column (static rows too, skipped by the cast: copying whole columns is a
   * memcpy, picking rows one by one is not).
   */
  record(table: BodyTable, tick: number): void {
    if (this.ticks === 0) return;
    const n = table.count;
    let f = this.frames.length < this.ticks ? undefined : this.frames[this.next];
    if (!f || f.cols.px.length < n) {
      const cap = Math.max(16, n, f ? f.cols.px.length * 2 : 0);
      const cols = {} as Record<Col, Int32Array>;
      for (const c of COLS) cols[c] = new Int32Array(cap);
      f = { tick, count: 0, cols };
      if (this.frames.length < this.ticks) this.frames.push(f);
      else this.frames[this.next] = f;
    }
    this.next = (this.next + 1) % this.ticks;
    f.tick = tick;
    for (const c of COLS) f.cols[c].set(table[c].subarray(0, n));
    f.count = n;
  }

  /**
   * Casts a ray against the poses of tick `tick`: origin (raw Q47.16 m), direction (raw, any
   * non-zero length), length (raw Q47.16 m). Code OUT_OF_WINDOW when `tick` is not held, BAD_VALUE
   * for a zero direction or a length <= 0; else 0 with the nearest hit (if any) at distance <= length.
   */
  raycast(tick: number, origin: RawVec3, direction: RawVec3, length: bigint): LagHit {
    this.casts++;
    const miss = (code: number): LagHit => ({ tick, code, hit: false, body: { index: 0, generation: 0 }, distance: 0n, point: [0n, 0n, 0n] });
    const f = this.frames.find((x) => x.tick === tick);
    if (!f) {
      this.outOfWindow++;
      return miss(ERROR.OUT_OF_WINDOW);
    }
    const o = origin.map((v) => Number(v) / 65536),
      d0 = direction.map((v) => Number(v) / 65536);
    const dl = Math.hypot(d0[0], d0[1], d0[2]),
      maxT = Number(length) / 65536;
    if (!(dl > 0) || !(maxT > 0)) return miss(ERROR.BAD_VALUE);
    const d = [d0[0] / dl, d0[1] / dl, d0[2] / dl];
    let best = Infinity,
      bestRow = -1;
    const c = f.cols;
    for (let i = 0; i < f.count; i++) {
      if (c.kind[i] === KIND.STATIC) continue;
      const p = [c.px[i] / 1024, c.py[i] / 1024, c.pz[i] / 1024];
      const rel = [o[0] - p[0], o[1] - p[1], o[2] - p[2]];
      let t = Infinity;
      switch (c.shape[i]) {
        case SHAPE.SPHERE:
          t = raySphere(rel, d, c.sx[i] / 1024);
          break;
        case SHAPE.CAPSULE:
          t = rayCapsuleY(rel, d, c.sx[i] / 1024, c.sy[i] / 1024);
          break;
        case SHAPE.ROTATING_CAPSULE: {
          const q = quat(c, i);
          t = rayCapsuleY(rotateInv(q, rel), rotateInv(q, d), c.sx[i] / 1024, c.sy[i] / 1024);
          break;
        }
        case SHAPE.BOX: {
          const q = quat(c, i);
          t = rayBox(rotateInv(q, rel), rotateInv(q, d), [c.sx[i] / 1024, c.sy[i] / 1024, c.sz[i] / 1024]);
          break;
        }
      }
      if (t < best || (t === best && bestRow >= 0 && c.index[i] < c.index[bestRow])) {
        best = t;
        bestRow = i;
      }
    }
    if (bestRow < 0 || !(best <= maxT)) return miss(0);
    const raw = (m: number): bigint => BigInt(Math.round(m * 65536));
    return {
      tick,
      code: 0,
      hit: true,
      body: { index: c.index[bestRow] >>> 0, generation: c.gen[bestRow] >>> 0 },
      distance: raw(best),
      point: [raw(o[0] + d[0] * best), raw(o[1] + d[1] * best), raw(o[2] + d[2] * best)],
    };
  }
}

type V3 = number[];

/** The unit rotation of row i (table units x 32768, normalised). */
function quat(c: Record<Col, Int32Array>, i: number): [number, number, number, number] {
  const x = c.qx[i],
    y = c.qy[i],
    z = c.qz[i],
    w = c.qw[i];
  const n = Math.hypot(x, y, z, w) || 1;
  return [x / n, y / n, z / n, w / n];
}

/** v turned by the inverse (conjugate) of the unit quaternion q = [x, y, z, w]. */
function rotateInv(q: readonly number[], v: V3): V3 {
  const x = -q[0],
    y = -q[1],
    z = -q[2],
    w = q[3];
  const tx = 2 * (y * v[2] - z * v[1]),
    ty = 2 * (z * v[0] - x * v[2]),
    tz = 2 * (x * v[1] - y * v[0]);
  return [v[0] + w * tx + (y * tz - z * ty), v[1] + w * ty + (z * tx - x * tz), v[2] + w * tz + (x * ty - y * tx)];
}

/** Smallest t >= 0 with |rel + t d| = r (d unit); 0 inside; Infinity for none. */
function raySphere(rel: V3, d: V3, r: number): number {
  const b = rel[0] * d[0] + rel[1] * d[1] + rel[2] * d[2];
  const c = rel[0] * rel[0] + rel[1] * rel[1] + rel[2] * rel[2] - r * r;
  if (c <= 0) return 0;
  if (b > 0) return Infinity;
  const disc = b * b - c;
  if (disc < 0) return Infinity;
  return -b - Math.sqrt(disc);
}

/** Ray against a capsule whose core runs from (0, -h, 0) to (0, h, 0), radius r (local frame). */
function rayCapsuleY(rel: V3, d: V3, r: number, h: number): number {
  // inside: distance from the core <= r
  const cy = Math.max(-h, Math.min(h, rel[1]));
  if (rel[0] * rel[0] + (rel[1] - cy) * (rel[1] - cy) + rel[2] * rel[2] <= r * r) return 0;
  let best = Infinity;
  // the cylinder x^2 + z^2 = r^2, |y| <= h
  const a = d[0] * d[0] + d[2] * d[2];
  if (a > 1e-12) {
    const b = rel[0] * d[0] + rel[2] * d[2],
      c = rel[0] * rel[0] + rel[2] * rel[2] - r * r;
    const disc = b * b - a * c;
    if (disc >= 0) {
      const t = (-b - Math.sqrt(disc)) / a;
      if (t >= 0 && Math.abs(rel[1] + t * d[1]) <= h) best = t;
    }
  }
  for (const e of [-h, h]) best = Math.min(best, raySphere([rel[0], rel[1] - e, rel[2]], d, r));
  return best;
}

/** Slab test of a ray against the box |x| <= he (local frame): entry t (0 inside), Infinity for none. */
function rayBox(rel: V3, d: V3, he: V3): number {
  let lo = 0,
    hi = Infinity;
  for (let k = 0; k < 3; k++) {
    if (Math.abs(d[k]) < 1e-12) {
      if (Math.abs(rel[k]) > he[k]) return Infinity;
      continue;
    }
    let t1 = (-he[k] - rel[k]) / d[k],
      t2 = (he[k] - rel[k]) / d[k];
    if (t1 > t2) [t1, t2] = [t2, t1];
    lo = Math.max(lo, t1);
    hi = Math.min(hi, t2);
    if (lo > hi) return Infinity;
  }
  return lo;
}
