/**
 * Assets (src/assets/): heightmaps from PNG (pngjs) and static meshes from glTF 2.0 binaries
 * (@gltf-transform/core), quantised to the core's Q16 grid, and the refusals of bad or
 * oversized files, each with the file and the reason (AssetError code). The fixtures are
 * made here, in a temporary folder, with the same libraries (and one 4-bit PNG by hand, which
 * pngjs cannot write).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { Document, NodeIO } from '@gltf-transform/core';
import { AssetError, MAX_TRIANGLES, encodeGeometry, quantiseMesh, type AssetErrorCode } from '../src/assets/geometry';
import { loadHeightmap } from '../src/assets/heightmap';
import { loadGlbMesh } from '../src/assets/gltf';
import { PhysicsWorld } from '../src/physics/world';
import { boxMesh } from './helpers/terrain';

const dir = mkdtempSync(join(tmpdir(), 'tessera-assets-'));
const file = (name: string, bytes: Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

/** A greyscale PNG (colour type 0) of 8 or 16 bits per sample, written by pngjs. */
function greyPng(width: number, height: number, samples: number[], bitDepth: 8 | 16): Buffer {
  const data = bitDepth === 16 ? Buffer.from(new Uint16Array(samples).buffer) : Buffer.from(samples);
  const png = new PNG({ width, height });
  png.data = data;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth, inputHasAlpha: false });
}

