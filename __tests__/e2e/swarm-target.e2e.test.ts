import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanDriver, adminPasswordResource, docker } from './helpers/plan-driver';
import {
  filesWritten,
  processed,
  publishWithAmqpTools,
  queueDepth,
  removeLeftovers,
  synthDefaultStack,
} from './helpers/system';
import { joinSwarm, leaveSwarm, runningTasks, serviceHealth } from './helpers/swarm';
import { waitFor } from '../helpers/wait-for';

const MESSAGES = 2000;
/** Loopback port for the test's own publisher (published in host mode on this single node). */
const BROKER_PORT = 5682;

describe('the default stack on the swarm target, applied to a real single-node Swarm', () => {
  const out = mkdtempSync(join(tmpdir(), 'wq-e2e-swarm-'));
  chmodSync(out, 0o777);
  let driver: PlanDriver;
  let joinedSwarm = false;

  beforeAll(() => {
    const stackDir = synthDefaultStack({ WQ_TARGET: 'swarm', WQ_INSTANCES: '3' });
    joinedSwarm = joinSwarm();
    removeLeftovers([
      ['service', 'rm', 'broker', 'worker'],
      ['network', 'rm', 'broker-net'],
      ['volume', 'rm', '-f', 'broker-data'],
    ]);
    driver = new PlanDriver(
      stackDir,
      {
        mounts: [{ name: /^worker$/, source: out, target: '/tmp' }],
        ports: [{ name: /^broker$/, internal: 5672, external: BROKER_PORT }],
      },
      (line) => process.stderr.write(`plan: ${line}\n`),
    );
  });
  afterAll(() => {
    driver?.destroy();
    if (joinedSwarm) leaveSwarm();
    rmSync(out, { recursive: true, force: true });
  });

  it('runs 3 replicas, scales to 5 and rolls the worker image while messages flow, losing nothing', async () => {
    const started = Date.now();
    // GIVEN the whole plan applied in one pass (the workers start without waiting for the broker)
    driver.apply();
    await waitFor('the broker service to be healthy', () => serviceHealth('broker') === 'healthy', 240_000, 1000);
    const password = driver.attribute(`random_password.${adminPasswordResource(driver)}.result`);
    const url = `amqp://workqueue:${password}@127.0.0.1:${BROKER_PORT}`;
    await waitFor(
      'the broker port',
      async () =>
        queueDepth(url, 'queue').then(
          () => true,
          () => false,
        ),
      60_000,
      1000,
    );
    await waitFor('3 running worker tasks', () => runningTasks('worker').length === 3, 120_000, 1000);

    // WHEN 2,000 messages are published
    await publishWithAmqpTools(url, 'queue', MESSAGES);
    await waitFor('400 messages processed', () => filesWritten(out) >= 400, 300_000, 1000);
    // ... the plan is synthesized again with 5 instances and applied while messages flow
    driver.update(synthDefaultStack({ WQ_TARGET: 'swarm', WQ_INSTANCES: '5' }));
    await waitFor('5 running worker tasks', () => runningTasks('worker').length === 5, 120_000, 1000);
    await waitFor('900 messages processed', () => filesWritten(out) >= 900, 300_000, 1000);
    // ... and again with a new image tag: both images are built and both services roll (the
    // plan's update policies: workers start-first one at a time, the broker stop-first)
    driver.update(synthDefaultStack({ WQ_TARGET: 'swarm', WQ_INSTANCES: '5', WQ_TAG: 'v2' }));
    for (const service of ['worker', 'broker']) {
      await waitFor(
        `the rolling update of ${service} to complete`,
        () =>
          docker(['service', 'inspect', '-f', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}', service]) ===
          'completed',
        600_000,
        2000,
      );
    }
    expect(runningTasks('worker')).toHaveLength(5);
    expect(runningTasks('worker').every((t) => t.endsWith('workqueue-worker:v2'))).toBe(true);

    // THEN all 2,000 were processed and none is left or dead-lettered
    await waitFor(
      `${MESSAGES} distinct bodies`,
      () => filesWritten(out) >= MESSAGES && processed(out).distinct >= MESSAGES,
      600_000,
      2000,
    );
    await waitFor('the queue to be empty', async () => (await queueDepth(url, 'queue')) === 0, 60_000, 1000);
    expect(await queueDepth(url, 'queue.dlq')).toBe(0);
    const { files, distinct } = processed(out);
    expect(distinct).toBe(MESSAGES);
    process.stderr.write(
      `e2e swarm: ${MESSAGES} messages, ${files - distinct} duplicate(s), ` +
        `wall time ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );
  });
});
