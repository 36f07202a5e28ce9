import { readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TestBroker, uniqueQueue } from './helpers/amqp';
import { runCli } from './helpers/cli-process';
import { PrivateBroker } from './helpers/private-broker';
import { makeCertificates, type TestCertificates } from './helpers/test-certificates';

const PLAIN_PORT = 5814;
const TLS_PORT = 5815;

/** A management API stand-in: answers every queue with 7 unacked messages and records the Authorization it got. */
class ManagementStandIn {
  readonly authorizations: string[] = [];
  constructor(private readonly server: Server) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.authorizations.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ messages_unacknowledged: 7 }));
    });
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(port, '127.0.0.1', () => resolve((this.server.address() as AddressInfo).port)),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('workqueue status asks the management API without sending credentials in clear', () => {
  let certs: TestCertificates;
  let node: PrivateBroker;
  let producer: TestBroker;
  let http: ManagementStandIn;
  let https: ManagementStandIn;
  let queue: string;
  /** The plain-http stand-in's port: any free one (RabbitMQ's own 15672 may be the real management plugin's). */
  let httpPort: number;
  const tlsUrl = `amqps://guest:guest@localhost:${TLS_PORT}`;
  const guest = `Basic ${Buffer.from('guest:guest').toString('base64')}`;

  beforeAll(async () => {
    certs = makeCertificates();
    node = new PrivateBroker(
      PLAIN_PORT,
      undefined,
      [
        `listeners.ssl.default = 127.0.0.1:${TLS_PORT}`,
        `ssl_options.cacertfile = ${certs.ca}`,
        `ssl_options.certfile = ${certs.serverCert}`,
        `ssl_options.keyfile = ${certs.serverKey}`,
        'ssl_options.verify = verify_none',
      ].join('\n'),
    );
    await node.start();
    producer = await TestBroker.open(node.url);
    queue = uniqueQueue('status-tls');
    await producer.declare(queue);
    // The https stand-in on RabbitMQ's own TLS management port, 15671, where status looks for an amqps://
    // broker's API; the plain-http one only where a --management URL names it.
    http = new ManagementStandIn(createHttpServer());
    https = new ManagementStandIn(
      createHttpsServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) }),
    );
    httpPort = await http.listen(0);
    await https.listen(15671);
  }, 120_000);
  afterAll(async () => {
    await http?.close();
    await https?.close();
    await producer?.close();
    await node?.destroy();
    rmSync(certs.dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    http.authorizations.length = 0;
    https.authorizations.length = 0;
  });
  const status = (args: string[]) =>
    runCli(['status', '-q', queue, '-u', tlsUrl, ...args], { env: { NODE_EXTRA_CA_CERTS: certs.ca } });

  it('asks https on 15671 for an amqps:// broker, never plain http', async () => {
    // WHEN status runs against a TLS broker without --management
    const exit = await status([]);

    // THEN the credentials went once, to the https API, and its count is shown (asking plain http on
    // 15672 instead, where a real management API may answer, would show another count and no https request)
    expect(exit.code).toBe(0);
    expect(https.authorizations).toEqual([guest]);
    expect(exit.stdout).toMatch(new RegExp(`^${queue}\\s+0\\s+7\\s`, 'm'));
  });

  it('refuses plain http --management on another machine for an amqps:// broker (one line, exit 2), follows it on this one', async () => {
    // WHEN --management names plain http on a host that is not this machine (TEST-NET, never reached)
    const remote = await status(['--management', 'http://192.0.2.1:15672']);
    // THEN nothing was sent and the user is told why, in one line
    expect(remote.code).toBe(2);
    expect(remote.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          /^workqueue: error: status: --management http:\/\/192\.0\.2\.1:15672 /.source +
            /would send the amqps:\/\/ broker's password in clear/.source,
        ),
      ),
    ]);

    // WHEN --management names plain http on loopback
    const local = await status(['--management', `http://127.0.0.1:${httpPort}`]);
    // THEN it is asked, with the broker URL's login
    expect(local.code).toBe(0);
    expect(http.authorizations).toEqual([guest]);
    expect(https.authorizations).toEqual([]);
    expect(local.stdout).toMatch(new RegExp(`^${queue}\\s+0\\s+7\\s`, 'm'));
  });
});
