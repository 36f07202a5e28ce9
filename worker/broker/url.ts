import { discoverBroker, type BrokerAddress, type DiscoveryEnv } from './discovery';
import { errorText, type Logger } from '../observability/logger';

/** One place to connect to: a broker URL, and its SRV priority (lower goes first; 0 otherwise). */
export interface BrokerCandidate {
  readonly url: string;
  readonly priority: number;
}

/**
 * The places to connect to, asked anew before every connection attempt: the URLs themselves, or
 * with --broker, every node each name was discovered at, with the host and port of the first URL
 * replaced (its credentials, vhost and query kept; options.ts makes sure the URLs agree on those).
 * A name that cannot be found is logged and left out while others are found; when none is, the attempt fails.
 */
export function brokerCandidates(
  urls: readonly string[],
  brokers: readonly string[],
  log: Logger,
  env: DiscoveryEnv = process.env,
): () => Promise<BrokerCandidate[]> {
  if (brokers.length === 0) {
    const fixed = urls.map((url) => ({ url, priority: 0 }));
    return () => Promise.resolve(fixed);
  }
  const template = urls[0];
  return async () => {
    const found = await Promise.allSettled(brokers.map((name) => discoverBroker(name, env)));
    const candidates = new Map<string, BrokerCandidate>();
    const failures: unknown[] = [];
    found.forEach((result, i) => {
      if (result.status === 'rejected') {
        failures.push(result.reason);
        return;
      }
      const where = result.value.map((a) => `${a.host}:${a.port}`).join(', ');
      log.info(`broker '${brokers[i]}' found via ${result.value[0].via} at ${where}`);
      for (const address of result.value) {
        const url = withAddress(template, address);
        if (!candidates.has(url)) candidates.set(url, { url, priority: address.priority });
      }
    });
    if (candidates.size === 0) {
      if (failures.length === 1) throw failures[0];
      throw new Error(failures.map(errorText).join('; '));
    }
    for (const failure of failures) log.info(`${errorText(failure)}; trying the brokers found`);
    return [...candidates.values()];
  };
}

function withAddress(url: string, address: BrokerAddress): string {
  const target = new URL(url);
  target.hostname = address.host;
  target.port = String(address.port);
  return target.toString();
}

/**
 * The order one connection attempt tries the candidates in: random (a fleet spreads over the
 * nodes), lower SRV priority first, and the URL of the connection just lost (`lost`) last, so that
 * a worker moves to another node rather than back to one going down.
 */
export function connectionOrder(
  candidates: readonly BrokerCandidate[],
  lost?: string,
  random: () => number = Math.random,
): BrokerCandidate[] {
  const order = [...candidates];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const rank = (c: BrokerCandidate) => (c.url === lost ? 1 : 0);
  // Array.prototype.sort is stable: the shuffle stands within equal ranks and priorities.
  return order.sort((a, b) => rank(a) - rank(b) || a.priority - b.priority);
}
