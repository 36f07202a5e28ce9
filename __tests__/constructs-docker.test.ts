import 'cdktf/lib/testing/adapters/jest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { Network } from '@cdktf/provider-docker/lib/network';
import { Service } from '@cdktf/provider-docker/lib/service';
import { Password } from '@cdktf/provider-random/lib/password';
import { Broker, WorkQueueWorker } from '../constructs';
import { resources, synthesize } from './helpers/synth';

Testing.setupJest();

describe('Broker and WorkQueueWorker on the docker target', () => {
  const { json, dir } = synthesize((stack) => {
    const broker = new Broker(stack, 'broker', { queues: ['jobs'], amqpHostPort: 5680 });
    new WorkQueueWorker(stack, 'workers', {
      queue: 'jobs',
      broker,
      instances: 3,
      concurrency: 2,
      timeoutSeconds: 60,
      packages: ['amqp-tools', 'curl'],
      env: { LOG_LEVEL: 'debug' },
    });
  });

  it('builds both images from contexts shipped inside cdktf.out', () => {
    const images = Object.values(resources(json, 'docker_image'));
    expect(images.map((i) => i.name).sort()).toEqual(['workqueue-broker:latest', 'workqueue-jobs-worker:latest']);
    for (const image of images) {
      const context = (image.build as { context: string }).context;
      expect(context).toMatch(/^assets\//);
      expect(existsSync(join(dir, context, 'Dockerfile'))).toBe(true);
    }
    expect(json).toHaveResourceWithProperties(Image, {
      name: 'workqueue-jobs-worker:latest',
      build: expect.objectContaining({
        build_args: { BASE_IMAGE: 'node:24-bookworm-slim', EXTRA_PACKAGES: 'amqp-tools curl' },
      }),
    });
    expect(json).toHaveResourceWithProperties(Image, {
      build: expect.objectContaining({ build_args: { BASE_IMAGE: 'rabbitmq:4.3-management' } }),
    });
  });

  it('bundles the runtime as one file, without node_modules or cdktf, into the worker context', () => {
    const worker = Object.values(resources(json, 'docker_image')).find(
      (i) => i.name === 'workqueue-jobs-worker:latest',
    )!;
    const context = join(dir, (worker.build as { context: string }).context);
    const bundle = readFileSync(join(context, 'workqueue-worker.js'), 'utf8');
    expect(bundle).toMatch(/^#!\/usr\/bin\/env -S node --max-semi-space-size=1\n/);
    expect(bundle).not.toMatch(/require\("(cdktf|constructs|@cdktf\/[^"]+|amqplib|prom-client)"\)/);
    expect(existsSync(join(context, 'node_modules'))).toBe(false);
    expect(existsSync(join(context, 'process-message'))).toBe(true);
    // the native spawn helper, executable, next to the runtime
    expect(statSync(join(context, 'wq-spawn')).mode & 0o111).toBeTruthy();
  });

  it('puts the broker on a network that workers join, reachable by its name', () => {
    expect(json).toHaveResourceWithProperties(Network, { name: 'broker-net' });
    expect(json).toHaveResourceWithProperties(Container, {
      name: 'broker',
      hostname: 'broker',
      networks_advanced: [{ name: '${docker_network.broker_network_E6E71913.name}', aliases: ['broker'] }],
      healthcheck: expect.objectContaining({ test: ['CMD', 'rabbitmq-diagnostics', '-q', 'ping'] }),
      volumes: [expect.objectContaining({ container_path: '/var/lib/rabbitmq' })],
      // published on this host only, unless hostAddress says otherwise
      ports: [{ internal: 5672, external: 5680, ip: '127.0.0.1' }],
    });
  });

  it('runs one worker container per instance with the runtime options, a health check and a drain grace', () => {
    expect(json).toHaveResourceWithProperties(Container, {
      count: 3,
      name: 'jobs-worker-${count.index}',
      command: [
        '-q',
        'jobs',
        '--concurrency',
        '2',
        '--timeout',
        '60',
        '--max-attempts',
        '5',
        '--shutdown-grace',
        '30',
        '--health-port',
        '8080',
        '--',
        '/usr/local/bin/process-message',
        '/tmp',
      ],
      // the worker user, never the administrator; its password percent-encoded by Terraform
      env: [
        'LOG_LEVEL=debug',
        'AMQP_URL=amqp://workqueue-worker:${replace(urlencode(random_password.broker_worker-password_4DDA45D4.result), "+", "%20")}@broker:5672/',
      ],
      healthcheck: expect.objectContaining({ test: expect.arrayContaining([expect.stringContaining('/healthz')]) }),
      stop_signal: 'SIGTERM',
      stop_timeout: 40,
      init: true,
      networks_advanced: [{ name: '${docker_network.broker_network_E6E71913.name}' }],
    });
  });

  it('generates both broker passwords (sensitive) and passes them only as references', () => {
    expect(Object.values(resources(json, 'random_password'))).toEqual([
      expect.objectContaining({ length: 32, special: false }),
      expect.objectContaining({ length: 32, special: false }),
    ]);
    expect(json).toHaveResourceWithProperties(Password, { length: 32, special: false });
    expect(json).toHaveResourceWithProperties(Container, {
      env: [
        'WQ_BROKER_USER=workqueue',
        'WQ_BROKER_PASSWORD=${random_password.broker_password_9756D246.result}',
        'WQ_WORKER_USER=workqueue-worker',
        'WQ_WORKER_PASSWORD=${random_password.broker_worker-password_4DDA45D4.result}',
      ],
    });
  });

  it('makes no Swarm services on the docker target', () => {
    expect(json).not.toHaveResource(Service);
  });
});
