/**
 * Fan-out: after each tick, every joined client gets the stream's events (encoded once per
 * stream), the messages the world tick addressed to it, and on the world stream its
 * snapshot/delta (one encode per distinct view and base, see sim/interest.ts; protocol 4's
 * per-recipient input_seq/input_tick are written into those shared bytes just before each send,
 * codec.ts setRecipientFields) followed by the
 * next parts of the static geometry it was announced (geometry.ts), in one corked write per
 * client. Under a byte budget per client (InterestOptions.budget, Host.setStateBudget) a state
 * message carries what fits, by priority: see InterestPublisher.messageFor. Backpressure is checked here: see sessions.ts for the limits.
 */
import { encodeServer, setRecipientFields, type StateRows } from '../protocol/codec';
import { CLOSE } from '../protocol/errors';
import type { StreamEvent } from '../protocol/messages';
import { redactIdentity } from '../sim/event-bodies';
import type { EventStream } from '../sim/stream';
import type { StepResult } from '../sim/world-loop';
import { SocialSim, type SocialOutput } from '../social/social-sim';
import type { HostContext } from './context';
import { queueGeometry, takeGeometry } from './geometry';
import type { Sessions } from './sessions';

/** World-stream event types WebSocket clients do not receive when foldInputs is on (see visible). */
export const FOLDED: ReadonlySet<string> = new Set(['in', '_h']);

/**
 * World-stream client events whose content is for some players only (chat, group and block
 * lists, object inputs, admin commands): they stay in the log, but no client receives them as
 * events, on the WebSocket or the JSON endpoint. Their outcomes reach the right players as
 * per-recipient messages (SocialOutput.outbox).
 */
export const PRIVATE: ReadonlySet<string> = new Set(['ch', 'cg', 'bk', 'ob', 'ad']);

/**
 * The events clients of a stream receive: on the world stream, the PRIVATE kinds never; inputs
 * ('in') and avatar contacts ('_h') are folded into the state the client gets as deltas, so
 * WebSocket clients (`folded`, the default) do not get them (every client receiving every other
 * client's inputs grows as clients^2: at 1,000 clients they were 95 % of the bytes,
 * bench/results/amd-epyc-2c/fanout.md); and '_id' is redacted (redactId). The log keeps every
 * event as it was.
 */
export function visible(h: HostContext, stream: EventStream, events: readonly StreamEvent[], folded = true): readonly StreamEvent[] {
  if (stream !== h.world.stream) return events;
  const out: StreamEvent[] = [];
  for (const e of events) {
    if (PRIVATE.has(e.type) || (folded && h.o.foldInputs && FOLDED.has(e.type))) continue;
    out.push(e.type === '_id' ? redactId(e) : e);
  }
  return out;
}

/**
 * '_id' as clients receive it: "publicId,role". The log's body is "publicId,accountId,role"
 * (the sim needs the account); a player's account id is not shown to other players.
 */
export function redactId(e: StreamEvent): StreamEvent {
  return { tick: e.tick, type: e.type, origin: e.origin, body: redactIdentity(e.body) };
}

/**
 * Sends each client its tick: the stream's events (always: they cannot be re-derived) and, on
 * the world stream, its snapshot/delta (skipped while the client is behind). Both go out in one
 * corked write per client; the events message is encoded once per stream.
 */
