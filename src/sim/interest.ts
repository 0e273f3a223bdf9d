/**
 * Interest management: which bodies each client receives, as a snapshot (full state) on join
 * and afterwards as deltas against the last tick the client acknowledged (the Quake 3 model:
 * the server keeps what it sent for the last few ticks; a delta is taken against the newest
 * acknowledged one, or a snapshot is sent when none is left).
 *
 * Interest is spatial: the x/z plane is cut into square cells of `cellSize` metres; a client
 * receives the bodies whose position lies in the (2 cells + 1)^2 cells around its centre
 * cell, plus every plane (unbounded), plus every static heightfield and mesh whose AABB
 * overlaps those cells (announced by asset id: BodyShape.sx; the host sends the geometry once
 * per connection, src/net/geometry.ts). Positions are the quantised ones of a BodyTable.
 *
 * Joints (protocol 3): a view holds a joint when it holds every body of it (an end that is the
 * world always counts), at most `maxJoints` of them (the lowest joint indices; views cut short
 * are counted in `jointsLeftOut`). A snapshot carries the view's joints, a delta those that
 * entered it since the base and the handles of those that left it (removed, or a body of theirs
 * left the view). The world's joints come from `setJoints` (wire rows, JOINT_ROW_STRIDE each),
 * which the world loop calls when they change; a joint's row never changes while it lives.
 *
 *   tick t: update(table)  -> grid: rows sorted by cell key (one typed-array sort)
 *   client: view(key K, base B) -> set(K, t) = rows of K's cells, sorted by slot
 *           delta = diff(set(K_B, B), set(K, t)), cached per (K_B, B, K)
 *
 * Clients that share a view and a base share the encoded message, so fan-out to many clients
 * in one area costs one diff and one encode.
 *
 * Byte budget (issue 22): a view may have a budget per tick (ClientView.budget); a message that
 * would exceed it carries what fits by priority (messageFor), and the view keeps what the client
 * then holds per tick (ClientView.known) as the base of its next delta. A message that carries
 * every change is still the shared one.
 *
 * Packed deltas (issue 22; docs/protocol.md 7.2, src/sim/packed-state.ts): for a view whose
 * client decodes them (ClientView.packed, hello.packedDeltas), a delta carries the changed bodies
 * the client holds at the base as per-field differences against their base state
 * (ServerDelta.packed, about 11 to 20 bytes a body instead of 36), and only bodies new to the
 * client in full. The budget counts the packed sizes. Messages are cached per view, base and
 * format, so packed and full clients of one view and base get one encode each.
 *
 * Predicted deltas (issue 22; docs/protocol.md 7.3): for a view whose client decodes them
 * (ClientView.predicted, hello.predictedDeltas) the same records go in ServerDelta.predicted with
 * each field written against its prediction from the base (the position extrapolated by the
 * velocity over the ticks since the base, at InterestPublisher.tickRate): a body moving steadily
 * takes about 2 bytes. A third message cache per view and base.
 */
import type { BodyTable } from '../physics/body-table';
import { SHAPE } from '../physics/world-layout';
import { isAssetShape } from '../assets/wire';
import type { BodyShape, BodyState, ServerMessage } from '../protocol/messages';
import type { JointInfo } from '../protocol/messages';
import { encodeStateRows, stateRowsMessage, JOINT_ROW_STRIDE, SHAPE_ROW_STRIDE, STATE_ROW_STRIDE, type StateRows } from '../protocol/codec';
import {
  PACKED_RECORD_MAX,
  PACKED_VECTOR_OVERHEAD,
  PREDICTED_RECORD_MAX,
  PREDICTED_VECTOR_OVERHEAD,
  packBody,
  packBodyPredicted,
  packPredictedFields,
  packedFieldsSize,
  predictedFieldsSize,
  predictSpan,
  putPredictedHeader,
  putVarint,
  unpackBodies,
  unpackPredicted,
  varintSize,
} from './packed-state';

/** Fields kept per body of a sent set (Int32 each): index, generation, px py pz, qx qy qz qw, vx vy vz, shard (the wire's BodyState order). */
const STRIDE = STATE_ROW_STRIDE;
/** Shape fields kept per body: shape, kind, sx, sy, sz. */
const SHAPE_STRIDE = 5;

/** Interest options. */
export interface InterestOptions {
  /** Cell edge length, m. Default 16. */
  cellSize?: number;
  /** Largest interest radius a client may ask for, cells. Default 4. */
  maxCells?: number;
  /** Ticks of sent sets kept for deltas (a client that acknowledges nothing newer gets a snapshot). Default 32. */
  historyTicks?: number;
  /**
   * Level of detail: bodies farther than `nearCells` cells (Chebyshev) from a view's centre are
   * published only every `farEvery` ticks; in between, the view carries the state they had at
   * the last tick that is a multiple of farEvery. Bodies that did not exist then are sent as
   * they are. Default 1 (every body every tick).
   */
  farEvery?: number;
  /** Radius in cells around a view's centre that is always current. Default 1. */
  nearCells?: number;
  /**
   * Shared bases: an unbudgeted packed or predicted delta is made against the client's newest
   * acknowledged tick that is a multiple of `baseEvery` (when the host still holds it), not its
   * newest acknowledged tick, so the clients of one view whose acks are spread over a few ticks
   * share a few (view, base) encodings instead of one each (the per-body work of a packed or
   * predicted record is per encoding: issue 22, 500 bots). The delta spans up to baseEvery - 1
   * ticks more (a client keeps its states of the last 64 ticks: the client library's keepFrames).
   * Full deltas and budgeted views keep the newest ack. Default 1 (the newest ack).
   */
  baseEvery?: number;
  /**
   * Most joints a view holds (so a snapshot carries at most this many, 84 bytes each): the
   * lowest joint indices among those in it; the cut is counted (jointsLeftOut). Default 256.
   */
  maxJoints?: number;
  /**
   * Default byte budget of a view's state message per tick (ClientView.budget): 0 (default) =
   * none, else BUDGET_MIN..BUDGET_MAX. Under a budget the message carries the view's removals,
   * then its joint changes, then the changed bodies of the highest priority accumulators that
   * fit (see InterestPublisher.messageFor); its encoding is at most this many bytes.
   */
  budget?: number;
}

/** Smallest nonzero budget, bytes: the fixed part of a message (STATE_OVERHEAD_BYTES) and a few bodies. */
export const BUDGET_MIN = 256;
/** Largest budget, bytes (1 MiB). */
export const BUDGET_MAX = 1 << 20;
/**
 * Bytes a snapshot or delta takes besides its bodies, shapes, handles and joints, upper bound:
 * measured 84 (snapshot) and 108 (delta) with the current schemas (the structs are 4-byte
 * aligned, so vectors add no padding); 20 bytes of slack. test/interest-budget.test.ts checks
 * every budgeted message against it.
 */
export const STATE_OVERHEAD_BYTES = 128;
/** Encoded bytes per body state (BodyState struct), shape (BodyShape), removed handle, joint (JointInfo). */
const COST_STATE = 36,
  COST_SHAPE = 24,
  COST_HANDLE = 8,
  COST_JOINT = 84;
/**
 * Restores the binary max-heap property below h[i] (heap of n candidate indices; the greatest
 * key[x] first, equal keys in ascending x: the order of a sort by key descending, then index).
 */
function siftDown(h: Int32Array, n: number, i: number, key: Float64Array): void {
  const x = h[i],
    kx = key[x];
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    const r = c + 1;
    if (r < n) {
      const kc = key[h[c]],
        kr = key[h[r]];
      if (kr > kc || (kr === kc && h[r] < h[c])) c = r;
    }
    const y = h[c],
      ky = key[y];
    if (!(ky > kx || (ky === kx && y < x))) break;
    h[i] = y;
    i = c;
  }
  h[i] = x;
}

/**
 * Spare buffers a budgeted view keeps for its known sets: about one set is dropped (acknowledged)
 * and one made per tick, so two cover a tick whose ack came late; more only hold memory (a set of
 * 2,000 bodies is 104 kB: 8 spares a client were 400 MB at 500 budgeted clients).
 */
const SPARES = 2;

/**
 * Keeps `rows` (a known set's buffer the view no longer needs) among a view's spare buffers: at
 * most SPARES, the largest (a list full of buffers too small for the view's sets would never be used).
 */
function keepSpare(spare: Int32Array[], rows: Int32Array): void {
  if (spare.length < SPARES) {
    spare.push(rows);
    return;
  }
  let m = 0;
  for (let q = 1; q < spare.length; q++) if (spare[q].length < spare[m].length) m = q;
  if (spare[m].length < rows.length) spare[m] = rows;
}

/**
 * Under a budget, bodies go into a message in priority order; one that does not fit is skipped
 * for a smaller one after it, and after this many skips the message is full (the rest wait: the
 * room left is smaller than about every record, and ordering and sizing the whole view for each
 * client cost more than the bytes are worth).
 */
const BUDGET_MISSES = 32;

/** Accumulator weight of a body in the near cells (and of planes and terrain) per tick: far ones weigh 1 / (rings beyond the near cells). */
const NEAR_WEIGHT = 1e6;

/** Upper bound of the encoded size of a StateRows, bytes (the costs above plus STATE_OVERHEAD_BYTES). */
export function stateRowsCost(m: StateRows): number {
  return (
    STATE_OVERHEAD_BYTES +
    COST_STATE * m.bodyCount +
    COST_SHAPE * m.shapeCount +
    COST_HANDLE * (m.removedCount + (m.removedJointCount ?? 0)) +
    COST_JOINT * (m.jointCount ?? 0) +
    (m.packed && m.packed.length > 0 ? m.packed.length + PACKED_VECTOR_OVERHEAD : 0) +
    (m.predicted && m.predicted.length > 0 ? m.predicted.length + PACKED_VECTOR_OVERHEAD : 0)
  );
}

