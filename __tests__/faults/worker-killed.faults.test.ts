import { brokerUrl, uniqueQueue } from '../helpers/amqp';
import { waitFor } from '../helpers/wait-for';
import { WorkerProcess } from '../helpers/worker-process';
import { useFaultFixture } from './helpers/fault-fixture';
import { ids } from './helpers/ledger';
import { report } from './helpers/report';

describe('fault: a worker killed with SIGKILL mid-message', () => {
  const f = useFaultFixture();

  it('hands its unacked messages to the other workers', async () => {
    // GIVEN 60 messages and three f.workers, each running two 0.3 s programs at a time
    const queue = uniqueQueue('sigkill');
    await f.broker.declare(queue);
    const expected = ids('k', 60);
    await f.broker.publishIds(queue, expected);
    for (const name of ['a', 'b', 'c']) {
      const program = f.ledger.program('sleep 0.3', `${name} $WQ_REDELIVERED`);
      f.workers.push(new WorkerProcess(['-u', brokerUrl(), '-q', queue, '--concurrency', '2', '--', ...program]));
    }

    // WHEN worker a is killed outright while it has programs running
    const [a] = f.workers;
    await waitFor(
      'worker a to have finished a message',
      () => f.ledger.entries().some((e) => e.fields[0] === 'a'),
      60_000,
      20,
    );
    a.child.kill('SIGKILL');
    const killedAt = f.ledger.entries().length;

    // THEN every message is processed, the ones a held were redelivered to b and c, and none is dead-lettered
    await waitFor(
      'all 60 messages',
      async () => f.ledger.check(expected).missing.length === 0 && (await f.broker.count(queue)) === 0,
      120_000,
      100,
    );
    const redelivered = f.ledger.entries().filter((e) => e.fields[0] !== 'a' && e.fields[1] === 'true');
    expect(redelivered.length).toBeGreaterThanOrEqual(1);
    expect(await f.broker.count(`${queue}.dlq`)).toBe(0);
    const { duplicates } = f.ledger.check(expected);
    report('worker SIGKILL', {
      messages: 60,
      processedBeforeKill: killedAt,
      redeliveredToOthers: redelivered.length,
      duplicates,
    });
  });
});
