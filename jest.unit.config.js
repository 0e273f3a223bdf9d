/**
 * `npm run test:unit`: the fast jest target, pure-logic suites only (no sockets, no child
 * processes, no long runs), for the edit-test loop; `npm test` runs everything.
 *
 * Budget: under 2 minutes on the 2-core reference machine. Per-file times from a full
 * `npm test` there (jest prints a time for files over 5 s): protocol-fuzz 15.5 s, interest
 * 17.9 s, every other file below under 5 s (17 files: at most 85 s, about 2 s each in
 * practice) -> about 70 s, 118 s at the very worst.
 *
 * Left out, with their times in that run: the end-to-end and socket suites (host*, serve,
 * e2e-viewer, protocol-http-errors, protocol-doc-client; host-load 78 s), persistence-crash
 * (persist-crash 39 s, persist-world 9 s, sharded-save 11 s), and the long physics and
 * determinism suites (physics 105 s, shard-acceptance 90 s, shard-authority 66 s, math 47 s,
 * shard-recovery 19 s, physics-determinism 13 s).
 */
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const base = require('./jest.config.js');

const UNIT = [
  'protocol',
  'protocol-schema',
  'protocol-generated',
  'protocol-fuzz',
  'rng',
  'stream',
  'world-stream',
  'social',
  'temp-admin',
  'interest',
  'persist-accounts',
  'persist-artifacts',
  'persist-snapshot-writer',
  'world-layout',
  'hash',
  'wasm-floats',
  'determinism',
  'sharded',
  'physics-transfer',
  'script-engine',
  'script-isolation',
];

// a renamed or deleted file must not silently leave the fast target
for (const name of UNIT) {
  if (!existsSync(join(__dirname, 'test', `${name}.test.ts`))) throw new Error(`jest.unit.config.js: test/${name}.test.ts does not exist`);
}

module.exports = {
  ...base,
  testMatch: UNIT.map((name) => `<rootDir>/test/${name}.test.ts`),
};
