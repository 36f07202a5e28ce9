import { randomBytes } from 'node:crypto';
import * as amqp from 'amqplib';

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

export interface Received {
  readonly body: Buffer;
  readonly properties: amqp.MessageProperties;
}

/** A connection and channel for a test's producer and inspection steps, cleaned up by close(). */
export class TestBroker {
  private constructor(
    private readonly connection: amqp.ChannelModel,
    readonly channel: amqp.ConfirmChannel,
    private readonly queues: Set<string>,
  ) {}

  static async open(url = brokerUrl()): Promise<TestBroker> {
    const connection = await amqp.connect(url);
    connection.on('error', () => undefined); // a test that breaks the link checks the outcome itself
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    return new TestBroker(connection, channel, new Set());
  }

  /** Declares `queue` durable (and remembers it and its .dlq for deletion). */
  async declare(queue: string, args?: amqp.Options.AssertQueue): Promise<void> {
    this.track(queue);
    await this.channel.assertQueue(queue, { durable: true, ...args });
  }

  track(...queues: string[]): void {
    for (const q of queues) this.queues.add(q).add(`${q}.dlq`);
  }

  /** Publishes persistent messages through the default exchange and waits for confirms. */
  async publish(queue: string, bodies: (Buffer | string)[], properties: amqp.Options.Publish = {}): Promise<void> {
    for (const body of bodies) {
      this.channel.sendToQueue(queue, Buffer.isBuffer(body) ? body : Buffer.from(body), { persistent: true, ...properties });
    }
    await this.channel.waitForConfirms();
  }

  /** Publishes one persistent message per id (as its message id), confirmed in batches of 1000. */
  async publishIds(queue: string, ids: readonly string[], body: (id: string) => Buffer | string = (id) => id): Promise<void> {
    for (let i = 0; i < ids.length; i++) {
      const b = body(ids[i]);
      this.channel.sendToQueue(queue, Buffer.isBuffer(b) ? b : Buffer.from(b), { persistent: true, messageId: ids[i] });
      if (i % 1000 === 999) await this.channel.waitForConfirms();
    }
    await this.channel.waitForConfirms();
  }

  /** Ready messages in `queue` (0 when it does not exist). */
  async count(queue: string): Promise<number> {
    const probe = await this.connection.createChannel();
    probe.on('error', () => undefined);
    try {
      return (await probe.checkQueue(queue)).messageCount;
    } catch {
      return 0;
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

  async close(): Promise<void> {
    for (const q of this.queues) await this.channel.deleteQueue(q).catch(() => undefined);
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}
