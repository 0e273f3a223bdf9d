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
  /** What E would pick up now ("index:generation"), or null: nothing within reach; `reachOwn`: it is ours. */
  reach: string | null;
  reachOwn: boolean;
  /** Turns the camera (radians; forward is (-sin yaw, -cos yaw) on x/z): for tests, as dragging with the right button does. */
  setYaw(y: number): void;
}
