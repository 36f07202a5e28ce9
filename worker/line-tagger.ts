import { whenDrained } from './output-drain';

const NEWLINE = 0x0a;

/** Copies one program's output stream to a target, line by line under a tag. */
export interface LineTagger {
  /**
   * Copies `chunk` to the target at once (nothing stays here, so nothing is lost at exit).
   * Undefined while the target takes more; else a promise to wait for before writing again:
   * the caller pauses the program's pipe meanwhile, so a slow reader slows the program.
   */
  write(chunk: Buffer): Promise<void> | undefined;
  /** The program's stream ended: ends an unfinished last line. */
  end(): void;
}

/**
 * Copies a program's output to `target`, each line prefixed with `tag`, so that output of
 * programs running side by side can be told apart. Bytes pass through unchanged and are not held
 * back until a line is complete, so a line needs no limit here.
 */
export function createLineTagger(tag: string, target: NodeJS.WritableStream): LineTagger {
  const prefix = Buffer.from(`[${tag}] `);
  let atLineStart = true;
  return {
    write(chunk) {
      const parts: Buffer[] = [];
      let start = 0;
      while (start < chunk.length) {
        if (atLineStart) parts.push(prefix);
        const newline = chunk.indexOf(NEWLINE, start);
        const end = newline === -1 ? chunk.length : newline + 1;
        parts.push(chunk.subarray(start, end));
        atLineStart = newline !== -1;
        start = end;
      }
      target.write(Buffer.concat(parts));
      return whenDrained(target);
    },
    end() {
      if (!atLineStart) target.write('\n');
      atLineStart = true;
    },
  };
}
