import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Broker, WorkQueueWorker, type BrokerProps, type WorkQueueWorkerProps } from '../constructs';
import {
  idOf,
  kubernetesFiles,
  objectOf,
  schemaErrors,
  terraformManifests,
  yamlObjects,
  type KubeObject,
} from './helpers/kubernetes';
import { errorOf, imageManifests, resources, synthesize } from './helpers/synth';

/** The value at a dotted path (array indexes as numbers) of a parsed object. */
function dig(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);
}

interface Env {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: Record<string, unknown>;
}

const K8S = { target: 'kubernetes' } as const;

/** A broker on kubernetes declaring 'jobs', and optionally a fleet on it. */
function system(broker: Partial<BrokerProps> = {}, fleet?: Partial<WorkQueueWorkerProps>) {
  let made: { broker?: Broker; fleet?: WorkQueueWorker } = {};
  const out = synthesize((stack) => {
    const b = new Broker(stack, 'broker', { queues: ['jobs'], ...K8S, ...broker });
    made = { broker: b };
    if (fleet) made.fleet = new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker: b, ...fleet });
  });
  const files = kubernetesFiles(out.dir);
  const yaml = Object.fromEntries(Object.entries(files).map(([f, text]) => [f, yamlObjects(text)]));
  return { ...out, ...made, files, yaml, manifests: terraformManifests(out.json) };
}

/** The scenarios every object of which is checked: each file with the kinds it holds, in order. */
const SCENARIOS: [string, () => ReturnType<typeof system>, Record<string, string[]>][] = [
  [
    'a single-node broker',
    () => system(),
    { 'broker.yaml': ['Service/broker-nodes', 'Service/broker', 'StatefulSet/broker', 'PodDisruptionBudget/broker'] },
  ],
  [
    'a 3-node broker with a storage class, in a namespace',
    () => system({ nodes: 3, storageClass: 'fast-ssd', dataSizeMb: 2048, namespace: 'work' }),
    { 'broker.yaml': ['Service/broker-nodes', 'Service/broker', 'StatefulSet/broker', 'PodDisruptionBudget/broker'] },
  ],
  [
    'a fleet with fixed instances',
    () => system({}, { instances: 3, env: { MODE: 'fast' } }),
    {
      'broker.yaml': ['Service/broker-nodes', 'Service/broker', 'StatefulSet/broker', 'PodDisruptionBudget/broker'],
      'jobs-worker.yaml': ['Deployment/jobs-worker'],
    },
  ],
  [
    'a fleet with autoscale from 0',
    () => system({ nodes: 3 }, { autoscale: { min: 0, max: 10, messagesPerInstance: 20 } }),
    {
      'broker.yaml': ['Service/broker-nodes', 'Service/broker', 'StatefulSet/broker', 'PodDisruptionBudget/broker'],
      'jobs-worker.yaml': ['Deployment/jobs-worker', 'TriggerAuthentication/jobs-worker', 'ScaledObject/jobs-worker'],
    },
  ],
];

describe("the kubernetes target's objects, checked offline against Kubernetes' and KEDA's schemas", () => {
  it.each(SCENARIOS)('%s: every object of every kubernetes/*.yaml file passes its schema', (_what, make, kinds) => {
    // GIVEN a stack on the kubernetes target WHEN it is synthesized
    const { yaml } = make();
    // THEN the files hold the expected objects, and each passes its kind's schema
    expect(Object.fromEntries(Object.entries(yaml).map(([f, objects]) => [f, objects.map(idOf)]))).toEqual(kinds);
    for (const [file, objects] of Object.entries(yaml))
      for (const object of objects)
        expect({ file, object: idOf(object), errors: schemaErrors(object) }).toEqual({
          file,
          object: idOf(object),
          errors: [],
        });
  });

  it('is done by a validation that rejects wrong objects (it ignores unknown fields, not wrong ones)', () => {
    // GIVEN valid synthesized objects, each spoiled in one field
    const { yaml } = system({ nodes: 3 }, { autoscale: { min: 0, max: 10, messagesPerInstance: 20 } });
    const broker = yaml['broker.yaml'];
    const worker = yaml['jobs-worker.yaml'];
    const sts = objectOf(broker, 'StatefulSet', 'broker');
    const deployment = objectOf(worker, 'Deployment', 'jobs-worker');
    const scaled = objectOf(worker, 'ScaledObject', 'jobs-worker');
    const auth = objectOf(worker, 'TriggerAuthentication', 'jobs-worker');
    const withSpec = (o: KubeObject, spec: Record<string, unknown>): KubeObject => ({
      ...o,
      spec: { ...(o.spec as object), ...spec },
    });
    const container = dig(deployment, 'spec.template.spec.containers.0') as Record<string, unknown>;
    const { name: _name, ...nameless } = container;
    const template = deployment.spec as { template: { spec: object } };
    // WHEN the same validation checks them THEN each is refused, saying where
    expect(schemaErrors(withSpec(sts, { replicas: '3' }))).toContain('data/spec/replicas must be integer');
    expect(
      schemaErrors(withSpec(deployment, { template: { ...template.template, spec: { containers: [nameless] } } })),
    ).toContain('data/spec/template/spec/containers/0 must have required property name');
    expect(schemaErrors(withSpec(scaled, { minReplicaCount: 'zero' }))).toContain(
      'data/spec/minReplicaCount must be integer',
    );
    expect(schemaErrors(withSpec(auth, { secretTargetRef: [{ parameter: 'host', name: 'x' }] }))).toContain(
      'data/spec/secretTargetRef/0 must have required property key',
    );
    expect(schemaErrors({ ...sts, apiVersion: 'apps/v1beta1' })).toEqual(['no schema for apps/v1beta1 StatefulSet']);
    // and the unspoiled ones pass
    for (const o of [sts, deployment, scaled, auth]) expect(schemaErrors(o)).toEqual([]);
  });
});

