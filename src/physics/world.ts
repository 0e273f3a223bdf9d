/**
 * PhysicsWorld: the TypeScript face of one world of the WebAssembly core.
 *
 * It plans the world's memory (world-layout.ts), writes the header (sizes, configuration,
 * array offsets), binds a core instance to it and wraps the exports. Values cross as raw
 * Q47.16 BigInts (`raw` methods) or as JavaScript numbers in metres / seconds converted at
 * this boundary with `toRaw` (round to nearest): the simulation itself never sees a float.
 *
 * Commands (spawn, despawn, velocity, impulse, force, character input) change the world
 * between ticks. `applyCommands` applies a batch in the canonical order (command kind, then
 * body slot, then arrival order), so the same set of commands gives the same world whatever
 * order they arrived in.
 */
import { Core, createMemory, type CoreVariant } from './wasm';
import { planLayout } from './layout';
import { sparseImage } from './sparse';
import { bucketsFor, growWorld, type WorldPlace } from './grow';
import { type JointHandle, type JointKind, type JointSpec, JointSpecError, jointKindOf, writeJointDef } from './joints';
import { cosDegreesRaw, normalizeRaw, toRaw, toRawVec } from './integer';
import { buildHull, HullError, type HullShape } from './hull';
import { buildCompound, type CompoundChild, CompoundError, type CompoundShape, quatMul, quatRotate } from './compound';
import { type RecordScan, type SensorId, type SensorOptions, SensorSet, type TriggerEvent } from './sensors';
import {
  planWorld,
  HEADER,
  HEADER_SLOTS,
  WORLD_MAGIC,
  WORLD_VERSION,
  FIELD_INDEX,
  BODY_DEF,
  SHAPE,
  KIND,
  FLAG,
  BODY_ERROR,
  BODY_RECORD_BYTES,
  EVENT,
  EVENT_BYTES,
  EVENT_KIND,
  STATUS,
  JOINT,
  JOINT_BYTES,
  type WorldPlan,
  type WorldSizes,
} from './world-layout';

/** Bytes of a body record (assembly/physics/transfer.ts). */
export { BODY_RECORD_BYTES };

/** Raw Q47.16 from a number (metres, m/s, kg, ...), rounded to nearest (src/physics/integer.ts). */
export { toRaw };
/** A number from raw Q47.16 (exact below 2^53 raw). */
export const fromRaw = (r: bigint): number => Number(r) / 65536;

/** pi in raw Q16, round(pi 2^16). */
const PI_RAW = 205887n;

/**
 * Mass (raw Q16 kg) of a solid capsule of radius `r` and core half length `h` (raw Q16 m) at
 * density `rho` (raw Q16 kg/m^3): rho pi r^2 (2 h + 4/3 r) (a cylinder of height 2 h and two
 * hemispheres), in BigInt integers (floor), so every machine gets the same bits.
 */
export function capsuleMassRaw(r: bigint, h: bigint, rho: bigint): bigint {
  const v48 = (r * r * (6n * h + 4n * r)) / 3n; // r^2 (2 h + 4/3 r), Q48 m^3
  return (v48 * PI_RAW * rho) >> 64n;
}

/** A body handle: (generation << 32) | slot. */
export type BodyHandle = bigint;
/** A 3-vector in metres (or m/s ...) as numbers. */
export type Vec3 = readonly [number, number, number];

/** A hull shape stored in a world's geometry (PhysicsWorld.addHullShape): its block's word index and the built shape. */
export interface HullShapeRef {
  readonly block: number;
  readonly shape: HullShape;
}

/** A compound shape stored in a world's geometry (PhysicsWorld.addCompoundShape): its block's word index and the built shape. */
export interface CompoundShapeRef {
  readonly block: number;
  readonly shape: CompoundShape;
}

/** v rotated by the unit quaternion q = [x, y, z, w] (v + 2 w (u x v) + 2 u x (u x v), u = q.xyz; + and * only). */
function rotate(q: readonly [number, number, number, number], v: readonly [number, number, number]): [number, number, number] {
  const [x, y, z, w] = q;
  const tx = 2 * (y * v[2] - z * v[1]),
    ty = 2 * (z * v[0] - x * v[2]),
    tz = 2 * (x * v[1] - y * v[0]);
  return [v[0] + w * tx + (y * tz - z * ty), v[1] + w * ty + (z * tx - x * tz), v[2] + w * tz + (x * ty - y * tx)];
}

/** Error from a world operation; `code` names the BODY_ERROR or the world problem. */
export class PhysicsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PhysicsError';
  }
}

const ERROR_NAMES = Object.fromEntries(Object.entries(BODY_ERROR).map(([k, v]) => [-v, k])) as Record<number, string>;

function check(result: bigint | number, what: string): bigint {
  const r = BigInt(result);
  if (r < 0n) {
    const code = ERROR_NAMES[Number(r)] ?? 'UNKNOWN';
    throw new PhysicsError(code, `${what}: ${code.toLowerCase().replace(/_/g, ' ')}`);
  }
  return r;
}

/**
 * Substeps per tick when WorldConfig.substeps is not given. 6 (h = 1/360 s at 60 Hz): dense piles
 * hold (a 20-layer pile's worst overlap 23 mm instead of 205 mm with 4) for about 1.3x the step time
 * of 4 (bench/results/amd-epyc-2c/rest.md, "Dense piles"). The interaction range, and so the shard
 * halo, grows with it: (2 S + 1) contact distances (solver.ts).
 */
export const DEFAULT_SUBSTEPS = 6;
/** Over-relaxation of the Jacobi averaging when WorldConfig.relaxation is not given (see solver.ts). */
export const DEFAULT_RELAXATION = 2;

/** World configuration; every field has a default. Units: SI, as numbers. */
export interface WorldConfig {
  /** Body slots, static bodies included. Default 1024. */
  capacity?: number;
  /**
   * Most body slots the world grows to when a body would not fit (doubling, src/physics/grow.ts;
   * nothing simulated changes). Default `capacity`: the world never grows and a full world
   * refuses new bodies with PhysicsError FULL. Only a world that owns its memory grows
   * (create, restore), not one placed with createAt.
   */
  maxCapacity?: number;
  /** Contact records per body slot (the tick's contact capacity is capacity x this). Default 8. */
  contactsPerBody?: number;
  /** Contact events per tick. Default 4 x capacity. */
  eventCapacity?: number;
  /** Ticks per second (integer). Default 60. */
  tickRate?: number;
  /** Substeps per tick (integer). Default DEFAULT_SUBSTEPS (6). */
  substeps?: number;
  /** Gravity, m/s^2. Default (0, -9.81, 0). */
  gravity?: Vec3;
  /** Contact margin, m: pairs closer than this enter the solver. Default 0.05. */
  margin?: number;
  /** Largest bounding radius of a moving body, m (sets the grid cell). Default 1. */
  maxBodyRadius?: number;
  /** Sleeping: enabled (default true), rest speed m/s (0.05), rest ticks (30). */
  sleep?: { enabled?: boolean; speed?: number; ticks?: number };
  /** Speed limit of every body, m/s. Default 500. */
  maxSpeed?: number;
  /** Relative normal speed below which restitution is ignored, m/s. Default 0.5. */
  restitutionThreshold?: number;
  /** Separation up to which a character stands on a contact, m. Default 0.05. */
  groundTolerance?: number;
  /** Fastest push-out of overlap between moving bodies beyond the substep's approach, m/s (as Box2D's contactPushMaxVelocity). Default 10. */
  maxPushSpeed?: number;
  /** Over-relaxation w of the Jacobi averaging of position corrections: a body with n contacts applies w / n of their sum (1..2). Default DEFAULT_RELAXATION (2). */
  relaxation?: number;
  /** Rolling resistance coefficient of spheres on static ground (dimensionless, >= 0): a rolling ball decelerates by about this times g. Default 0.02. */
  rollingResistance?: number;
  /**
   * i64 words reserved for static heightfields and meshes (addGeometry; a block's size is its
   * `words.length`, src/assets/geometry.ts). Default 0 (no room: worlds without terrain).
   */
  geometryWords?: number;
  /** Joint records (addJoint, src/physics/joints.ts). Default 0 (no room: worlds without joints; addJoint throws JOINTS_FULL). */
  jointCapacity?: number;
}

/**
 * A geometry block for addGeometry (src/assets/geometry.ts encodeGeometry): the core shape
 * (SHAPE.HEIGHTFIELD or SHAPE.MESH), its i64 words and its AABB (raw Q16).
 */
export interface GeometryBlockInput {
  readonly shape: number;
  readonly words: BigInt64Array;
  readonly lo: readonly [bigint, bigint, bigint];
  readonly hi: readonly [bigint, bigint, bigint];
}

/** Options of a body; units SI as numbers. */
export interface BodyOptions {
  position: Vec3;
  velocity?: Vec3;
  angularVelocity?: Vec3;
  /** Mass in kg (dynamic bodies). Default 1. */
  mass?: number;
  restitution?: number;
  friction?: number;
  linearDamping?: number;
  angularDamping?: number;
  gravityScale?: number;
  /** Collision layer bits and the layers it collides with. Default all. */
  layer?: number;
  mask?: number;
  kind?: 'dynamic' | 'kinematic' | 'static';
  /** Never sleeps. */
  noSleep?: boolean;
}

/** A character controller: an upright capsule with walk, jump, slope and step rules. */
export interface CharacterOptions extends BodyOptions {
  radius: number;
  /** Half height of the capsule's core segment (total height = 2 (halfHeight + radius)). */
  halfHeight: number;
  /** Max step height, m. Default 0.3. */
  stepHeight?: number;
  /** Max walkable slope, degrees. Default 45. Its cosine is the core's fixed-point cos (src/physics/integer.ts), not Math.cos. */
  maxSlopeDeg?: number;
  /** Jump speed, m/s. Default 5. */
  jumpSpeed?: number;
}

