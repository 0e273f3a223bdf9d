/**
 * A join the full world refuses reaches its client (issue 15, the host's part of "a full world
 * refuses the spawn or join with a code"): the sim refuses the '_c' with ERROR.FULL, and the host
 * sends that client the error ("the world is full") and closes it with 4013 FULL, instead of
 * leaving it connected without an avatar. Over real sockets, manual ticks.
 */
import { Host } from '../src/net/host';
import { CLOSE, ERROR } from '../src/protocol/errors';
import { RawClient } from './helpers/net';
import { testWorld } from './helpers/world-setup';
import { CLOSED_BOX_STATICS } from './helpers/scenes';

test('the joiner the full world refuses gets FULL "the world is full" and close 4013; the one who fit stays', async () => {
  const host = await Host.start({ port: 0, world: testWorld({ spheres: 0, capacity: CLOSED_BOX_STATICS + 1 }), manualTicks: true });
  try {
    const url = `ws://127.0.0.1:${host.port}/ws`;
    const join = async (privateId: string): Promise<RawClient> => {
      const c = new RawClient(url);
      expect(await c.opened).toBe(true);
      c.hello({ privateId });
      await c.until(() => c.of('welcome').length > 0, 5000, 'welcome');
      return c;
    };
    const a = await join('first');
    host.tickOnce();
    expect(host.world.sim.avatars.size).toBe(1);
    const b = await join('second');
    const bId = b.of('welcome')[0].publicId;
    host.tickOnce(); // the sim refuses b's '_c': no slot for its avatar
    await b.until(() => b.closed !== null, 4000, 'the refused joiner closed');
    expect(b.closed?.code).toBe(CLOSE.FULL);
    expect(b.of('error').at(-1)).toMatchObject({ code: ERROR.FULL, message: 'the world is full' });
    expect(host.world.stream.isConnected(bId)).toBe(false);
    host.tickOnce();
    expect(a.closed).toBeNull();
    expect(host.world.sim.avatars.size).toBe(1);
    a.close();
    await a.done;
  } finally {
    await host.stop();
  }
});
