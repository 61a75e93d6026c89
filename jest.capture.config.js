/**
 * `CAPTURE_VERSION=<version> npm run capture-histories`: stores the histories of the current
 * workflow code under test/histories/<version>/ (test/capture/, docs/versioning.md). Not part of
 * `npm test`: a version's histories are captured once, when that version is about to be deployed.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/capture/**/*.capture.ts'],
  // Provider timeouts, step timeouts and a crashing worker: slower than a test.
  testTimeout: 300_000,
};
