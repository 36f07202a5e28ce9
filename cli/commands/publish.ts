import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { FatalError, UsageError } from '../../worker/command-line/errors';
import { DEFAULT_URL } from '../../worker/consumer/options';
import { brokerUrlsOption, openFirstBroker } from '../broker-url-option';
import { parseFlags, text, type FlagSpec } from '../../worker/command-line/flags';
import { progress } from '../progress';

export const PUBLISH_HELP = `Usage: workqueue publish -q QUEUE [-u URL] [FILE...]

Puts work on a queue: each FILE is one message; with no FILE, each line of standard input is one
message. Messages are persistent, carry a new random message id each (the worker's
WQ_MESSAGE_ID), and are confirmed by the broker (publisher confirms) before the command exits 0;
the rate is shown as it goes. A URL that is not amqp[s]://[user:password@]host[:port][/vhost] is
refused (exit 2); a broker that refuses the login, or the vhost (it does not exist, or the user has
no permissions on it), ends the command with one line (exit 1).

Options:
  -q, --queue NAME   queue to publish to (through the default exchange)
  -u, --url URL      broker URL (default: $AMQP_URL, else ${DEFAULT_URL}); for a cluster, several
                     (repeat -u, or a comma-separated list): the first that answers takes them
  -h, --help         show this help

Examples:
  seq 1000 | workqueue publish -q jobs
  workqueue publish -q images -u amqp://workqueue:PASSWORD@broker:5672 photos/*.json
  workqueue publish -q jobs -u amqp://workqueue:PASSWORD@broker:5672/staging < jobs.txt
`;

const SPECS: FlagSpec[] = [
  { names: ['-q', '--queue'], key: 'queue', value: true },
  { names: ['-u', '--url'], key: 'url', value: true },
];

/** Confirms are awaited in batches of this many messages. */
const BATCH = 500;

export async function publish(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { flags, values, positional } = parseFlags('publish', argv, SPECS);
  const queue = text(flags, 'queue');
  if (!queue) throw new UsageError('publish: missing -q QUEUE');
  const { connection } = await openFirstBroker('publish', brokerUrlsOption('publish', values, env));
  connection.on('error', () => undefined); // a failed confirm below reports it
  let sent = 0;
  const started = Date.now();
  let lastReport = started;
  try {
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    // mandatory: a message no queue takes comes back instead of vanishing.
    let returned = 0;
    channel.on('return', () => (returned += 1));
    const send = async (body: Buffer) => {
      // A message id of its own, so that programs can tell a redelivery from new work (WQ_MESSAGE_ID).
      if (!channel.sendToQueue(queue, body, { persistent: true, mandatory: true, messageId: randomUUID() }))
        await new Promise((r) => channel.once('drain', r));
      sent += 1;
      if (sent % BATCH === 0) await channel.waitForConfirms();
      if (Date.now() - lastReport >= 1000) {
        lastReport = Date.now();
        progress(`published ${sent} (${rate(sent, started)} msg/s)`);
      }
    };
    if (positional.length > 0) {
      for (const file of positional) await send(readFileSync(file));
    } else {
      for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity }))
        await send(Buffer.from(line));
    }
    await channel.waitForConfirms();
    if (returned > 0)
      throw new FatalError(
        `${returned} of ${sent} message(s) came back unrouted: queue '${queue}' does not exist ` +
          '(start a worker or the broker that declares it first)',
      );
    progress(`published ${sent} message(s) to '${queue}', all confirmed (${rate(sent, started)} msg/s)`);
    await channel.close();
  } finally {
    await connection.close().catch(() => undefined); // already closed by an error reported above
  }
  return 0;
}

function rate(n: number, since: number): number {
  return Math.round(n / Math.max(0.001, (Date.now() - since) / 1000));
}