/** A contact event of the last tick. */
export interface ContactEvent {
  kind: 'begin' | 'end';
  a: BodyHandle;
  b: BodyHandle;
}

/** A command applied between ticks (see applyCommands for the canonical order). */
export type Command =
  | { kind: 'despawn'; body: BodyHandle }
  | { kind: 'setPosition'; body: BodyHandle; value: Vec3 }
  | { kind: 'setVelocity'; body: BodyHandle; value: Vec3 }
  | { kind: 'impulse'; body: BodyHandle; value: Vec3 }
  | { kind: 'force'; body: BodyHandle; value: Vec3 }
  | { kind: 'characterInput'; body: BodyHandle; walk: readonly [number, number]; jump: boolean };

/**
 * Reads `n` event records (EVENT layout, EVENT_BYTES each) starting at byte `at` of `memory`:
 * kind and the two bodies' handles (A is the body an event list reports on).
 */
export function readEvents(memory: WebAssembly.Memory, at: number, n: number): ContactEvent[] {
  const u = new Uint32Array(memory.buffer, at, (n * EVENT_BYTES) / 4);
  const hnd = (slot: number, gen: number): bigint => (BigInt(gen) << 32n) | BigInt(slot);
  return Array.from({ length: n }, (_, k) => {
    const e = (k * EVENT_BYTES) / 4;
    return {
      kind: u[e + EVENT.KIND / 4] === EVENT_KIND.BEGIN ? 'begin' : 'end',
      a: hnd(u[e + EVENT.A / 4], u[e + EVENT.A_GEN / 4]),
      b: hnd(u[e + EVENT.B / 4], u[e + EVENT.B_GEN / 4]),
    };
  });
}

/** The world each core instance is currently bound to (worldBind is per instance). */
const BOUND = new WeakMap<Core, number>();

/**
 * Forgets which world `core` is bound to, for callers that bind it through other exports
 * (the shard functions bind a shard's world themselves): the next PhysicsWorld call rebinds.
 */
export function forgetBinding(core: Core): void {
  BOUND.delete(core);
}

const COMMAND_ORDER: Record<Command['kind'], number> = {
  despawn: 0,
  setPosition: 1,
  setVelocity: 2,
  impulse: 3,
  force: 4,
  characterInput: 5,
};

/** One physics world over a core instance. */
export class PhysicsWorld {
  private place: WorldPlace;
  private offsets: Record<string, number>;

  private constructor(
    place: WorldPlace,
    /** Whether the world has its memory to itself (create, restore): only then can it grow. */
    private readonly owns: boolean,
  ) {
    this.place = place;
    this.offsets = PhysicsWorld.absolute(place);
  }

  private static absolute(p: WorldPlace): Record<string, number> {
    return Object.fromEntries(Object.entries(p.plan.offsets).map(([k, v]) => [k, p.base + v]));
  }

  /** The core instance the world runs in (a new one after the world grows). */
  get core(): Core {
    return this.place.core;
  }
  /** Byte offset of the world in the core's memory. */
  get base(): number {
    return this.place.base;
  }
  /** The world's memory layout (its sizes change when it grows). */
  get plan(): WorldPlan {
    return this.place.plan;
  }
  /** Body slots the world has now. */
  get capacity(): number {
    return this.place.plan.sizes.capacity;
  }

  private i64(): BigInt64Array {
    return this.place.core.i64();
  }

  /** Moves the world to a new place (grown or loaded) and binds the new core to it. */
  private moveTo(p: WorldPlace): void {
    this.place = p;
    this.offsets = PhysicsWorld.absolute(p);
    BOUND.delete(p.core);
    void this.x;
  }

  /**
   * Grows the world (doubling, up to HEADER.MAX_CAPACITY) until `slot` is below its capacity.
   * False when it cannot: the slot is beyond the maximum, or the world does not own its memory.
   */
  private growFor(slot: number): boolean {
    const max = Number(this.header(HEADER.MAX_CAPACITY));
    if (!this.owns || slot >= max) return false;
    let next = this.capacity;
    while (next <= slot) next = Math.min(max, next * 2);
    this.moveTo(growWorld(this.place, next));
    return true;
  }

  /** bodyCreate of the definition written at BODY_DEF, growing the world once when it is full. */
  private createBody(what: string): BodyHandle {
    let r = BigInt(this.x.bodyCreate());
    if (r === -BigInt(BODY_ERROR.FULL) && this.growFor(this.capacity)) r = BigInt(this.x.bodyCreate());
    return check(r, what);
  }

  /** The sizes a configuration asks for (capacity, contacts, events, grid buckets). */
  static sizesFor(config: WorldConfig = {}): WorldSizes {
    const capacity = config.capacity ?? 1024;
    return {
      capacity,
      contacts: capacity * (config.contactsPerBody ?? 8),
      events: config.eventCapacity ?? capacity * 4,
      buckets: bucketsFor(capacity),
      ...(config.geometryWords !== undefined ? { geometry: config.geometryWords } : {}),
      ...(config.jointCapacity ? { joints: config.jointCapacity } : {}),
    };
  }

  /**
   * Creates an empty world in a fresh memory (shared by default, so workers can bind it too).
   * Throws RangeError for invalid sizes or configuration.
   */
  static create(config: WorldConfig = {}, opts: { variant?: CoreVariant } = {}): PhysicsWorld {
    const plan = planWorld(PhysicsWorld.sizesFor(config));
    const layout = planLayout([['world', plan.bytes]]);
    const variant = opts.variant ?? 'release';
    const memory = createMemory({ pages: layout.pages, shared: variant !== 'unshared' });
    return PhysicsWorld.init(Core.instantiate(memory, variant), layout.regions.world.offset, config, true);
  }

  /**
   * Creates an empty world at byte offset `base` of an existing core's memory; the region
   * [base, base + planWorld(sizesFor(config)).bytes) must be free (layout.planLayout). Several
   * worlds may share one core and memory: each PhysicsWorld binds the core to its own world
   * before every call. Throws RangeError for invalid sizes or configuration.
   */
  static createAt(core: Core, base: number, config: WorldConfig = {}): PhysicsWorld {
    return PhysicsWorld.init(core, base, config, false);
  }

  private static init(core: Core, base: number, config: WorldConfig, owns: boolean): PhysicsWorld {
    const sizes = PhysicsWorld.sizesFor(config);
    const plan = planWorld(sizes);
    if (base % 64 !== 0 || base + plan.bytes > core.byteLength) throw new RangeError(`world region at ${base} (${plan.bytes} bytes) does not fit the memory`);
    const h = new BigInt64Array(core.memory.buffer, base, HEADER_SLOTS);
    const tickRate = config.tickRate ?? 60,
      substeps = config.substeps ?? DEFAULT_SUBSTEPS;
    if (!Number.isInteger(tickRate) || tickRate < 1 || tickRate > 1000) throw new RangeError(`tickRate ${tickRate} must be an integer in 1..1000`);
    if (!Number.isInteger(substeps) || substeps < 1 || substeps > 64) throw new RangeError(`substeps ${substeps} must be an integer in 1..64`);
    const margin = config.margin ?? 0.05;
    const maxR = config.maxBodyRadius ?? 1;
    if (!(margin > 0) || !(maxR > 0)) throw new RangeError('margin and maxBodyRadius must be positive');
    const cell = toRaw(2 * maxR + margin);
    const g = config.gravity ?? [0, -9.81, 0];
    h.fill(0n);
    h[HEADER.MAGIC] = BigInt.asIntN(64, WORLD_MAGIC);
    h[HEADER.VERSION] = WORLD_VERSION;
    h[HEADER.CAPACITY] = BigInt(sizes.capacity);
    h[HEADER.CONTACT_CAPACITY] = BigInt(sizes.contacts);
    h[HEADER.EVENT_CAPACITY] = BigInt(sizes.events);
    h[HEADER.GRID_BUCKETS] = BigInt(sizes.buckets);
    h[HEADER.TICK] = 0n;
    h[HEADER.GRAVITY_X] = toRaw(g[0]);
    h[HEADER.GRAVITY_Y] = toRaw(g[1]);
    h[HEADER.GRAVITY_Z] = toRaw(g[2]);
    h[HEADER.TICK_RATE] = BigInt(tickRate);
    h[HEADER.SUBSTEPS] = BigInt(substeps);
    h[HEADER.MARGIN] = toRaw(margin);
    h[HEADER.CELL_SIZE] = cell;
    h[HEADER.INV_CELL] = (1n << 32n) / cell;
    h[HEADER.SLEEP_ENABLED] = config.sleep?.enabled === false ? 0n : 1n;
    h[HEADER.SLEEP_SPEED] = toRaw(config.sleep?.speed ?? 0.05);
    h[HEADER.SLEEP_TICKS] = BigInt(config.sleep?.ticks ?? 30);
    h[HEADER.MAX_SPEED] = toRaw(config.maxSpeed ?? 500);
    h[HEADER.RESTITUTION_THRESHOLD] = toRaw(config.restitutionThreshold ?? 0.5);
    h[HEADER.GROUND_TOLERANCE] = toRaw(config.groundTolerance ?? 0.05);
    h[HEADER.MAX_PUSH] = toRaw(config.maxPushSpeed ?? 10);
    const relax = config.relaxation ?? DEFAULT_RELAXATION;
    if (!(relax >= 1 && relax <= 2)) throw new RangeError(`relaxation ${relax} must be in [1, 2]`);
    h[HEADER.RELAX] = toRaw(relax);
    const maxCapacity = config.maxCapacity ?? sizes.capacity;
    if (!Number.isInteger(maxCapacity) || maxCapacity < sizes.capacity)
      throw new RangeError(`maxCapacity ${maxCapacity} must be an integer >= capacity ${sizes.capacity}`);
    h[HEADER.MAX_CAPACITY] = BigInt(maxCapacity);
    const rolling = config.rollingResistance ?? 0.02;
    if (!(rolling >= 0 && rolling <= 1)) throw new RangeError(`rollingResistance ${rolling} must be in [0, 1]`);
    h[HEADER.ROLLING] = toRaw(rolling);
    h[HEADER.GEOMETRY_CAPACITY] = BigInt(sizes.geometry ?? 0);
    h[HEADER.JOINT_CAPACITY] = BigInt(sizes.joints ?? 0);
    for (const [name, index] of Object.entries(FIELD_INDEX)) h[HEADER.OFFSETS_AT + index] = BigInt(plan.offsets[name]);
    if ((core.exports as unknown as WorldExports).worldInit(base) !== 0) throw new PhysicsError('BAD_HEADER', 'world header rejected by the core');
    BOUND.set(core, base);
    return new PhysicsWorld({ core, base, plan }, owns);
  }

