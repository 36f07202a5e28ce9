import { TerraformCount, Token } from 'cdktf';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Network } from '@cdktf/provider-docker/lib/network';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import {
  brokerHealth,
  builtImage,
  envList,
  literalArgs,
  nodeEnv,
  nodeSuffix,
  publishedPorts,
  workerEnv,
  workerHealth,
} from './docker-common';
import { HOST_NAMED_NODES, type TargetRenderer } from './renderer';

/** Containers on one Docker host, on a bridge network named after the broker. */
export const docker: TargetRenderer = {
  ...HOST_NAMED_NODES,
  terraformImages: true,
  hostPorts: true,
  namespaces: false,
  autoscales: false,
  nodeName: (_broker, host) => `rabbit@${host}`,

  renderBroker(scope, desc) {
    const image = builtImage(desc, 'Broker');
    const network = new Network(scope, 'network', { name: `${desc.name}-net` });
    for (const node of desc.nodes) {
      const suffix = nodeSuffix(desc, node);
      const volume = new Volume(scope, `data${suffix}`, { name: node.volume });
      new Container(scope, `container${suffix}`, {
        name: node.host,
        image: image.imageId,
        hostname: node.host,
        env: envList(nodeEnv(desc, node)),
        healthcheck: brokerHealth(desc),
        restart: 'unless-stopped',
        stopTimeout: desc.stopGraceSeconds,
        cpus: String(desc.cpus),
        memory: desc.memoryMb,
        networksAdvanced: [{ name: network.name, aliases: [node.host] }],
        volumes: [{ volumeName: volume.name, containerPath: desc.dataDir }],
        ports: publishedPorts(desc, node),
        mustRun: true,
      });
    }
    return { network, marathonApps: [] };
  },

  renderWorker(scope, desc, broker) {
    const count = TerraformCount.of(desc.replicas);
    const network = broker?.network;
    new Container(scope, 'container', {
      count,
      name: `${desc.name}-${Token.asString(count.index)}`,
      image: builtImage(desc, 'WorkQueueWorker').imageId,
      command: literalArgs(desc.args),
      env: envList(workerEnv(desc)),
      healthcheck: workerHealth(desc),
      restart: 'unless-stopped',
      // An init as PID 1 reaps orphans of the user's programs (the runtime does not).
      init: true,
      stopSignal: 'SIGTERM',
      stopTimeout: desc.stopGraceSeconds,
      destroyGraceSeconds: desc.stopGraceSeconds,
      cpus: String(desc.cpus),
      memory: desc.memoryMb,
      networksAdvanced: network ? [{ name: network.name }] : undefined,
      mustRun: true,
    });
    return {};
  },
};
