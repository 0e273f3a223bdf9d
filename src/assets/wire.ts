/**
 * Static geometry as clients receive it (protocol 2, ServerGeometry in schemas/server.fbs):
 * read back from the world's geometry words (the core's blocks, src/assets/geometry.ts
 * encodeGeometry; formats in assembly/physics/terrain.ts), so a client gets exactly the
 * quantised geometry the core collides with, and cut into parts for the wire.
 *
 *   world GEOMETRY words --assetAt(words, id)--> WireAsset --assetParts--> GeometryPart[]
 *   GeometryPart[] --GeometryAssembler (client side)--> WireAsset
 *
 * An asset's id is the word index of its block in the world's GEOMETRY array (what the body's
 * RADIUS holds): the same in every process and every run of the same scene.
 *
 * Values (i32, raw Q47.16 metres unless said): a heightfield's nx * nz heights, row-major by z;
 * a mesh's vertices (x, y, z each; a vertex shared by several triangles once, in the order the
 * core's triangles first use it) then its indices (three per triangle, in the core's triangle
 * order, counter-clockwise seen from the front). A hull (a dynamic body's shape, issue 18:
 * assembly/physics/hull.ts) is sent as a mesh in the body's own frame: its vertices (the
 * principal frame, centroid at the origin: the body's position and rotation place them) then
 * its faces as triangles (each face polygon fanned from its first corner, in face order,
 * counter-clockwise seen from outside).
 *
 * Size: a heightfield has at most 1024 x 1024 samples (MAX_HEIGHTFIELD_SIDE): 4 MiB of values;
 * a mesh at most 65,536 triangles (MAX_TRIANGLES): at most 196,608 vertices and 196,608
 * indices, 3 MiB. So one asset is at most MAX_ASSET_VALUES values (4 MiB), in at most 64 parts
 * of GEOMETRY_PART_VALUES values (64 KiB) each.
 */
import { SHAPE } from '../physics/world-layout';
import { GEOMETRY_PART_VALUES, type GeometryPart } from '../protocol/messages';

/**
 * Most values of one asset (1,048,576): the larger of a full heightfield (geometry.ts
 * MAX_HEIGHTFIELD_SIDE^2 = 1024^2) and a full mesh (12 x MAX_TRIANGLES = 786,432: 3 vertices of
 * 3 coordinates and 3 indices a triangle). A literal, so the browser bundle (the client library)
 * does not pull in the loaders; test/terrain-wire.test.ts checks it against them.
 */
export const MAX_ASSET_VALUES = 1024 * 1024;

/** A whole geometry asset: the header of GeometryPart and all of its values (see the module comment). */
export type WireAsset = Omit<GeometryPart, 'kind' | 'first'>;

/**
 * The asset whose block starts at word `id` of the world's geometry words (PhysicsWorld /
 * ShardedWorld geometry()). Throws RangeError when no heightfield or mesh block starts there or
 * the block runs past the words.
 */
export function assetAt(words: BigInt64Array, id: number): WireAsset {
  if (!Number.isInteger(id) || id < 0 || id >= words.length) throw new RangeError(`no geometry block at word ${id}`);
  const n = (k: number): number => {
    if (id + k >= words.length) throw new RangeError(`the geometry block at word ${id} runs past the geometry (${words.length} words)`);
    return Number(words[id + k]);
  };
  const shape = n(0);
  if (shape === SHAPE.HEIGHTFIELD) {
    const nx = n(1),
      nz = n(2);
    n(8 + nx * nz - 1);
    const values = new Int32Array(nx * nz);
    for (let k = 0; k < values.length; k++) values[k] = Number(words[id + 8 + k]);
    return { id, shape, nx, nz, cellX: n(3), cellZ: n(4), originX: n(5), originZ: n(6), vertexCount: 0, indexCount: 0, values };
  }
  if (shape === SHAPE.MESH) {
    const tris = n(1),
      nodes = n(2);
    const at = id + 4 + nodes * 8;
    n(4 + nodes * 8 + tris * 9 - 1);
    const vertexOf = new Map<string, number>(),
      coords: number[] = [],
      indices = new Int32Array(tris * 3);
    for (let k = 0; k < tris * 3; k++) {
      const x = Number(words[at + k * 3]),
        y = Number(words[at + k * 3 + 1]),
        z = Number(words[at + k * 3 + 2]);
      const key = `${x},${y},${z}`;
      let v = vertexOf.get(key);
      if (v === undefined) {
        v = coords.length / 3;
        vertexOf.set(key, v);
        coords.push(x, y, z);
      }
      indices[k] = v;
    }
    const values = new Int32Array(coords.length + indices.length);
    values.set(coords);
    values.set(indices, coords.length);
    return { id, shape, nx: 0, nz: 0, cellX: 0, cellZ: 0, originX: 0, originZ: 0, vertexCount: coords.length / 3, indexCount: indices.length, values };
  }
  if (shape === SHAPE.HULL) {
    // | HULL | NV | NF | NE | 6 more header words | NV x 3 vertices | NF x 4 planes | NF face words | face index lists | ...
    const nv = n(1),
      nf = n(2);
    const vAt = id + 10,
      faceAt = vAt + 3 * nv + 4 * nf,
      listAt = faceAt + nf;
    n(10 + 3 * nv + 5 * nf - 1);
    const coords = new Int32Array(3 * nv);
    for (let k = 0; k < coords.length; k++) coords[k] = Number(words[vAt + k]);
    const indices: number[] = [];
    for (let f = 0; f < nf; f++) {
      const w = Number(words[faceAt + f]),
        first = Math.floor(w / 65536),
        count = w % 65536;
      if (listAt + first + count > words.length) throw new RangeError(`the hull block at word ${id} runs past the geometry (${words.length} words)`);
      for (let k = 1; k + 1 < count; k++) indices.push(Number(words[listAt + first]), Number(words[listAt + first + k]), Number(words[listAt + first + k + 1]));
    }
    const values = new Int32Array(coords.length + indices.length);
    values.set(coords);
    values.set(indices, coords.length);
    return { id, shape, nx: 0, nz: 0, cellX: 0, cellZ: 0, originX: 0, originZ: 0, vertexCount: nv, indexCount: indices.length, values };
  }
  throw new RangeError(`no geometry block at word ${id} (shape code ${shape})`);
}

