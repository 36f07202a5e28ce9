const NEWLINE = 0x0a;

/**
 * Longest line (in bytes, without its newline) a splitter keeps whole. Answers are a few hundred
 * bytes and an error text is cut to a few KB before it goes anywhere, so 1 MiB is far above any
 * real line, yet bounds the memory a program's output can take: at most this much per stream.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

export interface LineEvents {
  /** A complete line, without its newline; the bytes as the program wrote them. */
  line(line: Buffer): void;
  /**
   * A line grew past the maximum: `head` is its first bytes (cut at a character boundary). The
   * rest of that line, up to its newline, is dropped without being kept.
   */
  tooLong(head: Buffer): void;
}

/**
 * Splits a byte stream fed in chunks into lines. Each byte is looked at once (pending bytes stay
 * a list of chunks, joined only when their line is complete), and lines are whole before anyone
 * decodes them, so a UTF-8 character split across two chunks arrives intact.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private size = 0;
  /** Inside a line that was too long: dropping bytes up to the next newline. */
  private dropping = false;

  constructor(
    private readonly events: LineEvents,
    private readonly max: number = MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!this.dropping) this.take(chunk.subarray(start, end));
      if (newline === -1) return;
      if (this.dropping) this.dropping = false;
      else this.events.line(this.takeAll());
      start = newline + 1;
    }
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): void {
    if (!this.dropping && this.size > 0) this.events.line(this.takeAll());
    this.dropping = false;
    this.takeAll();
  }

  private take(piece: Buffer): void {
    if (this.size + piece.length > this.max) {
      this.pending.push(piece.subarray(0, this.max - this.size));
      this.size = this.max;
      const head = this.takeAll();
      this.dropping = true;
      this.events.tooLong(head.subarray(0, wholeCharacters(head)));
      return;
    }
    if (piece.length === 0) return;
    this.pending.push(piece);
    this.size += piece.length;
  }

  private takeAll(): Buffer {
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.size);
    this.pending = [];
    this.size = 0;
    return all;
  }
}

/** How many leading bytes of `bytes` hold whole UTF-8 characters: a cut may split the last one. */
function wholeCharacters(bytes: Buffer): number {
  let lead = bytes.length - 1;
  // Continuation bytes are 10xxxxxx; a character is at most 4 bytes long.
  while (lead > 0 && bytes.length - lead < 4 && (bytes[lead] & 0xc0) === 0x80) lead--;
  const b = bytes[lead];
  const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return lead + length <= bytes.length ? bytes.length : lead;
}
