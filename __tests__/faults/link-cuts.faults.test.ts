import { TestBroker, brokerUrl, uniqueQueue } from '../helpers/amqp';
import { TcpProxy, viaProxy } from '../helpers/tcp-proxy';
import { waitFor } from '../helpers/wait-for';
import { WorkerProcess } from '../helpers/worker-process';
import { Ledger, ids } from './helpers/ledger';
import { report } from './helpers/report';

const MESSAGES = 3000;
const CUTS = 4;

describe('fault: every broker connection cut mid-run, again and again', () => {
  let broker: TestBroker;
  let proxy: TcpProxy;
  let ledger: Ledger;
  const workers: WorkerProcess[] = [];
  beforeEach(async () => {
    broker = await TestBroker.open();
    const target = new URL(brokerUrl());
    proxy = new TcpProxy(target.hostname, Number(target.port || 5672));
    await proxy.listen();
    ledger = new Ledger();
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) w.child.kill('SIGKILL');
    await proxy.close();
    await broker.close();
    ledger.remove();
  });

  it('has three workers reconnect by themselves and process all 3,000 messages', async () => {
    // GIVEN 3,000 messages and three workers connected through a proxy the test controls
    const queue = uniqueQueue('cuts');
    await broker.declare(queue);
    const expected = ids('c', MESSAGES);
    await broker.publishIds(queue, expected);
    for (let i = 0; i < 3; i++) {
      workers.push(
        new WorkerProcess([
          '-u',
          viaProxy(brokerUrl(), proxy),
          '-q',
          queue,
          '--concurrency',
          '2',
          '--',
          ...ledger.program(),
        ]),
      );
    }
    const started = Date.now();

    // WHEN every connection is cut four times while the messages flow
    for (let cut = 1; cut <= CUTS; cut++) {
      await waitFor(
        `progress before cut ${cut}`,
        () => ledger.entries().length >= (cut * MESSAGES) / (CUTS + 2),
        180_000,
        100,
      );
      proxy.cut();
      await waitFor(
        `all three workers to reconnect after cut ${cut}`,
        () => workers.every((w) => (w.stderr.match(/reconnected; consuming/g) ?? []).length >= cut),
        60_000,
        100,
      );
    }

    // THEN each worker reconnected every time, and every message was processed at least once
    await waitFor(
      'all messages',
      async () => ledger.check(expected).missing.length === 0 && (await broker.count(queue)) === 0,
      300_000,
      250,
    );
    expect(await broker.count(`${queue}.dlq`)).toBe(0);
    for (const w of workers) {
      expect(w.child.exitCode).toBeNull();
      expect(w.stderr).not.toMatch(/guest@/);
    }
    const { duplicates } = ledger.check(expected);
    report('connections cut', {
      messages: MESSAGES,
      workers: 3,
      cuts: CUTS,
      duplicates,
      seconds: ((Date.now() - started) / 1000).toFixed(1),
    });
  });
});
