import { isIP } from 'node:net';
import { Construct } from 'constructs';
import type { Network } from '@cdktf/provider-docker/lib/network';
import { Password } from '@cdktf/provider-random/lib/password';
import { DEFAULT_MAX_ATTEMPTS } from '../worker/consumer/options';
import {
  DEFAULT_MAX_RETRY_DELAY_SECONDS,
  DEFAULT_RETRY_BACKOFF,
  DEFAULT_RETRY_DELAY_SECONDS,
} from '../worker/consumer/retry-delays';
import { deadLetterQueueName } from '../worker/consumer/queue-names';
import { retryQueueNames } from '../worker/consumer/retry-delays';
import { definitions, rabbitmqConf, type BrokerQueue, type QueueType } from './broker-config';
import { DockerImageBuild, imageReference } from './docker-image-build';
import { brokerDetails, type BrokerDescription } from './descriptions';
import type { MarathonApp } from './marathon-app';
import { imageFile } from './package-paths';
import {
  checkCount,
  checkImage,
  checkMarathonName,
  checkNodes,
  checkPositive,
  checkQueueName,
  checkRegistry,
  checkRetryDelays,
  checkUserName,
  checkVolumeName,
  constructLabel,
  propError,
} from './prop-error';
import { ensureRandomProvider } from './providers';
import { claimName } from './unique-names';
import { checkSecret, urlEncodedSecret } from './sensitive-value';
import { checkTarget, type Target } from './target';
import { COMPONENT_LABEL } from './app-labels';
import { ERLANG_COOKIE_PLACEHOLDER, ERLANG_COOKIE_VAR } from './erlang-cookie';
import { rendererOf, type RenderedBroker, type TargetRenderer } from './targets';
import { checkPlacement, DEFAULT_NAMESPACE } from './placement';
import { monitorQueues } from './monitoring/stack-monitoring';

export const AMQP_PORT = 5672;
export const MANAGEMENT_PORT = 15672;
const DATA_DIR = '/var/lib/rabbitmq';
/** RabbitMQ's own default: 30 minutes. */
const DEFAULT_CONSUMER_TIMEOUT_SECONDS = 1800;
/** Published ports listen here unless hostAddress says otherwise: reachable from this host only. */
const DEFAULT_HOST_ADDRESS = '127.0.0.1';
/** Swarm's ingress publishes on every address of every node; it cannot bind one address. */
const ALL_ADDRESSES = '0.0.0.0';
/** Size of a Marathon broker app's local persistent volume. */
const DEFAULT_DATA_SIZE_MB = 4096;
/** Erlang's port mapper, and RabbitMQ's inter-node port (AMQP's + 20000); the official images' Prometheus port. */
const EPMD_PORT = 4369;
const DISTRIBUTION_PORT_OFFSET = 20000;
const PROMETHEUS_PORT = 15692;
/** Seconds a node gets to stop cleanly. */
const STOP_GRACE_SECONDS = 60;

/** amqp://user:password@host:port/ with the password (a token) percent-encoded by Terraform at apply time. */
export function amqpUrl(user: string, password: string, host: string, port: number): string {
  return `amqp://${user}:${urlEncodedSecret(password)}@${host}:${port}/`;
}

