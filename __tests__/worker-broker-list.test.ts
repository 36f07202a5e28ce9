import { createServer } from 'node:net';
import { connectWithRetry } from '../worker/broker/connect';
import { brokerUrlList, checkBrokerUrls } from '../worker/broker/login';
import { brokerCandidates, connectionOrder } from '../worker/broker/url';
import { resolveOptions } from '../worker/consumer/options';
import type { Logger } from '../worker/observability/logger';
import { brokerUrl } from './helpers/amqp';

/** A logger that keeps its lines. */
function lines(): Logger & { readonly text: string[] } {
  const text: string[] = [];
  return { text, info: (m) => text.push(m), error: (m) => text.push(`error: ${m}`) };
}

const options = (url: string | readonly string[], more: Record<string, unknown> = {}, env = {}) =>
  resolveOptions({ url, queue: 'jobs', program: 'cat', ...more }, env);

describe('a list of broker URLs', () => {
  it('is cut at the commas a scheme follows; a comma inside a URL (a password) stays', () => {
    expect(brokerUrlList('amqp://u:a,b@h1:5672,amqp://u:p@h2, amqps://h3/vh')).toEqual([
      'amqp://u:a,b@h1:5672',
      'amqp://u:p@h2',
      'amqps://h3/vh',
    ]);
    expect(brokerUrlList('amqp://h1')).toEqual(['amqp://h1']);
  });

  it('takes repeated values and comma-separated lists, from the options and from $AMQP_URL, in order', () => {
    // GIVEN -u A,B -u C
    expect(options(['amqp://a,amqp://b', 'amqp://c']).urls).toEqual(['amqp://a', 'amqp://b', 'amqp://c']);
    // GIVEN AMQP_URL=A,B and no -u
    const fromEnv = resolveOptions({ queue: 'jobs', program: 'cat' }, { AMQP_URL: 'amqp://a,amqp://b' });
    expect(fromEnv.urls).toEqual(['amqp://a', 'amqp://b']);
    expect(fromEnv.url).toBe('amqp://a,amqp://b');
    // GIVEN one URL: a list of one, as before
    expect(options('amqp://u:p@a:5672/vh').urls).toEqual(['amqp://u:p@a:5672/vh']);
  });

  it.each([
    // Each URL is checked by the one checker, named by its place in the list.
    [['amqp://a,http://b'], /^--url \(URL 2 of 2\) must start with amqp:\/\/ or amqps:\/\/, not http:\/\//],
    [['amqp://a', 'amqp://u:%zz@b'], /^--url \(URL 2 of 2\): the password in the broker URL has a malformed %-escape/],
    // Host lists are not URL lists: said with the form to use.
    [['amqp://a,b'], /^--url has a ',' in its host \(a list of brokers separates whole URLs with commas: amqp:\/\//],
    [['amqp://u:p@a:5672,b:5672'], /^--url is not a valid URL: .* \(a list of brokers separates whole URLs/],
    [[], /^--url names no broker/],
  ])('refuses %j with a message naming the URL', (urls, message) => {
    expect(() => options(urls)).toThrow(message);
  });

  it('keeps the single-URL messages as they were', () => {
    expect(() => options('not a url')).toThrow(
      /^--url is not a valid URL: give amqp\[s\]:\/\/\[user:password@\]host\[:port\]\[\/vhost\]$/,
    );
    expect(() => options('amqp://a', { caFile: '/dev/null' })).toThrow(
      '--ca, --cert and --key need an amqps:// URL; --url is amqp://...',
    );
  });

  it('with --ca, --cert or --key, wants every URL amqps://', () => {
    expect(() => options('amqps://a,amqp://b', { caFile: '/dev/null' })).toThrow(
      '--ca, --cert and --key need amqps:// URLs, every one; --url (URL 2 of 2) is amqp://...',
    );
    expect(options('amqps://a,amqps://b', { caFile: '/dev/null' }).urls).toHaveLength(2);
  });

  it('with --broker, wants the URLs to agree on all but host and port', () => {
    const same = options('amqp://u:p@a:1/vh,amqp://u:p@b:2/vh', { broker: ['x', 'y'] });
    expect(same.brokers).toEqual(['x', 'y']);
    expect(() => options('amqp://u:p@a/vh,amqp://u:q@b/vh', { broker: 'x' })).toThrow(
      /with --broker, user, password, vhost and scheme come from --url: .*\(URL 2 of 2 differs from the first\)/,
    );
  });

  it('checkBrokerUrls names a single URL as given', () => {
    expect(checkBrokerUrls('$AMQP_URL', ['amqp://a'])).toEqual(['amqp://a']);
    expect(() => checkBrokerUrls('$AMQP_URL', ['ftp://a'])).toThrow(/^\$AMQP_URL must start with amqp/);
  });
});

describe('the order a connection attempt tries the brokers in', () => {
  const candidates = ['amqp://a', 'amqp://b', 'amqp://c'].map((url) => ({ url, priority: 0 }));

  it('is random: each node comes first for some draw', () => {
    const firsts = new Set([0, 0.4, 0.7, 0.99].map((r) => connectionOrder(candidates, undefined, () => r)[0].url));
    expect(firsts).toEqual(new Set(['amqp://a', 'amqp://b', 'amqp://c']));
  });

  it('puts the node just lost last, whatever the draw', () => {
    for (const r of [0, 0.4, 0.7, 0.99]) {
      const order = connectionOrder(candidates, 'amqp://b', () => r).map((c) => c.url);
      expect(order).toHaveLength(3);
      expect(order[2]).toBe('amqp://b');
    }
  });

  it('tries lower SRV priorities first', () => {
    const ranked = [
      { url: 'amqp://late', priority: 20 },
      { url: 'amqp://early', priority: 10 },
    ];
    for (const r of [0, 0.99]) expect(connectionOrder(ranked, undefined, () => r)[0].url).toBe('amqp://early');
  });

  it('with several --broker names, takes every node found, credentials and vhost from the URL', async () => {
    const log = lines();
    const found = await brokerCandidates(['amqp://u:p@unused/vh'], ['h1:1001', 'h2:1002'], log, {})();
    expect(found.map((c) => c.url)).toEqual(['amqp://u:p@h1:1001/vh', 'amqp://u:p@h2:1002/vh']);
    expect(log.text).toEqual([
      "broker 'h1:1001' found via hostname at h1:1001",
      "broker 'h2:1002' found via hostname at h2:1002",
    ]);
  });
});

describe('connecting with several URLs', () => {
  afterEach(() => jest.restoreAllMocks());

  it('goes on to the next URL when the first drawn cannot be reached', async () => {
    // GIVEN a URL where no broker listens, and the test broker's
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise((r) => server.close(r));
    const gone = `amqp://guest:guest@127.0.0.1:${port}`;
    // AND a draw that tries them in the order given
    jest.spyOn(Math, 'random').mockReturnValue(0.99);
    const log = lines();
    // WHEN the worker connects
    const connected = await connectWithRetry({
      candidates: async () => [gone, brokerUrl()].map((url) => ({ url, priority: 0 })),
      displayUrl: `${gone},${brokerUrl()}`,
      timeoutMs: 10_000,
      log,
      signal: new AbortController().signal,
    });
    // THEN it is connected to the second, and says the first could not be reached
    try {
      expect(connected?.url).toBe(brokerUrl());
      expect(log.text).toHaveLength(1);
      expect(log.text[0]).toMatch(
        new RegExp(`^connected to .* \\(one of 2 brokers; unreachable: .*:${port}: .*ECONNREFUSED`),
      );
    } finally {
      await connected?.connection.close();
    }
  });
});
