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
 * counter-clockwise seen from outside). A compound (issue 18: assembly/physics/compound.ts) is
 * sent the same way, as one mesh of all its children in the body's own frame (its principal
 * frame): each child's triangles moved by the child's pose, in block order: a box's 8 corners
 * and 12 triangles, a hull's vertices and fanned faces, a sphere or rotating capsule as a lathe
 * of 8 segments (rings at +-45 degrees and the equator, poles; a capsule's equator ring split
 * at the ends of its core), so a client draws the children without knowing the core's block.
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
  if (shape === SHAPE.COMPOUND) return compoundAsset(words, id, n);
  throw new RangeError(`no geometry block at word ${id} (shape code ${shape})`);
}

/** Most vertices of a compound's asset: 16 children of at most 64 vertices (a hull's). */
const COMPOUND_MAX_VERTICES = 16 * 64;
/** cos 45 degrees (= sin 45 degrees): the lathe's rings. */
const C45 = Math.SQRT1_2;
/** The lathe's 8 directions around the y axis: (cos, sin) of k x 45 degrees. */
const RING: ReadonlyArray<readonly [number, number]> = [
  [1, 0],
  [C45, C45],
  [0, 1],
  [-C45, C45],
  [-1, 0],
  [-C45, -C45],
  [0, -1],
  [C45, -C45],
];

/**
 * A lathe about the local y axis: poles at +-top, rings (y, radius) from the top down, 8
 * segments; triangles counter-clockwise seen from outside. Coordinates raw (m x 65536).
 */
function lathe(top: number, rings: ReadonlyArray<readonly [number, number]>): { v: number[][]; t: number[][] } {
  const v: number[][] = [[0, top, 0]];
  for (const [y, r] of rings) for (const [c, s] of RING) v.push([r * c, y, r * s]);
  v.push([0, -top, 0]);
  const t: number[][] = [];
  const at = (ring: number, k: number): number => 1 + ring * 8 + (k % 8);
  for (let k = 0; k < 8; k++) t.push([0, at(0, k + 1), at(0, k)]);
  for (let ring = 0; ring + 1 < rings.length; ring++)
    for (let k = 0; k < 8; k++) {
      t.push([at(ring, k), at(ring, k + 1), at(ring + 1, k + 1)]);
      t.push([at(ring, k), at(ring + 1, k + 1), at(ring + 1, k)]);
    }
  const bottom = v.length - 1,
    last = rings.length - 1;
  for (let k = 0; k < 8; k++) t.push([bottom, at(last, k), at(last, k + 1)]);
  return { v, t };
}

