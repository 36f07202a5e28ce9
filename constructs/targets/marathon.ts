import { Token } from 'cdktf';
import { placeholderEnv, type BrokerDescription, type WorkerDescription } from '../descriptions';
import { MarathonApp } from '../marathon-app';
import { HOST_NAMED_NODES, type TargetRenderer } from './renderer';
import { COMPONENT_LABEL } from '../app-labels';
import {
  AUTOSCALER_COMMAND,
  AUTOSCALER_CPUS,
  AUTOSCALER_MEMORY_MB,
  autoscalerArgs,
  autoscalerName,
} from '../autoscale';

/** Mesos-DNS's domain of Marathon apps: app /broker-0 is broker-0.marathon.mesos. */
const MESOS_DNS_DOMAIN = 'marathon.mesos';

/** A Marathon app id of a host name. */
const appId = (host: string) => `/${host}`;

/** The image line: the tag given, else the placeholder `workqueue deploy -t` fills. */
const image = (desc: BrokerDescription | WorkerDescription) => ({
  image: `${desc.image.name}:${desc.image.tag ?? '{{TAG}}'}`,
  forcePullImage: false,
});

/**
 * The data directory on a Marathon local persistent volume. Marathon wants the volume itself at a one-level
 * path relative to the sandbox, and maps it to an absolute path with a second volume whose hostPath names
 * it (Marathon's documented way): no directory of the agent is used, and the data stays with the task.
 */
function persistentData(desc: BrokerDescription, volume: string): Record<string, unknown>[] {
  return [
    { containerPath: volume, mode: 'RW', persistent: { type: 'root', size: desc.dataSizeMb } },
    { containerPath: desc.dataDir, hostPath: volume, mode: 'RW' },
  ];
}

/** A single node: AMQP on a host port Marathon picks (workers discover it), the UI on the management port given. */
function bridgePortMappings(desc: BrokerDescription): Record<string, unknown>[] {
  const management = desc.published.management;
  return [
    { containerPort: desc.ports.amqp, hostPort: 0, protocol: 'tcp', name: 'amqp' },
    ...(management !== undefined
      ? [{ containerPort: desc.ports.management, hostPort: management, protocol: 'tcp', name: 'management' }]
      : []),
  ];
}

/**
 * A cluster node: host networking on fixed ports, since the nodes find each other by Mesos-DNS name
 * (the agent's address) and Erlang's fixed ports; the ports also keep two nodes off one agent, and
 * hostname UNIQUE says so. AMQP comes first: workers' discovery takes a task's first port.
 */
function clusterNetworking(desc: BrokerDescription): Record<string, unknown> {
  const port = (number: number, name: string) => ({ port: number, protocol: 'tcp', name });
  return {
    networks: [{ mode: 'host' }],
    portDefinitions: [
      port(desc.ports.amqp, 'amqp'),
      port(desc.ports.epmd, 'epmd'),
      port(desc.ports.distribution, 'distribution'),
      port(desc.ports.management, 'management'),
      port(desc.ports.prometheus, 'prometheus'),
    ],
    requirePorts: true,
    constraints: [['hostname', 'UNIQUE']],
  };
}

/** The broker URL (one per node) for Marathon: deploy-time values stay placeholders, never secrets. */
function marathonUrl(desc: WorkerDescription): string {
  const broker = desc.broker.stackBroker;
  if (broker) {
    return broker.hosts
      .map((host) => `amqp://${broker.workerUser}:{{WORKER_PASSWORD}}@${host}:${broker.port}/`)
      .join(',');
  }
  return Token.isUnresolved(desc.broker.url) ? '{{AMQP_URL}}' : desc.broker.url;
}

/** The runtime's (and the autoscaler's) /healthz on the app's first port. */
function healthCheck(desc: WorkerDescription): Record<string, unknown> {
  return {
    protocol: 'MESOS_HTTP',
    path: desc.health.path,
    portIndex: 0,
    gracePeriodSeconds: 60,
    intervalSeconds: 15,
    timeoutSeconds: 5,
    maxConsecutiveFailures: 3,
  };
}

/**
 * Marathon app files (cdktf.out/stacks/<stack>/marathon/) that `workqueue deploy` sends, with placeholders
 * for the tag and secrets; no Terraform resources.
 */
