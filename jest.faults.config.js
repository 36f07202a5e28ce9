/**
 * The fault-injection suite (npm run test:faults): one test at a time, since it kills, restarts and
 * overloads things and reports how long recovery took. On classic and on quorum queues (with the
 * Broker construct's policy, jest.config.js); the memory test measures the worker, whatever the queue.
 */
const base = require('./jest.config');

const project = {
  ...base.projects[0],
  testPathIgnorePatterns: ['/node_modules/'],
  roots: ['<rootDir>/__tests__/faults'],
  testMatch: ['**/*.faults.test.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  maxWorkers: 1,
  testTimeout: 300000,
  projects: [
    { ...project, displayName: 'classic', globals: { WQ_TEST_QUEUE_TYPE: 'classic' } },
    {
      ...project,
      displayName: 'quorum',
      testPathIgnorePatterns: [...project.testPathIgnorePatterns, '/memory\\.faults\\.test\\.ts$'],
      globals: { WQ_TEST_QUEUE_TYPE: 'quorum' },
    },
  ],
};
