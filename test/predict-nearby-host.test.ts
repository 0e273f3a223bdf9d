/**
 * The host's nearby records (src/net/predict.ts, docs/protocol.md section 19.1) found through the
 * world loop's body table (quantised positions, the kind filter, no BigInt per body) are the same
 * bytes as an exact pass over every live body: the same bodies (radius tested on the records' raw
 * positions), the same order. A walking avatar among 200 spheres (test/helpers/predict-run.ts's
 * scene) and radii that fall exactly on a sphere's distance (a body at exactly R is in).
 */
import { nearbyFor } from '../src/net/predict';
import { createBodyTable } from '../src/physics/body-table';
import { BODY_RECORD, BODY_RECORD_BYTES } from '../src/physics/world-layout';
import { INPUT } from '../src/sim/event-bodies';
import { MainSim } from '../src/sim/main-sim';
import { PREDICT_RUN_CONFIG } from './helpers/predict-run';
import { addClosedBox } from './helpers/scenes';

const raw = (r: Uint8Array, at: number): number => Number(new DataView(r.buffer, r.byteOffset, r.byteLength).getBigInt64(at, true)) / 65536;

test('nearby records through the body table equal an exact pass over every body', () => {
  const sim = new MainSim({
    config: PREDICT_RUN_CONFIG,
    scene: (w) => {
      addClosedBox(w, 24, 12);
      for (let i = 0; i < 16; i++)
        for (let k = 0; k < 16; k++)
          if (Math.hypot(i - 7.5, k - 7.5) > 2) w.addSphere({ position: [(i - 7.5) * 0.9, 0.3, (k - 7.5) * 0.9], radius: 0.3, mass: 2.8 });
    },
    spawnPoints: [[0, 1.2, 0]],
  });
  sim.apply(0, [{ tick: 0, type: '_c', origin: 1, body: '1' }]);
  const avatar = sim.avatars.get(1) as bigint;
  const table = createBodyTable(sim.world.capacity);
  let compared = 0,
    onTheEdge = 0;
  for (let t = 1; t <= 150; t++) {
    sim.apply(t, [{ tick: t, type: 'in', origin: 1, body: INPUT.encode({ walkX: 1000, walkZ: t > 60 ? 600 : 0, jump: false }) }]);
    if (t % 10 !== 0) continue;
    sim.world.readBodies(table);
    const rec = sim.world.bodyRecord(avatar);
    const exact8 = nearbyFor(sim.world, null, avatar, rec, 8) as Uint8Array;
    // the distance of a body in the middle of the exact set: a radius exactly on it
    const mid = exact8.subarray(((exact8.length / BODY_RECORD_BYTES) >> 1) * BODY_RECORD_BYTES);
    const d = Math.hypot(...[BODY_RECORD.PX, BODY_RECORD.PY, BODY_RECORD.PZ].map((o) => raw(mid, o) - raw(rec, o)));
    for (const r of [8, 3.5, d, d - 1e-9, 0.5]) {
      const a = nearbyFor(sim.world, table, avatar, rec, r),
        b = nearbyFor(sim.world, null, avatar, rec, r);
      expect(a === undefined ? 'none' : Buffer.from(a).toString('hex')).toBe(b === undefined ? 'none' : Buffer.from(b).toString('hex'));
      compared++;
    }
    const at = nearbyFor(sim.world, table, avatar, rec, d) as Uint8Array,
      below = nearbyFor(sim.world, table, avatar, rec, d - 1e-9);
    if ((below?.length ?? 0) < at.length) onTheEdge++;
    expect(exact8.length / BODY_RECORD_BYTES).toBeGreaterThan(20);
  }
  expect(compared).toBe(75);
  expect(onTheEdge).toBeGreaterThan(5); // the radius on a body's distance takes it in, a hair less leaves it out
});