export interface BrokerProps {
  /** Name of the broker: container or service name, host name (= node name), Marathon app id. @default 'broker' */
  readonly name?: string;
  /** Image name, without tag. @default `workqueue-${name}` */
  readonly imageName?: string;
  /** Image tag. @default 'latest' for Docker, Swarm and Kubernetes; the `{{TAG}}` placeholder in Marathon apps */
  readonly imageTag?: string;
  /**
   * Registry the image is pushed to (`workqueue build --push`) and pulled from, e.g. 'registry.example.com:5000/team':
   * the image becomes `${registry}/${imageName}`. A cluster (kubernetes, swarm, marathon) pulls from it.
   * @default - none: the image stays on the host that built it
   */
  readonly registry?: string;
  /** Base image, passed as the BASE_IMAGE build argument. @default 'rabbitmq:4.3-management' */
  readonly baseImage?: string;
  /** Queues declared at boot, each durable with its `.dlq`; plain names use the default attempts. @default [] */
  readonly queues?: readonly (string | BrokerQueue)[];
  /**
   * Type of the declared queues; quorum queues also enforce the attempt limit by a delivery-limit policy.
   * @default 'quorum'
   */
  readonly queueType?: QueueType;
  /** RabbitMQ's consumer_timeout in seconds; must exceed every worker's timeoutSeconds. @default 1800 */
  readonly consumerTimeoutSeconds?: number;
  /**
   * Host port that publishes AMQP (Docker and Swarm), on `hostAddress`; node i of a cluster publishes on
   * amqpHostPort + i. A single-node Marathon app maps AMQP to a port Marathon picks on the agent, where
   * workers on other agents find it; the nodes of a Marathon cluster use the agent's port 5672 (host networking).
   * @default - not published; workers use the Docker network
   */
  readonly amqpHostPort?: number;
  /**
   * Host port that publishes the management UI (administrator login): on `hostAddress` for
   * Docker and Swarm (node i of a cluster on managementHostPort + i), and as the single-node Marathon
   * app's host port for 15672 (which is otherwise not mapped). The nodes of a Marathon cluster use
   * host networking: their UI is on the agent's port 15672, so this may only be 15672 there.
   * @default - not published anywhere (but see the Marathon cluster above)
   */
  readonly managementHostPort?: number;
  /**
   * Address the Docker target's published ports listen on, e.g. '0.0.0.0' for every interface.
   * Swarm's ingress cannot bind one address: publishing there needs '0.0.0.0', saying so.
   * @default '127.0.0.1' (this host only)
   */
  readonly hostAddress?: string;
  /** CPUs. @default 1 */
  readonly cpus?: number;
  /** Memory in MiB. @default 1024 */
  readonly memoryMb?: number;
  /**
   * RabbitMQ nodes: 1, or an odd number of at least 3 clustered together, every declared queue and
   * its `.dlq` a quorum queue with a member on each node (needs queueType 'quorum'). Nodes are named
   * `${name}-0`, `${name}-1`... (containers, Swarm services, host names, Marathon apps `/${name}-0`...),
   * each with its own volume `${dataVolume}-0`...; a majority must stay up (3 nodes survive the loss of 1).
   * One node keeps the plain names. See README, "A broker cluster".
   * @default 1
   */
  readonly nodes?: number;
  /**
   * The Erlang cookie the nodes share (it lets nodes and CLI tools into the cluster), given like
   * `password`: one token of a sensitive value, at least 20 letters and digits when it resolves.
   * Marathon apps hold the placeholder `{{ERLANG_COOKIE}}`, which `workqueue deploy` fills from $ERLANG_COOKIE.
   * @default - generated by random_password (sensitive) for a cluster; none for a single node
   */
  readonly erlangCookie?: string;
  /**
   * Docker volume holding /var/lib/rabbitmq (`${dataVolume}-i` per node of a cluster); in Marathon apps, the
   * name of the app's local persistent volume.
   * @default `${name}-data`
   */
  readonly dataVolume?: string;
  /** Size in MiB of each node's data (a Marathon local persistent volume, a Kubernetes volume claim). @default 4096 */
  readonly dataSizeMb?: number;
  /**
   * The StorageClass of the nodes' volume claims (kubernetes target only).
   * @default - the cluster's default StorageClass
   */
  readonly storageClass?: string;
  /**
   * The Kubernetes namespace of the broker's objects (kubernetes target only); its fleets live there too.
   * @default 'default'
   */
  readonly namespace?: string;
  /** The administrator (management UI, every queue), for operators; workers never get it. @default 'workqueue' */
  readonly user?: string;
  /**
   * The administrator's password: one token of a sensitive value (e.g. a sensitive
   * TerraformVariable), never a literal, which would be written in plain text into cdk.tf.json.
   * @default - generated by random_password (sensitive)
   */
  readonly password?: string;
  /**
   * The user workers connect as: no management tag, and permissions on the declared queues and
   * their `.dlq` only (see README, "What listens where").
   * @default `${user}-worker`
   */
  readonly workerUser?: string;
  /**
   * The worker user's password, given like `password`.
   * @default - generated by random_password (sensitive)
   */
  readonly workerPassword?: string;
  /** Where it runs. @default 'docker' */
  readonly target?: Target;
}