  /**
   * Typed view of the world's exports (the WASM functions added by assembly/api/world.ts),
   * with the core bound to this world first (a core may serve several worlds).
   */
  private get x(): WorldExports {
    const x = this.core.exports as unknown as WorldExports;
    if (BOUND.get(this.core) !== this.base) {
      if (x.worldBind(this.base) !== 0) throw new PhysicsError('BAD_HEADER', 'world header rejected by the core');
      BOUND.set(this.core, this.base);
    }
    return x;
  }

  /** Header slot value. */
  header(slot: number): bigint {
    return this.i64()[(this.base >> 3) + slot];
  }

  /** Sets gravity (m/s^2) from the next step (header slots read by the solver each step). */
  setGravity(g: Vec3): void {
    setGravityAt(this.i64(), this.base, g);
  }

  /** Sets the tick rate (Hz, integer) from the next step, with its derived substep constants. */
  setTickRate(rate: number): void {
    setTickRateAt(this.i64(), this.base, rate);
  }

  /** Current tick (ticks stepped since creation). */
  get tick(): number {
    return Number(this.header(HEADER.TICK));
  }
  /** Live bodies, static ones included. */
  get bodyCount(): number {
    return Number(this.header(HEADER.LIVE));
  }
  /** Status bits of the last step (STATUS in world-layout.ts); 0 = fine. */
  get status(): number {
    return Number(this.header(HEADER.STATUS));
  }
  /** Contacts of the last tick. */
  get contactCount(): number {
    return Number(this.header(HEADER.CONTACT_COUNT));
  }
  /**
   * Cost counters (not state, not hashed): `awake` bodies on the awake list now (what the next
   * step moves), `participants` of the last step (its awake bodies and their sleeping contact
   * partners) and `work`, the per-body visits summed over the last step's per-body loops. A
   * world's step costs O(work + contacts), whatever number of bodies sleep.
   */
  activity(): { awake: number; participants: number; work: number } {
    return { awake: Number(this.header(HEADER.AWAKE_COUNT)), participants: Number(this.header(HEADER.PART_COUNT)), work: Number(this.header(HEADER.WORK)) };
  }

  /**
   * Checks the awake list and the sleep hash against the bodies' flags (O(slots), for tests):
   * 0 when every live moving body is in exactly the structure its flags name, else a code
   * saying what is wrong (assembly/physics/world.ts worldCheckLists).
   */
  checkActivityLists(): number {
    return this.x.worldCheckLists();
  }

  private writeDef(shape: number, o: BodyOptions, extra: Partial<Record<keyof typeof BODY_DEF, bigint>>): void {
    const d = this.i64();
    const at = this.offsets.BODY_DEF >> 3;
    d.fill(0n, at, at + 32);
    const kind = o.kind === 'kinematic' ? KIND.KINEMATIC : o.kind === 'static' ? KIND.STATIC : KIND.DYNAMIC;
    const set = (k: keyof typeof BODY_DEF, v: bigint): void => {
      d[at + BODY_DEF[k]] = v;
    };
    set('KIND', BigInt(kind));
    set('SHAPE', BigInt(shape));
    set('FLAGS', BigInt(o.noSleep ? FLAG.NO_SLEEP : 0));
    set('LAYER', BigInt((o.layer ?? 0xffffffff) | 0));
    set('MASK', BigInt((o.mask ?? 0xffffffff) | 0));
    const [px, py, pz] = o.position,
      [vx, vy, vz] = o.velocity ?? [0, 0, 0],
      [wx, wy, wz] = o.angularVelocity ?? [0, 0, 0];
    set('PX', toRaw(px));
    set('PY', toRaw(py));
    set('PZ', toRaw(pz));
    set('VX', toRaw(vx));
    set('VY', toRaw(vy));
    set('VZ', toRaw(vz));
    set('WX', toRaw(wx));
    set('WY', toRaw(wy));
    set('WZ', toRaw(wz));
    set('MASS', toRaw(o.mass ?? 1));
    set('RESTITUTION', toRaw(o.restitution ?? 0));
    set('FRICTION', toRaw(o.friction ?? 0.5));
    set('LIN_DAMPING', toRaw(o.linearDamping ?? 0));
    set('ANG_DAMPING', toRaw(o.angularDamping ?? 0));
    set('GRAVITY_SCALE', toRaw(o.gravityScale ?? 1));
    for (const [k, v] of Object.entries(extra)) set(k as keyof typeof BODY_DEF, v as bigint);
  }

  /** Adds a sphere of `radius` m. Returns its handle; throws PhysicsError (FULL, BAD_SHAPE, TOO_LARGE, BAD_MASS). */
  addSphere(o: BodyOptions & { radius: number }): BodyHandle {
    this.writeDef(SHAPE.SPHERE, o, { RADIUS: toRaw(o.radius) });
    return this.createBody('addSphere');
  }

  /** Adds an upright capsule (rotation locked). */
  addCapsule(o: BodyOptions & { radius: number; halfHeight: number }): BodyHandle {
    this.writeDef(SHAPE.CAPSULE, o, { RADIUS: toRaw(o.radius), HY: toRaw(o.halfHeight) });
    return this.createBody('addCapsule');
  }

  /** Adds a character controller capsule (see CharacterOptions). */
  addCharacter(o: CharacterOptions): BodyHandle {
    this.writeDef(
      SHAPE.CAPSULE,
      { friction: 0, ...o },
      {
        RADIUS: toRaw(o.radius),
        HY: toRaw(o.halfHeight),
        FLAGS: BigInt(FLAG.CHARACTER | (o.noSleep ? FLAG.NO_SLEEP : 0)),
        CHAR_STEP: toRaw(o.stepHeight ?? 0.3),
        CHAR_SLOPE_COS: cosDegreesRaw(this.core, o.maxSlopeDeg ?? 45),
        CHAR_JUMP: toRaw(o.jumpSpeed ?? 5),
      },
    );
    return this.createBody('addCharacter');
  }

  /** Adds a static axis-aligned box with half extents `half` m. */
  addBox(o: Omit<BodyOptions, 'kind'> & { half: Vec3 }): BodyHandle {
    this.writeDef(SHAPE.BOX, { ...o, kind: 'static' }, { HX: toRaw(o.half[0]), HY: toRaw(o.half[1]), HZ: toRaw(o.half[2]) });
    return this.createBody('addBox');
  }

  /**
   * Adds a dynamic, rotating box (assembly/physics/box-contacts.ts) with half extents `half`
   * (m, each > 0) and `orientation`, a quaternion [x, y, z, w] (normalized by the core;
   * default identity). Its mass is `density` (kg/m^3) times the volume 8 hx hy hz when
   * `density` is given, computed in fixed point from the raw half extents (the same bits on
   * every machine), else `mass` (kg, default 1); its inertia is the solid cuboid's (the core
   * derives it from mass and half extents). The bounding sphere sqrt(hx^2 + hy^2 + hz^2)
   * must fit the world's max body radius. Returns its handle; throws PhysicsError (FULL,
   * BAD_SHAPE for a non-positive extent, BAD_MASS, TOO_LARGE).
   */
  addDynamicBox(o: Omit<BodyOptions, 'kind'> & { half: Vec3; density?: number; orientation?: readonly [number, number, number, number] }): BodyHandle {
    const hx = toRaw(o.half[0]),
      hy = toRaw(o.half[1]),
      hz = toRaw(o.half[2]);
    const extra: Partial<Record<keyof typeof BODY_DEF, bigint>> = { HX: hx, HY: hy, HZ: hz };
    if (o.density !== undefined) extra.MASS = (((((hx * hy) >> 16n) * hz) >> 16n) * 8n * toRaw(o.density)) >> 16n;
    if (o.orientation) {
      extra.QX = toRaw(o.orientation[0]);
      extra.QY = toRaw(o.orientation[1]);
      extra.QZ = toRaw(o.orientation[2]);
      extra.QW = toRaw(o.orientation[3]);
    }
    this.writeDef(SHAPE.BOX, { ...o, kind: 'dynamic' }, extra);
    return this.createBody('addDynamicBox');
  }

