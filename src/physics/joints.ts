/**
 * Joints of a PhysicsWorld (PhysicsWorld.addJoint, removeJoint, jointAngle, jointLength): the
 * definition a caller gives, checked and converted to the raw joint definition the core reads
 * (src/physics/world-layout.ts JOINT; the solver is assembly/physics/joints.ts: extended
 * position based dynamics, Mueller et al., "Detailed Rigid-Body Simulation with Extended
 * Position Based Dynamics", SCA 2020).
 *
 * Units: metres, radians, seconds, newton metres (raw Q16 inside the core). Angles of a hinge
 * count from the pose at creation (0), as the rotation of body A relative to B (or the world)
 * about the axis, right-handed.
 */
import { toRaw } from './integer';
import { JOINT, JOINT_FLAG, JOINT_KIND } from './world-layout';

/** A body handle (see PhysicsWorld). */
type Handle = bigint;
type V3 = readonly [number, number, number];

/** Joint kinds: fixed (welds two bodies), hinge (one rotation axis), ball (ball-and-socket), distance (a rope or a rod). */
export type JointKind = 'fixed' | 'hinge' | 'ball' | 'distance';

/** A joint handle: generation << 32 | index (the index is the joint's place in the canonical order). */
export type JointHandle = bigint;

/** What addJoint takes. */
export interface JointSpec {
  kind: JointKind;
  /** Body A: dynamic (or kinematic when B is dynamic). */
  a: Handle;
  /** Body B, or null for the static world (a door hinged to the world, a pendulum from a fixed point). */
  b: Handle | null;
  /** Anchor on A in A's own frame, metres. Default [0, 0, 0] (A's centre). */
  anchorA?: V3;
  /**
   * Anchor on B in B's own frame, metres; with b null, a world point. Default: where A's anchor
   * is at creation (the joint holds the pose the bodies are in); for a distance joint, B's
   * centre (required with b null: the world point the rope hangs from).
   */
  anchorB?: V3;
  /** Hinge axis (required for a hinge) or a fixed joint's frame axis, a world direction at creation (any length > 0). */
  axis?: V3;
  /** Hinge angle limits, radians, lower <= upper (within [-pi, pi]). */
  limits?: { lower: number; upper: number };
  /**
   * Hinge motor: drives the angle at `speed` (rad/s, either sign) with at most `maxTorque`
   * (N m); with `targetAngle` (rad) it drives the hinge to that angle instead, no faster than
   * |speed|, and holds it there.
   */
  motor?: { speed: number; maxTorque: number; targetAngle?: number };
  /** Distance joint: shortest and longest distance of the anchors, metres. Neither: both are the distance at creation (a rod); only maxLength: a rope (minLength 0). */
  minLength?: number;
  maxLength?: number;
}

const KIND_CODE: Record<JointKind, number> = {
  fixed: JOINT_KIND.FIXED,
  hinge: JOINT_KIND.HINGE,
  ball: JOINT_KIND.BALL,
  distance: JOINT_KIND.DISTANCE,
};

/** Error of a joint definition refused before it reaches the core (code BAD_JOINT, as the core's own refusal). */
export class JointSpecError extends Error {
  readonly code = 'BAD_JOINT';
  constructor(message: string) {
    super(message);
    this.name = 'JointSpecError';
  }
}

const finite = (v: number, what: string): number => {
  if (!Number.isFinite(v)) throw new JointSpecError(`addJoint: ${what} must be a finite number, got ${v}`);
  return v;
};
const vec = (v: V3, what: string): [bigint, bigint, bigint] => [toRaw(finite(v[0], what)), toRaw(finite(v[1], what)), toRaw(finite(v[2], what))];

/**
 * Writes the raw joint definition of `spec` into `d` at word `at` (the world's BODY_DEF scratch,
 * 32 i64 words; world-layout.ts JOINT), for the core's jointCreate. Throws JointSpecError
 * (code BAD_JOINT) for an unknown kind, a hinge without an axis, limits out of order or
 * outside [-pi, pi], a negative torque, lengths out of order, or options of another kind.
 */
