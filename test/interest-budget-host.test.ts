/**
 * The byte budget through a real host (src/net/fanout.ts, Host.setStateBudget): with the
 * default (16 kB/s at 20 Hz = 800 bytes per tick) no state message a client receives is larger,
 * whether it acks or never does; a budget set for one client changes its messages only; bad
 * budgets are refused; the tessera_interest_budget_* sources count.
 */
import { defaultStateBudget, Host } from '../src/net/host';
import { decodeServer, peekServerKind } from '../src/protocol/codec';
import { RawClient, waitFor } from './helpers/net';
import { testWorld } from './helpers/world-setup';

let host: Host;

beforeAll(async () => {
  // the budget is off unless set: this host sets the default of 16 kB/s at its tick rate
  host = await Host.start({ port: 0, world: testWorld({ spheres: 150 }), manualTicks: true, worldLoop: { interest: { budget: defaultStateBudget(20) } } });
});
afterAll(async () => {
  await host.stop();
});

/** A client that records the size and tick of each state message, and acks them when `acks`. */
function client(url: string, name: string, acks: boolean): { c: RawClient; sizes: Array<{ tick: number; bytes: number }> } {
  const c = new RawClient(url);
  const sizes: Array<{ tick: number; bytes: number }> = [];
  c.ws.on('message', (data: ArrayBuffer, isBinary: boolean) => {
    if (!isBinary) return;
    const b = new Uint8Array(data),
      kind = peekServerKind(b);
    if (kind !== 'snapshot' && kind !== 'delta') return;
    const m = decodeServer(b) as { tick: number };
    sizes.push({ tick: m.tick, bytes: b.length });
    if (acks) c.send({ kind: 'ack', tick: m.tick });
  });
  void c.opened.then(() => c.hello({ privateId: name, interest: { center: [0n, 0n, 0n], cells: 3 } }));
  return { c, sizes };
}

test('every state message is within the default budget, acked or not; a per-client budget changes that client only', async () => {
  const url = `ws://127.0.0.1:${host.port}/ws`;
  const a = client(url, 'budget-a', true),
    b = client(url, 'budget-b', false);
  await Promise.all([a.c.opened, b.c.opened]);
  await waitFor(() => a.c.of('welcome').length > 0 && b.c.of('welcome').length > 0, 3000, 'welcomes');
  const tick = async (): Promise<number> => {
    host.tickOnce();
    const t = host.world.stream.tick;
    await waitFor(() => a.sizes.some((s) => s.tick === t) && b.sizes.some((s) => s.tick === t), 3000, `states of ${t}`);
    return t;
  };
  for (let i = 0; i < 40; i++) await tick();
  for (const s of [...a.sizes, ...b.sizes]) expect(s.bytes).toBeLessThanOrEqual(800);
  expect(Math.max(...b.sizes.map((s) => s.bytes))).toBeGreaterThan(600); // the world is larger than the budget: it was cut
  expect(host.world.interest.budgetDeferred).toBeGreaterThan(0);
  expect(host.world.interest.budgetBytesSent).toBeGreaterThan(0);

  const publicId = (a.c.of('welcome')[0] as { publicId: number }).publicId;
  expect(() => host.setStateBudget(publicId, 100)).toThrow(RangeError);
  expect(host.setStateBudget(publicId, 4000)).toBe(1);
  const from = host.world.stream.tick + 1;
  for (let i = 0; i < 10; i++) await tick();
  const after = a.sizes.filter((s) => s.tick >= from).map((s) => s.bytes),
    other = b.sizes.filter((s) => s.tick >= from).map((s) => s.bytes);
  for (const n of after) expect(n).toBeLessThanOrEqual(4000);
  expect(Math.max(...after)).toBeGreaterThan(800);
  for (const n of other) expect(n).toBeLessThanOrEqual(800);
  a.c.close();
  b.c.close();
});
