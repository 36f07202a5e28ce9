import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerUrl, uniqueQueue } from '../helpers/amqp';
import { waitFor } from '../helpers/wait-for';
import { runWorker } from '../helpers/worker-process';
import { useFaultFixture } from './helpers/fault-fixture';
import { report } from './helpers/report';

/** True while `pid` is a live process (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('fault: programs that hang, leave children behind, or run long', () => {
  const f = useFaultFixture();

  it('stops a hanging program and its whole process group at --timeout, even a child that ignores SIGTERM', async () => {
    // GIVEN a program that starts a child ignoring SIGTERM, records the child's pid, and hangs
    const queue = uniqueQueue('hang');
    await f.broker.declare(queue);
    await f.broker.publishIds(queue, ['hang-1']);
    const pidFile = join(f.ledger.dir, 'child.pid');
    const program = ['sh', '-c', `sh -c 'trap "" TERM; echo $$ > "$0"; exec sleep 1000' "$0" & wait`, pidFile];

    // WHEN the worker runs it with a 1 s timeout and one attempt allowed
    const started = Date.now();
    const exit = await runWorker(['-u', brokerUrl(), '-q', queue, '-c', '1', '--timeout', '1', '--max-attempts', '1', '--', ...program]);
    const seconds = (Date.now() - started) / 1000;

    // THEN the attempt failed as timed out, the message is dead-lettered, and the child is gone after the KILL
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/message hang-1 failed: timed out after 1 s/);
    const [dead] = await f.broker.drain(`${queue}.dlq`);
    expect(String(dead.properties.headers?.['x-wq-reason'])).toMatch(/timed out/);
    const child = Number(readFileSync(pidFile, 'utf8'));
    await waitFor('the TERM-ignoring child to be killed', () => !alive(child), 15_000, 100);
    report('hanging program', { timeoutSeconds: 1, workerSeconds: seconds.toFixed(1), childKilledByKill: 1 });
  });

  it('stops background children a program leaves running when it exits', async () => {
    // GIVEN a program that starts a background child and exits 0 at once
    const queue = uniqueQueue('orphan');
    await f.broker.declare(queue);
    await f.broker.publishIds(queue, ['orphan-1']);
    const pidFile = join(f.ledger.dir, 'bg.pid');
    const program = ['sh', '-c', 'sleep 1000 & echo $! > "$0"; exit 0', pidFile];

    // WHEN the worker runs it
    const exit = await runWorker(['-u', brokerUrl(), '-q', queue, '-c', '1', '--', ...program]);

    // THEN the message is acked and the background child does not outlive its message
    expect(exit.code).toBe(0);
    expect(await f.broker.count(queue)).toBe(0);
    const bg = Number(readFileSync(pidFile, 'utf8'));
    await waitFor('the background child to be stopped', () => !alive(bg), 10_000, 100);
  });

  it('keeps the connection up while a program runs longer than two heartbeat intervals', async () => {
    // GIVEN a 1 s heartbeat and a program that takes 5 s
    const queue = uniqueQueue('heartbeat');
    await f.broker.declare(queue);
    await f.broker.publishIds(queue, ['slow-1', 'slow-2']);
    const url = new URL(brokerUrl());
    url.searchParams.set('heartbeat', '1');

    // WHEN the worker runs two such programs one after the other
    const exit = await runWorker(['-u', url.toString(), '-q', queue, '-c', '2', '--concurrency', '1', '--', ...f.ledger.program('sleep 5')]);

    // THEN both are acked over the same connection: no link lost, nothing redelivered
    expect(exit.code).toBe(0);
    expect(exit.stderr).not.toMatch(/lost the broker link|reconnect/);
    expect(f.ledger.check(['slow-1', 'slow-2'])).toEqual({ missing: [], duplicates: 0 });
    expect(await f.broker.count(queue)).toBe(0);
    report('long program vs heartbeat', { heartbeatSeconds: 1, programSeconds: 5, reconnects: 0 });
  });
});
