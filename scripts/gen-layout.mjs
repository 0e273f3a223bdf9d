// Writes assembly/physics/layout.ts (generated, committed) from src/physics/world-layout.ts,
// the single definition of the world's memory layout. Uses TypeScript's transpileModule so it
// needs no prior build. With --check (or CI=true) it fails instead of rewriting a stale file.
import ts from 'typescript';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = readFileSync(join(root, 'src/physics/world-layout.ts'), 'utf8');
const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
const mod = { exports: {} };
new Function('module', 'exports', js)(mod, mod.exports);
const text = mod.exports.assemblyScriptConstants();
const out = join(root, 'assembly/physics/layout.ts');
const check = process.argv.includes('--check') || process.env.CI === 'true';
const current = existsSync(out) ? readFileSync(out, 'utf8') : '';
if (current === text) {
  console.log('layout: assembly/physics/layout.ts is up to date');
} else if (check) {
  console.error('layout: assembly/physics/layout.ts is stale: run `npm run build:layout` and commit it');
  process.exit(1);
} else {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  console.log('layout: wrote assembly/physics/layout.ts');
}
