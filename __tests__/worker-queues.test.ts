import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { WorkerProcess } from './helpers/worker-process';

describe('workqueue-worker queue declaration', () => {
  let broker: TestBroker;
  beforeEach(async () => (broker = await TestBroker.open()));
  afterEach(() => broker.close());

  it('declares a missing queue and its dead-letter queue as durable', async () => {
    // GIVEN neither queue exists
    const queue = uniqueQueue('missing');
    broker.track(queue);
    // WHEN a worker starts on it
    const worker = new WorkerProcess(['-u', brokerUrl(), '-q', queue, '-c', '1', '--', 'cat']);
    await worker.waitForLog(/consuming/);
    // THEN both exist and are durable (a durable re-declare with no arguments matches them)
    expect(worker.stderr).toContain(`declared missing durable queue '${queue}'`);
    expect(worker.stderr).toContain(`declared missing durable queue '${queue}.dlq'`);
    for (const q of [queue, `${queue}.dlq`])
      await expect(broker.channel.assertQueue(q, { durable: true })).resolves.toMatchObject({ queue: q });
    await broker.publish(queue, ['go']);
    expect((await worker.finish()).code).toBe(0);
  });

  it('uses a queue declared elsewhere with other arguments as it is (quorum, length limit)', async () => {
    // GIVEN queues declared with arguments the worker knows nothing about
    const queue = uniqueQueue('existing');
    await broker.declare(queue, { arguments: { 'x-queue-type': 'quorum' } });
    await broker.declare(`${queue}.dlq`, { arguments: { 'x-max-length': 1000 } });
    await broker.publish(queue, ['a', 'b']);
    // WHEN the worker consumes it
    const worker = new WorkerProcess(['-u', brokerUrl(), '-q', queue, '-c', '2', '--', 'cat']);
    const exit = await worker.finish();
    // THEN no PRECONDITION_FAILED, no re-declaration, and the work is done
    expect(exit.code).toBe(0);
    expect(exit.stderr).not.toMatch(/PRECONDITION_FAILED|declared missing/);
    expect(
      exit.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^\[[^\]]*\] /, ''))
        .sort(),
    ).toEqual(['a', 'b']);
    expect(await broker.count(queue)).toBe(0);
  });
});
