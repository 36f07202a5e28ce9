import 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Network } from '@cdktf/provider-docker/lib/network';
import { Service } from '@cdktf/provider-docker/lib/service';
import { Broker, WorkQueueWorker } from '../constructs';
import { synthesize } from './helpers/synth';

Testing.setupJest();

describe('Broker and WorkQueueWorker on the swarm target', () => {
  const { json } = synthesize((stack) => {
    const broker = new Broker(stack, 'broker', { queues: ['jobs'], target: 'swarm' });
    new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, instances: 3, shutdownGraceSeconds: 120 });
  });

  it('runs replicated services with restart and update policies, and no plain containers', () => {
    expect(json).not.toHaveResource(Container);
    expect(json).toHaveResourceWithProperties(Service, {
      name: 'jobs-worker',
      mode: { replicated: { replicas: 3 } },
      update_config: expect.objectContaining({ parallelism: 1, order: 'start-first', failure_action: 'rollback' }),
      task_spec: expect.objectContaining({
        restart_policy: expect.objectContaining({ condition: 'any' }),
        container_spec: expect.objectContaining({
          args: expect.arrayContaining([
            '-q',
            'jobs',
            '--shutdown-grace',
            '120',
            '--',
            '/usr/local/bin/process-message',
          ]),
          // the drain (120 s) plus the runtime's TERM→KILL step and a margin
          stop_grace_period: '130s',
          healthcheck: expect.objectContaining({ test: expect.arrayContaining([expect.stringContaining('/healthz')]) }),
        }),
      }),
    });
  });

  it('runs the broker as a single stop-first replica on an attachable overlay network', () => {
    expect(json).toHaveResourceWithProperties(Network, { name: 'broker-net', driver: 'overlay', attachable: true });
    expect(json).toHaveResourceWithProperties(Service, {
      name: 'broker',
      mode: { replicated: { replicas: 1 } },
      update_config: expect.objectContaining({ order: 'stop-first' }),
      task_spec: expect.objectContaining({
        container_spec: expect.objectContaining({
          hostname: 'broker',
          mounts: [expect.objectContaining({ target: '/var/lib/rabbitmq', type: 'volume' })],
        }),
      }),
    });
  });
});
