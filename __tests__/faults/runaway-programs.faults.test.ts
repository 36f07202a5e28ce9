import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { brokerUrl, uniqueQueue } from '../helpers/amqp';
import { waitFor } from '../helpers/wait-for';
import { WorkerProcess, runWorker } from '../helpers/worker-process';
import { useFaultFixture } from './helpers/fault-fixture';
import { report } from './helpers/report';

/**
 * True while `pid` is a live process (a zombie waiting to be reaped counts as gone); throws for a pid no
 * child can have.
 */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`not a child's pid: ${pid}`);
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Inodes of the established TCP connections process `pid` holds to `port` (the kernel's own view of its links). */
function connectionsTo(pid: number, port: number): string[] {
  const sockets = new Set(
    readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        } catch {
          return undefined; // closed between the listing and the read
        }
      })
      .filter((inode): inode is string => inode !== undefined),
  );
  const tables = ['/proc/net/tcp', '/proc/net/tcp6'];
  const rows = tables.flatMap((table) => readFileSync(table, 'utf8').trim().split('\n').slice(1));
  const ESTABLISHED = '01';
  return rows
    .map((row) => row.trim().split(/\s+/))
    .filter(
      ([, , remote, state, , , , , , inode]) =>
        state === ESTABLISHED && parseInt(remote.split(':')[1], 16) === port && sockets.has(inode),
    )
    .map((fields) => fields[9])
    .sort();
}

const HEARTBEAT_SECONDS = 2;
const PROGRAM_SECONDS = 10;

describe('fault: programs that hang, leave children behind, or run long', () => {
  const f = useFaultFixture();

  it('stops a hanging program and its whole process group at --timeout, even a child ignoring SIGTERM', async () => {
    // GIVEN a program that starts a child ignoring SIGTERM, records the child's pid, and hangs
    const queue = uniqueQueue('hang');
    await f.broker.declare(queue);
    await f.broker.publishIds(queue, ['hang-1']);
    const pidFile = join(f.ledger.dir, 'child.pid');
    const program = ['sh', '-c', `sh -c 'trap "" TERM; echo $$ > "$0"; exec sleep 1000' "$0" & wait`, pidFile];

    // WHEN the worker runs it with a 1 s timeout and one attempt allowed
    const started = Date.now();
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
      '--',
      ...program,
    ]);
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

  it('keeps the connection up while a program runs longer than the broker waits for a heartbeat', async () => {
    // GIVEN a 2 s heartbeat (the broker drops a client silent for two intervals, 4 s) and programs
    // that take 10 s, each recording its start and whether its message came redelivered
    const queue = uniqueQueue('heartbeat');
    await f.broker.declare(queue);
    await f.broker.publishIds(queue, ['slow-1', 'slow-2']);
    const url = new URL(brokerUrl());
    url.searchParams.set('heartbeat', String(HEARTBEAT_SECONDS));
    const brokerPort = Number(url.port || 5672);
    const program = f.ledger.program(
      `echo "$WQ_MESSAGE_ID started $WQ_REDELIVERED" >> "$0"; sleep ${PROGRAM_SECONDS}`,
      'done',
    );

    // WHEN the worker runs two such programs one after the other
    const worker = new WorkerProcess([
      '-u',
      url.toString(),
      '-q',
      queue,
      '-c',
      '2',
      '--concurrency',
      '1',
      '--',
      ...program,
    ]);
    f.workers.push(worker);
    const starts = () => f.ledger.entries().filter((e) => e.fields[0] === 'started').length;
    await waitFor('the first program to start', () => starts() === 1, 30_000, 50);
    const linkDuringFirst = connectionsTo(worker.child.pid!, brokerPort);
    await waitFor('the second program to start', () => starts() === 2, 60_000, 50);
    const linkDuringSecond = connectionsTo(worker.child.pid!, brokerPort);
    const exit = await worker.finish(120_000);

    // THEN both ran once, on the connection the worker had from the start (the kernel's socket, not the
    // worker's word for it): the broker never dropped it for missed heartbeats, nothing was redelivered
    expect(exit.code).toBe(0);
    expect(linkDuringFirst).toHaveLength(1);
    expect(linkDuringSecond).toEqual(linkDuringFirst);
    expect(f.ledger.entries().map((e) => `${e.id} ${e.fields.join(' ')}`)).toEqual([
      'slow-1 started false',
      'slow-1 done',
      'slow-2 started false',
      'slow-2 done',
    ]);
    expect(exit.stderr).not.toMatch(/lost the broker link|reconnect/);
    expect(await f.broker.count(queue)).toBe(0);
    report('long program vs heartbeat', {
      heartbeatSeconds: HEARTBEAT_SECONDS,
      programSeconds: PROGRAM_SECONDS,
      reconnects: 0,
    });
  });
});