  /**
   * Stores a convex hull shape once in the world's geometry (GEOMETRY, covered by the world
   * hash; WorldConfig.geometryWords must leave room: about 10 + 3 V + 10 F words) and returns
   * it, to be referenced by any number of addHull bodies. `vertices`: 4 to 64 points (m, the
   * shape's own frame; interior points are dropped), built exactly by src/physics/hull.ts
   * buildHull (faces, mass properties per unit density, principal frame). Throws PhysicsError
   * HULL_TOO_MANY_VERTICES (more than 64 points), HULL_DEGENERATE (fewer than 4 distinct
   * points, all on one plane, or too thin), HULL_BAD_VERTEX (not finite, beyond 256 m),
   * TOO_LARGE (its bounding sphere about the centroid exceeds the world's maxBodyRadius),
   * GEOMETRY_FULL.
   */
  addHullShape(vertices: ReadonlyArray<readonly [number, number, number]>): HullShapeRef {
    let shape: HullShape;
    try {
      shape = buildHull(vertices);
    } catch (e) {
      if (e instanceof HullError) throw new PhysicsError(e.code, `addHullShape: ${e.message}`);
      throw e;
    }
    const bound = shape.words[4],
      margin = this.header(HEADER.MARGIN);
    if (2n * bound + margin > this.header(HEADER.CELL_SIZE))
      throw new PhysicsError('TOO_LARGE', `addHullShape: the hull's bounding radius ${shape.boundingRadius.toFixed(3)} m exceeds the world's maxBodyRadius`);
    const used = Number(this.header(HEADER.GEOMETRY_USED)),
      cap = Number(this.header(HEADER.GEOMETRY_CAPACITY));
    if (used + shape.words.length > cap)
      throw new PhysicsError('GEOMETRY_FULL', `addHullShape: ${shape.words.length} words do not fit (${used} of ${cap} used): raise WorldConfig.geometryWords`);
    const d = this.i64();
    d.set(shape.words, (this.offsets.GEOMETRY >> 3) + used);
    d[(this.base >> 3) + HEADER.GEOMETRY_USED] = BigInt(used + shape.words.length);
    return { block: used, shape };
  }

  /**
   * Adds a dynamic convex hull body (assembly/physics/hull.ts) of a shape from addHullShape
   * (or, with `vertices`, a new shape stored first). `position` and `orientation` place the
   * shape's own frame (the frame its vertices were given in); the body's position (position(h))
   * is its centre of mass and its orientation (orientation(h)) that of its principal frame
   * (HullShape.centroid, .rotation). Mass: `density` (kg/m^3) times the exact volume when given,
   * in integers (the same bits everywhere), else `mass` (kg, default 1); inertia from the
   * shape's principal moments. Throws PhysicsError as addHullShape, and FULL, BAD_MASS.
   */
  addHull(
    o: Omit<BodyOptions, 'kind'> & {
      shape?: HullShapeRef;
      vertices?: ReadonlyArray<readonly [number, number, number]>;
      density?: number;
      orientation?: readonly [number, number, number, number];
    },
  ): BodyHandle {
    const ref = o.shape ?? (o.vertices ? this.addHullShape(o.vertices) : undefined);
    if (!ref) throw new PhysicsError('HULL_DEGENERATE', 'addHull: give a shape (addHullShape) or vertices');
    const s = ref.shape;
    const [qx, qy, qz, qw] = o.orientation ?? [0, 0, 0, 1];
    // the centroid's place: position + rotate(q, centroid); the principal frame's orientation: q * rotation
    const [cx, cy, cz] = rotate([qx, qy, qz, qw], s.centroid);
    const [rx, ry, rz, rw] = s.rotation;
    const q = [
      qw * rx + qx * rw + qy * rz - qz * ry,
      qw * ry - qx * rz + qy * rw + qz * rx,
      qw * rz + qx * ry - qy * rx + qz * rw,
      qw * rw - qx * rx - qy * ry - qz * rz,
    ];
    const extra: Partial<Record<keyof typeof BODY_DEF, bigint>> = {
      CHAR_STEP: BigInt(ref.block),
      QX: toRaw(q[0]),
      QY: toRaw(q[1]),
      QZ: toRaw(q[2]),
      QW: toRaw(q[3]),
    };
    if (o.density !== undefined) extra.MASS = (s.volumeRaw * toRaw(o.density)) >> 16n;
    this.writeDef(SHAPE.HULL, { ...o, position: [o.position[0] + cx, o.position[1] + cy, o.position[2] + cz], kind: 'dynamic' }, extra);
    return this.createBody('addHull');
  }

  /**
   * Stores a compound shape once in the world's geometry (GEOMETRY, covered by the world hash;
   * WorldConfig.geometryWords must leave room: 8 + 16 N words) and returns it, to be referenced
   * by any number of addCompound bodies. `children`: 2 to 16 child shapes (src/physics/
   * compound.ts CompoundChild: sphere, box, rotating capsule, or a hull from addHullShape of
   * this world), each with a position and orientation in the compound's own frame and a
   * density; mass, centre of mass, inertia tensor (parallel-axis theorem) and principal frame
   * are computed exactly by buildCompound. Throws PhysicsError COMPOUND_CHILDREN (fewer than 2
   * or more than 16), COMPOUND_BAD_CHILD (unknown shape, a hull not stored in this world),
   * BAD_SHAPE (a size not a positive finite number, a pose not finite or beyond 256 m),
   * BAD_MASS (a density not positive, no mass), TOO_LARGE (its bounding sphere about the centre
   * of mass exceeds the world's maxBodyRadius), GEOMETRY_FULL.
   */
  addCompoundShape(children: ReadonlyArray<CompoundChild>): CompoundShapeRef {
    let shape: CompoundShape;
    try {
      shape = buildCompound(children);
    } catch (e) {
      if (e instanceof CompoundError) throw new PhysicsError(e.code, `addCompoundShape: ${e.message}`);
      throw e;
    }
    const used = Number(this.header(HEADER.GEOMETRY_USED)),
      cap = Number(this.header(HEADER.GEOMETRY_CAPACITY));
    const d = this.i64();
    const geo = this.offsets.GEOMETRY >> 3;
    children.forEach((c, k) => {
      if (c.shape !== 'hull') return;
      const b = c.hull.block;
      const w = c.hull.shape.words;
      let same = Number.isInteger(b) && b >= 0 && b + w.length <= used;
      for (let t = 0; same && t < w.length; t++) same = d[geo + b + t] === w[t];
      if (!same) throw new PhysicsError('COMPOUND_BAD_CHILD', `addCompoundShape: child ${k}'s hull is not a shape stored in this world (addHullShape)`);
    });
    const bound = shape.words[2],
      margin = this.header(HEADER.MARGIN);
    if (2n * bound + margin > this.header(HEADER.CELL_SIZE))
      throw new PhysicsError(
        'TOO_LARGE',
        `addCompoundShape: the compound's bounding radius ${shape.boundingRadius.toFixed(3)} m exceeds the world's maxBodyRadius`,
      );
    if (used + shape.words.length > cap)
      throw new PhysicsError(
        'GEOMETRY_FULL',
        `addCompoundShape: ${shape.words.length} words do not fit (${used} of ${cap} used): raise WorldConfig.geometryWords`,
      );
    d.set(shape.words, geo + used);
    d[(this.base >> 3) + HEADER.GEOMETRY_USED] = BigInt(used + shape.words.length);
    return { block: used, shape };
  }

  /**
   * Adds a dynamic compound body (assembly/physics/compound.ts) of a shape from
   * addCompoundShape (or, with `children`, a new shape stored first). `position` and
   * `orientation` place the compound's own frame (the frame its children were given in); the
   * body's position (position(h)) is its centre of mass and its orientation (orientation(h))
   * that of its principal frame (CompoundShape.centroid, .rotation). Mass: the shape's (its
   * children's densities times volumes) unless `mass` (kg) is given, which scales the whole
   * distribution. Throws PhysicsError as addCompoundShape, and BAD_SHAPE (neither shape nor
   * children), FULL, BAD_MASS.
   */
  addCompound(
    o: Omit<BodyOptions, 'kind' | 'mass'> & {
      shape?: CompoundShapeRef;
      children?: ReadonlyArray<CompoundChild>;
      mass?: number;
      orientation?: readonly [number, number, number, number];
    },
  ): BodyHandle {
    const ref = o.shape ?? (o.children ? this.addCompoundShape(o.children) : undefined);
    if (!ref) throw new PhysicsError('BAD_SHAPE', 'addCompound: give a shape (addCompoundShape) or children');
    const s = ref.shape;
    const q0 = o.orientation ?? [0, 0, 0, 1];
    const [cx, cy, cz] = quatRotate(q0, s.centroid);
    const q = quatMul(q0, s.rotation);
    const extra: Partial<Record<keyof typeof BODY_DEF, bigint>> = {
      CHAR_STEP: BigInt(ref.block),
      QX: toRaw(q[0]),
      QY: toRaw(q[1]),
      QZ: toRaw(q[2]),
      QW: toRaw(q[3]),
    };
    if (o.mass === undefined) extra.MASS = s.massRaw;
    this.writeDef(SHAPE.COMPOUND, { ...o, position: [o.position[0] + cx, o.position[1] + cy, o.position[2] + cz], kind: 'dynamic' }, extra);
    return this.createBody('addCompound');
  }

