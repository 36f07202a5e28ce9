import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * One entry of a Docker build context: a regular file copied from `source` or written from `content`,
 * or a directory.
 */
export interface ContextEntry {
  /** Path inside the context. */
  readonly path: string;
  /** A regular file (never a directory or link: what enters the image is chosen entry by entry). */
  readonly source?: string;
  readonly content?: string;
  readonly directory?: boolean;
  readonly executable?: boolean;
  /** Permission bits of the copy. @default those of `source`, or 0644 */
  readonly mode?: number;
}

/** Context directories of this process, removed when it exits. */
const written = new Set<string>();

/**
 * Writes a Docker build context into a new directory of its own under the system temp directory
 * and returns it. cdktf's TerraformAsset copies it into cdktf.out at synth (its path there
 * follows the content), so the Terraform plan refers to a context that travels with it. A
 * directory per construct, never shared: stacks synthesized side by side cannot overwrite each
 * other's context; it is removed when the process exits.
 */
export function writeBuildContext(entries: readonly ContextEntry[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'workqueue-context-'));
  if (written.size === 0)
    process.once('exit', () => written.forEach((d) => rmSync(d, { recursive: true, force: true })));
  written.add(dir);
  for (const entry of entries) {
    const target = join(dir, entry.path);
    if (entry.directory) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    if (entry.source !== undefined) copyFileSync(entry.source, target);
    else writeFileSync(target, entry.content ?? '');
    if (entry.executable) chmodSync(target, 0o755);
    else if (entry.mode !== undefined) chmodSync(target, entry.mode);
  }
  return dir;
}
