// Bundles the web pages the host serves (esbuild: a maintained, fast bundler) into build/web:
//
//   web/viewer/main.ts     -> build/web/assets/viewer.js      (three.js + the client library)
//   web/dashboard/main.ts  -> build/web/assets/dashboard.js
//   web/viewer/index.html  -> build/web/index.html            (served at /)
//   web/dashboard/index.html -> build/web/dashboard.html      (served at /dashboard)
//
// Browser target ES2020; the client library and the protocol code are browser-safe (no Node
// modules). Minified, with source maps.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'web');
mkdirSync(join(out, 'assets'), { recursive: true });
for (const page of ['viewer', 'dashboard']) {
  await build({
    entryPoints: [join(root, 'web', page, 'main.ts')],
    outfile: join(out, 'assets', `${page}.js`),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
}
copyFileSync(join(root, 'web', 'viewer', 'index.html'), join(out, 'index.html'));
copyFileSync(join(root, 'web', 'dashboard', 'index.html'), join(out, 'dashboard.html'));
console.log(`web: build/web (viewer, dashboard)`);
