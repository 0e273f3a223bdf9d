/**
 * Protocol 4's input rule (src/net/inputs.ts, docs/protocol.md section 18) over real sockets with
 * manual ticks: states report the recipient's last applied input seq and its tick; an input meant
 * for a future tick is applied exactly at that tick; a late one at the open tick; repeats are
 * ignored; one too far ahead is refused with INPUT_AHEAD to its sender only; and the log with
 * these inputs replays to the live hash at every tick.
 */
import { Host } from '../src/net/host';
import { ERROR } from '../src/protocol/errors';
import type { ServerMessage } from '../src/protocol/messages';
import { replayLog } from '../src/sim/replay';
import { RawClient, waitFor } from './helpers/net';
import { testWorld } from './helpers/world-setup';

type State = Extract<ServerMessage, { kind: 'snapshot' | 'delta' }>;

let host: Host;
let url: string;
const liveHash = new Map<number, bigint>();
const LEAD = 6;

beforeAll(async () => {
  host = await Host.start({
    port: 0,
    world: testWorld({ spheres: 0 }),
    manualTicks: true,
    maxInputLead: LEAD,
    maxPendingInputs: 4,
    onTick: (r) => liveHash.set(r.tick, r.hash),
  });
  url = `ws://127.0.0.1:${host.port}/ws`;
});
afterAll(async () => {
  await host.stop();
});

const states = (c: RawClient): State[] => c.messages.filter((m): m is State => m.kind === 'snapshot' || m.kind === 'delta');
const stateOf = (c: RawClient, tick: number): State | undefined => states(c).find((m) => m.tick === tick);

/** Runs n ticks; resolves when `c` has the state of the last. */
async function tick(c: RawClient, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) host.tickOnce();
  const want = host.world.stream.tick;
  await c.until(() => stateOf(c, want) !== undefined, 3000, `state ${want}`);
}

/** Sends a message and waits until the host has read it. */
async function send(c: RawClient, m: Parameters<RawClient['send']>[0]): Promise<void> {
  const before = host.statistics.messagesIn;
  c.send(m);
  await waitFor(() => host.statistics.messagesIn > before, 3000, 'the host read it');
}

const input = (seq: number, tick: number, walkX = 0): Parameters<RawClient['send']>[0] => ({
  kind: 'input',
  input: { seq, walkX, walkZ: 0, jump: false },
  tick,
});

/** The 'in' events of public id `p` in the log: [tick, seq]. */
const applied = (p: number): Array<[number, number]> =>
  host.world.stream
    .log()
    .filter((e) => e.type === 'in' && e.origin === p)
    .map((e) => [e.tick, Number(e.body.split(',')[3])]);

