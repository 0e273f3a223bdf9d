// Bundles the web pages the host serves (esbuild: a maintained, fast bundler) into build/web:
//
//   web/viewer/main.ts     -> build/web/assets/viewer.js      (three.js + the client library)
//   web/dashboard/main.ts  -> build/web/assets/dashboard.js
//   web/viewer/index.html  -> build/web/index.html            (served at /)
//   web/dashboard/index.html -> build/web/dashboard.html      (served at /dashboard)
//
//   build/tessera.unshared.wasm -> build/web/assets/tessera.unshared.wasm (the viewer's predictor)
//
// Browser target ES2020; the client library and the protocol code are browser-safe (no Node
// modules). The viewer's predictor pulls in the core bindings (src/physics/wasm.ts), whose
// node:fs / node:path imports are only used to read build/*.wasm from disk: in the browser they
// resolve to a stub that throws (the viewer supplies the module with provideCoreModule), and
// Buffer (src/physics/sparse.ts, world saves only) is a stand-in whose alloc gives a Uint8Array.
// Minified, with source maps.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'web');
mkdirSync(join(out, 'assets'), { recursive: true });
/** Resolves node:fs and node:path to a stub module whose functions throw (see above). */
const nodeStub = {
  name: 'node-stub',
  setup(b) {
    b.onResolve({ filter: /^node:(fs|path)$/ }, (a) => ({ path: a.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({
      contents:
        "const no = () => { throw new Error('not in a browser'); };" +
        'export const readFileSync = no, existsSync = () => false, basename = no, dirname = no, join = no;',
      loader: 'js',
    }));
  },
};
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
    define: { 'process.env.NODE_ENV': '"production"', __dirname: '"/"' },
    plugins: [nodeStub],
    banner: {
      js: 'var Buffer = globalThis.Buffer || { alloc: function (n) { return new Uint8Array(n); }, from: function () { throw new Error("Buffer: not in a browser"); } };',
    },
  });
}
copyFileSync(join(root, 'web', 'viewer', 'index.html'), join(out, 'index.html'));
copyFileSync(join(root, 'build', 'tessera.unshared.wasm'), join(out, 'assets', 'tessera.unshared.wasm'));
copyFileSync(join(root, 'web', 'dashboard', 'index.html'), join(out, 'dashboard.html'));
console.log(`web: build/web (viewer, dashboard)`);
