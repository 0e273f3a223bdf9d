/**
 * Object scripts through a real host (issue 21): a client attaches a script with the ordinary
 * `publish` message on the world stream (event 'sa'), as docs/protocol.md section 20 says. An
 * admin's attach is answered with adminResult script.attach and recorded (audit row and the
 * scripts table); a player who is not the master is refused NOT_ALLOWED; the attached scoreboard
 * answers a chat line ('sm') with a world chat line from the object.
 */
import { Host } from '../src/net/host';
import { SqliteStore } from '../src/persist/sqlite-store';
import { AccountService } from '../src/persist/accounts';
import { ERROR } from '../src/protocol/errors';
import { ScriptEngine } from '../src/script/engine';
import { encodeHandle } from '../src/sim/event-bodies';
import { hostUsers } from './helpers/host-users';
import { SCOREBOARD } from './helpers/scripts';
import { testWorld } from './helpers/world-setup';

test('a client attaches a script with publish; a non-master is refused; the script answers chat', async () => {
  const store = SqliteStore.open(':memory:');
  const accounts = new AccountService(store, { scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 64 } });
  const engine = await ScriptEngine.create(0);
  const host = await Host.start({
    port: 0,
    world: { ...testWorld({ spheres: 3 }), scripts: { engine } },
    accounts,
    avatars: store,
    records: store,
    worldLoop: { persist: { store } },
  });
  const users = hostUsers(host, accounts, store);
  const { token, join } = users;
  try {
    const admin = await join(await token('root', 'admin'), 'root-1');
    const player = await join(await token('pat', 'player'), 'pat-1');
    await users.avatars(2); // their '_id' events are applied
    await users.resting(); // (a scoreboard counts touches: the pile has landed)
    const ball = users.bodies()[0];
    const o = encodeHandle(ball);

    player.send({ kind: 'publish', type: 'sa', body: JSON.stringify({ o, src: SCOREBOARD }) });
    await player.until(() => player.of('error').some((e) => e.code === ERROR.NOT_ALLOWED), 3000, 'the player is refused');
    expect(host.world.sim.scripts?.info(ball)).toBeNull();

    admin.send({ kind: 'publish', type: 'sa', body: JSON.stringify({ o, src: SCOREBOARD }) });
    await admin.until(() => admin.of('adminResult').some((m) => m.command === 'script.attach' && m.ok), 3000, 'attached');
    expect(host.world.sim.scripts?.info(ball)?.version).toBe(1);
    expect(store.currentScript('world', o)).toMatchObject({ source: SCOREBOARD, version: 1, byAdmin: true });
    expect(store.adminRecords(10).some((r) => r.action === 'script.attach')).toBe(true);

    player.send({ kind: 'publish', type: 'sm', body: JSON.stringify({ o, t: 'score' }) });
    await player.until(() => player.of('chat').some((m) => m.to === o && m.text === 'hits: 0'), 3000, 'the scoreboard answers');
  } finally {
    users.close();
    await host.stop();
    store.close();
  }
});
