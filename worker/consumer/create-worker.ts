import { createLogger, type Logger } from '../observability/logger';
import { functionHandler, type HandlerFunction } from '../handlers/module-handler';
import { resolveOptions, type WorkerOptions } from './options';
import { Redactor } from '../observability/redact';
import { Worker } from './worker';

/** Options of an in-process worker: the CLI's options, with a function instead of a program. */
export interface CreateWorkerOptions extends Omit<WorkerOptions, 'program' | 'args' | 'module'> {
  /** Handles one message; resolving acks it, a throw is a failed attempt. */
  readonly handler: HandlerFunction;
  /** Where the worker reports what it does. @default - one line per event on stderr, password hidden */
  readonly log?: Logger;
}

/**
 * A worker that runs `handler` in this process, with the same retries, dead-lettering,
 * reconnects and shutdown as the workqueue-worker command. Call start(), later close().
 *
 *   const worker = createWorker({ url, queue: 'jobs', concurrency: 8, handler: async (body) => { ... } });
 *   await worker.start();
 */
export function createWorker(options: CreateWorkerOptions): Worker {
  const { handler, log, ...rest } = options;
  if (typeof handler !== 'function')
    throw new TypeError('createWorker: handler must be a function (body, meta, signal) => Promise<void>');
  // The handler stands in for the program the CLI options require.
  const resolved = resolveOptions({ ...rest, module: '<createWorker handler>' });
  return new Worker(resolved, {
    handler: functionHandler(handler),
    log: log ?? createLogger(new Redactor(resolved.url)),
  });
}
