/** End-to-end tests: the synthesized system on a real Docker engine and Swarm (npm run test:e2e). */
/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__/e2e'],
  testMatch: ['**/*.e2e.test.ts'],
  testTimeout: 900000,
  // One Docker engine, fixed container names: one test file at a time.
  maxWorkers: 1,
};
