import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { TestBroker, brokerUrl, managementUrl, uniqueQueue } from './helpers/amqp';
import { runCli } from './helpers/cli-process';
import { MarathonStandIn, marathonExampleTask } from './helpers/marathon-stand-in';
import { waitFor } from './helpers/wait-for';

describe('workqueue publish and status against a real broker', () => {
  let broker: TestBroker;
  let queue: string;
  const cwd = mkdtempSync(join(tmpdir(), 'wq-cli-pub-'));
  beforeEach(async () => {
    broker = await TestBroker.open();
    queue = uniqueQueue('cli');
    await broker.declare(queue);
  });
  afterEach(() => broker.close());
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('publishes one persistent message per line of stdin, confirmed, and shows the rate', async () => {
    const exit = await runCli(['publish', '-q', queue], {
      cwd,
      env: { AMQP_URL: brokerUrl() },
      input: 'alpha\nbeta\ngamma\n',
    });
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/published 3 message\(s\) to '.*', all confirmed \(\d+ msg\/s\)/);
    const messages = await broker.drain(queue);
    expect(messages.map((m) => m.body.toString())).toEqual(['alpha', 'beta', 'gamma']);
    expect(messages.every((m) => m.properties.deliveryMode === 2)).toBe(true);
    // each with an id of its own, for idempotent programs
    const ids = messages.map((m) => m.properties.messageId);
    expect(ids.every((id) => /^[0-9a-f-]{36}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(3);
  });

  it('publishes each FILE as one message, byte for byte', async () => {
    const a = join(cwd, 'a.bin');
    writeFileSync(a, Buffer.from([0, 1, 10, 255]));
    const b = join(cwd, 'b.txt');
    writeFileSync(b, 'two\nlines\n');
    const exit = await runCli(['publish', '-q', queue, '-u', brokerUrl(), a, b], { cwd });
    expect(exit.code).toBe(0);
    const bodies = (await broker.drain(queue)).map((m) => m.body);
    expect(bodies.map((x) => x.toString('hex'))).toEqual([
      Buffer.from([0, 1, 10, 255]).toString('hex'),
      Buffer.from('two\nlines\n').toString('hex'),
    ]);
  });

  it("publishes through the first node of a cluster's URL list that answers ($AMQP_URL)", async () => {
    // GIVEN a list whose first node does not answer
    const dead = 'amqp://guest:guest@127.0.0.1:1/';
    // WHEN publish takes the list from $AMQP_URL
    const exit = await runCli(['publish', '-q', queue], {
      cwd,
      input: 'a\nb\n',
      env: { AMQP_URL: `${dead},${brokerUrl()}` },
    });
    // THEN both lines reach the queue through the second node
    expect(exit.code).toBe(0);
    expect((await broker.drain(queue)).map((m) => String(m.body))).toEqual(['a', 'b']);
  });

  it('fails, naming the queue, when no queue takes the messages', async () => {
    const exit = await runCli(['publish', '-q', `${queue}-missing`, '-u', brokerUrl()], { cwd, input: 'x\n' });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/1 of 1 message\(s\) came back unrouted: queue '.*-missing' does not exist/);
  });

  it('shows ready, dead-lettered and consumer counts of a queue', async () => {
    await broker.publish(queue, ['1', '2', '3']);
    await broker.declare(`${queue}.dlq`);
    await broker.publish(`${queue}.dlq`, ['dead']);
    const exit = await runCli(['status', '-q', queue, '-u', brokerUrl(), '--management', 'http://127.0.0.1:1'], {
      cwd,
    });
    expect(exit.code).toBe(0);
    const [header, row] = exit.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/));
    expect(header).toEqual(['QUEUE', 'READY', 'UNACKED', 'DEAD-LETTERED', 'CONSUMERS', 'LEADER', 'MEMBERS']);
    expect(row).toEqual([queue, '3', '-', '1', '0', '-', '-']);
  });

  it("shows the unacked count from the broker's management API", async () => {
    // GIVEN 5 messages and a consumer holding 3 of them unacked (prefetch 3), on a broker with the
    // management plugin
    await broker.publish(queue, ['1', '2', '3', '4', '5']);
    const connection = await amqp.connect(brokerUrl());
    try {
      const channel = await connection.createChannel();
      await channel.prefetch(3);
      let held = 0;
      await channel.consume(queue, () => void (held += 1), { noAck: false });
      await waitFor('the consumer to hold 3 messages', () => held === 3, 30_000, 50);
      // WHEN status runs with the test broker's management API; its statistics lag behind, so until it shows them
      let row: string[] = [];
      await waitFor(
        'status to show the unacked messages',
        async () => {
          const exit = await runCli(['status', '-q', queue, '-u', brokerUrl(), '--management', managementUrl()], {
            cwd,
          });
          expect(exit.code).toBe(0);
          row = exit.stdout.trim().split('\n')[1].split(/\s+/);
          return row[2] === '3';
        },
        60_000,
        1_000,
      );
      // THEN its row shows 2 ready, 3 unacked, no dead-letter queue and one consumer (a classic queue: no leader)
      expect(row).toEqual([queue, '2', '3', 'missing', '1', '-', '-']);
    } finally {
      await connection.close();
    }
  });

  it('counts running and healthy tasks of each synthesized app by the health rule discovery uses', async () => {
    // GIVEN a synthesized stack with an app that defines a health check and one that defines none
    const project = mkdtempSync(join(cwd, 'project-'));
    const apps = join(project, 'cdktf.out', 'stacks', 'test', 'marathon');
    mkdirSync(apps, { recursive: true });
    const labels = { 'workqueue.queue': queue };
    const checked = {
      id: '/checked',
      cmd: 'x',
      healthChecks: [{ protocol: 'MESOS_HTTP', path: '/healthz', portIndex: 0 }],
      labels,
    };
    const plain = { id: '/plain', cmd: 'x', labels };
    for (const app of [checked, plain]) writeFileSync(join(apps, `${app.id.slice(1)}.json`), JSON.stringify(app));
    // AND Marathon lists, for the checked app: a passing task, one with no result yet, a failing one and a
    // staging one; for the plain app: one running task without results, as Marathon's documentation shows
    const marathon = new MarathonStandIn();
    marathon.apps.set('/checked', checked);
    marathon.apps.set('/plain', plain);
    const task = (state: string, results?: { alive: boolean }[]) => ({
      host: 'h',
      ports: [1],
      state,
      ...(results ? { healthCheckResults: results } : {}),
    });
    marathon.tasks = (id) =>
      id === '/checked'
        ? [
            task('TASK_RUNNING', [{ alive: true }]),
            task('TASK_RUNNING'),
            task('TASK_RUNNING', [{ alive: false }]),
            task('TASK_STAGING'),
          ]
        : id === '/plain'
          ? [marathonExampleTask('/plain', 'h', 31000)]
          : undefined;
    await marathon.listen();
    try {
      // WHEN status runs in the project
      const args = ['status', '-u', brokerUrl(), '--management', 'http://127.0.0.1:1', '--marathon', marathon.url];
      const exit = await runCli(args, { cwd: project });
      // THEN a task of the checked app is healthy only with a passing result for its check, and the
      // plain app's running task is healthy
      expect(exit.code).toBe(0);
      const appRows = exit.stdout
        .split('\n\n')[1]
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/));
      expect(appRows).toEqual([
        ['APP', 'TASKS', 'RUNNING', 'HEALTHY'],
        ['/checked', '4', '3', '1'],
        ['/plain', '1', '1', '1'],
      ]);
    } finally {
      await marathon.close();
    }
  });

  it('prints help with examples for every command', async () => {
    for (const command of ['deploy', 'scale', 'publish', 'status']) {
      const exit = await runCli([command, '--help'], { cwd });
      expect(exit.code).toBe(0);
      expect(exit.stdout).toMatch(new RegExp(`^Usage: workqueue ${command} `));
      expect(exit.stdout).toMatch(/Examples:\n\s+\S/);
    }
    const top = await runCli(['--help'], { cwd });
    expect(top.stdout).toMatch(/^Usage: workqueue COMMAND/);
  });
});
