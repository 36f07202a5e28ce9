import { UsageError } from '../command-line/errors';
import { splitBrokerUrl, type BrokerLogin } from './login';

/** Where RabbitMQ's management API is, and who logs in to it. */
export interface ManagementApi {
  readonly base: URL;
  readonly login: BrokerLogin;
}

/** Hosts that never leave this machine. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Where the management API is and who to log in as: `management` (and its user, if it names one),
 * else the broker's host, over https on 15671 for amqps:// and http on 15672 for amqp://, with the
 * broker URL's login. Credentials of an amqps:// URL, which the user chose to encrypt, never go over
 * plain http to another machine. `flag` names the option in messages ('status: --management').
 */
export function managementApi(flag: string, management: string | undefined, amqpUrl: string): ManagementApi {
  const brokerLogin = splitBrokerUrl(amqpUrl).login; // also refuses a broker URL that cannot be used
  const broker = new URL(amqpUrl);
  const tls = broker.protocol === 'amqps:';
  let base: URL;
  try {
    base = new URL(management ?? (tls ? `https://${broker.hostname}:15671` : `http://${broker.hostname}:15672`));
  } catch {
    throw new UsageError(`${flag} is not a valid URL: give http[s]://host[:port]`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new UsageError(`${flag} must be an http:// or https:// URL, not ${base.protocol}//`);
  }
  const own = base.username !== '' || base.password !== '';
  if (!own && tls && base.protocol === 'http:' && !LOOPBACK.test(base.hostname)) {
    const where = `${base.protocol}//${base.host}`;
    throw new UsageError(
      `${flag} ${where} would send the amqps:// broker's password in clear: ` +
        'give an https:// management URL (or a user of its own in the --management URL)',
    );
  }
  return { base, login: own ? splitBrokerUrl(base.toString()).login : brokerLogin };
}

/**
 * GET /api/queues/VHOST/NAME (the vhost of `amqpUrl`): the queue's fields as the management API
 * shows them, or undefined when the API does not answer, answers an error (no such queue, no
 * permission) or something that is not an object: callers then fall back on what AMQP tells.
 */
export async function managedQueue(
  { base, login }: ManagementApi,
  amqpUrl: string,
  queue: string,
): Promise<Record<string, unknown> | undefined> {
  const vhost = encodeURIComponent(splitBrokerUrl(amqpUrl).vhost);
  try {
    const response = await fetch(`${base.origin}/api/queues/${vhost}/${encodeURIComponent(queue)}`, {
      headers: { authorization: `Basic ${Buffer.from(`${login.user}:${login.password}`).toString('base64')}` },
      signal: AbortSignal.timeout(3_000),
    });
    if (!response.ok) return undefined;
    const answer: unknown = await response.json();
    return typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // not enabled, not reachable, or not JSON: the caller's fallback stands
  }
}
