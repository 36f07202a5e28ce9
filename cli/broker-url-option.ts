import { checkBrokerUrl } from '../worker/broker/login';
import { DEFAULT_URL } from '../worker/consumer/options';
import { text, type Parsed } from './flags';

/** The broker URL of a command's -u/--url, else $AMQP_URL, else the default; checked, naming where it came from. */
export function brokerUrlOption(command: string, flags: Parsed['flags'], env: NodeJS.ProcessEnv): string {
  const given = text(flags, 'url');
  const source = given !== undefined ? '-u/--url' : env.AMQP_URL !== undefined ? '$AMQP_URL' : undefined;
  const url = given ?? env.AMQP_URL ?? DEFAULT_URL;
  if (source !== undefined) checkBrokerUrl(`${command}: ${source}`, url);
  return url;
}
