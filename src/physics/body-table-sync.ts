/**
 * Keeps a BodyTable (body-table.ts) current with a sharded world's published board, re-reading
 * only the rows whose body changed: what the host indexes each tick follows what moved, not
 * how many bodies the world holds.
 *
 *   tick t  board t % 2:        records + owners of state t   (what the table holds)
 *   tick t+1 board (t + 1) % 2: records + owners of state t+1 (just published)
 *
 * A board keeps state t while tick t runs (it is the front board) and the next step writes
 * the other one, so after the step both states are in memory. refresh() walks the moving
 * bodies the shards published on the new board (the board's per-shard lists, BOARD.LISTS: no
 * free slot and no static is visited), compares each body's owner and the record words a row
 * is made of (ROW_WORDS) with the old board's, and quantises again only the bodies that
 * differ. A body whose record's version (BOARD.VERSION: the earliest state tick since which the
 * record has not changed) is below the new board's tick has the old board's record: it costs one
 * word read, not a compare (a body that slept through the tick untouched keeps its version;
 * any other publish, a restore and a recovery's full publish set the board's tick, and then the
 * record words are compared: 34 words a row reads).
 * A board the world reports unchanged from the one before it (ShardedWorld.unchangedAt: a
 * settled tick, src/physics/settled-skip.ts) changes no row and costs no compare.
 * Any change to which slots are live (a spawn, a despawn, a static added) or a board that is
 * not the state the table holds (the first refresh, a restore) falls back to a full read
 * (readBodyTable): the result is always the table a full read gives.
 *
 * Read on the coordinating thread between steps (like ShardedWorld.readBodies).
 */
import { createBodyTable, readBodyRow, readBodyTable, ROW_WORDS, type BodyTable } from './body-table';
import type { BoardSource } from './sharded';
import { BOARD, BOARD_HEADER_SLOTS, BODY_RECORD_BYTES, OWNER } from './world-layout';

/** The record words compared (ROW_WORDS), position and velocity first: a moving body differs there soonest. */
const COMPARED = Int32Array.from([ROW_WORDS[1], ROW_WORDS[0], ROW_WORDS[2]].flatMap(([a, b]) => Array.from({ length: b - a }, (_, k) => a + k)));

/** Work counters of a BodyTableSync (totals since construction). */
export interface BodyTableSyncCounts {
  /** refresh() calls. */
  refreshes: number;
  /** Refreshes that read every live body (first read, a spawn or despawn, a board the table did not hold). */
  fullReads: number;
  /** Bodies whose record was compared with the previous tick's. */
  compared: number;
  /** Rows quantised again (changed bodies of incremental refreshes, every row of full reads). */
  rowsRead: number;
  /**
   * Compared bodies found unchanged by their record's version alone (BOARD.VERSION below the
   * new board's tick: unchanged since the old board's state), without comparing record words.
   */
  unchanged: number;
  /** Incremental refreshes whose board the world reported unchanged from the last (no body compared). */
  still: number;
}

/** A BodyTable kept current with a sharded world's published state (see the module comment). */
export class BodyTableSync {
  readonly table: BodyTable;
  /** Slot -> row of `table` (-1 when the slot holds no live body). */
  readonly rowOfSlot: Int32Array;
  /**
   * Rows the last refresh changed (the first `changedCount`), or null when it was a full read
   * (every row may have changed, and rows may have moved). Valid until the next refresh.
   */
  changed: Int32Array | null = null;
  changedCount = 0;
  readonly counts: BodyTableSyncCounts = { refreshes: 0, fullReads: 0, compared: 0, rowsRead: 0, unchanged: 0, still: 0 };
  private readonly changedRows: Int32Array;
  private readonly headers: [BigInt64Array, BigInt64Array];
  private readonly u32: Uint32Array;
  private readonly i32: Int32Array;
  /** Moving (non-static) and static rows of the table. */
  private moving = 0;
  private statics = 0;
  /** Whether the table holds a board's state (false before the first refresh). */
  private holds = false;

  /**
   * A table for the world behind `source` (createBodyTable(source.capacity)); call refresh()
   * before reading it. `unchangedAt` (ShardedWorld.unchangedAt): whether board `tick` holds the
   * same state as board tick - 1.
   */
  constructor(
    private readonly source: BoardSource,
    private readonly unchangedAt: (tick: number) => boolean = () => false,
  ) {
    this.table = createBodyTable(source.capacity);
    this.rowOfSlot = new Int32Array(source.capacity).fill(-1);
    this.changedRows = new Int32Array(source.capacity);
    const buf = source.memory.buffer; // a shared memory: this buffer never detaches
    this.headers = [new BigInt64Array(buf, source.boards[0], BOARD_HEADER_SLOTS), new BigInt64Array(buf, source.boards[1], BOARD_HEADER_SLOTS)];
    this.u32 = new Uint32Array(buf);
    this.i32 = new Int32Array(buf);
  }

