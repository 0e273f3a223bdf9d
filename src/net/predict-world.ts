/**
 * GET /predict (issue 20, docs/protocol.md section 19): the world a predicting client rebuilds
 * locally (src/client/predict-world.ts PredictWorld): the physics config, the walk speed, the
 * static geometry words and every static body's raw record in slot order. The same read rule as
 * /world (a token, or anyone while guests are on). Built on each request (the statics of a
 * running world do not change; a few hundred bytes a static plus the geometry).
 */
import { KIND } from '../physics/world-layout';
import { toBase64, type PredictWorld } from '../client/predict-world';
import type { HostContext } from './context';

/** The PredictWorld of the host's world now. */
export function predictWorld(h: HostContext): PredictWorld {
  const sim = h.world.sim,
    w = sim.world;
  const statics: string[] = [];
  for (const handle of w.handles()) {
    const rec = w.bodyRecord(handle);
    // record bytes 8..15: shape (low u32), kind (high u32)
    if (new DataView(rec.buffer, rec.byteOffset, rec.byteLength).getUint32(12, true) === KIND.STATIC) statics.push(toBase64(rec));
  }
  const g = w.geometry();
  return {
    config: w.config,
    walkSpeed: sim.walkSpeed,
    geometry: toBase64(new Uint8Array(g.buffer, g.byteOffset, g.byteLength)),
    statics,
  };
}
