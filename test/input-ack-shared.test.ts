/**
 * Protocol 4's per-recipient fields keep the fan-out's one encoding per view and base (src/net/
 * fanout.ts, codec.ts setRecipientFields): three clients with the same interest share one encoded
 * state per tick, and each of them still reads its own input_seq / input_tick in it.
 */
import { Host } from '../src/net/host';
import type { ServerMessage } from '../src/protocol/messages';
import { RawClient, waitFor } from './helpers/net';
import { testWorld } from './helpers/world-setup';

type State = Extract<ServerMessage, { kind: 'snapshot' | 'delta' }>;

let host: Host;

beforeAll(async () => {
  // no byte budget: a snapshot of this world (these clients never ack) is over the default 800
  // bytes, and states a budget cuts are each client's own (own avatar first; test/interest-budget)
  host = await Host.start({ port: 0, world: testWorld({ spheres: 12 }), manualTicks: true, worldLoop: { interest: { budget: 0 } } });
});
afterAll(async () => {
  await host.stop();
});

test('clients sharing a view share one encoding per tick, each with its own acknowledged seq', async () => {
  const url = `ws://127.0.0.1:${host.port}/ws`;
  const cs = [new RawClient(url), new RawClient(url), new RawClient(url)];
  await Promise.all(cs.map((c) => c.opened));
  cs.forEach((c, i) => {
    c.hello({ privateId: `shared-${i}`, interest: { center: [0n, 0n, 0n], cells: 3 } });
  });
  await waitFor(() => cs.every((c) => c.of('welcome').length > 0), 3000, 'welcomes');
  const stateAt = (c: RawClient, t: number): State | undefined =>
    c.messages.find((m): m is State => (m.kind === 'snapshot' || m.kind === 'delta') && m.tick === t);
  const tick = async (): Promise<number> => {
    host.tickOnce();
    const t = host.world.stream.tick;
    await waitFor(() => cs.every((c) => stateAt(c, t) !== undefined), 3000, `states of ${t}`);
    return t;
  };
  for (let i = 0; i < 3; i++) await tick();
  const send = async (c: RawClient, seq: number): Promise<void> => {
    const before = host.statistics.messagesIn;
    c.send({ kind: 'input', input: { seq, walkX: 100 * seq, walkZ: 0, jump: false }, tick: host.world.stream.tick });
    await waitFor(() => host.statistics.messagesIn > before, 3000, 'read');
  };
  const seen: Array<[number, number, number]> = [];
  for (let k = 1; k <= 3; k++) {
    await send(cs[0], k);
    if (k === 1) await send(cs[1], 7);
    const encodes = host.world.interest.encodes;
    const t = await tick();
    expect(host.world.interest.encodes - encodes).toBe(1); // one encoding for the three of them
    seen.push(cs.map((c) => stateAt(c, t)?.inputSeq ?? 0) as [number, number, number]);
  }
  expect(seen).toEqual([
    [1, 7, 0],
    [2, 7, 0],
    [3, 7, 0],
  ]);
  for (const c of cs) c.close();
});
