/**
 * Decodes a raw AMQP header table into values amqplib re-encodes with the same type tags and
 * bytes ({'!': type, value} for every number), so retry and dead-letter copies keep headers as
 * received. What amqplib cannot write is kept as close as it can (README, "Headers on copies"):
 * a long string that is not UTF-8 becomes a byte array ('x') with the same bytes; an int64 or
 * timestamp beyond 2^53 becomes its exact decimal text; a key that is not UTF-8 is decoded with
 * U+FFFD.
 */
export function decodeHeaderTable(raw: Buffer): Record<string, unknown> {
  return new Reader(raw).table(raw.length, 0);
}

/**
 * Deepest nesting of tables and arrays a header table may have. Decoders (amqplib's, this file's,
 * a program's JSON parser for WQ_HEADERS) recurse once or twice per level: thousands of levels fit
 * in one frame and overflow their stack. Real headers nest a few levels (x-death: 3); 64 is far
 * above any producer's need and far below any stack limit.
 */
export const MAX_TABLE_DEPTH = 64;
const TOO_DEEP = `the header table nests deeper than ${MAX_TABLE_DEPTH} levels`;

const FIXED_SIZE: Readonly<Record<string, number>> = {
  t: 1,
  b: 1,
  B: 1,
  s: 2,
  u: 2,
  I: 4,
  i: 4,
  l: 8,
  T: 8,
  f: 4,
  d: 8,
  D: 5,
  V: 0,
};

/**
 * Why a raw header table cannot be decoded safely (nested deeper than MAX_TABLE_DEPTH, an
 * unknown field type, a length past its end), or undefined when it can. Scans without
 * recursion, so that any depth is measured without using the stack.
 */
export function undecodableTable(raw: Buffer): string | undefined {
  const ends: number[] = [raw.length];
  const inTable: boolean[] = [true];
  let at = 0;
  while (ends.length > 0) {
    const level = ends.length - 1;
    if (at >= ends[level]) {
      if (at > ends[level]) return 'a length in the header table runs past its end';
      ends.pop();
      inTable.pop();
      continue;
    }
    if (inTable[level]) at += 1 + raw[at]; // the key
    if (at >= raw.length) return 'the header table ends inside an entry';
    const tag = String.fromCharCode(raw[at++]);
    if (tag in FIXED_SIZE) {
      at += FIXED_SIZE[tag];
      continue;
    }
    if (at + 4 > raw.length) return 'the header table ends inside an entry';
    const end = at + 4 + raw.readUInt32BE(at);
    at += 4;
    if (tag === 'S' || tag === 'x') at = end;
    else if (tag === 'F' || tag === 'A') {
      if (ends.length > MAX_TABLE_DEPTH) return TOO_DEEP;
      ends.push(end);
      inTable.push(tag === 'F');
    } else return `unknown field type ${JSON.stringify(tag)} in the header table`;
  }
  return undefined;
}

/**
 * Sets `key` as an own, ordinary entry: `__proto__` included (assigned, it would replace the
 * object's prototype instead, and a table value's entries would show up as the object's own).
 */
export function setEntry(table: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(table, key, { value, enumerable: true, writable: true, configurable: true });
}

type Typed = { '!': string; value: unknown };

class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  /** A table's entries; a key given twice keeps its last value (one object, one value a key). */
  table(end: number, depth: number): Record<string, unknown> {
    nestingAllowed(depth);
    const out: Record<string, unknown> = {};
    while (this.at < end) {
      const len = this.buf[this.at++];
      const key = this.buf.toString('utf8', this.at, this.at + len);
      this.at += len;
      setEntry(out, key, this.value(depth));
    }
    return out;
  }

  private value(depth: number): unknown {
    const b = this.buf;
    const tag = String.fromCharCode(b[this.at++]);
    const take = (n: number) => (this.at += n) - n;
    switch (tag) {
      case 't':
        return b[take(1)] !== 0;
      case 'b':
        return typed('int8', b.readInt8(take(1)));
      case 'B':
        return typed('uint8', b.readUInt8(take(1)));
      case 's':
        return typed('int16', b.readInt16BE(take(2)));
      case 'u':
        return typed('uint16', b.readUInt16BE(take(2)));
      case 'I':
        return typed('int32', b.readInt32BE(take(4)));
      case 'i':
        return typed('uint32', b.readUInt32BE(take(4)));
      case 'l':
        return bigOrTyped('int64', b.readBigInt64BE(take(8)));
      case 'T':
        return bigOrTyped('timestamp', b.readBigUInt64BE(take(8)));
      case 'f':
        return typed('float', b.readFloatBE(take(4)));
      case 'd':
        return typed('double', b.readDoubleBE(take(8)));
      case 'D':
        return typed('decimal', { places: b[take(1)], digits: b.readUInt32BE(take(4)) });
      case 'V':
        return null;
      case 'S': {
        const bytes = this.bytes();
        const text = bytes.toString('utf8');
        return Buffer.byteLength(text) === bytes.length && Buffer.from(text).equals(bytes) ? text : bytes;
      }
      case 'x':
        return this.bytes();
      case 'F': {
        const end = b.readUInt32BE(take(4)) + this.at;
        return this.table(end, depth + 1);
      }
      case 'A': {
        const end = b.readUInt32BE(take(4)) + this.at;
        nestingAllowed(depth + 1);
        const items: unknown[] = [];
        while (this.at < end) items.push(this.value(depth + 1));
        return items;
      }
      default:
        throw new TypeError(`unknown field type ${JSON.stringify(tag)} in a header table`);
    }
  }

  private bytes(): Buffer {
    const len = this.buf.readUInt32BE(this.at);
    this.at += 4 + len;
    return Buffer.from(this.buf.subarray(this.at - len, this.at));
  }
}

/** Bounds the reader's recursion: as deep as a hostile table goes, it would overflow the stack. */
function nestingAllowed(depth: number): void {
  if (depth > MAX_TABLE_DEPTH) throw new TypeError(TOO_DEEP);
}

function typed(type: string, value: unknown): Typed {
  return { '!': type, value };
}

function bigOrTyped(type: string, value: bigint): Typed | string {
  const n = Number(value);
  return Number.isSafeInteger(n) ? typed(type, n) : value.toString();
}
