/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  // The Docker end-to-end suite and the fault suite run separately: npm run test:e2e, test:faults.
  testPathIgnorePatterns: ['/node_modules/', '/__tests__/e2e/', '/__tests__/faults/'],
  globalSetup: '<rootDir>/__tests__/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/__tests__/helpers/global-teardown.ts',
  testTimeout: 120000,
  // Tests start real processes against a real broker; two at a time suit a 2-core machine.
  maxWorkers: 2,
};
