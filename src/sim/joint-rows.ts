/**
 * Joints on the wire (protocol 3): the core's joint records (src/physics/world-layout.ts JOINT,
 * raw Q47.16 i64 words; ShardedWorld.jointRecords) as JointInfo rows for the interest publisher
 * (src/sim/interest.ts setJoints; the row layout is src/protocol/codec.ts JOINT_ROW_STRIDE, the
 * wire's field order, schemas/server.fbs JointInfo).
 *
 *   record word          wire field           unit on the wire
 *   entry index, GEN     index, generation    the joint handle (GEN << 32 | index)
 *   A, A_GEN, B, B_GEN   a_*, b_*             body handles; B = -1 (the world): 0, 0 and flag WORLD
 *   AAX.., ABX..         ax.., bx..           1/1024 m (raw >> 6, clamped to i32), each body's frame
 *   XAX.., XBX..         xax.., xbx..         unit x 32768 (raw >> 1, clamped to +-32767); hinge and fixed only
 *   LOWER, UPPER         lower, upper         1/65536 rad (raw); with flag LIMITS only
 *   TARGET               target               1/65536 rad (raw); with flag TARGET only
 *   MIN_LEN, MAX_LEN     min/max_length       1/1024 m; distance joints only
 *   FLAGS                flags                LIMITS | MOTOR | TARGET, and WORLD (8)
 *
 * Free entries (KIND 0) are left out, so the rows are in joint index order.
 */
import { JOINT_ROW_STRIDE } from '../protocol/codec';
import { JOINT_WIRE_WORLD } from '../protocol/messages';
import { JOINT, JOINT_BYTES, JOINT_FLAG, JOINT_KIND } from '../physics/world-layout';

const WORDS = JOINT_BYTES >> 3;
const I32_MAX = 0x7fffffff;

/** raw >> s as a number clamped to +-limit (i64 words of the record). */
function shifted(raw: bigint, s: bigint, limit: number): number {
  const v = Number(raw >> s);
  return v > limit ? limit : v < -limit ? -limit : v;
}

/**
 * The wire rows (JOINT_ROW_STRIDE Int32 each) of the live joints in `records` (the words of
 * PhysicsWorld.jointRecords / ShardedWorld.jointRecords), in joint index order, and their count.
 */
export function jointWireRows(records: BigInt64Array): { rows: Int32Array; count: number } {
  const entries = records.length / WORDS;
  const live: number[] = [];
  for (let e = 0; e < entries; e++) if (records[e * WORDS + JOINT.KIND] !== 0n) live.push(e);
  const rows = new Int32Array(live.length * JOINT_ROW_STRIDE);
  live.forEach((e, k) => {
    const w = (f: number): bigint => records[e * WORDS + f];
    const o = k * JOINT_ROW_STRIDE;
    const kind = Number(w(JOINT.KIND)),
      flags = Number(w(JOINT.FLAGS)),
      world = w(JOINT.B) < 0n;
    rows[o] = e;
    rows[o + 1] = Number(BigInt.asUintN(32, w(JOINT.GEN))) | 0;
    rows[o + 2] = Number(w(JOINT.A)) | 0;
    rows[o + 3] = Number(BigInt.asUintN(32, w(JOINT.A_GEN))) | 0;
    rows[o + 4] = world ? 0 : Number(w(JOINT.B)) | 0;
    rows[o + 5] = world ? 0 : Number(BigInt.asUintN(32, w(JOINT.B_GEN))) | 0;
    for (let i = 0; i < 3; i++) {
      rows[o + 6 + i] = shifted(w(JOINT.AAX + i), 6n, I32_MAX);
      rows[o + 9 + i] = shifted(w(JOINT.ABX + i), 6n, I32_MAX);
    }
    const limits = kind === JOINT_KIND.HINGE && (flags & JOINT_FLAG.LIMITS) !== 0,
      target = kind === JOINT_KIND.HINGE && (flags & JOINT_FLAG.TARGET) !== 0;
    rows[o + 12] = limits ? shifted(w(JOINT.LOWER), 0n, I32_MAX) : 0;
    rows[o + 13] = limits ? shifted(w(JOINT.UPPER), 0n, I32_MAX) : 0;
    rows[o + 14] = target ? shifted(w(JOINT.TARGET), 0n, I32_MAX) : 0;
    const distance = kind === JOINT_KIND.DISTANCE;
    rows[o + 15] = distance ? shifted(w(JOINT.MIN_LEN), 6n, I32_MAX) : 0;
    rows[o + 16] = distance ? shifted(w(JOINT.MAX_LEN), 6n, I32_MAX) : 0;
    const axes = kind === JOINT_KIND.HINGE || kind === JOINT_KIND.FIXED;
    for (let i = 0; i < 3; i++) {
      rows[o + 17 + i] = axes ? shifted(w(JOINT.XAX + i), 1n, 32767) : 0;
      rows[o + 20 + i] = axes ? shifted(w(JOINT.XBX + i), 1n, 32767) : 0;
    }
    rows[o + 23] = kind;
    rows[o + 24] = (flags & (JOINT_FLAG.LIMITS | JOINT_FLAG.MOTOR | JOINT_FLAG.TARGET)) | (world ? JOINT_WIRE_WORLD : 0);
  });
  return { rows, count: live.length };
}
