/**
 * Client prediction (issue 20, first acceptance test): a host with a closed box and one client, 75
 * ms of delay each way between them (150 ms round trip: every message in both directions waits 75
 * ms inside the client's socket), 50 Hz. The client walks (direction changes every 40 inputs),
 * jumps, and throws a sphere ahead of it every 150 inputs (`spawn`), for PREDICT_TICKS ticks (default 1,000) with one input per tick, and a Predictor
 * (src/client/predict.ts: the unshared core with the same statics, the avatar and the bodies within
 * 8 m of it: hello.predictRadius, so the thrown spheres once a state shows them) predicts its
 * avatar. For every tick whose raw avatar record the host sends (hello.predict), the record the
 * client had predicted for that tick is the server's bit for bit: zero corrections.
 * A second predictor fed the same messages but applying each input one tick later than stamped
 * (a deliberate bug) is corrected many times, so the comparison can fail. The same again on a
 * four-shard host (PREDICT_SHARDED_TICKS, default 300) whose cuts the avatar crosses; and the
 * records reach only the clients that asked for them.
 */
import WebSocket from 'ws';
import { type BaseSocket, laggedSocket } from '../src/client/lag-socket';
import { Host } from '../src/net/host';
import { createNodeClient, type SocketFactory } from '../src/client/node';
import { Predictor } from '../src/client/predict';
import type { WorldSetup } from '../src/sim/main-sim';
import { BODY_RECORD_BYTES, type WorldConfig } from '../src/physics/world';
import type { Partition } from '../src/physics/sharded';
import { RawClient, waitFor } from './helpers/net';
import { addClosedBox } from './helpers/scenes';

const TICKS = Number(process.env.PREDICT_TICKS ?? 1000);
const SHARDED_TICKS = Number(process.env.PREDICT_SHARDED_TICKS ?? 300);
const RATE = 50;
const ONE_WAY_MS = 75;

const config: WorldConfig = { capacity: 64, tickRate: RATE, maxBodyRadius: 1, sleep: { enabled: true } };
const setup: WorldSetup = { config, scene: (w) => addClosedBox(w, 24, 12), spawnPoints: [[0, 1.2, 0]] };

/** A `ws` socket whose messages wait `delayMs` in each direction (src/client/lag-socket.ts). */
const delayedSocket = (delayMs: number): SocketFactory =>
  laggedSocket(delayMs, WebSocket as unknown as new (url: string, protocols?: string | string[]) => BaseSocket);

/**
 * Starts a host (the world of `setup` with `partition`), predicts a walking and jumping client for
 * `ticks` ticks through the delayed socket, and checks the outcome (module comment).
 */
async function predictRun(ticks: number, partition?: Partition): Promise<{ maxX: number; maxZ: number }> {
  // one input per tick at 50 Hz is above the default input budget (40/s): a dropped input would be a
  // (correct) misprediction, so the budget is raised to the tick rate and more
  const host = await Host.start({ port: 0, tickRate: RATE, world: { ...setup, partition }, rateLimits: { input: { perSecond: 60, burst: 120 } } });
  try {
    return await predictOn(host, ticks);
  } finally {
    await host.stop();
  }
}

