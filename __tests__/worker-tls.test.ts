import { rmSync } from 'node:fs';
import { TestBroker, uniqueQueue } from './helpers/amqp';
import { PrivateBroker } from './helpers/private-broker';
import { makeCertificates, type TestCertificates } from './helpers/test-certificates';
import { runWorker } from './helpers/worker-process';

/** The private node's plain AMQP port (for the test's producer) and its TLS port. */
const PLAIN_PORT = 5793;
const TLS_PORT = 5794;

describe('workqueue-worker over amqps:// with a private CA and client certificates', () => {
  let certs: TestCertificates;
  let node: PrivateBroker;
  let producer: TestBroker;
  const tlsUrl = `amqps://guest:guest@localhost:${TLS_PORT}`;

  beforeAll(async () => {
    certs = makeCertificates();
    // The node demands a client certificate signed by the test's CA.
    node = new PrivateBroker(
      PLAIN_PORT,
      undefined,
      [
        `listeners.ssl.default = 127.0.0.1:${TLS_PORT}`,
        `ssl_options.cacertfile = ${certs.ca}`,
        `ssl_options.certfile = ${certs.serverCert}`,
        `ssl_options.keyfile = ${certs.serverKey}`,
        'ssl_options.verify = verify_peer',
        'ssl_options.fail_if_no_peer_cert = true',
      ].join('\n'),
    );
    await node.start();
    producer = await TestBroker.open(node.url);
  }, 120_000);
  afterAll(async () => {
    await producer?.close();
    await node?.destroy();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  it('consumes with --ca, --cert and --key', async () => {
    // GIVEN two messages on the TLS-only node
    const queue = uniqueQueue('tls');
    await producer.declare(queue);
    await producer.publish(queue, ['one', 'two']);

    // WHEN the worker connects over TLS with the private CA and its client certificate
    const exit = await runWorker([
      '-u',
      tlsUrl,
      '--ca',
      certs.ca,
      '--cert',
      certs.clientCert,
      '--key',
      certs.clientKey,
      '-q',
      queue,
      '-c',
      '2',
      '--',
      'cat',
    ]);

    // THEN it processed both
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('one');
    expect(exit.stdout).toContain('two');
    expect(await producer.count(queue)).toBe(0);
  });

  it("fails at once with one clear line when the broker's certificate does not verify", async () => {
    // WHEN the worker trusts a different CA
    const exit = await runWorker([
      '-u',
      tlsUrl,
      '--ca',
      certs.otherCa,
      '--cert',
      certs.clientCert,
      '--key',
      certs.clientKey,
      '-q',
      'unused',
      '--',
      'cat',
    ]);

    // THEN it exits 1 with one line that says what to do, without retrying for the connect timeout
    expect(exit.code).toBe(1);
    expect(exit.stderr.trim().split('\n')).toHaveLength(1);
    expect(exit.stderr).toMatch(
      new RegExp(
        /error: cannot connect to amqps:\/\/\S*:\*\*\*@localhost:5794: /.source +
          /the broker's TLS certificate does not verify \(.+\); give the CA that signed it with --ca FILE/.source,
      ),
    );
    expect(exit.stderr).not.toMatch(/\n\s+at /);
  });

  it('says the client certificate is missing when the broker demands one', async () => {
    const exit = await runWorker([
      '-u',
      tlsUrl,
      '--ca',
      certs.ca,
      '-q',
      'unused',
      '--connect-timeout',
      '5',
      '--',
      'cat',
    ]);
    expect(exit.code).toBe(1);
    expect(exit.stderr.trim().split('\n')).toHaveLength(1);
    expect(exit.stderr).toMatch(
      new RegExp(
        /error: cannot connect to .*: the broker refused this client's TLS certificate /.source +
          /\(TLS alert: certificate required\); give a certificate it trusts with --cert FILE --key FILE/.source,
      ),
    );
    expect(exit.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects TLS options on a plain amqp:// URL and unreadable files, naming the option', async () => {
    const plain = await runWorker(['-u', node.url, '--ca', certs.ca, '-q', 'unused', '--', 'cat']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/--ca, --cert and --key need an amqps:\/\/ URL/);
    const missing = await runWorker(['-u', tlsUrl, '--ca', '/nonexistent/ca.pem', '-q', 'unused', '--', 'cat']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--ca \/nonexistent\/ca.pem: cannot read the file \(ENOENT\)/);
    const half = await runWorker(['-u', tlsUrl, '--cert', certs.clientCert, '-q', 'unused', '--', 'cat']);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--cert and --key go together/);
  });
});
