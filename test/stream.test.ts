/**
 * EventStream / StreamHub (GoEventStream semantics) and the canonical order, with a fake clock:
 * '_a' first at tick 0, public ids, '_c'/'_d', the 10 s silence timeout, since/catch-up with
 * snapshots and trimming, arrival-order independence (per recipient and per stream), publish
 * validation codes, per-tick Random, and replay of a live log to the same state and digest.
 */
import { createHash } from 'node:crypto';
import { ERROR } from '../src/protocol/errors';
import type { StreamEvent } from '../src/protocol/messages';
import { compareEvents, RecipientQueue, type LoggedEvent } from '../src/sim/order';
import { StreamRandom } from '../src/sim/rng';
import { type Clock, eventWireBytes, EventStream, logDigest, StreamError, StreamHub, type StreamOptions } from '../src/sim/stream';

const SEED = '00112233445566778899aabbccddeeff';

class FakeClock implements Clock {
  ms = 0;
  now(): number {
    return this.ms;
  }
}

function make(opts: StreamOptions = {}): { clock: FakeClock; s: EventStream } {
  const clock = new FakeClock();
  return { clock, s: new EventStream('world', { clock, seed: SEED, ...opts }) };
}

/** [tick, type, origin, body] of each event. */
const brief = (events: readonly StreamEvent[]): Array<[number, string, number, string]> => events.map((e) => [e.tick, e.type, e.origin, e.body]);

/** The StreamError code `f` throws (undefined if it does not throw). */
function codeOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof StreamError) return e.code;
    throw e;
  }
  return undefined;
}

