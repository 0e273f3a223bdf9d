/**
 * Object scripts through a real host (issue 21), the parts a client reaches besides the world
 * stream: GET /objects/<slot:gen>/script serves an object's script as source (version, author,
 * tick) to any authenticated client, 404 NO_SCRIPT for a body without one, 404 NOT_FOUND for a
 * body not in the world, 401 without a token (guests off); and the per-kind rate limits of 'sa',
 * 'sr', 'sm' (HostOptions.scriptRateLimits): a client flooding 'sa' is refused
 * SCRIPT_RATE_LIMITED and counted in tessera_script_rate_limited_total{kind="sa"}, while its own
 * 'sm' and another client's 'sa' go through.
 */
import { Host } from '../src/net/host';
import { HostMetrics } from '../src/net/metrics';
import { AccountService } from '../src/persist/accounts';
import { SqliteStore } from '../src/persist/sqlite-store';
import { ERROR } from '../src/protocol/errors';
import { ScriptEngine } from '../src/script/engine';
import { encodeHandle } from '../src/sim/event-bodies';
import { hostUsers } from './helpers/host-users';
import { request } from './helpers/net';
import { SCOREBOARD, DOOR } from './helpers/scripts';
import { testWorld } from './helpers/world-setup';

test('GET /objects/<id>/script serves the source to a client that sees the object; per-kind limits refuse an sa flood only', async () => {
  const store = SqliteStore.open(':memory:');
  const accounts = new AccountService(store, { scrypt: { N: 2 ** 10, r: 8, p: 1, keylen: 64 }, guests: false });
  const engine = await ScriptEngine.create(0);
  const metrics = new HostMetrics();
  const host = await Host.start({
    port: 0,
    guests: false,
    world: { ...testWorld({ spheres: 3 }), scripts: { engine } },
    accounts,
    avatars: store,
    records: store,
    worldLoop: { persist: { store } },
    scriptRateLimits: { sa: { perSecond: 1, burst: 2 } },
    metrics: () => metrics.text(),
  });
  metrics.attach(host);
  const http = `http://127.0.0.1:${host.port}`;
  const users = hostUsers(host, accounts, store);
  const { token, join } = users;
  try {
    const rootToken = await token('root', 'admin'),
      patToken = await token('pat', 'player');
    const admin = await join(rootToken, 'root-1');
    const other = await join(await token('ann', 'admin'), 'ann-1');
    await users.avatars(2); // their '_id' events are applied
    await users.resting(); // (a scoreboard counts touches: the pile has landed)
    const balls = users.bodies();
    expect(balls.length).toBe(3);
    const [o, o2, o3] = balls.map(encodeHandle);
    const get = (id: string, t?: string) => request('GET', `${http}/objects/${encodeURIComponent(id)}/script`, '', t ? { authorization: `Bearer ${t}` } : {});

    // a body without a script, then attached: the player (not its master) reads the source
    let r = await get(o, patToken);
    expect([r.status, r.json.error.name]).toEqual([404, 'NO_SCRIPT']);
    admin.send({ kind: 'publish', type: 'sa', body: JSON.stringify({ o, src: SCOREBOARD }) });
    await admin.until(() => admin.of('adminResult').some((m) => m.command === 'script.attach' && m.ok), 3000, 'attached');
    const attachTick = host.world.sim.scripts?.info(balls[0])?.tick as number;
    expect(attachTick).toBeGreaterThan(0);
    r = await get(o, patToken);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      object: o,
      version: 1,
      tick: attachTick,
      by: store.currentScript('world', o)?.byPrincipal,
      admin: true,
      suspended: null,
      source: SCOREBOARD,
    });
    expect(r.json.by).toBeGreaterThan(0);
    expect(r.json.tick).toBe(store.currentScript('world', o)?.tick);
    // refused: no token (guests off), a bad id, an object not in the world
    r = await get(o);
    expect([r.status, r.json.error.code]).toEqual([401, ERROR.UNAUTHENTICATED]);
    expect(r.json.source).toBeUndefined();
    r = await get(o, 'not-a-token');
    expect(r.status).toBe(401);
    r = await get('seven', patToken);
    expect([r.status, r.json.error.code]).toEqual([400, ERROR.BAD_VALUE]);
    r = await request('GET', `${http}/objects/%E0%A4%A/script`, '', { authorization: `Bearer ${patToken}` });
    expect([r.status, r.json.error.code]).toEqual([400, ERROR.BAD_VALUE]);
    r = await get('999:0', patToken);
    expect([r.status, r.json.error.code]).toEqual([404, ERROR.NOT_FOUND]);

    // a flood of sa from the admin: 2 (the burst, one already spent above: 1 more) go through, the rest SCRIPT_RATE_LIMITED
    for (let i = 0; i < 6; i++) admin.send({ kind: 'publish', type: 'sa', body: JSON.stringify({ o: o2, src: i % 2 ? DOOR : SCOREBOARD }) });
    await admin.until(() => admin.of('error').some((e) => e.code === ERROR.SCRIPT_RATE_LIMITED), 3000, 'the flood is refused');
    expect(admin.of('error').find((e) => e.code === ERROR.SCRIPT_RATE_LIMITED)?.message).toMatch(/too many sa events/);
    // the same client's sm (its own bucket) and another client's sa are not affected
    admin.send({ kind: 'publish', type: 'sm', body: JSON.stringify({ o, t: 'score' }) });
    await admin.until(() => admin.of('chat').some((m) => m.to === o && m.text === 'hits: 0'), 3000, 'sm still answered');
    other.send({ kind: 'publish', type: 'sa', body: JSON.stringify({ o: o3, src: DOOR }) });
    await other.until(() => other.of('adminResult').some((m) => m.command === 'script.attach' && m.ok), 3000, "another client's attach");
    await new Promise((res) => setTimeout(res, 200));
    expect(host.world.sim.scripts?.info(balls[1])?.version).toBe(1); // one of the six got through
    expect(host.scriptRateLimited).toEqual({ sa: 5, sr: 0, sm: 0 });
    expect(admin.of('error').every((e) => e.code === ERROR.SCRIPT_RATE_LIMITED)).toBe(true);
    const m = await request('GET', `${http}/metrics`);
    expect(m.json).toMatch(/^tessera_script_rate_limited_total\{kind="sa"\} 5$/m);
    // the JSON endpoint has no per-kind buckets: it refuses script events
    const j = await request('POST', `${http}/world/j-1/0`, JSON.stringify({ events: [{ type: 'sa', body: JSON.stringify({ o, src: '' }) }] }), {
      authorization: `Bearer ${patToken}`,
    });
    expect([j.status, j.json.error.code]).toEqual([403, ERROR.NOT_ALLOWED]);
  } finally {
    users.close();
    await host.stop();
    store.close();
  }
});
