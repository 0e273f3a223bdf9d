/**
 * The main simulation of the world stream: a pure function from (state t, events of tick t)
 * to state t + 1, so a log replays to the same hash (GoEventStream's model, seed 004, with an
 * authoritative server that also runs the physics).
 *
 *   closed tick t (canonical order) --apply--> physics commands --> shards step t -> t+1
 *                                           \-> avatars spawn/despawn    |
 *   derived events ('_h' contact begin/end of avatars,  <-----------------/  (published into t+1)
 *                   '_z' bodies entering and leaving the scene's trigger zones)
 *
 * Events the main sim understands (everything else passes through untouched for other services);
 * the bodies are read with the decoders of src/sim/event-bodies.ts, and the derived ones written
 * with its encoders:
 *   '_c' body = public id    spawns the client's avatar (a character) at its spawn point; in a
 *                            full world it is refused (ERROR.FULL): the client stays connected
 *                            without an avatar (the host tells it and may close it)
 *   '_d' body = public id    despawns it (TickResult.left says where it was); when it was the
 *                            principal's last session, the spheres the principal spawned go too
 *                            (now, or `spawnLingerTicks` later unless the principal is back)
 *   '_p' body = "publicId,x,y,z" (mm)   puts an avatar where its account left it (server event)
 *   'in' body = "walkX,walkZ,jump"   walk in thousandths of the walk speed (-1000..1000), jump 0/1
 *   'sp' body = "x,y,z,vx,vy,vz"     spawns a sphere (mm, mm/s; within spawnRange of the avatar;
 *                                    at most spawnLimit per principal, the oldest goes first)
 *   '_ar' body = ArtifactPlacement JSON   places an artifact (an owned, persistent object) in the world (server event)
 *                      and attaches the script it carries (ArtifactPlacement.script), if any
 *   '_ax' body = artifact id      takes it out of the world (server event)
 *   '_id', '_ta' and the client events ch cg bk ow ob ad   the social layer (src/social/social-sim.ts)
 *   'sa', 'sr', 'sm'   object scripts (with WorldSetup.scripts; src/script/world-scripts.ts): attach
 *                      or replace a script (master or admin), read its store, a line for it; the
 *                      scripts run after the step and their commands apply in the next tick
 * Malformed bodies are refused (reported, state unchanged); the decision depends only on the
 * event, so a replay refuses the same events.
 *
 * A full world (every body slot taken) never throws out of apply(): a join ('_c'), a sphere
 * ('sp'), an artifact ('_ar') or an admin spawn that needs a slot is refused with ERROR.FULL
 * (and a body the world cannot take, e.g. larger than maxBodyRadius, with ERROR.BAD_VALUE).
 * Whether a slot is free is a function of state t and the events before it in tick t (slots
 * are allocated by the registry world, the same on every shard layout), so a replay refuses the
 * same events. Bodies despawned in a tick ('_d', '_ax') free their slots at the end of the tick.
 *
 * Distances that decide (spawnRange) are compared squared in raw Q47.16 integers
 * (src/physics/integer.ts), never with Math.hypot.
 * Derived '_av', '_h' and '_z' events are outputs: apply() ignores them in its input and returns the new ones.
 *
 * Trigger zones (WorldSetup.sensors, src/physics/sensors.ts) are not bodies and not in the
 * snapshot: they come from the setup, and a restored world re-adds them quietly (the bodies inside
 * are taken from the restored state), so a run restored at tick t derives the same '_z' events as
 * the run that went through t.
 */
