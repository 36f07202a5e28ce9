import type { Autoscale } from './autoscale';
import type { ComponentDetails } from './component-manifest';
import type { DockerImageBuild } from './docker-image-build';

/**
 * What a Broker or WorkQueueWorker resolves its props into once, before any platform is named: the
 * constructs fill these in (props, defaults, validation, the image build), and a TargetRenderer
 * (constructs/targets/) maps them onto docker, swarm or marathon. Nothing here knows a platform.
 */

/** One environment variable, in the order the component sets it. */
export type EnvVar =
  | { readonly name: string; readonly value: string }
  /**
   * A secret: `value` is a token Terraform resolves; a platform that cannot hold tokens (a Marathon app)
   * writes `{{placeholder}}` instead, which `workqueue deploy` fills from $placeholder.
   */
  | { readonly name: string; readonly value: string; readonly placeholder: string };

/** The image a component runs: built from the context the construct wrote (images/<name>.json). */
export interface ImageDescription {
  /** The image's reference without tag: `registry/imageName` when a registry is given, else `imageName`. */
  readonly name: string;
  /** The tag given; platforms that deploy later (Marathon) write a placeholder when undefined. */
  readonly tag: string | undefined;
  readonly build: DockerImageBuild;
}

/** One RabbitMQ node of a broker. */
export interface BrokerNodeDescription {
  /** 0 .. nodes-1: published host ports are the given ones + index. */
  readonly index: number;
  /** Container, service and host name, and Marathon app id without its '/'. */
  readonly host: string;
  /** Volume holding the data directory. */
  readonly volume: string;
  /** `rabbit@...`, set as RABBITMQ_NODENAME for a cluster node; undefined for a single node (RabbitMQ's own). */
  readonly nodeName: string | undefined;
}

export interface BrokerDescription {
  readonly component: 'broker';
  readonly name: string;
  readonly image: ImageDescription;
  /** More than one node: clustered. */
  readonly cluster: boolean;
  readonly nodes: readonly BrokerNodeDescription[];
  /** The ports a node listens on. */
  readonly ports: {
    readonly amqp: number;
    readonly management: number;
    /** Erlang's port mapper, where cluster nodes (and the CLI tools) look up each other's distribution port. */
    readonly epmd: number;
    /** RabbitMQ's inter-node (Erlang distribution) port. */
    readonly distribution: number;
    /** The Prometheus endpoint the official images enable. */
    readonly prometheus: number;
  };
  /** Host ports to publish (node i on the given port + i) and the address they listen on. */
  readonly published: {
    readonly amqp: number | undefined;
    readonly management: number | undefined;
    readonly address: string;
  };
  readonly dataDir: string;
  /** Size of a volume where the platform asks for one (a Marathon local persistent volume, a volume claim). */
  readonly dataSizeMb: number;
  /** The class of storage claimed, where a platform claims storage by class; undefined: the platform's default. */
  readonly storageClass: string | undefined;
  /** The namespace the components live in, where the platform has namespaces. */
  readonly namespace: string;
  /** A command that exits 0 when the node is up. */
  readonly health: { readonly command: readonly string[] };
  readonly env: readonly EnvVar[];
  readonly cpus: number;
  readonly memoryMb: number;
  readonly stopGraceSeconds: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Files baked into the image (rabbitmq.conf, definitions.json), by path in the build context. */
  readonly configuration: Readonly<Record<string, string>>;
}

/** How a worker reaches its broker. */
export interface BrokerLink {
  /** The URL list workers get (AMQP_URL): a token when it holds a password. */
  readonly url: string;
  /** A Broker of the stack: its node hosts, its workers' user and AMQP port; undefined for a URL given. */
  readonly stackBroker?: {
    readonly hosts: readonly string[];
    readonly workerUser: string;
    readonly port: number;
  };
}

export interface WorkerDescription {
  readonly component: 'worker';
  readonly name: string;
  readonly queue: string;
  readonly image: ImageDescription;
  /** The runtime's arguments (workqueue-worker), the same on every platform. */
  readonly args: readonly string[];
  /** env then secretEnv; AMQP_URL comes from `broker`. */
  readonly env: readonly EnvVar[];
  readonly broker: BrokerLink;
  readonly cpus: number;
  readonly memoryMb: number;
  /** Seconds between SIGTERM and SIGKILL. */
  readonly stopGraceSeconds: number;
  readonly health: { readonly path: string; readonly port: number };
  readonly labels: Readonly<Record<string, string>>;
  /** Instances to start with: `instances`, or autoscale's min. */
  readonly replicas: number;
  /** Scaling on the queue's depth; undefined: a fixed count of `replicas`. */
  readonly autoscale: Autoscale | undefined;
  /** The namespace the components live in, where the platform has namespaces. */
  readonly namespace: string;
}

/** The environment with every secret as its token (platforms where Terraform resolves it). */
export function resolvedEnv(env: readonly EnvVar[]): Record<string, string> {
  return Object.fromEntries(env.map((v) => [v.name, v.value]));
}

/** The environment with every secret as its `{{placeholder}}` (files written for a later deploy). */
export function placeholderEnv(env: readonly EnvVar[]): Record<string, string> {
  return Object.fromEntries(env.map((v) => [v.name, 'placeholder' in v ? `{{${v.placeholder}}}` : v.value]));
}

/** A broker's part of its image manifest (images/<image>.json), for the CLI. */
export function brokerDetails(desc: BrokerDescription, target: string): ComponentDetails {
  return {
    name: desc.name,
    target,
    env: placeholderEnv(desc.env),
    nodes: desc.nodes.map((n) =>
      n.nodeName === undefined ? { host: n.host } : { host: n.host, nodeName: n.nodeName },
    ),
  };
}

/** A worker fleet's part of its image manifest (images/<image>.json), for the CLI. */
export function workerDetails(desc: WorkerDescription, target: string): ComponentDetails {
  return {
    name: desc.name,
    target,
    env: placeholderEnv(desc.env),
    queue: desc.queue,
    args: [...desc.args],
    replicas: desc.replicas,
  };
}
