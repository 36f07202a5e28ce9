import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** One entry of a Docker build context: copied from `source`, or written from `content`. */
export interface ContextEntry {
  /** Path inside the context. */
  readonly path: string;
  readonly source?: string;
  readonly content?: string;
  readonly executable?: boolean;
}

/**
 * Writes a Docker build context into a directory of its own under the system temp directory,
 * keyed by `key` (the construct path), and returns it. cdktf's TerraformAsset then copies it into
 * cdktf.out, so the Terraform plan refers to a context that travels with it.
 */
export function writeBuildContext(key: string, entries: readonly ContextEntry[]): string {
  const dir = join(tmpdir(), 'workqueue-contexts', createHash('sha256').update(`${process.cwd()}\0${key}`).digest('hex').slice(0, 16));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const entry of entries) {
    const target = join(dir, entry.path);
    mkdirSync(dirname(target), { recursive: true });
    if (entry.source !== undefined) {
      if (statSync(entry.source).isDirectory()) cpSync(entry.source, target, { recursive: true });
      else cpSync(entry.source, target);
    } else {
      writeFileSync(target, entry.content ?? '');
    }
    if (entry.executable) chmodSync(target, 0o755);
  }
  return dir;
}
