import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../worker/command-line/errors';

/** What the constructs write to cdktf.out/stacks/<stack>/images/<image>.json for every image. */
export interface ImageManifest {
  readonly component: 'broker' | 'worker';
  readonly image: string;
  /** Build context, relative to the stack directory. */
  readonly context: string;
  readonly buildArgs: Readonly<Record<string, string>>;
}

/** The stack's images. */
export function imageManifests(stackDir: string): ImageManifest[] {
  const dir = join(stackDir, 'images');
  const all = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ImageManifest)
    : [];
  if (all.length === 0)
    throw new UsageError(`no image in ${dir}: synthesize a stack with Broker or WorkQueueWorker constructs (--synth)`);
  return all;
}

/** The manifest of image `name` (what app `appId` runs). */
export function imageManifestNamed(stackDir: string, name: string, appId: string): ImageManifest {
  const found = imageManifests(stackDir).find((m) => m.image === name);
  if (!found) {
    throw new UsageError(
      `app ${appId} runs image ${name}, which has no manifest in ${join(
        stackDir,
        'images',
      )}: synthesize again (--synth)`,
    );
  }
  return found;
}
