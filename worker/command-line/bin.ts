import { main } from './main';
import { UsageError } from './errors';
import { errorText } from '../observability/logger';
import { exitWhenFlushed } from '../process/output-drain';
import { Redactor } from '../observability/redact';

main(process.argv.slice(2)).then(exitWhenFlushed, (err: unknown) => exitWhenFlushed(report(err)));

/** One line on stderr and a status, never a stack trace; the password is hidden even here. */
function report(err: unknown): number {
  const redactor = new Redactor(...urlsFromArgs(), process.env.AMQP_URL ?? '');
  process.stderr.write(`workqueue-worker: error: ${redactor.text(errorText(err))}\n`);
  return err instanceof UsageError ? 2 : 1;
}

/** Every -u/--url value (each may be a list): hiding more than the options used is harmless. */
function urlsFromArgs(): string[] {
  const argv = process.argv;
  const urls: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-u' || argv[i] === '--url') urls.push(argv[i + 1] ?? '');
    else if (argv[i].startsWith('--url=')) urls.push(argv[i].slice('--url='.length));
    else if (/^-u./.test(argv[i])) urls.push(argv[i].slice(2));
  }
  return urls;
}
