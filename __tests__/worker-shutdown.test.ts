import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { waitFor } from './helpers/wait-for';
import { WorkerProcess } from './helpers/worker-process';

describe('workqueue-worker on SIGTERM and SIGINT', () => {
  let broker: TestBroker;
  let queue: string;
  /** Where fixture programs leave their markers. */
  let dir: string;
  const started = () =>
    readdirSync(dir)
      .filter((f) => f.startsWith('started.'))
      .sort();
  beforeEach(async () => {
    broker = await TestBroker.open();
    queue = uniqueQueue('shutdown');
    await broker.declare(queue);
    dir = mkdtempSync(join(tmpdir(), 'wq-shutdown-'));
  });
  afterEach(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s lets running programs finish within the grace, returns the rest, exits 0',
    async (signal) => {
      // GIVEN 6 messages, 2 programs running at once (each marks its start, then runs until the test
      // releases it), 4 prefetched
      await broker.publishIds(queue, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
      const program = 'touch "$0/started.$WQ_MESSAGE_ID"; while [ ! -e "$0/release" ]; do sleep 0.05; done';
      const worker = new WorkerProcess([
        '-u',
        brokerUrl(),
        '-q',
        queue,
        '--concurrency',
        '2',
        '-p',
        '6',
        '--shutdown-grace',
        '60',
        '--',
        'sh',
        '-c',
        program,
        dir,
      ]);
      await waitFor('two programs to start', () => started().length === 2, 30_000, 50);
      // WHEN the signal arrives mid-run, and the two programs end only once the worker is stopping
      worker.child.kill(signal);
      await worker.waitForLog(/stopping: 2 running program\(s\) get 60 s to finish/);
      writeFileSync(join(dir, 'release'), '');
      const exit = await worker.finish();
      // THEN the two running ones were acked, no other one started, the 4 others are back in the queue
      // untouched, nothing dead-lettered
      expect(exit.code).toBe(0);
      expect(exit.stderr).toMatch(/stopped after 2 message\(s\)/);
      expect(started()).toEqual(['started.m1', 'started.m2']);
      const back = await broker.drain(queue);
      expect(back.map((m) => m.properties.messageId).sort()).toEqual(['m3', 'm4', 'm5', 'm6']);
      for (const m of back) expect(m.properties.headers?.['x-wq-attempts']).toBeUndefined();
      expect(await broker.count(`${queue}.dlq`)).toBe(0);
    },
  );

  it('stops programs that outlast the grace and returns their messages without counting an attempt', async () => {
    // GIVEN a program that marks its start and would run 10 minutes
    await broker.publish(queue, ['long']);
    const worker = new WorkerProcess([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '--shutdown-grace',
      '1',
      '--max-attempts',
      '1',
      '--',
      'sh',
      '-c',
      'touch "$0/started.long"; exec sleep 600',
      dir,
    ]);
    await waitFor('the program to start', () => existsSync(join(dir, 'started.long')), 30_000, 50);
    // WHEN SIGTERM arrives while it runs
    worker.child.kill('SIGTERM');
    // THEN the worker stops it when the 1 s grace is over (not after its 10 minutes) and exits 0,
    // the message back in the queue without an attempt counted
    const exit = await worker.finish(60_000);
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/shutdown grace over: stopping 1 program\(s\)/);
    expect(await broker.count(`${queue}.dlq`)).toBe(0);
    const [back] = await broker.drain(queue);
    expect(back.body.toString()).toBe('long');
    expect(back.properties.headers?.['x-wq-attempts']).toBeUndefined();
  });

  it('gives back the messages of in-process handlers that outlast the grace, no attempt counted', async () => {
    // GIVEN a handler module that marks its start and never settles, and two messages
    const handler = join(dir, 'handler.js');
    const mark = `require('fs').writeFileSync(${JSON.stringify(dir)} + '/started.' + body, '')`;
    writeFileSync(handler, `module.exports = (body) => { ${mark}; return new Promise(() => {}); };`);
    await broker.publish(queue, ['a', 'b']);
    const worker = new WorkerProcess([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '--concurrency',
      '2',
      '--shutdown-grace',
      '1',
      '--module',
      handler,
    ]);
    await waitFor('both handlers to start', () => started().length === 2, 30_000, 50);
    // WHEN SIGTERM arrives while they run
    worker.child.kill('SIGTERM');
    // THEN when the 1 s grace is over both messages go back as they were, and the worker exits 0
    const exit = await worker.finish(60_000);
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/shutdown grace over: stopping 2 program\(s\)/);
    const back = await broker.drain(queue);
    expect(back.map((m) => m.body.toString()).sort()).toEqual(['a', 'b']);
    for (const m of back) expect(m.properties.headers?.['x-wq-attempts']).toBeUndefined();
    expect(await broker.count(`${queue}.dlq`)).toBe(0);
  });

  it('exits 0 on SIGTERM while still waiting for an unreachable broker', async () => {
    const worker = new WorkerProcess(['-u', 'amqp://127.0.0.1:1', '-q', queue, '--', 'cat']);
    await worker.waitForLog(/retrying/);
    worker.child.kill('SIGTERM');
    expect((await worker.finish(10_000)).code).toBe(0);
  });
});