  /**
   * Brings the table to published tick `tick` (ShardedWorld.tick): the state of board
   * tick % 2, as ShardedWorld.readBodies reads it. Incremental only when both boards carry the
   * ticks the table and the call name (tick - 1 and tick), else a full read.
   */
  refresh(tick: number): void {
    const h = this.headers[tick % 2],
      old = this.headers[(tick + 1) % 2];
    this.counts.refreshes++;
    const t = this.table;
    const follows = this.holds && t.tick === tick - 1 && Number(old[BOARD.TICK]) === tick - 1 && Number(h[BOARD.TICK]) === tick;
    if (follows && this.unchangedAt(tick)) this.still();
    else if (!(follows && this.incremental(h, old))) this.full(h, tick);
    t.tick = tick;
  }

  /** A refresh to a board with the state the table holds: no row changed. */
  private still(): void {
    this.changed = this.changedRows;
    this.changedCount = 0;
    this.counts.still++;
  }

  /** Reads every live body of the board with header `h`. */
  private full(h: BigInt64Array, tick: number): void {
    const t = this.table;
    for (let r = 0; r < t.count; r++) this.rowOfSlot[t.index[r]] = -1;
    readBodyTable(this.source.memory, Number(h[BOARD.RECORDS]), Number(h[BOARD.OWNER]), Number(h[BOARD.HIGH_WATER]), tick, t);
    let statics = 0;
    for (let r = 0; r < t.count; r++) {
      this.rowOfSlot[t.index[r]] = r;
      if (t.shard[r] === OWNER.STATIC) statics++;
    }
    this.statics = statics;
    this.moving = t.count - statics;
    this.changed = null;
    this.changedCount = t.count;
    this.holds = true;
    this.counts.fullReads++;
    this.counts.rowsRead += t.count;
  }

  /**
   * Updates the rows of the bodies that changed from the board `old` (state tick - 1, which the
   * table holds) to `h`. False when the live slots differ: a full read is needed (it overwrites
   * whatever rows this updated). The listed slots are distinct (each on its publisher's list),
   * so `listed` moving rows found on the lists are exactly the table's moving rows.
   */
  private incremental(h: BigInt64Array, old: BigInt64Array): boolean {
    const K = Number(h[BOARD.SHARDS]),
      cap = this.source.capacity;
    const u = this.u32,
      i = this.i32,
      rowOf = this.rowOfSlot,
      t = this.table;
    if (i[Number(h[BOARD.STATICS]) >> 2] !== this.statics) return false;
    // the live moving slots: the shards' lists (each slot once, on its publisher's list)
    const lists = Number(h[BOARD.LISTS]) >> 2,
      starts = Number(h[BOARD.LIST_START]) >> 2;
    let listed = 0;
    for (let j = 0; j < K; j++) listed += i[starts + j * (2 * K + 1) + 2 * K];
    if (listed !== this.moving) return false;
    const rec1 = Number(h[BOARD.RECORDS]) >> 2,
      rec0 = Number(old[BOARD.RECORDS]) >> 2,
      own1 = Number(h[BOARD.OWNER]) >> 2,
      ver1 = Number(h[BOARD.VERSION]) >> 2,
      tick = Number(h[BOARD.TICK]);
    const W = BODY_RECORD_BYTES / 4,
      O = COMPARED,
      nO = O.length;
    let m = 0;
    const out = this.changedRows;
    for (let j = 0; j < K; j++) {
      const base = lists + j * cap,
        n = i[starts + j * (2 * K + 1) + 2 * K];
      for (let x = 0; x < n; x++) {
        const s = i[base + x],
          r = rowOf[s],
          owner = i[own1 + s];
        // a listed slot that is no moving row: the live set changed (rows updated so far are
        // overwritten by the full read)
        if (r < 0 || t.shard[r] < 0) return false;
        const p = rec1 + s * W,
          q = rec0 + s * W;
        let same = owner === t.shard[r];
        // version (BOARD.VERSION, i64 little-endian, a u32 tick) below this board's tick: the record has
        // not changed since state tick - 1, which the old board holds: no word to compare
        if (same && u[ver1 + 2 * s + 1] === 0 && u[ver1 + 2 * s] < tick) {
          this.counts.unchanged++;
          continue;
        }
        for (let k = 0; same && k < nO; k++) same = u[p + O[k]] === u[q + O[k]];
        if (same) continue;
        readBodyRow(u, p, owner, t, r);
        out[m++] = r;
      }
    }
    this.counts.compared += listed;
    this.counts.rowsRead += m;
    this.changed = out;
    this.changedCount = m;
    return true;
  }
}