import { ShardedWorld, type Partition, type ShardOptions } from '../physics/sharded';
import type { SensorOptions } from '../physics/sensors';
import { PhysicsError, type BodyHandle, type Command, type Vec3, type WorldConfig } from '../physics/world';
import { toRaw, toRawVec, withinDistance } from '../physics/integer';
import type { StreamEvent } from '../protocol/messages';
import { ERROR, type ErrorCode } from '../protocol/errors';
import { hash as oneShotHash } from 'node:crypto';
import {
  ARTIFACT_PLACE,
  ARTIFACT_TAKE,
  AVATAR as AVATAR_EVENT,
  CONTACT,
  TRIGGER,
  ZONE_NAME,
  encodeHandle,
  IDENTITY,
  INPUT,
  PLACE,
  SPAWN,
  TEMP_ADMIN,
  type ArtifactPlacement,
  type ArtifactShape,
} from './event-bodies';
import { SocialSim, type OwnershipRule, type SocialOptions, type SocialOutput, type SocialWorld } from '../social/social-sim';
import { WorldScripts, type ScriptAttach, type ScriptWorld, type WorldScriptOptions } from '../script/world-scripts';

/** The world a main sim runs: physics configuration, shard layout and the static scene. */
export interface WorldSetup {
  /** Physics configuration; tickRate must equal the stream's tick rate (one step per tick). */
  config: WorldConfig;
  /** Shard layout (cuts in metres). Default: one shard. */
  partition?: Partition;
  /** Shard worker threads (0 = all shards on this thread). */
  shardOptions?: ShardOptions;
  /** Builds the initial world (statics and bodies) before tick 0. Must be deterministic. */
  scene?: (world: ShardedWorld) => void;
  /** Avatar spawn points, m. Client with public id p spawns at spawnPoints[(p - 1) % n]. Default [[0, 1, 0]]. */
  spawnPoints?: Vec3[];
  /** Walk speed of avatars, m/s. Default 4. */
  walkSpeed?: number;
  /**
   * Spheres one principal may have spawned at once (the oldest goes first). A principal is an
   * account (all its sessions and private ids share the budget) or, for a guest, its public id.
   * Default 8.
   */
  spawnLimit?: number;
  /** Farthest distance from its avatar a client may spawn at, m (compared in raw fixed point). Default 10. */
  spawnRange?: number;
  /**
   * Ticks the spheres of a principal stay after its last session left ('_d'); if the principal
   * is back before then (a '_c' of the guest's public id, an '_id' of the account) they stay for
   * good. 0 = they go in the tick of the '_d'. Default 0: what a departed player spawned never
   * outlives it, so departures cannot grow the world.
   */
  spawnLingerTicks?: number;
  /** Chat, ownership and admin options (tickRate comes from config). */
  social?: Omit<SocialOptions, 'tickRate'>;
  /**
   * Named trigger zones (boxes or spheres, metres; src/physics/sensors.ts): every moving body
   * entering or leaving one gives a derived '_z' event. Names match ZONE_NAME (event-bodies.ts)
   * and are unique. Default none.
   */
  sensors?: Array<SensorOptions & { name: string }>;
  /**
   * Object scripts (issue 21, src/script/world-scripts.ts): the QuickJS engine and the scripts'
   * limits. Without it the events 'sa', 'sr', 'sm' pass through untouched, as before.
   */
  scripts?: WorldScriptOptions;
  /**
   * Scripts the scene puts on its bodies (src/scene.ts `scripts`), asked for once after `scene`
   * built a fresh world; attached by the world (admin rights, no master), version 1. Ignored
   * without `scripts` and for a restored world (the snapshot has them).
   */
  initialScripts?: () => Array<{ body: BodyHandle; source: string }>;
}

/** An event the main sim refused, with why. */
export interface Refusal {
  event: StreamEvent;
  code: ErrorCode;
  message: string;
}

/** Result of one tick. */
export interface TickResult {
  /** The tick that was applied (the world is now at tick + 1). */
  tick: number;
  /**
   * Derived events to publish into the next tick: '_av' "publicId slot:gen" for each avatar
   * spawned this tick (so a client knows its own body), then '_h' "begin|end avatarPublicId
   * slot:gen slot:gen" for avatar contacts, then '_z' "begin|end zoneName slot:gen" for bodies
   * entering and leaving trigger zones (sensor order, then body slot, END before BEGIN).
   */
  derived: Array<{ type: string; body: string }>;
  refused: Refusal[];
  /** Avatars removed by '_d' this tick, with where they were (m): what an account's avatar record keeps. */
  left: Array<{ publicId: number; position: [number, number, number] }>;
  /** The social layer's messages, ownership changes, chat lines, effects and audit records. */
  social: SocialOutput;
  /** Script attaches, replaces and detaches accepted this tick (absent without WorldSetup.scripts). */
  scripts?: ScriptAttach[];
}