/** Whether a body of this shape goes on the wire as an asset id (BodyShape.sx) with its geometry sent apart: heightfields, meshes and hulls. */
export function isAssetShape(shape: number): boolean {
  return shape === SHAPE.HEIGHTFIELD || shape === SHAPE.MESH || shape === SHAPE.HULL;
}

/** An asset as ServerGeometry parts of at most `partValues` (default GEOMETRY_PART_VALUES) values each, in order. */
export function assetParts(a: WireAsset, partValues = GEOMETRY_PART_VALUES): GeometryPart[] {
  const out: GeometryPart[] = [];
  for (let first = 0; first < a.values.length; first += partValues) {
    out.push({
      kind: 'geometry',
      id: a.id,
      shape: a.shape,
      nx: a.nx,
      nz: a.nz,
      cellX: a.cellX,
      cellZ: a.cellZ,
      originX: a.originX,
      originZ: a.originZ,
      vertexCount: a.vertexCount,
      indexCount: a.indexCount,
      first,
      values: a.values.slice(first, first + partValues),
    });
  }
  return out;
}

/** The number of values an asset with this header has, or -1 when the header is not a valid heightfield, mesh or hull (or over MAX_ASSET_VALUES). */
export function assetValueCount(p: Pick<GeometryPart, 'shape' | 'nx' | 'nz' | 'vertexCount' | 'indexCount'>): number {
  let n = -1;
  if (p.shape === SHAPE.HEIGHTFIELD && p.nx >= 2 && p.nz >= 2 && p.vertexCount === 0 && p.indexCount === 0) n = p.nx * p.nz;
  if (p.shape === SHAPE.MESH && p.nx === 0 && p.nz === 0 && p.vertexCount >= 3 && p.indexCount >= 3 && p.indexCount % 3 === 0)
    n = 3 * p.vertexCount + p.indexCount;
  // a hull: 4 to 64 vertices, at most 2 V - 4 triangles (a convex polyhedron's)
  if (
    p.shape === SHAPE.HULL &&
    p.nx === 0 &&
    p.nz === 0 &&
    p.vertexCount >= 4 &&
    p.vertexCount <= 64 &&
    p.indexCount >= 12 &&
    p.indexCount <= 3 * (2 * p.vertexCount - 4) &&
    p.indexCount % 3 === 0
  )
    n = 3 * p.vertexCount + p.indexCount;
  return n > MAX_ASSET_VALUES ? -1 : n;
}

/**
 * Puts parts back together, as a client does: `add(part)` returns the whole asset once its
 * last missing value arrived, else null. Parts of one asset may come in any order; a part whose
 * header differs from the asset's first part, that runs past the asset's values, or whose
 * header is not a valid asset (assetValueCount), or a mesh index outside its vertices throws
 * RangeError. An asset completed once is not returned again. (The host sends each value once;
 * a part repeated before the asset completes would complete it early.)
 */
export class GeometryAssembler {
  private readonly pending = new Map<number, { head: GeometryPart; values: Int32Array; got: number }>();
  private readonly done = new Set<number>();

  add(p: GeometryPart): WireAsset | null {
    if (this.done.has(p.id)) return null;
    let a = this.pending.get(p.id);
    if (!a) {
      const total = assetValueCount(p);
      if (total < 0) throw new RangeError(`geometry ${p.id}: not a valid heightfield, mesh or hull header`);
      a = { head: p, values: new Int32Array(total), got: 0 };
      this.pending.set(p.id, a);
    }
    const h = a.head;
    if (
      p.shape !== h.shape ||
      p.nx !== h.nx ||
      p.nz !== h.nz ||
      p.cellX !== h.cellX ||
      p.cellZ !== h.cellZ ||
      p.originX !== h.originX ||
      p.originZ !== h.originZ ||
      p.vertexCount !== h.vertexCount ||
      p.indexCount !== h.indexCount
    )
      throw new RangeError(`geometry ${p.id}: a part's header differs from the first part's`);
    if (p.first + p.values.length > a.values.length) throw new RangeError(`geometry ${p.id}: a part runs past the asset's ${a.values.length} values`);
    a.values.set(p.values, p.first);
    a.got += p.values.length;
    if (a.got < a.values.length) return null;
    this.pending.delete(p.id);
    this.done.add(p.id);
    if (h.shape === SHAPE.MESH || h.shape === SHAPE.HULL)
      for (let k = 3 * h.vertexCount; k < a.values.length; k++)
        if (a.values[k] < 0 || a.values[k] >= h.vertexCount)
          throw new RangeError(`geometry ${p.id}: index ${a.values[k]} outside its ${h.vertexCount} vertices`);
    const { id, shape, nx, nz, cellX, cellZ, originX, originZ, vertexCount, indexCount } = h;
    return { id, shape, nx, nz, cellX, cellZ, originX, originZ, vertexCount, indexCount, values: a.values };
  }
}
