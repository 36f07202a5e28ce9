import { discoverBroker, type DiscoveryEnv } from './discovery';
import type { Logger } from '../observability/logger';

/**
 * The URL to connect to, asked anew before every connection attempt: `url` itself, or with
 * --broker, `url` with its host and port replaced by where the broker was discovered.
 */
export function brokerUrlSource(
  url: string,
  broker: string | undefined,
  log: Logger,
  env: DiscoveryEnv = process.env,
): () => Promise<string> {
  if (broker === undefined) return () => Promise.resolve(url);
  return async () => {
    const found = await discoverBroker(broker, env);
    const target = new URL(url);
    target.hostname = found.host;
    target.port = String(found.port);
    log.info(`broker '${broker}' found via ${found.via} at ${found.host}:${found.port}`);
    return target.toString();
  };
}
