import { TerraformVariable } from 'cdktf';
import { Broker, WorkQueueWorker, type Target } from '../constructs';
import { imageManifests, synthesize } from './helpers/synth';

/** A broker cluster or single node, a fleet on it with a secret, and a fleet on a broker given by URL. */
function stack(target: Target, nodes: number) {
  return synthesize((scope) => {
    const apiKey = new TerraformVariable(scope, 'api_key', { type: 'string', sensitive: true });
    const broker = new Broker(scope, 'broker', { queues: ['jobs'], nodes, target });
    new WorkQueueWorker(scope, 'workers', {
      queue: 'jobs',
      broker,
      instances: 3,
      program: '/app/run',
      args: ['--fast'],
      env: { LOG_LEVEL: 'debug' },
      secretEnv: { API_KEY: apiKey.stringValue },
    });
    new WorkQueueWorker(scope, 'remote', { queue: 'mail', name: 'remote', broker: 'amqp://h:5672/', target });
  });
}

describe('the target-neutral manifest of each component (images/<image>.json), which the CLI reads', () => {
  it.each(['docker', 'swarm', 'marathon'] as const)('says what a worker fleet runs, the same on %s', (target) => {
    const { dir } = stack(target, 1);
    const worker = imageManifests(dir)['workqueue-jobs-worker'];
    // THEN the fleet's name, queue, runtime arguments (no broker names) and replicas, secrets as placeholders only
    expect(worker).toEqual({
      component: 'worker',
      image: 'workqueue-jobs-worker',
      context: expect.stringMatching(/^assets\//),
      buildArgs: { BASE_IMAGE: 'node:24-bookworm-slim', EXTRA_PACKAGES: '' },
      name: 'jobs-worker',
      target,
      env: { LOG_LEVEL: 'debug', API_KEY: '{{API_KEY}}' },
      queue: 'jobs',
      args: [
        '-q',
        'jobs',
        '--max-attempts',
        '5',
        '--shutdown-grace',
        '30',
        '--health-port',
        '8080',
        '--',
        '/app/run',
        '--fast',
      ],
      replicas: 3,
    });
    expect(imageManifests(dir)['workqueue-remote']).toMatchObject({ name: 'remote', queue: 'mail', env: {} });
  });

  it.each([
    ['docker', 'rabbit@broker-1'],
    ['swarm', 'rabbit@broker-1'],
    ['marathon', 'rabbit@broker-1.marathon.mesos'],
  ] as const)('lists the nodes of a broker cluster on %s with their RabbitMQ node names', (target, second) => {
    const broker = imageManifests(stack(target, 3).dir)['workqueue-broker'];
    expect(broker).toMatchObject({ component: 'broker', name: 'broker', target });
    expect(broker.nodes).toEqual([
      { host: 'broker-0', nodeName: second.replace('-1', '-0') },
      { host: 'broker-1', nodeName: second },
      { host: 'broker-2', nodeName: second.replace('-1', '-2') },
    ]);
    // The passwords and the cookie as the placeholders workqueue deploy and run-local fill, never values.
    expect(broker.env).toEqual({
      WQ_BROKER_USER: 'workqueue',
      WQ_BROKER_PASSWORD: '{{BROKER_PASSWORD}}',
      WQ_WORKER_USER: 'workqueue-worker',
      WQ_WORKER_PASSWORD: '{{WORKER_PASSWORD}}',
      WQ_ERLANG_COOKIE: '{{ERLANG_COOKIE}}',
    });
  });

  it('gives a single node its plain name and no node name (RabbitMQ picks its own)', () => {
    expect(imageManifests(stack('docker', 1).dir)['workqueue-broker'].nodes).toEqual([{ host: 'broker' }]);
  });
});
