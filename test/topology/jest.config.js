/**
 * `npm run test:topology`, run by CI after `npm test`: the production topology (dev/topology),
 * whose Temporal server must first be built from source (10–16 minutes on a cold Go build cache).
 * Apart from `npm test` so that its build and its run do not share the machine with the suite.
 */
const base = require('../../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: '../..',
  testMatch: ['<rootDir>/test/topology/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: '<rootDir>/test/topology/global-setup.ts',
  globalTeardown: undefined,
  maxWorkers: 1,
};
