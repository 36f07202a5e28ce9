import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorker, type MessageMeta } from '../worker';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { waitFor } from './helpers/wait-for';
import { runWorker } from './helpers/worker-process';

/** Quiet logger that keeps lines for assertions. */
function memoryLog(): { lines: string[]; info: (m: string) => void; error: (m: string) => void } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), error: (m) => lines.push(`error: ${m}`) };
}

describe('in-process handlers', () => {
  let broker: TestBroker;
  let dir: string;
  let queue: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    dir = mkdtempSync(join(tmpdir(), 'wq-in-process-'));
    queue = uniqueQueue('inproc');
    await broker.declare(queue);
  });
  afterEach(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('workqueue-worker --module FILE', () => {
    it('acks when the default export resolves, retries and dead-letters when it throws', async () => {
      // GIVEN an ES module handler that records good bodies and throws on 'bad'
      const handler = join(dir, 'handler.mjs');
      writeFileSync(
        handler,
        `import { appendFileSync } from 'node:fs';\n` +
          `export default async (body, meta) => { ` +
          `if (String(body) === 'bad') throw new Error('cannot handle ' + meta.messageId); ` +
          `appendFileSync(${JSON.stringify(join(dir, 'done'))}, meta.messageId + ' ' + body + '\\n'); };\n`,
      );
      await broker.publishIds(queue, ['one', 'bad', 'two'], (id) => (id === 'bad' ? 'bad' : `body-${id}`));

      // WHEN the worker runs it, two attempts allowed
      const exit = await runWorker([
        '-u',
        brokerUrl(),
        '-q',
        queue,
        '-c',
        '4',
        '--max-attempts',
        '2',
        '--module',
        handler,
      ]);

      // THEN good messages are done once, the bad one dead-lettered with the thrown message
      expect(exit.code).toBe(0);
      expect(readFileSync(join(dir, 'done'), 'utf8').split('\n').filter(Boolean).sort()).toEqual([
        'one body-one',
        'two body-two',
      ]);
      const [dead] = await broker.drain(`${queue}.dlq`);
      expect(dead.properties.headers?.['x-wq-reason']).toBe('handler threw: cannot handle bad');
      expect(await broker.count(queue)).toBe(0);
    });

    it('survives a handler that throws a value without text, and reports any throw in one line', async () => {
      // GIVEN a handler that throws an object String() cannot convert, or an error of several lines
      const handler = join(dir, 'odd.js');
      writeFileSync(
        handler,
        `module.exports = (body) => { if (String(body) === 'null-proto') throw Object.create(null); ` +
          `throw new Error('line one\\nline two'); };\n`,
      );
      await broker.publishIds(queue, ['null-proto', 'multi']);

      // WHEN the worker runs it for both messages, one attempt allowed
      const exit = await runWorker([
        '-u',
        brokerUrl(),
        '-q',
        queue,
        '-c',
        '2',
        '--max-attempts',
        '1',
        '--module',
        handler,
      ]);

      // THEN the worker finished normally and dead-lettered both, each reason on one line
      expect(exit.code).toBe(0);
      expect(exit.stderr).not.toMatch(/TypeError| {4}at /);
      const dead = await broker.drain(`${queue}.dlq`);
      const reasons = Object.fromEntries(
        dead.map((d) => [d.properties.messageId, d.properties.headers?.['x-wq-reason']]),
      );
      expect(reasons).toEqual({
        'null-proto': 'handler threw: a thrown object that has no text',
        multi: 'handler threw: line one line two',
      });
    });

    it('fails an attempt whose handler outlives --timeout', async () => {
      const handler = join(dir, 'slow.js');
      writeFileSync(handler, `module.exports = () => new Promise((resolve) => setTimeout(resolve, 60000).unref());\n`);
      await broker.publishIds(queue, ['slow']);
      const exit = await runWorker([
        '-u',
        brokerUrl(),
        '-q',
        queue,
        '-c',
        '1',
        '--timeout',
        '1',
        '--max-attempts',
        '1',
        '--module',
        handler,
      ]);
      expect(exit.code).toBe(0);
      expect(exit.stderr).toMatch(/message slow failed: timed out after 1 s \(handler did not finish\)/);
      expect(await broker.count(`${queue}.dlq`)).toBe(1);
    });

    it('says what is wrong with a module that cannot be used', async () => {
      const notFunction = join(dir, 'object.js');
      writeFileSync(notFunction, 'module.exports = { hello: 1 };\n');
      const missing = await runWorker(['-q', queue, '--module', join(dir, 'nope.js')]);
      const wrong = await runWorker(['-q', queue, '--module', notFunction]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^workqueue-worker: error: cannot load --module .*nope\.js: Cannot find module/);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/--module .*object\.js must export a function as default/);
    });
  });

  describe('createWorker() library API', () => {
    it('handles messages in this process with the same retries and dead-lettering', async () => {
      // GIVEN a handler function that fails on 'bad'
      await broker.publishIds(queue, ['a', 'bad', 'b']);
      const seen: MessageMeta[] = [];
      const log = memoryLog();
      const worker = createWorker({
        url: brokerUrl(),
        queue,
        concurrency: 4,
        maxAttempts: 2,
        log,
        handler: async (body, meta) => {
          seen.push(meta);
          if (body.toString() === 'bad') throw new Error('nope');
        },
      });

      // WHEN it runs until the queue is empty and is closed twice
      await worker.start();
      await waitFor(
        'the bad message to be dead-lettered',
        async () => (await broker.count(`${queue}.dlq`)) === 1 && (await broker.count(queue)) === 0,
        30_000,
        50,
      );
      await Promise.all([worker.close(), worker.close()]);

      // THEN a and b ran once, bad twice (attempts 1 and 2), and the worker said so
      expect(
        seen
          .filter((m) => m.messageId !== 'bad')
          .map((m) => m.messageId)
          .sort(),
      ).toEqual(['a', 'b']);
      expect(seen.filter((m) => m.messageId === 'bad').map((m) => m.attempt)).toEqual([1, 2]);
      expect(log.lines.join('\n')).toMatch(/message bad failed: handler threw: nope \(attempt 2 of 2\); moving it to/);
    });

    it('rejects bad options with the option named', () => {
      expect(() => createWorker({ queue: '', handler: async () => undefined })).toThrow(/missing --queue/);
      expect(() => createWorker({ queue: 'q', concurrency: 0, handler: async () => undefined })).toThrow(
        /--concurrency must be a whole number from 1/,
      );
    });
  });
});
