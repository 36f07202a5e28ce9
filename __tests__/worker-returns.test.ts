import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BROKER_DELIVERY_LIMIT } from '../worker/consumer/delivery-limit';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { waitFor } from './helpers/wait-for';
import { WorkerProcess } from './helpers/worker-process';

/** Lines "<message id> <WQ_ATTEMPT>" of a file the programs append to, or none yet. */
function lines(file: string): [string, string][] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ') as [string, string]);
}

/**
 * Messages a worker hands back (shutdown, rollouts) are no failed attempts, on quorum queues with the
 * Broker construct's policy too, where RabbitMQ before 4.3 raises x-delivery-count on every return.
 */
describe('workqueue-worker returning messages to a quorum queue', () => {
  let broker: TestBroker;
  let queue: string;
  let dir: string;
  const workers: WorkerProcess[] = [];
  beforeEach(async () => {
    broker = await TestBroker.open();
    queue = uniqueQueue('returns');
    dir = mkdtempSync(join(tmpdir(), 'wq-returns-'));
    await broker.declare(queue, undefined, 'quorum');
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) w.child.kill('SIGKILL');
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A program that records its start ("id attempt" in started), takes a moment, then records its end. */
  const program = [
    'sh',
    '-c',
    'echo "$WQ_MESSAGE_ID $WQ_ATTEMPT" >> "$0/started"; sleep 0.3; echo "$WQ_MESSAGE_ID" >> "$0/done"',
  ];
  const worker = () => {
    const args = [
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '--max-attempts',
      '3',
      '--concurrency',
      '2',
      '-p',
      '10',
      '--shutdown-grace',
      '0',
    ];
    const w = new WorkerProcess([...args, '--', ...program, dir]);
    workers.push(w);
    return w;
  };

  it('counts no attempt and dead-letters nothing over six rollouts in a row', async () => {
    // GIVEN 20 messages in a quorum queue with the construct's policy, 3 attempts allowed
    const ids = Array.from({ length: 20 }, (_, i) => `m${i}`);
    await broker.publishIds(queue, ids);
    // WHEN six workers in a row each start programs (10 prefetched) and get SIGTERM with no grace
    for (let rollout = 0; rollout < 6; rollout++) {
      const before = lines(join(dir, 'started')).length;
      const w = worker();
      await waitFor('a program to start', () => lines(join(dir, 'started')).length > before, 30_000, 20);
      w.child.kill('SIGTERM');
      expect((await w.finish()).code).toBe(0);
    }
    // AND a last worker drains the queue
    const last = worker();
    const done = () => new Set(lines(join(dir, 'done')).map(([id]) => id));
    // (each message is either done or dead-lettered, so a failing run ends too)
    await waitFor(
      'every message done or dead-lettered',
      async () => done().size + (await broker.count(`${queue}.dlq`)) >= ids.length,
      60_000,
      100,
    );
    last.child.kill('SIGTERM');
    await last.finish();
    // THEN every message was processed, every run saw attempt 1, and nothing was dead-lettered
    const laterAttempts = lines(join(dir, 'started'))
      .filter(([, attempt]) => attempt !== '1')
      .map(([id, attempt]) => `${id}@${attempt}`);
    const deadLettered = await broker.count(`${queue}.dlq`);
    expect({ deadLettered, laterAttempts }).toEqual({ deadLettered: 0, laterAttempts: [] });
    expect([...done()].sort()).toEqual([...ids].sort());
    expect(await broker.count(queue)).toBe(0);
  });

  it("sends a message back as a fresh copy when a shutdown returns it near the broker's delivery limit", async () => {
    // GIVEN a message after one failed attempt, returned BROKER_DELIVERY_LIMIT times already
    // (x-delivery-count at the limit)
    await broker.publish(queue, ['near the limit'], {
      messageId: 'n1',
      contentType: 'text/plain',
      headers: { tenant: 'acme', 'x-wq-attempts': 1 },
    });
    for (let i = 0; i < BROKER_DELIVERY_LIMIT; i++) {
      const m = await broker.channel.get(queue);
      if (!m) throw new Error(`the message left the queue after ${i} returns`);
      broker.channel.nack(m, false, true);
    }
    // WHEN a worker takes it and is stopped mid-program with no grace
    const w = worker();
    await waitFor('its program to start', () => lines(join(dir, 'started')).length > 0, 30_000, 20);
    w.child.kill('SIGTERM');
    expect((await w.finish()).code).toBe(0);
    // THEN its program saw attempt 2, and it is back in the queue unchanged but for the broker's count;
    // none dead-lettered
    expect(lines(join(dir, 'started'))).toEqual([['n1', '2']]);
    expect(await broker.count(`${queue}.dlq`)).toBe(0);
    const [back, ...more] = await broker.drain(queue);
    expect(more).toHaveLength(0);
    expect(back.body.toString()).toBe('near the limit');
    expect(back.properties).toMatchObject({ messageId: 'n1', contentType: 'text/plain', deliveryMode: 2 });
    expect(back.properties.headers).toMatchObject({ tenant: 'acme', 'x-wq-attempts': 1 });
    expect(back.properties.headers?.['x-delivery-count'] ?? 0).toBe(0);
  });
});
