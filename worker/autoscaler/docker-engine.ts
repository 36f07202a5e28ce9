import { request } from 'node:http';
import { FatalError, UsageError } from '../command-line/errors';
import { printable } from '../observability/printable';

/** Where the Docker engine listens unless $DOCKER_HOST names another unix socket. */
export const DOCKER_SOCKET = '/var/run/docker.sock';

/** A Docker Engine API error answer, with the engine's own message. */
export class DockerEngineError extends FatalError {}

/** The engine's unix socket: $DOCKER_HOST when it is unix://PATH, else /var/run/docker.sock. */
export function dockerSocket(env: NodeJS.ProcessEnv): string {
  const host = env.DOCKER_HOST;
  if (!host) return DOCKER_SOCKET;
  if (!host.startsWith('unix://')) {
    throw new UsageError(
      `$DOCKER_HOST must be unix:///path/to/docker.sock for --swarm-service, not '${printable(host, 60)}'`,
    );
  }
  return host.slice('unix://'.length);
}

/** How long one call may take: a stuck engine must not stall the controller. */
const CALL_TIMEOUT_MS = 30_000;

/** The Docker Engine API over its unix socket (node's http with socketPath): JSON in, JSON out. */
export class DockerEngine {
  constructor(readonly socketPath: string) {}

  /** Resolves the parsed answer of a 2xx; throws DockerEngineError with the engine's message otherwise. */
  call(method: string, path: string, doing: string, payload?: unknown): Promise<unknown> {
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers:
            body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: CALL_TIMEOUT_MS,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('error', (err) => reject(this.unreachable(doing, err)));
          res.on('end', () => {
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = text;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(parsed);
            const message = (parsed as { message?: unknown } | undefined)?.message;
            const words = typeof message === 'string' ? message : printable(text.slice(0, 300));
            reject(new DockerEngineError(`${doing}: the Docker engine answered ${status} (${printable(words)})`));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${CALL_TIMEOUT_MS / 1000} s`)));
      req.on('error', (err) => reject(this.unreachable(doing, err)));
      req.end(body);
    });
  }

  private unreachable(doing: string, err: Error): DockerEngineError {
    return new DockerEngineError(`${doing}: cannot reach the Docker engine at ${this.socketPath} (${err.message})`);
  }
}