describe('the same objects for cdktf deploy and for kubectl apply -f', () => {
  it.each(SCENARIOS)("%s: each kubernetes_manifest's manifest equals its YAML document", (_what, make) => {
    // GIVEN a synthesized stack WHEN its Terraform manifests and YAML documents are read
    const { yaml, manifests } = make();
    const documents = Object.values(yaml).flat();
    // THEN both list the same objects, each the same on both sides
    expect(manifests.map(idOf).sort()).toEqual(documents.map(idOf).sort());
    for (const manifest of manifests)
      expect(manifest).toEqual(objectOf(documents, manifest.kind, manifest.metadata.name));
  });

  it("reads the same in YAML 1.1, kubectl's reader: values such as 'yes', 'on' or '0o17' stay strings", () => {
    // GIVEN plain environment values that YAML 1.1 or 1.2 reads as booleans, numbers or dates when unquoted
    const env = { A: 'yes', B: 'on', C: 'off', D: 'y', E: 'NO', F: '0o17', G: '1_000', H: '2024-01-01', I: '~' };
    const { files, manifests } = system({}, { env });
    const text = files['jobs-worker.yaml'];
    const deployment = objectOf(manifests, 'Deployment', 'jobs-worker');
    // WHEN the file is read as YAML 1.2 and as YAML 1.1 THEN each reads as the Terraform manifest
    for (const version of ['1.2', '1.1'] as const) {
      const [document] = yamlObjects(text, version);
      expect({ version, env: dig(document, 'spec.template.spec.containers.0.env') }).toEqual({
        version,
        env: dig(deployment, 'spec.template.spec.containers.0.env'),
      });
    }
    expect(dig(deployment, 'spec.template.spec.containers.0.env')).toEqual(
      expect.arrayContaining(Object.entries(env).map(([name, value]) => ({ name, value }))),
    );
  });
});

