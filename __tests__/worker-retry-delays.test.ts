import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { waitFor } from './helpers/wait-for';
import { WorkerProcess, runWorker } from './helpers/worker-process';
import { retryQueueName } from '../worker/consumer/queue-names';
import { retryQueueArguments } from '../worker/consumer/retry-delays';

/**
 * Delayed retries (--retry-delay): a failed message waits in QUEUE.retry.<ms>, whose TTL hands it back
 * to QUEUE. Tolerance on measured gaps: never shorter than the delay (the broker's TTL is a lower bound),
 * at most 1.5 s longer (expiry, dead-lettering, delivery and a program start on a loaded 2-core machine).
 */
const SLACK_MS = 1500;

describe('workqueue-worker with delayed retries', () => {
  let broker: TestBroker;
  let queue: string;
  let dir: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    queue = uniqueQueue('delay');
    await broker.declare(queue);
    dir = mkdtempSync(join(tmpdir(), 'wq-delay-'));
  });
  afterEach(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Deleted with the queue by close(). */
  const rungs = (...ms: number[]) => {
    const names = ms.map((m) => retryQueueName(queue, m));
    broker.track(...names);
    return names;
  };

  it('waits delay x backoff^(n-1) between attempts, keeps counting them, then dead-letters as before', async () => {
    // GIVEN a message whose program records when each attempt starts and always fails
    rungs(500, 1000, 2000);
    await broker.publish(queue, ['x'], { messageId: 'slow-1' });
    // WHEN the worker retries after 0.5 s, doubling, with 4 attempts allowed
    const exit = await runWorker([
      ...['-u', brokerUrl(), '-q', queue, '-c', '4', '--max-attempts', '4'],
      ...['--retry-delay', '0.5', '--retry-backoff', '2', '--', 'sh', '-c', 'date +%s%3N >> "$0/at"; exit 1', dir],
    ]);
    // THEN the gaps are at least 0.5, 1 and 2 s (within SLACK_MS more), and the 4th failure dead-letters it
    expect(exit.code).toBe(0);
    const at = readFileSync(join(dir, 'at'), 'utf8').trim().split('\n').map(Number);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    process.stdout.write(`measured gaps between attempts (ms), delays 500/1000/2000: ${gaps.join(', ')}\n`);
    expect(gaps).toHaveLength(3);
    [500, 1000, 2000].forEach((delay, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(delay);
      expect(gaps[i]).toBeLessThan(delay + SLACK_MS);
    });
    expect(exit.stderr).toContain(`(attempt 1 of 4); retrying it in 0.5 s (through '${queue}.retry.500')`);
    expect(exit.stderr).toContain(`declared missing durable delay queue '${queue}.retry.2000'`);
    const [dead, ...more] = await broker.drain(`${queue}.dlq`);
    expect(more).toHaveLength(0);
    expect(dead.properties.headers).toMatchObject({ 'x-wq-attempts': 4, 'x-wq-original-queue': queue });
    for (const name of rungs(500, 1000, 2000)) expect(await broker.count(name)).toBe(0);
  });

  it('lets the messages behind a failed one through while it waits out its delay', async () => {
    // GIVEN a worker (one program at a time) on a queue whose message 'a' fails once, with a 4 s delay
    rungs(4000);
    const program = 'date +%s%3N > "$0/$WQ_MESSAGE_ID.$WQ_ATTEMPT"; [ "$WQ_MESSAGE_ID$WQ_ATTEMPT" != a1 ]';
    const worker = new WorkerProcess([
      ...['-u', brokerUrl(), '-q', queue, '-c', '3', '--concurrency', '1', '--retry-delay', '4'],
      ...['--', 'sh', '-c', program, dir],
    ]);
    await broker.publish(queue, ['a'], { messageId: 'a' });
    await waitFor('the first attempt of a', () => readdirSync(dir).includes('a.1'), 30_000, 20);
    // WHEN b is published during a's delay
    await broker.publish(queue, ['b'], { messageId: 'b' });
    const exit = await worker.finish();
    // THEN b ran at once, long before a's second attempt, which came no sooner than the delay
    expect(exit.code).toBe(0);
    const t = (name: string) => Number(readFileSync(join(dir, name), 'utf8'));
    process.stdout.write(`b ran ${t('b.1') - t('a.1')} ms after a failed; a again after ${t('a.2') - t('a.1')} ms\n`);
    expect(t('b.1') - t('a.1')).toBeLessThan(2000);
    expect(t('a.2') - t('a.1')).toBeGreaterThanOrEqual(4000);
    expect(t('a.2') - t('a.1')).toBeLessThan(4000 + SLACK_MS);
    expect(await broker.count(`${queue}.dlq`)).toBe(0);
  });

  it('loses nothing when the worker is SIGKILLed while messages wait in delay queues', async () => {
    // GIVEN 20 messages that each fail their first attempt and wait 3 s in the delay queue
    const [rung] = rungs(3000);
    const ids = Array.from({ length: 20 }, (_, i) => `k${i}`);
    await broker.publishIds(queue, ids);
    const program = '[ "$WQ_ATTEMPT" -gt 1 ] && touch "$0/$WQ_MESSAGE_ID"';
    const args = ['-u', brokerUrl(), '-q', queue, '--concurrency', '4', '--retry-delay', '3'];
    const first = new WorkerProcess([...args, '--', 'sh', '-c', program, dir]);
    try {
      // The worker declares the delay queue on the first delayed retry: until then it does not exist.
      const waiting = () => broker.count(rung).catch(() => -1);
      await waitFor('20 messages in the delay queue', async () => (await waiting()) === 20, 20_000, 50);
    } finally {
      // WHEN the worker is SIGKILLed while they wait, and a new worker starts after they are due
      first.child.kill('SIGKILL');
      await first.finish();
    }
    const second = await runWorker([...args, '-c', '20', '--', 'sh', '-c', program, dir]);
    // THEN every message came back through the delay queue and succeeded on its second attempt
    expect(second.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([...ids].sort());
    expect(await broker.count(queue)).toBe(0);
    expect(await broker.count(rung)).toBe(0);
    expect(await broker.count(`${queue}.dlq`)).toBe(0);
  });

  it('uses delay queues declared as the Broker does on quorum queues (TTL, at-least-once dead-lettering)', async () => {
    // GIVEN a quorum delay queue with at-least-once dead-lettering, declared beforehand
    const [rung] = rungs(700);
    await broker.channel.assertQueue(rung, { durable: true, arguments: retryQueueArguments(queue, 700, true) });
    await broker.publish(queue, ['q'], { messageId: 'q1' });
    // WHEN a message fails once
    const program = 'date +%s%3N > "$0/$WQ_ATTEMPT"; [ "$WQ_ATTEMPT" -gt 1 ]';
    const exit = await runWorker([
      ...['-u', brokerUrl(), '-q', queue, '-c', '2', '--retry-delay', '0.7'],
      ...['--', 'sh', '-c', program, dir],
    ]);
    // THEN it came back through the existing quorum queue after at least its delay
    expect(exit.code).toBe(0);
    expect(exit.stderr).not.toContain('declared missing durable delay queue');
    const gap = Number(readFileSync(join(dir, '2'), 'utf8')) - Number(readFileSync(join(dir, '1'), 'utf8'));
    expect(gap).toBeGreaterThanOrEqual(700);
    expect(gap).toBeLessThan(700 + SLACK_MS);
  });

  it('refuses delays that would need too many delay queues, in one line', async () => {
    const exit = await runWorker([
      ...['-q', queue, '--max-attempts', '0', '--retry-delay', '0.001', '--retry-backoff', '1.01'],
      ...['--', 'true'],
    ]);
    expect(exit.code).toBe(2);
    expect(exit.stderr.trim().split('\n')).toHaveLength(1);
    expect(exit.stderr).toContain('need more than 32 delay queues');
  });
});
