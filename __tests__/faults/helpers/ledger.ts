import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One line a fixture program wrote: the message id, then whatever the test asked it to add. */
export interface Entry {
  readonly id: string;
  readonly fields: readonly string[];
}

/**
 * A file that fixture programs append one line to per processed message (appends of short
 * lines are atomic, so workers running side by side cannot mix them up).
 */
export class Ledger {
  readonly dir = mkdtempSync(join(tmpdir(), 'wq-faults-'));
  readonly file = join(this.dir, 'ledger');

  constructor() {
    appendFileSync(this.file, '');
  }

  /** argv of a program that runs `before` (shell, may exit), records "$WQ_MESSAGE_ID EXTRA" and exits 0. */
  program(before = '', extra = ''): string[] {
    return ['sh', '-c', `${before}\necho "$WQ_MESSAGE_ID ${extra}" >> "$0"`, this.file];
  }

  entries(): Entry[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [id, ...fields] = line.trim().split(/\s+/);
        return { id, fields };
      });
  }

  /** How many times each id was recorded. */
  counts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const { id } of this.entries()) out.set(id, (out.get(id) ?? 0) + 1);
    return out;
  }

  /** Ids of `expected` never recorded (nor in `deadLettered`), and the extra records beyond one each. */
  check(expected: readonly string[], deadLettered: readonly string[] = []): { missing: string[]; duplicates: number } {
    const counts = this.counts();
    const dead = new Set(deadLettered);
    const missing = expected.filter((id) => !counts.has(id) && !dead.has(id));
    let duplicates = 0;
    for (const n of counts.values()) duplicates += n - 1;
    return { missing, duplicates };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Ids m-0 … m-(n-1) with a prefix. */
export function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}
