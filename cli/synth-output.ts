import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../worker/command-line/errors';
import { COMPONENT_LABEL, QUEUE_LABEL } from '../constructs/app-labels';

/** The synthesized stack directory: cdktf.out/stacks/<stack>, synthesized first when missing. */
export function stackDir(options: {
  readonly project: string;
  readonly stack?: string;
  readonly synth: boolean;
  readonly progress: (line: string) => void;
}): string {
  const out = resolve(options.project, 'cdktf.out', 'stacks');
  if (options.synth || !existsSync(out)) {
    options.progress(`synthesizing the stacks of ${options.project} (cdktf synth)...`);
    execFileSync('npx', ['cdktf', 'synth'], {
      cwd: options.project,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
    });
  }
  const stacks = existsSync(out) ? readdirSync(out) : [];
  const stack = options.stack ?? (stacks.length === 1 ? stacks[0] : undefined);
  if (!stack || !stacks.includes(stack)) {
    throw new UsageError(
      `no stack ${options.stack ? `'${options.stack}' ` : ''}in ${out} ` +
        `(found: ${stacks.join(', ') || 'none'}); name one with --stack`,
    );
  }
  return join(out, stack);
}

/** A Marathon app definition as synthesized. */
export interface AppFile {
  readonly id: string;
  readonly file: string;
  readonly definition: Record<string, unknown>;
  /** Its workqueue.component label: broker or worker. */
  readonly component: string | undefined;
  /** Its workqueue.queue label (a worker's queue). */
  readonly queue: string | undefined;
}

function label(definition: Record<string, unknown>, key: string): string | undefined {
  const value = (definition.labels as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The stack's Marathon apps, each after the apps it depends on (the broker before the workers). Only the
 * marathon target writes them.
 */
export function marathonApps(dir: string): AppFile[] {
  const folder = join(dir, 'marathon');
  if (!existsSync(folder)) {
    if (existsSync(join(dir, 'kubernetes'))) {
      throw new UsageError(
        `the stack in ${dir} is on the 'kubernetes' target, which has no Marathon apps: deploy it with ` +
          `cdktf deploy, or create its Secrets and run kubectl apply -f ${join(dir, 'kubernetes')} ` +
          '(README, "Kubernetes")',
      );
    }
    throw new UsageError(
      `no Marathon apps in ${dir}: synthesize a stack with Broker or WorkQueueWorker constructs ` +
        "on the 'marathon' target (only it writes Marathon apps)",
    );
  }
  const apps = readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const definition = JSON.parse(readFileSync(join(folder, f), 'utf8')) as Record<string, unknown>;
      const component = label(definition, COMPONENT_LABEL);
      return {
        id: String(definition.id),
        file: join(folder, f),
        definition,
        component,
        queue: label(definition, QUEUE_LABEL),
      };
    });
  const ordered: AppFile[] = [];
  const visit = (app: AppFile, path: string[]) => {
    if (ordered.includes(app)) return;
    if (path.includes(app.id))
      throw new UsageError(`Marathon apps depend on each other in a cycle: ${[...path, app.id].join(' → ')}`);
    for (const dep of (app.definition.dependencies as string[] | undefined) ?? []) {
      const target = apps.find((a) => a.id === dep);
      if (target) visit(target, [...path, app.id]);
    }
    ordered.push(app);
  };
  for (const app of [...apps].sort((a, b) => a.id.localeCompare(b.id))) visit(app, []);
  return ordered;
}