/**
 * A RabbitMQ broker for work queues: its image (queues, dead-letter queues and policies loaded
 * from definitions at boot; no credentials inside), generated or given credentials passed
 * through the environment, a health check, and the Terraform resources or Marathon app that
 * run it.
 */
export class Broker extends Construct {
  readonly name: string;
  /** RabbitMQ nodes: 1, or an odd number of at least 3 in one cluster. */
  readonly nodes: number;
  /** Host name workers connect to (Docker network alias, Swarm service name); the first node's in a cluster. */
  readonly host: string;
  /** Host names of every node, one per node: [name] for one node, else `${name}-0`, `${name}-1`... */
  readonly hosts: readonly string[];
  readonly port = AMQP_PORT;
  /** The administrator, for operators. */
  readonly user: string;
  /** The administrator's password, as a token: only its reference appears in synthesized JSON. */
  readonly password: string;
  /** The workers' user: their queues only, no management. */
  readonly workerUser: string;
  /** The worker user's password, as a token. */
  readonly workerPassword: string;
  /**
   * The URL for workers, amqp://workerUser:password@host:5672/, as a token (the password percent-encoded, a
   * reference); for a cluster, one such URL per node, joined by commas (workqueue-worker takes the list).
   */
  readonly url: string;
  /** The administrator's URL (a list like `url` for a cluster), for operators' tools; never give it to workers. */
  readonly adminUrl: string;
  /** The Erlang cookie, as a token, when the nodes have one (a cluster, or given as erlangCookie). */
  readonly erlangCookie: string | undefined;
  /** Where the Docker target's published ports listen. */
  readonly hostAddress: string;
  readonly target: Target;
  readonly imageName: string;
  readonly imageTag: string | undefined;
  /** The image's reference without tag: `${registry}/${imageName}`, or imageName without a registry. */
  readonly image: string;
  readonly baseImage: string;
  readonly queues: readonly Required<BrokerQueue>[];
  readonly queueType: QueueType;
  readonly consumerTimeoutSeconds: number;
  readonly cpus: number;
  readonly memoryMb: number;
  readonly dataVolume: string;
  /** The data volume of each node: [dataVolume] for one node, else `${dataVolume}-0`... */
  readonly dataVolumes: readonly string[];
  readonly dataSizeMb: number;
  /** The Kubernetes namespace (kubernetes target). */
  readonly namespace: string;
  /** The Marathon app id (the first node's in a cluster). */
  readonly marathonAppId: string;
  /** The Marathon app id of every node. */
  readonly marathonAppIds: readonly string[];
  /** The Docker network workers join to reach the broker by name (Docker and Swarm targets). */
  readonly network?: Network;
  /** The Marathon app (the first node's in a cluster); marathon target only. */
  readonly marathonApp: MarathonApp | undefined;
  /** The Marathon app of every node; marathon target only (none for docker and swarm). */
  readonly marathonApps: readonly MarathonApp[];
  /** The broker resolved once, platform-neutral: what the target's renderer mapped onto its platform. */
  readonly description: BrokerDescription;
  /** What the target's renderer made (the network workers join, Marathon apps). */
  readonly rendered: RenderedBroker;

