import { TestBroker, testQueueType, uniqueQueue } from '../helpers/amqp';
import { PrivateBroker } from '../helpers/private-broker';
import { waitFor } from '../helpers/wait-for';
import { WorkerProcess } from '../helpers/worker-process';
import { Ledger, ids } from './helpers/ledger';
import { report } from './helpers/report';

/** AMQP ports of this file's private nodes (distribution port: +10000). */
const RESTART_PORT = 5791;
const LATE_PORT = 5792;

describe('fault: the broker itself goes away', () => {
  let ledger: Ledger;
  let node: PrivateBroker | undefined;
  const workers: WorkerProcess[] = [];
  beforeEach(() => {
    ledger = new Ledger();
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) w.child.kill('SIGKILL');
    await node?.destroy();
    node = undefined;
    ledger.remove();
  });

  it('restarted mid-run: workers resume without a restart of their own, durable messages kept', async () => {
    // GIVEN a private node holding 400 persistent messages in a durable queue (of this run's type; a quorum
    // queue with the construct's policy, set through the node's management API), and two workers
    node = new PrivateBroker(RESTART_PORT, undefined, '', { management: testQueueType() === 'quorum' });
    await node.start();
    const queue = uniqueQueue('restart');
    const expected = ids('r', 400);
    const producer = await TestBroker.open(node.url, node.managementUrl);
    await producer.declare(queue, undefined, undefined, true); // kept: close() must not delete it
    await producer.publishIds(queue, expected);
    await producer.close();
    for (let i = 0; i < 2; i++) {
      workers.push(
        new WorkerProcess(['-u', node.url, '-q', queue, '--concurrency', '2', '--', ...ledger.program('sleep 0.02')]),
      );
    }

    // WHEN the node is stopped mid-run and started again on the same data
    await waitFor('a quarter of the messages', () => ledger.entries().length >= 100, 120_000, 50).catch((err) => {
      throw new Error(`${err.message}; worker output:\n${workers.map((w) => w.stderr).join('\n')}`);
    });
    await node.stop();
    const down = Date.now();
    const doneWhileDown = ledger.entries().length;
    await new Promise((r) => setTimeout(r, 3_000));
    await node.start();
    const outage = (Date.now() - down) / 1000;
    const upAt = Date.now();
    const before = ledger.entries().length;
    await waitFor('work to resume', () => ledger.entries().length > before, 60_000, 50);
    const resumedAfter = (Date.now() - upAt) / 1000;

    // THEN both workers reconnect by themselves and every message is processed
    await waitFor('all 400 messages', () => ledger.check(expected).missing.length === 0, 180_000, 250);
    for (const w of workers) {
      expect(w.child.exitCode).toBeNull();
      expect(w.stderr).toMatch(/reconnected; consuming/);
    }
    const check = await TestBroker.open(node.url);
    await waitFor('the queue to be empty', async () => (await check.count(queue)) === 0, 30_000);
    expect(await check.count(`${queue}.dlq`)).toBe(0);
    await check.close();
    report('broker restarted', {
      messages: 400,
      processedBeforeStop: doneWhileDown,
      outageSeconds: outage.toFixed(1),
      resumedSecondsAfterBrokerUp: resumedAfter.toFixed(1),
      duplicates: ledger.check(expected).duplicates,
    });
  });

  it('down when the workers start and up 20 s later: they connect and work', async () => {
    // GIVEN a worker started while nothing listens on the broker's port
    node = new PrivateBroker(LATE_PORT);
    const queue = uniqueQueue('late');
    const worker = new WorkerProcess([
      '-u',
      node.url,
      '-q',
      queue,
      '-c',
      '50',
      '--connect-timeout',
      '180',
      '--',
      ...ledger.program(),
    ]);
    workers.push(worker);
    await worker.waitForLog(/cannot reach the broker .*retrying/);

    // WHEN the broker starts 20 s later and 50 messages arrive
    await new Promise((r) => setTimeout(r, 20_000));
    expect(worker.child.exitCode).toBeNull();
    await node.start();
    const upAt = Date.now();
    await worker.waitForLog(/consuming/, 120_000);
    const connectedAfter = (Date.now() - upAt) / 1000;
    const producer = await TestBroker.open(node.url);
    const expected = ids('l', 50);
    await producer.publishIds(queue, expected);
    await producer.close();

    // THEN it processes them all and exits 0 after its 50 (-c 50)
    const exit = await worker.finish(120_000);
    expect(exit.code).toBe(0);
    expect(ledger.check(expected)).toEqual({ missing: [], duplicates: 0 });
    expect(exit.stderr).not.toMatch(/guest@/);
    report('broker down at start', {
      downSeconds: 20,
      secondsFromBrokerAnsweringToWorkerConsuming: connectedAfter.toFixed(1),
    });
  });
});
