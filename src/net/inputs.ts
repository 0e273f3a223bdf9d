/**
 * The host's input path (protocol 4, docs/protocol.md section 18): when each ClientInput of a
 * WebSocket client on the world stream is applied, and what its state messages acknowledge.
 *
 * The rule. Let O be the world stream's open tick when the input is read, W the tick the client
 * meant it for (ClientInput.tick; 0 = none, read as O), F the tick this client's previous
 * accepted input was applied at (0 before the first), s its seq and S the highest seq accepted
 * from this client so far (0 before the first):
 *
 *   1. s = 0: unsequenced (protocol 3's behaviour): published into O at once; never acknowledged.
 *   2. s <= S: a repeat or an older input: ignored (HostStats.inputsStale), no answer.
 *   3. A = max(W, O, F) is the tick it is applied at. W < O (the tick closed while the input was
 *      on the way) counts as late (HostStats.inputsLate); A > O counts as deferred (inputsDeferred).
 *   4. A > O + maxInputLead (HostStats.inputsAhead), or A > O with maxPendingInputs inputs of the
 *      client already waiting (HostStats.inputsQueueFull): refused, error INPUT_AHEAD (3005) to
 *      this client only; S and F are unchanged.
 *   5. Else accepted: S = s, F = A; at A = O it is published now, else when tick A opens (right
 *      after the step that closes A - 1, before any input read during A). The 'in' event carries
 *      the seq ("walkX,walkZ,jump,seq", src/sim/event-bodies.ts INPUT) and is logged at tick A:
 *      the applied tick is the event's tick, so a replay of the log applies it at A.
 *
 * Because A never decreases with s, a state of tick T that includes input s (applied at a tick
 * < T) includes every accepted input with a lower seq: the state's input_seq is the highest seq
 * applied at a tick < T, and input_tick that input's tick. Within one tick a client's inputs are
 * applied in seq order (a stream keeps each origin's arrival order, src/sim/order.ts), and the
 * last one sets the avatar's walk. Other streams publish inputs at once (the tick is not used).
 */
import { ERROR, type ErrorCode } from '../protocol/errors';
import type { InputFrame } from '../protocol/messages';
import { INPUT } from '../sim/event-bodies';
import type { EventStream } from '../sim/stream';

/** Per-session input state (Session.inputs). Ticks are stream ticks, seqs the client's u32. */
export interface InputState {
  /** Highest seq accepted (S); 0 = none. */
  lastSeq: number;
  /** Tick the last accepted input is applied at (F); 0 = none. */
  floor: number;
  /** Accepted inputs waiting for their tick, in tick (and seq) order. */
  pending: Array<{ tick: number; seq: number; body: string }>;
  /** Highest seq published into the open tick (0 = none) and that tick. */
  openSeq: number;
  openTick: number;
  /** Highest seq applied in a closed tick (0 = none) and its tick: what the next state acknowledges. */
  ackSeq: number;
  ackTick: number;
}

/** A fresh InputState. */
export function newInputState(): InputState {
  return { lastSeq: 0, floor: 0, pending: [], openSeq: 0, openTick: 0, ackSeq: 0, ackTick: 0 };
}

/** Input counters (part of HostStats): inputs applied later than read, read late, ignored, refused (beyond the lead; queue full). */
export interface InputCounters {
  inputsDeferred: number;
  inputsLate: number;
  inputsStale: number;
  inputsAhead: number;
  inputsQueueFull: number;
}

/** The bounds of the rule (HostOptions.maxInputLead, maxPendingInputs). */
export interface InputBounds {
  /** Most ticks after the open tick an input may be applied at. */
  maxInputLead: number;
  /** Most accepted inputs a client may have waiting for their tick. */
  maxPendingInputs: number;
}

/**
 * Applies the rule (module comment) to one input of `privateId` on the world stream `stream`.
 * Publishes it now or queues it in `st`. Returns null when accepted or ignored, else the refusal
 * (code INPUT_AHEAD and what to fix); throws what EventStream.publish throws (StreamError).
 */
export function acceptInput(
  st: InputState,
  stream: EventStream,
  privateId: string,
  frame: InputFrame,
  wanted: number,
  bounds: InputBounds,
  counters: InputCounters,
): { code: ErrorCode; message: string } | null {
  const open = stream.tick;
  const s = frame.seq;
  if (s === 0) {
    stream.publish(privateId, INPUT.type, INPUT.encode({ walkX: frame.walkX, walkZ: frame.walkZ, jump: frame.jump }));
    return null;
  }
  if (s <= st.lastSeq) {
    counters.inputsStale++;
    return null;
  }
  const w = wanted === 0 ? open : wanted;
  const at = Math.max(w, open, st.floor);
  if (at > open + bounds.maxInputLead) {
    counters.inputsAhead++;
    return { code: ERROR.INPUT_AHEAD, message: `input ${s} is for tick ${at}, more than ${bounds.maxInputLead} ticks after the open tick ${open}` };
  }
  if (at > open && st.pending.length >= bounds.maxPendingInputs) {
    counters.inputsQueueFull++;
    return { code: ERROR.INPUT_AHEAD, message: `input ${s}: ${bounds.maxPendingInputs} inputs already wait for their ticks` };
  }
  if (w < open) counters.inputsLate++;
  const body = INPUT.encode({ walkX: frame.walkX, walkZ: frame.walkZ, jump: frame.jump, seq: s });
  if (at === open) {
    stream.publish(privateId, INPUT.type, body);
    st.openSeq = s;
    st.openTick = open;
  } else {
    counters.inputsDeferred++;
    st.pending.push({ tick: at, seq: s, body });
  }
  st.lastSeq = s;
  st.floor = at;
  return null;
}

/**
 * After the step that closed tick `closed` (the stream's open tick is now closed + 1): what was
 * published into `closed` becomes acknowledged, and the inputs waiting for the new open tick are
 * published into it (in seq order). A publish that throws (the client left the stream) drops the
 * client's waiting inputs.
 */
export function openTick(st: InputState, stream: EventStream, privateId: string, closed: number): void {
  if (st.openSeq !== 0 && st.openTick <= closed) {
    st.ackSeq = st.openSeq;
    st.ackTick = st.openTick;
    st.openSeq = 0;
  }
  const open = stream.tick;
  let n = 0;
  try {
    while (n < st.pending.length && st.pending[n].tick <= open) {
      const p = st.pending[n++];
      stream.publish(privateId, INPUT.type, p.body);
      st.openSeq = p.seq;
      st.openTick = open;
    }
  } catch {
    n = st.pending.length;
  }
  if (n > 0) st.pending.splice(0, n);
}