  /**
   * Adds a dynamic capsule that rotates (assembly/physics/capsule-contacts.ts), beside the
   * upright, rotation-locked capsule of addCapsule and addCharacter: a core segment of half
   * length `halfHeight` (m, > 0) along the body's local y axis, swept by a sphere of `radius`
   * (m, > 0); total length 2 (halfHeight + radius). `orientation` is a quaternion [x, y, z, w]
   * (normalized by the core; default identity: upright). Its mass is `density` (kg/m^3) times
   * the volume pi r^2 (2 h + 4/3 r) when `density` is given, computed in integers from the raw
   * sizes (the same bits on every machine), else `mass` (kg, default 1); its inertia is the
   * solid capsule's (the core derives it from mass, radius and half length: capsuleInertia).
   * radius + halfHeight must fit the world's max body radius. Returns its handle; throws
   * PhysicsError BAD_SHAPE (a size that is not a positive finite number, with the size named),
   * BAD_MASS (a density or mass that is not positive), TOO_LARGE, FULL.
   */
  addRotatingCapsule(
    o: Omit<BodyOptions, 'kind'> & { radius: number; halfHeight: number; density?: number; orientation?: readonly [number, number, number, number] },
  ): BodyHandle {
    for (const [name, v] of [
      ['radius', o.radius],
      ['halfHeight', o.halfHeight],
    ] as const) {
      if (!Number.isFinite(v) || toRaw(v) <= 0n)
        throw new PhysicsError('BAD_SHAPE', `addRotatingCapsule: ${name} must be a positive number of metres (at least 2^-16), got ${v}`);
    }
    if (o.density !== undefined && !(Number.isFinite(o.density) && o.density > 0)) {
      throw new PhysicsError('BAD_MASS', `addRotatingCapsule: density must be a positive number of kg/m^3, got ${o.density}`);
    }
    const r = toRaw(o.radius),
      h = toRaw(o.halfHeight);
    const extra: Partial<Record<keyof typeof BODY_DEF, bigint>> = { RADIUS: r, HY: h };
    if (o.density !== undefined) extra.MASS = capsuleMassRaw(r, h, toRaw(o.density));
    if (o.orientation) {
      extra.QX = toRaw(o.orientation[0]);
      extra.QY = toRaw(o.orientation[1]);
      extra.QZ = toRaw(o.orientation[2]);
      extra.QW = toRaw(o.orientation[3]);
    }
    this.writeDef(SHAPE.ROTATING_CAPSULE, { ...o, kind: 'dynamic' }, extra);
    return this.createBody('addRotatingCapsule');
  }

  /**
   * Principal moments of inertia (kg m^2) of a rotating capsule about its local x, y (the core's
   * axis) and z axes, as the solver uses them (1 / the core's Q16 inverse). Throws PhysicsError
   * STALE_HANDLE, BAD_SHAPE for another shape.
   */
  capsuleInertia(h: BodyHandle): [number, number, number] {
    const out: number[] = [];
    for (let k = 0; k < 3; k++) {
      const inv = this.x.capsuleInertiaOf(h, k);
      if (inv < 0n) {
        this.slot(h);
        throw new PhysicsError('BAD_SHAPE', 'capsuleInertia: not a rotating capsule');
      }
      out.push(inv === 0n ? Number.POSITIVE_INFINITY : 65536 / Number(inv));
    }
    return out as [number, number, number];
  }

  /**
   * Adds a joint (src/physics/joints.ts JointSpec: fixed, hinge with limits and a motor, ball,
   * distance; b null = the static world) solved in every substep (assembly/physics/joints.ts:
   * XPBD, Mueller et al. 2020). Wakes both bodies. Returns its handle (its index is its place
   * in the canonical solve order: the lowest free entry). Throws PhysicsError BAD_JOINT (a
   * definition the joint kind does not allow, no dynamic end, a = b, a zero axis, limits or
   * lengths out of order), STALE_HANDLE (an end is not a live body), JOINTS_FULL (the world's
   * WorldConfig.jointCapacity is used up; 0 by default).
   */
  addJoint(spec: JointSpec): JointHandle {
    try {
      writeJointDef(this.i64(), this.offsets.BODY_DEF >> 3, spec);
    } catch (e) {
      if (e instanceof JointSpecError) throw new PhysicsError('BAD_JOINT', e.message);
      throw e;
    }
    return check(this.x.jointCreate(), 'addJoint');
  }

  /** Removes a joint; both its bodies wake. Removing a body removes its joints. Throws PhysicsError STALE_HANDLE. */
  removeJoint(j: JointHandle): void {
    check(this.x.jointRemove(j), 'removeJoint');
  }

  /** The words of every joint entry in use (a copy of JOINTS[0, JOINT_HIGH_WATER), JOINT_BYTES / 8 per entry; world-layout.ts JOINT). */
  jointRecords(): BigInt64Array {
    const n = Number(this.header(HEADER.JOINT_HIGH_WATER)) * (JOINT_BYTES >> 3);
    const at = this.offsets.JOINTS >> 3;
    return this.i64().slice(at, at + n);
  }

  /** The bodies of a live joint (b null: the world). Throws PhysicsError STALE_HANDLE. */
  jointBodies(j: JointHandle): { a: BodyHandle; b: BodyHandle | null } {
    if (this.jointKind(j) === null) throw new PhysicsError('STALE_HANDLE', 'stale joint handle');
    const d = this.i64(),
      at = (this.offsets.JOINTS >> 3) + Number(j & 0xffffffffn) * (JOINT_BYTES >> 3);
    const handle = (slot: bigint, gen: bigint): BodyHandle => (BigInt.asUintN(32, gen) << 32n) | BigInt.asUintN(32, slot);
    return { a: handle(d[at + JOINT.A], d[at + JOINT.A_GEN]), b: d[at + JOINT.B] < 0n ? null : handle(d[at + JOINT.B], d[at + JOINT.B_GEN]) };
  }

  /** The kind of a live joint, or null when the handle is stale. */
  jointKind(j: JointHandle): JointKind | null {
    const e = Number(j & 0xffffffffn);
    if (j < 0n || e >= Number(this.header(HEADER.JOINT_HIGH_WATER))) return null;
    const at = (this.offsets.JOINTS >> 3) + e * (JOINT_BYTES >> 3);
    const d = this.i64();
    if (d[at + JOINT.GEN] !== j >> 32n) return null;
    return jointKindOf(d[at + JOINT.KIND]);
  }

  /**
   * A hinge's angle, radians: the rotation of body A relative to B (or the world) about the
   * axis since the joint was made, in [-pi, pi]. Throws PhysicsError STALE_HANDLE, BAD_JOINT
   * for another kind of joint.
   */
  jointAngle(j: JointHandle): number {
    if (this.jointKind(j) === null) throw new PhysicsError('STALE_HANDLE', 'jointAngle: stale joint handle');
    if (this.jointKind(j) !== 'hinge') throw new PhysicsError('BAD_JOINT', `jointAngle: a ${this.jointKind(j)} joint has no angle`);
    return fromRaw(BigInt(this.x.jointMeasure(j)));
  }

  /** A distance joint's current length (distance of its anchors), metres. Throws PhysicsError STALE_HANDLE, BAD_JOINT for another kind. */
  jointLength(j: JointHandle): number {
    if (this.jointKind(j) === null) throw new PhysicsError('STALE_HANDLE', 'jointLength: stale joint handle');
    if (this.jointKind(j) !== 'distance') throw new PhysicsError('BAD_JOINT', `jointLength: a ${this.jointKind(j)} joint has no length`);
    return fromRaw(BigInt(this.x.jointMeasure(j)));
  }

  /** A body's orientation quaternion [x, y, z, w] (unit, from raw Q16). */
  orientation(h: BodyHandle): [number, number, number, number] {
    const s = this.slot(h),
      d = this.i64();
    return (['QX', 'QY', 'QZ', 'QW'] as const).map((n) => fromRaw(d[(this.offsets[n] >> 3) + s])) as [number, number, number, number];
  }

  /** Adds a static plane n . x = offset (n normalized by the core); bodies stay on the n side. */
  addPlane(o: { normal: Vec3; offset: number; friction?: number; restitution?: number; layer?: number; mask?: number }): BodyHandle {
    this.writeDef(
      SHAPE.PLANE,
      { position: [0, 0, 0], kind: 'static', friction: o.friction, restitution: o.restitution, layer: o.layer, mask: o.mask },
      { HX: toRaw(o.normal[0]), HY: toRaw(o.normal[1]), HZ: toRaw(o.normal[2]), RADIUS: toRaw(o.offset) },
    );
    return this.createBody('addPlane');
  }

  /**
   * Adds a static heightfield or triangle mesh: appends its block to the world's geometry
   * (GEOMETRY, covered by the world hash) and creates a static body over its AABB that refers
   * to it (assembly/physics/terrain.ts). Throws PhysicsError GEOMETRY_FULL when the block does
   * not fit the world's geometryWords, or the core's codes (FULL, BAD_SHAPE).
   */
  addGeometry(g: GeometryBlockInput, o: { friction?: number; restitution?: number; layer?: number; mask?: number } = {}): BodyHandle {
    const used = Number(this.header(HEADER.GEOMETRY_USED)),
      cap = Number(this.header(HEADER.GEOMETRY_CAPACITY));
    if (used + g.words.length > cap)
      throw new PhysicsError('GEOMETRY_FULL', `addGeometry: ${g.words.length} words do not fit (${used} of ${cap} used): raise WorldConfig.geometryWords`);
    const d = this.i64();
    d.set(g.words, (this.offsets.GEOMETRY >> 3) + used);
    d[(this.base >> 3) + HEADER.GEOMETRY_USED] = BigInt(used + g.words.length);
    const c = [0n, 0n, 0n],
      e = [0n, 0n, 0n];
    for (let a = 0; a < 3; a++) {
      c[a] = (g.lo[a] + g.hi[a]) >> 1n;
      e[a] = (g.hi[a] - c[a] > c[a] - g.lo[a] ? g.hi[a] - c[a] : c[a] - g.lo[a]) + 1n; // padded: contains every point, never flat
    }
    this.writeDef(
      g.shape,
      { position: [0, 0, 0], kind: 'static', friction: o.friction, restitution: o.restitution, layer: o.layer, mask: o.mask },
      { PX: c[0], PY: c[1], PZ: c[2], HX: e[0], HY: e[1], HZ: e[2], RADIUS: BigInt(used) },
    );
    try {
      return this.createBody('addGeometry');
    } catch (err) {
      d[(this.base >> 3) + HEADER.GEOMETRY_USED] = BigInt(used); // the block stays unused
      throw err;
    }
  }