/** Deterministic shuffle with the module's own generator. */
function shuffle<T>(items: readonly T[], r: StreamRandom): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = r.nextInt(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

describe('tick 0 and _a', () => {
  it('_a (origin 0, body = seed) is the first event of tick 0, before connects, server and client events', () => {
    const { s } = make();
    expect(s.tick).toBe(0);
    s.connect('alice');
    s.publish('alice', 'hello', 'hi');
    s.publishServer('_spawn', 'x');
    s.connect('bob');
    const closed = s.advance();
    expect(closed.tick).toBe(0);
    expect(brief(closed.events)).toEqual([
      [0, '_a', 0, SEED],
      [0, '_c', 0, '1'],
      [0, '_c', 0, '2'],
      [0, '_spawn', 0, 'x'],
      [0, 'hello', 1, 'hi'],
    ]);
    expect(s.tick).toBe(1);
    expect(Object.isFrozen(closed.events)).toBe(true);
    expect(brief(s.log())).toEqual(brief(closed.events));
  });

  it('without a seed option the seed is 128 random bits, different per stream', () => {
    const a = new EventStream('a');
    const b = new EventStream('b');
    expect(a.seed).toMatch(/^[0-9a-f]{32}$/);
    expect(a.seed).not.toBe(b.seed);
    expect(a.advance().events[0]).toMatchObject({ tick: 0, type: '_a', origin: 0, body: a.seed });
  });
});

describe('clients', () => {
  it('gives 1, 2, 3 to new private ids and the same id to a known one', () => {
    const { s } = make();
    expect(s.connect('alice')).toEqual({ publicId: 1, connected: true });
    expect(s.connect('bob')).toEqual({ publicId: 2, connected: true });
    expect(s.connect('alice')).toEqual({ publicId: 1, connected: false });
    expect(s.connect('carol')).toEqual({ publicId: 3, connected: true });
    expect(s.publicIdOf('bob')).toBe(2);
    expect(s.publicIdOf('nobody')).toBeUndefined();
    expect(s.isConnected(3)).toBe(true);
    expect(s.isConnected(4)).toBe(false);
    expect(s.clients().map((c) => [c.publicId, c.connected])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    expect(brief(s.advance().events).filter((e) => e[1] === '_c')).toEqual([
      [0, '_c', 0, '1'],
      [0, '_c', 0, '2'],
      [0, '_c', 0, '3'],
    ]);
  });

  it('an explicit leave emits _d now; coming back gives the same public id and a new _c', () => {
    const { s } = make();
    s.connect('alice');
    s.connect('bob');
    s.advance();
    expect(s.disconnect('alice')).toBe(true);
    expect(s.isConnected(1)).toBe(false);
    expect(s.disconnect('alice')).toBe(false);
    expect(brief(s.advance().events)).toEqual([[1, '_d', 0, '1']]);
    expect(s.connect('alice')).toEqual({ publicId: 1, connected: true });
    expect(s.connect('dave')).toEqual({ publicId: 3, connected: true });
    expect(brief(s.advance().events)).toEqual([
      [2, '_c', 0, '1'],
      [2, '_c', 0, '3'],
    ]);
    expect(codeOf(() => s.disconnect('nobody'))).toBe(ERROR.NOT_FOUND);
  });

  it('leaving and coming back in the same tick: _d then _c for the same id', () => {
    const { s } = make();
    s.connect('alice');
    s.advance();
    s.disconnect('alice');
    expect(s.connect('alice')).toEqual({ publicId: 1, connected: true });
    expect(brief(s.advance().events)).toEqual([
      [1, '_d', 0, '1'],
      [1, '_c', 0, '1'],
    ]);
    expect(s.isConnected(1)).toBe(true);
  });

  it('joining and leaving in one tick stamps the _d in the next tick; coming back before that cancels it', () => {
    const { s } = make();
    s.advance();
    s.connect('alice');
    s.disconnect('alice');
    expect(s.isConnected(1)).toBe(false);
    expect(s.clients()[0]).toMatchObject({ publicId: 1, connected: false, leaving: true });
    expect(brief(s.advance().events)).toEqual([[1, '_c', 0, '1']]);
    expect(brief(s.advance().events)).toEqual([[2, '_d', 0, '1']]);

    s.connect('bob');
    s.disconnect('bob');
    expect(s.connect('bob')).toEqual({ publicId: 2, connected: false });
    expect(brief(s.advance().events)).toEqual([[3, '_c', 0, '2']]);
    expect(brief(s.advance().events)).toEqual([]);
    expect(s.isConnected(2)).toBe(true);
  });

  it('each stream of a hub has its own mapping', () => {
    const hub = new StreamHub({ seed: SEED });
    const a = hub.stream('lobby');
    const b = hub.stream('game-1.v2');
    expect(a.connect('bob').publicId).toBe(1);
    expect(b.connect('alice').publicId).toBe(1);
    expect(b.connect('bob').publicId).toBe(2);
    expect(a.connect('alice').publicId).toBe(2);
    expect(a.publicIdOf('bob')).toBe(1);
    expect(b.publicIdOf('bob')).toBe(2);
  });

  it('rejects client keys that are empty, longer than 160 (a 128-character private id scoped by a host) or not printable ASCII', () => {
    const { s } = make();
    expect(s.connect('x'.repeat(160)).publicId).toBe(1);
    expect(s.connect(' ~').publicId).toBe(2);
    for (const bad of ['', 'x'.repeat(161), 'tab\there', 'é', 'nul\0']) {
      expect(codeOf(() => s.connect(bad))).toBe(ERROR.BAD_VALUE);
    }
  });
});

describe('silence timeout', () => {
  it('drops a client at exactly 10,000 ms without a message, not at 9,999 ms', () => {
    const { clock, s } = make();
    s.connect('alice');
    s.advance();
    clock.ms = 9_999;
    expect(brief(s.advance().events)).toEqual([]);
    expect(s.isConnected(1)).toBe(true);
    clock.ms = 10_000;
    expect(brief(s.advance().events)).toEqual([[2, '_d', 0, '1']]);
    expect(s.isConnected(1)).toBe(false);
    expect(s.heard('alice')).toBe(false);
    expect(s.connect('alice')).toEqual({ publicId: 1, connected: true });
  });

  it.each([
    ['heard', (s: EventStream) => expect(s.heard('alice')).toBe(true)],
    ['publish', (s: EventStream) => s.publish('alice', 'move', '1')],
    ['connect', (s: EventStream) => expect(s.connect('alice').connected).toBe(false)],
  ])('%s refreshes the silence timer', (_name, refresh) => {
    const { clock, s } = make();
    s.connect('alice');
    s.connect('bob');
    s.advance();
    clock.ms = 4_000;
    refresh(s);
    clock.ms = 13_999;
    // bob (last heard at 0) goes, alice (last heard at 4,000) stays until 14,000.
    expect(brief(s.advance().events).filter((e) => e[1] === '_d')).toEqual([[1, '_d', 0, '2']]);
    clock.ms = 14_000;
    expect(brief(s.advance().events)).toEqual([[2, '_d', 0, '1']]);
  });

  it('honours silenceMs and drops several clients in ascending id order', () => {
    const { clock, s } = make({ silenceMs: 500 });
    for (const id of ['c', 'a', 'b']) s.connect(id);
    s.advance();
    clock.ms = 500;
    expect(brief(s.advance().events)).toEqual([
      [1, '_d', 0, '1'],
      [1, '_d', 0, '2'],
      [1, '_d', 0, '3'],
    ]);
  });

  it('heard() of an unknown client is false and emits nothing', () => {
    const { s } = make();
    expect(s.heard('ghost')).toBe(false);
    s.advance();
    expect(brief(s.advance().events)).toEqual([]);
  });
});

describe('since and catch-up', () => {
  /** 10 closed ticks; alice publishes one event per tick, tick 0 also holds _a and _c. */
  function tenTicks(): EventStream {
    const { s } = make();
    s.connect('alice');
    for (let t = 0; t < 10; t++) {
      s.publish('alice', 'step', `t${t}`);
      s.advance();
    }
    return s;
  }

  it('lastKnownTick = the server tick last received: events of closed ticks >= it, never the open tick', () => {
    const s = tenTicks();
    s.publish('alice', 'open', 'not yet');
    const all = s.since(0);
    expect(all.kind).toBe('events');
    if (all.kind !== 'events') return;
    expect(all.tick).toBe(10);
    expect(brief(all.events)).toEqual(brief(s.log()));
    expect(all.events[0].type).toBe('_a');
    const from7 = s.since(7);
    expect(from7.kind === 'events' && brief(from7.events)).toEqual([
      [7, 'step', 1, 't7'],
      [8, 'step', 1, 't8'],
      [9, 'step', 1, 't9'],
    ]);
    const none = s.since(10);
    expect(none.kind === 'events' && none.events.length).toBe(0);
    for (const k of [-1, 11, 1.5, NaN]) expect(codeOf(() => s.since(k))).toBe(ERROR.BAD_VALUE);
  });

  it('a client polling with the convention receives every event exactly once', () => {
    const { s } = make();
    s.connect('alice');
    const got: LoggedEvent[] = [];
    let last = 0;
    for (let t = 0; t < 30; t++) {
      s.publish('alice', 'e', String(t));
      if (t % 3 === 0) s.publish('alice', 'e', `extra${t}`);
      s.advance();
      if (t % 4 === 1) {
        const r = s.since(last);
        if (r.kind !== 'events') throw new Error('trimmed');
        got.push(...r.events);
        last = r.tick;
      }
    }
    const r = s.since(last);
    if (r.kind === 'events') got.push(...r.events);
    expect(brief(got)).toEqual(brief(s.log()));
  });

  it('catchUp answers with events when there is no snapshot, their bytes summed', () => {
    const s = tenTicks();
    const c = s.catchUp(3);
    expect(c.kind).toBe('events');
    expect(brief(c.events)).toEqual(brief(s.log().filter((e) => e.tick >= 3)));
    expect(c.bytes).toBe(c.events.reduce((n, e) => n + eventWireBytes(e), 0));
    expect(c.bytes).toBe(7 * (16 + 4 + 2));
    expect(s.catchUp(10)).toMatchObject({ kind: 'events', tick: 10, events: [], bytes: 0 });
  });

  it('catchUp prefers the snapshot when snapshot + later events are smaller, events otherwise', () => {
    const s = tenTicks();
    const perEvent = 16 + 4 + 2;
    s.addSnapshot(8, 10, 'state@8');
    // From 3: events = 7 * 22 = 154 bytes; snapshot = 10 + 2 * 22 = 54 bytes.
    const c = s.catchUp(3);
    expect(c.kind).toBe('snapshot');
    if (c.kind !== 'snapshot') return;
    expect(c.snapshot).toMatchObject({ tick: 8, bytes: 10, payload: 'state@8' });
    expect(brief(c.events)).toEqual([
      [8, 'step', 1, 't8'],
      [9, 'step', 1, 't9'],
    ]);
    expect(c.bytes).toBe(10 + 2 * perEvent);
    // From 7: events = 66 bytes, snapshot = 54: still the snapshot; from 8 the snapshot is not newer.
    expect(s.catchUp(7).kind).toBe('snapshot');
    expect(s.catchUp(8).kind).toBe('events');
    // A big snapshot loses.
    s.addSnapshot(8, 10_000, 'big');
    expect(s.catchUp(3).kind).toBe('events');
    expect(s.snapshots().map((x) => x.payload)).toEqual(['big']);
  });

  it('after trimBefore, since answers trimmed and catchUp answers with the snapshot however large', () => {
    const s = tenTicks();
    expect(codeOf(() => s.trimBefore(5))).toBe(ERROR.UNEXPECTED); // no snapshot covers ticks < 5
    s.addSnapshot(2, 1, 'state@2');
    s.addSnapshot(6, 1_000_000, 'state@6');
    expect(s.trimBefore(5)).toBe(7); // tick 0: _a, _c, t0; ticks 1..4: one each
    expect(s.firstTick).toBe(5);
    expect(s.log()[0]).toMatchObject({ tick: 5, body: 't5' });
    expect(s.snapshots().map((x) => x.tick)).toEqual([6]); // state@2 needs dropped events
    expect(s.since(4)).toEqual({ kind: 'trimmed', tick: 10, firstTick: 5 });
    const c = s.catchUp(0);
    expect(c.kind).toBe('snapshot');
    expect(c.kind === 'snapshot' && c.snapshot.payload).toBe('state@6');
    expect(brief(c.events).map((e) => e[3])).toEqual(['t6', 't7', 't8', 't9']);
    expect(s.catchUp(5).kind).toBe('events'); // 5 events, far smaller than 1 MB
    expect(s.trimBefore(3)).toBe(0);
    expect(codeOf(() => s.addSnapshot(4, 1, null))).toBe(ERROR.BAD_VALUE); // before firstTick
    expect(codeOf(() => s.addSnapshot(11, 1, null))).toBe(ERROR.BAD_VALUE); // after the open tick
    expect(codeOf(() => s.addSnapshot(7, -1, null))).toBe(ERROR.BAD_VALUE);
    expect(codeOf(() => s.trimBefore(11))).toBe(ERROR.BAD_VALUE);
  });

  it('keeps only the newest maxSnapshots snapshots', () => {
    const { s } = make({ maxSnapshots: 2 });
    for (let t = 0; t < 5; t++) s.advance();
    for (const t of [1, 4, 2, 3]) s.addSnapshot(t, 1, t);
    expect(s.snapshots().map((x) => x.tick)).toEqual([3, 4]);
  });
});

describe('canonical order', () => {
  const ev = (tick: number, type: string, origin: number, body: string, seq: number): LoggedEvent => ({ tick, type, origin, body, seq });

  it('orders by tick, then _a, _d, _c, other server events, client events; then origin, subject, seq', () => {
    const sorted = [
      ev(0, '_a', 0, SEED, 0),
      ev(0, '_d', 0, '2', 5),
      ev(0, '_d', 0, '10', 1),
      ev(0, '_c', 0, '3', 4),
      ev(0, '_c', 0, '9', 2),
      ev(0, '_spawn', 0, 'b', 3),
      ev(0, '_spawn', 0, 'a', 6),
      ev(0, 'zzz', 1, 'first', 0),
      ev(0, 'aaa', 1, 'second', 1),
      ev(0, 'move', 2, '', 0),
      ev(1, '_d', 0, '1', 0),
      ev(1, 'move', 1, '', 0),
    ];
    const r = StreamRandom.fromSeed(SEED);
    for (let i = 0; i < 50; i++) expect(shuffle(sorted, r).sort(compareEvents)).toEqual(sorted);
  });

  it('RecipientQueue delivers the same order for every arrival permutation', () => {
    // Three producers (origins 0, 4, 7) over three ticks, each numbering its own events per tick.
    const events: LoggedEvent[] = [];
    for (let tick = 0; tick < 3; tick++) {
      for (const origin of [7, 0, 4]) {
        const n = 2 + ((tick + origin) % 3);
        for (let seq = 0; seq < n; seq++) {
          events.push(ev(tick, origin === 0 ? (seq % 2 ? '_c' : '_x') : 'e', origin, origin === 0 && seq % 2 ? String(seq * 7) : `${origin}.${seq}`, seq));
        }
      }
    }
    const r = StreamRandom.fromSeed(SEED);
    let reference: string | null = null;
    for (let p = 0; p < 200; p++) {
      const q = new RecipientQueue();
      for (const e of shuffle(events, r)) q.push(e);
      const first = q.drain(1);
      expect(q.size).toBe(events.filter((e) => e.tick === 2).length);
      const delivered = JSON.stringify([...first, ...q.drain(2)]);
      if (reference === null) reference = delivered;
      expect(delivered).toBe(reference);
    }
    expect(JSON.parse(reference as string)).toEqual([...events].sort(compareEvents));
  });

  it('RecipientQueue refuses late events and duplicate sequence numbers', () => {
    const q = new RecipientQueue<LoggedEvent & { payload: number }>();
    q.push({ ...ev(0, 'a', 1, '', 0), payload: 1 });
    q.push({ ...ev(3, 'a', 1, '', 0), payload: 2 });
    expect(q.drain(2).map((e) => e.payload)).toEqual([1]);
    expect(q.nextTick).toBe(3);
    expect(codeOf(() => q.push({ ...ev(2, 'a', 1, '', 0), payload: 3 }))).toBe(ERROR.UNEXPECTED);
    q.push({ ...ev(3, 'b', 1, '', 0), payload: 4 });
    expect(codeOf(() => q.drain(3))).toBe(ERROR.BAD_VALUE);
    expect(q.size).toBe(2);
  });

  it('two streams fed the same events in different arrival interleavings keep identical logs and digests', () => {
    const clients = ['p1', 'p2', 'p3', 'p4'];
    const shuffler = StreamRandom.fromSeed('ffeeddccbbaa99887766554433221100');
    const runs = [0, 1, 2].map(() => make());
    for (const { s } of runs) for (const c of clients) s.connect(c); // same join order -> same ids
    for (let tick = 0; tick < 25; tick++) {
      // Each client's own messages this tick, in its own order.
      const msgs = clients.map((c, i) => Array.from({ length: (tick + i) % 4 }, (_, k) => [c, `t${tick % 3}`, `${c}:${tick}:${k}`]));
      const leaving = tick % 7 === 3 ? ['p2', 'p4'] : [];
      for (const { s } of runs) {
        // Each client's actions in its own order (its messages, then its leave if it leaves);
        // the stream receives a random merge of them, then the leavers come back in random order.
        const queues: Array<Array<() => unknown>> = clients.map((c, i) => [
          ...msgs[i].map(
            ([, type, body]) =>
              () =>
                s.publish(c, type, body),
          ),
          ...(leaving.includes(c) ? [() => s.disconnect(c)] : []),
        ]);
        while (queues.some((q) => q.length > 0)) {
          const live = queues.filter((q) => q.length > 0);
          (live[shuffler.nextInt(live.length)].shift() as () => unknown)();
        }
        for (const c of shuffle(leaving, shuffler)) s.connect(c);
        s.publishServer('_tick', String(tick));
        s.advance();
      }
    }
    const [a, b, c] = runs.map((r) => r.s);
    expect(JSON.stringify(b.log())).toBe(JSON.stringify(a.log()));
    expect(JSON.stringify(c.log())).toBe(JSON.stringify(a.log()));
    expect(b.digest()).toBe(a.digest());
    expect(c.digest()).toBe(a.digest());
    expect(a.log().filter((e) => e.type === '_d').length).toBe(2 * 4); // ticks 3, 10, 17, 24
  });
});

describe('validation', () => {
  it('publish errors carry codes', () => {
    const { s } = make();
    s.connect('alice');
    expect(codeOf(() => s.publish('nobody', 'move', ''))).toBe(ERROR.NOT_FOUND);
    expect(codeOf(() => s.publish('alice', '_move', ''))).toBe(ERROR.BAD_VALUE);
    expect(codeOf(() => s.publish('alice', '', ''))).toBe(ERROR.BAD_VALUE);
    expect(codeOf(() => s.publish('alice', 'x'.repeat(33), ''))).toBe(ERROR.BAD_VALUE);
    expect(codeOf(() => s.publish('alice', 'x'.repeat(32), ''))).toBeUndefined();
    expect(codeOf(() => s.publish('alice', 'move', 'é'.repeat(2048)))).toBeUndefined(); // 4,096 bytes
    expect(codeOf(() => s.publish('alice', 'move', 'é'.repeat(2048) + 'a'))).toBe(ERROR.BAD_VALUE); // 4,097
    expect(codeOf(() => s.publish('alice', 'move', '\ud800'))).toBe(ERROR.BAD_VALUE);
    expect(codeOf(() => s.publish('alice', 'move', '\ud83d\ude00'))).toBeUndefined();
    s.disconnect('alice');
    expect(codeOf(() => s.publish('alice', 'move', ''))).toBe(ERROR.UNEXPECTED);
    expect(codeOf(() => s.publishServer('spawn', ''))).toBe(ERROR.BAD_VALUE);
    expect(codeOf(() => s.publishServer('_', ''))).toBe(ERROR.BAD_VALUE);
    for (const t of ['_a', '_c', '_d']) expect(codeOf(() => s.publishServer(t, '1'))).toBe(ERROR.BAD_VALUE);
    // Server seq so far: _a 0, alice's _c 1 (her _d waits for tick 1: she joined in tick 0).
    expect(s.publishServer('_spawn', 'ok')).toMatchObject({ tick: 0, type: '_spawn', origin: 0, body: 'ok', seq: 2 });
  });

  it('options and body limit are honoured', () => {
    const { s } = make({ maxBodyBytes: 3, maxTypeLength: 4 });
    s.connect('a');
    expect(codeOf(() => s.publish('a', 'abcd', 'abc'))).toBeUndefined();
    expect(codeOf(() => s.publish('a', 'abcde', ''))).toBe(ERROR.BAD_VALUE);
    expect(codeOf(() => s.publish('a', 'b', 'abcd'))).toBe(ERROR.BAD_VALUE);
    expect(s.tickRate).toBe(20);
    expect(s.silenceMs).toBe(10_000);
    for (const o of [{ seed: 'xyz' }, { silenceMs: 0 }, { tickRate: -1 }, { maxBodyBytes: 1.5 }, { maxTypeLength: 1 }]) {
      expect(codeOf(() => new EventStream('w', o))).toBe(ERROR.BAD_VALUE);
    }
  });

  it('hub: stream names, creation on first use, list, get, delete', () => {
    const hub = new StreamHub();
    for (const bad of ['', 'x'.repeat(65), 'a/b', 'a b', 'ü']) expect(codeOf(() => hub.stream(bad))).toBe(ERROR.BAD_VALUE);
    expect(hub.get('zeta')).toBeUndefined();
    const z = hub.stream('zeta', { tickRate: 30 });
    expect(hub.stream('zeta')).toBe(z);
    expect(z.tickRate).toBe(30);
    hub.stream('Alpha_1.0-x');
    hub.stream('x'.repeat(64));
    expect(hub.list()).toEqual(['Alpha_1.0-x', 'x'.repeat(64), 'zeta']);
    expect(hub.size).toBe(3);
    expect(hub.delete('zeta')).toBe(true);
    expect(hub.delete('zeta')).toBe(false);
    expect(hub.get('zeta')).toBeUndefined();
    expect(hub.stream('zeta').tick).toBe(0);
  });
});

describe('random', () => {
  it('tick t uses forTick(seed, t) whatever was drawn earlier', () => {
    const { s } = make();
    for (let t = 0; t < 6; t++) {
      expect(s.random.state()).toBe(StreamRandom.forTick(SEED, t).state());
      for (let k = 0; k < t * 3; k++) s.random.nextU32();
      const closed = s.advance();
      expect(closed.random.state()).toBe(StreamRandom.forTick(SEED, t).state());
    }
    expect(StreamRandom.forTick(SEED, 0).state()).toBe(StreamRandom.fromSeed(SEED).state());
  });
});

describe('log digest and replay', () => {
  it('logDigest is SHA-256 of the documented encoding and depends on order', () => {
    const events: StreamEvent[] = [
      { tick: 0, type: '_a', origin: 0, body: SEED },
      { tick: 2, type: 'mové', origin: 3, body: '{"x":1}' },
    ];
    const parts: Buffer[] = [Buffer.from('TSLG1')];
    for (const e of events) {
      const type = Buffer.from(e.type),
        body = Buffer.from(e.body);
      const head = Buffer.alloc(12);
      head.writeUInt32LE(e.tick, 0);
      head.writeUInt32LE(e.origin, 4);
      head.writeUInt32LE(type.length, 8);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(body.length, 0);
      parts.push(head, type, len, body);
    }
    expect(logDigest(events)).toBe(createHash('sha256').update(Buffer.concat(parts)).digest('hex'));
    expect(logDigest([...events].reverse())).not.toBe(logDigest(events));
    expect(codeOf(() => logDigest([{ tick: -1, type: 'a', origin: 0, body: '' }]))).toBe(ERROR.BAD_VALUE);
  });

  /** A live session driven by a seeded generator: joins, leaves, timeouts, publishes, server events. */
  function session(ops: StreamRandom, clock: FakeClock, s: EventStream, ticks: number): void {
    const ids = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay'];
    for (let t = 0; t < ticks; t++) {
      clock.ms += 50;
      if (ops.nextInt(40) === 0) clock.ms += 10_000; // everyone not heard goes silent
      const n = ops.nextInt(6);
      for (let k = 0; k < n; k++) {
        const who = ids[ops.nextInt(ids.length)];
        switch (ops.nextInt(6)) {
          case 0:
            s.connect(who);
            break;
          case 1:
            if (s.publicIdOf(who) !== undefined) s.disconnect(who);
            break;
          case 2:
            s.heard(who);
            break;
          case 5:
            s.publishServer('_tick', String(t));
            break;
          default: {
            const id = s.publicIdOf(who);
            if (id !== undefined && s.isConnected(id)) s.publish(who, `m${ops.nextInt(3)}`, String(ops.nextU32()));
          }
        }
      }
      s.advance();
    }
  }

  it('fromLog rebuilds tick, id mapping, connected set, random and digest; both then continue identically', () => {
    const clock = new FakeClock();
    const live = new EventStream('world', { clock, seed: SEED });
    const ops = StreamRandom.fromSeed('0f0e0d0c0b0a09080706050403020100');
    session(ops, clock, live, 200);
    live.advance(); // stamp any deferred _d in a closed tick
    live.advance();
    expect(live.openEvents()).toEqual([]);
    expect(live.log().filter((e) => e.type === '_d').length).toBeGreaterThan(3);
    expect(live.log().filter((e) => e.origin !== 0).length).toBeGreaterThan(50);

    const rebuilt = EventStream.fromLog('world', live.log(), { clock, tick: live.tick, ids: live.idTable() });
    expect(rebuilt.tick).toBe(live.tick);
    expect(rebuilt.seed).toBe(live.seed);
    expect(rebuilt.digest()).toBe(live.digest());
    expect(JSON.stringify(rebuilt.log())).toBe(JSON.stringify(live.log())); // seq re-derived identically
    expect(rebuilt.idTable()).toEqual(live.idTable());
    expect(rebuilt.clients().map((c) => [c.publicId, c.connected])).toEqual(live.clients().map((c) => [c.publicId, c.connected]));
    expect(rebuilt.random.state()).toBe(live.random.state());

    // Same inputs from here on (fresh silence period on both) -> same logs, including a new client's id.
    clock.ms += 10_000;
    for (const s of [live, rebuilt]) for (const id of ['ann', 'ben', 'cat', 'dan', 'eve', 'fay']) s.heard(id);
    const opsA = StreamRandom.fromSeed('1234567890abcdef1234567890abcdef');
    const opsB = opsA.clone();
    const t0 = clock.ms;
    const newcomer: number[] = [];
    for (const [s, ops] of [
      [live, opsA],
      [rebuilt, opsB],
    ] as const) {
      clock.ms = t0;
      session(ops, clock, s, 40);
      newcomer.push(s.connect('newcomer').publicId);
      s.advance();
    }
    expect(newcomer[1]).toBe(newcomer[0]);
    expect(rebuilt.tick).toBe(live.tick);
    expect(rebuilt.digest()).toBe(live.digest());
  });

  it('fromLog without opts.tick resumes after the last logged tick and rejects malformed logs', () => {
    const { s } = make();
    s.connect('a');
    s.advance();
    s.publish('a', 'x', '1');
    s.advance();
    s.advance(); // empty tick 2: not visible in the log
    const log = [...s.log()];
    expect(EventStream.fromLog('w', log).tick).toBe(2);
    expect(EventStream.fromLog('w', log, { tick: 3 }).tick).toBe(3);
    const rebuilt = EventStream.fromLog('w', log);
    expect(rebuilt.isConnected(1)).toBe(true);
    expect(rebuilt.publicIdOf('a')).toBeUndefined(); // private ids are not in the log
    expect(rebuilt.connect('b').publicId).toBe(2);

    const strip = (e: StreamEvent): StreamEvent => ({ tick: e.tick, type: e.type, origin: e.origin, body: e.body });
    const plain = log.map(strip);
    const cases: Array<[string, StreamEvent[], object]> = [
      ['empty', [], {}],
      ['no _a', plain.slice(1), {}],
      ['out of order', [plain[0], plain[2], plain[1]], {}],
      ['_c twice', [...plain, { tick: 5, type: '_c', origin: 0, body: '1' }], {}],
      ['_d of unknown', [...plain, { tick: 5, type: '_d', origin: 0, body: '9' }], {}],
      ['never connected origin', [...plain, { tick: 5, type: 'x', origin: 4, body: '' }], {}],
      ['client type with _', [...plain, { tick: 5, type: '_x', origin: 1, body: '' }], {}],
      ['resume tick', plain, { tick: 1 }],
      ['seed mismatch', plain, { seed: 'f'.repeat(32) }],
      [
        'duplicate ids',
        plain,
        {
          ids: [
            ['a', 1],
            ['a', 2],
          ],
        },
      ],
    ];
    for (const [name, events, opts] of cases) {
      expect([name, codeOf(() => EventStream.fromLog('w', events, opts))]).toEqual([name, ERROR.BAD_VALUE]);
    }
  });
});

describe('bounds (issue 15)', () => {
  it("startTick: _a is stamped there, the log begins there, and the generator is that tick's", () => {
    const { s } = make({ startTick: 500 });
    expect([s.tick, s.firstTick, s.startTick]).toEqual([500, 500, 500]);
    const closed = s.advance();
    expect(brief(closed.events)).toEqual([[500, '_a', 0, SEED]]);
    expect(closed.random.nextU32()).toBe(StreamRandom.forTick(SEED, 500).nextU32());
  });

  it('maxEventsPerTick refuses client events beyond it with RATE_LIMITED; server events and joins still go in', () => {
    const { s } = make({ maxEventsPerTick: 4 });
    s.connect('a'); // '_a' and '_c': 2 events
    s.publish('a', 'x', '1');
    s.publish('a', 'x', '2');
    expect(s.hasRoom(1)).toBe(false);
    expect(codeOf(() => s.publish('a', 'x', '3'))).toBe(ERROR.RATE_LIMITED);
    s.publishServer('_note', 'ok');
    expect(s.connect('b').connected).toBe(true);
    expect(s.advance().events.length).toBe(6);
    expect(codeOf(() => s.publish('a', 'x', 'next tick'))).toBeUndefined();
  });

  it('forgetDeparted drops departed clients not heard from since the time; their public ids are never reused', () => {
    const { s, clock } = make({ silenceMs: 1000 });
    const a = s.connect('a').publicId;
    s.connect('b');
    s.advance();
    s.disconnect('a');
    s.advance();
    clock.ms = 5000;
    s.heard('b');
    expect(s.forgetDeparted(4000)).toBe(1); // 'a' left and is old; 'b' is connected
    expect(s.clientCount).toBe(1);
    expect(s.publicIdOf('a')).toBeUndefined();
    const again = s.connect('a').publicId;
    expect(again).not.toBe(a);
    expect(again).toBeGreaterThan(2);
  });

  it("dropBefore trims without a snapshot; catch-up below firstTick is then the host's business (since says trimmed)", () => {
    const { s } = make();
    s.connect('a');
    for (let i = 0; i < 10; i++) {
      s.publish('a', 'x', String(i));
      s.advance();
    }
    expect(s.dropBefore(6)).toBeGreaterThan(0);
    expect(s.firstTick).toBe(6);
    expect(s.since(3).kind).toBe('trimmed');
    expect(s.log().every((e) => e.tick >= 6)).toBe(true);
    expect(s.bytesSince(6)).toBe(s.log().reduce((n, e) => n + 16 + e.type.length + e.body.length, 0));
  });
});
