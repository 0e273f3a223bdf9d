/**
 * Nothing a client sees gets ahead of the replicated log (issue 19, DESIGN.md invariant 4 across
 * machines; src/net/send-gate.ts). The gate on its own: messages wait for their tick, go out in
 * order, and a full gate closes the oldest waiting session. Then `tessera serve --replicate` with
 * a client: every tick the client is shown is already in JetStream when it arrives, and while
 * nats-server is paused the client sees nothing new (the world keeps ticking), then every tick in
 * order once JetStream is back; held states acknowledge each client's own inputs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createNodeClient } from '../src/client/node';
import { SendGate, type DurableLog } from '../src/net/send-gate';
import { resolveConfig, serve, type Server } from '../src/serve';
import { startNats, uniqueWorld, type NatsServer } from './helpers/nats';
import { request, waitFor } from './helpers/net';
import { writeSmallScene } from './helpers/replica';

jest.setTimeout(120_000);

/** A log whose stored tick the test moves. */
function fakeLog(): DurableLog & { store(t: number): void } {
  let stored = -1;
  const cbs = new Set<(t: number) => void>();
  return {
    storedTick: () => stored,
    onStored: (cb) => {
      cbs.add(cb);
      return () => cbs.delete(cb);
    },
    store(t) {
      stored = t;
      for (const f of cbs) f(t);
    },
  };
}

const msg = (n: number, size = 4): Uint8Array => new Uint8Array(size).fill(n);

describe('the gate', () => {
  test('a message waits for the newest tick closed when it was sent; released in order; none wait when all is stored', () => {
    const log = fakeLog();
    const sent: string[] = [];
    const gate = new SendGate<string>(
      log,
      4,
      1 << 20,
      (s, b) => sent.push(`${s}:${b[0]}`),
      () => undefined,
    );
    log.store(4);
    expect(gate.hold('a', msg(1))).toBe(false); // tick 4 is stored: goes at once
    gate.closed(5);
    expect(gate.hold('a', msg(2))).toBe(true);
    expect(gate.hold('b', msg(3))).toBe(true);
    gate.closed(6);
    const shared = msg(4);
    expect(gate.hold('a', shared)).toBe(true);
    shared.fill(9); // the caller reuses its buffer (the fan-out's per-recipient fields): the held copy keeps 4
    log.store(5);
    expect(sent).toEqual(['a:2', 'b:3']); // the one of tick 6 still waits
    // a message after tick 6 closed waits behind it even though nothing newer closed
    expect(gate.hold('b', msg(5))).toBe(true);
    log.store(6);
    expect(sent).toEqual(['a:2', 'b:3', 'a:4', 'b:5']);
    expect(gate.hold('a', msg(6))).toBe(false);
    const st = gate.stats();
    expect(st).toMatchObject({ heldMessages: 0, heldBytes: 0, released: 4, closedTick: 6, storedTick: 6, overflowClosed: 0 });
  });

  test('past maxHeldBytes the oldest waiting session is closed and its messages dropped; a closed session is forgotten', () => {
    const log = fakeLog();
    const sent: string[] = [];
    const closed: string[] = [];
    const gate = new SendGate<string>(
      log,
      0,
      100,
      (s, b) => sent.push(`${s}:${b[0]}`),
      (s) => closed.push(s),
    );
    gate.closed(1);
    gate.hold('a', msg(1, 40));
    gate.hold('b', msg(2, 40));
    gate.hold('a', msg(3, 10));
    expect(gate.stats().heldBytes).toBe(90);
    gate.hold('c', msg(4, 40)); // 130 > 100: a (oldest) goes, with both its messages
    expect(closed).toEqual(['a']);
    expect(gate.stats()).toMatchObject({ heldMessages: 2, heldBytes: 80, overflowClosed: 1 });
    gate.forget('b');
    expect(gate.stats()).toMatchObject({ heldMessages: 1, heldBytes: 40 });
    // a message larger than the bound closes its own session when nothing else is left to drop
    expect(gate.hold('c', msg(5, 101))).toBe(true);
    expect(closed).toEqual(['a', 'c']);
    log.store(1);
    expect(sent).toEqual([]);
    expect(
      () =>
        new SendGate<string>(
          log,
          0,
          0,
          () => undefined,
          () => undefined,
        ),
    ).toThrow(/maxHeldBytes/);
  });
});