  /**
   * xxHash64 (seed 0) of the static geometry words in use, as the world hash chains it
   * (assembly/physics/step.ts worldHash); 0n with no geometry. Computed by the core.
   */
  geometryDigest(): bigint {
    const used = Number(this.header(HEADER.GEOMETRY_USED));
    return used === 0 ? 0n : this.core.hash64(this.offsets.GEOMETRY, used * 8, 0n);
  }

  /** The static geometry words in use (a copy of GEOMETRY[0, GEOMETRY_USED): every block added, in order). */
  geometry(): BigInt64Array {
    const used = Number(this.header(HEADER.GEOMETRY_USED));
    const at = this.offsets.GEOMETRY >> 3;
    return this.i64().slice(at, at + used);
  }

  /**
   * Replaces the static geometry words in use with `words` (what another world's geometry()
   * returned: i64 words, raw Q47.16 and indices), so that static records naming its blocks
   * (heightfields, meshes) and hull or compound bodies import here as they are there (client
   * prediction: src/client/predict-world.ts). Call it before importing those records. Throws
   * PhysicsError GEOMETRY_FULL when the words exceed WorldConfig.geometryWords.
   */
  loadGeometry(words: BigInt64Array): void {
    const cap = Number(this.header(HEADER.GEOMETRY_CAPACITY));
    if (words.length > cap)
      throw new PhysicsError('GEOMETRY_FULL', `loadGeometry: ${words.length} words do not fit (capacity ${cap}): raise WorldConfig.geometryWords`);
    const d = this.i64();
    d.set(words, this.offsets.GEOMETRY >> 3);
    d[(this.base >> 3) + HEADER.GEOMETRY_USED] = BigInt(words.length);
  }

  /** Removes a body; its handle goes stale. Throws PhysicsError STALE_HANDLE. */
  remove(h: BodyHandle): void {
    check(this.x.bodyRemove(h), 'remove');
  }
  /** True when the handle names a live body. */
  isValid(h: BodyHandle): boolean {
    return this.x.bodySlot(h) >= 0;
  }

  /** Sets position (m). */
  setPosition(h: BodyHandle, p: Vec3): void {
    check(this.x.bodySetPosition(h, toRaw(p[0]), toRaw(p[1]), toRaw(p[2])), 'setPosition');
  }
  /** Sets velocity (m/s). */
  setVelocity(h: BodyHandle, v: Vec3): void {
    check(this.x.bodySetVelocity(h, toRaw(v[0]), toRaw(v[1]), toRaw(v[2])), 'setVelocity');
  }
  /** Sets the angular velocity (rad/s) of a sphere, rotating box or rotating capsule; throws PhysicsError BAD_SHAPE for shapes that do not rotate. */
  setAngularVelocity(h: BodyHandle, w: Vec3): void {
    check(this.x.bodySetAngularVelocity(h, toRaw(w[0]), toRaw(w[1]), toRaw(w[2])), 'setAngularVelocity');
  }
  /** Applies an impulse (N s) at the centre. */
  applyImpulse(h: BodyHandle, j: Vec3): void {
    check(this.x.bodyApplyImpulse(h, toRaw(j[0]), toRaw(j[1]), toRaw(j[2])), 'applyImpulse');
  }
  /** Adds a force (N) for the next tick. */
  applyForce(h: BodyHandle, f: Vec3): void {
    check(this.x.bodyApplyForce(h, toRaw(f[0]), toRaw(f[1]), toRaw(f[2])), 'applyForce');
  }
  /** Sets a character's walk velocity (m/s along x, z) and jump request. */
  setCharacterInput(h: BodyHandle, walk: readonly [number, number], jump = false): void {
    check(this.x.characterSetInput(h, toRaw(walk[0]), toRaw(walk[1]), jump ? 1 : 0), 'setCharacterInput');
  }
  /** Wakes a sleeping body. */
  wake(h: BodyHandle): void {
    check(this.x.bodyWake(h), 'wake');
  }

  /**
   * Applies commands in the canonical order: by kind (despawn, setPosition, setVelocity,
   * impulse, force, characterInput), then body slot, then position in `cmds`. Commands on
   * stale handles are reported, not thrown: the others still apply.
   */
  applyCommands(cmds: readonly Command[]): Array<{ command: Command; error: PhysicsError }> {
    const order = cmds.map((c, i) => ({ c, i, slot: Number(c.body & 0xffffffffn) }));
    order.sort((a, b) => COMMAND_ORDER[a.c.kind] - COMMAND_ORDER[b.c.kind] || a.slot - b.slot || a.i - b.i);
    const failed: Array<{ command: Command; error: PhysicsError }> = [];
    for (const { c } of order) {
      try {
        switch (c.kind) {
          case 'despawn':
            this.remove(c.body);
            break;
          case 'setPosition':
            this.setPosition(c.body, c.value);
            break;
          case 'setVelocity':
            this.setVelocity(c.body, c.value);
            break;
          case 'impulse':
            this.applyImpulse(c.body, c.value);
            break;
          case 'force':
            this.applyForce(c.body, c.value);
            break;
          case 'characterInput':
            this.setCharacterInput(c.body, c.walk, c.jump);
            break;
        }
      } catch (e) {
        if (e instanceof PhysicsError) failed.push({ command: c, error: e });
        else throw e;
      }
    }
    return failed;
  }

  /** Advances `n` ticks. With sensors, triggerEvents() then holds the events of all `n` ticks. */
  step(n = 1): void {
    if (this.sensorSet === null) {
      for (let k = 0; k < n; k++) this.x.worldStep();
      return;
    }
    const all: TriggerEvent[] = [];
    for (let k = 0; k < n; k++) {
      this.x.worldStep();
      all.push(...this.sensorSet.update(this.tick, this.sensorScan));
    }
    this.triggers = all;
  }

  // ---- sensors (src/physics/sensors.ts): not bodies, so nothing here changes a step's bits ----
  private sensorSet: SensorSet | null = null;
  private triggers: TriggerEvent[] = [];
  /** Visits every live moving body's record (the core's bodyExport, read where it writes it), in slot order. */
  private readonly sensorScan: RecordScan = (visit) => {
    const hw = Number(this.header(HEADER.HIGH_WATER));
    const i32 = new Int32Array(this.core.memory.buffer); // bodyExport never grows the memory
    for (let s = 0; s < hw; s++) {
      if ((i32[(this.offsets.FLAGS >> 2) + s] & FLAG.LIVE) === 0 || i32[(this.offsets.KIND >> 2) + s] === KIND.STATIC) continue;
      check(this.x.bodyExport((BigInt(i32[(this.offsets.GENERATION >> 2) + s] >>> 0) << 32n) | BigInt(s)), 'sensor scan');
      visit(i32, this.offsets.HASH_REC >> 2);
    }
  };

  /**
   * Adds a sensor (trigger zone): an axis-aligned box (`center`, `half`, m) or a sphere (`center`,
   * `radius`, m) that pushes nothing and reports, in triggerEvents(), a BEGIN when a dynamic or
   * kinematic body starts overlapping it and an END when it stops, is removed, or the sensor is
   * (see src/physics/sensors.ts). Bodies already inside get their BEGIN after the next step, or
   * none with `quiet` (re-adding the zones of a restored world). Returns the sensor's id (1, 2, ...).
   * Sensors are not part of save() or hash(). Throws PhysicsError BAD_SHAPE.
   */
  addSensor(o: SensorOptions, opts: { quiet?: boolean } = {}): SensorId {
    this.sensorSet ??= new SensorSet((at, box, c, e, r) => this.x.sensorOverlap(at, box ? 1 : 0, c[0], c[1], c[2], e[0], e[1], e[2], r) !== 0);
    return this.sensorSet.add(o, opts.quiet ? this.sensorScan : undefined);
  }
  /** Moves a sensor's centre (m; an attached sensor's offset from its body) from the next step on. Throws PhysicsError NOT_FOUND, BAD_SHAPE. */
  moveSensor(id: SensorId, center: Vec3): void {
    if (!this.sensorSet) throw new PhysicsError('NOT_FOUND', `no sensor ${id}`);
    this.sensorSet.move(id, center);
  }
  /** Removes a sensor; the bodies inside get their END with the next step's events. Throws PhysicsError NOT_FOUND. */
  removeSensor(id: SensorId): void {
    if (!this.sensorSet) throw new PhysicsError('NOT_FOUND', `no sensor ${id}`);
    this.sensorSet.remove(id);
  }
  /** The bodies inside a sensor after the last step, ascending by slot. Throws PhysicsError NOT_FOUND. */
  sensorContents(id: SensorId): BodyHandle[] {
    if (!this.sensorSet) throw new PhysicsError('NOT_FOUND', `no sensor ${id}`);
    return this.sensorSet.inside(id);
  }
  /** The name a sensor was added with ('' when none). Throws PhysicsError NOT_FOUND. */
  sensorName(id: SensorId): string {
    if (!this.sensorSet) throw new PhysicsError('NOT_FOUND', `no sensor ${id}`);
    return this.sensorSet.name(id);
  }
  /** Trigger events of the last step() (every tick of it), in order: tick, sensor id, body slot, END before BEGIN. */
  triggerEvents(): TriggerEvent[] {
    return this.triggers;
  }