/** A compound block's children as one mesh in the body's frame (see the module comment). */
function compoundAsset(words: BigInt64Array, id: number, n: (k: number) => number): WireAsset {
  // | COMPOUND | N | 6 header words | N x 16: SHAPE | PX PY PZ | QX QY QZ QW | RADIUS | HX HY HZ | BLOCK | INNER | 0 | 0
  const count = n(1);
  n(8 + 16 * count - 1);
  const coords: number[] = [],
    indices: number[] = [];
  for (let k = 0; k < count; k++) {
    const c = 8 + 16 * k;
    const shape = n(c),
      r = n(c + 8),
      h = [n(c + 9), n(c + 10), n(c + 11)];
    let part: { v: number[][]; t: number[][] };
    if (shape === SHAPE.BOX) {
      const v = [0, 1, 2, 3, 4, 5, 6, 7].map((q) => [q & 1 ? h[0] : -h[0], q & 2 ? h[1] : -h[1], q & 4 ? h[2] : -h[2]]);
      // corners by bits (x, y, z); faces -x +x -y +y -z +z, counter-clockwise from outside
      const quads = [
        [0, 4, 6, 2],
        [1, 3, 7, 5],
        [0, 1, 5, 4],
        [2, 6, 7, 3],
        [0, 2, 3, 1],
        [4, 5, 7, 6],
      ];
      part = {
        v,
        t: quads.flatMap(([a, b, cc, d]) => [
          [a, b, cc],
          [a, cc, d],
        ]),
      };
    } else if (shape === SHAPE.HULL) {
      const hull = assetAt(words, n(c + 12));
      const v: number[][] = [],
        t: number[][] = [];
      for (let q = 0; q < hull.vertexCount; q++) v.push([hull.values[3 * q], hull.values[3 * q + 1], hull.values[3 * q + 2]]);
      for (let q = 3 * hull.vertexCount; q < hull.values.length; q += 3) t.push([hull.values[q], hull.values[q + 1], hull.values[q + 2]]);
      part = { v, t };
    } else if (shape === SHAPE.ROTATING_CAPSULE) {
      const rad = h[0],
        half = h[1];
      part = lathe(half + rad, [
        [half + rad * C45, rad * C45],
        [half, rad],
        [-half, rad],
        [-half - rad * C45, rad * C45],
      ]);
    } else if (shape === SHAPE.SPHERE) {
      part = lathe(r, [
        [r * C45, r * C45],
        [0, r],
        [-r * C45, r * C45],
      ]);
    } else throw new RangeError(`the compound block at word ${id}: child ${k} has shape code ${shape}`);
    // the child's pose: v' = p + rotate(q, v), q Q16
    const [px, py, pz] = [n(c + 1), n(c + 2), n(c + 3)];
    const [x, y, z, w] = [n(c + 4) / 65536, n(c + 5) / 65536, n(c + 6) / 65536, n(c + 7) / 65536];
    const base = coords.length / 3;
    for (const v of part.v) {
      const tx = 2 * (y * v[2] - z * v[1]),
        ty = 2 * (z * v[0] - x * v[2]),
        tz = 2 * (x * v[1] - y * v[0]);
      coords.push(
        Math.round(px + v[0] + w * tx + (y * tz - z * ty)),
        Math.round(py + v[1] + w * ty + (z * tx - x * tz)),
        Math.round(pz + v[2] + w * tz + (x * ty - y * tx)),
      );
    }
    for (const t of part.t) indices.push(base + t[0], base + t[1], base + t[2]);
  }
  const values = new Int32Array(coords.length + indices.length);
  values.set(coords);
  values.set(indices, coords.length);
  return {
    id,
    shape: SHAPE.COMPOUND,
    nx: 0,
    nz: 0,
    cellX: 0,
    cellZ: 0,
    originX: 0,
    originZ: 0,
    vertexCount: coords.length / 3,
    indexCount: indices.length,
    values,
  };
}

/** Whether a body of this shape goes on the wire as an asset id (BodyShape.sx) with its geometry sent apart: heightfields, meshes, hulls and compounds. */
export function isAssetShape(shape: number): boolean {
  return shape === SHAPE.HEIGHTFIELD || shape === SHAPE.MESH || shape === SHAPE.HULL || shape === SHAPE.COMPOUND;
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

/** The number of values an asset with this header has, or -1 when the header is not a valid heightfield, mesh, hull or compound (or over MAX_ASSET_VALUES). */
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
  // a compound: its children as one mesh, at most 16 x 64 vertices
  if (
    p.shape === SHAPE.COMPOUND &&
    p.nx === 0 &&
    p.nz === 0 &&
    p.vertexCount >= 8 &&
    p.vertexCount <= COMPOUND_MAX_VERTICES &&
    p.indexCount >= 24 &&
    p.indexCount <= 3 * 2 * p.vertexCount &&
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
      if (total < 0) throw new RangeError(`geometry ${p.id}: not a valid heightfield, mesh, hull or compound header`);
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
    if (h.shape === SHAPE.MESH || h.shape === SHAPE.HULL || h.shape === SHAPE.COMPOUND)
      for (let k = 3 * h.vertexCount; k < a.values.length; k++)
        if (a.values[k] < 0 || a.values[k] >= h.vertexCount)
          throw new RangeError(`geometry ${p.id}: index ${a.values[k]} outside its ${h.vertexCount} vertices`);
    const { id, shape, nx, nz, cellX, cellZ, originX, originZ, vertexCount, indexCount } = h;
    return { id, shape, nx, nz, cellX, cellZ, originX, originZ, vertexCount, indexCount, values: a.values };
  }
}
