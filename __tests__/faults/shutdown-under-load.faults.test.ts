import { brokerUrl, uniqueQueue } from '../helpers/amqp';
import { waitFor } from '../helpers/wait-for';
import { WorkerProcess } from '../helpers/worker-process';
import { useFaultFixture } from './helpers/fault-fixture';
import { ids } from './helpers/ledger';
import { report } from './helpers/report';

const GRACE_SECONDS = 3;

describe('fault: SIGTERM under load with long programs', () => {
  const f = useFaultFixture();

  it('drains within the grace period and returns the rest to the queue, no attempt counted', async () => {
    // GIVEN 40 messages, four programs at a time: two take 1 s, two take 60 s, and 36 wait their turn
    const queue = uniqueQueue('drain');
    await f.broker.declare(queue);
    const all = ids('d', 40);
    await f.broker.publishIds(queue, all, (id) => (['d-0', 'd-1'].includes(id) ? '1' : '60'));
    const program = f.ledger.program('echo "$WQ_MESSAGE_ID started" >> "$0"; sleep "$(cat)"', 'done');
    const worker = new WorkerProcess(['-u', brokerUrl(), '-q', queue, '--concurrency', '4', '--shutdown-grace', String(GRACE_SECONDS), '--', ...program]);
    await waitFor('four programs to run', () => f.ledger.entries().filter((e) => e.fields[0] === 'started').length === 4, 30_000, 20);

    // WHEN the worker gets SIGTERM
    const termAt = Date.now();
    worker.child.kill('SIGTERM');
    const exit = await worker.finish(60_000);
    const drainSeconds = (Date.now() - termAt) / 1000;

    // THEN it exits 0 within the grace (plus a moment to close), the two short programs finished,
    // and the other 38 messages are back in the queue as they were
    expect(exit.code).toBe(0);
    expect(drainSeconds).toBeLessThan(GRACE_SECONDS + 3);
    const done = f.ledger.entries().filter((e) => e.fields[0] === 'done').map((e) => e.id);
    expect(done.sort()).toEqual(['d-0', 'd-1']);
    const back = await f.broker.drain(queue);
    expect(back).toHaveLength(38);
    for (const m of back) expect(m.properties.headers?.['x-wq-attempts']).toBeUndefined();
    expect(await f.broker.count(`${queue}.dlq`)).toBe(0);
    report('SIGTERM under load', { graceSeconds: GRACE_SECONDS, drainSeconds: drainSeconds.toFixed(2), finished: 2, returned: back.length });
  });
});
