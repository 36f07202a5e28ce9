import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli } from '../helpers/cli-process';
import { docker } from './helpers/plan-driver';
import { queueDepth, synthDefaultStack } from './helpers/system';
import { waitFor } from '../helpers/wait-for';

/** Loopback port of the broker that `workqueue run-local broker` starts. */
const PORT = 5684;
const PASSWORD = 'runlocal-e2e-password';
const WORKER_PASSWORD = 'runlocal-e2e-worker-pw';

describe('workqueue build and run-local on the local Docker engine', () => {
  const project = mkdtempSync(join(tmpdir(), 'wq-e2e-cli-'));
  const cleanup = () => {
    for (const name of ['broker', 'worker']) {
      try {
        docker(['rm', '-f', name]);
      } catch {
        // not running
      }
    }
  };
  beforeAll(() => {
    // GIVEN a project whose cdktf.out holds the synthesized default stack (marathon target: no Terraform images)
    const stack = synthDefaultStack({ WQ_TARGET: 'marathon' });
    cpSync(dirname(dirname(stack)), join(project, 'cdktf.out'), { recursive: true });
    cleanup();
  });
  afterAll(() => {
    cleanup();
    for (const image of ['workqueue-broker:e2e', 'workqueue-worker:e2e']) {
      try {
        docker(['rmi', image]);
      } catch {
        // never built
      }
    }
    rmSync(project, { recursive: true, force: true });
  });

  it('builds both images, runs the broker and a worker, which drains what publish put on the queue', async () => {
    // WHEN both images are built with a tag
    const built = await runCli(['build', '-t', 'e2e'], { cwd: project });
    expect(built.code).toBe(0);
    expect(built.stderr).toMatch(/building workqueue-broker:e2e \(1\/2\)[\s\S]*building workqueue-worker:e2e \(2\/2\)/);
    for (const image of ['workqueue-broker:e2e', 'workqueue-worker:e2e'])
      expect(docker(['image', 'inspect', '-f', '{{.Id}}', image])).toMatch(/^sha256:/);

    // ... the broker runs locally, detached
    const brokerRun = await runCli(
      ['run-local', 'broker', '-t', 'e2e', '-d', '--port', String(PORT), '--management-port', String(PORT + 10000)],
      {
        cwd: project,
        env: { BROKER_PASSWORD: PASSWORD, WORKER_PASSWORD },
      },
    );
    expect(brokerRun.code).toBe(0);
    expect(brokerRun.stderr).not.toContain(PASSWORD);
    expect(brokerRun.stderr).not.toContain(WORKER_PASSWORD);
    const url = `amqp://workqueue:${PASSWORD}@127.0.0.1:${PORT}`;
    await waitFor(
      'the local broker',
      () =>
        queueDepth(url, 'queue').then(
          () => true,
          () => false,
        ),
      180_000,
      1000,
    );

    // ... messages are published, and a worker runs against the local broker as the workers' own user
    const published = await runCli(['publish', '-q', 'queue', '-u', url], { cwd: project, input: 'one\ntwo\nthree\n' });
    expect(published.code).toBe(0);
    const workerUrl = `amqp://workqueue-worker:${WORKER_PASSWORD}@127.0.0.1:${PORT}`;
    const workerRun = await runCli(['run-local', 'worker', '-t', 'e2e', '-d', '-u', workerUrl], { cwd: project });
    expect(workerRun.code).toBe(0);
    expect(workerRun.stderr).not.toContain(WORKER_PASSWORD);

    // THEN the queue drains, and status says so
    await waitFor('the queue to drain', async () => (await queueDepth(url, 'queue')) === 0, 120_000, 1000);
    // (UNACKED from the broker's management API, which the RabbitMQ 4 image has: a number, not "-",
    // once the API has the queue's first statistics, which it gathers every few seconds)
    const statusRow = async () => {
      const status = await runCli(
        ['status', '-q', 'queue', '-u', url, '--management', `http://127.0.0.1:${PORT + 10000}`],
        { cwd: project },
      );
      return status.stdout.trim().split('\n')[1].split(/\s+/);
    };
    await waitFor(
      'unacked counts from the management API',
      async () => /^\d+$/.test((await statusRow())[2]),
      60_000,
      1000,
    );
    // ... with the quorum queue's leader and members: the one node
    expect(await statusRow()).toEqual(['queue', '0', '0', '0', '1', 'rabbit@broker', 'rabbit@broker']);
    const logs = spawnSync('docker', ['logs', 'worker'], { encoding: 'utf8' });
    expect(logs.stdout + logs.stderr).toMatch(/consuming 'queue'/);
  });
});