  /** The 64-bit state hash (unsigned). */
  hash(): bigint {
    return BigInt.asUintN(64, this.x.worldHash());
  }

  private slot(h: BodyHandle): number {
    const s = this.x.bodySlot(h);
    if (s < 0) throw new PhysicsError('STALE_HANDLE', 'stale body handle');
    return s;
  }

  private field3(name: 'P' | 'V' | 'W', h: BodyHandle): [bigint, bigint, bigint] {
    const s = this.slot(h),
      d = this.i64();
    return (['X', 'Y', 'Z'] as const).map((a) => d[(this.offsets[`${name}${a}`] >> 3) + s]) as [bigint, bigint, bigint];
  }

  /** Position, raw Q47.16. */
  positionRaw(h: BodyHandle): [bigint, bigint, bigint] {
    return this.field3('P', h);
  }
  /** Velocity, raw Q47.16. */
  velocityRaw(h: BodyHandle): [bigint, bigint, bigint] {
    return this.field3('V', h);
  }
  /** Position in metres. */
  position(h: BodyHandle): [number, number, number] {
    return this.field3('P', h).map(fromRaw) as [number, number, number];
  }
  /** Velocity in m/s. */
  velocity(h: BodyHandle): [number, number, number] {
    return this.field3('V', h).map(fromRaw) as [number, number, number];
  }
  /** Angular velocity in rad/s. */
  angularVelocity(h: BodyHandle): [number, number, number] {
    return this.field3('W', h).map(fromRaw) as [number, number, number];
  }
  /** A character's walkable-slope limit: cos of maxSlopeDeg, raw Q47.16 (as the core compares it). */
  characterSlopeCosRaw(h: BodyHandle): bigint {
    return this.i64()[(this.offsets.CHAR_SLOPE_COS >> 3) + this.slot(h)];
  }
  /** Whether the body sleeps. */
  isSleeping(h: BodyHandle): boolean {
    return (this.flags(h) & FLAG.SLEEPING) !== 0;
  }
  /** Whether a character stood on walkable ground in the last tick. */
  isGrounded(h: BodyHandle): boolean {
    return (this.flags(h) & FLAG.GROUNDED) !== 0;
  }
  /**
   * Sleep flags of many bodies at once, for per-tick loops over them: out[i] = 1 when the body in
   * slots[i] sleeps (FLAG.SLEEPING), else 0. Reads the world's memory without validating handles:
   * each slot must hold a body the caller knows to be live (a stale slot reads whoever lives there).
   */
  sleepingSlots(slots: ArrayLike<number>, out: Uint8Array): void {
    const f = new Int32Array(this.core.memory.buffer),
      at = this.offsets.FLAGS >> 2;
    for (let i = 0; i < slots.length; i++) out[i] = (f[at + slots[i]] & FLAG.SLEEPING) !== 0 ? 1 : 0;
  }
  private flags(h: BodyHandle): number {
    return new Int32Array(this.core.memory.buffer)[(this.offsets.FLAGS >> 2) + this.slot(h)];
  }

  /** Contact events of the last tick, in canonical (pair key) order. */
  events(): ContactEvent[] {
    return readEvents(this.core.memory, this.offsets.EVENTS, Number(this.header(HEADER.EVENT_COUNT)));
  }

  private hits(n: number): Array<{ body: BodyHandle; t: number }> {
    const d = this.i64(),
      at = this.offsets.HITS >> 3;
    return Array.from({ length: n }, (_, k) => ({ body: d[at + 2 * k], t: fromRaw(d[at + 2 * k + 1]) }));
  }

  /**
   * Raycast from `origin` along `dir` up to `maxDist` m against bodies whose layer intersects
   * `mask`: the closest hit (all = false) or every hit sorted by (t, slot). `dir` is normalized
   * here in raw Q47.16 integers (src/physics/integer.ts normalizeRaw, not Math.hypot):
   * components below 2^-17 count as zero. Throws RangeError for a direction that is zero then.
   */
  raycast(origin: Vec3, dir: Vec3, maxDist: number, opts: { all?: boolean; mask?: number } = {}): Array<{ body: BodyHandle; t: number }> {
    const raw = toRawVec(dir);
    if (raw[0] === 0n && raw[1] === 0n && raw[2] === 0n) throw new RangeError('raycast direction must be non-zero');
    const d = normalizeRaw(raw); // integer normalization (src/physics/integer.ts), not Math.hypot
    const n = this.x.raycast(toRaw(origin[0]), toRaw(origin[1]), toRaw(origin[2]), d[0], d[1], d[2], toRaw(maxDist), (opts.mask ?? -1) | 0, opts.all ? 1 : 0);
    return this.hits(n);
  }

  /** Bodies overlapping a sphere, in slot order. */
  overlapSphere(center: Vec3, radius: number, mask = -1): BodyHandle[] {
    return this.hits(this.x.overlapSphere(toRaw(center[0]), toRaw(center[1]), toRaw(center[2]), toRaw(radius), mask | 0)).map((h) => h.body);
  }

  /** Bodies overlapping an axis-aligned box (centre, half extents), in slot order. */
  overlapBox(center: Vec3, half: Vec3, mask = -1): BodyHandle[] {
    return this.hits(this.x.overlapBox(toRaw(center[0]), toRaw(center[1]), toRaw(center[2]), toRaw(half[0]), toRaw(half[1]), toRaw(half[2]), mask | 0)).map(
      (h) => h.body,
    );
  }

  /** The interaction range of one tick in metres (the halo width shards need). */
  interactionRange(): number {
    return fromRaw(this.x.worldInteractionRange());
  }

  /** A copy of the world's raw state (header and arrays): restore it with PhysicsWorld.restore. */
  save(): Uint8Array {
    return this.core.bytes().slice(this.base, this.base + this.plan.bytes);
  }

  /**
   * save() as a sparse page image (src/physics/sparse.ts): only non-zero 4 KiB pages are copied,
   * which for a world that has not stepped is a small part of it. PhysicsWorld.restore(
   * fromSparseImage(img)) gives the same world as restore(save()).
   */
  saveSparse(): Uint8Array {
    return sparseImage(this.core.bytes().subarray(this.base, this.base + this.plan.bytes));
  }

  /**
   * Replaces this world's state with bytes made by save() from a world of the same sizes
   * (same layout), in place. Throws PhysicsError BAD_HEADER when the sizes differ.
   */
  load(bytes: Uint8Array): void {
    const h = new BigInt64Array(bytes.buffer, bytes.byteOffset, HEADER_SLOTS);
    if (this.owns && bytes.byteLength >= HEADER_SLOTS * 8 && h[HEADER.CAPACITY] !== BigInt(this.plan.sizes.capacity)) {
      // a world that owns its memory takes the saved world's sizes (it grew, or the save did)
      this.moveTo(placeFromBytes(bytes, this.core.variant));
      this.sensorSet?.prime(this.sensorScan);
      return;
    }
    if (bytes.byteLength !== this.plan.bytes)
      throw new PhysicsError('BAD_HEADER', `saved world is ${bytes.byteLength} bytes, this world has ${this.plan.bytes}`);
    if (BigInt.asUintN(64, h[HEADER.MAGIC]) !== WORLD_MAGIC || h[HEADER.CAPACITY] !== BigInt(this.plan.sizes.capacity)) {
      throw new PhysicsError('BAD_HEADER', 'not a saved world of this layout');
    }
    this.core.bytes().set(bytes, this.base);
    BOUND.delete(this.core); // rebind on the next call
    void this.x;
    this.sensorSet?.prime(this.sensorScan); // who is inside is the loaded state's
  }

  /**
   * A copy of one body's complete record (slot, generation and every simulated field;
   * BODY_RECORD_BYTES), for moving it to another world of the same configuration with
   * importBody. Throws PhysicsError STALE_HANDLE.
   */
  exportBody(h: BodyHandle): Uint8Array {
    const n = check(this.x.bodyExport(h), 'exportBody');
    return this.core.bytes().slice(this.offsets.HASH_REC, this.offsets.HASH_REC + Number(n));
  }

  /**
   * exportBody without the copy: a view of the record in the world's scratch area, valid until
   * the next call into the world (the next exportBody, exportBodyView, step, ...). For a caller
   * that compares it with a record it holds before copying (client prediction keeps an unchanged
   * record's previous copy). Throws PhysicsError STALE_HANDLE.
   */
  exportBodyView(h: BodyHandle): Uint8Array {
    const n = check(this.x.bodyExport(h), 'exportBody');
    return this.core.bytes().subarray(this.offsets.HASH_REC, this.offsets.HASH_REC + Number(n));
  }

  /**
   * Puts a body record made by exportBody into this world at the same slot and generation
   * (so its handle is the same here): creates it if the slot is free, refreshes it if the
   * same body is already here. Throws PhysicsError STALE_HANDLE when another body holds the
   * slot, FULL beyond the capacity, TOO_LARGE, BAD_KIND or BAD_SHAPE; nothing changes then.
   */
  importBody(record: Uint8Array): BodyHandle {
    if (record.byteLength !== BODY_RECORD_BYTES) throw new PhysicsError('BAD_SHAPE', `a body record is ${BODY_RECORD_BYTES} bytes, got ${record.byteLength}`);
    this.core.bytes().set(record, this.offsets.HASH_REC);
    let r = BigInt(this.x.bodyImport());
    const slot = Number(new DataView(record.buffer, record.byteOffset, 8).getUint32(4, true));
    if (r === -BigInt(BODY_ERROR.FULL) && this.growFor(slot)) {
      this.core.bytes().set(record, this.offsets.HASH_REC);
      r = BigInt(this.x.bodyImport());
    }
    return check(r, 'importBody');
  }

