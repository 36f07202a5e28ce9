import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../worker/command-line/errors';
import type { ComponentManifest } from '../constructs/component-manifest';

/** What the constructs write to cdktf.out/stacks/<stack>/images/<image>.json for every image, whatever the target. */
export type ImageManifest = ComponentManifest;

/**
 * Something of the stack a command can run or name, as the Marathon app it would be on Marathon: a worker
 * fleet (id `/${name}`), or one broker node (id `/${host}`). Read from the target-neutral manifests.
 */
export interface ComponentApp {
  readonly id: string;
  readonly component: 'broker' | 'worker';
  /** A worker's queue. */
  readonly queue: string | undefined;
  /** The RabbitMQ node name of a cluster node. */
  readonly nodeName: string | undefined;
  readonly manifest: ImageManifest;
}

/** The stack's images. */
export function imageManifests(stackDir: string): ImageManifest[] {
  const all = readManifests(stackDir);
  if (all.length === 0) {
    throw new UsageError(
      `no image in ${join(stackDir, 'images')}: synthesize a stack with Broker or WorkQueueWorker constructs (--synth)`,
    );
  }
  return all;
}

/** The stack's images; none when nothing is synthesized. */
export function readManifests(stackDir: string): ImageManifest[] {
  const dir = join(stackDir, 'images');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ImageManifest)
    : [];
}

/** The stack's components by app id (one per worker fleet and per broker node), sorted by id. */
export function componentApps(stackDir: string): ComponentApp[] {
  const apps = imageManifests(stackDir).flatMap((manifest): ComponentApp[] => {
    if (manifest.name === undefined) {
      // Written by a version before the neutral manifest: it says how to build, not what runs.
      throw new UsageError(`${join(stackDir, 'images', `${manifest.image}.json`)} is out of date: synthesize again`);
    }
    if (manifest.component === 'worker') {
      return [{ id: `/${manifest.name}`, component: 'worker', queue: manifest.queue, nodeName: undefined, manifest }];
    }
    return (manifest.nodes ?? [{ host: manifest.name }]).map((node) => ({
      id: `/${node.host}`,
      component: 'broker',
      queue: undefined,
      nodeName: node.nodeName,
      manifest,
    }));
  });
  return apps.sort((a, b) => a.id.localeCompare(b.id));
}

/** The queues the stack's worker fleets consume, each once, in file order. */
export function manifestQueues(stackDir: string): string[] {
  const queues = readManifests(stackDir).flatMap((m) => (m.component === 'worker' && m.queue ? [m.queue] : []));
  return [...new Set(queues)];
}
