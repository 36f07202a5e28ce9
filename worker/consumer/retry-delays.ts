import { numberProblem } from './number-rules';
import { retryQueueName } from './queue-names';

/** How long a failed message waits before its next attempt: delay × backoff^(n-1), capped. */
export interface RetryDelays {
  /** Seconds before the first retry; 0 retries at once, at the tail of the queue. */
  readonly retryDelaySeconds: number;
  /** Factor between consecutive delays, at least 1. */
  readonly retryBackoff: number;
  /** Longest delay in seconds. */
  readonly maxRetryDelaySeconds: number;
}

export const DEFAULT_RETRY_DELAY_SECONDS = 0;
export const DEFAULT_RETRY_BACKOFF = 2;
export const DEFAULT_MAX_RETRY_DELAY_SECONDS = 3600;
/**
 * Most delay queues one queue may have: every distinct delay is a queue (never one per message),
 * so the ladder stays short however many attempts are allowed.
 */
export const MAX_RETRY_RUNGS = 32;

/** Milliseconds the retry after failed attempt `attempt` (1-based) waits; 0 without delays. */
export function retryDelayMs(d: RetryDelays, attempt: number): number {
  if (d.retryDelaySeconds <= 0) return 0;
  const seconds = Math.min(d.retryDelaySeconds * d.retryBackoff ** Math.max(0, attempt - 1), d.maxRetryDelaySeconds);
  return Math.max(1, Math.round(seconds * 1000));
}

/** Retries looked at for distinct delays: a backoff so close to 1 that the cap is further away is refused. */
const LADDER_SEARCH_LIMIT = 100_000;

/**
 * Every distinct delay in ms, shortest first: one delay queue each. With `maxAttempts` > 0 only the
 * retries that can happen (maxAttempts - 1); otherwise up to the cap. Empty without delays.
 */
export function retryLadder(d: RetryDelays, maxAttempts: number): number[] {
  return ladder(d, maxAttempts) ?? [];
}

/** The ladder; undefined when it has more than MAX_RETRY_RUNGS rungs (or more than the search finds). */
function ladder(d: RetryDelays, maxAttempts: number): number[] | undefined {
  if (d.retryDelaySeconds <= 0) return [];
  const rungs: number[] = [];
  for (let attempt = 1; maxAttempts <= 0 || attempt < maxAttempts; attempt++) {
    const ms = retryDelayMs(d, attempt);
    if (ms !== rungs.at(-1)) rungs.push(ms);
    if (rungs.length > MAX_RETRY_RUNGS || attempt >= LADDER_SEARCH_LIMIT) return undefined;
    // From here on every retry waits the same.
    const capped = d.retryDelaySeconds * d.retryBackoff ** (attempt - 1) >= d.maxRetryDelaySeconds;
    if (capped || d.retryBackoff === 1) break;
  }
  return rungs;
}

/** The delay queues of `queue`, shortest delay first. */
export function retryQueueNames(queue: string, d: RetryDelays, maxAttempts: number): string[] {
  return retryLadder(d, maxAttempts).map((ms) => retryQueueName(queue, ms));
}

/**
 * Why these delays cannot be used, as flags or props name them (`names`), or undefined when they can.
 * One rule for the worker's flags and the constructs' props.
 */
export function retryDelaysProblem(
  d: RetryDelays,
  maxAttempts: number,
  names: { delay: string; backoff: string; max: string },
): string | undefined {
  const delay = numberProblem(d.retryDelaySeconds, 0);
  if (delay) return `${names.delay} must be ${delay} seconds, not '${d.retryDelaySeconds}'`;
  const backoff = numberProblem(d.retryBackoff, 1);
  if (backoff) return `${names.backoff} must be ${backoff}, not '${d.retryBackoff}'`;
  const max = numberProblem(d.maxRetryDelaySeconds, 0.001);
  if (max) return `${names.max} must be ${max} seconds, not '${d.maxRetryDelaySeconds}'`;
  if (d.retryDelaySeconds > d.maxRetryDelaySeconds) {
    return (
      `${names.delay} ${d.retryDelaySeconds} is longer than ${names.max} ${d.maxRetryDelaySeconds}, ` +
      'which caps every delay: lower the first or raise the cap'
    );
  }
  // RabbitMQ's x-message-ttl is at most 2^32-1 ms (about 49 days).
  if (d.maxRetryDelaySeconds * 1000 > 0xffffffff) return `${names.max} must be at most 4294967 seconds`;
  if (ladder(d, maxAttempts) === undefined) {
    return (
      `${names.delay} ${d.retryDelaySeconds}, ${names.backoff} ${d.retryBackoff} and ${names.max} ` +
      `${d.maxRetryDelaySeconds} need more than ${MAX_RETRY_RUNGS} delay queues (one per distinct delay): ` +
      `raise ${names.backoff} or the first delay, or lower ${names.max}`
    );
  }
  return undefined;
}

/**
 * Arguments of a delay queue: messages wait `delayMs` (one TTL for the whole queue, so the one at the head
 * is always the first due and none waits behind a longer one), then RabbitMQ dead-letters them back to
 * `queue` through the default exchange. On quorum queues (message TTL needs RabbitMQ 3.10+) dead-lettering
 * is at-most-once unless the strategy is at-least-once, which needs overflow reject-publish.
 */
export function retryQueueArguments(
  queue: string,
  delayMs: number,
  quorum: boolean,
  groupSize?: number,
): Record<string, string | number> {
  return {
    'x-message-ttl': delayMs,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': queue,
    ...(quorum
      ? {
          'x-queue-type': 'quorum',
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
          ...(groupSize && groupSize > 1 ? { 'x-quorum-initial-group-size': groupSize } : {}),
        }
      : {}),
  };
}
