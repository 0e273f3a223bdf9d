/**
 * Heightmaps from PNG files (decoded by `pngjs`): a greyscale image, 8 or 16 bits per sample,
 * one sample per heightfield point, image column -> x, image row -> z. A sample s of a b-bit
 * image stands for the height y = baseHeight + s / (2^b - 1) x heightRange (metres).
 *
 * Refusals (AssetError, with the file and the reason): NOT_FOUND (cannot be read), TOO_LARGE
 * (file above MAX_PNG_BYTES), BAD_FORMAT (not a PNG, or not greyscale without alpha),
 * BAD_BIT_DEPTH (1, 2 or 4 bits), TOO_MANY_SAMPLES (a side above MAX_HEIGHTFIELD_SIDE, checked
 * from the header before decoding), BAD_OPTIONS, and the bounds of src/assets/geometry.ts.
 */
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { AssetError, MAX_HEIGHTFIELD_SIDE, quantiseHeightfield, type Heightfield } from './geometry';

/** Largest heightmap file, bytes (64 MiB). */
export const MAX_PNG_BYTES = 64 * 1024 * 1024;

/** How a heightmap's samples become a heightfield (metres). */
export interface HeightmapOptions {
  /** Distance between samples along x and z, m. */
  cellSize: readonly [number, number];
  /** Height of sample value 0, m. */
  baseHeight: number;
  /** Height of the largest sample value above baseHeight, m (>= 0). */
  heightRange: number;
  /** Position of sample (0, 0): [x, z], m. */
  origin: readonly [number, number];
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Reads a file for an asset loader, refusing a missing or oversized one (NOT_FOUND, TOO_LARGE). */
export function readAsset(file: string, maxBytes: number): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new AssetError('NOT_FOUND', file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (buf.length > maxBytes) throw new AssetError('TOO_LARGE', file, `${buf.length} bytes, at most ${maxBytes}`);
  return buf;
}

/**
 * Decodes a heightmap PNG (bytes) into a quantised heightfield; `file` names it in errors.
 * Throws AssetError (see the module comment).
 */
export function heightfieldFromPng(file: string, bytes: Buffer, opts: HeightmapOptions): Heightfield {
  if (bytes.length < 33 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw new AssetError('BAD_FORMAT', file, 'not a PNG file (no PNG signature)');
  // the image size from the IHDR chunk, the first after the signature, to refuse a huge image
  // before pngjs decodes (and allocates) it
  const width = bytes.readUInt32BE(16),
    height = bytes.readUInt32BE(20);
  if (width > MAX_HEIGHTFIELD_SIDE || height > MAX_HEIGHTFIELD_SIDE || width < 2 || height < 2)
    throw new AssetError('TOO_MANY_SAMPLES', file, `${width} x ${height} samples: each side must be 2..${MAX_HEIGHTFIELD_SIDE}`);
  if (!(opts.heightRange >= 0) || !Number.isFinite(opts.heightRange) || !Number.isFinite(opts.baseHeight))
    throw new AssetError('BAD_OPTIONS', file, `heightRange ${opts.heightRange} must be a finite number >= 0, baseHeight ${opts.baseHeight} finite`);
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(bytes, { skipRescale: true });
  } catch (e) {
    throw new AssetError('BAD_FORMAT', file, `not a valid PNG: ${(e as Error).message}`);
  }
  if (png.colorType !== 0) throw new AssetError('BAD_FORMAT', file, `colour type ${png.colorType}: a heightmap must be greyscale without alpha (type 0)`);
  if (png.depth !== 8 && png.depth !== 16) throw new AssetError('BAD_BIT_DEPTH', file, `${png.depth} bits per sample: a heightmap must have 8 or 16`);
  const max = png.depth === 16 ? 65535 : 255;
  // with skipRescale the samples keep their bit depth: RGBA per pixel, grey in R (a Uint16Array at 16 bits)
  const data = png.data as unknown as ArrayLike<number>;
  const heights = new Float64Array(width * height);
  for (let k = 0; k < heights.length; k++) heights[k] = opts.baseHeight + (data[k * 4] / max) * opts.heightRange;
  return quantiseHeightfield(file, heights, width, height, { cellSize: opts.cellSize, origin: opts.origin });
}

/** Loads a heightmap PNG file into a quantised heightfield. Throws AssetError naming the file. */
export function loadHeightmap(file: string, opts: HeightmapOptions): Heightfield {
  return heightfieldFromPng(file, readAsset(file, MAX_PNG_BYTES), opts);
}