/** A client's view: its interest and what it acknowledged. Created by InterestPublisher.createView. */
export interface ClientView {
  /** Centre cell (x, z) and radius in cells. */
  cx: number;
  cz: number;
  cells: number;
  /**
   * View key "cx,cz,cells" (the sets a view shares with the views of the same cell and radius) and
   * the (cx, cz, cells) it was made for: remade only when those change, so messageFor allocates no
   * key per client per tick.
   */
  key: string;
  keyFor: Int32Array;
  /** Newest tick the client acknowledged, or -1. */
  acked: number;
  /** Newest tick the client acknowledged that is a multiple of InterestOptions.baseEvery, or -1 (shared bases). */
  ackedAligned: number;
  /** View key of each tick sent (tick -> key), for the last historyTicks ticks. */
  sent: TickWindow<string>;
  /**
   * Byte budget of each state message, bytes per tick (0 = no budget: every change is sent).
   * Starts at InterestOptions.budget; set it directly or with InterestPublisher.setBudget.
   */
  budget: number;
  /** Slot index of the client's own avatar (always first under a budget), or -1. */
  own: number;
  /**
   * The client decodes packed deltas (hello.packedDeltas; docs/protocol.md 7.2): its deltas carry
   * changed bodies as ServerDelta.packed. Default false (full BodyStates, the version-4 format).
   */
  packed: boolean;
  /**
   * The client decodes predicted deltas (hello.predictedDeltas; docs/protocol.md 7.3): its deltas
   * carry changed bodies as ServerDelta.predicted, and `packed` is then not used. Default false.
   */
  predicted: boolean;
  /**
   * What the client holds after each tick sent (tick -> set), for the last historyTicks ticks:
   * the shared set of the view when the message carried every change (so clients in step still
   * share one encoding), else the client's own set (the base's bodies with what was sent applied).
   */
  known: TickWindow<ViewSet>;
  /** Priority accumulators, aligned with the bodies of the last current set (slot, value). */
  accSlot: Int32Array;
  accVal: Float64Array;
  accCount: number;
  /** Row buffers of the client's own known sets that were dropped, for reuse (no allocation per tick in steady state). */
  spare: Int32Array[];
}

/**
 * Values by tick for the last `capacity` ticks of a view (ClientView.sent, ClientView.known): a
 * ring of ceil(capacity) slots indexed by tick modulo its length, in place of a Map that was
 * added to and deleted from per client per tick (its table rehashed as it churned: issue 22).
 * Ticks are integers >= 0. The owner removes ticks that fall out of its window (evictUpTo,
 * clearAt) before setting a tick that would reuse their slot; set throws RangeError if the slot
 * still holds another tick.
 */
export class TickWindow<T> {
  /** Slots. */
  readonly capacity: number;
  private readonly ticks: Float64Array;
  private readonly vals: (T | undefined)[];
  constructor(ticks: number) {
    this.capacity = Math.max(1, Math.ceil(ticks));
    this.ticks = new Float64Array(this.capacity).fill(-1);
    this.vals = new Array<T | undefined>(this.capacity).fill(undefined);
  }
  /** The value of `tick`, or undefined. */
  get(tick: number): T | undefined {
    const i = tick % this.capacity;
    return this.ticks[i] === tick ? this.vals[i] : undefined;
  }
  has(tick: number): boolean {
    return this.ticks[tick % this.capacity] === tick;
  }
  /** Sets the value of `tick` (replacing the same tick's). Throws RangeError when the slot holds another tick. */
  set(tick: number, value: T): void {
    const i = tick % this.capacity;
    if (this.ticks[i] !== -1 && this.ticks[i] !== tick) throw new RangeError(`TickWindow: tick ${tick} would replace tick ${this.ticks[i]} (evict it first)`);
    this.ticks[i] = tick;
    this.vals[i] = value;
  }
  /** Removes `tick`; whether it was there. */
  delete(tick: number): boolean {
    const i = tick % this.capacity;
    if (this.ticks[i] !== tick) return false;
    this.clearAt(i);
    return true;
  }
  /** Removes every tick <= `tick`. */
  evictUpTo(tick: number): void {
    for (let i = 0; i < this.capacity; i++) if (this.ticks[i] !== -1 && this.ticks[i] <= tick) this.clearAt(i);
  }
  /** The tick in slot i (0..capacity-1), or -1. */
  tickAt(i: number): number {
    return this.ticks[i];
  }
  /** The value in slot i, or undefined. */
  valueAt(i: number): T | undefined {
    return this.vals[i];
  }
  /** Empties slot i. */
  clearAt(i: number): void {
    this.ticks[i] = -1;
    this.vals[i] = undefined;
  }
  /** Ticks held. */
  get size(): number {
    let n = 0;
    for (let i = 0; i < this.capacity; i++) if (this.ticks[i] !== -1) n++;
    return n;
  }
}

/** The bodies of one view at one tick, sorted by slot: STRIDE fields each, and the table row each came from (valid during its tick only; empty for a client's own known set). */
export interface ViewSet {
  rows: Int32Array;
  tableRow: Int32Array;
  count: number;
  /** By row: 1 where the row holds a far body's held state (level of detail), not this tick's; absent when none does. */
  held?: Uint8Array;
  /** The view's joints, JOINT_ROW_STRIDE values each in joint index order (wire rows). */
  joints: Int32Array;
  jointCount: number;
  /**
   * By row, under a budget (InterestPublisher.budgeted): the accumulator weight a body adds per tick
   * while it differs from what the client holds, and whether it is near (1); made by the first
   * budgeted message of the set's view and tick, read by the others (one centre per set).
   */
  weights?: Float64Array;
  nearRows?: Uint8Array;
}

const NO_JOINTS = new Int32Array(0);
/** tableRow of a client's own known set (InterestPublisher.budgeted): marks its rows as the view's to reuse. */
const OWN_SET = new Int32Array(0);

/** Most base ticks per tick whose predicted records are cached (clients' acks spread over a few ticks). */
const PRED_CACHES = 8;

/**
 * Predicted records (mask and residuals, without the gap) of the current tick's bodies against
 * one base tick, by slot and row kind (slot * 4 + base row held * 2 + current row held), made by
 * the first delta that needs one and copied by the others. Views that share a base tick share
 * the rows of both ticks (the world's published rows, or the held ones of a far body), so each
 * body's record is computed once per base tick instead of once per (view, base) pair. Entries are
 * valid while `stamp` equals the cache's `gen`, which each reset raises (nothing is cleared).
 */
class PredictedRecordCache {
  baseTick = -1;
  /** Raised by each reset: entries of earlier uses carry a lower stamp. */
  gen = 0;
  /** By entry: the gen its bytes were made in. */
  stamp = new Int32Array(0);
  /** By entry: the offset in `bytes` of its length byte, followed by the record. */
  off = new Int32Array(0);
  bytes = new Uint8Array(0);
  used = 0;

  /** Starts a tick's cache for `baseTick`, with room for about `n` records. */
  reset(baseTick: number, n: number): void {
    this.baseTick = baseTick;
    this.gen++;
    this.used = 0;
    const need = n * (PREDICTED_RECORD_MAX + 1);
    if (this.bytes.length < need) this.bytes = new Uint8Array(Math.max(need, this.bytes.length * 2));
  }

  /** Keeps src[from, to) (one record, at most PREDICTED_RECORD_MAX bytes) as entry e. */
  put(e: number, src: Uint8Array, from: number, to: number): void {
    if (e >= this.stamp.length) {
      const cap = Math.max(e + 1, this.stamp.length * 2, 1024);
      const s = new Int32Array(cap),
        o = new Int32Array(cap);
      s.set(this.stamp);
      o.set(this.off);
      this.stamp = s;
      this.off = o;
    }
    const len = to - from;
    if (this.used + len + 1 > this.bytes.length) {
      const b = new Uint8Array(Math.max(this.used + len + 1, this.bytes.length * 2));
      b.set(this.bytes.subarray(0, this.used));
      this.bytes = b;
    }
    const B = this.bytes;
    B[this.used] = len;
    for (let q = from, w = this.used + 1; q < to; q++, w++) B[w] = src[q];
    this.off[e] = this.used;
    this.stamp[e] = this.gen;
    this.used += len + 1;
  }
}

/**
 * A client's state message at the current tick, shared by the clients with the same view and
 * base: `bytes` is the FlatBuffers encoding (made once, on first use), `msg` the same as a
 * ServerMessage value (made on first use; for tests and tools).
 */
export class StateMessage {
  private encoded: Uint8Array | null = null;
  private value: Extract<ServerMessage, { kind: 'snapshot' | 'delta' }> | null = null;
  constructor(
    readonly rows: StateRows,
    private readonly onEncode: () => void,
  ) {}
  /** The encoded ServerMessage (encodeStateRows). Throws ProtocolError for a value the wire cannot hold. */
  get bytes(): Uint8Array {
    if (!this.encoded) {
      this.encoded = encodeStateRows(this.rows);
      this.onEncode();
    }
    return this.encoded;
  }
  /** Upper bound of the encoded size, bytes (stateRowsCost; no encode). */
  get cost(): number {
    return stateRowsCost(this.rows);
  }
  get msg(): Extract<ServerMessage, { kind: 'snapshot' | 'delta' }> {
    return (this.value ??= stateRowsMessage(this.rows));
  }
  private assetIds: number[] | null = null;
  /** Asset ids of the heightfields, meshes and hulls among the message's shapes (bodies it announces), in order; made on first use. */
  get assets(): readonly number[] {
    if (!this.assetIds) {
      const out: number[] = [],
        S = this.rows.shapes;
      for (let i = 0; i < this.rows.shapeCount; i++) {
        const o = i * SHAPE_ROW_STRIDE;
        if (isAssetShape(S[o + 2])) out.push(S[o + 4]);
      }
      this.assetIds = out;
    }
    return this.assetIds;
  }
}

