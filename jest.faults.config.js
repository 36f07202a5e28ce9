/** @type {import('jest').Config} */
module.exports = {
  ...require('./jest.config'),
  // The fault-injection suite (npm run test:faults): one test at a time, since it kills,
  // restarts and overloads things and reports how long recovery took.
  testPathIgnorePatterns: ['/node_modules/'],
  roots: ['<rootDir>/__tests__/faults'],
  testMatch: ['**/*.faults.test.ts'],
  maxWorkers: 1,
  testTimeout: 300000,
};