/** A valid 4-bit greyscale PNG, chunk by chunk (pngjs writes 8 and 16 bits only). */
function grey4Png(width: number, height: number): Buffer {
  const chunk = (type: string, body: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const tb = Buffer.concat([Buffer.from(type, 'latin1'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(tb));
    return Buffer.concat([len, tb, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([4, 0, 0, 0, 0], 8); // bit depth 4, colour type 0, deflate, filter 0, no interlace
  const row = Buffer.alloc(1 + Math.ceil(width / 2), 0x35); // filter byte, then samples 3, 5, ...
  row[0] = 0;
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A .glb holding one triangle mesh (positions in metres, optional index list and node translation), written by @gltf-transform/core. */
async function glb(positions: number[], opts: { indices?: number[]; translation?: [number, number, number]; mode?: number } = {}): Promise<Uint8Array> {
  const doc = new Document();
  const buffer = doc.createBuffer();
  const pos = doc.createAccessor().setType('VEC3').setArray(new Float32Array(positions)).setBuffer(buffer);
  const prim = doc.createPrimitive().setAttribute('POSITION', pos);
  if (opts.indices) prim.setIndices(doc.createAccessor().setType('SCALAR').setArray(new Uint32Array(opts.indices)).setBuffer(buffer));
  if (opts.mode !== undefined) prim.setMode(opts.mode as 4);
  const mesh = doc.createMesh('wall').addPrimitive(prim);
  const node = doc.createNode('wall').setMesh(mesh);
  if (opts.translation) node.setTranslation(opts.translation);
  doc.createScene('scene').addChild(node);
  return new NodeIO().writeBinary(doc);
}

/** Expects `f` to throw (or reject with) an AssetError with this code naming this file. */
async function refused(f: () => unknown, code: AssetErrorCode, path: string): Promise<void> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AssetError);
  const a = err as AssetError;
  expect(a.code).toBe(code);
  expect(a.file).toBe(path);
  expect(a.message).toContain(path);
  expect(a.message).toContain(code);
}

const HM = { cellSize: [0.5, 0.5] as const, baseHeight: -1, heightRange: 4, origin: [-2, -3] as const };

describe('heightmaps from PNG', () => {
  test('8- and 16-bit greyscale samples become heights base + s / max x range, quantised to 2^-16 m', () => {
    const s8 = [0, 255, 128, 64, 10, 20];
    const hf8 = loadHeightmap(file('h8.png', greyPng(3, 2, s8, 8)), HM);
    expect([hf8.nx, hf8.nz]).toEqual([3, 2]);
    expect(Array.from(hf8.heights)).toEqual(s8.map((s) => Math.round((-1 + (s / 255) * 4) * 65536)));
    expect([hf8.cellX, hf8.cellZ, hf8.originX, hf8.originZ]).toEqual([32768, 32768, -2 * 65536, -3 * 65536]);
    const s16 = [0, 65535, 40000, 1, 2, 30000];
    const hf16 = loadHeightmap(file('h16.png', greyPng(2, 3, s16, 16)), HM);
    expect([hf16.nx, hf16.nz]).toEqual([2, 3]);
    expect(Array.from(hf16.heights)).toEqual(s16.map((s) => Math.round((-1 + (s / 65535) * 4) * 65536)));
  });

  test('refusals name the file and the reason', async () => {
    await refused(() => loadHeightmap(join(dir, 'missing.png'), HM), 'NOT_FOUND', join(dir, 'missing.png'));
    const text = file('not-a-png.png', Buffer.from('this is not an image, it only ends in .png'));
    await refused(() => loadHeightmap(text, HM), 'BAD_FORMAT', text);
    const four = file('grey4.png', grey4Png(4, 4));
    await refused(() => loadHeightmap(four, HM), 'BAD_BIT_DEPTH', four);
    const rgb = new PNG({ width: 2, height: 2 });
    rgb.data = Buffer.alloc(16, 200);
    const colour = file('colour.png', PNG.sync.write(rgb, { colorType: 2 }));
    await refused(() => loadHeightmap(colour, HM), 'BAD_FORMAT', colour);
    const wide = file('wide.png', greyPng(1025, 2, new Array(2050).fill(7), 8));
    await refused(() => loadHeightmap(wide, HM), 'TOO_MANY_SAMPLES', wide);
    const ok = file('ok.png', greyPng(2, 2, [1, 2, 3, 4], 8));
    await refused(() => loadHeightmap(ok, { ...HM, heightRange: Number.NaN }), 'BAD_OPTIONS', ok);
    await refused(() => loadHeightmap(ok, { ...HM, baseHeight: 9000 }), 'OUT_OF_BOUNDS', ok);
    // a truncated PNG: the signature and header, then nothing
    const cut = file('cut.png', greyPng(4, 4, new Array(16).fill(9), 8).subarray(0, 40));
    await refused(() => loadHeightmap(cut, HM), 'BAD_FORMAT', cut);
  });
});

describe('static meshes from glTF binaries', () => {
  // a wall at x = 3 facing -x: two triangles, counter-clockwise seen from -x
  const WALL = [3, -1, -1, 3, -1, 1, 3, 1, 1, 3, -1, -1, 3, 1, 1, 3, 1, -1];

  test('triangles come out in index order, moved by the node transform, quantised to 2^-16 m', async () => {
    const plain = await loadGlbMesh(file('wall.glb', await glb(WALL)));
    expect(Array.from(plain.triangles)).toEqual(WALL.map((v) => v * 65536));
    // the same wall as 4 vertices and 6 indices, moved by (0.25, 2, -0.5)
    const verts = [3, -1, -1, 3, -1, 1, 3, 1, 1, 3, 1, -1];
    const moved = await loadGlbMesh(file('wall-indexed.glb', await glb(verts, { indices: [0, 1, 2, 0, 2, 3], translation: [0.25, 2, -0.5] })));
    expect(Array.from(moved.triangles)).toEqual(WALL.map((v, k) => Math.round((v + [0.25, 2, -0.5][k % 3]) * 65536)));
  });

  test('a loaded wall stops a 0.1 m ball at 100 m/s (the asset path end to end)', async () => {
    // a closed slab 0.2 m thick (x = 3 .. 3.2) from 12 triangles
    const wall = boxMesh([3, -1, -1], [3.2, 1, 1]);
    const mesh = await loadGlbMesh(file('slab.glb', await glb(wall)));
    const w = PhysicsWorld.create({ sleep: { enabled: false }, gravity: [0, 0, 0], geometryWords: 1024 });
    w.addGeometry(encodeGeometry(mesh));
    const s = w.addSphere({ position: [0, 0.3, 0.2], radius: 0.1, velocity: [100, 0, 0] });
    w.step(20);
    expect(w.position(s)[0]).toBeLessThan(2.9 + 0.001);
    expect(w.position(s)[0]).toBeGreaterThan(2.5);
  });

  test('refusals name the file and the reason', async () => {
    await refused(() => loadGlbMesh(join(dir, 'missing.glb')), 'NOT_FOUND', join(dir, 'missing.glb'));
    const png = file('image.glb', greyPng(2, 2, [1, 2, 3, 4], 8));
    await refused(() => loadGlbMesh(png), 'BAD_FORMAT', png);
    const sliver = file('sliver.glb', await glb([0, 0, 0, 1, 1, 1, 2, 2, 2]));
    await refused(() => loadGlbMesh(sliver), 'DEGENERATE_TRIANGLE', sliver);
    const nan = file('nan.glb', await glb([0, 0, 0, 1, 0, 0, 0, Number.NaN, 1]));
    await refused(() => loadGlbMesh(nan), 'NOT_FINITE', nan);
    const far = file('far.glb', await glb([0, 0, 0, 1, 0, 0, 0, 10000, 1]));
    await refused(() => loadGlbMesh(far), 'OUT_OF_BOUNDS', far);
    const lines = file('lines.glb', await glb(WALL, { mode: 1 }));
    await refused(() => loadGlbMesh(lines), 'BAD_FORMAT', lines);
    // one triangle over the bound, as an index list (small file): refused before positions are read
    const many = file('many.glb', await glb([0, 0, 0, 1, 0, 0, 0, 0, 1], { indices: new Array((MAX_TRIANGLES + 1) * 3).fill(0).map((_, k) => k % 3) }));
    await refused(() => loadGlbMesh(many), 'TOO_MANY_TRIANGLES', many);
    // the quantiser alone: a mesh that is not a whole number of triangles, none at all
    await refused(() => quantiseMesh('list', [0, 0, 0, 1]), 'BAD_FORMAT', 'list');
    await refused(() => quantiseMesh('empty', []), 'NO_TRIANGLES', 'empty');
  });
});
