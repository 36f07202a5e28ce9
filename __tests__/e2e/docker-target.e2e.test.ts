import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanDriver, adminPasswordResource, docker } from './helpers/plan-driver';
import {
  filesWritten,
  health,
  imageSize,
  processed,
  publishWithAmqpTools,
  queueDepth,
  removeLeftovers,
  synthDefaultStack,
} from './helpers/system';
import { waitFor } from '../helpers/wait-for';

const MESSAGES = 2000;
/** Loopback port for the test's own publisher; the broker's own 5672 stays inside the Docker network. */
const BROKER_PORT = 5681;

describe('the default stack on the docker target, applied to a real Docker engine', () => {
  const out = mkdtempSync(join(tmpdir(), 'wq-e2e-out-'));
  chmodSync(out, 0o777); // the worker image runs as user node
  let driver: PlanDriver;
  let stackDir: string;

  beforeAll(() => {
    stackDir = synthDefaultStack({ WQ_TARGET: 'docker', WQ_INSTANCES: '3' });
    driver = new PlanDriver(
      stackDir,
      {
        mounts: [{ name: /^worker-/, source: out, target: '/tmp' }],
        ports: [{ name: /^broker$/, internal: 5672, external: BROKER_PORT }],
      },
      (line) => process.stderr.write(`plan: ${line}\n`),
    );
    // Leftovers of an interrupted run carry the same fixed names.
    removeLeftovers([
      ['rm', '-f', 'broker', 'worker-0', 'worker-1', 'worker-2'],
      ['network', 'rm', 'broker-net'],
      ['volume', 'rm', '-f', 'broker-data'],
    ]);
  });
  afterAll(() => {
    driver?.destroy();
    rmSync(out, { recursive: true, force: true });
  });

  it('processes 2,000 amqp-publish messages in 3 worker containers, loses none if one stops, is healthy', async () => {
    const started = Date.now();
    // GIVEN the whole plan applied in one pass, as terraform apply would: the workers start without
    // waiting for the broker, so they must cope with a broker that is not up yet
    driver.apply();
    await waitFor('the broker to be healthy', () => health('broker') === 'healthy', 180_000, 1000);
    const password = driver.attribute(`random_password.${adminPasswordResource(driver)}.result`);
    const url = `amqp://workqueue:${password}@127.0.0.1:${BROKER_PORT}`;
    await waitFor(
      'the 3 workers to be healthy (consuming)',
      () => ['worker-0', 'worker-1', 'worker-2'].every((w) => health(w) === 'healthy'),
      180_000,
      1000,
    );

    // WHEN 2,000 messages are published
    const launched = Date.now();
    const publishing = publishWithAmqpTools(url, 'queue', MESSAGES);
    await waitFor('the first message processed', () => filesWritten(out) > 0, 120_000, 50);
    const firstAfter = (Date.now() - launched) / 1000;
    const flowing = Date.now();
    const firstCount = filesWritten(out);
    await publishing;
    // ... and one of them is stopped mid-run
    await waitFor('600 messages processed', () => filesWritten(out) >= 600, 300_000, 1000);
    const stopStarted = Date.now();
    docker(['stop', 'worker-1']);
    const stopSeconds = (Date.now() - stopStarted) / 1000;

    // THEN every message is processed, none is left in the queue
    await waitFor(`${MESSAGES} messages processed`, () => filesWritten(out) >= MESSAGES, 600_000, 1000);
    const rate = (filesWritten(out) - firstCount) / ((Date.now() - flowing) / 1000);
    await waitFor(`${MESSAGES} distinct bodies`, () => processed(out).distinct >= MESSAGES, 120_000, 2000);
    await waitFor('the queue to be empty', async () => (await queueDepth(url, 'queue')) === 0, 60_000, 1000);
    const { files, distinct } = processed(out);
    expect(distinct).toBe(MESSAGES);
    expect(await queueDepth(url, 'queue.dlq')).toBe(0);
    // the stopped worker drained and exited cleanly
    expect(docker(['inspect', '-f', '{{.State.ExitCode}}', 'worker-1'])).toBe('0');
    // and the health checks of the plan report healthy
    await waitFor(
      'the running workers to be healthy',
      () => ['worker-0', 'worker-2'].every((w) => health(w) === 'healthy'),
      120_000,
      1000,
    );
    expect(health('broker')).toBe('healthy');

    const overBase = imageSize('workqueue-worker:latest') - imageSize('node:24-bookworm-slim');
    process.stderr.write(
      [
        `e2e docker: ${MESSAGES} messages, ${files - distinct} duplicate(s)`,
        `  publishing began → first message processed: ${firstAfter.toFixed(1)} s`,
        `  throughput through 3 containers (2 after the stop): ${rate.toFixed(0)} msg/s`,
        `  docker stop of a busy worker: ${stopSeconds.toFixed(1)} s`,
        `  worker image over its base: ${overBase} bytes`,
        `  wall time of this test: ${((Date.now() - started) / 1000).toFixed(0)} s`,
        '',
      ].join('\n'),
    );
  });

  it('ships only the bundled runtime and autoscaler in the worker image: no node_modules, no cdktf', () => {
    const found = docker([
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      'workqueue-worker:latest',
      '-c',
      "find / -xdev \\( -name node_modules -o -name '*cdktf*' \\) -print 2>/dev/null; ls /usr/local/lib/workqueue",
    ]);
    expect(found.split('\n')).toEqual(['workqueue-autoscaler.js', 'workqueue-worker.js', 'wq-spawn']);
  });
});
