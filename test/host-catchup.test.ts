/**
 * A late joiner over a real WebSocket learns who is who (issue 15): when its catch-up is the
 * '_s' snapshot (the log before it trimmed), the snapshot's body names every present player's
 * '_id' and the current '_ta'. Manual ticks, loopback.
 */
import { Host } from '../src/net/host';
import { RawClient } from './helpers/net';
import { testWorld } from './helpers/world-setup';

test("a client joining after the snapshot receives the present players' _id and the _ta in the _s body", async () => {
  const now = { t: 1_000_000 };
  const host = await Host.start({
    port: 0,
    world: testWorld({ spheres: 0 }),
    manualTicks: true,
    clock: () => now.t,
    worldLoop: { snapshotEvery: 10, retainTicks: 10 },
    authenticate: (t) =>
      t === 'mod' ? { account: 'mod', guest: false, accountId: 7, role: 'moderator' } : t === 'guest' ? { account: 'guest', guest: true } : null,
  });
  const url = `ws://127.0.0.1:${host.port}/ws`;
  const early = new RawClient(url),
    late = new RawClient(url);
  try {
    await early.opened;
    early.hello({ token: 'mod', privateId: 'early' });
    await early.until(() => early.of('welcome').length > 0, 5000, 'welcome');
    const modId = early.of('welcome')[0].publicId;
    host.world.stream.publishServer('_ta', '7'); // what the host publishes when the rule picks account 7
    for (let k = 0; k < 35; k++) host.tickOnce(); // snapshots at 10, 20, 30; the log before 20 is trimmed
    await late.opened;
    late.hello({ token: 'guest', privateId: 'late', lastKnownTick: 0 });
    await late.until(() => late.of('events').length > 0, 5000, 'catch-up');
    const first = late.of('events')[0].events[0];
    expect(first.type).toBe('_s');
    const s = JSON.parse(first.body) as { ids?: string[]; ta?: string };
    expect(s.ta).toBe('7');
    expect(s.ids).toEqual([`${modId},moderator`]); // redacted like '_id': no account id for clients
  } finally {
    early.close();
    late.close();
    await host.stop();
  }
});
