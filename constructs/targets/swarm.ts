import { Network } from '@cdktf/provider-docker/lib/network';
import { Service } from '@cdktf/provider-docker/lib/service';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import {
  brokerHealth,
  builtImage,
  literalArgs,
  nodeEnv,
  nodeSuffix,
  publishedPorts,
  swarmLimits,
  workerEnv,
  workerHealth,
} from './docker-common';
import { HOST_NAMED_NODES, type TargetRenderer } from './renderer';
import {
  AUTOSCALER_COMMAND,
  AUTOSCALER_CPUS,
  AUTOSCALER_MEMORY_MB,
  autoscalerArgs,
  autoscalerName,
} from '../autoscale';

const DOCKER_SOCKET = '/var/run/docker.sock';

/** Services on a Docker Swarm, on an attachable overlay network named after the broker. */
export const swarm: TargetRenderer = {
  ...HOST_NAMED_NODES,
  terraformImages: true,
  hostPorts: true,
  namespaces: false,
  autoscales: true,
  nodeName: (_broker, host) => `rabbit@${host}`,

  renderBroker(scope, desc) {
    const image = builtImage(desc, 'Broker');
    const network = new Network(scope, 'network', { name: `${desc.name}-net`, driver: 'overlay', attachable: true });
    const cluster = desc.cluster;
    for (const node of desc.nodes) {
      const suffix = nodeSuffix(desc, node);
      const volume = new Volume(scope, `data${suffix}`, { name: node.volume });
      new Service(scope, `service${suffix}`, {
        name: node.host,
        taskSpec: {
          containerSpec: {
            image: image.name,
            hostname: node.host,
            env: nodeEnv(desc, node),
            healthcheck: brokerHealth(desc),
            stopGracePeriod: `${desc.stopGraceSeconds}s`,
            mounts: [{ target: desc.dataDir, source: volume.name, type: 'volume' }],
          },
          networksAdvanced: [{ name: network.id, aliases: [node.host] }],
          resources: swarmLimits(desc.cpus, desc.memoryMb),
          restartPolicy: { condition: 'any', delay: '5s' },
        },
        mode: { replicated: { replicas: 1 } },
        // One node owns the data volume: stop the old task before starting the new one.
        updateConfig: { parallelism: 1, order: 'stop-first', failureAction: 'rollback', monitor: '60s' },
        // A cluster node is one task that peers and clients need by name: dnsrr resolves the name to that task
        // (a VIP balances nothing here, needs IPVS, and hangs connects while the task is down). Swarm
        // publishes a dnsrr service's ports in host mode only: on the node that runs the task.
        endpointSpec: {
          ...(cluster ? { mode: 'dnsrr' } : {}),
          ports: publishedPorts(desc, node).map((p) => ({
            targetPort: p.internal,
            publishedPort: p.external,
            protocol: 'tcp',
            ...(cluster ? { publishMode: 'host' } : {}),
          })),
        },
      });
    }
    return { network, marathonApps: [] };
  },

  renderWorker(scope, desc, broker) {
    const network = broker?.network;
    const image = builtImage(desc, 'WorkQueueWorker').name;
    new Service(scope, 'service', {
      name: desc.name,
      taskSpec: {
        containerSpec: {
          image,
          args: literalArgs(desc.args),
          env: workerEnv(desc),
          healthcheck: workerHealth(desc),
          stopSignal: 'SIGTERM',
          stopGracePeriod: `${desc.stopGraceSeconds}s`,
        },
        networksAdvanced: network ? [{ name: network.id }] : undefined,
        resources: swarmLimits(desc.cpus, desc.memoryMb),
        restartPolicy: { condition: 'any', delay: '5s', window: '60s' },
      },
      mode: { replicated: { replicas: desc.replicas } },
      // Start the new task before stopping an old one, and roll back if it never gets healthy.
      updateConfig: { parallelism: 1, order: 'start-first', failureAction: 'rollback', monitor: '30s', delay: '5s' },
      rollbackConfig: { parallelism: 1, order: 'stop-first' },
      // The autoscaler owns the count once it runs: an apply must not reset it.
      ...(desc.autoscale ? { lifecycle: { ignoreChanges: ['mode[0].replicated[0].replicas'] } } : {}),
    });
    if (desc.autoscale) {
      new Service(scope, 'autoscaler', {
        name: autoscalerName(desc.name),
        taskSpec: {
          containerSpec: {
            image,
            command: [AUTOSCALER_COMMAND],
            args: literalArgs([
              ...autoscalerArgs(desc.queue, desc.autoscale, desc.health.port),
              ...['--swarm-service', desc.name],
            ]),
            env: { AMQP_URL: desc.broker.url },
            // The Docker socket is root's; a manager's engine is the one that updates services.
            user: 'root',
            mounts: [{ target: DOCKER_SOCKET, source: DOCKER_SOCKET, type: 'bind' }],
            healthcheck: workerHealth(desc),
            stopGracePeriod: '10s',
          },
          placement: { constraints: ['node.role == manager'] },
          networksAdvanced: network ? [{ name: network.id }] : undefined,
          resources: swarmLimits(AUTOSCALER_CPUS, AUTOSCALER_MEMORY_MB),
          restartPolicy: { condition: 'any', delay: '5s' },
        },
        mode: { replicated: { replicas: 1 } },
      });
    }
    return {};
  },
};
