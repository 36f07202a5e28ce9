import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
const withLength = (tag: string, inner: Buffer) => Buffer.concat([Buffer.from(tag), u32(inner.length), inner]);

/** Header tables built to break decoders: deep nesting, a key that is special to JavaScript objects. */
describe('hostile header tables', () => {
  let broker: TestBroker;
  let dir: string;
  let queue: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    dir = mkdtempSync(join(tmpdir(), 'wq-hostile-headers-'));
    queue = uniqueQueue('hostile-headers');
    await broker.declare(queue);
  });
  afterEach(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a table nested 6,000 deep goes to QUEUE.dlq at once, its bytes kept, and the next message runs', async () => {
    // GIVEN a header table of 6,000 nested tables (~42 KB: a recursive decoder overflows its stack)
    let inner: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 6000; i++) inner = tableEntry('a', withLength('F', inner));
    // AND, published by pika, that message followed by an ordinary one
    pikaPublish(queue, [{ body: 'deep', properties: { messageId: 'deep-1' }, rawHeaders: inner }, { body: 'next' }]);

    // WHEN a worker runs a program that records each body, for 2 messages
    const exit = await runWorker(
      ['-u', brokerUrl(), '-q', queue, '-c', '2', '--', 'sh', '-c', 'cat >> "$0/ran"; echo >> "$0/ran"', dir],
      {},
      40_000,
    );

    // THEN the worker finished without losing its link, and only the ordinary message ran
    expect(exit.stderr).not.toMatch(/lost the broker link/);
    expect(exit.code).toBe(0);
    expect(readFileSync(join(dir, 'ran'), 'utf8')).toBe('next\n');
    // AND the deep message is in QUEUE.dlq after attempt 1, saying why, its table carried byte for byte
    expect(await broker.count(queue)).toBe(0);
    const dead = pikaDrain(`${queue}.dlq`);
    expect(dead.map((d) => d.body.toString())).toEqual(['deep']);
    expect(dead[0].properties.messageId.toString()).toBe('deep-1');
    expect(dead[0].headers.get('x-wq-reason')!.subarray(5).toString()).toMatch(
      /^the header table nests deeper than 64 levels; it is kept as bytes in x-wq-original-headers/,
    );
    expect(dead[0].headers.get('x-wq-attempts')).toEqual(Buffer.from([0x62, 1])); // 'b' 1
    expect(dead[0].headers.get('x-wq-original-headers')).toEqual(withLength('x', inner));
    expect(exit.stderr).toMatch(
      /message deep-1 failed: the header table nests deeper .*moving it to '.*\.dlq' \(retrying cannot help\)/,
    );
  });

  it('a table nested 64 deep (the limit) still runs, and its copy keeps it', async () => {
    // GIVEN a header table with tables nested exactly 64 levels deep below it
    let table: Buffer = tableEntry('leaf', longString('bottom'));
    for (let i = 0; i < 64; i++) table = tableEntry('a', withLength('F', table));
    pikaPublish(queue, [{ body: 'deep-ok', properties: { messageId: 'ok-1' }, rawHeaders: table }]);

    // WHEN a worker runs a program that fails, with one attempt allowed
    const exit = await runWorker(['-u', brokerUrl(), '-q', queue, '-c', '1', '--max-attempts', '1', '--', 'false']);

    // THEN the program ran (exit code 1 is its failure) and the dead letter keeps the table as it was
    expect(exit.code).toBe(0);
    const dead = pikaDrain(`${queue}.dlq`);
    expect(dead).toHaveLength(1);
    expect(dead[0].headers.get('x-wq-last-exit-code')).toBeDefined();
    expect(dead[0].headers.has('x-wq-original-headers')).toBe(false);
    expect(tableEntry('a', dead[0].headers.get('a')!)).toEqual(table);
  });

  it('a header named __proto__ round-trips as an ordinary key; its entries are not hoisted', async () => {
    // GIVEN a message whose headers hold a table named __proto__ and an ordinary header
    const proto = withLength('F', tableEntry('hoisted', longString('no')));
    pikaPublish(queue, [
      {
        body: 'p',
        properties: { messageId: 'proto-1' },
        rawHeaders: Buffer.concat([tableEntry('__proto__', proto), tableEntry('k', longString('v'))]),
      },
    ]);

    // WHEN a worker runs a program that fails, with one attempt allowed
    const exit = await runWorker(['-u', brokerUrl(), '-q', queue, '-c', '1', '--max-attempts', '1', '--', 'false']);

    // THEN the dead letter has __proto__ with its bytes as sent, the other header, and nothing hoisted
    expect(exit.code).toBe(0);
    const dead = pikaDrain(`${queue}.dlq`);
    expect(dead).toHaveLength(1);
    expect(dead[0].headers.get('__proto__')).toEqual(proto);
    expect(dead[0].headers.get('k')).toEqual(longString('v'));
    expect(dead[0].headers.has('hoisted')).toBe(false);
  });
});
