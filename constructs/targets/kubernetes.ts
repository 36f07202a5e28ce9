import type { Autoscale } from '../autoscale';
import type { BrokerDescription, EnvVar, WorkerDescription } from '../descriptions';
import { checkKubernetesName } from '../kubernetes-names';
import { KubernetesObjects, type KubernetesObject } from '../kubernetes-objects';
import type { TargetRenderer } from './renderer';

/**
 * Objects on a Kubernetes cluster: a StatefulSet per broker, a Deployment per fleet, and a KEDA ScaledObject per
 * autoscaled fleet. Peers find each other by classic_config over the StatefulSet's stable DNS names (the rule every
 * target uses), so the nodes need no access to the Kubernetes API, and no ServiceAccount, Role or RoleBinding.
 */

/** The headless Service that gives every node its stable DNS name, `<pod>.<broker>-nodes`. */
const nodesService = (broker: string) => `${broker}-nodes`;
/** Long RabbitMQ node names: `<pod>.<broker>-nodes` resolves in the namespace through the headless Service. */
const nodeName = (broker: string, host: string) => `rabbit@${host}.${nodesService(broker)}`;
/** The Secret a component's secret variables come from, by their names. */
const secretName = (component: string) => `${component}-secrets`;
/** The worker image's user (node) and the RabbitMQ image's (rabbitmq), by number: runAsNonRoot checks numbers. */
const WORKER_UID = 1000;
const RABBITMQ_UID = 999;
/** The variable the worker reads its broker URL list from. */
const BROKER_URL_VAR = 'AMQP_URL';

/** The labels that select a component's pods, and name it for `kubectl get -l`. */
function selectorLabels(desc: BrokerDescription | WorkerDescription): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'workqueue',
    'app.kubernetes.io/component': desc.component,
    'app.kubernetes.io/instance': desc.name,
  };
}

/** Name, namespace, labels; the component's own labels as annotations (a queue name need not be a label value). */
function metadata(desc: BrokerDescription | WorkerDescription, name: string) {
  return { name, namespace: desc.namespace, labels: selectorLabels(desc), annotations: { ...desc.labels } };
}

/** Plain variables inline; secret ones read from the component's Secret, never written here. */
function containerEnv(env: readonly EnvVar[], secret: string) {
  return env.map((v) =>
    'placeholder' in v ? { name: v.name, valueFrom: { secretKeyRef: { name: secret, key: v.name } } } : v,
  );
}

/** The Secret's values: every secret variable, by its name. */
function secretData(env: readonly EnvVar[]): Record<string, string> {
  return Object.fromEntries(env.filter((v) => 'placeholder' in v).map((v) => [v.name, v.value]));
}

function resources(desc: { readonly cpus: number; readonly memoryMb: number }) {
  const amount = { cpu: String(desc.cpus), memory: `${desc.memoryMb}Mi` };
  // Requests equal to limits: the scheduler reserves what the container may use (Guaranteed QoS).
  return { requests: amount, limits: amount };
}

const image = (desc: BrokerDescription | WorkerDescription) => `${desc.image.name}:${desc.image.tag ?? 'latest'}`;

/** What no container here needs: privileges, capabilities, and a token for the Kubernetes API. */
const DROP_ALL = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

function brokerObjects(desc: BrokerDescription): KubernetesObject[] {
  const name = desc.name;
  const selector = selectorLabels(desc);
  const p = desc.ports;
  const port = (number: number, portName: string) => ({ name: portName, port: number, targetPort: number });
  const cluster = desc.cluster;
  const env = [
    ...containerEnv(desc.env, secretName(name)),
    ...(cluster
      ? [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          // The node name by the rule that listed the peers in rabbitmq.conf, with the pod's own name.
          { name: 'RABBITMQ_NODENAME', value: nodeName(name, '$(POD_NAME)') },
          { name: 'RABBITMQ_USE_LONGNAME', value: 'true' },
        ]
      : []),
  ];
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: metadata(desc, nodesService(name)),
      spec: {
        clusterIP: 'None',
        // Peers must resolve each other while booting, before any node is ready.
        publishNotReadyAddresses: true,
        selector,
        ports: [port(p.epmd, 'epmd'), port(p.distribution, 'distribution'), port(p.amqp, 'amqp')],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: metadata(desc, name),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [port(p.amqp, 'amqp'), port(p.management, 'management'), port(p.prometheus, 'prometheus')],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: metadata(desc, name),
      spec: {
        serviceName: nodesService(name),
        replicas: desc.nodes.length,
        // All nodes at once: each waits for its peers while forming the cluster.
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate' },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: selector, annotations: { ...desc.labels } },
          spec: {
            terminationGracePeriodSeconds: desc.stopGraceSeconds,
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: RABBITMQ_UID,
              runAsGroup: RABBITMQ_UID,
              // The volume claim's files belong to the rabbitmq group.
              fsGroup: RABBITMQ_UID,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            affinity: {
              // Nodes on different machines where the cluster has them, so one machine down loses one node.
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      labelSelector: { matchLabels: selector },
                      topologyKey: 'kubernetes.io/hostname',
                    },
                  },
                ],
              },
            },
            containers: [
              {
                name: 'rabbitmq',
                image: image(desc),
                env,
                ports: [
                  { name: 'amqp', containerPort: p.amqp },
                  { name: 'management', containerPort: p.management },
                  { name: 'epmd', containerPort: p.epmd },
                  { name: 'distribution', containerPort: p.distribution },
                  { name: 'prometheus', containerPort: p.prometheus },
                ],
                // Ready when clients can connect; alive while the node answers its own CLI.
                readinessProbe: { tcpSocket: { port: 'amqp' }, initialDelaySeconds: 10, periodSeconds: 10 },
                livenessProbe: {
                  exec: { command: [...desc.health.command] },
                  initialDelaySeconds: 60,
                  periodSeconds: 60,
                  timeoutSeconds: 20,
                  failureThreshold: 3,
                },
                resources: resources(desc),
                securityContext: DROP_ALL,
                volumeMounts: [{ name: 'data', mountPath: desc.dataDir }],
              },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: selector },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(desc.storageClass === undefined ? {} : { storageClassName: desc.storageClass }),
              resources: { requests: { storage: `${desc.dataSizeMb}Mi` } },
            },
          },
        ],
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: metadata(desc, name),
      // A drain or an upgrade takes one node at a time: a quorum stays up.
      spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    },
  ];
}