async function predictOn(host: Host, TICKS: number): Promise<{ maxX: number; maxZ: number }> {
  const statics = (w: Parameters<typeof addClosedBox>[0]) => addClosedBox(w, 24, 12);
  const good = new Predictor({ config, statics, nearby: true });
  const late = new Predictor({ config, statics });
  const results = { exact: 0, wrong: 0, none: 0 };
  const wrongTicks: number[] = [];
  const c = createNodeClient(
    {
      url: `ws://127.0.0.1:${host.port}/ws`,
      token: 'guest',
      privateId: 'predictor',
      pingEveryMs: 200,
      predict: true,
      predictRadiusM: 8,
      WebSocket: delayedSocket(ONE_WAY_MS),
    },
    {
      onMessage: (m) => {
        good.onMessage(m);
        late.onMessage(m);
      },
      onState: (_m, info) => {
        const r = good.onState(info);
        if (r === true) results.exact++;
        else if (r === false) {
          results.wrong++;
          wrongTicks.push(info.tick);
        } else results.none++;
        late.onState(info);
      },
    },
  );
  await c.connect();
  // the first record (the avatar spawned) and a round-trip estimate through the delayed socket
  await waitFor(() => good.body !== null && c.rttMs !== null, 10_000, 'an avatar record and a round trip');
  // (the delay is on the path; a Node timer may fire up to about a millisecond before its time
  // by performance.now(), so each way may measure a hair under ONE_WAY_MS: CI saw 149.89 ms)
  expect(c.rttMs).toBeGreaterThanOrEqual(2 * ONE_WAY_MS - 2);
  const lateBefore = host.statistics.inputsLate;
  const startTick = c.lastState.tick;
  const dirs: Array<[number, number]> = [
    [1000, 0],
    [0, 1000],
    [-1000, 0],
    [707, -707],
    [0, 0],
    [-500, 1000],
    [0, -1000],
  ];
  let i = 0,
    stamped = 0,
    maxY = -Infinity;
  let minY = Infinity;
  const stampedOf = new Map<number, number>();
  let maxZ = -Infinity;
  let minX = Infinity,
    maxX = -Infinity;
  let throws = 0,
    mostNearby = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (c.lastState.tick - startTick >= TICKS) {
        clearInterval(timer);
        resolve();
        return;
      }
      const [walkX, walkZ] = dirs[Math.floor(i / 40) % dirs.length];
      const frame = { walkX, walkZ, jump: i % 40 === 15 || i % 40 === 33 };
      // aim 4 ticks (80 ms) past the estimate (host timers and this one jitter on a loaded machine,
      // CI included): the host waits for the tick (deferred), never applies it late
      const tick = Math.max(c.intendedTick() + 4, stamped);
      stamped = tick;
      expect(c.sendInput(frame, tick)).toBe(true);
      stampedOf.set(c.lastSentSeq, tick);
      good.input(c.lastSentSeq, tick, frame);
      late.input(c.lastSentSeq, tick + 1, frame); // the deliberate bug
      good.advanceTo(tick + 1);
      late.advanceTo(tick + 1);
      const p = good.positionAt();
      if (p && i % 150 === 100) {
        // a sphere thrown from 1.5 m ahead of the predicted avatar, along its walk at 8 m/s and up
        const [dx, dz] = walkX === 0 && walkZ === 0 ? [1, 0] : [walkX / Math.hypot(walkX, walkZ), walkZ / Math.hypot(walkX, walkZ)];
        const raw = (x: number) => BigInt(Math.round(x * 65536));
        expect(c.spawn([raw(p[0] + 1.5 * dx), raw(p[1] + 0.5), raw(p[2] + 1.5 * dz)], [raw(8 * dx), raw(2), raw(8 * dz)])).toBe(true);
        throws++;
      }
      mostNearby = Math.max(mostNearby, good.nearbyHandles.length);
      if (p && i >= 25) {
        minY = Math.min(minY, p[1]);
        maxY = Math.max(maxY, p[1]);
        minX = Math.min(minX, p[0]);
        maxX = Math.max(maxX, p[0]);
        maxZ = Math.max(maxZ, p[2]);
      }
      i++;
    }, 1000 / RATE);
  });
  c.close();
  if (process.env.PREDICT_DEBUG)
    console.log(
      JSON.stringify({
        results,
        rttMs: c.rttMs,
        present: good.present,
        state: c.lastState,
        steps: good.steps,
        lateBug: late.corrections,
        lateBugLast: late.lastCorrection,
      }),
    );
  // the premise: the host took every input, each at the tick it was stamped with (none dropped, none late)
  const applied = host.world.stream.log().filter((e) => e.type === 'in' && e.origin === c.publicId);
  // (up to the last input applied when the run stopped: the newest ones were still on the way or waiting for their tick)
  const pairs = applied.map((e) => [Number(e.body.split(',')[3]), e.tick]);
  const lastApplied = pairs[pairs.length - 1][0];
  expect(lastApplied).toBeGreaterThanOrEqual(c.lastInputSeq);
  expect(pairs).toEqual([...stampedOf].filter(([seq]) => seq <= lastApplied));
  // the throws reached the world (each an 'sp' of this client, none refused) and the predictor
  // took the spheres in once a state showed them
  const spawned = host.world.stream.log().filter((e) => e.type === 'sp' && e.origin === c.publicId);
  expect(throws).toBeGreaterThanOrEqual(Math.floor((TICKS - 100) / 150));
  expect(spawned.length).toBe(throws);
  // none refused: every sphere is in the world (a spawnLimit of 8 keeps them all), beside the 6 walls and the avatar
  expect(host.world.sim.world.handles().length).toBe(6 + 1 + throws);
  expect(mostNearby).toBeGreaterThanOrEqual(1);
  // every reported tick after the first record was predicted, and exactly
  expect({ wrong: results.wrong, wrongTicks: wrongTicks.slice(0, 5) }).toEqual({ wrong: 0, wrongTicks: [] });
  expect(good.corrections).toBe(0);
  expect(results.exact).toBeGreaterThanOrEqual(TICKS * 0.9);
  expect(host.statistics.inputsLate).toBe(lateBefore);
  // it walked and jumped (the prediction is not of a body at rest)
  expect(maxX - minX).toBeGreaterThan(2);
  expect(maxY).toBeGreaterThan(minY + 0.3);
  // the predictor ran ahead of the states: the present was about a round trip past the newest state
  expect(good.present - c.lastState.tick).toBeGreaterThanOrEqual(Math.floor((2 * ONE_WAY_MS * RATE) / 1000));
  // the deliberate bug is caught: corrections, of a visible size
  expect(late.corrections).toBeGreaterThan(TICKS / 50);
  expect(late.lastCorrection).toBeGreaterThan(0);
  return { maxX, maxZ };
}

