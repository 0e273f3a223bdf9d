/**
 * Nothing a client sees gets ahead of the replicated log (issue 19; DESIGN.md invariant 4 across
 * machines: "an input acknowledged to a client is in the log").
 *
 * A client learns that its input was applied from what the host sends after the tick that holds
 * it: the tick's events, its state, a reply. With a replicated world the tick is written to the
 * node's SQLite at once but reaches JetStream a little later (src/replica/replicated-store.ts),
 * and a replica that takes over continues from JetStream's end. So while the newest closed tick is
 * not yet in JetStream, every message to a WebSocket client waits here, tagged with the newest
 * closed tick at the time it was sent (what it may reveal), in one FIFO; when JetStream
 * acknowledges tick t, the messages tagged t or older go out, in the order they were sent. A
 * message sent when everything closed is already stored goes at once (nothing held before it).
 *
 * Bound: `maxHeldBytes` (setting `HostOptions.maxHeldBytes`, default 64 MiB). When a new message
 * would pass it (JetStream away for a while, many clients), the session owning the oldest held
 * message is closed with CLOSE.FULL ("the world's log is not replicated right now: reconnect")
 * and its held messages are dropped, until the new one fits; the client reconnects and catches up
 * from a snapshot, which shows only stored ticks. Counted (`overflowClosed`).
 *
 * Not gated: the HTTP JSON endpoints (web-endpoints.ts) answer from the current state.
 */

/** What the gate needs of the replicated log. */
export interface DurableLog {
  /** Newest tick the log has stored durably (JetStream acknowledged), or -1. */
  storedTick(): number;
  /** Calls `cb` with the new stored tick whenever it advances; returns a function that stops it. */
  onStored(cb: (tick: number) => void): () => void;
}

/** Figures of a gate (HostStats.sendGate, /metrics). */
export interface SendGateStats {
  /** Messages held now, and their bytes. */
  heldMessages: number;
  heldBytes: number;
  /** Newest closed tick, and newest stored tick. */
  closedTick: number;
  storedTick: number;
  /** Messages that were held, ever, and sent once stored. */
  released: number;
  /** Longest a released message waited, ms, and the sum of all their waits, ms (sum / released: the mean). */
  maxHoldMs: number;
  holdMsTotal: number;
  /** Sessions closed because the held bytes passed the bound. */
  overflowClosed: number;
}

interface Held<S> {
  s: S;
  bytes: Uint8Array;
  tick: number;
  atMs: number;
}

/** The gate (module comment). `S` is the session type; `send` sends now, `overflow` closes a session. */
export class SendGate<S> {
  private readonly held: Held<S>[] = [];
  private head = 0;
  private heldBytes = 0;
  private closedTick: number;
  private stored: number;
  private released = 0;
  private maxHoldMs = 0;
  private holdMsTotal = 0;
  private overflowClosed = 0;
  private readonly stop: () => void;

  /**
   * `closedTick`: the newest tick already closed when the gate starts. Throws RangeError for a
   * `maxHeldBytes` that is not a positive integer.
   */
  constructor(
    log: DurableLog,
    closedTick: number,
    private readonly maxHeldBytes: number,
    private readonly send: (s: S, bytes: Uint8Array) => void,
    private readonly overflow: (s: S) => void,
  ) {
    if (!(Number.isInteger(maxHeldBytes) && maxHeldBytes > 0)) throw new RangeError(`maxHeldBytes must be a positive integer, got ${maxHeldBytes}`);
    this.closedTick = closedTick;
    this.stored = log.storedTick();
    this.stop = log.onStored((t) => this.storedThrough(t));
  }

  /** The host closed tick `tick`: messages sent from now on may reveal it. */
  closed(tick: number): void {
    if (tick > this.closedTick) this.closedTick = tick;
  }

  /**
   * Takes a copy of `bytes` for session `s` when it must wait (true: held; the gate sends it
   * later, or drops it with its session on overflow); false when nothing is waiting and it may go now.
   */
  hold(s: S, bytes: Uint8Array): boolean {
    if (this.head === this.held.length && this.stored >= this.closedTick) return false;
    while (this.heldBytes + bytes.byteLength > this.maxHeldBytes && this.head < this.held.length) {
      const oldest = this.held[this.head].s;
      this.evict(oldest);
      if (oldest === s) return true; // its own session was closed: the message goes nowhere
    }
    // a copy: the caller may reuse its buffer at once (the fan-out rewrites each recipient's input
    // acknowledgement into one shared encoding, codec.ts setRecipientFields; uWS copies at send)
    this.held.push({ s, bytes: bytes.slice(), tick: this.closedTick, atMs: performance.now() });
    this.heldBytes += bytes.byteLength;
    return true;
  }

  /** Drops every held message of `s` (its session closed). */
  forget(s: S): void {
    let kept = this.head;
    for (let i = this.head; i < this.held.length; i++) {
      const h = this.held[i];
      if (h.s === s) this.heldBytes -= h.bytes.byteLength;
      else this.held[kept++] = h;
    }
    this.held.length = kept;
  }

  private evict(s: S): void {
    this.forget(s);
    this.overflowClosed++;
    this.overflow(s);
  }

  private storedThrough(tick: number): void {
    if (tick <= this.stored) return;
    this.stored = tick;
    const now = performance.now();
    while (this.head < this.held.length && this.held[this.head].tick <= tick) {
      const h = this.held[this.head++];
      this.heldBytes -= h.bytes.byteLength;
      this.released++;
      if (now - h.atMs > this.maxHoldMs) this.maxHoldMs = now - h.atMs;
      this.holdMsTotal += now - h.atMs;
      this.send(h.s, h.bytes);
    }
    if (this.head === this.held.length) {
      this.held.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.held.length) {
      this.held.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Current figures. */
  stats(): SendGateStats {
    return {
      heldMessages: this.held.length - this.head,
      heldBytes: this.heldBytes,
      closedTick: this.closedTick,
      storedTick: this.stored,
      released: this.released,
      maxHoldMs: this.maxHoldMs,
      holdMsTotal: this.holdMsTotal,
      overflowClosed: this.overflowClosed,
    };
  }

  /** Stops listening to the log; held messages are dropped. */
  close(): void {
    this.stop();
    this.held.length = 0;
    this.head = 0;
    this.heldBytes = 0;
  }
}
