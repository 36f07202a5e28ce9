import { TestBroker, brokerUrl, uniqueQueue } from '../helpers/amqp';
import { waitFor } from '../helpers/wait-for';
import { WorkerProcess } from '../helpers/worker-process';
import { Ledger, ids } from './helpers/ledger';
import { report } from './helpers/report';

describe('fault: a worker killed with SIGKILL mid-message', () => {
  let broker: TestBroker;
  let ledger: Ledger;
  const workers: WorkerProcess[] = [];
  beforeEach(async () => {
    broker = await TestBroker.open();
    ledger = new Ledger();
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) w.child.kill('SIGKILL');
    await broker.close();
    ledger.remove();
  });

  it('hands its unacked messages to the other workers', async () => {
    // GIVEN 60 messages and three workers, each running two 0.3 s programs at a time
    const queue = uniqueQueue('sigkill');
    await broker.declare(queue);
    const expected = ids('k', 60);
    await broker.publishIds(queue, expected);
    for (const name of ['a', 'b', 'c']) {
      const program = ledger.program('sleep 0.3', `${name} $WQ_REDELIVERED`);
      workers.push(new WorkerProcess(['-u', brokerUrl(), '-q', queue, '--concurrency', '2', '--', ...program]));
    }

    // WHEN worker a is killed outright while it has programs running
    const [a] = workers;
    await waitFor('worker a to have finished a message', () => ledger.entries().some((e) => e.fields[0] === 'a'), 60_000, 20);
    a.child.kill('SIGKILL');
    const killedAt = ledger.entries().length;

    // THEN every message is processed, the ones a held were redelivered to b and c, and none is dead-lettered
    await waitFor('all 60 messages', async () => ledger.check(expected).missing.length === 0 && (await broker.count(queue)) === 0, 120_000, 100);
    const redelivered = ledger.entries().filter((e) => e.fields[0] !== 'a' && e.fields[1] === 'true');
    expect(redelivered.length).toBeGreaterThanOrEqual(1);
    expect(await broker.count(`${queue}.dlq`)).toBe(0);
    const { duplicates } = ledger.check(expected);
    report('worker SIGKILL', { messages: 60, processedBeforeKill: killedAt, redeliveredToOthers: redelivered.length, duplicates });
  });
});
