import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../worker/errors';

/** What the constructs write to cdktf.out/stacks/<stack>/images/<image>.json for every image. */
export interface ImageManifest {
  readonly component: 'broker' | 'worker';
  readonly image: string;
  /** Build context, relative to the stack directory. */
  readonly context: string;
  readonly buildArgs: Readonly<Record<string, string>>;
}

/** The stack's images, optionally only those of one component. */
export function imageManifests(stackDir: string, component?: string): ImageManifest[] {
  if (component !== undefined && component !== 'broker' && component !== 'worker') {
    throw new UsageError(`'${component}' is not a component: use broker or worker`);
  }
  const dir = join(stackDir, 'images');
  const all = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ImageManifest)
    : [];
  const chosen = all.filter((m) => component === undefined || m.component === component);
  if (chosen.length === 0) throw new UsageError(`no ${component ?? ''} image in ${dir}: synthesize a stack with Broker or WorkQueueWorker constructs (--synth)`);
  return chosen;
}