export type { OwnershipRule };

export type { ArtifactPlacement, ArtifactShape };

/** An artifact in the world: its body, shape and mass (its ownership is in MainSim.social). */
export interface PlacedArtifact {
  body: BodyHandle;
  shape: ArtifactShape;
  mass: number;
}

/** Parses and checks an '_ar' body; null when it is not a valid placement (ARTIFACT_PLACE.decode). */
export function parseArtifactPlacement(body: string): ArtifactPlacement | null {
  return ARTIFACT_PLACE.decode(body);
}

const AVATAR = { radius: 0.35, halfHeight: 0.55 } as const;
const SPHERE_RADIUS = 0.25;

/** The world stream's simulation: physics plus the avatar table. */
export class MainSim {
  readonly world: ShardedWorld;
  /** Avatar body of each connected public id. */
  readonly avatars = new Map<number, BodyHandle>();
  /** Public id of each avatar body (for contact events). */
  private readonly avatarOf = new Map<BodyHandle, number>();
  /** Spheres spawned per principal (account id, or minus a guest's public id), oldest first. */
  private readonly spawned = new Map<number, BodyHandle[]>();
  /** Principals whose last session left: the tick their spheres go (spawnLingerTicks). */
  private readonly lingering = new Map<number, number>();
  /** Artifacts in the world by artifact id. */
  readonly artifacts = new Map<number, PlacedArtifact>();
  /** Avatars spawned in the tick being applied (their '_av' events). */
  private spawnedAvatars: Array<[number, BodyHandle]> = [];
  /** Chat, roles, admin and ownership (src/social/social-sim.ts). */
  readonly social: SocialSim;
  private readonly socialWorld: SocialWorld;
  private readonly spawnPoints: Vec3[];
  /** Avatar walk speed, m/s (WorldSetup.walkSpeed, default 4): an input's walk is walkX x walkSpeed / 1000. */
  readonly walkSpeed: number;
  private readonly spawnLimit: number;
  private readonly spawnRange: number;
  private readonly spawnRangeRaw: bigint;
  private readonly spawnLingerTicks: number;
  /** Object scripts (WorldSetup.scripts), or null. */
  readonly scripts: WorldScripts | null;
  /** Refusals of the tick being applied (the scripts report theirs here). */
  private refusedNow: Refusal[] = [];
  private readonly scriptWorld: ScriptWorld;

