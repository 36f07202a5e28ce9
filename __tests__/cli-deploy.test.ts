import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Broker, WorkQueueWorker } from '../constructs';
import { runCli } from './helpers/cli-process';
import { marathonSchemaFound } from './helpers/marathon-schema';
import { MarathonStandIn } from './helpers/marathon-stand-in';
import { synthesizedProject } from './helpers/synth';

/** A project folder whose cdktf.out holds a synthesized broker + worker stack. */
function project(): string {
  return synthesizedProject('wq-cli', (stack) => {
    const broker = new Broker(stack, 'broker', { queues: ['jobs'], target: 'marathon' });
    new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, name: 'worker', instances: 2 });
  });
}

describe('workqueue deploy and scale against a Marathon stand-in', () => {
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

  it('PUTs the broker, then the workers, with placeholders filled, and waits for the deployments', async () => {
    // WHEN the apps are deployed with a tag and the broker password from the environment
    const exit = await runCli(['deploy', '-t', 'v1.2', '--wait'], {
      cwd,
      env: {
        MARATHON_URL: `http://ops:Mara-Secret@127.0.0.1:${marathon.port}`,
        BROKER_PASSWORD: 'pw-from-env',
        WORKER_PASSWORD: 'worker-pw',
      },
    });
    // THEN Marathon received both apps, broker first, as full replacements
    expect(exit.code).toBe(0);
    const puts = marathon.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.url)).toEqual([
      '/v2/apps/broker?partialUpdate=false',
      '/v2/apps/worker?partialUpdate=false',
    ]);
    expect(puts[0].headers.authorization).toBe(`Basic ${Buffer.from('ops:Mara-Secret').toString('base64')}`);
    expect(puts[0].body).toMatchObject({
      id: '/broker',
      container: { docker: { image: 'workqueue-broker:v1.2' } },
      env: { WQ_BROKER_PASSWORD: 'pw-from-env', WQ_WORKER_PASSWORD: 'worker-pw' },
    });
    expect(puts[1].body).toMatchObject({
      id: '/worker',
      instances: 2,
      dependencies: ['/broker'],
      env: { AMQP_URL: 'amqp://workqueue-worker:worker-pw@broker:5672/' },
    });
    for (const put of puts) expect(JSON.stringify(put.body)).not.toContain('{{');
    // ... and followed /v2/deployments until they were done
    expect(marathon.requests.filter((r) => r.url === '/v2/deployments').length).toBeGreaterThanOrEqual(2);
    expect(exit.stderr).toMatch(/PUT \/broker → created \(deployment [0-9a-f-]+\)/);
    expect(exit.stderr).toMatch(/deployments done: 2/);
    expect(exit.stderr).not.toMatch(/Mara-Secret|pw-from-env/);
    // AND a second deploy updates them (200)
    const again = await runCli(['deploy', '-t', 'v1.3'], {
      cwd,
      env: { MARATHON_URL: marathon.url, BROKER_PASSWORD: 'pw', WORKER_PASSWORD: 'wpw' },
    });
    expect(again.stderr).toMatch(/PUT \/broker → updated/);
  });

  it("sets the workers' -b and -q from the flags, and deploys only the apps named", async () => {
    const exit = await runCli(
      ['deploy', 'worker', '-t', 'v2', '-b', 'rabbit', '-q', 'images', '--marathon', marathon.url],
      { cwd, env: { BROKER_PASSWORD: 'pw', WORKER_PASSWORD: 'wpw' } },
    );
    expect(exit.code).toBe(0);
    const puts = marathon.requests.filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(1);
    expect(puts[0].body).toMatchObject({
      id: '/worker',
      dependencies: ['/rabbit'],
      args: expect.arrayContaining(['-b', 'rabbit', '-q', 'images']),
    });
  });

  it("fills an autoscaler app's Marathon URL and token with deploy's, and gives it the fleet's -b and -q", async () => {
    // GIVEN an autoscaled fleet on Marathon (its autoscaler app holds {{MARATHON_URL}} and {{MARATHON_TOKEN}})
    const scaled = synthesizedProject('wq-cli-autoscaled', (stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], target: 'marathon' });
      const autoscale = { min: 0, max: 3, messagesPerInstance: 10 };
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, name: 'worker', autoscale });
    });
    try {
      // WHEN deployed with --marathon and -b/-q, no $MARATHON_TOKEN set
      const exit = await runCli(['deploy', '-t', 'v1', '-b', 'rabbit', '-q', 'images', '--marathon', marathon.url], {
        cwd: scaled,
        env: { BROKER_PASSWORD: 'pw', WORKER_PASSWORD: 'wpw' },
      });
      // THEN the autoscaler app scales through that Marathon, on the fleet's queue and broker, after the fleet
      expect(exit.code).toBe(0);
      const put = marathon.requests.find((r) => r.url.startsWith('/v2/apps/worker-autoscaler?'))!;
      expect(put.body).toMatchObject({
        env: { MARATHON_URL: marathon.url, MARATHON_TOKEN: '' },
        args: expect.arrayContaining(['-b', 'rabbit', '-q', 'images', '--app', '/worker']),
        dependencies: ['/worker'],
      });
    } finally {
      rmSync(scaled, { recursive: true, force: true });
    }
  });

  it('names the missing placeholder values in one line, exit 2', async () => {
    const exit = await runCli(['deploy', '--marathon', marathon.url], { cwd });
    expect(exit.code).toBe(2);
    expect(exit.stderr.trim()).toMatch(
      new RegExp(
        /^workqueue: error: app \/broker needs \{\{TAG\}\}, \{\{BROKER_PASSWORD\}\}, \{\{WORKER_PASSWORD\}\}: /.source +
          /set \$TAG, \$BROKER_PASSWORD, \$WORKER_PASSWORD or pass -t TAG$/.source,
      ),
    );
    expect(marathon.requests).toHaveLength(0);
  });

  it('suggests --force when Marathon answers 409, and overrides the lock with it', async () => {
    marathon.locked.add('/broker');
    const locked = await runCli(['deploy', 'broker', '-t', 'v1', '--marathon', marathon.url], {
      cwd,
      env: { BROKER_PASSWORD: 'pw', WORKER_PASSWORD: 'wpw' },
    });
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(
      /Marathon answered 409 \(App is locked by one or more deployments.*\): .*pass --force/,
    );
    const forced = await runCli(['deploy', 'broker', '-t', 'v1', '--force', '--marathon', marathon.url], {
      cwd,
      env: { BROKER_PASSWORD: 'pw', WORKER_PASSWORD: 'wpw' },
    });
    expect(forced.code).toBe(0);
    expect(marathon.requests.at(-1)?.url).toBe('/v2/apps/broker?partialUpdate=false&force=true');
  });

  it("shows Marathon's details when it rejects an app with 422", async () => {
    if (!marathonSchemaFound()) return; // the stand-in rejects by Marathon's own schema: nothing to show without it
    const file = join(cwd, 'cdktf.out', 'stacks', 'test', 'marathon', 'worker.json');
    writeFileSync(
      file,
      JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), cmd: 'workqueue-worker -q jobs -- cat' }),
    );
    const exit = await runCli(['deploy', 'worker', '-t', 'v1', '--marathon', marathon.url], {
      cwd,
      env: { BROKER_PASSWORD: 'pw', WORKER_PASSWORD: 'wpw' },
    });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/deploying \/worker: Marathon rejected the app \(422 Object is not valid\): .+/);
  });

  it('scales an app and waits for the deployment', async () => {
    await runCli(['deploy', '-t', 'v1', '--marathon', marathon.url], {
      cwd,
      env: { BROKER_PASSWORD: 'pw', WORKER_PASSWORD: 'wpw' },
    });
    const exit = await runCli(['scale', 'worker', '5', '--wait', '--marathon', marathon.url], { cwd });
    expect(exit.code).toBe(0);
    expect(marathon.requests.filter((r) => r.method === 'PUT').at(-1)).toMatchObject({
      url: '/v2/apps/worker',
      body: { instances: 5 },
    });
    expect(marathon.apps.get('/worker')).toMatchObject({ instances: 5, args: expect.arrayContaining(['-q', 'jobs']) });
    expect(exit.stderr).toMatch(/scaling \/worker to 5 .*\n.*deployments done: 1/s);
  });

  it('rejects a bad scale count and an unknown command with one line, exit 2', async () => {
    for (const args of [['scale', 'worker', '-1'], ['frobnicate']]) {
      const exit = await runCli(args, { cwd, env: { MARATHON_URL: marathon.url } });
      expect(exit.code).toBe(2);
      expect(exit.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
