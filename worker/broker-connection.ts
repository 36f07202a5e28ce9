import * as amqp from 'amqplib';
import { splitBrokerUrl } from './broker-login';

/**
 * Opens an amqplib connection to a broker URL.
 * amqplib would read the credentials from the URL itself, but it decodes them with `unescape`, which
 * takes %C3%A4 as two Latin-1 characters: a non-ASCII password went out UTF-8-encoded twice and was
 * refused. So the URL goes without credentials and the login as SASL PLAIN, encoded once.
 */
export function openBrokerConnection(url: string, options: Record<string, unknown> = {}): Promise<amqp.ChannelModel> {
  const { address, login } = splitBrokerUrl(url);
  return amqp.connect(address, { ...options, credentials: amqp.credentials.plain(login.user, login.password) });
}
