import { whenDrained } from './output-drain';

const NEWLINE = 0x0a;

/** Copies one program's output stream to a target, line by line under a tag. */
export interface LineTagger {
  /**
   * Copies `chunk`'s complete lines to the target at once; an unfinished last line waits for its
   * newline or for end(), which the caller calls when the program's stream ends.
   * Undefined while the target takes more; else a promise to wait for before writing again:
   * the caller pauses the program's pipe meanwhile, so a slow reader slows the program.
   */
  write(chunk: Buffer): Promise<void> | undefined;
  /** The program's stream ended: ends an unfinished last line. */
  end(): void;
}

/**
 * Longest unfinished last line held back until its newline comes. Held back, a line reaches the
 * target in one write, so another writer (the worker's log, another program) cannot land in the
 * middle of it; longer ones are passed on at once. wq-spawn.c holds back the same amount (CHUNK).
 */
const HELD_LINE_MAX = 64 * 1024;

/**
 * Copies a program's output to `target`, each line prefixed with `tag`, so that output of
 * programs running side by side can be told apart. Bytes pass through unchanged; complete lines
 * are written at once, an unfinished last line when it ends (or grows past HELD_LINE_MAX).
 */
export function createLineTagger(tag: string, target: NodeJS.WritableStream): LineTagger {
  const prefix = Buffer.from(`[${tag}] `);
  let atLineStart = true;
  let held: Buffer[] = [];
  return {
    write(chunk) {
      const parts = held;
      held = [];
      let complete = 0;
      let start = 0;
      while (start < chunk.length) {
        if (atLineStart) parts.push(prefix);
        const newline = chunk.indexOf(NEWLINE, start);
        const end = newline === -1 ? chunk.length : newline + 1;
        parts.push(chunk.subarray(start, end));
        atLineStart = newline !== -1;
        if (atLineStart) complete = parts.length;
        start = end;
      }
      const rest = parts.slice(complete);
      if (rest.reduce((n, b) => n + b.length, 0) <= HELD_LINE_MAX) {
        held = rest.map((b) => Buffer.from(b)); // copies: the chunk's memory may be reused
        parts.length = complete;
      }
      if (parts.length === 0) return undefined;
      target.write(Buffer.concat(parts));
      return whenDrained(target);
    },
    end() {
      if (held.length > 0) target.write(Buffer.concat([...held, Buffer.from('\n')]));
      else if (!atLineStart) target.write('\n');
      held = [];
      atLineStart = true;
    },
  };
}