const SHAPE_PLANE = 3;
const NO_HANDLES = new Uint32Array(0);
/** JointInfo flag: B is the world (messages.ts JOINT_WIRE_WORLD). */
const JOINT_WIRE_WORLD = 8;
/** A StateRows with nothing in it (for joints()). */
const EMPTY_ROWS: StateRows = {
  kind: 'snapshot',
  tick: 0,
  baseTick: 0,
  rows: new Int32Array(0),
  bodies: new Int32Array(0),
  bodyCount: 0,
  shapes: new Int32Array(0),
  shapeCount: 0,
  removed: new Uint32Array(0),
  removedCount: 0,
};
const CELL_BIAS = 1 << 15;

/** Cell key of quantised coordinates (cells within +-32,768 of the origin; farther ones clamp). */
function cellKey(cx: number, cz: number): number {
  const x = Math.max(0, Math.min(0xffff, cx + CELL_BIAS)),
    z = Math.max(0, Math.min(0xffff, cz + CELL_BIAS));
  return x * 0x10000 + z;
}

/**
 * Builds snapshots and deltas per client from the tick's BodyTable. Not thread-safe; one per
 * stream, driven by the main sim loop: `update` once per tick, then `messageFor` per client.
 */
export class InterestPublisher {
  readonly cellSize: number;
  readonly maxCells: number;
  readonly historyTicks: number;
  private readonly cellQ: number;
  private table: BodyTable | null = null;
  private order = new Float64Array(0);
  private count = 0;
  private planes: number[] = [];
  /** Static heightfields and meshes: row, then the cells their AABB covers (x0, x1, z0, z1), 5 numbers each. */
  private terrain: number[] = [];
  /** Scratch: table rows of the view being gathered. */
  private gather = new Int32Array(0);
  /** Sets by view key, per tick. */
  private readonly sets = new Map<number, Map<string, ViewSet>>();
  /**
   * Messages of the current tick by current set, then by base set (null: the snapshot), one map per
   * format (full, packed): the sets are the tick's shared objects, so a lookup makes no key string.
   */
  private readonly messages = new Map<ViewSet, Map<ViewSet | null, StateMessage>>();
  private readonly packedMessages = new Map<ViewSet, Map<ViewSet | null, StateMessage>>();
  private readonly predictedMessages = new Map<ViewSet, Map<ViewSet | null, StateMessage>>();
  /**
   * Ticks per second of the world's step (integer 1..1000), the rate predicted deltas extrapolate
   * with (docs/protocol.md 7.3; written in each predicted vector, so a wrong value costs bytes,
   * never correctness). The world loop keeps it current. Default 60 (WorldConfig's default).
   */
  tickRate = 60;
  /** Integrator substeps per tick of the world's step (1..64), as tickRate (WorldConfig.substeps; default 6, its default). */
  substeps = 6;
  /** Messages reused by clients that share a view and base (counted since construction). */
  cacheHits = 0;
  /** Messages encoded (counted since construction): one per distinct view and base a client was sent. */
  encodes = 0;
  private readonly countEncode = (): void => {
    this.encodes++;
  };
  readonly farEvery: number;
  /** InterestOptions.baseEvery. */
  readonly baseEvery: number;
  readonly nearCells: number;
  readonly maxJoints: number;
  /** Default budget of new views, bytes per tick (0 = none). */
  readonly budget: number;
  /** State messages made under a budget (counted since construction). */
  budgetMessages = 0;
  /** Sum of the budgets of those messages, bytes. */
  budgetBytes = 0;
  /** Encoded bytes of budgeted messages sent (counted by the fan-out, src/net/fanout.ts). */
  budgetBytesSent = 0;
  /** Every state message sent, budgeted or not: count, encoded bytes, the largest (counted by the fan-out). */
  stateMessagesSent = 0;
  stateBytesSent = 0;
  stateBytesMax = 0;
  /** Changed bodies (and removals, joint changes) left for a later tick by a budget. */
  budgetDeferred = 0;
  /** Budgeted messages made for one client (not shared: its base or its choice is its own). */
  budgetOwn = 0;
  /** Of budgetDeferred: bodies within nearCells of the view's centre (a budget too small for the near view). */
  budgetNearDeferred = 0;
  /**
   * The counters above by the view's delta format, index 0 full, 1 packed, 2 predicted (formatOf),
   * so that one run with clients of every format compares them on the same crowd: state messages
   * and their bytes (counted by the fan-out, src/net/fanout.ts, with countSent), budgetDeferred and
   * budgetNearDeferred.
   */
  readonly byFormat = [0, 1, 2].map(() => ({ messages: 0, bytes: 0, deferred: 0, nearDeferred: 0 }));
  /** Counts a state message of `bytes` bytes sent to view v (stateMessagesSent, stateBytesSent, stateBytesMax, byFormat). */
  countSent(v: ClientView, bytes: number): void {
    this.stateMessagesSent++;
    this.stateBytesSent += bytes;
    if (bytes > this.stateBytesMax) this.stateBytesMax = bytes;
    const f = this.byFormat[this.formatOf(v)];
    f.messages++;
    f.bytes += bytes;
  }
  /** Scratch of budgeted messages (grown, kept). */
  private bStatus = new Uint8Array(0);
  private bBase = new Int32Array(0);
  private bCand = new Int32Array(0);
  private bSkip = new Int32Array(0);
  private bRemSent = new Uint8Array(0);
  private bSel = new Uint8Array(0);
  private bNear = new Uint8Array(0);
  private bOldS = new Int32Array(0);
  private bOldV = new Float64Array(0);
  /** Scratch of diff (grown, kept): entered bodies, packed base and current offsets (a body each), removed handles (two values each). */
  private dEntered = new Int32Array(0);
  private dPBase = new Int32Array(0);
  private dPCur = new Int32Array(0);
  private dRemoved = new Uint32Array(0);
  /** Scratch of packed records (grown, kept): PACKED_RECORD_MAX bytes a body. */
  private pBuf = new Uint8Array(0);
  /** Packed bytes a budgeted candidate may take (upper bound, per body of the current set). */
  private bCost = new Int32Array(0);
  /** The world's joints (wire rows, JOINT_ROW_STRIDE each, joint index order); replaced, never changed, by setJoints. */
  private jointRows: Int32Array = NO_JOINTS;
  private jointCount = 0;
  /** Row offsets (in jointRows) of the joints of each body A slot, for views of fewer bodies than joints. */
  private readonly jointsOfSlot = new Map<number, number[]>();
  /** View sets that held more joints than maxJoints and were cut to it (counted since construction). */
  jointsLeftOut = 0;
  /** Per slot: the generation and fields (STRIDE - 2 values from px) at the last far tick; generation -1 = none. */
  private heldGen = new Int32Array(0);
  private heldVals = new Int32Array(0);
  /** The current tick's rows, packed once by update(): STRIDE values, SHAPE_STRIDE shape values and the cell of each row. */
  private packed = new Int32Array(0);
  private packedShapes = new Int32Array(0);
  private cellX = new Int32Array(0);
  private cellZ = new Int32Array(0);
  /** Rows in `packed` (the table's count at the last update). */
  private packedCount = -1;
  /** Rows packed by incremental updates since the last hold (a flag per row, and the list). */
  private dirty = new Uint8Array(0);
  private dirtyRows = new Int32Array(0);
  private dirtyCount = 0;
  /** The next hold records every row (a full update happened since the last one). */
  private holdAll = true;

  constructor(opts: InterestOptions = {}) {
    this.cellSize = opts.cellSize ?? 16;
    this.maxCells = opts.maxCells ?? 4;
    this.historyTicks = opts.historyTicks ?? 32;
    this.farEvery = opts.farEvery ?? 1;
    this.baseEvery = opts.baseEvery ?? 1;
    this.nearCells = opts.nearCells ?? 1;
    this.maxJoints = opts.maxJoints ?? 256;
    this.budget = opts.budget ?? 0;
    if (!InterestPublisher.budgetOk(this.budget)) throw new RangeError(`interest budget ${this.budget}: 0 or ${BUDGET_MIN}..${BUDGET_MAX} bytes`);
    if (
      !(Number.isInteger(this.maxJoints) && this.maxJoints >= 0) ||
      !(this.cellSize > 0) ||
      !(this.maxCells >= 0) ||
      !(this.historyTicks >= 1) ||
      !(Number.isInteger(this.farEvery) && this.farEvery >= 1) ||
      !(Number.isInteger(this.baseEvery) && this.baseEvery >= 1 && this.baseEvery <= this.historyTicks) ||
      !(this.nearCells >= 0)
    )
      throw new RangeError('bad interest options');
    this.cellQ = Math.round(this.cellSize * 1024);
  }

  /** A view centred at (x, z) m with a radius of `cells` cells (clamped to maxCells). */
  createView(x = 0, z = 0, cells = 2): ClientView {
    const v: ClientView = {
      cx: 0,
      cz: 0,
      cells: 0,
      key: '',
      keyFor: new Int32Array(3),
      acked: -1,
      ackedAligned: -1,
      sent: new TickWindow(this.historyTicks),
      budget: this.budget,
      own: -1,
      packed: false,
      predicted: false,
      known: new TickWindow(this.historyTicks),
      accSlot: new Int32Array(0),
      accVal: new Float64Array(0),
      accCount: 0,
      spare: [],
    };
    this.setInterest(v, x, z, cells);
    return v;
  }

  /** Whether `bytes` is a valid budget: 0 (none) or an integer in BUDGET_MIN..BUDGET_MAX. */
  static budgetOk(bytes: number): boolean {
    return bytes === 0 || (Number.isInteger(bytes) && bytes >= BUDGET_MIN && bytes <= BUDGET_MAX);
  }

  /** Sets a view's byte budget per tick (0 = none). Throws RangeError outside 0, BUDGET_MIN..BUDGET_MAX. */
  setBudget(v: ClientView, bytes: number): void {
    if (!InterestPublisher.budgetOk(bytes)) throw new RangeError(`interest budget ${bytes}: 0 or ${BUDGET_MIN}..${BUDGET_MAX} bytes`);
    v.budget = bytes;
  }

