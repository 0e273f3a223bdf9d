/**
 * Static triangle meshes from glTF 2.0 binary files (`.glb`, read by `@gltf-transform/core`):
 * every triangle primitive of every mesh reachable from the default scene (or every scene
 * when none is default), its positions moved by the node's world matrix, in document order
 * (scenes, nodes depth first, primitives, then index order), so the triangle list and the
 * quantised mesh are a function of the file. glTF's front faces are counter-clockwise, as the
 * core's (assembly/physics/terrain.ts).
 *
 * Refusals (AssetError, with the file and the reason): NOT_FOUND, TOO_LARGE (file above
 * MAX_GLB_BYTES), BAD_FORMAT (not a valid .glb, a primitive that is not triangles, no
 * POSITION), NO_TRIANGLES, TOO_MANY_TRIANGLES (counted before reading positions), and the
 * bounds of src/assets/geometry.ts (NOT_FINITE, OUT_OF_BOUNDS, DEGENERATE_TRIANGLE).
 */
import { NodeIO, type Node as GltfNode, type Primitive } from '@gltf-transform/core';
import { AssetError, MAX_TRIANGLES, quantiseMesh, type TriangleMesh } from './geometry';
import { readAsset } from './heightmap';

/** Largest .glb file, bytes (64 MiB). */
export const MAX_GLB_BYTES = 64 * 1024 * 1024;

/** glTF primitive mode TRIANGLES. */
const TRIANGLES = 4;

/** Applies a column-major 4x4 matrix to (x, y, z, 1). */
function transform(m: ArrayLike<number>, x: number, y: number, z: number): [number, number, number] {
  return [m[0] * x + m[4] * y + m[8] * z + m[12], m[1] * x + m[5] * y + m[9] * z + m[13], m[2] * x + m[6] * y + m[10] * z + m[14]];
}

/** Decodes .glb bytes into a quantised triangle mesh; `file` names it in errors. Throws AssetError. */
export async function meshFromGlb(file: string, bytes: Uint8Array): Promise<TriangleMesh> {
  let doc: Awaited<ReturnType<NodeIO['readBinary']>>;
  try {
    doc = await new NodeIO().readBinary(bytes);
  } catch (e) {
    throw new AssetError('BAD_FORMAT', file, `not a valid glTF 2.0 binary (.glb): ${(e as Error).message}`);
  }
  const root = doc.getRoot();
  const scenes = root.getDefaultScene() ? [root.getDefaultScene()!] : root.listScenes();
  const items: Array<{ prim: Primitive; matrix: ArrayLike<number>; name: string }> = [];
  const visit = (node: GltfNode): void => {
    const mesh = node.getMesh();
    if (mesh) {
      mesh.listPrimitives().forEach((prim, k) => {
        items.push({ prim, matrix: node.getWorldMatrix(), name: `mesh "${mesh.getName()}" primitive ${k}` });
      });
    }
    for (const child of node.listChildren()) visit(child);
  };
  for (const scene of scenes) for (const node of scene.listChildren()) visit(node);
  let count = 0;
  for (const { prim, name } of items) {
    if (prim.getMode() !== TRIANGLES) throw new AssetError('BAD_FORMAT', file, `${name} has mode ${prim.getMode()}: only triangles (mode 4) are static meshes`);
    const pos = prim.getAttribute('POSITION');
    if (!pos) throw new AssetError('BAD_FORMAT', file, `${name} has no POSITION attribute`);
    const idx = prim.getIndices();
    const n = idx ? idx.getCount() : pos.getCount();
    if (n % 3 !== 0) throw new AssetError('BAD_FORMAT', file, `${name} has ${n} vertices: not a whole number of triangles`);
    count += n / 3;
    if (count > MAX_TRIANGLES) throw new AssetError('TOO_MANY_TRIANGLES', file, `more than ${MAX_TRIANGLES} triangles`);
  }
  const positions = new Float64Array(count * 9);
  let at = 0;
  const v: number[] = [0, 0, 0];
  for (const { prim, matrix, name } of items) {
    const pos = prim.getAttribute('POSITION')!;
    const idx = prim.getIndices();
    const n = idx ? idx.getCount() : pos.getCount();
    for (let k = 0; k < n; k++) {
      const vi = idx ? idx.getScalar(k) : k;
      if (!(vi >= 0 && vi < pos.getCount())) throw new AssetError('BAD_FORMAT', file, `${name}: index ${vi} outside its ${pos.getCount()} vertices`);
      pos.getElement(vi, v);
      const p = transform(matrix, v[0], v[1], v[2]);
      positions[at++] = p[0];
      positions[at++] = p[1];
      positions[at++] = p[2];
    }
  }
  return quantiseMesh(file, positions);
}

/** Loads a .glb file into a quantised triangle mesh. Throws AssetError naming the file. */
export async function loadGlbMesh(file: string): Promise<TriangleMesh> {
  return meshFromGlb(file, readAsset(file, MAX_GLB_BYTES));
}
