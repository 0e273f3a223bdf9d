/** Lock-free reads of a sharded world's published boards from any thread (src/physics/sharded.ts publishes them). */
import { BOARD, BOARD_HEADER_SLOTS, BODY_RECORD_BYTES, CONTROL, CONTROL_WORDS } from './world-layout';

/** Snapshot of one published board handed to a BoardReader callback (views into shared memory: copy what you keep). */
export interface BoardView {
  tick: number;
  highWater: number;
  /** BODY_RECORD_BYTES per slot. */
  records: Uint8Array;
  /** Owner per slot (OWNER.NONE, OWNER.STATIC or a shard index). */
  owners: Int32Array;
  /** The writer's checksum (0 when checksums are off). */
  checksum: bigint;
  /** Byte offset of the board in the memory (for core functions such as boardRecordsHash). */
  address: number;
}

/** What a BoardReader needs (structured-cloneable, for worker threads). */
export interface BoardSource {
  memory: WebAssembly.Memory;
  boards: [number, number];
  control: number;
  capacity: number;
}

/**
 * Reads published ticks of a sharded world from any thread, lock-free: a seqlock per board
 * (even = stable). read() retries while the writer is on the board it reads.
 */
export class BoardReader {
  private readonly ctl: Int32Array;
  /** Reads that had to be retried because the board changed under them. */
  retries = 0;

  constructor(private readonly src: BoardSource) {
    this.ctl = new Int32Array(src.memory.buffer, src.control, CONTROL_WORDS);
  }

  /** The last published tick. */
  get published(): number {
    return Atomics.load(this.ctl, CONTROL.PUBLISHED);
  }

  /**
   * Runs `fn` on the newest published board until it ran on a board nobody wrote meanwhile,
   * and returns its result. `fn` must not keep the views.
   */
  read<T>(fn: (view: BoardView) => T): T {
    for (;;) {
      const tick = Atomics.load(this.ctl, CONTROL.PUBLISHED);
      const address = this.src.boards[tick % 2];
      const seq = new Int32Array(this.src.memory.buffer, address, 1);
      const s1 = Atomics.load(seq, 0);
      if (s1 % 2 === 0) {
        const h = new BigInt64Array(this.src.memory.buffer, address, BOARD_HEADER_SLOTS);
        const view: BoardView = {
          tick: Number(h[BOARD.TICK]),
          highWater: Number(h[BOARD.HIGH_WATER]),
          records: new Uint8Array(this.src.memory.buffer, Number(h[BOARD.RECORDS]), this.src.capacity * BODY_RECORD_BYTES),
          owners: new Int32Array(this.src.memory.buffer, Number(h[BOARD.OWNER]), this.src.capacity),
          checksum: BigInt.asUintN(64, h[BOARD.CHECKSUM]),
          address,
        };
        const value = fn(view);
        if (Atomics.load(seq, 0) === s1 && view.tick === tick) return value;
      }
      this.retries++;
    }
  }
}
