import { rmSync } from 'node:fs';
import { Broker, WorkQueueWorker } from '../constructs';
import { runCli } from './helpers/cli-process';
import { fakeDocker } from './helpers/fake-docker';
import { MarathonStandIn } from './helpers/marathon-stand-in';
import { synthesizedProject } from './helpers/synth';

/** A project whose cdktf.out holds a broker and two worker fleets: mailers (curl) and thumbnails (convert). */
function project(): string {
  return synthesizedProject('wq-cli-fleets', (stack) => {
    const broker = new Broker(stack, 'broker', { queues: ['mailers', 'thumbnails'], target: 'marathon' });
    new WorkQueueWorker(stack, 'mailers', { queue: 'mailers', broker, program: 'curl' });
    new WorkQueueWorker(stack, 'thumbnails', { queue: 'thumbnails', broker, program: 'convert' });
  });
}

describe('workqueue commands with several worker fleets', () => {
  let cwd: string;
  let docker: ReturnType<typeof fakeDocker>;
  beforeAll(() => {
    cwd = project();
    docker = fakeDocker(cwd);
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('refuses run-local worker when two fleets could be meant, listing them in one line, exit 2', async () => {
    const before = docker.calls().length;
    // WHEN run-local is asked for "worker" in a stack with two worker fleets
    const exit = await runCli(['run-local', 'worker', '-t', 'dev', '-q', 'thumbnails', '-u', 'amqp://localhost:5672'], {
      cwd,
      env: docker.env,
    });
    // THEN it runs nothing and names both fleets with their queues
    expect(exit.code).toBe(2);
    const choices = '/mailers-worker (queue mailers), /thumbnails-worker (queue thumbnails)';
    expect(exit.stderr.trim().split('\n')).toEqual([
      expect.stringContaining(`workqueue: error: run-local: the stack has 2 worker apps; name one: ${choices}`),
    ]);
    expect(docker.calls().length).toBe(before);
  });

  it('runs the named fleet in its own image with its own program', async () => {
    const before = docker.calls().length;
    // WHEN run-local names the thumbnails fleet by its app id
    const exit = await runCli(
      ['run-local', 'thumbnails-worker', '-t', 'dev', '-q', 'thumbs-test', '-u', 'amqp://localhost:5672'],
      { cwd, env: docker.env },
    );
    // THEN docker runs the thumbnails image, on the queue given, with convert (not the mailers' curl)
    expect(exit.code).toBe(0);
    const calls = docker.calls().slice(before);
    expect(calls).toHaveLength(1);
    const argv = calls[0];
    const image = argv.indexOf('workqueue-thumbnails-worker:dev');
    expect(image).toBeGreaterThan(0);
    const workerArgs = argv.slice(image + 1);
    expect(workerArgs[workerArgs.indexOf('-q') + 1]).toBe('thumbs-test');
    expect(workerArgs).toContain('convert');
    expect(argv).not.toContain('curl');
    expect(argv).not.toContain('workqueue-mailers-worker:dev');
  });

  it('builds only the images of the apps named; "worker" builds every worker fleet, not the broker', async () => {
    const before = docker.calls().length;
    // WHEN one fleet is built by its id
    const one = await runCli(['build', '/thumbnails-worker', '-t', 'dev'], { cwd, env: docker.env });
    // THEN only its image is built
    expect(one.code).toBe(0);
    const built = (calls: string[][]) => calls.map((argv) => argv[argv.indexOf('-t') + 1]);
    expect(built(docker.calls().slice(before))).toEqual(['workqueue-thumbnails-worker:dev']);
    // AND "worker" builds both fleets' images
    const mid = docker.calls().length;
    const all = await runCli(['build', 'worker', '-t', 'dev'], { cwd, env: docker.env });
    expect(all.code).toBe(0);
    expect(built(docker.calls().slice(mid)).sort()).toEqual([
      'workqueue-mailers-worker:dev',
      'workqueue-thumbnails-worker:dev',
    ]);
  });

  describe('deploy -q', () => {
    let marathon: MarathonStandIn;
    beforeEach(async () => {
      marathon = new MarathonStandIn();
      await marathon.listen();
    });
    afterEach(() => marathon.close());
    const env = { BROKER_PASSWORD: 'pw', WORKER_PASSWORD: 'wpw' };

    it('refuses to point every fleet at one queue when no fleet is named, exit 2', async () => {
      // WHEN deploy gets -q in a stack with two worker fleets and no app named
      const exit = await runCli(['deploy', '-t', 'v1', '-q', 'images', '--marathon', marathon.url], { cwd, env });
      // THEN nothing is deployed, and the line lists the fleets
      expect(exit.code).toBe(2);
      expect(exit.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /deploy -q: the stack has 2 worker apps; name one: \/mailers-worker \(queue mailers\), \/thumbnails-worker/,
        ),
      ]);
      expect(marathon.requests).toHaveLength(0);
    });

    it('sets the queue of the fleet named only', async () => {
      const exit = await runCli(
        ['deploy', 'thumbnails-worker', '-t', 'v1', '-q', 'images', '--marathon', marathon.url],
        { cwd, env },
      );
      expect(exit.code).toBe(0);
      const puts = marathon.requests.filter((r) => r.method === 'PUT');
      expect(puts.map((p) => p.url)).toEqual(['/v2/apps/thumbnails-worker?partialUpdate=false']);
      expect(puts[0].body).toMatchObject({
        args: expect.arrayContaining(['-q', 'images']),
        labels: { 'workqueue.queue': 'images' },
      });
    });
  });
});
