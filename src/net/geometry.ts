/**
 * Static geometry for clients (protocol 2): a heightfield or mesh body that enters a client's
 * view is announced in its snapshot or delta by asset id (BodyShape.sx); the asset's geometry
 * follows as ServerGeometry parts, once per connection, paced so that it never pushes a client
 * over the host's backpressure limits.
 *
 *   fan-out, per client and tick: StateMessage.assets -> ids not sent on this connection ->
 *   their encoded parts (made once per world and asset, GeometryFeed) -> the session's queue ->
 *   at most GEOMETRY_PARTS_PER_TICK parts per tick, after the state message, and only while the
 *   client's buffer is under half the soft backpressure limit.
 *
 * Bound: a part is at most GEOMETRY_PART_VALUES (16,384) i32 values, 64 KiB plus about 100
 * bytes of FlatBuffers; an asset at most MAX_ASSET_VALUES (4 MiB, a 1024 x 1024 heightfield) in
 * at most 64 parts; a tick adds at most 4 parts (256 KiB) to a buffer under 128 KiB (defaults),
 * so a client that reads stays below the 256 KiB soft limit plus one tick's state and the
 * 1 MiB close limit, and a 4 MiB asset arrives in 16 ticks (0.8 s at 20 Hz).
 */
import { assetAt, assetParts } from '../assets/wire';
import { encodeServer } from '../protocol/codec';
import type { StateMessage } from '../sim/interest';
import type { WorldLoop } from '../sim/world-loop';
import type { Session } from './sessions';

/** Most ServerGeometry parts sent to one client in one tick. */
export const GEOMETRY_PARTS_PER_TICK = 4;

/** The encoded parts of a world's geometry assets, made on first use and shared by every client. */
export class GeometryFeed {
  private readonly parts = new Map<number, Uint8Array[]>();
  private words: BigInt64Array | null = null;
  constructor(private readonly world: WorldLoop) {}

  /** The encoded ServerGeometry parts of asset `id`. Throws RangeError when the world has no such asset. */
  partsOf(id: number): Uint8Array[] {
    let out = this.parts.get(id);
    if (!out) {
      // static geometry is only ever appended: re-read the words when the id lies beyond them
      if (!this.words || id >= this.words.length) this.words = this.world.sim.world.geometry();
      out = assetParts(assetAt(this.words, id)).map((p) => encodeServer(p));
      this.parts.set(id, out);
    }
    return out;
  }
}

const feeds = new WeakMap<WorldLoop, GeometryFeed>();

/** The GeometryFeed of a world loop (one per loop). */
export function geometryFeed(world: WorldLoop): GeometryFeed {
  let f = feeds.get(world);
  if (!f) {
    f = new GeometryFeed(world);
    feeds.set(world, f);
  }
  return f;
}

/** Queues the parts of the assets `state` announces that this connection has not been sent. */
export function queueGeometry(world: WorldLoop, s: Session, state: StateMessage): void {
  const ids = state.assets;
  if (ids.length === 0) return;
  for (const id of ids) {
    if (s.geometrySent.has(id)) continue;
    s.geometrySent.add(id);
    for (const b of geometryFeed(world).partsOf(id)) s.geometryQueue.push(b);
  }
}

/**
 * Takes the parts to send this tick (at most GEOMETRY_PARTS_PER_TICK) when the client's buffer
 * (`buffered` bytes) is under `limit`; none otherwise.
 */
export function takeGeometry(s: Session, buffered: number, limit: number): Uint8Array[] {
  if (s.geometryQueue.length === 0 || buffered >= limit) return [];
  return s.geometryQueue.splice(0, GEOMETRY_PARTS_PER_TICK);
}
