import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { waitFor } from './helpers/wait-for';
import { WorkerProcess, runWorker } from './helpers/worker-process';

describe('workqueue-worker on failed attempts', () => {
  let broker: TestBroker;
  let queue: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    queue = uniqueQueue('fail');
    await broker.declare(queue);
  });
  afterEach(() => broker.close());

  const worker = (...args: string[]) => runWorker(['-u', brokerUrl(), '-q', queue, ...args]);

  it('declares a dead-letter queue deleted while the worker runs, moves the message there: nothing lost', async () => {
    // GIVEN a worker whose program waits for a go file, then fails, with 1 attempt allowed
    const dir = mkdtempSync(join(tmpdir(), 'wq-dlq-gone-'));
    await broker.publish(queue, ['keep me'], { messageId: 'm-gone' });
    const program = 'touch "$0/started"; while [ ! -e "$0/go" ]; do sleep 0.05; done; exit 3';
    const running = new WorkerProcess([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '1',
      '--max-attempts',
      '1',
      '--',
      'sh',
      '-c',
      program,
      dir,
    ]);
    await waitFor('the program to start', () => existsSync(join(dir, 'started')));
    // WHEN QUEUE.dlq is deleted before the message fails
    await broker.delete(`${queue}.dlq`);
    writeFileSync(join(dir, 'go'), '');
    const exit = await running.finish();
    // THEN the worker declared it again and the message is in it, not lost (a confirm alone would have let it go)
    expect(exit.code).toBe(0);
    expect(exit.stderr).toContain(`declared missing durable queue '${queue}.dlq'`);
    expect(await broker.count(queue)).toBe(0);
    const dead = await broker.drain(`${queue}.dlq`);
    expect(dead.map((d) => [d.properties.messageId, d.body.toString()])).toEqual([['m-gone', 'keep me']]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries a failing message, then dead-letters it with body, properties and failure headers intact', async () => {
    // GIVEN a message with properties and headers of its own
    const body = Buffer.from([0, 1, 2, 3, 0]);
    await broker.publish(queue, [body], {
      messageId: 'poison-1',
      correlationId: 'c-9',
      contentType: 'application/octet-stream',
      priority: 3,
      headers: { tenant: 'acme' },
    });
    // WHEN its program always exits 7 and 3 attempts are allowed
    const exit = await worker('-c', '3', '--max-attempts', '3', '--', 'sh', '-c', 'exit 7');
    // THEN it sits in QUEUE.dlq after the third attempt, and nowhere else
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/message poison-1 failed: exit code 7 \(attempt 3 of 3\); moving it to '.*\.dlq'/);
    expect(await broker.count(queue)).toBe(0);
    const [dead, ...more] = await broker.drain(`${queue}.dlq`);
    expect(more).toHaveLength(0);
    expect(dead.body.equals(body)).toBe(true);
    expect(dead.properties).toMatchObject({
      messageId: 'poison-1',
      correlationId: 'c-9',
      contentType: 'application/octet-stream',
      priority: 3,
      deliveryMode: 2,
    });
    expect(dead.properties.headers).toMatchObject({
      tenant: 'acme',
      'x-wq-attempts': 3,
      'x-wq-last-exit-code': 7,
      'x-wq-reason': 'exit code 7',
      'x-wq-original-queue': queue,
    });
    expect(dead.properties.headers?.['x-wq-dead-lettered-at']).toEqual(expect.any(String));
  });

  it('counts attempts across worker restarts, since the count travels with the message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wq-attempts-'));
    try {
      await broker.publish(queue, ['x']);
      // WHEN three separate worker runs each take one attempt
      for (let run = 0; run < 3; run++) {
        const exit = await worker(
          '-c',
          '1',
          '--max-attempts',
          '3',
          '--',
          'sh',
          '-c',
          'echo "$WQ_ATTEMPT" >> "$0/attempts"; exit 1',
          dir,
        );
        expect(exit.code).toBe(0);
      }
      // THEN they saw attempts 1, 2, 3 and the third one dead-lettered it
      expect(readFileSync(join(dir, 'attempts'), 'utf8')).toBe('1\n2\n3\n');
      expect(await broker.count(queue)).toBe(0);
      expect(await broker.count(`${queue}.dlq`)).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops a program that exceeds --timeout and counts it as a failed attempt', async () => {
    await broker.publish(queue, ['x']);
    const started = Date.now();
    const exit = await worker('-c', '1', '--timeout', '1', '--max-attempts', '1', '--', 'sleep', '60');
    expect(exit.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    const [dead] = await broker.drain(`${queue}.dlq`);
    expect(dead.properties.headers).toMatchObject({
      'x-wq-reason': expect.stringMatching(/^timed out after 1 s/),
      'x-wq-last-signal': 'SIGTERM',
    });
  });

  it('records the signal of a program killed by one', async () => {
    await broker.publish(queue, ['x']);
    const exit = await worker('-c', '1', '--max-attempts', '1', '--', 'sh', '-c', 'kill -KILL $$');
    expect(exit.code).toBe(0);
    const [dead] = await broker.drain(`${queue}.dlq`);
    expect(dead.properties.headers).toMatchObject({
      'x-wq-reason': 'killed by SIGKILL',
      'x-wq-last-signal': 'SIGKILL',
    });
  });

  it('treats a program that cannot be started as a failed attempt', async () => {
    await broker.publish(queue, ['x']);
    const exit = await worker('-c', '2', '--max-attempts', '2', '--', '/nonexistent/program');
    expect(exit.code).toBe(0);
    expect(exit.stderr).toContain('cannot start /nonexistent/program: ENOENT');
    const [dead] = await broker.drain(`${queue}.dlq`);
    expect(dead.properties.headers).toMatchObject({
      'x-wq-attempts': 2,
      'x-wq-reason': 'cannot start /nonexistent/program: ENOENT',
    });
  });

  it('retries forever with --max-attempts 0', async () => {
    await broker.publish(queue, ['x']);
    const exit = await worker('-c', '8', '--max-attempts', '0', '--', 'false');
    expect(exit.code).toBe(0);
    expect(await broker.count(`${queue}.dlq`)).toBe(0);
    const [back] = await broker.drain(queue);
    expect(back.properties.headers).toMatchObject({ 'x-wq-attempts': 8 });
  });

  it('keeps healthy messages flowing past failing ones with prefetch 1 (no stall)', async () => {
    // GIVEN poison messages ahead of good ones, one slot, one prefetched message
    await broker.publish(queue, ['bad', 'bad', 'bad', 'good', 'good', 'good', 'good', 'good']);
    // WHEN each poison message gets 2 attempts
    const exit = await worker(
      '-c',
      '11',
      '-p',
      '1',
      '--concurrency',
      '1',
      '--max-attempts',
      '2',
      '--',
      'grep',
      '-q',
      'good',
    );
    // THEN all good ones were acked and the bad ones dead-lettered
    expect(exit.code).toBe(0);
    expect(await broker.count(queue)).toBe(0);
    expect((await broker.drain(`${queue}.dlq`)).map((m) => m.body.toString())).toEqual(['bad', 'bad', 'bad']);
  });
});
