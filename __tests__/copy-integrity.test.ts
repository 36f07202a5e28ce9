import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { longString, pikaDrain, pikaPublish, tableEntry } from './helpers/pika';
import { runWorker } from './helpers/worker-process';

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const field = (tag: string, value: Buffer) => Buffer.concat([Buffer.from(tag), value]);
const i64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};
const f32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeFloatBE(n);
  return b;
};
const f64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(n);
  return b;
};
const i16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const withLength = (tag: string, inner: Buffer) => Buffer.concat([Buffer.from(tag), u32(inner.length), inner]);

/** Every field type RabbitMQ carries, each as a producer would put it on the wire. */
const EXACT: [string, Buffer][] = [
  ['neg-byte', field('b', Buffer.from([0xfb]))],
  ['unsigned-byte', field('B', Buffer.from([200]))],
  ['short', field('s', i16(-300))],
  ['ushort', field('u', Buffer.from([0xea, 0x60]))],
  ['int', field('I', u32(0xfffeee90))],
  ['uint', field('i', u32(4_000_000_000))],
  ['long', field('l', i64(-(2n ** 40n)))],
  ['float', field('f', f32(1.5))],
  ['double', field('d', f64(0.1))],
  ['decimal', field('D', Buffer.concat([Buffer.from([2]), u32(12345)]))],
  ['timestamp', field('T', i64(1_700_000_000n))],
  ['bytes', withLength('x', Buffer.from([0, 255, 1]))],
  ['text', longString('héllo')],
  ['yes', field('t', Buffer.from([1]))],
  ['void', Buffer.from('V')],
  [
    'nested',
    withLength(
      'F',
      Buffer.concat([
        tableEntry('inner', field('b', Buffer.from([0xff]))),
        tableEntry('list', withLength('A', Buffer.concat([longString('a'), field('T', i64(5n))]))),
      ]),
    ),
  ],
  ['array', withLength('A', Buffer.concat([field('I', u32(1)), withLength('x', Buffer.from([1, 2]))]))],
];

