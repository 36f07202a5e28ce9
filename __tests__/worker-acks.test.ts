import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { waitFor } from './helpers/wait-for';
import { WorkerProcess } from './helpers/worker-process';

describe('acks sent together (one basic.ack with multiple per turn of the event loop)', () => {
  let broker: TestBroker;
  let dir: string;
  let queue: string;
  let worker: WorkerProcess | undefined;
  beforeEach(async () => {
    broker = await TestBroker.open();
    dir = mkdtempSync(join(tmpdir(), 'wq-acks-'));
    queue = uniqueQueue('acks');
    await broker.declare(queue);
  });
  afterEach(async () => {
    worker?.child.kill('SIGKILL');
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['in-process (--module)', 'module'],
    ['persistent', 'persistent'],
  ])('never ack a message that is still running, even when every later one is done: %s', async (_name, mode) => {
    // GIVEN a first message whose handler never finishes, and 40 behind it that finish at once
    const ids = ['slow', ...Array.from({ length: 40 }, (_, i) => `fast-${i}`)];
    await broker.publishIds(queue, ids, (id) => id);
    const done = join(dir, 'done');
    const handler = join(dir, 'handler.js');
    writeFileSync(
      handler,
      `const fs = require('fs'); module.exports = (body) => String(body) === 'slow' ? new Promise(() => {}) : ` +
        `fs.writeFileSync(${JSON.stringify(done)} + '-' + body, '');`,
    );
    const answer =
      `const fs = require('fs'); require('readline').createInterface({ input: process.stdin }).on('line', (l) => { ` +
      `const m = JSON.parse(l); const b = Buffer.from(m.body, 'base64').toString(); if (b === 'slow') return; ` +
      `fs.writeFileSync(${JSON.stringify(done)} + '-' + b, ''); ` +
      `process.stdout.write(JSON.stringify({ id: m.id, ok: true }) + '\\n'); });`;
    const how = mode === 'module' ? ['--module', handler] : ['--persistent', '--', process.execPath, '-e', answer];
    // Two slots: the slow message holds one, the 40 go through the other (in persistent mode one program takes all).
    worker = new WorkerProcess([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '--concurrency',
      '2',
      '--prefetch-count',
      '50',
      ...how,
    ]);

    // WHEN the 40 are done and the broker counts only the slow one unacked, the worker is killed
    const doneCount = () => readdirSync(dir).filter((f) => f.startsWith('done-')).length;
    await waitFor('the 40 fast messages done', () => doneCount() === 40, 30_000, 50);
    await waitFor('the broker to count one unacked message', async () => (await broker.unacked(queue)) === 1, 30_000);
    worker.child.kill('SIGKILL');
    await worker.exited;
    worker = undefined;

    // THEN only the slow message is back in the queue: the 40 were acked, the running one was not
    await broker.waitForCount(queue, 1);
    const left = await broker.drain(queue);
    expect(left.map((m) => String(m.body))).toEqual(['slow']);
  });
});