  /**
   * A new world from `setup` (its scene is built), or, with `saved` (from `save()`), the world
   * continuing from a snapshot (the scene is not rebuilt). Throws RangeError for a bad setup (see
   * ShardedWorld), PhysicsError BAD_HEADER / SyntaxError for a bad snapshot.
   */
  constructor(
    readonly setup: WorldSetup,
    saved?: { physics: Uint8Array; game: string },
  ) {
    const partition = setup.partition ?? { xCuts: [], zCuts: [] };
    if (saved) {
      this.world = ShardedWorld.restore(setup.config, partition, saved.physics, setup.shardOptions);
      const g = JSON.parse(saved.game) as {
        avatars: Array<[number, string]>;
        spawned: Array<[number, string[]]>;
        lingering?: Array<[number, number]>;
        artifacts?: Array<[number, Omit<PlacedArtifact, 'body'> & { body: string }]>;
        social?: string;
        scripts?: Parameters<WorldScripts['load']>[0];
      };
      for (const [p, h] of g.avatars) {
        this.avatars.set(p, BigInt(h));
        this.avatarOf.set(BigInt(h), p);
      }
      for (const [p, list] of g.spawned)
        this.spawned.set(
          p,
          list.map((h) => BigInt(h)),
        );
      for (const [p, due] of g.lingering ?? []) this.lingering.set(p, due);
      for (const [id, a] of g.artifacts ?? []) this.artifacts.set(id, { body: BigInt(a.body), shape: a.shape, mass: a.mass });
      this.social = new SocialSim({ ...setup.social, tickRate: setup.config.tickRate ?? 60 });
      if (g.social) this.social.load(g.social);
      const gravity = this.social.gravitySetting;
      if (gravity) this.world.setGravity(gravity);
      const rate = this.social.tickRateSetting;
      if (rate) this.world.setTickRate(rate);
      if (g.scripts && !setup.scripts) throw new RangeError('the snapshot holds object scripts: the setup needs its scripts option');
      this.scripts = setup.scripts ? new WorldScripts(setup.scripts) : null;
      if (g.scripts) this.scripts?.load(g.scripts);
    } else {
      this.world = new ShardedWorld(setup.config, partition, undefined, setup.shardOptions);
      setup.scene?.(this.world);
      this.social = new SocialSim({ ...setup.social, tickRate: setup.config.tickRate ?? 60 });
      this.scripts = setup.scripts ? new WorldScripts(setup.scripts) : null;
      if (this.scripts && setup.initialScripts) for (const x of setup.initialScripts()) this.scripts.attachInitial(x.body, x.source);
    }
    this.scriptWorld = {
      world: this.world,
      social: this.social,
      isBody: (h) => this.isMoving(h),
      spawnSphere: (position, velocity) => {
        const h = tryAdd(() => this.world.addSphere({ position, velocity, radius: SPHERE_RADIUS, mass: 1, friction: 0.5, restitution: 0.3 }));
        return typeof h === 'bigint' ? h : h.message;
      },
      refuse: (event, code, message) => this.refusedNow.push({ event, code, message }),
    };
    this.socialWorld = {
      avatarPositionRaw: (p) => {
        const h = this.avatars.get(p);
        return h === undefined ? null : this.world.positionRaw(h);
      },
      avatarOf: (p) => this.avatars.get(p),
      isBody: (h) => {
        try {
          this.world.authorityOf(h);
          return true;
        } catch {
          return false;
        }
      }, // live and moving (not a static)
      spawnSphere: (position, velocity, radius) => {
        const h = tryAdd(() => this.world.addSphere({ position, velocity, radius, mass: 1, friction: 0.5, restitution: 0.3 }));
        return typeof h === 'bigint' ? h : h.message;
      },
      setGravity: (g) => this.world.setGravity(g),
      setTickRate: (r) => this.world.setTickRate(r),
      isAvatar: (h) => this.avatarOf.has(h),
    };
    const names = new Set<string>();
    for (const z of setup.sensors ?? []) {
      if (!ZONE_NAME.test(z.name) || names.has(z.name))
        throw new RangeError(`trigger zone name ${JSON.stringify(z.name)} must be unique and match ${ZONE_NAME}`);
      names.add(z.name);
      this.world.addSensor(z, { quiet: saved !== undefined });
    }
    this.spawnPoints = setup.spawnPoints ?? [[0, 1, 0]];
    this.walkSpeed = setup.walkSpeed ?? 4;
    this.spawnLimit = setup.spawnLimit ?? 8;
    this.spawnRange = setup.spawnRange ?? 10;
    this.spawnRangeRaw = toRaw(this.spawnRange);
    this.spawnLingerTicks = setup.spawnLingerTicks ?? 0;
    if (this.spawnPoints.length === 0) throw new RangeError('at least one spawn point');
    if (!(Number.isSafeInteger(this.spawnLingerTicks) && this.spawnLingerTicks >= 0)) throw new RangeError('spawnLingerTicks is an integer >= 0');
    if (!(this.spawnRange >= 0)) throw new RangeError('spawnRange is >= 0 m');
  }

  /** The tick the world is at (state t: the next apply() takes tick t's events). */
  get tick(): number {
    return this.world.tick;
  }

