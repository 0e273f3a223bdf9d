/**
 * The client library's side of protocol 4 against a running host (real ticks, 20 Hz): sendInput
 * stamps seq 1, 2, ... and a tick from intendedTick(); every state's StateInfo reports the
 * highest applied seq, never above what was sent and never going back, reaching the last one;
 * pings give a round-trip time; the host applies each input at its stamped tick or later.
 */
import { Host } from '../src/net/host';
import { createNodeClient, type StateInfo } from '../src/client/node';
import { waitFor } from './helpers/net';
import { testWorld } from './helpers/world-setup';

let host: Host;

beforeAll(async () => {
  host = await Host.start({ port: 0, world: testWorld({ spheres: 0 }) });
});
afterAll(async () => {
  await host.stop();
});

test('sendInput stamps seq and intended tick; states acknowledge the applied seq, monotone and never ahead of the sent ones', async () => {
  const infos: Array<StateInfo & { sent: number }> = [];
  const c = createNodeClient(
    { url: `ws://127.0.0.1:${host.port}/ws`, token: 'guest', privateId: 'lib-acker', pingEveryMs: 100 },
    { onState: (_m, info) => infos.push({ ...info, sent: c.lastSentSeq }) },
  );
  const me = (await c.connect()).publicId;
  await waitFor(() => c.state !== null && c.rttMs !== null, 5000, 'a state and a round trip');
  const stamped = new Map<number, number>();
  for (let i = 0; i < 12; i++) {
    const tick = c.intendedTick();
    expect(tick).toBeGreaterThanOrEqual(c.lastState.tick);
    expect(c.sendInput({ walkX: 1000, walkZ: 0, jump: false })).toBe(true);
    stamped.set(c.lastSentSeq, tick);
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(c.lastSentSeq).toBe(12);
  await waitFor(() => c.lastInputSeq === 12, 5000, 'seq 12 acknowledged');
  let prev = 0;
  for (const s of infos) {
    expect(s.lastInputSeq).toBeLessThanOrEqual(s.sent);
    expect(s.lastInputSeq).toBeGreaterThanOrEqual(prev);
    if (s.lastInputSeq > 0) expect(s.lastInputTick).toBeLessThan(s.tick);
    prev = s.lastInputSeq;
  }
  // each input applied at its stamped tick, or later when it arrived after that tick closed
  const log = host.world.stream.log().filter((e) => e.type === 'in' && e.origin === me);
  expect(log.map((e) => Number(e.body.split(',')[3]))).toEqual([...stamped.keys()]);
  for (const e of log) expect(e.tick).toBeGreaterThanOrEqual(stamped.get(Number(e.body.split(',')[3])) as number);
  expect(c.rttMs).toBeLessThan(1000);
  c.close();
}, 20_000);
