import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { marathonValidator } from './marathon-schema';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/**
 * An HTTP server that answers like Marathon's REST API (see ../shared/marathon/README.md):
 * PUT /v2/apps/{id} creates (201) or updates (200) and answers {deploymentId, version} with a
 * Marathon-Deployment-Id header; a body that fails Marathon's app schema gets 422 with details;
 * a locked app gets 409 unless ?force=true; GET /v2/deployments lists running deployments, each
 * finishing after two polls; GET /v2/apps/{id}/tasks lists the tasks the test gave; GET /v2/apps/{id}
 * answers {app} (the app as put or set in `apps`, else just its id), with ?embed=app.tasks its tasks too.
 * With `authorization` set, a request without that Authorization header gets 401, as Marathon with auth does.
 */
export class MarathonStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly apps = new Map<string, Record<string, unknown>>();
  readonly locked = new Set<string>();
  tasks: (appId: string) => unknown[] | undefined = () => undefined;
  /** The Authorization header every request must carry ('Basic ...'); undefined: no auth. */
  authorization?: string;
  private readonly deployments = new Map<string, { apps: string[]; polls: number }>();
  private readonly validate = marathonValidator();
  private readonly server: Server;
  port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://marathon');
        const body = raw ? (JSON.parse(raw) as unknown) : undefined;
        this.requests.push({
          method: req.method ?? '',
          url: `${url.pathname}${url.search}`,
          headers: req.headers,
          body,
        });
        const send = (status: number, payload: unknown, headers: Record<string, string> = {}) =>
          res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
        if (this.authorization !== undefined && req.headers.authorization !== this.authorization) {
          return send(401, { message: 'Invalid username or password.' });
        }
        const tasks = /^\/v2\/apps\/(.+)\/tasks$/.exec(url.pathname);
        const app = /^\/v2\/apps\/(.+)$/.exec(url.pathname);
        if (req.method === 'GET' && url.pathname === '/v2/deployments') {
          const running = [...this.deployments.entries()].map(([id, d]) => ({
            id,
            affectedApps: d.apps,
            currentStep: 1,
            totalSteps: 1,
          }));
          for (const [id, d] of this.deployments) if (++d.polls >= 2) this.deployments.delete(id);
          return send(200, running);
        }
        if (req.method === 'GET' && tasks) {
          const list = this.tasks(`/${tasks[1]}`);
          return list ? send(200, { tasks: list }) : send(404, { message: `App '/${tasks[1]}' does not exist` });
        }
        if (req.method === 'GET' && app) {
          const id = `/${app[1]}`;
          const [known, list] = [this.apps.get(id), this.tasks(id)];
          if (!known && !list) return send(404, { message: `App '${id}' does not exist` });
          const embedTasks = url.searchParams.getAll('embed').includes('app.tasks');
          return send(200, { app: { ...(known ?? { id }), ...(embedTasks ? { tasks: list ?? [] } : {}) } });
        }
        if (req.method === 'PUT' && app) {
          const id = `/${app[1]}`;
          if (this.locked.has(id) && url.searchParams.get('force') !== 'true') {
            return send(409, {
              message: `App is locked by one or more deployments. Override with the option '?force=true'.`,
              deployments: [{ id: 'locking-deployment' }],
            });
          }
          const partial = url.searchParams.get('partialUpdate') !== 'false';
          const existed = this.apps.has(id);
          const next = { ...(partial ? (this.apps.get(id) ?? {}) : {}), ...(body as Record<string, unknown>), id };
          const errors = this.validate(next);
          if (errors.length)
            return send(422, {
              message: 'Object is not valid',
              details: errors.map((e) => ({ path: e.split(' ')[0], errors: [e.slice(e.indexOf(' ') + 1)] })),
            });
          this.apps.set(id, next);
          const deploymentId = randomUUID();
          this.deployments.set(deploymentId, { apps: [id], polls: 0 });
          return send(
            existed ? 200 : 201,
            { deploymentId, version: new Date().toISOString() },
            { 'Marathon-Deployment-Id': deploymentId },
          );
        }
        return send(404, { message: `no route ${req.method} ${url.pathname}` });
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

/**
 * A running task as Marathon's API documentation shows one (GET /v2/apps/{id}/tasks): no health
 * check results, since its app defines none.
 */
export function marathonExampleTask(appId: string, host: string, port: number): Record<string, unknown> {
  return {
    appId,
    host,
    id: `${appId.replace(/^\//, '')}.3a43e6b2-bc0f-11e5-9a5c-0242ac110002`,
    ports: [port],
    servicePorts: [10000],
    stagedAt: '2016-01-16T11:07:11.373Z',
    startedAt: '2016-01-16T11:07:12.297Z',
    state: 'TASK_RUNNING',
    version: '2016-01-16T11:07:10.884Z',
  };
}
