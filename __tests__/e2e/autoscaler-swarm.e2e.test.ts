import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { Broker, WorkQueueWorker } from '../../constructs';
import { PlanDriver, adminPasswordResource, docker } from './helpers/plan-driver';
import { filesWritten, processed, publishAtOnce, queueDepth, removeLeftovers } from './helpers/system';
import { joinSwarm, leaveSwarm, runningTasks, serviceHealth } from './helpers/swarm';
import { waitFor } from '../helpers/wait-for';

const MESSAGES = 500;
/** The fleet's autoscale prop: short interval and cooldown, so the test sees a whole cycle in minutes. */
const AUTOSCALE = { min: 0, max: 4, messagesPerInstance: 50, pollingSeconds: 5, cooldownSeconds: 30 };
/** Loopback port for the test's own publisher (published in host mode on this single node). */
const BROKER_PORT = 5683;

/** A broker and an autoscaled fleet on the swarm target, synthesized in this process; returns the stack dir. */
function synthAutoscaledStack(): string {
  const outdir = mkdtempSync(join(tmpdir(), 'wq-e2e-autoscale-'));
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'autoscaled');
  const broker = new Broker(stack, 'broker', { name: 'broker', queues: ['queue'], target: 'swarm' });
  new WorkQueueWorker(stack, 'workers', { queue: 'queue', broker, name: 'worker', autoscale: AUTOSCALE });
  app.synth();
  return join(outdir, 'stacks', 'autoscaled');
}

/** The replicas the worker service is set to: what the autoscaler decided last. */
const replicasSet = () => Number(docker(['service', 'inspect', '-f', '{{.Spec.Mode.Replicated.Replicas}}', 'worker']));

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe('autoscale on a real single-node Swarm: workqueue-autoscaler scales the fleet on the queue', () => {
  const out = mkdtempSync(join(tmpdir(), 'wq-e2e-autoscale-out-'));
  chmodSync(out, 0o777);
  let driver: PlanDriver;
  let joinedSwarm = false;

  beforeAll(() => {
    const stackDir = synthAutoscaledStack();
    joinedSwarm = joinSwarm();
    removeLeftovers([
      ['service', 'rm', 'broker', 'worker', 'worker-autoscaler'],
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
    if (driver) {
      try {
        // The service's log is the tasks' stderr, which the CLI prints on its own stderr.
        const log = spawnSync('docker', ['service', 'logs', '--raw', 'worker-autoscaler'], { encoding: 'utf8' });
        process.stderr.write(`autoscaler log:\n${log.stdout}${log.stderr}\n`);
      } catch {
        // no autoscaler service to read: the apply failed before it, and said why
      }
      driver.destroy();
    }
    if (joinedSwarm) leaveSwarm();
    rmSync(out, { recursive: true, force: true });
  });

  it('idles at 0, goes up to 4 for 500 messages, drains them, and is back at 0 after the cooldown', async () => {
    const interval = AUTOSCALE.pollingSeconds * 1000;
    // GIVEN the plan applied: the broker, the fleet at min 0, and its autoscaler on the manager
    driver.apply();
    await waitFor('the broker service to be healthy', () => serviceHealth('broker') === 'healthy', 240_000, 1000);
    const password = driver.attribute(`random_password.${adminPasswordResource(driver)}.result`);
    const url = `amqp://workqueue:${password}@127.0.0.1:${BROKER_PORT}`;
    await waitFor(
      'the broker port',
      () =>
        queueDepth(url, 'queue').then(
          () => true,
          () => false,
        ),
      60_000,
      1000,
    );
    await waitFor(
      'the autoscaler to be healthy',
      () => serviceHealth('worker-autoscaler') === 'healthy',
      120_000,
      1000,
    );
    // ... idle: two more intervals with an empty queue leave the fleet at 0
    await new Promise((r) => setTimeout(r, 2 * interval));
    expect(replicasSet()).toBe(0);
    expect(runningTasks('worker')).toHaveLength(0);

    // WHEN 500 messages are published at once
    await publishAtOnce(url, 'queue', MESSAGES);
    const published = Date.now();
    // THEN the fleet is set to 4 (ceil(500 / 50) = 10, clamped to max) within two intervals
    await waitFor('the fleet set to 4', () => replicasSet() === 4, 4 * interval, 250);
    const setTo4 = Date.now();
    const scaledUp = setTo4 - published;
    expect(scaledUp).toBeLessThanOrEqual(2 * interval);
    await waitFor('4 running worker tasks', () => runningTasks('worker').length === 4, 180_000, 1000);
    const running4 = Date.now() - published;
    // ... and drains the queue; never above max on the way
    let highest = 4;
    await waitFor(
      `${MESSAGES} messages processed`,
      () => {
        highest = Math.max(highest, replicasSet());
        return filesWritten(out) >= MESSAGES && processed(out).distinct >= MESSAGES;
      },
      600_000,
      1000,
    );
    const drained = Date.now();
    expect(await queueDepth(url, 'queue')).toBe(0);
    expect(highest).toBe(4);
    // ... and back at 0 after the cooldown, not before. The autoscaler counts ready messages (a passive declare,
    // as KEDA's AMQP mode does): its quiet time starts after the reading that set 4, at the earliest.
    await waitFor(
      'the fleet set back to 0',
      () => replicasSet() === 0,
      AUTOSCALE.cooldownSeconds * 1000 + 6 * interval,
      250,
    );
    const setTo0 = Date.now();
    // (Both moments are seen through 250 ms polls after Docker calls of their own: 2 s of slack, far below the
    // one interval an early scale-down would show.)
    expect(setTo0 - setTo4).toBeGreaterThanOrEqual(AUTOSCALE.cooldownSeconds * 1000 - 2000);
    await waitFor('no running worker task', () => runningTasks('worker').length === 0, 120_000, 1000);

    // AND nothing was lost or dead-lettered
    expect(await queueDepth(url, 'queue.dlq')).toBe(0);
    const { files, distinct } = processed(out);
    expect(distinct).toBe(MESSAGES);
    process.stderr.write(
      `e2e autoscale: interval ${AUTOSCALE.pollingSeconds} s, cooldown ${AUTOSCALE.cooldownSeconds} s; ` +
        `set to 4 ${seconds(scaledUp)} after the publish ended, 4 tasks running after ${seconds(running4)}; ` +
        `${MESSAGES} processed, ${files - distinct} duplicate(s), 0 dead-lettered; ` +
        `all processed ${seconds(drained - published)} after the publish ended; ` +
        `set back to 0 ${seconds(setTo0 - setTo4)} after it was set to 4, ${seconds(setTo0 - drained)} after the ` +
        'last message was done\n',
    );
  });
});
