import { Tokenization } from 'cdktf';
import type { Construct } from 'constructs';
import { MAX_QUEUE_NAME_BYTES } from '../worker/options';

/**
 * Who a construction error is about: the class and where it sits in the tree, e.g.
 * "WorkQueueWorker (media/thumbnailers)", so a stack with several of them says which one.
 */
export function constructLabel(kind: string, construct: Construct): string {
  return `${kind} (${construct.node.path})`;
}

/** An error that names the construct and prop, shows the value and says the fix. */
export function propError(construct: string, prop: string, value: unknown, fix: string): Error {
  const shown = typeof value === 'string' && value.length > 60 ? `'${value.slice(0, 57)}...' (${value.length} chars)` : JSON.stringify(value);
  return new Error(`${construct}: invalid ${prop} ${shown}: ${fix}`);
}

export function checkQueueName(construct: string, prop: string, name: string): void {
  const bytes = Buffer.byteLength(name ?? '');
  if (bytes === 0 || bytes > MAX_QUEUE_NAME_BYTES - '.dlq'.length) {
    throw propError(construct, prop, name, `a queue name must be 1 to ${MAX_QUEUE_NAME_BYTES - 4} bytes (RabbitMQ allows ${MAX_QUEUE_NAME_BYTES}, and its dead-letter queue adds '.dlq')`);
  }
  if (name.startsWith('amq.')) throw propError(construct, prop, name, "names starting with 'amq.' are reserved by RabbitMQ");
}

/** Marathon app id segment rules, which also make valid Docker container and host names. */
const MARATHON_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

export function checkMarathonName(construct: string, prop: string, name: string): void {
  if (!MARATHON_NAME.test(name ?? '') || name.length > 63) {
    throw propError(construct, prop, name, "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 63 characters (Marathon app ids and host names)");
  }
}

export function checkCount(construct: string, prop: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) {
    throw propError(construct, prop, value, `use a whole number of at least ${min}`);
  }
}

export function checkPositive(construct: string, prop: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
    throw propError(construct, prop, value, 'use a number greater than 0');
  }
}

/** A broker user name: it goes into RabbitMQ definitions, amqp:// URLs and the entrypoint's checks unescaped. */
export function checkUserName(construct: string, prop: string, name: string): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(name ?? '')) throw propError(construct, prop, name, "use letters, digits, '_', '.' and '-'");
}

/**
 * A secret must be exactly one token (a sensitive variable, a random_password result...): a
 * literal, or a literal joined to a token ('abc' + token), would put plain text into cdk.tf.json.
 * The value itself is never shown.
 */
export function checkSecretToken(construct: string, prop: string, value: string, fix: string): void {
  const fragments = Tokenization.reverseString(value ?? '');
  if (fragments.length !== 1 || fragments.tokens.length !== 1) {
    throw propError(construct, prop, '***', `a literal, or a literal joined to a token, would be written in plain text into cdk.tf.json: ${fix}`);
  }
}

/** Names a POSIX environment can carry and a shell can read: no '=', no newline, no leading digit. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
