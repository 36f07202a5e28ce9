import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { Broker } from '../constructs';
import { BROKER_DELIVERY_LIMIT } from '../worker/consumer/delivery-limit';
import { PrivateBroker, answers } from './helpers/private-broker';
import { resources, synthesize } from './helpers/synth';
import { runWorker } from './helpers/worker-process';

/** Port of this test's own RabbitMQ node. */
const PORT = 5697;
/** Its management listener: the worker user must not get in there. */
const MANAGEMENT = PORT + 100;
const PASSWORD = 'boot-test-password-7f3a';
/** Non-ASCII, hashed by an entrypoint running under LANG=C. */
const WORKER_PASSWORD = 'wörker-pässwort-€-9d2b';
const WORKER = 'workqueue-worker';
/** Clients send the password as UTF-8 (amqplib's PLAIN response is Buffer.from(text)). */
const asWorker = { credentials: amqp.credentials.plain(WORKER, WORKER_PASSWORD) };
const bare = `amqp://127.0.0.1:${PORT}`;

/**
 * The broker image's files, as synthesized, run by a real RabbitMQ node outside Docker:
 * the entrypoint writes the definitions with the user from the environment, and the node
 * imports them at boot with the synthesized rabbitmq.conf.
 */
describe('the synthesized broker configuration on a real RabbitMQ node', () => {
  const work = mkdtempSync(join(tmpdir(), 'wq-boot-'));
  let node: PrivateBroker;
  let entrypointEnv = '';
  const url = `amqp://workqueue:${PASSWORD}@127.0.0.1:${PORT}`;

  beforeAll(async () => {
    // GIVEN a broker with one queue allowing 2 attempts, synthesized
    const { json, dir } = synthesize(
      (stack) =>
        new Broker(stack, 'broker', {
          queues: [{ name: 'jobs', maxAttempts: 2 }],
          queueType: 'quorum',
          consumerTimeoutSeconds: 600,
        }),
    );
    const image = Object.values(resources(json, 'docker_image'))[0];
    const context = join(dir, (image.build as { context: string }).context);
    const definitionsFile = join(work, 'definitions.json');
    // WHEN its entrypoint runs under LANG=C with both users in the environment, then the node boots with its conf
    entrypointEnv = execFileSync(join(context, 'workqueue-broker-entrypoint'), ['env'], {
      env: {
        ...process.env,
        LANG: 'C',
        LC_ALL: 'C',
        WQ_BROKER_USER: 'workqueue',
        WQ_BROKER_PASSWORD: PASSWORD,
        WQ_WORKER_USER: WORKER,
        WQ_WORKER_PASSWORD: WORKER_PASSWORD,
        WQ_DEFINITIONS_FILE: definitionsFile,
        WQ_STATIC_DEFINITIONS: join(context, 'definitions.json'),
      },
      encoding: 'utf8',
    });
    const conf = readFileSync(join(context, 'rabbitmq.conf'), 'utf8')
      .replace(/^definitions\.local\.path = .*$/m, `definitions.local.path = ${definitionsFile}`)
      .replace(/^loopback_users\.guest = true$/m, '');
    node = new PrivateBroker(
      PORT,
      join(work, 'node'),
      `${conf}management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = ${MANAGEMENT}\n`,
    );
    // The helper's enabled_plugins file is empty; this variable takes precedence over it.
    process.env.RABBITMQ_ENABLED_PLUGINS = 'rabbitmq_management';
    try {
      await node.start(120_000, url);
    } finally {
      delete process.env.RABBITMQ_ENABLED_PLUGINS;
    }
    // AND a queue of the operators', which the broker does not declare for workers
    const admin = await amqp.connect(url);
    const adminChannel = await admin.createConfirmChannel();
    await adminChannel.assertQueue('ops-only', { durable: true });
    adminChannel.sendToQueue('ops-only', Buffer.from('for operators only'));
    await adminChannel.waitForConfirms();
    await admin.close();
  });
  afterAll(async () => {
    await node?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('stores the passwords only as hashes, and removes them from the environment before the server starts', () => {
    const users = readFileSync(join(work, 'definitions.json'), 'utf8');
    expect(users).toContain('password_hash');
    expect(users).not.toContain(PASSWORD);
    expect(users).not.toContain('@WQ_');
    expect(entrypointEnv).toMatch(/^WQ_WORKER_USER=workqueue-worker$/m);
    expect(entrypointEnv).not.toMatch(/PASSWORD=/);
  });

  it('lets the worker user in with its non-ASCII password, hashed under LANG=C', async () => {
    const connection = await amqp.connect(bare, asWorker);
    await connection.close();
  });

  it('lets the worker user consume and publish its queue and its .dlq', async () => {
    const connection = await amqp.connect(bare, asWorker);
    try {
      const channel = await connection.createConfirmChannel();
      for (const queue of ['jobs', 'jobs.dlq']) {
        channel.sendToQueue(queue, Buffer.from(`to ${queue}`), { persistent: true });
        await channel.waitForConfirms();
        const got = await channel.get(queue, { noAck: true });
        expect(got && got.content.toString()).toBe(`to ${queue}`);
      }
      // the runtime re-declares a queue that went missing
      await expect(
        channel.assertQueue('jobs', { durable: true, arguments: { 'x-queue-type': 'quorum' } }),
      ).resolves.toMatchObject({ queue: 'jobs' });
    } finally {
      await connection.close();
    }
  });

  it.each<[string, (ch: amqp.Channel) => Promise<unknown>]>([
    ['consume another queue', (ch) => ch.consume('ops-only', () => undefined)],
    ['get from another queue', (ch) => ch.get('ops-only')],
    ['purge another queue', (ch) => ch.purgeQueue('ops-only')],
    ['delete another queue', (ch) => ch.deleteQueue('ops-only')],
    ['declare a queue of its own choosing', (ch) => ch.assertQueue('worker-made', { durable: true })],
    ['declare an exchange', (ch) => ch.assertExchange('worker-exchange', 'fanout')],
  ])('refuses the worker user to %s', async (_what, act) => {
    const connection = await amqp.connect(bare, asWorker);
    try {
      const channel = await connection.createChannel();
      // The broker refuses by closing the channel; its reason arrives as the channel's error.
      const closed = new Promise<string>((resolve) => channel.on('error', (err: Error) => resolve(err.message)));
      expect(
        await act(channel).then(
          () => 'done',
          () => 'refused',
        ),
      ).toBe('refused');
      expect(await closed).toMatch(/ACCESS_REFUSED/);
    } finally {
      await connection.close();
    }
  });

  it('still lets the worker user publish to any queue via the default exchange (RabbitMQ limit, README)', async () => {
    // RabbitMQ checks default-exchange publishing as write on 'amq.default', whatever the routing key
    const connection = await amqp.connect(bare, asWorker);
    const admin = await amqp.connect(url);
    try {
      const channel = await connection.createConfirmChannel();
      channel.sendToQueue('ops-only', Buffer.from('from a worker'));
      await channel.waitForConfirms();
      const adminChannel = await admin.createChannel();
      // the operators' message from the setup, and the worker's
      expect(await adminChannel.purgeQueue('ops-only')).toEqual({ messageCount: 2 });
    } finally {
      await connection.close();
      await admin.close();
    }
  });

  it('lets the administrator into the management API, and not the worker user', async () => {
    const whoami = (user: string, password: string) =>
      fetch(`http://127.0.0.1:${MANAGEMENT}/api/whoami`, {
        headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      }).then((r) => r.status);
    expect(await whoami('workqueue', PASSWORD)).toBe(200);
    expect(await whoami(WORKER, WORKER_PASSWORD)).toBe(401);
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
      await expect(
        channel.assertQueue('jobs', { durable: true, arguments: { 'x-queue-type': 'quorum' } }),
      ).resolves.toMatchObject({ queue: 'jobs' });
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
      for (let i = 0; i <= BROKER_DELIVERY_LIMIT; i++) {
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
