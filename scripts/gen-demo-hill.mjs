// Writes scenes/assets/hill.png, the demo scene's heightmap (scenes/demo.json): 33 x 33 samples,
// 16-bit greyscale, a round hill s(r) = cos^2(pi r / 2) for r = distance from the centre over
// the half side (r <= 1), 0 beyond. With the scene's cellSize 0.5 m, baseHeight -0.3 m and
// heightRange 2.3 m it is a 16 m square whose edge lies 0.3 m under the ground plane and whose top
// is 2 m high (steepest slope about 24 degrees). Run once: node scripts/gen-demo-hill.mjs (the
// output is committed; the same bytes every run).
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

const N = 33;
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenes', 'assets', 'hill.png');
const s = new Uint16Array(N * N);
for (let iz = 0; iz < N; iz++)
  for (let ix = 0; ix < N; ix++) {
    const r = Math.hypot(ix - (N - 1) / 2, iz - (N - 1) / 2) / ((N - 1) / 2);
    s[iz * N + ix] = r >= 1 ? 0 : Math.round(65535 * Math.cos((Math.PI * r) / 2) ** 2);
  }
const png = new PNG({ width: N, height: N });
png.data = Buffer.from(s.buffer);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 16, inputHasAlpha: false }));
console.log(`${out}: ${N} x ${N}`);
