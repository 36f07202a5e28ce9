/**
 * Jest projects: every suite on classic queues (the machine's RabbitMQ), and the suites whose outcome
 * depends on the queue type once more on quorum queues with the Broker construct's policy, as users
 * deploy them (TestBroker.declare() reads WQ_TEST_QUEUE_TYPE from the project's globals).
 */
const project = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  // The Docker end-to-end suite and the fault suite run separately: npm run test:e2e, test:faults.
  testPathIgnorePatterns: ['/node_modules/', '/__tests__/e2e/', '/__tests__/faults/'],
};

/** Delivery, failures, shutdown, reconnects, delayed retries and dead letters: what a queue type can change. */
const QUORUM_SUITES = [
  'worker-delivery',
  'worker-failures',
  'worker-shutdown',
  'worker-reconnect',
  'worker-retry-delays',
  'cli-dlq',
];

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/__tests__/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/__tests__/helpers/global-teardown.ts',
  testTimeout: 120000,
  // Tests start real processes against a real broker; two at a time suit a 2-core machine.
  maxWorkers: 2,
  projects: [
    { ...project, displayName: 'classic', testMatch: ['**/*.test.ts'], globals: { WQ_TEST_QUEUE_TYPE: 'classic' } },
    {
      ...project,
      displayName: 'quorum',
      testMatch: QUORUM_SUITES.map((name) => `**/${name}.test.ts`),
      globals: { WQ_TEST_QUEUE_TYPE: 'quorum' },
    },
  ],
};
