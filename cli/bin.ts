import { UsageError } from '../worker/errors';
import { errorText } from '../worker/logger';
import { Redactor } from '../worker/redact';
import { main } from './workqueue';

main(process.argv.slice(2)).then(exit, (err: unknown) => {
  // One line, passwords of the broker and Marathon URLs hidden, never a stack trace.
  const secrets = [process.env.AMQP_URL, process.env.MARATHON_URL, ...process.argv.filter((a) => /^[a-z]+:\/\//.test(a))];
  let line = errorText(err);
  for (const url of secrets) if (url) line = new Redactor(url).text(line);
  process.stderr.write(`workqueue: error: ${line.replace(/(https?:\/\/[^:@/\s]*:)[^@\s]*@/g, '$1***@')}\n`);
  exit(err instanceof UsageError ? 2 : 1);
});

function exit(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2_000).unref();
}
