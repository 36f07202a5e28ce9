import { createServer } from 'node:net';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { runWorker } from './helpers/worker-process';

/** Bad input: one clear line on stderr, a non-zero status, never a stack trace. */
function expectOneLineError(exit: { code: number | null; stderr: string }, code: number, pattern: RegExp): void {
  expect(exit.code).toBe(code);
  const lines = exit.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^workqueue-worker: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(exit.stderr).not.toMatch(/\n\s+at /);
}

describe('workqueue-worker command line', () => {
  it('prints help with usage and examples on -h and --help', async () => {
    for (const flag of ['-h', '--help']) {
      const exit = await runWorker([flag]);
      expect(exit.code).toBe(0);
      expect(exit.stdout).toMatch(/^Usage: workqueue-worker \[options\] \[--\] PROGRAM \[ARGS\.\.\.\]/);
      expect(exit.stdout).toMatch(/Examples:\n\s+#/);
      for (const option of [
        '--url',
        '--queue',
        '--prefetch-count',
        '--count',
        '--concurrency',
        '--timeout',
        '--max-attempts',
        '--dead-letter-queue',
        '--shutdown-grace',
        '--health-port',
        '--broker',
      ]) {
        expect(exit.stdout).toContain(option);
      }
    }
  });

  it('prints its version', async () => {
    const exit = await runWorker(['--version']);
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/^workqueue-worker \d+\.\d+\.\d+\n$/);
  });

  it.each([
    [['--frobnicate', '-q', 'jobs', '--', 'cat'], /unknown option '--frobnicate'/],
    [['--', 'cat'], /missing --queue/],
    [['-q', 'jobs'], /missing PROGRAM/],
    [['-q', 'jobs', '--concurrency', 'two', 'cat'], /--concurrency needs a number, not 'two'/],
    [['-q', 'jobs', '--concurrency', '0', 'cat'], /--concurrency must be a whole number from 1/],
    [['-q', 'jobs', '--max-attempts', '-1', 'cat'], /--max-attempts must be a whole number from 0/],
    [
      ['-q', 'x'.repeat(256), 'cat'],
      /--queue 'x{60}…\(196 more\)': a queue name must be 1 to 255 bytes \(RabbitMQ's limit\), not 256/,
    ],
    [['-q', 'jobs', '-u', 'http://broker', 'cat'], /--url must start with amqp:\/\/ or amqps:\/\//],
    [['-q', 'jobs', '-u', 'not a url', 'cat'], /--url is not a valid URL/],
    [
      ['-q', 'jobs', '-b', 'bad host!', 'cat'],
      /--broker must be a name \(a Marathon app id or host name\), optionally NAME:PORT, not 'bad host!'/,
    ],
    [['-q', 'jobs', '-u', 'amqp://127.0.0.1,broker-1', 'cat'], /--url has a ',' in its host \(a list of brokers/],
    [['-q', 'jobs', '-u', 'amqp://127.0.0.1', '-u', 'http://b', 'cat'], /--url \(URL 2 of 2\) must start with amqp/],
    [['-q', 'jobs', '--timeout'], /--timeout needs a value/],
    [['-q', '--', 'true'], /-q needs a value/],
    [
      ['-q', 'jobs', '-u', 'amqp://127.0.0.1/?heartbeat=-1', 'true'],
      /\?heartbeat= must be a whole number from 0 to 65535, not '-1'/,
    ],
    [
      ['-q', 'jobs', '-u', 'amqp://127.0.0.1/?frameMax=abc', 'true'],
      /\?frameMax= must be 0 or a whole number from 4096 to 4294967295, not 'abc'/,
    ],
  ])('rejects %j with one line and exit status 2', async (args, message) => {
    expectOneLineError(await runWorker(args), 2, message);
  });

  it.each([
    ['amqp://admin:5/SECRETPW@127.0.0.1'],
    ['amqp://admin:1?SECRETPW@127.0.0.1'],
    ['amqp://admin:5#SECRETPW@127.0.0.1'],
  ])('refuses %s (a raw / ? # in the password) without printing its secret', async (url) => {
    // GIVEN a password whose raw '/', '?' or '#' makes URL parsers take the host from it
    // WHEN the worker is started with it
    const exit = await runWorker(['-u', url, '-q', 'jobs', '--connect-timeout', '1', '--', 'true']);
    // THEN it stops at once with one line saying to percent-encode, and no part of the secret
    expectOneLineError(
      exit,
      2,
      /'@' after its host: a '\/', '\?' or '#' in the user or password must be percent-encoded/,
    );
    expect(exit.stderr).not.toContain('SECRETPW');
  });

  it("connects with amqps:// to an IP address without Node's servername warning", async () => {
    // GIVEN a port that refuses connections
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    // WHEN the worker tries amqps:// to 127.0.0.1 for 1 s
    const exit = await runWorker([
      '-u',
      `amqps://127.0.0.1:${port}`,
      '-q',
      'jobs',
      '--connect-timeout',
      '1',
      '--',
      'true',
    ]);
    // THEN it gives up with its own lines only: no DEP0123 deprecation warning
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/cannot reach the broker at amqps:\/\/127\.0\.0\.1/);
    expect(exit.stderr).not.toMatch(/DEP0123|DeprecationWarning|ServerName/);
  });

  it('names refused credentials without showing the password', async () => {
    const url = new URL(brokerUrl());
    url.username = 'nobody';
    url.password = 'S3cretPassw0rd';
    const exit = await runWorker(['-u', url.toString(), '-q', uniqueQueue('creds'), '--', 'cat']);
    expectOneLineError(exit, 1, /refused the credentials/);
    expect(exit.stderr).not.toContain('S3cretPassw0rd');
    expect(exit.stderr).toContain('nobody:***@');
  });

  it('gives up on an unreachable broker after --connect-timeout, password hidden', async () => {
    // GIVEN a port that refuses connections (bound, then closed)
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    // WHEN the worker is pointed at it with a 2 s connect timeout
    const started = Date.now();
    const exit = await runWorker([
      '-u',
      `amqp://u:Hunter2Hunter2@127.0.0.1:${port}`,
      '-q',
      'jobs',
      '--connect-timeout',
      '2',
      '--',
      'cat',
    ]);
    // THEN it retries for about 2 s, then fails with one error line
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(exit.code).toBe(1);
    const errors = exit.stderr.split('\n').filter((l) => l.includes('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /cannot reach the broker at amqp:\/\/u:\*\*\*@127\.0\.0\.1:\d+ within the connect timeout/,
    );
    expect(exit.stderr).not.toContain('Hunter2Hunter2');
    expect(exit.stderr).not.toMatch(/\n\s+at /);
  });

  it('gives up on a list of unreachable brokers after --connect-timeout, every password hidden', async () => {
    // GIVEN two ports that refuse connections, each in a URL with its own password
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      ports.push((server.address() as { port: number }).port);
      await new Promise((r) => server.close(r));
    }
    const list = `amqp://u:FirstHunter2@127.0.0.1:${ports[0]},amqp://u:SecondHunter2@127.0.0.1:${ports[1]}`;
    // WHEN the worker is given them as one -u list with a 2 s connect timeout
    const exit = await runWorker(['-u', list, '-q', 'jobs', '--connect-timeout', '2', '--', 'cat']);
    // THEN it tried both, each attempt in one line, and fails with one error line that shows no password
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/cannot reach any of the 2 brokers \(amqp:\/\/u:\*\*\*@127\.0\.0\.1:\d+: .*; retrying/);
    const errors = exit.stderr.split('\n').filter((l) => l.includes('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/cannot reach any of the 2 brokers within the connect timeout/);
    expect(exit.stderr).not.toMatch(/FirstHunter2|SecondHunter2/);
  });

  it('-b NAME:PORT connects to that host with the credentials of $AMQP_URL', async () => {
    // GIVEN $AMQP_URL names a host that does not exist, and -b names the real broker
    const broker = await TestBroker.open();
    const queue = uniqueQueue('b-flag');
    try {
      await broker.declare(queue);
      await broker.publish(queue, ['found']);
      const real = new URL(brokerUrl());
      const elsewhere = new URL(brokerUrl());
      elsewhere.hostname = 'no-such-host.invalid';
      // WHEN the worker runs with -b
      const exit = await runWorker(
        ['-b', `${real.hostname}:${real.port || 5672}`, '-q', queue, '-c', '1', '--', 'cat'],
        { AMQP_URL: elsewhere.toString() },
      );
      // THEN it consumed from the -b host
      expect(exit.code).toBe(0);
      expect(exit.stdout).toContain('found');
    } finally {
      await broker.close();
    }
  });
});