  constructor(scope: Construct, id: string, props: BrokerProps = {}) {
    super(scope, id);
    monitorQueues(this, () => this.queues.map((q) => q.name));
    this.name = props.name ?? 'broker';
    this.nodes = props.nodes ?? 1;
    this.user = props.user ?? 'workqueue';
    this.workerUser = props.workerUser ?? `${this.user}-worker`;
    this.hostAddress = props.hostAddress ?? DEFAULT_HOST_ADDRESS;
    this.target = checkTarget(constructLabel('Broker', this), props.target ?? 'docker');
    this.imageName = props.imageName ?? `workqueue-${this.name}`;
    this.imageTag = props.imageTag;
    this.image = imageReference(props.registry, this.imageName);
    this.baseImage = props.baseImage ?? 'rabbitmq:4.3-management';
    this.queues = (props.queues ?? []).map((q) => {
      const given: BrokerQueue = typeof q === 'string' ? { name: q } : q;
      return {
        name: given.name,
        maxAttempts: given.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        retryDelaySeconds: given.retryDelaySeconds ?? DEFAULT_RETRY_DELAY_SECONDS,
        retryBackoff: given.retryBackoff ?? DEFAULT_RETRY_BACKOFF,
        maxRetryDelaySeconds: given.maxRetryDelaySeconds ?? DEFAULT_MAX_RETRY_DELAY_SECONDS,
      };
    });
    this.queueType = props.queueType ?? 'quorum';
    this.consumerTimeoutSeconds = props.consumerTimeoutSeconds ?? DEFAULT_CONSUMER_TIMEOUT_SECONDS;
    this.cpus = props.cpus ?? 1;
    this.memoryMb = props.memoryMb ?? 1024;
    this.dataVolume = props.dataVolume ?? `${this.name}-data`;
    this.dataSizeMb = props.dataSizeMb ?? DEFAULT_DATA_SIZE_MB;
    this.namespace = props.namespace ?? DEFAULT_NAMESPACE;
    const renderer = rendererOf(this.target);
    this.validate(props, renderer);
    const cluster = this.nodes > 1;
    const nodeIndexes = [...Array(this.nodes).keys()];
    this.hosts = cluster ? nodeIndexes.map((i) => `${this.name}-${i}`) : [this.name];
    this.host = this.hosts[0];
    this.dataVolumes = cluster ? nodeIndexes.map((i) => `${this.dataVolume}-${i}`) : [this.dataVolume];
    this.marathonAppIds = this.hosts.map((host) => `/${host}`);
    this.marathonAppId = this.marathonAppIds[0];
    const C = constructLabel('Broker', this);
    claimName(this, C, 'name', 'name', this.name, 'give each broker and fleet of the stack its own name');
    if (cluster) {
      for (const host of this.hosts)
        claimName(this, C, 'name', 'name (a node name)', host, 'give each broker and fleet of the stack its own name');
    }
    for (const side of renderer.brokerSideNames(this.name))
      claimName(
        this,
        C,
        'name',
        'name (a name beside it)',
        side,
        'give each broker and fleet of the stack its own name',
      );
    claimName(this, C, 'imageName', 'imageName', this.imageName, 'give each broker and fleet its own imageName');
    for (const volume of new Set([this.dataVolume, ...this.dataVolumes]))
      claimName(this, C, 'dataVolume', 'dataVolume', volume, 'give each broker its own dataVolume');

    const generated = (id: string, length: number): string => {
      ensureRandomProvider(this);
      // Letters and digits only: nothing to escape anywhere the value travels (URLs, .erlang.cookie).
      return new Password(this, id, { length, special: false }).result;
    };
    this.password = props.password ?? generated('password', 32);
    this.workerPassword = props.workerPassword ?? generated('worker-password', 32);
    // Only a cluster needs a cookie; a single node keeps the one RabbitMQ makes itself unless one is given.
    this.erlangCookie = props.erlangCookie ?? (cluster ? generated('erlang-cookie', 48) : undefined);
    const urls = (user: string, password: string) =>
      renderer
        .clientHosts(this.name, this.hosts)
        .map((host) => amqpUrl(user, password, host, AMQP_PORT))
        .join(',');
    this.url = urls(this.workerUser, this.workerPassword);
    this.adminUrl = urls(this.user, this.password);

    const nodes = this.hosts.map((host, index) => ({
      index,
      host,
      volume: this.dataVolumes[index],
      nodeName: cluster ? renderer.nodeName(this.name, host) : undefined,
    }));
    const config = {
      queues: this.queues,
      queueType: this.queueType,
      consumerTimeoutSeconds: this.consumerTimeoutSeconds,
      clusterNodes: nodes.flatMap((node) => (node.nodeName === undefined ? [] : [node.nodeName])),
    };
    const configuration = {
      'rabbitmq.conf': rabbitmqConf(config),
      'definitions.json': `${JSON.stringify(definitions(config), null, 2)}\n`,
    };
    const build = new DockerImageBuild(this, 'image', {
      name: this.imageName,
      reference: this.image,
      registry: props.registry,
      tag: this.imageTag ?? 'latest',
      component: 'broker',
      terraform: renderer.terraformImages,
      details: () => brokerDetails(this.description, this.target),
      buildArgs: { BASE_IMAGE: this.baseImage },
      context: [
        { path: 'Dockerfile', source: imageFile('broker', 'Dockerfile') },
        {
          path: 'workqueue-broker-entrypoint',
          source: imageFile('broker', 'workqueue-broker-entrypoint'),
          executable: true,
        },
        ...Object.entries(configuration).map(([path, content]) => ({ path, content })),
      ],
    });
    this.description = {
      component: 'broker',
      name: this.name,
      image: { name: this.image, tag: this.imageTag, build },
      cluster,
      nodes,
      ports: {
        amqp: AMQP_PORT,
        management: MANAGEMENT_PORT,
        epmd: EPMD_PORT,
        distribution: AMQP_PORT + DISTRIBUTION_PORT_OFFSET,
        prometheus: PROMETHEUS_PORT,
      },
      published: { amqp: props.amqpHostPort, management: props.managementHostPort, address: this.hostAddress },
      dataDir: DATA_DIR,
      dataSizeMb: this.dataSizeMb,
      storageClass: props.storageClass,
      namespace: this.namespace,
      health: { command: ['rabbitmq-diagnostics', '-q', 'ping'] },
      env: [
        { name: 'WQ_BROKER_USER', value: this.user },
        { name: 'WQ_BROKER_PASSWORD', value: this.password, placeholder: 'BROKER_PASSWORD' },
        { name: 'WQ_WORKER_USER', value: this.workerUser },
        { name: 'WQ_WORKER_PASSWORD', value: this.workerPassword, placeholder: 'WORKER_PASSWORD' },
        ...(this.erlangCookie === undefined
          ? []
          : [{ name: ERLANG_COOKIE_VAR, value: this.erlangCookie, placeholder: ERLANG_COOKIE_PLACEHOLDER }]),
      ],
      cpus: this.cpus,
      memoryMb: this.memoryMb,
      stopGraceSeconds: STOP_GRACE_SECONDS,
      labels: { [COMPONENT_LABEL]: 'broker' },
      configuration,
    };
    this.rendered = renderer.renderBroker(this, this.description);
    this.network = this.rendered.network;
    this.marathonApps = this.rendered.marathonApps;
    this.marathonApp = this.marathonApps[0];
  }

