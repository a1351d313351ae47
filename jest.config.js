// Two projects: unit tests need nothing running; integration tests talk to real Postgres, Redis,
// the devserver and the Kafka peer. Both share one global setup that gives the run a private
// database so parallel runs (and parallel developers) never see each other's rows.
const transform = { '^.+\\.tsx?$': ['@swc/jest'] };

/** @type {import('jest').Config} */
module.exports = {
  transform,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      testTimeout: 60_000,
    },
  ],
};
