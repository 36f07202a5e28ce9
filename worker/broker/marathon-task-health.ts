import { appIdPath } from './marathon-endpoint';
/** One task of a Marathon app, as Marathon lists it. */
export interface MarathonTask {
  readonly host?: string;
  readonly ports?: readonly number[];
  readonly state?: string;
  readonly healthCheckResults?: readonly { readonly alive?: boolean }[];
}

/** A Marathon app with its tasks: the answer to GET {@link appWithTasksPath}. */
export interface MarathonAppTasks {
  /** How many health checks the app defines. */
  readonly healthChecks: number;
  readonly tasks: readonly MarathonTask[];
}

/** The API path that answers an app's definition and its tasks in one call (so its health checks come along). */
export function appWithTasksPath(appId: string): string {
  return `/v2/apps/${appIdPath(appId)}?embed=app.tasks`;
}

/** Reads Marathon's answer to {@link appWithTasksPath}. */
export function readAppTasks(answer: unknown): MarathonAppTasks {
  const app = ((answer ?? {}) as { app?: { healthChecks?: unknown[]; tasks?: MarathonTask[] } }).app ?? {};
  return {
    healthChecks: Array.isArray(app.healthChecks) ? app.healthChecks.length : 0,
    tasks: Array.isArray(app.tasks) ? app.tasks : [],
  };
}

/** A task Marathon reports running (a task without a state is one from an API that lists only running ones). */
export function isRunning(task: MarathonTask): boolean {
  return task.state === undefined || task.state === 'TASK_RUNNING';
}

/**
 * The one health rule, for discovery and `workqueue status`: a running task is healthy when every health
 * check of its app has a passing result. An app without health checks: running is healthy. A task of an
 * app with checks that has no result for each yet (Marathon lists none before the first check ran) is not
 * healthy yet; any failing result makes a task unhealthy.
 */
export function isHealthy(task: MarathonTask, appHealthChecks: number): boolean {
  const results = task.healthCheckResults ?? [];
  return isRunning(task) && results.length >= appHealthChecks && results.every((r) => r.alive === true);
}
