/**
 * Interest: snapshots and deltas against the acknowledged tick rebuild exactly the bodies of a
 * client's interest, whatever the acknowledgements lag and whichever messages are lost; a view
 * holds the bodies of its cells and no others; clients with one view and base share bytes.
 */
import { ShardedWorld } from '../src/physics/sharded';
import { createBodyTable } from '../src/physics/body-table';
import { InterestPublisher, applyToMirror, type Mirror } from '../src/sim/interest';
import type { ServerMessage } from '../src/protocol/messages';
import { mulberry32 } from './helpers/bigref';
import { buildRain, rainConfig } from './helpers/scenes';

type StateMsg = Extract<ServerMessage, { kind: 'snapshot' | 'delta' }>;

function rainWorld(n: number): { world: ShardedWorld; tick: () => void } {
  const world = new ShardedWorld(rainConfig(n, { tickRate: 20 }), { xCuts: [0], zCuts: [] });
  const rain = buildRain(world, n, 3);
  return { world, tick: () => { world.applyCommands(rain.commands()); world.step(); } };
}

describe('interest', () => {
  test('a view holds exactly the bodies whose cell is within its radius (planes always)', () => {
    const { world, tick } = rainWorld(400);
    for (let t = 0; t < 30; t++) tick();
    const table = world.readBodies(createBodyTable(world.capacity));
    const pub = new InterestPublisher({ cellSize: 4, maxCells: 3 });
    pub.update(table);
    const v = pub.createView(1.5, -2.5, 1);
    const msg = pub.messageFor(v).msg as StateMsg;
    expect(msg.kind).toBe('snapshot');
    const cq = 4 * 1024;
    const want = [];
    for (let r = 0; r < table.count; r++) {
      const inCells = Math.abs(Math.floor(table.px[r] / cq) - 0) <= 1 && Math.abs(Math.floor(table.pz[r] / cq) - -1) <= 1;
      if (table.shape[r] === 3 || inCells) want.push(table.index[r]);
    }
    expect(want.length).toBeGreaterThan(5);
    expect(want.length).toBeLessThan(table.count);
    expect(msg.bodies.map((b) => b.index)).toEqual(want);
    return world.close();
  });

  test('deltas against lagging acknowledgements with lost messages rebuild every tick exactly', () => {
    const { world, tick } = rainWorld(600);
    const pub = new InterestPublisher({ cellSize: 6, historyTicks: 16 });
    const table = createBodyTable(world.capacity);
    const rng = mulberry32(11);
    const frames = new Map<number, Mirror>();
    const v = pub.createView(0, 0, 1);
    let deltas = 0, snapshots = 0, checked = 0;
    const inFlight: Array<{ at: number; tick: number }> = [];
    for (let t = 0; t < 300; t++) {
      tick();
      pub.update(world.readBodies(table));
      if (t % 40 === 0) pub.setInterest(v, (rng() / 2 ** 32) * 20 - 10, (rng() / 2 ** 32) * 20 - 10, 1 + (t % 3));
      const { msg } = pub.messageFor(v);
      const m = msg as StateMsg;
      if (rng() / 2 ** 32 < 0.2) continue;                      // lost on the way
      const base = m.kind === 'delta' ? frames.get(m.baseTick) ?? null : null;
      if (m.kind === 'delta') { deltas++; expect(base).not.toBeNull(); } else snapshots++;
      const mirror = applyToMirror(base, m);
      frames.set(mirror.tick, mirror);
      // the mirror equals a fresh snapshot of the same view at this tick
      const fresh = pub.createView(0, 0, 0);
      fresh.cx = v.cx; fresh.cz = v.cz; fresh.cells = v.cells;
      const snap = pub.messageFor(fresh).msg as StateMsg;
      expect([...mirror.bodies.values()].sort((a, b) => a.index - b.index)).toEqual(snap.bodies);
      checked++;
      inFlight.push({ at: t + 1 + Math.floor((rng() / 2 ** 32) * 6), tick: mirror.tick });   // ack arrives 1..6 ticks later
      for (const a of inFlight.filter((x) => x.at <= t)) pub.acknowledge(v, a.tick);
      inFlight.splice(0, inFlight.length, ...inFlight.filter((x) => x.at > t));
    }
    expect(checked).toBeGreaterThan(200);
    expect(deltas).toBeGreaterThan(150);
    expect(snapshots).toBeGreaterThan(0);
    return world.close();
  });

  test('clients with the same view and base share one encoded message', () => {
    const { world, tick } = rainWorld(200);
    tick();
    const pub = new InterestPublisher();
    pub.update(world.readBodies(createBodyTable(world.capacity)));
    let encodes = 0;
    const enc = (m: ServerMessage): Uint8Array => { encodes++; return new TextEncoder().encode(m.kind); };
    const views = Array.from({ length: 50 }, (_, i) => pub.createView(i % 2 === 0 ? 0 : 100, 0, 1));
    const bytes = views.map((v) => pub.messageFor(v, enc).bytes);
    expect(encodes).toBe(2);
    expect(bytes[0]).toBe(bytes[2]);
    expect(bytes[0]).not.toBe(bytes[1]);
    return world.close();
  });
});
