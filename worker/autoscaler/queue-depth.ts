import type { ChannelModel } from 'amqplib';
import { connectWithRetry } from '../broker/connect';
import { managedQueue, type ManagementApi } from '../broker/management-api';
import { brokerCandidates } from '../broker/url';
import { FatalError } from '../command-line/errors';
import type { Logger } from '../observability/logger';
import { printable } from '../observability/printable';

/** A queue's depth and where it came from, for the decision's log line. */
export interface Depth {
  readonly depth: number;
  readonly source: string;
}

/** How long one reading may try to reach a broker: the next evaluation tries again. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Reads a queue's depth: ready + unacked from RabbitMQ's management API when one is given and
 * answers (the messages the fleet still has to finish), else the ready messages of a passive
 * declare over AMQP (what KEDA's AMQP mode counts too). The AMQP connection stays open between
 * readings and is opened again after it is lost.
 */
export class QueueDepth {
  private connection?: Promise<ChannelModel>;

  constructor(
    private readonly urls: readonly string[],
    /** --broker names: where the nodes are, found again before each connection. */
    private readonly brokers: readonly string[],
    private readonly queue: string,
    private readonly management: ManagementApi | undefined,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {}

  async read(): Promise<Depth> {
    let fallback = '';
    if (this.management) {
      const body = await managedQueue(this.management, this.urls[0], this.queue);
      const [ready, unacked] = [body?.messages_ready, body?.messages_unacknowledged];
      if (typeof ready === 'number' && typeof unacked === 'number') {
        return { depth: ready + unacked, source: `management API: ${ready} ready + ${unacked} unacked` };
      }
      // A queue declared a moment ago has no statistics yet: AMQP still counts its messages.
      fallback = ', the management API did not answer with counts';
    }
    const ready = await this.passiveDeclare();
    return { depth: ready, source: `passive declare: ${ready} ready${fallback}` };
  }

  async close(): Promise<void> {
    const connection = await this.connection?.catch(() => undefined);
    this.connection = undefined;
    await connection?.close().catch(() => undefined); // already closed by the broker: nothing to release
  }

  private async passiveDeclare(): Promise<number> {
    const connection = await this.connect();
    const channel = await connection.createChannel();
    channel.on('error', () => undefined); // a missing queue closes the channel; checkQueue's rejection says so
    try {
      return (await channel.checkQueue(this.queue)).messageCount;
    } catch (err) {
      if (/NOT_FOUND|404/.test(String((err as Error).message))) {
        throw new FatalError(`queue '${printable(this.queue, 60)}' does not exist on the broker`);
      }
      throw err;
    } finally {
      await channel.close().catch(() => undefined); // closed by the broker's 404 already
    }
  }

  private connect(): Promise<ChannelModel> {
    this.connection ??= this.open();
    return this.connection;
  }

  private async open(): Promise<ChannelModel> {
    const forget = () => (this.connection = undefined);
    try {
      const connected = await connectWithRetry({
        candidates: brokerCandidates(this.urls, this.brokers, this.log),
        displayUrl: this.urls.join(','),
        timeoutMs: CONNECT_TIMEOUT_MS,
        log: this.log,
        signal: this.signal,
      });
      if (!connected) throw new FatalError('stopped while connecting to the broker');
      // A lost link is opened again by the next reading; its error needs no report of its own.
      connected.connection.on('error', () => undefined);
      connected.connection.on('close', forget);
      return connected.connection;
    } catch (err) {
      forget();
      throw err;
    }
  }
}