  /** Moves a view (x, z in metres; cells clamped to 0..maxCells). */
  setInterest(v: ClientView, x: number, z: number, cells: number): void {
    v.cx = Math.floor((x * 1024) / this.cellQ);
    v.cz = Math.floor((z * 1024) / this.cellQ);
    v.cells = Math.max(0, Math.min(this.maxCells, Math.floor(cells)));
  }

  /** Does the view cover the point (x, z), m? (Its cells, as membership in deltas counts them.) */
  covers(v: ClientView, x: number, z: number): boolean {
    const cx = Math.floor((x * 1024) / this.cellQ),
      cz = Math.floor((z * 1024) / this.cellQ);
    return Math.abs(cx - v.cx) <= v.cells && Math.abs(cz - v.cz) <= v.cells;
  }

  /** Records an acknowledgement (ticks only move forward; unknown ticks are ignored). */
  acknowledge(v: ClientView, tick: number): void {
    if (!v.sent.has(tick)) return;
    if (tick > v.acked) v.acked = tick;
    if (tick % this.baseEvery === 0 && tick > v.ackedAligned) v.ackedAligned = tick;
  }

  /**
   * The world's joints from now on: `count` wire rows (JOINT_ROW_STRIDE Int32 each, in joint
   * index order; src/protocol/codec.ts JOINT_ROW_STRIDE), as src/sim/joint-rows.ts makes them.
   * The array is kept (not copied): pass a fresh one each time. Sets already made keep the
   * joints they had (deltas against them are right).
   */
  setJoints(rows: Int32Array, count: number): void {
    this.jointRows = rows;
    this.jointCount = count;
    this.jointsOfSlot.clear();
    for (let k = 0; k < count; k++) {
      const slot = rows[k * JOINT_ROW_STRIDE + 2] >>> 0,
        list = this.jointsOfSlot.get(slot);
      if (list) list.push(k * JOINT_ROW_STRIDE);
      else this.jointsOfSlot.set(slot, [k * JOINT_ROW_STRIDE]);
    }
  }

  /** The world's joints as the publisher has them (for tests and tools): the JointInfo of each row. */
  joints(): JointInfo[] {
    return stateRowsMessage({ ...EMPTY_ROWS, joints: this.jointRows, jointCount: this.jointCount }).joints;
  }

  /**
   * Starts a tick: indexes the table's bodies by cell and forgets sets older than historyTicks.
   * With `changed` (the rows that differ from the table of the previous update, the same
   * table object with the same rows in the same order: BodyTableSync.changed), only those rows
   * are packed again, and the cell order is rebuilt only when one of them changed cell: a
   * settled world costs the history bookkeeping alone. Without it, every row is read.
   */
  update(table: BodyTable, changed: Int32Array | null = null, changedCount = 0): void {
    const n = table.count;
    if (n >= 0x100000) throw new RangeError('interest supports up to 1,048,575 bodies');
    const incremental = changed !== null && this.table === table && this.packedCount === n;
    this.table = table;
    let resort = true;
    if (incremental) {
      resort = false;
      for (let i = 0; i < changedCount; i++) {
        const r = changed[i],
          cx = this.cellX[r],
          cz = this.cellZ[r];
        this.packRow(table, r);
        if (this.cellX[r] !== cx || this.cellZ[r] !== cz) resort = true;
        if (this.farEvery > 1 && !this.dirty[r]) {
          this.dirty[r] = 1;
          this.dirtyRows[this.dirtyCount++] = r;
        }
      }
      this.rowsPacked += changedCount;
    } else {
      for (let i = 0; i < this.dirtyCount; i++) this.dirty[this.dirtyRows[i]] = 0;
      this.dirtyCount = 0;
      this.pack(table);
      this.holdAll = true;
    }
    if (resort) this.sortCells(table);
    this.sets.set(table.tick, new Map());
    for (const t of this.sets.keys()) if (t <= table.tick - this.historyTicks) this.sets.delete(t);
    this.messages.clear();
    this.packedMessages.clear();
    this.predictedMessages.clear();
    this.predCacheCount = 0;
    if (this.farEvery > 1 && table.tick % this.farEvery === 0) this.hold(table);
  }

  /** Rows packed since construction (every row of a full update, the changed rows of an incremental one): a work counter. */
  rowsPacked = 0;
  /** Times the cell order was rebuilt (a full update, or a changed row that moved to another cell). */
  sorts = 0;

  /** Orders the rows by cell key (planes apart). */
  private sortCells(table: BodyTable): void {
    const n = table.count;
    if (this.order.length < n) this.order = new Float64Array(Math.max(n, this.order.length * 2));
    this.planes = [];
    this.terrain = [];
    let m = 0;
    for (let r = 0; r < n; r++) {
      if (table.shape[r] === SHAPE_PLANE) {
        this.planes.push(r);
        continue;
      }
      // static heightfields and meshes (assembly/physics/terrain.ts) are large: a view holds one
      // when its cells overlap the cells of the body's AABB (centre px.., half extents sx..)
      if (table.shape[r] === SHAPE.HEIGHTFIELD || table.shape[r] === SHAPE.MESH) {
        const q = this.cellQ;
        this.terrain.push(
          r,
          Math.floor((table.px[r] - table.sx[r]) / q),
          Math.floor((table.px[r] + table.sx[r]) / q),
          Math.floor((table.pz[r] - table.sz[r]) / q),
          Math.floor((table.pz[r] + table.sz[r]) / q),
        );
        continue;
      }
      this.order[m++] = cellKey(this.cellX[r], this.cellZ[r]) * 0x100000 + r; // key < 2^32, row < 2^20: exact in a double
    }
    this.order.subarray(0, m).sort();
    this.count = m;
    this.sorts++;
  }

  /** Packs every row once per tick (index, generation, state, shard; shape; cell), for the views to copy. */
  private pack(t: BodyTable): void {
    const n = t.count;
    if (this.cellX.length < n) {
      const cap = Math.max(n, this.cellX.length * 2);
      this.packed = new Int32Array(cap * STRIDE);
      this.packedShapes = new Int32Array(cap * SHAPE_STRIDE);
      this.cellX = new Int32Array(cap);
      this.cellZ = new Int32Array(cap);
      this.dirty = new Uint8Array(cap);
      this.dirtyRows = new Int32Array(cap);
    }
    for (let r = 0; r < n; r++) this.packRow(t, r);
    this.packedCount = n;
    this.rowsPacked += n;
  }

  /** Packs row r of the table. */
  private packRow(t: BodyTable, r: number): void {
    const P = this.packed,
      PS = this.packedShapes;
    const o = r * STRIDE,
      s = r * SHAPE_STRIDE;
    P[o] = t.index[r];
    P[o + 1] = t.gen[r];
    P[o + 2] = t.px[r];
    P[o + 3] = t.py[r];
    P[o + 4] = t.pz[r];
    P[o + 5] = t.qx[r];
    P[o + 6] = t.qy[r];
    P[o + 7] = t.qz[r];
    P[o + 8] = t.qw[r];
    P[o + 9] = t.vx[r];
    P[o + 10] = t.vy[r];
    P[o + 11] = t.vz[r];
    P[o + 12] = t.shard[r] < 0 ? 255 : t.shard[r];
    PS[s] = t.shape[r];
    PS[s + 1] = t.kind[r];
    if (isAssetShape(t.shape[r])) {
      // on the wire a heightfield, mesh or hull is its asset id (BodyShape.sx); its geometry is sent apart (ServerGeometry)
      PS[s + 2] = t.asset[r];
      PS[s + 3] = 0;
      PS[s + 4] = 0;
    } else {
      PS[s + 2] = t.sx[r];
      PS[s + 3] = t.sy[r];
      PS[s + 4] = t.sz[r];
    }
    this.cellX[r] = Math.floor(t.px[r] / this.cellQ);
    this.cellZ[r] = Math.floor(t.pz[r] / this.cellQ);
  }

  /**
   * Records every body's fields as the far state until the next far tick: after a full update
   * all rows, else only the rows packed since the last hold (the others hold what they held).
   */
  private hold(t: BodyTable): void {
    const F = STRIDE - 2,
      P = this.packed;
    // the rows pack() made: index, generation, then the STRIDE - 2 held fields
    const put = (r: number): void => {
      const p = r * STRIDE,
        slot = P[p];
      this.heldGen[slot] = P[p + 1];
      this.heldVals.set(P.subarray(p + 2, p + STRIDE), slot * F);
    };
    if (this.holdAll) {
      let top = 0;
      for (let r = 0; r < t.count; r++) top = Math.max(top, t.index[r] + 1);
      if (this.heldGen.length < top) {
        const g = new Int32Array(Math.max(top, this.heldGen.length * 2)).fill(-1);
        this.heldGen = g;
        this.heldVals = new Int32Array(g.length * F);
      } else this.heldGen.fill(-1);
      for (let r = 0; r < t.count; r++) put(r);
      this.holdAll = false;
    } else for (let i = 0; i < this.dirtyCount; i++) put(this.dirtyRows[i]);
    for (let i = 0; i < this.dirtyCount; i++) this.dirty[this.dirtyRows[i]] = 0;
    this.dirtyCount = 0;
  }

