import type { Construct } from 'constructs';
import { Broker, WorkQueueWorker, type AutoscaleProps, type Target, type WorkQueueWorkerProps } from '../constructs';
import { kubernetesFiles, objectOf, schemaErrors, terraformManifests, yamlObjects } from './helpers/kubernetes';
import { errorOf, resources, synthesize } from './helpers/synth';

/** A broker declaring 'jobs' and an autoscaled fleet on it, on kubernetes, synthesized. */
function autoscaled(autoscale: AutoscaleProps) {
  const { json, dir } = synthesize((stack) => {
    const broker = new Broker(stack, 'broker', { queues: ['jobs'], target: 'kubernetes' });
    new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, autoscale });
  });
  return { json, yaml: yamlObjects(kubernetesFiles(dir)['jobs-worker.yaml']), manifests: terraformManifests(json) };
}

describe('an autoscaled fleet on kubernetes', () => {
  it('becomes a KEDA ScaledObject on the queue length, with every setting given', () => {
    // GIVEN autoscale with every field set WHEN synthesized
    const { yaml } = autoscaled({
      min: 0,
      max: 10,
      messagesPerInstance: 20,
      activationMessages: 5,
      cooldownSeconds: 120,
      pollingSeconds: 15,
    });
    const scaled = objectOf(yaml, 'ScaledObject', 'jobs-worker');
    // THEN KEDA scales the fleet's Deployment from 0 to 10 on the length of 'jobs', read through the Secret's URL
    expect(scaled.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'jobs-worker' },
      minReplicaCount: 0,
      maxReplicaCount: 10,
      cooldownPeriod: 120,
      pollingInterval: 15,
      triggers: [
        {
          type: 'rabbitmq',
          metadata: { protocol: 'amqp', queueName: 'jobs', mode: 'QueueLength', value: '20', activationValue: '5' },
          authenticationRef: { name: 'jobs-worker' },
        },
      ],
    });
    // and the HPA below it waits as long before each step down
    expect(scaled.spec).toMatchObject({
      advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 120 } } } },
    });
    expect(schemaErrors(scaled)).toEqual([]);
  });

  it("takes KEDA's defaults for what is not given: activation 0, cooldown 300 s, polling 30 s", () => {
    const { yaml } = autoscaled({ min: 1, max: 3, messagesPerInstance: 50 });
    expect(objectOf(yaml, 'ScaledObject', 'jobs-worker').spec).toMatchObject({
      minReplicaCount: 1,
      maxReplicaCount: 3,
      cooldownPeriod: 300,
      pollingInterval: 30,
      triggers: [{ metadata: { value: '50', activationValue: '0' } }],
    });
  });

  it('authenticates KEDA with the AMQP_URL key of the Secret the workers read theirs from', () => {
    const { json, yaml } = autoscaled({ min: 0, max: 2, messagesPerInstance: 1 });
    // GIVEN the TriggerAuthentication the trigger names
    const auth = objectOf(yaml, 'TriggerAuthentication', 'jobs-worker');
    expect(auth.spec).toEqual({
      secretTargetRef: [{ parameter: 'host', name: 'jobs-worker-secrets', key: 'AMQP_URL' }],
    });
    // THEN that Secret exists in Terraform with that key, and the workers read their AMQP_URL from it too
    const secret = Object.values(resources(json, 'kubernetes_secret_v1')).find(
      (s) => (s.metadata as { name: string }).name === 'jobs-worker-secrets',
    );
    expect(Object.keys((secret as { data: object }).data)).toContain('AMQP_URL');
    const deployment = objectOf(yaml, 'Deployment', 'jobs-worker') as unknown as {
      spec: { template: { spec: { containers: { env: unknown[] }[] } } };
    };
    expect(deployment.spec.template.spec.containers[0].env).toContainEqual({
      name: 'AMQP_URL',
      valueFrom: { secretKeyRef: { name: 'jobs-worker-secrets', key: 'AMQP_URL' } },
    });
  });

  it('leaves the replica count to KEDA: no replicas in the Deployment, in YAML or in Terraform', () => {
    // GIVEN an autoscaled fleet (an apply that named a count would reset KEDA's)
    const { yaml, manifests } = autoscaled({ min: 2, max: 4, messagesPerInstance: 10 });
    // THEN neither copy of its Deployment sets one
    expect(objectOf(yaml, 'Deployment', 'jobs-worker').spec).not.toHaveProperty('replicas');
    expect(objectOf(manifests, 'Deployment', 'jobs-worker').spec).not.toHaveProperty('replicas');
  });

  it('leaves a fleet without autoscale at `instances`, with no KEDA objects', () => {
    const { dir } = synthesize((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], target: 'kubernetes' });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, instances: 3 });
    });
    const objects = yamlObjects(kubernetesFiles(dir)['jobs-worker.yaml']);
    expect(objects.map((o) => o.kind)).toEqual(['Deployment']);
    expect(objects[0].spec).toMatchObject({ replicas: 3 });
  });
});

