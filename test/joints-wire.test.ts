/**
 * Joints on the wire (protocol 3, issue 18): a client learns each joint in its interest (kind,
 * bodies or the world, anchors in each body's frame, axes, limits, lengths) from its snapshot,
 * then from deltas: a joint removed in the world, the joints whose bodies leave its interest
 * (and one whose bodies enter it), a new joint in a reused index. The client library's mirror
 * (applyToMirror) ends up with exactly the joints in its interest, placed on its bodies. A view
 * holds at most maxJoints (the cut is counted and exported as a metric), and the decoder refuses
 * a joint the wire cannot mean (kind None, unknown flag bits, a world end with a body) and a
 * version-2 snapshot without the joints vector.
 */
import * as flatbuffers from 'flatbuffers';
import { Host } from '../src/net/host';
import { HostMetrics } from '../src/net/metrics';
import { decodeServer, encodeServer } from '../src/protocol/codec';
import { ERROR } from '../src/protocol/errors';
import { JOINT_FLAG, JOINT_KIND, type JointInfo, type ServerMessage } from '../src/protocol/messages';
import { ServerMessage as FbServerMessage } from '../src/protocol/generated/tessera/server-message';
import { ServerPayload } from '../src/protocol/generated/tessera/server-payload';
import { ServerSnapshot } from '../src/protocol/generated/tessera/server-snapshot';
import { applyToMirror, type Mirror } from '../src/sim/interest';
import { placeJoints, type RenderBody } from '../src/client/client';
import type { WorldSetup } from '../src/sim/main-sim';
import type { JointHandle } from '../src/physics/joints';
import type { ShardedWorld } from '../src/physics/sharded';
import { RawClient } from './helpers/net';
import { sampleJoint } from './fixtures/protocol/samples';

/** Joint handles the scene made, by name. */
const made: Record<string, JointHandle> = {};
let doorBody = 0n;

/**
 * Near the origin: a door on a hinge to the world (limits), a box on a ball joint to the world
 * with a second box on a ball joint to it (two bodies, exchange 'pass'); at (60, 60): a ball on a
 * rope to the world. 16 m cells: a view at the origin with radius 1 covers x, z in [-16, 32).
 */
function world(): WorldSetup {
  return {
    config: { capacity: 64, tickRate: 20, maxBodyRadius: 1, sleep: { enabled: true }, jointCapacity: 8, contactsPerBody: 16 },
    spawnPoints: [[-8, 1.2, -8]],
    scene: (w: ShardedWorld) => {
      w.addPlane({ normal: [0, 1, 0], offset: 0 });
      doorBody = w.addDynamicBox({ position: [2, 1, 0], half: [0.4, 0.8, 0.05], density: 500 });
      made.door = w.addJoint({
        kind: 'hinge',
        a: doorBody,
        b: null,
        anchorA: [-0.4, 0, 0],
        anchorB: [1.6, 1, 0],
        axis: [0, 1, 0],
        limits: { lower: -1, upper: 1 },
      });
      const top = w.addDynamicBox({ position: [-2, 2.5, 0], half: [0.1, 0.3, 0.1], density: 500 });
      made.hang = w.addJoint({ kind: 'ball', a: top, b: null, anchorA: [0, 0.3, 0], anchorB: [-2, 2.8, 0] });
      const low = w.addDynamicBox({ position: [-2, 1.9, 0], half: [0.1, 0.3, 0.1], density: 500 });
      made.link = w.addJoint({ kind: 'ball', a: low, b: top, anchorA: [0, 0.3, 0] });
      const ball = w.addSphere({ position: [60, 1, 60], radius: 0.3, mass: 2 });
      made.rope = w.addJoint({ kind: 'distance', a: ball, b: null, anchorB: [60, 3, 60], maxLength: 2 });
    },
  };
}

const q16 = (m: number): bigint => BigInt(Math.round(m * 65536));
const at = (x: number, z: number, cells: number) => ({ center: [q16(x), 0n, q16(z)] as const, cells });
const jointIndex = (h: JointHandle): number => Number(h & 0xffffffffn);

