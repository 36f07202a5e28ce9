import type { ConsumeMessage, Message, Options } from 'amqplib';
import { encodedTableSize, rawHeaderTable, refusedHeaderTable, unpublishable } from '../broker/amqp-codec';
import { DELIVERY_COUNT_HEADER } from './delivery-limit';
import { decodeHeaderTable, setEntry } from './header-table';
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
  originalExpiration: 'x-wq-original-expiration',
  droppedProperties: 'x-wq-dropped-properties',
  droppedHeaders: 'x-wq-dropped-headers',
  originalHeaders: 'x-wq-original-headers',
} as const;

/** Longest text (a reason, an error) the worker stores in a header: programs may report megabytes. */
export const HEADER_TEXT_MAX = 4096;
/** Room for the producer's headers on a reduced dead-letter copy: well inside any frame. */
const REDUCED_HEADERS_BUDGET = 16 * 1024;

type Failure = Extract<Outcome, { ok: false }>;

/** The properties besides headers a copy carries, as amqplib names them. */
const COPIED = [
  'contentType',
  'contentEncoding',
  'deliveryMode',
  'priority',
  'correlationId',
  'replyTo',
  'expiration',
  'messageId',
  'timestamp',
  'type',
  'appId',
] as const;

/** `text` cut to HEADER_TEXT_MAX characters, saying how much was left out. */
export function headerText(text: string): string {
  if (text.length <= HEADER_TEXT_MAX) return text;
  return `${text.slice(0, HEADER_TEXT_MAX)}…(${text.length - HEADER_TEXT_MAX} more characters)`;
}

/**
 * The producer's headers as received: typed from the raw table when captured, else amqplib's
 * decoding. A table that was not decoded (refusedHeaderTable) travels whole as a byte array.
 * Without the broker's x-delivery-count: it counts deliveries of the original; a copy is a new message.
 */
function producerHeaders(message: Message): Record<string, unknown> {
  const headers = decodedHeaders(message);
  delete headers[DELIVERY_COUNT_HEADER];
  return headers;
}

function decodedHeaders(message: Message): Record<string, unknown> {
  const raw = rawHeaderTable(message.properties);
  if (raw && refusedHeaderTable(message.properties)) return { [HEADERS.originalHeaders]: raw };
  if (raw) {
    try {
      return decodeHeaderTable(raw);
    } catch {
      // A table the broker passed but this reader does not know: amqplib's decoding is the next best.
    }
  }
  return { ...(message.properties.headers ?? {}) };
}

/**
 * Properties for publishing `message` again after a failed attempt: everything the producer
 * set is kept as received (headers with their wire types), and the headers record the attempts
 * and how the last one ended. A dead-lettered copy drops `expiration`, as RabbitMQ's own
 * dead-lettering does (a dead letter must not vanish), keeping it in x-wq-original-expiration;
 * a retry copy keeps it: the producer's deadline still holds for the work (README), unless the copy is
 * `delayed` (it waits in a delay queue): then it goes the way of a dead letter's.
 */
export function failureProperties(
  message: ConsumeMessage,
  failure: Failure,
  attempts: number,
  queue: string,
  deadLettered: boolean,
  delayed = false,
): Options.Publish {
  const headers = producerHeaders(message);
  delete headers[HEADERS.lastExitCode];
  delete headers[HEADERS.lastSignal];
  Object.assign(headers, workerHeaders(message, failure, attempts, queue, deadLettered));
  const properties = withCopiedProperties(message, headers);
  // A delayed copy must wait its whole delay: an expiration would cut it short in the delay queue, and RabbitMQ
  // drops it on dead-lettering the copy back anyway. So it is kept as a header, as on a dead letter.
  if (delayed && properties.expiration !== undefined) headers[HEADERS.originalExpiration] = properties.expiration;
  if (deadLettered || delayed) delete properties.expiration;
  return properties;
}

/**
 * Properties for publishing `message` back to its queue unchanged, instead of a nack that would raise
 * its x-delivery-count (worker/consumer/delivery-limit.ts): everything as received, x-wq-attempts included;
 * only a user-id moves to x-wq-user-id, as on every copy.
 */
export function returnedCopyProperties(message: Message): Options.Publish {
  const headers = producerHeaders(message);
  if (message.properties.userId !== undefined) headers[HEADERS.userId] = message.properties.userId;
  return withCopiedProperties(message, headers);
}