export function writeJointDef(d: BigInt64Array, at: number, spec: JointSpec): void {
  const kind = KIND_CODE[spec.kind];
  if (kind === undefined) throw new JointSpecError(`addJoint: unknown joint kind ${String(spec.kind)} (fixed, hinge, ball, distance)`);
  d.fill(0n, at, at + 32);
  const set = (k: keyof typeof JOINT, v: bigint): void => {
    d[at + JOINT[k]] = v;
  };
  let flags = 0;
  set('KIND', BigInt(kind));
  set('A', spec.a);
  set('B', spec.b === null ? -1n : spec.b);
  const [ax, ay, az] = vec(spec.anchorA ?? [0, 0, 0], 'anchorA');
  set('AAX', ax);
  set('AAY', ay);
  set('AAZ', az);
  if (spec.anchorB) {
    const [bx, by, bz] = vec(spec.anchorB, 'anchorB');
    set('ABX', bx);
    set('ABY', by);
    set('ABZ', bz);
  } else if (spec.kind === 'distance') {
    if (spec.b === null) throw new JointSpecError('addJoint: a distance joint to the world needs anchorB (the world point)');
  } else flags |= JOINT_FLAG.AUTO_B;
  if (spec.axis) {
    const [x, y, z] = vec(spec.axis, 'axis');
    set('XAX', x);
    set('XAY', y);
    set('XAZ', z);
  } else if (spec.kind === 'hinge') throw new JointSpecError('addJoint: a hinge needs an axis');
  if ((spec.limits || spec.motor) && spec.kind !== 'hinge') throw new JointSpecError(`addJoint: limits and motor are for hinges, not a ${spec.kind} joint`);
  if (spec.limits) {
    const lo = finite(spec.limits.lower, 'limits.lower'),
      hi = finite(spec.limits.upper, 'limits.upper');
    if (lo > hi || lo < -Math.PI || hi > Math.PI) throw new JointSpecError(`addJoint: limits [${lo}, ${hi}] must be in order within [-pi, pi]`);
    flags |= JOINT_FLAG.LIMITS;
    set('LOWER', toRaw(lo));
    set('UPPER', toRaw(hi));
  }
  if (spec.motor) {
    const speed = finite(spec.motor.speed, 'motor.speed'),
      torque = finite(spec.motor.maxTorque, 'motor.maxTorque');
    if (torque < 0) throw new JointSpecError(`addJoint: motor.maxTorque ${torque} must be >= 0`);
    if (spec.motor.targetAngle !== undefined) {
      flags |= JOINT_FLAG.TARGET;
      set('TARGET', toRaw(finite(spec.motor.targetAngle, 'motor.targetAngle')));
      set('MOTOR_SPEED', toRaw(Math.abs(speed)));
    } else {
      flags |= JOINT_FLAG.MOTOR;
      set('MOTOR_SPEED', toRaw(speed));
    }
    set('MOTOR_MAX', toRaw(torque));
  }
  if (spec.minLength !== undefined || spec.maxLength !== undefined) {
    if (spec.kind !== 'distance') throw new JointSpecError(`addJoint: minLength and maxLength are for distance joints, not a ${spec.kind} joint`);
    if (spec.maxLength === undefined) throw new JointSpecError('addJoint: a distance joint with minLength needs maxLength');
    const lo = finite(spec.minLength ?? 0, 'minLength'),
      hi = finite(spec.maxLength, 'maxLength');
    if (lo < 0 || hi < lo || hi <= 0) throw new JointSpecError(`addJoint: lengths [${lo}, ${hi}] must satisfy 0 <= minLength <= maxLength, maxLength > 0`);
    set('MIN_LEN', toRaw(lo));
    set('MAX_LEN', toRaw(hi));
  } else if (spec.kind === 'distance') flags |= JOINT_FLAG.AUTO_LEN;
  set('FLAGS', BigInt(flags));
}

/** The kind code stored in a joint record (JOINT.KIND word), as a JointKind (null: a free entry). */
export function jointKindOf(code: bigint): JointKind | null {
  for (const [k, v] of Object.entries(KIND_CODE)) if (BigInt(v) === code) return k as JointKind;
  return null;
}
