/**
 * Predicted projectiles (issue 20, a first slice): a sphere the client throws appears at once on
 * its own screen, simulated by the unshared core in a local world holding the server's statics
 * (GET /predict) and the thrown spheres only, and is matched to the server's body when that body
 * shows up in the states.
 *
 *   throwSphere(p, v, nowMs)  a ghost sphere at p (m) with velocity v (m/s), as the host spawns a
 *                             ClientSpawn sphere (THROWN_SPHERE)
 *   frame(nowMs)              steps the local world at the tick rate of the wall clock since the
 *                             first throw (one step per tick period passed) and drops ghosts older
 *                             than `expireMs` (a spawn the host refused, or one never seen)
 *   match(bodies)             the server's dynamic spheres not seen before: one within `matchM` of
 *                             a point of an unmatched ghost's path (its positions so far) is that
 *                             ghost's body; the ghost leaves the local world and the match gives
 *                             the offset to fade (ghost position - server position, m) so the
 *                             viewer can draw the server's body from where the ghost was
 *
 *   claim(key)                the host's ownership message of a body this client owns (the host makes
 *                             the spawner the owner of the sphere its spawn made, src/sim/main-sim.ts
 *                             spawnSphere, and says so in an 'ownership' message): a body key not seen
 *                             before is the oldest unclaimed ghost's, spawns being applied in the
 *                             order sent; match() then pairs that body with that ghost wherever it is
 *
 * Matching is by identity when the ownership message names the body first (claim), else by place.
 * Caveats of the identity: a refused spawn's ghost (its error comes back, but with no spawn id to
 * tie it to) takes the next owned body until it expires; an account's other sessions' spawns are
 * owned by the same principal. Not bit-exact: the host applies the spawn at the tick it arrives (half a round trip
 * later), its quantised velocity (mm/s) and position, and its world holds other bodies; the ghost
 * only has to look right until the server's body arrives.
 */
import { PhysicsWorld, type BodyHandle } from '../physics/world';
import type { PredictWorld } from './predict-world';
import { predictorOptions } from './predict-world';

/** The sphere a ClientSpawn makes on the host (src/sim/main-sim.ts spawnSphere: radius 0.25 m, mass 1 kg, friction 0.5, restitution 0.3). */
export const THROWN_SPHERE = { radius: 0.25, mass: 1, friction: 0.5, restitution: 0.3 } as const;

/** A thrown sphere not matched yet. */
export interface Ghost {
  /** Local id (1, 2, ...). */
  id: number;
  /** Its handle in the local world. */
  body: BodyHandle;
  /** When it was thrown, ms (the caller's clock). */
  thrownAt: number;
  /** Its position now, m. */
  position: [number, number, number];
  /** Its positions after each local step so far (the path matched against), m. */
  path: Array<[number, number, number]>;
}

/** A server body matched to a ghost: the body's key, the ghost, and the offset ghost - server position, m. */
export interface GhostMatch {
  key: string;
  ghost: Ghost;
  offset: [number, number, number];
}

/** Options: match distance, m (default 1), and the age after which an unmatched ghost is dropped, ms (default 3000). */
export interface ProjectileOptions {
  matchM?: number;
  expireMs?: number;
}

/** The client's thrown spheres, predicted and matched (module comment). */
export class ProjectilePrediction {
  readonly world: PhysicsWorld;
  readonly ghosts: Ghost[] = [];
  /** Ghosts matched to a server body so far, and dropped unmatched. */
  matched = 0;
  expired = 0;
  private nextId = 1;
  private startedAt: number | null = null;
  private stepped = 0;
  private readonly seen = new Set<string>();
  /** Body keys claimed for a ghost (claim) and not matched yet. */
  private readonly claimed = new Map<string, Ghost>();
  private readonly periodMs: number;

  constructor(
    w: PredictWorld,
    private readonly opts: ProjectileOptions = {},
  ) {
    const o = predictorOptions(w);
    this.world = PhysicsWorld.create(o.config, { variant: 'unshared' });
    o.statics(this.world);
    this.periodMs = 1000 / (o.config.tickRate ?? 60);
  }