/** Applies the client's state messages in order (acking each), as the client library does; returns the newest mirror. */
function follow(c: RawClient, from: number, frames: Map<number, Mirror>): Mirror | null {
  let newest: Mirror | null = null;
  for (const m of c.messages.slice(from)) {
    if (m.kind !== 'snapshot' && m.kind !== 'delta') continue;
    const base = m.kind === 'delta' ? (frames.get(m.baseTick) ?? null) : null;
    const mirror = applyToMirror(base, m);
    frames.set(mirror.tick, mirror);
    newest = mirror;
    c.send({ kind: 'ack', tick: mirror.tick });
  }
  return newest;
}

/** Lets the host read what the client sent (acks, interest) before the next manual tick. */
function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 100));
}

const states = (c: RawClient, from: number): Array<Extract<ServerMessage, { kind: 'snapshot' | 'delta' }>> =>
  c.messages.slice(from).filter((m): m is Extract<ServerMessage, { kind: 'snapshot' | 'delta' }> => m.kind === 'snapshot' || m.kind === 'delta');

test('a client sees the joints in its interest, a removed joint, joints whose bodies leave and enter, a reused index', async () => {
  const host = await Host.start({ port: 0, world: world(), manualTicks: true });
  try {
    const c = new RawClient(`ws://127.0.0.1:${host.port}/ws`);
    await c.opened;
    c.hello({ interest: { center: [0n, 0n, 0n], cells: 1 } });
    await c.until(() => c.of('welcome').length === 1);
    host.tickOnce();
    await c.until(() => c.of('snapshot').length >= 1, 5000, 'the first snapshot');
    const snap = c.of('snapshot')[0];
    // the three joints near the origin, in joint index order; not the rope at (60, 60)
    expect(snap.joints.map((j) => j.index)).toEqual([made.door, made.hang, made.link].map(jointIndex));
    const door = snap.joints[0];
    expect(door.kind).toBe(JOINT_KIND.HINGE);
    expect(door.flags).toBe(JOINT_FLAG.LIMITS);
    expect(door.b).toBeNull();
    expect(door.a.index).toBe(Number(doorBody & 0xffffffffn));
    // anchors in 1/1024 m: on the door 0.4 m left of its centre; the world point of the hinge
    expect(door.anchorA.map((v) => v / 1024)).toEqual([expect.closeTo(-0.4, 2), 0, 0]);
    expect(door.anchorB.map((v) => v / 1024)).toEqual([expect.closeTo(1.6, 2), expect.closeTo(1, 2), 0]);
    // the axis, unit x 32768 (clamped to 32767), in the door's frame and the world's
    expect(door.axisA).toEqual([0, 32767, 0]);
    expect(door.axisB).toEqual([0, 32767, 0]);
    // limits in 1/65536 rad
    expect([door.lower, door.upper]).toEqual([-65536, 65536]);
    const link = snap.joints[2];
    expect(link.kind).toBe(JOINT_KIND.BALL);
    expect(link.b).not.toBeNull();
    expect(link.axisA).toEqual([0, 0, 0]);
    // the bodies of every joint are in the same snapshot, so the client can place them
    const frames = new Map<number, Mirror>();
    let mirror = follow(c, 0, frames) as Mirror;
    const bodies = (m: Mirror): RenderBody[] =>
      [...m.bodies.values()].map((b) => ({
        index: b.index,
        generation: b.generation,
        shard: b.shard,
        shape: 0,
        kind: 0,
        size: [0, 0, 0],
        position: [b.px / 1024, b.py / 1024, b.pz / 1024],
        rotation: [b.qx / 32768, b.qy / 32768, b.qz / 32768, b.qw / 32768],
        asset: -1,
      }));
    const placed = placeJoints(mirror.joints.values(), bodies(mirror));
    expect(placed.map((p) => p.kind)).toEqual(['hinge', 'ball', 'ball']);
    // a joint holds: the door's anchor is at the hinge, within the wire's quantisation
    expect(Math.hypot(...placed[0].anchorA.map((v, i) => v - placed[0].anchorB[i]))).toBeLessThan(0.01);
    expect(placed[0].axis?.[1]).toBeCloseTo(1, 3);
    // the two-body ball joint: the lower box's anchor on the upper box's (B's anchor in B's frame)
    expect(Math.hypot(...placed[2].anchorA.map((v, i) => v - placed[2].anchorB[i]))).toBeLessThan(0.01);
    expect(placed[2].b).toBe(placed[1].a);

    // the door's joint is removed in the world: the next delta says so, and only that
    let seen = c.messages.length;
    const w = host.world.sim.world;
    w.removeJoint(made.door);
    await settle();
    host.tickOnce();
    await c.until(() => states(c, seen).length >= 1, 5000, 'the delta after the removal');
    const afterRemove = states(c, seen)[0];
    expect(afterRemove.kind).toBe('delta');
    if (afterRemove.kind !== 'delta') throw new Error('not a delta');
    expect(afterRemove.removedJoints).toEqual([{ index: jointIndex(made.door), generation: Number(made.door >> 32n) }]);
    expect(afterRemove.joints).toEqual([]);
    mirror = follow(c, seen, frames) as Mirror;
    expect([...mirror.joints.keys()]).toEqual([made.hang, made.link].map(jointIndex));

    // a new hinge takes the free index 0 with a higher generation: the client sees it enter
    seen = c.messages.length;
    made.door2 = w.addJoint({ kind: 'hinge', a: doorBody, b: null, anchorA: [-0.4, 0, 0], axis: [0, 1, 0] });
    expect(jointIndex(made.door2)).toBe(jointIndex(made.door));
    expect(made.door2 >> 32n).toBeGreaterThan(made.door >> 32n);
    await settle();
    host.tickOnce();
    await c.until(() => states(c, seen).length >= 1, 5000, 'the delta after the new joint');
    const afterAdd = states(c, seen)[0] as Extract<ServerMessage, { kind: 'delta' }>;
    expect(afterAdd.joints.map((j) => [j.index, j.generation, j.flags])).toEqual([[jointIndex(made.door2), Number(made.door2 >> 32n), 0]]);
    expect(afterAdd.removedJoints).toEqual([]);
    mirror = follow(c, seen, frames) as Mirror;

    // the interest moves to (60, 60): the joints near the origin leave with their bodies, the rope enters with its ball
    seen = c.messages.length;
    c.send({ kind: 'interest', interest: at(60, 60, 0) });
    await settle();
    host.tickOnce();
    await c.until(() => states(c, seen).length >= 1, 5000, 'the delta after the move');
    const moved = states(c, seen)[0] as Extract<ServerMessage, { kind: 'delta' }>;
    expect(moved.kind).toBe('delta');
    expect(moved.removedJoints.map((h) => h.index).sort()).toEqual([made.door2, made.hang, made.link].map(jointIndex).sort());
    expect(moved.joints.map((j) => j.index)).toEqual([jointIndex(made.rope)]);
    const rope = moved.joints[0];
    expect(rope.kind).toBe(JOINT_KIND.DISTANCE);
    expect([rope.minLength, rope.maxLength]).toEqual([0, 2048]);
    expect(rope.anchorB).toEqual([60 * 1024, 3 * 1024, 60 * 1024]);
    mirror = follow(c, seen, frames) as Mirror;
    expect([...mirror.joints.keys()]).toEqual([jointIndex(made.rope)]);
    // the mirror holds the joints the publisher has for that view: every joint of the world whose bodies it holds
    const expected = host.world.interest.joints().filter((j: JointInfo) => mirror.bodies.get(j.a.index)?.generation === j.a.generation);
    expect([...mirror.joints.values()]).toEqual(expected);
    c.close();
  } finally {
    await host.stop();
  }
}, 30_000);

