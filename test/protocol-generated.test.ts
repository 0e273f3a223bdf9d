/**
 * The committed FlatBuffers TypeScript (src/protocol/generated/) is exactly what flatc
 * 2.0.8 makes from schemas/*.fbs, and the generated structs carry raw fixed-point values
 * through the flatbuffers runtime unchanged.
 */
import { execFileSync } from 'node:child_process';
import * as flatbuffers from 'flatbuffers';
import { Vec3 } from '../src/protocol/generated/tessera/vec3';
import { BodyHandle } from '../src/protocol/generated/tessera/body-handle';

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
