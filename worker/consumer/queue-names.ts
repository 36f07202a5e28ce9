/** RabbitMQ's limit on queue names, in bytes. */
export const MAX_QUEUE_NAME_BYTES = 255;

/** The queue that receives a queue's messages once their attempts ran out. */
export function deadLetterQueueName(queue: string): string {
  return `${queue}.dlq`;
}

/**
 * Why `name` cannot name a queue, as the fix to apply, or undefined when it can. With `withDeadLetter`,
 * its dead-letter queue's name must fit too (the Broker declares both).
 */
export function queueNameProblem(name: string, withDeadLetter = false): string | undefined {
  const suffix = withDeadLetter ? deadLetterQueueName('') : '';
  const max = MAX_QUEUE_NAME_BYTES - Buffer.byteLength(suffix);
  const bytes = Buffer.byteLength(name ?? '');
  if (bytes === 0 || bytes > max) {
    const why = suffix
      ? `RabbitMQ allows ${MAX_QUEUE_NAME_BYTES}, and its dead-letter queue adds '${suffix}'`
      : "RabbitMQ's limit";
    return `a queue name must be 1 to ${max} bytes (${why}), not ${bytes}`;
  }
  if (name.startsWith('amq.')) return "names starting with 'amq.' are reserved by RabbitMQ";
  return undefined;
}

/** The delay queue whose messages wait `delayMs` milliseconds, then go back to `queue` (retry-delays.ts). */
export function retryQueueName(queue: string, delayMs: number): string {
  return `${queue}.retry.${delayMs}`;
}
