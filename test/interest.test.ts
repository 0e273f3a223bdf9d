/**
 * Interest: snapshots and deltas against the acknowledged tick rebuild exactly the bodies of a
 * client's interest, whatever the acknowledgements lag and whichever messages are lost; a view
 * holds the bodies of its cells and no others; clients with one view and base share bytes.
 */
import { ShardedWorld } from '../src/physics/sharded';
import { createBodyTable } from '../src/physics/body-table';
import { InterestPublisher, applyToMirror, type Mirror } from '../src/sim/interest';
import type { ServerMessage } from '../src/protocol/messages';
import { decodeServer, encodeServer, encodeStateRows } from '../src/protocol/codec';
import { ERROR } from '../src/protocol/errors';
import { mulberry32 } from './helpers/bigref';
import { buildRain, rainConfig } from './helpers/scenes';

type StateMsg = Extract<ServerMessage, { kind: 'snapshot' | 'delta' }>;

function rainWorld(n: number): { world: ShardedWorld; tick: () => void } {
  const world = new ShardedWorld(rainConfig(n, { tickRate: 20 }), { xCuts: [0], zCuts: [] });
  const rain = buildRain(world, n, 3);
  return {
    world,
    tick: () => {
      world.applyCommands(rain.commands());
      world.step();
    },
  };
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
    let deltas = 0,
      snapshots = 0,
      checked = 0;
    const inFlight: Array<{ at: number; tick: number }> = [];
    for (let t = 0; t < 300; t++) {
      tick();
      pub.update(world.readBodies(table));
      if (t % 40 === 0) pub.setInterest(v, (rng() / 2 ** 32) * 20 - 10, (rng() / 2 ** 32) * 20 - 10, 1 + (t % 3));
      const { msg } = pub.messageFor(v);
      const m = msg as StateMsg;
      if (rng() / 2 ** 32 < 0.2) continue; // lost on the way
      const base = m.kind === 'delta' ? (frames.get(m.baseTick) ?? null) : null;
      if (m.kind === 'delta') {
        deltas++;
        expect(base).not.toBeNull();
      } else snapshots++;
      const mirror = applyToMirror(base, m);
      frames.set(mirror.tick, mirror);
      // the mirror equals a fresh snapshot of the same view at this tick
      const fresh = pub.createView(0, 0, 0);
      fresh.cx = v.cx;
      fresh.cz = v.cz;
      fresh.cells = v.cells;
      const snap = pub.messageFor(fresh).msg as StateMsg;
      expect([...mirror.bodies.values()].sort((a, b) => a.index - b.index)).toEqual(snap.bodies);
      checked++;
      inFlight.push({ at: t + 1 + Math.floor((rng() / 2 ** 32) * 6), tick: mirror.tick }); // ack arrives 1..6 ticks later
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
    const views = Array.from({ length: 50 }, (_, i) => pub.createView(i % 2 === 0 ? 0 : 100, 0, 1));
    const bytes = views.map((v) => pub.messageFor(v).bytes);
    expect(pub.encodes).toBe(2);
    expect(pub.cacheHits).toBe(48);
    expect(bytes[0]).toBe(bytes[2]);
    expect(bytes[0]).not.toBe(bytes[1]);
    return world.close();
  });

  test('level of detail: far bodies change only every farEvery ticks, near ones every tick; deltas still rebuild the view exactly', () => {
    const { world, tick } = rainWorld(600);
    const lod = new InterestPublisher({ cellSize: 4, farEvery: 4, nearCells: 1 }),
      full = new InterestPublisher({ cellSize: 4 });
    const table = createBodyTable(world.capacity);
    const v = lod.createView(0, 0, 3),
      w = full.createView(0, 0, 3);
    const frames = new Map<number, Mirror>();
    const farOf = (b: { px: number; pz: number }): boolean => Math.max(Math.abs(Math.floor(b.px / 4096)), Math.abs(Math.floor(b.pz / 4096))) > 1;
    let prevFar = new Map<number, boolean>();
    const heldGen = new Map<number, number>();
    let prev: Map<number, string> | null = null,
      lodBodies = 0,
      fullBodies = 0,
      farChangedOffTick = 0,
      nearChanged = 0;
    for (let t = 0; t < 80; t++) {
      tick();
      world.readBodies(table);
      lod.update(table);
      full.update(table);
      const m = lod.messageFor(v).msg as StateMsg,
        f = full.messageFor(w).msg as StateMsg;
      if (t > 0) {
        lodBodies += m.bodies.length;
        fullBodies += f.bodies.length;
      }
      const mirror = applyToMirror(m.kind === 'delta' ? (frames.get(m.baseTick) ?? null) : null, m);
      frames.set(mirror.tick, mirror);
      lod.acknowledge(v, mirror.tick);
      full.acknowledge(w, f.tick);
      const fresh = lod.createView(0, 0, 3); // a snapshot of the same view: what the deltas must have rebuilt
      expect([...mirror.bodies.values()].sort((a, b) => a.index - b.index)).toEqual((lod.messageFor(fresh).msg as StateMsg).bodies);
      const now = new Map([...mirror.bodies.values()].map((b) => [b.index, JSON.stringify([b.px, b.py, b.pz, b.vx, b.vy, b.vz])]));
      // near or far as the publisher decides it: by the body's current position
      const farNow = new Map<number, boolean>();
      for (let r = 0; r < table.count; r++) farNow.set(table.index[r], farOf({ px: table.px[r], pz: table.pz[r] }));
      if (prev && table.tick % 4 !== 0) {
        for (const b of mirror.bodies.values()) {
          if (!prev.has(b.index) || prev.get(b.index) === now.get(b.index)) continue;
          // a body that stayed far keeps its held state; one crossing between near and far may change
          const heldSince = heldGen.get(b.index) === b.generation; // existed at the last far tick (newer bodies are sent as they are)
          if (farNow.get(b.index) && prevFar.get(b.index) && heldSince) farChangedOffTick++;
          else if (!farNow.get(b.index)) nearChanged++;
        }
      }
      prevFar = farNow;
      if (table.tick % 4 === 0) {
        heldGen.clear();
        for (let r = 0; r < table.count; r++) heldGen.set(table.index[r], table.gen[r]);
      }
      prev = now;
    }
    expect(farChangedOffTick).toBe(0); // far bodies moved only on far ticks
    expect(nearChanged).toBeGreaterThan(50); // near ones every tick
    expect(lodBodies).toBeLessThan(fullBodies * 0.8); // fewer body states sent (rain spawns many new bodies, sent as they are)
    return world.close();
  });

  test('row-form encoding: every message is byte-identical to encodeServer of its value and decodes back to it', () => {
    const { world, tick } = rainWorld(500);
    const pub = new InterestPublisher({ cellSize: 4, farEvery: 3, nearCells: 1, historyTicks: 8 });
    const table = createBodyTable(world.capacity);
    const rng = mulberry32(5);
    const views = Array.from({ length: 6 }, (_, i) => pub.createView(i * 3 - 8, 0, 1 + (i % 3)));
    let deltas = 0,
      removed = 0,
      entered = 0;
    for (let t = 0; t < 60; t++) {
      tick();
      pub.update(world.readBodies(table));
      for (const v of views) {
        if (rng() / 2 ** 32 < 0.1) pub.setInterest(v, (rng() / 2 ** 32) * 30 - 15, (rng() / 2 ** 32) * 30 - 15, 1 + (t % 3));
        const sm = pub.messageFor(v);
        expect(sm.bytes).toEqual(encodeServer(sm.msg));
        expect(decodeServer(sm.bytes)).toEqual(sm.msg);
        if (sm.msg.kind === 'delta') {
          deltas++;
          removed += sm.msg.removed.length;
          entered += sm.msg.shapes.length;
        }
        if (rng() / 2 ** 32 < 0.7) pub.acknowledge(v, sm.msg.tick); // some acknowledgements lost: older bases
      }
    }
    expect(deltas).toBeGreaterThan(100);
    expect(removed).toBeGreaterThan(0);
    expect(entered).toBeGreaterThan(0);
    return world.close();
  });

  test('row-form encoding refuses a value the wire cannot hold (BAD_VALUE), as encodeServer does', () => {
    const rows = new Int32Array(13);
    rows[5] = 40000; // qx over i16
    const m = {
      kind: 'snapshot' as const,
      tick: 1,
      baseTick: 0,
      rows,
      bodies: Int32Array.of(0),
      bodyCount: 1,
      shapes: new Int32Array(0),
      shapeCount: 0,
      removed: new Uint32Array(0),
      removedCount: 0,
    };
    expect(() => encodeStateRows(m)).toThrow(expect.objectContaining({ code: ERROR.BAD_VALUE }));
  });
});
