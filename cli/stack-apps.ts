import { UsageError } from '../worker/command-line/errors';
import { appIdPath } from '../worker/broker/marathon-endpoint';
import type { AppFile } from './synth-output';

export type Component = 'broker' | 'worker';

/** A Marathon app id as Marathon writes it: one leading '/' ('worker', '//worker' → '/worker'). */
export function normalAppId(name: string): string {
  return `/${appIdPath(name)}`;
}

export function labelOf(app: AppFile, key: string): string | undefined {
  const labels = app.definition.labels as Record<string, unknown> | undefined;
  const value = labels?.[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * What the commands name: a Marathon app (deploy, scale) or a component of the neutral manifests
 * (run-local, build), both by app id.
 */
export interface NamedApp {
  readonly id: string;
  /** broker or worker; undefined for an app the constructs did not label. */
  readonly component: string | undefined;
  readonly queue: string | undefined;
}

/** An app for a list of choices: its id, and its queue for a worker. */
export function describeApp(app: NamedApp): string {
  return app.queue === undefined ? app.id : `${app.id} (queue ${app.queue})`;
}

/**
 * The apps that `words` name: each word an app id (with or without its '/'), else a component
 * (broker, worker: every app of it). An app id wins over a component of the same spelling.
 */
export function appsNamed<T extends NamedApp>(command: string, apps: readonly T[], words: readonly string[]): T[] {
  const chosen = new Set<T>();
  for (const word of words) {
    const byId = apps.find((a) => a.id === normalAppId(word));
    const byComponent = apps.filter((a) => word === a.component);
    if (!byId && byComponent.length === 0) {
      const have = apps.map(describeApp).join(', ') || 'none';
      throw new UsageError(`${command}: '${word}' is neither a synthesized app nor broker/worker (apps: ${have})`);
    }
    for (const app of byId ? [byId] : byComponent) chosen.add(app);
  }
  return apps.filter((a) => chosen.has(a));
}

/** The one app `word` names; several (a component with several apps) is refused with the choices. */
export function oneApp<T extends NamedApp>(command: string, apps: readonly T[], word: string, example: string): T {
  const found = appsNamed(command, apps, [word]);
  if (found.length > 1) throw ambiguous(command, found, example);
  return found[0];
}

/** A refusal to pick one of `apps` for the user: one line that lists them and shows how to name one. */
export function ambiguous(command: string, apps: readonly NamedApp[], example: string): UsageError {
  const first = appIdPath(apps[0].id);
  const what = apps[0].component ?? 'matching';
  return new UsageError(
    `${command}: the stack has ${apps.length} ${what} apps; name one: ` +
      `${apps.map(describeApp).join(', ')} (e.g. ${example.replace('APP', first)})`,
  );
}
