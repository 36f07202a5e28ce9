import { randomBytes } from 'node:crypto';
import * as amqp from 'amqplib';
import { queuePolicy, type QueueType } from '../../constructs/broker-config';
import { deadLetterQueueName } from '../../worker/consumer/queue-names';

/** The broker found by the global setup. */
export function brokerUrl(): string {
  const url = process.env.WQ_TEST_AMQP_URL;
  if (!url) throw new Error('WQ_TEST_AMQP_URL is unset: run the tests with jest (its global setup finds a broker)');
  return url;
}

/** A queue name no other test uses. */
export function uniqueQueue(prefix: string): string {
  return `wq-test-${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * The queue type declare() uses in this jest run: 'quorum' in the jest projects named so (their
 * globals set WQ_TEST_QUEUE_TYPE, jest.config.js), else 'classic'.
 */
export function testQueueType(): QueueType {
  const type = (globalThis as { WQ_TEST_QUEUE_TYPE?: unknown }).WQ_TEST_QUEUE_TYPE ?? 'classic';
  if (type !== 'classic' && type !== 'quorum')
    throw new Error(`WQ_TEST_QUEUE_TYPE is '${String(type)}': classic or quorum`);
  return type;
}

/**
 * RabbitMQ's management API of the broker at `url`: $WQ_TEST_MANAGEMENT_URL for the test broker,
 * else the same host on 15672 with the same credentials.
 */
export function managementUrl(url = brokerUrl()): string {
  const env = process.env.WQ_TEST_MANAGEMENT_URL;
  if (env && url === brokerUrl()) return env;
  const amqpUrl = new URL(url);
  const user = decodeURIComponent(amqpUrl.username || 'guest');
  const password = decodeURIComponent(amqpUrl.password || 'guest');
  return `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${amqpUrl.hostname}:15672`;
}

export interface Received {
  readonly body: Buffer;
  readonly properties: amqp.MessageProperties;
}

/** A connection and channel for a test's producer and inspection steps, cleaned up by close(). */
export class TestBroker {
  private readonly policies = new Set<string>();

  private constructor(
    private readonly connection: amqp.ChannelModel,
    readonly channel: amqp.ConfirmChannel,
    private readonly queues: Set<string>,
    /** The broker's management API, for policies (managementUrl()). */
    private readonly management: string,
  ) {}

  static async open(url = brokerUrl(), management = managementUrl(url)): Promise<TestBroker> {
    const connection = await amqp.connect(url);
    connection.on('error', () => undefined); // a test that breaks the link checks the outcome itself
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    return new TestBroker(connection, channel, new Set(), management);
  }

  /**
   * Declares `queue` durable (and remembers it and its .dlq for deletion). Of `type` (this run's
   * testQueueType() unless `args` name one): a quorum queue is declared as the Broker construct does,
   * with its .dlq and the construct's policy (queuePolicy), set first so the queue starts with it.
   * With `keep`, neither queue nor policy is removed by close() (a node that restarts keeps them).
   */
  async declare(queue: string, args?: amqp.Options.AssertQueue, type = testQueueType(), keep = false): Promise<void> {
    if (!keep) this.track(queue);
    if (type === 'quorum' && args?.arguments?.['x-queue-type'] === undefined) {
      await this.setPolicy(queue, 'quorum', keep);
      const quorum = { durable: true, ...args, arguments: { ...args?.arguments, 'x-queue-type': 'quorum' } };
      await this.channel.assertQueue(deadLetterQueueName(queue), {
        durable: true,
        arguments: { 'x-queue-type': 'quorum' },
      });
      await this.channel.assertQueue(queue, quorum);
      return;
    }
    await this.channel.assertQueue(queue, { durable: true, ...args });
  }

  /** Applies the Broker construct's policy for `queue` through the management API (removed by close()). */
  async setPolicy(queue: string, type: QueueType, keep = false): Promise<void> {
    const { vhost, name, ...policy } = queuePolicy(queue, type);
    await this.managementApi('PUT', `/api/policies/${encodeURIComponent(vhost)}/${encodeURIComponent(name)}`, policy);
    if (!keep) this.policies.add(name);
  }

  /**
   * Messages of `queue` delivered to a consumer and not yet acked, as the management API counts them
   * (its statistics lag by up to 5 s: poll it).
   */
  async unacked(queue: string): Promise<number> {
    const info = (await this.managementApi('GET', `/api/queues/%2F/${encodeURIComponent(queue)}`)) as {
      messages_unacknowledged?: number;
    };
    return info.messages_unacknowledged ?? 0;
  }

  /** A request to the management API; fails with what to do when the plugin does not answer. */
  private async managementApi(method: string, path: string, body?: unknown): Promise<unknown> {
    const base = new URL(this.management);
    const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString(
      'base64',
    );
    const target = `${base.protocol}//${base.host}${path}`;
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new Error(
        `RabbitMQ's management API does not answer at ${base.protocol}//${base.host} ` +
          `(${(err as Error).cause ?? err}); ` +
          'quorum-queue tests set policies through it: rabbitmq-plugins enable rabbitmq_management (.ci/run does), ' +
          'or set WQ_TEST_MANAGEMENT_URL',
        { cause: err },
      );
    }
    const text = await response.text();
    if (!response.ok && !(method === 'DELETE' && response.status === 404)) {
      throw new Error(`management API ${method} ${path}: ${response.status} ${text}`);
    }
    return method === 'GET' ? JSON.parse(text) : undefined;
  }

  track(...queues: string[]): void {
    for (const q of queues) this.queues.add(q).add(`${q}.dlq`);
  }

  /** Publishes persistent messages through the default exchange and waits for confirms. */
  async publish(queue: string, bodies: (Buffer | string)[], properties: amqp.Options.Publish = {}): Promise<void> {
    for (const body of bodies) {
      this.channel.sendToQueue(queue, Buffer.isBuffer(body) ? body : Buffer.from(body), {
        persistent: true,
        ...properties,
      });
    }
    await this.channel.waitForConfirms();
  }

  /** Publishes one persistent message per id (as its message id), confirmed in batches of 1000. */
  async publishIds(
    queue: string,
    ids: readonly string[],
    body: (id: string) => Buffer | string = (id) => id,
  ): Promise<void> {
    for (let i = 0; i < ids.length; i++) {
      const b = body(ids[i]);
      this.channel.sendToQueue(queue, Buffer.isBuffer(b) ? b : Buffer.from(b), { persistent: true, messageId: ids[i] });
      if (i % 1000 === 999) await this.channel.waitForConfirms();
    }
    await this.channel.waitForConfirms();
  }

  /** Ready messages in `queue`; fails when it does not exist, so a wrong name cannot pass as empty. */
  async count(queue: string): Promise<number> {
    const probe = await this.connection.createChannel();
    probe.on('error', () => undefined);
    try {
      return (await probe.checkQueue(queue)).messageCount;
    } catch (err) {
      throw new Error(`cannot count queue '${queue}': ${(err as Error).message}`, { cause: err });
    } finally {
      await probe.close().catch(() => undefined);
    }
  }

  /** Takes every ready message out of `queue`. */
  async drain(queue: string): Promise<Received[]> {
    const out: Received[] = [];
    for (;;) {
      const m = await this.channel.get(queue, { noAck: true });
      if (!m) return out;
      out.push({ body: m.content, properties: m.properties });
    }
  }

  /** Polls until `queue` holds `n` ready messages. */
  async waitForCount(queue: string, n: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = -1;
    while (Date.now() < deadline) {
      last = await this.count(queue);
      if (last === n) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`queue ${queue} holds ${last} messages, expected ${n}`);
  }

  /** Deletes a queue now, as an operator (or a queue's `expires`) might while workers run. */
  async delete(queue: string): Promise<void> {
    await this.channel.deleteQueue(queue);
  }

  async close(): Promise<void> {
    for (const q of this.queues) await this.channel.deleteQueue(q).catch(() => undefined);
    for (const p of this.policies)
      await this.managementApi('DELETE', `/api/policies/%2F/${encodeURIComponent(p)}`).catch(() => undefined);
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}
