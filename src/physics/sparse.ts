/**
 * Sparse page images of a byte range: only the 4 KiB pages that hold a non-zero byte are kept.
 * A world's memory is mostly zeros when it is saved (the registry world never steps, so its
 * contact, solver and grid arrays stay empty: about 500 of 8,200 pages at 20,000 bodies), and
 * zero pages need neither a copy nor a write.
 *
 *   | u32 total bytes | u32 page count k | u32 page index x k | page bytes x k |
 *
 * (little-endian; every page is PAGE bytes except a last partial page of the range). Zero
 * pages are found with Buffer.compare against a zero block (memcmp), 64 KiB at a time first.
 */

/** Bytes per page. */
export const PAGE = 4096;
const BLOCK = 16 * PAGE;
const ZERO = Buffer.alloc(BLOCK);

/** The sparse image of `bytes` (a view; nothing is kept). */
export function sparseImage(bytes: Uint8Array): Uint8Array {
  const n = bytes.byteLength;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, n);
  const pages: number[] = [];
  for (let b = 0; b < n; b += BLOCK) {
    const end = Math.min(n, b + BLOCK);
    if (buf.compare(ZERO, 0, end - b, b, end) === 0) continue;
    for (let p = b; p < end; p += PAGE) {
      const pe = Math.min(end, p + PAGE);
      if (buf.compare(ZERO, 0, pe - p, p, pe) !== 0) pages.push(p / PAGE);
    }
  }
  const dataBytes = pages.reduce((s, i) => s + Math.min(PAGE, n - i * PAGE), 0);
  const out = new Uint8Array(8 + 4 * pages.length + dataBytes);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, n, true);
  dv.setUint32(4, pages.length, true);
  let at = 8 + 4 * pages.length;
  pages.forEach((i, k) => {
    dv.setUint32(8 + 4 * k, i, true);
    const len = Math.min(PAGE, n - i * PAGE);
    out.set(bytes.subarray(i * PAGE, i * PAGE + len), at);
    at += len;
  });
  return out;
}

/**
 * The bytes a sparse image stands for, in a fresh zeroed buffer. Throws RangeError for an
 * image whose lengths or page indices do not fit.
 */
export function fromSparseImage(img: Uint8Array): Uint8Array {
  if (img.byteLength < 8) throw new RangeError('sparse image truncated');
  const dv = new DataView(img.buffer, img.byteOffset, img.byteLength);
  const n = dv.getUint32(0, true),
    k = dv.getUint32(4, true);
  if (8 + 4 * k > img.byteLength) throw new RangeError('sparse image truncated');
  const out = new Uint8Array(n);
  let at = 8 + 4 * k,
    prev = -1;
  for (let j = 0; j < k; j++) {
    const i = dv.getUint32(8 + 4 * j, true);
    if (i <= prev || i * PAGE >= n) throw new RangeError('sparse image page index out of order or range');
    prev = i;
    const len = Math.min(PAGE, n - i * PAGE);
    if (at + len > img.byteLength) throw new RangeError('sparse image truncated');
    out.set(img.subarray(at, at + len), i * PAGE);
    at += len;
  }
  if (at !== img.byteLength) throw new RangeError('sparse image has trailing bytes');
  return out;
}