test('a view holds at most maxJoints (the lowest indices); the cut is counted and exported', async () => {
  const metrics = new HostMetrics();
  const host = await Host.start({
    port: 0,
    world: world(),
    manualTicks: true,
    worldLoop: { interest: { maxJoints: 2 } },
    metrics: () => metrics.text(),
  });
  metrics.attach(host);
  try {
    const c = new RawClient(`ws://127.0.0.1:${host.port}/ws`);
    await c.opened;
    c.hello({ interest: { center: [0n, 0n, 0n], cells: 1 } });
    await c.until(() => c.of('welcome').length === 1);
    host.tickOnce();
    await c.until(() => c.of('snapshot').length >= 1, 5000, 'a snapshot');
    expect(c.of('snapshot')[0].joints.map((j) => j.index)).toEqual([made.door, made.hang].map(jointIndex));
    expect(host.world.interest.jointsLeftOut).toBeGreaterThan(0);
    const text = (await metrics.text()).body;
    expect(text).toMatch(new RegExp(`tessera_interest_joints_left_out_total ${host.world.interest.jointsLeftOut}\\b`));
    c.close();
  } finally {
    await host.stop();
  }
}, 30_000);

test('the decoder refuses a joint the wire cannot mean, and a snapshot without joints (protocol 2)', () => {
  const bytes = encodeServer({ kind: 'snapshot', tick: 1, bodies: [], shapes: [], joints: [sampleJoint(0)] });
  // the struct is the last 84 bytes before the vectors' end: find it by its kind and flags bytes
  const kindAt = (b: Uint8Array): number => {
    const m = decodeServer(b) as Extract<ServerMessage, { kind: 'snapshot' }>;
    expect(m.joints).toHaveLength(1);
    for (let i = 0; i + 84 <= b.length; i += 4) {
      const v = new DataView(b.buffer, b.byteOffset + i);
      if (v.getUint32(0, true) === 0 && v.getUint32(8, true) === 0 && v.getInt32(24, true) === 512 && v.getInt32(32, true) === 2 ** 31 - 1) return i + 80;
    }
    throw new Error('joint not found');
  };
  const k = kindAt(bytes);
  const patched = (f: (b: Uint8Array) => void): Uint8Array => {
    const b = bytes.slice();
    f(b);
    return b;
  };
  const refuse = (b: Uint8Array, pattern: RegExp): void => {
    expect(() => decodeServer(b)).toThrow(expect.objectContaining({ code: ERROR.BAD_VALUE }));
    expect(() => decodeServer(b)).toThrow(pattern);
  };
  refuse(
    patched((b) => (b[k] = 0)),
    /kind: None/,
  );
  refuse(
    patched((b) => (b[k + 1] = 16)),
    /unknown bits/,
  );
  refuse(
    patched((b) => (b[k + 1] = 8)), // sampleJoint(0) has a body B: with WORLD that is a contradiction
    /world end/,
  );
  expect(() => decodeServer(patched((b) => (b[k] = 9)))).toThrow(expect.objectContaining({ reason: 'BAD_VALUE', code: ERROR.BAD_MESSAGE })); // not an enum value: the verifier
  // a protocol-2 snapshot: no joints vector
  const fb = new flatbuffers.Builder(64);
  ServerSnapshot.startBodiesVector(fb, 0);
  const b0 = fb.endVector();
  ServerSnapshot.startShapesVector(fb, 0);
  const s0 = fb.endVector();
  // the table by hand (the generated endServerSnapshot insists on the joints): fields 0..2 only
  fb.startObject(3);
  fb.addFieldInt32(0, 1, 0);
  fb.addFieldOffset(1, b0, 0);
  fb.addFieldOffset(2, s0, 0);
  const snap = fb.endObject();
  fb.finish(FbServerMessage.createServerMessage(fb, ServerPayload.ServerSnapshot, snap), 'TSSV');
  expect(() => decodeServer(fb.asUint8Array())).toThrow(expect.objectContaining({ reason: 'MISSING_FIELD' }));
});
