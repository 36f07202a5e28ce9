import { FatalError, UsageError } from '../command-line/errors';
import { appIdPath, marathonEndpoint, type MarathonEndpoint } from '../broker/marathon-endpoint';
import { appWithTasksPath, readAppTasks, type MarathonAppTasks } from '../broker/marathon-task-health';

/** A Marathon error answer, with Marathon's own message. */
export class MarathonError extends FatalError {}

interface Deployment {
  readonly id: string;
  readonly affectedApps?: readonly string[];
  readonly currentStep?: number;
  readonly totalSteps?: number;
}

/** Marathon's REST API, the few calls workqueue needs. Auth: user:password@ in the URL, or $MARATHON_TOKEN. */
export class MarathonClient {
  private readonly marathon: MarathonEndpoint;

  /** Marathon from --marathon (`flag`), else $MARATHON_URL; the token from $MARATHON_TOKEN: every command so. */
  static fromFlags(flag: string | undefined, env: NodeJS.ProcessEnv, canForce = true): MarathonClient {
    return new MarathonClient(flag ?? env.MARATHON_URL, env.MARATHON_TOKEN, canForce);
  }

  /** `canForce`: the command has a --force flag, which Marathon's 409 answers then suggest. */
  constructor(
    url: string | undefined,
    token: string | undefined,
    private readonly canForce = true,
  ) {
    if (!url) throw new UsageError('no Marathon: pass --marathon URL or set $MARATHON_URL');
    try {
      this.marathon = marathonEndpoint(url, token);
    } catch {
      throw new UsageError('--marathon is not a URL: give http(s)://host:port');
    }
  }

  /** PUT /v2/apps/{id}?partialUpdate=false: creates (201) or replaces (200) the app; resolves the deployment id. */
  async putApp(app: Record<string, unknown>, force: boolean): Promise<{ status: number; deploymentId: string }> {
    const id = appIdPath(String(app.id));
    const query = `partialUpdate=false${force ? '&force=true' : ''}`;
    const { status, body } = await this.call('PUT', `/v2/apps/${id}?${query}`, app, `deploying /${id}`);
    return { status, deploymentId: String((body as { deploymentId?: string }).deploymentId ?? '') };
  }

  /** PUT /v2/apps/{id} with {instances}: Marathon's scale (a partial update). */
  async scale(appId: string, instances: number, force: boolean): Promise<string> {
    const id = appIdPath(appId);
    const { body } = await this.call(
      'PUT',
      `/v2/apps/${id}${force ? '?force=true' : ''}`,
      { instances },
      `scaling /${id}`,
    );
    return String((body as { deploymentId?: string }).deploymentId ?? '');
  }

  /** GET /v2/apps/{id}: the instances the app is set to (what scale() sets), running or not. */
  async instances(appId: string): Promise<number> {
    const id = appIdPath(appId);
    const { body } = await this.call('GET', `/v2/apps/${id}`, undefined, `reading /${id}`);
    const instances = (body as { app?: { instances?: unknown } } | undefined)?.app?.instances;
    // Marathon leaves out a default: an app put without instances has one.
    if (instances === undefined) return 1;
    if (typeof instances !== 'number' || !Number.isInteger(instances) || instances < 0)
      throw new MarathonError(`reading /${id}: Marathon's answer has no instance count`);
    return instances;
  }

  async deployments(): Promise<Deployment[]> {
    return (await this.call('GET', '/v2/deployments', undefined, 'listing deployments')).body as Deployment[];
  }

  /** The app's tasks, and how many health checks it defines (what a task's health is judged by). */
  async appTasks(appId: string): Promise<MarathonAppTasks> {
    const doing = `listing tasks of /${appIdPath(appId)}`;
    const { body } = await this.call('GET', appWithTasksPath(appId), undefined, doing);
    return readAppTasks(body);
  }

  private async call(
    method: string,
    path: string,
    payload: unknown,
    doing: string,
  ): Promise<{ status: number; body: unknown }> {
    let response: Response;
    try {
      const headers = { ...this.marathon.headers, 'content-type': 'application/json' };
      response = await fetch(this.marathon.url(path), {
        method,
        headers,
        body: payload === undefined ? undefined : JSON.stringify(payload),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new MarathonError(`${doing}: cannot reach Marathon at ${this.marathon.origin} (${(err as Error).message})`);
    }
    const textBody = await response.text();
    let body: unknown;
    try {
      body = textBody ? JSON.parse(textBody) : undefined;
    } catch {
      body = textBody;
    }
    if (response.ok) return { status: response.status, body };
    throw new MarathonError(`${doing}: ${describeError(response.status, body, this.canForce)}`);
  }
}

/** Marathon's own words for a failed call, with what to do about the common ones. */
function describeError(status: number, body: unknown, canForce: boolean): string {
  const b = (body ?? {}) as { message?: string; details?: { path?: string; errors?: string[] }[] };
  const message = b.message ?? (typeof body === 'string' && body ? body.slice(0, 300) : 'no message');
  if (status === 422 && b.details?.length) {
    const problems = b.details.map((d) => `${d.path ?? '/'}: ${(d.errors ?? []).join('; ')}`);
    return `Marathon rejected the app (422 ${message}): ${problems.join(' | ')}`;
  }
  if (status === 409)
    return (
      `Marathon answered 409 (${message}): the app is locked by a running deployment; ` +
      (canForce ? 'wait for it, or pass --force to override it' : 'wait for it')
    );
  if (status === 404) return `Marathon answered 404 (${message}): check the app id`;
  if (status === 401 || status === 403)
    return `Marathon answered ${status} (${message}): check the user:password in the Marathon URL or $MARATHON_TOKEN`;
  return `Marathon answered ${status} (${message})`;
}
