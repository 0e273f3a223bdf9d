/**
 * Prometheus metrics of the host (src/net/metrics.ts, issue 15): every `_total` is a Counter
 * (TYPE counter, only ever rising by what its source counted), shard recoveries included. The
 * host is a stand-in object carrying the figures HostMetrics reads.
 */
import { HostMetrics } from '../src/net/metrics';
import type { Host } from '../src/net/host';
import { SecurityLog } from '../src/net/security-log';

function fakeHost() {
  const statistics = { messagesIn: 0, messagesOut: 0, bytesOut: 0, rateLimited: 0, droppedSlow: 0, droppedIdle: 0, quietTicks: 0 };
  const world = { handoffs: 0, recoveries: 0, counts: () => [{ owned: 3, ghosts: 1 }], overflowTicks: { contacts: 0, touch: 0, events: 0, scratch: 0 } };
  const interest = { jointsLeftOut: 0, budgetMessages: 0, budgetBytes: 0, budgetBytesSent: 0, budgetDeferred: 0, budgetNearDeferred: 0, budgetOwn: 0 };
  const host = { world: { stream: { tick: 7 }, sim: { world }, interest }, clientCount: 2, statistics };
  return { host, statistics, world, interest };
}

const value = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

test('every _total metric is a Counter that rises by what its source counted', async () => {
  const m = new HostMetrics();
  const { host, statistics, world, interest } = fakeHost();
  m.attach(host as unknown as Host);
  statistics.messagesIn = 10;
  statistics.droppedSlow = 1;
  world.handoffs = 4;
  world.recoveries = 1;
  interest.jointsLeftOut = 2;
  interest.budgetBytesSent = 700;
  interest.budgetDeferred = 5;
  const first = (await m.text()).body;
  // the host's own (prom-client's default nodejs_active_resources_total is a count of live handles, a gauge by its design)
  const totals = [...first.matchAll(/^# TYPE (tessera_\S+_total) (\w+)$/gm)]
    .map(([, name, type]) => [name, type])
    .filter(([n]) => !/^tessera_(nodejs|process)_/.test(n));
  // 9 (joints left out of views included), the bounds: faults, joins/streams refused, streams/clients
  // forgotten; inputs and lag compensation (7); the byte budget (6: messages, budget bytes, bytes sent, deferred, near deferred, own encodes);
  // object-script events dropped by their per-kind limits (1, by kind); quiet ticks (1); physics
  // overflow ticks (1, by kind)
  expect(totals.length).toBe(30);
  for (const [name, type] of totals) expect({ name, type }).toEqual({ name, type: 'counter' });
  expect(totals.map(([n]) => n)).toEqual(
    expect.arrayContaining(['tessera_messages_in_total', 'tessera_shard_recoveries_total', 'tessera_dropped_clients_total']),
  );
  expect(value(first, 'tessera_messages_in_total')).toBe(10);
  expect(value(first, 'tessera_shard_recoveries_total')).toBe(1);
  statistics.messagesIn = 25;
  statistics.droppedIdle = 2;
  world.recoveries = 3;
  statistics.quietTicks = 12;
  world.overflowTicks.contacts = 3;
  const second = (await m.text()).body;
  expect(value(second, 'tessera_messages_in_total')).toBe(25);
  expect(value(second, 'tessera_dropped_clients_total')).toBe(3);
  expect(value(second, 'tessera_shard_recoveries_total')).toBe(3);
  expect(value(second, 'tessera_handoffs_total')).toBe(4);
  expect(value(second, 'tessera_interest_joints_left_out_total')).toBe(2);
  expect(value(second, 'tessera_interest_budget_sent_bytes_total')).toBe(700);
  expect(value(second, 'tessera_interest_budget_deferred_total')).toBe(5);
  expect(value(second, 'tessera_quiet_ticks_total')).toBe(12);
  // by kind: each shows from the start, at 0 until it happens
  expect(value(first, 'tessera_physics_overflow_ticks_total\\{kind="contacts"\\}')).toBe(0);
  expect(value(second, 'tessera_physics_overflow_ticks_total\\{kind="contacts"\\}')).toBe(3);
  expect(value(second, 'tessera_physics_overflow_ticks_total\\{kind="events"\\}')).toBe(0);
  expect(second).toMatch(/^# TYPE tessera_clients gauge$/m);
});

test('security events are counted by kind (suppressed lines included); limit buckets are a gauge per limit', async () => {
  const m = new HostMetrics();
  const security = new SecurityLog({ warn: () => {} }, { perSecond: 1, clock: () => 0 });
  const accounts = { limiterSizes: () => ({ perAddress: 3, loginGlobal: 1 }) };
  m.attach(fakeHost().host as unknown as Host, { security, accounts: accounts as never });
  for (let i = 0; i < 4; i++) security.event('malformed', { code: 1000 });
  security.event('kick', { code: 4011 });
  let text = (await m.text()).body;
  expect(text).toMatch(/^# TYPE tessera_security_events_total counter$/m);
  expect(text).toMatch(/^tessera_security_events_total\{kind="malformed"\} 4$/m);
  expect(text).toMatch(/^tessera_security_events_total\{kind="kick"\} 1$/m);
  security.event('malformed', { code: 1000 });
  text = (await m.text()).body;
  expect(text).toMatch(/^tessera_security_events_total\{kind="malformed"\} 5$/m);
  expect(text).toMatch(/^tessera_auth_limit_buckets\{limit="perAddress"\} 3$/m);
});