  /**
   * Applies the events of closed tick `tick` (in the stream's canonical order) and steps the
   * physics once. Throws RangeError if `tick` is not the world's tick (ticks cannot be skipped).
   */
  apply(tick: number, events: readonly StreamEvent[]): TickResult {
    if (tick !== this.world.tick) throw new RangeError(`main sim is at tick ${this.world.tick}, got events of tick ${tick}`);
    const refused: Refusal[] = [];
    this.refusedNow = refused;
    const commands: Command[] = [];
    const left: TickResult['left'] = [];
    const refuse = (event: StreamEvent, code: ErrorCode, message: string): void => {
      refused.push({ event, code, message });
    };
    this.social.begin();
    this.scripts?.begin();
    for (const e of events) {
      switch (e.type) {
        case '_c': {
          const p = Number(e.body);
          const no = this.spawnAvatar(p);
          if (no) refuse(e, no.code, `client ${p} has no avatar: ${no.message}`);
          this.social.connected(p);
          this.lingering.delete(-p); // a guest back under its public id keeps its spheres
          break;
        }
        case '_d': {
          const p = Number(e.body),
            h = this.avatars.get(p);
          if (h !== undefined) left.push({ publicId: p, position: this.world.position(h) });
          this.despawnAvatar(p, commands);
          const principal = this.social.principal(p);
          this.social.disconnected(p);
          // what it spawned goes with its last session (before its '_id' it spawned as -p)
          if (!this.social.isOnline(principal)) this.departed(principal, tick, commands);
          if (principal !== -p) this.departed(-p, tick, commands);
          break;
        }
        case '_id': {
          const id = IDENTITY.decode(e.body);
          if (!id) {
            refuse(e, ERROR.BAD_VALUE, '_id is "publicId,accountId,role"');
            break;
          }
          this.social.identify(id);
          this.lingering.delete(this.social.principal(id.publicId)); // an account back keeps its spheres
          break;
        }
        case '_ta': {
          const ta = TEMP_ADMIN.decode(e.body);
          if (ta) this.social.setTempAdmin(ta);
          else refuse(e, ERROR.BAD_VALUE, '_ta is an account id (0 = none)');
          break;
        }
        case '_p': {
          // place an avatar where its account left it: "publicId,x,y,z" (mm)
          const v = PLACE.decode(e.body),
            h = v ? this.avatars.get(v.publicId) : undefined;
          if (v && h !== undefined) commands.push({ kind: 'setPosition', body: h, value: [v.position[0] / 1000, v.position[1] / 1000, v.position[2] / 1000] });
          break;
        }
        case 'in': {
          const v = INPUT.decode(e.body),
            body = this.avatars.get(e.origin);
          if (!v) {
            refuse(e, ERROR.BAD_VALUE, 'input body is "walkX,walkZ,jump" with walk in -1000..1000 and jump 0 or 1');
            break;
          }
          if (body === undefined) {
            refuse(e, ERROR.NOT_FOUND, 'the client has no avatar');
            break;
          }
          const s = this.walkSpeed / 1000;
          commands.push({ kind: 'characterInput', body, walk: [v.walkX * s, v.walkZ * s], jump: v.jump });
          break;
        }
        case 'sp':
          this.spawnSphere(e, refuse);
          break;
        case '_ar':
          this.placeArtifact(e, commands, refuse);
          break;
        case '_ax': {
          const t = ARTIFACT_TAKE.decode(e.body),
            a = t ? this.artifacts.get(t.id) : undefined;
          if (!t || !a) {
            refuse(e, ERROR.NOT_FOUND, `artifact ${e.body} is not in the world`);
            break;
          }
          commands.push({ kind: 'despawn', body: a.body });
          this.artifacts.delete(t.id);
          this.social.dropObject(a.body);
          break;
        }
        case 'sa':
        case 'sr':
        case 'sm':
          if (this.scripts) this.scripts.handle(e, this.scriptWorld);
          else this.social.handle(e, this.socialWorld, commands);
          break;
        default:
          this.social.handle(e, this.socialWorld, commands);
          break;
      }
    }
    this.scripts?.beginTick(tick, this.scriptWorld, commands);
    if (this.lingering.size > 0) {
      for (const [p, due] of [...this.lingering].sort((a, b) => a[0] - b[0])) if (due <= tick) this.despawnSpawned(p, commands);
    }
    this.social.end(tick);
    for (const r of this.world.applyCommands(commands))
      refused.push({ event: { tick, type: 'cmd', origin: 0, body: r.command.kind }, code: ERROR.NOT_FOUND, message: r.error.message });
    this.world.step();
    const derived: TickResult['derived'] = this.spawnedAvatars.map(([publicId, body]) => ({
      type: AVATAR_EVENT.type,
      body: AVATAR_EVENT.encode({ publicId, body }),
    }));
    this.spawnedAvatars = [];
    for (const ev of this.world.events()) {
      const p = this.avatarOf.get(ev.body);
      if (p === undefined) continue;
      derived.push({ type: CONTACT.type, body: CONTACT.encode({ kind: ev.kind, publicId: p, body: ev.body, other: ev.other }) });
    }
    for (const ev of this.world.triggerEvents())
      derived.push({ type: TRIGGER.type, body: TRIGGER.encode({ kind: ev.kind, zone: this.world.sensorName(ev.sensor), body: ev.body }) });
    this.scripts?.afterStep(tick, this.scriptWorld);
    return { tick, derived, refused, left, social: this.social.output, ...(this.scripts ? { scripts: this.scripts.attached } : {}) };
  }

