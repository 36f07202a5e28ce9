import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The root of this package (where images/ and dist/ live), from source or compiled code alike. */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    // The compiled tree carries a copy of package.json, so the root is where images/ is too.
    if (
      existsSync(manifest) &&
      existsSync(join(dir, 'images')) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'workqueue'
    )
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the workqueue package root above ${__dirname}`);
    dir = parent;
  }
}

/** A file of images/<image>/. */
export function imageFile(image: 'broker' | 'worker', file: string): string {
  return join(packageRoot(), 'images', image, file);
}

/** A bundle in dist/, built by `npm run build` (npm install runs it). */
function bundle(file: string, what: string): string {
  const path = join(packageRoot(), 'dist', file);
  if (!existsSync(path)) throw new Error(`the ${what} bundle ${path} is missing: run 'npm run build' first`);
  return path;
}

/** The bundled worker runtime. */
export function workerBundle(): string {
  return bundle('workqueue-worker.js', 'worker runtime');
}

/** The bundled workqueue-autoscaler, shipped in the worker image. */
export function autoscalerBundle(): string {
  return bundle('workqueue-autoscaler.js', 'autoscaler');
}

/**
 * The native spawn helper next to the bundle (built by `npm run build` where a C compiler is);
 * undefined without one: the worker then starts programs with Node's own spawn.
 */
export function spawnHelperBinary(): string | undefined {
  const helper = join(packageRoot(), 'dist', 'wq-spawn');
  return existsSync(helper) ? helper : undefined;
}
