import { rmSync } from 'node:fs';
import { Broker, WorkQueueWorker } from '../constructs';
import { runCli } from './helpers/cli-process';
import { MarathonStandIn } from './helpers/marathon-stand-in';
import { synthesizedProject } from './helpers/synth';

const COOKIE = 'Ck0okie4ClusterNodes0123456789';
/** Worker password with characters a URL must encode, in every URL of the list. */
const WORKER_PASSWORD = 'w@rk/er#pw';
const ENV = { BROKER_PASSWORD: 'admin-pw', WORKER_PASSWORD, ERLANG_COOKIE: COOKIE };

/** A project folder whose cdktf.out holds a 3-node broker cluster and a worker fleet, for Marathon. */
function project(): string {
  return synthesizedProject('wq-cli-cluster', (stack) => {
    const broker = new Broker(stack, 'broker', { queues: ['jobs'], nodes: 3, target: 'marathon' });
    new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, name: 'worker' });
  });
}

describe('workqueue deploy of a broker cluster against a Marathon stand-in', () => {
  let marathon: MarathonStandIn;
  let cwd: string;
  beforeEach(async () => {
    marathon = new MarathonStandIn();
    await marathon.listen();
    cwd = project();
  });
  afterEach(async () => {
    await marathon.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('PUTs every node before the workers, the cookie from $ERLANG_COOKIE, never printing it', async () => {
    // GIVEN a synthesized 3-node cluster WHEN deployed with the cookie and passwords in the environment
    const exit = await runCli(['deploy', '-t', 'v1', '--marathon', marathon.url], { cwd, env: ENV });
    // THEN the three broker apps go first, each with the cookie, then the worker with every node
    expect(exit.code).toBe(0);
    const puts = marathon.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.url.replace(/\?.*/, ''))).toEqual([
      '/v2/apps/broker-0',
      '/v2/apps/broker-1',
      '/v2/apps/broker-2',
      '/v2/apps/worker',
    ]);
    for (const put of puts.slice(0, 3)) expect(put.body).toMatchObject({ env: { WQ_ERLANG_COOKIE: COOKIE } });
    const encoded = encodeURIComponent(WORKER_PASSWORD);
    expect(puts[3].body).toMatchObject({
      dependencies: ['/broker-0', '/broker-1', '/broker-2'],
      env: {
        AMQP_URL: [0, 1, 2].map((i) => `amqp://workqueue-worker:${encoded}@broker-${i}:5672/`).join(','),
      },
    });
    for (const put of puts) expect(JSON.stringify(put.body)).not.toContain('{{');
    expect(exit.stderr).not.toContain(COOKIE);
  });

  it.each([
    ['too short', 'short0cookie'],
    ['with other characters', 'cookie-with-dashes-and-more-1234'],
  ])('refuses a cookie %s before any PUT, without showing it, exit 2', async (_what, cookie) => {
    const exit = await runCli(['deploy', '-t', 'v1', '--marathon', marathon.url], {
      cwd,
      env: { ...ENV, ERLANG_COOKIE: cookie },
    });
    expect(exit.code).toBe(2);
    expect(exit.stderr.trim()).toMatch(
      new RegExp(
        '^workqueue: error: deploy: \\$ERLANG_COOKIE must be at least 20 letters and digits .*' +
          'the broker nodes refuse any other$',
      ),
    );
    expect(exit.stderr).not.toContain(cookie);
    expect(marathon.requests).toHaveLength(0);
  });

  it('names a missing $ERLANG_COOKIE like any placeholder', async () => {
    const exit = await runCli(['deploy', 'broker-0', '-t', 'v1', '--marathon', marathon.url], {
      cwd,
      env: { ...ENV, ERLANG_COOKIE: undefined },
    });
    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(/app \/broker-0 needs \{\{ERLANG_COOKIE\}\}: set \$ERLANG_COOKIE/);
  });

  it('sets one -b and one dependency per name of -b a,b,c, replacing every -b of the app', async () => {
    const exit = await runCli(
      ['deploy', 'worker', '-t', 'v2', '-b', 'rabbit-0,rabbit-1,rabbit-2', '--marathon', marathon.url],
      { cwd, env: ENV },
    );
    expect(exit.code).toBe(0);
    const put = marathon.requests.find((r) => r.method === 'PUT')!;
    const body = put.body as { args: string[]; dependencies: string[] };
    expect(body.dependencies).toEqual(['/rabbit-0', '/rabbit-1', '/rabbit-2']);
    expect(body.args.slice(0, 8)).toEqual(['-b', 'rabbit-0', '-b', 'rabbit-1', '-b', 'rabbit-2', '-q', 'jobs']);
    expect(body.args.filter((a) => a === '-b')).toHaveLength(3);
  });
});

describe('workqueue run-local with a broker cluster', () => {
  let cwd: string;
  beforeAll(() => (cwd = project()));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('refuses to run one node of a cluster alone, saying what to do instead', async () => {
    const exit = await runCli(['run-local', 'broker-1', '-t', 'v1'], { cwd, env: ENV });
    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(
      /run-local: app \/broker-1 is one node of a broker cluster \(rabbit@broker-1\.marathon\.mesos\); run-local runs/,
    );
  });
});
