/**
 * Lag-compensated raycasts (protocol 4, src/net/lag.ts) over a real socket with manual ticks: a
 * ray cast "as the shooter saw the world at tick t" hits a moving body where it was at t, not
 * where it is now (a sphere, and a box turned 45 degrees, whose turned corner is hit where the
 * unturned box would not be); a tick outside the lagTicks window and a zero direction are refused
 * with codes. Analytic distances: the sphere's surface at 5 m - r along the ray, the box's top
 * face 0.25 m above its centre.
 */
import { Host } from '../src/net/host';
import { ERROR } from '../src/protocol/errors';
import type { ServerMessage } from '../src/protocol/messages';
import type { WorldSetup } from '../src/sim/main-sim';
import { RawClient, waitFor } from './helpers/net';
import { addClosedBox } from './helpers/scenes';

type Reply = Extract<ServerMessage, { kind: 'lagRaycast' }>;
const WINDOW = 16;
const R = 0.3;
let sphere = 0n,
  box = 0n;

const world: WorldSetup = {
  config: { capacity: 256, tickRate: 20, maxBodyRadius: 2, sleep: { enabled: true } },
  scene: (w) => {
    addClosedBox(w, 24, 12);
    sphere = w.addSphere({ position: [-12, 2, 0], velocity: [3, 0, 0], radius: R, kind: 'kinematic', noSleep: true });
    const s = Math.sin(Math.PI / 8),
      c = Math.cos(Math.PI / 8);
    box = w.addDynamicBox({ position: [4, 3, -8], velocity: [0, 0, 2], half: [1, 0.25, 0.1], orientation: [0, s, 0, c], gravityScale: 0, noSleep: true });
  },
  spawnPoints: [[10, 1.2, 10]],
};

let host: Host;
let c: RawClient;

beforeAll(async () => {
  host = await Host.start({ port: 0, world, manualTicks: true, lagTicks: WINDOW });
  c = new RawClient(`ws://127.0.0.1:${host.port}/ws`);
  await c.opened;
  c.hello({ privateId: 'shooter' });
  await waitFor(() => c.of('welcome').length > 0, 3000, 'welcome');
});
afterAll(async () => {
  c.close();
  await host.stop();
});

/** The position (m) of body `h` in the host's current table (the state of the open tick). */
function position(h: bigint): [number, number, number] {
  const t = host.world.table,
    r = host.world.rowOfSlot[Number(h & 0xffffffffn)];
  return [t.px[r] / 1024, t.py[r] / 1024, t.pz[r] / 1024];
}

let nonce = 0;
/** Casts through the client's socket; resolves with the host's reply. */
async function cast(tick: number, origin: number[], direction: number[], length: number): Promise<Reply> {
  const n = ++nonce;
  const raw = (m: number): bigint => BigInt(Math.round(m * 65536));
  c.send({
    kind: 'lagRaycast',
    nonce: n,
    tick,
    origin: [raw(origin[0]), raw(origin[1]), raw(origin[2])],
    direction: [raw(direction[0]), raw(direction[1]), raw(direction[2])],
    length: raw(length),
  });
  await c.until(() => c.of('lagRaycast').some((m) => m.nonce === n), 3000, `reply ${n}`);
  return c.of('lagRaycast').find((m) => m.nonce === n) as Reply;
}

const slotOf = (h: bigint): number => Number(h & 0xffffffffn);
const m = (raw: bigint): number => Number(raw) / 65536;

test('a ray at tick t hits the sphere and the turned box where they were at t, not where they are now; t outside the window is refused', async () => {
  for (let i = 0; i < 20; i++) host.tickOnce();
  const t1 = host.world.stream.tick;
  const s1 = position(sphere),
    b1 = position(box);
  for (let i = 0; i < 10; i++) host.tickOnce();
  const now = host.world.stream.tick;
  const sNow = position(sphere),
    bNow = position(box);
  expect(sNow[0] - s1[0]).toBeCloseTo(1.5, 1); // 3 m/s for 10 ticks at 20 Hz: moved 5 radii
  expect(bNow[2] - b1[2]).toBeCloseTo(1, 1);

  // the sphere, shot along +z from 5 m away through where it was at t1
  const shot = await cast(t1, [s1[0], s1[1], s1[2] - 5], [0, 0, 1], 10);
  expect(shot).toMatchObject({ code: 0, tick: t1, hit: true, body: { index: slotOf(sphere) } });
  expect(m(shot.distance)).toBeCloseTo(5 - R, 2);
  expect(m(shot.point[2])).toBeCloseTo(s1[2] - R, 2);
  // the same ray against the present: the sphere has moved on
  const present = await cast(now, [s1[0], s1[1], s1[2] - 5], [0, 0, 1], 10);
  expect(present.code).toBe(0);
  expect(present.hit && present.body.index === slotOf(sphere)).toBe(false);
  // and against the present where it is now: hit
  expect(await cast(now, [sNow[0], sNow[1], sNow[2] - 5], [0, 0, 1], 10)).toMatchObject({ hit: true, body: { index: slotOf(sphere) } });

  // the box turned 45 degrees about y: its local point (0.8, 0, 0) is at (0.566, 0, -0.566) from
  // its centre, outside the unturned box (|z| <= 0.1); shot straight down from 5 m above
  const k = 0.8 * Math.SQRT1_2;
  const down = await cast(t1, [b1[0] + k, b1[1] + 5, b1[2] - k], [0, -1, 0], 10);
  expect(down).toMatchObject({ code: 0, hit: true, body: { index: slotOf(box) } });
  expect(m(down.distance)).toBeCloseTo(5 - 0.25, 2);
  const downNow = await cast(now, [b1[0] + k, b1[1] + 5, b1[2] - k], [0, -1, 0], 10);
  expect(downNow.hit && downNow.body.index === slotOf(box)).toBe(false);
  // beside the turned corner (the unturned box's corner): a miss at t1
  const beside = await cast(t1, [b1[0] + 0.9, b1[1] + 5, b1[2] + 0.09], [0, -1, 0], 10);
  expect(beside.hit && beside.body.index === slotOf(box)).toBe(false);

  // the window: the last WINDOW states; older, future, and a zero direction are refused
  expect((await cast(now - WINDOW + 1, [0, 5, 0], [0, -1, 0], 1)).code).toBe(0);
  expect(await cast(now - WINDOW, [0, 5, 0], [0, -1, 0], 1)).toMatchObject({ code: ERROR.OUT_OF_WINDOW, hit: false });
  expect((await cast(now + 1, [0, 5, 0], [0, -1, 0], 1)).code).toBe(ERROR.OUT_OF_WINDOW);
  expect((await cast(now, [0, 5, 0], [0, 0, 0], 1)).code).toBe(ERROR.BAD_VALUE);
  expect(host.statistics.lagOutOfWindow).toBe(2);
  expect(host.statistics.lagHistoryBytes).toBeGreaterThan(0);
  // bounded: WINDOW frames of 14 Int32 columns, as long as the most bodies seen (here under 16, the least a frame holds)
  expect(host.world.table.count).toBeLessThan(16);
  expect(host.statistics.lagHistoryBytes).toBe(WINDOW * 16 * 14 * 4);
});
