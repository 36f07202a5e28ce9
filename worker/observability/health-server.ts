import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FatalError } from '../command-line/errors';
import type { Logger } from './logger';
import type { Registry } from './prometheus';

export interface HealthSource {
  /** True while the process does its work (the worker: connected to the broker and consuming). */
  healthy(): boolean;
  readonly registry: Registry;
  /** What /healthz answers when not healthy. @default 'not consuming' */
  readonly unhealthyText?: string;
}

/** GET /healthz (200 or 503) and GET /metrics (Prometheus text) for orchestrators and scrapers. */
export class HealthServer {
  private readonly server: Server;
  private closed?: Promise<void>;

  constructor(private readonly source: HealthSource) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else if (path === '/healthz') {
        const ok = this.source.healthy();
        res
          .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
          .end(`${ok ? 'ok' : (this.source.unhealthyText ?? 'not consuming')}\n`);
      } else if (path === '/metrics') {
        this.source.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.source.registry.contentType }).end(text),
          (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
        );
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('try /healthz or /metrics\n');
      }
    });
  }

  /** Starts listening on every interface (containers are probed from outside); resolves the bound port. */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closed;
  }
}

/**
 * The health server of a command given --health-port, listening and announced; undefined without the flag. A port
 * that cannot be bound ends the command in one line.
 */
export async function serveHealth(
  port: number | undefined,
  source: HealthSource,
  log: Logger,
): Promise<HealthServer | undefined> {
  if (port === undefined) return undefined;
  const health = new HealthServer(source);
  const bound = await health.listen(port).catch((err: Error) => {
    throw new FatalError(`cannot serve health checks on port ${port}: ${err.message}`);
  });
  log.info(`health checks on http://0.0.0.0:${bound}/healthz, metrics on /metrics`);
  return health;
}