  /** Throws a ghost sphere at `position` (m) with `velocity` (m/s); returns it. */
  throwSphere(position: [number, number, number], velocity: [number, number, number], nowMs: number): Ghost {
    if (this.startedAt === null) this.startedAt = nowMs - this.stepped * this.periodMs;
    const body = this.world.addSphere({ position, velocity, ...THROWN_SPHERE });
    const g: Ghost = { id: this.nextId++, body, thrownAt: nowMs, position: [...position], path: [[...position]] };
    this.ghosts.push(g);
    return g;
  }

  /** Steps the local world to the wall clock (one step per tick period) and drops old ghosts. */
  frame(nowMs: number): void {
    if (this.startedAt === null) return;
    if (this.ghosts.length === 0) {
      // nothing to simulate: the clock restarts at the next throw
      this.startedAt = null;
      this.stepped = 0;
      return;
    }
    const due = Math.floor((nowMs - this.startedAt) / this.periodMs);
    for (let n = 0; this.stepped < due && n < 10; n++) {
      this.world.step();
      this.stepped++;
      for (const g of this.ghosts) {
        g.position = this.world.position(g.body) as [number, number, number];
        g.path.push([...g.position]);
      }
    }
    if (this.stepped < due) this.stepped = due; // a long pause: do not catch up more than 10 steps a frame
    const expire = this.opts.expireMs ?? 3000;
    for (let i = this.ghosts.length - 1; i >= 0; i--)
      if (nowMs - this.ghosts[i].thrownAt > expire) {
        this.drop(i);
        this.expired++;
      }
  }

  /**
   * The server's dynamic spheres in view (key, position in m): those not seen before are matched to
   * the oldest unmatched ghost whose path passes within matchM of them (module comment). Returns the
   * matches made now.
   */
  match(spheres: Iterable<{ key: string; position: readonly number[] }>): GhostMatch[] {
    const out: GhostMatch[] = [];
    const lim = this.opts.matchM ?? 1;
    const taken = new Set(this.claimed.values());
    for (const s of spheres) {
      if (this.seen.has(s.key)) continue;
      this.seen.add(s.key);
      const mine = this.claimed.get(s.key);
      this.claimed.delete(s.key);
      const i =
        mine !== undefined
          ? this.ghosts.indexOf(mine)
          : this.ghosts.findIndex(
              (g) => !taken.has(g) && g.path.some((p) => Math.hypot(p[0] - s.position[0], p[1] - s.position[1], p[2] - s.position[2]) < lim),
            );
      if (i < 0) continue;
      const g = this.ghosts[i];
      out.push({ key: s.key, ghost: g, offset: [g.position[0] - s.position[0], g.position[1] - s.position[1], g.position[2] - s.position[2]] });
      this.drop(i);
      this.matched++;
    }
    return out;
  }

  /**
   * The host says body `key` is owned by this client (an 'ownership' message whose owner is the
   * client's principal): if the key was not seen in a state yet, it is the body of the oldest ghost
   * not claimed yet (module comment). Returns that ghost, or null (seen before, or no ghost waiting).
   */
  claim(key: string): Ghost | null {
    if (this.seen.has(key) || this.claimed.has(key)) return null;
    const taken = new Set(this.claimed.values());
    const g = this.ghosts.find((x) => !taken.has(x));
    if (!g) return null;
    this.claimed.set(key, g);
    return g;
  }

  /** Marks server bodies as already seen (those in view before the first throw are never matched). */
  markSeen(keys: Iterable<string>): void {
    for (const k of keys) this.seen.add(k);
  }

  private drop(i: number): void {
    for (const [k, g] of this.claimed) if (g === this.ghosts[i]) this.claimed.delete(k);
    this.world.remove(this.ghosts[i].body);
    this.ghosts.splice(i, 1);
  }
}
