import { createServer } from 'node:net';
import { discoverBroker } from '../worker/broker/discovery';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { SrvDnsServer } from './helpers/dns-server';
import { MarathonStandIn, marathonExampleTask } from './helpers/marathon-stand-in';
import { TcpProxy } from './helpers/tcp-proxy';
import { WorkerProcess, runWorker } from './helpers/worker-process';

const task = (host: string, port: number, extra: Record<string, unknown> = {}) => ({
  appId: '/broker',
  host,
  id: `broker.instance-${port}`,
  ports: [port, port + 1],
  state: 'TASK_RUNNING',
  healthCheckResults: [{ alive: true }],
  ...extra,
});

/** A port on 127.0.0.1 where nothing listens (bound, then closed): a broker node that is gone. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('workqueue-worker -b NAME: broker discovery', () => {
  let broker: TestBroker;
  let queue: string;
  const real = new URL(brokerUrl());
  const realPort = Number(real.port || 5672);
  /** Credentials and vhost from AMQP_URL, host deliberately wrong: only discovery can find the broker. */
  const amqpUrl = (() => {
    const u = new URL(brokerUrl());
    u.hostname = 'no-such-host.invalid';
    u.port = '1';
    return u.toString();
  })();
  beforeEach(async () => {
    broker = await TestBroker.open();
    queue = uniqueQueue('discovery');
    await broker.declare(queue);
  });
  afterEach(() => broker.close());

  it("uses a running, healthy task of the Marathon app, with Marathon's basic auth", async () => {
    // GIVEN Marathon lists an unhealthy task, a staging one, and a healthy one on the real broker
    const marathon = new MarathonStandIn();
    marathon.apps.set('/broker', { id: '/broker', healthChecks: [{ protocol: 'TCP', portIndex: 0 }] });
    marathon.tasks = (id) =>
      id === '/broker'
        ? [
            task('127.0.0.1', 9, { healthCheckResults: [{ alive: false }] }),
            task('127.0.0.1', 11, { state: 'TASK_STAGING' }),
            task(real.hostname, realPort),
          ]
        : undefined;
    await marathon.listen();
    try {
      await broker.publish(queue, ['via marathon']);
      const exit = await runWorker(['-b', 'broker', '-q', queue, '-c', '1', '--', 'cat'], {
        AMQP_URL: amqpUrl,
        MARATHON_URL: `http://ops:S3cret-marathon@127.0.0.1:${marathon.port}`,
      });
      expect(exit.code).toBe(0);
      expect(exit.stdout).toContain('via marathon');
      expect(exit.stderr).toContain(`broker 'broker' found via marathon at ${real.hostname}:${realPort}`);
      expect(marathon.requests[0]).toMatchObject({
        url: '/v2/apps/broker?embed=app.tasks',
        headers: { authorization: `Basic ${Buffer.from('ops:S3cret-marathon').toString('base64')}` },
      });
      expect(exit.stderr).not.toContain('S3cret');
    } finally {
      await marathon.close();
    }
  });

  it('does not take a task whose health checks have not reported yet, in an app with health checks', async () => {
    // GIVEN an app with a health check whose only running task has no result yet (on a port where no broker is)
    const marathon = new MarathonStandIn();
    marathon.apps.set('/broker', { id: '/broker', healthChecks: [{ protocol: 'TCP', portIndex: 0 }] });
    marathon.tasks = (id) => (id === '/broker' ? [task('127.0.0.1', 9, { healthCheckResults: undefined })] : undefined);
    await marathon.listen();
    try {
      // WHEN a worker looks for the broker
      const env = { AMQP_URL: amqpUrl, MARATHON_URL: marathon.url };
      const exit = await runWorker(['-b', 'broker', '-q', queue, '--connect-timeout', '2', '--', 'cat'], env);
      // THEN it waits for a healthy task rather than connecting there
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(/Marathon app '\/broker' has no running, healthy task yet \(1 task\(s\)\)/);
      expect(exit.stderr).not.toContain('found via marathon');
    } finally {
      await marathon.close();
    }
  });

  it("takes Marathon's example task, without health-check results, of an app without health checks", async () => {
    // GIVEN an app without health checks and its running task as Marathon's API documentation shows one
    const marathon = new MarathonStandIn();
    marathon.apps.set('/broker', { id: '/broker', cmd: 'rabbitmq-server', instances: 1 });
    marathon.tasks = (id) => (id === '/broker' ? [marathonExampleTask('/broker', real.hostname, realPort)] : undefined);
    await marathon.listen();
    try {
      await broker.publish(queue, ['via the example task']);
      // WHEN a worker looks for the broker
      const env = { AMQP_URL: amqpUrl, MARATHON_URL: marathon.url };
      const exit = await runWorker(['-b', 'broker', '-q', queue, '-c', '1', '--', 'cat'], env);
      // THEN it uses that task: running is healthy for an app that checks nothing
      expect(exit.code).toBe(0);
      expect(exit.stderr).toContain(`broker 'broker' found via marathon at ${real.hostname}:${realPort}`);
      expect(exit.stdout).toContain('via the example task');
    } finally {
      await marathon.close();
    }
  });

  it('discovers again on reconnect, following the broker to its new place', async () => {
    // GIVEN the broker app's task is first reached through one proxy, later through another
    const first = new TcpProxy(real.hostname, realPort);
    const second = new TcpProxy(real.hostname, realPort);
    await first.listen();
    await second.listen();
    let current = first;
    const marathon = new MarathonStandIn();
    marathon.tasks = () => [task('127.0.0.1', current.port)];
    await marathon.listen();
    const worker = new WorkerProcess(['-b', 'broker', '-q', queue, '--', 'cat'], {
      AMQP_URL: amqpUrl,
      MARATHON_URL: `http://127.0.0.1:${marathon.port}`,
    });
    try {
      await worker.waitForLog(/consuming/);
      expect(worker.stderr).toContain(`found via marathon at 127.0.0.1:${first.port}`);
      // WHEN the old place goes away and Marathon reports the new one
      current = second;
      first.refuse(true);
      first.cut();
      // THEN the worker reconnects there and works
      await worker.waitForLog(new RegExp(`found via marathon at 127\\.0\\.0\\.1:${second.port}`));
      await worker.waitForLog(/reconnected/);
      await broker.publish(queue, ['after the move']);
      await worker.waitForLog(/after the move/, 30_000, 'stdout');
    } finally {
      worker.child.kill('SIGTERM');
      await worker.finish();
      await marathon.close();
      await first.close();
      await second.close();
    }
  });

  it('uses the Mesos-DNS SRV record _NAME._tcp.marathon.mesos without Marathon', async () => {
    const dns = new SrvDnsServer({
      '_broker._tcp.marathon.mesos': [
        {
          priority: 10,
          weight: 1,
          port: realPort,
          target: real.hostname === 'localhost' ? 'localhost' : real.hostname,
        },
      ],
    });
    await dns.listen();
    try {
      await broker.publish(queue, ['via srv']);
      const exit = await runWorker(['-b', 'broker', '-q', queue, '-c', '1', '--', 'cat'], {
        AMQP_URL: amqpUrl,
        WQ_DNS_SERVERS: `127.0.0.1:${dns.port}`,
      });
      expect(exit.code).toBe(0);
      expect(exit.stdout).toContain('via srv');
      expect(exit.stderr).toContain(`broker 'broker' found via srv at ${real.hostname}:${realPort}`);
      expect(dns.queries).toContain('_broker._tcp.marathon.mesos');
    } finally {
      await dns.close();
    }
  });

  it('falls back to the plain host name on port 5672 when neither Marathon nor an SRV record knows it', async () => {
    const dns = new SrvDnsServer({});
    await dns.listen();
    try {
      await expect(discoverBroker('broker', { WQ_DNS_SERVERS: `127.0.0.1:${dns.port}` })).resolves.toEqual([
        { host: 'broker', port: 5672, via: 'hostname', priority: 0 },
      ]);
      expect(dns.queries).toEqual(['_broker._tcp.marathon.mesos']);
      await expect(discoverBroker('broker:5999', {})).resolves.toEqual([
        { host: 'broker', port: 5999, via: 'hostname', priority: 0 },
      ]);
    } finally {
      await dns.close();
    }
  });

  it('uses every healthy task of the Marathon app: with some gone, it connects to one that answers', async () => {
    // GIVEN Marathon lists three healthy tasks of the broker app, two of them on ports where no broker listens
    const [gone1, gone2] = [await closedPort(), await closedPort()];
    const marathon = new MarathonStandIn();
    marathon.tasks = (id) =>
      id === '/broker'
        ? [task('127.0.0.1', gone1), task('127.0.0.1', gone2), task(real.hostname, realPort)]
        : undefined;
    await marathon.listen();
    try {
      await broker.publish(queue, ['to any node']);
      // WHEN a worker takes one message
      const exit = await runWorker(['-b', 'broker', '-q', queue, '-c', '1', '--', 'cat'], {
        AMQP_URL: amqpUrl,
        MARATHON_URL: marathon.url,
      });
      // THEN all three tasks are candidates, and the worker works on the one that answers
      expect(exit.code).toBe(0);
      expect(exit.stderr).toContain(
        `found via marathon at 127.0.0.1:${gone1}, 127.0.0.1:${gone2}, ${real.hostname}:${realPort}`,
      );
      expect(exit.stderr).toMatch(new RegExp(`connected to \\S+:${realPort} \\(one of 3 brokers`));
      expect(exit.stdout).toContain('to any node');
    } finally {
      await marathon.close();
    }
  });

  it('uses every target of the SRV record, lower priority first: a first target gone, it takes the next', async () => {
    // GIVEN the SRV record's preferred target (priority 10) is gone, the other one (priority 20) is the broker
    const gone = await closedPort();
    const dns = new SrvDnsServer({
      '_broker._tcp.marathon.mesos': [
        { priority: 20, weight: 1, port: realPort, target: real.hostname },
        { priority: 10, weight: 1, port: gone, target: '127.0.0.1' },
      ],
    });
    await dns.listen();
    try {
      await broker.publish(queue, ['via the second target']);
      // WHEN a worker takes one message
      const exit = await runWorker(['-b', 'broker', '-q', queue, '-c', '1', '--', 'cat'], {
        AMQP_URL: amqpUrl,
        WQ_DNS_SERVERS: `127.0.0.1:${dns.port}`,
      });
      // THEN it tried the preferred target, found it gone, and works on the other one
      expect(exit.code).toBe(0);
      expect(exit.stderr).toContain(`found via srv at 127.0.0.1:${gone}, ${real.hostname}:${realPort}`);
      expect(exit.stderr).toMatch(
        new RegExp(`connected to \\S+:${realPort} \\(one of 2 brokers; unreachable: \\S+:${gone}: .*ECONNREFUSED`),
      );
      expect(exit.stdout).toContain('via the second target');
    } finally {
      await dns.close();
    }
  });

  it('takes several -b names, one per node; a name without a healthy task is left out', async () => {
    // GIVEN two broker apps: /broker-0 with no running task (its node is down), /broker-1 healthy on the broker
    const marathon = new MarathonStandIn();
    marathon.tasks = (id) =>
      id === '/broker-0'
        ? [task('127.0.0.1', 9, { state: 'TASK_STAGING' })]
        : id === '/broker-1'
          ? [task(real.hostname, realPort)]
          : undefined;
    await marathon.listen();
    try {
      await broker.publish(queue, ['via broker-1']);
      // WHEN a worker is given both names
      const args = ['-b', '/broker-0', '--broker', '/broker-1', '-q', queue, '-c', '1', '--', 'cat'];
      const exit = await runWorker(args, { AMQP_URL: amqpUrl, MARATHON_URL: marathon.url });
      // THEN it says why /broker-0 is left out, and works on /broker-1's task
      expect(exit.code).toBe(0);
      expect(exit.stderr).toContain("Marathon app '/broker-0' has no running, healthy task yet (1 task(s))");
      expect(exit.stderr).toContain(`broker '/broker-1' found via marathon at ${real.hostname}:${realPort}`);
      expect(exit.stdout).toContain('via broker-1');
    } finally {
      await marathon.close();
    }
  });

  it("reports Marathon's answer when the app has no usable task, and gives up after --connect-timeout", async () => {
    const marathon = new MarathonStandIn();
    marathon.tasks = (id) => (id === '/broker' ? [task('127.0.0.1', 9, { state: 'TASK_STAGING' })] : undefined);
    await marathon.listen();
    try {
      const exit = await runWorker(['-b', 'broker', '-q', queue, '--connect-timeout', '2', '--', 'cat'], {
        AMQP_URL: amqpUrl,
        MARATHON_URL: `http://127.0.0.1:${marathon.port}`,
      });
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(/has no running, healthy task yet/);
      expect(exit.stderr).toMatch(/error: cannot reach the broker .* within the connect timeout/);
    } finally {
      await marathon.close();
    }
  });
});