export function sendTick(
  h: HostContext,
  sessions: Sessions,
  closed: Map<EventStream, { tick: number; events: readonly StreamEvent[] }>,
  direct: Map<number, Uint8Array[]> = new Map(),
): void {
  const w = h.world;
  const encoded = new Map<EventStream, Uint8Array>();
  // ServerQuiet by base tick (recipient fields written at each send, as for the states)
  const quietOf = new Map<number, Uint8Array>();
  for (const s of sessions.all) {
    if (s.closed || !s.ws || !s.stream) continue;
    const ws = s.ws;
    const buffered = ws.getBufferedAmount();
    if (buffered > h.o.maxBackpressure) {
      h.counters.droppedSlow++;
      h.o.securityLog?.event('slow_consumer', { code: CLOSE.SLOW_CONSUMER, address: s.address, publicId: s.publicId, detail: `buffered ${buffered} bytes` });
      sessions.close(s, CLOSE.SLOW_CONSUMER, 'slow consumer: the client did not read its messages');
      continue;
    }
    let behind = false;
    if (buffered > h.o.softBackpressure) {
      const now = h.o.clock();
      if (s.behindSince === 0) s.behindSince = now;
      if (now - s.behindSince >= h.o.slowConsumerMs) {
        h.counters.droppedSlow++;
        h.o.securityLog?.event('slow_consumer', {
          code: CLOSE.SLOW_CONSUMER,
          address: s.address,
          publicId: s.publicId,
          detail: `behind for ${h.o.slowConsumerMs} ms`,
        });
        sessions.close(s, CLOSE.SLOW_CONSUMER, `slow consumer: behind for ${h.o.slowConsumerMs} ms`);
        continue;
      }
      behind = true;
    } else {
      s.behindSince = 0;
    }
    let events = encoded.get(s.stream);
    if (!events) {
      const c = closed.get(s.stream);
      if (!c) continue;
      events = encodeServer({ kind: 'events', tick: c.tick + 1, events: c.events as StreamEvent[] });
      encoded.set(s.stream, events);
    }
    let state: Uint8Array | null = null;
    let quiet = false;
    let geometry: Uint8Array[] = [];
    if (s.view && s.stream === w.stream) {
      if (behind) {
        h.counters.skippedDeltas++;
      } else {
        if (s.follow) {
          const p = w.avatarPosition(s.publicId);
          if (p) w.interest.setInterest(s.view, p[0], p[2], s.view.cells);
        }
        s.view.own = w.avatarSlot(s.publicId);
        const m = w.interest.messageFor(s.view);
        // hello.quietTicks: no event and an empty delta go as one ServerQuiet (docs/protocol.md 7.4)
        if (s.quiet && (closed.get(s.stream)?.events.length ?? 1) === 0 && isEmptyDelta(m.rows)) {
          const r = m.rows;
          let q = quietOf.get(r.baseTick);
          if (!q) {
            q = encodeServer({ kind: 'quiet', baseTick: r.baseTick, tick: r.tick, inputSeq: 0, inputTick: 0 });
            quietOf.set(r.baseTick, q);
          }
          state = q;
          quiet = true;
          h.counters.quietTicks++;
        } else state = m.bytes;
        const ip = w.interest;
        if (s.view.budget > 0) ip.budgetBytesSent += state.length;
        ip.countSent(s.view, state.length);
        queueGeometry(w, s, m);
        geometry = takeGeometry(s, buffered, h.o.softBackpressure / 2);
      }
    }
    const ev = events;
    const mine = s.stream === w.stream ? direct.get(s.publicId) : undefined;
    const inputs = s.inputs;
    ws.cork(() => {
      if (!quiet) sessions.send(s, ev);
      if (mine) for (const b of mine) sessions.send(s, b);
      if (state) {
        // protocol 4: the recipient's input_seq / input_tick written into the one shared encoding
        // just before the send (uWS copies the bytes at send: the next recipient's write does not
        // reach this one's message), so per-recipient fields cost 8 bytes written, not an encode
        setRecipientFields(state, inputs.ackSeq, inputs.ackTick);
        sessions.send(s, state);
      }
      for (const b of geometry) sessions.send(s, b);
    });
  }
}

/** True for a delta with nothing in it: no body, shape, removal, joint or record (a tick that changed nothing in the view). */
function isEmptyDelta(r: StateRows): boolean {
  return (
    r.kind === 'delta' &&
    r.bodyCount === 0 &&
    r.shapeCount === 0 &&
    r.removedCount === 0 &&
    (r.jointCount ?? 0) === 0 &&
    (r.removedJointCount ?? 0) === 0 &&
    !(r.packed && r.packed.length > 0) &&
    !(r.predicted && r.predicted.length > 0)
  );
}

/**
 * Per public id, the encoded messages the world tick addressed to it, in the order they were
 * decided: chat lines, admin results and errors (SocialOutput.outbox), refusals of its events,
 * and ownership changes of bodies in its interest. A message for many is encoded once.
 */
export function directMessages(h: HostContext, sessions: Sessions, tick: number, out: SocialOutput, refused: StepResult['refused']): Map<number, Uint8Array[]> {
  const direct = new Map<number, Uint8Array[]>();
  const put = (p: number, b: Uint8Array): void => {
    const l = direct.get(p);
    if (l) l.push(b);
    else direct.set(p, [b]);
  };
  for (const o of out.outbox) {
    const b = encodeServer(o.msg);
    for (const p of o.to) put(p, b);
  }
  for (const r of refused)
    if (r.event.origin > 0) put(r.event.origin, encodeServer({ kind: 'error', code: r.code, message: `${r.event.type} refused: ${r.message}` }));
  if (out.ownership.length) {
    const w = h.world;
    for (const c of out.ownership) {
      const row = w.rowOfSlot[Number(c.body & 0xffffffffn)];
      if (row === undefined || row < 0) continue;
      const x = w.table.px[row] / 1024,
        z = w.table.pz[row] / 1024;
      const b = encodeServer(SocialSim.ownershipMessage(c, tick + 1));
      for (const sess of sessions.all) if (sess.view && sess.stream === w.stream && !sess.closed && w.interest.covers(sess.view, x, z)) put(sess.publicId, b);
    }
  }
  return direct;
}
