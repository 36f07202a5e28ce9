import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { PrivateBroker } from './helpers/private-broker';
import { TcpProxy, viaProxy } from './helpers/tcp-proxy';
import { waitFor } from './helpers/wait-for';
import { WorkerProcess, runWorker } from './helpers/worker-process';

const PORT = 5795;
const PASSWORD = 'S3cret-Pa55/word';
const ENCODED = encodeURIComponent(PASSWORD);
const PROCESS_MESSAGE = join(__dirname, '..', 'images', 'worker', 'process-message');

describe('secrets and untrusted message content', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wq-secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('with a broker user whose password is a secret', () => {
    let node: PrivateBroker;
    let producer: TestBroker;
    let proxy: TcpProxy;
    const url = `amqp://wq-user:${ENCODED}@127.0.0.1:${PORT}`;
    beforeAll(async () => {
      node = new PrivateBroker(PORT, undefined, `default_user = wq-user\ndefault_pass = ${PASSWORD}\n`);
      await node.start(90_000, url);
      producer = await TestBroker.open(url);
      proxy = new TcpProxy('127.0.0.1', PORT);
      await proxy.listen();
    }, 120_000);
    afterAll(async () => {
      await proxy?.close();
      await producer?.close();
      await node?.destroy();
    });

    it('never prints the password: not in log lines, errors, or /metrics labels', async () => {
      // GIVEN a worker with the password in its URL, one failing and one good message
      const queue = uniqueQueue('secret');
      await producer.declare(queue);
      await producer.publishIds(queue, ['fails', 'works']);
      const worker = new WorkerProcess([
        '-u',
        viaProxy(url, proxy),
        '-q',
        queue,
        '--max-attempts',
        '1',
        '--health-port',
        '0',
        '--',
        'sh',
        '-c',
        '[ "$WQ_MESSAGE_ID" = works ]',
      ]);
      await worker.waitForLog(/consuming/);
      await waitFor(
        'both messages handled',
        async () => (await producer.count(`${queue}.dlq`)) === 1 && (await producer.count(queue)) === 0,
        30_000,
      );

      // WHEN the link breaks and comes back, and /metrics is read
      proxy.cut();
      await worker.waitForLog(/reconnected/);
      const port = Number(/health checks on http:\/\/0\.0\.0\.0:(\d+)/.exec(worker.stderr)![1]);
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      worker.child.kill('SIGTERM');
      const exit = await worker.finish();

      // THEN the URL shows up only with *** for the password, everywhere
      expect(metrics).toMatch(
        new RegExp(
          `^workqueue_broker_connected\\{url="amqp://wq-user:\\*\\*\\*@127\\.0\\.0\\.1:${proxy.port}",queue="${queue}"\\} 1$`,
          'm',
        ),
      );
      for (const text of [exit.stdout, exit.stderr, metrics]) {
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain(ENCODED);
      }
      expect(exit.stderr).toMatch(/lost the broker link/);
    });

    it('hides the password in start-up errors: refused credentials, bad URLs, an unreachable broker', async () => {
      const refused = await runWorker([
        '-u',
        `amqp://wq-user:${ENCODED}x@127.0.0.1:${PORT}`,
        '-q',
        'unused',
        '--',
        'cat',
      ]);
      const badPort = await runWorker(['-u', `amqp://wq-user:${ENCODED}@127.0.0.1:99999`, '-q', 'unused', '--', 'cat']);
      const unreachable = await runWorker([
        '-u',
        `amqp://wq-user:${ENCODED}@127.0.0.1:1`,
        '-q',
        'unused',
        '--connect-timeout',
        '1',
        '--',
        'cat',
      ]);
      for (const exit of [refused, badPort, unreachable]) {
        expect(exit.code).not.toBe(0);
        expect(exit.stderr).toMatch(/^workqueue-worker: error: /m);
        expect(exit.stderr).not.toContain(PASSWORD);
        expect(exit.stderr).not.toContain(ENCODED);
      }
    });
  });

  it('uses only placeholders for passwords in --help examples', async () => {
    const { stdout } = await runWorker(['--help']);
    const passwords = [...stdout.matchAll(/amqps?:\/\/[^:@\s]+:([^@\s]+)@/g)].map((m) => m[1]);
    expect(passwords.length).toBeGreaterThan(0);
    expect(new Set(passwords)).toEqual(new Set(['PASSWORD']));
  });

  describe('with hostile message content', () => {
    let broker: TestBroker;
    beforeEach(async () => {
      broker = await TestBroker.open();
    });
    afterEach(() => broker.close());

    it('never lets message id, headers or body reach a shell', async () => {
      // GIVEN a message whose id, header and body are shell commands that would leave a file behind
      const queue = uniqueQueue('hostile');
      await broker.declare(queue);
      const trap = (what: string) =>
        `$(touch ${dir}/pwned-${what})\`touch ${dir}/pwned-${what}-bq\`;touch ${dir}/pwned-${what}-sc`;
      broker.channel.sendToQueue(queue, Buffer.from(trap('body')), {
        messageId: trap('id'),
        headers: { note: trap('header') },
      });
      await broker.channel.waitForConfirms();

      // WHEN a worker runs a program that stores its environment and body
      const exit = await runWorker([
        '-u',
        brokerUrl(),
        '-q',
        queue,
        '-c',
        '1',
        '--',
        'sh',
        '-c',
        'env > "$0/env"; cat > "$0/body"',
        dir,
      ]);

      // THEN the program got the text literally and nothing ran
      expect(exit.code).toBe(0);
      expect(readdirSync(dir).sort()).toEqual(['body', 'env']);
      expect(readFileSync(join(dir, 'body'), 'utf8')).toBe(trap('body'));
      expect(readFileSync(join(dir, 'env'), 'utf8')).toContain(`WQ_MESSAGE_ID=${trap('id')}\n`);
    });

    it('process-message writes inside its directory whatever the message says', async () => {
      // GIVEN messages whose id, headers and body look like paths out of the directory
      const queue = uniqueQueue('steer');
      await broker.declare(queue);
      const target = join(dir, 'out');
      mkdirSync(target);
      for (const evil of ['../escaped', '../../etc/escaped', '/tmp/escaped', 'out/../../escaped']) {
        broker.channel.sendToQueue(queue, Buffer.from(evil), {
          messageId: evil,
          correlationId: evil,
          headers: { filename: evil, path: evil },
        });
      }
      await broker.channel.waitForConfirms();

      // WHEN the sample program saves them
      const exit = await runWorker(['-u', brokerUrl(), '-q', queue, '-c', '4', '--', PROCESS_MESSAGE, target]);

      // THEN four new files are in the directory, named by process-message alone, and nothing outside it
      expect(exit.code).toBe(0);
      const saved = readdirSync(target);
      expect(saved).toHaveLength(4);
      for (const name of saved) expect(name).toMatch(/^message\.[A-Za-z0-9]{10}$/);
      expect(readdirSync(dir)).toEqual(['out']);
      expect(existsSync('/tmp/escaped')).toBe(false);
    });
  });
});