/** `headers` with the properties besides headers a copy carries, as received. */
function withCopiedProperties(message: Message, headers: Record<string, unknown>): Options.Publish {
  const p = message.properties;
  const properties: Options.Publish = { headers };
  for (const name of COPIED) if (p[name] !== undefined) (properties as Record<string, unknown>)[name] = p[name];
  return properties;
}

/** The x-wq-* headers of a copy. */
function workerHeaders(
  message: ConsumeMessage,
  failure: Failure,
  attempts: number,
  queue: string,
  deadLettered: boolean,
): Record<string, unknown> {
  const p = message.properties;
  const headers: Record<string, unknown> = {
    [HEADERS.attempts]: attempts,
    [HEADERS.reason]: headerText(failure.reason),
    [HEADERS.originalQueue]: queue,
  };
  if (failure.exitCode !== undefined) headers[HEADERS.lastExitCode] = failure.exitCode;
  if (failure.signal !== undefined) headers[HEADERS.lastSignal] = failure.signal;
  if (deadLettered) {
    headers[HEADERS.deadLetteredAt] = new Date().toISOString();
    if (p.expiration !== undefined) headers[HEADERS.originalExpiration] = p.expiration;
  }
  // RabbitMQ rejects a user-id that is not the publishing connection's user, so it travels as a header.
  if (p.userId !== undefined) headers[HEADERS.userId] = p.userId;
  return headers;
}

/**
 * The dead-letter copy of a message whose full copy could not be published (`why`): the body as
 * it is, each property that encodes on its own, and as many of the producer's headers as fit a
 * budget; what was left out is named in x-wq-dropped-properties / x-wq-dropped-headers.
 */
export function reducedDeadLetterProperties(
  message: ConsumeMessage,
  failure: Failure,
  attempts: number,
  queue: string,
  why: string,
  frameMax: number,
): Options.Publish {
  const own = reducedCopyHeaders(message, failure, attempts, queue, why);
  const full = failureProperties(message, failure, attempts, queue, true);
  const properties: Record<string, unknown> = {};
  const droppedProperties: string[] = [];
  for (const name of COPIED) {
    const value = (full as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (unpublishable({ [name]: value }, message.content.length, frameMax)) droppedProperties.push(name);
    else properties[name] = value;
  }
  const headers: Record<string, unknown> = {};
  const droppedHeaders: string[] = [];
  let used = 0;
  for (const [key, value] of Object.entries(full.headers ?? {})) {
    if (key in own) continue;
    const size = entrySize(key, value);
    if (used + size > REDUCED_HEADERS_BUDGET) droppedHeaders.push(key);
    else {
      setEntry(headers, key, value);
      used += size;
    }
  }
  // Names of dropped headers may themselves be huge: the list is text, cut like any other.
  if (droppedProperties.length) own[HEADERS.droppedProperties] = droppedProperties.join(',');
  if (droppedHeaders.length) own[HEADERS.droppedHeaders] = headerText(JSON.stringify(droppedHeaders));
  return { ...properties, headers: { ...headers, ...own } };
}

/** The last resort: the body and the worker's own headers, nothing from the producer's properties. */
export function minimalDeadLetterProperties(
  message: ConsumeMessage,
  failure: Failure,
  attempts: number,
  queue: string,
  why: string,
): Options.Publish {
  return { headers: reducedCopyHeaders(message, failure, attempts, queue, why) };
}

function reducedCopyHeaders(
  message: ConsumeMessage,
  failure: Failure,
  attempts: number,
  queue: string,
  why: string,
): Record<string, unknown> {
  const reason = headerText(
    `${failure.reason}; the full copy could not be published (${why}), so this copy is reduced`,
  );
  const headers = workerHeaders(message, { ...failure, reason }, attempts, queue, true);
  // The user id is a property from the message too: it may be what did not encode.
  if (unpublishable({ headers: { [HEADERS.userId]: headers[HEADERS.userId] } }, 0, 0)) delete headers[HEADERS.userId];
  return headers;
}

/** Encoded size of one header entry; Infinity for one amqplib cannot encode. */
function entrySize(key: string, value: unknown): number {
  try {
    return encodedTableSize({ [key]: value });
  } catch {
    return Infinity;
  }
}