  /** Host ports: node i of a cluster publishes on the given port + i, so both ranges must fit and stay apart. */
  private validatePorts(C: string, props: BrokerProps, renderer: TargetRenderer): void {
    const n = this.nodes;
    for (const prop of ['amqpHostPort', 'managementHostPort'] as const) {
      if (props[prop] !== undefined && !renderer.hostPorts)
        throw propError(
          C,
          prop,
          props[prop],
          `target '${this.target}' publishes no host ports: leave it unset and reach the broker through the ` +
            `platform (on kubernetes: \`kubectl port-forward service/${this.name} 5672 15672\`)`,
        );
    }
    for (const [prop, port] of [
      ['amqpHostPort', props.amqpHostPort],
      ['managementHostPort', props.managementHostPort],
    ] as const) {
      if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535))
        throw propError(C, prop, port, 'use a port from 1 to 65535');
      if (port !== undefined && port + n - 1 > 65535 && this.target !== 'marathon')
        throw propError(C, prop, port, `node ${n - 1} would publish on ${port + n - 1}: use a port up to ${65536 - n}`);
    }
    const amqp = props.amqpHostPort;
    const management = props.managementHostPort;
    if (amqp !== undefined && management !== undefined && Math.abs(amqp - management) < n) {
      throw propError(
        C,
        'managementHostPort',
        management,
        n === 1
          ? 'it is also amqpHostPort: publish each port on a host port of its own'
          : `node i publishes AMQP on amqpHostPort + i and the UI on managementHostPort + i, so ${amqp}..` +
              `${amqp + n - 1} and ${management}..${management + n - 1} overlap: move one range`,
      );
    }
    if (this.target === 'marathon' && n > 1 && management !== undefined && management !== MANAGEMENT_PORT) {
      throw propError(
        C,
        'managementHostPort',
        management,
        `the nodes of a Marathon cluster use host networking, where the UI listens on the agent's port ` +
          `${MANAGEMENT_PORT}: use ${MANAGEMENT_PORT} or leave it unset`,
      );
    }
  }

  /** The queue's settings, or undefined when the broker does not declare it. */
  queue(name: string): Required<BrokerQueue> | undefined {
    return this.queues.find((q) => q.name === name);
  }

  private validate(props: BrokerProps, renderer: TargetRenderer): void {
    const C = constructLabel('Broker', this);
    // The node count first: the names, volumes, ports and queue arguments below all depend on it.
    checkNodes(C, 'nodes', this.nodes);
    if (this.nodes > 1 && this.queueType !== 'quorum') {
      throw propError(
        C,
        'queueType',
        this.queueType,
        `nodes ${this.nodes} needs queueType 'quorum': classic queues are not replicated in RabbitMQ 4, ` +
          "so a lost node would take its queues' messages with it",
      );
    }
    // The platform's own rule first: its message names the platform (kubernetes' is the stricter).
    renderer.checkName(C, 'name', this.name, 'broker');
    checkMarathonName(C, 'name', this.name);
    checkPlacement(C, this.target, renderer, props);
    if (props.registry !== undefined) checkRegistry(C, 'registry', props.registry);
    if (this.nodes > 1 && `${this.name}-${this.nodes - 1}`.length > 63) {
      throw propError(
        C,
        'name',
        this.name,
        `the node names ${this.name}-0..${this.name}-${this.nodes - 1} must be at most 63 characters: shorten it`,
      );
    }
    checkUserName(C, 'user', this.user);
    checkUserName(C, 'workerUser', this.workerUser);
    if (this.workerUser === this.user)
      throw propError(
        C,
        'workerUser',
        this.workerUser,
        'use a name other than user (the administrator): workers get a user of their own',
      );
    for (const prop of ['password', 'workerPassword', 'erlangCookie'] as const) {
      const value = props[prop];
      if (value !== undefined) checkSecret(this, C, prop, value, ', or omit it to generate one');
    }
    const seen = new Set<string>();
    for (const q of this.queues) {
      checkQueueName(C, 'queues', q.name);
      checkCount(C, `queues['${q.name}'].maxAttempts`, q.maxAttempts, 0);
      checkRetryDelays(C, `queues['${q.name}'].`, q);
      if (seen.has(q.name)) throw propError(C, 'queues', q.name, 'each queue may be listed once');
      seen.add(q.name);
    }
    // The queues the broker declares beside each queue: none may also be a queue of its own.
    for (const q of this.queues) {
      for (const other of this.queues) {
        if (deadLetterQueueName(other.name) === q.name)
          throw propError(
            C,
            'queues',
            q.name,
            `it is the dead-letter queue the broker declares for '${other.name}': rename one of them`,
          );
        if (retryQueueNames(other.name, other, other.maxAttempts).includes(q.name))
          throw propError(
            C,
            'queues',
            q.name,
            `it is a delay queue the broker declares for '${other.name}' (retryDelaySeconds ` +
              `${other.retryDelaySeconds}): rename one of them`,
          );
      }
    }
    checkImage(C, this.image, this.imageTag);
    checkVolumeName(C, 'dataVolume', this.dataVolume);
    checkCount(C, 'dataSizeMb', this.dataSizeMb, 128);
    // RabbitMQ takes milliseconds, and 0 turns the timeout off: under 1 s would write 0 or a few ms.
    if (!Number.isFinite(this.consumerTimeoutSeconds) || this.consumerTimeoutSeconds < 1) {
      throw propError(
        C,
        'consumerTimeoutSeconds',
        this.consumerTimeoutSeconds,
        "use at least 1 second (RabbitMQ's default is 1800)",
      );
    }
    checkPositive(C, 'cpus', this.cpus);
    checkCount(C, 'memoryMb', this.memoryMb, 128);
    this.validatePorts(C, props, renderer);
    if (!isIP(this.hostAddress))
      throw propError(
        C,
        'hostAddress',
        this.hostAddress,
        "use an IP address of this host, e.g. '127.0.0.1' or '0.0.0.0' for every interface",
      );
    const publishes = props.amqpHostPort !== undefined || props.managementHostPort !== undefined;
    if (this.target === 'swarm' && publishes && this.hostAddress !== ALL_ADDRESSES) {
      throw propError(
        C,
        'hostAddress',
        this.hostAddress,
        "Swarm's ingress publishes a port on every address of every node and cannot bind one: " +
          `set hostAddress '${ALL_ADDRESSES}' to publish anyway, or leave amqpHostPort and managementHostPort unset ` +
          '(workers reach the broker on the overlay network)',
      );
    }
  }
}
