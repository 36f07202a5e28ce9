import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { runCli } from './helpers/cli-process';
import { MarathonStandIn } from './helpers/marathon-stand-in';

describe('workqueue status -o json', () => {
  let broker: TestBroker;
  let marathon: MarathonStandIn;
  let project: string;
  let queue: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    queue = uniqueQueue('status-json');
    marathon = new MarathonStandIn();
    await marathon.listen();
    // GIVEN a project with one synthesized worker app on the queue
    project = mkdtempSync(join(tmpdir(), 'wq-cli-status-json-'));
    const apps = join(project, 'cdktf.out', 'stacks', 'test', 'marathon');
    mkdirSync(apps, { recursive: true });
    const app = { id: '/jobs-worker', cmd: 'x', labels: { 'workqueue.component': 'worker', 'workqueue.queue': queue } };
    writeFileSync(join(apps, 'jobs-worker.json'), JSON.stringify(app));
    // AND 3 ready messages on the queue, 1 on its dead-letter queue
    await broker.declare(queue);
    await broker.declare(`${queue}.dlq`);
    await broker.publish(queue, ['1', '2', '3']);
    await broker.publish(`${queue}.dlq`, ['dead']);
    // AND Marathon lists two running tasks of the app, which has no health checks
    marathon.tasks = (id) =>
      id === '/jobs-worker'
        ? [
            { host: 'h', state: 'TASK_RUNNING' },
            { host: 'h', state: 'TASK_STAGING' },
          ]
        : undefined;
  });
  afterEach(async () => {
    await broker.close();
    await marathon.close();
    rmSync(project, { recursive: true, force: true });
  });

  it('prints one JSON document: counts as numbers, null where unknown', async () => {
    // WHEN status -o json runs for the app's queue and one that does not exist, the management API unreachable
    const args = [
      'status',
      '-o',
      'json',
      '-q',
      queue,
      '-q',
      `${queue}-missing`,
      '-u',
      brokerUrl(),
      '--management',
      'http://127.0.0.1:1',
    ];
    const exit = await runCli([...args, '--marathon', marathon.url], { cwd: project });
    // THEN stdout is exactly one JSON document with the counts (leader and members unknown without the management API)
    const noMembers = { leader: null, members: null, online: null };
    expect(exit.code).toBe(0);
    expect(JSON.parse(exit.stdout)).toEqual({
      queues: [
        { name: queue, exists: true, ready: 3, unacked: null, deadLettered: 1, consumers: 0, ...noMembers },
        {
          name: `${queue}-missing`,
          exists: false,
          ready: null,
          unacked: null,
          deadLettered: null,
          consumers: null,
          ...noMembers,
        },
      ],
      apps: [{ id: '/jobs-worker', queue, tasks: 2, running: 1, healthy: 1 }],
    });
    // AND without Marathon, apps is null
    const without = await runCli(args, { cwd: project });
    expect(JSON.parse(without.stdout)).toMatchObject({ apps: null });
  });

  it('gives null tasks for an app Marathon does not answer for', async () => {
    const args = [
      'status',
      '-o',
      'json',
      '-u',
      brokerUrl(),
      '--management',
      'http://127.0.0.1:1',
      '--marathon',
      'http://127.0.0.1:1',
    ];
    const exit = await runCli(args, { cwd: project });
    expect(exit.code).toBe(0);
    const report = JSON.parse(exit.stdout) as { queues: { name: string }[]; apps: unknown[] };
    expect(report.queues.map((q) => q.name)).toEqual([queue]);
    expect(report.apps).toEqual([{ id: '/jobs-worker', queue, tasks: null, running: null, healthy: null }]);
  });
});
