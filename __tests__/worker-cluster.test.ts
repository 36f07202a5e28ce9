import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, uniqueQueue } from './helpers/amqp';
import { PrivateBroker } from './helpers/private-broker';
import { waitFor } from './helpers/wait-for';
import { WorkerProcess, runWorker } from './helpers/worker-process';

const PORT_A = 5851;
const PORT_B = 5852;

/** One file per message, named by its id: `sh -c 'cat > "$0/$WQ_MESSAGE_ID"' DIR`. */
const saveTo = (dir: string) => ['--', 'sh', '-c', 'cat > "$0/$WQ_MESSAGE_ID"', dir];
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** The port of the node the worker said it connected to last ("connected to ...:PORT (one of 2 brokers"). */
function connectedPort(worker: WorkerProcess): number | undefined {
  const all = [...worker.stderr.matchAll(/connected to \S+:(\d+) \(one of \d+ brokers/g)];
  return all.length ? Number(all[all.length - 1][1]) : undefined;
}

describe('workqueue-worker with several broker URLs (two private RabbitMQ nodes)', () => {
  const nodes = new Map<number, PrivateBroker>();
  let dir: string;
  beforeAll(async () => {
    for (const port of [PORT_A, PORT_B]) nodes.set(port, new PrivateBroker(port));
    await Promise.all([...nodes.values()].map((n) => n.start()));
  }, 180_000);
  afterAll(async () => {
    await Promise.all([...nodes.values()].map((n) => n.destroy()));
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wq-cluster-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const node = (port: number) => nodes.get(port)!;
  const a = () => node(PORT_A).url;
  const b = () => node(PORT_B).url;

  it.each([
    ['-u A,B', () => ['-u', `${a()},${b()}`]],
    ['-u A -u B', () => ['-u', a(), '--url', b()]],
  ])('%s: when its node stops, the worker moves to the other one and loses nothing', async (_, urlArgs) => {
    // GIVEN the queue on both nodes, 30 messages waiting on each, and a worker given both nodes
    const queue = uniqueQueue('cluster');
    const producers = new Map<number, TestBroker>();
    for (const port of [PORT_A, PORT_B]) {
      producers.set(port, await TestBroker.open(node(port).url, 'http://127.0.0.1:1'));
      await producers.get(port)!.declare(queue, undefined, 'classic', true); // kept: the nodes go with the test
      await producers.get(port)!.publishIds(queue, ids(`before-${port}`, 30));
    }
    const worker = new WorkerProcess([...urlArgs(), '-q', queue, '--concurrency', '4', ...saveTo(dir)]);
    let stopped: PrivateBroker | undefined;
    try {
      await worker.waitForLog(/consuming/);
      const first = connectedPort(worker)!;
      const other = first === PORT_A ? PORT_B : PORT_A;
      expect([PORT_A, PORT_B]).toContain(first);
      await waitFor('the 30 messages of the first node', () => readdirSync(dir).length === 30, 30_000, 100);
      expect(readdirSync(dir).sort()).toEqual(ids(`before-${first}`, 30).sort());

      // WHEN the node it is connected to stops
      await producers.get(first)!.close();
      stopped = node(first);
      await stopped.stop();

      // THEN it reconnects to the other node, takes what waited there and what is published there now
      await worker.waitForLog(/reconnected/);
      expect(connectedPort(worker)).toBe(other);
      const survivor = producers.get(other)!;
      await survivor.publishIds(queue, ids('after', 30));
      const expected = [...ids(`before-${first}`, 30), ...ids(`before-${other}`, 30), ...ids('after', 30)];
      await waitFor('every message of both nodes', () => readdirSync(dir).length === 90, 30_000, 100);
      expect(readdirSync(dir).sort()).toEqual(expected.sort());
      await waitFor('the survivor to hold none', async () => (await survivor.count(queue)) === 0, 30_000, 100);
      expect(await survivor.count(`${queue}.dlq`)).toBe(0);
      expect(worker.stderr).toMatch(/lost the broker link .*; reconnecting/);
      worker.child.kill('SIGTERM');
      expect((await worker.finish()).code).toBe(0);
      await survivor.close();
    } finally {
      worker.child.kill('SIGKILL');
      await stopped?.start(); // for the next case
    }
  });

  it('starts on the second URL of $AMQP_URL when the first is unreachable', async () => {
    // GIVEN $AMQP_URL lists a node that is down first, then a node that is up with a message waiting
    const queue = uniqueQueue('cluster-first-down');
    const producer = await TestBroker.open(b(), 'http://127.0.0.1:1');
    await producer.declare(queue, undefined, 'classic', true);
    await producer.publishIds(queue, ['on-b']);
    const down = node(PORT_A);
    await down.stop();
    try {
      // WHEN a worker starts and takes one message
      const exit = await runWorker(['-q', queue, '-c', '1', ...saveTo(dir)], { AMQP_URL: `${a()},${b()}` });
      // THEN it started on the node that is up
      expect(exit.code).toBe(0);
      expect(readdirSync(dir)).toEqual(['on-b']);
      expect(exit.stderr).toMatch(new RegExp(`connected to \\S+:${PORT_B} \\(one of 2 brokers`));
      expect(exit.stderr).not.toContain('guest:guest');
    } finally {
      await producer.close();
      await down.start();
    }
  });
});