describe('retry and dead-letter copies', () => {
  let broker: TestBroker;
  let dir: string;
  let queue: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    dir = mkdtempSync(join(tmpdir(), 'wq-copies-'));
    queue = uniqueQueue('copies');
    await broker.declare(queue);
  });
  afterEach(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keep every header as received (type tag and bytes), and a dead letter does not expire', async () => {
    // GIVEN a message with one header of every wire type, two amqplib cannot write, and an expiration
    const table = Buffer.concat([
      ...EXACT.map(([k, v]) => tableEntry(k, v)),
      tableEntry('huge-long', field('l', i64(2n ** 60n + 1n))),
      tableEntry('not-utf8', longString(Buffer.from([0x61, 0xff, 0x62]))),
    ]);
    pikaPublish(queue, [
      {
        body: Buffer.from([0, 1, 255]),
        properties: { messageId: 'typed-1', expiration: '600000', deliveryMode: 2 },
        rawHeaders: table,
      },
    ]);

    // WHEN its program fails twice (a retry copy, then the dead-letter copy)
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '2',
      '--max-attempts',
      '2',
      '--',
      'sh',
      '-c',
      'exit 3',
    ]);

    // THEN the dead letter carries each header with the same tag and bytes
    expect(exit.code).toBe(0);
    const [dead, ...more] = pikaDrain(`${queue}.dlq`);
    expect(more).toHaveLength(0);
    expect(dead.body.equals(Buffer.from([0, 1, 255]))).toBe(true);
    for (const [key, wire] of EXACT)
      expect([key, dead.headers.get(key)?.toString('hex')]).toEqual([key, wire.toString('hex')]);
    // AND what amqplib cannot write keeps its value in the documented form (README: "Headers on copies")
    expect(dead.headers.get('huge-long')?.toString('hex')).toBe(longString('1152921504606846977').toString('hex'));
    expect(dead.headers.get('not-utf8')?.toString('hex')).toBe(
      withLength('x', Buffer.from([0x61, 0xff, 0x62])).toString('hex'),
    );
    // AND the dead letter cannot expire: no expiration, the producer's kept in a header
    expect(dead.properties.expiration).toBeUndefined();
    expect(dead.headers.get('x-wq-original-expiration')?.toString('hex')).toBe(longString('600000').toString('hex'));
    expect(dead.properties.messageId?.toString()).toBe('typed-1');
  });

  it('an unpublishable copy ends in QUEUE.dlq after one run, reduced, and the message behind it runs', async () => {
    // GIVEN, published by pika, messages whose full copy amqplib cannot publish: an invalid UTF-8 message id
    // (255 bytes, 765 once decoded), an invalid UTF-8 header name, a 100 KB header table; then an ordinary one
    const key = Buffer.alloc(100, 0xfe);
    pikaPublish(queue, [
      { body: 'bad-id', properties: { messageId: Buffer.alloc(255, 0xff) } },
      {
        body: 'bad-key',
        properties: { messageId: 'bad-key' },
        rawHeaders: Buffer.concat([tableEntry(key, longString('v')), tableEntry('keep', longString('me'))]),
      },
      {
        body: 'big-table',
        properties: { messageId: 'big-table' },
        rawHeaders: tableEntry('big', longString('z'.repeat(100_000))),
      },
      { body: 'next', properties: { messageId: 'next' } },
    ]);

    // WHEN one program at a time fails every message but 'next', 3 attempts allowed
    const program = ['sh', '-c', 'b=$(cat); echo "$b" >> "$0/runs"; [ "$b" = next ]', dir];
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '4',
      '--concurrency',
      '1',
      '--max-attempts',
      '3',
      '--',
      ...program,
    ]);

    // THEN each ran once, 'next' ran, and the queue is empty
    expect(exit.code).toBe(0);
    expect(readFileSync(join(dir, 'runs'), 'utf8').split('\n').filter(Boolean).sort()).toEqual([
      'bad-id',
      'bad-key',
      'big-table',
      'next',
    ]);
    expect(await broker.count(queue)).toBe(0);
    // AND the three are in QUEUE.dlq with their bodies, what could be carried and why the copy is reduced
    const dead = pikaDrain(`${queue}.dlq`);
    expect(dead.map((d) => d.body.toString()).sort()).toEqual(['bad-id', 'bad-key', 'big-table']);
    const of = (body: string) => dead.find((d) => d.body.toString() === body)!;
    const reason = (body: string) => of(body).headers.get('x-wq-reason')!.subarray(5).toString();
    for (const body of ['bad-id', 'bad-key', 'big-table'])
      expect(reason(body)).toMatch(
        /^exit code 1; the full copy could not be published \(.+\), so this copy is reduced$/,
      );
    expect(of('bad-id').properties.messageId).toBeUndefined();
    expect(of('bad-id').headers.get('x-wq-dropped-properties')?.subarray(5).toString()).toBe('messageId');
    expect(of('bad-key').headers.get('keep')?.toString('hex')).toBe(longString('me').toString('hex'));
    expect(of('big-table').headers.has('big')).toBe(false);
    expect(of('big-table').properties.messageId?.toString()).toBe('big-table');
    // AND the log says where each finally went, one line each
    for (const id of ['bad-key', 'big-table']) {
      expect(exit.stderr).toMatch(
        new RegExp(`message ${id}: moved a reduced copy to '${queue}\\.dlq' instead \\(.+\\)\n`),
      );
    }
  });

  it('cuts a 70 KB error to a few KB in x-wq-reason: the message is retried, dead-lettered, not looped', async () => {
    // GIVEN a --module handler that counts its runs and throws a 70 KB error
    const handler = join(dir, 'handler.cjs');
    writeFileSync(
      handler,
      `module.exports = () => { require('fs').appendFileSync(${JSON.stringify(join(dir, 'runs'))}, 'x'); ` +
        `throw new Error('e'.repeat(70000)); };`,
    );
    await broker.publish(queue, ['x', 'y']);

    // WHEN the worker runs it with 2 attempts allowed, for 4 deliveries
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '4',
      '--concurrency',
      '1',
      '--max-attempts',
      '2',
      '--module',
      handler,
    ]);

    // THEN each message ran exactly twice and both are dead-lettered with the reason cut
    expect(exit.code).toBe(0);
    expect(readFileSync(join(dir, 'runs'), 'utf8')).toBe('xxxx');
    const dead = await broker.drain(`${queue}.dlq`);
    expect(dead).toHaveLength(2);
    for (const d of dead) {
      const r = String(d.properties.headers?.['x-wq-reason']);
      expect(r).toMatch(/^handler threw: e+…\(\d+ more characters\)$/);
      expect(r.length).toBeLessThan(4200);
    }
  });
});
