import { Writable } from 'node:stream';

const NEWLINE = 0x0a;

/**
 * A stream that copies a program's output to `target`, each line prefixed with `tag`, so that
 * output of programs running side by side can be told apart. Bytes pass through unchanged.
 */
export function createLineTagger(tag: string, target: NodeJS.WritableStream): Writable {
  const prefix = Buffer.from(`[${tag}] `);
  let atLineStart = true;
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
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
      done();
    },
    final(done) {
      if (!atLineStart) target.write('\n');
      done();
    },
  });
}
