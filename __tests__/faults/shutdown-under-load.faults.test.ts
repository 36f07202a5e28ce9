import { writeFileSync } from 'node:fs';
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
    // GIVEN 40 messages, four programs at a time: two (d-0, d-1) run until the test releases them, two
    // would run 10 minutes, and 36 wait their turn
    const queue = uniqueQueue('drain');
    await f.broker.declare(queue);
    const all = ids('d', 40);
    const short = ['d-0', 'd-1'];
    await f.broker.publishIds(queue, all, (id) => (short.includes(id) ? 'short' : 'long'));
    const release = `${f.ledger.file}.release`;
    const program = f.ledger.program(
      `echo "$WQ_MESSAGE_ID started" >> "$0"; ` +
        `if [ "$(cat)" = short ]; then while [ ! -e "$0.release" ]; do sleep 0.05; done; else sleep 600; fi`,
      'done',
    );
    const worker = new WorkerProcess([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '--concurrency',
      '4',
      '--shutdown-grace',
      String(GRACE_SECONDS),
      '--',
      ...program,
    ]);
    f.workers.push(worker);
    const started = () =>
      f.ledger
        .entries()
        .filter((e) => e.fields[0] === 'started')
        .map((e) => e.id)
        .sort();
    await waitFor('four programs to run', () => started().length === 4, 30_000, 20);

    // WHEN the worker gets SIGTERM, and the two short programs end once it is stopping
    const termAt = Date.now();
    worker.child.kill('SIGTERM');
    await worker.waitForLog(/stopping: 4 running program\(s\) get \d+ s to finish/);
    writeFileSync(release, '');
    const exit = await worker.finish(60_000);
    const drainSeconds = (Date.now() - termAt) / 1000;

    // THEN it exits 0 once the grace is over, without waiting for the long programs; exactly the two
    // short ones finished, no other one started, and the other 38 messages are back in the queue as they were
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/shutdown grace over: stopping 2 program\(s\)/);
    expect(started()).toEqual(['d-0', 'd-1', 'd-2', 'd-3']);
    const done = f.ledger
      .entries()
      .filter((e) => e.fields[0] === 'done')
      .map((e) => e.id);
    expect(done.sort()).toEqual(short);
    const back = await f.broker.drain(queue);
    expect(back.map((m) => m.properties.messageId).sort()).toEqual(all.filter((id) => !short.includes(id)).sort());
    for (const m of back) expect(m.properties.headers?.['x-wq-attempts']).toBeUndefined();
    expect(await f.broker.count(`${queue}.dlq`)).toBe(0);
    report('SIGTERM under load', {
      graceSeconds: GRACE_SECONDS,
      drainSeconds: drainSeconds.toFixed(2),
      finished: done.length,
      returned: back.length,
    });
  });
});
