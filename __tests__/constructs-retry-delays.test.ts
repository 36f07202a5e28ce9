import 'cdktf/lib/testing/adapters/jest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Broker, WorkQueueWorker, type BrokerProps } from '../constructs';
import { definitions, workerPermissions } from '../constructs/broker-config';
import { resources, synthesize, testStack } from './helpers/synth';

Testing.setupJest();

interface Definitions {
  queues: { name: string; arguments: Record<string, unknown> }[];
  permissions: { configure: string; read: string }[];
}

describe("retry delays on the Broker's queue", () => {
  const { json, dir } = synthesize((stack) => {
    const broker = new Broker(stack, 'broker', {
      queues: [{ name: 'jobs', maxAttempts: 8, retryDelaySeconds: 10, maxRetryDelaySeconds: 60 }, 'plain'],
    });
    new WorkQueueWorker(stack, 'jobs-workers', { queue: 'jobs', broker, program: '/app/handle.sh' });
    new WorkQueueWorker(stack, 'plain-workers', { queue: 'plain', broker, program: '/app/handle.sh' });
  });

  it('declares one delay queue per distinct delay, quorum with at-least-once dead-lettering back to the queue', () => {
    // GIVEN delays 10 s doubling up to 60 s WHEN synthesized THEN 10, 20, 40 and 60 s delay queues only for 'jobs'
    const broker = Object.values(resources(json, 'docker_image')).find((i) =>
      String(i.name).startsWith('workqueue-broker'),
    )!;
    const context = (broker.build as { context: string }).context;
    const defs = JSON.parse(readFileSync(join(dir, context, 'definitions.json'), 'utf8')) as Definitions;
    const delay = defs.queues.filter((q) => q.name.includes('.retry.'));
    expect(delay.map((q) => q.name)).toEqual([
      'jobs.retry.10000',
      'jobs.retry.20000',
      'jobs.retry.40000',
      'jobs.retry.60000',
    ]);
    expect(delay[0].arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-message-ttl': 10000,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'jobs',
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    });
    // the workers may declare and read them, as their own queues
    expect(defs.permissions[1].configure).toContain('jobs\\.retry\\.60000');
  });

  it("passes the queue's delays to its workers, and none to a queue without them", () => {
    expect(json).toHaveResourceWithProperties(Container, {
      name: 'jobs-worker-${count.index}',
      command: expect.arrayContaining([
        ...['--max-attempts', '8', '--retry-delay', '10', '--retry-backoff', '2', '--max-retry-delay', '60'],
      ]),
    });
    const plain = Object.values(resources(json, 'docker_container')).find((c) =>
      String(c.name).startsWith('plain-worker'),
    )!;
    expect(plain.command).not.toContain('--retry-delay');
  });

  it('gives a cluster its group size and classic brokers classic delay queues', () => {
    const queues = [{ name: 'q', maxAttempts: 3, retryDelaySeconds: 1, retryBackoff: 2, maxRetryDelaySeconds: 9 }];
    const cluster = definitions({
      queues,
      queueType: 'quorum',
      consumerTimeoutSeconds: 60,
      clusterNodes: ['a', 'b', 'c'],
    }) as unknown as Definitions;
    expect(cluster.queues.find((q) => q.name === 'q.retry.2000')?.arguments['x-quorum-initial-group-size']).toBe(3);
    const classic = definitions({ queues, queueType: 'classic', consumerTimeoutSeconds: 60 }) as unknown as Definitions;
    expect(classic.queues.find((q) => q.name === 'q.retry.1000')?.arguments).toEqual({
      'x-message-ttl': 1000,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'q',
    });
    // maxAttempts 3: two retries, two delay queues
    expect(workerPermissions(queues).read).toBe('^(q|q\\.dlq|q\\.retry\\.1000|q\\.retry\\.2000)$');
  });

  it.each<[string, BrokerProps, RegExp]>([
    [
      'a backoff below 1',
      { queues: [{ name: 'q', retryDelaySeconds: 1, retryBackoff: 0.5 }] },
      /invalid queues\['q'\]\.retry delays .*: queues\['q'\]\.retryBackoff must be a number of at least 1, not '0.5'/,
    ],
    [
      'too many delay queues',
      { queues: [{ name: 'q', maxAttempts: 0, retryDelaySeconds: 0.001, retryBackoff: 1.01 }] },
      /need more than 32 delay queues/,
    ],
    [
      "a queue named like another queue's delay queue",
      { queues: [{ name: 'jobs', retryDelaySeconds: 1 }, 'jobs.retry.1000'] },
      /invalid queues "jobs\.retry\.1000": it is a delay queue the broker declares for 'jobs' \(retryDelaySeconds 1\)/,
    ],
    [
      'a first delay longer than the cap',
      { queues: [{ name: 'q', retryDelaySeconds: 100, maxRetryDelaySeconds: 1 }] },
      /is longer than queues\['q'\]\.maxRetryDelaySeconds 1/,
    ],
    [
      'a queue name too long for its delay queues',
      { queues: [{ name: 'q'.repeat(245), retryDelaySeconds: 100 }] },
      /its delay queue 'q+\.retry\.800000': a queue name must be 1 to 255 bytes/,
    ],
  ])('refuses %s', (_what, props, message) => {
    expect(() => new Broker(testStack(), 'broker', props)).toThrow(message);
  });

  it("refuses a worker's own delays that differ from its Broker's queue", () => {
    const stack = testStack();
    const broker = new Broker(stack, 'broker', { queues: [{ name: 'jobs', retryDelaySeconds: 5 }] });
    expect(
      () => new WorkQueueWorker(stack, 'w', { queue: 'jobs', broker, program: '/x', retryDelaySeconds: 1 }),
    ).toThrow(/invalid retryDelaySeconds 1: the Broker declares 'jobs' with retryDelaySeconds 5/);
  });
});
