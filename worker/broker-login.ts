import { UsageError } from './errors';

/** Who a broker URL logs in as, percent-escapes decoded as UTF-8: the text the broker hashed. */
export interface BrokerLogin {
  readonly user: string;
  readonly password: string;
}

/** A broker URL taken apart: where to connect (no credentials left in it) and who to log in as. */
export interface BrokerAddress {
  readonly address: string;
  readonly login: BrokerLogin;
}

/** What a URL that cannot be parsed is told; never quotes the URL, which may hold the password. */
const UNPARSABLE = 'the broker URL is not a valid URL: give amqp[s]://[user:password@]host[:port][/vhost]'
  + ' with @ / # ? % and non-ASCII characters in the user or password percent-encoded';

/**
 * Splits a broker URL. The one parser for the credentials in a broker URL: connections, redaction
 * and the management API all read them here.
 * Like amqplib, a URL without user and password logs in as guest/guest.
 */
export function splitBrokerUrl(url: string): BrokerAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(UNPARSABLE);
  }
  const login = parsed.username || parsed.password
    ? { user: decoded(parsed.username, 'user'), password: decoded(parsed.password, 'password') }
    : { user: 'guest', password: 'guest' };
  parsed.username = '';
  parsed.password = '';
  return { address: parsed.toString(), login };
}

function decoded(escaped: string, what: string): string {
  try {
    return decodeURIComponent(escaped);
  } catch {
    throw new UsageError(`the ${what} in the broker URL has a malformed %-escape: write % itself as %25`);
  }
}
