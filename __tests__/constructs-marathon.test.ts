import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker, WorkQueueWorker } from '../constructs';
import { marathonSchemaFound, marathonValidator } from './helpers/marathon-schema';
import { resources, synthesize } from './helpers/synth';

const validate = marathonValidator();

describe('Marathon app definitions', () => {
  it("are written for every component on the marathon target and pass Marathon's schema", () => {
    const { marathon } = synthesize((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], target: 'marathon' });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, instances: 4, timeoutSeconds: 300 });
    });
    expect(Object.keys(marathon).sort()).toEqual(['broker.json', 'jobs-worker.json']);
    for (const [file, app] of Object.entries(marathon))
      expect({ file, errors: validate(app) }).toEqual({ file, errors: [] });
  });

  // Issue 14: Marathon JSON only for the marathon target (it was written for every target before).
  it.each(['docker', 'swarm'] as const)('are not written on the %s target', (target) => {
    const { dir, marathon } = synthesize((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], target });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, instances: 4, timeoutSeconds: 300 });
    });
    expect(marathon).toEqual({});
    expect(existsSync(join(dir, 'marathon'))).toBe(false);
    expect(readdirSync(join(dir, 'images')).sort()).toEqual(['workqueue-broker.json', 'workqueue-jobs-worker.json']);
  });

  it('are checked by a schema that does reject what Marathon rejects (cmd with args, unknown fields)', () => {
    if (!marathonSchemaFound()) return; // nothing to show without the schema (the line printed says how to get it)
    const { marathon } = synthesize((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], target: 'marathon' });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker });
    });
    const worker = marathon['jobs-worker.json'];
    expect(validate({ ...worker, cmd: 'workqueue-worker -q jobs -- cat' })).not.toEqual([]);
    expect(validate({ ...worker, replicas: 3 })).not.toEqual([]);
  });

  it('give the worker app its command as args only, -b and -q, a broker dependency and a drain grace', () => {
    const { marathon } = synthesize((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], target: 'marathon' });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, instances: 4, shutdownGraceSeconds: 60 });
    });
    const worker = marathon['jobs-worker.json'];
    expect(worker).not.toHaveProperty('cmd');
    expect(worker).toMatchObject({
      id: '/jobs-worker',
      instances: 4,
      args: [
        '-b',
        'broker',
        '-q',
        'jobs',
        '--max-attempts',
        '5',
        '--shutdown-grace',
        '60',
        '--health-port',
        '8080',
        '--',
        '/usr/local/bin/process-message',
        '/tmp',
      ],
      dependencies: ['/broker'],
      taskKillGracePeriodSeconds: 70,
      container: { type: 'DOCKER', docker: { image: 'workqueue-jobs-worker:{{TAG}}' } },
      healthChecks: [expect.objectContaining({ path: '/healthz', portIndex: 0 })],
      upgradeStrategy: expect.any(Object),
    });
  });

  it('keep deploy-time values as placeholders, never the password', () => {
    const { marathon } = synthesize((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], target: 'marathon' });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker });
    });
    expect(marathon['broker.json']).toMatchObject({
      env: {
        WQ_BROKER_USER: 'workqueue',
        WQ_BROKER_PASSWORD: '{{BROKER_PASSWORD}}',
        WQ_WORKER_USER: 'workqueue-worker',
        WQ_WORKER_PASSWORD: '{{WORKER_PASSWORD}}',
      },
      healthChecks: [
        expect.objectContaining({ protocol: 'COMMAND', command: { value: 'rabbitmq-diagnostics -q ping' } }),
      ],
      container: expect.objectContaining({ docker: expect.objectContaining({ image: 'workqueue-broker:{{TAG}}' }) }),
    });
    expect(marathon['jobs-worker.json']).toMatchObject({
      env: { AMQP_URL: 'amqp://workqueue-worker:{{WORKER_PASSWORD}}@broker:5672/' },
    });
    for (const app of Object.values(marathon)) expect(JSON.stringify(app)).not.toMatch(/\$\{|TOKEN\[/);
  });

  it("are read without loss by the python marathon client (Debian's python3-marathon)", () => {
    const { dir } = synthesize((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], target: 'marathon' });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, instances: 2 });
    });
    const script = [
      'import json, sys',
      'from marathon.models import MarathonApp',
      'for path in sys.argv[1:]:',
      '    original = json.load(open(path))',
      '    again = json.loads(MarathonApp.from_json(original).to_json())',
      '    print(path.rsplit("/", 1)[1], sorted(set(original) - set(again)), ' +
        'original["id"] == again["id"], original.get("args") == again.get("args"))',
    ].join('\n');
    const files = ['broker.json', 'jobs-worker.json'].map((f) => join(dir, 'marathon', f));
    const out = execFileSync('/usr/bin/python3', ['-W', 'ignore', '-c', script, ...files], { encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual(['broker.json [] True True', 'jobs-worker.json [] True True']);
  });

  it("keep the single broker's data on a local persistent volume with residency, not in an agent's directory", () => {
    // GIVEN one broker node on Marathon (a hostPath kept its data on whichever agent ran it last)
    const { marathon } = synthesize((stack) => new Broker(stack, 'broker', { queues: ['jobs'], target: 'marathon' }));
    const broker = marathon['broker.json'];
    // THEN the volume is Marathon's, the task resident, and the only hostPath names that volume
    expect(broker.container).toMatchObject({
      volumes: [
        { containerPath: 'broker-data', mode: 'RW', persistent: { type: 'root', size: 4096 } },
        { containerPath: '/var/lib/rabbitmq', hostPath: 'broker-data', mode: 'RW' },
      ],
    });
    expect(broker).toMatchObject({
      residency: { relaunchEscalationTimeoutSeconds: 3600, taskLostBehavior: 'WAIT_FOREVER' },
      upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
    });
    expect(JSON.stringify(broker)).not.toContain('/var/lib/workqueue');
    expect(validate(broker)).toEqual([]);
  });

  it('make no Terraform resources for Docker on the marathon target', () => {
    const { json } = synthesize((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], target: 'marathon' });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker });
    });
    for (const type of ['docker_container', 'docker_service', 'docker_image', 'docker_network'])
      expect(resources(json, type)).toEqual({});
  });
});

