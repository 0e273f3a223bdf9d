/**
 * Jest: TypeScript through ts-jest (transpile only, tsconfig's isolatedModules; `npm run
 * build` runs the strict tsc type check over src/, bench/ and test/ before jest).
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
  // processes a test spawns stop when the test process is gone (src/parent-watch.ts)
  setupFiles: ['<rootDir>/test/helpers/jest-env.ts'],
  testTimeout: 120000,
};
