import type { ConfirmChannel, Message, Options } from 'amqplib';

/** A copy no queue took: the broker returned it (basic.return) instead of routing it. */
export class UnroutableError extends Error {
  constructor(
    readonly queue: string,
    replyText: string,
  ) {
    super(`no queue '${queue}' took the copy (${replyText})`);
  }
}

/**
 * Publishes the worker's copies of messages (retries, dead letters, fresh copies of returned
 * messages) to a queue through the default exchange, and resolves only when the broker confirmed
 * that the queue took it. A confirm alone is not enough: the broker also confirms a message that no
 * queue took (a deleted QUEUE.dlq), which would let the original be acked with no copy anywhere.
 * So copies are mandatory: one that cannot be routed comes back (basic.return, sent before its
 * confirm) and the promise rejects with UnroutableError. A return names no publish, so copies go
 * out one at a time per channel: a return that arrives while one is pending is that one's.
 */
export class CopyPublisher {
  private queue: Promise<unknown> = Promise.resolve();
  private returned?: Message;

  constructor(private readonly channel: ConfirmChannel) {
    channel.on('return', (message: Message) => (this.returned = message));
  }

  publish(queue: string, body: Buffer, properties: Options.Publish): Promise<void> {
    const next = this.queue.then(() => this.publishOne(queue, body, properties));
    this.queue = next.catch(() => undefined); // one copy's failure does not stop the next
    return next;
  }

  private publishOne(queue: string, body: Buffer, properties: Options.Publish): Promise<void> {
    this.returned = undefined;
    return new Promise((resolve, reject) => {
      this.channel.publish('', queue, body, { ...properties, mandatory: true }, (err) => {
        const returned = this.returned;
        this.returned = undefined;
        if (err) reject(err);
        else if (returned) reject(new UnroutableError(queue, replyText(returned)));
        else resolve();
      });
    });
  }
}

/** basic.return's reply text (amqplib passes it in `fields`; its types leave it out). */
function replyText(message: Message): string {
  return (message.fields as { replyText?: string }).replyText ?? 'returned';
}
