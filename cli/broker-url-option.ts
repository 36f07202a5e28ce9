import type * as amqp from 'amqplib';
import { checkBrokerUrls } from '../worker/broker/login';
import { openBrokerConnection } from '../worker/broker/open-connection';
import { FatalError, UsageError } from '../worker/command-line/errors';
import { DEFAULT_URL } from '../worker/consumer/options';
import { errorText } from '../worker/observability/logger';
import { redactUrl } from '../worker/observability/redact';
import type { Parsed } from '../worker/command-line/flags';

/**
 * The broker URLs of a command's -u/--url (repeatable), else $AMQP_URL, else the default. Each value may
 * be a comma-separated list of a cluster's nodes, as the worker takes them; every URL is checked by the
 * worker's checker, named by where it came from.
 */
export function brokerUrlsOption(command: string, values: Parsed['values'], env: NodeJS.ProcessEnv): string[] {
  const given = values.url;
  if (given?.length) return checkBrokerUrls(`${command}: -u/--url`, given);
  if (env.AMQP_URL !== undefined) return checkBrokerUrls(`${command}: $AMQP_URL`, [env.AMQP_URL]);
  return [DEFAULT_URL];
}

/** A connection to the first of `urls` that answers (any node of a cluster knows every queue). */
export async function openFirstBroker(
  command: string,
  urls: readonly string[],
): Promise<{ connection: amqp.ChannelModel; url: string }> {
  const failures: string[] = [];
  for (const url of urls) {
    try {
      return { connection: await openBrokerConnection(url), url };
    } catch (err) {
      if (urls.length === 1 || err instanceof UsageError || err instanceof FatalError) throw err;
      failures.push(`${redactUrl(url)}: ${errorText(err)}`);
    }
  }
  throw new FatalError(`${command}: cannot reach any of the ${urls.length} brokers (${failures.join('; ')})`);
}