  /**
   * '_ar': a new body for the artifact, with the script it carries (if any); placing one already
   * in the world moves it there instead (its script, if any, stays as it is).
   */
  private placeArtifact(e: StreamEvent, commands: Command[], refuse: (e: StreamEvent, code: ErrorCode, m: string) => void): void {
    const a = ARTIFACT_PLACE.decode(e.body);
    if (!a) {
      refuse(e, ERROR.BAD_VALUE, 'artifact placement is JSON {id, owner, master, rule, shape, mass, p, v} (mm, mm/s)');
      return;
    }
    const position: Vec3 = [a.p[0] / 1000, a.p[1] / 1000, a.p[2] / 1000],
      velocity: Vec3 = [a.v[0] / 1000, a.v[1] / 1000, a.v[2] / 1000];
    const old = this.artifacts.get(a.id);
    if (old) {
      commands.push({ kind: 'setPosition', body: old.body, value: position }, { kind: 'setVelocity', body: old.body, value: velocity });
      this.social.setObject(old.body, { owner: a.owner, master: a.master, rule: a.rule });
      return;
    }
    const common = { position, velocity, mass: a.mass, friction: 0.5, restitution: 0.2 };
    const shape = a.shape;
    const body = tryAdd(() =>
      shape.kind === 'sphere'
        ? this.world.addSphere({ ...common, radius: shape.radius })
        : this.world.addCapsule({ ...common, radius: shape.radius, halfHeight: shape.halfHeight }),
    );
    if (typeof body !== 'bigint') {
      refuse(e, body.code, `artifact ${a.id} is not placed: ${body.message}`);
      return;
    }
    this.artifacts.set(a.id, { body, shape: a.shape, mass: a.mass });
    this.social.setObject(body, { owner: a.owner, master: a.master, rule: a.rule });
    // the script the artifact carries follows it onto the new body (without scripts: ignored)
    if (a.script && this.scripts) this.scripts.attachCarried(body, a.script, e.tick, this.scriptWorld, a.id);
  }

  /** Spawns a client's avatar; why not when the world cannot take it (nothing changed then), else null. */
  private spawnAvatar(publicId: number): AddRefusal | null {
    if (!(publicId > 0) || this.avatars.has(publicId)) return null;
    const p = this.spawnPoints[(publicId - 1) % this.spawnPoints.length];
    const h = tryAdd(() => this.world.addCharacter({ position: p, radius: AVATAR.radius, halfHeight: AVATAR.halfHeight, mass: 70, noSleep: true }));
    if (typeof h !== 'bigint') return h;
    this.spawnedAvatars.push([publicId, h]);
    this.avatars.set(publicId, h);
    this.avatarOf.set(h, publicId);
    return null;
  }

