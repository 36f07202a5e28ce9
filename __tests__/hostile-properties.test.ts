import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { pikaPublish } from './helpers/pika';
import { runWorker } from './helpers/worker-process';

/** Messages whose properties try to smuggle environment variables (NUL ends a variable in the helper's block). */
describe('message properties never reach the environment as variables', () => {
  let broker: TestBroker;
  let dir: string;
  let queue: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    dir = mkdtempSync(join(tmpdir(), 'wq-hostile-'));
    queue = uniqueQueue('hostile');
    await broker.declare(queue);
  });
  afterEach(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const attacks = (d: string) => [
    {
      properties: { messageId: Buffer.from(`m\0NODE_OPTIONS=--require=${d}/pwn.js`) },
      body: 'a',
      names: 'WQ_MESSAGE_ID',
    },
    {
      properties: { messageId: 'c-1', correlationId: Buffer.from(`c\0BASH_ENV=${d}/pwn.sh`) },
      body: 'b',
      names: 'WQ_CORRELATION_ID',
    },
    {
      properties: { messageId: 'f-1', contentType: Buffer.from(`t\0BASH_FUNC_echo%%=() { touch ${d}/pwn-func; }`) },
      body: 'c',
      names: 'WQ_CONTENT_TYPE',
    },
  ];

  for (const [path, env] of [
    ['wq-spawn helper', {}],
    ['Node spawn fallback', { WQ_SPAWN_HELPER: '' }],
  ] as const) {
    it(`dead-letters them at attempt 1 without running anything of theirs (${path})`, async () => {
      // GIVEN payloads that would run code in a bash program and in the Node program it starts
      writeFileSync(join(dir, 'pwn.js'), `require('fs').writeFileSync(${JSON.stringify(join(dir, 'pwn-node'))}, 'x');`);
      writeFileSync(join(dir, 'pwn.sh'), `touch ${dir}/pwn-bash`);
      // AND, published by pika, three hostile messages followed by an ordinary one
      pikaPublish(queue, [
        ...attacks(dir).map(({ properties, body }) => ({ properties, body })),
        { properties: { messageId: 'ok-1' }, body: 'd' },
      ]);

      // WHEN a worker that allows 5 attempts runs a bash program that runs node, for 4 messages
      const program = ['bash', '-c', 'echo "$WQ_MESSAGE_ID" >> "$0/ran"; node -e 0', dir];
      const exit = await runWorker(
        ['-u', brokerUrl(), '-q', queue, '-c', '4', '--max-attempts', '5', '--', ...program],
        env,
      );

      // THEN the ordinary message ran, the hostile ones never did and none of their payloads ran
      expect(exit.code).toBe(0);
      expect(readFileSync(join(dir, 'ran'), 'utf8')).toBe('ok-1\n');
      for (const marker of ['pwn-node', 'pwn-bash', 'pwn-func']) expect(existsSync(join(dir, marker))).toBe(false);
      // AND each hostile message is in QUEUE.dlq after attempt 1, saying why, with its body and property intact
      expect(await broker.count(queue)).toBe(0);
      const dead = await broker.drain(`${queue}.dlq`);
      expect(dead.map((d) => d.body.toString()).sort()).toEqual(['a', 'b', 'c']);
      for (const attack of attacks(dir)) {
        const d = dead.find((m) => m.body.toString() === attack.body)!;
        expect(d.properties.headers).toMatchObject({
          'x-wq-attempts': 1,
          'x-wq-reason': `a NUL byte in the message's ${attack.names}: an environment variable cannot carry it`,
        });
        expect(d.properties.messageId).toBe(attack.properties.messageId.toString());
      }
      expect(exit.stderr).toMatch(/moving it to '.*\.dlq' \(retrying cannot help\)/);
    });
  }

  it('--persistent gets NUL and hostile values as JSON data, never as environment', async () => {
    // GIVEN a persistent Node program that records the message id it was given, and a NODE_OPTIONS payload
    writeFileSync(join(dir, 'pwn.js'), `require('fs').writeFileSync(${JSON.stringify(join(dir, 'pwn-node'))}, 'x');`);
    const id = `m\0NODE_OPTIONS=--require=${dir}/pwn.js`;
    pikaPublish(queue, [{ properties: { messageId: Buffer.from(id) }, body: 'a' }]);
    const body =
      `require('fs').writeFileSync(${JSON.stringify(join(dir, 'meta.json'))}, JSON.stringify(m.meta)); ` +
      `process.stdout.write(JSON.stringify({ id: m.id, ok: true }) + '\\n');`;
    const program = [
      process.execPath,
      '-e',
      `require('readline').createInterface({ input: process.stdin })` +
        `.on('line', (l) => { const m = JSON.parse(l); ${body} });`,
    ];

    // WHEN the worker runs it for the message
    const exit = await runWorker(['-u', brokerUrl(), '-q', queue, '-c', '1', '--persistent', '--', ...program]);

    // THEN the program saw the id byte for byte as data, and the payload never ran
    expect(exit.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')).messageId).toBe(id);
    expect(existsSync(join(dir, 'pwn-node'))).toBe(false);
  });

  it('--module handlers get NUL and hostile values as data, never as environment or code', async () => {
    // GIVEN a handler that records the id it was given and whether the environment changed
    const handler = join(dir, 'handler.cjs');
    writeFileSync(
      handler,
      `module.exports = (body, meta) => { require('fs').writeFileSync(${JSON.stringify(join(dir, 'seen.json'))}, ` +
        `JSON.stringify({ id: meta.messageId, ct: meta.contentType, ` +
        `nodeOptions: process.env.NODE_OPTIONS ?? null, bashEnv: process.env.BASH_ENV ?? null })); };`,
    );
    const id = `m\0NODE_OPTIONS=--require=${dir}/pwn.js`;
    const ct = `t\0BASH_ENV=${dir}/pwn.sh`;
    pikaPublish(queue, [{ properties: { messageId: Buffer.from(id), contentType: Buffer.from(ct) }, body: 'a' }]);

    // WHEN the worker runs it
    const exit = await runWorker(['-u', brokerUrl(), '-q', queue, '-c', '1', '--module', handler]);

    // THEN it saw the values byte for byte, and nothing of them in the environment
    expect(exit.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'seen.json'), 'utf8'))).toEqual({
      id,
      ct,
      nodeOptions: null,
      bashEnv: null,
    });
    expect(await broker.count(queue)).toBe(0);
  });
});