describe('a broker on the kubernetes target', () => {
  const three = system({ nodes: 3, storageClass: 'fast-ssd', dataSizeMb: 2048, namespace: 'work' });
  const objects = three.manifests;
  const sts = objectOf(objects, 'StatefulSet', 'broker');
  const headless = objectOf(objects, 'Service', 'broker-nodes');
  const client = objectOf(objects, 'Service', 'broker');
  const pod = dig(sts, 'spec.template.spec') as Record<string, unknown>;
  const container = dig(pod, 'containers.0') as Record<string, unknown>;
  const env = container.env as Env[];
  const podLabels = dig(sts, 'spec.template.metadata.labels');

  it('runs `nodes` replicas of a StatefulSet, started in parallel, named through a headless Service', () => {
    // GIVEN Broker({ nodes: 3 }) on kubernetes WHEN synthesized
    // THEN 3 replicas, all started at once, with stable DNS names from the headless Service
    expect(sts.spec).toMatchObject({ replicas: 3, podManagementPolicy: 'Parallel', serviceName: 'broker-nodes' });
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true, selector: podLabels });
    expect(dig(headless, 'spec.ports')).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'distribution', port: 25672 })]),
    );
    // and clients reach whichever nodes are ready through the client Service
    expect(client.spec).toMatchObject({ type: 'ClusterIP', selector: podLabels });
    expect(dig(client, 'spec.ports')).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'amqp', port: 5672, targetPort: 5672 })]),
    );
    expect(dig(sts, 'spec.selector.matchLabels')).toEqual(podLabels);
    for (const o of objects) expect(o.metadata.namespace).toBe('work');
  });

  it('claims a volume per node of the storage class and size given, mounted on the data directory', () => {
    expect(dig(sts, 'spec.volumeClaimTemplates')).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({ name: 'data' }),
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'fast-ssd',
          resources: { requests: { storage: '2048Mi' } },
        },
      }),
    ]);
    expect(container.volumeMounts).toEqual([{ name: 'data', mountPath: '/var/lib/rabbitmq' }]);
  });

  it('lets one node down at a time, and spreads the nodes across Kubernetes nodes where it can', () => {
    expect(objectOf(objects, 'PodDisruptionBudget', 'broker').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: podLabels },
    });
    expect(dig(pod, 'affinity.podAntiAffinity')).toEqual({
      preferredDuringSchedulingIgnoredDuringExecution: [
        expect.objectContaining({
          podAffinityTerm: { labelSelector: { matchLabels: podLabels }, topologyKey: 'kubernetes.io/hostname' },
        }),
      ],
    });
    expect(dig(pod, 'affinity.podAntiAffinity')).not.toHaveProperty('requiredDuringSchedulingIgnoredDuringExecution');
  });

  it("names each node from its pod's name by the rule that lists the peers in the image's rabbitmq.conf", () => {
    // GIVEN the node name each pod gives itself
    expect(env).toEqual(
      expect.arrayContaining([
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'RABBITMQ_USE_LONGNAME', value: 'true' },
      ]),
    );
    const nodeName = env.find((v) => v.name === 'RABBITMQ_NODENAME')!.value!;
    // WHEN each pod of the StatefulSet (broker-0..2) expands $(POD_NAME)
    const pods = [0, 1, 2].map((i) => nodeName.replace('$(POD_NAME)', `broker-${i}`));
    // THEN it has the name its peers know it by in the broker image's rabbitmq.conf
    const { context } = imageManifests(three.dir)['workqueue-broker'] as { context: string };
    const conf = readFileSync(join(three.dir, context, 'rabbitmq.conf'), 'utf8');
    expect(conf).toMatch(/^cluster_formation\.peer_discovery_backend = classic_config$/m);
    expect(
      conf.match(/^cluster_formation\.classic_config\.nodes\.\d+ = (.*)$/gm)!.map((l) => l.split(' = ')[1]),
    ).toEqual(pods);
    // and the host part resolves through the headless Service: <pod>.<service>
    expect(pods[0]).toBe(`rabbit@broker-0.${headless.metadata.name}`);
  });

  it('reads its credentials and Erlang cookie from its Secret, and runs unprivileged with probes and resources', () => {
    for (const name of ['WQ_BROKER_PASSWORD', 'WQ_WORKER_PASSWORD', 'WQ_ERLANG_COOKIE'])
      expect(env).toContainEqual({ name, valueFrom: { secretKeyRef: { name: 'broker-secrets', key: name } } });
    expect(pod).toMatchObject({
      terminationGracePeriodSeconds: 60,
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: expect.any(Number) },
    });
    expect(container).toMatchObject({
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      resources: { requests: { cpu: '1', memory: '1024Mi' }, limits: { cpu: '1', memory: '1024Mi' } },
      readinessProbe: { tcpSocket: { port: 'amqp' } },
      livenessProbe: { exec: { command: ['rabbitmq-diagnostics', '-q', 'ping'] } },
    });
  });

  it('as a single node: one replica under its pod name, no cluster settings, the default class and 4096 MiB', () => {
    // GIVEN Broker() on kubernetes, no nodes, storageClass or dataSizeMb
    const one = system();
    const single = objectOf(one.manifests, 'StatefulSet', 'broker');
    const names = (dig(single, 'spec.template.spec.containers.0.env') as Env[]).map((v) => v.name);
    // THEN one replica, no node name of ours (RabbitMQ's own: the stable pod host name), no cookie
    expect(dig(single, 'spec.replicas')).toBe(1);
    expect(names).not.toEqual(expect.arrayContaining(['RABBITMQ_NODENAME']));
    expect(names).not.toContain('WQ_ERLANG_COOKIE');
    expect(dig(single, 'spec.volumeClaimTemplates.0.spec')).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '4096Mi' } },
    });
    for (const o of one.manifests) expect(o.metadata.namespace).toBe('default');
  });
});

