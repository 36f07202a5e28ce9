import { Resolver } from 'node:dns/promises';
import { appIdPath, marathonEndpoint } from './marathon-endpoint';
import { appWithTasksPath, isHealthy, readAppTasks } from './marathon-task-health';

/** Where a broker was found, and how. */
export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
  readonly via: 'marathon' | 'srv' | 'hostname';
  /** The SRV record's priority (lower goes first); 0 for the other ways. */
  readonly priority: number;
}

export interface DiscoveryEnv {
  /** Marathon's base URL (may carry user:password@ for basic auth). */
  readonly MARATHON_URL?: string;
  /** DC/OS-style token, sent as `Authorization: token=...`. */
  readonly MARATHON_TOKEN?: string;
  /** Comma-separated DNS servers (host[:port]) for the SRV lookup instead of the system's. */
  readonly WQ_DNS_SERVERS?: string;
}

const AMQP_PORT = 5672;

/**
 * Finds every node of the broker called `name` (optionally NAME:PORT, which skips discovery), the
 * first way that knows it:
 * 1. with $MARATHON_URL: every running, healthy task of app NAME (GET /v2/apps/NAME?embed=app.tasks),
 *    each with its host and first port (the broker app maps AMQP first);
 * 2. every target of the Mesos-DNS SRV record _NAME._tcp.marathon.mesos;
 * 3. the plain host name NAME on port 5672 (Docker networks, Swarm, Kubernetes services).
 * Called again before every connection attempt, since brokers may have moved; the caller picks among them.
 */
export async function discoverBroker(name: string, env: DiscoveryEnv = process.env): Promise<BrokerAddress[]> {
  const explicit = /^(.+):(\d{1,5})$/.exec(name);
  if (explicit) return [{ host: explicit[1], port: Number(explicit[2]), via: 'hostname', priority: 0 }];
  if (env.MARATHON_URL) return fromMarathon(name, env.MARATHON_URL, env.MARATHON_TOKEN);
  const srv = await fromSrv(name, env.WQ_DNS_SERVERS);
  return srv ?? [{ host: name, port: AMQP_PORT, via: 'hostname', priority: 0 }];
}

async function fromMarathon(name: string, marathonUrl: string, token: string | undefined): Promise<BrokerAddress[]> {
  const marathon = marathonEndpoint(marathonUrl, token);
  const appId = appIdPath(name);
  const response = await fetch(marathon.url(appWithTasksPath(appId)), {
    headers: marathon.headers,
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`Marathon answered ${response.status} for app '/${appId}' at ${marathon.origin}`);
  const { healthChecks, tasks } = readAppTasks(await response.json());
  const usable = tasks.filter((t) => t.host && t.ports && t.ports.length > 0 && isHealthy(t, healthChecks));
  if (usable.length === 0)
    throw new Error(`Marathon app '/${appId}' has no running, healthy task yet (${tasks.length} task(s))`);
  return usable.map((task) => ({ host: task.host!, port: task.ports![0], via: 'marathon', priority: 0 }));
}

async function fromSrv(name: string, servers: string | undefined): Promise<BrokerAddress[] | undefined> {
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  if (servers)
    resolver.setServers(
      servers
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  try {
    const records = await resolver.resolveSrv(`_${name}._tcp.marathon.mesos`);
    if (records.length === 0) return undefined;
    return records
      .map((r) => ({ host: r.name, port: r.port, via: 'srv' as const, priority: r.priority }))
      .sort((a, b) => a.priority - b.priority);
  } catch {
    // No such record, or no DNS answering: the next way of finding the broker applies.
    return undefined;
  }
}
