import type { Image } from '@cdktf/provider-docker/lib/image';
import type { BrokerDescription, BrokerNodeDescription, ImageDescription, WorkerDescription } from '../descriptions';
import { constructLabel } from '../prop-error';
import { terraformLiteral } from '../terraform-literal';

/** The runtime's arguments as Terraform reads them literally (a queue or program argument may hold `${`). */
export function literalArgs(args: readonly string[]): string[] {
  return args.map(terraformLiteral);
}

/** What docker and swarm share: the Docker engine's health checks and published ports. */

/** The docker_image Terraform builds (docker and swarm build their images through Terraform). */
export function builtImage(desc: { readonly image: ImageDescription }, kind: string): Image {
  const image = desc.image.build.image;
  if (!image) {
    const owner = desc.image.build.node.scope!;
    throw new Error(`${constructLabel(kind, owner)}: image ${desc.image.name} has no docker_image resource`);
  }
  return image;
}

export function brokerHealth(desc: BrokerDescription) {
  return { test: ['CMD', ...desc.health.command], interval: '10s', timeout: '10s', retries: 6, startPeriod: '60s' };
}

/** The runtime's /healthz, fetched by the image's own node: the image has no curl. */
export function workerHealth(desc: WorkerDescription) {
  const url = `http://127.0.0.1:${desc.health.port}${desc.health.path}`;
  return {
    test: ['CMD', 'node', '-e', `fetch('${url}').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
    interval: '15s',
    timeout: '5s',
    retries: 3,
    startPeriod: '30s',
  };
}

/** Node i publishes on the given port + i, so each node is reachable from the host on a port of its own. */
export function publishedPorts(desc: BrokerDescription, node: BrokerNodeDescription) {
  const { amqp, management, address } = desc.published;
  return [
    ...(amqp !== undefined ? [{ internal: desc.ports.amqp, external: amqp + node.index, ip: address }] : []),
    ...(management !== undefined
      ? [{ internal: desc.ports.management, external: management + node.index, ip: address }]
      : []),
  ];
}

/** A cluster node's variables: its RabbitMQ node name besides the broker's. */
export function nodeEnv(desc: BrokerDescription, node: BrokerNodeDescription): Record<string, string> {
  const env = Object.fromEntries(desc.env.map((v) => [v.name, terraformLiteral(v.value)]));
  return node.nodeName === undefined ? env : { ...env, RABBITMQ_NODENAME: node.nodeName };
}

/** AMQP_URL after the worker's own variables, secrets as their tokens. */
export function workerEnv(desc: WorkerDescription): Record<string, string> {
  return { ...Object.fromEntries(desc.env.map((v) => [v.name, terraformLiteral(v.value)])), AMQP_URL: desc.broker.url };
}

/** Swarm's resource limits, in its units. */
export function swarmLimits(cpus: number, memoryMb: number) {
  return { limits: { nanoCpus: Math.round(cpus * 1e9), memoryBytes: memoryMb * 1024 * 1024 } };
}

/** The Docker provider's env list. */
export function envList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** One node keeps the ids it always had, so existing stacks plan no replacement. */
export function nodeSuffix(desc: BrokerDescription, node: BrokerNodeDescription): string {
  return desc.cluster ? `-${node.index}` : '';
}
