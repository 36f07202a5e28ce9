import { UsageError } from '../command-line/errors';
import { errorText } from '../observability/logger';
import { Redactor } from '../observability/redact';
import { exitWhenFlushed } from '../process/output-drain';
import { main, PROGRAM } from './main';

main(process.argv.slice(2)).then(exitWhenFlushed, (err: unknown) => exitWhenFlushed(report(err)));

/** One line on stderr and a status, never a stack trace; every password given is hidden even here. */
function report(err: unknown): number {
  const given = process.argv
    .slice(2)
    .map((a) => a.replace(/^--[a-z-]+=/, ''))
    .filter((a) => a.includes('://'));
  const redactor = new Redactor(process.env.AMQP_URL ?? '', process.env.MARATHON_URL ?? '', ...given);
  process.stderr.write(`${PROGRAM}: error: ${redactor.text(errorText(err))}\n`);
  return err instanceof UsageError ? 2 : 1;
}
