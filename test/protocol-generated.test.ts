/**
 * The committed FlatBuffers TypeScript (src/protocol/generated/) is exactly what flatc
 * 2.0.8 makes from schemas/*.fbs, and the generated structs carry raw fixed-point values
 * through the flatbuffers runtime unchanged.
 */
import { execFileSync } from 'node:child_process';
import * as flatbuffers from 'flatbuffers';
import { Vec3 } from '../src/protocol/generated/tessera/vec3';
import { BodyHandle } from '../src/protocol/generated/tessera/body-handle';
import { BodyState } from '../src/protocol/generated/tessera/body-state';
import { ClientMessage } from '../src/protocol/generated/tessera/client-message';
import { ServerMessage } from '../src/protocol/generated/tessera/server-message';
import { ShardMessage } from '../src/protocol/generated/tessera/shard-message';

function flatcVersion(): string | null {
  try {
    return execFileSync('flatc', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

const haveFlatc = flatcVersion() === 'flatc version 2.0.8';
// CI installs flatc, so there the check always runs; elsewhere it runs when flatc 2.0.8 is present
(haveFlatc || process.env.CI === 'true' ? test : test.skip)('committed generated code matches the schemas', () => {
  // gen-protocol --check exits non-zero (and execFileSync throws) on any difference
  const out = execFileSync('node', ['scripts/gen-protocol.mjs', '--check'], { cwd: `${__dirname}/..`, encoding: 'utf8' });
  expect(out).toMatch(/generated files match schemas/);
});

test('Vec3 and BodyHandle structs round-trip raw values, including the i64 extremes', () => {
  const b = new flatbuffers.Builder(64);
  const values = [-(1n << 63n), (1n << 63n) - 1n, 65536n];
  const off = Vec3.createVec3(b, values[0], values[1], values[2]);
  b.finish(off);
  const bb = new flatbuffers.ByteBuffer(b.asUint8Array());
  const v = new Vec3().__init(bb.readInt32(0), bb);
  expect([v.x(), v.y(), v.z()]).toEqual(values);
  const b2 = new flatbuffers.Builder(16);
  b2.finish(BodyHandle.createBodyHandle(b2, 0xffffffff, 7));
  const bb2 = new flatbuffers.ByteBuffer(b2.asUint8Array());
  const h = new BodyHandle().__init(bb2.readInt32(0), bb2);
  expect([h.index(), h.generation()]).toEqual([0xffffffff, 7]);
});

test('the generated roots write and recognise their file identifiers (TSCL, TSSV, TSSH)', () => {
  type Create = (b: flatbuffers.Builder, payloadType: number, payload: flatbuffers.Offset) => flatbuffers.Offset;
  const roots: { finish: (b: flatbuffers.Builder, o: flatbuffers.Offset) => void; create: Create; has: (bb: flatbuffers.ByteBuffer) => boolean; id: string }[] =
    [
      { finish: ClientMessage.finishClientMessageBuffer, create: ClientMessage.createClientMessage, has: ClientMessage.bufferHasIdentifier, id: 'TSCL' },
      { finish: ServerMessage.finishServerMessageBuffer, create: ServerMessage.createServerMessage, has: ServerMessage.bufferHasIdentifier, id: 'TSSV' },
      { finish: ShardMessage.finishShardMessageBuffer, create: ShardMessage.createShardMessage, has: ShardMessage.bufferHasIdentifier, id: 'TSSH' },
    ];
  for (const r of roots) {
    const b = new flatbuffers.Builder(64);
    const empty = (() => {
      b.startObject(0);
      return b.endObject();
    })();
    r.finish(b, r.create(b, 1, empty));
    const bytes = b.asUint8Array();
    expect(String.fromCharCode(...bytes.subarray(4, 8))).toBe(r.id);
    expect(r.has(new flatbuffers.ByteBuffer(bytes))).toBe(true);
    expect(roots.filter((o) => o.has(new flatbuffers.ByteBuffer(bytes))).map((o) => o.id)).toEqual([r.id]);
  }
});

test('BodyState struct: the generated writer and reader carry the i16/i32/u32/u8 extremes', () => {
  const b = new flatbuffers.Builder(64);
  const v = [0xffffffff, 0, -0x80000000, 0x7fffffff, -1, -0x8000, 0x7fff, 0, -1, 1, -0x8000, 0x7fff, 255] as const;
  b.finish(BodyState.createBodyState(b, ...v));
  const bb = new flatbuffers.ByteBuffer(b.asUint8Array());
  const s = new BodyState().__init(bb.readInt32(0), bb);
  expect([s.index(), s.generation(), s.px(), s.py(), s.pz(), s.qx(), s.qy(), s.qz(), s.qw(), s.vx(), s.vy(), s.vz(), s.shard()]).toEqual([...v]);
  expect(BodyState.sizeOf()).toBe(36);
});
