import { UsageError } from '../worker/command-line/errors';
import { errorText } from '../worker/observability/logger';
import { Redactor } from '../worker/observability/redact';
import { main } from './workqueue';

main(process.argv.slice(2)).then(exit, (err: unknown) => {
  // One line, passwords of the broker and Marathon URLs hidden, never a stack trace.
  const given = process.argv
    .slice(2)
    .map((a) => a.replace(/^--[a-z-]+=/, ''))
    .filter((a) => a.includes('://'));
  const redactor = new Redactor(process.env.AMQP_URL ?? '', process.env.MARATHON_URL ?? '', ...given);
  process.stderr.write(`workqueue: error: ${redactor.text(errorText(err))}\n`);
  exit(err instanceof UsageError ? 2 : 1);
});

function exit(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2_000).unref();
}