describe('the default stack (main.ts), synthesized by the cdktf CLI', () => {
  const out = mkdtempSync(join(tmpdir(), 'wq-synth-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  // Issue 14: the default (docker) target writes no Marathon apps; the neutral manifests say what runs.
  it('writes cdk.tf.json and both neutral manifests, no Marathon apps, with the settings from the environment', () => {
    execFileSync('npx', ['cdktf', 'synth', '--output', out], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, CHECKPOINT_DISABLE: '1', WQ_QUEUE: 'images', WQ_INSTANCES: '3', WQ_TAG: 'v7' },
      stdio: 'pipe',
    });
    const dir = join(out, 'stacks', 'workqueue');
    expect(existsSync(join(dir, 'marathon'))).toBe(false);
    expect(readdirSync(join(dir, 'images')).sort()).toEqual(['workqueue-broker.json', 'workqueue-worker.json']);
    const worker = JSON.parse(readFileSync(join(dir, 'images', 'workqueue-worker.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(worker).toMatchObject({
      component: 'worker',
      name: 'worker',
      queue: 'images',
      replicas: 3,
      args: expect.arrayContaining(['-q', 'images', '/usr/local/bin/process-message', '/tmp']),
    });
    const json = readFileSync(join(dir, 'cdk.tf.json'), 'utf8');
    expect(
      Object.values(resources(json, 'docker_container'))
        .map((c) => c.name)
        .sort(),
    ).toEqual(['broker', 'worker-${count.index}']);
    expect(Object.values(resources(json, 'docker_image')).map((i) => i.name)).toContain('workqueue-worker:v7');
  });
});