describe('serve --replicate with a client', () => {
  let dir: string;
  let nats: NatsServer;
  let server: Server | null = null;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-gate-'));
    nats = await startNats();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every tick a client is shown is in JetStream when it arrives; while JetStream is away the client waits, then gets every tick in order', async () => {
    const world = uniqueWorld('gate');
    server = await serve(
      resolveConfig(
        { port: '0', data: join(dir, 'a'), workers: '0', scene: writeSmallScene(dir), replicate: nats.url, replicateWorld: world, replicateLeaseMs: '5000' },
        {},
      ),
      pino({ level: 'silent' }),
    );
    const host = server.host;
    const seen: number[] = [];
    const ahead: string[] = [];
    const c = createNodeClient(
      { url: `ws://127.0.0.1:${host.port}/ws`, token: 'guest', privateId: 'p1', reconnect: { enabled: false } },
      {
        onTick: (t) => {
          // an events message of open tick t shows closed tick t - 1
          const stored = host.sendGateStats()?.storedTick ?? -1;
          if (t - 1 > stored) ahead.push(`tick ${t - 1} shown with ${stored} stored`);
          seen.push(t);
        },
      },
    );
    await c.connect();
    await waitFor(() => seen.length >= 20, 10_000, '20 ticks at the client');
    // JetStream away: the world ticks on, the client is shown nothing new
    nats.pause();
    await new Promise((r) => setTimeout(r, 300)); // (acknowledgements in flight at the pause)
    // what was stored before the pause arrives: the client is shown up to the stored tick
    await waitFor(() => seen[seen.length - 1] - 1 >= (host.sendGateStats()?.storedTick ?? 0), 10_000, 'the stored ticks at the client');
    const shownAtPause = seen.length;
    const tickAtPause = host.world.stream.tick;
    // 16 ticks more (counted, not timed: a loaded machine ticks slower), none shown
    await waitFor(() => host.world.stream.tick > tickAtPause + 15, 20_000, '16 ticks while JetStream is away');
    expect(seen.length).toBe(shownAtPause);
    expect(host.sendGateStats()?.heldMessages).toBeGreaterThan(15);
    nats.resume();
    await waitFor(() => (host.sendGateStats()?.heldMessages ?? 1) === 0 && seen.length > shownAtPause + 20, 20_000, 'the held ticks after the pause');
    expect(ahead).toEqual([]);
    // every tick, in order, none skipped
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBe(seen[i - 1] + 1);
    // two clients' inputs (protocol 4): each one's state, held and released, acknowledges its own
    // inputs, not the other's (the fan-out writes each recipient's seq into one shared encoding)
    const c2 = createNodeClient({ url: `ws://127.0.0.1:${host.port}/ws`, token: 'guest', privateId: 'p2', reconnect: { enabled: false } });
    await c2.connect();
    await waitFor(() => c2.lastState.tick > 0, 10_000, 'a state at the second client');
    for (let k = 0; k < 7; k++) c.sendInput({ walkX: 0, walkZ: 0, jump: false });
    for (let k = 0; k < 3; k++) c2.sendInput({ walkX: 0, walkZ: 0, jump: false });
    await waitFor(() => c.lastInputSeq === 7 && c2.lastInputSeq === 3, 10_000, 'each client acknowledged its own inputs');
    c2.close();
    const m = (await request('GET', `http://127.0.0.1:${host.port}/metrics`)).json as string;
    expect(Number(/^tessera_replication_held_released_total (\d+)/m.exec(m)?.[1])).toBeGreaterThan(15);
    expect(Number(/^tessera_replication_hold_max_seconds ([\d.e+-]+)/m.exec(m)?.[1])).toBeGreaterThan(1);
    c.close();
  });
});
