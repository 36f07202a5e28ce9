import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { WorkerProcess } from './helpers/worker-process';

describe('workqueue-worker on SIGTERM and SIGINT', () => {
  let broker: TestBroker;
  let queue: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    queue = uniqueQueue('shutdown');
    await broker.declare(queue);
  });
  afterEach(() => broker.close());

  it.each(['SIGTERM', 'SIGINT'] as const)('on %s lets running programs finish within the grace, returns the rest, exits 0', async (signal) => {
    // GIVEN 6 messages, 2 programs of 1 s running at once, 4 prefetched
    await broker.publish(queue, ['1', '2', '3', '4', '5', '6']);
    const worker = new WorkerProcess(['-u', brokerUrl(), '-q', queue, '--concurrency', '2', '-p', '6', '--shutdown-grace', '10', '--', 'sleep', '1']);
    await worker.waitForLog(/consuming/);
    await new Promise((r) => setTimeout(r, 300));
    // WHEN the signal arrives mid-run
    worker.child.kill(signal);
    const exit = await worker.finish();
    // THEN the two running ones were acked, the 4 others are back in the queue, nothing dead-lettered
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/stopped after 2 message\(s\)/);
    await broker.waitForCount(queue, 4);
    expect(await broker.count(`${queue}.dlq`)).toBe(0);
  });

  it('stops programs that outlast the grace and returns their messages without counting an attempt', async () => {
    await broker.publish(queue, ['long']);
    const worker = new WorkerProcess(['-u', brokerUrl(), '-q', queue, '--shutdown-grace', '1', '--max-attempts', '1', '--', 'sleep', '60']);
    await worker.waitForLog(/consuming/);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    worker.child.kill('SIGTERM');
    const exit = await worker.finish();
    expect(exit.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await broker.count(`${queue}.dlq`)).toBe(0);
    const [back] = await broker.drain(queue);
    expect(back.body.toString()).toBe('long');
    expect(back.properties.headers?.['x-wq-attempts']).toBeUndefined();
  });

  it('exits 0 on SIGTERM while still waiting for an unreachable broker', async () => {
    const worker = new WorkerProcess(['-u', 'amqp://127.0.0.1:1', '-q', queue, '--', 'cat']);
    await worker.waitForLog(/retrying/);
    worker.child.kill('SIGTERM');
    expect((await worker.finish(10_000)).code).toBe(0);
  });
});
