/**
 * What a predicting client needs of the server's world besides the avatar's record (issue 20,
 * docs/protocol.md section 19): the host's GET /predict answers a PredictWorld (JSON), and
 * predictorOptions turns it into the options of a Predictor whose local world holds the same static
 * geometry words and the same static bodies, each at its server slot. Browser-safe (no Node
 * modules; base64 through atob/btoa, which Node 20 has too).
 */
import type { WorldConfig } from '../physics/world';
import type { PredictorOptions } from './predict';

/** GET /predict's answer. */
export interface PredictWorld {
  /** The server world's physics configuration (WorldSetup.config; JSON numbers). */
  config: WorldConfig;
  /** Avatar walk speed, m/s. */
  walkSpeed: number;
  /** The static geometry words in use (ShardedWorld.geometry(): i64, little-endian), base64. */
  geometry: string;
  /** Every static body's raw record (BODY_RECORD_BYTES each, PhysicsWorld.exportBody layout) in slot order, base64 each. */
  statics: string[];
}

/** Base64 of bytes (btoa over a binary string). */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Bytes of a base64 string. Throws DOMException InvalidCharacterError on a bad string. */
export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Predictor options for the world `w` describes: its config and walk speed, and `statics` loading
 * its geometry words and then importing each static record (same slot and generation as on the
 * server). `variant` as PredictorOptions.variant (default 'unshared'). Throws RangeError when the
 * geometry is not a whole number of i64 words.
 */
export function predictorOptions(w: PredictWorld, variant?: PredictorOptions['variant']): PredictorOptions {
  const g = fromBase64(w.geometry);
  if (g.byteLength % 8 !== 0) throw new RangeError(`geometry is ${g.byteLength} bytes, not whole i64 words`);
  const words = new BigInt64Array(g.buffer, g.byteOffset, g.byteLength / 8);
  const records = w.statics.map(fromBase64);
  return {
    config: w.config,
    walkSpeed: w.walkSpeed,
    variant,
    statics: (world) => {
      if (words.length > 0) world.loadGeometry(words);
      for (const r of records) world.importBody(r);
    },
  };
}
