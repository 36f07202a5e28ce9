import { execFileSync } from 'node:child_process';
import { brokerUrl } from './amqp';

/**
 * A third-party producer and reader (Debian's python3-pika), for what amqplib cannot imitate:
 * properties with NUL or invalid UTF-8, header tables with any wire type. Bytes travel as base64.
 */

/** Short-string properties as bytes (pika sends them as they are), or numbers. */
export interface PikaProperties {
  readonly messageId?: Buffer | string;
  readonly correlationId?: Buffer | string;
  readonly contentType?: Buffer | string;
  readonly expiration?: Buffer | string;
  readonly userId?: Buffer | string;
  readonly deliveryMode?: number;
}

export interface PikaMessage {
  readonly body?: Buffer | string;
  readonly properties?: PikaProperties;
  /** A header table exactly as it goes on the wire, without its 4-byte length (see `table`). */
  readonly rawHeaders?: Buffer;
}

export interface PikaReceived {
  readonly body: Buffer;
  /** Short-string properties as bytes, numbers as numbers. */
  readonly properties: Record<string, Buffer | number>;
  /** The header table as it came on the wire: key bytes -> type tag + value bytes. */
  readonly headers: Map<string, Buffer>;
}

const SCRIPT = String.raw`
import base64, json, struct, sys
import pika
from pika import data, spec

SHORT = ('message_id', 'correlation_id', 'content_type', 'expiration', 'user_id')

class Raw(dict):
    pass

encode_table = data.encode_table
def raw_table(pieces, table):
    if isinstance(table, Raw):
        pieces.append(struct.pack('>I', len(table.raw)))
        pieces.append(table.raw)
        return 4 + len(table.raw)
    return encode_table(pieces, table)
data.encode_table = raw_table

decode = spec.BasicProperties.decode
def keep_raw(self, encoded, offset=0):
    self.raw = bytes(encoded[offset:])
    return decode(self, encoded, offset)
spec.BasicProperties.decode = keep_raw

FIXED = {b't': 1, b'b': 1, b'B': 1, b's': 2, b'u': 2, b'I': 4, b'i': 4,
         b'l': 8, b'T': 8, b'f': 4, b'd': 8, b'D': 5, b'V': 0}
def split_table(raw):
    # key -> tag + value bytes, as on the wire
    out, at = [], 0
    while at < len(raw):
        n = raw[at]; key = raw[at + 1:at + 1 + n]; at += 1 + n
        tag = raw[at:at + 1]
        size = FIXED[tag] if tag in FIXED else 4 + struct.unpack_from('>I', raw, at + 1)[0]
        out.append([base64.b64encode(key).decode(), base64.b64encode(raw[at:at + 1 + size]).decode()])
        at += 1 + size
    return out

def headers_of(raw):
    flags = struct.unpack_from('>H', raw, 0)[0]; at = 2
    if not flags & 0x2000: return []
    for flag in (0x8000, 0x4000):
        if flags & flag: at += 1 + raw[at]
    n = struct.unpack_from('>I', raw, at)[0]
    return split_table(raw[at + 4:at + 4 + n])

req = json.load(sys.stdin)
conn = pika.BlockingConnection(pika.URLParameters(req['url']))
ch = conn.channel()
if req['op'] == 'publish':
    ch.confirm_delivery()
    for m in req['messages']:
        props = {k: base64.b64decode(v) if k in SHORT else v for k, v in m['properties'].items()}
        if 'rawHeaders' in m:
            props['headers'] = Raw(); props['headers'].raw = base64.b64decode(m['rawHeaders'])
        ch.basic_publish('', req['queue'], base64.b64decode(m['body']), pika.BasicProperties(**props))
    print(json.dumps([]))
else:
    out = []
    while True:
        method, props, body = ch.basic_get(req['queue'], auto_ack=True)
        if method is None: break
        p = {}
        for k in SHORT + ('delivery_mode', 'priority', 'timestamp'):
            v = getattr(props, k)
            if v is None: continue
            if k in SHORT:
                v = base64.b64encode(v if isinstance(v, bytes) else v.encode()).decode()
            p[k] = v
        out.append({'body': base64.b64encode(body).decode(), 'properties': p, 'headers': headers_of(props.raw)})
    print(json.dumps(out))
conn.close()
`;

const SNAKE: Record<string, string> = {
  messageId: 'message_id',
  correlationId: 'correlation_id',
  contentType: 'content_type',
  expiration: 'expiration',
  userId: 'user_id',
  deliveryMode: 'delivery_mode',
};
const CAMEL = Object.fromEntries(Object.entries(SNAKE).map(([k, v]) => [v, k]));
const NUMBERS = new Set(['delivery_mode', 'priority', 'timestamp']);

function run(request: object): unknown {
  const out = execFileSync('/usr/bin/python3', ['-c', SCRIPT], {
    input: JSON.stringify({ url: brokerUrl(), ...request }),
    timeout: 60_000,
  });
  return JSON.parse(out.toString());
}

const b64 = (v: Buffer | string) => Buffer.from(v).toString('base64');

/** Publishes `messages` to `queue` through the default exchange with pika, confirmed. */
export function pikaPublish(queue: string, messages: readonly PikaMessage[]): void {
  run({
    op: 'publish',
    queue,
    messages: messages.map((m) => ({
      body: b64(m.body ?? ''),
      properties: Object.fromEntries(
        Object.entries(m.properties ?? {}).map(([k, v]) => [SNAKE[k], typeof v === 'number' ? v : b64(v as Buffer)]),
      ),
      ...(m.rawHeaders ? { rawHeaders: m.rawHeaders.toString('base64') } : {}),
    })),
  });
}

/** Takes every ready message out of `queue` with pika. */
export function pikaDrain(queue: string): PikaReceived[] {
  const got = run({ op: 'get', queue }) as {
    body: string;
    properties: Record<string, string | number>;
    headers: [string, string][];
  }[];
  return got.map((m) => ({
    body: Buffer.from(m.body, 'base64'),
    properties: Object.fromEntries(
      Object.entries(m.properties).map(([k, v]) => [
        CAMEL[k] ?? k,
        NUMBERS.has(k) ? (v as number) : Buffer.from(v as string, 'base64'),
      ]),
    ),
    headers: new Map(
      m.headers.map(([k, v]) => [Buffer.from(k, 'base64').toString('latin1'), Buffer.from(v, 'base64')]),
    ),
  }));
}

/** One header table entry on the wire: key (bytes), then type tag and value bytes. */
export function tableEntry(key: Buffer | string, tagAndValue: Buffer): Buffer {
  const k = Buffer.from(key);
  return Buffer.concat([Buffer.from([k.length]), k, tagAndValue]);
}

/** A long string ('S') of any bytes, as a field value. */
export function longString(bytes: Buffer | string): Buffer {
  const b = Buffer.from(bytes);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([Buffer.from('S'), len, b]);
}
