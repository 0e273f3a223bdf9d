/**
 * The world loop's per-tick index follows what changed (issue 16, "cost follows activity"): a
 * settled world with nobody connected re-reads and re-packs no body in a tick, yet the table is
 * at every tick the one a full read of the published state gives, and what a client receives
 * (snapshot and delta bytes, far bodies held every 4 ticks included) is byte for byte what a
 * publisher that reads every body each tick sends, through joins, spawns that wake the pile,
 * and departures.
 */
import { createBodyTable, BODY_TABLE_FIELDS, type BodyTable } from '../src/physics/body-table';
import { InterestPublisher, type ClientView } from '../src/sim/interest';
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { testWorld } from './helpers/world-setup';

const INTEREST = { cellSize: 8, farEvery: 4, nearCells: 1 };

/** Rows that differ between two tables (every field, count and tick). */
function tableDiff(a: BodyTable, b: BodyTable): string[] {
  const out: string[] = [];
  if (a.count !== b.count || a.tick !== b.tick) out.push(`count/tick ${a.count}/${a.tick} vs ${b.count}/${b.tick}`);
  for (let r = 0; r < Math.min(a.count, b.count); r++)
    for (const f of BODY_TABLE_FIELDS) if (a[f][r] !== b[f][r]) out.push(`row ${r} ${f}: ${a[f][r]} vs ${b[f][r]}`);
  return out;
}

describe('world index', () => {
  test('a settled world re-reads no body per tick; the table and every client message equal a full read, through wakes, joins and leaves', async () => {
    const clock = { t: 1_000_000 };
    const stream = new EventStream('world', { clock: { now: () => clock.t }, seed: '0123456789abcdef0123456789abcdef' });
    const loop = new WorldLoop(stream, testWorld({ partition: { xCuts: [0], zCuts: [] } }), { interest: INTEREST });
    const world = loop.sim.world;
    // the reference: every body read and packed every tick
    const ref = new InterestPublisher(INTEREST);
    const full = createBodyTable(world.capacity);
    // two clients' views, on the pile and far from it (the pile is then in its far cells)
    const views: Array<[ClientView, ClientView]> = [
      [loop.interest.createView(5, 5, 2), ref.createView(5, 5, 2)],
      [loop.interest.createView(-12, -4, 3), ref.createView(-12, -4, 3)],
    ];
    const mismatches: string[] = [];
    const settledWork: Array<{ rowsRead: number; compared: number; unchanged: number; still: number; packed: number; sorts: number }> = [];
    let sawIncrementalChange = 0;
    const step = (): void => {
      clock.t += 50;
      const before = { ...loop.bodies.counts },
        packed = loop.interest.rowsPacked,
        sorts = loop.interest.sorts;
      loop.step();
      world.readBodies(full);
      ref.update(full);
      const d = tableDiff(loop.table, full);
      if (d.length) mismatches.push(`tick ${world.tick}: ${d.slice(0, 3).join('; ')}`);
      for (let r = 0; r < full.count; r++) if (loop.rowOfSlot[full.index[r]] !== r) mismatches.push(`tick ${world.tick}: rowOfSlot of slot ${full.index[r]}`);
      views.forEach(([mine, theirs], k) => {
        const a = loop.interest.messageFor(mine).bytes,
          b = ref.messageFor(theirs).bytes;
        if (Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0) mismatches.push(`tick ${world.tick}: view ${k} message differs`);
        // acknowledge every other tick: deltas against older bases too
        if (world.tick % 2 === 0) {
          loop.interest.acknowledge(mine, world.tick);
          ref.acknowledge(theirs, world.tick);
        }
      });
      const c = loop.bodies.counts;
      if (c.fullReads === before.fullReads && loop.bodies.changedCount > 0) sawIncrementalChange++;
      const asleep = full.sleeping.subarray(0, full.count).reduce((s, v, r) => s + (full.shard[r] >= 0 && v === 0 ? 1 : 0), 0) === 0;
      if (asleep)
        settledWork.push({
          rowsRead: c.rowsRead - before.rowsRead,
          compared: c.compared - before.compared,
          unchanged: c.unchanged - before.unchanged,
          still: c.still - before.still,
          packed: loop.interest.rowsPacked - packed,
          sorts: loop.interest.sorts - sorts,
        });
    };
    // the pile falls and settles: nobody connected
    for (let t = 0; t < 400 && settledWork.length < 20; t++) step();
    expect(settledWork.length).toBeGreaterThanOrEqual(20);
    const moving = full.count - full.shard.subarray(0, full.count).filter((s) => s < 0).length;
    // settled, the tick after everything slept: no row re-read or re-packed, no re-sort; every moving
    // body compared once, by its record's version alone (no record word compared), until the world
    // reports its board unchanged from the last (src/physics/settled-skip.ts): then none is compared
    const byVersion = { rowsRead: 0, compared: moving, unchanged: moving, still: 0, packed: 0, sorts: 0 },
      still = { rowsRead: 0, compared: 0, unchanged: 0, still: 1, packed: 0, sorts: 0 };
    for (const w of settledWork.slice(2)) expect([byVersion, still]).toContainEqual(w);
    expect(settledWork.filter((w) => w.still === 1).length).toBeGreaterThanOrEqual(15);

    // a client joins next to the pile and drops a sphere on it: the pile wakes and is sent
    stream.connect('alice');
    for (let t = 0; t < 5; t++) step();
    stream.publish('alice', 'sp', '5000,4000,5000,0,-2000,0');
    const sentBefore = sawIncrementalChange;
    for (let t = 0; t < 60; t++) step();
    expect(sawIncrementalChange - sentBefore).toBeGreaterThan(30); // incremental ticks that re-read woken bodies
    // the client leaves: its avatar and sphere go, the world settles again
    stream.disconnect('alice');
    settledWork.length = 0;
    for (let t = 0; t < 600 && settledWork.length < 10; t++) step();
    expect(settledWork.length).toBeGreaterThanOrEqual(10);
    for (const w of settledWork.slice(2)) expect(w.rowsRead + w.packed + w.sorts).toBe(0);

    expect(mismatches).toEqual([]);
    await loop.close();
  });
});
