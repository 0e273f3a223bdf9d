/**
 * xxHash64: the WebAssembly core, its TypeScript twin and an independent implementation
 * (the xxhash-wasm package) agree on published vectors and on random buffers of every
 * length class (< 4, < 8, < 32, multi-stripe), seeds and unaligned offsets.
 */
import xxhash from 'xxhash-wasm';
import { Core, createMemory } from '../src/physics/wasm';
import { planLayout } from '../src/physics/layout';
import { xxh64 } from '../src/physics/xxhash64';
import { mulberry32 } from './helpers/bigref';

const plan = planLayout([['buf', 1 << 16]]);
const core = Core.instantiate(createMemory({ pages: plan.pages, shared: true }), 'release');
const BUF = plan.regions.buf.offset;

function wasmHash(bytes: Uint8Array, seed: bigint, misalign = 0): bigint {
  core.bytes().set(bytes, BUF + misalign);
  return core.hash64(BUF + misalign, bytes.length, seed);
}

test('published XXH64 vectors', () => {
  const enc = new TextEncoder();
  const vectors: Array<[string, bigint, bigint]> = [
    ['', 0n, 0xef46db3751d8e999n],
    ['abc', 0n, 0x44bc2cf5ad770999n],
  ];
  for (const [s, seed, want] of vectors) {
    expect(xxh64(enc.encode(s), seed)).toBe(want);
    expect(wasmHash(enc.encode(s), seed)).toBe(want);
  }
});

test('core, TypeScript twin and xxhash-wasm agree on random input', async () => {
  const { h64Raw } = await xxhash();
  const rng = mulberry32(99);
  const lengths = [...Array.from({ length: 300 }, (_, i) => i), 1000, 4096, 4099, 65000];
  for (const len of lengths) {
    const bytes = new Uint8Array(len);
    for (let i = 0; i < len; i++) bytes[i] = rng() & 255;
    const seed = (BigInt(rng()) << 32n) | BigInt(rng());
    const want = h64Raw(bytes, seed);
    expect(xxh64(bytes, seed)).toBe(want);
    expect(wasmHash(bytes, seed, len % 8)).toBe(want);
  }
});

test('a one-bit change changes the hash', () => {
  const bytes = new Uint8Array(4096);
  const base = wasmHash(bytes, 0n);
  for (const bit of [0, 7, 8 * 31, 8 * 32, 8 * 4095 + 7]) {
    const b = bytes.slice();
    b[bit >> 3] ^= 1 << (bit & 7);
    expect(wasmHash(b, 0n)).not.toBe(base);
  }
});
