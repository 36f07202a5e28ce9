import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Broker, WorkQueueWorker, type Target } from '../constructs';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { runCli } from './helpers/cli-process';
import { fakeDocker } from './helpers/fake-docker';
import { synthesizedProject } from './helpers/synth';

/** A project whose cdktf.out holds a stack on `target`: a broker of `nodes` and a fleet on each queue. */
function project(target: Target, queues: readonly string[], nodes = 1): string {
  return synthesizedProject('wq-cli-manifests', (stack) => {
    const broker = new Broker(stack, 'broker', { queues: [...queues], target, nodes });
    for (const queue of queues) new WorkQueueWorker(stack, queue, { queue, broker, program: `run-${queue}` });
  });
}

describe.each(['docker', 'swarm'] as const)(
  'the CLI on a %s stack (no Marathon apps: the neutral manifests)',
  (target) => {
    let cwd: string;
    let docker: ReturnType<typeof fakeDocker>;
    beforeAll(() => {
      cwd = project(target, ['mailers', 'thumbnails']);
      docker = fakeDocker(cwd);
    });
    afterAll(() => rmSync(cwd, { recursive: true, force: true }));

    it('writes no Marathon app there', () => {
      expect(existsSync(join(cwd, 'cdktf.out', 'stacks', 'test', 'marathon'))).toBe(false);
    });

    it("run-local runs a fleet in its image with the manifest's arguments", async () => {
      const before = docker.calls().length;
      const exit = await runCli(['run-local', 'thumbnails-worker', '-t', 'dev', '-u', 'amqp://localhost:5672'], {
        cwd,
        env: docker.env,
      });
      expect(exit).toMatchObject({ code: 0 });
      const [argv] = docker.calls().slice(before);
      const image = argv.indexOf('workqueue-thumbnails-worker:dev');
      expect(image).toBeGreaterThan(0);
      const args = argv.slice(image + 1);
      expect(args.slice(0, 2)).toEqual(['-q', 'thumbnails']);
      expect(args.slice(-2)).toEqual(['--', 'run-thumbnails']);
      expect(argv).toEqual(expect.arrayContaining(['-e', 'AMQP_URL']));
    });

    it('run-local refuses "worker" when two fleets could be meant, naming them as apps', async () => {
      const exit = await runCli(['run-local', 'worker', '-t', 'dev', '-u', 'amqp://localhost:5672'], {
        cwd,
        env: docker.env,
      });
      expect(exit.code).toBe(2);
      expect(exit.stderr).toContain(
        'the stack has 2 worker apps; name one: /mailers-worker (queue mailers), /thumbnails-worker (queue thumbnails)',
      );
    });

    it('build builds the images of the components named', async () => {
      const before = docker.calls().length;
      const exit = await runCli(['build', 'worker', '-t', 'dev'], { cwd, env: docker.env });
      expect(exit.code).toBe(0);
      const built = docker
        .calls()
        .slice(before)
        .map((argv) => argv[argv.indexOf('-t') + 1]);
      expect(built.sort()).toEqual(['workqueue-mailers-worker:dev', 'workqueue-thumbnails-worker:dev']);
    });

    it("deploy refuses, saying Marathon apps are the marathon target's", async () => {
      const exit = await runCli(['deploy', '-t', 'v1', '--marathon', 'http://127.0.0.1:1'], { cwd, env: docker.env });
      expect(exit.code).toBe(2);
      expect(exit.stderr).toMatch(/no Marathon apps in .*on the 'marathon' target/);
    });
  },
);

describe('the CLI on a kubernetes stack (images pushed to a registry)', () => {
  let cwd: string;
  let docker: ReturnType<typeof fakeDocker>;
  const registry = 'registry.example.com:5000/team';
  beforeAll(() => {
    cwd = synthesizedProject('wq-cli-k8s', (stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], target: 'kubernetes', registry });
      new WorkQueueWorker(stack, 'jobs', { queue: 'jobs', broker, registry });
      new WorkQueueWorker(stack, 'local', { queue: 'jobs', broker, name: 'jobs-local' });
    });
    docker = fakeDocker(cwd);
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('build --push builds each image in its registry and pushes it there', async () => {
    // GIVEN a broker and a fleet with a registry
    // WHEN their images are built with --push
    const before = docker.calls().length;
    const exit = await runCli(['build', 'broker', '/jobs-worker', '-t', 'v1', '--push'], { cwd, env: docker.env });
    // THEN each is tagged registry/name:v1 and pushed right after its build
    expect(exit.code).toBe(0);
    const calls = docker.calls().slice(before);
    expect(calls.map((argv) => (argv[0] === 'build' ? ['build', argv[argv.indexOf('-t') + 1]] : argv))).toEqual([
      ['build', `${registry}/workqueue-broker:v1`],
      ['push', `${registry}/workqueue-broker:v1`],
      ['build', `${registry}/workqueue-jobs-worker:v1`],
      ['push', `${registry}/workqueue-jobs-worker:v1`],
    ]);
  });

  it('build --push refuses, before building anything, an image without a registry', async () => {
    // GIVEN a fleet whose construct names no registry
    const before = docker.calls().length;
    // WHEN every image is built with --push
    const exit = await runCli(['build', '-t', 'v1', '--push'], { cwd, env: docker.env });
    // THEN one line names the image and the fix, and docker never ran
    expect(exit.code).toBe(2);
    expect(exit.stderr.trim().split('\n')).toHaveLength(1);
    expect(exit.stderr).toContain('--push needs a registry for workqueue-jobs-local: set the registry prop');
    expect(docker.calls().slice(before)).toEqual([]);
  });

  it('deploy refuses, pointing at cdktf deploy and kubectl apply', async () => {
    const exit = await runCli(['deploy', '-t', 'v1', '--marathon', 'http://127.0.0.1:1'], { cwd, env: docker.env });
    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(/on the 'kubernetes' target.*cdktf deploy.*kubectl apply -f .*kubernetes/);
  });
});

describe('run-local with a docker broker cluster', () => {
  let cwd: string;
  beforeAll(() => (cwd = project('docker', ['jobs'], 3)));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('refuses one node alone with its node name, from the manifest', async () => {
    const exit = await runCli(['run-local', 'broker-1', '-t', 'v1'], { cwd });
    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(/run-local: app \/broker-1 is one node of a broker cluster \(rabbit@broker-1\); /);
  });
});

describe('status on a docker stack', () => {
  let broker: TestBroker;
  let cwd: string;
  let queue: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    queue = uniqueQueue('manifest-status');
    cwd = project('docker', [queue]);
    await broker.declare(queue);
    await broker.publish(queue, ['1', '2']);
  });
  afterEach(async () => {
    await broker.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("takes the queues from the fleets' manifests when no -q is given", async () => {
    const args = ['status', '-o', 'json', '-u', brokerUrl(), '--management', 'http://127.0.0.1:1'];
    const exit = await runCli(args, { cwd });
    expect(exit.code).toBe(0);
    const report = JSON.parse(exit.stdout) as { queues: { name: string; ready: number }[]; apps: unknown };
    expect(report.queues.map((q) => [q.name, q.ready])).toEqual([[queue, 2]]);
    expect(report.apps).toBeNull();
  });
});
