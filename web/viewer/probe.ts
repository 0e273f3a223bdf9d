/**
 * The viewer's probe (`window.tessera`), shared by the page and the end-to-end test that reads it
 * (test/e2e-viewer.test.ts): plain values, no DOM types, so both TypeScript programs take it.
 */

/** Exposed for the end-to-end test (what the page shows, without reading pixels). */
export interface ViewerProbe {
  connected: boolean;
  publicId: number;
  tick: number;
  bodies: number;
  moving: number;
  me: [number, number, number] | null;
  meShard: number;
  shards: number[];
  chat: string[];
  owned: string | null;
  spheres: number;
  /** Dynamic (rotating) boxes drawn now, each with its orientation. */
  boxes: number;
  /** Dynamic convex hulls drawn now from their vertices (the asset arrived). */
  hulls: number;
  /** Dynamic compound bodies drawn now from their children's triangles (the asset arrived). */
  compounds: number;
  /** What E would pick up now ("index:generation"), or null: nothing within reach; `reachOwn`: it is ours. */
  reach: string | null;
  reachOwn: boolean;
  /**
   * Static heightfields and meshes drawn now: asset id, kind, the triangles and vertices of the
   * drawn geometry, and valuesDigest of the asset's raw values as received (heights, or vertices
   * then indices; raw Q16).
   */
  terrain: Array<{ asset: number; kind: 'heightfield' | 'mesh'; triangles: number; vertices: number; digest: number }>;
  /**
   * Joints drawn now (protocol 3): kind, body handles ("index:generation"; b null = the world),
   * the distance between the drawn anchors (m: ~0 for a hinge, ball or fixed joint that holds, the
   * rope's length for a distance joint) and the hinge's or fixed joint's axis in the world (unit), else null.
   */
  joints: Array<{ kind: string; a: string; b: string | null; length: number; axis: [number, number, number] | null }>;
  /** Smoothed round trip (TesseraClient.rttMs), ms; null before the first pong. */
  rttMs: number | null;
  /** Artificial round trip added in the viewer's socket (`?lag=`), ms. */
  lagMs: number;
  /** Whether the own avatar is predicted; `predictError` why not (null: not asked to, or it is). */
  predicting: boolean;
  predictError: string | null;
  /** Corrections so far (Predictor.corrections) and the last one's visible error, mm. */
  corrections: number;
  lastCorrectionMm: number;
  /** CPU time of the last frame's prediction, ms. */
  predictMs: number;
  /** Nearby bodies predicted with the avatar (Predictor.nearbyHandles) at the last frame, and the states whose nearby records were corrected so far. */
  predictedBodies: number;
  nearbyCorrections: number;
  /** Frames rendered so far; `keyFrame`: `frames` when the last movement key went down (-1: none yet). */
  frames: number;
  keyFrame: number;
  /** Thrown spheres drawn as predicted ghosts now, matched to the server's sphere so far, dropped unmatched so far. */
  ghosts: number;
  /** `frames` when the last sphere was thrown (-1: none yet), and the number of the first frame that drew a ghost after it. */
  throwFrame: number;
  ghostFrame: number;
  ghostsMatched: number;
  ghostsExpired: number;
  /** The avatar's drawn position in the last 120 frames: [frame number (1-based), x, y, z], m. */
  drawn: Array<[number, number, number, number]>;
  /** Turns the camera (radians; forward is (-sin yaw, -cos yaw) on x/z): for tests, as dragging with the right button does. */
  setYaw(y: number): void;
}

/** FNV-1a (32-bit) over the values' i32 words, low byte first: a digest the page and the test compute alike. */
export function valuesDigest(values: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] | 0;
    for (let b = 0; b < 32; b += 8) h = Math.imul(h ^ ((v >>> b) & 0xff), 0x01000193);
  }
  return h >>> 0;
}
