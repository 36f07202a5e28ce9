import { version } from '../../package.json';
import { parseArgs } from './args';
import { HELP } from './help';
import { serveHealth } from '../observability/health-server';
import { createLogger } from '../observability/logger';
import { resolveOptions } from '../consumer/options';
import { Redactor } from '../observability/redact';
import { selectHandler } from '../handlers/select-handler';
import { Worker } from '../consumer/worker';

/** Runs the workqueue-worker command line; resolves the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const request = parseArgs(argv);
  if (request.kind === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (request.kind === 'version') {
    process.stdout.write(`workqueue-worker ${version}\n`);
    return 0;
  }
  const options = resolveOptions(request.options);
  const log = createLogger(new Redactor(options.url));
  const { handler, close } = selectHandler(options, log);
  const worker = new Worker(options, { handler, log });

  const health = await serveHealth(
    options.healthPort,
    { healthy: () => worker.healthy(), registry: worker.metrics.registry },
    log,
  );
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      log.info(`${signal} received: no new messages; finishing running ones`);
      void worker.close();
    });
  }
  try {
    await worker.start();
    await worker.done();
  } finally {
    await close();
    await health?.close();
  }
  return 0;
}
