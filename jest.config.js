/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // `npm run test:topology` runs these, after this suite (test/topology/jest.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/topology/'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/runtime.ts'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 120_000,
  // Each file starts its own Temporal server; two at a time fits this 2-core machine.
  maxWorkers: 2,
};
