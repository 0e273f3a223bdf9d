// Regenerates src/protocol/generated/ from schemas/*.fbs with fixed flatc commands (flatc
// 2.0.8, Debian's flatbuffers-compiler): the FlatBuffers TypeScript (`--ts`) and
// descriptors_generated.ts, the verifier's view of the schemas, rendered from the binary
// schemas flatc writes (`-b --schema`, .bfbs, read by scripts/bfbs-descriptors.mjs). The
// output is committed and never edited by hand.
//
//   node scripts/gen-protocol.mjs           regenerate in place (developer machines); without
//                                           flatc, keep the committed files and say so
//   node scripts/gen-protocol.mjs --check   fail if flatc is missing, is another version, or
//                                           its output differs from the committed files
// With CI=true in the environment, --check is implied: CI proves the committed code matches
// the schemas instead of silently rewriting it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, cpSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { renderDescriptors } from './bfbs-descriptors.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'src', 'protocol', 'generated');
const FLATC_VERSION = '2.0.8';
const check = process.argv.includes('--check') || process.env.CI === 'true';

function fail(msg) {
  console.error(`protocol: ${msg}`);
  process.exit(1);
}

function listFiles(dir, base = dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? listFiles(p, base) : [relative(base, p)];
    })
    .sort();
}

let version;
try {
  version = execFileSync('flatc', ['--version'], { encoding: 'utf8' })
    .trim()
    .replace(/^flatc version /, '');
} catch {
  if (check) fail("flatc not found: install Debian's flatbuffers-compiler (apt-get install -y flatbuffers-compiler)");
  console.log('protocol: flatc not found, using the committed src/protocol/generated/');
  process.exit(0);
}
if (version !== FLATC_VERSION) {
  if (check) fail(`flatc ${version} found, the committed code is from flatc ${FLATC_VERSION}`);
  console.log(`protocol: flatc ${version} is not ${FLATC_VERSION}; keeping the committed generated code`);
  process.exit(0);
}

const schemas = readdirSync(join(root, 'schemas'))
  .filter((f) => f.endsWith('.fbs'))
  .sort()
  .map((f) => join('schemas', f));
const tmp = mkdtempSync(join(tmpdir(), 'tessera-fbs-'));
try {
  execFileSync('flatc', ['--ts', '-o', tmp, ...schemas], { cwd: root, stdio: 'inherit' });
  const bfbsDir = mkdtempSync(join(tmpdir(), 'tessera-bfbs-'));
  try {
    execFileSync('flatc', ['-b', '--schema', '--bfbs-builtins', '--bfbs-filenames', 'schemas', '-o', bfbsDir, ...schemas], { cwd: root, stdio: 'inherit' });
    const bfbs = readdirSync(bfbsDir)
      .filter((f) => f.endsWith('.bfbs'))
      .sort()
      .map((f) => join(bfbsDir, f));
    writeFileSync(join(tmp, 'descriptors_generated.ts'), renderDescriptors(bfbs, FLATC_VERSION));
  } finally {
    rmSync(bfbsDir, { recursive: true, force: true });
  }
  const fresh = listFiles(tmp),
    committed = listFiles(outDir);
  const differs =
    fresh.length !== committed.length || fresh.some((f, i) => f !== committed[i] || !readFileSync(join(tmp, f)).equals(readFileSync(join(outDir, f))));
  if (!differs) {
    console.log(`protocol: ${fresh.length} generated files match schemas/`);
  } else if (check) {
    fail('src/protocol/generated/ does not match schemas/: run `npm run build:protocol` and commit the result');
  } else {
    rmSync(outDir, { recursive: true, force: true });
    cpSync(tmp, outDir, { recursive: true });
    console.log(`protocol: regenerated ${fresh.length} files into src/protocol/generated/`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
