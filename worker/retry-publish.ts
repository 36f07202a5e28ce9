import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { ATTEMPTS_HEADER } from './message-meta';
import type { Outcome } from './outcome';

/** Headers the worker adds when it sends a failed message back or to the dead-letter queue. */
export const HEADERS = {
  attempts: ATTEMPTS_HEADER,
  lastExitCode: 'x-wq-last-exit-code',
  lastSignal: 'x-wq-last-signal',
  reason: 'x-wq-reason',
  originalQueue: 'x-wq-original-queue',
  deadLetteredAt: 'x-wq-dead-lettered-at',
  userId: 'x-wq-user-id',
} as const;

type Failure = Extract<Outcome, { ok: false }>;

/**
 * Properties for publishing `message` again after a failed attempt: everything the producer
 * set is kept, and the headers record the attempts and how the last one ended.
 */
export function failureProperties(
  message: ConsumeMessage,
  failure: Failure,
  attempts: number,
  queue: string,
  deadLettered: boolean,
): Options.Publish {
  const p = message.properties;
  const headers: Record<string, unknown> = { ...(p.headers ?? {}) };
  headers[HEADERS.attempts] = attempts;
  headers[HEADERS.reason] = failure.reason;
  headers[HEADERS.originalQueue] = queue;
  delete headers[HEADERS.lastExitCode];
  delete headers[HEADERS.lastSignal];
  if (failure.exitCode !== undefined) headers[HEADERS.lastExitCode] = failure.exitCode;
  if (failure.signal !== undefined) headers[HEADERS.lastSignal] = failure.signal;
  if (deadLettered) headers[HEADERS.deadLetteredAt] = new Date().toISOString();
  // RabbitMQ rejects a user-id that is not the publishing connection's user, so it travels as a header.
  if (p.userId !== undefined) headers[HEADERS.userId] = p.userId;
  return {
    headers,
    contentType: p.contentType,
    contentEncoding: p.contentEncoding,
    deliveryMode: p.deliveryMode,
    priority: p.priority,
    correlationId: p.correlationId,
    replyTo: p.replyTo,
    expiration: p.expiration,
    messageId: p.messageId,
    timestamp: p.timestamp,
    type: p.type,
    appId: p.appId,
  };
}

/** Publishes to `queue` through the default exchange and resolves once the broker confirmed it. */
export function publishConfirmed(
  channel: ConfirmChannel,
  queue: string,
  body: Buffer,
  properties: Options.Publish,
): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.publish('', queue, body, properties, (err) => (err ? reject(err) : resolve()));
  });
}
