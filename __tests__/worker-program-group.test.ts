import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { runWorker } from './helpers/worker-process';

/** True while `pid` is a live process (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Starts a background child that ignores SIGTERM, waits until it does (its ready file), writes
 * its pid to $0 and exits 0 at once.
 */
const LEAVES_TERM_IGNORING_CHILD =
  '(trap "" TERM; : > "$0.ready"; exec sleep 34) & ' +
  'while [ ! -e "$0.ready" ]; do sleep 0.01; done; echo $! > "$0"; exit 0';

describe.each([
  ['the wq-spawn helper', {}],
  ["Node's own spawn", { WQ_SPAWN_HELPER: '' }],
])('processes a program leaves behind, through %s', (_how, spawnEnv) => {
  let broker: TestBroker;
  let dir: string;
  beforeAll(async () => {
    broker = await TestBroker.open();
  });
  afterAll(async () => {
    await broker.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wq-group-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('do not outlive the message: a background child that ignores SIGTERM gets the KILL', async () => {
    // GIVEN a program that leaves a TERM-ignoring background child and exits 0
    const queue = uniqueQueue('leftover');
    await broker.declare(queue);
    await broker.publishIds(queue, ['leftover-1']);
    const pidFile = join(dir, 'child.pid');
    let child: number | undefined;
    try {
      // WHEN the worker handles the message and exits
      const exit = await runWorker(
        ['-u', brokerUrl(), '-q', queue, '-c', '1', '--', 'sh', '-c', LEAVES_TERM_IGNORING_CHILD, pidFile],
        spawnEnv,
      );
      child = Number(readFileSync(pidFile, 'utf8'));

      // THEN the message is acked as a success, and by then the child is gone: the attempt waited for its group
      expect(exit.code).toBe(0);
      expect(exit.stderr).not.toMatch(/failed/);
      expect(await broker.count(queue)).toBe(0);
      expect(await broker.count(`${queue}.dlq`)).toBe(0);
      expect(alive(child)).toBe(false);
    } finally {
      if (child && alive(child)) process.kill(child, 'SIGKILL');
    }
  });
});
