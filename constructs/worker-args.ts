import type { RetryDelays } from '../worker/consumer/retry-delays';

/** The runtime options a WorkQueueWorker passes on its command line. */
export interface WorkerArgsInput {
  readonly broker?: string;
  readonly queue: string;
  readonly concurrency?: number;
  readonly prefetchCount?: number;
  readonly timeoutSeconds?: number;
  readonly maxAttempts: number;
  /** Retry delays; none passed while retryDelaySeconds is 0 (the runtime's default). */
  readonly retryDelays: RetryDelays;
  readonly shutdownGraceSeconds: number;
  readonly healthPort: number;
  readonly program: string;
  readonly args: readonly string[];
}

/** `workqueue-worker` arguments (the image's entrypoint), the same for every target. */
export function workerArgs(input: WorkerArgsInput): string[] {
  const out: string[] = [];
  if (input.broker !== undefined) out.push('-b', input.broker);
  out.push('-q', input.queue);
  if (input.concurrency !== undefined) out.push('--concurrency', String(input.concurrency));
  if (input.prefetchCount !== undefined) out.push('--prefetch-count', String(input.prefetchCount));
  if (input.timeoutSeconds !== undefined) out.push('--timeout', String(input.timeoutSeconds));
  out.push('--max-attempts', String(input.maxAttempts));
  const d = input.retryDelays;
  if (d.retryDelaySeconds > 0) {
    out.push('--retry-delay', String(d.retryDelaySeconds), '--retry-backoff', String(d.retryBackoff));
    out.push('--max-retry-delay', String(d.maxRetryDelaySeconds));
  }
  out.push('--shutdown-grace', String(input.shutdownGraceSeconds));
  out.push('--health-port', String(input.healthPort));
  out.push('--', input.program, ...input.args);
  return out;
}