  /** Sets the tick counter (worlds that exchange bodies step in lockstep). */
  setTick(tick: number): void {
    if (!Number.isInteger(tick) || tick < 0) throw new RangeError(`tick ${tick} must be a non-negative integer`);
    this.x.worldSetTick(BigInt(tick));
  }

  /** Every live body's handle, in slot order. */
  handles(): BodyHandle[] {
    const hw = Number(this.header(HEADER.HIGH_WATER));
    const i32 = new Int32Array(this.core.memory.buffer);
    const out: BodyHandle[] = [];
    for (let s = 0; s < hw; s++) {
      if ((i32[(this.offsets.FLAGS >> 2) + s] & FLAG.LIVE) === 0) continue;
      out.push((BigInt(i32[(this.offsets.GENERATION >> 2) + s] >>> 0) << 32n) | BigInt(s));
    }
    return out;
  }

  /** Whether any live body is a convex hull (addHull): O(slots). */
  hasHulls(): boolean {
    return this.hasShape(SHAPE.HULL);
  }

  /** Whether any live body has the shape code `shape` (world-layout SHAPE): O(slots). */
  hasShape(shape: number): boolean {
    const hw = Number(this.header(HEADER.HIGH_WATER));
    const i32 = new Int32Array(this.core.memory.buffer);
    for (let s = 0; s < hw; s++) if ((i32[(this.offsets.FLAGS >> 2) + s] & FLAG.LIVE) !== 0 && i32[(this.offsets.SHAPE >> 2) + s] === shape) return true;
    return false;
  }

  /** Whether the body is static (boxes, planes). */
  isStatic(h: BodyHandle): boolean {
    return new Int32Array(this.core.memory.buffer)[(this.offsets.KIND >> 2) + this.slot(h)] === KIND.STATIC;
  }

  /** Raw copy of every simulated per-body field of one body (for bitwise comparisons). */
  bodyStateRaw(h: BodyHandle): bigint[] {
    const s = this.slot(h),
      d = this.i64();
    const names = ['PX', 'PY', 'PZ', 'VX', 'VY', 'VZ', 'WX', 'WY', 'WZ', 'QX', 'QY', 'QZ', 'QW'];
    return [...names.map((n) => d[(this.offsets[n] >> 3) + s]), BigInt(this.flags(h))];
  }

  /**
   * A world from bytes made by save(), in a fresh memory; it continues bit for bit. Throws
   * PhysicsError BAD_HEADER for bytes that are not a saved world of this layout version.
   */
  static restore(bytes: Uint8Array, opts: { variant?: CoreVariant } = {}): PhysicsWorld {
    return new PhysicsWorld(placeFromBytes(bytes, opts.variant ?? 'release'), true);
  }
}

/**
 * A fresh memory and core holding the world saved in `bytes` (PhysicsWorld.save), bound.
 * Throws PhysicsError BAD_HEADER for bytes that are not a saved world of this layout version.
 */
function placeFromBytes(bytes: Uint8Array, variant: CoreVariant): WorldPlace {
  const h = new BigInt64Array(bytes.buffer, bytes.byteOffset, HEADER_SLOTS);
  if (BigInt.asUintN(64, h[HEADER.MAGIC]) !== WORLD_MAGIC || h[HEADER.VERSION] !== WORLD_VERSION) {
    throw new PhysicsError(
      'BAD_HEADER',
      h[HEADER.VERSION] !== WORLD_VERSION && BigInt.asUintN(64, h[HEADER.MAGIC]) === WORLD_MAGIC
        ? `a saved world of layout version ${h[HEADER.VERSION]}, this core reads ${WORLD_VERSION} (made by another Tessera version: replay the log instead, or start a new world)`
        : 'not a saved world of this layout version',
    );
  }
  const sizes = {
    capacity: Number(h[HEADER.CAPACITY]),
    contacts: Number(h[HEADER.CONTACT_CAPACITY]),
    events: Number(h[HEADER.EVENT_CAPACITY]),
    buckets: Number(h[HEADER.GRID_BUCKETS]),
    ...(h[HEADER.GEOMETRY_CAPACITY] > 0n ? { geometry: Number(h[HEADER.GEOMETRY_CAPACITY]) } : {}),
    ...(h[HEADER.JOINT_CAPACITY] > 0n ? { joints: Number(h[HEADER.JOINT_CAPACITY]) } : {}),
  };
  const plan = planWorld(sizes);
  if (plan.bytes !== bytes.byteLength) throw new PhysicsError('BAD_HEADER', `saved world is ${bytes.byteLength} bytes, layout needs ${plan.bytes}`);
  const layout = planLayout([['world', plan.bytes]]);
  const core = Core.instantiate(createMemory({ pages: layout.pages, shared: variant !== 'unshared' }), variant);
  const base = layout.regions.world.offset;
  core.bytes().set(bytes, base);
  if ((core.exports as unknown as WorldExports).worldBind(base) !== 0) {
    throw new PhysicsError('BAD_HEADER', 'world header rejected by the core');
  }
  BOUND.set(core, base);
  return { core, base, plan };
}

/** The world functions of the core (assembly/api/world.ts). */
export interface WorldExports {
  worldInit(base: number): number;
  worldBind(base: number): number;
  bodyCreate(): bigint;
  bodyRemove(h: bigint): bigint;
  bodySetPosition(h: bigint, x: bigint, y: bigint, z: bigint): bigint;
  bodySetVelocity(h: bigint, x: bigint, y: bigint, z: bigint): bigint;
  bodySetAngularVelocity(h: bigint, x: bigint, y: bigint, z: bigint): bigint;
  bodyApplyImpulse(h: bigint, x: bigint, y: bigint, z: bigint): bigint;
  bodyApplyForce(h: bigint, x: bigint, y: bigint, z: bigint): bigint;
  bodyWake(h: bigint): bigint;
  characterSetInput(h: bigint, tx: bigint, tz: bigint, jump: number): bigint;
  worldStep(): void;
  /** Rebuilds the awake list and the sleep hash from the bodies' flags (after growth). */
  worldRelist(): void;
  /** 0 when the awake list and the sleep hash agree with the bodies' flags (a test aid). */
  worldCheckLists(): number;
  worldHash(): bigint;
  jointCreate(): bigint;
  jointRemove(j: bigint): bigint;
  jointMeasure(j: bigint): bigint;
  worldInteractionRange(): bigint;
  bodySlot(h: bigint): number;
  raycast(ox: bigint, oy: bigint, oz: bigint, dx: bigint, dy: bigint, dz: bigint, maxT: bigint, mask: number, all: number): number;
  overlapSphere(cx: bigint, cy: bigint, cz: bigint, r: bigint, mask: number): number;
  overlapBox(cx: bigint, cy: bigint, cz: bigint, ex: bigint, ey: bigint, ez: bigint, mask: number): number;
  bodyExport(h: bigint): bigint;
  bodyImport(): bigint;
  worldSetTick(tick: bigint): void;
  /** assembly/physics/shard.ts: one tick of the shard whose config block is at `cfg`; 0, or -1 for a bad world. */
  shardTick(cfg: number): number;
  shardReset(cfg: number): number;
  /** assembly/physics/shard.ts, exchange 'pass': phase q of one tick (0 begin, 1..2S the passes, 2S + 1 end); 0, or -1 for a bad world or phase. */
  shardPhase(cfg: number, q: number): number;
  shardPutRecord(cfg: number, record: number): number;
  boardHash(cfg: number, board: number): bigint;
  boardRecordsHash(board: number): bigint;
  /** assembly/physics/sensors.ts: 1 when the body record at byte `rec` overlaps the sensor (box != 0: centre c, half extents e; else radius r), raw Q16. */
  sensorOverlap(rec: number, box: number, cx: bigint, cy: bigint, cz: bigint, ex: bigint, ey: bigint, ez: bigint, r: bigint): number;
  /** assembly/physics/capsule-contacts.ts: 1 / I_k (raw Q16) of a rotating capsule about its local axis k, or -1. */
  capsuleInertiaOf(h: bigint, k: number): bigint;
}

export { STATUS };

/** Writes gravity (m/s^2, raw fixed-point) into the header of the world at byte offset `base` of a memory. */
export function setGravityAt(mem: BigInt64Array, base: number, g: Vec3): void {
  mem[(base >> 3) + HEADER.GRAVITY_X] = toRaw(g[0]);
  mem[(base >> 3) + HEADER.GRAVITY_Y] = toRaw(g[1]);
  mem[(base >> 3) + HEADER.GRAVITY_Z] = toRaw(g[2]);
}

/**
 * Writes the tick rate (integer Hz) and the substep constants derived from it into the header of
 * the world at byte offset `base`, as worldInit computes them (assembly/physics/world.ts):
 * INV_H = rate x substeps, H_Q32 = round(2^32 / INV_H). Throws RangeError for a rate outside 1..1000.
 */
export function setTickRateAt(mem: BigInt64Array, base: number, rate: number): void {
  if (!Number.isInteger(rate) || rate < 1 || rate > 1000) throw new RangeError(`tick rate must be an integer 1..1000, got ${rate}`);
  const h = base >> 3;
  mem[h + HEADER.TICK_RATE] = BigInt(rate);
  const invH = BigInt(rate) * mem[h + HEADER.SUBSTEPS];
  mem[h + HEADER.INV_H] = invH;
  mem[h + HEADER.H_Q32] = ((1n << 32n) + (invH >> 1n)) / invH;
}