describe('a fleet on the kubernetes target', () => {
  let apiKey = '';
  const made = synthesize((stack) => {
    const broker = new Broker(stack, 'broker', { queues: ['jobs'], nodes: 3, ...K8S });
    apiKey = new TerraformVariable(stack, 'api_key', { type: 'string', sensitive: true }).stringValue;
    new WorkQueueWorker(stack, 'workers', {
      queue: 'jobs',
      broker,
      instances: 4,
      shutdownGraceSeconds: 45,
      cpus: 0.25,
      memoryMb: 300,
      env: { MODE: 'fast' },
      secretEnv: { API_KEY: apiKey },
    });
  });
  const fleet = made.stack.node.findChild('workers') as WorkQueueWorker;
  const objects = terraformManifests(made.json);
  const deployment = objectOf(objects, 'Deployment', 'jobs-worker');
  const pod = dig(deployment, 'spec.template.spec') as Record<string, unknown>;
  const container = dig(pod, 'containers.0') as Record<string, unknown>;
  const secrets = resources(made.json, 'kubernetes_secret_v1');
  const secretOf = (name: string) =>
    Object.values(secrets).find((s) => dig(s, 'metadata.name') === name) as { data: Record<string, string> };

  it('runs `instances` replicas, healthy by /healthz on port 8080, stopped after the runtime drained', () => {
    expect(dig(deployment, 'spec.replicas')).toBe(4);
    const probe = { httpGet: { path: '/healthz', port: 'health' } };
    expect(container).toMatchObject({ readinessProbe: probe, livenessProbe: probe });
    expect(container.ports).toEqual([{ name: 'health', containerPort: 8080 }]);
    expect(pod.terminationGracePeriodSeconds).toBe(fleet.stopGraceSeconds);
    expect(fleet.stopGraceSeconds).toBeGreaterThan(45);
    expect(container.resources).toEqual({
      requests: { cpu: '0.25', memory: '300Mi' },
      limits: { cpu: '0.25', memory: '300Mi' },
    });
  });

  it('runs as a numeric non-root user, read-only but for an emptyDir /tmp, all capabilities dropped', () => {
    expect(pod).toMatchObject({
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: expect.any(Number) },
      volumes: [{ name: 'tmp', emptyDir: {} }],
    });
    expect((pod.securityContext as { runAsUser: number }).runAsUser).toBeGreaterThan(0);
    expect(container).toMatchObject({
      securityContext: {
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      },
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
    });
  });

  it('takes AMQP_URL and secretEnv from its Secret by reference, and plain env inline', () => {
    const ref = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: 'jobs-worker-secrets', key } } });
    expect(container.env).toEqual([{ name: 'MODE', value: 'fast' }, ref('API_KEY'), ref('AMQP_URL')]);
  });

  it('fills the Secrets from Terraform: the generated passwords and the variables, as references', () => {
    // GIVEN the stack's Secrets (kubernetes_secret_v1, never in the YAML files)
    const [brokerPassword, workerPassword, cookie] = ['password', 'worker-password', 'erlang-cookie'].map((id) =>
      Object.keys(resources(made.json, 'random_password')).find((k) => k.startsWith(`broker_${id}_`))!,
    );
    // THEN their data are references to the random_password results and to the variable
    expect(secretOf('broker-secrets').data).toEqual({
      WQ_BROKER_PASSWORD: `\${random_password.${brokerPassword}.result}`,
      WQ_WORKER_PASSWORD: `\${random_password.${workerPassword}.result}`,
      WQ_ERLANG_COOKIE: `\${random_password.${cookie}.result}`,
    });
    const worker = secretOf('jobs-worker-secrets').data;
    expect(worker.API_KEY).toBe('${var.api_key}');
    // and the worker's URL is the worker user's, on the client Service (the broker's name), not on one node
    expect(worker.AMQP_URL).toMatch(
      new RegExp(`^amqp://workqueue-worker:\\$\\{.*random_password\\.${workerPassword}\\.result.*\\}@broker:5672/$`),
    );
    expect(objectOf(objects, 'Service', 'broker').kind).toBe('Service');
    // one URL, though the expression in it holds commas of its own
    expect(worker.AMQP_URL.split(/,(?=amqps?:\/\/)/)).toHaveLength(1);
  });

  it('writes no secret value, no Secret and no Terraform expression into the YAML files', () => {
    const files = kubernetesFiles(made.dir);
    expect(Object.keys(files).sort()).toEqual(['broker.yaml', 'jobs-worker.yaml']);
    for (const [file, text] of Object.entries(files)) {
      expect({ file, found: text.match(/\$\{|random_password|var\.api_key|TOKEN\[|amqp:\/\//g) }).toEqual({
        file,
        found: null,
      });
      expect(yamlObjects(text).map((o) => o.kind)).not.toContain('Secret');
    }
  });
});

describe('images and providers on the kubernetes target', () => {
  const REGISTRY = 'registry.example.com:5000/team';

  it('names the images by their registry in the objects and in images/<name>.json', () => {
    // GIVEN a broker and a fleet with a registry and a tag
    const { yaml, dir } = system({ registry: REGISTRY, imageTag: 'v3' }, { registry: REGISTRY, imageTag: 'v3' });
    // THEN the cluster pulls registry/imageName:tag, and the manifest the CLI pushes by names the registry
    expect(dig(objectOf(yaml['broker.yaml'], 'StatefulSet', 'broker'), 'spec.template.spec.containers.0.image')).toBe(
      `${REGISTRY}/workqueue-broker:v3`,
    );
    expect(
      dig(objectOf(yaml['jobs-worker.yaml'], 'Deployment', 'jobs-worker'), 'spec.template.spec.containers.0.image'),
    ).toBe(`${REGISTRY}/workqueue-jobs-worker:v3`);
    const images = imageManifests(dir);
    expect(images['workqueue-broker']).toMatchObject({ image: `${REGISTRY}/workqueue-broker`, registry: REGISTRY });
    expect(images['workqueue-jobs-worker']).toMatchObject({
      image: `${REGISTRY}/workqueue-jobs-worker`,
      registry: REGISTRY,
    });
  });

  it('builds no image in Terraform and writes no Marathon app: `workqueue build --push` makes the images', () => {
    const { json, dir } = system({}, {});
    for (const type of ['docker_image', 'docker_container', 'docker_service', 'docker_network'])
      expect(resources(json, type)).toEqual({});
    expect(existsSync(join(dir, 'marathon'))).toBe(false);
    expect(providerBlocks(json, 'docker')).toEqual([]);
  });

  it('adds one default kubernetes provider for a broker and its fleets', () => {
    const { json } = system({}, {});
    expect(providerBlocks(json, 'kubernetes')).toEqual([{}]);
  });

  it.each([
    ['before the constructs', true],
    ['after the constructs', false],
  ])("keeps the user's own kubernetes provider, declared %s, as the only one", (_when, first) => {
    // GIVEN a stack whose kubernetes provider is the user's (a kubeconfig context)
    const own = (stack: Construct) =>
      new KubernetesProvider(stack, 'kubernetes', { configPath: '~/.kube/config', configContext: 'staging' });
    const { json } = synthesize((stack) => {
      if (first) own(stack);
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], ...K8S });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker });
      if (!first) own(stack);
    });
    // THEN the stack has that one provider block
    expect(providerBlocks(json, 'kubernetes')).toEqual([
      expect.objectContaining({ config_path: '~/.kube/config', config_context: 'staging' }),
    ]);
  });
});

