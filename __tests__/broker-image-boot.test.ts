import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { Broker } from '../constructs';
import { PrivateBroker, answers } from './helpers/private-broker';
import { resources, synthesize } from './helpers/synth';
import { runWorker } from './helpers/worker-process';

/** Port of this test's own RabbitMQ node. */
const PORT = 5697;
const PASSWORD = 'boot-test-password-7f3a';

/**
 * The broker image's files, as synthesized, run by a real RabbitMQ node outside Docker:
 * the entrypoint writes the definitions with the user from the environment, and the node
 * imports them at boot with the synthesized rabbitmq.conf.
 */
describe('the synthesized broker configuration on a real RabbitMQ node', () => {
  const work = mkdtempSync(join(tmpdir(), 'wq-boot-'));
  let node: PrivateBroker;
  const url = `amqp://workqueue:${PASSWORD}@127.0.0.1:${PORT}`;

  beforeAll(async () => {
    // GIVEN a broker with one queue allowing 2 attempts, synthesized
    const { json, dir } = synthesize((stack) => new Broker(stack, 'broker', { queues: [{ name: 'jobs', maxAttempts: 2 }], queueType: 'quorum', consumerTimeoutSeconds: 600 }));
    const image = Object.values(resources(json, 'docker_image'))[0];
    const context = join(dir, (image.build as { context: string }).context);
    const definitionsFile = join(work, 'definitions.json');
    // WHEN its entrypoint runs with the credentials in the environment, then the node boots with its conf
    execFileSync(join(context, 'workqueue-broker-entrypoint'), ['true'], {
      env: { ...process.env, WQ_BROKER_USER: 'workqueue', WQ_BROKER_PASSWORD: PASSWORD, WQ_DEFINITIONS_FILE: definitionsFile, WQ_STATIC_DEFINITIONS: join(context, 'definitions.json') },
    });
    const conf = readFileSync(join(context, 'rabbitmq.conf'), 'utf8')
      .replace(/^definitions\.local\.path = .*$/m, `definitions.local.path = ${definitionsFile}`)
      .replace(/^loopback_users\.guest = true$/m, '');
    node = new PrivateBroker(PORT, join(work, 'node'), conf);
    await node.start(90_000, url);
  });
  afterAll(async () => {
    await node?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('stores the password only as a hash', () => {
    const users = readFileSync(join(work, 'definitions.json'), 'utf8');
    expect(users).toContain('password_hash');
    expect(users).not.toContain(PASSWORD);
  });

  it('lets the generated user in, and creates no default guest user', async () => {
    expect(await answers(url)).toBe(true);
    expect(await answers(`amqp://guest:guest@127.0.0.1:${PORT}`)).toBe(false);
  });

  it('declares the queue as a durable quorum queue with its dead-letter queue', async () => {
    const connection = await amqp.connect(url);
    try {
      const channel = await connection.createChannel();
      await expect(channel.checkQueue('jobs.dlq')).resolves.toMatchObject({ queue: 'jobs.dlq' });
      await expect(channel.assertQueue('jobs', { durable: true, arguments: { 'x-queue-type': 'quorum' } })).resolves.toMatchObject({ queue: 'jobs' });
    } finally {
      await connection.close();
    }
  });

  it('dead-letters a message that keeps coming back past the delivery limit (the policy at work)', async () => {
    // GIVEN a message that a consumer returns to the queue again and again (as when a worker dies mid-message)
    const connection = await amqp.connect(url);
    try {
      const channel = await connection.createConfirmChannel();
      channel.sendToQueue('jobs', Buffer.from('crashes its worker'), { persistent: true });
      await channel.waitForConfirms();
      for (let i = 0; i < 5; i++) {
        const m = await channel.get('jobs');
        if (!m) break;
        channel.nack(m, false, true);
      }
      // THEN the broker moved it to jobs.dlq
      const deadline = Date.now() + 10_000;
      let dead: amqp.GetMessage | false = false;
      while (!dead && Date.now() < deadline) dead = await channel.get('jobs.dlq', { noAck: true });
      expect(dead && dead.content.toString()).toBe('crashes its worker');
    } finally {
      await connection.close();
    }
  });

  it('serves workqueue-worker with the same attempt limit for failing programs', async () => {
    const connection = await amqp.connect(url);
    try {
      const channel = await connection.createConfirmChannel();
      channel.sendToQueue('jobs', Buffer.from('always fails'), { persistent: true });
      await channel.waitForConfirms();
      const exit = await runWorker(['-u', url, '-q', 'jobs', '-c', '2', '--max-attempts', '2', '--', 'false']);
      expect(exit.code).toBe(0);
      expect(exit.stderr).not.toMatch(/PRECONDITION_FAILED/);
      const dead = await channel.get('jobs.dlq', { noAck: true });
      expect(dead && dead.properties.headers).toMatchObject({ 'x-wq-attempts': 2 });
    } finally {
      await connection.close();
    }
  });
});