describe('autoscale refusals at construction', () => {
  const fleet =
    (props: Partial<WorkQueueWorkerProps>, target: Target = 'kubernetes') =>
    (stack: Construct) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], target });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, ...props });
    };
  const scale = { min: 0, max: 4, messagesPerInstance: 10 };

  it('refuses autoscale on docker, naming the targets that can', () => {
    // GIVEN a fleet with autoscale on plain containers WHEN built THEN one line names the targets that rescale
    const message = errorOf(fleet({ autoscale: scale }, 'docker'));
    expect(message).toMatch(
      new RegExp(
        `^WorkQueueWorker \\(test/workers\\): invalid autoscale \\{"min":0,"max":4,"messagesPerInstance":10\\}: ` +
          `target 'docker' cannot rescale a fleet: use a target that can \\('swarm', 'marathon', 'kubernetes'\\), ` +
          `or set instances$`,
      ),
    );
  });

  it.each([
    ['instances together with autoscale', { instances: 2, autoscale: scale }, /invalid instances 2: .*drop instances/],
    [
      'min above max',
      { autoscale: { ...scale, min: 5 } },
      /invalid autoscale\.min 5: use at most autoscale\.max \(4\)/,
    ],
    ['messagesPerInstance 0', { autoscale: { ...scale, messagesPerInstance: 0 } }, /autoscale\.messagesPerInstance 0/],
    ['a negative min', { autoscale: { ...scale, min: -1 } }, /invalid autoscale\.min -1: use /],
    ['max 0', { autoscale: { ...scale, min: 0, max: 0 } }, /invalid autoscale\.max 0: use /],
    ['pollingSeconds 0', { autoscale: { ...scale, pollingSeconds: 0 } }, /invalid autoscale\.pollingSeconds 0/],
    ['a fractional cooldown', { autoscale: { ...scale, cooldownSeconds: 1.5 } }, /autoscale\.cooldownSeconds 1\.5/],
  ])('refuses %s', (_what, props, what) => {
    const message = errorOf(fleet(props as Partial<WorkQueueWorkerProps>));
    expect(message).toMatch(/^WorkQueueWorker \(test\/workers\): /);
    expect(message).toMatch(what);
    expect(message).not.toContain('\n');
  });

  it('refuses a list of broker URLs with autoscale: KEDA reads the queue through one', () => {
    const message = errorOf(
      (stack) =>
        new WorkQueueWorker(stack, 'workers', {
          queue: 'jobs',
          broker: 'amqp://rabbit-0:5672/,amqp://rabbit-1:5672/',
          target: 'kubernetes',
          autoscale: scale,
        }),
    );
    expect(message).toMatch(/^WorkQueueWorker \(test\/workers\): invalid broker .*give one node's URL/);
  });
});