function workerObjects(desc: WorkerDescription): KubernetesObject[] {
  const name = desc.name;
  const selector = selectorLabels(desc);
  const health = { httpGet: { path: desc.health.path, port: 'health' } };
  const deployment: KubernetesObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(desc, name),
    spec: {
      // With autoscale KEDA owns the count: an apply that named one would reset it.
      ...(desc.autoscale === undefined ? { replicas: desc.replicas } : {}),
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: selector, annotations: { ...desc.labels } },
        spec: {
          terminationGracePeriodSeconds: desc.stopGraceSeconds,
          // The pause container is PID 1 and reaps orphans of the user's programs (the runtime does not).
          shareProcessNamespace: true,
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: WORKER_UID,
            runAsGroup: WORKER_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'worker',
              image: image(desc),
              args: [...desc.args],
              env: containerEnv(
                [...desc.env, { name: BROKER_URL_VAR, value: desc.broker.url, placeholder: BROKER_URL_VAR }],
                secretName(name),
              ),
              ports: [{ name: 'health', containerPort: desc.health.port }],
              readinessProbe: { ...health, periodSeconds: 10, failureThreshold: 3 },
              livenessProbe: { ...health, initialDelaySeconds: 30, periodSeconds: 15, failureThreshold: 3 },
              resources: resources(desc),
              securityContext: { ...DROP_ALL, readOnlyRootFilesystem: true },
              // Programs write to /tmp (process-message does): the one writable place.
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
  return [deployment, ...(desc.autoscale === undefined ? [] : scalingObjects(desc, desc.autoscale))];
}

/** KEDA: a ScaledObject on the queue's length, and the TriggerAuthentication that reads the URL from the Secret. */
function scalingObjects(desc: WorkerDescription, autoscale: Autoscale): KubernetesObject[] {
  const name = desc.name;
  return [
    {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'TriggerAuthentication',
      metadata: metadata(desc, name),
      spec: { secretTargetRef: [{ parameter: 'host', name: secretName(name), key: BROKER_URL_VAR }] },
    },
    {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: metadata(desc, name),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicaCount: autoscale.min,
        maxReplicaCount: autoscale.max,
        pollingInterval: autoscale.pollingSeconds,
        // KEDA's cooldown covers the last step to 0; the HPA's window the steps down above it: both the same.
        cooldownPeriod: autoscale.cooldownSeconds,
        advanced: {
          horizontalPodAutoscalerConfig: {
            behavior: { scaleDown: { stabilizationWindowSeconds: autoscale.cooldownSeconds } },
          },
        },
        triggers: [
          {
            type: 'rabbitmq',
            metadata: {
              protocol: 'amqp',
              queueName: desc.queue,
              mode: 'QueueLength',
              value: String(autoscale.messagesPerInstance),
              activationValue: String(autoscale.activationMessages),
            },
            authenticationRef: { name },
          },
        ],
      },
    },
  ];
}

/**
 * Terraform's kubernetes_manifest resources and the same objects as YAML (cdktf.out/stacks/<stack>/kubernetes/),
 * with a Secret per component filled from Terraform. Images come from a registry the cluster pulls from:
 * `workqueue build --push` puts them there.
 */
export const kubernetes: TargetRenderer = {
  terraformImages: false,
  hostPorts: false,
  namespaces: true,
  autoscales: true,
  // Objects' names: a Service's starts with a letter; a StatefulSet's pods and revisions append up to 11 characters.
  checkName: (construct, prop, name, component) =>
    checkKubernetesName(construct, prop, name, component === 'broker' ? 52 : 63),
  nodeName,
  // The client Service: it reaches whichever nodes are ready.
  clientHosts: (broker) => [broker],
  // Broker 'a' has Service 'a-nodes': a broker named 'a-nodes' would replace it.
  brokerSideNames: (broker) => [nodesService(broker)],

  renderBroker(scope, desc) {
    const objects = brokerObjects(desc);
    new KubernetesObjects(scope, 'kubernetes', {
      file: `${desc.name}.yaml`,
      objects,
      secret: {
        name: secretName(desc.name),
        namespace: desc.namespace,
        labels: selectorLabels(desc),
        data: secretData(desc.env),
      },
    });
    return { marathonApps: [] };
  },

  renderWorker(scope, desc) {
    new KubernetesObjects(scope, 'kubernetes', {
      file: `${desc.name}.yaml`,
      objects: workerObjects(desc),
      secret: {
        name: secretName(desc.name),
        namespace: desc.namespace,
        labels: selectorLabels(desc),
        data: { ...secretData(desc.env), [BROKER_URL_VAR]: desc.broker.url },
      },
    });
    return {};
  },
};
