/**
 * GET /predict (docs/protocol.md section 19): a Predictor built from it alone (predictorOptions:
 * the server's config, its static geometry words and static records) predicts the server's avatar
 * bit for bit, here while the avatar falls onto a heightfield, whose block only the geometry words
 * carry. One tick at a time: each server record is taken as authoritative and the predictor's
 * record for the next tick must equal the server's next one. A predictor given the same answer
 * without the heightfield's record (the avatar falls through it) is corrected, so the comparison
 * can fail.
 */
import { Host } from '../src/net/host';
import { Predictor } from '../src/client/predict';
import { type PredictWorld, predictorOptions } from '../src/client/predict-world';
import { encodeGeometry } from '../src/assets/geometry';
import type { WorldSetup } from '../src/sim/main-sim';
import { RawClient, request } from './helpers/net';
import { addClosedBox } from './helpers/scenes';
import { heightfield } from './helpers/terrain';

const RATE = 50;
const setup: WorldSetup = {
  config: { capacity: 64, tickRate: RATE, maxBodyRadius: 1, geometryWords: 4096, sleep: { enabled: true } },
  scene: (w) => {
    addClosedBox(w, 24, 12);
    // a hill 1 m high at its top (cells 0.5 m, 8 m square around the origin), added last
    w.addGeometry(encodeGeometry(heightfield(17, 17, 0.5, -4, -4, (x, z) => 0.6 + 0.4 * Math.cos(x / 3) * Math.cos(z / 3))), { friction: 0.6 });
  },
  spawnPoints: [[0.3, 3, -0.2]],
};

test('a predictor built from GET /predict alone predicts the avatar landing on a heightfield bit for bit', async () => {
  const host = await Host.start({ port: 0, tickRate: RATE, world: setup });
  try {
    const res = await request('GET', `http://127.0.0.1:${host.port}/predict`);
    expect(res.status).toBe(200);
    const world = res.json as PredictWorld;
    // the closed box's 6 statics and the heightfield; its block in the geometry words
    expect(world.statics).toHaveLength(7);
    expect(world.walkSpeed).toBe(4);
    expect(world.config.tickRate).toBe(RATE);
    expect(Buffer.from(world.geometry, 'base64').byteLength).toBeGreaterThan(17 * 17 * 8);

    const c = new RawClient(`ws://127.0.0.1:${host.port}/ws`);
    await c.opened;
    c.hello({ predict: true });
    await c.until(() => c.of('avatarRecord').length >= 90, 10_000, '90 avatar records');
    c.ws.close();
    const recs = c.of('avatarRecord');

    const good = new Predictor(predictorOptions(world));
    const holed = new Predictor(predictorOptions({ ...world, statics: world.statics.slice(0, -1) }));
    let compared = 0;
    for (let i = 0; i + 1 < recs.length; i++) {
      if (recs[i + 1].tick !== recs[i].tick + 1) continue;
      for (const p of [good, holed]) {
        p.authoritative(recs[i].tick, recs[i].record, 0);
        p.advanceTo(recs[i + 1].tick);
      }
      expect(Buffer.from(good.recordAt(recs[i + 1].tick) as Uint8Array)).toEqual(Buffer.from(recs[i + 1].record));
      compared++;
      holed.authoritative(recs[i + 1].tick, recs[i + 1].record, 0);
    }
    expect(compared).toBeGreaterThan(80);
    // it landed on the hill (about 1 m high under it), not on the box floor at y = 0 (record bytes 40..47: position y)
    const y = new DataView(recs[recs.length - 1].record.buffer, recs[recs.length - 1].record.byteOffset).getBigInt64(40, true);
    expect(Number(y) / 65536).toBeGreaterThan(1.5);
    expect(holed.corrections).toBeGreaterThan(10);
  } finally {
    await host.stop();
  }
}, 30_000);