/** The provider blocks of one type in synthesized Terraform JSON. */
function providerBlocks(json: string, type: string): Record<string, unknown>[] {
  return (JSON.parse(json) as { provider?: Record<string, Record<string, unknown>[]> }).provider?.[type] ?? [];
}

describe('refusals at construction, naming the construct, the prop, the value and the fix', () => {
  const broker = (props: Partial<BrokerProps>) => (s: Construct) =>
    new Broker(s, 'broker', { queues: ['jobs', 'media.thumbs'], ...K8S, ...props });
  const fleet =
    (props: Partial<WorkQueueWorkerProps>, brokerProps: Partial<BrokerProps> = {}) =>
    (s: Construct) =>
      new WorkQueueWorker(s, 'workers', { queue: 'jobs', broker: broker(brokerProps)(s), ...props });
  const B = /^Broker \(test\/broker\): invalid /;
  const W = /^WorkQueueWorker \(test\/workers\): invalid /;

  it.each([
    ['an uppercase broker name', broker({ name: 'Rabbit' }), B, /"Rabbit": on the kubernetes target use lowercase/],
    [
      'a broker name with a dot',
      broker({ name: 'rabbit.mq' }),
      B,
      /name "rabbit\.mq": on the kubernetes target .*DNS-1123/,
    ],
    ['a broker name from a digit', broker({ name: '1rabbit' }), B, /name "1rabbit": .*starting with a letter/],
    ['a broker name of 53', broker({ name: `b${'x'.repeat(52)}` }), B, /name "bx+": .*at most 52 characters/],
    ['a worker name with a dot', fleet({ name: 'jobs.worker' }), W, /name "jobs\.worker": on the kubernetes target/],
    ['a worker name from a digit', fleet({ name: '2jobs' }), W, /name "2jobs": .*e\.g\. 'jobs-worker'/],
    ['a worker name of 64', fleet({ name: `w${'x'.repeat(63)}` }), W, /name 'wx+\.\.\.' \(64 chars\): .*at most 63/],
    [
      'a worker name derived from a queue with a dot',
      fleet({ queue: 'media.thumbs' }),
      W,
      /name \(derived from queue; set name explicitly\) "media\.thumbs-worker": on the kubernetes target/,
    ],
    ['a bad namespace', broker({ namespace: 'Team_A' }), B, /namespace "Team_A": use a Kubernetes namespace name/],
    ['a bad storageClass', broker({ storageClass: 'Fast_SSD' }), B, /storageClass "Fast_SSD": use a StorageClass/],
    [
      'namespace on docker',
      broker({ namespace: 'work', target: 'docker' }),
      B,
      /namespace "work": target 'docker' has no namespace: .*'kubernetes'/,
    ],
    [
      'storageClass on docker',
      broker({ storageClass: 'fast', target: 'docker' }),
      B,
      /storageClass "fast": target 'docker' has no storageClass/,
    ],
    [
      'a fleet namespace on docker',
      fleet({ namespace: 'work' }, { target: 'docker' }),
      W,
      /namespace "work": target 'docker' has no namespace/,
    ],
    [
      'amqpHostPort on kubernetes',
      broker({ amqpHostPort: 5673 }),
      B,
      /amqpHostPort 5673: target 'kubernetes' publishes no host ports: .*kubectl port-forward service\/broker/,
    ],
    [
      'managementHostPort on kubernetes',
      broker({ managementHostPort: 15673 }),
      B,
      /managementHostPort 15673: target 'kubernetes' publishes no host ports/,
    ],
    [
      "a fleet namespace other than its broker's",
      fleet({ namespace: 'other' }, { namespace: 'work' }),
      W,
      /namespace "other": use the broker's namespace 'work'/,
    ],
    [
      'a registry with a scheme',
      broker({ registry: 'https://x' }),
      B,
      /registry "https:\/\/x": use a registry host .*no scheme/,
    ],
    [
      'a registry with an uppercase path',
      fleet({ registry: 'Registry.Example/UP' }),
      W,
      /registry "Registry\.Example\/UP": use a registry host/,
    ],
  ])('refuses %s', (_what, build, who, what) => {
    // GIVEN a construct with the prop WHEN it is built THEN one line names it all
    const message = errorOf(build);
    expect(message).toMatch(who);
    expect(message).toMatch(what);
    expect(message).not.toContain('\n');
  });

  it.each([
    ['after', 'rabbit', 'rabbit-nodes', /^Broker \(test\/b\): invalid name "rabbit-nodes": Broker \(test\/a\) has it/],
    [
      'before',
      'rabbit-nodes',
      'rabbit',
      /^Broker \(test\/b\): invalid name \(a name beside it\) "rabbit-nodes": Broker \(test\/a\) has it/,
    ],
  ])("refuses a broker named like another's headless Service (<name>-nodes), built %s it", (_when, a, b, what) => {
    // GIVEN broker 'rabbit', whose headless Service is 'rabbit-nodes', and a broker named 'rabbit-nodes'
    const message = errorOf((s) => {
      new Broker(s, 'a', { name: a, queues: ['jobs'], ...K8S });
      new Broker(s, 'b', { name: b, queues: ['mail'], ...K8S });
    });
    // THEN the second is refused: both would write Service 'rabbit-nodes', the later replacing the peers' names
    expect(message).toMatch(what);
  });

  it('takes the longest names each kind of object can carry: a broker of 52, a fleet of 63', () => {
    const { yaml } = system({ name: `b${'x'.repeat(51)}` }, { name: `w${'x'.repeat(62)}` });
    expect(Object.keys(yaml).sort()).toEqual([`b${'x'.repeat(51)}.yaml`, `w${'x'.repeat(62)}.yaml`]);
  });
});
