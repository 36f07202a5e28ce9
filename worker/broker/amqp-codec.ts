import type { ChannelModel, MessageProperties, Options } from 'amqplib';
import { undecodableTable } from '../consumer/header-table';

/*
 * What amqplib's public API does not give, in one place: the header table of a delivery as it
 * came on the wire (amqplib decodes it lossily), and whether a publish's properties can be
 * encoded at all. Both use amqplib 0.10 internals (lib/connection, lib/frame, lib/defs,
 * lib/codec); a change there turns raw capture off (copies fall back to the decoded headers).
 */

interface Frame {
  readonly type: number;
  readonly channel: number;
  readonly payload: Buffer;
  /** What follows the frame in the read buffer. */
  readonly rest: Buffer;
}
interface ConnectionInternals {
  prototype: { recvFrame(this: { rest: Buffer }): unknown };
}
/* eslint-disable @typescript-eslint/no-require-imports -- amqplib's internals have no type declarations to import */
const { Connection } = require('amqplib/lib/connection') as { Connection: ConnectionInternals };
const { parseFrame } = require('amqplib/lib/frame') as { parseFrame(bin: Buffer): Frame | false };
const defs = require('amqplib/lib/defs') as {
  encodeProperties(id: number, channel: number, size: number, fields: object): Buffer;
  BasicProperties: number;
  constants: { FRAME_HEADER: number };
};
const Args = require('amqplib/lib/api_args') as {
  publish(exchange: string, key: string, options: Options.Publish): object;
};
const { encodeTable } = require('amqplib/lib/codec') as {
  encodeTable(buf: Buffer, table: object, offset: number): number;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * amqplib encodes a header table into a 64 KiB scratch buffer (lib/defs.js) and silently cuts
 * a bigger one, sending a corrupt frame that makes the broker close the connection.
 */
const AMQPLIB_TABLE_MAX = 65536;
/** Content-header payload offset of the property flags: class id, weight, body size. */
const PROPERTIES_AT = 12;
const HEADERS_FLAG = 0x2000;
const RAW_HEADERS = Symbol('wq raw header table');
const REFUSED_HEADERS = Symbol('wq header table not decoded');
const FRAME_END = 0xce;
/** Frame type (1), channel (2), payload size (4). */
const FRAME_HEADER_BYTES = 7;

let installed = false;

/**
 * Keeps the raw header table of every delivery next to amqplib's decoded properties (read with
 * rawHeaderTable). Wraps the frame reader: it peeks at the frame amqplib is about to decode.
 * A header table amqplib cannot decode safely (undecodableTable: nested so deep that its
 * recursive decoder overflows the stack, which drops the connection and brings the same message
 * back for ever) is replaced by an empty one in the frame before amqplib reads it; the delivery
 * keeps the original bytes and the reason (refusedHeaderTable).
 */
export function captureRawHeaders(): void {
  if (installed) return;
  installed = true;
  const proto = Connection?.prototype;
  if (typeof proto?.recvFrame !== 'function' || typeof parseFrame !== 'function') return;
  const original = proto.recvFrame;
  const FRAME_HEADER = defs.constants.FRAME_HEADER;
  proto.recvFrame = function (this: { rest: Buffer }) {
    const frame = this.rest ? parseFrame(this.rest) : false;
    const found = frame && frame.type === FRAME_HEADER ? headerTableAt(frame.payload) : undefined;
    const table = frame && found ? Buffer.from(frame.payload.subarray(found.start, found.end)) : undefined;
    const refused = table ? undecodableTable(table) : undefined;
    if (frame && found && refused) this.rest = withEmptyHeaderTable(frame, found);
    const decoded = original.call(this) as { fields?: object } | false;
    if (table && decoded && decoded.fields) {
      Object.defineProperty(decoded.fields, RAW_HEADERS, { value: table });
      if (refused) Object.defineProperty(decoded.fields, REFUSED_HEADERS, { value: refused });
    }
    return decoded;
  };
}

/** The header table (without its length) as received, when captured. */
export function rawHeaderTable(properties: MessageProperties): Buffer | undefined {
  return (properties as unknown as { [RAW_HEADERS]?: Buffer })[RAW_HEADERS];
}

/** Why the delivery's header table was not decoded (its headers read as empty), if it was not. */
export function refusedHeaderTable(properties: MessageProperties): string | undefined {
  return (properties as unknown as { [REFUSED_HEADERS]?: string })[REFUSED_HEADERS];
}

/** Where the header table's bytes are in a content-header payload, after its 4-byte length. */
interface TableAt {
  readonly start: number;
  readonly end: number;
}

/** The read buffer with its first frame's header table emptied: the frame is rewritten, its size fixed. */
function withEmptyHeaderTable(frame: Frame, table: TableAt): Buffer {
  const { payload } = frame;
  const emptied = Buffer.concat([payload.subarray(0, table.start - 4), Buffer.alloc(4), payload.subarray(table.end)]);
  const head = Buffer.alloc(FRAME_HEADER_BYTES);
  head.writeUInt8(frame.type, 0);
  head.writeUInt16BE(frame.channel, 1);
  head.writeUInt32BE(emptied.length, 3);
  return Buffer.concat([head, emptied, Buffer.from([FRAME_END]), frame.rest]);
}

/** Finds the header table in basic properties: it follows content-type and content-encoding. */
function headerTableAt(payload: Buffer): TableAt | undefined {
  const props = payload.subarray(PROPERTIES_AT);
  if (props.length < 2) return undefined;
  const flags = props.readUInt16BE(0);
  if (!(flags & HEADERS_FLAG) || flags & 1) return undefined; // continued flag words: not basic properties
  let at = 2;
  for (const flag of [0x8000, 0x4000]) if (flags & flag) at += 1 + props[at];
  if (at + 4 > props.length) return undefined;
  const start = PROPERTIES_AT + at + 4;
  const end = start + props.readUInt32BE(at);
  return end <= payload.length ? { start, end } : undefined;
}

/** Room to measure tables somewhat over amqplib's limit (bigger ones throw a RangeError). */
const MEASURE = Buffer.alloc(2 * AMQPLIB_TABLE_MAX);

/** Encoded size of a header table as amqplib would write it; throws what amqplib throws. */
export function encodedTableSize(table: object): number {
  try {
    return encodeTable(MEASURE, table, 0);
  } catch (err) {
    if (err instanceof RangeError && /"offset"/.test(err.message)) return Infinity; // past MEASURE
    throw err;
  }
}

/**
 * Why amqplib cannot publish these properties on a connection with `frameMax`, or undefined when
 * it can. Publishing unencodable properties on a confirm channel is worse than an error: amqplib
 * throws after queueing the confirm callback (confirms are then matched to the wrong messages),
 * or sends a frame that makes the broker close the connection.
 */
export function unpublishable(properties: Options.Publish, bodyLength: number, frameMax: number): string | undefined {
  try {
    if (properties.headers && encodedTableSize(properties.headers) > AMQPLIB_TABLE_MAX) {
      return `headers take more than ${AMQPLIB_TABLE_MAX} bytes`;
    }
    const frame = defs.encodeProperties(defs.BasicProperties, 0, bodyLength, Args.publish('', '', properties));
    if (frameMax > 0 && frame.length > frameMax) {
      return `properties take ${frame.length} bytes, more than the frame size ${frameMax}`;
    }
    return undefined;
  } catch (err) {
    return `properties cannot be encoded: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The frame size negotiated on a connection (0: no limit), from amqplib's connection object. */
export function frameMaxOf(connection: ChannelModel): number {
  return (connection as unknown as { connection?: { frameMax?: number } }).connection?.frameMax ?? 0;
}