export const marathon: TargetRenderer = {
  ...HOST_NAMED_NODES,
  terraformImages: false,
  hostPorts: true,
  namespaces: false,
  autoscales: true,
  // Long names: the nodes reach each other by their Mesos-DNS names, the agents' addresses.
  nodeName: (_broker, host) => `rabbit@${host}.${MESOS_DNS_DOMAIN}`,

  renderBroker(scope, desc) {
    const cluster = desc.cluster;
    const marathonApps = desc.nodes.map(
      (node) =>
        new MarathonApp(scope, cluster ? `marathon-${node.index}` : 'marathon', {
          id: appId(node.host),
          instances: 1,
          cpus: desc.cpus,
          mem: desc.memoryMb,
          ...(cluster ? clusterNetworking(desc) : { networks: [{ mode: 'container/bridge' }] }),
          container: {
            type: 'DOCKER',
            docker: image(desc),
            ...(cluster ? {} : { portMappings: bridgePortMappings(desc) }),
            volumes: persistentData(desc, node.volume),
          },
          env: {
            ...placeholderEnv(desc.env),
            ...(node.nodeName === undefined ? {} : { RABBITMQ_NODENAME: node.nodeName, RABBITMQ_USE_LONGNAME: 'true' }),
          },
          healthChecks: [
            {
              protocol: 'COMMAND',
              command: { value: desc.health.command.join(' ') },
              gracePeriodSeconds: 120,
              intervalSeconds: 30,
              timeoutSeconds: 20,
              maxConsecutiveFailures: 3,
            },
          ],
          // The task stays on the agent that holds its volume, and is relaunched there.
          residency: { relaunchEscalationTimeoutSeconds: 3600, taskLostBehavior: 'WAIT_FOREVER' },
          // A node with its data on the agent: never two at once (Marathon requires this of resident apps).
          upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
          taskKillGracePeriodSeconds: desc.stopGraceSeconds,
          labels: { ...desc.labels },
        }),
    );
    return { marathonApps };
  },

  renderWorker(scope, desc) {
    const hosts = desc.broker.stackBroker?.hosts ?? [];
    const marathonApp = new MarathonApp(scope, 'marathon', {
      id: appId(desc.name),
      instances: desc.replicas,
      cpus: desc.cpus,
      mem: desc.memoryMb,
      // The same arguments as elsewhere, plus one -b per node so the runtime finds every broker app by name.
      args: [...hosts.flatMap((host) => ['-b', host]), ...desc.args],
      container: {
        type: 'DOCKER',
        docker: image(desc),
        portMappings: [{ containerPort: desc.health.port, hostPort: 0, protocol: 'tcp', name: 'health' }],
      },
      networks: [{ mode: 'container/bridge' }],
      env: { ...placeholderEnv(desc.env), AMQP_URL: marathonUrl(desc) },
      healthChecks: [healthCheck(desc)],
      ...(hosts.length > 0 ? { dependencies: hosts.map(appId) } : {}),
      upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.5 },
      taskKillGracePeriodSeconds: desc.stopGraceSeconds,
      labels: { ...desc.labels },
    });
    if (desc.autoscale) {
      const id = appId(autoscalerName(desc.name));
      new MarathonApp(scope, 'marathon-autoscaler', {
        id,
        instances: 1,
        cpus: AUTOSCALER_CPUS,
        mem: AUTOSCALER_MEMORY_MB,
        // It finds the broker as the fleet does (-b), and scales the fleet's app through Marathon's API.
        args: [
          ...hosts.flatMap((host) => ['-b', host]),
          ...autoscalerArgs(desc.queue, desc.autoscale, desc.health.port),
          ...['--app', appId(desc.name)],
        ],
        container: {
          type: 'DOCKER',
          docker: { ...image(desc), parameters: [{ key: 'entrypoint', value: AUTOSCALER_COMMAND }] },
          portMappings: [{ containerPort: desc.health.port, hostPort: 0, protocol: 'tcp', name: 'health' }],
        },
        networks: [{ mode: 'container/bridge' }],
        // Marathon's URL (with its login, if any) and token: what `workqueue deploy` itself was given.
        env: { AMQP_URL: marathonUrl(desc), MARATHON_URL: '{{MARATHON_URL}}', MARATHON_TOKEN: '{{MARATHON_TOKEN}}' },
        healthChecks: [healthCheck(desc)],
        dependencies: [appId(desc.name)],
        upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
        labels: { ...desc.labels, [COMPONENT_LABEL]: 'autoscaler' },
      });
    }
    return { marathonApp };
  },
};
