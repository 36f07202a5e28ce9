import { unescape } from 'node:querystring';
import { UsageError } from '../command-line/errors';

/** Who a broker URL logs in as, percent-escapes decoded as UTF-8: the text the broker hashed. */
export interface BrokerLogin {
  readonly user: string;
  readonly password: string;
}

/** A broker URL taken apart: where to connect (no credentials left in it) and who to log in as. */
export interface BrokerAddress {
  readonly address: string;
  readonly login: BrokerLogin;
  /** The virtual host the connection opens: the path without its '/', decoded as amqplib does; '/' when empty. */
  readonly vhost: string;
}

/** What a URL that cannot be parsed is told; never quotes the URL, which may hold the password. */
const UNPARSABLE =
  'the broker URL is not a valid URL: give amqp[s]://[user:password@]host[:port][/vhost]' +
  ' with @ / # ? % and non-ASCII characters in the user or password percent-encoded';

/**
 * What a URL with an '@' after its host is told: URL parsers end the authority at the first
 * unencoded / ? or # (`amqp://u:a/b@host` goes to host `u`, port `a`), so such a URL would send
 * the rest of the password elsewhere, as the vhost or a query. Never quotes the URL.
 */
const STRAY_AT =
  "the broker URL has an '@' after its host: a '/', '?' or '#' in the user or password" +
  ' must be percent-encoded (%2F, %3F, %23), and an @ in the vhost as %40';

/**
 * The connection tuning a broker URL's query may set (amqplib reads them there), with the values
 * the protocol allows: frame-max is 0 (no limit) or at least 4096, the others are 16-bit.
 * amqplib takes any text (NaN, -1) and the connection then fails in a way retrying cannot fix.
 */
const TUNING: Readonly<Record<string, { readonly min: number; readonly max: number; readonly orZero?: boolean }>> = {
  heartbeat: { min: 0, max: 65_535 },
  channelMax: { min: 0, max: 65_535 },
  frameMax: { min: 4096, max: 2 ** 32 - 1, orZero: true },
};

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
  if ((parsed.pathname + parsed.search + parsed.hash).includes('@')) throw new UsageError(STRAY_AT);
  checkTuning(parsed.searchParams);
  const login =
    parsed.username || parsed.password
      ? { user: decoded(parsed.username, 'user'), password: decoded(parsed.password, 'password') }
      : { user: 'guest', password: 'guest' };
  parsed.username = '';
  parsed.password = '';
  return { address: parsed.toString(), login, vhost: unescape(parsed.pathname.slice(1)) || '/' };
}

/**
 * Where a list of broker URLs is cut: at a comma that a scheme follows (`amqp://a,amqp://b`). A comma
 * anywhere else stays in its URL (a password may hold one), where the host check finds a stray one.
 */
const LIST_SEPARATOR = /,\s*(?=[a-z][a-z0-9+.-]*:\/\/)/i;

/** What a URL that a comma spoils is told (`amqp://a,b`, `amqp://a:5672,b:5672`). */
const LIST_HINT = ' (a list of brokers separates whole URLs with commas: amqp://host-a,amqp://host-b)';

/** The URLs of a comma-separated list of broker URLs (`amqp://u:p@a,amqp://u:p@b`); one URL is a list of one. */
export function brokerUrlList(value: string): string[] {
  return value.split(LIST_SEPARATOR).map((url) => url.trim());
}

/**
 * Checks every URL of one or more lists (each value as brokerUrlList reads it) with checkBrokerUrl and
 * returns them all, in order. One URL in all is named `source`, as ever; of several, each is named by
 * its place (`--url (URL 2 of 3)`).
 */
export function checkBrokerUrls(source: string, values: readonly string[]): string[] {
  const urls = values.flatMap(brokerUrlList);
  if (urls.length === 0) throw new UsageError(`${source} names no broker: give amqp[s]://host[:port]`);
  urls.forEach((url, i) =>
    checkBrokerUrl(urls.length === 1 ? source : `${source} (URL ${i + 1} of ${urls.length})`, url),
  );
  return urls;
}

/**
 * The one check of a broker URL given by a user: parses, amqp:// or amqps://, a host, and a login
 * that decodes. Messages name `source` (the flag or variable the URL came from), never the URL.
 */
export function checkBrokerUrl(source: string, url: string): void {
  const hint = url.includes(',') ? LIST_HINT : '';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${source} is not a valid URL: give amqp[s]://[user:password@]host[:port][/vhost]${hint}`);
  }
  if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') {
    throw new UsageError(`${source} must start with amqp:// or amqps://, not ${parsed.protocol}//`);
  }
  if (!parsed.hostname) throw new UsageError(`${source} has no host: give amqp://host[:port]`);
  if (parsed.hostname.includes(',')) throw new UsageError(`${source} has a ',' in its host${hint}`);
  try {
    splitBrokerUrl(url);
  } catch (err) {
    // The parser's own words, said of the flag the user typed.
    if (err instanceof UsageError) throw new UsageError(`${source}: ${err.message}`);
    throw err;
  }
}

function checkTuning(query: URLSearchParams): void {
  for (const [name, { min, max, orZero }] of Object.entries(TUNING)) {
    const value = query.get(name);
    if (value === null) continue;
    const n = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max) && !(orZero && n === 0)) {
      const range = `${orZero ? '0 or ' : ''}a whole number from ${min} to ${max}`;
      throw new UsageError(`the broker URL's ?${name}= must be ${range}, not '${value.slice(0, 20)}'`);
    }
  }
}

function decoded(escaped: string, what: string): string {
  try {
    return decodeURIComponent(escaped);
  } catch {
    throw new UsageError(`the ${what} in the broker URL has a malformed %-escape: write % itself as %25`);
  }
}
