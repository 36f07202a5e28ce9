import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, uniqueQueue } from './helpers/amqp';
import { runCli } from './helpers/cli-process';
import { PrivateBroker } from './helpers/private-broker';
import { WorkerProcess, runWorker } from './helpers/worker-process';

const PORT = 5813;
/** A raw @ and : (the URL parser takes the last @), and characters outside ASCII. */
const PASSWORD = 'Zq9x@Wv7k:pä€ss';

/** A user as RabbitMQ stores it: SHA-256 over a 4-byte salt and the password's UTF-8 bytes. */
function userDefinition(name: string, password: string) {
  const salt = randomBytes(4);
  const hash = createHash('sha256')
    .update(Buffer.concat([salt, Buffer.from(password, 'utf8')]))
    .digest();
  return {
    name,
    password_hash: Buffer.concat([salt, hash]).toString('base64'),
    hashing_algorithm: 'rabbit_password_hashing_sha256',
    tags: [],
  };
}

/**
 * Every piece of a password a printed line must not show: whole, decoded, encoded, and its parts
 * between separators.
 */
function pieces(password: string): string[] {
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // a malformed escape has no decoded form
  }
  const all = [
    password,
    decoded,
    encodeURIComponent(decoded),
    ...password.split(/[@:/#?%$&+,;=]/),
    ...decoded.split(/[@:/#?%$&+,;=]/),
  ];
  return [...new Set(all)].filter((p) => p.length >= 4);
}

describe('broker passwords with @, : and non-ASCII characters', () => {
  let node: PrivateBroker;
  let producer: TestBroker;
  const encoded = `amqp://wq:${encodeURIComponent(PASSWORD)}@127.0.0.1:${PORT}`;
  const raw = `amqp://wq:${PASSWORD}@127.0.0.1:${PORT}`;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wq-rabbit-'));
    const definitions = join(dir, 'definitions.json');
    const everything = { vhost: '/', configure: '.*', write: '.*', read: '.*' };
    writeFileSync(
      definitions,
      JSON.stringify({
        users: [userDefinition('guest', 'guest'), userDefinition('wq', PASSWORD)],
        vhosts: [{ name: '/' }],
        permissions: [
          { user: 'guest', ...everything },
          { user: 'wq', ...everything },
        ],
      }),
    );
    node = new PrivateBroker(PORT, dir, `load_definitions = ${definitions}\n`);
    await node.start();
    producer = await TestBroker.open(node.url);
  }, 120_000);
  afterAll(async () => {
    await producer?.close();
    await node?.destroy();
  });

  it('logs in with a non-ASCII password, written raw or percent-encoded: worker, publish and status', async () => {
    // GIVEN a queue on a node whose user wq has the password PASSWORD
    const queue = uniqueQueue('utf8-pw');
    await producer.declare(queue);

    for (const url of [encoded, raw]) {
      // WHEN publish, status and a worker log in with it
      const published = await runCli(['publish', '-q', queue, '-u', url], { input: 'one\n' });
      const status = await runCli(['status', '-q', queue, '-u', url, '--management', 'http://127.0.0.1:1']);
      const worker = await runWorker(['-u', url, '-q', queue, '--count', '1', '--', 'cat']);

      // THEN all of them got in and the message went through
      expect(published).toMatchObject({ code: 0 });
      expect(status.stdout).toMatch(new RegExp(`^${queue}\\s+1\\s`, 'm'));
      expect(worker.code).toBe(0);
      expect(worker.stdout).toContain('one');
    }
    expect(await producer.count(queue)).toBe(0);
  });

  it('shows the URL as wq:***@host in log lines and /metrics when the password holds a raw @', async () => {
    // GIVEN a worker connected with the password written raw in its URL
    const queue = uniqueQueue('at-pw');
    await producer.declare(queue);
    const worker = new WorkerProcess(['-u', raw, '-q', queue, '--health-port', '0', '--', 'cat']);
    await worker.waitForLog(/consuming/);

    // WHEN /metrics is read and the worker stops
    const port = Number(/health checks on http:\/\/0\.0\.0\.0:(\d+)/.exec(worker.stderr)![1]);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    worker.child.kill('SIGTERM');
    const exit = await worker.finish();

    // THEN the URL shows with *** and no piece of the password appears anywhere
    expect(metrics).toContain(`workqueue_broker_connected{url="amqp://wq:***@127.0.0.1:${PORT}",queue="${queue}"} 1`);
    for (const text of [exit.stdout, exit.stderr, metrics]) {
      for (const piece of pieces(PASSWORD)) expect(text).not.toContain(piece);
    }
  });
});

describe('redacting every form of broker URL', () => {
  /** URLs as amqplib and the worker take them, to a port nobody listens on; `shown` is how the worker prints them. */
  const FORMS: { url: string; password: string; shown: string }[] = [
    { url: 'amqp://wq:Zq9xA@Wv7kB@127.0.0.1:1', password: 'Zq9xA@Wv7kB', shown: 'amqp://wq:***@127.0.0.1:1' },
    {
      url: 'amqp://wq:Zq9xA%40Wv7kB%2FYu8jC%23@127.0.0.1:1/vh?heartbeat=5',
      password: 'Zq9xA%40Wv7kB%2FYu8jC%23',
      shown: 'amqp://wq:***@127.0.0.1:1/vh?heartbeat=5',
    },
    { url: 'amqp://:Zq9xAWv7kB@127.0.0.1:1', password: 'Zq9xAWv7kB', shown: 'amqp://:***@127.0.0.1:1' },
    { url: 'amqp://wq:Zq9xA@Wv7kB@[::1]:1/%2f', password: 'Zq9xA@Wv7kB', shown: 'amqp://wq:***@[::1]:1/%2f' },
    {
      url: 'amqps://wq:Zq9xA:Wv7kB@localhost:1?heartbeat=5&x=%40y',
      password: 'Zq9xA:Wv7kB',
      shown: 'amqps://wq:***@localhost:1?heartbeat=5&x=%40y',
    },
    { url: 'amqp://wq:Zq9xä€Wv7k@127.0.0.1:1', password: 'Zq9xä€Wv7k', shown: 'amqp://wq:***@127.0.0.1:1' },
    { url: 'amqp://wq:Zq9x%C3%A4Wv7k@127.0.0.1:1', password: 'Zq9x%C3%A4Wv7k', shown: 'amqp://wq:***@127.0.0.1:1' },
    { url: 'AMQP://wq:Zq9xA@Wv7kB@127.0.0.1:1', password: 'Zq9xA@Wv7kB', shown: 'amqp://wq:***@127.0.0.1:1' },
    { url: "amqp://wq:Zq9x$&+,;='!Wv7k@127.0.0.1:1", password: "Zq9x$&+,;='!Wv7k", shown: 'amqp://wq:***@127.0.0.1:1' },
  ];

  it('never prints a piece of the password, in any form of URL (worker log lines, CLI error lines)', async () => {
    await Promise.all(
      FORMS.map(async ({ url, password, shown }) => {
        // WHEN a worker and the CLI (URL in -u and in $AMQP_URL) fail to reach the broker at the URL
        const worker = await runWorker(['-u', url, '-q', 'unused', '--connect-timeout', '1', '--', 'cat']);
        const cli = await runCli(['publish', '-q', 'unused', '-u', url]);
        const envCli = await runCli(['status', '-q', 'unused', '--management', 'http://127.0.0.1:1'], {
          env: { AMQP_URL: url },
        });

        // THEN the worker says where it tried, with *** for the password, and nothing shows any piece of it
        expect({ url, code: worker.code }).toEqual({ url, code: 1 });
        expect(worker.stderr).toContain(`cannot reach the broker at ${shown}`);
        for (const exit of [worker, cli, envCli]) {
          expect(exit.stderr).toMatch(/error: /);
          for (const piece of pieces(password))
            expect({ url, stderr: exit.stderr }).not.toEqual({ url, stderr: expect.stringContaining(piece) });
        }
      }),
    );
  });

  it('refuses a password with a malformed %-escape at start, in one line, exit 2, without showing it', async () => {
    const url = 'amqp://wq:Zq9x%zzWv7k@127.0.0.1:1';
    for (const exit of [
      await runWorker(['-u', url, '-q', 'unused', '--', 'cat']),
      await runCli(['publish', '-q', 'unused', '-u', url]),
    ]) {
      expect(exit.code).toBe(2);
      const line = /error: (publish: -u\/)?--url: the password in the broker URL has a malformed %-escape/;
      expect(exit.stderr.trim().split('\n')).toEqual([expect.stringMatching(line)]);
      for (const piece of pieces('Zq9x%zzWv7k')) expect(exit.stderr).not.toContain(piece);
    }
  });
});