  /** A principal's last session left in `tick`: its spheres go now or after spawnLingerTicks. */
  private departed(principal: number, tick: number, commands: Command[]): void {
    if (!this.spawned.has(principal)) return;
    if (this.spawnLingerTicks === 0) this.despawnSpawned(principal, commands);
    else this.lingering.set(principal, tick + this.spawnLingerTicks);
  }

  /** Despawns every sphere a principal spawned (those still alive) and forgets them. */
  private despawnSpawned(principal: number, commands: Command[]): void {
    for (const h of this.spawned.get(principal) ?? []) {
      if (this.isMoving(h)) commands.push({ kind: 'despawn', body: h });
      this.social.dropObject(h);
    }
    this.spawned.delete(principal);
    this.lingering.delete(principal);
  }

  /** Is `h` a live moving body (an admin may have despawned a spawned sphere already)? */
  private isMoving(h: BodyHandle): boolean {
    try {
      this.world.authorityOf(h);
      return true;
    } catch (e) {
      if (e instanceof PhysicsError) return false;
      throw e;
    }
  }

  private despawnAvatar(publicId: number, commands: Command[]): void {
    const h = this.avatars.get(publicId);
    if (h === undefined) return;
    commands.push({ kind: 'despawn', body: h });
    this.avatars.delete(publicId);
    this.avatarOf.delete(h);
  }

  private spawnSphere(e: StreamEvent, refuse: (e: StreamEvent, code: ErrorCode, m: string) => void): void {
    const v = SPAWN.decode(e.body),
      avatar = this.avatars.get(e.origin);
    if (!v) {
      refuse(e, ERROR.BAD_VALUE, 'spawn body is "x,y,z,vx,vy,vz" in millimetres and mm/s');
      return;
    }
    if (avatar === undefined) {
      refuse(e, ERROR.NOT_FOUND, 'the client has no avatar');
      return;
    }
    const pos: Vec3 = [v.position[0] / 1000, v.position[1] / 1000, v.position[2] / 1000];
    // squared distance in raw fixed point: the body gets exactly toRaw(pos)
    if (!withinDistance(toRawVec(pos), this.world.positionRaw(avatar), this.spawnRangeRaw)) {
      refuse(e, ERROR.NOT_ALLOWED, `spawn within ${this.spawnRange} m of the avatar`);
      return;
    }
    if (v.velocity.some((c) => Math.abs(c) > 50_000)) {
      refuse(e, ERROR.BAD_VALUE, 'spawn speed at most 50 m/s per axis');
      return;
    }
    // the budget is the principal's: an account's sessions and private ids share it
    const me = this.social.principal(e.origin);
    // spheres an admin despawned (or whose slot was reused) no longer count
    const mine = (this.spawned.get(me) ?? []).filter((h) => this.isMoving(h));
    if (mine.length >= this.spawnLimit) {
      const oldest = mine.shift() as BodyHandle;
      this.world.applyCommands([{ kind: 'despawn', body: oldest }]);
      this.social.dropObject(oldest);
    }
    const h = tryAdd(() =>
      this.world.addSphere({
        position: pos,
        velocity: [v.velocity[0] / 1000, v.velocity[1] / 1000, v.velocity[2] / 1000],
        radius: SPHERE_RADIUS,
        mass: 1,
        friction: 0.5,
        restitution: 0.3,
      }),
    );
    if (typeof h !== 'bigint') {
      if (mine.length === 0) this.spawned.delete(me);
      else this.spawned.set(me, mine);
      refuse(e, h.code, h.message);
      return;
    }
    mine.push(h);
    this.spawned.set(me, mine);
    // the spawner is master and owner; others ask (seed 002)
    this.social.setObject(h, { owner: me, master: me, rule: 'ask' });
  }

