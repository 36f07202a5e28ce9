import { isIP } from 'node:net';
import * as amqp from 'amqplib';
import { splitBrokerUrl } from './login';
import { FatalError } from '../command-line/errors';
import { printable } from '../observability/printable';

/**
 * The broker closed the connection in answer to connection.open: the vhost does not exist, or the
 * user has no permissions on it (RabbitMQ's NOT_ALLOWED, whose text amqplib drops). Retrying
 * cannot fix either, so the worker stops as for refused credentials.
 */
export class VhostRefused extends FatalError {}

/**
 * Opens an amqplib connection to a broker URL.
 * amqplib would read the credentials from the URL itself, but it decodes them with `unescape`, which
 * takes %C3%A4 as two Latin-1 characters: a non-ASCII password went out UTF-8-encoded twice and was
 * refused. So the URL goes without credentials and the login as SASL PLAIN, encoded once.
 */
export function openBrokerConnection(url: string, options: Record<string, unknown> = {}): Promise<amqp.ChannelModel> {
  const { address, login, vhost } = splitBrokerUrl(url);
  const credentials = amqp.credentials.plain(login.user, login.password);
  const open = () => amqp.connect(address, { ...options, credentials });
  const opening = toIpOverTls(address) ? withoutIpServernameWarning(open) : open();
  return opening.catch((err: unknown) => {
    if (!(err instanceof Error && /^Expected ConnectionOpenOk; got <ConnectionClose/.test(err.message))) throw err;
    throw new VhostRefused(
      `the broker refused vhost '${printable(vhost)}' to user '${printable(login.user)}': ` +
        'the vhost does not exist, or the user has no permissions on it',
    );
  });
}

function toIpOverTls(address: string): boolean {
  const { protocol, hostname } = new URL(address);
  return protocol === 'amqps:' && isIP(hostname.replace(/^\[|\]$/g, '')) !== 0;
}

/**
 * Runs `open` without Node's DEP0123 warning (two lines on stderr: a TLS server name must not be
 * an IP address). amqplib sets the server name to the host whatever it is, and offers no way to
 * leave it out; the certificate is checked against the IP address all the same. Node emits the
 * warning synchronously inside tls.connect, which amqplib calls synchronously: only that call is
 * filtered, and only that warning.
 */
function withoutIpServernameWarning<T>(open: () => T): T {
  const emit = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, ...args: Parameters<typeof emit>) {
    const [, typeOrOptions, code] = args as unknown[];
    const named = typeof typeOrOptions === 'object' ? (typeOrOptions as { code?: unknown } | null)?.code : code;
    if (named !== 'DEP0123') emit.apply(this, args);
  } as typeof emit;
  try {
    return open();
  } finally {
    process.emitWarning = emit;
  }
}
