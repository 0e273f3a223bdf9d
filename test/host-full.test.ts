/**
 * Filling the world through the JSON endpoint (issue 15, as found: every new private id gets an
 * avatar) must not stop the host: the joins past the body capacity are refused (ERROR.FULL) in
 * the tick, the tick goes on, and the host keeps answering. Driven with manual ticks over real
 * HTTP on loopback.
 */
import { Host } from '../src/net/host';
import { post, request } from './helpers/net';
import { testWorld } from './helpers/world-setup';
import { CLOSED_BOX_STATICS } from './helpers/scenes';

test('joins past the capacity over the JSON endpoint are refused in the tick; the host keeps ticking and answering', async () => {
  const host = await Host.start({
    port: 0,
    world: testWorld({ spheres: 0, capacity: CLOSED_BOX_STATICS + 4 }),
    manualTicks: true,
    authenticate: (t) => (t === 'guest' ? { account: t, guest: true } : null),
  });
  try {
    const http = `http://127.0.0.1:${host.port}`;
    for (let i = 0; i < 8; i++) {
      const r = await post(`${http}/world/filler-${i}/0`, '{}');
      expect(r.status).toBe(200);
      host.tickOnce(); // threw PhysicsError FULL at the 5th avatar
    }
    expect(host.world.sim.avatars.size).toBe(4);
    const health = await request('GET', `${http}/healthz`);
    expect(health.status).toBe(200);
    expect(health.json.tick).toBe(8);
  } finally {
    await host.stop();
  }
});
