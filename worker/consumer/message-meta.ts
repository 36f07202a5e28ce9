import type { ConsumeMessage } from 'amqplib';
import { DELIVERY_COUNT_HEADER } from './delivery-limit';

/** What a program learns about its message besides the body (the WQ_* variables). */
export interface MessageMeta {
  readonly queue: string;
  readonly messageId: string;
  readonly correlationId: string;
  readonly contentType: string;
  readonly routingKey: string;
  readonly redelivered: boolean;
  /** 1 for the first attempt; carried in the message, so it survives worker restarts. */
  readonly attempt: number;
  readonly headers: Readonly<Record<string, unknown>>;
}

/** Header counting the failed attempts a message has had so far. */
export const ATTEMPTS_HEADER = 'x-wq-attempts';

/**
 * Failed attempts recorded in the message: the worker's own count, the one that decides dead-lettering.
 * Not the broker's x-delivery-count, which before RabbitMQ 4.3 also counts returns (a shutdown, a lost
 * link) that are no failure (worker/consumer/delivery-limit.ts).
 */
export function failedAttempts(message: ConsumeMessage): number {
  return toCount((message.properties.headers ?? {})[ATTEMPTS_HEADER]);
}

/** The broker's delivery count of a quorum queue message (0 when absent). */
export function brokerDeliveryCount(message: ConsumeMessage): number {
  return toCount((message.properties.headers ?? {})[DELIVERY_COUNT_HEADER]);
}

export function messageMeta(queue: string, message: ConsumeMessage): MessageMeta {
  const p = message.properties;
  return {
    queue,
    messageId: p.messageId ?? '',
    correlationId: p.correlationId ?? '',
    contentType: p.contentType ?? '',
    routingKey: message.fields.routingKey,
    redelivered: message.fields.redelivered,
    attempt: failedAttempts(message) + 1,
    headers: p.headers ?? {},
  };
}

/** The WQ_* variables of a message, or why they cannot be given to a program. */
export type MetaEnv =
  { readonly ok: true; readonly env: Record<string, string> } | { readonly ok: false; readonly reason: string };

/**
 * The WQ_* environment variables of spawn mode. Every value comes from the message, and the one
 * thing a POSIX environment cannot carry is NUL: the helper passes a NUL-separated block, where
 * a NUL in a value would start a variable of the producer's choosing (NODE_OPTIONS, BASH_ENV...).
 * Such a message cannot run at all; this is the one check for every variable, added ones too.
 */
export function metaEnv(meta: MessageMeta): MetaEnv {
  const env: Record<string, string> = {
    WQ_QUEUE: meta.queue,
    WQ_MESSAGE_ID: meta.messageId,
    WQ_CORRELATION_ID: meta.correlationId,
    WQ_CONTENT_TYPE: meta.contentType,
    WQ_ROUTING_KEY: meta.routingKey,
    WQ_REDELIVERED: meta.redelivered ? 'true' : 'false',
    WQ_ATTEMPT: String(meta.attempt),
    WQ_HEADERS: JSON.stringify(meta.headers, bufferAsText),
  };
  const bad = Object.keys(env).filter((name) => env[name].includes('\0'));
  if (bad.length) {
    return {
      ok: false,
      reason: `a NUL byte in the message's ${bad.join(', ')}: an environment variable cannot carry it`,
    };
  }
  return { ok: true, env };
}

function toCount(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function bufferAsText(_key: string, value: unknown): unknown {
  // Byte-array header values would otherwise print as {"type":"Buffer","data":[...]}.
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') {
    return Buffer.from((value as { data: number[] }).data).toString('utf8');
  }
  return value;
}
