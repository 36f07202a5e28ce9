import { UsageError } from '../worker/command-line/errors';
import { COMPONENT_LABEL, QUEUE_LABEL } from '../constructs/app-labels';
import { appIdPath } from '../worker/broker/marathon-endpoint';
import { imageManifestNamed, type ImageManifest } from './image-manifests';
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

/** An app for a list of choices: its id, and its queue for a worker. */
export function describeApp(app: AppFile): string {
  const queue = labelOf(app, QUEUE_LABEL);
  return queue === undefined ? app.id : `${app.id} (queue ${queue})`;
}

/**
 * The apps that `words` name: each word an app id (with or without its '/'), else a component
 * (broker, worker: every app of it). An app id wins over a component of the same spelling.
 */
export function appsNamed(command: string, apps: readonly AppFile[], words: readonly string[]): AppFile[] {
  const chosen = new Set<AppFile>();
  for (const word of words) {
    const byId = apps.find((a) => a.id === normalAppId(word));
    const byComponent = apps.filter((a) => word === labelOf(a, COMPONENT_LABEL));
    if (!byId && byComponent.length === 0) {
      const have = apps.map(describeApp).join(', ') || 'none';
      throw new UsageError(`${command}: '${word}' is neither a synthesized app nor broker/worker (apps: ${have})`);
    }
    for (const app of byId ? [byId] : byComponent) chosen.add(app);
  }
  return apps.filter((a) => chosen.has(a));
}

/** The one app `word` names; several (a component with several apps) is refused with the choices. */
export function oneApp(command: string, apps: readonly AppFile[], word: string, example: string): AppFile {
  const found = appsNamed(command, apps, [word]);
  if (found.length > 1) throw ambiguous(command, found, example);
  return found[0];
}

/** A refusal to pick one of `apps` for the user: one line that lists them and shows how to name one. */
export function ambiguous(command: string, apps: readonly AppFile[], example: string): UsageError {
  const first = appIdPath(apps[0].id);
  const what = labelOf(apps[0], COMPONENT_LABEL) ?? 'matching';
  return new UsageError(
    `${command}: the stack has ${apps.length} ${what} apps; name one: ` +
      `${apps.map(describeApp).join(', ')} (e.g. ${example.replace('APP', first)})`,
  );
}

/** The image an app runs: the manifest of its container image's name (the tag taken off). */
export function appImage(stackDir: string, app: AppFile): ImageManifest {
  const container = app.definition.container as { docker?: { image?: unknown } } | undefined;
  const ref = container?.docker?.image;
  if (typeof ref !== 'string') throw new UsageError(`app ${app.id} names no container image in ${app.file}`);
  const name = ref.replace(/:[^:/]*$/, '');
  return imageManifestNamed(stackDir, name, app.id);
}