test('input rule: acknowledged seq and tick, future ticks exact, late to the open tick, repeats ignored, too far ahead refused; replay matches', async () => {
  const a = new RawClient(url),
    b = new RawClient(url);
  await Promise.all([a.opened, b.opened]);
  a.hello({ privateId: 'acker' });
  b.hello({ privateId: 'bystander' });
  await waitFor(() => a.of('welcome').length > 0 && b.of('welcome').length > 0, 3000, 'welcomes');
  await tick(a, 25); // avatars spawn and land
  const me = a.of('welcome')[0].publicId;
  const stream = host.world.stream;

  // seq 1..5, each for the open tick: state T acknowledges the inputs applied before T
  const sentAt = new Map<number, number>();
  for (let s = 1; s <= 5; s++) {
    sentAt.set(s, stream.tick);
    await send(a, input(s, stream.tick));
    await tick(a);
  }
  for (const m of states(a)) expect(m.inputSeq ?? 0).toBeLessThanOrEqual(5); // never beyond what was sent
  expect(applied(me)).toEqual([1, 2, 3, 4, 5].map((s) => [sentAt.get(s), s]));
  const after5 = stateOf(a, stream.tick) as State;
  expect(after5.inputSeq).toBe(5);
  expect(after5.inputTick).toBe(sentAt.get(5));
  // the acknowledged seq rises one per state: the state of tick T holds the input applied at T - 1
  for (let s = 1; s <= 5; s++) {
    expect(stateOf(a, (sentAt.get(s) as number) + 1)?.inputSeq).toBe(s);
    expect(stateOf(a, sentAt.get(s) as number)?.inputSeq ?? 0).toBe(s - 1);
  }

  // repeats and older seqs: ignored and counted, nothing logged
  const stale = host.statistics.inputsStale;
  await send(a, input(5, stream.tick, 1000));
  await send(a, input(2, stream.tick, 1000));
  await tick(a);
  expect(host.statistics.inputsStale).toBe(stale + 2);
  expect(applied(me).length).toBe(5);
  expect(stateOf(a, stream.tick)?.inputSeq).toBe(5);

  // a future tick within the bound: applied exactly there (the log and the avatar's motion)
  const o = stream.tick;
  const avatarSlot = Number((host.world.sim.avatars.get(me) as bigint) & 0xffffffffn);
  const vx = (t: number): number => ((stateOf(a, t) as State).bodies.find((x) => x.index === avatarSlot)?.vx ?? 0) / 256;
  await send(a, input(6, o + 3, 1000));
  await tick(a, 6);
  expect(applied(me).at(-1)).toEqual([o + 3, 6]);
  expect(stateOf(a, o + 3)?.inputSeq).toBe(5);
  expect(stateOf(a, o + 4)?.inputSeq).toBe(6);
  expect(stateOf(a, o + 4)?.inputTick).toBe(o + 3);
  expect(Math.abs(vx(o + 3))).toBeLessThan(0.05); // still standing the tick before
  expect(vx(o + 4)).toBeGreaterThan(0.5); // walking from the tick it was meant for
  expect(host.statistics.inputsDeferred).toBeGreaterThanOrEqual(1);

  // too late (its tick closed): applied at the open tick
  const late = host.statistics.inputsLate,
    o2 = stream.tick;
  await send(a, input(7, o2 - 4, 0));
  await tick(a);
  expect(applied(me).at(-1)).toEqual([o2, 7]);
  expect(host.statistics.inputsLate).toBe(late + 1);

  // too far ahead: INPUT_AHEAD to the sender only, its seq not used up
  const o3 = stream.tick;
  const bErrors = b.of('error').length;
  await send(a, input(8, o3 + LEAD + 1, 0));
  await a.until(() => a.of('error').some((e) => e.code === ERROR.INPUT_AHEAD), 3000, 'INPUT_AHEAD');
  await send(a, input(8, o3 + LEAD, 0)); // at the bound: accepted
  await tick(a, LEAD + 1);
  expect(applied(me).at(-1)).toEqual([o3 + LEAD, 8]);
  expect(b.of('error').length).toBe(bErrors);
  expect(host.statistics.inputsAhead).toBe(1);

  // a later seq is never applied before an earlier one: seq 10 meant for now waits for seq 9's tick
  const o4 = stream.tick;
  await send(a, input(9, o4 + 2, 300));
  await send(a, input(10, o4, -300));
  await tick(a, 3);
  expect(applied(me).slice(-2)).toEqual([
    [o4 + 2, 9],
    [o4 + 2, 10],
  ]);
  expect(stateOf(a, o4 + 3)?.inputSeq).toBe(10);
  expect(b.of('error').length).toBe(bErrors);

  // at most maxPendingInputs (4) waiting: the fifth is refused, the four are applied at their tick
  const o5 = stream.tick,
    aheadErrors = a.of('error').filter((e) => e.code === ERROR.INPUT_AHEAD).length;
  for (let s = 11; s <= 15; s++) await send(a, input(s, o5 + 2, 0));
  await a.until(() => a.of('error').filter((e) => e.code === ERROR.INPUT_AHEAD).length === aheadErrors + 1, 3000, 'queue full');
  expect(host.statistics.inputsQueueFull).toBe(1);
  await tick(a, 3);
  expect(applied(me).slice(-4)).toEqual([11, 12, 13, 14].map((s) => [o5 + 2, s]));
  expect(stateOf(a, o5 + 3)?.inputSeq).toBe(14);
  expect(b.of('error').length).toBe(bErrors);

  // the log replays to the live hash at every tick
  const ticks = stream.tick;
  let compared = 0;
  await replayLog(testWorld({ spheres: 0 }), stream.log(), ticks, (r) => {
    const live = liveHash.get(r.tick);
    if (live === undefined) return;
    expect(r.hash).toBe(live);
    compared++;
  });
  expect(compared).toBe(ticks);
  a.close();
  b.close();
}, 30_000);