test(`with 150 ms round trip, the predicted avatar equals the server's bit for bit at every reported tick (${TICKS} ticks of walking, jumping and throwing); inputs applied a tick late are corrected`, async () => {
  await predictRun(TICKS);
}, 60_000);

test('the same on four shards (cuts at x = 1 m and z = 1 m, which the avatar crosses): the unsharded client core predicts the sharded server exactly', async () => {
  const { maxX, maxZ } = await predictRun(SHARDED_TICKS, { xCuts: [1], zCuts: [1] });
  // it started at (0, 0) in the shard x < 1, z < 1 and went past both cuts
  expect(maxX).toBeGreaterThan(1.5);
  expect(maxZ).toBeGreaterThan(1.5);
}, 30_000);

test('avatar records go only to clients that asked (hello.predict), one per state, of the state tick and the avatar', async () => {
  const host = await Host.start({ port: 0, tickRate: RATE, world: setup });
  try {
    const plain = new RawClient(`ws://127.0.0.1:${host.port}/ws`),
      asking = new RawClient(`ws://127.0.0.1:${host.port}/ws`);
    await Promise.all([plain.opened, asking.opened]);
    plain.hello();
    asking.hello({ predict: true });
    await asking.until(() => asking.of('avatarRecord').length >= 10 && plain.of('delta').length + plain.of('snapshot').length >= 10, 5000, 'ten states each');
    expect(plain.of('avatarRecord')).toEqual([]);
    const me = asking.of('welcome')[0].publicId;
    const avatar = host.world.sim.avatars.get(me) as bigint;
    const states = new Set([...asking.of('snapshot'), ...asking.of('delta')].map((m) => m.tick));
    for (const r of asking.of('avatarRecord')) {
      expect(r.body).toEqual({ index: Number(avatar & 0xffffffffn), generation: Number(avatar >> 32n) });
      expect(r.record.byteLength).toBe(BODY_RECORD_BYTES);
      expect(new DataView(r.record.buffer, r.record.byteOffset).getUint32(0, true)).toBe(r.body.generation);
    }
    // each record's tick is a state's tick the same client got (the last one's state may still be on its way)
    const ticks = asking.of('avatarRecord').map((r) => r.tick);
    for (const t of ticks.slice(0, -1)) expect(states.has(t)).toBe(true);
    expect(new Set(ticks).size).toBe(ticks.length);
    plain.ws.close();
    asking.ws.close();
  } finally {
    await host.stop();
  }
}, 20_000);
