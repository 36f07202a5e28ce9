import type { Channel, Message } from 'amqplib';

/**
 * The acks of one channel, sent once per turn of the event loop instead of one frame (and one socket
 * write) each: every finished message below the oldest message still unsettled goes in a single
 * basic.ack with `multiple`; finished messages above it are acked one by one. A message is acked
 * only after it was finished, as before: `multiple` never covers a delivery that is still running,
 * waiting, or was handed back.
 */
export class AckBatcher {
  /** Delivery tags the broker counts as unacked on this channel, oldest first (settled ones removed lazily). */
  private readonly outstanding: number[] = [];
  private head = 0;
  /** Finished, waiting for the next flush. */
  private readonly finished = new Set<number>();
  /** Acked or returned one by one: no longer the broker's unacked, still in `outstanding` until passed. */
  private readonly settled = new Set<number>();
  private scheduled?: NodeJS.Immediate;

  constructor(private readonly channel: Channel) {}

  /** A delivery arrived: it holds back every ack above it until it is settled. */
  delivered(message: Message): void {
    this.outstanding.push(message.fields.deliveryTag);
  }

  /** The message succeeded (or a copy of it was confirmed): ack it with the next flush. */
  ack(message: Message): void {
    this.finished.add(message.fields.deliveryTag);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Returns the message to the queue at once (nack, requeue); acks already due go first. */
  requeue(message: Message): void {
    this.flush();
    this.settled.add(message.fields.deliveryTag);
    try {
      this.channel.nack(message, false, true);
    } catch {
      // The channel is closing: the broker takes the message back anyway.
    }
  }

  /** Sends the acks that are due now: before a channel closes, and once per turn of the event loop. */
  flush(): void {
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.finished.size === 0) return;
    let upTo: number | undefined;
    while (this.head < this.outstanding.length) {
      const tag = this.outstanding[this.head];
      if (this.finished.delete(tag)) upTo = tag;
      else if (!this.settled.delete(tag)) break; // still running or waiting: it bounds `multiple`
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.outstanding.length) {
      this.outstanding.splice(0, this.head);
      this.head = 0;
    }
    try {
      if (upTo !== undefined) this.channel.ack(tagged(upTo), true);
      for (const tag of this.finished) {
        this.channel.ack(tagged(tag));
        this.settled.add(tag);
      }
    } catch {
      // The channel is closing: the broker takes its unacked messages back, which is the safe side.
    } finally {
      this.finished.clear();
    }
  }
}

/** What amqplib's ack and nack read of a message: its delivery tag. */
function tagged(deliveryTag: number): Message {
  return { fields: { deliveryTag } } as Message;
}