  private lowerBound(key: number): number {
    let lo = 0,
      hi = this.count;
    const x = key * 0x100000;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.order[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** A view's key (ClientView.key), remade when cx, cz or cells changed since it was made. */
  private viewKey(v: ClientView): string {
    const f = v.keyFor;
    if (v.key === '' || f[0] !== v.cx || f[1] !== v.cz || f[2] !== v.cells) {
      v.key = `${v.cx},${v.cz},${v.cells}`;
      f[0] = v.cx;
      f[1] = v.cz;
      f[2] = v.cells;
    }
    return v.key;
  }

  /** The set of the current tick for a view: rows in its cells plus planes, sorted by slot. */
  private currentSet(v: ClientView, key: string): ViewSet {
    const t = this.table as BodyTable;
    const perTick = this.sets.get(t.tick) as Map<string, ViewSet>;
    const have = perTick.get(key);
    if (have) return have;
    if (this.gather.length < t.count) this.gather = new Int32Array(Math.max(t.count, this.gather.length * 2));
    const g = this.gather;
    let m = 0;
    for (const r of this.planes) g[m++] = r;
    const T = this.terrain;
    for (let k = 0; k < T.length; k += 5)
      if (T[k + 1] <= v.cx + v.cells && T[k + 2] >= v.cx - v.cells && T[k + 3] <= v.cz + v.cells && T[k + 4] >= v.cz - v.cells) g[m++] = T[k];
    // cells (x, z .. z + 2c) are consecutive keys: one range of `order` per column of the view
    const z0 = Math.max(v.cz - v.cells, -CELL_BIAS),
      z1 = Math.min(v.cz + v.cells, 0xffff - CELL_BIAS);
    const x0 = Math.max(v.cx - v.cells, -CELL_BIAS),
      x1 = Math.min(v.cx + v.cells, 0xffff - CELL_BIAS);
    for (let x = x0; x <= x1 && z0 <= z1; x++) {
      const end = (cellKey(x, z1) + 1) * 0x100000;
      for (let i = this.lowerBound(cellKey(x, z0)); i < this.count && this.order[i] < end; i++) g[m++] = this.order[i] % 0x100000;
    }
    const rows = g.subarray(0, m).sort(); // table rows are in slot order
    const set: ViewSet = { rows: new Int32Array(m * STRIDE), tableRow: rows.slice(), count: m, joints: NO_JOINTS, jointCount: 0 };
    const lod = this.farEvery > 1,
      F = STRIDE - 2,
      P = this.packed,
      H = this.heldVals,
      HG = this.heldGen;
    const out = set.rows,
      near = this.nearCells,
      shape = t.shape,
      CX = this.cellX,
      CZ = this.cellZ;
    for (let i = 0; i < m; i++) {
      const r = rows[i],
        o = i * STRIDE,
        p = r * STRIDE;
      const slot = P[p],
        far = lod && HG.length > slot && HG[slot] === P[p + 1] && shape[r] !== SHAPE_PLANE && (Math.abs(CX[r] - v.cx) > near || Math.abs(CZ[r] - v.cz) > near);
      out[o] = slot;
      out[o + 1] = P[p + 1];
      if (far) {
        for (let f = 0, h = slot * F; f < F; f++) out[o + 2 + f] = H[h + f];
        set.held ??= new Uint8Array(m);
        set.held[i] = 1;
      } else for (let f = 2; f < STRIDE; f++) out[o + f] = P[p + f];
    }
    this.viewJoints(set);
    perTick.set(key, set);
    return set;
  }

  /** Whether a set (sorted by slot) holds the body (slot, generation). */
  private holds(set: ViewSet, slot: number, gen: number): boolean {
    const R = set.rows;
    let lo = 0,
      hi = set.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (R[mid * STRIDE] >>> 0 < slot) lo = mid + 1;
      else hi = mid;
    }
    return lo < set.count && R[lo * STRIDE] >>> 0 === slot && R[lo * STRIDE + 1] === gen;
  }

  /**
   * Fills a set's joints: those whose bodies it holds (a world end always), at most maxJoints, in
   * joint index order. Work: the world's joints, each looked up in the set (binary search), or,
   * when the set has fewer bodies than that costs, the set's bodies, each looked up as a body A
   * (jointsOfSlot): at most about the set's own size.
   */
  private viewJoints(set: ViewSet): void {
    const J = this.jointRows,
      n = this.jointCount;
    if (n === 0) return;
    let candidates: ArrayLike<number>;
    // n log2(view) <= view: look the world's joints up in the view (bit length for log2: integer, exact)
    if (n * (32 - Math.clz32(set.count + 2)) <= set.count) {
      const all = new Array<number>(n);
      for (let k = 0; k < n; k++) all[k] = k * JOINT_ROW_STRIDE;
      candidates = all;
    } else {
      const some: number[] = [];
      for (let i = 0; i < set.count; i++) {
        const list = this.jointsOfSlot.get(set.rows[i * STRIDE] >>> 0);
        if (list) for (const o of list) some.push(o);
      }
      candidates = some.sort((x, y) => x - y); // row offsets in joint index order
    }
    const pick: number[] = [];
    let cut = false;
    for (let c = 0; c < candidates.length; c++) {
      const o = candidates[c];
      if (!this.holds(set, J[o + 2] >>> 0, J[o + 3])) continue;
      if (!(J[o + 24] & JOINT_WIRE_WORLD) && !this.holds(set, J[o + 4] >>> 0, J[o + 5])) continue;
      if (pick.length === this.maxJoints) {
        cut = true;
        break;
      }
      pick.push(o);
    }
    if (cut) this.jointsLeftOut++;
    const out = new Int32Array(pick.length * JOINT_ROW_STRIDE);
    for (let i = 0; i < pick.length; i++) out.set(J.subarray(pick[i], pick[i] + JOINT_ROW_STRIDE), i * JOINT_ROW_STRIDE);
    set.joints = out;
    set.jointCount = pick.length;
  }

  /**
   * The message for one client at the current tick: a delta against what the client held at its
   * newest acknowledged tick while that is within historyTicks, else a snapshot. Records the tick
   * as sent. Clients with the same view and base get the same StateMessage (one diff, one
   * encode) when it carries every change and fits their budget.
   *
   * Under a budget (ClientView.budget > 0; the priority accumulator of Glenn Fiedler's "State
   * Synchronization", gafferongames.com 2015) a message that would not fit carries, within the
   * budget (stateRowsCost <= budget): the removals (8 bytes each, in slot order), then the joint
   * changes (removed handles, then entered joints in index order), then the changed or entered
   * bodies of the highest accumulators (the client's own avatar first; one that does not fit is
   * skipped for smaller ones after it, BUDGET_MISSES times at most). Each tick every body that
   * differs from what the client holds adds its weight to its accumulator (NEAR_WEIGHT within
   * nearCells of the centre, so near bodies go first; 1 / rings beyond them for far ones); a body
   * sent, or in step, goes back to 0. A body left out keeps its last value on the client; a body
   * that entered the view is not on the client until sent (its shape with it); a slot reused by
   * a new body is sent only after the old body's removal. What the client then holds is kept
   * per tick (ClientView.known), the base of its next delta. Throws Error before the first update.
   */
  messageFor(v: ClientView): StateMessage {
    const t = this.table;
    if (!t) throw new Error('InterestPublisher.update must run before messageFor');
    const key = this.viewKey(v);
    // a base is the newest ack or a later tick (acks only move forward): older known sets go
    const K = v.known;
    // shared bases (InterestOptions.baseEvery) keep the newest aligned ack's set too
    const keepFrom = this.baseEvery > 1 && v.ackedAligned >= 0 ? Math.min(v.acked, v.ackedAligned) : v.acked;
    for (let i = 0; i < K.capacity; i++) {
      const s = K.tickAt(i);
      if (s >= 0 && (s <= t.tick - this.historyTicks || s < keepFrom)) {
        const set = K.valueAt(i) as ViewSet;
        K.clearAt(i);
        // the client's own sets (not a shared one, which other views may still use) give their rows back
        if (set.tableRow === OWN_SET) keepSpare(v.spare, set.rows);
      }
    }
    // the base: the newest ack, or (shared bases: an unbudgeted packed or predicted view in step
    // with its view's shared set there) the newest aligned ack, which the view's other clients share
    let baseTick = v.acked;
    if (this.baseEvery > 1 && v.budget <= 0 && (v.packed || v.predicted) && v.ackedAligned >= 0 && v.ackedAligned > t.tick - this.historyTicks) {
      const a = v.ackedAligned,
        aKey = v.sent.get(a);
      const aKnown = v.known.get(a);
      if (aKnown !== undefined && aKey !== undefined && aKnown === this.sets.get(a)?.get(aKey)) baseTick = a;
    }
    const baseKey = baseTick >= 0 ? v.sent.get(baseTick) : undefined;
    const shared = baseKey !== undefined ? this.sets.get(baseTick)?.get(baseKey) : undefined;
    const known = baseTick >= 0 ? v.known.get(baseTick) : undefined;
    v.sent.evictUpTo(t.tick - this.historyTicks);
    v.sent.set(t.tick, key);
    if (v.budget > 0) {
      this.budgetMessages++;
      this.budgetBytes += v.budget;
    }
    if (known === undefined || known === shared) {
      // in step with the view's shared set (or no base: a snapshot)
      const base = known ?? null;
      const cur = this.currentSet(v, key);
      // a snapshot is the same in both formats
      const format = base ? this.formatOf(v) : 0;
      const cache = format === 2 ? this.predictedMessages : format === 1 ? this.packedMessages : this.messages;
      let byBase = cache.get(cur);
      if (!byBase) {
        byBase = new Map();
        cache.set(cur, byBase);
      }
      let out = byBase.get(base);
      if (out) {
        this.cacheHits++;
      } else {
        out = new StateMessage(base ? this.diff(base, cur, baseTick, t.tick, format) : this.snapshot(cur, t.tick), this.countEncode);
        byBase.set(base, out);
      }
      if (v.budget <= 0 || out.cost <= v.budget) {
        v.known.set(t.tick, this.currentSet(v, key));
        v.accCount = 0;
        return out;
      }
      return this.budgeted(v, base ?? null, this.currentSet(v, key), t.tick);
    }
    return this.budgeted(v, known, this.currentSet(v, key), t.tick);
  }

  /** A view's delta format: 0 full BodyStates, 1 packed (docs/protocol.md 7.2), 2 predicted (7.3). */
  private formatOf(v: ClientView): 0 | 1 | 2 {
    return v.predicted ? 2 : v.packed ? 1 : 0;
  }

  /**
   * The accumulator weights and near flags of a view's current set, by row (ViewSet.weights): within
   * nearCells of the view's centre (and planes and terrain) NEAR_WEIGHT, else 1 / (rings beyond the
   * near cells). Made once per set: every view of the set has the same centre.
   */
  private setWeights(v: ClientView, cur: ViewSet): { weights: Float64Array; nearRows: Uint8Array } {
    if (cur.weights && cur.nearRows) return { weights: cur.weights, nearRows: cur.nearRows };
    const n = cur.count,
      weights = new Float64Array(n),
      nearRows = new Uint8Array(n),
      near = this.nearCells,
      CX = this.cellX,
      CZ = this.cellZ,
      tableRow = cur.tableRow,
      shapeOf = this.table?.shape;
    for (let j = 0; j < n; j++) {
      const r = tableRow[j],
        d = Math.max(Math.abs(CX[r] - v.cx), Math.abs(CZ[r] - v.cz));
      if (d <= near || shapeOf?.[r] === SHAPE_PLANE) {
        weights[j] = NEAR_WEIGHT;
        nearRows[j] = 1;
      } else weights[j] = 1 / (d - near);
    }
    cur.weights = weights;
    cur.nearRows = nearRows;
    return { weights, nearRows };
  }

  /** Grows the budget scratch to hold n bodies of a set and m of a base. */
  private budgetScratch(n: number, m: number): void {
    if (this.bStatus.length < n) {
      const c = Math.max(n, this.bStatus.length * 2);
      this.bStatus = new Uint8Array(c);
      this.bBase = new Int32Array(c);
      this.bCand = new Int32Array(c);
      this.bSkip = new Int32Array(c);
      this.bSel = new Uint8Array(c);
      this.bNear = new Uint8Array(c);
      this.bCost = new Int32Array(c);
    }
    if (this.bRemSent.length < m) this.bRemSent = new Uint8Array(Math.max(m, this.bRemSent.length * 2));
  }

  /**
   * A message for one client under its budget (messageFor), against `base` (what it holds at
   * its acknowledged tick; null: a snapshot of what fits). Records what the client holds after
   * it in v.known and updates v's accumulators.
   */
  private budgeted(v: ClientView, base: ViewSet | null, cur: ViewSet, tick: number): StateMessage {
    this.budgetOwn++;
    let room = (v.budget > 0 ? v.budget : Number.POSITIVE_INFINITY) - STATE_OVERHEAD_BYTES;
    const B = base ? base.rows : NO_JOINTS,
      bn = base ? base.count : 0,
      C = cur.rows,
      cn = cur.count;
    this.budgetScratch(cn, bn);
    // status per body of cur: 0 in step, 1 changed, 2 entered, 3 entered in the slot of base body bBase[j]
    const status = this.bStatus,
      baseOf = this.bBase,
      remSent = this.bRemSent,
      sel = this.bSel;
    const removed: number[] = [];
    let deferred = 0;
    // accumulators: merged with cur (both in slot order); candidates are the bodies that differ
    if (v.accSlot.length < cn) {
      const c = Math.max(cn, v.accSlot.length * 2);
      const s = new Int32Array(c),
        a = new Float64Array(c);
      s.set(v.accSlot.subarray(0, v.accCount));
      a.set(v.accVal.subarray(0, v.accCount));
      v.accSlot = s;
      v.accVal = a;
    }
    const AS = v.accSlot,
      AV = v.accVal,
      cand = this.bCand,
      nearOf = this.bNear;
    let nearDeferred = 0;
    // packed deltas: a changed body the client holds goes as a packed record (its size), not a BodyState
    const packedOn = (v.packed || v.predicted) && base !== null,
      predOn = v.predicted && base !== null,
      span = predOn ? predictSpan(v.acked, tick) : 1,
      rate = this.tickRate,
      subs = this.substeps,
      vecOverhead = predOn ? PREDICTED_VECTOR_OVERHEAD : PACKED_VECTOR_OVERHEAD,
      pcost = this.bCost;
    // current body j's record size without its gap, in the view's format (predicted or packed)
    const fieldsSize = (j: number): number =>
      predOn ? predictedFieldsSize(B, baseOf[j] * STRIDE, C, j * STRIDE, span, rate, subs) : packedFieldsSize(B, baseOf[j] * STRIDE, C, j * STRIDE);
    // the new accumulators are written over the old ones, which are read at other positions: read a copy (scratch, kept)
    const oldN = v.accCount;
    if (this.bOldS.length < oldN) {
      this.bOldS = new Int32Array(Math.max(oldN, this.bOldS.length * 2));
      this.bOldV = new Float64Array(this.bOldS.length);
    }
    const oldS = this.bOldS,
      oldV = this.bOldV;
    oldS.set(AS.subarray(0, oldN));
    oldV.set(AV.subarray(0, oldN));
    let nc = 0,
      nearLeft = 0; // near bodies among the candidates not yet taken from the heap
    // one pass over the base and current rows, both in slot order: removals (sent first, as they
    // fit), each current body's status, and its accumulator (merged with the old ones by slot);
    // candidates are the bodies that differ
    {
      let i = 0,
        j = 0,
        k = 0;
      const own = v.own,
        { weights, nearRows } = this.setWeights(v, cur);
      while (i < bn || j < cn) {
        const bi = i < bn ? B[i * STRIDE] >>> 0 : Number.POSITIVE_INFINITY;
        const cj = j < cn ? C[j * STRIDE] >>> 0 : Number.POSITIVE_INFINITY;
        if (bi < cj) {
          remSent[i] = 0;
          if (room >= COST_HANDLE) {
            removed.push(bi, B[i * STRIDE + 1] >>> 0);
            remSent[i] = 1;
            room -= COST_HANDLE;
          } else deferred++;
          i++;
          continue;
        }
        sel[j] = 0;
        let st = 2;
        if (cj < bi) baseOf[j] = -1;
        else {
          const bo = i * STRIDE,
            co = j * STRIDE;
          baseOf[j] = i;
          remSent[i] = 0;
          if (B[bo + 1] !== C[co + 1]) {
            st = 3;
            if (room >= COST_HANDLE) {
              removed.push(bi, B[bo + 1] >>> 0);
              remSent[i] = 1;
              room -= COST_HANDLE;
            } else deferred++;
          } else {
            st = 0;
            for (let f = 2; f < STRIDE; f++)
              if (B[bo + f] !== C[co + f]) {
                st = 1;
                break;
              }
          }
          i++;
        }
        status[j] = st;
        while (k < oldN && oldS[k] >>> 0 < cj) k++;
        AS[j] = cj;
        if (st === 0) {
          AV[j] = 0;
          j++;
          continue;
        }
        const old = k < oldN && oldS[k] >>> 0 === cj ? oldV[k] : 0,
          isNear = nearRows[j];
        nearOf[j] = isNear;
        AV[j] = cj === own ? Number.POSITIVE_INFINITY : old + weights[j];
        // a packed record's size, bounded for any gap (gap <= slot: the records chosen are not known
        // yet): computed when the body's turn comes (-1 until then)
        pcost[j] = -1;
        if (st === 3 && !remSent[baseOf[j]]) {
          deferred++;
          nearDeferred += isNear;
        } else {
          cand[nc++] = j;
          nearLeft += isNear;
        }
        j++;
      }
    }
    // joints: removals, then entries (a reused index only after its removal), as they fit
    const jb = base ? base.joints : NO_JOINTS,
      jbn = base ? base.jointCount : 0,
      jc = cur.joints,
      jcn = cur.jointCount,
      JS = JOINT_ROW_STRIDE;
    const goneJ: number[] = [],
      enteredJ: number[] = [],
      knownJ: number[] = []; // offsets: >= 0 in jc, < 0 as -1 - offset in jb
    {
      let i = 0,
        j = 0;
      while (i < jbn || j < jcn) {
        const bi = i < jbn ? jb[i * JS] >>> 0 : Number.POSITIVE_INFINITY,
          cj = j < jcn ? jc[j * JS] >>> 0 : Number.POSITIVE_INFINITY;
        if (bi < cj) {
          if (room >= COST_HANDLE) {
            goneJ.push(bi, jb[i * JS + 1] >>> 0);
            room -= COST_HANDLE;
          } else {
            deferred++;
            knownJ.push(-1 - i * JS);
          }
          i++;
        } else if (cj < bi) {
          if (room >= COST_JOINT) {
            enteredJ.push(j * JS);
            knownJ.push(j * JS);
            room -= COST_JOINT;
          } else deferred++;
          j++;
        } else {
          if (jb[i * JS + 1] !== jc[j * JS + 1]) {
            if (room >= COST_HANDLE) {
              goneJ.push(bi, jb[i * JS + 1] >>> 0);
              room -= COST_HANDLE;
              if (room >= COST_JOINT) {
                enteredJ.push(j * JS);
                knownJ.push(j * JS);
                room -= COST_JOINT;
              } else deferred++;
            } else {
              deferred += 2;
              knownJ.push(-1 - i * JS);
            }
          } else knownJ.push(j * JS);
          i++;
          j++;
        }
      }
    }
    v.accCount = cn;
    // the candidates in priority order (highest accumulator first, then slot order) from a binary
    // heap: only the bodies whose turn comes are ordered and sized, not the whole view
    let hn = nc;
    for (let i = (hn >> 1) - 1; i >= 0; i--) siftDown(cand, hn, i, AV);
    const pop = (): number => {
      const top = cand[0];
      hn--;
      cand[0] = cand[hn];
      siftDown(cand, hn, 0, AV);
      nearLeft -= nearOf[top];
      return top;
    };
    // the smallest a record can be (its gap, and a predicted record's mask), and the smallest any
    // candidate can cost: below it nothing more fits
    const recordMin = predOn ? 2 : 1,
      minCost = packedOn ? recordMin : COST_STATE;
    // the cost of changed body j's packed or predicted record (its bound, pcost, computed once) plus
    // `over`; more than the room without computing it when even the smallest record would not fit
    const packedCost = (j: number, over: number): number => {
      if (recordMin + over > room) return room + 1;
      if (pcost[j] < 0) pcost[j] = fieldsSize(j) + varintSize(C[j * STRIDE] >>> 0);
      return pcost[j] + over;
    };
    const skipped = this.bSkip; // popped and left out, in priority order (the refill below goes through them first)
    let nskip = 0,
      ns = 0,
      ne = 0,
      np = 0;
    let misses = 0;
    while (hn > 0 && room >= minCost && misses < BUDGET_MISSES) {
      const j = pop(),
        asPacked = packedOn && status[j] === 1,
        cost = asPacked ? packedCost(j, np === 0 ? vecOverhead : 0) : status[j] === 1 ? COST_STATE : COST_STATE + COST_SHAPE;
      if (cost > room) {
        deferred++;
        nearDeferred += nearOf[j];
        skipped[nskip++] = j;
        misses++;
        continue;
      }
      room -= cost;
      sel[j] = 1;
      AV[j] = 0;
      if (asPacked) np++;
      else ns++;
      if (status[j] !== 1) ne++;
    }
    deferred += hn; // the rest of the heap: the message is full
    nearDeferred += nearLeft;
    // packed: the bounds above assumed each record's largest gap; the records chosen take their exact
    // size, and the room that frees goes to the bodies left out, in priority order (a record added
    // now still costs at most its bound: it only shortens the gap of the record after it)
    if (np > 0 && deferred > 0) {
      let exact = 0,
        bound = 0,
        prev = -1;
      for (let j = 0; j < cn; j++)
        if (sel[j] && status[j] === 1) {
          const slot = C[j * STRIDE] >>> 0;
          exact += pcost[j] - varintSize(slot) + varintSize(slot - prev - 1);
          bound += pcost[j];
          prev = slot;
        }
      room += bound - exact;
      misses = 0;
      for (let q = 0; room >= minCost && misses < BUDGET_MISSES && (q < nskip || hn > 0); q++) {
        const j = q < nskip ? skipped[q] : pop(),
          asPacked = status[j] === 1,
          cost = asPacked ? packedCost(j, 0) : COST_STATE + COST_SHAPE;
        if (cost > room) {
          misses++;
          continue;
        }
        room -= cost;
        sel[j] = 1;
        AV[j] = 0;
        deferred--;
        nearDeferred -= nearOf[j];
        if (asPacked) np++;
        else ns++;
        if (status[j] !== 1) ne++;
      }
    }
    this.budgetDeferred += deferred;
    this.budgetNearDeferred += nearDeferred;
    const byF = this.byFormat[this.formatOf(v)];
    byF.deferred += deferred;
    byF.nearDeferred += nearDeferred;
    // the message: bodies in slot order
    const bodies = new Int32Array(ns),
      entered = new Int32Array(ne);
    let packed: Uint8Array | undefined;
    if (np > 0) {
      this.packScratch(np);
      let at = predOn ? putPredictedHeader(this.pBuf, 0, rate, subs) : 0,
        prev = -1;
      const P = this.pBuf;
      for (let j = 0; j < cn; j++)
        if (sel[j] && status[j] === 1) {
          at = predOn
            ? packBodyPredicted(P, at, prev, B, baseOf[j] * STRIDE, C, j * STRIDE, span, rate, subs)
            : packBody(P, at, prev, B, baseOf[j] * STRIDE, C, j * STRIDE);
          prev = C[j * STRIDE] >>> 0;
        }
      packed = P.slice(0, at);
    }
    for (let j = 0, a = 0, e = 0; j < cn; j++)
      if (sel[j]) {
        if (!(packedOn && status[j] === 1)) bodies[a++] = j;
        if (status[j] !== 1) entered[e++] = j;
      }
    const joints = new Int32Array(enteredJ.length * JS);
    for (let n = 0; n < enteredJ.length; n++) joints.set(jc.subarray(enteredJ[n], enteredJ[n] + JS), n * JS);
    const rows: StateRows = {
      kind: base ? 'delta' : 'snapshot',
      tick,
      baseTick: base ? v.acked : 0,
      rows: C,
      bodies,
      bodyCount: ns,
      shapes: this.shapesOf(cur, entered, ne),
      shapeCount: ne,
      removed: Uint32Array.from(removed),
      removedCount: removed.length / 2,
      joints,
      jointCount: enteredJ.length,
      removedJoints: Uint32Array.from(goneJ),
      removedJointCount: goneJ.length / 2,
      ...(packed ? (predOn ? { predicted: packed } : { packed }) : {}),
    };
    // what the client holds after it: cur itself when nothing was left out (back in step: shared again)
    if (deferred === 0) v.known.set(tick, cur);
    else {
      // rows into a spare buffer that is large enough (kept by the view), else a new one with room
      // to grow; at most every base row and the entries chosen
      const most = (bn + ne) * STRIDE;
      let K: Int32Array | null = null;
      for (let q = 0; q < v.spare.length; q++)
        if (v.spare[q].length >= most) {
          K = v.spare[q];
          v.spare[q] = v.spare[v.spare.length - 1];
          v.spare.pop();
          break;
        }
      K ??= new Int32Array(Math.ceil((bn + ne) * 1.25 + 8) * STRIDE);
      const rowsOut = K;
      // base rows go in runs (one copy per run of consecutive rows kept), current rows one by one
      let kn = 0,
        runAt = 0,
        runLen = 0;
      const flush = (): void => {
        if (runLen === 0) return;
        K.set(B.subarray(runAt * STRIDE, (runAt + runLen) * STRIDE), kn * STRIDE);
        kn += runLen;
        runLen = 0;
      };
      const putBase = (i: number): void => {
        if (runLen > 0 && runAt + runLen === i) runLen++;
        else {
          flush();
          runAt = i;
          runLen = 1;
        }
      };
      const putCur = (j: number): void => {
        flush();
        const o = kn * STRIDE,
          at = j * STRIDE;
        for (let f = 0; f < STRIDE; f++) K[o + f] = C[at + f];
        kn++;
      };
      let i = 0,
        j = 0;
      while (i < bn || j < cn) {
        const bi = i < bn ? B[i * STRIDE] >>> 0 : Number.POSITIVE_INFINITY;
        const cj = j < cn ? C[j * STRIDE] >>> 0 : Number.POSITIVE_INFINITY;
        if (bi < cj) {
          if (!remSent[i]) putBase(i);
          i++;
        } else if (cj < bi) {
          if (sel[j]) putCur(j);
          j++;
        } else {
          if (status[j] === 3 && !remSent[i]) putBase(i);
          else if (sel[j]) putCur(j);
          else if (status[j] !== 3) putBase(i);
          i++;
          j++;
        }
      }
      flush();
      const kj = knownJ.length === 0 ? NO_JOINTS : new Int32Array(knownJ.length * JS);
      for (let n = 0; n < knownJ.length; n++) {
        const o = knownJ[n];
        if (o >= 0) kj.set(jc.subarray(o, o + JS), n * JS);
        else kj.set(jb.subarray(-1 - o, -1 - o + JS), n * JS);
      }
      v.known.set(tick, { rows: rowsOut, tableRow: OWN_SET, count: kn, joints: kj, jointCount: knownJ.length });
    }
    return new StateMessage(rows, this.countEncode);
  }

  /** Grows the packed-record scratch to hold n records. */
  private packScratch(n: number): void {
    const need = n * Math.max(PACKED_RECORD_MAX, PREDICTED_RECORD_MAX) + 2;
    if (this.pBuf.length < need) this.pBuf = new Uint8Array(Math.max(need, this.pBuf.length * 2));
  }

  /**
   * The packed records (ServerDelta.packed) of n bodies, in slot order: each's base row at
   * `baseAt[k]` of B and current row at `curAt[k]` of C (offsets, STRIDE values each). Written in
   * the kept scratch; returns a copy of the bytes.
   */
  private packRecords(B: Int32Array, baseAt: Int32Array, C: Int32Array, curAt: Int32Array, n: number): Uint8Array {
    this.packScratch(n);
    const P = this.pBuf;
    let at = 0,
      prev = -1;
    for (let k = 0; k < n; k++) {
      at = packBody(P, at, prev, B, baseAt[k], C, curAt[k]);
      prev = C[curAt[k]] >>> 0;
    }
    return P.slice(0, at);
  }

  /**
   * The predicted records (ServerDelta.predicted) of n bodies, `span` ticks after their base
   * (predictSpan): the rate header, then as packRecords. Returns a copy of the bytes.
   */
  private predictRecords(base: ViewSet, cur: ViewSet, baseAt: Int32Array, curAt: Int32Array, n: number, baseTick: number, tick: number): Uint8Array {
    this.packScratch(n);
    const P = this.pBuf,
      B = base.rows,
      C = cur.rows,
      bh = base.held,
      ch = cur.held,
      span = predictSpan(baseTick, tick),
      rate = this.tickRate,
      subs = this.substeps,
      pc = this.predCache(baseTick, n);
    let at = putPredictedHeader(P, 0, rate, subs),
      prev = -1;
    for (let k = 0; k < n; k++) {
      const bo = baseAt[k],
        co = curAt[k],
        slot = C[co] >>> 0;
      at = putVarint(P, at, slot - prev - 1);
      prev = slot;
      // the record's bytes after the gap depend on the two rows only: the same for every view with
      // this base tick unless one of the rows is a held (far) one
      const e = pc === null ? -1 : slot * 4 + (bh?.[bo / STRIDE] ?? 0) * 2 + (ch?.[co / STRIDE] ?? 0);
      if (pc !== null && e < pc.stamp.length && pc.stamp[e] === pc.gen) {
        const PB = pc.bytes,
          o = pc.off[e],
          end = o + 1 + PB[o];
        // a few bytes: a loop, no subarray (this runs for most records of most deltas)
        for (let q = o + 1; q < end; q++) P[at++] = PB[q];
        this.predCacheHits++;
        continue;
      }
      const start = at;
      at = packPredictedFields(P, at, B, bo, C, co, span, rate, subs);
      if (pc !== null) pc.put(e, P, start, at);
    }
    return P.slice(0, at);
  }

  /** Predicted-record caches of this tick, by base tick (the first PRED_CACHES base ticks asked for). */
  private readonly predCaches: PredictedRecordCache[] = [];
  private predCacheCount = 0;
  /** Predicted records copied from the per-tick cache instead of computed (a work counter). */
  predCacheHits = 0;

  /** This tick's cache of predicted records against `baseTick`; null when PRED_CACHES other base ticks hold them (the records are computed then). */
  private predCache(baseTick: number, n: number): PredictedRecordCache | null {
    for (let i = 0; i < this.predCacheCount; i++) if (this.predCaches[i].baseTick === baseTick) return this.predCaches[i];
    if (this.predCacheCount === PRED_CACHES) return null;
    const c = this.predCaches[this.predCacheCount] ?? new PredictedRecordCache();
    this.predCaches[this.predCacheCount++] = c;
    c.reset(baseTick, n);
    return c;
  }

  /** Shape rows (SHAPE_ROW_STRIDE each) of the given bodies of a current-tick set. */
  private shapesOf(cur: ViewSet, which: Int32Array, n: number): Int32Array {
    const out = new Int32Array(n * SHAPE_ROW_STRIDE),
      PS = this.packedShapes;
    for (let i = 0; i < n; i++) {
      const j = which[i],
        o = i * SHAPE_ROW_STRIDE,
        q = cur.tableRow[j] * SHAPE_STRIDE;
      out[o] = cur.rows[j * STRIDE];
      out[o + 1] = cur.rows[j * STRIDE + 1];
      for (let f = 0; f < SHAPE_STRIDE; f++) out[o + 2 + f] = PS[q + f];
    }
    return out;
  }

  private snapshot(cur: ViewSet, tick: number): StateRows {
    const all = new Int32Array(cur.count);
    for (let i = 0; i < cur.count; i++) all[i] = i;
    return {
      kind: 'snapshot',
      tick,
      baseTick: 0,
      rows: cur.rows,
      bodies: all,
      bodyCount: cur.count,
      shapes: this.shapesOf(cur, all, cur.count),
      shapeCount: cur.count,
      removed: new Uint32Array(0),
      removedCount: 0,
      joints: cur.joints,
      jointCount: cur.jointCount,
    };
  }

  /** Joints that entered (rows) and left (handles) from base's joints to cur's: both in joint index order. */
  private diffJoints(base: ViewSet, cur: ViewSet): { joints: Int32Array; jointCount: number; removedJoints: Uint32Array; removedJointCount: number } {
    if (base.jointCount === 0 && cur.jointCount === 0) return { joints: NO_JOINTS, jointCount: 0, removedJoints: NO_HANDLES, removedJointCount: 0 };
    const B = base.joints,
      C = cur.joints,
      S = JOINT_ROW_STRIDE;
    const entered: number[] = [],
      gone: number[] = [];
    let i = 0,
      j = 0;
    while (i < base.jointCount || j < cur.jointCount) {
      const bi = i < base.jointCount ? B[i * S] >>> 0 : Infinity,
        cj = j < cur.jointCount ? C[j * S] >>> 0 : Infinity;
      if (bi < cj) {
        gone.push(bi, B[i * S + 1] >>> 0);
        i++;
      } else if (cj < bi) {
        entered.push(j);
        j++;
      } else {
        if (B[i * S + 1] !== C[j * S + 1]) {
          // the index was reused by a new joint
          gone.push(bi, B[i * S + 1] >>> 0);
          entered.push(j);
        }
        i++;
        j++;
      }
    }
    const out = new Int32Array(entered.length * S);
    for (let n = 0; n < entered.length; n++) out.set(C.subarray(entered[n] * S, entered[n] * S + S), n * S);
    return { joints: out, jointCount: entered.length, removedJoints: Uint32Array.from(gone), removedJointCount: gone.length / 2 };
  }

  /**
   * Delta from base to cur: changed or new bodies (new ones with their shape) and removed handles.
   * Both sets are sorted by slot. `format` 1 (packed) or 2 (predicted): changed bodies the base
   * holds go as records (StateRows.packed or .predicted), only new ones as full states.
   */
  private diff(base: ViewSet, cur: ViewSet, baseTick: number, tick: number, format: 0 | 1 | 2 = 0): StateRows {
    const packed = format !== 0;
    // `sent` goes into the message; the rest are scratch (kept, grown): read before diff returns
    if (this.dEntered.length < cur.count) {
      const c = Math.max(cur.count, this.dEntered.length * 2);
      this.dEntered = new Int32Array(c);
      this.dPBase = new Int32Array(c);
      this.dPCur = new Int32Array(c);
    }
    if (this.dRemoved.length < 2 * base.count) this.dRemoved = new Uint32Array(Math.max(2 * base.count, this.dRemoved.length * 2));
    const sent = new Int32Array(cur.count),
      entered = this.dEntered,
      removed = this.dRemoved,
      pBase = this.dPBase,
      pCur = this.dPCur;
    let nr = 0,
      np = 0,
      ns = 0,
      ne = 0,
      i = 0,
      j = 0;
    const b = base.rows,
      c = cur.rows,
      bn = base.count,
      cn = cur.count;
    while (i < bn || j < cn) {
      const bi = i < bn ? b[i * STRIDE] >>> 0 : Infinity;
      const cj = j < cn ? c[j * STRIDE] >>> 0 : Infinity;
      if (bi < cj) {
        removed[nr++] = bi;
        removed[nr++] = b[i * STRIDE + 1] >>> 0;
        i++;
        continue;
      }
      if (cj < bi) {
        sent[ns++] = j;
        entered[ne++] = j;
        j++;
        continue;
      }
      const bo = i * STRIDE,
        co = j * STRIDE;
      if (b[bo + 1] !== c[co + 1]) {
        // slot reused by a new body
        removed[nr++] = bi;
        removed[nr++] = b[bo + 1] >>> 0;
        sent[ns++] = j;
        entered[ne++] = j;
      } else {
        for (let f = 2; f < STRIDE; f++)
          if (b[bo + f] !== c[co + f]) {
            if (packed) {
              pBase[np] = bo;
              pCur[np++] = co;
            } else sent[ns++] = j;
            break;
          }
      }
      i++;
      j++;
    }
    return {
      kind: 'delta',
      tick,
      baseTick,
      rows: c,
      bodies: sent,
      bodyCount: ns,
      shapes: this.shapesOf(cur, entered, ne),
      shapeCount: ne,
      removed: nr === 0 ? NO_HANDLES : removed.slice(0, nr),
      removedCount: nr / 2,
      ...this.diffJoints(base, cur),
      ...(np > 0
        ? format === 2
          ? { predicted: this.predictRecords(base, cur, pBase, pCur, np, baseTick, tick) }
          : { packed: this.packRecords(b, pBase, c, pCur, np) }
        : {}),
    };
  }
}

/** What a client knows of the world at one tick: bodies and shapes by slot index. */
export interface Mirror {
  tick: number;
  bodies: Map<number, BodyState>;
  shapes: Map<number, BodyShape>;
  /** Joints in the interest (protocol 3), by joint index. */
  joints: Map<number, JointInfo>;
}

/**
 * The mirror at a snapshot's or delta's tick, as the client library computes it: a snapshot
 * replaces everything; a delta applies to a copy of the mirror of its base tick (`base`, which
 * the client keeps for every tick it acknowledged). `base` is not modified. A packed delta's
 * bodies (msg.packed, docs/protocol.md 7.2) are rebuilt against the base's bodies
 * (src/sim/packed-state.ts unpackBodies), a predicted delta's (msg.predicted, 7.3) against their
 * prediction from them (unpackPredicted). Throws Error when a delta's base tick is not
 * `base.tick` (the client then waits for a snapshot); ProtocolError (BAD_MESSAGE) for packed
 * bytes that do not fit the base.
 */
export function applyToMirror(base: Mirror | null, msg: Extract<ServerMessage, { kind: 'snapshot' | 'delta' }>): Mirror {
  let next: Mirror;
  if (msg.kind === 'snapshot') {
    next = { tick: msg.tick, bodies: new Map(), shapes: new Map(), joints: new Map() };
  } else {
    if (!base || msg.baseTick !== base.tick) throw new Error(`delta against tick ${msg.baseTick}, the client has ${base ? base.tick : 'none'}`);
    next = { tick: msg.tick, bodies: new Map(base.bodies), shapes: new Map(base.shapes), joints: new Map(base.joints) };
    for (const h of msg.removedJoints) if (next.joints.get(h.index)?.generation === h.generation) next.joints.delete(h.index);
    for (const h of msg.removed) {
      const b = next.bodies.get(h.index);
      if (b && b.generation === h.generation) {
        next.bodies.delete(h.index);
        next.shapes.delete(h.index);
      }
    }
  }
  for (const s of msg.shapes) next.shapes.set(s.index, s);
  if (msg.kind === 'delta' && msg.packed && base) for (const b of unpackBodies(base.bodies, msg.packed)) next.bodies.set(b.index, b);
  if (msg.kind === 'delta' && msg.predicted && base)
    for (const b of unpackPredicted(base.bodies, msg.predicted, predictSpan(msg.baseTick, msg.tick))) next.bodies.set(b.index, b);
  for (const b of msg.bodies) next.bodies.set(b.index, b);
  for (const j of msg.joints) next.joints.set(j.index, j);
  return next;
}
