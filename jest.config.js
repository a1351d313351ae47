// Two projects: unit tests need nothing running; integration tests talk to real Postgres, Redis,
// the devserver and the Kafka peer. Both share one global setup that gives the run a private
// database so parallel runs (and parallel developers) never see each other's rows.
const transform = { '^.+\\.tsx?$': ['@swc/jest'], '^.+\\.js$': ['@swc/jest'] };
// ESM-only packages jest must compile to CommonJS (Node itself loads them with require(esm)).
const transformIgnorePatterns = ['/node_modules/(?!(@marcbachmann/cel-js|jose)/)'];

/** @type {import('jest').Config} */
module.exports = {
  transform,
  // Global only: jest ignores testTimeout inside `projects`.
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
  ],
};