  /**
   * State hash of tick t: the physics hash and the avatar table (sorted by public id), combined
   * with SHA-256 and cut to 64 bits. Equal for a live run and a replay of its log.
   */
  hash(): bigint {
    // one SHA-256 over the joined parts and the social text: the same digest as an update per
    // part (SHA-256 of the concatenation), without a hash object per tick
    const parts: string[] = [this.world.hash().toString(16)];
    for (const [p, b] of [...this.avatars].sort((a, b) => a[0] - b[0])) parts.push(`|${p}:${b.toString(16)}`);
    for (const [p, list] of [...this.spawned].sort((a, b) => a[0] - b[0])) parts.push(`|s${p}:${list.map((b) => b.toString(16)).join(',')}`);
    for (const [p, due] of [...this.lingering].sort((a, b) => a[0] - b[0])) parts.push(`|l${p}:${due}`);
    for (const [id, a] of [...this.artifacts].sort((x, y) => x[0] - y[0])) parts.push(`|a${id}:${a.body.toString(16)}`);
    parts.push(this.social.hashText());
    if (this.scripts) parts.push(this.scripts.hashText());
    return (oneShotHash('sha256', parts.join(''), 'buffer') as unknown as Buffer).readBigUInt64LE(0);
  }

  /**
   * The state between ticks: the physics (ShardedWorld.save) and the game tables (avatars per
   * public id, spawned spheres per principal, lingering departures, JSON with handles as
   * decimal strings). `new MainSim(setup, saved)`
   * continues from it with the same hash.
   */
  save(): { physics: Uint8Array; game: string } {
    const bySlot = <T>(m: Map<number, T>): Array<[number, T]> => [...m].sort((a, b) => a[0] - b[0]);
    return {
      physics: this.world.save(),
      game: JSON.stringify({
        avatars: bySlot(this.avatars).map(([p, h]) => [p, h.toString()]),
        spawned: bySlot(this.spawned).map(([p, l]) => [p, l.map((h) => h.toString())]),
        lingering: bySlot(this.lingering),
        artifacts: bySlot(this.artifacts).map(([id, a]) => [id, { ...a, body: a.body.toString() }]),
        social: this.social.save(),
        ...(this.scripts && this.scripts.size > 0 ? { scripts: this.scripts.save() } : {}),
      }),
    };
  }

  /** Stops the shard workers. */
  async close(): Promise<void> {
    this.scripts?.dispose();
    await this.world.close();
  }
}

/**
 * The client a refusal concerns (whom the host tells): the event's origin for a client event;
 * for a refused join ('_c' with ERROR.FULL: the world had no slot for its avatar) the joining
 * public id; 0 for server events that concern no client ('_ar', '_id', 'cmd' ...).
 */
export function refusedClient(r: Refusal): number {
  if (r.event.origin > 0) return r.event.origin;
  if (r.event.type === '_c') {
    const p = Number(r.event.body);
    return Number.isSafeInteger(p) && p > 0 ? p : 0;
  }
  return 0;
}

/** Why a body was not added: ERROR.FULL (no free slot) or ERROR.BAD_VALUE (a body the world cannot take), with the core's words. */
export interface AddRefusal {
  code: ErrorCode;
  message: string;
}

/**
 * Runs `add` (one body into the world); an AddRefusal instead of a throw when the world cannot
 * take it (PhysicsError FULL: no free slot; TOO_LARGE, BAD_SHAPE, BAD_MASS ...: not this body).
 * Nothing changed then. Other errors are bugs and propagate.
 */
function tryAdd(add: () => BodyHandle): BodyHandle | AddRefusal {
  try {
    return add();
  } catch (e) {
    if (!(e instanceof PhysicsError)) throw e;
    return e.code === 'FULL'
      ? { code: ERROR.FULL, message: `the world is full: no free body slot (${e.message})` }
      : { code: ERROR.BAD_VALUE, message: `the world cannot take this body (${e.message})` };
  }
}

/** "slot:generation" of a handle (event-bodies.ts encodeHandle). */
export function handleText(h: BodyHandle): string {
  return encodeHandle(h);
}
