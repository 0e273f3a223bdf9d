/**
 * The fan-out world: a ground plane and one avatar spawn point per client, spread over a square
 * `side` metres wide so that interest filtering matters (a client's view of 2 cells of 16 m
 * around its cell is 80 m wide: a small part of the area).
 *
 *   spawn points: a g x g grid (g = ceil(sqrt(points))), spacing side / g, each point jittered
 *   by up to a quarter of the spacing, then shuffled (seeded Fisher-Yates). Client p spawns at
 *   point (p - 1) mod points, so the first n clients of any ramp step are spread over the whole
 *   square: avatar density, and so the bodies per view, grow with the client count as in a
 *   world of fixed size.
 */
import type { WorldSetup } from '../../src/sim/main-sim';
import type { Vec3 } from '../../src/physics/world';
import { mulberry32 } from '../math/inputs';

/** Options of the fan-out world (metres). */
export interface FanoutWorldOptions {
  /** Spawn points = most avatars expected. */
  points: number;
  /** Edge of the square the spawn points cover, m. */
  side: number;
  /** Shuffle and jitter seed. */
  seed: number;
}

/** Spawn points of the world (see the module comment), metres, y = 1.2 (the avatar drops onto the plane). */
export function spawnPoints(o: FanoutWorldOptions): Vec3[] {
  const g = Math.ceil(Math.sqrt(o.points));
  const step = o.side / g;
  const rnd = mulberry32(o.seed);
  const unit = (): number => rnd() / 2 ** 32;
  const pts: Vec3[] = [];
  for (let k = 0; k < g * g; k++) {
    const x = -o.side / 2 + ((k % g) + 0.5) * step + (unit() - 0.5) * step * 0.5;
    const z = -o.side / 2 + (Math.floor(k / g) + 0.5) * step + (unit() - 0.5) * step * 0.5;
    pts.push([Math.round(x * 1000) / 1000, 1.2, Math.round(z * 1000) / 1000]);
  }
  for (let i = pts.length - 1; i > 0; i--) {
    const j = rnd() % (i + 1);
    [pts[i], pts[j]] = [pts[j], pts[i]];
  }
  return pts.slice(0, o.points);
}

/** The world setup: 20 Hz, capacity for every avatar plus room, sleeping on (avatars never sleep). */
export function fanoutWorld(o: FanoutWorldOptions): WorldSetup {
  return {
    config: { capacity: o.points + 64, tickRate: 20, maxBodyRadius: 1, sleep: { enabled: true } },
    scene: (w) => {
      w.addPlane({ normal: [0, 1, 0], offset: 0 });
    },
    spawnPoints: spawnPoints(o),
  };
}
