/**
 * Decodes a raw AMQP header table into values amqplib re-encodes with the same type tags and
 * bytes ({'!': type, value} for every number), so retry and dead-letter copies keep headers as
 * received. What amqplib cannot write is kept as close as it can (README, "Headers on copies"):
 * a long string that is not UTF-8 becomes a byte array ('x') with the same bytes; an int64 or
 * timestamp beyond 2^53 becomes its exact decimal text; a key that is not UTF-8 is decoded with
 * U+FFFD.
 */
export function decodeHeaderTable(raw: Buffer): Record<string, unknown> {
  return new Reader(raw).table(raw.length);
}

type Typed = { '!': string; value: unknown };

class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  table(end: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.at < end) {
      const len = this.buf[this.at++];
      const key = this.buf.toString('utf8', this.at, this.at + len);
      this.at += len;
      out[key] = this.value();
    }
    return out;
  }

  private value(): unknown {
    const b = this.buf;
    const tag = String.fromCharCode(b[this.at++]);
    const take = (n: number) => (this.at += n) - n;
    switch (tag) {
      case 't': return b[take(1)] !== 0;
      case 'b': return typed('int8', b.readInt8(take(1)));
      case 'B': return typed('uint8', b.readUInt8(take(1)));
      case 's': return typed('int16', b.readInt16BE(take(2)));
      case 'u': return typed('uint16', b.readUInt16BE(take(2)));
      case 'I': return typed('int32', b.readInt32BE(take(4)));
      case 'i': return typed('uint32', b.readUInt32BE(take(4)));
      case 'l': return bigOrTyped('int64', b.readBigInt64BE(take(8)));
      case 'T': return bigOrTyped('timestamp', b.readBigUInt64BE(take(8)));
      case 'f': return typed('float', b.readFloatBE(take(4)));
      case 'd': return typed('double', b.readDoubleBE(take(8)));
      case 'D': return typed('decimal', { places: b[take(1)], digits: b.readUInt32BE(take(4)) });
      case 'V': return null;
      case 'S': {
        const bytes = this.bytes();
        const text = bytes.toString('utf8');
        return Buffer.byteLength(text) === bytes.length && Buffer.from(text).equals(bytes) ? text : bytes;
      }
      case 'x': return this.bytes();
      case 'F': {
        const end = b.readUInt32BE(take(4)) + this.at;
        return this.table(end);
      }
      case 'A': {
        const end = b.readUInt32BE(take(4)) + this.at;
        const items: unknown[] = [];
        while (this.at < end) items.push(this.value());
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

function typed(type: string, value: unknown): Typed {
  return { '!': type, value };
}

function bigOrTyped(type: string, value: bigint): Typed | string {
  const n = Number(value);
  return Number.isSafeInteger(n) ? typed(type, n) : value.toString();
}
